// SPDX-License-Identifier: GPL-2.0-only
/*
 * The source side of a live migration (`vfvm ctl PATH migrate URI`).
 *
 * On the I/O thread (the control API's hooks): the device set is checked
 * (a passed-through device that is not a failover primary blocks it); each
 * plugged failover primary is unplugged and the guest's let-go awaited
 * (UNPLUG_TIMEOUT_MS); then the migration thread starts.
 *
 * The migration thread connects, sends the "config" container (how the
 * destination makes the VM, as --restore does) and runs the pre-copy of
 * src/vmm/migrate_send.c while the guest runs: passes, stop rule,
 * throttling.  When the rest fits the downtime budget it hands over to the
 * I/O thread, which does the stop-and-copy with nothing else moving: vCPUs
 * paused, device models quiet, last dirty pages, the state container, and
 * the destination's word that it has loaded everything.  Then the source
 * stops (exit status 0).  A failure or a cancel anywhere leaves the source
 * running as before: tracking and throttling off, the VM resumed, the
 * primaries plugged back.
 *
 * With --postcopy, a pre-copy that does not converge switches instead: the
 * I/O thread pauses the VM, sends the list of pages the destination lacks
 * and the state, and the thread serves those pages (requested ones first)
 * while the VM runs at the destination.  A failure the destination
 * certainly did not run the VM through (its stream ended without RUNNING)
 * leaves the source running as above; any other - it runs the VM, or it
 * cannot be known - leaves the VM's newest memory there only: the source
 * stays paused for good ("lost", resume refused) and says so in
 * migration-failed.
 */
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "dirty_log.h"
#include "migrate_postcopy.h"
#include "migrate_ram.h"
#include "migrate_uri.h"
#include "sandbox.h"
#include "snap_stream.h"
#include "throttle.h"
#include "virtio_pci.h"
#include "vfvm.h"
#include "vm.h"

#define UNPLUG_TIMEOUT_MS 30000
#define ACK_TIMEOUT_MS 60000
/* the longest wait for the destination to take what is in flight before the pause */
#define DRAIN_MAX_MS 10000

enum mig_state { MIG_NONE, MIG_UNPLUGGING, MIG_ACTIVE, MIG_COMPLETED, MIG_FAILED, MIG_CANCELLED };

static const char *const state_names[] = {
	[MIG_NONE] = "none",	 [MIG_UNPLUGGING] = "unplugging",
	[MIG_ACTIVE] = "active", [MIG_COMPLETED] = "completed",
	[MIG_FAILED] = "failed", [MIG_CANCELLED] = "cancelled",
};

struct vfvm_migration {
	struct vfvm_devices *x;
	/* the state and what the thread and the I/O thread share */
	pthread_mutex_t lock;
	enum mig_state state;
	struct migrate_progress prog;
	bool prog_new; /* a pass ended: the subscribers hear of it */
	bool thread_done;
	int thread_ret;
	struct errinfo thread_err;
	int fd; /* the connection, -1 before and after */
	int cancel; /* read by the engine between records */

	char uri[API_PATH_MAX];
	unsigned int downtime_ms, bandwidth_mbs;
	bool local; /* upgrade: the memfd goes over the socket, RAM is not copied */
	bool postcopy; /* asked for: may switch to post-copy */
	bool switch_pc; /* the pre-copy ended asking for post-copy (set by the thread) */
	bool pc_phase; /* switched: the thread serves pages, cancel is refused */
	bool lost; /* post-copy failed after the destination ran the VM */
	uint64_t t_pause, t_running;
	char error[sizeof(((struct errinfo *)0)->msg) + sizeof(((struct errinfo *)0)->hint) + 8];
	int efd; /* thread -> I/O thread */
	int tfd; /* the deadline of the unplug wait */
	pthread_t thread;
	bool thread_on;
	bool was_paused; /* by the user, before the final phase */
	bool unplugged[VFVM_MAX_FAILOVER]; /* pairs this migration unplugged */
	struct dirty_log dlog;
	struct migrate_send send;
	struct snap_out config;
	uint64_t t_start, total_ms, downtime_ms_measured;
};

static uint64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static void wake(struct vfvm_migration *m)
{
	uint64_t one = 1;

	(void)!write(m->efd, &one, sizeof(one));
}

/* Migration thread: after each pass (copy, do not block). */
static void on_progress(void *opaque, const struct migrate_progress *p)
{
	struct vfvm_migration *m = opaque;

	pthread_mutex_lock(&m->lock);
	m->prog = *p;
	m->prog_new = true;
	pthread_mutex_unlock(&m->lock);
	wake(m);
}

