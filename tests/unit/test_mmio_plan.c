// SPDX-License-Identifier: GPL-2.0-only
/*
 * The 64-bit MMIO window plan (src/vmm/mmio_plan.c) on a real GPU: the
 * NVIDIA H200 fixture (tests/data/gpu-h200: sysfs resource file and config
 * space as captured) placed 1 and 8 times above 1 TiB of guest RAM, the
 * refusals with their numbers, and the PCI host, ACPI _CRS and e820 map
 * agreeing with the plan.
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
#include <cmocka.h>

#include "acpi.h"
#include "boot_linux.h"
#include "mmio_plan.h"
#include "pci.h"
#include "vm.h"

#define GiB (1ULL << 30)
#define TiB (1ULL << 40)
#define MiB (1ULL << 20)

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

static void h200(struct mmio_plan_dev *d, unsigned int k, bool port)
{
	char text[1024];
	size_t n = read_fixture("resource", text, sizeof(text) - 1);

	text[n] = '\0';
	memset(d, 0, sizeof(*d));
	assert_int_equal(mmio_plan_dev_from_resource(text, d), 3);
	d->port = port;
	snprintf(d->name, sizeof(d->name), "vfio 0000:%02x:00.0", 0x17 + k);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void fixture_bars(void **state)
{
	uint8_t cfg[4096];
	struct mmio_plan_dev d;
	char text[1024];
	size_t n;

	(void)state;
	h200(&d, 0, false);
	/* BAR0 16 MiB, BAR2 256 GiB, BAR4 32 MiB; 1, 3, 5 are the upper halves; all prefetchable */
	assert_int_equal(d.prefetch, 0x15);
	assert_int_equal(d.bar_size[0], 16 * MiB);
	assert_int_equal(d.bar_size[1], 0);
	assert_int_equal(d.bar_size[2], 256 * GiB);
	assert_int_equal(d.bar_size[3], 0);
	assert_int_equal(d.bar_size[4], 32 * MiB);
	assert_int_equal(d.bar_size[5], 0);

	/* the config space says the same: 10de:2335, three 64-bit prefetchable BARs where
	 * the resource file has them */
	assert_int_equal(read_fixture("config.bin", cfg, sizeof(cfg)), sizeof(cfg));
	assert_int_equal(rd32(cfg), 0x233510de);
	n = read_fixture("resource", text, sizeof(text) - 1);
	text[n] = '\0';
	for (int i = 0; i < 6; i += 2) {
		uint32_t lo = rd32(cfg + 0x10 + 4 * i), hi = rd32(cfg + 0x14 + 4 * i);
		unsigned long long start;
		const char *line = text;

		for (int l = 0; l < i; l++)
			line = strchr(line, '\n') + 1;
		assert_int_equal(sscanf(line, "%llx", &start), 1);
		assert_int_equal(lo & 0x7, 0x4); /* memory, 64-bit */
		assert_int_equal(lo & 0x8, 0x8); /* prefetchable */
		assert_int_equal(((uint64_t)hi << 32) | (lo & ~0xfULL), start);
	}
	/* a line that is not "start end flags" is refused */
	assert_int_equal(mmio_plan_dev_from_resource("0x1000 zzz\n", &d), -EINVAL);
}

