// SPDX-License-Identifier: GPL-2.0-only
/* BAR layout: which pages are mapped and which trap.  See bar_layout.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bar_layout.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool in_map_area(const struct vfio_region *r, uint64_t off, uint64_t size)
{
	if (!(r->flags & VFIO_REGION_INFO_FLAG_MMAP))
		return false;
	if (off > r->size || size > r->size - off)
		return false; /* past the end of the region (BAR rounded up) */
	if (!r->has_sparse)
		return true;
	for (unsigned int i = 0; i < r->nr_sparse; i++)
		if (off >= r->sparse[i].offset &&
		    off + size <= r->sparse[i].offset + r->sparse[i].size)
			return true;
	return false;
}

int vfio_bar_layout_build(const struct vfio_region *r, uint64_t bar_size, bool io,
			  const struct vfio_bar_trap *traps, unsigned int nr_traps,
			  uint64_t page_size, struct vfio_bar_layout *out, struct errinfo *e)
{
	uint64_t cut[2 * VFIO_MAX_SPARSE + 2 * 4 + 3];
	unsigned int n = 0;

	memset(out, 0, sizeof(*out));
	out->size = bar_size;
	out->io = io;
	if (!bar_size)
		return 0;
	if (nr_traps > 4 || !page_size || (page_size & (page_size - 1)))
		return err_set(e, EINVAL, "BAR layout: %u trap ranges, page size %llu", nr_traps,
			       (unsigned long long)page_size);
	cut[n++] = 0;
	cut[n++] = bar_size;
	if (!io) {
		/* a region shorter than the BAR (rounded up to a power of two) */
		if (r->size < bar_size)
			cut[n++] = r->size & ~(page_size - 1);
		for (unsigned int i = 0; r->has_sparse && i < r->nr_sparse; i++) {
			/* only whole pages of an area can be mapped */
			uint64_t s = (r->sparse[i].offset + page_size - 1) & ~(page_size - 1);
			uint64_t end = (r->sparse[i].offset + r->sparse[i].size) & ~(page_size - 1);

			if (s < end && s < bar_size) {
				cut[n++] = s;
				cut[n++] = end < bar_size ? end : bar_size;
			}
		}
		for (unsigned int i = 0; i < nr_traps; i++) {
			uint64_t s, end;

			if (!traps[i].size || traps[i].off >= bar_size)
				continue;
			s = traps[i].off & ~(page_size - 1);
			end = (traps[i].off + traps[i].size + page_size - 1) & ~(page_size - 1);
			cut[n++] = s;
			cut[n++] = end < bar_size ? end : bar_size;
		}
	}
	qsort(cut, n, sizeof(cut[0]), cmp_u64);

	for (unsigned int i = 0; i + 1 < n; i++) {
		uint64_t s = cut[i], len = cut[i + 1] - cut[i];
		bool map;

		if (!len)
			continue;
		map = !io && !(s & (page_size - 1)) && !(len & (page_size - 1)) &&
		      in_map_area(r, s, len);
		for (unsigned int t = 0; map && t < nr_traps; t++) {
			uint64_t ts = traps[t].off & ~(page_size - 1);
			uint64_t te =
				(traps[t].off + traps[t].size + page_size - 1) & ~(page_size - 1);

			if (traps[t].size && s < te && ts < s + len)
				map = false;
		}
		if (out->nr && out->piece[out->nr - 1].map == map &&
		    out->piece[out->nr - 1].off + out->piece[out->nr - 1].size == s) {
			out->piece[out->nr - 1].size += len;
			continue;
		}
		if (out->nr == VFIO_BAR_MAX_PIECES)
			return err_set(e, E2BIG, "BAR layout: more than %d pieces",
				       VFIO_BAR_MAX_PIECES);
		out->piece[out->nr].off = s;
		out->piece[out->nr].size = len;
		out->piece[out->nr].map = map;
		out->nr++;
	}
	return 0;
}

uint64_t vfio_bar_layout_mapped(const struct vfio_bar_layout *l)
{
	uint64_t sum = 0;

	for (unsigned int i = 0; i < l->nr; i++)
		if (l->piece[i].map)
			sum += l->piece[i].size;
	return sum;
}

void *vfio_bar_mmap_aligned(const struct vfio_sys *sys, int fd, uint64_t fd_off, uint64_t size,
			    uint64_t align, int *err)
{
	uint8_t *resv, *want;
	void *p;

	if (align > (1ULL << 30))
		align = 1ULL << 30;
	if (align < 4096)
		align = 4096;
	/* a piece of 12 KiB aligns to 8 KiB: keep alignments powers of two */
	while (align & (align - 1))
		align &= align - 1;
	/* Reserve address space with room to align, then map over it. */
	resv = mmap(NULL, size + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
		    0);
	if (resv == MAP_FAILED) {
		*err = -errno;
		return NULL;
	}
	want = (uint8_t *)(((uintptr_t)resv + align - 1) & ~(uintptr_t)(align - 1));
	p = vfio_sys_mmap(sys, want, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
			  fd_off, err);
	if (!p) {
		munmap(resv, size + align);
		return NULL;
	}
	/* give back the unused head and tail of the reservation */
	if (want > resv)
		munmap(resv, (size_t)(want - resv));
	if (want + size < resv + size + align)
		munmap(want + size, (size_t)(resv + size + align - (want + size)));
	return p;
}
