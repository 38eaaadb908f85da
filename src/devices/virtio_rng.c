// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-rng: entropy for the guest from the host's getrandom(2).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>
#include <linux/virtio_ids.h>

#include "devices.h"
#include "virtio_rng.h"
#include "vm.h"

#define RNG_QUEUE_SIZE 64
#define PCI_CLASS_OTHER 0x00ff00

static uint32_t rng_request(struct virtio_pci *vp, struct virtq_elem *elem)
{
	uint32_t done = 0;

	(void)vp;
	for (unsigned int i = 0; i < elem->in_num && done < VIRTIO_RNG_MAX_REQ; i++) {
		size_t want = elem->in[i].iov_len;
		ssize_t n;

		if (want > VIRTIO_RNG_MAX_REQ - done)
			want = VIRTIO_RNG_MAX_REQ - done;
		/* GRND_NONBLOCK: early in boot the pool may not be ready; give less. */
		n = getrandom(elem->in[i].iov_base, want, GRND_NONBLOCK);
		if (n <= 0)
			break;
		done += n;
		if ((size_t)n < want)
			break;
	}
	return done;
}

static void rng_notify(struct virtio_pci *vp, unsigned int q)
{
	struct virtio_rng *r = vp->dev;

	virtio_pci_serve(vp, q, &r->elem, rng_request);
}

static int rng_start(struct virtio_pci *vp)
{
	(void)vp;
	return 0;
}

static void rng_reset(struct virtio_pci *vp)
{
	(void)vp;
}

static void rng_destroy(struct virtio_pci *vp)
{
	struct virtio_rng *r = vp->dev;

	virtio_pci_exit(vp);
	free(r);
}

static const struct virtio_dev_ops rng_ops = {
	.start = rng_start, .notify = rng_notify, .reset = rng_reset, .destroy = rng_destroy,
	/* no .save/.load: each request is served whole from getrandom(), nothing is kept */
};

int virtio_rng_init(struct virtio_rng *r, struct vm *vm, const struct guest_mem *mem,
		    struct errinfo *e)
{
	return virtio_pci_init(&r->vp, vm, mem, "virtio-rng", VIRTIO_ID_RNG, PCI_CLASS_OTHER, 1,
			       RNG_QUEUE_SIZE, 0, &rng_ops, r, e);
}

int virtio_rng__add(struct vm *vm, const char *spec, struct errinfo *e)
{
	struct virtio_rng *r;
	int ret;

	if (spec && *spec)
		return err_set(e, EINVAL, "--rng takes no options, got '%s'", spec);
	/* Lives as long as the VM: the PCI host keeps pointing at it. */
	r = calloc(1, sizeof(*r));
	if (!r)
		return err_set(e, ENOMEM, "virtio-rng: out of memory");
	ret = virtio_rng_init(r, vm, &vm->mem, e);
	if (ret < 0)
		goto fail;
	/*
	 * On failure here the function may already be on the PCI bus, which
	 * has no removal: leave it to the VM's teardown (vfvm exits).
	 */
	return virtio_pci_register(&r->vp, e);

fail:
	free(r);
	return ret;
}
