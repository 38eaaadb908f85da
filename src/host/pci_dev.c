// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pci_dev.h"
#include "pci_sysfs.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static unsigned int read_hex_or(const char *root, const char *bdf, const char *attr,
				unsigned int dflt)
{
	long v;

	if (sysfs_dev_read_long(root, bdf, attr, &v, NULL))
		return dflt;
	return (unsigned int)v;
}

/* VF index = N of the PF's virtfnN link that points back at us. */
static int find_vf_index(const char *root, const char *pf, const char *vf)
{
	char path[SYSFS_PATH_MAX], name[BDF_LEN + 8];
	struct bdf p, v;
	struct dirent *de;
	int idx = -1;
	long off, stride;
	DIR *dir;

	/*
	 * The SR-IOV routing-ID arithmetic names the index directly; one
	 * readlink confirms it, so listing 128 VFs does not scan the PF 128 times.
	 */
	if (!bdf_parse(pf, &p, NULL, NULL) && !bdf_parse(vf, &v, NULL, NULL) &&
	    !sysfs_dev_read_long(root, pf, "sriov_offset", &off, NULL) &&
	    !sysfs_dev_read_long(root, pf, "sriov_stride", &stride, NULL) && stride > 0) {
		long rid_pf = p.bus << 8 | p.dev << 3 | p.fn,
		     rid_vf = v.bus << 8 | v.dev << 3 | v.fn;
		long guess = (rid_vf - rid_pf - off) / stride;

		snprintf(name, sizeof(name), "virtfn%ld", guess);
		if (p.domain == v.domain && guess >= 0 && (rid_vf - rid_pf - off) % stride == 0 &&
		    !sysfs_dev_link_base(root, pf, name, path, sizeof(path), NULL) &&
		    !strcmp(path, vf))
			return (int)guess;
	}
	if (sysfs_dev_path(path, sizeof(path), root, pf, ""))
		return -1;
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, "virtfn", 6))
			continue;
		if (sysfs_dev_link_base(root, pf, de->d_name, name, sizeof(name), NULL))
			continue;
		if (!strcmp(name, vf)) {
			idx = atoi(de->d_name + 6);
			break;
		}
	}
	closedir(dir);
	return idx;
}

static void add_netdev(struct pcidev *d, const char *name)
{
	int i;

	if (name[0] == '.' || strlen(name) >= sizeof(d->netdevs[0]) ||
	    d->n_netdevs >= PCIDEV_MAX_NETDEVS)
		return;
	for (i = 0; i < d->n_netdevs; i++)
		if (!strcmp(d->netdevs[i], name))
			return;
	strcpy(d->netdevs[d->n_netdevs++], name);
}

/* A virtioN directory below the function: its interface is not in BDF/net. */
static bool has_virtio_child(const char *root, const char *bdf)
{
	char path[SYSFS_PATH_MAX];
	struct dirent *de;
	bool found = false;
	DIR *dir;

	if (sysfs_dev_path(path, sizeof(path), root, bdf, ""))
		return false;
	dir = opendir(path);
	if (!dir)
		return false;
	while (!found && (de = readdir(dir)))
		found = !strncmp(de->d_name, "virtio", 6);
	closedir(dir);
	return found;
}

/*
 * Interfaces of the function: BDF/net/ holds them for most NICs; others
 * (virtio-net: BDF/virtio0/net/) are found from ROOT/sys/class/net, whose
 * entries resolve to a path through the device's directory.
 */
static void read_netdevs(const char *root, struct pcidev *d)
{
	char path[SYSFS_PATH_MAX], real[PATH_MAX], owner[BDF_LEN];
	struct dirent *de;
	DIR *dir;

	if (!sysfs_dev_path(path, sizeof(path), root, d->bdf, "net")) {
		dir = opendir(path);
		if (dir) {
			while ((de = readdir(dir)))
				add_netdev(d, de->d_name);
			closedir(dir);
		}
	}
	if (!d->n_netdevs && has_virtio_child(root, d->bdf) &&
	    !sysfs_path(path, sizeof(path), root, "/sys/class/net")) {
		dir = opendir(path);
		while (dir && (de = readdir(dir))) {
			if (de->d_name[0] == '.' ||
			    sysfs_path(path, sizeof(path), root, "/sys/class/net/%s", de->d_name) ||
			    !realpath(path, real))
				continue;
			if (!bdf_from_path(real, owner) && !strcmp(owner, d->bdf))
				add_netdev(d, de->d_name);
		}
		if (dir)
			closedir(dir);
	}
	/* readdir order is arbitrary; sort for stable output. */
	qsort(d->netdevs, d->n_netdevs, sizeof(d->netdevs[0]), cmp_str);
}

static void read_nvme_ctrl(const char *root, struct pcidev *d)
{
	char path[SYSFS_PATH_MAX];
	struct dirent *de;
	DIR *dir;

	if (sysfs_dev_path(path, sizeof(path), root, d->bdf, "nvme"))
		return;
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (!strncmp(de->d_name, "nvme", 4) && strlen(de->d_name) < sizeof(d->nvme_ctrl)) {
			strcpy(d->nvme_ctrl, de->d_name);
			break;
		}
	}
	closedir(dir);
}

