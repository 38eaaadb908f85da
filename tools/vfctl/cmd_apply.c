// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfctl apply [--pf DEV] [--dry-run] [--json]
 *
 * Reconcile the declared configuration (config dir) with the devices, undo
 * what vfctl changed and no file declares any more, and record the result
 * for `vfctl status`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "apply.h"
#include "bind.h"
#include "config.h"
#include "ledger.h"
#include "output.h"
#include "pci_addr.h"
#include "pf_opt.h"
#include "statedir.h"
#include "vfctl.h"

static void print_lines(char (*l)[APPLY_LINE_LEN], int n, const char *tag)
{
	for (int i = 0; i < n; i++)
		printf("  %s%s\n", tag, l[i]);
}

static void print_human(const struct vfctl_ctx *ctx, const struct apply_report *rep)
{
	for (int i = 0; i < rep->nr_pfs; i++) {
		const struct apply_pf_result *r = &rep->pfs[i];
		const char *what = apply_outcome_name(r->outcome);

		if (rep->dry_run && r->outcome == APPLY_OK)
			what = "would change";
		printf("%s (%s): %s\n", r->bdf, r->config[0] ? r->config : "no longer declared",
		       what);
		for (int k = 0; k < r->plan.nr; k++) {
			char line[APPLY_LINE_LEN];

			rc_action_str(&r->plan.acts[k], line, sizeof(line));
			printf("  %s\n", line);
		}
		print_lines(r->changed, r->nr_changed, "");
		print_lines(r->unsupported, r->nr_unsupported, "unsupported: ");
		print_lines(r->rolled_back, r->nr_rolled_back, "rolled back: ");
		if (r->err.err)
			vfctl_report(ctx, &r->err);
	}
	if (!rep->nr_pfs)
		printf("nothing declared in %s and nothing to undo\n", ctx->config_dir);
}

/*
 * One apply at a time: at boot the unit and the udev-started per-PF
 * applies can overlap, and both read-modify-write the ledger.
 */
static int apply_lock(const struct vfctl_ctx *ctx, struct errinfo *e)
{
	char path[4096];
	int dfd, fd;

	dfd = statedir_open(ctx->state_dir, true, e);
	if (dfd < 0)
		return dfd;
	snprintf(path, sizeof(path), "%s/apply.lock", ctx->state_dir);
	/* O_NOFOLLOW: a link planted as apply.lock must not make root create a file elsewhere. */
	fd = openat(dfd, "apply.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	close(dfd);
	if (fd < 0)
		return err_sys(e, errno, "open %s", path);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			err_sys(e, errno, "lock %s", path);
			close(fd);
			return -e->err;
		}
	}
	return fd;
}

/* A broken file at boot must show in `vfctl status` too, not only in the journal. */
static void save_config_error(const struct vfctl_ctx *ctx, const struct errinfo *err)
{
	struct apply_pf_result res;
	struct apply_report rep;
	struct errinfo e;

	memset(&res, 0, sizeof(res));
	memset(&rep, 0, sizeof(rep));
	snprintf(res.bdf, sizeof(res.bdf), "-");
	snprintf(res.config, sizeof(res.config), "%s", ctx->config_dir);
	res.outcome = APPLY_FAILED;
	res.err = *err;
	rep.pfs = &res;
	rep.nr_pfs = 1;
	rep.time = (long long)time(NULL);
	if (apply_status_save(ctx->state_dir, &rep, false, &e))
		vfctl_report(ctx, &e);
}

static int exit_status(const struct apply_report *rep)
{
	switch (apply_report_outcome(rep)) {
	case APPLY_FAILED:
		return VFCTL_EXIT_FAIL;
	case APPLY_PARTIAL:
		return VFCTL_EXIT_PARTIAL;
	default:
		return VFCTL_EXIT_OK;
	}
}

int cmd_apply(struct vfctl_ctx *ctx, int argc, char **argv)
{
	struct apply_sys sys = {0};
	struct apply_opts opts = {0};
	struct config_set cfg;
	struct ledger led;
	struct apply_report rep;
	struct errinfo e;
	char bdf[BDF_LEN];
	const char *pf;
	int ret, lock_fd = -1;

	ret = vfctl_pf_opt(ctx, argc, argv, "apply", "[--pf DEV] [--dry-run] [--json]", &pf, bdf);
	if (ret)
		return ret;
	if (pf)
		opts.only_bdf = bdf;
	opts.dry_run = ctx->dry_run;
	opts.state_dir = ctx->dry_run ? NULL : ctx->state_dir;
	if (!ctx->dry_run) {
		lock_fd = apply_lock(ctx, &e);
		if (lock_fd < 0) {
			vfctl_report(ctx, &e);
			return VFCTL_EXIT_FAIL;
		}
	}

	ret = config_load_dir(ctx->config_dir, &cfg, &e);
	if (ret) {
		err_prefix(&e, "configuration not applied, nothing changed");
		vfctl_report(ctx, &e);
		if (!ctx->dry_run)
			save_config_error(ctx, &e);
		ret = VFCTL_EXIT_USAGE;
		goto out_unlock;
	}
	ret = ledger_load(ctx->state_dir, &led, &e);
	if (ret) {
		vfctl_report(ctx, &e);
		config_set_free(&cfg);
		ret = VFCTL_EXIT_FAIL;
		goto out_unlock;
	}

	sys.root = ctx->sysfs_root;
	sys.state_dir = ctx->state_dir;
	sys.bind_flags = ctx->force ? PCI_BIND_FORCE : 0;
	/* Without netlink only VF link settings fail; counts and drivers still apply. */
	sys.nl = vfctl_netlink(ctx, &sys.nl_err);

	ret = apply_run(&apply_sys_ops, &sys, &cfg, &led, &opts, &rep, &e);
	if (ret) {
		vfctl_report(ctx, &e);
		ret = VFCTL_EXIT_FAIL;
		goto out;
	}
	if (!opts.dry_run && apply_status_save(ctx->state_dir, &rep, pf != NULL, &e)) {
		/* The devices are as reported; only `vfctl status` will not know. */
		vfctl_report(ctx, &e);
	}
	if (ctx->json)
		out_json_print(apply_report_json(&rep));
	else
		print_human(ctx, &rep);
	if (ctx->json)
		for (int i = 0; i < rep.nr_pfs; i++)
			if (rep.pfs[i].err.err)
				vfctl_report(ctx, &rep.pfs[i].err);
	ret = exit_status(&rep);
	apply_report_free(&rep);
out:
	ledger_free(&led);
	config_set_free(&cfg);
out_unlock:
	if (lock_fd >= 0)
		close(lock_fd);
	return ret;
}