static int on_throttle(void *opaque, unsigned int pct, struct errinfo *e)
{
	struct vfvm_migration *m = opaque;
	int ret = vm_throttle_set(m->x->vm, pct);

	return ret < 0 ? err_set(e, -ret, "migrate: throttling the vCPUs to %u%%", pct) : 0;
}

static void *migration_thread(void *arg)
{
	struct vfvm_migration *m = arg;
	struct vm *vm = m->x->vm;
	struct errinfo e = {0};
	struct migrate_send_cfg cfg;
	int fd, ret;

	pthread_setname_np(pthread_self(), "migrate");
	ret = sandbox_enter_role(vm->sandbox, SANDBOX_MIGRATE, &e);
	fd = ret ? -1 : migrate_uri_connect(m->uri, &e);
	ret = fd < 0 ? (ret ? ret : fd) : 0;
	if (!ret) {
		pthread_mutex_lock(&m->lock);
		m->fd = fd;
		/* a cancel that came while connecting */
		if (__atomic_load_n(&m->cancel, __ATOMIC_ACQUIRE))
			shutdown(fd, SHUT_RDWR);
		pthread_mutex_unlock(&m->lock);
		ret = migrate_send_blob(fd, m->config.buf, m->config.len, &e);
	}
	if (!ret && m->local) {
		/* both vfvm map the same pages from here: nothing to copy or track */
		ret = vfvm_memfd_send(fd, vm->mem.memfd, &e);
		goto done;
	}
	if (!ret) {
		/* the ring when the VM was made with one: KVM_GET_DIRTY_LOG fails then */
		dirty_log_init(&m->dlog, vm->kvm_fd, vm->vm_fd, &vm->mem);
		cfg = (struct migrate_send_cfg){
			.fd = fd,
			.mem = &vm->mem,
			.dirty = vm->dirty_ring.entries ? dirty_ring_source(vm)
							: dirty_log_source(&m->dlog),
			.downtime_ms = m->downtime_ms,
			.bandwidth_limit = (uint64_t)m->bandwidth_mbs * 1000000,
			.cancel = &m->cancel,
			.progress = on_progress,
			.throttle = on_throttle,
			.postcopy = m->postcopy,
			.opaque = m,
		};
		ret = migrate_ram_send_begin(&m->send, &cfg, &e);
	}
	if (!ret)
		ret = migrate_ram_send_iterate(&m->send, &e);
	if (ret == MIGRATE_SWITCH_POSTCOPY) {
		m->switch_pc = true; /* read by the I/O thread after the join */
		ret = 0;
	}
	/*
	 * Converged (or switching to post-copy): let the destination take what
	 * is in flight before the pause, or placing it would count as
	 * downtime.  What the guest dirties meanwhile goes in the final pass.
	 */
	if (!ret && migrate_uri_drain(fd, DRAIN_MAX_MS, &m->cancel))
		vlog_report(&vm->log, VLOG_INFO,
			    "migrate: the destination still had data in flight after %d ms",
			    DRAIN_MAX_MS);
done:
	pthread_mutex_lock(&m->lock);
	m->thread_done = true;
	m->thread_ret = ret;
	m->thread_err = e;
	pthread_mutex_unlock(&m->lock);
	wake(m);
	return NULL;
}

/* Plug back the primaries this migration took out (failure, cancel). */
static void replug(struct vfvm_migration *m)
{
	struct vfvm_devices *x = m->x;

	for (int i = 0; i < x->nr_pairs; i++) {
		struct errinfo e = {0};

		if (!m->unplugged[i])
			continue;
		m->unplugged[i] = false;
		if (x->pairs[i].state == FO_UNPLUGGING) {
			/* the guest has not let go yet: it keeps the VF */
			continue;
		}
		if (vfvm_failover_move(x, x->pairs[i].net_id, true, &e) < 0)
			vlog_report(&x->vm->log, VLOG_ERR, "migrate: %s", e.msg);
	}
}

