// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kernel behaviour of the simulated PCI bus: device directories and links,
 * IOMMU groups, driver matching and binding (driver_override, drivers_probe,
 * bind, unbind), netdevs and nvme controllers that come and go with their
 * drivers, /dev/vfio/<group> while a VFIO driver holds a group member, and
 * SR-IOV enable/disable through sriov_numvfs (drivers/pci/iov.c semantics).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "pci_addr.h"
#include "simsysfs.h"

#define VFIO_MAJOR 243
#define NVME_MAJOR 249

static char *pathf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static char *pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return buf;
}

static struct snode *devfile(struct sim *s, struct simdev *d, const char *name, mode_t mode,
			     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static struct snode *devfile(struct sim *s, struct simdev *d, const char *name, mode_t mode,
			     const char *fmt, ...)
{
	char path[512], *val;
	struct snode *n;
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&val, fmt, ap);
	va_end(ap);
	if (len < 0)
		abort();
	n = tree_add_file(s->root, pathf(path, sizeof(path), "%s/%s", d->dir, name), mode, val,
			  len);
	free(val);
	n->owner = d;
	return n;
}

struct simdev *sim_dev_find(struct sim *s, const char *bdf)
{
	for (int i = 0; i < s->ndevs; i++)
		if (!strcmp(s->devs[i]->bdf, bdf))
			return s->devs[i];
	return NULL;
}

struct simdrv *sim_drv_find(struct sim *s, const char *name)
{
	for (int i = 0; i < s->ndrvs; i++)
		if (!strcmp(s->drvs[i].name, name))
			return &s->drvs[i];
	return NULL;
}

bool sim_match(const struct simdrv *drv, const struct simdev *d)
{
	/* driver_override makes the named driver the only match, ids or not. */
	if (d->override[0])
		return !strcmp(d->override, drv->name);
	for (int i = 0; i < drv->nids; i++)
		if (drv->ids[i][0] == d->vendor && drv->ids[i][1] == d->device)
			return true;
	for (int i = 0; i < drv->nclasses; i++) {
		int shift = (6 - drv->cls_len[i]) * 4;

		if ((d->class >> shift) == drv->classes[i])
			return true;
	}
	return false;
}

/* ---- IOMMU groups ---- */

static bool group_used(struct sim *s, int g)
{
	for (int i = 0; i < s->ndevs; i++)
		if (s->devs[i]->group == g)
			return true;
	return false;
}

/* Lowest free group number, like the kernel's ida allocation. */
static int group_alloc(struct sim *s)
{
	int g = 0;

	while (group_used(s, g))
		g++;
	return g;
}

static void group_add(struct sim *s, struct simdev *d)
{
	char p[512], t[512];

	if (d->group < 0)
		return;
	pathf(p, sizeof(p), "/sys/kernel/iommu_groups/%d", d->group);
	if (!tree_lookup(s->root, p)) {
		tree_mkdir_p(s->root, pathf(t, sizeof(t), "%s/devices", p));
		tree_add_file(s->root, pathf(t, sizeof(t), "%s/type", p), 0444, "DMA\n", 4);
		tree_add_file(s->root, pathf(t, sizeof(t), "%s/reserved_regions", p), 0444,
			      "0x00000000fee00000 0x00000000feefffff msi\n", 42);
	}
	tree_add_link(s->root, pathf(t, sizeof(t), "%s/devices/%s", p, d->bdf), d->dir);
	tree_add_link(s->root, pathf(t, sizeof(t), "%s/iommu_group", d->dir), p);
}

static void group_del(struct sim *s, struct simdev *d)
{
	char p[512], t[512];
	struct snode *n;

	if (d->group < 0)
		return;
	pathf(p, sizeof(p), "/sys/kernel/iommu_groups/%d", d->group);
	tree_remove(s->root, pathf(t, sizeof(t), "%s/devices/%s", p, d->bdf));
	n = tree_lookup(s->root, pathf(t, sizeof(t), "%s/devices", p));
	if (n && !n->child)
		tree_remove(s->root, p);
}

