/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small sysfs helpers used by every sriov/ file.  Every path is built as
 * ROOT + "/sys/..." so the same code runs on the real system (root ""),
 * on a temp-dir tree in unit tests, on the FUSE simulated sysfs and in the
 * lab.  Errors name the path and carry errno.
 */
#ifndef LIB_PCI_SYSFS_H
#define LIB_PCI_SYSFS_H

#include <stdbool.h>
#include <stddef.h>

#include "errinfo.h"

#define SYSFS_PATH_MAX 4096

/* buf = root + printf(fmt, ...); -ENAMETOOLONG when it does not fit. */
int sysfs_path(char *buf, size_t size, const char *root, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Path of a PCI device attribute: ROOT/sys/bus/pci/devices/BDF/ATTR ("" attr = the dir). */
int sysfs_dev_path(char *buf, size_t size, const char *root, const char *bdf, const char *attr);

bool sysfs_exists(const char *path);
/* Read a whole small attribute, trailing newline stripped. */
int sysfs_read_str(const char *path, char *buf, size_t size, struct errinfo *e);
/* Read an integer attribute ("0x8086", "7", "-1"). */
int sysfs_read_long(const char *path, long *val, struct errinfo *e);
/*
 * Write one value in a single write(2), the way the kernel expects, and
 * report the errno of write() or close() (FUSE-backed trees answer on close).
 */
int sysfs_write_str(const char *path, const char *val, struct errinfo *e);
/* Basename of a symlink's target (driver, iommu_group, virtfnN, physfn). -ENOENT if absent. */
int sysfs_link_base(const char *path, char *buf, size_t size, struct errinfo *e);

/* Convenience: device attribute read/link by name. */
int sysfs_dev_read_str(const char *root, const char *bdf, const char *attr, char *buf, size_t size,
		       struct errinfo *e);
int sysfs_dev_read_long(const char *root, const char *bdf, const char *attr, long *val,
			struct errinfo *e);
int sysfs_dev_write_str(const char *root, const char *bdf, const char *attr, const char *val,
			struct errinfo *e);
int sysfs_dev_link_base(const char *root, const char *bdf, const char *attr, char *buf, size_t size,
			struct errinfo *e);

#endif
