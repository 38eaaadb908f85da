// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfctl check DEV...: can these devices go to a VM now?  Exit 0 yes, 3 no.
 * The engine is src/host/preflight.c, the words tools/common/preflight_out.c
 * (the same as `vfvm check`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "preflight_out.h"
#include "vfctl.h"

/* A device the host uses is vfctl's to take with --force: say so in the fix. */
static void offer_force(struct preflight_report *r)
{
	for (int i = 0; i < r->n; i++) {
		struct preflight_item *it = &r->items[i];
		size_t len = strlen(it->fix);

		if (it->status == PREFLIGHT_FAIL && !strcmp(it->id, "host-use") && len)
			snprintf(it->fix + len, sizeof(it->fix) - len, ", or use --force");
	}
}

int cmd_check(struct vfctl_ctx *ctx, int argc, char **argv)
{
	struct json_object *jarr = NULL;
	struct preflight_opts o = {0};
	struct preflight_report r;
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
	o.together = together;
	o.n_together = n;
	if (ctx->json)
		jarr = json_object_new_array();
	for (i = 0; i < n; i++) {
		ret = preflight_device(ctx->sysfs_root, bdfs[i], &o, &r, &e);
		if (ret) {
			vfctl_report(ctx, &e);
			status = VFCTL_EXIT_FAIL;
			continue;
		}
		offer_force(&r);
		if (!preflight_ready(&r) && status == VFCTL_EXIT_OK)
			status = VFCTL_EXIT_NOT_READY;
		if (jarr)
			json_object_array_add(jarr, preflight_json(&r));
		else
			preflight_print(stdout, &r);
	}
	if (jarr)
		out_json_print(jarr);
	ret = status;
out_ret:
	free(bdfs);
	free(together);
	return ret;
}
