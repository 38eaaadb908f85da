// SPDX-License-Identifier: GPL-2.0-only
/* Guest NUMA that mirrors host nodes (see numa.h). */
#include <errno.h>
#include <linux/mempolicy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "numa.h"
#include "vm.h"

static void list_nodes(const int *nodes, unsigned int n, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%d", i ? "," : "", nodes[i]);
}

static void list_cpus(const cpu_set_t *s, char *buf, size_t size)
{
	size_t len = 0;
	bool first = true;

	buf[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE && len < size; c++) {
		int end = c;

		if (!CPU_ISSET(c, s))
			continue;
		while (end + 1 < CPU_SETSIZE && CPU_ISSET(end + 1, s))
			end++;
		len += (size_t)(end > c ? snprintf(buf + len, size - len, "%s%d-%d",
						   first ? "" : ",", c, end)
					: snprintf(buf + len, size - len, "%s%d", first ? "" : ",",
						   c));
		first = false;
		c = end;
	}
}

/* Insert @node into the ascending list @w (no duplicates). */
static void add_node(int *w, unsigned int *n, int node)
{
	unsigned int i = 0;

	while (i < *n && w[i] < node)
		i++;
	if (i < *n && w[i] == node)
		return;
	memmove(w + i + 1, w + i, sizeof(*w) * (*n - i));
	w[i] = node;
	(*n)++;
}

/* The host nodes to mirror, ascending: see numa.h. */
static int wanted_nodes(const struct numa_in *in, int *w, unsigned int *n, struct errinfo *e)
{
	const struct host_numa *h = in->host;

	*n = 0;
	for (unsigned int d = 0; d < in->nr_devs; d++) {
		if (in->dev_node[d] < 0)
			continue; /* unknown: the front end warned */
		if (host_numa_index(h, in->dev_node[d]) < 0)
			return err_set(e, EINVAL,
				       "--numa: %s is on host node %d, which is not online",
				       in->dev_name[d], in->dev_node[d]);
		add_node(w, n, in->dev_node[d]);
	}
	if (!*n || in->cpus_given)
		for (int c = 0; c < CPU_SETSIZE; c++) {
			int node = CPU_ISSET(c, in->cpus) ? host_numa_cpu_node(h, c) : -1;

			if (node >= 0)
				add_node(w, n, node);
		}
	if (!*n) {
		char cpus[256];

		list_cpus(in->cpus, cpus, sizeof(cpus));
		return err_set(e, EINVAL, "--numa: no online host node holds CPU%s %s",
			       CPU_COUNT(in->cpus) == 1 ? "" : "s", cpus);
	}
	return 0;
}

/* The device that made host node @node wanted, for messages ("" none). */
static const char *node_reason(const struct numa_in *in, int node)
{
	for (unsigned int d = 0; d < in->nr_devs; d++)
		if (in->dev_node[d] == node)
			return in->dev_name[d];
	return "";
}

static int place_cpus(const struct numa_in *in, struct numa_plan *p, struct errinfo *e)
{
	unsigned int next = 0;

	for (unsigned int i = 0; i < p->nr; i++) {
		struct numa_node *g = &p->node[i];
		int hi = host_numa_index(in->host, g->host_node), k = 0;

		CPU_AND(&g->host_cpus, &in->host->cpus[hi], in->cpus);
		if (!CPU_COUNT(&g->host_cpus)) {
			char allowed[256], node_cpus[256];
			const char *dev = node_reason(in, g->host_node);

			list_cpus(in->cpus, allowed, sizeof(allowed));
			list_cpus(&in->host->cpus[hi], node_cpus, sizeof(node_cpus));
			err_set(e, EINVAL,
				"--numa: guest node %u mirrors host node %d%s%s, but none of "
				"the CPUs the vCPUs may use (%s) is on it (its CPUs: %s)",
				i, g->host_node, *dev ? " of " : "", dev, allowed,
				node_cpus[0] ? node_cpus : "none");
			if (in->cpus_given && node_cpus[0])
				err_hint(e, "add CPUs of node %d to --cpu-affinity", g->host_node);
			else if (node_cpus[0])
				err_hint(e,
					 "vfvm's CPU affinity (taskset, cpuset) keeps it off "
					 "node %d",
					 g->host_node);
			return -EINVAL;
		}
		g->first_cpu = next;
		g->nr_cpus = in->nr_cpus / p->nr + (i < in->nr_cpus % p->nr);
		next += g->nr_cpus;
		/* vCPU j of the node on the node's j-th usable CPU, wrapping */
		for (unsigned int j = 0; j < g->nr_cpus; j++) {
			int c = -1, want = (int)(j % (unsigned int)CPU_COUNT(&g->host_cpus));

			for (k = 0; k < CPU_SETSIZE; k++)
				if (CPU_ISSET(k, &g->host_cpus) && want-- == 0) {
					c = k;
					break;
				}
			p->host_cpu[g->first_cpu + j] = c;
		}
	}
	return 0;
}

