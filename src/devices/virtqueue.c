// SPDX-License-Identifier: GPL-2.0-only
/*
 * Split virtqueue, device side.  See virtqueue.h for the fault policy.
 *
 * The guest may rewrite any ring entry while we look at it, so each
 * descriptor is copied once (desc_read) and only the copy is checked and
 * used: a value is never checked in guest memory and then read again.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "virtqueue.h"

static const char *const fault_names[] = {
	[VIRTQ_OK] = "no fault",
	[VIRTQ_BAD_RING_ADDR] = "ring address outside guest RAM or misaligned",
	[VIRTQ_BAD_SIZE] = "queue size zero, too large or not a power of 2",
	[VIRTQ_AVAIL_JUMP] = "available index moved more than a queue size",
	[VIRTQ_BAD_HEAD] = "available ring names a descriptor beyond the queue",
	[VIRTQ_BAD_NEXT] = "descriptor next index beyond the table",
	[VIRTQ_LOOP] = "descriptor chain loops or is longer than its table",
	[VIRTQ_TOO_MANY_SEGS] = "too many buffers in one request",
	[VIRTQ_BAD_BUF_ADDR] = "buffer outside guest RAM",
	[VIRTQ_TOO_LONG] = "request longer than 4 GiB",
	[VIRTQ_READ_AFTER_WRITE] = "device-readable buffer after a device-writable one",
	[VIRTQ_INDIRECT_NOT_NEGOTIATED] = "indirect descriptor without INDIRECT_DESC",
	[VIRTQ_INDIRECT_NESTED] = "indirect descriptor inside an indirect table",
	[VIRTQ_INDIRECT_BAD] = "indirect descriptor with NEXT or a bad table length",
	[VIRTQ_INDIRECT_NOT_HEAD] = "indirect descriptor not at the head of the chain",
};

const char *virtq_fault_str(enum virtq_fault f)
{
	if ((unsigned int)f < sizeof(fault_names) / sizeof(fault_names[0]) && fault_names[f])
		return fault_names[f];
	return "unknown fault";
}

static uint16_t load16(const void *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED));
}

static uint16_t load16_acquire(const void *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE));
}

static void store16(void *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, htole16(v), __ATOMIC_RELAXED);
}

static void store16_release(void *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, htole16(v), __ATOMIC_RELEASE);
}

static void store32(void *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)p, htole32(v), __ATOMIC_RELAXED);
}

/* Single read of each field: the checks below then see what we use. */
static struct vring_desc desc_read(const struct vring_desc *p)
{
	struct vring_desc d;

	d.addr = le64toh(__atomic_load_n(&p->addr, __ATOMIC_RELAXED));
	d.len = le32toh(__atomic_load_n(&p->len, __ATOMIC_RELAXED));
	d.flags = le16toh(__atomic_load_n(&p->flags, __ATOMIC_RELAXED));
	d.next = le16toh(__atomic_load_n(&p->next, __ATOMIC_RELAXED));
	return d;
}

#ifdef __SANITIZE_THREAD__
/*
 * GCC's ThreadSanitizer does not instrument __atomic_thread_fence (-Wtsan) and
 * GCC ships no <sanitizer/tsan_interface_atomic.h>: this is libtsan's own entry
 * point, the call clang emits for a fence.  It is a real full barrier; TSan
 * draws no happens-before from it, which costs nothing here because every ring
 * access on either side of it is itself an atomic load or store.
 */
void __tsan_atomic_thread_fence(int mo);
#endif

/*
 * Full barrier between our ring stores and our following ring loads; the guest
 * does the mirror image (virtio's NO_INTERRUPT / event-idx handshake).
 */
