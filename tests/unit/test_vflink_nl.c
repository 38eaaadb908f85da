// SPDX-License-Identifier: GPL-2.0-only
/*
 * The real rtnetlink backend against the running kernel, inside a private
 * network namespace (nothing on the host is touched).  This host has no
 * SR-IOV NIC, so it checks what a netdev without VFs answers: reads say
 * "no VFs", settings are refused with EOPNOTSUPP, unknown names ENODEV -
 * each reported with the interface, VF and setting named.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "vf_apply.h"
#include "vflink.h"

static int enter_private_netns(void)
{
	if (unshare(CLONE_NEWNET) == 0)
		return 0;
	/* Not root: a user namespace gives CAP_NET_ADMIN over the new netns. */
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0)
		return 0;
	fprintf(stderr, "cannot create a network namespace: %s\n", strerror(errno));
	return -1;
}

static int group_setup(void **state)
{
	struct nl_sock *sk;
	int ret;

	(void)state;
	if (enter_private_netns())
		return -1;
	sk = nl_socket_alloc();
	if (!sk || nl_connect(sk, NETLINK_ROUTE) < 0)
		return -1;
	ret = rtnl_link_veth_add(sk, "vfl0", "vfl1", getpid());
	nl_socket_free(sk);
	if (ret < 0) {
		fprintf(stderr, "cannot create veth pair: %s\n", nl_geterror(ret));
		return -1;
	}
	return 0;
}

static void loopback_has_no_vfs(void **state)
{
	struct vf_link_info *vfs = NULL;
	struct vflink *l;
	struct errinfo e;
	int n = -1;

	(void)state;
	l = vflink_open_nl(&e);
	assert_non_null(l);
	assert_int_equal(vflink_get_vfs(l, "lo", &vfs, &n, &e), -EOPNOTSUPP);
	assert_null(vfs);
	assert_int_equal(n, 0);
	assert_non_null(strstr(e.msg, "lo has no VFs"));
	assert_int_equal(vflink_get_vfs(l, "vfl0", &vfs, &n, &e), -EOPNOTSUPP);
	assert_non_null(strstr(e.msg, "vfl0 has no VFs"));
	vflink_close(l);
}

static void unknown_interface_is_enodev(void **state)
{
	struct vf_attr_value tr = {.attr = VF_ATTR_TRUST, .on = 1};
	struct vf_link_info *vfs;
	struct vflink *l;
	struct errinfo e;
	int n;

	(void)state;
	l = vflink_open_nl(&e);
	assert_non_null(l);
	assert_int_equal(vflink_get_vfs(l, "nosuch0", &vfs, &n, &e), -ENODEV);
	assert_non_null(strstr(e.msg, "no network interface named 'nosuch0'"));
	assert_int_equal(vflink_set_vf(l, "nosuch0", 0, &tr, &e), -ENODEV);
	assert_non_null(strstr(e.msg, "nosuch0 VF 0: setting trust"));
	vflink_close(l);
}

static void vf_settings_on_a_netdev_without_vfs_are_unsupported(void **state)
{
	struct vf_attr_value vals[] = {
		{.attr = VF_ATTR_MAC, .mac = {2, 0, 0, 0, 0, 1}},
		{.attr = VF_ATTR_VLAN, .vlan = {.vlan = 10, .proto = VF_ETH_P_8021Q}},
		{.attr = VF_ATTR_VLAN, .vlan = {.vlan = 10, .proto = VF_ETH_P_8021AD}},
		{.attr = VF_ATTR_RATE, .rate = {.max_tx = 100}},
		{.attr = VF_ATTR_SPOOFCHK, .on = 0},
		{.attr = VF_ATTR_TRUST, .on = 1},
		{.attr = VF_ATTR_LINK_STATE, .link_state = VF_LINK_STATE_ENABLE},
		{.attr = VF_ATTR_QUERY_RSS, .on = 1},
	};
	struct vflink *l;
	struct errinfo e;
	char want[64];
	size_t i;

	(void)state;
	l = vflink_open_nl(&e);
	assert_non_null(l);
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		assert_int_equal(vflink_set_vf(l, "vfl0", 0, &vals[i], &e), -EOPNOTSUPP);
		snprintf(want, sizeof(want), "vfl0 VF 0: setting %s", vf_attr_name(vals[i].attr));
		assert_non_null(strstr(e.msg, want));
		assert_non_null(strstr(e.msg, "does not support"));
	}
	vflink_close(l);
}

/*
 * Each answer must be matched to its own request: a successful read
 * followed by a refused setting on one socket must report the refusal (a
 * leftover ACK of the read once passed for the setting's answer).
 */
static void replies_are_matched_to_their_request(void **state)
{
	struct vf_attr_value tr = {.attr = VF_ATTR_TRUST, .on = 1};
	struct vf_link_info *vfs;
	struct vflink *l;
	struct errinfo e;
	int n, i;

	(void)state;
	l = vflink_open_nl(&e);
	assert_non_null(l);
	for (i = 0; i < 3; i++) {
		assert_int_equal(vflink_get_vfs(l, "lo", &vfs, &n, &e), -EOPNOTSUPP);
		assert_int_equal(vflink_set_vf(l, "vfl0", 0, &tr, &e), -EOPNOTSUPP);
		assert_int_equal(vflink_get_vfs(l, "nosuch0", &vfs, &n, &e), -ENODEV);
		assert_int_equal(vflink_get_vfs(l, "vfl1", &vfs, &n, &e), -EOPNOTSUPP);
		assert_int_equal(vflink_set_vf(l, "nosuch0", 0, &tr, &e), -ENODEV);
	}
	vflink_close(l);
}

static void apply_refuses_before_sending_anything(void **state)
{
	struct vf_apply_report rep;
	struct vf_settings s;
	struct vflink *l;
	struct errinfo e;
	const char *argv[] = {"mac", "02:00:00:00:00:01", "trust", "on"};

	(void)state;
	assert_int_equal(vf_settings_parse(&s, 4, argv, &e), 0);
	l = vflink_open_nl(&e);
	assert_non_null(l);
	assert_int_equal(vf_apply(l, "vfl1", 0, &s, NULL, &rep, &e), -EOPNOTSUPP);
	assert_int_equal(rep.n, 0);
	assert_non_null(strstr(e.msg, "vfl1 has no VFs"));
	vflink_close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loopback_has_no_vfs),
		cmocka_unit_test(unknown_interface_is_enodev),
		cmocka_unit_test(vf_settings_on_a_netdev_without_vfs_are_unsupported),
		cmocka_unit_test(replies_are_matched_to_their_request),
		cmocka_unit_test(apply_refuses_before_sending_anything),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
