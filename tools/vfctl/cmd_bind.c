// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfctl bind DEV DRIVER [--group], vfctl unbind DEV,
 * vfctl restore DEV|--all|--vm NAME|--dead-vms.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind.h"
#include "iommu.h"
#include "output.h"
#include "pci_sysfs.h"
#include "vfctl.h"
#include "vm_record.h"
#include "vm_restore.h"

static unsigned int flags_of(const struct vfctl_ctx *ctx)
{
	return (ctx->force ? PCI_BIND_FORCE : 0) | (ctx->dry_run ? PCI_BIND_DRY_RUN : 0);
}

static const char *or_none(const char *driver)
{
	return *driver ? driver : "no driver";
}

/*
 * After a move to vfio-pci: where the group's device node is and whether the
 * group is usable.  Adds keys to j when JSON is wanted, prints otherwise.
 */
static void report_vfio(const struct vfctl_ctx *ctx, const char *bdf, struct json_object *j)
{
	char path[SYSFS_PATH_MAX], node[32];
	struct json_object *arr;
	struct iommu_group g;
	bool have_node;
	int i;

	if (iommu_group_read(ctx->sysfs_root, bdf, NULL, 0, &g, NULL))
		return;
	snprintf(node, sizeof(node), "/dev/vfio/%d", g.group);
	have_node =
		!sysfs_path(path, sizeof(path), ctx->sysfs_root, "%s", node) && sysfs_exists(path);
	if (j) {
		out_json_int(j, "iommu_group", g.group);
		out_json_str(j, "vfio_dev", have_node ? node : NULL);
		out_json_bool(j, "group_viable", g.viable);
		arr = json_object_new_array();
		for (i = 0; i < g.n; i++) {
			struct json_object *m;

			if (!g.members[i].blocking)
				continue;
			m = json_object_new_object();
			out_json_str(m, "bdf", g.members[i].bdf);
			out_json_str(m, "driver", g.members[i].driver);
			json_object_array_add(arr, m);
		}
		json_object_object_add(j, "still_on_host", arr);
		iommu_group_free(&g);
		return;
	}
	if (have_node)
		printf("  %s is ready\n", node);
	if (!g.viable) {
		printf("  warning: IOMMU group %d is not viable yet; still on host drivers:",
		       g.group);
		for (i = 0; i < g.n; i++)
			if (g.members[i].blocking)
				printf(" %s (%s)", g.members[i].bdf, g.members[i].driver);
		printf("\n  hint: vfctl bind %s vfio-pci --group\n", bdf);
	}
	iommu_group_free(&g);
}

static void print_move(const struct pci_bind_saved *s, const char *driver, bool dry)
{
	if (!strcmp(s->driver, driver))
		printf("%s: already bound to %s\n", s->bdf, driver);
	else
		printf("%s: %s%s -> %s\n", s->bdf, dry ? "would move " : "",
		       *s->driver ? s->driver : "(no driver)", driver);
}

static struct json_object *move_json(const struct pci_bind_saved *s, const char *to)
{
	struct json_object *m = json_object_new_object();

	out_json_str(m, "bdf", s->bdf);
	out_json_str(m, "from", s->driver);
	out_json_str(m, "to", to);
	out_json_bool(m, "changed", s->changed);
	return m;
}

int cmd_bind(struct vfctl_ctx *ctx, int argc, char **argv)
{
	struct pci_bind_saved saved, *all = NULL;
	struct json_object *j = NULL, *moves = NULL;
	struct errinfo e = {0};
	char bdf[BDF_LEN];
	static const struct option opts[] = {
		{"group", no_argument, NULL, 'g'},
		VFCTL_OPT_HELP,
		{NULL, 0, NULL, 0},
	};
	const char *args[2];
	bool group = false;
	int i, n, c, ret;

	optind = 0;
	while ((c = vfctl_getopt(ctx, argc, argv, "g", opts, &ret)) > 0)
		if (c == 'g')
			group = true;
	if (c == 0)
		return ret;
	if (argc - optind != 2)
		return vfctl_usage_error(ctx, "usage: vfctl bind DEV DRIVER [--group]");
	args[0] = argv[optind];
	args[1] = argv[optind + 1];
	ret = vfctl_resolve_dev(ctx, args[0], bdf);
	if (ret)
		return ret;
	if (group) {
		ret = pci_bind_group(ctx->sysfs_root, ctx->state_dir, bdf, args[1], flags_of(ctx),
				     &all, &n, &e);
	} else {
		ret = pci_bind_take(ctx->sysfs_root, ctx->state_dir, bdf, args[1], flags_of(ctx),
				    &saved, &e);
		n = 1;
	}
	if (ret) {
		vfctl_report(ctx, &e);
		return vfctl_exit_for(ret);
	}
	if (ctx->json) {
		j = json_object_new_object();
		moves = json_object_new_array();
		for (i = 0; i < n; i++)
			json_object_array_add(moves, move_json(group ? &all[i] : &saved, args[1]));
		json_object_object_add(j, "moves", moves);
		out_json_bool(j, "dry_run", ctx->dry_run);
	} else if (group) {
		if (ctx->dry_run)
			printf("%s: checks passed; would move its IOMMU group to %s\n", bdf,
			       args[1]);
		for (i = 0; i < n; i++)
			print_move(&all[i], args[1], ctx->dry_run);
	} else {
		print_move(&saved, args[1], ctx->dry_run);
	}
	if (!ctx->dry_run && iommu_driver_is_vfio(args[1]))
		report_vfio(ctx, bdf, j);
	if (j)
		out_json_print(j);
	free(all);
	return VFCTL_EXIT_OK;
}

