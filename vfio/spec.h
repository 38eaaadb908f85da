/* SPDX-License-Identifier: GPL-2.0-only */
/* --device BDF[,managed][,vf-token=UUID][,rom=on|off|FILE] */
#ifndef VFIO_SPEC_H
#define VFIO_SPEC_H

#include <stdbool.h>

#include "config_shadow.h"
#include "errinfo.h"

struct vfio_pci_spec {
	char bdf[16];
	bool managed;
	char vf_token[37]; /* "" when none */
	enum vfio_rom_mode rom;
	char rom_file[512];
};

/* Parse and validate (BDF canonical, token a UUID); -EINVAL names the bad part. */
int vfio_pci_spec_parse(const char *spec, struct vfio_pci_spec *s, struct errinfo *e);

#endif
