// SPDX-License-Identifier: GPL-2.0-only
/*
 * The PCIe root port in front of a passed-through device (src/vmm/pci_port*.c):
 * config routing through the port's secondary bus, windows that hold the
 * device's BARs and nothing else, the link the port reports, renumbering
 * by the guest, the plan's block, and the host's link read from sysfs
 * (a VF's from its PF).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mmio_plan.h"
#include "pci.h"
#include "pci_caps.h"
#include "pci_port.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define WIN64 (64 * GiB)

static uint32_t cfg_rd(struct pci_host *h, unsigned int bus, unsigned int slot, uint32_t off,
		       uint32_t len)
{
	uint8_t b[4] = {0};

	pci_cfg_access(h, bus, slot, 0, off, b, len, false);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void cfg_wr(struct pci_host *h, unsigned int bus, unsigned int slot, uint32_t off,
		   uint32_t len, uint32_t v)
{
	uint8_t b[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >> 24) & 0xff};

	pci_cfg_access(h, bus, slot, 0, off, b, len, true);
}

/* A NIC-like device: I/O, 32-bit, 64-bit non-prefetchable and prefetchable BARs, a ROM. */
static void nic(struct pci_dev *d, const char *name, bool port)
{
	static const struct pcie_link l = {
		.max_speed = 4, .max_width = 16, .speed = 3, .width = 8, .speeds = 0x1e};
	struct errinfo e = {0};

	pci_dev_init(d, name, 0x8086, 0x10d3, 0x020000, 0, 0x8086, 0);
	assert_int_equal(pci_bar_declare(d, 0, 128 * 1024, 0, NULL, NULL, &e), 0);
	assert_int_equal(pci_bar_declare(d, 1, 32, PCI_BARF_IO, NULL, NULL, &e), 0);
	assert_int_equal(pci_bar_declare(d, 2, 16 * 1024, PCI_BARF_MEM64, NULL, NULL, &e), 0);
	assert_int_equal(
		pci_bar_declare(d, 4, 8 * MiB, PCI_BARF_MEM64 | PCI_BARF_PREFETCH, NULL, NULL, &e),
		0);
	assert_int_equal(pci_bar_declare(d, PCI_ROM_BAR, 256 * 1024, 0, NULL, NULL, &e), 0);
	d->want_port = port;
	d->port_link = l;
}

static bool inside(uint64_t a, uint64_t s, const struct pci_port_window *w)
{
	return w->size && a >= w->base && a + s <= w->base + w->size;
}

static bool overlap(const struct pci_port_window *a, const struct pci_port_window *b)
{
	return a->size && b->size && a->base < b->base + b->size && b->base < a->base + a->size;
}

