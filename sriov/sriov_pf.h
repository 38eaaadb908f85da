/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * SR-IOV PFs and their VFs as sysfs shows them: totalvfs/numvfs, the VF
 * offset/stride/device ID (to know VF BDFs before enabling), autoprobe, and
 * the virtfnN links.
 */
#ifndef SRIOV_SRIOV_PF_H
#define SRIOV_SRIOV_PF_H

#include <stdbool.h>

#include "errinfo.h"
#include "pci_addr.h"

struct sriov_vf {
	int index; /* N of virtfnN (what rtnetlink calls the VF number) */
	char bdf[BDF_LEN];
};

struct sriov_pf {
	char bdf[BDF_LEN];
	int totalvfs;
	int numvfs;
	int offset, stride; /* -1 when the kernel does not expose them */
	unsigned int vf_device; /* 0 when unknown */
	int autoprobe; /* sriov_drivers_autoprobe: 1/0, -1 unknown */
	int vf_total_msix; /* sriov_vf_total_msix, -1 when absent */
	int n_vfs; /* VFs found through virtfnN links */
	struct sriov_vf *vfs; /* malloc'd, sorted by index */
};

/* True when the device has sriov_totalvfs (it is an SR-IOV PF). */
bool sriov_is_pf(const char *root, const char *bdf);
/*
 * Read PF facts and its VF links.  -ENOTSUP with a hint when bdf is not an
 * SR-IOV PF (a VF names its PF in the hint).  Free with sriov_pf_free().
 */
int sriov_pf_read(const char *root, const char *bdf, struct sriov_pf *pf, struct errinfo *e);
void sriov_pf_free(struct sriov_pf *pf);
/* Canonical BDFs of every SR-IOV PF under root, sorted; free() *list. */
int sriov_pf_list(const char *root, char (**list)[BDF_LEN], int *count, struct errinfo *e);
/*
 * BDF VF index would get, from the PF's routing ID + offset + index * stride
 * (PCIe SR-IOV spec 3.3.10); -ERANGE when offset/stride are unknown.
 */
int sriov_vf_bdf(const struct sriov_pf *pf, int index, char out[BDF_LEN]);
/* Number of virtfnN links present for indices 0..n-1 (used to wait for new VFs). */
int sriov_count_vf_links(const char *root, const char *pf_bdf, int n);

/*
 * How many of the PF's VFs are bound to vfio-pci (or a VFIO variant driver);
 * the first one's BDF goes to first.  Removing such VFs blocks in the kernel
 * until the VMM using them lets go, so callers ask before changing the count.
 */
int sriov_vfs_on_vfio(const char *root, const struct sriov_pf *pf, char first[BDF_LEN]);

#endif
