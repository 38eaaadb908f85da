// SPDX-License-Identifier: GPL-2.0-only
/* Host IRQs of passed-through vectors steered to their vCPUs' CPUs: see host_affinity.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host_affinity.h"

#define MSI_ADDR_BASE_MASK 0xfff00000ULL
#define MSI_ADDR_BASE 0xfee00000ULL
#define MSI_ADDR_DEST(a) (((a) >> 12) & 0xff)
#define MSI_ADDR_LOGICAL (1u << 2)
#define INTERRUPTS_MAX (4u << 20)

/* Does the action list of one /proc/interrupts line name @action exactly? */
static bool line_has_action(const char *line, size_t len, const char *action)
{
	size_t alen = strlen(action);

	if (!alen)
		return false;
	for (const char *p = line; (size_t)(p - line) + alen <= len; p++) {
		const char *hit = memmem(p, len - (size_t)(p - line), action, alen);
		size_t end;

		if (!hit)
			return false;
		end = (size_t)(hit - line) + alen;
		/* actions are separated by ", "; "vfio-msix[1]" must not match "[11]" */
		if (hit > line && (hit[-1] == ' ' || hit[-1] == '\t' || hit[-1] == ',') &&
		    (end == len || line[end] == ',' || line[end] == ' ' || line[end] == '\t'))
			return true;
		p = hit;
	}
	return false;
}

int irq_host_find(const char *text, const char *action)
{
	const char *line = text;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		const char *p = line;
		char *end;
		long irq;

		while (*p == ' ' || *p == '\t')
			p++;
		/* numbered lines only: the CPU header, NMI:, LOC: ... have no number */
		if (*p >= '0' && *p <= '9') {
			errno = 0;
			irq = strtol(p, &end, 10);
			if (!errno && *end == ':' && irq >= 0 && irq <= 0x7fffffff &&
			    (size_t)(end - line) < len &&
			    line_has_action(end + 1, len - (size_t)(end + 1 - line), action))
				return (int)irq;
		}
		line = nl ? nl + 1 : NULL;
	}
	return -ENOENT;
}

int irq_host_read_interrupts(const char *root, char **text, struct errinfo *e)
{
	char path[512];
	size_t cap = 16384, len = 0;
	char *buf;
	int fd, ret;

	*text = NULL;
	snprintf(path, sizeof(path), "%s/proc/interrupts", root);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "opening %s", path);
	buf = malloc(cap);
	if (!buf) {
		ret = err_sys(e, ENOMEM, "reading %s", path);
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb;

			if (cap >= INTERRUPTS_MAX) {
				ret = err_set(e, EFBIG, "%s is larger than %u MiB", path,
					      INTERRUPTS_MAX >> 20);
				goto out;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				ret = err_sys(e, ENOMEM, "reading %s", path);
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = err_sys(e, errno, "reading %s", path);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*text = buf;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	close(fd);
	return ret;
}

void irq_cpulist_format(const cpu_set_t *cpus, char *buf, size_t size)
{
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE; c++) {
		int last = c;
		int n;

		if (!CPU_ISSET(c, cpus))
			continue;
		while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, cpus))
			last++;
		if (last == c)
			n = snprintf(buf + len, size - len, "%s%d", len ? "," : "", c);
		else
			n = snprintf(buf + len, size - len, "%s%d-%d", len ? "," : "", c, last);
		if (n < 0 || (size_t)n >= size - len)
			return; /* truncated; still NUL-terminated */
		len += (size_t)n;
		c = last;
	}
}

int irq_host_set_affinity(const char *root, int irq, const cpu_set_t *cpus, struct errinfo *e)
{
	char path[512], list[4096];
	size_t len;
	ssize_t n;
	int fd, ret = 0;

	irq_cpulist_format(cpus, list, sizeof(list));
	if (!list[0])
		return err_set(e, EINVAL, "host IRQ %d: empty CPU list", irq);
	len = strlen(list);
	list[len++] = '\n';
	snprintf(path, sizeof(path), "%s/proc/irq/%d/smp_affinity_list", root, irq);
	/* O_TRUNC as a shell's "echo > file" does: procfs ignores it */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "opening %s", path);
	n = write(fd, list, len);
	if (n < 0)
		ret = err_sys(e, errno, "writing '%.*s' to %s", (int)len - 1, list, path);
	else if ((size_t)n != len)
		ret = err_set(e, EIO, "writing '%.*s' to %s: short write", (int)len - 1, list,
			      path);
	if (close(fd) < 0 && !ret)
		ret = err_sys(e, errno, "writing '%.*s' to %s", (int)len - 1, list, path);
	return ret;
}

