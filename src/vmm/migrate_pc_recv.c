// SPDX-License-Identifier: GPL-2.0-only
/*
 * The receiving side of post-copy (migrate_postcopy.h): guest RAM under
 * userfaultfd, and the fault thread that asks the source for the missing
 * pages and places them.  The stream is hostile input as before: every
 * record's length, checksum and pages are checked, a page is placed only
 * if it was discarded and has not arrived yet.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "byteorder.h"
#include "migrate_postcopy.h"
#include "migrate_wire.h"
#include "sandbox.h"

#define PAGE GUEST_PAGE_SIZE
#define FAULT_BATCH 16
#define REC_CAP (MIGRATE_RUN_HDR + MIGRATE_MAX_RUN * PAGE)

static bool bit(const uint64_t *b, uint64_t i)
{
	return b[i / 64] >> (i % 64) & 1;
}

int migrate_pc_dest_init(struct migrate_pc_dest *pc, int fd, struct guest_mem *mem,
			 struct errinfo *e)
{
	memset(pc, 0, sizeof(*pc));
	pc->mem = mem;
	pc->uffd = pc->stop_fd = pc->run_fd = -1;
	pthread_mutex_init(&pc->send_lock, NULL);
	pc->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (pc->fd < 0)
		return err_sys(e, errno, "post-copy: dup of the migration socket");
	for (int i = 0; i < mem->nr_regions; i++) {
		size_t words = (guest_mem_region_pages(&mem->region[i]) + 63) / 64;

		pc->pending[i] = calloc(words, sizeof(uint64_t));
		pc->requested[i] = calloc(words, sizeof(uint64_t));
		if (!pc->pending[i] || !pc->requested[i])
			return err_set(e, ENOMEM, "post-copy: page bitmaps");
	}
	/* one record; its pages (after the 16-byte run header) page-aligned for UFFDIO_COPY */
	if (posix_memalign((void **)&pc->buf, PAGE, PAGE + REC_CAP))
		return err_set(e, ENOMEM, "post-copy: a record buffer");
	return 0;
}

static int send_rec(struct migrate_pc_dest *pc, uint32_t type, const uint8_t *p, uint32_t len,
		    struct errinfo *e)
{
	int ret;

	pthread_mutex_lock(&pc->send_lock);
	ret = migrate_send_record(pc->fd, type, p, len, e);
	pthread_mutex_unlock(&pc->send_lock);
	return ret;
}

int migrate_pc_dest_running(struct migrate_pc_dest *pc, struct errinfo *e)
{
	uint8_t zero[8] = {0};
	uint64_t one = 1;
	int ret = send_rec(pc, MIGRATE_REC_RUNNING, zero, sizeof(zero), e);

	/* the fault thread may have every page already: it says PC_DONE now */
	if (!ret)
		(void)!write(pc->run_fd, &one, sizeof(one));
	return ret;
}

/*
 * Every page is in: wait until RUNNING went out (the state may still be
 * loading), so that the source sees RUNNING before PC_DONE.  Nothing
 * waits on this thread any more: no fault can come for a page that is in.
 */
static int wait_running(struct migrate_pc_dest *pc, struct errinfo *e)
{
	for (;;) {
		struct pollfd p[2] = {
			{.fd = pc->run_fd, .events = POLLIN},
			{.fd = pc->stop_fd, .events = POLLIN},
		};

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return err_sys(e, errno, "post-copy: poll");
		}
		if (p[0].revents)
			return 0;
		if (p[1].revents)
			return err_set(e, ECANCELED, "post-copy: stopped before the VM ran");
	}
}

/* Region and page index of a guest address, or -1. */
static int locate(const struct guest_mem *m, uint64_t gpa, uint64_t *page)
{
	for (int i = 0; i < m->nr_regions; i++)
		if (gpa >= m->region[i].gpa && gpa - m->region[i].gpa < m->region[i].size) {
			*page = (gpa - m->region[i].gpa) / PAGE;
			return i;
		}
	return -1;
}

/* Let whoever waits on [addr, addr + len) retry (the page is there). */
static void wake(struct migrate_pc_dest *pc, uint64_t addr, uint64_t len)
{
	struct uffdio_range r = {.start = addr, .len = len};

	ioctl(pc->uffd, UFFDIO_WAKE, &r);
}

