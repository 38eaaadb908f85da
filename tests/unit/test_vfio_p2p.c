// SPDX-License-Identifier: GPL-2.0-only
/*
 * Peer-to-peer on the NVIDIA H200 fixture (tests/data/gpu-h200): every
 * mapped BAR piece of 1 and 8 GPUs, placed by the 64-bit MMIO plan with
 * 1 TiB of guest RAM, DMA-mapped with IOVA = guest-physical address through
 * a fake IOMMU (type1 and iommufd ioctls recorded behind the vfio_sys seam);
 * p2p=off; a refused map warned (device, BAR, address, errno) and not
 * fatal; unmaps when a BAR goes or comes back elsewhere, none when it
 * comes back where it was.  The GPUDirect clique capability in the
 * guest's config space, byte for byte, and the input it refuses.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bar_layout.h"
#include "config_shadow.h"
#include "mmio_plan.h"
#include "nv_clique.h"
#include "p2p.h"
#include "spec.h"
#include "uapi_compat.h"
#include "vm.h"
#include "helpers/fake_vfio.h"

#define GiB (1ULL << 30)
#define TiB (1ULL << 40)
#define MiB (1ULL << 20)
#define MAXMAPS 256
#define CONTAINER_FD 1000
#define IOMMUFD 1001

/* The fake IOMMU: what was mapped, and an errno to refuse maps with. */
struct fake_iommu {
	struct vfio_sys sys;
	unsigned int nr_map, nr_unmap, nr_other;
	struct {
		uint64_t iova, size, va;
		bool live;
	} map[MAXMAPS];
	int fail_map; /* 0, or the negative errno every map returns */
	unsigned int nr_asked; /* map calls, failed ones too */
};

static int fi_find(struct fake_iommu *f, uint64_t iova, uint64_t size)
{
	for (unsigned int i = 0; i < f->nr_map; i++)
		if (f->map[i].live && f->map[i].iova == iova && f->map[i].size == size)
			return (int)i;
	return -1;
}

static int fi_map(struct fake_iommu *f, uint64_t iova, uint64_t size, uint64_t va)
{
	f->nr_asked++;
	if (f->fail_map)
		return f->fail_map;
	assert_true(f->nr_map < MAXMAPS);
	f->map[f->nr_map].iova = iova;
	f->map[f->nr_map].size = size;
	f->map[f->nr_map].va = va;
	f->map[f->nr_map].live = true;
	f->nr_map++;
	return 0;
}

static int fi_unmap(struct fake_iommu *f, uint64_t iova, uint64_t size)
{
	int i = fi_find(f, iova, size);

	if (i < 0)
		return -ENOENT;
	f->map[i].live = false;
	f->nr_unmap++;
	return 0;
}

static int fi_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	struct fake_iommu *f = ctx;

	if (fd == CONTAINER_FD && req == VFIO_IOMMU_MAP_DMA) {
		struct vfio_iommu_type1_dma_map *m = arg;

		assert_int_equal(m->flags, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
		return fi_map(f, m->iova, m->size, m->vaddr);
	}
	if (fd == CONTAINER_FD && req == VFIO_IOMMU_UNMAP_DMA) {
		struct vfio_iommu_type1_dma_unmap *u = arg;

		return fi_unmap(f, u->iova, u->size);
	}
	if (fd == IOMMUFD && req == IOMMU_IOAS_MAP) {
		struct iommu_ioas_map *m = arg;

		assert_int_equal(m->ioas_id, 7);
		assert_true(m->flags & IOMMU_IOAS_MAP_FIXED_IOVA);
		return fi_map(f, m->iova, m->length, m->user_va);
	}
	if (fd == IOMMUFD && req == IOMMU_IOAS_UNMAP) {
		struct iommu_ioas_unmap *u = arg;

		return fi_unmap(f, u->iova, u->length);
	}
	f->nr_other++;
	return -ENOTTY;
}

static const struct vfio_sys_ops fi_ops = {.ioctl = fi_ioctl};

