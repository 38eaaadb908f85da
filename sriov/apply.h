/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Executing reconcile plans.  For each declared PF (and each PF the ledger
 * remembers but no file declares any more): read the actual state, plan,
 * run the actions, and - because creating VFs makes new VFs whose settings
 * can only be read once they exist - read again and plan again after a VF
 * count change.  On a failure everything this run changed on that PF is
 * rolled back (newest first); what could not be rolled back is reported
 * exactly.  The result of the run is kept in STATE_DIR/status.json for
 * `vfctl status`.
 *
 * The device work goes through struct apply_ops so that the executor is
 * tested with a fake; apply_sys.c provides the real one (sysfs + netlink).
 */
#ifndef SRIOV_APPLY_H
#define SRIOV_APPLY_H

#include <stdbool.h>

#include "config.h"
#include "errinfo.h"
#include "ledger.h"
#include "reconcile.h"

#define APPLY_STATUS_FILE "status.json"
#define APPLY_LINE_LEN 320

struct apply_ops {
	/* BDF of the PF a config file matches (-ENODEV when none is present). */
	int (*resolve)(void *priv, const struct config_pf *want, char bdf[CONFIG_BDF_LEN],
		       struct errinfo *e);
	/* Actual state: PF facts, VF drivers, VF link settings. */
	int (*read)(void *priv, const char *bdf, struct rc_pf_state *st, struct errinfo *e);
	int (*set_autoprobe)(void *priv, const struct rc_pf_state *st, int on, struct errinfo *e);
	int (*set_numvfs)(void *priv, const struct rc_pf_state *st, int n, struct errinfo *e);
	/* NVMe: give the first n VFs resources and set them online (idempotent). */
	int (*online_vfs)(void *priv, const struct rc_pf_state *st, int n, struct errinfo *e);
	/*
	 * Set the link settings given in want (one kernel attribute: all keys
	 * share a group, e.g. vlan+qos+proto).  -EOPNOTSUPP when the driver
	 * does not support the attribute.  Need not read the VF back: the
	 * executor reads the PF once after its VF settings and checks them.
	 */
	int (*set_vf)(void *priv, const struct rc_pf_state *st, int vf,
		      const struct vf_settings *want, struct errinfo *e);
	/* Bind VF to driver ("" = give it back to no driver / its default). */
	int (*set_driver)(void *priv, const struct rc_pf_state *st, int vf, const char *driver,
			  struct errinfo *e);
};

enum apply_outcome {
	APPLY_UNCHANGED, /* already as declared */
	APPLY_OK, /* changed, all as declared */
	APPLY_PARTIAL, /* some changes stay (unsupported setting, failed rollback) */
	APPLY_FAILED, /* failed; everything this run changed was rolled back */
};

struct apply_pf_result {
	char bdf[CONFIG_BDF_LEN];
	char config[256]; /* "" for a PF only the ledger knows */
	enum apply_outcome outcome;
	char (*changed)[APPLY_LINE_LEN]; /* actions that stayed applied */
	int nr_changed;
	char (*rolled_back)[APPLY_LINE_LEN];
	int nr_rolled_back;
	char (*unsupported)[APPLY_LINE_LEN]; /* settings the driver refused as unsupported */
	int nr_unsupported;
	struct rc_plan plan; /* dry run: what would be done */
	struct errinfo err; /* why it failed, err.err == 0 otherwise */
};

struct apply_report {
	bool dry_run;
	long long time; /* seconds since the epoch, when the run ended */
	struct apply_pf_result *pfs;
	int nr_pfs;
};

struct apply_opts {
	const char *only_bdf; /* apply only this PF (canonical BDF), or NULL */
	bool dry_run; /* plan and report, change nothing */
	const char *state_dir; /* where the ledger lives; NULL = do not save it */
};

/*
 * Run the whole configuration.  Per-PF failures are in rep (the run goes
 * on with the other PFs); the return value is negative only when nothing
 * could be attempted (ledger unreadable/unwritable...).
 */
int apply_run(const struct apply_ops *ops, void *priv, const struct config_set *cfg,
	      struct ledger *led, const struct apply_opts *opts, struct apply_report *rep,
	      struct errinfo *e);
/* The worst outcome across PFs (APPLY_UNCHANGED for an empty report). */
enum apply_outcome apply_report_outcome(const struct apply_report *rep);
const char *apply_outcome_name(enum apply_outcome o);
void apply_report_free(struct apply_report *rep);

/* Status file: a JSON form of the report, merged by PF with the previous one. */
struct json_object;
struct json_object *apply_report_json(const struct apply_report *rep);
/* merge: keep the saved entries of PFs this run did not touch (apply --pf). */
int apply_status_save(const char *state_dir, const struct apply_report *rep, bool merge,
		      struct errinfo *e);
/* The saved status as JSON (caller json_object_put()s it); -ENOENT if never applied. */
int apply_status_load(const char *state_dir, struct json_object **out, struct errinfo *e);

/*
 * The real backend (apply_sys.c): sysfs under root for PFs, VF counts
 * (vf_count.h, with NVMe virtualization management) and drivers (bind.h),
 * netlink (vflink.h, vf_apply.h) for VF link settings.  nl may be NULL:
 * then reading or setting VF link settings fails with nl_err.
 */
struct vflink;
struct apply_sys {
	const char *root;
	const char *state_dir;
	struct vflink *nl;
	struct errinfo nl_err;
	unsigned int bind_flags; /* PCI_BIND_FORCE from --force */
	int wait_ms; /* for new VF links; 0 = 10 s */
};

extern const struct apply_ops apply_sys_ops;

#endif
