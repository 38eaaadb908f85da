// SPDX-License-Identifier: GPL-2.0-only
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bind.h"
#include "statedir.h"
#include "vm_record.h"

#define VM_RECORD_VERSION 1
#define PATH_LEN 4200

bool vm_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (!len || len >= VM_NAME_MAX || !isalnum((unsigned char)name[0]))
		return false;
	for (; *name; name++)
		if (!isalnum((unsigned char)*name) && !strchr("_.:@+-", *name))
			return false;
	return true;
}

static bool canonical_bdf(const char *s)
{
	char canon[BDF_LEN];

	return !bdf_parse(s, NULL, canon, NULL) && !strcmp(canon, s);
}

int vm_record_find(const struct vm_record *r, const char *bdf)
{
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->devs[i].bdf, bdf))
			return i;
	return -1;
}

void vm_record_free(struct vm_record *r)
{
	free(r->devs);
	r->devs = NULL;
	r->n = 0;
}

static int parse_number(const char *val, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (!isdigit((unsigned char)val[0]))
		return -EINVAL;
	errno = 0;
	*out = strtoull(val, &end, 10);
	if (errno || *end || *out > max)
		return -EINVAL;
	return 0;
}

/* "BDF driver=D override=O with=W" (the part after "device="). */
static int parse_device(char *val, const char *path, int line, struct vm_record_dev *d,
			struct errinfo *e)
{
	char *tok, *save = NULL;
	bool have_driver = false;

	memset(d, 0, sizeof(*d));
	tok = strtok_r(val, " ", &save);
	if (!tok || !canonical_bdf(tok))
		return err_set(e, EINVAL, "%s:%d: device \"%.64s\" is not a canonical PCI address",
			       path, line, tok ? tok : "");
	snprintf(d->bdf, sizeof(d->bdf), "%s", tok);
	while ((tok = strtok_r(NULL, " ", &save))) {
		char *v = strchr(tok, '=');

		if (!v)
			return err_set(e, EINVAL, "%s:%d: expected KEY=VALUE, got \"%.64s\"", path,
				       line, tok);
		*v++ = '\0';
		if (!strcmp(tok, "driver") || !strcmp(tok, "override")) {
			if (*v && !pci_driver_name_valid(v))
				return err_set(e, EINVAL,
					       "%s:%d: %s \"%.64s\" is not a driver name", path,
					       line, tok, v);
			if (!strcmp(tok, "driver")) {
				snprintf(d->driver, sizeof(d->driver), "%s", v);
				have_driver = true;
			} else {
				snprintf(d->override, sizeof(d->override), "%s", v);
			}
		} else if (!strcmp(tok, "with")) {
			if (!canonical_bdf(v))
				return err_set(
					e, EINVAL,
					"%s:%d: with \"%.64s\" is not a canonical PCI address",
					path, line, v);
			snprintf(d->with, sizeof(d->with), "%s", v);
		}
		/* else a later version's key */
	}
	if (!have_driver)
		return err_set(e, EINVAL,
			       "%s:%d: device %s has no driver= (the one to give it back to)", path,
			       line, d->bdf);
	if (!d->with[0])
		snprintf(d->with, sizeof(d->with), "%s", d->bdf);
	return 0;
}

static int add_dev(struct vm_record *r, const struct vm_record_dev *d, struct errinfo *e)
{
	struct vm_record_dev *p;

	if (r->n >= VM_RECORD_MAX_DEVS)
		return err_set(e, E2BIG, "VM %s: more than %d devices in one record", r->name,
			       VM_RECORD_MAX_DEVS);
	p = realloc(r->devs, sizeof(*p) * (size_t)(r->n + 1));
	if (!p)
		return err_set(e, ENOMEM, "out of memory");
	r->devs = p;
	r->devs[r->n++] = *d;
	return 0;
}

