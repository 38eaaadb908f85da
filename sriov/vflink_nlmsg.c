// SPDX-License-Identifier: GPL-2.0-only
/*
 * Build and parse the rtnetlink messages behind VF link settings.  The
 * layout follows the kernel's rtnl_fill_vfinfo()/do_setvfinfo(): one
 * IFLA_VF_INFO nest per VF inside IFLA_VFINFO_LIST, each holding fixed
 * structs (struct ifla_vf_mac, ...) that start with the VF index.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "vflink_nlmsg.h"

#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED 0x100
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif

static int put_ifname(struct nl_msg *msg, const char *ifname, struct errinfo *e)
{
	if (strlen(ifname) >= IFNAMSIZ)
		return err_set(e, EINVAL, "interface name '%s' is longer than %d characters",
			       ifname, IFNAMSIZ - 1);
	if (nla_put_string(msg, IFLA_IFNAME, ifname) < 0)
		return err_set(e, ENOMEM, "%s: netlink message too small for the name", ifname);
	return 0;
}

static struct nl_msg *alloc_link_msg(int type, int flags)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	struct nl_msg *msg;

	msg = nlmsg_alloc_simple(type, flags);
	if (!msg)
		return NULL;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int vflink_nlmsg_build_get(const char *ifname, struct nl_msg **out, struct errinfo *e)
{
	/* VF info is only sent when asked for; stats would only make it bigger. */
	uint32_t mask = RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS;
	struct nl_msg *msg;
	int ret;

	*out = NULL;
	msg = alloc_link_msg(RTM_GETLINK, NLM_F_REQUEST);
	if (!msg)
		return err_set(e, ENOMEM, "%s: cannot allocate netlink message", ifname);
	ret = put_ifname(msg, ifname, e);
	if (ret)
		goto fail;
	if (nla_put_u32(msg, IFLA_EXT_MASK, mask) < 0) {
		ret = err_set(e, ENOMEM, "%s: netlink message too small", ifname);
		goto fail;
	}
	*out = msg;
	return 0;
fail:
	nlmsg_free(msg);
	return ret;
}

static int put_vf_attr(struct nl_msg *msg, uint32_t vf, const struct vf_attr_value *v)
{
	switch (v->attr) {
	case VF_ATTR_MAC: {
		struct ifla_vf_mac m = {.vf = vf};

		memcpy(m.mac, v->mac, 6);
		return nla_put(msg, IFLA_VF_MAC, sizeof(m), &m);
	}
	case VF_ATTR_VLAN: {
		struct ifla_vf_vlan_info vi = {
			.vf = vf,
			.vlan = v->vlan.vlan,
			.qos = v->vlan.qos,
			.vlan_proto = htons(v->vlan.proto),
		};
		struct ifla_vf_vlan vl = {.vf = vf, .vlan = v->vlan.vlan, .qos = v->vlan.qos};
		struct nlattr *list;

		/* The plain form reaches every driver; only 802.1ad needs the list form. */
		if (v->vlan.proto != VF_ETH_P_8021AD)
			return nla_put(msg, IFLA_VF_VLAN, sizeof(vl), &vl);
		list = nla_nest_start(msg, IFLA_VF_VLAN_LIST);
		if (!list || nla_put(msg, IFLA_VF_VLAN_INFO, sizeof(vi), &vi) < 0)
			return -ENOMEM;
		return nla_nest_end(msg, list);
	}
	case VF_ATTR_RATE: {
		struct ifla_vf_rate r = {
			.vf = vf,
			.min_tx_rate = v->rate.min_tx,
			.max_tx_rate = v->rate.max_tx,
		};

		return nla_put(msg, IFLA_VF_RATE, sizeof(r), &r);
	}
	case VF_ATTR_SPOOFCHK: {
		struct ifla_vf_spoofchk s = {.vf = vf, .setting = v->on};

		return nla_put(msg, IFLA_VF_SPOOFCHK, sizeof(s), &s);
	}
	case VF_ATTR_TRUST: {
		struct ifla_vf_trust t = {.vf = vf, .setting = v->on};

		return nla_put(msg, IFLA_VF_TRUST, sizeof(t), &t);
	}
	case VF_ATTR_LINK_STATE: {
		struct ifla_vf_link_state ls = {.vf = vf, .link_state = v->link_state};

		return nla_put(msg, IFLA_VF_LINK_STATE, sizeof(ls), &ls);
	}
	case VF_ATTR_QUERY_RSS: {
		struct ifla_vf_rss_query_en q = {.vf = vf, .setting = v->on};

		return nla_put(msg, IFLA_VF_RSS_QUERY_EN, sizeof(q), &q);
	}
	default:
		return -EINVAL;
	}
}

