// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-net header and buffer handling with a SOCK_SEQPACKET socketpair
 * standing in for the tap (a tap with IFF_VNET_HDR moves the same
 * "12-byte header + frame" records): transmit, receive with and without
 * mergeable buffers, packets waiting for buffers, malformed buffers,
 * offload mapping and --net option parsing.
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
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <cmocka.h>

#include "test_virtio_driver.h"
#include "virtio_net.h"
#include "virtio_rng.h"
#include "vm.h"

#define ALL_OK                                                                                \
	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK | \
	 VIRTIO_CONFIG_S_DRIVER_OK)
#define HDR VIRTIO_NET_HDR_LEN

struct fixture {
	struct virtio_net net;
	struct td t;
	int peer; /* the "host side of the tap" */
	int devfd;
};

static const uint8_t test_mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};

static void record_signal(struct virtio_pci *vp, uint16_t vector)
{
	struct fixture *f = (struct fixture *)((char *)vp - offsetof(struct fixture, net.vp));

	f->t.irqs[vector]++;
}

static int setup_features(void **state, uint64_t want)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct errinfo e;
	int sv[2];

	if (!f || td_setup(&f->t) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) < 0)
		return -1;
	f->devfd = sv[0];
	f->peer = sv[1];
	if (virtio_net_init_fd(&f->net, NULL, &f->t.mem, f->devfd, false, test_mac, &e) < 0)
		return -1;
	f->net.vp.signal = record_signal;
	f->t.vp = &f->net.vp;
	if (td_bringup(&f->t, want, 2, 256) != ALL_OK)
		return -1;
	*state = f;
	return 0;
}

static int setup_mrg(void **state)
{
	return setup_features(state, ~0ull);
}

static int setup_nomrg(void **state)
{
	return setup_features(state, ~(1ull << VIRTIO_NET_F_MRG_RXBUF));
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	virtio_pci_exit(&f->net.vp);
	if (f->net.fo_efd >= 0)
		close(f->net.fo_efd);
	if (f->net.failover)
		pthread_mutex_destroy(&f->net.fo_lock);
	close(f->devfd);
	close(f->peer);
	td_teardown(&f->t);
	free(f);
	return 0;
}

/* A header + frame record as the tap would hand it over. */
static size_t make_packet(uint8_t *buf, size_t frame_len, uint8_t seed)
{
	struct virtio_net_hdr_v1 *h = (struct virtio_net_hdr_v1 *)buf;

	memset(h, 0, HDR);
	h->flags = VIRTIO_NET_HDR_F_DATA_VALID;
	for (size_t i = 0; i < frame_len; i++)
		buf[HDR + i] = (uint8_t)(seed + i * 3);
	return HDR + frame_len;
}

static void config_space(void **state)
{
	struct fixture *f = *state;
	uint64_t feat = td_device_features(&f->t);
	uint8_t mac[6];

	for (int i = 0; i < 6; i++)
		mac[i] = td_read(&f->t, VPCI_DEVCFG_OFF + i, 1);
	assert_memory_equal(mac, test_mac, 6);
	assert_int_equal(td_read(&f->t, VPCI_DEVCFG_OFF + 6, 2), VIRTIO_NET_S_LINK_UP);
	for (int b = 0; b <= VIRTIO_NET_F_STATUS; b++) {
		bool want = b == VIRTIO_NET_F_CSUM || b == VIRTIO_NET_F_GUEST_CSUM ||
			    b == VIRTIO_NET_F_MAC || b == VIRTIO_NET_F_GUEST_TSO4 ||
			    b == VIRTIO_NET_F_GUEST_TSO6 || b == VIRTIO_NET_F_HOST_TSO4 ||
			    b == VIRTIO_NET_F_HOST_TSO6 || b == VIRTIO_NET_F_MRG_RXBUF ||
			    b == VIRTIO_NET_F_STATUS;

		assert_int_equal(!!(feat & (1ull << b)), want);
	}
	/* No control queue offered: two queues. */
	assert_int_equal(td_read(&f->t, TD_COMMON(num_queues), 2), 2);
	/* The "tap" was given every offload the guest accepted. */
	assert_int_equal(f->net.offloads, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6);
	/* Reset takes them back. */
	td_set_status(&f->t, 0);
	assert_int_equal(f->net.offloads, 0);
}

