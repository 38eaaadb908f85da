// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-net: a tap with vnet headers behind a receive and a transmit queue.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <time.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/virtio_ids.h>

#include "dev_id.h"
#include "devices.h"
#include "mac.h"
#include "pci_hotplug.h"
#include "virtio_net.h"
#include "vm.h"

#define PCI_CLASS_ETHERNET 0x020000
#define RXQ 0
#define TXQ 1

unsigned int virtio_net_tun_offloads(uint64_t f)
{
	unsigned int t = 0;

	/* The tap may only hand the guest what the guest said it can take. */
	if (!(f & (1ull << VIRTIO_NET_F_GUEST_CSUM)))
		return 0;
	t |= TUN_F_CSUM;
	if (f & (1ull << VIRTIO_NET_F_GUEST_TSO4))
		t |= TUN_F_TSO4;
	if (f & (1ull << VIRTIO_NET_F_GUEST_TSO6))
		t |= TUN_F_TSO6;
	if ((t & (TUN_F_TSO4 | TUN_F_TSO6)) && (f & (1ull << VIRTIO_NET_F_GUEST_ECN)))
		t |= TUN_F_TSO_ECN;
	return t;
}

static int set_offloads(struct virtio_net *n, unsigned int t)
{
	if (n->is_tap && ioctl(n->tap_fd, TUNSETOFFLOAD, t) < 0)
		return -errno;
	n->offloads = t;
	return 0;
}

/*
 * The tap is gone (deleted on the host: reads and writes fail with EBADFD
 * or EIO, not EAGAIN).  The guest sees a link that drops everything, as
 * with a pulled cable; whoever runs vfvm is told once (log, and a
 * net-backend-gone event) with the way out.
 */
static void tap_gone(struct virtio_net *n, const char *op, int err)
{
	char detail[160];

	if (n->tap_gone || !n->is_tap || !n->vp.vm)
		return;
	n->tap_gone = true;
	snprintf(detail, sizeof(detail),
		 "tap %s: %s failed: %s (errno %d); the guest's frames are dropped", n->ifname, op,
		 strerror(err), err);
	vlog_report(&n->vp.vm->log, VLOG_WARN,
		    "net %s: %s; to reconnect, remove-device %s and add-device it on a new tap",
		    n->vp.pci.id, detail, n->vp.pci.id);
	vm_event(n->vp.vm, "net-backend-gone", n->vp.pci.id, detail);
}

/* One transmit chain: header + frame, all device-readable, straight to the tap. */
static uint32_t tx_request(struct virtio_pci *vp, struct virtq_elem *el)
{
	struct virtio_net *n = vp->dev;
	ssize_t r;

	/* Writable buffers or no room for the header: not a packet. */
	if (el->in_num || el->out_len < VIRTIO_NET_HDR_LEN) {
		n->tx_dropped++;
		return 0;
	}
	do
		r = writev(n->tap_fd, el->out, el->out_num);
	while (r < 0 && errno == EINTR);
	/* A full or down tap drops the frame, as a wire would. */
	if (r < 0) {
		n->tx_dropped++;
		if (errno == EBADFD || errno == EIO)
			tap_gone(n, "write", errno);
	}
	return 0;
}

/* Host address of byte @off of the buffers, NULL when beyond them. */
static uint8_t *iov_byte(const struct iovec *iov, unsigned int n, size_t off)
{
	for (unsigned int i = 0; i < n; i++) {
		if (off < iov[i].iov_len)
			return (uint8_t *)iov[i].iov_base + off;
		off -= iov[i].iov_len;
	}
	return NULL;
}

/*
 * Place the packet in rx_buf (rx_pending bytes, header first) into receive
 * buffers.  Returns false when the guest has not posted enough buffers
 * (nothing consumed then; the packet stays pending).
 */
