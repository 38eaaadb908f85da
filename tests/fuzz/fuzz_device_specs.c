// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device SPECs users type (vfvm run --device/--net/--disk, the control
 * API's add-device), each parser on every input: vfio/spec.c,
 * virtio_net_parse_spec(), virtio_blk_parse_spec(), the device id rule
 * (src/devices/dev_id.c), api_spec_kind(), and the pieces they are made of
 * (PCI addresses, MACs, CPU lists).  The front ends in tools/vfvm hand
 * optarg to these same functions.  What a parser accepts must be what the
 * rest of the VMM relies on: canonical addresses, valid ids, a kind that
 * agrees with the parser that took the SPEC.
 */
#include <string.h>

#include "api_proto.h"
#include "dev_id.h"
#include "fuzz.h"
#include "mac.h"
#include "pci_addr.h"
#include "spec.h"
#include "virtio_blk.h"
#include "virtio_net.h"
#include "vm.h"

static bool id_ok(const char *id)
{
	return !id[0] || dev_id_valid(id, strlen(id));
}

static void vfio_spec(const char *s)
{
	struct vfio_pci_spec sp;
	struct errinfo e = {0};
	char canon[BDF_LEN];
	struct bdf a;

	if (vfio_pci_spec_parse(s, &sp, &e) < 0)
		return;
	FUZZ_CHECK(bdf_parse(sp.bdf, &a, canon, &e) == 0 && !strcmp(canon, sp.bdf));
	FUZZ_CHECK(id_ok(sp.id) && id_ok(sp.failover));
	FUZZ_CHECK(!sp.vf_token[0] || strlen(sp.vf_token) == 36);
	FUZZ_CHECK(sp.rom != VFIO_ROM_FILE || sp.rom_file[0]);
	FUZZ_CHECK(sp.clique >= -1 && sp.clique <= VFIO_SPEC_CLIQUE_MAX);
	FUZZ_CHECK(api_spec_kind(s) == API_DEV_VFIO);
}

static void net_spec(const char *s)
{
	struct virtio_net_spec sp;
	struct errinfo e = {0};

	if (virtio_net_parse_spec(s, &sp, &e) < 0)
		return;
	FUZZ_CHECK(sp.ifname[0] && memchr(sp.ifname, '\0', sizeof(sp.ifname)));
	FUZZ_CHECK(id_ok(sp.id));
	FUZZ_CHECK(!sp.failover || sp.have_mac);
	FUZZ_CHECK(sp.tx_coalesce_us <= VIRTIO_NET_TX_COALESCE_MAX_US);
	FUZZ_CHECK(api_spec_kind(s) == API_DEV_NET);
}

static void blk_spec(const char *s)
{
	struct virtio_blk_spec *sp = malloc(sizeof(*sp));
	struct errinfo e = {0};

	if (!sp)
		return;
	if (virtio_blk_parse_spec(s, sp, &e) == 0)
		FUZZ_CHECK(sp->path[0] && id_ok(sp->id));
	free(sp);
}

static void pieces(const char *s, const uint8_t *raw, size_t n)
{
	char id[PCI_DEV_ID_MAX], canon[BDF_LEN], str[MAC_STR_LEN];
	uint8_t mac[MAC_LEN], again[MAC_LEN];
	struct errinfo e = {0};
	int cpus[64], nr;
	struct bdf a;

	/* not NUL-terminated: the id rule takes a length */
	if (dev_id_parse("--fuzz", "spec", (const char *)raw, n, id, &e) == 0)
		FUZZ_CHECK(strlen(id) == n && dev_id_valid(id, n) && api_id_valid(id));
	else
		FUZZ_CHECK(!dev_id_valid((const char *)raw, n));
	if (bdf_parse(s, &a, canon, &e) == 0) {
		char twice[BDF_LEN];

		FUZZ_CHECK(bdf_parse(canon, &a, twice, &e) == 0 && !strcmp(canon, twice));
	}
	if (mac_parse(s, mac) == 0) {
		mac_str(mac, str);
		FUZZ_CHECK(mac_parse(str, again) == 0 && !memcmp(mac, again, MAC_LEN));
	}
	if (mac_parse_len((const char *)raw, n, mac) == 0) {
		mac_str(mac, str);
		FUZZ_CHECK(mac_parse(str, again) == 0 && !memcmp(mac, again, MAC_LEN));
	}
	nr = vm_parse_cpu_affinity(s, cpus, 64);
	FUZZ_CHECK(nr <= 64);
	for (int i = 0; i < nr; i++)
		FUZZ_CHECK(cpus[i] >= 0);
	(void)api_dev_kind_name(api_spec_kind(s));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	uint8_t *raw;

	if (size > 4096)
		return 0;
	s = fuzz_strndup(data, size);
	raw = malloc(size ? size : 1);
	if (s && raw) {
		memcpy(raw, data, size);
		vfio_spec(s);
		net_spec(s);
		blk_spec(s);
		pieces(s, raw, size);
	}
	free(raw);
	free(s);
	return 0;
}
