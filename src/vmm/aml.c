// SPDX-License-Identifier: GPL-2.0-only
/* AML byte emitter (ACPI 6, section 20). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aml.h"

void aml_init(struct aml *a)
{
	memset(a, 0, sizeof(*a));
}

void aml_free(struct aml *a)
{
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->err)
		return;
	if (a->len + n > a->cap) {
		size_t cap = a->cap ? a->cap : 256;
		uint8_t *b;

		while (cap < a->len + n)
			cap *= 2;
		b = realloc(a->buf, cap);
		if (!b) {
			a->err = -ENOMEM;
			return;
		}
		a->buf = b;
		a->cap = cap;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

void aml_int(struct aml *a, uint64_t v)
{
	uint8_t b[9];
	int n;

	if (v == 0) {
		aml_byte(a, 0x00);
		return;
	}
	if (v == 1) {
		aml_byte(a, 0x01);
		return;
	}
	if (v <= 0xff) {
		b[0] = 0x0a;
		n = 1;
	} else if (v <= 0xffff) {
		b[0] = 0x0b;
		n = 2;
	} else if (v <= 0xffffffff) {
		b[0] = 0x0c;
		n = 4;
	} else {
		b[0] = 0x0e;
		n = 8;
	}
	for (int i = 0; i < n; i++)
		b[1 + i] = (uint8_t)(v >> (8 * i));
	aml_bytes(a, b, (size_t)n + 1);
}

/* One NameSeg, padded with '_' to 4 characters. */
static void nameseg(struct aml *a, const char *s, size_t n)
{
	char seg[4] = {'_', '_', '_', '_'};

	memcpy(seg, s, n > 4 ? 4 : n);
	aml_bytes(a, seg, 4);
}

void aml_namestring(struct aml *a, const char *name)
{
	const char *p = name;
	size_t nseg = 1;

	if (*p == '\\') {
		aml_byte(a, '\\');
		p++;
	}
	if (!*p) {
		aml_byte(a, 0x00); /* NullName */
		return;
	}
	for (const char *q = p; *q; q++)
		nseg += *q == '.';
	if (nseg == 2)
		aml_byte(a, 0x2e); /* DualNamePrefix */
	else if (nseg > 2) {
		aml_byte(a, 0x2f); /* MultiNamePrefix */
		aml_byte(a, (uint8_t)nseg);
	}
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		nameseg(a, p, n);
		p += n;
		if (*p == '.')
			p++;
	}
}

void aml_string(struct aml *a, const char *s)
{
	aml_byte(a, 0x0d);
	aml_bytes(a, s, strlen(s) + 1);
}

void aml_name(struct aml *a, const char *name, const struct aml *val)
{
	aml_byte(a, 0x08);
	aml_namestring(a, name);
	aml_bytes(a, val->buf, val->len);
	if (val->err)
		a->err = val->err;
}

void aml_name_int(struct aml *a, const char *name, uint64_t v)
{
	aml_byte(a, 0x08);
	aml_namestring(a, name);
	aml_int(a, v);
}

uint32_t aml_eisaid(const char *id)
{
	uint32_t v = 0;

	if (strlen(id) != 7)
		return 0;
	/* three letters (5 bits each, 'A' = 1) then four hex digits; stored big-endian */
	v |= (uint32_t)((id[0] - '@') & 0x1f) << 26;
	v |= (uint32_t)((id[1] - '@') & 0x1f) << 21;
	v |= (uint32_t)((id[2] - '@') & 0x1f) << 16;
	v |= (uint32_t)strtoul(id + 3, NULL, 16) & 0xffff;
	return __builtin_bswap32(v);
}

void aml_pkglen(struct aml *a, size_t content_len)
{
	size_t total;

	/* the encoded length counts its own bytes too */
	if (content_len + 1 < 0x40) {
		aml_byte(a, (uint8_t)(content_len + 1));
		return;
	}
	if (content_len + 2 < 0x1000) {
		total = content_len + 2;
		aml_byte(a, (uint8_t)(0x40 | (total & 0xf)));
		aml_byte(a, (uint8_t)(total >> 4));
		return;
	}
	if (content_len + 3 < 0x100000) {
		total = content_len + 3;
		aml_byte(a, (uint8_t)(0x80 | (total & 0xf)));
		aml_byte(a, (uint8_t)(total >> 4));
		aml_byte(a, (uint8_t)(total >> 12));
		return;
	}
	total = content_len + 4;
	aml_byte(a, (uint8_t)(0xc0 | (total & 0xf)));
	aml_byte(a, (uint8_t)(total >> 4));
	aml_byte(a, (uint8_t)(total >> 12));
	aml_byte(a, (uint8_t)(total >> 20));
}

static void wrap(struct aml *a, const uint8_t *op, size_t opn, const char *name,
		 const struct aml *body)
{
	struct aml inner;

	aml_init(&inner);
	if (name)
		aml_namestring(&inner, name);
	aml_bytes(&inner, body->buf, body->len);
	aml_bytes(a, op, opn);
	aml_pkglen(a, inner.len);
	aml_bytes(a, inner.buf, inner.len);
	if (inner.err || body->err)
		a->err = inner.err ? inner.err : body->err;
	aml_free(&inner);
}

