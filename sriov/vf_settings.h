/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one model of a VF's settings: what a user writes ("mac
 * 02:00:00:00:00:01 vlan 10 spoofchk off ..." to `vfctl set`, or
 * "key = value" lines in a [vf N] section of /etc/vfctl.d/NAME.conf), what
 * the kernel reports, what the ledger remembers and what apply sends - all
 * as one typed struct.  One parser and one validator check the text once,
 * so bad input changes nothing and no layer parses a value again.
 */
#ifndef VF_SETTINGS_H
#define VF_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errinfo.h"
#include "mac.h"
#include "vflink.h"

/*
 * The settings, in the order they are applied (see host-interfaces.md):
 * the VLAN first, the MAC before the VF's consumer binds, the driver last.
 * Bit numbers of vf_settings.given.
 */
enum vfkey {
	VFKEY_VLAN,
	VFKEY_QOS,
	VFKEY_PROTO,
	VFKEY_MAC,
	VFKEY_MIN_TX_RATE,
	VFKEY_MAX_TX_RATE,
	VFKEY_SPOOFCHK,
	VFKEY_TRUST,
	VFKEY_STATE,
	VFKEY_QUERY_RSS,
	VFKEY_DRIVER, /* the host driver: declared configuration only */
	VFKEY_NR,
};
/* The link settings (set through the PF netdev) are the keys before VFKEY_DRIVER. */
#define VFKEY_LINK_NR VFKEY_DRIVER
#define VF_DRIVER_LEN 64

struct vf_settings {
	unsigned int given; /* 1 << enum vfkey for each key given (or reported) */
	uint8_t mac[MAC_LEN]; /* all zero = no administrative MAC ("mac clear") */
	struct vf_vlan vlan; /* vlan 0 qos 0 = no VLAN; proto defaults to 802.1Q */
	uint32_t min_tx_rate; /* Mbit/s, 0 = no guarantee */
	uint32_t max_tx_rate; /* Mbit/s, 0 = unlimited */
	int spoofchk; /* 0/1 */
	int trust; /* 0/1 */
	int link_state; /* enum vf_link_state */
	int query_rss; /* 0/1 */
	char driver[VF_DRIVER_LEN]; /* "" = no driver */
};

/* Parser flags */
#define VF_PARSE_DRIVER 1u /* accept "driver" (the configuration file) */

/* Start an empty set (nothing given). */
void vf_settings_init(struct vf_settings *s);
static inline bool vf_settings_has(const struct vf_settings *s, enum vfkey k)
{
	return s->given & (1u << k);
}
/* Key name as the user writes it ("mac", "min_tx_rate", ...); "?" when out of range. */
const char *vfkey_name(enum vfkey k);
/* Key by name, or -1. */
int vfkey_lookup(const char *name);
/* Keys the kernel sets as one attribute share a group: 1 = vlan/qos/proto, 2 = rates, 0 = alone. */
int vfkey_group(enum vfkey k);

/*
 * Parse one "key value" pair into s.  -EINVAL with a message naming the key,
 * the value and what is accepted; a key given twice is an error too.
 */
int vf_settings_parse_key(struct vf_settings *s, const char *key, const char *value,
			  unsigned int flags, struct errinfo *e);
static inline int vf_settings_parse_one(struct vf_settings *s, const char *key, const char *value,
					struct errinfo *e)
{
	return vf_settings_parse_key(s, key, value, 0, e);
}
/* Parse argv as key value pairs, then vf_settings_check(). */
int vf_settings_parse(struct vf_settings *s, int argc, const char *const *argv, struct errinfo *e);
/* Rules between keys: qos/proto need vlan, min_tx_rate <= max_tx_rate. */
int vf_settings_check_keys(const struct vf_settings *s, struct errinfo *e);
/* vf_settings_check_keys() and at least one key given. */
int vf_settings_check(const struct vf_settings *s, struct errinfo *e);

/* Does a hold the same value for k as b?  (Both must have it.) */
bool vf_settings_same(const struct vf_settings *a, const struct vf_settings *b, enum vfkey k);
/* Copy key k (value and given bit) from src to dst. */
void vf_settings_copy_key(struct vf_settings *dst, const struct vf_settings *src, enum vfkey k);
/* Forget key k. */
static inline void vf_settings_drop(struct vf_settings *s, enum vfkey k)
{
	s->given &= ~(1u << k);
}
/*
 * The value of k as the user writes it ("02:00:00:00:00:01", "802.1Q", "on",
 * "auto", a driver name; "" for no driver) into buf; returns buf.
 */
char *vf_settings_value_str(const struct vf_settings *s, enum vfkey k, char *buf, size_t len);
/* Every link setting as a fresh VF has it (what the kernel shows before anyone sets one). */
void vf_settings_defaults(struct vf_settings *s);
/* The link settings a VF reports (keys the driver does not report stay not given). */
void vf_settings_from_link(struct vf_settings *s, const struct vf_link_info *in);
/* The VF as vflink reports it, for keys in s (others unknown). */
void vf_settings_to_link(const struct vf_settings *s, uint32_t vf, struct vf_link_info *out);

#endif
