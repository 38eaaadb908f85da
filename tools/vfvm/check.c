// SPDX-License-Identifier: GPL-2.0-only
/*
 * `vfvm check`: the pre-flight for each --device (the host checks of
 * src/host/preflight.c asked for a VMM, plus vfio/vfio_preflight.c's against
 * the guest layout `vfvm run` would build with the same --mem), so every
 * failure is explained before a device is unbound or RAM pinned.  Shown by
 * tools/common/preflight_out.c, in the words and JSON of `vfctl check`.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preflight_out.h"
#include "vfio_pci.h"
#include "vfvm.h"
#include "vm.h"

#define CHECK_MAX_DEVS 32

static void check_usage(FILE *f)
{
	fprintf(f,
		"usage: vfvm check --device BDF[,managed][,vf-token=UUID][,rom=...] [--device "
		"...]\n"
		"                  [--mem SIZE] [--hugetlb] [--json]\n"
		"\n"
		"Explains everything that would stop `vfvm run` from passing the devices through\n"
		"(the checks of `vfctl check`: IOMMU, interrupt remapping, vfio-pci, IOMMU group,\n"
		"ACS, reset, host use; and for the VM: driver, VF token, RLIMIT_MEMLOCK, reserved\n"
		"IOVA ranges vs guest RAM, 64-bit BARs vs MMIO window and physical address bits),\n"
		"each ok, warn or fail.  Changes nothing.  With --mem, guest RAM is checked as\n"
		"`vfvm run --mem SIZE` would lay it out.  --json: the report as JSON.\n"
		"Exit status: 0 ready, 3 a device is not ready, 1 error, 2 usage error.\n");
}

/*
 * The RAM regions and 64-bit window vm_create() would set up for @size
 * (ram_alloc() and vm_create() in src/vmm/vm.c): RAM below 3 GiB, the rest from
 * 4 GiB, the window 1 GiB aligned above it.  Only gpa/size matter here.
 */
static void guest_layout(uint64_t size, bool hugetlb, struct guest_mem *m, uint64_t *mmio64_base)
{
	uint64_t low, high, top;

	if (hugetlb)
		size = (size + (2ULL << 20) - 1) & ~((2ULL << 20) - 1);
	memset(m, 0, sizeof(*m));
	m->memfd = -1;
	m->total = size;
	m->hugetlb = hugetlb;
	low = size < VM_LOW_RAM_MAX ? size : VM_LOW_RAM_MAX;
	high = size - low;
	m->region[m->nr_regions++] = (struct guest_mem_region){0, low, NULL, 0};
	if (high)
		m->region[m->nr_regions++] =
			(struct guest_mem_region){VM_HIGH_RAM_BASE, high, NULL, low};
	top = VM_HIGH_RAM_BASE + high;
	*mmio64_base = (top + (1ULL << 30) - 1) & ~((1ULL << 30) - 1);
}

int cmd_check(int argc, char **argv)
{
	enum { O_DEVICE = 256, O_MEM, O_HUGETLB, O_JSON, O_HELP };
	static const struct option lo[] = {
		{"device", required_argument, NULL, O_DEVICE},
		{"mem", required_argument, NULL, O_MEM},
		{"hugetlb", no_argument, NULL, O_HUGETLB},
		{"json", no_argument, NULL, O_JSON},
		{"help", no_argument, NULL, O_HELP},
		{NULL, 0, NULL, 0},
	};
	const char *dev[CHECK_MAX_DEVS];
	struct json_object *jarr = NULL;
	struct preflight_report *r;
	uint64_t mem_size = 0, mmio64_base = VM_HIGH_RAM_BASE;
	struct guest_mem mem;
	unsigned int phys_bits;
	int c, nr_dev = 0, status = 0;
	bool hugetlb = false, json = false;

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
			break;
		case O_JSON:
			json = true;
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
	if (mem_size)
		guest_layout(mem_size, hugetlb, &mem, &mmio64_base);
	phys_bits = vfio_host_phys_bits();

	r = malloc(sizeof(*r));
	if (!r) {
		fprintf(stderr, "vfvm check: out of memory\n");
		return VM_EXIT_ERROR;
	}
	if (json)
		jarr = json_object_new_array();
	for (int i = 0; i < nr_dev; i++) {
		struct errinfo e = {0};
		int ret;

		memset(r, 0, sizeof(*r));
		ret = vfio_pci__check(vfvm_host(), dev[i], mem_size ? &mem : NULL, mmio64_base,
				      VM_MMIO64_DEFAULT_SIZE, phys_bits, r, &e);
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
	free(r);
	return status;
}
