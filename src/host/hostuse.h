/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Is the host using this device?  Taking a device away from its host driver
 * drops whatever runs on it, so bind refuses (unless forced) a device with:
 *  - a network interface that is up and has addresses or routes, or is
 *    enslaved to a bridge/bond;
 *  - an NVMe block device (namespace or partition) that is mounted, used as
 *    swap, or held by device-mapper/md.
 * Sources: ROOT/sys/bus/pci/devices/BDF/{net,nvme}, ROOT/sys/class/net,
 * ROOT/proc/{mounts,swaps,net/route,net/ipv6_route,net/if_inet6} and, on the
 * real system (root ""), getifaddrs(3) for IPv4 addresses.
 */
#ifndef HOST_HOSTUSE_H
#define HOST_HOSTUSE_H

#include <stdbool.h>

#include "errinfo.h"

#define HOSTUSE_MAX 8

struct hostuse_item {
	char what[256]; /* "interface eth0 is up with address 10.0.0.2" */
	char hint[256]; /* "ip link set eth0 down" */
};

struct hostuse {
	int n;
	struct hostuse_item items[HOSTUSE_MAX];
};

/* Fill u with every host use found (u->n == 0: free to take). */
int hostuse_check(const char *root, const char *bdf, struct hostuse *u, struct errinfo *e);
/*
 * The same for a device the caller has just read (pcidev_read): no second
 * read of its sysfs directory, which costs per device when binding many VFs.
 */
struct pcidev;
int hostuse_check_dev(const char *root, const struct pcidev *d, struct hostuse *u);

#endif
