/* SPDX-License-Identifier: GPL-2.0-only */
/* What the transport shares with its snapshot code (virtio_snap.c); not for device models. */
#ifndef VFVM_VIRTIO_PCI_PRIV_H
#define VFVM_VIRTIO_PCI_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio_pci.h"

/* Queue @q kicked: through its eventfd (or straight to ops->notify without a VM). */
void virtio_pci_kick(struct virtio_pci *vp, unsigned int q);
/* Whether the driver may move the status from @old to @val (virtio 1.x rules). */
bool virtio_pci_status_legal(uint8_t old, uint8_t val);

#endif
