// SPDX-License-Identifier: GPL-2.0-only
/* PF/VF discovery and VF count changes against temp-dir sysfs trees. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "helpers/sriov_tree.h"
#include "sriov_pf.h"
#include "vf_count.h"

#define PF "0000:01:00.0"

struct fixture {
	char root[256];
};

static int setup(void **state)
{
	struct stree_dev pf = {PF, NULL, 0x8086, 0x10c9, 0x020000, "igb", 5};
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || stree_new(f->root, sizeof(f->root)) || stree_add_dev(f->root, &pf))
		return -1;
	stree_dev_attr(f->root, PF, "sriov_totalvfs", "7\n");
	stree_dev_attr(f->root, PF, "sriov_numvfs", "0\n");
	stree_dev_attr(f->root, PF, "sriov_offset", "128\n");
	stree_dev_attr(f->root, PF, "sriov_stride", "2\n");
	stree_dev_attr(f->root, PF, "sriov_vf_device", "10ca\n");
	stree_dev_attr(f->root, PF, "sriov_drivers_autoprobe", "1\n");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	stree_free(f->root);
	free(f);
	return 0;
}

static void add_vfs(const char *root, int n)
{
	char bdf[BDF_LEN];
	unsigned int i;

	for (i = (unsigned int)n; i-- > 0;) {
		struct stree_dev vf = {bdf, NULL, 0x8086, 0x10ca, 0x020000, NULL, 10 + (int)i};

		/* offset 128, stride 2 from 01:00.0 -> 01:10.0, 01:10.2, ... */
		snprintf(bdf, sizeof(bdf), "0000:01:%02x.%u", (0x10 + (2 * i) / 8) & 0x1f,
			 (2 * i) % 8);
		assert_int_equal(stree_add_dev(root, &vf), 0);
		assert_int_equal(stree_add_vf(root, PF, bdf, (int)i), 0);
	}
}

static void pf_read_with_vfs(void **state)
{
	struct fixture *f = *state;
	struct sriov_pf pf;
	char bdf[BDF_LEN];
	int i;

	add_vfs(f->root, 5);
	stree_dev_attr(f->root, PF, "sriov_numvfs", "5\n");
	assert_int_equal(sriov_pf_read(f->root, PF, &pf, NULL), 0);
	assert_int_equal(pf.totalvfs, 7);
	assert_int_equal(pf.numvfs, 5);
	assert_int_equal(pf.offset, 128);
	assert_int_equal(pf.stride, 2);
	assert_int_equal(pf.autoprobe, 1);
	assert_int_equal(pf.vf_total_msix, -1);
	assert_int_equal(pf.n_vfs, 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(pf.vfs[i].index, i);
		/* The links the kernel made agree with offset/stride arithmetic. */
		assert_int_equal(sriov_vf_bdf(&pf, i, bdf), 0);
		assert_string_equal(pf.vfs[i].bdf, bdf);
	}
	assert_string_equal(pf.vfs[4].bdf, "0000:01:11.0");
	assert_int_equal(sriov_count_vf_links(f->root, PF, 7), 5);
	sriov_pf_free(&pf);
}

static void not_a_pf(void **state)
{
	struct fixture *f = *state;
	struct stree_dev nic = {"0000:02:00.0", NULL, 0x8086, 0x10d3, 0x020000, "e1000e", 7};
	struct sriov_pf pf;
	struct errinfo e;
	char(*list)[BDF_LEN];
	int n;

	assert_int_equal(stree_add_dev(f->root, &nic), 0);
	add_vfs(f->root, 1);
	assert_int_equal(sriov_pf_read(f->root, "0000:02:00.0", &pf, &e), -ENOTSUP);
	assert_non_null(strstr(e.msg, "0000:02:00.0 is not an SR-IOV physical function"));
	/* A VF is named as such, with its PF. */
	assert_int_equal(sriov_pf_read(f->root, "0000:01:10.0", &pf, &e), -ENOTSUP);
	assert_non_null(strstr(e.hint, "its PF is 0000:01:00.0"));
	assert_int_equal(sriov_pf_read(f->root, "0000:03:00.0", &pf, &e), -ENODEV);

	assert_int_equal(sriov_pf_list(f->root, &list, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0], PF);
	free(list);
}

static void count_above_total_changes_nothing(void **state)
{
	struct fixture *f = *state;
	struct vf_count_opts o = {.autoprobe = 0, .wait_ms = 0};
	struct vf_count_result r;
	struct errinfo e;
	char buf[32];

	assert_int_equal(vf_count_set(f->root, PF, 8, &o, &r, &e), -ERANGE);
	assert_non_null(strstr(e.msg, "8 VFs asked, the device allows at most 7"));
	assert_non_null(strstr(e.hint, "firmware"));
	assert_int_equal(
		stree_read(f->root, "/sys/bus/pci/devices/" PF "/sriov_numvfs", buf, sizeof(buf)),
		0);
	assert_string_equal(buf, "0\n");
	/* Autoprobe is not touched either: validation comes before any write. */
	stree_read(f->root, "/sys/bus/pci/devices/" PF "/sriov_drivers_autoprobe", buf,
		   sizeof(buf));
	assert_string_equal(buf, "1\n");
}

