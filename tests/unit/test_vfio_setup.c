// SPDX-License-Identifier: GPL-2.0-only
/* --device parsing, DMA-map checks and prefault, and vfvm check pre-flight. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "dma.h"
#include "posted.h"
#include "vfio_preflight.h"
#include "spec.h"
#include "helpers/sriov_tree.h"

static void test_spec_parse(void **state)
{
	struct vfio_pci_spec s;
	struct errinfo e = {0};

	(void)state;
	assert_int_equal(vfio_pci_spec_parse("01:00.1", &s, &e), 0);
	assert_string_equal(s.bdf, "0000:01:00.1");
	assert_false(s.managed);
	assert_int_equal(s.rom, VFIO_ROM_OFF);
	assert_string_equal(s.vf_token, "");

	assert_int_equal(
		vfio_pci_spec_parse(
			"0000:3b:02.3,managed,vf-token=2ab74924-c335-45f4-9b16-8569e5b08258,rom=on",
			&s, &e),
		0);
	assert_true(s.managed);
	assert_string_equal(s.vf_token, "2ab74924-c335-45f4-9b16-8569e5b08258");
	assert_int_equal(s.rom, VFIO_ROM_DEVICE);

	assert_int_equal(vfio_pci_spec_parse("01:00.0,rom=/tmp/x.rom", &s, &e), 0);
	assert_int_equal(s.rom, VFIO_ROM_FILE);
	assert_string_equal(s.rom_file, "/tmp/x.rom");
	assert_int_equal(vfio_pci_spec_parse("01:00.0,rom=off", &s, &e), 0);
	assert_int_equal(s.rom, VFIO_ROM_OFF);

	assert_int_equal(vfio_pci_spec_parse("01:00.0,vf-token=nope", &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "not a UUID"));
	assert_int_equal(vfio_pci_spec_parse("01:00.0,fast", &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "unknown option 'fast'"));
	assert_int_equal(vfio_pci_spec_parse("zz:00.0", &s, &e), -EINVAL);
	assert_int_equal(vfio_pci_spec_parse("", &s, &e), -EINVAL);
	assert_int_equal(vfio_pci_spec_parse(NULL, &s, &e), -EINVAL);
}

/* Empty members are refused, so the PCI address is always the first member
 * (what the control API's api_spec_kind() relies on); found by fuzzing. */
static void test_spec_empty_member(void **state)
{
	const char *bad[] = {",01:00.1", ",0000:03.0,rom=.0", "01:00.1,,managed", "01:00.1,", ","};
	struct vfio_pci_spec s;
	struct errinfo e = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(vfio_pci_spec_parse(bad[i], &s, &e), -EINVAL);
		assert_non_null(strstr(e.msg, "empty member"));
	}
	assert_int_equal(vfio_pci_spec_parse("01:00.1,managed", &s, &e), 0);
	assert_true(s.managed);
}

