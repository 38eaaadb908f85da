// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control API: src/vmm/api_proto.c (request parsing, encoders, the
 * peer policy) and src/vmm/api.c over a real socket, driven by
 * vm_io_poll() on a VM without KVM (no vCPUs, no devices).
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "api.h"
#include "api_proto.h"
#include "vm.h"

static int parse(const char *s, struct api_request *r, struct errinfo *e)
{
	memset(e, 0, sizeof(*e));
	return api_request_parse(s, strlen(s), r, e);
}

static void test_parse_ok(void **state)
{
	struct api_request r;
	struct errinfo e;

	(void)state;
	assert_int_equal(parse("{\"id\": 7, \"verb\": \"info\"}", &r, &e), 0);
	assert_true(r.has_id);
	assert_int_equal(r.id, 7);
	assert_int_equal(r.verb, API_VERB_INFO);
	assert_int_equal(parse("{\"verb\":\"events\",\"id\":-1}  ", &r, &e), 0);
	assert_int_equal(r.verb, API_VERB_EVENTS);
	for (int v = 0; v < API_NR_VERBS; v++) {
		char line[160];

		/* every verb's required members; extra ones are ignored */
		snprintf(line, sizeof(line),
			 "{\"id\":1,\"verb\":\"%s\",\"spec\":\"01:00.1\",\"device\":\"n1\","
			 "\"dir\":\"/srv/s\",\"uri\":\"unix:/s\"}",
			 api_verb_name((enum api_verb)v));
		assert_int_equal(parse(line, &r, &e), 0);
		assert_int_equal(r.verb, v);
	}
}

static void test_parse_snapshot_args(void **state)
{
	struct api_request r;
	struct errinfo e;

	(void)state;
	assert_int_equal(parse("{\"id\":3,\"verb\":\"snapshot\",\"dir\":\"/srv/snap\","
			       "\"resume\":true}",
			       &r, &e),
			 0);
	assert_int_equal(r.verb, API_VERB_SNAPSHOT);
	assert_string_equal(r.dir, "/srv/snap");
	assert_true(r.resume);
	assert_int_equal(parse("{\"id\":3,\"verb\":\"snapshot\",\"dir\":\"/s\"}", &r, &e), 0);
	assert_false(r.resume);
	assert_int_equal(parse("{\"id\":3,\"verb\":\"snapshot\"}", &r, &e), -EINVAL);
	assert_string_equal(e.msg, "snapshot: missing \"dir\" (a directory)");
	/* the server's working directory is not the client's */
	assert_int_equal(parse("{\"id\":3,\"verb\":\"snapshot\",\"dir\":\"snap\"}", &r, &e),
			 -EINVAL);
	assert_string_equal(e.msg, "snapshot: \"dir\" 'snap' is not an absolute path");
	assert_int_equal(
		parse("{\"id\":3,\"verb\":\"snapshot\",\"dir\":\"/s\",\"resume\":1}", &r, &e),
		-EINVAL);
	assert_string_equal(e.msg, "snapshot: \"resume\" must be true or false");
	assert_int_equal(parse("{\"id\":3,\"verb\":\"snapshot\",\"dir\":7}", &r, &e), -EINVAL);
}

