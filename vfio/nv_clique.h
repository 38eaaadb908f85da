/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * NVIDIA's GPUDirect P2P clique capability (--device BDF,gpudirect-clique=N):
 * an 8-byte vendor-specific capability the NVIDIA guest driver reads to learn
 * which GPUs may do peer-to-peer DMA with each other (those with the same
 * clique id); without it the driver assumes a virtual machine's GPUs cannot.
 * Layout as QEMU's x-nv-gpudirect-clique writes it: id 0x09, next, length
 * 8, signature "P2P", clique id in bits 6:3 of byte 6, byte 7 zero; at 0xc8,
 * or 0xd4 when a capability of the device covers 0xc8; read-only.
 */
#ifndef VFIO_NV_CLIQUE_H
#define VFIO_NV_CLIQUE_H

#include "config_shadow.h"
#include "errinfo.h"

#define VFIO_NV_VENDOR 0x10de
#define VFIO_NV_CLIQUE_LEN 8
#define VFIO_CLASS_DISPLAY 0x03 /* PCI base class of GPUs (VGA, 3D, ...) */

/*
 * Add the capability for clique @clique (0-15) to the guest view @c of
 * device @bdf, linked first in the chain.  -EINVAL (named) when the device
 * is not an NVIDIA display-class function, the id is out of range, or both
 * places are taken.  Returns the capability's offset.
 */
int vfio_nv_clique_add(struct vfio_cfg *c, const char *bdf, int clique, struct errinfo *e);

#endif
