// SPDX-License-Identifier: GPL-2.0-only
/* Apply VF link settings to one VF (see vf_apply.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vf_apply.h"

const char *vf_outcome_name(enum vf_outcome o)
{
	switch (o) {
	case VF_OUTCOME_APPLIED:
		return "applied";
	case VF_OUTCOME_UNCHANGED:
		return "unchanged";
	case VF_OUTCOME_UNSUPPORTED:
		return "unsupported";
	case VF_OUTCOME_FAILED:
		return "failed";
	}
	return "unknown";
}

void vf_apply_count(const struct vf_apply_report *rep, int counts[4])
{
	int i;

	memset(counts, 0, 4 * sizeof(int));
	for (i = 0; i < rep->n; i++)
		counts[rep->r[i].outcome]++;
}

static void pause_ms(unsigned int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * The requests for s, in apply order.  A rate given alone keeps the other
 * half of the pair from the VF's current value, as IFLA_VF_RATE sets both.
 */
static int build_values(const struct vf_settings *s, const struct vf_link_info *cur,
			struct vf_attr_value *v)
{
	int n = 0;

	if (vf_settings_has(s, VFKEY_VLAN)) {
		v[n].attr = VF_ATTR_VLAN;
		v[n++].vlan = s->vlan;
	}
	if (vf_settings_has(s, VFKEY_MAC)) {
		v[n].attr = VF_ATTR_MAC;
		memcpy(v[n++].mac, s->mac, 6);
	}
	if (vf_settings_has(s, VFKEY_MIN_TX_RATE) || vf_settings_has(s, VFKEY_MAX_TX_RATE)) {
		v[n].attr = VF_ATTR_RATE;
		v[n].rate.min_tx =
			vf_settings_has(s, VFKEY_MIN_TX_RATE) ? s->min_tx_rate : cur->min_tx_rate;
		v[n++].rate.max_tx =
			vf_settings_has(s, VFKEY_MAX_TX_RATE) ? s->max_tx_rate : cur->max_tx_rate;
	}
	if (vf_settings_has(s, VFKEY_SPOOFCHK)) {
		v[n].attr = VF_ATTR_SPOOFCHK;
		v[n++].on = s->spoofchk;
	}
	if (vf_settings_has(s, VFKEY_TRUST)) {
		v[n].attr = VF_ATTR_TRUST;
		v[n++].on = s->trust;
	}
	if (vf_settings_has(s, VFKEY_STATE)) {
		v[n].attr = VF_ATTR_LINK_STATE;
		v[n++].link_state = s->link_state;
	}
	if (vf_settings_has(s, VFKEY_QUERY_RSS)) {
		v[n].attr = VF_ATTR_QUERY_RSS;
		v[n++].on = s->query_rss;
	}
	return n;
}

/*
 * Does the VF as reported already hold v?  1 yes, 0 no, -1 the driver does
 * not report it (then we must send it).
 */
static int holds(const struct vf_link_info *vi, const struct vf_attr_value *v)
{
	switch (v->attr) {
	case VF_ATTR_MAC:
		return vi->has_mac ? !memcmp(vi->mac, v->mac, 6) : -1;
	case VF_ATTR_VLAN:
		if (!vi->has_vlan)
			return -1;
		/* With no VLAN set the protocol is meaningless. */
		if (!v->vlan.vlan && !v->vlan.qos)
			return !vi->vlan.vlan && !vi->vlan.qos;
		return vi->vlan.vlan == v->vlan.vlan && vi->vlan.qos == v->vlan.qos &&
		       vi->vlan.proto == v->vlan.proto;
	case VF_ATTR_RATE:
		if (!vi->has_rate)
			return -1;
		return vi->min_tx_rate == v->rate.min_tx && vi->max_tx_rate == v->rate.max_tx;
	case VF_ATTR_SPOOFCHK:
		return vi->spoofchk < 0 ? -1 : vi->spoofchk == (int)v->on;
	case VF_ATTR_TRUST:
		return vi->trust < 0 ? -1 : vi->trust == (int)v->on;
	case VF_ATTR_LINK_STATE:
		return vi->link_state < 0 ? -1 : vi->link_state == (int)v->link_state;
	case VF_ATTR_QUERY_RSS:
		return vi->query_rss < 0 ? -1 : vi->query_rss == (int)v->on;
	default:
		return -1;
	}
}

