// SPDX-License-Identifier: GPL-2.0-only
/*
 * The destination side of a live migration (`vfvm run --incoming URI`).
 *
 * The stream, as the source sends it (migrate_out.c), is untrusted input:
 *   1. a BLOB record with the "config" container: memory, vCPUs, options
 *      and every emulated device's SPEC.  The VM is made from it exactly as
 *      --restore makes it from DIR/state (--net id=..,tap=.. and --disk
 *      id=..,path=.. change a device; --device VF,failover=NET gives this
 *      host's VF for a failover pair);
 *   2. guest RAM (src/vmm/migrate_ram.h), straight into the new VM's RAM;
 *   3. a BLOB with the state container (vCPUs, VM, devices), loaded;
 *   4. the answer VFVM_MIGRATE_ACK: the source may stop now.
 * Or, when the source switched to post-copy (src/vmm/migrate_postcopy.h),
 * 2 ends with the list of pages still missing, and after 3 the VM runs
 * while a fault thread brings them in; the source stops on PC_DONE, and
 * this host's failover VFs are plugged only then (VFIO pins guest RAM,
 * which must be whole first).  A post-copy that fails once the VM runs
 * here ends this vfvm with exit status 1: the missing pages are gone.
 * Anything malformed is refused with exit status 1 and a message naming
 * the record or section; the source, without its answer, runs on.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "migrate_postcopy.h"
#include "migrate_ram.h"
#include "migrate_uri.h"
#include "snap_stream.h"
#include "vfvm.h"
#include "vm.h"

int vfvm_incoming_open(const char *uri, struct vfvm_restore *rs, int *fd, struct errinfo *e)
{
	char peer[API_PATH_MAX + 16], what[API_PATH_MAX + 64];
	uint8_t *buf;
	size_t len;
	int lfd, cfd, ret;

	lfd = migrate_uri_listen(uri, e);
	if (lfd < 0)
		return lfd;
	fprintf(stderr, "vfvm: waiting for a migration on %s\n", uri);
	cfd = migrate_uri_accept(lfd, uri, peer, sizeof(peer), e);
	close(lfd);
	if (!strncmp(uri, "unix:", 5))
		unlink(uri + 5); /* one migration per listening socket */
	if (cfd < 0)
		return cfd;
	snprintf(what, sizeof(what), "migration from %s (config)", peer);
	ret = migrate_recv_blob(cfd, SNAP_STATE_MAX, &buf, &len, e);
	if (!ret)
		ret = vfvm_restore_parse(rs, buf, len, what, e);
	/* an upgrade: RAM's memfd, not a RAM stream */
	if (!ret && snap_find(rs->in, VFVM_HANDOVER_SECTION)) {
		if (strncmp(uri, "unix:", 5))
			ret = err_set(e, EPROTO,
				      "%s: an upgrade (RAM handed over) comes over unix:", what);
		else
			ret = rs->mem_fd = vfvm_memfd_recv(cfd, e);
		if (ret > 0)
			ret = 0;
	}
	if (ret < 0) {
		err_prefix(e, "--incoming %s", uri);
		close(cfd);
		return ret;
	}
	fprintf(stderr, "vfvm: migration from %s: %llu MiB, %u vCPUs, %d devices\n", peer,
		(unsigned long long)(rs->mem_size >> 20), rs->nr_cpus, rs->nr_devs);
	*fd = cfd;
	return 0;
}

struct vfvm_postcopy_in {
	struct migrate_pc_dest pc;
	struct vfvm_devices *x;
	int efd; /* fault thread -> I/O thread: it ended */
	bool registered; /* efd on the I/O thread, pc_in_free at destroy */
};

/* Fault thread: the VM cannot go on (a page will never come); stop it first. */
static void pc_in_fail(void *opaque, const struct errinfo *e)
{
	struct vfvm_postcopy_in *p = opaque;
	char why[sizeof(e->msg) + 64];

	snprintf(why, sizeof(why), "post-copy migration failed: %s", e->msg);
	fprintf(stderr, "vfvm: %s; the VM cannot go on without the pages still at the source\n",
		e->msg);
	vm_request_exit(p->x->vm, VM_EXIT_ERROR, why);
}

static void pc_in_done(void *opaque, int ret)
{
	struct vfvm_postcopy_in *p = opaque;
	uint64_t one = 1;

	(void)ret;
	(void)!write(p->efd, &one, sizeof(one));
}

static void pc_in_free(void *opaque)
{
	struct vfvm_postcopy_in *p = opaque;

	migrate_pc_dest_finish(&p->pc, NULL);
	if (p->efd >= 0)
		close(p->efd);
	if (p->x->pc_in == p)
		p->x->pc_in = NULL;
	free(p);
}

