/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one owner of DMA mappings for all passed-through devices of a VM:
 * all guest RAM regions mapped with iova = guest physical address.
 *
 * Before anything is pinned it checks that the guest RAM layout stays in
 * the IOVA ranges the IOMMU can use (the x86 MSI window 0xfee00000 and the
 * IOMMU's address width are excluded) and that RLIMIT_MEMLOCK covers guest
 * RAM (unless the process has CAP_IPC_LOCK).  It then prefaults guest RAM
 * with MADV_POPULATE_WRITE from several threads, because faulting and
 * zeroing pages is most of the cost of a map and the IOMMU map itself is
 * serial, and reports how long each step took.
 *
 * Big guests are mapped in pieces (1 GiB by default) so progress can be
 * shown; the number of map calls is counted first and checked against
 * what the IOMMU takes (type1's VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL: its
 * dma_entry_limit less the mappings made; iommufd has no such count):
 * pieces grow until the count fits, and a guest whose regions alone do not
 * fit is refused before anything is pinned.
 */
#ifndef VFIO_DMA_H
#define VFIO_DMA_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "errinfo.h"
#include "guest_mem.h"
#include "vfio_iommu.h"

/* The piece size of a map unless the IOMMU's count of mappings needs bigger ones. */
#define VFIO_DMA_DEFAULT_CHUNK (1ULL << 30)
#define VFIO_DMA_MAX_PREFAULT_THREADS 16

struct vfio_dma_opts {
	/* 0: one per CPU of @cpus, or per online CPU (max 16); 1: serial */
	unsigned int prefault_threads;
	/* prefault threads run on these CPUs (the memory's node); NULL: anywhere */
	const cpu_set_t *cpus;
	bool no_prefault; /* let the map fault pages itself (bench baseline) */
	/* map in pieces of this size (whole backing pages) for progress; 0: whole regions */
	uint64_t chunk;
	void (*progress)(void *opaque, uint64_t done, uint64_t total);
	void *opaque;
};

struct vfio_dma_stats {
	uint64_t bytes;
	unsigned int threads;
	bool populate_write; /* MADV_POPULATE_WRITE worked (else pages were touched) */
	unsigned int map_calls;
	uint64_t chunk; /* piece size mapped, 0 = whole regions */
	bool chunk_grown; /* bigger than asked: the IOMMU's count of mappings */
	uint64_t map_avail; /* mappings the IOMMU took before the map */
	bool map_avail_type1; /* ... as type1's DMA_AVAIL said (else vfvm's own table) */
	double prefault_sec;
	double map_sec;
	/* filled by the caller: where the prefault threads ran */
	int node; /* NUMA node, -1 none */
	char cpus[64]; /* "" = every CPU */
};

/* Every RAM region must lie wholly inside one usable range. */
int vfio_dma_check_layout(const struct vfio_usable_range *r, int nr, const struct guest_mem *m,
			  struct errinfo *e);
/* @need bytes against the soft RLIMIT_MEMLOCK @limit (RLIM_INFINITY ok). */
int vfio_dma_check_memlock_limit(uint64_t need, uint64_t limit, bool cap_ipc_lock,
				 struct errinfo *e);
/* The same with this process's limit and capability. */
int vfio_dma_check_memlock(uint64_t need, struct errinfo *e);
/* Map calls for @m in pieces of @chunk (0: one per region). */
unsigned int vfio_dma_map_calls(const struct guest_mem *m, uint64_t chunk);
/*
 * The piece size to map @m in, given @avail more mappings the IOMMU takes
 * (@type1_limit: that number is type1's DMA_AVAIL, for the message): @want
 * rounded up to the backing page, doubled until the calls fit, 0 (whole
 * regions) when a piece would be a region.  Returns 0, 1 when the piece
 * had to grow, or -ENOSPC naming the numbers and the fix when even whole
 * regions need more mappings than @avail.
 */
int vfio_dma_plan_chunk(const struct guest_mem *m, uint64_t want, uint64_t avail, bool type1_limit,
			uint64_t *chunk, struct errinfo *e);
/* Threads a prefault uses for @want (0: per CPU of @cpus or online CPU), at most 16. */
unsigned int vfio_dma_prefault_threads(unsigned int want, const cpu_set_t *cpus);
/* Fault in (and zero) all guest RAM with @threads threads, on @cpus when not NULL. */
int vfio_dma_prefault(const struct guest_mem *m, unsigned int threads, const cpu_set_t *cpus,
		      struct vfio_dma_stats *st, struct errinfo *e);
/* Check, prefault and map all guest RAM into @io. */
int vfio_dma_map_guest(struct vfio_iommu *io, const struct guest_mem *m,
		       const struct vfio_dma_opts *o, struct vfio_dma_stats *st, struct errinfo *e);

#endif
