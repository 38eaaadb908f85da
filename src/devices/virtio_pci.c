// SPDX-License-Identifier: GPL-2.0-only
/*
 * Virtio 1.x modern PCI transport: register file, status machine, feature
 * negotiation, queue set-up, notifications and interrupts.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "virtio_pci.h"
#include "virtio_pci_priv.h"
#include "pci_hotplug.h"
#include "vm.h"

static void put_le(uint8_t *p, uint64_t v, unsigned int len)
{
	for (unsigned int i = 0; i < len; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

static uint64_t get_le(const uint8_t *p, unsigned int len)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < len; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void signal_vector(struct virtio_pci *vp, uint16_t vector)
{
	if (vector == VIRTIO_MSI_NO_VECTOR || vector >= vp->nr_queues + 1)
		return;
	vp->signal(vp, vector);
}

static void msix_signal(struct virtio_pci *vp, uint16_t vector)
{
	int ret = msix_notify(&vp->msix, vector);

	/* the guest misses an interrupt: say so (the log counts it) */
	if (ret < 0 && vp->msix.log)
		vlog_ratelimited(vp->msix.log, VLOG_ERR, "%s: signalling MSI-X vector %u: %s",
				 vp->msix.name, vector, strerror(-ret));
}

/*
 * vp->status: the driver's bits change under vp->lock, but device threads
 * set NEEDS_RESET without it (virtio_pci_mark_broken), so every access is
 * atomic and the driver's writes never drop a NEEDS_RESET set meanwhile.
 */
static uint8_t status_get(const struct virtio_pci *vp)
{
	return __atomic_load_n(&vp->status, __ATOMIC_ACQUIRE);
}

