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

#define MAX_PREFAULT_THREADS 16

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

int vfio_dma_prefault(const struct guest_mem *m, unsigned int threads, struct vfio_dma_stats *st,
		      struct errinfo *e)
{
	struct prefault_job job[MAX_PREFAULT_THREADS];
	pthread_t tid[MAX_PREFAULT_THREADS];
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	/* split on whole backing pages: madvise on part of a huge page is EINVAL */
	uint64_t align = m->page_size > page ? m->page_size : m->hugetlb ? (2ULL << 20) : page;
	double t0 = now();
	int ret = 0;

	if (threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		threads = n > 0 ? (unsigned int)n : 1;
	}
	if (threads > MAX_PREFAULT_THREADS)
		threads = MAX_PREFAULT_THREADS;
	st->threads = threads;
	st->populate_write = true;
	for (int r = 0; r < m->nr_regions; r++) {
		const struct guest_mem_region *g = &m->region[r];
		uint64_t per = (g->size / threads + align - 1) & ~(align - 1);
		unsigned int started = 0;

		if (!g->size)
			continue;
		if (per < align)
			per = align;
		for (uint64_t off = 0; off < g->size && started < threads; off += per) {
			struct prefault_job *j = &job[started];
			int err;

			j->start = g->hva + off;
			j->len = off + per > g->size ? g->size - off : per;
			j->page = page;
			j->err = 0;
			j->populated = false;
			err = pthread_create(&tid[started], NULL, prefault_thread, j);
			if (err) {
				prefault_thread(j); /* do it here rather than fail */
				if (j->err && !ret)
					ret = err_sys(e, j->err, "prefault guest RAM at 0x%llx",
						      (unsigned long long)(g->gpa + off));
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
	}
	if (ret == -ENOMEM || ret == -EFAULT)
		err_hint(e, "the host is out of memory (or hugepages) for guest RAM");
	st->prefault_sec = now() - t0;
	return ret;
}

int vfio_dma_map_guest(struct vfio_iommu *io, const struct guest_mem *m,
		       const struct vfio_dma_opts *o, struct vfio_dma_stats *st, struct errinfo *e)
{
	uint64_t done = 0;
	double t0;
	int ret;

	memset(st, 0, sizeof(*st));
	st->bytes = m->total;
	ret = vfio_dma_check_layout(io->range, io->nr_ranges, m, e);
	if (ret < 0)
		return ret;
	ret = vfio_dma_check_memlock(m->total, e);
	if (ret < 0)
		return ret;
	if (!o->no_prefault) {
		ret = vfio_dma_prefault(m, o->prefault_threads, st, e);
		if (ret < 0)
			return ret;
	}
	t0 = now();
	for (int r = 0; r < m->nr_regions; r++) {
		const struct guest_mem_region *g = &m->region[r];
		uint64_t chunk = o->chunk ? o->chunk : g->size;

		for (uint64_t off = 0; off < g->size; off += chunk) {
			uint64_t len = g->size - off < chunk ? g->size - off : chunk;

			ret = vfio_iommu_map(io, g->gpa + off, len, g->hva + off, e);
			if (ret < 0)
				return ret;
			st->map_calls++;
			done += len;
			if (o->progress)
				o->progress(o->opaque, done, m->total);
		}
	}
	st->map_sec = now() - t0;
	return 0;
}
