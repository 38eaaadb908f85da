// SPDX-License-Identifier: GPL-2.0-only
/*
 * The capability chains of VFIO info answers (region info, IOMMU info).
 * They come from the kernel - or from a fake or a fuzzer: every offset is
 * checked against the buffer and every walk bounded.
 */
#include <string.h>

#include "device.h"
#include "info_caps.h"
#include "uapi_compat.h"
#include "vfio_iommu.h"

/*
 * Walk the capability chain of a region info buffer.  Offsets come from
 * the kernel (or a fake): every one is checked against @len and the walk
 * is bounded so a bad chain cannot loop or read out of the buffer.
 */
void vfio_region_caps_parse(struct vfio_region *r, const uint8_t *buf, uint32_t len, uint32_t first)
{
	uint32_t off = first;
	int guard = 0;

	while (off && off + sizeof(struct vfio_info_cap_header) <= len && guard++ < 64) {
		struct vfio_info_cap_header h;

		memcpy(&h, buf + off, sizeof(h));
		if (h.id == VFIO_REGION_INFO_CAP_SPARSE_MMAP &&
		    off + sizeof(struct vfio_region_info_cap_sparse_mmap) <= len) {
			struct vfio_region_info_cap_sparse_mmap sp;
			uint32_t n;

			memcpy(&sp, buf + off, sizeof(sp));
			n = sp.nr_areas;
			r->has_sparse = true;
			r->nr_sparse = 0;
			for (uint32_t i = 0; i < n && r->nr_sparse < VFIO_MAX_SPARSE; i++) {
				struct vfio_region_sparse_mmap_area a;
				uint64_t ao = off + sizeof(sp) + (uint64_t)i * sizeof(a);

				if (ao + sizeof(a) > len)
					break;
				memcpy(&a, buf + ao, sizeof(a));
				/* Areas outside the region are dropped, not trusted. */
				if (a.size == 0 || a.offset > r->size ||
				    a.size > r->size - a.offset)
					continue;
				r->sparse[r->nr_sparse].offset = a.offset;
				r->sparse[r->nr_sparse].size = a.size;
				r->nr_sparse++;
			}
		} else if (h.id == VFIO_REGION_INFO_CAP_MSIX_MAPPABLE) {
			r->msix_mappable = true;
		}
		if (h.next <= off)
			break; /* chains only go forward */
		off = h.next;
	}
}

/* The capability chain of a VFIO_IOMMU_GET_INFO answer: the usable IOVA
 * ranges and the DMA mapping limit; checked and bounded like the above. */
void vfio_iommu_caps_parse(struct vfio_iommu *io, const uint8_t *buf, uint32_t len, uint32_t off)
{
	int guard = 0;

	while (off && off + sizeof(struct vfio_info_cap_header) <= len && guard++ < 32) {
		struct vfio_info_cap_header h;

		memcpy(&h, buf + off, sizeof(h));
		if (h.id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE &&
		    off + sizeof(struct vfio_iommu_type1_info_cap_iova_range) <= len) {
			struct vfio_iommu_type1_info_cap_iova_range c;

			memcpy(&c, buf + off, sizeof(c));
			io->nr_ranges = 0;
			for (uint32_t i = 0;
			     i < c.nr_iovas && io->nr_ranges < VFIO_IOMMU_MAX_RANGES; i++) {
				struct vfio_iova_range r;
				uint64_t ro = off + sizeof(c) +
					      (uint64_t)i * sizeof(struct vfio_iova_range);

				if (ro + sizeof(r) > len)
					break;
				memcpy(&r, buf + ro, sizeof(r));
				io->range[io->nr_ranges].start = r.start;
				io->range[io->nr_ranges].last =
					r.end; /* inclusive, like iommufd's */
				io->nr_ranges++;
			}
		} else if (h.id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL &&
			   off + sizeof(struct vfio_iommu_type1_info_dma_avail) <= len) {
			struct vfio_iommu_type1_info_dma_avail d;

			memcpy(&d, buf + off, sizeof(d));
			io->has_dma_avail = true;
			io->dma_avail = d.avail;
		}
		if (h.next <= off)
			break;
		off = h.next;
	}
}
