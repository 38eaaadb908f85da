// SPDX-License-Identifier: GPL-2.0-only
/*
 * The netlink backend for the vfctl verbs: the kernel, opened once per run
 * and kept in the context.  The sim tier's build of vfctl links its own
 * version of this file instead (tests/sim/vfctl_netlink.c), which picks
 * the recording fake: nothing of the fake is in this program.
 */
#include "vfctl.h"
#include "vflink.h"

struct vflink *vfctl_netlink(struct vfctl_ctx *ctx, struct errinfo *e)
{
	if (!ctx->nl)
		ctx->nl = vflink_open_nl(e);
	return ctx->nl;
}
