// SPDX-License-Identifier: GPL-2.0-only
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "pci_addr.h"
#include "pci_sysfs.h"

static int hexfield(const char **p, size_t maxdigits, unsigned int *val)
{
	unsigned int v = 0;
	size_t n = 0;

	while (isxdigit((unsigned char)**p) && n < maxdigits) {
		char c = (char)tolower((unsigned char)**p);

		v = v * 16 + (unsigned int)(isdigit((unsigned char)c) ? c - '0' : c - 'a' + 10);
		(*p)++;
		n++;
	}
	if (n == 0 || isxdigit((unsigned char)**p))
		return -1;
	*val = v;
	return 0;
}

void bdf_format(const struct bdf *a, char out[BDF_LEN])
{
	snprintf(out, BDF_LEN, "%04x:%02x:%02x.%x", a->domain & 0xffff, a->bus & 0xff,
		 a->dev & 0x1f, a->fn & 7);
}

int bdf_parse(const char *s, struct bdf *addr, char out[BDF_LEN], struct errinfo *e)
{
	struct bdf a = {0};
	const char *p = s;
	unsigned int f1, f2;

	if (!s || !*s)
		return err_set(e, EINVAL, "empty PCI address");
	/* Either DDDD:BB:DD.F or BB:DD.F: the first field decides by what follows the second. */
	if (hexfield(&p, 4, &f1) || *p++ != ':' || hexfield(&p, 2, &f2))
		goto bad;
	if (*p == ':') {
		p++;
		a.domain = f1;
		a.bus = f2;
		if (hexfield(&p, 2, &a.dev))
			goto bad;
	} else {
		if (f1 > 0xff)
			goto bad;
		a.bus = f1;
		a.dev = f2;
	}
	if (*p++ != '.' || !isdigit((unsigned char)*p))
		goto bad;
	a.fn = (unsigned int)(*p++ - '0');
	if (*p || a.dev > 0x1f || a.fn > 7)
		goto bad;
	if (addr)
		*addr = a;
	if (out)
		bdf_format(&a, out);
	return 0;
bad:
	err_set(e, EINVAL, "\"%s\" is not a PCI address", s);
	err_hint(e, "write it as DOMAIN:BUS:DEVICE.FUNCTION (0000:01:00.0) or BUS:DEVICE.FUNCTION "
		    "(01:00.0), as lspci -D shows");
	return -EINVAL;
}

int bdf_from_path(const char *path, char out[BDF_LEN])
{
	char comp[32];
	const char *p = path, *end;
	int found = -ENOENT;

	while (*p) {
		while (*p == '/')
			p++;
		end = strchrnul(p, '/');
		if (end > p && (size_t)(end - p) < sizeof(comp)) {
			memcpy(comp, p, (size_t)(end - p));
			comp[end - p] = '\0';
			if (!bdf_parse(comp, NULL, out, NULL))
				found = 0;
		}
		p = end;
	}
	return found;
}

static int looks_like_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= 16 || strchr(s, '/') || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (; *s; s++)
		if (isspace((unsigned char)*s))
			return 0;
	return 1;
}

int bdf_resolve(const char *root, const char *dev, char out[BDF_LEN], struct errinfo *e)
{
	char path[SYSFS_PATH_MAX], dev_link[SYSFS_PATH_MAX], real[PATH_MAX], tmp[BDF_LEN];

	/* A BDF-shaped argument is an address: interface names with ':' are aliases, not devices.
	 */
	if (bdf_parse(dev, NULL, tmp, NULL) == 0) {
		if (sysfs_dev_path(path, sizeof(path), root, tmp, ""))
			return err_set(e, ENAMETOOLONG, "sysfs root too long");
		if (!sysfs_exists(path)) {
			err_set(e, ENODEV, "no PCI device %s (%s does not exist)", tmp, path);
			err_hint(e,
				 "run \"vfctl list\" or \"lspci -D\" to see the devices present");
			return -ENODEV;
		}
		memcpy(out, tmp, BDF_LEN);
		return 0;
	}
	if (strchr(dev, ':') || !looks_like_ifname(dev))
		return bdf_parse(dev, NULL, NULL, e);
	if (sysfs_path(path, sizeof(path), root, "/sys/class/net/%s", dev))
		return err_set(e, ENAMETOOLONG, "sysfs root too long");
	if (!sysfs_exists(path)) {
		err_set(e, ENODEV,
			"\"%s\" is neither a PCI address nor a network interface (%s does "
			"not exist)",
			dev, path);
		err_hint(e, "give a PCI address such as 0000:01:00.0 or an interface name from "
			    "\"ip link\"");
		return -ENODEV;
	}
	/*
	 * NAME/device names the PCI function for most NICs; for virtio-net it is
	 * the virtio device one level down, so fall back to the path NAME resolves to.
	 */
	if (sysfs_path(dev_link, sizeof(dev_link), root, "/sys/class/net/%s/device", dev) == 0 &&
	    realpath(dev_link, real) && !bdf_from_path(real, out))
		return 0;
	if (!realpath(path, real) || bdf_from_path(real, out)) {
		err_set(e, ENODEV,
			"network interface %s is not a PCI device (%s leads to no PCI "
			"function)",
			dev, path);
		err_hint(e,
			 "virtual interfaces (bridges, veth, VLANs) have no PCI function; name the "
			 "NIC's port instead");
		return -ENODEV;
	}
	return 0;
}
