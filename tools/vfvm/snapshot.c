// SPDX-License-Identifier: GPL-2.0-only
/*
 * Snapshots as the front end makes and reads them: `vfvm ctl PATH snapshot
 * DIR` (the API's snapshot hook) and `vfvm run --restore DIR`.
 *
 * DIR/state is one snap_stream container (src/lib/snap_stream.h):
 *   "config"      how to make the VM again: memory, vCPUs, options, the
 *                 --firmware file (its ROM mapping is not guest RAM, so it
 *                 is placed again), and every emulated device's kind, id,
 *                 slot and SPEC
 *   VM sections   vCPUs, interrupt controllers, clock, platform
 *                 (src/vmm/vm_snapshot.c)
 *   "serial"      the console UART
 *   "pci:<id>"    each PCI device: config space, BARs, the model's state
 * DIR/memory is guest RAM, sparse.  The devices are made from their SPECs
 * first and their state loaded after, so a restore goes through the same
 * checks (a tap that exists, a disk that opens) as a fresh start.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices.h"
#include "hugepage.h"
#include "pci_hotplug.h"
#include "serial.h"
#include "snap_stream.h"
#include "vfvm.h"
#include "virtio_pci.h"
#include "vm.h"
#include "vm_snapshot.h"

#define CONFIG_SECTION "config"
#define CONFIG_VERSION 1

static const char *const kind_names[] = {
	[VFVM_DEV_DISK] = "disk",
	[VFVM_DEV_NET] = "net",
	[VFVM_DEV_RNG] = "rng",
};

int vfvm_spec_record(struct vfvm_devices *x, enum vfvm_dev_kind kind, const char *spec,
		     const char *id, struct errinfo *e)
{
	struct vfvm_spec *s = NULL;

	for (int i = 0; i < x->nr_specs; i++)
		if (!strcmp(x->specs[i].id, id))
			s = &x->specs[i];
	if (!s) {
		if (x->nr_specs == VFVM_MAX_SPECS)
			return err_set(e, ENOSPC, "device %s: more than %d emulated devices", id,
				       VFVM_MAX_SPECS);
		s = &x->specs[x->nr_specs++];
	}
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->kind = kind;
	snprintf(s->spec, sizeof(s->spec), "%s", spec);
	return 0;
}

static const struct vfvm_spec *spec_of(const struct vfvm_devices *x, const char *id)
{
	for (int i = 0; i < x->nr_specs; i++)
		if (!strcmp(x->specs[i].id, id))
			return &x->specs[i];
	return NULL;
}

int vfvm_check_saveable(struct vfvm_devices *x, const char *op, bool primaries_ok,
			struct errinfo *e)
{
	struct vm *vm = x->vm;

	for (int i = 0; i < PCI_MAX_SLOTS; i++) {
		struct pci_dev *d = vm->pci.dev[i];

		if (!d)
			continue;
		if (pci_hotplug__unplug_pending(vm, d))
			return err_set(e, EBUSY,
				       "%s: device %s is being removed; wait for its "
				       "device-removed event",
				       op, d->id);
		if (d->kind == PCI_DEV_VFIO) {
			for (int p = 0; p < x->nr_pairs; p++)
				if (x->pairs[p].claim && !strcmp(x->pairs[p].vf_id, d->id)) {
					/* a migration unplugs a plugged primary itself */
					if (primaries_ok && x->pairs[p].state == FO_PLUGGED)
						goto next;
					err_set(e, EBUSY,
						"%s: %s (%s) is the plugged failover primary "
						"of %s",
						op, d->id, d->name, x->pairs[p].net_id);
					err_hint(e,
						 "move its traffic to virtio first: vfvm ctl PATH "
						 "failover-unplug %s",
						 x->pairs[p].net_id);
					return -EBUSY;
				}
			err_set(e, EBUSY,
				"%s: %s (%s) is passed through: a device's internal state "
				"cannot be saved",
				op, d->id, d->name);
			err_hint(e,
				 "remove it first (vfvm ctl PATH remove-device %s), or give the VM "
				 "a virtio-net failover=on and the VF as --device BDF,failover=NET",
				 d->id);
			return -EBUSY;
		}
		if (!pci_dev_can_snapshot(d) || !spec_of(x, d->id))
			return err_set(e, ENOTSUP, "%s: device %s (%s) cannot be saved", op, d->id,
				       d->name);
