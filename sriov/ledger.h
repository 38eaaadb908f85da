/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ledger: what `vfctl apply` changed and what the value was before it
 * first changed it, per PF (by BDF).  It lets apply undo exactly what is no
 * longer declared - and nothing it did not touch.  Kept as JSON in
 * STATE_DIR/ledger.json, replaced atomically (write temp, fsync, rename) so
 * a crash or power cut leaves the old or the new file, never half of one.
 */
#ifndef SRIOV_LEDGER_H
#define SRIOV_LEDGER_H

#include <stdbool.h>

#include "config.h"
#include "errinfo.h"

#define LEDGER_FILE "ledger.json"

struct ledger_vf {
	int index;
	/* The original of each setting vfctl changed (given); driver "" = none was bound. */
	struct vf_settings orig;
};

struct ledger_pf {
	char bdf[CONFIG_BDF_LEN];
	char config[256]; /* the file that declared it, for messages */
	bool has_numvfs;
	int orig_numvfs;
	bool has_autoprobe;
	int orig_autoprobe;
	struct ledger_vf *vfs; /* sorted by index */
	int nr_vfs;
};

struct ledger {
	struct ledger_pf *pfs;
	int nr_pfs;
};

/*
 * Load STATE_DIR/ledger.json; a missing file is an empty ledger.  An unsafe
 * state dir (statedir.h), a symlinked file and an entry whose BDF is not a
 * canonical PCI address are refused, naming the file.
 */
int ledger_load(const char *state_dir, struct ledger *l, struct errinfo *e);
/* Write it atomically, creating STATE_DIR (0700) when missing (statedir.h). */
int ledger_save(const char *state_dir, const struct ledger *l, struct errinfo *e);
/* JSON text (malloc'd) and back; used by load/save and tests. */
char *ledger_to_json(const struct ledger *l);
int ledger_from_json(const char *text, const char *what, struct ledger *l, struct errinfo *e);

struct ledger_pf *ledger_find(struct ledger *l, const char *bdf);
const struct ledger_pf *ledger_find_const(const struct ledger *l, const char *bdf);
/* Find or add; NULL when out of memory. */
struct ledger_pf *ledger_get(struct ledger *l, const char *bdf);
struct ledger_vf *ledger_pf_vf(struct ledger_pf *p, int index, bool create);
const struct ledger_vf *ledger_pf_vf_const(const struct ledger_pf *p, int index);
/* Forget every VF entry (the VFs were destroyed and recreated). */
void ledger_pf_drop_vfs(struct ledger_pf *p);
/* Drop empty VF entries, and the PF entry when nothing is left. */
void ledger_tidy(struct ledger *l);
void ledger_remove(struct ledger *l, const char *bdf);
/* Deep copy of one PF entry (for rolling back the ledger with the device). */
int ledger_pf_copy(struct ledger_pf *dst, const struct ledger_pf *src);
/* Replace (or remove, when src is NULL) the entry for bdf with a copy of src. */
int ledger_put(struct ledger *l, const char *bdf, const struct ledger_pf *src);
void ledger_pf_free(struct ledger_pf *p);
void ledger_free(struct ledger *l);

/* Write text to DIR/NAME atomically (statedir_write(): temp file, fsync, rename, fsync dir). */
int state_write_atomic(const char *dir, const char *name, const char *text, struct errinfo *e);
/* Read DIR/NAME into a malloc'd string (statedir_read()); -ENOENT when absent. */
int state_read(const char *dir, const char *name, char **text, struct errinfo *e);

#endif