/* The end of a migration that did not complete: the source runs on as before. */
static void end_failed(struct vfvm_migration *m, enum mig_state st, const struct errinfo *e)
{
	struct timespec off = {0};

	timerfd_settime(m->tfd, 0, &(struct itimerspec){.it_value = off}, NULL);
	migrate_ram_send_end(&m->send);
	pthread_mutex_lock(&m->lock);
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	m->state = st;
	pthread_mutex_unlock(&m->lock);
	snap_out_free(&m->config);
	replug(m);
	m->total_ms = now_ms() - m->t_start;
	if (st == MIG_CANCELLED) {
		snprintf(m->error, sizeof(m->error), "cancelled");
		vm_event(m->x->vm, "migration-cancelled", NULL, m->uri);
		return;
	}
	snprintf(m->error, sizeof(m->error), "%s%s%s", e->msg, e->hint[0] ? " (" : "", e->hint);
	if (e->hint[0])
		strncat(m->error, ")", sizeof(m->error) - strlen(m->error) - 1);
	vlog_report(&m->x->vm->log, VLOG_ERR, "migration to %s failed: %s; the VM runs on here",
		    m->uri, m->error);
	vm_event(m->x->vm, "migration-failed", NULL, m->error);
}

/* The destination's word that the VM is whole there (vfvm_incoming_finish()). */
static int wait_ack(int fd, const char *uri, struct errinfo *e)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char ack[sizeof(VFVM_MIGRATE_ACK) - 1];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(ack)) {
		int r = poll(&p, 1, ACK_TIMEOUT_MS);

		if (r == 0)
			return err_set(e, ETIMEDOUT,
				       "migrate: %s did not confirm the hand-over within %d s", uri,
				       ACK_TIMEOUT_MS / 1000);
		if (r < 0 && errno == EINTR)
			continue;
		n = read(fd, ack + got, sizeof(ack) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(e, errno, "migrate: reading the answer of %s", uri);
		if (n == 0)
			return err_set(e, EPIPE,
				       "migrate: %s closed the connection before taking the VM "
				       "(its vfvm says why)",
				       uri);
		got += (size_t)n;
	}
	if (memcmp(ack, VFVM_MIGRATE_ACK, sizeof(ack)))
		return err_set(e, EBADMSG, "migrate: %s answered something else than '%s'", uri,
			       VFVM_MIGRATE_ACK);
	return 0;
}

/* Post-copy: serve the pages the destination lacks until it has them all. */
static void *postcopy_thread(void *arg)
{
	struct vfvm_migration *m = arg;
	struct errinfo e = {0};
	int ret;

	pthread_setname_np(pthread_self(), "postcopy");
	ret = sandbox_enter_role(m->x->vm->sandbox, SANDBOX_MIGRATE, &e);
	if (!ret)
		ret = migrate_postcopy_serve(&m->send, &e);
	pthread_mutex_lock(&m->lock);
	m->thread_done = true;
	m->thread_ret = ret;
	m->thread_err = e;
	pthread_mutex_unlock(&m->lock);
	wake(m);
	return NULL;
}

/* I/O thread, VM paused, state sent: the switch is made, the thread takes over. */
static int start_postcopy(struct vfvm_migration *m, struct errinfo *e)
{
	char detail[API_PATH_MAX + 96];
	int ret;

	pthread_mutex_lock(&m->lock);
	m->prog = m->send.prog;
	m->prog_new = false;
	m->thread_done = false;
	m->pc_phase = true;
	pthread_mutex_unlock(&m->lock);
	ret = pthread_create(&m->thread, NULL, postcopy_thread, m);
	if (ret) {
		m->pc_phase = false;
		return err_sys(e, ret, "migrate: starting the post-copy thread");
	}
	m->thread_on = true;
	snprintf(detail, sizeof(detail), "to %s: after %u passes, %llu pages follow on demand",
		 m->uri, m->send.prog.pass, (unsigned long long)m->send.pc_discarded);
	vlog_report(&m->x->vm->log, VLOG_INFO, "migration switched to post-copy %s", detail);
	vm_event(m->x->vm, "migration-postcopy", NULL, detail);
	return 0;
}

/* Migration state and connection after a post-copy that is over, either way. */
static void postcopy_close(struct vfvm_migration *m, enum mig_state st)
{
	migrate_ram_send_end(&m->send);
	pthread_mutex_lock(&m->lock);
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	m->state = st;
	pthread_mutex_unlock(&m->lock);
	snap_out_free(&m->config);
	m->total_ms = now_ms() - m->t_start;
}