static void test_parse_migrate_args(void **state)
{
	struct api_request r;
	struct errinfo e;

	(void)state;
	assert_int_equal(parse("{\"id\":4,\"verb\":\"migrate\",\"uri\":\"tcp:10.0.0.2:4444\","
			       "\"downtime\":50,\"bandwidth\":200}",
			       &r, &e),
			 0);
	assert_int_equal(r.verb, API_VERB_MIGRATE);
	assert_string_equal(r.uri, "tcp:10.0.0.2:4444");
	assert_int_equal(r.downtime_ms, 50);
	assert_int_equal(r.bandwidth_mbs, 200);
	/* absent: the defaults (0) */
	assert_int_equal(parse("{\"id\":4,\"verb\":\"migrate\",\"uri\":\"unix:/run/m\"}", &r, &e),
			 0);
	assert_int_equal(r.downtime_ms, 0);
	assert_int_equal(r.bandwidth_mbs, 0);
	assert_int_equal(parse("{\"id\":4,\"verb\":\"migrate\"}", &r, &e), -EINVAL);
	assert_string_equal(e.msg, "migrate: missing \"uri\" (tcp:HOST:PORT or unix:PATH)");
	assert_int_equal(parse("{\"id\":4,\"verb\":\"migrate\",\"uri\":\"ftp:x\"}", &r, &e),
			 -EINVAL);
	assert_string_equal(e.msg, "migrate: \"uri\" 'ftp:x' is not tcp:HOST:PORT or unix:PATH");
	assert_int_equal(parse("{\"id\":4,\"verb\":\"migrate\",\"uri\":\"tcp:h:1\","
			       "\"downtime\":0}",
			       &r, &e),
			 -EINVAL);
	assert_string_equal(e.msg, "migrate: \"downtime\" 0: expected 1 to 60000");
	assert_int_equal(parse("{\"id\":4,\"verb\":\"migrate\",\"uri\":\"tcp:h:1\","
			       "\"bandwidth\":\"fast\"}",
			       &r, &e),
			 -EINVAL);
	assert_string_equal(e.msg, "migrate: \"bandwidth\" must be an integer");
	assert_int_equal(parse("{\"id\":4,\"verb\":\"migrate\",\"uri\":\"tcp:h:1\","
			       "\"downtime\":99999999999}",
			       &r, &e),
			 -EINVAL);
	assert_int_equal(parse("{\"id\":4,\"verb\":\"migrate\",\"uri\":\"tcp:h:1\","
			       "\"postcopy\":true}",
			       &r, &e),
			 0);
	assert_true(r.postcopy);
	assert_int_equal(parse("{\"id\":4,\"verb\":\"migrate\",\"uri\":\"tcp:h:1\","
			       "\"postcopy\":1}",
			       &r, &e),
			 -EINVAL);
	assert_string_equal(e.msg, "migrate: \"postcopy\" must be true or false");
	assert_int_equal(parse("{\"id\":4,\"verb\":\"migrate\",\"uri\":\"tcp:h:1\"}", &r, &e), 0);
	assert_false(r.postcopy);
	assert_int_equal(parse("{\"id\":5,\"verb\":\"migrate-status\"}", &r, &e), 0);
	assert_int_equal(r.verb, API_VERB_MIGRATE_STATUS);
	assert_int_equal(parse("{\"id\":5,\"verb\":\"migrate-cancel\"}", &r, &e), 0);
	assert_int_equal(r.verb, API_VERB_MIGRATE_CANCEL);
	assert_int_equal(parse("{\"id\":6,\"verb\":\"upgrade\",\"uri\":\"unix:/run/n\"}", &r, &e),
			 0);
	assert_int_equal(r.verb, API_VERB_UPGRADE);
	assert_int_equal(parse("{\"id\":6,\"verb\":\"upgrade\",\"uri\":\"tcp:h:1\"}", &r, &e),
			 -EINVAL);
	assert_non_null(strstr(e.msg, "upgrade: \"uri\" must be unix:PATH"));
}

static void test_parse_device_args(void **state)
{
	struct api_request r;
	struct errinfo e;

	(void)state;
	assert_int_equal(parse("{\"id\":2,\"verb\":\"add-device\",\"spec\":\"0000:01:00.1,id=vf0,"
			       "managed\"}",
			       &r, &e),
			 0);
	assert_int_equal(r.kind, API_DEV_AUTO);
	assert_string_equal(r.spec, "0000:01:00.1,id=vf0,managed");
	assert_int_equal(
		parse("{\"id\":2,\"verb\":\"add-device\",\"kind\":\"net\",\"spec\":\"tap=t0\"}", &r,
		      &e),
		0);
	assert_int_equal(r.kind, API_DEV_NET);
	assert_int_equal(parse("{\"id\":3,\"verb\":\"remove-device\",\"device\":\"vf0\"}", &r, &e),
			 0);
	assert_string_equal(r.device, "vf0");
	assert_int_equal(r.timeout_ms, API_TIMEOUT_DEFAULT_MS);
	assert_int_equal(
		parse("{\"id\":3,\"verb\":\"remove-device\",\"device\":\"vf0\",\"timeout\":"
		      "2.5}",
		      &r, &e),
		0);
	assert_int_equal(r.timeout_ms, 2500);
	assert_int_equal(
		parse("{\"id\":3,\"verb\":\"failover-unplug\",\"device\":\"n0\",\"timeout\":"
		      "1}",
		      &r, &e),
		0);
	assert_int_equal(r.timeout_ms, 1000);
}

