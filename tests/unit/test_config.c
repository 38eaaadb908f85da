// SPDX-License-Identifier: GPL-2.0-only
/* Config parser: values, canonical forms, and file:line errors for bad input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"

/* A declared value as the user writes it (a rotating buffer: two per assert). */
static const char *val(const struct config_vf *v, int k)
{
	static char buf[4][VF_DRIVER_LEN];
	static int n;
	char *b = buf[n++ % 4];

	assert_true(vf_settings_has(&v->set, k));
	return vf_settings_value_str(&v->set, k, b, VF_DRIVER_LEN);
}

static const char *const good = "# igb PF\n"
				"[pf]\n"
				"match = bdf 01:00.0\n"
				"numvfs = 4\n"
				"autoprobe = off\n"
				"\n"
				"[vf 2]\n"
				"mac = 02:00:00:00:00:0A\n"
				"driver = vfio-pci\n"
				"[vf 0]\n"
				"  vlan = 100  \n"
				"qos = 3\n"
				"proto = 802.1ad\n"
				"spoofchk = off\n"
				"trust = on\n"
				"max_tx_rate = 1000\n"
				"min_tx_rate = 10\n"
				"state = disable\n"
				"query_rss = on\n";

static void parses_example(void **state)
{
	struct config_pf pf;
	struct errinfo e;
	const struct config_vf *v;

	(void)state;
	assert_int_equal(config_parse_text("a.conf", good, &pf, &e), 0);
	assert_int_equal(pf.match, CONFIG_MATCH_BDF);
	assert_string_equal(pf.match_val, "0000:01:00.0");
	assert_int_equal(pf.numvfs, 4);
	assert_int_equal(pf.numvfs_line, 4);
	assert_int_equal(pf.autoprobe, 0);
	assert_int_equal(pf.nr_vfs, 2);
	/* Sorted by index whatever the file order. */
	assert_int_equal(pf.vfs[0].index, 0);
	assert_int_equal(pf.vfs[1].index, 2);
	v = config_pf_vf(&pf, 2);
	assert_non_null(v);
	assert_true(vf_settings_has(&v->set, VFKEY_MAC));
	assert_string_equal(val(v, VFKEY_MAC), "02:00:00:00:00:0a");
	assert_string_equal(v->set.driver, "vfio-pci");
	assert_false(vf_settings_has(&v->set, VFKEY_VLAN));
	v = config_pf_vf(&pf, 0);
	assert_string_equal(val(v, VFKEY_VLAN), "100");
	assert_string_equal(val(v, VFKEY_QOS), "3");
	assert_string_equal(val(v, VFKEY_PROTO), "802.1ad");
	assert_string_equal(val(v, VFKEY_SPOOFCHK), "off");
	assert_string_equal(val(v, VFKEY_TRUST), "on");
	assert_string_equal(val(v, VFKEY_MAX_TX_RATE), "1000");
	assert_string_equal(val(v, VFKEY_MIN_TX_RATE), "10");
	assert_string_equal(val(v, VFKEY_STATE), "disable");
	assert_string_equal(val(v, VFKEY_QUERY_RSS), "on");
	assert_string_equal(v->set.driver, "");
	assert_null(config_pf_vf(&pf, 1));
	config_pf_free(&pf);
}

static void match_kinds(void **state)
{
	struct config_pf pf;
	struct errinfo e;

	(void)state;
	assert_int_equal(config_parse_text("m.conf",
					   "[pf]\nmatch = mac 52:54:00:AB:CD:EF\nnumvfs = 0\n", &pf,
					   &e),
			 0);
	assert_int_equal(pf.match, CONFIG_MATCH_MAC);
	assert_string_equal(pf.match_val, "52:54:00:ab:cd:ef");
	assert_int_equal(pf.autoprobe, -1);
	config_pf_free(&pf);
	assert_int_equal(
		config_parse_text("s.conf", "[pf]\nmatch = serial SN123\nnumvfs = 2\n", &pf, &e),
		0);
	assert_int_equal(pf.match, CONFIG_MATCH_SERIAL);
	assert_string_equal(pf.match_val, "SN123");
	config_pf_free(&pf);
}

