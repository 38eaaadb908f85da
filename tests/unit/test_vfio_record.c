// SPDX-License-Identifier: GPL-2.0-only
/*
 * A managed claim and the VM record (vfio_host_opts.record): nothing moves
 * that the record could not list first, and a take that fails (and is rolled
 * back) leaves nothing listed.  The plain temp-dir tree does not act like the
 * kernel, so every move fails its read-back: what is checked here is the
 * record around the take, not the take.
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

#include "helpers/sriov_tree.h"
#include "vfio_pci.h"
#include "vm_record.h"

#define NIC "0000:03:00.0"

struct fixture {
	char root[256];
	char state[300];
	struct vm_record_live *rec;
	struct vfio_host_opts h;
};

static int setup(void **state)
{
	struct stree_dev nic = {NIC, NULL, 0x8086, 0x100e, 0x020000, "e1000", 12};
	struct fixture *f = calloc(1, sizeof(*f));
	struct errinfo e = {0};

	if (!f || stree_new(f->root, sizeof(f->root)) || stree_add_dev(f->root, &nic))
		return -1;
	stree_mkdir(f->root, "/sys/bus/pci/drivers/vfio-pci");
	stree_write(f->root, "/sys/bus/pci/drivers_probe", "");
	snprintf(f->state, sizeof(f->state), "%s/state", f->root);
	if (vm_record_begin(f->state, "web1", &f->rec, &e))
		return -1;
	f->h.sysfs_root = f->root;
	f->h.state_dir = f->state;
	f->h.record = f->rec;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vm_record_end(f->rec);
	stree_free(f->root);
	free(f);
	return 0;
}

/* The take fails and is rolled back: the record lists nothing, its file is gone. */
static void failed_take_leaves_nothing_listed(void **state)
{
	struct fixture *f = *state;
	struct vfio_pci *vp = NULL;
	struct errinfo e = {0};
	char path[400], buf[64];
	struct stat st;

	assert_int_equal(vfio_pci__claim(&f->h, NIC ",managed", &vp, &e), -EIO);
	assert_null(vp);
	/* it got as far as the move: the record was written first */
	stree_read(f->root, "/sys/bus/pci/drivers_probe", buf, sizeof(buf));
	assert_string_equal(buf, NIC);
	assert_int_equal(vm_record_count(f->rec), 0);
	snprintf(path, sizeof(path), "%s/vms/web1", f->state);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
	snprintf(path, sizeof(path), "%s/vms", f->state);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
}

/* A record that cannot be written stops the claim before anything is written to sysfs. */
static void unwritable_record_stops_the_take(void **state)
{
	struct fixture *f = *state;
	struct vfio_pci *vp = NULL;
	struct errinfo e = {0};
	char buf[64];

	assert_int_equal(mkdir(f->state, 0700), 0);
	assert_int_equal(chmod(f->state, 0777), 0);
	assert_int_equal(vfio_pci__claim(&f->h, NIC ",managed", &vp, &e), -EPERM);
	assert_null(vp);
	assert_non_null(strstr(e.msg, "writing down what VM web1 takes"));
	assert_non_null(strstr(e.msg, "is writable by others"));
	stree_read(f->root, "/sys/bus/pci/drivers_probe", buf, sizeof(buf));
	assert_string_equal(buf, "");
	stree_read(f->root, "/sys/bus/pci/devices/" NIC "/driver_override", buf, sizeof(buf));
	assert_string_equal(buf, "(null)\n");
	assert_int_equal(vm_record_count(f->rec), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(failed_take_leaves_nothing_listed, setup, teardown),
		cmocka_unit_test_setup_teardown(unwritable_record_stops_the_take, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
