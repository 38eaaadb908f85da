// SPDX-License-Identifier: GPL-2.0-only
/*
 * The sending side of RAM migration: pre-copy passes over the guest's RAM
 * regions (format and call order in migrate_ram.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "byteorder.h"
#include "migrate_ram.h"
#include "migrate_send_priv.h"
#include "migrate_wire.h"

#define PAGE GUEST_PAGE_SIZE
/* A pass shorter than this says nothing reliable about the bandwidth. */
#define MIN_MEASURE_NS 1000000ULL

uint64_t migrate_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/* bytes per second for @bytes in @ns */
static uint64_t rate(uint64_t bytes, uint64_t ns)
{
	return ns ? (uint64_t)((unsigned __int128)bytes * 1000000000ULL / ns) : 0;
}

static uint64_t region_words(const struct guest_mem_region *r)
{
	return (guest_mem_region_pages(r) + 63) / 64;
}

static bool cancelled(const struct migrate_send *s)
{
	return s->cfg.cancel && __atomic_load_n(s->cfg.cancel, __ATOMIC_ACQUIRE);
}

bool migrate_page_is_zero(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)p;

	for (size_t i = 0; i < PAGE / 8; i += 4)
		if (w[i] | w[i + 1] | w[i + 2] | w[i + 3])
			return false;
	return true;
}

