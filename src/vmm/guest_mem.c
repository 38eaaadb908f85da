// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device-dirty bitmap of guest memory (see guest_mem.h): pages that
 * vfvm's device models wrote while a migration runs.
 */
#include <errno.h>
#include <stdlib.h>

#include "guest_mem.h"

static void mark_range(uint64_t *dirty, uint64_t off, uint64_t len)
{
	uint64_t first, last;

	if (!len || !dirty)
		return;
	first = off >> GUEST_PAGE_SHIFT;
	last = (off + len - 1) >> GUEST_PAGE_SHIFT;
	while (first <= last) {
		uint64_t word = first / 64, bits = 0;

		/* one atomic OR per bitmap word covered */
		do {
			bits |= 1ULL << (first % 64);
			first++;
		} while (first <= last && first % 64);
		__atomic_fetch_or(&dirty[word], bits, __ATOMIC_SEQ_CST);
	}
}

void guest_mem_mark_dirty_slow(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	for (int i = 0; i < m->nr_regions; i++) {
		const struct guest_mem_region *r = &m->region[i];
		uint64_t start, end;

		/* clip to the region: a range may span none, one or (never in practice) two */
		if (gpa >= r->gpa + r->size || gpa + len <= r->gpa)
			continue;
		start = gpa > r->gpa ? gpa - r->gpa : 0;
		end = gpa + len - r->gpa < r->size ? gpa + len - r->gpa : r->size;
		mark_range(m->dirty[i], start, end - start);
	}
}

void guest_mem_mark_dirty_ptr_slow(const struct guest_mem *m, const void *p, uint64_t len)
{
	uintptr_t a = (uintptr_t)p;

	for (int i = 0; i < m->nr_regions; i++) {
		const struct guest_mem_region *r = &m->region[i];
		uintptr_t base = (uintptr_t)r->hva;

		if (a >= base && a - base < r->size) {
			uint64_t off = a - base;

			mark_range(m->dirty[i], off, len < r->size - off ? len : r->size - off);
			return;
		}
	}
}

int guest_mem_dirty_start(struct guest_mem *m)
{
	for (int i = 0; i < m->nr_regions; i++) {
		struct guest_mem_region *r = &m->region[i];
		uint64_t words = (guest_mem_region_pages(r) + 63) / 64;

		if (!m->dirty[i]) {
			m->dirty[i] = calloc(words, sizeof(uint64_t));
			if (!m->dirty[i])
				return -ENOMEM;
		}
		/* atomic: a device of an earlier migration may still be marking */
		for (uint64_t w = 0; w < words; w++)
			__atomic_store_n(&m->dirty[i][w], 0, __ATOMIC_RELAXED);
	}
	/* release: a device that sees dirty_on sees the bitmaps */
	__atomic_store_n(&m->dirty_on, true, __ATOMIC_RELEASE);
	return 0;
}

void guest_mem_dirty_stop(struct guest_mem *m)
{
	__atomic_store_n(&m->dirty_on, false, __ATOMIC_RELEASE);
}

void guest_mem_dirty_free(struct guest_mem *m)
{
	guest_mem_dirty_stop(m);
	for (int i = 0; i < m->nr_regions; i++) {
		free(m->dirty[i]);
		m->dirty[i] = NULL;
	}
}

uint64_t guest_mem_dirty_take(struct guest_mem *m, int region, uint64_t *bitmap)
{
	struct guest_mem_region *r = &m->region[region];
	uint64_t words = (guest_mem_region_pages(r) + 63) / 64, n = 0;

	if (!m->dirty[region])
		return 0;
	for (uint64_t w = 0; w < words; w++) {
		uint64_t bits = __atomic_exchange_n(&m->dirty[region][w], 0, __ATOMIC_SEQ_CST);

		bitmap[w] |= bits;
		n += (uint64_t)__builtin_popcountll(bits);
	}
	return n;
}
