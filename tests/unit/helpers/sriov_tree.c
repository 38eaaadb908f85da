// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sriov_tree.h"

/* Test trees live in short mkdtemp paths; truncation would only make a test fail. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

int stree_new(char *root, size_t size)
{
	const char *tmp = getenv("TMPDIR");

	if (snprintf(root, size, "%s/sriov-tree-XXXXXX", tmp && *tmp ? tmp : "/tmp") >= (int)size)
		return -1;
	return mkdtemp(root) ? 0 : -1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

void stree_free(const char *root)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int mkdirs(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return mkdir(path, 0755) && errno != EEXIST ? -1 : 0;
}

static int parent_dirs(const char *full)
{
	char tmp[PATH_MAX], *slash;

	snprintf(tmp, sizeof(tmp), "%s", full);
	slash = strrchr(tmp, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	return mkdirs(tmp);
}

int stree_mkdir(const char *root, const char *rel)
{
	char full[PATH_MAX];

	snprintf(full, sizeof(full), "%s%s", root, rel);
	return mkdirs(full);
}

int stree_write(const char *root, const char *rel, const char *content)
{
	char full[PATH_MAX];
	FILE *f;

	snprintf(full, sizeof(full), "%s%s", root, rel);
	if (parent_dirs(full))
		return -1;
	f = fopen(full, "w");
	if (!f)
		return -1;
	fputs(content, f);
	return fclose(f);
}

int stree_read(const char *root, const char *rel, char *buf, size_t size)
{
	char full[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(full, sizeof(full), "%s%s", root, rel);
	fd = open(full, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

int stree_link(const char *root, const char *rel, const char *target)
{
	char full[PATH_MAX], tgt[PATH_MAX];

	snprintf(full, sizeof(full), "%s%s", root, rel);
	if (target[0] == '/')
		snprintf(tgt, sizeof(tgt), "%s%s", root, target);
	else
		snprintf(tgt, sizeof(tgt), "%s", target);
	if (parent_dirs(full))
		return -1;
	unlink(full);
	return symlink(tgt, full);
}

int stree_dev_dir(const char *root, const char *bdf, char *buf, size_t size)
{
	char link[PATH_MAX], real[PATH_MAX];
	size_t n = strlen(root);

	snprintf(link, sizeof(link), "%s/sys/bus/pci/devices/%s", root, bdf);
	if (realpath(link, real) && !strncmp(real, root, n)) {
		snprintf(buf, size, "%s", real + n);
		return 0;
	}
	return -1;
}

int stree_add_dev(const char *root, const struct stree_dev *d)
{
	char dir[PATH_MAX + 32], rel[PATH_MAX + 128], val[128];

	if (d->parent) {
		char pdir[PATH_MAX];

		if (stree_dev_dir(root, d->parent, pdir, sizeof(pdir)))
			return -1;
		snprintf(dir, sizeof(dir), "%s/%s", pdir, d->bdf);
	} else {
		snprintf(dir, sizeof(dir), "/sys/devices/pci0000:00/%s", d->bdf);
	}
	if (stree_mkdir(root, dir))
		return -1;
	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/%s", d->bdf);
	if (stree_link(root, rel, dir))
		return -1;
	snprintf(val, sizeof(val), "0x%04x\n", d->vendor);
	stree_dev_attr(root, d->bdf, "vendor", val);
	snprintf(val, sizeof(val), "0x%04x\n", d->device);
	stree_dev_attr(root, d->bdf, "device", val);
	snprintf(val, sizeof(val), "0x%06x\n", d->class_code);
	stree_dev_attr(root, d->bdf, "class", val);
	stree_dev_attr(root, d->bdf, "numa_node", "-1\n");
	stree_dev_attr(root, d->bdf, "driver_override", "(null)\n");
	stree_dev_attr(root, d->bdf, "reset_method", "flr bus\n");
	if (d->driver) {
		snprintf(rel, sizeof(rel), "/sys/bus/pci/drivers/%s/unbind", d->driver);
		stree_write(root, rel, "");
		snprintf(rel, sizeof(rel), "/sys/bus/pci/drivers/%s/bind", d->driver);
		stree_write(root, rel, "");
		snprintf(rel, sizeof(rel), "%s/driver", dir);
		snprintf(val, sizeof(val), "/sys/bus/pci/drivers/%s", d->driver);
		if (stree_link(root, rel, val))
			return -1;
	}
	if (d->group >= 0) {
		snprintf(val, sizeof(val), "/sys/kernel/iommu_groups/%d", d->group);
		snprintf(rel, sizeof(rel), "%s/iommu_group", dir);
		if (stree_mkdir(root, val) || stree_link(root, rel, val))
			return -1;
		snprintf(rel, sizeof(rel), "/sys/kernel/iommu_groups/%d/devices/%s", d->group,
			 d->bdf);
		if (stree_link(root, rel, dir))
			return -1;
	}
	stree_write(root, "/sys/bus/pci/drivers_probe", "");
	return 0;
}

int stree_dev_attr(const char *root, const char *bdf, const char *attr, const char *value)
{
	char dir[PATH_MAX], rel[PATH_MAX + 64];

	if (stree_dev_dir(root, bdf, dir, sizeof(dir)))
		return -1;
	snprintf(rel, sizeof(rel), "%s/%s", dir, attr);
	return stree_write(root, rel, value);
}

int stree_add_vf(const char *root, const char *pf, const char *vf, int idx)
{
	char pdir[PATH_MAX], vdir[PATH_MAX], rel[PATH_MAX + 64];

	if (stree_dev_dir(root, pf, pdir, sizeof(pdir)) ||
	    stree_dev_dir(root, vf, vdir, sizeof(vdir)))
		return -1;
	snprintf(rel, sizeof(rel), "%s/virtfn%d", pdir, idx);
	if (stree_link(root, rel, vdir))
		return -1;
	snprintf(rel, sizeof(rel), "%s/physfn", vdir);
	return stree_link(root, rel, pdir);
}

int stree_config(const char *root, const char *bdf, const uint8_t *cfg, size_t len)
{
	char dir[PATH_MAX], full[PATH_MAX + 64];
	FILE *f;

	if (stree_dev_dir(root, bdf, dir, sizeof(dir)))
		return -1;
	snprintf(full, sizeof(full), "%s%s/config", root, dir);
	f = fopen(full, "w");
	if (!f)
		return -1;
	fwrite(cfg, 1, len, f);
	return fclose(f);
}

static void w16(uint8_t *c, size_t off, unsigned int v)
{
	c[off] = v & 0xff;
	c[off + 1] = (v >> 8) & 0xff;
}

static void w32(uint8_t *c, size_t off, uint32_t v)
{
	w16(c, off, v & 0xffff);
	w16(c, off + 2, v >> 16);
}

void stree_build_cfg(const struct stree_cfg *s, uint8_t cfg[4096])
{
	unsigned int next_ext = 0x100, prev_hdr_off = 0;

	memset(cfg, 0, 4096);
	w16(cfg, 0, 0x8086);
	w16(cfg, 6, 0x10); /* status: capability list */
	cfg[0x34] = 0x40;
	/* 0x40: PCIe cap -> 0x70 MSI-X (or end) */
	cfg[0x40] = 0x10;
	cfg[0x41] = s->msix_size ? 0x70 : 0;
	w16(cfg, 0x42, (unsigned int)(s->pcie_type < 0 ? 0 : s->pcie_type) << 4 | 2);
	w32(cfg, 0x44, s->flr ? 1u << 28 : 0);
	if (s->pcie_type < 0)
		cfg[0x40] = 0x01; /* power management instead: no PCIe */
	if (s->msix_size) {
		cfg[0x70] = 0x11;
		cfg[0x71] = 0;
		w16(cfg, 0x72, (unsigned int)(s->msix_size - 1));
	}
	if (s->sriov_total) {
		w32(cfg, next_ext, 0x10 | 1u << 16);
		w16(cfg, next_ext + 0x0c, (unsigned int)s->sriov_total);
		w16(cfg, next_ext + 0x0e, (unsigned int)s->sriov_total);
		w16(cfg, next_ext + 0x14, 0x80);
		w16(cfg, next_ext + 0x16, 2);
		w16(cfg, next_ext + 0x1a, 0x10ca);
		prev_hdr_off = next_ext;
		next_ext += 0x40;
	}
	if (s->acs_ctrl >= 0) {
		if (prev_hdr_off)
			w32(cfg, prev_hdr_off, 0x10 | 1u << 16 | next_ext << 20);
		w32(cfg, next_ext, 0x0d | 1u << 16);
		w16(cfg, next_ext + 4, (unsigned int)s->acs_cap);
		w16(cfg, next_ext + 6, (unsigned int)s->acs_ctrl);
	}
}
