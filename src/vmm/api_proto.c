// SPDX-License-Identifier: GPL-2.0-only
/* The control API's JSON-lines requests, responses and events (api_proto.h). */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_proto.h"

static const char *const verb_names[API_NR_VERBS] = {
	[API_VERB_INFO] = "info",     [API_VERB_PAUSE] = "pause",
	[API_VERB_RESUME] = "resume", [API_VERB_POWERDOWN] = "powerdown",
	[API_VERB_QUIT] = "quit",     [API_VERB_EVENTS] = "events",
};

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
			ret = 0;
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
