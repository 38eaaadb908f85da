// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest NUMA (--numa): the host's nodes read from a fake 2-node sysfs, the
 * plan (nodes, vCPUs, RAM split around the 32-bit hole, distances, _PXM),
 * its errors, the ACPI tables it gives (SRAT, SLIT, _PXM; checked by hand
 * and by ACPICA's disassembler) and the mbind of guest RAM.
 */
#include <errno.h>
#include <linux/mempolicy.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "acpi.h"
#include "helpers/acpi_walk.h"
#include "host_numa.h"
#include "numa.h"
#include "helpers/sriov_tree.h"
#include "vm.h"

#define GIB (1ULL << 30)
#define MIB (1ULL << 20)
#define BASE ACPI_TABLES_BASE
#define SIZE ACPI_TABLES_SIZE

/* Host: node 0 = CPUs 0-3, node 1 = CPUs 4-7, distances 10/21; both with memory. */
static void two_nodes(char *root, size_t size)
{
	assert_int_equal(stree_new(root, size), 0);
	assert_int_equal(stree_write(root, "/sys/devices/system/node/online", "0-1\n"), 0);
	assert_int_equal(stree_write(root, "/sys/devices/system/node/has_memory", "0-1\n"), 0);
	assert_int_equal(stree_write(root, "/sys/devices/system/node/node0/cpulist", "0-3\n"), 0);
	assert_int_equal(stree_write(root, "/sys/devices/system/node/node1/cpulist", "4-7\n"), 0);
	assert_int_equal(stree_write(root, "/sys/devices/system/node/node0/distance", "10 21\n"),
			 0);
	assert_int_equal(stree_write(root, "/sys/devices/system/node/node1/distance", "21 10\n"),
			 0);
}

static void read_host(const char *root, struct host_numa *h)
{
	struct errinfo e = {0};

	assert_int_equal(host_numa_read(root, h, &e), 0);
}

static cpu_set_t cpus_0_7(void)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	for (int c = 0; c < 8; c++)
		CPU_SET(c, &s);
	return s;
}

static void host_facts(void **state)
{
	char root[256];
	struct host_numa *h = malloc(sizeof(*h));
	struct errinfo e = {0};

	(void)state;
	two_nodes(root, sizeof(root));
	read_host(root, h);
	assert_int_equal(h->nr, 2);
	assert_int_equal(h->id[0], 0);
	assert_int_equal(h->id[1], 1);
	assert_int_equal(CPU_COUNT(&h->cpus[0]), 4);
	assert_true(CPU_ISSET(3, &h->cpus[0]) && !CPU_ISSET(4, &h->cpus[0]));
	assert_true(CPU_ISSET(4, &h->cpus[1]) && CPU_ISSET(7, &h->cpus[1]));
	assert_int_equal(h->dist[0][0], 10);
	assert_int_equal(h->dist[0][1], 21);
	assert_int_equal(h->dist[1][0], 21);
	assert_int_equal(h->dist[1][1], 10);
	assert_true(h->has_memory[0] && h->has_memory[1]);
	assert_int_equal(host_numa_cpu_node(h, 5), 1);
	assert_int_equal(host_numa_cpu_node(h, 8), -1);
	assert_int_equal(host_numa_index(h, 1), 1);
	assert_int_equal(host_numa_index(h, 2), -1);

	/* a CPU-only node */
	assert_int_equal(stree_write(root, "/sys/devices/system/node/has_memory", "0\n"), 0);
	read_host(root, h);
	assert_true(h->has_memory[0] && !h->has_memory[1]);

	/* a distance row that does not match the online nodes is named */
	assert_int_equal(stree_write(root, "/sys/devices/system/node/node1/distance", "21\n"), 0);
	assert_int_equal(host_numa_read(root, h, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "node1/distance"));
	assert_non_null(strstr(e.msg, "'21' is not 2 distances"));
	assert_int_equal(stree_write(root, "/sys/devices/system/node/node1/distance", "21 11\n"),
			 0);
	assert_int_equal(host_numa_read(root, h, &e), -EINVAL); /* 10 to itself */

	/* no node directory (a kernel without NUMA): named, with what to do */
	stree_free(root);
	assert_int_equal(stree_new(root, sizeof(root)), 0);
	assert_int_equal(host_numa_read(root, h, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "/sys/devices/system/node/online"));
	assert_non_null(strstr(e.hint, "without --numa"));
	stree_free(root);
	free(h);
}