/* Every BAR naturally aligned, inside the window, none overlapping another. */
static void assert_sound(const struct mmio_plan *p)
{
	uint64_t sum = 0, largest = 1ULL << 30;

	for (unsigned int d = 0; d < p->nr_dev; d++)
		for (int i = 0; i < MMIO_PLAN_BARS; i++)
			if (p->dev[d].bar_size[i] > largest)
				largest = p->dev[d].bar_size[i];
	/* at a multiple of the largest BAR, whole GiB */
	assert_int_equal(p->base & (largest - 1), 0);
	assert_int_equal(p->size & ((1ULL << 30) - 1), 0);
	assert_true(p->base + p->size <= p->limit);
	for (unsigned int d = 0; d < p->nr_dev; d++)
		for (int i = 0; i < MMIO_PLAN_BARS; i++) {
			uint64_t a = p->bar_gpa[d][i], s = p->dev[d].bar_size[i];

			if (!s) {
				assert_int_equal(a, 0);
				continue;
			}
			sum += s;
			assert_int_equal(a & (s - 1), 0);
			assert_true(a >= p->base && a + s <= p->base + p->size);
			for (unsigned int d2 = 0; d2 < p->nr_dev; d2++)
				for (int j = 0; j < MMIO_PLAN_BARS; j++) {
					uint64_t b = p->bar_gpa[d2][j], t = p->dev[d2].bar_size[j];

					if (t && (d2 != d || j != i))
						assert_false(a < b + t && b < a + s);
				}
		}
	for (unsigned int d = 0; d < p->nr_dev; d++) {
		uint64_t b = p->block_base[d], bs = p->block_size[d];

		if (!p->dev[d].port) {
			assert_int_equal(bs, 0);
			continue;
		}
		/* a port's window: 1 MiB grains, its BARs inside, no other BAR or window in it */
		assert_int_equal(b & (MiB - 1), 0);
		assert_int_equal(bs & (MiB - 1), 0);
		assert_true(b >= p->base && b + bs <= p->base + p->need);
		for (unsigned int d2 = 0; d2 < p->nr_dev; d2++) {
			if (d2 != d && p->dev[d2].port)
				assert_false(b < p->block_base[d2] + p->block_size[d2] &&
					     p->block_base[d2] < b + bs);
			for (int j = 0; j < MMIO_PLAN_BARS; j++) {
				uint64_t a = p->bar_gpa[d2][j], t = p->dev[d2].bar_size[j];

				if (!t)
					continue;
				if (d2 == d)
					assert_true(a >= b && a + t <= b + bs);
				else
					assert_false(a < b + bs && b < a + t);
			}
		}
	}
	/* packed without holes on bus 0; sibling windows can leave some */
	assert_true(sum <= p->need);
	for (unsigned int d = 0; d < p->nr_dev; d++)
		if (p->dev[d].port)
			return;
	assert_int_equal(sum, p->need);
}

static int plan_ports(struct mmio_plan *p, unsigned int nr, uint64_t mem, unsigned int bits,
		      uint64_t size, bool port, struct errinfo *e)
{
	struct mmio_plan_dev d[8];
	struct mmio_plan_in in = {
		.dev = d,
		.nr_dev = nr,
		.ram_top = vm_ram_top(mem),
		.phys_bits = bits,
		.size = size,
	};

	for (unsigned int k = 0; k < nr; k++)
		h200(&d[k], k, port);
	return mmio_plan_build(&in, p, e);
}

/* @nr H200s on bus 0 (rootport=off): each BAR placed on its own */
static int plan(struct mmio_plan *p, unsigned int nr, uint64_t mem, unsigned int bits,
		uint64_t size, struct errinfo *e)
{
	return plan_ports(p, nr, mem, bits, size, false, e);
}

static void one_h200_1tib(void **state)
{
	struct mmio_plan *p = calloc(1, sizeof(*p));
	struct errinfo e = {0};
	uint64_t base = 1280 * GiB;

	(void)state;
	/* 1 TiB of RAM ends at 1 TiB + 1 GiB (the 3-4 GiB hole) */
	assert_int_equal(vm_ram_top(TiB), TiB + GiB);
	assert_int_equal(plan(p, 1, TiB, 46, 0, &e), 0);
	assert_int_equal(p->need, 256 * GiB + 48 * MiB);
	/* 256 GiB + 48 MiB of BARs + 64 GiB of hot-plug room, in whole GiB */
	assert_int_equal(p->size, 321 * GiB);
	/* the first 256 GiB boundary above RAM */
	assert_int_equal(p->base, base);
	assert_int_equal(p->bar_gpa[0][2], base);
	assert_int_equal(p->bar_gpa[0][4], base + 256 * GiB);
	assert_int_equal(p->bar_gpa[0][0], base + 256 * GiB + 32 * MiB);
	assert_sound(p);
	assert_int_equal(mmio_plan_bar_gpa(p, "vfio 0000:17:00.0", 2), base);
	assert_int_equal(mmio_plan_bar_gpa(p, "vfio 0000:18:00.0", 2), 0);
	/* --mmio64 1T: as asked, at the same place */
	assert_int_equal(plan(p, 1, TiB, 46, TiB, &e), 0);
	assert_int_equal(p->size, TiB);
	assert_int_equal(p->base, base);
	assert_true(p->size_given);
	assert_sound(p);
	free(p);
}

