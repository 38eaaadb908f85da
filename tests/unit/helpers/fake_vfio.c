// SPDX-License-Identifier: GPL-2.0-only
/* Fake VFIO PCI device for unit tests: see fake_vfio.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/pci.h>

#include "fake_vfio.h"

#define CFG(f) ((f)->region[VFIO_PCI_CONFIG_REGION_INDEX].mem)

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

static int region_info(struct fake_vfio *f, struct vfio_region_info *info)
{
	struct fake_vfio_region *r;
	uint32_t need = sizeof(*info), argsz = info->argsz;
	uint8_t *out = (uint8_t *)info;
	uint32_t off;

	if (info->index >= VFIO_NR_REGIONS)
		return -EINVAL;
	r = &f->region[info->index];
	info->flags = r->flags;
	info->size = r->size;
	info->offset = (uint64_t)info->index << FAKE_REGION_SHIFT;
	info->cap_offset = 0;
	if (r->has_sparse)
		need += sizeof(struct vfio_region_info_cap_sparse_mmap) +
			r->nr_sparse * sizeof(struct vfio_region_sparse_mmap_area);
	if (r->msix_mappable)
		need += sizeof(struct vfio_info_cap_header);
	if (need == sizeof(*info))
		return 0;
	info->flags |= VFIO_REGION_INFO_FLAG_CAPS;
	/* the kernel's protocol: report the size needed, fill caps only if it fits */
	if (argsz < need) {
		info->argsz = need;
		return 0;
	}
	off = sizeof(*info);
	info->cap_offset = off;
	if (r->has_sparse) {
		struct vfio_region_info_cap_sparse_mmap sp = {
			.header.id = VFIO_REGION_INFO_CAP_SPARSE_MMAP,
			.header.version = 1,
			.nr_areas = r->nr_sparse,
		};
		uint32_t len =
			sizeof(sp) + r->nr_sparse * sizeof(struct vfio_region_sparse_mmap_area);

		sp.header.next = r->msix_mappable ? off + len : 0;
		memcpy(out + off, &sp, sizeof(sp));
		for (unsigned int i = 0; i < r->nr_sparse; i++) {
			struct vfio_region_sparse_mmap_area a = {r->sparse[i].offset,
								 r->sparse[i].size};

			memcpy(out + off + sizeof(sp) + i * sizeof(a), &a, sizeof(a));
		}
		off += len;
	}
	if (r->msix_mappable) {
		struct vfio_info_cap_header h = {.id = VFIO_REGION_INFO_CAP_MSIX_MAPPABLE,
						 .version = 1};

		memcpy(out + off, &h, sizeof(h));
	}
	return 0;
}

static int fake_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	struct fake_vfio *f = ctx;

	if (fd != f->devfd)
		return -EBADF;
	switch (req) {
	case VFIO_DEVICE_GET_INFO: {
		struct vfio_device_info *i = arg;

		i->flags = f->dev_flags;
		i->num_regions = VFIO_PCI_NUM_REGIONS;
		i->num_irqs = VFIO_PCI_NUM_IRQS;
		return 0;
	}
	case VFIO_DEVICE_GET_REGION_INFO:
		return region_info(f, arg);
	case VFIO_DEVICE_GET_IRQ_INFO: {
		struct vfio_irq_info *i = arg;

		if (i->index >= VFIO_NR_IRQS)
			return -EINVAL;
		i->count = f->irq_count[i->index];
		i->flags = VFIO_IRQ_INFO_EVENTFD |
			   (i->index == VFIO_PCI_INTX_IRQ_INDEX ? VFIO_IRQ_INFO_MASKABLE : 0) |
			   (i->index != VFIO_PCI_INTX_IRQ_INDEX ? VFIO_IRQ_INFO_NORESIZE : 0);
		return 0;
	}
	case VFIO_DEVICE_SET_IRQS: {
		struct vfio_irq_set *s = arg;
		struct fake_vfio_irqset *l;

		if (s->index >= VFIO_NR_IRQS)
			return -EINVAL;
		if (s->count && (s->start >= f->irq_count[s->index] ||
				 s->count > f->irq_count[s->index] - s->start))
			return -EINVAL;
		if ((s->flags & VFIO_IRQ_SET_DATA_EVENTFD) &&
		    s->argsz < sizeof(*s) + s->count * sizeof(int32_t))
			return -EINVAL;
		f->nr_set_irqs[s->index]++;
		l = &f->last_set[s->index];
		l->flags = s->flags;
		l->start = s->start;
		l->count = s->count;
		for (unsigned int i = 0; i < s->count && i < FAKE_MAX_FDS; i++)
			memcpy(&l->fds[i], s->data + i * sizeof(int32_t), sizeof(int32_t));
		return 0;
	}
	case VFIO_DEVICE_RESET:
		if (!(f->dev_flags & VFIO_DEVICE_FLAGS_RESET))
			return -EINVAL;
		f->nr_resets++;
		return 0;
	case VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: {
		struct vfio_pci_hot_reset_info *i = arg;

		i->count = 1;
		if (i->argsz < sizeof(*i) + sizeof(struct vfio_pci_dependent_device))
			return -ENOSPC;
		i->devices[0].group_id = (uint32_t)f->hot_reset_group;
		i->devices[0].bus = 1;
		return 0;
	}
	case VFIO_DEVICE_PCI_HOT_RESET:
		f->nr_hot_resets++;
		return 0;
	default:
		return -ENOTTY;
	}
}

