// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control API's request parser (src/vmm/api_proto.c) on any line a
 * client can send, then the response it leads to encoded and read back:
 * whatever the request, the answer must be one JSON object carrying the
 * request's id when it had one.
 */
#include <json-c/json.h>
#include <string.h>

#include "api_proto.h"
#include "fuzz.h"

static void check_response(const char *line, bool has_id, int64_t id)
{
	struct json_object *o, *v;
	size_t n;

	FUZZ_CHECK(line != NULL);
	n = strlen(line);
	FUZZ_CHECK(n > 0 && line[n - 1] == '\n' && !memchr(line, '\n', n - 1));
	o = json_tokener_parse(line);
	FUZZ_CHECK(o && json_object_is_type(o, json_type_object));
	if (has_id) {
		FUZZ_CHECK(json_object_object_get_ex(o, "id", &v));
		FUZZ_CHECK(json_object_get_int64(v) == id);
	}
	json_object_put(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_request r;
	struct errinfo e = {0};
	char *line;

	if (api_request_parse((const char *)data, size, &r, &e) < 0) {
		line = api_response_error(r.has_id, r.id, e.msg);
		check_response(line, r.has_id, r.id);
		free(line);
		return 0;
	}
	FUZZ_CHECK(r.has_id && r.verb < API_NR_VERBS);
	FUZZ_CHECK(memchr(r.spec, '\0', sizeof(r.spec)) &&
		   memchr(r.device, '\0', sizeof(r.device)));
	switch (r.verb) {
	case API_VERB_ADD_DEVICE: {
		enum api_dev_kind k = r.kind == API_DEV_AUTO ? api_spec_kind(r.spec) : r.kind;
		struct json_object *res = json_object_new_object();

		FUZZ_CHECK(r.spec[0] && k >= API_DEV_VFIO && k <= API_DEV_DISK);
		json_object_object_add(res, "spec", json_object_new_string(r.spec));
		json_object_object_add(res, "kind", json_object_new_string(api_dev_kind_name(k)));
		line = api_response_ok(r.id, res);
		break;
	}
	case API_VERB_REMOVE_DEVICE:
	case API_VERB_FAILOVER_UNPLUG:
	case API_VERB_FAILOVER_REPLUG:
		FUZZ_CHECK(api_id_valid(r.device));
		FUZZ_CHECK(r.timeout_ms > 0 && r.timeout_ms <= API_TIMEOUT_MAX_MS);
		line = api_response_ok(r.id, NULL);
		break;
	default:
		line = api_response_ok(r.id, NULL);
		break;
	}
	check_response(line, true, r.id);
	free(line);
	return 0;
}
