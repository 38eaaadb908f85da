/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The PCI host's BAR decode, shared by pci_host.c and pci_snap.c (restore
 * moves BARs through the same code a guest's config write goes through).
 * Not for device models.
 */
#ifndef VFVM_PCI_PRIV_H
#define VFVM_PCI_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "pci.h"

/* Address the config shadow programs in BAR @i (64-bit BARs combine two registers). */
uint64_t pci_bar_programmed(const struct pci_dev *d, int i);
/* Whether BAR @i should decode at @addr (command register, ROM enable, no sizing leftover). */
bool pci_bar_wanted(const struct pci_dev *d, int i, uint64_t addr);
/* Value BAR register @reg (PCI_ROM_BAR for the ROM) holds after the guest writes @val. */
uint32_t pci_bar_reg_value(const struct pci_dev *d, int reg, uint32_t val);
/* Under h->lock: every BAR's activation in line with the shadow (hooks or bus traps). */
void pci_bars_update(struct pci_host *h, struct pci_dev *d);
/* Under h->lock: BAR @i stops decoding. */
void pci_bar_deactivate(struct pci_host *h, struct pci_dev *d, int i);

/*
 * BAR placement (pci_host.c), under h->lock.  First fit of a naturally
 * aligned @size in [base, end) around what registered devices, their root
 * ports' windows, the plan's places of other devices and @d's BARs marked
 * in @done hold; -ENOSPC when none.
 */
int pci_alloc_range(struct pci_host *h, const struct pci_dev *d, const bool *done, bool io,
		    uint64_t base, uint64_t end, uint64_t size, uint64_t align, uint64_t *out);
/* Whether [a, a + size) is held (as above); *held_end: where the holder ends. */
bool pci_range_held(struct pci_host *h, const struct pci_dev *d, const bool *done, bool io,
		    uint64_t a, uint64_t size, uint64_t *held_end);
/* Program BAR @i of @d at @addr as firmware would (64-bit BARs: both registers). */
void pci_bar_program(struct pci_dev *d, int i, uint64_t addr);

/*
 * Place @d's BARs in windows of a root port of its own and make the port
 * (pci_port_place.c), for pci_dev_register() under h->lock: the BARs are
 * programmed and d->port set, or -errno with @e naming the window that had
 * no room and nothing held.
 */
int pci_port_place(struct pci_host *h, struct pci_dev *d, int slot, struct errinfo *e);

#endif
