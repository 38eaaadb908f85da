/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Error context shared by every library (sriov, irq, vfio, src).
 *
 * Libraries never print or exit: they return a negative errno and fill a
 * struct errinfo with a sentence naming the thing (path, BDF, flag, value)
 * and, where it helps, what to do.  The front ends print it.  It lives in
 * src/lib, the layer every other one may use.
 */
#ifndef LIB_ERRINFO_H
#define LIB_ERRINFO_H

#include <stdbool.h>
#include <stddef.h>

struct errinfo {
	int err; /* positive errno, 0 when no error */
	char msg[1024]; /* "what failed: why" */
	char hint[512]; /* what the user can do, may be empty */
	/*
	 * A refusal the caller may override (a device the host is using):
	 * front ends that offer an override say so in their own words.
	 */
	bool overridable;
};

/* Record an error; returns -err so callers can write "return err_set(...)". */
int err_set(struct errinfo *e, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Like err_set, with strerror(err) appended as ": <text> (errno N)". */
int err_sys(struct errinfo *e, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Attach a hint (what to do) to the error already recorded. */
void err_hint(struct errinfo *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefix the recorded message with more context: "<ctx>: <old msg>". */
void err_prefix(struct errinfo *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void err_clear(struct errinfo *e);

#endif
