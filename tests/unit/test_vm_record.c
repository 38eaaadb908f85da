// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VM record (src/host/vm_record.c): the text format both ways, every
 * malformed line refused naming file and line, the file written privately
 * and never through a planted symlink, and the running VMM's record kept
 * in step (gone once nothing is held).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "vm_record.h"

#define GOOD                                                                  \
	"# a comment\n"                                                       \
	"version=1\n"                                                         \
	"name=web1\n"                                                         \
	"pid=4242\n"                                                          \
	"start=987654\n"                                                      \
	"future=ignored\n"                                                    \
	"device=0000:05:01.0 driver=e1000 override= with=0000:05:01.0\n"      \
	"device=0000:05:02.0 driver=e1000 override=e1000 with=0000:05:01.0\n" \
	"device=0000:01:10.2 driver= override= later=key\n"

static void parse_good(void **state)
{
	struct vm_record r;
	struct errinfo e = {0};

	(void)state;
	assert_int_equal(vm_record_parse(GOOD, "/s/vms/web1", &r, &e), 0);
	assert_string_equal(r.name, "web1");
	assert_int_equal(r.pid, 4242);
	assert_int_equal(r.start, 987654);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.devs[0].bdf, "0000:05:01.0");
	assert_string_equal(r.devs[0].driver, "e1000");
	assert_string_equal(r.devs[0].override, "");
	assert_string_equal(r.devs[1].override, "e1000");
	assert_string_equal(r.devs[1].with, "0000:05:01.0");
	/* driverless before the take; moved alone: with is itself */
	assert_string_equal(r.devs[2].driver, "");
	assert_string_equal(r.devs[2].with, "0000:01:10.2");
	assert_int_equal(vm_record_find(&r, "0000:05:02.0"), 1);
	assert_int_equal(vm_record_find(&r, "0000:05:03.0"), -1);
	vm_record_free(&r);
}

static void format_parses_back(void **state)
{
	struct vm_record r, back;
	struct errinfo e = {0};
	char *text;

	(void)state;
	assert_int_equal(vm_record_parse(GOOD, "x", &r, &e), 0);
	assert_int_equal(vm_record_format(&r, &text, &e), 0);
	assert_non_null(strstr(text, "device=0000:01:10.2 driver= override= with=0000:01:10.2\n"));
	assert_int_equal(vm_record_parse(text, "x", &back, &e), 0);
	assert_string_equal(back.name, r.name);
	assert_int_equal(back.pid, r.pid);
	assert_int_equal(back.start, r.start);
	assert_int_equal(back.n, r.n);
	assert_memory_equal(back.devs, r.devs, sizeof(*r.devs) * (size_t)r.n);
	free(text);
	vm_record_free(&back);
	vm_record_free(&r);
}

