// SPDX-License-Identifier: GPL-2.0-only
/*
 * rtnetlink message building and parsing for VF link settings.  Replies are
 * laid out by hand here, byte by byte as the kernel's rtnl_fill_vfinfo()
 * writes them, independently of libnl's builders used by the code.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <cmocka.h>

#include "vflink_nlmsg.h"

/* ---- a tiny netlink writer for canned kernel replies ---- */

struct buf {
	uint8_t b[8192] __attribute__((aligned(4)));
	size_t len;
};

static size_t put(struct buf *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(m->b + m->len);
	size_t at = m->len;

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (data)
		memcpy(m->b + m->len + NLA_HDRLEN, data, len);
	m->len += NLA_ALIGN(NLA_HDRLEN + len);
	return at;
}

static size_t nest_start(struct buf *m, uint16_t type)
{
	return put(m, type | NLA_F_NESTED, NULL, 0);
}

static void nest_end(struct buf *m, size_t at)
{
	((struct nlattr *)(m->b + at))->nla_len = m->len - at;
}

static struct nlmsghdr *newlink_start(struct buf *m)
{
	struct nlmsghdr *h = (struct nlmsghdr *)m->b;

	memset(m, 0, sizeof(*m));
	h->nlmsg_type = RTM_NEWLINK;
	m->len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	put(m, IFLA_IFNAME, "enp1s0f0", 9);
	return h;
}

static void finish(struct buf *m)
{
	((struct nlmsghdr *)m->b)->nlmsg_len = m->len;
}

static void put_vf(struct buf *m, uint32_t vf, const char *mac6, uint32_t vlan, uint32_t qos,
		   uint16_t proto, uint32_t spoof, uint32_t trust, uint32_t state)
{
	struct ifla_vf_mac mac = {.vf = vf};
	struct ifla_vf_vlan vl = {.vf = vf, .vlan = vlan, .qos = qos};
	struct ifla_vf_vlan_info vi = {
		.vf = vf, .vlan = vlan, .qos = qos, .vlan_proto = htons(proto)};
	struct ifla_vf_tx_rate tx = {.vf = vf, .rate = 500};
	struct ifla_vf_rate rate = {.vf = vf, .min_tx_rate = 100, .max_tx_rate = 500};
	struct ifla_vf_spoofchk sc = {.vf = vf, .setting = spoof};
	struct ifla_vf_link_state ls = {.vf = vf, .link_state = state};
	struct ifla_vf_rss_query_en rq = {.vf = vf, .setting = (uint32_t)-1};
	struct ifla_vf_trust tr = {.vf = vf, .setting = trust};
	size_t info, list;

	memcpy(mac.mac, mac6, 6);
	info = nest_start(m, IFLA_VF_INFO);
	put(m, IFLA_VF_MAC, &mac, sizeof(mac));
	put(m, IFLA_VF_VLAN, &vl, sizeof(vl));
	list = nest_start(m, IFLA_VF_VLAN_LIST);
	put(m, IFLA_VF_VLAN_INFO, &vi, sizeof(vi));
	nest_end(m, list);
	put(m, IFLA_VF_TX_RATE, &tx, sizeof(tx));
	put(m, IFLA_VF_RATE, &rate, sizeof(rate));
	put(m, IFLA_VF_SPOOFCHK, &sc, sizeof(sc));
	put(m, IFLA_VF_LINK_STATE, &ls, sizeof(ls));
	put(m, IFLA_VF_RSS_QUERY_EN, &rq, sizeof(rq));
	put(m, IFLA_VF_TRUST, &tr, sizeof(tr));
	nest_end(m, info);
}

/* ---- reading back what the builders made ---- */

static struct nlattr *find(void *head, int len, uint16_t type)
{
	struct nlattr *a = head;

	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len) {
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		len -= NLA_ALIGN(a->nla_len);
		a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
	}
	return NULL;
}

static void *payload(struct nlattr *a)
{
	return (char *)a + NLA_HDRLEN;
}

