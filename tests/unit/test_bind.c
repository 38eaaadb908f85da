// SPDX-License-Identifier: GPL-2.0-only
/*
 * Driver moves against temp-dir trees.  A plain directory does not act like
 * the kernel, which is exactly what exercises the read-back and rollback:
 * the writes land, the driver link does not change, and bind must notice,
 * undo driver_override and forget what it remembered.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "bind.h"
#include "helpers/sriov_tree.h"

#define VF "0000:01:10.0"
#define NIC "0000:02:00.0"

struct fixture {
	char root[256];
	char state[300];
};

static int setup(void **state)
{
	struct stree_dev vf = {VF, NULL, 0x8086, 0x10ca, 0x020000, "igbvf", 10};
	struct stree_dev nic = {NIC, NULL, 0x8086, 0x10d3, 0x020000, "e1000e", 11};
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || stree_new(f->root, sizeof(f->root)) || stree_add_dev(f->root, &vf) ||
	    stree_add_dev(f->root, &nic))
		return -1;
	stree_mkdir(f->root, "/sys/bus/pci/drivers/vfio-pci");
	stree_write(f->root, "/sys/bus/pci/drivers/vfio-pci/bind", "");
	snprintf(f->state, sizeof(f->state), "%s/state", f->root);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	stree_free(f->root);
	free(f);
	return 0;
}

static void missing_driver_says_modprobe(void **state)
{
	struct fixture *f = *state;
	struct pci_bind_saved s;
	struct errinfo e;
	char path[512];

	snprintf(path, sizeof(path), "%s/sys/bus/pci/drivers/vfio-pci", f->root);
	stree_free(path);
	assert_int_equal(pci_bind_take(f->root, f->state, VF, "vfio-pci", 0, &s, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "driver vfio-pci is not loaded"));
	assert_string_equal(e.hint, "load it first: modprobe vfio-pci");
	/* Nothing changed, nothing remembered. */
	snprintf(path, sizeof(path), "%s/drivers/%s", f->state, VF);
	assert_int_equal(access(path, F_OK), -1);
}

static void failed_probe_rolls_back(void **state)
{
	struct fixture *f = *state;
	struct pci_bind_saved s;
	char buf[64], path[512];
	struct errinfo e;

	assert_int_equal(pci_bind_take(f->root, f->state, VF, "vfio-pci", 0, &s, &e), -EIO);
	assert_non_null(strstr(e.msg, VF " did not bind to vfio-pci: its driver is now igbvf"));
	assert_non_null(strstr(e.hint, VF " was given back to igbvf"));
	assert_false(s.changed);
	/* The unbind and probe were asked for, in that order of files. */
	stree_read(f->root, "/sys/bus/pci/drivers/igbvf/unbind", buf, sizeof(buf));
	assert_string_equal(buf, VF);
	stree_read(f->root, "/sys/bus/pci/drivers_probe", buf, sizeof(buf));
	assert_string_equal(buf, VF);
	/* Rollback cleared driver_override (it was unset) and forgot the record. */
	stree_read(f->root, "/sys/bus/pci/devices/" VF "/driver_override", buf, sizeof(buf));
	assert_int_equal(buf[0], '\n');
	snprintf(path, sizeof(path), "%s/drivers/%s", f->state, VF);
	assert_int_equal(access(path, F_OK), -1);
}

/* The probe write itself fails (here: drivers_probe is a directory): its errno is named. */
static void probe_errno_is_named(void **state)
{
	struct fixture *f = *state;
	struct pci_bind_saved s;
	struct errinfo e;
	char buf[64], path[512];

	/* The tree has it as a plain file: replace it with a directory. */
	snprintf(path, sizeof(path), "%s/sys/bus/pci/drivers_probe", f->root);
	assert_int_equal(remove(path), 0);
	assert_int_equal(stree_mkdir(f->root, "/sys/bus/pci/drivers_probe"), 0);
	assert_int_equal(pci_bind_take(f->root, f->state, VF, "vfio-pci", 0, &s, &e), -EIO);
	assert_non_null(strstr(e.msg, "its driver is now igbvf (drivers_probe answered: Is a "
				      "directory)"));
	stree_read(f->root, "/sys/bus/pci/devices/" VF "/driver_override", buf, sizeof(buf));
	assert_int_equal(buf[0], '\n');
}