/* I/O thread: the post-copy thread ended. */
static void postcopy_end(struct vfvm_migration *m, int ret, const struct errinfo *e)
{
	struct vm *vm = m->x->vm;
	char detail[API_PATH_MAX + sizeof(m->error) + 256];

	pthread_mutex_lock(&m->lock);
	m->prog = m->send.prog;
	m->prog_new = false;
	pthread_mutex_unlock(&m->lock);
	if (ret && m->send.pc_never_ran) {
		/* the destination certainly never ran the VM: it is whole here still */
		m->pc_phase = false;
		if (!m->was_paused)
			vm_resume(vm);
		end_failed(m, MIG_FAILED, e);
		return;
	}
	if (!m->t_running)
		m->t_running = now_ms();
	m->downtime_ms_measured = m->t_running - m->t_pause;
	if (ret) {
		m->lost = true;
		postcopy_close(m, MIG_FAILED);
		snprintf(m->error, sizeof(m->error), "%s%s%s%s", e->msg, e->hint[0] ? " (" : "",
			 e->hint, e->hint[0] ? ")" : "");
		snprintf(detail, sizeof(detail),
			 "post-copy to %s failed after the VM %s there, %llu pages short: %s; "
			 "the VM cannot run here (its newest memory went there) and stays paused",
			 m->uri, m->prog.dest_running ? "started" : "may have started",
			 (unsigned long long)m->prog.pages_left, m->error);
		vlog_report(&vm->log, VLOG_ERR, "%s", detail);
		vm_event(vm, "migration-failed", NULL, detail);
		return;
	}
	postcopy_close(m, MIG_COMPLETED);
	snprintf(detail, sizeof(detail),
		 "to %s: %llu ms in all, %llu ms paused until the VM ran there, %u passes, then "
		 "post-copy of %llu pages (%llu requests served), %llu MiB sent",
		 m->uri, (unsigned long long)m->total_ms,
		 (unsigned long long)m->downtime_ms_measured, m->prog.pass,
		 (unsigned long long)m->send.pc_discarded, (unsigned long long)m->prog.requests,
		 (unsigned long long)(m->prog.bytes_sent >> 20));
	vlog_report(&vm->log, VLOG_INFO, "migrated %s", detail);
	vm_event(vm, "migration-completed", NULL, detail);
	vm_request_exit(vm, VM_EXIT_POWEROFF, "migrated");
}

/* " (N ring-full exits)" with the ring, "" without, into @buf. */
static const char *ring_full_note(struct vm *vm, char *buf, size_t size)
{
	if (!vm->dirty_ring.entries)
		return "";
	snprintf(buf, size, " (%llu ring-full exits)",
		 (unsigned long long)__atomic_load_n(&vm->dirty_ring.full_exits, __ATOMIC_RELAXED));
	return buf;
}

/*
 * Stop-and-copy, on the I/O thread: with the vCPUs paused and the I/O
 * thread here, no device model writes guest memory or changes its state.
 */
