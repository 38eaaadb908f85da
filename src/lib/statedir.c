// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "statedir.h"

#define STATEDIR_PATH_MAX 4096

/*
 * The directory fd is safe to trust: a directory, owned by us or root (root
 * may prepare it for a user), not writable by anyone else.
 */
static int check_dir(int fd, const char *path, struct errinfo *e)
{
	uid_t me = geteuid();
	struct stat st;

	if (fstat(fd, &st) < 0)
		return err_sys(e, errno, "cannot stat state directory %s", path);
	if (!S_ISDIR(st.st_mode))
		return err_set(e, ENOTDIR, "state directory %s is not a directory", path);
	if (st.st_uid != me && st.st_uid != 0) {
		err_set(e, EPERM,
			"state directory %s is owned by uid %u, not by root or uid %u; refusing "
			"to trust it",
			path, (unsigned int)st.st_uid, (unsigned int)me);
		err_hint(e,
			 "chown %u %s (and check who changed it), or name another with "
			 "--state-dir",
			 (unsigned int)me, path);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		err_set(e, EPERM,
			"state directory %s is writable by %s (mode %04o); refusing to trust it",
			path, st.st_mode & S_IWOTH ? "others" : "its group",
			(unsigned int)(st.st_mode & 07777));
		err_hint(e, "chmod 0700 %s", path);
		return -EPERM;
	}
	return 0;
}

/* fd of name in dirfd (AT_FDCWD: a path), never through a symlink in its last component. */
static int open_dir_nofollow(int dirfd, const char *name, const char *path, struct errinfo *e)
{
	struct stat st;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		return err_set(e, ENOENT, "state directory %s does not exist", path);
	if ((errno == ELOOP || errno == ENOTDIR) &&
	    !fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) && S_ISLNK(st.st_mode)) {
		err_set(e, ELOOP, "state directory %s is a symbolic link; refusing to follow it",
			path);
		err_hint(e,
			 "name the real directory (--state-dir $(readlink -f %s)) or replace "
			 "the link by a directory",
			 path);
		return -ELOOP;
	}
	return err_sys(e, errno, "cannot open state directory %s", path);
}

static int mkdir_p(char *path, struct errinfo *e)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		/* Parents are not ours (/var/lib): usual permissions. */
		if (mkdir(path, 0755) && errno != EEXIST) {
			err_sys(e, errno, "cannot create state directory %s", path);
			*p = '/';
			return -e->err;
		}
		*p = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST)
		return err_sys(e, errno, "cannot create state directory %s", path);
	return 0;
}

