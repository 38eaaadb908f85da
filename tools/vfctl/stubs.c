// SPDX-License-Identifier: GPL-2.0-only
/*
 * Weak stand-ins for verbs other engineers are writing, so vfctl links
 * before their files land.  The real cmd_<verb>.c overrides each one.
 */
#include <stdio.h>

#include "vfctl.h"

static int not_built(const char *verb)
{
	fprintf(stderr, "vfctl: the \"%s\" verb is not built into this binary\n", verb);
	return VFCTL_EXIT_FAIL;
}

__attribute__((weak)) int cmd_set(struct vfctl_ctx *ctx, int argc, char **argv)
{
	(void)ctx, (void)argc, (void)argv;
	return not_built("set");
}

__attribute__((weak)) int cmd_apply(struct vfctl_ctx *ctx, int argc, char **argv)
{
	(void)ctx, (void)argc, (void)argv;
	return not_built("apply");
}

__attribute__((weak)) int cmd_status(struct vfctl_ctx *ctx, int argc, char **argv)
{
	(void)ctx, (void)argc, (void)argv;
	return not_built("status");
}
