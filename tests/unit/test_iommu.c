// SPDX-License-Identifier: GPL-2.0-only
/* IOMMU groups, ACS path, interrupt remapping, host use and the check verdicts. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "preflight.h"
#include "helpers/sriov_tree.h"
#include "hostuse.h"
#include "iommu.h"
#include "pci_caps.h"

#define PORT "0000:00:02.0"
#define EP "0000:01:00.0"
#define EP2 "0000:01:00.1"
#define NVME "0000:03:00.0"

struct fixture {
	char root[256];
};

/* A root port (group 1) with a two-function endpoint below it sharing group 2. */
static int setup(void **state)
{
	struct stree_dev port = {PORT, NULL, 0x8086, 0x7c10, 0x060400, "pcieport", 1};
	struct stree_dev ep = {EP, PORT, 0x8086, 0x10d3, 0x020000, "e1000e", 2};
	struct stree_dev ep2 = {EP2, PORT, 0x8086, 0x10d3, 0x020000, "e1000e", 2};
	struct stree_cfg pc = {.pcie_type = PCIE_TYPE_ROOT_PORT, .acs_ctrl = 0x1f, .acs_cap = 0x1f};
	struct stree_cfg ec = {
		.pcie_type = PCIE_TYPE_ENDPOINT, .flr = 1, .msix_size = 5, .acs_ctrl = -1};
	struct fixture *f = calloc(1, sizeof(*f));
	uint8_t cfg[4096];

	if (!f || stree_new(f->root, sizeof(f->root)) || stree_add_dev(f->root, &port) ||
	    stree_add_dev(f->root, &ep) || stree_add_dev(f->root, &ep2))
		return -1;
	stree_build_cfg(&pc, cfg);
	stree_config(f->root, PORT, cfg, sizeof(cfg));
	stree_build_cfg(&ec, cfg);
	stree_config(f->root, EP, cfg, sizeof(cfg));
	stree_config(f->root, EP2, cfg, sizeof(cfg));
	stree_mkdir(f->root, "/sys/class/iommu/dmar0");
	stree_mkdir(f->root, "/sys/bus/pci/drivers/vfio-pci");
	stree_write(f->root, "/proc/interrupts",
		    "           CPU0\n 24:  5  IR-PCI-MSIX-0000:01:00.0  0-edge  eno1\n");
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

static void iommu_and_remapping(void **state)
{
	struct fixture *f = *state;
	char root2[256];

	assert_true(iommu_enabled(f->root));
	assert_int_equal(iommu_irq_remapping(f->root), IOMMU_IR_ON);
	stree_write(f->root, "/proc/interrupts", " 24:  5  PCI-MSIX-0000:01:00.0  0-edge  eno1\n");
	assert_int_equal(iommu_irq_remapping(f->root), IOMMU_IR_OFF);
	assert_false(iommu_unsafe_interrupts_allowed(f->root));
	stree_write(f->root, "/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts",
		    "Y\n");
	assert_true(iommu_unsafe_interrupts_allowed(f->root));

	assert_int_equal(stree_new(root2, sizeof(root2)), 0);
	assert_false(iommu_enabled(root2));
	assert_int_equal(iommu_irq_remapping(root2), IOMMU_IR_UNKNOWN);
	stree_free(root2);
}

static void vfio_driver_names(void **state)
{
	(void)state;
	assert_true(iommu_driver_is_vfio("vfio-pci"));
	assert_true(iommu_driver_is_vfio("pci-stub"));
	assert_true(iommu_driver_is_vfio("mlx5_vfio_pci"));
	assert_false(iommu_driver_is_vfio("vfio_pci")); /* not a real driver name */
	assert_false(iommu_driver_is_vfio("igbvf"));
	assert_false(iommu_driver_is_vfio(""));
}

static void group_viability(void **state)
{
	struct fixture *f = *state;
	const char *moving[] = {EP2};
	struct iommu_group g;
	struct errinfo e;

	assert_int_equal(iommu_group_read(f->root, EP, NULL, 0, &g, &e), 0);
	assert_int_equal(g.group, 2);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.members[0].bdf, EP);
	assert_string_equal(g.members[1].bdf, EP2);
	assert_false(g.members[0].blocking); /* the device itself is the one being moved */
	assert_true(g.members[1].blocking);
	assert_false(g.viable);
	iommu_group_free(&g);

	assert_int_equal(iommu_group_read(f->root, EP, moving, 1, &g, &e), 0);
	assert_true(g.viable);
	iommu_group_free(&g);

	/* The port's own group: a bridge only, tolerated. */
	assert_int_equal(iommu_group_read(f->root, PORT, NULL, 0, &g, &e), 0);
	assert_true(g.members[0].bridge);
	assert_true(g.viable);
	iommu_group_free(&g);
}

