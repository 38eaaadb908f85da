// SPDX-License-Identifier: GPL-2.0-only
/*
 * The receiving side of RAM migration, and the state blob both ways.  The
 * stream is hostile input: every field is checked before it is used, and
 * no byte is written outside guest RAM (format in migrate_ram.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "byteorder.h"
#include "migrate_postcopy.h"
#include "migrate_ram.h"
#include "migrate_wire.h"

#define PAGE GUEST_PAGE_SIZE

struct reader {
	int fd;
	struct migrate_pc_dest *pc; /* NULL: post-copy records are refused */
	struct guest_mem *mem;
	struct migrate_recv_stats *st;
	unsigned int recno; /* records read, the current one included */
	uint32_t type;
	uint64_t rec_off; /* stream offset of the current record */
	uint32_t crc; /* of the current record so far */
};

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static const char *rec_name(uint32_t type)
{
	switch (type) {
	case MIGRATE_REC_PASS:
		return "PASS";
	case MIGRATE_REC_PAGES:
		return "PAGES";
	case MIGRATE_REC_ZERO:
		return "ZERO";
	case MIGRATE_REC_END_RAM:
		return "END_RAM";
	case MIGRATE_REC_BLOB:
		return "BLOB";
	case MIGRATE_REC_DISCARD:
		return "DISCARD";
	case MIGRATE_REC_POSTCOPY:
		return "POSTCOPY";
	}
	return "unknown";
}

/* Refuse the stream: "migration stream: record N (TYPE) at offset O: ..." */
static int bad(struct reader *r, struct errinfo *e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(struct reader *r, struct errinfo *e, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!r->recno)
		return err_set(e, EBADMSG, "migration stream: header: %s", what);
	return err_set(e, EBADMSG, "migration stream: record %u (%s, type %u) at offset %llu: %s",
		       r->recno, rec_name(r->type), r->type, (unsigned long long)r->rec_off, what);
}

/* Read @n bytes of the current record into @p, adding them to its checksum. */
static int rd(struct reader *r, void *p, size_t n, struct errinfo *e)
{
	int ret = migrate_read_full(r->fd, p, n, e);

	if (ret == -EPIPE && r->recno)
		err_prefix(e, "migration stream: record %u (%s) at offset %llu truncated", r->recno,
			   rec_name(r->type), (unsigned long long)r->rec_off);
	else if (ret == -EPIPE)
		err_prefix(e, "migration stream: header truncated");
	if (ret)
		return ret;
	r->crc = migrate_crc(r->crc, p, n);
	r->st->bytes += n;
	return 0;
}

/* The record's checksum, which must match what was read. */
static int rd_crc(struct reader *r, struct errinfo *e)
{
	uint8_t b[MIGRATE_CRC_LEN];
	uint32_t want = r->crc;
	int ret = rd(r, b, sizeof(b), e);

	if (ret)
		return ret;
	if (get32(b) != want)
		return bad(r, e, "checksum 0x%08x, computed 0x%08x", get32(b), want);
	return 0;
}

static int read_header(struct reader *r, struct errinfo *e)
{
	uint8_t h[MIGRATE_HDR_FIXED + GUEST_MEM_MAX_REGIONS * 16];
	const struct guest_mem *m = r->mem;
	uint32_t version, page, nr;
	int ret = rd(r, h, MIGRATE_HDR_FIXED, e);

	if (ret)
		return ret;
	if (memcmp(h, MIGRATE_MAGIC, 8))
		return bad(r, e, "not a vfvm migration stream (no %s magic)", MIGRATE_MAGIC);
	version = get32(h + 8);
	page = get32(h + 12);
	nr = get32(h + 16);
	if (version != MIGRATE_VERSION)
		return bad(r, e, "format version %u, this vfvm reads version %u", version,
			   MIGRATE_VERSION);
	if (page != PAGE)
		return bad(r, e, "page size %u, expected %llu", page, PAGE);
	if (nr < 1 || nr > GUEST_MEM_MAX_REGIONS || get32(h + 20))
		return bad(r, e, "%u RAM regions (1..%d), reserved field 0x%x", nr,
			   GUEST_MEM_MAX_REGIONS, get32(h + 20));
	ret = rd(r, h + MIGRATE_HDR_FIXED, nr * 16, e);
	if (!ret)
		ret = rd_crc(r, e);
	if (ret)
		return ret;
	/* the destination was started with the same RAM: same layout */
	if ((int)nr != m->nr_regions)
		return bad(r, e, "the source has %u RAM regions, this VM %d (different RAM size?)",
			   nr, m->nr_regions);
	for (uint32_t i = 0; i < nr; i++) {
		uint64_t gpa = get64(h + MIGRATE_HDR_FIXED + i * 16);
		uint64_t size = get64(h + MIGRATE_HDR_FIXED + i * 16 + 8);

		if (gpa != m->region[i].gpa || size != m->region[i].size)
			return bad(r, e,
				   "source RAM region %u is 0x%llx+0x%llx, here 0x%llx+0x%llx "
				   "(start the destination with the same memory size)",
				   i, (unsigned long long)gpa, (unsigned long long)size,
				   (unsigned long long)m->region[i].gpa,
				   (unsigned long long)m->region[i].size);
	}
	return 0;
}

