// SPDX-License-Identifier: GPL-2.0-only
/* vfctl check DEV...: can these devices go to a VM now?  Exit 0 yes, 3 no. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "output.h"
#include "vfctl.h"

static struct json_object *report_json(const struct check_report *r)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	int i;

	out_json_str(o, "bdf", r->bdf);
	out_json_bool(o, "ready", r->n_blockers == 0);
	for (i = 0; i < r->n; i++) {
		struct json_object *it = json_object_new_object();

		out_json_str(it, "check", r->items[i].name);
		out_json_str(it, "status", check_status_name(r->items[i].status));
		out_json_str(it, "detail", r->items[i].detail);
		out_json_str(it, "hint", r->items[i].hint);
		json_object_array_add(arr, it);
	}
	json_object_object_add(o, "checks", arr);
	return o;
}

static void report_print(const struct check_report *r)
{
	int i;

	printf("%s: %s\n", r->bdf,
	       r->n_blockers ? "NOT READY for passthrough" : "ready for passthrough");
	for (i = 0; i < r->n; i++) {
		const struct check_item *it = &r->items[i];

		printf("  %-8s %-20s %s\n", check_status_name(it->status), it->name, it->detail);
		if (it->hint[0] && it->status != CHECK_OK)
			printf("  %-8s %-20s -> %s\n", "", "", it->hint);
	}
}

int cmd_check(struct vfctl_ctx *ctx, int argc, char **argv)
{
	struct json_object *jarr = NULL;
	struct check_report r;
	struct errinfo e = {0};
	char(*bdfs)[BDF_LEN];
	const char **together;
	int i, n = 0, ret, status = VFCTL_EXIT_OK;

	if (vfctl_help_only(ctx, argc, argv, &ret))
		return ret;
	argc -= optind - 1; /* the arguments from argv[1] on, as before */
	argv += optind - 1;
	if (argc < 2)
		return vfctl_usage_error(ctx, "usage: vfctl check DEV...");
	bdfs = calloc((size_t)argc, sizeof(*bdfs));
	together = calloc((size_t)argc, sizeof(*together));
	if (!bdfs || !together) {
		free(bdfs);
		free(together);
		return VFCTL_EXIT_FAIL;
	}
	for (i = 1; i < argc; i++) {
		ret = vfctl_resolve_dev(ctx, argv[i], bdfs[n]);
		if (ret)
			goto out_ret;
		together[n] = bdfs[n];
		n++;
	}
	if (ctx->json)
		jarr = json_object_new_array();
	for (i = 0; i < n; i++) {
		ret = check_device(ctx->sysfs_root, bdfs[i], together, n, &r, &e);
		if (ret) {
			vfctl_report(ctx, &e);
			status = VFCTL_EXIT_FAIL;
			continue;
		}
		if (r.n_blockers && status == VFCTL_EXIT_OK)
			status = VFCTL_EXIT_NOT_READY;
		if (jarr)
			json_object_array_add(jarr, report_json(&r));
		else
			report_print(&r);
	}
	if (jarr)
		out_json_print(jarr);
	ret = status;
out_ret:
	free(bdfs);
	free(together);
	return ret;
}
