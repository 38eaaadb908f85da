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
	API_VERB_ADD_DEVICE, /* "spec", optional "kind" */
	API_VERB_REMOVE_DEVICE, /* "device", optional "timeout" */
	API_VERB_FAILOVER_UNPLUG, /* "device": a failover=on virtio-net, optional "timeout" */
	API_VERB_FAILOVER_REPLUG, /* "device" */
	API_VERB_SNAPSHOT, /* "dir" (absolute path), optional "resume" (bool) */
	/* "uri" (tcp:HOST:PORT, unix:PATH), optional "downtime" (ms), "bandwidth" (MB/s) */
	API_VERB_MIGRATE,
	API_VERB_MIGRATE_STATUS,
	API_VERB_MIGRATE_CANCEL,
	/* "uri" (unix:PATH): hand the VM to a new vfvm on this host, RAM shared */
	API_VERB_UPGRADE,
	API_NR_VERBS,
};

/* What an add-device SPEC describes: the run options --device, --net, --disk. */
enum api_dev_kind {
	API_DEV_AUTO = 0, /* not given: api_spec_kind() decides */
	API_DEV_VFIO, /* --device BDF,... */
	API_DEV_NET, /* --net tap=...,... */
	API_DEV_DISK, /* --disk FILE,... */
};

#define API_SPEC_MAX 1024 /* an add-device SPEC, NUL included */
#define API_DEV_ID_MAX 32 /* a device id, NUL included (PCI_DEV_ID_MAX) */
#define API_PATH_MAX 1024 /* a snapshot directory, NUL included */
#define API_TIMEOUT_DEFAULT_MS 30000 /* remove-device, failover-unplug */
#define API_TIMEOUT_MAX_MS 3600000
#define API_DOWNTIME_MAX_MS 60000 /* migrate "downtime" */
#define API_BANDWIDTH_MAX_MBS 1000000 /* migrate "bandwidth", MB/s */

struct api_request {
	bool has_id; /* id was present and an integer (also on a failed parse) */
	int64_t id;
	enum api_verb verb;
	enum api_dev_kind kind; /* add-device */
	char spec[API_SPEC_MAX]; /* add-device */
	char device[API_DEV_ID_MAX]; /* remove-device, failover-* */
	unsigned int timeout_ms; /* remove-device, failover-unplug */
	char dir[API_PATH_MAX]; /* snapshot */
	bool resume; /* snapshot: run on once written */
	char uri[API_PATH_MAX]; /* migrate, upgrade */
	unsigned int downtime_ms; /* migrate; 0: the default */
	unsigned int bandwidth_mbs; /* migrate, 10^6 bytes/s; 0: no limit */
	bool postcopy; /* migrate: may switch to post-copy */
};

/*
 * The kind of an add-device SPEC without "kind": a leading PCI address
 * (0000:01:00.1 or 01:00.1) is a passthrough device, a tap= member a
 * virtio-net, anything else a disk.
 */
enum api_dev_kind api_spec_kind(const char *spec);
const char *api_dev_kind_name(enum api_dev_kind k);
/* Whether @id is a valid device id: 1-31 of [A-Za-z0-9_.-], a letter first. */
bool api_id_valid(const char *id);

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
