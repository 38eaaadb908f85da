// SPDX-License-Identifier: GPL-2.0-only
/* BAR pieces DMA-mapped at their guest-physical address for peer-to-peer. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "p2p.h"
#include "uapi_compat.h"

void vfio_p2p_init(struct vfio_p2p *p, const char *bdf, bool enabled)
{
	memset(p, 0, sizeof(*p));
	p->enabled = enabled;
	snprintf(p->bdf, sizeof(p->bdf), "%s", bdf);
}

/* Whether [iova, iova+size) lies in one usable range (none known: below 2^48). */
static bool iova_usable(const struct vfio_iommu *io, uint64_t iova, uint64_t size)
{
	uint64_t last = iova + size - 1;

	if (last < iova)
		return false;
	if (!io->nr_ranges)
		return last < (1ULL << 48);
	for (int i = 0; i < io->nr_ranges; i++)
		if (iova >= io->range[i].start && last <= io->range[i].last)
			return true;
	return false;
}

/* The backends' own map (their message is not used: a refusal here is a warning, with errno). */
static int backend_map(struct vfio_iommu *io, uint64_t iova, uint64_t size, void *hva)
{
	struct errinfo scratch;

	err_clear(&scratch);
	if (io->kind == VFIO_BACKEND_IOMMUFD)
		return vfio_iommufd_map(io, iova, size, hva, &scratch);
	return vfio_type1_map(io, iova, size, hva, &scratch);
}

static int backend_unmap(struct vfio_iommu *io, uint64_t iova, uint64_t size)
{
	if (io->kind == VFIO_BACKEND_IOMMUFD) {
		struct iommu_ioas_unmap u = {
			.size = sizeof(u),
			.ioas_id = io->ioas_id,
			.iova = iova,
			.length = size,
		};

		return vfio_sys_ioctl(io->sys, io->iommufd, IOMMU_IOAS_UNMAP, &u);
	}
	{
		struct vfio_iommu_type1_dma_unmap u = {
			.argsz = sizeof(u),
			.iova = iova,
			.size = size,
		};

		return vfio_sys_ioctl(io->sys, io->container_fd, VFIO_IOMMU_UNMAP_DMA, &u);
	}
}

int vfio_p2p_map(struct vfio_p2p *p, struct vfio_iommu *io, int bar, unsigned int i, uint64_t gpa,
		 uint64_t size, void *hva, struct vlog *log)
{
	struct vfio_p2p_piece *pc;
	int ret;

	if (!p->enabled || p->refused || bar < 0 || bar >= VFIO_CFG_NR_BARS ||
	    i >= VFIO_BAR_MAX_PIECES || !size)
		return 0;
	pc = &p->piece[bar][i];
	if (pc->mapped)
		vfio_p2p_unmap(p, io, bar, i, log);
	ret = iova_usable(io, gpa, size) ? backend_map(io, gpa, size, hva) : -ERANGE;
	if (ret < 0) {
		/* iommufd pins pages; a BAR's mmap has none until dma-buf import */
		p->refused = io->kind == VFIO_BACKEND_IOMMUFD && ret == -EFAULT;
		p->nr_failed++;
		p->last_err = -ret;
		if (log)
			vlog_report(log, VLOG_WARN,
				    "%s: BAR%d at 0x%llx (0x%llx bytes) not DMA-mapped for "
				    "peer-to-peer (%s backend): %s%s",
				    p->bdf, bar, (unsigned long long)gpa, (unsigned long long)size,
				    vfio_backend_name(io->kind), strerror(-ret),
				    ret == -ERANGE ? " (outside the IOMMU's usable IOVA ranges)"
				    : p->refused   ? "; this kernel's iommufd cannot map device "
						     "memory, no other BAR is tried "
						     "(VFVM_VFIO_BACKEND=type1 can)"
						   : "");
		return ret;
	}
	pc->iova = gpa;
	pc->size = size;
	pc->mapped = true;
	p->nr_mapped++;
	p->nr_maps++;
	return 0;
}

void vfio_p2p_unmap(struct vfio_p2p *p, struct vfio_iommu *io, int bar, unsigned int i,
		    struct vlog *log)
{
	struct vfio_p2p_piece *pc;
	int ret;

	if (bar < 0 || bar >= VFIO_CFG_NR_BARS || i >= VFIO_BAR_MAX_PIECES)
		return;
	pc = &p->piece[bar][i];
	if (!pc->mapped)
		return;
	ret = backend_unmap(io, pc->iova, pc->size);
	if (ret < 0 && log)
		vlog_report(log, VLOG_WARN, "%s: BAR%d at 0x%llx: peer-to-peer DMA unmap: %s",
			    p->bdf, bar, (unsigned long long)pc->iova, strerror(-ret));
	pc->mapped = false;
	p->nr_mapped--;
	p->nr_unmaps++;
}

void vfio_p2p_moved(struct vfio_p2p *p, struct vfio_iommu *io, int bar, unsigned int i,
		    uint64_t gpa, struct vlog *log)
{
	if (bar < 0 || bar >= VFIO_CFG_NR_BARS || i >= VFIO_BAR_MAX_PIECES)
		return;
	if (p->piece[bar][i].mapped && p->piece[bar][i].iova != gpa)
		vfio_p2p_unmap(p, io, bar, i, log);
}

void vfio_p2p_unmap_all(struct vfio_p2p *p, struct vfio_iommu *io, struct vlog *log)
{
	for (int bar = 0; bar < VFIO_CFG_NR_BARS; bar++)
		for (unsigned int i = 0; i < VFIO_BAR_MAX_PIECES; i++)
			vfio_p2p_unmap(p, io, bar, i, log);
}