static bool rx_deliver(struct virtio_net *n, struct virtq *vq)
{
	bool mrg = virtio_pci_has_feature(&n->vp, VIRTIO_NET_F_MRG_RXBUF);
	struct virtq_elem *el = &n->rx_elem;
	uint8_t *nb_lo = NULL, *nb_hi = NULL;
	uint16_t heads[VIRTQ_MAX_SIZE];
	uint32_t lens[VIRTQ_MAX_SIZE];
	bool drop = false;
	uint16_t count = 0;
	size_t off = 0;

	/* All buffers of one packet are published together, or none are. */
	virtq_batch_begin(vq);
	while (off < n->rx_pending) {
		size_t chunk;

		if (count >= VIRTQ_MAX_SIZE || virtq_pop(vq, el) != 1) {
			virtq_batch_rollback(vq);
			return false;
		}
		heads[count] = el->head;
		chunk = n->rx_pending - off;
		if (chunk > el->in_len)
			chunk = el->in_len;
		/*
		 * Receive buffers must be writable and the first must hold the
		 * header; without merging one chain must hold the whole frame.
		 */
		if (el->out_num || (count == 0 && el->in_len < VIRTIO_NET_HDR_LEN) ||
		    (!mrg && chunk < n->rx_pending)) {
			count++;
			drop = true;
			break;
		}
		virtq_iov_from_buf(el->in, el->in_num, 0, n->rx_buf + off, chunk);
		if (count == 0) {
			nb_lo = iov_byte(el->in, el->in_num,
					 offsetof(struct virtio_net_hdr_v1, num_buffers));
			nb_hi = iov_byte(el->in, el->in_num,
					 offsetof(struct virtio_net_hdr_v1, num_buffers) + 1);
		}
		lens[count++] = chunk;
		off += chunk;
	}
	if (drop) {
		/* Every chain taken goes back empty. */
		n->rx_dropped++;
		for (uint16_t i = 0; i < count; i++)
			virtq_fill(vq, heads[i], 0);
	} else {
		/* Chains we filled, counted in the first header (1 without merging). */
		if (nb_lo && nb_hi) {
			*nb_lo = count & 0xff;
			*nb_hi = count >> 8;
		}
		for (uint16_t i = 0; i < count; i++)
			virtq_fill(vq, heads[i], lens[i]);
	}
	virtq_batch_commit(vq);
	n->rx_pending = 0;
	return true;
}

void virtio_net_rx(struct virtio_net *n)
{
	struct virtio_pci_queue *pq = &n->vp.q[RXQ];
	bool delivered = false;
	uint16_t seen;

	pthread_mutex_lock(&pq->lock);
	if (!pq->vq.ready)
		goto out;
	for (;;) {
		if (!n->rx_pending) {
			ssize_t r = read(n->tap_fd, n->rx_buf, sizeof(n->rx_buf));

			if (r < 0 && errno == EINTR)
				continue;
			/* EAGAIN: drained.  Other errors: the tap went away; stop. */
			if (r < 0 && errno != EAGAIN)
				tap_gone(n, "read", errno);
			if (r <= 0)
				break;
			if (r < VIRTIO_NET_HDR_LEN)
				continue;
			n->rx_pending = r;
		}
		seen = virtq_avail_idx(&pq->vq);
		if (!rx_deliver(n, &pq->vq)) {
			/*
			 * Not enough buffers: ask for a kick when the driver
			 * adds any, and retry now only if it already has.
			 */
			if (!virtq_enable_kicks_at(&pq->vq, seen))
				break;
			continue;
		}
		delivered = true;
	}
	if (delivered || pq->vq.broken)
		virtio_pci_queue_done(&n->vp, RXQ);
out:
	pthread_mutex_unlock(&pq->lock);
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ull + ts.tv_nsec / 1000;
}

static void tx_drain(struct virtio_net *n)
{
	virtio_pci_serve(&n->vp, TXQ, &n->tx_elem, tx_request);
	__atomic_store_n(&n->tx_last_drain_us, now_us(), __ATOMIC_RELAXED);
}

