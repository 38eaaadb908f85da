// SPDX-License-Identifier: GPL-2.0-only
/*
 * lab-migrate: the RAM migration pieces on a real KVM (L1 in the lab),
 * where the unit tests can only fake it.  Prints PASS/FAIL lines.
 *   lab-migrate dirty-log [--plain]  KVM's dirty log reports exactly the
 *        pages a guest wrote, phase by phase (manual protect with
 *        KVM_CLEAR_DIRTY_LOG, or plain KVM_GET_DIRTY_LOG with --plain);
 *        stopping restores the memslot (KVM then refuses GET_DIRTY_LOG)
 *   lab-migrate live        a guest dirtying 142 pages in a tight loop is
 *        migrated over a socketpair (1 MiB/s limit: it cannot converge, so
 *        the vCPU is throttled and the pass limit ends the pre-copy); the
 *        copy equals the source after the final pass
 *   lab-migrate cancel      a migration cancelled after pass 1: tracking is
 *        off again (memslot flags restored) and the guest still runs
 *
 * The guests are a few real-mode instructions at 0x1000 (DS = 0).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dirty_log.h"
#include "dirty_ring.h"
#include "migrate_ram.h"
#include "throttle.h"
#include "vcpu.h"
#include "vm.h"

#define CODE_GPA 0x1000
#define PG 4096ull

static int failed;

static void verdict(bool ok, const char *name, const char *why)
{
	if (ok) {
		printf("PASS %s\n", name);
	} else {
		printf("FAIL %s: %s\n", name, why);
		failed = 1;
	}
}

/* @ring: KVM's dirty ring, else the bitmap (KVM_GET_DIRTY_LOG fails on a ring VM) */
static int make_vm(struct vm *vm, const uint8_t *code, size_t len, bool ring, struct errinfo *e)
{
	struct vm_config cfg = {.mem_size = 8ull << 20,
				.nr_cpus = 1,
				.dirty_track = ring ? VM_DIRTY_RING : VM_DIRTY_BITMAP};
	struct kvm_sregs sregs;
	struct kvm_regs regs = {.rip = CODE_GPA, .rflags = 2};
	struct vcpu *v;
	int ret = vm_create(vm, &cfg, e);

	if (ret)
		return ret;
	v = &vm->vcpus[0];
	memcpy(guest_mem_ptr(&vm->mem, CODE_GPA, len), code, len);
	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return err_sys(e, errno, "KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0 || ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		return err_sys(e, errno, "setting real-mode registers");
	return 0;
}

/* Run until the next port write (the phase marker). */
static int run_to_out(struct vcpu *v, struct errinfo *e)
{
	for (;;) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			return err_sys(e, errno, "KVM_RUN");
		}
		if (v->run->exit_reason == KVM_EXIT_IO)
			return 0;
		return err_set(e, EIO, "unexpected exit %u", v->run->exit_reason);
	}
}

/* Pages region 0's dirty source reports, as "5 9" (at most a few). */
static int collect_str(const struct dirty_source *d, char *out, size_t size, struct errinfo *e)
{
	uint64_t bitmap[(8ull << 20) / PG / 64] = {0}, pos = 0;
	struct page_range r;
	size_t n = 0;
	int ret = d->collect(d->opaque, 0, bitmap, e);

	out[0] = 0;
	if (ret)
		return ret;
	while (dirty_bitmap_next_run(bitmap, (8ull << 20) / PG, &pos, &r))
		for (uint64_t p = r.first; p < r.first + r.count && n + 24 < size; p++)
			n += (size_t)snprintf(out + n, size - n, "%s%llx", n ? " " : "",
					      (unsigned long long)p);
	return 0;
}