/* /dev/vfio/<group> exists while some member is bound to a VFIO driver. */
static void vfio_node_update(struct sim *s, int group)
{
	bool held = false;
	char p[64];

	if (group < 0)
		return;
	for (int i = 0; i < s->ndevs; i++) {
		struct simdev *o = s->devs[i];
		struct simdrv *drv;

		if (o->group != group || !o->driver[0])
			continue;
		drv = sim_drv_find(s, o->driver);
		if (drv && (drv->flags & DRV_VFIO))
			held = true;
	}
	pathf(p, sizeof(p), "/dev/vfio/%d", group);
	if (held && !tree_lookup(s->root, p))
		tree_add_chr(s->root, p, makedev(VFIO_MAJOR, group));
	else if (!held)
		tree_remove(s->root, p);
}

/* ---- netdevs and nvme controllers ---- */

static void net_state_files(struct sim *s, struct simdev *d)
{
	char p[512];
	struct snode *n;

	n = tree_lookup(s->root, pathf(p, sizeof(p), "%s/net/%s/operstate", d->dir, d->net));
	if (n)
		tree_setf(n, "%s\n", d->net_up ? "up" : "down");
	n = tree_lookup(s->root, pathf(p, sizeof(p), "%s/net/%s/flags", d->dir, d->net));
	if (n)
		tree_setf(n, "0x%x\n", d->net_up ? 0x1003 : 0x1002);
	n = tree_lookup(s->root, pathf(p, sizeof(p), "%s/net/%s/carrier", d->dir, d->net));
	if (n)
		tree_setf(n, "%d\n", d->net_up ? 1 : 0);
}

static void net_create(struct sim *s, struct simdev *d)
{
	char p[512], f[600];
	static const char *const files[] = {"address", "operstate", "carrier", "flags",
					    "ifindex", "mtu",	    "type"};

	pathf(p, sizeof(p), "%s/net/%s", d->dir, d->net);
	d->ifindex = s->next_ifindex++;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct snode *n = tree_add_file(s->root, pathf(f, sizeof(f), "%s/%s", p, files[i]),
						0444, "", 0);

		if (!strcmp(files[i], "address"))
			tree_setf(n, "%s\n", d->mac);
		else if (!strcmp(files[i], "ifindex"))
			tree_setf(n, "%d\n", d->ifindex);
		else if (!strcmp(files[i], "mtu"))
			tree_setf(n, "1500\n");
		else if (!strcmp(files[i], "type"))
			tree_setf(n, "1\n");
	}
	tree_add_link(s->root, pathf(f, sizeof(f), "%s/device", p), d->dir);
	tree_add_link(s->root, pathf(f, sizeof(f), "/sys/class/net/%s", d->net), p);
	net_state_files(s, d);
}

static void net_destroy(struct sim *s, struct simdev *d)
{
	char p[512];

	tree_remove(s->root, pathf(p, sizeof(p), "/sys/class/net/%s", d->net));
	tree_remove(s->root, pathf(p, sizeof(p), "%s/net", d->dir));
	d->ifindex = 0;
}

