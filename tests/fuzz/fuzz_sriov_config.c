// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfctl's declared configuration (sriov/config.c, /etc/vfctl.d/NAME.conf)
 * on any text: parsed or refused with a message naming the line, never
 * more VFs than the PF can have, VF sections sorted and unique.
 */
#include <string.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_pf pf;
	struct errinfo e = {0};
	char *text;

	if (size > 64 * 1024)
		return 0;
	text = fuzz_strndup(data, size);
	if (!text)
		return 0;
	memset(&pf, 0, sizeof(pf));
	if (config_parse_text("/etc/vfctl.d/fuzz.conf", text, &pf, &e) == 0) {
		FUZZ_CHECK(pf.match_val[0] && memchr(pf.match_val, '\0', sizeof(pf.match_val)));
		FUZZ_CHECK(pf.numvfs >= 0 && pf.numvfs <= CONFIG_MAX_NUMVFS);
		FUZZ_CHECK(pf.autoprobe >= -1 && pf.autoprobe <= 1);
		for (int i = 0; i < pf.nr_vfs; i++) {
			FUZZ_CHECK(pf.vfs[i].index >= 0 && pf.vfs[i].index < pf.numvfs);
			FUZZ_CHECK(i == 0 || pf.vfs[i - 1].index < pf.vfs[i].index);
			FUZZ_CHECK(config_pf_vf(&pf, pf.vfs[i].index) == &pf.vfs[i]);
		}
		config_pf_free(&pf);
	} else {
		FUZZ_CHECK(e.msg[0]);
	}
	free(text);
	return 0;
}
