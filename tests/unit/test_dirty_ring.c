// SPDX-License-Identifier: GPL-2.0-only
/*
 * The dirty ring's harvest without KVM: synthetic rings of struct
 * kvm_dirty_gfn as KVM lays them out, fed to dirty_ring_harvest(): bits
 * set where the entries say, entries handed back, the fetch index moving
 * on across the ring's end, and bad entries (unknown slot, offset past
 * the slot, another address space) rejected without a write outside the
 * bitmap.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dirty_ring.h"

#define NR 16 /* entries per synthetic ring */
#define PAGES0 200 /* pages of slot 3 (region 0): not a multiple of 64 */
#define PAGES1 64 /* pages of slot 7 (region 1) */
#define WORDS0 ((PAGES0 + 63) / 64)
#define CANARY 0xa5a5a5a5a5a5a5a5ULL

struct fixture {
	struct kvm_dirty_gfn ring[NR];
	/* each bitmap has a canary word after it: nothing may write there */
	uint64_t bits0[WORDS0 + 1];
	uint64_t bits1[1 + 1];
	struct dirty_ring_slot map[2];
	struct dirty_ring_count count;
	uint32_t fetch;
};

static void setup_fx(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->bits0[WORDS0] = CANARY;
	f->bits1[1] = CANARY;
	f->map[0] = (struct dirty_ring_slot){.slot = 3, .pages = PAGES0, .bits = f->bits0};
	f->map[1] = (struct dirty_ring_slot){.slot = 7, .pages = PAGES1, .bits = f->bits1};
}

/* What KVM does when a vCPU dirties a page: entry @idx (mod NR) filled, DIRTY set. */
static void push(struct fixture *f, uint32_t idx, uint32_t slot, uint64_t offset)
{
	struct kvm_dirty_gfn *g = &f->ring[idx % NR];

	g->slot = slot;
	g->offset = offset;
	g->flags = KVM_DIRTY_GFN_F_DIRTY;
}

static int bit(const uint64_t *b, uint64_t i)
{
	return (int)((b[i / 64] >> (i % 64)) & 1);
}

static unsigned int popcount(const uint64_t *b, unsigned int words)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < words; i++)
		n += (unsigned int)__builtin_popcountll(b[i]);
	return n;
}

static void harvests_and_hands_back(void **state)
{
	struct fixture f;

	(void)state;
	setup_fx(&f);
	push(&f, 0, 3, 0);
	push(&f, 1, 3, 199); /* the last page of slot 3 */
	push(&f, 2, 7, 63);
	push(&f, 3, 3, 64);
	push(&f, 4, 3, 0); /* the same page again: one bit */
	assert_int_equal(dirty_ring_harvest(f.ring, NR, &f.fetch, f.map, 2, &f.count), 5);
	assert_int_equal(f.fetch, 5);
	assert_true(bit(f.bits0, 0) && bit(f.bits0, 199) && bit(f.bits0, 64));
	assert_int_equal(popcount(f.bits0, WORDS0), 3);
	assert_true(bit(f.bits1, 63));
	assert_int_equal(popcount(f.bits1, 1), 1);
	for (int i = 0; i < 5; i++)
		assert_int_equal(f.ring[i].flags, KVM_DIRTY_GFN_F_RESET);
	assert_int_equal(f.ring[5].flags, 0); /* stopped at the first entry not dirty */
	assert_int_equal(f.count.harvested, 5);
	assert_int_equal(f.count.rejected, 0);
	assert_int_equal(f.bits0[WORDS0], CANARY);
	assert_int_equal(f.bits1[1], CANARY);

	/* nothing new: nothing taken, the index stays */
	assert_int_equal(dirty_ring_harvest(f.ring, NR, &f.fetch, f.map, 2, &f.count), 0);
	assert_int_equal(f.fetch, 5);
}

static void entries_handed_back_not_yet_reset_stop_the_harvest(void **state)
{
	struct fixture f;

	(void)state;
	setup_fx(&f);
	/* harvested before, KVM has not reset it yet: not ours again */
	f.ring[0] = (struct kvm_dirty_gfn){.flags = KVM_DIRTY_GFN_F_RESET, .slot = 3, .offset = 9};
	push(&f, 1, 3, 10);
	assert_int_equal(dirty_ring_harvest(f.ring, NR, &f.fetch, f.map, 2, &f.count), 0);
	assert_int_equal(f.fetch, 0);
	assert_int_equal(popcount(f.bits0, WORDS0), 0);
}

static void wraps_around_the_ring_end(void **state)
{
	struct fixture f;

	(void)state;
	setup_fx(&f);
	f.fetch = NR - 2; /* the previous harvests stopped two before the end */
	push(&f, NR - 2, 3, 1);
	push(&f, NR - 1, 3, 2);
	push(&f, NR, 3, 3); /* index 0 again */
	push(&f, NR + 1, 7, 4);
	assert_int_equal(dirty_ring_harvest(f.ring, NR, &f.fetch, f.map, 2, &f.count), 4);
	assert_int_equal(f.fetch, NR + 2);
	assert_true(bit(f.bits0, 1) && bit(f.bits0, 2) && bit(f.bits0, 3) && bit(f.bits1, 4));
	assert_int_equal(f.ring[0].flags, KVM_DIRTY_GFN_F_RESET);
	assert_int_equal(f.ring[1].flags, KVM_DIRTY_GFN_F_RESET);
	assert_int_equal(f.ring[2].flags, 0);
}

