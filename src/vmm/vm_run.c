// SPDX-License-Identifier: GPL-2.0-only
/*
 * Running a VM: the I/O thread (one epoll loop for every eventfd, tap and
 * stdin the devices watch), vCPU threads, and the exit request that stops
 * them all.
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "cpu_list.h"
#include "sandbox.h"
#include "vcpu.h"
#include "vm.h"

struct vm_io_handler {
	struct vm_io_handler *next;
	int fd;
	void (*cb)(int fd, uint32_t events, void *opaque);
	void *opaque;
};

int vm_io_add(struct vm *vm, int fd, uint32_t events,
	      void (*cb)(int fd, uint32_t events, void *opaque), void *opaque, struct errinfo *e)
{
	struct vm_io_handler *h = calloc(1, sizeof(*h));
	struct epoll_event ev = {.events = events};

	if (!h)
		return err_sys(e, ENOMEM, "I/O handler for fd %d", fd);
	h->fd = fd;
	h->cb = cb;
	h->opaque = opaque;
	ev.data.ptr = h;
	if (epoll_ctl(vm->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = errno;

		free(h);
		return err_sys(e, err, "epoll_ctl(ADD, fd %d)", fd);
	}
	pthread_mutex_lock(&vm->io_lock);
	h->next = vm->io_handlers;
	vm->io_handlers = h;
	pthread_mutex_unlock(&vm->io_lock);
	return 0;
}

/*
 * The handler is unlinked from epoll at once but its memory is kept until
 * vm_destroy(): an epoll_wait() already in flight may still hand it out.
 */
int vm_io_del(struct vm *vm, int fd)
{
	struct vm_io_handler *h;

	if (epoll_ctl(vm->epoll_fd, EPOLL_CTL_DEL, fd, NULL) < 0)
		return -errno;
	pthread_mutex_lock(&vm->io_lock);
	for (h = vm->io_handlers; h; h = h->next)
		if (h->fd == fd)
			h->cb = NULL;
	pthread_mutex_unlock(&vm->io_lock);
	return 0;
}

struct vm_cleanup {
	struct vm_cleanup *next;
	void (*fn)(void *opaque);
	void *opaque;
};

int vm_at_destroy(struct vm *vm, void (*fn)(void *opaque), void *opaque, struct errinfo *e)
{
	struct vm_cleanup *c = calloc(1, sizeof(*c));

	if (!c)
		return err_sys(e, ENOMEM, "VM teardown list");
	c->fn = fn;
	c->opaque = opaque;
	c->next = vm->cleanups;
	vm->cleanups = c;
	return 0;
}

void vm_run_cleanups(struct vm *vm)
{
	struct vm_cleanup *c, *n;

	for (c = vm->cleanups; c; c = n) {
		n = c->next;
		c->fn(c->opaque);
		free(c);
	}
	vm->cleanups = NULL;
}

void vm_io_cleanup(struct vm *vm)
{
	struct vm_io_handler *h, *n;

	for (h = vm->io_handlers; h; h = n) {
		n = h->next;
		free(h);
	}
	vm->io_handlers = NULL;
}

int vm_io_poll(struct vm *vm, int timeout_ms)
{
	struct epoll_event ev[16];
	int n = epoll_wait(vm->epoll_fd, ev, 16, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct vm_io_handler *h = ev[i].data.ptr;
		void (*cb)(int, uint32_t, void *);

		if (!h) /* the stop eventfd */
			continue;
		pthread_mutex_lock(&vm->io_lock);
		cb = h->cb;
		pthread_mutex_unlock(&vm->io_lock);
		if (cb)
			cb(h->fd, ev[i].events, h->opaque);
	}
	return n;
}

