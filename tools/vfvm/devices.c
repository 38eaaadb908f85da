// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the control API cannot do from src/vmm: create a device from a SPEC
 * at run time (add-device) and describe devices in info.  These are the
 * api_hooks (src/vmm/api.h), run on the VM's I/O thread.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"
#include "dma.h"
#include "mac.h"
#include "pci_hotplug.h"
#include "vfvm.h"
#include "virtio_blk.h"
#include "virtio_net.h"
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

/*
 * Record how device @id was made, its id made explicit so that a restore
 * makes it under the same name.
 */
static int record(struct vfvm_devices *x, enum vfvm_dev_kind kind, const char *spec, const char *id,
		  struct errinfo *e)
{
	char full[API_SPEC_MAX];
	bool has_id = !strncmp(spec, "id=", 3) || strstr(spec, ",id=");

	if (kind == VFVM_DEV_DISK) {
		/* members only (path=), so that a restore can change any of them */
		struct virtio_blk_spec *b = malloc(sizeof(*b));
		int w;

		if (!b)
			return err_set(e, ENOMEM, "device %s: out of memory", id);
		if (virtio_blk_parse_spec(spec, b, e) < 0) {
			free(b);
			return -e->err;
		}
		w = snprintf(full, sizeof(full), "path=%s%s,id=%s", b->path,
			     b->readonly ? ",ro" : "", id);
		free(b);
		if (w >= (int)sizeof(full))
			return err_set(e, ENAMETOOLONG, "device %s: SPEC too long to record", id);
		return vfvm_spec_record(x, kind, full, id, e);
	}
	if (kind == VFVM_DEV_NET && !strstr(spec, "mac=")) {
		/* the MAC derived from the tap's name must not change with the tap */
		struct virtio_net_spec n;
		char mac[MAC_STR_LEN];

		if (virtio_net_parse_spec(spec, &n, e) < 0)
			return -e->err;
		mac_str(n.mac, mac);
		if (snprintf(full, sizeof(full), "%s,mac=%s%s%s", spec, mac,
			     has_id ? "" : ",id=", has_id ? "" : id) >= (int)sizeof(full))
			return err_set(e, ENAMETOOLONG, "device %s: SPEC too long to record", id);
		return vfvm_spec_record(x, kind, full, id, e);
	}
	if (snprintf(full, sizeof(full), "%s%s%s", spec,
		     has_id  ? ""
		     : *spec ? ",id="
			     : "id=",
		     has_id ? "" : id) >= (int)sizeof(full))
		return err_set(e, ENAMETOOLONG, "device %s: SPEC too long to record", id);
	return vfvm_spec_record(x, kind, full, id, e);
}

int vfvm_add_rng(struct vfvm_devices *x, const char *spec, struct errinfo *e)
{
	struct vm *vm = x->vm;
	bool before[PCI_MAX_SLOTS];
	char id[API_DEV_ID_MAX] = "";

	for (int i = 0; i < PCI_MAX_SLOTS; i++)
		before[i] = vm->pci.dev[i] != NULL;
	if (virtio_rng__add(vm, spec, e) < 0)
		return -e->err;
	new_device_id(vm, before, id, sizeof(id));
	return record(x, VFVM_DEV_RNG, spec, id, e);
}

