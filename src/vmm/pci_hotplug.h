/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * PCI hot-plug of bus-0 slots, ACPI style (what Linux's acpiphp and
 * Windows handle, with no 5 s attention-button wait): the DSDT declares a
 * device per slot with _EJ0, a GPE tells the guest to look, and three
 * registers say which slots changed and take the guest's eject.
 *
 * The guest ejects a slot through _EJ0 (B0EJ) when asked (PCID) or on its
 * own (sysfs); like QEMU, any occupied slot it ejects is removed.
 *
 * I/O ports at PCI_HOTPLUG_PORT (32-bit registers):
 *   +0 PCIU  read: slots with a device plugged since the guest last looked
 *            (reading clears)
 *   +4 PCID  read: slots whose device the host wants back (stays set until
 *            the guest ejects it)
 *   +8 B0EJ  write: a bitmap of slots the guest has let go of (_EJ0)
 * GPE0 bit PCI_HOTPLUG_GPE (ACPI_GPE0_BLK, platform.c) raises the SCI.
 */
#ifndef VMM_PCI_HOTPLUG_H
#define VMM_PCI_HOTPLUG_H

#include <stdbool.h>

#include "errinfo.h"
#include "snap_stream.h"

struct vm;
struct pci_dev;

#define PCI_HOTPLUG_PORT 0x0630
#define PCI_HOTPLUG_LEN 12
#define PCI_HOTPLUG_GPE 1

/*
 * Register the hot-plug registers and the eject handler (after
 * platform__add(), which owns the GPE); the state is freed with the VM.
 * Without it, vm_pci_plug() only registers and unplug is immediate.
 */
int pci_hotplug__add(struct vm *vm, struct errinfo *e);

/*
 * Put @d on bus 0 (in @slot when >= 0, else the first free one), giving it
 * a default id when d->id is empty: before the VM runs this is
 * pci_dev_register(); once it runs (the vCPUs were let go), the guest is
 * told of the new device (PCIU + GPE) and event "device-added" is sent:
 * then call it on the I/O thread.  -EEXIST when another device has the
 * same id.  Every device model registers through here.
 */
int vm_pci_plug(struct vm *vm, struct pci_dev *d, int slot, struct errinfo *e);
/*
 * Whether vm_pci_plug() would announce a device now (the guest runs and has
 * ACPI hot-plug): such a device goes on bus 0, without a root port.
 */
bool vm_pci_plug_is_hot(struct vm *vm);

/* The device with id @id, or NULL.  Any thread; the pointer is valid on the I/O thread. */
struct pci_dev *vm_pci_find(struct vm *vm, const char *id);

/*
 * Ask the guest to let go of @d (PCID + GPE).  When it ejects the slot,
 * @d is taken off the bus (vCPUs held meanwhile), an event
 * "device-removed" is sent, and d->release(d) runs on the I/O thread.
 * Sends event "unplug-requested".  Before the VM runs (no guest to ask)
 * @d goes at once: off the bus, "device-removed", released.  -ENOENT when
 * @d is not on the bus, -EALREADY when a request is pending already.  I/O
 * thread (or the main thread before vm_run()).
 */
int pci_hotplug__request_unplug(struct vm *vm, struct pci_dev *d, struct errinfo *e);
/* Whether a removal of @d was asked for (or the guest ejected it) and @d is still on the bus. */
bool pci_hotplug__unplug_pending(struct vm *vm, const struct pci_dev *d);

/*
 * Snapshots: PCIU, PCID and the ejects the I/O thread has not handled yet
 * as a "hotplug" section (u32 each).  The load checks them (slots 1..31)
 * and hands pending ejects to the I/O thread.  -ENODEV without
 * pci_hotplug__add().  I/O thread, vCPUs paused or not started.
 */
int pci_hotplug__save(struct vm *vm, struct snap_out *o);
int pci_hotplug__load(struct vm *vm, struct snap_sec *s, const char *what, struct errinfo *e);

#endif
