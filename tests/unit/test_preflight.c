// SPDX-License-Identifier: GPL-2.0-only
/*
 * The one pre-flight engine (src/host/preflight.c): the report and its
 * words, and the questions asked for vfctl (a device going to a VM) and for
 * a VMM (vfvm: the driver, ,managed, the VF token).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "preflight.h"
#include "helpers/sriov_tree.h"

#define PF "0000:01:00.0"
#define VF "0000:01:00.1"
#define EP "0000:02:00.0"
#define EP2 "0000:02:00.1"

static void add_dev(const char *root, const char *bdf, const char *driver, int group)
{
	struct stree_dev d = {.bdf = bdf,
			      .vendor = 0x8086,
			      .device = 0x10d3,
			      .class_code = 0x020000,
			      .driver = driver,
			      .group = group};

	assert_int_equal(stree_add_dev(root, &d), 0);
}

static void relink_driver(const char *root, const char *bdf, const char *driver)
{
	char rel[256], abs[600];

	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s/driver", bdf);
	snprintf(abs, sizeof(abs), "%s%s", root, rel);
	unlink(abs);
	snprintf(abs, sizeof(abs), "/sys/bus/pci/drivers/%s", driver);
	assert_int_equal(stree_mkdir(root, abs), 0);
	assert_int_equal(stree_link(root, rel, abs), 0);
}

static int setup(void **state)
{
	static char root[256];

	if (stree_new(root, sizeof(root)))
		return -1;
	add_dev(root, PF, "igb", 3);
	stree_dev_attr(root, PF, "sriov_totalvfs", "7\n");
	stree_dev_attr(root, PF, "sriov_numvfs", "0\n");
	stree_dev_attr(root, PF, "reset_method", "flr\n");
	add_dev(root, VF, "igbvf", 4);
	stree_add_vf(root, PF, VF, 0);
	stree_dev_attr(root, VF, "reset_method", "flr\n");
	add_dev(root, EP, "vfio-pci", 5);
	add_dev(root, EP2, "e1000e", 5);
	stree_dev_attr(root, EP, "reset_method", "bus\n");
	stree_mkdir(root, "/sys/class/iommu/dmar0");
	stree_mkdir(root, "/sys/bus/pci/drivers/vfio-pci");
	stree_write(root, "/proc/interrupts", " 24:  0  IR-PCI-MSI 1048576-edge  eno1\n");
	stree_write(root, "/dev/vfio/5", "");
	*state = root;
	return 0;
}

static int teardown(void **state)
{
	stree_free(*state);
	return 0;
}

static void report_and_words(void **state)
{
	struct preflight_report r;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_string_equal(preflight_status_name(PREFLIGHT_OK), "ok");
	assert_string_equal(preflight_status_name(PREFLIGHT_WARN), "warn");
	assert_string_equal(preflight_status_name(PREFLIGHT_FAIL), "fail");
	preflight_add(&r, "iova", PREFLIGHT_OK, NULL, "guest RAM at %d", 0);
	assert_true(preflight_ready(&r));
	preflight_add(&r, "reset", PREFLIGHT_WARN, "prefer FLR", "no reset method");
	assert_true(preflight_ready(&r));
	preflight_add(&r, "memlock", PREFLIGHT_FAIL, "ulimit -l", "%d MiB over", 12);
	assert_false(preflight_ready(&r));
	assert_int_equal(r.n, 3);
	assert_int_equal(r.n_warn, 1);
	assert_int_equal(r.n_fail, 1);
	assert_string_equal(preflight_find(&r, "iova")->fix, "");
	assert_string_equal(preflight_find(&r, "memlock")->detail, "12 MiB over");
	assert_null(preflight_find(&r, "acs"));
	/* a full report keeps counting, and never writes past its items */
	for (int i = 0; i < PREFLIGHT_MAX_ITEMS; i++)
		assert_non_null(preflight_add(&r, "x", PREFLIGHT_FAIL, NULL, "item %d", i));
	assert_int_equal(r.n, PREFLIGHT_MAX_ITEMS);
	assert_int_equal(r.n_fail, PREFLIGHT_MAX_ITEMS + 1);
}

