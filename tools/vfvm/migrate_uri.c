// SPDX-License-Identifier: GPL-2.0-only
/*
 * Where a migration goes: "tcp:HOST:PORT" (HOST a name, an IPv4 address or
 * a bracketed IPv6 one; an empty HOST listens on every address) or
 * "unix:PATH".  The source connects, the destination (--incoming) listens
 * and takes one connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "migrate_uri.h"

#define CONNECT_TIMEOUT_MS 10000
/*
 * A peer that stops taking or sending the stream (stopped, wedged) makes
 * the other side fail instead of waiting for ever: the source's I/O thread
 * writes the final pass with the VM paused.
 */
#define STALL_TIMEOUT_S 60
/*
 * The destination's TCP receive buffer.  Left to autotuning it grows to
 * several MiB on loopback; the source's pre-copy then ends with megabytes
 * the destination has acknowledged but not yet placed, and placing them
 * falls inside the downtime (a TCG lab L1 places ~20-70 MB/s).  2 MiB
 * still covers the bandwidth-delay product of a 10-25 Gb/s link inside a
 * data centre; a long-distance migration would want more.
 */
#define INCOMING_RCVBUF (2 << 20)

static void set_stall_timeouts(int fd)
{
	struct timeval t = {.tv_sec = STALL_TIMEOUT_S};

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &t, sizeof(t));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &t, sizeof(t));
}

/* "tcp:HOST:PORT" into @host and @port; -EINVAL with @e when malformed. */
static int split_tcp(const char *uri, char *host, size_t hsize, char *port, size_t psize,
		     struct errinfo *e)
{
	const char *hp = uri + 4, *colon = strrchr(hp, ':');
	size_t hl;

	if (!colon || !colon[1] || strlen(colon + 1) >= psize)
		goto bad;
	hl = (size_t)(colon - hp);
	if (hl >= 2 && hp[0] == '[' && hp[hl - 1] == ']') {
		hp++;
		hl -= 2;
	}
	if (hl >= hsize)
		goto bad;
	memcpy(host, hp, hl);
	host[hl] = '\0';
	snprintf(port, psize, "%s", colon + 1);
	for (const char *p = port; *p; p++)
		if (*p < '0' || *p > '9')
			goto bad;
	return 0;
bad:
	return err_set(e, EINVAL, "'%s' is not tcp:HOST:PORT (a numeric port)", uri);
}

static int unix_addr(const char *uri, struct sockaddr_un *a, struct errinfo *e)
{
	const char *path = uri + 5;

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (!*path || strlen(path) >= sizeof(a->sun_path))
		return err_set(e, EINVAL, "'%s': a Unix socket path of 1 to %zu bytes expected",
			       uri, sizeof(a->sun_path) - 1);
	memcpy(a->sun_path, path, strlen(path) + 1);
	return 0;
}

/*
 * The addresses of "tcp:HOST:PORT" (@passive: to listen on; an empty HOST
 * is every address) into *@res (freeaddrinfo() it); @what prefixes errors.
 */
static int resolve(const char *uri, bool passive, const char *what, struct addrinfo **res,
		   struct errinfo *e)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = passive ? AI_PASSIVE : 0};
	char host[256], port[16];
	int ret = split_tcp(uri, host, sizeof(host), port, sizeof(port), e);

	if (ret)
		return ret;
	ret = getaddrinfo(host[0] ? host : NULL, port, &hints, res);
	if (ret)
		return err_set(e, passive ? EADDRNOTAVAIL : EHOSTUNREACH, "%s %s: %s", what, uri,
			       gai_strerror(ret));
	return 0;
}

int migrate_uri_check(const char *uri, struct errinfo *e)
{
	char host[256], port[16];
	struct sockaddr_un a;

	if (!strncmp(uri, "tcp:", 4))
		return split_tcp(uri, host, sizeof(host), port, sizeof(port), e);
	if (!strncmp(uri, "unix:", 5))
		return unix_addr(uri, &a, e);
	return err_set(e, EINVAL, "'%s' is not tcp:HOST:PORT or unix:PATH", uri);
}

/* connect() with a deadline, so an unreachable host is an error, not a hang. */
static int connect_timed(int fd, const struct sockaddr *sa, socklen_t len, const char *uri,
			 struct errinfo *e)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int flags = fcntl(fd, F_GETFL), err = 0;
	socklen_t elen = sizeof(err);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return err_sys(e, errno, "migrate: making the socket to %s non-blocking", uri);
	if (connect(fd, sa, len) < 0) {
		if (errno != EINPROGRESS)
			return err_sys(e, errno, "migrate: connecting to %s", uri);
		if (poll(&p, 1, CONNECT_TIMEOUT_MS) == 0)
			return err_set(e, ETIMEDOUT, "migrate: connecting to %s: no answer in %d s",
				       uri, CONNECT_TIMEOUT_MS / 1000);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			err = errno;
		if (err)
			return err_sys(e, err, "migrate: connecting to %s", uri);
	}
	if (fcntl(fd, F_SETFL, flags) < 0)
		return err_sys(e, errno, "migrate: the socket to %s", uri);
	return 0;
}

