/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * CPU lists as the kernel writes them and users type them: "0-3,8,10-11",
 * optionally ended by a newline (sysfs).  One parser for --cpu-affinity,
 * the host's node cpulists and the options that take them.
 */
#ifndef LIB_CPU_LIST_H
#define LIB_CPU_LIST_H

#include <sched.h>

/*
 * The CPUs of @s in the order written into @cpus (at most @max); returns
 * how many (0 for an empty list), or -EINVAL when @s is malformed, names a
 * CPU at or above CPU_SETSIZE, or holds more than @max.
 */
int cpu_list_parse(const char *s, int *cpus, int max);
/* The same as a set (order and repeats do not matter); 0 or -EINVAL. */
int cpu_list_parse_set(const char *s, cpu_set_t *set);

#endif