static void eight_h200_1tib(void **state)
{
	struct mmio_plan *p = calloc(1, sizeof(*p));
	struct errinfo e = {0};
	uint64_t base = 1280 * GiB, small = base + 8 * 256 * GiB;

	(void)state;
	assert_int_equal(plan(p, 8, TiB, 46, 0, &e), 0);
	assert_int_equal(p->need, 8 * (256 * GiB + 48 * MiB));
	assert_int_equal(p->size, 2113 * GiB);
	assert_int_equal(p->base, base);
	for (unsigned int k = 0; k < 8; k++) {
		/* the 256 GiB BARs first, packed, then the 32 MiB ones, then the 16 MiB ones */
		assert_int_equal(p->bar_gpa[k][2], base + k * 256 * GiB);
		assert_int_equal(p->bar_gpa[k][4], small + k * 32 * MiB);
		assert_int_equal(p->bar_gpa[k][0], small + 256 * MiB + k * 16 * MiB);
	}
	assert_sound(p);
	/* 42 bits (4 TiB) hold it, with the hot-plug room */
	assert_int_equal(plan(p, 8, TiB, 42, 0, &e), 0);
	assert_int_equal(p->base + p->size, 3393 * GiB);
	/* 41 bits (2 TiB) cannot hold the BARs alone, whatever the RAM: the host's limit */
	assert_int_equal(plan(p, 8, TiB, 41, 0, &e), -ERANGE);
	assert_string_equal(e.msg,
			    "a 64-bit MMIO window of 2 TiB + 1 GiB is more than 41 physical "
			    "address bits allow: above 4 GiB (at a multiple of 256 GiB) it "
			    "ends at 0x24040000000 or higher, the limit is 2 TiB (2^41); the "
			    "largest window is 1 TiB + 768 GiB");
	assert_string_equal(e.hint, "the devices' 64-bit BARs need 2 TiB + 384 MiB: more than this "
				    "host's 41 physical address bits (CPUID 0x80000008, capped by "
				    "KVM) can address; pass fewer devices or use a host with more "
				    "address bits");
	free(p);
}

/*
 * Eight H200s, each behind a root port of its own (the default): each
 * GPU's three BARs are one block, its port's prefetchable window, so the
 * next 256 GiB BAR waits for the next 512 GiB boundary.
 */
static void eight_h200_ports_1tib(void **state)
{
	struct mmio_plan *p = calloc(1, sizeof(*p));
	struct errinfo e = {0};
	uint64_t base = 1280 * GiB, block = 256 * GiB + 48 * MiB;

	(void)state;
	assert_int_equal(plan_ports(p, 8, TiB, 46, 0, true, &e), 0);
	assert_int_equal(p->need, 7 * 512 * GiB + block);
	assert_int_equal(p->size, (7 * 512 + 256 + 1 + 64) * GiB);
	assert_int_equal(p->base, base);
	for (unsigned int k = 0; k < 8; k++) {
		uint64_t at = base + k * 512 * GiB;

		assert_int_equal(p->block_base[k], at);
		assert_int_equal(p->block_size[k], block);
		/* largest first inside the block: 256 GiB, 32 MiB, 16 MiB */
		assert_int_equal(p->bar_gpa[k][2], at);
		assert_int_equal(p->bar_gpa[k][4], at + 256 * GiB);
		assert_int_equal(p->bar_gpa[k][0], at + 256 * GiB + 32 * MiB);
		assert_int_equal(mmio_plan_block(p, p->dev[k].name, &(uint64_t){0}), at);
	}
	assert_sound(p);
	/* one GPU: the same block, the window as on bus 0 */
	assert_int_equal(plan_ports(p, 1, TiB, 46, 0, true, &e), 0);
	assert_int_equal(p->need, block);
	assert_int_equal(p->size, 321 * GiB);
	assert_sound(p);
	/* 42 bits (4 TiB) cannot hold eight windows: the numbers and the host's limit */
	assert_int_equal(plan_ports(p, 8, TiB, 42, 0, true, &e), -ERANGE);
	assert_non_null(strstr(e.msg, "is more than 42 physical address bits allow"));
	assert_non_null(strstr(e.hint, "the devices' 64-bit BARs need 3 TiB + 768 GiB + 48 MiB"));
	/* a non-prefetchable 64-bit BAR behind a port is not planned: it goes below 4 GiB */
	{
		struct mmio_plan_dev nic = {.name = "nic",
					    .bar_size = {16 * 1024, 0, 1 * MiB},
					    .prefetch = 0x4,
					    .port = true};
		struct mmio_plan_in in = {
			.dev = &nic, .nr_dev = 1, .ram_top = 4 * GiB, .phys_bits = 40};

		assert_int_equal(mmio_plan_build(&in, p, &e), 0);
		assert_int_equal(p->bar_gpa[0][0], 0);
		assert_int_equal(p->dev[0].bar_size[0], 0);
		assert_int_equal(p->bar_gpa[0][2], p->base);
		assert_int_equal(p->block_size[0], MiB);
		assert_sound(p);
	}
	free(p);
}

