// SPDX-License-Identifier: GPL-2.0-only
/* The recording fake netlink backend: shared state file, request log, injected errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vflink.h"
#include "vflink_fake.h"

struct fx {
	char dir[64];
	char state[128];
	char log[160];
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *read_file(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	strcpy(fx->dir, "/tmp/vflink-fake-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->state, sizeof(fx->state), "%s/nl", fx->dir);
	snprintf(fx->log, sizeof(fx->log), "%s/nl.log", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	unlink(fx->state);
	unlink(fx->log);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

static void defaults_and_explicit_vf_lines(void **state)
{
	struct fx *fx = *state;
	struct vf_link_info *vfs;
	struct vflink *l;
	struct errinfo e;
	int n;

	write_file(fx->state,
		   "# two PFs\npf enp1s0f0 numvfs 3\n"
		   "vf enp1s0f0 1 mac 02:00:00:00:00:11 vlan 7 qos 2 proto 802.1ad "
		   "min_tx 0 max_tx 300 spoofchk off trust on state disable query_rss on\n");
	l = vflink_open_fake(fx->state, &e);
	assert_non_null(l);
	assert_int_equal(vflink_get_vfs(l, "enp1s0f0", &vfs, &n, &e), 0);
	assert_int_equal(n, 3);
	assert_int_equal(vfs[0].vf, 0);
	assert_memory_equal(vfs[0].mac, "\0\0\0\0\0\0", 6);
	assert_int_equal(vfs[0].spoofchk, 1);
	assert_int_equal(vfs[0].trust, 0);
	assert_int_equal(vfs[0].link_state, VF_LINK_STATE_AUTO);
	assert_memory_equal(vfs[1].mac, "\x02\0\0\0\0\x11", 6);
	assert_int_equal(vfs[1].vlan.vlan, 7);
	assert_int_equal(vfs[1].vlan.qos, 2);
	assert_int_equal(vfs[1].vlan.proto, VF_ETH_P_8021AD);
	assert_int_equal(vfs[1].max_tx_rate, 300);
	assert_int_equal(vfs[1].spoofchk, 0);
	assert_int_equal(vfs[1].trust, 1);
	assert_int_equal(vfs[1].link_state, VF_LINK_STATE_DISABLE);
	assert_int_equal(vfs[1].query_rss, 1);
	free(vfs);
	assert_string_equal(read_file(fx->log), "get enp1s0f0 -> ok\n");
	vflink_close(l);
}

static void set_is_seen_by_another_handle_and_logged(void **state)
{
	struct fx *fx = *state;
	struct vf_attr_value mac = {.attr = VF_ATTR_MAC, .mac = {2, 1, 2, 3, 4, 5}};
	struct vf_attr_value vlan = {.attr = VF_ATTR_VLAN,
				     .vlan = {.vlan = 100, .qos = 1, .proto = VF_ETH_P_8021Q}};
	struct vf_link_info *vfs;
	struct vflink *a, *b;
	struct errinfo e;
	int n;

	write_file(fx->state, "pf eth1 numvfs 2\n");
	a = vflink_open_fake(fx->state, &e);
	b = vflink_open_fake(fx->state, &e);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(vflink_set_vf(a, "eth1", 1, &mac, &e), 0);
	assert_int_equal(vflink_set_vf(a, "eth1", 1, &vlan, &e), 0);
	assert_int_equal(vflink_get_vfs(b, "eth1", &vfs, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(vfs[1].mac, "\x02\x01\x02\x03\x04\x05", 6);
	assert_int_equal(vfs[1].vlan.vlan, 100);
	assert_int_equal(vfs[1].vlan.qos, 1);
	assert_memory_equal(vfs[0].mac, "\0\0\0\0\0\0", 6);
	free(vfs);
	assert_string_equal(read_file(fx->log), "set eth1 vf 1 mac 02:01:02:03:04:05 -> ok\n"
						"set eth1 vf 1 vlan 100 qos 1 proto 802.1Q -> ok\n"
						"get eth1 -> ok\n");
	assert_non_null(
		strstr(read_file(fx->state), "vf eth1 1 mac 02:01:02:03:04:05 vlan 100 qos 1"));
	vflink_close(a);
	vflink_close(b);
}

/*
 * A handle keeps its parsed table between requests: a change made behind
 * its back (another process, a test appending a line) must still be seen,
 * and many changes keep the file small (appended lines are compacted).
 */
static void cache_sees_outside_changes_and_file_stays_small(void **state)
{
	struct fx *fx = *state;
	struct vf_attr_value trust = {.attr = VF_ATTR_TRUST, .on = 1};
	struct vf_link_info *vfs;
	struct vflink *a;
	struct errinfo e;
	FILE *f;
	int n, lines = 0;

	write_file(fx->state, "pf eth1 numvfs 2\n");
	a = vflink_open_fake(fx->state, &e);
	assert_non_null(a);
	assert_int_equal(vflink_get_vfs(a, "eth1", &vfs, &n, &e), 0);
	free(vfs);
	/* Same length as before: only the bytes tell the change. */
	write_file(fx->state, "pf eth1 numvfs 3\n");
	assert_int_equal(vflink_get_vfs(a, "eth1", &vfs, &n, &e), 0);
	assert_int_equal(n, 3);
	free(vfs);
	f = fopen(fx->state, "a");
	assert_non_null(f);
	fputs("fail eth1 trust EPERM 1\n", f);
	fclose(f);
	assert_int_equal(vflink_set_vf(a, "eth1", 0, &trust, &e), -EPERM);
	for (int i = 0; i < 300; i++) {
		trust.on = (uint32_t)(i & 1);
		assert_int_equal(vflink_set_vf(a, "eth1", (uint32_t)(i % 3), &trust, &e), 0);
	}
	f = fopen(fx->state, "r");
	assert_non_null(f);
	for (int c = fgetc(f); c != EOF; c = fgetc(f))
		lines += c == '\n';
	fclose(f);
	/* pf line, one line per VF, at most numvfs + 65 appended ones */
	assert_true(lines <= 1 + 3 + 3 + 65);
	vflink_close(a);
	a = vflink_open_fake(fx->state, &e);
	assert_int_equal(vflink_get_vfs(a, "eth1", &vfs, &n, &e), 0);
	/* The last of the 300: i = 299 (odd, on) went to VF 2, i = 298 (off) to VF 1. */
	assert_int_equal(vfs[2].trust, 1);
	assert_int_equal(vfs[1].trust, 0);
	assert_int_equal(vfs[0].trust, 1);
	free(vfs);
	vflink_close(a);
}