int vm_record_parse(const char *text, const char *path, struct vm_record *r, struct errinfo *e)
{
	const char *p = text;
	bool have_version = false;
	int line = 0, ret = 0;

	memset(r, 0, sizeof(*r));
	while (*p) {
		size_t len = strcspn(p, "\n");
		char buf[512], *val;
		unsigned long long num;

		line++;
		if (len >= sizeof(buf)) {
			ret = err_set(e, EINVAL, "%s:%d: line too long", path, line);
			goto fail;
		}
		memcpy(buf, p, len);
		buf[len] = '\0';
		p += len + (p[len] == '\n');
		if (!buf[0] || buf[0] == '#')
			continue;
		val = strchr(buf, '=');
		if (!val) {
			ret = err_set(e, EINVAL, "%s:%d: expected KEY=VALUE, got \"%.64s\"", path,
				      line, buf);
			goto fail;
		}
		*val++ = '\0';
		if (!strcmp(buf, "version")) {
			if (parse_number(val, 1000, &num) || num != VM_RECORD_VERSION) {
				ret = err_set(e, EINVAL, "%s:%d: version \"%.32s\" is not %d", path,
					      line, val, VM_RECORD_VERSION);
				goto fail;
			}
			have_version = true;
		} else if (!strcmp(buf, "name")) {
			if (!vm_name_valid(val)) {
				ret = err_set(e, EINVAL, "%s:%d: \"%.64s\" is not a VM name", path,
					      line, val);
				goto fail;
			}
			snprintf(r->name, sizeof(r->name), "%s", val);
		} else if (!strcmp(buf, "pid")) {
			if (parse_number(val, 0x7fffffff, &num) || num == 0) {
				ret = err_set(e, EINVAL, "%s:%d: pid \"%.32s\" is not a process id",
					      path, line, val);
				goto fail;
			}
			r->pid = (long)num;
		} else if (!strcmp(buf, "start")) {
			if (parse_number(val, ~0ULL, &num)) {
				ret = err_set(e, EINVAL, "%s:%d: start \"%.32s\" is not a number",
					      path, line, val);
				goto fail;
			}
			r->start = num;
		} else if (!strcmp(buf, "device")) {
			struct vm_record_dev d;

			ret = parse_device(val, path, line, &d, e);
			if (ret)
				goto fail;
			if (vm_record_find(r, d.bdf) >= 0) {
				ret = err_set(e, EINVAL, "%s:%d: device %s is listed twice", path,
					      line, d.bdf);
				goto fail;
			}
			ret = add_dev(r, &d, e);
			if (ret)
				goto fail;
		}
		/* else a later version's key */
	}
	if (!have_version || !r->name[0] || !r->pid) {
		ret = err_set(e, EINVAL, "%s: not a VM record (%s missing)", path,
			      !have_version ? "version="
			      : !r->name[0] ? "name="
					    : "pid=");
		goto fail;
	}
	return 0;
fail:
	vm_record_free(r);
	return ret;
}

int vm_record_format(const struct vm_record *r, char **text, struct errinfo *e)
{
	/* the header names the VM three times (found short by the fuzz target) */
	size_t size =
		256 + 3 * VM_NAME_MAX + (size_t)r->n * (2 * BDF_LEN + 2 * PCIDEV_NAME_MAX + 48);
	size_t len;
	char *s;

	*text = NULL;
	if (!vm_name_valid(r->name))
		return err_set(e, EINVAL, "\"%.64s\" is not a VM name", r->name);
	if (r->pid <= 0)
		return err_set(e, EINVAL, "VM %s: no pid", r->name);
	s = malloc(size);
	if (!s)
		return err_set(e, ENOMEM, "out of memory");
	len = (size_t)snprintf(s, size,
			       "# what VM %s took from the host; vfctl restore --vm %s gives it "
			       "back\nversion=%d\nname=%s\npid=%ld\nstart=%llu\n",
			       r->name, r->name, VM_RECORD_VERSION, r->name, r->pid, r->start);
	for (int i = 0; i < r->n; i++) {
		const struct vm_record_dev *d = &r->devs[i];

		if (!canonical_bdf(d->bdf) || (d->with[0] && !canonical_bdf(d->with)) ||
		    (d->driver[0] && !pci_driver_name_valid(d->driver)) ||
		    (d->override[0] && !pci_driver_name_valid(d->override))) {
			free(s);
			return err_set(e, EINVAL, "VM %s: device entry \"%.16s\" is malformed",
				       r->name, d->bdf);
		}
		len += (size_t)snprintf(s + len, size - len,
					"device=%s driver=%s override=%s with=%s\n", d->bdf,
					d->driver, d->override, d->with[0] ? d->with : d->bdf);
	}
	if (len >= size) {
		free(s);
		return err_set(e, EOVERFLOW, "VM %s: record text longer than planned", r->name);
	}
	*text = s;
	return 0;
}

/* fd of STATE_DIR/vms (checked by statedir.h), its path in dpath. */
static int vms_dir(const char *state_dir, bool create, char *dpath, size_t size, struct errinfo *e)
{
	int sfd, dfd;

	if (snprintf(dpath, size, "%s/%s", state_dir, VM_RECORD_DIR) >= (int)size)
		return err_set(e, ENAMETOOLONG, "state dir path too long: %s", state_dir);
	sfd = statedir_open(state_dir, create, e);
	if (sfd < 0)
		return sfd;
	dfd = statedir_open_sub(sfd, state_dir, VM_RECORD_DIR, create, e);
	close(sfd);
	return dfd;
}

