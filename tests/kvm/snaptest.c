// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM-tier check of VM snapshot/restore (src/vmm/vm_snapshot.h) with the
 * libraries alone, no front end: counter.bin (tests/guests/counter.c) runs
 * on 2 vCPUs with the platform ports, hot-plug registers and a PIT; the VM
 * is paused, saved to a directory, resumed (it must go on counting), then
 * destroyed; a fresh VM is created the same way, loaded from the directory
 * and run: the count in RAM must be the saved one before it runs, and the
 * guest must count on from there until the stop mark the host sets,
 * finding its registers and memory in agreement and its pending IN
 * completed (else it exits with another status).
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
#include "pci_hotplug.h"
#include "platform.h"
#include "snap_stream.h"
#include "vm.h"
#include "vm_snapshot.h"

#define COUNTER_ADDR 0x200000ULL /* struct counter_page in counter.c */
#define MEM (16ULL << 20)
#define RUN_ROUNDS 200000 /* rounds the guest runs between checkpoints */
#define WAIT_SECONDS 60

static int fails;

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

static int build_vm(struct vm *vm, const char *bin, struct errinfo *e)
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

/* Run, pause, save, resume, stop; returns the count saved (0 on failure). */
static uint64_t save_phase(const char *bin, const char *dir)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct runner r = {.vm = vm};
	struct errinfo e = {0};
	struct snap_out o;
	pthread_t t;
	uint64_t saved = 0;
	int ret;

	ret = build_vm(vm, bin, &e);
	check(!ret, "first VM: created with counter.bin, platform, hot-plug, PIT", &e);
	if (ret) {
		free(vm);
		return 0;
	}
	pthread_create(&t, NULL, run_thread, &r);
	check(wait_count(vm, RUN_ROUNDS), "first VM: the guest counts", NULL);
	ret = vm_pause(vm);
	check(ret == 0, "first VM: paused", NULL);
	if (!ret) {
		saved = *count_of(vm);
		snap_out_init(&o);
		ret = vm_snapshot_save(vm, &o, dir, &e);
		if (!ret)
			ret = snap_out_finish(&o, &e);
		if (!ret)
			ret = write_state(&o, dir, &e);
		snap_out_free(&o);
		check(!ret, "first VM: snapshot saved", &e);
		check(*count_of(vm) == saved, "first VM: the count holds while paused", NULL);
		vm_resume(vm);
		check(wait_count(vm, saved + RUN_ROUNDS), "first VM: counts on after the snapshot",
		      NULL);
	}
	vm_request_exit(vm, VM_EXIT_POWEROFF, "snaptest: first VM done");
	pthread_join(t, NULL);
	check(r.status == VM_EXIT_POWEROFF, "first VM: stopped by the test, not by the guest",
	      &r.e);
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

static void restore_phase(const char *bin, const char *dir, uint64_t saved)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct errinfo e = {0};
	struct snap_in in;
	char path[4096];
	int ret, status;

	ret = build_vm(vm, bin, &e);
	check(!ret, "second VM: created the same way", &e);
	if (ret) {
		free(vm);
		return;
	}
	snprintf(path, sizeof(path), "%s/state", dir);
	ret = snap_in_read_file(&in, path, &e);
	if (!ret)
		ret = vm_snapshot_load(vm, &in, dir, &e);
	check(!ret, "second VM: snapshot loaded", &e);
	check(!ret && !snap_unused(&in), "second VM: every section was used", NULL);
	snap_in_free(&in);
	if (ret) {
		vm_destroy(vm);
		free(vm);
		return;
	}
	check(*count_of(vm) == saved, "second VM: RAM holds the saved count", NULL);
	count_of(vm)[1] = saved + RUN_ROUNDS; /* stop mark */
	status = vm_run(vm, &e);
	if (status == VM_EXIT_DEBUG_BASE + 2)
		check(false, "second VM: the guest's IN was not completed before the save", NULL);
	else if (status == VM_EXIT_DEBUG_BASE + 3)
		check(false, "second VM: registers and memory disagree after restore", NULL);
	else
		check(status == VM_EXIT_DEBUG_BASE + 1,
		      "second VM: the guest counted on to the stop mark (debug-exit 1)",
		      status < 0 || status == VM_EXIT_CRASH || status == VM_EXIT_ERROR ? &e : NULL);
	printf("# saved at %llu, ended at %llu, exit status %d\n", (unsigned long long)saved,
	       (unsigned long long)*count_of(vm), status);
	check(*count_of(vm) >= saved + RUN_ROUNDS, "second VM: count went on from the saved one",
	      NULL);
	vm_destroy(vm);
	free(vm);
}

int main(int argc, char **argv)
{
	char tmpl[] = "/tmp/vfvm-snaptest.XXXXXX";
	const char *dir = argc > 2 ? argv[2] : NULL;
	uint64_t saved;

	if (argc < 2) {
		fprintf(stderr, "usage: %s COUNTER_BIN [DIR]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!dir && !(dir = mkdtemp(tmpl))) {
		perror("mkdtemp");
		return 1;
	}
	saved = save_phase(argv[1], dir);
	if (saved) {
		memory_file_checks(dir);
		restore_phase(argv[1], dir, saved);
	}
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