/* I/O thread: the fault thread ended; every page is here, or the VM stops. */
static void pc_in_ended(int fd, uint32_t events, void *opaque)
{
	struct vfvm_postcopy_in *p = opaque;
	struct vfvm_devices *x = p->x;
	struct errinfo e = {0};
	char detail[160];
	uint64_t n;

	(void)events;
	(void)!read(fd, &n, sizeof(n));
	if (!__atomic_load_n(&p->pc.done, __ATOMIC_ACQUIRE))
		return;
	vm_io_del(x->vm, fd);
	if (migrate_pc_dest_finish(&p->pc, &e) < 0)
		return; /* pc_in_fail() asked the VM to stop */
	snprintf(detail, sizeof(detail), "%llu pages after the switch, %llu requested",
		 (unsigned long long)p->pc.arrived, (unsigned long long)p->pc.requests);
	fprintf(stderr, "vfvm: post-copy done: %s\n", detail);
	vm_event(x->vm, "migration-postcopy-done", NULL, detail);
	/* guest RAM is whole: VFIO may pin it now */
	if (vfvm_failover_restored(x, &e) < 0)
		vlog_report(&x->vm->log, VLOG_ERR, "%s", e.msg);
}

static struct vfvm_postcopy_in *pc_in_new(struct vfvm_devices *x, int fd, struct errinfo *e)
{
	struct vfvm_postcopy_in *p = calloc(1, sizeof(*p));

	if (!p) {
		err_set(e, ENOMEM, "post-copy: out of memory");
		return NULL;
	}
	p->x = x;
	p->efd = -1;
	if (migrate_pc_dest_init(&p->pc, fd, &x->vm->mem, e) < 0 ||
	    vm_at_destroy(x->vm, pc_in_free, p, e) < 0) {
		migrate_pc_dest_finish(&p->pc, NULL);
		free(p);
		return NULL;
	}
	x->pc_in = p;
	p->pc.sandbox = x->vm->sandbox;
	p->pc.on_fail = pc_in_fail;
	p->pc.on_done = pc_in_done;
	p->pc.opaque = p;
	return p;
}

/* After the state blob: the fault thread runs before anything touches guest RAM. */
static int pc_in_start(struct vfvm_postcopy_in *p, struct errinfo *e)
{
	p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->efd < 0)
		return err_sys(e, errno, "post-copy: eventfd");
	if (vm_io_add(p->x->vm, p->efd, EPOLLIN, pc_in_ended, p, e) < 0)
		return -e->err;
	return migrate_pc_dest_start(&p->pc, e);
}

int vfvm_incoming_finish(struct vfvm_devices *x, struct vfvm_restore *rs, int fd, struct errinfo *e)
{
	struct migrate_recv_stats st = {0};
	struct vfvm_postcopy_in *p = NULL;
	uint8_t *buf;
	size_t len;
	int ret = 0;

	/* after an upgrade the VM maps the source's RAM already */
	if (rs->mem_fd < 0) {
		p = pc_in_new(x, fd, e);
		ret = p ? migrate_ram_recv_pc(fd, &x->vm->mem, &st, &p->pc, e) : -e->err;
	}
	if (!ret)
		ret = migrate_recv_blob(fd, SNAP_STATE_MAX, &buf, &len, e);
	if (p && !st.postcopy) {
		/* a plain pre-copy: the socket is the caller's alone */
		close(p->pc.fd);
		p->pc.fd = -1;
	}
	/* from here on the fault thread alone reads the socket */
	if (!ret && st.postcopy)
		ret = pc_in_start(p, e);
	if (!ret)
		ret = vfvm_restore_set_state(rs, buf, len, "migration (state)", e);
	if (!ret)
		ret = vfvm_restore_state(x, rs, e);
	if (!ret && st.postcopy) {
		/* the failover VFs wait for the last page (pc_in_ended) */
		ret = migrate_pc_dest_running(&p->pc, e);
	} else if (!ret) {
		ret = vfvm_failover_restored(x, e);
		if (!ret && send(fd, VFVM_MIGRATE_ACK, strlen(VFVM_MIGRATE_ACK), MSG_NOSIGNAL) !=
				    (ssize_t)strlen(VFVM_MIGRATE_ACK))
			ret = err_sys(e, errno, "--incoming: telling the source the VM is here");
	}
	if (ret < 0) {
		err_prefix(e, "--incoming");
		return ret;
	}
	if (st.postcopy) {
		fprintf(stderr,
			"vfvm: migration received: %u passes, %llu pages (%llu zero), %llu MiB; "
			"switched to post-copy, %llu pages to come; running\n",
			st.passes, (unsigned long long)st.pages, (unsigned long long)st.zero_pages,
			(unsigned long long)(st.bytes >> 20), (unsigned long long)st.discarded);
		return 0;
	}
	fprintf(stderr,
		"vfvm: migration received: %u passes, %llu pages (%llu zero), %llu MiB; "
		"running\n",
		st.passes, (unsigned long long)st.pages, (unsigned long long)st.zero_pages,
		(unsigned long long)(st.bytes >> 20));
	return 0;
}