/* The pages logged must be @want, or @alt when not NULL. */
static void check_phase(const struct dirty_source *d, const char *name, const char *want,
			const char *alt)
{
	struct errinfo e = {0};
	char got[256], why[512];

	if (collect_str(d, got, sizeof(got), &e)) {
		verdict(false, name, e.msg);
		return;
	}
	snprintf(why, sizeof(why), "dirty pages [%s], expected [%s]%s%s%s", got, want,
		 alt ? " or [" : "", alt ? alt : "", alt ? "]" : "");
	verdict(!strcmp(got, want) || (alt && !strcmp(got, alt)), name, why);
}

/* A: write pages 5 and 9; B: pages 5 and 7; C: nothing; then spin */
static const uint8_t phases_code[] = {
	0xC6, 0x06, 0x00, 0x50, 0x01, 0xC6, 0x06, 0x00, 0x90, 0x01, 0xE6, 0x10, 0xC6, 0x06,
	0x00, 0x50, 0x02, 0xC6, 0x06, 0x00, 0x70, 0x02, 0xE6, 0x10, 0xE6, 0x10, 0xEB, 0xFE,
};

/*
 * Phases A, B, C with @d started: the pages each reports.  Phase A may
 * log the code page too: the first access to a page while logging (the
 * instruction fetch) can map it writable, and KVM then logs it - a
 * superset, which is all migration needs.
 */
static int run_phases(struct vm *vm, const struct dirty_source *d, const char *mode)
{
	const char *want[] = {"5 9", "5 7", ""}, *alt[] = {"1 5 9", NULL, NULL};
	struct errinfo e = {0};
	char name[64];

	snprintf(name, sizeof(name), "%s-clean", mode);
	check_phase(d, name, "", NULL);
	for (int phase = 0; phase < 3; phase++) {
		snprintf(name, sizeof(name), "%s-phase-%c", mode, 'A' + phase);
		if (run_to_out(&vm->vcpus[0], &e)) {
			verdict(false, name, e.msg);
			return -1;
		}
		check_phase(d, name, want[phase], alt[phase]);
	}
	return 0;
}

/* The same phases through the dirty ring (src/vmm/dirty_ring.c). */
static int dirty_ring_test(void)
{
	const char *mode = "dirty-ring";
	struct vm vm;
	struct dirty_source d;
	struct errinfo e = {0};
	struct kvm_dirty_log log = {0};
	uint64_t bitmap[64];
	int ret = make_vm(&vm, phases_code, sizeof(phases_code), true, &e);

	if (ret) {
		verdict(false, mode, e.msg);
		vm_destroy(&vm);
		return 1;
	}
	printf("%s: %s with %u entries per vCPU\n", mode,
	       vm.dirty_ring.cap == KVM_CAP_DIRTY_LOG_RING_ACQ_REL
		       ? "KVM_CAP_DIRTY_LOG_RING_ACQ_REL"
		       : "KVM_CAP_DIRTY_LOG_RING",
	       vm.dirty_ring.entries);
	verdict(vm.dirty_ring.entries && vm.vcpus[0].dirty_gfns, "dirty-ring-mapped",
		"no ring enabled or mapped");
	d = dirty_ring_source(&vm);
	ret = d.start(d.opaque, &e);
	verdict(!ret, mode, e.msg);
	if (ret)
		goto out;
	run_phases(&vm, &d, mode);
	/* the ring replaces the bitmap: KVM refuses it on this VM */
	log.slot = (uint32_t)vm.mem.slot[0];
	log.dirty_bitmap = bitmap;
	verdict(ioctl(vm.vm_fd, KVM_GET_DIRTY_LOG, &log) < 0, "dirty-ring-no-bitmap",
		"KVM_GET_DIRTY_LOG works on a ring VM");
	d.stop(d.opaque);
	verdict(!vm.dirty_ring.logging && !vm.dirty_ring.acc[0], "dirty-ring-stopped",
		"still logging after stop");
	printf("%s: %llu entries harvested, %llu rejected\n", mode,
	       (unsigned long long)vm.dirty_ring.count.harvested,
	       (unsigned long long)vm.dirty_ring.count.rejected);
	verdict(!vm.dirty_ring.count.rejected, "dirty-ring-no-bad-entries",
		"KVM pushed entries for slots or offsets outside guest RAM");
out:
	vm_destroy(&vm);
	return 0;
}

