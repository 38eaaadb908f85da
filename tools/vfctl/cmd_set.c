// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfctl set PF VF key value...
 *
 * Sets VF link properties through rtnetlink on the PF (what `ip link set
 * PF vf N ...` does), checking every value first so bad input changes
 * nothing, then reporting each setting's outcome.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "pci_addr.h"
#include "vf_apply.h"
#include "vf_settings.h"
#include "vfctl.h"
#include "vflink.h"
#include "vflink_json.h"

#define SET_USAGE                                                                             \
	"usage: vfctl set [--json] PF VF key value [key value...]\n"                          \
	"  PF: netdev name (enp1s0f0) or PCI address (0000:01:00.0); VF: index (0, 1, ...)\n" \
	"  keys: mac ADDR|clear, vlan 0-4095, qos 0-7, proto 802.1Q|802.1ad,\n"               \
	"        min_tx_rate MBPS, max_tx_rate MBPS, spoofchk on|off, trust on|off,\n"        \
	"        state auto|enable|disable, query_rss on|off\n"

/* The netdev of a PF given by PCI address: the (first) entry of ROOT/sys/bus/pci/devices/BDF/net/.
 */
static int pf_netdev_of_bdf(const char *root, const char *bdf, char *ifname, size_t len,
			    struct errinfo *e)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dir;
	int ret = -ENOENT;

	if (snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s", root, bdf) >=
	    (int)sizeof(path))
		return err_set(e, ENAMETOOLONG, "sysfs root too long: %s", root);
	dir = opendir(path);
	if (!dir) {
		err_sys(e, errno, "PCI device %s: cannot open %s", bdf, path);
		err_hint(e, "check the address with vfctl list or lspci -D");
		return -ENODEV;
	}
	closedir(dir);
	strncat(path, "/net", sizeof(path) - strlen(path) - 1);
	dir = opendir(path);
	if (!dir) {
		if (errno != ENOENT)
			return err_sys(e, errno, "PCI device %s: cannot list %s", bdf, path);
		err_set(e, ENODEV, "PCI device %s has no network interface (%s is missing)", bdf,
			path);
		err_hint(e,
			 "VF link settings are set on the PF's netdev: the PF needs its "
			 "network driver bound (vfctl show %s)",
			 bdf);
		return -ENODEV;
	}
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		if (strlen(d->d_name) >= len)
			continue;
		strcpy(ifname, d->d_name);
		ret = 0;
		break;
	}
	closedir(dir);
	if (ret) {
		err_set(e, ENODEV, "PCI device %s has no network interface (%s is empty)", bdf,
			path);
		err_hint(e, "VF link settings are set on the PF's netdev: the PF needs its "
			    "network driver bound");
		return -ENODEV;
	}
	return 0;
}

static int parse_vf_index(const char *s, uint32_t *vf)
{
	unsigned long v;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end || errno || v > 65535)
		return -EINVAL;
	*vf = (uint32_t)v;
	return 0;
}

static int exit_status(const struct vf_apply_report *rep)
{
	int c[4], ok, bad;

	vf_apply_count(rep, c);
	ok = c[VF_OUTCOME_APPLIED] + c[VF_OUTCOME_UNCHANGED];
	bad = c[VF_OUTCOME_UNSUPPORTED] + c[VF_OUTCOME_FAILED];
	if (!bad)
		return VFCTL_EXIT_OK;
	return ok ? VFCTL_EXIT_PARTIAL : VFCTL_EXIT_FAIL;
}

static void print_human(const char *pf, uint32_t vf, const struct vf_apply_report *rep)
{
	char val[96];
	int i, c[4];

	for (i = 0; i < rep->n; i++) {
		const struct vf_apply_result *r = &rep->r[i];

		printf("%s vf %u %s: %s", pf, vf, vf_attr_value_str(&r->value, val, sizeof(val)),
		       vf_outcome_name(r->outcome));
		if (r->attempts > 1)
			printf(" (after %d attempts)", r->attempts);
		if (r->msg[0])
			printf(": %s", r->msg);
		putchar('\n');
	}
	vf_apply_count(rep, c);
	printf("%s vf %u: %d applied, %d unchanged, %d unsupported, %d failed\n", pf, vf,
	       c[VF_OUTCOME_APPLIED], c[VF_OUTCOME_UNCHANGED], c[VF_OUTCOME_UNSUPPORTED],
	       c[VF_OUTCOME_FAILED]);
}

