// SPDX-License-Identifier: GPL-2.0-only
/* Ledger: JSON round trip, atomic save/load, malformed files, entry bookkeeping. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "ledger.h"

static void fill(struct ledger *l)
{
	struct ledger_pf *p;
	struct ledger_vf *v;

	memset(l, 0, sizeof(*l));
	p = ledger_get(l, "0000:01:00.0");
	assert_non_null(p);
	snprintf(p->config, sizeof(p->config), "/etc/vfctl.d/igb.conf");
	p->has_numvfs = true;
	p->orig_numvfs = 0;
	p->has_autoprobe = true;
	p->orig_autoprobe = 1;
	/* Inserted out of order: kept sorted by index. */
	v = ledger_pf_vf(p, 3, true);
	v->orig.given |= 1u << VFKEY_MAC | 1u << VFKEY_VLAN | 1u << VFKEY_PROTO;
	v->orig.vlan.vlan = 7;
	v->orig.vlan.proto = VF_ETH_P_8021AD;
	v = ledger_pf_vf(p, 1, true);
	v->orig.given |= 1u << VFKEY_DRIVER;
	v->orig.driver[0] = '\0';
	p = ledger_get(l, "0000:02:00.0");
	p->has_numvfs = true;
	p->orig_numvfs = 2;
}

static void json_round_trip(void **state)
{
	struct ledger l, back;
	struct errinfo e;
	char *text, *again;

	(void)state;
	fill(&l);
	assert_int_equal(l.pfs[0].vfs[0].index, 1);
	assert_int_equal(l.pfs[0].vfs[1].index, 3);
	text = ledger_to_json(&l);
	assert_non_null(text);
	assert_int_equal(ledger_from_json(text, "t", &back, &e), 0);
	assert_int_equal(back.nr_pfs, 2);
	assert_string_equal(back.pfs[0].config, "/etc/vfctl.d/igb.conf");
	assert_true(back.pfs[0].has_autoprobe);
	assert_int_equal(back.pfs[0].orig_autoprobe, 1);
	assert_int_equal(back.pfs[0].nr_vfs, 2);
	/* An unbound original driver survives as "" (not as "absent"). */
	assert_true(vf_settings_has(&back.pfs[0].vfs[0].orig, VFKEY_DRIVER));
	assert_string_equal(back.pfs[0].vfs[0].orig.driver, "");
	assert_false(vf_settings_has(&back.pfs[0].vfs[0].orig, VFKEY_MAC));
	/* Typed on both sides: an all-zero MAC, 802.1ad, no string kept. */
	assert_true(vf_settings_has(&back.pfs[0].vfs[1].orig, VFKEY_MAC));
	assert_true(mac_is_zero(back.pfs[0].vfs[1].orig.mac));
	assert_int_equal(back.pfs[0].vfs[1].orig.vlan.vlan, 7);
	assert_int_equal(back.pfs[0].vfs[1].orig.vlan.proto, VF_ETH_P_8021AD);
	assert_false(vf_settings_has(&back.pfs[0].vfs[1].orig, VFKEY_QOS));
	assert_non_null(strstr(text, "\"proto\":\"802.1ad\""));
	assert_false(back.pfs[1].has_autoprobe);
	assert_int_equal(back.pfs[1].orig_numvfs, 2);
	again = ledger_to_json(&back);
	assert_string_equal(text, again);
	free(text);
	free(again);
	ledger_free(&l);
	ledger_free(&back);
}

