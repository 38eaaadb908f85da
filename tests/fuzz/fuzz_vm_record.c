// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VM record (src/host/vm_record.c) parsed from whatever the state
 * directory holds, as `vfctl restore --vm` reads it: a record that was
 * accepted must be written and read back unchanged (what a restore after
 * the next vfvm update relies on), and every accepted field must be one
 * that may reach a sysfs path (canonical BDFs, driver names).
 */
#include "bind.h"
#include "fuzz.h"
#include "vm_record.h"

static bool canonical(const char *bdf)
{
	char canon[BDF_LEN];

	return !bdf_parse(bdf, NULL, canon, NULL) && !strcmp(canon, bdf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_record r, back;
	struct errinfo e = {0};
	char *text, *out;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (vm_record_parse(text, "fuzz", &r, &e)) {
		free(text);
		return 0;
	}
	free(text);
	if (!vm_name_valid(r.name) || r.pid <= 0)
		abort();
	for (int i = 0; i < r.n; i++)
		if (!canonical(r.devs[i].bdf) || !canonical(r.devs[i].with) ||
		    (r.devs[i].driver[0] && !pci_driver_name_valid(r.devs[i].driver)) ||
		    (r.devs[i].override[0] && !pci_driver_name_valid(r.devs[i].override)))
			abort();
	if (vm_record_format(&r, &out, &e))
		abort();
	if (vm_record_parse(out, "fuzz", &back, &e))
		abort();
	if (strcmp(back.name, r.name) || back.pid != r.pid || back.start != r.start ||
	    back.n != r.n)
		abort();
	/* field by field: a key given twice leaves bytes after the NUL */
	for (int i = 0; i < r.n; i++)
		if (strcmp(back.devs[i].bdf, r.devs[i].bdf) ||
		    strcmp(back.devs[i].driver, r.devs[i].driver) ||
		    strcmp(back.devs[i].override, r.devs[i].override) ||
		    strcmp(back.devs[i].with, r.devs[i].with))
			abort();
	free(out);
	vm_record_free(&back);
	vm_record_free(&r);
	return 0;
}