/* Status becomes @val, keeping NEEDS_RESET if it is set.  vp->lock held. */
static void status_set_keep_needs_reset(struct virtio_pci *vp, uint8_t val)
{
	uint8_t cur = status_get(vp);

	while (!__atomic_compare_exchange_n(&vp->status, &cur,
					    val | (cur & VIRTIO_CONFIG_S_NEEDS_RESET), false,
					    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
}

/*
 * These two run on device threads, possibly with a queue lock held, so
 * they must not take vp->lock (status writes take it, then queue locks).
 * What they touch is atomic: config_generation, isr, status, msix_config.
 */
void virtio_pci_config_changed(struct virtio_pci *vp)
{
	__atomic_add_fetch(&vp->config_generation, 1, __ATOMIC_SEQ_CST);
	__atomic_or_fetch(&vp->isr, VIRTIO_PCI_ISR_CONFIG, __ATOMIC_SEQ_CST);
	signal_vector(vp, __atomic_load_n(&vp->msix_config, __ATOMIC_RELAXED));
}

void virtio_pci_mark_broken(struct virtio_pci *vp)
{
	uint8_t old = __atomic_fetch_or(&vp->status, VIRTIO_CONFIG_S_NEEDS_RESET, __ATOMIC_SEQ_CST);

	if (old & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	__atomic_or_fetch(&vp->isr, VIRTIO_PCI_ISR_CONFIG, __ATOMIC_SEQ_CST);
	signal_vector(vp, __atomic_load_n(&vp->msix_config, __ATOMIC_RELAXED));
}

void virtio_pci_queue_done(struct virtio_pci *vp, unsigned int q)
{
	struct virtio_pci_queue *pq = &vp->q[q];

	if (pq->vq.broken) {
		virtio_pci_mark_broken(vp);
		return;
	}
	if (!virtq_should_notify(&pq->vq))
		return;
	__atomic_or_fetch(&vp->isr, VPCI_ISR_QUEUE, __ATOMIC_SEQ_CST);
	signal_vector(vp, pq->msix_vector); /* stable: we hold the queue lock */
}

void virtio_pci_serve(struct virtio_pci *vp, unsigned int q, struct virtq_elem *elem,
		      uint32_t (*fn)(struct virtio_pci *vp, struct virtq_elem *elem))
{
	struct virtio_pci_queue *pq = &vp->q[q];
	int ret;

	pthread_mutex_lock(&pq->lock);
	/*
	 * Nothing new (a spurious or repeated kick): leave the rings alone.
	 * Kicks are on since the last serve ended, and a snapshot relies on
	 * a second serve after its flush writing nothing (virtio_snap.c).
	 */
	if (!pq->vq.ready || (!pq->vq.broken && !virtq_has_avail(&pq->vq))) {
		pthread_mutex_unlock(&pq->lock);
		return;
	}
	/* Kicks off while we drain; back on, and drain again if we raced one. */
	do {
		virtq_disable_kicks(&pq->vq);
		while ((ret = virtq_pop(&pq->vq, elem)) == 1)
			virtq_push(&pq->vq, elem->head, fn(vp, elem));
	} while (ret == 0 && virtq_enable_kicks(&pq->vq));
	virtio_pci_queue_done(vp, q);
	pthread_mutex_unlock(&pq->lock);
}

bool virtio_pci_drain_kick(int efd)
{
	uint64_t v;

	return read(efd, &v, sizeof(v)) == sizeof(v);
}

/* Queue @q kicked: through its eventfd so the right thread runs it. */
void virtio_pci_kick(struct virtio_pci *vp, unsigned int q)
{
	uint64_t one = 1;

	if (q >= vp->nr_queues)
		return;
	if (!vp->vm) {
		vp->ops->notify(vp, q);
		return;
	}
	/* EAGAIN means the counter is full: a kick is pending anyway. */
	(void)!write(vp->q[q].kick_efd, &one, sizeof(one));
}

static void queues_reset(struct virtio_pci *vp)
{
	for (unsigned int i = 0; i < vp->nr_queues; i++) {
		struct virtio_pci_queue *pq = &vp->q[i];

		pthread_mutex_lock(&pq->lock);
		virtq_reset(&pq->vq);
		pq->size = pq->max_size;
		pq->msix_vector = VIRTIO_MSI_NO_VECTOR;
		pq->enabled = false;
		pq->desc = pq->avail = pq->used = 0;
		pthread_mutex_unlock(&pq->lock);
	}
}

/* Called with vp->lock held. */
static void device_reset(struct virtio_pci *vp)
{
	if (status_get(vp) & VIRTIO_CONFIG_S_DRIVER_OK)
		vp->ops->reset(vp);
	if (vp->ops->negotiation)
		vp->ops->negotiation(vp, false);
	queues_reset(vp);
	__atomic_store_n(&vp->status, 0, __ATOMIC_RELEASE);
	vp->drv_features = 0;
	vp->dfselect = vp->gfselect = 0;
	vp->queue_select = 0;
	__atomic_store_n(&vp->msix_config, VIRTIO_MSI_NO_VECTOR, __ATOMIC_RELAXED);
	__atomic_store_n(&vp->isr, 0, __ATOMIC_SEQ_CST);
}

/* Make an enabled queue live; false (queue broken) when its rings are bad. */
static bool queue_go_live(struct virtio_pci *vp, struct virtio_pci_queue *pq)
{
	int ret;

	pthread_mutex_lock(&pq->lock);
	ret = virtq_enable(&pq->vq, vp->mem, pq->size, pq->desc, pq->avail, pq->used,
			   virtio_pci_has_feature(vp, VIRTIO_RING_F_EVENT_IDX),
			   virtio_pci_has_feature(vp, VIRTIO_RING_F_INDIRECT_DESC));
	pthread_mutex_unlock(&pq->lock);
	return ret == 0;
}

/* The driver's bits in the order the spec lets it set them. */
static const uint8_t status_order[] = {VIRTIO_CONFIG_S_ACKNOWLEDGE, VIRTIO_CONFIG_S_DRIVER,
				       VIRTIO_CONFIG_S_FEATURES_OK, VIRTIO_CONFIG_S_DRIVER_OK};

/*
 * Virtio 1.x status rules: bits are set only in order (each needs the ones
 * before it), clearing any bit needs a reset (write 0), FAILED may be set at
 * any time, reserved bits are never set.  NEEDS_RESET is the device's: a
 * driver writing it back (read-modify-write) changes nothing.
 */
bool virtio_pci_status_legal(uint8_t old, uint8_t val)
{
	const uint8_t known = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			      VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK |
			      VIRTIO_CONFIG_S_FAILED;
	bool gap = false;

	old &= ~VIRTIO_CONFIG_S_NEEDS_RESET;
	if (val & ~known)
		return false;
	if (old & ~val)
		return false;
	for (unsigned int i = 0; i < sizeof(status_order); i++) {
		if (!(val & status_order[i]))
			gap = true;
		else if (gap)
			return false;
	}
	return true;
}

/* Called with vp->lock held: no queue is served until the driver resets the device. */
static void queues_break(struct virtio_pci *vp)
{
	for (unsigned int i = 0; i < vp->nr_queues; i++) {
		pthread_mutex_lock(&vp->q[i].lock);
		vp->q[i].vq.broken = true;
		pthread_mutex_unlock(&vp->q[i].lock);
	}
}

/*
 * Status write.  Called with vp->lock held; returns a bitmask of queues
 * to kick once the lock is dropped (buffers queued before DRIVER_OK), or
 * -1 when a config interrupt is due: the device refused to start, or the
 * write was an illegal transition (not applied; NEEDS_RESET set instead).
 */
static int64_t status_write(struct virtio_pci *vp, uint8_t val)
{
	uint8_t old = status_get(vp);
	int64_t kicks = 0;

	if (val == 0) {
		device_reset(vp);
		return 0;
	}
	val &= ~VIRTIO_CONFIG_S_NEEDS_RESET;
	if ((val & VIRTIO_CONFIG_S_FEATURES_OK) && !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
		/* Refuse (leave FEATURES_OK clear) unless a modern subset was chosen. */
		if ((vp->drv_features & ~vp->dev_features) ||
		    !(vp->drv_features & (1ull << VIRTIO_F_VERSION_1)))
			val &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	}
	if (!virtio_pci_status_legal(old, val)) {
		queues_break(vp);
		__atomic_or_fetch(&vp->status, VIRTIO_CONFIG_S_NEEDS_RESET, __ATOMIC_SEQ_CST);
		return -1;
	}
	/* Accepted (possibly in the same write as DRIVER_OK): features are final. */
	if ((val & VIRTIO_CONFIG_S_FEATURES_OK) && !(old & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    vp->ops->negotiation)
		vp->ops->negotiation(vp, true);
	if ((val & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK)) {
		bool ok = true;

		for (unsigned int i = 0; i < vp->nr_queues; i++)
			if (vp->q[i].enabled && !queue_go_live(vp, &vp->q[i]))
				ok = false;
		status_set_keep_needs_reset(vp, val);
		if (!ok || vp->ops->start(vp) < 0) {
			queues_break(vp);
			__atomic_or_fetch(&vp->status, VIRTIO_CONFIG_S_NEEDS_RESET,
					  __ATOMIC_SEQ_CST);
			return -1;
		}
		for (unsigned int i = 0; i < vp->nr_queues; i++)
			if (vp->q[i].enabled)
				kicks |= 1ll << i;
		return kicks;
	}
	status_set_keep_needs_reset(vp, val);
	return 0;
}

static void common_read(struct virtio_pci *vp, uint64_t off, uint8_t *data, uint32_t len)
{
	uint8_t img[VPCI_COMMON_LEN] = {0};
	struct virtio_pci_queue *pq = NULL;
	uint64_t f;

	pthread_mutex_lock(&vp->lock);
	if (vp->queue_select < vp->nr_queues)
		pq = &vp->q[vp->queue_select];
	f = vp->dfselect == 0	? (uint32_t)vp->dev_features
	    : vp->dfselect == 1 ? vp->dev_features >> 32
				: 0;
	put_le(img + 0x00, vp->dfselect, 4);
	put_le(img + 0x04, f, 4);
	put_le(img + 0x08, vp->gfselect, 4);
	f = vp->gfselect == 0	? (uint32_t)vp->drv_features
	    : vp->gfselect == 1 ? vp->drv_features >> 32
				: 0;
	put_le(img + 0x0c, f, 4);
	put_le(img + 0x10, vp->msix_config, 2);
	put_le(img + 0x12, vp->nr_queues, 2);
	img[0x14] = status_get(vp);
	img[0x15] = __atomic_load_n(&vp->config_generation, __ATOMIC_RELAXED);
	put_le(img + 0x16, vp->queue_select, 2);
	if (pq) {
		/* Size 0 tells the driver the queue does not exist. */
		put_le(img + 0x18, pq->size, 2);
		put_le(img + 0x1a, pq->msix_vector, 2);
		put_le(img + 0x1c, pq->enabled, 2);
		put_le(img + 0x1e, vp->queue_select, 2);
		put_le(img + 0x20, pq->desc, 8);
		put_le(img + 0x28, pq->avail, 8);
		put_le(img + 0x30, pq->used, 8);
	} else {
		put_le(img + 0x1a, VIRTIO_MSI_NO_VECTOR, 2);
	}
	pthread_mutex_unlock(&vp->lock);
	if (off + len <= sizeof(img))
		memcpy(data, img + off, len);
	else
		memset(data, 0, len);
}

/* 64-bit ring address written whole or as two 32-bit halves. */
static void addr_write(uint64_t *reg, uint64_t off_in_reg, uint64_t v, uint32_t len)
{
	if (len == 8 && off_in_reg == 0)
		*reg = v;
	else if (len == 4 && off_in_reg == 0)
		*reg = (*reg & ~0xffffffffull) | v;
	else if (len == 4 && off_in_reg == 4)
		*reg = (*reg & 0xffffffffull) | v << 32;
}

static uint16_t valid_vector(struct virtio_pci *vp, uint64_t v)
{
	/* An unsupported vector reads back as NO_VECTOR: that is how the driver learns. */
	return v < vp->nr_queues + 1 ? v : VIRTIO_MSI_NO_VECTOR;
}

static void common_write(struct virtio_pci *vp, uint64_t off, const uint8_t *data, uint32_t len)
{
	uint64_t v = get_le(data, len);
	struct virtio_pci_queue *pq;
	int64_t kicks = 0;

	pthread_mutex_lock(&vp->lock);
	pq = vp->queue_select < vp->nr_queues ? &vp->q[vp->queue_select] : NULL;
	/* Queue registers are frozen while the queue is enabled. */
	if (pq && pq->enabled && off >= 0x18 && off < 0x38 && off != 0x1a)
		pq = NULL;
	switch (off) {
	case 0x00:
		if (len == 4)
			vp->dfselect = v;
		break;
	case 0x08:
		if (len == 4)
			vp->gfselect = v;
		break;
	case 0x0c:
		if (len != 4 || (status_get(vp) & VIRTIO_CONFIG_S_FEATURES_OK))
			break;
		if (vp->gfselect == 0)
			vp->drv_features = (vp->drv_features & ~0xffffffffull) | v;
		else if (vp->gfselect == 1)
			vp->drv_features = (vp->drv_features & 0xffffffffull) | v << 32;
		break;
	case 0x10:
		/* read by device threads without vp->lock */
		if (len == 2)
			__atomic_store_n(&vp->msix_config, valid_vector(vp, v), __ATOMIC_RELAXED);
		break;
	case 0x14:
		if (len == 1)
			kicks = status_write(vp, v);
		break;
	case 0x16:
		if (len == 2)
			vp->queue_select = v;
		break;
	case 0x18:
		/* Larger than offered is refused (reads back unchanged). */
		if (len == 2 && pq && v <= pq->max_size)
			pq->size = v;
		break;
	case 0x1a:
		/* may change while the queue runs: its user reads it under the queue lock */
		if (len == 2 && pq) {
			pthread_mutex_lock(&pq->lock);
			pq->msix_vector = valid_vector(vp, v);
			pthread_mutex_unlock(&pq->lock);
		}
		break;
	case 0x1c:
		if (len == 2 && pq && v == 1) {
			pq->enabled = true;
			/* Enabled after DRIVER_OK: goes live at once. */
			if (status_get(vp) & VIRTIO_CONFIG_S_DRIVER_OK) {
				if (!queue_go_live(vp, pq))
					kicks = -1;
				else
					kicks = 1ll << vp->queue_select;
			}
		}
		break;
	case 0x20 ... 0x27:
		if (pq)
			addr_write(&pq->desc, off - 0x20, v, len);
		break;
	case 0x28 ... 0x2f:
		if (pq)
			addr_write(&pq->avail, off - 0x28, v, len);
		break;
	case 0x30 ... 0x37:
		if (pq)
			addr_write(&pq->used, off - 0x30, v, len);
		break;
	default:
		break;
	}
	pthread_mutex_unlock(&vp->lock);
	if (kicks < 0) {
		/* The device refused to go live: tell the driver. */
		__atomic_or_fetch(&vp->status, VIRTIO_CONFIG_S_NEEDS_RESET, __ATOMIC_SEQ_CST);
		__atomic_or_fetch(&vp->isr, VIRTIO_PCI_ISR_CONFIG, __ATOMIC_SEQ_CST);
		signal_vector(vp, __atomic_load_n(&vp->msix_config, __ATOMIC_RELAXED));
		return;
	}
	for (unsigned int i = 0; i < vp->nr_queues; i++)
		if (kicks & (1ll << i))
			virtio_pci_kick(vp, i);
}

static void devcfg_access(struct virtio_pci *vp, uint64_t off, uint8_t *data, uint32_t len,
			  bool is_write)
{
	if (off + len > vp->devcfg_len) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	pthread_mutex_lock(&vp->lock);
	if (!is_write)
		memcpy(data, vp->devcfg + off, len);
	else if (off >= vp->devcfg_wmask_off)
		memcpy(vp->devcfg + off, data, len);
	pthread_mutex_unlock(&vp->lock);
	if (is_write && off >= vp->devcfg_wmask_off && vp->ops->cfg_write)
		vp->ops->cfg_write(vp, off, len);
}

void virtio_pci_bar_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct virtio_pci *vp = opaque;

	if (off < VPCI_COMMON_OFF + VPCI_COMMON_LEN) {
		if (is_write)
			common_write(vp, off, data, len);
		else
			common_read(vp, off, data, len);
	} else if (off >= VPCI_ISR_OFF && off < VPCI_ISR_OFF + VPCI_ISR_LEN) {
		if (is_write)
			return;
		memset(data, 0, len);
		/* Reading the ISR clears it (and would de-assert INTx). */
		if (off == VPCI_ISR_OFF)
			data[0] = __atomic_exchange_n(&vp->isr, 0, __ATOMIC_SEQ_CST);
	} else if (off >= VPCI_DEVCFG_OFF && off < VPCI_DEVCFG_OFF + VPCI_DEVCFG_MAX) {
		devcfg_access(vp, off - VPCI_DEVCFG_OFF, data, len, is_write);
	} else if (off >= VPCI_NOTIFY_OFF &&
		   off < VPCI_NOTIFY_OFF + VPCI_NOTIFY_MULT * VIRTIO_PCI_MAX_QUEUES) {
		/* Reached only when the ioeventfd did not match (other width). */
		if (is_write)
			virtio_pci_kick(vp, (off - VPCI_NOTIFY_OFF) / VPCI_NOTIFY_MULT);
		else
			memset(data, 0, len);
	} else if (off >= VPCI_MSIX_TABLE_OFF &&
		   off < VPCI_MSIX_TABLE_OFF + (uint64_t)MSIX_ENTRY_SIZE * vp->msix.nr) {
		msix_table_access(&vp->msix, off - VPCI_MSIX_TABLE_OFF, data, len, is_write);
	} else if (off >= VPCI_MSIX_PBA_OFF &&
		   off < VPCI_MSIX_PBA_OFF + 8 * ((vp->msix.nr + 63) / 64)) {
		msix_pba_access(&vp->msix, off - VPCI_MSIX_PBA_OFF, data, len, is_write);
	} else if (!is_write) {
		memset(data, 0, len);
	}
}

/* The I/O notify window: reached only when no ioeventfd matched. */
static void pio_notify_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
			      bool is_write)
{
	struct virtio_pci *vp = opaque;

	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	if (off == 0 && len >= 2)
		virtio_pci_kick(vp, data[0] | data[1] << 8);
}

static int add_cap(struct virtio_pci *vp, uint8_t type, uint8_t bar, uint32_t off, uint32_t len,
		   uint32_t notify_mult, struct errinfo *e)
{
	struct virtio_pci_notify_cap c = {0};
	uint8_t size = sizeof(struct virtio_pci_cap);
	int ret;

	c.cap.cap_vndr = PCI_CAP_ID_VNDR;
	c.cap.cfg_type = type;
	c.cap.bar = bar;
	c.cap.offset = htole32(off);
	c.cap.length = htole32(len);
	if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
		c.notify_off_multiplier = htole32(notify_mult);
		size = sizeof(c);
	}
	c.cap.cap_len = size;
	ret = pci_cap_add(&vp->pci, PCI_CAP_ID_VNDR, &c, size, e);
	return ret < 0 ? ret : 0;
}

/*
 * VIRTIO_PCI_CAP_PCI_CFG: the driver writes bar/offset/length in the
 * capability, then reads or writes pci_cfg_data to access that BAR range.
 */
static bool cfg_window(struct virtio_pci *vp, uint32_t off, uint32_t len, uint32_t *bar_off,
		       uint32_t *n)
{
	const struct pci_dev *d = &vp->pci;
	uint32_t data = vp->cfg_cap + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);
	uint32_t o = pci_cfg_r32(d, vp->cfg_cap + offsetof(struct virtio_pci_cap, offset));
	uint32_t l = pci_cfg_r32(d, vp->cfg_cap + offsetof(struct virtio_pci_cap, length));

	if (!vp->cfg_cap || off >= data + 4 || off + len <= data)
		return false;
	/* Only whole, aligned 1/2/4-byte windows inside BAR 0 (spec 4.1.4.9). */
	if (d->cfg[vp->cfg_cap + offsetof(struct virtio_pci_cap, bar)] != 0 ||
	    (l != 1 && l != 2 && l != 4) || (o & (l - 1)) || o >= VPCI_BAR_SIZE)
		return false;
	*bar_off = o;
	*n = l;
	return true;
}

