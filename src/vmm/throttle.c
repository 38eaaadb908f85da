// SPDX-License-Identifier: GPL-2.0-only
/* vCPU throttling for migration's auto-converge (see throttle.h). */
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "throttle.h"
#include "vcpu.h"
#include "vm.h"

#define SLICE_NS (THROTTLE_SLICE_MS * 1000000ULL)

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

uint64_t throttle_sleep_ns(uint64_t ran_ns, unsigned int pct)
{
	if (!pct)
		return 0;
	if (pct > 99)
		pct = 99;
	return ran_ns * pct / (100 - pct);
}

int vm_throttle_set(struct vm *vm, unsigned int pct)
{
	if (pct > 99)
		return -EINVAL;
	pthread_mutex_lock(&vm->exit_lock);
	__atomic_store_n(&vm->throttle_pct, pct, __ATOMIC_RELAXED);
	/* a vCPU asleep for a larger share wakes up and looks again */
	pthread_cond_broadcast(&vm->exit_cond);
	pthread_mutex_unlock(&vm->exit_lock);
	return 0;
}

static void timer_on(struct vcpu *v)
{
	struct sigevent sev = {
		.sigev_notify = SIGEV_THREAD_ID,
		.sigev_signo = VCPU_KICK_SIGNAL,
	};
	struct itimerspec it = {
		.it_interval = {.tv_nsec = (long)SLICE_NS},
		.it_value = {.tv_nsec = (long)SLICE_NS},
	};

	sev._sigev_un._tid = gettid(); /* this vCPU's thread, nobody else */
	if (timer_create(CLOCK_MONOTONIC, &sev, &v->throttle_timer) < 0) {
		/* throttling then only acts on the guest's own exits */
		vlog_ratelimited(&v->vm->log, VLOG_WARN, "vCPU %u: throttle timer: %m", v->id);
		return;
	}
	timer_settime(v->throttle_timer, 0, &it, NULL);
	v->throttle_timer_on = true;
}

void vcpu_throttle_stop(struct vcpu *v)
{
	if (!v->throttle_timer_on)
		return;
	timer_delete(v->throttle_timer);
	v->throttle_timer_on = false;
}

/* Sleep @ns, or less when the VM is paused, stopping or unthrottled meanwhile. */
static void nap(struct vm *vm, uint64_t ns)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until); /* exit_cond's clock */
	ns += (uint64_t)until.tv_nsec;
	until.tv_sec += (time_t)(ns / 1000000000ULL);
	until.tv_nsec = (long)(ns % 1000000000ULL);
	pthread_mutex_lock(&vm->exit_lock);
	while (!vm->pause_requested && !atomic_load(&vm->exit_requested) &&
	       __atomic_load_n(&vm->throttle_pct, __ATOMIC_RELAXED)) {
		if (pthread_cond_timedwait(&vm->exit_cond, &vm->exit_lock, &until) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&vm->exit_lock);
}

void vcpu_throttle(struct vcpu *v)
{
	unsigned int pct = __atomic_load_n(&v->vm->throttle_pct, __ATOMIC_RELAXED);
	uint64_t now, ran;

	if (__builtin_expect(!pct && !v->throttle_timer_on, 1))
		return;
	if (!pct) {
		vcpu_throttle_stop(v);
		return;
	}
	now = now_ns();
	if (!v->throttle_timer_on) {
		timer_on(v);
		v->throttle_since = now;
		return;
	}
	ran = now - v->throttle_since;
	if (ran < SLICE_NS)
		return;
	nap(v->vm, throttle_sleep_ns(ran, pct));
	v->throttle_since = now_ns();
}
