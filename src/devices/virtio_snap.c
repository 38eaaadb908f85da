// SPDX-License-Identifier: GPL-2.0-only
/*
 * Snapshot of the virtio PCI transport: what the driver set up (status,
 * features, selectors, vectors, queues), where the device stands in each
 * ring, MSI-X, then the device model's own part (ops->save/load).
 *
 * Layout (after the PCI host's part of the section):
 *   u32 device id | u32 queues | u64 device features | u64 driver features |
 *   u32 dfselect | u32 gfselect | u16 queue_select | u16 msix_config |
 *   u8 status | u8 config_generation | u8 isr | u32 devcfg_len | devcfg |
 *   per queue: u16 max_size | u16 size | u16 vector | u8 enabled |
 *              u64 desc | u64 avail | u64 used | ring state (virtq_save)
 *   MSI-X (msix_save) | device part (ops->save)
 *
 * Pause consistency: the snapshot runs on the VM's I/O thread with the
 * vCPUs paused, so the I/O thread's own handlers (net, rng, serial) are
 * idle; only a device that serves its queues on its own thread
 * (own_kick_thread: virtio-blk) can still be in the middle of requests.
 * virtio_pci_quiesce() serves every live queue of such a device once
 * itself: that waits for a request in progress (the queue lock) and
 * completes whatever the guest queued, so nothing is in flight outside
 * guest memory.  It writes guest memory, so it must run before guest
 * memory is saved: virtio_quiesce_all() first, then memory, then the
 * devices (whose save quiesces again, finding nothing).  Its
 * thread may wake later for a kick it had pending, but with the vCPUs
 * paused it finds nothing available and, since virtio_pci_serve() then
 * leaves the rings alone, writes nothing: the guest memory saved after
 * the devices matches.  Requests a driver queued without the kick being
 * served yet are simply in the ring; the load kicks every live queue.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "virtio_pci.h"
#include "virtio_pci_priv.h"

#define VP_ISR_BITS (VPCI_ISR_QUEUE | VIRTIO_PCI_ISR_CONFIG)

struct saved_queue {
	uint16_t max_size, size, vector;
	bool enabled;
	uint64_t desc, avail, used;
	struct virtq vq; /* as restored: enabled at the saved rings, indices in */
};

struct saved_transport {
	uint64_t drv_features;
	uint32_t dfselect, gfselect;
	uint16_t queue_select, msix_config;
	uint8_t status, config_generation, isr;
	uint8_t devcfg[VPCI_DEVCFG_MAX];
	struct saved_queue q[VIRTIO_PCI_MAX_QUEUES];
};

/* Finish what the device's own thread may have in flight (see the top of the file). */
void virtio_pci_quiesce(struct virtio_pci *vp)
{
	if (!vp->own_kick_thread)
		return;
	for (unsigned int i = 0; i < vp->nr_queues; i++) {
		bool ready;

		pthread_mutex_lock(&vp->q[i].lock);
		ready = vp->q[i].vq.ready;
		pthread_mutex_unlock(&vp->q[i].lock);
		if (!ready)
			continue;
		(void)virtio_pci_drain_kick(vp->q[i].kick_efd);
		vp->ops->notify(vp, i);
	}
}

void virtio_quiesce_all(struct pci_host *h)
{
	for (int slot = 0; slot < PCI_MAX_SLOTS; slot++) {
		struct pci_dev *d = h->dev[slot];

		if (d && d->kind == PCI_DEV_VIRTIO)
			virtio_pci_quiesce(d->opaque);
	}
}

void virtio_pci_save(struct pci_dev *d, struct snap_out *o)
{
	struct virtio_pci *vp = d->opaque;

	/* a no-op after virtio_quiesce_all(): then nothing is left to serve */
	virtio_pci_quiesce(vp);
	pthread_mutex_lock(&vp->lock);
	snap_put_u32(o, vp->device_id);
	snap_put_u32(o, vp->nr_queues);
	snap_put_u64(o, vp->dev_features);
	snap_put_u64(o, vp->drv_features);
	snap_put_u32(o, vp->dfselect);
	snap_put_u32(o, vp->gfselect);
	snap_put_u16(o, vp->queue_select);
	snap_put_u16(o, __atomic_load_n(&vp->msix_config, __ATOMIC_RELAXED));
	snap_put_u8(o, __atomic_load_n(&vp->status, __ATOMIC_ACQUIRE));
	snap_put_u8(o, __atomic_load_n(&vp->config_generation, __ATOMIC_RELAXED));
	snap_put_u8(o, __atomic_load_n(&vp->isr, __ATOMIC_SEQ_CST));
	snap_put_u32(o, vp->devcfg_len);
	snap_put(o, vp->devcfg, vp->devcfg_len);
	for (unsigned int i = 0; i < vp->nr_queues; i++) {
		struct virtio_pci_queue *pq = &vp->q[i];

		pthread_mutex_lock(&pq->lock);
		snap_put_u16(o, pq->max_size);
		snap_put_u16(o, pq->size);
		snap_put_u16(o, pq->msix_vector);
		snap_put_u8(o, pq->enabled);
		snap_put_u64(o, pq->desc);
		snap_put_u64(o, pq->avail);
		snap_put_u64(o, pq->used);
		virtq_save(&pq->vq, o);
		pthread_mutex_unlock(&pq->lock);
	}
	pthread_mutex_unlock(&vp->lock);
	msix_save(&vp->msix, o);
	if (vp->ops->save)
		vp->ops->save(vp, o);
}