static int dirty_log_test(bool plain)
{
	const char *mode = plain ? "dirty-log-plain" : "dirty-log-manual";
	struct vm vm;
	struct dirty_log d;
	struct errinfo e = {0};
	struct kvm_dirty_log log = {0};
	uint64_t bitmap[64];
	char name[64];
	struct dirty_source src;
	int ret = make_vm(&vm, phases_code, sizeof(phases_code), false, &e);

	if (ret) {
		verdict(false, mode, e.msg);
		vm_destroy(&vm);
		return 1;
	}
	dirty_log_init(&d, vm.kvm_fd, vm.vm_fd, &vm.mem);
	d.no_manual_protect = plain;
	ret = dirty_log_start(&d, &e);
	verdict(!ret, mode, e.msg);
	if (ret)
		goto out;
	printf("%s: KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 %s\n", mode,
	       d.manual_protect ? "in use" : "not used");
	snprintf(name, sizeof(name), "%s-mode", mode);
	verdict(d.manual_protect == !plain, name, "manual protect not as asked");
	src = dirty_log_source(&d);
	if (run_phases(&vm, &src, mode))
		goto out;
	dirty_log_stop(&d);
	/* KVM refuses the log of a slot that no longer logs: the flag is gone */
	log.slot = (uint32_t)vm.mem.slot[0];
	log.dirty_bitmap = bitmap;
	snprintf(name, sizeof(name), "%s-stop-restores-slot", mode);
	verdict(ioctl(vm.vm_fd, KVM_GET_DIRTY_LOG, &log) < 0 && errno == ENOENT, name,
		"KVM_GET_DIRTY_LOG still works after stop");
out:
	dirty_log_stop(&d);
	vm_destroy(&vm);
	return 0;
}

/* The dirtying guest: inc word [page:0] for pages 0x2000..0x8f000, forever. */
static const uint8_t dirtier[] = {
	0xB8, 0x00, 0x02, /* start: mov ax, 0x200 */
	0x8E, 0xC0, /* l: mov es, ax */
	0x26, 0xFF, 0x06, 0x00, 0x00, /* inc word es:[0] */
	0x05, 0x00, 0x01, /* add ax, 0x100 */
	0x3D, 0x00, 0x90, /* cmp ax, 0x9000 */
	0x72, 0xF1, /* jb l */
	0xEB, 0xEC, /* jmp start */
};

struct runner {
	struct vm *vm;
	pthread_t thread;
	int stop;
	struct errinfo e;
	int ret;
	uint64_t entries; /* KVM_RUN calls: how often the throttle let it in */
};

/* The vCPU loop of vcpu.c, reduced: throttle, KVM_RUN, until told to stop. */
static void *vcpu_loop(void *arg)
{
	struct runner *r = arg;
	struct vcpu *v = &r->vm->vcpus[0];

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		vcpu_throttle(v);
		r->entries++;
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_RELAXED);
				continue;
			}
			r->ret = err_sys(&r->e, errno, "KVM_RUN");
			break;
		}
		/* as vcpu.c does: a full ring is drained and the guest goes on */
		if (v->run->exit_reason == KVM_EXIT_DIRTY_RING_FULL) {
			r->ret = dirty_ring_vcpu_full(v, &r->e);
			if (r->ret)
				break;
			continue;
		}
		r->ret = err_set(&r->e, EIO, "unexpected exit %u", v->run->exit_reason);
		break;
	}
	vcpu_throttle_stop(v);
	return NULL;
}

static void runner_start(struct runner *r, struct vm *vm)
{
	memset(r, 0, sizeof(*r));
	r->vm = vm;
	pthread_create(&r->thread, NULL, vcpu_loop, r);
	vm->vcpus[0].thread = r->thread;
	__atomic_store_n(&vm->vcpus[0].started, true, __ATOMIC_RELEASE);
}

