/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The container of a VM's saved state (snapshots, and later migration
 * streams): a header and a list of named, versioned sections, each with its
 * length and a CRC-32 of header and payload.
 *
 *   header:  "VFVMSNAP" | u32 format version | u32 flags (0)
 *   section: char name[SNAP_NAME_MAX] (NUL padded) | u32 version |
 *            u32 reserved (0) | u64 payload length | payload | u32 crc32
 *   last:    a section named "end" with no payload
 *
 * Everything little-endian.  A reader treats the bytes as hostile: the whole
 * container is checked (lengths, checksums, unique names, the end marker)
 * before any section is handed out, and every read from a section is
 * bounds-checked - reading past its end marks the section bad instead of
 * touching anything outside it.  Errors name the section.
 *
 * Writing never fails half-way: put calls only grow a buffer; an allocation
 * failure is remembered and reported once by snap_out_finish().
 */
#ifndef LIB_SNAP_STREAM_H
#define LIB_SNAP_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errinfo.h"

#define SNAP_MAGIC "VFVMSNAP"
#define SNAP_FORMAT_VERSION 1
#define SNAP_NAME_MAX 48 /* section name, the terminating NUL included */
#define SNAP_MAX_SECTIONS 1024
#define SNAP_STATE_MAX (256u << 20) /* largest container a reader accepts */

struct snap_out {
	uint8_t *buf;
	size_t len, cap;
	size_t sec_start; /* offset of the open section's header */
	bool in_section;
	bool nomem; /* an allocation failed: snap_out_finish() says so */
};

void snap_out_init(struct snap_out *o);
void snap_out_free(struct snap_out *o);
/* Open section @name (shorter than SNAP_NAME_MAX) with payload @version. */
void snap_begin(struct snap_out *o, const char *name, uint32_t version);
void snap_put(struct snap_out *o, const void *p, size_t n);
void snap_put_u8(struct snap_out *o, uint8_t v);
void snap_put_u16(struct snap_out *o, uint16_t v);
void snap_put_u32(struct snap_out *o, uint32_t v);
void snap_put_u64(struct snap_out *o, uint64_t v);
/* A length-prefixed (u32) string. */
void snap_put_str(struct snap_out *o, const char *s);
/* Close the open section: its length and checksum are filled in. */
void snap_end(struct snap_out *o);
/* Append the end marker; -ENOMEM (named) if any put failed. */
int snap_out_finish(struct snap_out *o, struct errinfo *e);
/* Write the finished container to @fd (a file or a socket); @what names it. */
int snap_out_write(const struct snap_out *o, int fd, const char *what, struct errinfo *e);

struct snap_sec {
	char name[SNAP_NAME_MAX];
	uint32_t version;
	const uint8_t *p; /* payload, inside snap_in.buf */
	size_t len;
	size_t pos; /* read position */
	bool bad; /* a read went past the end */
	bool used; /* handed out by snap_open() */
};

struct snap_in {
	uint8_t *buf; /* owned */
	size_t len;
	uint32_t format_version;
	struct snap_sec *secs;
	unsigned int nr_secs;
	char what[256]; /* the source, for messages ("snapshot /x/state") */
};

/*
 * Check and index @len bytes at @buf (ownership passes to @in, freed by
 * snap_in_free() even on failure).  -EBADMSG with a message naming @what
 * and the section for a truncated, corrupted or malformed container,
 * -EPROTONOSUPPORT for another format version.
 */
int snap_in_parse(struct snap_in *in, uint8_t *buf, size_t len, const char *what,
		  struct errinfo *e);
/* Read @path (at most SNAP_STATE_MAX bytes) and parse it. */
int snap_in_read_file(struct snap_in *in, const char *path, struct errinfo *e);
void snap_in_free(struct snap_in *in);

/* The section called @name, or NULL. */
struct snap_sec *snap_find(struct snap_in *in, const char *name);
/*
 * Hand out section @name for reading, whose version must be 1..@max_version:
 * -ENOENT when absent, -EPROTONOSUPPORT for a newer version (named).
 */
int snap_open(struct snap_in *in, const char *name, uint32_t max_version, struct snap_sec **s,
	      struct errinfo *e);
/* The first section nobody opened (for "this snapshot has a device X"), or NULL. */
struct snap_sec *snap_unused(struct snap_in *in);

/* Bounds-checked reads: past the end they give zeros and mark @s bad. */
void snap_get(struct snap_sec *s, void *p, size_t n);
uint8_t snap_get_u8(struct snap_sec *s);
uint16_t snap_get_u16(struct snap_sec *s);
uint32_t snap_get_u32(struct snap_sec *s);
uint64_t snap_get_u64(struct snap_sec *s);
/* A string of snap_put_str() into @buf (@size with NUL); too long: bad. */
void snap_get_str(struct snap_sec *s, char *buf, size_t size);
/* Bytes left to read. */
size_t snap_left(const struct snap_sec *s);
/*
 * Done with @s: -EBADMSG (named) when a read went past its end or bytes
 * are left over (a section of another layout).
 */
int snap_close(struct snap_sec *s, const char *what, struct errinfo *e);
/* Refuse a value read from @s: "<what>: section '<name>': <msg>", -EBADMSG. */
int snap_bad(struct snap_sec *s, const char *what, struct errinfo *e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