static void offload_mapping(void **state)
{
	(void)state;
	assert_int_equal(virtio_net_tun_offloads(0), 0);
	/* TSO without checksum offload cannot be used. */
	assert_int_equal(virtio_net_tun_offloads(1ull << VIRTIO_NET_F_GUEST_TSO4), 0);
	assert_int_equal(virtio_net_tun_offloads(1ull << VIRTIO_NET_F_GUEST_CSUM), TUN_F_CSUM);
	assert_int_equal(virtio_net_tun_offloads(1ull << VIRTIO_NET_F_GUEST_CSUM |
						 1ull << VIRTIO_NET_F_GUEST_TSO6),
			 TUN_F_CSUM | TUN_F_TSO6);
	assert_int_equal(virtio_net_tun_offloads(1ull << VIRTIO_NET_F_GUEST_CSUM |
						 1ull << VIRTIO_NET_F_GUEST_TSO4 |
						 1ull << VIRTIO_NET_F_GUEST_ECN),
			 TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO_ECN);
	/* Host-side (transmit) offloads need nothing from the tap. */
	assert_int_equal(virtio_net_tun_offloads(1ull << VIRTIO_NET_F_HOST_TSO4), 0);
}

static void transmit(void **state)
{
	struct fixture *f = *state;
	uint64_t h = td_alloc(&f->t, HDR), d = td_alloc(&f->t, 60);
	struct td_buf b[] = {{h, HDR, false}, {d, 60, false}};
	struct virtio_net_hdr_v1 *hdr = td_ptr(&f->t, h);
	uint8_t got[256];
	uint16_t head;
	uint32_t len;

	memset(hdr, 0, HDR);
	hdr->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	hdr->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	hdr->csum_start = 34;
	hdr->csum_offset = 16;
	for (int i = 0; i < 60; i++)
		((uint8_t *)td_ptr(&f->t, d))[i] = i;
	td_post(&f->t, 1, b, 2);
	td_kick(&f->t, 1);
	assert_int_equal(td_used(&f->t, 1, &head, &len), 1);
	assert_int_equal(len, 0);
	assert_int_equal(f->t.irqs[2], 1);
	/* One record: the header exactly as the guest wrote it, then the frame. */
	assert_int_equal(recv(f->peer, got, sizeof(got), 0), HDR + 60);
	assert_memory_equal(got, hdr, HDR);
	assert_memory_equal(got + HDR, td_ptr(&f->t, d), 60);
	assert_int_equal(f->net.tx_dropped, 0);
}

static void transmit_malformed(void **state)
{
	struct fixture *f = *state;
	uint64_t d = td_alloc(&f->t, 64);
	struct td_buf wr[] = {{d, HDR, false}, {d, 60, true}};
	struct td_buf sh[] = {{d, HDR - 1, false}};
	uint8_t got[64];
	uint16_t head;
	uint32_t len;

	td_post(&f->t, 1, wr, 2);
	td_post(&f->t, 1, sh, 1);
	td_kick(&f->t, 1);
	assert_int_equal(td_used(&f->t, 1, &head, &len), 1);
	assert_int_equal(td_used(&f->t, 1, &head, &len), 1);
	assert_int_equal(f->net.tx_dropped, 2);
	assert_int_equal(recv(f->peer, got, sizeof(got), 0), -1);
	assert_int_equal(errno, EAGAIN);
}

static void receive_single(void **state)
{
	struct fixture *f = *state;
	uint64_t g = td_alloc(&f->t, 1526);
	struct td_buf b = {g, 1526, true};
	uint8_t pkt[256];
	size_t n = make_packet(pkt, 100, 9);
	struct virtio_net_hdr_v1 *h = td_ptr(&f->t, g);
	uint16_t head;
	uint32_t len;

	td_post(&f->t, 0, &b, 1);
	assert_int_equal(send(f->peer, pkt, n, 0), n);
	virtio_net_rx(&f->net);
	assert_int_equal(td_used(&f->t, 0, &head, &len), 1);
	assert_int_equal(len, n);
	assert_int_equal(h->flags, VIRTIO_NET_HDR_F_DATA_VALID);
	assert_int_equal(h->num_buffers, 1);
	assert_memory_equal((uint8_t *)h + HDR, pkt + HDR, 100);
	assert_int_equal(f->t.irqs[1], 1);
}

