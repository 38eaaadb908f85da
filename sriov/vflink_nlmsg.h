/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * rtnetlink messages for VF link settings, built and parsed without a
 * socket so unit tests can feed canned kernel replies.  Used by
 * vflink_nl.c; not part of the public vflink interface.
 */
#ifndef VF_VFLINK_NLMSG_H
#define VF_VFLINK_NLMSG_H

#include <stddef.h>
#include <netlink/msg.h>

#include "vflink.h"

/* RTM_GETLINK for one netdev by name, asking for VF info without stats. */
int vflink_nlmsg_build_get(const char *ifname, struct nl_msg **out, struct errinfo *e);
/* RTM_SETLINK on the PF with IFLA_VFINFO_LIST/IFLA_VF_INFO holding one attribute. */
int vflink_nlmsg_build_set(const char *ifname, uint32_t vf, const struct vf_attr_value *v,
			   struct nl_msg **out, struct errinfo *e);

/*
 * Parse an RTM_NEWLINK reply.  *num_vf is IFLA_NUM_VF, or -1 when the kernel
 * did not send it (the netdev has no PCI parent: not an SR-IOV PF).  *out is
 * a malloc'd table sorted by VF index (NULL when *n is 0).
 */
int vflink_nlmsg_parse_link(const struct nlmsghdr *nlh, int *num_vf, struct vf_link_info **out,
			    int *n, struct errinfo *e);

/*
 * Parse an NLMSG_ERROR message: *err gets the positive errno (0 for an
 * ACK) and ext_msg the extended-ack text the kernel or driver attached
 * (empty when none).  -EPROTO when it is not an NLMSG_ERROR or its error
 * field is no errno (beyond +-4095).
 */
int vflink_nlmsg_parse_error(const struct nlmsghdr *nlh, int *err, char *ext_msg, size_t len);

#endif
