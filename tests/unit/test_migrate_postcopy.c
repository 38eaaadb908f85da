// SPDX-License-Identifier: GPL-2.0-only
/*
 * Post-copy without KVM: a sender and a receiver over a socketpair, each
 * with guest RAM in a memfd (RAM below 4 GiB and above), the receiver's
 * under userfaultfd as vfvm's.  A fake dirty source keeps dirtying so the
 * pre-copy cannot converge; a "vCPU" thread touches a missing page, which
 * must be requested, served first and placed; RAM must end up equal to the
 * source's at the switch.  Then hostile post-copy records, both before the
 * switch (the RAM part) and after (the fault thread's stream).
 */
#include <errno.h>
#include <poll.h>
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

#include "migrate_postcopy.h"
#include "migrate_ram.h"

#define PG 4096ull
#define R0_SIZE (2ull << 20) /* 512 pages at 0 */
#define R1_GPA 0x100000000ull
#define R1_SIZE (1ull << 20) /* 256 pages at 4 GiB */
#define RAM_SIZE (R0_SIZE + R1_SIZE)

struct layout {
	struct guest_mem mem;
	uint8_t *ram;
};

static void layout_init(struct layout *l)
{
	int fd = memfd_create("test-ram", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)RAM_SIZE), 0);
	memset(l, 0, sizeof(*l));
	l->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(l->ram != MAP_FAILED);
	l->mem.region[0] = (struct guest_mem_region){0, R0_SIZE, l->ram, 0};
	l->mem.region[1] = (struct guest_mem_region){R1_GPA, R1_SIZE, l->ram + R0_SIZE, R0_SIZE};
	l->mem.nr_regions = 2;
	l->mem.memfd = fd;
	l->mem.total = RAM_SIZE;
}

static void layout_free(struct layout *l)
{
	guest_mem_dirty_free(&l->mem);
	munmap(l->ram, RAM_SIZE);
	close(l->mem.memfd);
}

static void fill_page(uint8_t *p, uint8_t seed)
{
	for (size_t i = 0; i < PG; i++)
		p[i] = (uint8_t)(seed + i * 7);
}

/* A guest that never converges: every collect, 96 pages of region 0 rewritten. */
struct fake_dirty {
	struct layout *l;
	unsigned int collects;
};

static int fake_start(void *opaque, struct errinfo *e)
{
	(void)opaque;
	(void)e;
	return 0;
}

static int fake_collect(void *opaque, int region, uint64_t *bitmap, struct errinfo *e)
{
	struct fake_dirty *f = opaque;
	unsigned int round;

	(void)e;
	if (region != 0)
		return 0;
	round = f->collects++;
	for (uint64_t i = 0; i < 96; i++) {
		uint64_t pg = (round * 29 + i * 5) % (R0_SIZE / PG);

		fill_page(f->l->ram + pg * PG, (uint8_t)(round * 13 + i));
		bitmap[pg / 64] |= 1ULL << (pg % 64);
	}
	/* a page the guest zeroed goes as ZERO */
	memset(f->l->ram + 7 * PG, 0, PG);
	bitmap[0] |= 1ULL << 7;
	/* a device wrote region 1 */
	fill_page(f->l->ram + R0_SIZE + (round % 64) * PG, (uint8_t)(0x40 + round));
	guest_mem_mark_dirty(&f->l->mem, R1_GPA + (round % 64) * PG, PG);
	return 0;
}

static void fake_stop(void *opaque)
{
	(void)opaque;
}

static void ignore_progress(void *opaque, const struct migrate_progress *p)
{
	(void)opaque;
	(void)p;
}

/* The source: pre-copy, switch, state, then (after @go) the post-copy. */
struct sender {
	pthread_t thread;
	int fd, go; /* go: a pipe's read end */
	struct layout *l;
	struct fake_dirty fake;
	struct migrate_send s;
	uint8_t *at_switch; /* RAM as it was at the switch */
	int iterate, ret;
	struct errinfo e;
	struct migrate_progress prog;
	uint64_t discarded;
	bool never_ran;
};