/* Devices on both nodes, 4 vCPUs, 4 GiB: 2 GiB each, node 1 across the hole. */
static void plan_two_devices(void **state)
{
	char root[256];
	struct host_numa *h = malloc(sizeof(*h));
	struct numa_plan *p = malloc(sizeof(*p));
	int dev_node[] = {1, 0, -1};
	const char *names[] = {"0000:81:00.0", "0000:01:00.0", "0000:02:00.0"};
	cpu_set_t cpus = cpus_0_7();
	struct numa_in in = {
		.host = h,
		.mem_size = 4 * GIB,
		.nr_cpus = 5,
		.dev_node = dev_node,
		.dev_name = names,
		.nr_devs = 3,
		.cpus = &cpus,
	};
	struct errinfo e = {0};
	struct numa_range r[2];
	char aff[256];

	(void)state;
	two_nodes(root, sizeof(root));
	read_host(root, h);
	assert_int_equal(numa_plan_build(&in, p, &e), 0);
	assert_int_equal(p->nr, 2);
	assert_int_equal(p->node[0].host_node, 0);
	assert_int_equal(p->node[1].host_node, 1);
	/* 5 vCPUs: 3 on node 0 (0-2), 2 on node 1 (3-4), each on its node's CPUs */
	assert_int_equal(p->node[0].first_cpu, 0);
	assert_int_equal(p->node[0].nr_cpus, 3);
	assert_int_equal(p->node[1].first_cpu, 3);
	assert_int_equal(p->node[1].nr_cpus, 2);
	assert_int_equal(numa_plan_affinity(p, aff, sizeof(aff)), 0);
	assert_string_equal(aff, "0,1,2,4,5");
	/* RAM: node 0 [0, 2G); node 1 [2G, 3G) + [4G, 5G) */
	assert_int_equal(numa_node_ranges(p, 0, r), 1);
	assert_int_equal(r[0].gpa, 0);
	assert_int_equal(r[0].size, 2 * GIB);
	assert_int_equal(numa_node_ranges(p, 1, r), 2);
	assert_int_equal(r[0].gpa, 2 * GIB);
	assert_int_equal(r[0].size, GIB);
	assert_int_equal(r[1].gpa, VM_HIGH_RAM_BASE);
	assert_int_equal(r[1].size, GIB);
	assert_true(p->node[0].bind && p->node[1].bind);
	assert_int_equal(p->dist[0][1], 21);
	assert_int_equal(p->dist[1][0], 21);
	assert_int_equal(p->dist[1][1], 10);
	/* the device of node 1 in slot 3 gets guest node 1; the unknown one nothing */
	assert_int_equal(numa_plan_add_pxm(p, 3, 1), 1);
	assert_int_equal(numa_plan_add_pxm(p, 4, 0), 0);
	assert_int_equal(numa_plan_add_pxm(p, 5, -1), -1);
	assert_int_equal(p->nr_pxm, 2);
	stree_free(root);
	free(h);
	free(p);
}

