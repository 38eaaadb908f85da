/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VFIO PCI passthrough, as the vfvm core calls it.  Implemented in vfio/
 * (the passthrough device model); a weak stub in src/dev_stubs.c returns
 * -ENOSYS with a "not built" message until then.
 */
#ifndef VFVM_VFIO_PCI_H
#define VFVM_VFIO_PCI_H

#include "errinfo.h"

struct vm;

/*
 * --device BDF[,managed][,vf-token=UUID][,rom=on|off|FILE]: open the
 * device, DMA-map guest RAM and register a PCI function on vm->pci.
 * Called after vm_create() and before vm_run(), on the main thread.
 */
int vfio_pci__add(struct vm *vm, const char *spec, struct errinfo *e);

/*
 * Release every passed-through device (reset, unmap, give managed devices
 * back to their host drivers).  Called once on every vfvm exit path after
 * the vCPUs stopped; must be safe when nothing was added.
 */
void vfio_pci__release_all(struct vm *vm);

#endif
