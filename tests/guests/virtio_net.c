// SPDX-License-Identifier: GPL-2.0-only
/*
 * Drives virtio-net (modern PCI, 1af4:1041) by polling: reads its MAC from
 * device config, posts receive buffers, then talks to the host kernel on
 * the other side of the tap (which has 10.0.2.1/24): an ARP request for
 * 10.0.2.1, then an ICMP echo request answered by the host's stack.  The
 * guest is 10.0.2.15.  Ends with an i8042 reset; failures leave through
 * debug-exit 2.
 */
#include "virtio_guest.h"

#define RXQ_RING 0x90000UL /* desc +0, avail +0x1000, used +0x2000 */
#define TXQ_RING 0xA0000UL
#define RXBUF 0xB0000UL /* NRX buffers of RXLEN */
#define TXBUF 0xC0000UL
#define QSZ 8
#define NRX 4
#define RXLEN 2048
#define HDRLEN 12 /* struct virtio_net_hdr_v1 */

struct vq {
	uint64_t ring;
	uint64_t notify;
	uint16_t avail_idx;
	uint16_t used_seen;
};

static struct vq rxq, txq; /* no initialised data in guest programs */
static uint8_t mac[6], host_mac[6];
static const uint8_t my_ip[4] = {10, 0, 2, 15}, host_ip[4] = {10, 0, 2, 1};

static volatile uint16_t *avail(struct vq *q)
{
	return (volatile uint16_t *)(q->ring + 0x1000);
}

static volatile uint16_t *used(struct vq *q)
{
	return (volatile uint16_t *)(q->ring + 0x2000);
}

static void set_desc(struct vq *q, int i, uint64_t addr, uint32_t len, uint16_t flags)
{
	volatile uint64_t *d = (uint64_t *)q->ring;

	d[2 * i] = addr;
	d[2 * i + 1] = len | (uint64_t)flags << 32;
}

static void post(struct vq *q, uint16_t head)
{
	avail(q)[2 + q->avail_idx % QSZ] = head;
	__asm__ volatile("mfence" ::: "memory");
	q->avail_idx++;
	avail(q)[1] = q->avail_idx;
	__asm__ volatile("mfence" ::: "memory");
}

static void kick(struct vq *q, uint16_t idx)
{
	mmio_w16(q->notify, idx);
}