static void acs_path_walk(void **state)
{
	struct fixture *f = *state;
	struct stree_cfg pc = {
		.pcie_type = PCIE_TYPE_ROOT_PORT, .acs_ctrl = ACS_SV, .acs_cap = 0x1f};
	struct acs_path p;
	uint8_t cfg[4096];

	assert_int_equal(iommu_acs_path(f->root, EP, &p, NULL), 0);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.ports[0].bdf, PORT);
	assert_true(p.isolated);

	stree_build_cfg(&pc, cfg);
	stree_config(f->root, PORT, cfg, sizeof(cfg));
	assert_int_equal(iommu_acs_path(f->root, EP, &p, NULL), 0);
	assert_true(p.ports[0].has_acs);
	assert_false(p.ports[0].isolates);
	assert_false(p.isolated);
}

static void nvme_mounted_partition(void **state)
{
	struct fixture *f = *state;
	struct stree_dev nvme = {NVME, NULL, 0x1b36, 0x0010, 0x010802, "nvme", 4};
	char dir[512], rel[700];
	struct hostuse u;

	assert_int_equal(stree_add_dev(f->root, &nvme), 0);
	stree_dev_dir(f->root, NVME, dir, sizeof(dir));
	snprintf(rel, sizeof(rel), "%s/nvme/nvme0/nvme0n1/nvme0n1p2", dir);
	stree_mkdir(f->root, rel);
	stree_write(f->root, "/proc/mounts", "proc /proc proc rw 0 0\n");
	assert_int_equal(hostuse_check(f->root, NVME, &u, NULL), 0);
	assert_int_equal(u.n, 0);
	stree_write(f->root, "/proc/mounts", "/dev/nvme0n1p2 /srv ext4 rw 0 0\n");
	assert_int_equal(hostuse_check(f->root, NVME, &u, NULL), 0);
	assert_int_equal(u.n, 1);
	assert_string_equal(u.items[0].what, "block device /dev/nvme0n1p2 is mounted");
}

static void netdev_down_or_addressless_is_free(void **state)
{
	struct fixture *f = *state;
	char dir[512], rel[700];
	struct hostuse u;

	stree_dev_dir(f->root, EP, dir, sizeof(dir));
	snprintf(rel, sizeof(rel), "%s/net/eno1", dir);
	stree_mkdir(f->root, rel);
	stree_write(f->root, "/sys/class/net/eno1/flags", "0x1002\n"); /* down */
	stree_write(f->root, "/proc/net/route", "Iface\tDestination\neno1\t00000000\n");
	assert_int_equal(hostuse_check(f->root, EP, &u, NULL), 0);
	assert_int_equal(u.n, 0);
	stree_write(f->root, "/sys/class/net/eno1/flags", "0x1003\n"); /* up */
	stree_write(f->root, "/proc/net/route", "Iface\tDestination\n");
	assert_int_equal(hostuse_check(f->root, EP, &u, NULL), 0);
	assert_int_equal(u.n, 0);
	stree_write(f->root, "/proc/net/if_inet6",
		    "fe800000000000000000000000000001 02 40 20 80 eno1\n");
	assert_int_equal(hostuse_check(f->root, EP, &u, NULL), 0);
	assert_int_equal(u.n, 0); /* link-local only */
	stree_write(f->root, "/proc/net/if_inet6",
		    "20010db8000000000000000000000001 02 40 00 80 eno1\n");
	assert_int_equal(hostuse_check(f->root, EP, &u, NULL), 0);
	assert_int_equal(u.n, 1);
	assert_non_null(strstr(u.items[0].what, "eno1 is up with address 2001:db8::1"));
}

