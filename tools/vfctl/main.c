// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfctl: option parsing and dispatch.  Global options may appear anywhere on
 * the command line (before or after the verb) and are taken out before the
 * verb sees its arguments; each cmd_<verb>() gets argv[0] = the verb name.
 * --help/-h after the verb is the verb's (vfctl_getopt() prints its usage).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pci_addr.h"
#include "vflink.h"
#include "vfctl.h"

#define VFCTL_VERSION "0.1"

struct verb {
	const char *name;
	int (*fn)(struct vfctl_ctx *ctx, int argc, char **argv);
	const char *usage;
};

static const struct verb verbs[] = {
	{"list", cmd_list, "list [PF...]                      SR-IOV PFs and their VFs"},
	{"show", cmd_show, "show DEV                          one device in depth"},
	{"check", cmd_check, "check DEV...                      can these go to a VM now?"},
	{"vfs", cmd_vfs,
	 "vfs PF N [--no-autoprobe] [--wait SECONDS] [--msix-count K]   set the VF count"},
	{"set", cmd_set, "set PF VF KEY VALUE...            VF link settings (mac, vlan, ...)"},
	{"bind", cmd_bind, "bind DEV DRIVER [--group]         move a device to a driver"},
	{"unbind", cmd_unbind, "unbind DEV                        leave a device driverless"},
	{"restore", cmd_restore,
	 "restore DEV|--all|--vm NAME|--dead-vms   give back to the original driver (a "
	 "group moved as one, what a stopped VM took)"},
	{"apply", cmd_apply, "apply                             apply the declared configuration"},
	{"status", cmd_status, "status                            result of the last apply"},
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: vfctl [OPTIONS] VERB [ARGS]\n\nverbs:\n");
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %s\n", verbs[i].usage);
	fprintf(f, "\nDEV is a PCI address (0000:01:00.0 or 01:00.0) or a network interface name.\n"
		   "\noptions:\n"
		   "  --json              machine-readable output (read verbs)\n"
		   "  --sysfs-root DIR    prefix for /sys and /dev (tests; env VFCTL_SYSFS_ROOT)\n"
		   "  --state-dir DIR     remembered drivers, ledger (env VFCTL_STATE_DIR,\n"
		   "                      default /var/lib/vfctl)\n"
		   "  --config-dir DIR    declared configuration (env VFCTL_CONFIG_DIR,\n"
		   "                      default /etc/vfctl.d)\n"
		   "  --dry-run           say what would change, change nothing\n"
		   "  -f, --force         act on devices the host is using\n"
		   "  -v, --verbose       more detail (repeat for more)\n"
		   "  -h, --help          this text\n"
		   "  --version           print the version\n"
		   "\nexit status: 0 ok/ready, 1 failed, 2 usage, 3 check found a blocker,\n"
		   "4 partially applied. See vfctl(8).\n");
}

int vfctl_verb_help(const char *verb)
{
	for (size_t k = 0; k < sizeof(verbs) / sizeof(verbs[0]); k++) {
		const char *u = verbs[k].usage, *gap;

		if (strcmp(verb, verbs[k].name))
			continue;
		/* "SYNOPSIS   what it does" */
		gap = strstr(u, "  ");
		if (!gap)
			gap = u + strlen(u);
		printf("usage: vfctl %.*s\n", (int)(gap - u), u);
		gap += strspn(gap, " ");
		if (*gap)
			printf("  %s\n", gap);
		printf("\nglobal options (--json, --dry-run, --force, --sysfs-root DIR, ...): "
		       "see vfctl --help\n");
		return VFCTL_EXIT_OK;
	}
	usage(stdout);
	return VFCTL_EXIT_OK;
}

int vfctl_bad_option(const struct vfctl_ctx *ctx, const char *verb, int c, char **argv)
{
	const char *prog = ctx && ctx->prog ? ctx->prog : "vfctl";
	const char *a = argv[optind - 1];
	char opt[128];

	/* a long option (optopt 0 when unknown) is named as written, without =VALUE */
	if (optopt && (c != ':' || strncmp(a, "--", 2)))
		snprintf(opt, sizeof(opt), "-%c", optopt);
	else
		snprintf(opt, sizeof(opt), "%.*s", (int)strcspn(a, "="), a);
	if (c == ':')
		fprintf(stderr, "%s %s: option '%s' needs a value\n", prog, verb, opt);
	else
		fprintf(stderr, "%s %s: unknown option '%s'\n", prog, verb, opt);
	fprintf(stderr, "Try '%s %s --help'.\n", prog, verb);
	return VFCTL_EXIT_USAGE;
}

int vfctl_getopt(const struct vfctl_ctx *ctx, int argc, char **argv, const char *shortopts,
		 const struct option *longopts, int *status)
{
	char so[64];
	int c;

	/* ':' first (after a '+'): a missing value is told apart from an unknown option */
	if (shortopts[0] == '+')
		snprintf(so, sizeof(so), "+:%sh", shortopts + 1);
	else
		snprintf(so, sizeof(so), ":%sh", shortopts);
	opterr = 0;
	c = getopt_long(argc, argv, so, longopts, NULL);
	if (c == 'h') {
		*status = vfctl_verb_help(argv[0]);
		return 0;
	}
	if (c == '?' || c == ':') {
		*status = vfctl_bad_option(ctx, argv[0], c, argv);
		return 0;
	}
	return c;
}

bool vfctl_help_only(const struct vfctl_ctx *ctx, int argc, char **argv, int *status)
{
	static const struct option opts[] = {VFCTL_OPT_HELP, {NULL, 0, NULL, 0}};

	optind = 0;
	/* every option ends the verb: --help, or an unknown one */
	return vfctl_getopt(ctx, argc, argv, "", opts, status) == 0;
}

