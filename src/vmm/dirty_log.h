/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which guest pages the vCPUs wrote: KVM's dirty log on the guest-RAM
 * memslots, for live migration (migrate_ram.c).
 *
 * The engine sees it through struct dirty_source, so unit tests feed it a
 * fake; dirty_log_source() gives the KVM one.  Pages vfvm's own devices
 * write are not in KVM's log: they come from the device-dirty bitmap of
 * struct guest_mem (guest_mem.h).
 *
 * What the KVM source uses, and why:
 *  - KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 when the kernel offers it:
 *    KVM_GET_DIRTY_LOG then only reads the bitmap, and KVM_CLEAR_DIRTY_LOG
 *    write-protects again exactly the pages about to be sent, just before
 *    they are read.  Without it, KVM_GET_DIRTY_LOG reads and re-protects
 *    the whole slot in one call (same result; more work under KVM's lock).
 *  - This bitmap source is the fallback: a VM made with KVM's dirty ring
 *    (dirty_ring.h, the default where KVM offers it) uses the ring source,
 *    and on such a VM KVM_GET_DIRTY_LOG fails.  The bitmap serves kernels
 *    without the ring and `vfvm run --dirty-track bitmap`.
 */
#ifndef VFVM_DIRTY_LOG_H
#define VFVM_DIRTY_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "errinfo.h"
#include "guest_mem.h"

/* A run of set bits: pages [first, first + count) of a region. */
struct page_range {
	uint64_t first;
	uint64_t count;
};

/*
 * The next run of set bits in @bitmap (@nbits bits; bits past @nbits in
 * the last word are ignored) starting at or after *@pos.  Returns false
 * when there is none; else fills @r and moves *@pos past the run.
 */
bool dirty_bitmap_next_run(const uint64_t *bitmap, uint64_t nbits, uint64_t *pos,
			   struct page_range *r);
/* Set bits among the first @nbits. */
uint64_t dirty_bitmap_count(const uint64_t *bitmap, uint64_t nbits);

/*
 * Where the migration engine gets the vCPUs' dirty pages.  start() begins
 * tracking (every later write is reported); collect() ORs the pages of
 * region @region dirtied since start or the previous collect into
 * @bitmap (one bit per page, guest_mem_region_pages() bits) and re-arms
 * tracking for them, so a write after collect() returns is reported by
 * the next one; stop() ends tracking and restores what start() changed.
 */
struct dirty_source {
	int (*start)(void *opaque, struct errinfo *e);
	int (*collect)(void *opaque, int region, uint64_t *bitmap, struct errinfo *e);
	void (*stop)(void *opaque);
	void *opaque;
};

/* KVM's dirty log on the RAM memslots of @mem (guest_mem.slot[]). */
struct dirty_log {
	int kvm_fd;
	int vm_fd;
	struct guest_mem *mem;
	bool no_manual_protect; /* set before start: plain GET_DIRTY_LOG (lab test) */
	bool manual_protect; /* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 enabled by us */
	bool active;
	int nr_logging; /* memslots whose flags we changed */
	uint64_t *scratch; /* KVM_GET_DIRTY_LOG buffer, largest region */
};

void dirty_log_init(struct dirty_log *d, int kvm_fd, int vm_fd, struct guest_mem *mem);
int dirty_log_start(struct dirty_log *d, struct errinfo *e);
int dirty_log_collect(struct dirty_log *d, int region, uint64_t *bitmap, struct errinfo *e);
/* Memslot flags back as they were, manual protect off; safe when not started. */
void dirty_log_stop(struct dirty_log *d);
/* KVM_SET_USER_MEMORY_REGION of RAM region @region with @flags (shared with dirty_ring.c). */
int dirty_log_slot_flags(int vm_fd, const struct guest_mem *mem, int region, uint32_t flags,
			 struct errinfo *e);
/* @d behind the engine's interface. */
struct dirty_source dirty_log_source(struct dirty_log *d);

#endif
