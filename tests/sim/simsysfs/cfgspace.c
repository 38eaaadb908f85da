// SPDX-License-Identifier: GPL-2.0-only
/*
 * Config space of a simulated device, computed from its state on every read
 * so that the SR-IOV control/NumVFs registers follow sriov_numvfs.  The
 * capability chains follow the layouts QEMU 10 gives these devices: PM,
 * MSI-X (table size from the spec), PCI Express (port type, FLR in DevCap),
 * then extended capabilities at 0x100: SR-IOV, ARI, ACS.
 */
#include <string.h>

#include "simsysfs.h"

#define PCI_CAP_PM 0x01
#define PCI_CAP_MSIX 0x11
#define PCI_CAP_EXP 0x10
#define PCI_EXT_SRIOV 0x0010
#define PCI_EXT_ARI 0x000e
#define PCI_EXT_ACS 0x000d
#define PCI_EXT_DSN 0x0003

static void w8(uint8_t *b, size_t off, uint8_t v)
{
	b[off] = v;
}

static void w16(uint8_t *b, size_t off, uint16_t v)
{
	b[off] = v & 0xff;
	b[off + 1] = v >> 8;
}

static void w32(uint8_t *b, size_t off, uint32_t v)
{
	w16(b, off, v & 0xffff);
	w16(b, off + 2, v >> 16);
}

/* Extended capability header: id, version 1, next pointer. */
static void ext_hdr(uint8_t *b, size_t off, uint16_t id, size_t next)
{
	w32(b, off, id | (1u << 16) | ((uint32_t)next << 20));
}

size_t cfg_build(const struct simdev *d, uint8_t *b, size_t size)
{
	size_t len = d->pcie ? 4096 : 256;
	size_t ext[4], next;
	int next_ext = 0;

	if (size < len)
		return 0;
	memset(b, 0, len);
	w16(b, 0x00, d->vendor);
	w16(b, 0x02, d->device);
	w16(b, 0x04, d->driver[0] ? 0x0006 : 0x0000); /* memory + bus master while driven */
	w16(b, 0x06, 0x0010); /* capability list present */
	w8(b, 0x08, d->revision);
	w8(b, 0x09, d->class & 0xff);
	w8(b, 0x0a, (d->class >> 8) & 0xff);
	w8(b, 0x0b, (d->class >> 16) & 0xff);
	w8(b, 0x0e, d->bridge ? 0x01 : 0x00);
	if (!d->bridge) {
		w16(b, 0x2c, d->sub_vendor);
		w16(b, 0x2e, d->sub_device);
		w8(b, 0x3d, d->pf ? 0 : 1); /* VFs have no INTx */
	}
	w8(b, 0x34, 0x40);

	/* PM at 0x40 */
	w8(b, 0x40, PCI_CAP_PM);
	next = d->msix ? 0x50 : (d->pcie ? 0x70 : 0);
	w8(b, 0x41, next);
	w16(b, 0x42, 0x0003);
	if (d->msix) {
		w8(b, 0x50, PCI_CAP_MSIX);
		w8(b, 0x51, d->pcie ? 0x70 : 0);
		w16(b, 0x52, (d->msix - 1) & 0x7ff);
		w32(b, 0x54, 0x00000003); /* table in BAR3 at 0 */
		w32(b, 0x58, 0x00002003); /* PBA in BAR3 at 0x2000 */
	}
	if (!d->pcie)
		return len;

	w8(b, 0x70, PCI_CAP_EXP);
	w8(b, 0x71, 0);
	/* Version 2, device/port type; slot implemented on root ports. */
	w16(b, 0x72, 0x0002 | ((d->pcie - 1) << 4) | (d->pcie - 1 == 4 ? 0x0100 : 0));
	w32(b, 0x74, 0x00008000 | (d->flr ? (1u << 28) : 0)); /* DevCap: role-based err, FLR */
	w16(b, 0x78, 0x2810); /* DevCtl */
	{
		unsigned int sp = d->link_speed ? d->link_speed : 1,
			     wd = d->link_width ? d->link_width : 1;

		w32(b, 0x7c, 0x00000400 | wd << 4 | sp); /* LnkCap: speed, width, L0s */
		w16(b, 0x82, (uint16_t)(0x1000 | wd << 4 | sp)); /* LnkSta: trained at the top */
	}
	w32(b, 0x94, 0x00000010); /* DevCap2: completion timeout disable */

	if (d->totalvfs)
		ext[next_ext++] = PCI_EXT_SRIOV;
	if (d->totalvfs || d->pf)
		ext[next_ext++] = PCI_EXT_ARI;
	if (d->acs)
		ext[next_ext++] = PCI_EXT_ACS;
	if (d->dsn)
		ext[next_ext++] = PCI_EXT_DSN;
	{
		size_t off = 0x100;

		for (int i = 0; i < next_ext; i++) {
			size_t sz = ext[i] == PCI_EXT_SRIOV ? 0x40
				    : ext[i] == PCI_EXT_DSN ? 0x0c
							    : 0x08;
			size_t nxt = i + 1 < next_ext ? off + sz : 0;

			ext_hdr(b, off, ext[i], nxt);
			if (ext[i] == PCI_EXT_SRIOV) {
				w32(b, off + 0x04, 0x00000000);
				/* Control: VF Enable + VF MSE + ARI capable hierarchy */
				w16(b, off + 0x08, d->numvfs ? 0x0019 : 0x0010);
				w16(b, off + 0x0c, d->totalvfs); /* InitialVFs */
				w16(b, off + 0x0e, d->totalvfs);
				w16(b, off + 0x10, d->numvfs);
				w16(b, off + 0x14, d->vfoffset);
				w16(b, off + 0x16, d->vfstride);
				w16(b, off + 0x1a, d->vfdevice);
				w32(b, off + 0x1c, 0x00000553); /* supported page sizes */
				w32(b, off + 0x20, 0x00000001); /* 4 KiB */
			} else if (ext[i] == PCI_EXT_ACS) {
				/* SV, TB, RR, CR, UF capable; SV RR CR UF enabled */
				w16(b, off + 0x04, 0x001f);
				w16(b, off + 0x06, 0x001d);
			} else if (ext[i] == PCI_EXT_DSN) {
				w32(b, off + 0x04, d->dsn & 0xffffffff);
				w32(b, off + 0x08, d->dsn >> 32);
			}
			off += sz;
		}
	}
	return len;
}
