/* SPDX-License-Identifier: GPL-2.0-only */
/* Vendor/device names from pci.ids through libpci. */
#ifndef HOST_PCI_NAMES_H
#define HOST_PCI_NAMES_H

#include <stddef.h>

struct pcinames;

/* Opens libpci's name database; NULL when libpci cannot be set up (names then fall back to IDs). */
struct pcinames *pcinames_open(void);
void pcinames_close(struct pcinames *n);
/* "Intel Corporation 82576 Gigabit Network Connection", or "8086:10c9" when unknown. */
const char *pcinames_device(struct pcinames *n, unsigned int vendor, unsigned int device, char *buf,
			    size_t size);

#endif