static void receive_too_big_without_mrg(void **state)
{
	struct fixture *f = *state;
	uint64_t g1 = td_alloc(&f->t, 100), g2 = td_alloc(&f->t, 1000);
	struct td_buf b1 = {g1, 100, true}, b2 = {g2, 1000, true};
	uint8_t pkt[600];
	uint16_t head;
	uint32_t len;

	td_post(&f->t, 0, &b1, 1);
	td_post(&f->t, 0, &b2, 1);
	send(f->peer, pkt, make_packet(pkt, 500, 1), 0);
	send(f->peer, pkt, make_packet(pkt, 200, 2), 0);
	virtio_net_rx(&f->net);
	/* First packet dropped, its buffer returned empty; second delivered. */
	assert_int_equal(td_used(&f->t, 0, &head, &len), 1);
	assert_int_equal(len, 0);
	assert_int_equal(td_used(&f->t, 0, &head, &len), 1);
	assert_int_equal(len, HDR + 200);
	assert_int_equal(f->net.rx_dropped, 1);
}

static void receive_mergeable(void **state)
{
	struct fixture *f = *state;
	uint64_t g[3];
	uint8_t pkt[HDR + 2500], got[HDR + 2500];
	size_t n = make_packet(pkt, 2500, 77);
	uint32_t lens[3];
	uint16_t head;

	assert_true(virtio_pci_has_feature(&f->net.vp, VIRTIO_NET_F_MRG_RXBUF));
	for (int i = 0; i < 3; i++) {
		struct td_buf b = {g[i] = td_alloc(&f->t, 1000), 1000, true};

		td_post(&f->t, 0, &b, 1);
	}
	send(f->peer, pkt, n, 0);
	virtio_net_rx(&f->net);
	for (int i = 0; i < 3; i++)
		assert_int_equal(td_used(&f->t, 0, &head, &lens[i]), 1);
	assert_int_equal(lens[0], 1000);
	assert_int_equal(lens[1], 1000);
	assert_int_equal(lens[2], n - 2000);
	for (int i = 0; i < 3; i++)
		memcpy(got + 1000 * i, td_ptr(&f->t, g[i]), lens[i]);
	assert_int_equal(((struct virtio_net_hdr_v1 *)got)->num_buffers, 3);
	assert_memory_equal(got + HDR, pkt + HDR, 2500);
	/* One interrupt for the whole packet. */
	assert_int_equal(f->t.irqs[1], 1);
}

static void receive_waits_for_buffers(void **state)
{
	struct fixture *f = *state;
	uint64_t g1 = td_alloc(&f->t, 1000), g2 = td_alloc(&f->t, 1000);
	struct td_buf b1 = {g1, 1000, true}, b2 = {g2, 1000, true};
	uint8_t pkt[HDR + 1500];
	size_t n = make_packet(pkt, 1500, 5);
	uint16_t head;
	uint32_t len;

	/* No buffers at all: the packet waits. */
	send(f->peer, pkt, n, 0);
	virtio_net_rx(&f->net);
	assert_int_equal(td_used(&f->t, 0, &head, &len), 0);
	/* One buffer is not enough for a merged packet: still waiting, nothing used. */
	td_post(&f->t, 0, &b1, 1);
	td_kick(&f->t, 0);
	assert_int_equal(td_used(&f->t, 0, &head, &len), 0);
	assert_int_equal(f->net.rx_pending, n);
	/* We asked the guest to kick once it adds past the buffer we saw (event index). */
	assert_int_equal(*(uint16_t *)((uint8_t *)td_ptr(&f->t, f->t.q[0].used) + 4 + 8 * 256), 1);
	/* Second buffer plus kick: delivered over both. */
	td_post(&f->t, 0, &b2, 1);
	td_kick(&f->t, 0);
	assert_int_equal(td_used(&f->t, 0, &head, &len), 1);
	assert_int_equal(len, 1000);
	assert_int_equal(td_used(&f->t, 0, &head, &len), 1);
	assert_int_equal(len, n - 1000);
	assert_int_equal(f->net.rx_pending, 0);
	assert_int_equal(f->net.rx_dropped, 0);
}

