// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu.h"
#include "pci_caps.h"
#include "pci_sysfs.h"

static bool dir_has_entries(const char *path)
{
	struct dirent *de;
	bool any = false;
	DIR *dir;

	dir = opendir(path);
	if (!dir)
		return false;
	while (!any && (de = readdir(dir)))
		any = de->d_name[0] != '.';
	closedir(dir);
	return any;
}

bool iommu_enabled(const char *root)
{
	char path[SYSFS_PATH_MAX];

	if (!sysfs_path(path, sizeof(path), root, "/sys/class/iommu") && dir_has_entries(path))
		return true;
	return !sysfs_path(path, sizeof(path), root, "/sys/kernel/iommu_groups") &&
	       dir_has_entries(path);
}

enum iommu_irq_remap iommu_irq_remapping(const char *root)
{
	enum iommu_irq_remap ret = IOMMU_IR_UNKNOWN;
	char path[SYSFS_PATH_MAX], line[4096];
	FILE *f;

	if (sysfs_path(path, sizeof(path), root, "/proc/interrupts"))
		return IOMMU_IR_UNKNOWN;
	f = fopen(path, "re");
	if (!f)
		return IOMMU_IR_UNKNOWN;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "IR-PCI-MSI") || strstr(line, "IR-IO-APIC") ||
		    strstr(line, "IR-PCI-MSIX")) {
			ret = IOMMU_IR_ON;
			break;
		}
		if (strstr(line, "PCI-MSI"))
			ret = IOMMU_IR_OFF;
	}
	fclose(f);
	return ret;
}

bool iommu_unsafe_interrupts_allowed(const char *root)
{
	char path[SYSFS_PATH_MAX], val[16];

	if (sysfs_path(path, sizeof(path), root,
		       "/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts") ||
	    sysfs_read_str(path, val, sizeof(val), NULL))
		return false;
	return val[0] == 'Y' || val[0] == 'y' || val[0] == '1';
}

bool iommu_driver_is_vfio(const char *driver)
{
	size_t n = strlen(driver);

	if (!strcmp(driver, "vfio-pci") || !strcmp(driver, "pci-stub"))
		return true;
	/* Variant drivers (mlx5_vfio_pci, hisi_acc_vfio_pci, ...) are vfio-pci underneath. */
	return n > 8 && !strcmp(driver + n - 8, "vfio_pci");
}

static int cmp_member(const void *a, const void *b)
{
	const struct iommu_member *x = a, *y = b;

	return strcmp(x->bdf, y->bdf);
}

static bool in_list(const char *bdf, const char *const *list, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (list[i] && !strcmp(list[i], bdf))
			return true;
	return false;
}

int iommu_group_read(const char *root, const char *bdf, const char *const *moving, int n_moving,
		     struct iommu_group *g, struct errinfo *e)
{
	char path[SYSFS_PATH_MAX], grp[32];
	struct iommu_member *tmp;
	struct dirent *de;
	int cap = 0, ret;
	DIR *dir;

	memset(g, 0, sizeof(*g));
	g->group = -1;
	ret = sysfs_dev_link_base(root, bdf, "iommu_group", grp, sizeof(grp), NULL);
	if (ret) {
		err_set(e, ENODEV, "%s is in no IOMMU group", bdf);
		err_hint(e, "the IOMMU is off or does not cover this device: enable VT-d/AMD-Vi in "
			    "the firmware and boot with intel_iommu=on (Intel) or amd_iommu=on");
		return -ENODEV;
	}
	g->group = atoi(grp);
	if (sysfs_path(path, sizeof(path), root, "/sys/kernel/iommu_groups/%d/devices", g->group))
		return err_set(e, ENAMETOOLONG, "sysfs root too long");
	dir = opendir(path);
	if (!dir)
		return err_sys(e, errno, "cannot list IOMMU group %d of %s (%s)", g->group, bdf,
			       path);
	while ((de = readdir(dir))) {
		struct iommu_member *m;
		struct pcidev d;

		if (de->d_name[0] == '.')
			continue;
		if (g->n == cap) {
			cap = cap ? cap * 2 : 8;
			tmp = realloc(g->members, (size_t)cap * sizeof(*tmp));
			if (!tmp) {
				closedir(dir);
				iommu_group_free(g);
				return err_set(e, ENOMEM, "out of memory reading IOMMU group");
			}
			g->members = tmp;
		}
		m = &g->members[g->n];
		memset(m, 0, sizeof(*m));
		if (bdf_parse(de->d_name, NULL, m->bdf, NULL))
			continue; /* not a PCI device (rare: platform devices share no PCI group) */
		if (pcidev_read(root, m->bdf, &d, NULL) == 0) {
			snprintf(m->driver, sizeof(m->driver), "%s", d.driver);
			m->bridge = pcidev_is_bridge(&d);
		}
		m->blocking = !m->bridge && m->driver[0] && !iommu_driver_is_vfio(m->driver) &&
			      strcmp(m->bdf, bdf) && !in_list(m->bdf, moving, n_moving);
		if (m->blocking)
			g->n_blocking++;
		g->n++;
	}
	closedir(dir);
	if (g->n)
		qsort(g->members, g->n, sizeof(*g->members), cmp_member);
	g->viable = g->n_blocking == 0;
	return 0;
}

void iommu_group_free(struct iommu_group *g)
{
	free(g->members);
	g->members = NULL;
	g->n = 0;
}

int iommu_acs_path(const char *root, const char *bdf, struct acs_path *p, struct errinfo *e)
{
	char path[SYSFS_PATH_MAX], real[PATH_MAX], *slash;
	char up[BDF_LEN];

	memset(p, 0, sizeof(*p));
	p->isolated = true;
	if (sysfs_dev_path(path, sizeof(path), root, bdf, ""))
		return err_set(e, ENAMETOOLONG, "sysfs root too long");
	if (!realpath(path, real))
		return err_sys(e, errno, "cannot resolve %s", path);
	/* Each parent directory named like a BDF is an upstream bridge/port of the device. */
	while ((slash = strrchr(real, '/')) && slash != real) {
		struct pcicaps c;

		*slash = '\0';
		slash = strrchr(real, '/');
		if (!slash || bdf_parse(slash + 1, NULL, up, NULL))
			break;
		if (pcicaps_read(root, up, &c, NULL) || !pcicaps_is_acs_port(&c))
			continue;
		if (p->n < (int)(sizeof(p->ports) / sizeof(p->ports[0]))) {
			struct acs_port *port = &p->ports[p->n++];

			snprintf(port->bdf, sizeof(port->bdf), "%s", up);
			port->has_acs = c.has_acs;
			port->isolates = pcicaps_acs_isolates(&c);
			port->ctrl = c.acs_ctrl;
			port->cap = c.acs_cap;
			if (!port->isolates)
				p->isolated = false;
		}
	}
	return 0;
}