static void malformed_is_refused(void **state)
{
	static const char *const bad[] = {
		"not json",
		"{\"version\":2,\"pfs\":[]}",
		"{\"version\":1}",
		"{\"version\":1,\"pfs\":[{\"config\":\"x\"}]}",
		"{\"version\":1,\"pfs\":[{\"bdf\":\"0000:01:00.0\",\"numvfs\":\"two\"}]}",
		"{\"version\":1,\"pfs\":[{\"bdf\":\"0000:01:00.0\",\"vfs\":[{\"vf\":-1}]}]}",
		"{\"version\":1,\"pfs\":[{\"bdf\":\"0000:01:00.0\",\"vfs\":[{\"vf\":0,\"mac\":5}]}]"
		"}",
	};
	struct ledger l;
	struct errinfo e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ledger_from_json(bad[i], "/s/ledger.json", &l, &e) != -EINVAL)
			fail_msg("case %zu accepted", i);
		assert_non_null(strstr(e.msg, "/s/ledger.json"));
		assert_true(e.hint[0] != '\0');
		assert_int_equal(l.nr_pfs, 0);
	}
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void save_load_atomic(void **state)
{
	char dir[] = "/tmp/vfctl-test-ledger-XXXXXX", sub[600], cmd[700];
	struct ledger l, back;
	struct errinfo e;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* The state dir does not exist yet: save creates it. */
	snprintf(sub, sizeof(sub), "%s/state", dir);
	assert_int_equal(ledger_load(sub, &back, &e), 0);
	assert_int_equal(back.nr_pfs, 0);
	fill(&l);
	assert_int_equal(ledger_save(sub, &l, &e), 0);
	assert_int_equal(stat(sub, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* Only the ledger itself: no temporary file left behind. */
	assert_int_equal(count_entries(sub), 1);
	assert_int_equal(ledger_load(sub, &back, &e), 0);
	assert_int_equal(back.nr_pfs, 2);
	ledger_free(&back);

	/* Replacing keeps one file with the new content. */
	ledger_remove(&l, "0000:01:00.0");
	assert_int_equal(ledger_save(sub, &l, &e), 0);
	assert_int_equal(count_entries(sub), 1);
	assert_int_equal(ledger_load(sub, &back, &e), 0);
	assert_int_equal(back.nr_pfs, 1);
	assert_string_equal(back.pfs[0].bdf, "0000:02:00.0");
	ledger_free(&back);
	ledger_free(&l);

	/* A state dir that cannot be created is an error naming it. */
	snprintf(sub, sizeof(sub), "%s/file", dir);
	assert_int_equal(state_write_atomic(dir, "file", "x", &e), 0);
	snprintf(sub, sizeof(sub), "%s/file/state", dir);
	memset(&l, 0, sizeof(l));
	assert_int_equal(ledger_save(sub, &l, &e), -ENOTDIR);
	assert_non_null(strstr(e.msg, sub));

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void tidy_and_put(void **state)
{
	struct ledger l;
	struct ledger_pf copy, *p;

	(void)state;
	fill(&l);
	p = ledger_find(&l, "0000:01:00.0");
	assert_int_equal(ledger_pf_copy(&copy, p), 0);
	/* Nothing recorded any more for VF 1 and the PF's own values: gone after tidy. */
	p->has_numvfs = p->has_autoprobe = false;
	vf_settings_drop(&ledger_pf_vf(p, 1, false)->orig, VFKEY_DRIVER);
	ledger_tidy(&l);
	p = ledger_find(&l, "0000:01:00.0");
	assert_non_null(p);
	assert_int_equal(p->nr_vfs, 1);
	assert_int_equal(p->vfs[0].index, 3);
	ledger_pf_vf(p, 3, false)->orig.given = 0;
	ledger_tidy(&l);
	assert_null(ledger_find(&l, "0000:01:00.0"));
	assert_int_equal(l.nr_pfs, 1);
	/* Putting the snapshot back restores the entry exactly. */
	assert_int_equal(ledger_put(&l, "0000:01:00.0", &copy), 0);
	p = ledger_find(&l, "0000:01:00.0");
	assert_int_equal(p->nr_vfs, 2);
	assert_true(p->has_numvfs);
	assert_int_equal(ledger_put(&l, "0000:02:00.0", NULL), 0);
	assert_null(ledger_find(&l, "0000:02:00.0"));
	ledger_pf_free(&copy);
	ledger_free(&l);
}

/* A BDF in the ledger names sysfs paths: only a canonical one is loaded. */
static void malformed_bdf_refused(void **state)
{
	static const char *const bad[] = {
		"{\"version\":1,\"pfs\":[{\"bdf\":\"../../../../tmp/x\"}]}",
		"{\"version\":1,\"pfs\":[{\"bdf\":\"01:00.0\"}]}",
		"{\"version\":1,\"pfs\":[{\"bdf\":\"0000:01:00.0\"},\n{\"bdf\":\"0000:01:00.0\"}]}",
	};
	static const char *const want[] = {
		"/s/ledger.json: entry 0 (line 1): \"bdf\": \"../../../../tmp/x\" is not a "
		"canonical PCI address",
		"/s/ledger.json: entry 0 (line 1): \"bdf\": \"01:00.0\" is not a canonical PCI "
		"address",
		"/s/ledger.json: entry 1 (line 2): \"bdf\": \"0000:01:00.0\" appears twice",
	};
	struct ledger l;
	struct errinfo e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ledger_from_json(bad[i], "/s/ledger.json", &l, &e), -EINVAL);
		assert_string_equal(e.msg, want[i]);
		assert_int_equal(l.nr_pfs, 0);
	}
}

static void tmpdir(char *dir, size_t size)
{
	snprintf(dir, size, "/tmp/vfctl-test-ledger-XXXXXX");
	assert_non_null(mkdtemp(dir));
}

static void rmtree(const char *dir)
{
	char cmd[700];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* Files and directory private; a symlink at the temp name or the ledger is never followed. */
static void save_never_follows_symlinks(void **state)
{
	char dir[64], sub[128], victim[128], link[256], text[64];
	struct ledger l, back;
	struct errinfo e;
	struct stat st;
	FILE *f;

	(void)state;
	tmpdir(dir, sizeof(dir));
	snprintf(sub, sizeof(sub), "%s/state", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	f = fopen(victim, "w");
	assert_non_null(f);
	fputs("precious\n", f);
	fclose(f);
	umask(0);
	assert_int_equal(mkdir(sub, 0700), 0);
	umask(022);
	snprintf(link, sizeof(link), "%s/" LEDGER_FILE ".tmp.%d", sub, (int)getpid());
	assert_int_equal(symlink(victim, link), 0);

	fill(&l);
	assert_int_equal(ledger_save(sub, &l, &e), 0);
	f = fopen(victim, "r");
	assert_non_null(fgets(text, sizeof(text), f));
	fclose(f);
	assert_string_equal(text, "precious\n");
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	snprintf(link, sizeof(link), "%s/" LEDGER_FILE, sub);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(ledger_load(sub, &back, &e), 0);
	assert_int_equal(back.nr_pfs, 2);
	ledger_free(&back);

	/* The ledger itself a symlink: refused, not read through. */
	assert_int_equal(unlink(link), 0);
	assert_int_equal(symlink(victim, link), 0);
	assert_int_equal(ledger_load(sub, &back, &e), -ELOOP);
	assert_non_null(strstr(e.msg, LEDGER_FILE " is a symbolic link"));
	ledger_free(&l);
	rmtree(dir);
}

static void unsafe_state_dir_refused(void **state)
{
	char dir[64], sub[128], link[128], want[256];
	struct ledger l;
	struct errinfo e;
	struct stat st;

	(void)state;
	tmpdir(dir, sizeof(dir));
	snprintf(sub, sizeof(sub), "%s/state", dir);
	memset(&l, 0, sizeof(l));
	/* Created 0700 whatever the umask. */
	umask(0);
	assert_int_equal(ledger_save(sub, &l, &e), 0);
	umask(022);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);

	assert_int_equal(chmod(sub, 0757), 0);
	assert_int_equal(ledger_load(sub, &l, &e), -EPERM);
	snprintf(want, sizeof(want), "state directory %s is writable by others (mode 0757)", sub);
	assert_non_null(strstr(e.msg, want));
	snprintf(want, sizeof(want), "chmod 0700 %s", sub);
	assert_string_equal(e.hint, want);
	assert_int_equal(ledger_save(sub, &l, &e), -EPERM);
	assert_int_equal(chmod(sub, 0700), 0);

	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink(sub, link), 0);
	assert_int_equal(ledger_save(link, &l, &e), -ELOOP);
	assert_int_equal(ledger_load(link, &l, &e), -ELOOP);
	snprintf(want, sizeof(want), "state directory %s is a symbolic link", link);
	assert_non_null(strstr(e.msg, want));

	if (geteuid() == 0) {
		assert_int_equal(chown(sub, 65534, 65534), 0);
		assert_int_equal(ledger_load(sub, &l, &e), -EPERM);
		snprintf(want, sizeof(want), "state directory %s is owned by uid 65534", sub);
		assert_non_null(strstr(e.msg, want));
		snprintf(want, sizeof(want), "chown 0 %s", sub);
		assert_non_null(strstr(e.hint, want));
		assert_int_equal(ledger_save(sub, &l, &e), -EPERM);
	}
	rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_round_trip),
		cmocka_unit_test(malformed_is_refused),
		cmocka_unit_test(save_load_atomic),
		cmocka_unit_test(tidy_and_put),
		cmocka_unit_test(malformed_bdf_refused),
		cmocka_unit_test(save_never_follows_symlinks),
		cmocka_unit_test(unsafe_state_dir_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
