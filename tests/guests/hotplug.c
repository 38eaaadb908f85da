// SPDX-License-Identifier: GPL-2.0-only
/*
 * Drives vfvm's ACPI PCI hot-plug registers the way the DSDT's methods do
 * (src/vmm/pci_hotplug.h), by polling, for the KVM tier's hot-plug case:
 *   1. enable GPE 1, say "ready";
 *   2. wait for the GPE, read PCIU: the slot that was plugged must answer
 *      config reads (vendor id), say which;
 *   3. wait for the GPE, read PCID: eject that slot through B0EJ, then wait
 *      until it reads as empty (all ones), say so;
 *   4. wait for a second plug, then a second unplug request that it
 *      ignores (so the host's remove-device times out), say so;
 *   5. wait for the host's word on the console (any byte), power off.
 */
#include "guest.h"

#define GPE0_STS 0x620
#define GPE0_EN 0x622
#define HP_GPE 0x0002
#define PCIU 0x630
#define PCID 0x634
#define B0EJ 0x638

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static void wait_gpe(void)
{
	while (!(inw(GPE0_STS) & HP_GPE))
		__asm__ volatile("pause");
	outw(GPE0_STS, HP_GPE);
}

static int first_bit(uint32_t m)
{
	for (int i = 0; i < 32; i++)
		if (m & (1u << i))
			return i;
	return -1;
}

static void say_slot(const char *what, int slot)
{
	puts_serial("hotplug: ");
	puts_serial(what);
	puts_serial(" slot 0x");
	put_hex((uint64_t)slot, 2);
}

/* Wait for a plug; returns the slot, after checking it answers. */
static int plugged(void)
{
	uint32_t up = 0;
	int slot;

	while (!up) {
		wait_gpe();
		up = inl(PCIU);
	}
	slot = first_bit(up);
	say_slot("plugged", slot);
	puts_serial(" vendor 0x");
	put_hex(mmio_r16(ecam((unsigned int)slot, 0)), 4);
	puts_serial("\n");
	return slot;
}

/* Wait for an unplug request; returns the slot. */
static int unplug_requested(void)
{
	uint32_t down = 0;
	int slot;

	while (!down) {
		wait_gpe();
		down = inl(PCID);
	}
	slot = first_bit(down);
	say_slot("unplug requested for", slot);
	puts_serial("\n");
	return slot;
}

void guest_main(void)
{
	int slot;

	outw(GPE0_STS, 0xffff);
	outw(GPE0_EN, HP_GPE);
	puts_serial("hotplug: ready\n");

	slot = plugged();
	if (unplug_requested() != slot) {
		puts_serial("hotplug: FAIL the unplug request names another slot\n");
		exit_debug(1);
	}
	outl(B0EJ, 1u << slot);
	/* the host takes the device off the bus on its I/O thread: poll */
	for (unsigned long i = 0; mmio_r16(ecam((unsigned int)slot, 0)) != 0xffff; i++)
		if (i > 100000000UL) {
			puts_serial("hotplug: FAIL the slot still answers after the eject\n");
			exit_debug(2);
		}
	say_slot("ejected; empty", slot);
	puts_serial("\n");

	slot = plugged();
	unplug_requested();
	puts_serial("hotplug: ignoring that request\n");
	while (!(inb(0x3fd) & 1)) /* LSR data ready: the host typed */
		__asm__ volatile("pause");
	puts_serial("hotplug: done\n");
	exit_acpi_poweroff();
}