static void cfg_cap_read(struct pci_dev *d, uint32_t off, uint8_t *data, uint32_t len)
{
	struct virtio_pci *vp = d->opaque;
	uint32_t win = vp->cfg_cap + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);
	uint32_t bar_off, n;
	uint8_t buf[4] = {0};

	if (!cfg_window(vp, off, len, &bar_off, &n))
		return;
	virtio_pci_bar_access(vp, bar_off, buf, n, false);
	for (uint32_t i = 0; i < len; i++)
		if (off + i >= win && off + i < win + 4)
			data[i] = buf[off + i - win];
}

static void cfg_cap_write(struct pci_dev *d, uint32_t off, const uint8_t *data, uint32_t len)
{
	struct virtio_pci *vp = d->opaque;
	uint32_t win = vp->cfg_cap + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);
	uint32_t bar_off, n;
	uint8_t buf[4];

	(void)data;
	if (!cfg_window(vp, off, len, &bar_off, &n))
		return;
	/* The host already stored the bytes in the shadow's pci_cfg_data. */
	memcpy(buf, &d->cfg[win], 4);
	virtio_pci_bar_access(vp, bar_off, buf, n, true);
}

static int add_cfg_cap(struct virtio_pci *vp, struct errinfo *e)
{
	struct virtio_pci_cfg_cap c = {0};
	int off;

	c.cap.cap_vndr = PCI_CAP_ID_VNDR;
	c.cap.cap_len = sizeof(c);
	c.cap.cfg_type = VIRTIO_PCI_CAP_PCI_CFG;
	off = pci_cap_add(&vp->pci, PCI_CAP_ID_VNDR, &c, sizeof(c), e);
	if (off < 0)
		return off;
	vp->cfg_cap = off;
	/* bar, offset, length and the data window are the driver's to write. */
	vp->pci.wmask[off + offsetof(struct virtio_pci_cap, bar)] = 0xff;
	memset(&vp->pci.wmask[off + offsetof(struct virtio_pci_cap, offset)], 0xff, 8);
	memset(&vp->pci.wmask[off + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data)], 0xff, 4);
	vp->pci.cfg_read = cfg_cap_read;
	vp->pci.cfg_write = cfg_cap_write;
	return 0;
}

