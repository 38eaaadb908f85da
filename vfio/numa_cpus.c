// SPDX-License-Identifier: GPL-2.0-only
/* A device's NUMA node as a CPU set for prefault threads: see numa_cpus.h. */
#include <stdlib.h>
#include <string.h>

#include "host_affinity.h"
#include "numa_cpus.h"
#include "vfio_preflight.h"
#include "vm.h"

int vfio_numa_cpus(const char *root, const char *bdf, const cpu_set_t *allowed, cpu_set_t *set,
		   char *list, size_t size)
{
	static const int max = CPU_SETSIZE;
	char text[256];
	int *cpu, n, node;

	CPU_ZERO(set);
	if (list && size)
		list[0] = '\0';
	node = vfio_device_numa_node(root ? root : "", bdf, text, sizeof(text));
	if (node < 0)
		return -1;
	text[strcspn(text, "\n")] = '\0';
	cpu = calloc(max, sizeof(*cpu));
	if (!cpu)
		return -1;
	n = vm_parse_cpu_affinity(text, cpu, max);
	for (int i = 0; i < n; i++)
		if (!allowed || CPU_ISSET(cpu[i], allowed))
			CPU_SET(cpu[i], set);
	free(cpu);
	if (!CPU_COUNT(set))
		return -1;
	if (list && size)
		irq_cpulist_format(set, list, size);
	return node;
}
