/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VMM's sandbox: once setup is done, each thread enters its role - its
 * capabilities are cut to what the role still needs, no_new_privs is set
 * and a seccomp filter (libseccomp) allowing only the role's system calls
 * is loaded on that thread.  A call outside the filter traps: the SIGSYS
 * handler writes which role made which call and ends the process with
 * SANDBOX_EXIT_STATUS.
 *
 * Filters stack: a thread made by a filtered thread (the migration thread
 * by the I/O thread, a hot-plugged disk's worker) runs under both, so a
 * role that makes threads allows everything its children need.
 */
#ifndef VFVM_SANDBOX_H
#define VFVM_SANDBOX_H

#include <stdbool.h>

#include "errinfo.h"

/* vfvm's exit status when a thread made a call its filter does not allow */
#define SANDBOX_EXIT_STATUS 6

enum sandbox_role {
	SANDBOX_MAIN, /* builds, waits in vm_run(), tears down, gives devices back */
	SANDBOX_IO, /* the I/O thread: epoll loop, control API, hot-plug, snapshot */
	SANDBOX_VCPU, /* KVM_RUN and the device register handlers */
	SANDBOX_BLK, /* the virtio-blk worker: reads and writes the disk image */
	SANDBOX_MIGRATE, /* the migration and post-copy sender threads */
	SANDBOX_PC_FAULT, /* the post-copy destination's fault thread */
	SANDBOX_NR_ROLES,
};

struct sandbox {
	bool on;
	int test_bad_role; /* -1, or the role that makes a forbidden call once in */
};

/* "vCPU", "I/O", ...: as the trap message names the role */
const char *sandbox_role_name(enum sandbox_role role);
/* "vcpu", "io", "blk", "migration", "postcopy-fault", "main": the option's words */
const char *sandbox_role_word(enum sandbox_role role);
/* Parses an option word; returns the role or -1. */
int sandbox_role_parse(const char *word);

/*
 * Once per process, before any thread enters a role: the table of system
 * call names the trap message uses and the SIGSYS handler.
 */
int sandbox_prepare(struct errinfo *e);

/*
 * The calling thread enters ROLE: capabilities dropped, the filter loaded.
 * SB NULL or off: nothing.  When SB's test_bad_role is ROLE, the thread then
 * makes a call no filter allows (the test trigger), which ends the process.
 */
int sandbox_enter_role(const struct sandbox *sb, enum sandbox_role role, struct errinfo *e);

/* How many rules ROLE's filter has (for tests and the report). */
int sandbox_rule_count(enum sandbox_role role);

#endif
