// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "hostuse.h"
#include "iommu.h"
#include "pci_caps.h"
#include "pci_dev.h"
#include "pci_sysfs.h"

static struct check_item *add(struct check_report *r, const char *name, enum check_status st,
			      const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static struct check_item *add(struct check_report *r, const char *name, enum check_status st,
			      const char *hint, const char *fmt, ...)
{
	struct check_item *it;
	va_list ap;

	if (r->n >= CHECK_MAX_ITEMS)
		return NULL;
	it = &r->items[r->n++];
	it->name = name;
	it->status = st;
	va_start(ap, fmt);
	vsnprintf(it->detail, sizeof(it->detail), fmt, ap);
	va_end(ap);
	snprintf(it->hint, sizeof(it->hint), "%s", hint ? hint : "");
	if (st == CHECK_BLOCKER)
		r->n_blockers++;
	else if (st == CHECK_WARN)
		r->n_warnings++;
	return it;
}

const char *check_status_name(enum check_status s)
{
	switch (s) {
	case CHECK_OK:
		return "ok";
	case CHECK_WARN:
		return "warning";
	default:
		return "blocker";
	}
}

static void check_iommu(const char *root, struct check_report *r)
{
	enum iommu_irq_remap ir;

	if (iommu_enabled(root))
		add(r, "iommu", CHECK_OK, NULL, "an IOMMU is active");
	else
		add(r, "iommu", CHECK_BLOCKER,
		    "enable VT-d/AMD-Vi in the firmware and boot with intel_iommu=on (Intel) or "
		    "amd_iommu=on (AMD)",
		    "no IOMMU is active (no /sys/class/iommu entries, no IOMMU groups)");
	ir = iommu_irq_remapping(root);
	if (ir == IOMMU_IR_ON)
		add(r, "interrupt-remapping", CHECK_OK, NULL, "interrupt remapping is enabled");
	else if (iommu_unsafe_interrupts_allowed(root))
		add(r, "interrupt-remapping", CHECK_WARN,
		    "a device in the VM can forge MSIs; enable interrupt remapping (intremap=on) "
		    "if the platform has it",
		    "interrupt remapping is %s; vfio_iommu_type1.allow_unsafe_interrupts=Y lets "
		    "VFIO run anyway",
		    ir == IOMMU_IR_OFF ? "off" : "not detected");
	else if (ir == IOMMU_IR_OFF)
		add(r, "interrupt-remapping", CHECK_BLOCKER,
		    "enable interrupt remapping (firmware x2APIC/IR, no intremap=off); or, "
		    "accepting "
		    "the risk, load vfio_iommu_type1 with allow_unsafe_interrupts=1",
		    "interrupt remapping is off: VFIO refuses to attach the group (\"No interrupt "
		    "remapping support\")");
	else
		add(r, "interrupt-remapping", CHECK_WARN,
		    "check dmesg for \"Enabled IRQ remapping\" (Intel) or \"Interrupt remapping "
		    "enabled\" (AMD)",
		    "could not tell whether interrupt remapping is on (no MSI lines in "
		    "/proc/interrupts)");
}

static void check_group(const char *root, const char *bdf, const char *const *together,
			int n_together, struct check_report *r)
{
	char list[400] = "", hint[256];
	struct iommu_group g;
	int i;

	if (iommu_group_read(root, bdf, together, n_together, &g, NULL)) {
		add(r, "iommu-group", CHECK_BLOCKER,
		    "enable the IOMMU (see above); a device without a group cannot use VFIO",
		    "%s is in no IOMMU group", bdf);
		return;
	}
	if (g.viable) {
		add(r, "iommu-group", CHECK_OK, NULL, "IOMMU group %d is viable (%d member%s)",
		    g.group, g.n, g.n == 1 ? "" : "s");
		iommu_group_free(&g);
		return;
	}
	for (i = 0; i < g.n; i++) {
		size_t len = strlen(list);

		if (g.members[i].blocking)
			snprintf(list + len, sizeof(list) - len, "%s%s (%s)", len ? ", " : "",
				 g.members[i].bdf, g.members[i].driver);
	}
	snprintf(hint, sizeof(hint),
		 "move the whole group: vfctl bind %s vfio-pci --group (or unbind those members)",
		 bdf);
	add(r, "iommu-group", CHECK_BLOCKER, hint,
	    "IOMMU group %d is not viable: %s still bound to host drivers", g.group, list);
	iommu_group_free(&g);
}

static void check_acs(const char *root, const char *bdf, struct check_report *r)
{
	struct acs_path p;
	char list[300] = "";
	int i;

	if (iommu_acs_path(root, bdf, &p, NULL)) {
		add(r, "acs", CHECK_WARN, NULL, "could not walk the ports above %s", bdf);
		return;
	}
	if (p.isolated) {
		if (p.n)
			add(r, "acs", CHECK_OK, NULL,
			    "every port on the path to the root (%d) has ACS isolation", p.n);
		else
			add(r, "acs", CHECK_OK, NULL, "no root or downstream port on the path");
		return;
	}
	for (i = 0; i < p.n; i++) {
		size_t len = strlen(list);

		if (!p.ports[i].isolates)
			snprintf(list + len, sizeof(list) - len, "%s%s (%s)", len ? ", " : "",
				 p.ports[i].bdf,
				 p.ports[i].has_acs ? "ACS not fully enabled" : "no ACS");
	}
	add(r, "acs", CHECK_WARN,
	    "peer-to-peer traffic below these ports bypasses the IOMMU; the kernel puts such peers "
	    "in one group, which the group check covers",
	    "ports without ACS isolation on the path: %s", list);
}

static void check_reset(const struct pcidev *d, const struct pcicaps *c, struct check_report *r)
{
	if (d->has_reset_method_file && d->reset_method[0])
		add(r, "reset", CHECK_OK, NULL, "reset methods: %s", d->reset_method);
	else if (!d->has_reset_method_file && c->flr)
		add(r, "reset", CHECK_OK, NULL, "function level reset (FLR) supported");
	else
		add(r, "reset", CHECK_WARN,
		    "the VM may see the device in a stale state after a restart; prefer a device "
		    "with FLR",
		    "no reset method (reset_method is %s)",
		    d->has_reset_method_file ? "empty" : "absent and no FLR capability");
}

static void check_host_use(const char *root, const struct pcidev *d, struct check_report *r)
{
	char list[480] = "";
	struct hostuse u;
	int i;

	if (iommu_driver_is_vfio(d->driver)) {
		add(r, "host-use", CHECK_OK, NULL, "bound to %s, not used by the host", d->driver);
		return;
	}
	if (hostuse_check(root, d->bdf, &u, NULL) || u.n == 0) {
		if (d->driver[0])
			add(r, "host-use", CHECK_OK, NULL, "not in use by the host (driver %s)",
			    d->driver);
		else
			add(r, "host-use", CHECK_OK, NULL, "not in use by the host (no driver)");
		return;
	}
	for (i = 0; i < u.n; i++) {
		size_t len = strlen(list);

		snprintf(list + len, sizeof(list) - len, "%s%s", i ? "; " : "", u.items[i].what);
	}
	add(r, "host-use", CHECK_BLOCKER, u.items[0].hint, "%s", list);
}

int check_device(const char *root, const char *bdf, const char *const *together, int n_together,
		 struct check_report *r, struct errinfo *e)
{
	char path[SYSFS_PATH_MAX];
	struct pcicaps c;
	struct pcidev d;
	int ret;

	memset(r, 0, sizeof(*r));
	snprintf(r->bdf, sizeof(r->bdf), "%s", bdf);
	ret = pcidev_read(root, bdf, &d, e);
	if (ret)
		return ret;
	if (pcicaps_read(root, bdf, &c, NULL))
		memset(&c, 0, sizeof(c));
	check_iommu(root, r);
	if (!sysfs_path(path, sizeof(path), root, "/sys/bus/pci/drivers/vfio-pci") &&
	    sysfs_exists(path))
		add(r, "vfio-pci", CHECK_OK, NULL, "the vfio-pci driver is loaded");
	else
		add(r, "vfio-pci", CHECK_BLOCKER, "modprobe vfio-pci",
		    "the vfio-pci driver is not loaded");
	if (pcidev_is_bridge(&d))
		add(r, "device", CHECK_BLOCKER, "pass the endpoints behind it instead",
		    "%s is a PCI bridge", bdf);
	else if (d.is_pf && !iommu_driver_is_vfio(d.driver)) {
		long nvfs = 0;

		sysfs_dev_read_long(root, bdf, "sriov_numvfs", &nvfs, NULL);
		if (nvfs > 0) {
			char hint[128];

			snprintf(hint, sizeof(hint),
				 "pass a VF instead, or remove the VFs: vfctl vfs "
				 "%s 0",
				 bdf);
			add(r, "device", CHECK_BLOCKER, hint,
			    "%s is an SR-IOV PF with %ld VFs; vfio-pci refuses a PF with VFs", bdf,
			    nvfs);
		}
	}
	if (d.is_vf) {
		struct pcidev pf;

		if (!pcidev_read(root, d.physfn, &pf, NULL) && iommu_driver_is_vfio(pf.driver))
			add(r, "vf-token", CHECK_WARN,
			    "the VMM must pass the PF's VF token (vfio-pci vf_token=UUID)",
			    "the PF %s is owned by %s", d.physfn, pf.driver);
	}
	check_group(root, bdf, together, n_together, r);
	check_acs(root, bdf, r);
	check_reset(&d, &c, r);
	check_host_use(root, &d, r);
	return 0;
}
