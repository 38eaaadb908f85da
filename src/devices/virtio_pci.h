/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Virtio 1.x PCI transport, modern only (virtio 1.2 section 4.1).
 *
 * Vendor 0x1af4, device 0x1040 + virtio device id, revision 1.  Everything
 * lives in one 32-bit memory BAR (BAR 0), so small guest programs can use
 * it as easily as Linux:
 *
 *   0x0000 common configuration   (struct virtio_pci_common_cfg)
 *   0x1000 ISR status             (1 byte, read clears)
 *   0x2000 device configuration   (device specific)
 *   0x3000 notifications          (queue q at 0x3000 + 4*q, 16-bit write)
 *   0x4000 MSI-X table, 0x5000 MSI-X PBA
 *
 * plus the VIRTIO_PCI_CAP_PCI_CFG window in config space (for firmware
 * that reaches the registers without mapping the BAR).
 *
 * Queue notifications are KVM ioeventfds (one eventfd per queue, no exit);
 * interrupts are MSI-X vectors delivered by KVM irqfd through the shared
 * MSI-X helper (vector 0..n: config change and queues, as the driver maps
 * them).  There is no INTx: Linux and our guest programs use MSI-X.
 *
 * A device model fills the ops and its config bytes, calls
 * virtio_pci_init() then virtio_pci_register().  Its queue handlers run on
 * the VM's I/O thread (or on its own thread when it waits on the kick
 * eventfds itself) and hold the queue's lock while using the queue, so a
 * driver reset never pulls a ring from under them.
 */
#ifndef VFVM_VIRTIO_PCI_H
#define VFVM_VIRTIO_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "errinfo.h"
#include "msix.h"
#include "pci.h"
#include "virtqueue.h"

struct vm;

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040
#define VIRTIO_PCI_MAX_QUEUES 8

#define VPCI_COMMON_OFF 0x0000
#define VPCI_COMMON_LEN 0x40
#define VPCI_ISR_OFF 0x1000
#define VPCI_ISR_LEN 4
#define VPCI_ISR_QUEUE 0x1 /* ISR bit 0: used buffer notification (no uapi name) */
#define VPCI_DEVCFG_OFF 0x2000
#define VPCI_DEVCFG_MAX 0x100
#define VPCI_NOTIFY_OFF 0x3000
#define VPCI_NOTIFY_MULT 4
#define VPCI_MSIX_TABLE_OFF 0x4000
#define VPCI_MSIX_PBA_OFF 0x5000
#define VPCI_BAR_SIZE 0x8000
/*
 * A second notify window in I/O space (BAR 2, one 16-bit port, the queue
 * index as data), listed before the memory one so that drivers that take
 * the first notify capability (Linux) kick through it: an I/O exit carries
 * port and value, where a memory kick makes KVM decode the instruction -
 * the bulk of a kick's cost without decode assists and under nesting.
 */
#define VPCI_PIO_BAR 2
#define VPCI_PIO_SIZE 4

/* Always offered: modern device, indirect tables, event index. */
#define VIRTIO_PCI_BASE_FEATURES                                                \
	((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_INDIRECT_DESC) | \
	 (1ull << VIRTIO_RING_F_EVENT_IDX))

struct virtio_pci;

struct virtio_dev_ops {
	/* DRIVER_OK with every enabled queue valid: start serving.  0 or -errno. */
	int (*start)(struct virtio_pci *vp);
	/* Queue @q was kicked.  Called without any transport lock held. */
	void (*notify)(struct virtio_pci *vp, unsigned int q);
	/* Driver reset the device: stop using the queues (they are reset after). */
	void (*reset)(struct virtio_pci *vp);
	/* Optional: the driver wrote device config bytes (already stored). */
	void (*cfg_write)(struct virtio_pci *vp, uint32_t off, uint32_t len);
	/*
	 * Optional: negotiation news, on the vCPU thread of the driver's write
	 * with vp->lock held (so: no blocking, no file I/O beyond an eventfd
	 * write).  @features_ok true: the device accepted FEATURES_OK and
	 * vp->drv_features is final until the next reset; false: the driver
	 * reset the device (status 0, whatever it was before).
	 */
	void (*negotiation)(struct virtio_pci *vp, bool features_ok);
	/*
	 * Release (VM teardown or hot-unplug; its BARs are off the buses
	 * already): stop threads, take every fd off the I/O thread, call
	 * virtio_pci_exit(), free the device.
	 */
	void (*destroy)(struct virtio_pci *vp);
	/*
	 * Optional (snapshots, virtio_snap.c): the device's own state after
	 * the transport's, VM paused, on the I/O thread, every queue flushed.
	 * @load runs on the restored device after the transport state (status,
	 * features, queues live, MSI-X) is back and ops->start has run when
	 * DRIVER_OK was set; it checks every value (hostile input) and names
	 * the field in @e.  Without them the device has no state of its own.
	 */
	void (*save)(struct virtio_pci *vp, struct snap_out *o);
	int (*load)(struct virtio_pci *vp, struct snap_sec *s, const char *what, struct errinfo *e);
};

struct virtio_pci_queue {
	pthread_mutex_t lock; /* held by whoever uses vq */
	uint16_t max_size;
	uint16_t size;
	uint16_t msix_vector; /* written with vp->lock and lock held */
	bool enabled; /* driver wrote queue_enable = 1 */
	uint64_t desc, avail, used;
	struct virtq vq;
	int kick_efd; /* ioeventfd target */
};

