// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostuse.h"
#include "pci_dev.h"
#include "pci_sysfs.h"

static void add_item(struct hostuse *u, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add_item(struct hostuse *u, const char *hint, const char *fmt, ...)
{
	va_list ap;

	if (u->n >= HOSTUSE_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(u->items[u->n].what, sizeof(u->items[0].what), fmt, ap);
	va_end(ap);
	snprintf(u->items[u->n].hint, sizeof(u->items[0].hint), "%s", hint);
	u->n++;
}

/* A line of a /proc table whose whitespace-separated column col equals name. */
static bool proc_has(const char *root, const char *file, int col, const char *name, char *line_out,
		     size_t out_size)
{
	char path[SYSFS_PATH_MAX], line[1024];
	bool found = false;
	FILE *f;

	if (sysfs_path(path, sizeof(path), root, "%s", file))
		return false;
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char copy[1024], *tok, *save = NULL;
		int i = 0;

		snprintf(copy, sizeof(copy), "%s", line);
		for (tok = strtok_r(copy, " \t\n", &save); tok;
		     tok = strtok_r(NULL, " \t\n", &save)) {
			if (i++ == col) {
				found = !strcmp(tok, name);
				break;
			}
		}
		if (found && line_out)
			snprintf(line_out, out_size, "%s", line);
	}
	fclose(f);
	return found;
}

/* "20010db8...01" (32 hex digits, /proc/net/if_inet6) -> "2001:db8::1". */
static void hex_to_in6(const char *hex, char *buf, size_t size)
{
	struct in6_addr a;
	unsigned int byte;
	int i;

	for (i = 0; i < 16; i++) {
		if (sscanf(hex + 2 * i, "%2x", &byte) != 1) {
			snprintf(buf, size, "%s", hex);
			return;
		}
		a.s6_addr[i] = (uint8_t)byte;
	}
	inet_ntop(AF_INET6, &a, buf, (socklen_t)size);
}

/* First global (non link-local) address of ifname, or false. */
static bool if_address(const char *root, const char *ifname, char *buf, size_t size)
{
	struct ifaddrs *ifa, *i;
	bool found = false;
	char line[1024];

	if (root && *root) {
		/* /proc/net/if_inet6: "addr ifindex prefixlen scope flags name"; scope 0x20 = link.
		 */
		unsigned int scope = 0;
		char hex[40];

		if (!proc_has(root, "/proc/net/if_inet6", 5, ifname, line, sizeof(line)) ||
		    sscanf(line, "%39s %*x %*x %x", hex, &scope) != 2 || scope == 0x20 ||
		    strlen(hex) != 32)
			return false;
		hex_to_in6(hex, buf, size);
		return true;
	}
	/* The real system: getifaddrs(3) knows IPv4 too, which has no /proc file. */
	if (getifaddrs(&ifa))
		return false;
	for (i = ifa; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || strcmp(i->ifa_name, ifname))
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, buf,
				  (socklen_t)size);
			found = true;
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			struct in6_addr *a = &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;

			if (!IN6_IS_ADDR_LINKLOCAL(a)) {
				inet_ntop(AF_INET6, a, buf, (socklen_t)size);
				found = true;
			}
		}
	}
	freeifaddrs(ifa);
	return found;
}

static void check_netdev(const char *root, const char *ifname, struct hostuse *u)
{
	char path[SYSFS_PATH_MAX], buf[128], hint[160], master[64];
	long flags;

	snprintf(hint, sizeof(hint),
		 "take it down first: ip link set %.16s down (and remove its "
		 "addresses)",
		 ifname);
	if (!sysfs_path(path, sizeof(path), root, "/sys/class/net/%s/master", ifname) &&
	    !sysfs_link_base(path, master, sizeof(master), NULL)) {
		add_item(u, hint, "interface %s is a port of %s", ifname, master);
		return;
	}
	if (sysfs_path(path, sizeof(path), root, "/sys/class/net/%s/flags", ifname) ||
	    sysfs_read_long(path, &flags, NULL) || !(flags & IFF_UP))
		return;
	if (if_address(root, ifname, buf, sizeof(buf))) {
		add_item(u, hint, "interface %s is up with address %s", ifname, buf);
		return;
	}
	/* /proc/net/route: Iface is column 0; /proc/net/ipv6_route: device is column 9. */
	if (proc_has(root, "/proc/net/route", 0, ifname, NULL, 0) ||
	    proc_has(root, "/proc/net/ipv6_route", 9, ifname, NULL, 0))
		add_item(u, hint, "interface %s is up and routes point at it", ifname);
}

