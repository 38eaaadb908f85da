// SPDX-License-Identifier: GPL-2.0-only
/* PCI hot-plug of bus-0 slots (see pci_hotplug.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pci_hotplug.h"
#include "vm.h"

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

int vm_pci_plug(struct vm *vm, struct pci_dev *d, int slot, struct errinfo *e)
{
	int ret = pick_id(&vm->pci, d, e);

	if (ret)
		return ret;
	/* TODO(hp-core): once the VM runs, announce the device to the guest */
	return pci_dev_register(&vm->pci, d, slot, e);
}

int pci_hotplug__add(struct vm *vm, struct errinfo *e)
{
	(void)vm;
	(void)e;
	return 0;
}

int pci_hotplug__request_unplug(struct vm *vm, struct pci_dev *d, struct errinfo *e)
{
	(void)vm;
	return err_set(e, ENOTSUP, "%s: hot-unplug is not built yet", d->id);
}

bool pci_hotplug__unplug_pending(struct vm *vm, const struct pci_dev *d)
{
	(void)vm;
	(void)d;
	return false;
}
