// SPDX-License-Identifier: GPL-2.0-only
/* Prints over serial and powers off through the ACPI PM1a control register. */
#include "guest.h"

void guest_main(void)
{
	puts_serial("vfvm-guest: powering off through ACPI S5\n");
	exit_acpi_poweroff();
}
