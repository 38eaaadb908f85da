// SPDX-License-Identifier: GPL-2.0-only
/* The pre-flight report in words and in JSON: see preflight_out.h. */
#include "preflight_out.h"

void preflight_print(FILE *f, const struct preflight_report *r)
{
	fprintf(f, "%s: %s\n", r->bdf,
		preflight_ready(r) ? "ready for passthrough" : "NOT READY for passthrough");
	for (int i = 0; i < r->n; i++) {
		const struct preflight_item *it = &r->items[i];

		fprintf(f, "  %-8s %-20s %s\n", preflight_status_name(it->status), it->id,
			it->detail);
		if (it->fix[0] && it->status != PREFLIGHT_OK)
			fprintf(f, "  %-8s %-20s -> %s\n", "", "", it->fix);
	}
}

static void json_str(struct json_object *o, const char *key, const char *val)
{
	json_object_object_add(o, key, val && val[0] ? json_object_new_string(val) : NULL);
}

struct json_object *preflight_json(const struct preflight_report *r)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();

	json_str(o, "bdf", r->bdf);
	json_object_object_add(o, "ready", json_object_new_boolean(preflight_ready(r)));
	for (int i = 0; i < r->n; i++) {
		const struct preflight_item *it = &r->items[i];
		struct json_object *j = json_object_new_object();

		json_str(j, "id", it->id);
		json_str(j, "status", preflight_status_name(it->status));
		json_str(j, "detail", it->detail);
		json_str(j, "fix", it->fix);
		json_object_array_add(arr, j);
	}
	json_object_object_add(o, "checks", arr);
	return o;
}

void preflight_json_print(FILE *f, struct json_object *o)
{
	fprintf(f, "%s\n",
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							  JSON_C_TO_STRING_SPACED |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}
