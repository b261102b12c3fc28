/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <math.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_prefetch.h>

#include "sf_collector.h"
#include "sf_common.h"

/* An interval some worker has reported but not every worker has closed. */
struct pending {
	struct sf_interval_agg agg;
	bool used;
};

/*
 * Talkers: a bounded heavy-hitter summary (Space-Saving, bucketed). A host
 * hashes to one bucket of TALKER_WAYS slots. A host not in its bucket takes
 * a free slot; in a full bucket it replaces the slot with the fewest bytes
 * and inherits that count as its error (Space-Saving): `bytes` is then an
 * upper bound of the host's bytes and `bytes_err` how far it may be over;
 * packets and flows count from the moment the host got its slot. So memory
 * is fixed whatever the traffic (a flood of random sources cannot grow
 * it), every update is O(1), and while no host was ever replaced every
 * count is exact. Distinct hosts are counted exactly in that case too and
 * estimated with a HyperLogLog sketch otherwise.
 */
#define TALKER_WAYS 8
#define TALKER_BUCKETS_LOG2 14		/* 16384 buckets, 131072 hosts, 7 MiB */
#define HLL_LOG2 12			/* 4096 registers: ~1.6% standard error */
_Static_assert(TALKER_WAYS == 8, "tag_match assumes 8 slots");

/*
 * A bucket's header holds what every update reads: a tag per slot (from
 * the hash; 0 = free) and the slots' byte counts (the Space-Saving
 * counts, scanned for the minimum on replacement), so a lookup touches the
 * header and at most the one slot whose tag matches.
 */
struct talker_bucket {
	uint32_t tag[TALKER_WAYS];
	uint64_t bytes[TALKER_WAYS];
} __rte_aligned(32);

struct host_map {
	struct talker_bucket *bkt;
	struct sf_talker *slots;	/* TALKER_WAYS per bucket; their bytes live
					 * in the header only (set when ranking) */
	uint32_t bmask;
	uint64_t used;			/* slots taken */
	uint64_t replaced;		/* hosts that took another's slot */
	uint8_t hll[1u << HLL_LOG2];
};

struct sf_collector {
	struct sf_collector_params p;
	uint64_t *watermark;		/* per worker */
	unsigned int n_done;
	struct pending *pend;		/* sorted by interval, pend[0] oldest */
	size_t npend;
	size_t cappend;
	struct host_map hosts;
	uint64_t drops_seen[SF_DROP_MAX];	/* input drops already reported */
	struct sf_collector_totals tot;
};

static int
topk_before(const struct sf_flow_topk *a, const struct sf_flow_topk *b)
{
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes;
	return sf_flow_key_cmp(&a->key, &b->key) < 0;
}

unsigned int
sf_topk_merge(struct sf_flow_topk *dst, unsigned int ndst,
		const struct sf_flow_topk *src, unsigned int nsrc)
{
	struct sf_flow_topk out[SF_TOPK];
	unsigned int i = 0, j = 0, n = 0;

	while (n < SF_TOPK && (i < ndst || j < nsrc)) {
		if (j >= nsrc || (i < ndst && topk_before(&dst[i], &src[j])))
			out[n++] = dst[i++];
		else
			out[n++] = src[j++];
	}
	memcpy(dst, out, n * sizeof(out[0]));
	return n;
}

