// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM-tier check of VM snapshot/restore (src/vmm/vm_snapshot.h) with the
 * libraries alone, no front end: counter.bin (tests/guests/counter.c) runs
 * on 2 vCPUs with the platform ports, hot-plug registers and a PIT; the VM
 * is paused, saved to a directory, resumed (it must go on counting), then
 * destroyed; then, SAVE_ROUNDS times, a fresh VM is created the same way,
 * loaded from the directory (the count in RAM must be the saved one), run
 * for a while and saved again; the last one runs until the stop mark the
 * host sets.  The guest checks its registers and memory agree and that
 * its pending IN was completed before each save (else it exits with
 * another status, named here).
 *   vfvm-snaptest COUNTER_BIN [DIR]   prints ok/not ok lines, exit 0 = all ok
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "boot.h"
#include "bus.h"
#include "pci_hotplug.h"
#include "platform.h"
#include "snap_stream.h"
#include "vm.h"
#include "vm_snapshot.h"

#define COUNTER_ADDR 0x200000ULL /* struct counter_page in counter.c */
#define MEM (16ULL << 20)
#define RUN_ROUNDS \
	20000 /* rounds between checkpoints: each is a port exit, slow under nested TCG */
#define WAIT_SECONDS 60
#define SAVE_ROUNDS 8 /* snapshot, restore, snapshot again ... */

#define SEQ_PORT 0x520 /* counter.c writes each new count here */

static int fails;

/*
 * The sequence device: counter.c writes 1, 2, 3, ... to SEQ_PORT; a value
 * that is not one more than the last is a port write the guest did twice
 * (a restore that repeated an unfinished OUT) or skipped.  Its state is
 * saved and loaded as section "test-seq", as a device model's would be.
 */
struct seq_dev {
	uint32_t last;
	unsigned int bad;
	uint32_t first_bad, bad_after;
};

static void seq_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct seq_dev *s = opaque;
	uint32_t v = 0;

	(void)off;
	if (!is_write) {
		memset(data, 0xff, len);
		return;
	}
	for (uint32_t i = 0; i < len && i < 4; i++)
		v |= (uint32_t)data[i] << (8 * i);
	if (v != s->last + 1 && !s->bad++) {
		s->first_bad = v;
		s->bad_after = s->last;
	}
	s->last = v;
}

static void check(bool ok, const char *what, const struct errinfo *e)
{
	if (ok) {
		printf("ok - %s\n", what);
		return;
	}
	printf("not ok - %s%s%s\n", what, e && e->err ? ": " : "", e && e->err ? e->msg : "");
	fails++;
}

static volatile uint64_t *count_of(struct vm *vm)
{
	return guest_mem_ptr(&vm->mem, COUNTER_ADDR, 16);
}

static int build_vm(struct vm *vm, const char *bin, struct seq_dev *seq, struct errinfo *e)
{
	struct vm_config cfg = {.mem_size = MEM, .nr_cpus = 2};
	int ret = vm_create(vm, &cfg, e);

	if (ret)
		return ret;
	ret = platform__add(vm, true, e);
	if (!ret)
		ret = pci_hotplug__add(vm, e);
	if (!ret)
		ret = vm_create_pit(vm, e);
	if (!ret)
		ret = bus_register(&vm->pio, SEQ_PORT, 4, seq_access, seq, "test-seq", e);
	if (!ret)
		ret = firmware_load(vm, bin, e);
	return ret;
}

struct runner {
	struct vm *vm;
	struct errinfo e;
	int status;
};

static void *run_thread(void *arg)
{
	struct runner *r = arg;

	r->status = vm_run(r->vm, &r->e);
	return NULL;
}

/* Wait (up to WAIT_SECONDS) for the guest's count to reach @target; false if it did not. */
static bool wait_count(struct vm *vm, uint64_t target)
{
	struct timespec tick = {0, 1000000};

	for (long i = 0; i < WAIT_SECONDS * 1000L; i++) {
		if (*count_of(vm) >= target)
			return true;
		if (atomic_load(&vm->exit_requested))
			return false;
		nanosleep(&tick, NULL);
	}
	return false;
}

