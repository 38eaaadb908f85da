// SPDX-License-Identifier: GPL-2.0-only
/*
 * The host as vfvm's environment describes it, read once here: the
 * libraries take it as a struct and never read the environment themselves.
 *   VFCTL_SYSFS_ROOT    prefix for /sys (the simulated sysfs, tests)
 *   VFCTL_STATE_DIR     where remembered drivers are kept (vfctl's)
 *   VFVM_VFIO_BACKEND   auto | type1 | iommufd
 *   VFVM_VFIO_PREFAULT  parallel | serial | none | N threads (the bench compares them)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dma.h"
#include "vfvm.h"

static struct vfio_host_opts host;

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

int vfvm_host_init(void)
{
	const char *b = env_or("VFVM_VFIO_BACKEND", "auto");
	const char *p = env_or("VFVM_VFIO_PREFAULT", "parallel");

	host.sysfs_root = env_or("VFCTL_SYSFS_ROOT", "");
	host.state_dir = env_or("VFCTL_STATE_DIR", VFIO_DEFAULT_STATE_DIR);
	if (!strcmp(b, "auto")) {
		host.backend = VFIO_BACKEND_AUTO;
	} else if (!strcmp(b, "type1") || !strcmp(b, "type1v2")) {
		host.backend = VFIO_BACKEND_TYPE1;
	} else if (!strcmp(b, "iommufd")) {
		host.backend = VFIO_BACKEND_IOMMUFD;
	} else {
		fprintf(stderr, "vfvm: VFVM_VFIO_BACKEND=%s: want auto, type1 or iommufd\n", b);
		return -1;
	}
	if (!strcmp(p, "parallel")) {
		host.prefault = VFIO_PREFAULT_PARALLEL;
	} else if (!strcmp(p, "serial")) {
		host.prefault = VFIO_PREFAULT_SERIAL;
	} else if (!strcmp(p, "none")) {
		host.prefault = VFIO_PREFAULT_NONE;
	} else {
		char *end;
		unsigned long n = strtoul(p, &end, 10);

		if (*p < '1' || *p > '9' || *end || n > VFIO_DMA_MAX_PREFAULT_THREADS) {
			fprintf(stderr,
				"vfvm: VFVM_VFIO_PREFAULT=%s: want parallel, serial, none or a "
				"number of threads from 1 to %d\n",
				p, VFIO_DMA_MAX_PREFAULT_THREADS);
			return -1;
		}
		host.prefault = VFIO_PREFAULT_PARALLEL;
		host.prefault_threads = (unsigned int)n;
	}
	return 0;
}

const struct vfio_host_opts *vfvm_host(void)
{
	return &host;
}

void vfvm_host_set_record(struct vm_record_live *record)
{
	host.record = record;
}

void vfvm_host_set_priv(const struct vfio_host_priv *priv)
{
	host.priv = priv;
}