int vflink_nlmsg_build_set(const char *ifname, uint32_t vf, const struct vf_attr_value *v,
			   struct nl_msg **out, struct errinfo *e)
{
	struct nlattr *list, *info;
	struct nl_msg *msg;
	int ret;

	*out = NULL;
	if ((unsigned int)v->attr >= VF_ATTR_COUNT)
		return err_set(e, EINVAL, "%s VF %u: unknown VF attribute %d", ifname, vf, v->attr);
	msg = alloc_link_msg(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK);
	if (!msg)
		return err_set(e, ENOMEM, "%s: cannot allocate netlink message", ifname);
	ret = put_ifname(msg, ifname, e);
	if (ret)
		goto fail;
	list = nla_nest_start(msg, IFLA_VFINFO_LIST);
	info = list ? nla_nest_start(msg, IFLA_VF_INFO) : NULL;
	if (!info || put_vf_attr(msg, vf, v) < 0 || nla_nest_end(msg, info) < 0 ||
	    nla_nest_end(msg, list) < 0) {
		ret = err_set(e, ENOMEM, "%s VF %u: netlink message too small for %s", ifname, vf,
			      vf_attr_name(v->attr));
		goto fail;
	}
	*out = msg;
	return 0;
fail:
	nlmsg_free(msg);
	return ret;
}

/* Attribute payloads are fixed structs: a short one means a reply we cannot trust. */
static struct nla_policy vf_policy[IFLA_VF_MAX + 1] = {
	[IFLA_VF_MAC] = {.minlen = sizeof(struct ifla_vf_mac)},
	[IFLA_VF_VLAN] = {.minlen = sizeof(struct ifla_vf_vlan)},
	[IFLA_VF_VLAN_LIST] = {.type = NLA_NESTED},
	[IFLA_VF_TX_RATE] = {.minlen = sizeof(struct ifla_vf_tx_rate)},
	[IFLA_VF_RATE] = {.minlen = sizeof(struct ifla_vf_rate)},
	[IFLA_VF_SPOOFCHK] = {.minlen = sizeof(struct ifla_vf_spoofchk)},
	[IFLA_VF_LINK_STATE] = {.minlen = sizeof(struct ifla_vf_link_state)},
	[IFLA_VF_RSS_QUERY_EN] = {.minlen = sizeof(struct ifla_vf_rss_query_en)},
	[IFLA_VF_TRUST] = {.minlen = sizeof(struct ifla_vf_trust)},
	[IFLA_VF_STATS] = {.type = NLA_NESTED},
};

/* The kernel reports "driver did not say" as (u32)-1. */
static int tristate(uint32_t setting)
{
	return setting == (uint32_t)-1 ? -1 : !!setting;
}

static int parse_vf_vlan_list(struct nlattr *list, struct vf_link_info *vi)
{
	struct nlattr *a;
	int rem;

	for (a = nla_data(list), rem = nla_len(list); nla_ok(a, rem); a = nla_next(a, &rem)) {
		const struct ifla_vf_vlan_info *vv;

		if (nla_type(a) != IFLA_VF_VLAN_INFO || nla_len(a) < (int)sizeof(*vv))
			continue;
		vv = nla_data(a);
		vi->has_vlan = true;
		vi->vlan.vlan = vv->vlan;
		vi->vlan.qos = vv->qos;
		/* The kernel presets 802.1Q; a zero would come from an odd driver. */
		vi->vlan.proto = vv->vlan_proto ? ntohs(vv->vlan_proto) : VF_ETH_P_8021Q;
		/* The kernel sends at most one entry (MAX_VLAN_LIST_LEN). */
		return 0;
	}
	return 0;
}

