/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The state directory (default /var/lib/vfctl): files root trusts to give
 * devices back (remembered drivers, the apply ledger).  Whoever can write
 * there can steer root's sysfs writes, and a symlink planted in it would
 * turn root's writes onto any file.  So:
 *
 * - the directory and its subdirectories are created 0700; an existing one
 *   must be a real directory (not a symlink), owned by the caller's uid or
 *   root, and not writable by group or others - anything else is refused
 *   with the path and the chmod/chown that fixes it;
 * - everything inside is reached through the directory's fd (openat), files
 *   are opened O_NOFOLLOW and must be regular files;
 * - a write goes to a fresh temp file (O_CREAT|O_EXCL|O_NOFOLLOW, never an
 *   existing name, so a planted symlink is never followed), is fsync'd,
 *   renamed over the target, and the directory is fsync'd.
 *
 * PATH arguments are the directory's path, used only in messages.
 */
#ifndef LIB_STATEDIR_H
#define LIB_STATEDIR_H

#include <stdbool.h>

#include "errinfo.h"

/* Largest state file read (a ledger of many PFs with 256 VFs each fits). */
#define STATEDIR_FILE_MAX (64u << 20)

/*
 * Open the state directory dir (O_DIRECTORY fd, close it), creating it and
 * missing parents when create (parents 0755, dir 0700).  -ENOENT (message
 * set) when it is missing and !create; -EPERM for an unsafe directory.
 */
int statedir_open(const char *dir, bool create, struct errinfo *e);
/* Same for the subdirectory name of dfd (whose path is path). */
int statedir_open_sub(int dfd, const char *path, const char *name, bool create, struct errinfo *e);
/* Replace name in dfd with text atomically and durably (see above). */
int statedir_write(int dfd, const char *path, const char *name, const char *text,
		   struct errinfo *e);
/* name in dfd as a malloc'd string; -ENOENT (message set) when absent. */
int statedir_read(int dfd, const char *path, const char *name, char **text, struct errinfo *e);
/*
 * Remove name from dfd and fsync dfd (a removed record must stay removed
 * across a crash).  1 removed, 0 there was none, -errno otherwise (the
 * caller says what the file was).
 */
int statedir_remove(int dfd, const char *name);
/*
 * The names in dfd (closed here, whatever happens) that keep() accepts,
 * sorted, as *n strings of width bytes each in a malloc'd array (*names;
 * NULL when none).  A name must fit width with its NUL, or it is skipped.
 */
int statedir_list(int dfd, const char *path, bool (*keep)(const char *name), size_t width,
		  void **names, int *n, struct errinfo *e);

#endif