static void runner_stop(struct runner *r)
{
	if (!r->vm)
		return;
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	vcpu_kick(&r->vm->vcpus[0]);
	pthread_join(r->thread, NULL);
	__atomic_store_n(&r->vm->vcpus[0].started, false, __ATOMIC_RELEASE);
	r->vm = NULL;
}

struct ctx {
	struct vm *vm;
	struct runner *runner;
	unsigned int max_throttle;
	int cancel;
	bool cancel_after_pass1;
};

static void progress(void *opaque, const struct migrate_progress *p)
{
	struct ctx *c = opaque;

	printf("  pass %u: %llu pages, %llu zero, %llu dirty, dirty rate %llu KiB/s, "
	       "bandwidth %llu KiB/s, est. downtime %llu ms, throttle %u%%\n",
	       p->pass, (unsigned long long)p->pages_sent, (unsigned long long)p->zero_pages,
	       (unsigned long long)p->dirty_pages, (unsigned long long)(p->dirty_rate >> 10),
	       (unsigned long long)(p->bandwidth >> 10), (unsigned long long)p->est_downtime_ms,
	       p->throttle_pct);
	if (c->cancel_after_pass1)
		__atomic_store_n(&c->cancel, 1, __ATOMIC_RELEASE);
}

static int throttle(void *opaque, unsigned int pct, struct errinfo *e)
{
	struct ctx *c = opaque;

	(void)e;
	if (pct > c->max_throttle)
		c->max_throttle = pct;
	return vm_throttle_set(c->vm, pct);
}

static int pause_vm(void *opaque, struct errinfo *e)
{
	struct ctx *c = opaque;

	(void)e;
	runner_stop(c->runner);
	return 0;
}

static void resume_vm(void *opaque)
{
	struct ctx *c = opaque;

	runner_start(c->runner, c->vm);
}

struct rx {
	pthread_t thread;
	int fd;
	struct guest_mem mem;
	struct migrate_recv_stats st;
	struct errinfo e;
	int ret;
};

static void *rx_thread(void *arg)
{
	struct rx *r = arg;

	r->ret = migrate_ram_recv(r->fd, &r->mem, &r->st, &r->e);
	return NULL;
}

