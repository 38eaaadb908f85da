/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * "Can this device go to a VM now?"  One verdict per question, each with
 * what was found and what to do.  Used by `vfctl check` and `vfvm check`.
 * Blockers make the answer no; warnings are printed but do not.
 */
#ifndef HOST_CHECK_H
#define HOST_CHECK_H

#include "errinfo.h"
#include "pci_addr.h"

enum check_status {
	CHECK_OK = 0,
	CHECK_WARN = 1,
	CHECK_BLOCKER = 2,
};

#define CHECK_MAX_ITEMS 12

struct check_item {
	const char *name; /* stable key: "iommu", "interrupt-remapping", "vfio-pci", ... */
	enum check_status status;
	char detail[512]; /* what was found */
	char hint[256]; /* what to do; "" when nothing */
};

struct check_report {
	char bdf[BDF_LEN];
	int n;
	struct check_item items[CHECK_MAX_ITEMS];
	int n_blockers;
	int n_warnings;
};

/*
 * Check bdf for passthrough with vfio-pci.  together[] lists the other
 * devices going to the VM with it (they do not block its group).
 */
int check_device(const char *root, const char *bdf, const char *const *together, int n_together,
		 struct check_report *r, struct errinfo *e);
const char *check_status_name(enum check_status s); /* "ok", "warning", "blocker" */

#endif
