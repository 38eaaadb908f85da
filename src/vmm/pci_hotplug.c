// SPDX-License-Identifier: GPL-2.0-only
/* PCI hot-plug of bus-0 slots (see pci_hotplug.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "pci_hotplug.h"
#include "platform.h"
#include "vm.h"

/* vm->hotplug */
struct hotplug {
	struct vm *vm;
	pthread_mutex_t lock; /* the fields below; never held together with the host lock */
	uint32_t pciu; /* slots plugged since the guest last read PCIU */
	uint32_t pcid; /* slots the host asked back, until the guest ejects them */
	uint32_t ejected; /* B0EJ writes not yet handled by the I/O thread */
	int efd; /* vCPU -> I/O thread: ejected has bits */
};

/* Default ids, as users see them in info: virtio-blk0, net0, rng0, hostdev0, ... */
static const char *id_prefix(const struct pci_dev *d)
{
	if (d->kind == PCI_DEV_VFIO)
		return "hostdev";
	if (!strcmp(d->name, "virtio-blk"))
		return "virtio-blk";
	if (!strcmp(d->name, "virtio-net"))
		return "net";
	if (!strcmp(d->name, "virtio-rng"))
		return "rng";
	return "dev";
}

/* Under h->lock. */
static struct pci_dev *find_locked(struct pci_host *h, const char *id)
{
	for (int i = 0; i < PCI_MAX_SLOTS; i++)
		if (h->dev[i] && !strcmp(h->dev[i]->id, id))
			return h->dev[i];
	return NULL;
}

struct pci_dev *vm_pci_find(struct vm *vm, const char *id)
{
	struct pci_dev *d;

	pthread_mutex_lock(&vm->pci.lock);
	d = find_locked(&vm->pci, id);
	pthread_mutex_unlock(&vm->pci.lock);
	return d;
}

/* Give @d an id no other device has: the first free PREFIXn. */
static int pick_id(struct pci_host *h, struct pci_dev *d, struct errinfo *e)
{
	const char *pre = id_prefix(d);

	pthread_mutex_lock(&h->lock);
	if (d->id[0]) {
		struct pci_dev *o = find_locked(h, d->id);

		pthread_mutex_unlock(&h->lock);
		if (o)
			return err_set(e, EEXIST, "id=%s: %s already has this id", d->id, o->name);
		return 0;
	}
	for (unsigned int n = 0; n < 2 * PCI_MAX_SLOTS; n++) {
		snprintf(d->id, sizeof(d->id), "%s%u", pre, n);
		if (!find_locked(h, d->id))
			break;
	}
	pthread_mutex_unlock(&h->lock);
	return 0;
}

/*
 * Whether the guest may be running: the vCPUs have been let into KVM_RUN.
 * Until then the guest finds devices by enumerating, no announcement
 * needed (and nothing can be in a device's BAR while it goes).
 */
static bool vm_running(struct vm *vm)
{
	bool go;

	pthread_mutex_lock(&vm->exit_lock);
	go = vm->vcpus_go;
	pthread_mutex_unlock(&vm->exit_lock);
	return go;
}

/* Tell the guest to look (GPE PCI_HOTPLUG_GPE); a guest without the GPE enabled looks at boot. */
static void raise_gpe(struct hotplug *hp)
{
	int ret = platform__gpe_raise(hp->vm, PCI_HOTPLUG_GPE);

	if (ret)
		vlog_report(&hp->vm->log, VLOG_WARN,
			    "PCI hot-plug: cannot raise GPE %d (%s): the guest is not told",
			    PCI_HOTPLUG_GPE, strerror(-ret));
}

bool vm_pci_plug_is_hot(struct vm *vm)
{
	return vm->hotplug && vm_running(vm);
}

int vm_pci_plug(struct vm *vm, struct pci_dev *d, int slot, struct errinfo *e)
{
	struct hotplug *hp = vm->hotplug;
	int ret = pick_id(&vm->pci, d, e);

	if (ret)
		return ret;
	if (!hp || !vm_running(vm))
		return pci_dev_register(&vm->pci, d, slot, e);
	/* bus-0 slots are what ACPI hot-plug announces: no root port for a late device */
	d->want_port = false;
	/* config accesses take the host lock: the guest sees the device whole or not at all */
	ret = pci_dev_register(&vm->pci, d, slot, e);
	if (ret)
		return ret;
	pthread_mutex_lock(&hp->lock);
	hp->pciu |= 1u << d->slot;
	hp->pcid &= ~(1u << d->slot);
	pthread_mutex_unlock(&hp->lock);
	raise_gpe(hp);
	vm_event(vm, "device-added", d->id, NULL);
	return 0;
}

