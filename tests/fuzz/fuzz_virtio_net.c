// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-net (src/devices/virtio_net.c) over the split virtqueue, as a
 * guest and the network drive it: the transport brought up with fuzzed
 * features (mergeable receive buffers or not) and queue size, guest RAM -
 * receive and transmit rings, headers, buffers - from the fuzzer, then a
 * packet of fuzzed length arriving from the "tap" (one end of a
 * SOCK_SEQPACKET socketpair, which moves the same header + frame records)
 * and transmit kicks.  Every frame that reaches the tap must carry at least
 * the virtio-net header.
 *
 * Input: flags, queue size, kicks, available-index bump (fuzz_virtio.h),
 * the received record's length (2 bytes; its bytes are the start of guest
 * RAM as the fuzzer wrote it), then guest RAM from address 0.
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_virtio.h"
#include "virtio_net.h"

static const uint8_t mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
static uint8_t rx_record[FV_RAM_SIZE];
static uint8_t tx_record[VIRTIO_NET_RX_BUF];

static void no_signal(struct virtio_pci *vp, uint16_t vector)
{
	(void)vp;
	(void)vector;
}

/* What the device sent to the tap: whole records, each with a header. */
static void drain_tap(int peer)
{
	for (;;) {
		ssize_t r = recv(peer, tx_record, sizeof(tx_record), MSG_DONTWAIT);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		FUZZ_CHECK(r >= VIRTIO_NET_HDR_LEN);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct virtio_net *n = calloc(1, sizeof(*n));
	struct errinfo e = {0};
	struct fv_plan p;
	size_t rx_len;
	struct fv f;
	int sv[2];

	fv_plan_take(&p, &in);
	rx_len = fuzz_u16(&in);
	if (!n || fv_setup(&f) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (virtio_net_init_fd(n, NULL, &f.mem, sv[0], false, mac, &e) < 0)
		abort();
	n->vp.signal = no_signal;
	f.vp = &n->vp;
	fv_fill_ram(&f, &in);
	memcpy(rx_record, f.ram, rx_len);
	FUZZ_CHECK(fv_bringup(&f, &p, 2, VIRTIO_NET_F_MRG_RXBUF));
	for (unsigned int k = 0; k < p.kicks; k++) {
		if (k) {
			fv_bump_avail(&f, 0, p.avail_bump);
			fv_bump_avail(&f, 1, p.avail_bump);
		}
		/* a full socket drops the record, as a busy tap would */
		if (rx_len)
			(void)!send(sv[1], rx_record, rx_len, MSG_DONTWAIT);
		fv_kick(&f, 0);
		fv_kick(&f, 1);
		drain_tap(sv[1]);
	}
	if (p.flags & FV_RESET_AGAIN) {
		FUZZ_CHECK(fv_bringup(&f, &p, 2, VIRTIO_NET_F_MRG_RXBUF));
		virtio_net_rx(n);
		fv_kick(&f, 1);
		drain_tap(sv[1]);
	}
	n->vp.ops->destroy(&n->vp); /* closes sv[0], frees n */
	close(sv[1]);
	fv_teardown(&f);
	return 0;
}