/* Every malformed record is refused whole, naming the file and the line. */
static void malformed_refused(void **state)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{"version=1\nname=a\npid=1\ndevice=../../etc driver=x\n",
		 "/s/vms/a:4: device \"../../etc\" is not a canonical PCI address"},
		{"version=1\nname=a\npid=1\ndevice=05:01.0 driver=x\n",
		 "/s/vms/a:4: device \"05:01.0\" is not a canonical PCI address"},
		{"version=1\nname=a\npid=1\ndevice=0000:05:01.0 driver=../x\n",
		 "/s/vms/a:4: driver \"../x\" is not a driver name"},
		{"version=1\nname=a\npid=1\ndevice=0000:05:01.0 driver=e1000 override=.x\n",
		 "/s/vms/a:4: override \".x\" is not a driver name"},
		{"version=1\nname=a\npid=1\ndevice=0000:05:01.0 override=\n",
		 "/s/vms/a:4: device 0000:05:01.0 has no driver= (the one to give it back to)"},
		{"version=1\nname=a\npid=1\ndevice=0000:05:01.0 driver=e1000 with=x/y\n",
		 "/s/vms/a:4: with \"x/y\" is not a canonical PCI address"},
		{"version=1\nname=a\npid=1\ndevice=0000:05:01.0 driver=e1000 junk\n",
		 "/s/vms/a:4: expected KEY=VALUE, got \"junk\""},
		{"version=1\nname=a\npid=1\ndevice=0000:05:01.0 driver=a\n"
		 "device=0000:05:01.0 driver=b\n",
		 "/s/vms/a:5: device 0000:05:01.0 is listed twice"},
		{"version=2\nname=a\npid=1\n", "/s/vms/a:1: version \"2\" is not 1"},
		{"version=1\nname=../a\npid=1\n", "/s/vms/a:2: \"../a\" is not a VM name"},
		{"version=1\nname=a\npid=-1\n", "/s/vms/a:3: pid \"-1\" is not a process id"},
		{"version=1\nname=a\npid=0\n", "/s/vms/a:3: pid \"0\" is not a process id"},
		{"version=1\nname=a\npid=1\nstart=x\n", "/s/vms/a:4: start \"x\" is not a number"},
		{"version=1\nname=a\nno equals sign\n",
		 "/s/vms/a:3: expected KEY=VALUE, got \"no equals sign\""},
		{"name=a\npid=1\n", "/s/vms/a: not a VM record (version= missing)"},
		{"version=1\npid=1\n", "/s/vms/a: not a VM record (name= missing)"},
		{"version=1\nname=a\n", "/s/vms/a: not a VM record (pid= missing)"},
		{"", "/s/vms/a: not a VM record (version= missing)"},
	};
	struct vm_record r;
	struct errinfo e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		assert_int_equal(vm_record_parse(bad[i].text, "/s/vms/a", &r, &e), -EINVAL);
		if (strcmp(e.msg, bad[i].want))
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, e.msg, bad[i].want);
		assert_null(r.devs);
		assert_int_equal(r.n, 0);
	}
}

static void names(void **state)
{
	(void)state;
	assert_true(vm_name_valid("web1"));
	assert_true(vm_name_valid("vfvm-1234"));
	assert_true(vm_name_valid("a.b_c:d@e+f"));
	assert_false(vm_name_valid(""));
	assert_false(vm_name_valid(".hidden"));
	assert_false(vm_name_valid("-x"));
	assert_false(vm_name_valid("a/b"));
	assert_false(vm_name_valid(".."));
	assert_false(vm_name_valid("a b"));
	assert_false(
		vm_name_valid("0123456789012345678901234567890123456789012345678901234567890123"));
}

/* The longest name (63): the header, which names it three times, still fits. */
static void longest_name_round_trip(void **state)
{
	struct vm_record_dev d = {"0000:05:01.0", "e1000", "e1000", "0000:05:01.0"};
	struct vm_record r = {.pid = 2147483647, .start = ~0ULL, .n = 1, .devs = &d}, back;
	struct errinfo e = {0};
	char *text;

	(void)state;
	memset(r.name, 'y', VM_NAME_MAX - 1);
	r.name[VM_NAME_MAX - 1] = '\0';
	assert_true(vm_name_valid(r.name));
	assert_int_equal(vm_record_format(&r, &text, &e), 0);
	assert_int_equal(vm_record_parse(text, "x", &back, &e), 0);
	assert_string_equal(back.name, r.name);
	assert_int_equal(back.start, ~0ULL);
	assert_int_equal(back.n, 1);
	assert_string_equal(back.devs[0].override, "e1000");
	free(text);
	vm_record_free(&back);
}

