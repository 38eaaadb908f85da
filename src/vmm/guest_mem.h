/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest physical memory as the VMM sees it: a few RAM regions (below the
 * 32-bit PCI hole and above 4 GiB), all backed by one memfd.
 *
 * Every device model reaches guest memory only through guest_mem_ptr(),
 * which returns NULL unless [gpa, gpa+len) lies wholly inside one RAM
 * region: that is the single place where a hostile guest address is caught.
 */
#ifndef VFVM_GUEST_MEM_H
#define VFVM_GUEST_MEM_H

#include <stdbool.h>
#include <stdint.h>

#define GUEST_MEM_MAX_REGIONS 4

struct guest_mem_region {
	uint64_t gpa; /* guest physical start */
	uint64_t size; /* bytes */
	uint8_t *hva; /* host mapping */
	uint64_t fd_offset; /* offset of this region in the backing memfd */
};

struct guest_mem {
	struct guest_mem_region region[GUEST_MEM_MAX_REGIONS];
	int nr_regions;
	int memfd; /* -1 when not file backed (unit tests) */
	uint64_t total; /* sum of region sizes */
	bool hugetlb;
};

/* Host pointer for guest range [gpa, gpa+len), or NULL if any byte is outside RAM. */
static inline void *guest_mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	for (int i = 0; i < m->nr_regions; i++) {
		const struct guest_mem_region *r = &m->region[i];

		if (gpa >= r->gpa && len <= r->size && gpa - r->gpa <= r->size - len)
			return r->hva + (gpa - r->gpa);
	}
	return 0;
}

#endif
