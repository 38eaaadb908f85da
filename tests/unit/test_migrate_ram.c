// SPDX-License-Identifier: GPL-2.0-only
/*
 * RAM migration without KVM: a sender and a receiver over a socketpair,
 * each with its own malloc'd guest memory (RAM below 4 GiB and above), a
 * fake dirty source that writes pages between passes, the stop rule on
 * numbers, zero pages on the wire, hostile streams and cancel.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "migrate_ram.h"
#include "snap_stream.h"
#include "throttle.h"
#include "vm.h"

#define PG 4096ull
#define R0_SIZE (2ull << 20) /* 512 pages at 0 */
#define R1_GPA 0x100000000ull
#define R1_SIZE (1ull << 20) /* 256 pages at 4 GiB */
#define GUARD 8192 /* poisoned bytes either side of each receiver region */
#define POISON 0xA5

/* A guest memory layout in malloc'd buffers; @guarded adds poisoned margins. */
struct layout {
	struct guest_mem mem;
	uint8_t *buf[2];
	bool guarded;
};

static void layout_init(struct layout *l, bool guarded)
{
	const uint64_t size[2] = {R0_SIZE, R1_SIZE}, gpa[2] = {0, R1_GPA};

	memset(l, 0, sizeof(*l));
	l->guarded = guarded;
	for (int i = 0; i < 2; i++) {
		size_t g = guarded ? GUARD : 0;

		l->buf[i] = aligned_alloc(PG, size[i] + 2 * g);
		assert_non_null(l->buf[i]);
		memset(l->buf[i], guarded ? POISON : 0, size[i] + 2 * g);
		l->mem.region[i] = (struct guest_mem_region){
			.gpa = gpa[i], .size = size[i], .hva = l->buf[i] + g};
	}
	l->mem.nr_regions = 2;
	l->mem.memfd = -1;
	l->mem.total = R0_SIZE + R1_SIZE;
}

/* No byte outside the regions was written. */
static void assert_guards_intact(const struct layout *l)
{
	for (int i = 0; i < 2; i++) {
		const uint8_t *lo = l->buf[i], *hi = l->mem.region[i].hva + l->mem.region[i].size;

		for (size_t j = 0; j < GUARD; j++) {
			assert_int_equal(lo[j], POISON);
			assert_int_equal(hi[j], POISON);
		}
	}
}

static void layout_free(struct layout *l)
{
	guest_mem_dirty_free(&l->mem);
	free(l->buf[0]);
	free(l->buf[1]);
}

static uint8_t *page(struct layout *l, uint64_t gpa)
{
	uint8_t *p = guest_mem_ptr(&l->mem, gpa, PG);

	assert_non_null(p);
	return p;
}

