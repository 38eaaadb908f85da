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
};

/* Parse a config space image (len bytes). */
void pcicaps_parse(const uint8_t *cfg, size_t len, struct pcicaps *c);
/* Read and parse ROOT/sys/bus/pci/devices/BDF/config. */
int pcicaps_read(const char *root, const char *bdf, struct pcicaps *c, struct errinfo *e);
/* True when the port has every ACS control bit isolation needs. */
bool pcicaps_acs_isolates(const struct pcicaps *c);
/* Ports on which ACS matters: root ports and switch downstream ports. */
bool pcicaps_is_acs_port(const struct pcicaps *c);

#endif