int vm_record_load(const char *state_dir, const char *name, struct vm_record *r, struct errinfo *e)
{
	char dpath[PATH_LEN], path[PATH_LEN + VM_NAME_MAX], *text;
	int dfd, ret;

	memset(r, 0, sizeof(*r));
	if (!vm_name_valid(name))
		return err_set(e, EINVAL, "\"%.64s\" is not a VM name", name);
	dfd = vms_dir(state_dir, false, dpath, sizeof(dpath), e);
	ret = dfd < 0 ? dfd : statedir_read(dfd, dpath, name, &text, e);
	if (dfd >= 0)
		close(dfd);
	snprintf(path, sizeof(path), "%s/%s", dpath, name);
	if (ret == -ENOENT) {
		err_set(e, ENOENT, "no record of VM %s (no %s)", name, path);
		err_hint(e, "vfvm keeps a record only while a VM holds managed devices; "
			    "vfctl restore --dead-vms gives back what stopped VMs left");
		return -ENOENT;
	}
	if (ret)
		return ret;
	ret = vm_record_parse(text, path, r, e);
	free(text);
	if (ret == 0 && strcmp(r->name, name)) {
		ret = err_set(e, EINVAL, "%s: names VM \"%s\", not %s", path, r->name, name);
		vm_record_free(r);
	}
	if (ret)
		err_hint(e, "the record lists what vfvm took; fix or remove it and give the "
			    "devices back with vfctl restore BDF");
	return ret;
}

int vm_record_save(const char *state_dir, const struct vm_record *r, struct errinfo *e)
{
	char dpath[PATH_LEN], *text;
	int dfd, ret;

	ret = vm_record_format(r, &text, e);
	if (ret)
		return ret;
	dfd = vms_dir(state_dir, true, dpath, sizeof(dpath), e);
	if (dfd < 0) {
		free(text);
		return dfd;
	}
	ret = statedir_write(dfd, dpath, r->name, text, e);
	close(dfd);
	free(text);
	return ret;
}

int vm_record_remove(const char *state_dir, const char *name, struct errinfo *e)
{
	char dpath[PATH_LEN];
	int dfd, ret;

	if (!vm_name_valid(name))
		return err_set(e, EINVAL, "\"%.64s\" is not a VM name", name);
	dfd = vms_dir(state_dir, false, dpath, sizeof(dpath), e);
	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return dfd;
	ret = statedir_remove(dfd, name);
	if (ret < 0)
		err_sys(e, -ret, "cannot remove the record of VM %s (%s/%s)", name, dpath, name);
	close(dfd);
	return ret;
}

/* Record names are VM names; temp files (NAME.tmp.PID) and anything else are skipped. */
static bool is_record_name(const char *name)
{
	return vm_name_valid(name) && !strstr(name, ".tmp");
}

int vm_record_list(const char *state_dir, char (**names)[VM_NAME_MAX], int *n, struct errinfo *e)
{
	char dpath[PATH_LEN];
	void *out;
	int dfd, ret;

	*names = NULL;
	*n = 0;
	dfd = vms_dir(state_dir, false, dpath, sizeof(dpath), e);
	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return dfd;
	ret = statedir_list(dfd, dpath, is_record_name, VM_NAME_MAX, &out, n, e);
	*names = out;
	return ret;
}

int vm_record_holder(const char *state_dir, const char *bdf, struct vm_record *r, struct errinfo *e)
{
	char(*names)[VM_NAME_MAX];
	int n, ret, found = 0;

	memset(r, 0, sizeof(*r));
	ret = vm_record_list(state_dir, &names, &n, e);
	if (ret)
		return ret;
	for (int i = 0; i < n && !found; i++) {
		if (vm_record_load(state_dir, names[i], r, NULL))
			continue;
		if (vm_record_find(r, bdf) >= 0)
			found = 1;
		else
			vm_record_free(r);
	}
	free(names);
	return found;
}

int vm_record_forget(const char *state_dir, struct vm_record *r, const char *bdf, struct errinfo *e)
{
	int i = vm_record_find(r, bdf), ret;

	if (i < 0)
		return 0;
	memmove(&r->devs[i], &r->devs[i + 1], sizeof(*r->devs) * (size_t)(r->n - i - 1));
	r->n--;
	if (r->n)
		return vm_record_save(state_dir, r, e);
	ret = vm_record_remove(state_dir, r->name, e);
	return ret < 0 ? ret : 0;
}

unsigned long long vm_process_start(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	/* the command name may hold spaces and ')': fields go on after the last ')' */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	/* field 3 (state) is the first after ')'; starttime is field 22 */
	for (int field = 2; p && field < 22; field++) {
		p = strchr(p + 1, ' ');
	}
	if (p)
		start = strtoull(p + 1, NULL, 10);
	return start;
}