static void fi_init(struct fake_iommu *f, struct vfio_iommu *io, enum vfio_backend kind)
{
	memset(f, 0, sizeof(*f));
	f->sys.ops = &fi_ops;
	f->sys.ctx = f;
	memset(io, 0, sizeof(*io));
	io->sys = &f->sys;
	io->kind = kind;
	io->container_fd = kind == VFIO_BACKEND_TYPE1 ? CONTAINER_FD : -1;
	io->iommufd = kind == VFIO_BACKEND_IOMMUFD ? IOMMUFD : -1;
	io->ioas_id = 7;
	/* what a 48-bit IOMMU reports: all but the MSI window */
	io->range[0].start = 0;
	io->range[0].last = 0xfedfffff;
	io->range[1].start = 0xfef00000;
	io->range[1].last = (1ULL << 48) - 1;
	io->nr_ranges = 2;
}

/* tests/data/gpu-h200/NAME, found from this file's path (run from the repository root) */
static size_t read_fixture(const char *name, void *buf, size_t size)
{
	char path[512];
	const char *slash = strrchr(__FILE__, '/');
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%.*s/../data/gpu-h200/%s",
		 slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".", name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open the fixture %s (run from the repository root)", path);
	n = fread(buf, 1, size, f);
	fclose(f);
	return n;
}

static void h200_dev(struct mmio_plan_dev *d, unsigned int k)
{
	char text[1024];
	size_t n = read_fixture("resource", text, sizeof(text) - 1);

	text[n] = '\0';
	assert_int_equal(mmio_plan_dev_from_resource(text, d), 3);
	snprintf(d->name, sizeof(d->name), "vfio 0000:%02x:00.0", 0x17 + k);
}

/*
 * The H200's BAR layouts as vfvm cuts them: BAR0 (16 MiB) with the MSI-X
 * table and PBA pages trapped (the kernel's sparse mmap leaves them out),
 * BAR2 (256 GiB) and BAR4 (32 MiB) whole.
 */
static void h200_layouts(const struct mmio_plan_dev *d, struct vfio_bar_layout *l)
{
	const struct vfio_bar_trap traps[] = {{0xb90000, 0x1000}, {0xba0000, 0x1000}};
	struct errinfo e = {0};

	memset(l, 0, sizeof(*l) * VFIO_CFG_NR_BARS);
	for (int bar = 0; bar < VFIO_CFG_NR_BARS; bar++) {
		struct vfio_region r = {0};

		if (!d->bar_size[bar])
			continue;
		r.size = d->bar_size[bar];
		r.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
			  VFIO_REGION_INFO_FLAG_MMAP;
		assert_int_equal(vfio_bar_layout_build(&r, r.size, false, traps, bar == 0 ? 2 : 0,
						       4096, &l[bar], &e),
				 0);
	}
}

struct warn_log {
	unsigned int n;
	char last[512];
};

static void on_warn(void *opaque, enum vlog_level level, const char *msg)
{
	struct warn_log *w = opaque;

	if (level > VLOG_WARN)
		return;
	w->n++;
	snprintf(w->last, sizeof(w->last), "%s", msg);
}

/* Host address of a piece: only passed to the IOMMU, never touched. */
static void *fake_hva(unsigned int k, int bar, uint64_t off)
{
	return (void *)(uintptr_t)((0x100000000000ULL * (k + 1)) + ((uint64_t)bar << 40) + off);
}

struct gpus {
	struct mmio_plan plan;
	struct vfio_bar_layout layout[8][VFIO_CFG_NR_BARS];
	struct vfio_p2p p2p[8];
	unsigned int nr;
};

static void place(struct gpus *g, unsigned int nr)
{
	struct mmio_plan_dev d[8] = {0};
	struct mmio_plan_in in = {
		.dev = d,
		.nr_dev = nr,
		.ram_top = vm_ram_top(TiB),
		.phys_bits = 46,
	};
	struct errinfo e = {0};

	g->nr = nr;
	for (unsigned int k = 0; k < nr; k++) {
		h200_dev(&d[k], k);
		h200_layouts(&d[k], g->layout[k]);
	}
	assert_int_equal(mmio_plan_build(&in, &g->plan, &e), 0);
}

