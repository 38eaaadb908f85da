// SPDX-License-Identifier: GPL-2.0-only
/*
 * `vfvm check`: the pre-flight for each --device (the host checks of
 * src/host/preflight.c asked for a VMM, plus vfio/vfio_preflight.c's against
 * the guest layout `vfvm run` would build with the same --mem), so every
 * failure is explained before a device is unbound or RAM pinned.  Shown by
 * tools/common/preflight_out.c, in the words and JSON of `vfctl check`.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dma_estimate.h"
#include "hugepage.h"
#include "numa.h"
#include "preflight_out.h"
#include "spec.h"
#include "vfio_pci.h"
#include "vfvm.h"
#include "vm.h"

#define CHECK_MAX_DEVS 32

static void check_usage(FILE *f)
{
	fprintf(f,
		"usage: vfvm check --device BDF[,managed][,vf-token=UUID][,rom=...] [--device "
		"...]\n"
		"                  [--mem SIZE] [--hugetlb [2M|1G]] [--mmio64 SIZE] [--json]\n"
		"                  [--numa --mem SIZE [--cpus N] [--cpu-affinity LIST]]\n"
		"\n"
		"Explains everything that would stop `vfvm run` from passing the devices through\n"
		"(the checks of `vfctl check`: IOMMU, interrupt remapping, vfio-pci, IOMMU group,\n"
		"ACS, reset, host use; and for the VM: driver, VF token, RLIMIT_MEMLOCK, reserved\n"
		"IOVA ranges vs guest RAM, 64-bit BARs vs MMIO window and physical address bits),\n"
		"each ok, warn or fail.  Changes nothing.  With --mem, guest RAM is checked as\n"
		"`vfvm run --mem SIZE` would lay it out.  The 64-bit MMIO window is planned for\n"
		"all the devices together as `vfvm run` would (--mmio64 as there), within the\n"
		"guest's physical address bits and checked against the IOMMU's address width.\n"
		"--numa: the guest NUMA nodes `vfvm run --numa` would make (each device's host\n"
		"node, vCPUs, RAM; a device without a node is warned of); one that cannot be\n"
		"made (too few vCPUs or RAM) makes the check fail.\n"
		"With --mem (human output), the DMA map's prefault time is estimated from a\n"
		"64 MiB sample (one page with --hugetlb 1G) of the same pages and threads.\n"
		"--json: the report as JSON.\n"
		"Exit status: 0 ready, 3 a device is not ready, 1 error, 2 usage error.\n");
}

/*
 * The RAM regions vm_create() would set up for @size (ram_alloc() in
 * src/vmm/vm.c): RAM below 3 GiB, the rest from 4 GiB.  Only gpa/size
 * matter here.  Returns the first byte above RAM.
 */
static uint64_t guest_layout(uint64_t size, bool hugetlb, uint64_t page, struct guest_mem *m)
{
	uint64_t low, high;

	if (hugetlb)
		size = hugepage_round(size, page);
	memset(m, 0, sizeof(*m));
	m->memfd = -1;
	m->total = size;
	m->hugetlb = hugetlb;
	m->page_size = hugetlb ? page : 4096;
	low = size < VM_LOW_RAM_MAX ? size : VM_LOW_RAM_MAX;
	high = size - low;
	m->region[m->nr_regions++] = (struct guest_mem_region){0, low, NULL, 0};
	if (high)
		m->region[m->nr_regions++] =
			(struct guest_mem_region){VM_HIGH_RAM_BASE, high, NULL, low};
	return vm_ram_top(size);
}

/* Guest physical address bits as `vfvm run` would have them (KVM's cap when /dev/kvm opens). */
static unsigned int check_phys_bits(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	unsigned int bits = vm_guest_phys_bits(fd);

	if (fd >= 0)
		close(fd);
	return bits;
}

/*
 * Plan the 64-bit window for every --device together.  A device whose BARs
 * cannot be read, or whose SPEC is malformed, is left out (its own report
 * or usage error says why).
 */
static void check_plan(const char *const *dev, int nr_dev, uint64_t ram_top, uint64_t size,
		       struct mmio_plan *plan, struct errinfo *pe, bool *planned)
{
	struct mmio_plan_dev *pd = calloc(CHECK_MAX_DEVS, sizeof(*pd));
	struct mmio_plan_in in = {
		.dev = pd,
		.ram_top = ram_top,
		.phys_bits = check_phys_bits(),
		.size = size,
	};

