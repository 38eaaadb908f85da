/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Port-I/O and MMIO traps.
 *
 * A bus is a sorted table of non-overlapping [base, base+len) ranges, each
 * with one access callback.  vCPU threads look ranges up concurrently;
 * registration may happen at run time (a guest moving a BAR), so the table
 * is guarded by a rwlock and the callback is called with the lock dropped:
 * a callback may itself register or unregister ranges (PCI config writes
 * do).  Ranges must therefore stay valid (their opaque alive) until the
 * VM is torn down or the range is unregistered from the same thread.
 */
#ifndef VFVM_BUS_H
#define VFVM_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "errinfo.h"

struct vm;

/*
 * @off is relative to the range's base (so a moved BAR needs no change in
 * the device), @data holds @len (1, 2, 4 or 8) bytes in guest byte order
 * (little endian).  Reads must fill all @len bytes.
 */
typedef void bus_access_fn(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write);

struct bus_range {
	uint64_t base;
	uint64_t len;
	bus_access_fn *fn;
	void *opaque;
	const char *name; /* for error messages and debugging */
};

struct bus {
	const char *name; /* "pio" or "mmio" */
	pthread_rwlock_t lock;
	struct bus_range *r;
	unsigned int nr;
	unsigned int cap;
};

int bus_init(struct bus *b, const char *name);
void bus_exit(struct bus *b);

/* Returns -EEXIST (with the clashing range named in @e) on overlap. */
int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_access_fn *fn, void *opaque,
		 const char *name, struct errinfo *e);
/* Remove the range starting at @base; -ENOENT if none. */
int bus_unregister(struct bus *b, uint64_t base);

/*
 * Route one guest access.  Returns false when nothing is mapped there;
 * the caller then ignores writes and returns all-ones for reads, as on a
 * PC with nothing decoding the address.
 */
bool bus_dispatch(struct bus *b, uint64_t addr, uint8_t *data, uint32_t len, bool is_write);

/*
 * ioeventfd: a guest write of @len bytes to @addr (port when @pio) signals
 * @efd inside KVM without an exit.  @datamatch < 0 matches any value,
 * otherwise only writes of exactly that value.
 */
int ioeventfd_add(struct vm *vm, int efd, uint64_t addr, uint32_t len, bool pio, int64_t datamatch,
		  struct errinfo *e);
int ioeventfd_del(struct vm *vm, int efd, uint64_t addr, uint32_t len, bool pio, int64_t datamatch,
		  struct errinfo *e);

#endif
