/* SPDX-License-Identifier: GPL-2.0-only */
/* PCI helpers for guest programs: ECAM config access and BAR placement. */
#ifndef GUEST_PCI_H
#define GUEST_PCI_H

#include "guest.h"

#define MMIO_WINDOW 0xC0000000UL /* vfvm's and microvm's 32-bit PCI window */

static inline uint32_t cfg_r32(unsigned int slot, unsigned int off)
{
	return mmio_r32(ecam(slot, off));
}

static inline void cfg_w32(unsigned int slot, unsigned int off, uint32_t v)
{
	mmio_w32(ecam(slot, off), v);
}

/* Size of memory BAR @i (0 if absent); *is64 set for 64-bit BARs. */
uint64_t bar_size(unsigned int slot, int i, bool *is64, bool *io);
/*
 * Place every memory BAR of @slot in the 32-bit window from *next (the
 * guest does this itself so the same program works with firmware-less
 * QEMU), enable memory decode and bus mastering.  Returns BAR addresses.
 */
void bars_assign(unsigned int slot, uint64_t *next, uint64_t addr[6]);
/* Offset of the first capability with @id at or after @from's next, 0 if none. */
unsigned int cap_find(unsigned int slot, uint8_t id, unsigned int from);

#endif