static void fill_page(struct layout *l, uint64_t gpa, uint8_t seed)
{
	uint8_t *p = page(l, gpa);

	for (size_t i = 0; i < PG; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/*
 * The vCPUs, faked: on collect number k (k < nr_rounds, per region 0),
 * write @per_round pages and report them dirty, as KVM would; region 1
 * gets a page written "by a device" (only the device bitmap sees it).
 */
struct fake_dirty {
	struct layout *l;
	int starts, stops, collects;
	unsigned int nr_rounds, per_round;
	const int *cancel_on_collect; /* set *cancel_flag at this collect */
	int *cancel_flag;
};

static int fake_start(void *opaque, struct errinfo *e)
{
	struct fake_dirty *f = opaque;

	(void)e;
	f->starts++;
	return 0;
}

static int fake_collect(void *opaque, int region, uint64_t *bitmap, struct errinfo *e)
{
	struct fake_dirty *f = opaque;
	unsigned int round;

	(void)e;
	if (region != 0)
		return 0;
	round = (unsigned int)f->collects++;
	if (f->cancel_flag && f->cancel_on_collect && *f->cancel_on_collect == (int)round)
		__atomic_store_n(f->cancel_flag, 1, __ATOMIC_RELEASE);
	if (round >= f->nr_rounds)
		return 0;
	for (unsigned int i = 0; i < f->per_round; i++) {
		uint64_t pg = (round * 37 + i * 3) % (R0_SIZE / PG);

		fill_page(f->l, pg * PG, (uint8_t)(round * 11 + i));
		bitmap[pg / 64] |= 1ULL << (pg % 64);
	}
	/* a page zeroed by the guest must arrive as zeros */
	memset(page(f->l, ((round * 37) % (R0_SIZE / PG)) * PG), 0, PG);
	bitmap[((round * 37) % (R0_SIZE / PG)) / 64] |= 1ULL
							<< (((round * 37) % (R0_SIZE / PG)) % 64);
	/* a device writes region 1 (the used ring, a read buffer) */
	fill_page(f->l, R1_GPA + (round + 100) * PG, (uint8_t)(0x40 + round));
	guest_mem_mark_dirty(&f->l->mem, R1_GPA + (round + 100) * PG, PG);
	return 0;
}

static void fake_stop(void *opaque)
{
	struct fake_dirty *f = opaque;

	f->stops++;
}

/* What the callbacks saw. */
struct seen {
	struct migrate_progress last;
	unsigned int reports;
	unsigned int throttles[16];
	unsigned int nr_throttles;
	int pauses, resumes;
};

static void on_progress(void *opaque, const struct migrate_progress *p)
{
	struct seen *s = opaque;

	s->last = *p;
	s->reports++;
}

static int on_throttle(void *opaque, unsigned int pct, struct errinfo *e)
{
	struct seen *s = opaque;

	(void)e;
	if (s->nr_throttles < 16)
		s->throttles[s->nr_throttles++] = pct;
	return 0;
}

static int on_pause(void *opaque, struct errinfo *e)
{
	struct seen *s = opaque;

	(void)e;
	s->pauses++;
	return 0;
}

static void on_resume(void *opaque)
{
	struct seen *s = opaque;

	s->resumes++;
}

struct receiver {
	pthread_t thread;
	int fd;
	struct layout *l;
	struct migrate_recv_stats st;
	struct errinfo e;
	int ret;
	uint8_t *blob;
	size_t blob_len;
	bool want_blob;
};

static void *recv_thread(void *arg)
{
	struct receiver *r = arg;

	r->ret = migrate_ram_recv(r->fd, &r->l->mem, &r->st, &r->e);
	if (!r->ret && r->want_blob)
		r->ret = migrate_recv_blob(r->fd, 1 << 20, &r->blob, &r->blob_len, &r->e);
	return NULL;
}

static void start_receiver(struct receiver *r, int fd, struct layout *l, bool want_blob)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->l = l;
	r->want_blob = want_blob;
	assert_int_equal(pthread_create(&r->thread, NULL, recv_thread, r), 0);
}

static void assert_same_ram(struct layout *a, struct layout *b)
{
	for (int i = 0; i < 2; i++)
		assert_memory_equal(a->mem.region[i].hva, b->mem.region[i].hva,
				    a->mem.region[i].size);
}

/* Pattern the sender's RAM: some data pages in both regions, the rest zero. */
static void pattern(struct layout *l)
{
	for (uint64_t i = 0; i < 24; i++)
		fill_page(l, (i * 13 % (R0_SIZE / PG)) * PG, (uint8_t)i);
	for (uint64_t i = 0; i < 8; i++)
		fill_page(l, R1_GPA + i * 5 * PG, (uint8_t)(0x80 + i));
}

static void round_trip_with_dirtying(void **state)
{
	struct layout src, dst;
	struct fake_dirty fd = {.l = &src, .nr_rounds = 3, .per_round = R0_SIZE / PG};
	struct seen seen = {0};
	struct receiver rx;
	struct errinfo e = {0};
	int sv[2];
	struct migrate_send_cfg cfg;
	struct snap_out o;
	int ret;

	(void)state;
	layout_init(&src, false);
	layout_init(&dst, true);
	/* the destination's RAM starts as junk: every page must be written */
	memset(dst.mem.region[0].hva, 0x5c, R0_SIZE);
	memset(dst.mem.region[1].hva, 0x5c, R1_SIZE);
	pattern(&src);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	start_receiver(&rx, sv[1], &dst, true);
	/*
	 * All of region 0 (2 MiB) dirtied per round against a 4 MiB/s limit:
	 * the final copy would take >= 500 ms > 300 ms, so the engine must keep
	 * going while the fake dirties, whatever the machine's speed (the
	 * limit bounds the measured bandwidth from above).
	 */
	cfg = (struct migrate_send_cfg){
		.fd = sv[0],
		.mem = &src.mem,
		.dirty = {fake_start, fake_collect, fake_stop, &fd},
		.bandwidth_limit = 4ull << 20,
		.progress = on_progress,
		.throttle = on_throttle,
		.pause = on_pause,
		.resume = on_resume,
		.opaque = &seen,
	};
	ret = migrate_ram_send(&cfg, &e);
	assert_int_equal(ret, 0);
	assert_int_equal(seen.pauses, 1);
	assert_int_equal(seen.resumes, 0);
	snap_out_init(&o);
	snap_begin(&o, "cpu0", 1);
	snap_put_u64(&o, 0x1234);
	snap_end(&o);
	assert_int_equal(snap_out_finish(&o, &e), 0);
	assert_int_equal(migrate_send_blob(sv[0], o.buf, o.len, &e), 0);
	pthread_join(rx.thread, NULL);
	assert_int_equal(rx.ret, 0);
	assert_same_ram(&src, &dst);
	assert_guards_intact(&dst);
	assert_int_equal(rx.blob_len, o.len);
	assert_memory_equal(rx.blob, o.buf, o.len);
	/* passes: 1 (all) + one per dirtying round + the final one */
	assert_int_equal(fd.collects, 5);
	assert_int_equal(seen.last.pass, 5);
	assert_int_equal(rx.st.passes, 5);
	assert_true(seen.last.pages_sent == rx.st.pages);
	assert_true(seen.last.zero_pages == rx.st.zero_pages);
	assert_true(seen.last.bytes_sent == rx.st.bytes);
	/* tracking is off again, and the throttle too if it was raised */
	assert_int_equal(fd.starts, 1);
	assert_int_equal(fd.stops, 1);
	assert_false(src.mem.dirty_on);
	for (unsigned int i = 0; i < seen.nr_throttles; i++) {
		if (i + 1 == seen.nr_throttles && seen.throttles[i] == 0)
			break;
		assert_int_equal(seen.throttles[i], i == 0 ? 20 : seen.throttles[i - 1] + 20);
	}
	if (seen.nr_throttles)
		assert_int_equal(seen.throttles[seen.nr_throttles - 1], 0);
	print_message("round trip: %u passes, %llu data pages, %llu zero pages, %llu bytes, "
		      "%u throttle steps\n",
		      seen.last.pass, (unsigned long long)rx.st.pages,
		      (unsigned long long)rx.st.zero_pages, (unsigned long long)rx.st.bytes,
		      seen.nr_throttles);
	free(rx.blob);
	snap_out_free(&o);
	close(sv[0]);
	close(sv[1]);
	layout_free(&src);
	layout_free(&dst);
}

static void idle_ram_costs_little(void **state)
{
	struct layout src, dst;
	struct fake_dirty fd = {.l = &src};
	struct seen seen = {0};
	struct receiver rx;
	struct errinfo e = {0};
	int sv[2];
	struct migrate_send_cfg cfg;

	(void)state;
	layout_init(&src, false);
	layout_init(&dst, true);
	memset(dst.mem.region[0].hva, 0x5c, R0_SIZE);
	memset(dst.mem.region[1].hva, 0x5c, R1_SIZE);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	start_receiver(&rx, sv[1], &dst, false);
	cfg = (struct migrate_send_cfg){
		.fd = sv[0],
		.mem = &src.mem,
		.dirty = {fake_start, fake_collect, fake_stop, &fd},
		.progress = on_progress,
		.opaque = &seen,
	};
	assert_int_equal(migrate_ram_send(&cfg, &e), 0);
	pthread_join(rx.thread, NULL);
	assert_int_equal(rx.ret, 0);
	assert_same_ram(&src, &dst);
	assert_guards_intact(&dst);
	/*
	 * 3 MiB of zeros: header (24 + 2 * 16 + 4), pass 1 = PASS (16) and
	 * one ZERO record per region (2 * 28), the final pass's PASS (16),
	 * END_RAM (20).
	 */
	assert_int_equal(rx.st.bytes, 60 + 16 + 56 + 16 + 20);
	assert_int_equal(seen.last.bytes_sent, rx.st.bytes);
	assert_int_equal(rx.st.zero_pages, (R0_SIZE + R1_SIZE) / PG);
	assert_int_equal(rx.st.pages, 0);
	print_message("idle 3 MiB: %llu bytes on the wire\n", (unsigned long long)rx.st.bytes);
	close(sv[0]);
	close(sv[1]);
	layout_free(&src);
	layout_free(&dst);
}

static void cancel_leaves_source_as_before(void **state)
{
	struct layout src, dst;
	int cancel = 0, at = 0;
	struct fake_dirty fd = {.l = &src,
				.nr_rounds = 100,
				.per_round = 50,
				.cancel_on_collect = &at,
				.cancel_flag = &cancel};
	struct seen seen = {0};
	struct receiver rx;
	struct errinfo e = {0};
	int sv[2];
	struct migrate_send_cfg cfg;

	(void)state;
	layout_init(&src, false);
	layout_init(&dst, true);
	pattern(&src);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	start_receiver(&rx, sv[1], &dst, false);
	cfg = (struct migrate_send_cfg){
		.fd = sv[0],
		.mem = &src.mem,
		.dirty = {fake_start, fake_collect, fake_stop, &fd},
		.cancel = &cancel,
		.progress = on_progress,
		.throttle = on_throttle,
		.pause = on_pause,
		.resume = on_resume,
		.opaque = &seen,
	};
	/* cancelled at the first collect, after pass 1: the next record is refused */
	assert_int_equal(migrate_ram_send(&cfg, &e), -ECANCELED);
	assert_non_null(strstr(e.msg, "cancel"));
	/* tracking off (KVM log and device bitmap), VM resumed if it was paused */
	assert_int_equal(fd.stops, 1);
	assert_false(src.mem.dirty_on);
	assert_int_equal(seen.pauses, seen.resumes);
	if (seen.nr_throttles)
		assert_int_equal(seen.throttles[seen.nr_throttles - 1], 0);
	/* the destination sees a stream that ends early */
	close(sv[0]);
	pthread_join(rx.thread, NULL);
	assert_int_equal(rx.ret, -EPIPE);
	assert_guards_intact(&dst);
	close(sv[1]);
	layout_free(&src);
	layout_free(&dst);
}

/* A destination that reads a little and goes away. */
static void *short_reader(void *arg)
{
	int fd = *(int *)arg;
	uint8_t buf[100];

	assert_int_equal(read(fd, buf, sizeof(buf)) > 0, 1);
	close(fd);
	return NULL;
}

static void peer_gone_leaves_source_as_before(void **state)
{
	struct layout src;
	struct fake_dirty fd = {.l = &src};
	struct seen seen = {0};
	struct errinfo e = {0};
	struct migrate_send_cfg cfg;
	pthread_t t;
	int sv[2];

	(void)state;
	layout_init(&src, false);
	/* 3 MiB of data: more than any socket buffer holds */
	memset(src.mem.region[0].hva, 0x11, R0_SIZE);
	memset(src.mem.region[1].hva, 0x22, R1_SIZE);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(pthread_create(&t, NULL, short_reader, &sv[1]), 0);
	cfg = (struct migrate_send_cfg){
		.fd = sv[0],
		.mem = &src.mem,
		.dirty = {fake_start, fake_collect, fake_stop, &fd},
		.progress = on_progress,
		.throttle = on_throttle,
		.pause = on_pause,
		.resume = on_resume,
		.opaque = &seen,
	};
	/* no SIGPIPE (it would kill the test program): an error */
	assert_int_equal(migrate_ram_send(&cfg, &e), -EPIPE);
	assert_non_null(strstr(e.msg, "sending the migration stream"));
	pthread_join(t, NULL);
	assert_int_equal(fd.stops, 1);
	assert_false(src.mem.dirty_on);
	assert_int_equal(seen.pauses, seen.resumes);
	close(sv[0]);
	layout_free(&src);
}

static void stop_rule_on_numbers(void **state)
{
	struct migrate_rule_in in = {
		.dirty_bytes = 30ull << 20, /* 30 MiB */
		.bandwidth = 100ull << 20, /* 100 MiB/s: 300 ms */
		.dirty_rate = 10ull << 20,
		.downtime_ms = 300,
		.pass = 3,
		.max_passes = 30,
		.can_throttle = true,
	};

	(void)state;
	assert_int_equal(migrate_stop_rule(&in), MIGRATE_STOP_COPY); /* 300 <= 300 */
	in.dirty_bytes = (30ull << 20) + (1ull << 20); /* 310 ms */
	assert_int_equal(migrate_stop_rule(&in), MIGRATE_NEXT_PASS);
	in.downtime_ms = 310;
	assert_int_equal(migrate_stop_rule(&in), MIGRATE_STOP_COPY);
	in.downtime_ms = 300;
	/* dirtying more than half the link: throttle more */
	in.dirty_rate = 51ull << 20;
	assert_int_equal(migrate_stop_rule(&in), MIGRATE_THROTTLE_MORE);
	in.can_throttle = false;
	assert_int_equal(migrate_stop_rule(&in), MIGRATE_NEXT_PASS);
	in.can_throttle = true;
	in.throttle_pct = 99; /* nothing left to take */
	assert_int_equal(migrate_stop_rule(&in), MIGRATE_NEXT_PASS);
	in.throttle_pct = 40;
	in.pass = 1; /* pass 1 copied all RAM: its rate says nothing yet */
	assert_int_equal(migrate_stop_rule(&in), MIGRATE_NEXT_PASS);
	in.pass = 30; /* the last pass allowed: stop, whatever the estimate */
	assert_int_equal(migrate_stop_rule(&in), MIGRATE_STOP_COPY);
	in.pass = 3;
	in.bandwidth = 0; /* not measured: never stop on it */
	in.dirty_bytes = 1;
	assert_int_equal(migrate_stop_rule(&in), MIGRATE_NEXT_PASS);
	in.dirty_bytes = 0; /* nothing left: stop, bandwidth or not */
	assert_int_equal(migrate_stop_rule(&in), MIGRATE_STOP_COPY);
	/* 2 GiB/s dirtied on a 1 GiB/s link with 6 GiB: throttle */
	in = (struct migrate_rule_in){.dirty_bytes = 6ull << 30,
				      .bandwidth = 1ull << 30,
				      .dirty_rate = 2ull << 30,
				      .downtime_ms = 300,
				      .pass = 2,
				      .max_passes = 30,
				      .can_throttle = true};
	assert_int_equal(migrate_stop_rule(&in), MIGRATE_THROTTLE_MORE);
	assert_true(migrate_est_ms(6ull << 30, 1ull << 30) == 6000);
	assert_true(migrate_est_ms(1, 0) == UINT64_MAX);
	/* huge numbers do not overflow */
	assert_true(migrate_est_ms(UINT64_MAX, 1000) == UINT64_MAX);
	assert_int_equal(migrate_next_throttle(0), 20);
	assert_int_equal(migrate_next_throttle(20), 40);
	assert_int_equal(migrate_next_throttle(60), 80);
	assert_int_equal(migrate_next_throttle(80), 90);
	assert_int_equal(migrate_next_throttle(90), 95);
	assert_int_equal(migrate_next_throttle(95), 99);
	assert_int_equal(migrate_next_throttle(99), 99);
}

/* Hand-built streams. */
struct stream {
	uint8_t b[3 * 4096 + 1024];
	size_t n;
};

static void put_le(struct stream *s, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		s->b[s->n++] = (uint8_t)(v >> (8 * i));
}

static void put_header(struct stream *s, const char *magic, uint32_t version)
{
	size_t start = s->n;

	memcpy(s->b + s->n, magic, 8);
	s->n += 8;
	put_le(s, version, 4);
	put_le(s, PG, 4);
	put_le(s, 2, 4);
	put_le(s, 0, 4);
	put_le(s, 0, 8);
	put_le(s, R0_SIZE, 8);
	put_le(s, R1_GPA, 8);
	put_le(s, R1_SIZE, 8);
	put_le(s, crc32(0, s->b + start, (uInt)(s->n - start)), 4);
}

/* A record; @len may lie (the payload is @plen bytes at @p). */
static void put_rec(struct stream *s, uint32_t type, uint32_t len, const void *p, size_t plen)
{
	size_t start = s->n;

	put_le(s, type, 4);
	put_le(s, len, 4);
	if (plen)
		memcpy(s->b + s->n, p, plen);
	s->n += plen;
	put_le(s, crc32(0, s->b + start, (uInt)(s->n - start)), 4);
}

static void put_pass(struct stream *s, uint32_t n)
{
	uint8_t p[4] = {(uint8_t)n, (uint8_t)(n >> 8), 0, 0};

	put_rec(s, MIGRATE_REC_PASS, 4, p, 4);
}

static void put_run(struct stream *s, uint32_t type, uint64_t gpa, uint64_t count,
		    const uint8_t *data)
{
	uint8_t p[16 + 4096];
	size_t n = 16;

	for (int i = 0; i < 8; i++) {
		p[i] = (uint8_t)(gpa >> (8 * i));
		p[8 + i] = type == MIGRATE_REC_ZERO ? (uint8_t)(count >> (8 * i))
						    : (i < 4 ? (uint8_t)(count >> (8 * i)) : 0);
	}
	if (data) {
		memcpy(p + 16, data, 4096);
		n += 4096;
	}
	put_rec(s, type, (uint32_t)n, p, n);
}

static void put_end(struct stream *s, uint64_t pages)
{
	uint8_t p[8];

	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(pages >> (8 * i));
	put_rec(s, MIGRATE_REC_END_RAM, 8, p, 8);
}

/* A good stream: one data page at 0x1000, three zero pages in region 1. */
static void good_stream(struct stream *s)
{
	uint8_t data[4096];

	memset(data, 0x3c, sizeof(data));
	s->n = 0;
	put_header(s, MIGRATE_MAGIC, MIGRATE_VERSION);
	put_pass(s, 1);
	put_run(s, MIGRATE_REC_PAGES, 0x1000, 1, data);
	put_run(s, MIGRATE_REC_ZERO, R1_GPA + 0x4000, 3, NULL);
	put_end(s, 4);
}

/* Feed @len bytes of @s to the receiver; returns its verdict. */
static int feed(struct layout *dst, const uint8_t *b, size_t len, struct errinfo *e)
{
	struct migrate_recv_stats st;
	int sv[2], ret;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0], b, len), (ssize_t)len);
	close(sv[0]); /* the sender is gone: EOF after @len bytes */
	memset(e, 0, sizeof(*e));
	ret = migrate_ram_recv(sv[1], &dst->mem, &st, e);
	close(sv[1]);
	return ret;
}

