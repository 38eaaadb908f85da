// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mac.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int mac_parse_len(const char *s, size_t len, uint8_t mac[MAC_LEN])
{
	uint8_t out[MAC_LEN];

	if (!s || len != MAC_STR_LEN - 1)
		return -EINVAL;
	for (int i = 0; i < MAC_LEN; i++) {
		int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < MAC_LEN - 1 && s[3 * i + 2] != ':'))
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, out, MAC_LEN);
	return 0;
}

int mac_parse(const char *s, uint8_t mac[MAC_LEN])
{
	return s ? mac_parse_len(s, strlen(s), mac) : -EINVAL;
}

char *mac_str(const uint8_t mac[MAC_LEN], char buf[MAC_STR_LEN])
{
	snprintf(buf, MAC_STR_LEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
	return buf;
}