static void already_bound_is_noop_and_give_back_too(void **state)
{
	struct fixture *f = *state;
	struct pci_bind_saved s;
	char buf[64];

	assert_int_equal(pci_bind_take(f->root, f->state, VF, "igbvf", 0, &s, NULL), 0);
	assert_false(s.changed);
	assert_string_equal(s.driver, "igbvf");
	assert_int_equal(pci_bind_give_back(f->root, f->state, &s, NULL), 0);
	stree_read(f->root, "/sys/bus/pci/devices/" VF "/driver_override", buf, sizeof(buf));
	assert_string_equal(buf, "(null)\n");
}

static void host_use_refused_unless_forced(void **state)
{
	struct fixture *f = *state;
	struct pci_bind_saved s;
	char dir[512], rel[600];
	struct errinfo e;

	stree_dev_dir(f->root, NIC, dir, sizeof(dir));
	snprintf(rel, sizeof(rel), "%s/net/eno1", dir);
	stree_mkdir(f->root, rel);
	stree_write(f->root, "/sys/class/net/eno1/flags", "0x1003\n");
	stree_write(f->root, "/proc/net/route",
		    "Iface\tDestination\tGateway\tFlags\n"
		    "eno1\t0000A8C0\t00000000\t0001\n");
	assert_int_equal(pci_bind_take(f->root, f->state, NIC, "vfio-pci", 0, &s, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "in use by the host: interface eno1 is up and routes"));
	assert_non_null(strstr(e.hint, "ip link set eno1 down"));
	/* Forced: it gets past the refusal (and then fails the read-back here). */
	assert_int_equal(pci_bind_take(f->root, f->state, NIC, "vfio-pci", PCI_BIND_FORCE, &s, &e),
			 -EIO);
	/* Dry run with force: every check passes, nothing written. */
	stree_write(f->root, "/sys/bus/pci/drivers_probe", "");
	assert_int_equal(pci_bind_take(f->root, f->state, NIC, "vfio-pci",
				       PCI_BIND_FORCE | PCI_BIND_DRY_RUN, &s, &e),
			 0);
	assert_false(s.changed);
	{
		char buf[16];

		stree_read(f->root, "/sys/bus/pci/drivers_probe", buf, sizeof(buf));
		assert_string_equal(buf, "");
	}
}

static void pf_with_vfs_refused_for_vfio(void **state)
{
	struct fixture *f = *state;
	struct pci_bind_saved s;
	struct errinfo e;

	stree_dev_attr(f->root, NIC, "sriov_totalvfs", "7\n");
	stree_dev_attr(f->root, NIC, "sriov_numvfs", "2\n");
	assert_int_equal(pci_bind_take(f->root, f->state, NIC, "vfio-pci", PCI_BIND_FORCE, &s, &e),
			 -EBUSY);
	assert_non_null(strstr(e.msg, "SR-IOV PF with 2 VFs enabled"));
	assert_string_equal(e.hint, "remove its VFs first: vfctl vfs " NIC " 0");
}

