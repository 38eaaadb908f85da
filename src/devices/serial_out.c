// SPDX-License-Identifier: GPL-2.0-only
/* Serial output ring and terminal escaping (see serial_out.h). */
#include "serial_out.h"

size_t serial_escape(uint8_t c, char out[4])
{
	size_t n = 0;

	if ((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\r' || c == '\t' || c == '\b') {
		out[0] = (char)c;
		return 1;
	}
	if (c >= 0x80) {
		out[n++] = 'M';
		out[n++] = '-';
		c &= 0x7f;
		if (c >= 0x20 && c < 0x7f) {
			out[n++] = (char)c;
			return n;
		}
	}
	out[n++] = '^';
	out[n++] = c == 0x7f ? '?' : (char)(c + 0x40);
	return n;
}

bool serial_out_put(struct serial_out *o, uint8_t c)
{
	char form[4];
	size_t n = 1;
	bool was_empty = o->len == 0;

	if (o->escape)
		n = serial_escape(c, form);
	else
		form[0] = (char)c;
	if (SERIAL_OUT_SIZE - o->len < n) {
		o->dropped++;
		return false;
	}
	for (size_t i = 0; i < n; i++)
		o->buf[(o->head + o->len++) % SERIAL_OUT_SIZE] = (uint8_t)form[i];
	return was_empty;
}

size_t serial_out_peek(const struct serial_out *o, uint8_t *dst, size_t max)
{
	size_t n = o->len < max ? o->len : max;

	for (size_t i = 0; i < n; i++)
		dst[i] = o->buf[(o->head + i) % SERIAL_OUT_SIZE];
	return n;
}

void serial_out_consume(struct serial_out *o, size_t n)
{
	if (n > o->len)
		n = o->len;
	o->head = (o->head + n) % SERIAL_OUT_SIZE;
	o->len -= n;
}