/* Kicks by ioeventfd on the I/O notify port, one datamatch per queue. */
static int pio_activate(struct virtio_pci *vp, uint64_t port, uint64_t size)
{
	struct errinfo e;
	int ret;

	ret = bus_register(vp->pci.host->pio, port, size, pio_notify_access, vp, vp->name, &e);
	if (ret < 0 || !vp->vm)
		return ret;
	for (unsigned int i = 0; i < vp->nr_queues; i++) {
		ret = ioeventfd_add(vp->vm, vp->q[i].kick_efd, port, 2, true, i, &e);
		if (ret < 0) {
			/* Kicks still work through the trap, only slower. */
			while (i--)
				ioeventfd_del(vp->vm, vp->q[i].kick_efd, port, 2, true, i, &e);
			return 0;
		}
	}
	vp->pio_ioevents_on = true;
	vp->pio_ioevent_port = port;
	return 0;
}

static int pio_deactivate(struct virtio_pci *vp, uint64_t port)
{
	struct errinfo e;

	if (vp->pio_ioevents_on) {
		for (unsigned int i = 0; i < vp->nr_queues; i++)
			ioeventfd_del(vp->vm, vp->q[i].kick_efd, vp->pio_ioevent_port, 2, true, i,
				      &e);
		vp->pio_ioevents_on = false;
	}
	return bus_unregister(vp->pci.host->pio, port);
}

