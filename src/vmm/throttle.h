/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vCPU throttling, for live migration's auto-converge: a guest that dirties
 * memory faster than the link carries it is slowed down by keeping its
 * vCPUs out of KVM_RUN for a share of the time.
 *
 * How: vm_throttle_set() stores the share in the VM; each vCPU thread, in
 * its own loop before KVM_RUN (vcpu_throttle()), arms a timer that sends
 * it VCPU_KICK_SIGNAL every THROTTLE_SLICE_MS - so a guest that never exits
 * still comes back - and after each slice of running sleeps in proportion:
 * ran * pct / (100 - pct).  The sleep ends early for a pause or an exit
 * request, so vm_pause() keeps its one-second promise.
 */
#ifndef VFVM_THROTTLE_H
#define VFVM_THROTTLE_H

#include <stdint.h>

#define THROTTLE_SLICE_MS 10

struct vm;
struct vcpu;

/* 0 (off) .. 99 percent; -EINVAL above.  From any thread. */
int vm_throttle_set(struct vm *vm, unsigned int pct);
/* vCPU thread, before each KVM_RUN: sleep its share when one is due. */
void vcpu_throttle(struct vcpu *v);
/* vCPU thread, on its way out: the timer goes. */
void vcpu_throttle_stop(struct vcpu *v);
/* How long to sleep after running @ran_ns at @pct percent throttle. */
uint64_t throttle_sleep_ns(uint64_t ran_ns, unsigned int pct);

#endif