static void test_spec_id_failover(void **state)
{
	struct vfio_pci_spec s;
	struct errinfo e = {0};
	char longest[PCI_DEV_ID_MAX + 8], spec[128];

	(void)state;
	assert_int_equal(vfio_pci_spec_parse("01:00.1", &s, &e), 0);
	assert_string_equal(s.id, "");
	assert_string_equal(s.failover, "");
	assert_int_equal(vfio_pci_spec_parse("01:00.1,managed,id=vf0,failover=net0", &s, &e), 0);
	assert_true(s.managed);
	assert_string_equal(s.id, "vf0");
	assert_string_equal(s.failover, "net0");
	assert_int_equal(vfio_pci_spec_parse("01:00.1,id=A_b.c-9", &s, &e), 0);
	assert_string_equal(s.id, "A_b.c-9");

	/* 31 characters fit, 32 do not */
	memset(longest, 'a', PCI_DEV_ID_MAX - 1);
	longest[PCI_DEV_ID_MAX - 1] = '\0';
	snprintf(spec, sizeof(spec), "01:00.1,id=%s", longest);
	assert_int_equal(vfio_pci_spec_parse(spec, &s, &e), 0);
	assert_int_equal(strlen(s.id), PCI_DEV_ID_MAX - 1);
	snprintf(spec, sizeof(spec), "01:00.1,failover=%sb", longest);
	assert_int_equal(vfio_pci_spec_parse(spec, &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "failover"));

	/* empty, not starting with a letter, characters outside the set */
	const char *bad[] = {
		"id=",	     "id=0vf",	      "id=_x",		"id=vf 0",     "id=vf/0",
		"failover=", "failover=9net", "failover=net:0", "id=v\xc3\xa9"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(spec, sizeof(spec), "0000:01:00.1,%s", bad[i]);
		err_clear(&e);
		assert_int_equal(vfio_pci_spec_parse(spec, &s, &e), -EINVAL);
		assert_non_null(strstr(e.msg, "0000:01:00.1"));
		assert_non_null(strstr(e.msg, "not a valid device id"));
		assert_non_null(strstr(e.hint, "starting with a letter"));
	}
	assert_true(vfio_spec_id_valid("x"));
	assert_false(vfio_spec_id_valid(""));
}

static void mem_layout(struct guest_mem *m, uint64_t low, uint64_t high)
{
	memset(m, 0, sizeof(*m));
	m->memfd = -1;
	m->region[0].gpa = 0;
	m->region[0].size = low;
	m->nr_regions = 1;
	if (high) {
		m->region[1].gpa = 1ULL << 32;
		m->region[1].size = high;
		m->nr_regions = 2;
	}
	m->total = low + high;
}

static void test_layout_vs_iova_ranges(void **state)
{
	/* what type1 reports on x86: everything but the MSI window, 48 bits */
	struct vfio_usable_range r[2] = {{0, 0xfedfffff}, {0xfef00000, (1ULL << 48) - 1}};
	struct guest_mem m;
	struct errinfo e = {0};

	(void)state;
	mem_layout(&m, 3ULL << 30, 4ULL << 30);
	assert_int_equal(vfio_dma_check_layout(r, 2, &m, &e), 0);
	/* RAM running across 0xfee00000 is refused, naming the hole */
	mem_layout(&m, 0xff000000ULL, 0);
	assert_int_equal(vfio_dma_check_layout(r, 2, &m, &e), -ERANGE);
	assert_non_null(strstr(e.msg, "0xfee00000-0xfeefffff"));
	/* beyond the IOMMU's address width */
	mem_layout(&m, 1ULL << 30, 1ULL << 30);
	m.region[1].gpa = 1ULL << 48;
	assert_int_equal(vfio_dma_check_layout(r, 2, &m, &e), -ERANGE);
	/* no ranges reported: nothing to check */
	assert_int_equal(vfio_dma_check_layout(r, 0, &m, &e), 0);
}

static void test_memlock(void **state)
{
	struct errinfo e = {0};

	(void)state;
	assert_int_equal(vfio_dma_check_memlock_limit(1ULL << 30, 8ULL << 20, false, &e), -ENOMEM);
	assert_non_null(strstr(e.msg, "RLIMIT_MEMLOCK"));
	assert_non_null(strstr(e.msg, "1024 MiB"));
	assert_non_null(strstr(e.hint, "ulimit -l"));
	assert_int_equal(vfio_dma_check_memlock_limit(1ULL << 30, 8ULL << 20, true, &e), 0);
	assert_int_equal(vfio_dma_check_memlock_limit(1ULL << 30, RLIM_INFINITY, false, &e), 0);
	assert_int_equal(vfio_dma_check_memlock_limit(1ULL << 30, 1ULL << 30, false, &e), 0);
}