static void good_stream_accepted(void **state)
{
	struct layout dst;
	struct stream s;
	struct errinfo e;

	(void)state;
	layout_init(&dst, true);
	good_stream(&s);
	memset(dst.mem.region[1].hva + 0x4000, 0x77, 3 * PG);
	assert_int_equal(feed(&dst, s.b, s.n, &e), 0);
	assert_int_equal(dst.mem.region[0].hva[0x1000], 0x3c);
	assert_int_equal(dst.mem.region[0].hva[0x1fff], 0x3c);
	assert_int_equal(dst.mem.region[1].hva[0x4000], 0);
	assert_int_equal(dst.mem.region[1].hva[0x6fff], 0);
	assert_int_equal(dst.mem.region[1].hva[0x7000], POISON);
	assert_guards_intact(&dst);
	layout_free(&dst);
}

static void truncated_refused(void **state)
{
	struct layout dst;
	struct stream s;
	struct errinfo e;

	(void)state;
	layout_init(&dst, true);
	good_stream(&s);
	for (size_t cut = 0; cut < s.n; cut += cut < 128 ? 1 : 61) {
		assert_int_equal(feed(&dst, s.b, cut, &e), -EPIPE);
		assert_non_null(strstr(e.msg, "truncated"));
	}
	assert_guards_intact(&dst);
	layout_free(&dst);
}

