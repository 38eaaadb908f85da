// SPDX-License-Identifier: GPL-2.0-only
/* PF/VF discovery and VF count changes against temp-dir sysfs trees. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "bind.h"
#include "helpers/sriov_tree.h"
#include "pci_dev.h"
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
		/* Every VF has it since Linux 5.12; writable only through a capable PF driver. */
		assert_int_equal(stree_dev_attr(root, bdf, "sriov_vf_msix_count", "0\n"), 0);
	}
}

static void read_vf_msix(const char *root, const char *bdf, char *buf, size_t size)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/sriov_vf_msix_count", bdf);
	assert_int_equal(stree_read(root, rel, buf, size), 0);
}

/* 3 existing VFs without drivers, autoprobe off, a PF driver with 64 vectors for VFs. */
static void msix_fixture(const char *root)
{
	add_vfs(root, 3);
	stree_dev_attr(root, PF, "sriov_numvfs", "3\n");
	stree_dev_attr(root, PF, "sriov_drivers_autoprobe", "0\n");
	stree_dev_attr(root, PF, "sriov_vf_total_msix", "64\n");
}

static void msix_set_on_unbound_vfs(void **state)
{
	struct fixture *f = *state;
	struct vf_count_opts o = {.autoprobe = -1, .msix_count = 16};
	struct vf_count_result r;
	struct errinfo e = {0};
	char buf[32];

	msix_fixture(f->root);
	struct stree_cfg c16 = {.pcie_type = 0, .msix_size = 16, .acs_ctrl = -1};
	uint8_t cfg[4096];

	/*
	 * VF 1's MSI-X Table Size already reads 16 (the write-only attribute
	 * cannot be read back): it must not be written again.
	 */
	stree_build_cfg(&c16, cfg);
	assert_int_equal(stree_config(f->root, "0000:01:10.2", cfg, sizeof(cfg)), 0);
	assert_int_equal(vf_count_set(f->root, PF, 3, &o, &r, &e), 0);
	assert_false(r.changed);
	assert_int_equal(r.msix_set, 2);
	read_vf_msix(f->root, "0000:01:10.0", buf, sizeof(buf));
	assert_string_equal(buf, "16");
	read_vf_msix(f->root, "0000:01:10.2", buf, sizeof(buf));
	assert_string_equal(buf, "0\n");
	read_vf_msix(f->root, "0000:01:10.4", buf, sizeof(buf));
	assert_string_equal(buf, "16");
}

static void msix_unsupported_pf_driver(void **state)
{
	struct fixture *f = *state;
	struct vf_count_opts o = {.autoprobe = -1, .msix_count = 4};
	struct vf_count_result r;
	struct errinfo e = {0};
	char buf[32];

	msix_fixture(f->root);
	/* The kernel shows 0 when the PF driver has no sriov_get_vf_total_msix. */
	stree_dev_attr(f->root, PF, "sriov_vf_total_msix", "0\n");
	assert_int_equal(vf_count_set(f->root, PF, 3, &o, &r, &e), -EOPNOTSUPP);
	assert_non_null(strstr(e.msg, "\"igb\" cannot change the VFs' MSI-X vector counts"));
	assert_non_null(strstr(e.hint, "mlx5_core"));
	read_vf_msix(f->root, "0000:01:10.0", buf, sizeof(buf));
	assert_string_equal(buf, "0\n");
}

static void msix_over_pool_changes_nothing(void **state)
{
	struct fixture *f = *state;
	struct vf_count_opts o = {.autoprobe = 0, .msix_count = 22};
	struct vf_count_result r;
	struct errinfo e = {0};
	char buf[32];

	msix_fixture(f->root);
	/* 3 x 22 = 66 > 64; also asks for 4 VFs: validation must stop before numvfs. */
	assert_int_equal(vf_count_set(f->root, PF, 4, &o, &r, &e), -ERANGE);
	assert_non_null(strstr(e.msg, "4 VFs x 22 MSI-X vectors = 88, more than the 64"));
	assert_non_null(strstr(e.hint, "at most 16 vectors per VF"));
	stree_read(f->root, "/sys/bus/pci/devices/" PF "/sriov_numvfs", buf, sizeof(buf));
	assert_string_equal(buf, "3\n");
}