static void test_prefault_parallel(void **state)
{
	const uint64_t size = 8 << 20;
	struct vfio_dma_stats st = {0};
	struct errinfo e = {0};
	struct guest_mem m;
	unsigned char vec[8 << 8];
	uint8_t *p;

	(void)state;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	mem_layout(&m, size, 0);
	m.region[0].hva = p;
	assert_int_equal(mincore(p, size, vec), 0);
	assert_int_equal(vec[100] & 1, 0); /* untouched before */
	assert_int_equal(vfio_dma_prefault(&m, 4, NULL, &st, &e), 0);
	assert_int_equal(st.threads, 4);
	/* every page is resident afterwards */
	assert_int_equal(mincore(p, size, vec), 0);
	for (size_t i = 0; i < size / 4096; i++)
		assert_int_equal(vec[i] & 1, 1);
	munmap(p, size);
}

static void add_dev(const char *root, const char *bdf, const char *driver, int group)
{
	struct stree_dev d = {.bdf = bdf,
			      .vendor = 0x1b36,
			      .device = 0x0010,
			      .class_code = 0x010802,
			      .driver = driver,
			      .group = group};

	assert_int_equal(stree_add_dev(root, &d), 0);
}

static const struct preflight_item *find(const struct preflight_report *r, const char *id)
{
	return preflight_find(r, id);
}

static int plan_for(struct mmio_plan *plan, struct errinfo *pe, const struct mmio_plan_dev *pd,
		    unsigned int phys_bits, uint64_t size)
{
	struct mmio_plan_in pin = {
		.dev = pd,
		.nr_dev = 1,
		.ram_top = 5ULL << 30,
		.phys_bits = phys_bits,
		.size = size,
	};

	return mmio_plan_build(&pin, plan, pe);
}