static int plen(struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

/* The single attribute inside IFLA_VFINFO_LIST/IFLA_VF_INFO of a SETLINK. */
static struct nlattr *set_inner(struct nl_msg *msg, uint16_t type)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	void *attrs = (char *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(struct ifinfomsg));
	int alen = h->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct ifinfomsg)));
	struct nlattr *name, *list, *info;

	assert_int_equal(h->nlmsg_type, RTM_SETLINK);
	assert_true(h->nlmsg_flags & NLM_F_REQUEST);
	assert_true(h->nlmsg_flags & NLM_F_ACK);
	name = find(attrs, alen, IFLA_IFNAME);
	assert_non_null(name);
	assert_string_equal((char *)payload(name), "enp1s0f0");
	list = find(attrs, alen, IFLA_VFINFO_LIST);
	assert_non_null(list);
	info = find(payload(list), plen(list), IFLA_VF_INFO);
	assert_non_null(info);
	return find(payload(info), plen(info), type);
}

static void build_get_asks_vf_info_without_stats(void **state)
{
	struct nl_msg *msg;
	struct nlmsghdr *h;
	struct nlattr *a;
	struct errinfo e;
	void *attrs;
	int alen;

	(void)state;
	assert_int_equal(vflink_nlmsg_build_get("enp1s0f0", &msg, &e), 0);
	h = nlmsg_hdr(msg);
	assert_int_equal(h->nlmsg_type, RTM_GETLINK);
	assert_false(h->nlmsg_flags & NLM_F_DUMP);
	attrs = (char *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(struct ifinfomsg));
	alen = h->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct ifinfomsg)));
	a = find(attrs, alen, IFLA_EXT_MASK);
	assert_non_null(a);
	assert_int_equal(*(uint32_t *)payload(a), RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS);
	a = find(attrs, alen, IFLA_IFNAME);
	assert_non_null(a);
	assert_string_equal((char *)payload(a), "enp1s0f0");
	nlmsg_free(msg);
}

static void build_rejects_long_ifname(void **state)
{
	struct nl_msg *msg;
	struct errinfo e;

	(void)state;
	assert_int_equal(vflink_nlmsg_build_get("a-very-long-ifname0", &msg, &e), -EINVAL);
	assert_null(msg);
	assert_non_null(strstr(e.msg, "a-very-long-ifname0"));
}

static void build_set_mac(void **state)
{
	struct vf_attr_value v = {.attr = VF_ATTR_MAC, .mac = {2, 0, 0, 0, 0, 0x42}};
	struct ifla_vf_mac *m;
	struct nl_msg *msg;
	struct nlattr *a;
	struct errinfo e;

	(void)state;
	assert_int_equal(vflink_nlmsg_build_set("enp1s0f0", 3, &v, &msg, &e), 0);
	a = set_inner(msg, IFLA_VF_MAC);
	assert_non_null(a);
	assert_int_equal(plen(a), sizeof(struct ifla_vf_mac));
	m = payload(a);
	assert_int_equal(m->vf, 3);
	assert_memory_equal(m->mac, "\x02\x00\x00\x00\x00\x42", 6);
	nlmsg_free(msg);
}

static void build_set_vlan_plain_and_list_forms(void **state)
{
	struct vf_attr_value v = {.attr = VF_ATTR_VLAN,
				  .vlan = {.vlan = 10, .qos = 3, .proto = VF_ETH_P_8021Q}};
	struct ifla_vf_vlan_info *vi;
	struct ifla_vf_vlan *vl;
	struct nl_msg *msg;
	struct nlattr *a;
	struct errinfo e;

	(void)state;
	assert_int_equal(vflink_nlmsg_build_set("enp1s0f0", 1, &v, &msg, &e), 0);
	a = set_inner(msg, IFLA_VF_VLAN);
	assert_non_null(a);
	vl = payload(a);
	assert_int_equal(vl->vf, 1);
	assert_int_equal(vl->vlan, 10);
	assert_int_equal(vl->qos, 3);
	assert_null(set_inner(msg, IFLA_VF_VLAN_LIST));
	nlmsg_free(msg);

	/* 802.1ad only exists in the list form, with the protocol in network order. */
	v.vlan.proto = VF_ETH_P_8021AD;
	assert_int_equal(vflink_nlmsg_build_set("enp1s0f0", 1, &v, &msg, &e), 0);
	assert_null(set_inner(msg, IFLA_VF_VLAN));
	a = set_inner(msg, IFLA_VF_VLAN_LIST);
	assert_non_null(a);
	a = find(payload(a), plen(a), IFLA_VF_VLAN_INFO);
	assert_non_null(a);
	vi = payload(a);
	assert_int_equal(vi->vf, 1);
	assert_int_equal(vi->vlan, 10);
	assert_int_equal(vi->qos, 3);
	assert_int_equal(vi->vlan_proto, htons(0x88a8));
	nlmsg_free(msg);
}

