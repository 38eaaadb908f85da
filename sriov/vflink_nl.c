// SPDX-License-Identifier: GPL-2.0-only
/*
 * The real VF link backend: rtnetlink through libnl.  One request at a
 * time on one socket; each reply is matched by sequence number by libnl.
 * Errors keep the kernel's errno and the driver's extended-ack text.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/socket.h>
#include <netlink/handlers.h>

#include "vflink.h"
#include "vflink_nlmsg.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Room for a PF with hundreds of VFs in one RTM_NEWLINK. */
#define VFLINK_NL_RCVBUF (4 << 20)

struct vflink_nl {
	struct vflink base;
	struct nl_sock *sk;
};

/* What one request got back. */
struct nl_reply {
	bool done;
	int err; /* positive errno from NLMSG_ERROR, 0 = ACK */
	char ext_msg[256]; /* extended ack text */
	int num_vf;
	struct vf_link_info *vfs;
	int n;
	int parse_ret;
	struct errinfo *e;
	uint32_t seq; /* of the request; anything else is a leftover */
};

/*
 * Take only messages answering this request.  libnl's own check assumes
 * one ACK per request; ours ask for an ACK only when setting, so match the
 * sequence number ourselves and drop leftovers of an earlier request.
 */
static int on_seq_check(struct nl_msg *msg, void *arg)
{
	struct nl_reply *r = arg;

	return nlmsg_hdr(msg)->nlmsg_seq == r->seq ? NL_OK : NL_SKIP;
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct nl_reply *r = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return NL_OK;
	free(r->vfs);
	r->vfs = NULL;
	r->parse_ret = vflink_nlmsg_parse_link(nlh, &r->num_vf, &r->vfs, &r->n, r->e);
	r->done = true;
	return NL_STOP;
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *me, void *arg)
{
	/* libnl hands us the payload; the header sits right before it. */
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)((const char *)me - NLMSG_HDRLEN);
	struct nl_reply *r = arg;

	(void)who;
	/* a malformed error (no errno in it) is still a failure, never an ACK */
	if (vflink_nlmsg_parse_error(nlh, &r->err, r->ext_msg, sizeof(r->ext_msg)) < 0)
		r->err = EPROTO;
	r->done = true;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct nl_reply *r = arg;

	(void)msg;
	r->err = 0;
	r->done = true;
	return NL_STOP;
}

/* Send msg and read until its reply (RTM_NEWLINK, ACK or error) has arrived. */
static int transact(struct vflink_nl *l, struct nl_msg *msg, struct nl_reply *r, const char *what,
		    struct errinfo *e)
{
	struct nl_cb *cb;
	int ret;

	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb)
		return err_set(e, ENOMEM, "%s: cannot allocate netlink callbacks", what);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, r);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, r);
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, on_seq_check, r);
	ret = nl_send_auto(l->sk, msg);
	if (ret < 0) {
		ret = err_set(e, EIO, "%s: sending the netlink request failed: %s", what,
			      nl_geterror(ret));
		goto out;
	}
	r->seq = nlmsg_hdr(msg)->nlmsg_seq;
	while (!r->done) {
		ret = nl_recvmsgs(l->sk, cb);
		/* An error reply is recorded by on_error; libnl's own code is lossy. */
		if (ret < 0 && !r->done) {
			ret = err_set(e, EIO, "%s: receiving the netlink reply failed: %s", what,
				      nl_geterror(ret));
			goto out;
		}
	}
	ret = 0;
out:
	nl_cb_put(cb);
	return ret;
}

static int vfl_nl_get_vfs(struct vflink *base, const char *pf, struct vf_link_info **out, int *n,
			  struct errinfo *e)
{
	struct vflink_nl *l = (struct vflink_nl *)base;
	struct nl_reply r = {.num_vf = -1, .e = e};
	struct nl_msg *msg;
	char what[128];
	int ret;

