// SPDX-License-Identifier: GPL-2.0-only
/*
 * The DMA map of guest RAM through a fake IOMMU (type1 and iommufd ioctls
 * behind the vfio_sys seam): the map calls are counted before anything is
 * pinned and kept within what the IOMMU takes (type1's DMA_AVAIL, vfvm's
 * own table), pieces grow to fit, a guest that cannot fit is refused with
 * the numbers and the fix and nothing faulted in; progress is reported per
 * piece; prefault threads run on the device's NUMA node, read from a
 * fake sysfs.
 */
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

#include <cmocka.h>

#include "dma.h"
#include "numa_cpus.h"
#include "uapi_compat.h"
#include "helpers/sriov_tree.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define TiB (1ULL << 40)
#define CONTAINER_FD 1000
#define IOMMUFD 1001
#define MAXMAPS 64
#define REGION (1 * MiB) /* each of the two regions: small enough for RLIMIT_MEMLOCK */

struct fake_iommu {
	struct vfio_sys sys;
	unsigned int nr_map;
	struct {
		uint64_t iova, size, va;
	} map[MAXMAPS];
};

static int fi_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	struct fake_iommu *f = ctx;
	uint64_t iova, size, va;

	if (fd == CONTAINER_FD && req == VFIO_IOMMU_MAP_DMA) {
		struct vfio_iommu_type1_dma_map *m = arg;

		iova = m->iova, size = m->size, va = m->vaddr;
	} else if (fd == IOMMUFD && req == IOMMU_IOAS_MAP) {
		struct iommu_ioas_map *m = arg;

		iova = m->iova, size = m->length, va = m->user_va;
	} else {
		return -ENOTTY;
	}
	assert_true(f->nr_map < MAXMAPS);
	f->map[f->nr_map].iova = iova;
	f->map[f->nr_map].size = size;
	f->map[f->nr_map].va = va;
	f->nr_map++;
	return 0;
}

static const struct vfio_sys_ops fi_ops = {.ioctl = fi_ioctl};

static void fi_init(struct fake_iommu *f, struct vfio_iommu *io, enum vfio_backend kind)
{
	memset(f, 0, sizeof(*f));
	f->sys.ops = &fi_ops;
	f->sys.ctx = f;
	memset(io, 0, sizeof(*io));
	io->sys = &f->sys;
	io->kind = kind;
	io->container_fd = kind == VFIO_BACKEND_TYPE1 ? CONTAINER_FD : -1;
	io->iommufd = kind == VFIO_BACKEND_IOMMUFD ? IOMMUFD : -1;
}

/* Two regions as vm_create() lays them out (below 3 GiB, from 4 GiB), backed by real memory. */
static uint8_t *guest(struct guest_mem *m, uint64_t low, uint64_t high)
{
	uint8_t *p =
		mmap(NULL, low + high, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	memset(m, 0, sizeof(*m));
	m->memfd = -1;
	m->page_size = 4096;
	m->region[0] = (struct guest_mem_region){0, low, p, 0};
	m->region[1] = (struct guest_mem_region){4 * GiB, high, p + low, low};
	m->nr_regions = 2;
	m->total = low + high;
	return p;
}

/* The same layout without memory: for counting only. */
static void layout(struct guest_mem *m, uint64_t low, uint64_t high)
{
	memset(m, 0, sizeof(*m));
	m->memfd = -1;
	m->page_size = 4096;
	m->region[0] = (struct guest_mem_region){0, low, NULL, 0};
	m->region[1] = (struct guest_mem_region){4 * GiB, high, NULL, low};
	m->nr_regions = 2;
	m->total = low + high;
}

/* Pages of [p, p+len) resident now. */
static unsigned int resident(uint8_t *p, uint64_t len)
{
	unsigned char vec[1024];
	unsigned int n = 0;

	assert_true(len / 4096 <= sizeof(vec));
	assert_int_equal(mincore(p, len, vec), 0);
	for (uint64_t i = 0; i < len / 4096; i++)
		n += vec[i] & 1;
	return n;
}

struct progress {
	unsigned int calls;
	uint64_t last, total;
	bool backwards;
};

static void progress(void *opaque, uint64_t done, uint64_t total)
{
	struct progress *p = opaque;

	p->backwards |= done <= p->last;
	p->calls++;
	p->last = done;
	p->total = total;
}

/* Every byte of guest RAM is mapped once, at iova = gpa, to its own hva. */
static void assert_covers(const struct fake_iommu *f, const struct guest_mem *m)
{
	uint64_t sum = 0;

	for (unsigned int i = 0; i < f->nr_map; i++) {
		bool in = false;

		for (int r = 0; r < m->nr_regions; r++) {
			const struct guest_mem_region *g = &m->region[r];

			if (f->map[i].iova >= g->gpa &&
			    f->map[i].iova + f->map[i].size <= g->gpa + g->size) {
				assert_int_equal(f->map[i].va,
						 (uintptr_t)g->hva + (f->map[i].iova - g->gpa));
				in = true;
			}
		}
		assert_true(in);
		sum += f->map[i].size;
	}
	assert_int_equal(sum, m->total);
}

static int setup(void **state)
{
	struct rlimit rl;

	(void)state;
	/* the soft limit up to the hard one: what any user may do */
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_MEMLOCK, &rl);
	}
	return 0;
}

