// SPDX-License-Identifier: GPL-2.0-only
/* A VF's administrative MAC held for a failover pair (vf_mac.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mac.h"
#include "pci_dev.h"
#include "vf_mac.h"

int vf_mac_lease(struct vflink *l, const char *root, const char *vf_bdf, const uint8_t mac[6],
		 struct vf_mac_lease *ls, struct errinfo *e)
{
	struct vf_attr_value v = {.attr = VF_ATTR_MAC};
	const struct vf_link_info *cur;
	struct vf_link_info *vfs = NULL;
	struct pcidev vf, pf;
	char m[MAC_STR_LEN];
	int ret, n = 0;

	memset(ls, 0, sizeof(*ls));
	ret = pcidev_read(root, vf_bdf, &vf, e);
	if (ret < 0)
		return ret;
	if (!vf.is_vf || vf.vf_index < 0) {
		err_set(e, ENOTSUP, "%s is not an SR-IOV VF: its MAC cannot be set through a PF",
			vf_bdf);
		err_hint(e, "a failover primary must be a NIC VF whose PF has a network interface");
		return -ENOTSUP;
	}
	ret = pcidev_read(root, vf.physfn, &pf, e);
	if (ret < 0)
		return ret;
	if (!pf.n_netdevs) {
		err_set(e, ENODEV,
			"%s: its PF %s has no network interface to set the VF's MAC through",
			vf_bdf, vf.physfn);
		err_hint(e, "bind the PF to its network driver (vfctl restore %s)", vf.physfn);
		return -ENODEV;
	}
	snprintf(ls->vf_bdf, sizeof(ls->vf_bdf), "%s", vf_bdf);
	snprintf(ls->pf_bdf, sizeof(ls->pf_bdf), "%s", vf.physfn);
	snprintf(ls->pf_ifname, sizeof(ls->pf_ifname), "%s", pf.netdevs[0]);
	ls->vf = (uint32_t)vf.vf_index;
	ret = vflink_get_vfs(l, ls->pf_ifname, &vfs, &n, e);
	if (ret < 0) {
		err_prefix(e, "%s (VF %u of %s)", vf_bdf, ls->vf, ls->pf_ifname);
		return ret;
	}
	cur = vflink_find(vfs, n, ls->vf);
	if (cur && cur->has_mac)
		memcpy(ls->old, cur->mac, 6);
	free(vfs);
	memcpy(v.mac, mac, 6);
	ret = vflink_set_vf(l, ls->pf_ifname, ls->vf, &v, e);
	if (ret < 0) {
		mac_str(mac, m);
		err_prefix(e, "%s: setting its MAC to %s through %s (VF %u)", vf_bdf, m,
			   ls->pf_ifname, ls->vf);
		return ret;
	}
	ls->held = true;
	return 0;
}

int vf_mac_return(struct vflink *l, struct vf_mac_lease *ls, struct errinfo *e)
{
	struct vf_attr_value v = {.attr = VF_ATTR_MAC};
	char m[MAC_STR_LEN];
	int ret;

	if (!ls->held)
		return 0;
	memcpy(v.mac, ls->old, 6);
	ret = vflink_set_vf(l, ls->pf_ifname, ls->vf, &v, e);
	if (ret < 0) {
		mac_str(ls->old, m);
		err_prefix(e, "%s: putting its MAC %s back through %s (VF %u)", ls->vf_bdf, m,
			   ls->pf_ifname, ls->vf);
		err_hint(e, "ip link set %s vf %u mac %s", ls->pf_ifname, ls->vf, m);
		return ret;
	}
	ls->held = false;
	return 0;
}