/* Two ported devices and one on bus 0: routing, windows, no overlaps. */
static void two_ports_and_bus0(void **state)
{
	struct pci_dev *d = calloc(3, sizeof(*d));
	struct pci_port_window w[2][PCI_PORT_NR_WIN];
	struct errinfo e = {0};
	struct pci_host h;
	char bdf[16];

	(void)state;
	assert_int_equal(pci_host_init(&h, NULL, NULL, NULL, 8 * GiB, WIN64, &e), 0);
	nic(&d[0], "a", true);
	nic(&d[1], "b", false);
	nic(&d[2], "c", true);
	for (int k = 0; k < 3; k++)
		assert_int_equal(pci_dev_register(&h, &d[k], -1, &e), 0);
	assert_non_null(d[0].port);
	assert_null(d[1].port);
	assert_non_null(d[2].port);

	/* bus 0: the ports (a type-1 header, a bridge class) and the plain device */
	assert_int_equal(cfg_rd(&h, 0, 1, PCI_VENDOR_ID, 4),
			 PCI_PORT_DEVICE << 16 | PCI_PORT_VENDOR);
	assert_int_equal(cfg_rd(&h, 0, 1, PCI_HEADER_TYPE, 1), PCI_HEADER_TYPE_BRIDGE);
	assert_int_equal(cfg_rd(&h, 0, 1, PCI_CLASS_REVISION, 4) >> 8, 0x060400);
	assert_int_equal(cfg_rd(&h, 0, 2, PCI_VENDOR_ID, 4), 0x10d38086);
	assert_int_equal(cfg_rd(&h, 0, 3, PCI_HEADER_TYPE, 1), PCI_HEADER_TYPE_BRIDGE);
	/* buses 1 and 2, as firmware numbers them; the devices are device 0 there */
	assert_int_equal(cfg_rd(&h, 0, 1, PCI_PRIMARY_BUS, 4) & 0xffffff, 0x010100);
	assert_int_equal(cfg_rd(&h, 0, 3, PCI_PRIMARY_BUS, 4) & 0xffffff, 0x020200);
	assert_int_equal(cfg_rd(&h, 1, 0, PCI_VENDOR_ID, 4), 0x10d38086);
	assert_int_equal(cfg_rd(&h, 2, 0, PCI_VENDOR_ID, 4), 0x10d38086);
	/* one device on a link: the rest of the bus, and unused buses, read as absent */
	assert_int_equal(cfg_rd(&h, 1, 1, PCI_VENDOR_ID, 4), 0xffffffff);
	assert_int_equal(cfg_rd(&h, 3, 0, PCI_VENDOR_ID, 4), 0xffffffff);
	pci_dev_guest_bdf(&d[0], bdf, sizeof(bdf));
	assert_string_equal(bdf, "0000:01:00.0");
	pci_dev_guest_bdf(&d[1], bdf, sizeof(bdf));
	assert_string_equal(bdf, "0000:00:02.0");

	for (int p = 0; p < 2; p++) {
		struct pci_dev *x = &d[p * 2];

		pci_port_windows(x->port, w[p]);
		assert_true(inside(x->bar[1].addr, 32, &w[p][PCI_PORT_IO]));
		/* 32-bit BAR, ROM and the non-prefetchable 64-bit BAR: below 4 GiB */
		assert_true(inside(x->bar[0].addr, 128 * 1024, &w[p][PCI_PORT_MEM]));
		assert_true(inside(x->bar[2].addr, 16 * 1024, &w[p][PCI_PORT_MEM]));
		assert_true(inside(x->bar[PCI_ROM_BAR].addr, 256 * 1024, &w[p][PCI_PORT_MEM]));
		assert_true(w[p][PCI_PORT_MEM].base + w[p][PCI_PORT_MEM].size <= 1ULL << 32);
		assert_int_equal(w[p][PCI_PORT_MEM].size, MiB);
		assert_int_equal(w[p][PCI_PORT_IO].size, 0x1000);
		assert_true(inside(x->bar[4].addr, 8 * MiB, &w[p][PCI_PORT_PREF]));
		assert_int_equal(w[p][PCI_PORT_PREF].size, 8 * MiB);
		assert_true(w[p][PCI_PORT_PREF].base >= 8 * GiB);
		/* the registers say a 64-bit prefetchable window */
		assert_int_equal(cfg_rd(&h, 0, x->slot, PCI_PREF_MEMORY_BASE, 2) & 0xf,
				 PCI_PREF_RANGE_TYPE_64);
		/* BARs programmed where placed */
		assert_int_equal(cfg_rd(&h, p + 1, 0, PCI_BASE_ADDRESS_4, 4) & ~0xfu,
				 (uint32_t)x->bar[4].addr);
		assert_int_equal(cfg_rd(&h, p + 1, 0, PCI_BASE_ADDRESS_5, 4),
				 (uint32_t)(x->bar[4].addr >> 32));
	}
	/* sibling windows apart, and the bus-0 device's BARs outside both */
	for (int k = 0; k < PCI_PORT_NR_WIN; k++)
		assert_false(overlap(&w[0][k], &w[1][k]));
	for (int p = 0; p < 2; p++)
		for (int i = 0; i <= PCI_ROM_BAR; i++) {
			const struct pci_bar *b = &d[1].bar[i];

			for (int k = 0; b->size && k < PCI_PORT_NR_WIN; k++)
				assert_false(b->addr < w[p][k].base + w[p][k].size &&
					     w[p][k].base < b->addr + b->size &&
					     (k == PCI_PORT_IO) == !!(b->flags & PCI_BARF_IO));
		}
	/* unplugging a ported device takes its port and bus away */
	assert_int_equal(pci_dev_unregister(&h, &d[0]), 0);
	assert_null(d[0].port);
	assert_int_equal(cfg_rd(&h, 0, 1, PCI_VENDOR_ID, 4), 0xffffffff);
	assert_int_equal(cfg_rd(&h, 1, 0, PCI_VENDOR_ID, 4), 0xffffffff);
	pci_host_exit(&h);
	free(d);
}