/* One device on node 1: one guest node mirroring it, vCPUs on node 1's CPUs. */
static void plan_one_device_and_no_device(void **state)
{
	char root[256];
	struct host_numa *h = malloc(sizeof(*h));
	struct numa_plan *p = malloc(sizeof(*p));
	int dev_node[] = {1};
	const char *names[] = {"0000:81:00.0"};
	cpu_set_t cpus = cpus_0_7(), some;
	struct numa_in in = {
		.host = h,
		.mem_size = 1000 * MIB,
		.nr_cpus = 2,
		.dev_node = dev_node,
		.dev_name = names,
		.nr_devs = 1,
		.cpus = &cpus,
	};
	struct errinfo e = {0};
	char aff[256];

	(void)state;
	two_nodes(root, sizeof(root));
	read_host(root, h);
	assert_int_equal(numa_plan_build(&in, p, &e), 0);
	assert_int_equal(p->nr, 1);
	assert_int_equal(p->node[0].host_node, 1);
	assert_int_equal(p->node[0].ram_size, 1000 * MIB);
	assert_int_equal(numa_plan_guest_node(p, 1), 0);
	assert_int_equal(numa_plan_guest_node(p, 0), -1);
	assert_int_equal(numa_plan_affinity(p, aff, sizeof(aff)), 0);
	assert_string_equal(aff, "4,5");

	/* no device: the nodes of the CPUs vfvm may run on (here: 2 and 3, node 0) */
	CPU_ZERO(&some);
	CPU_SET(2, &some);
	CPU_SET(3, &some);
	in.nr_devs = 0;
	in.cpus = &some;
	assert_int_equal(numa_plan_build(&in, p, &e), 0);
	assert_int_equal(p->nr, 1);
	assert_int_equal(p->node[0].host_node, 0);
	assert_int_equal(numa_plan_affinity(p, aff, sizeof(aff)), 0);
	assert_string_equal(aff, "2,3");
	/* all of them: both nodes */
	in.cpus = &cpus;
	assert_int_equal(numa_plan_build(&in, p, &e), 0);
	assert_int_equal(p->nr, 2);
	/* the last node takes what does not divide into 128 MiB granules */
	assert_int_equal(p->node[0].ram_size, 384 * MIB);
	assert_int_equal(p->node[1].ram_off, 384 * MIB);
	assert_int_equal(p->node[1].ram_size, 616 * MIB);

	/* --cpu-affinity adds its nodes to the device's */
	CPU_ZERO(&some);
	CPU_SET(1, &some);
	CPU_SET(6, &some);
	in.nr_devs = 1;
	in.cpus = &some;
	in.cpus_given = true;
	assert_int_equal(numa_plan_build(&in, p, &e), 0);
	assert_int_equal(p->nr, 2);
	assert_int_equal(numa_plan_affinity(p, aff, sizeof(aff)), 0);
	assert_string_equal(aff, "1,6");
	stree_free(root);
	free(h);
	free(p);
}

/* A single-node host: one guest node (still with SRAT). */
static void plan_single_node_host(void **state)
{
	char root[256];
	struct host_numa *h = malloc(sizeof(*h));
	struct numa_plan *p = malloc(sizeof(*p));
	cpu_set_t cpus = cpus_0_7();
	struct numa_in in = {.host = h, .mem_size = 512 * MIB, .nr_cpus = 2, .cpus = &cpus};
	struct errinfo e = {0};

	(void)state;
	assert_int_equal(stree_new(root, sizeof(root)), 0);
	assert_int_equal(stree_write(root, "/sys/devices/system/node/online", "0\n"), 0);
	assert_int_equal(stree_write(root, "/sys/devices/system/node/node0/cpulist", "0-7\n"), 0);
	assert_int_equal(stree_write(root, "/sys/devices/system/node/node0/distance", "10\n"), 0);
	read_host(root, h);
	/* no has_memory file: every node has memory */
	assert_true(h->has_memory[0]);
	assert_int_equal(numa_plan_build(&in, p, &e), 0);
	assert_int_equal(p->nr, 1);
	assert_int_equal(p->node[0].nr_cpus, 2);
	assert_int_equal(p->node[0].ram_size, 512 * MIB);
	assert_int_equal(p->dist[0][0], 10);
	stree_free(root);
	free(h);
	free(p);
}