/* Keep under the bandwidth limit: wait until the pass's bytes are due. */
static void pace(struct migrate_send *s)
{
	uint64_t due, spent;
	struct timespec t;

	if (!s->cfg.bandwidth_limit)
		return;
	due = (uint64_t)((unsigned __int128)s->pass_bytes * 1000000000ULL / s->cfg.bandwidth_limit);
	spent = migrate_now_ns() - s->pass_start_ns;
	if (due <= spent)
		return;
	t.tv_sec = (time_t)((due - spent) / 1000000000ULL);
	t.tv_nsec = (long)((due - spent) % 1000000000ULL);
	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

/* One record whose payload is already in s->buf after the record header. */
int migrate_send_buf_record(struct migrate_send *s, uint32_t type, uint32_t len, struct errinfo *e)
{
	int ret;

	if (cancelled(s))
		return err_set(e, ECANCELED, "migration cancelled");
	ret = migrate_send_record(s->cfg.fd, type, s->buf, len, e);
	if (ret)
		return ret;
	s->pass_bytes += MIGRATE_REC_HDR + len + MIGRATE_CRC_LEN;
	s->prog.bytes_sent += MIGRATE_REC_HDR + len + MIGRATE_CRC_LEN;
	__atomic_store_n(&s->live_bytes, s->prog.bytes_sent, __ATOMIC_RELAXED);
	pace(s);
	return 0;
}

int migrate_send_zero_run(struct migrate_send *s, uint64_t gpa, uint64_t count, struct errinfo *e)
{
	put64(s->buf, gpa);
	put64(s->buf + 8, count);
	s->prog.zero_pages += count;
	s->total_pages += count;
	return migrate_send_buf_record(s, MIGRATE_REC_ZERO, MIGRATE_RUN_HDR, e);
}

/*
 * The pages are copied before the checksum is taken: the guest keeps
 * writing them, and a record must carry what its checksum covers (a page
 * written meanwhile is dirty again and goes in a later pass).
 */
int migrate_send_data_run(struct migrate_send *s, uint64_t gpa, const uint8_t *p, uint64_t count,
			  struct errinfo *e)
{
	put64(s->buf, gpa);
	put32(s->buf + 8, (uint32_t)count);
	put32(s->buf + 12, 0);
	memcpy(s->buf + MIGRATE_RUN_HDR, p, count * PAGE);
	s->prog.pages_sent += count;
	s->total_pages += count;
	return migrate_send_buf_record(s, MIGRATE_REC_PAGES,
				       (uint32_t)(MIGRATE_RUN_HDR + count * PAGE), e);
}

/*
 * Pages from @i (before @end) of region @ri that lie in a hole of the
 * memfd: never written, so zero, and never to be read here - reading a
 * hole of a shared memfd mapping allocates it, and pass 1 would fill the
 * source's memory with the idle RAM it is copying.  0 when page @i holds
 * data (or the memory is no memfd, or the file system cannot say).
 */
static uint64_t hole_pages(const struct guest_mem *m, int ri, uint64_t i, uint64_t end)
{
	const struct guest_mem_region *r = &m->region[ri];
	off_t off = (off_t)(r->fd_offset + i * PAGE), data;

	if (m->memfd < 0)
		return 0;
	data = lseek(m->memfd, off, SEEK_DATA);
	if (data < 0)
		return errno == ENXIO ? end - i : 0;
	if ((uint64_t)(data - off) / PAGE >= end - i)
		return end - i;
	return (uint64_t)(data - off) / PAGE;
}

/* Pages from @i (before @end) up to the next hole, which the scan must not read. */
static uint64_t data_pages(const struct guest_mem *m, int ri, uint64_t i, uint64_t end)
{
	const struct guest_mem_region *r = &m->region[ri];
	off_t off = (off_t)(r->fd_offset + i * PAGE), hole;
	uint64_t n;

	if (m->memfd < 0)
		return end - i;
	hole = lseek(m->memfd, off, SEEK_HOLE);
	if (hole <= off)
		return end - i; /* cannot say: scan it all */
	n = ((uint64_t)(hole - off) + PAGE - 1) / PAGE;
	return n < end - i ? n : end - i;
}

/*
 * Pages [first, first + count) of region @ri: zero runs and data runs.
 * @holes: look for memfd holes first (pass 1).  Later passes send dirty
 * pages, which the guest or a device touched, so they are allocated; and
 * SEEK_DATA/SEEK_HOLE walk the memfd's pages up to the next hole or data,
 * which for a run of one page in a populated RAM is a walk of thousands.
 */
static int send_range(struct migrate_send *s, int ri, uint64_t first, uint64_t count,
		      bool holes_first, struct errinfo *e)
{
	const struct guest_mem_region *r = &s->cfg.mem->region[ri];
	uint64_t end = first + count, i = first;
	int ret;

	while (i < end) {
		uint64_t holes = holes_first ? hole_pages(s->cfg.mem, ri, i, end) : 0, limit;

		if (holes) {
			ret = migrate_send_zero_run(s, r->gpa + i * PAGE, holes, e);
			if (ret)
				return ret;
			i += holes;
			continue;
		}
		/* an extent of allocated pages: zero runs and data runs inside it */
		limit = holes_first ? i + data_pages(s->cfg.mem, ri, i, end) : end;
		while (i < limit) {
			const uint8_t *p = r->hva + i * PAGE;
			uint64_t j = i + 1;

			if (migrate_page_is_zero(p)) {
				while (j < limit && migrate_page_is_zero(r->hva + j * PAGE))
					j++;
				ret = migrate_send_zero_run(s, r->gpa + i * PAGE, j - i, e);
			} else {
				while (j < limit && j - i < MIGRATE_MAX_RUN &&
				       !migrate_page_is_zero(r->hva + j * PAGE))
					j++;
				ret = migrate_send_data_run(s, r->gpa + i * PAGE, p, j - i, e);
			}
			if (ret)
				return ret;
			i = j;
		}
	}
	return 0;
}

/* One pass: every page (@all) or those in the bitmaps, which it clears. */
static int send_pass(struct migrate_send *s, bool all, struct errinfo *e)
{
	struct guest_mem *m = s->cfg.mem;
	uint8_t num[4];
	int ret;

	s->pass_start_ns = migrate_now_ns();
	s->pass_bytes = 0;
	put32(num, s->prog.pass + 1);
	memcpy(s->buf, num, sizeof(num));
	ret = migrate_send_buf_record(s, MIGRATE_REC_PASS, sizeof(num), e);
	for (int ri = 0; ri < m->nr_regions && !ret; ri++) {
		uint64_t pages = guest_mem_region_pages(&m->region[ri]), pos = 0;
		struct page_range run;

		if (all) {
			ret = send_range(s, ri, 0, pages, true, e);
			continue;
		}
		while (!ret && dirty_bitmap_next_run(s->bitmap[ri], pages, &pos, &run))
			ret = send_range(s, ri, run.first, run.count, false, e);
		memset(s->bitmap[ri], 0, region_words(&m->region[ri]) * sizeof(uint64_t));
	}
	if (ret)
		return ret;
	s->pass_ns = migrate_now_ns() - s->pass_start_ns;
	s->prog.pass++;
	/* a tiny pass (a few pages into the socket buffer) measures nothing */
	if (s->pass_ns >= MIN_MEASURE_NS || !s->prog.bandwidth)
		s->prog.bandwidth = rate(s->pass_bytes, s->pass_ns);
	return 0;
}

/* Pages dirtied since the last collect, by vCPUs (KVM) and by devices. */
int migrate_send_collect(struct migrate_send *s, struct errinfo *e)
{
	struct guest_mem *m = s->cfg.mem;
	uint64_t dirty = 0;
	int ret;

	for (int ri = 0; ri < m->nr_regions; ri++) {
		uint64_t pages = guest_mem_region_pages(&m->region[ri]);

		ret = s->cfg.dirty.collect(s->cfg.dirty.opaque, ri, s->bitmap[ri], e);
		if (ret)
			return ret;
		guest_mem_dirty_take(m, ri, s->bitmap[ri]);
		dirty += dirty_bitmap_count(s->bitmap[ri], pages);
	}
	s->prog.dirty_pages = dirty;
	s->prog.dirty_rate = rate(dirty * PAGE, s->pass_ns);
	s->prog.est_downtime_ms =
		s->prog.bandwidth ? migrate_est_ms(dirty * PAGE, s->prog.bandwidth) : 0;
	return 0;
}

void migrate_send_report(struct migrate_send *s)
{
	if (s->cfg.progress)
		s->cfg.progress(s->cfg.opaque, &s->prog);
}

static int send_header(struct migrate_send *s, struct errinfo *e)
{
	const struct guest_mem *m = s->cfg.mem;
	uint8_t *h = s->buf;
	size_t len = MIGRATE_HDR_FIXED + (size_t)m->nr_regions * 16;
	struct iovec iov;

	memcpy(h, MIGRATE_MAGIC, 8);
	put32(h + 8, MIGRATE_VERSION);
	put32(h + 12, (uint32_t)PAGE);
	put32(h + 16, (uint32_t)m->nr_regions);
	put32(h + 20, 0);
	for (int i = 0; i < m->nr_regions; i++) {
		put64(h + MIGRATE_HDR_FIXED + i * 16, m->region[i].gpa);
		put64(h + MIGRATE_HDR_FIXED + i * 16 + 8, m->region[i].size);
	}
	put32(h + len, migrate_crc(0, h, len));
	iov = (struct iovec){h, len + MIGRATE_CRC_LEN};
	s->prog.bytes_sent += len + MIGRATE_CRC_LEN;
	return migrate_sendv(s->cfg.fd, &iov, 1, e);
}

int migrate_ram_send_begin(struct migrate_send *s, const struct migrate_send_cfg *cfg,
			   struct errinfo *e)
{
	struct guest_mem *m = cfg->mem;
	int ret;

	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	if (!s->cfg.downtime_ms)
		s->cfg.downtime_ms = MIGRATE_DEFAULT_DOWNTIME_MS;
	if (!s->cfg.max_passes)
		s->cfg.max_passes = MIGRATE_DEFAULT_MAX_PASSES;
	if (m->nr_regions < 1 || m->nr_regions > GUEST_MEM_MAX_REGIONS)
		return err_set(e, EINVAL, "migration: %d RAM regions", m->nr_regions);
	s->buf = malloc(MIGRATE_RUN_HDR + MIGRATE_MAX_RUN * PAGE);
	if (!s->buf)
		goto nomem;
	for (int i = 0; i < m->nr_regions; i++) {
		if (m->region[i].size % PAGE || m->region[i].gpa % PAGE)
			return err_set(e, EINVAL, "migration: RAM region %d is not page aligned",
				       i);
		s->bitmap[i] = calloc(region_words(&m->region[i]), sizeof(uint64_t));
		if (!s->bitmap[i])
			goto nomem;
	}
	/* tracking first: a write during pass 1 must be seen by pass 2 */
	if (guest_mem_dirty_start(m))
		goto nomem;
	s->tracking = true;
	ret = s->cfg.dirty.start(s->cfg.dirty.opaque, e);
	if (ret) {
		guest_mem_dirty_stop(m);
		s->tracking = false;
		return ret;
	}
	return send_header(s, e);

nomem:
	return err_set(e, ENOMEM, "migration: buffers for %llu MiB of guest RAM",
		       (unsigned long long)(m->total >> 20));
}

int migrate_ram_send_iterate(struct migrate_send *s, struct errinfo *e)
{
	int ret = send_pass(s, true, e);

	while (!ret) {
		struct migrate_rule_in in;

		ret = migrate_send_collect(s, e);
		if (ret)
			break;
		migrate_send_report(s);
		in = (struct migrate_rule_in){
			.dirty_bytes = s->prog.dirty_pages * PAGE,
			.bandwidth = s->prog.bandwidth,
			.dirty_rate = s->prog.dirty_rate,
			.downtime_ms = s->cfg.downtime_ms,
			.pass = s->prog.pass,
			.max_passes = s->cfg.max_passes,
			.throttle_pct = s->prog.throttle_pct,
			.can_throttle = s->cfg.throttle != NULL,
			.postcopy = s->cfg.postcopy,
		};
		switch (migrate_stop_rule(&in)) {
		case MIGRATE_STOP_COPY:
			return 0; /* the bitmaps keep the set for the final pass */
		case MIGRATE_POSTCOPY:
			return MIGRATE_SWITCH_POSTCOPY; /* the bitmaps: what the destination lacks
							 */
		case MIGRATE_THROTTLE_MORE: {
			unsigned int pct = migrate_next_throttle(s->prog.throttle_pct);

			ret = s->cfg.throttle(s->cfg.opaque, pct, e);
			if (ret)
				return ret;
			s->prog.throttle_pct = pct;
			break;
		}
		case MIGRATE_NEXT_PASS:
			break;
		}
		ret = send_pass(s, false, e);
	}
	return ret;
}

int migrate_ram_send_final(struct migrate_send *s, struct errinfo *e)
{
	uint8_t n[8];
	int ret = migrate_send_collect(s, e);

	if (!ret)
		ret = send_pass(s, false, e);
	if (ret)
		return ret;
	put64(n, s->total_pages);
	memcpy(s->buf, n, sizeof(n));
	ret = migrate_send_buf_record(s, MIGRATE_REC_END_RAM, sizeof(n), e);
	if (ret)
		return ret;
	s->prog.dirty_pages = 0;
	s->prog.est_downtime_ms = 0;
	migrate_send_report(s);
	return 0;
}

void migrate_ram_send_end(struct migrate_send *s)
{
	struct errinfo ignored = {0};

	if (s->tracking) {
		s->cfg.dirty.stop(s->cfg.dirty.opaque);
		guest_mem_dirty_stop(s->cfg.mem);
		s->tracking = false;
	}
	if (s->prog.throttle_pct && s->cfg.throttle) {
		s->cfg.throttle(s->cfg.opaque, 0, &ignored);
		s->prog.throttle_pct = 0;
	}
	for (int i = 0; i < GUEST_MEM_MAX_REGIONS; i++) {
		free(s->bitmap[i]);
		s->bitmap[i] = NULL;
	}
	migrate_postcopy_send_free(s);
	free(s->buf);
	s->buf = NULL;
}

int migrate_ram_send(const struct migrate_send_cfg *cfg, struct errinfo *e)
{
	struct migrate_send s;
	bool paused = false;
	int ret = migrate_ram_send_begin(&s, cfg, e);

	if (!ret)
		ret = migrate_ram_send_iterate(&s, e);
	if (ret == MIGRATE_SWITCH_POSTCOPY)
		ret = err_set(e, ENOTSUP, "migration: post-copy needs migrate_postcopy_switch()");
	if (!ret && cfg->pause) {
		ret = cfg->pause(cfg->opaque, e);
		paused = !ret;
	}
	if (!ret)
		ret = migrate_ram_send_final(&s, e);
	if (ret && paused && cfg->resume)
		cfg->resume(cfg->opaque);
	migrate_ram_send_end(&s);
	return ret;
}