static void format_refuses_bad_record(void **state)
{
	struct vm_record r = {.name = "web1", .pid = 1, .n = 1};
	struct vm_record_dev d = {.bdf = "../x", .driver = "e1000"};
	struct errinfo e = {0};
	char *text;

	(void)state;
	r.devs = &d;
	assert_int_equal(vm_record_format(&r, &text, &e), -EINVAL);
	assert_null(text);
	snprintf(d.bdf, sizeof(d.bdf), "0000:05:01.0");
	snprintf(d.driver, sizeof(d.driver), "a/b");
	assert_int_equal(vm_record_format(&r, &text, &e), -EINVAL);
	snprintf(r.name, sizeof(r.name), "a/b");
	snprintf(d.driver, sizeof(d.driver), "e1000");
	assert_int_equal(vm_record_format(&r, &text, &e), -EINVAL);
}

/* ---- files ---- */

struct fixture {
	char dir[64];
	char state[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vmrec.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd))
		return -1;
	free(f);
	return 0;
}

static const struct vm_record_dev group[2] = {
	{"0000:05:01.0", "e1000", "", "0000:05:01.0"},
	{"0000:05:02.0", "e1000", "", "0000:05:01.0"},
};

static void read_file(const char *path, char *buf, size_t size)
{
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, size - 1, fp);
	buf[n] = '\0';
	fclose(fp);
}