next:;
	}
	return 0;
}

void vfvm_put_config(struct vfvm_devices *x, struct snap_out *o)
{
	struct vm *vm = x->vm;
	uint32_t n = 0;

	for (int i = 0; i < PCI_MAX_SLOTS; i++)
		n += vm->pci.dev[i] != NULL;
	snap_begin(o, CONFIG_SECTION, CONFIG_VERSION);
	snap_put_u64(o, vm->cfg.mem_size);
	snap_put_u32(o, vm->cfg.nr_cpus);
	/* 0: 4 KiB pages, 1: 2 MiB (what version 1 always meant), 2: 1 GiB */
	snap_put_u8(o, !vm->cfg.hugetlb ? 0 : vm->cfg.hugepage_size == HUGEPAGE_1G ? 2 : 1);
	snap_put_u8(o, x->debug_exit);
	snap_put_u8(o, x->pit);
	snap_put_str(o, x->firmware ? x->firmware : "");
	snap_put_u32(o, n);
	for (int i = 0; i < PCI_MAX_SLOTS; i++) {
		struct pci_dev *d = vm->pci.dev[i];
		const struct vfvm_spec *s;

		if (!d)
			continue;
		s = spec_of(x, d->id);
		snap_put_str(o, kind_names[s->kind]);
		snap_put_str(o, d->id);
		snap_put_u32(o, (uint32_t)d->slot);
		snap_put_str(o, s->spec);
	}
	snap_end(o);
}

