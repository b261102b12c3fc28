/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow table: a fixed array of 128-byte hot entries, a parallel array of
 * 8-byte side records, an optional pool of cold areas, an
 * open-addressing index of {signature, entry} pairs in 64-byte buckets,
 * two LRU lists threaded through the entries for expiry, and a small
 * min-heap for the interval's top flows. Everything is allocated in
 * create(); a packet of an existing flow touches one bucket line and its
 * hot entry (two lines), plus the two list neighbours when the entry moves
 * to the tail of its list. The side record is touched when a flow or
 * record begins and when it is emitted; a cold area only by flows that
 * have one (struct sf_flow_cold).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#ifdef __SSE2__
#endif

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "sf_flow_table.h"

RTE_LOG_REGISTER(sf_logtype_flowtable, user.spanflow.flowtable, INFO);
#define FT_LOG(level, fmt, ...) \
	SF_LOG_TYPE(sf_logtype_flowtable, level, fmt, ## __VA_ARGS__)

#define FT_NIL UINT32_MAX		/* no entry (list links, lookups) */
#define FT_HEAP_NONE UINT8_MAX		/* entry not in the top-K heap */
#define FT_BUCKET_SLOTS 8
#define FT_MAX_CAPACITY (UINT32_C(1) << 30)
#define FT_COLD_MAX_SIZE 4096		/* bytes of one cold area */

/* Which expiry list a live entry is on: its TCP state says (ft_list_of). */
enum ft_list_id {
	FT_LIST_OPEN = 0,	/* deadline last_ns + idle_ns */
	FT_LIST_ENDED = 1,	/* TCP FIN both ways or RST; last_ns + tcp_end_ns */
};

/* ft_entry.state: the flow's life cycle in one byte. */
#define FT_ST_FIN0 0x01		/* FIN seen from the initiator */
#define FT_ST_FIN1 0x02		/* FIN seen from the responder */
#define FT_ST_RST 0x04		/* RST seen (either direction) */
#define FT_ST_TCP_END (FT_ST_FIN0 | FT_ST_FIN1 | FT_ST_RST)
#define FT_ST_INIT_SHIFT 3	/* initiator (enum sf_flow_dir), one bit */
#define FT_ST_FREE 0x80		/* on the free list (scans skip it); a new flow clears it */

/*
 * One flow's hot entry: everything a packet of an existing flow reads or
 * writes, and nothing else, in two cache lines. Line 0 holds what lookups
 * and list maintenance read (key, links, last_ns); line 1 the record and
 * interval counters and the flow's state. Counters are indexed by record
 * direction: [0] initiator -> responder, [1] reverse, so a record is a
 * copy. The interval counters are valid while last_ns is inside the
 * current interval (t->iv_start): a flow not seen since the interval
 * began starts them again, without a pass over the table.
 *
 * The entry is full by design. What a flow's packets do not touch lives
 * in its side record (struct ft_side); state that only some flows need
 * (per-flow TCP analysis, application metadata) in a cold area reached
 * through `cold` (struct sf_flow_cold), so a packet of a flow without one
 * still touches only these two lines.
 */
struct ft_entry {
	struct sf_flow_key key;	/* 0 */
	uint64_t last_ns;	/* 48: last packet of the record */
	uint32_t prev;		/* 56: LRU list links (entry indices) */
	uint32_t next;		/* 60: also the free-list link */
	uint64_t first_ns;	/* 64: first packet of the record */
	uint64_t packets[2];	/* 72 */
	uint64_t bytes[2];	/* 88 */
	uint64_t iv_bytes;	/* 104: both directions, current interval */
	uint64_t iv_packets;	/* 112 */
	uint32_t cold;		/* 120: cold area index, FT_NIL if none */
	uint8_t tcp_flags[2];	/* 124 */
	uint8_t state;		/* 126: FT_ST_* */
	uint8_t heap_slot;	/* 127: position in the top-K heap or FT_HEAP_NONE */
} __rte_cache_aligned;

_Static_assert(sizeof(struct ft_entry) == 128, "the hot entry is two cache lines");
_Static_assert(offsetof(struct ft_entry, next) < 64, "list links must be in line 0");
_Static_assert(offsetof(struct ft_entry, first_ns) == 64, "counters start line 1");
_Static_assert(SF_TOPK < FT_HEAP_NONE, "heap slot must fit uint8_t");

/*
 * A flow's side record, in an array parallel to the entries: written when
 * a flow or a record begins, read when a record is emitted and when the
 * flow leaves the index. The signature finds the index slot on deletion
 * without rehashing.
 */
struct ft_side {
	uint32_t sig;		/* sf_flow_key_hash(key) */
	uint8_t dscp;		/* of the record's first packet */
	uint8_t port;		/* capture port of the flow's first packet */
	uint8_t rsvd[2];
};

_Static_assert(sizeof(struct ft_side) == 8, "side record is 8 bytes");

/*
 * Index bucket: one cache line of 8 {signature, entry + 1} pairs (0 =
 * empty slot), signatures first so a bucket is scanned with a few vector
 * compares. The slots form one circular array probed linearly; a key's
 * home is the first slot of bucket (sig & bmask). Deletion shifts later
 * entries of the cluster back (no tombstones), so a lookup may stop at the
 * first bucket that has an empty slot.
 */
struct ft_bucket {
	uint32_t sig[FT_BUCKET_SLOTS];
	uint32_t ent[FT_BUCKET_SLOTS];
} __rte_aligned(64);

_Static_assert(sizeof(struct ft_bucket) == 64, "bucket must be one 64-byte line");
_Static_assert(FT_BUCKET_SLOTS == 8, "ft_bucket_match uses sf_match8_u32");

/*
 * Top-K heap item. It copies what the report needs so a flow that ends
 * (or whose entry is reused) during the interval keeps its place; `ent`
 * links back to the live entry, FT_NIL once detached.
 */
struct ft_heap_item {
	struct sf_flow_key key;
	uint64_t bytes;
	uint64_t packets;
	uint32_t ent;
	uint8_t initiator;
	uint8_t pad[3];
};

struct ft_list {
	uint32_t head;		/* oldest (smallest last_ns) */
	uint32_t tail;
};

struct sf_flow_table {
	struct ft_entry *ent;
	struct ft_side *side;
	struct ft_bucket *bkt;
	uint8_t *cold;		/* cold.slots areas of cold_size bytes, or NULL */
	size_t ent_len, side_len, bkt_len, cold_len;	/* mappings, 0 if DPDK's heap */
	uint32_t bmask;		/* buckets - 1 */
	uint32_t smask;		/* slots - 1 */
	uint32_t capacity;
	uint32_t free_head;	/* free entries, linked through ft_entry.next */
	struct ft_list list[2];
	uint64_t timeout[2];	/* by enum ft_list_id: idle_ns, tcp_end_ns */
	uint64_t active_ns;
	sf_flow_emit_fn emit;
	void *emit_arg;
	void (*iv_flow)(void *arg, const struct sf_flow_topk *f, const void *cold);
	void *iv_arg;
	struct sf_flow_cold cold_ops;
	const void *const *frame;	/* the burst being counted: its handles, or NULL */
	uint32_t cold_size;	/* bytes per area, a multiple of 64 */
	uint32_t cold_free;	/* free areas, linked through their first word */
	uint32_t cold_fresh;	/* areas from here on were never lent */
	uint64_t newest_ns;	/* latest packet time fed */
	uint64_t iv_start;	/* interval counters are valid from this time */
	uint64_t iv_touched;	/* flows with packets in the interval (each life once) */
	uint64_t iv_left;	/* of them, handed over on leaving */
	uint32_t heap_n;
	struct sf_flow_table_stats stats;
	struct ft_heap_item heap[SF_TOPK];
};

/* ---- small helpers ---- */

/* now - last >= timeout, safe if the caller's clock is behind `last`. */
static inline bool
ft_elapsed(uint64_t now, uint64_t since, uint64_t timeout)
{
	return now >= since && now - since >= timeout;
}

static inline uint64_t
ft_deadline(uint64_t last, uint64_t timeout)
{
	return timeout > UINT64_MAX - last ? UINT64_MAX : last + timeout;
}

/*
 * The list of a live entry: ENDED once FIN was seen both ways or RST
 * either way, i.e. the TCP end bits read 3 or more.
 */
static inline unsigned int
ft_list_of(const struct ft_entry *e)
{
	return (e->state & FT_ST_TCP_END) >= (FT_ST_FIN0 | FT_ST_FIN1);
}

static inline uint8_t
ft_initiator(const struct ft_entry *e)
{
	return (e->state >> FT_ST_INIT_SHIFT) & 1;
}

/* Reason a flow ends with when the timeout of its list passes. */
static inline enum sf_end_reason
ft_timeout_reason(const struct ft_entry *e)
{
	if (ft_list_of(e) != FT_LIST_ENDED)
		return SF_END_IDLE;
	return (e->state & FT_ST_RST) ? SF_END_TCP_RST : SF_END_TCP_FIN;
}

static inline void
ft_prefetch_entry(const struct ft_entry *e)
{
	rte_prefetch0(e);
	rte_prefetch0((const char *)e + 64);
}

/* ---- index ---- */

/* Bit k set: slot k matches `sig` (and is used); *empty: bit k set if free. */
static inline uint32_t
ft_bucket_match(const struct ft_bucket *b, uint32_t sig, uint32_t *empty)
{
	uint32_t z = sf_match8_u32(b->ent, 0);

	*empty = z;
	return sf_match8_u32(b->sig, sig) & ~z;
}

/* First entry whose signature matches, without reading entries. */
static inline uint32_t
ft_probe_sig(const struct sf_flow_table *t, uint32_t sig)
{
	uint32_t b = sig & t->bmask;

	for (;;) {
		const struct ft_bucket *bk = &t->bkt[b];
		uint32_t z, m = ft_bucket_match(bk, sig, &z);

		if (m != 0)
			return bk->ent[__builtin_ctz(m)] - 1;
		if (z != 0)
			return FT_NIL;
		b = (b + 1) & t->bmask;
	}
}

static inline uint32_t
ft_lookup(const struct sf_flow_table *t, const struct sf_flow_key *key, uint32_t sig)
{
	uint32_t b = sig & t->bmask;

	/* Terminates: there are more slots than entries. */
	for (;;) {
		const struct ft_bucket *bk = &t->bkt[b];
		uint32_t z, m = ft_bucket_match(bk, sig, &z);

		while (m != 0) {
			uint32_t idx = bk->ent[__builtin_ctz(m)] - 1;

			if (sf_flow_key_eq(&t->ent[idx].key, key))
				return idx;
			m &= m - 1;
		}
		if (z != 0)
			return FT_NIL;
		b = (b + 1) & t->bmask;
	}
}

static void
ft_index_insert(struct sf_flow_table *t, uint32_t idx, uint32_t sig)
{
	uint32_t b = sig & t->bmask;

	for (;;) {
		struct ft_bucket *bk = &t->bkt[b];
		uint32_t z;

		ft_bucket_match(bk, sig, &z);
		if (z != 0) {
			unsigned int k = __builtin_ctz(z);

			bk->sig[k] = sig;
			bk->ent[k] = idx + 1;
			return;
		}
		b = (b + 1) & t->bmask;
	}
}

#define FT_SLOT_SIG(t, s) ((t)->bkt[(s) / FT_BUCKET_SLOTS].sig[(s) % FT_BUCKET_SLOTS])
#define FT_SLOT_ENT(t, s) ((t)->bkt[(s) / FT_BUCKET_SLOTS].ent[(s) % FT_BUCKET_SLOTS])

/*
 * Deletion keeps the lookup rule true: an entry in bucket C whose home is
 * H has every bucket from H to C - 1 full (it overflowed through them).
 * Emptying a slot of bucket B breaks that only for entries that passed
 * through B, and there are none unless B was full. If it was, the nearest
 * such entry (in a later bucket, scanned while buckets stay full) moves
 * into the hole, and the same question repeats for the bucket it left.
 * Most deletions find their bucket not full and stop at once; there are
 * no tombstones and no periodic rebuild.
 */
static void
ft_index_delete(struct sf_flow_table *t, uint32_t idx, uint32_t sig)
{
	uint32_t b = sig & t->bmask;
	unsigned int k;
	uint32_t z, m;

	/* Find the entry's slot: its signature, then the entry number. */
	for (;;) {
		struct ft_bucket *bk = &t->bkt[b];

		m = ft_bucket_match(bk, sig, &z);
		while (m != 0) {
			k = __builtin_ctz(m);
			if (bk->ent[k] == idx + 1)
				goto found;
			m &= m - 1;
		}
		b = (b + 1) & t->bmask;
	}
found:
	for (;;) {
		struct ft_bucket *hole = &t->bkt[b];
		bool was_full = z == 0;
		uint32_t c = b, dist = 0;

		hole->sig[k] = 0;
		hole->ent[k] = 0;
		if (!was_full)
			return;
		/* B was full: find an entry that overflowed through it. */
		for (;;) {
			struct ft_bucket *cb;
			unsigned int j;

			c = (c + 1) & t->bmask;
			dist++;
			cb = &t->bkt[c];
			ft_bucket_match(cb, 0, &z);
			for (j = 0; j < FT_BUCKET_SLOTS; j++) {
				if (cb->ent[j] == 0)
					continue;
				/* Home at or before B: (c - home) >= (c - b), cyclically. */
				if (((c - (cb->sig[j] & t->bmask)) & t->bmask) >= dist)
					break;
			}
			if (j < FT_BUCKET_SLOTS) {
				hole->sig[k] = cb->sig[j];
				hole->ent[k] = cb->ent[j];
				b = c;
				k = j;
				break;	/* the hole moved to bucket c; z is its emptiness */
			}
			if (z != 0)
				return;	/* c has room: nobody beyond went through B */
		}
	}
}

/* ---- expiry lists ---- */

/* Take the entry off `list`, the list its state put it on. */
static inline void
ft_list_unlink(struct sf_flow_table *t, struct ft_entry *e, unsigned int list)
{
	struct ft_list *l = &t->list[list];

	if (e->prev != FT_NIL)
		t->ent[e->prev].next = e->next;
	else
		l->head = e->next;
	if (e->next != FT_NIL)
		t->ent[e->next].prev = e->prev;
	else
		l->tail = e->prev;
}

static inline void
ft_list_append(struct sf_flow_table *t, struct ft_entry *e, uint32_t idx, unsigned int list)
{
	struct ft_list *l = &t->list[list];

	e->next = FT_NIL;
	e->prev = l->tail;
	if (l->tail != FT_NIL)
		t->ent[l->tail].next = idx;
	else
		l->head = idx;
	l->tail = idx;
}

/* ---- top-K heap (min-heap on the order below) ---- */

/*
 * Ranking: more interval bytes first; then smaller key; then (only for
 * two flows with the same key, i.e. a flow that ended and restarted) more
 * packets, then smaller initiator. The heap root is the lowest-ranked
 * item. A flow's rank only rises within an interval (every packet adds
 * bytes and a packet), so the heap minimum never decreases and every flow
 * outside the heap ranks at or below it: the heap holds exactly the top
 * SF_TOPK flows by this total order, whatever the interleaving of packets
 * of different flows. Flows that tie on all four report identical items,
 * so even then the reported list does not depend on order.
 */
struct ft_rank {
	uint64_t bytes;
	uint64_t packets;
	const struct sf_flow_key *key;
	uint8_t initiator;
};

static inline bool
ft_rank_below(const struct ft_rank *a, const struct ft_rank *b)
{
	int c;

	if (a->bytes != b->bytes)
		return a->bytes < b->bytes;
	c = sf_flow_key_cmp(a->key, b->key);
	if (c != 0)
		return c > 0;
	if (a->packets != b->packets)
		return a->packets < b->packets;
	return a->initiator > b->initiator;
}

static inline struct ft_rank
ft_item_rank(const struct ft_heap_item *it)
{
	struct ft_rank r = {
		.bytes = it->bytes, .packets = it->packets,
		.key = &it->key, .initiator = it->initiator,
	};

	return r;
}

static inline bool
ft_item_below(const struct ft_heap_item *a, const struct ft_heap_item *b)
{
	struct ft_rank ra = ft_item_rank(a), rb = ft_item_rank(b);

	return ft_rank_below(&ra, &rb);
}

static inline void
ft_heap_place(struct sf_flow_table *t, uint32_t pos, const struct ft_heap_item *it)
{
	t->heap[pos] = *it;
	if (it->ent != FT_NIL)
		t->ent[it->ent].heap_slot = (uint8_t)pos;
}

static void
ft_heap_sift_down(struct sf_flow_table *t, uint32_t pos)
{
	struct ft_heap_item it = t->heap[pos];

	for (;;) {
		uint32_t c = 2 * pos + 1;

		if (c >= t->heap_n)
			break;
		if (c + 1 < t->heap_n && ft_item_below(&t->heap[c + 1], &t->heap[c]))
			c++;
		if (!ft_item_below(&t->heap[c], &it))
			break;
		ft_heap_place(t, pos, &t->heap[c]);
		pos = c;
	}
	ft_heap_place(t, pos, &it);
}

static void
ft_heap_sift_up(struct sf_flow_table *t, uint32_t pos)
{
	struct ft_heap_item it = t->heap[pos];

	while (pos > 0) {
		uint32_t p = (pos - 1) / 2;

		if (!ft_item_below(&it, &t->heap[p]))
			break;
		ft_heap_place(t, pos, &t->heap[p]);
		pos = p;
	}
	ft_heap_place(t, pos, &it);
}

static inline void
ft_heap_detach(struct sf_flow_table *t, struct ft_entry *e)
{
	if (e->heap_slot != FT_HEAP_NONE) {
		t->heap[e->heap_slot].ent = FT_NIL;
		e->heap_slot = FT_HEAP_NONE;
	}
}

static inline void
ft_heap_set(struct ft_heap_item *it, const struct ft_entry *e, uint32_t idx)
{
	it->key = e->key;
	it->bytes = e->iv_bytes;
	it->packets = e->iv_packets;
	it->ent = idx;
	it->initiator = ft_initiator(e);
}

static inline bool
ft_entry_above_min(const struct sf_flow_table *t, const struct ft_entry *e)
{
	struct ft_rank re = {
		.bytes = e->iv_bytes, .packets = e->iv_packets,
		.key = &e->key, .initiator = ft_initiator(e),
	};
	struct ft_rank rm = ft_item_rank(&t->heap[0]);

	return ft_rank_below(&rm, &re);
}

/* `stale`: the flow was last seen before the interval began. */
static __rte_always_inline void
ft_topk_account(struct sf_flow_table *t, struct ft_entry *e, uint32_t idx, uint32_t len,
		bool stale)
{
	if (stale) {
		e->iv_bytes = 0;
		e->iv_packets = 0;
	}
	t->iv_touched += e->iv_packets == 0;
	e->iv_bytes += len;
	e->iv_packets++;

	if (e->heap_slot != FT_HEAP_NONE) {
		struct ft_heap_item *it = &t->heap[e->heap_slot];

		it->bytes = e->iv_bytes;
		it->packets = e->iv_packets;
		ft_heap_sift_down(t, e->heap_slot);
	} else if (t->heap_n < SF_TOPK) {
		uint32_t pos = t->heap_n++;

		ft_heap_set(&t->heap[pos], e, idx);
		e->heap_slot = (uint8_t)pos;
		ft_heap_sift_up(t, pos);
	} else if (e->iv_bytes >= t->heap[0].bytes && ft_entry_above_min(t, e)) {
		if (t->heap[0].ent != FT_NIL)
			t->ent[t->heap[0].ent].heap_slot = FT_HEAP_NONE;
		ft_heap_set(&t->heap[0], e, idx);
		e->heap_slot = 0;
		ft_heap_sift_down(t, 0);
	}
}

/* ---- cold areas ---- */

static inline void *
ft_cold_area(const struct sf_flow_table *t, uint32_t c)
{
	return t->cold + (size_t)c * t->cold_size;
}

/* A zeroed area from the pool for a new flow, or FT_NIL (counted) if none is left. */
static uint32_t
ft_cold_get(struct sf_flow_table *t)
{
	uint32_t c = t->cold_free;
	void *a;

	if (c != FT_NIL) {
		a = ft_cold_area(t, c);
		memcpy(&t->cold_free, a, sizeof(t->cold_free));
	} else if (t->cold_fresh < t->stats.cold_slots) {
		/* Areas never lent are taken in order: the pool's pages are touched as used. */
		c = t->cold_fresh++;
		a = ft_cold_area(t, c);
	} else {
		t->stats.cold_full++;
		return FT_NIL;
	}
	memset(a, 0, t->cold_size);
	t->stats.cold_used++;
	return c;
}

static void
ft_cold_put(struct sf_flow_table *t, uint32_t c)
{
	memcpy(ft_cold_area(t, c), &t->cold_free, sizeof(t->cold_free));
	t->cold_free = c;
	t->stats.cold_used--;
}

/* ---- records and flow life cycle ---- */

/*
 * Emit the entry's current record. A reason other than active ends the
 * flow: its cold area, if any, goes back to the pool after the record.
 */
static void
ft_emit(struct sf_flow_table *t, uint32_t idx, enum sf_end_reason reason)
{
	struct ft_entry *e = &t->ent[idx];
	const struct ft_side *sd = &t->side[idx];
	struct sf_flow_record r;

	/* Every byte assigned, no memset first (a record per flow; the flood emits per packet). */
	r.key = e->key;
	r.start_ns = e->first_ns;
	r.end_ns = e->last_ns;
	r.packets[0] = e->packets[0];
	r.packets[1] = e->packets[1];
	r.bytes[0] = e->bytes[0];
	r.bytes[1] = e->bytes[1];
	r.tcp_flags[0] = e->tcp_flags[0];
	r.tcp_flags[1] = e->tcp_flags[1];
	r.initiator = ft_initiator(e);
	r.end_reason = (uint8_t)reason;
	r.dscp = sd->dscp;
	r.port = sd->port;
	r.sampling = SF_SAMPLING_NONE;	/* the worker says how it sampled */
	r.pad = 0;
	r.sampling_rate = 1;
	r.pad2 = 0;
	/* A cold area's record() may fill these. */
	memset(&r.tun, 0, sizeof(r.tun));
	memset(&r.tcp, 0, sizeof(r.tcp));
	r.feat.packets[SF_FEAT_BIDIR] = 0;	/* the rest is read only with packets */
	r.splt = NULL;
	r.app.kind = SF_APP_NONE;	/* the rest is read only by kind */
	r.app.flags = 0;
	if (e->cold != FT_NIL) {
		bool ends = reason != SF_END_ACTIVE;

		if (t->cold_ops.record != NULL)
			t->cold_ops.record(t->cold_ops.arg, ft_cold_area(t, e->cold), &r, ends);
		if (ends) {
			ft_cold_put(t, e->cold);
			e->cold = FT_NIL;
		}
	}
	t->stats.ended[reason]++;
	if (t->emit != NULL)
		t->emit(t->emit_arg, &r);
}

/* Open the next record of the entry's flow with a packet at `ts`. */
static inline void
ft_record_begin(struct sf_flow_table *t, struct ft_entry *e, uint32_t idx, uint64_t ts,
		uint8_t dscp)
{
	e->first_ns = ts;
	e->packets[0] = 0;
	e->packets[1] = 0;
	e->bytes[0] = 0;
	e->bytes[1] = 0;
	e->tcp_flags[0] = 0;
	e->tcp_flags[1] = 0;
	t->side[idx].dscp = dscp;
}

/*
 * Start a new flow in `e` (the key is already set) with packet `pi`. The
 * sender of the first packet initiates, unless that packet is a SYN+ACK:
 * then we missed the SYN and the receiver initiated. The entry is on no
 * list (the caller appends it to the open list, which its state now
 * says) and has no cold area (the flow before it ended).
 */
static inline void
ft_flow_begin(struct sf_flow_table *t, struct ft_entry *e, uint32_t idx,
		const struct sf_pkt_info *pi, uint64_t ts)
{
	const uint8_t synack = SF_TCP_SYN | SF_TCP_ACK;
	uint8_t init = (pi->tcp_flags & synack) == synack ? pi->dir ^ 1 : pi->dir;

	e->state = (uint8_t)((init & 1) << FT_ST_INIT_SHIFT);
	e->iv_bytes = 0;
	e->iv_packets = 0;
	e->heap_slot = FT_HEAP_NONE;
	if (t->cold_ops.want != NULL &&
	    (t->cold_ops.want_flags == 0 || (pi->flags & t->cold_ops.want_flags)) &&
	    t->cold_ops.want(t->cold_ops.arg, pi)) {
		e->cold = ft_cold_get(t);
		if (e->cold != FT_NIL && t->cold_ops.start != NULL)
			t->cold_ops.start(t->cold_ops.arg, ft_cold_area(t, e->cold), pi);
	}
	t->side[idx].port = pi->port;
	ft_record_begin(t, e, idx, ts, pi->dscp);
	t->stats.created++;
}

/* The entry's counts of the current interval as a top-list item. */
static inline void
ft_iv_item(const struct ft_entry *e, struct sf_flow_topk *f)
{
	memset(f, 0, sizeof(*f));
	f->key = e->key;
	f->bytes = e->iv_bytes;
	f->packets = e->iv_packets;
	f->initiator = ft_initiator(e);
}

/* A flow leaves: hand over its counts of the current interval, if it has any. */
static inline void
ft_iv_leave(struct sf_flow_table *t, const struct ft_entry *e)
{
	struct sf_flow_topk f;

	if (t->iv_flow == NULL || e->last_ns < t->iv_start || e->iv_packets == 0)
		return;
	t->iv_left++;
	ft_iv_item(e, &f);
	t->iv_flow(t->iv_arg, &f, e->cold != FT_NIL ? ft_cold_area(t, e->cold) : NULL);
}

/* Emit the entry's flow and take it out of the index and lists (not onto the free list). */
static void
ft_end_entry(struct sf_flow_table *t, uint32_t idx, enum sf_end_reason reason)
{
	struct ft_entry *e = &t->ent[idx];

	ft_iv_leave(t, e);	/* before the emit gives its cold area back */
	ft_emit(t, idx, reason);
	ft_heap_detach(t, e);
	ft_list_unlink(t, e, ft_list_of(e));
	ft_index_delete(t, idx, t->side[idx].sig);
	t->stats.active--;
}

/*
 * Choose the entry to give up for a new flow when the table is full.
 * A flow already past its deadline is preferred and ends with its timeout
 * reason (it did end; only expire()'s budget kept it); otherwise the
 * least recently seen TCP-ended flow, else the least recently seen open
 * flow, is evicted.
 */
static uint32_t
ft_evict(struct sf_flow_table *t, uint64_t ts)
{
	uint32_t he = t->list[FT_LIST_ENDED].head;
	uint32_t ho = t->list[FT_LIST_OPEN].head;
	uint32_t victim, next;
	enum sf_end_reason reason;

	if (he != FT_NIL &&
			ft_elapsed(ts, t->ent[he].last_ns, t->timeout[FT_LIST_ENDED])) {
		victim = he;
		reason = ft_timeout_reason(&t->ent[he]);
	} else if (ho != FT_NIL &&
			ft_elapsed(ts, t->ent[ho].last_ns, t->timeout[FT_LIST_OPEN])) {
		victim = ho;
		reason = SF_END_IDLE;
	} else {
		victim = he != FT_NIL ? he : ho;
		reason = SF_END_EVICTED;
	}
	/*
	 * A flood evicts on every packet, down the same list: fetch the next
	 * victim's index bucket (its entry and side record came in one
	 * eviction ago) and the entry and side record after it.
	 */
	next = t->ent[victim].next;
	if (next != FT_NIL) {
		const struct ft_entry *ne = &t->ent[next];

		rte_prefetch0(&t->bkt[t->side[next].sig & t->bmask]);
		if (ne->next != FT_NIL) {
			ft_prefetch_entry(&t->ent[ne->next]);
			rte_prefetch0(&t->side[ne->next]);
		}
	}
	ft_end_entry(t, victim, reason);
	return victim;
}

static uint32_t
ft_new_flow(struct sf_flow_table *t, const struct sf_pkt_info *pi, uint32_t sig, uint64_t ts)
{
	struct ft_entry *e;
	uint32_t idx;

	if (t->stats.active == t->capacity) {
		idx = ft_evict(t, ts);
	} else {
		idx = t->free_head;
		t->free_head = t->ent[idx].next;
	}
	if (++t->stats.active > t->stats.peak_active)
		t->stats.peak_active = t->stats.active;
	e = &t->ent[idx];
	e->key = pi->key;
	t->side[idx].sig = sig;
	ft_index_insert(t, idx, sig);
	ft_flow_begin(t, e, idx, pi, ts);
	ft_list_append(t, e, idx, FT_LIST_OPEN);
	return idx;
}

/*
 * Lazy end-of-flow checks for a packet of an existing flow, in order:
 * timeout of its list passed (expire() is budgeted and may lag), pure SYN
 * on a TCP-ended flow (port reuse), active timeout of the current record.
 */
static __rte_always_inline void
ft_check_existing(struct sf_flow_table *t, struct ft_entry *e, uint32_t idx,
		const struct sf_pkt_info *pi, uint64_t ts)
{
	enum sf_end_reason reason;

	if (ft_elapsed(ts, e->last_ns, t->timeout[ft_list_of(e)])) {
		reason = ft_timeout_reason(e);
	} else if (ft_list_of(e) == FT_LIST_ENDED &&
			(pi->tcp_flags & (SF_TCP_SYN | SF_TCP_ACK)) == SF_TCP_SYN) {
		reason = ft_timeout_reason(e);
	} else {
		if (ft_elapsed(ts, e->first_ns, t->active_ns)) {
			ft_emit(t, idx, SF_END_ACTIVE);
			ft_record_begin(t, e, idx, ts, pi->dscp);
		}
		return;
	}
	/* A different flow on the same key: it gets its own top-K item too. */
	ft_iv_leave(t, e);	/* before the emit gives its cold area back */
	ft_emit(t, idx, reason);
	ft_heap_detach(t, e);
	ft_list_unlink(t, e, ft_list_of(e));
	ft_flow_begin(t, e, idx, pi, ts);
	ft_list_append(t, e, idx, FT_LIST_OPEN);
}

/*
 * Count the packet and move the entry to the tail of its list. The entry
 * is on a list (a new one was appended to the open list).
 */
static __rte_always_inline void
ft_account(struct sf_flow_table *t, struct ft_entry *e, uint32_t idx,
		const struct sf_pkt_info *pi, uint64_t ts, unsigned int i)
{
	unsigned int d = (pi->dir ^ (e->state >> FT_ST_INIT_SHIFT)) & 1;
	unsigned int was = ft_list_of(e), list;
	bool stale = e->last_ns < t->iv_start;
	uint8_t f = pi->tcp_flags;

	e->packets[d]++;
	e->bytes[d] += pi->ip_len;
	e->tcp_flags[d] |= f;
	e->last_ns = ts;
	if (f & (SF_TCP_FIN | SF_TCP_RST)) {
		if (f & SF_TCP_FIN)
			e->state |= FT_ST_FIN0 << d;
		if (f & SF_TCP_RST)
			e->state |= FT_ST_RST;
	}
	list = ft_list_of(e);
	if (was != list || e->next != FT_NIL) {
		ft_list_unlink(t, e, was);
		ft_list_append(t, e, idx, list);
	}

	ft_topk_account(t, e, idx, pi->ip_len, stale);
	t->stats.packets++;
	t->stats.bytes += pi->ip_len;
	if (e->cold != FT_NIL && t->cold_ops.packet != NULL)
		t->cold_ops.packet(t->cold_ops.arg, ft_cold_area(t, e->cold), pi, d, ts,
				t->frame != NULL ? t->frame[i] : NULL);
}

/* ---- public API ---- */

/*
 * Entries and index. With hugepages they come from DPDK's heap, on the
 * table's socket. Without (EAL --no-huge) that heap is 4 KiB pages, and a
 * table of a million flows would take a TLB miss on nearly every lookup;
 * they then come from an anonymous mapping, 2 MiB-aligned, that the
 * kernel backs with transparent huge pages (MADV_HUGEPAGE), zero-filled.
 * *len is the mapping's size, 0 for heap memory.
 */
#define FT_THP_SIZE (UINT64_C(2) << 20)

static void *
ft_mem_alloc(const char *name, size_t size, unsigned int align, int socket, size_t *len)
{
	uint8_t *p, *a;
	size_t sz;

	*len = 0;
	if (rte_eal_has_hugepages() || size < FT_THP_SIZE)
		return rte_zmalloc_socket(name, size, align, socket);
	sz = RTE_ALIGN_CEIL(size, FT_THP_SIZE);
	p = mmap(NULL, sz + FT_THP_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	a = RTE_PTR_ALIGN_CEIL(p, FT_THP_SIZE);
	if (a != p)
		munmap(p, (size_t)(a - p));
	if (a + sz != p + sz + FT_THP_SIZE)
		munmap(a + sz, (size_t)(p + sz + FT_THP_SIZE - (a + sz)));
	/* Advice only: without THP the mapping still works, with 4 KiB pages. */
	(void)madvise(a, sz, MADV_HUGEPAGE);
	*len = sz;
	return a;
}

static void
ft_mem_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	if (len != 0)
		munmap(p, len);
	else
		rte_free(p);
}

/* Index buckets for a capacity: load at most 0.75 (at least 0.375). */
static uint32_t
ft_buckets(uint32_t capacity)
{
	uint64_t slots = ((uint64_t)capacity * 4 + 2) / 3;
	uint32_t nb = rte_align32pow2((uint32_t)((slots + FT_BUCKET_SLOTS - 1) /
			FT_BUCKET_SLOTS));

	return nb < 2 ? 2 : nb;
}

/* Bytes of one cold area: a whole number of cache lines, room for the free-list link. */
static uint32_t
ft_cold_size(uint32_t size)
{
	return size == 0 ? 0 : RTE_ALIGN_CEIL(size, RTE_CACHE_LINE_SIZE);
}

struct sf_flow_table *
sf_flow_table_create(const struct sf_flow_table_params *p)
{
	struct sf_flow_table *t = NULL;
	const char *name;
	uint32_t nb, i;

	if (p == NULL || p->capacity == 0 || p->capacity > FT_MAX_CAPACITY ||
			p->idle_ns == 0 || p->active_ns == 0 || p->tcp_end_ns == 0 ||
			p->cold.size > FT_COLD_MAX_SIZE || p->cold.slots >= FT_NIL ||
			(p->cold.slots != 0 && p->cold.size == 0)) {
		FT_LOG(ERR, "flow table: invalid parameters (capacity 1..%u, timeouts > 0, "
			"cold areas of 1..%u bytes)", FT_MAX_CAPACITY, FT_COLD_MAX_SIZE);
		rte_errno = EINVAL;
		return NULL;
	}
	name = p->name != NULL ? p->name : "sf_flow_table";

	nb = ft_buckets(p->capacity);

	t = rte_zmalloc_socket(name, sizeof(*t), RTE_CACHE_LINE_SIZE, p->socket_id);
	if (t == NULL)
		goto fail;
	t->ent = ft_mem_alloc(name, (size_t)p->capacity * sizeof(struct ft_entry), 128,
			p->socket_id, &t->ent_len);
	if (t->ent == NULL)
		goto fail;
	t->side = ft_mem_alloc(name, (size_t)p->capacity * sizeof(struct ft_side),
			RTE_CACHE_LINE_SIZE, p->socket_id, &t->side_len);
	if (t->side == NULL)
		goto fail;
	t->bkt = ft_mem_alloc(name, (size_t)nb * sizeof(struct ft_bucket), RTE_CACHE_LINE_SIZE,
			p->socket_id, &t->bkt_len);
	if (t->bkt == NULL)
		goto fail;
	t->cold_size = ft_cold_size(p->cold.size);
	t->cold_free = FT_NIL;
	if (p->cold.slots != 0) {
		t->cold = ft_mem_alloc(name, (size_t)p->cold.slots * t->cold_size,
				RTE_CACHE_LINE_SIZE, p->socket_id, &t->cold_len);
		if (t->cold == NULL)
			goto fail;
		t->cold_fresh = 0;
		t->stats.cold_slots = p->cold.slots;
		t->cold_ops = p->cold;
	}

	t->bmask = nb - 1;
	t->smask = nb * FT_BUCKET_SLOTS - 1;
	t->capacity = p->capacity;
	t->timeout[FT_LIST_OPEN] = p->idle_ns;
	t->timeout[FT_LIST_ENDED] = p->tcp_end_ns;
	t->active_ns = p->active_ns;
	t->emit = p->emit;
	t->emit_arg = p->emit_arg;
	t->iv_flow = p->iv_flow;
	t->iv_arg = p->iv_arg;
	t->stats.capacity = p->capacity;
	for (i = 0; i < 2; i++) {
		t->list[i].head = FT_NIL;
		t->list[i].tail = FT_NIL;
	}
	for (i = 0; i < p->capacity; i++) {
		t->ent[i].next = i + 1 < p->capacity ? i + 1 : FT_NIL;
		t->ent[i].prev = FT_NIL;
		t->ent[i].heap_slot = FT_HEAP_NONE;
		t->ent[i].cold = FT_NIL;
		t->ent[i].state = FT_ST_FREE;
	}
	t->free_head = 0;
	return t;

fail:
	FT_LOG(ERR, "flow table %s: cannot allocate %u entries (%zu bytes each) on socket %d",
		name, p->capacity, sizeof(struct ft_entry), p->socket_id);
	sf_flow_table_free(t);
	rte_errno = ENOMEM;
	return NULL;
}

void
sf_flow_table_free(struct sf_flow_table *t)
{
	if (t == NULL)
		return;
	ft_mem_free(t->cold, t->cold_len);
	ft_mem_free(t->bkt, t->bkt_len);
	ft_mem_free(t->side, t->side_len);
	ft_mem_free(t->ent, t->ent_len);
	rte_free(t);
}

static void
ft_update(struct sf_flow_table *t, const struct sf_pkt_info *const pi[], const uint64_t ts[],
		const void *const frame[], unsigned int n)
{
	uint32_t sig[SF_BURST], cand[SF_BURST];
	const bool cold_pf = t->cold_ops.packet != NULL;	/* prefetch cold areas */
	unsigned int i;

	t->frame = frame;	/* the packet hook's, by index in this burst */
	for (i = 0; i < n; i++) {
		sig[i] = sf_flow_key_hash(&pi[i]->key);
		rte_prefetch0(&t->bkt[sig[i] & t->bmask]);
	}
	for (i = 0; i < n; i++) {
		cand[i] = ft_probe_sig(t, sig[i]);
		if (cand[i] != FT_NIL)
			ft_prefetch_entry(&t->ent[cand[i]]);
	}
	/*
	 * Moving an entry to its list tail writes both list neighbours: with
	 * many flows they are cold lines too (prefetching them measured 107 ->
	 * 72 ns/packet at 1M flows). Links may change before use; it is a hint.
	 */
	for (i = 0; i < n; i++) {
		const struct ft_entry *e;

		if (cand[i] == FT_NIL)
			continue;
		e = &t->ent[cand[i]];
		if (e->next != FT_NIL) {
			rte_prefetch0(&t->ent[e->next]);
			if (e->prev != FT_NIL)
				rte_prefetch0(&t->ent[e->prev]);
		}
		/* A flow with a cold area: packet() reads its first four lines. */
		if (cold_pf && e->cold != FT_NIL) {
			const uint8_t *c = ft_cold_area(t, e->cold);

			rte_prefetch0(c);
			rte_prefetch0(c + 64);
			rte_prefetch0(c + 128);
			rte_prefetch0(c + 192);
		}
	}
	for (i = 0; i < n; i++) {
		uint32_t idx = cand[i];
		struct ft_entry *e;

		/*
		 * The full key check also covers entries that changed since the
		 * probe: a flow created earlier in this burst is found by the
		 * lookup, an entry evicted and reused for another key fails the
		 * compare. (Entries are freed during updates only to be reused at
		 * once, so a candidate is never a free entry.)
		 */
		if (idx == FT_NIL || !sf_flow_key_eq(&t->ent[idx].key, &pi[i]->key))
			idx = ft_lookup(t, &pi[i]->key, sig[i]);
		if (idx == FT_NIL) {
			idx = ft_new_flow(t, pi[i], sig[i], ts[i]);
			e = &t->ent[idx];
		} else {
			e = &t->ent[idx];
			ft_check_existing(t, e, idx, pi[i], ts[i]);
		}
		ft_account(t, e, idx, pi[i], ts[i], i);
	}
	if (n != 0 && ts[n - 1] > t->newest_ns)
		t->newest_ns = ts[n - 1];
}

void
sf_flow_table_update_frames(struct sf_flow_table *t, const struct sf_pkt_info *const pi[],
		const uint64_t ts[], const void *const frame[], unsigned int n)
{
	while (n > SF_BURST) {
		ft_update(t, pi, ts, frame, SF_BURST);
		pi += SF_BURST;
		ts += SF_BURST;
		if (frame != NULL)
			frame += SF_BURST;
		n -= SF_BURST;
	}
	ft_update(t, pi, ts, frame, n);
}

void
sf_flow_table_update_burst(struct sf_flow_table *t, const struct sf_pkt_info *const pi[],
		const uint64_t ts[], unsigned int n)
{
	sf_flow_table_update_frames(t, pi, ts, NULL, n);
}

unsigned int
sf_flow_table_expire(struct sf_flow_table *t, uint64_t now, unsigned int budget)
{
	unsigned int done = 0;

	while (done < budget) {
		uint32_t ho = t->list[FT_LIST_OPEN].head;
		uint32_t he = t->list[FT_LIST_ENDED].head;
		bool xo = ho != FT_NIL &&
			ft_elapsed(now, t->ent[ho].last_ns, t->timeout[FT_LIST_OPEN]);
		bool xe = he != FT_NIL &&
			ft_elapsed(now, t->ent[he].last_ns, t->timeout[FT_LIST_ENDED]);
		uint32_t idx;

		if (xo && xe) {
			/* Both due: the earlier deadline first. */
			idx = ft_deadline(t->ent[ho].last_ns, t->timeout[FT_LIST_OPEN]) <
				ft_deadline(t->ent[he].last_ns, t->timeout[FT_LIST_ENDED]) ?
				ho : he;
		} else if (xo) {
			idx = ho;
		} else if (xe) {
			idx = he;
		} else {
			break;
		}
		ft_end_entry(t, idx, ft_timeout_reason(&t->ent[idx]));
		t->ent[idx].state = FT_ST_FREE;
		t->ent[idx].next = t->free_head;
		t->free_head = idx;
		done++;
	}
	return done;
}

void
sf_flow_table_flush(struct sf_flow_table *t, enum sf_end_reason reason)
{
	int l;

	/*
	 * Every entry leaves, so index slots are simply cleared (no shifting:
	 * nobody looks up meanwhile, and finding a slot scans past empty
	 * ones). The work is proportional to the flows, not the capacity.
	 */
	for (l = FT_LIST_ENDED; l >= FT_LIST_OPEN; l--) {
		uint32_t idx = t->list[l].head;

		while (idx != FT_NIL) {
			struct ft_entry *e = &t->ent[idx];
			uint32_t next = e->next;
			uint32_t s = (t->side[idx].sig & t->bmask) * FT_BUCKET_SLOTS;

			ft_iv_leave(t, e);
			ft_emit(t, idx, reason);
			ft_heap_detach(t, e);
			while (FT_SLOT_ENT(t, s) != idx + 1)
				s = (s + 1) & t->smask;
			FT_SLOT_SIG(t, s) = 0;
			FT_SLOT_ENT(t, s) = 0;
			e->prev = FT_NIL;
			e->state = FT_ST_FREE;
			e->next = t->free_head;
			t->free_head = idx;
			idx = next;
		}
		t->list[l].head = FT_NIL;
		t->list[l].tail = FT_NIL;
	}
	t->stats.active = 0;
}

unsigned int
sf_flow_table_interval_flows(struct sf_flow_table *t, unsigned int max, uint64_t *rest)
{
	unsigned int n = 0, l;
	struct sf_flow_topk f;

	/* Each list is in order of last packet: the interval's flows are its tail. */
	for (l = FT_LIST_OPEN; l <= FT_LIST_ENDED && n < max; l++) {
		uint32_t idx = t->list[l].tail;

		while (n < max && idx != FT_NIL && t->ent[idx].last_ns >= t->iv_start) {
			const struct ft_entry *e = &t->ent[idx];

			if (t->iv_flow != NULL) {
				ft_iv_item(e, &f);
				t->iv_flow(t->iv_arg, &f, e->cold != FT_NIL ?
						ft_cold_area(t, e->cold) : NULL);
			}
			n++;
			idx = e->prev;
		}
	}
	/* The rest is counted, not walked: the walk stays as short as the cap. */
	*rest = t->iv_touched - t->iv_left - n;
	return n;
}

void
sf_flow_table_interval_begin(struct sf_flow_table *t)
{
	uint32_t i;

	for (i = 0; i < t->heap_n; i++)
		if (t->heap[i].ent != FT_NIL)
			t->ent[t->heap[i].ent].heap_slot = FT_HEAP_NONE;
	t->heap_n = 0;
	t->iv_touched = 0;
	t->iv_left = 0;
	/* Every flow seen so far was seen before this time: its counters restart. */
	t->iv_start = t->newest_ns + (t->newest_ns != UINT64_MAX);
}

unsigned int
sf_flow_table_interval_top(const struct sf_flow_table *t, struct sf_flow_topk out[SF_TOPK])
{
	unsigned int n = t->heap_n, i, j;

	/* Insertion sort of at most SF_TOPK items, best first. */
	for (i = 0; i < n; i++) {
		const struct ft_heap_item *it = &t->heap[i];
		struct ft_rank ri = ft_item_rank(it);

		for (j = i; j > 0; j--) {
			struct ft_rank rj = {
				.bytes = out[j - 1].bytes, .packets = out[j - 1].packets,
				.key = &out[j - 1].key, .initiator = out[j - 1].initiator,
			};

			if (!ft_rank_below(&rj, &ri))
				break;
			out[j] = out[j - 1];
		}
		memset(&out[j], 0, sizeof(out[j]));
		out[j].key = it->key;
		out[j].bytes = it->bytes;
		out[j].packets = it->packets;
		out[j].initiator = it->initiator;
	}
	return n;
}

const struct sf_flow_table_stats *
sf_flow_table_stats(const struct sf_flow_table *t)
{
	return &t->stats;
}

size_t
sf_flow_table_bytes_per_flow(uint32_t capacity)
{
	uint64_t total;

	if (capacity == 0)
		return 0;
	total = (uint64_t)capacity * (sizeof(struct ft_entry) + sizeof(struct ft_side)) +
		(uint64_t)ft_buckets(capacity) * sizeof(struct ft_bucket);
	return (size_t)((total + capacity - 1) / capacity);
}

size_t
sf_flow_table_entry_size(void)
{
	return sizeof(struct ft_entry);
}

/*
 * Entries never move while their flow lives, so walking the array by
 * index visits a flow that lives through a whole scan exactly once,
 * whatever happens to other flows between the steps. The free bit in the
 * state byte (set where an entry goes onto the free list, cleared by
 * ft_flow_begin) tells the live ones apart without reading the index.
 */
uint32_t
sf_flow_table_scan(const struct sf_flow_table *t, uint32_t cursor, uint32_t budget,
		sf_flow_scan_fn cb, void *arg)
{
	uint32_t end, i;

	if (cursor >= t->capacity)
		return SF_FLOW_SCAN_END;
	end = budget < t->capacity - cursor ? cursor + budget : t->capacity;
	for (i = cursor; i < end; i++) {
		const struct ft_entry *e = &t->ent[i];
		struct sf_flow_view v;

		if (e->state & FT_ST_FREE)
			continue;
		v.key = e->key;
		v.first_ns = e->first_ns;
		v.last_ns = e->last_ns;
		v.packets[0] = e->packets[0];
		v.packets[1] = e->packets[1];
		v.bytes[0] = e->bytes[0];
		v.bytes[1] = e->bytes[1];
		v.tcp_flags[0] = e->tcp_flags[0];
		v.tcp_flags[1] = e->tcp_flags[1];
		v.initiator = ft_initiator(e);
		v.tcp_ended = ft_list_of(e) == FT_LIST_ENDED;
		cb(arg, &v);
	}
	return end < t->capacity ? end : SF_FLOW_SCAN_END;
}
