// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VMM's sandbox (sandbox.h): per-role seccomp filters built with
 * libseccomp, capabilities cut with libcap-ng, and the SIGSYS handler that
 * names the role and the call before vfvm stops.
 *
 * The allow lists come from reading what each thread does after setup
 * (docs/ARCHITECTURE.md "Threads") and from running the KVM and lab tiers
 * with the sandbox on.  ioctl is filtered on the request's type byte (KVM,
 * VFIO/iommufd, userfaultfd, tun) and a few named terminal requests, so a
 * TIOCSTI on the console or an ioctl on some other driver traps; mmap and
 * mprotect never make executable memory.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <linux/sched.h>
#include <pthread.h>
#include <seccomp.h>
#include <cap-ng.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "sandbox.h"

static const char *const role_names[SANDBOX_NR_ROLES] = {
	[SANDBOX_MAIN] = "main",	 [SANDBOX_IO] = "I/O",
	[SANDBOX_VCPU] = "vCPU",	 [SANDBOX_BLK] = "virtio-blk worker",
	[SANDBOX_MIGRATE] = "migration", [SANDBOX_PC_FAULT] = "post-copy fault",
};

static const char *const role_words[SANDBOX_NR_ROLES] = {
	[SANDBOX_MAIN] = "main",	 [SANDBOX_IO] = "io",
	[SANDBOX_VCPU] = "vcpu",	 [SANDBOX_BLK] = "blk",
	[SANDBOX_MIGRATE] = "migration", [SANDBOX_PC_FAULT] = "postcopy-fault",
};

const char *sandbox_role_name(enum sandbox_role role)
{
	return role < SANDBOX_NR_ROLES ? role_names[role] : "?";
}

const char *sandbox_role_word(enum sandbox_role role)
{
	return role < SANDBOX_NR_ROLES ? role_words[role] : "?";
}

int sandbox_role_parse(const char *word)
{
	for (int r = 0; r < SANDBOX_NR_ROLES; r++)
		if (!strcmp(word, role_words[r]))
			return r;
	return -1;
}

/*
 * What the SIGSYS handler reads.  A signal handler gets nothing but the
 * siginfo, so this is the one place in the libraries with process-wide
 * state: the names are written once by sandbox_prepare() before any filter
 * exists and only read after; the role is per thread.
 */
#define SANDBOX_MAX_NR 512
static const char *syscall_names[SANDBOX_MAX_NR];
static pthread_once_t prepare_once = PTHREAD_ONCE_INIT;
static int prepare_err;
static __thread int thread_role = -1;

/* Async-signal-safe pieces of the message (no stdio, no allocation). */
static size_t put_str(char *buf, size_t at, size_t size, const char *s)
{
	while (*s && at + 1 < size)
		buf[at++] = *s++;
	return at;
}