static void msix_bound_vf_is_busy(void **state)
{
	struct fixture *f = *state;
	struct vf_count_opts o = {.autoprobe = -1, .msix_count = 8};
	struct vf_count_result r;
	struct errinfo e = {0};
	char buf[32];

	msix_fixture(f->root);
	assert_int_equal(stree_mkdir(f->root, "/sys/bus/pci/drivers/igbvf"), 0);
	assert_int_equal(stree_link(f->root, "/sys/devices/pci0000:00/0000:01:10.4/driver",
				    "/sys/bus/pci/drivers/igbvf"),
			 0);
	assert_int_equal(vf_count_set(f->root, PF, 3, &o, &r, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "VF 2 (0000:01:10.4) is bound to igbvf"));
	assert_non_null(strstr(e.hint, "vfctl unbind 0000:01:10.4"));
	/* Checked before any write: the unbound VFs keep their count too. */
	read_vf_msix(f->root, "0000:01:10.0", buf, sizeof(buf));
	assert_string_equal(buf, "0\n");
	assert_int_equal(r.msix_set, 0);
}

static void msix_new_vfs_need_autoprobe_off(void **state)
{
	struct fixture *f = *state;
	struct vf_count_opts o = {.autoprobe = 1, .msix_count = 8};
	struct vf_count_result r;
	struct errinfo e = {0};
	char buf[32];

	msix_fixture(f->root);
	assert_int_equal(vf_count_set(f->root, PF, 2, &o, &r, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "autoprobe on"));
	assert_non_null(strstr(e.hint, "--no-autoprobe"));
	stree_read(f->root, "/sys/bus/pci/devices/" PF "/sriov_numvfs", buf, sizeof(buf));
	assert_string_equal(buf, "3\n");
	stree_read(f->root, "/sys/bus/pci/devices/" PF "/sriov_drivers_autoprobe", buf,
		   sizeof(buf));
	assert_string_equal(buf, "0\n");
	/* No VFs at all: a vector count makes no sense. */
	o.autoprobe = 0;
	assert_int_equal(vf_count_set(f->root, PF, 0, &o, &r, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "no VFs are asked for"));
}

/* Kernel stand-in for the numvfs write: the new VFs appear (without drivers). */
static int create_vfs(const char *root, const char *pf, unsigned nvfs, struct errinfo *e)
{
	(void)pf, (void)e;
	add_vfs(root, (int)nvfs);
	return 0;
}

static void msix_set_after_creating_vfs(void **state)
{
	static const struct vf_count_hooks hooks = {create_vfs, NULL};
	struct fixture *f = *state;
	struct vf_count_opts o = {.autoprobe = 0, .msix_count = 8, .hooks = &hooks};
	struct vf_count_result r;
	struct errinfo e = {0};
	char buf[32];
	int i;

	stree_dev_attr(f->root, PF, "sriov_vf_total_msix", "32\n");
	assert_int_equal(vf_count_set(f->root, PF, 4, &o, &r, &e), 0);
	assert_true(r.changed);
	assert_true(r.autoprobe_changed);
	assert_int_equal(r.msix_set, 4);
	for (i = 0; i < 4; i++) {
		char bdf[BDF_LEN];

		snprintf(bdf, sizeof(bdf), "0000:01:%02x.%d", 0x10 + (2 * i) / 8, (2 * i) % 8);
		read_vf_msix(f->root, bdf, buf, sizeof(buf));
		assert_string_equal(buf, "8");
	}
}

static void pf_read_with_vfs(void **state)
{
	struct fixture *f = *state;
	struct sriov_pf pf;
	struct pcidev d;
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

	/* VF index from offset/stride, confirmed by the link... */
	assert_int_equal(pcidev_read(f->root, "0000:01:11.0", &d, NULL), 0);
	assert_true(d.is_vf);
	assert_int_equal(d.vf_index, 4);
	/* ...and found by the links alone when the arithmetic disagrees with them. */
	stree_dev_attr(f->root, PF, "sriov_offset", "130\n");
	assert_int_equal(pcidev_read(f->root, "0000:01:11.0", &d, NULL), 0);
	assert_int_equal(d.vf_index, 4);
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

/* sriov_totalvfs below the capability's TotalVFs: the driver, not the firmware, set the cap. */
static void count_cap_lowered_by_driver(void **state)
{
	struct stree_cfg c = {.pcie_type = 0, .msix_size = 10, .sriov_total = 64, .acs_ctrl = -1};
	struct fixture *f = *state;
	struct vf_count_opts o = {.autoprobe = -1};
	struct vf_count_result r;
	struct errinfo e;
	uint8_t cfg[4096];

	stree_build_cfg(&c, cfg);
	assert_int_equal(stree_config(f->root, PF, cfg, sizeof(cfg)), 0);
	assert_int_equal(vf_count_set(f->root, PF, 8, &o, &r, &e), -ERANGE);
	assert_non_null(
		strstr(e.hint, "capability offers 64 VFs but the PF driver limits it to 7"));
	/* Capability and sysfs agree: the firmware is the limit. */
	stree_dev_attr(f->root, PF, "sriov_totalvfs", "64\n");
	assert_int_equal(vf_count_set(f->root, PF, 65, &o, &r, &e), -ERANGE);
	assert_non_null(strstr(e.hint, "device firmware/NVM"));
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

/* ---- remembered drivers of removed VFs (bind.h state) ---- */

#define VF0 "0000:01:10.0"
#define VF1 "0000:01:10.2"
#define VF2 "0000:01:10.4"
#define VF3 "0000:01:10.6"
#define OTHER "0000:02:00.0"

static void remember(const char *root, const char *bdf)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "/state/drivers/%s", bdf);
	assert_int_equal(stree_write(root, rel, "driver=igbvf\noverride=\n"), 0);
}

