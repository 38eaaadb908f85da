/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Split virtqueue (virtio 1.x, section 2.7) processed on the device side.
 *
 * The rings live in guest memory, which the guest may change at any time
 * and may fill with anything.  Everything read from them is checked here:
 *
 *  - ring-level faults (a head index outside the queue, the available index
 *    running more than a queue size ahead, rings outside guest RAM) leave no
 *    request we could complete, so the queue is marked broken; the transport
 *    then sets DEVICE_NEEDS_RESET and stops touching the queue;
 *  - chain-level faults (loop, chain longer than the queue, a buffer outside
 *    guest RAM, a device-readable buffer after a device-writable one, nested
 *    or malformed indirect tables) fail only that request: it is returned
 *    to the guest in the used ring with length 0 and counted.
 *
 * The buffers of a good chain are handed to the device as iovecs pointing
 * into guest memory (checked by guest_mem_ptr()), ready for readv/writev.
 */
#ifndef VFVM_VIRTQUEUE_H
#define VFVM_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <linux/virtio_ring.h>

#include "errinfo.h"
#include "guest_mem.h"
#include "snap_stream.h"

/* Largest queue any of our devices offers; also caps segments per request. */
#define VIRTQ_MAX_SIZE 256
#define VIRTQ_MAX_SEGS VIRTQ_MAX_SIZE

/* Why the last request or the queue itself was refused (for tests and logs). */
enum virtq_fault {
	VIRTQ_OK = 0,
	/* queue-level: the queue is broken */
	VIRTQ_BAD_RING_ADDR, /* ring outside RAM or misaligned */
	VIRTQ_BAD_SIZE, /* queue size 0, too big or not a power of 2 */
	VIRTQ_AVAIL_JUMP, /* avail idx more than a queue size ahead */
	VIRTQ_BAD_HEAD, /* head index >= queue size */
	/* chain-level: that request fails */
	VIRTQ_BAD_NEXT, /* next index >= table size */
	VIRTQ_LOOP, /* more descriptors than the table holds */
	VIRTQ_TOO_MANY_SEGS, /* more buffers than VIRTQ_MAX_SEGS */
	VIRTQ_BAD_BUF_ADDR, /* buffer not wholly inside guest RAM */
	VIRTQ_TOO_LONG, /* total length does not fit 32 bits */
	VIRTQ_READ_AFTER_WRITE, /* device-readable buffer after a writable one */
	VIRTQ_INDIRECT_NOT_NEGOTIATED,
	VIRTQ_INDIRECT_NESTED, /* indirect descriptor inside an indirect table */
	VIRTQ_INDIRECT_BAD, /* indirect with NEXT, or length not n*16, or empty */
	VIRTQ_INDIRECT_NOT_HEAD, /* indirect descriptor after a direct one */
};

const char *virtq_fault_str(enum virtq_fault f);

struct virtq {
	const struct guest_mem *mem;
	uint16_t size;
	bool event_idx; /* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect; /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	bool ready;
	bool broken;

	struct vring_desc *desc; /* host pointers, valid while ready */
	struct vring_avail *avail;
	struct vring_used *used;
	uint64_t used_gpa; /* for the migration's device-dirty bitmap */

	uint16_t last_avail; /* next avail ring slot to consume */
	uint16_t used_idx; /* our copy of used->idx */
	uint16_t signalled_used; /* used idx when we last notified */
	uint16_t pending; /* filled used entries not yet published */
	bool batch; /* in a batch: see virtq_batch_begin() */
	uint16_t batch_avail; /* last_avail when the batch began */
	bool signalled_valid; /* signalled_used means something */

	enum virtq_fault fault; /* last fault seen */
	uint64_t bad_chains; /* requests failed for chain-level faults */
};

/* One request: device-readable buffers (out) then device-writable (in). */
struct virtq_elem {
	uint16_t head;
	unsigned int out_num;
	unsigned int in_num;
	uint32_t out_len; /* bytes in out buffers */
	uint32_t in_len; /* bytes in in buffers */
	struct iovec out[VIRTQ_MAX_SEGS];
	struct iovec in[VIRTQ_MAX_SEGS];
};

