// SPDX-License-Identifier: GPL-2.0-only
/* The VM half of the pre-flight: see vfio_preflight.h. */
#include <cpuid.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dma.h"
#include "vfio_preflight.h"

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
	bool bad = false, win_bad = false;
	uint64_t wb = in->plan ? in->plan->base : 0, we = in->plan ? wb + in->plan->size - 1 : 0;

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
		/* peer-to-peer DMA targets the window: a reserved range there is a hole */
		if (in->plan && !win_bad && s <= we && wb <= l) {
			win_bad = true;
			preflight_add(r, "iova-window", PREFLIGHT_WARN,
				      "peer-to-peer DMA cannot reach BARs there; use another "
				      "--mmio64 or --mem so the window moves",
				      "the 64-bit MMIO window 0x%" PRIx64 "-0x%" PRIx64
				      " overlaps reserved IOVA 0x%llx-0x%llx (%s)",
				      wb, we, s, l, type);
		}
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
			      in->plan && !win_bad
				      ? "guest RAM and the 64-bit MMIO window avoid the group's "
					"reserved IOVA regions"
				      : "guest RAM avoids the group's reserved IOVA regions");
}

int vfio_mmio_dev_read(const char *root, const char *bdf, const char *name, struct mmio_plan_dev *d,
		       struct errinfo *e)
{
	char path[512], text[4096];
	int ret;

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/resource", root, bdf);
	ret = read_file(path, text, sizeof(text));
	if (ret < 0)
		return err_sys(e, -ret, "reading the BARs of %s (%s)", bdf, path);
	ret = mmio_plan_dev_from_resource(text, d);
	if (ret < 0)
		return err_set(e, EINVAL, "%s: a line does not read as \"start end flags\"", path);
	return ret;
}

/* VT-d: MGAW, capped by the widest page-table level SAGAW offers (39/48/57 bits). */
static unsigned int vtd_addr_bits(uint64_t cap)
{
	unsigned int mgaw = (unsigned int)((cap >> 16) & 0x3f) + 1, sagaw = (cap >> 8) & 0x1f;
	unsigned int levels = sagaw & 8 ? 57 : sagaw & 4 ? 48 : sagaw & 2 ? 39 : 0;

	return levels && levels < mgaw ? levels : mgaw;
}

unsigned int vfio_iommu_addr_bits(const char *root, char *unit, size_t size)
{
	char path[512], buf[64];
	unsigned int bits = 0;
	struct dirent *de;
	DIR *d;

	if (unit && size)
		unit[0] = '\0';
	snprintf(path, sizeof(path), "%s/sys/class/iommu", root);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		unsigned int b;

		if (strncmp(de->d_name, "dmar", 4))
			continue;
		snprintf(path, sizeof(path), "%s/sys/class/iommu/%s/intel-iommu/cap", root,
			 de->d_name);
		if (read_file(path, buf, sizeof(buf)) < 0)
			continue;
		b = vtd_addr_bits(strtoull(buf, NULL, 16));
		if (!bits || b < bits) {
			bits = b;
			if (unit && size)
				snprintf(unit, size, "%s", de->d_name);
		}
	}
	closedir(d);
	return bits;
}