	if (!pd) {
		err_set(pe, ENOMEM, "planning the 64-bit MMIO window");
		*planned = false;
		return;
	}
	for (int i = 0; i < nr_dev; i++) {
		struct errinfo e = {0};

		if (vfio_pci__mmio_dev(vfvm_host(), dev[i], &pd[in.nr_dev], &e) >= 0)
			in.nr_dev++;
	}
	*planned = mmio_plan_build(&in, plan, pe) == 0;
	free(pd);
}

/* The window for all the devices, after their reports (human output). */
static void print_plan(const struct mmio_plan *p)
{
	char a[48], b[48], c[48];

	printf("64-bit MMIO window: %s at 0x%" PRIx64 "-0x%" PRIx64
	       " (%s), below 2^%u (the guest's "
	       "physical address bits)\n",
	       mmio_plan_fmt_size(p->size, a, sizeof(a)), p->base, p->base + p->size - 1,
	       p->size_given ? "--mmio64"
	       : p->need     ? "sized from the devices, with hot-plug room"
			     : "the default",
	       p->phys_bits);
	for (unsigned int d = 0; d < p->nr_dev; d++) {
		if (p->block_size[d])
			printf("  %-24s root port window %9s at 0x%" PRIx64 "\n", p->dev[d].name,
			       mmio_plan_fmt_size(p->block_size[d], a, sizeof(a)),
			       p->block_base[d]);
		for (int i = 0; i < MMIO_PLAN_BARS; i++)
			if (p->dev[d].bar_size[i])
				printf("  %-24s BAR%d %9s at 0x%" PRIx64 "\n", p->dev[d].name, i,
				       mmio_plan_fmt_size(p->dev[d].bar_size[i], a, sizeof(a)),
				       p->bar_gpa[d][i]);
	}
	if (p->need && p->need != p->bars)
		printf("  BARs take %s, %s with their root ports' windows aligned; %s free for "
		       "hot-plug\n",
		       mmio_plan_fmt_size(p->bars, a, sizeof(a)),
		       mmio_plan_fmt_size(p->need, c, sizeof(c)),
		       mmio_plan_fmt_size(p->size - p->need, b, sizeof(b)));
	else if (p->need)
		printf("  BARs take %s; %s free for hot-plug\n",
		       mmio_plan_fmt_size(p->need, a, sizeof(a)),
		       mmio_plan_fmt_size(p->size - p->need, b, sizeof(b)));
}

/*
 * --numa: the nodes `vfvm run --numa` would make, after the devices'
 * reports (human output; with --json only its warnings and errors, on
 * stderr).  Returns 0, or VFVM_CHECK_NOT_READY when run would refuse.
 */
static int check_numa(const char *const *dev, int nr_dev, uint64_t mem, uint64_t page,
		      unsigned int cpus, const char *affinity, bool print)
{
	struct numa_plan *p = malloc(sizeof(*p));
	int dev_node[CHECK_MAX_DEVS];
	struct vfvm_numa_req req = {
		.dev = dev,
		.nr_dev = nr_dev,
		.mem = mem,
		.hugepage_size = page,
		.cpus = cpus,
		.affinity = affinity,
	};
	int ret = VFVM_CHECK_NOT_READY;

	if (!p) {
		fprintf(stderr, "vfvm check: out of memory\n");
		return VM_EXIT_ERROR;
	}
	if (vfvm_numa_plan(&req, p, dev_node, "vfvm check") == 0) {
		ret = 0;
		if (print)
			vfvm_numa_print(stdout, p, "");
		for (int i = 0; print && i < nr_dev; i++) {
			int g = dev_node[i] >= 0 ? numa_plan_guest_node(p, dev_node[i]) : -1;

			struct vfio_pci_spec s;

			if (g >= 0)
				printf("  %s: host node %d -> _PXM %d\n",
				       vfio_pci_spec_parse(dev[i], &s, NULL) ? dev[i] : s.bdf,
				       dev_node[i], g);
		}
	}
	free(p);
	return ret;
}

/*
 * How long `vfvm run --mem SIZE` will spend prefaulting guest RAM for the
 * DMA map: a sample of the same pages, prefaulted with the threads and CPUs
 * run would use (VFVM_VFIO_PREFAULT, the first device's NUMA node), scaled
 * to SIZE.  check opens no VFIO container, so the IOMMU map is left out.
 */