static void refusals(void **state)
{
	struct mmio_plan *p = calloc(1, sizeof(*p));
	struct mmio_plan_dev two32 = {.name = "two32", .bar_size = {32 * GiB, 0, 32 * GiB}};
	struct mmio_plan_in in = {.dev = &two32, .nr_dev = 1, .ram_top = 4 * GiB, .phys_bits = 37};
	struct errinfo e = {0};

	(void)state;
	/* --mmio64 smaller than the BARs: both numbers and the size that does */
	assert_int_equal(plan(p, 1, 16 * GiB, 46, 128 * GiB, &e), -ENOSPC);
	assert_string_equal(e.msg, "the devices' 64-bit BARs need 256 GiB + 48 MiB of 64-bit MMIO "
				   "window, 128 GiB was given");
	assert_string_equal(e.hint, "use --mmio64 257G or more, or leave --mmio64 out to size it "
				    "from the devices");
	/* not a whole number of GiB */
	assert_int_equal(plan(p, 1, 16 * GiB, 46, 1536 * MiB, &e), -EINVAL);
	assert_string_equal(e.msg,
			    "a 64-bit MMIO window of 1 GiB + 512 MiB: the size must be a "
			    "whole number of GiB (the window's granularity), for example 2G");
	assert_int_equal(mmio_plan_check_size(512 * MiB, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "for example 1G"));
	assert_int_equal(mmio_plan_check_size(300 * GiB, &e), 0);
	assert_int_equal(mmio_plan_check_size(2 * TiB, &e), 0);
	/* larger than the address bits allow, whatever the RAM */
	assert_int_equal(plan(p, 1, 16 * GiB, 40, TiB, &e), -ERANGE);
	assert_non_null(strstr(e.msg, "a 64-bit MMIO window of 1 TiB is more than 40 physical "
				      "address bits allow"));
	assert_non_null(strstr(e.msg, "the largest window is 768 GiB"));
	assert_string_equal(e.hint,
			    "use --mmio64 768G or less (the devices need 256 GiB + 48 MiB)");
	/* a BAR the address bits cannot hold at all */
	assert_int_equal(plan(p, 1, 16 * GiB, 38, 0, &e), -ERANGE);
	assert_string_equal(e.msg,
			    "vfio 0000:17:00.0: BAR2 of 256 GiB cannot be placed above 4 GiB "
			    "within 38 physical address bits");
	/* RAM plus the window beyond the address bits: how much RAM would do */
	assert_int_equal(plan(p, 1, 600 * GiB, 40, 0, &e), -ERANGE);
	assert_string_equal(e.msg,
			    "guest RAM (ending at 0x9640000000) and the 64-bit MMIO window "
			    "of 257 GiB (at 0xc000000000, a multiple of 256 GiB) end at "
			    "0x10040000000, beyond the guest's 40 physical address bits (limit "
			    "0x10000000000, 1 TiB)");
	assert_string_equal(e.hint, "give the guest at most 511 GiB of RAM; 40 physical address "
				    "bits are this host's limit (CPUID 0x80000008, capped by KVM)");
	/* with that RAM it fits, with the hot-plug room */
	assert_int_equal(plan(p, 1, 511 * GiB, 40, 0, &e), 0);
	assert_int_equal(p->base, 512 * GiB);
	assert_int_equal(p->size, 321 * GiB);
	/* a tight host: the hot-plug room is dropped before anything is refused */
	assert_int_equal(mmio_plan_build(&in, p, &e), 0);
	assert_int_equal(p->base, 32 * GiB);
	assert_int_equal(p->size, 64 * GiB);
	assert_sound(p);
	in.phys_bits = 38;
	assert_int_equal(mmio_plan_build(&in, p, &e), 0);
	assert_int_equal(p->size, 128 * GiB);
	/* sizes in words: each unit's part, exact */
	{
		char b[48];

		assert_string_equal(mmio_plan_fmt_size(2 * TiB - 384 * MiB, b, sizeof(b)),
				    "1 TiB + 1023 GiB + 640 MiB");
		assert_string_equal(mmio_plan_fmt_size(256 * GiB, b, sizeof(b)), "256 GiB");
		assert_string_equal(mmio_plan_fmt_size(0, b, sizeof(b)), "0 bytes");
		assert_string_equal(mmio_plan_fmt_opt(4 * TiB, b, sizeof(b)), "4T");
		assert_string_equal(mmio_plan_fmt_opt(48 * MiB, b, sizeof(b)), "48M");
	}
	/* no devices (or NIC and NVMe VFs): 64 GiB right above RAM, as vfvm always had it */
	assert_int_equal(plan(p, 0, 16 * GiB, 39, 0, &e), 0);
	assert_int_equal(p->size, 64 * GiB);
	assert_int_equal(p->base, 17 * GiB);
	assert_int_equal(plan(p, 0, 256 * MiB, 39, 0, &e), 0);
	assert_int_equal(p->base, 4 * GiB);
	free(p);
}

