/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Moving a PCI device between drivers, the way that cannot leave it silently
 * driverless: driver_override = DRIVER, unbind from the current driver,
 * drivers_probe, then read the driver link back.  On a failed read-back the
 * device is rolled back to its original driver and driver_override.
 *
 * The original driver is remembered in STATE_DIR/drivers/<BDF> (first move
 * wins, so bind A then bind B still restores the host driver) and removed
 * when the device is given back.  Members of an IOMMU group moved as one
 * (pci_bind_group) also remember the device named (with=BDF), so that
 * restoring any of them restores the group.
 *
 * API for the VMM (vfvm) to take a device for passthrough and give it back:
 *
 *	struct pci_bind_saved saved;
 *	ret = pci_bind_take(root, state_dir, "0000:01:10.0", "vfio-pci", 0, &saved, &err);
 *	... open /dev/vfio/<group>, run the VM ...
 *	ret = pci_bind_give_back(root, state_dir, &saved, &err);
 *
 * take refuses (-EBUSY) a device the host is using (hostuse.h) unless
 * PCI_BIND_FORCE; -ENOENT names the missing driver ("modprobe vfio-pci").
 * give_back does nothing when take found the device already on the driver
 * (saved.changed == false), so a VMM can call it unconditionally.
 */
#ifndef HOST_BIND_H
#define HOST_BIND_H

#include <stdbool.h>

#include "errinfo.h"
#include "hostuse.h"
#include "pci_addr.h"
#include "pci_dev.h"

#define PCI_BIND_FORCE 0x1 /* take a device the host is using */
#define PCI_BIND_DRY_RUN 0x2 /* check everything, change nothing */

struct pci_bind_saved {
	char bdf[BDF_LEN];
	char driver[PCIDEV_NAME_MAX]; /* driver before the move, "" for none */
	char override[PCIDEV_NAME_MAX]; /* driver_override before the move, "" for none */
	char with[BDF_LEN]; /* moved with the IOMMU group of this device; "" alone */
	bool changed; /* this call moved the device */
};

/* A driver name as a record may hold it (no '/', no leading '.'): a sysfs path component. */
bool pci_driver_name_valid(const char *s);

/*
 * Bind bdf to driver.  saved describes the state before (also when nothing
 * had to change).  A host-use refusal (-EBUSY) names every use found.
 */
int pci_bind_take(const char *root, const char *state_dir, const char *bdf, const char *driver,
		  unsigned int flags, struct pci_bind_saved *saved, struct errinfo *e);
/* Put the device back as saved describes; forget the remembered driver. */
int pci_bind_give_back(const char *root, const char *state_dir, const struct pci_bind_saved *saved,
		       struct errinfo *e);
/*
 * Every endpoint of bdf's IOMMU group to driver (bridges stay).  *saved gets a
 * malloc'd array of *n entries (free() it).  All-or-nothing: on failure the
 * members already moved are given back.  With PCI_BIND_DRY_RUN nothing
 * moves and *saved lists the endpoints that would, each with its current
 * driver (changed false).
 */
int pci_bind_group(const char *root, const char *state_dir, const char *bdf, const char *driver,
		   unsigned int flags, struct pci_bind_saved **saved, int *n, struct errinfo *e);
/*
 * pci_bind_group() for a VMM that writes down what it takes before it
 * takes it: once every member passed its checks and before the first one
 * moves, @note(@opaque, plan, n) gets the members that will move (bdf,
 * driver and driver_override as they are now, with = @bdf); a failure
 * there (its -errno, @e set) stops the group before anything changed.
 * When the moves fail and are rolled back, @note's members are back where
 * they were.
 */
int pci_bind_group_noted(const char *root, const char *state_dir, const char *bdf,
			 const char *driver, unsigned int flags,
			 int (*note)(void *opaque, const struct pci_bind_saved *plan, int n,
				     struct errinfo *e),
			 void *opaque, struct pci_bind_saved **saved, int *n, struct errinfo *e);
/* Unbind from its driver (the device stays driverless); the original is remembered. */
int pci_unbind(const char *root, const char *state_dir, const char *bdf, unsigned int flags,
	       struct pci_bind_saved *saved, struct errinfo *e);
/* Give bdf back to its remembered driver.  -ENOENT when nothing is remembered. */
int pci_restore(const char *root, const char *state_dir, const char *bdf,
		struct pci_bind_saved *saved, struct errinfo *e);

/* Remembered state of bdf: 0, -ENOENT when none. */
int pci_bind_state_read(const char *state_dir, const char *bdf, struct pci_bind_saved *saved,
			struct errinfo *e);
/*
 * Drop bdf's remembered state: for a device that no longer exists (a VF
 * removed by a VF count change), whose record would otherwise "restore" the
 * next device created at that address.  1 when a record was dropped, 0 when
 * nothing was remembered, -EINVAL for a BDF that is not canonical
 * (0000:01:10.0).
 */
int pci_bind_forget(const char *state_dir, const char *bdf, struct errinfo *e);
/* BDFs with remembered state, sorted; free() *list. */
int pci_bind_state_list(const char *state_dir, char (**list)[BDF_LEN], int *n, struct errinfo *e);

#endif