static void vfctl_and_vmm_questions(void **state)
{
	const char *root = *state;
	struct preflight_opts host = {0}, vmm = {.vmm = true},
			      managed = {.vmm = true, .managed = true};
	struct preflight_report r;

	/* EP is on vfio-pci but EP2 shares its group on e1000e */
	assert_int_equal(preflight_device(root, EP, &host, &r, NULL), 0);
	assert_int_equal(r.group, 5);
	assert_int_equal(preflight_find(&r, "iommu-group")->status, PREFLIGHT_FAIL);
	assert_null(strstr(preflight_find(&r, "iommu-group")->fix, "managed"));
	assert_null(preflight_find(&r, "driver"));
	assert_int_equal(preflight_device(root, EP, &vmm, &r, NULL), 0);
	assert_int_equal(preflight_find(&r, "iommu-group")->status, PREFLIGHT_FAIL);
	assert_non_null(strstr(preflight_find(&r, "iommu-group")->fix, ",managed"));
	assert_int_equal(preflight_find(&r, "driver")->status, PREFLIGHT_OK);
	assert_string_equal(preflight_find(&r, "driver")->detail, EP " is bound to vfio-pci");
	/* managed takes the sibling too: said, not a failure */
	assert_int_equal(preflight_device(root, EP, &managed, &r, NULL), 0);
	assert_int_equal(preflight_find(&r, "iommu-group")->status, PREFLIGHT_WARN);
	assert_non_null(strstr(preflight_find(&r, "iommu-group")->detail, EP2 " (e1000e)"));
	assert_true(preflight_ready(&r));

	/* the VF on igbvf: a VMM needs it on vfio-pci unless managed */
	assert_int_equal(preflight_device(root, VF, &vmm, &r, NULL), 0);
	assert_int_equal(preflight_find(&r, "driver")->status, PREFLIGHT_FAIL);
	assert_string_equal(preflight_find(&r, "driver")->fix,
			    "vfctl bind " VF " vfio-pci, or add ,managed");
	assert_null(preflight_find(&r, "vf-token"));
	assert_int_equal(preflight_device(root, VF, &managed, &r, NULL), 0);
	assert_int_equal(preflight_find(&r, "driver")->status, PREFLIGHT_OK);
	assert_true(preflight_ready(&r));

	/* on vfio-pci without its /dev/vfio node */
	relink_driver(root, VF, "vfio-pci");
	assert_int_equal(preflight_device(root, VF, &vmm, &r, NULL), 0);
	assert_int_equal(preflight_find(&r, "driver")->status, PREFLIGHT_FAIL);
	assert_non_null(strstr(preflight_find(&r, "driver")->detail, "/dev/vfio/4"));
	stree_write(root, "/dev/vfio/4", "");
	assert_int_equal(preflight_device(root, VF, &vmm, &r, NULL), 0);
	assert_int_equal(preflight_find(&r, "driver")->status, PREFLIGHT_OK);

	/* the PF on vfio-pci: its VF needs the PF's token */
	relink_driver(root, PF, "vfio-pci");
	assert_int_equal(preflight_device(root, VF, &host, &r, NULL), 0);
	assert_int_equal(preflight_find(&r, "vf-token")->status, PREFLIGHT_WARN);
	assert_int_equal(preflight_device(root, VF, &vmm, &r, NULL), 0);
	assert_int_equal(preflight_find(&r, "vf-token")->status, PREFLIGHT_FAIL);
	assert_non_null(strstr(preflight_find(&r, "vf-token")->fix, ",vf-token=UUID"));
	/* the same fact, the same words, for both programs */
	{
		char vfctl_words[512];
		struct preflight_report r2;

		assert_int_equal(preflight_device(root, VF, &host, &r2, NULL), 0);
		snprintf(vfctl_words, sizeof(vfctl_words), "%s",
			 preflight_find(&r2, "vf-token")->detail);
		assert_string_equal(preflight_find(&r, "vf-token")->detail, vfctl_words);
	}
	vmm.vf_token = true;
	assert_int_equal(preflight_device(root, VF, &vmm, &r, NULL), 0);
	assert_int_equal(preflight_find(&r, "vf-token")->status, PREFLIGHT_OK);
	assert_true(preflight_ready(&r));
}

static void device_questions(void **state)
{
	const char *root = *state;
	struct preflight_report r;

	/* a PF with VFs enabled: vfio-pci refuses it */
	stree_dev_attr(root, PF, "sriov_numvfs", "1\n");
	assert_int_equal(preflight_device(root, PF, NULL, &r, NULL), 0);
	assert_int_equal(r.items[0].status, PREFLIGHT_FAIL);
	assert_string_equal(r.items[0].id, "device");
	assert_non_null(strstr(r.items[0].fix, "vfctl vfs " PF " 0"));
	/* no IOMMU: said first, then the group that cannot exist */
	stree_free(root);
	assert_int_equal(stree_new((char *)root, 256), 0);
	add_dev(root, EP, "e1000e", -1);
	stree_write(root, "/proc/interrupts", " 24:  0  PCI-MSI 1048576-edge  eno1\n");
	assert_int_equal(preflight_device(root, EP, NULL, &r, NULL), 0);
	assert_int_equal(preflight_find(&r, "device")->status, PREFLIGHT_OK);
	assert_int_equal(preflight_find(&r, "iommu")->status, PREFLIGHT_FAIL);
	assert_int_equal(preflight_find(&r, "iommu-group")->status, PREFLIGHT_FAIL);
	assert_int_equal(r.group, -1);
	/* no such device: one item */
	assert_int_equal(preflight_device(root, "0000:7f:1f.7", NULL, &r, NULL), 0);
	assert_int_equal(r.n, 1);
	assert_false(preflight_ready(&r));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(report_and_words),
		cmocka_unit_test_setup_teardown(vfctl_and_vmm_questions, setup, teardown),
		cmocka_unit_test_setup_teardown(device_questions, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