/*
 * Make the queue usable at the given guest addresses (driver wrote
 * queue_enable).  Returns 0, or -EINVAL and marks the queue broken when the
 * size or a ring address is bad (vq->fault says which).
 */
int virtq_enable(struct virtq *vq, const struct guest_mem *mem, uint16_t size, uint64_t desc_gpa,
		 uint64_t avail_gpa, uint64_t used_gpa, bool event_idx, bool indirect);
/* Forget everything (device reset). */
void virtq_reset(struct virtq *vq);

/*
 * Take the next request.  Returns 1 with *elem filled, 0 when the ring is
 * empty, -EIO when the queue is (or just became) broken.  Requests with a
 * malformed chain are completed with length 0 and skipped here.
 */
int virtq_pop(struct virtq *vq, struct virtq_elem *elem);
/* True when the driver has made buffers available we have not popped. */
bool virtq_has_avail(struct virtq *vq);

/* Complete a request: @len bytes written into its in buffers. */
void virtq_push(struct virtq *vq, uint16_t head, uint32_t len);

/*
 * Batches (mergeable rx: one packet over several requests, all or none):
 * after virtq_batch_begin(), pops and fills stay private - requests failed
 * for bad chains included - until virtq_batch_commit() publishes every
 * fill at once, or virtq_batch_rollback() forgets the pops and fills (the
 * same requests are popped again later).
 */
void virtq_batch_begin(struct virtq *vq);
void virtq_fill(struct virtq *vq, uint16_t head, uint32_t len);
void virtq_batch_commit(struct virtq *vq);
void virtq_batch_rollback(struct virtq *vq);

/*
 * After pushing: should the guest be interrupted?  Honours
 * VRING_AVAIL_F_NO_INTERRUPT, or used_event with EVENT_IDX.
 */
bool virtq_should_notify(struct virtq *vq);
/*
 * Ask the guest to kick us (or not) for new buffers: sets avail_event with
 * EVENT_IDX, else VRING_USED_F_NO_NOTIFY.  Returns true when buffers became
 * available meanwhile (the caller must then process them: no kick comes).
 */
bool virtq_enable_kicks(struct virtq *vq);
/*
 * Same, but for a kick once the driver's available index moves past
 * @avail_idx (a value read earlier with virtq_avail_idx()): for devices
 * that looked at the buffers and found them not enough.  Returns true when
 * it has moved already.
 */
bool virtq_enable_kicks_at(struct virtq *vq, uint16_t avail_idx);
/* The driver's available index now. */
uint16_t virtq_avail_idx(struct virtq *vq);
void virtq_disable_kicks(struct virtq *vq);

/*
 * Snapshots: the device side's ring position (ready/broken, last_avail,
 * used_idx, the notification shadow, counters).  Save with the queue's
 * lock held outside a batch.
 *
 * virtq_load() builds in @vq (scratch: the caller copies it in place once
 * everything else checked out) the queue as restored: a ready queue is
 * enabled at @ring exactly as virtq_enable() does for the driver's
 * DRIVER_OK (size a power of 2 up to VIRTQ_MAX_SIZE, rings inside guest
 * RAM and aligned), then given the saved indices; a broken one stays
 * broken and untouched; others are reset.  Refusals (-EBADMSG) name queue
 * @q of @dev and the field.
 */
struct virtq_ring {
	const struct guest_mem *mem;
	uint16_t size;
	uint64_t desc, avail, used;
	bool event_idx, indirect;
};
void virtq_save(const struct virtq *vq, struct snap_out *o);
int virtq_load(struct virtq *vq, struct snap_sec *s, const struct virtq_ring *ring,
	       const char *what, const char *dev, unsigned int q, struct errinfo *e);

/* Copy between a flat buffer and iovecs, starting @off bytes in; return bytes copied. */
size_t virtq_iov_to_buf(const struct iovec *iov, unsigned int n, size_t off, void *buf, size_t len);
size_t virtq_iov_from_buf(const struct iovec *iov, unsigned int n, size_t off, const void *buf,
			  size_t len);

#endif