static struct fake_vfio_region *locate(struct fake_vfio *f, uint64_t off, size_t len,
				       uint64_t *roff)
{
	uint64_t idx = off >> FAKE_REGION_SHIFT;
	struct fake_vfio_region *r;

	if (idx >= VFIO_NR_REGIONS)
		goto oob;
	r = &f->region[idx];
	*roff = off & ((1ULL << FAKE_REGION_SHIFT) - 1);
	if (!r->mem || *roff > r->size || len > r->size - *roff)
		goto oob;
	return r;
oob:
	f->nr_oob++;
	return NULL;
}

static ssize_t fake_pread(void *ctx, int fd, void *buf, size_t len, uint64_t off)
{
	struct fake_vfio *f = ctx;
	struct fake_vfio_region *r;
	uint64_t ro;

	if (fd != f->devfd)
		return -EBADF;
	r = locate(f, off, len, &ro);
	if (!r)
		return -EINVAL;
	memcpy(buf, r->mem + ro, len);
	return (ssize_t)len;
}

static ssize_t fake_pwrite(void *ctx, int fd, const void *buf, size_t len, uint64_t off)
{
	struct fake_vfio *f = ctx;
	struct fake_vfio_region *r;
	const uint8_t *b = buf;
	uint64_t ro;

	if (fd != f->devfd)
		return -EBADF;
	r = locate(f, off, len, &ro);
	if (!r)
		return -EINVAL;
	if (r == &f->region[VFIO_PCI_CONFIG_REGION_INDEX]) {
		f->nr_cfg_writes++;
		for (size_t i = 0; i < len; i++)
			r->mem[ro + i] = (r->mem[ro + i] & ~f->cfg_wmask[ro + i]) |
					 (b[i] & f->cfg_wmask[ro + i]);
	} else {
		f->nr_bar_writes++;
		memcpy(r->mem + ro, buf, len);
	}
	return (ssize_t)len;
}

