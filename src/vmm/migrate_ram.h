/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Live migration of guest RAM: pre-copy passes over a connected stream
 * socket (TCP or Unix), then the device and vCPU state as one snap_stream
 * container (docs/migration.md tells the whole story).
 *
 * Wire format, version 1 (every integer little-endian):
 *
 *   stream header, once:
 *     "VFVMMIGR" | u32 version (1) | u32 page size (4096) |
 *     u32 number of RAM regions (1..GUEST_MEM_MAX_REGIONS) | u32 0 |
 *     per region: u64 guest physical address | u64 size |
 *     u32 CRC-32 of everything before it
 *   then records, each:
 *     u32 type | u32 payload length | payload | u32 CRC-32 of type,
 *     length and payload
 *
 *   type  name     payload                                   length
 *   1     PASS     u32 pass number (1, 2, ... in order)      4
 *   2     PAGES    u64 gpa | u32 count | u32 0 | the pages   16 + count * 4096
 *   3     ZERO     u64 gpa | u64 count                       16
 *   4     END_RAM  u64 pages sent in all (PAGES + ZERO)      8
 *   5     BLOB     a snap_stream container                   <= the reader's cap
 *
 * A PAGES record carries 1..MIGRATE_MAX_RUN pages and a ZERO record any
 * number; both start page-aligned and lie wholly inside one RAM region.
 * The layout of the header must be the receiver's own (same RAM size).
 * After END_RAM comes exactly one BLOB (migrate_send_blob()).  vfvm's front
 * end sends one more BLOB before the header: the "config" container the
 * destination makes its VM from (tools/vfvm/migrate_out.c).
 *
 * The receiver treats the stream as hostile: the magic, version, page size
 * and layout are checked, every record's type, length and checksum before
 * it is used, and every page range against guest RAM before a byte of it
 * is written; anything else is refused with -EBADMSG and a message naming
 * the record, its number and its offset in the stream.
 *
 * Sender, in this order (migrate_ram_send() does it all with callbacks):
 *   1. migrate_ram_send_begin(): dirty tracking on (KVM log and the device
 *      bitmap), stream header sent.
 *   2. migrate_ram_send_iterate(): pass 1 sends every page (zero pages as
 *      ZERO runs), later passes the pages dirtied since; returns 0 when the
 *      stop rule says the rest fits the downtime budget (or the last pass
 *      allowed was made), throttling vCPUs on the way if asked to.
 *   3. the caller pauses the VM and stops its devices writing guest memory
 *      (vm_pause(), then the I/O thread quiet);
 *   4. migrate_ram_send_final(): the last dirty set, then END_RAM;
 *   5. the caller saves the devices and vCPUs into a snap_out container and
 *      sends it with migrate_send_blob();
 *   6. migrate_ram_send_end(), always, whatever happened before: tracking
 *      off, memslot flags restored, throttle back to 0.  After a failure or
 *      a cancel the caller resumes the VM if it paused it: the source is
 *      then exactly as before.
 *
 * Receiver: migrate_ram_recv() until END_RAM, then migrate_recv_blob(),
 * then snap_in_parse() of the blob and the device/vCPU loads.
 */
#ifndef VFVM_MIGRATE_RAM_H
#define VFVM_MIGRATE_RAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dirty_log.h"
#include "errinfo.h"
#include "guest_mem.h"

#define MIGRATE_MAGIC "VFVMMIGR"
#define MIGRATE_VERSION 1
#define MIGRATE_MAX_RUN 64 /* pages per PAGES record (256 KiB) */
#define MIGRATE_DEFAULT_DOWNTIME_MS 300
#define MIGRATE_DEFAULT_MAX_PASSES 30
#define MIGRATE_THROTTLE_MAX 99

