/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Device ids given on the command line (id=NAME in a --net, --disk, ...
 * SPEC): the name users and the control API call a PCI function by
 * (struct pci_dev.id).  One rule for every device: 1 to PCI_DEV_ID_MAX - 1
 * characters of [A-Za-z0-9_.-], starting with a letter, so an id never
 * looks like a BDF, a number or an option and needs no quoting in JSON or
 * a shell.
 */
#ifndef DEVICES_DEV_ID_H
#define DEVICES_DEV_ID_H

#include <stdbool.h>
#include <stddef.h>

#include "errinfo.h"
#include "pci.h"

/* Whether @s (@len bytes, not NUL-terminated) is a valid id. */
bool dev_id_valid(const char *s, size_t len);

/*
 * Store the value of "id=..." (@val, @len bytes) in @id; -EINVAL naming
 * @flag, @spec and the bad value (with the rule as hint) when it is not
 * valid.
 */
int dev_id_parse(const char *flag, const char *spec, const char *val, size_t len,
		 char id[PCI_DEV_ID_MAX], struct errinfo *e);

#endif
