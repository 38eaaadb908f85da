// SPDX-License-Identifier: GPL-2.0-only
/* The pre-flight engine: see preflight.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hostuse.h"
#include "iommu.h"
#include "pci_caps.h"
#include "pci_dev.h"
#include "pci_sysfs.h"
#include "preflight.h"

struct preflight_item *preflight_add(struct preflight_report *r, const char *id,
				     enum preflight_status st, const char *fix, const char *fmt,
				     ...)
{
	struct preflight_item *it;
	va_list ap;

	it = r->n < PREFLIGHT_MAX_ITEMS ? &r->items[r->n++] : &r->scratch;
	it->id = id;
	it->status = st;
	va_start(ap, fmt);
	vsnprintf(it->detail, sizeof(it->detail), fmt, ap);
	va_end(ap);
	snprintf(it->fix, sizeof(it->fix), "%s", fix ? fix : "");
	if (st == PREFLIGHT_FAIL)
		r->n_fail++;
	else if (st == PREFLIGHT_WARN)
		r->n_warn++;
	return it;
}

const struct preflight_item *preflight_find(const struct preflight_report *r, const char *id)
{
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->items[i].id, id))
			return &r->items[i];
	return NULL;
}

bool preflight_ready(const struct preflight_report *r)
{
	return r->n_fail == 0;
}

const char *preflight_status_name(enum preflight_status s)
{
	switch (s) {
	case PREFLIGHT_OK:
		return "ok";
	case PREFLIGHT_WARN:
		return "warn";
	default:
		return "fail";
	}
}

static void check_iommu(const char *root, struct preflight_report *r)
{
	enum iommu_irq_remap ir;

	if (iommu_enabled(root))
		preflight_add(r, "iommu", PREFLIGHT_OK, NULL, "an IOMMU is active");
	else
		preflight_add(r, "iommu", PREFLIGHT_FAIL,
			      "enable VT-d/AMD-Vi in the firmware and boot with intel_iommu=on "
			      "(Intel) or amd_iommu=on (AMD)",
			      "no IOMMU is active (no /sys/class/iommu entries, no IOMMU groups)");
	ir = iommu_irq_remapping(root);
	if (ir == IOMMU_IR_ON)
		preflight_add(r, "interrupt-remapping", PREFLIGHT_OK, NULL,
			      "interrupt remapping is enabled");
	else if (iommu_unsafe_interrupts_allowed(root))
		preflight_add(
			r, "interrupt-remapping", PREFLIGHT_WARN,
			"a device in the VM can forge MSIs; enable interrupt remapping "
			"(intremap=on) if the platform has it",
			"interrupt remapping is %s; vfio_iommu_type1.allow_unsafe_interrupts=Y "
			"lets VFIO run anyway",
			ir == IOMMU_IR_OFF ? "off" : "not detected");
	else if (ir == IOMMU_IR_OFF)
		preflight_add(
			r, "interrupt-remapping", PREFLIGHT_FAIL,
			"enable interrupt remapping (firmware x2APIC/IR, no intremap=off); or, "
			"accepting the risk, load vfio_iommu_type1 with "
			"allow_unsafe_interrupts=1",
			"interrupt remapping is off: VFIO refuses to attach the group (\"No "
			"interrupt remapping support\")");
	else
		preflight_add(r, "interrupt-remapping", PREFLIGHT_WARN,
			      "check dmesg for \"Enabled IRQ remapping\" (Intel) or \"Interrupt "
			      "remapping enabled\" (AMD)",
			      "could not tell whether interrupt remapping is on (no MSI lines in "
			      "/proc/interrupts)");
}

static void check_vfio_loaded(const char *root, struct preflight_report *r)
{
	char path[SYSFS_PATH_MAX];

	if (!sysfs_path(path, sizeof(path), root, "/sys/bus/pci/drivers/vfio-pci") &&
	    sysfs_exists(path))
		preflight_add(r, "vfio-pci", PREFLIGHT_OK, NULL, "the vfio-pci driver is loaded");
	else
		preflight_add(r, "vfio-pci", PREFLIGHT_FAIL, "modprobe vfio-pci",
			      "the vfio-pci driver is not loaded");
}

static void check_device_kind(const char *root, const struct pcidev *d, struct preflight_report *r)
{
	char fix[128];
	long nvfs = 0;

	if (pcidev_is_bridge(d)) {
		preflight_add(r, "device", PREFLIGHT_FAIL, "pass the endpoints behind it instead",
			      "%s is a PCI bridge", d->bdf);
		return;
	}
	if (d->is_pf && !iommu_driver_is_vfio(d->driver) &&
	    !sysfs_dev_read_long(root, d->bdf, "sriov_numvfs", &nvfs, NULL) && nvfs > 0) {
		snprintf(fix, sizeof(fix), "pass a VF instead, or remove the VFs: vfctl vfs %s 0",
			 d->bdf);
		preflight_add(r, "device", PREFLIGHT_FAIL, fix,
			      "%s is an SR-IOV PF with %ld VFs; vfio-pci refuses a PF with VFs",
			      d->bdf, nvfs);
		return;
	}
	preflight_add(r, "device", PREFLIGHT_OK, NULL, "%s exists", d->bdf);
}

static void check_group(const char *root, const char *bdf, const struct preflight_opts *o,
			struct preflight_report *r)
{
	const char *self[1] = {bdf};
	const char *const *moving = o->n_together ? o->together : self;
	int n_moving = o->n_together ? o->n_together : 1;
	char list[400] = "", fix[256];
	struct iommu_group g;

	if (iommu_group_read(root, bdf, moving, n_moving, &g, NULL)) {
		preflight_add(r, "iommu-group", PREFLIGHT_FAIL,
			      "enable the IOMMU (see above); a device without a group cannot use "
			      "VFIO",
			      "%s is in no IOMMU group", bdf);
		return;
	}
	r->group = g.group;
	if (g.viable) {
		preflight_add(r, "iommu-group", PREFLIGHT_OK, NULL,
			      "IOMMU group %d is viable (%d member%s)", g.group, g.n,
			      g.n == 1 ? "" : "s");
		iommu_group_free(&g);
		return;
	}
	for (int i = 0; i < g.n; i++) {
		size_t len = strlen(list);

		if (g.members[i].blocking)
			snprintf(list + len, sizeof(list) - len, "%s%s (%s)", len ? ", " : "",
				 g.members[i].bdf,
				 g.members[i].driver[0] ? g.members[i].driver : "no driver");
	}
	if (o->vmm && o->managed) {
		preflight_add(r, "iommu-group", PREFLIGHT_WARN,
			      "they return to their drivers when vfvm exits; the host must not be "
			      "using them",
			      "IOMMU group %d is not viable: %s still bound to host drivers; "
			      "managed takes them too",
			      g.group, list);
	} else {
		snprintf(fix, sizeof(fix),
			 "move the whole group: vfctl bind %s vfio-pci --group (or unbind those "
			 "members)%s",
			 bdf, o->vmm ? "; or add ,managed" : "");
		preflight_add(r, "iommu-group", PREFLIGHT_FAIL, fix,
			      "IOMMU group %d is not viable: %s still bound to host drivers",
			      g.group, list);
	}
	iommu_group_free(&g);
}

/* For a VMM: the device is on vfio-pci and its group has a /dev/vfio node. */
static void check_driver(const char *root, const struct pcidev *d, const struct preflight_opts *o,
			 struct preflight_report *r)
{
	const char *drv = d->driver[0] ? d->driver : "no driver";
	char path[SYSFS_PATH_MAX], fix[256];