static bool add_vcpu(unsigned int id, const int *host_cpu, unsigned int nr_vcpus, cpu_set_t *out)
{
	if (id >= nr_vcpus || host_cpu[id] < 0 || host_cpu[id] >= CPU_SETSIZE)
		return false;
	CPU_SET(host_cpu[id], out);
	return true;
}

bool irq_steer_targets(bool posted, uint64_t addr, const int *host_cpu, unsigned int nr_vcpus,
		       cpu_set_t *out)
{
	unsigned int dest = MSI_ADDR_DEST(addr);

	CPU_ZERO(out);
	if (posted || (addr & MSI_ADDR_BASE_MASK) != MSI_ADDR_BASE || (addr >> 32) || !nr_vcpus)
		return false;
	if (!(addr & MSI_ADDR_LOGICAL)) {
		if (dest != 0xff)
			return add_vcpu(dest, host_cpu, nr_vcpus, out);
		/* physical broadcast: every vCPU may take it */
		for (unsigned int i = 0; i < nr_vcpus; i++)
			if (!add_vcpu(i, host_cpu, nr_vcpus, out))
				return false;
		return true;
	}
	/*
	 * Logical flat mode (what Linux uses with up to 8 CPUs): bit i is the
	 * vCPU with APIC ID i.  Cluster mode cannot be decoded without the
	 * guest's LDRs, so it is left alone.
	 */
	if (nr_vcpus > 8 || !dest)
		return false;
	for (unsigned int i = 0; i < 8; i++)
		if ((dest & (1u << i)) && !add_vcpu(i, host_cpu, nr_vcpus, out))
			return false;
	return true;
}

void irq_steer_init(struct irq_steer *s, const char *root)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->root, sizeof(s->root), "%s", root ? root : "");
}

static int steer_fail(struct irq_steer *s, int ret, struct errinfo *e)
{
	s->nr_failed++;
	if (!s->warned) {
		s->warned = true;
		s->warn = *e;
	}
	return ret;
}

int irq_steer_vector(struct irq_steer *s, struct irq_steer_vec *v, const char *action,
		     const char *text, bool posted, uint64_t addr, const int *host_cpu,
		     unsigned int nr_vcpus, struct errinfo *e)
{
	uint32_t key = (uint32_t)addr & IRQ_MSI_DEST_KEY_MASK;
	char *own = NULL;
	cpu_set_t cpus;
	int irq, ret;

	if (!irq_steer_vec_stale(v, addr))
		return 0;
	/* acted on, whatever the outcome: a failure is not retried per unmask */
	v->valid = true;
	v->dest_key = key;
	if (!irq_steer_targets(posted, addr, host_cpu, nr_vcpus, &cpus))
		return 0;
	if (s->set) {
		ret = s->set(s->set_opaque, action, &cpus, e);
		if (ret < 0)
			return steer_fail(s, ret, e);
		s->nr_steered++;
		return 1;
	}
	if (!text) {
		ret = irq_host_read_interrupts(s->root, &own, e);
		if (ret < 0)
			return steer_fail(s, ret, e);
		text = own;
	}
	irq = irq_host_find(text, action);
	free(own);
	if (irq < 0) {
		ret = err_set(e, ENOENT, "no host IRQ named %s in %s/proc/interrupts", action,
			      s->root);
		err_hint(e, "its interrupts are not steered to the vCPUs' CPUs (older kernel?)");
		return steer_fail(s, ret, e);
	}
	ret = irq_host_set_affinity(s->root, irq, &cpus, e);
	if (ret < 0) {
		err_prefix(e, "steering %s", action);
		err_hint(e, "kernel-managed IRQs cannot be moved (EIO); irqbalance may also "
			    "move it back: its interrupts keep working, with an extra IPI");
		return steer_fail(s, ret, e);
	}
	s->nr_steered++;
	return 1;
}
