/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Post-copy live migration: the VM moves to the destination before all of
 * its RAM has, and the pages still missing there follow on demand
 * (docs/migration.md, "Post-copy").
 *
 * Records (same framing as migrate_ram.h: u32 type | u32 length | payload
 * | u32 CRC-32), in this order:
 *
 *   source -> destination, after the last pre-copy pass, VM paused:
 *     6  DISCARD       u64 gpa | u64 count    pages the destination lacks
 *     7  POSTCOPY      u64 pages sent (PAGES + ZERO) | u64 pages discarded
 *     5  BLOB          the device and vCPU state, as after END_RAM
 *   then, while the VM runs at the destination:
 *     2  PAGES, 3 ZERO only of discarded pages, each once, first the
 *                      requested ones, then the rest in address order
 *     8  END_POSTCOPY  u64 pages sent since POSTCOPY (= pages discarded)
 *
 *   destination -> source, on the same socket:
 *     9  REQUEST       u64 gpa | u64 count (1..MIGRATE_MAX_RUN)
 *     10 RUNNING       u64 0: the VM runs here; the source cannot take it back
 *     11 PC_DONE       u64 pages received since POSTCOPY, after RUNNING
 *
 * A destination of before post-copy refuses DISCARD by its type, before
 * its VM runs: the source then runs on.
 *
 * Source: migrate_ram_send_iterate() returns MIGRATE_SWITCH_POSTCOPY; the
 * caller pauses the VM, quiets its devices, calls migrate_postcopy_switch()
 * (the pages to send are copied aside, so a device writing the paused
 * source's RAM later changes nothing the destination gets), sends the
 * state with migrate_send_blob(), then runs migrate_postcopy_serve() until
 * PC_DONE.  A failure the destination certainly did not run the VM
 * through (s->pc_never_ran: its stream ended cleanly without RUNNING)
 * leaves the source whole: resume it.  Any other - RUNNING came, or the
 * connection broke so that it cannot be known - must leave the source
 * paused: the VM may run at the destination, and its newest pages are
 * there only.
 *
 * Destination: migrate_ram_recv_pc() drops the DISCARD pages from guest
 * RAM (a hole punched in the memfd); after the state blob,
 * migrate_pc_dest_start() registers guest RAM with userfaultfd and starts
 * the fault thread, which alone reads and writes the socket from then on:
 * a touch of a missing page (vCPU, KVM, a device model) becomes a REQUEST,
 * arriving pages are placed with UFFDIO_COPY, which wakes whoever waits; a
 * page in a hole that was not discarded is zero and is placed at once.
 * The fault thread never waits on anything but the socket and the uffd.
 */
#ifndef VFVM_MIGRATE_POSTCOPY_H
#define VFVM_MIGRATE_POSTCOPY_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "migrate_ram.h"

/* Source, VM paused: the last dirty set goes out as DISCARD runs, then POSTCOPY. */
int migrate_postcopy_switch(struct migrate_send *s, struct errinfo *e);
/*
 * Source: serve REQUESTs first, send the other pages in the background,
 * END_POSTCOPY, until PC_DONE (0).  s->prog.dest_running tells whether the
 * destination said RUNNING (also on failure).
 */
int migrate_postcopy_serve(struct migrate_send *s, struct errinfo *e);

struct migrate_pc_dest {
	int fd; /* the stream, owned (a dup) */
	struct guest_mem *mem;
	uint64_t *pending[GUEST_MEM_MAX_REGIONS]; /* discarded, not arrived yet */
	uint64_t *requested[GUEST_MEM_MAX_REGIONS];
	uint64_t discarded, arrived, zero_filled;
	uint64_t requests; /* REQUEST records sent (atomic: read by others) */
	int uffd;
	const struct sandbox *sandbox; /* the fault thread's (sandbox.h); NULL: off */
	int stop_fd; /* eventfd: stop the fault thread */
	int run_fd; /* eventfd: RUNNING went out (PC_DONE must come after it) */
	pthread_mutex_t send_lock; /* the fault thread's REQUESTs, RUNNING */
	pthread_t thread;
	bool thread_on;
	bool done; /* the fault thread ended (atomic) */
	int ret; /* its result, once done */
	struct errinfo err;
	/* Called on the fault thread when it ends (ret 0: every page is in). */
	void (*on_done)(void *opaque, int ret);
	/* Called first on a failure, before blocked faults are let go (with zero pages). */
	void (*on_fail)(void *opaque, const struct errinfo *e);
	void *opaque;
	uint8_t *buf; /* one record, its pages page-aligned */
};

/* Before migrate_ram_recv_pc(): @fd is dup'ed, the stream is the pc's from the start. */
int migrate_pc_dest_init(struct migrate_pc_dest *pc, int fd, struct guest_mem *mem,
			 struct errinfo *e);
/* After the state blob, before anything touches guest RAM: uffd on, fault thread. */
int migrate_pc_dest_start(struct migrate_pc_dest *pc, struct errinfo *e);
/* The VM is about to run: tell the source (RUNNING). */
int migrate_pc_dest_running(struct migrate_pc_dest *pc, struct errinfo *e);
/*
 * Stop the fault thread if it runs (a VM going away), join it, free;
 * returns its result.  Once only: later calls return 0.
 */
int migrate_pc_dest_finish(struct migrate_pc_dest *pc, struct errinfo *e);

#endif