static void nvme_create(struct sim *s, struct simdev *d)
{
	char p[512], f[600];
	struct snode *n;

	d->nvme_inst = s->next_nvme++;
	pathf(p, sizeof(p), "%s/nvme/nvme%d", d->dir, d->nvme_inst);
	n = tree_add_file(s->root, pathf(f, sizeof(f), "%s/dev", p), 0444, "", 0);
	tree_setf(n, "%d:%d\n", NVME_MAJOR, d->nvme_inst);
	tree_add_file(s->root, pathf(f, sizeof(f), "%s/state", p), 0444, "live\n", 5);
	n = tree_add_file(s->root, pathf(f, sizeof(f), "%s/serial", p), 0444, "", 0);
	/* The controller pads its 20-byte serial number with spaces. */
	if (d->serial[0])
		tree_setf(n, "%-20s\n", d->serial);
	else if (d->pf)
		tree_setf(n, "%.12s-vf%-8d\n", d->pf->serial, d->vfindex);
	n = tree_add_file(s->root, pathf(f, sizeof(f), "%s/reset_controller", p), 0200, "", 0);
	n->owner = d;
	/* One namespace, the block device the host could have mounted. */
	n = tree_add_file(s->root, pathf(f, sizeof(f), "%s/nvme%dn1/dev", p, d->nvme_inst), 0444,
			  "", 0);
	tree_setf(n, "259:%d\n", d->nvme_inst);
	tree_add_link(s->root, pathf(f, sizeof(f), "%s/device", p), d->dir);
	tree_add_link(s->root, pathf(f, sizeof(f), "/sys/class/nvme/nvme%d", d->nvme_inst), p);
	tree_add_chr(s->root, pathf(f, sizeof(f), "/dev/nvme%d", d->nvme_inst),
		     makedev(NVME_MAJOR, d->nvme_inst));
}

static void nvme_destroy(struct sim *s, struct simdev *d)
{
	char p[512];

	if (d->nvme_inst < 0)
		return;
	tree_remove(s->root, pathf(p, sizeof(p), "/sys/class/nvme/nvme%d", d->nvme_inst));
	tree_remove(s->root, pathf(p, sizeof(p), "/dev/nvme%d", d->nvme_inst));
	tree_remove(s->root, pathf(p, sizeof(p), "%s/nvme", d->dir));
	d->nvme_inst = -1;
}

/* ---- binding ---- */

/* "enable" counts users; a bound driver enables the device. */
static void enable_update(struct sim *s, struct simdev *d)
{
	char p[512];
	struct snode *n = tree_lookup(s->root, pathf(p, sizeof(p), "%s/enable", d->dir));

	if (n)
		tree_setf(n, "%d\n", d->driver[0] ? 1 : 0);
}

int sim_bind(struct sim *s, struct simdev *d, struct simdrv *drv)
{
	char p[512], t[512];

	if (d->driver[0])
		return -EBUSY;
	/* vfio-pci's probe fails without an IOMMU group (no noiommu mode here). */
	if ((drv->flags & DRV_VFIO) && d->group < 0)
		return -EINVAL;
	snprintf(d->driver, sizeof(d->driver), "%s", drv->name);
	pathf(t, sizeof(t), "/sys/bus/pci/drivers/%s", drv->name);
	tree_add_link(s->root, pathf(p, sizeof(p), "%s/driver", d->dir), t);
	tree_add_link(s->root, pathf(p, sizeof(p), "%s/%s", t, d->bdf), d->dir);
	if ((drv->flags & DRV_NET) && d->net[0])
		net_create(s, d);
	if (drv->flags & DRV_NVME)
		nvme_create(s, d);
	if (drv->flags & DRV_VFIO)
		vfio_node_update(s, d->group);
	enable_update(s, d);
	return 0;
}

static void sriov_disable(struct sim *s, struct simdev *pf);

void sim_unbind(struct sim *s, struct simdev *d)
{
	struct simdrv *drv = sim_drv_find(s, d->driver);
	char p[512];

	if (!d->driver[0])
		return;
	/* PF drivers disable SR-IOV in their remove(): the VFs go away. */
	if (drv && (drv->flags & DRV_SRIOV) && d->numvfs)
		sriov_disable(s, d);
	if (d->ifindex)
		net_destroy(s, d);
	nvme_destroy(s, d);
	tree_remove(s->root, pathf(p, sizeof(p), "%s/driver", d->dir));
	tree_remove(s->root, pathf(p, sizeof(p), "/sys/bus/pci/drivers/%s/%s", d->driver, d->bdf));
	d->driver[0] = '\0';
	vfio_node_update(s, d->group);
	enable_update(s, d);
}

