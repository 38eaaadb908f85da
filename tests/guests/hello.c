// SPDX-License-Identifier: GPL-2.0-only
/* Prints over serial and leaves through an i8042 reset. */
#include "guest.h"

void guest_main(void)
{
	puts_serial("vfvm-guest: hello from 64-bit mode\n");
	puts_serial("vfvm-guest: resetting through the i8042\n");
	exit_i8042_reset();
}