static void bridge_port_swap_and_holders(void **state)
{
	struct fixture *f = *state;
	struct stree_dev nvme = {NVME, NULL, 0x1b36, 0x0010, 0x010802, "nvme", 4};
	char dir[512], rel[700];
	struct hostuse u;

	/* An interface enslaved to a bridge is in use even without addresses. */
	stree_dev_dir(f->root, EP, dir, sizeof(dir));
	snprintf(rel, sizeof(rel), "%s/net/eno1", dir);
	stree_mkdir(f->root, rel);
	stree_mkdir(f->root, "/sys/class/net/br0");
	stree_link(f->root, "/sys/class/net/eno1/master", "/sys/class/net/br0");
	assert_int_equal(hostuse_check(f->root, EP, &u, NULL), 0);
	assert_int_equal(u.n, 1);
	assert_string_equal(u.items[0].what, "interface eno1 is a port of br0");

	assert_int_equal(stree_add_dev(f->root, &nvme), 0);
	stree_dev_dir(f->root, NVME, dir, sizeof(dir));
	snprintf(rel, sizeof(rel), "%s/nvme/nvme1/nvme1n1/holders/dm-0", dir);
	stree_mkdir(f->root, rel);
	stree_write(f->root, "/proc/swaps",
		    "Filename Type Size Used Priority\n/dev/nvme1n1 partition 1024 0 -2\n");
	assert_int_equal(hostuse_check(f->root, NVME, &u, NULL), 0);
	assert_int_equal(u.n, 2);
	assert_string_equal(u.items[0].what, "block device /dev/nvme1n1 is used as swap");
	assert_string_equal(u.items[1].what, "block device /dev/nvme1n1 is held by dm-0");
}

static void check_verdicts(void **state)
{
	struct fixture *f = *state;
	const char *both[] = {EP, EP2};
	struct preflight_opts alone = {0}, together = {.together = both, .n_together = 2};
	struct preflight_report r;
	char path[512];

	assert_int_equal(preflight_device(f->root, EP, &alone, &r, NULL), 0);
	assert_int_equal(r.n_fail, 1);
	assert_false(preflight_ready(&r));
	assert_int_equal(preflight_find(&r, "iommu-group")->status, PREFLIGHT_FAIL);
	assert_non_null(strstr(preflight_find(&r, "iommu-group")->detail, EP2 " (e1000e)"));
	assert_non_null(strstr(preflight_find(&r, "iommu-group")->fix, "--group"));
	assert_int_equal(preflight_find(&r, "device")->status, PREFLIGHT_OK);
	assert_int_equal(preflight_find(&r, "iommu")->status, PREFLIGHT_OK);
	assert_int_equal(preflight_find(&r, "interrupt-remapping")->status, PREFLIGHT_OK);
	assert_int_equal(preflight_find(&r, "acs")->status, PREFLIGHT_OK);
	assert_int_equal(preflight_find(&r, "reset")->status, PREFLIGHT_OK);
	/* vfctl asks no "driver" question: bind is what it is for */
	assert_null(preflight_find(&r, "driver"));

	/* Both functions together: the group is fine. */
	assert_int_equal(preflight_device(f->root, EP, &together, &r, NULL), 0);
	assert_int_equal(r.n_fail, 0);
	assert_true(preflight_ready(&r));

	/* No vfio-pci, no interrupt remapping: two more failures, each with its fix. */
	snprintf(path, sizeof(path), "%s/sys/bus/pci/drivers/vfio-pci", f->root);
	stree_free(path);
	stree_write(f->root, "/proc/interrupts", " 24: 5 PCI-MSIX-0000:01:00.0 0-edge eno1\n");
	assert_int_equal(preflight_device(f->root, EP, &together, &r, NULL), 0);
	assert_int_equal(r.n_fail, 2);
	assert_string_equal(preflight_find(&r, "vfio-pci")->fix, "modprobe vfio-pci");
	assert_int_equal(preflight_find(&r, "interrupt-remapping")->status, PREFLIGHT_FAIL);

	/* A device that is not there: one failed "device" item, nothing else asked. */
	assert_int_equal(preflight_device(f->root, "0000:07:00.0", NULL, &r, NULL), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.n_fail, 1);
	assert_string_equal(r.items[0].id, "device");
	assert_string_equal(r.items[0].detail, "0000:07:00.0: no such PCI device");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(iommu_and_remapping, setup, teardown),
		cmocka_unit_test(vfio_driver_names),
		cmocka_unit_test_setup_teardown(group_viability, setup, teardown),
		cmocka_unit_test_setup_teardown(acs_path_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(nvme_mounted_partition, setup, teardown),
		cmocka_unit_test_setup_teardown(netdev_down_or_addressless_is_free, setup,
						teardown),
		cmocka_unit_test_setup_teardown(bridge_port_swap_and_holders, setup, teardown),
		cmocka_unit_test_setup_teardown(check_verdicts, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