static void test_calls_counted(void **state)
{
	struct guest_mem m;

	(void)state;
	/* pieces count per region, the last piece of each a remainder */
	layout(&m, 3 * GiB, 1 * TiB + 512 * MiB);
	assert_int_equal(vfio_dma_map_calls(&m, 0), 2);
	assert_int_equal(vfio_dma_map_calls(&m, 1 * GiB), 3 + 1025);
	assert_int_equal(vfio_dma_map_calls(&m, 2 * GiB), 2 + 513);
	m.region[1].size = 0;
	assert_int_equal(vfio_dma_map_calls(&m, 0), 1);
}

static void test_plan_grows_and_refuses(void **state)
{
	struct errinfo e = {0};
	struct guest_mem m;
	uint64_t chunk = 0;

	(void)state;
	layout(&m, 3 * GiB, 2 * TiB - 3 * GiB); /* 2 TiB of guest RAM */
	/* type1's default dma_entry_limit is 65535: 1 GiB pieces fit */
	assert_int_equal(vfio_dma_plan_chunk(&m, GiB, 65535, true, &chunk, &e), 0);
	assert_int_equal(chunk, GiB);
	/* 1000 mappings left: pieces of 4 GiB (1 + 512 calls), the first size that fits */
	assert_int_equal(vfio_dma_plan_chunk(&m, GiB, 1000, true, &chunk, &e), 1);
	assert_int_equal(chunk, 4 * GiB);
	assert_true(vfio_dma_map_calls(&m, chunk) <= 1000);
	assert_true(vfio_dma_map_calls(&m, chunk / 2) > 1000);
	/* 2 left: whole regions */
	assert_int_equal(vfio_dma_plan_chunk(&m, GiB, 2, true, &chunk, &e), 1);
	assert_int_equal(chunk, 0);
	/* a piece is whole backing pages: 1 GiB pages round 100 MiB up */
	m.hugetlb = true;
	m.page_size = GiB;
	assert_int_equal(vfio_dma_plan_chunk(&m, 100 * MiB, 65535, true, &chunk, &e), 0);
	assert_int_equal(chunk, GiB);
	m.page_size = 2 * MiB;
	assert_int_equal(vfio_dma_plan_chunk(&m, 3 * MiB, 1u << 30, true, &chunk, &e), 0);
	assert_int_equal(chunk, 4 * MiB);
	/* 1 left, two regions: refused, with the numbers and the module parameter */
	assert_int_equal(vfio_dma_plan_chunk(&m, GiB, 1, true, &chunk, &e), -ENOSPC);
	assert_non_null(strstr(e.msg, "2097152 MiB in 2 regions"));
	assert_non_null(strstr(e.msg, "needs at least 2 DMA mappings"));
	assert_non_null(strstr(e.msg, "takes only 1 more"));
	assert_non_null(strstr(e.msg, "dma_entry_limit"));
	assert_non_null(strstr(e.hint, "/sys/module/vfio_iommu_type1/parameters/dma_entry_limit"));
	/* vfvm's own table: no module parameter to name */
	memset(&e, 0, sizeof(e));
	assert_int_equal(vfio_dma_plan_chunk(&m, GiB, 0, false, &chunk, &e), -ENOSPC);
	assert_null(strstr(e.msg, "dma_entry_limit"));
	assert_string_equal(e.hint, "");
}