static void bad_header_refused(void **state)
{
	struct layout dst;
	struct stream s = {.n = 0};
	struct errinfo e;

	(void)state;
	layout_init(&dst, true);
	put_header(&s, "QEMUVMST", MIGRATE_VERSION);
	assert_int_equal(feed(&dst, s.b, s.n, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "magic"));
	s.n = 0;
	put_header(&s, MIGRATE_MAGIC, 2);
	assert_int_equal(feed(&dst, s.b, s.n, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "version 2"));
	/* a header whose checksum does not match */
	good_stream(&s);
	s.b[30] ^= 1;
	assert_int_equal(feed(&dst, s.b, s.n, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "header"));
	/* another RAM size */
	dst.mem.region[1].size -= PG;
	good_stream(&s);
	assert_int_equal(feed(&dst, s.b, s.n, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "RAM region 1"));
	dst.mem.region[1].size += PG;
	assert_guards_intact(&dst);
	layout_free(&dst);
}

static void refuse(struct layout *dst, struct stream *s, const char *needle)
{
	struct errinfo e;

	assert_int_equal(feed(dst, s->b, s->n, &e), -EBADMSG);
	if (!strstr(e.msg, needle))
		fail_msg("'%s' does not say '%s'", e.msg, needle);
	assert_non_null(strstr(e.msg, "record"));
	assert_guards_intact(dst);
}

