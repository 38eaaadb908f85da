// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dirty tracking without KVM: the bitmap walker on synthetic bitmaps, the
 * device-dirty bitmap of guest memory, and the virtqueue marking exactly
 * what a completed chain wrote.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dirty_log.h"
#include "guest_mem.h"
#include "virtqueue.h"

#define MAX_RUNS 64

/* Every run the walker finds, as (first, count) pairs. */
static unsigned int runs_of(const uint64_t *b, uint64_t nbits, struct page_range *out)
{
	uint64_t pos = 0;
	unsigned int n = 0;
	struct page_range r;

	while (dirty_bitmap_next_run(b, nbits, &pos, &r)) {
		assert_true(n < MAX_RUNS);
		out[n++] = r;
	}
	assert_true(pos == nbits);
	return n;
}

static void set_bit64(uint64_t *b, uint64_t i)
{
	b[i / 64] |= 1ULL << (i % 64);
}

static void walker_empty(void **state)
{
	uint64_t b[4] = {0};
	struct page_range r[MAX_RUNS];

	(void)state;
	assert_int_equal(runs_of(b, 256, r), 0);
	assert_int_equal(runs_of(b, 0, r), 0);
	assert_int_equal(dirty_bitmap_count(b, 256), 0);
}

static void walker_full(void **state)
{
	uint64_t b[4];
	struct page_range r[MAX_RUNS];

	(void)state;
	memset(b, 0xff, sizeof(b));
	assert_int_equal(runs_of(b, 256, r), 1);
	assert_true(r[0].first == 0 && r[0].count == 256);
	assert_int_equal(dirty_bitmap_count(b, 256), 256);
}

