// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errinfo.h"

int err_set(struct errinfo *e, int err, const char *fmt, ...)
{
	va_list ap;

	if (err < 0)
		err = -err;
	if (e) {
		e->err = err;
		e->overridable = false;
		e->hint[0] = '\0';
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return -err;
}

int err_sys(struct errinfo *e, int err, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (err < 0)
		err = -err;
	if (e) {
		e->err = err;
		e->overridable = false;
		e->hint[0] = '\0';
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
		len = strlen(e->msg);
		snprintf(e->msg + len, sizeof(e->msg) - len, ": %s (errno %d)", strerror(err), err);
	}
	return -err;
}

void err_hint(struct errinfo *e, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->hint, sizeof(e->hint), fmt, ap);
	va_end(ap);
}

void err_prefix(struct errinfo *e, const char *fmt, ...)
{
	char pre[512], old[sizeof(e->msg)];
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	/* Truncating the tail of a long message is fine: the start names the thing. */
	if (snprintf(e->msg, sizeof(e->msg), "%.500s: %.500s", pre, old) < 0)
		e->msg[0] = '\0';
}

void err_clear(struct errinfo *e)
{
	if (e) {
		e->err = 0;
		e->overridable = false;
		e->msg[0] = '\0';
		e->hint[0] = '\0';
	}
}