static void *io_thread(void *arg)
{
	struct vm *vm = arg;
	struct errinfo e = {0};

	if (sandbox_enter_role(vm->sandbox, SANDBOX_IO, &e)) {
		vm_request_exit(vm, VM_EXIT_ERROR, e.msg);
		return NULL;
	}
	while (!atomic_load(&vm->exit_requested)) {
		if (vm_io_poll(vm, -1) < 0) {
			vm_request_exit(vm, VM_EXIT_ERROR, "I/O thread: epoll_wait failed");
			break;
		}
	}
	return NULL;
}

void vm_event(struct vm *vm, const char *name, const char *id, const char *detail)
{
	if (vm->event_cb)
		vm->event_cb(vm->event_opaque, name, id, detail);
}

void vm_request_exit(struct vm *vm, int status, const char *reason)
{
	int expected = 0;
	uint64_t one = 1;

	if (!atomic_compare_exchange_strong(&vm->exit_requested, &expected, 1))
		return;
	/*
	 * Kick first, then tell vm_run(): it joins the vCPU threads (and
	 * clears vcpu->started) as soon as it hears, and a kick must never
	 * reach a thread that has been joined.
	 */
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	/* wakes the I/O thread's epoll_wait */
	if (write(vm->stop_efd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow with one write per VM; nothing to do */
	}
	pthread_mutex_lock(&vm->exit_lock);
	vm->exit_status = status;
	snprintf(vm->exit_reason, sizeof(vm->exit_reason), "%s", reason ? reason : "");
	vm->exit_kicked = true;
	pthread_cond_broadcast(&vm->exit_cond);
	pthread_mutex_unlock(&vm->exit_lock);
}

int vm_pause(struct vm *vm)
{
	struct timespec until;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 1;
	pthread_mutex_lock(&vm->exit_lock);
	if (!vm->vcpus_go || atomic_load(&vm->exit_requested)) {
		pthread_mutex_unlock(&vm->exit_lock);
		return -EAGAIN;
	}
	__atomic_store_n(&vm->pause_requested, true, __ATOMIC_RELEASE);
	/* wakes a vCPU in a throttle sleep (throttle.c) */
	pthread_cond_broadcast(&vm->exit_cond);
	pthread_mutex_unlock(&vm->exit_lock);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	pthread_mutex_lock(&vm->exit_lock);
	while (vm->nr_paused < vm->nr_vcpus && !atomic_load(&vm->exit_requested) && !ret)
		ret = -pthread_cond_timedwait(&vm->exit_cond, &vm->exit_lock, &until);
	if (vm->nr_paused == vm->nr_vcpus)
		ret = 0;
	pthread_mutex_unlock(&vm->exit_lock);
	return ret;
}

void vm_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->exit_lock);
	__atomic_store_n(&vm->pause_requested, false, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&vm->exit_cond);
	pthread_mutex_unlock(&vm->exit_lock);
}

bool vm_wait_running(struct vm *vm)
{
	bool go;

	pthread_mutex_lock(&vm->exit_lock);
	while (!vm->vcpus_go && !atomic_load(&vm->exit_requested))
		pthread_cond_wait(&vm->exit_cond, &vm->exit_lock);
	go = vm->vcpus_go && !atomic_load(&vm->exit_requested);
	pthread_mutex_unlock(&vm->exit_lock);
	return go;
}

bool vm_paused(struct vm *vm)
{
	bool p;

	pthread_mutex_lock(&vm->exit_lock);
	p = vm->pause_requested;
	pthread_mutex_unlock(&vm->exit_lock);
	return p;
}

void vm_vcpu_park(struct vm *vm)
{
	pthread_mutex_lock(&vm->exit_lock);
	if (vm->pause_requested && !atomic_load(&vm->exit_requested)) {
		vm->nr_paused++;
		pthread_cond_broadcast(&vm->exit_cond);
		while (vm->pause_requested && !atomic_load(&vm->exit_requested))
			pthread_cond_wait(&vm->exit_cond, &vm->exit_lock);
		vm->nr_paused--;
	}
	pthread_mutex_unlock(&vm->exit_lock);
}

