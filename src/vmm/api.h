/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control API server (docs/api.md): a Unix stream socket served on the
 * VM's I/O thread; JSON lines as api_proto.h encodes them.
 */
#ifndef VMM_API_H
#define VMM_API_H

#include "errinfo.h"

struct vm;

/* Most clients connected at once; more are answered with an error and closed. */
#define API_MAX_CLIENTS 64

/*
 * Create the socket at @path (mode 0600; a stale socket is replaced, any
 * other file refused) and serve it on @vm's I/O thread until vm_destroy(),
 * which sends the "shutdown" event, closes every client and removes the
 * socket.
 */
int api_server_start(struct vm *vm, const char *path, struct errinfo *e);

#endif
