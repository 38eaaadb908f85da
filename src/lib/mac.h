/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Ethernet MAC addresses as users and sysfs write them: the one parser
 * ("aa:bb:cc:dd:ee:ff", six hex pairs, case-insensitive) and formatter
 * (lower case) for every caller.  Policy (unicast only, not all-zero) is
 * the caller's: the same text means different things to different callers.
 */
#ifndef LIB_MAC_H
#define LIB_MAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAC_LEN 6
#define MAC_STR_LEN 18 /* "aa:bb:cc:dd:ee:ff" + NUL */

/* Parse exactly six colon-separated hex pairs; 0, or -EINVAL (mac untouched). */
int mac_parse(const char *s, uint8_t mac[MAC_LEN]);
/* The same for the first len bytes of s (a MAC inside a longer string). */
int mac_parse_len(const char *s, size_t len, uint8_t mac[MAC_LEN]);
/* "aa:bb:cc:dd:ee:ff" into buf (MAC_STR_LEN bytes); returns buf. */
char *mac_str(const uint8_t mac[MAC_LEN], char buf[MAC_STR_LEN]);

static inline bool mac_is_zero(const uint8_t mac[MAC_LEN])
{
	return !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

/* Group bit set: multicast (or broadcast), never a station address. */
static inline bool mac_is_multicast(const uint8_t mac[MAC_LEN])
{
	return mac[0] & 1;
}

static inline bool mac_is_broadcast(const uint8_t mac[MAC_LEN])
{
	return (mac[0] & mac[1] & mac[2] & mac[3] & mac[4] & mac[5]) == 0xff;
}

#endif
