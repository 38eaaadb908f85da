// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "snap_stream.h"

#define SNAP_HDR_LEN 16 /* magic, format version, flags */
#define SNAP_SEC_HDR_LEN (SNAP_NAME_MAX + 16) /* name, version, reserved, length */
#define SNAP_CRC_LEN 4

static void le_store(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t le_load(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint32_t crc_of(const uint8_t *p, size_t n)
{
	uLong crc = crc32(0L, Z_NULL, 0);

	/* zlib's length is a uInt: feed big payloads in pieces */
	while (n) {
		uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;

		crc = crc32(crc, p, chunk);
		p += chunk;
		n -= chunk;
	}
	return (uint32_t)crc;
}

void snap_out_init(struct snap_out *o)
{
	memset(o, 0, sizeof(*o));
	snap_put(o, SNAP_MAGIC, 8);
	snap_put_u32(o, SNAP_FORMAT_VERSION);
	snap_put_u32(o, 0);
}

void snap_out_free(struct snap_out *o)
{
	free(o->buf);
	memset(o, 0, sizeof(*o));
}

static uint8_t *out_grow(struct snap_out *o, size_t n)
{
	if (o->nomem)
		return NULL;
	if (n > o->cap - o->len) {
		size_t cap = o->cap ? o->cap : 4096;
		uint8_t *b;

		while (n > cap - o->len) {
			if (cap > SIZE_MAX / 2) {
				o->nomem = true;
				return NULL;
			}
			cap *= 2;
		}
		b = realloc(o->buf, cap);
		if (!b) {
			o->nomem = true;
			return NULL;
		}
		o->buf = b;
		o->cap = cap;
	}
	o->len += n;
	return o->buf + o->len - n;
}

void snap_put(struct snap_out *o, const void *p, size_t n)
{
	uint8_t *d = out_grow(o, n);

	if (d && n)
		memcpy(d, p, n);
}

static void put_le(struct snap_out *o, uint64_t v, int n)
{
	uint8_t *d = out_grow(o, (size_t)n);

	if (d)
		le_store(d, v, n);
}

void snap_put_u8(struct snap_out *o, uint8_t v)
{
	put_le(o, v, 1);
}

void snap_put_u16(struct snap_out *o, uint16_t v)
{
	put_le(o, v, 2);
}

void snap_put_u32(struct snap_out *o, uint32_t v)
{
	put_le(o, v, 4);
}

void snap_put_u64(struct snap_out *o, uint64_t v)
{
	put_le(o, v, 8);
}

void snap_put_str(struct snap_out *o, const char *s)
{
	size_t n = strlen(s);

	snap_put_u32(o, (uint32_t)n);
	snap_put(o, s, n);
}

void snap_begin(struct snap_out *o, const char *name, uint32_t version)
{
	uint8_t hdr[SNAP_SEC_HDR_LEN] = {0};

	if (o->in_section)
		snap_end(o);
	/* a name that does not fit is a programming error: truncate, keep NUL */
	strncpy((char *)hdr, name, SNAP_NAME_MAX - 1);
	le_store(hdr + SNAP_NAME_MAX, version, 4);
	o->sec_start = o->len;
	o->in_section = true;
	snap_put(o, hdr, sizeof(hdr));
}

void snap_end(struct snap_out *o)
{
	size_t plen;

	if (!o->in_section)
		return;
	o->in_section = false;
	if (o->nomem)
		return;
	plen = o->len - o->sec_start - SNAP_SEC_HDR_LEN;
	le_store(o->buf + o->sec_start + SNAP_NAME_MAX + 8, plen, 8);
	snap_put_u32(o, crc_of(o->buf + o->sec_start, o->len - o->sec_start));
}

int snap_out_finish(struct snap_out *o, struct errinfo *e)
{
	snap_end(o);
	snap_begin(o, "end", 1);
	snap_end(o);
	if (o->nomem)
		return err_set(e, ENOMEM, "saving VM state: out of memory after %zu bytes", o->len);
	return 0;
}

int snap_out_write(const struct snap_out *o, int fd, const char *what, struct errinfo *e)
{
	size_t done = 0;

	while (done < o->len) {
		ssize_t n = write(fd, o->buf + done, o->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(e, errno, "writing %s (%zu of %zu bytes written)", what,
				       done, o->len);
		done += (size_t)n;
	}
	return 0;
}

static int parse_fail(struct snap_in *in, struct errinfo *e, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int parse_fail(struct snap_in *in, struct errinfo *e, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_set(e, err, "%s: %s", in->what, msg);
	if (err == EBADMSG)
		err_hint(e, "the file is truncated or damaged; take the snapshot again");
	return -err;
}

int snap_in_parse(struct snap_in *in, uint8_t *buf, size_t len, const char *what, struct errinfo *e)
{
	size_t off = SNAP_HDR_LEN;
	bool ended = false;

	memset(in, 0, sizeof(*in));
	in->buf = buf;
	in->len = len;
	snprintf(in->what, sizeof(in->what), "%s", what);
	if (len < SNAP_HDR_LEN || memcmp(buf, SNAP_MAGIC, 8))
		return parse_fail(in, e, EBADMSG, "not a vfvm state file (no %s header)",
				  SNAP_MAGIC);
	in->format_version = (uint32_t)le_load(buf + 8, 4);
	if (in->format_version != SNAP_FORMAT_VERSION)
		return parse_fail(in, e, EPROTONOSUPPORT,
				  "format version %u; this vfvm reads version %u",
				  in->format_version, SNAP_FORMAT_VERSION);
	if (le_load(buf + 12, 4))
		return parse_fail(in, e, EPROTONOSUPPORT, "unknown flags 0x%x in the header",
				  (unsigned int)le_load(buf + 12, 4));
	in->secs = calloc(SNAP_MAX_SECTIONS, sizeof(*in->secs));
	if (!in->secs)
		return err_set(e, ENOMEM, "%s: out of memory", what);
	while (!ended) {
		struct snap_sec *s;
		uint64_t plen;
		uint32_t crc;

		if (len - off < SNAP_SEC_HDR_LEN)
			return parse_fail(
				in, e, EBADMSG,
				"truncated at byte %zu (section %u header, no end marker)", off,
				in->nr_secs + 1);
		if (in->nr_secs == SNAP_MAX_SECTIONS)
			return parse_fail(in, e, EBADMSG, "more than %d sections",
					  SNAP_MAX_SECTIONS);
		s = &in->secs[in->nr_secs];
		memcpy(s->name, buf + off, SNAP_NAME_MAX);
		if (s->name[SNAP_NAME_MAX - 1] || !s->name[0])
			return parse_fail(in, e, EBADMSG,
					  "section %u at byte %zu has no valid name",
					  in->nr_secs + 1, off);
		s->version = (uint32_t)le_load(buf + off + SNAP_NAME_MAX, 4);
		plen = le_load(buf + off + SNAP_NAME_MAX + 8, 8);
		if (plen > len - off - SNAP_SEC_HDR_LEN ||
		    len - off - SNAP_SEC_HDR_LEN - plen < SNAP_CRC_LEN)
			return parse_fail(in, e, EBADMSG,
					  "section '%s': length %llu runs past the end (%zu bytes)",
					  s->name, (unsigned long long)plen, len);
		crc = (uint32_t)le_load(buf + off + SNAP_SEC_HDR_LEN + plen, 4);
		if (crc != crc_of(buf + off, SNAP_SEC_HDR_LEN + plen))
			return parse_fail(in, e, EBADMSG, "section '%s': checksum mismatch",
					  s->name);
		/*
		 * what the writer makes, byte for byte: NUL padding, reserved 0
		 * (after the checksum, which names plain damage better)
		 */
		for (size_t i = strlen(s->name); i < SNAP_NAME_MAX; i++)
			if (s->name[i])
				return parse_fail(in, e, EBADMSG,
						  "section '%s' at byte %zu: bytes after its name "
						  "are not NUL padding",
						  s->name, off);
		if (le_load(buf + off + SNAP_NAME_MAX + 4, 4))
			return parse_fail(in, e, EBADMSG,
					  "section '%s' at byte %zu: reserved field 0x%x is not 0",
					  s->name, off,
					  (unsigned int)le_load(buf + off + SNAP_NAME_MAX + 4, 4));
		for (unsigned int i = 0; i < in->nr_secs; i++)
			if (!strcmp(in->secs[i].name, s->name))
				return parse_fail(in, e, EBADMSG, "section '%s' appears twice",
						  s->name);
		s->p = buf + off + SNAP_SEC_HDR_LEN;
		s->len = plen;
		off += SNAP_SEC_HDR_LEN + plen + SNAP_CRC_LEN;
		if (!strcmp(s->name, "end"))
			ended = true;
		else
			in->nr_secs++;
	}
	if (off != len)
		return parse_fail(in, e, EBADMSG, "%zu bytes after the end marker", len - off);
	return 0;
}

int snap_in_read_file(struct snap_in *in, const char *path, struct errinfo *e)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd;

	memset(in, 0, sizeof(*in));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "opening %s", path);
	if (fstat(fd, &st) < 0) {
		int err = errno;

		close(fd);
		return err_sys(e, err, "stat of %s", path);
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)SNAP_STATE_MAX) {
		close(fd);
		return err_set(e, EFBIG, "%s: not a regular file of at most %u MiB", path,
			       SNAP_STATE_MAX >> 20);
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return err_set(e, ENOMEM, "%s: out of memory", path);
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? errno : EIO;

			close(fd);
			free(buf);
			return err_sys(e, err, "reading %s", path);
		}
		done += (size_t)n;
	}
	close(fd);
	return snap_in_parse(in, buf, done, path, e);
}

