/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest NUMA that follows the devices (vfvm run --numa).  The guest gets
 * one node per host node it mirrors: the nodes of the passed-through
 * devices, plus those of the CPUs the vCPUs run on (--cpu-affinity); with
 * neither, the nodes of the CPUs vfvm may run on.  Guest node i mirrors
 * the i-th of those host nodes in ascending order, and:
 *   - holds an even share of guest RAM (node 0 the lowest addresses; the
 *     last one the rest), split on 128 MiB and backing-page boundaries and
 *     bound with mbind(MPOL_BIND) to its host node where that node has
 *     memory;
 *   - holds an even share of the vCPUs (consecutive ids, the first nodes
 *     one more when they do not divide), each pinned to a host CPU of its
 *     node that vfvm may use;
 *   - is proximity domain i in SRAT, with SLIT distances copied from the
 *     host's, and the _PXM of each passed-through device on its node.
 * Linux takes a PCI device's node from its root bus alone (the host
 * bridge's _PXM), so when every passed-through device is on one guest node
 * the host bridge PCI0 gets that _PXM too; devices on several nodes leave
 * it without (one root bus cannot be on two nodes).
 * numa_plan_build() is a pure function of the host facts (host_numa.h), so
 * unit tests give it a fake 2-node host.
 */
#ifndef VFVM_NUMA_H
#define VFVM_NUMA_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "acpi.h"
#include "errinfo.h"
#include "guest_mem.h"
#include "host_numa.h"
#include "pci.h"

#define NUMA_MAX_NODES 16
#define NUMA_MAX_VCPUS 64 /* VM_MAX_VCPUS */
#define NUMA_MIN_NODE_RAM (128ULL << 20) /* also the split granule: Linux's x86 section */

struct numa_node {
	int host_node;
	unsigned int first_cpu, nr_cpus; /* vCPU ids = APIC ids */
	uint64_t ram_off, ram_size; /* in guest RAM's own order (offset in the memfd) */
	bool bind; /* mbind to host_node (the host has memory there) */
	cpu_set_t host_cpus; /* where its vCPUs may be pinned */
};

struct numa_pxm {
	unsigned int slot; /* bus-0 device number */
	unsigned int node; /* guest node = proximity domain */
};

struct numa_plan {
	unsigned int nr; /* guest nodes; 0: no plan */
	struct numa_node node[NUMA_MAX_NODES];
	uint8_t dist[NUMA_MAX_NODES][NUMA_MAX_NODES]; /* SLIT, by guest node */
	uint64_t ram_total; /* guest RAM the plan splits */
	unsigned int nr_cpus;
	int host_cpu[NUMA_MAX_VCPUS]; /* vCPU i is pinned here */
	/* filled by the front end once the devices have their slots (numa_plan_add_pxm) */
	unsigned int nr_pxm;
	struct numa_pxm pxm[PCI_MAX_SLOTS];
};

struct numa_in {
	const struct host_numa *host;
	uint64_t mem_size; /* --mem */
	uint64_t
		hugepage_size; /* backing page size with --hugetlb (RAM rounded up to it), else 0 */
	unsigned int nr_cpus;
	/* host node of each passed-through device (-1 unknown: left out) and its name */
	const int *dev_node;
	const char *const *dev_name;
	unsigned int nr_devs;
	const cpu_set_t *cpus; /* CPUs the vCPUs may run on */
	bool cpus_given; /* they are --cpu-affinity's (else vfvm's own affinity) */
};

/* Build the plan; -EINVAL with @e naming the numbers that do not fit. */
int numa_plan_build(const struct numa_in *in, struct numa_plan *p, struct errinfo *e);

/* The guest node mirroring host node @host_node, -1 none. */
int numa_plan_guest_node(const struct numa_plan *p, int host_node);

/*
 * The device in bus-0 @slot is on host node @host_node: give it that
 * node's _PXM.  Returns the guest node, or -1 when no guest node mirrors
 * it (nothing recorded).
 */
int numa_plan_add_pxm(struct numa_plan *p, unsigned int slot, int host_node);

/*
 * Guest-physical ranges of node @i (guest RAM is split around the 32-bit
 * hole, so a node has one or two).  Returns how many were written to @out.
 */
struct numa_range {
	uint64_t gpa, size;
};
unsigned int numa_node_ranges(const struct numa_plan *p, unsigned int i, struct numa_range out[2]);

/*
 * "2,3,2,3": vCPU i's host CPU, one per vCPU (for vm_config.cpu_affinity,
 * which pins vCPU i to the i-th listed CPU).  -ENOSPC when @size is short.
 */
int numa_plan_affinity(const struct numa_plan *p, char *buf, size_t size);

/* What the ACPI tables need, in storage @s, pointed to by @c's NUMA fields. */
struct numa_acpi {
	uint32_t cpu_pxm[NUMA_MAX_VCPUS];
	struct acpi_numa_mem mem[2 * NUMA_MAX_NODES];
	uint8_t slit[NUMA_MAX_NODES * NUMA_MAX_NODES];
	struct acpi_pxm pxm[PCI_MAX_SLOTS];
};
void numa_plan_acpi(const struct numa_plan *p, struct numa_acpi *s, struct acpi_cfg *c);

/*
 * With --hugetlb: does each bound node's host node have the free huge pages
 * of @page bytes its part of guest RAM needs (a page a bound node lacks is
 * a SIGBUS, not a fallback)?  Reads ROOT/sys/devices/system/node/nodeN/
 * hugepages/hugepages-<N>kB (absent: not checked).  0, or -ENOMEM naming
 * the node, the numbers and the file to raise.
 */
int numa_plan_check_hugepages(const struct numa_plan *p, const char *root, uint64_t page,
			      struct errinfo *e);

/*
 * mbind(MPOL_BIND) each node's part of @m (mapped, not yet touched) to its
 * host node; nodes without host memory are left alone.  -errno naming the
 * node, range and errno.
 */
int numa_plan_bind(const struct numa_plan *p, const struct guest_mem *m, struct errinfo *e);

#endif
