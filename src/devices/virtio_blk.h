/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio-blk (virtio device id 2) on a raw file or block device.
 *
 * One request queue served by the device's own I/O thread, so slow disk
 * I/O never holds up the VM's shared I/O thread (serial, network).
 * Requests: read, write (refused with IOERR in read-only mode), flush
 * (fdatasync) and GET_ID; anything else is UNSUPP.  A request whose
 * buffers are the wrong way round (data to read in a device-readable
 * buffer, no writable status byte, header too short) fails with IOERR,
 * or with nothing written when there is not even a status byte.
 */
#ifndef VFVM_VIRTIO_BLK_H
#define VFVM_VIRTIO_BLK_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <linux/virtio_blk.h>

#include "virtio_pci.h"

#define VIRTIO_BLK_QUEUE_SIZE 128
#define VIRTIO_BLK_SEG_MAX (VIRTIO_BLK_QUEUE_SIZE - 2) /* minus header and status */

struct virtio_blk {
	struct virtio_pci vp;
	int fd;
	bool readonly;
	uint64_t capacity; /* 512-byte sectors */
	char id[VIRTIO_BLK_ID_BYTES];
	char path[PATH_MAX]; /* the image, for messages */
	uint64_t host_errors; /* requests the image's host side failed */
	int last_errno; /* of the last failure reported; 0 once I/O works again */
	struct virtq_elem elem;
	struct iovec data[VIRTQ_MAX_SEGS];
	pthread_t thread;
	bool thread_started;
	int stop_efd;
};

/* What --disk SPEC says (virtio_blk_parse_spec()). */
struct virtio_blk_spec {
	char path[PATH_MAX];
	bool readonly;
	char id[PCI_DEV_ID_MAX]; /* "" without id=: vm_pci_plug() gives virtio-blkN */
};

/*
 * Parse "PATH[,ro][,id=ID]" or "path=PATH[,ro][,id=ID]" (the path first, or
 * as path= anywhere, then the options in any
 * order, each once).  Syntax only, nothing is opened: the front end calls
 * it to refuse a bad --disk as a usage error.  -EINVAL names the bad part.
 */
int virtio_blk_parse_spec(const char *spec, struct virtio_blk_spec *s, struct errinfo *e);

/*
 * Parse "PATH[,ro][,id=ID]", open the image and set up the device (not yet on a
 * bus, no thread).  @vm may be NULL in unit tests.
 */
int virtio_blk_init(struct virtio_blk *b, struct vm *vm, const struct guest_mem *mem,
		    const char *spec, struct errinfo *e);
void virtio_blk_exit(struct virtio_blk *b);

/*
 * Snapshots (virtio_blk_snap.c), the virtio_dev_ops.save/load of
 * virtio-blk: capacity, read-only, the serial (GET_ID) the guest saw.  A
 * restore onto an image smaller than the saved capacity is refused, naming
 * the image and both sizes; a larger one is used at the saved size.
 */
void virtio_blk_save(struct virtio_pci *vp, struct snap_out *o);
int virtio_blk_load(struct virtio_pci *vp, struct snap_sec *s, const char *what, struct errinfo *e);

#endif
