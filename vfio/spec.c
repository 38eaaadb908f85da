// SPDX-License-Identifier: GPL-2.0-only
/* Parsing the --device option string. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pci_addr.h"
#include "spec.h"

static bool is_uuid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

bool vfio_spec_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= PCI_DEV_ID_MAX || !isalpha((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

/* id=NAME / failover=NETID into @out (PCI_DEV_ID_MAX bytes). */
static int parse_id(const char *bdf, const char *opt, const char *v, char *out, struct errinfo *e)
{
	if (!vfio_spec_id_valid(v)) {
		err_set(e, EINVAL, "--device %s: %s '%s' is not a valid device id", bdf, opt, v);
		err_hint(e, "1 to %d characters of A-Z a-z 0-9 _ . -, starting with a letter",
			 PCI_DEV_ID_MAX - 1);
		return -EINVAL;
	}
	snprintf(out, PCI_DEV_ID_MAX, "%s", v);
	return 0;
}

/* gpudirect-clique=N: a decimal 0-15 (the capability holds it in 4 bits). */
static int parse_clique(const char *bdf, const char *v, int *out, struct errinfo *e)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (!*v || *end || errno || n < 0 || n > VFIO_SPEC_CLIQUE_MAX ||
	    !isdigit((unsigned char)*v)) {
		err_set(e, EINVAL, "--device %s: gpudirect-clique '%s' is not a number 0-%d", bdf,
			v, VFIO_SPEC_CLIQUE_MAX);
		err_hint(e, "GPUs that may DMA to each other share a clique id 0-15");
		return -EINVAL;
	}
	*out = (int)n;
	return 0;
}

int vfio_pci_spec_parse(const char *spec, struct vfio_pci_spec *s, struct errinfo *e)
{
	char buf[1024], *save = NULL, *tok;
	struct bdf addr;
	int ret;

	memset(s, 0, sizeof(*s));
	s->clique = -1;
	if (!spec || !*spec)
		return err_set(
			e, EINVAL,
			"--device needs a PCI address "
			"(BDF[,managed][,vf-token=UUID][,rom=on|off|FILE][,id=NAME][,"
			"failover=NETID][,p2p=on|off][,gpudirect-clique=N][,rootport=on|off])");
	if (strlen(spec) >= sizeof(buf))
		return err_set(e, EINVAL, "--device %.40s...: option string too long", spec);
	/*
	 * strtok_r() skips empty members: ",01:00.1" would pass here while
	 * the control API (api_spec_kind()) takes a SPEC whose first member is
	 * not a PCI address for a disk.  Found by tests/fuzz/fuzz_device_specs.
	 */
	if (spec[0] == ',' || strstr(spec, ",,") || spec[strlen(spec) - 1] == ',')
		return err_set(e, EINVAL, "--device '%s': empty member (a comma too many)", spec);
	strcpy(buf, spec);
	tok = strtok_r(buf, ",", &save);
	if (!tok)
		return err_set(e, EINVAL, "--device '%s': no PCI address", spec);
	ret = bdf_parse(tok, &addr, s->bdf, e);
	if (ret < 0) {
		err_prefix(e, "--device");
		return ret;
	}
	while ((tok = strtok_r(NULL, ",", &save))) {
		if (!strcmp(tok, "managed")) {
			s->managed = true;
		} else if (!strncmp(tok, "vf-token=", 9)) {
			if (!is_uuid(tok + 9))
				return err_set(e, EINVAL,
					       "--device %s: vf-token '%s' is not a UUID", s->bdf,
					       tok + 9);
			snprintf(s->vf_token, sizeof(s->vf_token), "%s", tok + 9);
		} else if (!strcmp(tok, "rom=on")) {
			s->rom = VFIO_ROM_DEVICE;
		} else if (!strcmp(tok, "rom=off")) {
			s->rom = VFIO_ROM_OFF;
		} else if (!strncmp(tok, "rom=", 4) && tok[4]) {
			if (strlen(tok + 4) >= sizeof(s->rom_file))
				return err_set(e, EINVAL, "--device %s: ROM file name too long",
					       s->bdf);
			s->rom = VFIO_ROM_FILE;
			snprintf(s->rom_file, sizeof(s->rom_file), "%s", tok + 4);
		} else if (!strncmp(tok, "id=", 3)) {
			ret = parse_id(s->bdf, "id", tok + 3, s->id, e);
			if (ret < 0)
				return ret;
		} else if (!strncmp(tok, "failover=", 9)) {
			ret = parse_id(s->bdf, "failover", tok + 9, s->failover, e);
			if (ret < 0)
				return ret;
		} else if (!strcmp(tok, "p2p=on") || !strcmp(tok, "p2p=off")) {
			s->no_p2p = !strcmp(tok, "p2p=off");
		} else if (!strcmp(tok, "rootport=on") || !strcmp(tok, "rootport=off")) {
			s->no_rootport = !strcmp(tok, "rootport=off");
		} else if (!strncmp(tok, "gpudirect-clique=", 17)) {
			ret = parse_clique(s->bdf, tok + 17, &s->clique, e);
			if (ret < 0)
				return ret;
		} else {
			err_set(e, EINVAL, "--device %s: unknown option '%s'", s->bdf, tok);
			err_hint(e,
				 "options are managed, vf-token=UUID, rom=on|off|FILE, id=NAME, "
				 "failover=NETID, p2p=on|off, gpudirect-clique=N, rootport=on|off");
			return -EINVAL;
		}
	}
	return 0;
}
