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
 * Anything malformed is refused with exit status 1 and a message naming
 * the record or section; the source, without its answer, runs on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

int vfvm_incoming_finish(struct vfvm_devices *x, struct vfvm_restore *rs, int fd, struct errinfo *e)
{
	struct migrate_recv_stats st = {0};
	uint8_t *buf;
	size_t len;
	int ret;

	/* after an upgrade the VM maps the source's RAM already */
	if (rs->mem_fd < 0)
		ret = migrate_ram_recv(fd, &x->vm->mem, &st, e);
	else
		ret = 0;
	if (!ret)
		ret = migrate_recv_blob(fd, SNAP_STATE_MAX, &buf, &len, e);
	if (!ret)
		ret = vfvm_restore_set_state(rs, buf, len, "migration (state)", e);
	if (!ret)
		ret = vfvm_restore_state(x, rs, e);
	if (!ret)
		ret = vfvm_failover_restored(x, e);
	if (!ret && send(fd, VFVM_MIGRATE_ACK, strlen(VFVM_MIGRATE_ACK), MSG_NOSIGNAL) !=
			    (ssize_t)strlen(VFVM_MIGRATE_ACK))
		ret = err_sys(e, errno, "--incoming: telling the source the VM is here");
	if (ret < 0) {
		err_prefix(e, "--incoming");
		return ret;
	}
	fprintf(stderr,
		"vfvm: migration received: %u passes, %llu pages (%llu zero), %llu MiB; "
		"running\n",
		st.passes, (unsigned long long)st.pages, (unsigned long long)st.zero_pages,
		(unsigned long long)(st.bytes >> 20));
	return 0;
}