static void ring_mb(void)
{
#ifdef __SANITIZE_THREAD__
	__tsan_atomic_thread_fence(__ATOMIC_SEQ_CST);
#else
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

static uint16_t *avail_used_event(struct virtq *vq)
{
	return &vq->avail->ring[vq->size];
}

static uint16_t *used_avail_event(struct virtq *vq)
{
	return (uint16_t *)&vq->used->ring[vq->size];
}

static int set_broken(struct virtq *vq, enum virtq_fault f)
{
	vq->broken = true;
	vq->fault = f;
	return -EIO;
}

void virtq_reset(struct virtq *vq)
{
	memset(vq, 0, sizeof(*vq));
}

int virtq_enable(struct virtq *vq, const struct guest_mem *mem, uint16_t size, uint64_t desc_gpa,
		 uint64_t avail_gpa, uint64_t used_gpa, bool event_idx, bool indirect)
{
	virtq_reset(vq);
	vq->mem = mem;
	vq->event_idx = event_idx;
	vq->indirect = indirect;
	if (size == 0 || size > VIRTQ_MAX_SIZE || (size & (size - 1))) {
		set_broken(vq, VIRTQ_BAD_SIZE);
		return -EINVAL;
	}
	vq->size = size;
	/* Alignments from the spec (2.7 table): 16, 2, 4. */
	if ((desc_gpa & 15) || (avail_gpa & 1) || (used_gpa & 3))
		goto bad_addr;
	/* Sizes include used_event / avail_event, present or not. */
	vq->desc = guest_mem_ptr(mem, desc_gpa, 16ull * size);
	vq->avail = guest_mem_ptr(mem, avail_gpa, 6ull + 2ull * size);
	vq->used = guest_mem_ptr(mem, used_gpa, 6ull + 8ull * size);
	if (!vq->desc || !vq->avail || !vq->used)
		goto bad_addr;
	vq->used_gpa = used_gpa;
	vq->signalled_valid = true;
	vq->ready = true;
	return 0;

bad_addr:
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	set_broken(vq, VIRTQ_BAD_RING_ADDR);
	return -EINVAL;
}

/* Append one buffer of a chain to the request. */
static enum virtq_fault add_buf(struct virtq *vq, struct virtq_elem *e, const struct vring_desc *d)
{
	bool write = d->flags & VRING_DESC_F_WRITE;
	uint32_t *total = write ? &e->in_len : &e->out_len;
	unsigned int *num = write ? &e->in_num : &e->out_num;
	struct iovec *iov = write ? e->in : e->out;
	void *p;

	/* The spec puts every device-readable buffer first. */
	if (!write && e->in_num)
		return VIRTQ_READ_AFTER_WRITE;
	if (d->len == 0)
		return VIRTQ_OK;
	if (*num >= VIRTQ_MAX_SEGS)
		return VIRTQ_TOO_MANY_SEGS;
	if ((uint64_t)*total + d->len + (write ? e->out_len : e->in_len) > UINT32_MAX)
		return VIRTQ_TOO_LONG;
	p = guest_mem_ptr(vq->mem, d->addr, d->len);
	if (!p)
		return VIRTQ_BAD_BUF_ADDR;
	iov[*num].iov_base = p;
	iov[*num].iov_len = d->len;
	(*num)++;
	*total += d->len;
	return VIRTQ_OK;
}

/*
 * Walk the chain at @head.  Every step is bounded: at most one table's
 * worth of descriptors per table, and at most one indirect table.
 */
static enum virtq_fault walk_chain(struct virtq *vq, uint16_t head, struct virtq_elem *e)
{
	const struct vring_desc *table = vq->desc;
	unsigned int tsize = vq->size;
	unsigned int count = 0;
	bool in_indirect = false;
	uint16_t i = head;
	enum virtq_fault f;

	e->head = head;
	e->out_num = e->in_num = 0;
	e->out_len = e->in_len = 0;
	for (;;) {
		struct vring_desc d = desc_read(&table[i]);

		if (++count > tsize)
			return VIRTQ_LOOP;
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (!vq->indirect)
				return VIRTQ_INDIRECT_NOT_NEGOTIATED;
			if (in_indirect)
				return VIRTQ_INDIRECT_NESTED;
			if (count != 1)
				return VIRTQ_INDIRECT_NOT_HEAD;
			if ((d.flags & VRING_DESC_F_NEXT) || d.len == 0 ||
			    d.len % sizeof(struct vring_desc) ||
			    d.len / sizeof(struct vring_desc) > VIRTQ_MAX_SEGS)
				return VIRTQ_INDIRECT_BAD;
			table = guest_mem_ptr(vq->mem, d.addr, d.len);
			if (!table || (d.addr & 15))
				return VIRTQ_BAD_BUF_ADDR;
			tsize = d.len / sizeof(struct vring_desc);
			in_indirect = true;
			count = 0;
			i = 0;
			continue;
		}
		f = add_buf(vq, e, &d);
		if (f != VIRTQ_OK)
			return f;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return VIRTQ_OK;
		if (d.next >= tsize)
			return VIRTQ_BAD_NEXT;
		i = d.next;
	}
}

bool virtq_has_avail(struct virtq *vq)
{
	if (!vq->ready || vq->broken)
		return false;
	return load16_acquire(&vq->avail->idx) != vq->last_avail;
}

