/* SPDX-License-Identifier: GPL-2.0-only */
/* vfctl output: aligned human tables and json-c helpers shared by the read verbs. */
#ifndef VFCTL_OUTPUT_H
#define VFCTL_OUTPUT_H

#include <stdio.h>
#include <json-c/json.h>

#include "pci_dev.h"

#define OUT_MAX_COLS 12

struct out_table;

/* A table with the given column headers (NULL-terminated). NULL when out of memory. */
struct out_table *out_table_new(const char *const *headers);
/* Add a row: one string per column ("" or NULL print as "-"). */
int out_table_row(struct out_table *t, const char *const *cells);
/* Print with columns aligned, each line prefixed by indent. */
void out_table_print(const struct out_table *t, FILE *f, const char *indent);
void out_table_free(struct out_table *t);

/* Print a JSON document on stdout (pretty, with a newline) and drop the reference. */
void out_json_print(struct json_object *o);
/* obj[key] = string, or null when val is NULL/empty. */
void out_json_str(struct json_object *obj, const char *key, const char *val);
void out_json_int(struct json_object *obj, const char *key, long long val);
void out_json_bool(struct json_object *obj, const char *key, int val);
/* The fields every read verb shows for one device (bdf, ids, name, driver, group, ...). */
struct json_object *out_dev_json(const struct pcidev *d, const char *name);

/* "-" for empty strings, so tables never have holes. */
const char *out_or_dash(const char *s);

#endif