/* Each bad file must fail with file:line and the expected form in the message. */
struct bad_case {
	const char *text;
	const char *want; /* substring of the message */
};

static const struct bad_case bad_cases[] = {
	{"[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 2\nfoo = 1\n",
	 "b.conf:4: unknown key \"foo\" in [pf]; expected match, numvfs or autoprobe"},
	{"[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 2\n[vf 0]\nmac = 01:00:00:00:00:01\n",
	 "b.conf:5: "},
	{"[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 2\n[vf 0]\nmac = zz\n", "b.conf:5: "},
	{"[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 2\n[vf 0]\nvlan = 4096\n", "b.conf:5: "},
	{"[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 2\n[vf 0]\n[vf 0]\n",
	 "b.conf:5: [vf 0] is declared twice (first at line 4)"},
	{"[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 2\n[vf 2]\n",
	 "b.conf:4: [vf 2] is beyond numvfs = 2 (line 3); expected an index 0..1"},
	{"[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 2\n[pf]\n", "b.conf:4: second [pf] section"},
	{"[pf]\nnumvfs = 2\n", "b.conf: no \"match =\" in [pf]"},
	{"[pf]\nmatch = bdf 0000:01:00.0\n", "b.conf: no \"numvfs =\" in [pf]"},
	{"numvfs = 2\n", "b.conf:1: \"numvfs\" before any section; expected [pf] first"},
	{"[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 2\n[vf 0]\nqos = 1\n",
	 "b.conf:4: [vf 0] qos is part of the VF VLAN and needs 'vlan' with it"},
	{"[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 2\n[vf 0]\nmin_tx_rate = 20\nmax_tx_rate = 10\n",
	 "b.conf:4: [vf 0] min_tx_rate 20 is above max_tx_rate 10"},
	{"[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 2\n[vf 0]\nmac = 02:00:00:00:00:01\n[vf 1]\nmac "
	 "= 02:00:00:00:00:01\n",
	 "b.conf:6: [vf 1] mac 02:00:00:00:00:01 is also given to [vf 0] (line 4)"},
	{"[pf]\nmatch = uuid x\nnumvfs = 2\n",
	 "b.conf:2: match kind \"uuid\" is unknown; expected bdf, mac or serial"},
	{"[pf]\nmatch = bdf 0000:01:20.0\nnumvfs = 2\n", "b.conf:2: match: "},
	{"[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = -1\n",
	 "b.conf:3: numvfs = \"-1\": expected a VF count 0..65535"},
	{"[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 2\nautoprobe = maybe\n",
	 "b.conf:4: autoprobe = \"maybe\": expected on or off"},
	{"[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 2\n[vf 0]\ndriver = vfio pci\n",
	 "b.conf:5: driver = \"vfio pci\": expected a driver name"},
	{"[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 2\n[vf x]\n", "b.conf:4: section [vf x]"},
	{"[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 2\njunk\n",
	 "b.conf:4: \"junk\": expected key = value"},
	{"[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 2\n[vf 0]\ntrust = on\ntrust = off\n",
	 "b.conf:6: trust is given twice in [vf 0]"},
	{"", "b.conf: no [pf] section"},
};

static void bad_input_names_file_line(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct config_pf pf;
		struct errinfo e;
		int r = config_parse_text("b.conf", bad_cases[i].text, &pf, &e);

		if (r != -EINVAL || !strstr(e.msg, bad_cases[i].want))
			fail_msg("case %zu: ret %d msg \"%s\", expected \"%s\"", i, r,
				 r ? e.msg : "", bad_cases[i].want);
		assert_null(pf.vfs);
	}
}

