// SPDX-License-Identifier: GPL-2.0-only
/* The emulated PCIe root port: see pci_port.h. */
#include <stdlib.h>
#include <string.h>

#include "pci_port.h"

#define PORT_CAP_LEN 0x3c /* a version 2 PCIe capability of a root port */
#define CLASS_PCI_BRIDGE 0x060400

static void wmask16(struct pci_dev *d, uint32_t off, uint16_t m)
{
	d->wmask[off] = m & 0xff;
	d->wmask[off + 1] = m >> 8;
}

static void wmask32(struct pci_dev *d, uint32_t off, uint32_t m)
{
	wmask16(d, off, m & 0xffff);
	wmask16(d, off + 2, m >> 16);
}

/* Base and limit registers of the windows, as firmware programs them (closed: base > limit). */
static void program_windows(struct pci_dev *d, const struct pci_port_window *w)
{
	const struct pci_port_window *io = &w[PCI_PORT_IO], *mem = &w[PCI_PORT_MEM],
				     *pref = &w[PCI_PORT_PREF];
	uint64_t end;

	/* 16-bit I/O decode: bits 15:12 of base and limit */
	if (io->size) {
		end = io->base + io->size - 1;
		d->cfg[PCI_IO_BASE] = (uint8_t)((io->base >> 8) & 0xf0);
		d->cfg[PCI_IO_LIMIT] = (uint8_t)((end >> 8) & 0xf0);
	} else {
		d->cfg[PCI_IO_BASE] = 0xf0;
		d->cfg[PCI_IO_LIMIT] = 0;
	}
	if (mem->size) {
		end = mem->base + mem->size - 1;
		pci_cfg_w16(d, PCI_MEMORY_BASE, (uint16_t)((mem->base >> 16) & 0xfff0));
		pci_cfg_w16(d, PCI_MEMORY_LIMIT, (uint16_t)((end >> 16) & 0xfff0));
	} else {
		pci_cfg_w16(d, PCI_MEMORY_BASE, 0xfff0);
		pci_cfg_w16(d, PCI_MEMORY_LIMIT, 0);
	}
	/* the prefetchable window decodes 64 bits (the low nibble says so, read-only) */
	if (pref->size) {
		end = pref->base + pref->size - 1;
		pci_cfg_w16(d, PCI_PREF_MEMORY_BASE,
			    (uint16_t)(((pref->base >> 16) & 0xfff0) | PCI_PREF_RANGE_TYPE_64));
		pci_cfg_w16(d, PCI_PREF_MEMORY_LIMIT,
			    (uint16_t)(((end >> 16) & 0xfff0) | PCI_PREF_RANGE_TYPE_64));
		pci_cfg_w32(d, PCI_PREF_BASE_UPPER32, (uint32_t)(pref->base >> 32));
		pci_cfg_w32(d, PCI_PREF_LIMIT_UPPER32, (uint32_t)(end >> 32));
	} else {
		pci_cfg_w16(d, PCI_PREF_MEMORY_BASE, 0xfff0 | PCI_PREF_RANGE_TYPE_64);
		pci_cfg_w16(d, PCI_PREF_MEMORY_LIMIT, PCI_PREF_RANGE_TYPE_64);
		pci_cfg_w32(d, PCI_PREF_BASE_UPPER32, 0);
		pci_cfg_w32(d, PCI_PREF_LIMIT_UPPER32, 0);
	}
}

/* The PCIe capability of a root port whose link trained as @l. */
static void pcie_cap(uint8_t *c, unsigned int slot, const struct pcie_link *l)
{
	uint32_t lnkcap;
	uint16_t lnksta;

	memset(c, 0, PORT_CAP_LEN);
	/* version 2, a root port; no slot: nothing to hot-plug below it */
	c[PCI_EXP_FLAGS] = 2;
	c[PCI_EXP_FLAGS + 1] = 0;
	c[PCI_EXP_FLAGS] |= (PCI_EXP_TYPE_ROOT_PORT << 4) & 0xf0;
	/* 256-byte payload, role-based error reporting */
	c[PCI_EXP_DEVCAP] = 0x01;
	c[PCI_EXP_DEVCAP + 1] = PCI_EXP_DEVCAP_RBER >> 8;
	/* the reset value: 128-byte payload, 512-byte read requests, relaxed ordering, no snoop */
	c[PCI_EXP_DEVCTL] = PCI_EXP_DEVCTL_RELAX_EN;
	c[PCI_EXP_DEVCTL + 1] = (PCI_EXP_DEVCTL_READRQ_512B | PCI_EXP_DEVCTL_NOSNOOP_EN) >> 8;
	/* data link layer active reporting, so the guest sees the link up; port number = slot */
	lnkcap = l->max_speed | (uint32_t)l->max_width << 4 | PCI_EXP_LNKCAP_DLLLARC |
		 (uint32_t)slot << 24;
	lnksta = (uint16_t)(l->speed | l->width << PCI_EXP_LNKSTA_NLW_SHIFT | PCI_EXP_LNKSTA_SLC |
			    PCI_EXP_LNKSTA_DLLLA);
	for (int i = 0; i < 4; i++)
		c[PCI_EXP_LNKCAP + i] = (lnkcap >> (8 * i)) & 0xff;
	c[PCI_EXP_LNKSTA] = lnksta & 0xff;
	c[PCI_EXP_LNKSTA + 1] = lnksta >> 8;
	c[PCI_EXP_LNKCAP2] = l->speeds;
	/* target link speed: the top one */
	c[PCI_EXP_LNKCTL2] = l->max_speed;
}