/*
 * A transmit kick with coalescing: while the guest is streaming (its last
 * frames went out less than VIRTIO_NET_TX_BUSY_US ago), leave the ring
 * alone for tx_coalesce_us.  Kicks stay off meanwhile (the guest kicks once
 * per avail_event crossing), so what it queues in that time goes out, and
 * completes, in one batch: fewer exits and interrupts, and a guest TCP that
 * coalesces more while its earlier frames are in flight.  A kick after a
 * quiet spell is served at once, so request/response latency is unchanged.
 */
static void tx_kick(struct virtio_net *n)
{
	struct virtio_pci_queue *pq = &n->vp.q[TXQ];
	struct itimerspec its = {.it_value.tv_nsec = n->tx_coalesce_us * 1000L};

	bool deferred = false;

	if (n->tx_timer_fd < 0) {
		tx_drain(n);
		return;
	}
	pthread_mutex_lock(&pq->lock);
	if (n->tx_timer_armed) {
		deferred = true;
	} else if (now_us() - __atomic_load_n(&n->tx_last_drain_us, __ATOMIC_RELAXED) <
			   VIRTIO_NET_TX_BUSY_US &&
		   timerfd_settime(n->tx_timer_fd, 0, &its, NULL) == 0) {
		n->tx_timer_armed = true;
		deferred = true;
	}
	pthread_mutex_unlock(&pq->lock);
	/* A kick after a quiet spell (or a timer that would not arm) goes now. */
	if (!deferred)
		tx_drain(n);
}

