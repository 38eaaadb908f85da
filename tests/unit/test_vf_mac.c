// SPDX-License-Identifier: GPL-2.0-only
/*
 * The failover primary's MAC lease (sriov/vf_mac.h) on a sysfs tree and the
 * recording fake of the VF link backend: the MAC set through the PF's
 * interface, the old one put back, and the refusals that name the VF.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers/sriov_tree.h"
#include "vf_mac.h"
#include "vflink_fake.h"

#define PF "0000:01:00.0"
#define VF "0000:01:10.2"
#define NIC "0000:02:00.0"

struct fixture {
	char root[256];
	char state[300];
	struct vflink *l;
};

static const uint8_t MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct stree_dev pf = {PF, NULL, 0x8086, 0x10c9, 0x020000, "igb", 1};
	struct stree_dev vf = {VF, NULL, 0x8086, 0x10ca, 0x020000, "vfio-pci", 2};
	struct stree_dev nic = {NIC, NULL, 0x8086, 0x10d3, 0x020000, "e1000e", 3};
	struct errinfo e;
	char dir[512], rel[600];
	FILE *fp;

	if (!f || stree_new(f->root, sizeof(f->root)) < 0)
		return -1;
	stree_add_dev(f->root, &pf);
	stree_add_dev(f->root, &vf);
	stree_add_dev(f->root, &nic);
	stree_dev_attr(f->root, PF, "sriov_totalvfs", "8\n");
	stree_add_vf(f->root, PF, VF, 2);
	stree_dev_dir(f->root, PF, dir, sizeof(dir));
	snprintf(rel, sizeof(rel), "%s/net/enp1s0", dir);
	stree_mkdir(f->root, rel);
	snprintf(f->state, sizeof(f->state), "%s/nl", f->root);
	fp = fopen(f->state, "w");
	if (!fp)
		return -1;
	fputs("pf enp1s0 numvfs 4\nvf enp1s0 2 mac 02:00:00:00:00:02\n", fp);
	fclose(fp);
	f->l = vflink_open_fake(f->state, &e);
	*state = f;
	return f->l ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vflink_close(f->l);
	stree_free(f->root);
	free(f);
	return 0;
}

/* The VF's MAC as the fake backend has it now. */
static void vf_mac_now(struct fixture *f, uint8_t out[6])
{
	struct vf_link_info *vfs = NULL;
	const struct vf_link_info *v;
	struct errinfo e;
	int n = 0;

	assert_int_equal(vflink_get_vfs(f->l, "enp1s0", &vfs, &n, &e), 0);
	v = vflink_find(vfs, n, 2);
	assert_non_null(v);
	memcpy(out, v->mac, 6);
	free(vfs);
}

static void lease_sets_and_returns(void **state)
{
	static const uint8_t old[6] = {0x02, 0, 0, 0, 0, 0x02};
	struct fixture *f = *state;
	struct vf_mac_lease ls;
	struct errinfo e = {0};
	uint8_t now[6];

	assert_int_equal(vf_mac_lease(f->l, f->root, VF, MAC, &ls, &e), 0);
	assert_true(ls.held);
	assert_string_equal(ls.pf_ifname, "enp1s0");
	assert_int_equal(ls.vf, 2);
	vf_mac_now(f, now);
	assert_memory_equal(now, MAC, 6);
	assert_int_equal(vf_mac_return(f->l, &ls, &e), 0);
	assert_false(ls.held);
	vf_mac_now(f, now);
	assert_memory_equal(now, old, 6);
	/* once only: a second return changes nothing */
	assert_int_equal(vf_mac_return(f->l, &ls, &e), 0);
}

static void not_a_vf_refused(void **state)
{
	struct fixture *f = *state;
	struct vf_mac_lease ls;
	struct errinfo e = {0};

	assert_int_equal(vf_mac_lease(f->l, f->root, NIC, MAC, &ls, &e), -ENOTSUP);
	assert_non_null(strstr(e.msg, NIC " is not an SR-IOV VF"));
	assert_false(ls.held);
}

static void pf_without_netdev_refused(void **state)
{
	struct fixture *f = *state;
	struct vf_mac_lease ls;
	struct errinfo e = {0};
	char dir[512], rel[1024];

	stree_dev_dir(f->root, PF, dir, sizeof(dir));
	snprintf(rel, sizeof(rel), "%s%s/net/enp1s0", f->root, dir);
	assert_int_equal(rmdir(rel), 0);
	assert_int_equal(vf_mac_lease(f->l, f->root, VF, MAC, &ls, &e), -ENODEV);
	assert_non_null(strstr(e.msg, VF ": its PF " PF " has no network interface"));
}

static void driver_refusal_names_the_vf(void **state)
{
	struct fixture *f = *state;
	struct vf_mac_lease ls;
	struct errinfo e = {0};
	uint8_t now[6];
	FILE *fp = fopen(f->state, "a");

	assert_non_null(fp);
	fputs("fail enp1s0 mac EOPNOTSUPP always\n", fp);
	fclose(fp);
	assert_true(vf_mac_lease(f->l, f->root, VF, MAC, &ls, &e) < 0);
	assert_non_null(strstr(e.msg, VF ": setting its MAC to 52:54:00:12:34:56 through enp1s0"));
	assert_false(ls.held);
	vf_mac_now(f, now);
	assert_int_equal(now[5], 0x02); /* unchanged */
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(lease_sets_and_returns),
		T(not_a_vf_refused),
		T(pf_without_netdev_refused),
		T(driver_refusal_names_the_vf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
