// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu.h"
#include "pci_dev.h"
#include "pci_sysfs.h"
#include "sriov_pf.h"

bool sriov_is_pf(const char *root, const char *bdf)
{
	char path[SYSFS_PATH_MAX];

	if (sysfs_dev_path(path, sizeof(path), root, bdf, "sriov_totalvfs"))
		return false;
	return sysfs_exists(path);
}

static int read_int_or(const char *root, const char *bdf, const char *attr, int dflt)
{
	long v;

	if (sysfs_dev_read_long(root, bdf, attr, &v, NULL))
		return dflt;
	return (int)v;
}

static int cmp_vf(const void *a, const void *b)
{
	const struct sriov_vf *x = a, *y = b;

	return x->index - y->index;
}

static int read_vf_links(const char *root, struct sriov_pf *pf, struct errinfo *e)
{
	char path[SYSFS_PATH_MAX], target[BDF_LEN + 8];
	struct sriov_vf *tmp;
	struct dirent *de;
	int cap = 0;
	DIR *dir;

	if (sysfs_dev_path(path, sizeof(path), root, pf->bdf, ""))
		return err_set(e, ENAMETOOLONG, "sysfs root too long");
	dir = opendir(path);
	if (!dir)
		return err_sys(e, errno, "cannot list %s", path);
	while ((de = readdir(dir))) {
		char *end;
		long idx;

		if (strncmp(de->d_name, "virtfn", 6))
			continue;
		idx = strtol(de->d_name + 6, &end, 10);
		if (end == de->d_name + 6 || *end || idx < 0)
			continue;
		if (sysfs_dev_link_base(root, pf->bdf, de->d_name, target, sizeof(target), NULL))
			continue;
		if (pf->n_vfs == cap) {
			cap = cap ? cap * 2 : 8;
			tmp = realloc(pf->vfs, (size_t)cap * sizeof(*tmp));
			if (!tmp) {
				closedir(dir);
				return err_set(e, ENOMEM, "out of memory reading VFs of %s",
					       pf->bdf);
			}
			pf->vfs = tmp;
		}
		pf->vfs[pf->n_vfs].index = (int)idx;
		if (bdf_parse(target, NULL, pf->vfs[pf->n_vfs].bdf, NULL))
			continue;
		pf->n_vfs++;
	}
	closedir(dir);
	if (pf->n_vfs)
		qsort(pf->vfs, pf->n_vfs, sizeof(*pf->vfs), cmp_vf);
	return 0;
}

int sriov_pf_read(const char *root, const char *bdf, struct sriov_pf *pf, struct errinfo *e)
{
	char physfn[BDF_LEN + 8];
	long v;
	int ret;

	memset(pf, 0, sizeof(*pf));
	snprintf(pf->bdf, sizeof(pf->bdf), "%s", bdf);
	ret = sysfs_dev_read_long(root, bdf, "sriov_totalvfs", &v, e);
	if (ret == -ENOENT) {
		char path[SYSFS_PATH_MAX];

		sysfs_dev_path(path, sizeof(path), root, bdf, "");
		if (!sysfs_exists(path)) {
			err_set(e, ENODEV, "no PCI device %s", bdf);
			err_hint(e, "run \"vfctl list\" to see the SR-IOV devices present");
			return -ENODEV;
		}
		err_set(e, ENOTSUP, "%s is not an SR-IOV physical function (no sriov_totalvfs)",
			bdf);
		if (!sysfs_dev_link_base(root, bdf, "physfn", physfn, sizeof(physfn), NULL))
			err_hint(e, "%s is a VF; its PF is %s", bdf, physfn);
		else
			err_hint(e, "the device has no SR-IOV capability or its driver does not "
				    "support "
				    "SR-IOV; \"vfctl list\" shows the PFs");
		return -ENOTSUP;
	}
	if (ret)
		return ret;
	pf->totalvfs = (int)v;
	pf->numvfs = read_int_or(root, bdf, "sriov_numvfs", 0);
	pf->offset = read_int_or(root, bdf, "sriov_offset", -1);
	pf->stride = read_int_or(root, bdf, "sriov_stride", -1);
	pf->vf_device = (unsigned int)read_int_or(root, bdf, "sriov_vf_device", 0);
	pf->autoprobe = read_int_or(root, bdf, "sriov_drivers_autoprobe", -1);
	pf->vf_total_msix = read_int_or(root, bdf, "sriov_vf_total_msix", -1);
	ret = read_vf_links(root, pf, e);
	if (ret)
		sriov_pf_free(pf);
	return ret;
}

void sriov_pf_free(struct sriov_pf *pf)
{
	free(pf->vfs);
	pf->vfs = NULL;
	pf->n_vfs = 0;
}

int sriov_pf_list(const char *root, char (**list)[BDF_LEN], int *count, struct errinfo *e)
{
	char(*all)[BDF_LEN];
	int n, i, k = 0, ret;

	ret = pcidev_list_all(root, &all, &n, e);
	if (ret)
		return ret;
	for (i = 0; i < n; i++)
		if (sriov_is_pf(root, all[i]))
			memmove(all[k++], all[i], BDF_LEN);
	*list = all;
	*count = k;
	return 0;
}

int sriov_vf_bdf(const struct sriov_pf *pf, int index, char out[BDF_LEN])
{
	struct bdf a;
	unsigned int rid;

	if (pf->offset < 0 || pf->stride < 0 || bdf_parse(pf->bdf, &a, NULL, NULL))
		return -ERANGE;
	rid = (a.bus << 8 | a.dev << 3 | a.fn) + (unsigned int)pf->offset +
	      (unsigned int)index * (unsigned int)pf->stride;
	if (rid > 0xffff)
		return -ERANGE;
	a.bus = rid >> 8;
	a.dev = (rid >> 3) & 0x1f;
	a.fn = rid & 7;
	bdf_format(&a, out);
	return 0;
}

int sriov_count_vf_links(const char *root, const char *pf_bdf, int n)
{
	char path[SYSFS_PATH_MAX], name[32];
	int i, found = 0;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "virtfn%d", i);
		if (sysfs_dev_path(path, sizeof(path), root, pf_bdf, name))
			break;
		if (sysfs_exists(path))
			found++;
	}
	return found;
}

int sriov_vfs_on_vfio(const char *root, const struct sriov_pf *pf, char first[BDF_LEN])
{
	char drv[PCIDEV_NAME_MAX];
	int i, n = 0;

	first[0] = '\0';
	for (i = 0; i < pf->n_vfs; i++) {
		if (sysfs_dev_link_base(root, pf->vfs[i].bdf, "driver", drv, sizeof(drv), NULL) ||
		    !iommu_driver_is_vfio(drv))
			continue;
		if (!n++)
			memcpy(first, pf->vfs[i].bdf, BDF_LEN);
	}
	return n;
}
