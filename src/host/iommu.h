/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * IOMMU facts that decide whether a device can be given to a VM: is the
 * IOMMU on, is interrupt remapping on, which devices share the device's
 * IOMMU group and whether that group is viable for VFIO, and whether every
 * port on the path to the root complex isolates with ACS.
 */
#ifndef HOST_IOMMU_H
#define HOST_IOMMU_H

#include <stdbool.h>

#include "errinfo.h"
#include "pci_addr.h"
#include "pci_dev.h"

/* True when the kernel has an active IOMMU (ROOT/sys/class/iommu or iommu_groups populated). */
bool iommu_enabled(const char *root);

enum iommu_irq_remap {
	IOMMU_IR_UNKNOWN = -1,
	IOMMU_IR_OFF = 0,
	IOMMU_IR_ON = 1,
};
/*
 * Interrupt remapping as the kernel uses it: MSI chips named "IR-PCI-MSI"
 * (or IR-IO-APIC) in ROOT/proc/interrupts mean on; MSI chips without the IR-
 * prefix mean off; nothing to tell from means unknown.
 */
enum iommu_irq_remap iommu_irq_remapping(const char *root);
/* vfio_iommu_type1.allow_unsafe_interrupts=Y (VFIO works without IR, unsafely). */
bool iommu_unsafe_interrupts_allowed(const char *root);

/* A driver that leaves a group viable: vfio-pci, a VFIO variant driver or pci-stub. */
bool iommu_driver_is_vfio(const char *driver);

struct iommu_member {
	char bdf[BDF_LEN];
	char driver[PCIDEV_NAME_MAX];
	bool bridge; /* PCI bridges are tolerated by VFIO */
	bool blocking; /* bound to a host driver and not being moved */
};

struct iommu_group {
	int group; /* -1: the device has no group */
	int n;
	struct iommu_member *members; /* malloc'd, sorted by BDF */
	bool viable; /* every member is a bridge, driverless, VFIO-owned or being moved */
	int n_blocking;
};

/*
 * The group of bdf with members.  moving[] lists BDFs the caller is about to
 * give to vfio-pci (they do not count as blocking); may be NULL.  -ENODEV with
 * a hint when the device has no IOMMU group.  Free with iommu_group_free().
 */
int iommu_group_read(const char *root, const char *bdf, const char *const *moving, int n_moving,
		     struct iommu_group *g, struct errinfo *e);
void iommu_group_free(struct iommu_group *g);

struct acs_port {
	char bdf[BDF_LEN];
	bool has_acs;
	bool isolates;
	unsigned int ctrl, cap;
};

struct acs_path {
	int n; /* root/downstream ports between the device and the root complex */
	struct acs_port ports[16];
	bool isolated; /* every such port has SV+RR+CR+UF */
};

/* Walk the ports above bdf (from its sysfs device path) and read their ACS control. */
int iommu_acs_path(const char *root, const char *bdf, struct acs_path *p, struct errinfo *e);

#endif
