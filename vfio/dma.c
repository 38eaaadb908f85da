// SPDX-License-Identifier: GPL-2.0-only
/* Guest RAM DMA mapping with checks and parallel prefault: see dma.h. */
#include <errno.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "dma.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int vfio_dma_check_layout(const struct vfio_usable_range *r, int nr, const struct guest_mem *m,
			  struct errinfo *e)
{
	if (nr <= 0)
		return 0; /* the kernel did not say: nothing to check against */
	for (int i = 0; i < m->nr_regions; i++) {
		const struct guest_mem_region *g = &m->region[i];
		uint64_t last = g->gpa + g->size - 1;
		bool ok = false;
		uint64_t hole_start = 0, hole_last = 0;

		if (!g->size)
			continue;
		for (int k = 0; k < nr && !ok; k++)
			ok = g->gpa >= r[k].start && last <= r[k].last;
		if (ok)
			continue;
		/* name the first unusable address inside the region */
		hole_start = g->gpa;
		for (int k = 0; k < nr; k++)
			if (hole_start >= r[k].start && hole_start <= r[k].last)
				hole_start = r[k].last + 1;
		hole_last = last;
		for (int k = 0; k < nr; k++)
			if (r[k].start > hole_start && r[k].start - 1 < hole_last)
				hole_last = r[k].start - 1;
		err_set(e, ERANGE,
			"guest RAM 0x%llx-0x%llx overlaps IOVA 0x%llx-0x%llx, which the IOMMU "
			"reserves or cannot address",
			(unsigned long long)g->gpa, (unsigned long long)last,
			(unsigned long long)hole_start, (unsigned long long)hole_last);
		err_hint(e, "give the guest less memory, or check the IOMMU's reserved regions in "
			    "/sys/kernel/iommu_groups/*/reserved_regions");
		return -ERANGE;
	}
	return 0;
}

int vfio_dma_check_memlock_limit(uint64_t need, uint64_t limit, bool cap_ipc_lock,
				 struct errinfo *e)
{
	if (cap_ipc_lock || limit == (uint64_t)RLIM_INFINITY || limit >= need)
		return 0;
	err_set(e, ENOMEM,
		"locked memory limit (RLIMIT_MEMLOCK) is %llu KiB but passthrough pins all %llu "
		"MiB of guest RAM",
		(unsigned long long)(limit >> 10), (unsigned long long)(need >> 20));
	err_hint(e,
		 "raise it (ulimit -l %llu, LimitMEMLOCK= in the systemd unit) or run vfvm with "
		 "CAP_IPC_LOCK",
		 (unsigned long long)((need >> 10) + 1));
	return -ENOMEM;
}

static bool have_cap_ipc_lock(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0)
		return false;
	return d[CAP_IPC_LOCK / 32].effective & (1u << (CAP_IPC_LOCK % 32));
}

int vfio_dma_check_memlock(uint64_t need, struct errinfo *e)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0)
		return err_sys(e, errno, "getrlimit(RLIMIT_MEMLOCK)");
	return vfio_dma_check_memlock_limit(need, rl.rlim_cur, have_cap_ipc_lock(), e);
}

unsigned int vfio_dma_map_calls(const struct guest_mem *m, uint64_t chunk)
{
	uint64_t n = 0;

	for (int r = 0; r < m->nr_regions; r++) {
		uint64_t size = m->region[r].size;

		if (size)
			n += chunk ? (size + chunk - 1) / chunk : 1;
	}
	return n > UINT32_MAX ? UINT32_MAX : (unsigned int)n;
}

/* The backing's page: pieces of a map and of a prefault never split one. */
static uint64_t backing_page(const struct guest_mem *m)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

	/* madvise on part of a huge page is EINVAL */
	return m->page_size > page ? m->page_size : m->hugetlb ? (2ULL << 20) : page;
}

