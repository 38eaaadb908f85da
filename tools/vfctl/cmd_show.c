// SPDX-License-Identifier: GPL-2.0-only
/* vfctl show DEV: one device in depth (capabilities, IOMMU group, ACS path, SR-IOV). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind.h"
#include "iommu.h"
#include "output.h"
#include "pci_caps.h"
#include "pci_dev.h"
#include "pci_names.h"
#include "sriov_pf.h"
#include "vfctl.h"

static const char *pcie_type_name(int t)
{
	switch (t) {
	case PCIE_TYPE_ENDPOINT:
		return "endpoint";
	case PCIE_TYPE_LEG_END:
		return "legacy endpoint";
	case PCIE_TYPE_ROOT_PORT:
		return "root port";
	case PCIE_TYPE_UPSTREAM:
		return "switch upstream port";
	case PCIE_TYPE_DOWNSTREAM:
		return "switch downstream port";
	case PCIE_TYPE_RC_END:
		return "root complex integrated endpoint";
	case -1:
		return "";
	default:
		return "bridge";
	}
}

static struct json_object *caps_json(const struct pcicaps *c)
{
	struct json_object *o = json_object_new_object(), *s;

	out_json_str(o, "pcie_type", pcie_type_name(c->pcie_type));
	out_json_bool(o, "flr", c->flr);
	if (c->has_msix)
		out_json_int(o, "msix_table_size", c->msix_size);
	else
		json_object_object_add(o, "msix_table_size", NULL);
	out_json_bool(o, "msi", c->has_msi);
	if (c->has_sriov) {
		char buf[8];

		s = json_object_new_object();
		out_json_int(s, "total_vfs", c->sriov_total_vfs);
		out_json_int(s, "initial_vfs", c->sriov_initial_vfs);
		out_json_int(s, "vf_offset", c->sriov_offset);
		out_json_int(s, "vf_stride", c->sriov_stride);
		snprintf(buf, sizeof(buf), "%04x", c->sriov_vf_device);
		out_json_str(s, "vf_device", buf);
		json_object_object_add(o, "sriov", s);
	}
	if (c->has_acs) {
		s = json_object_new_object();
		out_json_int(s, "cap", c->acs_cap);
		out_json_int(s, "ctrl", c->acs_ctrl);
		out_json_bool(s, "isolates", pcicaps_acs_isolates(c));
		json_object_object_add(o, "acs", s);
	}
	out_json_bool(o, "ari", c->has_ari);
	return o;
}

static void print_caps(const struct pcicaps *c, const struct pcidev *d)
{
	printf("capabilities:\n");
	if (c->has_pcie)
		printf("  PCIe %s%s\n", pcie_type_name(c->pcie_type), c->flr ? ", FLR" : "");
	if (c->has_msix)
		printf("  MSI-X table size %u\n", c->msix_size);
	else if (c->has_msi)
		printf("  MSI (no MSI-X)\n");
	if (c->has_sriov)
		printf("  SR-IOV total %u, offset %u, stride %u, VF device %04x\n",
		       c->sriov_total_vfs, c->sriov_offset, c->sriov_stride, c->sriov_vf_device);
	if (c->has_acs)
		printf("  ACS ctrl 0x%04x (cap 0x%04x)%s\n", c->acs_ctrl, c->acs_cap,
		       pcicaps_acs_isolates(c) ? ", isolating" : ", not isolating");
	if (c->config_len <= 64)
		printf("  (only %zu bytes of config space readable: run as root for PCIe "
		       "capabilities)\n",
		       c->config_len);
	printf("  reset methods: %s\n", out_or_dash(d->reset_method));
}

static void print_group(const struct iommu_group *g, const char *bdf)
{
	static const char *const hdr[] = {"BDF", "DRIVER", "ROLE", NULL};
	struct out_table *t;
	int i;

	if (g->group < 0) {
		printf("IOMMU group: none (IOMMU off or not covering %s)\n", bdf);
		return;
	}
	printf("IOMMU group %d: %s\n", g->group,
	       g->viable ? "viable" : "not viable for VFIO: these must move first");
	t = out_table_new(hdr);
	for (i = 0; t && i < g->n; i++) {
		const struct iommu_member *m = &g->members[i];
		const char *row[3] = {m->bdf, m->driver,
				      !strcmp(m->bdf, bdf) ? "this device"
				      : m->bridge	   ? "bridge (tolerated)"
				      : m->blocking	   ? "must move to vfio-pci"
							   : "ok"};

		out_table_row(t, row);
	}
	if (t)
		out_table_print(t, stdout, "  ");
	out_table_free(t);
}

int cmd_show(struct vfctl_ctx *ctx, int argc, char **argv)
{
	char bdf[BDF_LEN], name[256];
	struct pci_bind_saved saved;
	struct errinfo e = {0};
	struct pcinames *names;
	struct iommu_group g;
	struct acs_path acs;
	struct sriov_pf pf = {0};
	struct pcicaps c;
	struct pcidev d;
	bool have_pf = false, have_saved;
	int i, ret;

	if (vfctl_help_only(ctx, argc, argv, &ret))
		return ret;
	if (argc - optind != 1)
		return vfctl_usage_error(ctx, "usage: vfctl show DEV");
	ret = vfctl_resolve_dev(ctx, argv[optind], bdf);
	if (ret)
		return ret;
	ret = pcidev_read(ctx->sysfs_root, bdf, &d, &e);
	if (ret) {
		vfctl_report(ctx, &e);
		return vfctl_exit_for(ret);
	}
	names = pcinames_open();
	pcinames_device(names, d.vendor, d.device, name, sizeof(name));
	pcinames_close(names);
	if (pcicaps_read(ctx->sysfs_root, bdf, &c, NULL))
		pcicaps_parse(NULL, 0, &c);
	if (iommu_group_read(ctx->sysfs_root, bdf, NULL, 0, &g, NULL))
		g.group = -1;
	if (iommu_acs_path(ctx->sysfs_root, bdf, &acs, NULL))
		acs.n = 0, acs.isolated = true;
	if (d.is_pf && !sriov_pf_read(ctx->sysfs_root, bdf, &pf, NULL))
		have_pf = true;
	have_saved = !pci_bind_state_read(ctx->state_dir, bdf, &saved, NULL);

	if (ctx->json) {
		struct json_object *o = out_dev_json(&d, name), *arr;

		out_json_str(o, "reset_method", d.reset_method);
		json_object_object_add(o, "capabilities", caps_json(&c));
		if (have_pf) {
			struct json_object *s = json_object_new_object();

			out_json_int(s, "totalvfs", pf.totalvfs);
			out_json_int(s, "numvfs", pf.numvfs);
			if (pf.autoprobe >= 0)
				out_json_bool(s, "autoprobe", pf.autoprobe);
			if (pf.vf_total_msix >= 0)
				out_json_int(s, "vf_total_msix", pf.vf_total_msix);
			arr = json_object_new_array();
			for (i = 0; i < pf.n_vfs; i++)
				json_object_array_add(arr, json_object_new_string(pf.vfs[i].bdf));
			json_object_object_add(s, "vfs", arr);
			json_object_object_add(o, "sriov", s);
		}
		if (g.group >= 0) {
			struct json_object *grp = json_object_new_object();

			out_json_int(grp, "group", g.group);
			out_json_bool(grp, "viable", g.viable);
			arr = json_object_new_array();
			for (i = 0; i < g.n; i++) {
				struct json_object *m = json_object_new_object();

				out_json_str(m, "bdf", g.members[i].bdf);
				out_json_str(m, "driver", g.members[i].driver);
				out_json_bool(m, "bridge", g.members[i].bridge);
				out_json_bool(m, "must_move", g.members[i].blocking);
				json_object_array_add(arr, m);
			}
			json_object_object_add(grp, "members", arr);
			json_object_object_add(o, "iommu", grp);
		} else {
			json_object_object_add(o, "iommu", NULL);
		}
		arr = json_object_new_array();
		for (i = 0; i < acs.n; i++) {
			struct json_object *p = json_object_new_object();

			out_json_str(p, "bdf", acs.ports[i].bdf);
			out_json_bool(p, "acs", acs.ports[i].has_acs);
			out_json_bool(p, "isolates", acs.ports[i].isolates);
			json_object_array_add(arr, p);
		}
		json_object_object_add(o, "acs_path", arr);
		out_json_str(o, "original_driver", have_saved ? saved.driver : NULL);
		out_json_print(o);
		goto out;
	}
	printf("%s  %s\n", bdf, name);
	printf("class %06x  vendor %04x  device %04x  subsystem %04x:%04x\n", d.class_code,
	       d.vendor, d.device, d.subsys_vendor, d.subsys_device);
	printf("driver %s", out_or_dash(d.driver));
	if (d.driver_override[0])
		printf("  (driver_override %s)", d.driver_override);
	if (have_saved)
		printf("  (vfctl remembers original driver %s)", out_or_dash(saved.driver));
	printf("\nnuma node %d", d.numa_node);
	for (i = 0; i < d.n_netdevs; i++)
		printf("%s%s", i ? ", " : "  netdev ", d.netdevs[i]);
	if (d.nvme_ctrl[0])
		printf("  nvme %s", d.nvme_ctrl);
	putchar('\n');
	if (d.is_vf)
		printf("VF %d of PF %s\n", d.vf_index, d.physfn);
	if (have_pf) {
		printf("SR-IOV PF: %d of %d VFs, autoprobe %s", pf.numvfs, pf.totalvfs,
		       pf.autoprobe < 0 ? "-"
		       : pf.autoprobe	? "on"
					: "off");
		if (pf.vf_total_msix >= 0)
			printf(", %d MSI-X vectors for VFs", pf.vf_total_msix);
		putchar('\n');
		for (i = 0; i < pf.n_vfs; i++)
			printf("  VF %d  %s\n", pf.vfs[i].index, pf.vfs[i].bdf);
	}
	print_caps(&c, &d);
	print_group(&g, bdf);
	if (acs.n == 0)
		printf("ACS path: no root or downstream port above the device\n");
	for (i = 0; i < acs.n; i++)
		printf("ACS path: %s %s\n", acs.ports[i].bdf,
		       acs.ports[i].isolates  ? "isolates"
		       : acs.ports[i].has_acs ? "has ACS but not all of SV/RR/CR/UF enabled"
					      : "has no ACS");
out:
	if (g.group >= 0)
		iommu_group_free(&g);
	if (have_pf)
		sriov_pf_free(&pf);
	return VFCTL_EXIT_OK;
}
