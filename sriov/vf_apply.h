/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Apply a set of VF link settings to one VF, setting by setting, in the
 * order that works across drivers: VLAN, MAC, rate, spoofchk, trust, link
 * state, query_rss.  A setting the driver does not support is recorded and
 * the others still go ahead; transient refusals (EBUSY/EAGAIN, e.g. i40e's
 * "VF still in reset") are retried with a growing pause.
 */
#ifndef VF_APPLY_H
#define VF_APPLY_H

#include "errinfo.h"
#include "vf_settings.h"
#include "vflink.h"

enum vf_outcome {
	VF_OUTCOME_APPLIED, /* sent and accepted (and read back where the driver reports it) */
	VF_OUTCOME_UNCHANGED, /* already so; nothing sent */
	VF_OUTCOME_UNSUPPORTED, /* the PF driver does not support it (EOPNOTSUPP) */
	VF_OUTCOME_FAILED, /* refused or not taking effect; see err/msg */
};

struct vf_apply_result {
	enum vf_attr attr;
	enum vf_outcome outcome;
	struct vf_attr_value value; /* what was asked for */
	int err; /* positive errno for unsupported/failed */
	int attempts; /* requests sent */
	char msg[1600]; /* why, for unsupported/failed/notes */
};

struct vf_apply_report {
	int n; /* results, in the order applied */
	struct vf_apply_result r[VF_ATTR_COUNT];
	struct vf_link_info after; /* the VF as read back at the end */
	bool have_after;
};

struct vf_apply_opts {
	int retries; /* extra attempts after EBUSY/EAGAIN (default 5) */
	unsigned int backoff_ms; /* first pause, doubled each retry (default 100) */
	/*
	 * The VF as the caller last read it (NULL: read it first).  A caller
	 * working through many VFs reads the PF's VF table once, not once per
	 * VF: each read returns every VF.
	 */
	const struct vf_link_info *cur;
	/* Do not read back what was set; the caller checks all its VFs with one read. */
	bool no_readback;
};

#define VF_APPLY_OPTS_DEFAULT                   \
	{                                       \
		.retries = 5, .backoff_ms = 100 \
	}

/*
 * Returns 0 when every setting was tried (outcomes in rep), or -errno when
 * nothing could be tried (PF unknown, not an SR-IOV PF, VF index beyond
 * the PF's VFs): then nothing was changed.
 */
int vf_apply(struct vflink *l, const char *pf_ifname, uint32_t vf, const struct vf_settings *s,
	     const struct vf_apply_opts *opts, struct vf_apply_report *rep, struct errinfo *e);

const char *vf_outcome_name(enum vf_outcome o); /* "applied", "unchanged", ... */
/* Counts of each outcome in rep (array of 4, indexed by enum vf_outcome). */
void vf_apply_count(const struct vf_apply_report *rep, int counts[4]);

#endif
