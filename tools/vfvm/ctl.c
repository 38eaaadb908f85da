// SPDX-License-Identifier: GPL-2.0-only
/*
 * `vfvm ctl PATH VERB [--json]`: the bundled client of the control API
 * (docs/api.md).  One request, one response; `events` then prints every
 * event until the VM closes the socket.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api_proto.h"
#include "vfvm.h"

#define CTL_ERROR 1
#define CTL_USAGE 2

static void ctl_usage(FILE *f)
{
	fprintf(f,
		"usage: vfvm ctl PATH VERB [ARG] [--json] [--timeout SECONDS] [--resume]\n"
		"       vfvm ctl PATH migrate URI [--downtime MS] [--bandwidth MBPS] [--detach]\n"
		"\n"
		"Drives the VM whose control API is at PATH (vfvm run --api-socket PATH).\n"
		"Verbs:\n"
		"  info                 state, vCPUs, memory and every device (id, kind, guest\n"
		"                       and host BDF, failover state, DMA statistics)\n"
		"  pause                hold every vCPU; resume lets them go\n"
		"  resume\n"
		"  powerdown            press the ACPI power button (the guest must listen)\n"
		"  quit                 stop the VM now (vfvm exits with status 5)\n"
		"  add-device SPEC      hot-plug a device: SPEC as for vfvm run --device, --net\n"
		"                       or --disk (plus id=NAME); which one is told by the SPEC\n"
		"                       (a PCI address first: --device; tap=: --net; else\n"
		"                       --disk) or by --device, --net or --disk before it\n"
		"  remove-device ID     ask the guest to let go of device ID and wait until it\n"
		"                       has (--timeout, default 30 s); managed devices go back\n"
		"                       to their host drivers\n"
		"  failover-unplug NET  move the traffic of the failover virtio-net NET from its\n"
		"                       VF primary to virtio (waits for the guest, --timeout)\n"
		"  failover-replug NET  plug the VF primary back: traffic moves back to it\n"
		"  snapshot DIR         pause the VM and write it to directory DIR (made 0700\n"
		"                       when missing): DIR/state and a sparse DIR/memory;\n"
		"                       the VM stays paused unless --resume; 'vfvm run\n"
		"                       --restore DIR' starts it again\n"
		"  migrate URI          live-migrate the VM to a 'vfvm run --incoming URI'\n"
		"                       (tcp:HOST:PORT or unix:PATH): failover primaries are\n"
		"                       unplugged first, RAM is copied while the guest runs,\n"
		"                       then the VM stops here for at most about --downtime MS\n"
		"                       (default 300) and runs on there; this VM's vfvm then\n"
		"                       exits 0.  --bandwidth caps the copy in MB/s (10^6\n"
		"                       bytes).  Progress is printed until the end (exit 0\n"
		"                       done, 1 failed or cancelled: the VM runs on here);\n"
		"                       --detach returns once it has started.  --postcopy:\n"
		"                       when the copy does not converge, the VM moves first\n"
		"                       and its last pages follow on demand (a failure then\n"
		"                       leaves it paused here for good: docs/migration.md)\n"
		"  upgrade unix:PATH    hand the VM to a new vfvm binary on this host, waiting\n"
		"                       with 'vfvm run --incoming unix:PATH': guest RAM's memfd\n"
		"                       goes over the socket (nothing of RAM is copied), then\n"
		"                       the VM pauses while its state moves; printed and ended\n"
		"                       like migrate\n"
		"  migrate-status       state (none, unplugging, active, completed, failed,\n"
		"                       cancelled), pass, pages sent, dirty rate, bandwidth,\n"
		"                       estimated and, when done, measured downtime; phase\n"
		"                       (precopy, postcopy), requests served, pages left\n"
		"  migrate-cancel       stop the migration under way; the VM runs on here\n"
		"  events               print events until the VM exits\n"
		"--json: print the result (or each event) as the VM sent it.\n"
		"Exit status: 0 done, 1 the VM refused or could not be reached, 2 usage error.\n");
}

struct conn {
	int fd;
	const char *path;
	char buf[API_LINE_MAX + 1];
	size_t len;
};

/* Next line (without '\n') into a malloc'd string; NULL at EOF or error. */
static char *read_line(struct conn *c)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		ssize_t n;

		if (nl) {
			size_t l = (size_t)(nl - c->buf);
			char *line = strndup(c->buf, l);

			memmove(c->buf, nl + 1, c->len - l - 1);
			c->len -= l + 1;
			return line;
		}
		if (c->len == sizeof(c->buf))
			return NULL;
		n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		c->len += (size_t)n;
	}
}

