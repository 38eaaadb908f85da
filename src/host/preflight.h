/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one pre-flight engine: "can this device go to a VM now?", asked by
 * `vfctl check` and `vfvm check` alike.  The answer is a report of items,
 * one per question, each with
 *
 *   id      a stable key: "device", "iommu", "interrupt-remapping",
 *           "vfio-pci", "iommu-group", "driver", "vf-token", "acs",
 *           "reset", "host-use"; the VM's own checks (vfio/preflight.h)
 *           add "memlock", "iova", "mmio-window" through preflight_add()
 *   status  ok, warn (said, but does not stop passthrough) or fail
 *   detail  what was found
 *   fix     what to do ("" when nothing)
 *
 * The host checks live here, once; the words of each fact are the same
 * whichever program asks.  Reads sysfs only (through the root seam):
 * nothing is bound, opened or pinned.
 */
#ifndef HOST_PREFLIGHT_H
#define HOST_PREFLIGHT_H

#include <stdbool.h>

#include "errinfo.h"
#include "pci_addr.h"

enum preflight_status {
	PREFLIGHT_OK = 0,
	PREFLIGHT_WARN,
	PREFLIGHT_FAIL,
};

#define PREFLIGHT_MAX_ITEMS 16

struct preflight_item {
	const char *id; /* static string, see above */
	enum preflight_status status;
	char detail[512];
	char fix[512];
};

struct preflight_report {
	char bdf[BDF_LEN];
	int group; /* IOMMU group number, -1 when none */
	int n;
	struct preflight_item items[PREFLIGHT_MAX_ITEMS];
	struct preflight_item scratch; /* absorbs items beyond the array */
	int n_fail;
	int n_warn;
};

struct preflight_opts {
	/* other devices going to the same VM: they do not block its group */
	const char *const *together;
	int n_together;
	/*
	 * Asked for `vfvm run`: the device must already be on vfio-pci (the
	 * "driver" item) unless @managed; a VF of a vfio-pci PF fails without
	 * @vf_token (a warning otherwise, for the VMM to come).
	 */
	bool vmm;
	bool managed; /* the VMM takes the device's group from the host itself */
	bool vf_token; /* a VF token will be given */
};

/*
 * Run the host checks for @bdf (canonical) into @r (cleared first).  A
 * device that does not exist is one "device" item that fails, and nothing
 * else is asked.  Returns 0 (read the verdict in @r), or -errno with @e
 * filled when the device could not be read at all.
 */
int preflight_device(const char *root, const char *bdf, const struct preflight_opts *o,
		     struct preflight_report *r, struct errinfo *e);

/*
 * Add one item (a check of the caller's own: the VM layout ones).  @fix
 * may be NULL.  Returns the item (the scratch item once the report is
 * full, so callers need not test).
 */
struct preflight_item *preflight_add(struct preflight_report *r, const char *id,
				     enum preflight_status st, const char *fix, const char *fmt,
				     ...) __attribute__((format(printf, 5, 6)));

/* The item with @id, NULL when the report has none. */
const struct preflight_item *preflight_find(const struct preflight_report *r, const char *id);

/* true when no item failed */
bool preflight_ready(const struct preflight_report *r);

/* "ok", "warn", "fail": the words of both programs, human and JSON. */
const char *preflight_status_name(enum preflight_status s);

#endif