/*
 * pci_device_can_probe(): a VF of a PF with sriov_drivers_autoprobe off
 * only probes through driver_override.
 */
static bool can_probe(const struct simdev *d)
{
	return !d->pf || d->pf->autoprobe || d->override[0];
}

/* device_attach(): the first matching driver whose probe succeeds. */
static void sim_probe(struct sim *s, struct simdev *d)
{
	if (d->driver[0] || !can_probe(d))
		return;
	for (int i = 0; i < s->ndrvs; i++)
		if (sim_match(&s->drvs[i], d) && !sim_bind(s, d, &s->drvs[i]))
			return;
}

/* ---- devices ---- */

static void dev_files(struct sim *s, struct simdev *d)
{
	char p[512];
	struct snode *n;

	tree_mkdir_p(s->root, d->dir);
	devfile(s, d, "vendor", 0444, "0x%04x\n", d->vendor);
	devfile(s, d, "device", 0444, "0x%04x\n", d->device);
	devfile(s, d, "subsystem_vendor", 0444, "0x%04x\n", d->sub_vendor);
	devfile(s, d, "subsystem_device", 0444, "0x%04x\n", d->sub_device);
	devfile(s, d, "class", 0444, "0x%06x\n", d->class);
	devfile(s, d, "revision", 0444, "0x%02x\n", d->revision);
	devfile(s, d, "irq", 0444, "%d\n", d->pf ? 0 : 10);
	devfile(s, d, "numa_node", 0444, "%d\n", d->numa);
	devfile(s, d, "local_cpulist", 0444, "0-1\n");
	devfile(s, d, "enable", 0644, "%d\n", d->driver[0] ? 1 : 0);
	devfile(s, d, "msi_bus", 0644, "1\n");
	devfile(s, d, "d3cold_allowed", 0644, "1\n");
	devfile(s, d, "modalias", 0444, "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n", d->vendor,
		d->device, d->sub_vendor, d->sub_device, d->class >> 16, (d->class >> 8) & 0xff,
		d->class & 0xff);
	{
		/* 13 resource lines for a type 0 header; libpci insists on the file. */
		char res[13 * 60] = "";

		for (int i = 0; i < 13; i++)
			strcat(res, "0x0000000000000000 0x0000000000000000 0x0000000000000000\n");
		devfile(s, d, "resource", 0444, "%s", d->resource[0] ? d->resource : res);
	}
	if (d->reset[0])
		devfile(s, d, "reset_method", 0644, "%s\n", d->reset);
	if (d->reset[0])
		devfile(s, d, "reset", 0200, "%s", "");
	n = devfile(s, d, "driver_override", 0644, "%s\n", d->override[0] ? d->override : "(null)");
	n->attr = SA_OVERRIDE;
	n = devfile(s, d, "config", 0644, "%s", "");
	n->attr = SA_CONFIG;
	n->len = d->pcie ? 4096 : 256;
	tree_add_link(s->root, pathf(p, sizeof(p), "%s/subsystem", d->dir), "/sys/bus/pci");
	if (d->totalvfs) {
		devfile(s, d, "sriov_totalvfs", 0444, "%d\n", d->totalvfs);
		n = devfile(s, d, "sriov_numvfs", 0644, "%d\n", d->numvfs);
		n->attr = SA_NUMVFS;
		devfile(s, d, "sriov_offset", 0444, "%d\n", d->vfoffset);
		devfile(s, d, "sriov_stride", 0444, "%d\n", d->vfstride);
		devfile(s, d, "sriov_vf_device", 0444, "%x\n", d->vfdevice);
		n = devfile(s, d, "sriov_drivers_autoprobe", 0644, "%d\n", d->autoprobe);
		n->attr = SA_AUTOPROBE;
	}
}