static void begin(struct stream *s)
{
	s->n = 0;
	put_header(s, MIGRATE_MAGIC, MIGRATE_VERSION);
	put_pass(s, 1);
}

static void hostile_records_refused(void **state)
{
	struct layout dst;
	struct stream s;
	uint8_t data[4096], p[16];

	(void)state;
	layout_init(&dst, true);
	memset(data, 0xee, sizeof(data));
	/* a page just past region 0, and one straddling its end */
	begin(&s);
	put_run(&s, MIGRATE_REC_PAGES, R0_SIZE, 1, data);
	refuse(&dst, &s, "not inside one RAM region");
	begin(&s);
	put_run(&s, MIGRATE_REC_ZERO, R0_SIZE - PG, 2, NULL);
	refuse(&dst, &s, "not inside one RAM region");
	/* below region 1, in the 32-bit hole, and far above RAM */
	begin(&s);
	put_run(&s, MIGRATE_REC_ZERO, R1_GPA - PG, 1, NULL);
	refuse(&dst, &s, "not inside one RAM region");
	begin(&s);
	put_run(&s, MIGRATE_REC_PAGES, 0xfffffffffffff000ull, 1, data);
	refuse(&dst, &s, "not inside one RAM region");
	/* a ZERO run whose size overflows */
	begin(&s);
	put_run(&s, MIGRATE_REC_ZERO, 0, 1ull << 52, NULL);
	refuse(&dst, &s, "more than guest RAM");
	/* not page aligned */
	begin(&s);
	put_run(&s, MIGRATE_REC_PAGES, 0x1008, 1, data);
	refuse(&dst, &s, "not page aligned");
	/* a huge length: refused before anything is read */
	begin(&s);
	put_le(&s, MIGRATE_REC_PAGES, 4);
	put_le(&s, 0xffffffffu, 4);
	refuse(&dst, &s, "length 4294967295");
	/* a count that does not match the length */
	begin(&s);
	memset(p, 0, sizeof(p));
	p[8] = 2; /* 2 pages, one sent */
	{
		uint8_t rec[16 + 4096];

		memcpy(rec, p, 16);
		memcpy(rec + 16, data, 4096);
		put_rec(&s, MIGRATE_REC_PAGES, sizeof(rec), rec, sizeof(rec));
	}
	refuse(&dst, &s, "2 pages in a record");
	/* a bad checksum */
	begin(&s);
	put_run(&s, MIGRATE_REC_PAGES, 0x2000, 1, data);
	s.b[s.n - 100] ^= 0x10;
	refuse(&dst, &s, "checksum");
	/* unknown and misplaced records */
	begin(&s);
	put_rec(&s, 99, 0, NULL, 0);
	refuse(&dst, &s, "type 99");
	s.n = 0;
	put_header(&s, MIGRATE_MAGIC, MIGRATE_VERSION);
	put_run(&s, MIGRATE_REC_ZERO, 0, 1, NULL);
	refuse(&dst, &s, "before the first PASS");
	begin(&s);
	put_pass(&s, 3);
	refuse(&dst, &s, "pass 3 after pass 1");
	begin(&s);
	put_rec(&s, MIGRATE_REC_BLOB, 0, NULL, 0);
	refuse(&dst, &s, "unexpected");
	/* END_RAM with a page count that does not add up */
	begin(&s);
	put_run(&s, MIGRATE_REC_ZERO, 0, 2, NULL);
	put_end(&s, 3);
	refuse(&dst, &s, "3 pages, 2 arrived");
	layout_free(&dst);
}

