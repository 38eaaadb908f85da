// SPDX-License-Identifier: GPL-2.0-only
/*
 * --user and --chroot: jailer-style confinement of the VMM process.  Every
 * file the VM needs (kernel, disks, /dev/kvm, VFIO groups, taps, the API
 * socket) is opened during setup; then the VMM enters DIR and becomes the
 * user, with no capabilities left, and what still needs privilege is asked
 * of vfvm's keeper (keeper.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vfvm.h"
#include "vm.h"

static int user_error(const char *arg, const char *why)
{
	fprintf(stderr,
		"vfvm run: --user '%s': %s\n"
		"vfvm run: hint: give UID:GID (numbers, not 0) or a user name, e.g. --user "
		"65534:65534 or --user nobody\n",
		arg, why);
	return VM_EXIT_USAGE;
}

static bool parse_id(const char *s, unsigned long *out)
{
	char *end;

	if (!*s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return !*end && !errno && *out < 0xffffffffu;
}

int vfvm_confine_parse_user(const char *arg, struct vfvm_confine *c)
{
	char user[256], *group;
	unsigned long id;

	if (strlen(arg) >= sizeof(user))
		return user_error(arg, "too long");
	snprintf(user, sizeof(user), "%s", arg);
	group = strchr(user, ':');
	if (group)
		*group++ = '\0';
	if (parse_id(user, &id)) {
		c->uid = (uid_t)id;
		if (!group)
			return user_error(arg, "a numeric user needs its group (UID:GID)");
	} else {
		struct passwd *pw = getpwnam(user);

		if (!pw)
			return user_error(arg, "no such user");
		c->uid = pw->pw_uid;
		c->gid = pw->pw_gid;
	}
	if (group) {
		if (parse_id(group, &id)) {
			c->gid = (gid_t)id;
		} else {
			struct group *gr = getgrnam(group);

			if (!gr)
				return user_error(arg, "no such group");
			c->gid = gr->gr_gid;
		}
	}
	if (c->uid == 0 || c->gid == 0)
		return user_error(arg, "that is root, whose privileges --user is there to drop");
	c->user = true;
	return 0;
}

int vfvm_confine_check_chroot(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) < 0) {
		fprintf(stderr, "vfvm run: --chroot '%s': %s\n", dir, strerror(errno));
		fprintf(stderr, "vfvm run: hint: give an existing directory (it may be empty: "
				"the VM's files are opened before vfvm enters it)\n");
		return VM_EXIT_USAGE;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "vfvm run: --chroot '%s': not a directory\n", dir);
		return VM_EXIT_USAGE;
	}
	/* a directory others can write to lets them plant files the VMM opens later */
	if (st.st_mode & S_IWOTH) {
		fprintf(stderr,
			"vfvm run: --chroot '%s': writable by everyone (mode %04o)\n"
			"vfvm run: hint: chmod o-w '%s', or use a directory of its own\n",
			dir, (unsigned int)(st.st_mode & 07777), dir);
		return VM_EXIT_USAGE;
	}
	return 0;
}

/* Nothing left in the permitted, effective or inheritable sets. */
static int check_no_caps(struct errinfo *e)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		return err_sys(e, errno, "capget");
	for (int i = 0; i < 2; i++)
		if (d[i].permitted || d[i].effective || d[i].inheritable)
			return err_set(e, EPERM,
				       "capabilities left after dropping to the user "
				       "(permitted %08x%08x)",
				       d[1].permitted, d[0].permitted);
	return 0;
}

int vfvm_confine(const struct vfvm_confine *c, struct errinfo *e)
{
	pid_t keeper = getppid();

	if (!c->user && !c->chroot)
		return 0;
	if (c->chroot) {
		if (chroot(c->chroot) < 0)
			return err_sys(e, errno, "--chroot %s: chroot", c->chroot);
		if (chdir("/") < 0)
			return err_sys(e, errno, "--chroot %s: chdir to its root", c->chroot);
	}
	if (c->user) {
		/* groups first: after setuid there is no privilege left to change them */
		if (setgroups(0, NULL) < 0)
			return err_sys(e, errno, "--user: setgroups");
		if (setresgid(c->gid, c->gid, c->gid) < 0)
			return err_sys(e, errno, "--user: setresgid(%u)", (unsigned int)c->gid);
		if (setresuid(c->uid, c->uid, c->uid) < 0)
			return err_sys(e, errno, "--user: setresuid(%u)", (unsigned int)c->uid);
		if (check_no_caps(e) < 0)
			return -e->err;
		/* the credential change cleared the parent-death signal: set again */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
			return err_sys(e, errno, "prctl(PR_SET_PDEATHSIG)");
		if (getppid() != keeper)
			return err_set(e, ESRCH, "vfvm's keeper (pid %d) is gone", (int)keeper);
	}
	return 0;
}