static void count_needs_pf_driver(void **state)
{
	struct fixture *f = *state;
	struct vf_count_opts o = {.autoprobe = -1};
	struct vf_count_result r;
	struct errinfo e;

	char path[512];

	snprintf(path, sizeof(path), "%s/sys/devices/pci0000:00/%s/driver", f->root, PF);
	assert_int_equal(remove(path), 0);
	assert_int_equal(vf_count_set(f->root, PF, 2, &o, &r, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "has no driver bound"));
	/* Removing VFs (N = 0) needs no driver. */
	assert_int_equal(vf_count_set(f->root, PF, 0, &o, &r, &e), 0);
	assert_false(r.changed);
}

/* Kernel stand-in: when the prepare hook runs, numvfs must already be 0; create the links the write
 * would. */
static int seen_before_write;
static unsigned int online_n;

static int fake_prepare(const char *root, const char *pf, unsigned nvfs, struct errinfo *e)
{
	char buf[32];

	(void)e;
	stree_read(root, "/sys/bus/pci/devices/" PF "/sriov_numvfs", buf, sizeof(buf));
	seen_before_write = atoi(buf);
	assert_string_equal(pf, PF);
	add_vfs(root, (int)nvfs);
	return 0;
}

static int fake_online(const char *root, const char *pf, unsigned nvfs, struct errinfo *e)
{
	(void)root, (void)pf, (void)e;
	online_n = nvfs;
	return 0;
}

static void count_change_writes_zero_first(void **state)
{
	static const struct vf_count_hooks hooks = {fake_prepare, fake_online};
	struct fixture *f = *state;
	struct vf_count_opts o = {.autoprobe = 0, .wait_ms = 0, .hooks = &hooks};
	struct vf_count_result r;
	struct errinfo e;
	char buf[32];

	add_vfs(f->root, 2);
	stree_dev_attr(f->root, PF, "sriov_numvfs", "2\n");
	seen_before_write = -1;
	online_n = 0;
	assert_int_equal(vf_count_set(f->root, PF, 4, &o, &r, &e), 0);
	assert_int_equal(seen_before_write, 0);
	assert_true(r.wrote_zero);
	assert_true(r.changed);
	assert_true(r.autoprobe_changed);
	assert_int_equal(r.before, 2);
	assert_int_equal(r.after, 4);
	assert_int_equal(r.links, 4);
	assert_int_equal(online_n, 4);
	stree_read(f->root, "/sys/bus/pci/devices/" PF "/sriov_drivers_autoprobe", buf,
		   sizeof(buf));
	assert_int_equal(buf[0], '0');
}

static void count_same_value_is_noop(void **state)
{
	struct fixture *f = *state;
	struct vf_count_opts o = {.autoprobe = -1};
	struct vf_count_result r;

	char buf[32];

	add_vfs(f->root, 3);
	/* "03" reads as 3; any write of "3" or "0" would change the bytes. */
	stree_dev_attr(f->root, PF, "sriov_numvfs", "03\n");
	assert_int_equal(vf_count_set(f->root, PF, 3, &o, &r, NULL), 0);
	assert_false(r.changed);
	assert_int_equal(r.links, 3);
	stree_read(f->root, "/sys/bus/pci/devices/" PF "/sriov_numvfs", buf, sizeof(buf));
	assert_string_equal(buf, "03\n");
}

static void count_missing_links_time_out(void **state)
{
	struct fixture *f = *state;
	struct vf_count_opts o = {.autoprobe = -1, .wait_ms = 0};
	struct vf_count_result r;
	struct errinfo e;

	/* A plain file takes the write but no kernel creates virtfn links. */
	assert_int_equal(vf_count_set(f->root, PF, 2, &o, &r, &e), -ETIMEDOUT);
	assert_non_null(strstr(e.msg, "only 0 of the virtfn links"));
	assert_non_null(strstr(e.hint, "--wait"));
}

static void count_dry_run_writes_nothing(void **state)
{
	struct fixture *f = *state;
	struct vf_count_opts o = {.autoprobe = 0, .dry_run = true};
	struct vf_count_result r;
	char buf[32];

	assert_int_equal(vf_count_set(f->root, PF, 4, &o, &r, NULL), 0);
	assert_false(r.changed);
	stree_read(f->root, "/sys/bus/pci/devices/" PF "/sriov_numvfs", buf, sizeof(buf));
	assert_string_equal(buf, "0\n");
	stree_read(f->root, "/sys/bus/pci/devices/" PF "/sriov_drivers_autoprobe", buf,
		   sizeof(buf));
	assert_string_equal(buf, "1\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(pf_read_with_vfs, setup, teardown),
		cmocka_unit_test_setup_teardown(not_a_pf, setup, teardown),
		cmocka_unit_test_setup_teardown(count_above_total_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(count_needs_pf_driver, setup, teardown),
		cmocka_unit_test_setup_teardown(count_change_writes_zero_first, setup, teardown),
		cmocka_unit_test_setup_teardown(count_same_value_is_noop, setup, teardown),
		cmocka_unit_test_setup_teardown(count_missing_links_time_out, setup, teardown),
		cmocka_unit_test_setup_teardown(count_dry_run_writes_nothing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