/* A layout in one memfd, as vfvm's guest RAM: *@ram maps it all. */
static int memfd_layout(struct layout *l, uint8_t **ram)
{
	int fd = memfd_create("test-ram", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)(R0_SIZE + R1_SIZE)), 0);
	*ram = mmap(NULL, R0_SIZE + R1_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(*ram != MAP_FAILED);
	memset(l, 0, sizeof(*l));
	l->mem.region[0] = (struct guest_mem_region){0, R0_SIZE, *ram, 0};
	l->mem.region[1] = (struct guest_mem_region){R1_GPA, R1_SIZE, *ram + R0_SIZE, R0_SIZE};
	l->mem.nr_regions = 2;
	l->mem.memfd = fd;
	l->mem.total = R0_SIZE + R1_SIZE;
	return fd;
}

/* Allocated bytes of @fd (SEEK_DATA/SEEK_HOLE extents). */
static uint64_t allocated(int fd)
{
	off_t off = 0, data, hole;
	uint64_t n = 0;

	while ((data = lseek(fd, off, SEEK_DATA)) >= 0) {
		hole = lseek(fd, data, SEEK_HOLE);
		n += (uint64_t)(hole - data);
		off = hole;
	}
	return n;
}

/* The source's idle RAM is not allocated by the copy (pass 1 skips its holes). */
static void source_holes_not_read(void **state)
{
	struct layout src, dst;
	struct fake_dirty fd = {.l = &src};
	struct seen seen = {0};
	struct receiver rx;
	struct errinfo e = {0};
	struct migrate_send_cfg cfg;
	uint8_t *sram, *dram;
	int sfd = memfd_layout(&src, &sram), dfd = memfd_layout(&dst, &dram), sv[2];

	(void)state;
	fill_page(&src, 0x3000, 1);
	fill_page(&src, 0x4000, 2);
	memset(page(&src, 0x5000), 0, PG); /* allocated, but zero */
	fill_page(&src, R1_GPA + 0x10000, 3);
	assert_int_equal(allocated(sfd), 4 * PG);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	start_receiver(&rx, sv[1], &dst, false);
	cfg = (struct migrate_send_cfg){
		.fd = sv[0],
		.mem = &src.mem,
		.dirty = {fake_start, fake_collect, fake_stop, &fd},
		.progress = on_progress,
		.opaque = &seen,
	};
	assert_int_equal(migrate_ram_send(&cfg, &e), 0);
	pthread_join(rx.thread, NULL);
	assert_int_equal(rx.ret, 0);
	assert_int_equal(rx.st.pages, 3);
	/*
	 * Neither side allocated more than the data pages (and the source's
	 * zero page).  Checked before comparing: reading a hole of a shared
	 * memfd mapping allocates it.
	 */
	assert_int_equal(allocated(sfd), 4 * PG);
	assert_int_equal(allocated(dfd), 3 * PG);
	print_message("3 MiB with 3 data pages: %llu bytes on the wire, %llu KiB allocated "
		      "at the destination\n",
		      (unsigned long long)rx.st.bytes, (unsigned long long)(allocated(dfd) >> 10));
	assert_same_ram(&src, &dst);
	close(sv[0]);
	close(sv[1]);
	munmap(sram, R0_SIZE + R1_SIZE);
	munmap(dram, R0_SIZE + R1_SIZE);
	guest_mem_dirty_free(&src.mem);
	close(sfd);
	close(dfd);
}