static void plan_errors(void **state)
{
	char root[256];
	struct host_numa *h = malloc(sizeof(*h));
	struct numa_plan *p = malloc(sizeof(*p));
	int dev_node[] = {0, 1};
	const char *names[] = {"0000:01:00.0", "0000:81:00.0"};
	cpu_set_t cpus = cpus_0_7(), some;
	struct numa_in in = {
		.host = h,
		.mem_size = 4 * GIB,
		.nr_cpus = 1,
		.dev_node = dev_node,
		.dev_name = names,
		.nr_devs = 2,
		.cpus = &cpus,
	};
	struct errinfo e = {0};

	(void)state;
	two_nodes(root, sizeof(root));
	read_host(root, h);
	/* more guest nodes than vCPUs */
	assert_int_equal(numa_plan_build(&in, p, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "2 guest nodes (mirroring host nodes 0,1)"));
	assert_non_null(strstr(e.msg, "--cpus is 1"));
	assert_non_null(strstr(e.hint, "--cpus 2"));
	assert_int_equal(p->nr, 0);
	/* too little RAM for two 128 MiB nodes */
	in.nr_cpus = 2;
	in.mem_size = 200 * MIB;
	assert_int_equal(numa_plan_build(&in, p, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "at least 128 MiB"));
	assert_non_null(strstr(e.msg, "--mem 200 MiB gives 100 MiB per node"));
	assert_non_null(strstr(e.hint, "--mem 256M"));
	/* exactly enough */
	in.mem_size = 256 * MIB;
	assert_int_equal(numa_plan_build(&in, p, &e), 0);
	/* --cpu-affinity with no CPU on the node of a device */
	CPU_ZERO(&some);
	CPU_SET(1, &some);
	in.cpus = &some;
	in.cpus_given = true;
	assert_int_equal(numa_plan_build(&in, p, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "host node 1 of 0000:81:00.0"));
	assert_non_null(strstr(e.msg, "(1)"));
	assert_non_null(strstr(e.msg, "its CPUs: 4-7"));
	assert_non_null(strstr(e.hint, "--cpu-affinity"));
	assert_int_equal(p->nr, 0);
	/* a device on a node that is not online */
	dev_node[1] = 3;
	in.cpus = &cpus;
	in.cpus_given = false;
	assert_int_equal(numa_plan_build(&in, p, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "0000:81:00.0 is on host node 3, which is not online"));
	stree_free(root);
	free(h);
	free(p);
}

/* 1 GiB pages: nodes split on whole pages, RAM rounded as vm_create() rounds it. */
static void plan_hugepages(void **state)
{
	char root[256];
	struct host_numa *h = malloc(sizeof(*h));
	struct numa_plan *p = malloc(sizeof(*p));
	cpu_set_t cpus = cpus_0_7();
	struct numa_in in = {
		.host = h,
		.mem_size = 3 * GIB,
		.hugepage_size = GIB,
		.nr_cpus = 2,
		.cpus = &cpus,
	};
	struct errinfo e = {0};

	(void)state;
	two_nodes(root, sizeof(root));
	read_host(root, h);
	assert_int_equal(numa_plan_build(&in, p, &e), 0);
	assert_int_equal(p->node[0].ram_size, GIB);
	assert_int_equal(p->node[1].ram_size, 2 * GIB);
	in.mem_size = 3 * GIB - 4 * MIB;
	in.hugepage_size = 2 * MIB;
	assert_int_equal(numa_plan_build(&in, p, &e), 0);
	assert_int_equal(p->ram_total, 3 * GIB - 4 * MIB);
	assert_int_equal(p->node[0].ram_size, 1408 * MIB); /* half, down to 128 MiB */
	in.mem_size = 3 * GIB - 1;
	assert_int_equal(numa_plan_build(&in, p, &e), 0);
	assert_int_equal(p->ram_total, 3 * GIB);
	stree_free(root);
	free(h);
	free(p);
}

