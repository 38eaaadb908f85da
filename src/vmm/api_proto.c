// SPDX-License-Identifier: GPL-2.0-only
/* The control API's JSON-lines requests, responses and events (api_proto.h). */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_proto.h"

static const char *const verb_names[API_NR_VERBS] = {
	[API_VERB_INFO] = "info",
	[API_VERB_PAUSE] = "pause",
	[API_VERB_RESUME] = "resume",
	[API_VERB_POWERDOWN] = "powerdown",
	[API_VERB_QUIT] = "quit",
	[API_VERB_EVENTS] = "events",
	[API_VERB_ADD_DEVICE] = "add-device",
	[API_VERB_REMOVE_DEVICE] = "remove-device",
	[API_VERB_FAILOVER_UNPLUG] = "failover-unplug",
	[API_VERB_FAILOVER_REPLUG] = "failover-replug",
	[API_VERB_SNAPSHOT] = "snapshot",
	[API_VERB_MIGRATE] = "migrate",
	[API_VERB_MIGRATE_STATUS] = "migrate-status",
	[API_VERB_MIGRATE_CANCEL] = "migrate-cancel",
	[API_VERB_UPGRADE] = "upgrade",
};

static const char *const kind_names[] = {
	[API_DEV_AUTO] = "auto",
	[API_DEV_VFIO] = "device",
	[API_DEV_NET] = "net",
	[API_DEV_DISK] = "disk",
};

const char *api_dev_kind_name(enum api_dev_kind k)
{
	return k <= API_DEV_DISK ? kind_names[k] : "?";
}

bool api_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (!n || n >= API_DEV_ID_MAX || !isalpha((unsigned char)id[0]))
		return false;
	return strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

enum api_dev_kind api_spec_kind(const char *spec)
{
	size_t first = strcspn(spec, ",");
	unsigned int a, b, c, d;
	char tail;

	/* DDDD:BB:SS.F or BB:SS.F, then nothing but the comma */
	if (first < 32) {
		char head[32];

		memcpy(head, spec, first);
		head[first] = '\0';
		if (sscanf(head, "%x:%x:%x.%x%c", &a, &b, &c, &d, &tail) == 4 ||
		    sscanf(head, "%x:%x.%x%c", &a, &b, &c, &tail) == 3)
			return API_DEV_VFIO;
	}
	for (const char *p = spec; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (!strncmp(p, "tap=", 4))
			return API_DEV_NET;
	}
	return API_DEV_DISK;
}

/* A string member @k of @o into @out (@size bytes): 1 found, 0 absent, -EINVAL bad. */
static int get_string(struct json_object *o, const char *k, char *out, size_t size,
		      struct errinfo *e)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, k, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return err_set(e, EINVAL, "request: \"%s\" must be a string", k);
	s = json_object_get_string(v);
	if (!*s)
		return err_set(e, EINVAL, "request: \"%s\" is empty", k);
	if (strlen(s) >= size)
		return err_set(e, EINVAL, "request: \"%s\" is longer than %zu bytes", k, size - 1);
	memcpy(out, s, strlen(s) + 1);
	return 1;
}

/* An optional integer member @k of @o in @min..@max into @out (untouched when absent). */
static int get_uint(struct json_object *o, const char *k, unsigned int min, unsigned int max,
		    unsigned int *out, struct errinfo *e)
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, k, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return err_set(e, EINVAL, "\"%s\" must be an integer", k);
	n = json_object_get_int64(v);
	if (n < min || n > max)
		return err_set(e, EINVAL, "\"%s\" %lld: expected %u to %u", k, (long long)n, min,
			       max);
	*out = (unsigned int)n;
	return 0;
}

