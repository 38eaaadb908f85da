// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfctl's netlink backend in the sim tier's build (build/tests/vfctl-sim):
 * the recording fake when VFCTL_FAKE_NETLINK names a state file, the
 * kernel otherwise.  Replaces tools/vfctl/netlink.c in that build only.
 */
#include <stdlib.h>

#include "vfctl.h"
#include "vflink.h"
#include "vflink_fake.h"

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
