// SPDX-License-Identifier: GPL-2.0-only
/* Posted-interrupt conditions: see posted.h. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "posted.h"

static int read_str(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return 0;
}

static int yes(const char *root, const char *rel)
{
	char path[512], buf[16];

	snprintf(path, sizeof(path), "%s%s", root, rel);
	if (read_str(path, buf, sizeof(buf)) < 0)
		return -1;
	return buf[0] == 'Y' || buf[0] == 'y' || buf[0] == '1';
}

void vfio_pi_host_read(const char *root, struct vfio_pi_host *h)
{
	char path[512], buf[64];
	struct dirent *de;
	DIR *d;

	h->ir_posting = -1;
	h->apicv = yes(root, "/sys/module/kvm_intel/parameters/enable_apicv");
	if (h->apicv < 0)
		h->apicv = yes(root, "/sys/module/kvm_amd/parameters/avic");
	snprintf(path, sizeof(path), "%s/sys/class/iommu", root);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		unsigned long long cap;

		if (strncmp(de->d_name, "dmar", 4))
			continue;
		snprintf(path, sizeof(path), "%s/sys/class/iommu/%s/intel-iommu/cap", root,
			 de->d_name);
		if (read_str(path, buf, sizeof(buf)) < 0)
			continue;
		cap = strtoull(buf, NULL, 16);
		/* VT-d capability register bit 59: posted interrupts */
		if (!(cap & (1ULL << 59))) {
			h->ir_posting = 0;
			break;
		}
		h->ir_posting = 1;
	}
	closedir(d);
}

bool vfio_pi_decode(uint64_t addr, uint32_t data, struct vfio_pi_msg *m)
{
	memset(m, 0, sizeof(m[0]));
	if ((addr & 0xfff00000ULL) != 0xfee00000ULL || (addr >> 32))
		return false;
	m->dest = (addr >> 12) & 0xff;
	m->logical = addr & (1u << 2);
	m->mode = (data >> 8) & 7;
	m->vector = data & 0xff;
	if (!m->logical)
		m->single_target = m->dest != 0xff; /* 0xff: physical broadcast */
	else
		m->single_target = m->dest && !(m->dest & (m->dest - 1)); /* flat: one bit */
	return true;
}