static size_t put_num(char *buf, size_t at, size_t size, unsigned long n)
{
	char tmp[24];
	int i = 0;

	do {
		tmp[i++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	while (i && at + 1 < size)
		buf[at++] = tmp[--i];
	return at;
}

static void on_sigsys(int sig, siginfo_t *si, void *uctx)
{
	unsigned int nr = (unsigned int)si->si_syscall;
	const char *name = nr < SANDBOX_MAX_NR && syscall_names[nr] ? syscall_names[nr] : "?";
	int role = thread_role;
	char msg[256];
	size_t n = 0;

	(void)sig;
	(void)uctx;
	n = put_str(msg, n, sizeof(msg), "vfvm: sandbox: the ");
	n = put_str(msg, n, sizeof(msg),
		    role >= 0 ? sandbox_role_name((enum sandbox_role)role) : "unsandboxed");
	n = put_str(msg, n, sizeof(msg), " thread made a system call its filter does not allow: ");
	n = put_str(msg, n, sizeof(msg), name);
	n = put_str(msg, n, sizeof(msg), " (");
	n = put_num(msg, n, sizeof(msg), nr);
	if ((uint32_t)si->si_arch != seccomp_arch_native()) {
		n = put_str(msg, n, sizeof(msg), ", foreign arch 0x");
		n = put_num(msg, n, sizeof(msg), (unsigned int)si->si_arch);
	}
	n = put_str(msg, n, sizeof(msg), "); vfvm stops\n");
	if (write(STDERR_FILENO, msg, n) < 0) {
		/* nothing else can be said; the exit status still says it */
	}
	_exit(SANDBOX_EXIT_STATUS);
}

static void prepare(void)
{
	struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};

	for (int nr = 0; nr < SANDBOX_MAX_NR; nr++)
		/* strdup'ed by libseccomp; kept for the life of the process */
		syscall_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
	sigfillset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		prepare_err = errno;
}

int sandbox_prepare(struct errinfo *e)
{
	pthread_once(&prepare_once, prepare);
	if (prepare_err)
		return err_sys(e, prepare_err, "sandbox: installing the SIGSYS handler");
	return 0;
}

/* Groups of calls; a role's filter is the union of its groups. */
enum {
	G_BASE = 1 << 0, /* memory, locks, time, read/write on open fds, leaving */
	G_POLL = 1 << 1, /* waiting on fds */
	G_FILES = 1 << 2, /* opening, creating and removing files (snapshots, sysfs) */
	G_NET = 1 << 3, /* sockets: the control API, migration streams, syslog */
	G_THREADS = 1 << 4, /* making threads that then enter their own role */
	G_SIGNALS = 1 << 5, /* signal dispositions (teardown of the console) */
	G_SYNC = 1 << 6, /* flushing and sizing files (the disk image) */
};

/* ioctl request sets (by the request's type byte, or named) */
enum {
	I_KVM = 1 << 0,
	I_VFIO = 1 << 1, /* VFIO and iommufd share ';' */
	I_UFFD = 1 << 2,
	I_TUN = 1 << 3,
	I_TTY = 1 << 4, /* terminal attributes, non-blocking mode, socket queue */
	I_BLK = 1 << 5,
	I_SOCK = 1 << 6, /* SIOC* interface requests */
};

struct role_spec {
	unsigned int groups;
	unsigned int ioctls;
};

static const struct role_spec role_specs[SANDBOX_NR_ROLES] = {
	/* teardown: closes, unmaps, resets and gives devices back through sysfs */
	[SANDBOX_MAIN] = {G_BASE | G_POLL | G_FILES | G_NET | G_THREADS | G_SIGNALS | G_SYNC,
			  I_KVM | I_VFIO | I_UFFD | I_TUN | I_TTY | I_BLK | I_SOCK},
	/* the control API runs hot-plug, snapshot, migration and failover here */
	[SANDBOX_IO] = {G_BASE | G_POLL | G_FILES | G_NET | G_THREADS | G_SIGNALS | G_SYNC,
			I_KVM | I_VFIO | I_UFFD | I_TUN | I_TTY | I_BLK | I_SOCK},
	/*
	 * register handlers: KVM routes, VFIO MSI-X (its eventfds are made when
	 * the guest enables vectors, and their host IRQs are steered by asking
	 * the keeper over its socket), tun offloads; no file I/O
	 */
	[SANDBOX_VCPU] = {G_BASE | G_POLL | G_NET, I_KVM | I_VFIO | I_TUN},
	/* a failed write is warned, and vlog's warnings go to syslog's socket too */
	[SANDBOX_BLK] = {G_BASE | G_POLL | G_NET | G_SYNC, I_KVM | I_BLK},
	[SANDBOX_MIGRATE] = {G_BASE | G_POLL | G_NET, I_KVM | I_VFIO | I_TTY},
	[SANDBOX_PC_FAULT] = {G_BASE | G_POLL | G_NET, I_KVM | I_UFFD},
};

static const int base_calls[] = {
	SCMP_SYS(read),
	SCMP_SYS(write),
	SCMP_SYS(readv),
	SCMP_SYS(writev),
	SCMP_SYS(pread64),
	SCMP_SYS(pwrite64),
	SCMP_SYS(preadv),
	SCMP_SYS(pwritev),
	SCMP_SYS(preadv2),
	SCMP_SYS(pwritev2),
	SCMP_SYS(close),
	SCMP_SYS(futex),
	SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(restart_syscall),
	SCMP_SYS(sched_yield),
	SCMP_SYS(nanosleep),
	SCMP_SYS(clock_nanosleep),
	SCMP_SYS(clock_gettime),
	SCMP_SYS(gettimeofday),
	SCMP_SYS(exit),
	SCMP_SYS(exit_group),
	SCMP_SYS(madvise),
	SCMP_SYS(munmap),
	SCMP_SYS(mremap),
	SCMP_SYS(brk),
	SCMP_SYS(getpid),
	SCMP_SYS(gettid),
	SCMP_SYS(getrandom),
	SCMP_SYS(fstat),
	SCMP_SYS(newfstatat),
	SCMP_SYS(lseek),
	SCMP_SYS(fcntl),
	/* a migration throttles the vCPUs with a per-vCPU timer (throttle.c) */
	SCMP_SYS(timer_create),
	SCMP_SYS(timer_settime),
	SCMP_SYS(timer_delete),
	SCMP_SYS(timer_gettime),
	/* ASan's thread start and exit set and clear a signal stack */
	SCMP_SYS(sigaltstack),
};

static const int poll_calls[] = {
	SCMP_SYS(poll),	       SCMP_SYS(ppoll),	    SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_create1),
	SCMP_SYS(eventfd2),    SCMP_SYS(select),    SCMP_SYS(pselect6),
};

