/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What VFIO interrupt code needs from the VMM's routing layer: GSIs, MSI
 * routes (staged, then committed in one KVM_SET_GSI_ROUTING), and irqfds.
 * The VMM's implementation wraps irq/irq.h (vfio_irq_routing()); unit tests
 * record the calls.
 */
#ifndef VFIO_VFIO_IRQ_H
#define VFIO_VFIO_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#include "errinfo.h"

struct vfio_irq_ops {
	int (*gsi_alloc)(void *ctx, struct errinfo *e); /* gsi >= 0 or -errno */
	void (*gsi_free)(void *ctx, int gsi);
	/* Stage the MSI route of @gsi; nothing reaches KVM before commit. */
	int (*route_msi)(void *ctx, int gsi, uint64_t addr, uint32_t data, struct errinfo *e);
	/* Send staged routes (a no-op when nothing changed). */
	int (*commit)(void *ctx, struct errinfo *e);
	/* KVM_IRQFD assign/deassign; @resamplefd >= 0 for level (INTx). */
	int (*irqfd)(void *ctx, int gsi, int efd, int resamplefd, bool assign, struct errinfo *e);
};

struct vfio_irq {
	const struct vfio_irq_ops *ops;
	void *ctx;
};

struct irq_routing;
/* The VMM's routing table (irq/irq.h) as a struct vfio_irq. */
void vfio_irq_routing(struct vfio_irq *out, struct irq_routing *r);

#endif
