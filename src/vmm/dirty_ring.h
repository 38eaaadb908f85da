/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * KVM's dirty ring: which guest pages the vCPUs wrote, pushed by KVM into
 * a ring per vCPU that vfvm maps and harvests (the other struct
 * dirty_source beside dirty_log.h's bitmap).
 *
 * Why the ring, when KVM offers it:
 *  - The bitmap makes every collect cost O(guest RAM): KVM_GET_DIRTY_LOG
 *    copies a bit per page of every slot, and the engine scans all of it,
 *    however few pages were written.  A ring collect costs O(pages
 *    written): only the entries the vCPUs pushed are read and re-armed.
 *  - Writes are attributed to the vCPU that made them, and a vCPU that
 *    fills its ring exits (KVM_EXIT_DIRTY_RING_FULL): the fastest writers
 *    slow down by themselves instead of the whole guest being throttled.
 *  - With it, KVM_GET_DIRTY_LOG no longer works on the VM: the bitmap
 *    source is not used then.  KVM takes the ring only before any vCPU
 *    exists, so vm_create() enables it on every VM (boot, --restore,
 *    --incoming), not when a migration starts.  Without a migration no
 *    slot logs dirty pages and the rings stay empty: the cost is the
 *    mapped rings and nothing per write.
 *
 * Ring size: DIRTY_RING_ENTRIES entries of 16 bytes (64 KiB per vCPU),
 * capped by what KVM_CHECK_EXTENSION says it takes.  KVM wants a power of
 * two in bytes.  4096 entries let a vCPU write 16 MiB of distinct pages
 * between two harvests before it has to stop and harvest (the engine
 * harvests at every pass; a pass over a guest of vfvm's sizes takes well
 * under a second), while a full ring stays cheap to drain on the vCPU's
 * own thread (some 4000 entries: microseconds) and KVM_RESET_DIRTY_RINGS,
 * which re-protects each harvested page, stays short.  Much bigger rings
 * only lengthen that stall; much smaller ones make a busy guest exit
 * often.  QEMU suggests the same order of size.
 */
#ifndef VFVM_DIRTY_RING_H
#define VFVM_DIRTY_RING_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "dirty_log.h"
#include "errinfo.h"
#include "guest_mem.h"

#define DIRTY_RING_ENTRIES 4096u

/* vm_config.dirty_track: `vfvm run --dirty-track auto|ring|bitmap`. */
enum vm_dirty_track {
	VM_DIRTY_AUTO, /* the ring when KVM offers it, else the bitmap */
	VM_DIRTY_RING, /* the ring, or vm_create() fails */
	VM_DIRTY_BITMAP, /* KVM_GET_DIRTY_LOG (+ KVM_CLEAR_DIRTY_LOG), never the ring */
};

/* Where the entries of one memslot go: bit @offset of @bits (@pages bits). */
struct dirty_ring_slot {
	uint32_t slot; /* as KVM writes it: address space << 16 | slot id */
	uint64_t pages;
	uint64_t *bits;
};

struct dirty_ring_count {
	uint64_t harvested; /* entries taken (bad ones included) */
	uint64_t rejected; /* of those: unknown slot or offset past the slot */
};

/*
 * Harvest one ring (@nr_entries entries, a power of two) from index
 * *@fetch on: each entry KVM marked dirty (flags read with acquire) sets
 * its page's bit in the @map entry of its slot and is handed back (flags
 * RESET, stored with release), and *@fetch moves past it.  Stops at the
 * first entry not dirty, and after @nr_entries entries at most.  An entry
 * of a slot not in @map, or past its slot's pages, sets nothing (counted
 * as rejected) but is handed back too, or the ring would stay full.  With
 * @nr_map 0 everything is dropped (tracking stopped).  Returns the
 * entries taken.  Pure: unit tests feed it synthetic rings.
 */
uint32_t dirty_ring_harvest(struct kvm_dirty_gfn *ring, uint32_t nr_entries, uint32_t *fetch,
			    const struct dirty_ring_slot *map, int nr_map,
			    struct dirty_ring_count *count);

/* The VM's rings and what the harvests gathered (struct vm.dirty_ring). */
struct vm_dirty_ring {
	uint32_t entries; /* per vCPU; 0: no ring (the bitmap is used) */
	uint32_t cap; /* KVM_CAP_DIRTY_LOG_RING_ACQ_REL or KVM_CAP_DIRTY_LOG_RING */
	/*
	 * Held while harvesting: the vCPUs' fetch indices, acc[], the counts
	 * and KVM_RESET_DIRTY_RINGS, from the collector and from a vCPU
	 * whose ring is full.
	 */
	pthread_mutex_t lock;
	bool lock_init;
	bool logging; /* a migration tracks: slots log, acc[] exist */
	int nr_logging; /* memslots whose flags we changed */
	/* pages harvested and not yet handed to the engine, per RAM region */
	uint64_t *acc[GUEST_MEM_MAX_REGIONS];
	struct dirty_ring_count count;
	uint64_t full_exits; /* KVM_EXIT_DIRTY_RING_FULL served (atomic reads) */
};

struct vm;
struct vcpu;

/*
 * vm_create(), before any vCPU: enable the ring as @track says.  0 with
 * the ring on or (auto, bitmap) off; -ENOTSUP for ring when KVM lacks it.
 */
int dirty_ring_enable(struct vm *vm, enum vm_dirty_track track, struct errinfo *e);
/* vcpu_create(): map its ring (nothing without one). */
int dirty_ring_vcpu_map(struct vcpu *v, struct errinfo *e);
void dirty_ring_vcpu_unmap(struct vcpu *v);
/* KVM_EXIT_DIRTY_RING_FULL: harvest @v's ring and reset it, then it may re-enter. */
int dirty_ring_vcpu_full(struct vcpu *v, struct errinfo *e);
/* vm_destroy(): tracking off (if a migration left it on), lock gone. */
void dirty_ring_exit(struct vm *vm);

/* "ring" or "bitmap": what a migration of @vm uses. */
const char *dirty_ring_tracker(const struct vm *vm);
/*
 * The ring behind the engine's interface: start sets
 * KVM_MEM_LOG_DIRTY_PAGES on the RAM slots; collect harvests every
 * vCPU's ring, resets them and hands out the region's pages; stop
 * restores the slots and drops what is left.
 */
struct dirty_source dirty_ring_source(struct vm *vm);

/* Parse "auto", "ring" or "bitmap"; -EINVAL otherwise. */
int dirty_track_parse(const char *s, enum vm_dirty_track *t);

#endif
