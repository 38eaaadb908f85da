/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small sysfs trees in a temp dir for the sriov/ unit tests: PCI devices with
 * their attributes, driver/iommu_group/physfn/virtfn links, config space and
 * /proc files, laid out as the kernel lays them out (device directories under
 * sys/devices/pci0000:00/..., links in sys/bus/pci/devices).  A plain
 * directory does not react to writes; the FUSE tree in tests/sim does.
 */
#ifndef TEST_SRIOV_TREE_H
#define TEST_SRIOV_TREE_H

#include <stddef.h>
#include <stdint.h>

struct stree_dev {
	const char *bdf;
	const char *parent; /* upstream port BDF, NULL for a root-bus device */
	unsigned int vendor, device, class_code;
	const char *driver; /* NULL: no driver */
	int group; /* IOMMU group, -1: none */
};

/* mkdtemp under TMPDIR; root gets the path. 0 or -1. */
int stree_new(char *root, size_t size);
/* rm -rf root. */
void stree_free(const char *root);
/* Create file ROOT/rel (parents too) with content. */
int stree_write(const char *root, const char *rel, const char *content);
/* Symlink ROOT/rel -> target (target absolute inside the tree when it starts with '/'). */
int stree_link(const char *root, const char *rel, const char *target);
int stree_mkdir(const char *root, const char *rel);
/* The device's real directory, relative to root: "/sys/devices/pci0000:00/<parent>/<bdf>". */
int stree_dev_dir(const char *root, const char *bdf, char *buf, size_t size);
/* Add a device (and its driver directory, group link and group member link). */
int stree_add_dev(const char *root, const struct stree_dev *d);
/* Attribute ROOT/sys/bus/pci/devices/BDF/attr = value. */
int stree_dev_attr(const char *root, const char *bdf, const char *attr, const char *value);
/* Make vf a VF (index idx) of pf: physfn and virtfnN links. */
int stree_add_vf(const char *root, const char *pf, const char *vf, int idx);
/* Write a config space image. */
int stree_config(const char *root, const char *bdf, const uint8_t *cfg, size_t len);
/* Read ROOT/rel into buf (NUL-terminated); -1 on error. */
int stree_read(const char *root, const char *rel, char *buf, size_t size);

/* Config space builders: a PCIe device with optional caps (0 = absent). */
struct stree_cfg {
	int pcie_type; /* -1: no PCIe cap */
	int flr;
	int msix_size; /* 0: no MSI-X */
	int sriov_total; /* 0: no SR-IOV */
	int acs_ctrl; /* -1: no ACS */
	int acs_cap;
};
void stree_build_cfg(const struct stree_cfg *c, uint8_t cfg[4096]);

#endif
