// SPDX-License-Identifier: GPL-2.0-only
/*
 * --numa for `vfvm run` and `vfvm check`: the host facts (nodes under the
 * sysfs root, each --device's node, the CPUs the vCPUs may use) turned into
 * a guest NUMA plan (src/vmm/numa.h), with its warnings and a summary.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_affinity.h"
#include "numa.h"
#include "spec.h"
#include "vfvm.h"

int vfvm_numa_plan(const struct vfvm_numa_req *r, struct numa_plan *p, int *dev_node,
		   const char *who)
{
	struct host_numa *h = malloc(sizeof(*h));
	const char *names[VFVM_NUMA_MAX_DEVS];
	char bdf[VFVM_NUMA_MAX_DEVS][32];
	struct errinfo e = {0};
	cpu_set_t cpus;
	struct numa_in in = {
		.mem_size = r->mem,
		.hugepage_size = r->hugepage_size,
		.nr_cpus = r->cpus,
		.dev_node = dev_node,
		.dev_name = names,
		.nr_devs = (unsigned int)(r->nr_dev < VFVM_NUMA_MAX_DEVS ? r->nr_dev
									 : VFVM_NUMA_MAX_DEVS),
		.cpus = &cpus,
		.cpus_given = r->affinity != NULL,
	};
	int ret = -1;

	if (!h) {
		fprintf(stderr, "%s: out of memory\n", who);
		return -1;
	}
	in.host = h;
	if (host_numa_read(vfvm_host()->sysfs_root, h, &e) < 0)
		goto out;
	if (r->affinity) {
		if (host_numa_parse_list(r->affinity, &cpus)) {
			err_set(&e, EINVAL, "--cpu-affinity '%s': expected a CPU list like 0-1,3",
				r->affinity);
			goto out;
		}
	} else if (sched_getaffinity(0, sizeof(cpus), &cpus) < 0) {
		err_sys(&e, errno, "--numa: sched_getaffinity (the CPUs vfvm may run on)");
		goto out;
	}
	for (int i = 0; i < r->nr_dev && i < VFVM_NUMA_MAX_DEVS; i++) {
		struct vfio_pci_spec s;

		snprintf(bdf[i], sizeof(bdf[i]), "%s",
			 vfio_pci_spec_parse(r->dev[i], &s, NULL) == 0 ? s.bdf : r->dev[i]);
		names[i] = bdf[i];
		dev_node[i] = vfio_pci__numa_node(vfvm_host(), r->dev[i], NULL, 0);
		if (dev_node[i] < 0)
			fprintf(stderr,
				"%s: warning: --numa: %s has no NUMA node (its numa_node is -1): "
				"it gets no _PXM and places no guest node\n",
				who, bdf[i]);
	}
	ret = numa_plan_build(&in, p, &e);
	if (!ret && r->hugepage_size)
		ret = numa_plan_check_hugepages(p, vfvm_host()->sysfs_root, r->hugepage_size, &e);
out:
	if (ret || e.err) {
		fprintf(stderr, "%s: %s\n", who, e.msg);
		if (e.hint[0])
			fprintf(stderr, "%s: hint: %s\n", who, e.hint);
		ret = -1;
	}
	free(h);
	return ret;
}

void vfvm_numa_print(FILE *f, const struct numa_plan *p, const char *prefix)
{
	for (unsigned int i = 0; i < p->nr; i++) {
		const struct numa_node *g = &p->node[i];
		struct numa_range r[2];
		unsigned int nr = numa_node_ranges(p, i, r);
		char cpus[256], ram[128], vcpus[32];
		size_t len = 0;

		irq_cpulist_format(&g->host_cpus, cpus, sizeof(cpus));
		ram[0] = '\0';
		for (unsigned int k = 0; k < nr && len < sizeof(ram); k++)
			len += (size_t)snprintf(ram + len, sizeof(ram) - len, "%s0x%llx-0x%llx",
						k ? " + " : "", (unsigned long long)r[k].gpa,
						(unsigned long long)(r[k].gpa + r[k].size - 1));
		if (g->nr_cpus == 1)
			snprintf(vcpus, sizeof(vcpus), "vCPU %u", g->first_cpu);
		else
			snprintf(vcpus, sizeof(vcpus), "vCPUs %u-%u", g->first_cpu,
				 g->first_cpu + g->nr_cpus - 1);
		fprintf(f,
			"%sguest NUMA node %u = host node %d: %s on host CPUs %s, "
			"%llu MiB RAM at %s%s\n",
			prefix, i, g->host_node, vcpus, cpus,
			(unsigned long long)(g->ram_size >> 20), ram,
			g->bind ? "" : " (host node has no memory: not bound)");
	}
}
