/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The emulated PCIe root port in front of a passed-through device.
 *
 * A GPU driver (and the kernel's PCIe code) expects an endpoint below a
 * root port: it reads the port's link speed and width, and finds the
 * device's BARs inside the port's windows.  So a device that asks for it
 * (pci_dev.want_port) gets a port of its own in its bus-0 slot, and sits
 * as device 0 on the port's secondary bus.
 *
 * The port is set up as firmware leaves one: bus numbers assigned, each
 * window (I/O, 32-bit memory, 64-bit prefetchable memory) sized to hold
 * the device's BARs of that kind and no more, so the guest claims what it
 * finds and moves nothing.  The windows are for the guest to read: the
 * device decodes its BARs wherever they are programmed (there is no
 * forwarding to cut off), and a secondary bus reset is accepted and not
 * passed on to the device.  The port has no interrupt and no hot-plug
 * slot (hot-plugged devices go on bus 0), so the guest binds no port
 * services.  Its link registers show @link: the host's link of the device.
 *
 * Identity: 1b36:000c, the generic PCIe root port guests know from QEMU,
 * for which every OS has its class driver and no quirk.
 */
#ifndef VFVM_PCI_PORT_H
#define VFVM_PCI_PORT_H

#include <stdint.h>

#include "pci.h"

#define PCI_PORT_VENDOR 0x1b36
#define PCI_PORT_DEVICE 0x000c
/* window granularity of a PCI-to-PCI bridge */
#define PCI_PORT_IO_GRAIN 0x1000ULL
#define PCI_PORT_MEM_GRAIN 0x100000ULL

/* A window [base, base + size); size 0: closed. */
struct pci_port_window {
	uint64_t base, size;
};

enum pci_port_win { PCI_PORT_IO, PCI_PORT_MEM, PCI_PORT_PREF, PCI_PORT_NR_WIN };

/*
 * A new root port for bus-0 slot @slot whose secondary (and subordinate)
 * bus is @bus, showing @link, with windows @win (indexed by enum
 * pci_port_win; sizes multiples of the grains, bases aligned to them).
 * NULL when out of memory.  The caller frees it (free()).
 */
struct pci_dev *pci_port_new(unsigned int slot, unsigned int bus, const struct pcie_link *link,
			     const struct pci_port_window win[PCI_PORT_NR_WIN]);

/* The windows as the port's registers hold them now (the guest may have moved them). */
void pci_port_windows(const struct pci_dev *port, struct pci_port_window win[PCI_PORT_NR_WIN]);

/* The port's secondary and subordinate bus numbers, as programmed now. */
unsigned int pci_port_secondary(const struct pci_dev *port);
unsigned int pci_port_subordinate(const struct pci_dev *port);

#endif
