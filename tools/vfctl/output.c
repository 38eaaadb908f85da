// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>
#include <string.h>

#include "output.h"

struct out_table {
	int ncols, nrows, cap;
	char **cells; /* nrows * ncols, row 0 = headers */
};

const char *out_or_dash(const char *s)
{
	return s && *s ? s : "-";
}

struct out_table *out_table_new(const char *const *headers)
{
	struct out_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	while (t->ncols < OUT_MAX_COLS && headers[t->ncols])
		t->ncols++;
	if (out_table_row(t, headers)) {
		free(t);
		return NULL;
	}
	return t;
}

int out_table_row(struct out_table *t, const char *const *cells)
{
	char **tmp;
	int i;

	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 8;
		tmp = realloc(t->cells, (size_t)t->cap * (size_t)t->ncols * sizeof(*tmp));
		if (!tmp)
			return -1;
		t->cells = tmp;
	}
	for (i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = strdup(out_or_dash(cells[i]));
	t->nrows++;
	return 0;
}

void out_table_print(const struct out_table *t, FILE *f, const char *indent)
{
	int w[OUT_MAX_COLS] = {0}, r, c;

	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			int len = s ? (int)strlen(s) : 1;

			if (len > w[c])
				w[c] = len;
		}
	for (r = 0; r < t->nrows; r++) {
		fputs(indent, f);
		for (c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			/* No padding after the last column: no trailing blanks in golden files. */
			if (c == t->ncols - 1)
				fprintf(f, "%s", s ? s : "-");
			else
				fprintf(f, "%-*s  ", w[c], s ? s : "-");
		}
		fputc('\n', f);
	}
}

void out_table_free(struct out_table *t)
{
	int i;

	if (!t)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

void out_json_print(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

void out_json_str(struct json_object *obj, const char *key, const char *val)
{
	json_object_object_add(obj, key, val && *val ? json_object_new_string(val) : NULL);
}

void out_json_int(struct json_object *obj, const char *key, long long val)
{
	json_object_object_add(obj, key, json_object_new_int64(val));
}

void out_json_bool(struct json_object *obj, const char *key, int val)
{
	json_object_object_add(obj, key, json_object_new_boolean(val));
}

struct json_object *out_dev_json(const struct pcidev *d, const char *name)
{
	struct json_object *o = json_object_new_object(), *nets;
	char buf[16];
	int i;

	if (!o)
		return NULL;
	out_json_str(o, "bdf", d->bdf);
	snprintf(buf, sizeof(buf), "%04x", d->vendor);
	out_json_str(o, "vendor", buf);
	snprintf(buf, sizeof(buf), "%04x", d->device);
	out_json_str(o, "device", buf);
	snprintf(buf, sizeof(buf), "%06x", d->class_code);
	out_json_str(o, "class", buf);
	out_json_str(o, "name", name);
	out_json_str(o, "driver", d->driver);
	out_json_str(o, "driver_override", d->driver_override);
	if (d->iommu_group >= 0)
		out_json_int(o, "iommu_group", d->iommu_group);
	else
		json_object_object_add(o, "iommu_group", NULL);
	out_json_int(o, "numa_node", d->numa_node);
	nets = json_object_new_array();
	for (i = 0; i < d->n_netdevs; i++)
		json_object_array_add(nets, json_object_new_string(d->netdevs[i]));
	json_object_object_add(o, "netdevs", nets);
	if (d->nvme_ctrl[0])
		out_json_str(o, "nvme", d->nvme_ctrl);
	if (d->is_vf) {
		out_json_str(o, "physfn", d->physfn);
		out_json_int(o, "vf", d->vf_index);
	}
	return o;
}
