// SPDX-License-Identifier: GPL-2.0-only
/* Linux boot protocol: boot_params, e820 and placement from a fake bzImage. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "boot_linux.h"
#include "pci.h"

#define RAM (64u << 20)

struct fixture {
	struct guest_mem m;
	uint8_t *k;
	size_t ksize;
};

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* A bzImage header as a 6.x kernel has it: 2.15, 64-bit, relocatable. */
static uint8_t *fake_bzimage(size_t *size)
{
	size_t sz = 5 * 512 + 8192;
	uint8_t *k = calloc(1, sz);

	k[0x1f1] = 4; /* setup_sects */
	k[0x1fe] = 0x55;
	k[0x1ff] = 0xaa;
	k[0x200] = 0xeb;
	k[0x201] = 0x6a; /* jump: header ends at 0x26c */
	memcpy(k + 0x202, "HdrS", 4);
	k[0x206] = 0x0f;
	k[0x207] = 0x02; /* version 2.15 */
	k[0x211] = 0x01 | 0x20; /* LOADED_HIGH | QUIET */
	k[0x22c] = 0xff, k[0x22d] = 0xff, k[0x22e] = 0xff, k[0x22f] = 0x7f; /* initrd_addr_max */
	k[0x236] = 0x03; /* XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G */
	k[0x238] = 0xff, k[0x239] = 0x07; /* cmdline_size 2047 */
	k[0x260] = 0x00, k[0x261] = 0x00, k[0x262] = 0x80; /* init_size 8 MiB */
	for (size_t i = 5 * 512; i < sz; i++)
		k[i] = (uint8_t)(i * 7);
	*size = sz;
	return k;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->m.region[0] = (struct guest_mem_region){0, RAM, calloc(1, RAM), 0};
	f->m.nr_regions = 1;
	f->m.total = RAM;
	f->m.memfd = -1;
	f->k = fake_bzimage(&f->ksize);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->m.region[0].hva);
	free(f->k);
	free(f);
	return 0;
}

static void loads_kernel_and_fills_boot_params(void **state)
{
	struct fixture *f = *state;
	struct linux_layout lay;
	struct errinfo e = {0};
	uint8_t initrd[10000];
	uint8_t *ram = f->m.region[0].hva, *bp = ram + BOOT_PARAMS_ADDR;

	memset(initrd, 0x5a, sizeof(initrd));
	assert_int_equal(linux_load(&f->m, f->k, f->ksize, initrd, sizeof(initrd),
				    "console=ttyS0 root=/dev/vda", 0xe0000, &lay, &e),
			 0);
	/* protected-mode kernel copied to 1 MiB, entry at +0x200 */
	assert_memory_equal(ram + BOOT_KERNEL_ADDR, f->k + 5 * 512, f->ksize - 5 * 512);
	assert_int_equal(lay.entry, 0x100200);
	assert_int_equal(lay.boot_params, BOOT_PARAMS_ADDR);
	/* header copied, loader fields set */
	assert_memory_equal(bp + 0x202, "HdrS", 4);
	assert_int_equal(bp[0x210], 0xff);
	assert_int_equal(bp[0x211] & 0x81, 0x81);
	assert_int_equal(bp[0x211] & 0x20, 0);
	assert_int_equal(rd32(bp + 0x228), BOOT_CMDLINE_ADDR);
	assert_string_equal((char *)ram + BOOT_CMDLINE_ADDR, "console=ttyS0 root=/dev/vda");
	/* initrd: page aligned, at the top of RAM, above the kernel's init_size */
	assert_int_equal(rd32(bp + 0x21c), sizeof(initrd));
	assert_int_equal(rd32(bp + 0x218) & 0xfff, 0);
	assert_true(rd32(bp + 0x218) + sizeof(initrd) <= RAM);
	assert_true(rd32(bp + 0x218) >= BOOT_KERNEL_ADDR + (8u << 20));
	assert_memory_equal(ram + rd32(bp + 0x218), initrd, sizeof(initrd));
	/* RSDP address for protocol 2.14+ */
	assert_int_equal(rd64(bp + 0x70), 0xe0000);
}

static void e820_map_matches_memory(void **state)
{
	struct fixture *f = *state;
	struct linux_layout lay;
	struct errinfo e = {0};
	uint8_t *bp = (uint8_t *)f->m.region[0].hva + BOOT_PARAMS_ADDR;
	uint8_t *hi = calloc(1, 4096);

	/* pretend a high region exists: e820 must list it at 4 GiB */
	f->m.region[1] = (struct guest_mem_region){0x100000000ULL, 1ULL << 30, hi, RAM};
	f->m.nr_regions = 2;
	assert_int_equal(linux_load(&f->m, f->k, f->ksize, NULL, 0, NULL, 0, &lay, &e), 0);
	assert_int_equal(bp[0x1e8], 5);
	/* [0, EBDA) RAM, EBDA..1M reserved, 1M..64M RAM, 4G..5G RAM, ECAM reserved */
	assert_int_equal(rd64(bp + 0x2d0), 0);
	assert_int_equal(rd64(bp + 0x2d8), BOOT_EBDA_START);
	assert_int_equal(rd32(bp + 0x2e0), E820_RAM);
	assert_int_equal(rd64(bp + 0x2e4), BOOT_EBDA_START);
	assert_int_equal(rd32(bp + 0x2f4), E820_RESERVED);
	assert_int_equal(rd64(bp + 0x2f8), 0x100000);
	assert_int_equal(rd64(bp + 0x300), RAM - 0x100000);
	assert_int_equal(rd64(bp + 0x30c), 0x100000000ULL);
	assert_int_equal(rd64(bp + 0x314), 1ULL << 30);
	assert_int_equal(rd32(bp + 0x31c), E820_RAM);
	assert_int_equal(rd64(bp + 0x320), PCI_ECAM_BASE);
	assert_int_equal(rd32(bp + 0x330), E820_RESERVED);
	/* no initrd: fields stay zero; empty command line */
	assert_int_equal(rd32(bp + 0x218), 0);
	assert_string_equal((char *)f->m.region[0].hva + BOOT_CMDLINE_ADDR, "");
	f->m.nr_regions = 1;
	free(hi);
}