static bool vector_ok(const struct virtio_pci *vp, uint16_t v)
{
	return v == VIRTIO_MSI_NO_VECTOR || v < vp->nr_queues + 1;
}

/* Everything of the transport, checked; nothing of @vp changed. */
static int parse_transport(struct virtio_pci *vp, struct snap_sec *s, struct saved_transport *t,
			   const char *what, struct errinfo *e)
{
	uint32_t device_id = snap_get_u32(s), nr_queues = snap_get_u32(s);
	uint64_t dev_features = snap_get_u64(s);
	uint32_t devcfg_len;
	bool fok, dok;

	t->drv_features = snap_get_u64(s);
	t->dfselect = snap_get_u32(s);
	t->gfselect = snap_get_u32(s);
	t->queue_select = snap_get_u16(s);
	t->msix_config = snap_get_u16(s);
	t->status = snap_get_u8(s);
	t->config_generation = snap_get_u8(s);
	t->isr = snap_get_u8(s);
	devcfg_len = snap_get_u32(s);
	if (s->bad)
		return snap_bad(s, what, e, "%s: virtio state truncated", vp->name);
	if (device_id != vp->device_id || nr_queues != vp->nr_queues)
		return snap_bad(s, what, e,
				"virtio device %u with %u queues in the snapshot, %s here is "
				"device %u with %u",
				device_id, nr_queues, vp->name, vp->device_id, vp->nr_queues);
	if (dev_features != vp->dev_features)
		return snap_bad(s, what, e,
				"%s offered features 0x%llx when saved, 0x%llx here (started "
				"with other options?)",
				vp->name, (unsigned long long)dev_features,
				(unsigned long long)vp->dev_features);
	if (!virtio_pci_status_legal(0, t->status & ~VIRTIO_CONFIG_S_NEEDS_RESET))
		return snap_bad(s, what, e, "%s: device status 0x%02x is not one a driver can set",
				vp->name, t->status);
	fok = t->status & VIRTIO_CONFIG_S_FEATURES_OK;
	dok = t->status & VIRTIO_CONFIG_S_DRIVER_OK;
	/* what status_write() accepts for FEATURES_OK */
	if (fok && ((t->drv_features & ~vp->dev_features) ||
		    !(t->drv_features & (1ull << VIRTIO_F_VERSION_1))))
		return snap_bad(s, what, e,
				"%s: negotiated features 0x%llx are not a modern subset of the "
				"offered 0x%llx",
				vp->name, (unsigned long long)t->drv_features,
				(unsigned long long)vp->dev_features);
	if (!vector_ok(vp, t->msix_config))
		return snap_bad(s, what, e, "%s: config vector %u beyond the %u MSI-X vectors",
				vp->name, t->msix_config, vp->nr_queues + 1);
	if (t->isr & ~VP_ISR_BITS)
		return snap_bad(s, what, e, "%s: ISR 0x%02x has unknown bits", vp->name, t->isr);
	if (devcfg_len != vp->devcfg_len)
		return snap_bad(s, what, e,
				"%s: %u bytes of device config in the snapshot, %u here", vp->name,
				devcfg_len, vp->devcfg_len);
	snap_get(s, t->devcfg, devcfg_len);
	for (unsigned int i = 0; i < vp->nr_queues; i++) {
		struct saved_queue *q = &t->q[i];
		struct virtq_ring ring;
		uint8_t enabled;
		int ret;

		q->max_size = snap_get_u16(s);
		q->size = snap_get_u16(s);
		q->vector = snap_get_u16(s);
		enabled = snap_get_u8(s);
		q->desc = snap_get_u64(s);
		q->avail = snap_get_u64(s);
		q->used = snap_get_u64(s);
		if (s->bad)
			return snap_bad(s, what, e, "%s queue %u: truncated", vp->name, i);
		if (q->max_size != vp->q[i].max_size || q->size > q->max_size)
			return snap_bad(
				s, what, e,
				"%s queue %u: size %u (largest %u) in the snapshot, largest "
				"%u here",
				vp->name, i, q->size, q->max_size, vp->q[i].max_size);
		if (enabled > 1 || !vector_ok(vp, q->vector))
			return snap_bad(s, what, e,
					"%s queue %u: enable %u / vector %u out of range", vp->name,
					i, enabled, q->vector);
		q->enabled = enabled;
		ring = (struct virtq_ring){
			.mem = vp->mem,
			.size = q->size,
			.desc = q->desc,
			.avail = q->avail,
			.used = q->used,
			.event_idx = t->drv_features & (1ull << VIRTIO_RING_F_EVENT_IDX),
			.indirect = t->drv_features & (1ull << VIRTIO_RING_F_INDIRECT_DESC),
		};
		ret = virtq_load(&q->vq, s, &ring, what, vp->name, i, e);
		if (ret < 0)
			return ret;
		/* rings are live only for enabled queues of a driver that said DRIVER_OK */
		if (q->vq.ready && (!dok || !q->enabled))
			return snap_bad(s, what, e,
					"%s queue %u: ring live without DRIVER_OK and queue_enable",
					vp->name, i);
		/* ... and always for those, unless the device broke (NEEDS_RESET) */
		if (dok && q->enabled && !q->vq.ready && !q->vq.broken &&
		    !(t->status & VIRTIO_CONFIG_S_NEEDS_RESET))
			return snap_bad(s, what, e,
					"%s queue %u: enabled under DRIVER_OK but its ring is not "
					"live",
					vp->name, i);
	}
	return 0;
}