/* A page that is zero: in a hole that was not discarded. */
static int place_zero(struct migrate_pc_dest *pc, uint64_t hva, uint64_t len, struct errinfo *e)
{
	struct uffdio_zeropage z = {.range = {.start = hva, .len = len}};

	if (ioctl(pc->uffd, UFFDIO_ZEROPAGE, &z) == 0)
		return 0;
	if (errno == EEXIST || errno == EAGAIN) {
		/* some of it is there already (placed meanwhile): page by page */
		for (uint64_t off = 0; off < len; off += PAGE) {
			z = (struct uffdio_zeropage){.range = {.start = hva + off, .len = PAGE}};
			if (ioctl(pc->uffd, UFFDIO_ZEROPAGE, &z) < 0 && errno != EEXIST)
				return err_sys(e, errno, "post-copy: UFFDIO_ZEROPAGE at 0x%llx",
					       (unsigned long long)(hva + off));
		}
		wake(pc, hva, len);
		return 0;
	}
	return err_sys(e, errno, "post-copy: UFFDIO_ZEROPAGE at 0x%llx", (unsigned long long)hva);
}

static int place_copy(struct migrate_pc_dest *pc, uint64_t hva, const uint8_t *src, uint64_t len,
		      struct errinfo *e)
{
	uint64_t done = 0;

	while (done < len) {
		struct uffdio_copy c = {.dst = hva + done,
					.src = (uint64_t)(uintptr_t)(src + done),
					.len = len - done};

		if (ioctl(pc->uffd, UFFDIO_COPY, &c) == 0)
			return 0;
		if (errno == EEXIST) {
			/* the page is there (a vfvm write raced): skip it */
			done += c.copy > 0 ? (uint64_t)c.copy : PAGE;
			if (c.copy <= 0)
				wake(pc, hva + done - PAGE, PAGE);
			continue;
		}
		if (errno == EAGAIN && c.copy > 0) {
			done += (uint64_t)c.copy;
			continue;
		}
		return err_sys(e, errno, "post-copy: UFFDIO_COPY of %llu bytes at 0x%llx",
			       (unsigned long long)(len - done), (unsigned long long)(hva + done));
	}
	return 0;
}

/* A fault: ask for a missing page once, or zero one that only was never written. */
static int on_fault(struct migrate_pc_dest *pc, uint64_t hva, struct errinfo *e)
{
	const struct guest_mem *m = pc->mem;
	uint8_t req[16];

	hva &= ~(PAGE - 1);
	for (int i = 0; i < m->nr_regions; i++) {
		const struct guest_mem_region *r = &m->region[i];
		uint64_t k, base = (uint64_t)(uintptr_t)r->hva;

		if (hva < base || hva - base >= r->size)
			continue;
		k = (hva - base) / PAGE;
		if (!bit(pc->pending[i], k))
			return place_zero(pc, hva, PAGE, e);
		if (bit(pc->requested[i], k))
			return 0; /* asked already: its arrival wakes this one too */
		pc->requested[i][k / 64] |= 1ULL << (k % 64);
		put64(req, r->gpa + k * PAGE);
		put64(req + 8, 1);
		__atomic_add_fetch(&pc->requests, 1, __ATOMIC_RELAXED);
		return send_rec(pc, MIGRATE_REC_REQUEST, req, sizeof(req), e);
	}
	return err_set(e, EFAULT, "post-copy: a fault at 0x%llx, outside guest RAM",
		       (unsigned long long)hva);
}

static int read_faults(struct migrate_pc_dest *pc, struct errinfo *e)
{
	struct uffd_msg msg[FAULT_BATCH];
	ssize_t n = read(pc->uffd, msg, sizeof(msg));

	if (n < 0)
		return errno == EAGAIN || errno == EINTR
			       ? 0
			       : err_sys(e, errno, "post-copy: reading the uffd");
	for (size_t i = 0; i < (size_t)n / sizeof(msg[0]); i++) {
		int ret;

		if (msg[i].event != UFFD_EVENT_PAGEFAULT)
			continue;
		ret = on_fault(pc, msg[i].arg.pagefault.address, e);
		if (ret)
			return ret;
	}
	return 0;
}

/* PAGES or ZERO from the source: only pages discarded and not arrived yet. */
static int on_run(struct migrate_pc_dest *pc, uint32_t type, const uint8_t *p, uint32_t len,
		  struct errinfo *e)
{
	const struct guest_mem *m = pc->mem;
	uint64_t gpa, count, k = 0;
	uint8_t *hva;
	int ri, ret;