static void reported_str(const struct vf_link_info *vi, enum vf_attr a, char *buf, size_t len)
{
	struct vf_attr_value v = {.attr = a};

	switch (a) {
	case VF_ATTR_MAC:
		memcpy(v.mac, vi->mac, 6);
		break;
	case VF_ATTR_VLAN:
		v.vlan = vi->vlan;
		break;
	case VF_ATTR_RATE:
		v.rate.min_tx = vi->min_tx_rate;
		v.rate.max_tx = vi->max_tx_rate;
		break;
	case VF_ATTR_SPOOFCHK:
		v.on = vi->spoofchk;
		break;
	case VF_ATTR_TRUST:
		v.on = vi->trust;
		break;
	case VF_ATTR_LINK_STATE:
		v.link_state = vi->link_state;
		break;
	case VF_ATTR_QUERY_RSS:
		v.on = vi->query_rss;
		break;
	default:
		break;
	}
	vf_attr_value_str(&v, buf, len);
}

/* Send one setting, retrying transient refusals with a doubling pause. */
static int send_with_retry(struct vflink *l, const char *pf, uint32_t vf,
			   const struct vf_apply_opts *o, struct vf_apply_result *r,
			   struct errinfo *e)
{
	unsigned int pause = o->backoff_ms;
	int ret, tries = 0;

	for (;;) {
		err_clear(e);
		ret = vflink_set_vf(l, pf, vf, &r->value, e);
		tries++;
		if ((ret != -EBUSY && ret != -EAGAIN) || tries > o->retries)
			break;
		pause_ms(pause);
		pause = pause ? pause * 2 : 0;
	}
	r->attempts = tries;
	return ret;
}

/* Read the VF back; 0 and *vi filled, or -errno. */
static int read_vf(struct vflink *l, const char *pf, uint32_t vf, struct vf_link_info *vi, int *num,
		   struct errinfo *e)
{
	const struct vf_link_info *found;
	struct vf_link_info *vfs;
	int n, ret;

	ret = vflink_get_vfs(l, pf, &vfs, &n, e);
	if (ret)
		return ret;
	if (num)
		*num = n;
	found = vflink_find(vfs, n, vf);
	if (found)
		*vi = *found;
	free(vfs);
	if (!found) {
		if (!n) {
			err_set(e, ENOENT, "%s has no VFs enabled", pf);
			err_hint(e,
				 "if its PCI device supports SR-IOV (vfctl show tells), create "
				 "VFs first: vfctl vfs %s N",
				 pf);
		} else {
			err_set(e, ENOENT, "%s has %d VF%s (0-%d); VF %u does not exist", pf, n,
				n == 1 ? "" : "s", n - 1, vf);
		}
		return -ENOENT;
	}
	return 0;
}

/* The backend's message without its "<pf> VF <n>: setting <attr>: " lead, which the report already
 * shows. */
static const char *tail(const char *msg, const char *pf, uint32_t vf, enum vf_attr a)
{
	char lead[96];
	size_t n;

	n = (size_t)snprintf(lead, sizeof(lead), "%s VF %u: setting %s: ", pf, vf, vf_attr_name(a));
	return strncmp(msg, lead, n) ? msg : msg + n;
}

