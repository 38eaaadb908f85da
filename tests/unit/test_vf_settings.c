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
	assert_int_equal(s.given, (1u << VFKEY_LINK_NR) - 1);
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
	assert_true(vf_settings_has(&s, VFKEY_VLAN));
	assert_false(vf_settings_has(&s, VFKEY_MAC));
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
	for (k = 0; k < VFKEY_NR; k++)
		assert_int_equal(vfkey_lookup(vfkey_name(k)), k);
	assert_int_equal(vfkey_lookup("MAC"), -1);
	assert_string_equal(vfkey_name(VFKEY_NR), "?");
	assert_int_equal(vfkey_group(VFKEY_QOS), vfkey_group(VFKEY_PROTO));
	assert_int_equal(vfkey_group(VFKEY_MIN_TX_RATE), 2);
	assert_int_equal(vfkey_group(VFKEY_MAC), 0);
}

/* "driver" is a key of the configuration file only, and checked like the others. */
static void driver_only_with_flag(void **state)
{
	struct vf_settings s;
	struct errinfo e;

	(void)state;
	vf_settings_init(&s);
	assert_int_equal(vf_settings_parse_one(&s, "driver", "vfio-pci", &e), -EINVAL);
	assert_string_equal(e.msg, "unknown VF setting 'driver'");
	assert_int_equal(vf_settings_parse_key(&s, "driver", "vfio pci", VF_PARSE_DRIVER, &e),
			 -EINVAL);
	assert_non_null(strstr(e.msg, "expected a driver name like vfio-pci"));
	assert_int_equal(vf_settings_parse_key(&s, "driver", "vfio-pci", VF_PARSE_DRIVER, &e), 0);
	assert_true(vf_settings_has(&s, VFKEY_DRIVER));
	assert_string_equal(s.driver, "vfio-pci");
	assert_int_equal(vf_settings_parse_key(&s, "driver", "igbvf", VF_PARSE_DRIVER, &e),
			 -EINVAL);
	assert_string_equal(e.msg, "VF setting 'driver' given twice");
}

/* Every value printed as the user writes it parses back to the same typed value. */
static void value_text_round_trip(void **state)
{
	static const char *const words[][2] = {
		{"mac", "02:aa:bb:cc:dd:0e"},
		{"vlan", "4095"},
		{"qos", "7"},
		{"proto", "802.1ad"},
		{"min_tx_rate", "0"},
		{"max_tx_rate", "4294967295"},
		{"spoofchk", "off"},
		{"trust", "on"},
		{"state", "enable"},
		{"query_rss", "on"},
		{"driver", "vfio-pci"},
		{"proto", "802.1Q"},
		{"state", "auto"},
		{"state", "disable"},
	};
	struct errinfo e;

	(void)state;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		struct vf_settings a, b;
		char text[VF_DRIVER_LEN];
		int k = vfkey_lookup(words[i][0]);

		vf_settings_init(&a);
		vf_settings_init(&b);
		assert_int_equal(
			vf_settings_parse_key(&a, words[i][0], words[i][1], VF_PARSE_DRIVER, &e),
			0);
		assert_string_equal(vf_settings_value_str(&a, k, text, sizeof(text)), words[i][1]);
		assert_int_equal(vf_settings_parse_key(&b, words[i][0], text, VF_PARSE_DRIVER, &e),
				 0);
		assert_true(vf_settings_same(&a, &b, k));
		assert_int_equal(a.given, b.given);
	}
}

/* The kernel's view (vf_link_info) and the model map both ways, unknowns included. */
static void link_info_both_ways(void **state)
{
	struct vf_link_info in = {0}, out;
	struct vf_settings s, d;

	(void)state;
	in.vf = 3;
	in.has_mac = true;
	memcpy(in.mac, "\x02\x00\x00\x00\x00\x09", 6);
	in.has_vlan = true;
	in.vlan.vlan = 10;
	in.vlan.proto = 0; /* a driver that does not say: 802.1Q */
	in.spoofchk = 0;
	in.trust = -1;
	in.link_state = VF_LINK_STATE_DISABLE;
	in.query_rss = -1;
	vf_settings_from_link(&s, &in);
	assert_true(vf_settings_has(&s, VFKEY_MAC));
	assert_true(vf_settings_has(&s, VFKEY_PROTO));
	assert_int_equal(s.vlan.proto, VF_ETH_P_8021Q);
	assert_false(vf_settings_has(&s, VFKEY_MIN_TX_RATE));
	assert_false(vf_settings_has(&s, VFKEY_TRUST));
	assert_false(vf_settings_has(&s, VFKEY_DRIVER));
	vf_settings_to_link(&s, 3, &out);
	assert_int_equal(out.vf, 3);
	assert_true(out.has_mac && out.has_vlan && !out.has_rate);
	assert_memory_equal(out.mac, in.mac, 6);
	assert_int_equal(out.spoofchk, 0);
	assert_int_equal(out.trust, -1);
	assert_int_equal(out.link_state, VF_LINK_STATE_DISABLE);
	/* Fresh-VF defaults: every link key known, spoof checking on. */
	vf_settings_defaults(&d);
	assert_int_equal(d.given, (1u << VFKEY_LINK_NR) - 1);
	assert_int_equal(d.spoofchk, 1);
	assert_true(mac_is_zero(d.mac));
	vf_settings_copy_key(&d, &s, VFKEY_MAC);
	assert_true(vf_settings_same(&d, &s, VFKEY_MAC));
	vf_settings_drop(&d, VFKEY_MAC);
	assert_false(vf_settings_has(&d, VFKEY_MAC));
}

/* The one MAC parser (src/lib/mac.c) every caller uses. */
static void mac_parser(void **state)
{
	uint8_t m[6] = {1, 2, 3, 4, 5, 6};
	char buf[MAC_STR_LEN];

	(void)state;
	assert_int_equal(mac_parse("02:AA:bb:0c:dd:0E", m), 0);
	assert_string_equal(mac_str(m, buf), "02:aa:bb:0c:dd:0e");
	assert_int_equal(mac_parse_len("02:00:00:00:00:01,tap", 17, m), 0);
	assert_int_equal(m[5], 1);
	static const char *const bad[] = {
		"",
		"02:00:00:00:00",
		"02:00:00:00:00:0",
		"02:00:00:00:00:001",
		"2:00:00:00:00:01",
		"02-00-00-00-00-01",
		"02:00:00:00:00:0g",
		" 2:00:00:00:00:01",
		"02:00:00:00:00:01 ",
		"0x:00:00:00:00:01",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(m, 7, 6);
		if (mac_parse(bad[i], m) != -EINVAL)
			fail_msg("\"%s\" parsed", bad[i]);
		/* A failed parse leaves the output alone. */
		assert_int_equal(m[0], 7);
	}
	assert_int_equal(mac_parse(NULL, m), -EINVAL);
	mac_parse("01:00:5e:00:00:01", m);
	assert_true(mac_is_multicast(m));
	assert_false(mac_is_broadcast(m));
	mac_parse("ff:ff:ff:ff:ff:ff", m);
	assert_true(mac_is_broadcast(m));
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
		cmocka_unit_test(driver_only_with_flag),
		cmocka_unit_test(value_text_round_trip),
		cmocka_unit_test(link_info_both_ways),
		cmocka_unit_test(mac_parser),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