struct pci_dev *pci_port_new(unsigned int slot, unsigned int bus, const struct pcie_link *link,
			     const struct pci_port_window win[PCI_PORT_NR_WIN])
{
	struct pci_dev *d = calloc(1, sizeof(*d));
	uint8_t cap[PORT_CAP_LEN];
	int off;

	if (!d)
		return NULL;
	pci_dev_init(d, "pcie-root-port", PCI_PORT_VENDOR, PCI_PORT_DEVICE, CLASS_PCI_BRIDGE, 0, 0,
		     0);
	d->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_BRIDGE;
	/* a bridge has no subsystem ids at 0x2c: that is the prefetchable limit's upper half */
	pci_cfg_w32(d, PCI_PREF_LIMIT_UPPER32, 0);
	d->cfg[PCI_PRIMARY_BUS] = 0;
	d->cfg[PCI_SECONDARY_BUS] = (uint8_t)bus;
	d->cfg[PCI_SUBORDINATE_BUS] = (uint8_t)bus;
	/* the guest may number buses and move windows as it likes */
	d->wmask[PCI_PRIMARY_BUS] = 0xff;
	d->wmask[PCI_SECONDARY_BUS] = 0xff;
	d->wmask[PCI_SUBORDINATE_BUS] = 0xff;
	d->wmask[PCI_SEC_LATENCY_TIMER] = 0xff;
	d->wmask[PCI_IO_BASE] = 0xf0;
	d->wmask[PCI_IO_LIMIT] = 0xf0;
	wmask16(d, PCI_MEMORY_BASE, 0xfff0);
	wmask16(d, PCI_MEMORY_LIMIT, 0xfff0);
	wmask16(d, PCI_PREF_MEMORY_BASE, 0xfff0);
	wmask16(d, PCI_PREF_MEMORY_LIMIT, 0xfff0);
	wmask32(d, PCI_PREF_BASE_UPPER32, 0xffffffff);
	wmask32(d, PCI_PREF_LIMIT_UPPER32, 0xffffffff);
	/* parity, SERR, ISA, VGA, VGA 16-bit, master abort, secondary bus reset */
	wmask16(d, PCI_BRIDGE_CONTROL, 0x007f);
	program_windows(d, win);

	pcie_cap(cap, slot, link);
	off = pci_cap_add(d, PCI_CAP_ID_EXP, cap, sizeof(cap), NULL);
	if (off < 0) {
		free(d);
		return NULL;
	}
	/* what a guest's PCIe code writes: device, link, root and link 2 control */
	wmask16(d, (uint32_t)off + PCI_EXP_DEVCTL, 0x7fff);
	/* ASPM, RCB, common clock, extended synch, clock PM, bandwidth interrupts - not
	 * disable/retrain */
	wmask16(d, (uint32_t)off + PCI_EXP_LNKCTL, 0x0fcb);
	wmask16(d, (uint32_t)off + PCI_EXP_RTCTL, 0x001f);
	wmask16(d, (uint32_t)off + PCI_EXP_DEVCTL2, 0x07ff);
	wmask16(d, (uint32_t)off + PCI_EXP_LNKCTL2, 0x000f);
	d->slot = (int)slot;
	return d;
}

void pci_port_windows(const struct pci_dev *d, struct pci_port_window win[PCI_PORT_NR_WIN])
{
	uint64_t b, l;

	b = (uint64_t)(d->cfg[PCI_IO_BASE] & 0xf0) << 8;
	l = ((uint64_t)(d->cfg[PCI_IO_LIMIT] & 0xf0) << 8) | 0xfff;
	win[PCI_PORT_IO] = (struct pci_port_window){b, l >= b ? l - b + 1 : 0};
	b = (uint64_t)(pci_cfg_r16(d, PCI_MEMORY_BASE) & 0xfff0) << 16;
	l = ((uint64_t)(pci_cfg_r16(d, PCI_MEMORY_LIMIT) & 0xfff0) << 16) | 0xfffff;
	win[PCI_PORT_MEM] = (struct pci_port_window){b, l >= b ? l - b + 1 : 0};
	b = (uint64_t)(pci_cfg_r16(d, PCI_PREF_MEMORY_BASE) & 0xfff0) << 16 |
	    (uint64_t)pci_cfg_r32(d, PCI_PREF_BASE_UPPER32) << 32;
	l = ((uint64_t)(pci_cfg_r16(d, PCI_PREF_MEMORY_LIMIT) & 0xfff0) << 16 | 0xfffff) |
	    (uint64_t)pci_cfg_r32(d, PCI_PREF_LIMIT_UPPER32) << 32;
	win[PCI_PORT_PREF] = (struct pci_port_window){b, l >= b ? l - b + 1 : 0};
}

unsigned int pci_port_secondary(const struct pci_dev *d)
{
	return d->cfg[PCI_SECONDARY_BUS];
}

unsigned int pci_port_subordinate(const struct pci_dev *d)
{
	return d->cfg[PCI_SUBORDINATE_BUS];
}
