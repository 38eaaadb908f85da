// SPDX-License-Identifier: GPL-2.0-only
/*
 * Snapshot test guest: counts in a loop, keeping the count both in a
 * register and at COUNTER_ADDR (struct counter_page); every round it reads
 * the ACPI PM1 control port (vfvm answers 0x0001: SCI_EN) with RAX
 * preloaded with garbage, and writes the new count to SEQ_PORT (32 bits),
 * where a test device (tests/kvm/snaptest.c) checks each value is one more
 * than the last: a vCPU saved in the middle of a port access and restored
 * without finishing it repeats the OUT (KVM leaves RIP on it until the
 * access completes), which that device sees.  Without the device (vfvm
 * itself) the writes go nowhere.
 * Exits through the debug-exit port (run with --debug-exit):
 *   1 (status 65)  count reached page->stop (set by the host, 0 = never)
 *   2 (status 66)  the IN's value did not reach RAX (I/O not completed)
 *   3 (status 67)  register and memory count disagree (state inconsistent)
 * Prints "counter: start" once, then "counter: N" every 2^20 rounds.
 */
#include "guest.h"

#define COUNTER_ADDR 0x200000UL /* identity mapped RAM, in every VM of 4 MiB and up */
#define PM1_CNT_PORT 0x604
#define SEQ_PORT 0x520

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

struct counter_page {
	volatile uint64_t count; /* the guest's count, after each round */
	volatile uint64_t stop; /* host: exit with 1 once count reaches it */
};

void guest_main(void)
{
	struct counter_page *cp = (struct counter_page *)COUNTER_ADDR;
	uint64_t n = cp->count;

	puts_serial("counter: start\n");
	for (;;) {
		uint32_t v = 0x5a5a5a5a;

		if (cp->count != n)
			exit_debug(3);
		__asm__ volatile("inw %w1, %w0" : "+a"(v) : "Nd"((uint16_t)PM1_CNT_PORT));
		if ((v & 0xffff) != 1)
			exit_debug(2);
		n++;
		outl(SEQ_PORT, (uint32_t)n);
		cp->count = n;
		if (!(n & ((1u << 20) - 1))) {
			puts_serial("counter: ");
			put_dec(n);
			puts_serial("\n");
		}
		if (cp->stop && n >= cp->stop)
			exit_debug(1);
	}
}