int cmd_unbind(struct vfctl_ctx *ctx, int argc, char **argv)
{
	struct pci_bind_saved saved;
	struct errinfo e = {0};
	char bdf[BDF_LEN];
	int ret;

	if (vfctl_help_only(ctx, argc, argv, &ret))
		return ret;
	if (argc - optind != 1)
		return vfctl_usage_error(ctx, "usage: vfctl unbind DEV");
	ret = vfctl_resolve_dev(ctx, argv[optind], bdf);
	if (ret)
		return ret;
	ret = pci_unbind(ctx->sysfs_root, ctx->state_dir, bdf, flags_of(ctx), &saved, &e);
	if (ret) {
		vfctl_report(ctx, &e);
		return vfctl_exit_for(ret);
	}
	if (ctx->json) {
		struct json_object *j = move_json(&saved, NULL);

		out_json_bool(j, "dry_run", ctx->dry_run);
		out_json_print(j);
	} else if (!saved.driver[0]) {
		printf("%s: has no driver; nothing to do\n", bdf);
	} else {
		printf("%s: %sunbound from %s (vfctl restore %s gives it back)\n", bdf,
		       ctx->dry_run ? "would be " : "", saved.driver, bdf);
	}
	return VFCTL_EXIT_OK;
}

/* One entry of restore's JSON array. */
static void restore_json(struct json_object *jarr, const char *bdf, const char *driver,
			 bool restored, const char *vm, const char *with)
{
	struct json_object *m = json_object_new_object();

	out_json_str(m, "bdf", bdf);
	out_json_str(m, "driver", driver);
	out_json_bool(m, "restored", restored);
	if (vm)
		out_json_str(m, "vm", vm);
	if (with && *with && strcmp(with, bdf))
		out_json_str(m, "with", with);
	json_object_array_add(jarr, m);
}

/*
 * A device a running VM holds is not taken from under it without --force:
 * vfvm gives it back itself when it exits.  0, or the exit status.
 */
static int refuse_running_vm(struct vfctl_ctx *ctx, const char *bdf)
{
	struct vm_record r;
	struct errinfo e = {0};
	int ret;

	ret = vm_record_holder(ctx->state_dir, bdf, &r, &e);
	if (ret <= 0)
		return 0;
	ret = 0;
	if (vm_record_running(&r) && !ctx->force) {
		err_set(&e, EBUSY, "%s is held by VM %s (vfvm pid %ld is running)", bdf, r.name,
			r.pid);
		err_hint(&e, "vfvm gives it back when the VM stops; to take it now anyway, use "
			     "--force");
		vfctl_report(ctx, &e);
		ret = VFCTL_EXIT_FAIL;
	}
	vm_record_free(&r);
	return ret;
}

/* bdf is back: a record of a VM that held it no longer lists it. */
static void forget_in_vm_record(struct vfctl_ctx *ctx, const char *bdf)
{
	struct vm_record r;
	struct errinfo e = {0};

	if (vm_record_holder(ctx->state_dir, bdf, &r, &e) <= 0)
		return;
	if (vm_record_forget(ctx->state_dir, &r, bdf, &e))
		vfctl_report(ctx, &e);
	vm_record_free(&r);
}

