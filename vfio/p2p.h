/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Peer-to-peer DMA between passed-through devices: each mapped BAR piece of
 * a device is DMA-mapped in the VM's IOMMU address space (type1 container or
 * iommufd IOAS) at its guest-physical address, so a guest driver that hands
 * one device another device's BAR address (GPUDirect P2P, NVMe CMB, RDMA to
 * GPU memory) reaches that BAR through the IOMMU, as it would on bare metal.
 *
 * A piece that cannot be mapped (outside the usable IOVA ranges, a backend
 * that does not take a PFNMAP range: iommufd before dma-buf support, a full
 * dma_entry_limit) is reported as a warning naming the device, BAR, address
 * and errno and counted; the VM runs on without P2P to that piece.  Mappings
 * follow the BAR: moved when the guest moves it, unmapped when the device
 * goes (hot-unplug, teardown), before its fd closes.  A BAR the guest only
 * disables (memory decode off) keeps its map until it comes back at another
 * address: Linux turns decode off and on around sizing each BAR, and type1
 * in a kernel such as 6.12 maps a PFNMAP range page by page (measured in
 * the lab: about a minute per 64 GiB, re-mapped per toggle), so re-mapping on every toggle would
 * cost minutes per GPU-sized BAR.  The device itself does not decode then,
 * so a peer's DMA to it still reaches nothing.
 *
 * Kept apart from the RAM mappings (dma.c, io->map): RAM is mapped once per
 * VM and lives as long as the container, BAR pieces come and go with the
 * guest's BAR programming.
 */
#ifndef VFIO_P2P_H
#define VFIO_P2P_H

#include <stdbool.h>
#include <stdint.h>

#include "bar_layout.h"
#include "config_shadow.h"
#include "log.h"
#include "vfio_iommu.h"

struct vfio_p2p_piece {
	uint64_t iova; /* = guest-physical address while mapped */
	uint64_t size;
	bool mapped;
};

struct vfio_p2p {
	bool enabled; /* p2p=on (default); off: nothing is mapped */
	char bdf[16]; /* for the warnings */
	struct vfio_p2p_piece piece[VFIO_CFG_NR_BARS][VFIO_BAR_MAX_PIECES];
	unsigned int nr_mapped; /* pieces mapped now */
	unsigned int nr_maps; /* map calls that succeeded, ever */
	unsigned int nr_unmaps;
	unsigned int nr_failed; /* map calls that failed (each one warned) */
	int last_err; /* errno of the last failure, 0 none */
	/*
	 * The backend cannot map this device's MMIO at all (iommufd without
	 * dma-buf: EFAULT): warned once, no further piece is tried.
	 */
	bool refused;
};

void vfio_p2p_init(struct vfio_p2p *p, const char *bdf, bool enabled);

/*
 * Map piece @i of BAR @bar, @size bytes of host memory at @hva, at IOVA
 * @gpa.  Never fails the caller: a failure is warned in @log (NULL: only
 * counted) and counted; returns 0 when mapped, -errno when not (disabled:
 * 0 and nothing done).
 */
int vfio_p2p_map(struct vfio_p2p *p, struct vfio_iommu *io, int bar, unsigned int i, uint64_t gpa,
		 uint64_t size, void *hva, struct vlog *log);
/* Undo vfio_p2p_map of that piece, if it is mapped. */
void vfio_p2p_unmap(struct vfio_p2p *p, struct vfio_iommu *io, int bar, unsigned int i,
		    struct vlog *log);
/*
 * The guest activated BAR @bar at @gpa: unmap piece @i if it is mapped at
 * another address (a disabled BAR keeps its map; see above).
 */
void vfio_p2p_moved(struct vfio_p2p *p, struct vfio_iommu *io, int bar, unsigned int i,
		    uint64_t gpa, struct vlog *log);
/* Every piece of every BAR (device going away). */
void vfio_p2p_unmap_all(struct vfio_p2p *p, struct vfio_iommu *io, struct vlog *log);

#endif
