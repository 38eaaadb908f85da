// SPDX-License-Identifier: GPL-2.0-only
/*
 * Snapshots of virtio devices (virtio_snap.c, virtio_net_snap.c,
 * virtio_blk_snap.c): each device is driven by the test driver to a
 * non-trivial state (negotiated, queues live, requests served, MSI-X
 * programmed), saved, loaded into a fresh device over the same guest RAM
 * (which a restore brings back), compared, and must serve the next request
 * with the right ring indices and interrupt vector.  Hostile sections are
 * refused naming the field.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <cmocka.h>

#include "snap_test.h"
#include "test_virtio_driver.h"
#include "virtio_blk.h"
#include "virtio_net.h"
#include "virtio_rng.h"

#define ALL_OK                                                                                \
	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | \
	 VIRTIO_CONFIG_S_DRIVER_OK)
#define HDR VIRTIO_NET_HDR_LEN
#define SLOT 2
/* Section layout offsets (virtio_snap.c, pci_snap.c) for damaging a copy. */
#define PCI_PART (4 + PCI_CFG_SIZE + 7 * 21)
#define VP_STATUS (4 + 4 + 8 + 8 + 4 + 4 + 2 + 2)
#define VP_QUEUES 43 /* + device config bytes */
#define Q_SIZE 2
#define Q_DESC 7
#define Q_RING 31 /* the ring state: ready first */

/*
 * With EVENT_IDX the driver asks for an interrupt at its next used entry
 * (used_event = what it has seen), as Linux does when it enables callbacks.
 */
static void want_irq(struct td *t, unsigned int q)
{
	struct td_queue *tq = &t->q[q];
	struct vring_avail *a = td_ptr(t, tq->avail);

	__atomic_store_n(&a->ring[tq->size], tq->used_seen, __ATOMIC_RELEASE);
}

/* ---- virtio-rng behind a PCI host: the transport and the host part together ---- */

struct rng_side {
	struct bus pio, mmio;
	struct pci_host h;
	struct virtio_rng rng;
	unsigned int irqs[VIRTIO_PCI_MAX_QUEUES + 1];
};

static void rng_signal(struct virtio_pci *vp, uint16_t vector)
{
	struct rng_side *s = (struct rng_side *)((char *)vp - offsetof(struct rng_side, rng.vp));

	s->irqs[vector]++;
}

static void rng_side_init(struct rng_side *s, struct td *t)
{
	struct errinfo e = {0};

	assert_int_equal(bus_init(&s->pio, "pio"), 0);
	assert_int_equal(bus_init(&s->mmio, "mmio"), 0);
	assert_int_equal(
		pci_host_init(&s->h, NULL, &s->pio, &s->mmio, 0x400000000ULL, 1ULL << 34, &e), 0);
	assert_int_equal(virtio_rng_init(&s->rng, NULL, &t->mem, &e), 0);
	s->rng.vp.signal = rng_signal;
	assert_int_equal(pci_dev_register(&s->h, &s->rng.vp.pci, SLOT, &e), 0);
}

static void rng_side_exit(struct rng_side *s)
{
	/* off the host first: its release would free the device, which is ours */
	assert_int_equal(pci_dev_unregister(&s->h, &s->rng.vp.pci), 0);
	virtio_pci_exit(&s->rng.vp);
	pci_host_exit(&s->h);
	bus_exit(&s->pio);
	bus_exit(&s->mmio);
}

static void wcfg16(struct rng_side *s, uint32_t off, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

	pci_cfg_access(&s->h, 0, SLOT, 0, off, b, 2, true);
}

/* One 16-byte entropy request on queue 0, served; returns the used length. */
static uint32_t rng_request(struct td *t)
{
	uint64_t g = td_alloc(t, 16);
	struct td_buf b = {g, 16, true};
	uint16_t head, want;
	uint32_t len = 0;

	want_irq(t, 0);
	want = td_post(t, 0, &b, 1);
	td_kick(t, 0);
	assert_int_equal(td_used(t, 0, &head, &len), 1);
	assert_int_equal(head, want);
	return len;
}

struct rng_fx {
	struct td t;
	struct rng_side a, b;
	bool b_up;
	struct snap_out o;
};