static int read_dev(const char *root, const char *bdf, struct pcidev *d, bool full,
		    struct errinfo *e)
{
	char path[SYSFS_PATH_MAX], buf[64];
	long v;

	memset(d, 0, sizeof(*d));
	if (strlen(bdf) >= sizeof(d->bdf))
		return err_set(e, EINVAL, "\"%s\" is not a PCI address", bdf);
	strcpy(d->bdf, bdf);
	if (sysfs_dev_path(path, sizeof(path), root, bdf, ""))
		return err_set(e, ENAMETOOLONG, "sysfs root too long");
	if (!sysfs_exists(path))
		return err_set(e, ENODEV, "no PCI device %s (%s does not exist)", bdf, path);
	d->class_code = read_hex_or(root, bdf, "class", 0);
	if (sysfs_dev_link_base(root, bdf, "driver", d->driver, sizeof(d->driver), NULL))
		d->driver[0] = '\0';
	if (sysfs_dev_read_str(root, bdf, "driver_override", d->driver_override,
			       sizeof(d->driver_override), NULL) ||
	    !strcmp(d->driver_override, "(null)"))
		d->driver_override[0] = '\0';
	if (sysfs_dev_path(path, sizeof(path), root, bdf, "sriov_totalvfs") == 0)
		d->is_pf = sysfs_exists(path);
	read_netdevs(root, d);
	read_nvme_ctrl(root, d);
	d->iommu_group = -1;
	d->numa_node = -1;
	d->vf_index = -1;
	if (!full)
		return 0;
	d->vendor = read_hex_or(root, bdf, "vendor", 0xffff);
	d->device = read_hex_or(root, bdf, "device", 0xffff);
	d->subsys_vendor = read_hex_or(root, bdf, "subsystem_vendor", 0);
	d->subsys_device = read_hex_or(root, bdf, "subsystem_device", 0);
	if (!sysfs_dev_link_base(root, bdf, "iommu_group", buf, sizeof(buf), NULL))
		d->iommu_group = atoi(buf);
	if (!sysfs_dev_read_long(root, bdf, "numa_node", &v, NULL))
		d->numa_node = (int)v;
	d->has_reset_method_file = !sysfs_dev_read_str(root, bdf, "reset_method", d->reset_method,
						       sizeof(d->reset_method), NULL);
	if (!d->has_reset_method_file)
		d->reset_method[0] = '\0';
	if (!sysfs_dev_link_base(root, bdf, "physfn", buf, sizeof(buf), NULL) &&
	    !bdf_parse(buf, NULL, d->physfn, NULL)) {
		d->is_vf = true;
		d->vf_index = find_vf_index(root, d->physfn, bdf);
	}
	return 0;
}

int pcidev_read(const char *root, const char *bdf, struct pcidev *d, struct errinfo *e)
{
	return read_dev(root, bdf, d, true, e);
}

int pcidev_read_brief(const char *root, const char *bdf, struct pcidev *d, struct errinfo *e)
{
	return read_dev(root, bdf, d, false, e);
}

bool pcidev_is_bridge(const struct pcidev *d)
{
	/* Base class 06 (bridge), subclass 04 (PCI-to-PCI): root and switch ports. */
	return (d->class_code >> 8) == 0x0604;
}

bool pcidev_is_nvme(const struct pcidev *d)
{
	return d->class_code == 0x010802;
}

int pcidev_list_all(const char *root, char (**list)[BDF_LEN], int *count, struct errinfo *e)
{
	char path[SYSFS_PATH_MAX], (*out)[BDF_LEN] = NULL, (*tmp)[BDF_LEN];
	int n = 0, cap = 0;
	struct dirent *de;
	DIR *dir;

	if (sysfs_path(path, sizeof(path), root, "/sys/bus/pci/devices"))
		return err_set(e, ENAMETOOLONG, "sysfs root too long");
	dir = opendir(path);
	if (!dir) {
		err_sys(e, errno, "cannot list PCI devices in %s", path);
		err_hint(e,
			 "is --sysfs-root right? the directory must contain sys/bus/pci/devices");
		return -e->err;
	}
	while ((de = readdir(dir))) {
		char bdf[BDF_LEN];

		if (bdf_parse(de->d_name, NULL, bdf, NULL))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			tmp = realloc(out, (size_t)cap * sizeof(*out));
			if (!tmp) {
				free(out);
				closedir(dir);
				return err_set(e, ENOMEM, "out of memory listing PCI devices");
			}
			out = tmp;
		}
		memcpy(out[n++], bdf, BDF_LEN);
	}
	closedir(dir);
	if (n)
		qsort(out, n, sizeof(*out), cmp_str);
	*list = out;
	*count = n;
	return 0;
}