enum migrate_rec {
	MIGRATE_REC_PASS = 1,
	MIGRATE_REC_PAGES = 2,
	MIGRATE_REC_ZERO = 3,
	MIGRATE_REC_END_RAM = 4,
	MIGRATE_REC_BLOB = 5,
	/* post-copy (migrate_postcopy.h) */
	MIGRATE_REC_DISCARD = 6, /* src->dst: pages not valid at the destination */
	MIGRATE_REC_POSTCOPY = 7, /* src->dst: the RAM part ends, post-copy follows */
	MIGRATE_REC_END_POSTCOPY = 8, /* src->dst: every discarded page was sent */
	MIGRATE_REC_REQUEST = 9, /* dst->src: send these pages first */
	MIGRATE_REC_RUNNING = 10, /* dst->src: the VM runs here now */
	MIGRATE_REC_PC_DONE = 11, /* dst->src: every page is in */
};

/* migrate_ram_send_iterate(): what ends the pre-copy */
#define MIGRATE_SWITCH_POSTCOPY 1

/* What the sender reports after each pass (for migrate-status and events). */
struct migrate_progress {
	unsigned int pass; /* passes completed */
	uint64_t pages_sent; /* PAGES pages, all passes */
	uint64_t zero_pages; /* pages sent as ZERO runs, all passes */
	uint64_t bytes_sent; /* on the wire, headers included */
	uint64_t dirty_pages; /* still to send (dirtied during the last pass) */
	uint64_t dirty_rate; /* bytes/s the guest dirtied during the last pass */
	uint64_t bandwidth; /* bytes/s measured over the last pass */
	uint64_t est_downtime_ms; /* dirty bytes / bandwidth, 0 when unknown */
	unsigned int throttle_pct; /* vCPU throttle now */
	bool postcopy; /* switched to post-copy */
	bool dest_running; /* post-copy: the destination runs the VM */
	uint64_t requests; /* post-copy: page requests served */
	uint64_t pages_left; /* post-copy: pages the destination still lacks */
};

struct migrate_send_cfg {
	int fd; /* connected stream socket */
	struct guest_mem *mem;
	struct dirty_source dirty; /* the vCPUs' writes: dirty_log_source() */
	uint64_t downtime_ms; /* budget for the final copy; 0: the default */
	uint64_t bandwidth_limit; /* bytes/s, 0: none */
	unsigned int max_passes; /* 0: the default */
	/*
	 * Switch to post-copy instead of throttling when the pre-copy does not
	 * converge (migrate_stop_rule()); memory must be a memfd, not hugetlb.
	 */
	bool postcopy;
	/* Set (non-zero) by another thread to cancel; read between records. */
	const int *cancel;
	/*
	 * Called after every pass (may be NULL).  Runs on the sender's
	 * thread: copy what you need, do not block.
	 */
	void (*progress)(void *opaque, const struct migrate_progress *p);
	/*
	 * Auto-converge (may be NULL: no throttling): hold the vCPUs out of
	 * the guest for @pct percent of the time (vm_throttle_set()).
	 */
	int (*throttle)(void *opaque, unsigned int pct, struct errinfo *e);
	/* migrate_ram_send() only: pause the VM and quiet its devices / resume it. */
	int (*pause)(void *opaque, struct errinfo *e);
	void (*resume)(void *opaque);
	void *opaque;
};

struct migrate_send {
	struct migrate_send_cfg cfg;
	uint64_t *bitmap[GUEST_MEM_MAX_REGIONS]; /* pages to send next */
	uint8_t *buf; /* one record */
	struct migrate_progress prog;
	bool tracking;
	uint64_t pass_bytes; /* bytes of the pass being sent */
	uint64_t pass_start_ns;
	uint64_t pass_ns; /* length of the last pass */
	uint64_t total_pages; /* pages in all records, for END_RAM */
	/* bytes sent so far, for readers on other threads (__atomic_load_n) */
	uint64_t live_bytes;
	/* post-copy: the pages to send as they were at the switch (sparse copies) */
	uint8_t *shadow[GUEST_MEM_MAX_REGIONS];
	uint64_t pc_discarded; /* pages the destination lacks at the switch */
	uint64_t pc_sent; /* of those, sent */
	/* post-copy failed, and the destination certainly did not run the VM */
	bool pc_never_ran;
};

