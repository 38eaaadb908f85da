/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control API's wire format (docs/api.md): JSON lines.  A request is
 * one object per line, {"id": N, "verb": "info", ...}; a response is
 * {"id": N, "ok": true, "result": {...}} or {"id": N, "ok": false,
 * "error": "..."}; an event is {"event": "NAME", ...}.  No sockets here:
 * the server is src/vmm/api.c.
 */
#ifndef VMM_API_PROTO_H
#define VMM_API_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "errinfo.h"

struct json_object;

/* A request line longer than this (without its newline) is refused. */
#define API_LINE_MAX (64 * 1024)

enum api_verb {
	API_VERB_INFO,
	API_VERB_PAUSE,
	API_VERB_RESUME,
	API_VERB_POWERDOWN,
	API_VERB_QUIT,
	API_VERB_EVENTS,
	API_NR_VERBS,
};

struct api_request {
	bool has_id; /* id was present and an integer (also on a failed parse) */
	int64_t id;
	enum api_verb verb;
};

/*
 * Parse one request line (@len bytes, no newline).  Returns 0, or -EINVAL
 * (-E2BIG when over API_LINE_MAX) with @e naming what is wrong; @r->has_id
 * says whether the error response can carry the request's id.
 */
int api_request_parse(const char *line, size_t len, struct api_request *r, struct errinfo *e);

const char *api_verb_name(enum api_verb v);

/*
 * Encoders: each returns a malloc'd line ending in '\n' (NULL when out of
 * memory).  @result / @fields are consumed (json_object_put) and may be NULL.
 */
char *api_response_ok(int64_t id, struct json_object *result);
char *api_response_error(bool has_id, int64_t id, const char *msg);
char *api_event(const char *name, struct json_object *fields);

/* SO_PEERCRED policy: root, or the uid that owns the socket. */
bool api_peer_allowed(uid_t peer, uid_t owner);

#endif
