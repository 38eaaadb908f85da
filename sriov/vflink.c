// SPDX-License-Identifier: GPL-2.0-only
/* Backend-independent part of the VF link interface: dispatch and names. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vflink.h"

int vflink_get_vfs(struct vflink *l, const char *pf_ifname, struct vf_link_info **out, int *n,
		   struct errinfo *e)
{
	*out = NULL;
	*n = 0;
	if (!l || !pf_ifname || !*pf_ifname)
		return err_set(e, EINVAL, "VF table: no PF interface name given");
	return l->ops->get_vfs(l, pf_ifname, out, n, e);
}

int vflink_set_vf(struct vflink *l, const char *pf_ifname, uint32_t vf,
		  const struct vf_attr_value *v, struct errinfo *e)
{
	if (!l || !pf_ifname || !*pf_ifname)
		return err_set(e, EINVAL, "VF setting: no PF interface name given");
	if (v->attr >= VF_ATTR_COUNT)
		return err_set(e, EINVAL, "%s VF %u: unknown attribute %d", pf_ifname, vf, v->attr);
	return l->ops->set_vf(l, pf_ifname, vf, v, e);
}

void vflink_close(struct vflink *l)
{
	if (l)
		l->ops->close(l);
}

const struct vf_link_info *vflink_find(const struct vf_link_info *vfs, int n, uint32_t vf)
{
	int i;

	for (i = 0; i < n; i++)
		if (vfs[i].vf == vf)
			return &vfs[i];
	return NULL;
}

const char *vf_attr_name(enum vf_attr a)
{
	static const char *const names[VF_ATTR_COUNT] = {
		[VF_ATTR_MAC] = "mac",
		[VF_ATTR_VLAN] = "vlan",
		[VF_ATTR_RATE] = "rate",
		[VF_ATTR_SPOOFCHK] = "spoofchk",
		[VF_ATTR_TRUST] = "trust",
		[VF_ATTR_LINK_STATE] = "state",
		[VF_ATTR_QUERY_RSS] = "query_rss",
	};

	if ((unsigned int)a >= VF_ATTR_COUNT)
		return "unknown";
	return names[a];
}

const char *vf_link_state_name(int state)
{
	switch (state) {
	case VF_LINK_STATE_AUTO:
		return "auto";
	case VF_LINK_STATE_ENABLE:
		return "enable";
	case VF_LINK_STATE_DISABLE:
		return "disable";
	default:
		return "unknown";
	}
}

const char *vf_vlan_proto_name(uint16_t proto)
{
	switch (proto) {
	case VF_ETH_P_8021Q:
		return "802.1Q";
	case VF_ETH_P_8021AD:
		return "802.1ad";
	default:
		return "unknown";
	}
}

int vflink_report_error(struct errinfo *e, int err, const char *ifname, const char *what,
			const char *ext_msg)
{
	size_t len;

	if (err < 0)
		err = -err;
	switch (err) {
	case ENODEV:
		err_set(e, ENODEV, "%s: no network interface named '%s'", what, ifname);
		err_hint(e, "give the PF's netdev name (ip -br link) or its PCI address");
		break;
	case EOPNOTSUPP:
		err_sys(e, err, "%s: the PF driver of %s does not support this", what, ifname);
		break;
	case EPERM:
		err_sys(e, err, "%s: refused", what);
		err_hint(e, "run as root (CAP_NET_ADMIN is needed); some drivers also refuse "
			    "while the VF is in use");
		break;
	case EBUSY:
	case EAGAIN:
		err_sys(e, err, "%s: the device is busy", what);
		err_hint(e, "the VF may still be resetting; try again in a moment");
		break;
	default:
		err_sys(e, err, "%s", what);
		break;
	}
	if (ext_msg && ext_msg[0]) {
		len = strlen(e ? e->msg : "");
		if (e)
			snprintf(e->msg + len, sizeof(e->msg) - len, " (driver says: %s)", ext_msg);
	}
	return -err;
}

char *vf_attr_value_str(const struct vf_attr_value *v, char *buf, size_t len)
{
	char mac[18];

	switch (v->attr) {
	case VF_ATTR_MAC:
		snprintf(buf, len, "mac %s", mac_str(v->mac, mac));
		break;
	case VF_ATTR_VLAN:
		snprintf(buf, len, "vlan %u qos %u proto %s", v->vlan.vlan, v->vlan.qos,
			 vf_vlan_proto_name(v->vlan.proto));
		break;
	case VF_ATTR_RATE:
		snprintf(buf, len, "rate min_tx %u max_tx %u", v->rate.min_tx, v->rate.max_tx);
		break;
	case VF_ATTR_LINK_STATE:
		snprintf(buf, len, "state %s", vf_link_state_name((int)v->link_state));
		break;
	default:
		snprintf(buf, len, "%s %s", vf_attr_name(v->attr), v->on ? "on" : "off");
		break;
	}
	return buf;
}