/* Whether @d is on the bus (its slot holds it). */
static bool on_bus(struct vm *vm, const struct pci_dev *d)
{
	bool on;

	pthread_mutex_lock(&vm->pci.lock);
	on = d->slot >= 0 && d->slot < PCI_MAX_SLOTS && vm->pci.dev[d->slot] == d;
	pthread_mutex_unlock(&vm->pci.lock);
	return on;
}

/*
 * Off the bus, release, event: before the vCPUs run, so nothing can be in a
 * BAR.  The event comes last so that whoever waits for it (remove-device)
 * hears once the device is released (a managed one back on its driver).
 */
static void remove_dev(struct vm *vm, struct pci_dev *d)
{
	char id[PCI_DEV_ID_MAX];

	if (pci_dev_unregister(&vm->pci, d))
		return;
	/* release may free @d */
	snprintf(id, sizeof(id), "%s", d->id);
	if (d->release)
		d->release(d);
	vm_event(vm, "device-removed", id, NULL);
}

/* B0EJ (vCPU thread): the guest let go of these slots. */
static void regs_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct hotplug *hp = opaque;
	unsigned int reg = (unsigned int)off & ~3u, shift = 8 * ((unsigned int)off & 3);
	uint32_t mask = len >= 4 ? ~0u : ((1u << (8 * len)) - 1) << shift, v = 0;
	uint64_t one = 1;

	if (shift + 8 * len > 32) { /* across two registers: not a thing drivers do */
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&hp->lock);
	if (is_write) {
		for (uint32_t i = 0; i < len; i++)
			v |= (uint32_t)data[i] << (8 * i);
		v = (v << shift) & mask & ~1u; /* slot 0 is the host bridge */
		if (reg == 8 && v) {
			hp->ejected |= v;
			hp->pcid &= ~v;
		}
	} else {
		if (reg == 0) {
			v = hp->pciu & mask;
			hp->pciu &= ~mask; /* what the guest read is seen */
		} else if (reg == 4) {
			v = hp->pcid & mask;
		}
		v >>= shift;
		for (uint32_t i = 0; i < len; i++)
			data[i] = (uint8_t)(v >> (8 * i));
	}
	pthread_mutex_unlock(&hp->lock);
	if (is_write && reg == 8 && v && write(hp->efd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is pending already, the I/O thread will look */
	}
}

/* I/O thread: take the ejected slots' devices off the bus with the vCPUs held. */
static void eject_handler(int fd, uint32_t events, void *opaque)
{
	struct hotplug *hp = opaque;
	struct vm *vm = hp->vm;
	struct pci_dev *gone[PCI_MAX_SLOTS];
	uint64_t cnt;
	uint32_t slots;
	int n = 0, ret = 0;
	bool hold;

	(void)events;
	if (read(fd, &cnt, sizeof(cnt)) < 0) {
		/* EAGAIN: nothing new; ejected says what to do either way */
	}
	pthread_mutex_lock(&hp->lock);
	slots = hp->ejected;
	hp->ejected = 0;
	pthread_mutex_unlock(&hp->lock);
	/* QEMU does the same: whatever occupied slot the guest ejects goes (sysfs eject too) */
	pthread_mutex_lock(&vm->pci.lock);
	for (int s = 1; s < PCI_MAX_SLOTS; s++)
		if ((slots & (1u << s)) && vm->pci.dev[s])
			gone[n++] = vm->pci.dev[s];
	pthread_mutex_unlock(&vm->pci.lock);
	if (!n)
		return;
	/* a user's pause already holds the vCPUs: neither take nor end it */
	hold = vm_running(vm) && !vm_paused(vm);
	if (hold)
		ret = vm_pause(vm);
	if (ret) {
		/* -EAGAIN: the VM is stopping; vm_destroy() releases the devices */
		if (ret == -ETIMEDOUT) {
			vm_resume(vm);
			vlog_report(&vm->log, VLOG_ERR,
				    "PCI hot-plug: the vCPUs did not stop within a second; %s and "
				    "%d other ejected device(s) stay on the bus until the VM ends",
				    gone[0]->id, n - 1);
		}
		return;
	}
	for (int i = 0; i < n; i++)
		if (pci_dev_unregister(&vm->pci, gone[i]))
			gone[i] = NULL;
	if (hold)
		vm_resume(vm);
	pthread_mutex_lock(&hp->lock);
	hp->pcid &= ~slots;
	pthread_mutex_unlock(&hp->lock);
	for (int i = 0; i < n; i++) {
		char id[PCI_DEV_ID_MAX];

		if (!gone[i])
			continue;
		snprintf(id, sizeof(id), "%s", gone[i]->id);
		/* released first: remove-device answers once the device is back */
		if (gone[i]->release)
			gone[i]->release(gone[i]);
		vm_event(vm, "device-removed", id, NULL);
	}
}

