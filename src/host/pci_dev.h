/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The device model: what sysfs says about one PCI function.  Read in one go
 * so the front ends and check code work on a consistent snapshot.
 */
#ifndef HOST_PCI_DEV_H
#define HOST_PCI_DEV_H

#include <stdbool.h>

#include "errinfo.h"
#include "pci_addr.h"

#define PCIDEV_NAME_MAX 64
#define PCIDEV_MAX_NETDEVS 4

struct pcidev {
	char bdf[BDF_LEN];
	unsigned int vendor, device;
	unsigned int subsys_vendor, subsys_device;
	unsigned int class_code; /* 24-bit class: 0x020000 Ethernet, 0x010802 NVMe */
	char driver[PCIDEV_NAME_MAX]; /* "" when no driver is bound */
	char driver_override[PCIDEV_NAME_MAX]; /* "" when none */
	int iommu_group; /* -1 when the device has no group (IOMMU off) */
	int numa_node; /* -1 when unknown */
	char reset_method[128]; /* space separated; "" when the file is absent/empty */
	bool has_reset_method_file;
	bool is_pf; /* has sriov_totalvfs */
	bool is_vf; /* has physfn */
	char physfn[BDF_LEN]; /* PF of a VF */
	int vf_index; /* index under the PF (virtfnN), -1 if not a VF */
	int n_netdevs;
	char netdevs[PCIDEV_MAX_NETDEVS][16];
	char nvme_ctrl[16]; /* "nvme0" when the device is an NVMe controller with a host driver */
};

/* Read the snapshot of an existing device (bdf canonical). -ENODEV if it is absent. */
int pcidev_read(const char *root, const char *bdf, struct pcidev *d, struct errinfo *e);
/*
 * What binding decides on (class, driver, driver_override, is_pf, netdevs,
 * NVMe controller) and nothing else: the ids, IOMMU group, NUMA node, reset
 * method and VF facts stay unread (iommu_group, numa_node, vf_index -1).
 * Half the sysfs reads, for binding many VFs in one go.
 */
int pcidev_read_brief(const char *root, const char *bdf, struct pcidev *d, struct errinfo *e);
bool pcidev_is_bridge(const struct pcidev *d);
bool pcidev_is_nvme(const struct pcidev *d);
/*
 * Canonical BDFs of every PCI device under root, sorted.  *list is malloc'd
 * (BDF_LEN chars per entry); free() it.
 */
int pcidev_list_all(const char *root, char (**list)[BDF_LEN], int *count, struct errinfo *e);

#endif
