// SPDX-License-Identifier: GPL-2.0-only
/* The VMM's requests to vfvm's keeper: encoding, checks, transport (see keeper_msg.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "keeper_msg.h"

int keeper_allow_add(struct keeper_allow *a, const char *bdf)
{
	char(*tmp)[BDF_LEN];

	if (keeper_allow_has(a, bdf))
		return 0;
	tmp = realloc(a->bdf, sizeof(*tmp) * (size_t)(a->n + 1));
	if (!tmp)
		return -ENOMEM;
	a->bdf = tmp;
	snprintf(a->bdf[a->n++], BDF_LEN, "%s", bdf);
	return 0;
}

bool keeper_allow_has(const struct keeper_allow *a, const char *bdf)
{
	for (int i = 0; i < a->n; i++)
		if (!strcmp(a->bdf[i], bdf))
			return true;
	return false;
}

void keeper_allow_free(struct keeper_allow *a)
{
	free(a->bdf);
	a->bdf = NULL;
	a->n = 0;
}

/* @s is a BDF in canonical form (what the keeper compares and writes in paths). */
static bool bdf_canonical(const char *s)
{
	char canon[BDF_LEN];
	struct bdf b;

	return bdf_parse(s, &b, canon, NULL) == 0 && !strcmp(canon, s);
}

static void req_init(struct keeper_req *r, enum keeper_op op)
{
	memset(r, 0, sizeof(*r));
	r->magic = KEEPER_MSG_MAGIC;
	r->op = op;
}

int keeper_req_bdf(struct keeper_req *r, enum keeper_op op, const char *bdf, struct errinfo *e)
{
	req_init(r, op);
	if (strlen(bdf) >= BDF_LEN || !bdf_canonical(bdf))
		return err_set(e, EINVAL, "\"%.32s\" is not a canonical PCI address", bdf);
	snprintf(r->bdf, sizeof(r->bdf), "%s", bdf);
	return 0;
}

int keeper_req_seal(struct keeper_req *r)
{
	req_init(r, KEEPER_OP_SEAL);
	return 0;
}

int keeper_action_parse(const char *action, char bdf[BDF_LEN], unsigned int *vector)
{
	const char *p = action, *close;
	char tmp[BDF_LEN];
	unsigned long v = 0;
	size_t len;
	int digits = 0;

	if (!strncmp(p, "vfio-msix[", 10))
		p += 10;
	else if (!strncmp(p, "vfio-msi[", 9))
		p += 9;
	else
		return -EINVAL;
	/* decimal, no sign, no leading zero (as the kernel prints it) */
	while (*p >= '0' && *p <= '9' && digits < 5) {
		if (digits == 1 && v == 0)
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p++ - '0');
		digits++;
	}
	if (!digits || v > KEEPER_VECTOR_MAX || *p++ != ']' || *p++ != '(')
		return -EINVAL;
	close = strchr(p, ')');
	if (!close || close[1])
		return -EINVAL;
	len = (size_t)(close - p);
	if (len >= BDF_LEN)
		return -EINVAL;
	memcpy(tmp, p, len);
	tmp[len] = '\0';
	if (!bdf_canonical(tmp))
		return -EINVAL;
	memcpy(bdf, tmp, BDF_LEN);
	*vector = (unsigned int)v;
	return 0;
}

int keeper_req_irq(struct keeper_req *r, const char *action, const cpu_set_t *cpus,
		   struct errinfo *e)
{
	char bdf[BDF_LEN];
	unsigned int v;
	bool any = false;

	req_init(r, KEEPER_OP_IRQ_AFFINITY);
	if (strlen(action) >= sizeof(r->action) || keeper_action_parse(action, bdf, &v) < 0)
		return err_set(e, EINVAL, "\"%.64s\" is not the name of a vfio-pci host IRQ",
			       action);
	snprintf(r->action, sizeof(r->action), "%s", action);
	for (int c = 0; c < CPU_SETSIZE && c < KEEPER_CPU_WORDS * 64; c++)
		if (CPU_ISSET(c, cpus)) {
			r->cpus[c / 64] |= 1ull << (c % 64);
			any = true;
		}
	if (!any)
		return err_set(e, EINVAL, "%s: no host CPU to steer it to", action);
	return 0;
}

void keeper_req_cpus(const struct keeper_req *r, cpu_set_t *out)
{
	CPU_ZERO(out);
	for (int c = 0; c < CPU_SETSIZE && c < KEEPER_CPU_WORDS * 64; c++)
		if (r->cpus[c / 64] & (1ull << (c % 64)))
			CPU_SET(c, out);
}

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

