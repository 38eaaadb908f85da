// SPDX-License-Identifier: GPL-2.0-only
/*
 * The snapshot container (src/lib/snap_stream.c) as `vfvm run --restore`
 * reads it: any bytes.  What the reader accepts must be what the writer
 * makes: the sections handed out, written again with snap_out, give the
 * same bytes up to the end marker; and reading every section as integers
 * and strings never leaves it (ASan) nor passes a bad one as good.
 */
#include <errno.h>

#include "fuzz.h"
#include "snap_stream.h"

/* The end marker as the writer makes it: a header and a CRC, no payload. */
#define END_MARKER_LEN (SNAP_NAME_MAX + 16 + 4)

static void read_all(struct snap_in *in)
{
	for (unsigned int i = 0; i < in->nr_secs; i++) {
		struct snap_sec *s;
		struct errinfo e = {0};
		char str[64];
		size_t len;

		FUZZ_CHECK(snap_open(in, in->secs[i].name, UINT32_MAX, &s, &e) == 0 ||
			   in->secs[i].version == 0);
		if (!s)
			continue;
		len = s->len;
		snap_get_str(s, str, sizeof(str));
		FUZZ_CHECK(s->bad || strlen(str) < sizeof(str));
		while (!s->bad && snap_left(s))
			snap_get_u32(s);
		/* a read past the end is bad; a whole read is not */
		FUZZ_CHECK(s->bad || s->pos == len);
		FUZZ_CHECK((snap_close(s, "fuzz", &e) == 0) == (!s->bad && s->pos == len));
	}
	FUZZ_CHECK(snap_unused(in) == NULL || snap_unused(in)->version == 0);
}

static void round_trip(struct snap_in *in, const uint8_t *data, size_t size)
{
	struct snap_out o;

	snap_out_init(&o);
	for (unsigned int i = 0; i < in->nr_secs; i++) {
		snap_begin(&o, in->secs[i].name, in->secs[i].version);
		snap_put(&o, in->secs[i].p, in->secs[i].len);
		snap_end(&o);
	}
	FUZZ_CHECK(snap_out_finish(&o, NULL) == 0);
	FUZZ_CHECK(o.len >= END_MARKER_LEN);
	FUZZ_CHECK(o.len - END_MARKER_LEN <= size);
	FUZZ_CHECK(!memcmp(o.buf, data, o.len - END_MARKER_LEN));
	snap_out_free(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snap_in in;
	struct errinfo e = {0};
	uint8_t *buf = malloc(size ? size : 1);
	int ret;

	FUZZ_CHECK(buf != NULL);
	memcpy(buf, data, size);
	ret = snap_in_parse(&in, buf, size, "fuzz", &e);
	if (ret == 0) {
		round_trip(&in, data, size);
		read_all(&in);
	} else {
		FUZZ_CHECK(ret == -EBADMSG || ret == -EPROTONOSUPPORT || ret == -ENOMEM);
		FUZZ_CHECK(e.msg[0] != '\0');
	}
	snap_in_free(&in);
	return 0;
}