static uint16_t csum(const uint8_t *p, int len)
{
	uint32_t s = 0;

	for (int i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void copy(uint8_t *d, const uint8_t *s, int n)
{
	for (int i = 0; i < n; i++)
		d[i] = s[i];
}

static bool same(const uint8_t *a, const uint8_t *b, int n)
{
	for (int i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* Send @len bytes of frame at TXBUF + HDRLEN and wait for the device to take it. */
static void transmit(int len)
{
	uint16_t want;

	for (int i = 0; i < HDRLEN; i++)
		((volatile uint8_t *)TXBUF)[i] = 0;
	set_desc(&txq, 0, TXBUF, HDRLEN + len, 0);
	post(&txq, 0);
	want = txq.avail_idx;
	kick(&txq, 1);
	for (unsigned long spin = 0; used(&txq)[1] != want; spin++) {
		if (spin > 100000000UL)
			fail("transmit not completed");
		__asm__ volatile("pause");
	}
}

/*
 * Wait for a received frame that @match accepts; other frames (IPv6
 * neighbour discovery and the like) are skipped and their buffers posted
 * again.  Returns the frame (after the header) or NULL after @spins.
 */
static uint8_t *receive(bool (*match)(const uint8_t *f, uint32_t len), unsigned long spins)
{
	for (unsigned long spin = 0; spin < spins; spin++) {
		volatile uint32_t *e;
		uint16_t id;
		uint32_t len;
		uint8_t *f;

		if (used(&rxq)[1] == rxq.used_seen) {
			__asm__ volatile("pause");
			continue;
		}
		e = (volatile uint32_t *)(rxq.ring + 0x2000 + 4 + 8 * (rxq.used_seen % QSZ));
		id = e[0];
		len = e[1];
		rxq.used_seen++;
		if (id >= NRX)
			fail("used ring names a buffer we never posted");
		f = (uint8_t *)(RXBUF + (uint64_t)id * RXLEN) + HDRLEN;
		if (len > HDRLEN && match(f, len - HDRLEN))
			return f;
		post(&rxq, id);
		kick(&rxq, 0);
	}
	return 0;
}

static bool is_arp_reply(const uint8_t *f, uint32_t len)
{
	return len >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 2 &&
	       same(f + 28, host_ip, 4) && same(f + 38, my_ip, 4);
}

static bool is_echo_reply(const uint8_t *f, uint32_t len)
{
	return len >= 42 && f[12] == 0x08 && f[13] == 0x00 && f[23] == 1 /* ICMP */ &&
	       same(f + 26, host_ip, 4) && f[34] == 0 /* echo reply */ && f[38] == 0x76 &&
	       f[39] == 0x66;
}

static void send_arp_request(void)
{
	uint8_t *f = (uint8_t *)TXBUF + HDRLEN;

	for (int i = 0; i < 6; i++)
		f[i] = 0xff;
	copy(f + 6, mac, 6);
	put16(f + 12, 0x0806);
	put16(f + 14, 1);
	put16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, 1);
	copy(f + 22, mac, 6);
	copy(f + 28, my_ip, 4);
	for (int i = 0; i < 6; i++)
		f[32 + i] = 0;
	copy(f + 38, host_ip, 4);
	transmit(42);
}

static void send_echo_request(void)
{
	static const char payload[] = "vfvm-guest-ping";
	uint8_t *f = (uint8_t *)TXBUF + HDRLEN, *ip = f + 14, *icmp = ip + 20;
	int plen = sizeof(payload) - 1, iplen = 20 + 8 + plen;

	copy(f, host_mac, 6);
	copy(f + 6, mac, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, iplen);
	put16(ip + 4, 0x1234);
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = 1;
	put16(ip + 10, 0);
	copy(ip + 12, my_ip, 4);
	copy(ip + 16, host_ip, 4);
	put16(ip + 10, csum(ip, 20));
	icmp[0] = 8;
	icmp[1] = 0;
	put16(icmp + 2, 0);
	put16(icmp + 4, 0x7666); /* identifier "vf" */
	put16(icmp + 6, 1);
	copy(icmp + 8, (const uint8_t *)payload, plen);
	put16(icmp + 2, csum(icmp, 8 + plen));
	transmit(14 + iplen);
}

static void put_mac(const uint8_t *m)
{
	for (int i = 0; i < 6; i++) {
		put_hex(m[i], 2);
		if (i < 5)
			putc_serial(':');
	}
}

void guest_main(void)
{
	struct virtio_pci v;
	uint64_t common, devcfg;
	uint8_t *f = 0;

	puts_serial("vfvm-guest: virtio-net test\n");
	rxq.ring = RXQ_RING;
	txq.ring = TXQ_RING;
	virtio_pci_probe(&v, 0x10411af4, "no virtio-net (1af4:1041) on bus 0",
			 VIRTIO_CAP_COMMON | VIRTIO_CAP_NOTIFY | VIRTIO_CAP_DEVICE);
	common = v.common;
	devcfg = v.devcfg;

	virtio_reset(common);
	virtio_acknowledge(common);
	mmio_w32(common + 0, 0);
	if (!(mmio_r32(common + 4) & (1u << 5)))
		fail("device does not offer VIRTIO_NET_F_MAC");
	virtio_set_features(common, 1u << 5); /* MAC, nothing else: no offloads, no merging */
	for (int i = 0; i < 6; i++)
		mac[i] = mmio_r8(devcfg + i);

	for (int q = 0; q < 2; q++) {
		struct vq *vq = q ? &txq : &rxq;

		for (int i = 0; i < 0x3000; i++)
			((volatile uint8_t *)vq->ring)[i] = 0;
		mmio_w16(common + 22, q);
		if (mmio_r16(common + 24) < QSZ)
			fail("queue too small");
		mmio_w16(common + 24, QSZ);
		virtio_queue_rings(common, vq->ring);
		vq->notify = virtio_queue_notify(&v);
		mmio_w16(common + 28, 1);
	}
	for (int i = 0; i < NRX; i++) {
		set_desc(&rxq, i, RXBUF + (uint64_t)i * RXLEN, RXLEN, 2 /* WRITE */);
		post(&rxq, i);
	}
	virtio_driver_ok(common);
	puts_serial("vfvm-guest: mac ");
	put_mac(mac);
	puts_serial(", link ");
	puts_serial(mmio_r16(devcfg + 6) & 1 ? "up\n" : "down\n");

	/* ARP, retried: the host may still be bringing the tap up. */
	for (int tries = 0; tries < 20 && !f; tries++) {
		send_arp_request();
		f = receive(is_arp_reply, 20000000UL);
	}
	if (!f)
		fail("no ARP reply from 10.0.2.1");
	copy(host_mac, f + 22, 6);
	puts_serial("vfvm-guest: ARP reply: 10.0.2.1 is at ");
	put_mac(host_mac);
	putc_serial('\n');
	post(&rxq, (uint16_t)(((uint64_t)(f - HDRLEN) - RXBUF) / RXLEN));
	kick(&rxq, 0);

	f = 0;
	for (int tries = 0; tries < 5 && !f; tries++) {
		send_echo_request();
		f = receive(is_echo_reply, 20000000UL);
	}
	if (!f)
		fail("no ICMP echo reply from 10.0.2.1");
	puts_serial("vfvm-guest: ICMP echo reply from 10.0.2.1, payload ");
	for (int i = 42; i < 42 + 15; i++)
		putc_serial(f[i]);
	putc_serial('\n');
	puts_serial("vfvm-guest: virtio-net ok\n");
	exit_i8042_reset();
}
