/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The host's NUMA nodes as sysfs shows them, for a guest that mirrors them
 * (vfvm run --numa): the online nodes, each node's CPUs, whether it has
 * memory, and the distance table.  Read under a root ("" on the real
 * system) so tests can use a fake tree:
 *   ROOT/sys/devices/system/node/online          "0-1"
 *   ROOT/sys/devices/system/node/has_memory      "0-1" (absent: every node)
 *   ROOT/sys/devices/system/node/nodeN/cpulist   "0-3,8-11" (may be empty)
 *   ROOT/sys/devices/system/node/nodeN/distance  "10 21": one per online
 *                                                node, in the order of online
 */
#ifndef VFVM_HOST_NUMA_H
#define VFVM_HOST_NUMA_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "errinfo.h"

#define HOST_NUMA_MAX_NODES 64 /* node ids 0-63: what one mbind(2) word names */

struct host_numa {
	unsigned int nr; /* online nodes */
	int id[HOST_NUMA_MAX_NODES]; /* their ids, ascending */
	cpu_set_t cpus[HOST_NUMA_MAX_NODES]; /* by index in id[] */
	bool has_memory[HOST_NUMA_MAX_NODES];
	uint8_t dist[HOST_NUMA_MAX_NODES][HOST_NUMA_MAX_NODES]; /* [from][to], by index */
};

/* Fill @h from ROOT/sys/devices/system/node; -errno naming the file that is wrong. */
int host_numa_read(const char *root, struct host_numa *h, struct errinfo *e);

/* Index of node @node in @h, -1 when it is not online. */
int host_numa_index(const struct host_numa *h, int node);

/* The node of host CPU @cpu, -1 when no online node lists it. */
int host_numa_cpu_node(const struct host_numa *h, int cpu);

/* Parse a kernel CPU or node list ("0-3,8", "" = empty) into @set; -EINVAL when malformed. */
int host_numa_parse_list(const char *s, cpu_set_t *set);

#endif
