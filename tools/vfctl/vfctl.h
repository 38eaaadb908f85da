/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vfctl front end: shared context and the verbs.  Each verb lives in
 * tools/vfctl/cmd_<verb>.c and has the signature below.  Only the front end
 * prints; libraries return errors in struct errinfo.
 */
#ifndef VFCTL_H
#define VFCTL_H

#include <getopt.h>
#include <stdbool.h>

#include "errinfo.h"

/* Exit statuses (documented in vfctl(8)). */
enum vfctl_exit {
	VFCTL_EXIT_OK = 0, /* done / device ready */
	VFCTL_EXIT_FAIL = 1, /* the operation failed; nothing changed or rolled back */
	VFCTL_EXIT_USAGE = 2, /* bad command line or bad input value */
	VFCTL_EXIT_NOT_READY = 3, /* check: a blocker was found */
	VFCTL_EXIT_PARTIAL = 4, /* apply/set: some changes made, each reported */
};

struct vflink; /* netlink backend (sriov/vflink.h) */

struct vfctl_ctx {
	const char *sysfs_root; /* prefix for /sys and /dev; "" on the real system */
	const char *state_dir; /* remembered drivers, ledger, last status */
	const char *config_dir; /* declared configuration, one PF per file */
	bool json;
	bool dry_run;
	bool force;
	int verbose;
	struct vflink *nl; /* opened lazily by vfctl_netlink() */
	const char *prog; /* argv[0] basename for messages */
};

/* Print "vfctl: <msg>" and "  hint: <hint>" on stderr. */
void vfctl_report(const struct vfctl_ctx *ctx, const struct errinfo *e);
/* Usage error naming the flag/value; returns VFCTL_EXIT_USAGE. */
int vfctl_usage_error(const struct vfctl_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * Every verb parses its options with getopt_long and accepts --help/-h:
 *
 *	static const struct option opts[] = {
 *		{"group", no_argument, NULL, 'g'}, VFCTL_OPT_HELP, {NULL, 0, NULL, 0},
 *	};
 *	optind = 0;
 *	while ((c = vfctl_getopt(ctx, argc, argv, "g", opts, &ret)) > 0)
 *		...handle c...
 *	if (c == 0)
 *		return ret;
 *	...positional arguments are argv[optind..argc-1]...
 *
 * @shortopts as for getopt_long (a leading '+' stops at the first
 * argument, so values such as "-1" stay arguments); "h" is added.  Returns
 * the option, -1 after the last one, or 0 when the verb must return
 * *status now: --help printed the verb's usage on stdout (status 0), or an
 * unknown option / missing value was reported (status 2) as
 *	vfctl VERB: unknown option '--x'
 *	Try 'vfctl VERB --help'.
 */
#define VFCTL_OPT_HELP                         \
	{                                      \
		"help", no_argument, NULL, 'h' \
	}
int vfctl_getopt(const struct vfctl_ctx *ctx, int argc, char **argv, const char *shortopts,
		 const struct option *longopts, int *status);
/* A verb with no option but --help: true when it must return *status now. */
bool vfctl_help_only(const struct vfctl_ctx *ctx, int argc, char **argv, int *status);
/* The pieces of vfctl_getopt(), for verbs that say more about a bad option. */
int vfctl_verb_help(const char *verb);
int vfctl_bad_option(const struct vfctl_ctx *ctx, const char *verb, int c, char **argv);

/*
 * DEV as the user wrote it (full/short BDF or netdev name) -> canonical BDF.
 * Reports the error itself; returns 0 or the exit status to use.
 */
int vfctl_resolve_dev(const struct vfctl_ctx *ctx, const char *dev, char *bdf);
/* Exit status for a library error: bad input values -> VFCTL_EXIT_USAGE, else FAIL. */
int vfctl_exit_for(int err);
/* The netlink backend (real libnl, or the recording fake when VFCTL_FAKE_NETLINK is set). */
struct vflink *vfctl_netlink(struct vfctl_ctx *ctx, struct errinfo *e);

/* Each verb gets argv[0] = the verb name; global options are already taken out. */
int cmd_list(struct vfctl_ctx *ctx, int argc, char **argv);
int cmd_show(struct vfctl_ctx *ctx, int argc, char **argv);
int cmd_check(struct vfctl_ctx *ctx, int argc, char **argv);
int cmd_vfs(struct vfctl_ctx *ctx, int argc, char **argv);
int cmd_set(struct vfctl_ctx *ctx, int argc, char **argv);
int cmd_bind(struct vfctl_ctx *ctx, int argc, char **argv);
int cmd_unbind(struct vfctl_ctx *ctx, int argc, char **argv);
int cmd_restore(struct vfctl_ctx *ctx, int argc, char **argv);
int cmd_apply(struct vfctl_ctx *ctx, int argc, char **argv);
int cmd_status(struct vfctl_ctx *ctx, int argc, char **argv);

#endif
