/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small AML byte emitter: just what the DSDT needs (names, integers,
 * strings, packages, buffers, scopes, devices).  Nested terms are built in
 * their own struct aml and then wrapped with their package length.
 * Allocation failure is sticky: check aml.err once at the end.
 */
#ifndef VFVM_AML_H
#define VFVM_AML_H

#include <stddef.h>
#include <stdint.h>

struct aml {
	uint8_t *buf;
	size_t len, cap;
	int err;
};

void aml_init(struct aml *a);
void aml_free(struct aml *a);
void aml_bytes(struct aml *a, const void *p, size_t n);
void aml_byte(struct aml *a, uint8_t b);
/* Integer in the shortest encoding (Zero/One/Byte/Word/DWord/QWord). */
void aml_int(struct aml *a, uint64_t v);
/* NameString: 4-char segments separated by '.', optional leading '\\'. */
void aml_namestring(struct aml *a, const char *name);
void aml_string(struct aml *a, const char *s);
/* Name(NAME, <term already in @val>) */
void aml_name(struct aml *a, const char *name, const struct aml *val);
void aml_name_int(struct aml *a, const char *name, uint64_t v);
/* EISA ID "PNP0A08" as the 32-bit compressed integer */
uint32_t aml_eisaid(const char *id);
/* Scope/Device/Package/Buffer around @body */
void aml_scope(struct aml *a, const char *name, const struct aml *body);
void aml_device(struct aml *a, const char *name, const struct aml *body);
void aml_package(struct aml *a, unsigned int nr, const struct aml *elems);
void aml_buffer(struct aml *a, const struct aml *data);
/* PkgLength encoding for @len bytes of content (which the length includes). */
void aml_pkglen(struct aml *a, size_t content_len);

#endif