static int bar_activate(struct pci_dev *d, int bar, uint64_t addr, uint64_t size)
{
	struct virtio_pci *vp = d->opaque;
	struct errinfo e;
	int ret;

	if (bar == VPCI_PIO_BAR)
		return pio_activate(vp, addr, size);
	ret = bus_register(d->host->mmio, addr, size, virtio_pci_bar_access, vp, vp->name, &e);
	if (ret < 0)
		return ret;
	if (!vp->vm)
		return 0;
	for (unsigned int i = 0; i < vp->nr_queues; i++) {
		ret = ioeventfd_add(vp->vm, vp->q[i].kick_efd,
				    addr + VPCI_NOTIFY_OFF + VPCI_NOTIFY_MULT * i, 2, false, -1,
				    &e);
		if (ret < 0) {
			/* Kicks still work through the trap, only slower. */
			while (i--)
				ioeventfd_del(vp->vm, vp->q[i].kick_efd,
					      addr + VPCI_NOTIFY_OFF + VPCI_NOTIFY_MULT * i, 2,
					      false, -1, &e);
			return 0;
		}
	}
	vp->ioevents_on = true;
	vp->ioevent_base = addr;
	return 0;
}

static int bar_deactivate(struct pci_dev *d, int bar, uint64_t addr, uint64_t size)
{
	struct virtio_pci *vp = d->opaque;
	struct errinfo e;

	(void)size;
	if (bar == VPCI_PIO_BAR)
		return pio_deactivate(vp, addr);
	if (vp->ioevents_on) {
		for (unsigned int i = 0; i < vp->nr_queues; i++)
			ioeventfd_del(vp->vm, vp->q[i].kick_efd,
				      vp->ioevent_base + VPCI_NOTIFY_OFF + VPCI_NOTIFY_MULT * i, 2,
				      false, -1, &e);
		vp->ioevents_on = false;
	}
	return bus_unregister(d->host->mmio, addr);
}

