// SPDX-License-Identifier: GPL-2.0-only
/* BAR layout (mapped vs trapped pieces) and the VFIO device wrapper. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/pci.h>

#include "bar_layout.h"
#include "pdev.h"
#include "helpers/fake_vfio.h"

static void check_piece(const struct vfio_bar_layout *l, unsigned int i, uint64_t off,
			uint64_t size, bool map)
{
	assert_true(i < l->nr);
	assert_true(l->piece[i].off == off);
	assert_true(l->piece[i].size == size);
	assert_int_equal(l->piece[i].map, map);
}

static void nvme_pdev(struct fake_vfio *f, struct fake_irq *fi, struct vfio_device *dev,
		      struct vfio_pdev *p, bool mappable)
{
	struct vfio_pdev_opts o = {.intx_gsi = -1, .page_size = 4096};
	struct irq_source irq;
	struct errinfo e = {0};

	fake_vfio_nvme_vf(f, 16, mappable);
	fake_irq_init(fi, &irq);
	assert_int_equal(vfio_device_setup(dev, &f->sys, f->fd, "0000:01:00.2", &e), 0);
	f->fd = -1;
	assert_int_equal(vfio_pdev_init(p, dev, &irq, &o, &e), 0);
}

static void done(struct fake_vfio *f, struct vfio_device *dev, struct vfio_pdev *p)
{
	vfio_pdev_exit(p);
	vfio_device_close(dev);
	fake_vfio_free(f);
}

/* QEMU's NVMe VF: registers at +0 stay mapped, only table and PBA pages trap. */
static void test_nvme_vf_shared_bar(void **state)
{
	struct fake_vfio *f = calloc(1, sizeof(*f));
	struct fake_irq *fi = calloc(1, sizeof(*fi));
	struct vfio_device dev;
	struct vfio_pdev p;
	const struct vfio_bar_layout *l = &p.layout[0];
	uint32_t v;

	(void)state;
	nvme_pdev(f, fi, &dev, &p, false);
	assert_int_equal(l->nr, 2);
	check_piece(l, 0, 0, 0x2000, true);
	check_piece(l, 1, 0x2000, 0x2000, false);
	assert_true(vfio_bar_layout_mapped(l) == 0x2000);
	/* the registers are reachable through the trap path too (e.g. a 4 KiB-page miss) */
	vfio_pdev_bar_access(&p, 0, 0x08, (uint8_t *)&v, 4, false);
	assert_int_equal(v, 0x00010400);
	/* a table write never reaches the device; a write beside the PBA does */
	v = 0x12345678;
	vfio_pdev_bar_access(&p, 0, 0x2000, (uint8_t *)&v, 4, true);
	assert_int_equal(f->nr_bar_writes, 0);
	vfio_pdev_bar_access(&p, 0, 0x3800, (uint8_t *)&v, 4, true);
	assert_int_equal(f->nr_bar_writes, 1);
	assert_memory_equal(f->region[0].mem + 0x3800, &v, 4);
	assert_int_equal(f->nr_oob, 0);
	done(f, &dev, &p);
	free(f);
	free(fi);
}

static void test_nvme_vf_msix_mappable(void **state)
{
	struct fake_vfio *f = calloc(1, sizeof(*f));
	struct fake_irq *fi = calloc(1, sizeof(*fi));
	struct vfio_device dev;
	struct vfio_pdev p;
	const struct vfio_bar_layout *l = &p.layout[0];

	(void)state;
	nvme_pdev(f, fi, &dev, &p, true);
	assert_true(dev.region[0].msix_mappable);
	assert_int_equal(dev.region[0].nr_sparse, 2);
	assert_int_equal(l->nr, 3);
	check_piece(l, 0, 0, 0x2000, true);
	check_piece(l, 1, 0x2000, 0x1000, false);
	check_piece(l, 2, 0x3000, 0x1000, true);
	done(f, &dev, &p);
	free(f);
	free(fi);
}

