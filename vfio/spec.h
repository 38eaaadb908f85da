/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * --device BDF[,managed][,vf-token=UUID][,rom=on|off|FILE][,id=NAME][,failover=NETID]
 *          [,p2p=on|off][,gpudirect-clique=N][,rootport=on|off]
 */
#ifndef VFIO_SPEC_H
#define VFIO_SPEC_H

#include <stdbool.h>

#include "config_shadow.h"
#include "errinfo.h"
#include "pci.h"

struct vfio_pci_spec {
	char bdf[16];
	bool managed;
	char vf_token[37]; /* "" when none */
	enum vfio_rom_mode rom;
	char rom_file[512];
	char id[PCI_DEV_ID_MAX]; /* "" when none: vm_pci_plug() gives a default */
	/* the id of the --net ...,failover=on this VF is the primary of; "" none */
	char failover[PCI_DEV_ID_MAX];
	/* the BARs DMA-mapped at their guest address for peer-to-peer (default on) */
	bool no_p2p;
	/*
	 * rootport=off: on bus 0 of the guest, not behind a PCIe root port of
	 * its own (the default for a device present at start; see pci_port.h)
	 */
	bool no_rootport;
	/* NVIDIA GPUDirect P2P clique id 0-15, -1 none (gpudirect-clique=N) */
	int clique;
};

#define VFIO_SPEC_CLIQUE_MAX 15

/*
 * Parse and validate (BDF canonical, token a UUID, id and failover device
 * ids); -EINVAL names the bad part.  Whether the failover target exists is
 * the front end's check.
 */
int vfio_pci_spec_parse(const char *spec, struct vfio_pci_spec *s, struct errinfo *e);

/*
 * A device id (id=NAME, failover=NETID): 1 to PCI_DEV_ID_MAX - 1 characters
 * of [A-Za-z0-9_.-], the first a letter.
 */
bool vfio_spec_id_valid(const char *s);

#endif