int virtq_pop(struct virtq *vq, struct virtq_elem *elem)
{
	for (;;) {
		uint16_t avail_idx, head;
		enum virtq_fault f;

		if (vq->broken)
			return -EIO;
		if (!vq->ready)
			return 0;
		/* Acquire: ring entries are read after the index that covers them. */
		avail_idx = load16_acquire(&vq->avail->idx);
		if ((uint16_t)(avail_idx - vq->last_avail) > vq->size)
			return set_broken(vq, VIRTQ_AVAIL_JUMP);
		if (avail_idx == vq->last_avail)
			return 0;
		head = load16(&vq->avail->ring[vq->last_avail % vq->size]);
		if (head >= vq->size)
			return set_broken(vq, VIRTQ_BAD_HEAD);
		vq->last_avail++;
		f = walk_chain(vq, head, elem);
		if (f == VIRTQ_OK)
			return 1;
		/* Fail only this request: give the buffers back untouched. */
		vq->fault = f;
		vq->bad_chains++;
		virtq_push(vq, head, 0);
	}
}

/*
 * Migration: KVM's dirty log does not see what vfvm itself writes into
 * guest memory, so every such write is marked in the device-dirty bitmap
 * (guest_mem_mark_dirty(), one untaken branch when no migration runs),
 * after the write.  The writes of this file all touch the used ring: mark
 * the bytes at @off in it.
 */
static void mark_used(struct virtq *vq, uint64_t off, uint64_t len)
{
	guest_mem_mark_dirty(vq->mem, vq->used_gpa + off, len);
}

/*
 * The device wrote into the writable buffers of chain @head (before
 * completing it): walk the chain again and mark them all.  The walk sees
 * the descriptors as they are now; a guest that rewrote the descriptors of
 * a request in flight broke the virtio contract and gets what it asked for.
 */
static void mark_chain_written(struct virtq *vq, uint16_t head)
{
	struct virtq_elem e;

	if (!guest_mem_dirty_tracking(vq->mem) || head >= vq->size)
		return;
	walk_chain(vq, head, &e); /* on a fault, e holds the buffers up to it */
	for (unsigned int i = 0; i < e.in_num; i++)
		guest_mem_mark_dirty_ptr(vq->mem, e.in[i].iov_base, e.in[i].iov_len);
}

/* The single place where used elements are written (virtq_push() included). */
void virtq_fill(struct virtq *vq, uint16_t head, uint32_t len)
{
	struct vring_used_elem *u;
	uint16_t slot;

	if (!vq->ready || vq->broken)
		return;
	slot = (uint16_t)(vq->used_idx + vq->pending) % vq->size;
	u = &vq->used->ring[slot];
	store32(&u->id, head);
	store32(&u->len, len);
	vq->pending++;
	if (len)
		mark_chain_written(vq, head);
	mark_used(vq, offsetof(struct vring_used, ring) + slot * sizeof(*u), sizeof(*u));
}

static void publish(struct virtq *vq)
{
	if (!vq->ready || vq->broken)
		return;
	vq->used_idx += vq->pending;
	vq->pending = 0;
	/* Release: the guest sees the entries before the index. */
	store16_release(&vq->used->idx, vq->used_idx);
	mark_used(vq, offsetof(struct vring_used, idx), sizeof(vq->used->idx));
}

void virtq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
	virtq_fill(vq, head, len);
	if (!vq->batch)
		publish(vq);
}

void virtq_batch_begin(struct virtq *vq)
{
	vq->batch = true;
	vq->batch_avail = vq->last_avail;
}

void virtq_batch_commit(struct virtq *vq)
{
	vq->batch = false;
	publish(vq);
}

void virtq_batch_rollback(struct virtq *vq)
{
	vq->batch = false;
	vq->pending = 0;
	vq->last_avail = vq->batch_avail;
}

bool virtq_should_notify(struct virtq *vq)
{
	uint16_t old, new;
	bool valid;

	if (!vq->ready || vq->broken)
		return false;
	/* Our used->idx store must be visible before we read the guest's wish. */
	ring_mb();
	old = vq->signalled_used;
	new = vq->used_idx;
	valid = vq->signalled_valid;
	vq->signalled_used = new;
	vq->signalled_valid = true;
	if (valid && old == new)
		return false;
	if (!vq->event_idx)
		return !(load16(&vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
	return !valid || vring_need_event(load16(avail_used_event(vq)), new, old);
}

bool virtq_enable_kicks_at(struct virtq *vq, uint16_t avail_idx)
{
	if (!vq->ready || vq->broken)
		return false;
	if (vq->event_idx) {
		store16(used_avail_event(vq), avail_idx);
		mark_used(vq, (uint64_t)((uint8_t *)used_avail_event(vq) - (uint8_t *)vq->used), 2);
	} else {
		store16(&vq->used->flags, load16(&vq->used->flags) & ~VRING_USED_F_NO_NOTIFY);
		mark_used(vq, offsetof(struct vring_used, flags), 2);
	}
	/* The guest reads our flag after writing idx; we read idx after writing the flag. */
	ring_mb();
	return load16_acquire(&vq->avail->idx) != avail_idx;
}

bool virtq_enable_kicks(struct virtq *vq)
{
	return virtq_enable_kicks_at(vq, vq->last_avail);
}

uint16_t virtq_avail_idx(struct virtq *vq)
{
	if (!vq->ready || vq->broken)
		return vq->last_avail;
	return load16_acquire(&vq->avail->idx);
}

void virtq_disable_kicks(struct virtq *vq)
{
	if (!vq->ready || vq->broken || vq->event_idx)
		return;
	store16(&vq->used->flags, load16(&vq->used->flags) | VRING_USED_F_NO_NOTIFY);
	mark_used(vq, offsetof(struct vring_used, flags), 2);
}

/* Copy between a buffer and the iovec bytes from @off on; @to_buf says which way. */
static size_t iov_copy(const struct iovec *iov, unsigned int n, size_t off, char *buf, size_t len,
		       bool to_buf)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		char *base = iov[i].iov_base;
		size_t chunk;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		chunk = iov[i].iov_len - off;
		if (chunk > len - done)
			chunk = len - done;
		if (to_buf)
			memcpy(buf + done, base + off, chunk);
		else
			memcpy(base + off, buf + done, chunk);
		done += chunk;
		off = 0;
	}
	return done;
}