int virtio_pci_load(struct pci_dev *d, struct snap_sec *s, struct errinfo *e)
{
	struct virtio_pci *vp = d->opaque;
	/* the device's id (net0, virtio-blk0) when it has one: messages name the field too */
	const char *what = d->id[0] ? d->id : vp->name;
	struct saved_transport *t = calloc(1, sizeof(*t));
	bool live;
	int ret;

	if (!t)
		return err_set(e, ENOMEM, "%s: out of memory", vp->name);
	ret = parse_transport(vp, s, t, what, e);
	if (ret < 0)
		goto out;

	pthread_mutex_lock(&vp->lock);
	vp->drv_features = t->drv_features;
	vp->dfselect = t->dfselect;
	vp->gfselect = t->gfselect;
	vp->queue_select = t->queue_select;
	__atomic_store_n(&vp->msix_config, t->msix_config, __ATOMIC_RELAXED);
	__atomic_store_n(&vp->status, t->status, __ATOMIC_RELEASE);
	__atomic_store_n(&vp->config_generation, t->config_generation, __ATOMIC_RELAXED);
	__atomic_store_n(&vp->isr, t->isr, __ATOMIC_SEQ_CST);
	memcpy(vp->devcfg, t->devcfg, vp->devcfg_len);
	for (unsigned int i = 0; i < vp->nr_queues; i++) {
		struct virtio_pci_queue *pq = &vp->q[i];

		pthread_mutex_lock(&pq->lock);
		pq->size = t->q[i].size;
		pq->msix_vector = t->q[i].vector;
		pq->enabled = t->q[i].enabled;
		pq->desc = t->q[i].desc;
		pq->avail = t->q[i].avail;
		pq->used = t->q[i].used;
		pq->vq = t->q[i].vq;
		pthread_mutex_unlock(&pq->lock);
	}
	pthread_mutex_unlock(&vp->lock);

	ret = msix_load(&vp->msix, s, what, e);
	if (ret < 0)
		goto out;
	/* the device serves again as after the driver's DRIVER_OK (net: tap offloads) */
	live = (t->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(t->status & VIRTIO_CONFIG_S_NEEDS_RESET);
	if (live && vp->ops->start(vp) < 0) {
		ret = err_set(e, EIO, "%s: %s would not start on the restored state", what,
			      vp->name);
		goto out;
	}
	if (vp->ops->load) {
		ret = vp->ops->load(vp, s, what, e);
		if (ret < 0)
			goto out;
	}
	/* kicks pending at the save are gone with their eventfds: one for every live queue */
	for (unsigned int i = 0; live && i < vp->nr_queues; i++)
		if (vp->q[i].vq.ready)
			virtio_pci_kick(vp, i);
out:
	free(t);
	return ret;
}
