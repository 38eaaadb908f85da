// SPDX-License-Identifier: GPL-2.0-only
/* A VM's record given back device by device: see vm_restore.h. */
#include <errno.h>
#include <stdio.h>

#include "bind.h"
#include "pci_sysfs.h"
#include "vm_restore.h"

static void say(const struct vm_restore_cb *cb, const struct vm_record *r,
		const struct vm_record_dev *d, enum vm_restore_event ev, bool gone, int ret,
		const struct errinfo *e)
{
	if (cb && cb->said)
		cb->said(cb->opaque, r, d, ev, gone, ret, e);
}

int vm_record_restore(const char *sysfs_root, const char *state_dir, struct vm_record *r,
		      bool dry_run, const struct vm_restore_cb *cb)
{
	int first = 0, i = 0;
	struct errinfo e = {0};

	while (i < r->n) {
		struct vm_record_dev d = r->devs[i];
		struct pci_bind_saved s = {.changed = true};
		char path[SYSFS_PATH_MAX];
		bool gone;
		int ret;

		snprintf(s.bdf, sizeof(s.bdf), "%s", d.bdf);
		snprintf(s.driver, sizeof(s.driver), "%s", d.driver);
		snprintf(s.override, sizeof(s.override), "%s", d.override);
		err_clear(&e);
		sysfs_dev_path(path, sizeof(path), sysfs_root, d.bdf, "");
		gone = !sysfs_exists(path);
		if (dry_run) {
			ret = 0;
		} else if (gone) {
			/* a VF removed since: nothing to give back, nothing to remember */
			pci_bind_forget(state_dir, d.bdf, NULL);
			ret = 0;
		} else {
			ret = pci_bind_give_back(sysfs_root, state_dir, &s, &e);
		}
		if (ret) {
			err_prefix(&e, "VM %s: %s", r->name, d.bdf);
			say(cb, r, &d, VM_RESTORE_FAILED, gone, ret, &e);
			if (!first)
				first = ret;
			i++;
			continue;
		}
		say(cb, r, &d, VM_RESTORE_DONE, gone, 0, NULL);
		if (dry_run) {
			i++;
			continue;
		}
		ret = vm_record_forget(state_dir, r, d.bdf, &e);
		if (ret) {
			say(cb, r, &d, VM_RESTORE_FORGET_FAILED, gone, ret, &e);
			if (!first)
				first = ret;
			i++;
		}
	}
	return first;
}
