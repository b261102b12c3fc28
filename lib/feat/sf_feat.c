/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow features: Welford's updates over exact integer sums (sf_feat.h
 * says what and why). tools/featref.py repeats every floating-point
 * operation here in the same order; change one, change the other.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "sf_feat.h"

_Static_assert(sizeof(struct sf_feat) % 8 == 0, "the SPLT tail starts 8-aligned");
_Static_assert(SF_FEAT_SPLT_MAX <= UINT8_MAX, "splt_n and splt_len are uint8_t");

#define NS_PER_MS 1e6

/* The SPLT tail of n entries: gaps, then sizes, then direction bits. */
static inline uint16_t *
splt_ps(const struct sf_feat *f)
{
	return (uint16_t *)(uintptr_t)(f->splt + f->splt_n);
}

static inline uint8_t *
splt_dir(const struct sf_feat *f)
{
	return (uint8_t *)(splt_ps(f) + f->splt_n);
}

size_t
sf_feat_size(unsigned int splt_n)
{
	size_t n = splt_n < SF_FEAT_SPLT_MAX ? splt_n : SF_FEAT_SPLT_MAX;

	return (sizeof(struct sf_feat) + n * (sizeof(uint32_t) + sizeof(uint16_t)) +
			(n + 7) / 8 + 7) & ~(size_t)7;
}

int
sf_feat_init(struct sf_feat *f, unsigned int splt_n)
{
	if (splt_n > SF_FEAT_SPLT_MAX)
		return -EINVAL;
	memset(f, 0, sf_feat_size(splt_n));
	f->splt_n = (uint8_t)splt_n;
	return 0;
}

/*
 * Welford's M2 after adding x, the k-th value (k >= 1) of a stream whose
 * first k - 1 values sum to sum_old: m2 + (x - mean_old) * (x - mean_new),
 * the means taken from the exact sums (*mean holds the last update's,
 * which is this one's mean_old: one division per update). The product is rounded to double
 * before the addition (volatile: no fused multiply-add, whatever -march
 * says), as Python does it.
 */
static inline double
m2_add(double m2, double *mean, uint64_t x, uint64_t sum_old, uint64_t k)
{
	volatile double p;
	double xd = (double)x;
	/* The old mean is the last update's new one, the same division: one per update. */
	double mean_new = (double)(sum_old + x) / (double)k;

	if (k >= 2) {
		p = (xd - *mean) * (xd - mean_new);
		m2 += p;
	}
	*mean = mean_new;
	return m2;
}

/* A gap into a stream's min/max; k counts the gaps with this one. */
static inline void
gap_minmax(uint64_t *min, uint64_t *max, uint64_t gap, uint64_t k)
{
	if (k == 1 || gap < *min)
		*min = gap;
	if (k == 1 || gap > *max)
		*max = gap;
}

void
sf_feat_packet(struct sf_feat *f, unsigned int dir, uint64_t ts_ns, uint32_t ip_len)
{
	struct sf_feat_dir *d = &f->dir[dir & 1];
	uint64_t before = f->dir[0].packets + f->dir[1].packets;
	uint64_t bytes_before = f->dir[0].bytes + f->dir[1].bytes;
	uint64_t gap = 0;

	/* Both ways: the gap to the flow's newest packet. */
	if (before == 0) {
		f->first_ns = ts_ns;
	} else {
		uint64_t newest = f->dir[0].last_ns > f->dir[1].last_ns ?
			f->dir[0].last_ns : f->dir[1].last_ns;

		gap = ts_ns > newest ? ts_ns - newest : 0;
		gap_minmax(&f->piat_min_ns, &f->piat_max_ns, gap, before);
		f->piat_m2 = m2_add(f->piat_m2, &f->piat_mean, gap, newest - f->first_ns, before);
	}
	f->ps_m2 = m2_add(f->ps_m2, &f->ps_mean, ip_len, bytes_before, before + 1);

	if (before < f->splt_n) {
		uint64_t us = gap / 1000;

		f->splt[before] = us < UINT32_MAX ? (uint32_t)us : UINT32_MAX;
		splt_ps(f)[before] = ip_len < UINT16_MAX ? (uint16_t)ip_len : UINT16_MAX;
		if (dir & 1)
			splt_dir(f)[before / 8] |= (uint8_t)(1u << (before % 8));
		f->splt_len = (uint8_t)(before + 1);
	}

	/* This direction. */
	if (d->packets == 0) {
		d->first_ns = ts_ns;
		d->last_ns = ts_ns;
	} else {
		uint64_t dgap = ts_ns > d->last_ns ? ts_ns - d->last_ns : 0;

		gap_minmax(&d->piat_min_ns, &d->piat_max_ns, dgap, d->packets);
		d->piat_m2 = m2_add(d->piat_m2, &d->piat_mean, dgap, d->last_ns - d->first_ns,
				d->packets);
		d->last_ns += dgap;
	}
	if (d->packets == 0 || ip_len < d->ps_min)
		d->ps_min = ip_len;
	if (ip_len > d->ps_max)
		d->ps_max = ip_len;
	d->ps_m2 = m2_add(d->ps_m2, &d->ps_mean, ip_len, d->bytes, d->packets + 1);
	d->packets++;
	d->bytes += ip_len;
}

