// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tree spec parser.  One statement per line, lines starting with '#' are comments:
 *
 *   iommu intel                       IOMMU on (DMAR unit with interrupt remapping)
 *   module NAME [param=value...]      /sys/module/NAME/parameters/...
 *   chr PATH MAJOR:MINOR              a character device node (e.g. /dev/vfio/vfio)
 *   file PATH TEXT                    a plain file (e.g. /proc/interrupts); \n \t \\ escapes
 *   driver NAME [ids=VVVV:DDDD,...] [class=CC[SS[PP]],...] [sriov] [net] [vfio] [nvme]
 *   dev BDF key=value... flag...      a PCI function; keys:
 *       parent=BDF id=VVVV:DDDD subsys=VVVV:DDDD class=CCSSPP rev=N group=N numa=N
 *       pcie=endpoint|rootport|upstream|downstream|pcibridge  msix=N  reset=flr,bus
 *       driver=NAME override=NAME net=IFNAME mac=MAC
 *       serial=NVME-SERIAL dsn=HEX64
 *       link=SxW        the PCIe link, trained at its top: S the speed code
 *                       (1 = 2.5 GT/s ... 5 = 32 GT/s), W the lanes (5x16)
 *       resource=FILE   the sysfs resource file as captured from a real device
 *                       (its BARs; FILE relative to the spec file's directory)
 *       sriov=TOTALVFS vfoffset=N vfstride=N vfid=DDDD vfmsix=N vfreset=flr numvfs=N
 *     flags: bridge acs flr up noautoprobe
 *
 * Statements apply in order: drivers must precede the devices bound to them,
 * and a parent bridge must precede what sits behind it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "pci_addr.h"
#include "simsysfs.h"

static int parse_ids(const char *v, uint16_t *a, uint16_t *b)
{
	unsigned int x, y;

	if (sscanf(v, "%x:%x", &x, &y) != 2 || x > 0xffff || y > 0xffff)
		return -EINVAL;
	*a = x;
	*b = y;
	return 0;
}

static int pcie_type(const char *v)
{
	static const char *const names[] = {"endpoint", "legacy",   "",		  "",
					    "rootport", "upstream", "downstream", "pcibridge"};

	for (int i = 0; i < 8; i++)
		if (names[i][0] && !strcmp(names[i], v))
			return i + 1;
	return -1;
}

static int parse_driver(struct sim *s, char *args)
{
	struct simdrv drv = {0};
	char *tok, *save;

	tok = strtok_r(args, " \t", &save);
	if (!tok || s->ndrvs >= SIM_MAX_DRVS)
		return -EINVAL;
	snprintf(drv.name, sizeof(drv.name), "%s", tok);
	while ((tok = strtok_r(NULL, " \t", &save))) {
		if (!strncmp(tok, "ids=", 4)) {
			char *id, *s2;

			for (id = strtok_r(tok + 4, ",", &s2); id; id = strtok_r(NULL, ",", &s2)) {
				if (drv.nids >= SIM_MAX_IDS ||
				    parse_ids(id, &drv.ids[drv.nids][0], &drv.ids[drv.nids][1]))
					return -EINVAL;
				drv.nids++;
			}
		} else if (!strncmp(tok, "class=", 6)) {
			char *c, *s2;

			for (c = strtok_r(tok + 6, ",", &s2); c; c = strtok_r(NULL, ",", &s2)) {
				size_t l = strlen(c);

				if (drv.nclasses >= SIM_MAX_IDS || (l != 2 && l != 4 && l != 6))
					return -EINVAL;
				drv.classes[drv.nclasses] = strtoul(c, NULL, 16);
				drv.cls_len[drv.nclasses++] = l;
			}
		} else if (!strcmp(tok, "sriov")) {
			drv.flags |= DRV_SRIOV;
		} else if (!strcmp(tok, "net")) {
			drv.flags |= DRV_NET;
		} else if (!strcmp(tok, "vfio")) {
			drv.flags |= DRV_VFIO;
		} else if (!strcmp(tok, "nvme")) {
			drv.flags |= DRV_NVME;
		} else {
			return -EINVAL;
		}
	}
	sim_drv_add(s, &drv);
	return 0;
}

static int parse_dev(struct sim *s, char *args, char *err, size_t errlen)
{
	struct simdev *d = calloc(1, sizeof(*d));
	char parent[16] = "", driver[64] = "";
	int numvfs = 0, ret = -EINVAL;
	char *tok, *save;

	if (!d)
		return -ENOMEM;
	d->group = -1;
	d->numa = -1;
	d->autoprobe = true;
	d->vfstride = 1;
	d->vfoffset = 1;
	tok = strtok_r(args, " \t", &save);
	if (!tok || strlen(tok) != 12)
		goto bad;
	snprintf(d->bdf, sizeof(d->bdf), "%s", tok);
	while ((tok = strtok_r(NULL, " \t", &save))) {
		char *v = strchr(tok, '=');

		if (v)
			*v++ = '\0';
		if (!v) {
			if (!strcmp(tok, "bridge"))
				d->bridge = true;
			else if (!strcmp(tok, "acs"))
				d->acs = true;
			else if (!strcmp(tok, "flr"))
				d->flr = true;
			else if (!strcmp(tok, "up"))
				d->net_up = true;
			else if (!strcmp(tok, "noautoprobe"))
				d->autoprobe = false;
			else
				goto bad;
		} else if (!strcmp(tok, "parent")) {
			snprintf(parent, sizeof(parent), "%s", v);
		} else if (!strcmp(tok, "id")) {
			if (parse_ids(v, &d->vendor, &d->device))
				goto bad;
		} else if (!strcmp(tok, "subsys")) {
			if (parse_ids(v, &d->sub_vendor, &d->sub_device))
				goto bad;
		} else if (!strcmp(tok, "class")) {
			d->class = strtoul(v, NULL, 16);
		} else if (!strcmp(tok, "rev")) {
			d->revision = strtoul(v, NULL, 0);
		} else if (!strcmp(tok, "group")) {
			d->group = atoi(v);
		} else if (!strcmp(tok, "numa")) {
			d->numa = atoi(v);
		} else if (!strcmp(tok, "pcie")) {
			d->pcie = pcie_type(v);
			if (d->pcie < 0)
				goto bad;
		} else if (!strcmp(tok, "msix")) {
			d->msix = atoi(v);
		} else if (!strcmp(tok, "reset") || !strcmp(tok, "vfreset")) {
			char *r = !strcmp(tok, "reset") ? d->reset : d->vfreset;

			snprintf(r, sizeof(d->reset), "%s", v);
			for (char *c = r; *c; c++)
				if (*c == ',')
					*c = ' ';
		} else if (!strcmp(tok, "driver")) {
			snprintf(driver, sizeof(driver), "%s", v);
		} else if (!strcmp(tok, "override")) {
			snprintf(d->override, sizeof(d->override), "%s", v);
		} else if (!strcmp(tok, "net")) {
			snprintf(d->net, sizeof(d->net), "%s", v);
		} else if (!strcmp(tok, "mac")) {
			snprintf(d->mac, sizeof(d->mac), "%s", v);
		} else if (!strcmp(tok, "sriov")) {
			d->totalvfs = atoi(v);
		} else if (!strcmp(tok, "vfoffset")) {
			d->vfoffset = atoi(v);
		} else if (!strcmp(tok, "vfstride")) {
			d->vfstride = atoi(v);
		} else if (!strcmp(tok, "vfid")) {
			d->vfdevice = strtoul(v, NULL, 16);
		} else if (!strcmp(tok, "vfmsix")) {
			d->vfmsix = atoi(v);
		} else if (!strcmp(tok, "serial")) {
			snprintf(d->serial, sizeof(d->serial), "%s", v);
		} else if (!strcmp(tok, "dsn")) {
			d->dsn = strtoull(v, NULL, 16);
		} else if (!strcmp(tok, "link")) {
			if (sscanf(v, "%ux%u", &d->link_speed, &d->link_width) != 2 ||
			    d->link_speed < 1 || d->link_speed > 6 || d->link_width < 1 ||
			    d->link_width > 32) {
				snprintf(err, errlen,
					 "dev %s: link=%s: want SxW, speed 1-6, 1-32 lanes", d->bdf,
					 v);
				free(d);
				return -EINVAL;
			}
		} else if (!strcmp(tok, "resource")) {
			char path[1024];
			FILE *rf;
			size_t n;

			snprintf(path, sizeof(path), "%s%s%s", v[0] == '/' ? "" : s->spec_dir,
				 v[0] == '/' ? "" : "/", v);
			rf = fopen(path, "r");
			if (!rf) {
				snprintf(err, errlen, "dev %s: resource=%.200s: %s", d->bdf, v,
					 strerror(errno));
				free(d);
				return -ENOENT;
			}
			n = fread(d->resource, 1, sizeof(d->resource) - 1, rf);
			d->resource[n] = '\0';
			fclose(rf);
		} else if (!strcmp(tok, "numvfs")) {
			numvfs = atoi(v);
		} else {
			goto bad;
		}
	}
	if (d->net[0] && !d->mac[0]) {
		struct bdf a = {0};

		bdf_parse(d->bdf, &a, NULL, NULL);
		snprintf(d->mac, sizeof(d->mac), "52:54:00:%02x:%02x:%02x", a.bus, a.dev, a.fn);
	}
	if (d->bridge && !d->class)
		d->class = 0x060400;
	if (d->flr && !strstr(d->reset, "flr"))
		goto bad;
	ret = sim_dev_add(s, d, parent);
	if (ret) {
		snprintf(err, errlen, "dev %s: cannot add (parent '%s'): %s", d->bdf, parent,
			 strerror(-ret));
		free(d);
		return ret;
	}
	if (driver[0]) {
		struct simdrv *drv = sim_drv_find(s, driver);

		if (!drv) {
			snprintf(err, errlen, "dev %s: unknown driver '%s' (declare it first)",
				 d->bdf, driver);
			return -ENOENT;
		}
		ret = sim_bind(s, d, drv);
		if (ret) {
			snprintf(err, errlen, "dev %s: bind to %s failed: %s", d->bdf, driver,
				 strerror(-ret));
			return ret;
		}
	}
	if (numvfs) {
		char buf[16];

		snprintf(buf, sizeof(buf), "%d", numvfs);
		ret = sim_write_numvfs(s, d, buf);
		if (ret < 0) {
			snprintf(err, errlen, "dev %s: numvfs=%d: %s", d->bdf, numvfs,
				 strerror(-ret));
			return ret;
		}
	}
	return 0;
bad:
	snprintf(err, errlen, "dev: bad token '%s'", tok ? tok : "(missing BDF)");
	free(d);
	return ret;
}

static int parse_module(struct sim *s, char *args)
{
	char *tok, *save, *name, p[512];
	struct snode *n;

	name = strtok_r(args, " \t", &save);
	if (!name)
		return -EINVAL;
	snprintf(p, sizeof(p), "/sys/module/%s/initstate", name);
	tree_add_file(s->root, p, 0444, "live\n", 5);
	if (!strcmp(name, "vfio"))
		s->vfio_module = true;
	while ((tok = strtok_r(NULL, " \t", &save))) {
		char *v = strchr(tok, '=');

		if (!v)
			return -EINVAL;
		*v++ = '\0';
		snprintf(p, sizeof(p), "/sys/module/%s/parameters/%s", name, tok);
		n = tree_add_file(s->root, p, 0644, "", 0);
		tree_setf(n, "%s\n", v);
	}
	return 0;
}

/* file PATH TEXT: TEXT up to the end of the line, with \n \t \\ unescaped. */
static int parse_file(struct sim *s, char *args)
{
	char *path = args, *text, *o, *i;
	struct snode *n;

	text = path + strcspn(path, " \t");
	if (path[0] != '/' || text == path)
		return -EINVAL;
	if (*text)
		*text++ = '\0';
	for (i = o = text; *i; i++, o++) {
		if (*i == '\\' && i[1]) {
			i++;
			*o = *i == 'n' ? '\n' : *i == 't' ? '\t' : *i;
		} else {
			*o = *i;
		}
	}
	*o = '\0';
	n = tree_lookup(s->root, path);
	if (n && n->type == SN_FILE) {
		/* Repeated statements append: one line each. */
		char *cat;

		if (asprintf(&cat, "%s%s", n->data, text) < 0)
			return -ENOMEM;
		tree_set(n, cat, strlen(cat));
		free(cat);
		return 0;
	}
	tree_add_file(s->root, path, 0444, text, strlen(text));
	return 0;
}

static void add_iommu(struct sim *s)
{
	const char *u = "/sys/devices/virtual/iommu/dmar0";
	char p[512];

	s->iommu = true;
	/* QEMU intel-iommu,intremap=on: ECAP bit 3 (IR) set. */
	snprintf(p, sizeof(p), "%s/intel-iommu/version", u);
	tree_add_file(s->root, p, 0444, "1:0\n", 4);
	snprintf(p, sizeof(p), "%s/intel-iommu/cap", u);
	tree_add_file(s->root, p, 0444, "12008c22260286\n", 15);
	snprintf(p, sizeof(p), "%s/intel-iommu/ecap", u);
	tree_add_file(s->root, p, 0444, "f00f5e\n", 7);
	tree_add_link(s->root, "/sys/class/iommu/dmar0", u);
}

int spec_load(struct sim *s, const char *file, char *err, size_t errlen)
{
	FILE *f = fopen(file, "r");
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, ret = 0;

	if (!f) {
		snprintf(err, errlen, "cannot open spec %s: %s", file, strerror(errno));
		return -errno;
	}
	{
		const char *slash = strrchr(file, '/');

		snprintf(s->spec_dir, sizeof(s->spec_dir), "%.*s", slash ? (int)(slash - file) : 1,
			 slash ? file : ".");
	}
	while (getline(&line, &cap, f) > 0) {
		char *p = line, *rest;
		char msg[512] = "";

		lineno++;
		p[strcspn(p, "\n")] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		/* Whole-line comments only: file contents may hold '#'. */
		if (!*p || *p == '#')
			continue;
		rest = p + strcspn(p, " \t");
		if (*rest)
			*rest++ = '\0';
		if (!strcmp(p, "iommu")) {
			add_iommu(s);
		} else if (!strcmp(p, "module")) {
			ret = parse_module(s, rest);
		} else if (!strcmp(p, "driver")) {
			ret = parse_driver(s, rest);
		} else if (!strcmp(p, "dev")) {
			ret = parse_dev(s, rest, msg, sizeof(msg));
		} else if (!strcmp(p, "file")) {
			ret = parse_file(s, rest);
		} else if (!strcmp(p, "chr")) {
			char path[256];
			unsigned int ma, mi;

			if (sscanf(rest, "%255s %u:%u", path, &ma, &mi) != 3)
				ret = -EINVAL;
			else
				tree_add_chr(s->root, path, makedev(ma, mi));
		} else {
			ret = -EINVAL;
		}
		if (ret) {
			snprintf(err, errlen, "%s:%d: %s", file, lineno,
				 msg[0] ? msg : "malformed statement");
			break;
		}
	}
	free(line);
	fclose(f);
	return ret;
}