static void injected_errors_count_down_and_persist(void **state)
{
	struct fx *fx = *state;
	struct vf_attr_value mac = {.attr = VF_ATTR_MAC, .mac = {2, 0, 0, 0, 0, 9}};
	struct vf_attr_value sc = {.attr = VF_ATTR_SPOOFCHK, .on = 0};
	struct vflink *l;
	struct errinfo e;

	write_file(fx->state,
		   "pf eth1 numvfs 1\nfail eth1 mac EBUSY 2\nfail * spoofchk EOPNOTSUPP always\n");
	l = vflink_open_fake(fx->state, &e);
	assert_non_null(l);
	assert_int_equal(vflink_set_vf(l, "eth1", 0, &mac, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "eth1 VF 0: setting mac"));
	assert_non_null(strstr(read_file(fx->state), "fail eth1 mac EBUSY 1"));
	assert_int_equal(vflink_set_vf(l, "eth1", 0, &mac, &e), -EBUSY);
	assert_null(strstr(read_file(fx->state), "fail eth1 mac"));
	assert_int_equal(vflink_set_vf(l, "eth1", 0, &mac, &e), 0);
	assert_int_equal(vflink_set_vf(l, "eth1", 0, &sc, &e), -EOPNOTSUPP);
	assert_non_null(strstr(e.msg, "does not support"));
	assert_int_equal(vflink_set_vf(l, "eth1", 0, &sc, &e), -EOPNOTSUPP);
	assert_non_null(strstr(read_file(fx->state), "fail * spoofchk EOPNOTSUPP always"));
	assert_string_equal(read_file(fx->log), "set eth1 vf 0 mac 02:00:00:00:00:09 -> EBUSY\n"
						"set eth1 vf 0 mac 02:00:00:00:00:09 -> EBUSY\n"
						"set eth1 vf 0 mac 02:00:00:00:00:09 -> ok\n"
						"set eth1 vf 0 spoofchk off -> EOPNOTSUPP\n"
						"set eth1 vf 0 spoofchk off -> EOPNOTSUPP\n");
	vflink_close(l);
}

static void unknown_pf_nosriov_and_vf_range(void **state)
{
	struct fx *fx = *state;
	struct vf_attr_value tr = {.attr = VF_ATTR_TRUST, .on = 1};
	struct vf_link_info *vfs;
	struct vflink *l;
	struct errinfo e;
	int n;

	write_file(fx->state, "pf eth1 numvfs 2\npf lo nosriov\npf eth9 numvfs 0\n");
	l = vflink_open_fake(fx->state, &e);
	assert_non_null(l);
	assert_int_equal(vflink_get_vfs(l, "eth7", &vfs, &n, &e), -ENODEV);
	assert_non_null(strstr(e.msg, "no network interface named 'eth7'"));
	assert_int_equal(vflink_get_vfs(l, "lo", &vfs, &n, &e), -EOPNOTSUPP);
	assert_non_null(strstr(e.msg, "lo has no VFs"));
	assert_int_equal(vflink_get_vfs(l, "eth9", &vfs, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_null(vfs);
	assert_int_equal(vflink_set_vf(l, "eth1", 2, &tr, &e), -EINVAL);
	assert_int_equal(vflink_set_vf(l, "lo", 0, &tr, &e), -EOPNOTSUPP);
	vflink_close(l);
}

static void malformed_state_is_reported_with_line(void **state)
{
	struct fx *fx = *state;
	struct vf_link_info *vfs;
	struct vflink *l;
	struct errinfo e;
	int n;

	write_file(fx->state, "pf eth1 numvfs 2\nvf eth1 5 mac 02:00:00:00:00:01\n");
	l = vflink_open_fake(fx->state, &e);
	assert_non_null(l);
	assert_int_equal(vflink_get_vfs(l, "eth1", &vfs, &n, &e), -EINVAL);
	assert_non_null(strstr(e.msg, ":2: invalid line"));
	vflink_close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(defaults_and_explicit_vf_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(set_is_seen_by_another_handle_and_logged, setup,
						teardown),
		cmocka_unit_test_setup_teardown(cache_sees_outside_changes_and_file_stays_small,
						setup, teardown),
		cmocka_unit_test_setup_teardown(injected_errors_count_down_and_persist, setup,
						teardown),
		cmocka_unit_test_setup_teardown(unknown_pf_nosriov_and_vf_range, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed_state_is_reported_with_line, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
