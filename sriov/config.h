/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Declared configuration: /etc/vfctl.d/NAME.conf, one PF per file.
 *
 *   # comment
 *   [pf]
 *   match = bdf 0000:01:00.0      (or: mac 52:54:00:12:34:56, serial <DSN/NVMe serial>)
 *   numvfs = 4
 *   autoprobe = off               (optional: on/off, sriov_drivers_autoprobe)
 *
 *   [vf 0]
 *   mac = 02:00:00:00:00:01
 *   vlan = 100
 *   qos = 0
 *   proto = 802.1Q
 *   spoofchk = on
 *   trust = off
 *   min_tx_rate = 0
 *   max_tx_rate = 1000
 *   state = auto
 *   query_rss = off
 *   driver = vfio-pci
 *
 * VF link settings are kept as canonical strings (the same words
 * `vfctl set` and `ip link set ... vf N` take), so that planning,
 * the ledger and the netlink layer all compare and pass the same values.
 */
#ifndef SRIOV_CONFIG_H
#define SRIOV_CONFIG_H

#include <stdbool.h>

#include "errinfo.h"

/* VF link settings in the order they are applied (see host-interfaces.md). */
enum vfkey {
	VFKEY_VLAN,
	VFKEY_QOS,
	VFKEY_PROTO,
	VFKEY_MAC,
	VFKEY_MIN_TX_RATE,
	VFKEY_MAX_TX_RATE,
	VFKEY_SPOOFCHK,
	VFKEY_TRUST,
	VFKEY_STATE,
	VFKEY_QUERY_RSS,
	VFKEY_NR,
};

#define CONFIG_VAL_LEN 40
#define CONFIG_DRIVER_LEN 64
#define CONFIG_BDF_LEN 16
/* Highest VF count the PCI SR-IOV capability can describe. */
#define CONFIG_MAX_NUMVFS 65535

enum config_match {
	CONFIG_MATCH_BDF,
	CONFIG_MATCH_MAC, /* PF permanent MAC */
	CONFIG_MATCH_SERIAL, /* PCI Device Serial Number or NVMe serial */
};

struct config_vf {
	int index;
	int line; /* line of the [vf N] header */
	bool has[VFKEY_NR];
	char val[VFKEY_NR][CONFIG_VAL_LEN]; /* canonical value when has[] */
	char driver[CONFIG_DRIVER_LEN]; /* "" = leave the driver alone */
};

struct config_pf {
	char path[256]; /* file it came from */
	enum config_match match;
	char match_val[64]; /* canonical: BDF with domain, lower-case MAC, serial */
	int match_line;
	int numvfs;
	int numvfs_line;
	int autoprobe; /* -1 = not declared, 0/1 */
	struct config_vf *vfs; /* sorted by index, unique */
	int nr_vfs;
};

struct config_set {
	struct config_pf *pfs; /* sorted by file name */
	int nr_pfs;
};

const char *vfkey_name(enum vfkey k);
/* Key name -> enum vfkey, or -1. */
int vfkey_lookup(const char *name);
/*
 * Validate one VF setting value and write its canonical form into out
 * (CONFIG_VAL_LEN bytes).  On error returns -EINVAL and puts what was
 * expected into e (without file/line: callers add that).
 */
int vfkey_canon(enum vfkey k, const char *value, char *out, struct errinfo *e);
/* Canonical BDF ("0000:01:00.0") from "01:00.0" or "0000:01:00.0". */
int config_canon_bdf(const char *in, char *out, struct errinfo *e);

/* Parse one file's text; path is used in messages only. */
int config_parse_text(const char *path, const char *text, struct config_pf *pf, struct errinfo *e);
int config_parse_file(const char *path, struct config_pf *pf, struct errinfo *e);
/*
 * Load every *.conf in dir (other names are ignored, as editors leave
 * backups).  A missing directory is an empty configuration.  Two files
 * naming the same match are a conflict.
 */
int config_load_dir(const char *dir, struct config_set *set, struct errinfo *e);
/* The VF entry for index, or NULL. */
const struct config_vf *config_pf_vf(const struct config_pf *pf, int index);
void config_pf_free(struct config_pf *pf);
void config_set_free(struct config_set *set);

#endif
