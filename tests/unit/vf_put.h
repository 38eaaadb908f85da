/* SPDX-License-Identifier: GPL-2.0-only */
/* Tests: set one typed VF setting from the words a user writes. */
#ifndef TESTS_UNIT_VF_PUT_H
#define TESTS_UNIT_VF_PUT_H

#include <stdio.h>

#include "vf_settings.h"

/* Key k of s becomes text ("02:00:00:00:00:01", "on", a driver, "" = no driver). */
static inline void vf_put(struct vf_settings *s, int k, const char *text)
{
	struct vf_settings tmp;
	struct errinfo e;

	vf_settings_init(&tmp);
	if (k == VFKEY_MAC) {
		/* Any MAC, all-zero included: the state a VF reports. */
		assert_int_equal(mac_parse(text, tmp.mac), 0);
		tmp.given = 1u << k;
	} else if (k == VFKEY_DRIVER) {
		snprintf(tmp.driver, sizeof(tmp.driver), "%s", text);
		tmp.given = 1u << k;
	} else {
		assert_int_equal(vf_settings_parse_key(&tmp, vfkey_name(k), text, 0, &e), 0);
	}
	vf_settings_copy_key(s, &tmp, k);
}

#endif