/* @name in @dfd (@dir for messages) replaced by @o's bytes, durably. */
static int write_state(int dfd, const char *dir, const struct snap_out *o, struct errinfo *e)
{
	char what[1100];
	int fd, ret;

	snprintf(what, sizeof(what), "%s/state.tmp", dir);
	fd = openat(dfd, "state.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_sys(e, errno, "snapshot: creating %s", what);
	ret = snap_out_write(o, fd, what, e);
	if (!ret && fsync(fd) < 0)
		ret = err_sys(e, errno, "snapshot: fsync of %s", what);
	close(fd);
	if (!ret && renameat(dfd, "state.tmp", dfd, "state") < 0)
		ret = err_sys(e, errno, "snapshot: renaming %s to state", what);
	if (!ret && fsync(dfd) < 0)
		ret = err_sys(e, errno, "snapshot: fsync of directory %s", dir);
	if (ret)
		unlinkat(dfd, "state.tmp", 0);
	return ret;
}

static int open_dir(const char *dir, bool create, struct errinfo *e)
{
	int dfd;

	if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return err_sys(e, errno, "snapshot: creating directory %s", dir);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return err_sys(e, errno, "snapshot: opening directory %s", dir);
	return dfd;
}

int vfvm_put_state(struct vfvm_devices *x, struct snap_out *o, const char *dir, struct errinfo *e)
{
	struct vm *vm = x->vm;
	int ret;

	/*
	 * The vCPUs are held; device work still under way on other threads
	 * (a virtio-blk request being served) writes guest memory: finish it
	 * before memory is written, or the restored guest waits for ever.
	 */
	virtio_quiesce_all(&vm->pci);
	ret = vm_snapshot_save(vm, o, dir, e);
	if (ret < 0)
		return ret;
	snap_begin(o, "serial", 1);
	serial_save(vm->serial, o);
	snap_end(o);
	for (int i = 0; i < PCI_MAX_SLOTS; i++) {
		struct pci_dev *d = vm->pci.dev[i];
		char name[SNAP_NAME_MAX];

		if (!d)
			continue;
		snprintf(name, sizeof(name), "pci:%s", d->id);
		snap_begin(o, name, 1);
		pci_host_save_dev(&vm->pci, d, o);
		snap_end(o);
	}
	return snap_out_finish(o, e);
}

int vfvm_snapshot_save(struct vfvm_devices *x, const char *dir, uint64_t *bytes, struct errinfo *e)
{
	struct snap_out o;
	struct stat st;
	int dfd, ret;

	ret = vfvm_check_saveable(x, "snapshot", false, e);
	if (ret < 0)
		return ret;
	dfd = open_dir(dir, true, e);
	if (dfd < 0)
		return dfd;
	snap_out_init(&o);
	vfvm_put_config(x, &o);
	ret = vfvm_put_state(x, &o, dir, e);
	if (!ret)
		ret = write_state(dfd, dir, &o, e);
	if (!ret && fstatat(dfd, "memory", &st, AT_SYMLINK_NOFOLLOW) == 0)
		*bytes = (uint64_t)st.st_blocks * 512;
	snap_out_free(&o);
	close(dfd);
	return ret;
}

static int kind_of(const char *name, enum vfvm_dev_kind *k)
{
	for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (!strcmp(name, kind_names[i])) {
			*k = (enum vfvm_dev_kind)i;
			return 0;
		}
	return -1;
}

static int read_config(struct vfvm_restore *r, struct errinfo *e)
{
	struct snap_sec *s;
	uint32_t n;
	uint8_t huge;
	int ret;

	ret = snap_open(r->in, CONFIG_SECTION, CONFIG_VERSION, &s, e);
	if (ret < 0)
		return ret;
	r->mem_size = snap_get_u64(s);
	r->nr_cpus = snap_get_u32(s);
	huge = snap_get_u8(s);
	r->debug_exit = snap_get_u8(s);
	r->pit = snap_get_u8(s);
	snap_get_str(s, r->firmware, sizeof(r->firmware));
	n = snap_get_u32(s);
	if (s->bad)
		return snap_close(s, r->in->what, e);
	if (huge > 2)
		return snap_bad(s, r->in->what, e, "huge page kind %u: expected 0 to 2", huge);
	r->hugetlb = huge != 0;
	r->hugepage_size = huge == 2 ? HUGEPAGE_1G : HUGEPAGE_2M;
	if (!r->mem_size || r->mem_size > (1ULL << 40) || r->mem_size % 4096)
		return snap_bad(s, r->in->what, e,
				"memory size %llu is not a page multiple up "
				"to 1 TiB",
				(unsigned long long)r->mem_size);
	if (r->nr_cpus < 1 || r->nr_cpus > VM_MAX_VCPUS)
		return snap_bad(s, r->in->what, e, "%u vCPUs: expected 1 to %d", r->nr_cpus,
				VM_MAX_VCPUS);
	if (n > VFVM_MAX_SPECS || n > PCI_MAX_SLOTS)
		return snap_bad(s, r->in->what, e, "%u devices: at most %d", n, PCI_MAX_SLOTS);
	for (uint32_t i = 0; i < n; i++) {
		struct vfvm_saved_dev *d = &r->devs[i];
		char kind[16];

		snap_get_str(s, kind, sizeof(kind));
		snap_get_str(s, d->id, sizeof(d->id));
		d->slot = (int)snap_get_u32(s);
		snap_get_str(s, d->spec, sizeof(d->spec));
		if (s->bad)
			break;
		if (kind_of(kind, &d->kind) < 0)
			return snap_bad(s, r->in->what, e, "device %u: unknown kind '%s'", i, kind);
		if (!api_id_valid(d->id))
			return snap_bad(s, r->in->what, e, "device %u: '%s' is not a device id", i,
					d->id);
		if (d->slot < 0 || d->slot >= PCI_MAX_SLOTS)
			return snap_bad(s, r->in->what, e, "device %s: slot %d out of range", d->id,
					d->slot);
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(r->devs[j].id, d->id) || r->devs[j].slot == d->slot)
				return snap_bad(s, r->in->what, e,
						"devices %s and %s share an id or a slot",
						r->devs[j].id, d->id);
	}
	r->nr_devs = (int)n;
	return snap_close(s, r->in->what, e);
}

int vfvm_restore_parse(struct vfvm_restore *r, uint8_t *buf, size_t len, const char *what,
		       struct errinfo *e)
{
	int ret;