/* [gpa, gpa + count pages) wholly inside one RAM region: its host address. */
static uint8_t *ram_range(struct reader *r, uint64_t gpa, uint64_t count, struct errinfo *e,
			  int *ret)
{
	uint8_t *p = NULL;

	if (gpa % PAGE)
		*ret = bad(r, e, "address 0x%llx is not page aligned", (unsigned long long)gpa);
	else if (count == 0 || count > r->mem->total / PAGE)
		*ret = bad(r, e, "%llu pages at 0x%llx: more than guest RAM holds",
			   (unsigned long long)count, (unsigned long long)gpa);
	else if (!(p = guest_mem_ptr(r->mem, gpa, count * PAGE)))
		*ret = bad(r, e, "pages 0x%llx+%llu are not inside one RAM region",
			   (unsigned long long)gpa, (unsigned long long)count);
	return p;
}

/*
 * Zero pages the source sent as a ZERO run.  Where the memfd has a hole
 * the memory reads as zero already and nothing is written: idle RAM stays
 * unallocated on the destination as well.  Only the parts that hold data
 * (pages written earlier in the stream, boot-time tables, RAM pinned for
 * VFIO) are cleared.  Holes are never punched: a page pinned for device
 * DMA must stay the page the guest sees.
 */
static void zero_range(struct guest_mem *m, uint8_t *p, uint64_t gpa, uint64_t len)
{
	const struct guest_mem_region *g = NULL;
	off_t off, end;

	for (int i = 0; i < m->nr_regions; i++)
		if (gpa >= m->region[i].gpa && gpa - m->region[i].gpa < m->region[i].size)
			g = &m->region[i];
	if (m->memfd < 0 || !g) {
		memset(p, 0, len);
		return;
	}
	off = (off_t)(g->fd_offset + gpa - g->gpa);
	end = off + (off_t)len;
	while (off < end) {
		off_t data = lseek(m->memfd, off, SEEK_DATA);

		if (data < 0 && errno == ENXIO)
			return; /* a hole up to the end of the file */
		if (data < 0) {
			memset(p + (len - (uint64_t)(end - off)), 0, (uint64_t)(end - off));
			return;
		}
		if (data >= end)
			return;
		/*
		 * Clear page by page while the pages hold data: SEEK_DATA at an
		 * allocated page answers at once, where SEEK_HOLE would walk
		 * every allocated page up to the next hole (all of a busy RAM,
		 * for each one-page run of a later pass).
		 */
		off = data;
		do {
			memset(p + (len - (uint64_t)(end - off)), 0, PAGE);
			off += PAGE;
		} while (off < end && lseek(m->memfd, off, SEEK_DATA) == off);
	}
}

static int rec_pages(struct reader *r, uint32_t len, struct errinfo *e)
{
	uint8_t h[MIGRATE_RUN_HDR], *dst;
	uint64_t gpa, count;
	int ret;

	if (len < MIGRATE_RUN_HDR + PAGE || len > MIGRATE_RUN_HDR + MIGRATE_MAX_RUN * PAGE)
		return bad(r, e, "length %u (16 + 1..%d pages)", len, MIGRATE_MAX_RUN);
	ret = rd(r, h, sizeof(h), e);
	if (ret)
		return ret;
	gpa = get64(h);
	count = get32(h + 8);
	if (get32(h + 12) || count < 1 || count > MIGRATE_MAX_RUN ||
	    len != MIGRATE_RUN_HDR + count * PAGE)
		return bad(r, e, "%llu pages in a record of %u bytes", (unsigned long long)count,
			   len);
	ret = 0;
	dst = ram_range(r, gpa, count, e, &ret);
	if (!dst)
		return ret;
	/* straight into guest RAM: bounds checked above; a bad checksum refuses it all */
	ret = rd(r, dst, count * PAGE, e);
	if (!ret)
		ret = rd_crc(r, e);
	if (!ret)
		r->st->pages += count;
	return ret;
}