static void set_one(struct vflink *l, const char *pf, uint32_t vf, const struct vf_apply_opts *o,
		    const struct vf_link_info *cur, struct vf_apply_result *r)
{
	struct vf_link_info back;
	struct errinfo e;
	char want[96], got[96];
	int ret;

	if (holds(cur, &r->value) == 1) {
		r->outcome = VF_OUTCOME_UNCHANGED;
		return;
	}
	ret = send_with_retry(l, pf, vf, o, r, &e);
	/* igb and others take only 802.1Q and say so with EPROTONOSUPPORT. */
	if (ret == -EPROTONOSUPPORT && r->attr == VF_ATTR_VLAN) {
		r->outcome = VF_OUTCOME_UNSUPPORTED;
		r->err = EPROTONOSUPPORT;
		snprintf(r->msg, sizeof(r->msg),
			 "the PF driver of %s does not support VLAN protocol %s", pf,
			 vf_vlan_proto_name(r->value.vlan.proto));
		return;
	}
	if (ret == -EOPNOTSUPP) {
		r->outcome = VF_OUTCOME_UNSUPPORTED;
		r->err = EOPNOTSUPP;
		snprintf(r->msg, sizeof(r->msg), "%s", tail(e.msg, pf, vf, r->attr));
		return;
	}
	/* Drivers that do not allow VF VLANs refuse even a clear: nothing to clear then. */
	if (ret == -EPERM && r->attr == VF_ATTR_VLAN && !r->value.vlan.vlan && !r->value.vlan.qos) {
		r->outcome = VF_OUTCOME_UNCHANGED;
		snprintf(r->msg, sizeof(r->msg),
			 "the driver refused to clear the VLAN (EPERM); "
			 "ignored as there is nothing it lets us clear");
		return;
	}
	if (ret == -EINVAL && r->attr == VF_ATTR_RATE && !e.hint[0])
		err_hint(&e, "drivers refuse rates above the PF's link speed, and some any "
			     "min_tx_rate (igb: min_tx_rate 0 only, and the PF link must be up)");
	if (ret) {
		r->outcome = VF_OUTCOME_FAILED;
		r->err = -ret;
		snprintf(r->msg, sizeof(r->msg), "%s%s%s", tail(e.msg, pf, vf, r->attr),
			 e.hint[0] ? "; hint: " : "", e.hint);
		return;
	}
	r->outcome = VF_OUTCOME_APPLIED;
	if (r->attr != VF_ATTR_MAC || o->no_readback)
		return;
	/* A MAC is what the VF's consumer depends on: check it took before going on. */
	ret = read_vf(l, pf, vf, &back, NULL, &e);
	if (ret == -EINVAL && r->attr == VF_ATTR_RATE && !e.hint[0])
		err_hint(&e, "drivers refuse rates above the PF's link speed, and some any "
			     "min_tx_rate (igb: min_tx_rate 0 only, and the PF link must be up)");
	if (ret) {
		r->outcome = VF_OUTCOME_FAILED;
		r->err = -ret;
		snprintf(r->msg, sizeof(r->msg), "set, but reading it back failed: %s", e.msg);
	} else if (holds(&back, &r->value) == 0) {
		r->outcome = VF_OUTCOME_FAILED;
		r->err = EIO;
		snprintf(r->msg, sizeof(r->msg), "the driver accepted %s but reports %s",
			 vf_attr_value_str(&r->value, want, sizeof(want)),
			 (reported_str(&back, r->attr, got, sizeof(got)), got));
	}
}

int vf_apply(struct vflink *l, const char *pf, uint32_t vf, const struct vf_settings *s,
	     const struct vf_apply_opts *opts, struct vf_apply_report *rep, struct errinfo *e)
{
	const struct vf_apply_opts def = VF_APPLY_OPTS_DEFAULT;
	struct vf_attr_value vals[VF_ATTR_COUNT];
	struct vf_link_info cur, after;
	struct errinfo e2;
	char want[96], got[96];
	int i, n, ret, sent = 0;

	memset(rep, 0, sizeof(*rep));
	if (!opts)
		opts = &def;
	ret = vf_settings_check(s, e);
	if (ret)
		return ret;
	if (opts->cur) {
		cur = *opts->cur;
	} else {
		ret = read_vf(l, pf, vf, &cur, NULL, e);
		if (ret)
			return ret;
	}
	n = build_values(s, &cur, vals);
	/* A rate given alone, merged with the current other half, must still make sense. */
	for (i = 0; i < n; i++) {
		if (vals[i].attr == VF_ATTR_RATE && vals[i].rate.max_tx &&
		    vals[i].rate.min_tx > vals[i].rate.max_tx)
			return err_set(e, EINVAL,
				       "%s VF %u: min_tx_rate %u would exceed max_tx_rate %u "
				       "(the VF's current value)",
				       pf, vf, vals[i].rate.min_tx, vals[i].rate.max_tx);
	}
	for (i = 0; i < n; i++) {
		rep->r[i].attr = vals[i].attr;
		rep->r[i].value = vals[i];
		set_one(l, pf, vf, opts, &cur, &rep->r[i]);
		rep->n = i + 1;
		sent += rep->r[i].attempts;
	}
	/* Nothing sent (a repeated apply): the first read is still the truth. */
	if (!sent) {
		rep->after = cur;
		rep->have_after = true;
		return 0;
	}
	if (opts->no_readback)
		return 0;
	/* Read everything back once: a driver may accept a value and not apply it. */
	if (read_vf(l, pf, vf, &after, NULL, &e2))
		return 0;
	rep->after = after;
	rep->have_after = true;
	for (i = 0; i < rep->n; i++) {
		struct vf_apply_result *r = &rep->r[i];

		if (r->outcome != VF_OUTCOME_APPLIED || holds(&after, &r->value) != 0)
			continue;
		r->outcome = VF_OUTCOME_FAILED;
		r->err = EIO;
		snprintf(r->msg, sizeof(r->msg), "the driver accepted %s but reports %s",
			 vf_attr_value_str(&r->value, want, sizeof(want)),
			 (reported_str(&after, r->attr, got, sizeof(got)), got));
	}
	return 0;
}
