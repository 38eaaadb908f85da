// SPDX-License-Identifier: GPL-2.0-only
/*
 * The one MSI-X model (src/devices/msix.c) as a guest drives it: table and
 * PBA reads and writes of any size at any offset, Message Control enable
 * and function mask, device interrupts, with a recording interrupt source
 * (tests/unit/helpers/fake_vfio.c) behind it.  Checked against a model of
 * what the guest wrote: table reads give back the written entries (reserved
 * bits zero), anything outside the rules reads all-ones, and in the end
 * every deliverable vector, and only those, has its irqfd attached with
 * the route the guest programmed.
 *
 * Input: vector count (2 bytes), a flag byte (interrupt sources or not),
 * then operations: kind, offset, size, value.
 */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "helpers/fake_vfio.h"
#include "msix.h"

/* the guest's view of the table, as the rules say it must read */
struct model {
	uint32_t *w; /* 4 words per entry */
	bool enabled, func_masked;
};

static void check_read(const struct msix *m, const struct model *md, uint64_t off,
		       const uint8_t *data, uint32_t len)
{
	uint64_t size = msix_table_size(m);

	if ((len == 4 || len == 8) && !(off & (len - 1)) && off < size && len <= size - off) {
		FUZZ_CHECK(!memcmp(data, (const uint8_t *)md->w + off, len));
		return;
	}
	for (uint32_t i = 0; i < len; i++)
		FUZZ_CHECK(data[i] == 0xff);
}

static void model_write(const struct msix *m, struct model *md, uint64_t off, const uint8_t *data,
			uint32_t len)
{
	uint64_t size = msix_table_size(m);
	uint32_t *e;

	if ((len != 4 && len != 8) || (off & (len - 1)) || off >= size || len > size - off)
		return;
	memcpy((uint8_t *)md->w + off, data, len);
	e = md->w + (off / MSIX_ENTRY_SIZE) * 4;
	e[0] &= ~3u;
	e[3] &= 1;
}

static void check_pba(const struct msix *m, uint64_t off, const uint8_t *data, uint32_t len)
{
	uint64_t size = msix_pba_size(m);

	if (off >= size || len > size - off) {
		for (uint32_t i = 0; i < len; i++)
			FUZZ_CHECK(data[i] == 0xff);
		return;
	}
	/* no vector past the table is ever pending */
	for (uint32_t b = 0; b < len * 8; b++)
		if (off * 8 + b >= m->nr)
			FUZZ_CHECK(!(data[b / 8] & (1u << (b % 8))));
}

static void check_delivery(struct msix *m, const struct model *md, const struct fake_irq *fi)
{
	FUZZ_CHECK(m->nr_errors == 0);
	for (unsigned int v = 0; v < m->nr; v++) {
		const uint32_t *e = md->w + v * 4;
		bool deliverable = md->enabled && !md->func_masked && !(e[3] & 1);
		const struct fake_irq_gsi *g;

		FUZZ_CHECK(msix_vector_deliverable(m, v) == deliverable);
		FUZZ_CHECK(m->vec[v].irqfd_on == deliverable);
		if (!deliverable)
			continue;
		g = &fi->gsi[m->vec[v].gsi];
		FUZZ_CHECK(g->used && g->routed && g->irqfd && g->efd == m->vec[v].efd);
		FUZZ_CHECK(g->addr == ((uint64_t)e[1] << 32 | e[0]) && g->data == e[2]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	unsigned int nr = 1 + fuzz_u16(&in) % MSIX_MAX_VECTORS;
	bool sources = (fuzz_u8(&in) & 1) && nr <= 128;
	static struct fake_irq fake; /* 4096 GSIs: reset by fake_irq_init(), not reallocated */
	struct fake_irq *fi = &fake;
	struct model md = {0};
	struct irq_source src;
	struct errinfo e = {0};
	struct msix m;

	md.w = calloc(nr, MSIX_ENTRY_SIZE);
	if (!md.w || msix_model_init(&m, "fuzz", nr, &e) < 0)
		abort();
	for (unsigned int v = 0; v < nr; v++)
		md.w[v * 4 + 3] = 1; /* out of reset masked */
	fake_irq_init(fi, &src);
	msix_attach(&m, &src, NULL);
	if (sources && msix_sources_alloc(&m, &e) < 0)
		abort();
	while (in.n) {
		uint8_t op = fuzz_u8(&in);
		/* mostly offsets near the table; sometimes any 64-bit one */
		uint64_t off = op & 0x80 ? fuzz_u64(&in) : fuzz_u16(&in);
		uint32_t len = fuzz_access_len(fuzz_u8(&in));
		uint64_t val = fuzz_u64(&in);
		uint8_t *buf = malloc(len); /* exactly len bytes: ASan sees overruns */

		if (!buf)
			abort();
		memcpy(buf, &val, len);
		switch (op & 7) {
		case 0:
			msix_table_access(&m, off, buf, len, false);
			check_read(&m, &md, off, buf, len);
			break;
		case 1:
			msix_table_access(&m, off, buf, len, true);
			model_write(&m, &md, off, buf, len);
			break;
		case 2:
			msix_pba_access(&m, off, buf, len, false);
			check_pba(&m, off, buf, len);
			break;
		case 3:
			msix_pba_access(&m, off, buf, len, true);
			break;
		case 4:
			md.enabled = val & 1;
			md.func_masked = val & 2;
			msix_set_ctrl(&m, md.enabled, md.func_masked);
			break;
		case 5: {
			int ret = msix_notify(&m, (unsigned int)(val % (nr + 1)));

			FUZZ_CHECK(sources == (ret == 0) || val % (nr + 1) == nr);
			break;
		}
		case 6: {
			struct msix_vec_info info;

			if (msix_vector_info(&m, (unsigned int)(val & 0xfff), &info) == 0)
				FUZZ_CHECK((val & 0xfff) < nr);
			break;
		}
		default:
			msix_drain(&m);
			break;
		}
		free(buf);
	}
	if (sources)
		check_delivery(&m, &md, fi);
	msix_exit(&m);
	free(md.w);
	return 0;
}
