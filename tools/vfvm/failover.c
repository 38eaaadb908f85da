// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-net failover pairs (--net ...,failover=on + --device VF,failover=NET):
 * the VF primary stays out of the guest until its driver accepts STANDBY on
 * the virtio-net standby, then it is hot-plugged with the standby's MAC (set
 * through its PF); failover-unplug/replug move it out and back; when it
 * leaves for good it gets its MAC back and goes back to its host driver.
 * Everything here runs on the VM's I/O thread, except setup and teardown on
 * the main thread while no vCPU runs.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "mac.h"
#include "pci_hotplug.h"
#include "vf_mac.h"
#include "vfvm.h"
#include "virtio_net.h"
#include "vm.h"

static const char *const state_names[] = {
	[FO_WAIT_STANDBY] = "waiting for the guest to accept STANDBY",
	[FO_PLUGGED] = "plugged",
	[FO_UNPLUGGING] = "unplug requested",
	[FO_UNPLUGGED] = "unplugged (traffic on virtio)",
};

static struct vfvm_failover *pair_of_net(struct vfvm_devices *x, const char *net_id)
{
	for (int i = 0; i < x->nr_pairs; i++)
		if (x->pairs[i].claim && !strcmp(x->pairs[i].net_id, net_id))
			return &x->pairs[i];
	return NULL;
}

static struct vfvm_failover *pair_of_claim(struct vfvm_devices *x, struct vfio_pci *claim)
{
	for (int i = 0; i < x->nr_pairs; i++)
		if (x->pairs[i].claim == claim)
			return &x->pairs[i];
	return NULL;
}

static void say(struct vfvm_devices *x, const struct errinfo *e)
{
	vlog_report(&x->vm->log, VLOG_ERR, "%s%s%s", e->msg, e->hint[0] ? "; " : "", e->hint);
}

/* Plug the primary (its MAC set first): the guest sees it as soon as it looks. */
static int plug(struct vfvm_devices *x, struct vfvm_failover *p, struct errinfo *e)
{
	struct virtio_net *n = virtio_net__find(x->vm, p->net_id);
	int ret;

	if (!p->lease.held) {
		ret = vf_mac_lease(x->nl, vfvm_host()->sysfs_root, vfio_pci__bdf(p->claim), p->mac,
				   &p->lease, e);
		if (ret < 0)
			return ret;
	}
	ret = vfio_pci__add(x->vm, p->claim, e);
	if (ret < 0)
		return ret; /* a kept claim stays ours */
	p->state = FO_PLUGGED;
	snprintf(p->vf_id, sizeof(p->vf_id), "%s", vfio_pci__id(p->claim));
	if (n)
		virtio_net__failover_primary(n, true, NULL);
	return 0;
}

/*
 * Give the VF back for good: MAC, then its host driver; the pair ends.
 * Returns how many of the two failed, @e the first.
 */
static int drop(struct vfvm_devices *x, struct vfvm_failover *p, struct errinfo *e)
{
	struct errinfo e2 = {0};
	int failed = 0;

	if (vf_mac_return(x->nl, &p->lease, e) < 0)
		failed++;
	if (vfio_pci__unclaim(p->claim, &e2) > 0 && !failed++)
		*e = e2;
	p->claim = NULL;
	return failed;
}

/* The standby's driver accepted STANDBY (or went away). */
static void on_standby(void *opaque, const char *net_id, enum net_failover_event ev)
{
	struct vfvm_devices *x = opaque;
	struct vfvm_failover *p = pair_of_net(x, net_id);
	struct errinfo e = {0};

	if (!p || ev != NET_FAILOVER_EV_ACKED || p->state != FO_WAIT_STANDBY)
		return;
	if (plug(x, p, &e) < 0) {
		err_prefix(&e, "failover %s: plugging its primary %s", net_id,
			   vfio_pci__bdf(p->claim));
		say(x, &e);
	}
}

