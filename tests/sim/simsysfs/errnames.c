// SPDX-License-Identifier: GPL-2.0-only
/* errno names for .sim/inject and .sim/log (tests speak in names, not numbers). */
#include <errno.h>
#include <string.h>

#include "simsysfs.h"

static const struct {
	const char *name;
	int err;
} errtab[] = {
	{"EPERM", EPERM},	    {"ENOENT", ENOENT},	       {"EIO", EIO},
	{"ENXIO", ENXIO},	    {"E2BIG", E2BIG},	       {"EAGAIN", EAGAIN},
	{"ENOMEM", ENOMEM},	    {"EACCES", EACCES},	       {"EBUSY", EBUSY},
	{"EEXIST", EEXIST},	    {"ENODEV", ENODEV},	       {"EINVAL", EINVAL},
	{"ENOSPC", ENOSPC},	    {"ERANGE", ERANGE},	       {"ENOSYS", ENOSYS},
	{"EOPNOTSUPP", EOPNOTSUPP}, {"ETIMEDOUT", ETIMEDOUT},  {"EINTR", EINTR},
	{"ENOTSUPP", 524},	    {"KILL", SIM_KILL_BEFORE}, {"KILL-AFTER", SIM_KILL_AFTER},
};

int errno_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(errtab) / sizeof(errtab[0]); i++)
		if (!strcmp(errtab[i].name, name))
			return errtab[i].err;
	return 0;
}

const char *errno_name(int err)
{
	for (size_t i = 0; i < sizeof(errtab) / sizeof(errtab[0]); i++)
		if (errtab[i].err == err)
			return errtab[i].name;
	return "E?";
}