	if (o->managed) {
		preflight_add(r, "driver", PREFLIGHT_OK, NULL,
			      "%s is bound to %s; managed binds it to vfio-pci", d->bdf, drv);
		return;
	}
	if (!iommu_driver_is_vfio(d->driver)) {
		snprintf(fix, sizeof(fix), "vfctl bind %s vfio-pci, or add ,managed", d->bdf);
		preflight_add(r, "driver", PREFLIGHT_FAIL, fix, "%s is bound to %s, not vfio-pci",
			      d->bdf, drv);
		return;
	}
	if (r->group >= 0 && !sysfs_path(path, sizeof(path), root, "/dev/vfio/%d", r->group) &&
	    !sysfs_exists(path)) {
		preflight_add(r, "driver", PREFLIGHT_FAIL,
			      "is the vfio module loaded? (modprobe vfio-pci)",
			      "%s is bound to %s but /dev/vfio/%d does not exist", d->bdf, drv,
			      r->group);
		return;
	}
	preflight_add(r, "driver", PREFLIGHT_OK, NULL, "%s is bound to %s", d->bdf, drv);
}

static void check_vf_token(const char *root, const struct pcidev *d, const struct preflight_opts *o,
			   struct preflight_report *r)
{
	struct pcidev pf;

	if (!d->is_vf || pcidev_read(root, d->physfn, &pf, NULL) ||
	    !iommu_driver_is_vfio(pf.driver))
		return;
	if (!o->vmm)
		preflight_add(r, "vf-token", PREFLIGHT_WARN,
			      "the VMM must present the PF's VF token (vfvm: --device "
			      "BDF,vf-token=UUID)",
			      "the PF %s is owned by %s: opening the VF needs the PF's VF token",
			      d->physfn, pf.driver);
	else if (o->vf_token)
		preflight_add(r, "vf-token", PREFLIGHT_OK, NULL,
			      "the PF %s is owned by %s; a VF token is given", d->physfn,
			      pf.driver);
	else
		preflight_add(r, "vf-token", PREFLIGHT_FAIL,
			      "add ,vf-token=UUID (the token the PF's user set)",
			      "the PF %s is owned by %s: opening the VF needs the PF's VF token",
			      d->physfn, pf.driver);
}