static void tx_timer_fired(int fd, uint32_t events, void *opaque)
{
	struct virtio_net *n = opaque;
	struct virtio_pci_queue *pq = &n->vp.q[TXQ];
	uint64_t expirations;

	(void)events;
	if (read(fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;
	pthread_mutex_lock(&pq->lock);
	n->tx_timer_armed = false;
	pthread_mutex_unlock(&pq->lock);
	tx_drain(n);
}

static void net_notify(struct virtio_pci *vp, unsigned int q)
{
	struct virtio_net *n = vp->dev;

	if (q == RXQ)
		virtio_net_rx(n);
	else if (q == TXQ)
		tx_kick(n);
}

static void tap_ready(int fd, uint32_t events, void *opaque)
{
	(void)fd;
	(void)events;
	virtio_net_rx(opaque);
}

static int net_start(struct virtio_pci *vp)
{
	struct virtio_net *n = vp->dev;

	return set_offloads(n, virtio_net_tun_offloads(vp->drv_features));
}

static void net_reset(struct virtio_pci *vp)
{
	struct virtio_net *n = vp->dev;

	pthread_mutex_lock(&vp->q[RXQ].lock);
	n->rx_pending = 0;
	pthread_mutex_unlock(&vp->q[RXQ].lock);
	(void)set_offloads(n, 0);
}

/*
 * vCPU thread, vp->lock held: move the failover state machine and wake the
 * I/O thread, which tells the owner (the callback may plug a device: far
 * too much for a vCPU thread).
 */
static void net_negotiation(struct virtio_pci *vp, bool features_ok)
{
	struct virtio_net *n = vp->dev;
	enum net_failover_event ev;
	uint64_t one = 1;

	if (!n->failover)
		return;
	pthread_mutex_lock(&n->fo_lock);
	if (features_ok)
		ev = net_failover_features_ok(&n->fo,
					      virtio_pci_has_feature(vp, VIRTIO_NET_F_STANDBY));
	else
		ev = net_failover_reset(&n->fo);
	pthread_mutex_unlock(&n->fo_lock);
	/* EAGAIN: the counter is full, a wake-up is pending anyway */
	if (ev != NET_FAILOVER_EV_NONE)
		(void)!write(n->fo_efd, &one, sizeof(one));
}

void virtio_net_failover_dispatch(struct virtio_net *n)
{
	void (*cb)(void *opaque, const char *net_id, enum net_failover_event ev);
	enum net_failover_event ev;
	char mac[MAC_STR_LEN], detail[96];
	void *opaque;
	bool got;

	for (;;) {
		pthread_mutex_lock(&n->fo_lock);
		got = net_failover_pop(&n->fo, &ev);
		cb = n->fo_cb;
		opaque = n->fo_opaque;
		pthread_mutex_unlock(&n->fo_lock);
		if (!got)
			break;
		if (ev == NET_FAILOVER_EV_ACKED && n->vp.vm) {
			snprintf(detail, sizeof(detail),
				 "guest accepted STANDBY; primary MAC %s may be plugged",
				 mac_str(n->mac, mac));
			vm_event(n->vp.vm, "failover-negotiated", n->vp.pci.id, detail);
		}
		/* without the lock: the owner may call virtio_net__failover_primary() */
		if (cb)
			cb(opaque, n->vp.pci.id, ev);
	}
}

static void failover_ready(int fd, uint32_t events, void *opaque)
{
	uint64_t count;

	(void)events;
	if (read(fd, &count, sizeof(count)) != sizeof(count))
		return;
	virtio_net_failover_dispatch(opaque);
}

/*
 * Release (teardown or hot-unplug, on the I/O thread or with it stopped):
 * every fd off the I/O thread before it is closed, so a handler still in
 * the I/O thread's current batch is skipped (vm_io_del() clears it) rather
 * than called with freed memory.
 */
static void net_destroy(struct virtio_pci *vp)
{
	struct virtio_net *n = vp->dev;

	if (vp->vm)
		vm_io_del(vp->vm, n->tap_fd);
	if (n->tx_timer_fd >= 0) {
		if (vp->vm)
			vm_io_del(vp->vm, n->tx_timer_fd);
		close(n->tx_timer_fd);
	}
	if (n->fo_efd >= 0) {
		if (vp->vm)
			vm_io_del(vp->vm, n->fo_efd);
		close(n->fo_efd);
	}
	if (n->failover)
		pthread_mutex_destroy(&n->fo_lock);
	virtio_pci_exit(vp);
	close(n->tap_fd);
	free(n);
}

static const struct virtio_dev_ops net_ops = {
	.start = net_start,
	.notify = net_notify,
	.reset = net_reset,
	.negotiation = net_negotiation,
	.destroy = net_destroy,
	.save = virtio_net_save,
	.load = virtio_net_load,
};

int virtio_net_failover_enable(struct virtio_net *n, struct errinfo *e)
{
	int ret;

	n->fo_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (n->fo_efd < 0)
		return err_sys(e, errno, "virtio-net %s: eventfd for failover", n->ifname);
	if (n->vp.vm) {
		ret = vm_io_add(n->vp.vm, n->fo_efd, EPOLLIN, failover_ready, n, e);
		if (ret < 0) {
			close(n->fo_efd);
			n->fo_efd = -1;
			return ret;
		}
	}
	pthread_mutex_init(&n->fo_lock, NULL);
	net_failover_init(&n->fo);
	n->failover = true;
	/* Offered only now: a device without failover never shows STANDBY. */
	n->vp.dev_features |= 1ull << VIRTIO_NET_F_STANDBY;
	return 0;
}

void virtio_net__set_failover_cb(struct virtio_net *n,
				 void (*cb)(void *opaque, const char *net_id,
					    enum net_failover_event ev),
				 void *opaque)
{
	if (!n->failover)
		return;
	pthread_mutex_lock(&n->fo_lock);
	n->fo_cb = cb;
	n->fo_opaque = opaque;
	pthread_mutex_unlock(&n->fo_lock);
}

int virtio_net__failover_primary(struct virtio_net *n, bool plugged, struct errinfo *e)
{
	enum net_failover_state st;
	int ret;

	if (!n->failover)
		return err_set(e, EINVAL, "%s: failover is off (add failover=on to its --net)",
			       n->vp.pci.id);
	pthread_mutex_lock(&n->fo_lock);
	ret = plugged ? net_failover_primary_plugged(&n->fo)
		      : net_failover_primary_unplugged(&n->fo);
	st = n->fo.state;
	pthread_mutex_unlock(&n->fo_lock);
	if (ret == -EAGAIN) {
		err_set(e, EAGAIN, "%s: the guest has not accepted failover (STANDBY) yet",
			n->vp.pci.id);
		err_hint(e, "plug the primary after the event failover-negotiated; before, the "
			    "guest would see two NICs with one MAC");
	} else if (ret == -EALREADY) {
		err_set(e, EALREADY, "%s: its primary is plugged already", n->vp.pci.id);
	} else if (ret == -ENOENT) {
		err_set(e, ENOENT, "%s: no primary is plugged (failover %s)", n->vp.pci.id,
			net_failover_state_name(st));
	}
	return ret;
}

bool virtio_net__failover_state(struct virtio_net *n, enum net_failover_state *st)
{
	if (!n->failover)
		return false;
	pthread_mutex_lock(&n->fo_lock);
	*st = n->fo.state;
	pthread_mutex_unlock(&n->fo_lock);
	return true;
}

const char *virtio_net__failover_info(struct virtio_net *n)
{
	enum net_failover_state st;

	return virtio_net__failover_state(n, &st) ? net_failover_state_name(st) : NULL;
}

struct virtio_net *virtio_net__from_pci(struct pci_dev *d)
{
	struct virtio_pci *vp;

	if (!d || d->kind != PCI_DEV_VIRTIO)
		return NULL;
	vp = d->opaque;
	if (vp->device_id != VIRTIO_ID_NET || vp->ops != &net_ops)
		return NULL;
	return vp->dev;
}

struct virtio_net *virtio_net__find(struct vm *vm, const char *id)
{
	return virtio_net__from_pci(vm_pci_find(vm, id));
}

int virtio_net_init_fd(struct virtio_net *n, struct vm *vm, const struct guest_mem *mem, int fd,
		       bool is_tap, const uint8_t mac[6], struct errinfo *e)
{
	struct virtio_net_config cfg = {0};
	uint64_t features;
	int ret;

	n->tap_fd = fd;
	n->tx_timer_fd = -1;
	n->fo_efd = -1;
	n->is_tap = is_tap;
	memcpy(n->mac, mac, 6);
	features = 1ull << VIRTIO_NET_F_MAC | 1ull << VIRTIO_NET_F_STATUS |
		   1ull << VIRTIO_NET_F_CSUM | 1ull << VIRTIO_NET_F_GUEST_CSUM |
		   1ull << VIRTIO_NET_F_GUEST_TSO4 | 1ull << VIRTIO_NET_F_GUEST_TSO6 |
		   1ull << VIRTIO_NET_F_HOST_TSO4 | 1ull << VIRTIO_NET_F_HOST_TSO6 |
		   1ull << VIRTIO_NET_F_MRG_RXBUF;
	ret = virtio_pci_init(&n->vp, vm, mem, "virtio-net", VIRTIO_ID_NET, PCI_CLASS_ETHERNET, 2,
			      VIRTIO_NET_QUEUE_SIZE, features, &net_ops, n, e);
	if (ret < 0)
		return ret;
	memcpy(cfg.mac, mac, 6);
	cfg.status = htole16(VIRTIO_NET_S_LINK_UP);
	cfg.max_virtqueue_pairs = htole16(1);
	memcpy(n->vp.devcfg, &cfg, sizeof(cfg));
	n->vp.devcfg_len = sizeof(cfg);
	n->vp.devcfg_wmask_off = VPCI_DEVCFG_MAX;
	return 0;
}

/* A station address: six hex pairs, not multicast. */
static int parse_mac(const char *s, size_t len, uint8_t mac[6])
{
	if (mac_parse_len(s, len, mac))
		return -1;
	return mac_is_multicast(mac) ? -1 : 0;
}

/* "key=" at the start of the @len bytes at @p. */
static bool key_is(const char *p, size_t len, const char *key)
{
	size_t k = strlen(key);

	return len >= k && !strncmp(p, key, k);
}

int virtio_net_parse_spec(const char *spec, struct virtio_net_spec *s, struct errinfo *e)
{
	static const char *const keys[] = {"id=", "tap=", "mac=", "tx-coalesce=", "failover="};
	bool seen[sizeof(keys) / sizeof(keys[0])] = {false};
	const char *p = spec;
	uint32_t h = 2166136261u;

	memset(s, 0, sizeof(*s));
	s->tx_coalesce_us = VIRTIO_NET_TX_COALESCE_US;
	while (*p) {
		const char *end = strchrnul(p, ',');
		size_t len = end - p, k;
		const char *v;
		size_t vlen;

		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (key_is(p, len, keys[k]))
				break;
		if (k == sizeof(keys) / sizeof(keys[0]))
			return err_set(e, EINVAL, "--net %s: unknown option '%.*s'", spec, (int)len,
				       p);
		if (seen[k])
			return err_set(e, EINVAL, "--net %s: %.*s given twice", spec,
				       (int)strlen(keys[k]) - 1, keys[k]);
		seen[k] = true;
		v = p + strlen(keys[k]);
		vlen = len - strlen(keys[k]);
		if (k == 0) {
			if (dev_id_parse("--net", spec, v, vlen, s->id, e) < 0)
				return -EINVAL;
		} else if (k == 1) {
			if (vlen >= sizeof(s->ifname))
				return err_set(e, EINVAL, "--net %s: tap name longer than 15 bytes",
					       spec);
			memcpy(s->ifname, v, vlen);
			s->ifname[vlen] = 0;
		} else if (k == 2) {
			if (parse_mac(v, vlen, s->mac) < 0) {
				err_set(e, EINVAL, "--net %s: bad MAC address '%.*s'", spec,
					(int)vlen, v);
				err_hint(e, "give six hex bytes like 52:54:00:12:34:56 "
					    "(first byte even: not multicast)");
				return -EINVAL;
			}
			s->have_mac = true;
		} else if (k == 3) {
			char num[16], *end_num;
			unsigned long us;

			if (vlen >= sizeof(num))
				goto bad_coalesce;
			memcpy(num, v, vlen);
			num[vlen] = 0;
			errno = 0;
			us = strtoul(num, &end_num, 10);
			if (errno || *end_num || end_num == num || num[0] == '-' ||
			    us > VIRTIO_NET_TX_COALESCE_MAX_US)
				goto bad_coalesce;
			s->tx_coalesce_us = us;
		} else {
			if (vlen == 2 && !strncmp(v, "on", 2)) {
				s->failover = true;
			} else if (vlen == 3 && !strncmp(v, "off", 3)) {
				s->failover = false;
			} else {
				err_set(e, EINVAL, "--net %s: bad failover value '%.*s'", spec,
					(int)vlen, v);
				err_hint(e, "give failover=on or failover=off");
				return -EINVAL;
			}
		}
		p = *end ? end + 1 : end;
	}
	if (!s->ifname[0]) {
		err_set(e, EINVAL, "--net '%s': no tap name", spec);
		err_hint(e, "use --net tap=NAME[,mac=M]");
		return -EINVAL;
	}
	/*
	 * The guest's net_failover pairs the standby with the primary (the VF)
	 * by MAC: a MAC made up from the tap name would never match the VF's.
	 */
	if (s->failover && !s->have_mac) {
		err_set(e, EINVAL, "--net %s: failover=on needs mac=", spec);
		err_hint(e,
			 "give the MAC the primary (the VF) has: "
			 "--net tap=%s,mac=M,failover=on",
			 s->ifname);
		return -EINVAL;
	}
	if (!s->have_mac) {
		/* Stable per tap name, locally administered (QEMU's 52:54:00 prefix). */
		for (const char *c = s->ifname; *c; c++)
			h = (h ^ (uint8_t)*c) * 16777619u;
		s->mac[0] = 0x52;
		s->mac[1] = 0x54;
		s->mac[2] = 0x00;
		s->mac[3] = h >> 16;
		s->mac[4] = h >> 8;
		s->mac[5] = h;
	}
	return 0;

bad_coalesce:
	err_set(e, EINVAL, "--net %s: bad tx-coalesce value '%.*s'", spec,
		(int)(strchrnul(p, ',') - p - 12), p + 12);
	err_hint(e, "give microseconds from 0 (send at every kick) to %d",
		 VIRTIO_NET_TX_COALESCE_MAX_US);
	return -EINVAL;
}

static int open_tap(const char *ifname, struct errinfo *e)
{
	struct ifreq ifr = {0};
	int hdr = VIRTIO_NET_HDR_LEN;
	int fd;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		err_sys(e, errno, "--net: open /dev/net/tun");
		err_hint(e, "load the tun module (modprobe tun)");
		return -e->err;
	}
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err_sys(e, errno, "--net: TUNSETIFF %s", ifname);
		err_hint(e,
			 "create it first (ip tuntap add %s mode tap) or run with "
			 "CAP_NET_ADMIN; an existing non-tap interface cannot be used",
			 ifname);
		goto fail;
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		err_sys(e, errno, "--net: TUNSETVNETHDRSZ %d on %s", hdr, ifname);
		goto fail;
	}
	/* Nothing offloaded until the guest says what it takes. */
	if (ioctl(fd, TUNSETOFFLOAD, 0) < 0) {
		err_sys(e, errno, "--net: TUNSETOFFLOAD on %s", ifname);
		goto fail;
	}
	return fd;

fail:
	close(fd);
	return -e->err;
}

