// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfctl status [--pf DEV] [--json]: the result of the last `vfctl apply`,
 * per PF, with what it changed.  The exit status repeats that result
 * (0 ok/unchanged, 1 failed, 4 partial) so scripts and health checks can
 * use it directly.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "apply.h"
#include "output.h"
#include "pci_addr.h"
#include "pf_opt.h"
#include "vfctl.h"

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void print_list(struct json_object *o, const char *key, const char *tag)
{
	struct json_object *a;

	if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		printf("  %s%s\n", tag, json_object_get_string(json_object_array_get_idx(a, i)));
}

static int result_exit(const char *r)
{
	if (r && !strcmp(r, "failed"))
		return VFCTL_EXIT_FAIL;
	if (r && !strcmp(r, "partial"))
		return VFCTL_EXIT_PARTIAL;
	return VFCTL_EXIT_OK;
}

/* Keep only the entry for bdf; recompute the overall result from it. */
static void filter_pf(struct json_object *root, const char *bdf)
{
	struct json_object *pfs, *keep = json_object_new_array();
	const char *res = "unchanged";

	if (!keep || !json_object_object_get_ex(root, "pfs", &pfs)) {
		json_object_put(keep);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(pfs); i++) {
		struct json_object *o = json_object_array_get_idx(pfs, i);
		const char *b = jstr(o, "bdf");

		if (b && !strcmp(b, bdf)) {
			json_object_array_add(keep, json_object_get(o));
			res = jstr(o, "result") ? jstr(o, "result") : res;
		}
	}
	json_object_object_add(root, "pfs", keep);
	json_object_object_add(root, "result", json_object_new_string(res));
}

int cmd_status(struct vfctl_ctx *ctx, int argc, char **argv)
{
	struct json_object *root, *pfs, *t;
	struct errinfo e;
	char bdf[BDF_LEN], when[64] = "?";
	const char *pf, *result;
	int ret;

	ret = vfctl_pf_opt(ctx, argc, argv, "status", "[--pf DEV] [--json]", &pf, bdf);
	if (ret)
		return ret;
	ret = apply_status_load(ctx->state_dir, &root, &e);
	if (ret == -ENOENT) {
		if (ctx->json)
			out_json_print(json_object_new_object());
		else
			printf("vfctl apply has not run yet (no %s/%s)\n", ctx->state_dir,
			       APPLY_STATUS_FILE);
		return VFCTL_EXIT_OK;
	}
	if (ret) {
		vfctl_report(ctx, &e);
		return VFCTL_EXIT_FAIL;
	}
	if (pf)
		filter_pf(root, bdf);
	result = jstr(root, "result");
	ret = result_exit(result);
	if (ctx->json) {
		out_json_print(root);
		return ret;
	}
	if (json_object_object_get_ex(root, "time", &t)) {
		time_t tt = (time_t)json_object_get_int64(t);
		struct tm tm;

		if (gmtime_r(&tt, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	}
	printf("last apply: %s: %s\n", when, result ? result : "?");
	if (json_object_object_get_ex(root, "pfs", &pfs) &&
	    json_object_is_type(pfs, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(pfs); i++) {
			struct json_object *o = json_object_array_get_idx(pfs, i);
			const char *cfg = jstr(o, "config");

			printf("%s (%s): %s\n", out_or_dash(jstr(o, "bdf")),
			       cfg ? cfg : "no longer declared", out_or_dash(jstr(o, "result")));
			print_list(o, "changed", "");
			print_list(o, "unsupported", "unsupported: ");
			print_list(o, "rolled_back", "rolled back: ");
			if (jstr(o, "error"))
				printf("  error: %s\n", jstr(o, "error"));
			if (jstr(o, "hint"))
				printf("  hint: %s\n", jstr(o, "hint"));
		}
	}
	json_object_put(root);
	return ret;
}
