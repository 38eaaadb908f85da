/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest RAM in a snapshot: one sparse file laid out like the backing memfd
 * (each region at its fd_offset, the file as long as the layout), where
 * only pages holding something non-zero are written: a guest that used
 * little of its RAM makes a small file.
 */
#ifndef VMM_MEM_SNAPSHOT_H
#define VMM_MEM_SNAPSHOT_H

#include <stdint.h>

#include "errinfo.h"
#include "guest_mem.h"

/* File length the layout of @m needs: the end of its last region in the memfd. */
uint64_t mem_snapshot_size(const struct guest_mem *m);
/*
 * Write @m to a new file @path (replaced if there): the memfd's data
 * extents (SEEK_DATA/SEEK_HOLE; all of each mapping when memfd is -1)
 * minus all-zero pages, then fsync.  Guest RAM must not change meanwhile.
 */
int mem_snapshot_write(const struct guest_mem *m, const char *path, struct errinfo *e);
/*
 * Read @path into @m, which must be fresh (all zero: holes are not
 * written): the file must be exactly mem_snapshot_size() bytes and hold
 * data only inside regions.
 */
int mem_snapshot_read(const struct guest_mem *m, const char *path, struct errinfo *e);

#endif
