// SPDX-License-Identifier: GPL-2.0-only
/* BDF parsing/resolution, config-space capabilities, the device model. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "helpers/sriov_tree.h"
#include "pci_addr.h"
#include "pci_caps.h"
#include "pci_dev.h"
#include "pci_names.h"

static void parse_full_and_short(void **state)
{
	char out[BDF_LEN];
	struct bdf a;

	(void)state;
	assert_int_equal(bdf_parse("0000:01:00.0", &a, out, NULL), 0);
	assert_string_equal(out, "0000:01:00.0");
	assert_int_equal(bdf_parse("01:10.3", &a, out, NULL), 0);
	assert_string_equal(out, "0000:01:10.3");
	assert_int_equal(a.bus, 1);
	assert_int_equal(a.dev, 0x10);
	assert_int_equal(a.fn, 3);
	assert_int_equal(bdf_parse("10000:AB:1f.7", NULL, out, NULL), -EINVAL);
	assert_int_equal(bdf_parse("abcd:AB:1f.7", NULL, out, NULL), 0);
	assert_string_equal(out, "abcd:ab:1f.7");
}

static void parse_rejects_malformed(void **state)
{
	static const char *const bad[] = {
		"",	   "01:00",	   "01:00.8",  "01:20.0", "0000:01:00.0x",
		"g1:00.0", "0000:01:00:0", "100:00.0", "01.00.0", "0000:001:00.0"};
	struct errinfo e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(bdf_parse(bad[i], NULL, NULL, &e), -EINVAL);
		assert_non_null(strstr(e.msg, "PCI address"));
	}
	bdf_parse("01:00.9", NULL, NULL, &e);
	assert_string_equal(e.msg, "\"01:00.9\" is not a PCI address");
	assert_non_null(strstr(e.hint, "0000:01:00.0"));
}

static void resolve_bdf_netdev_and_unknown(void **state)
{
	struct stree_dev nic = {"0000:01:00.0", NULL, 0x8086, 0x10c9, 0x020000, "igb", 5};
	char root[256], out[BDF_LEN], dir[512];
	struct errinfo e;

	(void)state;
	assert_int_equal(stree_new(root, sizeof(root)), 0);
	assert_int_equal(stree_add_dev(root, &nic), 0);
	assert_int_equal(stree_dev_dir(root, nic.bdf, dir, sizeof(dir)), 0);
	assert_int_equal(stree_mkdir(root, "/sys/class/net"), 0);
	assert_int_equal(stree_link(root, "/sys/class/net/enp1s0/device", dir), 0);
	assert_int_equal(stree_mkdir(root, "/sys/class/net/veth0"), 0);

	assert_int_equal(bdf_resolve(root, "01:00.0", out, &e), 0);
	assert_string_equal(out, "0000:01:00.0");
	assert_int_equal(bdf_resolve(root, "enp1s0", out, &e), 0);
	assert_string_equal(out, "0000:01:00.0");
	assert_int_equal(bdf_resolve(root, "0000:02:00.0", out, &e), -ENODEV);
	assert_non_null(strstr(e.msg, "no PCI device 0000:02:00.0"));
	assert_int_equal(bdf_resolve(root, "eth9", out, &e), -ENODEV);
	assert_non_null(strstr(e.msg, "\"eth9\" is neither"));
	assert_int_equal(bdf_resolve(root, "veth0", out, &e), -ENODEV);
	assert_non_null(strstr(e.msg, "not a PCI device"));
	assert_int_equal(bdf_resolve(root, "01:00.9", out, &e), -EINVAL);
	stree_free(root);
}

static void resolve_virtio_netdev(void **state)
{
	struct stree_dev nic = {"0000:00:03.0", NULL, 0x1af4, 0x1041, 0x020000, "virtio-pci", -1};
	char root[256], out[BDF_LEN], dir[512], net[600], link[700];
	struct pcidev d;

	(void)state;
	assert_int_equal(stree_new(root, sizeof(root)), 0);
	assert_int_equal(stree_add_dev(root, &nic), 0);
	stree_dev_dir(root, nic.bdf, dir, sizeof(dir));
	/* virtio-net: the interface hangs off the virtio device below the PCI function. */
	snprintf(net, sizeof(net), "%s/virtio0/net/eth0", dir);
	assert_int_equal(stree_mkdir(root, net), 0);
	assert_int_equal(stree_link(root, "/sys/class/net/eth0", net), 0);
	snprintf(net, sizeof(net), "%s/virtio0", dir);
	snprintf(link, sizeof(link), "%s/net/eth0/device", net);
	assert_int_equal(stree_link(root, link, net), 0);

	assert_int_equal(bdf_resolve(root, "eth0", out, NULL), 0);
	assert_string_equal(out, "0000:00:03.0");
	assert_int_equal(pcidev_read(root, nic.bdf, &d, NULL), 0);
	assert_int_equal(d.n_netdevs, 1);
	assert_string_equal(d.netdevs[0], "eth0");
	assert_int_equal(d.iommu_group, -1);

	assert_int_equal(
		bdf_from_path("/x/pci0000:00/0000:00:01.0/0000:01:00.0/virtio3/net/a", out), 0);
	assert_string_equal(out, "0000:01:00.0");
	assert_int_equal(bdf_from_path("/sys/devices/virtual/net/lo", out), -ENOENT);
	stree_free(root);
}

