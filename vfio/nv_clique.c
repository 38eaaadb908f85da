// SPDX-License-Identifier: GPL-2.0-only
/* The NVIDIA GPUDirect P2P clique capability in a passed-through GPU's config space. */
#include <errno.h>
#include <string.h>

#include "nv_clique.h"

/* Bytes a capability covers from @off: known sizes, a vendor cap's length byte, else 8. */
static uint32_t cap_len(const struct vfio_cfg *c, uint32_t off)
{
	switch (c->shadow[off]) {
	case PCI_CAP_ID_PM:
		return PCI_PM_SIZEOF;
	case PCI_CAP_ID_MSI:
		return 24; /* 64-bit address and per-vector masking: the largest form */
	case PCI_CAP_ID_MSIX:
		return PCI_CAP_MSIX_SIZEOF;
	case PCI_CAP_ID_EXP:
		return PCI_CAP_EXP_ENDPOINT_SIZEOF_V2;
	case PCI_CAP_ID_VNDR:
		return c->shadow[off + 2] >= 3 ? c->shadow[off + 2] : 3;
	}
	return 8;
}

/* Whether [pos, pos + 8) is free of every capability in the guest's chain. */
static bool place_free(const struct vfio_cfg *c, uint32_t pos)
{
	uint8_t seen[256] = {0};
	uint32_t off = c->shadow[PCI_CAPABILITY_LIST] & 0xfc;

	while (off >= 0x40 && off <= 0xfc && !seen[off]) {
		uint32_t end = off + cap_len(c, off);

		seen[off] = 1;
		if (off < pos + VFIO_NV_CLIQUE_LEN && pos < end)
			return false;
		off = c->shadow[off + 1] & 0xfc;
	}
	return true;
}

int vfio_nv_clique_add(struct vfio_cfg *c, const char *bdf, int clique, struct errinfo *e)
{
	static const uint32_t places[] = {0xc8, 0xd4};
	uint16_t vendor = (uint16_t)(c->shadow[PCI_VENDOR_ID] | c->shadow[PCI_VENDOR_ID + 1] << 8);
	uint8_t base_class = c->shadow[PCI_CLASS_DEVICE + 1];
	uint32_t pos = 0;

	if (clique < 0 || clique > 15)
		return err_set(e, EINVAL, "%s: gpudirect-clique %d is out of range 0-15", bdf,
			       clique);
	if (vendor != VFIO_NV_VENDOR) {
		err_set(e, EINVAL,
			"%s: gpudirect-clique is for NVIDIA GPUs (vendor 0x%04x); this device's "
			"vendor is 0x%04x",
			bdf, VFIO_NV_VENDOR, vendor);
		err_hint(e, "drop gpudirect-clique=N from this --device");
		return -EINVAL;
	}
	if (base_class != VFIO_CLASS_DISPLAY) {
		err_set(e, EINVAL,
			"%s: gpudirect-clique is for GPUs (class 0x03); this NVIDIA function's "
			"class is 0x%02x",
			bdf, base_class);
		err_hint(e, "drop gpudirect-clique=N from this --device");
		return -EINVAL;
	}
	if (!(c->shadow[PCI_STATUS] & PCI_STATUS_CAP_LIST))
		return err_set(e, EINVAL, "%s: gpudirect-clique: the device has no capability list",
			       bdf);
	for (unsigned int i = 0; i < sizeof(places) / sizeof(places[0]) && !pos; i++)
		if (place_free(c, places[i]))
			pos = places[i];
	if (!pos) {
		err_set(e, EINVAL,
			"%s: gpudirect-clique: config space 0xc8 and 0xd4 are both taken by the "
			"device's capabilities",
			bdf);
		err_hint(e, "the NVIDIA driver looks for the capability there only");
		return -EINVAL;
	}
	{
		uint8_t cap[VFIO_NV_CLIQUE_LEN] = {
			PCI_CAP_ID_VNDR,
			c->shadow[PCI_CAPABILITY_LIST],
			VFIO_NV_CLIQUE_LEN,
			'P',
			'2',
			'P',
			(uint8_t)(clique << 3),
			0,
		};

		/* read-only and served from the shadow: the device never sees these bytes */
		memcpy(c->shadow + pos, cap, sizeof(cap));
		memset(c->emul + pos, 1, sizeof(cap));
		memset(c->wmask + pos, 0, sizeof(cap));
		c->shadow[PCI_CAPABILITY_LIST] = (uint8_t)pos;
	}
	return (int)pos;
}