static bool remembered(const char *root, const char *bdf)
{
	char rel[128], buf[64];

	snprintf(rel, sizeof(rel), "/state/drivers/%s", bdf);
	return stree_read(root, rel, buf, sizeof(buf)) == 0;
}

/*
 * 3 VFs, VF 2's virtfn link missing (its BDF comes from offset/stride); a
 * record for each, one for a VF index the PF does not have and one for
 * another device.  Removing the VFs drops exactly the three.
 */
static void removal_forgets_removed_vfs(void **state)
{
	struct fixture *f = *state;
	struct vf_count_opts o = {.autoprobe = -1};
	struct vf_count_result r;
	struct errinfo e = {0};
	char sdir[300];

	snprintf(sdir, sizeof(sdir), "%s/state", f->root);
	o.state_dir = sdir;
	add_vfs(f->root, 2);
	stree_dev_attr(f->root, PF, "sriov_numvfs", "3\n");
	remember(f->root, VF0);
	remember(f->root, VF1);
	remember(f->root, VF2);
	remember(f->root, VF3);
	remember(f->root, OTHER);
	assert_int_equal(vf_count_set(f->root, PF, 0, &o, &r, &e), 0);
	assert_true(r.wrote_zero);
	assert_int_equal(r.forgotten, 3);
	assert_false(remembered(f->root, VF0));
	assert_false(remembered(f->root, VF1));
	assert_false(remembered(f->root, VF2));
	assert_true(remembered(f->root, VF3));
	assert_true(remembered(f->root, OTHER));
}

static bool vf0_remembered_at_prepare;
static char *prepare_root;

static int prepare_check_state(const char *root, const char *pf, unsigned nvfs, struct errinfo *e)
{
	vf0_remembered_at_prepare = remembered(prepare_root, VF0);
	return fake_prepare(root, pf, nvfs, e);
}

/* 2 -> 4: the old VFs' records are gone before the new VFs (same BDFs) appear. */
static void count_change_forgets_old_vfs_first(void **state)
{
	static const struct vf_count_hooks hooks = {prepare_check_state, NULL};
	struct fixture *f = *state;
	struct vf_count_opts o = {.autoprobe = 0, .hooks = &hooks};
	struct vf_count_result r;
	struct errinfo e = {0};
	char sdir[300];

	snprintf(sdir, sizeof(sdir), "%s/state", f->root);
	o.state_dir = sdir;
	prepare_root = f->root;
	add_vfs(f->root, 2);
	stree_dev_attr(f->root, PF, "sriov_numvfs", "2\n");
	remember(f->root, VF0);
	remember(f->root, VF1);
	vf0_remembered_at_prepare = true;
	assert_int_equal(vf_count_set(f->root, PF, 4, &o, &r, &e), 0);
	assert_false(vf0_remembered_at_prepare);
	assert_int_equal(r.after, 4);
	assert_int_equal(r.forgotten, 2);
	assert_false(remembered(f->root, VF0));
	assert_false(remembered(f->root, VF1));
}

/* No removal, no forgetting: dry run, same count, no state dir given. */
static void no_removal_keeps_records(void **state)
{
	struct fixture *f = *state;
	struct vf_count_opts o = {.autoprobe = -1};
	struct vf_count_result r;
	struct errinfo e = {0};
	char sdir[300], buf[16];

	snprintf(sdir, sizeof(sdir), "%s/state", f->root);
	add_vfs(f->root, 2);
	stree_dev_attr(f->root, PF, "sriov_numvfs", "2\n");
	remember(f->root, VF0);
	remember(f->root, VF1);
	o.state_dir = sdir;
	o.dry_run = true;
	assert_int_equal(vf_count_set(f->root, PF, 0, &o, &r, &e), 0);
	o.dry_run = false;
	assert_int_equal(vf_count_set(f->root, PF, 2, &o, &r, &e), 0);
	assert_false(r.changed);
	assert_true(remembered(f->root, VF0));
	assert_true(remembered(f->root, VF1));
	o.state_dir = NULL;
	assert_int_equal(vf_count_set(f->root, PF, 0, &o, &r, &e), 0);
	assert_true(r.wrote_zero);
	assert_int_equal(r.forgotten, 0);
	stree_read(f->root, "/sys/bus/pci/devices/" PF "/sriov_numvfs", buf, sizeof(buf));
	assert_string_equal(buf, "0");
	assert_true(remembered(f->root, VF0));
	assert_true(remembered(f->root, VF1));
}