static int ctl_connect(struct conn *c)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	if (strlen(c->path) >= sizeof(a.sun_path)) {
		fprintf(stderr, "vfvm ctl: %s: path too long for a Unix socket\n", c->path);
		return -1;
	}
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", c->path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		fprintf(stderr, "vfvm ctl: socket: %s\n", strerror(errno));
		return -1;
	}
	if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) == 0)
		return 0;
	switch (errno) {
	case ENOENT:
		fprintf(stderr,
			"vfvm ctl: %s: no such socket (is vfvm running with --api-socket %s?)\n",
			c->path, c->path);
		break;
	case EACCES:
	case EPERM:
		fprintf(stderr, "vfvm ctl: %s: permission denied\n", c->path);
		break;
	case ECONNREFUSED:
		fprintf(stderr, "vfvm ctl: %s: no VM is serving it (the VM is gone)\n", c->path);
		break;
	default:
		fprintf(stderr, "vfvm ctl: %s: %s\n", c->path, strerror(errno));
	}
	close(c->fd);
	return -1;
}

static const char *str_field(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void print_info(struct json_object *r)
{
	struct json_object *v, *devs;

	printf("state: %s\n", str_field(r, "state") ? str_field(r, "state") : "?");
	if (json_object_object_get_ex(r, "vcpus", &v))
		printf("vcpus: %d\n", json_object_get_int(v));
	if (json_object_object_get_ex(r, "memory", &v))
		printf("memory: %lld MiB\n", (long long)(json_object_get_int64(v) >> 20));
	if (!json_object_object_get_ex(r, "devices", &devs) ||
	    !json_object_is_type(devs, json_type_array))
		return;
	printf("devices: %zu\n", json_object_array_length(devs));
	for (size_t i = 0; i < json_object_array_length(devs); i++) {
		struct json_object *d = json_object_array_get_idx(devs, i);
		const char *host = str_field(d, "host_bdf");
		const char *fo = str_field(d, "failover"), *unplug = str_field(d, "unplug");
		const char *prim = str_field(d, "failover_primary");
		const char *port = str_field(d, "root_port"), *link = str_field(d, "link");

		printf("  %-12s %-12s guest %s%s%s%s%s%s\n", str_field(d, "id") ?: "?",
		       str_field(d, "kind") ?: "?", str_field(d, "guest_bdf") ?: "?",
		       host ? "  host " : "", host ? host : "", fo ? "  failover " : "",
		       fo ? fo : "", unplug ? "  (unplug requested)" : "");
		if (port)
			printf("  %-12s behind root port %s, link %s\n", "", port,
			       link ? link : "?");
		if (prim)
			printf("  %-12s %s\n", "", prim);
	}
}

static void print_event(struct json_object *o, const char *line, bool json)
{
	if (json) {
		printf("%s\n", line);
	} else {
		printf("%s", str_field(o, "event") ?: "?");
		json_object_object_foreach(o, k, v)
		{
			if (!strcmp(k, "event"))
				continue;
			printf(" %s=%s", k, json_object_get_string(v));
		}
		printf("\n");
	}
	fflush(stdout);
}

/* One response line: print it; 0 ok, CTL_ERROR refused or garbled. */
static int show_response(struct conn *c, const char *verb, const char *line, bool json)
{
	struct json_object *o = json_tokener_parse(line), *ok, *r;
	int ret = CTL_ERROR;

	if (!o || !json_object_object_get_ex(o, "ok", &ok)) {
		fprintf(stderr, "vfvm ctl: %s: not a response: %.200s\n", c->path, line);
		goto out;
	}
	if (!json_object_get_boolean(ok)) {
		fprintf(stderr, "vfvm ctl: %s %s: %s\n", c->path, verb,
			str_field(o, "error") ?: "failed");
		goto out;
	}
	ret = 0;
	if (!json_object_object_get_ex(o, "result", &r))
		r = NULL;
	if (json) {
		printf("%s\n",
		       r ? json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN) : "{}");
	} else if (!strcmp(verb, "info") && r) {
		print_info(r);
	} else if (!strcmp(verb, "pause") || !strcmp(verb, "resume")) {
		printf("%s\n", str_field(r, "state") ?: "ok");
	} else if (!strcmp(verb, "powerdown")) {
		printf("power button pressed\n");
	} else if (!strcmp(verb, "quit")) {
		printf("VM stopping\n");
	} else if (!strcmp(verb, "add-device")) {
		printf("added %s\n", str_field(r, "device") ?: "?");
	} else if (!strcmp(verb, "remove-device")) {
		printf("removed %s\n", str_field(r, "device") ?: "?");
	} else if (!strcmp(verb, "failover-unplug")) {
		printf("%s: primary unplugged, traffic on virtio\n", str_field(r, "device") ?: "?");
	} else if (!strcmp(verb, "failover-replug")) {
		printf("%s: primary plugged back\n", str_field(r, "device") ?: "?");
	} else if (!strcmp(verb, "migrate") || !strcmp(verb, "upgrade")) {
		printf("%s to %s started\n", !strcmp(verb, "upgrade") ? "upgrade" : "migration",
		       str_field(r, "uri") ?: "?");
	} else if (!strcmp(verb, "migrate-cancel")) {
		printf("migration cancelled; the VM runs on here\n");
	} else if (!strcmp(verb, "migrate-status")) {
		json_object_object_foreach(r, k, v)
		{
			printf("%s: %s\n", k, json_object_get_string(v));
		}
	} else if (!strcmp(verb, "snapshot")) {
		struct json_object *b, *t;

		json_object_object_get_ex(r, "memory_bytes", &b);
		json_object_object_get_ex(r, "seconds", &t);
		printf("saved to %s (%lld MiB of guest RAM written, %.3f s); VM %s\n",
		       str_field(r, "dir") ?: "?", (long long)(json_object_get_int64(b) >> 20),
		       json_object_get_double(t), str_field(r, "state") ?: "?");
	}
out:
	json_object_put(o);
	return ret;
}

