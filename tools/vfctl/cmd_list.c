// SPDX-License-Identifier: GPL-2.0-only
/* vfctl list [PF...]: SR-IOV PFs with their VFs. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "pci_dev.h"
#include "pci_names.h"
#include "pci_sysfs.h"
#include "sriov_pf.h"
#include "vfctl.h"
#include "vflink.h"
#include "vflink_json.h"

/* The PF's link state (operstate of its first netdev), "" when it has none. */
static void pf_link(const struct vfctl_ctx *ctx, const struct pcidev *d, char *buf, size_t size)
{
	char path[SYSFS_PATH_MAX];

	buf[0] = '\0';
	if (!d->n_netdevs ||
	    sysfs_path(path, sizeof(path), ctx->sysfs_root, "/sys/class/net/%s/operstate",
		       d->netdevs[0]) ||
	    sysfs_read_str(path, buf, size, NULL))
		buf[0] = '\0';
}

/* VF link info from the netlink backend; absent (n = 0) when the PF has no netdev or it fails. */
static struct vf_link_info *pf_vf_links(struct vfctl_ctx *ctx, const struct pcidev *d, int *n)
{
	struct vf_link_info *vi = NULL;
	struct errinfo e = {0};
	struct vflink *nl;

	*n = 0;
	if (!d->n_netdevs)
		return NULL;
	nl = vfctl_netlink(ctx, &e);
	if (!nl || vflink_get_vfs(nl, d->netdevs[0], &vi, n, &e)) {
		if (ctx->verbose)
			vfctl_report(ctx, &e);
		*n = 0;
		return NULL;
	}
	return vi;
}

static const char *autoprobe_str(int a)
{
	return a < 0 ? "" : a ? "on" : "off";
}

static int list_one(struct vfctl_ctx *ctx, struct pcinames *names, const char *bdf,
		    struct json_object *jarr)
{
	char name[256], vfname[256], link[32], grp[16], idx[16], mac[18], vlan[32];
	struct vf_link_info *vi;
	struct errinfo e = {0};
	struct sriov_pf pf;
	struct pcidev d;
	int i, nvi, ret;

	ret = pcidev_read(ctx->sysfs_root, bdf, &d, &e);
	if (!ret)
		ret = sriov_pf_read(ctx->sysfs_root, bdf, &pf, &e);
	if (ret) {
		vfctl_report(ctx, &e);
		return vfctl_exit_for(ret);
	}
	pcinames_device(names, d.vendor, d.device, name, sizeof(name));
	pf_link(ctx, &d, link, sizeof(link));
	vi = pf_vf_links(ctx, &d, &nvi);
	if (jarr) {
		struct json_object *o = out_dev_json(&d, name), *vfs = json_object_new_array();

		out_json_int(o, "totalvfs", pf.totalvfs);
		out_json_int(o, "numvfs", pf.numvfs);
		if (pf.autoprobe >= 0)
			out_json_bool(o, "autoprobe", pf.autoprobe);
		out_json_str(o, "link", link);
		for (i = 0; i < pf.n_vfs; i++) {
			const struct vf_link_info *l =
				vflink_find(vi, nvi, (uint32_t)pf.vfs[i].index);
			struct json_object *v;
			struct pcidev vd;

			if (pcidev_read(ctx->sysfs_root, pf.vfs[i].bdf, &vd, NULL))
				continue;
			/* VFs have their own pci.ids entry ("82576 Virtual Function"). */
			v = out_dev_json(&vd, pcinames_device(names, vd.vendor, vd.device, vfname,
							      sizeof(vfname)));
			json_object_object_del(v, "physfn");
			json_object_object_add(v, "link", l ? vflink_vf_to_json(l) : NULL);
			json_object_array_add(vfs, v);
		}
		json_object_object_add(o, "vfs", vfs);
		json_object_array_add(jarr, o);
		goto out;
	}
	printf("%s  %s\n", bdf, name);
	printf("  driver %s  netdev %s  numa %d  vfs %d/%d  autoprobe %s  link %s\n",
	       out_or_dash(d.driver), d.n_netdevs ? d.netdevs[0] : "-", d.numa_node, pf.numvfs,
	       pf.totalvfs, out_or_dash(autoprobe_str(pf.autoprobe)), out_or_dash(link));
	if (pf.n_vfs) {
		static const char *const hdr[] = {"VF",	    "BDF", "DRIVER", "GROUP",
						  "NETDEV", "MAC", "VLAN",   NULL};
		struct out_table *t = out_table_new(hdr);
		bool named = false;

		for (i = 0; t && i < pf.n_vfs; i++) {
			const struct vf_link_info *l =
				vflink_find(vi, nvi, (uint32_t)pf.vfs[i].index);
			const char *row[7];
			struct pcidev vd;

			if (pcidev_read(ctx->sysfs_root, pf.vfs[i].bdf, &vd, NULL))
				continue;
			/* All VFs of a PF share one device ID: name it once above the table. */
			if (!named) {
				printf("  VFs: %s\n", pcinames_device(names, vd.vendor, vd.device,
								      vfname, sizeof(vfname)));
				named = true;
			}
			snprintf(idx, sizeof(idx), "%d", pf.vfs[i].index);
			grp[0] = mac[0] = vlan[0] = '\0';
			if (vd.iommu_group >= 0)
				snprintf(grp, sizeof(grp), "%d", vd.iommu_group);
			if (l && l->has_mac)
				mac_str(l->mac, mac);
			if (l && l->has_vlan)
				snprintf(vlan, sizeof(vlan), "%u", l->vlan.vlan);
			row[0] = idx;
			row[1] = vd.bdf;
			row[2] = vd.driver;
			row[3] = grp;
			row[4] = vd.n_netdevs ? vd.netdevs[0] : "";
			row[5] = mac;
			row[6] = vlan;
			out_table_row(t, row);
		}
		if (t)
			out_table_print(t, stdout, "  ");
		out_table_free(t);
	}
out:
	free(vi);
	sriov_pf_free(&pf);
	return VFCTL_EXIT_OK;
}

int cmd_list(struct vfctl_ctx *ctx, int argc, char **argv)
{
	char(*pfs)[BDF_LEN] = NULL, bdf[BDF_LEN];
	struct json_object *jarr = NULL;
	struct errinfo e = {0};
	struct pcinames *names;
	int i, n, ret, status = VFCTL_EXIT_OK;

	if (vfctl_help_only(ctx, argc, argv, &ret))
		return ret;
	if (argc > optind) {
		n = 0;
		pfs = calloc((size_t)argc, sizeof(*pfs));
		if (!pfs)
			return VFCTL_EXIT_FAIL;
		for (i = optind; i < argc; i++) {
			ret = vfctl_resolve_dev(ctx, argv[i], bdf);
			if (ret) {
				free(pfs);
				return ret;
			}
			memcpy(pfs[n++], bdf, BDF_LEN);
		}
	} else {
		ret = sriov_pf_list(ctx->sysfs_root, &pfs, &n, &e);
		if (ret) {
			vfctl_report(ctx, &e);
			return VFCTL_EXIT_FAIL;
		}
	}
	names = pcinames_open();
	if (ctx->json)
		jarr = json_object_new_array();
	else if (n == 0)
		printf("no SR-IOV physical functions found\n");
	for (i = 0; i < n; i++) {
		if (i && !ctx->json)
			putchar('\n');
		ret = list_one(ctx, names, pfs[i], jarr);
		if (ret && status == VFCTL_EXIT_OK)
			status = ret;
	}
	if (jarr)
		out_json_print(jarr);
	pcinames_close(names);
	free(pfs);
	return status;
}
