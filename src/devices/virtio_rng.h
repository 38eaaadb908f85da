/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio-rng (virtio device id 4): one request queue; each request's
 * device-writable buffers are filled from getrandom(2).
 */
#ifndef VFVM_VIRTIO_RNG_H
#define VFVM_VIRTIO_RNG_H

#include "virtio_pci.h"

/* Bytes given per request at most: a guest cannot make us block for long. */
#define VIRTIO_RNG_MAX_REQ 4096

struct virtio_rng {
	struct virtio_pci vp;
	struct virtq_elem elem;
};

/* Set up the device (not yet on a bus); @vm may be NULL in unit tests. */
int virtio_rng_init(struct virtio_rng *r, struct vm *vm, const struct guest_mem *mem,
		    struct errinfo *e);

#endif