static void caps_from_config(void **state)
{
	struct stree_cfg s = {
		.pcie_type = 0, .flr = 1, .msix_size = 10, .sriov_total = 7, .acs_ctrl = -1};
	struct pcicaps c;
	uint8_t cfg[4096];

	(void)state;
	stree_build_cfg(&s, cfg);
	pcicaps_parse(cfg, sizeof(cfg), &c);
	assert_true(c.has_pcie);
	assert_int_equal(c.pcie_type, PCIE_TYPE_ENDPOINT);
	assert_true(c.flr);
	assert_true(c.has_msix);
	assert_int_equal(c.msix_size, 10);
	assert_true(c.has_sriov);
	assert_int_equal(c.sriov_total_vfs, 7);
	assert_int_equal(c.sriov_offset, 0x80);
	assert_int_equal(c.sriov_stride, 2);
	assert_int_equal(c.sriov_vf_device, 0x10ca);
	assert_false(c.has_acs);

	/* Only 64 bytes readable (non-root): no capabilities beyond the header. */
	pcicaps_parse(cfg, 64, &c);
	assert_false(c.has_pcie);
	assert_false(c.has_sriov);
}

static void acs_isolation_rules(void **state)
{
	struct stree_cfg s = {.pcie_type = PCIE_TYPE_ROOT_PORT, .acs_ctrl = 0x1d, .acs_cap = 0x1f};
	struct pcicaps c;
	uint8_t cfg[4096];

	(void)state;
	stree_build_cfg(&s, cfg);
	pcicaps_parse(cfg, sizeof(cfg), &c);
	assert_true(c.has_acs);
	assert_true(pcicaps_is_acs_port(&c));
	assert_true(pcicaps_acs_isolates(&c));
	/* RR capable but not enabled: not isolating. */
	s.acs_ctrl = ACS_SV | ACS_CR | ACS_UF;
	stree_build_cfg(&s, cfg);
	pcicaps_parse(cfg, sizeof(cfg), &c);
	assert_false(pcicaps_acs_isolates(&c));
	/* A feature the port cannot do is hard-wired on (kernel rule). */
	s.acs_cap = ACS_SV | ACS_CR | ACS_UF;
	stree_build_cfg(&s, cfg);
	pcicaps_parse(cfg, sizeof(cfg), &c);
	assert_true(pcicaps_acs_isolates(&c));
}