static void receive_into_readable_buffer(void **state)
{
	struct fixture *f = *state;
	uint64_t g = td_alloc(&f->t, 1000);
	struct td_buf bad = {g, 1000, false}, good = {g, 1000, true};
	uint8_t pkt[HDR + 64];
	uint16_t head;
	uint32_t len;

	memset(td_ptr(&f->t, g), 0xcc, 1000);
	td_post(&f->t, 0, &bad, 1);
	td_post(&f->t, 0, &good, 1);
	send(f->peer, pkt, make_packet(pkt, 64, 3), 0);
	send(f->peer, pkt, make_packet(pkt, 64, 3), 0);
	virtio_net_rx(&f->net);
	assert_int_equal(td_used(&f->t, 0, &head, &len), 1);
	assert_int_equal(len, 0);
	assert_int_equal(td_used(&f->t, 0, &head, &len), 1);
	assert_int_equal(len, HDR + 64);
	assert_int_equal(f->net.rx_dropped, 1);
}

#define P(str) virtio_net_parse_spec(str, &s, &e)

static void spec_parsing(void **state)
{
	struct virtio_net_spec s;
	uint8_t mac[6];
	struct errinfo e;

	(void)state;
	assert_int_equal(P("tap=vf0"), 0);
	assert_int_equal(s.tx_coalesce_us, VIRTIO_NET_TX_COALESCE_US);
	assert_string_equal(s.ifname, "vf0");
	assert_string_equal(s.id, "");
	assert_false(s.failover);
	assert_int_equal(s.mac[0], 0x52);
	assert_int_equal(s.mac[1], 0x54);
	assert_int_equal(s.mac[2], 0x00);
	memcpy(mac, s.mac, 6);
	/* Same name, same MAC; another name, another MAC. */
	assert_int_equal(P("tap=vf0"), 0);
	assert_memory_equal(mac, s.mac, 6);
	assert_int_equal(P("tap=vf1"), 0);
	assert_memory_not_equal(mac, s.mac, 6);
	assert_int_equal(P("tap=t,mac=02:11:22:33:44:55"), 0);
	assert_memory_equal(s.mac, test_mac, 6);
	assert_int_equal(P("mac=02:11:22:33:44:55,tap=x"), 0);
	assert_string_equal(s.ifname, "x");

	assert_int_equal(P(""), -EINVAL);
	assert_int_equal(P("tap="), -EINVAL);
	assert_non_null(strstr(e.msg, "no tap name"));
	assert_int_equal(P("mac=02:11:22:33:44:55"), -EINVAL);
	assert_non_null(strstr(e.msg, "no tap name"));
	assert_int_equal(P("tap=t,mac=01:11:22:33:44:55"), -EINVAL);
	assert_non_null(strstr(e.msg, "bad MAC address '01:11:22:33:44:55'"));
	assert_int_equal(P("tap=t,mac=02:11:22:33:44"), -EINVAL);
	assert_int_equal(P("tap=t,mac=02:11:22:33:44:5g"), -EINVAL);
	assert_int_equal(P("tap=t,queues=2"), -EINVAL);
	assert_non_null(strstr(e.msg, "unknown option 'queues=2'"));
	assert_int_equal(P("tap=0123456789abcdef"), -EINVAL);

	/* Transmit coalescing: 0 turns it off; junk, negatives and huge values named. */
	assert_int_equal(P("tap=t,tx-coalesce=0"), 0);
	assert_int_equal(s.tx_coalesce_us, 0);
	assert_int_equal(P("tx-coalesce=300,tap=t"), 0);
	assert_int_equal(s.tx_coalesce_us, 300);
	assert_string_equal(s.ifname, "t");
	assert_int_equal(P("tap=t,tx-coalesce=10000"), 0);
	assert_int_equal(s.tx_coalesce_us, 10000);
	assert_int_equal(P("tap=t,tx-coalesce=10001"), -EINVAL);
	assert_non_null(strstr(e.msg, "bad tx-coalesce value '10001'"));
	assert_int_equal(P("tap=t,tx-coalesce=-1"), -EINVAL);
	assert_int_equal(P("tap=t,tx-coalesce=5us"), -EINVAL);
	assert_non_null(strstr(e.msg, "bad tx-coalesce value '5us'"));
	assert_int_equal(P("tap=t,tx-coalesce="), -EINVAL);
}

