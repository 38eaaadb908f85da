// SPDX-License-Identifier: GPL-2.0-only
/* Framing and socket I/O of the migration stream (see migrate_wire.h). */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "byteorder.h"
#include "migrate_wire.h"

uint32_t migrate_crc(uint32_t crc, const void *p, size_t n)
{
	const Bytef *b = p;

	while (n) {
		uInt chunk = n > (1u << 30) ? 1u << 30 : (uInt)n;

		crc = (uint32_t)crc32(crc, b, chunk);
		b += chunk;
		n -= chunk;
	}
	return crc;
}

int migrate_sendv(int fd, struct iovec *iov, int n, struct errinfo *e)
{
	while (n > 0) {
		struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
		ssize_t done = sendmsg(fd, &msg, MSG_NOSIGNAL);

		if (done < 0 && errno == ENOTSOCK)
			done = writev(fd, iov, n); /* a pipe or file in tests and tools */
		if (done < 0) {
			if (errno == EINTR)
				continue;
			/* SO_SNDTIMEO ran out: the receiver stopped taking the stream */
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return err_set(e, ETIMEDOUT,
					       "sending the migration stream: the receiver took "
					       "nothing for too long");
			return err_sys(e, errno, "sending the migration stream");
		}
		while (n > 0 && (size_t)done >= iov->iov_len) {
			done -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + done;
			iov->iov_len -= (size_t)done;
		}
	}
	return 0;
}

int migrate_read_full(int fd, void *p, size_t n, struct errinfo *e)
{
	uint8_t *b = p;

	while (n) {
		ssize_t got = read(fd, b, n);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			/* SO_RCVTIMEO ran out: the sender went quiet */
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return err_set(e, ETIMEDOUT,
					       "reading the migration stream: nothing came for too "
					       "long");
			return err_sys(e, errno, "reading the migration stream");
		}
		if (got == 0)
			return err_set(e, EPIPE, "the migration stream ended early");
		b += got;
		n -= (size_t)got;
	}
	return 0;
}

int migrate_send_record(int fd, uint32_t type, const void *p, uint32_t len, struct errinfo *e)
{
	uint8_t hdr[MIGRATE_REC_HDR], tail[MIGRATE_CRC_LEN];
	struct iovec iov[3] = {
		{hdr, sizeof(hdr)},
		{(void *)(uintptr_t)p, len},
		{tail, sizeof(tail)},
	};

	put32(hdr, type);
	put32(hdr + 4, len);
	put32(tail, migrate_crc(migrate_crc(0, hdr, sizeof(hdr)), p, len));
	return migrate_sendv(fd, iov, 3, e);
}

uint64_t migrate_get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

int migrate_read_record(int fd, const char *what, uint32_t *type, void *p, uint32_t cap,
			uint32_t *len, struct errinfo *e)
{
	uint8_t hdr[MIGRATE_REC_HDR], tail[MIGRATE_CRC_LEN];
	uint32_t crc;
	int ret = migrate_read_full(fd, hdr, sizeof(hdr), e);

	if (ret)
		return ret;
	*type = get32(hdr);
	*len = get32(hdr + 4);
	if (*len > cap)
		return err_set(e, EBADMSG, "%s: record type %u of %u bytes, at most %u expected",
			       what, *type, *len, cap);
	ret = migrate_read_full(fd, p, *len, e);
	if (!ret)
		ret = migrate_read_full(fd, tail, sizeof(tail), e);
	if (ret)
		return ret;
	crc = migrate_crc(migrate_crc(0, hdr, sizeof(hdr)), p, *len);
	if (get32(tail) != crc)
		return err_set(e, EBADMSG, "%s: record type %u: checksum 0x%08x, computed 0x%08x",
			       what, *type, get32(tail), crc);
	return 0;
}