static void test_parse_device_args_bad(void **state)
{
	static const struct {
		const char *line, *msg;
	} cases[] = {
		{"{\"id\":1,\"verb\":\"add-device\"}", "add-device: missing \"spec\""},
		{"{\"id\":1,\"verb\":\"add-device\",\"spec\":7}", "\"spec\" must be a string"},
		{"{\"id\":1,\"verb\":\"add-device\",\"spec\":\"\"}", "\"spec\" is empty"},
		{"{\"id\":1,\"verb\":\"add-device\",\"spec\":\"x\",\"kind\":\"gpu\"}",
		 "\"kind\" 'gpu' is not one of device, net, disk"},
		{"{\"id\":1,\"verb\":\"remove-device\"}", "remove-device: missing \"device\""},
		{"{\"id\":1,\"verb\":\"remove-device\",\"device\":\"9lives\"}",
		 "'9lives' is not a device id"},
		{"{\"id\":1,\"verb\":\"remove-device\",\"device\":\"a b\"}",
		 "'a b' is not a device id"},
		{"{\"id\":1,\"verb\":\"remove-device\",\"device\":"
		 "\"abcdefghijabcdefghijabcdefghijabc\"}",
		 "\"device\" is longer than 31 bytes"},
		{"{\"id\":1,\"verb\":\"remove-device\",\"device\":\"a\",\"timeout\":\"5\"}",
		 "\"timeout\" must be a number of seconds"},
		{"{\"id\":1,\"verb\":\"remove-device\",\"device\":\"a\",\"timeout\":0}",
		 "\"timeout\" 0: expected more than 0 and at most 3600 seconds"},
		{"{\"id\":1,\"verb\":\"remove-device\",\"device\":\"a\",\"timeout\":-3}",
		 "expected more than 0 and at most 3600 seconds"},
		{"{\"id\":1,\"verb\":\"remove-device\",\"device\":\"a\",\"timeout\":99999}",
		 "expected more than 0 and at most 3600 seconds"},
		{"{\"id\":1,\"verb\":\"failover-replug\",\"device\":\"a\",\"timeout\":1}",
		 "failover-replug: takes no \"timeout\""},
	};
	struct api_request r;
	struct errinfo e;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].line, &r, &e), -EINVAL);
		if (!strstr(e.msg, cases[i].msg))
			fail_msg("%s: got '%s', want '%s'", cases[i].line, e.msg, cases[i].msg);
		assert_true(r.has_id);
	}
}

static void test_spec_kind_and_ids(void **state)
{
	(void)state;
	assert_int_equal(api_spec_kind("0000:01:00.1"), API_DEV_VFIO);
	assert_int_equal(api_spec_kind("01:00.1,managed,id=vf0"), API_DEV_VFIO);
	assert_int_equal(api_spec_kind("id=n1,tap=tap0,mac=52:54:00:00:00:01"), API_DEV_NET);
	assert_int_equal(api_spec_kind("tap=tap0"), API_DEV_NET);
	assert_int_equal(api_spec_kind("/tmp/disk.img,id=d1"), API_DEV_DISK);
	assert_int_equal(api_spec_kind("01:00.1x"), API_DEV_DISK);
	assert_true(api_id_valid("vf0"));
	assert_true(api_id_valid("a.b-c_d"));
	assert_false(api_id_valid(""));
	assert_false(api_id_valid("0vf"));
	assert_false(api_id_valid("v f"));
	assert_false(api_id_valid("abcdefghijabcdefghijabcdefghijab"));
	assert_true(api_id_valid("abcdefghijabcdefghijabcdefghija"));
}

static void test_parse_bad(void **state)
{
	static const struct {
		const char *line, *msg;
		bool has_id;
	} cases[] = {
		{"{\"id\": 1, \"verb\": \"inf", "truncated", false},
		{"{\"id\": 1,, }", "invalid JSON", false},
		{"[1, 2]", "expected a JSON object", false},
		{"\"info\"", "expected a JSON object", false},
		{"{\"verb\": \"info\"}", "missing \"id\"", false},
		{"{\"id\": \"1\", \"verb\": \"info\"}", "\"id\" must be an integer", false},
		{"{\"id\": 1.5, \"verb\": \"info\"}", "\"id\" must be an integer", false},
		{"{\"id\": 3}", "missing \"verb\"", true},
		{"{\"id\": 3, \"verb\": 4}", "\"verb\" must be a string", true},
		{"{\"id\": 3, \"verb\": \"reboot\"}", "unknown verb 'reboot'", true},
		{"{\"id\": 3, \"verb\": \"info\"} x", "text after", false},
	};
	struct api_request r;
	struct errinfo e;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(parse(cases[i].line, &r, &e), -EINVAL);
		if (!strstr(e.msg, cases[i].msg))
			fail_msg("'%s': message '%s' lacks '%s'", cases[i].line, e.msg,
				 cases[i].msg);
		assert_int_equal(r.has_id, cases[i].has_id);
	}
}