static void build_set_scalar_attributes(void **state)
{
	struct vf_attr_value rate = {.attr = VF_ATTR_RATE, .rate = {.min_tx = 10, .max_tx = 900}};
	struct vf_attr_value spoof = {.attr = VF_ATTR_SPOOFCHK, .on = 0};
	struct vf_attr_value trust = {.attr = VF_ATTR_TRUST, .on = 1};
	struct vf_attr_value ls = {.attr = VF_ATTR_LINK_STATE, .link_state = VF_LINK_STATE_DISABLE};
	struct vf_attr_value rss = {.attr = VF_ATTR_QUERY_RSS, .on = 1};
	struct nl_msg *msg;
	struct nlattr *a;
	struct errinfo e;

	(void)state;
	assert_int_equal(vflink_nlmsg_build_set("enp1s0f0", 7, &rate, &msg, &e), 0);
	a = set_inner(msg, IFLA_VF_RATE);
	assert_non_null(a);
	assert_int_equal(((struct ifla_vf_rate *)payload(a))->vf, 7);
	assert_int_equal(((struct ifla_vf_rate *)payload(a))->min_tx_rate, 10);
	assert_int_equal(((struct ifla_vf_rate *)payload(a))->max_tx_rate, 900);
	nlmsg_free(msg);

	assert_int_equal(vflink_nlmsg_build_set("enp1s0f0", 7, &spoof, &msg, &e), 0);
	a = set_inner(msg, IFLA_VF_SPOOFCHK);
	assert_non_null(a);
	assert_int_equal(((struct ifla_vf_spoofchk *)payload(a))->setting, 0);
	nlmsg_free(msg);

	assert_int_equal(vflink_nlmsg_build_set("enp1s0f0", 7, &trust, &msg, &e), 0);
	a = set_inner(msg, IFLA_VF_TRUST);
	assert_non_null(a);
	assert_int_equal(((struct ifla_vf_trust *)payload(a))->setting, 1);
	nlmsg_free(msg);

	assert_int_equal(vflink_nlmsg_build_set("enp1s0f0", 7, &ls, &msg, &e), 0);
	a = set_inner(msg, IFLA_VF_LINK_STATE);
	assert_non_null(a);
	assert_int_equal(((struct ifla_vf_link_state *)payload(a))->link_state,
			 IFLA_VF_LINK_STATE_DISABLE);
	nlmsg_free(msg);

	assert_int_equal(vflink_nlmsg_build_set("enp1s0f0", 7, &rss, &msg, &e), 0);
	a = set_inner(msg, IFLA_VF_RSS_QUERY_EN);
	assert_non_null(a);
	assert_int_equal(((struct ifla_vf_rss_query_en *)payload(a))->setting, 1);
	nlmsg_free(msg);
}