int numa_plan_build(const struct numa_in *in, struct numa_plan *p, struct errinfo *e)
{
	int w[HOST_NUMA_MAX_NODES];
	uint64_t total = in->mem_size, granule = NUMA_MIN_NODE_RAM, share;
	unsigned int n;
	char nodes[256];
	int ret;

	memset(p, 0, sizeof(*p));
	if (in->hugepage_size) {
		/* vm_create() backs RAM with whole pages: split what it will have */
		total = (total + in->hugepage_size - 1) / in->hugepage_size * in->hugepage_size;
		if (in->hugepage_size > granule)
			granule = in->hugepage_size;
	}
	ret = wanted_nodes(in, w, &n, e);
	if (ret)
		return ret;
	list_nodes(w, n, nodes, sizeof(nodes));
	if (n > NUMA_MAX_NODES)
		return err_set(e, EINVAL,
			       "--numa: %u host nodes (%s) to mirror; vfvm makes at most %d", n,
			       nodes, NUMA_MAX_NODES);
	if (n > in->nr_cpus || in->nr_cpus > NUMA_MAX_VCPUS) {
		err_set(e, EINVAL,
			"--numa: %u guest nodes (mirroring host nodes %s) need at least %u "
			"vCPUs, one each; --cpus is %u",
			n, nodes, n, in->nr_cpus);
		err_hint(e, "give --cpus %u or more", n);
		return -EINVAL;
	}
	share = total / n / granule * granule;
	if (share < NUMA_MIN_NODE_RAM) {
		uint64_t need = n * (granule > NUMA_MIN_NODE_RAM ? granule : NUMA_MIN_NODE_RAM);

		err_set(e, EINVAL,
			"--numa: %u guest node%s (mirroring host node%s %s) need%s at least "
			"%llu MiB of RAM each; --mem %llu MiB gives %llu MiB per node",
			n, n == 1 ? "" : "s", n == 1 ? "" : "s", nodes, n == 1 ? "s" : "",
			NUMA_MIN_NODE_RAM >> 20, (unsigned long long)(total >> 20),
			(unsigned long long)(total / n >> 20));
		err_hint(e, "give --mem %lluM or more", (unsigned long long)(need >> 20));
		return -EINVAL;
	}
	p->nr = n;
	p->ram_total = total;
	p->nr_cpus = in->nr_cpus;
	for (unsigned int i = 0; i < n; i++) {
		struct numa_node *g = &p->node[i];
		int hi = host_numa_index(in->host, w[i]);

		g->host_node = w[i];
		g->ram_off = share * i;
		g->ram_size = i + 1 < n ? share : total - share * i;
		g->bind = in->host->has_memory[hi];
		for (unsigned int j = 0; j < n; j++)
			p->dist[i][j] = in->host->dist[hi][host_numa_index(in->host, w[j])];
	}
	ret = place_cpus(in, p, e);
	if (ret)
		p->nr = 0;
	return ret;
}

int numa_plan_guest_node(const struct numa_plan *p, int host_node)
{
	for (unsigned int i = 0; i < p->nr; i++)
		if (p->node[i].host_node == host_node)
			return (int)i;
	return -1;
}

int numa_plan_add_pxm(struct numa_plan *p, unsigned int slot, int host_node)
{
	int g = numa_plan_guest_node(p, host_node);

	if (g < 0 || p->nr_pxm == PCI_MAX_SLOTS)
		return -1;
	p->pxm[p->nr_pxm++] = (struct numa_pxm){slot, (unsigned int)g};
	return g;
}

/* RAM offset @off as a guest address (vm.c: low RAM up to 3 GiB, the rest from 4 GiB). */
static uint64_t off_to_gpa(uint64_t off)
{
	return off < VM_LOW_RAM_MAX ? off : off - VM_LOW_RAM_MAX + VM_HIGH_RAM_BASE;
}

unsigned int numa_node_ranges(const struct numa_plan *p, unsigned int i, struct numa_range out[2])
{
	const struct numa_node *g = &p->node[i];
	uint64_t a = g->ram_off, b = g->ram_off + g->ram_size;
	unsigned int n = 0;

	if (a < VM_LOW_RAM_MAX) {
		uint64_t end = b < VM_LOW_RAM_MAX ? b : VM_LOW_RAM_MAX;

		out[n++] = (struct numa_range){a, end - a};
		a = end;
	}
	if (a < b)
		out[n++] = (struct numa_range){off_to_gpa(a), b - a};
	return n;
}

int numa_plan_affinity(const struct numa_plan *p, char *buf, size_t size)
{
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	for (unsigned int i = 0; i < p->nr_cpus; i++) {
		int n = snprintf(buf + len, size - len, "%s%d", i ? "," : "", p->host_cpu[i]);

		if (n < 0 || (size_t)n >= size - len)
			return -ENOSPC;
		len += (size_t)n;
	}
	return 0;
}

