// SPDX-License-Identifier: GPL-2.0-only
/*
 * Scans PCI bus 0 through ECAM: prints each function's IDs, class, BAR
 * sizes and capability IDs, then leaves through an i8042 reset (or the
 * debug-exit port where there is no i8042).
 */
#include "pci.h"

void guest_main(void)
{
	int found = 0;

	puts_serial("vfvm-guest: pci scan through ECAM at 0xe0000000\n");
	for (unsigned int slot = 0; slot < 32; slot++) {
		uint32_t id = cfg_r32(slot, 0), cls;

		if ((id & 0xffff) == 0xffff)
			continue;
		found++;
		cls = cfg_r32(slot, 8) >> 8;
		puts_serial("pci 00:");
		put_hex(slot, 2);
		puts_serial(".0 ");
		put_hex(id & 0xffff, 4);
		putc_serial(':');
		put_hex(id >> 16, 4);
		puts_serial(" class ");
		put_hex(cls, 6);
		putc_serial('\n');
		for (int i = 0; i < 6; i++) {
			bool is64, io;
			uint64_t sz = bar_size(slot, i, &is64, &io);

			if (sz) {
				puts_serial("  bar");
				put_dec((uint64_t)i);
				puts_serial(io ? " io" : is64 ? " mem64" : " mem32");
				puts_serial(" size 0x");
				put_hex(sz, 8);
				putc_serial('\n');
			}
			if (is64)
				i++;
		}
		if (cfg_r32(slot, 4) & (1u << 20)) {
			puts_serial("  caps");
			for (unsigned int p = mmio_r8(ecam(slot, 0x34)), g = 0; p && g < 48;
			     p = mmio_r8(ecam(slot, p + 1)), g++) {
				puts_serial(" ");
				put_hex(mmio_r8(ecam(slot, p)), 2);
			}
			putc_serial('\n');
		}
	}
	puts_serial("vfvm-guest: pci scan found ");
	put_dec((uint64_t)found);
	puts_serial(" functions\n");
	exit_i8042_reset();
}