static int rec_zero(struct reader *r, uint32_t len, struct errinfo *e)
{
	uint8_t h[MIGRATE_RUN_HDR], *dst;
	uint64_t gpa, count;
	int ret;

	if (len != MIGRATE_RUN_HDR)
		return bad(r, e, "length %u, expected %d", len, MIGRATE_RUN_HDR);
	ret = rd(r, h, sizeof(h), e);
	if (!ret)
		ret = rd_crc(r, e);
	if (ret)
		return ret;
	gpa = get64(h);
	count = get64(h + 8);
	dst = ram_range(r, gpa, count, e, &ret);
	if (!dst)
		return ret;
	zero_range(r->mem, dst, gpa, count * PAGE);
	r->st->zero_pages += count;
	return 0;
}

/*
 * Post-copy: pages the destination does not have valid.  They are dropped
 * (a hole punched in the memfd): from the VM's start on, a touch of one
 * faults to the fault thread, which asks the source for it.  Nothing is
 * pinned for DMA here yet: failover VFs are plugged after post-copy.
 */
static int rec_discard(struct reader *r, uint32_t len, struct errinfo *e)
{
	struct guest_mem *m = r->mem;
	uint8_t h[MIGRATE_RUN_HDR];
	uint64_t gpa, count;
	int ret;

	if (!r->pc)
		return bad(r, e, "a post-copy record, but this VM does not take post-copy here");
	if (m->hugetlb || m->memfd < 0)
		return bad(r, e, "post-copy into %s guest RAM is not supported",
			   m->hugetlb ? "hugetlb" : "anonymous");
	if (len != MIGRATE_RUN_HDR)
		return bad(r, e, "length %u, expected %d", len, MIGRATE_RUN_HDR);
	ret = rd(r, h, sizeof(h), e);
	if (!ret)
		ret = rd_crc(r, e);
	if (ret)
		return ret;
	gpa = get64(h);
	count = get64(h + 8);
	if (!ram_range(r, gpa, count, e, &ret))
		return ret;
	for (int i = 0; i < m->nr_regions; i++) {
		const struct guest_mem_region *g = &m->region[i];
		uint64_t first;

		if (gpa < g->gpa || gpa - g->gpa >= g->size)
			continue;
		first = (gpa - g->gpa) / PAGE;
		for (uint64_t k = first; k < first + count; k++) {
			if (r->pc->pending[i][k / 64] >> (k % 64) & 1)
				return bad(r, e, "page 0x%llx discarded twice",
					   (unsigned long long)(g->gpa + k * PAGE));
			r->pc->pending[i][k / 64] |= 1ULL << (k % 64);
		}
		if (fallocate(m->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      (off_t)(g->fd_offset + first * PAGE), (off_t)(count * PAGE)) < 0)
			return err_sys(e, errno, "post-copy: dropping guest pages 0x%llx+%llu",
				       (unsigned long long)gpa, (unsigned long long)count);
	}
	r->pc->discarded += count;
	r->st->discarded += count;
	return 0;
}

/* A small fixed-size record (PASS, END_RAM): payload into @p. */
static int rec_small(struct reader *r, uint32_t len, uint8_t *p, uint32_t want, struct errinfo *e)
{
	int ret;

	if (len != want)
		return bad(r, e, "length %u, expected %u", len, want);
	ret = rd(r, p, len, e);
	return ret ? ret : rd_crc(r, e);
}

int migrate_ram_recv(int fd, struct guest_mem *mem, struct migrate_recv_stats *st,
		     struct errinfo *e)
{
	return migrate_ram_recv_pc(fd, mem, st, NULL, e);
}

int migrate_ram_recv_pc(int fd, struct guest_mem *mem, struct migrate_recv_stats *st,
			struct migrate_pc_dest *pc, struct errinfo *e)
{
	struct reader r = {.fd = fd, .mem = mem, .st = st, .pc = pc};
	int ret;