/* Two functions sharing IOMMU group 12; the second carries the host's route. */
static void group_refused_as_a_whole_and_dry_run_lists_moves(void **state)
{
	struct stree_dev a = {"0000:03:00.0", NULL, 0x8086, 0x100e, 0x020000, "e1000", 12};
	struct stree_dev b = {"0000:03:00.1", NULL, 0x8086, 0x100e, 0x020000, "e1000", 12};
	struct fixture *f = *state;
	struct pci_bind_saved *saved = NULL;
	char dir[512], rel[600], buf[64];
	struct errinfo e;
	int n = -1;

	assert_int_equal(stree_add_dev(f->root, &a), 0);
	assert_int_equal(stree_add_dev(f->root, &b), 0);
	stree_dev_dir(f->root, b.bdf, dir, sizeof(dir));
	snprintf(rel, sizeof(rel), "%s/net/eno2", dir);
	stree_mkdir(f->root, rel);
	stree_write(f->root, "/sys/class/net/eno2/flags", "0x1003\n");
	stree_write(f->root, "/proc/net/route",
		    "Iface\tDestination\tGateway\tFlags\n"
		    "eno2\t00000000\t0102A8C0\t0003\n");
	stree_write(f->root, "/sys/bus/pci/drivers_probe", "");

	/* The member the host uses blocks the whole group before anything moves. */
	assert_int_equal(pci_bind_group(f->root, f->state, a.bdf, "vfio-pci", 0, &saved, &n, &e),
			 -EBUSY);
	assert_null(saved);
	assert_non_null(strstr(e.msg, "IOMMU group 12"));
	assert_non_null(strstr(e.msg, "0000:03:00.1"));
	assert_non_null(strstr(e.msg, "eno2"));
	stree_read(f->root, "/sys/bus/pci/devices/0000:03:00.0/driver_override", buf, sizeof(buf));
	assert_string_equal(buf, "(null)\n");

	/* Dry run (forced): the plan names both endpoints and their drivers, writes nothing. */
	assert_int_equal(pci_bind_group(f->root, f->state, a.bdf, "vfio-pci",
					PCI_BIND_FORCE | PCI_BIND_DRY_RUN, &saved, &n, &e),
			 0);
	assert_int_equal(n, 2);
	assert_string_equal(saved[0].bdf, "0000:03:00.0");
	assert_string_equal(saved[0].driver, "e1000");
	assert_string_equal(saved[1].bdf, "0000:03:00.1");
	assert_false(saved[1].changed);
	free(saved);
	stree_read(f->root, "/sys/bus/pci/drivers_probe", buf, sizeof(buf));
	assert_string_equal(buf, "");
}

struct note_log {
	int calls, ret;
	int n;
	struct pci_bind_saved plan[4];
	char probe_at_note[64]; /* drivers_probe as the note saw it: nothing written yet */
	const char *root;
};

static int note_plan(void *opaque, const struct pci_bind_saved *plan, int n, struct errinfo *e)
{
	struct note_log *l = opaque;

	l->calls++;
	l->n = n;
	memcpy(l->plan, plan, sizeof(*plan) * (size_t)(n < 4 ? n : 4));
	stree_read(l->root, "/sys/bus/pci/drivers_probe", l->probe_at_note,
		   sizeof(l->probe_at_note));
	if (l->ret)
		return err_set(e, -l->ret, "cannot write it down");
	return 0;
}

/*
 * pci_bind_group_noted(): the note gets every member that will move, with
 * its driver and override as they are, before the first write; a note that
 * fails stops the group with nothing changed.
 */
