// SPDX-License-Identifier: GPL-2.0-only
/*
 * The apply ledger (sriov/ledger.c) read back from whatever the state
 * directory holds: from the file, as `vfctl apply` loads it, and from the
 * text.  Both ways must agree, and a ledger that was accepted must
 * survive being written and read again unchanged (what the next apply
 * relies on to undo exactly what it changed).
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "ledger.h"

static char state_dir[] = "/tmp/fuzz-ledger.XXXXXX";
static char ledger_path[sizeof(state_dir) + sizeof("/" LEDGER_FILE)];

static void cleanup(void)
{
	unlink(ledger_path);
	rmdir(state_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* mkdtemp makes it 0700 and ours: a state directory ledger_load() accepts */
	if (!mkdtemp(state_dir))
		abort();
	snprintf(ledger_path, sizeof(ledger_path), "%s/%s", state_dir, LEDGER_FILE);
	atexit(cleanup);
	return 0;
}

static void write_file(const uint8_t *data, size_t size)
{
	int fd = open(ledger_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(write(fd, data, size) == (ssize_t)size);
	close(fd);
}

/* Written and read again, an accepted ledger stays the same. */
static void round_trip(const struct ledger *l)
{
	char *text = ledger_to_json(l), *again;
	struct errinfo e = {0};
	struct ledger back;

	FUZZ_CHECK(text != NULL);
	if (ledger_from_json(text, "round trip", &back, &e) != 0) {
		fprintf(stderr, "written ledger refused: %s\n%s\n", e.msg, text);
		abort();
	}
	FUZZ_CHECK(back.nr_pfs == l->nr_pfs);
	again = ledger_to_json(&back);
	FUZZ_CHECK(again && !strcmp(text, again));
	free(again);
	free(text);
	ledger_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ledger from_text, from_file;
	struct errinfo e = {0};
	int rt, rf;
	char *text;

	if (size > 64 * 1024)
		return 0;
	text = fuzz_strndup(data, size);
	if (!text)
		return 0;
	rt = ledger_from_json(text, "fuzz", &from_text, &e);
	write_file(data, size);
	rf = ledger_load(state_dir, &from_file, &e);
	/* a NUL byte ends the text, not necessarily the file */
	if (!memchr(data, '\0', size))
		FUZZ_CHECK((rt == 0) == (rf == 0));
	if (rt == 0) {
		round_trip(&from_text);
		ledger_free(&from_text);
	}
	if (rf == 0) {
		round_trip(&from_file);
		ledger_free(&from_file);
	}
	free(text);
	return 0;
}
