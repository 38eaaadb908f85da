/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A VF's administrative MAC held for a while: a failover primary must carry
 * the MAC of its virtio-net standby, set through the PF (the guest cannot
 * change it), and the VF gets back what it had when it leaves the VM.
 */
#ifndef SRIOV_VF_MAC_H
#define SRIOV_VF_MAC_H

#include <stdbool.h>
#include <stdint.h>

#include "errinfo.h"
#include "pci_addr.h"
#include "vflink.h"

struct vf_mac_lease {
	char vf_bdf[BDF_LEN];
	char pf_bdf[BDF_LEN];
	char pf_ifname[16];
	uint32_t vf; /* index under the PF */
	uint8_t old[6]; /* what the VF had (all zero: none) */
	bool held;
};

/*
 * Find @vf_bdf's PF netdev and VF index (sysfs under @root, "" for /),
 * remember the VF's MAC and set @mac.  Refused naming the VF: not a VF,
 * its PF has no network interface, or the PF's driver will not set it
 * (nothing changed then).
 */
int vf_mac_lease(struct vflink *l, const char *root, const char *vf_bdf, const uint8_t mac[6],
		 struct vf_mac_lease *ls, struct errinfo *e);
/* Put the remembered MAC back (idempotent); -errno naming the VF and PF. */
int vf_mac_return(struct vflink *l, struct vf_mac_lease *ls, struct errinfo *e);

#endif
