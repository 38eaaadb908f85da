/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * GSI allocation and the KVM interrupt routing table.
 *
 * KVM_SET_GSI_ROUTING replaces the whole table and waits for an SRCU grace
 * period each time, so the table is kept here in memory, changed with
 * irq_route_*() and sent with irq_routing_commit() only when something
 * actually changed.  A device that reprograms many vectors commits once.
 *
 * GSIs 0-23 are the in-kernel PIC/IOAPIC pins (their default routes are
 * part of the table); MSI routes get GSIs from 24 up.
 *
 * Thread safety: every function takes r->lock, so vCPU threads (MSI-X table
 * writes) and the I/O thread may call them concurrently.
 */
#ifndef VFVM_IRQ_H
#define VFVM_IRQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "errinfo.h"

#define IRQ_NR_IRQCHIP_GSIS 24 /* IOAPIC pins; PIC uses 0-15 of them */
#define IRQ_MAX_GSIS 4096 /* what KVM_CAP_IRQ_ROUTING reports on x86 */

/* An MSI message as the guest programs it (address/data pair). */
struct msi_msg {
	uint32_t addr_lo;
	uint32_t addr_hi;
	uint32_t data;
};

struct kvm_irq_routing_entry;

/*
 * ioctl seam: the real one is ioctl(2); unit tests install a fake to see
 * which KVM calls were made (and to fail them).
 */
struct irq_kvm_ops {
	int (*ioctl)(int fd, unsigned long req, void *arg);
};

struct irq_routing {
	int vm_fd;
	const struct irq_kvm_ops *ops;
	pthread_mutex_t lock;
	struct kvm_irq_routing_entry *ent; /* the table as KVM will see it */
	unsigned int nr_ent;
	unsigned int cap_ent;
	unsigned int nr_gsis; /* GSIs usable: 0 .. nr_gsis-1 */
	uint64_t *gsi_used; /* bitmap of allocated GSIs */
	bool dirty; /* table differs from what KVM has */
	unsigned int nr_commits; /* KVM_SET_GSI_ROUTING calls made (for tests, stats) */
};

/*
 * Set up the table with the default PIC/IOAPIC routes when @with_irqchip
 * (an in-kernel irqchip exists).  @ops NULL means the real ioctl.
 * Nothing is sent to KVM until irq_routing_commit().
 */
int irq_routing_init(struct irq_routing *r, int vm_fd, unsigned int nr_gsis, bool with_irqchip,
		     const struct irq_kvm_ops *ops, struct errinfo *e);
void irq_routing_exit(struct irq_routing *r);

/* Allocate a free GSI >= IRQ_NR_IRQCHIP_GSIS; returns it or -ENOSPC. */
int irq_gsi_alloc(struct irq_routing *r, struct errinfo *e);
/* Free a GSI and drop its route (takes effect at the next commit). */
void irq_gsi_free(struct irq_routing *r, unsigned int gsi);

/*
 * Add or update the MSI route of @gsi.  Marks the table dirty only when
 * the route is new or differs, so re-writing the same message costs
 * nothing at commit time.
 */
int irq_route_msi(struct irq_routing *r, unsigned int gsi, const struct msi_msg *msg,
		  struct errinfo *e);
/* Remove every route of @gsi (no-op if none). */
void irq_route_remove(struct irq_routing *r, unsigned int gsi);
/* Send the table to KVM if (and only if) it changed since the last commit. */
int irq_routing_commit(struct irq_routing *r, struct errinfo *e);

/*
 * KVM_IRQFD: @efd raises @gsi without the VMM running.  @resample_fd >= 0
 * makes it a level-triggered line that KVM de-asserts on EOI and signals
 * on resample_fd (INTx passthrough); -1 for edge/MSI.
 */
int irq_irqfd_assign(struct irq_routing *r, int efd, unsigned int gsi, int resample_fd,
		     struct errinfo *e);
int irq_irqfd_deassign(struct irq_routing *r, int efd, unsigned int gsi, struct errinfo *e);

/* KVM_IRQ_LINE on an irqchip GSI (level 0/1). */
int irq_line(struct irq_routing *r, unsigned int gsi, int level, struct errinfo *e);
/* KVM_SIGNAL_MSI: inject one MSI directly (no route needed). */
int irq_signal_msi(struct irq_routing *r, const struct msi_msg *msg, struct errinfo *e);

#endif
