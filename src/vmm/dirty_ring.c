// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM's dirty ring: enabling it at VM creation, mapping each vCPU's ring,
 * harvesting it (the collector and full rings), and the ring behind
 * struct dirty_source (see dirty_ring.h for why and how big).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dirty_ring.h"
#include "vcpu.h"
#include "vm.h"

uint32_t dirty_ring_harvest(struct kvm_dirty_gfn *ring, uint32_t nr_entries, uint32_t *fetch,
			    const struct dirty_ring_slot *map, int nr_map,
			    struct dirty_ring_count *count)
{
	uint32_t n = 0;

	while (n < nr_entries) {
		struct kvm_dirty_gfn *g = &ring[*fetch & (nr_entries - 1)];
		/* acquire: slot and offset are KVM's once DIRTY is seen */
		uint32_t flags = __atomic_load_n(&g->flags, __ATOMIC_ACQUIRE);
		const struct dirty_ring_slot *s = NULL;
		uint32_t slot;
		uint64_t offset;

		if (!(flags & KVM_DIRTY_GFN_F_DIRTY))
			break;
		slot = g->slot;
		offset = g->offset;
		for (int i = 0; i < nr_map; i++) {
			if (map[i].slot == slot) {
				s = &map[i];
				break;
			}
		}
		if (s && offset < s->pages)
			s->bits[offset / 64] |= 1ULL << (offset % 64);
		else if (nr_map)
			count->rejected++;
		/* release: KVM may reuse the entry only after we are done with it */
		__atomic_store_n(&g->flags, KVM_DIRTY_GFN_F_RESET, __ATOMIC_RELEASE);
		(*fetch)++;
		n++;
	}
	count->harvested += n;
	return n;
}

static const char *cap_name(uint32_t cap)
{
	return cap == KVM_CAP_DIRTY_LOG_RING_ACQ_REL ? "KVM_CAP_DIRTY_LOG_RING_ACQ_REL"
						     : "KVM_CAP_DIRTY_LOG_RING";
}

int dirty_ring_enable(struct vm *vm, enum vm_dirty_track track, struct errinfo *e)
{
	static const uint32_t caps[] = {KVM_CAP_DIRTY_LOG_RING_ACQ_REL, KVM_CAP_DIRTY_LOG_RING};
	struct vm_dirty_ring *r = &vm->dirty_ring;
	int last_err = 0;

	pthread_mutex_init(&r->lock, NULL);
	r->lock_init = true;
	if (track == VM_DIRTY_BITMAP)
		return 0;
	/* acquire/release first: it says what dirty_ring_harvest() does */
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		int max = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, caps[i]);
		uint32_t bytes = DIRTY_RING_ENTRIES * (uint32_t)sizeof(struct kvm_dirty_gfn);
		struct kvm_enable_cap c = {.cap = caps[i]};

		if (max <= 0)
			continue;
		/* halving keeps it a power of two, as KVM wants */
		while (bytes > (uint32_t)max && bytes > sizeof(struct kvm_dirty_gfn))
			bytes /= 2;
		c.args[0] = bytes;
		if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &c) < 0) {
			last_err = errno;
			if (track == VM_DIRTY_RING)
				return err_sys(e, last_err,
					       "KVM_ENABLE_CAP %s with %u bytes per vCPU",
					       cap_name(caps[i]), bytes);
			continue; /* auto: the bitmap will do */
		}
		r->entries = bytes / (uint32_t)sizeof(struct kvm_dirty_gfn);
		r->cap = caps[i];
		return 0;
	}
	if (track == VM_DIRTY_RING) {
		err_set(e, ENOTSUP,
			"--dirty-track ring: this KVM does not offer the dirty ring "
			"(KVM_CAP_DIRTY_LOG_RING, Linux 5.11 and later)");
		err_hint(e, "use --dirty-track bitmap (or auto, the default)");
		return -ENOTSUP;
	}
	return 0;
}

static size_t ring_bytes(const struct vm *vm)
{
	return (size_t)vm->dirty_ring.entries * sizeof(struct kvm_dirty_gfn);
}

int dirty_ring_vcpu_map(struct vcpu *v, struct errinfo *e)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	v->dirty_gfns = NULL;
	v->dirty_fetch = 0;
	if (!v->vm->dirty_ring.entries)
		return 0;
	p = mmap(NULL, ring_bytes(v->vm), PROT_READ | PROT_WRITE, MAP_SHARED, v->fd,
		 (off_t)KVM_DIRTY_LOG_PAGE_OFFSET * page);
	if (p == MAP_FAILED)
		return err_sys(e, errno, "mmap of the dirty ring of vCPU %u (%zu bytes)", v->id,
			       ring_bytes(v->vm));
	v->dirty_gfns = p;
	return 0;
}

void dirty_ring_vcpu_unmap(struct vcpu *v)
{
	if (v->dirty_gfns)
		munmap(v->dirty_gfns, ring_bytes(v->vm));
	v->dirty_gfns = NULL;
}

/* The RAM regions' slots while logging, none (drop everything) otherwise. */
static int slot_map(struct vm *vm, struct dirty_ring_slot *map)
{
	struct vm_dirty_ring *r = &vm->dirty_ring;

	if (!r->logging)
		return 0;
	for (int i = 0; i < vm->mem.nr_regions; i++)
		map[i] = (struct dirty_ring_slot){
			.slot = (uint32_t)vm->mem.slot[i], /* address space 0 */
			.pages = guest_mem_region_pages(&vm->mem.region[i]),
			.bits = r->acc[i],
		};
	return vm->mem.nr_regions;
}