static void test_parse_oversized(void **state)
{
	size_t n = API_LINE_MAX + 1;
	char *big = malloc(n);
	struct api_request r;
	struct errinfo e = {0};

	(void)state;
	assert_non_null(big);
	memset(big, ' ', n);
	assert_int_equal(api_request_parse(big, n, &r, &e), -E2BIG);
	assert_non_null(strstr(e.msg, "over the limit"));
	free(big);
	assert_int_equal(api_request_parse("{\"id\":1,\0}", 10, &r, &e), -EINVAL);
}

static void test_encode(void **state)
{
	struct json_object *res = json_object_new_object(), *o, *v;
	char *l;

	(void)state;
	json_object_object_add(res, "state", json_object_new_string("running"));
	l = api_response_ok(5, res);
	assert_non_null(l);
	assert_int_equal(l[strlen(l) - 1], '\n');
	assert_ptr_equal(strchr(l, '\n'), l + strlen(l) - 1);
	o = json_tokener_parse(l);
	assert_true(json_object_object_get_ex(o, "id", &v) && json_object_get_int(v) == 5);
	assert_true(json_object_object_get_ex(o, "ok", &v) && json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(o, "result", &v));
	json_object_put(o);
	free(l);

	l = api_response_error(false, 0, "bad \"thing\"\nhere");
	o = json_tokener_parse(l);
	assert_true(json_object_object_get_ex(o, "id", &v) && v == NULL);
	assert_true(json_object_object_get_ex(o, "error", &v));
	assert_string_equal(json_object_get_string(v), "bad \"thing\"\nhere");
	assert_ptr_equal(strchr(l, '\n'), l + strlen(l) - 1);
	json_object_put(o);
	free(l);

	res = json_object_new_object();
	json_object_object_add(res, "status", json_object_new_int(0));
	l = api_event("shutdown", res);
	assert_string_equal(l, "{\"event\":\"shutdown\",\"status\":0}\n");
	free(l);
}

static void test_peer_policy(void **state)
{
	(void)state;
	assert_true(api_peer_allowed(0, 1000));
	assert_true(api_peer_allowed(1000, 1000));
	assert_false(api_peer_allowed(1001, 1000));
	assert_true(api_peer_allowed(0, 0));
	assert_false(api_peer_allowed(1000, 0));
}

/* --- the server, on a VM with only what the I/O loop needs */