/*
 * A memfd-backed destination (as vfvm's): a ZERO run writes nothing where
 * the memfd has a hole - idle RAM stays unallocated - and clears the pages
 * that hold data.
 */
static void zero_runs_keep_holes(void **state)
{
	struct layout dst;
	struct stream s;
	struct errinfo e;
	uint8_t data[4096], *ram;
	int fd = memfd_layout(&dst, &ram);

	(void)state;
	memset(ram + 0x5000, 0x99, PG); /* a boot-time table, say */
	memset(data, 0x3c, sizeof(data));
	s.n = 0;
	put_header(&s, MIGRATE_MAGIC, MIGRATE_VERSION);
	put_pass(&s, 1);
	put_run(&s, MIGRATE_REC_ZERO, 0, R0_SIZE / PG, NULL);
	put_run(&s, MIGRATE_REC_ZERO, R1_GPA, R1_SIZE / PG, NULL);
	put_run(&s, MIGRATE_REC_PAGES, 0x1000, 1, data);
	put_end(&s, (R0_SIZE + R1_SIZE) / PG + 1);
	assert_int_equal(feed(&dst, s.b, s.n, &e), 0);
	assert_int_equal(ram[0x5000], 0);
	assert_int_equal(ram[0x5fff], 0);
	assert_int_equal(ram[0x1000], 0x3c);
	/* allocated: the page sent and the page cleared; the rest is still a hole */
	assert_int_equal(lseek(fd, 0, SEEK_DATA), 0x1000);
	assert_int_equal(lseek(fd, 0x1000, SEEK_HOLE), 0x2000);
	assert_int_equal(lseek(fd, 0x2000, SEEK_DATA), 0x5000);
	assert_int_equal(lseek(fd, 0x5000, SEEK_HOLE), 0x6000);
	assert_int_equal(lseek(fd, 0x6000, SEEK_DATA), -1);
	assert_int_equal(errno, ENXIO);
	munmap(ram, R0_SIZE + R1_SIZE);
	close(fd);
}