static void print_estimate(const char *dev, uint64_t mem_size, bool hugetlb, uint64_t page)
{
	const struct vfio_host_opts *h = vfvm_host();
	struct vfio_dma_estimate est;
	struct errinfo e = {0};
	char list[64], where[96], pages[16];
	unsigned int threads = h->prefault_threads;
	cpu_set_t cpus;
	int node;

	if (h->prefault == VFIO_PREFAULT_NONE) {
		printf("DMA map estimate: none: prefault is off (VFVM_VFIO_PREFAULT=none), the "
		       "map faults pages itself\n");
		return;
	}
	if (h->prefault == VFIO_PREFAULT_SERIAL)
		threads = 1;
	node = vfio_pci__numa_cpus(h, dev, &cpus, list, sizeof(list));
	if (vfio_dma_estimate(mem_size, hugetlb, page, threads, node >= 0 ? &cpus : NULL, &est,
			      &e) < 0) {
		printf("DMA map estimate: none: %s%s%s\n", e.msg, e.hint[0] ? "; " : "", e.hint);
		return;
	}
	if (node >= 0)
		snprintf(where, sizeof(where), "on NUMA node %d (CPUs %s)", node, list);
	else
		snprintf(where, sizeof(where), "on any CPU");
	snprintf(pages, sizeof(pages), "%s", hugetlb ? hugepage_name(page) : "4 KiB");
	printf("DMA map estimate: prefault %.3f s for %" PRIu64 " MiB of guest RAM (%.3f s/GiB: "
	       "a %" PRIu64 " MiB sample of %s pages took %.3f s with %u thread%s %s); the IOMMU "
	       "map is not included (vfvm check opens no VFIO container)\n",
	       est.total_sec, mem_size >> 20, est.sec_per_gib, est.sample >> 20, pages,
	       est.sample_sec, est.threads, est.threads == 1 ? "" : "s", where);
}