static void parse_two_vfs_out_of_order(void **state)
{
	static struct buf m;
	struct vf_link_info *vfs;
	struct errinfo e;
	uint32_t nvf = 2;
	size_t list;
	int num, n;

	(void)state;
	newlink_start(&m);
	put(&m, IFLA_NUM_VF, &nvf, 4);
	list = nest_start(&m, IFLA_VFINFO_LIST);
	put_vf(&m, 1, "\x02\x00\x00\x00\x00\x02", 20, 5, 0x88a8, (uint32_t)-1, 1,
	       IFLA_VF_LINK_STATE_ENABLE);
	put_vf(&m, 0, "\x02\x00\x00\x00\x00\x01", 0, 0, 0x8100, 1, 0, IFLA_VF_LINK_STATE_AUTO);
	nest_end(&m, list);
	finish(&m);

	assert_int_equal(vflink_nlmsg_parse_link((struct nlmsghdr *)m.b, &num, &vfs, &n, &e), 0);
	assert_int_equal(num, 2);
	assert_int_equal(n, 2);
	assert_int_equal(vfs[0].vf, 0);
	assert_memory_equal(vfs[0].mac, "\x02\x00\x00\x00\x00\x01", 6);
	assert_int_equal(vfs[0].spoofchk, 1);
	assert_int_equal(vfs[0].trust, 0);
	assert_int_equal(vfs[0].link_state, VF_LINK_STATE_AUTO);
	assert_int_equal(vfs[0].vlan.proto, VF_ETH_P_8021Q);
	assert_int_equal(vfs[1].vf, 1);
	assert_true(vfs[1].has_vlan);
	assert_int_equal(vfs[1].vlan.vlan, 20);
	assert_int_equal(vfs[1].vlan.qos, 5);
	assert_int_equal(vfs[1].vlan.proto, VF_ETH_P_8021AD);
	assert_true(vfs[1].has_rate);
	assert_int_equal(vfs[1].min_tx_rate, 100);
	assert_int_equal(vfs[1].max_tx_rate, 500);
	/* (u32)-1 is the kernel's "the driver did not say". */
	assert_int_equal(vfs[1].spoofchk, -1);
	assert_int_equal(vfs[1].query_rss, -1);
	assert_int_equal(vfs[1].trust, 1);
	assert_int_equal(vfs[1].link_state, VF_LINK_STATE_ENABLE);
	free(vfs);
}

static void parse_many_vfs(void **state)
{
	static struct buf m;
	struct vf_link_info *vfs;
	struct errinfo e;
	uint32_t nvf = 40;
	char mac[6] = {2, 0, 0, 0, 0, 0};
	size_t list;
	int num, n, i;

	(void)state;
	newlink_start(&m);
	put(&m, IFLA_NUM_VF, &nvf, 4);
	list = nest_start(&m, IFLA_VFINFO_LIST);
	for (i = 39; i >= 0; i--) {
		mac[5] = (char)i;
		put_vf(&m, i, mac, i, 0, 0x8100, 1, 0, 0);
	}
	nest_end(&m, list);
	finish(&m);
	assert_int_equal(vflink_nlmsg_parse_link((struct nlmsghdr *)m.b, &num, &vfs, &n, &e), 0);
	assert_int_equal(n, 40);
	for (i = 0; i < 40; i++) {
		assert_int_equal(vfs[i].vf, i);
		assert_int_equal(vfs[i].mac[5], i);
		assert_int_equal(vfs[i].vlan.vlan, i);
	}
	free(vfs);
}

static void parse_link_without_num_vf_is_not_a_pf(void **state)
{
	static struct buf m;
	struct vf_link_info *vfs = (void *)1;
	struct errinfo e;
	uint32_t mtu = 1500;
	int num = 5, n = 5;

	(void)state;
	newlink_start(&m);
	put(&m, IFLA_MTU, &mtu, 4);
	finish(&m);
	assert_int_equal(vflink_nlmsg_parse_link((struct nlmsghdr *)m.b, &num, &vfs, &n, &e), 0);
	assert_int_equal(num, -1);
	assert_int_equal(n, 0);
	assert_null(vfs);
}

static void parse_pf_with_zero_vfs(void **state)
{
	static struct buf m;
	struct vf_link_info *vfs;
	struct errinfo e;
	uint32_t nvf = 0;
	int num, n;

	(void)state;
	newlink_start(&m);
	put(&m, IFLA_NUM_VF, &nvf, 4);
	finish(&m);
	assert_int_equal(vflink_nlmsg_parse_link((struct nlmsghdr *)m.b, &num, &vfs, &n, &e), 0);
	assert_int_equal(num, 0);
	assert_int_equal(n, 0);
	assert_null(vfs);
}