int migrate_uri_connect(const char *uri, struct errinfo *e)
{
	struct addrinfo *res, *ai;
	struct sockaddr_un a;
	int fd, ret, one = 1;

	if (!strncmp(uri, "unix:", 5)) {
		if (unix_addr(uri, &a, e))
			return -EINVAL;
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return err_sys(e, errno, "migrate: socket for %s", uri);
		ret = connect_timed(fd, (struct sockaddr *)&a, sizeof(a), uri, e);
		if (ret) {
			close(fd);
			return ret;
		}
		set_stall_timeouts(fd);
		return fd;
	}
	ret = resolve(uri, false, "migrate:", &res, e);
	if (ret)
		return ret;
	ret = err_set(e, EHOSTUNREACH, "migrate: %s: no address", uri);
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			ret = err_sys(e, errno, "migrate: socket for %s", uri);
			continue;
		}
		ret = connect_timed(fd, ai->ai_addr, ai->ai_addrlen, uri, e);
		if (!ret) {
			/* records are written whole: no need to wait for more */
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			set_stall_timeouts(fd);
			freeaddrinfo(res);
			return fd;
		}
		close(fd);
	}
	freeaddrinfo(res);
	return ret;
}

int migrate_uri_listen(const char *uri, struct errinfo *e)
{
	struct addrinfo *res;
	struct sockaddr_un a;
	struct stat st;
	int fd, ret, one = 1, rcvbuf;

	if (!strncmp(uri, "unix:", 5)) {
		if (unix_addr(uri, &a, e))
			return -EINVAL;
		/* a socket left by an earlier run goes; any other file stays */
		if (lstat(a.sun_path, &st) == 0) {
			if (!S_ISSOCK(st.st_mode))
				return err_set(e, EEXIST,
					       "--incoming %s: %s exists and is not a socket", uri,
					       a.sun_path);
			unlink(a.sun_path);
		}
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return err_sys(e, errno, "--incoming %s: socket", uri);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || chmod(a.sun_path, 0600) < 0 ||
		    listen(fd, 1) < 0) {
			ret = err_sys(e, errno, "--incoming %s: listening on %s", uri, a.sun_path);
			close(fd);
			return ret;
		}
		return fd;
	}
	ret = resolve(uri, true, "--incoming", &res, e);
	if (ret)
		return ret;
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
	if (fd < 0) {
		ret = err_sys(e, errno, "--incoming %s: socket", uri);
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* before listen(): the window scale is agreed at the handshake */
	rcvbuf = INCOMING_RCVBUF;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 1) < 0) {
		ret = err_sys(e, errno, "--incoming %s: listening", uri);
		close(fd);
		goto out;
	}
	ret = fd;
out:
	freeaddrinfo(res);
	return ret;
}

int migrate_uri_accept(int lfd, const char *uri, char *peer, size_t size, struct errinfo *e)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char h[NI_MAXHOST], p[NI_MAXSERV];
	int fd;

	do
		fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return err_sys(e, errno, "--incoming %s: accept", uri);
	set_stall_timeouts(fd);
	if (ss.ss_family == AF_UNIX || getnameinfo((struct sockaddr *)&ss, len, h, sizeof(h), p,
						   sizeof(p), NI_NUMERICHOST | NI_NUMERICSERV))
		snprintf(peer, size, "%s", uri);
	else
		snprintf(peer, size, "tcp:%s:%s", h, p);
	return fd;
}

unsigned int migrate_uri_drain(int fd, unsigned int max_ms, const int *cancel)
{
	const struct timespec ms = {.tv_nsec = 1000000};
	int queued = 0;

	/*
	 * SIOCOUTQ: TCP's bytes not yet acknowledged, a Unix socket's bytes
	 * the peer has not read.  No event says "queue empty": poll it.
	 */
	for (unsigned int i = 0; i <= max_ms; i++) {
		if (ioctl(fd, SIOCOUTQ, &queued) < 0 || queued <= 0)
			return 0;
		if (cancel && __atomic_load_n(cancel, __ATOMIC_ACQUIRE))
			break;
		nanosleep(&ms, NULL);
	}
	return (unsigned int)queued;
}

int vfvm_memfd_send(int fd, int memfd, struct errinfo *e)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} c = {0};
	struct iovec iov = {(void *)VFVM_MEMFD_MAGIC, 8};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = c.buf,
			     .msg_controllen = sizeof(c.buf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &memfd, sizeof(int));
	if (sendmsg(fd, &msg, MSG_NOSIGNAL) != 8)
		return err_sys(e, errno, "upgrade: handing guest RAM over");
	return 0;
}

int vfvm_memfd_recv(int fd, struct errinfo *e)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} c = {0};
	char magic[8];
	struct iovec iov = {magic, sizeof(magic)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = c.buf,
			     .msg_controllen = sizeof(c.buf)};
	struct cmsghdr *cm;
	ssize_t n;
	int memfd = -1;

	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_sys(e, errno, "receiving the guest RAM handed over");
	cm = CMSG_FIRSTHDR(&msg);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&memfd, CMSG_DATA(cm), sizeof(int));
	if (n != 8 || memcmp(magic, VFVM_MEMFD_MAGIC, 8) || memfd < 0 ||
	    (msg.msg_flags & MSG_CTRUNC)) {
		if (memfd >= 0)
			close(memfd);
		return err_set(e, EBADMSG,
			       "expected the guest RAM's memfd (%s with one descriptor) after the "
			       "config",
			       VFVM_MEMFD_MAGIC);
	}
	return memfd;
}
