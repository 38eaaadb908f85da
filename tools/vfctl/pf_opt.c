// SPDX-License-Identifier: GPL-2.0-only
#include <string.h>

#include "pf_opt.h"

int vfctl_pf_opt(const struct vfctl_ctx *ctx, int argc, char **argv, const char *verb,
		 const char *synopsis, const char **pf, char *bdf)
{
	*pf = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pf") && i + 1 < argc)
			*pf = argv[++i];
		else if (!strncmp(argv[i], "--pf=", 5) && argv[i][5])
			*pf = argv[i] + 5;
		else
			return vfctl_usage_error(ctx, "%s: unexpected \"%s\"; usage: vfctl %s %s",
						 verb, argv[i], verb, synopsis);
	}
	if (*pf)
		return vfctl_resolve_dev(ctx, *pf, bdf);
	return 0;
}
