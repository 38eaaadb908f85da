// SPDX-License-Identifier: GPL-2.0-only
/*
 * The virtio-net failover state machine (src/devices/net_failover.c) on
 * its own: guest acknowledgement, a driver without STANDBY, resets, the
 * host plugging and unplugging the primary, and the bounded event queue.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net_failover.h"

static enum net_failover_event pop(struct net_failover *fo)
{
	enum net_failover_event ev;

	return net_failover_pop(fo, &ev) ? ev : NET_FAILOVER_EV_NONE;
}

static void acked_then_primary(void **state)
{
	struct net_failover fo;

	(void)state;
	net_failover_init(&fo);
	assert_int_equal(fo.state, NET_FAILOVER_UNNEGOTIATED);
	assert_string_equal(net_failover_state_name(fo.state), "unnegotiated");
	/* No primary before the guest said it can pair one. */
	assert_int_equal(net_failover_primary_plugged(&fo), -EAGAIN);
	assert_false(fo.primary_present);
	assert_int_equal(net_failover_features_ok(&fo, true), NET_FAILOVER_EV_ACKED);
	assert_int_equal(fo.state, NET_FAILOVER_STANDBY_ACKED);
	assert_string_equal(net_failover_state_name(fo.state), "standby-acked");
	assert_int_equal(pop(&fo), NET_FAILOVER_EV_ACKED);
	assert_int_equal(pop(&fo), NET_FAILOVER_EV_NONE);

	assert_int_equal(net_failover_primary_plugged(&fo), 0);
	assert_int_equal(fo.state, NET_FAILOVER_PRIMARY_PLUGGED);
	assert_string_equal(net_failover_state_name(fo.state), "primary-plugged");
	assert_int_equal(net_failover_primary_plugged(&fo), -EALREADY);
	/* Host-side moves are the owner's own doing: no events for them. */
	assert_int_equal(pop(&fo), NET_FAILOVER_EV_NONE);
}

static void not_acked(void **state)
{
	struct net_failover fo;

	(void)state;
	net_failover_init(&fo);
	assert_int_equal(net_failover_features_ok(&fo, false), NET_FAILOVER_EV_DECLINED);
	assert_int_equal(fo.state, NET_FAILOVER_UNNEGOTIATED);
	assert_int_equal(pop(&fo), NET_FAILOVER_EV_DECLINED);
	assert_int_equal(net_failover_primary_plugged(&fo), -EAGAIN);
	/* The reset of a driver that never accepted is no news. */
	assert_int_equal(net_failover_reset(&fo), NET_FAILOVER_EV_NONE);
	assert_int_equal(pop(&fo), NET_FAILOVER_EV_NONE);
	/* A later driver that accepts gets there. */
	assert_int_equal(net_failover_features_ok(&fo, true), NET_FAILOVER_EV_ACKED);
	assert_int_equal(fo.state, NET_FAILOVER_STANDBY_ACKED);
}

static void reset_goes_back(void **state)
{
	struct net_failover fo;

	(void)state;
	net_failover_init(&fo);
	net_failover_features_ok(&fo, true);
	assert_int_equal(net_failover_reset(&fo), NET_FAILOVER_EV_RESET);
	assert_int_equal(fo.state, NET_FAILOVER_UNNEGOTIATED);
	assert_int_equal(pop(&fo), NET_FAILOVER_EV_ACKED);
	assert_int_equal(pop(&fo), NET_FAILOVER_EV_RESET);
	/* A second reset in a row says nothing new. */
	assert_int_equal(net_failover_reset(&fo), NET_FAILOVER_EV_NONE);

	/* Reset with the primary plugged: it stays plugged (a reboot unplugs no VF)... */
	net_failover_features_ok(&fo, true);
	assert_int_equal(net_failover_primary_plugged(&fo), 0);
	assert_int_equal(net_failover_reset(&fo), NET_FAILOVER_EV_RESET);
	assert_int_equal(fo.state, NET_FAILOVER_UNNEGOTIATED);
	assert_true(fo.primary_present);
	assert_int_equal(net_failover_primary_plugged(&fo), -EALREADY);
	/* ...so the next acknowledgement finds it there. */
	assert_int_equal(net_failover_features_ok(&fo, true), NET_FAILOVER_EV_ACKED);
	assert_int_equal(fo.state, NET_FAILOVER_PRIMARY_PLUGGED);
	/* A driver that declines, with a primary plugged: the owner hears it. */
	net_failover_reset(&fo);
	assert_int_equal(net_failover_features_ok(&fo, false), NET_FAILOVER_EV_DECLINED);
	assert_int_equal(fo.state, NET_FAILOVER_UNNEGOTIATED);
	assert_true(fo.primary_present);
}