/* The primary left the guest (eject done) or the VM is going. */
static void on_released(void *opaque, struct vfio_pci *claim)
{
	struct vfvm_devices *x = opaque;
	struct vfvm_failover *p = pair_of_claim(x, claim);
	struct virtio_net *n;
	struct errinfo e = {0};
	char detail[128];

	if (!p || atomic_load(&x->vm->exit_requested))
		return; /* teardown: vfvm_failover_exit() gives it back */
	n = virtio_net__find(x->vm, p->net_id);
	if (n)
		virtio_net__failover_primary(n, false, NULL);
	if (p->state != FO_UNPLUGGING) {
		/* remove-device, a REQ or the guest on its own: the VF leaves the VM */
		if (drop(x, p, &e))
			say(x, &e);
		return;
	}
	p->state = FO_UNPLUGGED;
	/* frames for the MAC must reach the PF (and the standby), not the idle VF */
	if (vf_mac_return(x->nl, &p->lease, &e) < 0)
		say(x, &e);
	snprintf(detail, sizeof(detail), "primary %s (%s) unplugged; traffic on virtio", p->vf_id,
		 vfio_pci__bdf(claim));
	vm_event(x->vm, "failover-unplugged", p->net_id, detail);
	vfvm_migrate_unplugged(x); /* a migration may wait for it */
}

int vfvm_failover_add(struct vfvm_devices *x, struct vfio_pci *claim, struct errinfo *e)
{
	const char *net_id = vfio_pci__failover(claim), *bdf = vfio_pci__bdf(claim);
	struct virtio_net *n = virtio_net__find(x->vm, net_id);
	enum net_failover_state st;
	struct vfvm_failover *p;
	int ret;

	if (!n || !virtio_net__failover_state(n, &st)) {
		err_set(e, EINVAL, "--device %s,failover=%s: no --net with id=%s,failover=on", bdf,
			net_id, net_id);
		err_hint(e, "pair it with --net id=%s,tap=TAP,mac=MAC,failover=on", net_id);
		goto refuse;
	}
	if (pair_of_net(x, net_id)) {
		err_set(e, EBUSY, "--device %s,failover=%s: %s has a primary already", bdf, net_id,
			net_id);
		goto refuse;
	}
	if (x->nr_pairs == VFVM_MAX_FAILOVER) {
		err_set(e, ENOSPC, "--device %s: more than %d failover pairs", bdf,
			VFVM_MAX_FAILOVER);
		goto refuse;
	}
	ret = vfio_pci__net_class_check(claim, e);
	if (ret < 0) {
		err_prefix(e, "--device %s,failover=%s: a failover primary must be a NIC", bdf,
			   net_id);
		goto refuse;
	}
	if (!x->nl) {
		x->nl = vflink_open_nl(e);
		if (!x->nl)
			goto refuse;
	}
	p = &x->pairs[x->nr_pairs];
	memset(p, 0, sizeof(*p));
	memcpy(p->mac, n->mac, 6);
	/*
	 * Refused now when the PF cannot set the VF's MAC, not once the guest
	 * waits.  Not on a migration's destination: the source's primary may
	 * carry the MAC until the migration unplugs it (plug() sets it then).
	 */
	if (!x->incoming) {
		ret = vf_mac_lease(x->nl, vfvm_host()->sysfs_root, bdf, p->mac, &p->lease, e);
		if (ret < 0)
			goto refuse;
	}
	x->nr_pairs++;
	p->claim = claim;
	snprintf(p->net_id, sizeof(p->net_id), "%s", net_id);
	snprintf(p->vf_id, sizeof(p->vf_id), "%s",
		 *vfio_pci__id(claim) ? vfio_pci__id(claim) : bdf);
	p->state = FO_WAIT_STANDBY;
	vfio_pci__keep_claim(claim, on_released, x);
	virtio_net__set_failover_cb(n, on_standby, x);
	/* added to a running VM whose guest accepted STANDBY already: plug now */
	if (virtio_net__failover_state(n, &st) &&
	    (st == NET_FAILOVER_STANDBY_ACKED || st == NET_FAILOVER_PRIMARY_UNPLUGGED) &&
	    plug(x, p, e) < 0) {
		struct errinfo e2 = {0};

		x->nr_pairs--;
		if (drop(x, p, &e2))
			err_hint(e, "and giving it back: %s", e2.msg);
		return -EIO;
	}
	return 0;
refuse:
	vfio_pci__unclaim(claim, NULL);
	return -EINVAL;
}

int vfvm_failover_move(struct vfvm_devices *x, const char *net_id, bool plug_back,
		       struct errinfo *e)
{
	struct vfvm_failover *p = pair_of_net(x, net_id);
	struct pci_dev *d;