static void *send_thread(void *arg)
{
	struct sender *t = arg;
	struct migrate_send_cfg cfg = {
		.fd = t->fd,
		.mem = &t->l->mem,
		.dirty = {.start = fake_start,
			  .collect = fake_collect,
			  .stop = fake_stop,
			  .opaque = &t->fake},
		.downtime_ms = 1,
		.bandwidth_limit = 8 << 20,
		.postcopy = true,
		.progress = ignore_progress,
	};
	char c;
	int ret;

	t->fake.l = t->l;
	ret = migrate_ram_send_begin(&t->s, &cfg, &t->e);
	if (!ret)
		ret = t->iterate = migrate_ram_send_iterate(&t->s, &t->e);
	if (ret == MIGRATE_SWITCH_POSTCOPY) {
		/* the VM is paused here; the devices quiet */
		ret = migrate_postcopy_switch(&t->s, &t->e);
		memcpy(t->at_switch, t->l->ram, RAM_SIZE);
		/* a device of the paused source writes a page still to send: not sent */
		if (!ret)
			fill_page(t->l->ram + 7 * PG, 0xEE);
		if (!ret)
			ret = migrate_send_blob(t->fd, "state", 5, &t->e);
		assert_int_equal(read(t->go, &c, 1), 1);
		if (!ret)
			ret = migrate_postcopy_serve(&t->s, &t->e);
	}
	t->prog = t->s.prog;
	t->discarded = t->s.pc_discarded;
	t->never_ran = t->s.pc_never_ran;
	migrate_ram_send_end(&t->s);
	t->ret = ret;
	return NULL;
}

/* The destination, up to the fault thread running. */
struct receiver {
	pthread_t thread;
	int fd;
	struct layout *l;
	struct migrate_pc_dest pc;
	struct migrate_recv_stats st;
	uint64_t missing_gpa; /* a page discarded at the switch */
	int ret, done_calls, fail_calls;
	struct errinfo e;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool started;
	bool hold_running; /* the test says RUNNING itself */
};