static void dummy_access(void *o, uint64_t off, uint8_t *data, uint32_t len, bool w)
{
	(void)o;
	(void)off;
	(void)len;
	if (!w)
		memset(data, 0xff, len);
}

/* The PCI host puts each planned BAR where the plan says, whatever registers first. */
static void pci_host_follows_plan(void **state)
{
	struct mmio_plan *p = calloc(1, sizeof(*p));
	struct pci_host h;
	struct pci_dev *d = calloc(9, sizeof(*d));
	struct errinfo e = {0};

	(void)state;
	assert_int_equal(plan(p, 8, TiB, 46, 0, &e), 0);
	assert_int_equal(pci_host_init(&h, NULL, NULL, NULL, p->base, p->size, &e), 0);
	h.plan = p;
	/* an unplanned device with a 64-bit BAR first: it must not take a planned place */
	pci_dev_init(&d[8], "other", 0x1234, 1, 0x020000, 0, 0, 0);
	assert_int_equal(pci_bar_declare(&d[8], 0, 1 << 20, PCI_BARF_MEM64, dummy_access, NULL, &e),
			 0);
	assert_int_equal(pci_dev_register(&h, &d[8], -1, &e), 0);
	assert_true(d[8].bar[0].addr >= p->base + p->need);
	/* the GPUs last to first */
	for (int k = 7; k >= 0; k--) {
		pci_dev_init(&d[k], p->dev[k].name, 0x10de, 0x2335, 0x030200, 0xa1, 0x10de, 0x18bf);
		for (int i = 0; i < MMIO_PLAN_BARS; i++)
			if (p->dev[k].bar_size[i])
				assert_int_equal(pci_bar_declare(&d[k], i, p->dev[k].bar_size[i],
								 PCI_BARF_MEM64 | PCI_BARF_PREFETCH,
								 dummy_access, NULL, &e),
						 0);
		assert_int_equal(pci_dev_register(&h, &d[k], -1, &e), 0);
	}
	for (int k = 0; k < 8; k++)
		for (int i = 0; i < MMIO_PLAN_BARS; i += 2) {
			uint64_t reg = (uint64_t)pci_cfg_r32(&d[k], PCI_BASE_ADDRESS_0 + 4 * i) |
				       (uint64_t)pci_cfg_r32(&d[k], PCI_BASE_ADDRESS_0 + 4 * i + 4)
					       << 32;

			assert_int_equal(d[k].bar[i].addr, p->bar_gpa[k][i]);
			/* what the guest reads from the BAR registers */
			assert_int_equal(reg & ~0xfULL, p->bar_gpa[k][i]);
		}
	pci_host_exit(&h);
	free(d);
	free(p);
}

