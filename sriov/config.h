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
 * A [vf N] section is parsed by the VF settings parser (vf_settings.h), the
 * same one `vfctl set` uses, into a typed struct vf_settings that planning,
 * the ledger and apply pass on as it is.
 */
#ifndef SRIOV_CONFIG_H
#define SRIOV_CONFIG_H

#include <stdbool.h>

#include "errinfo.h"
#include "pci_addr.h"
#include "vf_settings.h"

#define CONFIG_BDF_LEN BDF_LEN
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
	struct vf_settings set; /* what the section declares; no driver = leave it alone */
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