	memset(r, 0, sizeof(*r));
	r->opt = "--incoming";
	r->mem_fd = -1;
	r->in = calloc(1, sizeof(*r->in));
	if (!r->in) {
		free(buf);
		return err_set(e, ENOMEM, "%s: out of memory", what);
	}
	ret = snap_in_parse(r->in, buf, len, what, e);
	if (!ret)
		ret = read_config(r, e);
	return ret;
}

int vfvm_restore_set_state(struct vfvm_restore *r, uint8_t *buf, size_t len, const char *what,
			   struct errinfo *e)
{
	snap_in_free(r->in);
	return snap_in_parse(r->in, buf, len, what, e);
}

int vfvm_restore_open(struct vfvm_restore *r, const char *dir, struct errinfo *e)
{
	char path[1100];
	int ret;

	memset(r, 0, sizeof(*r));
	r->opt = "--restore";
	r->mem_fd = -1;
	r->dir = dir;
	r->in = calloc(1, sizeof(*r->in));
	if (!r->in)
		return err_set(e, ENOMEM, "--restore %s: out of memory", dir);
	snprintf(path, sizeof(path), "%s/state", dir);
	ret = snap_in_read_file(r->in, path, e);
	if (!ret)
		ret = read_config(r, e);
	if (ret < 0)
		err_prefix(e, "--restore");
	return ret;
}

void vfvm_restore_close(struct vfvm_restore *r)
{
	if (r->in)
		snap_in_free(r->in);
	free(r->in);
	r->in = NULL;
}

/* The value of member @key in "a=1,b,c=2" (@len bytes of it), or NULL. */
static const char *member(const char *spec, const char *key, size_t *len)
{
	size_t kl = strlen(key);

	for (const char *p = spec; *p;) {
		const char *end = strchrnul(p, ',');

		if ((size_t)(end - p) > kl && !strncmp(p, key, kl) && p[kl] == '=') {
			*len = (size_t)(end - p) - kl - 1;
			return p + kl + 1;
		}
		p = *end ? end + 1 : end;
	}
	return NULL;
}

/*
 * @d's SPEC with the members of @over put in: a member of @over replaces
 * the one of the same key (recorded SPECs are all members, see record() in
 * devices.c: a disk's file is path=).
 */
static int merge_spec(const char *opt, const struct vfvm_saved_dev *d, const char *over, char *out,
		      size_t size, struct errinfo *e)
{
	size_t n = 0;
	int w;

	out[0] = '\0';
	for (const char *p = d->spec; *p;) {
		const char *end = strchrnul(p, ','), *eq = memchr(p, '=', (size_t)(end - p));
		char key[64];
		size_t vlen;

		snprintf(key, sizeof(key), "%.*s", (int)((eq ? eq : end) - p), p);
		/* the saved id stays (the override's only says which device) */
		if (!eq || !strcmp(key, "id") || !member(over, key, &vlen)) {
			w = snprintf(out + n, size - n, "%s%.*s", n ? "," : "", (int)(end - p), p);
			if (w < 0 || (size_t)w >= size - n)
				goto too_long;
			n += (size_t)w;
		}
		p = *end ? end + 1 : end;
	}
	for (const char *p = over; *p;) {
		const char *end = strchrnul(p, ',');

		/* the id is the saved one; a bare member (ro) is kept once */
		if (strncmp(p, "id=", 3)) {
			w = snprintf(out + n, size - n, "%s%.*s", n ? "," : "", (int)(end - p), p);
			if (w < 0 || (size_t)w >= size - n)
				goto too_long;
			n += (size_t)w;
		}
		p = *end ? end + 1 : end;
	}
	return 0;
too_long:
	return err_set(e, ENAMETOOLONG, "%s: the SPEC of %s with '%s' is too long", opt, d->id,
		       over);
}

static int add_saved(struct vfvm_devices *x, const struct vfvm_saved_dev *d, const char *spec,
		     struct errinfo *e)
{
	char id[API_DEV_ID_MAX];

