// SPDX-License-Identifier: GPL-2.0-only
/*
 * Keeps vfctl's recording netlink fake (VFCTL_FAKE_NETLINK, format in
 * sriov/vflink.h) in step with SR-IOV changes, as the kernel does: when a
 * PF's VFs are created or destroyed, its IFLA_NUM_VF follows and the VFs
 * start again from default settings.  Locked like the fake itself (flock on
 * the state file), so vfctl processes never see half a table.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "simsysfs.h"

/* "pf <if> ..." or "vf <if> ..." for this interface. */
static bool line_is_for(const char *line, const char *ifname)
{
	size_t n = strlen(ifname);

	if (strncmp(line, "pf ", 3) && strncmp(line, "vf ", 3))
		return false;
	return !strncmp(line + 3, ifname, n) && (line[3 + n] == ' ' || line[3 + n] == '\n');
}

int nlfake_sync(const struct sim *s, const struct simdev *pf)
{
	char *old = NULL, *out = NULL, *line, *save;
	size_t len = 0, cap = 0;
	FILE *mem;
	int fd, ret = 0;
	ssize_t n;

	if (!s->nlstate || !pf->net[0])
		return 0;
	fd = open(s->nlstate, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX) < 0) {
		ret = -errno;
		goto out;
	}
	mem = open_memstream(&old, &len);
	if (!mem) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		char buf[4096];

		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		fwrite(buf, 1, n, mem);
	}
	fclose(mem);
	mem = open_memstream(&out, &cap);
	if (!mem) {
		ret = -errno;
		goto out;
	}
	for (line = strtok_r(old, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char tmp[512];

		snprintf(tmp, sizeof(tmp), "%s\n", line);
		/* "fail" lines and other PFs stay; this PF's table starts afresh. */
		if (!line_is_for(tmp, pf->net))
			fprintf(mem, "%s", tmp);
	}
	fprintf(mem, "pf %s numvfs %d\n", pf->net, pf->numvfs);
	fclose(mem);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, out, strlen(out), 0) < 0)
		ret = -errno;
out:
	free(old);
	free(out);
	close(fd);
	return ret;
}
