// SPDX-License-Identifier: GPL-2.0-only
/*
 * The netlink backend for the vfctl verbs: the recording fake when
 * VFCTL_FAKE_NETLINK names a state file (tests), the kernel otherwise.
 * Opened once per run and kept in the context.
 */
#include <stdlib.h>

#include "vfctl.h"
#include "vflink.h"

struct vflink *vfctl_netlink(struct vfctl_ctx *ctx, struct errinfo *e)
{
	const char *fake;

	if (ctx->nl)
		return ctx->nl;
	fake = getenv("VFCTL_FAKE_NETLINK");
	if (fake && *fake)
		ctx->nl = vflink_open_fake(fake, e);
	else
		ctx->nl = vflink_open_nl(e);
	return ctx->nl;
}