static void initrd_clear_of_decompression_area(void **state)
{
	struct fixture *f = *state;
	struct linux_layout lay;
	struct errinfo e = {0};
	size_t big = RAM - (20u << 20);
	uint8_t *ird = calloc(1, big);

	/* pref_address 16 MiB: the kernel decompresses at [16 MiB, 24 MiB) */
	f->k[0x25a] = 0x00;
	f->k[0x25b] = 0x01;
	assert_int_equal(linux_load(&f->m, f->k, f->ksize, NULL, 0, "", 0, &lay, &e), 0);
	assert_int_equal(lay.kernel_end, (16u << 20) + (8u << 20));
	/* 44 MiB of initrd would reach below 24 MiB in 64 MiB of RAM */
	assert_int_equal(linux_load(&f->m, f->k, f->ksize, ird, big, "", 0, &lay, &e), -ENOMEM);
	assert_int_equal(linux_load(&f->m, f->k, f->ksize, ird, 32u << 20, "", 0, &lay, &e), 0);
	assert_true(lay.initrd_addr >= (24u << 20));
	free(ird);
}

static void rejects_bad_images(void **state)
{
	struct fixture *f = *state;
	struct linux_layout lay;
	struct errinfo e = {0};

	f->k[0x1fe] = 0;
	assert_int_equal(linux_load(&f->m, f->k, f->ksize, NULL, 0, "", 0, &lay, &e), -ENOEXEC);
	assert_non_null(strstr(e.msg, "not a bzImage"));
	f->k[0x1fe] = 0x55;
	f->k[0x206] = 0x0b; /* 2.11 */
	assert_int_equal(linux_load(&f->m, f->k, f->ksize, NULL, 0, "", 0, &lay, &e), -ENOEXEC);
	assert_non_null(strstr(e.msg, "2.11"));
	f->k[0x206] = 0x0f;
	f->k[0x236] = 0;
	assert_int_equal(linux_load(&f->m, f->k, f->ksize, NULL, 0, "", 0, &lay, &e), -ENOEXEC);
	assert_non_null(strstr(e.msg, "64-bit"));
	f->k[0x236] = 3;
	assert_int_equal(linux_load(&f->m, f->k, 100, NULL, 0, "", 0, &lay, &e), -ENOEXEC);
	/*
	 * A protected-mode part that ends at or before startup_64 (+0x200): the
	 * entry would be past the image (found by fuzzing).  With 7 setup
	 * sectors the image passes the 4 KiB minimum; 0x201 bytes are taken.
	 */
	f->k[0x1f1] = 7;
	assert_int_equal(linux_load(&f->m, f->k, 8 * 512 + 0x200, NULL, 0, "", 0, &lay, &e),
			 -ENOEXEC);
	assert_non_null(strstr(e.msg, "ends before its 64-bit entry"));
	assert_int_equal(linux_load(&f->m, f->k, 8 * 512 + 0x201, NULL, 0, "", 0, &lay, &e), 0);
	assert_int_equal(lay.entry, BOOT_KERNEL_ADDR + 0x200);
}

static void rejects_long_cmdline_and_huge_initrd(void **state)
{
	struct fixture *f = *state;
	struct linux_layout lay;
	struct errinfo e = {0};
	char *cl = malloc(3000);
	size_t big = RAM - (4u << 20);
	uint8_t *ird = calloc(1, big);

	memset(cl, 'a', 2999);
	cl[2999] = 0;
	assert_int_equal(linux_load(&f->m, f->k, f->ksize, NULL, 0, cl, 0, &lay, &e), -E2BIG);
	assert_non_null(strstr(e.msg, "2047"));
	/* an initrd that would overlap the kernel's init_size is refused */
	assert_int_equal(linux_load(&f->m, f->k, f->ksize, ird, big, "", 0, &lay, &e), -ENOMEM);
	assert_non_null(strstr(e.msg, "initrd"));
	free(cl);
	free(ird);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(loads_kernel_and_fills_boot_params, setup,
						teardown),
		cmocka_unit_test_setup_teardown(e820_map_matches_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(initrd_clear_of_decompression_area, setup,
						teardown),
		cmocka_unit_test_setup_teardown(rejects_bad_images, setup, teardown),
		cmocka_unit_test_setup_teardown(rejects_long_cmdline_and_huge_initrd, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
