// SPDX-License-Identifier: GPL-2.0-only
/* virtio-net failover state machine (see net_failover.h). */
#include <errno.h>
#include <string.h>

#include "net_failover.h"

void net_failover_init(struct net_failover *fo)
{
	memset(fo, 0, sizeof(*fo));
	fo->state = NET_FAILOVER_UNNEGOTIATED;
}

static enum net_failover_event push(struct net_failover *fo, enum net_failover_event ev)
{
	if (ev == NET_FAILOVER_EV_NONE)
		return ev;
	if (fo->q_len == NET_FAILOVER_QUEUE) {
		/* a guest resetting in a loop: keep the newest, it says where things stand */
		fo->q_head = (fo->q_head + 1) % NET_FAILOVER_QUEUE;
		fo->q_len--;
		fo->q_dropped++;
	}
	fo->queue[(fo->q_head + fo->q_len) % NET_FAILOVER_QUEUE] = ev;
	fo->q_len++;
	return ev;
}

enum net_failover_event net_failover_features_ok(struct net_failover *fo, bool standby)
{
	/*
	 * FEATURES_OK is only set again after a reset, so the state is
	 * UNNEGOTIATED here; a missed reset is treated as one (no event).
	 */
	if (!standby) {
		fo->state = NET_FAILOVER_UNNEGOTIATED;
		return push(fo, NET_FAILOVER_EV_DECLINED);
	}
	fo->state = fo->primary_present ? NET_FAILOVER_PRIMARY_PLUGGED : NET_FAILOVER_STANDBY_ACKED;
	return push(fo, NET_FAILOVER_EV_ACKED);
}

enum net_failover_event net_failover_reset(struct net_failover *fo)
{
	/* Linux resets the device at every probe: only a reset that undoes an ack is news */
	if (fo->state == NET_FAILOVER_UNNEGOTIATED)
		return NET_FAILOVER_EV_NONE;
	fo->state = NET_FAILOVER_UNNEGOTIATED;
	return push(fo, NET_FAILOVER_EV_RESET);
}

int net_failover_primary_plugged(struct net_failover *fo)
{
	if (fo->primary_present)
		return -EALREADY;
	if (fo->state == NET_FAILOVER_UNNEGOTIATED)
		return -EAGAIN;
	fo->primary_present = true;
	fo->state = NET_FAILOVER_PRIMARY_PLUGGED;
	return 0;
}

int net_failover_primary_unplugged(struct net_failover *fo)
{
	if (!fo->primary_present)
		return -ENOENT;
	fo->primary_present = false;
	if (fo->state == NET_FAILOVER_PRIMARY_PLUGGED)
		fo->state = NET_FAILOVER_PRIMARY_UNPLUGGED;
	return 0;
}

bool net_failover_pop(struct net_failover *fo, enum net_failover_event *ev)
{
	if (!fo->q_len)
		return false;
	*ev = fo->queue[fo->q_head];
	fo->q_head = (fo->q_head + 1) % NET_FAILOVER_QUEUE;
	fo->q_len--;
	return true;
}

const char *net_failover_state_name(enum net_failover_state s)
{
	switch (s) {
	case NET_FAILOVER_UNNEGOTIATED:
		return "unnegotiated";
	case NET_FAILOVER_STANDBY_ACKED:
		return "standby-acked";
	case NET_FAILOVER_PRIMARY_PLUGGED:
		return "primary-plugged";
	case NET_FAILOVER_PRIMARY_UNPLUGGED:
		return "primary-unplugged";
	}
	return "unknown";
}

const char *net_failover_event_name(enum net_failover_event ev)
{
	switch (ev) {
	case NET_FAILOVER_EV_ACKED:
		return "acked";
	case NET_FAILOVER_EV_DECLINED:
		return "declined";
	case NET_FAILOVER_EV_RESET:
		return "reset";
	case NET_FAILOVER_EV_NONE:
		break;
	}
	return "none";
}