int sim_dev_add(struct sim *s, struct simdev *d, const char *parent_bdf)
{
	char p[512];

	if (s->ndevs >= SIM_MAX_DEVS)
		return -ENOSPC;
	if (sim_dev_find(s, d->bdf))
		return -EEXIST;
	if (parent_bdf && parent_bdf[0]) {
		struct simdev *par = sim_dev_find(s, parent_bdf);

		if (!par)
			return -ENOENT;
		pathf(d->dir, sizeof(d->dir), "%s/%s", par->dir, d->bdf);
	} else {
		pathf(d->dir, sizeof(d->dir), "/sys/devices/pci%.7s/%s", d->bdf, d->bdf);
	}
	d->nvme_inst = -1;
	s->devs[s->ndevs++] = d;
	dev_files(s, d);
	tree_add_link(s->root, pathf(p, sizeof(p), "/sys/bus/pci/devices/%s", d->bdf), d->dir);
	group_add(s, d);
	return 0;
}

void sim_drv_add(struct sim *s, const struct simdrv *drv)
{
	static const char *const files[] = {"bind", "unbind", "new_id", "remove_id", "uevent"};
	static const enum sattr attrs[] = {SA_DRV_BIND, SA_DRV_UNBIND, SA_DRV_NEWID, SA_DRV_NEWID,
					   SA_DRV_NEWID};
	struct simdrv *copy = &s->drvs[s->ndrvs++];
	char p[512];

	*copy = *drv;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct snode *n = tree_add_file(
			s->root,
			pathf(p, sizeof(p), "/sys/bus/pci/drivers/%s/%s", drv->name, files[i]),
			0200, "", 0);

		n->attr = attrs[i];
		n->owner = copy;
	}
}

static void dev_remove(struct sim *s, struct simdev *d)
{
	char p[512];
	int i;

	sim_unbind(s, d);
	group_del(s, d);
	tree_remove(s->root, pathf(p, sizeof(p), "/sys/bus/pci/devices/%s", d->bdf));
	tree_remove(s->root, d->dir);
	for (i = 0; i < s->ndevs && s->devs[i] != d; i++)
		;
	if (i < s->ndevs) {
		memmove(&s->devs[i], &s->devs[i + 1], (s->ndevs - i - 1) * sizeof(s->devs[0]));
		s->ndevs--;
	}
	free(d);
}

/* ---- SR-IOV ---- */

static void numvfs_file_update(struct sim *s, struct simdev *pf)
{
	char p[512];
	struct snode *n = tree_lookup(s->root, pathf(p, sizeof(p), "%s/sriov_numvfs", pf->dir));

	if (n)
		tree_setf(n, "%d\n", pf->numvfs);
}

static void sriov_disable(struct sim *s, struct simdev *pf)
{
	char p[512];

	for (int i = pf->numvfs - 1; i >= 0; i--) {
		for (int j = 0; j < s->ndevs; j++) {
			struct simdev *vf = s->devs[j];

			if (vf->pf == pf && vf->vfindex == i) {
				tree_remove(s->root,
					    pathf(p, sizeof(p), "%s/virtfn%d", pf->dir, i));
				dev_remove(s, vf);
				break;
			}
		}
	}
	pf->numvfs = 0;
	numvfs_file_update(s, pf);
	nlfake_sync(s, pf);
}

