/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * virtio-net failover (VIRTIO_NET_F_STANDBY): what the guest and the host
 * have done with a standby/primary pair, as a small state machine with no
 * I/O, so every transition is tested on its own.
 *
 * The pair: a virtio-net device offered with STANDBY (the standby) and a
 * passed-through VF with the same MAC (the primary).  A guest driver that
 * accepts STANDBY (Linux: virtio_net + net_failover) puts both under one
 * failover netdev that sends through the primary while it is there and
 * falls back to the standby when it goes (a live migration unplugs it).
 * So the host must plug the primary only once the guest accepted STANDBY:
 * a guest without net_failover would see two NICs with one MAC.  QEMU
 * keeps the primary hidden until then for the same reason (it acts when
 * the features are written; we act when FEATURES_OK is accepted, after
 * which the driver can no longer change them).
 *
 *   UNNEGOTIATED --FEATURES_OK with STANDBY--> STANDBY_ACKED   (ev ACKED)
 *   UNNEGOTIATED --FEATURES_OK without------->  UNNEGOTIATED   (ev DECLINED)
 *   STANDBY_ACKED / PRIMARY_UNPLUGGED --host plugs the primary--> PRIMARY_PLUGGED
 *   PRIMARY_PLUGGED --host unplugs it-----------------------------> PRIMARY_UNPLUGGED
 *   any --device reset (status 0)--> UNNEGOTIATED  (ev RESET, unless it was already)
 *
 * Whether the host has the primary plugged is remembered across guest
 * resets (a reboot does not unplug a VF): after a reset the state is
 * UNNEGOTIATED with primary_present still true, and a new acknowledgement
 * leads straight to PRIMARY_PLUGGED.  What to do with a present primary
 * when the guest declines or resets is the owner's decision (the event
 * tells it); QEMU leaves it plugged.
 *
 * Events wait in a small queue (the guest's vCPU thread produces them, the
 * I/O thread consumes them); when it is full the oldest is dropped and
 * counted, so the newest, which says where things stand, always arrives.
 * Not thread-safe: the owner locks.
 */
#ifndef DEVICES_NET_FAILOVER_H
#define DEVICES_NET_FAILOVER_H

#include <stdbool.h>
#include <stdint.h>

enum net_failover_state {
	NET_FAILOVER_UNNEGOTIATED = 0, /* no driver accepted STANDBY since the last reset */
	NET_FAILOVER_STANDBY_ACKED, /* the driver accepted STANDBY; no primary yet */
	NET_FAILOVER_PRIMARY_PLUGGED, /* ... and the host plugged the primary */
	NET_FAILOVER_PRIMARY_UNPLUGGED, /* ... and the host took it away again */
};

enum net_failover_event {
	NET_FAILOVER_EV_NONE = 0,
	/* FEATURES_OK with STANDBY: the primary may (and should) be plugged now */
	NET_FAILOVER_EV_ACKED,
	/* FEATURES_OK without STANDBY: this driver cannot pair a primary */
	NET_FAILOVER_EV_DECLINED,
	/* the device was reset after STANDBY had been accepted */
	NET_FAILOVER_EV_RESET,
};

#define NET_FAILOVER_QUEUE 8

struct net_failover {
	enum net_failover_state state;
	bool primary_present; /* the host has the primary plugged */
	enum net_failover_event queue[NET_FAILOVER_QUEUE];
	unsigned int q_head, q_len;
	uint64_t q_dropped; /* events dropped because the queue was full */
};

void net_failover_init(struct net_failover *fo);
/*
 * The driver set FEATURES_OK and the device accepted it; @standby: the
 * driver accepted VIRTIO_NET_F_STANDBY.  Returns the event queued.
 */
enum net_failover_event net_failover_features_ok(struct net_failover *fo, bool standby);
/* The driver reset the device.  Returns the event queued (NONE if none). */
enum net_failover_event net_failover_reset(struct net_failover *fo);
/*
 * The host plugged the primary: 0, -EAGAIN while the guest has not
 * accepted STANDBY (plugging it now would show the guest two NICs with
 * one MAC), -EALREADY when it is plugged already.
 */
int net_failover_primary_plugged(struct net_failover *fo);
/* The host unplugged the primary: 0, or -ENOENT when none was plugged. */
int net_failover_primary_unplugged(struct net_failover *fo);
/* Take the oldest queued event; false when there is none. */
bool net_failover_pop(struct net_failover *fo, enum net_failover_event *ev);

/* "unnegotiated", "standby-acked", "primary-plugged", "primary-unplugged" */
const char *net_failover_state_name(enum net_failover_state s);
/* "acked", "declined", "reset" ("none") */
const char *net_failover_event_name(enum net_failover_event ev);

#endif
