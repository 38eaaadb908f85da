// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfvm's side of tests/bench/bench_gpu_placement.sh: plan the 64-bit MMIO
 * window for N identical GPUs with mmio_plan_build(), the computation
 * `vfvm run` and `vfvm check` make, and print where the BARs land, the
 * span they take and the time one plan takes (median of many calls).
 *
 *   plan_gpus [-n N] [--mem SIZE] [--bits B] [--calls C] [--ports on|off|both]
 *             [--resource PATH | --bar I=SIZE ...]
 *
 * Each device is either the sysfs resource file at PATH (default the H200
 * fixture, tests/data/gpu-h200/resource) or the 64-bit prefetchable BARs
 * given with --bar (e.g. --bar 2=256G: the BAR2 of QEMU's ivshmem-plain),
 * so the bench plans the peer's exact devices.  One line per layout:
 *   plan ports=on devs=8 base=0x.. size=0x.. bars=0x.. need=0x.. lo=0x.. hi=0x..
 *        span=0x.. aligned=yes build_ns=N
 * (lo/hi: the lowest and the highest byte of the planned BARs and root port
 * windows; aligned: every BAR on a multiple of its size) and per BAR
 *   bar dev=K bar=I size=0x.. gpa=0x..
 * Exits 1 with a message when an argument or the plan is refused.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "errinfo.h"
#include "mmio_plan.h"
#include "vm.h"

#define MAX_CALLS 100001

struct opts {
	unsigned int n, bits, calls;
	uint64_t mem;
	const char *resource;
	struct mmio_plan_dev bar_dev; /* from --bar */
	bool have_bar, ports_on, ports_off;
};

static int parse_size(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;
	unsigned int shift = 0;

	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	case '\0':
		break;
	default:
		return -EINVAL;
	}
	if (shift && end[1] != '\0')
		return -EINVAL;
	if (x > (UINT64_MAX >> shift))
		return -ERANGE;
	*v = (uint64_t)x << shift;
	return 0;
}

static int usage(const char *why, const char *arg)
{
	fprintf(stderr, "plan_gpus: %s%s%s\n", why, arg ? ": " : "", arg ? arg : "");
	fprintf(stderr, "usage: plan_gpus [-n N] [--mem SIZE] [--bits B] [--calls C] "
			"[--ports on|off|both] [--resource PATH | --bar I=SIZE ...]\n");
	return 1;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t x;

		if (!v)
			return usage("missing value after", a);
		i++;
		if (!strcmp(a, "-n")) {
			o->n = (unsigned int)strtoul(v, NULL, 0);
			if (o->n < 1 || o->n > MMIO_PLAN_MAX_DEVS)
				return usage("-n wants 1 to 32 devices, got", v);
		} else if (!strcmp(a, "--mem")) {
			if (parse_size(v, &o->mem) || !o->mem)
				return usage("--mem wants a size such as 1T, got", v);
		} else if (!strcmp(a, "--bits")) {
			o->bits = (unsigned int)strtoul(v, NULL, 0);
			if (o->bits < 36 || o->bits > 52)
				return usage("--bits wants 36 to 52, got", v);
		} else if (!strcmp(a, "--calls")) {
			o->calls = (unsigned int)strtoul(v, NULL, 0);
			if (o->calls < 1 || o->calls > MAX_CALLS)
				return usage("--calls wants 1 to 100001, got", v);
		} else if (!strcmp(a, "--ports")) {
			o->ports_on = !strcmp(v, "on") || !strcmp(v, "both");
			o->ports_off = !strcmp(v, "off") || !strcmp(v, "both");
			if (!o->ports_on && !o->ports_off)
				return usage("--ports wants on, off or both, got", v);
		} else if (!strcmp(a, "--resource")) {
			o->resource = v;
		} else if (!strcmp(a, "--bar")) {
			char *end;
			unsigned long b = strtoul(v, &end, 10);

			if (end == v || *end != '=' || b >= MMIO_PLAN_BARS ||
			    parse_size(end + 1, &x) || x == 0 || (x & (x - 1)))
				return usage("--bar wants I=SIZE (BAR 0-5, a power of two such as "
					     "256G), got",
					     v);
			o->bar_dev.bar_size[b] = x;
			o->bar_dev.prefetch |= 1u << b;
			o->have_bar = true;
		} else {
			return usage("unknown argument", a);
		}
	}
	return 0;
}