static void group_noted_before_anything_moves(void **state)
{
	struct stree_dev a = {"0000:03:00.0", NULL, 0x8086, 0x100e, 0x020000, "e1000", 12};
	struct stree_dev b = {"0000:03:00.1", NULL, 0x8086, 0x100e, 0x020000, "e1000", 12};
	struct fixture *f = *state;
	struct pci_bind_saved *saved = NULL, s;
	struct note_log l = {.ret = -ENOSPC, .root = f->root};
	char buf[64];
	struct errinfo e;
	int n = -1;

	assert_int_equal(stree_add_dev(f->root, &a), 0);
	assert_int_equal(stree_add_dev(f->root, &b), 0);
	stree_write(f->root, "/sys/bus/pci/devices/0000:03:00.1/driver_override", "e1000\n");
	stree_write(f->root, "/sys/bus/pci/drivers_probe", "");

	assert_int_equal(pci_bind_group_noted(f->root, f->state, a.bdf, "vfio-pci", 0, note_plan,
					      &l, &saved, &n, &e),
			 -ENOSPC);
	assert_string_equal(e.msg, "cannot write it down");
	assert_null(saved);
	assert_int_equal(l.calls, 1);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.plan[0].bdf, a.bdf);
	assert_string_equal(l.plan[0].driver, "e1000");
	assert_string_equal(l.plan[0].override, "");
	assert_string_equal(l.plan[0].with, a.bdf);
	assert_string_equal(l.plan[1].bdf, b.bdf);
	assert_string_equal(l.plan[1].override, "e1000");
	assert_string_equal(l.plan[1].with, a.bdf);
	/* nothing was written, nothing remembered */
	stree_read(f->root, "/sys/bus/pci/devices/0000:03:00.0/driver_override", buf, sizeof(buf));
	assert_string_equal(buf, "(null)\n");
	stree_read(f->root, "/sys/bus/pci/drivers_probe", buf, sizeof(buf));
	assert_string_equal(buf, "");
	assert_int_equal(pci_bind_state_read(f->state, a.bdf, &s, &e), -ENOENT);

	/* a note that works: called before the first write (a plain tree then fails the read-back)
	 */
	l.ret = 0;
	l.calls = 0;
	assert_int_equal(pci_bind_group_noted(f->root, f->state, a.bdf, "vfio-pci", 0, note_plan,
					      &l, &saved, &n, &e),
			 -EIO);
	assert_int_equal(l.calls, 1);
	assert_string_equal(l.probe_at_note, "");
}

/* A group member's record names the device it moved with; a bad one is refused. */
static void record_with_key(void **state)
{
	struct fixture *f = *state;
	struct pci_bind_saved s;
	struct errinfo e;

	assert_int_equal(stree_write(f->root, "/state/drivers/" VF,
				     "driver=igbvf\noverride=\nwith=0000:01:00.0\n"),
			 0);
	chmod(f->state, 0700);
	assert_int_equal(pci_bind_state_read(f->state, VF, &s, &e), 0);
	assert_string_equal(s.with, "0000:01:00.0");
	assert_int_equal(stree_write(f->root, "/state/drivers/" VF,
				     "driver=igbvf\noverride=\nwith=../../x\n"),
			 0);
	assert_int_equal(pci_bind_state_read(f->state, VF, &s, &e), -EINVAL);
	assert_non_null(
		strstr(e.msg, "/state/drivers/" VF ":3: with \"../../x\" is not a canonical"));
	assert_string_equal(s.with, "");
}

static void state_remembered_first_move_wins(void **state)
{
	struct fixture *f = *state;
	struct pci_bind_saved s;
	char(*list)[BDF_LEN];
	struct errinfo e;
	int n;

	/* A record left by an earlier move (host driver igbvf). */
	stree_write(f->root, "/state/drivers/" VF, "driver=igbvf\noverride=\n");
	stree_write(f->root, "/state/drivers/junk", "driver=x\n");
	assert_int_equal(pci_bind_state_read(f->state, VF, &s, &e), 0);
	assert_string_equal(s.driver, "igbvf");
	assert_string_equal(s.override, "");
	assert_true(s.changed);
	assert_int_equal(pci_bind_state_list(f->state, &list, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0], VF);
	free(list);
	assert_int_equal(pci_bind_state_read(f->state, NIC, &s, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "no original driver remembered for " NIC));
}

