// SPDX-License-Identifier: GPL-2.0-only
/*
 * The sending side of post-copy (migrate_postcopy.h): the switch, then
 * pages on request and in the background until the destination has all.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "byteorder.h"
#include "migrate_postcopy.h"
#include "migrate_send_priv.h"
#include "migrate_wire.h"

#define PAGE GUEST_PAGE_SIZE
#define REPORT_NS 200000000ULL /* progress at most every 200 ms */
#define DONE_TIMEOUT_MS 60000 /* END_POSTCOPY sent: PC_DONE must follow */
#define GONE_TIMEOUT_S 5 /* after a failure: the destination's last words */

static void bit_clear(uint64_t *b, uint64_t i)
{
	b[i / 64] &= ~(1ULL << (i % 64));
}

static bool bit_test(const uint64_t *b, uint64_t i)
{
	return b[i / 64] >> (i % 64) & 1;
}

void migrate_postcopy_send_free(struct migrate_send *s)
{
	for (int i = 0; i < GUEST_MEM_MAX_REGIONS; i++) {
		if (s->shadow[i])
			munmap(s->shadow[i], s->cfg.mem->region[i].size);
		s->shadow[i] = NULL;
	}
}

int migrate_postcopy_switch(struct migrate_send *s, struct errinfo *e)
{
	struct guest_mem *m = s->cfg.mem;
	uint8_t n[16];
	int ret = migrate_send_collect(s, e);

	if (ret)
		return ret;
	for (int ri = 0; ri < m->nr_regions; ri++) {
		const struct guest_mem_region *r = &m->region[ri];
		uint64_t pages = guest_mem_region_pages(r), pos = 0;
		struct page_range run;

		/*
		 * A copy of the pages to send, as they are now: the paused
		 * source's device models may still write its RAM (a packet
		 * received), which must not reach a guest that runs on
		 * elsewhere.  Anonymous and sparse: only these pages cost.
		 */
		s->shadow[ri] = mmap(NULL, r->size, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (s->shadow[ri] == MAP_FAILED) {
			s->shadow[ri] = NULL;
			return err_sys(e, errno, "post-copy: a copy of %llu MiB of RAM",
				       (unsigned long long)(r->size >> 20));
		}
		while (dirty_bitmap_next_run(s->bitmap[ri], pages, &pos, &run)) {
			memcpy(s->shadow[ri] + run.first * PAGE, r->hva + run.first * PAGE,
			       run.count * PAGE);
			put64(s->buf, r->gpa + run.first * PAGE);
			put64(s->buf + 8, run.count);
			ret = migrate_send_buf_record(s, MIGRATE_REC_DISCARD, MIGRATE_RUN_HDR, e);
			if (ret)
				return ret;
			s->pc_discarded += run.count;
		}
	}
	put64(n, s->total_pages);
	put64(n + 8, s->pc_discarded);
	memcpy(s->buf, n, sizeof(n));
	ret = migrate_send_buf_record(s, MIGRATE_REC_POSTCOPY, sizeof(n), e);
	if (ret)
		return ret;
	s->prog.postcopy = true;
	s->prog.dirty_pages = 0;
	s->prog.est_downtime_ms = 0;
	s->prog.pages_left = s->pc_discarded;
	/* the bandwidth cap counts from here */
	s->pass_start_ns = migrate_now_ns();
	s->pass_bytes = 0;
	migrate_send_report(s);
	return 0;
}

/* Pages [i, i + n) of region @ri, all still to send: from the copy, then marked sent. */
static int send_pending(struct migrate_send *s, int ri, uint64_t i, uint64_t n, struct errinfo *e)
{
	const struct guest_mem_region *r = &s->cfg.mem->region[ri];
	const uint8_t *sh = s->shadow[ri];
	int ret;

	while (n) {
		const uint8_t *p = sh + i * PAGE;
		uint64_t j = 1;

		if (migrate_page_is_zero(p)) {
			while (j < n && migrate_page_is_zero(p + j * PAGE))
				j++;
			ret = migrate_send_zero_run(s, r->gpa + i * PAGE, j, e);
		} else {
			while (j < n && j < MIGRATE_MAX_RUN && !migrate_page_is_zero(p + j * PAGE))
				j++;
			ret = migrate_send_data_run(s, r->gpa + i * PAGE, p, j, e);
		}
		if (ret)
			return ret;
		for (uint64_t k = i; k < i + j; k++)
			bit_clear(s->bitmap[ri], k);
		s->pc_sent += j;
		s->prog.pages_left = s->pc_discarded - s->pc_sent;
		i += j;
		n -= j;
	}
	return 0;
}

/* A REQUEST: those of its pages not sent yet, now. */
static int serve_request(struct migrate_send *s, const uint8_t *p, struct errinfo *e)
{
	const struct guest_mem *m = s->cfg.mem;
	uint64_t gpa = migrate_get64(p), count = migrate_get64(p + 8);

	if (gpa % PAGE || count < 1 || count > MIGRATE_MAX_RUN ||
	    !guest_mem_ptr(m, gpa, count * PAGE))
		return err_set(e, EBADMSG,
			       "post-copy: the destination asked for pages 0x%llx+%llu, not "
			       "inside one RAM region",
			       (unsigned long long)gpa, (unsigned long long)count);
	s->prog.requests++;
	for (int ri = 0; ri < m->nr_regions; ri++) {
		const struct guest_mem_region *r = &m->region[ri];
		uint64_t first, i, end;

		if (gpa < r->gpa || gpa - r->gpa >= r->size)
			continue;
		first = (gpa - r->gpa) / PAGE;
		end = first + count;
		/* the pages not sent yet, in runs (some went in the background already) */
		for (i = first; i < end;) {
			uint64_t j = i;
			int ret;

			while (j < end && bit_test(s->bitmap[ri], j))
				j++;
			if (j > i) {
				ret = send_pending(s, ri, i, j - i, e);
				if (ret)
					return ret;
				i = j;
			} else {
				i++;
			}
		}
	}
	return 0;
}

/* The next run of pages nobody asked for, at most one record of them. */
static int send_background(struct migrate_send *s, int *ri, uint64_t *pos, struct errinfo *e)
{
	const struct guest_mem *m = s->cfg.mem;

	while (*ri < m->nr_regions) {
		uint64_t pages = guest_mem_region_pages(&m->region[*ri]);
		struct page_range run;

		if (dirty_bitmap_next_run(s->bitmap[*ri], pages, pos, &run)) {
			uint64_t n = run.count < MIGRATE_MAX_RUN ? run.count : MIGRATE_MAX_RUN;

			*pos = run.first + n;
			return send_pending(s, *ri, run.first, n, e);
		}
		(*ri)++;
		*pos = 0;
	}
	return 0;
}

static void maybe_report(struct migrate_send *s, uint64_t *last, bool now)
{
	uint64_t t = migrate_now_ns();

	if (now || t - *last >= REPORT_NS) {
		*last = t;
		migrate_send_report(s);
	}
}

static int serve(struct migrate_send *s, struct errinfo *e)
{
	uint64_t pos = 0, last = migrate_now_ns();
	bool end_sent = false;
	uint32_t type = 0, len = 0;
	int ri = 0, ret;

	for (;;) {
		struct pollfd p = {.fd = s->cfg.fd, .events = POLLIN};
		uint8_t rec[16];
		int r;

		if (!end_sent && s->pc_sent == s->pc_discarded) {
			put64(s->buf, s->pc_sent);
			ret = migrate_send_buf_record(s, MIGRATE_REC_END_POSTCOPY, 8, e);
			if (ret)
				return ret;
			end_sent = true;
			maybe_report(s, &last, true);
		}
		/* requests first: wait for one only when nothing else is left to send */
		r = poll(&p, 1, end_sent ? DONE_TIMEOUT_MS : 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return err_sys(e, errno, "post-copy: polling the connection");
		if (r == 0 && end_sent)
			return err_set(e, ETIMEDOUT,
				       "post-copy: the destination did not confirm the last pages "
				       "within %d s",
				       DONE_TIMEOUT_MS / 1000);
		if (r == 0) {
			ret = send_background(s, &ri, &pos, e);
			if (ret)
				return ret;
			maybe_report(s, &last, false);
			continue;
		}
		ret = migrate_read_record(s->cfg.fd, "post-copy: the destination's answer", &type,
					  rec, sizeof(rec), &len, e);
		if (ret)
			return ret;
		switch (type) {
		case MIGRATE_REC_REQUEST:
			if (len != 16)
				goto bad;
			ret = serve_request(s, rec, e);
			if (ret)
				return ret;
			break;
		case MIGRATE_REC_RUNNING:
			if (len != 8)
				goto bad;
			__atomic_store_n(&s->prog.dest_running, true, __ATOMIC_RELEASE);
			maybe_report(s, &last, true);
			break;
		case MIGRATE_REC_PC_DONE:
			if (len != 8 || !end_sent || !s->prog.dest_running)
				goto bad;
			if (migrate_get64(rec) != s->pc_discarded)
				return err_set(e, EBADMSG,
					       "post-copy: the destination took %llu pages, %llu "
					       "were sent",
					       (unsigned long long)migrate_get64(rec),
					       (unsigned long long)s->pc_discarded);
			maybe_report(s, &last, true);
			return 0;
		default:
			goto bad;
		}
	}
bad:
	return err_set(e, EBADMSG, "post-copy: the destination sent record type %u of %u bytes%s",
		       type, len,
		       type == MIGRATE_REC_PC_DONE ? " before the last page or RUNNING" : "");
}

/*
 * After a failure before RUNNING came: did the destination certainly not
 * run the VM?  Only a clean end of its stream without RUNNING says so (the
 * stream is in order: RUNNING would have come first).  Our end of the
 * stream is closed first, so that a destination still waiting for pages
 * gives up.  A reset or silence leaves it open: false.
 */
static bool dest_never_ran(struct migrate_send *s)
{
	struct timeval tv = {.tv_sec = GONE_TIMEOUT_S};
	int fd = s->cfg.fd;

	shutdown(fd, SHUT_WR);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		struct errinfo ignored = {0};
		uint8_t b, rec[16];
		uint32_t type, len;
		ssize_t n = recv(fd, &b, 1, MSG_PEEK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			return true;
		if (n < 0 ||
		    migrate_read_record(fd, "post-copy", &type, rec, sizeof(rec), &len, &ignored))
			return false;
		if (type == MIGRATE_REC_RUNNING) {
			__atomic_store_n(&s->prog.dest_running, true, __ATOMIC_RELEASE);
			return false;
		}
	}
}

int migrate_postcopy_serve(struct migrate_send *s, struct errinfo *e)
{
	int ret = serve(s, e);

	if (ret && !__atomic_load_n(&s->prog.dest_running, __ATOMIC_ACQUIRE))
		s->pc_never_ran = dest_never_ran(s);
	return ret;
}
