// SPDX-License-Identifier: GPL-2.0-only
/* The saved-state container: round trip, and hostile bytes refused by name. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "snap_stream.h"

/* A container with sections "a" (u8 u16 u32 u64 str) and "b" (16 bytes). */
static uint8_t *make(size_t *len)
{
	struct snap_out o;
	uint8_t blob[16];
	uint8_t *copy;

	for (int i = 0; i < 16; i++)
		blob[i] = (uint8_t)(i * 7);
	snap_out_init(&o);
	snap_begin(&o, "a", 1);
	snap_put_u8(&o, 0xab);
	snap_put_u16(&o, 0xbeef);
	snap_put_u32(&o, 0xdeadbeef);
	snap_put_u64(&o, 0x0123456789abcdefULL);
	snap_put_str(&o, "net0");
	snap_end(&o);
	snap_begin(&o, "b", 2);
	snap_put(&o, blob, sizeof(blob));
	snap_end(&o);
	assert_int_equal(snap_out_finish(&o, NULL), 0);
	copy = malloc(o.len);
	assert_non_null(copy);
	memcpy(copy, o.buf, o.len);
	*len = o.len;
	snap_out_free(&o);
	return copy;
}

static void round_trip(void **state)
{
	struct snap_in in;
	struct snap_sec *s;
	struct errinfo e = {0};
	char str[8];
	uint8_t blob[16];
	size_t len;
	uint8_t *buf = make(&len);

	(void)state;
	assert_int_equal(snap_in_parse(&in, buf, len, "test", &e), 0);
	assert_int_equal(in.nr_secs, 2);
	assert_int_equal(snap_open(&in, "a", 1, &s, &e), 0);
	assert_int_equal(snap_get_u8(s), 0xab);
	assert_int_equal(snap_get_u16(s), 0xbeef);
	assert_int_equal(snap_get_u32(s), 0xdeadbeef);
	assert_true(snap_get_u64(s) == 0x0123456789abcdefULL);
	snap_get_str(s, str, sizeof(str));
	assert_string_equal(str, "net0");
	assert_int_equal(snap_close(s, "test", &e), 0);
	/* "b" was never opened */
	assert_non_null(snap_unused(&in));
	assert_string_equal(snap_unused(&in)->name, "b");
	assert_int_equal(snap_open(&in, "b", 2, &s, &e), 0);
	snap_get(s, blob, sizeof(blob));
	assert_int_equal(blob[15], 105);
	assert_int_equal(snap_close(s, "test", &e), 0);
	assert_null(snap_unused(&in));
	snap_in_free(&in);
}

static void missing_and_newer_sections(void **state)
{
	struct snap_in in;
	struct snap_sec *s;
	struct errinfo e = {0};
	size_t len;
	uint8_t *buf = make(&len);

	(void)state;
	assert_int_equal(snap_in_parse(&in, buf, len, "snap", &e), 0);
	assert_int_equal(snap_open(&in, "vcpu:0", 1, &s, &e), -ENOENT);
	assert_string_equal(e.msg, "snap: no section 'vcpu:0'");
	/* "b" is version 2: a reader of version 1 refuses it */
	assert_int_equal(snap_open(&in, "b", 1, &s, &e), -EPROTONOSUPPORT);
	assert_non_null(strstr(e.msg, "section 'b' has version 2"));
	snap_in_free(&in);
}

static void reads_past_the_end_mark_bad(void **state)
{
	struct snap_in in;
	struct snap_sec *s;
	struct errinfo e = {0};
	char str[4];
	uint8_t skip[7];
	size_t len;
	uint8_t *buf = make(&len);

	(void)state;
	assert_int_equal(snap_in_parse(&in, buf, len, "snap", &e), 0);
	assert_int_equal(snap_open(&in, "b", 2, &s, &e), 0);
	assert_true(snap_get_u64(s) != 0);
	assert_true(snap_get_u64(s) != 0);
	assert_int_equal(snap_left(s), 0);
	/* past the end: zeros, and the section is bad */
	assert_int_equal(snap_get_u32(s), 0);
	assert_true(s->bad);
	assert_int_equal(snap_close(s, "snap", &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "section 'b'"));
	/* a string longer than the buffer is refused, not cut */
	assert_int_equal(snap_open(&in, "a", 1, &s, &e), 0);
	snap_get(s, skip, sizeof(skip)); /* u8, u16, u32 */
	snap_get_u64(s);
	snap_get_str(s, str, 4); /* "net0" needs 5 bytes */
	assert_true(s->bad);
	assert_string_equal(str, "");
	/* left-over bytes are refused too: the layout is not this one */
	assert_int_equal(snap_open(&in, "a", 1, &s, &e), 0);
	snap_get_u8(s);
	assert_int_equal(snap_close(s, "snap", &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "left over"));
	snap_in_free(&in);
}