static void check_mmio(const struct vfio_preflight_in *in, struct preflight_report *r)
{
	const struct mmio_plan *p = in->plan;
	char a[48], b[48], c[48];
	uint64_t mine = 0, first = 0;
	int d;

	if (!p) {
		if (in->plan_err)
			preflight_add(r, "mmio-window", PREFLIGHT_FAIL,
				      in->plan_err->hint[0] ? in->plan_err->hint : NULL, "%s",
				      in->plan_err->msg);
		return;
	}
	/* planned under its pci_dev name, which ends in the BDF ("vfio 0000:17:00.0") */
	for (d = 0; d < (int)p->nr_dev; d++) {
		size_t nl = strlen(p->dev[d].name), bl = strlen(in->bdf);

		if (nl >= bl && !strcmp(p->dev[d].name + nl - bl, in->bdf))
			break;
	}
	if (d < (int)p->nr_dev)
		for (int i = 0; i < MMIO_PLAN_BARS; i++)
			if (p->dev[d].bar_size[i]) {
				mine += p->dev[d].bar_size[i];
				if (!first || p->bar_gpa[d][i] < first)
					first = p->bar_gpa[d][i];
			}
	if (!mine) {
		preflight_add(r, "mmio-window", PREFLIGHT_OK, NULL,
			      "no 64-bit BARs; the 64-bit MMIO window is %s at 0x%" PRIx64
			      ", below 2^%u",
			      mmio_plan_fmt_size(p->size, a, sizeof(a)), p->base, p->phys_bits);
		return;
	}
	preflight_add(r, "mmio-window", PREFLIGHT_OK, NULL,
		      "64-bit BARs (%s) from 0x%" PRIx64 "%s; window %s at 0x%" PRIx64
		      " (%s, %u device(s) need %s%s), below 2^%u",
		      mmio_plan_fmt_size(mine, a, sizeof(a)), first,
		      p->block_size[d] ? " in its root port's window" : "",
		      mmio_plan_fmt_size(p->size, b, sizeof(b)), p->base,
		      p->size_given ? "--mmio64" : "sized from the devices", p->nr_dev,
		      mmio_plan_fmt_size(p->need, c, sizeof(c)),
		      p->need != p->bars ? " with their root ports' windows aligned" : "",
		      p->phys_bits);
}

/* Guest RAM and the window against the IOMMU's DMA address width. */
static void check_iommu_width(const struct vfio_preflight_in *in, struct preflight_report *r)
{
	uint64_t ram_end = 0, win_end = in->plan ? in->plan->base + in->plan->size : 0;
	char unit[64];
	unsigned int bits;
	uint64_t lim;

	if (!in->plan && !in->mem)
		return;
	for (int i = 0; in->mem && i < in->mem->nr_regions; i++)
		if (in->mem->region[i].gpa + in->mem->region[i].size > ram_end)
			ram_end = in->mem->region[i].gpa + in->mem->region[i].size;
	bits = vfio_iommu_addr_bits(in->root, unit, sizeof(unit));
	if (!bits) {
		preflight_add(r, "iommu-width", PREFLIGHT_WARN, NULL,
			      "the IOMMU's address width is not known here (no VT-d capability "
			      "register): guest RAM and the 64-bit window not checked against it");
		return;
	}
	lim = bits >= 64 ? UINT64_MAX : 1ULL << bits;
	if (ram_end > lim) {
		preflight_add(r, "iommu-width", PREFLIGHT_FAIL,
			      "host limit: give the guest less RAM, or use an IOMMU with a wider "
			      "address width",
			      "guest RAM ends at 0x%" PRIx64
			      ", beyond the %u-bit DMA address width "
			      "of the IOMMU (%s): the device cannot reach it",
			      ram_end, bits, unit);
		return;
	}
	if (win_end > lim) {
		preflight_add(
			r, "iommu-width", PREFLIGHT_WARN,
			"host limit: peer-to-peer DMA into BARs needs an IOMMU address width "
			"covering the window (or less RAM and a smaller window)",
			"the 64-bit MMIO window ends at 0x%" PRIx64 ", beyond the %u-bit DMA "
			"address width of the IOMMU (%s): devices cannot DMA into each other's "
			"BARs there (guest RAM is within it)",
			win_end, bits, unit);
		return;
	}
	preflight_add(r, "iommu-width", PREFLIGHT_OK, NULL,
		      "guest RAM and the 64-bit MMIO window (end 0x%" PRIx64
		      ") are within the IOMMU's %u-bit address width (%s)",
		      win_end > ram_end ? win_end : ram_end, bits, unit);
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
	check_iommu_width(in, r);
	return r->n_fail;
}
