/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * How long the DMA map of guest RAM will take, estimated before any VM
 * exists (`vfvm check --mem`): a short sample of the same backing (4 KiB,
 * 2 MiB or 1 GiB pages) is prefaulted the way vfio_dma_map_guest() does
 * it (same threads, same CPUs), timed and scaled to the guest's RAM.  The
 * prefault (zeroing, faulting) is what costs most; the IOMMU map itself
 * needs a VFIO container and is not part of the estimate.
 */
#ifndef VFIO_DMA_ESTIMATE_H
#define VFIO_DMA_ESTIMATE_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "errinfo.h"

/* The sample: 64 MiB, or one page when pages are bigger (1 GiB). */
#define VFIO_DMA_SAMPLE (64ULL << 20)

struct vfio_dma_estimate {
	uint64_t sample; /* bytes prefaulted */
	uint64_t page; /* backing page size */
	unsigned int threads;
	bool populate_write; /* MADV_POPULATE_WRITE worked (else pages were touched) */
	double sample_sec;
	double sec_per_gib;
	double total_sec; /* for the guest's RAM */
};

/*
 * Prefault a sample of @page-sized pages (@hugetlb) with @threads threads
 * (0: one per CPU of @cpus or online CPU) on @cpus (NULL: anywhere), and
 * scale its time to @bytes of guest RAM.  The sample is @bytes when that is
 * smaller, whole pages always.  0, or -errno with @e saying why (no free
 * huge page for the sample, out of memory).
 */
int vfio_dma_estimate(uint64_t bytes, bool hugetlb, uint64_t page, unsigned int threads,
		      const cpu_set_t *cpus, struct vfio_dma_estimate *est, struct errinfo *e);

#endif