void numa_plan_acpi(const struct numa_plan *p, struct numa_acpi *s, struct acpi_cfg *c)
{
	unsigned int nm = 0;

	for (unsigned int i = 0; i < p->nr; i++) {
		struct numa_range r[2];
		unsigned int nr = numa_node_ranges(p, i, r);

		for (unsigned int j = 0; j < p->node[i].nr_cpus; j++)
			s->cpu_pxm[p->node[i].first_cpu + j] = i;
		for (unsigned int k = 0; k < nr; k++)
			s->mem[nm++] = (struct acpi_numa_mem){r[k].gpa, r[k].size, i};
		for (unsigned int j = 0; j < p->nr; j++)
			s->slit[i * p->nr + j] = p->dist[i][j];
	}
	c->bridge_has_pxm = p->nr_pxm > 0;
	for (unsigned int i = 0; i < p->nr_pxm; i++) {
		s->pxm[i] = (struct acpi_pxm){p->pxm[i].slot, p->pxm[i].node};
		if (p->pxm[i].node != p->pxm[0].node)
			c->bridge_has_pxm = false;
	}
	/* all the devices on one node: the bus is there too (what Linux reads) */
	c->bridge_pxm = c->bridge_has_pxm ? p->pxm[0].node : 0;
	c->nr_nodes = p->nr;
	c->cpu_pxm = s->cpu_pxm;
	c->mem = s->mem;
	c->nr_mem = nm;
	c->slit = s->slit;
	c->pxm = s->pxm;
	c->nr_pxm = p->nr_pxm;
}

/* ROOT/sys/devices/system/node/node@node/hugepages/hugepages-<kB>kB/@file as a number. */
static int node_hugepages(const char *root, int node, uint64_t page, const char *file, char *path,
			  size_t size, unsigned long long *v)
{
	char buf[64], *end;
	FILE *f;

	snprintf(path, size, "%s/sys/devices/system/node/node%d/hugepages/hugepages-%llukB/%s",
		 root, node, (unsigned long long)(page >> 10), file);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*v = strtoull(buf, &end, 10);
	return end == buf ? -EINVAL : 0;
}

int numa_plan_check_hugepages(const struct numa_plan *p, const char *root, uint64_t page,
			      struct errinfo *e)
{
	root = root ? root : "";
	for (unsigned int i = 0; i < p->nr; i++) {
		const struct numa_node *g = &p->node[i];
		unsigned long long need = (g->ram_size + page - 1) / page, free_pages, total;
		char path[512], nr_path[512];

		if (!g->bind || node_hugepages(root, g->host_node, page, "free_hugepages", path,
					       sizeof(path), &free_pages) < 0)
			continue;
		if (free_pages >= need)
			continue;
		err_set(e, ENOMEM,
			"--numa: guest node %u needs %llu huge pages of %llu KiB on host node "
			"%d, which has %llu free (%s)",
			i, need, (unsigned long long)(page >> 10), g->host_node, free_pages, path);
		if (node_hugepages(root, g->host_node, page, "nr_hugepages", nr_path,
				   sizeof(nr_path), &total) == 0)
			err_hint(e, "write %llu to %s", total + need - free_pages, nr_path);
		return -ENOMEM;
	}
	return 0;
}

int numa_plan_bind(const struct numa_plan *p, const struct guest_mem *m, struct errinfo *e)
{
	if (p->ram_total != m->total)
		return err_set(e, EINVAL, "--numa: the plan splits %llu MiB, guest RAM is %llu MiB",
			       (unsigned long long)(p->ram_total >> 20),
			       (unsigned long long)(m->total >> 20));
	for (unsigned int i = 0; i < p->nr; i++) {
		const struct numa_node *g = &p->node[i];
		unsigned long mask = 1UL << g->host_node;

		if (!g->bind)
			continue;
		/* the node's part of each region (regions are memfd ranges, in order) */
		for (int r = 0; r < m->nr_regions; r++) {
			const struct guest_mem_region *reg = &m->region[r];
			uint64_t a = g->ram_off, b = g->ram_off + g->ram_size;

			if (a < reg->fd_offset)
				a = reg->fd_offset;
			if (b > reg->fd_offset + reg->size)
				b = reg->fd_offset + reg->size;
			if (a >= b)
				continue;
			/* maxnode counts one past the last bit the kernel reads */
			if (syscall(SYS_mbind, reg->hva + (a - reg->fd_offset), b - a, MPOL_BIND,
				    &mask, sizeof(mask) * 8 + 1, 0) < 0)
				return err_sys(e, errno,
					       "--numa: mbind(MPOL_BIND) of guest node %u's RAM "
					       "(guest 0x%llx, %llu MiB) to host node %d",
					       i, (unsigned long long)off_to_gpa(a),
					       (unsigned long long)((b - a) >> 20), g->host_node);
		}
	}
	return 0;
}