static void values_are_typed(void **state)
{
	struct config_pf pf;
	struct errinfo e;
	const struct config_vf *v;

	(void)state;
	assert_int_equal(config_parse_text("t.conf",
					   "[pf]\nmatch = bdf 0000:AF:1f.7\nnumvfs = 1\n[vf 0]\n"
					   "proto = 802.1q\nvlan = 4095\nmac = 02:AA:00:00:00:01\n"
					   "max_tx_rate = 4294967295\nmac_clear_is = x\n",
					   &pf, &e),
			 -EINVAL);
	assert_non_null(strstr(e.msg, "t.conf:9: unknown key \"mac_clear_is\""));
	assert_int_equal(config_parse_text("t.conf",
					   "[pf]\nmatch = bdf 0000:AF:1f.7\nnumvfs = 1\n[vf 0]\n"
					   "proto = 802.1q\nvlan = 4095\nmac = 02:AA:00:00:00:01\n"
					   "max_tx_rate = 4294967295\nstate = enable\n",
					   &pf, &e),
			 0);
	assert_string_equal(pf.match_val, "0000:af:1f.7");
	v = config_pf_vf(&pf, 0);
	assert_int_equal(v->set.vlan.proto, VF_ETH_P_8021Q);
	assert_int_equal(v->set.vlan.vlan, 4095);
	assert_memory_equal(v->set.mac, "\x02\xaa\x00\x00\x00\x01", 6);
	assert_int_equal(v->set.max_tx_rate, 4294967295u);
	assert_int_equal(v->set.link_state, VF_LINK_STATE_ENABLE);
	assert_false(vf_settings_has(&v->set, VFKEY_DRIVER));
	config_pf_free(&pf);
	/* The same value rules as `vfctl set`: no second, looser validator. */
	assert_int_equal(config_parse_text("t.conf",
					   "[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 1\n[vf 0]\n"
					   "vlan = 010\n",
					   &pf, &e),
			 -EINVAL);
	assert_non_null(strstr(e.msg, "t.conf:5: invalid vlan '010'"));
	assert_int_equal(config_parse_text("t.conf",
					   "[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 1\n[vf 0]\n"
					   "vlan = 0\nqos = 3\n",
					   &pf, &e),
			 -EINVAL);
	assert_non_null(strstr(e.msg, "t.conf:4: [vf 0] qos 3 without a VLAN ID"));
	assert_int_equal(config_parse_text("t.conf",
					   "[pf]\nmatch = bdf 0000:01:00.0x\nnumvfs = 1\n", &pf,
					   &e),
			 -EINVAL);
	assert_int_equal(vfkey_lookup("max_tx_rate"), VFKEY_MAX_TX_RATE);
	assert_int_equal(vfkey_lookup("driver"), VFKEY_DRIVER);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void load_dir_and_conflicts(void **state)
{
	char dir[] = "/tmp/vfctl-test-config-XXXXXX", cmd[600];
	struct config_set set;
	struct errinfo e;

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_file(dir, "b.conf", "[pf]\nmatch = bdf 0000:02:00.0\nnumvfs = 1\n");
	write_file(dir, "a.conf", "[pf]\nmatch = bdf 0000:01:00.0\nnumvfs = 2\n");
	write_file(dir, "a.conf~", "garbage");
	write_file(dir, "README", "garbage");
	assert_int_equal(config_load_dir(dir, &set, &e), 0);
	assert_int_equal(set.nr_pfs, 2);
	assert_non_null(strstr(set.pfs[0].path, "/a.conf"));
	assert_string_equal(set.pfs[1].match_val, "0000:02:00.0");
	config_set_free(&set);

	/* A second file for the same PF (short BDF form) is a conflict naming both. */
	write_file(dir, "c.conf", "# dup\n[pf]\nmatch = bdf 02:00.0\nnumvfs = 3\n");
	assert_int_equal(config_load_dir(dir, &set, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "b.conf:2 and "));
	assert_non_null(strstr(e.msg, "c.conf:3 both match bdf 0000:02:00.0"));
	assert_int_equal(set.nr_pfs, 0);

	/* A broken file stops the load: nothing is applied from a half-read config. */
	write_file(dir, "c.conf", "[pf]\nmatch = bdf 03:00.0\nnumvfs = x\n");
	assert_int_equal(config_load_dir(dir, &set, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "c.conf:3: numvfs"));

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	/* No directory at all: nothing declared. */
	assert_int_equal(config_load_dir(dir, &set, &e), 0);
	assert_int_equal(set.nr_pfs, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_example),
		cmocka_unit_test(match_kinds),
		cmocka_unit_test(bad_input_names_file_line),
		cmocka_unit_test(values_are_typed),
		cmocka_unit_test(load_dir_and_conflicts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
