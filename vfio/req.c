// SPDX-License-Identifier: GPL-2.0-only
/* The host asking for a passed-through device back (see req.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "pci.h"
#include "req.h"
#include "vm.h"

void vfio_pci_req(struct vm *vm, struct pci_dev *d, const char *bdf, bool *pending,
		  int (*request_unplug)(struct vm *vm, struct pci_dev *d, struct errinfo *e))
{
	struct errinfo e = {0};
	char why[256];
	int ret;

	if (*pending)
		return;
	*pending = true;
	snprintf(why, sizeof(why), "the host asked for %s back", bdf);
	vm_event(vm, "device-req", d->id, why);
	ret = request_unplug(vm, d, &e);
	if (ret == 0 || ret == -EALREADY)
		return;
	vlog_report(&vm->log, VLOG_WARN, "%s: hot-unplug not possible (%s); stopping the VM", bdf,
		    e.msg[0] ? e.msg : strerror(-ret));
	snprintf(why, sizeof(why), "the host asked for %s back (VFIO REQ); releasing it", bdf);
	vm_request_exit(vm, VM_EXIT_SIGNAL, why);
}