/* The running VMM's record: written at the first take, gone with the last give-back. */
static void live_record_follows_what_is_held(void **state)
{
	struct fixture *f = *state;
	struct vm_record_live *l;
	struct vm_record r;
	struct errinfo e = {0};
	char path[256], buf[1024];
	struct stat st;

	snprintf(path, sizeof(path), "%s/vms/web1", f->state);
	assert_int_equal(vm_record_begin(f->state, "web1", &l, &e), 0);
	/* nothing taken: nothing written, not even the directory */
	assert_int_equal(stat(f->state, &st), -1);
	assert_int_equal(vm_record_take(l, group, 2, &e), 0);
	assert_int_equal(vm_record_count(l), 2);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(buf, sizeof(buf), "%s/vms", f->state);
	assert_int_equal(stat(buf, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);

	assert_int_equal(vm_record_load(f->state, "web1", &r, &e), 0);
	assert_int_equal(r.pid, (long)getpid());
	assert_int_equal(r.start, vm_process_start(getpid()));
	assert_int_equal(r.n, 2);
	assert_true(vm_record_running(&r));
	vm_record_free(&r);

	/* this process holds web1: a second begin is refused */
	assert_int_equal(vm_record_begin(f->state, "web1", &(struct vm_record_live *){NULL}, &e),
			 -EEXIST);
	assert_non_null(strstr(e.msg, "a VM named web1 is running"));

	assert_int_equal(vm_record_given_back(l, "0000:05:01.0", &e), 0);
	read_file(path, buf, sizeof(buf));
	assert_null(strstr(buf, "device=0000:05:01.0"));
	assert_non_null(
		strstr(buf, "device=0000:05:02.0 driver=e1000 override= with=0000:05:01.0"));
	/* not listed: nothing changes */
	assert_int_equal(vm_record_given_back(l, "0000:09:00.0", &e), 0);
	assert_int_equal(vm_record_given_back(l, "0000:05:02.0", &e), 0);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
	vm_record_end(l);
}

/* A record a dead vfvm left: running no more, its name refused until restored. */
static void dead_vm_record(void **state)
{
	struct fixture *f = *state;
	struct vm_record r = {.name = "old", .n = 2};
	struct vm_record_live *l;
	struct errinfo e = {0};
	char(*list)[VM_NAME_MAX];
	pid_t child;
	int n, st;

	child = fork();
	if (!child)
		_exit(0);
	assert_int_equal(waitpid(child, &st, 0), child);
	r.pid = child;
	r.devs = (struct vm_record_dev *)group;
	assert_int_equal(vm_record_save(f->state, &r, &e), 0);
	assert_false(vm_record_running(&r));
	/* a live pid with another start time is another process */
	r.pid = getpid();
	r.start = vm_process_start(getpid()) + 1;
	assert_false(vm_record_running(&r));
	r.start = 0;
	assert_true(vm_record_running(&r));

	assert_int_equal(vm_record_begin(f->state, "old", &l, &e), -EEXIST);
	assert_non_null(strstr(e.msg, "no longer running) left 2 devices"));
	assert_string_equal(e.hint, "give them back first: vfctl restore --vm old");

	assert_int_equal(vm_record_holder(f->state, "0000:05:02.0", &r, &e), 1);
	assert_string_equal(r.name, "old");
	assert_int_equal(vm_record_forget(f->state, &r, "0000:05:01.0", &e), 0);
	vm_record_free(&r);
	assert_int_equal(vm_record_holder(f->state, "0000:05:01.0", &r, &e), 0);
	assert_int_equal(vm_record_list(f->state, &list, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0], "old");
	free(list);
	assert_int_equal(vm_record_holder(f->state, "0000:05:02.0", &r, &e), 1);
	assert_int_equal(vm_record_forget(f->state, &r, "0000:05:02.0", &e), 0);
	vm_record_free(&r);
	assert_int_equal(vm_record_list(f->state, &list, &n, &e), 0);
	assert_int_equal(n, 0);
	free(list);
}

/* A symlink planted at the temp name the write would use is never written through. */
static void symlink_at_tmp_not_followed(void **state)
{
	struct fixture *f = *state;
	struct vm_record_live *l;
	struct errinfo e = {0};
	char victim[256], link[256], buf[64], path[256];
	struct stat st;
	FILE *fp;

	snprintf(victim, sizeof(victim), "%s/victim", f->dir);
	fp = fopen(victim, "w");
	assert_non_null(fp);
	fputs("precious\n", fp);
	fclose(fp);
	snprintf(path, sizeof(path), "%s/vms", f->state);
	assert_int_equal(mkdir(f->state, 0700), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(link, sizeof(link), "%s/vms/web1.tmp", f->state);
	assert_int_equal(symlink(victim, link), 0);
	snprintf(link, sizeof(link), "%s/vms/web1.tmp.%d", f->state, (int)getpid());
	assert_int_equal(symlink(victim, link), 0);

	assert_int_equal(vm_record_begin(f->state, "web1", &l, &e), 0);
	assert_int_equal(vm_record_take(l, group, 1, &e), 0);
	read_file(victim, buf, sizeof(buf));
	assert_string_equal(buf, "precious\n");
	snprintf(path, sizeof(path), "%s/vms/web1", f->state);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(vm_record_given_back(l, group[0].bdf, &e), 0);
	vm_record_end(l);

	/* a symlink as the record itself is refused, not read through */
	assert_int_equal(symlink(victim, path), 0);
	assert_int_equal(vm_record_begin(f->state, "web1", &l, &e), -ELOOP);
	assert_non_null(strstr(e.msg, "/vms/web1 is a symbolic link"));
}

/* A state dir others may write to: nothing is written down, so nothing may be taken. */
static void unsafe_state_dir_refused(void **state)
{
	struct fixture *f = *state;
	struct vm_record_live *l;
	struct errinfo e = {0};

	assert_int_equal(mkdir(f->state, 0700), 0);
	assert_int_equal(chmod(f->state, 0777), 0);
	assert_int_equal(vm_record_begin(f->state, "web1", &l, &e), -EPERM);
	assert_non_null(strstr(e.msg, "is writable by others (mode 0777)"));
	assert_null(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_good),
		cmocka_unit_test(format_parses_back),
		cmocka_unit_test(malformed_refused),
		cmocka_unit_test(names),
		cmocka_unit_test(longest_name_round_trip),
		cmocka_unit_test(format_refuses_bad_record),
		cmocka_unit_test_setup_teardown(live_record_follows_what_is_held, setup, teardown),
		cmocka_unit_test_setup_teardown(dead_vm_record, setup, teardown),
		cmocka_unit_test_setup_teardown(symlink_at_tmp_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(unsafe_state_dir_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