/*
 * pci_dev.release: VM teardown (pci_host_exit(), vCPUs and I/O thread
 * stopped) or hot-unplug (on the I/O thread, the VM running, the function
 * already off h->dev[]).  Off the buses, then freed.
 *
 * A bus calls its handler with the bus lock dropped (bus.h), so a vCPU may
 * still be inside virtio_pci_bar_access() when a BAR leaves the bus: at run
 * time the vCPUs are held out of KVM_RUN while the BARs go (unless the
 * hot-plug core took them off already, or holds the vCPUs itself), and
 * none can be in our handlers once they are let go.
 */
static void virtio_pci_release(struct pci_dev *d)
{
	struct virtio_pci *vp = d->opaque;
	struct vm *vm = vp->vm;
	bool active = false, paused = false, irq = vp->msix.sources;
	struct errinfo e = {0};

	for (int bar = 0; bar <= VPCI_PIO_BAR; bar += VPCI_PIO_BAR)
		active |= d->bar[bar].active;
	/* -EAGAIN: no vCPU runs (before vm_run() or at teardown) */
	if (vm && active && !vm_paused(vm))
		paused = vm_pause(vm) != -EAGAIN;
	for (int bar = 0; bar <= VPCI_PIO_BAR; bar += VPCI_PIO_BAR) {
		if (!d->bar[bar].active)
			continue;
		bar_deactivate(d, bar, d->bar[bar].addr, d->bar[bar].size);
		d->bar[bar].active = false;
	}
	if (paused)
		vm_resume(vm);
	/* ops->destroy frees vp: nothing of it is touched after this */
	vp->ops->destroy(vp);
	/*
	 * Its irqfds are detached and its GSIs free (msix_exit()); at run time
	 * KVM must also forget the routes now, not at the next device's commit.
	 */
	if (vm && irq && !atomic_load(&vm->exit_requested) && irq_routing_commit(&vm->irq, &e) < 0)
		vlog_err(&vm->log, "virtio release", &e);
}

