/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vCPU threads.  A vCPU is kicked out of KVM_RUN by setting
 * kvm_run->immediate_exit and then sending VCPU_KICK_SIGNAL to its thread:
 * if the signal lands before the thread enters KVM_RUN, immediate_exit
 * makes KVM_RUN return at once, so no kick is ever lost.
 */
#ifndef VFVM_VCPU_H
#define VFVM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "errinfo.h"

#define VCPU_KICK_SIGNAL (SIGRTMIN + 1)

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	int host_cpu; /* pinned host CPU, -1 = not pinned */
	struct errinfo err; /* why the thread stopped with an error */
	/* migration auto-converge (throttle.c), this vCPU's thread only */
	timer_t throttle_timer;
	bool throttle_timer_on;
	uint64_t throttle_since; /* end of the last throttle sleep (ns) */
	/*
	 * This vCPU's dirty ring (vm->dirty_ring.entries entries, mapped at
	 * KVM_DIRTY_LOG_PAGE_OFFSET), NULL without one; the next entry to
	 * harvest.  dirty_fetch under vm->dirty_ring.lock.
	 */
	struct kvm_dirty_gfn *dirty_gfns;
	uint32_t dirty_fetch;
};

int vcpu_create(struct vm *vm, struct vcpu *v, unsigned int id, struct errinfo *e);
void vcpu_destroy(struct vcpu *v);
/* Set CPUID from KVM_GET_SUPPORTED_CPUID with this vCPU's topology. */
int vcpu_setup_cpuid(struct vcpu *v, struct errinfo *e);
int vcpu_start(struct vcpu *v, struct errinfo *e);
void vcpu_kick(struct vcpu *v);
void vcpu_join(struct vcpu *v);
/* Log the registers and pending events of a vCPU whose guest crashed. */
void vcpu_report_crash(struct vcpu *v);
/* Install the (empty) kick signal handler; idempotent. */
int vcpu_signal_setup(struct errinfo *e);

#endif