static const int file_calls[] = {
	SCMP_SYS(open),
	SCMP_SYS(openat),
	SCMP_SYS(statx),
	SCMP_SYS(stat),
	SCMP_SYS(lstat),
	SCMP_SYS(access),
	SCMP_SYS(faccessat),
	SCMP_SYS(faccessat2),
	SCMP_SYS(readlink),
	SCMP_SYS(readlinkat),
	SCMP_SYS(getdents64),
	SCMP_SYS(unlink),
	SCMP_SYS(unlinkat),
	SCMP_SYS(rename),
	SCMP_SYS(renameat),
	SCMP_SYS(renameat2),
	SCMP_SYS(mkdir),
	SCMP_SYS(mkdirat),
	SCMP_SYS(rmdir),
	SCMP_SYS(fchmod),
	SCMP_SYS(chmod),
	SCMP_SYS(fchmodat),
	SCMP_SYS(umask),
	SCMP_SYS(flock),
	SCMP_SYS(dup),
	SCMP_SYS(dup2),
	SCMP_SYS(dup3),
	SCMP_SYS(pipe2),
	SCMP_SYS(memfd_create),
	SCMP_SYS(timerfd_create),
	SCMP_SYS(timerfd_settime),
	SCMP_SYS(timerfd_gettime),
	SCMP_SYS(getcwd),
	SCMP_SYS(uname),
	SCMP_SYS(statfs),
	SCMP_SYS(fstatfs),
	SCMP_SYS(getuid),
	SCMP_SYS(geteuid),
	SCMP_SYS(getgid),
	SCMP_SYS(getegid),
	SCMP_SYS(sched_getaffinity),
	SCMP_SYS(sysinfo),
};

/*
 * sendmsg/recvmsg with SCM_RIGHTS carry fds between vfvm processes (the
 * upgrade's memfd) and to the privileged parent that gives devices back.
 */
static const int net_calls[] = {
	SCMP_SYS(socket),     SCMP_SYS(socketpair),  SCMP_SYS(connect),	    SCMP_SYS(accept),
	SCMP_SYS(accept4),    SCMP_SYS(bind),	     SCMP_SYS(listen),	    SCMP_SYS(setsockopt),
	SCMP_SYS(getsockopt), SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(sendto),
	SCMP_SYS(recvfrom),   SCMP_SYS(sendmsg),     SCMP_SYS(recvmsg),	    SCMP_SYS(shutdown),
};

/* A new thread's glibc start, and the calls it makes entering its role. */
static const int thread_calls[] = {
	SCMP_SYS(set_robust_list), SCMP_SYS(rseq),   SCMP_SYS(sched_setaffinity),
	SCMP_SYS(seccomp),	   SCMP_SYS(capget), SCMP_SYS(capset),
};

static const int signal_calls[] = {SCMP_SYS(rt_sigaction)};

static const int sync_calls[] = {
	SCMP_SYS(fsync),
	SCMP_SYS(fdatasync),
	SCMP_SYS(fallocate),
	SCMP_SYS(ftruncate),
};

static const int prctl_ops[] = {
	PR_SET_NAME,	 PR_GET_NAME,	 PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS, PR_CAPBSET_READ,
	PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_GET_SECUREBITS,   PR_GET_SECCOMP,
};

static const unsigned long tty_ioctls[] = {
	TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, FIONBIO, FIONREAD, TIOCOUTQ, FIOCLEX,
};

static int add_calls(scmp_filter_ctx ctx, const int *calls, size_t n, int *count)
{
	for (size_t i = 0; i < n; i++) {
		int ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0);

		if (ret)
			return ret;
		(*count)++;
	}
	return 0;
}

/*
 * One argument comparison with every field set: libseccomp's SCMP_A0..
 * macros leave datum_b out, which clang's -Wmissing-field-initializers
 * (the fuzz build) refuses.
 */