static void every_truncation_refused(void **state)
{
	size_t len;
	uint8_t *buf = make(&len);

	(void)state;
	for (size_t cut = 0; cut < len; cut++) {
		struct snap_in in;
		struct errinfo e = {0};
		uint8_t *part = malloc(cut ? cut : 1);

		assert_non_null(part);
		memcpy(part, buf, cut);
		assert_int_equal(snap_in_parse(&in, part, cut, "cut", &e), -EBADMSG);
		assert_true(!strncmp(e.msg, "cut: ", 5));
		snap_in_free(&in);
	}
	free(buf);
}

static void every_flipped_byte_refused(void **state)
{
	size_t len;
	uint8_t *buf = make(&len);

	(void)state;
	for (size_t i = 0; i < len; i++) {
		struct snap_in in;
		struct errinfo e = {0};
		uint8_t *bad = malloc(len);
		int ret;

		assert_non_null(bad);
		memcpy(bad, buf, len);
		bad[i] ^= 0x40;
		ret = snap_in_parse(&in, bad, len, "flip", &e);
		/* the magic, version, a name, a length or a checksum: all caught */
		assert_true(ret == -EBADMSG || ret == -EPROTONOSUPPORT);
		snap_in_free(&in);
	}
	free(buf);
}

static void wrong_format_version(void **state)
{
	struct snap_in in;
	struct errinfo e = {0};
	size_t len;
	uint8_t *buf = make(&len);

	(void)state;
	buf[8] = 2;
	assert_int_equal(snap_in_parse(&in, buf, len, "v2", &e), -EPROTONOSUPPORT);
	assert_string_equal(e.msg, "v2: format version 2; this vfvm reads version 1");
	snap_in_free(&in);
}

static void duplicate_section_refused(void **state)
{
	struct snap_out o;
	struct snap_in in;
	struct errinfo e = {0};
	uint8_t *copy;

	(void)state;
	snap_out_init(&o);
	snap_begin(&o, "pci:net0", 1);
	snap_put_u32(&o, 1);
	snap_begin(&o, "pci:net0", 1); /* also closes the first */
	snap_put_u32(&o, 2);
	snap_end(&o);
	assert_int_equal(snap_out_finish(&o, NULL), 0);
	copy = malloc(o.len);
	assert_non_null(copy);
	memcpy(copy, o.buf, o.len);
	assert_int_equal(snap_in_parse(&in, copy, o.len, "dup", &e), -EBADMSG);
	assert_string_equal(e.msg, "dup: section 'pci:net0' appears twice");
	snap_in_free(&in);
	snap_out_free(&o);
}

static void trailing_bytes_refused(void **state)
{
	struct snap_in in;
	struct errinfo e = {0};
	size_t len;
	uint8_t *buf = make(&len), *more = realloc(buf, len + 3);

	(void)state;
	assert_non_null(more);
	memset(more + len, 0, 3);
	assert_int_equal(snap_in_parse(&in, more, len + 3, "tail", &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "3 bytes after the end marker"));
	snap_in_free(&in);
}

/* Byte @at of section "a" set to @v, its CRC made right again: parse fails with @want. */
static void header_byte_refused(size_t at, uint8_t v, const char *want)
{
	struct snap_in in;
	struct errinfo e = {0};
	size_t len, sec = 16, plen;
	uint8_t *buf = make(&len);
	uint32_t crc;

	plen = (size_t)buf[sec + SNAP_NAME_MAX + 8];
	buf[sec + at] = v;
	crc = (uint32_t)crc32(0L, buf + sec, (uInt)(64 + plen));
	for (int i = 0; i < 4; i++)
		buf[sec + 64 + plen + (size_t)i] = (uint8_t)(crc >> (8 * i));
	assert_int_equal(snap_in_parse(&in, buf, len, "pad", &e), -EBADMSG);
	if (!strstr(e.msg, want))
		fail_msg("expected '%s' in '%s'", want, e.msg);
	snap_in_free(&in);
}

/*
 * The fuzzer's find (snap_stream): a byte after the name's NUL, with a
 * CRC that matches, was read as a good section that the writer would
 * never make; the reserved word likewise.
 */
static void header_padding_and_reserved_refused(void **state)
{
	(void)state;
	header_byte_refused(
		SNAP_NAME_MAX - 4, 0x94,
		"pad: section 'a' at byte 16: bytes after its name are not NUL padding");
	header_byte_refused(SNAP_NAME_MAX + 4, 1,
			    "pad: section 'a' at byte 16: reserved field 0x1 is not 0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(missing_and_newer_sections),
		cmocka_unit_test(reads_past_the_end_mark_bad),
		cmocka_unit_test(every_truncation_refused),
		cmocka_unit_test(every_flipped_byte_refused),
		cmocka_unit_test(wrong_format_version),
		cmocka_unit_test(duplicate_section_refused),
		cmocka_unit_test(trailing_bytes_refused),
		cmocka_unit_test(header_padding_and_reserved_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
