// SPDX-License-Identifier: GPL-2.0-only
/*
 * sriov/nvme_virt.c against a fake NVMe controller that follows the rules
 * QEMU's emulated controller enforces (hw/nvme/ctrl.c): a primary flexible
 * allocation takes effect on a reset; assignment needs the secondary offline
 * and enough free resources; online needs >= 2 VQ and >= 1 VI; a primary
 * controller reset takes every secondary offline.  The sysfs side (nvme/,
 * state, sriov_numvfs) is a temporary directory tree.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "nvme_virt.h"

#define BDF "0000:01:00.0"
#define NSEC 4

struct fake_nvme {
	/* controller state */
	unsigned vqfrt, vifrt, vqfrsm, vifrsm;
	unsigned vqrfap, virfap; /* active primary flexible allocation */
	unsigned next_vqrfap, next_virfap; /* applied at the next reset */
	unsigned scs[NSEC], nvq[NSEC], nvi[NSEC];
	bool apply_on_ctrl_reset; /* spec behaviour; QEMU needs a function reset */
	bool never_apply;
	/* fault injection */
	int fail_act; /* virt mgmt action to refuse with fail_status */
	int fail_status; /* NVMe status (DNR | SCT << 8 | SC) */
	int sys_err; /* every command fails with -sys_err */
	/* what the library did */
	char log[64][48];
	int nlog;
	int ctrl_resets, func_resets;
};

struct env {
	char root[PATH_MAX];
	struct fake_nvme f;
	struct nvme_virt_ops ops;
};

static void logf_(struct fake_nvme *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct fake_nvme *f, const char *fmt, ...)
{
	va_list ap;

	assert_true(f->nlog < 64);
	va_start(ap, fmt);
	vsnprintf(f->log[f->nlog++], sizeof(f->log[0]), fmt, ap);
	va_end(ap);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
}

