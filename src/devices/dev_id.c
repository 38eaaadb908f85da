// SPDX-License-Identifier: GPL-2.0-only
/* Device ids: the one syntax rule (see dev_id.h). */
#include <errno.h>
#include <string.h>

#include "dev_id.h"

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool dev_id_valid(const char *s, size_t len)
{
	if (len == 0 || len >= PCI_DEV_ID_MAX || !is_alpha(s[0]))
		return false;
	for (size_t i = 1; i < len; i++) {
		char c = s[i];

		/* ASCII only: the locale must not widen what an id may hold */
		if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '_' && c != '.' && c != '-')
			return false;
	}
	return true;
}

int dev_id_parse(const char *flag, const char *spec, const char *val, size_t len,
		 char id[PCI_DEV_ID_MAX], struct errinfo *e)
{
	if (!dev_id_valid(val, len)) {
		err_set(e, EINVAL, "%s %s: bad id '%.*s'", flag, spec, (int)len, val);
		err_hint(e,
			 "an id is 1 to %d characters of A-Z a-z 0-9 _ . - starting with a letter",
			 PCI_DEV_ID_MAX - 1);
		return -EINVAL;
	}
	memcpy(id, val, len);
	id[len] = 0;
	return 0;
}