/* What vp_bar_activate() does for every mapped piece of every BAR. */
static unsigned int map_all(struct gpus *g, struct vfio_iommu *io, struct vlog *log)
{
	unsigned int pieces = 0;

	for (unsigned int k = 0; k < g->nr; k++)
		for (int bar = 0; bar < VFIO_CFG_NR_BARS; bar++) {
			const struct vfio_bar_layout *l = &g->layout[k][bar];
			uint64_t gpa = g->plan.bar_gpa[k][bar];

			for (unsigned int i = 0; i < l->nr; i++) {
				if (!l->piece[i].map)
					continue;
				pieces++;
				vfio_p2p_map(&g->p2p[k], io, bar, i, gpa + l->piece[i].off,
					     l->piece[i].size, fake_hva(k, bar, l->piece[i].off),
					     log);
			}
		}
	return pieces;
}

static void check_maps(struct gpus *g, struct fake_iommu *f, unsigned int pieces)
{
	unsigned int seen = 0;

	assert_int_equal(f->nr_map, pieces);
	for (unsigned int k = 0; k < g->nr; k++) {
		uint64_t bar2 = g->plan.bar_gpa[k][2];

		/* the 256 GiB BAR naturally aligned, one mapping covering all of it */
		assert_int_equal(bar2 & (256 * GiB - 1), 0);
		assert_true(fi_find(f, bar2, 256 * GiB) >= 0);
		assert_int_equal(g->p2p[k].nr_mapped, g->p2p[k].nr_maps);
		for (int bar = 0; bar < VFIO_CFG_NR_BARS; bar++) {
			const struct vfio_bar_layout *l = &g->layout[k][bar];

			for (unsigned int i = 0; i < l->nr; i++) {
				uint64_t iova = g->plan.bar_gpa[k][bar] + l->piece[i].off;
				int m = fi_find(f, iova, l->piece[i].size);

				if (!l->piece[i].map) {
					/* the trapped MSI-X pages are not RAM of the device */
					assert_int_equal(m, -1);
					continue;
				}
				/* IOVA = guest-physical address, VA = the piece's mapping */
				assert_true(m >= 0);
				assert_int_equal(f->map[m].va,
						 (uintptr_t)fake_hva(k, bar, l->piece[i].off));
				assert_true(g->p2p[k].piece[bar][i].mapped);
				assert_int_equal(g->p2p[k].piece[bar][i].iova, iova);
				seen++;
			}
		}
	}
	assert_int_equal(seen, pieces);
}