void aml_scope(struct aml *a, const char *name, const struct aml *body)
{
	static const uint8_t op[] = {0x10};

	wrap(a, op, 1, name, body);
}

void aml_device(struct aml *a, const char *name, const struct aml *body)
{
	static const uint8_t op[] = {0x5b, 0x82};

	wrap(a, op, 2, name, body);
}

void aml_package(struct aml *a, unsigned int nr, const struct aml *elems)
{
	struct aml inner;
	static const uint8_t op[] = {0x12};

	aml_init(&inner);
	aml_byte(&inner, (uint8_t)nr);
	aml_bytes(&inner, elems->buf, elems->len);
	wrap(a, op, 1, NULL, &inner);
	aml_free(&inner);
}

void aml_buffer(struct aml *a, const struct aml *data)
{
	struct aml inner;
	static const uint8_t op[] = {0x11};

	aml_init(&inner);
	aml_int(&inner, data->len);
	aml_bytes(&inner, data->buf, data->len);
	wrap(a, op, 1, NULL, &inner);
	aml_free(&inner);
}

void aml_append(struct aml *a, const struct aml *t)
{
	aml_bytes(a, t->buf, t->len);
	if (t->err && !a->err)
		a->err = t->err;
}

void aml_local(struct aml *a, unsigned int n)
{
	aml_byte(a, (uint8_t)(0x60 + (n & 7)));
}

void aml_arg(struct aml *a, unsigned int n)
{
	aml_byte(a, (uint8_t)(0x68 + (n < 7 ? n : 6)));
}

void aml_opregion(struct aml *a, const char *name, uint8_t space, uint64_t off, uint64_t len)
{
	aml_byte(a, 0x5b);
	aml_byte(a, 0x80);
	aml_namestring(a, name);
	aml_byte(a, space);
	aml_int(a, off);
	aml_int(a, len);
}

/* A field element's bit count: PkgLength-style, but not counting its own bytes. */
static void field_len(struct aml *a, unsigned int bits)
{
	if (bits < 0x40) {
		aml_byte(a, (uint8_t)bits);
		return;
	}
	if (bits < 0x1000) {
		aml_byte(a, (uint8_t)(0x40 | (bits & 0xf)));
		aml_byte(a, (uint8_t)(bits >> 4));
		return;
	}
	aml_byte(a, (uint8_t)(0x80 | (bits & 0xf)));
	aml_byte(a, (uint8_t)(bits >> 4));
	aml_byte(a, (uint8_t)(bits >> 12));
}

void aml_field(struct aml *a, const char *region, uint8_t flags, const struct aml_field *f,
	       unsigned int nr)
{
	static const uint8_t op[] = {0x5b, 0x81};
	struct aml body;

	aml_init(&body);
	aml_byte(&body, flags);
	for (unsigned int i = 0; i < nr; i++) {
		nameseg(&body, f[i].name, strlen(f[i].name));
		field_len(&body, f[i].bits);
	}
	wrap(a, op, 2, region, &body);
	aml_free(&body);
}

void aml_method(struct aml *a, const char *name, unsigned int nargs, bool serialized,
		const struct aml *body)
{
	static const uint8_t op[] = {0x14};
	struct aml inner;

	/* the flags byte follows the name: build name + flags + body, then wrap */
	aml_init(&inner);
	aml_namestring(&inner, name);
	aml_byte(&inner, (uint8_t)((nargs & 7) | (serialized ? 0x08 : 0)));
	aml_append(&inner, body);
	wrap(a, op, 1, NULL, &inner);
	aml_free(&inner);
}

void aml_if(struct aml *a, const struct aml *pred, const struct aml *body)
{
	static const uint8_t op[] = {0xa0};
	struct aml inner;

	aml_init(&inner);
	aml_append(&inner, pred);
	aml_append(&inner, body);
	wrap(a, op, 1, NULL, &inner);
	aml_free(&inner);
}

static void op2(struct aml *a, uint8_t op, const struct aml *x, const struct aml *y,
		const struct aml *target)
{
	aml_byte(a, op);
	aml_append(a, x);
	aml_append(a, y);
	if (target)
		aml_append(a, target);
	else
		aml_byte(a, 0x00); /* NullName: no target */
}

void aml_and(struct aml *a, const struct aml *x, const struct aml *y, const struct aml *target)
{
	op2(a, 0x7b, x, y, target);
}

void aml_shiftleft(struct aml *a, const struct aml *x, const struct aml *y,
		   const struct aml *target)
{
	op2(a, 0x79, x, y, target);
}

void aml_store(struct aml *a, const struct aml *src, const struct aml *dst)
{
	aml_byte(a, 0x70);
	aml_append(a, src);
	aml_append(a, dst);
}

void aml_lequal(struct aml *a, const struct aml *x, const struct aml *y)
{
	aml_byte(a, 0x93);
	aml_append(a, x);
	aml_append(a, y);
}

void aml_lnot(struct aml *a, const struct aml *x)
{
	aml_byte(a, 0x92);
	aml_append(a, x);
}

void aml_notify(struct aml *a, const struct aml *obj, const struct aml *value)
{
	aml_byte(a, 0x86);
	aml_append(a, obj);
	aml_append(a, value);
}

void aml_call(struct aml *a, const char *name, const struct aml *args)
{
	aml_namestring(a, name);
	if (args)
		aml_append(a, args);
}