static int restore_one(struct vfctl_ctx *ctx, const char *bdf, struct json_object *jarr)
{
	struct pci_bind_saved saved;
	struct errinfo e = {0};
	int ret;

	ret = refuse_running_vm(ctx, bdf);
	if (ret)
		return ret;
	if (ctx->dry_run)
		ret = pci_bind_state_read(ctx->state_dir, bdf, &saved, &e);
	else
		ret = pci_restore(ctx->sysfs_root, ctx->state_dir, bdf, &saved, &e);
	if (ret) {
		vfctl_report(ctx, &e);
		return vfctl_exit_for(ret);
	}
	if (!ctx->dry_run)
		forget_in_vm_record(ctx, bdf);
	if (jarr) {
		restore_json(jarr, bdf, saved.driver, !ctx->dry_run, NULL, saved.with);
	} else if (saved.with[0] && strcmp(saved.with, bdf)) {
		printf("%s: %s %s (moved with the IOMMU group of %s)\n", bdf,
		       ctx->dry_run ? "would give back to" : "given back to", or_none(saved.driver),
		       saved.with);
	} else {
		printf("%s: %s %s\n", bdf, ctx->dry_run ? "would give back to" : "given back to",
		       or_none(saved.driver));
	}
	return VFCTL_EXIT_OK;
}

/*
 * restore BDF: when its IOMMU group was moved as one (bind --group, a
 * managed vfvm device), every member remembered with it goes back too.
 * *list gets them (bdf first); *n 1 when it moved alone.
 */
static int group_of(struct vfctl_ctx *ctx, const char *bdf, char (**list)[BDF_LEN], int *n)
{
	char(*all)[BDF_LEN] = NULL, (*out)[BDF_LEN];
	struct pci_bind_saved s;
	struct errinfo e = {0};
	int k = 1, na = 0;

	*list = NULL;
	*n = 0;
	out = calloc(1, sizeof(*out));
	if (!out)
		return -ENOMEM;
	memcpy(out[0], bdf, BDF_LEN);
	if (pci_bind_state_read(ctx->state_dir, bdf, &s, &e) || !s.with[0] ||
	    pci_bind_state_list(ctx->state_dir, &all, &na, &e))
		goto done;
	for (int i = 0; i < na; i++) {
		struct pci_bind_saved m;
		char(*tmp)[BDF_LEN];

		if (!strcmp(all[i], bdf) || pci_bind_state_read(ctx->state_dir, all[i], &m, NULL) ||
		    strcmp(m.with, s.with))
			continue;
		tmp = realloc(out, sizeof(*out) * (size_t)(k + 1));
		if (!tmp)
			break;
		out = tmp;
		memcpy(out[k++], all[i], BDF_LEN);
	}
	free(all);
done:
	*list = out;
	*n = k;
	return 0;
}

/* What restore_vm() says of each device (vm_restore.h). */
struct restore_vm_say {
	struct vfctl_ctx *ctx;
	struct json_object *jarr;
	int status;
};

static void restore_vm_said(void *opaque, const struct vm_record *r, const struct vm_record_dev *d,
			    enum vm_restore_event ev, bool gone, int ret, const struct errinfo *e)
{
	struct restore_vm_say *s = opaque;
	struct vfctl_ctx *ctx = s->ctx;

	if (ev == VM_RESTORE_FORGET_FAILED) {
		vfctl_report(ctx, e);
		if (s->status == VFCTL_EXIT_OK)
			s->status = VFCTL_EXIT_FAIL;
		return;
	}
	if (ev == VM_RESTORE_FAILED) {
		vfctl_report(ctx, e);
		if (s->status == VFCTL_EXIT_OK)
			s->status = vfctl_exit_for(ret);
		if (s->jarr)
			restore_json(s->jarr, d->bdf, d->driver, false, r->name, d->with);
		return;
	}
	if (s->jarr)
		restore_json(s->jarr, d->bdf, d->driver, !ctx->dry_run, r->name, d->with);
	else
		printf("%s: %s %s (VM %s%s%s)%s\n", d->bdf,
		       ctx->dry_run ? "would give back to" : "given back to", or_none(d->driver),
		       r->name, strcmp(d->with, d->bdf) ? ", moved with " : "",
		       strcmp(d->with, d->bdf) ? d->with : "", gone ? ": the device is gone" : "");
}

/*
 * restore --vm NAME: every device the VM's record lists back to the driver
 * it was taken from; the record shrinks to what could not go back, and goes
 * away when nothing is left.  A running VM is left alone without --force.
 */
static int restore_vm(struct vfctl_ctx *ctx, struct vm_record *r, struct json_object *jarr)
{
	struct restore_vm_say s = {ctx, jarr, VFCTL_EXIT_OK};
	struct vm_restore_cb cb = {restore_vm_said, &s};
	struct errinfo e = {0};

	if (vm_record_running(r) && !ctx->force) {
		err_set(&e, EBUSY, "VM %s is running (vfvm pid %ld)", r->name, r->pid);
		err_hint(&e, "vfvm gives its devices back itself when it stops; to take them "
			     "now anyway, use --force");
		vfctl_report(ctx, &e);
		return VFCTL_EXIT_FAIL;
	}
	vm_record_restore(ctx->sysfs_root, ctx->state_dir, r, ctx->dry_run, &cb);
	if (!ctx->dry_run && !jarr && r->n == 0)
		printf("VM %s: everything given back; its record is removed\n", r->name);
	return s.status;
}

