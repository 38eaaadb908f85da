// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pci_sysfs.h"

int sysfs_path(char *buf, size_t size, const char *root, const char *fmt, ...)
{
	size_t len;
	va_list ap;
	int n;

	if (!root)
		root = "";
	len = strlen(root);
	/* A trailing slash on --sysfs-root would give "//sys"; harmless but ugly in messages. */
	while (len > 0 && root[len - 1] == '/')
		len--;
	if (len >= size)
		return -ENAMETOOLONG;
	memcpy(buf, root, len);
	va_start(ap, fmt);
	n = vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - len)
		return -ENAMETOOLONG;
	return 0;
}

int sysfs_dev_path(char *buf, size_t size, const char *root, const char *bdf, const char *attr)
{
	if (!attr || !*attr)
		return sysfs_path(buf, size, root, "/sys/bus/pci/devices/%s", bdf);
	return sysfs_path(buf, size, root, "/sys/bus/pci/devices/%s/%s", bdf, attr);
}

bool sysfs_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int sysfs_read_str(const char *path, char *buf, size_t size, struct errinfo *e)
{
	ssize_t n, total = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "cannot open %s", path);
	while ((size_t)total < size - 1) {
		n = read(fd, buf + total, size - 1 - total);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			close(fd);
			return err_sys(e, err, "cannot read %s", path);
		}
		if (n == 0)
			break;
		total += n;
	}
	close(fd);
	buf[total] = '\0';
	while (total > 0 && (buf[total - 1] == '\n' || buf[total - 1] == ' '))
		buf[--total] = '\0';
	return 0;
}

int sysfs_read_long(const char *path, long *val, struct errinfo *e)
{
	char buf[64], *end;
	long v;
	int ret;

	ret = sysfs_read_str(path, buf, sizeof(buf), e);
	if (ret)
		return ret;
	errno = 0;
	v = strtol(buf, &end, 0);
	if (errno || end == buf || *end)
		return err_set(e, EINVAL, "%s: expected a number, found \"%s\"", path, buf);
	*val = v;
	return 0;
}

int sysfs_write_str(const char *path, const char *val, struct errinfo *e)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd, err;

	/* O_TRUNC as a shell redirection does: ignored by sysfs, keeps plain-file trees tidy. */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "cannot open %s for writing", path);
	do {
		n = write(fd, val, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		err = errno;
		close(fd);
		return err_sys(e, err, "writing \"%s\" to %s", val, path);
	}
	if ((size_t)n != len) {
		close(fd);
		return err_set(e, EIO, "writing \"%s\" to %s: short write (%zd of %zu bytes)", val,
			       path, n, len);
	}
	if (close(fd) < 0)
		return err_sys(e, errno, "writing \"%s\" to %s (on close)", val, path);
	return 0;
}

int sysfs_link_base(const char *path, char *buf, size_t size, struct errinfo *e)
{
	char target[PATH_MAX];
	const char *base;
	ssize_t n;

	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return err_sys(e, errno, "cannot read link %s", path);
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= size)
		return err_set(e, ENAMETOOLONG, "link %s: target name too long", path);
	strcpy(buf, base);
	return 0;
}

int sysfs_dev_read_str(const char *root, const char *bdf, const char *attr, char *buf, size_t size,
		       struct errinfo *e)
{
	char path[SYSFS_PATH_MAX];

	if (sysfs_dev_path(path, sizeof(path), root, bdf, attr))
		return err_set(e, ENAMETOOLONG, "sysfs path for %s/%s too long", bdf, attr);
	return sysfs_read_str(path, buf, size, e);
}

int sysfs_dev_read_long(const char *root, const char *bdf, const char *attr, long *val,
			struct errinfo *e)
{
	char path[SYSFS_PATH_MAX];

	if (sysfs_dev_path(path, sizeof(path), root, bdf, attr))
		return err_set(e, ENAMETOOLONG, "sysfs path for %s/%s too long", bdf, attr);
	return sysfs_read_long(path, val, e);
}

int sysfs_dev_write_str(const char *root, const char *bdf, const char *attr, const char *val,
			struct errinfo *e)
{
	char path[SYSFS_PATH_MAX];

	if (sysfs_dev_path(path, sizeof(path), root, bdf, attr))
		return err_set(e, ENAMETOOLONG, "sysfs path for %s/%s too long", bdf, attr);
	return sysfs_write_str(path, val, e);
}

int sysfs_dev_link_base(const char *root, const char *bdf, const char *attr, char *buf, size_t size,
			struct errinfo *e)
{
	char path[SYSFS_PATH_MAX];

	if (sysfs_dev_path(path, sizeof(path), root, bdf, attr))
		return err_set(e, ENAMETOOLONG, "sysfs path for %s/%s too long", bdf, attr);
	return sysfs_link_base(path, buf, size, e);
}
