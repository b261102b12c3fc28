/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdlib.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "sf_worker.h"

/* A partial record batch waits at most this long before it is sent. */
#define SF_BATCH_FLUSH_MS 100

struct sf_worker {
	unsigned int id;
	bool started;		/* clock and interval are valid */
	bool lossless;
	uint64_t interval_ns;
	uint64_t clock;		/* newest packet time seen or told */
	uint64_t cur;		/* current interval index */
	uint64_t next_boundary;	/* start of interval cur + 1 */
	struct sf_flow_table *table;
	struct rte_ring *ring;
	struct rte_mempool *pool;
	bool (*wait_fn)(void *arg);
	void *wait_arg;
	bool flushing;		/* input has stopped: wait until the deadline */
	bool must_send;		/* the final message: wait whatever happens */
	uint64_t flush_tsc_max;	/* flush_timeout_ns in TSC cycles */
	uint64_t deadline_tsc;	/* end of the final flush's wait */
	struct sf_msg *batch;	/* partial record batch, or NULL */
	uint64_t batch_tsc;	/* when the batch got its first record */
	uint64_t flush_tsc;	/* SF_BATCH_FLUSH_MS in TSC cycles */
	uint64_t records_lost;	/* since the last interval message */
	uint64_t received_closed;	/* packets of closed intervals */
	uint64_t msgs_lost;
	uint64_t records_lost_all;	/* over the run */
	uint64_t stop_lost;		/* during the final flush */
	struct sf_flow_table_stats last;	/* table stats at interval start */
	struct sf_interval_agg agg;		/* the open interval */
} __rte_cache_aligned;

/*
 * The ring is full or the pool empty: wait one turn (true) or give up
 * (false). Live input gives up at once while it runs; after the input
 * has stopped every worker waits, until the flush deadline or until
 * wait_fn says to hurry; the final message waits regardless.
 */
static bool
wait_turn(struct sf_worker *w)
{
	bool more = true;

	if (!w->lossless && !w->flushing && !w->must_send)
		return false;
	if (w->wait_fn != NULL && !w->wait_fn(w->wait_arg)) {
		/* A hurried stop: what is lost from now on is lost at the stop. */
		w->flushing = true;
		more = false;
	}
	if (w->must_send)
		return true;
	if (w->flushing && rte_rdtsc() >= w->deadline_tsc)
		more = false;
	return more;
}

static void
lose_records(struct sf_worker *w, uint64_t n)
{
	w->records_lost += n;
	w->records_lost_all += n;
	if (w->flushing)
		w->stop_lost += n;
}

static struct sf_msg *
msg_get(struct sf_worker *w)
{
	void *p;

	while (rte_mempool_get(w->pool, &p) != 0) {
		if (!wait_turn(w)) {
			w->msgs_lost++;
			return NULL;
		}
	}
	return p;
}

/* Returns 0 if sent; otherwise the message went back to its pool. */
static int
msg_send(struct sf_worker *w, struct sf_msg *msg)
{
	while (rte_ring_sp_enqueue(w->ring, msg) != 0) {
		if (!wait_turn(w)) {
			w->msgs_lost++;
			if (msg->type == SF_MSG_RECORDS)
				lose_records(w, msg->count);
			rte_mempool_put(w->pool, msg);
			return -ENOBUFS;
		}
	}
	return 0;
}

static void
batch_send(struct sf_worker *w)
{
	struct sf_msg *b = w->batch;

	if (b == NULL)
		return;
	w->batch = NULL;
	b->watermark = w->cur;
	msg_send(w, b);
}

static void
emit_record(void *arg, const struct sf_flow_record *rec)
{
	struct sf_worker *w = arg;
	struct sf_msg *b = w->batch;

	if (b == NULL) {
		b = msg_get(w);
		if (b == NULL) {
			lose_records(w, 1);
			return;
		}
		b->type = SF_MSG_RECORDS;
		b->worker = (uint16_t)w->id;
		b->count = 0;
		w->batch = b;
		w->batch_tsc = rte_rdtsc();
	}
	b->u.rec[b->count++] = *rec;
	if (b->count == SF_MSG_RECS)
		batch_send(w);
}