/* What the port's PCIe capability says: a root port, the host's link, trained and up. */
static void link_registers(void **state)
{
	struct pci_dev *d = calloc(1, sizeof(*d));
	struct errinfo e = {0};
	struct pci_host h;
	uint32_t cap;

	(void)state;
	assert_int_equal(pci_host_init(&h, NULL, NULL, NULL, 8 * GiB, WIN64, &e), 0);
	nic(d, "a", true);
	assert_int_equal(pci_dev_register(&h, d, 5, &e), 0);
	cap = cfg_rd(&h, 0, 5, PCI_CAPABILITY_LIST, 1);
	assert_int_equal(cfg_rd(&h, 0, 5, cap, 1), PCI_CAP_ID_EXP);
	assert_int_equal(cfg_rd(&h, 0, 5, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST,
			 PCI_STATUS_CAP_LIST);
	/* version 2, root port */
	assert_int_equal(cfg_rd(&h, 0, 5, cap + PCI_EXP_FLAGS, 2) & 0xff,
			 2 | PCI_EXP_TYPE_ROOT_PORT << 4);
	/* 16 GT/s x16 capable, port number 5, link-active reporting */
	assert_int_equal(cfg_rd(&h, 0, 5, cap + PCI_EXP_LNKCAP, 4),
			 4 | 16 << 4 | PCI_EXP_LNKCAP_DLLLARC | 5u << 24);
	/* trained at 8 GT/s x8 (as the host's link is), data link layer up, not training */
	assert_int_equal(cfg_rd(&h, 0, 5, cap + PCI_EXP_LNKSTA, 2),
			 3 | 8 << 4 | PCI_EXP_LNKSTA_SLC | PCI_EXP_LNKSTA_DLLLA);
	assert_int_equal(cfg_rd(&h, 0, 5, cap + PCI_EXP_LNKCAP2, 4), 0x1e);
	assert_int_equal(cfg_rd(&h, 0, 5, cap + PCI_EXP_LNKCTL2, 2) & 0xf, 4);
	/* the link status is the host's to say: a guest write leaves it */
	cfg_wr(&h, 0, 5, cap + PCI_EXP_LNKSTA, 2, 0);
	assert_int_equal(cfg_rd(&h, 0, 5, cap + PCI_EXP_LNKSTA, 2) & 0xff, 3 | 8 << 4);
	/* retrain reads back clear; ASPM control sticks */
	cfg_wr(&h, 0, 5, cap + PCI_EXP_LNKCTL, 2, PCI_EXP_LNKCTL_RL | PCI_EXP_LNKCTL_ASPM_L1);
	assert_int_equal(cfg_rd(&h, 0, 5, cap + PCI_EXP_LNKCTL, 2), PCI_EXP_LNKCTL_ASPM_L1);
	/* no interrupt pin: the guest binds no port service */
	assert_int_equal(cfg_rd(&h, 0, 5, PCI_INTERRUPT_PIN, 1), 0);
	pci_host_exit(&h);
	free(d);
}

/* A guest that renumbers buses and moves windows: routing follows, BAR registers stay bars. */
static void guest_renumbers(void **state)
{
	struct pci_dev *d = calloc(1, sizeof(*d));
	struct pci_port_window w[PCI_PORT_NR_WIN];
	struct errinfo e = {0};
	struct pci_host h;
	char bdf[16];

	(void)state;
	assert_int_equal(pci_host_init(&h, NULL, NULL, NULL, 8 * GiB, WIN64, &e), 0);
	nic(d, "a", true);
	assert_int_equal(pci_dev_register(&h, d, 4, &e), 0);
	/* a byte-wide write to the secondary bus, then the subordinate */
	cfg_wr(&h, 0, 4, PCI_SECONDARY_BUS, 1, 7);
	cfg_wr(&h, 0, 4, PCI_SUBORDINATE_BUS, 1, 9);
	assert_int_equal(cfg_rd(&h, 1, 0, PCI_VENDOR_ID, 4), 0xffffffff);
	assert_int_equal(cfg_rd(&h, 7, 0, PCI_VENDOR_ID, 4), 0x10d38086);
	pci_dev_guest_bdf(d, bdf, sizeof(bdf));
	assert_string_equal(bdf, "0000:07:00.0");
	/* a dword write over primary/secondary/subordinate/latency */
	cfg_wr(&h, 0, 4, PCI_PRIMARY_BUS, 4, 0x00030300);
	assert_int_equal(cfg_rd(&h, 3, 0, PCI_VENDOR_ID, 4), 0x10d38086);
	/* the memory window moved by the guest reads back where it put it */
	cfg_wr(&h, 0, 4, PCI_MEMORY_BASE, 4, 0xc0f0c0e0);
	pci_port_windows(d->port, w);
	assert_int_equal(w[PCI_PORT_MEM].base, 0xc0e00000);
	assert_int_equal(w[PCI_PORT_MEM].size, 0x200000);
	/* a closed window (base above limit) has no size */
	cfg_wr(&h, 0, 4, PCI_IO_BASE, 2, 0x00f0);
	pci_port_windows(d->port, w);
	assert_int_equal(w[PCI_PORT_IO].size, 0);
	/* a bridge's BAR registers: none implemented, nothing sticks */
	cfg_wr(&h, 0, 4, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	assert_int_equal(cfg_rd(&h, 0, 4, PCI_BASE_ADDRESS_0, 4), 0);
	pci_host_exit(&h);
	free(d);
}

/* The plan's block is the port's prefetchable window; no room is a clear error. */
static void plan_block_and_no_room(void **state)
{
	struct mmio_plan *p = calloc(1, sizeof(*p));
	struct pci_dev *d = calloc(PCI_MAX_SLOTS, sizeof(*d));
	struct mmio_plan_dev pd[2] = {
		{.name = "g0",
		 .bar_size = {16 * MiB, 0, 4 * GiB, 0, 32 * MiB},
		 .prefetch = 0x14,
		 .port = true},
		{.name = "g1",
		 .bar_size = {16 * MiB, 0, 4 * GiB, 0, 32 * MiB},
		 .prefetch = 0x14,
		 .port = true},
	};
	struct mmio_plan_in in = {.dev = pd, .nr_dev = 2, .ram_top = 4 * GiB, .phys_bits = 40};
	struct pci_port_window w[PCI_PORT_NR_WIN];
	struct errinfo e = {0};
	struct pci_host h;
	int k;

	(void)state;
	assert_int_equal(mmio_plan_build(&in, p, &e), 0);
	assert_int_equal(pci_host_init(&h, NULL, NULL, NULL, p->base, p->size, &e), 0);
	h.plan = p;
	/* the second GPU first: it still lands on its planned block */
	for (k = 1; k >= 0; k--) {
		pci_dev_init(&d[k], pd[k].name, 0x10de, 0x2335, 0x030200, 0xa1, 0x10de, 0x18bf);
		assert_int_equal(
			pci_bar_declare(&d[k], 0, 16 * MiB, PCI_BARF_MEM64, NULL, NULL, &e), 0);
		assert_int_equal(pci_bar_declare(&d[k], 2, 4 * GiB,
						 PCI_BARF_MEM64 | PCI_BARF_PREFETCH, NULL, NULL,
						 &e),
				 0);
		assert_int_equal(pci_bar_declare(&d[k], 4, 32 * MiB,
						 PCI_BARF_MEM64 | PCI_BARF_PREFETCH, NULL, NULL,
						 &e),
				 0);
		d[k].want_port = true;
		assert_int_equal(pci_dev_register(&h, &d[k], -1, &e), 0);
	}
	for (k = 0; k < 2; k++) {
		pci_port_windows(d[k].port, w);
		assert_int_equal(w[PCI_PORT_PREF].base, p->block_base[k]);
		assert_int_equal(w[PCI_PORT_PREF].size, p->block_size[k]);
		assert_int_equal(d[k].bar[2].addr, p->bar_gpa[k][2]);
		assert_int_equal(d[k].bar[4].addr, p->bar_gpa[k][4]);
		/* BAR0 is not prefetchable: below 4 GiB, in the memory window */
		assert_true(inside(d[k].bar[0].addr, 16 * MiB, &w[PCI_PORT_MEM]));
	}
	/* 32-bit window full: 16 MiB windows until 512 MiB are gone, then a named refusal */
	for (k = 2; k < PCI_MAX_SLOTS; k++) {
		pci_dev_init(&d[k], "filler", 0x1234, 1, 0x020000, 0, 0, 0);
		assert_int_equal(pci_bar_declare(&d[k], 0, 64 * MiB, 0, NULL, NULL, &e), 0);
		d[k].want_port = true;
		if (pci_dev_register(&h, &d[k], -1, &e))
			break;
	}
	assert_true(k < PCI_MAX_SLOTS);
	assert_int_equal(pci_dev_register(&h, &d[k], -1, &e), -ENOSPC);
	assert_string_equal(e.msg, "filler: no room for its root port's 32-bit memory window "
				   "(65536 KiB) in the guest's 32-bit MMIO space");
	assert_null(d[k].port);
	pci_host_exit(&h);
	free(d);
	free(p);
}

static void write_cfg(const char *root, const char *bdf, const uint8_t *cfg, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "mkdir -p %s/sys/bus/pci/devices/%s", root, bdf);
	assert_int_equal(system(path), 0);
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/config", root, bdf);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(cfg, 1, len, f), len);
	fclose(f);
}

/* The link read from sysfs config space: the device's own, a VF's from its PF. */
static void link_from_sysfs(void **state)
{
	char root[] = "/tmp/vfvm-port-XXXXXX", path[600], cmd[700];
	uint8_t cfg[256] = {0};
	struct errinfo e = {0};
	struct pcie_link l;

	(void)state;
	assert_non_null(mkdtemp(root));
	/* PF 0000:03:00.0: PCIe v2 endpoint at 0x40, 16 GT/s x16 capable, trained 8 GT/s x4 */
	cfg[PCI_STATUS] = PCI_STATUS_CAP_LIST;
	cfg[PCI_CAPABILITY_LIST] = 0x40;
	cfg[0x40] = PCI_CAP_ID_EXP;
	cfg[0x40 + PCI_EXP_FLAGS] = 2;
	cfg[0x40 + PCI_EXP_LNKCAP] = 4 | (16 << 4 & 0xf0);
	cfg[0x40 + PCI_EXP_LNKCAP + 1] = 16 >> 4;
	cfg[0x40 + PCI_EXP_LNKSTA] = 3 | 4 << 4;
	cfg[0x40 + PCI_EXP_LNKCAP2] = 0x1e;
	write_cfg(root, "0000:03:00.0", cfg, sizeof(cfg));
	assert_int_equal(pcie_link_read(root, "0000:03:00.0", &l, &e), 0);
	assert_int_equal(l.max_speed, 4);
	assert_int_equal(l.max_width, 16);
	assert_int_equal(l.speed, 3);
	assert_int_equal(l.width, 4);
	assert_int_equal(l.speeds, 0x1e);
	/* its VF: link registers reserved (zero); the PF's link is the one it uses */
	memset(cfg + 0x40 + PCI_EXP_LNKCAP, 0, 4);
	memset(cfg + 0x40 + PCI_EXP_LNKSTA, 0, 2);
	memset(cfg + 0x40 + PCI_EXP_LNKCAP2, 0, 4);
	write_cfg(root, "0000:03:00.1", cfg, sizeof(cfg));
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:03:00.1/physfn", root);
	assert_int_equal(symlink("../0000:03:00.0", path), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(pcie_link_read(root, "0000:03:00.1", &l, &e), 0);
	assert_int_equal(l.speed, 3);
	assert_int_equal(l.width, 4);
	assert_int_equal(l.max_speed, 4);
	/* conventional PCI (no PCIe capability): the slowest trained link, never zero */
	memset(cfg, 0, sizeof(cfg));
	write_cfg(root, "0000:04:00.0", cfg, 64);
	assert_int_equal(pcie_link_read(root, "0000:04:00.0", &l, &e), 0);
	assert_int_equal(l.speed, 1);
	assert_int_equal(l.width, 1);
	assert_int_equal(l.max_speed, 1);
	assert_int_equal(l.max_width, 1);
	assert_int_equal(l.speeds, 0x2);
	/* no such device: an error naming it */
	assert_int_equal(pcie_link_read(root, "0000:05:00.0", &l, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "0000:05:00.0"));
	assert_string_equal(pcie_speed_name(4), "16 GT/s");
	assert_string_equal(pcie_speed_name(9), "unknown");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(two_ports_and_bus0), cmocka_unit_test(link_registers),
		cmocka_unit_test(guest_renumbers),    cmocka_unit_test(plan_block_and_no_room),
		cmocka_unit_test(link_from_sysfs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
