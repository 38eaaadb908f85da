/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a VM took from the host: STATE_DIR/vms/<NAME>, one file per VM.
 *
 * vfvm writes it before it moves a managed device (and every IOMMU-group
 * member that moves with it) and rewrites it whenever what the VM holds
 * changes (hot-plug add and remove, a give-back); the file goes away once
 * the VM holds nothing.  So after a SIGKILL, a crash or an abort the file
 * lists exactly what is left off its host drivers, and `vfctl restore --vm
 * NAME` (or `--dead-vms`) gives each device back to the driver it was on.
 *
 * The file is text, one KEY=VALUE a line (written atomically and fsync'd
 * through statedir.h):
 *
 *	version=1
 *	name=web1
 *	pid=4242
 *	start=1234567            (the process's start time, /proc/PID/stat)
 *	device=0000:01:00.2 driver=nvme override= with=0000:01:00.2
 *
 * `with` is the --device BDF whose IOMMU group the device moved with (the
 * device itself for the one named).  Unknown keys are skipped (a later
 * version's); a malformed line is refused naming the file and line.
 */
#ifndef HOST_VM_RECORD_H
#define HOST_VM_RECORD_H

#include <stdbool.h>

#include "errinfo.h"
#include "pci_addr.h"
#include "pci_dev.h"

#define VM_RECORD_DIR "vms"
#define VM_NAME_MAX 64
/* Devices one record may list (a VM with many groups of many functions). */
#define VM_RECORD_MAX_DEVS 1024

struct vm_record_dev {
	char bdf[BDF_LEN];
	char driver[PCIDEV_NAME_MAX]; /* the driver it was taken from, "" none */
	char override[PCIDEV_NAME_MAX]; /* its driver_override then, "" none */
	char with[BDF_LEN]; /* the device whose group it moved with */
};

struct vm_record {
	char name[VM_NAME_MAX];
	long pid;
	unsigned long long start; /* 0: unknown (then the pid alone decides) */
	int n;
	struct vm_record_dev *devs; /* malloc'd */
};

/*
 * A VM name: 1-63 of A-Z a-z 0-9 _ . : @ + - starting with a letter or
 * digit (systemd instance names fit; it is a file name in the state dir).
 */
bool vm_name_valid(const char *name);

/* The text of a record; @path names the file in messages. */
int vm_record_parse(const char *text, const char *path, struct vm_record *r, struct errinfo *e);
/* The record as text (malloc'd *text); -EINVAL for a record that would not parse back. */
int vm_record_format(const struct vm_record *r, char **text, struct errinfo *e);
void vm_record_free(struct vm_record *r);

/* STATE_DIR/vms/NAME; -ENOENT (message set) when there is none. */
int vm_record_load(const char *state_dir, const char *name, struct vm_record *r, struct errinfo *e);
/* Write it atomically and durably (replacing the VM's earlier one). */
int vm_record_save(const char *state_dir, const struct vm_record *r, struct errinfo *e);
/* Drop STATE_DIR/vms/NAME: 1 dropped, 0 there was none. */
int vm_record_remove(const char *state_dir, const char *name, struct errinfo *e);
/* Names of every record, sorted; free() *names. */
int vm_record_list(const char *state_dir, char (**names)[VM_NAME_MAX], int *n, struct errinfo *e);

/* Whether the vfvm that wrote @r still runs (same pid, same start time, not a zombie). */
bool vm_record_running(const struct vm_record *r);
/* The start time of process @pid (/proc/PID/stat field 22); 0 when unknown. */
unsigned long long vm_process_start(long pid);

/* The index of @bdf in @r, -1 when it is not listed. */
int vm_record_find(const struct vm_record *r, const char *bdf);
/*
 * The record that lists @bdf into *r (free it): 1 found, 0 none (records
 * that do not load are passed over: vfctl restore --dead-vms reports them).
 */
int vm_record_holder(const char *state_dir, const char *bdf, struct vm_record *r,
		     struct errinfo *e);
/*
 * @bdf is back on its host driver (vfctl restore): out of @r and of its
 * file, which goes away when it lists nothing more.
 */
int vm_record_forget(const char *state_dir, struct vm_record *r, const char *bdf,
		     struct errinfo *e);

/*
 * A running VMM's own record, kept in step with what it holds (every call
 * may come from any thread).
 *
 * begin: refuses (-EEXIST, with what to do) a NAME another record holds -
 * a VM of that name runs, or one died and left devices behind; writes
 * nothing yet.  take: add devices, written before the caller moves them.
 * given_back: drop one (a device given back, a take rolled back); the file
 * is removed when nothing is left.  end: free it (a file still listing
 * devices stays, for vfctl restore --vm).
 */
struct vm_record_live;
int vm_record_begin(const char *state_dir, const char *name, struct vm_record_live **out,
		    struct errinfo *e);
int vm_record_take(struct vm_record_live *l, const struct vm_record_dev *devs, int n,
		   struct errinfo *e);
int vm_record_given_back(struct vm_record_live *l, const char *bdf, struct errinfo *e);
const char *vm_record_name(const struct vm_record_live *l);
/* How many devices it lists now. */
int vm_record_count(struct vm_record_live *l);
void vm_record_end(struct vm_record_live *l);

#endif