static int parse_vf_info(struct nlattr *nest, struct vf_link_info *vi, struct errinfo *e)
{
	struct nlattr *tb[IFLA_VF_MAX + 1];
	const struct ifla_vf_mac *mac;
	int ret;

	ret = nla_parse_nested(tb, IFLA_VF_MAX, nest, vf_policy);
	if (ret < 0)
		return err_set(e, EPROTO, "malformed IFLA_VF_INFO in the kernel's reply");
	if (!tb[IFLA_VF_MAC])
		return err_set(e, EPROTO, "IFLA_VF_INFO without IFLA_VF_MAC in the kernel's reply");
	memset(vi, 0, sizeof(*vi));
	vi->spoofchk = vi->trust = vi->link_state = vi->query_rss = -1;
	mac = nla_data(tb[IFLA_VF_MAC]);
	vi->vf = mac->vf;
	vi->has_mac = true;
	memcpy(vi->mac, mac->mac, 6);
	if (tb[IFLA_VF_VLAN]) {
		const struct ifla_vf_vlan *vl = nla_data(tb[IFLA_VF_VLAN]);

		vi->has_vlan = true;
		vi->vlan.vlan = vl->vlan;
		vi->vlan.qos = vl->qos;
		vi->vlan.proto = VF_ETH_P_8021Q;
	}
	/* The list form carries the protocol; prefer it when present. */
	if (tb[IFLA_VF_VLAN_LIST])
		parse_vf_vlan_list(tb[IFLA_VF_VLAN_LIST], vi);
	if (tb[IFLA_VF_RATE]) {
		const struct ifla_vf_rate *r = nla_data(tb[IFLA_VF_RATE]);

		vi->has_rate = true;
		vi->min_tx_rate = r->min_tx_rate;
		vi->max_tx_rate = r->max_tx_rate;
	} else if (tb[IFLA_VF_TX_RATE]) {
		const struct ifla_vf_tx_rate *r = nla_data(tb[IFLA_VF_TX_RATE]);

		vi->has_rate = true;
		vi->max_tx_rate = r->rate;
	}
	if (tb[IFLA_VF_SPOOFCHK])
		vi->spoofchk = tristate(
			((const struct ifla_vf_spoofchk *)nla_data(tb[IFLA_VF_SPOOFCHK]))->setting);
	if (tb[IFLA_VF_TRUST])
		vi->trust = tristate(
			((const struct ifla_vf_trust *)nla_data(tb[IFLA_VF_TRUST]))->setting);
	if (tb[IFLA_VF_RSS_QUERY_EN])
		vi->query_rss = tristate(
			((const struct ifla_vf_rss_query_en *)nla_data(tb[IFLA_VF_RSS_QUERY_EN]))
				->setting);
	if (tb[IFLA_VF_LINK_STATE]) {
		uint32_t ls = ((const struct ifla_vf_link_state *)nla_data(tb[IFLA_VF_LINK_STATE]))
				      ->link_state;

		vi->link_state = ls <= VF_LINK_STATE_DISABLE ? (int)ls : -1;
	}
	return 0;
}

/*
 * Do the attributes fill the stream exactly?  libnl's parser stops quietly
 * at a cut attribute, which would turn a truncated reply into "no VFs".
 */
static bool attrs_fill(const struct nlattr *head, int len)
{
	const struct nlattr *a = head;
	int rem = len;

	while (nla_ok(a, rem))
		a = nla_next(a, &rem);
	return rem == 0;
}

static int cmp_vf(const void *a, const void *b)
{
	const struct vf_link_info *x = a, *y = b;

	return x->vf < y->vf ? -1 : x->vf > y->vf;
}