static void put32(uint8_t *p, unsigned v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

static unsigned sum(const unsigned *a)
{
	unsigned s = 0, i;

	for (i = 0; i < NSEC; i++)
		s += a[i];
	return s;
}

static void fill_primary(const struct fake_nvme *f, uint8_t *b)
{
	memset(b, 0, 4096);
	put16(b + 0, 0); /* cntlid */
	b[4] = 0x3;
	put32(b + 32, f->vqfrt);
	put32(b + 36, sum(f->nvq));
	put16(b + 40, f->vqrfap);
	put16(b + 42, 57);
	put16(b + 44, f->vqfrsm);
	put16(b + 46, 1);
	put32(b + 64, f->vifrt);
	put32(b + 68, sum(f->nvi));
	put16(b + 72, f->virfap);
	put16(b + 74, 61);
	put16(b + 76, f->vifrsm);
	put16(b + 78, 1);
}

static void fill_secondary(const struct fake_nvme *f, uint8_t *b)
{
	unsigned i;

	memset(b, 0, 4096);
	b[0] = NSEC;
	for (i = 0; i < NSEC; i++) {
		uint8_t *ent = b + 32 + 32 * i;

		put16(ent + 0, i + 1); /* scid */
		put16(ent + 2, 0);
		ent[4] = (uint8_t)f->scs[i];
		put16(ent + 8, i + 1); /* vfn */
		put16(ent + 10, f->nvq[i]);
		put16(ent + 12, f->nvi[i]);
	}
}

static int virt_mgmt(struct fake_nvme *f, struct nvme_virt_cmd *cmd)
{
	unsigned act = cmd->cdw10 & 0xf, rt = (cmd->cdw10 >> 8) & 0x7;
	unsigned cntlid = cmd->cdw10 >> 16, nr = cmd->cdw11 & 0xffff, s, *res, total, prim;

	logf_(f, "mgmt act=%u rt=%u cntlid=%u nr=%u", act, rt, cntlid, nr);
	if ((int)act == f->fail_act)
		return f->fail_status;
	if (rt > 1)
		return 0x4000 | 0x122;
	if (act == NVME_VIRT_ACT_PRIMARY_FLEX) {
		if (cntlid != 0)
			return 0x4000 | 0x11f;
		if (rt)
			f->next_virfap = nr;
		else
			f->next_vqrfap = nr;
		return 0;
	}
	if (cntlid < 1 || cntlid > NSEC)
		return 0x4000 | 0x11f;
	s = cntlid - 1;
	switch (act) {
	case NVME_VIRT_ACT_SECONDARY_OFFLINE:
		f->scs[s] = 0;
		f->nvq[s] = f->nvi[s] = 0;
		return 0;
	case NVME_VIRT_ACT_SECONDARY_ASSIGN:
		if (f->scs[s])
			return 0x4000 | 0x120;
		if (nr > (rt ? f->vifrsm : f->vqfrsm))
			return 0x4000 | 0x121;
		res = rt ? f->nvi : f->nvq;
		total = rt ? f->vifrt : f->vqfrt;
		prim = rt ? f->virfap : f->vqrfap;
		if (nr > res[s] && nr - res[s] > total - prim - sum(res))
			return 0x4000 | 0x122;
		res[s] = nr;
		return 0;
	case NVME_VIRT_ACT_SECONDARY_ONLINE:
		if (!f->nvi[s] || f->nvq[s] < 2)
			return 0x4000 | 0x120;
		f->scs[s] = 1;
		return 0;
	}
	return 0x4000 | 0x002;
}

static int fake_admin(void *opaque, const char *dev, struct nvme_virt_cmd *cmd)
{
	struct fake_nvme *f = opaque;

	assert_non_null(strstr(dev, "/dev/nvme0"));
	if (f->sys_err)
		return -f->sys_err;
	if (cmd->opcode == NVME_VIRT_OPC_IDENTIFY) {
		assert_int_equal(cmd->data_len, 4096);
		assert_non_null(cmd->data);
		switch (cmd->cdw10 & 0xff) {
		case NVME_VIRT_CNS_PRIMARY_CAPS:
			if (f->fail_act == 0x14)
				return f->fail_status;
			fill_primary(f, cmd->data);
			return 0;
		case NVME_VIRT_CNS_SECONDARY_LIST:
			fill_secondary(f, cmd->data);
			return 0;
		}
		return 0x4002;
	}
	if (cmd->opcode == NVME_VIRT_OPC_VIRT_MGMT)
		return virt_mgmt(f, cmd);
	return 0x4001;
}

static void apply_next(struct fake_nvme *f)
{
	unsigned i;

	if (f->never_apply)
		return;
	f->vqrfap = f->next_vqrfap;
	f->virfap = f->next_virfap;
	for (i = 0; i < NSEC; i++)
		f->scs[i] = 0;
}

static int fake_reset(void *opaque, const char *path)
{
	struct fake_nvme *f = opaque;
	size_t n = strlen(path);

	if (n > 17 && !strcmp(path + n - 17, "/reset_controller")) {
		f->ctrl_resets++;
		logf_(f, "reset controller");
		if (f->apply_on_ctrl_reset)
			apply_next(f);
		return 0;
	}
	assert_non_null(strstr(path, "/sys/bus/pci/devices/" BDF "/reset"));
	f->func_resets++;
	logf_(f, "reset function");
	apply_next(f);
	return 0;
}

static void write_file(const char *root, const char *rel, const char *val)
{
	char path[PATH_MAX];
	FILE *fp;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(val, fp);
	fclose(fp);
}

static void mkdirs(const char *root, const char *rel)
{
	char path[PATH_MAX], *p;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	for (p = path + strlen(root) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

static int setup(void **state)
{
	struct env *env = calloc(1, sizeof(*env));

	assert_non_null(env);
	snprintf(env->root, sizeof(env->root), "/tmp/test_nvme_virt.XXXXXX");
	assert_non_null(mkdtemp(env->root));
	mkdirs(env->root, "/sys/bus/pci/devices/" BDF "/nvme/nvme0");
	mkdirs(env->root, "/sys/class/nvme/nvme0");
	mkdirs(env->root, "/dev");
	write_file(env->root, "/sys/bus/pci/devices/" BDF "/class", "0x010802\n");
	write_file(env->root, "/sys/bus/pci/devices/" BDF "/sriov_totalvfs", "4\n");
	write_file(env->root, "/sys/bus/pci/devices/" BDF "/sriov_numvfs", "0\n");
	write_file(env->root, "/sys/class/nvme/nvme0/state", "live\n");
	write_file(env->root, "/dev/nvme0", "");
	env->f = (struct fake_nvme){
		.vqfrt = 8,
		.vifrt = 4,
		.vqfrsm = 2,
		.vifrsm = 1,
		.vqrfap = 8,
		.virfap = 4,
		.next_vqrfap = 8,
		.next_virfap = 4,
		.fail_act = -1,
	};
	env->ops = (struct nvme_virt_ops){
		.admin = fake_admin,
		.reset = fake_reset,
		.opaque = &env->f,
		.live_timeout_ms = 300,
	};
	*state = env;
	return 0;
}

static int teardown(void **state)
{
	struct env *env = *state;
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", env->root);
	assert_int_equal(system(cmd), 0);
	free(env);
	return 0;
}

static void set_numvfs(struct env *env, unsigned n)
{
	char v[16];

	snprintf(v, sizeof(v), "%u\n", n);
	write_file(env->root, "/sys/bus/pci/devices/" BDF "/sriov_numvfs", v);
}

static int count_log(const struct fake_nvme *f, const char *prefix)
{
	int i, n = 0;

	for (i = 0; i < f->nlog; i++)
		n += !strncmp(f->log[i], prefix, strlen(prefix));
	return n;
}

/* --- decoders ----------------------------------------------------------------- */

static void decode_primary_offsets(void **state)
{
	struct nvme_virt_primary_caps c;
	uint8_t buf[4096] = {0};

	(void)state;
	put16(buf + 0, 0x1234);
	put16(buf + 2, 7);
	buf[4] = 3;
	put32(buf + 32, 100000);
	put32(buf + 36, 11);
	put16(buf + 40, 12);
	put16(buf + 42, 13);
	put16(buf + 44, 14);
	put16(buf + 46, 15);
	put32(buf + 64, 70000);
	put32(buf + 68, 21);
	put16(buf + 72, 22);
	put16(buf + 74, 23);
	put16(buf + 76, 24);
	put16(buf + 78, 25);
	nvme_virt_decode_primary(buf, &c);
	assert_int_equal(c.cntlid, 0x1234);
	assert_int_equal(c.portid, 7);
	assert_int_equal(c.crt, 3);
	assert_int_equal(c.vqfrt, 100000);
	assert_int_equal(c.vqrfa, 11);
	assert_int_equal(c.vqrfap, 12);
	assert_int_equal(c.vqprt, 13);
	assert_int_equal(c.vqfrsm, 14);
	assert_int_equal(c.vqgran, 15);
	assert_int_equal(c.vifrt, 70000);
	assert_int_equal(c.virfa, 21);
	assert_int_equal(c.virfap, 22);
	assert_int_equal(c.viprt, 23);
	assert_int_equal(c.vifrsm, 24);
	assert_int_equal(c.vigran, 25);
}

static void decode_secondary_entries(void **state)
{
	struct nvme_virt_secondary list[2];
	uint8_t buf[4096] = {0};

	(void)state;
	buf[0] = 3;
	put16(buf + 32 + 0, 5);
	put16(buf + 32 + 2, 1);
	buf[32 + 4] = 1;
	put16(buf + 32 + 8, 2);
	put16(buf + 32 + 10, 6);
	put16(buf + 32 + 12, 3);
	put16(buf + 64 + 0, 9);
	/* three listed, room for two: the caller's bound wins */
	assert_int_equal(nvme_virt_decode_secondary(buf, list, 2), 2);
	assert_int_equal(list[0].scid, 5);
	assert_int_equal(list[0].pcid, 1);
	assert_int_equal(list[0].scs, 1);
	assert_int_equal(list[0].vfn, 2);
	assert_int_equal(list[0].nvq, 6);
	assert_int_equal(list[0].nvi, 3);
	assert_int_equal(list[1].scid, 9);
}

/* --- sysfs side --------------------------------------------------------------- */

static void is_nvme_pf(void **state)
{
	struct env *env = *state;

	assert_true(nvme_virt_is_nvme_pf(env->root, BDF));
	assert_false(nvme_virt_is_nvme_pf(env->root, "0000:02:00.0"));
	write_file(env->root, "/sys/bus/pci/devices/" BDF "/class", "0x020000\n");
	assert_false(nvme_virt_is_nvme_pf(env->root, BDF));
	write_file(env->root, "/sys/bus/pci/devices/" BDF "/class", "0x010802\n");
	write_file(env->root, "/sys/bus/pci/devices/" BDF "/sriov_totalvfs", "0\n");
	assert_false(nvme_virt_is_nvme_pf(env->root, BDF));
}

static void ctrl_name_and_missing_driver(void **state)
{
	struct env *env = *state;
	struct errinfo e = {0};
	char name[16];

	assert_int_equal(nvme_virt_ctrl_name(env->root, BDF, name, sizeof(name), &e), 0);
	assert_string_equal(name, "nvme0");
	assert_int_equal(nvme_virt_prepare_ops(&env->ops, env->root, "0000:09:00.0", 2, &e),
			 -ENOENT);
	assert_non_null(strstr(e.msg, "0000:09:00.0"));
	assert_non_null(strstr(e.hint, "nvme driver"));
}

/* --- prepare ------------------------------------------------------------------ */

static void prepare_function_reset_fallback(void **state)
{
	struct env *env = *state;
	struct errinfo e = {0};

	/* QEMU: the controller reset does not apply the allocation, FLR does */
	assert_int_equal(nvme_virt_prepare_ops(&env->ops, env->root, BDF, 2, &e), 0);
	assert_int_equal(env->f.vqrfap, 0);
	assert_int_equal(env->f.virfap, 0);
	assert_int_equal(env->f.ctrl_resets, 1);
	assert_int_equal(env->f.func_resets, 1);
	assert_int_equal(env->f.nlog, 4);
	assert_string_equal(env->f.log[0], "mgmt act=1 rt=0 cntlid=0 nr=0");
	assert_string_equal(env->f.log[1], "mgmt act=1 rt=1 cntlid=0 nr=0");
	assert_string_equal(env->f.log[2], "reset controller");
	assert_string_equal(env->f.log[3], "reset function");
}

static void prepare_controller_reset_is_enough(void **state)
{
	struct env *env = *state;
	struct errinfo e = {0};

	env->f.apply_on_ctrl_reset = true;
	assert_int_equal(nvme_virt_prepare_ops(&env->ops, env->root, BDF, 4, &e), 0);
	assert_int_equal(env->f.vqrfap, 0);
	assert_int_equal(env->f.ctrl_resets, 1);
	assert_int_equal(env->f.func_resets, 0);
}

static void prepare_nothing_to_do(void **state)
{
	struct env *env = *state;
	struct errinfo e = {0};

	env->f.vqrfap = env->f.virfap = 0;
	set_numvfs(env, 2); /* VFs may exist: nothing will be reset */
	assert_int_equal(nvme_virt_prepare_ops(&env->ops, env->root, BDF, 2, &e), 0);
	assert_int_equal(env->f.nlog, 0);
}

static void prepare_refuses_with_vfs(void **state)
{
	struct env *env = *state;
	struct errinfo e = {0};

	set_numvfs(env, 2);
	assert_int_equal(nvme_virt_prepare_ops(&env->ops, env->root, BDF, 2, &e), -EBUSY);
	assert_non_null(strstr(e.msg, BDF));
	assert_non_null(strstr(e.hint, "vfctl vfs " BDF " 0"));
	assert_int_equal(env->f.nlog, 0);
}

static void prepare_too_many_vfs(void **state)
{
	struct env *env = *state;
	struct errinfo e = {0};

	assert_int_equal(nvme_virt_prepare_ops(&env->ops, env->root, BDF, 5, &e), -ERANGE);
	assert_non_null(strstr(e.msg, "fewer than 5 VFs"));
	assert_int_equal(env->f.nlog, 0);
}

static void prepare_reset_never_applies(void **state)
{
	struct env *env = *state;
	struct errinfo e = {0};

	env->f.never_apply = true;
	assert_int_equal(nvme_virt_prepare_ops(&env->ops, env->root, BDF, 2, &e), -EIO);
	assert_non_null(strstr(e.msg, "still holds 8 queue and 4 interrupt"));
	assert_int_equal(env->f.func_resets, 1);
}

static void prepare_controller_not_live(void **state)
{
	struct env *env = *state;
	struct errinfo e = {0};

	write_file(env->root, "/sys/class/nvme/nvme0/state", "resetting\n");
	assert_int_equal(nvme_virt_prepare_ops(&env->ops, env->root, BDF, 2, &e), -ETIMEDOUT);
	assert_non_null(strstr(e.msg, "\"resetting\""));
	write_file(env->root, "/sys/class/nvme/nvme0/state", "dead\n");
	assert_int_equal(nvme_virt_prepare_ops(&env->ops, env->root, BDF, 2, &e), -EIO);
	assert_non_null(strstr(e.msg, "\"dead\""));
}

static void prepare_unsupported_controller(void **state)
{
	struct env *env = *state;
	struct errinfo e = {0};

	env->f.fail_act = 0x14;
	env->f.fail_status = 0x4002; /* Invalid Field: CNS 14h unknown */
	assert_int_equal(nvme_virt_prepare_ops(&env->ops, env->root, BDF, 2, &e), -EOPNOTSUPP);
	assert_non_null(strstr(e.msg, "Invalid Field in Command"));
	assert_non_null(strstr(e.hint, "virtualization management"));
}

static void system_error_names_errno(void **state)
{
	struct env *env = *state;
	struct errinfo e = {0};

	env->f.sys_err = ENOTTY;
	assert_int_equal(nvme_virt_prepare_ops(&env->ops, env->root, BDF, 2, &e), -ENOTTY);
	assert_non_null(strstr(e.msg, "/dev/nvme0"));
	assert_non_null(strstr(e.msg, "errno 25"));
}

/* --- online -------------------------------------------------------------------- */

static void prepared(struct env *env, unsigned nvfs)
{
	struct errinfo e = {0};

	assert_int_equal(nvme_virt_prepare_ops(&env->ops, env->root, BDF, nvfs, &e), 0);
	set_numvfs(env, nvfs);
	env->f.nlog = 0;
}

static void online_two_vfs(void **state)
{
	struct env *env = *state;
	struct errinfo e = {0};

	prepared(env, 2);
	assert_int_equal(nvme_virt_online_vfs_ops(&env->ops, env->root, BDF, 2, &e), 0);
	/* offline both first, then assign + online each; VFs 3 and 4 untouched */
	assert_int_equal(env->f.nlog, 8);
	assert_string_equal(env->f.log[0], "mgmt act=7 rt=0 cntlid=1 nr=0");
	assert_string_equal(env->f.log[1], "mgmt act=7 rt=0 cntlid=2 nr=0");
	assert_string_equal(env->f.log[2], "mgmt act=8 rt=0 cntlid=1 nr=2");
	assert_string_equal(env->f.log[3], "mgmt act=8 rt=1 cntlid=1 nr=1");
	assert_string_equal(env->f.log[4], "mgmt act=9 rt=0 cntlid=1 nr=0");
	assert_string_equal(env->f.log[7], "mgmt act=9 rt=0 cntlid=2 nr=0");
	assert_int_equal(env->f.scs[0], 1);
	assert_int_equal(env->f.scs[1], 1);
	assert_int_equal(env->f.scs[2], 0);
	assert_int_equal(env->f.nvq[1], 2);
	assert_int_equal(env->f.nvi[1], 1);
}

static void online_twice_changes_nothing(void **state)
{
	struct env *env = *state;
	struct errinfo e = {0};

	prepared(env, 4);
	assert_int_equal(nvme_virt_online_vfs_ops(&env->ops, env->root, BDF, 4, &e), 0);
	assert_int_equal(count_log(&env->f, "mgmt act=9"), 4);
	env->f.nlog = 0;
	assert_int_equal(nvme_virt_online_vfs_ops(&env->ops, env->root, BDF, 4, &e), 0);
	assert_int_equal(count_log(&env->f, "mgmt"), 0);
}

static void online_after_pf_reset(void **state)
{
	struct env *env = *state;
	struct errinfo e = {0};

	prepared(env, 2);
	assert_int_equal(nvme_virt_online_vfs_ops(&env->ops, env->root, BDF, 2, &e), 0);
	/* a PF driver rebind resets the primary: secondaries go offline */
	env->f.apply_on_ctrl_reset = true;
	fake_reset(&env->f, "/x/sys/class/nvme/nvme0/reset_controller");
	assert_int_equal(env->f.scs[0], 0);
	env->f.nlog = 0;
	assert_int_equal(nvme_virt_online_vfs_ops(&env->ops, env->root, BDF, 2, &e), 0);
	assert_int_equal(count_log(&env->f, "mgmt act=9"), 2);
	assert_int_equal(env->f.scs[0] + env->f.scs[1], 2);
}

static void online_shrinks_to_fewer_vfs(void **state)
{
	struct env *env = *state;
	struct errinfo e = {0};

	prepared(env, 4);
	assert_int_equal(nvme_virt_online_vfs_ops(&env->ops, env->root, BDF, 4, &e), 0);
	/* now only one VF is wanted: the others give their resources back */
	set_numvfs(env, 1);
	env->f.nlog = 0;
	assert_int_equal(nvme_virt_online_vfs_ops(&env->ops, env->root, BDF, 1, &e), 0);
	assert_int_equal(count_log(&env->f, "mgmt act=7"), 3);
	assert_int_equal(env->f.scs[0], 1);
	assert_int_equal(env->f.nvq[3], 0);
}

static void online_needs_the_vfs(void **state)
{
	struct env *env = *state;
	struct errinfo e = {0};

	prepared(env, 2);
	set_numvfs(env, 1);
	assert_int_equal(nvme_virt_online_vfs_ops(&env->ops, env->root, BDF, 2, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "has 1 VFs"));
	assert_int_equal(count_log(&env->f, "mgmt"), 0);
}

static void online_unprepared_primary(void **state)
{
	struct env *env = *state;
	struct errinfo e = {0};

	set_numvfs(env, 2); /* VFs created without prepare: the primary holds the pool */
	assert_int_equal(nvme_virt_online_vfs_ops(&env->ops, env->root, BDF, 2, &e), -ENOSPC);
	assert_non_null(strstr(e.msg, "primary holds 8/4"));
	assert_non_null(strstr(e.hint, "vfctl vfs"));
}

static void online_refused_by_controller(void **state)
{
	struct env *env = *state;
	struct errinfo e = {0};

	prepared(env, 2);
	env->f.fail_act = NVME_VIRT_ACT_SECONDARY_ONLINE;
	env->f.fail_status = 0x4120;
	assert_int_equal(nvme_virt_online_vfs_ops(&env->ops, env->root, BDF, 2, &e), -EIO);
	assert_non_null(strstr(e.msg, "VF 1 (controller 1"));
	assert_non_null(strstr(e.msg, "Invalid Secondary Controller State"));
	assert_non_null(strstr(e.msg, "0x120"));
}

static void read_file(const char *root, const char *rel, char *buf, size_t size)
{
	char path[PATH_MAX];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(buf, 1, size - 1, fp);
	buf[n] = '\0';
	fclose(fp);
}

static void link_at(const char *root, const char *target, const char *rel)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

/* Two VFs as the kernel lays them out; VF 1 (01:00.2) has a driver bound. */
static void add_vfs(struct env *env, const char *autoprobe)
{
	mkdirs(env->root, "/sys/bus/pci/devices/0000:01:00.1");
	mkdirs(env->root, "/sys/bus/pci/devices/0000:01:00.2");
	mkdirs(env->root, "/sys/bus/pci/drivers/nvme");
	link_at(env->root, "../0000:01:00.1", "/sys/bus/pci/devices/" BDF "/virtfn0");
	link_at(env->root, "../0000:01:00.2", "/sys/bus/pci/devices/" BDF "/virtfn1");
	link_at(env->root, "../../drivers/nvme", "/sys/bus/pci/devices/0000:01:00.2/driver");
	write_file(env->root, "/sys/bus/pci/devices/" BDF "/sriov_drivers_autoprobe", autoprobe);
	write_file(env->root, "/sys/bus/pci/drivers_probe", "");
}

static void online_probes_driverless_vfs(void **state)
{
	struct env *env = *state;
	struct errinfo e = {0};
	char buf[64];

	prepared(env, 2);
	add_vfs(env, "1\n");
	assert_int_equal(nvme_virt_online_vfs_ops(&env->ops, env->root, BDF, 2, &e), 0);
	/* only the VF without a driver is probed */
	read_file(env->root, "/sys/bus/pci/drivers_probe", buf, sizeof(buf));
	assert_string_equal(buf, "0000:01:00.1");
	/* nothing changes the second time: no probe either */
	write_file(env->root, "/sys/bus/pci/drivers_probe", "");
	assert_int_equal(nvme_virt_online_vfs_ops(&env->ops, env->root, BDF, 2, &e), 0);
	read_file(env->root, "/sys/bus/pci/drivers_probe", buf, sizeof(buf));
	assert_string_equal(buf, "");
}

static void online_leaves_vfs_alone_without_autoprobe(void **state)
{
	struct env *env = *state;
	struct errinfo e = {0};
	char buf[64];

	prepared(env, 2);
	add_vfs(env, "0\n");
	assert_int_equal(nvme_virt_online_vfs_ops(&env->ops, env->root, BDF, 2, &e), 0);
	read_file(env->root, "/sys/bus/pci/drivers_probe", buf, sizeof(buf));
	assert_string_equal(buf, "");
	assert_int_equal(env->f.scs[0] + env->f.scs[1], 2);
}

/* Callers may pass no errinfo: every error path must cope. */
static void errors_without_errinfo(void **state)
{
	struct env *env = *state;

	env->f.fail_act = 0x14;
	env->f.fail_status = 0x4002;
	assert_int_equal(nvme_virt_prepare_ops(&env->ops, env->root, BDF, 2, NULL), -EOPNOTSUPP);
	env->f.fail_act = -1;
	write_file(env->root, "/sys/class/nvme/nvme0/state", "dead\n");
	assert_int_equal(nvme_virt_prepare_ops(&env->ops, env->root, BDF, 2, NULL), -EIO);
	set_numvfs(env, 2);
	env->f.vqrfap = env->f.virfap = 0;
	env->f.fail_act = NVME_VIRT_ACT_SECONDARY_ASSIGN;
	env->f.fail_status = 0x4121;
	assert_int_equal(nvme_virt_online_vfs_ops(&env->ops, env->root, BDF, 2, NULL), -EIO);
	assert_int_equal(nvme_virt_online_vfs_ops(&env->ops, env->root, "0000:09:00.0", 2, NULL),
			 -ENOENT);
}

static void online_zero_vfs_is_a_no_op(void **state)
{
	struct env *env = *state;
	struct errinfo e = {0};

	assert_int_equal(nvme_virt_online_vfs_ops(&env->ops, env->root, BDF, 0, &e), 0);
	assert_int_equal(env->f.nlog, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decode_primary_offsets),
		cmocka_unit_test(decode_secondary_entries),
		T(is_nvme_pf),
		T(ctrl_name_and_missing_driver),
		T(prepare_function_reset_fallback),
		T(prepare_controller_reset_is_enough),
		T(prepare_nothing_to_do),
		T(prepare_refuses_with_vfs),
		T(prepare_too_many_vfs),
		T(prepare_reset_never_applies),
		T(prepare_controller_not_live),
		T(prepare_unsupported_controller),
		T(system_error_names_errno),
		T(online_two_vfs),
		T(online_twice_changes_nothing),
		T(online_after_pf_reset),
		T(online_shrinks_to_fewer_vfs),
		T(online_needs_the_vfs),
		T(online_unprepared_primary),
		T(online_refused_by_controller),
		T(online_probes_driverless_vfs),
		T(online_leaves_vfs_alone_without_autoprobe),
		T(errors_without_errinfo),
		T(online_zero_vfs_is_a_no_op),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
