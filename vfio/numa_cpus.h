/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The CPUs near a passed-through device, for the threads that prefault
 * guest RAM before the DMA map: pages are zeroed by the CPU that faults
 * them and the kernel allocates them on that CPU's node (first touch), so
 * threads on the device's node put guest RAM next to the device that
 * DMAs into it.
 */
#ifndef VFIO_NUMA_CPUS_H
#define VFIO_NUMA_CPUS_H

#include <sched.h>
#include <stddef.h>

/*
 * The CPUs of @bdf's NUMA node (ROOT/sys/bus/pci/devices/BDF/numa_node and
 * ROOT/sys/devices/system/node/nodeN/cpulist) that are also in @allowed
 * (NULL: no restriction), into @set, and their list into @list.  Returns
 * the node, or -1 with @set empty and @list "" when the node is unknown,
 * its CPU list cannot be read or parsed, or none of its CPUs is allowed:
 * the caller then runs its threads anywhere.
 */
int vfio_numa_cpus(const char *root, const char *bdf, const cpu_set_t *allowed, cpu_set_t *set,
		   char *list, size_t size);

#endif