static int rng_setup(void **state)
{
	struct rng_fx *f = calloc(1, sizeof(*f));

	if (!f || td_setup(&f->t) < 0)
		return -1;
	rng_side_init(&f->a, &f->t);
	f->t.vp = &f->a.rng.vp;
	/* the guest: decode on, MSI-X on, the driver up, vectors programmed */
	wcfg16(&f->a, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_MASTER);
	wcfg16(&f->a, f->a.rng.vp.msix.cap + 2, 0x8000);
	assert_int_equal(td_bringup(&f->t, ~0ull, 1, 32), ALL_OK);
	for (unsigned int v = 0; v < 2; v++) {
		td_write(&f->t, VPCI_MSIX_TABLE_OFF + 16 * v, 0xfee00000u | v << 12, 4);
		td_write(&f->t, VPCI_MSIX_TABLE_OFF + 16 * v + 8, 0x30 + v, 4);
		td_write(&f->t, VPCI_MSIX_TABLE_OFF + 16 * v + 12, 0, 4);
	}
	assert_int_equal(rng_request(&f->t), 16);
	assert_int_equal(rng_request(&f->t), 16);
	assert_int_equal(f->a.irqs[1], 2);
	st_begin(&f->o, "pci-2");
	pci_host_save_dev(&f->a.h, &f->a.rng.vp.pci, &f->o);
	snap_end(&f->o);
	rng_side_init(&f->b, &f->t);
	f->b_up = true;
	*state = f;
	return 0;
}

static int rng_teardown(void **state)
{
	struct rng_fx *f = *state;

	rng_side_exit(&f->a);
	if (f->b_up)
		rng_side_exit(&f->b);
	snap_out_free(&f->o);
	td_teardown(&f->t);
	free(f);
	return 0;
}

static void rng_restored_and_serving(void **state)
{
	struct rng_fx *f = *state;
	struct virtio_pci *a = &f->a.rng.vp, *b = &f->b.rng.vp;
	struct snap_in in;
	struct snap_sec *s;
	struct errinfo e = {0};

	assert_int_equal(st_reopen(&f->o, &in, "pci-2", &s, &e), 0);
	assert_int_equal(pci_host_load_dev(&f->b.h, &b->pci, s, "snap", &e), 0);
	assert_int_equal(snap_close(s, "snap", &e), 0);

	/* (a) equal: transport, queue, ring position, MSI-X, PCI */
	assert_int_equal(b->status, ALL_OK);
	assert_int_equal(b->drv_features, a->drv_features);
	assert_int_equal(b->msix_config, 0);
	assert_int_equal(b->q[0].size, 32);
	assert_int_equal(b->q[0].msix_vector, 1);
	assert_true(b->q[0].enabled && b->q[0].vq.ready);
	assert_int_equal(b->q[0].desc, a->q[0].desc);
	assert_int_equal(b->q[0].vq.last_avail, 2);
	assert_int_equal(b->q[0].vq.used_idx, 2);
	assert_true(b->q[0].vq.event_idx);
	assert_true(b->msix.enabled);
	assert_int_equal(b->msix.vec[1].data, 0x31);
	assert_int_equal(b->msix.vec[1].ctrl, 0);
	assert_memory_equal(a->pci.cfg, b->pci.cfg, PCI_CFG_SIZE);
	assert_true(b->pci.bar[0].active);
	assert_int_equal(b->pci.bar[0].addr, a->pci.bar[0].addr);
	/* the kick of the load found nothing new: no spurious interrupt */
	assert_int_equal(f->b.irqs[1], 0);

	/* (b) the driver goes on with the restored device */
	f->t.vp = b;
	assert_int_equal(td_read(&f->t, TD_COMMON(device_status), 1), ALL_OK);
	assert_int_equal(rng_request(&f->t), 16);
	assert_int_equal(b->q[0].vq.used_idx, 3);
	assert_int_equal(f->b.irqs[1], 1);
	snap_in_free(&in);
}

/*
 * A request the guest queued and kicked before the save, not served yet
 * (its kick still in the eventfd, which a restore does not have): the load
 * kicks every live queue, so it is served on the restored device.
 */
