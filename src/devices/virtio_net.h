/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio-net (virtio device id 1) on a Linux tap.
 *
 * Queue 0 receives, queue 1 transmits; no control queue.  The tap is
 * opened with IFF_VNET_HDR and a 12-byte vnet header, which is exactly
 * the virtio 1.x net header, so transmitted chains go to the tap with one
 * writev and received packets come with their offload header ready.
 * Offered: MAC, STATUS, CSUM, GUEST_CSUM, GUEST_TSO4/6, HOST_TSO4/6 and
 * MRG_RXBUF; the tap's offloads (TUNSETOFFLOAD) follow what the guest
 * accepted, so it never receives a packet it cannot take.
 *
 * Received packets are read into a bounce buffer and scattered over one
 * receive chain (or, with MRG_RXBUF, as many as needed); a packet that
 * finds no buffers waits there until the guest posts more.
 */
#ifndef VFVM_VIRTIO_NET_H
#define VFVM_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_net.h>

#include "virtio_pci.h"

#define VIRTIO_NET_QUEUE_SIZE 256
#define VIRTIO_NET_HDR_LEN 12 /* struct virtio_net_hdr_v1 */
/* Largest frame a tap hands us: header + 64 KiB GSO frame + Ethernet/VLAN. */
#define VIRTIO_NET_RX_BUF (VIRTIO_NET_HDR_LEN + 65536 + 64)
/*
 * Transmit coalescing (tx-coalesce=US): the default window, the largest
 * accepted, and how recent the last transmit must be for a kick to wait.
 * 150 us is QEMU's own timer-mode window; see tx_kick() in virtio_net.c.
 */
#define VIRTIO_NET_TX_COALESCE_US 150
#define VIRTIO_NET_TX_COALESCE_MAX_US 10000
#define VIRTIO_NET_TX_BUSY_US 10000

struct virtio_net {
	struct virtio_pci vp;
	int tap_fd;
	bool is_tap; /* false in unit tests (a socketpair): no tap ioctls */
	char ifname[16];
	uint8_t mac[6];
	struct virtq_elem rx_elem;
	struct virtq_elem tx_elem;
	uint8_t rx_buf[VIRTIO_NET_RX_BUF];
	size_t rx_pending; /* bytes of a packet in rx_buf waiting for buffers */
	uint64_t rx_dropped; /* packets that could not fit any buffer */
	uint64_t tx_dropped; /* malformed transmit requests or tap errors */
	unsigned int offloads; /* TUN_F_* currently set on the tap */
	/*
	 * Transmit coalescing: a kick arms a timer of this many microseconds
	 * and the queue is drained when it fires (0: drained at the kick).
	 */
	unsigned int tx_coalesce_us;
	int tx_timer_fd; /* timerfd, -1 without coalescing */
	bool tx_timer_armed; /* under the transmit queue's lock */
	uint64_t tx_last_drain_us; /* CLOCK_MONOTONIC, atomic */
};

/*
 * Set up the device on an already open packet fd (a tap with a 12-byte
 * vnet header, or one end of a SOCK_SEQPACKET socketpair in tests).
 */
int virtio_net_init_fd(struct virtio_net *n, struct vm *vm, const struct guest_mem *mem, int fd,
		       bool is_tap, const uint8_t mac[6], struct errinfo *e);
/* Move packets from the fd to the receive queue until one side runs dry. */
void virtio_net_rx(struct virtio_net *n);
/* TUN_F_* flags for the negotiated guest features. */
unsigned int virtio_net_tun_offloads(uint64_t guest_features);
/*
 * Parse "tap=NAME[,mac=M][,tx-coalesce=US]"; @mac gets a default derived
 * from the name, @tx_coalesce_us VIRTIO_NET_TX_COALESCE_US.
 */
int virtio_net_parse_spec(const char *spec, char ifname[16], uint8_t mac[6],
			  unsigned int *tx_coalesce_us, struct errinfo *e);

#endif