int vm_parse_cpu_affinity(const char *list, int *cpus, int max)
{
	int n = cpu_list_parse(list, cpus, max);

	return n > 0 ? n : -EINVAL;
}

/*
 * --cpu-affinity: vCPU i runs on the i-th listed CPU (wrapping); the
 * I/O and main threads are kept off those CPUs when others remain.
 */
static int apply_affinity(struct vm *vm, struct errinfo *e)
{
	int cpus[CPU_SETSIZE], n;
	cpu_set_t others;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (!vm->cfg.cpu_affinity)
		return 0;
	n = vm_parse_cpu_affinity(vm->cfg.cpu_affinity, cpus, CPU_SETSIZE);
	if (n < 0)
		return err_set(e, EINVAL, "--cpu-affinity '%s': expected a list like 0-1,3",
			       vm->cfg.cpu_affinity);
	for (int i = 0; i < n; i++)
		if (cpus[i] >= ncpu)
			return err_set(e, EINVAL,
				       "--cpu-affinity: host CPU %d is not online (%ld CPUs)",
				       cpus[i], ncpu);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vm->vcpus[i].host_cpu = cpus[i % (unsigned int)n];
	CPU_ZERO(&others);
	for (long c = 0; c < ncpu; c++)
		CPU_SET(c, &others);
	for (int i = 0; i < n; i++)
		CPU_CLR(cpus[i], &others);
	if (CPU_COUNT(&others) && sched_setaffinity(0, sizeof(others), &others) < 0)
		return err_sys(e, errno, "pinning the VMM's main/I/O threads away from the vCPUs");
	return 0;
}

int vm_run(struct vm *vm, struct errinfo *e)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	int ret, status;

	if (epoll_ctl(vm->epoll_fd, EPOLL_CTL_ADD, vm->stop_efd, &ev) < 0)
		return err_sys(e, errno, "epoll_ctl(stop eventfd)");
	ret = irq_routing_commit(&vm->irq, e);
	if (ret)
		return ret;
	ret = apply_affinity(vm, e);
	if (ret)
		return ret;
	ret = pthread_create(&vm->io_thread, NULL, io_thread, vm);
	if (ret)
		return err_sys(e, ret, "creating the I/O thread");
	vm->io_thread_started = true;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		ret = vcpu_start(&vm->vcpus[i], e);
		if (ret) {
			vm_request_exit(vm, VM_EXIT_ERROR, "vCPU start failed");
			break;
		}
	}
	/* open the gate: every started vCPU has a thread a kick can reach */
	pthread_mutex_lock(&vm->exit_lock);
	vm->vcpus_go = true;
	pthread_cond_broadcast(&vm->exit_cond);
	pthread_mutex_unlock(&vm->exit_lock);

	/* after the others exist: a thread inherits its maker's filter */
	if (!ret && sandbox_enter_role(vm->sandbox, SANDBOX_MAIN, e)) {
		ret = -e->err;
		vm_request_exit(vm, VM_EXIT_ERROR, e->msg);
	}

	pthread_mutex_lock(&vm->exit_lock);
	while (!vm->exit_kicked)
		pthread_cond_wait(&vm->exit_cond, &vm->exit_lock);
	pthread_mutex_unlock(&vm->exit_lock);

	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_join(&vm->vcpus[i]);
	pthread_join(vm->io_thread, NULL);
	vm->io_thread_started = false;
	status = vm->exit_status;
	if (ret)
		return ret;
	if (status == VM_EXIT_ERROR || status == VM_EXIT_CRASH) {
		for (unsigned int i = 0; i < vm->nr_vcpus; i++)
			if (vm->vcpus[i].err.err) {
				*e = vm->vcpus[i].err;
				break;
			}
		if (!e->err)
			err_set(e, EIO, "%s", vm->exit_reason);
	}
	return status;
}
