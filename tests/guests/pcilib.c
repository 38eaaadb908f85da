// SPDX-License-Identifier: GPL-2.0-only
#include "pci.h"

uint64_t bar_size(unsigned int slot, int i, bool *is64, bool *io)
{
	unsigned int off = 0x10 + 4 * (unsigned int)i;
	uint32_t orig = cfg_r32(slot, off), lo, hi_orig = 0, hi = 0xffffffff;
	uint64_t mask;

	*io = orig & 1;
	*is64 = !*io && ((orig >> 1) & 3) == 2;
	cfg_w32(slot, off, 0xffffffff);
	lo = cfg_r32(slot, off);
	cfg_w32(slot, off, orig);
	if (*is64) {
		hi_orig = cfg_r32(slot, off + 4);
		cfg_w32(slot, off + 4, 0xffffffff);
		hi = cfg_r32(slot, off + 4);
		cfg_w32(slot, off + 4, hi_orig);
	}
	if (*io)
		mask = (uint64_t)(lo & ~3u) | 0xffffffffffff0000ULL;
	else
		mask = ((uint64_t)hi << 32) | (lo & ~0xfu);
	if (!(lo & ~0xfu) && !(*is64 && hi))
		return 0;
	return ~mask + 1;
}

void bars_assign(unsigned int slot, uint64_t *next, uint64_t addr[6])
{
	uint32_t cmd = cfg_r32(slot, 4);

	cfg_w32(slot, 4, cmd & ~7u); /* decode off while moving BARs */
	for (int i = 0; i < 6; i++) {
		bool is64, io;
		uint64_t sz = bar_size(slot, i, &is64, &io), a;

		addr[i] = 0;
		if (sz && !io) {
			a = (*next + sz - 1) & ~(sz - 1);
			*next = a + sz;
			cfg_w32(slot, 0x10 + 4 * (unsigned int)i,
				(uint32_t)a | (cfg_r32(slot, 0x10 + 4 * (unsigned int)i) & 0xf));
			if (is64)
				cfg_w32(slot, 0x14 + 4 * (unsigned int)i, 0);
			addr[i] = a;
		}
		if (is64)
			addr[++i] = 0;
	}
	cfg_w32(slot, 4, (cmd & ~7u) | 0x6); /* memory decode + bus master */
}

unsigned int cap_find(unsigned int slot, uint8_t id, unsigned int from)
{
	unsigned int p = from ? mmio_r8(ecam(slot, from + 1)) : mmio_r8(ecam(slot, 0x34));

	for (int guard = 0; p && guard < 48; guard++) {
		if (mmio_r8(ecam(slot, p)) == id)
			return p;
		p = mmio_r8(ecam(slot, p + 1));
	}
	return 0;
}