static void unbind_remembers_and_restore_reads(void **state)
{
	struct fixture *f = *state;
	struct pci_bind_saved s;
	char buf[128];
	struct errinfo e;

	assert_int_equal(pci_unbind(f->root, f->state, VF, 0, &s, &e), 0);
	assert_true(s.changed);
	stree_read(f->root, "/sys/bus/pci/drivers/igbvf/unbind", buf, sizeof(buf));
	assert_string_equal(buf, VF);
	stree_read(f->root, "/state/drivers/" VF, buf, sizeof(buf));
	assert_string_equal(buf, "driver=igbvf\noverride=\n");
	/*
	 * The tree kept the driver link, so restore finds igbvf in place: it only
	 * puts driver_override back (it was unset) and forgets the record.
	 */
	assert_int_equal(pci_restore(f->root, f->state, VF, &s, &e), 0);
	assert_string_equal(s.driver, "igbvf");
	stree_read(f->root, "/sys/bus/pci/devices/" VF "/driver_override", buf, sizeof(buf));
	assert_int_equal(buf[0], '\n');
	assert_int_equal(stree_read(f->root, "/state/drivers/" VF, buf, sizeof(buf)), -1);
	assert_int_equal(pci_restore(f->root, f->state, VF, &s, &e), -ENOENT);
}

static void forget_drops_only_that_record(void **state)
{
	struct fixture *f = *state;
	struct pci_bind_saved s;
	char buf[128];
	struct errinfo e;

	stree_write(f->root, "/state/drivers/" VF, "driver=igbvf\noverride=\n");
	stree_write(f->root, "/state/drivers/" NIC, "driver=e1000e\noverride=\n");
	assert_int_equal(pci_bind_forget(f->state, VF, &e), 1);
	assert_int_equal(stree_read(f->root, "/state/drivers/" VF, buf, sizeof(buf)), -1);
	assert_int_equal(pci_bind_state_read(f->state, VF, &s, &e), -ENOENT);
	/* Nothing left to forget is not an error. */
	assert_int_equal(pci_bind_forget(f->state, VF, &e), 0);
	/* The neighbour keeps its record. */
	assert_int_equal(pci_bind_state_read(f->state, NIC, &s, &e), 0);
	assert_string_equal(s.driver, "e1000e");
	/* Only a canonical BDF is a record name: no path tricks, no short forms. */
	assert_int_equal(pci_bind_forget(f->state, "02:00.0", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "\"02:00.0\" is not a canonical PCI address"));
	assert_int_equal(pci_bind_forget(f->state, "../drivers/" NIC, &e), -EINVAL);
	assert_int_equal(pci_bind_state_read(f->state, NIC, &s, &e), 0);
}

/* A record that cannot be removed (here a directory in its place) is an error naming it. */
static void forget_failure_names_the_file(void **state)
{
	struct fixture *f = *state;
	struct errinfo e;

	assert_int_equal(stree_write(f->root, "/state/drivers/" VF "/x", ""), 0);
	assert_int_equal(pci_bind_forget(f->state, VF, &e), -EISDIR);
	assert_non_null(strstr(e.msg, "cannot forget the remembered driver of " VF));
	assert_non_null(strstr(e.msg, "/state/drivers/" VF));
	assert_non_null(strstr(e.msg, "(errno 21)"));
	assert_non_null(strstr(e.hint, "remove that file by hand"));
}

/* ---- the state dir under attack ---- */

static void path_of(const struct fixture *f, const char *rel, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", f->root, rel);
}

/*
 * A symlink planted where vfctl used to write its temp file (and at the
 * name it would try first now) must not be followed: the file it points to
 * keeps its content, the record is written anyway.
 */