static void spec_ids(void **state)
{
	char longest[PCI_DEV_ID_MAX + 8], spec[PCI_DEV_ID_MAX + 32];
	struct virtio_net_spec s;
	struct errinfo e;

	(void)state;
	assert_int_equal(P("id=uplink0,tap=t"), 0);
	assert_string_equal(s.id, "uplink0");
	assert_int_equal(P("tap=t,id=a.b-c_D9"), 0);
	assert_string_equal(s.id, "a.b-c_D9");
	/* 31 characters fit, 32 do not. */
	memset(longest, 'x', PCI_DEV_ID_MAX - 1);
	longest[PCI_DEV_ID_MAX - 1] = 0;
	snprintf(spec, sizeof(spec), "tap=t,id=%s", longest);
	assert_int_equal(P(spec), 0);
	assert_string_equal(s.id, longest);
	strcat(longest, "y");
	snprintf(spec, sizeof(spec), "tap=t,id=%s", longest);
	assert_int_equal(P(spec), -EINVAL);
	assert_non_null(strstr(e.msg, longest));

	assert_int_equal(P("tap=t,id="), -EINVAL);
	assert_non_null(strstr(e.msg, "bad id ''"));
	assert_int_equal(P("tap=t,id=0net"), -EINVAL);
	assert_non_null(strstr(e.msg, "bad id '0net'"));
	assert_non_null(strstr(e.hint, "starting with a letter"));
	assert_int_equal(P("tap=t,id=-x"), -EINVAL);
	assert_int_equal(P("tap=t,id=net 0"), -EINVAL);
	assert_int_equal(P("tap=t,id=net/0"), -EINVAL);
	assert_non_null(strstr(e.msg, "bad id 'net/0'"));
	assert_int_equal(P("tap=t,id=n\xc3\xa9t"), -EINVAL);
	assert_int_equal(P("tap=t,id=a:b"), -EINVAL);

	/* Every key at most once. */
	assert_int_equal(P("id=a,tap=t,id=b"), -EINVAL);
	assert_non_null(strstr(e.msg, "id given twice"));
	assert_int_equal(P("tap=t,tap=u"), -EINVAL);
	assert_non_null(strstr(e.msg, "tap given twice"));
	assert_int_equal(P("tap=t,mac=02:11:22:33:44:55,mac=02:11:22:33:44:55"), -EINVAL);
	assert_int_equal(P("tap=t,tx-coalesce=1,tx-coalesce=1"), -EINVAL);
	assert_int_equal(P("tap=t,mac=02:11:22:33:44:55,failover=on,failover=on"), -EINVAL);
	assert_non_null(strstr(e.msg, "failover given twice"));
}

static void spec_failover(void **state)
{
	struct virtio_net_spec s;
	struct errinfo e;

	(void)state;
	assert_int_equal(P("id=sb0,tap=t,mac=02:11:22:33:44:55,failover=on"), 0);
	assert_true(s.failover);
	assert_true(s.have_mac);
	assert_memory_equal(s.mac, test_mac, 6);
	assert_int_equal(P("tap=t,failover=off"), 0);
	assert_false(s.failover);
	/* The primary must share an explicit MAC: a derived one never matches a VF. */
	assert_int_equal(P("tap=t,failover=on"), -EINVAL);
	assert_non_null(strstr(e.msg, "failover=on needs mac="));
	assert_int_equal(P("tap=t,mac=02:11:22:33:44:55,failover=yes"), -EINVAL);
	assert_non_null(strstr(e.msg, "bad failover value 'yes'"));
	assert_int_equal(P("tap=t,mac=02:11:22:33:44:55,failover="), -EINVAL);
}