static void rng_queued_request_served_after_load(void **state)
{
	struct rng_fx *f = *state;
	struct virtio_pci *b = &f->b.rng.vp;
	struct td_buf buf = {td_alloc(&f->t, 16), 16, true};
	struct snap_out o;
	struct snap_in in;
	struct snap_sec *s;
	struct errinfo e = {0};
	uint16_t head, want;
	uint32_t len;

	want_irq(&f->t, 0);
	want = td_post(&f->t, 0, &buf, 1);
	st_begin(&o, "pci-2");
	pci_host_save_dev(&f->a.h, &f->a.rng.vp.pci, &o);
	assert_int_equal(st_reopen(&o, &in, "pci-2", &s, &e), 0);
	assert_int_equal(pci_host_load_dev(&f->b.h, &b->pci, s, "snap", &e), 0);
	assert_int_equal(b->q[0].vq.used_idx, 3);
	assert_int_equal(td_used(&f->t, 0, &head, &len), 1);
	assert_int_equal(head, want);
	assert_int_equal(len, 16);
	assert_int_equal(f->b.irqs[1], 1);
	snap_in_free(&in);
	snap_out_free(&o);
}

/* Load a damaged copy; -EBADMSG naming @needle and the device not brought up. */
static void rng_refused(struct rng_fx *f, struct snap_sec *s, const char *needle)
{
	struct virtio_pci *b = &f->b.rng.vp;
	struct errinfo e = {0};

	assert_int_equal(pci_host_load_dev(&f->b.h, &b->pci, s, "snap", &e), -EBADMSG);
	if (!strstr(e.msg, needle))
		fail_msg("message '%s' lacks '%s'", e.msg, needle);
	assert_int_equal(b->status, 0);
	assert_false(b->q[0].vq.ready);
	assert_false(b->q[0].enabled);
	assert_false(b->msix.enabled);
}

static void rng_queue_size_not_pow2(void **state)
{
	struct rng_fx *f = *state;
	struct snap_sec s;
	uint8_t *p;

	st_raw(&f->o, &s, &p);
	st_put_le(p + PCI_PART + VP_QUEUES + Q_SIZE, 24, 2);
	rng_refused(f, &s, "virtio-rng queue 0: queue size zero, too large or not a power of 2");
	free(p);
}

static void rng_ring_outside_ram(void **state)
{
	struct rng_fx *f = *state;
	struct snap_sec s;
	uint8_t *p;

	st_raw(&f->o, &s, &p);
	st_put_le(p + PCI_PART + VP_QUEUES + Q_DESC, TD_RAM_SIZE + 0x1000, 8);
	rng_refused(f, &s, "virtio-rng queue 0: ring address outside guest RAM");
	free(p);
}

static void rng_enabled_queue_not_live(void **state)
{
	struct rng_fx *f = *state;
	struct snap_sec s;
	uint8_t *p;

	st_raw(&f->o, &s, &p);
	p[PCI_PART + VP_QUEUES + Q_RING] = 0;
	rng_refused(f, &s, "virtio-rng queue 0: enabled under DRIVER_OK but its ring is not live");
	free(p);
}

static void rng_status_illegal(void **state)
{
	struct rng_fx *f = *state;
	struct snap_sec s;
	uint8_t *p;

	st_raw(&f->o, &s, &p);
	p[PCI_PART + VP_STATUS] = VIRTIO_CONFIG_S_DRIVER_OK;
	rng_refused(f, &s, "device status 0x04 is not one a driver can set");
	free(p);
}

static void rng_truncated(void **state)
{
	struct rng_fx *f = *state;
	struct snap_sec s;
	uint8_t *p;

	st_raw(&f->o, &s, &p);
	s.len = PCI_PART + VP_QUEUES + 10;
	rng_refused(f, &s, "virtio-rng queue 0: truncated");
	free(p);
}

/* ---- virtio-net on a socketpair, failover on ---- */

static const uint8_t test_mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};

struct net_side {
	struct virtio_net net;
	int peer, devfd;
	unsigned int irqs[VIRTIO_PCI_MAX_QUEUES + 1];
};

static void net_signal(struct virtio_pci *vp, uint16_t vector)
{
	struct net_side *s = (struct net_side *)((char *)vp - offsetof(struct net_side, net.vp));

	s->irqs[vector]++;
}

static void net_side_init(struct net_side *s, struct td *t, const uint8_t *mac, bool failover)
{
	struct errinfo e = {0};
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv), 0);
	s->devfd = sv[0];
	s->peer = sv[1];
	assert_int_equal(virtio_net_init_fd(&s->net, NULL, &t->mem, s->devfd, false, mac, &e), 0);
	strcpy(s->net.vp.pci.id, "net0");
	if (failover)
		assert_int_equal(virtio_net_failover_enable(&s->net, &e), 0);
	s->net.vp.signal = net_signal;
}