static void parse_rejects_truncated_vf_mac(void **state)
{
	static struct buf m;
	struct vf_link_info *vfs;
	struct errinfo e;
	uint32_t nvf = 1;
	size_t list, info;
	int num, n;

	(void)state;
	newlink_start(&m);
	put(&m, IFLA_NUM_VF, &nvf, 4);
	list = nest_start(&m, IFLA_VFINFO_LIST);
	info = nest_start(&m, IFLA_VF_INFO);
	put(&m, IFLA_VF_MAC, "\0\0\0\0\x02\0\0\0\0\0", 10); /* shorter than struct ifla_vf_mac */
	nest_end(&m, info);
	nest_end(&m, list);
	finish(&m);
	assert_int_equal(vflink_nlmsg_parse_link((struct nlmsghdr *)m.b, &num, &vfs, &n, &e),
			 -EPROTO);
	assert_non_null(strstr(e.msg, "IFLA_VF_INFO"));
}

static void parse_rejects_wrong_message_type(void **state)
{
	static struct buf m;
	struct vf_link_info *vfs;
	struct errinfo e;
	int num, n;

	(void)state;
	newlink_start(&m);
	finish(&m);
	((struct nlmsghdr *)m.b)->nlmsg_type = RTM_NEWADDR;
	assert_int_equal(vflink_nlmsg_parse_link((struct nlmsghdr *)m.b, &num, &vfs, &n, &e),
			 -EPROTO);
}

/* IFLA_NUM_VF above INT_MAX must not read as -1 ("not a PF"); found by fuzzing. */
static void parse_rejects_num_vf_out_of_range(void **state)
{
	static struct buf m;
	struct vf_link_info *vfs;
	struct errinfo e;
	uint32_t nvf = 0xffffffff;
	int num, n;

	(void)state;
	newlink_start(&m);
	put(&m, IFLA_NUM_VF, &nvf, 4);
	finish(&m);
	assert_int_equal(vflink_nlmsg_parse_link((struct nlmsghdr *)m.b, &num, &vfs, &n, &e),
			 -EPROTO);
	assert_non_null(strstr(e.msg, "IFLA_NUM_VF 4294967295"));
	nvf = 0x7fffffff;
	newlink_start(&m);
	put(&m, IFLA_NUM_VF, &nvf, 4);
	finish(&m);
	assert_int_equal(vflink_nlmsg_parse_link((struct nlmsghdr *)m.b, &num, &vfs, &n, &e), 0);
	assert_int_equal(num, 0x7fffffff);
}

/* An error field that is no errno (INT_MIN would overflow on negation); found by fuzzing. */
static void error_out_of_errno_range(void **state)
{
	static struct buf m;
	struct nlmsghdr *h = (struct nlmsghdr *)m.b;
	const int bad[] = {INT_MIN, -4096, 4096, INT_MAX};
	char msg[16];
	int err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&m, 0, sizeof(m));
		h->nlmsg_type = NLMSG_ERROR;
		((struct nlmsgerr *)NLMSG_DATA(h))->error = bad[i];
		m.len = NLMSG_LENGTH(sizeof(struct nlmsgerr));
		finish(&m);
		assert_int_equal(vflink_nlmsg_parse_error(h, &err, msg, sizeof(msg)), -EPROTO);
	}
	((struct nlmsgerr *)NLMSG_DATA(h))->error = -4095;
	assert_int_equal(vflink_nlmsg_parse_error(h, &err, msg, sizeof(msg)), 0);
	assert_int_equal(err, 4095);
}

