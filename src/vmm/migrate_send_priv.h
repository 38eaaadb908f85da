/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the pre-copy sender (migrate_send.c) shares with the post-copy one
 * (migrate_pc_send.c).  Internal to migrate_*.c.
 */
#ifndef VFVM_MIGRATE_SEND_PRIV_H
#define VFVM_MIGRATE_SEND_PRIV_H

#include "migrate_ram.h"

uint64_t migrate_now_ns(void);
bool migrate_page_is_zero(const uint8_t *p);
/* One record whose payload is already in s->buf; paced, counted, cancellable. */
int migrate_send_buf_record(struct migrate_send *s, uint32_t type, uint32_t len, struct errinfo *e);
int migrate_send_zero_run(struct migrate_send *s, uint64_t gpa, uint64_t count, struct errinfo *e);
/* @count (1..MIGRATE_MAX_RUN) pages at @p, copied into s->buf before the checksum. */
int migrate_send_data_run(struct migrate_send *s, uint64_t gpa, const uint8_t *p, uint64_t count,
			  struct errinfo *e);
/* The dirty set since the last collect, into s->bitmap (KVM's log and the devices'). */
int migrate_send_collect(struct migrate_send *s, struct errinfo *e);
void migrate_send_report(struct migrate_send *s);
/* migrate_ram_send_end(): the post-copy part's memory. */
void migrate_postcopy_send_free(struct migrate_send *s);

#endif
