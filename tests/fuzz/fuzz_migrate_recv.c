// SPDX-License-Identifier: GPL-2.0-only
/*
 * A live migration's incoming stream (src/vmm/migrate_recv.c) as a
 * destination vfvm reads it: any bytes.  Guest RAM is two small regions,
 * one above 4 GiB as in a real VM, each in its own allocation so ASan sees
 * a write outside them; the bytes around each are checked too.  The
 * receiver either takes the stream whole (RAM, then the state blob) or
 * refuses it with a message.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "guest_mem.h"
#include "migrate_ram.h"

#define REGION 0x10000
#define GUARD 64
#define POISON 0xa5

static uint8_t *alloc_region(void)
{
	uint8_t *b = malloc(REGION + 2 * GUARD);

	FUZZ_CHECK(b != NULL);
	memset(b, POISON, REGION + 2 * GUARD);
	return b;
}

static void check_guard(const uint8_t *b)
{
	for (int i = 0; i < GUARD; i++)
		FUZZ_CHECK(b[i] == POISON && b[GUARD + REGION + i] == POISON);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *r0 = alloc_region(), *r1 = alloc_region(), *blob = NULL;
	struct guest_mem mem = {.nr_regions = 2, .memfd = -1, .total = 2 * REGION};
	struct migrate_recv_stats st = {0};
	struct errinfo e = {0};
	size_t blob_len = 0;
	int fd, ret;

	mem.region[0] = (struct guest_mem_region){.gpa = 0, .size = REGION, .hva = r0 + GUARD};
	mem.region[1] = (struct guest_mem_region){
		.gpa = 0x100000000ULL, .size = REGION, .hva = r1 + GUARD, .fd_offset = REGION};
	fd = memfd_create("fuzz-stream", MFD_CLOEXEC);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(write(fd, data, size) == (ssize_t)size);
	FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0);
	ret = migrate_ram_recv(fd, &mem, &st, &e);
	if (ret == 0) {
		ret = migrate_recv_blob(fd, 1 << 20, &blob, &blob_len, &e);
		FUZZ_CHECK(ret == 0 || e.msg[0]);
		FUZZ_CHECK(ret != 0 || blob_len <= (1 << 20));
	} else {
		FUZZ_CHECK(ret == -EBADMSG || ret == -EPIPE || ret == -ENOMEM);
		FUZZ_CHECK(e.msg[0] != '\0');
	}
	check_guard(r0);
	check_guard(r1);
	free(blob);
	close(fd);
	free(r0);
	free(r1);
	return 0;
}