/* --hugetlb: each bound node's host node must have the free pages its RAM needs. */
static void plan_hugepages_per_node(void **state)
{
	char root[256];
	struct host_numa *h = malloc(sizeof(*h));
	struct numa_plan *p = malloc(sizeof(*p));
	cpu_set_t cpus = cpus_0_7();
	struct numa_in in = {
		.host = h,
		.mem_size = 4 * GIB,
		.hugepage_size = 2 * MIB,
		.nr_cpus = 2,
		.cpus = &cpus,
	};
	struct errinfo e = {0};
	const char *d0 = "/sys/devices/system/node/node0/hugepages/hugepages-2048kB/";
	const char *d1 = "/sys/devices/system/node/node1/hugepages/hugepages-2048kB/";
	char rel[256];

	(void)state;
	two_nodes(root, sizeof(root));
	read_host(root, h);
	assert_int_equal(numa_plan_build(&in, p, &e), 0);
	/* no per-node pool files (old kernel): nothing to check */
	assert_int_equal(numa_plan_check_hugepages(p, root, 2 * MIB, &e), 0);
	/* 2 GiB a node = 1024 pages; node 1 has 1000 free of 1500 */
	snprintf(rel, sizeof(rel), "%sfree_hugepages", d0);
	assert_int_equal(stree_write(root, rel, "1024\n"), 0);
	snprintf(rel, sizeof(rel), "%sfree_hugepages", d1);
	assert_int_equal(stree_write(root, rel, "1000\n"), 0);
	snprintf(rel, sizeof(rel), "%snr_hugepages", d1);
	assert_int_equal(stree_write(root, rel, "1500\n"), 0);
	assert_int_equal(numa_plan_check_hugepages(p, root, 2 * MIB, &e), -ENOMEM);
	assert_non_null(strstr(e.msg, "guest node 1 needs 1024 huge pages of 2048 KiB on host node "
				      "1, which has 1000 free"));
	assert_non_null(strstr(e.hint, "write 1524 to "));
	assert_non_null(strstr(e.hint, "node1/hugepages/hugepages-2048kB/nr_hugepages"));
	snprintf(rel, sizeof(rel), "%sfree_hugepages", d1);
	assert_int_equal(stree_write(root, rel, "1024\n"), 0);
	assert_int_equal(numa_plan_check_hugepages(p, root, 2 * MIB, &e), 0);
	/* a node without memory is not bound, so not checked */
	assert_int_equal(stree_write(root, rel, "0\n"), 0);
	p->node[1].bind = false;
	assert_int_equal(numa_plan_check_hugepages(p, root, 2 * MIB, &e), 0);
	stree_free(root);
	free(h);
	free(p);
}

/*
 * A 2-node plan as ACPI tables (5 vCPUs, 4 GiB): a node-1 device in slot 3,
 * and with @second a node-0 device in slot 4.
 */
static uint8_t *build_tables(struct numa_plan *p, bool second)
{
	char root[256];
	struct host_numa *h = malloc(sizeof(*h));
	int dev_node[] = {1};
	const char *names[] = {"0000:81:00.0"};
	cpu_set_t cpus = cpus_0_7();
	struct numa_in in = {
		.host = h,
		.mem_size = 4 * GIB,
		.nr_cpus = 5,
		.dev_node = dev_node,
		.dev_name = names,
		.nr_devs = 1,
		.cpus = &cpus,
		.cpus_given = true,
	};
	struct acpi_cfg c = {
		.nr_cpus = 5,
		.mmio32_base = 0xc0000000,
		.mmio32_size = 0x20000000,
		.mmio64_base = 0x800000000ULL,
		.mmio64_size = 64 * GIB,
		.ecam_base = 0xe0000000,
	};
	struct numa_acpi na;
	struct errinfo e = {0};
	uint8_t *buf = calloc(1, SIZE);

	two_nodes(root, sizeof(root));
	read_host(root, h);
	assert_int_equal(numa_plan_build(&in, p, &e), 0);
	assert_int_equal(numa_plan_add_pxm(p, 3, 1), 1);
	if (second)
		assert_int_equal(numa_plan_add_pxm(p, 4, 0), 0);
	numa_plan_acpi(p, &na, &c);
	/* one node for every device: the host bridge's too */
	assert_int_equal(c.bridge_has_pxm, !second);
	assert_int_equal(c.bridge_pxm, second ? 0 : 1);
	assert_true(acpi_build(buf, BASE, SIZE, &c, &e) > 0);
	stree_free(root);
	free(h);
	return buf;
}

