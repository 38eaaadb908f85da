// SPDX-License-Identifier: GPL-2.0-only
/* struct vfio_irq_ops over the VMM's routing table (irq/irq.h). */
#include <string.h>

#include "irq.h"
#include "vfio_irq.h"

static int glue_gsi_alloc(void *ctx, struct errinfo *e)
{
	return irq_gsi_alloc(ctx, e);
}

static void glue_gsi_free(void *ctx, int gsi)
{
	irq_gsi_free(ctx, (unsigned int)gsi);
}

static int glue_route_msi(void *ctx, int gsi, uint64_t addr, uint32_t data, struct errinfo *e)
{
	struct msi_msg msg = {
		.addr_lo = (uint32_t)addr,
		.addr_hi = (uint32_t)(addr >> 32),
		.data = data,
	};

	return irq_route_msi(ctx, (unsigned int)gsi, &msg, e);
}

static int glue_commit(void *ctx, struct errinfo *e)
{
	return irq_routing_commit(ctx, e);
}

static int glue_irqfd(void *ctx, int gsi, int efd, int resamplefd, bool assign, struct errinfo *e)
{
	if (assign)
		return irq_irqfd_assign(ctx, efd, (unsigned int)gsi, resamplefd, e);
	return irq_irqfd_deassign(ctx, efd, (unsigned int)gsi, e);
}

static const struct vfio_irq_ops routing_ops = {
	.gsi_alloc = glue_gsi_alloc,
	.gsi_free = glue_gsi_free,
	.route_msi = glue_route_msi,
	.commit = glue_commit,
	.irqfd = glue_irqfd,
};

void vfio_irq_routing(struct vfio_irq *out, struct irq_routing *r)
{
	out->ops = &routing_ops;
	out->ctx = r;
}
