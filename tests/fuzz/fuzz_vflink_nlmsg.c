// SPDX-License-Identifier: GPL-2.0-only
/*
 * The rtnetlink reply parsers of vfctl (sriov/vflink_nlmsg.c) on any
 * message a kernel - or a driver filling IFLA_VF_* attributes - could send:
 * RTM_NEWLINK with its VF list, and NLMSG_ERROR with extended-ack TLVs.
 * The message is handed over as libnl's receive path does, with nlmsg_len
 * the length actually received.  A parsed VF table is sorted by VF index,
 * the VF count is -1 (absent) or a count, an error is a positive errno,
 * and the extended-ack text is a terminated string.
 */
#include <linux/netlink.h>
#include <string.h>

#include "fuzz.h"
#include "vflink_nlmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vf_link_info *vfs = NULL;
	struct errinfo e = {0};
	struct nlmsghdr *h;
	char ext[256];
	int num, n = 0, err;

	if (size < NLMSG_HDRLEN || size > 64 * 1024)
		return 0;
	h = malloc(size); /* malloc's alignment is netlink's; exactly size bytes for ASan */
	if (!h)
		abort();
	memcpy(h, data, size);
	h->nlmsg_len = (uint32_t)size;
	if (vflink_nlmsg_parse_link(h, &num, &vfs, &n, &e) == 0) {
		FUZZ_CHECK(num >= -1 && n >= 0 && (n == 0) == (vfs == NULL));
		for (int i = 1; i < n; i++)
			FUZZ_CHECK(vfs[i - 1].vf <= vfs[i].vf);
		free(vfs);
	}
	memset(ext, 'x', sizeof(ext));
	if (vflink_nlmsg_parse_error(h, &err, ext, sizeof(ext)) == 0)
		FUZZ_CHECK(err >= 0 && memchr(ext, '\0', sizeof(ext)));
	free(h);
	return 0;
}
