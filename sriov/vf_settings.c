// SPDX-License-Identifier: GPL-2.0-only
/* Parsing and validation of VF link settings (see vf_settings.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vf_settings.h"

static const char *const key_names[VF_SET_COUNT] = {
	[VF_SET_MAC] = "mac",
	[VF_SET_VLAN] = "vlan",
	[VF_SET_QOS] = "qos",
	[VF_SET_PROTO] = "proto",
	[VF_SET_MIN_TX_RATE] = "min_tx_rate",
	[VF_SET_MAX_TX_RATE] = "max_tx_rate",
	[VF_SET_SPOOFCHK] = "spoofchk",
	[VF_SET_TRUST] = "trust",
	[VF_SET_STATE] = "state",
	[VF_SET_QUERY_RSS] = "query_rss",
};

#define VALID_KEYS \
	"mac, vlan, qos, proto, min_tx_rate, max_tx_rate, spoofchk, trust, state, query_rss"

void vf_settings_init(struct vf_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->vlan.proto = VF_ETH_P_8021Q;
}

const char *vf_setting_key_name(enum vf_setting_key k)
{
	if ((unsigned int)k >= VF_SET_COUNT)
		return NULL;
	return key_names[k];
}

int vf_setting_key_lookup(const char *name)
{
	int k;

	for (k = 0; k < VF_SET_COUNT; k++)
		if (!strcmp(name, key_names[k]))
			return k;
	return -1;
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
	static const uint8_t zero[6];

	if (!strcmp(v, "clear")) {
		memset(s->mac, 0, 6);
		return 0;
	}
	if (vf_mac_parse(v, s->mac)) {
		err_set(e, EINVAL,
			"invalid mac '%s': expected six hex bytes like 02:00:00:00:00:01", v);
		return -EINVAL;
	}
	if (!memcmp(s->mac, zero, 6)) {
		err_set(e, EINVAL, "invalid mac '%s': all-zero is not an address", v);
		err_hint(e, "write 'mac clear' to remove the VF's administrative MAC");
		return -EINVAL;
	}
	if (s->mac[0] & 1) {
		err_set(e, EINVAL, "invalid mac '%s': it is a multicast%s address", v,
			memcmp(s->mac, "\xff\xff\xff\xff\xff\xff", 6) ? "" : " (broadcast)");
		err_hint(e, "the first byte must be even; 02:xx:xx:xx:xx:xx is a locally "
			    "administered unicast range");
		return -EINVAL;
	}
	return 0;
}

int vf_settings_parse_one(struct vf_settings *s, const char *key, const char *value,
			  struct errinfo *e)
{
	uint32_t x;
	int k;

	k = vf_setting_key_lookup(key);
	if (k < 0) {
		err_set(e, EINVAL, "unknown VF setting '%s'", key);
		err_hint(e, "valid settings: " VALID_KEYS);
		return -EINVAL;
	}
	if (!value)
		return err_set(e, EINVAL, "VF setting '%s' needs a value", key);
	if (vf_settings_has(s, k))
		return err_set(e, EINVAL, "VF setting '%s' given twice", key);
	switch (k) {
	case VF_SET_MAC:
		if (parse_mac(s, value, e))
			return -EINVAL;
		break;
	case VF_SET_VLAN:
		if (parse_uint(value, 4095, &x))
			return err_set(e, EINVAL,
				       "invalid vlan '%s': must be a VLAN ID 0-4095 (0 = no VLAN)",
				       value);
		s->vlan.vlan = (uint16_t)x;
		break;
	case VF_SET_QOS:
		if (parse_uint(value, 7, &x))
			return err_set(e, EINVAL, "invalid qos '%s': must be a priority 0-7",
				       value);
		s->vlan.qos = (uint8_t)x;
		break;
	case VF_SET_PROTO:
		if (!strcasecmp(value, "802.1Q"))
			s->vlan.proto = VF_ETH_P_8021Q;
		else if (!strcasecmp(value, "802.1ad"))
			s->vlan.proto = VF_ETH_P_8021AD;
		else
			return err_set(e, EINVAL, "invalid proto '%s': must be 802.1Q or 802.1ad",
				       value);
		break;
	case VF_SET_MIN_TX_RATE:
	case VF_SET_MAX_TX_RATE:
		if (parse_uint(value, UINT32_MAX, &x)) {
			err_set(e, EINVAL, "invalid %s '%s': must be a whole number of Mbit/s", key,
				value);
			err_hint(e, "0 means %s",
				 k == VF_SET_MIN_TX_RATE ? "no guaranteed rate" : "no limit");
			return -EINVAL;
		}
		if (k == VF_SET_MIN_TX_RATE)
			s->min_tx_rate = x;
		else
			s->max_tx_rate = x;
		break;
	case VF_SET_SPOOFCHK:
		if (parse_onoff(key, value, &s->spoofchk, e))
			return -EINVAL;
		break;
	case VF_SET_TRUST:
		if (parse_onoff(key, value, &s->trust, e))
			return -EINVAL;
		break;
	case VF_SET_QUERY_RSS:
		if (parse_onoff(key, value, &s->query_rss, e))
			return -EINVAL;
		break;
	case VF_SET_STATE:
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
	if ((vf_settings_has(s, VF_SET_QOS) || vf_settings_has(s, VF_SET_PROTO)) &&
	    !vf_settings_has(s, VF_SET_VLAN)) {
		err_set(e, EINVAL, "%s is part of the VF VLAN and needs 'vlan' with it",
			vf_settings_has(s, VF_SET_QOS) ? "qos" : "proto");
		err_hint(e, "e.g. vlan 10 qos 3 proto 802.1Q");
		return -EINVAL;
	}
	if (vf_settings_has(s, VF_SET_VLAN) && s->vlan.vlan == 0 && s->vlan.qos != 0) {
		err_set(e, EINVAL, "qos %u without a VLAN ID: vlan 0 clears the VLAN", s->vlan.qos);
		return -EINVAL;
	}
	if (vf_settings_has(s, VF_SET_MIN_TX_RATE) && vf_settings_has(s, VF_SET_MAX_TX_RATE) &&
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
		ret = vf_settings_parse_one(s, argv[i], i + 1 < argc ? argv[i + 1] : NULL, e);
		if (ret)
			return ret;
	}
	return vf_settings_check(s, e);
}
