// SPDX-License-Identifier: GPL-2.0-only
/*
 * Post-copy test guest: rewrites every page of 4 MiB (DIRTY_BASE, 1024
 * pages) round after round, as fast as it can, so that a migration over a
 * capped link cannot converge.  Each round sets a page's first word to the
 * round number after checking that it still holds the last round's: a page
 * that came over a migration stale (or as zero) is caught.  The number of
 * rounds done is at COUNTER_ADDR (as counter.c keeps its count), for the
 * host to read from a snapshot's memory file.
 * Exits through the debug-exit port (run with --debug-exit):
 *   3 (status 67)  a page does not hold the last round's number
 * Prints "dirtier: start" once, then "dirtier: N" every 256 rounds.
 */
#include "guest.h"

#define COUNTER_ADDR 0x200000UL /* identity mapped RAM, in every VM of 16 MiB and up */
#define DIRTY_BASE 0x400000UL
#define DIRTY_PAGES 1024

void guest_main(void)
{
	volatile uint64_t *count = (volatile uint64_t *)COUNTER_ADDR;
	uint64_t n = *count;

	puts_serial("dirtier: start\n");
	for (;;) {
		for (uint64_t i = 0; i < DIRTY_PAGES; i++) {
			volatile uint64_t *p = (volatile uint64_t *)(DIRTY_BASE + i * 4096);

			if (*p != n)
				exit_debug(3);
			*p = n + 1;
		}
		n++;
		*count = n;
		if (!(n & 255)) {
			puts_serial("dirtier: ");
			put_dec(n);
			puts_serial("\n");
		}
	}
}
