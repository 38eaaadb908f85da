/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VF link settings: the administrative MAC, VLAN, rates, spoof checking,
 * trust, link state and RSS query of the VFs of one PF, as rtnetlink shows
 * and sets them on the PF's netdev (what `ip link set PF vf N ...` does).
 *
 * One small ops struct (struct vflink_ops) with the kernel behind it,
 * vflink_open_nl(): libnl, RTM_GETLINK/RTM_SETLINK.  Tests put their own
 * backend behind the same struct (tests/fakes/vflink_fake.h); none is
 * linked into the programs.
 */
#ifndef VF_VFLINK_H
#define VF_VFLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errinfo.h"
#include "mac.h"

#define VF_ETH_P_8021Q 0x8100
#define VF_ETH_P_8021AD 0x88A8

/* IFLA_VF_LINK_STATE_* values */
enum vf_link_state {
	VF_LINK_STATE_AUTO = 0,
	VF_LINK_STATE_ENABLE = 1,
	VF_LINK_STATE_DISABLE = 2,
};

struct vf_vlan {
	uint16_t vlan; /* 0-4095, 0 with qos 0 = no VLAN */
	uint8_t qos; /* 0-7 */
	uint16_t proto; /* VF_ETH_P_8021Q or VF_ETH_P_8021AD */
};

/* One VF as the PF reports it.  Tri-state fields are -1 when the driver does not say. */
struct vf_link_info {
	uint32_t vf; /* VF index (the N in virtfnN) */
	bool has_mac;
	uint8_t mac[6]; /* administrative MAC, all zero = none set */
	bool has_vlan;
	struct vf_vlan vlan;
	bool has_rate;
	uint32_t min_tx_rate; /* Mbit/s, 0 = no guarantee */
	uint32_t max_tx_rate; /* Mbit/s, 0 = unlimited */
	int spoofchk; /* 1/0, -1 unknown */
	int trust; /* 1/0, -1 unknown */
	int link_state; /* enum vf_link_state, -1 unknown */
	int query_rss; /* 1/0, -1 unknown */
};

/* One VF attribute to set; one RTM_SETLINK each, so one refusal hits one setting. */
enum vf_attr {
	VF_ATTR_MAC,
	VF_ATTR_VLAN,
	VF_ATTR_RATE,
	VF_ATTR_SPOOFCHK,
	VF_ATTR_TRUST,
	VF_ATTR_LINK_STATE,
	VF_ATTR_QUERY_RSS,
	VF_ATTR_COUNT,
};

struct vf_attr_value {
	enum vf_attr attr;
	union {
		uint8_t mac[6];
		struct vf_vlan vlan;
		struct {
			uint32_t min_tx;
			uint32_t max_tx;
		} rate;
		uint32_t on; /* spoofchk, trust, query_rss: 0/1 */
		uint32_t link_state; /* enum vf_link_state */
	};
};

struct vflink;

struct vflink_ops {
	int (*get_vfs)(struct vflink *l, const char *pf_ifname, struct vf_link_info **out, int *n,
		       struct errinfo *e);
	int (*set_vf)(struct vflink *l, const char *pf_ifname, uint32_t vf,
		      const struct vf_attr_value *v, struct errinfo *e);
	void (*close)(struct vflink *l);
};

/* Backends embed this as their first member. */
struct vflink {
	const struct vflink_ops *ops;
};

struct vflink *vflink_open_nl(struct errinfo *e);

/*
 * The VF table of a PF netdev: *out is a malloc'd array of *n entries in VF
 * index order (free() it); *n is 0 when SR-IOV is enabled with no VFs.
 * -ENODEV: no such netdev; -EOPNOTSUPP: the netdev is not an SR-IOV PF.
 */
int vflink_get_vfs(struct vflink *l, const char *pf_ifname, struct vf_link_info **out, int *n,
		   struct errinfo *e);
/* Set one attribute of VF <vf> of <pf_ifname>; the errno is the driver's answer. */
int vflink_set_vf(struct vflink *l, const char *pf_ifname, uint32_t vf,
		  const struct vf_attr_value *v, struct errinfo *e);
void vflink_close(struct vflink *l);

/* The entry for VF <vf> in a table from vflink_get_vfs(), or NULL. */
const struct vf_link_info *vflink_find(const struct vf_link_info *vfs, int n, uint32_t vf);
/* Names used in messages, logs and the fake's state file ("mac", "vlan", "rate", ...). */
const char *vf_attr_name(enum vf_attr a);
/* "mac 02:00:00:00:00:01", "vlan 10 qos 0 proto 802.1Q", "rate min_tx 0 max_tx 100", ... */
char *vf_attr_value_str(const struct vf_attr_value *v, char *buf, size_t len);
const char *vf_link_state_name(int state); /* "auto"/"enable"/"disable"/"unknown" */
const char *vf_vlan_proto_name(uint16_t proto); /* "802.1Q"/"802.1ad"/"unknown" */

/*
 * For backends: record the kernel's (or the fake's) answer <err> to a
 * request described by <what> ("enp1s0 VF 2: setting mac") in plain words,
 * with the driver's extended-ack text when there is one.  Returns -err.
 */
int vflink_report_error(struct errinfo *e, int err, const char *ifname, const char *what,
			const char *ext_msg);

#endif