int vfio_dma_plan_chunk(const struct guest_mem *m, uint64_t want, uint64_t avail, bool type1_limit,
			uint64_t *chunk, struct errinfo *e)
{
	uint64_t page = backing_page(m), largest = 0, c;
	unsigned int whole = vfio_dma_map_calls(m, 0);

	for (int r = 0; r < m->nr_regions; r++)
		if (m->region[r].size > largest)
			largest = m->region[r].size;
	if (whole > avail) {
		err_set(e, ENOSPC,
			"guest RAM (%llu MiB in %u region%s) needs at least %u DMA mappings but "
			"the IOMMU takes only %llu more (%s)",
			(unsigned long long)(m->total >> 20), whole, whole == 1 ? "" : "s", whole,
			(unsigned long long)avail,
			type1_limit ? "VFIO type1's dma_entry_limit, less the mappings made"
				    : "vfvm's table of mappings");
		if (type1_limit)
			err_hint(e,
				 "raise the limit before starting the VM: echo 65535 > "
				 "/sys/module/vfio_iommu_type1/parameters/dma_entry_limit (or boot "
				 "with vfio_iommu_type1.dma_entry_limit=65535)");
		return -ENOSPC;
	}
	/* 0 or at least a region: one call per region */
	if (!want || want >= largest) {
		*chunk = 0;
		return 0;
	}
	c = (want + page - 1) & ~(page - 1);
	if (vfio_dma_map_calls(m, c) <= avail) {
		*chunk = c;
		return 0;
	}
	/* fewer, bigger pieces until the count fits; whole regions fit (above) */
	while (c < largest && vfio_dma_map_calls(m, c) > avail)
		c *= 2;
	*chunk = c >= largest ? 0 : c;
	return 1;
}

/* How many more mappings @io takes, and whether type1's count is what limits it. */
static uint64_t map_avail(const struct vfio_iommu *io, bool *type1_limit)
{
	uint64_t table = io->nr_maps < VFIO_IOMMU_MAX_MAPS
				 ? (uint64_t)(VFIO_IOMMU_MAX_MAPS - io->nr_maps)
				 : 0;

	*type1_limit = false;
	/* iommufd has no count of mappings; type1 reports what is left of its limit */
	if (io->kind != VFIO_BACKEND_IOMMUFD && io->has_dma_avail && io->dma_avail < table) {
		*type1_limit = true;
		return io->dma_avail;
	}
	return table;
}

struct prefault_job {
	uint8_t *start;
	uint64_t len;
	uint64_t page;
	int err; /* positive errno */
	bool populated; /* MADV_POPULATE_WRITE was used */
};

static void *prefault_thread(void *arg)
{
	struct prefault_job *j = arg;

	if (madvise(j->start, j->len, MADV_POPULATE_WRITE) == 0) {
		j->populated = true;
		return NULL;
	}
	if (errno != EINVAL) {
		j->err = errno;
		return NULL;
	}
	/* kernels before 5.14: write-fault each page by hand */
	for (uint64_t off = 0; off < j->len; off += j->page) {
		volatile uint8_t *p = j->start + off;

		*p = *p;
	}
	return NULL;
}

unsigned int vfio_dma_prefault_threads(unsigned int want, const cpu_set_t *cpus)
{
	unsigned int threads = want;

	if (threads == 0 && cpus && CPU_COUNT(cpus) > 0)
		threads = (unsigned int)CPU_COUNT(cpus);
	if (threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		threads = n > 0 ? (unsigned int)n : 1;
	}
	return threads > VFIO_DMA_MAX_PREFAULT_THREADS ? VFIO_DMA_MAX_PREFAULT_THREADS : threads;
}

/*
 * Fault in [hva, hva+len) (guest address @gpa, for messages) from @threads
 * threads, each a piece of whole backing pages, bound to @cpus when given.
 */
static int prefault_range(uint8_t *hva, uint64_t len, uint64_t gpa, unsigned int threads,
			  uint64_t align, const cpu_set_t *cpus, struct vfio_dma_stats *st,
			  struct errinfo *e)
{
	struct prefault_job job[VFIO_DMA_MAX_PREFAULT_THREADS];
	pthread_t tid[VFIO_DMA_MAX_PREFAULT_THREADS];
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t per = (len / threads + align - 1) & ~(align - 1);
	unsigned int started = 0;
	pthread_attr_t attr;
	bool have_attr = pthread_attr_init(&attr) == 0;
	int ret = 0;

