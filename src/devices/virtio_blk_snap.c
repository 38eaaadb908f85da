// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-blk's own saved state, after the transport's (virtio_snap.c):
 *   u64 capacity (sectors) | u8 read-only | id[VIRTIO_BLK_ID_BYTES]
 *
 * Requests are served synchronously on the device's thread under the
 * queue lock and the transport's save serves the queue once itself
 * first, so no request is half done at a save (virtio_snap.c); written
 * data is in the image (a guest that needs it durable sent FLUSH).
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "virtio_blk.h"

#define SECTOR 512u

void virtio_blk_save(struct virtio_pci *vp, struct snap_out *o)
{
	struct virtio_blk *b = vp->dev;

	snap_put_u64(o, b->capacity);
	snap_put_u8(o, b->readonly);
	snap_put(o, b->id, sizeof(b->id));
}

int virtio_blk_load(struct virtio_pci *vp, struct snap_sec *s, const char *what, struct errinfo *e)
{
	struct virtio_blk *b = vp->dev;
	struct virtio_blk_config cfg;
	uint64_t capacity = snap_get_u64(s);
	uint8_t readonly = snap_get_u8(s);
	char id[VIRTIO_BLK_ID_BYTES];

	snap_get(s, id, sizeof(id));
	if (s->bad)
		return snap_bad(s, what, e, "%s: virtio-blk state truncated", vp->pci.id);
	memcpy(&cfg, vp->devcfg, sizeof(cfg));
	if (le64toh(cfg.capacity) != capacity)
		return snap_bad(s, what, e,
				"%s: config space says %llu sectors, the device state %llu",
				vp->pci.id, (unsigned long long)le64toh(cfg.capacity),
				(unsigned long long)capacity);
	/* the rest of the config is this vfvm's constants: another value is not ours */
	if (le32toh(cfg.seg_max) != VIRTIO_BLK_SEG_MAX || le32toh(cfg.blk_size) != SECTOR)
		return snap_bad(s, what, e,
				"%s: config space seg_max %u / blk_size %u are not %u / %u",
				vp->pci.id, le32toh(cfg.seg_max), le32toh(cfg.blk_size),
				VIRTIO_BLK_SEG_MAX, SECTOR);
	if (capacity > b->capacity) {
		snap_bad(s, what, e,
			 "%s: disk %s is %llu bytes, smaller than the %llu bytes the guest had",
			 vp->pci.id, b->path, (unsigned long long)b->capacity * SECTOR,
			 (unsigned long long)capacity * SECTOR);
		err_hint(e, "restore with the disk image the VM was using (or a copy of it)");
		return -EBADMSG;
	}
	if (!readonly != !b->readonly)
		return snap_bad(s, what, e, "%s: disk %s was %s when saved, is %s here", vp->pci.id,
				b->path, readonly ? "read-only" : "writable",
				b->readonly ? "read-only" : "writable");
	/* the guest keeps the size and serial it knows; a larger image is used at that size */
	b->capacity = capacity;
	memcpy(b->id, id, sizeof(id));
	return 0;
}
