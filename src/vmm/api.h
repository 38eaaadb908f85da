/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control API server (docs/api.md): a Unix stream socket served on the
 * VM's I/O thread; JSON lines as api_proto.h encodes them.
 */
#ifndef VMM_API_H
#define VMM_API_H

#include <stdbool.h>
#include <stdint.h>

#include "api_proto.h"
#include "errinfo.h"

struct vm;
struct pci_dev;
struct json_object;

/*
 * What the front end does for the verbs that create devices or know how
 * they pair (the API server, in src/vmm, cannot reach vfio/ or the device
 * models).  Called on the I/O thread.  Any hook may be NULL: its verbs
 * then answer that this VM cannot do it.
 */
struct api_hooks {
	void *opaque;
	/*
	 * add-device: create the device @spec describes and plug it into the
	 * running VM (vm_pci_plug()); @id gets its id.  0 or -errno with @e.
	 */
	int (*add_device)(void *opaque, enum api_dev_kind kind, const char *spec,
			  char id[API_DEV_ID_MAX], struct errinfo *e);
	/*
	 * failover-unplug (@plug false) / failover-replug of the VF primary
	 * paired with the virtio-net @net_id.  Unplug only asks the guest; the
	 * front end sends "failover-unplugged" (id = @net_id) once the guest
	 * has let go, which is what the API waits for.
	 */
	int (*failover)(void *opaque, const char *net_id, bool plug, struct errinfo *e);
	/*
	 * snapshot: write the paused VM's state into directory @dir (the
	 * server paused the vCPUs; the I/O thread is the caller, so no device
	 * work runs meanwhile).  @bytes gets the guest-RAM bytes written.
	 */
	int (*snapshot)(void *opaque, const char *dir, uint64_t *bytes, struct errinfo *e);
	/*
	 * migrate: start sending the VM to @uri (tcp:HOST:PORT, unix:PATH) with
	 * a downtime budget (ms, 0: the default) and a bandwidth limit (10^6
	 * bytes/s, 0: none).  Returns once the migration runs (on a thread of
	 * its own); its progress and end are events.  0 or -errno with @e.
	 * @local (upgrade): a vfvm on this host takes guest RAM's memfd over
	 * the Unix socket @uri, nothing of RAM is copied.  @postcopy: switch
	 * to post-copy when the pre-copy does not converge.
	 */
	int (*migrate)(void *opaque, const char *uri, unsigned int downtime_ms,
		       unsigned int bandwidth_mbs, bool local, bool postcopy, struct errinfo *e);
	/* migrate-status: the last migration's state and figures, as members of @o. */
	void (*migrate_status)(void *opaque, struct json_object *o);
	/* migrate-cancel: ask the migration under way to stop; -ENOENT: none. */
	int (*migrate_cancel)(void *opaque, struct errinfo *e);
	/*
	 * Why the device set cannot change now (a migration under way), or
	 * NULL: add-device, remove-device, failover-* and snapshot are refused
	 * with it.
	 */
	const char *(*busy)(void *opaque);
	/* Why resume must not let the vCPUs go (post-copy), or NULL. */
	const char *(*resume_refused)(void *opaque);
	/* Extra members of a device in info (failover state, DMA statistics). */
	void (*describe)(void *opaque, struct pci_dev *d, struct json_object *o);
};

/* Most clients connected at once; more are answered with an error and closed. */
#define API_MAX_CLIENTS 64

/*
 * Create the socket at @path (mode 0600; a stale socket is replaced, any
 * other file refused) and serve it on @vm's I/O thread until vm_destroy(),
 * which sends the "shutdown" event, closes every client and removes the
 * socket.  The server takes vm->event_cb: vm_event() reaches subscribers.
 * @hooks is copied; NULL: no hooks.
 */
int api_server_start(struct vm *vm, const char *path, const struct api_hooks *hooks,
		     struct errinfo *e);

#endif
