// SPDX-License-Identifier: GPL-2.0-only
/* vfctl bind DEV DRIVER [--group], vfctl unbind DEV, vfctl restore DEV|--all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind.h"
#include "iommu.h"
#include "output.h"
#include "pci_sysfs.h"
#include "vfctl.h"

static unsigned int flags_of(const struct vfctl_ctx *ctx)
{
	return (ctx->force ? PCI_BIND_FORCE : 0) | (ctx->dry_run ? PCI_BIND_DRY_RUN : 0);
}

static const char *or_none(const char *driver)
{
	return *driver ? driver : "no driver";
}

/*
 * After a move to vfio-pci: where the group's device node is and whether the
 * group is usable.  Adds keys to j when JSON is wanted, prints otherwise.
 */
static void report_vfio(const struct vfctl_ctx *ctx, const char *bdf, struct json_object *j)
{
	char path[SYSFS_PATH_MAX], node[32];
	struct json_object *arr;
	struct iommu_group g;
	bool have_node;
	int i;

	if (iommu_group_read(ctx->sysfs_root, bdf, NULL, 0, &g, NULL))
		return;
	snprintf(node, sizeof(node), "/dev/vfio/%d", g.group);
	have_node =
		!sysfs_path(path, sizeof(path), ctx->sysfs_root, "%s", node) && sysfs_exists(path);
	if (j) {
		out_json_int(j, "iommu_group", g.group);
		out_json_str(j, "vfio_dev", have_node ? node : NULL);
		out_json_bool(j, "group_viable", g.viable);
		arr = json_object_new_array();
		for (i = 0; i < g.n; i++) {
			struct json_object *m;

			if (!g.members[i].blocking)
				continue;
			m = json_object_new_object();
			out_json_str(m, "bdf", g.members[i].bdf);
			out_json_str(m, "driver", g.members[i].driver);
			json_object_array_add(arr, m);
		}
		json_object_object_add(j, "still_on_host", arr);
		iommu_group_free(&g);
		return;
	}
	if (have_node)
		printf("  %s is ready\n", node);
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

static void print_move(const struct pci_bind_saved *s, const char *driver, bool dry)
{
	if (!strcmp(s->driver, driver))
		printf("%s: already bound to %s\n", s->bdf, driver);
	else
		printf("%s: %s%s -> %s\n", s->bdf, dry ? "would move " : "",
		       *s->driver ? s->driver : "(no driver)", driver);
}

static struct json_object *move_json(const struct pci_bind_saved *s, const char *to)
{
	struct json_object *m = json_object_new_object();

	out_json_str(m, "bdf", s->bdf);
	out_json_str(m, "from", s->driver);
	out_json_str(m, "to", to);
	out_json_bool(m, "changed", s->changed);
	return m;
}

int cmd_bind(struct vfctl_ctx *ctx, int argc, char **argv)
{
	struct pci_bind_saved saved, *all = NULL;
	struct json_object *j = NULL, *moves = NULL;
	struct errinfo e = {0};
	char bdf[BDF_LEN];
	static const struct option opts[] = {
		{"group", no_argument, NULL, 'g'},
		VFCTL_OPT_HELP,
		{NULL, 0, NULL, 0},
	};
	const char *args[2];
	bool group = false;
	int i, n, c, ret;

	optind = 0;
	while ((c = vfctl_getopt(ctx, argc, argv, "g", opts, &ret)) > 0)
		if (c == 'g')
			group = true;
	if (c == 0)
		return ret;
	if (argc - optind != 2)
		return vfctl_usage_error(ctx, "usage: vfctl bind DEV DRIVER [--group]");
	args[0] = argv[optind];
	args[1] = argv[optind + 1];
	ret = vfctl_resolve_dev(ctx, args[0], bdf);
	if (ret)
		return ret;
	if (group) {
		ret = pci_bind_group(ctx->sysfs_root, ctx->state_dir, bdf, args[1], flags_of(ctx),
				     &all, &n, &e);
	} else {
		ret = pci_bind_take(ctx->sysfs_root, ctx->state_dir, bdf, args[1], flags_of(ctx),
				    &saved, &e);
		n = 1;
	}
	if (ret) {
		vfctl_report(ctx, &e);
		return vfctl_exit_for(ret);
	}
	if (ctx->json) {
		j = json_object_new_object();
		moves = json_object_new_array();
		for (i = 0; i < n; i++)
			json_object_array_add(moves, move_json(group ? &all[i] : &saved, args[1]));
		json_object_object_add(j, "moves", moves);
		out_json_bool(j, "dry_run", ctx->dry_run);
	} else if (group) {
		if (ctx->dry_run)
			printf("%s: checks passed; would move its IOMMU group to %s\n", bdf,
			       args[1]);
		for (i = 0; i < n; i++)
			print_move(&all[i], args[1], ctx->dry_run);
	} else {
		print_move(&saved, args[1], ctx->dry_run);
	}
	if (!ctx->dry_run && iommu_driver_is_vfio(args[1]))
		report_vfio(ctx, bdf, j);
	if (j)
		out_json_print(j);
	free(all);
	return VFCTL_EXIT_OK;
}

int cmd_unbind(struct vfctl_ctx *ctx, int argc, char **argv)
{
	struct pci_bind_saved saved;
	struct errinfo e = {0};
	char bdf[BDF_LEN];
	int ret;

	if (vfctl_help_only(ctx, argc, argv, &ret))
		return ret;
	if (argc - optind != 1)
		return vfctl_usage_error(ctx, "usage: vfctl unbind DEV");
	ret = vfctl_resolve_dev(ctx, argv[optind], bdf);
	if (ret)
		return ret;
	ret = pci_unbind(ctx->sysfs_root, ctx->state_dir, bdf, flags_of(ctx), &saved, &e);
	if (ret) {
		vfctl_report(ctx, &e);
		return vfctl_exit_for(ret);
	}
	if (ctx->json) {
		struct json_object *j = move_json(&saved, NULL);

		out_json_bool(j, "dry_run", ctx->dry_run);
		out_json_print(j);
	} else if (!saved.driver[0]) {
		printf("%s: has no driver; nothing to do\n", bdf);
	} else {
		printf("%s: %sunbound from %s (vfctl restore %s gives it back)\n", bdf,
		       ctx->dry_run ? "would be " : "", saved.driver, bdf);
	}
	return VFCTL_EXIT_OK;
}

static int restore_one(struct vfctl_ctx *ctx, const char *bdf, struct json_object *jarr)
{
	struct pci_bind_saved saved;
	struct errinfo e = {0};
	int ret;

	if (ctx->dry_run)
		ret = pci_bind_state_read(ctx->state_dir, bdf, &saved, &e);
	else
		ret = pci_restore(ctx->sysfs_root, ctx->state_dir, bdf, &saved, &e);
	if (ret) {
		vfctl_report(ctx, &e);
		return vfctl_exit_for(ret);
	}
	if (jarr) {
		struct json_object *m = json_object_new_object();

		out_json_str(m, "bdf", bdf);
		out_json_str(m, "driver", saved.driver);
		out_json_bool(m, "restored", !ctx->dry_run);
		json_object_array_add(jarr, m);
	} else {
		printf("%s: %s %s\n", bdf, ctx->dry_run ? "would give back to" : "given back to",
		       or_none(saved.driver));
	}
	return VFCTL_EXIT_OK;
}

int cmd_restore(struct vfctl_ctx *ctx, int argc, char **argv)
{
	char bdf[BDF_LEN], (*list)[BDF_LEN] = NULL;
	struct json_object *jarr = NULL;
	struct errinfo e = {0};
	static const struct option opts[] = {
		{"all", no_argument, NULL, 'a'},
		VFCTL_OPT_HELP,
		{NULL, 0, NULL, 0},
	};
	int i, n, c, ret, status = VFCTL_EXIT_OK;
	bool all = false;

	optind = 0;
	while ((c = vfctl_getopt(ctx, argc, argv, "", opts, &ret)) > 0)
		if (c == 'a')
			all = true;
	if (c == 0)
		return ret;
	if (argc - optind != !all)
		return vfctl_usage_error(ctx, "usage: vfctl restore DEV|--all");
	if (!all) {
		ret = vfctl_resolve_dev(ctx, argv[optind], bdf);
		if (ret)
			return ret;
		n = 1;
	} else {
		ret = pci_bind_state_list(ctx->state_dir, &list, &n, &e);
		if (ret) {
			vfctl_report(ctx, &e);
			return VFCTL_EXIT_FAIL;
		}
		if (n == 0 && !ctx->json)
			printf("nothing to restore: no device moved by vfctl is remembered in %s\n",
			       ctx->state_dir);
	}
	if (ctx->json)
		jarr = json_object_new_array();
	/* Keep going after a failure: every device that can go back should. */
	for (i = 0; i < n; i++) {
		ret = restore_one(ctx, list ? list[i] : bdf, jarr);
		if (ret && status == VFCTL_EXIT_OK)
			status = ret;
	}
	if (jarr)
		out_json_print(jarr);
	free(list);
	return status;
}