/* NLMSG_ERROR as the kernel sends it with NETLINK_CAP_ACK + NETLINK_EXT_ACK. */
static void error_with_extack(void **state)
{
	static struct buf m;
	struct nlmsghdr *h = (struct nlmsghdr *)m.b;
	struct nlmsgerr *me;
	char msg[256];
	const char *text = "VF 3 is still in reset";
	uint32_t offs = 20;
	int err;

	(void)state;
	memset(&m, 0, sizeof(m));
	h->nlmsg_type = NLMSG_ERROR;
	h->nlmsg_flags = 0x100 | 0x200; /* NLM_F_CAPPED | NLM_F_ACK_TLVS */
	me = NLMSG_DATA(h);
	me->error = -EBUSY;
	me->msg.nlmsg_len = 120; /* the request's length; only its header is echoed */
	me->msg.nlmsg_type = RTM_SETLINK;
	m.len = NLMSG_LENGTH(sizeof(*me));
	put(&m, NLMSGERR_ATTR_OFFS, &offs, 4);
	put(&m, NLMSGERR_ATTR_MSG, text, strlen(text) + 1);
	finish(&m);
	assert_int_equal(vflink_nlmsg_parse_error(h, &err, msg, sizeof(msg)), 0);
	assert_int_equal(err, EBUSY);
	assert_string_equal(msg, text);
}

static void error_uncapped_with_extack(void **state)
{
	static struct buf m;
	struct nlmsghdr *h = (struct nlmsghdr *)m.b;
	struct nlmsgerr *me;
	char msg[256];
	int err;

	(void)state;
	memset(&m, 0, sizeof(m));
	h->nlmsg_type = NLMSG_ERROR;
	h->nlmsg_flags = 0x200; /* NLM_F_ACK_TLVS, whole request echoed */
	me = NLMSG_DATA(h);
	me->error = -EOPNOTSUPP;
	me->msg.nlmsg_len = NLMSG_LENGTH(24);
	m.len = NLMSG_LENGTH(sizeof(*me)) + 24; /* echoed payload, zeros */
	put(&m, NLMSGERR_ATTR_MSG, "no VF VLAN here", 16);
	finish(&m);
	assert_int_equal(vflink_nlmsg_parse_error(h, &err, msg, sizeof(msg)), 0);
	assert_int_equal(err, EOPNOTSUPP);
	assert_string_equal(msg, "no VF VLAN here");
}

static void ack_and_plain_error(void **state)
{
	static struct buf m;
	struct nlmsghdr *h = (struct nlmsghdr *)m.b;
	struct nlmsgerr *me;
	char msg[64] = "stale";
	int err = 99;

	(void)state;
	memset(&m, 0, sizeof(m));
	h->nlmsg_type = NLMSG_ERROR;
	me = NLMSG_DATA(h);
	me->error = 0;
	m.len = NLMSG_LENGTH(sizeof(*me));
	finish(&m);
	assert_int_equal(vflink_nlmsg_parse_error(h, &err, msg, sizeof(msg)), 0);
	assert_int_equal(err, 0);
	assert_string_equal(msg, "");
	me->error = -EPERM;
	assert_int_equal(vflink_nlmsg_parse_error(h, &err, msg, sizeof(msg)), 0);
	assert_int_equal(err, EPERM);
	assert_string_equal(msg, "");
	h->nlmsg_type = RTM_NEWLINK;
	assert_int_equal(vflink_nlmsg_parse_error(h, &err, msg, sizeof(msg)), -EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(build_get_asks_vf_info_without_stats),
		cmocka_unit_test(build_rejects_long_ifname),
		cmocka_unit_test(build_set_mac),
		cmocka_unit_test(build_set_vlan_plain_and_list_forms),
		cmocka_unit_test(build_set_scalar_attributes),
		cmocka_unit_test(parse_two_vfs_out_of_order),
		cmocka_unit_test(parse_many_vfs),
		cmocka_unit_test(parse_link_without_num_vf_is_not_a_pf),
		cmocka_unit_test(parse_pf_with_zero_vfs),
		cmocka_unit_test(parse_rejects_truncated_vf_mac),
		cmocka_unit_test(parse_rejects_wrong_message_type),
		cmocka_unit_test(parse_rejects_num_vf_out_of_range),
		cmocka_unit_test(error_out_of_errno_range),
		cmocka_unit_test(error_with_extack),
		cmocka_unit_test(error_uncapped_with_extack),
		cmocka_unit_test(ack_and_plain_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