	switch (d->kind) {
	case VFVM_DEV_DISK:
		return vfvm_add_device(x, API_DEV_DISK, spec, id, e);
	case VFVM_DEV_NET:
		return vfvm_add_device(x, API_DEV_NET, spec, id, e);
	case VFVM_DEV_RNG:
		return vfvm_add_rng(x, spec, e);
	}
	return -EINVAL;
}

int vfvm_restore_devices(struct vfvm_devices *x, struct vfvm_restore *r, const char *const *over,
			 int nr_over, struct errinfo *e)
{
	struct vm *vm = x->vm;
	struct pci_dev *made[VFVM_MAX_SPECS];
	char spec[API_SPEC_MAX];
	int ret;

	/* every override names a saved device */
	for (int i = 0; i < nr_over; i++) {
		size_t len;
		const char *id = member(over[i], "id", &len);
		bool found = false;

		for (int j = 0; id && j < r->nr_devs; j++)
			found |= strlen(r->devs[j].id) == len && !strncmp(r->devs[j].id, id, len);
		if (!found) {
			err_set(e, ENOENT, "%s: '%s' names no device of the %s", r->opt, over[i],
				r->dir ? "snapshot" : "migrating VM");
			err_hint(e,
				 "with %s, --net and --disk change a device of the VM: give its "
				 "id= (vfvm ctl PATH info showed them)",
				 r->opt);
			return -ENOENT;
		}
	}
	for (int i = 0; i < r->nr_devs; i++) {
		const struct vfvm_saved_dev *d = &r->devs[i];
		const char *o = "";

		for (int j = 0; j < nr_over; j++) {
			size_t len;
			const char *id = member(over[j], "id", &len);

			if (strlen(d->id) == len && !strncmp(d->id, id, len))
				o = over[j];
		}
		ret = merge_spec(r->opt, d, o, spec, sizeof(spec), e);
		if (ret < 0)
			return ret;
		ret = add_saved(x, d, spec, e);
		if (ret < 0) {
			err_prefix(e, "%s: device %s", r->opt, d->id);
			return ret;
		}
		made[i] = vm_pci_find(vm, d->id);
		if (!made[i])
			return err_set(e, ENOENT, "%s: device %s was not made", r->opt, d->id);
	}
	/* each device back in its saved slot: first all off the bus, then on */
	for (int i = 0; i < r->nr_devs; i++)
		if (made[i]->slot != r->devs[i].slot)
			pci_dev_unregister(&vm->pci, made[i]);
	for (int i = 0; i < r->nr_devs; i++)
		if (made[i]->slot < 0) {
			ret = pci_dev_register(&vm->pci, made[i], r->devs[i].slot, e);
			if (ret < 0) {
				err_prefix(e, "%s: device %s in slot %d", r->opt, r->devs[i].id,
					   r->devs[i].slot);
				return ret;
			}
		}
	return 0;
}

int vfvm_restore_state(struct vfvm_devices *x, struct vfvm_restore *r, struct errinfo *e)
{
	struct vm *vm = x->vm;
	struct snap_sec *s;
	int ret;

	ret = vm_snapshot_load(vm, r->in, r->dir, e);
	if (ret < 0)
		return ret;
	ret = snap_open(r->in, "serial", 1, &s, e);
	if (!ret)
		ret = serial_load(vm->serial, s, r->in->what, e);
	if (!ret)
		ret = snap_close(s, r->in->what, e);
	if (ret < 0)
		return ret;
	for (int i = 0; i < r->nr_devs; i++) {
		struct pci_dev *d = vm_pci_find(vm, r->devs[i].id);
		char name[SNAP_NAME_MAX];

		snprintf(name, sizeof(name), "pci:%s", r->devs[i].id);
		ret = snap_open(r->in, name, 1, &s, e);
		if (!ret)
			ret = pci_host_load_dev(&vm->pci, d, s, r->in->what, e);
		if (!ret)
			ret = snap_close(s, r->in->what, e);
		if (ret < 0)
			return ret;
	}
	s = snap_unused(r->in);
	if (s)
		return err_set(e, EBADMSG,
			       "%s: section '%s' belongs to nothing this vfvm restores (a newer "
			       "vfvm's snapshot?)",
			       r->in->what, s->name);
	return 0;
}
