// SPDX-License-Identifier: GPL-2.0-only
/* vfctl vfs PF N [--no-autoprobe] [--wait SECONDS]: set the number of VFs of a PF. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_virt.h"
#include "output.h"
#include "sriov_pf.h"
#include "vf_count.h"
#include "vfctl.h"

/* NVMe PFs: VFs are useless without queue/interrupt resources (see nvme_virt.h). */
static const struct vf_count_hooks nvme_hooks = {
	.prepare = nvme_virt_prepare,
	.online = nvme_virt_online_vfs,
};

static int parse_count(const char *s, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

int cmd_vfs(struct vfctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"no-autoprobe", no_argument, NULL, 'A'},
		{"autoprobe", no_argument, NULL, 'a'},
		{"wait", required_argument, NULL, 'w'},
		{NULL, 0, NULL, 0},
	};
	struct vf_count_opts o = {.autoprobe = -1, .wait_ms = 10000};
	struct vf_count_result res;
	struct errinfo e = {0};
	char bdf[BDF_LEN], *pf, *count;
	bool nvme;
	long n, wait;
	int c, ret;

	/* optind 0 resets GNU getopt, which then permutes: options may follow PF and N. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'A':
			o.autoprobe = 0;
			break;
		case 'a':
			o.autoprobe = 1;
			break;
		case 'w':
			if (parse_count(optarg, 3600, &wait))
				return vfctl_usage_error(ctx,
							 "vfs: --wait takes seconds (0-3600), "
							 "not \"%s\"",
							 optarg);
			o.wait_ms = (int)wait * 1000;
			break;
		default:
			return vfctl_usage_error(ctx, "vfs: unknown option %s", argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return vfctl_usage_error(ctx, "usage: vfctl vfs PF N [--no-autoprobe] [--wait "
					      "SECONDS]");
	pf = argv[optind];
	count = argv[optind + 1];
	ret = vfctl_resolve_dev(ctx, pf, bdf);
	if (ret)
		return ret;
	if (parse_count(count, 65535, &n))
		return vfctl_usage_error(ctx,
					 "vfs: the VF count must be a number 0-65535, not "
					 "\"%s\"",
					 count);
	nvme = nvme_virt_is_nvme_pf(ctx->sysfs_root, bdf);
	if (nvme)
		o.hooks = &nvme_hooks;
	o.dry_run = ctx->dry_run;
	ret = vf_count_set(ctx->sysfs_root, bdf, (int)n, &o, &res, &e);
	if (ret) {
		vfctl_report(ctx, &e);
		return vfctl_exit_for(ret);
	}
	if (ctx->json) {
		struct json_object *j = json_object_new_object();

		out_json_str(j, "pf", bdf);
		out_json_int(j, "before", res.before);
		out_json_int(j, "after", ctx->dry_run ? res.before : res.after);
		out_json_bool(j, "changed", res.changed);
		out_json_bool(j, "dry_run", ctx->dry_run);
		out_json_bool(j, "nvme_resources", nvme && n > 0 && res.changed);
		out_json_print(j);
		return VFCTL_EXIT_OK;
	}
	if (ctx->dry_run) {
		if (res.before == n)
			printf("%s: already has %ld VFs; nothing to do\n", bdf, n);
		else
			printf("%s: would change VFs %d -> %ld%s%s\n", bdf, res.before, n,
			       res.before > 0 && n > 0 ? " (writing 0 first)" : "",
			       nvme && n > 0 ? ", assigning NVMe VF resources" : "");
		return VFCTL_EXIT_OK;
	}
	if (!res.changed)
		printf("%s: already has %ld VFs%s\n", bdf, n,
		       res.autoprobe_changed ? " (autoprobe updated)" : "");
	else
		printf("%s: VFs %d -> %d%s%s\n", bdf, res.before, res.after,
		       res.wrote_zero && n > 0 ? " (old VFs removed first)" : "",
		       nvme && n > 0 ? ", NVMe VF resources assigned and online" : "");
	return VFCTL_EXIT_OK;
}