static void srat_slit_pxm(void **state)
{
	struct numa_plan *p = malloc(sizeof(*p));
	uint8_t *buf = build_tables(p, false), *srat, *slit, *dsdt, *q, *end;
	unsigned int cpus[2] = {0}, apic = 0;
	uint64_t covered = 0, next_low = 0;
	static const uint8_t pxm1[] = {0x08, '_', 'P', 'X', 'M', 0x01};

	(void)state;
	srat = acpi_find(buf, "SRAT");
	slit = acpi_find(buf, "SLIT");
	assert_non_null(srat);
	assert_non_null(slit);
	assert_int_equal(acpi_sum(srat, acpi_rd32(srat + 4)), 0);
	assert_int_equal(acpi_sum(slit, acpi_rd32(slit + 4)), 0);
	assert_int_equal(srat[8], 3);
	assert_int_equal(acpi_rd32(srat + 36), 1);
	end = srat + acpi_rd32(srat + 4);
	for (q = srat + 48; q < end; q += q[1]) {
		if (q[0] == 0) {
			uint32_t pxm = q[2] | (uint32_t)q[9] << 8 | (uint32_t)q[10] << 16 |
				       (uint32_t)q[11] << 24;

			assert_int_equal(q[1], 16);
			/* APIC IDs in order: 0-2 in domain 0, 3-4 in domain 1 */
			assert_int_equal(q[3], apic);
			assert_int_equal(pxm, apic < 3 ? 0 : 1);
			assert_int_equal(acpi_rd32(q + 4) & 1, 1);
			cpus[pxm]++;
			apic++;
		} else {
			uint64_t base = acpi_rd64(q + 8), len = acpi_rd64(q + 16);

			assert_int_equal(q[0], 1);
			assert_int_equal(q[1], 40);
			assert_int_equal(acpi_rd32(q + 28), 1); /* enabled only */
			/* the ranges tile guest RAM: [0, 3G) then [4G, 5G), in order */
			if (base < VM_LOW_RAM_MAX) {
				assert_int_equal(base, next_low);
				next_low = base + len;
			} else {
				assert_int_equal(next_low, VM_LOW_RAM_MAX);
				assert_int_equal(base, VM_HIGH_RAM_BASE);
				assert_int_equal(len, GIB);
				assert_int_equal(acpi_rd32(q + 2), 1);
			}
			assert_int_equal(acpi_rd32(q + 2), base < 2 * GIB ? 0 : 1);
			covered += len;
		}
	}
	assert_ptr_equal(q, end);
	assert_int_equal(cpus[0], 3);
	assert_int_equal(cpus[1], 2);
	assert_int_equal(covered, 4 * GIB);
	assert_int_equal(next_low, VM_LOW_RAM_MAX);

	/* SLIT: 2 localities, the host's distances */
	assert_int_equal(acpi_rd32(slit + 4), 36 + 8 + 4);
	assert_int_equal(acpi_rd64(slit + 36), 2);
	assert_int_equal(slit[44], 10);
	assert_int_equal(slit[45], 21);
	assert_int_equal(slit[46], 21);
	assert_int_equal(slit[47], 10);

	/* the DSDT's slot 3 device carries _PXM 1, and so does PCI0; no other */
	dsdt = acpi_table(buf, acpi_rd64(acpi_find(buf, "FACP") + 140));
	{
		uint32_t len = acpi_rd32(dsdt + 4), hits = 0;
		uint8_t *s3 = NULL, *pci0 = memmem(dsdt, len, "PCI0", 4);

		for (uint32_t i = 0; i + 4 <= len; i++)
			if (!memcmp(dsdt + i, "S03_", 4) && !s3)
				s3 = dsdt + i;
		for (uint32_t i = 0; i + sizeof(pxm1) <= len; i++)
			if (!memcmp(dsdt + i, "_PXM", 4))
				hits++;
		assert_int_equal(hits, 2);
		assert_non_null(s3);
		/* within S03's body: after its name, before S04 */
		assert_non_null(memmem(s3, 64, pxm1, sizeof(pxm1)));
		/* among PCI0's first names (_HID, _CID, _SEG, _BBN, _UID, _PXM) */
		assert_non_null(pci0);
		assert_non_null(memmem(pci0, 64, pxm1, sizeof(pxm1)));
	}
	free(buf);
	/* devices on both nodes: each slot its _PXM, the host bridge none */
	buf = build_tables(p, true);
	dsdt = acpi_table(buf, acpi_rd64(acpi_find(buf, "FACP") + 140));
	{
		static const uint8_t pxm0[] = {0x08, '_', 'P', 'X', 'M', 0x00};
		uint32_t len = acpi_rd32(dsdt + 4), hits = 0;
		uint8_t *s4 = memmem(dsdt, len, "S04_", 4);

		for (uint32_t i = 0; i + 4 <= len; i++)
			if (!memcmp(dsdt + i, "_PXM", 4))
				hits++;
		assert_int_equal(hits, 2);
		assert_non_null(s4);
		assert_non_null(memmem(s4, 64, pxm0, sizeof(pxm0)));
		assert_null(memmem(memmem(dsdt, len, "PCI0", 4), 64, "_PXM", 4));
	}
	free(buf);
	free(p);
}