struct sf_worker *
sf_worker_create(const struct sf_worker_params *p)
{
	struct sf_flow_table_params tp;
	struct sf_worker *w;

	if (p == NULL || p->interval_ns == 0 || p->ring == NULL || p->pool == NULL) {
		rte_errno = EINVAL;
		return NULL;
	}
	w = rte_zmalloc_socket("sf_worker", sizeof(*w), RTE_CACHE_LINE_SIZE,
			p->table.socket_id);
	if (w == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	w->id = p->id;
	w->interval_ns = p->interval_ns;
	w->ring = p->ring;
	w->pool = p->pool;
	w->lossless = p->lossless;
	w->wait_fn = p->wait_fn;
	w->wait_arg = p->wait_arg;
	w->flush_tsc_max = (uint64_t)((double)p->flush_timeout_ns / 1e9 *
			(double)rte_get_tsc_hz());
	w->flush_tsc = rte_get_tsc_hz() / 1000 * SF_BATCH_FLUSH_MS;

	tp = p->table;
	tp.emit = emit_record;
	tp.emit_arg = w;
	w->table = sf_flow_table_create(&tp);
	if (w->table == NULL)
		goto fail;
	return w;
fail:
	rte_free(w);
	return NULL;
}

void
sf_worker_free(struct sf_worker *w)
{
	if (w == NULL)
		return;
	if (w->batch != NULL)
		rte_mempool_put(w->pool, w->batch);
	sf_flow_table_free(w->table);
	rte_free(w);
}

static void
start_at(struct sf_worker *w, uint64_t t)
{
	w->started = true;
	w->clock = t;
	w->cur = t / w->interval_ns;
	w->next_boundary = (w->cur + 1) * w->interval_ns;
	w->last = *sf_flow_table_stats(w->table);
	sf_flow_table_interval_begin(w->table);
}

/*
 * Close interval w->cur: end every flow whose deadline falls inside it,
 * then send its aggregate (even an empty one: it carries the watermark).
 * If the message cannot be sent (live input, full ring or pool), its
 * counters stay in w->agg and travel with the next aggregate, so packets
 * and flows are still accounted for, one interval late, and the loss is
 * counted in records_lost.
 */
static void
close_interval(struct sf_worker *w, uint64_t watermark)
{
	const struct sf_flow_table_stats *st;
	struct sf_interval_agg *a = &w->agg;
	struct sf_msg *msg;
	unsigned int r;
	bool sent = false;

	sf_flow_table_expire(w->table, w->next_boundary - 1, UINT32_MAX);
	st = sf_flow_table_stats(w->table);
	a->interval = w->cur;
	a->flows_new += st->created - w->last.created;
	for (r = 0; r < SF_END_MAX; r++)
		a->flows_ended[r] += st->ended[r] - w->last.ended[r];
	a->flows_active = st->active;
	a->ntop = sf_flow_table_interval_top(w->table, a->top);
	w->last = *st;

	/* Records first: the collector relies on their order on the ring. */
	batch_send(w);
	a->records_lost += w->records_lost;
	w->records_lost = 0;
	msg = msg_get(w);
	if (msg != NULL) {
		msg->type = SF_MSG_INTERVAL;
		msg->worker = (uint16_t)w->id;
		msg->count = 0;
		msg->watermark = watermark;
		memcpy(&msg->u.agg, a, sizeof(*a));
		sent = msg_send(w, msg) == 0;
	}
	if (sent) {
		w->received_closed += a->received;
		memset(a, 0, sizeof(*a));
	}
	sf_flow_table_interval_begin(w->table);
}

void
sf_worker_advance(struct sf_worker *w, uint64_t now)
{
	if (!w->started) {
		if (now != 0)
			start_at(w, now);
		return;
	}
	if (now <= w->clock)
		return;
	while (now >= w->next_boundary) {
		close_interval(w, w->cur + 1);
		w->cur++;
		w->next_boundary += w->interval_ns;
		/* Nothing can happen in the gap of an empty table: skip it. */
		if (now >= w->next_boundary &&
				sf_flow_table_stats(w->table)->active == 0) {
			w->cur = now / w->interval_ns;
			w->next_boundary = (w->cur + 1) * w->interval_ns;
		}
	}
	w->clock = now;
}

static inline void
count_flow_packet(struct sf_interval_agg *a, const struct sf_pkt_info *pi)
{
	a->flowed++;
	a->bytes += pi->ip_len;
	a->proto_packets[pi->key.proto]++;
	a->proto_bytes[pi->key.proto] += pi->ip_len;
	if (pi->key.ipver == 4)
		a->ipv4_packets++;
	else
		a->ipv6_packets++;
}

static void
process_chunk(struct sf_worker *w, struct rte_mbuf **m, unsigned int n)
{
	const struct sf_pkt_info *pi[SF_BURST];
	uint64_t ts[SF_BURST];
	struct sf_interval_agg *a = &w->agg;
	unsigned int i, k = 0;

	for (i = 0; i < n; i++) {
		const struct sf_pkt_meta *meta = sf_pkt_meta(m[i]);
		uint64_t t = meta->ts_ns;

		if (i + 1 < n)
			rte_prefetch0(sf_pkt_meta(m[i + 1]));
		if (unlikely(!w->started))
			start_at(w, t);
		if (t < w->clock)
			t = w->clock;
		if (unlikely(t >= w->next_boundary)) {
			/* Packets before the boundary belong to the closing interval. */
			if (k != 0) {
				sf_flow_table_update_burst(w->table, pi, ts, k);
				k = 0;
			}
			sf_worker_advance(w, t);
		}
		w->clock = t;
		a->received++;
		switch (meta->cls) {
		case SF_PKT_FLOW:
			pi[k] = &meta->info;
			ts[k] = t;
			k++;
			count_flow_packet(a, &meta->info);
			break;
		case SF_PKT_NONFLOW:
			a->nonflow++;
			break;
		default:
			a->malformed++;
			a->malformed_by[meta->info.malformed < SF_PKT_BAD_MAX ?
					meta->info.malformed : 0]++;
			break;
		}
	}
	if (k != 0)
		sf_flow_table_update_burst(w->table, pi, ts, k);
}

void
sf_worker_process(struct sf_worker *w, struct rte_mbuf **m, unsigned int n)
{
	unsigned int i, c;

	for (i = 0; i < n; i += c) {
		c = RTE_MIN(n - i, (unsigned int)SF_BURST);
		process_chunk(w, m + i, c);
	}
}

void
sf_worker_housekeep(struct sf_worker *w, unsigned int budget, uint64_t tsc_now)
{
	if (w->started && budget != 0)
		sf_flow_table_expire(w->table, w->clock, budget);
	if (w->batch != NULL && tsc_now - w->batch_tsc > w->flush_tsc)
		batch_send(w);
}

void
sf_worker_finish(struct sf_worker *w, uint64_t now)
{
	/*
	 * Input has stopped: no packet can be lost by waiting now, so every
	 * record waits for the collector (until the deadline).
	 */
	w->flushing = true;
	w->deadline_tsc = rte_rdtsc() + w->flush_tsc_max;
	if (!w->started)
		start_at(w, now);
	sf_worker_advance(w, now);
	/* Flows whose timeout has already passed end for that reason. */
	sf_flow_table_expire(w->table, w->clock, UINT32_MAX);
	sf_flow_table_flush(w->table, SF_END_END_OF_INPUT);
	/* The last message carries the accounting: it always gets through. */
	w->must_send = true;
	close_interval(w, SF_WATERMARK_DONE);
}

uint64_t
sf_worker_clock(const struct sf_worker *w)
{
	return w->clock;
}

const struct sf_flow_table_stats *
sf_worker_table_stats(const struct sf_worker *w)
{
	return sf_flow_table_stats(w->table);
}

uint64_t
sf_worker_received(const struct sf_worker *w)
{
	return w->received_closed + w->agg.received;
}

uint64_t
sf_worker_msgs_lost(const struct sf_worker *w)
{
	return w->msgs_lost;
}

uint64_t
sf_worker_records_lost(const struct sf_worker *w)
{
	return w->records_lost_all;
}

uint64_t
sf_worker_stop_lost(const struct sf_worker *w)
{
	return w->stop_lost;
}
