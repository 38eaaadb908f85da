// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfvm's keeper: `vfvm run` forks before it makes anything; the child is
 * the VMM, the parent stays small and privileged.  It
 *   - answers the VMM's few privileged requests after setup
 *     (src/host/keeper_msg.h: steer a host IRQ, give a device back), so a
 *     VMM confined by --user/--chroot (confine.c) or a seccomp sandbox
 *     needs no privilege of its own;
 *   - passes SIGTERM, SIGINT, SIGHUP and SIGUSR1 sent to it on to the VMM;
 *   - once the VMM has ended, however it ended (an exit, a crash, SIGKILL,
 *     SIGSYS from a sandbox), gives back every device the VM's record
 *     still lists (vm_restore.h, what `vfctl restore --vm` does) and exits
 *     with the VMM's status (128+N for signal N, said on stderr).
 * The VMM dies with its keeper (PR_SET_PDEATHSIG): a SIGKILLed keeper
 * leaves the record for `vfctl restore --vm NAME` (vfvm@.service's
 * ExecStopPost), never a VMM nobody watches.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <pthread.h>
#include <unistd.h>

#include "bind.h"
#include "host_affinity.h"
#include "keeper_msg.h"
#include "spec.h"
#include "vfvm.h"
#include "vm.h"
#include "vm_restore.h"

/* The VMM's side: its socket to the keeper, one request at a time. */
static int keeper_sock = -1;
static pthread_mutex_t keeper_lock = PTHREAD_MUTEX_INITIALIZER;
static struct keeper_allow declared; /* what this VMM told the keeper of */
static bool confined;

static int keeper_call(const struct keeper_req *r, struct errinfo *e)
{
	struct errinfo res = {0};
	int nfds, ret;

	if (keeper_sock < 0)
		return err_set(e, ENOTCONN, "no keeper to ask");
	pthread_mutex_lock(&keeper_lock);
	ret = keeper_send_req(keeper_sock, r, e);
	if (!ret)
		ret = keeper_recv_reply(keeper_sock, &res, NULL, 0, &nfds, e);
	pthread_mutex_unlock(&keeper_lock);
	if (ret)
		return ret;
	if (res.err) {
		*e = res;
		return -res.err;
	}
	return 0;
}

static int ask_irq_affinity(void *opaque, const char *action, const cpu_set_t *cpus,
			    struct errinfo *e)
{
	struct keeper_req r;
	char bdf[BDF_LEN];
	unsigned int v;
	int ret;

	(void)opaque;
	/* a device added while the VM runs is made known first (refused once sealed) */
	if (keeper_action_parse(action, bdf, &v) == 0 && !keeper_allow_has(&declared, bdf)) {
		if (keeper_req_bdf(&r, KEEPER_OP_DECLARE, bdf, e) || keeper_call(&r, e))
			return -e->err;
		keeper_allow_add(&declared, bdf);
	}
	ret = keeper_req_irq(&r, action, cpus, e);
	return ret ? ret : keeper_call(&r, e);
}

static int ask_give_back(void *opaque, const char *bdf, struct errinfo *e)
{
	struct keeper_req r;

	(void)opaque;
	if (keeper_req_bdf(&r, KEEPER_OP_GIVE_BACK, bdf, e))
		return -e->err;
	return keeper_call(&r, e);
}

static struct vfio_host_priv keeper_priv = {.irq_affinity = ask_irq_affinity};

int vfvm_keeper_seal(struct errinfo *e)
{
	struct keeper_req r;

	keeper_req_seal(&r);
	if (keeper_call(&r, e))
		return -e->err;
	/* from now on the VMM cannot move devices itself */
	keeper_priv.give_back = ask_give_back;
	confined = true;
	return 0;
}

bool vfvm_keeper_confined(void)
{
	return confined;
}

/* ---- the keeper's side ---- */