static void unplug_replug(void **state)
{
	struct net_failover fo;

	(void)state;
	net_failover_init(&fo);
	assert_int_equal(net_failover_primary_unplugged(&fo), -ENOENT);
	net_failover_features_ok(&fo, true);
	assert_int_equal(net_failover_primary_unplugged(&fo), -ENOENT);
	assert_int_equal(fo.state, NET_FAILOVER_STANDBY_ACKED);
	assert_int_equal(net_failover_primary_plugged(&fo), 0);
	/* Migration: the VF goes, traffic falls back to the standby. */
	assert_int_equal(net_failover_primary_unplugged(&fo), 0);
	assert_int_equal(fo.state, NET_FAILOVER_PRIMARY_UNPLUGGED);
	assert_string_equal(net_failover_state_name(fo.state), "primary-unplugged");
	assert_false(fo.primary_present);
	assert_int_equal(net_failover_primary_unplugged(&fo), -ENOENT);
	/* Migration failed or done: the VF comes back. */
	assert_int_equal(net_failover_primary_plugged(&fo), 0);
	assert_int_equal(fo.state, NET_FAILOVER_PRIMARY_PLUGGED);
	/* Unplugged while the guest has no failover driver: state stays. */
	net_failover_reset(&fo);
	assert_int_equal(net_failover_primary_unplugged(&fo), 0);
	assert_int_equal(fo.state, NET_FAILOVER_UNNEGOTIATED);
	assert_false(fo.primary_present);
	assert_int_equal(net_failover_features_ok(&fo, true), NET_FAILOVER_EV_ACKED);
	assert_int_equal(fo.state, NET_FAILOVER_STANDBY_ACKED);
}

/* A guest resetting in a loop: the oldest events go, the newest stay, in order. */
static void queue_keeps_newest(void **state)
{
	struct net_failover fo;

	(void)state;
	net_failover_init(&fo);
	for (int i = 0; i < NET_FAILOVER_QUEUE; i++) {
		net_failover_features_ok(&fo, true);
		net_failover_reset(&fo);
	}
	net_failover_features_ok(&fo, true);
	assert_int_equal(fo.q_len, NET_FAILOVER_QUEUE);
	assert_int_equal(fo.q_dropped, NET_FAILOVER_QUEUE + 1);
	for (int i = 0; i < NET_FAILOVER_QUEUE; i++)
		assert_int_equal(pop(&fo), i % 2 ? NET_FAILOVER_EV_ACKED : NET_FAILOVER_EV_RESET);
	assert_int_equal(pop(&fo), NET_FAILOVER_EV_NONE);
}

static void names(void **state)
{
	(void)state;
	assert_string_equal(net_failover_event_name(NET_FAILOVER_EV_ACKED), "acked");
	assert_string_equal(net_failover_event_name(NET_FAILOVER_EV_DECLINED), "declined");
	assert_string_equal(net_failover_event_name(NET_FAILOVER_EV_RESET), "reset");
	assert_string_equal(net_failover_event_name(NET_FAILOVER_EV_NONE), "none");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(acked_then_primary), cmocka_unit_test(not_acked),
		cmocka_unit_test(reset_goes_back),    cmocka_unit_test(unplug_replug),
		cmocka_unit_test(queue_keeps_newest), cmocka_unit_test(names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
