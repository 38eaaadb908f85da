/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VF link settings as a user writes them ("mac 02:00:00:00:00:01 vlan 10
 * spoofchk off ..."), parsed and validated before anything is sent to the
 * kernel, so bad input changes nothing.  Shared by `vfctl set` and the
 * declared configuration.
 */
#ifndef VF_SETTINGS_H
#define VF_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "errinfo.h"
#include "vflink.h"

/* The keys, in the order a user may write them (bit numbers of vf_settings.given). */
enum vf_setting_key {
	VF_SET_MAC,
	VF_SET_VLAN,
	VF_SET_QOS,
	VF_SET_PROTO,
	VF_SET_MIN_TX_RATE,
	VF_SET_MAX_TX_RATE,
	VF_SET_SPOOFCHK,
	VF_SET_TRUST,
	VF_SET_STATE,
	VF_SET_QUERY_RSS,
	VF_SET_COUNT,
};

struct vf_settings {
	unsigned int given; /* 1 << enum vf_setting_key for each key given */
	uint8_t mac[6]; /* all zero = "mac clear" */
	struct vf_vlan vlan; /* qos/proto default to 0 / 802.1Q */
	uint32_t min_tx_rate; /* Mbit/s */
	uint32_t max_tx_rate; /* Mbit/s, 0 = unlimited */
	int spoofchk; /* 0/1 */
	int trust; /* 0/1 */
	int link_state; /* enum vf_link_state */
	int query_rss; /* 0/1 */
};

/* Start an empty set (nothing given). */
void vf_settings_init(struct vf_settings *s);
static inline bool vf_settings_has(const struct vf_settings *s, enum vf_setting_key k)
{
	return s->given & (1u << k);
}
/* Key name as the user writes it ("mac", "min_tx_rate", ...); NULL when out of range. */
const char *vf_setting_key_name(enum vf_setting_key k);
/* Key by name, or -1. */
int vf_setting_key_lookup(const char *name);

/*
 * Parse one "key value" pair into s.  -EINVAL with a message naming the key,
 * the value and what is accepted; a key given twice is an error too.
 */
int vf_settings_parse_one(struct vf_settings *s, const char *key, const char *value,
			  struct errinfo *e);
/* Parse argv as key value pairs, then vf_settings_check(). */
int vf_settings_parse(struct vf_settings *s, int argc, const char *const *argv, struct errinfo *e);
/* Rules between keys: qos/proto need vlan, min_tx_rate <= max_tx_rate, at least one key. */
int vf_settings_check(const struct vf_settings *s, struct errinfo *e);

#endif