static void test_layout_rules(void **state)
{
	struct vfio_region r = {.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
					 VFIO_REGION_INFO_FLAG_MMAP,
				.size = 0x10000};
	struct vfio_bar_trap t[2] = {{0x8010, 0x40}, {0x8800, 8}};
	struct vfio_bar_layout l;
	struct errinfo e;

	(void)state;
	/* no sparse cap: whole region mappable; table and PBA share one page */
	assert_int_equal(vfio_bar_layout_build(&r, 0x10000, false, t, 2, 4096, &l, &e), 0);
	assert_int_equal(l.nr, 3);
	check_piece(&l, 0, 0, 0x8000, true);
	check_piece(&l, 1, 0x8000, 0x1000, false);
	check_piece(&l, 2, 0x9000, 0x7000, true);

	/* not mmap-able: one trapped piece */
	r.flags &= ~VFIO_REGION_INFO_FLAG_MMAP;
	assert_int_equal(vfio_bar_layout_build(&r, 0x10000, false, NULL, 0, 4096, &l, &e), 0);
	assert_int_equal(l.nr, 1);
	check_piece(&l, 0, 0, 0x10000, false);

	/* I/O BAR: always trapped */
	r.flags |= VFIO_REGION_INFO_FLAG_MMAP;
	r.size = 0x20;
	assert_int_equal(vfio_bar_layout_build(&r, 0x20, true, NULL, 0, 4096, &l, &e), 0);
	assert_int_equal(l.nr, 1);
	assert_false(l.piece[0].map);

	/* smaller than a page: cannot be a memslot */
	r.size = 0x100;
	assert_int_equal(vfio_bar_layout_build(&r, 0x100, false, NULL, 0, 4096, &l, &e), 0);
	assert_int_equal(l.nr, 1);
	assert_false(l.piece[0].map);

	/* region smaller than the (rounded-up) BAR: the tail traps */
	r.size = 0x3000;
	assert_int_equal(vfio_bar_layout_build(&r, 0x4000, false, NULL, 0, 4096, &l, &e), 0);
	assert_int_equal(l.nr, 2);
	check_piece(&l, 0, 0, 0x3000, true);
	check_piece(&l, 1, 0x3000, 0x1000, false);

	/* sparse areas not page aligned: only whole pages inside them map */
	r.size = 0x10000;
	r.has_sparse = true;
	r.nr_sparse = 2;
	r.sparse[0].offset = 0x800;
	r.sparse[0].size = 0x2800; /* 0x800-0x3000: pages 0x1000-0x3000 */
	r.sparse[1].offset = 0x8000;
	r.sparse[1].size = 0x8000;
	assert_int_equal(vfio_bar_layout_build(&r, 0x10000, false, NULL, 0, 4096, &l, &e), 0);
	assert_int_equal(l.nr, 4);
	check_piece(&l, 0, 0, 0x1000, false);
	check_piece(&l, 1, 0x1000, 0x2000, true);
	check_piece(&l, 2, 0x3000, 0x5000, false);
	check_piece(&l, 3, 0x8000, 0x8000, true);

	/* sparse cap with no areas: nothing may be mapped */
	r.nr_sparse = 0;
	assert_int_equal(vfio_bar_layout_build(&r, 0x10000, false, NULL, 0, 4096, &l, &e), 0);
	assert_int_equal(vfio_bar_layout_mapped(&l), 0);
}

static void test_pieces_cover_bar(void **state)
{
	struct vfio_region r = {.flags = VFIO_REGION_INFO_FLAG_MMAP, .size = 1 << 20};
	struct vfio_bar_layout l;
	struct errinfo e;
	uint32_t seed = 7;

	(void)state;
	for (int iter = 0; iter < 2000; iter++) {
		struct vfio_bar_trap t[2];
		uint64_t pos = 0;

		r.has_sparse = iter & 1;
		r.nr_sparse = 0;
		for (int i = 0; r.has_sparse && i < 3; i++) {
			seed = seed * 1103515245 + 12345;
			r.sparse[i].offset = (seed >> 4) % (1 << 20);
			seed = seed * 1103515245 + 12345;
			r.sparse[i].size = (seed >> 4) % ((1 << 20) - r.sparse[i].offset) + 1;
			r.nr_sparse++;
		}
		for (int i = 0; i < 2; i++) {
			seed = seed * 1103515245 + 12345;
			t[i].off = (seed >> 4) % (1 << 20);
			t[i].size = 16 * ((seed >> 24) % 64 + 1);
		}
		assert_int_equal(vfio_bar_layout_build(&r, 1 << 20, false, t, 2, 4096, &l, &e), 0);
		for (unsigned int i = 0; i < l.nr; i++) {
			/* contiguous, page aligned when mapped, never over a trap */
			assert_true(l.piece[i].off == pos);
			pos += l.piece[i].size;
			if (!l.piece[i].map)
				continue;
			assert_int_equal(l.piece[i].off % 4096, 0);
			assert_int_equal(l.piece[i].size % 4096, 0);
			for (int k = 0; k < 2; k++)
				assert_false(t[k].off < l.piece[i].off + l.piece[i].size &&
					     l.piece[i].off < t[k].off + t[k].size);
		}
		assert_true(pos == 1 << 20);
	}
}