	if (len < MIGRATE_RUN_HDR)
		return err_set(e, EBADMSG, "post-copy: a page record of %u bytes", len);
	gpa = migrate_get64(p);
	count = type == MIGRATE_REC_ZERO ? migrate_get64(p + 8) : get32(p + 8);
	if (type == MIGRATE_REC_PAGES && (get32(p + 12) || count < 1 || count > MIGRATE_MAX_RUN ||
					  len != MIGRATE_RUN_HDR + count * PAGE))
		return err_set(e, EBADMSG, "post-copy: %llu pages in a record of %u bytes",
			       (unsigned long long)count, len);
	if (type == MIGRATE_REC_ZERO && len != MIGRATE_RUN_HDR)
		return err_set(e, EBADMSG, "post-copy: a ZERO record of %u bytes", len);
	if (gpa % PAGE || count < 1 || count > m->total / PAGE ||
	    !(hva = guest_mem_ptr(m, gpa, count * PAGE)))
		return err_set(e, EBADMSG,
			       "post-copy: pages 0x%llx+%llu are not inside one RAM "
			       "region",
			       (unsigned long long)gpa, (unsigned long long)count);
	ri = locate(m, gpa, &k);
	if (ri < 0)
		return err_set(e, EBADMSG, "post-copy: pages at 0x%llx", (unsigned long long)gpa);
	for (uint64_t i = k; i < k + count; i++)
		if (!bit(pc->pending[ri], i))
			return err_set(e, EBADMSG,
				       "post-copy: page 0x%llx sent, but it was not discarded or "
				       "arrived already",
				       (unsigned long long)(gpa + (i - k) * PAGE));
	if (type == MIGRATE_REC_ZERO)
		ret = place_zero(pc, (uint64_t)(uintptr_t)hva, count * PAGE, e);
	else
		ret = place_copy(pc, (uint64_t)(uintptr_t)hva, p + MIGRATE_RUN_HDR, count * PAGE,
				 e);
	if (ret)
		return ret;
	for (uint64_t i = k; i < k + count; i++)
		pc->pending[ri][i / 64] &= ~(1ULL << (i % 64));
	__atomic_add_fetch(&pc->arrived, count, __ATOMIC_RELAXED); /* read by other threads */
	return 0;
}

/* One record from the source; *@end once END_POSTCOPY came. */
static int read_source(struct migrate_pc_dest *pc, bool *end, struct errinfo *e)
{
	uint8_t *p = pc->buf + PAGE - MIGRATE_RUN_HDR;
	uint32_t type, len;
	int ret = migrate_read_record(pc->fd, "post-copy: the source's stream", &type, p, REC_CAP,
				      &len, e);

	if (ret)
		return ret;
	switch (type) {
	case MIGRATE_REC_PAGES:
	case MIGRATE_REC_ZERO:
		return on_run(pc, type, p, len, e);
	case MIGRATE_REC_END_POSTCOPY:
		if (len != 8 || migrate_get64(p) != pc->discarded || pc->arrived != pc->discarded)
			return err_set(e, EBADMSG,
				       "post-copy: the source ended after %llu pages; %llu were "
				       "discarded, %llu arrived",
				       len == 8 ? (unsigned long long)migrate_get64(p) : 0ULL,
				       (unsigned long long)pc->discarded,
				       (unsigned long long)pc->arrived);
		*end = true;
		return 0;
	}
	return err_set(e, EBADMSG, "post-copy: record type %u from the source", type);
}

static void unregister(struct migrate_pc_dest *pc)
{
	for (int i = 0; i < pc->mem->nr_regions; i++) {
		struct uffdio_range r = {.start = (uint64_t)(uintptr_t)pc->mem->region[i].hva,
					 .len = pc->mem->region[i].size};

		ioctl(pc->uffd, UFFDIO_UNREGISTER, &r);
	}
}

