/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Changing the number of VFs of a PF (sriov_numvfs) the way that works:
 * validate against totalvfs and the PF driver first, optionally turn
 * autoprobe off so new VFs get no host driver, write 0 before a different
 * non-zero count (the kernel answers EBUSY otherwise), wait for the virtfnN
 * links, and explain the kernel's errno in plain words.
 */
#ifndef SRIOV_VF_COUNT_H
#define SRIOV_VF_COUNT_H

#include <stdbool.h>

#include "errinfo.h"

/*
 * Device-specific steps around the write (NVMe virtualization management:
 * see nvme_virt.h).  prepare runs while the PF has 0 VFs, just before
 * writing N > 0; online runs once the VFs exist.  Either may be NULL.
 */
struct vf_count_hooks {
	int (*prepare)(const char *root, const char *pf_bdf, unsigned nvfs, struct errinfo *e);
	int (*online)(const char *root, const char *pf_bdf, unsigned nvfs, struct errinfo *e);
};

struct vf_count_opts {
	int autoprobe; /* 0/1: write sriov_drivers_autoprobe first; -1: leave it */
	int wait_ms; /* how long to wait for the virtfnN links (0: do not wait) */
	int poll_ms; /* wait granularity; 0 means 100 ms */
	bool dry_run; /* validate and plan only */
	/*
	 * > 0: give each VF this many MSI-X vectors (sriov_vf_msix_count)
	 * before any driver binds it; 0: leave the counts alone.  Only PF
	 * drivers that expose sriov_vf_total_msix > 0 support it, and the
	 * kernel refuses the write while a driver is bound to the VF, so new
	 * VFs must be created with autoprobe off (autoprobe 0 here, or
	 * already off on the PF).
	 */
	unsigned int msix_count;
	const struct vf_count_hooks *hooks;
	/*
	 * vfctl's state dir: once the old VFs are removed, their remembered
	 * drivers (bind.h, STATE_DIR/drivers/<VF BDF>) are forgotten, since
	 * a record would otherwise "restore" the new VF created at the same
	 * address.  NULL leaves the state dir alone.
	 */
	const char *state_dir;
};

struct vf_count_result {
	int before; /* numvfs found */
	int after; /* numvfs read back at the end */
	bool wrote_zero; /* VFs were removed first */
	bool changed; /* sriov_numvfs was written */
	int links; /* virtfnN links present after the wait */
	bool autoprobe_changed;
	int msix_set; /* VFs whose sriov_vf_msix_count was written */
	int forgotten; /* removed VFs whose remembered driver was dropped */
};

/*
 * Set the PF's VF count to n.  On failure nothing is left half-done where it
 * can be avoided: a failed write of N after writing 0 is reported as such
 * (result->wrote_zero says the old VFs are gone).
 *   -ERANGE  n > sriov_totalvfs (firmware cap explained in the hint)
 *   -ENOENT  the PF has no driver, or its driver cannot create VFs
 *   -EBUSY   VFs are in use (assigned to a VM or held by a driver)
 *   -ETIMEDOUT  the VF links did not all appear within wait_ms
 * A remembered driver of a removed VF that cannot be dropped fails the call
 * with that errno once everything else is done (the count is changed).
 * With msix_count, also (checked before anything is written where possible):
 *   -EOPNOTSUPP the PF driver cannot change VF vector counts
 *   -ERANGE     n * msix_count exceeds sriov_vf_total_msix
 *   -EINVAL     new VFs would be created with autoprobe on
 *   -EBUSY      a VF has a driver bound (named in the message)
 */
int vf_count_set(const char *root, const char *pf_bdf, int n, const struct vf_count_opts *opts,
		 struct vf_count_result *res, struct errinfo *e);

#endif