int keeper_req_check(const struct keeper_req *r, size_t len, const struct keeper_allow *a,
		     bool (*recorded)(void *opaque, const char *bdf), void *opaque,
		     unsigned int nr_cpus, struct errinfo *e)
{
	char bdf[BDF_LEN];
	unsigned int v;
	bool any = false;

	if (len != sizeof(*r))
		return err_set(e, EINVAL, "request of %zu bytes, expected %zu", len, sizeof(*r));
	if (r->magic != KEEPER_MSG_MAGIC)
		return err_set(e, EINVAL, "request with a bad magic 0x%08x", r->magic);
	if (!terminated(r->bdf, sizeof(r->bdf)) || !terminated(r->action, sizeof(r->action)))
		return err_set(e, EINVAL, "request %u: unterminated string", r->op);
	switch (r->op) {
	case KEEPER_OP_DECLARE:
		if (!bdf_canonical(r->bdf))
			return err_set(e, EINVAL, "declare: \"%s\" is not a PCI address", r->bdf);
		if (a->sealed)
			return err_set(e, EPERM, "declare %s: setup is over (sealed)", r->bdf);
		return 0;
	case KEEPER_OP_SEAL:
		return 0;
	case KEEPER_OP_GIVE_BACK:
		if (!bdf_canonical(r->bdf))
			return err_set(e, EINVAL, "give back: \"%s\" is not a PCI address", r->bdf);
		if (!recorded || !recorded(opaque, r->bdf))
			return err_set(e, EPERM, "give back %s: the VM's record does not list it",
				       r->bdf);
		return 0;
	case KEEPER_OP_IRQ_AFFINITY:
		if (keeper_action_parse(r->action, bdf, &v) < 0)
			return err_set(e, EINVAL, "irq affinity: \"%s\" is not a vfio-pci IRQ",
				       r->action);
		if (!keeper_allow_has(a, bdf) && !(recorded && recorded(opaque, bdf)))
			return err_set(e, EPERM, "irq affinity %s: %s is not a device of this VM",
				       r->action, bdf);
		for (unsigned int w = 0; w < KEEPER_CPU_WORDS; w++) {
			uint64_t bits = r->cpus[w];

			if (!bits)
				continue;
			any = true;
			/* the highest CPU named must exist */
			if (w * 64 + 63 - (unsigned int)__builtin_clzll(bits) >= nr_cpus)
				return err_set(e, EINVAL,
					       "irq affinity %s: CPU %u is not a host CPU (%u "
					       "configured)",
					       r->action,
					       w * 64 + 63 - (unsigned int)__builtin_clzll(bits),
					       nr_cpus);
		}
		if (!any)
			return err_set(e, EINVAL, "irq affinity %s: empty CPU set", r->action);
		return 0;
	default:
		return err_set(e, EINVAL, "unknown request %u", r->op);
	}
}

int keeper_send_req(int fd, const struct keeper_req *r, struct errinfo *e)
{
	ssize_t n;

	do
		n = send(fd, r, sizeof(*r), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_sys(e, errno, "sending a request to vfvm's keeper");
	return 0;
}

int keeper_recv_req(int fd, struct keeper_req *r, size_t *len, struct errinfo *e)
{
	ssize_t n;

	memset(r, 0, sizeof(*r));
	do
		/* MSG_TRUNC: the real size of an oversized datagram, which is refused */
		n = recv(fd, r, sizeof(*r), MSG_TRUNC | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_sys(e, errno, "receiving a request from the VMM");
	*len = (size_t)n;
	return 0;
}

int keeper_send_reply(int fd, const struct errinfo *result, const int *fds, int nfds,
		      struct errinfo *e)
{
	struct keeper_reply rep = {.magic = KEEPER_MSG_MAGIC};
	union {
		char buf[CMSG_SPACE(sizeof(int) * KEEPER_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = {&rep, sizeof(rep)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (nfds < 0 || nfds > KEEPER_MAX_FDS)
		return err_set(e, EINVAL, "%d descriptors in one reply (at most %d)", nfds,
			       KEEPER_MAX_FDS);
	rep.err = result ? result->err : 0;
	if (result) {
		/* cut to the reply's size: the VMM only reports them */
		snprintf(rep.msg, sizeof(rep.msg), "%.*s", (int)sizeof(rep.msg) - 1, result->msg);
		snprintf(rep.hint, sizeof(rep.hint), "%.*s", (int)sizeof(rep.hint) - 1,
			 result->hint);
	}
	if (nfds) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_sys(e, errno, "sending a reply to the VMM");
	return 0;
}

int keeper_recv_reply(int fd, struct errinfo *result, int *fds, int max_fds, int *nfds,
		      struct errinfo *e)
{
	struct keeper_reply rep;
	union {
		char buf[CMSG_SPACE(sizeof(int) * KEEPER_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = {&rep, sizeof(rep)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c;
	int got = 0, ret = 0;
	ssize_t n;

	*nfds = 0;
	memset(&rep, 0, sizeof(rep));
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_sys(e, errno, "receiving a reply from vfvm's keeper");
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		int k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (int i = 0; i < k; i++) {
			int rfd;

			memcpy(&rfd, CMSG_DATA(c) + sizeof(int) * (size_t)i, sizeof(int));
			if (got < max_fds)
				fds[got++] = rfd;
			else
				close(rfd); /* more than asked for: not kept open */
		}
	}
	if (n == 0)
		ret = err_set(e, EPIPE, "vfvm's keeper is gone");
	else if ((size_t)n != sizeof(rep) || rep.magic != KEEPER_MSG_MAGIC ||
		 (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		ret = err_set(e, EPROTO, "a malformed reply from vfvm's keeper (%zd bytes)", n);
	if (ret) {
		while (got)
			close(fds[--got]);
		return ret;
	}
	*nfds = got;
	memset(result, 0, sizeof(*result));
	result->err = rep.err;
	rep.msg[sizeof(rep.msg) - 1] = '\0';
	rep.hint[sizeof(rep.hint) - 1] = '\0';
	snprintf(result->msg, sizeof(result->msg), "%s", rep.msg);
	snprintf(result->hint, sizeof(result->hint), "%s", rep.hint);
	return 0;
}