/* The members each verb takes: every one checked for type and range. */
static int parse_args(struct json_object *o, struct api_request *r, struct errinfo *e)
{
	const char *verb = verb_names[r->verb];
	struct json_object *v;
	char kind[16];
	int ret;

	r->timeout_ms = API_TIMEOUT_DEFAULT_MS;
	switch (r->verb) {
	case API_VERB_ADD_DEVICE:
		ret = get_string(o, "spec", r->spec, sizeof(r->spec), e);
		if (ret < 0)
			return ret;
		if (!ret)
			return err_set(e, EINVAL, "%s: missing \"spec\"", verb);
		ret = get_string(o, "kind", kind, sizeof(kind), e);
		if (ret < 0)
			return ret;
		r->kind = API_DEV_AUTO;
		if (ret) {
			for (int k = API_DEV_VFIO; k <= API_DEV_DISK; k++)
				if (!strcmp(kind, kind_names[k]))
					r->kind = (enum api_dev_kind)k;
			if (r->kind == API_DEV_AUTO)
				return err_set(e, EINVAL,
					       "%s: \"kind\" '%s' is not one of device, net, disk",
					       verb, kind);
		}
		return 0;
	case API_VERB_REMOVE_DEVICE:
	case API_VERB_FAILOVER_UNPLUG:
	case API_VERB_FAILOVER_REPLUG:
		ret = get_string(o, "device", r->device, sizeof(r->device), e);
		if (ret < 0)
			return ret;
		if (!ret)
			return err_set(e, EINVAL, "%s: missing \"device\" (a device id)", verb);
		if (!api_id_valid(r->device))
			return err_set(e, EINVAL, "%s: '%s' is not a device id", verb, r->device);
		if (!json_object_object_get_ex(o, "timeout", &v))
			return 0;
		if (r->verb == API_VERB_FAILOVER_REPLUG)
			return err_set(e, EINVAL, "%s: takes no \"timeout\"", verb);
		if (!json_object_is_type(v, json_type_int) &&
		    !json_object_is_type(v, json_type_double))
			return err_set(e, EINVAL, "%s: \"timeout\" must be a number of seconds",
				       verb);
		{
			double t = json_object_get_double(v);

			if (!(t > 0) || t * 1000 > API_TIMEOUT_MAX_MS)
				return err_set(e, EINVAL,
					       "%s: \"timeout\" %g: expected more than 0 and at "
					       "most %d seconds",
					       verb, t, API_TIMEOUT_MAX_MS / 1000);
			r->timeout_ms = (unsigned int)(t * 1000);
			if (!r->timeout_ms)
				r->timeout_ms = 1;
		}
		return 0;
	case API_VERB_SNAPSHOT:
		ret = get_string(o, "dir", r->dir, sizeof(r->dir), e);
		if (ret < 0)
			return ret;
		if (!ret)
			return err_set(e, EINVAL, "%s: missing \"dir\" (a directory)", verb);
		/* the server's working directory is not the client's */
		if (r->dir[0] != '/')
			return err_set(e, EINVAL, "%s: \"dir\" '%s' is not an absolute path", verb,
				       r->dir);
		if (!json_object_object_get_ex(o, "resume", &v))
			return 0;
		if (!json_object_is_type(v, json_type_boolean))
			return err_set(e, EINVAL, "%s: \"resume\" must be true or false", verb);
		r->resume = json_object_get_boolean(v);
		return 0;
	case API_VERB_MIGRATE:
		ret = get_string(o, "uri", r->uri, sizeof(r->uri), e);
		if (ret < 0)
			return ret;
		if (!ret)
			return err_set(e, EINVAL,
				       "%s: missing \"uri\" (tcp:HOST:PORT or unix:PATH)", verb);
		if (strncmp(r->uri, "tcp:", 4) && strncmp(r->uri, "unix:", 5))
			return err_set(e, EINVAL,
				       "%s: \"uri\" '%s' is not tcp:HOST:PORT or unix:PATH", verb,
				       r->uri);
		if (json_object_object_get_ex(o, "postcopy", &v)) {
			if (!json_object_is_type(v, json_type_boolean))
				return err_set(e, EINVAL, "%s: \"postcopy\" must be true or false",
					       verb);
			r->postcopy = json_object_get_boolean(v);
		}
		ret = get_uint(o, "downtime", 1, API_DOWNTIME_MAX_MS, &r->downtime_ms, e);
		if (!ret)
			ret = get_uint(o, "bandwidth", 1, API_BANDWIDTH_MAX_MBS, &r->bandwidth_mbs,
				       e);
		if (ret)
			err_prefix(e, "%s", verb);
		return ret;
	case API_VERB_UPGRADE:
		ret = get_string(o, "uri", r->uri, sizeof(r->uri), e);
		if (ret < 0)
			return ret;
		if (!ret || strncmp(r->uri, "unix:", 5))
			return err_set(e, EINVAL,
				       "%s: \"uri\" must be unix:PATH, where the new vfvm waits "
				       "(vfvm run --incoming unix:PATH)",
				       verb);
		return 0;
	default:
		return 0;
	}
}

