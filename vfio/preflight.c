// SPDX-License-Identifier: GPL-2.0-only
/* Pre-flight checks for passing a device through: see preflight.h. */
#include <cpuid.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dma.h"
#include "iommu.h"
#include "preflight.h"

#define IORESOURCE_MEM 0x00000200
#define IORESOURCE_MEM_64 0x00100000

const char *vfio_check_status_name(enum vfio_check_status s)
{
	return s == VFIO_CHECK_OK ? "ok" : s == VFIO_CHECK_WARN ? "warn" : "FAIL";
}

unsigned int vfio_host_phys_bits(void)
{
	unsigned int a, b, c, d;

	if (__get_cpuid(0x80000000, &a, &b, &c, &d) && a >= 0x80000008 &&
	    __get_cpuid(0x80000008, &a, &b, &c, &d) && (a & 0xff))
		return a & 0xff;
	return 36;
}

static struct vfio_check_item *item(struct vfio_preflight_report *r, const char *name,
				    enum vfio_check_status st, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static struct vfio_check_item *item(struct vfio_preflight_report *r, const char *name,
				    enum vfio_check_status st, const char *fmt, ...)
{
	struct vfio_check_item *it;
	va_list ap;

	it = r->nr < VFIO_PREFLIGHT_MAX ? &r->item[r->nr++] : &r->scratch;
	it->name = name;
	it->status = st;
	it->hint[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(it->msg, sizeof(it->msg), fmt, ap);
	va_end(ap);
	if (st == VFIO_CHECK_FAIL)
		r->nr_fail++;
	else if (st == VFIO_CHECK_WARN)
		r->nr_warn++;
	return it;
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

static void check_irq_remap(const struct vfio_preflight_in *in, struct vfio_preflight_report *r)
{
	struct vfio_check_item *it;

	switch (iommu_irq_remapping(in->root)) {
	case IOMMU_IR_ON:
		item(r, "interrupt-remapping", VFIO_CHECK_OK, "interrupt remapping is on");
		break;
	case IOMMU_IR_OFF:
		if (iommu_unsafe_interrupts_allowed(in->root)) {
			it = item(r, "interrupt-remapping", VFIO_CHECK_WARN,
				  "interrupt remapping is off; VFIO allows it "
				  "(allow_unsafe_interrupts=Y), but the guest can forge MSIs");
		} else {
			it = item(
				r, "interrupt-remapping", VFIO_CHECK_FAIL,
				"interrupt remapping is off: VFIO type1 refuses to attach groups");
			snprintf(it->hint, sizeof(it->hint),
				 "enable IR in the firmware/IOMMU (intremap=on), or "
				 "vfio_iommu_type1.allow_unsafe_interrupts=1 at your own risk");
		}
		break;
	default:
		item(r, "interrupt-remapping", VFIO_CHECK_WARN,
		     "cannot tell whether interrupt remapping is on (no MSI in /proc/interrupts "
		     "yet)");
		break;
	}
}

static void check_group(const struct vfio_preflight_in *in, struct vfio_preflight_report *r,
			int *group_out)
{
	const char *moving[1] = {in->bdf};
	struct vfio_check_item *it;
	struct iommu_group g;
	struct errinfo e = {0};
	char others[256] = "";
	size_t len = 0;

	*group_out = -1;
	if (iommu_group_read(in->root, in->bdf, moving, 1, &g, &e) < 0) {
		it = item(r, "group", VFIO_CHECK_FAIL, "%s", e.msg);
		snprintf(it->hint, sizeof(it->hint), "%s", e.hint);
		return;
	}
	*group_out = g.group;
	for (int i = 0; i < g.n; i++) {
		if (!g.members[i].blocking)
			continue;
		len += (size_t)snprintf(others + len,
					len < sizeof(others) ? sizeof(others) - len : 0,
					"%s%s (%s)", len ? ", " : "", g.members[i].bdf,
					g.members[i].driver[0] ? g.members[i].driver : "no driver");
		if (len >= sizeof(others))
			len = sizeof(others) - 1;
	}
	if (g.viable) {
		item(r, "group", VFIO_CHECK_OK, "IOMMU group %d is viable (%d member%s)", g.group,
		     g.n, g.n == 1 ? "" : "s");
	} else if (in->managed) {
		it = item(r, "group", VFIO_CHECK_WARN,
			  "IOMMU group %d: managed will also take %s from the host", g.group,
			  others);
		snprintf(it->hint, sizeof(it->hint),
			 "they return to their drivers when vfvm exits; the host must not be using "
			 "them");
	} else {
		it = item(r, "group", VFIO_CHECK_FAIL,
			  "IOMMU group %d is not viable: %s bound to host drivers", g.group,
			  others);
		snprintf(it->hint, sizeof(it->hint),
			 "bind them to vfio-pci too (vfctl bind), or use ,managed");
	}
	iommu_group_free(&g);
}

static void check_vfio_bound(const struct vfio_preflight_in *in, struct vfio_preflight_report *r,
			     int group)
{
	struct vfio_check_item *it;
	char path[512], drv[256];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/driver", in->root, in->bdf);
	n = readlink(path, drv, sizeof(drv) - 1);
	drv[n > 0 ? n : 0] = '\0';
	base = strrchr(drv, '/');
	base = base ? base + 1 : drv;
	if (in->managed) {
		item(r, "driver", VFIO_CHECK_OK, "%s: on %s now; managed binds it to vfio-pci",
		     in->bdf, *base ? base : "no driver");
		return;
	}
	if (!*base || !iommu_driver_is_vfio(base)) {
		it = item(r, "driver", VFIO_CHECK_FAIL, "%s is bound to %s, not vfio-pci", in->bdf,
			  *base ? base : "no driver");
		snprintf(it->hint, sizeof(it->hint), "vfctl bind %s vfio-pci, or add ,managed",
			 in->bdf);
		return;
	}
	snprintf(path, sizeof(path), "%s/dev/vfio/%d", in->root, group);
	if (group >= 0 && access(path, F_OK) != 0) {
		it = item(r, "driver", VFIO_CHECK_FAIL, "%s is on %s but %s does not exist",
			  in->bdf, base, path);
		snprintf(it->hint, sizeof(it->hint),
			 "is the vfio module loaded? (modprobe vfio-pci)");
		return;
	}
	item(r, "driver", VFIO_CHECK_OK, "%s is bound to %s", in->bdf, base);
}

static void check_iova(const struct vfio_preflight_in *in, struct vfio_preflight_report *r,
		       int group)
{
	char path[512], line[256];
	struct vfio_check_item *it;
	FILE *f;
	bool bad = false;

	if (!in->mem || group < 0)
		return;
	snprintf(path, sizeof(path), "%s/sys/kernel/iommu_groups/%d/reserved_regions", in->root,
		 group);
	f = fopen(path, "re");
	if (!f) {
		item(r, "iova", VFIO_CHECK_WARN, "cannot read %s: guest RAM not checked", path);
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
			it = item(r, "iova", VFIO_CHECK_FAIL,
				  "guest RAM 0x%" PRIx64 "-0x%" PRIx64
				  " overlaps reserved IOVA 0x%llx-0x%llx (%s)",
				  g->gpa, g->gpa + g->size - 1, s, l, type);
			snprintf(it->hint, sizeof(it->hint),
				 "the device cannot DMA there; give the guest less RAM");
		}
	}
	fclose(f);
	if (!bad)
		item(r, "iova", VFIO_CHECK_OK,
		     "guest RAM avoids the group's reserved IOVA regions");
}

static void check_mmio(const struct vfio_preflight_in *in, struct vfio_preflight_report *r)
{
	char path[512], line[256];
	struct vfio_check_item *it;
	uint64_t need = 0, cursor = 0;
	FILE *f;

	if (!in->phys_bits || !in->mmio64_size)
		return;
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/resource", in->root, in->bdf);
	f = fopen(path, "re");
	if (!f) {
		item(r, "mmio-window", VFIO_CHECK_WARN, "cannot read %s", path);
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
		it = item(r, "mmio-window", VFIO_CHECK_FAIL,
			  "64-bit BARs need %" PRIu64 " MiB, the 64-bit MMIO window has %" PRIu64
			  " MiB",
			  need >> 20, in->mmio64_size >> 20);
		snprintf(it->hint, sizeof(it->hint), "enlarge the 64-bit MMIO window");
		return;
	}
	if (in->phys_bits < 64 && in->mmio64_base + in->mmio64_size > (1ULL << in->phys_bits)) {
		it = item(r, "mmio-window", VFIO_CHECK_FAIL,
			  "64-bit MMIO window ends at 0x%" PRIx64
			  ", beyond the guest's %u physical address bits",
			  in->mmio64_base + in->mmio64_size, in->phys_bits);
		snprintf(it->hint, sizeof(it->hint),
			 "give the guest less RAM or a smaller window; the guest cannot reach BARs "
			 "there");
		return;
	}
	item(r, "mmio-window", VFIO_CHECK_OK,
	     "64-bit BARs (%" PRIu64 " MiB) fit the window below 2^%u", need >> 20, in->phys_bits);
}

static void check_reset(const struct vfio_preflight_in *in, struct vfio_preflight_report *r)
{
	struct vfio_check_item *it;
	char path[512], buf[256];

	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/reset_method", in->root, in->bdf);
	if (read_file(path, buf, sizeof(buf)) == 0 && buf[0]) {
		item(r, "reset", VFIO_CHECK_OK, "reset methods: %s", buf);
		return;
	}
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/reset", in->root, in->bdf);
	if (access(path, F_OK) == 0) {
		item(r, "reset", VFIO_CHECK_OK, "the device can be reset");
		return;
	}
	it = item(r, "reset", VFIO_CHECK_WARN, "%s has no reset method: state can leak between VMs",
		  in->bdf);
	snprintf(it->hint, sizeof(it->hint),
		 "a bus reset needs every device on that bus passed to the same VM");
}

static void check_vf_token(const struct vfio_preflight_in *in, struct vfio_preflight_report *r)
{
	struct vfio_check_item *it;
	char path[512], drv[256];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s/physfn/driver", in->root, in->bdf);
	n = readlink(path, drv, sizeof(drv) - 1);
	if (n <= 0)
		return; /* not a VF, or its PF has no driver */
	drv[n] = '\0';
	base = strrchr(drv, '/');
	base = base ? base + 1 : drv;
	if (strcmp(base, "vfio-pci"))
		return;
	if (in->have_vf_token) {
		item(r, "vf-token", VFIO_CHECK_OK, "the PF is on vfio-pci; a VF token is given");
		return;
	}
	it = item(r, "vf-token", VFIO_CHECK_FAIL,
		  "the PF of %s is owned by vfio-pci: opening the VF needs the PF's VF token",
		  in->bdf);
	snprintf(it->hint, sizeof(it->hint), "add ,vf-token=UUID (the token the PF's user set)");
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

int vfio_preflight_run(const struct vfio_preflight_in *in, struct vfio_preflight_report *r)
{
	struct vfio_check_item *it;
	char path[512];
	int group = -1;

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s", in->root, in->bdf);
	if (access(path, F_OK) != 0) {
		it = item(r, "device", VFIO_CHECK_FAIL, "%s: no such PCI device", in->bdf);
		snprintf(it->hint, sizeof(it->hint), "list devices with lspci -D or vfctl list");
		return r->nr_fail;
	}
	item(r, "device", VFIO_CHECK_OK, "%s exists", in->bdf);
	if (!iommu_enabled(in->root)) {
		it = item(r, "iommu", VFIO_CHECK_FAIL, "no IOMMU is active");
		snprintf(it->hint, sizeof(it->hint),
			 "enable VT-d/AMD-Vi in the firmware and boot with intel_iommu=on or "
			 "amd_iommu=on");
	} else {
		item(r, "iommu", VFIO_CHECK_OK, "an IOMMU is active");
	}
	check_irq_remap(in, r);
	check_group(in, r, &group);
	check_vfio_bound(in, r, group);
	check_vf_token(in, r);
	if (in->mem) {
		struct errinfo e = {0};

		if (vfio_dma_check_memlock(in->mem->total, &e) < 0) {
			it = item(r, "memlock", VFIO_CHECK_FAIL, "%s", e.msg);
			snprintf(it->hint, sizeof(it->hint), "%s", e.hint);
		} else {
			item(r, "memlock", VFIO_CHECK_OK,
			     "locked memory limit covers %" PRIu64 " MiB of guest RAM",
			     in->mem->total >> 20);
		}
	}
	check_iova(in, r, group);
	check_mmio(in, r);
	check_reset(in, r);
	return r->nr_fail;
}