void snap_in_free(struct snap_in *in)
{
	free(in->buf);
	free(in->secs);
	memset(in, 0, sizeof(*in));
}

struct snap_sec *snap_find(struct snap_in *in, const char *name)
{
	for (unsigned int i = 0; i < in->nr_secs; i++)
		if (!strcmp(in->secs[i].name, name))
			return &in->secs[i];
	return NULL;
}

int snap_open(struct snap_in *in, const char *name, uint32_t max_version, struct snap_sec **s,
	      struct errinfo *e)
{
	struct snap_sec *sec = snap_find(in, name);

	*s = NULL;
	if (!sec)
		return err_set(e, ENOENT, "%s: no section '%s'", in->what, name);
	if (sec->version < 1 || sec->version > max_version)
		return err_set(e, EPROTONOSUPPORT,
			       "%s: section '%s' has version %u; this vfvm reads up to %u",
			       in->what, name, sec->version, max_version);
	sec->used = true;
	sec->pos = 0;
	sec->bad = false;
	*s = sec;
	return 0;
}

struct snap_sec *snap_unused(struct snap_in *in)
{
	for (unsigned int i = 0; i < in->nr_secs; i++)
		if (!in->secs[i].used)
			return &in->secs[i];
	return NULL;
}

void snap_get(struct snap_sec *s, void *p, size_t n)
{
	if (s->bad || n > s->len - s->pos) {
		s->bad = true;
		memset(p, 0, n);
		return;
	}
	memcpy(p, s->p + s->pos, n);
	s->pos += n;
}

