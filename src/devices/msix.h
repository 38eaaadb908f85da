/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one MSI-X model, used by emulated devices (virtio) and by VFIO
 * passthrough alike: table and PBA emulation, MSI-X enable and function
 * mask, per-vector message and mask, delivered through the interrupt-source
 * interface (irq_source.h): one GSI + route + KVM irqfd per vector, the
 * routes of one guest action committed together.
 *
 * The table lives only here, never in a device.  Rules (PCI Express Base
 * 6.x, 6.1.4 "MSI-X"; what Linux and Windows do):
 *   - table entries are accessed as aligned DWORDs or aligned QWORDs
 *     inside one entry.  Any other access (1/2/3/5-7 bytes, misaligned,
 *     straddling an entry, past the last entry) is undefined for software:
 *     reads return all-ones (what a master abort would give, and what no
 *     driver mistakes for a message) and writes are dropped.
 *   - Message Address bits 1:0 and Vector Control bits 31:1 are reserved:
 *     they read as zero whatever is written.
 *   - vectors come out of reset masked.
 *   - the PBA is read-only (writes dropped) and has no read side effects.
 *     A vector is pending when its source fired while it could not be
 *     delivered (vector or function masked): the event stays in the
 *     vector's eventfd, the irqfd detached, and the PBA read only polls it.
 *     Unmasking re-attaches the irqfd and KVM delivers the event at once.
 *     So both users behave the same: the interrupt is never consumed by
 *     the VMM, only by KVM.  PBA accesses of 1-8 bytes at any offset
 *     inside the PBA are served (byte-granular bits); outside: all-ones.
 *
 * Locking: m->lock serialises vCPU threads (table writes), the config path
 * (Message Control) and readers.  Nothing here does file I/O other than
 * the KVM ioctls of the interrupt source; host IRQ steering is queued by
 * the committed() callback to a non-vCPU thread.
 */
#ifndef DEVICES_MSIX_H
#define DEVICES_MSIX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "errinfo.h"
#include "irq.h"
#include "irq_source.h"
#include "log.h"
#include "snap_stream.h"

#define MSIX_ENTRY_SIZE 16
#define MSIX_MAX_VECTORS 2048

struct pci_dev;

struct msix_vec {
	/* guest-visible entry, in table order */
	uint32_t addr_lo;
	uint32_t addr_hi;
	uint32_t data;
	uint32_t ctrl; /* bit 0: vector masked */
	/* delivery */
	int gsi; /* -1 until sources are allocated */
	int efd; /* the vector's eventfd, -1 until allocated */
	bool irqfd_on;
	bool routed; /* a route for (r_addr, r_data) is staged or committed */
	uint64_t r_addr;
	uint32_t r_data;
};

struct msix {
	struct pci_dev *dev; /* emulated devices: the capability's owner; else NULL */
	char name[64]; /* for messages */
	pthread_mutex_t lock;
	unsigned int nr; /* table size (1..2048) */
	/* emulated devices: capability offset and table/PBA placement */
	uint32_t cap;
	int table_bar;
	uint32_t table_off;
	int pba_bar;
	uint32_t pba_off;
	struct msix_vec *vec;
	bool enabled;
	bool func_masked;
	/*
	 * Optional: a vector's effective state changed (message written, vector
	 * or function mask toggled, MSI-X enabled or disabled).  Runs with
	 * m->lock held: it must not call back into msix_*() except the
	 * lock-free getters below.
	 */
	void (*vector_changed)(struct msix *m, unsigned int vec, void *opaque);
	void *opaque;
	/* delivery: ops NULL until msix_attach() (table-only unit tests) */
	struct irq_source src;
	bool sources; /* every vector has a GSI and an eventfd */
	/*
	 * Optional: a commit changed at least one route (m->lock held).  For
	 * host IRQ steering, which must only queue work here: no file I/O.
	 */
	void (*committed)(void *opaque);
	void *committed_opaque;
	struct vlog *log; /* optional; run-time failures are reported here */
	unsigned int nr_errors; /* failed routing/irqfd calls caused by the guest (lock) */
	struct errinfo last_err; /* the latest of them (lock) */
};