struct sf_collector *
sf_collector_create(const struct sf_collector_params *p)
{
	struct sf_collector *c;

	if (p == NULL || p->n_workers == 0 || p->interval_ns == 0 ||
			p->n_sinks > SF_COLLECTOR_MAX_SINKS) {
		rte_errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto nomem;
	c->p = *p;
	c->watermark = calloc(p->n_workers, sizeof(*c->watermark));
	c->hosts.bmask = (1u << TALKER_BUCKETS_LOG2) - 1;
	c->hosts.slots = calloc((size_t)TALKER_WAYS << TALKER_BUCKETS_LOG2,
			sizeof(*c->hosts.slots));
	c->hosts.bkt = aligned_alloc(alignof(struct talker_bucket),
			sizeof(struct talker_bucket) << TALKER_BUCKETS_LOG2);
	if (c->watermark == NULL || c->hosts.slots == NULL || c->hosts.bkt == NULL)
		goto nomem;
	memset(c->hosts.bkt, 0, sizeof(struct talker_bucket) << TALKER_BUCKETS_LOG2);
	c->tot.first_ns = UINT64_MAX;
	return c;
nomem:
	sf_collector_free(c);
	rte_errno = ENOMEM;
	return NULL;
}

void
sf_collector_free(struct sf_collector *c)
{
	if (c == NULL)
		return;
	free(c->watermark);
	free(c->pend);
	free(c->hosts.slots);
	free(c->hosts.bkt);
	free(c);
}

/* 64-bit mix (MurmurHash3's finalizer). */
static inline uint64_t
mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static inline uint64_t
host_hash(const uint8_t *addr, uint8_t ipver)
{
	uint64_t w0, w1;

	memcpy(&w0, addr, 8);
	memcpy(&w1, addr + 8, 8);
	return mix64(w0 ^ mix64(w1 ^ ((uint64_t)ipver << 56)));
}

/* HyperLogLog: the top bits pick a register, the rest give the rank. */
static inline void
hll_add(uint8_t *reg, uint64_t h)
{
	uint32_t j = (uint32_t)(h >> (64 - HLL_LOG2));
	uint64_t w = (h << HLL_LOG2) | (UINT64_C(1) << (HLL_LOG2 - 1));
	uint8_t rank = (uint8_t)(__builtin_clzll(w) + 1);

	if (rank > reg[j])
		reg[j] = rank;
}

/* Flajolet et al. 2007, with linear counting for small cardinalities. */
static uint64_t
hll_estimate(const uint8_t *reg)
{
	const double m = (double)(1u << HLL_LOG2);
	double sum = 0, e;
	unsigned int j, zeros = 0;

	for (j = 0; j < (1u << HLL_LOG2); j++) {
		sum += ldexp(1.0, -(int)reg[j]);
		zeros += reg[j] == 0;
	}
	e = 0.7213 / (1 + 1.079 / m) * m * m / sum;
	if (e <= 2.5 * m && zeros != 0)
		e = m * log(m / zeros);
	return (uint64_t)(e + 0.5);
}

static inline bool
host_eq(const struct sf_talker *t, const uint8_t *addr, uint8_t ipver)
{
	uint64_t a0, a1, b0, b1;

	memcpy(&a0, t->addr, 8);
	memcpy(&a1, t->addr + 8, 8);
	memcpy(&b0, addr, 8);
	memcpy(&b1, addr + 8, 8);
	return ((a0 ^ b0) | (a1 ^ b1)) == 0 && t->ipver == ipver;
}

/* Bit k set: slot k's tag equals `tag`; *empty: bit k set if slot k is free. */
static inline uint32_t
tag_match(const struct talker_bucket *b, uint32_t tag, uint32_t *empty)
{
	*empty = sf_match8_u32(b->tag, 0);
	return sf_match8_u32(b->tag, tag);
}

/* Fetch what host_add() will read for hash h. */
static inline void
host_prefetch(const struct host_map *m, uint64_t h)
{
	uint32_t bi = (uint32_t)h & m->bmask;

	rte_prefetch0(&m->bkt[bi]);
	rte_prefetch0(&m->slots[(size_t)bi * TALKER_WAYS]);
}

static void
host_add(struct sf_collector *c, const uint8_t *addr, uint8_t ipver, uint64_t h,
		uint64_t bytes, uint64_t packets)
{
	struct host_map *m = &c->hosts;
	uint32_t bi = (uint32_t)h & m->bmask;
	uint32_t tag = (uint32_t)(h >> 32) | 1;
	struct talker_bucket *b = &m->bkt[bi];
	struct sf_talker *slots = &m->slots[(size_t)bi * TALKER_WAYS];
	unsigned int k, min = 0;
	uint32_t match, empty;

	hll_add(m->hll, h);
	match = tag_match(b, tag, &empty);
	while (match != 0) {
		k = (unsigned int)__builtin_ctz(match);
		if (host_eq(&slots[k], addr, ipver))
			goto count;
		match &= match - 1;
	}
	if (empty != 0) {
		k = (unsigned int)__builtin_ctz(empty);
		m->used++;
		slots[k].bytes_err = 0;
	} else {
		/* Space-Saving: take the smallest slot and its count as error. */
		for (k = 1; k < TALKER_WAYS; k++)
			if (b->bytes[k] < b->bytes[min])
				min = k;
		k = min;
		slots[k].bytes_err = b->bytes[k];
		m->replaced++;
	}
	b->tag[k] = tag;
	memcpy(slots[k].addr, addr, 16);
	slots[k].ipver = ipver;
	slots[k].packets = 0;
	slots[k].flows = 0;
count:
	b->bytes[k] += bytes;
	slots[k].packets += packets;
	slots[k].flows++;
}

static void
take_record(struct sf_collector *c, const struct sf_flow_record *r, const uint64_t h[2])
{
	struct sf_collector_totals *t = &c->tot;
	uint64_t bytes = r->bytes[0] + r->bytes[1];
	uint64_t pkts = r->packets[0] + r->packets[1];
	unsigned int i;

	t->records++;
	if (r->end_reason < SF_END_MAX)
		t->records_by_reason[r->end_reason]++;
	if (r->start_ns < t->first_ns)
		t->first_ns = r->start_ns;
	if (r->end_ns > t->last_ns)
		t->last_ns = r->end_ns;
	sf_flow_record_top_add(t->top, &t->ntop, SF_TOPK, r, false);
	host_add(c, r->key.addr_lo, r->key.ipver, h[0], bytes, pkts);
	host_add(c, r->key.addr_hi, r->key.ipver, h[1], bytes, pkts);
	for (i = 0; i < c->p.n_sinks; i++)
		if (c->p.sinks[i].record != NULL)
			c->p.sinks[i].record(c->p.sinks[i].arg, r);
}

static struct pending *
pending_get(struct sf_collector *c, uint64_t interval)
{
	size_t lo = 0, hi = c->npend;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->pend[mid].agg.interval < interval)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->npend && c->pend[lo].agg.interval == interval)
		return &c->pend[lo];
	if (c->npend == c->cappend) {
		size_t ncap = c->cappend ? c->cappend * 2 : 16;
		struct pending *np = realloc(c->pend, ncap * sizeof(*np));

		if (np == NULL)
			return NULL;
		c->pend = np;
		c->cappend = ncap;
	}
	memmove(&c->pend[lo + 1], &c->pend[lo], (c->npend - lo) * sizeof(*c->pend));
	c->npend++;
	memset(&c->pend[lo], 0, sizeof(c->pend[lo]));
	c->pend[lo].agg.interval = interval;
	return &c->pend[lo];
}

