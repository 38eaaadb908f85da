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
 *
 * With failover=on (and an explicit mac=, the primary's) STANDBY is offered
 * too and the device is the standby of a net_failover pair: see
 * net_failover.h for the states, and the failover API at the end.
 */
#ifndef VFVM_VIRTIO_NET_H
#define VFVM_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_net.h>

#include "net_failover.h"
#include "pci.h"
#include "virtio_pci.h"

struct vm;

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
	bool tap_gone; /* reported once (tap_gone()) */
	unsigned int offloads; /* TUN_F_* currently set on the tap */
	/*
	 * Transmit coalescing: a kick arms a timer of this many microseconds
	 * and the queue is drained when it fires (0: drained at the kick).
	 */
	unsigned int tx_coalesce_us;
	int tx_timer_fd; /* timerfd, -1 without coalescing */
	bool tx_timer_armed; /* under the transmit queue's lock */
	uint64_t tx_last_drain_us; /* CLOCK_MONOTONIC, atomic */

	/* Failover (failover=on), see virtio_net_failover_enable(). */
	bool failover;
	pthread_mutex_t fo_lock; /* fo, fo_cb, fo_opaque */
	struct net_failover fo;
	int fo_efd; /* vCPU thread -> I/O thread: events wait in fo's queue */
	void (*fo_cb)(void *opaque, const char *net_id, enum net_failover_event ev);
	void *fo_opaque;
};

/* What --net SPEC says (virtio_net_parse_spec()). */
struct virtio_net_spec {
	char id[PCI_DEV_ID_MAX]; /* "" without id=: vm_pci_plug() gives netN */
	char ifname[16];
	uint8_t mac[6]; /* mac=, or one derived from the tap name */
	bool have_mac;
	unsigned int tx_coalesce_us;
	bool failover;
};

/*
 * Set up the device on an already open packet fd (a tap with a 12-byte
 * vnet header, or one end of a SOCK_SEQPACKET socketpair in tests).
 */
int virtio_net_init_fd(struct virtio_net *n, struct vm *vm, const struct guest_mem *mem, int fd,
		       bool is_tap, const uint8_t mac[6], struct errinfo *e);
/*
 * virtio_net__add() after the tap is open: the device on @fd (closed on
 * failure), its fds on the VM's I/O thread, failover when @s asks for it,
 * registered on the PCI bus with @s->id.  @out (may be NULL) gets the
 * device.  Tests pass one end of a socketpair (@is_tap false).
 */
int virtio_net_add_fd(struct vm *vm, int fd, bool is_tap, const struct virtio_net_spec *s,
		      struct virtio_net **out, struct errinfo *e);
/* Move packets from the fd to the receive queue until one side runs dry. */
void virtio_net_rx(struct virtio_net *n);
/* TUN_F_* flags for the negotiated guest features. */
unsigned int virtio_net_tun_offloads(uint64_t guest_features);
/*
 * Parse "tap=NAME[,id=ID][,mac=M][,tx-coalesce=US][,failover=on|off]" (any
 * order, each key once).  Syntax only, nothing is opened: the front end
 * calls it to refuse a bad --net as a usage error.  Without mac= the MAC
 * is derived from the tap name; failover=on without mac= is refused (the
 * guest pairs standby and primary by MAC).  -EINVAL names the bad part.
 */
int virtio_net_parse_spec(const char *spec, struct virtio_net_spec *s, struct errinfo *e);

/*
 * Failover.  The standby tells its owner what the guest did through a
 * callback on the I/O thread; the owner (the front end) plugs or unplugs
 * the primary and tells the device, whose state the control API shows.
 */

/*
 * Make @n a failover standby: offer VIRTIO_NET_F_STANDBY and set up the
 * eventfd that carries negotiation news from the vCPU thread to the I/O
 * thread (watched with vm_io_add() when the device has a VM).  After
 * virtio_net_init_fd(), before the device is registered.
 */
int virtio_net_failover_enable(struct virtio_net *n, struct errinfo *e);
/*
 * Call @cb(@opaque, the device's id, event) on the I/O thread for every
 * failover event (NET_FAILOVER_EV_ACKED: plug the primary now; DECLINED:
 * this driver cannot pair one; RESET: the driver that accepted STANDBY is
 * gone).  Events come in the order the guest caused them (see
 * net_failover.h for the bounded queue).  @cb may call the failover
 * functions below but must not release the device.  NULL unregisters.
 * Any thread.  Besides calling @cb, an ACKED event sends the control-API
 * event "failover-negotiated" (vm_event) for the device's id.
 */
void virtio_net__set_failover_cb(struct virtio_net *n,
				 void (*cb)(void *opaque, const char *net_id,
					    enum net_failover_event ev),
				 void *opaque);
/*
 * The host plugged (@plugged) or unplugged the primary of @n.  Refused
 * with -EAGAIN (plugging before the guest accepted STANDBY), -EALREADY,
 * -ENOENT (nothing to unplug) or -EINVAL (failover is off), @e naming
 * the device.  Any thread.
 */
int virtio_net__failover_primary(struct virtio_net *n, bool plugged, struct errinfo *e);
/*
 * Where the pair stands: false when failover is off for @n, else true
 * with @st set.  virtio_net__failover_info() gives the state's name for
 * `vfvm ctl info` ("unnegotiated", "standby-acked", "primary-plugged",
 * "primary-unplugged"), or NULL when failover is off.  Any thread.
 */
bool virtio_net__failover_state(struct virtio_net *n, enum net_failover_state *st);
const char *virtio_net__failover_info(struct virtio_net *n);
/*
 * Deliver queued failover events (what the I/O thread does when the
 * eventfd fires; for tests without a VM).
 */
void virtio_net_failover_dispatch(struct virtio_net *n);

/* Snapshots (virtio_net_snap.c): the virtio_dev_ops.save/load of virtio-net. */
void virtio_net_save(struct virtio_pci *vp, struct snap_out *o);
int virtio_net_load(struct virtio_pci *vp, struct snap_sec *s, const char *what, struct errinfo *e);

/* The virtio-net behind PCI function @d, or NULL when @d is something else. */
struct virtio_net *virtio_net__from_pci(struct pci_dev *d);
/*
 * The virtio-net with id @id, or NULL.  The pointer is valid on the I/O
 * thread (where hot-unplug releases devices), as vm_pci_find()'s is.
 */
struct virtio_net *virtio_net__find(struct vm *vm, const char *id);

#endif
