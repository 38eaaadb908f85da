// SPDX-License-Identifier: GPL-2.0-only
/*
 * The capability chains of VFIO info answers (vfio/info_caps.c), as a
 * kernel - or a malicious or buggy VFIO driver - could fill them: a region
 * info buffer (sparse-mmap areas, MSI-X mappable) and a type1 IOMMU info
 * buffer (usable IOVA ranges, DMA mapping limit).  Whatever the chain, the
 * parsers stay inside the buffer (ASan), keep at most their array sizes,
 * and only keep sparse areas that lie inside the region.
 *
 * Input: u64 region size, u32 first cap offset, then the buffer (both
 * parsers read the same bytes, the IOMMU one from the same offset).
 */
#include <stdbool.h>
#include <string.h>

#include "device.h"
#include "fuzz.h"
#include "info_caps.h"
#include "vfio_iommu.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct vfio_region r;
	struct vfio_iommu io;
	uint64_t region_size = fuzz_u64(&in);
	uint32_t first = fuzz_u32(&in), len;
	uint8_t *buf;

	if (in.n > 1 << 16)
		return 0;
	len = (uint32_t)in.n;
	/* an exact-size heap copy: ASan sees any read past the answer */
	buf = malloc(len ? len : 1);
	FUZZ_CHECK(buf);
	memcpy(buf, in.p, len);

	memset(&r, 0, sizeof(r));
	r.size = region_size;
	vfio_region_caps_parse(&r, buf, len, first);
	FUZZ_CHECK(r.nr_sparse <= VFIO_MAX_SPARSE);
	FUZZ_CHECK(!r.nr_sparse || r.has_sparse);
	for (unsigned int i = 0; i < r.nr_sparse; i++) {
		FUZZ_CHECK(r.sparse[i].size > 0);
		FUZZ_CHECK(r.sparse[i].offset <= r.size);
		FUZZ_CHECK(r.sparse[i].size <= r.size - r.sparse[i].offset);
	}

	memset(&io, 0, sizeof(io));
	vfio_iommu_caps_parse(&io, buf, len, first);
	FUZZ_CHECK(io.nr_ranges >= 0 && io.nr_ranges <= VFIO_IOMMU_MAX_RANGES);
	free(buf);
	return 0;
}
