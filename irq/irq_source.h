/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The interrupt-source interface every MSI/MSI-X/INTx user delivers
 * through: one GSI per vector, its MSI route (staged, then committed for
 * the whole group in one KVM_SET_GSI_ROUTING), and the KVM irqfd that makes
 * the vector's eventfd raise the GSI with no VMM thread in the path.
 *
 * It is implemented once, for the VM's routing table (irq_source_routing()
 * below, irq_source.c); unit tests install a recorder.  Who owns the
 * eventfd is the caller's business: an emulated device writes its own
 * (msix_notify), a passed-through one hands it to VFIO_DEVICE_SET_IRQS so
 * the host IRQ handler signals it.
 */
#ifndef IRQ_IRQ_SOURCE_H
#define IRQ_IRQ_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "errinfo.h"

struct irq_source_ops {
	int (*gsi_alloc)(void *ctx, struct errinfo *e); /* gsi >= 0 or -errno */
	void (*gsi_free)(void *ctx, int gsi);
	/* Stage the MSI route of @gsi; nothing reaches KVM before commit. */
	int (*route_msi)(void *ctx, int gsi, uint64_t addr, uint32_t data, struct errinfo *e);
	/* Send staged routes (a no-op when nothing changed). */
	int (*commit)(void *ctx, struct errinfo *e);
	/* KVM_IRQFD assign/deassign; @resamplefd >= 0 for level (INTx). */
	int (*irqfd)(void *ctx, int gsi, int efd, int resamplefd, bool assign, struct errinfo *e);
};

struct irq_source {
	const struct irq_source_ops *ops;
	void *ctx;
};

struct irq_routing;
/* The VM's routing table (irq.h) as a struct irq_source. */
void irq_source_routing(struct irq_source *out, struct irq_routing *r);

#endif