static int events_loop(struct conn *c, bool json)
{
	char *line;

	while ((line = read_line(c))) {
		struct json_object *o = json_tokener_parse(line);

		if (o && str_field(o, "event"))
			print_event(o, line, json);
		json_object_put(o);
		free(line);
	}
	return 0;
}

/*
 * migrate: print the migration's events until it ends.  0 when it
 * completed, CTL_ERROR when it failed or was cancelled (the VM runs on).
 */
static int migrate_follow(struct conn *c, bool json)
{
	char *line;

	while ((line = read_line(c))) {
		struct json_object *o = json_tokener_parse(line);
		const char *ev = o ? str_field(o, "event") : NULL;
		int end = -1;

		if (ev && !strncmp(ev, "migration-", 10)) {
			if (json)
				printf("%s\n", line);
			else
				printf("%s: %s\n", ev + 10, str_field(o, "detail") ?: "");
			fflush(stdout);
			if (!strcmp(ev, "migration-completed"))
				end = 0;
			else if (!strcmp(ev, "migration-failed") ||
				 !strcmp(ev, "migration-cancelled"))
				end = CTL_ERROR;
		}
		json_object_put(o);
		free(line);
		if (end >= 0)
			return end;
	}
	fprintf(stderr, "vfvm ctl: %s: the VM closed the connection before the migration ended\n",
		c->path);
	return CTL_ERROR;
}

/* Which verbs take an argument, and what it is called in the request. */
static const char *verb_arg(const char *verb)
{
	if (!strcmp(verb, "add-device"))
		return "spec";
	if (!strcmp(verb, "remove-device") || !strcmp(verb, "failover-unplug") ||
	    !strcmp(verb, "failover-replug"))
		return "device";
	if (!strcmp(verb, "snapshot"))
		return "dir";
	if (!strcmp(verb, "migrate") || !strcmp(verb, "upgrade"))
		return "uri";
	return NULL;
}

