// SPDX-License-Identifier: GPL-2.0-only
/* vfctl bind DEV DRIVER [--group], vfctl unbind DEV, vfctl restore DEV|--all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind.h"
#include "iommu.h"
#include "pci_sysfs.h"
#include "vfctl.h"

static unsigned int flags_of(const struct vfctl_ctx *ctx)
{
	return (ctx->force ? SRIOV_BIND_FORCE : 0) | (ctx->dry_run ? SRIOV_BIND_DRY_RUN : 0);
}

/* After a move to vfio-pci: say where the group's device node is and whether it is usable. */
static void report_vfio(const struct vfctl_ctx *ctx, const char *bdf)
{
	char path[SYSFS_PATH_MAX];
	struct iommu_group g;
	int i;

	if (iommu_group_read(ctx->sysfs_root, bdf, NULL, 0, &g, NULL))
		return;
	if (!sysfs_path(path, sizeof(path), ctx->sysfs_root, "/dev/vfio/%d", g.group) &&
	    sysfs_exists(path))
		printf("  /dev/vfio/%d is ready\n", g.group);
	if (!g.viable) {
		printf("  warning: IOMMU group %d is not viable yet; still on host drivers:",
		       g.group);
		for (i = 0; i < g.n; i++)
			if (g.members[i].blocking)
				printf(" %s (%s)", g.members[i].bdf, g.members[i].driver);
		printf("\n  hint: vfctl bind %s vfio-pci --group\n", bdf);
	}
	iommu_group_free(&g);
}

static void print_move(const struct sriov_bind_saved *s, const char *driver, bool dry)
{
	if (!strcmp(s->driver, driver))
		printf("%s: already bound to %s\n", s->bdf, driver);
	else
		printf("%s: %s%s -> %s\n", s->bdf, dry ? "would move " : "",
		       *s->driver ? s->driver : "(no driver)", driver);
}

int cmd_bind(struct vfctl_ctx *ctx, int argc, char **argv)
{
	struct sriov_bind_saved saved, *all;
	struct errinfo e = {0};
	char bdf[BDF_LEN];
	const char *args[2];
	bool group = false;
	int i, n = 0, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--group") || !strcmp(argv[i], "-g"))
			group = true;
		else if (argv[i][0] == '-')
			return vfctl_usage_error(ctx, "bind: unknown option %s", argv[i]);
		else if (n < 2)
			args[n++] = argv[i];
		else
			n = 3;
	}
	if (n != 2)
		return vfctl_usage_error(ctx, "usage: vfctl bind DEV DRIVER [--group]");
	ret = vfctl_resolve_dev(ctx, args[0], bdf);
	if (ret)
		return ret;
	if (group) {
		ret = sriov_bind_group(ctx->sysfs_root, ctx->state_dir, bdf, args[1], flags_of(ctx),
				       &all, &n, &e);
		if (ret) {
			vfctl_report(ctx, &e);
			return vfctl_exit_for(ret);
		}
		if (ctx->dry_run)
			printf("%s: checks passed; would move its IOMMU group to %s\n", bdf,
			       args[1]);
		for (i = 0; i < n; i++)
			print_move(&all[i], args[1], false);
		free(all);
	} else {
		ret = sriov_bind_take(ctx->sysfs_root, ctx->state_dir, bdf, args[1], flags_of(ctx),
				      &saved, &e);
		if (ret) {
			vfctl_report(ctx, &e);
			return vfctl_exit_for(ret);
		}
		print_move(&saved, args[1], ctx->dry_run);
	}
	if (!ctx->dry_run && iommu_driver_is_vfio(args[1]))
		report_vfio(ctx, bdf);
	return VFCTL_EXIT_OK;
}

int cmd_unbind(struct vfctl_ctx *ctx, int argc, char **argv)
{
	struct sriov_bind_saved saved;
	struct errinfo e = {0};
	char bdf[BDF_LEN];
	int ret;

	if (argc != 2 || argv[1][0] == '-')
		return vfctl_usage_error(ctx, "usage: vfctl unbind DEV");
	ret = vfctl_resolve_dev(ctx, argv[1], bdf);
	if (ret)
		return ret;
	ret = sriov_unbind(ctx->sysfs_root, ctx->state_dir, bdf, flags_of(ctx), &saved, &e);
	if (ret) {
		vfctl_report(ctx, &e);
		return vfctl_exit_for(ret);
	}
	if (!saved.driver[0])
		printf("%s: has no driver; nothing to do\n", bdf);
	else
		printf("%s: %sunbound from %s (vfctl restore %s gives it back)\n", bdf,
		       ctx->dry_run ? "would be " : "", saved.driver, bdf);
	return VFCTL_EXIT_OK;
}

static const char *out_driver(const char *d)
{
	return *d ? d : "no driver";
}

static int restore_one(struct vfctl_ctx *ctx, const char *bdf)
{
	struct sriov_bind_saved saved;
	struct errinfo e = {0};
	int ret;

	if (ctx->dry_run) {
		ret = sriov_bind_state_read(ctx->state_dir, bdf, &saved, &e);
		if (!ret)
			printf("%s: would give back to %s\n", bdf, out_driver(saved.driver));
	} else {
		ret = sriov_restore(ctx->sysfs_root, ctx->state_dir, bdf, &saved, &e);
		if (!ret)
			printf("%s: given back to %s\n", bdf, out_driver(saved.driver));
	}
	if (ret) {
		vfctl_report(ctx, &e);
		return vfctl_exit_for(ret);
	}
	return VFCTL_EXIT_OK;
}

int cmd_restore(struct vfctl_ctx *ctx, int argc, char **argv)
{
	char bdf[BDF_LEN], (*list)[BDF_LEN];
	struct errinfo e = {0};
	int i, n, ret, status = VFCTL_EXIT_OK;

	if (argc != 2)
		return vfctl_usage_error(ctx, "usage: vfctl restore DEV|--all");
	if (strcmp(argv[1], "--all")) {
		if (argv[1][0] == '-')
			return vfctl_usage_error(ctx, "restore: unknown option %s", argv[1]);
		ret = vfctl_resolve_dev(ctx, argv[1], bdf);
		if (ret)
			return ret;
		return restore_one(ctx, bdf);
	}
	ret = sriov_bind_state_list(ctx->state_dir, &list, &n, &e);
	if (ret) {
		vfctl_report(ctx, &e);
		return VFCTL_EXIT_FAIL;
	}
	if (n == 0)
		printf("nothing to restore: no device moved by vfctl is remembered in %s\n",
		       ctx->state_dir);
	/* Keep going after a failure: every device that can go back should. */
	for (i = 0; i < n; i++) {
		ret = restore_one(ctx, list[i]);
		if (ret && status == VFCTL_EXIT_OK)
			status = VFCTL_EXIT_FAIL;
	}
	free(list);
	return status;
}
