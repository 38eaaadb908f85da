// SPDX-License-Identifier: GPL-2.0-only
/*
 * The sandbox's role filters (src/vmm/sandbox.c), without KVM: a forked
 * child enters a role, makes a call the role allows and one it does not;
 * the parent reads the child's stderr and exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "sandbox.h"

/* what the child does once in its role */
enum act {
	ACT_NONE, /* allowed calls only, then exit 0 */
	ACT_TRIGGER, /* the test trigger (--test-bad-syscall) */
	ACT_OPEN, /* openat of /dev/null */
	ACT_TIOCSTI, /* the terminal-injection ioctl */
	ACT_EXEC_MMAP, /* executable memory */
	ACT_FORK, /* clone without CLONE_THREAD */
	ACT_SEND, /* sendto on a socket made before (an event to an API client) */
};

struct outcome {
	int status; /* exit status, or -signal */
	char err[512]; /* its stderr */
};

static void child(enum sandbox_role role, enum act act, int errfd)
{
	struct sandbox sb = {.on = true, .test_bad_role = act == ACT_TRIGGER ? (int)role : -1};
	struct errinfo e = {0};
	char buf[8];
	int p[2], sp[2];

	dup2(errfd, STDERR_FILENO);
	/* made before the filter: every role may read and write open fds */
	if (pipe(p) < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) < 0)
		_exit(90);
	if (sandbox_enter_role(&sb, role, &e)) {
		dprintf(STDERR_FILENO, "enter: %s\n", e.msg);
		_exit(91);
	}
	/* allowed in every role: write, read, getpid, anonymous memory */
	if (write(p[1], "x", 1) != 1 || read(p[0], buf, 1) != 1 || getpid() <= 0)
		_exit(92);
	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		_exit(93);
	switch (act) {
	case ACT_NONE:
	case ACT_TRIGGER:
		break;
	case ACT_OPEN:
		if (open("/dev/null", O_RDONLY) < 0)
			_exit(94);
		break;
	case ACT_TIOCSTI: {
		char c = 'x';

		ioctl(p[0], TIOCSTI, &c);
		break;
	}
	case ACT_EXEC_MMAP:
		mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		break;
	case ACT_FORK:
		syscall(SYS_clone, (long)SIGCHLD, 0L, 0L, 0L, 0L);
		break;
	case ACT_SEND:
		if (sendto(sp[0], "e", 1, MSG_NOSIGNAL, NULL, 0) != 1 || read(sp[1], buf, 1) != 1)
			_exit(95);
		break;
	}
	_exit(0);
}

static void run(enum sandbox_role role, enum act act, struct outcome *o)
{
	int errp[2], st;
	ssize_t n, len = 0;
	pid_t pid;

	memset(o, 0, sizeof(*o));
	assert_int_equal(pipe(errp), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(errp[0]);
		child(role, act, errp[1]);
	}
	close(errp[1]);
	while ((n = read(errp[0], o->err + len, sizeof(o->err) - 1 - (size_t)len)) > 0)
		len += n;
	close(errp[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	o->status = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
}

static void expect_trap(const struct outcome *o, enum sandbox_role role, const char *call)
{
	char want[256];

	snprintf(want, sizeof(want),
		 "vfvm: sandbox: the %s thread made a system call its filter does not allow: %s (",
		 sandbox_role_name(role), call);
	if (!strstr(o->err, want))
		fail_msg("expected '%s' in '%s' (status %d)", want, o->err, o->status);
	assert_non_null(strstr(o->err, "); vfvm stops\n"));
	assert_int_equal(o->status, SANDBOX_EXIT_STATUS);
}

static void allowed_calls_run_in_every_role(void **state)
{
	struct outcome o;

	(void)state;
	for (int r = 0; r < SANDBOX_NR_ROLES; r++) {
		run((enum sandbox_role)r, ACT_NONE, &o);
		if (o.status != 0)
			fail_msg("role %s: status %d, stderr '%s'", sandbox_role_word(r), o.status,
				 o.err);
		assert_string_equal(o.err, "");
	}
}

static void trigger_names_role_and_call(void **state)
{
	struct outcome o;
	char want[32];

	(void)state;
	snprintf(want, sizeof(want), "ptrace (%d)", SYS_ptrace);
	for (int r = 0; r < SANDBOX_NR_ROLES; r++) {
		run((enum sandbox_role)r, ACT_TRIGGER, &o);
		expect_trap(&o, (enum sandbox_role)r, "ptrace");
		assert_non_null(strstr(o.err, want));
	}
}

static void vcpu_opens_no_file_io_does(void **state)
{
	struct outcome o;

	(void)state;
	run(SANDBOX_VCPU, ACT_OPEN, &o);
	expect_trap(&o, SANDBOX_VCPU, "openat");
	run(SANDBOX_BLK, ACT_OPEN, &o);
	expect_trap(&o, SANDBOX_BLK, "openat");
	run(SANDBOX_IO, ACT_OPEN, &o);
	assert_int_equal(o.status, 0);
}

/*
 * Threads that warn send events to API clients (a virtio-blk write that
 * failed, lab 75): every role may send on a socket it was given.
 */
static void every_role_sends_events(void **state)
{
	struct outcome o;

	(void)state;
	for (int r = 0; r < SANDBOX_NR_ROLES; r++) {
		run((enum sandbox_role)r, ACT_SEND, &o);
		if (o.status != 0)
			fail_msg("role %s: status %d, stderr '%s'", sandbox_role_word(r), o.status,
				 o.err);
	}
}

static void no_tiocsti_no_exec_memory_no_fork(void **state)
{
	struct outcome o;

	(void)state;
	run(SANDBOX_IO, ACT_TIOCSTI, &o);
	expect_trap(&o, SANDBOX_IO, "ioctl");
	run(SANDBOX_VCPU, ACT_EXEC_MMAP, &o);
	expect_trap(&o, SANDBOX_VCPU, "mmap");
	run(SANDBOX_MAIN, ACT_FORK, &o);
	expect_trap(&o, SANDBOX_MAIN, "clone");
}

static void roles_parse_and_sizes(void **state)
{
	(void)state;
	for (int r = 0; r < SANDBOX_NR_ROLES; r++) {
		assert_int_equal(sandbox_role_parse(sandbox_role_word(r)), r);
		assert_true(sandbox_rule_count(r) > 0);
		print_message("# sandbox: %s filter: %d rules\n", sandbox_role_word(r),
			      sandbox_rule_count(r));
	}
	assert_int_equal(sandbox_role_parse("nope"), -1);
	/* the guest-facing roles are the narrow ones */
	assert_true(sandbox_rule_count(SANDBOX_VCPU) < sandbox_rule_count(SANDBOX_IO));
	assert_true(sandbox_rule_count(SANDBOX_BLK) < sandbox_rule_count(SANDBOX_IO));
}

static void off_does_nothing(void **state)
{
	struct sandbox sb = {.on = false, .test_bad_role = SANDBOX_MAIN};
	struct errinfo e = {0};

	(void)state;
	assert_int_equal(sandbox_enter_role(&sb, SANDBOX_MAIN, &e), 0);
	assert_int_equal(sandbox_enter_role(NULL, SANDBOX_VCPU, &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(allowed_calls_run_in_every_role),
		cmocka_unit_test(trigger_names_role_and_call),
		cmocka_unit_test(vcpu_opens_no_file_io_does),
		cmocka_unit_test(every_role_sends_events),
		cmocka_unit_test(no_tiocsti_no_exec_memory_no_fork),
		cmocka_unit_test(roles_parse_and_sizes),
		cmocka_unit_test(off_does_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