static void net_side_exit(struct net_side *s)
{
	virtio_pci_exit(&s->net.vp);
	if (s->net.fo_efd >= 0)
		close(s->net.fo_efd);
	if (s->net.failover)
		pthread_mutex_destroy(&s->net.fo_lock);
	close(s->devfd);
	close(s->peer);
}

static size_t make_packet(uint8_t *buf, size_t frame_len, uint8_t seed)
{
	memset(buf, 0, HDR);
	for (size_t i = 0; i < frame_len; i++)
		buf[HDR + i] = (uint8_t)(seed + i * 5);
	return HDR + frame_len;
}

struct net_fx {
	struct td t;
	struct net_side a, b;
	bool b_up;
	uint8_t pending_pkt[HDR + 100];
	struct snap_out o;
};

static int net_setup(void **state)
{
	struct net_fx *f = calloc(1, sizeof(*f));
	uint64_t h = 0, d = 0, rx = 0;
	uint8_t pkt[HDR + 80], got[256];
	uint16_t head;
	uint32_t len;

	if (!f || td_setup(&f->t) < 0)
		return -1;
	net_side_init(&f->a, &f->t, test_mac, true);
	f->t.vp = &f->a.net.vp;
	assert_int_equal(td_bringup(&f->t, ~0ull, 2, 256), ALL_OK);
	/* transmit one frame */
	h = td_alloc(&f->t, HDR);
	d = td_alloc(&f->t, 60);
	memset(td_ptr(&f->t, h), 0, HDR);
	{
		struct td_buf b[] = {{h, HDR, false}, {d, 60, false}};

		td_post(&f->t, 1, b, 2);
	}
	td_kick(&f->t, 1);
	assert_int_equal(td_used(&f->t, 1, &head, &len), 1);
	assert_int_equal(recv(f->a.peer, got, sizeof(got), 0), HDR + 60);
	/* receive one frame into a posted buffer */
	rx = td_alloc(&f->t, 2048);
	{
		struct td_buf b = {rx, 2048, true};

		td_post(&f->t, 0, &b, 1);
	}
	assert_int_equal(send(f->a.peer, pkt, make_packet(pkt, 80, 1), 0), HDR + 80);
	td_kick(&f->t, 0);
	assert_int_equal(td_used(&f->t, 0, &head, &len), 1);
	assert_int_equal(len, HDR + 80);
	/* a second frame finds no buffer: it waits in the device (rx_pending) */
	assert_int_equal(send(f->a.peer, f->pending_pkt, make_packet(f->pending_pkt, 100, 9), 0),
			 HDR + 100);
	virtio_net_rx(&f->a.net);
	assert_int_equal(f->a.net.rx_pending, HDR + 100);
	st_begin(&f->o, "pci-net0");
	virtio_pci_save(&f->a.net.vp.pci, &f->o);
	snap_end(&f->o);
	*state = f;
	return 0;
}

static int net_teardown(void **state)
{
	struct net_fx *f = *state;

	net_side_exit(&f->a);
	if (f->b_up)
		net_side_exit(&f->b);
	snap_out_free(&f->o);
	td_teardown(&f->t);
	free(f);
	return 0;
}

