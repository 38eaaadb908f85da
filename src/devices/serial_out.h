/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The serial port's output side (src/devices/serial_out.c): a bounded ring
 * the vCPU thread fills and the I/O thread drains to the console, and the
 * escaping of control bytes for a terminal.  No locking here: the caller
 * holds the port's lock.
 */
#ifndef DEVICES_SERIAL_OUT_H
#define DEVICES_SERIAL_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERIAL_OUT_SIZE 65536

struct serial_out {
	uint8_t buf[SERIAL_OUT_SIZE];
	size_t head, len;
	/*
	 * When the ring is full the newest bytes are dropped (what is queued
	 * keeps its order) and counted here.
	 */
	uint64_t dropped;
	bool escape; /* show control bytes as ^X / M-x (the console is a terminal) */
};

/*
 * How @c is shown on a terminal, in @out (up to 4 bytes, not terminated):
 * printable ASCII, \n, \r, \t and backspace as they are; other control
 * bytes as ^X (ESC is "^[", DEL "^?"); bytes from 0x80 as "M-" and the
 * form of the low 7 bits, like cat -v.  Returns the length.
 */
size_t serial_escape(uint8_t c, char out[4]);
/*
 * Queue guest byte @c (escaped when o->escape).  All of its form or
 * nothing: when the ring has no room, the byte counts in o->dropped.
 * Returns true when the ring was empty before (the drainer needs a wake-up).
 */
bool serial_out_put(struct serial_out *o, uint8_t c);
/* Copy up to @max of the oldest queued bytes to @dst (still queued); returns how many. */
size_t serial_out_peek(const struct serial_out *o, uint8_t *dst, size_t max);
/* Forget the @n oldest queued bytes (written out). */
void serial_out_consume(struct serial_out *o, size_t n);

#endif
