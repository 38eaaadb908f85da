// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include <stdlib.h>
#include <pci/pci.h>

#include "pci_names.h"

struct pcinames {
	struct pci_access *pacc;
};

/* libpci reports problems through callbacks that print; names are best-effort, so stay quiet. */
static void quiet(char *msg, ...)
{
	(void)msg;
}

struct pcinames *pcinames_open(void)
{
	struct pcinames *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->pacc = pci_alloc();
	if (!n->pacc) {
		free(n);
		return NULL;
	}
	n->pacc->warning = quiet;
	n->pacc->debug = quiet;
	/* Only the ID database is used: no device access, no network (DNS) lookups. */
	n->pacc->numeric_ids = 0;
	return n;
}

void pcinames_close(struct pcinames *n)
{
	if (!n)
		return;
	pci_cleanup(n->pacc);
	free(n);
}

const char *pcinames_device(struct pcinames *n, unsigned int vendor, unsigned int device, char *buf,
			    size_t size)
{
	char vbuf[256], dbuf[256];
	const char *v = NULL, *d = NULL;

	if (n) {
		v = pci_lookup_name(n->pacc, vbuf, sizeof(vbuf),
				    PCI_LOOKUP_VENDOR | PCI_LOOKUP_NO_NUMBERS, vendor);
		d = pci_lookup_name(n->pacc, dbuf, sizeof(dbuf),
				    PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS, vendor, device);
	}
	if (v && d)
		snprintf(buf, size, "%s %s", v, d);
	else if (v)
		snprintf(buf, size, "%s device %04x", v, device);
	else
		snprintf(buf, size, "%04x:%04x", vendor, device);
	return buf;
}