static void check_acs(const char *root, const char *bdf, struct preflight_report *r)
{
	struct acs_path p;
	char list[300] = "";

	if (iommu_acs_path(root, bdf, &p, NULL)) {
		preflight_add(r, "acs", PREFLIGHT_WARN, NULL, "could not walk the ports above %s",
			      bdf);
		return;
	}
	if (p.isolated) {
		if (p.n)
			preflight_add(r, "acs", PREFLIGHT_OK, NULL,
				      "every port on the path to the root (%d) has ACS isolation",
				      p.n);
		else
			preflight_add(r, "acs", PREFLIGHT_OK, NULL,
				      "no root or downstream port on the path");
		return;
	}
	for (int i = 0; i < p.n; i++) {
		size_t len = strlen(list);

		if (!p.ports[i].isolates)
			snprintf(list + len, sizeof(list) - len, "%s%s (%s)", len ? ", " : "",
				 p.ports[i].bdf,
				 p.ports[i].has_acs ? "ACS not fully enabled" : "no ACS");
	}
	preflight_add(r, "acs", PREFLIGHT_WARN,
		      "peer-to-peer traffic below these ports bypasses the IOMMU; the kernel puts "
		      "such peers in one group, which the group check covers",
		      "ports without ACS isolation on the path: %s", list);
}

static void check_reset(const char *root, const struct pcidev *d, const struct pcicaps *c,
			struct preflight_report *r)
{
	char path[SYSFS_PATH_MAX];

	if (d->has_reset_method_file && d->reset_method[0]) {
		preflight_add(r, "reset", PREFLIGHT_OK, NULL, "reset methods: %s", d->reset_method);
		return;
	}
	if (!d->has_reset_method_file && c->flr) {
		preflight_add(r, "reset", PREFLIGHT_OK, NULL,
			      "function level reset (FLR) supported");
		return;
	}
	/* kernels before reset_method: a "reset" file when some method works */
	if (!d->has_reset_method_file &&
	    !sysfs_dev_path(path, sizeof(path), root, d->bdf, "reset") && sysfs_exists(path)) {
		preflight_add(r, "reset", PREFLIGHT_OK, NULL, "the device can be reset");
		return;
	}
	preflight_add(r, "reset", PREFLIGHT_WARN,
		      "the VM may see the device in a stale state after a restart, and state can "
		      "leak between VMs; prefer a device with FLR",
		      "no reset method (reset_method is %s)",
		      d->has_reset_method_file ? "empty" : "absent and no FLR capability");
}

static void check_host_use(const char *root, const struct pcidev *d, struct preflight_report *r)
{
	char list[480] = "";
	struct hostuse u;

	if (iommu_driver_is_vfio(d->driver)) {
		preflight_add(r, "host-use", PREFLIGHT_OK, NULL,
			      "bound to %s, not used by the host", d->driver);
		return;
	}
	if (hostuse_check(root, d->bdf, &u, NULL) || u.n == 0) {
		if (d->driver[0])
			preflight_add(r, "host-use", PREFLIGHT_OK, NULL,
				      "not in use by the host (driver %s)", d->driver);
		else
			preflight_add(r, "host-use", PREFLIGHT_OK, NULL,
				      "not in use by the host (no driver)");
		return;
	}
	for (int i = 0; i < u.n; i++) {
		size_t len = strlen(list);

		snprintf(list + len, sizeof(list) - len, "%s%s", i ? "; " : "", u.items[i].what);
	}
	preflight_add(r, "host-use", PREFLIGHT_FAIL, u.items[0].hint, "%s", list);
}

int preflight_device(const char *root, const char *bdf, const struct preflight_opts *o,
		     struct preflight_report *r, struct errinfo *e)
{
	static const struct preflight_opts none;
	struct pcicaps c;
	struct pcidev d;
	int ret;

	if (!o)
		o = &none;
	memset(r, 0, sizeof(*r));
	r->group = -1;
	snprintf(r->bdf, sizeof(r->bdf), "%s", bdf);
	ret = pcidev_read(root, bdf, &d, e);
	if (ret == -ENODEV) {
		if (e)
			memset(e, 0, sizeof(*e));
		preflight_add(r, "device", PREFLIGHT_FAIL,
			      "list devices with lspci -D or vfctl list", "%s: no such PCI device",
			      bdf);
		return 0;
	}
	if (ret)
		return ret;
	if (pcicaps_read(root, bdf, &c, NULL))
		memset(&c, 0, sizeof(c));
	check_device_kind(root, &d, r);
	check_iommu(root, r);
	check_vfio_loaded(root, r);
	check_group(root, bdf, o, r);
	if (o->vmm)
		check_driver(root, &d, o, r);
	check_vf_token(root, &d, o, r);
	check_acs(root, bdf, r);
	check_reset(root, &d, &c, r);
	check_host_use(root, &d, r);
	return 0;
}