static void p2p_maps(unsigned int nr, enum vfio_backend kind)
{
	struct gpus *g = calloc(1, sizeof(*g));
	struct fake_iommu f;
	struct vfio_iommu io;
	struct warn_log w = {0};
	struct vlog log;
	unsigned int pieces;

	assert_non_null(g);
	vlog_init(&log);
	log.cb = on_warn;
	log.opaque = &w;
	fi_init(&f, &io, kind);
	place(g, nr);
	for (unsigned int k = 0; k < nr; k++) {
		char bdf[16];

		snprintf(bdf, sizeof(bdf), "0000:%02x:00.0", 0x17 + k);
		vfio_p2p_init(&g->p2p[k], bdf, true);
	}
	pieces = map_all(g, &io, &log);
	/* BAR0 in 3 mapped pieces around the two trapped pages, BAR2, BAR4 */
	assert_int_equal(pieces, nr * 5);
	check_maps(g, &f, pieces);
	assert_int_equal(w.n, 0);
	assert_int_equal(f.nr_other, 0);

	/* the guest moves GPU 0's BAR4: the old mapping goes, the new one comes */
	{
		const struct vfio_bar_layout *l = &g->layout[0][4];
		uint64_t old = g->plan.bar_gpa[0][4], moved = old + 64 * GiB;

		vfio_p2p_unmap(&g->p2p[0], &io, 4, 0, &log);
		assert_int_equal(fi_find(&f, old, l->piece[0].size), -1);
		assert_int_equal(f.nr_unmap, 1);
		assert_int_equal(vfio_p2p_map(&g->p2p[0], &io, 4, 0, moved, l->piece[0].size,
					      fake_hva(0, 4, 0), &log),
				 0);
		assert_true(fi_find(&f, moved, l->piece[0].size) >= 0);
		/* mapping a mapped piece again replaces it */
		assert_int_equal(vfio_p2p_map(&g->p2p[0], &io, 4, 0, old, l->piece[0].size,
					      fake_hva(0, 4, 0), &log),
				 0);
		assert_int_equal(fi_find(&f, moved, l->piece[0].size), -1);
		assert_int_equal(g->p2p[0].nr_mapped, 5);
	}
	/*
	 * The guest turns decode off and on (Linux sizing a BAR) and the BAR
	 * comes back where it was: the 256 GiB map stays, nothing is asked of
	 * the IOMMU; back at another address, the old map goes.
	 */
	{
		uint64_t gpa = g->plan.bar_gpa[0][2];
		unsigned int maps = f.nr_map, unmaps = f.nr_unmap;

		vfio_p2p_moved(&g->p2p[0], &io, 2, 0, gpa, &log);
		assert_int_equal(f.nr_map, maps);
		assert_int_equal(f.nr_unmap, unmaps);
		assert_true(g->p2p[0].piece[2][0].mapped);
		assert_true(fi_find(&f, gpa, 256 * GiB) >= 0);
		vfio_p2p_moved(&g->p2p[0], &io, 2, 0, gpa + 256 * GiB, &log);
		assert_int_equal(f.nr_unmap, unmaps + 1);
		assert_false(g->p2p[0].piece[2][0].mapped);
		assert_int_equal(fi_find(&f, gpa, 256 * GiB), -1);
		assert_int_equal(g->p2p[0].nr_mapped, 4);
		/* out of range: nothing */
		vfio_p2p_moved(&g->p2p[0], &io, VFIO_CFG_NR_BARS, 0, gpa, &log);
		vfio_p2p_moved(&g->p2p[0], &io, 2, VFIO_BAR_MAX_PIECES, gpa, &log);
		assert_int_equal(f.nr_unmap, unmaps + 1);
		assert_int_equal(vfio_p2p_map(&g->p2p[0], &io, 2, 0, gpa, 256 * GiB,
					      fake_hva(0, 2, 0), &log),
				 0);
		assert_int_equal(g->p2p[0].nr_mapped, 5);
	}
	/* unplug / teardown: every mapping of every device goes */
	for (unsigned int k = 0; k < nr; k++) {
		vfio_p2p_unmap_all(&g->p2p[k], &io, &log);
		assert_int_equal(g->p2p[k].nr_mapped, 0);
	}
	for (unsigned int i = 0; i < f.nr_map; i++)
		assert_false(f.map[i].live);
	assert_int_equal(w.n, 0);
	vlog_exit(&log);
	free(g);
}

static void one_h200_type1(void **state)
{
	(void)state;
	p2p_maps(1, VFIO_BACKEND_TYPE1);
}

static void eight_h200_type1(void **state)
{
	(void)state;
	p2p_maps(8, VFIO_BACKEND_TYPE1);
}

static void eight_h200_iommufd(void **state)
{
	(void)state;
	p2p_maps(8, VFIO_BACKEND_IOMMUFD);
}

