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

#endif
