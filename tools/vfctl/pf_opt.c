// SPDX-License-Identifier: GPL-2.0-only
#include <string.h>

#include "pf_opt.h"

int vfctl_pf_opt(const struct vfctl_ctx *ctx, int argc, char **argv, const char *verb,
		 const char *synopsis, const char **pf, char *bdf)
{
	static const struct option opts[] = {
		{"pf", required_argument, NULL, 'p'},
		VFCTL_OPT_HELP,
		{NULL, 0, NULL, 0},
	};
	int c, ret;

	*pf = NULL;
	optind = 0;
	while ((c = vfctl_getopt(ctx, argc, argv, "", opts, &ret)) > 0)
		if (c == 'p')
			*pf = optarg;
	if (c == 0)
		return ret;
	if (optind < argc)
		return vfctl_usage_error(ctx, "%s: unexpected \"%s\"; usage: vfctl %s %s", verb,
					 argv[optind], verb, synopsis);
	if (*pf && !**pf)
		return vfctl_usage_error(ctx, "%s: --pf needs a device; usage: vfctl %s %s", verb,
					 verb, synopsis);
	if (*pf)
		return vfctl_resolve_dev(ctx, *pf, bdf);
	return 0;
}