/* Under r->lock: take what @v's ring holds (every vCPU's when @v is NULL), then reset. */
static int harvest_locked(struct vm *vm, struct vcpu *v, struct errinfo *e)
{
	struct vm_dirty_ring *r = &vm->dirty_ring;
	struct dirty_ring_slot map[GUEST_MEM_MAX_REGIONS];
	int nr_map = slot_map(vm, map);
	uint32_t n = 0;

	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *c = &vm->vcpus[i];

		if (c->dirty_gfns && (!v || v == c))
			n += dirty_ring_harvest(c->dirty_gfns, r->entries, &c->dirty_fetch, map,
						nr_map, &r->count);
	}
	/* KVM re-protects the pages handed back: later writes come as new entries */
	if ((n || v) && ioctl(vm->vm_fd, KVM_RESET_DIRTY_RINGS, 0) < 0)
		return err_sys(e, errno, "KVM_RESET_DIRTY_RINGS");
	return 0;
}

int dirty_ring_vcpu_full(struct vcpu *v, struct errinfo *e)
{
	struct vm_dirty_ring *r = &v->vm->dirty_ring;
	int ret;

	if (!v->dirty_gfns)
		return err_set(e, EIO, "vCPU %u: dirty ring full, but no ring is mapped", v->id);
	pthread_mutex_lock(&r->lock);
	ret = harvest_locked(v->vm, v, e);
	pthread_mutex_unlock(&r->lock);
	__atomic_add_fetch(&r->full_exits, 1, __ATOMIC_RELAXED);
	return ret;
}

static int ring_start(void *opaque, struct errinfo *e)
{
	struct vm *vm = opaque;
	struct vm_dirty_ring *r = &vm->dirty_ring;
	int ret = 0;

	if (!r->entries)
		return err_set(e, EINVAL, "this VM has no dirty ring (made without it)");
	pthread_mutex_lock(&r->lock);
	if (r->logging) {
		pthread_mutex_unlock(&r->lock);
		return 0;
	}
	for (int i = 0; i < vm->mem.nr_regions; i++) {
		uint64_t words = (guest_mem_region_pages(&vm->mem.region[i]) + 63) / 64;

		r->acc[i] = calloc(words ? words : 1, sizeof(uint64_t));
		if (!r->acc[i]) {
			ret = err_set(e, ENOMEM, "dirty ring: a bitmap of %llu bytes",
				      (unsigned long long)(words * 8));
			break;
		}
	}
	/* entries from before (none: no slot logged) are dropped here */
	if (!ret)
		ret = harvest_locked(vm, NULL, e);
	if (!ret)
		r->logging = true;
	pthread_mutex_unlock(&r->lock);
	for (int i = 0; !ret && i < vm->mem.nr_regions; i++) {
		ret = dirty_log_slot_flags(vm->vm_fd, &vm->mem, i, KVM_MEM_LOG_DIRTY_PAGES, e);
		if (!ret)
			r->nr_logging = i + 1;
	}
	if (ret) {
		/* undo what was done: the source runs on as before */
		struct dirty_source s = dirty_ring_source(vm);

		r->logging = true;
		s.stop(s.opaque);
	}
	return ret;
}

static int ring_collect(void *opaque, int region, uint64_t *bitmap, struct errinfo *e)
{
	struct vm *vm = opaque;
	struct vm_dirty_ring *r = &vm->dirty_ring;
	uint64_t words = (guest_mem_region_pages(&vm->mem.region[region]) + 63) / 64;
	int ret;

	pthread_mutex_lock(&r->lock);
	if (!r->logging) {
		pthread_mutex_unlock(&r->lock);
		return err_set(e, EINVAL, "dirty ring of region %d read while not logging", region);
	}
	/*
	 * Reset before handing out: a write after this returns makes a new
	 * entry, one before it is in the page the caller reads next.
	 */
	ret = harvest_locked(vm, NULL, e);
	if (!ret) {
		for (uint64_t w = 0; w < words; w++) {
			bitmap[w] |= r->acc[region][w];
			r->acc[region][w] = 0;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

static void ring_stop(void *opaque)
{
	struct vm *vm = opaque;
	struct vm_dirty_ring *r = &vm->dirty_ring;
	struct errinfo ignored = {0};

	if (!r->logging)
		return;
	/* best effort: a slot that keeps logging only costs write faults */
	for (int i = 0; i < r->nr_logging; i++)
		dirty_log_slot_flags(vm->vm_fd, &vm->mem, i, 0, &ignored);
	r->nr_logging = 0;
	pthread_mutex_lock(&r->lock);
	r->logging = false;
	/* no slot logs any more: empty the rings for the next migration */
	harvest_locked(vm, NULL, &ignored);
	for (int i = 0; i < GUEST_MEM_MAX_REGIONS; i++) {
		free(r->acc[i]);
		r->acc[i] = NULL;
	}
	pthread_mutex_unlock(&r->lock);
}

struct dirty_source dirty_ring_source(struct vm *vm)
{
	return (struct dirty_source){ring_start, ring_collect, ring_stop, vm};
}

void dirty_ring_exit(struct vm *vm)
{
	struct vm_dirty_ring *r = &vm->dirty_ring;

	if (!r->lock_init)
		return;
	ring_stop(vm);
	pthread_mutex_destroy(&r->lock);
	r->lock_init = false;
}

const char *dirty_ring_tracker(const struct vm *vm)
{
	return vm->dirty_ring.entries ? "ring" : "bitmap";
}

int dirty_track_parse(const char *s, enum vm_dirty_track *t)
{
	if (!strcmp(s, "auto"))
		*t = VM_DIRTY_AUTO;
	else if (!strcmp(s, "ring"))
		*t = VM_DIRTY_RING;
	else if (!strcmp(s, "bitmap"))
		*t = VM_DIRTY_BITMAP;
	else
		return -EINVAL;
	return 0;
}