static void p2p_off(void **state)
{
	struct gpus *g = calloc(1, sizeof(*g));
	struct fake_iommu f;
	struct vfio_iommu io;
	struct vfio_pci_spec s;
	struct errinfo e = {0};

	(void)state;
	assert_non_null(g);
	assert_int_equal(vfio_pci_spec_parse("0000:17:00.0,p2p=off", &s, &e), 0);
	assert_true(s.no_p2p);
	fi_init(&f, &io, VFIO_BACKEND_TYPE1);
	place(g, 2);
	/* GPU 0 with p2p=off, GPU 1 as by default */
	vfio_p2p_init(&g->p2p[0], s.bdf, !s.no_p2p);
	assert_int_equal(vfio_pci_spec_parse("0000:18:00.0", &s, &e), 0);
	assert_false(s.no_p2p);
	vfio_p2p_init(&g->p2p[1], s.bdf, !s.no_p2p);
	assert_int_equal(map_all(g, &io, NULL), 10);
	assert_int_equal(f.nr_map, 5);
	assert_int_equal(g->p2p[0].nr_mapped, 0);
	assert_int_equal(g->p2p[1].nr_mapped, 5);
	for (unsigned int i = 0; i < f.nr_map; i++)
		assert_true(f.map[i].iova < g->plan.bar_gpa[0][2] ||
			    f.map[i].iova >= g->plan.bar_gpa[0][2] + 256 * GiB);
	free(g);
}

static void map_refused(void **state)
{
	struct gpus *g = calloc(1, sizeof(*g));
	struct fake_iommu f;
	struct vfio_iommu io;
	struct warn_log w = {0};
	struct vlog log;
	char want[128];

	(void)state;
	assert_non_null(g);
	vlog_init(&log);
	log.cb = on_warn;
	log.opaque = &w;
	fi_init(&f, &io, VFIO_BACKEND_IOMMUFD);
	place(g, 1);
	vfio_p2p_init(&g->p2p[0], "0000:17:00.0", true);
	/*
	 * iommufd without dma-buf support cannot pin a BAR's PFNMAP range:
	 * the first piece is asked and warned, the device's others are not
	 */
	f.fail_map = -EFAULT;
	assert_int_equal(map_all(g, &io, &log), 5);
	assert_int_equal(f.nr_asked, 1);
	assert_true(g->p2p[0].refused);
	assert_int_equal(g->p2p[0].nr_failed, 1);
	assert_int_equal(g->p2p[0].nr_mapped, 0);
	assert_int_equal(g->p2p[0].last_err, EFAULT);
	assert_int_equal(w.n, 1);
	/* the one tried: the first mapped piece (BAR0), named with its address and the errno */
	snprintf(want, sizeof(want), "0000:17:00.0: BAR0 at 0x%llx",
		 (unsigned long long)g->plan.bar_gpa[0][0]);
	assert_non_null(strstr(w.last, want));
	assert_non_null(strstr(w.last, strerror(EFAULT)));
	assert_non_null(strstr(w.last, "iommufd"));
	assert_non_null(strstr(w.last, "no other BAR is tried"));

	/* another errno is per piece: each one asked and warned */
	vfio_p2p_init(&g->p2p[0], "0000:17:00.0", true);
	f.fail_map = -ENOMEM;
	f.nr_asked = 0;
	w.n = 0;
	assert_int_equal(map_all(g, &io, &log), 5);
	assert_int_equal(f.nr_asked, 5);
	assert_false(g->p2p[0].refused);
	assert_int_equal(g->p2p[0].nr_failed, 5);
	assert_int_equal(w.n, 5);
	snprintf(want, sizeof(want), "0000:17:00.0: BAR4 at 0x%llx",
		 (unsigned long long)g->plan.bar_gpa[0][4]);
	assert_non_null(strstr(w.last, want));
	assert_non_null(strstr(w.last, strerror(ENOMEM)));

	/* outside the usable IOVA ranges: refused without asking the kernel */
	f.fail_map = 0;
	io.range[1].last = g->plan.bar_gpa[0][2] - 1;
	assert_int_equal(vfio_p2p_map(&g->p2p[0], &io, 2, 0, g->plan.bar_gpa[0][2], 256 * GiB,
				      fake_hva(0, 2, 0), &log),
			 -ERANGE);
	assert_int_equal(f.nr_map, 0);
	assert_non_null(strstr(w.last, "BAR2"));
	assert_non_null(strstr(w.last, "usable IOVA"));
	/* nothing mapped, nothing to unmap */
	vfio_p2p_unmap_all(&g->p2p[0], &io, &log);
	assert_int_equal(f.nr_unmap, 0);
	vlog_exit(&log);
	free(g);
}