int vflink_nlmsg_parse_link(const struct nlmsghdr *nlh, int *num_vf, struct vf_link_info **out,
			    int *n, struct errinfo *e)
{
	struct nlattr *tb[IFLA_MAX + 1], *a;
	struct vf_link_info *vfs = NULL;
	int ret, rem, cnt = 0, cap = 0;

	*out = NULL;
	*n = 0;
	*num_vf = -1;
	if (nlh->nlmsg_type != RTM_NEWLINK)
		return err_set(e, EPROTO, "expected RTM_NEWLINK from the kernel, got type %u",
			       nlh->nlmsg_type);
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)) ||
	    !attrs_fill(nlmsg_attrdata(nlh, sizeof(struct ifinfomsg)),
			nlmsg_attrlen(nlh, sizeof(struct ifinfomsg))))
		return err_set(e, EPROTO, "truncated or malformed RTM_NEWLINK from the kernel");
	ret = nlmsg_parse((struct nlmsghdr *)nlh, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL);
	if (ret < 0)
		return err_set(e, EPROTO, "malformed RTM_NEWLINK from the kernel");
	if (tb[IFLA_NUM_VF] && nla_len(tb[IFLA_NUM_VF]) >= 4) {
		uint32_t v = nla_get_u32(tb[IFLA_NUM_VF]);

		/* as an int, 0xffffffff would read as -1: "not an SR-IOV PF" (found by fuzzing) */
		if (v > INT_MAX)
			return err_set(e, EPROTO, "IFLA_NUM_VF %u from the kernel is out of range",
				       v);
		*num_vf = (int)v;
	}
	if (!tb[IFLA_VFINFO_LIST])
		return 0;
	if (!attrs_fill(nla_data(tb[IFLA_VFINFO_LIST]), nla_len(tb[IFLA_VFINFO_LIST])))
		return err_set(e, EPROTO, "truncated IFLA_VFINFO_LIST from the kernel");
	for (a = nla_data(tb[IFLA_VFINFO_LIST]), rem = nla_len(tb[IFLA_VFINFO_LIST]);
	     nla_ok(a, rem); a = nla_next(a, &rem)) {
		if (nla_type(a) != IFLA_VF_INFO)
			continue;
		if (cnt == cap) {
			struct vf_link_info *nv;

			cap = cap ? cap * 2 : 8;
			nv = reallocarray(vfs, cap, sizeof(*vfs));
			if (!nv) {
				ret = err_set(e, ENOMEM, "no memory for %d VF entries", cap);
				goto fail;
			}
			vfs = nv;
		}
		ret = parse_vf_info(a, &vfs[cnt], e);
		if (ret)
			goto fail;
		cnt++;
	}
	if (cnt)
		qsort(vfs, cnt, sizeof(*vfs), cmp_vf);
	else {
		free(vfs);
		vfs = NULL;
	}
	*out = vfs;
	*n = cnt;
	return 0;
fail:
	free(vfs);
	return ret;
}

int vflink_nlmsg_parse_error(const struct nlmsghdr *nlh, int *err, char *ext_msg, size_t len)
{
	const struct nlmsgerr *me;
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off, total;

	if (len)
		ext_msg[0] = '\0';
	*err = 0;
	if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*me)))
		return -EPROTO;
	me = NLMSG_DATA(nlh);
	/* an errno is at most 4095 (MAX_ERRNO); INT_MIN would not even negate (found by fuzzing) */
	if (me->error < -4095 || me->error > 4095)
		return -EPROTO;
	*err = me->error < 0 ? -me->error : me->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	/* The TLVs follow the echoed request, or only its header when capped. */
	off = sizeof(*me);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(me->msg.nlmsg_len - NLMSG_HDRLEN);
	total = nlh->nlmsg_len - NLMSG_HDRLEN;
	if (me->msg.nlmsg_len < NLMSG_HDRLEN || off >= total)
		return 0;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)me + off), total - off,
		      NULL) < 0)
		return 0;
	if (tb[NLMSGERR_ATTR_MSG] && len)
		nla_strlcpy(ext_msg, tb[NLMSGERR_ATTR_MSG], len);
	return 0;
}