	snprintf(what, sizeof(what), "reading VF settings of %s", pf);
	ret = vflink_nlmsg_build_get(pf, &msg, e);
	if (ret)
		return ret;
	ret = transact(l, msg, &r, what, e);
	nlmsg_free(msg);
	if (ret)
		goto fail;
	if (r.err) {
		ret = vflink_report_error(e, r.err, pf, what, r.ext_msg);
		goto fail;
	}
	if (r.parse_ret) {
		ret = r.parse_ret;
		err_prefix(e, "%s", what);
		goto fail;
	}
	if (r.num_vf < 0) {
		ret = err_set(e, EOPNOTSUPP,
			      "%s has no VFs: it is not a PCI network device with SR-IOV", pf);
		err_hint(e, "name the PF's netdev (vfctl list shows PFs and their netdevs)");
		goto fail;
	}
	*out = r.vfs;
	*n = r.n;
	return 0;
fail:
	free(r.vfs);
	return ret;
}

static int vfl_nl_set_vf(struct vflink *base, const char *pf, uint32_t vf,
			 const struct vf_attr_value *v, struct errinfo *e)
{
	struct vflink_nl *l = (struct vflink_nl *)base;
	struct nl_reply r = {.num_vf = -1, .e = e};
	struct nl_msg *msg;
	char what[128];
	int ret;

	snprintf(what, sizeof(what), "%s VF %u: setting %s", pf, vf, vf_attr_name(v->attr));
	ret = vflink_nlmsg_build_set(pf, vf, v, &msg, e);
	if (ret)
		return ret;
	ret = transact(l, msg, &r, what, e);
	nlmsg_free(msg);
	free(r.vfs);
	if (ret)
		return ret;
	if (r.err)
		return vflink_report_error(e, r.err, pf, what, r.ext_msg);
	return 0;
}

static void vfl_nl_close(struct vflink *base)
{
	struct vflink_nl *l = (struct vflink_nl *)base;

	nl_socket_free(l->sk);
	free(l);
}

static const struct vflink_ops vfl_nl_ops = {
	.get_vfs = vfl_nl_get_vfs,
	.set_vf = vfl_nl_set_vf,
	.close = vfl_nl_close,
};

struct vflink *vflink_open_nl(struct errinfo *e)
{
	struct vflink_nl *l;
	int one = 1, ret, fd;

	l = calloc(1, sizeof(*l));
	if (!l) {
		err_set(e, ENOMEM, "no memory for the netlink backend");
		return NULL;
	}
	l->base.ops = &vfl_nl_ops;
	l->sk = nl_socket_alloc();
	if (!l->sk) {
		err_set(e, ENOMEM, "cannot allocate a netlink socket");
		goto fail;
	}
	ret = nl_connect(l->sk, NETLINK_ROUTE);
	if (ret < 0) {
		err_set(e, EIO, "cannot open an rtnetlink socket: %s", nl_geterror(ret));
		goto fail;
	}
	/*
	 * A read answers with RTM_NEWLINK alone; only settings ask for an ACK
	 * (NLM_F_ACK in vflink_nlmsg_build_set), so no ACK is ever left behind
	 * to be taken for the answer to the next request.
	 */
	nl_socket_disable_auto_ack(l->sk);
	fd = nl_socket_get_fd(l->sk);
	/*
	 * Drivers explain refusals in extended acks; a capped ack keeps errors
	 * small.  Both are optional (kernels before 4.12 lack them): without
	 * them only the driver's text is lost, never the errno.
	 */
	if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) < 0 &&
	    errno != ENOPROTOOPT) {
		err_sys(e, errno, "setsockopt(NETLINK_EXT_ACK) on the rtnetlink socket");
		goto fail;
	}
	if (setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) < 0 &&
	    errno != ENOPROTOOPT) {
		err_sys(e, errno, "setsockopt(NETLINK_CAP_ACK) on the rtnetlink socket");
		goto fail;
	}
	/*
	 * A PF with many VFs answers with one large message: peek at its size
	 * (MSG_PEEK|MSG_TRUNC) and grow the buffer rather than truncate.
	 */
	nl_socket_enable_msg_peek(l->sk);
	ret = nl_socket_set_buffer_size(l->sk, VFLINK_NL_RCVBUF, 0);
	if (ret < 0) {
		err_set(e, EIO, "cannot size the rtnetlink receive buffer: %s", nl_geterror(ret));
		goto fail;
	}
	return &l->base;
fail:
	if (l->sk)
		nl_socket_free(l->sk);
	free(l);
	return NULL;
}
