/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * MSI-X table and PBA emulation for a passed-through device.
 *
 * Every vector has one GSI and one eventfd.  The eventfd is both the VFIO
 * trigger (VFIO_DEVICE_SET_IRQS) and the KVM irqfd for the GSI, so device
 * interrupts reach the vCPU without the VMM running and can be posted.
 * When the guest enables MSI-X, all vectors are registered with VFIO in
 * one SET_IRQS and all routes committed in one batch.
 *
 * Masking (vector or function) detaches the irqfd: interrupts the device
 * raises meanwhile accumulate in the eventfd, the PBA shows them pending,
 * and re-attaching on unmask makes KVM deliver the pending one at once.
 * No VFIO call is made on mask/unmask.
 *
 * Table accesses outside the table, or of odd sizes, are ignored (reads
 * as all-ones): the table lives only here, never in the device.
 */
#ifndef VFIO_MSIX_H
#define VFIO_MSIX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "device.h"
#include "errinfo.h"
#include "vfio_irq.h"

#define VFIO_MSIX_MAX_VECTORS 2048

struct vfio_msix_vec {
	uint32_t addr_lo;
	uint32_t addr_hi;
	uint32_t data;
	uint32_t ctrl; /* bit 0: masked */
	int gsi; /* -1 until MSI-X is first enabled */
	int efd;
	bool irqfd_on;
	bool routed; /* a route for (r_addr, r_data) is staged or committed */
	uint64_t r_addr;
	uint32_t r_data;
};

struct vfio_msix {
	struct vfio_device *dev;
	struct vfio_irq irq;
	pthread_mutex_t lock; /* vCPU threads write the table concurrently */
	unsigned int nvec;
	struct vfio_msix_vec *vec;
	bool enabled;
	bool func_mask;
	bool registered; /* eventfds handed to VFIO */
	unsigned int nr_errors; /* failed routing/VFIO calls caused by the guest (lock) */
	struct errinfo last_err; /* the latest of them, for the log (lock) */
};

int vfio_msix_init(struct vfio_msix *m, struct vfio_device *dev, const struct vfio_irq *irq,
		   unsigned int nvec, struct errinfo *e);
void vfio_msix_exit(struct vfio_msix *m);

/* Guest access at @off from the start of the table / PBA (bus_access_fn shape). */
void vfio_msix_table_access(struct vfio_msix *m, uint64_t off, uint8_t *data, uint32_t len,
			    bool is_write);
void vfio_msix_pba_access(struct vfio_msix *m, uint64_t off, uint8_t *data, uint32_t len,
			  bool is_write);
static inline uint64_t vfio_msix_table_size(const struct vfio_msix *m)
{
	return (uint64_t)m->nvec * 16;
}
static inline uint64_t vfio_msix_pba_size(const struct vfio_msix *m)
{
	return ((m->nvec + 63) / 64) * 8ULL;
}

/* Message Control written: MSI-X enable and function mask. */
int vfio_msix_ctrl(struct vfio_msix *m, bool enable, bool func_mask, struct errinfo *e);

/* Per-vector state for `vfvm` listings (route, posted-interrupt conditions). */
struct vfio_msix_vec_info {
	int gsi;
	uint64_t addr;
	uint32_t data;
	bool masked;
	bool irqfd_on;
	bool pending;
};
int vfio_msix_vec_info(struct vfio_msix *m, unsigned int vec, struct vfio_msix_vec_info *out);

#endif
