// SPDX-License-Identifier: GPL-2.0-only
/* The DMA map time estimated from a sample prefault: see dma_estimate.h. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dma.h"
#include "dma_estimate.h"
#include "hugepage.h"

int vfio_dma_estimate(uint64_t bytes, bool hugetlb, uint64_t page, unsigned int threads,
		      const cpu_set_t *cpus, struct vfio_dma_estimate *est, struct errinfo *e)
{
	struct vfio_dma_stats st = {0};
	unsigned int flags = MFD_CLOEXEC;
	struct guest_mem m;
	uint64_t sample;
	int fd, ret;
	void *p;

	memset(est, 0, sizeof(*est));
	if (!hugetlb)
		page = (uint64_t)sysconf(_SC_PAGESIZE);
	else
		flags |= hugepage_memfd_flags(page);
	sample = bytes < VFIO_DMA_SAMPLE ? bytes : VFIO_DMA_SAMPLE;
	sample = hugepage_round(sample ? sample : page, page);
	fd = memfd_create("vfvm-dma-sample", flags);
	if (fd < 0)
		return err_sys(e, errno, "memfd_create for a %llu MiB sample of %s pages",
			       (unsigned long long)(sample >> 20),
			       hugetlb ? hugepage_name(page) : "4 KiB");
	if (ftruncate(fd, (off_t)sample) < 0) {
		ret = err_sys(e, errno, "sizing the %llu MiB sample",
			      (unsigned long long)(sample >> 20));
		close(fd);
		return ret;
	}
	/* as guest RAM is mapped (vm.c): hugetlb pages reserved here, not a SIGBUS later */
	p = mmap(NULL, sample, PROT_READ | PROT_WRITE, MAP_SHARED | (hugetlb ? 0 : MAP_NORESERVE),
		 fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		ret = err_sys(e, errno, "mmap of a %llu MiB sample of %s pages",
			      (unsigned long long)(sample >> 20),
			      hugetlb ? hugepage_name(page) : "4 KiB");
		if (hugetlb && ret == -ENOMEM)
			err_hint(e, "no free %s huge page for the sample: the estimate needs %llu",
				 hugepage_name(page), (unsigned long long)(sample / page));
		return ret;
	}
	memset(&m, 0, sizeof(m));
	m.memfd = -1;
	m.hugetlb = hugetlb;
	m.page_size = page;
	m.total = sample;
	m.nr_regions = 1;
	m.region[0] = (struct guest_mem_region){0, sample, p, 0};
	ret = vfio_dma_prefault(&m, threads, cpus, &st, e);
	munmap(p, sample);
	if (ret < 0)
		return ret;
	est->sample = sample;
	est->page = page;
	est->threads = st.threads;
	est->populate_write = st.populate_write;
	est->sample_sec = st.prefault_sec;
	est->sec_per_gib = st.prefault_sec * (double)(1ULL << 30) / (double)sample;
	est->total_sec = est->sec_per_gib * (double)bytes / (double)(1ULL << 30);
	return 0;
}