void vfctl_report(const struct vfctl_ctx *ctx, const struct errinfo *e)
{
	fprintf(stderr, "%s: %s\n", ctx && ctx->prog ? ctx->prog : "vfctl",
		e->msg[0] ? e->msg : "unknown error");
	/* a refusal --force overrides: say so, in vfctl's words */
	if (e->overridable && !(ctx && ctx->force))
		fprintf(stderr, "  hint: %s%s\n", e->hint,
			e->hint[0] ? ", or use --force" : "use --force");
	else if (e->hint[0])
		fprintf(stderr, "  hint: %s\n", e->hint);
}

int vfctl_usage_error(const struct vfctl_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", ctx && ctx->prog ? ctx->prog : "vfctl");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n  (run \"vfctl --help\" for usage)\n");
	return VFCTL_EXIT_USAGE;
}

/* "--opt VALUE" or "--opt=VALUE"; returns the value or NULL when this is not opt. */
static const char *opt_value(const struct vfctl_ctx *ctx, char **argv, int argc, int *i,
			     const char *opt, int *bad)
{
	size_t n = strlen(opt);

	if (strncmp(argv[*i], opt, n))
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n])
		return NULL;
	if (*i + 1 >= argc) {
		vfctl_usage_error(ctx, "%s needs a value", opt);
		*bad = 1;
		return NULL;
	}
	return argv[++*i];
}

int main(int argc, char **argv)
{
	struct vfctl_ctx ctx = {0};
	char **rest;
	int i, n = 0, bad = 0, ret, only_args = 0;
	const char *v;
	size_t k;

	ctx.prog = "vfctl";
	ctx.sysfs_root = getenv("VFCTL_SYSFS_ROOT") ? getenv("VFCTL_SYSFS_ROOT") : "";
	ctx.state_dir = getenv("VFCTL_STATE_DIR") && *getenv("VFCTL_STATE_DIR")
				? getenv("VFCTL_STATE_DIR")
				: "/var/lib/vfctl";
	ctx.config_dir = getenv("VFCTL_CONFIG_DIR") && *getenv("VFCTL_CONFIG_DIR")
				 ? getenv("VFCTL_CONFIG_DIR")
				 : "/etc/vfctl.d";
	rest = calloc((size_t)argc + 1, sizeof(*rest));
	if (!rest) {
		fprintf(stderr, "vfctl: out of memory\n");
		return VFCTL_EXIT_FAIL;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (only_args || a[0] != '-') {
			rest[n++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			/* Everything after "--" goes to the verb untouched. */
			only_args = 1;
			rest[n++] = argv[i];
		} else if (!strcmp(a, "--json") || !strcmp(a, "-j")) {
			ctx.json = true;
		} else if (!strcmp(a, "--dry-run") || !strcmp(a, "-n")) {
			ctx.dry_run = true;
		} else if (!strcmp(a, "--force") || !strcmp(a, "-f")) {
			ctx.force = true;
		} else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
			ctx.verbose++;
		} else if (n && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
			/* after the verb: the verb's own usage */
			rest[n++] = argv[i];
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			free(rest);
			return VFCTL_EXIT_OK;
		} else if (!strcmp(a, "--version")) {
			printf("vfctl %s\n", VFCTL_VERSION);
			free(rest);
			return VFCTL_EXIT_OK;
		} else if ((v = opt_value(&ctx, argv, argc, &i, "--sysfs-root", &bad))) {
			ctx.sysfs_root = v;
		} else if ((v = opt_value(&ctx, argv, argc, &i, "--state-dir", &bad))) {
			ctx.state_dir = v;
		} else if ((v = opt_value(&ctx, argv, argc, &i, "--config-dir", &bad))) {
			ctx.config_dir = v;
		} else if (bad) {
			free(rest);
			return VFCTL_EXIT_USAGE;
		} else {
			/* Not global: a verb option such as --group or --wait. */
			rest[n++] = argv[i];
		}
	}
	if (n == 0 || rest[0][0] == '-') {
		free(rest);
		if (n == 0) {
			usage(stderr);
			return VFCTL_EXIT_USAGE;
		}
		return vfctl_usage_error(&ctx,
					 "unknown option %s (the verb comes first: vfctl VERB "
					 "[ARGS])",
					 argv[1]);
	}
	ret = -1;
	for (k = 0; k < sizeof(verbs) / sizeof(verbs[0]); k++) {
		if (!strcmp(rest[0], verbs[k].name)) {
			ret = verbs[k].fn(&ctx, n, rest);
			break;
		}
	}
	if (!strcmp(rest[0], "help")) {
		/* "vfctl help VERB" is "vfctl VERB --help" */
		if (n > 1)
			vfctl_verb_help(rest[1]);
		else
			usage(stdout);
		ret = VFCTL_EXIT_OK;
	} else if (ret < 0) {
		ret = vfctl_usage_error(&ctx, "unknown verb \"%s\"", rest[0]);
	}
	if (ctx.nl)
		vflink_close(ctx.nl);
	free(rest);
	return ret;
}

int vfctl_resolve_dev(const struct vfctl_ctx *ctx, const char *dev, char *bdf)
{
	struct errinfo e = {0};
	int ret;

	ret = bdf_resolve(ctx->sysfs_root, dev, bdf, &e);
	if (ret) {
		vfctl_report(ctx, &e);
		return VFCTL_EXIT_USAGE;
	}
	return 0;
}

int vfctl_exit_for(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return VFCTL_EXIT_OK;
	case EINVAL:
	case ENODEV:
	case ERANGE:
	case ENOTSUP:
		return VFCTL_EXIT_USAGE;
	default:
		return VFCTL_EXIT_FAIL;
	}
}