/* The window in the host bridge's _CRS (decoded by iasl) and outside every e820 entry. */
static void acpi_and_e820_follow_plan(void **state)
{
	struct mmio_plan *p = calloc(1, sizeof(*p));
	uint8_t *buf = calloc(1, ACPI_TABLES_SIZE), *fadt = NULL, *dsdt, *xsdt;
	struct errinfo e = {0};
	struct acpi_cfg c = {
		.nr_cpus = 2,
		.mmio32_base = PCI_MMIO32_BASE,
		.mmio32_size = PCI_MMIO32_SIZE,
		.ecam_base = PCI_ECAM_BASE,
	};
	struct guest_mem m = {.memfd = -1};
	struct e820_entry map[E820_MAX];
	char dir[] = "/tmp/vfvm-mmio-XXXXXX", cmd[1024], path[300];
	FILE *f;
	int n;

	(void)state;
	assert_int_equal(plan(p, 8, TiB, 46, 0, &e), 0);
	c.mmio64_base = p->base;
	c.mmio64_size = p->size;
	assert_true(acpi_build(buf, ACPI_TABLES_BASE, ACPI_TABLES_SIZE, &c, &e) > 0);
	xsdt = buf + (rd32(buf + 24) - ACPI_TABLES_BASE);
	for (uint32_t i = 0; i < (rd32(xsdt + 4) - 36) / 8; i++) {
		uint8_t *t = buf + (rd32(xsdt + 36 + 8 * i) - ACPI_TABLES_BASE);

		if (!memcmp(t, "FACP", 4))
			fadt = t;
	}
	assert_non_null(fadt);
	dsdt = buf + (rd32(fadt + 140) - ACPI_TABLES_BASE);
	if (system("command -v iasl >/dev/null 2>&1") != 0)
		fail_msg("iasl not found: install acpica-tools (tools/install-deps.sh)");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/DSDT.dat", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(dsdt, 1, rd32(dsdt + 4), f), rd32(dsdt + 4));
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cd %s && iasl -d DSDT.dat >DSDT.log 2>&1", dir);
	assert_int_equal(system(cmd), 0);
	/* QWordMemory: minimum 1.25 TiB, maximum + 1 = 3393 GiB, length 2113 GiB; no complaint */
	snprintf(
		cmd, sizeof(cmd),
		"cd %s && grep -A8 QWordMemory DSDT.dsl | grep -q '0x0000014000000000, // Range "
		"Minimum' && grep -A8 QWordMemory DSDT.dsl | grep -q '0x000003503FFFFFFF, // Range "
		"Maximum' && grep -A8 QWordMemory DSDT.dsl | grep -q '0x0000021040000000, // "
		"Length' "
		"&& ! grep -qi 'invalid\\|error\\|warning' DSDT.dsl DSDT.log",
		dir);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);

	/* 1 TiB of guest RAM as vm_create() lays it out: no e820 entry reaches the window */
	m.region[0] = (struct guest_mem_region){0, VM_LOW_RAM_MAX, NULL, 0};
	m.region[1] = (struct guest_mem_region){VM_HIGH_RAM_BASE, TiB - VM_LOW_RAM_MAX, NULL,
						VM_LOW_RAM_MAX};
	m.nr_regions = 2;
	m.total = TiB;
	n = linux_e820(&m, map, E820_MAX);
	assert_true(n > 0);
	for (int i = 0; i < n; i++)
		assert_true(map[i].addr + map[i].size <= p->base ||
			    map[i].addr >= p->base + p->size);
	assert_int_equal(map[n - 2].addr + map[n - 2].size, vm_ram_top(TiB));
	free(buf);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fixture_bars),
		cmocka_unit_test(one_h200_1tib),
		cmocka_unit_test(eight_h200_1tib),
		cmocka_unit_test(eight_h200_ports_1tib),
		cmocka_unit_test(refusals),
		cmocka_unit_test(pci_host_follows_plan),
		cmocka_unit_test(acpi_and_e820_follow_plan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
