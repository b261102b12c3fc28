/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Traffic per tunnel context (a flow key's ctx_kind and ctx: VNI, GRE key,
 * TEID, or a hash of every id): packets and innermost IP bytes, both
 * directions, as the flows count them.
 *
 * A worker counts its interval in a bounded table (struct sf_tun_table),
 * allocated with the worker, filled without allocation: contexts beyond
 * SF_TUN_WORKER_MAX go to one "other" row and are counted there. The table
 * travels whole to the collector (lib/msg, SF_MSG_TUNNELS): a context
 * spreads over workers (dispatch is by inner key), so the collector's sum
 * of the workers' entries is exact. The collector ranks each interval's
 * contexts into a top list (struct sf_tun_top, in the interval aggregate)
 * and keeps the run's totals in a bounded table of its own (sf_summary.c).
 * Neither goes to /metrics: contexts are unbounded label values.
 */
#ifndef SF_AGG_TUN_H
#define SF_AGG_TUN_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Contexts a worker counts per interval; a power of two. */
#define SF_TUN_WORKER_MAX 1024
/* Slots of its index: twice the entries, so a probe always finds a free one. */
#define SF_TUN_SLOTS (2 * SF_TUN_WORKER_MAX)
/* Contexts listed in an interval's JSON and in the run's top list. */
#define SF_TUN_TOP 20

/* One context's traffic. kind is enum sf_flow_ctx_kind, never NONE in a table. */
struct sf_tun_entry {
	uint32_t id;
	uint8_t kind;
	uint8_t pad[3];
	uint64_t packets;
	uint64_t bytes;
};

/*
 * A worker's table for one interval: entries in first-seen order and an
 * open-addressing index over them (slot: entry number + 1, 0 free).
 */
struct sf_tun_table {
	uint32_t n;			/* entries in use */
	uint32_t pad;
	struct sf_tun_entry other;	/* contexts that found the table full */
	uint16_t slot[SF_TUN_SLOTS];
	struct sf_tun_entry ent[SF_TUN_WORKER_MAX];
};

static inline uint32_t
sf_tun_hash(uint8_t kind, uint32_t id)
{
	uint32_t h = (id ^ ((uint32_t)kind << 29)) * UINT32_C(0x9e3779b1);

	return h ^ (h >> 15);
}

/*
 * Context (kind, id) in an open-addressing index of mask + 1 slots over
 * ent[] (slot: entry number + 1, 0 free; never full): its entry, or NULL
 * and *at the slot where it goes. The worker's table and the run's
 * (sf_summary.c) both probe with it.
 */
static inline struct sf_tun_entry *
sf_tun_find(const uint16_t *slot, uint32_t mask, struct sf_tun_entry *ent, uint8_t kind,
		uint32_t id, uint32_t *at)
{
	uint32_t h = sf_tun_hash(kind, id) & mask;

	for (; slot[h] != 0; h = (h + 1) & mask) {
		struct sf_tun_entry *e = &ent[slot[h] - 1];

		if (e->id == id && e->kind == kind)
			return e;
	}
	*at = h;
	return NULL;
}

/* Count one packet of `bytes` in context (kind, id). */
static inline void
sf_tun_count(struct sf_tun_table *t, uint8_t kind, uint32_t id, uint64_t bytes)
{
	uint32_t h;
	struct sf_tun_entry *e = sf_tun_find(t->slot, SF_TUN_SLOTS - 1, t->ent, kind, id, &h);

	if (e == NULL) {
		if (t->n == SF_TUN_WORKER_MAX) {
			t->other.packets++;
			t->other.bytes += bytes;
			return;
		}
		e = &t->ent[t->n++];
		e->id = id;
		e->kind = kind;
		memset(e->pad, 0, sizeof(e->pad));
		e->packets = 0;
		e->bytes = 0;
		t->slot[h] = (uint16_t)t->n;
	}
	e->packets++;
	e->bytes += bytes;
}

static inline bool
sf_tun_table_empty(const struct sf_tun_table *t)
{
	return t->n == 0 && t->other.packets == 0;
}

/* Empty the table for the next interval (its index only if it was used). */
static inline void
sf_tun_table_reset(struct sf_tun_table *t)
{
	if (t->n != 0)
		memset(t->slot, 0, sizeof(t->slot));
	t->n = 0;
	memset(&t->other, 0, sizeof(t->other));
}

/*
 * The contexts of an interval or of the run as shown: the first n by
 * bytes (descending, then kind, then id: the same for 1..N workers), and
 * what is not listed. Part of the interval aggregate (sf_agg.h); the
 * collector fills it.
 */
struct sf_tun_top {
	uint32_t n;
	uint32_t pad;
	struct sf_tun_entry top[SF_TUN_TOP];
	uint64_t other_contexts;	/* contexts not listed (known ones) */
	uint64_t other_packets;		/* traffic not listed, overflow included */
	uint64_t other_bytes;
	uint64_t overflow_packets;	/* of it, of contexts a bounded table had no room for */
};

/* True if a comes before b in a top list. */
static inline bool
sf_tun_before(const struct sf_tun_entry *a, const struct sf_tun_entry *b)
{
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes;
	if (a->kind != b->kind)
		return a->kind < b->kind;
	return a->id < b->id;
}

/*
 * Sum entries of equal context in e[0..n) (any order, the workers'
 * tables one after another): sorts by context and folds, in place.
 * Returns the number of distinct contexts left.
 */
unsigned int sf_tun_fold(struct sf_tun_entry *e, unsigned int n);

/*
 * Rank n distinct contexts into top; overflow (packets, bytes) is what
 * bounded tables could not hold, added to "other".
 */
void sf_tun_rank(struct sf_tun_top *top, const struct sf_tun_entry *e, unsigned int n,
		uint64_t overflow_packets, uint64_t overflow_bytes);

#endif /* SF_AGG_TUN_H */
