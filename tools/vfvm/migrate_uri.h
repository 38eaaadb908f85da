/* SPDX-License-Identifier: GPL-2.0-only */
/* Migration endpoints: tcp:HOST:PORT and unix:PATH (migrate_uri.c). */
#ifndef VFVM_MIGRATE_URI_H
#define VFVM_MIGRATE_URI_H

#include <stddef.h>

#include "errinfo.h"

/* Whether @uri is well formed; -EINVAL with @e naming it. */
int migrate_uri_check(const char *uri, struct errinfo *e);
/* A connected stream socket to @uri (10 s to connect), or -errno with @e. */
int migrate_uri_connect(const char *uri, struct errinfo *e);
/* A socket listening on @uri (a stale Unix socket replaced, mode 0600). */
int migrate_uri_listen(const char *uri, struct errinfo *e);
/* The first connection on @lfd; @peer gets where it came from. */
int migrate_uri_accept(int lfd, const char *uri, char *peer, size_t size, struct errinfo *e);
/*
 * Wait up to @max_ms until the peer has taken everything written to @fd
 * (its send queue is empty; checked every millisecond, stopping early
 * when *@cancel is set).  Returns the bytes still queued (0: drained).
 */
unsigned int migrate_uri_drain(int fd, unsigned int max_ms, const int *cancel);

/*
 * upgrade: guest RAM's memfd over a connected Unix socket (SCM_RIGHTS with
 * the 8 bytes VFVM_MEMFD_MAGIC).  recv returns the new fd (close-on-exec)
 * or -errno with @e naming what came instead.
 */
#define VFVM_MEMFD_MAGIC "VFVMMEMF"
int vfvm_memfd_send(int fd, int memfd, struct errinfo *e);
int vfvm_memfd_recv(int fd, struct errinfo *e);

#endif