static void check_block(const char *root, const char *dir, const char *name, struct hostuse *u)
{
	char devpath[64], path[SYSFS_PATH_MAX], hint[160];
	struct dirent *de;
	DIR *d;

	snprintf(devpath, sizeof(devpath), "/dev/%s", name);
	snprintf(hint, sizeof(hint), "unmount it / swapoff / stop the holder first");
	if (proc_has(root, "/proc/mounts", 0, devpath, NULL, 0))
		add_item(u, hint, "block device %s is mounted", devpath);
	if (proc_has(root, "/proc/swaps", 0, devpath, NULL, 0))
		add_item(u, hint, "block device %s is used as swap", devpath);
	if (snprintf(path, sizeof(path), "%s/holders", dir) < (int)sizeof(path)) {
		d = opendir(path);
		if (d) {
			while ((de = readdir(d)))
				if (de->d_name[0] != '.') {
					add_item(u, hint, "block device %s is held by %s", devpath,
						 de->d_name);
					break;
				}
			closedir(d);
		}
	}
	/* Partitions are subdirectories named <disk>p<N>. */
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(name);

		if (!strncmp(de->d_name, name, n) && de->d_name[n] == 'p' &&
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < (int)sizeof(path))
			check_block(root, path, de->d_name, u);
	}
	closedir(d);
}

static void check_nvme(const char *root, const char *bdf, struct hostuse *u)
{
	char path[SYSFS_PATH_MAX], ctrl[SYSFS_PATH_MAX + 300], ns[SYSFS_PATH_MAX + 600];
	struct dirent *de, *ne;
	DIR *d, *c;

	if (sysfs_dev_path(path, sizeof(path), root, bdf, "nvme"))
		return;
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (strncmp(de->d_name, "nvme", 4))
			continue;
		snprintf(ctrl, sizeof(ctrl), "%s/%s", path, de->d_name);
		c = opendir(ctrl);
		if (!c)
			continue;
		/* Namespaces: nvme0n1 (and nvme0c0n1 paths under native multipath). */
		while ((ne = readdir(c))) {
			if (strncmp(ne->d_name, de->d_name, n) || !strchr(ne->d_name + n, 'n'))
				continue;
			snprintf(ns, sizeof(ns), "%s/%s", ctrl, ne->d_name);
			check_block(root, ns, ne->d_name, u);
		}
		closedir(c);
	}
	closedir(d);
}

int hostuse_check(const char *root, const char *bdf, struct hostuse *u, struct errinfo *e)
{
	char path[SYSFS_PATH_MAX];
	struct pcidev dev;
	int i;

	memset(u, 0, sizeof(*u));
	if (sysfs_dev_path(path, sizeof(path), root, bdf, ""))
		return err_set(e, ENAMETOOLONG, "sysfs root too long");
	if (!sysfs_exists(path))
		return err_set(e, ENODEV, "no PCI device %s", bdf);
	if (pcidev_read(root, bdf, &dev, NULL))
		dev.n_netdevs = 0;
	for (i = 0; i < dev.n_netdevs; i++)
		check_netdev(root, dev.netdevs[i], u);
	check_nvme(root, bdf, u);
	return 0;
}

int hostuse_check_dev(const char *root, const struct pcidev *d, struct hostuse *u)
{
	int i;

	memset(u, 0, sizeof(*u));
	for (i = 0; i < d->n_netdevs; i++)
		check_netdev(root, d->netdevs[i], u);
	check_nvme(root, d->bdf, u);
	return 0;
}
