// SPDX-License-Identifier: GPL-2.0-only
/* VF link info as iproute2-style JSON (see vflink_json.h). */
#include "vflink_json.h"

static int add(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v)
		return -1;
	return json_object_object_add(o, key, v);
}

static int add_tristate(struct json_object *o, const char *key, int v)
{
	if (v < 0)
		return 0;
	return add(o, key, json_object_new_boolean(v));
}

struct json_object *vflink_vf_to_json(const struct vf_link_info *vi)
{
	struct json_object *o, *list, *vl, *rate;
	char mac[18];
	int bad = 0;

	o = json_object_new_object();
	if (!o)
		return NULL;
	bad |= add(o, "vf", json_object_new_int64(vi->vf));
	if (vi->has_mac)
		bad |= add(o, "address", json_object_new_string(mac_str(vi->mac, mac)));
	if (vi->has_vlan) {
		list = json_object_new_array();
		vl = json_object_new_object();
		bad |= add(o, "vlan_list", list);
		if (!list || !vl || json_object_array_add(list, vl)) {
			json_object_put(vl);
			goto fail;
		}
		bad |= add(vl, "vlan", json_object_new_int(vi->vlan.vlan));
		bad |= add(vl, "qos", json_object_new_int(vi->vlan.qos));
		bad |= add(vl, "protocol",
			   json_object_new_string(vf_vlan_proto_name(vi->vlan.proto)));
	}
	if (vi->has_rate) {
		rate = json_object_new_object();
		bad |= add(o, "rate", rate);
		if (!rate)
			goto fail;
		bad |= add(rate, "max_tx", json_object_new_int64(vi->max_tx_rate));
		bad |= add(rate, "min_tx", json_object_new_int64(vi->min_tx_rate));
	}
	bad |= add_tristate(o, "spoofchk", vi->spoofchk);
	if (vi->link_state >= 0)
		bad |= add(o, "link_state",
			   json_object_new_string(vf_link_state_name(vi->link_state)));
	bad |= add_tristate(o, "trust", vi->trust);
	bad |= add_tristate(o, "query_rss_en", vi->query_rss);
	if (bad)
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}