static void test_map_within_dma_avail(void **state)
{
	struct vfio_dma_opts o = {.chunk = 64 * KiB, .progress = progress};
	struct vfio_dma_stats st;
	struct progress pr = {0};
	struct fake_iommu f;
	struct vfio_iommu io;
	struct errinfo e = {0};
	struct guest_mem m;
	uint8_t *p;

	(void)state;
	o.opaque = &pr;
	p = guest(&m, REGION, REGION);
	fi_init(&f, &io, VFIO_BACKEND_TYPE1);
	/* room for all 32 pieces of 64 KiB */
	io.has_dma_avail = true;
	io.dma_avail = 65535;
	assert_int_equal(vfio_dma_map_guest(&io, &m, &o, &st, &e), 0);
	assert_int_equal(f.nr_map, 32);
	assert_int_equal(st.map_calls, 32);
	assert_int_equal(st.chunk, 64 * KiB);
	assert_false(st.chunk_grown);
	assert_covers(&f, &m);
	/* progress after every piece, forwards, ending at the total */
	assert_int_equal(pr.calls, 32);
	assert_false(pr.backwards);
	assert_int_equal(pr.last, 2 * REGION);
	assert_int_equal(pr.total, 2 * REGION);
	/* prefaulted: every page resident */
	assert_int_equal(resident(p, 2 * REGION), 2 * REGION / 4096);
	munmap(p, 2 * REGION);

	/* 10 mappings left: 256 KiB pieces, 8 calls */
	p = guest(&m, REGION, REGION);
	fi_init(&f, &io, VFIO_BACKEND_TYPE1);
	io.has_dma_avail = true;
	io.dma_avail = 10;
	memset(&pr, 0, sizeof(pr));
	assert_int_equal(vfio_dma_map_guest(&io, &m, &o, &st, &e), 0);
	assert_int_equal(f.nr_map, 8);
	assert_int_equal(st.chunk, 256 * KiB);
	assert_true(st.chunk_grown);
	assert_true(st.map_avail_type1);
	assert_int_equal(st.map_avail, 10);
	assert_int_equal(pr.calls, 8);
	assert_covers(&f, &m);
	munmap(p, 2 * REGION);

	/* vfvm's own table nearly full, type1 says plenty: the table decides */
	p = guest(&m, REGION, REGION);
	fi_init(&f, &io, VFIO_BACKEND_TYPE1);
	io.has_dma_avail = true;
	io.dma_avail = 65535;
	io.nr_maps = VFIO_IOMMU_MAX_MAPS - 4;
	assert_int_equal(vfio_dma_map_guest(&io, &m, &o, &st, &e), 0);
	assert_int_equal(f.nr_map, 4);
	assert_false(st.map_avail_type1);
	assert_covers(&f, &m);
	munmap(p, 2 * REGION);
}

static void test_iommufd_has_no_count(void **state)
{
	struct vfio_dma_opts o = {.chunk = 64 * KiB, .no_prefault = true};
	struct vfio_dma_stats st;
	struct fake_iommu f;
	struct vfio_iommu io;
	struct errinfo e = {0};
	struct guest_mem m;
	uint8_t *p;

	(void)state;
	p = guest(&m, REGION, REGION);
	fi_init(&f, &io, VFIO_BACKEND_IOMMUFD);
	/* a stale type1 number is not iommufd's */
	io.has_dma_avail = true;
	io.dma_avail = 1;
	assert_int_equal(vfio_dma_map_guest(&io, &m, &o, &st, &e), 0);
	assert_int_equal(f.nr_map, 32);
	assert_false(st.chunk_grown);
	assert_covers(&f, &m);
	/* no prefault: the map was left to fault pages itself */
	assert_int_equal(resident(p, 2 * REGION), 0);
	munmap(p, 2 * REGION);
}

static void test_refused_before_pinning(void **state)
{
	struct vfio_dma_opts o = {.chunk = 64 * KiB};
	struct vfio_dma_stats st;
	struct fake_iommu f;
	struct vfio_iommu io;
	struct errinfo e = {0};
	struct guest_mem m;
	uint8_t *p;

	(void)state;
	p = guest(&m, REGION, REGION);
	fi_init(&f, &io, VFIO_BACKEND_TYPE1);
	io.has_dma_avail = true;
	io.dma_avail = 1;
	assert_int_equal(vfio_dma_map_guest(&io, &m, &o, &st, &e), -ENOSPC);
	assert_non_null(strstr(e.msg, "takes only 1 more"));
	assert_non_null(strstr(e.hint, "dma_entry_limit"));
	/* nothing mapped, nothing faulted in */
	assert_int_equal(f.nr_map, 0);
	assert_int_equal(resident(p, 2 * REGION), 0);
	munmap(p, 2 * REGION);
}