/*
 * The removal itself fails: the records stay.  A plain file takes any write,
 * so sriov_numvfs points at a read-only sysctl (reads a number, refuses
 * writes even to root, like a kernel attribute without a store method).
 */
static void failed_removal_keeps_records(void **state)
{
	struct fixture *f = *state;
	struct vf_count_opts o = {.autoprobe = -1};
	struct vf_count_result r;
	struct errinfo e = {0};
	char sdir[300], path[512];

	snprintf(sdir, sizeof(sdir), "%s/state", f->root);
	o.state_dir = sdir;
	add_vfs(f->root, 2);
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/" PF "/sriov_numvfs", f->root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("/proc/sys/kernel/cap_last_cap", path), 0);
	remember(f->root, VF0);
	remember(f->root, VF1);
	assert_int_equal(vf_count_set(f->root, PF, 0, &o, &r, &e), -EACCES);
	assert_non_null(strstr(e.msg, "sriov_numvfs"));
	assert_false(r.wrote_zero);
	assert_int_equal(r.forgotten, 0);
	assert_true(remembered(f->root, VF0));
	assert_true(remembered(f->root, VF1));
}

/* A record that cannot be dropped fails the call after the count changed; the rest are dropped. */
static void forget_failure_reported_after_change(void **state)
{
	struct fixture *f = *state;
	struct vf_count_opts o = {.autoprobe = -1};
	struct vf_count_result r;
	struct errinfo e = {0};
	char sdir[300];

	snprintf(sdir, sizeof(sdir), "%s/state", f->root);
	o.state_dir = sdir;
	add_vfs(f->root, 2);
	stree_dev_attr(f->root, PF, "sriov_numvfs", "2\n");
	/* A directory where VF 0's record belongs: unlink() answers EISDIR. */
	assert_int_equal(stree_write(f->root, "/state/drivers/" VF0 "/x", ""), 0);
	remember(f->root, VF1);
	assert_int_equal(vf_count_set(f->root, PF, 0, &o, &r, &e), -EISDIR);
	assert_true(r.changed);
	assert_int_equal(r.after, 0);
	assert_int_equal(r.forgotten, 1);
	assert_false(remembered(f->root, VF1));
	assert_non_null(strstr(e.msg, PF ": VF count changed 2 -> 0, but"));
	assert_non_null(strstr(e.msg, "cannot forget the remembered driver of " VF0));
	assert_non_null(strstr(e.hint, "remove that file by hand"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(pf_read_with_vfs, setup, teardown),
		cmocka_unit_test_setup_teardown(not_a_pf, setup, teardown),
		cmocka_unit_test_setup_teardown(count_above_total_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(count_cap_lowered_by_driver, setup, teardown),
		cmocka_unit_test_setup_teardown(count_needs_pf_driver, setup, teardown),
		cmocka_unit_test_setup_teardown(count_change_writes_zero_first, setup, teardown),
		cmocka_unit_test_setup_teardown(count_same_value_is_noop, setup, teardown),
		cmocka_unit_test_setup_teardown(count_missing_links_time_out, setup, teardown),
		cmocka_unit_test_setup_teardown(count_dry_run_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(msix_set_on_unbound_vfs, setup, teardown),
		cmocka_unit_test_setup_teardown(msix_unsupported_pf_driver, setup, teardown),
		cmocka_unit_test_setup_teardown(msix_over_pool_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(msix_bound_vf_is_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(msix_new_vfs_need_autoprobe_off, setup, teardown),
		cmocka_unit_test_setup_teardown(msix_set_after_creating_vfs, setup, teardown),
		cmocka_unit_test_setup_teardown(removal_forgets_removed_vfs, setup, teardown),
		cmocka_unit_test_setup_teardown(count_change_forgets_old_vfs_first, setup,
						teardown),
		cmocka_unit_test_setup_teardown(no_removal_keeps_records, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_removal_keeps_records, setup, teardown),
		cmocka_unit_test_setup_teardown(forget_failure_reported_after_change, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