static void *fake_mmap(void *ctx, void *addr, size_t len, int prot, int flags, int fd, uint64_t off,
		       int *err)
{
	struct fake_vfio *f = ctx;
	struct fake_vfio_region *r;
	uint64_t ro;

	(void)addr;
	(void)prot;
	(void)flags;
	if (fd != f->devfd) {
		*err = -EBADF;
		return NULL;
	}
	r = locate(f, off, len, &ro);
	if (!r || !(r->flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		*err = -EINVAL;
		return NULL;
	}
	return r->mem + ro;
}

static int fake_munmap(void *ctx, void *addr, size_t len)
{
	(void)ctx;
	(void)addr;
	(void)len;
	return 0;
}

static const struct vfio_sys_ops fake_ops = {
	.ioctl = fake_ioctl,
	.pread = fake_pread,
	.pwrite = fake_pwrite,
	.mmap = fake_mmap,
	.munmap = fake_munmap,
};

void fake_vfio_init(struct fake_vfio *f, uint16_t vendor, uint16_t device, uint32_t class_code)
{
	struct fake_vfio_region *cfg = &f->region[VFIO_PCI_CONFIG_REGION_INDEX];
	uint8_t *c;

	memset(f, 0, sizeof(*f));
	f->sys.ops = &fake_ops;
	f->sys.ctx = f;
	f->fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	f->devfd = f->fd;
	f->dev_flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	cfg->size = 4096;
	cfg->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	cfg->mem = calloc(1, 4096);
	c = cfg->mem;
	c[0] = vendor & 0xff;
	c[1] = vendor >> 8;
	c[2] = device & 0xff;
	c[3] = device >> 8;
	c[PCI_CLASS_REVISION] = 1;
	c[PCI_CLASS_PROG] = class_code & 0xff;
	c[PCI_CLASS_DEVICE] = (class_code >> 8) & 0xff;
	c[PCI_CLASS_DEVICE + 1] = (class_code >> 16) & 0xff;
	c[PCI_INTERRUPT_PIN] = 1;
	/* software may change command bits and clear status RW1C bits */
	f->cfg_wmask[PCI_COMMAND] = 0x07;
	f->cfg_wmask[PCI_COMMAND + 1] = 0x04;
	f->irq_count[VFIO_PCI_INTX_IRQ_INDEX] = 1;
	f->irq_count[VFIO_PCI_ERR_IRQ_INDEX] = 1;
	f->irq_count[VFIO_PCI_REQ_IRQ_INDEX] = 1;
	f->cap_cursor = 0x40;
	f->ecap_cursor = 0x100;
	f->hot_reset_group = 7;
}

void fake_vfio_free(struct fake_vfio *f)
{
	for (int i = 0; i < VFIO_NR_REGIONS; i++)
		free(f->region[i].mem);
	if (f->fd >= 0)
		close(f->fd);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}

void fake_vfio_bar(struct fake_vfio *f, int idx, uint64_t size, uint32_t flags, bool mmap)
{
	struct fake_vfio_region *r = &f->region[idx];

	r->size = size;
	r->flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
		   (mmap ? VFIO_REGION_INFO_FLAG_MMAP : 0);
	r->mem = calloc(1, size);
	put32(CFG(f) + PCI_BASE_ADDRESS_0 + 4 * idx, flags);
}

void fake_vfio_sparse(struct fake_vfio *f, int idx, uint64_t off, uint64_t size)
{
	struct fake_vfio_region *r = &f->region[idx];

	r->has_sparse = true;
	r->sparse[r->nr_sparse].offset = off;
	r->sparse[r->nr_sparse].size = size;
	r->nr_sparse++;
}

uint8_t fake_vfio_cap(struct fake_vfio *f, uint8_t id, const uint8_t *body, uint32_t len)
{
	uint8_t *c = CFG(f);
	uint8_t off = f->cap_cursor;

	c[off] = id;
	c[off + 1] = 0;
	if (body)
		memcpy(c + off + 2, body, len);
	if (f->cap_last)
		c[f->cap_last + 1] = off;
	else
		c[PCI_CAPABILITY_LIST] = off;
	c[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	f->cap_last = off;
	f->cap_cursor = (uint8_t)((off + 2 + len + 3) & ~3u);
	return off;
}

uint16_t fake_vfio_ecap(struct fake_vfio *f, uint16_t id, uint8_t ver, uint32_t len)
{
	uint8_t *c = CFG(f);
	uint16_t off = f->ecap_cursor;

	put32(c + off, id | (uint32_t)ver << 16);
	if (f->ecap_last)
		put32(c + f->ecap_last, fake_cfg32(f, f->ecap_last) | (uint32_t)off << 20);
	/* make the body recognisable and writable, as a real device would */
	for (uint32_t i = 4; i < len; i++) {
		c[off + i] = 0x5a;
		f->cfg_wmask[off + i] = 0xff;
	}
	f->ecap_last = off;
	f->ecap_cursor = (uint16_t)((off + len + 3) & ~3u);
	return off;
}

uint8_t fake_vfio_msix(struct fake_vfio *f, unsigned int nvec, int tbar, uint32_t toff, int pbar,
		       uint32_t poff)
{
	uint8_t body[10];
	uint16_t ctrl = (uint16_t)(nvec - 1);

	body[0] = ctrl & 0xff;
	body[1] = ctrl >> 8;
	put32(body + 2, toff | (uint32_t)tbar);
	put32(body + 6, poff | (uint32_t)pbar);
	f->irq_count[VFIO_PCI_MSIX_IRQ_INDEX] = nvec;
	return fake_vfio_cap(f, PCI_CAP_ID_MSIX, body, sizeof(body));
}

uint8_t fake_vfio_msi(struct fake_vfio *f, unsigned int nvec_log2, bool is64, bool maskbit)
{
	uint8_t body[22] = {0};
	uint16_t ctrl = (uint16_t)(nvec_log2 << 1);
	uint32_t len;

	if (is64)
		ctrl |= PCI_MSI_FLAGS_64BIT;
	if (maskbit)
		ctrl |= PCI_MSI_FLAGS_MASKBIT;
	body[0] = ctrl & 0xff;
	body[1] = ctrl >> 8;
	len = (is64 ? 12 : 8) + (maskbit ? 10 : 0);
	f->irq_count[VFIO_PCI_MSI_IRQ_INDEX] = 1u << nvec_log2;
	return fake_vfio_cap(f, PCI_CAP_ID_MSI, body, len);
}

void fake_vfio_nvme_vf(struct fake_vfio *f, unsigned int nvec, bool msix_mappable)
{
	uint8_t pm[6] = {0x03, 0x00}, exp[58] = {0x02, 0x00};

	fake_vfio_init(f, 0x1b36, 0x0010, 0x010802);
	fake_vfio_bar(f, 0, 0x4000, PCI_BASE_ADDRESS_MEM_TYPE_64, true);
	/* the kernel leaves the MSI-X table page out of the mmap-able areas */
	fake_vfio_sparse(f, 0, 0, 0x2000);
	fake_vfio_sparse(f, 0, 0x3000, 0x1000);
	f->region[0].msix_mappable = msix_mappable;
	fake_vfio_cap(f, PCI_CAP_ID_PM, pm, sizeof(pm));
	fake_vfio_cap(f, PCI_CAP_ID_EXP, exp, sizeof(exp));
	fake_vfio_msix(f, nvec, 0, 0x2000, 0, 0x3000);
	fake_vfio_ecap(f, PCI_EXT_CAP_ID_ARI, 1, 8);
	fake_vfio_ecap(f, PCI_EXT_CAP_ID_DSN, 1, 12);
	fake_vfio_ecap(f, PCI_EXT_CAP_ID_SRIOV, 1, 64);
	fake_vfio_ecap(f, PCI_EXT_CAP_ID_REBAR, 1, 12);
	/* VFs have no INTx */
	f->irq_count[VFIO_PCI_INTX_IRQ_INDEX] = 0;
	CFG(f)[PCI_INTERRUPT_PIN] = 0;
	/* NVMe registers: CAP, VS as QEMU reports them */
	put32(f->region[0].mem + 0x08, 0x00010400);
}

static int fi_alloc(void *ctx, struct errinfo *e)
{
	struct fake_irq *fi = ctx;

	if (fi->fail_alloc && fi->next_gsi - 24 >= fi->fail_alloc)
		return err_set(e, ENOSPC, "fake: no GSI left");
	if (fi->next_gsi >= FAKE_IRQ_GSIS)
		return err_set(e, ENOSPC, "fake: no GSI left");
	fi->gsi[fi->next_gsi].used = true;
	return fi->next_gsi++;
}

static void fi_free(void *ctx, int gsi)
{
	struct fake_irq *fi = ctx;

	if (gsi >= 0 && gsi < FAKE_IRQ_GSIS) {
		fi->gsi[gsi].used = false;
		fi->gsi[gsi].routed = false;
	}
}

static int fi_route(void *ctx, int gsi, uint64_t addr, uint32_t data, struct errinfo *e)
{
	struct fake_irq *fi = ctx;
	struct fake_irq_gsi *g;

	if (gsi < 0 || gsi >= FAKE_IRQ_GSIS || !fi->gsi[gsi].used)
		return err_set(e, EINVAL, "fake: route for unallocated GSI %d", gsi);
	g = &fi->gsi[gsi];
	if (g->routed && g->addr == addr && g->data == data)
		return 0;
	g->routed = true;
	g->addr = addr;
	g->data = data;
	fi->dirty = true;
	fi->nr_routes++;
	return 0;
}

static int fi_commit(void *ctx, struct errinfo *e)
{
	struct fake_irq *fi = ctx;

	(void)e;
	fi->nr_commits++;
	if (fi->dirty)
		fi->nr_real_commits++;
	fi->dirty = false;
	return 0;
}

static int fi_irqfd(void *ctx, int gsi, int efd, int resamplefd, bool assign, struct errinfo *e)
{
	struct fake_irq *fi = ctx;
	struct fake_irq_gsi *g;

	if (gsi < 0 || gsi >= FAKE_IRQ_GSIS)
		return err_set(e, EINVAL, "fake: irqfd on GSI %d", gsi);
	g = &fi->gsi[gsi];
	if (assign) {
		if (g->irqfd)
			return err_set(e, EBUSY, "fake: irqfd already on GSI %d", gsi);
		g->irqfd = true;
		g->efd = efd;
		g->resamplefd = resamplefd;
		fi->nr_assign++;
	} else {
		if (!g->irqfd || g->efd != efd)
			return err_set(e, ENOENT, "fake: no irqfd on GSI %d", gsi);
		g->irqfd = false;
		fi->nr_deassign++;
	}
	return 0;
}

static const struct irq_source_ops fake_irq_ops = {
	.gsi_alloc = fi_alloc,
	.gsi_free = fi_free,
	.route_msi = fi_route,
	.commit = fi_commit,
	.irqfd = fi_irqfd,
};

void fake_irq_init(struct fake_irq *fi, struct irq_source *out)
{
	memset(fi, 0, sizeof(*fi));
	fi->next_gsi = 24;
	out->ops = &fake_irq_ops;
	out->ctx = fi;
}