int statedir_open(const char *dir, bool create, struct errinfo *e)
{
	char path[STATEDIR_PATH_MAX];
	size_t len;
	int fd, ret;

	len = strlen(dir);
	if (!len)
		return err_set(e, EINVAL, "empty state directory path");
	if (len >= sizeof(path))
		return err_set(e, ENAMETOOLONG, "state directory path too long: %.200s", dir);
	memcpy(path, dir, len + 1);
	/* "dir/" would follow a symlink named dir despite O_NOFOLLOW. */
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	if (create) {
		ret = mkdir_p(path, e);
		if (ret) {
			err_hint(e, "use --state-dir (or VFCTL_STATE_DIR) to name a writable "
				    "directory");
			return ret;
		}
	}
	fd = open_dir_nofollow(AT_FDCWD, path, path, e);
	if (fd < 0)
		return fd;
	ret = check_dir(fd, path, e);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

int statedir_open_sub(int dfd, const char *path, const char *name, bool create, struct errinfo *e)
{
	char sub[STATEDIR_PATH_MAX];
	int fd, ret;

	snprintf(sub, sizeof(sub), "%s/%s", path, name);
	if (create && mkdirat(dfd, name, 0700) && errno != EEXIST)
		return err_sys(e, errno, "cannot create state directory %s", sub);
	fd = open_dir_nofollow(dfd, name, sub, e);
	if (fd < 0)
		return fd;
	ret = check_dir(fd, sub, e);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * A temp name nobody else holds: O_EXCL fails on any existing entry, a
 * symlink included, so what we open is a file we just created.  The pid
 * keeps concurrent writers (two vfctl applies) off each other's file; the
 * attempt number steps past leftovers of a crashed writer with our pid.
 */
static int create_tmp(int dfd, const char *path, const char *name, char *tmp, size_t size,
		      struct errinfo *e)
{
	for (int i = 0; i < 100; i++) {
		int fd;

		if (i)
			snprintf(tmp, size, "%s.tmp.%d.%d", name, (int)getpid(), i);
		else
			snprintf(tmp, size, "%s.tmp.%d", name, (int)getpid());
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return err_sys(e, errno, "cannot create %s/%s", path, tmp);
	}
	err_set(e, EEXIST, "cannot create a temporary file for %s/%s: 100 names taken", path, name);
	err_hint(e, "remove the %s.tmp.* files in %s", name, path);
	return -EEXIST;
}

int statedir_write(int dfd, const char *path, const char *name, const char *text, struct errinfo *e)
{
	char tmp[512];
	int fd, ret;

	if (strlen(name) > 256 || strchr(name, '/'))
		return err_set(e, EINVAL, "bad state file name \"%.64s\"", name);
	fd = create_tmp(dfd, path, name, tmp, sizeof(tmp), e);
	if (fd < 0)
		return fd;
	ret = write_all(fd, text, strlen(text));
	if (ret) {
		err_sys(e, -ret, "cannot write %s/%s", path, tmp);
		goto fail;
	}
	/* The data must be on disk before the rename makes it the file. */
	if (fsync(fd) < 0) {
		ret = err_sys(e, errno, "cannot fsync %s/%s", path, tmp);
		goto fail;
	}
	ret = close(fd);
	fd = -1;
	if (ret < 0) {
		ret = err_sys(e, errno, "cannot write %s/%s", path, tmp);
		goto fail;
	}
	/* rename() so a crash never leaves a half-written file. */
	if (renameat(dfd, tmp, dfd, name) < 0) {
		ret = err_sys(e, errno, "cannot rename %s/%s to %s", path, tmp, name);
		goto fail;
	}
	/* ... and the rename itself on disk; EINVAL: a filesystem that cannot. */
	if (fsync(dfd) < 0 && errno != EINVAL)
		return err_sys(e, errno, "cannot fsync state directory %s", path);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(dfd, tmp, 0);
	return ret;
}

int statedir_read(int dfd, const char *path, const char *name, char **text, struct errinfo *e)
{
	struct stat st;
	size_t len = 0;
	int fd, ret = 0;
	ssize_t n;

	*text = NULL;
	/* O_NONBLOCK: a FIFO in the file's place must not hang us before the check below. */
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return err_set(e, ENOENT, "%s/%s does not exist", path, name);
		if (errno == ELOOP) {
			err_set(e, ELOOP, "%s/%s is a symbolic link; refusing to follow it", path,
				name);
			err_hint(e,
				 "state files are written by vfctl and vfvm only; remove the link");
			return -ELOOP;
		}
		return err_sys(e, errno, "cannot open %s/%s", path, name);
	}
	if (fstat(fd, &st) < 0) {
		ret = err_sys(e, errno, "cannot stat %s/%s", path, name);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = err_set(e, EINVAL, "%s/%s is not a regular file", path, name);
		goto out;
	}
	if ((unsigned long long)st.st_size > STATEDIR_FILE_MAX) {
		ret = err_set(e, EFBIG, "%s/%s is too large (%lld bytes) for a state file", path,
			      name, (long long)st.st_size);
		goto out;
	}
	*text = malloc((size_t)st.st_size + 1);
	if (!*text) {
		ret = err_set(e, ENOMEM, "out of memory reading %s/%s", path, name);
		goto out;
	}
	while (len < (size_t)st.st_size) {
		n = read(fd, *text + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = err_sys(e, errno, "cannot read %s/%s", path, name);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	(*text)[len] = '\0';
out:
	close(fd);
	if (ret) {
		free(*text);
		*text = NULL;
	}
	return ret;
}

int statedir_remove(int dfd, const char *name)
{
	if (unlinkat(dfd, name, 0) == 0) {
		fsync(dfd);
		return 1;
	}
	return errno == ENOENT ? 0 : -errno;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

int statedir_list(int dfd, const char *path, bool (*keep)(const char *name), size_t width,
		  void **names, int *n, struct errinfo *e)
{
	char *out = NULL, *tmp;
	struct dirent *de;
	int cap = 0;
	DIR *d;

	*names = NULL;
	*n = 0;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return err_sys(e, errno, "cannot list %s", path);
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (len >= width || !keep(de->d_name))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			tmp = realloc(out, (size_t)cap * width);
			if (!tmp) {
				free(out);
				closedir(d);
				return err_set(e, ENOMEM, "out of memory listing %s", path);
			}
			out = tmp;
		}
		memcpy(out + (size_t)(*n)++ * width, de->d_name, len + 1);
	}
	closedir(d);
	if (*n)
		qsort(out, (size_t)*n, width, cmp_names);
	*names = out;
	return 0;
}
