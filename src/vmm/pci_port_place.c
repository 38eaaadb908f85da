// SPDX-License-Identifier: GPL-2.0-only
/*
 * A device behind a root port of its own: its BARs placed in the port's
 * windows (see pci_port.h and pci_priv.h).
 *
 * Each window is one block, as firmware sizes a bridge's windows: the
 * device's BARs of that kind packed largest first (mmio_plan_pack), the
 * block a whole number of bridge grains (4 KiB of I/O, 1 MiB of memory)
 * aligned to its largest BAR.  Sibling windows may not overlap, so each
 * block is placed around what other devices and ports hold.
 *   - I/O: the I/O BARs;
 *   - memory (below 4 GiB): the 32-bit memory BARs, the ROM, and the
 *     non-prefetchable 64-bit BARs (a prefetchable window may not hold
 *     them, and the memory window has no upper half);
 *   - prefetchable (64-bit): the 64-bit prefetchable BARs, at the block
 *     the plan gave the device when it is free (mmio_plan.h), else first
 *     fit in the 64-bit window.
 */
#include <errno.h>
#include <stdlib.h>

#include "mmio_plan.h"
#include "pci_port.h"
#include "pci_priv.h"

/* Which window BAR @i of @d belongs in. */
static enum pci_port_win bar_window(const struct pci_dev *d, int i)
{
	unsigned int f = d->bar[i].flags;

	if (f & PCI_BARF_IO)
		return PCI_PORT_IO;
	if (i != PCI_ROM_BAR && (f & PCI_BARF_MEM64) && (f & PCI_BARF_PREFETCH))
		return PCI_PORT_PREF;
	return PCI_PORT_MEM;
}

static const char *const win_name[PCI_PORT_NR_WIN] = {"I/O", "32-bit memory",
						      "64-bit prefetchable"};

int pci_port_place(struct pci_host *h, struct pci_dev *d, int slot, struct errinfo *e)
{
	static const uint64_t grain[PCI_PORT_NR_WIN] = {PCI_PORT_IO_GRAIN, PCI_PORT_MEM_GRAIN,
							PCI_PORT_MEM_GRAIN};
	struct pci_port_window win[PCI_PORT_NR_WIN] = {{0}};
	uint64_t off[PCI_PORT_NR_WIN][PCI_ROM_BAR + 1] = {{0}};
	bool none[PCI_ROM_BAR + 1] = {false};
	struct pci_dev *port;

	if (h->next_bus > PCI_MAX_BUS)
		return err_set(e, ENOSPC, "%s: no PCI bus number is left for a root port", d->name);
	for (int w = 0; w < PCI_PORT_NR_WIN; w++) {
		uint64_t size[PCI_ROM_BAR + 1] = {0}, largest = 0, align, bytes, planned, psize;
		uint64_t lo = w == PCI_PORT_IO	  ? h->io_base
			      : w == PCI_PORT_MEM ? h->mmio32_base
						  : h->mmio64_base;
		uint64_t hi = w == PCI_PORT_IO	  ? h->io_end
			      : w == PCI_PORT_MEM ? h->mmio32_end
						  : h->mmio64_end;

		for (int i = 0; i <= PCI_ROM_BAR; i++)
			if (d->bar[i].size && (int)bar_window(d, i) == w) {
				size[i] = d->bar[i].size;
				if (size[i] > largest)
					largest = size[i];
			}
		if (!largest)
			continue;
		bytes = mmio_plan_pack(size, PCI_ROM_BAR + 1, off[w]);
		align = largest > grain[w] ? largest : grain[w];
		win[w].size = (bytes + grain[w] - 1) & ~(grain[w] - 1);
		planned = w == PCI_PORT_PREF ? mmio_plan_block(h->plan, d->name, &psize) : 0;
		if (planned && psize == win[w].size && !(planned & (align - 1)) && planned >= lo &&
		    planned + psize <= hi &&
		    !pci_range_held(h, d, none, false, planned, psize, &psize))
			win[w].base = planned;
		else if (pci_alloc_range(h, d, none, w == PCI_PORT_IO, lo, hi, win[w].size, align,
					 &win[w].base)) {
			err_set(e, ENOSPC,
				"%s: no room for its root port's %s window (%llu KiB) in "
				"the guest's %s space",
				d->name, win_name[w], (unsigned long long)(win[w].size >> 10),
				w == PCI_PORT_IO    ? "I/O port"
				: w == PCI_PORT_MEM ? "32-bit MMIO"
						    : "64-bit MMIO");
			err_hint(e,
				 "windows of sibling ports may not share a grain (%s); on bus 0, "
				 "without a port, the BARs need no window of their own",
				 w == PCI_PORT_IO ? "4 KiB" : "1 MiB");
			return -ENOSPC;
		}
	}
	port = pci_port_new((unsigned int)slot, h->next_bus, &d->port_link, win);
	if (!port)
		return err_set(e, ENOMEM, "%s: out of memory for its root port", d->name);
	for (int i = 0; i <= PCI_ROM_BAR; i++)
		if (d->bar[i].size)
			pci_bar_program(d, i,
					win[bar_window(d, i)].base + off[bar_window(d, i)][i]);
	h->next_bus++;
	d->port = port;
	port->host = h;
	return 0;
}