static void walker_word_edges(void **state)
{
	uint64_t b[4] = {0};
	struct page_range r[MAX_RUNS];
	const uint64_t bits[] = {0, 63, 64, 127, 128, 255};

	(void)state;
	for (unsigned int i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		set_bit64(b, bits[i]);
	/* 63|64 and 127|128 are adjacent: they join across the word boundary */
	assert_int_equal(runs_of(b, 256, r), 4);
	assert_true(r[0].first == 0 && r[0].count == 1);
	assert_true(r[1].first == 63 && r[1].count == 2);
	assert_true(r[2].first == 127 && r[2].count == 2);
	assert_true(r[3].first == 255 && r[3].count == 1);
	assert_int_equal(dirty_bitmap_count(b, 256), 6);
}

static void walker_single_bits(void **state)
{
	struct page_range r[MAX_RUNS];

	(void)state;
	for (uint64_t i = 0; i < 192; i++) {
		uint64_t b[3] = {0};

		set_bit64(b, i);
		assert_int_equal(runs_of(b, 192, r), 1);
		assert_true(r[0].first == i && r[0].count == 1);
	}
}

static void walker_run_across_words(void **state)
{
	uint64_t b[4] = {0};
	struct page_range r[MAX_RUNS];

	(void)state;
	for (uint64_t i = 60; i < 200; i++) /* words 0..3 */
		set_bit64(b, i);
	set_bit64(b, 202);
	assert_int_equal(runs_of(b, 256, r), 2);
	assert_true(r[0].first == 60 && r[0].count == 140);
	assert_true(r[1].first == 202 && r[1].count == 1);
}

static void walker_last_partial_word(void **state)
{
	uint64_t b[2];
	struct page_range r[MAX_RUNS];

	(void)state;
	/* 100 bits: the 28 bits past the end are set and must be ignored */
	memset(b, 0, sizeof(b));
	b[1] = ~0ULL << 30; /* bits 94..127 */
	assert_int_equal(runs_of(b, 100, r), 1);
	assert_true(r[0].first == 94 && r[0].count == 6);
	assert_int_equal(dirty_bitmap_count(b, 100), 6);
	memset(b, 0xff, sizeof(b));
	assert_int_equal(runs_of(b, 100, r), 1);
	assert_true(r[0].first == 0 && r[0].count == 100);
	/* only past the end: nothing */
	b[0] = 0;
	b[1] = ~0ULL << 36;
	assert_int_equal(runs_of(b, 100, r), 0);
}

static void walker_resumes_at_pos(void **state)
{
	uint64_t b[1] = {0xF0F0ULL}, pos = 6;
	struct page_range r;

	(void)state;
	/* starting inside the run 4..7 gives its tail */
	assert_true(dirty_bitmap_next_run(b, 64, &pos, &r));
	assert_true(r.first == 6 && r.count == 2 && pos == 8);
	assert_true(dirty_bitmap_next_run(b, 64, &pos, &r));
	assert_true(r.first == 12 && r.count == 4);
	assert_false(dirty_bitmap_next_run(b, 64, &pos, &r));
}

/* Guest memory: 64 KiB at 0 and 32 KiB at 4 GiB. */
#define R0_SIZE 0x10000ull
#define R1_GPA 0x100000000ull
#define R1_SIZE 0x8000ull

struct mem_fixture {
	struct guest_mem mem;
	uint8_t *ram0, *ram1;
};

static void mem_setup(struct mem_fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->ram0 = calloc(1, R0_SIZE);
	f->ram1 = calloc(1, R1_SIZE);
	assert_non_null(f->ram0);
	assert_non_null(f->ram1);
	f->mem.region[0] = (struct guest_mem_region){.gpa = 0, .size = R0_SIZE, .hva = f->ram0};
	f->mem.region[1] =
		(struct guest_mem_region){.gpa = R1_GPA, .size = R1_SIZE, .hva = f->ram1};
	f->mem.nr_regions = 2;
	f->mem.memfd = -1;
	f->mem.total = R0_SIZE + R1_SIZE;
}

static void mem_teardown(struct mem_fixture *f)
{
	guest_mem_dirty_free(&f->mem);
	free(f->ram0);
	free(f->ram1);
}

static void device_dirty_marks(void **state)
{
	struct mem_fixture f;
	uint64_t b0[1] = {0}, b1[1] = {0};

	(void)state;
	mem_setup(&f);
	/* off: nothing is recorded (and no bitmap exists) */
	guest_mem_mark_dirty(&f.mem, 0x1000, 1);
	assert_int_equal(guest_mem_dirty_start(&f.mem), 0);
	guest_mem_mark_dirty(&f.mem, 0x1fff, 2); /* pages 1 and 2 */
	guest_mem_mark_dirty(&f.mem, 0xf000, 0x2000); /* page 15, the rest is outside RAM */
	guest_mem_mark_dirty(&f.mem, 0x20000, 8); /* in the hole: nothing */
	guest_mem_mark_dirty_ptr(&f.mem, f.ram1 + 0x7ff0, 16); /* region 1, page 7 */
	assert_int_equal(guest_mem_dirty_take(&f.mem, 0, b0), 3);
	assert_true(b0[0] == ((1ULL << 1) | (1ULL << 2) | (1ULL << 15)));
	assert_int_equal(guest_mem_dirty_take(&f.mem, 1, b1), 1);
	assert_true(b1[0] == 1ULL << 7);
	/* taken means cleared */
	b0[0] = 0;
	assert_int_equal(guest_mem_dirty_take(&f.mem, 0, b0), 0);
	/* stopped: marks are ignored; a new start begins clean */
	guest_mem_dirty_stop(&f.mem);
	guest_mem_mark_dirty(&f.mem, 0x3000, 1);
	assert_int_equal(guest_mem_dirty_start(&f.mem), 0);
	assert_int_equal(guest_mem_dirty_take(&f.mem, 0, b0), 0);
	mem_teardown(&f);
}

/* Devices on the I/O thread and on vCPU threads mark at once: no bit is lost. */
struct marker {
	struct guest_mem *mem;
	unsigned int parity;
};

static void *mark_thread(void *arg)
{
	struct marker *mk = arg;

	for (int round = 0; round < 200; round++)
		for (uint64_t pg = mk->parity; pg < R0_SIZE / 4096; pg += 2)
			guest_mem_mark_dirty(mk->mem, pg * 4096, 1);
	return NULL;
}

static void concurrent_marks(void **state)
{
	struct mem_fixture f;
	struct marker mk[2];
	pthread_t t[2];
	uint64_t b0[1] = {0};
	uint64_t total = 0;

	(void)state;
	mem_setup(&f);
	assert_int_equal(guest_mem_dirty_start(&f.mem), 0);
	for (int i = 0; i < 2; i++) {
		mk[i] = (struct marker){&f.mem, (unsigned int)i};
		assert_int_equal(pthread_create(&t[i], NULL, mark_thread, &mk[i]), 0);
	}
	/* the sender takes while they mark: every page ends up taken at least once */
	for (int i = 0; i < 50; i++)
		total += guest_mem_dirty_take(&f.mem, 0, b0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	total += guest_mem_dirty_take(&f.mem, 0, b0);
	assert_true(b0[0] == 0xffff); /* region 0: 16 pages, one word */
	assert_true(total >= R0_SIZE / 4096);
	mem_teardown(&f);
}

/* A virtqueue in region 0: desc 0x1000, avail 0x2000, used 0x3000. */
#define QSZ 8
#define USED_GPA 0x3000

static void chain_marks_writable_buffers(void **state)
{
	struct mem_fixture f;
	struct vring_desc *d;
	struct vring_avail *av;
	struct virtq vq;
	struct virtq_elem *el = malloc(sizeof(*el));
	uint64_t b0[1] = {0}, b1[1] = {0};

	(void)state;
	assert_non_null(el);
	mem_setup(&f);
	d = (struct vring_desc *)(f.ram0 + 0x1000);
	av = (struct vring_avail *)(f.ram0 + 0x2000);
	/* readable 0x5000+100, writable 0x6800+0x1000 (pages 6, 7), writable in region 1 */
	d[0] = (struct vring_desc){
		.addr = 0x5000, .len = 100, .flags = VRING_DESC_F_NEXT, .next = 1};
	d[1] = (struct vring_desc){.addr = 0x6800,
				   .len = 0x1000,
				   .flags = VRING_DESC_F_NEXT | VRING_DESC_F_WRITE,
				   .next = 2};
	d[2] = (struct vring_desc){.addr = R1_GPA + 0x2010, .len = 16, .flags = VRING_DESC_F_WRITE};
	av->ring[0] = 0;
	av->idx = 1;
	assert_int_equal(virtq_enable(&vq, &f.mem, QSZ, 0x1000, 0x2000, USED_GPA, false, false), 0);
	assert_int_equal(guest_mem_dirty_start(&f.mem), 0);
	assert_int_equal(virtq_pop(&vq, el), 1);
	/* popping writes nothing */
	assert_int_equal(guest_mem_dirty_take(&f.mem, 0, b0), 0);
	virtq_push(&vq, el->head, 0x1010);
	/* the used ring page (entry and idx), the writable buffers: nothing else */
	assert_int_equal(guest_mem_dirty_take(&f.mem, 0, b0), 3);
	assert_true(b0[0] == ((1ULL << 3) | (1ULL << 6) | (1ULL << 7)));
	assert_int_equal(guest_mem_dirty_take(&f.mem, 1, b1), 1);
	assert_true(b1[0] == 1ULL << 2);
	/* a failed chain (length 0) marks only the used ring */
	d[3] = (struct vring_desc){.addr = 0xdead0000, .len = 16, .flags = VRING_DESC_F_WRITE};
	av->ring[1] = 3;
	av->idx = 2;
	b0[0] = b1[0] = 0;
	assert_int_equal(virtq_pop(&vq, el), 0);
	assert_int_equal(guest_mem_dirty_take(&f.mem, 0, b0), 1);
	assert_true(b0[0] == 1ULL << 3);
	assert_int_equal(guest_mem_dirty_take(&f.mem, 1, b1), 0);
	/* no migration: a completion marks nothing */
	guest_mem_dirty_stop(&f.mem);
	av->ring[2] = 0;
	av->idx = 3;
	assert_int_equal(virtq_pop(&vq, el), 1);
	virtq_push(&vq, el->head, 0x1010);
	assert_int_equal(guest_mem_dirty_start(&f.mem), 0);
	b0[0] = 0;
	assert_int_equal(guest_mem_dirty_take(&f.mem, 0, b0), 0);
	free(el);
	mem_teardown(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(walker_empty),
		cmocka_unit_test(walker_full),
		cmocka_unit_test(walker_word_edges),
		cmocka_unit_test(walker_single_bits),
		cmocka_unit_test(walker_run_across_words),
		cmocka_unit_test(walker_last_partial_word),
		cmocka_unit_test(walker_resumes_at_pos),
		cmocka_unit_test(device_dirty_marks),
		cmocka_unit_test(concurrent_marks),
		cmocka_unit_test(chain_marks_writable_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
