/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The pre-flight report (src/host/preflight.h) as `vfctl check` and
 * `vfvm check` both show it: one printer for people, one for --json.
 * Compiled into both programs (tools/common/).
 */
#ifndef TOOLS_PREFLIGHT_OUT_H
#define TOOLS_PREFLIGHT_OUT_H

#include <stdio.h>
#include <json-c/json.h>

#include "preflight.h"

/*
 *   BDF: ready for passthrough | NOT READY for passthrough
 *     STATUS   ID                   detail
 *                                   -> fix          (for warn and fail)
 */
void preflight_print(FILE *f, const struct preflight_report *r);

/*
 * {"bdf": ..., "ready": bool, "checks": [{"id", "status", "detail",
 * "fix" (null when none)}, ...]}
 */
struct json_object *preflight_json(const struct preflight_report *r);

/* Print a JSON document (pretty, as vfctl prints all of its) and drop the reference. */
void preflight_json_print(FILE *f, struct json_object *o);

#endif
