// SPDX-License-Identifier: GPL-2.0-only
/*
 * virtio-net's own saved state, after the transport's (virtio_snap.c):
 *   mac[6] | u32 rx_pending | rx_pending bytes | u64 rx_dropped |
 *   u64 tx_dropped | u8 failover | failover: u8 state | u8 queued |
 *   queued x u8 event
 *
 * Config space (MAC, link status) is the transport's device config bytes;
 * the tap's offloads follow the negotiated features and are set again by
 * ops->start on load, as at the driver's DRIVER_OK.  There is no control
 * queue, so no receive mode or filter state.  In flight outside guest
 * memory: a frame read from the tap that found no receive buffers waits in
 * rx_buf - saved with its bytes, delivered after the restore.  Transmit
 * needs nothing: a frame goes to the tap in the request that carries it,
 * and requests a coalescing timer holds back are still in the ring.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_config.h>

#include "mac.h"
#include "virtio_net.h"

void virtio_net_save(struct virtio_pci *vp, struct snap_out *o)
{
	struct virtio_net *n = vp->dev;

	snap_put(o, n->mac, 6);
	pthread_mutex_lock(&vp->q[0].lock);
	snap_put_u32(o, (uint32_t)n->rx_pending);
	snap_put(o, n->rx_buf, n->rx_pending);
	pthread_mutex_unlock(&vp->q[0].lock);
	snap_put_u64(o, n->rx_dropped);
	snap_put_u64(o, n->tx_dropped);
	snap_put_u8(o, n->failover);
	if (!n->failover)
		return;
	pthread_mutex_lock(&n->fo_lock);
	snap_put_u8(o, (uint8_t)n->fo.state);
	snap_put_u8(o, (uint8_t)n->fo.q_len);
	for (unsigned int i = 0; i < n->fo.q_len; i++)
		snap_put_u8(o, (uint8_t)n->fo.queue[(n->fo.q_head + i) % NET_FAILOVER_QUEUE]);
	pthread_mutex_unlock(&n->fo_lock);
}

static int load_failover(struct virtio_net *n, struct snap_sec *s, const char *what,
			 struct errinfo *e)
{
	uint8_t state = snap_get_u8(s), queued = snap_get_u8(s);
	enum net_failover_event ev[NET_FAILOVER_QUEUE];
	uint64_t one = 1;

	if (s->bad)
		return snap_bad(s, what, e, "%s: failover state truncated", n->vp.pci.id);
	if (state > NET_FAILOVER_PRIMARY_UNPLUGGED || queued > NET_FAILOVER_QUEUE)
		return snap_bad(s, what, e,
				"%s: failover state %u with %u queued events is not one",
				n->vp.pci.id, state, queued);
	/* past UNNEGOTIATED only when the driver accepted STANDBY */
	if (state != NET_FAILOVER_UNNEGOTIATED &&
	    !(virtio_pci_has_feature(&n->vp, VIRTIO_NET_F_STANDBY) &&
	      (n->vp.status & VIRTIO_CONFIG_S_FEATURES_OK)))
		return snap_bad(s, what, e, "%s: failover %s but the driver did not accept STANDBY",
				n->vp.pci.id,
				net_failover_state_name((enum net_failover_state)state));
	for (unsigned int i = 0; i < queued; i++) {
		uint8_t v = snap_get_u8(s);

		if (s->bad || v < NET_FAILOVER_EV_ACKED || v > NET_FAILOVER_EV_RESET)
			return snap_bad(s, what, e, "%s: queued failover event %u is not one",
					n->vp.pci.id, i);
		ev[i] = (enum net_failover_event)v;
	}
	pthread_mutex_lock(&n->fo_lock);
	net_failover_init(&n->fo);
	/*
	 * No primary exists in the restored VM (a VF cannot be snapshotted):
	 * a plugged one counts as taken away, which the owner may plug again.
	 */
	n->fo.state = state == NET_FAILOVER_PRIMARY_PLUGGED ? NET_FAILOVER_PRIMARY_UNPLUGGED
							    : (enum net_failover_state)state;
	for (unsigned int i = 0; i < queued; i++)
		n->fo.queue[i] = ev[i];
	n->fo.q_len = queued;
	pthread_mutex_unlock(&n->fo_lock);
	/* events the owner had not been told yet: the I/O thread delivers them */
	if (queued && n->fo_efd >= 0)
		(void)!write(n->fo_efd, &one, sizeof(one));
	return 0;
}

int virtio_net_load(struct virtio_pci *vp, struct snap_sec *s, const char *what, struct errinfo *e)
{
	struct virtio_net *n = vp->dev;
	uint8_t mac[6], failover;
	uint32_t rx_pending;
	struct virtio_net_config cfg;
	char m1[MAC_STR_LEN], m2[MAC_STR_LEN];

	snap_get(s, mac, 6);
	rx_pending = snap_get_u32(s);
	if (s->bad)
		return snap_bad(s, what, e, "%s: virtio-net state truncated", vp->pci.id);
	memcpy(&cfg, vp->devcfg, sizeof(cfg));
	if (memcmp(mac, n->mac, 6) || memcmp(cfg.mac, n->mac, 6))
		return snap_bad(s, what, e, "%s: MAC %s in the snapshot, %s here (give mac=%s)",
				vp->pci.id, mac_str(cfg.mac, m1), mac_str(n->mac, m2), m1);
	if (rx_pending > sizeof(n->rx_buf) || (rx_pending && rx_pending < VIRTIO_NET_HDR_LEN) ||
	    rx_pending > snap_left(s))
		return snap_bad(s, what, e, "%s: pending receive frame of %u bytes is not one",
				vp->pci.id, rx_pending);
	pthread_mutex_lock(&vp->q[0].lock);
	snap_get(s, n->rx_buf, rx_pending);
	n->rx_pending = rx_pending;
	pthread_mutex_unlock(&vp->q[0].lock);
	n->rx_dropped = snap_get_u64(s);
	n->tx_dropped = snap_get_u64(s);
	failover = snap_get_u8(s);
	if (s->bad)
		return snap_bad(s, what, e, "%s: virtio-net state truncated", vp->pci.id);
	if (failover != n->failover)
		return snap_bad(s, what, e, "%s: failover=%s when saved, failover=%s here",
				vp->pci.id, failover ? "on" : "off", n->failover ? "on" : "off");
	return failover ? load_failover(n, s, what, e) : 0;
}