static void wraps_around_the_index_type(void **state)
{
	struct fixture f;

	(void)state;
	setup_fx(&f);
	/* a VM that ran long: the free-running u32 index overflows */
	f.fetch = UINT32_MAX;
	push(&f, UINT32_MAX % NR, 3, 5);
	push(&f, 0, 3, 6);
	assert_int_equal(dirty_ring_harvest(f.ring, NR, &f.fetch, f.map, 2, &f.count), 2);
	assert_int_equal(f.fetch, 1);
	assert_true(bit(f.bits0, 5) && bit(f.bits0, 6));
}

static void a_full_ring_is_taken_whole(void **state)
{
	struct fixture f;

	(void)state;
	setup_fx(&f);
	f.fetch = 7;
	for (uint32_t i = 0; i < NR; i++)
		push(&f, 7 + i, 3, 100 + i);
	assert_int_equal(dirty_ring_harvest(f.ring, NR, &f.fetch, f.map, 2, &f.count), NR);
	assert_int_equal(f.fetch, 7 + NR);
	assert_int_equal(popcount(f.bits0, WORDS0), NR);
	for (uint32_t i = 0; i < NR; i++) {
		assert_true(bit(f.bits0, 100 + i));
		assert_int_equal(f.ring[i].flags, KVM_DIRTY_GFN_F_RESET);
	}
	assert_int_equal(f.bits0[WORDS0], CANARY);
}

static void bad_entries_are_rejected_and_handed_back(void **state)
{
	struct fixture f;

	(void)state;
	setup_fx(&f);
	push(&f, 0, 5, 0); /* a slot nobody asked about */
	push(&f, 1, 3, PAGES0); /* one past slot 3's end: would be in the canary word */
	push(&f, 2, 7, PAGES1); /* one past slot 7's end: the canary word */
	push(&f, 3, 3, 1ULL << 40); /* far out */
	push(&f, 4, (1u << 16) | 3, 1); /* slot 3 of address space 1 (SMM) */
	push(&f, 5, 3, 17); /* a good one after them is still taken */
	assert_int_equal(dirty_ring_harvest(f.ring, NR, &f.fetch, f.map, 2, &f.count), 6);
	assert_int_equal(f.fetch, 6);
	assert_int_equal(f.count.rejected, 5);
	assert_int_equal(f.count.harvested, 6);
	assert_int_equal(popcount(f.bits0, WORDS0), 1);
	assert_true(bit(f.bits0, 17));
	assert_int_equal(popcount(f.bits1, 1), 0);
	assert_int_equal(f.bits0[WORDS0], CANARY);
	assert_int_equal(f.bits1[1], CANARY);
	/* handed back all the same, or KVM's ring would stay full */
	for (int i = 0; i < 6; i++)
		assert_int_equal(f.ring[i].flags, KVM_DIRTY_GFN_F_RESET);
}

static void without_a_map_everything_is_dropped(void **state)
{
	struct fixture f;

	(void)state;
	setup_fx(&f);
	push(&f, 0, 3, 1);
	push(&f, 1, 9, 2);
	assert_int_equal(dirty_ring_harvest(f.ring, NR, &f.fetch, NULL, 0, &f.count), 2);
	assert_int_equal(f.fetch, 2);
	assert_int_equal(f.count.rejected, 0); /* tracking stopped: not an error */
	assert_int_equal(popcount(f.bits0, WORDS0), 0);
	assert_int_equal(f.ring[0].flags, KVM_DIRTY_GFN_F_RESET);
	assert_int_equal(f.ring[1].flags, KVM_DIRTY_GFN_F_RESET);
}

static void dirty_track_words(void **state)
{
	enum vm_dirty_track t = VM_DIRTY_BITMAP;

	(void)state;
	assert_int_equal(dirty_track_parse("auto", &t), 0);
	assert_int_equal(t, VM_DIRTY_AUTO);
	assert_int_equal(dirty_track_parse("ring", &t), 0);
	assert_int_equal(t, VM_DIRTY_RING);
	assert_int_equal(dirty_track_parse("bitmap", &t), 0);
	assert_int_equal(t, VM_DIRTY_BITMAP);
	assert_int_equal(dirty_track_parse("Ring", &t), -EINVAL);
	assert_int_equal(dirty_track_parse("", &t), -EINVAL);
	assert_int_equal(t, VM_DIRTY_BITMAP); /* unchanged by a refusal */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(harvests_and_hands_back),
		cmocka_unit_test(entries_handed_back_not_yet_reset_stop_the_harvest),
		cmocka_unit_test(wraps_around_the_ring_end),
		cmocka_unit_test(wraps_around_the_index_type),
		cmocka_unit_test(a_full_ring_is_taken_whole),
		cmocka_unit_test(bad_entries_are_rejected_and_handed_back),
		cmocka_unit_test(without_a_map_everything_is_dropped),
		cmocka_unit_test(dirty_track_words),
	};

	return cmocka_run_group_tests_name("dirty_ring", tests, NULL, NULL);
}