static int sriov_enable(struct sim *s, struct simdev *pf, int n)
{
	unsigned int dom, bus, dev, fn;
	char p[512], parent[sizeof(pf->dir)];
	struct simdev *vfs[256];
	struct bdf a;
	char *slash;

	if (bdf_parse(pf->bdf, &a, NULL, NULL) || n > 256)
		return -EINVAL;
	dom = a.domain;
	bus = a.bus;
	dev = a.dev;
	fn = a.fn;
	snprintf(parent, sizeof(parent), "%s", pf->dir);
	slash = strrchr(parent, '/');
	*slash = '\0';
	/*
	 * The routing IDs must be free (VFs may spill onto the next buses, as
	 * with ARI); a clash with an existing function stands for the bus
	 * numbers the bridge cannot give, where the kernel answers ENOMEM.
	 */
	for (int i = 0; i < n; i++) {
		unsigned int rid = (bus << 8 | dev << 3 | fn) + pf->vfoffset + i * pf->vfstride;
		char bdf[16];

		snprintf(bdf, sizeof(bdf), "%04x:%02x:%02x.%x", dom & 0xffff, (rid >> 8) & 0xff,
			 (rid >> 3) & 0x1f, rid & 7);
		if (rid > 0xffff || sim_dev_find(s, bdf))
			return -ENOMEM;
	}
	if (s->ndevs + n > SIM_MAX_DEVS)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		unsigned int rid = (bus << 8 | dev << 3 | fn) + pf->vfoffset + i * pf->vfstride;
		struct simdev *vf = calloc(1, sizeof(*vf));

		if (!vf)
			return -ENOMEM;
		snprintf(vf->bdf, sizeof(vf->bdf), "%04x:%02x:%02x.%x", dom, (rid >> 8) & 0xff,
			 (rid >> 3) & 0x1f, rid & 7);
		pathf(vf->dir, sizeof(vf->dir), "%s/%s", parent, vf->bdf);
		vf->vendor = pf->vendor;
		vf->device = pf->vfdevice;
		vf->sub_vendor = pf->sub_vendor;
		vf->sub_device = pf->sub_device;
		vf->class = pf->class;
		vf->revision = pf->revision;
		vf->pcie = 1;
		vf->msix = pf->vfmsix;
		vf->numa = pf->numa;
		snprintf(vf->reset, sizeof(vf->reset), "%s", pf->vfreset);
		vf->flr = strstr(pf->vfreset, "flr") != NULL;
		vf->group = pf->group < 0 ? -1 : group_alloc(s);
		vf->pf = pf;
		vf->vfindex = i;
		vf->nvme_inst = -1;
		if (pf->net[0]) {
			snprintf(vf->net, sizeof(vf->net), "%.15sv%d", pf->net, i);
			snprintf(vf->mac, sizeof(vf->mac), "02:00:%02x:%02x:%02x:%02x", bus, dev,
				 fn, i);
		}
		s->devs[s->ndevs++] = vf;
		dev_files(s, vf);
		tree_add_link(s->root, pathf(p, sizeof(p), "/sys/bus/pci/devices/%s", vf->bdf),
			      vf->dir);
		group_add(s, vf);
		tree_add_link(s->root, pathf(p, sizeof(p), "%s/physfn", vf->dir), pf->dir);
		tree_add_link(s->root, pathf(p, sizeof(p), "%s/virtfn%d", pf->dir, i), vf->dir);
		vfs[i] = vf;
	}
	pf->numvfs = n;
	numvfs_file_update(s, pf);
	nlfake_sync(s, pf);
	/* Probing happens after all VFs exist, as pci_iov_add_virtfn + bus_probe. */
	if (pf->autoprobe)
		for (int i = 0; i < n; i++)
			sim_probe(s, vfs[i]);
	return 0;
}