static void final_phase(struct vfvm_migration *m)
{
	struct vm *vm = m->x->vm;
	struct errinfo e = {0};
	struct snap_out o;
	uint64_t t_pause, t[4], sent_before;
	char detail[API_PATH_MAX + 256], note[48];
	int ret;

	m->was_paused = vm_paused(vm);
	t_pause = now_ms();
	ret = vm_pause(vm);
	t[0] = now_ms();
	if (ret == -ETIMEDOUT) {
		err_set(&e, ETIMEDOUT, "migrate: a vCPU did not stop within a second");
	} else if (ret < 0) {
		err_set(&e, -ret, "migrate: the VM is stopping");
		ret = -ECANCELED;
	}
	/*
	 * Device work under way on other threads (a virtio-blk request) writes
	 * guest memory: finished before the last dirty set is taken.
	 */
	if (!ret)
		virtio_quiesce_all(&vm->pci);
	sent_before = m->send.prog.pages_sent + m->send.prog.zero_pages;
	m->t_pause = t_pause;
	if (!ret && m->switch_pc)
		ret = migrate_postcopy_switch(&m->send, &e);
	else if (!ret && !m->local)
		ret = migrate_ram_send_final(&m->send, &e);
	t[1] = now_ms();
	snap_out_init(&o);
	if (!ret)
		ret = vfvm_put_state(m->x, &o, NULL, &e);
	if (!ret)
		ret = migrate_send_blob(m->fd, o.buf, o.len, &e);
	snap_out_free(&o);
	t[2] = now_ms();
	if (!ret && m->switch_pc)
		ret = start_postcopy(m, &e);
	if (!ret && m->switch_pc)
		return; /* the thread serves the pages; postcopy_end() ends it */
	if (!ret)
		ret = wait_ack(m->fd, m->uri, &e);
	t[3] = now_ms();
	if (ret) {
		if (!m->was_paused && ret != -ECANCELED)
			vm_resume(vm);
		end_failed(m, MIG_FAILED, &e);
		return;
	}
	m->downtime_ms_measured = t[3] - t_pause;
	pthread_mutex_lock(&m->lock);
	m->prog = m->send.prog;
	m->prog_new = false; /* the final pass's report: the completion says it */
	m->state = MIG_COMPLETED;
	close(m->fd);
	m->fd = -1;
	pthread_mutex_unlock(&m->lock);
	migrate_ram_send_end(&m->send);
	snap_out_free(&m->config);
	m->total_ms = now_ms() - m->t_start;
	/* where the pause went: stopping, the last pages, the state, the destination's load */
	snprintf(detail, sizeof(detail),
		 "to %s: %llu ms in all, %llu ms paused (stop %llu, last %llu pages %llu, state "
		 "%llu, destination %llu), %u passes, %llu MiB sent%s%s%s",
		 m->uri, (unsigned long long)m->total_ms,
		 (unsigned long long)m->downtime_ms_measured, (unsigned long long)(t[0] - t_pause),
		 (unsigned long long)(m->prog.pages_sent + m->prog.zero_pages - sent_before),
		 (unsigned long long)(t[1] - t[0]), (unsigned long long)(t[2] - t[1]),
		 (unsigned long long)(t[3] - t[2]), m->prog.pass,
		 (unsigned long long)(m->prog.bytes_sent >> 20),
		 m->local ? " (guest RAM handed over, not copied)" : ", dirty tracker ",
		 m->local ? "" : dirty_ring_tracker(vm),
		 m->local ? "" : ring_full_note(vm, note, sizeof(note)));
	vlog_report(&vm->log, VLOG_INFO, "migrated %s", detail);
	vm_event(vm, "migration-completed", NULL, detail);
	vm_request_exit(vm, VM_EXIT_POWEROFF, "migrated");
}

static void progress_event(struct vfvm_migration *m, const struct migrate_progress *p)
{
	char detail[320], note[48];

	if (p->postcopy) {
		if (p->dest_running && !m->t_running)
			m->t_running = now_ms();
		snprintf(detail, sizeof(detail),
			 "post-copy: %llu pages left, %llu requests served, %llu pages sent, "
			 "destination %s",
			 (unsigned long long)p->pages_left, (unsigned long long)p->requests,
			 (unsigned long long)(p->pages_sent + p->zero_pages),
			 p->dest_running ? "running" : "loading");
		vm_event(m->x->vm, "migration-progress", NULL, detail);
		return;
	}

	snprintf(detail, sizeof(detail),
		 "pass %u: %llu pages sent, %llu zero, %llu dirty, dirty rate %llu KB/s, "
		 "bandwidth %llu KB/s, estimated downtime %llu ms, throttle %u%%, dirty tracker "
		 "%s%s",
		 p->pass, (unsigned long long)p->pages_sent, (unsigned long long)p->zero_pages,
		 (unsigned long long)p->dirty_pages, (unsigned long long)(p->dirty_rate / 1000),
		 (unsigned long long)(p->bandwidth / 1000), (unsigned long long)p->est_downtime_ms,
		 p->throttle_pct, dirty_ring_tracker(m->x->vm),
		 ring_full_note(m->x->vm, note, sizeof(note)));
	vm_event(m->x->vm, "migration-progress", NULL, detail);
}

/* I/O thread: a pass ended, or the thread did. */
static void on_wake(int fd, uint32_t events, void *opaque)
{
	struct vfvm_migration *m = opaque;
	struct migrate_progress p;
	struct errinfo e;
	bool prog, done;
	uint64_t n;
	int ret;

	(void)events;
	(void)!read(fd, &n, sizeof(n));
	pthread_mutex_lock(&m->lock);
	prog = m->prog_new;
	m->prog_new = false;
	p = m->prog;
	done = m->thread_done;
	ret = m->thread_ret;
	e = m->thread_err;
	pthread_mutex_unlock(&m->lock);
	if (prog)
		progress_event(m, &p);
	if (!done || !m->thread_on)
		return;
	pthread_join(m->thread, NULL);
	m->thread_on = false;
	if (m->pc_phase)
		postcopy_end(m, ret, &e);
	else if (__atomic_load_n(&m->cancel, __ATOMIC_ACQUIRE))
		end_failed(m, MIG_CANCELLED, &e);
	else if (ret)
		end_failed(m, MIG_FAILED, &e);
	else
		final_phase(m);
}

