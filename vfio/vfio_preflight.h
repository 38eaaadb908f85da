/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `vfvm check --device ...`: the host pre-flight (preflight.h in src/host:
 * device, IOMMU, interrupt remapping, vfio-pci, IOMMU group, driver, VF
 * token, ACS, reset, host use) asked for a VMM, plus the checks that need
 * the guest layout, added to the same report: RLIMIT_MEMLOCK vs guest RAM
 * ("memlock"), guest RAM vs the group's reserved IOVA regions ("iova"),
 * 64-bit BARs vs the 64-bit MMIO window and the guest's physical address
 * bits ("mmio-window").  Reads sysfs only (through the root seam); opens no
 * VFIO file.
 */
#ifndef VFIO_VFIO_PREFLIGHT_H
#define VFIO_VFIO_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"
#include "mmio_plan.h"
#include "preflight.h"

struct vfio_preflight_in {
	const char *root; /* sysfs root ("" on the real system) */
	const char *bdf; /* canonical BDF */
	bool managed; /* vfvm will bind the group itself */
	bool have_vf_token;
	const struct guest_mem *mem; /* guest RAM layout (gpa/size used); NULL to skip */
	/*
	 * The 64-bit MMIO window planned for all the devices checked together
	 * (mmio_plan.h), or NULL with @plan_err saying why it could not be
	 * planned; both NULL to skip the window checks.
	 */
	const struct mmio_plan *plan;
	const struct errinfo *plan_err;
};

/*
 * Run every check into @r; returns the number of failures (0 = good to
 * go), or -errno with @e filled when the device could not be read at all.
 */
int vfio_preflight_run(const struct vfio_preflight_in *in, struct preflight_report *r,
		       struct errinfo *e);

/*
 * NUMA node of a PCI device (ROOT/sys/bus/pci/devices/BDF/numa_node), -1
 * when unknown; with @cpus, the node's CPU list ("0-3,8-11") for pinning
 * vCPUs near the device.
 */
int vfio_device_numa_node(const char *root, const char *bdf, char *cpus, size_t size);

/* Host CPU physical address bits (CPUID 0x80000008), 36 if unknown. */
unsigned int vfio_host_phys_bits(void);

/*
 * The 64-bit memory BARs of PCI device @bdf under @root, from its sysfs
 * `resource` file, into @d (named @name).  Returns how many, or -errno
 * with @e naming the file.
 */
int vfio_mmio_dev_read(const char *root, const char *bdf, const char *name, struct mmio_plan_dev *d,
		       struct errinfo *e);

/*
 * The DMA address width of the host's IOMMU (the narrowest VT-d unit:
 * MGAW capped by the widest supported page-table level), 0 when unknown,
 * with the unit's name in @unit.
 */
unsigned int vfio_iommu_addr_bits(const char *root, char *unit, size_t size);

#endif