int migrate_ram_send_begin(struct migrate_send *s, const struct migrate_send_cfg *cfg,
			   struct errinfo *e);
/* 0: stop and copy; MIGRATE_SWITCH_POSTCOPY (cfg.postcopy only); -errno */
int migrate_ram_send_iterate(struct migrate_send *s, struct errinfo *e);
int migrate_ram_send_final(struct migrate_send *s, struct errinfo *e);
void migrate_ram_send_end(struct migrate_send *s);
/*
 * All of the sender's RAM part: begin, iterate, cfg.pause, final, end.
 * Returns 0 with the VM paused (the caller then sends the blob) or -errno
 * with the VM running (resumed when it was paused): -ECANCELED on cancel.
 */
int migrate_ram_send(const struct migrate_send_cfg *cfg, struct errinfo *e);

struct migrate_recv_stats {
	unsigned int passes;
	uint64_t pages; /* from PAGES records */
	uint64_t zero_pages;
	uint64_t bytes; /* read from the stream */
	bool postcopy; /* the RAM part ended with POSTCOPY, not END_RAM */
	uint64_t discarded; /* pages DISCARD records listed */
};

struct migrate_pc_dest;

/*
 * Read the RAM part of a stream from @fd into @mem, up to and including
 * END_RAM.  -EBADMSG (named) for anything malformed, -EPIPE when the
 * stream ends early, -errno for a read error.
 */
int migrate_ram_recv(int fd, struct guest_mem *mem, struct migrate_recv_stats *st,
		     struct errinfo *e);
/*
 * The same, accepting a post-copy switch (@pc from migrate_pc_dest_new()):
 * DISCARD runs are dropped from guest RAM and listed in @pc, and the RAM
 * part may end with POSTCOPY (st->postcopy) instead of END_RAM.
 */
int migrate_ram_recv_pc(int fd, struct guest_mem *mem, struct migrate_recv_stats *st,
			struct migrate_pc_dest *pc, struct errinfo *e);

/*
 * A state container as one BLOB record: after END_RAM (the VM's state),
 * and, from the front end, before the stream header (the VM's config).
 */
int migrate_send_blob(int fd, const void *buf, size_t len, struct errinfo *e);
/* Read it (at most @cap bytes, refused above); *@buf is malloc'd. */
int migrate_recv_blob(int fd, size_t cap, uint8_t **buf, size_t *len, struct errinfo *e);

/* The stop rule, a pure function of what the last pass measured. */
enum migrate_step {
	MIGRATE_NEXT_PASS, /* another pass */
	MIGRATE_STOP_COPY, /* pause the VM and send the rest */
	MIGRATE_THROTTLE_MORE, /* another pass, with the vCPUs throttled more */
	MIGRATE_POSTCOPY, /* pause the VM, send the state, then the rest on demand */
};

struct migrate_rule_in {
	uint64_t dirty_bytes; /* what the final copy would send now */
	uint64_t bandwidth; /* bytes/s, 0: not measured */
	uint64_t dirty_rate; /* bytes/s dirtied during the last pass */
	uint64_t downtime_ms;
	unsigned int pass; /* passes done */
	unsigned int max_passes;
	unsigned int throttle_pct;
	bool can_throttle;
	bool postcopy; /* allowed to switch to post-copy */
};

enum migrate_step migrate_stop_rule(const struct migrate_rule_in *in);
/* Estimated final copy time: @dirty_bytes at @bandwidth bytes/s (UINT64_MAX: unknown). */
uint64_t migrate_est_ms(uint64_t dirty_bytes, uint64_t bandwidth);
/* The throttle step after @pct: 20, 40, 60, 80, 90, 95, 99 (then 99). */
unsigned int migrate_next_throttle(unsigned int pct);

#endif
