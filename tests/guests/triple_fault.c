// SPDX-License-Identifier: GPL-2.0-only
/*
 * Crashes on purpose: an empty IDT, then ud2.  The #UD finds no gate, nor
 * does the #GP and #DF that follow: a triple fault, which KVM reports as a
 * shutdown and vfvm as a crashed guest (status 4, registers on stderr,
 * a syslog line).  rax holds a marker the crash report must show.
 */
#include "guest.h"

void guest_main(void)
{
	static const struct {
		unsigned short limit;
		unsigned long base;
	} __attribute__((packed)) no_idt = {0, 0};

	puts_serial("vfvm-guest: loading an empty IDT and faulting\n");
	__asm__ volatile("lidt %0\n\t"
			 "mov $0x7f1e5eed, %%eax\n\t"
			 "ud2" ::"m"(no_idt)
			 : "rax", "memory");
	puts_serial("vfvm-guest: still running after the fault\n");
}