static void test_mmap_aligned(void **state)
{
	int fd = memfd_create("bar", MFD_CLOEXEC);
	const uint64_t size = 4 << 20;
	int err = 0;
	uint8_t *p;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	p = vfio_bar_mmap_aligned(&vfio_sys_host, fd, 0, size, size, &err);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % size, 0);
	p[0] = 1;
	p[size - 1] = 2;
	munmap(p, size);
	/* a 12 KiB piece: aligned to 8 KiB, the largest power of two in it */
	p = vfio_bar_mmap_aligned(&vfio_sys_host, fd, 0x1000, 0x3000, 0x3000, &err);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % 0x2000, 0);
	assert_int_equal(p[0x2fff], 0); /* file offset 0x3fff: never written */
	munmap(p, 0x3000);
	close(fd);
}

static void test_region_caps_and_bounds(void **state)
{
	struct fake_vfio f;
	struct vfio_device dev;
	struct errinfo e = {0};
	uint8_t buf[16];

	(void)state;
	fake_vfio_nvme_vf(&f, 4, true);
	/* a bogus sparse area beyond the region is dropped */
	fake_vfio_sparse(&f, 0, 0x3000, 0x100000);
	assert_int_equal(vfio_device_setup(&dev, &f.sys, f.fd, "0000:01:00.3", &e), 0);
	f.fd = -1;
	assert_true(dev.region[0].has_sparse);
	assert_int_equal(dev.region[0].nr_sparse, 2);
	assert_true(dev.region[0].msix_mappable);
	assert_true(dev.region[0].size == 0x4000);
	/* reads past a region are refused before reaching the device */
	assert_int_equal(vfio_region_read(&dev, 0, 0x3ff8, buf, 16, &e), -ERANGE);
	assert_non_null(strstr(e.msg, "0000:01:00.3"));
	assert_int_equal(vfio_region_read(&dev, 3, 0, buf, 4, &e), -EACCES);
	assert_int_equal(vfio_region_read(&dev, 99, 0, buf, 4, &e), -EINVAL);
	assert_int_equal(f.nr_oob, 0);
	/* ERR and REQ eventfds */
	assert_int_equal(vfio_device_arm_err_req(&dev, &e), 0);
	assert_true(dev.err_efd >= 0 && dev.req_efd >= 0);
	assert_int_equal(f.last_set[VFIO_PCI_REQ_IRQ_INDEX].fds[0], dev.req_efd);
	vfio_device_close(&dev);
	fake_vfio_free(&f);
}

static void test_reset(void **state)
{
	struct fake_vfio f;
	struct vfio_device dev;
	struct errinfo e = {0};
	struct vfio_group_ref mine = {.id = 7, .fd = 42}, other = {.id = 8, .fd = 43};

	(void)state;
	fake_vfio_nvme_vf(&f, 4, false);
	assert_int_equal(vfio_device_setup(&dev, &f.sys, f.fd, "0000:01:00.1", &e), 0);
	f.fd = -1;
	/* FLR when the device has it */
	assert_int_equal(vfio_device_reset(&dev, NULL, 0, &e), 0);
	assert_int_equal(f.nr_resets, 1);
	assert_int_equal(f.nr_hot_resets, 0);
	/* without it: bus reset only when every affected group is ours */
	dev.flags &= ~VFIO_DEVICE_FLAGS_RESET;
	f.dev_flags &= ~VFIO_DEVICE_FLAGS_RESET;
	assert_int_equal(vfio_device_reset(&dev, &other, 1, &e), -EPERM);
	assert_non_null(strstr(e.msg, "group 7"));
	assert_int_equal(f.nr_hot_resets, 0);
	assert_int_equal(vfio_device_reset(&dev, &mine, 1, &e), 0);
	assert_int_equal(f.nr_hot_resets, 1);
	vfio_device_close(&dev);
	fake_vfio_free(&f);
}

static void test_not_pci(void **state)
{
	struct fake_vfio f;
	struct vfio_device dev;
	struct errinfo e = {0};

	(void)state;
	fake_vfio_init(&f, 1, 2, 0);
	f.dev_flags = VFIO_DEVICE_FLAGS_PLATFORM;
	assert_int_equal(vfio_device_setup(&dev, &f.sys, f.fd, "platform0", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "not a PCI device"));
	fake_vfio_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nvme_vf_shared_bar),
		cmocka_unit_test(test_nvme_vf_msix_mappable),
		cmocka_unit_test(test_layout_rules),
		cmocka_unit_test(test_pieces_cover_bar),
		cmocka_unit_test(test_mmap_aligned),
		cmocka_unit_test(test_region_caps_and_bounds),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_not_pci),
	};

	return cmocka_run_group_tests_name("vfio_bar", tests, NULL, NULL);
}