static int restore_vm_named(struct vfctl_ctx *ctx, const char *name, struct json_object *jarr)
{
	struct vm_record r;
	struct errinfo e = {0};
	int ret;

	ret = vm_record_load(ctx->state_dir, name, &r, &e);
	if (ret) {
		vfctl_report(ctx, &e);
		return ret == -EINVAL && !vm_name_valid(name) ? VFCTL_EXIT_USAGE : VFCTL_EXIT_FAIL;
	}
	ret = restore_vm(ctx, &r, jarr);
	vm_record_free(&r);
	return ret;
}

/* restore --dead-vms: restore_vm() for every record whose vfvm no longer runs. */
static int restore_dead_vms(struct vfctl_ctx *ctx, struct json_object *jarr)
{
	char(*names)[VM_NAME_MAX] = NULL;
	int n, done = 0, status = VFCTL_EXIT_OK;
	struct errinfo e = {0};

	if (vm_record_list(ctx->state_dir, &names, &n, &e)) {
		vfctl_report(ctx, &e);
		return VFCTL_EXIT_FAIL;
	}
	for (int i = 0; i < n; i++) {
		struct vm_record r;
		int ret;

		err_clear(&e);
		if (vm_record_load(ctx->state_dir, names[i], &r, &e)) {
			vfctl_report(ctx, &e);
			status = VFCTL_EXIT_FAIL;
			continue;
		}
		if (vm_record_running(&r)) {
			if (!jarr)
				printf("VM %s is running (vfvm pid %ld): left alone\n", r.name,
				       r.pid);
			vm_record_free(&r);
			continue;
		}
		done++;
		ret = restore_vm(ctx, &r, jarr);
		if (ret && status == VFCTL_EXIT_OK)
			status = ret;
		vm_record_free(&r);
	}
	if (!done && !jarr && status == VFCTL_EXIT_OK)
		printf("nothing to restore: no record of a VM that has stopped in %s/%s\n",
		       ctx->state_dir, VM_RECORD_DIR);
	free(names);
	return status;
}

int cmd_restore(struct vfctl_ctx *ctx, int argc, char **argv)
{
	char bdf[BDF_LEN], (*list)[BDF_LEN] = NULL;
	struct json_object *jarr = NULL;
	struct errinfo e = {0};
	static const struct option opts[] = {
		{"all", no_argument, NULL, 'a'},
		{"vm", required_argument, NULL, 'm'},
		{"dead-vms", no_argument, NULL, 'd'},
		VFCTL_OPT_HELP,
		{NULL, 0, NULL, 0},
	};
	int i, n, c, ret, status = VFCTL_EXIT_OK;
	const char *vm = NULL;
	bool all = false, dead = false;

	optind = 0;
	while ((c = vfctl_getopt(ctx, argc, argv, "", opts, &ret)) > 0) {
		if (c == 'a')
			all = true;
		else if (c == 'm')
			vm = optarg;
		else if (c == 'd')
			dead = true;
	}
	if (c == 0)
		return ret;
	if ((all + dead + (vm != NULL)) > 1 || argc - optind != !(all || dead || vm))
		return vfctl_usage_error(ctx,
					 "usage: vfctl restore DEV|--all|--vm NAME|--dead-vms");
	if (ctx->json)
		jarr = json_object_new_array();
	if (vm || dead) {
		status = vm ? restore_vm_named(ctx, vm, jarr) : restore_dead_vms(ctx, jarr);
		if (jarr)
			out_json_print(jarr);
		return status;
	}
	if (!all) {
		ret = vfctl_resolve_dev(ctx, argv[optind], bdf);
		if (ret) {
			json_object_put(jarr);
			return ret;
		}
		if (group_of(ctx, bdf, &list, &n)) {
			json_object_put(jarr);
			fprintf(stderr, "vfctl: out of memory\n");
			return VFCTL_EXIT_FAIL;
		}
	} else {
		ret = pci_bind_state_list(ctx->state_dir, &list, &n, &e);
		if (ret) {
			json_object_put(jarr);
			vfctl_report(ctx, &e);
			return VFCTL_EXIT_FAIL;
		}
		if (n == 0 && !ctx->json)
			printf("nothing to restore: no device moved by vfctl is remembered in %s\n",
			       ctx->state_dir);
	}
	/* Keep going after a failure: every device that can go back should. */
	for (i = 0; i < n; i++) {
		ret = restore_one(ctx, list[i], jarr);
		if (ret && status == VFCTL_EXIT_OK)
			status = ret;
	}
	if (jarr)
		out_json_print(jarr);
	free(list);
	return status;
}
