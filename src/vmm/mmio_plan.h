/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The 64-bit PCI MMIO window: where it goes, how big it is, and where each
 * 64-bit BAR of the devices given at start-up lands in it.
 *
 * A pure computation (no allocation, no syscall) so that vm_create(),
 * `vfvm check` and unit tests get the same answer from the same input:
 * the devices' 64-bit BAR sizes, the top of guest RAM and the guest's
 * physical address bits.
 *
 * Rules:
 *   - the window starts at the first multiple of the largest BAR (at least
 *     1 GiB) above guest RAM and 4 GiB; its size is a whole number of GiB;
 *   - the devices' BARs are placed largest first over all devices (ties in
 *     device, then BAR order), each at the next free address: packed without
 *     holes, and each naturally aligned since every size is a power of two
 *     no larger than the one before - a 256 GiB BAR on a 256 GiB boundary;
 *   - except that a device behind a root port of its own (@port) is placed
 *     as one block, its prefetchable window: its 64-bit prefetchable BARs
 *     packed largest first (mmio_plan_pack), the block aligned to its
 *     largest BAR and both at least PCI bridge granularity (1 MiB); blocks
 *     take their turn among single BARs by that alignment.  Its
 *     non-prefetchable 64-bit BARs are not planned: a bridge's prefetchable
 *     window may not hold them, so they go below 4 GiB in the port's
 *     memory window.  Sibling windows cannot share a block, so eight
 *     256 GiB + 32 MiB GPUs take 8 x 512 GiB less the last one's hole;
 *   - the default size is MMIO_PLAN_HOTPLUG_ROOM (64 GiB) while the
 *     devices' BARs take at most half of it - the window vfvm always had,
 *     at the same place, so restored, migrated and upgraded VMs keep their
 *     layout; beyond, the BARs plus MMIO_PLAN_HOTPLUG_ROOM for devices added
 *     later (only the BARs when the address bits allow no more), rounded up
 *     to a GiB;
 *   - the window ends at or below 2^phys_bits: the guest cannot address
 *     anything above.
 * The PCI host (pci_host.c) places a planned device's BARs at the planned
 * addresses and keeps other devices off them, so the guest sees exactly
 * this plan; e820 and ACPI _CRS describe the same window.
 */
#ifndef VFVM_MMIO_PLAN_H
#define VFVM_MMIO_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errinfo.h"

#define MMIO_PLAN_MAX_DEVS 32
#define MMIO_PLAN_BARS 6
#define MMIO_PLAN_MIN_SIZE (1ULL << 30)
/*
 * Room left for devices hot-added through the control API: 64 GiB, the
 * fixed window vfvm had before the window was sized from the devices, which
 * holds any number of NIC and NVMe VFs (BARs of KiB to MiB).  A GPU to be
 * hot-added needs --mmio64 (or lands in what rounding up left free).
 */
#define MMIO_PLAN_HOTPLUG_ROOM (64ULL << 30)

/* One device: the sizes of its 64-bit memory BARs (0: none, or not 64-bit). */
struct mmio_plan_dev {
	char name[64]; /* the pci_dev name it will be registered under */
	uint64_t bar_size[MMIO_PLAN_BARS];
	uint8_t prefetch; /* bit i: BAR i is prefetchable */
	bool port; /* behind a root port of its own: planned as one block */
};

#define MMIO_PLAN_GRAIN (1ULL << 20) /* a PCI bridge's memory window granularity */

struct mmio_plan_in {
	const struct mmio_plan_dev *dev;
	unsigned int nr_dev;
	uint64_t ram_top; /* first byte above guest RAM */
	unsigned int phys_bits; /* guest physical address bits */
	uint64_t size; /* window size asked for (--mmio64); 0: from the devices */
};

struct mmio_plan {
	uint64_t base, size;
	uint64_t need; /* bytes the devices' BARs take, packed from the base (root ports' windows
			  aligned) */
	uint64_t bars; /* the sum of the planned BARs (need less the holes sibling windows leave) */
	uint64_t limit; /* 2^phys_bits: the window must end at or below it */
	unsigned int phys_bits;
	bool size_given; /* size came from the caller (--mmio64) */
	unsigned int nr_dev;
	struct mmio_plan_dev dev[MMIO_PLAN_MAX_DEVS];
	uint64_t bar_gpa[MMIO_PLAN_MAX_DEVS][MMIO_PLAN_BARS]; /* 0 where no BAR */
	/* a ported device's block (its port's prefetchable window); 0: none */
	uint64_t block_base[MMIO_PLAN_MAX_DEVS], block_size[MMIO_PLAN_MAX_DEVS];
};

/*
 * Pack @n BARs of power-of-two @size into one block as a bridge window
 * holds them: largest first (ties in index order), each at the next free
 * offset (@off[i]), so each is naturally aligned when the block starts at
 * a multiple of the largest.  Returns the bytes they take (0 for none).
 */
uint64_t mmio_plan_pack(const uint64_t *size, unsigned int n, uint64_t *off);

/*
 * Plan the window into @out.  Returns 0, or -errno with @e naming the
 * numbers and the fix: -EINVAL a size that is not a whole number of GiB,
 * -ENOSPC a size smaller than the devices need, -ERANGE a
 * window (with RAM below it) beyond the physical address bits, -E2BIG too
 * many devices.
 */
int mmio_plan_build(const struct mmio_plan_in *in, struct mmio_plan *out, struct errinfo *e);

/*
 * Whether @size may be asked for (a whole number of GiB, at least 1):
 * 0, or -EINVAL with @e saying why and a size that would do.
 */
int mmio_plan_check_size(uint64_t size, struct errinfo *e);

/*
 * The planned guest address of BAR @bar of the device registered as
 * @name, or 0 when the plan has none.
 */
uint64_t mmio_plan_bar_gpa(const struct mmio_plan *p, const char *name, int bar);

/* The planned block of the ported device @name (*size its size), or 0 when none. */
uint64_t mmio_plan_block(const struct mmio_plan *p, const char *name, uint64_t *size);

/*
 * Read the 64-bit memory BARs from the text of a sysfs `resource` file
 * (one "start end flags" line per BAR, hex) into @d->bar_size and
 * @d->prefetch.  Returns the number of 64-bit BARs found, or -EINVAL for a
 * line that does not parse.
 */
int mmio_plan_dev_from_resource(const char *text, struct mmio_plan_dev *d);

/* "256 GiB", "48 MiB", "4 TiB": @v in the largest unit that divides it. */
const char *mmio_plan_fmt_size(uint64_t v, char *buf, size_t size);

/* The same as an option value: "256G", "48M", "4T". */
const char *mmio_plan_fmt_opt(uint64_t v, char *buf, size_t size);

/* The smallest power of two >= @v (@v <= 2^63). */
uint64_t mmio_plan_pow2_roundup(uint64_t v);

#endif