/* The state letter of process @pid (/proc/PID/stat field 3), 0 when it is gone. */
static char process_state(long pid)
{
	char path[64], buf[1024], *p;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

bool vm_record_running(const struct vm_record *r)
{
	char st = process_state(r->pid);

	/* a zombie gives nothing back any more; a reused pid is another process */
	if (!st || st == 'Z' || st == 'X')
		return false;
	return !r->start || vm_process_start(r->pid) == r->start;
}

/* ---- the running VMM's own record ---- */

struct vm_record_live {
	pthread_mutex_t lock;
	char state_dir[PATH_LEN];
	struct vm_record rec;
};

int vm_record_begin(const char *state_dir, const char *name, struct vm_record_live **out,
		    struct errinfo *e)
{
	struct vm_record old;
	struct errinfo le = {0};
	struct vm_record_live *l;
	int ret;

	*out = NULL;
	if (!vm_name_valid(name)) {
		err_set(e, EINVAL, "\"%.64s\" is not a VM name", name);
		err_hint(e, "1-63 of A-Z a-z 0-9 _ . : @ + -, starting with a letter or digit");
		return -EINVAL;
	}
	if (strlen(state_dir) >= PATH_LEN)
		return err_set(e, ENAMETOOLONG, "state dir path too long: %.200s", state_dir);
	ret = vm_record_load(state_dir, name, &old, &le);
	if (ret == 0) {
		bool running = vm_record_running(&old);

		if (running) {
			err_set(e, EEXIST, "a VM named %s is running (vfvm pid %ld)", name,
				old.pid);
			err_hint(e, "give this one another name (--name)");
		} else {
			err_set(e, EEXIST,
				"VM %s (vfvm pid %ld, no longer running) left %d device%s off "
				"their host drivers",
				name, old.pid, old.n, old.n == 1 ? "" : "s");
			err_hint(e, "give them back first: vfctl restore --vm %s", name);
		}
		vm_record_free(&old);
		return -EEXIST;
	}
	if (ret != -ENOENT) {
		/* an unsafe state dir or a malformed record: nothing may be taken */
		*e = le;
		return ret;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return err_set(e, ENOMEM, "out of memory");
	pthread_mutex_init(&l->lock, NULL);
	snprintf(l->state_dir, sizeof(l->state_dir), "%s", state_dir);
	snprintf(l->rec.name, sizeof(l->rec.name), "%s", name);
	l->rec.pid = (long)getpid();
	l->rec.start = vm_process_start(l->rec.pid);
	*out = l;
	return 0;
}

/* Write the record as it is now, or remove it when it lists nothing (lock held). */
static int sync_locked(struct vm_record_live *l, struct errinfo *e)
{
	int ret;

	if (l->rec.n)
		return vm_record_save(l->state_dir, &l->rec, e);
	ret = vm_record_remove(l->state_dir, l->rec.name, e);
	return ret < 0 ? ret : 0;
}

int vm_record_take(struct vm_record_live *l, const struct vm_record_dev *devs, int n,
		   struct errinfo *e)
{
	int old, ret = 0;

	if (!l || n <= 0)
		return 0;
	pthread_mutex_lock(&l->lock);
	old = l->rec.n;
	for (int i = 0; i < n && !ret; i++)
		if (vm_record_find(&l->rec, devs[i].bdf) < 0)
			ret = add_dev(&l->rec, &devs[i], e);
	if (!ret)
		ret = sync_locked(l, e);
	if (ret) {
		/* nothing may move that the file does not list */
		l->rec.n = old;
		err_prefix(e, "writing down what VM %s takes", l->rec.name);
	}
	pthread_mutex_unlock(&l->lock);
	return ret;
}

int vm_record_given_back(struct vm_record_live *l, const char *bdf, struct errinfo *e)
{
	int i, ret = 0;

	if (!l)
		return 0;
	pthread_mutex_lock(&l->lock);
	i = vm_record_find(&l->rec, bdf);
	if (i >= 0) {
		l->rec.devs[i] = l->rec.devs[--l->rec.n];
		ret = sync_locked(l, e);
		if (ret)
			err_prefix(e, "updating the record of VM %s", l->rec.name);
	}
	pthread_mutex_unlock(&l->lock);
	return ret;
}

const char *vm_record_name(const struct vm_record_live *l)
{
	return l->rec.name;
}

int vm_record_count(struct vm_record_live *l)
{
	int n;

	pthread_mutex_lock(&l->lock);
	n = l->rec.n;
	pthread_mutex_unlock(&l->lock);
	return n;
}

void vm_record_end(struct vm_record_live *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->lock);
	vm_record_free(&l->rec);
	free(l);
}
