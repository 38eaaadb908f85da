// SPDX-License-Identifier: GPL-2.0-only
/* The VM half of the pre-flight: see vfio_preflight.h. */
#include <cpuid.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dma.h"
#include "vfio_preflight.h"

#define IORESOURCE_MEM 0x00000200
#define IORESOURCE_MEM_64 0x00100000

unsigned int vfio_host_phys_bits(void)
{
	unsigned int a, b, c, d;

	if (__get_cpuid(0x80000000, &a, &b, &c, &d) && a >= 0x80000008 &&
	    __get_cpuid(0x80000008, &a, &b, &c, &d) && (a & 0xff))
		return a & 0xff;
	return 36;
}

static int read_file(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

static void check_iova(const struct vfio_preflight_in *in, struct preflight_report *r)
{
	char path[512], line[256];
	FILE *f;
	bool bad = false;

	if (!in->mem || r->group < 0)
		return;
	snprintf(path, sizeof(path), "%s/sys/kernel/iommu_groups/%d/reserved_regions", in->root,
		 r->group);
	f = fopen(path, "re");
	if (!f) {
		preflight_add(r, "iova", PREFLIGHT_WARN, NULL,
			      "cannot read %s: guest RAM not checked", path);
		return;
	}
	while (!bad && fgets(line, sizeof(line), f)) {
		unsigned long long s, l;
		char type[64];

		if (sscanf(line, "%llx %llx %63s", &s, &l, type) != 3)
			continue;
		/* relaxable direct maps (e.g. USB/GPU RMRRs) do not block assignment */
		if (!strcmp(type, "direct-relaxable"))
			continue;
		for (int i = 0; i < in->mem->nr_regions && !bad; i++) {
			const struct guest_mem_region *g = &in->mem->region[i];

			if (!g->size || g->gpa > l || s > g->gpa + g->size - 1)
				continue;
			bad = true;
			preflight_add(r, "iova", PREFLIGHT_FAIL,
				      "the device cannot DMA there; give the guest less RAM",
				      "guest RAM 0x%" PRIx64 "-0x%" PRIx64
				      " overlaps reserved IOVA 0x%llx-0x%llx (%s)",
				      g->gpa, g->gpa + g->size - 1, s, l, type);
		}
	}
	fclose(f);
	if (!bad)
		preflight_add(r, "iova", PREFLIGHT_OK, NULL,
			      "guest RAM avoids the group's reserved IOVA regions");
}

static void check_mmio(const struct vfio_preflight_in *in, struct preflight_report *r)
{
	char path[512], line[256];
	uint64_t need = 0, cursor = 0;
	FILE *f;

	if (!in->phys_bits || !in->mmio64_size)
		return;
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/resource", in->root, in->bdf);
	f = fopen(path, "re");
	if (!f) {
		preflight_add(r, "mmio-window", PREFLIGHT_WARN, NULL, "cannot read %s", path);
		return;
	}
	/* place the 64-bit BARs as the host bridge would: naturally aligned */
	for (int i = 0; i < 6 && fgets(line, sizeof(line), f); i++) {
		unsigned long long s, end, fl;
		uint64_t size;

		if (sscanf(line, "%llx %llx %llx", &s, &end, &fl) != 3 || !end || end < s)
			continue;
		if (!(fl & IORESOURCE_MEM) || !(fl & IORESOURCE_MEM_64))
			continue;
		size = end - s + 1;
		cursor = (cursor + size - 1) & ~(size - 1);
		cursor += size;
	}
	fclose(f);
	need = cursor;
	if (need > in->mmio64_size) {
		preflight_add(r, "mmio-window", PREFLIGHT_FAIL, "enlarge the 64-bit MMIO window",
			      "64-bit BARs need %" PRIu64
			      " MiB, the 64-bit MMIO window has %" PRIu64 " MiB",
			      need >> 20, in->mmio64_size >> 20);
		return;
	}
	if (in->phys_bits < 64 && in->mmio64_base + in->mmio64_size > (1ULL << in->phys_bits)) {
		preflight_add(r, "mmio-window", PREFLIGHT_FAIL,
			      "give the guest less RAM or a smaller window; the guest cannot reach "
			      "BARs there",
			      "64-bit MMIO window ends at 0x%" PRIx64
			      ", beyond the guest's %u physical address bits",
			      in->mmio64_base + in->mmio64_size, in->phys_bits);
		return;
	}
	preflight_add(r, "mmio-window", PREFLIGHT_OK, NULL,
		      "64-bit BARs (%" PRIu64 " MiB) fit the window below 2^%u", need >> 20,
		      in->phys_bits);
}

int vfio_device_numa_node(const char *root, const char *bdf, char *cpus, size_t size)
{
	char path[512], buf[64];
	char *end;
	long node;

	if (cpus && size)
		cpus[0] = '\0';
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/numa_node", root, bdf);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	node = strtol(buf, &end, 10);
	if (end == buf || node < 0 || node > 4095)
		return -1;
	if (cpus && size) {
		snprintf(path, sizeof(path), "%s/sys/devices/system/node/node%ld/cpulist", root,
			 node);
		if (read_file(path, cpus, size) < 0)
			cpus[0] = '\0';
	}
	return (int)node;
}

int vfio_preflight_run(const struct vfio_preflight_in *in, struct preflight_report *r,
		       struct errinfo *e)
{
	struct preflight_opts o = {
		.vmm = true,
		.managed = in->managed,
		.vf_token = in->have_vf_token,
	};
	int ret;

	ret = preflight_device(in->root, in->bdf, &o, r, e);
	if (ret < 0)
		return ret;
	/* a device that is not there is the one item: nothing else to ask */
	if (r->n == 1)
		return r->n_fail;
	if (in->mem) {
		struct errinfo me = {0};

		if (vfio_dma_check_memlock(in->mem->total, &me) < 0)
			preflight_add(r, "memlock", PREFLIGHT_FAIL, me.hint, "%s", me.msg);
		else
			preflight_add(r, "memlock", PREFLIGHT_OK, NULL,
				      "locked memory limit covers %" PRIu64 " MiB of guest RAM",
				      in->mem->total >> 20);
	}
	check_iova(in, r);
	check_mmio(in, r);
	return r->n_fail;
}
