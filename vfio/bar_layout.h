/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * How each BAR of a passed-through device reaches the guest.
 *
 * A BAR is cut into pieces, each either MAPPED (the device region mmapped
 * and installed as a KVM memslot: no exits) or TRAPPED (guest accesses exit
 * and are emulated: MSI-X table and PBA, or forwarded to the device with
 * pread/pwrite on the region).  Rules:
 *   - only page-aligned, page-sized parts of an mmap-able region can be
 *     mapped, and only inside the sparse-mmap areas when the region lists
 *     them;
 *   - the pages holding the MSI-X table are always trapped, and the pages
 *     holding the PBA too unless the region is MSI-X mappable;
 *   - the rest of the BAR stays reachable: QEMU's NVMe VF keeps its
 *     registers at BAR0+0 with the table at +0x2000 and PBA at +0x3000, so
 *     [0, 0x2000) is mapped and only the table/PBA pages trap;
 *   - I/O BARs are always trapped and forwarded.
 */
#ifndef VFIO_BAR_LAYOUT_H
#define VFIO_BAR_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "device.h"
#include "errinfo.h"

#define VFIO_BAR_MAX_PIECES (2 * VFIO_MAX_SPARSE + 8)

struct vfio_bar_piece {
	uint64_t off;
	uint64_t size;
	bool map;
};

struct vfio_bar_layout {
	uint64_t size; /* BAR size */
	bool io;
	unsigned int nr;
	struct vfio_bar_piece piece[VFIO_BAR_MAX_PIECES];
};

/* A range of the BAR that must trap (MSI-X table or PBA); size 0 = none. */
struct vfio_bar_trap {
	uint64_t off;
	uint64_t size;
};

/*
 * Build the layout of a BAR of @bar_size bytes (the guest-visible, power of
 * two size) backed by region @r.  @traps lists ranges that must trap.
 */
int vfio_bar_layout_build(const struct vfio_region *r, uint64_t bar_size, bool io,
			  const struct vfio_bar_trap *traps, unsigned int nr_traps,
			  uint64_t page_size, struct vfio_bar_layout *out, struct errinfo *e);

/* Bytes of the BAR that are mapped (for reports and tests). */
uint64_t vfio_bar_layout_mapped(const struct vfio_bar_layout *l);

/*
 * mmap @size bytes of the device fd at @fd_off at a host address aligned
 * to min(@align, 1 GiB) so huge pages can back the guest mapping.
 */
void *vfio_bar_mmap_aligned(const struct vfio_sys *sys, int fd, uint64_t fd_off, uint64_t size,
			    uint64_t align, int *err);

#endif
