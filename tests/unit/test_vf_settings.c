// SPDX-License-Identifier: GPL-2.0-only
/* Parsing and validation of VF link settings: accepted forms and precise errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "vf_settings.h"

#define PARSE(s, e, ...)                                                              \
	({                                                                            \
		const char *_argv[] = {__VA_ARGS__};                                  \
		vf_settings_parse((s), sizeof(_argv) / sizeof(_argv[0]), _argv, (e)); \
	})

static void full_set_parses(void **state)
{
	struct vf_settings s;
	struct errinfo e;

	(void)state;
	assert_int_equal(PARSE(&s, &e, "mac", "02:AA:bb:cc:dd:0e", "vlan", "4095", "qos", "7",
			       "proto", "802.1ad", "min_tx_rate", "100", "max_tx_rate", "1000",
			       "spoofchk", "off", "trust", "on", "state", "disable", "query_rss",
			       "on"),
			 0);
	assert_int_equal(s.given, (1u << VF_SET_COUNT) - 1);
	assert_memory_equal(s.mac, "\x02\xaa\xbb\xcc\xdd\x0e", 6);
	assert_int_equal(s.vlan.vlan, 4095);
	assert_int_equal(s.vlan.qos, 7);
	assert_int_equal(s.vlan.proto, VF_ETH_P_8021AD);
	assert_int_equal(s.min_tx_rate, 100);
	assert_int_equal(s.max_tx_rate, 1000);
	assert_int_equal(s.spoofchk, 0);
	assert_int_equal(s.trust, 1);
	assert_int_equal(s.link_state, VF_LINK_STATE_DISABLE);
	assert_int_equal(s.query_rss, 1);
}

static void defaults_and_partial_sets(void **state)
{
	struct vf_settings s;
	struct errinfo e;

	(void)state;
	assert_int_equal(PARSE(&s, &e, "vlan", "10"), 0);
	assert_true(vf_settings_has(&s, VF_SET_VLAN));
	assert_false(vf_settings_has(&s, VF_SET_MAC));
	assert_int_equal(s.vlan.qos, 0);
	assert_int_equal(s.vlan.proto, VF_ETH_P_8021Q);
	assert_int_equal(PARSE(&s, &e, "proto", "802.1q", "vlan", "0"), 0);
	assert_int_equal(PARSE(&s, &e, "mac", "clear"), 0);
	assert_memory_equal(s.mac, "\0\0\0\0\0\0", 6);
	assert_int_equal(PARSE(&s, &e, "max_tx_rate", "0", "state", "auto"), 0);
	assert_int_equal(s.link_state, VF_LINK_STATE_AUTO);
	/* max 0 is "no limit", so any guarantee fits under it. */
	assert_int_equal(PARSE(&s, &e, "min_tx_rate", "500", "max_tx_rate", "0"), 0);
}

struct bad {
	const char *key, *value, *msg;
};

static void bad_values_name_key_value_and_rule(void **state)
{
	static const struct bad cases[] = {
		{"mac", "01:00:5e:00:00:01",
		 "invalid mac '01:00:5e:00:00:01': it is a multicast address"},
		{"mac", "ff:ff:ff:ff:ff:ff", "multicast (broadcast) address"},
		{"mac", "00:00:00:00:00:00", "all-zero is not an address"},
		{"mac", "02:00:00:00:00", "invalid mac '02:00:00:00:00': expected six hex bytes"},
		{"mac", "02:00:00:00:00:0g", "expected six hex bytes"},
		{"mac", "02-00-00-00-00-01", "expected six hex bytes"},
		{"vlan", "4096", "invalid vlan '4096': must be a VLAN ID 0-4095"},
		{"vlan", "-1", "invalid vlan '-1'"},
		{"vlan", "0x10", "invalid vlan '0x10'"},
		{"vlan", "", "invalid vlan ''"},
		{"qos", "8", "invalid qos '8': must be a priority 0-7"},
		{"proto", "802.1x", "invalid proto '802.1x': must be 802.1Q or 802.1ad"},
		{"min_tx_rate", "1.5",
		 "invalid min_tx_rate '1.5': must be a whole number of Mbit/s"},
		{"max_tx_rate", "99999999999", "invalid max_tx_rate '99999999999'"},
		{"spoofchk", "yes", "invalid spoofchk 'yes': must be on or off"},
		{"trust", "1", "invalid trust '1': must be on or off"},
		{"query_rss", "ON", "invalid query_rss 'ON'"},
		{"state", "up", "invalid state 'up': must be auto, enable or disable"},
		{"speed", "10", "unknown VF setting 'speed'"},
	};
	struct vf_settings s;
	struct errinfo e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[] = {cases[i].key, cases[i].value};

		err_clear(&e);
		assert_int_equal(vf_settings_parse(&s, 2, argv, &e), -EINVAL);
		if (!strstr(e.msg, cases[i].msg))
			fail_msg("%s %s: got '%s', want '%s'", cases[i].key, cases[i].value, e.msg,
				 cases[i].msg);
	}
}

static void hints_for_common_mistakes(void **state)
{
	struct vf_settings s;
	struct errinfo e;

	(void)state;
	assert_int_equal(PARSE(&s, &e, "mac", "00:00:00:00:00:00"), -EINVAL);
	assert_non_null(strstr(e.hint, "mac clear"));
	assert_int_equal(PARSE(&s, &e, "speed", "10"), -EINVAL);
	assert_non_null(strstr(e.hint, "max_tx_rate"));
}

static void rules_between_keys(void **state)
{
	struct vf_settings s;
	struct errinfo e;

	(void)state;
	assert_int_equal(PARSE(&s, &e, "qos", "3"), -EINVAL);
	assert_non_null(strstr(e.msg, "qos is part of the VF VLAN and needs 'vlan'"));
	assert_int_equal(PARSE(&s, &e, "proto", "802.1ad"), -EINVAL);
	assert_non_null(strstr(e.msg, "proto is part of the VF VLAN"));
	assert_int_equal(PARSE(&s, &e, "vlan", "0", "qos", "2"), -EINVAL);
	assert_non_null(strstr(e.msg, "qos 2 without a VLAN ID"));
	assert_int_equal(PARSE(&s, &e, "min_tx_rate", "200", "max_tx_rate", "100"), -EINVAL);
	assert_string_equal(e.msg, "min_tx_rate 200 is above max_tx_rate 100 (Mbit/s)");
	assert_int_equal(PARSE(&s, &e, "trust", "on", "trust", "off"), -EINVAL);
	assert_string_equal(e.msg, "VF setting 'trust' given twice");
	assert_int_equal(PARSE(&s, &e, "trust"), -EINVAL);
	assert_string_equal(e.msg, "VF setting 'trust' needs a value");
	assert_int_equal(vf_settings_parse(&s, 0, NULL, &e), -EINVAL);
	assert_string_equal(e.msg, "no VF setting given");
}

static void key_names_round_trip(void **state)
{
	int k;

	(void)state;
	for (k = 0; k < VF_SET_COUNT; k++)
		assert_int_equal(vf_setting_key_lookup(vf_setting_key_name(k)), k);
	assert_int_equal(vf_setting_key_lookup("MAC"), -1);
	assert_null(vf_setting_key_name(VF_SET_COUNT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_set_parses),
		cmocka_unit_test(defaults_and_partial_sets),
		cmocka_unit_test(bad_values_name_key_value_and_rule),
		cmocka_unit_test(hints_for_common_mistakes),
		cmocka_unit_test(rules_between_keys),
		cmocka_unit_test(key_names_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
