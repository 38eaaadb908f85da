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
#define GUEST_PAGE_SHIFT 12
#define GUEST_PAGE_SIZE (1ULL << GUEST_PAGE_SHIFT)

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
	uint64_t page_size; /* of the backing: 4 KiB, or the huge page size; 0 = 4 KiB */
	int slot[GUEST_MEM_MAX_REGIONS]; /* KVM memslot of each region (vm.c) */
	/*
	 * Pages vfvm's own devices wrote while a migration tracks them, per
	 * region (one bit per page, set with atomic OR): KVM's dirty log sees
	 * only writes made by vCPUs.  NULL until the first migration.
	 */
	uint64_t *dirty[GUEST_MEM_MAX_REGIONS];
	bool dirty_on; /* device writes are being tracked (atomic access) */
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

/*
 * Device writes during migration.  A device model calls
 * guest_mem_mark_dirty() AFTER writing guest memory (the migration sender
 * clears a bit and then reads the page, so a write marked later is sent
 * again).  Without a migration it costs one predictable branch; with one it
 * is an atomic OR per page word, safe from the I/O and vCPU threads.
 */
void guest_mem_mark_dirty_slow(const struct guest_mem *m, uint64_t gpa, uint64_t len);
void guest_mem_mark_dirty_ptr_slow(const struct guest_mem *m, const void *p, uint64_t len);

static inline bool guest_mem_dirty_tracking(const struct guest_mem *m)
{
	return __builtin_expect(__atomic_load_n(&m->dirty_on, __ATOMIC_ACQUIRE), 0);
}

static inline void guest_mem_mark_dirty(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	if (guest_mem_dirty_tracking(m))
		guest_mem_mark_dirty_slow(m, gpa, len);
}

/* Same for a host pointer returned by guest_mem_ptr() (iovecs of a chain). */
static inline void guest_mem_mark_dirty_ptr(const struct guest_mem *m, const void *p, uint64_t len)
{
	if (guest_mem_dirty_tracking(m))
		guest_mem_mark_dirty_ptr_slow(m, p, len);
}

/* Pages in region @r (the last one may be partial: counted as a page). */
static inline uint64_t guest_mem_region_pages(const struct guest_mem_region *r)
{
	return (r->size + GUEST_PAGE_SIZE - 1) >> GUEST_PAGE_SHIFT;
}

/*
 * Start tracking device writes (bitmaps allocated on first use, cleared):
 * -ENOMEM.  Stop leaves the bitmaps allocated, so a device still inside
 * guest_mem_mark_dirty_slow() never touches freed memory; they go with
 * guest_mem_dirty_free() at teardown, when no device runs.
 */
int guest_mem_dirty_start(struct guest_mem *m);
void guest_mem_dirty_stop(struct guest_mem *m);
void guest_mem_dirty_free(struct guest_mem *m);
/*
 * Move the device-dirty bits of region @region into @bitmap (OR; each word
 * read and cleared atomically).  Returns how many bits were set.
 */
uint64_t guest_mem_dirty_take(struct guest_mem *m, int region, uint64_t *bitmap);

#endif
