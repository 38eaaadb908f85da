/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Capabilities from a device's config space (ROOT/sys/bus/pci/devices/BDF/config):
 * the standard list and the PCIe extended list.  Reading past 64 bytes needs
 * root on a real system; a short read simply leaves the extended caps absent.
 */
#ifndef HOST_PCI_CAPS_H
#define HOST_PCI_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "errinfo.h"

/* PCIe device/port type (PCIe capability, flags bits 7:4). */
enum pcie_type {
	PCIE_TYPE_ENDPOINT = 0x0,
	PCIE_TYPE_LEG_END = 0x1,
	PCIE_TYPE_ROOT_PORT = 0x4,
	PCIE_TYPE_UPSTREAM = 0x5,
	PCIE_TYPE_DOWNSTREAM = 0x6,
	PCIE_TYPE_PCIE_BRIDGE = 0x7,
	PCIE_TYPE_PCI_BRIDGE = 0x8,
	PCIE_TYPE_RC_END = 0x9,
	PCIE_TYPE_RC_EC = 0xa,
};

/* ACS control bits that isolation needs (source validation, request/completion redirect, upstream
 * forwarding). */
#define ACS_SV 0x0001
#define ACS_RR 0x0004
#define ACS_CR 0x0008
#define ACS_UF 0x0010
#define ACS_ISOLATION (ACS_SV | ACS_RR | ACS_CR | ACS_UF)

/*
 * A PCIe link as the Link Capabilities/Status registers give it: speeds
 * are the registers' codes (1 = 2.5 GT/s, 2 = 5, 3 = 8, 4 = 16, 5 = 32,
 * 6 = 64), widths lane counts; 0 where unknown.
 */
struct pcie_link {
	uint8_t max_speed, max_width; /* LnkCap */
	uint8_t speed, width; /* LnkSta: what the link trained to */
	uint8_t speeds; /* LnkCap2 supported-speeds vector (bits 7:1), 0 without it */
};

struct pcicaps {
	size_t config_len; /* bytes of config space we could read */
	bool has_pcie;
	int pcie_type; /* enum pcie_type, -1 without a PCIe capability */
	bool flr; /* Function Level Reset (PCIe DevCap bit 28) */
	bool has_msi;
	bool has_msix;
	unsigned int msix_size; /* MSI-X table entries */
	bool has_sriov;
	unsigned int sriov_total_vfs, sriov_initial_vfs, sriov_offset, sriov_stride;
	unsigned int sriov_vf_device;
	bool has_acs;
	uint16_t acs_cap, acs_ctrl;
	bool has_ari;
	struct pcie_link link; /* from the PCIe capability (zero without one) */
};

/* Parse a config space image (len bytes). */
void pcicaps_parse(const uint8_t *cfg, size_t len, struct pcicaps *c);
/* Read and parse ROOT/sys/bus/pci/devices/BDF/config. */
int pcicaps_read(const char *root, const char *bdf, struct pcicaps *c, struct errinfo *e);
/*
 * The link a passed-through device is on, as its root port in a guest
 * should show it (pci_port.c): the device's own link, or for a VF (whose
 * link registers are reserved) its PF's.  Unknown parts are filled with
 * the slowest valid link (2.5 GT/s x1) so the guest always reads a trained
 * link.  Returns 0, or -errno when the config space cannot be read.
 */
int pcie_link_read(const char *root, const char *bdf, struct pcie_link *l, struct errinfo *e);
/* "16 GT/s" for a speed code; "unknown" outside 1-6. */
const char *pcie_speed_name(unsigned int speed);

/* True when the port has every ACS control bit isolation needs. */
bool pcicaps_acs_isolates(const struct pcicaps *c);
/* Ports on which ACS matters: root ports and switch downstream ports. */
bool pcicaps_is_acs_port(const struct pcicaps *c);

#endif
