/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Parsers of the capability chains in VFIO info answers, apart so that
 * tests and the fuzzer feed them any bytes (tests/fuzz/fuzz_vfio_info_caps.c).
 */
#ifndef VFIO_INFO_CAPS_H
#define VFIO_INFO_CAPS_H

#include <stdint.h>

struct vfio_region;
struct vfio_iommu;

/*
 * The chain of a region info buffer of @len bytes starting at @first: the
 * sparse-mmap areas (only those inside the region's size, at most
 * VFIO_MAX_SPARSE) and whether the MSI-X table may be mapped.
 */
void vfio_region_caps_parse(struct vfio_region *r, const uint8_t *buf, uint32_t len,
			    uint32_t first);
/*
 * The chain of a type1 IOMMU info buffer: the usable IOVA ranges (at most
 * VFIO_IOMMU_MAX_RANGES) and the DMA mapping limit.
 */
void vfio_iommu_caps_parse(struct vfio_iommu *io, const uint8_t *buf, uint32_t len, uint32_t off);

#endif
