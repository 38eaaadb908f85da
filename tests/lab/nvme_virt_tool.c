// SPDX-License-Identifier: GPL-2.0-only
/*
 * lab-nvme-virt: drives sriov/nvme_virt.c on a real (emulated) NVMe PF in
 * the lab, so the library is verified against a kernel and a controller
 * independently of the vfctl front end.
 *   lab-nvme-virt show BDF         primary capabilities + secondary list
 *   lab-nvme-virt prepare BDF N    nvme_virt_prepare()
 *   lab-nvme-virt online BDF N     nvme_virt_online_vfs()
 *   lab-nvme-virt is-pf BDF        exit 0 when nvme_virt_is_nvme_pf()
 *   lab-nvme-virt give-primary BDF N   primary flexible allocation N VQ, N/2 VI
 * Honours VFCTL_SYSFS_ROOT like vfctl.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_virt.h"

static void report(const char *what, const struct errinfo *e)
{
	fprintf(stderr, "lab-nvme-virt: %s: %s\n", what, e->msg);
	if (e->hint[0])
		fprintf(stderr, "  hint: %s\n", e->hint);
}

static int show(const char *root, const char *bdf)
{
	struct nvme_virt_secondary list[NVME_VIRT_MAX_SECONDARY];
	struct nvme_virt_primary_caps c;
	char name[64], dev[4200];
	struct errinfo e = {0};
	int n, i;

	if (nvme_virt_ctrl_name(root, bdf, name, sizeof(name), &e)) {
		report("controller", &e);
		return 1;
	}
	snprintf(dev, sizeof(dev), "%s/dev/%s", root, name);
	if (nvme_virt_primary_caps(&nvme_virt_ops_real, dev, &c, &e)) {
		report("identify 0x14", &e);
		return 1;
	}
	printf("%s %s cntlid %u crt 0x%x\n", bdf, name, c.cntlid, c.crt);
	printf("  vq: total %u assigned-to-secondaries %u primary-flex %u primary-private %u "
	       "max-per-vf %u gran %u\n",
	       c.vqfrt, c.vqrfa, c.vqrfap, c.vqprt, c.vqfrsm, c.vqgran);
	printf("  vi: total %u assigned-to-secondaries %u primary-flex %u primary-private %u "
	       "max-per-vf %u gran %u\n",
	       c.vifrt, c.virfa, c.virfap, c.viprt, c.vifrsm, c.vigran);
	n = nvme_virt_secondary_list(&nvme_virt_ops_real, dev, list, NVME_VIRT_MAX_SECONDARY, &e);
	if (n < 0) {
		report("identify 0x15", &e);
		return 1;
	}
	for (i = 0; i < n; i++)
		printf("  secondary scid %u vfn %u %s nvq %u nvi %u\n", list[i].scid, list[i].vfn,
		       list[i].scs & 1 ? "online" : "offline", list[i].nvq, list[i].nvi);
	return 0;
}

/*
 * Hand the whole flexible pool back to the primary (Virtualization Management
 * action 1 with NR = N for VQ and N/2 for VI): the state a controller may be
 * in before vfctl ever ran, so nvme_virt_prepare() has real work to do.
 */
static int give_primary(const char *root, const char *bdf, unsigned n)
{
	struct nvme_virt_cmd cmd = {.opcode = NVME_VIRT_OPC_VIRT_MGMT};
	char name[64], dev[4200];
	struct errinfo e = {0};
	int rt, ret;

	if (nvme_virt_ctrl_name(root, bdf, name, sizeof(name), &e)) {
		report("controller", &e);
		return 1;
	}
	snprintf(dev, sizeof(dev), "%s/dev/%s", root, name);
	for (rt = NVME_VIRT_RT_VQ; rt <= NVME_VIRT_RT_VI; rt++) {
		cmd.cdw10 = NVME_VIRT_ACT_PRIMARY_FLEX | (uint32_t)rt << 8;
		cmd.cdw11 = rt == NVME_VIRT_RT_VQ ? n : n / 2;
		ret = nvme_virt_ops_real.admin(NULL, dev, &cmd);
		if (ret) {
			fprintf(stderr, "lab-nvme-virt: give-primary rt %d: %d\n", rt, ret);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *root = getenv("VFCTL_SYSFS_ROOT") ? getenv("VFCTL_SYSFS_ROOT") : "";
	struct errinfo e = {0};
	unsigned n;

	if (argc < 3) {
		fprintf(stderr, "usage: lab-nvme-virt show|prepare|online|is-pf BDF [N]\n");
		return 2;
	}
	if (!strcmp(argv[1], "show"))
		return show(root, argv[2]);
	if (!strcmp(argv[1], "is-pf"))
		return nvme_virt_is_nvme_pf(root, argv[2]) ? 0 : 1;
	if (argc < 4) {
		fprintf(stderr, "lab-nvme-virt: %s needs a VF count\n", argv[1]);
		return 2;
	}
	n = (unsigned)strtoul(argv[3], NULL, 0);
	if (!strcmp(argv[1], "prepare")) {
		if (nvme_virt_prepare(root, argv[2], n, &e)) {
			report("prepare", &e);
			return 1;
		}
		return 0;
	}
	if (!strcmp(argv[1], "give-primary"))
		return give_primary(root, argv[2], n);
	if (!strcmp(argv[1], "online")) {
		if (nvme_virt_online_vfs(root, argv[2], n, &e)) {
			report("online", &e);
			return 1;
		}
		return 0;
	}
	fprintf(stderr, "lab-nvme-virt: unknown verb %s\n", argv[1]);
	return 2;
}
