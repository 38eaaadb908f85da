// SPDX-License-Identifier: GPL-2.0-only
/* Config-space shadow and capability filtering against a fake VFIO device. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/pci.h>

#include "config_shadow.h"
#include "pdev.h"
#include "helpers/fake_vfio.h"

struct fix {
	struct fake_vfio f;
	struct fake_irq fi;
	struct irq_source irq;
	struct vfio_device dev;
	struct vfio_pdev p;
	int bar_calls;
	int last_bar;
	uint64_t last_addr;
	bool last_on;
};

static void on_bar(void *opaque, int bar, uint64_t addr, bool on)
{
	struct fix *x = opaque;

	x->bar_calls++;
	x->last_bar = bar;
	x->last_addr = addr;
	x->last_on = on;
}

static void setup_pdev(struct fix *x, const struct vfio_pdev_opts *o)
{
	struct vfio_pdev_opts def = {.intx_gsi = 16, .page_size = 4096};
	struct errinfo e = {0};

	fake_irq_init(&x->fi, &x->irq);
	assert_int_equal(vfio_device_setup(&x->dev, &x->f.sys, x->f.fd, "0000:01:00.1", &e), 0);
	x->f.fd = -1; /* owned by dev now */
	if (!o)
		o = &def;
	def = *o;
	def.bar_update = on_bar;
	def.opaque = x;
	assert_int_equal(vfio_pdev_init(&x->p, &x->dev, &x->irq, &def, &e), 0);
}

static void teardown_pdev(struct fix *x)
{
	vfio_pdev_exit(&x->p);
	vfio_device_close(&x->dev);
	fake_vfio_free(&x->f);
}

static uint32_t rd(struct fix *x, uint32_t off, uint32_t len)
{
	return vfio_pdev_cfg_read(&x->p, off, len);
}

static void wr(struct fix *x, uint32_t off, uint32_t len, uint32_t v)
{
	vfio_pdev_cfg_write(&x->p, off, len, v);
}

static void test_ids_forwarded(void **state)
{
	struct fix *x = calloc(1, sizeof(*x));

	(void)state;
	fake_vfio_nvme_vf(&x->f, 8, false);
	setup_pdev(x, NULL);
	assert_int_equal(rd(x, PCI_VENDOR_ID, 2), 0x1b36);
	assert_int_equal(rd(x, PCI_DEVICE_ID, 2), 0x0010);
	assert_int_equal(rd(x, PCI_CLASS_REVISION, 4) >> 8, 0x010802);
	assert_int_equal(x->p.cfg.size, 4096);
	teardown_pdev(x);
	free(x);
}