/* STANDBY is offered only by a device made a failover standby. */
static void standby_offered_only_with_failover(void **state)
{
	struct fixture *f = *state;
	struct errinfo e;

	assert_false(td_device_features(&f->t) & (1ull << VIRTIO_NET_F_STANDBY));
	assert_null(virtio_net__failover_info(&f->net));
	assert_int_equal(virtio_net__failover_primary(&f->net, true, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "failover is off"));
	/* A driver asking for it anyway is refused FEATURES_OK. */
	td_set_status(&f->t, 0);
	td_set_status(&f->t, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	td_set_features(&f->t, 1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_NET_F_STANDBY);
	td_set_status(&f->t, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				     VIRTIO_CONFIG_S_FEATURES_OK);
	assert_false(td_status(&f->t) & VIRTIO_CONFIG_S_FEATURES_OK);

	assert_int_equal(virtio_net_failover_enable(&f->net, &e), 0);
	assert_true(td_device_features(&f->t) & (1ull << VIRTIO_NET_F_STANDBY));
	assert_string_equal(virtio_net__failover_info(&f->net), "unnegotiated");
}

/* --- failover events through the eventfd and the I/O loop */

struct fo_fixture {
	struct vm vm;
	struct fixture f;
	/* what the owner's callback and the control API saw */
	char ids[8][PCI_DEV_ID_MAX];
	enum net_failover_event evs[8];
	unsigned int nr_evs;
	char api[8][64];
	unsigned int nr_api;
	bool plug_on_ack;
	int plug_ret;
};

static void on_failover(void *opaque, const char *net_id, enum net_failover_event ev)
{
	struct fo_fixture *x = opaque;
	struct errinfo e;

	assert_true(x->nr_evs < 8);
	snprintf(x->ids[x->nr_evs], PCI_DEV_ID_MAX, "%s", net_id);
	x->evs[x->nr_evs++] = ev;
	/* the owner may act from the callback (no lock held) */
	if (ev == NET_FAILOVER_EV_ACKED && x->plug_on_ack)
		x->plug_ret = virtio_net__failover_primary(&x->f.net, true, &e);
}

static void on_api_event(void *opaque, const char *name, const char *id, const char *detail)
{
	struct fo_fixture *x = opaque;

	assert_non_null(detail);
	if (x->nr_api < 8)
		snprintf(x->api[x->nr_api], 64, "%s %s", name, id);
	x->nr_api++;
}

static int setup_failover(void **state)
{
	struct fo_fixture *x = calloc(1, sizeof(*x));
	struct errinfo e;
	int sv[2];

	if (!x || td_setup(&x->f.t) < 0)
		return -1;
	pthread_mutex_init(&x->vm.io_lock, NULL);
	x->vm.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	x->vm.event_cb = on_api_event;
	x->vm.event_opaque = x;
	if (x->vm.epoll_fd < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) < 0)
		return -1;
	x->f.devfd = sv[0];
	x->f.peer = sv[1];
	/* With a VM: negotiation news reach the owner only through the I/O loop. */
	if (virtio_net_init_fd(&x->f.net, &x->vm, &x->f.t.mem, x->f.devfd, false, test_mac, &e) <
		    0 ||
	    virtio_net_failover_enable(&x->f.net, &e) < 0)
		return -1;
	snprintf(x->f.net.vp.pci.id, PCI_DEV_ID_MAX, "sb0");
	x->f.net.vp.signal = record_signal;
	x->f.t.vp = &x->f.net.vp;
	virtio_net__set_failover_cb(&x->f.net, on_failover, x);
	*state = x;
	return 0;
}

static int teardown_failover(void **state)
{
	struct fo_fixture *x = *state;

	vm_io_del(&x->vm, x->f.net.fo_efd);
	close(x->f.net.fo_efd);
	pthread_mutex_destroy(&x->f.net.fo_lock);
	virtio_pci_exit(&x->f.net.vp);
	close(x->f.devfd);
	close(x->f.peer);
	td_teardown(&x->f.t);
	vm_io_cleanup(&x->vm);
	close(x->vm.epoll_fd);
	free(x);
	return 0;
}