static uint64_t get_le(struct snap_sec *s, int n)
{
	uint8_t b[8];

	snap_get(s, b, (size_t)n);
	return le_load(b, n);
}

uint8_t snap_get_u8(struct snap_sec *s)
{
	return (uint8_t)get_le(s, 1);
}

uint16_t snap_get_u16(struct snap_sec *s)
{
	return (uint16_t)get_le(s, 2);
}

uint32_t snap_get_u32(struct snap_sec *s)
{
	return (uint32_t)get_le(s, 4);
}

uint64_t snap_get_u64(struct snap_sec *s)
{
	return get_le(s, 8);
}

void snap_get_str(struct snap_sec *s, char *buf, size_t size)
{
	uint32_t n = snap_get_u32(s);

	buf[0] = '\0';
	if (s->bad)
		return;
	if (n >= size || n > snap_left(s) || memchr(s->p + s->pos, '\0', n)) {
		s->bad = true;
		return;
	}
	snap_get(s, buf, n);
	buf[n] = '\0';
}

size_t snap_left(const struct snap_sec *s)
{
	return s->bad ? 0 : s->len - s->pos;
}

int snap_close(struct snap_sec *s, const char *what, struct errinfo *e)
{
	if (s->bad)
		return err_set(e, EBADMSG,
			       "%s: section '%s' (%zu bytes) is shorter than its layout", what,
			       s->name, s->len);
	if (s->pos != s->len)
		return err_set(e, EBADMSG,
			       "%s: section '%s' has %zu bytes left over after its layout", what,
			       s->name, s->len - s->pos);
	return 0;
}

int snap_bad(struct snap_sec *s, const char *what, struct errinfo *e, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(e, EBADMSG, "%s: section '%s': %s", what, s->name, msg);
}