static int write_state(struct snap_out *o, const char *dir, struct errinfo *e)
{
	char path[4096];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/state", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_sys(e, errno, "creating %s", path);
	ret = snap_out_write(o, fd, path, e);
	close(fd);
	return ret;
}

static int load_state(struct vm *vm, struct seq_dev *seq, const char *dir, struct errinfo *e)
{
	struct snap_sec *sec;
	struct snap_in in;
	char path[4096];
	int ret;

	snprintf(path, sizeof(path), "%s/state", dir);
	ret = snap_in_read_file(&in, path, e);
	if (!ret)
		ret = vm_snapshot_load(vm, &in, dir, e);
	if (!ret)
		ret = snap_open(&in, "test-seq", 1, &sec, e);
	if (!ret) {
		seq->last = snap_get_u32(sec);
		ret = snap_close(sec, in.what, e);
	}
	if (!ret && snap_unused(&in))
		ret = err_set(e, EBADMSG, "section '%s' was not used", snap_unused(&in)->name);
	snap_in_free(&in);
	return ret;
}

/* What the guest's debug-exit status says went wrong, if it ended by itself. */
static const char *guest_verdict(int status)
{
	if (status == VM_EXIT_DEBUG_BASE + 2)
		return "the guest's IN was not completed before the save (RAX lost)";
	if (status == VM_EXIT_DEBUG_BASE + 3)
		return "the guest's registers and memory disagree after the restore";
	return NULL;
}

static void seq_check(const struct seq_dev *seq, char *what, size_t size, int round)
{
	if (round < 0)
		snprintf(what, size, "last round: every port write once (seq %u)", seq->last);
	else
		snprintf(what, size, "round %d: every port write once (seq %u)", round, seq->last);
	if (seq->bad)
		snprintf(what + strlen(what), size - strlen(what),
			 ": %u out of order, first %u after %u (an unfinished OUT repeated?)",
			 seq->bad, seq->first_bad, seq->bad_after);
	check(!seq->bad, what, NULL);
}

/*
 * Round @round: build a VM (restored from @dir unless it is the first),
 * let it count RUN_ROUNDS more, pause, save to @dir, (first round: resume
 * and check it goes on), stop.  Returns the count saved, 0 on failure.
 */
static uint64_t save_round(const char *bin, const char *dir, int round, uint64_t saved)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct runner r = {.vm = vm};
	struct seq_dev seq = {0};
	struct errinfo e = {0};
	struct snap_out o;
	char what[160];
	pthread_t t;
	int ret;

	ret = build_vm(vm, bin, &seq, &e);
	snprintf(what, sizeof(what),
		 "round %d: VM created with counter.bin, platform, hot-plug, PIT", round);
	check(!ret, what, &e);
	if (!ret && round) {
		ret = load_state(vm, &seq, dir, &e);
		snprintf(what, sizeof(what), "round %d: snapshot of round %d loaded", round,
			 round - 1);
		check(!ret, what, &e);
		snprintf(what, sizeof(what), "round %d: RAM holds the saved count %llu", round,
			 (unsigned long long)saved);
		check(!ret && *count_of(vm) == saved, what, NULL);
	}
	if (ret) {
		vm_destroy(vm);
		free(vm);
		return 0;
	}
	pthread_create(&t, NULL, run_thread, &r);
	snprintf(what, sizeof(what), "round %d: the guest counts on", round);
	check(wait_count(vm, saved + RUN_ROUNDS), what, NULL);
	ret = vm_pause(vm);
	snprintf(what, sizeof(what), "round %d: paused", round);
	check(ret == 0, what, NULL);
	if (!ret) {
		saved = *count_of(vm);
		snap_out_init(&o);
		ret = vm_snapshot_save(vm, &o, dir, &e);
		snap_begin(&o, "test-seq", 1);
		snap_put_u32(&o, seq.last);
		snap_end(&o);
		if (!ret)
			ret = snap_out_finish(&o, &e);
		if (!ret)
			ret = write_state(&o, dir, &e);
		snap_out_free(&o);
		snprintf(what, sizeof(what), "round %d: snapshot saved at count %llu", round,
			 (unsigned long long)saved);
		check(!ret, what, &e);
		snprintf(what, sizeof(what), "round %d: the count holds while paused", round);
		check(*count_of(vm) == saved, what, NULL);
		vm_resume(vm);
		if (round == 0) {
			snprintf(what, sizeof(what), "round %d: counts on after the snapshot",
				 round);
			check(wait_count(vm, saved + RUN_ROUNDS), what, NULL);
		}
	}
	vm_request_exit(vm, VM_EXIT_POWEROFF, "snaptest: round done");
	pthread_join(t, NULL);
	snprintf(what, sizeof(what), "round %d: stopped by the test%s%s", round,
		 guest_verdict(r.status) ? ", not by the guest: " : "",
		 guest_verdict(r.status) ? guest_verdict(r.status) : "");
	check(r.status == VM_EXIT_POWEROFF, what, &r.e);
	seq_check(&seq, what, sizeof(what), round);
	vm_destroy(vm);
	free(vm);
	return ret ? 0 : saved;
}