	if (!p) {
		err_set(e, ENOENT, "%s: not a failover virtio-net with a primary", net_id);
		err_hint(e, "pair one: --net id=%s,...,failover=on and --device VF,failover=%s",
			 net_id, net_id);
		return -ENOENT;
	}
	if (!plug_back) {
		if (p->state != FO_PLUGGED) {
			err_set(e, EALREADY, "failover-unplug %s: its primary is %s", net_id,
				state_names[p->state]);
			return -EALREADY;
		}
		d = vm_pci_find(x->vm, vfio_pci__id(p->claim));
		if (!d || pci_hotplug__request_unplug(x->vm, d, e) < 0) {
			if (!d)
				err_set(e, ENOENT,
					"failover-unplug %s: its primary is not on the bus",
					net_id);
			return -EIO;
		}
		p->state = FO_UNPLUGGING;
		return 0;
	}
	if (p->state != FO_UNPLUGGED) {
		err_set(e, EALREADY, "failover-replug %s: its primary is %s", net_id,
			state_names[p->state]);
		return -EALREADY;
	}
	if (plug(x, p, e) < 0) {
		err_prefix(e, "failover-replug %s", net_id);
		return -EIO;
	}
	vm_event(x->vm, "failover-replugged", net_id, vfio_pci__bdf(p->claim));
	return 0;
}

const char *vfvm_failover_describe(struct vfvm_devices *x, const char *net_id, char *buf,
				   size_t size)
{
	struct vfvm_failover *p = pair_of_net(x, net_id);

	if (!p)
		return NULL;
	snprintf(buf, size, "primary %s (%s) %s", p->vf_id, vfio_pci__bdf(p->claim),
		 state_names[p->state]);
	return buf;
}

int vfvm_failover_exit(struct vfvm_devices *x, struct errinfo *e)
{
	struct errinfo e1;
	int failed = 0, n;

	for (int i = 0; i < x->nr_pairs; i++) {
		if (!x->pairs[i].claim)
			continue;
		err_clear(&e1);
		n = drop(x, &x->pairs[i], &e1);
		if (n && !failed)
			*e = e1;
		failed += n;
	}
	x->nr_pairs = 0;
	if (x->nl)
		vflink_close(x->nl);
	x->nl = NULL;
	return failed;
}

/*
 * After a restore or an incoming migration: the loaded standby says whether
 * the guest accepted STANDBY; its pairs' primaries (this host's VFs) are
 * plugged then, as hot-plugs, so on the I/O thread once the vCPUs run.
 */
static void plug_restored(int fd, uint32_t events, void *opaque)
{
	struct vfvm_devices *x = opaque;
	uint64_t n;

	(void)events;
	(void)!read(fd, &n, sizeof(n));
	vm_io_del(x->vm, fd);
	close(fd);
	if (!vm_wait_running(x->vm))
		return;
	for (int i = 0; i < x->nr_pairs; i++) {
		struct vfvm_failover *p = &x->pairs[i];
		struct virtio_net *net = virtio_net__find(x->vm, p->net_id);
		enum net_failover_state st;
		struct errinfo e = {0};

		if (!p->claim || p->state != FO_WAIT_STANDBY || !net ||
		    !virtio_net__failover_state(net, &st) ||
		    (st != NET_FAILOVER_STANDBY_ACKED && st != NET_FAILOVER_PRIMARY_UNPLUGGED))
			continue;
		if (plug(x, p, &e) < 0) {
			err_prefix(&e, "failover %s: plugging its primary %s", p->net_id,
				   vfio_pci__bdf(p->claim));
			say(x, &e);
			continue;
		}
		vm_event(x->vm, "failover-replugged", p->net_id, vfio_pci__bdf(p->claim));
	}
}

int vfvm_failover_restored(struct vfvm_devices *x, struct errinfo *e)
{
	uint64_t one = 1;
	int fd;

	if (!x->nr_pairs)
		return 0;
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return err_sys(e, errno, "failover: eventfd");
	if (vm_io_add(x->vm, fd, EPOLLIN, plug_restored, x, e) < 0) {
		close(fd);
		return -e->err;
	}
	(void)!write(fd, &one, sizeof(one));
	return 0;
}