/* The model alone (no capability): VFIO, whose config space is elsewhere. */
int msix_model_init(struct msix *m, const char *name, unsigned int nr, struct errinfo *e);
/*
 * An emulated device's MSI-X: the model plus the capability in @d's config
 * space (msix_init() before pci_dev_register(); the host then forwards
 * Message Control writes to msix_cfg_write()).
 */
int msix_init(struct msix *m, struct pci_dev *d, unsigned int nr, int table_bar, uint32_t table_off,
	      int pba_bar, uint32_t pba_off,
	      void (*vector_changed)(struct msix *m, unsigned int vec, void *opaque), void *opaque,
	      struct errinfo *e);
/* Detach every irqfd, free GSIs, close eventfds. */
void msix_exit(struct msix *m);

/* Deliver through @src; failures are counted in m and reported to @log. */
void msix_attach(struct msix *m, const struct irq_source *src, struct vlog *log);
/* A GSI and an eventfd for every vector (idempotent). */
int msix_sources_alloc(struct msix *m, struct errinfo *e);
/* The eventfds in vector order (m->nr of them), for VFIO_DEVICE_SET_IRQS. */
void msix_eventfds(struct msix *m, int *fds);
/* Empty every eventfd: events of an old MSI-X session must not fire in the next. */
void msix_drain(struct msix *m);

/* @off relative to the start of the table / PBA (bus_access_fn shape). */
void msix_table_access(struct msix *m, uint64_t off, uint8_t *data, uint32_t len, bool is_write);
void msix_pba_access(struct msix *m, uint64_t off, uint8_t *data, uint32_t len, bool is_write);
static inline uint64_t msix_table_size(const struct msix *m)
{
	return (uint64_t)m->nr * MSIX_ENTRY_SIZE;
}
static inline uint64_t msix_pba_size(const struct msix *m)
{
	return ((m->nr + 63) / 64) * 8ULL;
}

/* Message Control: MSI-X enable and function mask. */
void msix_set_ctrl(struct msix *m, bool enable, bool func_mask);
/* Emulated devices: the host applied a config write (see pci.h). */
void msix_cfg_write(struct msix *m, uint32_t off, uint32_t len);

/* Vector can be delivered now: MSI-X enabled, function and vector unmasked. */
bool msix_vector_deliverable(const struct msix *m, unsigned int vec);
void msix_vector_msg(const struct msix *m, unsigned int vec, struct msi_msg *msg);

/* Per-vector state for listings (route, posted-interrupt conditions). */
struct msix_vec_info {
	int gsi;
	uint64_t addr; /* the message as programmed */
	uint32_t data;
	bool routed; /* r_addr/r_data: the route KVM has */
	uint64_t r_addr;
	uint32_t r_data;
	bool masked; /* not deliverable */
	bool irqfd_on;
	bool pending;
};
int msix_vector_info(struct msix *m, unsigned int vec, struct msix_vec_info *out);

/*
 * Irqfd mode for emulated devices: msix_attach() to the VM's routing table
 * (keeping m->log, set by the device before) and a GSI + eventfd for every vector now; the device
 * then signals vector v by writing 1 to msix_eventfd(m, v) (msix_notify, from any thread).
 */
int msix_irqfd_enable(struct msix *m, struct irq_routing *irq, struct errinfo *e);
int msix_eventfd(const struct msix *m, unsigned int vec);
/* Signal vector @vec (eventfd write); returns -errno on failure. */
int msix_notify(struct msix *m, unsigned int vec);

/*
 * Snapshots: the table, pending bits, enable and function mask.
 * msix_load() checks everything (table size, reserved bits, agreement with
 * the restored Message Control) before it changes anything, then sets up
 * routes and irqfds exactly as the guest's writes would have; a vector
 * pending at the save is raised again (KVM delivers it on unmask).  Call it
 * after the interrupt sources exist (msix_irqfd_enable()) so routes and
 * irqfds are made; without them only the table is restored.
 */
void msix_save(struct msix *m, struct snap_out *o);
int msix_load(struct msix *m, struct snap_sec *s, const char *what, struct errinfo *e);

#endif
