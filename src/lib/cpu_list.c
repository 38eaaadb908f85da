// SPDX-License-Identifier: GPL-2.0-only
/* CPU list parsing: see cpu_list.h. */
#include <errno.h>
#include <stdlib.h>

#include "cpu_list.h"

int cpu_list_parse(const char *s, int *cpus, int max)
{
	int n = 0;

	while (*s && *s != '\n') {
		char *end;
		long a = strtol(s, &end, 10), b;

		if (end == s || a < 0 || a >= CPU_SETSIZE)
			return -EINVAL;
		b = a;
		s = end;
		if (*s == '-') {
			b = strtol(s + 1, &end, 10);
			if (end == s + 1 || b < a || b >= CPU_SETSIZE)
				return -EINVAL;
			s = end;
		}
		for (long c = a; c <= b; c++) {
			if (n == max)
				return -EINVAL;
			cpus[n++] = (int)c;
		}
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			return -EINVAL;
	}
	return n;
}

int cpu_list_parse_set(const char *s, cpu_set_t *set)
{
	int cpus[CPU_SETSIZE];
	int n;

	CPU_ZERO(set);
	/* a set holds each CPU once: more entries than that are repeats */
	n = cpu_list_parse(s, cpus, CPU_SETSIZE);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		CPU_SET(cpus[i], set);
	return 0;
}