int vfvm_add_device(struct vfvm_devices *x, enum api_dev_kind kind, const char *spec,
		    char id_out[API_DEV_ID_MAX], struct errinfo *e)
{
	struct vm *vm = x->vm;
	char id[API_DEV_ID_MAX] = "";
	bool before[PCI_MAX_SLOTS];
	struct vfio_pci *claim;
	int ret;

	/* devices come and go only on this thread: the slots hold still */
	for (int i = 0; i < PCI_MAX_SLOTS; i++)
		before[i] = vm->pci.dev[i] != NULL;
	switch (kind) {
	case API_DEV_VFIO:
		ret = vfio_pci__claim(vfvm_host(), spec, &claim, e);
		if (ret < 0)
			break;
		if (*vfio_pci__failover(claim)) {
			/* a failover primary: the pair decides when it goes in */
			ret = vfvm_failover_add(x, claim, e);
			if (!ret && id_out)
				snprintf(id_out, API_DEV_ID_MAX, "%s",
					 x->pairs[x->nr_pairs - 1].vf_id);
			return ret;
		}
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
	if (id_out)
		snprintf(id_out, API_DEV_ID_MAX, "%s", id);
	if (kind == API_DEV_VFIO)
		return 0;
	/* the device is in: a failed record only stops a later snapshot */
	return record(x, kind == API_DEV_NET ? VFVM_DEV_NET : VFVM_DEV_DISK, spec, id, e);
}

static int hook_add_device(void *opaque, enum api_dev_kind kind, const char *spec,
			   char id[API_DEV_ID_MAX], struct errinfo *e)
{
	return vfvm_add_device(opaque, kind, spec, id, e);
}

static int hook_failover(void *opaque, const char *net_id, bool plug, struct errinfo *e)
{
	return vfvm_failover_move(opaque, net_id, plug, e);
}

/* info: what the core does not know of a device. */
static int hook_snapshot(void *opaque, const char *dir, uint64_t *bytes, struct errinfo *e)
{
	return vfvm_snapshot_save(opaque, dir, bytes, e);
}

/* The device's BARs in the IOMMU for peer-to-peer (IOVA = guest-physical address). */
static void describe_p2p(struct pci_dev *d, struct json_object *o)
{
	struct vfio_p2p_info pi;
	struct json_object *p2p, *maps;

	if (d->kind != PCI_DEV_VFIO || vfio_pci__p2p_info(d, &pi) < 0)
		return;
	p2p = json_object_new_object();
	maps = json_object_new_array();
	json_object_object_add(p2p, "enabled", json_object_new_boolean(pi.enabled));
	if (pi.clique >= 0)
		json_object_object_add(p2p, "gpudirect_clique", json_object_new_int(pi.clique));
	json_object_object_add(p2p, "mapped", json_object_new_int((int)pi.mapped));
	json_object_object_add(p2p, "mapped_bytes", json_object_new_int64((int64_t)pi.bytes));
	json_object_object_add(p2p, "failed", json_object_new_int((int)pi.failed));
	if (pi.failed)
		json_object_object_add(p2p, "last_error",
				       json_object_new_string(strerror(pi.last_err)));
	for (unsigned int i = 0; i < pi.nr; i++) {
		struct json_object *m = json_object_new_object();
		char buf[24];

		json_object_object_add(m, "bar", json_object_new_int(pi.map[i].bar));
		snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)pi.map[i].iova);
		json_object_object_add(m, "iova", json_object_new_string(buf));
		json_object_object_add(m, "size", json_object_new_int64((int64_t)pi.map[i].size));
		json_object_array_add(maps, m);
	}
	json_object_object_add(p2p, "maps", maps);
	json_object_object_add(o, "p2p", p2p);
}

static void hook_describe(void *opaque, struct pci_dev *d, struct json_object *o)
{
	struct vfvm_devices *x = opaque;
	struct virtio_net *n = virtio_net__from_pci(d);
	struct vfio_dma_stats st;
	const char *backend, *fo;
	char buf[160];

	if (n && (fo = virtio_net__failover_info(n))) {
		json_object_object_add(o, "failover", json_object_new_string(fo));
		if (vfvm_failover_describe(x, d->id, buf, sizeof(buf)))
			json_object_object_add(o, "failover_primary", json_object_new_string(buf));
	}
	for (int i = 0; i < x->nr_pairs; i++)
		if (x->pairs[i].claim && d->kind == PCI_DEV_VFIO &&
		    !strcmp(x->pairs[i].vf_id, d->id)) {
			snprintf(buf, sizeof(buf), "primary of %s", x->pairs[i].net_id);
			json_object_object_add(o, "failover", json_object_new_string(buf));
		}

	if (d->kind == PCI_DEV_VFIO && vfio_pci__dma_stats(x->vm, &st, &backend) == 0) {
		struct json_object *dma = json_object_new_object();

		/* guest RAM is mapped once for every device of the VM */
		json_object_object_add(dma, "backend", json_object_new_string(backend));
		json_object_object_add(dma, "mapped_bytes",
				       json_object_new_int64((int64_t)st.bytes));
		json_object_object_add(dma, "map_calls", json_object_new_int((int)st.map_calls));
		json_object_object_add(dma, "map_seconds", json_object_new_double(st.map_sec));
		json_object_object_add(dma, "map_piece_bytes",
				       json_object_new_int64((int64_t)st.chunk));
		json_object_object_add(dma, "prefault_threads",
				       json_object_new_int((int)st.threads));
		json_object_object_add(dma, "prefault_seconds",
				       json_object_new_double(st.prefault_sec));
		json_object_object_add(dma, "numa_node", json_object_new_int(st.node));
		json_object_object_add(o, "dma", dma);
	}
	describe_p2p(d, o);
}

void vfvm_devices_hooks(struct vfvm_devices *x, struct api_hooks *h)
{
	memset(h, 0, sizeof(*h));
	h->opaque = x;
	h->add_device = hook_add_device;
	h->failover = hook_failover;
	h->describe = hook_describe;
	h->snapshot = hook_snapshot;
	vfvm_migrate_hooks(x, h);
}