/* The H200's config space behind a fake device; BAR regions without memory. */
static void h200_cfg(struct fake_vfio *f, struct vfio_device *dev, struct vfio_cfg *c,
		     uint16_t vendor, uint8_t base_class)
{
	uint8_t *cfg;
	struct errinfo e = {0};

	fake_vfio_init(f, 0x10de, 0x2335, 0x030200);
	cfg = f->region[VFIO_PCI_CONFIG_REGION_INDEX].mem;
	assert_int_equal(read_fixture("config.bin", cfg, 4096), 4096);
	cfg[PCI_VENDOR_ID] = vendor & 0xff;
	cfg[PCI_VENDOR_ID + 1] = vendor >> 8;
	cfg[PCI_CLASS_DEVICE + 1] = base_class;
	f->region[0].size = 16 * MiB;
	f->region[2].size = 256 * GiB;
	f->region[4].size = 32 * MiB;
	for (int i = 0; i < 6; i += 2)
		f->region[i].flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
				     VFIO_REGION_INFO_FLAG_MMAP;
	f->irq_count[VFIO_PCI_MSIX_IRQ_INDEX] = 9;
	assert_int_equal(vfio_device_setup(dev, &f->sys, f->fd, "0000:17:00.0", &e), 0);
	f->fd = -1;
	assert_int_equal(vfio_cfg_init(c, dev, VFIO_ROM_OFF, 0, NULL, NULL, &e), 0);
}

static void clique_cap(void **state)
{
	struct fake_vfio f;
	struct vfio_device dev;
	struct vfio_cfg *c = calloc(1, sizeof(*c));
	struct errinfo e = {0};
	const uint8_t want[8] = {PCI_CAP_ID_VNDR, 0x40, 8, 'P', '2', 'P', 5 << 3, 0};
	uint32_t off, ids = 0;
	int n = 0;

	(void)state;
	assert_non_null(c);
	h200_cfg(&f, &dev, c, 0x10de, 0x03);
	/* the H200's chain: PM 0x40, MSI 0x48, PCIe 0x60, MSI-X 0xb0; 0xc8 is free */
	assert_int_equal(vfio_cfg_read(c, PCI_CAPABILITY_LIST, 1), 0x40);
	assert_int_equal(vfio_nv_clique_add(c, "0000:17:00.0", 5, &e), 0xc8);
	for (int i = 0; i < 8; i++)
		assert_int_equal(vfio_cfg_read(c, 0xc8 + i, 1), want[i]);
	/* as dwords, the way drivers read it */
	assert_int_equal(vfio_cfg_read(c, 0xc8, 4), 0x50084009);
	assert_int_equal(vfio_cfg_read(c, 0xcc, 4), 0x00285032);
	/* first in the chain, the device's own capabilities after it */
	assert_int_equal(vfio_cfg_read(c, PCI_CAPABILITY_LIST, 1), 0xc8);
	for (off = vfio_cfg_read(c, PCI_CAPABILITY_LIST, 1); off && n < 16;
	     off = vfio_cfg_read(c, off + 1, 1), n++)
		ids = ids << 8 | vfio_cfg_read(c, off, 1);
	assert_int_equal(n, 5);
	/* the last four ids walked (the first, 0x09 at 0xc8, is checked above) */
	assert_int_equal(ids, (uint32_t)PCI_CAP_ID_PM << 24 | PCI_CAP_ID_MSI << 16 |
				      PCI_CAP_ID_EXP << 8 | PCI_CAP_ID_MSIX);
	/* read-only: a guest write changes nothing and never reaches the device */
	f.nr_cfg_writes = 0;
	vfio_cfg_write(c, 0xc8, 4, 0xffffffff);
	vfio_cfg_write(c, 0xcc, 4, 0);
	assert_int_equal(vfio_cfg_read(c, 0xcc, 4), 0x00285032);
	assert_int_equal(f.nr_cfg_writes, 0);

	/* a second one finds 0xc8 taken: 0xd4, QEMU's fallback for MSI-X at 0xc8 */
	assert_int_equal(vfio_nv_clique_add(c, "0000:17:00.0", 15, &e), 0xd4);
	assert_int_equal(vfio_cfg_read(c, 0xd4 + 6, 1), 15 << 3);
	assert_int_equal(vfio_cfg_read(c, 0xd4 + 1, 1), 0xc8);
	/* and a third has no place left */
	assert_int_equal(vfio_nv_clique_add(c, "0000:17:00.0", 1, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "0xc8 and 0xd4"));
	vfio_device_close(&dev);
	fake_vfio_free(&f);
	free(c);
}