static struct scmp_arg_cmp arg_cmp(unsigned int arg, enum scmp_compare op, uint64_t a, uint64_t b)
{
	return (struct scmp_arg_cmp){.arg = arg, .op = op, .datum_a = a, .datum_b = b};
}

/* ioctl allowed when (request & mask) == value */
static int add_ioctl(scmp_filter_ctx ctx, uint64_t mask, uint64_t value, int *count)
{
	int ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				   arg_cmp(1, SCMP_CMP_MASKED_EQ, mask, value));

	if (!ret)
		(*count)++;
	return ret;
}

static int add_ioctls(scmp_filter_ctx ctx, unsigned int set, int *count)
{
	int ret = 0;

	if (!ret && (set & I_KVM))
		ret = add_ioctl(ctx, 0xff00, (uint64_t)KVMIO << 8, count);
	if (!ret && (set & I_VFIO))
		ret = add_ioctl(ctx, 0xff00, (uint64_t)';' << 8, count);
	if (!ret && (set & I_UFFD))
		ret = add_ioctl(ctx, 0xff00, 0xAAul << 8, count);
	/* tun's requests are _IOC(dir, 'T', nr, 4): never the size-0 TIOCSTI */
	if (!ret && (set & I_TUN))
		ret = add_ioctl(ctx, 0x3fffff00, 0x00045400, count);
	if (!ret && (set & I_BLK))
		ret = add_ioctl(ctx, 0xff00, 0x1200, count);
	if (!ret && (set & I_SOCK))
		ret = add_ioctl(ctx, 0xff00, 0x8900, count);
	for (size_t i = 0; !ret && (set & I_TTY) && i < sizeof(tty_ioctls) / sizeof(tty_ioctls[0]);
	     i++)
		ret = add_ioctl(ctx, 0xffffffff, tty_ioctls[i], count);
	return ret;
}

#define ADD(ctx, arr, count) add_calls(ctx, arr, sizeof(arr) / sizeof(arr[0]), count)

/* Builds ROLE's filter into a new context; *count: its rules. */
static int build_filter(enum sandbox_role role, scmp_filter_ctx *out, int *count)
{
	const struct role_spec *s = &role_specs[role];
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	int ret;

	*count = 0;
	if (!ctx)
		return -ENOMEM;
	/* a 32-bit or x32 call from this 64-bit process traps too, named by number */
	ret = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP);
	if (!ret)
		ret = ADD(ctx, base_calls, count);
	/* never executable memory: no code can be loaded once the sandbox is on */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				       arg_cmp(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				       arg_cmp(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* signals only inside this process: vCPU kicks, raise() */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				       arg_cmp(0, SCMP_CMP_EQ, (uint64_t)getpid(), 0));
	/* limits read, never set (getrlimit: the memlock check of a hot-plugged VFIO device) */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 1,
				       arg_cmp(2, SCMP_CMP_EQ, 0, 0));
	if (!ret)
		*count += 4;
	if (!ret && (s->groups & G_POLL))
		ret = ADD(ctx, poll_calls, count);
	if (!ret && (s->groups & G_FILES))
		ret = ADD(ctx, file_calls, count);
	if (!ret && (s->groups & G_NET))
		ret = ADD(ctx, net_calls, count);
	if (!ret && (s->groups & G_SIGNALS))
		ret = ADD(ctx, signal_calls, count);
	if (!ret && (s->groups & G_SYNC))
		ret = ADD(ctx, sync_calls, count);
	if (!ret && (s->groups & G_THREADS)) {
		ret = ADD(ctx, thread_calls, count);
		/* threads, never processes */
		if (!ret)
			ret = seccomp_rule_add(
				ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				arg_cmp(0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
		/* clone3's flags are behind a pointer: glibc falls back to clone */
		if (!ret)
			ret = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
		for (size_t i = 0; !ret && i < sizeof(prctl_ops) / sizeof(prctl_ops[0]); i++)
			ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
					       arg_cmp(0, SCMP_CMP_EQ, (uint64_t)prctl_ops[i], 0));
		if (!ret)
			*count += 2 + (int)(sizeof(prctl_ops) / sizeof(prctl_ops[0]));
	}
	if (!ret)
		ret = add_ioctls(ctx, s->ioctls, count);
	if (ret) {
		seccomp_release(ctx);
		return ret;
	}
	*out = ctx;
	return 0;
}

