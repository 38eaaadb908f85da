/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Run-time error reporting for libraries that must not print.
 *
 * A struct vlog is a context the front end owns (vfvm keeps one in struct
 * vm): it installs a callback that prints, and the libraries report every
 * run-time failure they cannot return to a caller (irqfd, route, host IRQ
 * steering, device errors raised by guest actions) through it.  Every
 * report is counted, printed or not, so `vfvm run --irq-report` can show
 * how many there were.
 *
 * Guest-triggered reports go through vlog_ratelimited(): a guest that
 * reprograms an MSI-X table in a loop must not flood the host's log, so at
 * most @burst messages are passed on per @interval_ns; the rest are only
 * counted (nr_suppressed) and the next message that gets through says how
 * many were dropped.  The lock makes a struct vlog usable from every vCPU
 * thread and the I/O thread at once; the callback runs with it held.
 */
#ifndef LIB_LOG_H
#define LIB_LOG_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "errinfo.h"

enum vlog_level {
	VLOG_ERR,
	VLOG_WARN,
	VLOG_INFO,
};

#define VLOG_DEFAULT_BURST 10
#define VLOG_DEFAULT_INTERVAL_NS (5ULL * 1000000000ULL)

struct vlog {
	/* set by the front end; NULL: reports are only counted */
	void (*cb)(void *opaque, enum vlog_level level, const char *msg);
	void *opaque;
	/* test seam: monotonic nanoseconds; NULL means CLOCK_MONOTONIC */
	uint64_t (*now)(void *opaque);
	void *now_opaque;
	unsigned int burst; /* messages per interval (rate-limited reports) */
	uint64_t interval_ns;

	pthread_mutex_t lock;
	unsigned int nr_errors; /* reports at VLOG_ERR, printed or not */
	unsigned int nr_warnings; /* reports at VLOG_WARN */
	unsigned int nr_suppressed; /* rate-limited reports not passed on */
	/* rate-limit window */
	uint64_t win_start;
	unsigned int win_count;
	unsigned int win_dropped; /* dropped in the last full window, not yet said */
	bool win_valid;
};

struct vlog_counts {
	unsigned int errors;
	unsigned int warnings;
	unsigned int suppressed;
};

/* Counting only until the front end sets cb; default rate limit. */
void vlog_init(struct vlog *l);
void vlog_exit(struct vlog *l);

/* Always passed on (set-up and teardown paths, not guest-driven). */
void vlog_report(struct vlog *l, enum vlog_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * Guest-triggered: counted always, passed on at most l->burst times per
 * l->interval_ns.  Returns true when the message was passed on.  @l may be
 * NULL (nothing happens: unit tests of a model without a log).
 */
bool vlog_ratelimited(struct vlog *l, enum vlog_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An errinfo as one report ("msg (hint: ...)"), rate-limited. */
bool vlog_err(struct vlog *l, const char *what, const struct errinfo *e);

void vlog_counts(struct vlog *l, struct vlog_counts *out);

#endif