int virtio_pci_init(struct virtio_pci *vp, struct vm *vm, const struct guest_mem *mem,
		    const char *name, uint16_t device_id, uint32_t class_code,
		    unsigned int nr_queues, uint16_t queue_size, uint64_t dev_features,
		    const struct virtio_dev_ops *ops, void *dev, struct errinfo *e)
{
	unsigned int i;
	int ret;

	if (nr_queues == 0 || nr_queues > VIRTIO_PCI_MAX_QUEUES)
		return err_set(e, EINVAL, "%s: %u queues (1..%d supported)", name, nr_queues,
			       VIRTIO_PCI_MAX_QUEUES);
	vp->vm = vm;
	vp->mem = mem;
	vp->ops = ops;
	vp->dev = dev;
	vp->name = name;
	vp->device_id = device_id;
	vp->nr_queues = nr_queues;
	vp->dev_features = dev_features | VIRTIO_PCI_BASE_FEATURES;
	vp->msix_config = VIRTIO_MSI_NO_VECTOR;
	vp->signal = msix_signal;
	pthread_mutex_init(&vp->lock, NULL);
	for (i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++)
		vp->q[i].kick_efd = -1;
	for (i = 0; i < nr_queues; i++) {
		struct virtio_pci_queue *pq = &vp->q[i];

		pthread_mutex_init(&pq->lock, NULL);
		pq->max_size = pq->size = queue_size;
		pq->msix_vector = VIRTIO_MSI_NO_VECTOR;
		pq->kick_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (pq->kick_efd < 0) {
			ret = err_sys(e, errno, "%s: eventfd for queue %u", name, i);
			goto fail;
		}
	}

	pci_dev_init(&vp->pci, name, VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE_BASE + device_id,
		     class_code, 1, VIRTIO_PCI_VENDOR, 0x1100);
	vp->pci.kind = PCI_DEV_VIRTIO;
	vp->pci.opaque = vp;
	vp->pci.release = virtio_pci_release;
	vp->pci.save = virtio_pci_save;
	vp->pci.load = virtio_pci_load;
	ret = pci_bar_declare(&vp->pci, 0, VPCI_BAR_SIZE, 0, virtio_pci_bar_access, vp, e);
	if (ret < 0)
		goto fail;
	vp->pci.bar_activate = bar_activate;
	vp->pci.bar_deactivate = bar_deactivate;
	ret = pci_bar_declare(&vp->pci, VPCI_PIO_BAR, VPCI_PIO_SIZE, PCI_BARF_IO, pio_notify_access,
			      vp, e);
	if (ret < 0)
		goto fail;
	/* First: see VPCI_PIO_BAR. */
	ret = add_cap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG, VPCI_PIO_BAR, 0, 2, 0, e);
	if (!ret)
		ret = add_cap(vp, VIRTIO_PCI_CAP_COMMON_CFG, 0, VPCI_COMMON_OFF, VPCI_COMMON_LEN, 0,
			      e);
	if (!ret)
		ret = add_cap(vp, VIRTIO_PCI_CAP_ISR_CFG, 0, VPCI_ISR_OFF, VPCI_ISR_LEN, 0, e);
	if (!ret)
		ret = add_cap(vp, VIRTIO_PCI_CAP_DEVICE_CFG, 0, VPCI_DEVCFG_OFF, VPCI_DEVCFG_MAX, 0,
			      e);
	if (!ret)
		ret = add_cap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG, 0, VPCI_NOTIFY_OFF,
			      VPCI_NOTIFY_MULT * VIRTIO_PCI_MAX_QUEUES, VPCI_NOTIFY_MULT, e);
	if (ret < 0)
		goto fail;
	ret = msix_init(&vp->msix, &vp->pci, nr_queues + 1, 0, VPCI_MSIX_TABLE_OFF, 0,
			VPCI_MSIX_PBA_OFF, NULL, vp, e);
	if (ret < 0)
		goto fail;
	vp->pci.msix = &vp->msix;
	/* After MSI-X: the first capabilities stay where QEMU's order puts them. */
	ret = add_cfg_cap(vp, e);
	if (ret < 0) {
		msix_exit(&vp->msix);
		goto fail;
	}
	return 0;