static int ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int ctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vfvm ctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'vfvm ctl --help'.\n");
	return CTL_USAGE;
}

int cmd_ctl(int argc, char **argv)
{
	enum {
		O_JSON = 256,
		O_HELP,
		O_TIMEOUT,
		O_DEVICE,
		O_NET,
		O_DISK,
		O_RESUME,
		O_DOWNTIME,
		O_BANDWIDTH,
		O_POSTCOPY,
		O_DETACH
	};
	static const struct option lo[] = {
		{"json", no_argument, NULL, O_JSON},
		{"help", no_argument, NULL, O_HELP},
		{"timeout", required_argument, NULL, O_TIMEOUT},
		{"device", no_argument, NULL, O_DEVICE},
		{"net", no_argument, NULL, O_NET},
		{"disk", no_argument, NULL, O_DISK},
		{"resume", no_argument, NULL, O_RESUME},
		{"downtime", required_argument, NULL, O_DOWNTIME},
		{"bandwidth", required_argument, NULL, O_BANDWIDTH},
		{"postcopy", no_argument, NULL, O_POSTCOPY},
		{"detach", no_argument, NULL, O_DETACH},
		{NULL, 0, NULL, 0},
	};
	const char *pos[3] = {0}, *kind = NULL, *arg_name;
	struct json_object *rq;
	double timeout = 0;
	struct conn *c;
	bool json = false, resume = false, postcopy = false, detach = false, follow;
	long downtime = 0, bandwidth = 0;
	char dir[API_PATH_MAX];
	const char *verb;
	char *req = NULL, *line, *end;
	int opt, ret, npos = 0;

	opterr = 0;
	optind = 1;
	/* options anywhere: vfvm ctl PATH remove-device vf0 --timeout 5 */
	while ((opt = getopt_long(argc, argv, "-:h", lo, NULL)) != -1) {
		switch (opt) {
		case 1:
			if (npos == 3)
				return ctl_usage_error("unexpected argument '%s'", optarg);
			pos[npos++] = optarg;
			break;
		case O_JSON:
			json = true;
			break;
		case O_TIMEOUT:
			timeout = strtod(optarg, &end);
			if (*end || end == optarg || !(timeout > 0) || timeout > 3600)
				return ctl_usage_error("--timeout '%s': expected seconds, more "
						       "than 0 and at most 3600",
						       optarg);
			break;
		case O_DEVICE:
			kind = "device";
			break;
		case O_NET:
			kind = "net";
			break;
		case O_DISK:
			kind = "disk";
			break;
		case O_RESUME:
			resume = true;
			break;
		case O_DOWNTIME:
			downtime = strtol(optarg, &end, 10);
			if (*end || end == optarg || downtime < 1 || downtime > API_DOWNTIME_MAX_MS)
				return ctl_usage_error("--downtime '%s': expected milliseconds, 1 "
						       "to %d",
						       optarg, API_DOWNTIME_MAX_MS);
			break;
		case O_BANDWIDTH:
			bandwidth = strtol(optarg, &end, 10);
			if (*end || end == optarg || bandwidth < 1 ||
			    bandwidth > API_BANDWIDTH_MAX_MBS)
				return ctl_usage_error("--bandwidth '%s': expected MB/s, 1 to %d",
						       optarg, API_BANDWIDTH_MAX_MBS);
			break;
		case O_POSTCOPY:
			postcopy = true;
			break;
		case O_DETACH:
			detach = true;
			break;
		case 'h':
		case O_HELP:
			ctl_usage(stdout);
			return 0;
		default:
			if (opt == ':')
				return ctl_usage_error("option '%s' needs a value",
						       argv[optind - 1]);
			return ctl_usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (npos < 2)
		return ctl_usage_error("expected PATH and VERB");
	verb = pos[1];
	arg_name = verb_arg(verb);
	if (arg_name && npos < 3)
		return ctl_usage_error("%s: expected its argument (see vfvm ctl --help)", verb);
	if (!arg_name && npos == 3)
		return ctl_usage_error("unexpected argument '%s'", pos[2]);
	if (kind && strcmp(verb, "add-device"))
		return ctl_usage_error("--device, --net and --disk go with add-device, not %s",
				       verb);
	if (timeout > 0 && strcmp(verb, "remove-device") && strcmp(verb, "failover-unplug"))
		return ctl_usage_error(
			"--timeout goes with remove-device or failover-unplug, not %s", verb);
	if (resume && strcmp(verb, "snapshot"))
		return ctl_usage_error("--resume goes with snapshot, not %s", verb);
	follow = !strcmp(verb, "migrate") || !strcmp(verb, "upgrade");
	if ((downtime || bandwidth || postcopy) && strcmp(verb, "migrate"))
		return ctl_usage_error("--downtime, --bandwidth and --postcopy go with migrate, "
				       "not %s",
				       verb);
	if (detach && !follow)
		return ctl_usage_error("--detach goes with migrate or upgrade, not %s", verb);
	follow = follow && !detach;
	if (!strcmp(verb, "snapshot") && pos[2][0] != '/') {
		/* the VM resolves paths in its own working directory: send ours */
		char cwd[API_PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd)) ||
		    snprintf(dir, sizeof(dir), "%s/%s", cwd, pos[2]) >= (int)sizeof(dir))
			return ctl_usage_error("snapshot %s: path too long", pos[2]);
		pos[2] = dir;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		fprintf(stderr, "vfvm ctl: out of memory\n");
		return CTL_ERROR;
	}
	c->path = pos[0];
	if (ctl_connect(c) < 0) {
		free(c);
		return CTL_ERROR;
	}
	rq = json_object_new_object();
	json_object_object_add(rq, "id", json_object_new_int(1));
	json_object_object_add(rq, "verb", json_object_new_string(verb));
	if (arg_name)
		json_object_object_add(rq, arg_name, json_object_new_string(pos[2]));
	if (kind)
		json_object_object_add(rq, "kind", json_object_new_string(kind));
	if (timeout > 0)
		json_object_object_add(rq, "timeout", json_object_new_double(timeout));
	if (resume)
		json_object_object_add(rq, "resume", json_object_new_boolean(1));
	if (downtime)
		json_object_object_add(rq, "downtime", json_object_new_int((int)downtime));
	if (bandwidth)
		json_object_object_add(rq, "bandwidth", json_object_new_int((int)bandwidth));
	if (postcopy)
		json_object_object_add(rq, "postcopy", json_object_new_boolean(1));
	if (asprintf(&req, "%s\n", json_object_to_json_string_ext(rq, JSON_C_TO_STRING_PLAIN)) < 0)
		req = NULL;
	json_object_put(rq);
	ret = CTL_ERROR;
	/* migrate follows the migration's events: subscribe first, so none is missed */
	if (req && follow) {
		static const char sub[] = "{\"id\":0,\"verb\":\"events\"}\n";
		char *both = NULL;

		if (asprintf(&both, "%s%s", sub, req) < 0)
			both = NULL;
		free(req);
		req = both;
	}
	/* a refusal (permission, too many clients) may be waiting instead: read it */
	if (!req || (send(c->fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req) &&
		     errno != EPIPE && errno != ECONNRESET)) {
		fprintf(stderr, "vfvm ctl: %s: sending the request: %s (the VM is gone?)\n",
			c->path, strerror(errno));
		goto out;
	}
	/* events may come before the response: the first line with "ok" answers */
	while ((line = read_line(c))) {
		struct json_object *o = json_tokener_parse(line), *id;
		bool is_event = o && str_field(o, "event");
		/* the answer to the events subscription of migrate */
		bool is_sub = o && json_object_object_get_ex(o, "id", &id) &&
			      json_object_get_int(id) == 0;

		json_object_put(o);
		if (is_event || is_sub) {
			free(line);
			continue;
		}
		ret = show_response(c, verb, line, json);
		free(line);
		break;
	}
	if (!line) {
		fprintf(stderr, "vfvm ctl: %s: the VM closed the connection (the VM is gone)\n",
			c->path);
		goto out;
	}
	if (!ret && !strcmp(verb, "events"))
		ret = events_loop(c, json);
	if (!ret && follow)
		ret = migrate_follow(c, json);
out:
	free(req);
	close(c->fd);
	free(c);
	return ret;
}