/* The device every GPU is: --bar's BARs or the resource file's. */
static int load_dev(const struct opts *o, struct mmio_plan_dev *d)
{
	char text[4096];
	size_t n;
	FILE *f;
	int r;

	if (o->have_bar) {
		*d = o->bar_dev;
		return 0;
	}
	f = fopen(o->resource, "r");
	if (!f) {
		fprintf(stderr,
			"plan_gpus: cannot open %s: %s (errno %d); run from the "
			"repository root or give --resource\n",
			o->resource, strerror(errno), errno);
		return -1;
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	memset(d, 0, sizeof(*d));
	r = mmio_plan_dev_from_resource(text, d);
	if (r <= 0) {
		fprintf(stderr, "plan_gpus: %s: %s\n", o->resource,
			r < 0 ? "a line does not parse as \"start end flags\"" : "no 64-bit BAR");
		return -1;
	}
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Plan once for the output, then @o->calls more times for the median. */
static int one_layout(const struct opts *o, const struct mmio_plan_dev *proto, bool port,
		      struct mmio_plan *p, uint64_t *ns)
{
	struct mmio_plan_dev d[MMIO_PLAN_MAX_DEVS];
	struct mmio_plan_in in = {
		.dev = d,
		.nr_dev = o->n,
		.ram_top = vm_ram_top(o->mem),
		.phys_bits = o->bits,
	};
	struct errinfo e = {0};
	uint64_t t0;

	for (unsigned int k = 0; k < o->n; k++) {
		d[k] = *proto;
		d[k].port = port;
		snprintf(d[k].name, sizeof(d[k].name), "gpu%u", k);
	}
	if (mmio_plan_build(&in, p, &e) < 0) {
		fprintf(stderr, "plan_gpus: ports=%s: %s%s%s\n", port ? "on" : "off", e.msg,
			e.hint[0] ? " -> " : "", e.hint);
		return -1;
	}
	for (unsigned int c = 0; c < o->calls; c++) {
		t0 = now_ns();
		mmio_plan_build(&in, p, &e);
		ns[c] = now_ns() - t0;
	}
	qsort(ns, o->calls, sizeof(*ns), cmp_u64);
	return 0;
}

static void print_layout(const struct mmio_plan *p, bool port, uint64_t build_ns)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	bool aligned = true;

	for (unsigned int k = 0; k < p->nr_dev; k++) {
		if (p->block_size[k]) {
			lo = p->block_base[k] < lo ? p->block_base[k] : lo;
			if (p->block_base[k] + p->block_size[k] - 1 > hi)
				hi = p->block_base[k] + p->block_size[k] - 1;
		}
		for (int b = 0; b < MMIO_PLAN_BARS; b++) {
			uint64_t gpa = p->bar_gpa[k][b], size = p->dev[k].bar_size[b];

			if (!gpa || !size)
				continue;
			lo = gpa < lo ? gpa : lo;
			hi = gpa + size - 1 > hi ? gpa + size - 1 : hi;
			if (gpa % size)
				aligned = false;
		}
	}
	if (lo > hi)
		lo = hi = 0;
	printf("plan ports=%s devs=%u base=0x%" PRIx64 " size=0x%" PRIx64 " bars=0x%" PRIx64
	       " need=0x%" PRIx64 " lo=0x%" PRIx64 " hi=0x%" PRIx64 " span=0x%" PRIx64
	       " aligned=%s build_ns=%" PRIu64 "\n",
	       port ? "on" : "off", p->nr_dev, p->base, p->size, p->bars, p->need, lo, hi,
	       hi ? hi - lo + 1 : 0, aligned ? "yes" : "no", build_ns);
	for (unsigned int k = 0; k < p->nr_dev; k++)
		for (int b = 0; b < MMIO_PLAN_BARS; b++)
			if (p->bar_gpa[k][b])
				printf("bar dev=%u bar=%d size=0x%" PRIx64 " gpa=0x%" PRIx64 "\n",
				       k, b, p->dev[k].bar_size[b], p->bar_gpa[k][b]);
}

int main(int argc, char **argv)
{
	struct opts o = {
		.n = 8,
		.bits = 46,
		.calls = 1001,
		.mem = 1ULL << 40,
		.resource = "tests/data/gpu-h200/resource",
		.ports_on = true,
		.ports_off = true,
	};
	struct mmio_plan_dev proto;
	struct mmio_plan *p;
	uint64_t *ns;
	int rc = 0;

	if (parse_args(argc, argv, &o) || load_dev(&o, &proto))
		return 1;
	p = calloc(1, sizeof(*p));
	ns = calloc(o.calls, sizeof(*ns));
	if (!p || !ns) {
		fprintf(stderr, "plan_gpus: out of memory\n");
		return 1;
	}
	for (int port = 1; port >= 0; port--) {
		if (!(port ? o.ports_on : o.ports_off))
			continue;
		if (one_layout(&o, &proto, port, p, ns)) {
			rc = 1;
			continue;
		}
		print_layout(p, port, ns[o.calls / 2]);
	}
	free(ns);
	free(p);
	return rc;
}