/* Strict unsigned parse accepting one trailing newline (kstrtou16 style). */
static int parse_uint(const char *buf, unsigned long max, unsigned long *out)
{
	char *end;

	if (!*buf || *buf == '-' || *buf == '+')
		return -EINVAL;
	errno = 0;
	*out = strtoul(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	if (*end == '\n')
		end++;
	if (*end)
		return -EINVAL;
	return *out > max ? -ERANGE : 0;
}

int sim_write_numvfs(struct sim *s, struct simdev *pf, const char *buf)
{
	struct simdrv *drv;
	unsigned long n;
	int ret = parse_uint(buf, 0xffff, &n);

	if (ret)
		return -EINVAL;
	if ((int)n > pf->totalvfs)
		return -ERANGE;
	if ((int)n == pf->numvfs)
		return 0;
	drv = pf->driver[0] ? sim_drv_find(s, pf->driver) : NULL;
	if (!drv || !(drv->flags & DRV_SRIOV))
		return -ENOENT;
	if (n == 0) {
		sriov_disable(s, pf);
		return 0;
	}
	if (pf->numvfs)
		return -EBUSY;
	return sriov_enable(s, pf, n);
}

int sim_write_autoprobe(struct sim *s, struct simdev *pf, const char *buf)
{
	char p[512];
	struct snode *n;
	bool v;

	/* kstrtobool: first character decides. */
	switch (buf[0]) {
	case '1':
	case 'y':
	case 'Y':
		v = true;
		break;
	case '0':
	case 'n':
	case 'N':
		v = false;
		break;
	default:
		return -EINVAL;
	}
	pf->autoprobe = v;
	n = tree_lookup(s->root, pathf(p, sizeof(p), "%s/sriov_drivers_autoprobe", pf->dir));
	if (n)
		tree_setf(n, "%d\n", v);
	return 0;
}

int sim_write_override(struct sim *s, struct simdev *d, const char *buf)
{
	size_t len = strlen(buf);
	char p[512];
	struct snode *n;

	if (len && buf[len - 1] == '\n')
		len--;
	if (len >= sizeof(d->override))
		return -EINVAL;
	memcpy(d->override, buf, len);
	d->override[len] = '\0';
	n = tree_lookup(s->root, pathf(p, sizeof(p), "%s/driver_override", d->dir));
	if (n)
		tree_setf(n, "%s\n", d->override[0] ? d->override : "(null)");
	return 0;
}

/* Device name from a bus/driver attribute write (sysfs_streq semantics). */
static struct simdev *dev_from_buf(struct sim *s, const char *buf)
{
	char name[32];
	size_t len = strlen(buf);

	if (len && buf[len - 1] == '\n')
		len--;
	if (len >= sizeof(name))
		return NULL;
	memcpy(name, buf, len);
	name[len] = '\0';
	return sim_dev_find(s, name);
}

int sim_write_probe(struct sim *s, const char *buf)
{
	struct simdev *d = dev_from_buf(s, buf);

	if (!d)
		return -ENODEV;
	sim_probe(s, d);
	return 0;
}

int sim_write_bind(struct sim *s, struct simdrv *drv, const char *buf)
{
	struct simdev *d = dev_from_buf(s, buf);

	if (!d || d->driver[0] || !sim_match(drv, d) || !can_probe(d))
		return -ENODEV;
	return sim_bind(s, d, drv);
}

int sim_write_unbind(struct sim *s, struct simdrv *drv, const char *buf)
{
	struct simdev *d = dev_from_buf(s, buf);

	if (!d || strcmp(d->driver, drv->name))
		return -ENODEV;
	sim_unbind(s, d);
	return 0;
}

/*
 * .sim/ctl: changes the kernel would see from elsewhere.
 *   netdev IF up|down      bring a host interface up or down
 */
int sim_write_ctl(struct sim *s, const char *buf)
{
	char verb[32], a[64], b[64];

	if (sscanf(buf, "%31s %63s %63s", verb, a, b) != 3)
		return -EINVAL;
	if (!strcmp(verb, "netdev")) {
		for (int i = 0; i < s->ndevs; i++) {
			struct simdev *d = s->devs[i];

			if (strcmp(d->net, a))
				continue;
			if (strcmp(b, "up") && strcmp(b, "down"))
				return -EINVAL;
			d->net_up = !strcmp(b, "up");
			if (d->ifindex)
				net_state_files(s, d);
			return 0;
		}
		return -ENODEV;
	}
	return -EINVAL;
}