static void net_restored_and_serving(void **state)
{
	struct net_fx *f = *state;
	struct virtio_net *a = &f->a.net, *b = &f->b.net;
	enum net_failover_event ev;
	struct snap_in in;
	struct snap_sec *s;
	struct errinfo e = {0};
	uint64_t rx;
	uint16_t head, want;
	uint32_t len;
	uint8_t *buf;

	net_side_init(&f->b, &f->t, test_mac, true);
	f->b_up = true;
	assert_int_equal(st_reopen(&f->o, &in, "pci-net0", &s, &e), 0);
	assert_int_equal(virtio_pci_load(&b->vp.pci, s, &e), 0);
	assert_int_equal(snap_close(s, "snap", &e), 0);

	/* (a) equal: negotiation, offloads set on the "tap" again, failover, the waiting frame */
	assert_int_equal(b->vp.status, ALL_OK);
	assert_int_equal(b->vp.drv_features, a->vp.drv_features);
	assert_int_equal(b->offloads, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6);
	assert_int_equal(b->offloads, a->offloads);
	assert_int_equal(b->fo.state, NET_FAILOVER_STANDBY_ACKED);
	assert_true(net_failover_pop(&b->fo, &ev));
	assert_int_equal(ev, NET_FAILOVER_EV_ACKED);
	assert_int_equal(b->rx_pending, HDR + 100);
	assert_memory_equal(b->rx_buf, f->pending_pkt, HDR + 100);
	for (unsigned int q = 0; q < 2; q++) {
		assert_int_equal(b->vp.q[q].vq.last_avail, a->vp.q[q].vq.last_avail);
		assert_int_equal(b->vp.q[q].vq.used_idx, a->vp.q[q].vq.used_idx);
		assert_int_equal(b->vp.q[q].msix_vector, q + 1);
	}
	assert_memory_equal(b->vp.devcfg, a->vp.devcfg, a->vp.devcfg_len);

	/* (b) the guest posts a buffer: the waiting frame lands in it, vector 1 fires */
	f->t.vp = &b->vp;
	rx = td_alloc(&f->t, 2048);
	{
		struct td_buf bb = {rx, 2048, true};

		want_irq(&f->t, 0);
		want = td_post(&f->t, 0, &bb, 1);
	}
	td_kick(&f->t, 0);
	assert_int_equal(td_used(&f->t, 0, &head, &len), 1);
	assert_int_equal(head, want);
	assert_int_equal(len, HDR + 100);
	buf = td_ptr(&f->t, rx);
	assert_memory_equal(buf + HDR, f->pending_pkt + HDR, 100);
	assert_int_equal(b->vp.q[0].vq.used_idx, 2);
	assert_int_equal(f->b.irqs[1], 1);
	assert_int_equal(b->rx_pending, 0);
	snap_in_free(&in);
}

static void net_other_mac_refused(void **state)
{
	struct net_fx *f = *state;
	static const uint8_t other[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x66};
	struct snap_sec s;
	struct errinfo e = {0};
	uint8_t *p;

	net_side_init(&f->b, &f->t, other, true);
	f->b_up = true;
	st_raw(&f->o, &s, &p);
	assert_int_equal(virtio_pci_load(&f->b.net.vp.pci, &s, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "net0: MAC 02:11:22:33:44:55 in the snapshot, "
				      "02:11:22:33:44:66 here"));
	free(p);
}

static void net_failover_mismatch_refused(void **state)
{
	struct net_fx *f = *state;
	struct snap_sec s;
	struct errinfo e = {0};
	uint8_t *p;

	net_side_init(&f->b, &f->t, test_mac, false);
	f->b_up = true;
	st_raw(&f->o, &s, &p);
	/* failover=off offers no STANDBY: the features the guest saw differ */
	assert_int_equal(virtio_pci_load(&f->b.net.vp.pci, &s, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "offered features"));
	assert_int_equal(f->b.net.vp.status, 0);
	free(p);
}

/* ---- virtio-blk on an image file ---- */

#define IMG_SIZE (1024 * 1024)

struct blk_side {
	struct virtio_blk blk;
	unsigned int irqs[VIRTIO_PCI_MAX_QUEUES + 1];
	bool inited;
};

static void blk_signal(struct virtio_pci *vp, uint16_t vector)
{
	struct blk_side *s = (struct blk_side *)((char *)vp - offsetof(struct blk_side, blk.vp));

	s->irqs[vector]++;
}

