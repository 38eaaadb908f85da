// SPDX-License-Identifier: GPL-2.0-only
/*
 * The Linux boot loader (src/vmm/boot_linux.c: bzImage header checks,
 * kernel copy, boot_params, command line, initrd placement, e820) on any
 * kernel image file, with a fuzzed guest RAM size, command line and
 * initrd size.  Whatever the image's header claims (setup sectors,
 * init_size, pref_address, initrd_addr_max, the header's own length), a
 * loaded kernel and initrd lie inside guest RAM without overlapping, and
 * no two e820 entries overlap.
 *
 * Input: RAM size in MiB (1 byte), initrd size in pages (2 bytes), command
 * line length (2 bytes) and bytes, then the kernel image.
 */
#include <string.h>
#include <sys/mman.h>

#include "boot_linux.h"
#include "fuzz.h"

#define RAM_MAX (64ULL << 20)
#define HIGH_GPA (4ULL << 30)
#define HIGH_SIZE (1ULL << 20)

static uint8_t *ram; /* RAM_MAX + HIGH_SIZE, pages touched only when written */
static uint8_t initrd[1 << 20];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ram = mmap(NULL, RAM_MAX + HIGH_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED)
		abort();
	memset(initrd, 0x5a, sizeof(initrd));
	return 0;
}

static int by_addr(const void *a, const void *b)
{
	const struct e820_entry *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Linux sorts the map itself (e820__update_table): entries must not overlap. */
static void check_e820(const struct guest_mem *m)
{
	struct e820_entry map[E820_MAX];
	int n = linux_e820(m, map, E820_MAX);

	FUZZ_CHECK(n > 0);
	qsort(map, n, sizeof(map[0]), by_addr);
	for (int i = 1; i < n; i++)
		FUZZ_CHECK(map[i - 1].addr + map[i - 1].size <= map[i].addr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint64_t low = (1 + fuzz_u8(&in) % 64) << 20;
	size_t isize = (size_t)(fuzz_u16(&in) % 257) << 12;
	size_t cl = fuzz_u16(&in);
	struct guest_mem m = {.nr_regions = 2, .memfd = -1};
	struct linux_layout lay;
	struct errinfo e = {0};
	char *cmdline;

	if (cl > in.n)
		cl = in.n;
	cmdline = fuzz_strndup(in.p, cl);
	if (!cmdline)
		abort();
	in.p += cl;
	in.n -= cl;
	if (isize > sizeof(initrd))
		isize = sizeof(initrd);
	m.region[0] = (struct guest_mem_region){.gpa = 0, .size = low, .hva = ram};
	m.region[1] = (struct guest_mem_region){
		.gpa = HIGH_GPA, .size = HIGH_SIZE, .hva = ram + RAM_MAX, .fd_offset = low};
	m.total = low + HIGH_SIZE;
	check_e820(&m);
	if (linux_load(&m, in.p, in.n, isize ? initrd : NULL, isize, cmdline, 0xf0000, &lay, &e) ==
	    0) {
		FUZZ_CHECK(lay.kernel_end <= low && lay.entry < lay.kernel_end);
		FUZZ_CHECK(guest_mem_ptr(&m, lay.boot_params, 4096) != NULL);
		FUZZ_CHECK(guest_mem_ptr(&m, lay.cmdline, strlen(cmdline) + 1) != NULL);
		if (isize) {
			FUZZ_CHECK(lay.initrd_size == isize && !(lay.initrd_addr & 0xfff));
			FUZZ_CHECK(lay.initrd_addr >= lay.kernel_end);
			FUZZ_CHECK(guest_mem_ptr(&m, lay.initrd_addr, isize) != NULL);
		}
	} else {
		FUZZ_CHECK(e.msg[0]);
	}
	free(cmdline);
	return 0;
}
