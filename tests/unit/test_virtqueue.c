// SPDX-License-Identifier: GPL-2.0-only
/*
 * Split virtqueue on fake guest memory: good chains, every hostile chain
 * we know of, notification suppression and index wrap-around.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "virtqueue.h"

#define QSZ 16
#define RAM0_SIZE 0x40000ull /* gpa 0 .. 256 KiB */
#define RAM1_GPA 0x100000ull /* 1 MiB, after a hole */
#define RAM1_SIZE 0x10000ull
#define BIG_GPA 0x100000000ull /* 4 GiB: address space only, never touched */
#define BIG_SIZE 0xC0000000ull

#define DESC_GPA 0x1000
#define AVAIL_GPA 0x2000
#define USED_GPA 0x3000
#define INDIR_GPA 0x4000
#define DATA_GPA 0x10000

struct fixture {
	struct guest_mem mem;
	uint8_t *ram0, *ram1;
	void *big;
	struct virtq vq;
	struct virtq_elem elem;
	uint16_t avail_idx; /* driver's copy */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->ram0 = calloc(1, RAM0_SIZE);
	f->ram1 = calloc(1, RAM1_SIZE);
	f->big =
		mmap(NULL, BIG_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (!f->ram0 || !f->ram1 || f->big == MAP_FAILED)
		return -1;
	f->mem.region[0] = (struct guest_mem_region){.gpa = 0, .size = RAM0_SIZE, .hva = f->ram0};
	f->mem.region[1] =
		(struct guest_mem_region){.gpa = RAM1_GPA, .size = RAM1_SIZE, .hva = f->ram1};
	f->mem.region[2] =
		(struct guest_mem_region){.gpa = BIG_GPA, .size = BIG_SIZE, .hva = f->big};
	f->mem.nr_regions = 3;
	f->mem.memfd = -1;
	assert_int_equal(
		virtq_enable(&f->vq, &f->mem, QSZ, DESC_GPA, AVAIL_GPA, USED_GPA, false, true), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	munmap(f->big, BIG_SIZE);
	free(f->ram0);
	free(f->ram1);
	free(f);
	return 0;
}

/* Driver side helpers (what a guest driver would write). */
static struct vring_desc *desc(struct fixture *f, unsigned int i)
{
	return (struct vring_desc *)(f->ram0 + DESC_GPA) + i;
}

static struct vring_desc *indir(struct fixture *f, unsigned int i)
{
	return (struct vring_desc *)(f->ram0 + INDIR_GPA) + i;
}

static void set_desc(struct vring_desc *d, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

static struct vring_avail *avail(struct fixture *f)
{
	return (struct vring_avail *)(f->ram0 + AVAIL_GPA);
}

static struct vring_used *used(struct fixture *f)
{
	return (struct vring_used *)(f->ram0 + USED_GPA);
}

static void publish(struct fixture *f, uint16_t head)
{
	avail(f)->ring[f->avail_idx % QSZ] = head;
	f->avail_idx++;
	avail(f)->idx = f->avail_idx;
}

/* Pop expecting a failed (skipped) request: the ring is empty afterwards. */
static void expect_failed_chain(struct fixture *f, enum virtq_fault fault, uint16_t head)
{
	uint16_t before = used(f)->idx;

	assert_int_equal(virtq_pop(&f->vq, &f->elem), 0);
	assert_int_equal(f->vq.fault, fault);
	assert_false(f->vq.broken);
	assert_int_equal(used(f)->idx, (uint16_t)(before + 1));
	assert_int_equal(used(f)->ring[before % QSZ].id, head);
	assert_int_equal(used(f)->ring[before % QSZ].len, 0);
}

/* After a failed request the queue still serves the next good one. */
static void expect_still_works(struct fixture *f)
{
	set_desc(desc(f, 15), DATA_GPA, 8, 0, 0);
	publish(f, 15);
	assert_int_equal(virtq_pop(&f->vq, &f->elem), 1);
	assert_int_equal(f->elem.head, 15);
	assert_int_equal(f->elem.out_num, 1);
}

static void good_chain(void **state)
{
	struct fixture *f = *state;

	set_desc(desc(f, 3), DATA_GPA, 16, VRING_DESC_F_NEXT, 5);
	set_desc(desc(f, 5), DATA_GPA + 0x100, 100, VRING_DESC_F_NEXT, 7);
	set_desc(desc(f, 7), RAM1_GPA + 8, 1, VRING_DESC_F_WRITE, 0);
	publish(f, 3);
	assert_int_equal(virtq_pop(&f->vq, &f->elem), 1);
	assert_int_equal(f->elem.head, 3);
	assert_int_equal(f->elem.out_num, 2);
	assert_int_equal(f->elem.in_num, 1);
	assert_int_equal(f->elem.out_len, 116);
	assert_int_equal(f->elem.in_len, 1);
	assert_ptr_equal(f->elem.out[0].iov_base, f->ram0 + DATA_GPA);
	assert_ptr_equal(f->elem.out[1].iov_base, f->ram0 + DATA_GPA + 0x100);
	assert_int_equal(f->elem.out[1].iov_len, 100);
	assert_ptr_equal(f->elem.in[0].iov_base, f->ram1 + 8);
	/* Empty now. */
	assert_int_equal(virtq_pop(&f->vq, &f->elem), 0);
	virtq_push(&f->vq, 3, 1);
	assert_int_equal(used(f)->idx, 1);
	assert_int_equal(used(f)->ring[0].id, 3);
	assert_int_equal(used(f)->ring[0].len, 1);
	assert_true(virtq_should_notify(&f->vq));
	/* Nothing new pushed: no second interrupt. */
	assert_false(virtq_should_notify(&f->vq));
}

static void empty_ring(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(virtq_pop(&f->vq, &f->elem), 0);
	assert_false(virtq_has_avail(&f->vq));
	assert_false(virtq_should_notify(&f->vq));
}

static void zero_length_buffer_skipped(void **state)
{
	struct fixture *f = *state;

	set_desc(desc(f, 0), DATA_GPA, 0, VRING_DESC_F_NEXT, 1);
	set_desc(desc(f, 1), DATA_GPA, 4, VRING_DESC_F_WRITE, 0);
	publish(f, 0);
	assert_int_equal(virtq_pop(&f->vq, &f->elem), 1);
	assert_int_equal(f->elem.out_num, 0);
	assert_int_equal(f->elem.in_num, 1);
}

static void loop_two(void **state)
{
	struct fixture *f = *state;

	set_desc(desc(f, 0), DATA_GPA, 8, VRING_DESC_F_NEXT, 1);
	set_desc(desc(f, 1), DATA_GPA, 8, VRING_DESC_F_NEXT, 0);
	publish(f, 0);
	expect_failed_chain(f, VIRTQ_LOOP, 0);
	assert_int_equal(f->vq.bad_chains, 1);
	expect_still_works(f);
}

static void loop_self(void **state)
{
	struct fixture *f = *state;

	set_desc(desc(f, 4), DATA_GPA, 8, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 4);
	publish(f, 4);
	expect_failed_chain(f, VIRTQ_LOOP, 4);
	expect_still_works(f);
}

/* A chain using every descriptor once is legal; one more is not. */
static void chain_exactly_queue_size(void **state)
{
	struct fixture *f = *state;

	for (unsigned int i = 0; i < QSZ; i++)
		set_desc(desc(f, i), DATA_GPA + i, 1, i + 1 < QSZ ? VRING_DESC_F_NEXT : 0, i + 1);
	publish(f, 0);
	assert_int_equal(virtq_pop(&f->vq, &f->elem), 1);
	assert_int_equal(f->elem.out_num, QSZ);
	virtq_push(&f->vq, 0, 0);
	/* Now the last one points back at the first: too long. */
	set_desc(desc(f, QSZ - 1), DATA_GPA, 1, VRING_DESC_F_NEXT, 0);
	publish(f, 0);
	expect_failed_chain(f, VIRTQ_LOOP, 0);
}

static void next_out_of_range(void **state)
{
	struct fixture *f = *state;

	set_desc(desc(f, 0), DATA_GPA, 8, VRING_DESC_F_NEXT, QSZ);
	publish(f, 0);
	expect_failed_chain(f, VIRTQ_BAD_NEXT, 0);
	set_desc(desc(f, 0), DATA_GPA, 8, VRING_DESC_F_NEXT, 0xffff);
	publish(f, 0);
	expect_failed_chain(f, VIRTQ_BAD_NEXT, 0);
	expect_still_works(f);
}

static void head_out_of_range_breaks_queue(void **state)
{
	struct fixture *f = *state;

	publish(f, QSZ);
	assert_int_equal(virtq_pop(&f->vq, &f->elem), -EIO);
	assert_true(f->vq.broken);
	assert_int_equal(f->vq.fault, VIRTQ_BAD_HEAD);
	/* Broken stays broken, touches nothing. */
	set_desc(desc(f, 0), DATA_GPA, 8, 0, 0);
	publish(f, 0);
	assert_int_equal(virtq_pop(&f->vq, &f->elem), -EIO);
	virtq_push(&f->vq, 0, 0);
	assert_int_equal(used(f)->idx, 0);
	assert_false(virtq_should_notify(&f->vq));
	/* A reset and re-enable brings it back. */
	virtq_reset(&f->vq);
	assert_int_equal(
		virtq_enable(&f->vq, &f->mem, QSZ, DESC_GPA, AVAIL_GPA, USED_GPA, false, false), 0);
	assert_false(f->vq.broken);
}

static void avail_idx_jump_breaks_queue(void **state)
{
	struct fixture *f = *state;

	avail(f)->idx = QSZ + 1;
	assert_int_equal(virtq_pop(&f->vq, &f->elem), -EIO);
	assert_int_equal(f->vq.fault, VIRTQ_AVAIL_JUMP);
	assert_true(f->vq.broken);
}

static void avail_idx_full_queue_ok(void **state)
{
	struct fixture *f = *state;
	int n = 0;

	for (unsigned int i = 0; i < QSZ; i++) {
		set_desc(desc(f, i), DATA_GPA, 4, 0, 0);
		publish(f, i);
	}
	while (virtq_pop(&f->vq, &f->elem) == 1)
		n++;
	assert_int_equal(n, QSZ);
	assert_false(f->vq.broken);
}

/* The guest moving idx backwards looks like a huge jump. */
static void avail_idx_backwards_breaks_queue(void **state)
{
	struct fixture *f = *state;

	set_desc(desc(f, 0), DATA_GPA, 4, 0, 0);
	publish(f, 0);
	assert_int_equal(virtq_pop(&f->vq, &f->elem), 1);
	avail(f)->idx = 0;
	assert_int_equal(virtq_pop(&f->vq, &f->elem), -EIO);
	assert_int_equal(f->vq.fault, VIRTQ_AVAIL_JUMP);
}

static void buffer_outside_ram(void **state)
{
	struct fixture *f = *state;

	/* Past the end of region 0. */
	set_desc(desc(f, 0), RAM0_SIZE - 4, 8, 0, 0);
	publish(f, 0);
	expect_failed_chain(f, VIRTQ_BAD_BUF_ADDR, 0);
	/* In the hole. */
	set_desc(desc(f, 1), 0x80000, 8, VRING_DESC_F_WRITE, 0);
	publish(f, 1);
	expect_failed_chain(f, VIRTQ_BAD_BUF_ADDR, 1);
	/* Wrapping the 64-bit address space. */
	set_desc(desc(f, 2), UINT64_MAX - 3, 16, 0, 0);
	publish(f, 2);
	expect_failed_chain(f, VIRTQ_BAD_BUF_ADDR, 2);
	/* Spanning the end of region 1. */
	set_desc(desc(f, 3), RAM1_GPA + RAM1_SIZE - 1, 2, VRING_DESC_F_WRITE, 0);
	publish(f, 3);
	expect_failed_chain(f, VIRTQ_BAD_BUF_ADDR, 3);
	/* Good first buffer, bad second one. */
	set_desc(desc(f, 4), DATA_GPA, 8, VRING_DESC_F_NEXT, 5);
	set_desc(desc(f, 5), 0xfffff000ull, 0x2000, VRING_DESC_F_WRITE, 0);
	publish(f, 4);
	expect_failed_chain(f, VIRTQ_BAD_BUF_ADDR, 4);
	assert_int_equal(f->vq.bad_chains, 5);
	expect_still_works(f);
}

static void total_length_over_4g(void **state)
{
	struct fixture *f = *state;

	set_desc(desc(f, 0), BIG_GPA, 0x80000000u, VRING_DESC_F_NEXT, 1);
	set_desc(desc(f, 1), BIG_GPA, 0x80000000u, 0, 0);
	publish(f, 0);
	expect_failed_chain(f, VIRTQ_TOO_LONG, 0);
	/* Split across directions counts too. */
	set_desc(desc(f, 1), BIG_GPA, 0x80000000u, VRING_DESC_F_WRITE, 0);
	publish(f, 0);
	expect_failed_chain(f, VIRTQ_TOO_LONG, 0);
	/* Just under is fine. */
	set_desc(desc(f, 1), BIG_GPA, 0x7fffffffu, VRING_DESC_F_WRITE, 0);
	publish(f, 0);
	assert_int_equal(virtq_pop(&f->vq, &f->elem), 1);
	assert_int_equal(f->elem.in_len, 0x7fffffffu);
}

static void readable_after_writable(void **state)
{
	struct fixture *f = *state;

	set_desc(desc(f, 0), DATA_GPA, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(desc(f, 1), DATA_GPA, 8, 0, 0);
	publish(f, 0);
	expect_failed_chain(f, VIRTQ_READ_AFTER_WRITE, 0);
	expect_still_works(f);
}

static void indirect_good(void **state)
{
	struct fixture *f = *state;

	set_desc(indir(f, 0), DATA_GPA, 16, VRING_DESC_F_NEXT, 2);
	set_desc(indir(f, 2), DATA_GPA + 0x200, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	set_desc(indir(f, 1), DATA_GPA + 0x400, 1, VRING_DESC_F_WRITE, 0);
	/* The WRITE flag on the indirect descriptor itself is ignored. */
	set_desc(desc(f, 6), INDIR_GPA, 3 * 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_WRITE, 0);
	publish(f, 6);
	assert_int_equal(virtq_pop(&f->vq, &f->elem), 1);
	assert_int_equal(f->elem.head, 6);
	assert_int_equal(f->elem.out_num, 1);
	assert_int_equal(f->elem.in_num, 2);
	assert_int_equal(f->elem.in_len, 513);
	assert_ptr_equal(f->elem.in[1].iov_base, f->ram0 + DATA_GPA + 0x400);
}

static void indirect_not_negotiated(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(
		virtq_enable(&f->vq, &f->mem, QSZ, DESC_GPA, AVAIL_GPA, USED_GPA, false, false), 0);
	set_desc(indir(f, 0), DATA_GPA, 16, 0, 0);
	set_desc(desc(f, 0), INDIR_GPA, 16, VRING_DESC_F_INDIRECT, 0);
	publish(f, 0);
	expect_failed_chain(f, VIRTQ_INDIRECT_NOT_NEGOTIATED, 0);
}

static void indirect_nested(void **state)
{
	struct fixture *f = *state;

	set_desc(indir(f, 0), DATA_GPA, 16, VRING_DESC_F_NEXT, 1);
	set_desc(indir(f, 1), INDIR_GPA, 32, VRING_DESC_F_INDIRECT, 0);
	set_desc(desc(f, 0), INDIR_GPA, 32, VRING_DESC_F_INDIRECT, 0);
	publish(f, 0);
	expect_failed_chain(f, VIRTQ_INDIRECT_NESTED, 0);
	expect_still_works(f);
}

static void indirect_malformed(void **state)
{
	struct fixture *f = *state;

	set_desc(indir(f, 0), DATA_GPA, 16, 0, 0);
	/* INDIRECT together with NEXT. */
	set_desc(desc(f, 0), INDIR_GPA, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	set_desc(desc(f, 1), DATA_GPA, 16, 0, 0);
	publish(f, 0);
	expect_failed_chain(f, VIRTQ_INDIRECT_BAD, 0);
	/* Length not a multiple of 16. */
	set_desc(desc(f, 0), INDIR_GPA, 20, VRING_DESC_F_INDIRECT, 0);
	publish(f, 0);
	expect_failed_chain(f, VIRTQ_INDIRECT_BAD, 0);
	/* Empty table. */
	set_desc(desc(f, 0), INDIR_GPA, 0, VRING_DESC_F_INDIRECT, 0);
	publish(f, 0);
	expect_failed_chain(f, VIRTQ_INDIRECT_BAD, 0);
	/* Huge table. */
	set_desc(desc(f, 0), INDIR_GPA, 16 * (VIRTQ_MAX_SEGS + 1), VRING_DESC_F_INDIRECT, 0);
	publish(f, 0);
	expect_failed_chain(f, VIRTQ_INDIRECT_BAD, 0);
	/* Table outside RAM. */
	set_desc(desc(f, 0), RAM0_SIZE - 16, 32, VRING_DESC_F_INDIRECT, 0);
	publish(f, 0);
	expect_failed_chain(f, VIRTQ_BAD_BUF_ADDR, 0);
	/* Indirect after a direct descriptor. */
	set_desc(desc(f, 0), DATA_GPA, 16, VRING_DESC_F_NEXT, 1);
	set_desc(desc(f, 1), INDIR_GPA, 16, VRING_DESC_F_INDIRECT, 0);
	publish(f, 0);
	expect_failed_chain(f, VIRTQ_INDIRECT_NOT_HEAD, 0);
	expect_still_works(f);
}

static void indirect_loop_and_bad_next(void **state)
{
	struct fixture *f = *state;

	set_desc(indir(f, 0), DATA_GPA, 16, VRING_DESC_F_NEXT, 1);
	set_desc(indir(f, 1), DATA_GPA, 16, VRING_DESC_F_NEXT, 0);
	set_desc(desc(f, 0), INDIR_GPA, 32, VRING_DESC_F_INDIRECT, 0);
	publish(f, 0);
	expect_failed_chain(f, VIRTQ_LOOP, 0);
	/* next beyond the indirect table (but inside the main one). */
	set_desc(indir(f, 1), DATA_GPA, 16, VRING_DESC_F_NEXT, 2);
	publish(f, 0);
	expect_failed_chain(f, VIRTQ_BAD_NEXT, 0);
	/* Readable after writable inside the table. */
	set_desc(indir(f, 0), DATA_GPA, 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	set_desc(indir(f, 1), DATA_GPA, 16, 0, 0);
	publish(f, 0);
	expect_failed_chain(f, VIRTQ_READ_AFTER_WRITE, 0);
	/* Buffer outside RAM inside the table. */
	set_desc(indir(f, 0), DATA_GPA, 16, VRING_DESC_F_NEXT, 1);
	set_desc(indir(f, 1), 0x90000, 16, 0, 0);
	publish(f, 0);
	expect_failed_chain(f, VIRTQ_BAD_BUF_ADDR, 0);
}

static void indirect_max_table(void **state)
{
	struct fixture *f = *state;

	for (unsigned int i = 0; i < VIRTQ_MAX_SEGS; i++)
		set_desc(indir(f, i), DATA_GPA + i, 1,
			 i + 1 < VIRTQ_MAX_SEGS ? VRING_DESC_F_NEXT : 0, i + 1);
	set_desc(desc(f, 0), INDIR_GPA, 16 * VIRTQ_MAX_SEGS, VRING_DESC_F_INDIRECT, 0);
	publish(f, 0);
	assert_int_equal(virtq_pop(&f->vq, &f->elem), 1);
	assert_int_equal(f->elem.out_num, VIRTQ_MAX_SEGS);
	assert_int_equal(f->elem.out_len, VIRTQ_MAX_SEGS);
}

static void enable_rejects_bad_rings(void **state)
{
	struct fixture *f = *state;
	struct virtq vq;

	assert_int_equal(virtq_enable(&vq, &f->mem, 0, DESC_GPA, AVAIL_GPA, USED_GPA, 0, 0),
			 -EINVAL);
	assert_int_equal(vq.fault, VIRTQ_BAD_SIZE);
	assert_int_equal(virtq_enable(&vq, &f->mem, 3, DESC_GPA, AVAIL_GPA, USED_GPA, 0, 0),
			 -EINVAL);
	assert_int_equal(
		virtq_enable(&vq, &f->mem, VIRTQ_MAX_SIZE * 2, DESC_GPA, AVAIL_GPA, USED_GPA, 0, 0),
		-EINVAL);
	assert_int_equal(virtq_enable(&vq, &f->mem, QSZ, DESC_GPA + 8, AVAIL_GPA, USED_GPA, 0, 0),
			 -EINVAL);
	assert_int_equal(vq.fault, VIRTQ_BAD_RING_ADDR);
	assert_int_equal(virtq_enable(&vq, &f->mem, QSZ, DESC_GPA, AVAIL_GPA + 1, USED_GPA, 0, 0),
			 -EINVAL);
	assert_int_equal(virtq_enable(&vq, &f->mem, QSZ, DESC_GPA, AVAIL_GPA, USED_GPA + 2, 0, 0),
			 -EINVAL);
	/* Used ring running off the end of RAM. */
	assert_int_equal(virtq_enable(&vq, &f->mem, QSZ, DESC_GPA, AVAIL_GPA, RAM0_SIZE - 64, 0, 0),
			 -EINVAL);
	assert_true(vq.broken);
	assert_int_equal(virtq_pop(&vq, &f->elem), -EIO);
	/* In the hole. */
	assert_int_equal(virtq_enable(&vq, &f->mem, QSZ, 0x80000, AVAIL_GPA, USED_GPA, 0, 0),
			 -EINVAL);
	/* An unready queue is simply empty. */
	virtq_reset(&vq);
	assert_int_equal(virtq_pop(&vq, &f->elem), 0);
}

static void no_interrupt_flag(void **state)
{
	struct fixture *f = *state;

	avail(f)->flags = VRING_AVAIL_F_NO_INTERRUPT;
	set_desc(desc(f, 0), DATA_GPA, 4, 0, 0);
	publish(f, 0);
	assert_int_equal(virtq_pop(&f->vq, &f->elem), 1);
	virtq_push(&f->vq, 0, 0);
	assert_false(virtq_should_notify(&f->vq));
	avail(f)->flags = 0;
	publish(f, 0);
	assert_int_equal(virtq_pop(&f->vq, &f->elem), 1);
	virtq_push(&f->vq, 0, 0);
	assert_true(virtq_should_notify(&f->vq));
}

static void event_idx_suppression(void **state)
{
	struct fixture *f = *state;
	uint16_t *used_event = &avail(f)->ring[QSZ];
	uint16_t *avail_event = (uint16_t *)&used(f)->ring[QSZ];

	assert_int_equal(
		virtq_enable(&f->vq, &f->mem, QSZ, DESC_GPA, AVAIL_GPA, USED_GPA, true, false), 0);
	set_desc(desc(f, 0), DATA_GPA, 4, 0, 0);
	/* Guest wants an interrupt once used idx passes 2 (i.e. after the 3rd). */
	*used_event = 2;
	for (int i = 0; i < 3; i++) {
		publish(f, 0);
		assert_int_equal(virtq_pop(&f->vq, &f->elem), 1);
		virtq_push(&f->vq, 0, 0);
		if (i < 2)
			assert_false(virtq_should_notify(&f->vq));
		else
			assert_true(virtq_should_notify(&f->vq));
	}
	/* NO_INTERRUPT flag is ignored with event idx. */
	avail(f)->flags = VRING_AVAIL_F_NO_INTERRUPT;
	*used_event = 3;
	publish(f, 0);
	assert_int_equal(virtq_pop(&f->vq, &f->elem), 1);
	virtq_push(&f->vq, 0, 0);
	assert_true(virtq_should_notify(&f->vq));

	/* Device side: avail_event tells the guest where to kick. */
	assert_false(virtq_enable_kicks(&f->vq));
	assert_int_equal(*avail_event, 4);
	publish(f, 0);
	assert_true(virtq_enable_kicks(&f->vq));
}

static void no_notify_flag(void **state)
{
	struct fixture *f = *state;

	virtq_disable_kicks(&f->vq);
	assert_int_equal(used(f)->flags & VRING_USED_F_NO_NOTIFY, VRING_USED_F_NO_NOTIFY);
	assert_false(virtq_enable_kicks(&f->vq));
	assert_int_equal(used(f)->flags & VRING_USED_F_NO_NOTIFY, 0);
}

static void index_wraparound(void **state)
{
	struct fixture *f = *state;

	f->avail_idx = 65534;
	avail(f)->idx = 65534;
	f->vq.last_avail = 65534;
	f->vq.used_idx = 65534;
	f->vq.signalled_used = 65534;
	for (unsigned int i = 0; i < 4; i++) {
		set_desc(desc(f, i), DATA_GPA + i, 1, 0, 0);
		publish(f, i);
	}
	for (unsigned int i = 0; i < 4; i++) {
		assert_int_equal(virtq_pop(&f->vq, &f->elem), 1);
		assert_int_equal(f->elem.head, i);
		virtq_push(&f->vq, i, i);
	}
	assert_int_equal(virtq_pop(&f->vq, &f->elem), 0);
	assert_int_equal(used(f)->idx, 2);
	assert_int_equal(used(f)->ring[(65534 + 3) % QSZ].id, 3);
	assert_true(virtq_should_notify(&f->vq));
}

static void batch_commit_and_rollback(void **state)
{
	struct fixture *f = *state;

	set_desc(desc(f, 0), DATA_GPA, 4, VRING_DESC_F_WRITE, 0);
	set_desc(desc(f, 1), DATA_GPA + 4, 4, VRING_DESC_F_WRITE, 0);
	publish(f, 0);
	publish(f, 1);
	/* Rolled back: the same requests come again. */
	virtq_batch_begin(&f->vq);
	assert_int_equal(virtq_pop(&f->vq, &f->elem), 1);
	virtq_fill(&f->vq, 0, 4);
	virtq_batch_rollback(&f->vq);
	assert_int_equal(used(f)->idx, 0);
	virtq_batch_begin(&f->vq);
	assert_int_equal(virtq_pop(&f->vq, &f->elem), 1);
	assert_int_equal(f->elem.head, 0);
	virtq_fill(&f->vq, 0, 4);
	assert_int_equal(virtq_pop(&f->vq, &f->elem), 1);
	virtq_fill(&f->vq, 1, 2);
	/* Not visible until committed, then both at once. */
	assert_int_equal(used(f)->idx, 0);
	virtq_batch_commit(&f->vq);
	assert_int_equal(used(f)->idx, 2);
	assert_int_equal(used(f)->ring[0].id, 0);
	assert_int_equal(used(f)->ring[1].id, 1);
	assert_int_equal(used(f)->ring[1].len, 2);
}

/* A bad chain met inside a batch is completed with the batch, or not at all. */
static void bad_chain_inside_batch(void **state)
{
	struct fixture *f = *state;

	set_desc(desc(f, 0), DATA_GPA, 4, VRING_DESC_F_WRITE, 0);
	set_desc(desc(f, 1), DATA_GPA, 4, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1); /* loop */
	publish(f, 0);
	publish(f, 1);
	virtq_batch_begin(&f->vq);
	assert_int_equal(virtq_pop(&f->vq, &f->elem), 1);
	assert_int_equal(virtq_pop(&f->vq, &f->elem), 0); /* the loop was skipped */
	assert_int_equal(used(f)->idx, 0);
	virtq_batch_rollback(&f->vq);
	/* Again, committed this time: in completion order, the failed one once. */
	virtq_batch_begin(&f->vq);
	assert_int_equal(virtq_pop(&f->vq, &f->elem), 1);
	virtq_fill(&f->vq, 0, 4);
	assert_int_equal(virtq_pop(&f->vq, &f->elem), 0);
	virtq_batch_commit(&f->vq);
	assert_int_equal(used(f)->idx, 2);
	assert_int_equal(used(f)->ring[0].id, 0);
	assert_int_equal(used(f)->ring[0].len, 4);
	assert_int_equal(used(f)->ring[1].id, 1);
	assert_int_equal(used(f)->ring[1].len, 0);
	/* Detected in both attempts, completed once. */
	assert_int_equal(f->vq.bad_chains, 2);
}

static void iov_copy(void **state)
{
	uint8_t a[3], b[5], out[8];
	struct iovec iov[2] = {{a, sizeof(a)}, {b, sizeof(b)}};
	const uint8_t src[8] = {1, 2, 3, 4, 5, 6, 7, 8};

	(void)state;
	assert_int_equal(virtq_iov_from_buf(iov, 2, 0, src, 8), 8);
	assert_int_equal(a[2], 3);
	assert_int_equal(b[0], 4);
	memset(out, 0, sizeof(out));
	assert_int_equal(virtq_iov_to_buf(iov, 2, 2, out, 8), 6);
	assert_memory_equal(out, src + 2, 6);
	assert_int_equal(virtq_iov_from_buf(iov, 2, 4, src, 2), 2);
	assert_int_equal(b[1], 1);
	assert_int_equal(b[2], 2);
	assert_int_equal(virtq_iov_to_buf(iov, 2, 9, out, 8), 0);
	assert_string_equal(virtq_fault_str(VIRTQ_LOOP),
			    "descriptor chain loops or is longer than its table");
	assert_string_equal(virtq_fault_str((enum virtq_fault)999), "unknown fault");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(good_chain),
		T(empty_ring),
		T(zero_length_buffer_skipped),
		T(loop_two),
		T(loop_self),
		T(chain_exactly_queue_size),
		T(next_out_of_range),
		T(head_out_of_range_breaks_queue),
		T(avail_idx_jump_breaks_queue),
		T(avail_idx_full_queue_ok),
		T(avail_idx_backwards_breaks_queue),
		T(buffer_outside_ram),
		T(total_length_over_4g),
		T(readable_after_writable),
		T(indirect_good),
		T(indirect_not_negotiated),
		T(indirect_nested),
		T(indirect_malformed),
		T(indirect_loop_and_bad_next),
		T(indirect_max_table),
		T(enable_rejects_bad_rings),
		T(no_interrupt_flag),
		T(event_idx_suppression),
		T(no_notify_flag),
		T(index_wraparound),
		T(batch_commit_and_rollback),
		T(bad_chain_inside_batch),
		cmocka_unit_test(iov_copy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