int virtio_net_add_fd(struct vm *vm, int fd, bool is_tap, const struct virtio_net_spec *s,
		      struct virtio_net **out, struct errinfo *e)
{
	struct virtio_net *n;
	int ret;

	n = calloc(1, sizeof(*n));
	if (!n) {
		close(fd);
		return err_set(e, ENOMEM, "virtio-net: out of memory");
	}
	memcpy(n->ifname, s->ifname, sizeof(s->ifname));
	ret = virtio_net_init_fd(n, vm, &vm->mem, fd, is_tap, s->mac, e);
	if (ret < 0) {
		close(fd);
		free(n);
		return ret;
	}
	/* The id must be in place before vm_pci_plug() looks for duplicates. */
	memcpy(n->vp.pci.id, s->id, sizeof(s->id));
	/* Edge triggered: with no rx buffers we stop reading until the guest kicks. */
	ret = vm_io_add(vm, fd, EPOLLIN | EPOLLET, tap_ready, n, e);
	if (ret < 0) {
		/* not watched: net_destroy() would take it off the I/O thread */
		virtio_pci_exit(&n->vp);
		close(fd);
		free(n);
		return ret;
	}
	/* From here on net_destroy() undoes whatever was set up (it checks each fd). */
	n->tx_coalesce_us = s->tx_coalesce_us;
	if (n->tx_coalesce_us) {
		n->tx_timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (n->tx_timer_fd < 0) {
			ret = err_sys(e, errno, "virtio-net %s: timerfd for transmit coalescing",
				      s->ifname);
			goto fail;
		}
		ret = vm_io_add(vm, n->tx_timer_fd, EPOLLIN, tx_timer_fired, n, e);
		if (ret < 0) {
			close(n->tx_timer_fd);
			n->tx_timer_fd = -1;
			goto fail;
		}
	}
	if (s->failover) {
		ret = virtio_net_failover_enable(n, e);
		if (ret < 0)
			goto fail;
	}
	if (out)
		*out = n;
	/*
	 * On failure the function may be on the bus already; pci_host_exit()
	 * (vm_destroy) releases it then, as every registered function.
	 */
	return virtio_pci_register(&n->vp, e);

fail:
	net_destroy(&n->vp);
	return ret;
}

int virtio_net__add(struct vm *vm, const char *spec, struct errinfo *e)
{
	struct virtio_net_spec s;
	int fd, ret;

	ret = virtio_net_parse_spec(spec, &s, e);
	if (ret < 0)
		return ret;
	fd = open_tap(s.ifname, e);
	if (fd < 0)
		return fd;
	ret = virtio_net_add_fd(vm, fd, true, &s, NULL, e);
	if (ret < 0)
		err_prefix(e, "--net %s", spec);
	return ret;
}