static int start_thread(struct vfvm_migration *m, struct errinfo *e)
{
	int ret;

	snap_out_init(&m->config);
	vfvm_put_config(m->x, &m->config);
	if (m->local) {
		/* the destination takes RAM's memfd instead of a RAM stream */
		snap_begin(&m->config, VFVM_HANDOVER_SECTION, 1);
		snap_put_u8(&m->config, 1);
		snap_end(&m->config);
	}
	ret = snap_out_finish(&m->config, e);
	if (ret)
		return ret;
	pthread_mutex_lock(&m->lock);
	m->state = MIG_ACTIVE;
	pthread_mutex_unlock(&m->lock);
	ret = pthread_create(&m->thread, NULL, migration_thread, m);
	if (ret)
		return err_sys(e, ret, "migrate: starting its thread");
	m->thread_on = true;
	return 0;
}

/* Whether every primary this migration unplugged has left the guest. */
static bool all_unplugged(struct vfvm_migration *m)
{
	for (int i = 0; i < m->x->nr_pairs; i++)
		if (m->unplugged[i] && m->x->pairs[i].state != FO_UNPLUGGED)
			return false;
	return true;
}

void vfvm_migrate_unplugged(struct vfvm_devices *x)
{
	struct vfvm_migration *m = x->mig;
	struct errinfo e = {0};

	if (!m || m->state != MIG_UNPLUGGING || !all_unplugged(m))
		return;
	timerfd_settime(m->tfd, 0, &(struct itimerspec){0}, NULL);
	if (start_thread(m, &e) < 0)
		end_failed(m, MIG_FAILED, &e);
}

/* The guest kept a primary past UNPLUG_TIMEOUT_MS. */
static void on_unplug_timeout(int fd, uint32_t events, void *opaque)
{
	struct vfvm_migration *m = opaque;
	struct errinfo e = {0};
	uint64_t n;

	(void)events;
	(void)!read(fd, &n, sizeof(n));
	if (m->state != MIG_UNPLUGGING)
		return;
	for (int i = 0; i < m->x->nr_pairs; i++)
		if (m->unplugged[i] && m->x->pairs[i].state != FO_UNPLUGGED) {
			err_set(&e, ETIMEDOUT,
				"migrate: the guest did not let go of failover primary %s (of %s) "
				"within %d s",
				m->x->pairs[i].vf_id, m->x->pairs[i].net_id,
				UNPLUG_TIMEOUT_MS / 1000);
			break;
		}
	end_failed(m, MIG_FAILED, &e);
}

/* vm_at_destroy(): the VM is going (the I/O thread has stopped). */
static void migration_free(void *opaque)
{
	struct vfvm_migration *m = opaque;

	if (m->thread_on) {
		__atomic_store_n(&m->cancel, 1, __ATOMIC_RELEASE);
		pthread_mutex_lock(&m->lock);
		if (m->fd >= 0)
			shutdown(m->fd, SHUT_RDWR);
		pthread_mutex_unlock(&m->lock);
		pthread_join(m->thread, NULL);
	}
	migrate_ram_send_end(&m->send);
	if (m->fd >= 0)
		close(m->fd);
	snap_out_free(&m->config);
	close(m->efd);
	close(m->tfd);
	pthread_mutex_destroy(&m->lock);
	m->x->mig = NULL;
	free(m);
}

static struct vfvm_migration *migration_get(struct vfvm_devices *x, struct errinfo *e)
{
	struct vfvm_migration *m = x->mig;

	if (m)
		return m;
	m = calloc(1, sizeof(*m));
	if (!m) {
		err_set(e, ENOMEM, "migrate: out of memory");
		return NULL;
	}
	m->x = x;
	m->fd = -1;
	pthread_mutex_init(&m->lock, NULL);
	m->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	m->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (m->efd < 0 || m->tfd < 0) {
		err_sys(e, errno, "migrate: eventfd/timerfd");
		goto fail;
	}
	if (vm_io_add(x->vm, m->efd, EPOLLIN, on_wake, m, e) < 0)
		goto fail;
	if (vm_io_add(x->vm, m->tfd, EPOLLIN, on_unplug_timeout, m, e) < 0) {
		vm_io_del(x->vm, m->efd);
		goto fail;
	}
	if (vm_at_destroy(x->vm, migration_free, m, e) < 0) {
		vm_io_del(x->vm, m->efd);
		vm_io_del(x->vm, m->tfd);
		goto fail;
	}
	x->mig = m;
	return m;
fail:
	if (m->efd >= 0)
		close(m->efd);
	if (m->tfd >= 0)
		close(m->tfd);
	pthread_mutex_destroy(&m->lock);
	free(m);
	return NULL;
}

