// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfctl vfs PF N [--no-autoprobe] [--wait SECONDS] [--msix-count K]: set the
 * number of VFs of a PF (and the MSI-X vectors each VF gets).
 */
#include <ctype.h>
#include <errno.h>
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

/*
 * Removing a VF that a VM holds through vfio-pci blocks inside the kernel
 * until the VM lets go: refuse unless --force, naming the VF.
 */
static int refuse_vfio_vfs(const struct vfctl_ctx *ctx, const char *bdf, int n)
{
	struct errinfo e = {0};
	struct sriov_pf pf;
	char first[BDF_LEN];
	int busy;

	if (ctx->force || sriov_pf_read(ctx->sysfs_root, bdf, &pf, NULL))
		return 0;
	busy = pf.numvfs != n ? sriov_vfs_on_vfio(ctx->sysfs_root, &pf, first) : 0;
	sriov_pf_free(&pf);
	if (!busy)
		return 0;
	err_set(&e, EBUSY,
		"%s: %d of its VFs (first %s) are bound to vfio-pci and may be in a VM; "
		"changing the VF count removes them",
		bdf, busy, first);
	err_hint(&e, "stop their VMs and give them back (vfctl restore --all), or use --force");
	vfctl_report(ctx, &e);
	return VFCTL_EXIT_FAIL;
}

int cmd_vfs(struct vfctl_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{"no-autoprobe", no_argument, NULL, 'A'},
		{"autoprobe", no_argument, NULL, 'a'},
		{"wait", required_argument, NULL, 'w'},
		{"msix-count", required_argument, NULL, 'm'},
		VFCTL_OPT_HELP,
		{NULL, 0, NULL, 0},
	};
	struct vf_count_opts o = {.autoprobe = -1, .wait_ms = 10000};
	struct vf_count_result res;
	struct errinfo e = {0};
	char bdf[BDF_LEN], *pf, *count;
	bool nvme;
	bool explicit_autoprobe = false;
	long n, wait, msix;
	int c, ret;

	/* optind 0 resets GNU getopt, which then permutes: options may follow PF and N. */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return vfctl_verb_help("vfs");
		case 'A':
			o.autoprobe = 0;
			explicit_autoprobe = true;
			break;
		case 'a':
			o.autoprobe = 1;
			explicit_autoprobe = true;
			break;
		case 'm':
			/* A function has at most 2048 MSI-X table entries (PCIe spec). */
			if (parse_count(optarg, 2048, &msix) || msix == 0)
				return vfctl_usage_error(ctx,
							 "vfs: --msix-count takes a number of "
							 "vectors per VF (1-2048), not \"%s\"",
							 optarg);
			o.msix_count = (unsigned int)msix;
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
			/* "vfs PF -1" reaches getopt as an option: name the real mistake. */
			if (argv[optind - 1][0] == '-' &&
			    isdigit((unsigned char)argv[optind - 1][1]))
				return vfctl_usage_error(ctx,
							 "vfs: the VF count must be a number "
							 "0-65535, not \"%s\"",
							 argv[optind - 1]);
			return vfctl_bad_option(ctx, "vfs", c, argv);
		}
	}
	if (argc - optind != 2)
		return vfctl_usage_error(ctx, "usage: vfctl vfs PF N [--no-autoprobe] [--wait "
					      "SECONDS] [--msix-count K]");
	if (o.msix_count) {
		/*
		 * The kernel only changes the count of a VF without a driver: new
		 * VFs must not be probed, so --msix-count implies --no-autoprobe.
		 */
		if (explicit_autoprobe && o.autoprobe)
			return vfctl_usage_error(ctx, "vfs: --msix-count needs autoprobe off (a "
						      "VF's vector count cannot change while a "
						      "driver is bound); drop --autoprobe");
		o.autoprobe = 0;
	}
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
	ret = refuse_vfio_vfs(ctx, bdf, (int)n);
	if (ret)
		return ret;
	nvme = nvme_virt_is_nvme_pf(ctx->sysfs_root, bdf);
	if (nvme)
		o.hooks = &nvme_hooks;
	o.dry_run = ctx->dry_run;
	o.state_dir = ctx->state_dir;
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
		if (o.msix_count) {
			out_json_int(j, "msix_count", o.msix_count);
			out_json_int(j, "msix_set", res.msix_set);
		}
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
		if (o.msix_count)
			printf("%s: would give each VF %u MSI-X vectors (autoprobe off)\n", bdf,
			       o.msix_count);
		return VFCTL_EXIT_OK;
	}
	if (!res.changed)
		printf("%s: already has %ld VFs%s\n", bdf, n,
		       res.autoprobe_changed ? " (autoprobe updated)" : "");
	else
		printf("%s: VFs %d -> %d%s%s\n", bdf, res.before, res.after,
		       res.wrote_zero && n > 0 ? " (old VFs removed first)" : "",
		       nvme && n > 0 ? ", NVMe VF resources assigned and online" : "");
	if (o.msix_count)
		printf("%s: %u MSI-X vectors per VF (%d VFs updated); the VFs have no driver: "
		       "bind each with \"vfctl bind VF DRIVER\"\n",
		       bdf, o.msix_count, res.msix_set);
	return VFCTL_EXIT_OK;
}
