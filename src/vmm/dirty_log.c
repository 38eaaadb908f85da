// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM's dirty log on the guest-RAM memslots, and the bitmap walker the
 * migration engine uses on it (see dirty_log.h for what is used and why).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "dirty_log.h"

/* Word @w of @b (inverted if asked), bits past @nbits cleared. */
static uint64_t word_at(const uint64_t *b, uint64_t nbits, uint64_t w, bool invert)
{
	uint64_t v = invert ? ~b[w] : b[w];

	if ((w + 1) * 64 > nbits)
		v &= (1ULL << (nbits % 64)) - 1;
	return v;
}

/* First bit >= @start that is set (clear with @invert), or @nbits. */
static uint64_t find_next(const uint64_t *b, uint64_t nbits, uint64_t start, bool invert)
{
	uint64_t w, v;

	if (start >= nbits)
		return nbits;
	w = start / 64;
	v = word_at(b, nbits, w, invert) & (~0ULL << (start % 64));
	for (;;) {
		if (v)
			return w * 64 + (uint64_t)__builtin_ctzll(v);
		if (++w * 64 >= nbits)
			return nbits;
		v = word_at(b, nbits, w, invert);
	}
}

bool dirty_bitmap_next_run(const uint64_t *bitmap, uint64_t nbits, uint64_t *pos,
			   struct page_range *r)
{
	uint64_t first = find_next(bitmap, nbits, *pos, false), end;

	if (first >= nbits) {
		*pos = nbits;
		return false;
	}
	end = find_next(bitmap, nbits, first, true);
	r->first = first;
	r->count = end - first;
	*pos = end;
	return true;
}

uint64_t dirty_bitmap_count(const uint64_t *bitmap, uint64_t nbits)
{
	uint64_t n = 0;

	for (uint64_t w = 0; w * 64 < nbits; w++)
		n += (uint64_t)__builtin_popcountll(word_at(bitmap, nbits, w, false));
	return n;
}

void dirty_log_init(struct dirty_log *d, int kvm_fd, int vm_fd, struct guest_mem *mem)
{
	memset(d, 0, sizeof(*d));
	d->kvm_fd = kvm_fd;
	d->vm_fd = vm_fd;
	d->mem = mem;
}

int dirty_log_slot_flags(int vm_fd, const struct guest_mem *mem, int region, uint32_t flags,
			 struct errinfo *e)
{
	const struct guest_mem_region *g = &mem->region[region];
	struct kvm_userspace_memory_region r = {
		.slot = (uint32_t)mem->slot[region],
		.flags = flags,
		.guest_phys_addr = g->gpa,
		.memory_size = g->size,
		.userspace_addr = (uintptr_t)g->hva,
	};

	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return err_sys(e, errno,
			       "KVM_SET_USER_MEMORY_REGION slot %d at 0x%llx: %s dirty log",
			       mem->slot[region], (unsigned long long)g->gpa,
			       flags & KVM_MEM_LOG_DIRTY_PAGES ? "starting" : "stopping");
	return 0;
}

static int set_slot_flags(struct dirty_log *d, int i, uint32_t flags, struct errinfo *e)
{
	return dirty_log_slot_flags(d->vm_fd, d->mem, i, flags, e);
}

static void manual_protect(struct dirty_log *d, bool on)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
		.args[0] = on ? KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE : 0,
	};

	/* off again can only fail if on never worked */
	d->manual_protect = ioctl(d->vm_fd, KVM_ENABLE_CAP, &cap) == 0 && on;
}

int dirty_log_start(struct dirty_log *d, struct errinfo *e)
{
	uint64_t words = 0;
	int ret;

	if (d->active)
		return 0;
	for (int i = 0; i < d->mem->nr_regions; i++) {
		uint64_t w = (guest_mem_region_pages(&d->mem->region[i]) + 63) / 64;

		words = w > words ? w : words;
	}
	d->scratch = calloc(words ? words : 1, sizeof(uint64_t));
	if (!d->scratch)
		return err_set(e, ENOMEM, "dirty log bitmap of %llu bytes",
			       (unsigned long long)(words * 8));
	/*
	 * Manual protect first: set while the slots already log, pages
	 * dirtied in between would be reported once and never re-protected.
	 * Not INITIALLY_SET: pass 1 sends every page anyway.
	 */
	if (!d->no_manual_protect &&
	    ioctl(d->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) > 0)
		manual_protect(d, true);
	for (int i = 0; i < d->mem->nr_regions; i++) {
		ret = set_slot_flags(d, i, KVM_MEM_LOG_DIRTY_PAGES, e);
		if (ret) {
			d->active = true; /* so that stop undoes the slots done */
			dirty_log_stop(d);
			return ret;
		}
		d->nr_logging = i + 1;
	}
	d->active = true;
	return 0;
}

int dirty_log_collect(struct dirty_log *d, int region, uint64_t *bitmap, struct errinfo *e)
{
	const struct guest_mem_region *g = &d->mem->region[region];
	uint64_t pages = guest_mem_region_pages(g), words = (pages + 63) / 64;
	int slot = d->mem->slot[region];
	struct kvm_dirty_log log = {.slot = (uint32_t)slot, .dirty_bitmap = d->scratch};
	bool any = false;

	if (!d->active)
		return err_set(e, EINVAL, "dirty log of slot %d read while not logging", slot);
	memset(d->scratch, 0, words * sizeof(uint64_t));
	if (ioctl(d->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0)
		return err_sys(e, errno, "KVM_GET_DIRTY_LOG slot %d", slot);
	for (uint64_t w = 0; w < words; w++) {
		bitmap[w] |= d->scratch[w];
		any |= d->scratch[w] != 0;
	}
	if (d->manual_protect && any) {
		/* re-protect what we are about to send, before the caller reads it */
		struct kvm_clear_dirty_log c = {
			.slot = (uint32_t)slot,
			.num_pages = (uint32_t)pages,
			.first_page = 0,
			.dirty_bitmap = d->scratch,
		};

		if (ioctl(d->vm_fd, KVM_CLEAR_DIRTY_LOG, &c) < 0)
			return err_sys(e, errno, "KVM_CLEAR_DIRTY_LOG slot %d (%llu pages)", slot,
				       (unsigned long long)pages);
	}
	return 0;
}

void dirty_log_stop(struct dirty_log *d)
{
	struct errinfo ignored = {0};

	if (!d->active)
		return;
	/* best effort: a slot that keeps logging only costs write faults */
	for (int i = 0; i < d->nr_logging; i++)
		set_slot_flags(d, i, 0, &ignored);
	d->nr_logging = 0;
	if (d->manual_protect)
		manual_protect(d, false);
	free(d->scratch);
	d->scratch = NULL;
	d->active = false;
}

static int src_start(void *opaque, struct errinfo *e)
{
	return dirty_log_start(opaque, e);
}

static int src_collect(void *opaque, int region, uint64_t *bitmap, struct errinfo *e)
{
	return dirty_log_collect(opaque, region, bitmap, e);
}

static void src_stop(void *opaque)
{
	dirty_log_stop(opaque);
}

struct dirty_source dirty_log_source(struct dirty_log *d)
{
	return (struct dirty_source){src_start, src_collect, src_stop, d};
}