static int print_json(const char *pf, uint32_t vf, const struct vf_apply_report *rep)
{
	struct json_object *o, *arr, *r, *info;
	char val[96];
	int i;

	o = json_object_new_object();
	arr = json_object_new_array();
	if (!o || !arr)
		goto nomem;
	json_object_object_add(o, "ifname", json_object_new_string(pf));
	json_object_object_add(o, "vf", json_object_new_int64(vf));
	json_object_object_add(o, "results", arr);
	for (i = 0; i < rep->n; i++) {
		const struct vf_apply_result *res = &rep->r[i];

		r = json_object_new_object();
		if (!r || json_object_array_add(arr, r)) {
			json_object_put(r);
			goto nomem;
		}
		json_object_object_add(r, "setting",
				       json_object_new_string(vf_attr_name(res->attr)));
		json_object_object_add(
			r, "value",
			json_object_new_string(vf_attr_value_str(&res->value, val, sizeof(val))));
		json_object_object_add(r, "result",
				       json_object_new_string(vf_outcome_name(res->outcome)));
		json_object_object_add(r, "attempts", json_object_new_int(res->attempts));
		if (res->err)
			json_object_object_add(r, "errno", json_object_new_int(res->err));
		if (res->msg[0])
			json_object_object_add(r, "message", json_object_new_string(res->msg));
	}
	if (rep->have_after) {
		info = vflink_vf_to_json(&rep->after);
		if (!info)
			goto nomem;
		json_object_object_add(o, "vfinfo", info);
	}
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_SPACED));
	json_object_put(o);
	return 0;
nomem:
	if (o)
		json_object_put(o);
	else
		json_object_put(arr);
	fprintf(stderr, "vfctl: set: out of memory building JSON\n");
	return -ENOMEM;
}

int cmd_set(struct vfctl_ctx *ctx, int argc, char **argv)
{
	struct vf_apply_report rep;
	struct vf_settings s;
	struct errinfo e = {0};
	struct vflink *nl;
	char ifname[64], bdf[BDF_LEN];
	const char *pf;
	uint32_t vf;
	int i = 0, ret;

	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	/* '+': options before PF only, so a value such as "-1" stays a value */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:jh", opts, NULL)) != -1) {
		if (c == 'j') {
			ctx->json = true;
		} else if (c == 'h') {
			fputs(SET_USAGE, stdout);
			return VFCTL_EXIT_OK;
		} else {
			return vfctl_bad_option(ctx, "set", c, argv);
		}
	}
	i = optind;
	if (argc - i < 4)
		return vfctl_usage_error(ctx, "set: needs PF, VF and at least one key value\n%s",
					 SET_USAGE);
	pf = argv[i];
	if (parse_vf_index(argv[i + 1], &vf))
		return vfctl_usage_error(ctx, "set: invalid VF index '%s': expected 0, 1, 2, ...",
					 argv[i + 1]);
	if ((argc - i - 2) % 2)
		return vfctl_usage_error(ctx, "set: VF setting '%s' needs a value", argv[argc - 1]);
	/* Every value is checked before anything is sent. */
	if (vf_settings_parse(&s, argc - i - 2, (const char *const *)argv + i + 2, &e)) {
		vfctl_report(ctx, &e);
		return VFCTL_EXIT_USAGE;
	}
	if (bdf_parse(pf, NULL, bdf, NULL) == 0) {
		ret = pf_netdev_of_bdf(ctx->sysfs_root ? ctx->sysfs_root : "", bdf, ifname,
				       sizeof(ifname), &e);
		if (ret) {
			vfctl_report(ctx, &e);
			return ret == -ENODEV ? VFCTL_EXIT_USAGE : VFCTL_EXIT_FAIL;
		}
	} else if (snprintf(ifname, sizeof(ifname), "%s", pf) >= 16) {
		return vfctl_usage_error(
			ctx, "set: '%s' is neither a PCI address nor an interface name", pf);
	}
	nl = vfctl_netlink(ctx, &e);
	if (!nl) {
		vfctl_report(ctx, &e);
		return VFCTL_EXIT_FAIL;
	}
	ret = vf_apply(nl, ifname, vf, &s, NULL, &rep, &e);
	vflink_close(nl);
	ctx->nl = NULL;
	if (ret) {
		vfctl_report(ctx, &e);
		/* A PF or VF that does not exist is the user's input, nothing was changed. */
		if (ret == -ENODEV || ret == -ENOENT || ret == -EOPNOTSUPP || ret == -EINVAL)
			return VFCTL_EXIT_USAGE;
		return VFCTL_EXIT_FAIL;
	}
	if (ctx->json) {
		if (print_json(ifname, vf, &rep))
			return VFCTL_EXIT_FAIL;
	} else {
		print_human(ifname, vf, &rep);
	}
	return exit_status(&rep);
}