struct keeper {
	pid_t child;
	int sock; /* -1 once the VMM closed its end */
	const char *name; /* the VM's record, NULL: none kept */
	const char *api_socket;
	struct keeper_allow allow;
	unsigned int nr_cpus;
	bool confined; /* --user or --chroot: the VMM cannot clean up files */
	bool have_tty;
	struct termios tty; /* stdin's modes before the VMM made it raw */
};

static bool in_record(void *opaque, const char *bdf)
{
	struct keeper *k = opaque;
	struct vm_record r;
	bool found;

	if (!k->name || vm_record_load(vfvm_host()->state_dir, k->name, &r, NULL))
		return false;
	found = vm_record_find(&r, bdf) >= 0;
	vm_record_free(&r);
	return found;
}

static int do_irq_affinity(const struct keeper_req *r, struct errinfo *e)
{
	const char *root = vfvm_host()->sysfs_root;
	cpu_set_t cpus;
	char *text;
	int irq, ret;

	ret = irq_host_read_interrupts(root, &text, e);
	if (ret < 0)
		return ret;
	irq = irq_host_find(text, r->action);
	free(text);
	if (irq < 0) {
		err_set(e, ENOENT, "no host IRQ named %s in %s/proc/interrupts", r->action, root);
		err_hint(e, "its interrupts are not steered to the vCPUs' CPUs (older kernel?)");
		return -ENOENT;
	}
	keeper_req_cpus(r, &cpus);
	ret = irq_host_set_affinity(root, irq, &cpus, e);
	if (ret < 0) {
		err_prefix(e, "steering %s", r->action);
		err_hint(e, "kernel-managed IRQs cannot be moved (EIO); irqbalance may also "
			    "move it back: its interrupts keep working, with an extra IPI");
	}
	return ret;
}

/* A hot-unplugged managed device of a confined VMM: the record says where it goes. */
static int do_give_back(struct keeper *k, const char *bdf, struct errinfo *e)
{
	const char *state = vfvm_host()->state_dir;
	struct pci_bind_saved s = {.changed = true};
	struct vm_record r;
	int i, ret;

	ret = vm_record_load(state, k->name, &r, e);
	if (ret)
		return ret;
	i = vm_record_find(&r, bdf);
	if (i < 0) {
		vm_record_free(&r);
		return err_set(e, ENOENT, "%s: VM %s's record does not list it", bdf, k->name);
	}
	snprintf(s.bdf, sizeof(s.bdf), "%s", r.devs[i].bdf);
	snprintf(s.driver, sizeof(s.driver), "%s", r.devs[i].driver);
	snprintf(s.override, sizeof(s.override), "%s", r.devs[i].override);
	ret = pci_bind_give_back(vfvm_host()->sysfs_root, state, &s, e);
	if (!ret)
		ret = vm_record_forget(state, &r, bdf, e);
	vm_record_free(&r);
	return ret;
}

static void serve(struct keeper *k)
{
	struct errinfo e = {0};
	struct keeper_req r;
	size_t len;
	int ret;

	if (keeper_recv_req(k->sock, &r, &len, &e) < 0 || len == 0) {
		/* the VMM closed its end (it is ending): nothing more to serve */
		close(k->sock);
		k->sock = -1;
		return;
	}
	ret = keeper_req_check(&r, len, &k->allow, in_record, k, k->nr_cpus, &e);
	if (!ret) {
		switch (r.op) {
		case KEEPER_OP_DECLARE:
			ret = keeper_allow_add(&k->allow, r.bdf);
			if (ret)
				err_set(&e, -ret, "declare %s: out of memory", r.bdf);
			break;
		case KEEPER_OP_SEAL:
			k->allow.sealed = true;
			break;
		case KEEPER_OP_IRQ_AFFINITY:
			ret = do_irq_affinity(&r, &e);
			break;
		case KEEPER_OP_GIVE_BACK:
			ret = do_give_back(k, r.bdf, &e);
			break;
		}
	} else {
		/* a refused request is the VMM misbehaving: the host's log keeps it */
		fprintf(stderr, "vfvm: keeper: refused: %s\n", e.msg);
	}
	if (keeper_send_reply(k->sock, ret ? &e : NULL, NULL, 0, &e) < 0) {
		close(k->sock);
		k->sock = -1;
	}
}