static void pump(struct vm *vm)
{
	while (vm_io_poll(vm, 0) > 0)
		;
}

static void failover_events(void **state)
{
	struct fo_fixture *x = *state;
	struct td *t = &x->f.t;
	enum net_failover_state st;
	struct errinfo e;

	assert_true(td_device_features(t) & (1ull << VIRTIO_NET_F_STANDBY));
	assert_string_equal(virtio_net__failover_info(&x->f.net), "unnegotiated");
	assert_int_equal(virtio_net__failover_primary(&x->f.net, true, &e), -EAGAIN);
	assert_non_null(strstr(e.msg, "sb0"));

	/* The guest accepts STANDBY: nothing is called on the vCPU thread... */
	assert_int_equal(td_bringup(t, ~0ull, 2, 256), ALL_OK);
	assert_int_equal(x->nr_evs, 0);
	assert_true(virtio_net__failover_state(&x->f.net, &st));
	assert_int_equal(st, NET_FAILOVER_STANDBY_ACKED);
	/* ...the I/O loop calls the owner and tells the control API. */
	pump(&x->vm);
	assert_int_equal(x->nr_evs, 1);
	assert_int_equal(x->evs[0], NET_FAILOVER_EV_ACKED);
	assert_string_equal(x->ids[0], "sb0");
	assert_int_equal(x->nr_api, 1);
	assert_string_equal(x->api[0], "failover-negotiated sb0");
	assert_int_equal(virtio_net__failover_primary(&x->f.net, true, &e), 0);
	assert_string_equal(virtio_net__failover_info(&x->f.net), "primary-plugged");

	/* Reset: back to unnegotiated, the owner hears it. */
	td_set_status(t, 0);
	assert_string_equal(virtio_net__failover_info(&x->f.net), "unnegotiated");
	pump(&x->vm);
	assert_int_equal(x->nr_evs, 2);
	assert_int_equal(x->evs[1], NET_FAILOVER_EV_RESET);
	assert_int_equal(x->nr_api, 1);

	/* A driver without STANDBY. */
	assert_int_equal(td_bringup(t, ~(1ull << VIRTIO_NET_F_STANDBY), 2, 256), ALL_OK);
	pump(&x->vm);
	assert_int_equal(x->nr_evs, 3);
	assert_int_equal(x->evs[2], NET_FAILOVER_EV_DECLINED);
	assert_int_equal(x->nr_api, 1);
	assert_string_equal(virtio_net__failover_info(&x->f.net), "unnegotiated");

	/* Unplugged meanwhile, then the owner re-plugs from its callback on the next ack. */
	assert_int_equal(virtio_net__failover_primary(&x->f.net, false, &e), 0);
	assert_int_equal(virtio_net__failover_primary(&x->f.net, false, &e), -ENOENT);
	x->plug_on_ack = true;
	x->plug_ret = 1;
	assert_int_equal(td_bringup(t, ~0ull, 2, 256), ALL_OK);
	pump(&x->vm);
	/* td_bringup resets first: the declining driver's reset was no news */
	assert_int_equal(x->nr_evs, 4);
	assert_int_equal(x->evs[3], NET_FAILOVER_EV_ACKED);
	assert_int_equal(x->plug_ret, 0);
	assert_string_equal(virtio_net__failover_info(&x->f.net), "primary-plugged");
	assert_int_equal(x->nr_api, 2);
}

/* Events queued while nobody polled arrive in order, one wake-up for all. */
static void failover_events_in_order(void **state)
{
	struct fo_fixture *x = *state;
	struct td *t = &x->f.t;

	assert_int_equal(td_bringup(t, ~0ull, 2, 256), ALL_OK);
	td_set_status(t, 0);
	assert_int_equal(td_bringup(t, ~0ull, 2, 256), ALL_OK);
	assert_int_equal(vm_io_poll(&x->vm, 0), 1);
	assert_int_equal(x->nr_evs, 3);
	assert_int_equal(x->evs[0], NET_FAILOVER_EV_ACKED);
	assert_int_equal(x->evs[1], NET_FAILOVER_EV_RESET);
	assert_int_equal(x->evs[2], NET_FAILOVER_EV_ACKED);
	assert_int_equal(vm_io_poll(&x->vm, 0), 0);
	/* Unregistered: the state still moves, nobody is called. */
	virtio_net__set_failover_cb(&x->f.net, NULL, NULL);
	td_set_status(t, 0);
	pump(&x->vm);
	assert_int_equal(x->nr_evs, 3);
}