static void clique_refused(void **state)
{
	struct fake_vfio f;
	struct vfio_device dev;
	struct vfio_cfg *c = calloc(1, sizeof(*c));
	struct vfio_pci_spec s;
	struct errinfo e = {0};
	static const char *const bad[] = {"16", "-1", "x", "", "1x", "99999999999999999999"};

	(void)state;
	assert_non_null(c);
	/* not NVIDIA: refused, naming the vendor */
	h200_cfg(&f, &dev, c, 0x1002, 0x03);
	assert_int_equal(vfio_nv_clique_add(c, "0000:17:00.0", 1, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "0000:17:00.0"));
	assert_non_null(strstr(e.msg, "NVIDIA"));
	assert_non_null(strstr(e.msg, "0x1002"));
	assert_int_equal(vfio_cfg_read(c, PCI_CAPABILITY_LIST, 1), 0x40);
	assert_int_equal(vfio_cfg_read(c, 0xc8, 4), 0);
	vfio_device_close(&dev);
	fake_vfio_free(&f);

	/* NVIDIA but no GPU (an NVSwitch is a bridge, class 0x06) */
	h200_cfg(&f, &dev, c, 0x10de, 0x06);
	assert_int_equal(vfio_nv_clique_add(c, "0000:17:00.0", 1, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "class"));
	assert_int_equal(vfio_nv_clique_add(c, "0000:17:00.0", 16, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "0-15"));
	vfio_device_close(&dev);
	fake_vfio_free(&f);
	free(c);

	/* the option */
	assert_int_equal(vfio_pci_spec_parse("0000:17:00.0", &s, &e), 0);
	assert_int_equal(s.clique, -1);
	assert_int_equal(vfio_pci_spec_parse("0000:17:00.0,gpudirect-clique=0", &s, &e), 0);
	assert_int_equal(s.clique, 0);
	assert_int_equal(vfio_pci_spec_parse("0000:17:00.0,gpudirect-clique=15,p2p=on", &s, &e), 0);
	assert_int_equal(s.clique, 15);
	assert_false(s.no_p2p);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char spec[128];

		snprintf(spec, sizeof(spec), "0000:17:00.0,gpudirect-clique=%s", bad[i]);
		err_clear(&e);
		assert_int_equal(vfio_pci_spec_parse(spec, &s, &e), -EINVAL);
		assert_non_null(strstr(e.msg, "gpudirect-clique"));
		assert_non_null(strstr(e.msg, "0-15"));
	}
	assert_int_equal(vfio_pci_spec_parse("0000:17:00.0,p2p=maybe", &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "p2p=maybe"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_h200_type1),     cmocka_unit_test(eight_h200_type1),
		cmocka_unit_test(eight_h200_iommufd), cmocka_unit_test(p2p_off),
		cmocka_unit_test(map_refused),	      cmocka_unit_test(clique_cap),
		cmocka_unit_test(clique_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