const char *api_verb_name(enum api_verb v)
{
	return v < API_NR_VERBS ? verb_names[v] : "?";
}

int api_request_parse(const char *line, size_t len, struct api_request *r, struct errinfo *e)
{
	struct json_tokener *tok;
	struct json_object *o, *v;
	const char *verb;
	size_t end;
	int ret = -EINVAL;

	memset(r, 0, sizeof(*r));
	if (len > API_LINE_MAX)
		return err_set(e, E2BIG, "request of %zu bytes: over the limit of %d", len,
			       API_LINE_MAX);
	if (memchr(line, '\0', len))
		return err_set(e, EINVAL, "request: NUL byte in the line");
	tok = json_tokener_new();
	if (!tok)
		return err_set(e, ENOMEM, "request: out of memory");
	o = json_tokener_parse_ex(tok, line, (int)len);
	if (!o) {
		enum json_tokener_error je = json_tokener_get_error(tok);

		json_tokener_free(tok);
		if (je == json_tokener_continue)
			return err_set(e, EINVAL, "request: truncated JSON");
		return err_set(e, EINVAL, "request: invalid JSON: %s", json_tokener_error_desc(je));
	}
	end = json_tokener_get_parse_end(tok);
	if (end < len && strspn(line + end, " \t\r") != len - end) {
		err_set(e, EINVAL, "request: text after the JSON object");
		goto out;
	}
	if (!json_object_is_type(o, json_type_object)) {
		err_set(e, EINVAL, "request: expected a JSON object");
		goto out;
	}
	if (!json_object_object_get_ex(o, "id", &v)) {
		err_set(e, EINVAL, "request: missing \"id\"");
		goto out;
	}
	if (!json_object_is_type(v, json_type_int)) {
		err_set(e, EINVAL, "request: \"id\" must be an integer");
		goto out;
	}
	r->id = json_object_get_int64(v);
	r->has_id = true;
	if (!json_object_object_get_ex(o, "verb", &v)) {
		err_set(e, EINVAL, "request: missing \"verb\"");
		goto out;
	}
	if (!json_object_is_type(v, json_type_string)) {
		err_set(e, EINVAL, "request: \"verb\" must be a string");
		goto out;
	}
	verb = json_object_get_string(v);
	for (int i = 0; i < API_NR_VERBS; i++)
		if (!strcmp(verb, verb_names[i])) {
			r->verb = (enum api_verb)i;
			ret = parse_args(o, r, e);
			goto out;
		}
	err_set(e, EINVAL, "unknown verb '%.64s'", verb);
out:
	json_object_put(o);
	json_tokener_free(tok);
	return ret;
}

static char *to_line(struct json_object *o)
{
	const char *s;
	char *line = NULL;

	if (!o)
		return NULL;
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (s && asprintf(&line, "%s\n", s) < 0)
		line = NULL;
	json_object_put(o);
	return line;
}

char *api_response_ok(int64_t id, struct json_object *result)
{
	struct json_object *o = json_object_new_object();

	if (!o) {
		json_object_put(result);
		return NULL;
	}
	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "result", result ? result : json_object_new_object());
	return to_line(o);
}

char *api_response_error(bool has_id, int64_t id, const char *msg)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "id", has_id ? json_object_new_int64(id) : NULL);
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return to_line(o);
}

char *api_event(const char *name, struct json_object *fields)
{
	struct json_object *o = json_object_new_object();

	if (!o) {
		json_object_put(fields);
		return NULL;
	}
	json_object_object_add(o, "event", json_object_new_string(name));
	if (fields) {
		json_object_object_foreach(fields, k, val)
		{
			json_object_object_add(o, k, json_object_get(val));
		}
		json_object_put(fields);
	}
	return to_line(o);
}

bool api_peer_allowed(uid_t peer, uid_t owner)
{
	return peer == 0 || peer == owner;
}