static void keeper_said(void *opaque, const struct vm_record *r, const struct vm_record_dev *d,
			enum vm_restore_event ev, bool gone, int ret, const struct errinfo *e)
{
	const char *why = opaque;

	(void)r;
	(void)ret;
	if (ev == VM_RESTORE_DONE) {
		fprintf(stderr, "vfvm: %s: given back to %s (%s)%s\n", d->bdf,
			d->driver[0] ? d->driver : "no driver", why,
			gone ? ": the device is gone" : "");
		return;
	}
	fprintf(stderr, "vfvm: %s\n", e->msg);
	if (e->hint[0])
		fprintf(stderr, "vfvm: hint: %s\n", e->hint);
}

/* After the VMM: what its record still lists goes back.  -1 when something stays off. */
static int give_back_all(const struct keeper *k, const char *why)
{
	struct vm_restore_cb cb = {keeper_said, (void *)why};
	struct errinfo e = {0};
	struct vm_record r;
	int ret;

	if (!k->name)
		return 0;
	ret = vm_record_load(vfvm_host()->state_dir, k->name, &r, &e);
	if (ret == -ENOENT)
		return 0; /* it holds nothing: the usual end */
	if (ret) {
		fprintf(stderr, "vfvm: %s\n", e.msg);
		return -1;
	}
	ret = vm_record_restore(vfvm_host()->sysfs_root, vfvm_host()->state_dir, &r, false, &cb);
	if (r.n)
		fprintf(stderr,
			"vfvm: %d device%s still off %s host driver%s: 'vfctl restore --vm %s' "
			"gives them back\n",
			r.n, r.n == 1 ? "" : "s", r.n == 1 ? "its" : "their", r.n == 1 ? "" : "s",
			r.name);
	vm_record_free(&r);
	return ret ? -1 : 0;
}

/* The VMM ended: its status as vfvm's, said when a signal ended it. */
static int child_status(pid_t pid, int st, char *why, size_t size)
{
	int sig;

	if (WIFEXITED(st)) {
		snprintf(why, size, "the VM stopped");
		return WEXITSTATUS(st);
	}
	sig = WTERMSIG(st);
	snprintf(why, size, "the VMM was killed by SIG%s", sigabbrev_np(sig) ?: "?");
	fprintf(stderr, "vfvm: the VMM process (pid %d) was killed by signal %d (SIG%s%s)%s\n",
		(int)pid, sig, sigabbrev_np(sig) ?: "?",
		sig == SIGSYS ? ": a system call its sandbox does not allow" : "",
		WCOREDUMP(st) ? ", core dumped" : "");
	return 128 + sig;
}

static void forward(const struct keeper *k, const struct signalfd_siginfo *si)
{
	/*
	 * A terminal's ^C reaches the VMM itself (same process group): only
	 * what a process sent (kill, systemd) is passed on, so nothing comes
	 * twice.
	 */
	if (si->ssi_code != SI_USER && si->ssi_code != SI_QUEUE)
		return;
	if (kill(k->child, (int)si->ssi_signo) < 0 && errno != ESRCH)
		fprintf(stderr, "vfvm: keeper: passing signal %u to pid %d: %s\n", si->ssi_signo,
			(int)k->child, strerror(errno));
}