static void on_done(void *opaque, int ret)
{
	struct receiver *r = opaque;

	(void)ret;
	pthread_mutex_lock(&r->lock);
	r->done_calls++;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

static void on_fail(void *opaque, const struct errinfo *e)
{
	struct receiver *r = opaque;

	(void)e;
	r->fail_calls++;
}

static void *recv_thread(void *arg)
{
	struct receiver *r = arg;
	uint8_t *blob = NULL;
	size_t len;
	int ret = migrate_pc_dest_init(&r->pc, r->fd, &r->l->mem, &r->e);

	r->pc.on_done = on_done;
	r->pc.on_fail = on_fail;
	r->pc.opaque = r;
	if (!ret)
		ret = migrate_ram_recv_pc(r->fd, &r->l->mem, &r->st, &r->pc, &r->e);
	if (!ret)
		ret = migrate_recv_blob(r->fd, 64, &blob, &len, &r->e);
	free(blob);
	/* the highest discarded page of region 0: the background reaches it last */
	for (uint64_t k = R0_SIZE / PG; !ret && k-- > 0;)
		if (r->pc.pending[0][k / 64] >> (k % 64) & 1) {
			r->missing_gpa = k * PG;
			break;
		}
	if (!ret)
		ret = migrate_pc_dest_start(&r->pc, &r->e);
	if (!ret && !r->hold_running)
		ret = migrate_pc_dest_running(&r->pc, &r->e);
	pthread_mutex_lock(&r->lock);
	r->ret = ret;
	r->started = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* A vCPU touching guest RAM: blocks in the kernel until the page is there. */
struct toucher {
	pthread_t thread;
	const uint8_t *p;
	uint8_t copy[PG];
};

static void *touch_thread(void *arg)
{
	struct toucher *t = arg;

	memcpy(t->copy, t->p, PG);
	return NULL;
}

static void wait_requests(struct migrate_pc_dest *pc, uint64_t n)
{
	/* the fault thread sent its REQUEST: polled, it has no other signal */
	while (__atomic_load_n(&pc->requests, __ATOMIC_RELAXED) < n)
		poll(NULL, 0, 1);
}

static void postcopy_round_trip(void **state)
{
	struct layout src, dst;
	struct sender *tx = calloc(1, sizeof(*tx));
	struct receiver *rx = calloc(1, sizeof(*rx));
	struct toucher vcpu, hole;
	int sv[2], go[2];
	struct errinfo e = {0};

	(void)state;
	assert_non_null(tx);
	assert_non_null(rx);
	layout_init(&src);
	layout_init(&dst);
	for (uint64_t i = 0; i < 40; i++)
		fill_page(src.ram + (i * 11 % (RAM_SIZE / PG)) * PG, (uint8_t)i);
	/* stale data at the destination, where the source has a hole */
	memset(dst.ram + R0_SIZE - PG, 0x77, PG);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(pipe(go), 0);
	tx->at_switch = malloc(RAM_SIZE);
	assert_non_null(tx->at_switch);
	tx->fd = sv[0];
	tx->go = go[0];
	tx->l = &src;
	rx->fd = sv[1];
	rx->l = &dst;
	pthread_mutex_init(&rx->lock, NULL);
	pthread_cond_init(&rx->cond, NULL);
	assert_int_equal(pthread_create(&tx->thread, NULL, send_thread, tx), 0);
	assert_int_equal(pthread_create(&rx->thread, NULL, recv_thread, rx), 0);
	pthread_join(rx->thread, NULL);
	assert_int_equal(rx->ret, 0);
	assert_true(rx->st.postcopy);
	assert_true(rx->st.discarded > 0);
	assert_int_equal(rx->pc.discarded, rx->st.discarded);

	/* a vCPU touches a missing page: it waits, the fault thread asks for it */
	vcpu.p = dst.ram + rx->missing_gpa;
	assert_int_equal(pthread_create(&vcpu.thread, NULL, touch_thread, &vcpu), 0);
	wait_requests(&rx->pc, 1);
	/* a page that is a hole on both sides and was not discarded: zero, at once */
	hole.p = dst.ram + R0_SIZE + R1_SIZE - PG;
	assert_int_equal(pthread_create(&hole.thread, NULL, touch_thread, &hole), 0);
	pthread_join(hole.thread, NULL);
	for (size_t i = 0; i < PG; i++)
		assert_int_equal(hole.copy[i], 0);
	/* only now may the source serve: the request is the first thing it reads */
	assert_int_equal(write(go[1], "g", 1), 1);
	pthread_join(vcpu.thread, NULL);
	assert_memory_equal(vcpu.copy, tx->at_switch + rx->missing_gpa, PG);

	pthread_mutex_lock(&rx->lock);
	while (!rx->done_calls)
		pthread_cond_wait(&rx->cond, &rx->lock);
	pthread_mutex_unlock(&rx->lock);
	assert_int_equal(migrate_pc_dest_finish(&rx->pc, &e), 0);
	pthread_join(tx->thread, NULL);
	assert_int_equal(tx->iterate, MIGRATE_SWITCH_POSTCOPY);
	assert_int_equal(tx->ret, 0);
	assert_int_equal(rx->fail_calls, 0);
	assert_true(tx->prog.postcopy);
	assert_true(tx->prog.dest_running);
	assert_true(tx->prog.requests >= 1);
	assert_int_equal(tx->prog.pages_left, 0);
	assert_int_equal(rx->pc.arrived, tx->discarded);
	assert_int_equal(rx->pc.discarded, tx->discarded);
	/* RAM as the source had it at the switch, not the write after */
	assert_memory_equal(dst.ram, tx->at_switch, RAM_SIZE);
	assert_int_not_equal(src.ram[7 * PG + 1], dst.ram[7 * PG + 1]);

	close(sv[0]);
	close(sv[1]);
	close(go[0]);
	close(go[1]);
	free(tx->at_switch);
	free(tx);
	free(rx);
	layout_free(&src);
	layout_free(&dst);
}

static void rule_switches(void **state)
{
	struct migrate_rule_in in = {
		.dirty_bytes = 64 << 20,
		.bandwidth = 100 << 20,
		.dirty_rate = 500 << 20,
		.downtime_ms = 300,
		.pass = 1,
		.max_passes = 30,
		.can_throttle = true,
		.postcopy = true,
	};

	(void)state;
	/* pass 1 copied all RAM: one more pass first */
	assert_int_equal(migrate_stop_rule(&in), MIGRATE_NEXT_PASS);
	/* pass 2 does not fit: post-copy, not throttling */
	in.pass = 2;
	assert_int_equal(migrate_stop_rule(&in), MIGRATE_POSTCOPY);
	/* what fits the budget is a plain stop-and-copy */
	in.dirty_bytes = 1 << 20;
	assert_int_equal(migrate_stop_rule(&in), MIGRATE_STOP_COPY);
	in.dirty_bytes = 0;
	assert_int_equal(migrate_stop_rule(&in), MIGRATE_STOP_COPY);
	/* without post-copy: throttling as before */
	in.dirty_bytes = 64 << 20;
	in.postcopy = false;
	assert_int_equal(migrate_stop_rule(&in), MIGRATE_THROTTLE_MORE);
	/* one pass allowed: post-copy right after it */
	in.postcopy = true;
	in.pass = 1;
	in.max_passes = 1;
	assert_int_equal(migrate_stop_rule(&in), MIGRATE_POSTCOPY);
}

/* Hand-made streams. */
struct stream {
	uint8_t b[1 << 16];
	size_t n;
};

static void put_le(struct stream *s, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		s->b[s->n++] = (uint8_t)(v >> (8 * i));
}

static void put_header(struct stream *s)
{
	size_t start = s->n;

	memcpy(s->b + s->n, MIGRATE_MAGIC, 8);
	s->n += 8;
	put_le(s, MIGRATE_VERSION, 4);
	put_le(s, PG, 4);
	put_le(s, 2, 4);
	put_le(s, 0, 4);
	put_le(s, 0, 8);
	put_le(s, R0_SIZE, 8);
	put_le(s, R1_GPA, 8);
	put_le(s, R1_SIZE, 8);
	put_le(s, crc32(0, s->b + start, (uInt)(s->n - start)), 4);
}

static void put_rec(struct stream *s, uint32_t type, const void *p, uint32_t len)
{
	size_t start = s->n;

	put_le(s, type, 4);
	put_le(s, len, 4);
	memcpy(s->b + s->n, p, len);
	s->n += len;
	put_le(s, crc32(0, s->b + start, (uInt)(s->n - start)), 4);
}

static void put_two(struct stream *s, uint32_t type, uint64_t a, uint64_t b)
{
	uint8_t p[16];

	for (int i = 0; i < 8; i++) {
		p[i] = (uint8_t)(a >> (8 * i));
		p[8 + i] = (uint8_t)(b >> (8 * i));
	}
	put_rec(s, type, p, 16);
}

static void put_pass1(struct stream *s)
{
	uint8_t one[4] = {1, 0, 0, 0};

	put_header(s);
	put_rec(s, MIGRATE_REC_PASS, one, 4);
	/* pass 1: all RAM zero */
	put_two(s, MIGRATE_REC_ZERO, 0, R0_SIZE / PG);
	put_two(s, MIGRATE_REC_ZERO, R1_GPA, R1_SIZE / PG);
}

/* Feed @s to the receiver (with a post-copy context when @pc): its result. */
static int feed(struct layout *dst, const struct stream *s, bool pc, struct errinfo *e)
{
	struct migrate_recv_stats st;
	struct migrate_pc_dest d;
	int sv[2], ret;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(write(sv[0], s->b, s->n), (ssize_t)s->n);
	close(sv[0]);
	assert_int_equal(migrate_pc_dest_init(&d, sv[1], &dst->mem, e), 0);
	ret = migrate_ram_recv_pc(sv[1], &dst->mem, &st, pc ? &d : NULL, e);
	migrate_pc_dest_finish(&d, NULL);
	close(sv[1]);
	return ret;
}

static void refused(struct layout *dst, const struct stream *s, bool pc, const char *needle)
{
	struct errinfo e = {0};

	assert_int_equal(feed(dst, s, pc, &e), -EBADMSG);
	if (!strstr(e.msg, needle))
		fail_msg("'%s' not in '%s'", needle, e.msg);
}

static void switch_records_checked(void **state)
{
	struct stream *s = calloc(1, sizeof(*s));
	struct layout dst;
	struct errinfo e = {0};

	(void)state;
	assert_non_null(s);
	layout_init(&dst);
	/* the good one: 3 pages discarded, their data dropped */
	memset(dst.ram + 4 * PG, 0x55, 3 * PG);
	put_pass1(s);
	put_two(s, MIGRATE_REC_DISCARD, 4 * PG, 3);
	put_two(s, MIGRATE_REC_POSTCOPY, R0_SIZE / PG + R1_SIZE / PG, 3);
	assert_int_equal(feed(&dst, s, true, &e), 0);
	assert_int_equal(dst.ram[4 * PG], 0);
	assert_int_equal(dst.ram[6 * PG + 100], 0);
	/* truncated anywhere: refused */
	for (size_t cut = s->n - 1; cut > s->n - 60; cut--) {
		struct stream *t = calloc(1, sizeof(*t));

		assert_non_null(t);
		memcpy(t->b, s->b, cut);
		t->n = cut;
		assert_int_equal(feed(&dst, t, true, &e), -EPIPE);
		free(t);
	}
	/* a receiver that takes no post-copy refuses the switch */
	refused(&dst, s, false, "does not take post-copy here");
	/* a corrupt checksum */
	s->b[s->n - 1] ^= 1;
	refused(&dst, s, true, "checksum");
	/* a count that does not match */
	s->n = 0;
	put_pass1(s);
	put_two(s, MIGRATE_REC_DISCARD, 4 * PG, 3);
	put_two(s, MIGRATE_REC_POSTCOPY, R0_SIZE / PG + R1_SIZE / PG, 4);
	refused(&dst, s, true, "discarded 4");
	/* outside guest RAM, across regions */
	s->n = 0;
	put_pass1(s);
	put_two(s, MIGRATE_REC_DISCARD, R0_SIZE - PG, 2);
	refused(&dst, s, true, "not inside one RAM region");
	/* twice the same page */
	s->n = 0;
	put_pass1(s);
	put_two(s, MIGRATE_REC_DISCARD, 4 * PG, 3);
	put_two(s, MIGRATE_REC_DISCARD, 6 * PG, 1);
	refused(&dst, s, true, "discarded twice");
	/* pages after the list of what is missing */
	s->n = 0;
	put_pass1(s);
	put_two(s, MIGRATE_REC_DISCARD, 4 * PG, 3);
	put_two(s, MIGRATE_REC_ZERO, 4 * PG, 1);
	refused(&dst, s, true, "after a DISCARD record");
	/* a bad length */
	s->n = 0;
	put_pass1(s);
	put_rec(s, MIGRATE_REC_DISCARD, "12345678", 8);
	refused(&dst, s, true, "length 8");
	free(s);
	layout_free(&dst);
}

/* After the switch: the fault thread refuses what was not discarded or comes twice. */
static void postcopy_stream_checked(void **state)
{
	struct stream *s = calloc(1, sizeof(*s));
	static const struct {
		const char *needle;
		int kind;
	} cases[] = {
		{"was not discarded or arrived already", 0}, /* a page not discarded */
		{"was not discarded or arrived already", 1}, /* the same page twice */
		{"ended after 1 pages; 2 were discarded", 2}, /* END_POSTCOPY too early */
		{"record type 9 from the source", 3}, /* a REQUEST from the source */
		{"ended early", 4}, /* the source went away */
		{"checksum", 5},
	};

	(void)state;
	assert_non_null(s);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct layout dst;
		struct receiver rx = {0};
		struct errinfo e = {0};
		int sv[2];

		layout_init(&dst);
		pthread_mutex_init(&rx.lock, NULL);
		pthread_cond_init(&rx.cond, NULL);
		s->n = 0;
		put_pass1(s);
		put_two(s, MIGRATE_REC_DISCARD, 4 * PG, 2);
		put_two(s, MIGRATE_REC_POSTCOPY, R0_SIZE / PG + R1_SIZE / PG, 2);
		put_rec(s, MIGRATE_REC_BLOB, "st", 2);
		switch (cases[c].kind) {
		case 0:
			put_two(s, MIGRATE_REC_ZERO, 9 * PG, 1);
			break;
		case 1:
			put_two(s, MIGRATE_REC_ZERO, 4 * PG, 1);
			put_two(s, MIGRATE_REC_ZERO, 4 * PG, 1);
			break;
		case 2:
			put_two(s, MIGRATE_REC_ZERO, 4 * PG, 1);
			put_rec(s, MIGRATE_REC_END_POSTCOPY, "\1\0\0\0\0\0\0\0", 8);
			break;
		case 3:
			put_two(s, MIGRATE_REC_REQUEST, 4 * PG, 1);
			break;
		case 4:
			break;
		case 5:
			put_two(s, MIGRATE_REC_ZERO, 4 * PG, 1);
			s->b[s->n - 2] ^= 0x10;
			break;
		}
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
		assert_int_equal(write(sv[0], s->b, s->n), (ssize_t)s->n);
		shutdown(sv[0], SHUT_WR);
		rx.fd = sv[1];
		rx.l = &dst;
		recv_thread(&rx);
		assert_int_equal(rx.ret, 0);
		pthread_mutex_lock(&rx.lock);
		while (!rx.done_calls)
			pthread_cond_wait(&rx.cond, &rx.lock);
		pthread_mutex_unlock(&rx.lock);
		assert_true(migrate_pc_dest_finish(&rx.pc, &e) < 0);
		if (!strstr(e.msg, cases[c].needle))
			fail_msg("case %zu: '%s' not in '%s'", c, cases[c].needle, e.msg);
		/* the VM was told to stop before the waiting faults were let go */
		assert_int_equal(rx.fail_calls, 1);
		close(sv[0]);
		close(sv[1]);
		layout_free(&dst);
	}
	free(s);
}

/* A record from the destination, by hand: its type (the checksum checked). */
static uint32_t read_rec_type(int fd, uint8_t *payload, uint32_t cap)
{
	uint8_t h[8], tail[4];
	uint32_t type, len;

	assert_int_equal(read(fd, h, 8), 8);
	type = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
	len = (uint32_t)h[4] | (uint32_t)h[5] << 8;
	assert_true(len <= cap);
	assert_int_equal(read(fd, payload, len), (ssize_t)len);
	assert_int_equal(read(fd, tail, 4), 4);
	return type;
}

/* Every page came before the state was loaded: PC_DONE still comes after RUNNING. */
static void done_after_running(void **state)
{
	struct stream *s = calloc(1, sizeof(*s));
	struct receiver rx = {0};
	struct layout dst;
	struct errinfo e = {0};
	struct pollfd p;
	uint8_t payload[16];
	int sv[2];

	(void)state;
	assert_non_null(s);
	layout_init(&dst);
	pthread_mutex_init(&rx.lock, NULL);
	pthread_cond_init(&rx.cond, NULL);
	put_pass1(s);
	put_two(s, MIGRATE_REC_DISCARD, 4 * PG, 1);
	put_two(s, MIGRATE_REC_POSTCOPY, R0_SIZE / PG + R1_SIZE / PG, 1);
	put_rec(s, MIGRATE_REC_BLOB, "st", 2);
	put_two(s, MIGRATE_REC_ZERO, 4 * PG, 1);
	put_rec(s, MIGRATE_REC_END_POSTCOPY, "\1\0\0\0\0\0\0\0", 8);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(write(sv[0], s->b, s->n), (ssize_t)s->n);
	rx.fd = sv[1];
	rx.l = &dst;
	rx.hold_running = true;
	recv_thread(&rx);
	assert_int_equal(rx.ret, 0);
	/* the page is placed; the state "still loads": nothing is said yet */
	while (__atomic_load_n(&rx.pc.arrived, __ATOMIC_RELAXED) < 1)
		poll(NULL, 0, 1);
	p = (struct pollfd){.fd = sv[0], .events = POLLIN};
	assert_int_equal(poll(&p, 1, 200), 0);
	assert_int_equal(migrate_pc_dest_running(&rx.pc, &e), 0);
	assert_int_equal(read_rec_type(sv[0], payload, sizeof(payload)), MIGRATE_REC_RUNNING);
	assert_int_equal(read_rec_type(sv[0], payload, sizeof(payload)), MIGRATE_REC_PC_DONE);
	assert_int_equal(payload[0], 1);
	assert_int_equal(migrate_pc_dest_finish(&rx.pc, &e), 0);
	assert_int_equal(rx.fail_calls, 0);
	close(sv[0]);
	close(sv[1]);
	layout_free(&dst);
	free(s);
}

/*
 * The destination goes away after the switch: without saying RUNNING (the
 * source may run on) or after it (the source must stay paused: lost).
 */
static void source_knows_whether_dest_ran(void **state)
{
	(void)state;
	for (int said_running = 0; said_running < 2; said_running++) {
		struct layout src, dst;
		struct sender *tx = calloc(1, sizeof(*tx));
		struct migrate_pc_dest pc;
		struct migrate_recv_stats st;
		struct errinfo e = {0};
		uint8_t *blob = NULL;
		size_t len;
		int sv[2], go[2];

		assert_non_null(tx);
		layout_init(&src);
		layout_init(&dst);
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
		assert_int_equal(pipe(go), 0);
		tx->at_switch = malloc(RAM_SIZE);
		assert_non_null(tx->at_switch);
		tx->fd = sv[0];
		tx->go = go[0];
		tx->l = &src;
		assert_int_equal(pthread_create(&tx->thread, NULL, send_thread, tx), 0);
		assert_int_equal(migrate_pc_dest_init(&pc, sv[1], &dst.mem, &e), 0);
		assert_int_equal(migrate_ram_recv_pc(sv[1], &dst.mem, &st, &pc, &e), 0);
		assert_true(st.postcopy);
		assert_int_equal(migrate_recv_blob(sv[1], 64, &blob, &len, &e), 0);
		free(blob);
		/* no fault thread: the state "did not load" - or it did, and the VM ran */
		if (said_running)
			assert_int_equal(migrate_pc_dest_running(&pc, &e), 0);
		migrate_pc_dest_finish(&pc, NULL);
		close(sv[1]);
		assert_int_equal(write(go[1], "g", 1), 1);
		pthread_join(tx->thread, NULL);
		assert_int_equal(tx->iterate, MIGRATE_SWITCH_POSTCOPY);
		assert_true(tx->ret < 0);
		assert_int_equal(tx->prog.dest_running, said_running);
		assert_int_equal(tx->never_ran, !said_running);
		close(sv[0]);
		close(go[0]);
		close(go[1]);
		free(tx->at_switch);
		free(tx);
		layout_free(&src);
		layout_free(&dst);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rule_switches),
		cmocka_unit_test(switch_records_checked),
		cmocka_unit_test(postcopy_round_trip),
		cmocka_unit_test(postcopy_stream_checked),
		cmocka_unit_test(done_after_running),
		cmocka_unit_test(source_knows_whether_dest_ran),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