static void
finalize(struct sf_collector *c, struct sf_interval_agg *a)
{
	struct sf_collector_totals *t = &c->tot;
	unsigned int i;

	if (c->p.drops != NULL) {
		uint64_t now[SF_DROP_MAX] = { 0 };

		c->p.drops(c->p.drops_arg, now);
		for (i = 0; i < SF_DROP_MAX; i++) {
			a->dropped[i] += now[i] - c->drops_seen[i];
			c->drops_seen[i] = now[i];
		}
	}
	if (sf_agg_empty(a))
		return;
	if (t->intervals == 0)
		t->first_interval = a->interval;
	t->last_interval = a->interval;
	t->intervals++;
	sf_agg_accumulate(&t->sum, a);
	for (i = 0; i < c->p.n_sinks; i++)
		if (c->p.sinks[i].interval != NULL)
			c->p.sinks[i].interval(c->p.sinks[i].arg, a);
}

uint64_t
sf_collector_watermark(const struct sf_collector *c)
{
	uint64_t w = UINT64_MAX;
	unsigned int i;

	for (i = 0; i < c->p.n_workers; i++)
		w = RTE_MIN(w, c->watermark[i]);
	return w;
}

static void
finalize_ready(struct sf_collector *c)
{
	uint64_t w = sf_collector_watermark(c);
	size_t n = 0;

	while (n < c->npend && c->pend[n].agg.interval < w) {
		finalize(c, &c->pend[n].agg);
		n++;
	}
	if (n != 0) {
		memmove(c->pend, c->pend + n, (c->npend - n) * sizeof(*c->pend));
		c->npend -= n;
	}
}