static void symlink_at_tmp_path_not_followed(void **state)
{
	struct fixture *f = *state;
	char victim[512], link1[512], link2[600], buf[128], rel[128];
	struct pci_bind_saved s;
	struct errinfo e;
	struct stat st;

	path_of(f, "/victim", victim, sizeof(victim));
	assert_int_equal(stree_write(f->root, "/victim", "precious\n"), 0);
	assert_int_equal(stree_mkdir(f->root, "/state/drivers"), 0);
	path_of(f, "/state/drivers/" VF ".tmp", link1, sizeof(link1));
	snprintf(link2, sizeof(link2), "%s.%d", link1, (int)getpid());
	assert_int_equal(symlink(victim, link1), 0);
	assert_int_equal(symlink(victim, link2), 0);

	assert_int_equal(pci_unbind(f->root, f->state, VF, 0, &s, &e), 0);
	stree_read(f->root, "/victim", buf, sizeof(buf));
	assert_string_equal(buf, "precious\n");
	assert_int_equal(lstat(link1, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(lstat(link2, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	snprintf(rel, sizeof(rel), "/state/drivers/%s", VF);
	stree_read(f->root, rel, buf, sizeof(buf));
	assert_string_equal(buf, "driver=igbvf\noverride=\n");
	path_of(f, rel, link1, sizeof(link1));
	assert_int_equal(lstat(link1, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);

	/* A symlink as the record itself is not read through either. */
	assert_int_equal(unlink(link1), 0);
	assert_int_equal(symlink(victim, link1), 0);
	assert_int_equal(pci_bind_state_read(f->state, VF, &s, &e), -ELOOP);
	assert_non_null(strstr(e.msg, "/state/drivers/" VF " is a symbolic link"));
}

/* A fresh state dir and its drivers/ are private to root. */
static void state_dirs_created_private(void **state)
{
	struct fixture *f = *state;
	struct pci_bind_saved s;
	char path[512];
	struct errinfo e;
	struct stat st;

	umask(0);
	assert_int_equal(pci_unbind(f->root, f->state, VF, 0, &s, &e), 0);
	umask(022);
	assert_int_equal(stat(f->state, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	path_of(f, "/state/drivers", path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
}

static void nothing_unbound(const struct fixture *f)
{
	char buf[64];

	stree_read(f->root, "/sys/bus/pci/drivers/igbvf/unbind", buf, sizeof(buf));
	assert_string_equal(buf, "");
}

static void writable_state_dir_refused(void **state)
{
	struct fixture *f = *state;
	struct pci_bind_saved s;
	char path[512], want[600];
	struct errinfo e;

	assert_int_equal(stree_mkdir(f->root, "/state/drivers"), 0);
	assert_int_equal(chmod(f->state, 0777), 0);
	assert_int_equal(pci_unbind(f->root, f->state, VF, 0, &s, &e), -EPERM);
	snprintf(want, sizeof(want), "state directory %s is writable by others (mode 0777)",
		 f->state);
	assert_non_null(strstr(e.msg, want));
	snprintf(want, sizeof(want), "chmod 0700 %s", f->state);
	assert_string_equal(e.hint, want);
	nothing_unbound(f);
	/* Readers refuse it too: its records could name any driver. */
	assert_int_equal(pci_bind_state_read(f->state, VF, &s, &e), -EPERM);

	/* The subdirectory is checked the same way. */
	assert_int_equal(chmod(f->state, 0755), 0);
	path_of(f, "/state/drivers", path, sizeof(path));
	assert_int_equal(chmod(path, 0770), 0);
	assert_int_equal(pci_unbind(f->root, f->state, VF, 0, &s, &e), -EPERM);
	snprintf(want, sizeof(want), "state directory %s is writable by its group", path);
	assert_non_null(strstr(e.msg, want));
	nothing_unbound(f);
}

static void foreign_state_dir_refused(void **state)
{
	struct fixture *f = *state;
	struct pci_bind_saved s;
	char want[600];
	struct errinfo e;

	if (geteuid() != 0)
		skip(); /* only root can give a directory away */
	assert_int_equal(stree_mkdir(f->root, "/state"), 0);
	assert_int_equal(chown(f->state, 65534, 65534), 0);
	assert_int_equal(pci_unbind(f->root, f->state, VF, 0, &s, &e), -EPERM);
	snprintf(want, sizeof(want), "state directory %s is owned by uid 65534", f->state);
	assert_non_null(strstr(e.msg, want));
	snprintf(want, sizeof(want), "chown 0 %s", f->state);
	assert_non_null(strstr(e.hint, want));
	nothing_unbound(f);
	assert_int_equal(pci_bind_forget(f->state, VF, &e), -EPERM);
}

static void symlinked_state_dir_refused(void **state)
{
	struct fixture *f = *state;
	char link[512], slash[600], want[700];
	struct pci_bind_saved s;
	struct errinfo e;

	assert_int_equal(stree_mkdir(f->root, "/state"), 0);
	path_of(f, "/state-link", link, sizeof(link));
	assert_int_equal(symlink(f->state, link), 0);
	assert_int_equal(pci_unbind(f->root, link, VF, 0, &s, &e), -ELOOP);
	snprintf(want, sizeof(want), "state directory %s is a symbolic link", link);
	assert_non_null(strstr(e.msg, want));
	assert_non_null(strstr(e.hint, "readlink -f"));
	/* A trailing slash does not sneak past. */
	snprintf(slash, sizeof(slash), "%s/", link);
	assert_int_equal(pci_unbind(f->root, slash, VF, 0, &s, &e), -ELOOP);
	nothing_unbound(f);
}

/* A record whose values would not be driver names is refused naming file and line. */
static void malformed_record_refused(void **state)
{
	static const char *const bad[] = {
		"driver=../../../../devices/0000:02:00.0\noverride=\n",
		"driver=igbvf\noverride=a/b\n",
		"driver=igbvf\ngarbage\n",
	};
	static const char *const where[] = {":1: driver", ":2: override", ":2: expected KEY=VALUE"};
	struct fixture *f = *state;
	struct pci_bind_saved s;
	char want[600];
	struct errinfo e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(stree_write(f->root, "/state/drivers/" VF, bad[i]), 0);
		assert_int_equal(pci_bind_state_read(f->state, VF, &s, &e), -EINVAL);
		snprintf(want, sizeof(want), "%s/drivers/" VF "%s", f->state, where[i]);
		if (!strstr(e.msg, want))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, e.msg, want);
		assert_string_equal(s.driver, "");
		/* restore never acts on it. */
		assert_int_equal(pci_restore(f->root, f->state, VF, &s, &e), -EINVAL);
		nothing_unbound(f);
	}
	/* A later version's key is no error. */
	assert_int_equal(stree_write(f->root, "/state/drivers/" VF, "driver=igbvf\nnew=1\n"), 0);
	assert_int_equal(pci_bind_state_read(f->state, VF, &s, &e), 0);
	assert_string_equal(s.driver, "igbvf");
	/* Nor is a BDF that is not canonical ever made into a path. */
	assert_int_equal(pci_bind_state_read(f->state, "../" VF, &s, &e), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(missing_driver_says_modprobe, setup, teardown),
		cmocka_unit_test_setup_teardown(failed_probe_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(probe_errno_is_named, setup, teardown),
		cmocka_unit_test_setup_teardown(already_bound_is_noop_and_give_back_too, setup,
						teardown),
		cmocka_unit_test_setup_teardown(host_use_refused_unless_forced, setup, teardown),
		cmocka_unit_test_setup_teardown(pf_with_vfs_refused_for_vfio, setup, teardown),
		cmocka_unit_test_setup_teardown(group_refused_as_a_whole_and_dry_run_lists_moves,
						setup, teardown),
		cmocka_unit_test_setup_teardown(group_noted_before_anything_moves, setup, teardown),
		cmocka_unit_test_setup_teardown(record_with_key, setup, teardown),
		cmocka_unit_test_setup_teardown(state_remembered_first_move_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(unbind_remembers_and_restore_reads, setup,
						teardown),
		cmocka_unit_test_setup_teardown(forget_drops_only_that_record, setup, teardown),
		cmocka_unit_test_setup_teardown(forget_failure_names_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(symlink_at_tmp_path_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(state_dirs_created_private, setup, teardown),
		cmocka_unit_test_setup_teardown(writable_state_dir_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(foreign_state_dir_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(symlinked_state_dir_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed_record_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