static void test_preflight(void **state)
{
	struct mmio_plan plan;
	struct mmio_plan_dev pd;
	struct errinfo pe = {0};
	struct preflight_report r;
	struct vfio_preflight_in in = {0};
	const struct preflight_item *it;
	struct guest_mem m;
	char root[256], rel[256], abs[600];

	(void)state;
	assert_int_equal(stree_new(root, sizeof(root)), 0);
	add_dev(root, "0000:01:00.0", "vfio-pci", 5);
	add_dev(root, "0000:01:00.1", "nvme", 5);
	stree_write(root, "/proc/interrupts", " 24:  0  IR-PCI-MSI 1048576-edge  nvme0q0\n");
	stree_write(root, "/sys/kernel/iommu_groups/5/reserved_regions",
		    "0x00000000fee00000 0x00000000feefffff msi\n");
	stree_mkdir(root, "/sys/class/iommu/dmar0");
	stree_write(root, "/dev/vfio/5", "");
	stree_dev_attr(root, "0000:01:00.0", "reset_method", "flr bus");
	stree_dev_attr(root, "0000:01:00.0", "resource",
		       "0x00000000fe000000 0x00000000fe003fff 0x0000000000140204\n"
		       "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
		       "0x0000004000000000 0x00000043ffffffff 0x000000000014220c\n");
	mem_layout(&m, 1ULL << 30, 0);
	in.root = root;
	in.bdf = "0000:01:00.0";
	in.mem = &m;
	/* the window planned from the device's resource file: 64-bit BARs of 16 KiB, 16 GiB */
	assert_int_equal(vfio_mmio_dev_read(root, "0000:01:00.0", "vfio 0000:01:00.0", &pd, &pe),
			 2);
	assert_int_equal(pd.bar_size[0], 16ULL << 10);
	assert_int_equal(pd.bar_size[2], 16ULL << 30);
	assert_int_equal(plan_for(&plan, &pe, &pd, 40, 0), 0);
	in.plan = &plan;

	/* the NVMe sibling on a host driver makes the group non-viable */
	assert_true(vfio_preflight_run(&in, &r, NULL) >= 1);
	it = find(&r, "iommu-group");
	assert_non_null(it);
	assert_int_equal(it->status, PREFLIGHT_FAIL);
	assert_non_null(strstr(it->detail, "0000:01:00.1"));
	assert_int_equal(find(&r, "interrupt-remapping")->status, PREFLIGHT_OK);
	assert_int_equal(find(&r, "driver")->status, PREFLIGHT_OK);
	assert_int_equal(find(&r, "iova")->status, PREFLIGHT_OK);
	assert_int_equal(find(&r, "reset")->status, PREFLIGHT_OK);
	/* 16 GiB + 16 KiB of BARs: the 64 GiB window, at a multiple of 16 GiB, below 2^40 */
	it = find(&r, "mmio-window");
	assert_int_equal(it->status, PREFLIGHT_OK);
	assert_string_equal(it->detail,
			    "64-bit BARs (16 GiB + 16 KiB) from 0x400000000; window "
			    "64 GiB at 0x400000000 (sized from the devices, 1 device(s) "
			    "need 16 GiB + 16 KiB), below 2^40");
	/* a VT-d unit without a capability register here: width unknown, said so */
	assert_int_equal(find(&r, "iommu-width")->status, PREFLIGHT_WARN);
	stree_write(root, "/sys/class/iommu/dmar0/intel-iommu/cap", "12008c22260286\n");
	vfio_preflight_run(&in, &r, NULL);
	/* QEMU's default VT-d: 39 bits; the window ends at 80 GiB, below 2^39 */
	it = find(&r, "iommu-width");
	assert_int_equal(it->status, PREFLIGHT_OK);
	assert_non_null(strstr(it->detail, "39-bit"));

	/* a device that 35 physical address bits cannot hold (with RAM below) */
	in.plan = NULL;
	in.plan_err = &pe;
	assert_int_equal(plan_for(&plan, &pe, &pd, 35, 0), -ERANGE);
	vfio_preflight_run(&in, &r, NULL);
	it = find(&r, "mmio-window");
	assert_int_equal(it->status, PREFLIGHT_FAIL);
	assert_non_null(strstr(it->detail, "35 physical address bits"));
	assert_non_null(strstr(it->fix, "need 16 GiB"));
	/* a window given too small for the BARs */
	assert_int_equal(plan_for(&plan, &pe, &pd, 46, 8ULL << 30), -ENOSPC);
	vfio_preflight_run(&in, &r, NULL);
	it = find(&r, "mmio-window");
	assert_int_equal(it->status, PREFLIGHT_FAIL);
	assert_non_null(
		strstr(it->detail, "need 16 GiB + 16 KiB of 64-bit MMIO window, 8 GiB was given"));
	assert_non_null(strstr(it->fix, "--mmio64 17G or more"));
	assert_int_equal(plan_for(&plan, &pe, &pd, 40, 0), 0);
	in.plan = &plan;
	in.plan_err = NULL;

	/* guest RAM over the MSI window */
	mem_layout(&m, 0xff000000ULL, 0);
	vfio_preflight_run(&in, &r, NULL);
	it = find(&r, "iova");
	assert_int_equal(it->status, PREFLIGHT_FAIL);
	assert_non_null(strstr(it->detail, "msi"));
	mem_layout(&m, 1ULL << 30, 0);

	/* managed: the group is taken whole, so only a warning */
	in.managed = true;
	vfio_preflight_run(&in, &r, NULL);
	assert_int_equal(find(&r, "iommu-group")->status, PREFLIGHT_WARN);

	/* the sibling on vfio-pci too: viable; no reset method: warning */
	in.managed = false;
	snprintf(rel, sizeof(rel), "/sys/bus/pci/devices/0000:01:00.1/driver");
	snprintf(abs, sizeof(abs), "%s%s", root, rel);
	assert_int_equal(unlink(abs), 0);
	assert_int_equal(stree_link(root, rel, "/sys/bus/pci/drivers/vfio-pci"), 0);
	snprintf(abs, sizeof(abs), "%s/sys/bus/pci/devices/0000:01:00.0/reset_method", root);
	assert_int_equal(unlink(abs), 0);
	assert_int_equal(vfio_preflight_run(&in, &r, NULL), 0);
	assert_int_equal(find(&r, "iommu-group")->status, PREFLIGHT_OK);
	assert_int_equal(find(&r, "reset")->status, PREFLIGHT_WARN);

	/* IR off and not allowed: fail */
	stree_write(root, "/proc/interrupts", " 24:  0  PCI-MSI 1048576-edge  nvme0q0\n");
	vfio_preflight_run(&in, &r, NULL);
	assert_int_equal(find(&r, "interrupt-remapping")->status, PREFLIGHT_FAIL);

	/* NUMA node and its CPUs, for vCPU placement */
	{
		char cpus[64];

		assert_int_equal(vfio_device_numa_node(root, "0000:01:00.0", cpus, sizeof(cpus)),
				 -1);
		stree_dev_attr(root, "0000:01:00.0", "numa_node", "1\n");
		stree_write(root, "/sys/devices/system/node/node1/cpulist", "4-7\n");
		assert_int_equal(vfio_device_numa_node(root, "0000:01:00.0", cpus, sizeof(cpus)),
				 1);
		assert_string_equal(cpus, "4-7");
		stree_dev_attr(root, "0000:01:00.0", "numa_node", "-1\n");
		assert_int_equal(vfio_device_numa_node(root, "0000:01:00.0", cpus, sizeof(cpus)),
				 -1);
	}

	/* unknown device: one failure, nothing else looked at */
	in.bdf = "0000:09:00.0";
	assert_int_equal(vfio_preflight_run(&in, &r, NULL), 1);
	assert_int_equal(r.n, 1);
	assert_non_null(strstr(r.items[0].detail, "no such PCI device"));
	stree_free(root);
}

