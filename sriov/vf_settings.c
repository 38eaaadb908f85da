// SPDX-License-Identifier: GPL-2.0-only
/* Parsing and validation of VF link settings (see vf_settings.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vf_settings.h"

static const char *const key_names[VFKEY_NR] = {
	[VFKEY_VLAN] = "vlan",
	[VFKEY_QOS] = "qos",
	[VFKEY_PROTO] = "proto",
	[VFKEY_MAC] = "mac",
	[VFKEY_MIN_TX_RATE] = "min_tx_rate",
	[VFKEY_MAX_TX_RATE] = "max_tx_rate",
	[VFKEY_SPOOFCHK] = "spoofchk",
	[VFKEY_TRUST] = "trust",
	[VFKEY_STATE] = "state",
	[VFKEY_QUERY_RSS] = "query_rss",
	[VFKEY_DRIVER] = "driver",
};

#define VALID_KEYS \
	"mac, vlan, qos, proto, min_tx_rate, max_tx_rate, spoofchk, trust, state, query_rss"

void vf_settings_init(struct vf_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->vlan.proto = VF_ETH_P_8021Q;
}

const char *vfkey_name(enum vfkey k)
{
	return (unsigned int)k < VFKEY_NR ? key_names[k] : "?";
}

int vfkey_lookup(const char *name)
{
	int k;

	for (k = 0; k < VFKEY_NR; k++)
		if (!strcmp(name, key_names[k]))
			return k;
	return -1;
}

int vfkey_group(enum vfkey k)
{
	if (k == VFKEY_VLAN || k == VFKEY_QOS || k == VFKEY_PROTO)
		return 1;
	if (k == VFKEY_MIN_TX_RATE || k == VFKEY_MAX_TX_RATE)
		return 2;
	return 0;
}

/* Decimal only: "010" or "0x10" for a VLAN is more likely a typo than intent. */
static int parse_uint(const char *s, unsigned long max, uint32_t *out)
{
	unsigned long v;
	char *end;

	if (!*s || *s == '-' || *s == '+' || (s[0] == '0' && s[1]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end || errno || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int parse_onoff(const char *key, const char *v, int *out, struct errinfo *e)
{
	if (!strcmp(v, "on"))
		*out = 1;
	else if (!strcmp(v, "off"))
		*out = 0;
	else
		return err_set(e, EINVAL, "invalid %s '%s': must be on or off", key, v);
	return 0;
}

static int parse_mac(struct vf_settings *s, const char *v, struct errinfo *e)
{
	if (!strcmp(v, "clear")) {
		memset(s->mac, 0, 6);
		return 0;
	}
	if (mac_parse(v, s->mac)) {
		err_set(e, EINVAL,
			"invalid mac '%s': expected six hex bytes like 02:00:00:00:00:01", v);
		return -EINVAL;
	}
	if (mac_is_zero(s->mac)) {
		err_set(e, EINVAL, "invalid mac '%s': all-zero is not an address", v);
		err_hint(e, "write 'mac clear' to remove the VF's administrative MAC");
		return -EINVAL;
	}
	if (mac_is_multicast(s->mac)) {
		err_set(e, EINVAL, "invalid mac '%s': it is a multicast%s address", v,
			mac_is_broadcast(s->mac) ? " (broadcast)" : "");
		err_hint(e, "the first byte must be even; 02:xx:xx:xx:xx:xx is a locally "
			    "administered unicast range");
		return -EINVAL;
	}
	return 0;
}

/* A module name as the kernel spells drivers: letters, digits, '_' and '-'. */
static bool valid_driver(const char *s)
{
	if (!*s || strlen(s) >= VF_DRIVER_LEN)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

int vf_settings_parse_key(struct vf_settings *s, const char *key, const char *value,
			  unsigned int flags, struct errinfo *e)
{
	uint32_t x;
	int k;

	k = vfkey_lookup(key);
	if (k < 0 || (k == VFKEY_DRIVER && !(flags & VF_PARSE_DRIVER))) {
		err_set(e, EINVAL, "unknown VF setting '%s'", key);
		err_hint(e, "valid settings: " VALID_KEYS);
		return -EINVAL;
	}
	if (!value)
		return err_set(e, EINVAL, "VF setting '%s' needs a value", key);
	if (vf_settings_has(s, k))
		return err_set(e, EINVAL, "VF setting '%s' given twice", key);
	switch (k) {
	case VFKEY_MAC:
		if (parse_mac(s, value, e))
			return -EINVAL;
		break;
	case VFKEY_VLAN:
		if (parse_uint(value, 4095, &x))
			return err_set(e, EINVAL,
				       "invalid vlan '%s': must be a VLAN ID 0-4095 (0 = no VLAN)",
				       value);
		s->vlan.vlan = (uint16_t)x;
		break;
	case VFKEY_QOS:
		if (parse_uint(value, 7, &x))
			return err_set(e, EINVAL, "invalid qos '%s': must be a priority 0-7",
				       value);
		s->vlan.qos = (uint8_t)x;
		break;
	case VFKEY_PROTO:
		if (!strcasecmp(value, "802.1Q"))
			s->vlan.proto = VF_ETH_P_8021Q;
		else if (!strcasecmp(value, "802.1ad"))
			s->vlan.proto = VF_ETH_P_8021AD;
		else
			return err_set(e, EINVAL, "invalid proto '%s': must be 802.1Q or 802.1ad",
				       value);
		break;
	case VFKEY_MIN_TX_RATE:
	case VFKEY_MAX_TX_RATE:
		if (parse_uint(value, UINT32_MAX, &x)) {
			err_set(e, EINVAL, "invalid %s '%s': must be a whole number of Mbit/s", key,
				value);
			err_hint(e, "0 means %s",
				 k == VFKEY_MIN_TX_RATE ? "no guaranteed rate" : "no limit");
			return -EINVAL;
		}
		if (k == VFKEY_MIN_TX_RATE)
			s->min_tx_rate = x;
		else
			s->max_tx_rate = x;
		break;
	case VFKEY_SPOOFCHK:
		if (parse_onoff(key, value, &s->spoofchk, e))
			return -EINVAL;
		break;
	case VFKEY_TRUST:
		if (parse_onoff(key, value, &s->trust, e))
			return -EINVAL;
		break;
	case VFKEY_QUERY_RSS:
		if (parse_onoff(key, value, &s->query_rss, e))
			return -EINVAL;
		break;
	case VFKEY_STATE:
		if (!strcmp(value, "auto"))
			s->link_state = VF_LINK_STATE_AUTO;
		else if (!strcmp(value, "enable"))
			s->link_state = VF_LINK_STATE_ENABLE;
		else if (!strcmp(value, "disable"))
			s->link_state = VF_LINK_STATE_DISABLE;
		else
			return err_set(e, EINVAL,
				       "invalid state '%s': must be auto, enable or disable",
				       value);
		break;
	case VFKEY_DRIVER:
		if (!valid_driver(value))
			return err_set(e, EINVAL,
				       "driver = \"%s\": expected a driver name like vfio-pci",
				       value);
		snprintf(s->driver, sizeof(s->driver), "%s", value);
		break;
	}
	s->given |= 1u << k;
	return 0;
}

int vf_settings_check(const struct vf_settings *s, struct errinfo *e)
{
	if (!s->given) {
		err_set(e, EINVAL, "no VF setting given");
		err_hint(e, "valid settings: " VALID_KEYS);
		return -EINVAL;
	}
	return vf_settings_check_keys(s, e);
}

int vf_settings_check_keys(const struct vf_settings *s, struct errinfo *e)
{
	if ((vf_settings_has(s, VFKEY_QOS) || vf_settings_has(s, VFKEY_PROTO)) &&
	    !vf_settings_has(s, VFKEY_VLAN)) {
		err_set(e, EINVAL, "%s is part of the VF VLAN and needs 'vlan' with it",
			vf_settings_has(s, VFKEY_QOS) ? "qos" : "proto");
		err_hint(e, "e.g. vlan 10 qos 3 proto 802.1Q");
		return -EINVAL;
	}
	if (vf_settings_has(s, VFKEY_VLAN) && s->vlan.vlan == 0 && s->vlan.qos != 0) {
		err_set(e, EINVAL, "qos %u without a VLAN ID: vlan 0 clears the VLAN", s->vlan.qos);
		return -EINVAL;
	}
	if (vf_settings_has(s, VFKEY_MIN_TX_RATE) && vf_settings_has(s, VFKEY_MAX_TX_RATE) &&
	    s->max_tx_rate && s->min_tx_rate > s->max_tx_rate) {
		err_set(e, EINVAL, "min_tx_rate %u is above max_tx_rate %u (Mbit/s)",
			s->min_tx_rate, s->max_tx_rate);
		err_hint(e, "the guaranteed rate cannot exceed the limit; max_tx_rate 0 means "
			    "no limit");
		return -EINVAL;
	}
	return 0;
}

int vf_settings_parse(struct vf_settings *s, int argc, const char *const *argv, struct errinfo *e)
{
	int i, ret;

	vf_settings_init(s);
	for (i = 0; i < argc; i += 2) {
		ret = vf_settings_parse_key(s, argv[i], i + 1 < argc ? argv[i + 1] : NULL, 0, e);
		if (ret)
			return ret;
	}
	return vf_settings_check(s, e);
}

bool vf_settings_same(const struct vf_settings *a, const struct vf_settings *b, enum vfkey k)
{
	switch (k) {
	case VFKEY_VLAN:
		return a->vlan.vlan == b->vlan.vlan;
	case VFKEY_QOS:
		return a->vlan.qos == b->vlan.qos;
	case VFKEY_PROTO:
		return a->vlan.proto == b->vlan.proto;
	case VFKEY_MAC:
		return !memcmp(a->mac, b->mac, MAC_LEN);
	case VFKEY_MIN_TX_RATE:
		return a->min_tx_rate == b->min_tx_rate;
	case VFKEY_MAX_TX_RATE:
		return a->max_tx_rate == b->max_tx_rate;
	case VFKEY_SPOOFCHK:
		return a->spoofchk == b->spoofchk;
	case VFKEY_TRUST:
		return a->trust == b->trust;
	case VFKEY_STATE:
		return a->link_state == b->link_state;
	case VFKEY_QUERY_RSS:
		return a->query_rss == b->query_rss;
	case VFKEY_DRIVER:
		return !strcmp(a->driver, b->driver);
	default:
		return false;
	}
}

void vf_settings_copy_key(struct vf_settings *dst, const struct vf_settings *src, enum vfkey k)
{
	switch (k) {
	case VFKEY_VLAN:
		dst->vlan.vlan = src->vlan.vlan;
		break;
	case VFKEY_QOS:
		dst->vlan.qos = src->vlan.qos;
		break;
	case VFKEY_PROTO:
		dst->vlan.proto = src->vlan.proto;
		break;
	case VFKEY_MAC:
		memcpy(dst->mac, src->mac, MAC_LEN);
		break;
	case VFKEY_MIN_TX_RATE:
		dst->min_tx_rate = src->min_tx_rate;
		break;
	case VFKEY_MAX_TX_RATE:
		dst->max_tx_rate = src->max_tx_rate;
		break;
	case VFKEY_SPOOFCHK:
		dst->spoofchk = src->spoofchk;
		break;
	case VFKEY_TRUST:
		dst->trust = src->trust;
		break;
	case VFKEY_STATE:
		dst->link_state = src->link_state;
		break;
	case VFKEY_QUERY_RSS:
		dst->query_rss = src->query_rss;
		break;
	case VFKEY_DRIVER:
		memcpy(dst->driver, src->driver, sizeof(dst->driver));
		break;
	default:
		return;
	}
	dst->given |= 1u << k;
}

char *vf_settings_value_str(const struct vf_settings *s, enum vfkey k, char *buf, size_t len)
{
	char mac[MAC_STR_LEN];

	switch (k) {
	case VFKEY_VLAN:
		snprintf(buf, len, "%u", s->vlan.vlan);
		break;
	case VFKEY_QOS:
		snprintf(buf, len, "%u", s->vlan.qos);
		break;
	case VFKEY_PROTO:
		/* A driver that reports no protocol uses 802.1Q. */
		snprintf(buf, len, "%s",
			 s->vlan.proto ? vf_vlan_proto_name(s->vlan.proto) : "802.1Q");
		break;
	case VFKEY_MAC:
		snprintf(buf, len, "%s", mac_str(s->mac, mac));
		break;
	case VFKEY_MIN_TX_RATE:
		snprintf(buf, len, "%u", s->min_tx_rate);
		break;
	case VFKEY_MAX_TX_RATE:
		snprintf(buf, len, "%u", s->max_tx_rate);
		break;
	case VFKEY_SPOOFCHK:
		snprintf(buf, len, "%s", s->spoofchk ? "on" : "off");
		break;
	case VFKEY_TRUST:
		snprintf(buf, len, "%s", s->trust ? "on" : "off");
		break;
	case VFKEY_STATE:
		snprintf(buf, len, "%s", vf_link_state_name(s->link_state));
		break;
	case VFKEY_QUERY_RSS:
		snprintf(buf, len, "%s", s->query_rss ? "on" : "off");
		break;
	case VFKEY_DRIVER:
		snprintf(buf, len, "%s", s->driver);
		break;
	default:
		snprintf(buf, len, "?");
		break;
	}
	return buf;
}

void vf_settings_defaults(struct vf_settings *s)
{
	vf_settings_init(s);
	s->spoofchk = 1;
	s->link_state = VF_LINK_STATE_AUTO;
	s->given = (1u << VFKEY_LINK_NR) - 1;
}

void vf_settings_from_link(struct vf_settings *s, const struct vf_link_info *in)
{
	vf_settings_init(s);
	if (in->has_mac) {
		memcpy(s->mac, in->mac, MAC_LEN);
		s->given |= 1u << VFKEY_MAC;
	}
	if (in->has_vlan) {
		s->vlan = in->vlan;
		if (!s->vlan.proto)
			s->vlan.proto = VF_ETH_P_8021Q;
		s->given |= 1u << VFKEY_VLAN | 1u << VFKEY_QOS | 1u << VFKEY_PROTO;
	}
	if (in->has_rate) {
		s->min_tx_rate = in->min_tx_rate;
		s->max_tx_rate = in->max_tx_rate;
		s->given |= 1u << VFKEY_MIN_TX_RATE | 1u << VFKEY_MAX_TX_RATE;
	}
	if (in->spoofchk >= 0) {
		s->spoofchk = in->spoofchk;
		s->given |= 1u << VFKEY_SPOOFCHK;
	}
	if (in->trust >= 0) {
		s->trust = in->trust;
		s->given |= 1u << VFKEY_TRUST;
	}
	if (in->link_state >= 0) {
		s->link_state = in->link_state;
		s->given |= 1u << VFKEY_STATE;
	}
	if (in->query_rss >= 0) {
		s->query_rss = in->query_rss;
		s->given |= 1u << VFKEY_QUERY_RSS;
	}
}

void vf_settings_to_link(const struct vf_settings *s, uint32_t vf, struct vf_link_info *out)
{
	memset(out, 0, sizeof(*out));
	out->vf = vf;
	out->has_mac = vf_settings_has(s, VFKEY_MAC);
	memcpy(out->mac, s->mac, MAC_LEN);
	out->has_vlan = vf_settings_has(s, VFKEY_VLAN) && vf_settings_has(s, VFKEY_QOS) &&
			vf_settings_has(s, VFKEY_PROTO);
	out->vlan = s->vlan;
	out->has_rate =
		vf_settings_has(s, VFKEY_MIN_TX_RATE) && vf_settings_has(s, VFKEY_MAX_TX_RATE);
	out->min_tx_rate = s->min_tx_rate;
	out->max_tx_rate = s->max_tx_rate;
	out->spoofchk = vf_settings_has(s, VFKEY_SPOOFCHK) ? s->spoofchk : -1;
	out->trust = vf_settings_has(s, VFKEY_TRUST) ? s->trust : -1;
	out->link_state = vf_settings_has(s, VFKEY_STATE) ? s->link_state : -1;
	out->query_rss = vf_settings_has(s, VFKEY_QUERY_RSS) ? s->query_rss : -1;
}
