/* SPDX-License-Identifier: GPL-2.0-only */
/* PCI addresses: parse "0000:01:00.0" / "01:00.0", resolve a netdev name to its device. */
#ifndef LIB_PCI_ADDR_H
#define LIB_PCI_ADDR_H

#include "errinfo.h"

#define BDF_LEN 16 /* "dddd:bb:dd.f" + NUL, with room to spare */

struct bdf {
	unsigned int domain, bus, dev, fn;
};

/* Parse a full or short BDF; out gets the canonical "dddd:bb:dd.f" (lower case). -EINVAL if
 * malformed. */
int bdf_parse(const char *s, struct bdf *addr, char out[BDF_LEN], struct errinfo *e);
void bdf_format(const struct bdf *addr, char out[BDF_LEN]);
/* The last path component that is a BDF ("/sys/devices/.../0000:01:00.0/virtio0/net/x"). */
int bdf_from_path(const char *path, char out[BDF_LEN]);
/*
 * DEV as the user gives it (full BDF, short BDF or netdev name) -> canonical
 * BDF of an existing PCI device under root.  -ENODEV with a hint when it
 * names nothing, -EINVAL when it is neither a BDF nor a plausible name.
 */
int bdf_resolve(const char *root, const char *dev, char out[BDF_LEN], struct errinfo *e);

#endif