static void test_posted_conditions(void **state)
{
	struct vfio_pi_msg m;
	struct vfio_pi_host h;
	char root[256];

	(void)state;
	/* physical destination 2, fixed, vector 0x41: postable */
	assert_true(vfio_pi_decode(0xfee02000, 0x0041, &m));
	assert_int_equal(m.dest, 2);
	assert_int_equal(m.vector, 0x41);
	assert_true(vfio_pi_msg_postable(&m));
	/* physical broadcast: not a single vCPU */
	assert_true(vfio_pi_decode(0xfeeff000, 0x0041, &m));
	assert_false(vfio_pi_msg_postable(&m));
	/* logical flat, two CPUs in the mask */
	assert_true(vfio_pi_decode(0xfee03004, 0x0141, &m));
	assert_true(m.logical);
	assert_false(vfio_pi_msg_postable(&m));
	/* NMI delivery is never posted */
	assert_true(vfio_pi_decode(0xfee01000, 0x0441, &m));
	assert_false(vfio_pi_msg_postable(&m));
	/* not an MSI address at all */
	assert_false(vfio_pi_decode(0xfed00000, 0x41, &m));

	assert_int_equal(stree_new(root, sizeof(root)), 0);
	vfio_pi_host_read(root, &h);
	assert_int_equal(h.ir_posting, -1);
	assert_int_equal(h.apicv, -1);
	stree_write(root, "/sys/class/iommu/dmar0/intel-iommu/cap", "d2008c40660462\n");
	stree_write(root, "/sys/module/kvm_intel/parameters/enable_apicv", "Y\n");
	vfio_pi_host_read(root, &h);
	assert_int_equal(h.ir_posting, 0); /* bit 59 clear */
	assert_int_equal(h.apicv, 1);
	stree_write(root, "/sys/class/iommu/dmar0/intel-iommu/cap", "8d2008c40660462\n");
	vfio_pi_host_read(root, &h);
	assert_int_equal(h.ir_posting, 1);
	stree_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_parse),
		cmocka_unit_test(test_spec_empty_member),
		cmocka_unit_test(test_spec_id_failover),
		cmocka_unit_test(test_layout_vs_iova_ranges),
		cmocka_unit_test(test_memlock),
		cmocka_unit_test(test_prefault_parallel),
		cmocka_unit_test(test_preflight),
		cmocka_unit_test(test_posted_conditions),
	};

	return cmocka_run_group_tests_name("vfio_setup", tests, NULL, NULL);
}