static bool under_way(const struct vfvm_migration *m)
{
	return m && (m->state == MIG_UNPLUGGING || m->state == MIG_ACTIVE);
}

static int hook_migrate(void *opaque, const char *uri, unsigned int downtime_ms,
			unsigned int bandwidth_mbs, bool local, bool postcopy, struct errinfo *e)
{
	struct vfvm_devices *x = opaque;
	struct vfvm_migration *m = x->mig;
	int ret, waiting = 0;

	if (under_way(m))
		return err_set(e, EBUSY, "migrate: a migration to %s is under way", m->uri);
	if (m && m->lost)
		return err_set(e, EBUSY,
			       "migrate: this VM went to %s in a post-copy that failed; "
			       "it cannot run or migrate from here",
			       m->uri);
	if (postcopy && local)
		return err_set(e, EINVAL,
			       "upgrade: post-copy has no use, guest RAM is handed over");
	if (postcopy && (x->vm->mem.hugetlb || x->vm->mem.memfd < 0))
		return err_set(e, ENOTSUP,
			       "migrate --postcopy: guest RAM on huge pages (--hugetlb) is not "
			       "supported; migrate without --postcopy (auto-converge)");
	ret = migrate_uri_check(uri, e);
	if (ret < 0) {
		err_prefix(e, "migrate");
		return ret;
	}
	/* failover primaries go out of the guest first; anything else passed through blocks */
	ret = vfvm_check_saveable(x, local ? "upgrade" : "migrate", true, e);
	if (ret < 0)
		return ret;
	m = migration_get(x, e);
	if (!m)
		return -e->err;
	snprintf(m->uri, sizeof(m->uri), "%s", uri);
	m->downtime_ms = downtime_ms;
	m->bandwidth_mbs = bandwidth_mbs;
	m->local = local;
	m->postcopy = postcopy;
	m->switch_pc = m->pc_phase = false;
	m->t_pause = m->t_running = 0;
	m->error[0] = '\0';
	m->cancel = 0;
	m->thread_done = false;
	m->prog_new = false;
	memset(&m->prog, 0, sizeof(m->prog));
	memset(&m->send, 0, sizeof(m->send));
	memset(m->unplugged, 0, sizeof(m->unplugged));
	m->total_ms = m->downtime_ms_measured = 0;
	m->t_start = now_ms();
	for (int i = 0; i < x->nr_pairs; i++) {
		if (!x->pairs[i].claim || x->pairs[i].state != FO_PLUGGED)
			continue;
		ret = vfvm_failover_move(x, x->pairs[i].net_id, false, e);
		if (ret < 0) {
			err_prefix(e, "migrate: unplugging the failover primary of %s",
				   x->pairs[i].net_id);
			replug(m);
			return ret;
		}
		m->unplugged[i] = true;
		waiting++;
	}
	if (waiting) {
		struct itimerspec t = {.it_value = {.tv_sec = UNPLUG_TIMEOUT_MS / 1000}};

		m->state = MIG_UNPLUGGING;
		timerfd_settime(m->tfd, 0, &t, NULL);
		return 0;
	}
	ret = start_thread(m, e);
	if (ret < 0) {
		snap_out_free(&m->config);
		m->state = MIG_FAILED;
	}
	return ret;
}