static void memory_file_checks(const char *dir)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, VM_SNAPSHOT_MEMORY);
	check(stat(path, &st) == 0 && (uint64_t)st.st_size == MEM,
	      "memory file as long as guest RAM", NULL);
	/* the guest touched a few dozen pages: the rest must be holes */
	check((uint64_t)st.st_blocks * 512 < (1ULL << 20), "memory file is sparse (< 1 MiB used)",
	      NULL);
}

/* The last restore runs to the stop mark: the guest ends itself with debug-exit 1. */
static void final_round(const char *bin, const char *dir, uint64_t saved)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct seq_dev seq = {0};
	struct errinfo e = {0};
	char what[160];
	int ret, status;

	ret = build_vm(vm, bin, &seq, &e);
	if (!ret)
		ret = load_state(vm, &seq, dir, &e);
	check(!ret, "last round: snapshot loaded", &e);
	if (ret) {
		vm_destroy(vm);
		free(vm);
		return;
	}
	check(*count_of(vm) == saved, "last round: RAM holds the saved count", NULL);
	count_of(vm)[1] = saved + RUN_ROUNDS; /* stop mark */
	status = vm_run(vm, &e);
	snprintf(what, sizeof(what), "last round: the guest counted on to the stop mark%s%s",
		 guest_verdict(status) ? ": " : "",
		 guest_verdict(status) ? guest_verdict(status) : "");
	check(status == VM_EXIT_DEBUG_BASE + 1, what,
	      status == VM_EXIT_CRASH || status == VM_EXIT_ERROR || status < 0 ? &e : NULL);
	printf("# saved at %llu, ended at %llu, exit status %d\n", (unsigned long long)saved,
	       (unsigned long long)*count_of(vm), status);
	check(*count_of(vm) >= saved + RUN_ROUNDS, "last round: count went on from the saved one",
	      NULL);
	seq_check(&seq, what, sizeof(what), -1);
	vm_destroy(vm);
	free(vm);
}

int main(int argc, char **argv)
{
	char tmpl[] = "/tmp/vfvm-snaptest.XXXXXX";
	const char *dir = argc > 2 ? argv[2] : NULL;
	uint64_t saved = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s COUNTER_BIN [DIR]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!dir && !(dir = mkdtemp(tmpl))) {
		perror("mkdtemp");
		return 1;
	}
	/*
	 * Each pause lands while the vCPU is in the guest or in the middle of
	 * an IN exit, by chance: several rounds make the second case certain
	 * to come up.
	 */
	for (int round = 0; round < SAVE_ROUNDS; round++) {
		saved = save_round(argv[1], dir, round, saved);
		if (!saved)
			break;
		if (round == 0)
			memory_file_checks(dir);
	}
	if (saved)
		final_round(argv[1], dir, saved);
	if (argc <= 2) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/state", dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%s", dir, VM_SNAPSHOT_MEMORY);
		unlink(path);
		rmdir(dir);
	}
	printf("snaptest: %s\n", fails ? "FAILED" : "all ok");
	return fails ? 1 : 0;
}