/* Without a plan: no SRAT, no SLIT, no _PXM (the tables are as before). */
static void no_numa_no_srat(void **state)
{
	struct acpi_cfg c = {
		.nr_cpus = 2,
		.mmio32_base = 0xc0000000,
		.mmio32_size = 0x20000000,
		.ecam_base = 0xe0000000,
	};
	uint8_t *buf = calloc(1, SIZE), *xsdt;
	struct errinfo e = {0};

	(void)state;
	assert_true(acpi_build(buf, BASE, SIZE, &c, &e) > 0);
	xsdt = acpi_table(buf, acpi_rd64(buf + 24));
	assert_int_equal(acpi_rd32(xsdt + 4), 36 + 3 * 8);
	assert_null(acpi_find(buf, "SRAT"));
	assert_null(acpi_find(buf, "SLIT"));
	free(buf);
}

static void dump(const char *dir, const char *name, const uint8_t *t)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(t, 1, acpi_rd32(t + 4), f), acpi_rd32(t + 4));
	fclose(f);
}

/* ACPICA's disassembler decodes SRAT, SLIT and the DSDT's _PXM without complaint. */
static void iasl_decodes_numa_tables(void **state)
{
	struct numa_plan *p = malloc(sizeof(*p));
	uint8_t *buf = build_tables(p, false);
	char dir[] = "/tmp/vfvm-numa-XXXXXX", cmd[4096];

	(void)state;
	if (system("command -v iasl >/dev/null 2>&1") != 0)
		fail_msg("iasl not found: install acpica-tools (tools/install-deps.sh)");
	assert_non_null(mkdtemp(dir));
	dump(dir, "SRAT", acpi_find(buf, "SRAT"));
	dump(dir, "SLIT", acpi_find(buf, "SLIT"));
	dump(dir, "DSDT", acpi_table(buf, acpi_rd64(acpi_find(buf, "FACP") + 140)));
	snprintf(cmd, sizeof(cmd),
		 "cd %s && for t in SRAT SLIT DSDT; do iasl -d $t.dat >$t.log 2>&1 || exit 1; done",
		 dir);
	assert_int_equal(system(cmd), 0);
	/*
	 * SRAT: 5 processor entries (domains 0,0,0,1,1 for APIC IDs 0-4) and
	 * 3 memory entries; SLIT: 2 localities with 10/21; DSDT: _PXM 1 in S03.
	 */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && [ $(grep -c 'Subtable Type : 00 \\[Processor Local APIC/SAPIC "
		 "Affinity\\]' SRAT.dsl) -eq 5 ] && "
		 "[ $(grep -c 'Subtable Type : 01 \\[Memory Affinity\\]' SRAT.dsl) -eq 3 ] && "
		 "grep -q 'Apic ID : 04' SRAT.dsl && "
		 "grep -q 'Base Address : 0000000100000000' SRAT.dsl && "
		 "grep -q 'Address Length : 0000000080000000' SRAT.dsl && "
		 "grep -q 'Localities : 0000000000000002' SLIT.dsl && "
		 "grep -q 'Locality   0 : 0A 15' SLIT.dsl && "
		 "grep -q 'Locality   1 : 15 0A' SLIT.dsl && "
		 "grep -A4 'Device (S03)' DSDT.dsl | grep -q 'Name (_PXM, One)' && "
		 "grep -A10 'Device (PCI0)' DSDT.dsl | grep -q 'Name (_PXM, One)' && "
		 "! grep -qi 'invalid\\|error\\|warning\\|unknown' SRAT.dsl SLIT.dsl DSDT.dsl "
		 "SRAT.log SLIT.log DSDT.log",
		 dir);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "cat %s/SRAT.dsl %s/SLIT.dsl >&2", dir, dir);
		assert_int_equal(system(cmd), 0);
		fail_msg("the disassembled SRAT/SLIT/DSDT are not as expected (above)");
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(buf);
	free(p);
}

