/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VF link info as JSON with iproute2's key names (as in `ip -j link show`'s
 * "vfinfo_list"), so users can diff vfctl's output against ip's.
 */
#ifndef VF_VFLINK_JSON_H
#define VF_VFLINK_JSON_H

#include <json-c/json.h>

#include "vflink.h"

/*
 * {"vf":0,"address":"..","vlan_list":[{"vlan":10,"qos":0,"protocol":"802.1Q"}],
 *  "rate":{"max_tx":0,"min_tx":0},"spoofchk":true,"link_state":"auto",
 *  "trust":false,"query_rss_en":false}; keys the driver does not report are left out.
 * NULL when out of memory.
 */
struct json_object *vflink_vf_to_json(const struct vf_link_info *vi);

#endif