int cmd_check(int argc, char **argv)
{
	enum {
		O_DEVICE = 256,
		O_MEM,
		O_HUGETLB,
		O_MMIO64,
		O_JSON,
		O_NUMA,
		O_CPUS,
		O_AFFINITY,
		O_HELP
	};
	static const struct option lo[] = {
		{"device", required_argument, NULL, O_DEVICE},
		{"mem", required_argument, NULL, O_MEM},
		{"hugetlb", optional_argument, NULL, O_HUGETLB},
		{"mmio64", required_argument, NULL, O_MMIO64},
		{"json", no_argument, NULL, O_JSON},
		{"numa", no_argument, NULL, O_NUMA},
		{"cpus", required_argument, NULL, O_CPUS},
		{"cpu-affinity", required_argument, NULL, O_AFFINITY},
		{"help", no_argument, NULL, O_HELP},
		{NULL, 0, NULL, 0},
	};
	const char *dev[CHECK_MAX_DEVS];
	struct json_object *jarr = NULL;
	struct preflight_report *r;
	uint64_t mem_size = 0, ram_top = VM_HIGH_RAM_BASE, mmio64 = 0, page = HUGEPAGE_2M;
	struct guest_mem mem;
	struct mmio_plan *plan;
	struct errinfo pe = {0};
	int c, nr_dev = 0, status = 0;
	bool hugetlb = false, json = false, planned, numa = false;
	const char *affinity = NULL;
	unsigned int cpus = 1;
	char *end;
	long n;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (c) {
		case O_DEVICE:
			if (nr_dev == CHECK_MAX_DEVS) {
				fprintf(stderr, "vfvm check: too many --device (%s)\n", optarg);
				return VM_EXIT_USAGE;
			}
			dev[nr_dev++] = optarg;
			break;
		case O_MEM:
			if (vfvm_parse_size(optarg, &mem_size)) {
				fprintf(stderr,
					"vfvm check: --mem '%s': expected a size like 512M or 2G\n",
					optarg);
				return VM_EXIT_USAGE;
			}
			break;
		case O_HUGETLB:
			hugetlb = true;
			if (vfvm_opt_hugetlb(argc, argv, optarg, &page, "vfvm check"))
				return VM_EXIT_USAGE;
			break;
		case O_MMIO64: {
			struct errinfo se = {0};

			if (vfvm_parse_size(optarg, &mmio64)) {
				fprintf(stderr,
					"vfvm check: --mmio64 '%s': expected a size like 512G or "
					"4T\n",
					optarg);
				return VM_EXIT_USAGE;
			}
			if (mmio_plan_check_size(mmio64, &se)) {
				fprintf(stderr, "vfvm check: --mmio64 %s: %s\n", optarg, se.msg);
				return VM_EXIT_USAGE;
			}
			break;
		}
		case O_JSON:
			json = true;
			break;
		case O_NUMA:
			numa = true;
			break;
		case O_CPUS:
			n = strtol(optarg, &end, 10);
			if (*end || end == optarg || n < 1 || n > VM_MAX_VCPUS) {
				fprintf(stderr,
					"vfvm check: --cpus '%s': expected a number from 1 to %d\n",
					optarg, VM_MAX_VCPUS);
				return VM_EXIT_USAGE;
			}
			cpus = (unsigned int)n;
			break;
		case O_AFFINITY:
			affinity = optarg;
			break;
		case 'h':
		case O_HELP:
			check_usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "vfvm check: option %s needs a value\n", argv[optind - 1]);
			return VM_EXIT_USAGE;
		default:
			fprintf(stderr,
				"vfvm check: unknown option '%s'\nTry 'vfvm check --help'.\n",
				argv[optind - 1]);
			return VM_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vfvm check: unexpected argument '%s'\n", argv[optind]);
		return VM_EXIT_USAGE;
	}
	if (!nr_dev) {
		fprintf(stderr, "vfvm check: give at least one --device BDF[,...]\n");
		check_usage(stderr);
		return VM_EXIT_USAGE;
	}
	if (hugetlb && vfvm_check_hugetlb_mem(page, mem_size, "vfvm check"))
		return VM_EXIT_USAGE;
	if (numa && !mem_size) {
		fprintf(stderr, "vfvm check: --numa needs --mem SIZE: the nodes split guest RAM\n");
		return VM_EXIT_USAGE;
	}
	if ((affinity || cpus > 1) && !numa) {
		fprintf(stderr, "vfvm check: --cpus and --cpu-affinity go with --numa\n");
		return VM_EXIT_USAGE;
	}
	if (mem_size)
		ram_top = guest_layout(mem_size, hugetlb, page, &mem);

	r = malloc(sizeof(*r));
	plan = malloc(sizeof(*plan));
	if (!r || !plan) {
		fprintf(stderr, "vfvm check: out of memory\n");
		free(r);
		free(plan);
		return VM_EXIT_ERROR;
	}
	check_plan(dev, nr_dev, ram_top, mmio64, plan, &pe, &planned);
	if (json)
		jarr = json_object_new_array();
	for (int i = 0; i < nr_dev; i++) {
		struct errinfo e = {0};
		int ret;

		memset(r, 0, sizeof(*r));
		ret = vfio_pci__check(vfvm_host(), dev[i], mem_size ? &mem : NULL,
				      planned ? plan : NULL, planned || !pe.err ? NULL : &pe, r,
				      &e);
		if (ret < 0) {
			fprintf(stderr, "vfvm check: --device %s: %s\n", dev[i],
				e.msg[0] ? e.msg : strerror(-ret));
			if (e.hint[0])
				fprintf(stderr, "vfvm check: hint: %s\n", e.hint);
			/* a malformed SPEC is a usage error; a host that cannot be read is not */
			if (ret == -EINVAL || status != VM_EXIT_USAGE)
				status = ret == -EINVAL ? VM_EXIT_USAGE : VM_EXIT_ERROR;
			continue;
		}
		if (jarr)
			json_object_array_add(jarr, preflight_json(r));
		else
			preflight_print(stdout, r);
		if (ret > 0 && !status)
			status = VFVM_CHECK_NOT_READY;
	}
	if (jarr)
		preflight_json_print(stdout, jarr);
	else if (planned && status != VM_EXIT_USAGE)
		print_plan(plan);
	if (numa && status != VM_EXIT_USAGE) {
		int ret = check_numa(dev, nr_dev, mem_size, hugetlb ? page : 0, cpus, affinity,
				     !jarr);

		if (ret && !status)
			status = ret;
	}
	if (!jarr && mem_size && status != VM_EXIT_USAGE)
		print_estimate(dev[0], mem_size, hugetlb, page);
	free(r);
	free(plan);
	return status;
}
