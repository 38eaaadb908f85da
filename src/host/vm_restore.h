/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Giving back what a VM's record (vm_record.h) lists: each device to the
 * driver it was taken from, the record shrinking to what could not go back
 * (and removed when nothing is left).  One walk for `vfctl restore --vm`
 * and for vfvm's keeper once the VMM process has ended.
 */
#ifndef HOST_VM_RESTORE_H
#define HOST_VM_RESTORE_H

#include <stdbool.h>

#include "errinfo.h"
#include "vm_record.h"

enum vm_restore_event {
	VM_RESTORE_DONE, /* given back (or would be, dry run); @gone: the device no longer exists */
	VM_RESTORE_FAILED, /* not given back: @e says why (@ret its -errno) */
	VM_RESTORE_FORGET_FAILED, /* given back, but the record still lists it: @e */
};

struct vm_restore_cb {
	void (*said)(void *opaque, const struct vm_record *r, const struct vm_record_dev *d,
		     enum vm_restore_event ev, bool gone, int ret, const struct errinfo *e);
	void *opaque;
};

/*
 * Every device of @r back to its driver (nothing changes with @dry_run);
 * @cb hears of each.  Returns 0 when all went back, else the first
 * failure's -errno.  @r ends listing what is left.
 */
int vm_record_restore(const char *sysfs_root, const char *state_dir, struct vm_record *r,
		      bool dry_run, const struct vm_restore_cb *cb);

#endif