struct virtio_pci {
	struct pci_dev pci;
	struct msix msix;
	struct vm *vm; /* NULL in unit tests: kicks call notify directly */
	const struct guest_mem *mem;
	const struct virtio_dev_ops *ops;
	void *dev; /* the device model */
	const char *name;
	uint16_t device_id; /* virtio device id (1 net, 2 blk, 4 rng) */
	unsigned int nr_queues;
	bool own_kick_thread; /* device waits on the kick eventfds itself */

	uint8_t devcfg[VPCI_DEVCFG_MAX];
	uint32_t devcfg_len;
	uint32_t devcfg_wmask_off; /* bytes from here on are driver-writable */

	pthread_mutex_t lock; /* register state below */
	uint64_t dev_features;
	uint64_t drv_features;
	uint32_t dfselect, gfselect;
	uint16_t queue_select;
	/*
	 * Also used by device threads without vp->lock, so atomic (written
	 * under vp->lock): msix_config, status (NEEDS_RESET is set without
	 * it), config_generation (bumped without it) and isr.
	 */
	uint16_t msix_config;
	uint8_t status;
	uint8_t config_generation;
	uint8_t isr;
	struct virtio_pci_queue q[VIRTIO_PCI_MAX_QUEUES];
	bool ioevents_on;
	uint64_t ioevent_base;
	bool pio_ioevents_on;
	uint64_t pio_ioevent_port;
	uint32_t cfg_cap; /* config offset of the PCI_CFG access window */

	/* Interrupt delivery; msix_notify by default, a recorder in unit tests. */
	void (*signal)(struct virtio_pci *vp, uint16_t vector);
};

/*
 * Set up the PCI function (header, capabilities, MSI-X with nr_queues + 1
 * vectors, BAR 0) and the kick eventfds.  @vm may be NULL (unit tests):
 * then nothing is registered with KVM.  Device config bytes go into
 * vp->devcfg (devcfg_len) before or after this call.
 */
int virtio_pci_init(struct virtio_pci *vp, struct vm *vm, const struct guest_mem *mem,
		    const char *name, uint16_t device_id, uint32_t class_code,
		    unsigned int nr_queues, uint16_t queue_size, uint64_t dev_features,
		    const struct virtio_dev_ops *ops, void *dev, struct errinfo *e);
/*
 * Put the function on the VM's PCI bus, MSI-X irqfds, kicks on the I/O
 * thread.  From then on the VM owns it: vm_destroy() (pci_host_exit())
 * takes its BARs off the bus and calls ops->destroy.
 */
int virtio_pci_register(struct virtio_pci *vp, struct errinfo *e);
void virtio_pci_exit(struct virtio_pci *vp);
/* BAR 0 access (also what the bus calls). */
void virtio_pci_bar_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write);

/* Negotiated feature test. */
static inline bool virtio_pci_has_feature(const struct virtio_pci *vp, unsigned int bit)
{
	return vp->drv_features & (1ull << bit);
}

/*
 * After pushing used buffers on queue @q (queue lock held): interrupt the
 * guest if it wants one.
 */
void virtio_pci_queue_done(struct virtio_pci *vp, unsigned int q);
/* A queue became broken: set DEVICE_NEEDS_RESET and tell the driver. */
void virtio_pci_mark_broken(struct virtio_pci *vp);
/* Device config changed (e.g. link status): new generation + config interrupt. */
void virtio_pci_config_changed(struct virtio_pci *vp);
/*
 * Serve queue @q: every available request goes to @fn, which returns how
 * many bytes it wrote into the request's in buffers; the request is then
 * completed and the guest interrupted if it asked to be.  Takes the
 * queue lock; a broken queue sets DEVICE_NEEDS_RESET.
 */
void virtio_pci_serve(struct virtio_pci *vp, unsigned int q, struct virtq_elem *elem,
		      uint32_t (*fn)(struct virtio_pci *vp, struct virtq_elem *elem));
/* Drain a kick eventfd; returns true if it had been signalled. */
bool virtio_pci_drain_kick(int efd);

/*
 * Snapshots (virtio_snap.c), the pci_dev.save/load hooks of every virtio
 * function: transport registers, device config bytes, each queue (size,
 * vector, ring addresses, ring indices), MSI-X, then ops->save/load.
 * Saving first finishes what a device's own thread may still be doing
 * (virtio_pci_quiesce(), which must also run before guest memory is saved).
 * Loading checks everything before applying it, brings queues live the way
 * DRIVER_OK does (ring addresses checked against guest RAM, ops->start),
 * restores MSI-X routes/irqfds, and kicks every live queue once, so
 * buffers the guest queued before the save are served.  @what names the
 * snapshot for messages (pci_dev.load passes none: the section is named).
 */
void virtio_pci_save(struct pci_dev *d, struct snap_out *o);
int virtio_pci_load(struct pci_dev *d, struct snap_sec *s, struct errinfo *e);
/*
 * Pause consistency for snapshots: finish the requests a device serving on
 * its own thread (virtio-blk) may have in flight or queued, so that
 * afterwards, with the vCPUs paused, nothing changes guest memory or the
 * device.  virtio_quiesce_all() does it for every virtio function on @h.
 * On the I/O thread, vCPUs paused, BEFORE guest memory is saved (it
 * completes requests, which writes guest memory).
 */
void virtio_pci_quiesce(struct virtio_pci *vp);
void virtio_quiesce_all(struct pci_host *h);

#endif
