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
 */
#ifndef VFIO_DMA_H
#define VFIO_DMA_H

#include <stdbool.h>
#include <stdint.h>

#include "errinfo.h"
#include "guest_mem.h"
#include "vfio_iommu.h"

struct vfio_dma_opts {
	unsigned int prefault_threads; /* 0: one per online CPU (max 16); 1: serial */
	bool no_prefault; /* let the map fault pages itself (bench baseline) */
	uint64_t chunk; /* map in pieces of this size for progress; 0 = whole regions */
	void (*progress)(void *opaque, uint64_t done, uint64_t total);
	void *opaque;
};

struct vfio_dma_stats {
	uint64_t bytes;
	unsigned int threads;
	bool populate_write; /* MADV_POPULATE_WRITE worked (else pages were touched) */
	unsigned int map_calls;
	double prefault_sec;
	double map_sec;
};

/* Every RAM region must lie wholly inside one usable range. */
int vfio_dma_check_layout(const struct vfio_usable_range *r, int nr, const struct guest_mem *m,
			  struct errinfo *e);
/* @need bytes against the soft RLIMIT_MEMLOCK @limit (RLIM_INFINITY ok). */
int vfio_dma_check_memlock_limit(uint64_t need, uint64_t limit, bool cap_ipc_lock,
				 struct errinfo *e);
/* The same with this process's limit and capability. */
int vfio_dma_check_memlock(uint64_t need, struct errinfo *e);
/* Fault in (and zero) all guest RAM with @threads threads. */
int vfio_dma_prefault(const struct guest_mem *m, unsigned int threads, struct vfio_dma_stats *st,
		      struct errinfo *e);
/* Check, prefault and map all guest RAM into @io. */
int vfio_dma_map_guest(struct vfio_iommu *io, const struct guest_mem *m,
		       const struct vfio_dma_opts *o, struct vfio_dma_stats *st, struct errinfo *e);

#endif