static void make_image(char *path, size_t size)
{
	int fd;

	strcpy(path, "/tmp/test_snap_blk.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	close(fd);
}

static void blk_side_init(struct blk_side *s, struct td *t, const char *path)
{
	struct errinfo e = {0};

	assert_int_equal(virtio_blk_init(&s->blk, NULL, &t->mem, path, &e), 0);
	strcpy(s->blk.vp.pci.id, "disk0");
	s->blk.vp.signal = blk_signal;
	s->inited = true;
}

/* Post a read or write of one sector at @sector (data at @data); not kicked. */
static uint16_t blk_post(struct td *t, uint32_t type, uint64_t sector, uint64_t data,
			 uint64_t *status)
{
	uint64_t h = td_alloc(t, sizeof(struct virtio_blk_outhdr));
	struct virtio_blk_outhdr *hdr = td_ptr(t, h);
	struct td_buf b[3];

	*status = td_alloc(t, 1);
	hdr->type = type;
	hdr->ioprio = 0;
	hdr->sector = sector;
	b[0] = (struct td_buf){h, sizeof(*hdr), false};
	b[1] = (struct td_buf){data, 512, type == VIRTIO_BLK_T_IN};
	b[2] = (struct td_buf){*status, 1, true};
	*(uint8_t *)td_ptr(t, *status) = 0xff;
	return td_post(t, 0, b, 3);
}

struct blk_fx {
	struct td t;
	char path[64], small[64];
	struct blk_side a, b;
	uint64_t late_status;
	struct snap_out o;
};

static int blk_setup(void **state)
{
	struct blk_fx *f = calloc(1, sizeof(*f));
	uint64_t data, st;
	uint16_t head;
	uint32_t len;

	if (!f || td_setup(&f->t) < 0)
		return -1;
	make_image(f->path, IMG_SIZE);
	blk_side_init(&f->a, &f->t, f->path);
	f->t.vp = &f->a.blk.vp;
	assert_int_equal(td_bringup(&f->t, ~0ull, 1, 128), ALL_OK);
	/* sector 5 written with a pattern */
	data = td_alloc(&f->t, 512);
	memset(td_ptr(&f->t, data), 0x5c, 512);
	blk_post(&f->t, VIRTIO_BLK_T_OUT, 5, data, &st);
	td_kick(&f->t, 0);
	assert_int_equal(td_used(&f->t, 0, &head, &len), 1);
	assert_int_equal(*(uint8_t *)td_ptr(&f->t, st), VIRTIO_BLK_S_OK);
	/*
	 * A write of sector 6 the guest queued but whose kick the device's
	 * thread has not served yet: the save must finish it (pause consistency).
	 */
	data = td_alloc(&f->t, 512);
	memset(td_ptr(&f->t, data), 0x6d, 512);
	blk_post(&f->t, VIRTIO_BLK_T_OUT, 6, data, &f->late_status);
	st_begin(&f->o, "pci-disk0");
	virtio_pci_save(&f->a.blk.vp.pci, &f->o);
	snap_end(&f->o);
	*state = f;
	return 0;
}

static int blk_teardown(void **state)
{
	struct blk_fx *f = *state;

	if (f->a.inited)
		virtio_blk_exit(&f->a.blk);
	if (f->b.inited)
		virtio_blk_exit(&f->b.blk);
	unlink(f->path);
	if (f->small[0])
		unlink(f->small);
	snap_out_free(&f->o);
	td_teardown(&f->t);
	free(f);
	return 0;
}

static void blk_save_finished_queued_request(void **state)
{
	struct blk_fx *f = *state;
	uint8_t sector[512], want[512];
	int fd = open(f->path, O_RDONLY);

	/* completed by the save itself, before the state was written */
	assert_int_equal(*(uint8_t *)td_ptr(&f->t, f->late_status), VIRTIO_BLK_S_OK);
	assert_int_equal(f->a.blk.vp.q[0].vq.used_idx, 2);
	assert_int_equal(f->a.blk.vp.q[0].vq.last_avail, 2);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, sector, 512, 6 * 512), 512);
	memset(want, 0x6d, 512);
	assert_memory_equal(sector, want, 512);
	close(fd);
	/* quiescing again (what a front end does before saving memory) finds nothing */
	virtio_pci_quiesce(&f->a.blk.vp);
	assert_int_equal(f->a.blk.vp.q[0].vq.used_idx, 2);
	assert_int_equal(f->a.irqs[1], 1);
}

static void blk_restored_and_serving(void **state)
{
	struct blk_fx *f = *state;
	struct virtio_blk *b;
	struct snap_in in;
	struct snap_sec *s;
	struct errinfo e = {0};
	uint64_t data, st;
	uint16_t head, want;
	uint32_t len;
	uint8_t expect[512];

	blk_side_init(&f->b, &f->t, f->path);
	b = &f->b.blk;
	assert_int_equal(st_reopen(&f->o, &in, "pci-disk0", &s, &e), 0);
	assert_int_equal(virtio_pci_load(&b->vp.pci, s, &e), 0);
	assert_int_equal(snap_close(s, "snap", &e), 0);
	assert_int_equal(b->capacity, IMG_SIZE / 512);
	assert_memory_equal(b->id, f->a.blk.id, sizeof(b->id));
	assert_int_equal(b->vp.q[0].vq.used_idx, 2);
	assert_int_equal(b->vp.status, ALL_OK);

	/* the guest finds the write the save completed, then reads sector 5 back */
	f->t.vp = &b->vp;
	assert_int_equal(td_used(&f->t, 0, &head, &len), 1);
	assert_int_equal(len, 1);
	want_irq(&f->t, 0);
	data = td_alloc(&f->t, 512);
	want = blk_post(&f->t, VIRTIO_BLK_T_IN, 5, data, &st);
	td_kick(&f->t, 0);
	assert_int_equal(td_used(&f->t, 0, &head, &len), 1);
	assert_int_equal(head, want);
	assert_int_equal(len, 513);
	assert_int_equal(*(uint8_t *)td_ptr(&f->t, st), VIRTIO_BLK_S_OK);
	memset(expect, 0x5c, 512);
	assert_memory_equal(td_ptr(&f->t, data), expect, 512);
	assert_int_equal(b->vp.q[0].vq.used_idx, 3);
	assert_int_equal(f->b.irqs[1], 1);
	snap_in_free(&in);
}