static void test_bar_sizing(void **state)
{
	struct fix *x = calloc(1, sizeof(*x));

	(void)state;
	fake_vfio_nvme_vf(&x->f, 8, false);
	fake_vfio_bar(&x->f, 2, 0x100, PCI_BASE_ADDRESS_SPACE_IO, false);
	fake_vfio_bar(&x->f, 4, 0x100000, PCI_BASE_ADDRESS_MEM_PREFETCH, true);
	setup_pdev(x, NULL);
	/* BAR0: 64-bit, 16 KiB */
	assert_int_equal(rd(x, PCI_BASE_ADDRESS_0, 4), PCI_BASE_ADDRESS_MEM_TYPE_64);
	wr(x, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	wr(x, PCI_BASE_ADDRESS_1, 4, 0xffffffff);
	assert_int_equal(rd(x, PCI_BASE_ADDRESS_0, 4), 0xffffc004);
	assert_int_equal(rd(x, PCI_BASE_ADDRESS_1, 4), 0xffffffff);
	/* I/O BAR2 of 256 ports */
	wr(x, PCI_BASE_ADDRESS_2, 4, 0xffffffff);
	assert_int_equal(rd(x, PCI_BASE_ADDRESS_2, 4), 0xffffff01);
	/* unused BAR3 reads 0 whatever is written */
	wr(x, PCI_BASE_ADDRESS_3, 4, 0xffffffff);
	assert_int_equal(rd(x, PCI_BASE_ADDRESS_3, 4), 0);
	/* 32-bit prefetchable BAR4 of 1 MiB */
	wr(x, PCI_BASE_ADDRESS_4, 4, 0xffffffff);
	assert_int_equal(rd(x, PCI_BASE_ADDRESS_4, 4), 0xfff00008);
	/* the device's own BAR registers are never touched */
	assert_int_equal(fake_cfg32(&x->f, PCI_BASE_ADDRESS_0), PCI_BASE_ADDRESS_MEM_TYPE_64);
	assert_int_equal(fake_cfg32(&x->f, PCI_BASE_ADDRESS_4), PCI_BASE_ADDRESS_MEM_PREFETCH);
	/* ROM is off by default: sizing shows no ROM */
	wr(x, PCI_ROM_ADDRESS, 4, 0xfffff800);
	assert_int_equal(rd(x, PCI_ROM_ADDRESS, 4), 0);
	teardown_pdev(x);
	free(x);
}

static void test_bar_decode_callback(void **state)
{
	struct fix *x = calloc(1, sizeof(*x));

	(void)state;
	fake_vfio_nvme_vf(&x->f, 8, false);
	setup_pdev(x, NULL);
	wr(x, PCI_BASE_ADDRESS_0, 4, 0xfe000000);
	wr(x, PCI_BASE_ADDRESS_1, 4, 0x1);
	x->bar_calls = 0;
	wr(x, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(x->bar_calls, 1);
	assert_int_equal(x->last_bar, 0);
	assert_true(x->last_on);
	assert_true(x->last_addr == 0x1fe000000ULL);
	/* the command register reaches the device (bus master for DMA) */
	assert_int_equal(x->f.region[VFIO_PCI_CONFIG_REGION_INDEX].mem[PCI_COMMAND] &
				 (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER),
			 PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	/* sizing with decode on does not move the BAR to the sizing pattern */
	wr(x, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	wr(x, PCI_BASE_ADDRESS_1, 4, 0xffffffff);
	assert_false(x->last_on);
	wr(x, PCI_COMMAND, 2, 0);
	assert_false(x->last_on);
	teardown_pdev(x);
	free(x);
}

/* Walk the guest-visible standard chain; returns the number of caps. */
static int std_chain(struct fix *x, uint8_t *ids, int max)
{
	uint32_t off = rd(x, PCI_CAPABILITY_LIST, 1);
	int n = 0;

	while (off && n < max) {
		ids[n++] = (uint8_t)rd(x, off, 1);
		off = rd(x, off + 1, 1);
	}
	return n;
}

static int ext_chain(struct fix *x, uint16_t *ids, int max)
{
	uint32_t off = 0x100;
	int n = 0;

	while (off && n < max) {
		uint32_t h = rd(x, off, 4);

		if (!h)
			break;
		ids[n++] = PCI_EXT_CAP_ID(h);
		off = PCI_EXT_CAP_NEXT(h);
	}
	return n;
}

static void test_cap_filtering(void **state)
{
	struct fix *x = calloc(1, sizeof(*x));
	uint8_t ids[16];
	uint16_t eids[16];
	uint8_t pcix_body[6] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66};
	uint8_t pcix;
	uint16_t sriov;
	int n;

	(void)state;
	fake_vfio_nvme_vf(&x->f, 8, false);
	pcix = fake_vfio_cap(&x->f, PCI_CAP_ID_PCIX, pcix_body, sizeof(pcix_body));
	fake_vfio_cap(&x->f, PCI_CAP_ID_VNDR, pcix_body, 4);
	x->f.cfg_wmask[pcix + 2] = 0xff;
	sriov = 0x100 + 8 + 12; /* ARI (8 bytes) then DSN (12) then SR-IOV */
	setup_pdev(x, NULL);

	n = std_chain(x, ids, 16);
	assert_int_equal(n, 4);
	assert_int_equal(ids[0], PCI_CAP_ID_PM);
	assert_int_equal(ids[1], PCI_CAP_ID_EXP);
	assert_int_equal(ids[2], PCI_CAP_ID_MSIX);
	assert_int_equal(ids[3], PCI_CAP_ID_VNDR);
	/* the hidden PCI-X capability reads as zero and cannot be written */
	assert_int_equal(rd(x, pcix, 4), 0);
	wr(x, pcix + 2, 1, 0x00);
	assert_int_equal(x->f.region[VFIO_PCI_CONFIG_REGION_INDEX].mem[pcix + 2], 0x11);

	/* extended: ARI (hidden, at 0x100) -> DSN (kept) -> SR-IOV, REBAR (hidden) */
	n = ext_chain(x, eids, 16);
	assert_int_equal(n, 2);
	assert_int_equal(eids[0], 0); /* null header standing in for ARI */
	assert_int_equal(eids[1], PCI_EXT_CAP_ID_DSN);
	assert_int_equal(rd(x, sriov, 4), 0);
	assert_int_equal(rd(x, sriov + 8, 2), 0);
	/* SR-IOV control: a write must not reach the device */
	wr(x, sriov + 8, 2, 0xffff);
	assert_int_equal(fake_cfg32(&x->f, sriov + 8), 0x5a5a5a5a);
	/* the kept DSN body is forwarded */
	assert_int_equal(rd(x, 0x108 + 4, 4), 0x5a5a5a5a);
	assert_true(x->p.cfg.nr_hidden >= 4);
	teardown_pdev(x);
	free(x);
}

static void test_cap_loop_and_bad_pointers(void **state)
{
	struct fix *x = calloc(1, sizeof(*x));
	uint8_t pm[6] = {0};
	uint8_t *c;
	uint8_t ids[64];
	uint8_t off;

	(void)state;
	fake_vfio_init(&x->f, 0x8086, 0x10d3, 0x020000);
	fake_vfio_bar(&x->f, 0, 0x20000, 0, true);
	off = fake_vfio_cap(&x->f, PCI_CAP_ID_PM, pm, sizeof(pm));
	c = x->f.region[VFIO_PCI_CONFIG_REGION_INDEX].mem;
	c[off + 1] = off; /* points at itself */
	/* extended chain that loops back to 0x100 */
	c[0x100] = PCI_EXT_CAP_ID_ERR;
	c[0x103] = 0x10; /* next = 0x100 */
	setup_pdev(x, NULL);
	assert_int_equal(std_chain(x, ids, 64), 1);
	/* not PCIe: no extended config space at all */
	assert_int_equal(x->p.cfg.size, 256);
	assert_int_equal(rd(x, 0x100, 4), 0xffffffff);
	wr(x, 0x100, 4, 0);
	assert_int_equal(c[0x100], PCI_EXT_CAP_ID_ERR);
	teardown_pdev(x);
	free(x);
}

static void test_msix_cap_emulated(void **state)
{
	struct fix *x = calloc(1, sizeof(*x));
	uint8_t cap;

	(void)state;
	fake_vfio_nvme_vf(&x->f, 8, false);
	setup_pdev(x, NULL);
	cap = x->p.cfg.msix_cap;
	assert_true(cap != 0);
	assert_int_equal(rd(x, cap + PCI_MSIX_FLAGS, 2), 7);
	wr(x, cap + PCI_MSIX_FLAGS, 2, 0xffff);
	/* enable + function mask stick, the table size is read-only */
	assert_int_equal(rd(x, cap + PCI_MSIX_FLAGS, 2),
			 PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL | 7);
	/* the device's own capability is untouched: VFIO drives it */
	assert_int_equal(fake_cfg32(&x->f, cap) >> 16, 7);
	assert_int_equal(rd(x, cap + PCI_MSIX_TABLE, 4), 0x2000);
	wr(x, cap + PCI_MSIX_TABLE, 4, 0x12345678);
	assert_int_equal(rd(x, cap + PCI_MSIX_TABLE, 4), 0x2000);
	assert_true(x->p.msix.enabled);
	teardown_pdev(x);
	free(x);
}

static void test_msi_cap_emulated(void **state)
{
	struct fix *x = calloc(1, sizeof(*x));
	struct vfio_msi_state s;
	uint8_t cap;

	(void)state;
	fake_vfio_init(&x->f, 0x8086, 0x10d3, 0x020000);
	fake_vfio_bar(&x->f, 0, 0x20000, 0, true);
	cap = fake_vfio_msi(&x->f, 2, true, true);
	setup_pdev(x, NULL);
	assert_int_equal(x->p.cfg.msi_cap, cap);
	assert_int_equal(x->p.cfg.msi_nvec, 4);
	wr(x, cap + PCI_MSI_ADDRESS_LO, 4, 0xfee01003);
	wr(x, cap + PCI_MSI_ADDRESS_HI, 4, 0);
	wr(x, cap + PCI_MSI_DATA_64, 2, 0x4041);
	wr(x, cap + PCI_MSI_MASK_64, 4, 0xffffffff);
	wr(x, cap + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE | (2 << 4));
	vfio_cfg_msi_state(&x->p.cfg, &s);
	assert_true(s.enabled);
	assert_int_equal(s.nvec, 4);
	assert_true(s.addr == 0xfee01000ULL);
	assert_int_equal(s.data, 0x4041);
	assert_int_equal(s.mask, 0xf); /* only implemented vectors' bits */
	/* 64-bit + maskbit + MMC are read-only */
	assert_int_equal(rd(x, cap + PCI_MSI_FLAGS, 2) &
				 ~(PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE),
			 PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT | (2 << 1));
	/* device capability untouched */
	assert_int_equal(fake_cfg32(&x->f, cap + PCI_MSI_ADDRESS_LO), 0);
	/* VFIO got 4 MSI vectors, INTx was turned off first */
	assert_int_equal(x->f.last_set[VFIO_PCI_MSI_IRQ_INDEX].count, 4);
	assert_int_equal(x->f.last_set[VFIO_PCI_INTX_IRQ_INDEX].count, 0);
	teardown_pdev(x);
	free(x);
}

static void test_header_and_pin(void **state)
{
	struct fix *x = calloc(1, sizeof(*x));

	(void)state;
	fake_vfio_init(&x->f, 0x8086, 0x10d3, 0x020000);
	x->f.region[VFIO_PCI_CONFIG_REGION_INDEX].mem[PCI_HEADER_TYPE] = 0x80;
	fake_vfio_bar(&x->f, 0, 0x20000, 0, true);
	setup_pdev(x, NULL);
	assert_int_equal(rd(x, PCI_HEADER_TYPE, 1), 0);
	assert_int_equal(rd(x, PCI_INTERRUPT_PIN, 1), 1);
	wr(x, PCI_INTERRUPT_LINE, 1, 11);
	assert_int_equal(rd(x, PCI_INTERRUPT_LINE, 1), 11);
	teardown_pdev(x);
	free(x);
}

static void test_bridge_rejected(void **state)
{
	struct fake_vfio f;
	struct vfio_device dev;
	struct vfio_cfg c;
	struct errinfo e = {0};

	(void)state;
	fake_vfio_init(&f, 0x8086, 0x1234, 0x060400);
	f.region[VFIO_PCI_CONFIG_REGION_INDEX].mem[PCI_HEADER_TYPE] = 1;
	assert_int_equal(vfio_device_setup(&dev, &f.sys, f.fd, "0000:00:1c.0", &e), 0);
	f.fd = -1;
	assert_int_equal(vfio_cfg_init(&c, &dev, VFIO_ROM_OFF, 0, NULL, NULL, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "0000:00:1c.0"));
	vfio_device_close(&dev);
	fake_vfio_free(&f);
}

static void test_rom_file(void **state)
{
	struct fix *x = calloc(1, sizeof(*x));
	uint8_t img[3000];
	struct vfio_pdev_opts o = {.rom = VFIO_ROM_FILE,
				   .rom_image = img,
				   .rom_image_len = sizeof(img),
				   .intx_gsi = 16,
				   .page_size = 4096};
	uint8_t b[4];

	(void)state;
	for (size_t i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)i;
	img[0] = 0x55;
	img[1] = 0xaa;
	fake_vfio_init(&x->f, 0x8086, 0x10d3, 0x020000);
	fake_vfio_bar(&x->f, 0, 0x20000, 0, true);
	setup_pdev(x, &o);
	wr(x, PCI_ROM_ADDRESS, 4, 0xfffff800);
	assert_int_equal(rd(x, PCI_ROM_ADDRESS, 4), 0xfffff000); /* 4 KiB */
	vfio_pdev_rom_access(&x->p, 0, b, 2, false);
	assert_int_equal(b[0], 0x55);
	assert_int_equal(b[1], 0xaa);
	vfio_pdev_rom_access(&x->p, 4094, b, 4, false);
	assert_int_equal(b[0], 0xff);
	vfio_pdev_rom_access(&x->p, 0, b, 2, true); /* ROM writes are ignored */
	vfio_pdev_rom_access(&x->p, 0, b, 2, false);
	assert_int_equal(b[0], 0x55);
	teardown_pdev(x);
	free(x);
}

/* Any value at any offset/size: no crash, nothing outside the device reached. */
static void test_hostile_config_writes(void **state)
{
	struct fix *x = calloc(1, sizeof(*x));
	uint8_t *dev_cfg;
	uint8_t bars_before[24];
	uint32_t seed = 12345;

	(void)state;
	fake_vfio_nvme_vf(&x->f, 8, false);
	fake_vfio_msi(&x->f, 5, true, true);
	setup_pdev(x, NULL);
	dev_cfg = x->f.region[VFIO_PCI_CONFIG_REGION_INDEX].mem;
	memcpy(bars_before, dev_cfg + PCI_BASE_ADDRESS_0, sizeof(bars_before));

	for (uint32_t off = 0; off < 4096 + 16; off++) {
		for (uint32_t len = 0; len <= 8; len++) {
			wr(x, off, len, 0xffffffff);
			(void)rd(x, off, len);
			wr(x, off, len, 0);
		}
	}
	for (int i = 0; i < 200000; i++) {
		uint32_t off, len, val;

		seed = seed * 1103515245 + 12345;
		off = (seed >> 8) % 4200;
		len = 1u << ((seed >> 4) % 3);
		seed = seed * 1103515245 + 12345;
		val = seed;
		if (i & 1)
			wr(x, off, len, val);
		else
			(void)rd(x, off, len);
	}
	assert_int_equal(x->f.nr_oob, 0);
	assert_memory_equal(bars_before, dev_cfg + PCI_BASE_ADDRESS_0, sizeof(bars_before));
	/* the hidden SR-IOV capability still holds the device's bytes */
	assert_int_equal(fake_cfg32(&x->f, 0x100 + 8 + 12 + 8), 0x5a5a5a5a);
	teardown_pdev(x);
	free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_forwarded),
		cmocka_unit_test(test_bar_sizing),
		cmocka_unit_test(test_bar_decode_callback),
		cmocka_unit_test(test_cap_filtering),
		cmocka_unit_test(test_cap_loop_and_bad_pointers),
		cmocka_unit_test(test_msix_cap_emulated),
		cmocka_unit_test(test_msi_cap_emulated),
		cmocka_unit_test(test_header_and_pin),
		cmocka_unit_test(test_bridge_rejected),
		cmocka_unit_test(test_rom_file),
		cmocka_unit_test(test_hostile_config_writes),
	};

	return cmocka_run_group_tests_name("vfio_config", tests, NULL, NULL);
}
