/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `vfvm check --device ...`: everything that would stop a device from
 * being passed through, found before anything is changed.  Reads sysfs
 * only (through the root seam); opens no VFIO file.
 *
 * Checks: device exists; IOMMU on; interrupt remapping; IOMMU group viable
 * (or, with managed, which members would be taken); device usable by VFIO
 * (vfio-pci bound and /dev/vfio/N present, unless managed); RLIMIT_MEMLOCK
 * vs guest RAM; guest RAM vs the group's reserved IOVA regions; 64-bit BARs
 * vs the 64-bit MMIO window and the guest's physical address bits; a reset
 * method; the VF token a VF of a vfio-pci PF needs.
 */
#ifndef VFIO_PREFLIGHT_H
#define VFIO_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"

enum vfio_check_status {
	VFIO_CHECK_OK = 0,
	VFIO_CHECK_WARN,
	VFIO_CHECK_FAIL,
};

struct vfio_check_item {
	const char *name; /* "iommu", "interrupt-remapping", "group", ... */
	enum vfio_check_status status;
	char msg[1024];
	char hint[512];
};

#define VFIO_PREFLIGHT_MAX 16

struct vfio_preflight_in {
	const char *root; /* sysfs root ("" on the real system) */
	const char *bdf; /* canonical BDF */
	bool managed; /* vfvm will bind the group itself */
	bool have_vf_token;
	const struct guest_mem *mem; /* guest RAM layout (gpa/size used); NULL to skip */
	uint64_t mmio64_base; /* 64-bit MMIO window */
	uint64_t mmio64_size;
	unsigned int phys_bits; /* guest physical address bits; 0 to skip */
};

struct vfio_preflight_report {
	int nr;
	int nr_fail;
	int nr_warn;
	struct vfio_check_item item[VFIO_PREFLIGHT_MAX];
	struct vfio_check_item scratch; /* absorbs items beyond the array */
};

/* Run every check; returns the number of failures (0 = good to go). */
int vfio_preflight_run(const struct vfio_preflight_in *in, struct vfio_preflight_report *r);

const char *vfio_check_status_name(enum vfio_check_status s);

/*
 * NUMA node of a PCI device (ROOT/sys/bus/pci/devices/BDF/numa_node), -1
 * when unknown; with @cpus, the node's CPU list ("0-3,8-11") for pinning
 * vCPUs near the device.
 */
int vfio_device_numa_node(const char *root, const char *bdf, char *cpus, size_t size);

/* Host CPU physical address bits (CPUID 0x80000008), 36 if unknown. */
unsigned int vfio_host_phys_bits(void);

#endif