static void blk_smaller_disk_refused(void **state)
{
	struct blk_fx *f = *state;
	struct snap_sec s;
	struct errinfo e = {0};
	char want[160];
	uint8_t *p;

	make_image(f->small, IMG_SIZE / 2);
	blk_side_init(&f->b, &f->t, f->small);
	st_raw(&f->o, &s, &p);
	assert_int_equal(virtio_pci_load(&f->b.blk.vp.pci, &s, &e), -EBADMSG);
	snprintf(want, sizeof(want), "disk0: disk %s is 524288 bytes, smaller than the 1048576",
		 f->small);
	if (!strstr(e.msg, want))
		fail_msg("message '%s' lacks '%s'", e.msg, want);
	assert_int_equal(f->b.blk.capacity, IMG_SIZE / 2 / 512);
	free(p);
}

static void blk_config_not_ours_refused(void **state)
{
	struct blk_fx *f = *state;
	struct snap_sec s;
	struct errinfo e = {0};
	uint8_t *p;

	blk_side_init(&f->b, &f->t, f->path);
	st_raw(&f->o, &s, &p);
	/* device config bytes follow the transport's fixed part; seg_max at 12 */
	st_put_le(p + VP_QUEUES + offsetof(struct virtio_blk_config, seg_max), 7, 4);
	assert_int_equal(virtio_pci_load(&f->b.blk.vp.pci, &s, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "disk0: config space seg_max 7 / blk_size 512"));
	/* config capacity and the device's own disagree */
	st_put_le(p + VP_QUEUES + offsetof(struct virtio_blk_config, seg_max), VIRTIO_BLK_SEG_MAX,
		  4);
	st_put_le(p + VP_QUEUES, 100, 8);
	s.pos = 0;
	s.bad = false;
	assert_int_equal(virtio_pci_load(&f->b.blk.vp.pci, &s, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "config space says 100 sectors, the device state 2048"));
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(rng_restored_and_serving, rng_setup, rng_teardown),
		cmocka_unit_test_setup_teardown(rng_queued_request_served_after_load, rng_setup,
						rng_teardown),
		cmocka_unit_test_setup_teardown(rng_queue_size_not_pow2, rng_setup, rng_teardown),
		cmocka_unit_test_setup_teardown(rng_ring_outside_ram, rng_setup, rng_teardown),
		cmocka_unit_test_setup_teardown(rng_status_illegal, rng_setup, rng_teardown),
		cmocka_unit_test_setup_teardown(rng_enabled_queue_not_live, rng_setup,
						rng_teardown),
		cmocka_unit_test_setup_teardown(rng_truncated, rng_setup, rng_teardown),
		cmocka_unit_test_setup_teardown(net_restored_and_serving, net_setup, net_teardown),
		cmocka_unit_test_setup_teardown(net_other_mac_refused, net_setup, net_teardown),
		cmocka_unit_test_setup_teardown(net_failover_mismatch_refused, net_setup,
						net_teardown),
		cmocka_unit_test_setup_teardown(blk_save_finished_queued_request, blk_setup,
						blk_teardown),
		cmocka_unit_test_setup_teardown(blk_restored_and_serving, blk_setup, blk_teardown),
		cmocka_unit_test_setup_teardown(blk_smaller_disk_refused, blk_setup, blk_teardown),
		cmocka_unit_test_setup_teardown(blk_config_not_ours_refused, blk_setup,
						blk_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
