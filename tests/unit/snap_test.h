/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Snapshot helpers for unit tests: one section written with snap_out, read
 * back either through the real container (snap_out_finish, snap_in_parse,
 * snap_open: checksums and all) or as a raw payload copy a test may damage
 * (truncate, change a field) to play a hostile snapshot.
 */
#ifndef TEST_SNAP_TEST_H
#define TEST_SNAP_TEST_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "snap_stream.h"

#define ST_FILE_HDR 16 /* magic, format version, flags */
#define ST_SEC_HDR (SNAP_NAME_MAX + 16)

/* A writer with section @name open. */
static inline void st_begin(struct snap_out *o, const char *name)
{
	snap_out_init(o);
	snap_begin(o, name, 1);
}

/*
 * Finish @o (one section) and parse it as a restore would; *@s is the
 * section, opened.  Returns 0 or the error of the container.
 */
static inline int st_reopen(struct snap_out *o, struct snap_in *in, const char *name,
			    struct snap_sec **s, struct errinfo *e)
{
	uint8_t *buf;
	int ret = snap_out_finish(o, e);

	if (ret < 0)
		return ret;
	buf = malloc(o->len);
	if (!buf)
		return -1;
	memcpy(buf, o->buf, o->len);
	ret = snap_in_parse(in, buf, o->len, "test snapshot", e);
	if (ret < 0)
		return ret;
	return snap_open(in, name, 1, s, e);
}

/*
 * The payload of the first section of @o (closed with snap_end), copied
 * into *@copy (the caller frees it) as a section to read: damage the copy
 * and hand @s to a load function.
 */
static inline void st_raw(const struct snap_out *o, struct snap_sec *s, uint8_t **copy)
{
	size_t len = o->len - ST_FILE_HDR - ST_SEC_HDR - 4;

	*copy = malloc(len ? len : 1);
	memcpy(*copy, o->buf + ST_FILE_HDR + ST_SEC_HDR, len);
	memset(s, 0, sizeof(*s));
	strcpy(s->name, "dev");
	s->version = 1;
	s->p = *copy;
	s->len = len;
}

static inline void st_put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

#endif