static void hook_status(void *opaque, struct json_object *o)
{
	struct vfvm_devices *x = opaque;
	struct vfvm_migration *m = x->mig;
	struct migrate_progress p;
	enum mig_state st;

	/* the VM's, fixed when it was made: said before any migration too */
	json_object_object_add(o, "dirty_tracker",
			       json_object_new_string(dirty_ring_tracker(x->vm)));
	if (x->vm->dirty_ring.entries)
		json_object_object_add(o, "dirty_ring_full_exits",
				       json_object_new_int64((int64_t)__atomic_load_n(
					       &x->vm->dirty_ring.full_exits, __ATOMIC_RELAXED)));
	if (!m) {
		json_object_object_add(o, "state", json_object_new_string("none"));
		return;
	}
	pthread_mutex_lock(&m->lock);
	st = m->state;
	p = m->prog;
	pthread_mutex_unlock(&m->lock);
	json_object_object_add(o, "state", json_object_new_string(state_names[st]));
	json_object_object_add(o, "uri", json_object_new_string(m->uri));
	json_object_object_add(o, "pass", json_object_new_int((int)p.pass));
	json_object_object_add(o, "pages_sent", json_object_new_int64((int64_t)p.pages_sent));
	json_object_object_add(o, "zero_pages", json_object_new_int64((int64_t)p.zero_pages));
	/* during a pass, what the thread has sent so far (progress comes per pass) */
	if (st == MIG_ACTIVE && m->thread_on)
		p.bytes_sent = __atomic_load_n(&m->send.live_bytes, __ATOMIC_RELAXED);
	json_object_object_add(o, "bytes_sent", json_object_new_int64((int64_t)p.bytes_sent));
	json_object_object_add(o, "dirty_pages", json_object_new_int64((int64_t)p.dirty_pages));
	json_object_object_add(o, "dirty_rate", json_object_new_int64((int64_t)p.dirty_rate));
	json_object_object_add(o, "bandwidth", json_object_new_int64((int64_t)p.bandwidth));
	json_object_object_add(o, "est_downtime_ms",
			       json_object_new_int64((int64_t)p.est_downtime_ms));
	json_object_object_add(o, "throttle", json_object_new_int((int)p.throttle_pct));
	json_object_object_add(o, "postcopy", json_object_new_boolean(m->postcopy));
	json_object_object_add(o, "phase",
			       json_object_new_string(p.postcopy ? "postcopy" : "precopy"));
	if (p.postcopy) {
		json_object_object_add(o, "requests", json_object_new_int64((int64_t)p.requests));
		json_object_object_add(o, "pages_left",
				       json_object_new_int64((int64_t)p.pages_left));
		json_object_object_add(o, "destination_running",
				       json_object_new_boolean(p.dest_running));
	}
	if (m->lost)
		json_object_object_add(o, "lost", json_object_new_boolean(true));
	json_object_object_add(o, "elapsed_ms",
			       json_object_new_int64((int64_t)(under_way(m) ? now_ms() - m->t_start
									    : m->total_ms)));
	if (st == MIG_COMPLETED)
		json_object_object_add(o, "downtime_ms",
				       json_object_new_int64((int64_t)m->downtime_ms_measured));
	if (m->error[0])
		json_object_object_add(o, "error", json_object_new_string(m->error));
}

static int hook_cancel(void *opaque, struct errinfo *e)
{
	struct vfvm_devices *x = opaque;
	struct vfvm_migration *m = x->mig;

	if (!under_way(m))
		return err_set(e, ENOENT, "migrate-cancel: no migration is under way");
	if (m->pc_phase)
		return err_set(e, EBUSY,
			       "migrate-cancel: the migration switched to post-copy; it cannot be "
			       "cancelled (the VM runs or is about to run at %s)",
			       m->uri);
	__atomic_store_n(&m->cancel, 1, __ATOMIC_RELEASE);
	if (m->state == MIG_UNPLUGGING) {
		end_failed(m, MIG_CANCELLED, e);
		return 0;
	}
	/* a thread blocked on a full socket wakes up too */
	pthread_mutex_lock(&m->lock);
	if (m->fd >= 0)
		shutdown(m->fd, SHUT_RDWR);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

static const char *hook_busy(void *opaque)
{
	struct vfvm_devices *x = opaque;

	if (x->mig && x->mig->lost)
		return "the VM went away in a post-copy migration that failed";
	if (x->mig && x->mig->pc_phase)
		return "a migration is under way in post-copy";
	return under_way(x->mig) ? "a migration is under way (vfvm ctl PATH migrate-cancel "
				   "stops it)"
				 : NULL;
}

static const char *hook_resume_refused(void *opaque)
{
	struct vfvm_devices *x = opaque;

	if (x->mig && x->mig->lost)
		return "the VM's newest memory went to the destination in a post-copy migration "
		       "that failed: it cannot run here";
	if (x->mig && x->mig->pc_phase)
		return "the migration switched to post-copy: the VM runs at the destination";
	return NULL;
}

void vfvm_migrate_hooks(struct vfvm_devices *x, struct api_hooks *h)
{
	(void)x;
	h->migrate = hook_migrate;
	h->migrate_status = hook_status;
	h->migrate_cancel = hook_cancel;
	h->busy = hook_busy;
	h->resume_refused = hook_resume_refused;
}