void
sf_collector_handle(struct sf_collector *c, const struct sf_msg *m)
{
	unsigned int i;

	if (m->worker >= c->p.n_workers)
		return;
	if (m->type == SF_MSG_RECORDS) {
		unsigned int n = RTE_MIN(m->count, (uint32_t)SF_MSG_RECS);
		uint64_t h[SF_MSG_RECS][2];

		/* Hash the batch's hosts and fetch their talker slots first. */
		for (i = 0; i < n; i++) {
			const struct sf_flow_key *k = &m->u.rec[i].key;

			h[i][0] = host_hash(k->addr_lo, k->ipver);
			h[i][1] = host_hash(k->addr_hi, k->ipver);
			host_prefetch(&c->hosts, h[i][0]);
			host_prefetch(&c->hosts, h[i][1]);
		}
		for (i = 0; i < n; i++)
			take_record(c, &m->u.rec[i], h[i]);
		return;
	}
	if (m->type != SF_MSG_INTERVAL)
		return;
	if (!sf_agg_empty(&m->u.agg)) {
		struct pending *p = pending_get(c, m->u.agg.interval);

		if (p != NULL) {
			struct sf_interval_agg *a = &p->agg;

			sf_agg_merge(a, &m->u.agg);
			a->ntop = sf_topk_merge(a->top, a->ntop, m->u.agg.top,
					RTE_MIN(m->u.agg.ntop, (uint32_t)SF_TOPK));
		}
	}
	if (m->watermark > c->watermark[m->worker]) {
		c->watermark[m->worker] = m->watermark;
		if (m->watermark == SF_WATERMARK_DONE)
			c->n_done++;
	}
	finalize_ready(c);
}

bool
sf_collector_done(const struct sf_collector *c)
{
	return c->n_done == c->p.n_workers;
}

static int
talker_before(const struct sf_talker *a, const struct sf_talker *b)
{
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes;
	if (a->ipver != b->ipver)
		return a->ipver < b->ipver;
	return memcmp(a->addr, b->addr, 16) < 0;
}

void
sf_collector_rank_talkers(struct sf_collector *c)
{
	struct sf_collector_totals *t = &c->tot;
	const struct host_map *m = &c->hosts;
	size_t i, nslots = (size_t)(m->bmask + 1) * TALKER_WAYS;

	t->ntalkers = 0;
	t->talkers_exact = m->replaced == 0;
	t->hosts = t->talkers_exact ? m->used : hll_estimate(m->hll);
	for (i = 0; i < nslots; i++) {
		const struct talker_bucket *b = &m->bkt[i / TALKER_WAYS];
		unsigned int k = i % TALKER_WAYS, j;
		struct sf_talker h;

		if (b->tag[k] == 0)
			continue;
		/* Most hosts fall below the list on bytes alone: no copy for them. */
		if (t->ntalkers == SF_TOPK && b->bytes[k] < t->talkers[SF_TOPK - 1].bytes)
			continue;
		h = m->slots[i];
		h.bytes = b->bytes[k];
		if (t->ntalkers == SF_TOPK && !talker_before(&h, &t->talkers[SF_TOPK - 1]))
			continue;
		j = t->ntalkers < SF_TOPK ? t->ntalkers++ : SF_TOPK - 1;
		while (j > 0 && talker_before(&h, &t->talkers[j - 1])) {
			t->talkers[j] = t->talkers[j - 1];
			j--;
		}
		t->talkers[j] = h;
	}
}

void
sf_collector_finish(struct sf_collector *c)
{
	size_t i;

	sf_collector_rank_talkers(c);
	/* Whatever is still pending (lost watermarks) is reported too. */
	for (i = 0; i < c->npend; i++)
		finalize(c, &c->pend[i].agg);
	c->npend = 0;
}

const struct sf_collector_totals *
sf_collector_totals(const struct sf_collector *c)
{
	return &c->tot;
}