static int keep(struct keeper *k, const sigset_t *set)
{
	char why[96];
	int sfd, st = 0, status;
	pid_t w;

	sfd = signalfd(-1, set, SFD_CLOEXEC);
	if (sfd < 0) {
		fprintf(stderr, "vfvm: keeper: signalfd: %s\n", strerror(errno));
		/* still waits for the VMM: its devices must go back */
	}
	for (;;) {
		struct pollfd p[2] = {{.fd = sfd, .events = POLLIN},
				      {.fd = k->sock, .events = POLLIN}};
		struct signalfd_siginfo si;

		w = waitpid(k->child, &st, WNOHANG);
		if (w == k->child || (w < 0 && errno != EINTR))
			break;
		if (sfd < 0 && k->sock < 0) {
			w = waitpid(k->child, &st, 0);
			break;
		}
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "vfvm: keeper: poll: %s\n", strerror(errno));
			w = waitpid(k->child, &st, 0);
			break;
		}
		if (p[1].revents)
			serve(k);
		if (p[0].revents && read(sfd, &si, sizeof(si)) == sizeof(si) &&
		    si.ssi_signo != SIGCHLD)
			forward(k, &si);
	}
	if (sfd >= 0)
		close(sfd);
	if (k->sock >= 0)
		close(k->sock);
	if (w != k->child) {
		fprintf(stderr, "vfvm: keeper: waiting for the VMM (pid %d): %s\n", (int)k->child,
			strerror(errno));
		return VM_EXIT_ERROR;
	}
	/* a VMM killed in raw mode leaves the terminal as it was before */
	if (k->have_tty)
		tcsetattr(0, TCSANOW, &k->tty);
	status = child_status(k->child, st, why, sizeof(why));
	if (give_back_all(k, why) < 0 && status == 0)
		status = VM_EXIT_ERROR;
	/* a confined VMM could not remove its control socket */
	if (k->confined && k->api_socket) {
		struct stat sb;

		if (lstat(k->api_socket, &sb) == 0 && S_ISSOCK(sb.st_mode))
			unlink(k->api_socket);
	}
	return status;
}

int vfvm_keeper_fork(const char *name, const char *api_socket, const char *const *dev, int nr_dev,
		     bool will_confine)
{
	struct keeper k = {.name = name, .api_socket = api_socket, .confined = will_confine};
	sigset_t set, old;
	pid_t keeper_pid = getpid();
	int sv[2];
	long ncpu;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		fprintf(stderr, "vfvm: socketpair for the keeper: %s\n", strerror(errno));
		return -1;
	}
	/* what the VMM may name in its requests: the --device BDFs */
	for (int i = 0; i < nr_dev; i++) {
		struct vfio_pci_spec spec;

		if (vfio_pci_spec_parse(dev[i], &spec, NULL) == 0 &&
		    keeper_allow_add(&k.allow, spec.bdf) < 0) {
			fprintf(stderr, "vfvm: out of memory\n");
			return -1;
		}
	}
	ncpu = sysconf(_SC_NPROCESSORS_CONF);
	k.nr_cpus = ncpu > 0 ? (unsigned int)ncpu : 1;
	/* held until the keeper reads them: none is lost between fork and signalfd */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	k.have_tty = isatty(0) && tcgetattr(0, &k.tty) == 0;
	fflush(NULL);
	k.child = fork();
	if (k.child < 0) {
		fprintf(stderr, "vfvm: fork for the keeper: %s\n", strerror(errno));
		sigprocmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	if (k.child == 0) {
		close(sv[0]);
		sigprocmask(SIG_SETMASK, &old, NULL);
		/* no VMM outlives its keeper (it would hold devices nobody gives back) */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != keeper_pid)
			_exit(VM_EXIT_ERROR);
		keeper_allow_free(&k.allow);
		keeper_sock = sv[1];
		/* the IRQs the VMM steers are the keeper's to write (/proc/irq) */
		vfvm_host_set_priv(&keeper_priv);
		return 0;
	}
	close(sv[1]);
	k.sock = sv[0];
	prctl(PR_SET_NAME, "vfvm-keeper");
	exit(keep(&k, &set));
}