size_t virtq_iov_to_buf(const struct iovec *iov, unsigned int n, size_t off, void *buf, size_t len)
{
	return iov_copy(iov, n, off, buf, len, true);
}

size_t virtq_iov_from_buf(const struct iovec *iov, unsigned int n, size_t off, const void *buf,
			  size_t len)
{
	/* only read through buf: the cast keeps one copy loop for both ways */
	return iov_copy(iov, n, off, (char *)(uintptr_t)buf, len, false);
}

/* Layout: u8 ready | u8 broken | u8 fault | u16 last_avail | u16 used_idx |
 * u16 signalled_used | u8 signalled_valid | u64 bad_chains */
void virtq_save(const struct virtq *vq, struct snap_out *o)
{
	snap_put_u8(o, vq->ready);
	snap_put_u8(o, vq->broken);
	snap_put_u8(o, (uint8_t)vq->fault);
	snap_put_u16(o, vq->last_avail);
	snap_put_u16(o, vq->used_idx);
	snap_put_u16(o, vq->signalled_used);
	snap_put_u8(o, vq->signalled_valid);
	snap_put_u64(o, vq->bad_chains);
}

int virtq_load(struct virtq *vq, struct snap_sec *s, const struct virtq_ring *ring,
	       const char *what, const char *dev, unsigned int q, struct errinfo *e)
{
	uint8_t ready = snap_get_u8(s), broken = snap_get_u8(s), fault = snap_get_u8(s);
	uint16_t last_avail = snap_get_u16(s), used_idx = snap_get_u16(s);
	uint16_t signalled_used = snap_get_u16(s);
	uint8_t signalled_valid = snap_get_u8(s);
	uint64_t bad_chains = snap_get_u64(s);

	virtq_reset(vq);
	if (s->bad)
		return snap_bad(s, what, e, "%s queue %u: ring state truncated", dev, q);
	if (ready > 1 || broken > 1 || signalled_valid > 1 || fault > VIRTQ_INDIRECT_NOT_HEAD)
		return snap_bad(s, what, e, "%s queue %u: ring state flags out of range", dev, q);
	vq->fault = (enum virtq_fault)fault;
	vq->bad_chains = bad_chains;
	if (broken) {
		/* never touched again until the driver resets the device */
		vq->broken = true;
		return 0;
	}
	if (!ready)
		return 0;
	if (virtq_enable(vq, ring->mem, ring->size, ring->desc, ring->avail, ring->used,
			 ring->event_idx, ring->indirect) < 0)
		return snap_bad(s, what, e,
				"%s queue %u: %s (size %u, desc 0x%llx, avail 0x%llx, used 0x%llx)",
				dev, q, virtq_fault_str(vq->fault), ring->size,
				(unsigned long long)ring->desc, (unsigned long long)ring->avail,
				(unsigned long long)ring->used);
	/* every popped request is completed before a save (no batch, nothing in flight) */
	if ((uint16_t)(last_avail - used_idx) > vq->size)
		return snap_bad(s, what, e,
				"%s queue %u: last_avail %u and used_idx %u are more than the "
				"queue size %u apart",
				dev, q, last_avail, used_idx, vq->size);
	vq->last_avail = last_avail;
	vq->used_idx = used_idx;
	vq->signalled_used = signalled_used;
	vq->signalled_valid = signalled_valid;
	vq->fault = (enum virtq_fault)fault;
	vq->bad_chains = bad_chains;
	return 0;
}