/* mbind(MPOL_BIND) of guest RAM: real on node 0; a node the host lacks is named. */
static void bind_guest_ram(void **state)
{
	struct numa_plan *p = calloc(1, sizeof(*p));
	struct guest_mem m = {.memfd = -1};
	struct errinfo e = {0};
	unsigned long mask = 0;
	int mode = -1;
	uint64_t size = 256 * MIB;
	int fd = memfd_create("vfvm-test-numa", MFD_CLOEXEC);
	uint8_t *hva;

	(void)state;
	if (access("/sys/devices/system/node/node0", F_OK) != 0)
		fail_msg("this kernel shows no NUMA node 0 (/sys/devices/system/node/node0): "
			 "mbind(2) cannot be tested here (a kernel with CONFIG_NUMA is needed)");
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	hva = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	assert_true(hva != MAP_FAILED);
	m.region[0] = (struct guest_mem_region){0, size, hva, 0};
	m.nr_regions = 1;
	m.total = size;
	p->nr = 2;
	p->ram_total = size;
	p->node[0] = (struct numa_node){.host_node = 0, .ram_size = 128 * MIB, .bind = true};
	/* node 1 is CPU-only on that host: not bound */
	p->node[1] = (struct numa_node){
		.host_node = 1, .ram_off = 128 * MIB, .ram_size = 128 * MIB, .bind = false};
	assert_int_equal(numa_plan_bind(p, &m, &e), 0);
	assert_int_equal(
		syscall(SYS_get_mempolicy, &mode, &mask, sizeof(mask) * 8, hva + 4096, MPOL_F_ADDR),
		0);
	assert_int_equal(mode, MPOL_BIND);
	assert_int_equal(mask, 1);
	assert_int_equal(syscall(SYS_get_mempolicy, &mode, &mask, sizeof(mask) * 8, hva + 128 * MIB,
				 MPOL_F_ADDR),
			 0);
	assert_int_equal(mode, MPOL_DEFAULT);
	/* the page is allocated where the policy says */
	hva[4096] = 1;
	/* a node this host does not have: the error names node, range and errno */
	p->node[1].host_node = 63;
	p->node[1].bind = true;
	assert_true(numa_plan_bind(p, &m, &e) < 0);
	assert_non_null(strstr(e.msg, "mbind(MPOL_BIND) of guest node 1's RAM"));
	assert_non_null(strstr(e.msg, "guest 0x8000000, 128 MiB) to host node 63"));
	assert_non_null(strstr(e.msg, "errno"));
	/* a plan for other RAM than the VM's is refused */
	m.total = 2 * size;
	assert_int_equal(numa_plan_bind(p, &m, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "splits 256 MiB, guest RAM is 512 MiB"));
	munmap(hva, size);
	close(fd);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(host_facts),
		cmocka_unit_test(plan_two_devices),
		cmocka_unit_test(plan_one_device_and_no_device),
		cmocka_unit_test(plan_single_node_host),
		cmocka_unit_test(plan_errors),
		cmocka_unit_test(plan_hugepages),
		cmocka_unit_test(plan_hugepages_per_node),
		cmocka_unit_test(srat_slit_pxm),
		cmocka_unit_test(no_numa_no_srat),
		cmocka_unit_test(iasl_decodes_numa_tables),
		cmocka_unit_test(bind_guest_ram),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
