/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VFIO REQ: the host wants a passed-through device back (an unbind from
 * vfio-pci, its PF's VF count going to 0).  The device is asked out of the
 * guest through PCI hot-unplug; its release (pci_dev.release, once the
 * guest ejected it) gives it back.
 */
#ifndef VFIO_REQ_H
#define VFIO_REQ_H

#include <stdbool.h>

#include "errinfo.h"

struct vm;
struct pci_dev;

/*
 * Handle one REQ for @d (@bdf for messages), on the I/O thread: send the
 * control-API event "device-req" and ask the guest to let go of the device
 * with @request_unplug (pci_hotplug__request_unplug; a parameter so tests
 * can stand in for it).  When that fails (no hot-plug), stop the VM - the
 * clean way to release the device then.  *@pending notes that a request is
 * out: a REQ while one is pending does nothing more.
 */
void vfio_pci_req(struct vm *vm, struct pci_dev *d, const char *bdf, bool *pending,
		  int (*request_unplug)(struct vm *vm, struct pci_dev *d, struct errinfo *e));

#endif