static void hotplug_release(void *opaque)
{
	struct hotplug *hp = opaque;

	hp->vm->hotplug = NULL;
	if (hp->efd >= 0)
		close(hp->efd);
	pthread_mutex_destroy(&hp->lock);
	free(hp);
}

int pci_hotplug__add(struct vm *vm, struct errinfo *e)
{
	struct hotplug *hp = calloc(1, sizeof(*hp));
	int ret;

	if (!hp)
		return err_sys(e, ENOMEM, "PCI hot-plug registers");
	hp->vm = vm;
	pthread_mutex_init(&hp->lock, NULL);
	hp->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (hp->efd < 0) {
		ret = err_sys(e, errno, "eventfd for PCI hot-plug ejects");
		pthread_mutex_destroy(&hp->lock);
		free(hp);
		return ret;
	}
	ret = vm_at_destroy(vm, hotplug_release, hp, e);
	if (ret) {
		close(hp->efd);
		pthread_mutex_destroy(&hp->lock);
		free(hp);
		return ret;
	}
	/* from here hotplug_release() frees it, whatever fails next */
	vm->hotplug = hp;
	ret = vm_io_add(vm, hp->efd, EPOLLIN, eject_handler, hp, e);
	if (!ret)
		ret = bus_register(&vm->pio, PCI_HOTPLUG_PORT, PCI_HOTPLUG_LEN, regs_access, hp,
				   "pci-hotplug", e);
	if (ret)
		err_prefix(e, "PCI hot-plug");
	return ret;
}

int pci_hotplug__request_unplug(struct vm *vm, struct pci_dev *d, struct errinfo *e)
{
	struct hotplug *hp = vm->hotplug;
	uint32_t bit;

	if (!on_bus(vm, d))
		return err_set(e, ENOENT, "%s: not on the PCI bus", d->id);
	if (!hp)
		return err_set(e, ENOTSUP, "%s: this VM has no hot-plug slots", d->id);
	if (!vm_running(vm)) {
		/* no guest yet to ask: the device just goes */
		remove_dev(vm, d);
		return 0;
	}
	bit = 1u << d->slot;
	pthread_mutex_lock(&hp->lock);
	/* asked and not ejected, or ejected and not yet taken off the bus */
	if ((hp->pcid | hp->ejected) & bit) {
		pthread_mutex_unlock(&hp->lock);
		return err_set(e, EALREADY, "%s: removal already requested; waiting for the guest",
			       d->id);
	}
	hp->pcid |= bit;
	pthread_mutex_unlock(&hp->lock);
	raise_gpe(hp);
	vm_event(vm, "unplug-requested", d->id, NULL);
	return 0;
}

bool pci_hotplug__unplug_pending(struct vm *vm, const struct pci_dev *d)
{
	struct hotplug *hp = vm->hotplug;
	bool pending;

	if (!hp || !on_bus(vm, d))
		return false;
	pthread_mutex_lock(&hp->lock);
	pending = (hp->pcid | hp->ejected) & (1u << d->slot);
	pthread_mutex_unlock(&hp->lock);
	return pending;
}

int pci_hotplug__save(struct vm *vm, struct snap_out *o)
{
	struct hotplug *hp = vm->hotplug;

	if (!hp)
		return -ENODEV;
	pthread_mutex_lock(&hp->lock);
	snap_begin(o, "hotplug", 1);
	snap_put_u32(o, hp->pciu);
	snap_put_u32(o, hp->pcid);
	snap_put_u32(o, hp->ejected);
	snap_end(o);
	pthread_mutex_unlock(&hp->lock);
	return 0;
}

int pci_hotplug__load(struct vm *vm, struct snap_sec *s, const char *what, struct errinfo *e)
{
	struct hotplug *hp = vm->hotplug;
	uint32_t pciu, pcid, ejected, bad;
	uint64_t one = 1;
	int ret;

	if (!hp)
		return err_set(e, ENODEV, "%s: this VM has no PCI hot-plug slots", what);
	pciu = snap_get_u32(s);
	pcid = snap_get_u32(s);
	ejected = snap_get_u32(s);
	ret = snap_close(s, what, e);
	if (ret)
		return ret;
	/* slot 0 is the host bridge; there is no slot past PCI_MAX_SLOTS */
	bad = 1u | (PCI_MAX_SLOTS < 32 ? ~0u << PCI_MAX_SLOTS : 0);
	if ((pciu | pcid | ejected) & bad)
		return snap_bad(s, what, e, "slot bits 0x%08x/0x%08x/0x%08x outside slots 1..%d",
				pciu, pcid, ejected, PCI_MAX_SLOTS - 1);
	pthread_mutex_lock(&hp->lock);
	hp->pciu = pciu;
	hp->pcid = pcid;
	hp->ejected = ejected;
	pthread_mutex_unlock(&hp->lock);
	if (ejected && write(hp->efd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is pending already, the I/O thread will look */
	}
	return 0;
}
