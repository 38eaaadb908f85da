/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What every fuzz target (tests/fuzz/fuzz_*.c) shares: libFuzzer's entry
 * points and a reader that takes little-endian integers off the front of
 * the fuzzer's input.  Running dry gives zeros, so every input is a valid
 * program of operations and the fuzzer only has to learn the values.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint64_t fuzz_take(struct fuzz_in *in, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes && in->n; i++) {
		v |= (uint64_t)*in->p << (8 * i);
		in->p++;
		in->n--;
	}
	return v;
}

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	return (uint8_t)fuzz_take(in, 1);
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	return (uint16_t)fuzz_take(in, 2);
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	return (uint32_t)fuzz_take(in, 4);
}

static inline uint64_t fuzz_u64(struct fuzz_in *in)
{
	return fuzz_take(in, 8);
}

/*
 * A NUL-terminated heap copy of @n bytes: exactly n + 1 bytes, so ASan
 * catches a parser reading past the terminator.  NULL when out of memory.
 */
static inline char *fuzz_strndup(const uint8_t *d, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		return NULL;
	memcpy(s, d, n);
	s[n] = '\0';
	return s;
}

/* An access size the buses hand a device model: 1, 2, 4 or 8 bytes. */
static inline uint32_t fuzz_access_len(uint8_t sel)
{
	return 1u << (sel & 3);
}

/* An invariant of the code under test broke: a crash libFuzzer records. */
#define FUZZ_CHECK(cond)                                                                     \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, \
				#cond);                                                      \
			abort();                                                             \
		}                                                                            \
	} while (0)

#endif