	/* a set the kernel refuses makes pthread_create fail: the piece is done here then */
	if (have_attr && cpus)
		pthread_attr_setaffinity_np(&attr, sizeof(*cpus), cpus);
	if (per < align)
		per = align;
	for (uint64_t off = 0; off < len && started < threads; off += per) {
		struct prefault_job *j = &job[started];

		j->start = hva + off;
		j->len = off + per > len ? len - off : per;
		j->page = page;
		j->err = 0;
		j->populated = false;
		if (pthread_create(&tid[started], have_attr ? &attr : NULL, prefault_thread, j)) {
			prefault_thread(j); /* do it here rather than fail */
			if (j->err && !ret)
				ret = err_sys(e, j->err, "prefault guest RAM at 0x%llx",
					      (unsigned long long)(gpa + off));
			st->populate_write &= j->populated;
			continue;
		}
		started++;
	}
	for (unsigned int i = 0; i < started; i++) {
		pthread_join(tid[i], NULL);
		st->populate_write &= job[i].populated;
		if (job[i].err && !ret)
			ret = err_sys(e, job[i].err,
				      "prefault guest RAM (MADV_POPULATE_WRITE) at hva %p",
				      (void *)job[i].start);
	}
	if (have_attr)
		pthread_attr_destroy(&attr);
	if (ret == -ENOMEM || ret == -EFAULT)
		err_hint(e, "the host is out of memory (or hugepages) for guest RAM");
	return ret;
}

int vfio_dma_prefault(const struct guest_mem *m, unsigned int threads, const cpu_set_t *cpus,
		      struct vfio_dma_stats *st, struct errinfo *e)
{
	uint64_t align = backing_page(m);
	double t0 = now();
	int ret = 0;

	st->threads = vfio_dma_prefault_threads(threads, cpus);
	st->populate_write = true;
	for (int r = 0; r < m->nr_regions && !ret; r++) {
		const struct guest_mem_region *g = &m->region[r];

		if (g->size)
			ret = prefault_range(g->hva, g->size, g->gpa, st->threads, align, cpus, st,
					     e);
	}
	st->prefault_sec = now() - t0;
	return ret;
}

int vfio_dma_map_guest(struct vfio_iommu *io, const struct guest_mem *m,
		       const struct vfio_dma_opts *o, struct vfio_dma_stats *st, struct errinfo *e)
{
	uint64_t done = 0, align = backing_page(m), avail, chunk;
	bool type1_limit;
	int ret;

	memset(st, 0, sizeof(*st));
	st->bytes = m->total;
	ret = vfio_dma_check_layout(io->range, io->nr_ranges, m, e);
	if (ret < 0)
		return ret;
	/* before anything is pinned: the calls must fit what the IOMMU takes */
	avail = map_avail(io, &type1_limit);
	ret = vfio_dma_plan_chunk(m, o->chunk, avail, type1_limit, &chunk, e);
	if (ret < 0)
		return ret;
	st->chunk = chunk;
	st->chunk_grown = ret == 1;
	st->map_avail = avail;
	st->map_avail_type1 = type1_limit;
	ret = vfio_dma_check_memlock(m->total, e);
	if (ret < 0)
		return ret;
	if (!o->no_prefault) {
		st->threads = vfio_dma_prefault_threads(o->prefault_threads, o->cpus);
		st->populate_write = true;
	}
	/*
	 * Step by step: fault in a step from every thread, then map its pieces,
	 * so that progress moves with the work that costs.  A step is at least
	 * one backing page per thread so 1 GiB pages keep every thread busy.
	 */
	for (int r = 0; r < m->nr_regions; r++) {
		const struct guest_mem_region *g = &m->region[r];
		uint64_t piece = chunk ? chunk : g->size;
		uint64_t step = piece;

		if (!g->size)
			continue;
		if (!o->no_prefault && step < st->threads * align)
			step = (st->threads * align + piece - 1) / piece * piece;
		for (uint64_t off = 0; off < g->size; off += step) {
			uint64_t len = g->size - off < step ? g->size - off : step;
			double t0 = now();

			if (!o->no_prefault) {
				ret = prefault_range(g->hva + off, len, g->gpa + off, st->threads,
						     align, o->cpus, st, e);
				st->prefault_sec += now() - t0;
				if (ret < 0)
					return ret;
				t0 = now();
			}
			for (uint64_t p = off; p < off + len; p += piece) {
				uint64_t n = off + len - p < piece ? off + len - p : piece;

				ret = vfio_iommu_map(io, g->gpa + p, n, g->hva + p, e);
				if (ret < 0)
					return ret;
				st->map_calls++;
				done += n;
				if (o->progress)
					o->progress(o->opaque, done, m->total);
			}
			st->map_sec += now() - t0;
		}
	}
	return 0;
}