static void device_model(void **state)
{
	struct stree_dev pf = {"0000:01:00.0", NULL, 0x8086, 0x10c9, 0x020000, "igb", 5};
	struct stree_dev vf = {"0000:01:10.0", NULL, 0x8086, 0x10ca, 0x020000, NULL, 6};
	char root[256];
	struct errinfo e;
	struct pcidev d;

	(void)state;
	assert_int_equal(stree_new(root, sizeof(root)), 0);
	assert_int_equal(stree_add_dev(root, &pf), 0);
	assert_int_equal(stree_add_dev(root, &vf), 0);
	stree_dev_attr(root, pf.bdf, "sriov_totalvfs", "7\n");
	stree_dev_attr(root, pf.bdf, "numa_node", "1\n");
	stree_mkdir(root, "/sys/devices/pci0000:00/0000:01:00.0/net/enp1s0");
	assert_int_equal(stree_add_vf(root, pf.bdf, vf.bdf, 0), 0);

	assert_int_equal(pcidev_read(root, pf.bdf, &d, &e), 0);
	assert_int_equal(d.vendor, 0x8086);
	assert_int_equal(d.device, 0x10c9);
	assert_int_equal(d.class_code, 0x020000);
	assert_string_equal(d.driver, "igb");
	assert_string_equal(d.driver_override, "");
	assert_int_equal(d.iommu_group, 5);
	assert_int_equal(d.numa_node, 1);
	assert_true(d.is_pf);
	assert_false(d.is_vf);
	assert_int_equal(d.n_netdevs, 1);
	assert_string_equal(d.netdevs[0], "enp1s0");
	assert_string_equal(d.reset_method, "flr bus");

	assert_int_equal(pcidev_read(root, vf.bdf, &d, &e), 0);
	assert_true(d.is_vf);
	assert_string_equal(d.physfn, "0000:01:00.0");
	assert_int_equal(d.vf_index, 0);
	/* No host driver yet: no interface. */
	assert_int_equal(d.n_netdevs, 0);
	/* igbvf bound: the VF's interface is what "vfctl list" shows per VF. */
	stree_mkdir(root, "/sys/devices/pci0000:00/0000:01:10.0/net/enp1s0v0");
	assert_int_equal(pcidev_read(root, vf.bdf, &d, &e), 0);
	assert_int_equal(d.n_netdevs, 1);
	assert_string_equal(d.netdevs[0], "enp1s0v0");
	assert_string_equal(d.driver, "");

	assert_int_equal(pcidev_read(root, "0000:09:00.0", &d, &e), -ENODEV);

	/* The brief read binding decides on: the same answers, nothing more. */
	assert_int_equal(pcidev_read_brief(root, pf.bdf, &d, &e), 0);
	assert_int_equal(d.class_code, 0x020000);
	assert_string_equal(d.driver, "igb");
	assert_true(d.is_pf);
	assert_int_equal(d.n_netdevs, 1);
	assert_int_equal(d.iommu_group, -1);
	assert_int_equal(d.numa_node, -1);
	assert_int_equal(d.vendor, 0);
	assert_int_equal(pcidev_read_brief(root, vf.bdf, &d, &e), 0);
	assert_false(d.is_vf);
	assert_int_equal(d.vf_index, -1);
	assert_string_equal(d.netdevs[0], "enp1s0v0");
	assert_int_equal(pcidev_read_brief(root, "0000:09:00.0", &d, &e), -ENODEV);
	stree_free(root);
}

static void names_fall_back_to_ids(void **state)
{
	struct pcinames *n = pcinames_open();
	char buf[256];

	(void)state;
	/* An ID no database has must still print something that names the device. */
	assert_string_equal(pcinames_device(NULL, 0xfffe, 0x1234, buf, sizeof(buf)), "fffe:1234");
	pcinames_device(n, 0xfffe, 0x1234, buf, sizeof(buf));
	assert_non_null(strstr(buf, "1234"));
	pcinames_close(n);
}

/*
 * VFs have their own pci.ids entries; "vfctl list" names them from there
 * (pci.ids is installed by tools/install-deps.sh).
 */
static void names_vf_from_pci_ids(void **state)
{
	struct pcinames *n = pcinames_open();
	char buf[256];

	(void)state;
	assert_non_null(n);
	pcinames_device(n, 0x8086, 0x10ca, buf, sizeof(buf));
	assert_string_equal(buf, "Intel Corporation 82576 Virtual Function");
	pcinames_device(n, 0x8086, 0x10c9, buf, sizeof(buf));
	assert_string_equal(buf, "Intel Corporation 82576 Gigabit Network Connection");
	pcinames_close(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_full_and_short),
		cmocka_unit_test(parse_rejects_malformed),
		cmocka_unit_test(resolve_bdf_netdev_and_unknown),
		cmocka_unit_test(resolve_virtio_netdev),
		cmocka_unit_test(caps_from_config),
		cmocka_unit_test(acs_isolation_rules),
		cmocka_unit_test(device_model),
		cmocka_unit_test(names_fall_back_to_ids),
		cmocka_unit_test(names_vf_from_pci_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
