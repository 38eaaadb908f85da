// SPDX-License-Identifier: GPL-2.0-only
/*
 * Writes 5 to the debug-exit port 0x501, then resets through the i8042:
 * vfvm ends with 64 + 5 = 69 under --debug-exit, and without it the write
 * goes nowhere (no such port), the guest goes on and resets: status 3.
 */
#include "guest.h"

void guest_main(void)
{
	puts_serial("vfvm-guest: writing 5 to the debug-exit port\n");
	outw(0x501, 5);
	puts_serial("vfvm-guest: still running after the debug-exit write\n");
	puts_serial("vfvm-guest: resetting through the i8042\n");
	outb(0x64, 0xfe);
	for (;;)
		__asm__ volatile("pause");
}