struct guest_thread {
	struct fo_fixture *x;
	bool done;
};

/* The guest's driver binding and resetting over and over, on "its vCPU". */
static void *guest_loop(void *arg)
{
	struct guest_thread *g = arg;

	for (int i = 0; i < 200; i++) {
		td_bringup(&g->x->f.t, ~0ull, 2, 256);
		td_set_status(&g->x->f.t, 0);
	}
	__atomic_store_n(&g->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static void on_failover_count(void *opaque, const char *net_id, enum net_failover_event ev)
{
	struct fo_fixture *x = opaque;

	(void)net_id;
	x->evs[x->nr_evs % 8] = ev;
	x->nr_evs++;
}

/* vCPU thread producing, I/O loop consuming at once (TSan checks the locking). */
static void failover_events_concurrent(void **state)
{
	struct fo_fixture *x = *state;
	struct guest_thread g = {.x = x};
	pthread_t th;

	virtio_net__set_failover_cb(&x->f.net, on_failover_count, x);
	assert_int_equal(pthread_create(&th, NULL, guest_loop, &g), 0);
	while (!__atomic_load_n(&g.done, __ATOMIC_ACQUIRE))
		vm_io_poll(&x->vm, 1);
	pthread_join(th, NULL);
	pump(&x->vm);
	/* Some may have been dropped while the loop lagged; the last one never is. */
	assert_true(x->nr_evs >= 2);
	assert_int_equal(x->evs[(x->nr_evs - 1) % 8], NET_FAILOVER_EV_RESET);
	assert_true(x->nr_api >= 1 && x->nr_api <= 200);
	assert_string_equal(virtio_net__failover_info(&x->f.net), "unnegotiated");
}

static void find_by_kind(void **state)
{
	struct fixture *f = *state;
	struct virtio_rng r;
	struct pci_dev other;
	struct errinfo e;

	assert_ptr_equal(virtio_net__from_pci(&f->net.vp.pci), &f->net);
	assert_null(virtio_net__from_pci(NULL));
	memset(&other, 0, sizeof(other));
	assert_null(virtio_net__from_pci(&other));
	memset(&r, 0, sizeof(r));
	assert_int_equal(virtio_rng_init(&r, NULL, &f->t.mem, &e), 0);
	assert_null(virtio_net__from_pci(&r.vp.pci));
	virtio_pci_exit(&r.vp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(config_space, setup_mrg, teardown),
		cmocka_unit_test(offload_mapping),
		cmocka_unit_test_setup_teardown(transmit, setup_mrg, teardown),
		cmocka_unit_test_setup_teardown(transmit_malformed, setup_mrg, teardown),
		cmocka_unit_test_setup_teardown(receive_single, setup_nomrg, teardown),
		cmocka_unit_test_setup_teardown(receive_too_big_without_mrg, setup_nomrg, teardown),
		cmocka_unit_test_setup_teardown(receive_mergeable, setup_mrg, teardown),
		cmocka_unit_test_setup_teardown(receive_waits_for_buffers, setup_mrg, teardown),
		cmocka_unit_test_setup_teardown(receive_into_readable_buffer, setup_mrg, teardown),
		cmocka_unit_test(spec_parsing),
		cmocka_unit_test(spec_ids),
		cmocka_unit_test(spec_failover),
		cmocka_unit_test_setup_teardown(standby_offered_only_with_failover, setup_mrg,
						teardown),
		cmocka_unit_test_setup_teardown(failover_events, setup_failover, teardown_failover),
		cmocka_unit_test_setup_teardown(failover_events_in_order, setup_failover,
						teardown_failover),
		cmocka_unit_test_setup_teardown(failover_events_concurrent, setup_failover,
						teardown_failover),
		cmocka_unit_test_setup_teardown(find_by_kind, setup_mrg, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
