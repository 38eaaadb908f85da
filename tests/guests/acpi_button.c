// SPDX-License-Identifier: GPL-2.0-only
/*
 * Enables the ACPI fixed power button event (PM1a_EN bit 8), waits for
 * its status bit (vfvm sets it on SIGTERM), then powers off through S5.
 */
#include "guest.h"

#define PM1A_STS 0x600
#define PM1A_EN 0x602
#define PWRBTN 0x0100

void guest_main(void)
{
	outw(PM1A_STS, 0xffff); /* clear stale status (write one to clear) */
	outw(PM1A_EN, PWRBTN);
	puts_serial("vfvm-guest: waiting for the power button\n");
	while (!(inw(PM1A_STS) & PWRBTN))
		__asm__ volatile("pause");
	outw(PM1A_STS, PWRBTN);
	puts_serial("vfvm-guest: power button pressed, powering off\n");
	exit_acpi_poweroff();
}
