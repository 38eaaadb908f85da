// SPDX-License-Identifier: GPL-2.0-only
/* Counted, rate-limited run-time reports through a front-end callback: see log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

void vlog_init(struct vlog *l)
{
	memset(l, 0, sizeof(*l));
	l->burst = VLOG_DEFAULT_BURST;
	l->interval_ns = VLOG_DEFAULT_INTERVAL_NS;
	pthread_mutex_init(&l->lock, NULL);
}

void vlog_exit(struct vlog *l)
{
	pthread_mutex_destroy(&l->lock);
}

static uint64_t now_ns(const struct vlog *l)
{
	struct timespec ts;

	if (l->now)
		return l->now(l->now_opaque);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* l->lock held */
static void count(struct vlog *l, enum vlog_level level)
{
	if (level == VLOG_ERR)
		l->nr_errors++;
	else if (level == VLOG_WARN)
		l->nr_warnings++;
}

/* l->lock held */
__attribute__((format(printf, 3, 0))) static void emit(struct vlog *l, enum vlog_level level,
						       const char *fmt, va_list ap)
{
	char msg[1024];

	if (!l->cb)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	l->cb(l->opaque, level, msg);
}

/* l->lock held: say how many were dropped before passing a new one on */
static void say_dropped(struct vlog *l)
{
	char msg[128];

	if (!l->win_dropped || !l->cb)
		return;
	snprintf(msg, sizeof(msg), "%u similar message%s suppressed", l->win_dropped,
		 l->win_dropped == 1 ? "" : "s");
	l->win_dropped = 0;
	l->cb(l->opaque, VLOG_WARN, msg);
}

void vlog_report(struct vlog *l, enum vlog_level level, const char *fmt, ...)
{
	va_list ap;

	if (!l)
		return;
	pthread_mutex_lock(&l->lock);
	count(l, level);
	va_start(ap, fmt);
	emit(l, level, fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&l->lock);
}

bool vlog_ratelimited(struct vlog *l, enum vlog_level level, const char *fmt, ...)
{
	bool pass;
	uint64_t t;
	va_list ap;

	if (!l)
		return false;
	pthread_mutex_lock(&l->lock);
	count(l, level);
	t = now_ns(l);
	if (!l->win_valid || t - l->win_start >= l->interval_ns) {
		l->win_valid = true;
		l->win_start = t;
		l->win_count = 0;
	}
	pass = l->win_count < l->burst;
	if (pass) {
		l->win_count++;
		say_dropped(l);
		va_start(ap, fmt);
		emit(l, level, fmt, ap);
		va_end(ap);
	} else {
		l->nr_suppressed++;
		l->win_dropped++;
	}
	pthread_mutex_unlock(&l->lock);
	return pass;
}

bool vlog_err(struct vlog *l, const char *what, const struct errinfo *e)
{
	return vlog_ratelimited(l, VLOG_ERR, "%s%s%s%s%s%s", what ? what : "", what ? ": " : "",
				e->msg[0] ? e->msg : "unknown error", e->hint[0] ? " (hint: " : "",
				e->hint, e->hint[0] ? ")" : "");
}

void vlog_counts(struct vlog *l, struct vlog_counts *out)
{
	pthread_mutex_lock(&l->lock);
	out->errors = l->nr_errors;
	out->warnings = l->nr_warnings;
	out->suppressed = l->nr_suppressed;
	pthread_mutex_unlock(&l->lock);
}