static int live_test(bool cancel, bool ring)
{
	const char *name = cancel ? (ring ? "migrate-cancel-ring" : "migrate-cancel")
				  : (ring ? "migrate-live-ring" : "migrate-live");
	struct vm vm;
	struct dirty_log d;
	struct runner run;
	struct ctx c = {.vm = &vm, .runner = &run, .cancel_after_pass1 = cancel};
	struct rx rx = {0};
	struct errinfo e = {0};
	struct migrate_send_cfg cfg;
	int sv[2], ret = make_vm(&vm, dirtier, sizeof(dirtier), ring, &e);

	if (ret) {
		verdict(false, name, e.msg);
		vm_destroy(&vm);
		return 1;
	}
	/* the copy: malloc'd memory with the source's layout */
	rx.mem = vm.mem;
	rx.mem.memfd = -1;
	for (int i = 0; i < vm.mem.nr_regions; i++) {
		rx.mem.region[i].hva = calloc(1, vm.mem.region[i].size);
		rx.mem.dirty[i] = NULL;
	}
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	rx.fd = sv[1];
	pthread_create(&rx.thread, NULL, rx_thread, &rx);
	dirty_log_init(&d, vm.kvm_fd, vm.vm_fd, &vm.mem);
	runner_start(&run, &vm);
	/*
	 * Migrate a guest that is dirtying already: under TCG its thread may
	 * not have entered the guest yet (pass 1 would find clean memory and
	 * the pre-copy converge without the throttle this checks).
	 */
	for (int i = 0; i < 1000 && !*(volatile uint16_t *)guest_mem_ptr(&vm.mem, 0x8e000, 2) &&
			!__atomic_load_n(&run.ret, __ATOMIC_ACQUIRE);
	     i++)
		usleep(10000);
	cfg = (struct migrate_send_cfg){
		.fd = sv[0],
		.mem = &vm.mem,
		.dirty = ring ? dirty_ring_source(&vm) : dirty_log_source(&d),
		.bandwidth_limit = 1ull << 20,
		.max_passes = 5,
		.cancel = &c.cancel,
		.progress = progress,
		.throttle = throttle,
		.pause = pause_vm,
		.resume = resume_vm,
		.opaque = &c,
	};
	ret = migrate_ram_send(&cfg, &e);
	close(sv[0]);
	pthread_join(rx.thread, NULL);
	if (cancel) {
		struct kvm_dirty_log log = {.slot = (uint32_t)vm.mem.slot[0]};
		uint64_t bitmap[64];

		log.dirty_bitmap = bitmap;
		verdict(ret == -ECANCELED, name, e.msg);
		if (ring)
			verdict(!vm.dirty_ring.logging, "migrate-cancel-tracking-off",
				"the dirty ring source still logs");
		else
			verdict(ioctl(vm.vm_fd, KVM_GET_DIRTY_LOG, &log) < 0 && errno == ENOENT,
				"migrate-cancel-tracking-off",
				"the RAM memslot still logs dirty pages");
		verdict(!vm.mem.dirty_on && !vm.throttle_pct, "migrate-cancel-restored",
			"device bitmap or throttle left on");
		/* the guest still runs: its counters move */
		{
			uint16_t before = *(uint16_t *)guest_mem_ptr(&vm.mem, 0x2000, 2);

			for (int i = 0; i < 100 && *(volatile uint16_t *)guest_mem_ptr(
							   &vm.mem, 0x2000, 2) == before;
			     i++)
				usleep(10000);
			verdict(*(uint16_t *)guest_mem_ptr(&vm.mem, 0x2000, 2) != before,
				"migrate-cancel-guest-runs", "the guest's counter stopped");
		}
		verdict(rx.ret == -EPIPE, "migrate-cancel-destination-refuses", rx.e.msg);
	} else {
		bool same = rx.ret == 0;

		for (int i = 0; same && i < vm.mem.nr_regions; i++)
			same = !memcmp(vm.mem.region[i].hva, rx.mem.region[i].hva,
				       vm.mem.region[i].size);
		verdict(ret == 0, name, e.msg);
		verdict(rx.ret == 0, "migrate-live-received", rx.e.msg);
		verdict(same, "migrate-live-copy-equal", "the copy differs from the source");
		verdict(c.max_throttle >= 20, "migrate-live-throttled",
			"a guest dirtying faster than the link was never throttled");
		verdict(run.ret == 0, "migrate-live-guest-ran", run.e.msg);
		printf("migrate-live: %u passes received, %llu data pages, %llu zero pages, "
		       "%llu bytes, throttle reached %u%%\n",
		       rx.st.passes, (unsigned long long)rx.st.pages,
		       (unsigned long long)rx.st.zero_pages, (unsigned long long)rx.st.bytes,
		       c.max_throttle);
	}
	runner_stop(&run);
	for (int i = 0; i < vm.mem.nr_regions; i++)
		free(rx.mem.region[i].hva);
	close(sv[1]);
	vm_destroy(&vm);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "dirty-log"))
		dirty_log_test(argc >= 3 && !strcmp(argv[2], "--plain"));
	else if (argc >= 2 && !strcmp(argv[1], "dirty-ring"))
		dirty_ring_test();
	else if (argc >= 2 && !strcmp(argv[1], "live"))
		live_test(false, argc >= 3 && !strcmp(argv[2], "--ring"));
	else if (argc >= 2 && !strcmp(argv[1], "cancel"))
		live_test(true, argc >= 3 && !strcmp(argv[2], "--ring"));
	else {
		fprintf(stderr,
			"usage: lab-migrate dirty-log [--plain] | dirty-ring | live [--ring] | "
			"cancel [--ring]\n");
		return 2;
	}
	return failed;
}