/* The size statistics of n packets of total bytes and Welford m2. */
static void
ps_result(struct sf_flow_feat *out, unsigned int w, uint64_t n, uint64_t bytes, double m2)
{
	out->packets[w] = n;
	out->ps_mean[w] = n > 0 ? (double)bytes / (double)n : 0;
	out->ps_stddev[w] = n > 1 ? sqrt(m2 / (double)(n - 1)) : 0;
}

/* The gap statistics of n packets (n - 1 gaps summing to sum_ns). */
static void
piat_result(struct sf_flow_feat *out, unsigned int w, uint64_t n, uint64_t sum_ns,
		uint64_t min_ns, uint64_t max_ns, double m2)
{
	uint64_t g = n > 0 ? n - 1 : 0;

	if (g == 0)
		return;	/* zeros, as nfstream gives */
	out->piat_min_ms[w] = (double)min_ns / NS_PER_MS;
	out->piat_max_ms[w] = (double)max_ns / NS_PER_MS;
	out->piat_mean_ms[w] = (double)sum_ns / (double)g / NS_PER_MS;
	out->piat_stddev_ms[w] = g > 1 ? sqrt(m2 / (double)(g - 1)) / NS_PER_MS : 0;
}

void
sf_feat_result(const struct sf_feat *f, struct sf_flow_feat *out)
{
	const struct sf_feat_dir *a = &f->dir[0], *b = &f->dir[1];
	unsigned int w;

	memset(out, 0, sizeof(*out));
	for (w = 0; w < 2; w++) {
		const struct sf_feat_dir *d = &f->dir[w];

		out->ps_min[w] = d->ps_min;
		out->ps_max[w] = d->ps_max;
		ps_result(out, w, d->packets, d->bytes, d->ps_m2);
		piat_result(out, w, d->packets, d->last_ns - d->first_ns, d->piat_min_ns,
				d->piat_max_ns, d->piat_m2);
	}
	if (a->packets == 0 || (b->packets != 0 && b->ps_min < a->ps_min))
		out->ps_min[SF_FEAT_BIDIR] = b->ps_min;
	else
		out->ps_min[SF_FEAT_BIDIR] = a->ps_min;
	out->ps_max[SF_FEAT_BIDIR] = a->ps_max > b->ps_max ? a->ps_max : b->ps_max;
	ps_result(out, SF_FEAT_BIDIR, a->packets + b->packets, a->bytes + b->bytes, f->ps_m2);
	piat_result(out, SF_FEAT_BIDIR, a->packets + b->packets,
			(a->last_ns > b->last_ns ? a->last_ns : b->last_ns) - f->first_ns,
			f->piat_min_ns, f->piat_max_ns, f->piat_m2);
}

unsigned int
sf_feat_splt(const struct sf_feat *f, unsigned int from, struct sf_feat_splt_entry *out,
		unsigned int cap)
{
	const uint16_t *ps = splt_ps(f);
	const uint8_t *dir = splt_dir(f);
	unsigned int i, n = 0;

	for (i = from; i < f->splt_len && n < cap; i++, n++) {
		out[n].gap_us = f->splt[i];
		out[n].ps = ps[i];
		out[n].dir = (uint8_t)((dir[i / 8] >> (i % 8)) & 1);
		out[n].pad = 0;
	}
	return n;
}
