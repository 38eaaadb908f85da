/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Framing of the migration stream (format in migrate_ram.h): record
 * header sizes, the checksum, and socket I/O that never raises SIGPIPE.
 * Internal to migrate_*.c.
 */
#ifndef VFVM_MIGRATE_WIRE_H
#define VFVM_MIGRATE_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "errinfo.h"

#define MIGRATE_HDR_FIXED 24 /* magic, version, page size, regions, 0 */
#define MIGRATE_REC_HDR 8 /* type, length */
#define MIGRATE_CRC_LEN 4
#define MIGRATE_RUN_HDR 16 /* PAGES/ZERO: gpa, count */

/* CRC-32 (zlib's) of @n bytes at @p, continuing @crc (start with 0). */
uint32_t migrate_crc(uint32_t crc, const void *p, size_t n);
/* Send all of @iov (a peer that went away is -EPIPE, not a signal). */
int migrate_sendv(int fd, struct iovec *iov, int n, struct errinfo *e);
/* Read exactly @n bytes: -EPIPE when the stream ends first. */
int migrate_read_full(int fd, void *p, size_t n, struct errinfo *e);
/* One whole record: header, @len bytes of payload at @p, checksum. */
int migrate_send_record(int fd, uint32_t type, const void *p, uint32_t len, struct errinfo *e);
/*
 * One whole record of at most @cap payload bytes into @p: *@type, *@len.
 * -EBADMSG (named @what) for a longer one or a bad checksum, -EPIPE when
 * the stream ends.
 */
int migrate_read_record(int fd, const char *what, uint32_t *type, void *p, uint32_t cap,
			uint32_t *len, struct errinfo *e);
/* u64 little-endian */
uint64_t migrate_get64(const uint8_t *p);

#endif