fail:
	err_prefix(e, "%s", name);
	for (i = 0; i < nr_queues; i++) {
		if (vp->q[i].kick_efd >= 0)
			close(vp->q[i].kick_efd);
		vp->q[i].kick_efd = -1;
	}
	return ret;
}

static void io_kick(int fd, uint32_t events, void *opaque)
{
	struct virtio_pci *vp = opaque;

	(void)events;
	if (!virtio_pci_drain_kick(fd))
		return;
	for (unsigned int i = 0; i < vp->nr_queues; i++)
		if (vp->q[i].kick_efd == fd)
			vp->ops->notify(vp, i);
}

int virtio_pci_register(struct virtio_pci *vp, struct errinfo *e)
{
	int ret;

	ret = vm_pci_plug(vp->vm, &vp->pci, -1, e);
	if (ret < 0)
		return ret;
	/* irqfd and route failures the guest causes are counted and logged there */
	vp->msix.log = &vp->vm->log;
	ret = msix_irqfd_enable(&vp->msix, &vp->vm->irq, e);
	if (ret < 0)
		goto fail;
	if (vp->own_kick_thread)
		return 0;
	for (unsigned int i = 0; i < vp->nr_queues; i++) {
		ret = vm_io_add(vp->vm, vp->q[i].kick_efd, EPOLLIN, io_kick, vp, e);
		if (ret < 0)
			goto fail;
	}
	return 0;

fail:
	err_prefix(e, "%s", vp->name);
	return ret;
}

void virtio_pci_exit(struct virtio_pci *vp)
{
	for (unsigned int i = 0; i < vp->nr_queues; i++) {
		if (vp->q[i].kick_efd < 0)
			continue;
		if (vp->vm && !vp->own_kick_thread)
			vm_io_del(vp->vm, vp->q[i].kick_efd);
		close(vp->q[i].kick_efd);
		vp->q[i].kick_efd = -1;
	}
	msix_exit(&vp->msix);
}
