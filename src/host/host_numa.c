// SPDX-License-Identifier: GPL-2.0-only
/* The host's NUMA nodes from sysfs (see host_numa.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_list.h"
#include "host_numa.h"
#include "pci_sysfs.h"

#define NODE_DIR "/sys/devices/system/node"

int host_numa_parse_list(const char *s, cpu_set_t *set)
{
	return cpu_list_parse_set(s, set);
}

/* ROOT/NODE_DIR/@rel into @buf; -errno with @e naming the path. */
static int node_read(const char *root, const char *rel, char *buf, size_t size, struct errinfo *e)
{
	char path[SYSFS_PATH_MAX];
	int ret = sysfs_path(path, sizeof(path), root, NODE_DIR "/%s", rel);

	if (ret)
		return err_set(e, -ret, "path of %s/%s under '%s' is too long", NODE_DIR, rel,
			       root);
	return sysfs_read_str(path, buf, size, e);
}

/* One node's distance row: exactly h->nr values, 10 to itself, 11-255 to the others. */
static int read_distances(const char *root, struct host_numa *h, unsigned int i, struct errinfo *e)
{
	char rel[64], buf[4096];
	const char *s = buf;
	unsigned int n = 0;
	int ret;

	snprintf(rel, sizeof(rel), "node%d/distance", h->id[i]);
	ret = node_read(root, rel, buf, sizeof(buf), e);
	if (ret)
		return ret;
	while (*s) {
		char *end;
		long d = strtol(s, &end, 10);

		if (end == s)
			break;
		if (n == h->nr || d < 10 || d > 255 || (d == 10) != (n == i))
			goto bad;
		h->dist[i][n++] = (uint8_t)d;
		s = end;
	}
	if (n != h->nr || *s)
		goto bad;
	return 0;
bad:
	return err_set(e, EINVAL,
		       "%s%s/%s: '%s' is not %u distances (10 to node %d itself, 11-255 "
		       "to the others)",
		       root, NODE_DIR, rel, buf, h->nr, h->id[i]);
}

int host_numa_read(const char *root, struct host_numa *h, struct errinfo *e)
{
	char buf[4096], rel[64];
	cpu_set_t set, mem;
	bool mem_known;
	int ret;

	memset(h, 0, sizeof(*h));
	root = root ? root : "";
	ret = node_read(root, "online", buf, sizeof(buf), e);
	if (ret) {
		err_hint(e, "a kernel without NUMA support has no node directory: run without "
			    "--numa");
		return ret;
	}
	if (host_numa_parse_list(buf, &set) || !CPU_COUNT(&set))
		return err_set(e, EINVAL, "%s%s/online: '%s' is not a node list", root, NODE_DIR,
			       buf);
	for (int n = 0; n < CPU_SETSIZE; n++) {
		if (!CPU_ISSET(n, &set))
			continue;
		if (n >= HOST_NUMA_MAX_NODES)
			return err_set(e, ERANGE, "host NUMA node %d: vfvm mirrors nodes 0-%d only",
				       n, HOST_NUMA_MAX_NODES - 1);
		h->id[h->nr++] = n;
	}
	/* has_memory is absent on old kernels: every node then has memory */
	mem_known = node_read(root, "has_memory", buf, sizeof(buf), NULL) == 0;
	if (mem_known && host_numa_parse_list(buf, &mem))
		return err_set(e, EINVAL, "%s%s/has_memory: '%s' is not a node list", root,
			       NODE_DIR, buf);
	for (unsigned int i = 0; i < h->nr; i++) {
		snprintf(rel, sizeof(rel), "node%d/cpulist", h->id[i]);
		ret = node_read(root, rel, buf, sizeof(buf), e);
		if (ret)
			return ret;
		if (host_numa_parse_list(buf, &h->cpus[i]))
			return err_set(e, EINVAL, "%s%s/%s: '%s' is not a CPU list", root, NODE_DIR,
				       rel, buf);
		h->has_memory[i] = !mem_known || CPU_ISSET(h->id[i], &mem);
		ret = read_distances(root, h, i, e);
		if (ret)
			return ret;
	}
	return 0;
}

int host_numa_index(const struct host_numa *h, int node)
{
	for (unsigned int i = 0; i < h->nr; i++)
		if (h->id[i] == node)
			return (int)i;
	return -1;
}

int host_numa_cpu_node(const struct host_numa *h, int cpu)
{
	if (cpu < 0 || cpu >= CPU_SETSIZE)
		return -1;
	for (unsigned int i = 0; i < h->nr; i++)
		if (CPU_ISSET(cpu, &h->cpus[i]))
			return h->id[i];
	return -1;
}
