/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small AML byte emitter: just what the DSDT needs (names, integers,
 * strings, packages, buffers, scopes, devices, an I/O operation region
 * with fields, methods with If/And/ShiftLeft/Store/LEqual/LNot/Notify and
 * method calls).  Nested terms are built in their own struct aml and then
 * wrapped with their package length; operands of an expression are terms
 * built the same way (aml_local(), aml_int(), aml_namestring(), ...).
 * Allocation failure is sticky: check aml.err once at the end.
 */
#ifndef VFVM_AML_H
#define VFVM_AML_H

#include <stdbool.h>
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
/* Append the bytes of term @t (and its sticky error). */
void aml_append(struct aml *a, const struct aml *t);

/* LocalN (0-7) and ArgN (0-6) as operands or targets. */
void aml_local(struct aml *a, unsigned int n);
void aml_arg(struct aml *a, unsigned int n);

#define AML_SYSTEM_IO 0x01
/* OperationRegion(NAME, @space, @off, @len) */
void aml_opregion(struct aml *a, const char *name, uint8_t space, uint64_t off, uint64_t len);

/* Field flags: access type | lock rule | update rule */
#define AML_FIELD_DWORD_ACC 0x03
#define AML_FIELD_WRITE_AS_ZEROS 0x40
struct aml_field {
	const char *name; /* one NameSeg */
	unsigned int bits;
};
/* Field(@region, @flags) { name, bits; ... } (consecutive, from bit 0) */
void aml_field(struct aml *a, const char *region, uint8_t flags, const struct aml_field *f,
	       unsigned int nr);

/* Method(NAME, @nargs (0-7), Serialized or NotSerialized) { @body } */
void aml_method(struct aml *a, const char *name, unsigned int nargs, bool serialized,
		const struct aml *body);
/* If (@pred) { @body } */
void aml_if(struct aml *a, const struct aml *pred, const struct aml *body);
/* And/ShiftLeft(@x, @y, @target); a NULL @target stores nowhere (the value is the result). */
void aml_and(struct aml *a, const struct aml *x, const struct aml *y, const struct aml *target);
void aml_shiftleft(struct aml *a, const struct aml *x, const struct aml *y,
		   const struct aml *target);
/* Store(@src, @dst) */
void aml_store(struct aml *a, const struct aml *src, const struct aml *dst);
void aml_lequal(struct aml *a, const struct aml *x, const struct aml *y);
void aml_lnot(struct aml *a, const struct aml *x);
/* Notify(@obj, @value) */
void aml_notify(struct aml *a, const struct aml *obj, const struct aml *value);
/* Call method @name with @args (nargs terms, already concatenated in @args; NULL for none). */
void aml_call(struct aml *a, const char *name, const struct aml *args);

#endif
