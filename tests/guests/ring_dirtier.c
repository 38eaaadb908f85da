// SPDX-License-Identifier: GPL-2.0-only
/*
 * Live-migration test guest (ring_dirtier): keeps rewriting DIRTY_PAGES pages and checks
 * every page after each sweep, so a page whose last write a migration did
 * not carry over is caught by the guest itself at the destination.
 *
 * Round r (from 1): check that every page of [DIRTY_BASE, DIRTY_BASE +
 * DIRTY_PAGES pages) still holds r - 1 in its first and last word (what
 * round r - 1 wrote; RAM starts zeroed), write r there, read every page
 * back, then store r at COUNTER_ADDR (the same struct counter_page as
 * counter.c, so tests read it the same way).  Wherever a migration pauses
 * the guest, a page written before the pause and lost on the way holds an
 * older value at the destination, which the read-back or the next round's
 * check finds; a lost counter page fails the next round's count check.
 * Exits through the debug-exit port (run with --debug-exit):
 *   3 (status 67)  a page or the count is not what this guest wrote
 * Prints "dirtier: start" once, then "dirtier: round N ok" every 16 rounds.
 */
#include "guest.h"

#define COUNTER_ADDR 0x200000UL
#define DIRTY_BASE 0x400000UL /* identity mapped RAM: needs a VM of 32 MiB and up */
/*
 * 20 MiB: more distinct pages than a vCPU's dirty ring holds (4096
 * entries, src/vmm/dirty_ring.h), so a round during a migration fills
 * the ring and the vCPU exits with KVM_EXIT_DIRTY_RING_FULL.
 */
#define DIRTY_PAGES 5120UL
#define PAGE 4096UL

struct counter_page {
	volatile uint64_t count;
	volatile uint64_t stop; /* unused here; kept for counter.c's layout */
};

static volatile uint64_t *word(unsigned long page, unsigned long idx)
{
	return (volatile uint64_t *)(DIRTY_BASE + page * PAGE + idx * sizeof(uint64_t));
}

void guest_main(void)
{
	struct counter_page *cp = (struct counter_page *)COUNTER_ADDR;
	uint64_t r = cp->count;

	puts_serial("dirtier: start\n");
	for (;;) {
		if (cp->count != r)
			exit_debug(3);
		for (unsigned long p = 0; p < DIRTY_PAGES; p++)
			if (*word(p, 0) != r || *word(p, PAGE / sizeof(uint64_t) - 1) != r)
				exit_debug(3);
		r++;
		for (unsigned long p = 0; p < DIRTY_PAGES; p++) {
			*word(p, 0) = r;
			*word(p, PAGE / sizeof(uint64_t) - 1) = r;
		}
		for (unsigned long p = 0; p < DIRTY_PAGES; p++)
			if (*word(p, 0) != r || *word(p, PAGE / sizeof(uint64_t) - 1) != r)
				exit_debug(3);
		cp->count = r;
		if (!(r % 16)) {
			puts_serial("dirtier: round ");
			put_dec(r);
			puts_serial(" ok\n");
		}
	}
}