struct fx {
	struct vm vm;
	char dir[48], path[96];
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	pthread_mutex_init(&f->vm.io_lock, NULL);
	pthread_mutex_init(&f->vm.exit_lock, NULL);
	pthread_cond_init(&f->vm.exit_cond, NULL);
	f->vm.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	f->vm.stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f->vm.cfg.mem_size = 16 << 20;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vfvm-api-test.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/api.sock", f->dir);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	vm_run_cleanups(&f->vm);
	vm_io_cleanup(&f->vm);
	close(f->vm.epoll_fd);
	close(f->vm.stop_efd);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int client(struct fx *f)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void pump(struct fx *f)
{
	while (vm_io_poll(&f->vm, 20) > 0)
		;
}

/* Read one line (the server has answered: pump first). */
static char *get_line(int fd)
{
	static char buf[4096];
	size_t n = 0;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (n < sizeof(buf) - 1) {
		ssize_t r = read(fd, buf + n, 1);

		if (r <= 0)
			return NULL;
		if (buf[n] == '\n') {
			buf[n] = 0;
			return buf;
		}
		n++;
	}
	return NULL;
}

static void say(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static void test_server_socket(void **state)
{
	struct fx *f = *state;
	struct errinfo e = {0};
	struct stat st;
	int fd;

	/* a regular file at the path is refused */
	fd = open(f->path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_int_equal(api_server_start(&f->vm, f->path, NULL, &e), -EEXIST);
	assert_non_null(strstr(e.msg, "is not a socket"));
	assert_non_null(strstr(e.msg, f->path));
	unlink(f->path);

	/* a stale socket is replaced; the new one is 0600 */
	{
		struct sockaddr_un a = {.sun_family = AF_UNIX};

		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", f->path);
		assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
		close(fd);
	}
	memset(&e, 0, sizeof(e));
	assert_int_equal(api_server_start(&f->vm, f->path, NULL, &e), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	/* a second server on a live socket is refused */
	memset(&e, 0, sizeof(e));
	assert_int_equal(api_server_start(&f->vm, f->path, NULL, &e), -EADDRINUSE);
}

static void test_server_clients(void **state)
{
	struct fx *f = *state;
	struct errinfo e = {0};
	int fds[20], quitter, half, big, ev;
	char *l, *blob;

	assert_int_equal(api_server_start(&f->vm, f->path, NULL, &e), 0);
	for (int i = 0; i < 20; i++) {
		fds[i] = client(f);
		if (i % 8 == 7)
			pump(f); /* the backlog is not infinite */
	}
	pump(f);
	/* many clients at once, answered each with its own id */
	for (int i = 0; i < 20; i++) {
		char req[64];

		snprintf(req, sizeof(req), "{\"id\": %d, \"verb\": \"info\"}\n", 100 + i);
		say(fds[i], req);
	}
	pump(f);
	for (int i = 0; i < 20; i++) {
		char want[64];

		l = get_line(fds[i]);
		assert_non_null(l);
		snprintf(want, sizeof(want), "{\"id\":%d,\"ok\":true,", 100 + i);
		assert_memory_equal(l, want, strlen(want));
		assert_non_null(strstr(l, "\"state\":\"running\""));
		assert_non_null(strstr(l, "\"memory\":16777216"));
	}

	/* errors name the thing; the client stays */
	say(fds[0], "{\"id\": 1, \"verb\": \"reboot\"}\n{\"verb\":\"info\"}\n");
	pump(f);
	l = get_line(fds[0]);
	assert_non_null(strstr(l, "\"ok\":false"));
	assert_non_null(strstr(l, "unknown verb 'reboot'"));
	l = get_line(fds[0]);
	assert_non_null(strstr(l, "\"id\":null"));
	assert_non_null(strstr(l, "missing \\\"id\\\""));
	/* pause needs running vCPUs: there are none */
	say(fds[0], "{\"id\": 2, \"verb\": \"pause\"}\n");
	pump(f);
	assert_non_null(strstr(get_line(fds[0]), "not running"));
	/* powerdown when the guest has not enabled the button: no platform here */

	/* a client that goes away mid-request is dropped; the others go on */
	half = client(f);
	pump(f);
	say(half, "{\"id\": 9, \"ve");
	pump(f);
	close(half);
	pump(f);

	/* an over-long line: error, then closed */
	big = client(f);
	pump(f);
	blob = malloc(API_LINE_MAX + 16);
	memset(blob, 'x', API_LINE_MAX + 16);
	fcntl(big, F_SETFL, O_NONBLOCK);
	{
		size_t off = 0;

		while (off < API_LINE_MAX + 16) {
			ssize_t n = write(big, blob + off, API_LINE_MAX + 16 - off);

			if (n > 0)
				off += (size_t)n;
			else if (errno != EAGAIN)
				break; /* the server closed it: the rest has nowhere to go */
			pump(f);
		}
	}
	free(blob);
	pump(f);
	l = get_line(big);
	assert_non_null(l);
	assert_non_null(strstr(l, "over the limit"));
	pump(f);
	{
		char c;

		/* closed by the server (reset: it left our excess unread) */
		ssize_t n = read(big, &c, 1);

		assert_true(n == 0 || (n < 0 && errno == ECONNRESET));
	}
	close(big);

	/* events: a subscriber hears the shutdown when the VM goes */
	ev = client(f);
	pump(f);
	say(ev, "{\"id\": 3, \"verb\": \"events\"}\n");
	pump(f);
	l = get_line(ev);
	assert_non_null(strstr(l, "\"shutdown\""));

	/* quit: answered, then the VM is asked to stop with status 5 */
	quitter = fds[1];
	say(quitter, "{\"id\": 4, \"verb\": \"quit\"}\n");
	pump(f);
	assert_non_null(strstr(get_line(quitter), "{\"id\":4,\"ok\":true"));
	assert_true(atomic_load(&f->vm.exit_requested));
	assert_int_equal(f->vm.exit_status, VM_EXIT_SIGNAL);

	vm_run_cleanups(&f->vm); /* as vm_destroy() does */
	l = get_line(ev);
	assert_non_null(l);
	assert_non_null(strstr(l, "{\"event\":\"shutdown\",\"status\":5,"));
	assert_int_equal(access(f->path, F_OK), -1); /* socket removed */
	for (int i = 0; i < 20; i++)
		close(fds[i]);
	close(ev);
}

/* A client with another uid is answered "permission denied" and closed. */
/* Send one request line, let the server answer, and read the answer. */
static const char *ask(struct fx *f, int fd, const char *req)
{
	say(fd, req);
	pump(f);
	return get_line(fd);
}

/* Fake migration hooks: what the server passes them and what it answers. */
struct fake_mig {
	char uri[64];
	unsigned int downtime, bandwidth;
	bool active, cancelled, local, postcopy;
};

static int fake_migrate(void *opaque, const char *uri, unsigned int downtime_ms,
			unsigned int bandwidth_mbs, bool local, bool postcopy, struct errinfo *e)
{
	struct fake_mig *m = opaque;

	m->local = local;
	m->postcopy = postcopy;
	if (strstr(uri, "refuse"))
		return err_set(e, EBUSY, "migrate: vf0 (vfio 0000:01:00.1) is passed through");
	snprintf(m->uri, sizeof(m->uri), "%s", uri);
	m->downtime = downtime_ms;
	m->bandwidth = bandwidth_mbs;
	m->active = true;
	return 0;
}

static void fake_status(void *opaque, struct json_object *o)
{
	struct fake_mig *m = opaque;

	json_object_object_add(o, "state",
			       json_object_new_string(m->active	     ? "active"
						      : m->cancelled ? "cancelled"
								     : "none"));
}

static int fake_cancel(void *opaque, struct errinfo *e)
{
	struct fake_mig *m = opaque;

	if (!m->active)
		return err_set(e, ENOENT, "migrate-cancel: no migration is under way");
	m->active = false;
	m->cancelled = true;
	return 0;
}

static const char *fake_busy(void *opaque)
{
	struct fake_mig *m = opaque;

	return m->active ? "a migration is under way" : NULL;
}

static void test_server_migrate(void **state)
{
	struct fx *f = *state;
	struct fake_mig m = {0};
	struct api_hooks h = {.opaque = &m,
			      .migrate = fake_migrate,
			      .migrate_status = fake_status,
			      .migrate_cancel = fake_cancel,
			      .busy = fake_busy};
	struct errinfo e = {0};
	const char *l;
	int fd;

	assert_int_equal(api_server_start(&f->vm, f->path, &h, &e), 0);
	fd = client(f);
	pump(f);
	l = ask(f, fd, "{\"id\":1,\"verb\":\"migrate-cancel\"}\n");
	assert_non_null(l);
	assert_non_null(strstr(l, "\"ok\":false"));
	assert_non_null(strstr(l, "no migration is under way"));
	/* a refusal from the front end reaches the client whole */
	l = ask(f, fd, "{\"id\":2,\"verb\":\"migrate\",\"uri\":\"tcp:refuse:1\"}\n");
	assert_non_null(strstr(l, "vf0 (vfio 0000:01:00.1) is passed through"));
	l = ask(f, fd,
		"{\"id\":3,\"verb\":\"migrate\",\"uri\":\"tcp:dst:4444\",\"downtime\":40,"
		"\"bandwidth\":7,\"postcopy\":true}\n");
	assert_non_null(l);
	assert_non_null(strstr(l, "\"ok\":true"));
	assert_non_null(strstr(l, "\"state\":\"active\""));
	assert_string_equal(m.uri, "tcp:dst:4444");
	assert_false(m.local);
	assert_int_equal(m.downtime, 40);
	assert_int_equal(m.bandwidth, 7);
	assert_true(m.postcopy);
	/* while it runs, the device set and snapshots are off limits */
	l = ask(f, fd, "{\"id\":4,\"verb\":\"add-device\",\"spec\":\"/tmp/d.img\"}\n");
	assert_non_null(strstr(l, "add-device: a migration is under way"));
	l = ask(f, fd, "{\"id\":5,\"verb\":\"remove-device\",\"device\":\"d0\"}\n");
	assert_non_null(strstr(l, "remove-device: a migration is under way"));
	l = ask(f, fd, "{\"id\":6,\"verb\":\"snapshot\",\"dir\":\"/tmp/s\"}\n");
	assert_non_null(strstr(l, "snapshot: a migration is under way"));
	l = ask(f, fd, "{\"id\":7,\"verb\":\"migrate-cancel\"}\n");
	assert_non_null(strstr(l, "\"ok\":true"));
	l = ask(f, fd, "{\"id\":8,\"verb\":\"migrate-status\"}\n");
	assert_non_null(strstr(l, "\"state\":\"cancelled\""));
	/* upgrade: the same hook, RAM handed over instead of copied */
	l = ask(f, fd, "{\"id\":9,\"verb\":\"upgrade\",\"uri\":\"unix:/run/vfvm-new.sock\"}\n");
	assert_non_null(strstr(l, "\"ok\":true"));
	assert_true(m.local);
	assert_string_equal(m.uri, "unix:/run/vfvm-new.sock");
	close(fd);
}

static void test_server_migrate_unsupported(void **state)
{
	struct fx *f = *state;
	struct errinfo e = {0};
	const char *l;
	int fd;

	/* no hooks: the verbs answer that this VM cannot migrate */
	assert_int_equal(api_server_start(&f->vm, f->path, NULL, &e), 0);
	fd = client(f);
	pump(f);
	l = ask(f, fd, "{\"id\":1,\"verb\":\"migrate-status\"}\n");
	assert_non_null(l);
	assert_non_null(strstr(l, "migrate-status: this VM cannot migrate"));
	close(fd);
}

static void test_server_peer_denied(void **state)
{
	struct fx *f = *state;
	struct errinfo e = {0};
	int sv[2], st;
	pid_t pid;
	char buf[512] = "";
	ssize_t n;

	assert_int_equal(api_server_start(&f->vm, f->path, NULL, &e), 0);
	if (geteuid() != 0) {
		/*
		 * An ordinary user cannot connect as anyone else: check the
		 * decision the server makes for another uid against the owner it
		 * recorded for this socket (the connection itself runs as root).
		 */
		struct stat sb;

		assert_int_equal(stat(f->path, &sb), 0);
		assert_int_equal(sb.st_uid, geteuid());
		assert_false(api_peer_allowed(geteuid() + 1, sb.st_uid));
		assert_true(api_peer_allowed(geteuid(), sb.st_uid));
		return;
	}
	/* let the child connect as nobody: open the directory and socket to it */
	chmod(f->dir, 0755);
	chmod(f->path, 0666);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_un a = {.sun_family = AF_UNIX};
		const char *req = "{\"id\":1,\"verb\":\"info\"}\n";
		int fd;

		close(sv[0]);
		if (setgid(65534) || setuid(65534))
			_exit(2);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", f->path);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
			_exit(3);
		/* the refusal may already have come and the socket be closed */
		if (write(fd, req, strlen(req)) < 0 && errno != EPIPE)
			_exit(4);
		n = read(fd, buf, sizeof(buf) - 1);
		if (n > 0 && write(sv[1], buf, (size_t)n) < 0)
			_exit(5);
		_exit(0);
	}
	close(sv[1]);
	for (int i = 0; i < 100 && !waitpid(pid, &st, WNOHANG); i++)
		pump(f);
	pump(f);
	n = read(sv[0], buf, sizeof(buf) - 1);
	close(sv[0]);
	if (n <= 0)
		fail_msg("no answer; child status 0x%x", st);
	buf[n] = 0;
	assert_non_null(strstr(buf, "\"ok\":false"));
	assert_non_null(strstr(buf, "permission denied"));
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_snapshot_args),
		cmocka_unit_test(test_parse_migrate_args),
		cmocka_unit_test(test_parse_device_args),
		cmocka_unit_test(test_parse_device_args_bad),
		cmocka_unit_test(test_spec_kind_and_ids),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_oversized),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_peer_policy),
		cmocka_unit_test_setup_teardown(test_server_socket, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_server_clients, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_server_migrate, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_server_migrate_unsupported, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_server_peer_denied, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
