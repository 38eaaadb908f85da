/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reconcile: pure planning.  Desired state (one config_pf, or none when the
 * PF is no longer declared), actual state (plain structs filled by whoever
 * reads sysfs/netlink) and the ledger of what vfctl changed give an ordered
 * list of actions.  No I/O here, so every case is unit-tested.
 *
 * Order: autoprobe, numvfs (0 first when VFs exist: the kernel answers EBUSY
 * otherwise), VF link settings (VLAN, MAC, rate, spoofchk, trust, state,
 * query_rss), then driver binds (so the MAC is set before the VF's consumer
 * binds).  What the ledger records but the config no longer declares is put
 * back to its original value.  When state matches, the plan is empty.
 */
#ifndef SRIOV_RECONCILE_H
#define SRIOV_RECONCILE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "errinfo.h"
#include "ledger.h"

struct rc_vf_state {
	int index;
	char bdf[CONFIG_BDF_LEN];
	/*
	 * What the VF has: given = the kernel reported it.  The driver is
	 * always known ("" = no driver) for a VF that exists.
	 */
	struct vf_settings cur;
};

struct rc_pf_state {
	char bdf[CONFIG_BDF_LEN];
	char netdev[32]; /* "" when the PF has no netdev (NVMe, unbound) */
	int totalvfs;
	int numvfs;
	int autoprobe; /* 0/1, -1 unknown */
	/*
	 * VFs (below numvfs) whose NVMe secondary controller is offline:
	 * a PF controller reset (driver rebind) takes them offline while
	 * the VFs stay.  0 when not an NVMe PF.
	 */
	int vfs_offline;
	struct rc_vf_state *vfs; /* vfs[i].index == i, nr_vfs == numvfs */
	int nr_vfs;
};

enum rc_kind {
	RC_AUTOPROBE,
	RC_NUMVFS,
	RC_VF_ONLINE, /* NVMe: give the VFs resources and set them online again */
	RC_VF_SET,
	RC_VF_DRIVER,
};

struct rc_action {
	enum rc_kind kind;
	bool undo; /* puts back the original recorded in the ledger */
	int vf; /* VF index; -1 for PF actions */
	int key; /* enum vfkey: RC_VF_SET, and VFKEY_DRIVER for RC_VF_DRIVER */
	int num, old_num; /* RC_AUTOPROBE, RC_NUMVFS */
	bool old_known; /* old/old_num hold the value before */
	struct vf_settings value; /* RC_VF_SET, RC_VF_DRIVER: key's new value (driver "" = none) */
	struct vf_settings old; /* key's value before, when old_known */
};

struct rc_plan {
	char bdf[CONFIG_BDF_LEN];
	struct rc_action *acts;
	int nr;
};

/*
 * Plan one PF.  want == NULL: the PF is not declared any more, undo what
 * the ledger records.  led may be NULL (vfctl never changed this PF).
 * Errors (e.g. numvfs above sriov_totalvfs) name the config file and line.
 */
int rc_plan_pf(const struct config_pf *want, const struct rc_pf_state *have,
	       const struct ledger_pf *led, struct rc_plan *plan, struct errinfo *e);
void rc_plan_free(struct rc_plan *plan);
/*
 * Record a completed action in the ledger: the first change of a value
 * keeps its original, an undo forgets it, a VF count change forgets every
 * VF entry (those VFs no longer exist).  Returns -ENOMEM or 0.
 */
int rc_ledger_note(struct ledger *l, const char *bdf, const char *config,
		   const struct rc_action *a);
/*
 * Before a change runs: keep the original it is about to overwrite (a
 * write-ahead record: a vfctl killed just after the change, before
 * rc_ledger_note(), still left the original in the ledger once it is
 * saved).  Undo actions and VF onlining record nothing here.  *@added says
 * whether the ledger had no original for it yet (rc_ledger_forget() takes
 * it back when the change is then not made).  Returns -ENOMEM or 0.
 */
int rc_ledger_intent(struct ledger *l, const char *bdf, const char *config,
		     const struct rc_action *a, bool *added);
/* Drop the original rc_ledger_intent() added for @a. */
void rc_ledger_forget(struct ledger *l, const char *bdf, const struct rc_action *a);
/* "vf 0: mac 00:00:00:00:00:00 -> 02:00:00:00:00:01" (or "numvfs 0 -> 4"). */
void rc_action_str(const struct rc_action *a, char *buf, size_t size);
/* Same action but going back to its old value (for rolling back). */
bool rc_action_inverse(const struct rc_action *a, struct rc_action *inv);
void rc_pf_state_free(struct rc_pf_state *s);
/* JSON object for an action: {"action","vf","key","old","new","restore"}. */
struct json_object;
struct json_object *rc_action_json(const struct rc_action *a);

#endif
