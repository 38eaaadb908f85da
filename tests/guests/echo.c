// SPDX-License-Identifier: GPL-2.0-only
/* Reads one line from the serial port (polling LSR) and prints it back. */
#include "guest.h"

void guest_main(void)
{
	char line[64];
	unsigned int n = 0;

	puts_serial("vfvm-guest: type a line\n");
	while (n < sizeof(line) - 1) {
		char c;

		while (!(inb(0x3f8 + 5) & 1))
			__asm__ volatile("pause");
		c = (char)inb(0x3f8);
		if (c == '\n' || c == '\r')
			break;
		line[n++] = c;
	}
	line[n] = 0;
	puts_serial("vfvm-guest: got '");
	puts_serial(line);
	puts_serial("'\n");
	exit_i8042_reset();
}
