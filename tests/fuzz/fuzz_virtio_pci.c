// SPDX-License-Identifier: GPL-2.0-only
/*
 * The virtio PCI transport (src/devices/virtio_pci.c) as a hostile driver
 * drives it: any sequence of reads and writes of any size into BAR 0 -
 * common configuration (status machine, feature words, queue setup and
 * enable in any order), ISR, device configuration, notifications, the
 * MSI-X table and PBA - on a virtio-net whose guest RAM is the fuzzer's.
 * A reset (status 0 written) must read back as 0.
 *
 * Input: the number of register accesses, the accesses (kind, offset,
 * value), then guest RAM from address 0.
 */
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_virtio.h"
#include "virtio_net.h"

static const uint8_t mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};

static void no_signal(struct virtio_pci *vp, uint16_t vector)
{
	(void)vp;
	(void)vector;
}

struct access {
	uint8_t kind; /* bit 0 write, bits 1-2 size */
	uint16_t off;
	uint64_t val;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	unsigned int nr = fuzz_u8(&in);
	struct access *ops = calloc(nr ? nr : 1, sizeof(*ops));
	struct virtio_net *n = calloc(1, sizeof(*n));
	struct errinfo e = {0};
	struct fv f;
	int sv[2];

	if (!ops || !n || fv_setup(&f) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0 ||
	    virtio_net_init_fd(n, NULL, &f.mem, sv[0], false, mac, &e) < 0)
		abort();
	n->vp.signal = no_signal;
	f.vp = &n->vp;
	for (unsigned int i = 0; i < nr; i++) {
		ops[i].kind = fuzz_u8(&in);
		ops[i].off = fuzz_u16(&in) % VPCI_BAR_SIZE;
		ops[i].val = fuzz_u64(&in);
	}
	fv_fill_ram(&f, &in);
	for (unsigned int i = 0; i < nr; i++) {
		uint32_t len = fuzz_access_len(ops[i].kind >> 1);

		if (ops[i].kind & 1)
			fv_write(&f, ops[i].off, ops[i].val, len);
		else
			(void)fv_read(&f, ops[i].off, len);
		if ((ops[i].kind & 1) && ops[i].off == FV_COMMON(device_status) && len == 1 &&
		    !(uint8_t)ops[i].val)
			FUZZ_CHECK(fv_read(&f, FV_COMMON(device_status), 1) == 0);
		/* whatever went to the "tap" */
		while (recv(sv[1], f.ram, 0, MSG_DONTWAIT | MSG_TRUNC) > 0)
			;
	}
	n->vp.ops->destroy(&n->vp); /* closes sv[0], frees n */
	close(sv[1]);
	free(ops);
	fv_teardown(&f);
	return 0;
}