	memset(st, 0, sizeof(*st));
	ret = read_header(&r, e);
	while (!ret) {
		uint8_t h[MIGRATE_REC_HDR], p[16];
		uint32_t len;

		r.recno++;
		r.rec_off = st->bytes;
		r.crc = 0;
		r.type = 0;
		ret = rd(&r, h, sizeof(h), e);
		if (ret)
			break;
		r.type = get32(h);
		len = get32(h + 4);
		if (((r.type >= MIGRATE_REC_PAGES && r.type <= MIGRATE_REC_END_RAM) ||
		     r.type == MIGRATE_REC_DISCARD || r.type == MIGRATE_REC_POSTCOPY) &&
		    !st->passes)
			return bad(&r, e, "before the first PASS record");
		/* the switch lists what is missing, then ends the RAM part */
		if (st->discarded && r.type != MIGRATE_REC_DISCARD &&
		    r.type != MIGRATE_REC_POSTCOPY)
			return bad(&r, e, "after a DISCARD record");
		switch (r.type) {
		case MIGRATE_REC_PASS:
			ret = rec_small(&r, len, p, 4, e);
			if (!ret && get32(p) != st->passes + 1)
				ret = bad(&r, e, "pass %u after pass %u", get32(p), st->passes);
			if (!ret)
				st->passes++;
			break;
		case MIGRATE_REC_PAGES:
			ret = rec_pages(&r, len, e);
			break;
		case MIGRATE_REC_ZERO:
			ret = rec_zero(&r, len, e);
			break;
		case MIGRATE_REC_END_RAM:
			ret = rec_small(&r, len, p, 8, e);
			if (ret)
				break;
			if (get64(p) != st->pages + st->zero_pages)
				return bad(&r, e, "the source sent %llu pages, %llu arrived",
					   (unsigned long long)get64(p),
					   (unsigned long long)(st->pages + st->zero_pages));
			return 0;
		case MIGRATE_REC_DISCARD:
			ret = rec_discard(&r, len, e);
			break;
		case MIGRATE_REC_POSTCOPY:
			if (!pc)
				return bad(&r, e,
					   "a post-copy switch, but this VM does not take "
					   "post-copy here");
			ret = rec_small(&r, len, p, 16, e);
			if (ret)
				break;
			if (get64(p) != st->pages + st->zero_pages || get64(p + 8) != st->discarded)
				return bad(&r, e,
					   "the source sent %llu pages and discarded %llu; %llu "
					   "arrived, %llu discarded",
					   (unsigned long long)get64(p),
					   (unsigned long long)get64(p + 8),
					   (unsigned long long)(st->pages + st->zero_pages),
					   (unsigned long long)st->discarded);
			st->postcopy = true;
			return 0;
		default:
			return bad(&r, e, "unexpected record type before END_RAM");
		}
	}
	return ret;
}

int migrate_send_blob(int fd, const void *buf, size_t len, struct errinfo *e)
{
	if (len > UINT32_MAX)
		return err_set(e, EFBIG, "migration: state of %zu bytes does not fit a record",
			       len);
	return migrate_send_record(fd, MIGRATE_REC_BLOB, buf, (uint32_t)len, e);
}

int migrate_recv_blob(int fd, size_t cap, uint8_t **buf, size_t *len, struct errinfo *e)
{
	struct migrate_recv_stats st = {0};
	struct reader r = {.fd = fd, .st = &st, .recno = 1};
	uint8_t h[MIGRATE_REC_HDR];
	uint32_t n;
	int ret;

	*buf = NULL;
	*len = 0;
	ret = rd(&r, h, sizeof(h), e);
	if (ret)
		return ret;
	r.type = get32(h);
	n = get32(h + 4);
	if (r.type != MIGRATE_REC_BLOB)
		return bad(&r, e, "expected a state container (BLOB)");
	if (n > cap)
		return bad(&r, e, "state of %u bytes, at most %zu accepted", n, cap);
	*buf = malloc(n ? n : 1);
	if (!*buf)
		return err_set(e, ENOMEM, "migration: %u bytes for the VM state", n);
	ret = rd(&r, *buf, n, e);
	if (!ret)
		ret = rd_crc(&r, e);
	if (ret) {
		free(*buf);
		*buf = NULL;
		return ret;
	}
	*len = n;
	return 0;
}