static void *fault_thread(void *arg)
{
	struct migrate_pc_dest *pc = arg;
	struct errinfo e = {0};
	bool end = false;
	int ret = 0;

	pthread_setname_np(pthread_self(), "postcopy");
	ret = sandbox_enter_role(pc->sandbox, SANDBOX_PC_FAULT, &e);
	while (!ret && !end) {
		struct pollfd p[3] = {
			{.fd = pc->uffd, .events = POLLIN},
			{.fd = pc->fd, .events = POLLIN},
			{.fd = pc->stop_fd, .events = POLLIN},
		};

		if (poll(p, 3, -1) < 0) {
			if (errno != EINTR)
				ret = err_sys(&e, errno, "post-copy: poll");
			continue;
		}
		if (p[2].revents) {
			ret = err_set(&e, ECANCELED, "post-copy: stopped before every page came");
			break;
		}
		/* faults first: a vCPU waits on each */
		if (p[0].revents)
			ret = read_faults(pc, &e);
		if (!ret && p[1].revents)
			ret = read_source(pc, &end, &e);
	}
	if (!ret)
		ret = wait_running(pc, &e);
	if (!ret) {
		uint8_t n[8];

		unregister(pc);
		put64(n, pc->arrived);
		ret = send_rec(pc, MIGRATE_REC_PC_DONE, n, sizeof(n), &e);
	} else {
		/* the VM cannot go on: say so first, then let the waiting faults go */
		if (pc->on_fail)
			pc->on_fail(pc->opaque, &e);
		unregister(pc);
	}
	pc->ret = ret;
	pc->err = e;
	__atomic_store_n(&pc->done, true, __ATOMIC_RELEASE);
	if (pc->on_done)
		pc->on_done(pc->opaque, ret);
	return NULL;
}

int migrate_pc_dest_start(struct migrate_pc_dest *pc, struct errinfo *e)
{
	const struct guest_mem *m = pc->mem;
	struct uffdio_api api = {.api = UFFD_API};
	int ret;

	pc->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (pc->uffd < 0)
		return err_sys(e, errno,
			       "post-copy: userfaultfd (vm.unprivileged_userfaultfd, or "
			       "CAP_SYS_PTRACE)");
	if (ioctl(pc->uffd, UFFDIO_API, &api) < 0)
		return err_sys(e, errno, "post-copy: UFFDIO_API");
	for (int i = 0; i < m->nr_regions; i++) {
		struct uffdio_register reg = {
			.range = {.start = (uint64_t)(uintptr_t)m->region[i].hva,
				  .len = m->region[i].size},
			.mode = UFFDIO_REGISTER_MODE_MISSING,
		};
		uint64_t need =
			1ULL << _UFFDIO_COPY | 1ULL << _UFFDIO_ZEROPAGE | 1ULL << _UFFDIO_WAKE;

		if (ioctl(pc->uffd, UFFDIO_REGISTER, &reg) < 0)
			return err_sys(e, errno,
				       "post-copy: UFFDIO_REGISTER of guest RAM 0x%llx+0x%llx",
				       (unsigned long long)m->region[i].gpa,
				       (unsigned long long)m->region[i].size);
		if ((reg.ioctls & need) != need)
			return err_set(e, ENOTSUP,
				       "post-copy: this kernel cannot fill guest RAM through "
				       "userfaultfd (ioctls 0x%llx)",
				       (unsigned long long)reg.ioctls);
	}
	pc->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pc->run_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (pc->stop_fd < 0 || pc->run_fd < 0)
		return err_sys(e, errno, "post-copy: eventfd");
	ret = pthread_create(&pc->thread, NULL, fault_thread, pc);
	if (ret)
		return err_sys(e, ret, "post-copy: starting the fault thread");
	pc->thread_on = true;
	return 0;
}

int migrate_pc_dest_finish(struct migrate_pc_dest *pc, struct errinfo *e)
{
	int ret = 0;

	if (!pc->mem)
		return 0; /* finished already */
	if (pc->thread_on) {
		uint64_t one = 1;

		if (!__atomic_load_n(&pc->done, __ATOMIC_ACQUIRE))
			(void)!write(pc->stop_fd, &one, sizeof(one));
		pthread_join(pc->thread, NULL);
		pc->thread_on = false;
		ret = pc->ret;
		if (ret && e)
			*e = pc->err;
	}
	if (pc->uffd >= 0)
		close(pc->uffd);
	if (pc->stop_fd >= 0)
		close(pc->stop_fd);
	if (pc->run_fd >= 0)
		close(pc->run_fd);
	if (pc->fd >= 0)
		close(pc->fd);
	pc->uffd = pc->stop_fd = pc->run_fd = pc->fd = -1;
	for (int i = 0; i < GUEST_MEM_MAX_REGIONS; i++) {
		free(pc->pending[i]);
		free(pc->requested[i]);
		pc->pending[i] = pc->requested[i] = NULL;
	}
	free(pc->buf);
	pc->buf = NULL;
	pthread_mutex_destroy(&pc->send_lock);
	pc->mem = NULL;
	return ret;
}