static void throttle_shares(void **state)
{
	struct vm vm;

	(void)state;
	/* sleep after running 10 ms: the vCPU then runs (100 - pct)% of the time */
	assert_true(throttle_sleep_ns(10000000, 0) == 0);
	assert_true(throttle_sleep_ns(10000000, 20) == 2500000);
	assert_true(throttle_sleep_ns(10000000, 50) == 10000000);
	assert_true(throttle_sleep_ns(10000000, 80) == 40000000);
	assert_true(throttle_sleep_ns(10000000, 99) == 990000000);
	memset(&vm, 0, sizeof(vm));
	pthread_mutex_init(&vm.exit_lock, NULL);
	pthread_cond_init(&vm.exit_cond, NULL);
	assert_int_equal(vm_throttle_set(&vm, 100), -EINVAL);
	assert_int_equal(vm_throttle_set(&vm, 40), 0);
	assert_int_equal(vm.throttle_pct, 40);
	assert_int_equal(vm_throttle_set(&vm, 0), 0);
	assert_int_equal(vm.throttle_pct, 0);
	pthread_cond_destroy(&vm.exit_cond);
	pthread_mutex_destroy(&vm.exit_lock);
}

static void blob_capped(void **state)
{
	uint8_t big[4096], *buf;
	size_t len;
	struct errinfo e = {0};
	int sv[2];

	(void)state;
	memset(big, 1, sizeof(big));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(migrate_send_blob(sv[0], big, sizeof(big), &e), 0);
	assert_int_equal(migrate_recv_blob(sv[1], 1024, &buf, &len, &e), -EBADMSG);
	assert_null(buf);
	assert_non_null(strstr(e.msg, "at most 1024"));
	close(sv[0]);
	close(sv[1]);
	/* a corrupted blob */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	{
		struct stream s = {.n = 0};

		put_rec(&s, MIGRATE_REC_BLOB, 16, big, 16);
		s.b[12] ^= 1;
		assert_int_equal(write(sv[0], s.b, s.n), (ssize_t)s.n);
	}
	assert_int_equal(migrate_recv_blob(sv[1], 1024, &buf, &len, &e), -EBADMSG);
	assert_non_null(strstr(e.msg, "checksum"));
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stop_rule_on_numbers),
		cmocka_unit_test(idle_ram_costs_little),
		cmocka_unit_test(round_trip_with_dirtying),
		cmocka_unit_test(cancel_leaves_source_as_before),
		cmocka_unit_test(peer_gone_leaves_source_as_before),
		cmocka_unit_test(good_stream_accepted),
		cmocka_unit_test(truncated_refused),
		cmocka_unit_test(bad_header_refused),
		cmocka_unit_test(hostile_records_refused),
		cmocka_unit_test(source_holes_not_read),
		cmocka_unit_test(zero_runs_keep_holes),
		cmocka_unit_test(throttle_shares),
		cmocka_unit_test(blob_capped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
