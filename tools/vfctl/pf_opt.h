/* SPDX-License-Identifier: GPL-2.0-only */
/* The --pf DEV option that `vfctl apply` and `vfctl status` share. */
#ifndef VFCTL_PF_OPT_H
#define VFCTL_PF_OPT_H

#include "vfctl.h"

/*
 * Take "--pf DEV" or "--pf=DEV" from the verb's arguments with getopt_long
 * (--help prints the verb's usage; an unknown option or any argument is a
 * usage error, the latter naming @verb and its @synopsis).  With the option, *pf is
 * DEV as written and @bdf gets its canonical BDF; without it, *pf is NULL.
 * Returns 0 or the exit status to use (the error is already reported).
 */
int vfctl_pf_opt(const struct vfctl_ctx *ctx, int argc, char **argv, const char *verb,
		 const char *synopsis, const char **pf, char *bdf);

#endif
