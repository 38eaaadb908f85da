// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the control API cannot do from src/vmm: create a device from a SPEC
 * at run time (add-device) and describe devices in info.  These are the
 * api_hooks (src/vmm/api.h), run on the VM's I/O thread.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "devices.h"
#include "dma.h"
#include "pci_hotplug.h"
#include "vfvm.h"
#include "vm.h"

/* The id of the device in a slot that was empty in @before. */
static void new_device_id(struct vm *vm, const bool before[PCI_MAX_SLOTS], char *id, size_t size)
{
	for (int i = 0; i < PCI_MAX_SLOTS; i++)
		if (!before[i] && vm->pci.dev[i]) {
			snprintf(id, size, "%s", vm->pci.dev[i]->id);
			return;
		}
}

int vfvm_add_device(struct vfvm_devices *x, enum api_dev_kind kind, const char *spec,
		    char id[API_DEV_ID_MAX], struct errinfo *e)
{
	struct vm *vm = x->vm;
	bool before[PCI_MAX_SLOTS];
	struct vfio_pci *claim;
	int ret;

	/* devices come and go only on this thread: the slots hold still */
	for (int i = 0; i < PCI_MAX_SLOTS; i++)
		before[i] = vm->pci.dev[i] != NULL;
	switch (kind) {
	case API_DEV_VFIO:
		ret = vfio_pci__claim(vfvm_host(), spec, &claim, e);
		if (!ret)
			ret = vfio_pci__add(vm, claim, e);
		break;
	case API_DEV_NET:
		ret = virtio_net__add(vm, spec, e);
		break;
	case API_DEV_DISK:
		ret = virtio_blk__add(vm, spec, e);
		break;
	default:
		ret = err_set(e, EINVAL, "add-device: no kind of device for '%s'", spec);
	}
	if (ret < 0) {
		err_prefix(e, "add-device %s", spec);
		return ret;
	}
	new_device_id(vm, before, id, API_DEV_ID_MAX);
	return 0;
}

static int hook_add_device(void *opaque, enum api_dev_kind kind, const char *spec,
			   char id[API_DEV_ID_MAX], struct errinfo *e)
{
	return vfvm_add_device(opaque, kind, spec, id, e);
}

/* info: what the core does not know of a device. */
static void hook_describe(void *opaque, struct pci_dev *d, struct json_object *o)
{
	struct vfvm_devices *x = opaque;
	struct vfio_dma_stats st;
	const char *backend;

	if (d->kind == PCI_DEV_VFIO && vfio_pci__dma_stats(x->vm, &st, &backend) == 0) {
		struct json_object *dma = json_object_new_object();

		/* guest RAM is mapped once for every device of the VM */
		json_object_object_add(dma, "backend", json_object_new_string(backend));
		json_object_object_add(dma, "mapped_bytes",
				       json_object_new_int64((int64_t)st.bytes));
		json_object_object_add(dma, "map_calls", json_object_new_int((int)st.map_calls));
		json_object_object_add(dma, "map_seconds", json_object_new_double(st.map_sec));
		json_object_object_add(o, "dma", dma);
	}
}

void vfvm_devices_hooks(struct vfvm_devices *x, struct api_hooks *h)
{
	memset(h, 0, sizeof(*h));
	h->opaque = x;
	h->add_device = hook_add_device;
	h->describe = hook_describe;
}