int sandbox_rule_count(enum sandbox_role role)
{
	scmp_filter_ctx ctx;
	int count, ret;

	if (role >= SANDBOX_NR_ROLES)
		return -EINVAL;
	ret = build_filter(role, &ctx, &count);
	if (ret)
		return ret;
	seccomp_release(ctx);
	return count;
}

/*
 * Capabilities each role keeps (when vfvm has them at all); every other
 * one leaves the thread's effective, permitted and bounding sets.  As uid 0
 * vfvm owns /dev/vfio/N, the sysfs bind/unbind/driver_override files and
 * /proc/irq/N/smp_affinity_list, so writing them needs no capability.
 */
static const unsigned int io_caps[] = {
	/* DMA-mapping guest RAM for a hot-plugged VFIO device pins it: over
	 * RLIMIT_MEMLOCK without this */
	CAP_IPC_LOCK,
	/* TUNSETIFF on a hot-plugged --net tap not owned by vfvm's uid */
	CAP_NET_ADMIN,
	/* a hot-plugged device's checks read its config space from sysfs,
	 * which the kernel cuts to 64 bytes without it */
	CAP_SYS_ADMIN,
};

static const unsigned int main_caps[] = {
	/* giving a failover primary back puts the VF's MAC back through its
	 * PF (RTM_SETLINK) */
	CAP_NET_ADMIN,
	/* giving devices back reads their sysfs config space (as above) */
	CAP_SYS_ADMIN,
};

static int drop_caps(enum sandbox_role role, struct errinfo *e)
{
	const unsigned int *keep = NULL;
	bool have[8] = {0};
	size_t n = 0;
	int ret;

	if (role == SANDBOX_IO) {
		keep = io_caps;
		n = sizeof(io_caps) / sizeof(io_caps[0]);
	} else if (role == SANDBOX_MAIN) {
		keep = main_caps;
		n = sizeof(main_caps) / sizeof(main_caps[0]);
	}
	if (capng_get_caps_process() < 0)
		return err_set(e, EIO, "sandbox: reading the %s thread's capabilities",
			       sandbox_role_name(role));
	/* nothing to drop (not root, no file capabilities) */
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_NONE)
		return 0;
	for (size_t i = 0; i < n; i++)
		have[i] = capng_have_capability(CAPNG_PERMITTED, keep[i]) == 1;
	capng_clear(CAPNG_SELECT_BOTH);
	for (size_t i = 0; i < n; i++)
		if (have[i])
			capng_update(CAPNG_ADD,
				     CAPNG_EFFECTIVE | CAPNG_PERMITTED | CAPNG_BOUNDING_SET,
				     keep[i]);
	ret = capng_apply(CAPNG_SELECT_BOTH);
	if (ret < 0)
		return err_set(e, EPERM, "sandbox: dropping the %s thread's capabilities (%d)",
			       sandbox_role_name(role), ret);
	return 0;
}

int sandbox_enter_role(const struct sandbox *sb, enum sandbox_role role, struct errinfo *e)
{
	scmp_filter_ctx ctx;
	int count, ret;

	if (!sb || !sb->on)
		return 0;
	if (role >= SANDBOX_NR_ROLES)
		return err_set(e, EINVAL, "sandbox: no role %d", (int)role);
	ret = sandbox_prepare(e);
	if (ret)
		return ret;
	/* built before anything is dropped: it allocates and reads nothing */
	ret = build_filter(role, &ctx, &count);
	if (ret)
		return err_sys(e, -ret, "sandbox: building the %s thread's filter",
			       sandbox_role_name(role));
	ret = drop_caps(role, e);
	if (ret)
		goto out;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		ret = err_sys(e, errno, "sandbox: PR_SET_NO_NEW_PRIVS");
		goto out;
	}
	thread_role = (int)role;
	ret = seccomp_load(ctx);
	if (ret) {
		thread_role = -1;
		ret = err_sys(e, -ret, "sandbox: loading the %s thread's filter",
			      sandbox_role_name(role));
		goto out;
	}
out:
	seccomp_release(ctx);
	if (!ret && sb->test_bad_role == (int)role) {
		/*
		 * The test trigger: a call no role allows (an invalid ptrace
		 * request, harmless were it ever let through).
		 */
		syscall(SYS_ptrace, -1L, 0L, 0L, 0L);
		return err_set(e, EPERM, "sandbox: the %s thread's forbidden test call returned",
			       sandbox_role_name(role));
	}
	return ret;
}