static void test_numa_cpus(void **state)
{
	char root[256], list[64];
	cpu_set_t set, allowed;
	struct stree_dev d = {.bdf = "0000:01:00.0", .vendor = 0x8086, .device = 0x10d3};

	(void)state;
	assert_int_equal(stree_new(root, sizeof(root)), 0);
	assert_int_equal(stree_add_dev(root, &d), 0);
	/* no numa_node: unknown, run anywhere */
	assert_int_equal(vfio_numa_cpus(root, "0000:01:00.0", NULL, &set, list, sizeof(list)), -1);
	assert_int_equal(CPU_COUNT(&set), 0);
	assert_string_equal(list, "");
	stree_dev_attr(root, "0000:01:00.0", "numa_node", "1\n");
	/* node 1 without a cpulist: unknown too */
	assert_int_equal(vfio_numa_cpus(root, "0000:01:00.0", NULL, &set, list, sizeof(list)), -1);
	stree_write(root, "/sys/devices/system/node/node1/cpulist", "4-7,12\n");
	assert_int_equal(vfio_numa_cpus(root, "0000:01:00.0", NULL, &set, list, sizeof(list)), 1);
	assert_int_equal(CPU_COUNT(&set), 5);
	for (int c = 4; c <= 7; c++)
		assert_true(CPU_ISSET(c, &set));
	assert_true(CPU_ISSET(12, &set));
	assert_false(CPU_ISSET(3, &set));
	assert_string_equal(list, "4-7,12");
	/* only the CPUs this process may use */
	CPU_ZERO(&allowed);
	CPU_SET(5, &allowed);
	CPU_SET(12, &allowed);
	CPU_SET(0, &allowed);
	assert_int_equal(vfio_numa_cpus(root, "0000:01:00.0", &allowed, &set, list, sizeof(list)),
			 1);
	assert_int_equal(CPU_COUNT(&set), 2);
	assert_string_equal(list, "5,12");
	/* none of them: fall back to anywhere */
	CPU_ZERO(&allowed);
	CPU_SET(0, &allowed);
	assert_int_equal(vfio_numa_cpus(root, "0000:01:00.0", &allowed, &set, list, sizeof(list)),
			 -1);
	assert_int_equal(CPU_COUNT(&set), 0);
	assert_string_equal(list, "");
	/* a list that does not parse */
	stree_write(root, "/sys/devices/system/node/node1/cpulist", "four\n");
	assert_int_equal(vfio_numa_cpus(root, "0000:01:00.0", NULL, &set, list, sizeof(list)), -1);
	stree_free(root);
}

static void test_prefault_threads_follow_cpus(void **state)
{
	struct vfio_dma_stats st = {0};
	struct errinfo e = {0};
	struct guest_mem m;
	cpu_set_t one, two;
	uint8_t *p;

	(void)state;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	CPU_ZERO(&two);
	CPU_SET(0, &two);
	CPU_SET(1, &two);
	/* 0 threads: one per CPU of the set, capped */
	assert_int_equal(vfio_dma_prefault_threads(0, &one), 1);
	assert_int_equal(vfio_dma_prefault_threads(0, &two), 2);
	assert_int_equal(vfio_dma_prefault_threads(3, &one), 3);
	assert_int_equal(vfio_dma_prefault_threads(100, NULL), VFIO_DMA_MAX_PREFAULT_THREADS);
	assert_true(vfio_dma_prefault_threads(0, NULL) >= 1);
	/* bound to CPU 0 (every machine has it), every page faulted in */
	p = guest(&m, REGION, REGION);
	assert_int_equal(vfio_dma_prefault(&m, 0, &one, &st, &e), 0);
	assert_int_equal(st.threads, 1);
	assert_int_equal(resident(p, 2 * REGION), 2 * REGION / 4096);
	munmap(p, 2 * REGION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_calls_counted),
		cmocka_unit_test(test_plan_grows_and_refuses),
		cmocka_unit_test(test_map_within_dma_avail),
		cmocka_unit_test(test_iommufd_has_no_count),
		cmocka_unit_test(test_refused_before_pinning),
		cmocka_unit_test(test_numa_cpus),
		cmocka_unit_test(test_prefault_threads_follow_cpus),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
