/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * MSI (not MSI-X) and INTx for a passed-through device.
 *
 * MSI: the config shadow emulates the capability; on every write the owner
 * passes the new state here.  Each enabled vector gets a GSI and an
 * eventfd used both as VFIO trigger and KVM irqfd, as for MSI-X; per-vector
 * mask bits detach the irqfd (pending interrupts stay in the eventfd).
 *
 * INTx: VFIO's trigger eventfd is a level-triggered KVM irqfd with a
 * resamplefd; VFIO masks the line when it fires and the resamplefd (which
 * KVM signals on EOI) is VFIO's UNMASK eventfd, so EOI never leaves the
 * kernel.  Needs the in-kernel IOAPIC.
 */
#ifndef VFIO_MSI_H
#define VFIO_MSI_H

#include <stdbool.h>
#include <stdint.h>

#include "config_shadow.h"
#include "device.h"
#include "irq_source.h"

#define VFIO_MSI_MAX 32

struct vfio_msi {
	struct vfio_device *dev;
	struct irq_source irq;
	unsigned int nvec; /* enabled vectors (0 = off) */
	int gsi[VFIO_MSI_MAX];
	int efd[VFIO_MSI_MAX];
	bool irqfd_on[VFIO_MSI_MAX];
	uint64_t addr;
	uint32_t data;
	bool routed;
};

void vfio_msi_init(struct vfio_msi *m, struct vfio_device *dev, const struct irq_source *irq);
/* Bring VFIO and the routes in line with the guest's capability state. */
int vfio_msi_update(struct vfio_msi *m, const struct vfio_msi_state *s, struct errinfo *e);
void vfio_msi_exit(struct vfio_msi *m);

struct vfio_intx {
	struct vfio_device *dev;
	struct irq_source irq;
	int gsi;
	int trigger_efd;
	int resample_efd;
	bool on;
};

void vfio_intx_init(struct vfio_intx *x, struct vfio_device *dev, const struct irq_source *irq,
		    int gsi);
/* No-op (0) when the device has no INTx. */
int vfio_intx_enable(struct vfio_intx *x, struct errinfo *e);
void vfio_intx_disable(struct vfio_intx *x);
void vfio_intx_exit(struct vfio_intx *x);

#endif
