/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include <netinet/in.h>

#include "sf_app.h"
#include "sf_search.h"
#include "sf_tcp.h"
#include "sf_worker.h"

/* A partial record batch waits at most this long before it is sent. */
#define SF_BATCH_FLUSH_MS 100

/* The counters other lcores read, written by the worker only. */
struct worker_shared {
	_Atomic uint64_t received;
	_Atomic uint64_t msgs_lost;
	_Atomic uint64_t records_lost;
	_Atomic uint64_t stop_lost;
	_Atomic uint64_t flows_active;
	_Atomic uint64_t peak_active;
	_Atomic uint64_t capacity;
	_Atomic uint64_t evictions;
} __rte_cache_aligned;

struct sf_worker {
	unsigned int id;
	bool started;		/* clock and interval are valid */
	bool lossless;
	uint64_t interval_ns;
	uint64_t clock;		/* newest packet time seen or told */
	uint64_t cur;		/* current interval index */
	uint64_t next_boundary;	/* start of interval cur + 1 */
	struct sf_flow_table *table;
	struct sf_msg_chan *chan;
	bool (*wait_fn)(void *arg);
	void *wait_arg;
	bool flushing;		/* input has stopped: wait until the deadline */
	bool must_send;		/* the final message: wait whatever happens */
	uint64_t flush_tsc_max;	/* flush_timeout_ns in TSC cycles */
	uint64_t deadline_tsc;	/* end of the final flush's wait */
	struct sf_msg_records *batch;	/* partial record batch, or NULL */
	uint64_t batch_tsc;	/* when the batch got its first record */
	uint64_t flush_tsc;	/* SF_BATCH_FLUSH_MS in TSC cycles */
	uint64_t records_lost;	/* since the last interval message */
	uint64_t received_closed;	/* packets of closed intervals */
	uint64_t msgs_lost;
	uint64_t records_lost_all;	/* over the run */
	uint64_t stop_lost;		/* during the final flush */
	struct sf_flow_table_stats last;	/* table stats at interval start */
	struct sf_interval_agg agg;		/* the open interval */
	/* The SPAN copy estimate of the open interval (see estimate_copies). */
	uint64_t est_sampled, est_copies;
	uint64_t est_flowed;			/* agg.flowed when it began */
	double est_share;			/* of copies, in the latest run */
	uint8_t sampling;			/* enum sf_sampling of the classify steps */
	bool sampling_scale;			/* records' counts x sampling_rate */
	uint32_t sampling_rate;
	bool stale;				/* shared is behind */
	bool tunnel_facts;			/* cold areas: what carried a flow */
	bool tcp_analysis;			/* cold areas: TCP health */
	bool app;				/* cold areas: application metadata */
	bool features;				/* cold areas: flow features */
	uint8_t splt;				/* their SPLT length */
	uint32_t splt_slot;			/* bytes of a record's SPLT slot in a batch */
	struct sf_flow_splt *splt_buf;		/* a record's SPLT while it is built */
	uint16_t off_tun, off_app, off_feat;	/* cold area parts, 0: not there */
	struct sf_app *appi;			/* its buffers and ciphers (app) */
	struct sf_app_stats app_last;		/* its counts at the last interval's end */
	struct sf_tun_table tun;		/* the open interval's tunnel contexts */
	struct sf_tcpa_table *tcpa;		/* its TCP servers and subnets (tcp_analysis) */
	/* The live view: this interval's flow counts (live.flows at most). */
	unsigned int live_max;
	unsigned int live_n;			/* itemized in this interval */
	uint64_t live_packets, live_bytes;	/* counts handed over, sent or unlisted */
	struct sf_msg_live *live;		/* partial message, or NULL */
	/* tunnel.underlay: the underlay flows' packets of the chunk in hand. */
	struct sf_pkt_info under[SF_BURST];
	/* Active-flow searches the HTTP thread posts (sf_search.h). */
	struct sf_search_inbox search;
	struct worker_shared shared;		/* read by other lcores */
} __rte_cache_aligned;

/*
 * Store what other lcores read (sf_worker_counters): after each burst, and
 * after housekeeping or an interval that changed anything. A few relaxed
 * stores into a line of its own.
 */
static void
publish(struct sf_worker *w)
{
	const struct sf_flow_table_stats *st = sf_flow_table_stats(w->table);
	struct worker_shared *sh = &w->shared;

	w->stale = false;
	atomic_store_explicit(&sh->received, w->received_closed + w->agg.received,
			memory_order_relaxed);
	atomic_store_explicit(&sh->msgs_lost, w->msgs_lost, memory_order_relaxed);
	atomic_store_explicit(&sh->records_lost, w->records_lost_all, memory_order_relaxed);
	atomic_store_explicit(&sh->stop_lost, w->stop_lost, memory_order_relaxed);
	atomic_store_explicit(&sh->flows_active, st->active, memory_order_relaxed);
	atomic_store_explicit(&sh->peak_active, st->peak_active, memory_order_relaxed);
	atomic_store_explicit(&sh->capacity, st->capacity, memory_order_relaxed);
	atomic_store_explicit(&sh->evictions, st->ended[SF_END_EVICTED], memory_order_relaxed);
}

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

static void *
msg_get(struct sf_worker *w, enum sf_msg_type type)
{
	void *p;

	while (rte_mempool_get(w->chan->pool[type], &p) != 0) {
		if (!wait_turn(w)) {
			w->msgs_lost++;
			return NULL;
		}
	}
	return p;
}

/*
 * Flows of the live view that are counted but not itemized: over the cap,
 * no message free, or their message not sent (live input never waits).
 */
static void
live_unlisted(struct sf_worker *w, const struct sf_flow_topk *f, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		w->agg.live_unlisted_flows++;
		w->agg.live_unlisted_packets += f[i].packets;
		w->agg.live_unlisted_bytes += f[i].bytes;
		w->live_packets += f[i].packets;
		w->live_bytes += f[i].bytes;
	}
}

/* A live message that could not be sent: its flows become unlisted. */
static void
live_lost(struct sf_worker *w, const struct sf_msg_live *m)
{
	unsigned int i;

	for (i = 0; i < m->h.count; i++) {
		w->live_packets -= m->f[i].packets;	/* live_unlisted adds them back */
		w->live_bytes -= m->f[i].bytes;
	}
	live_unlisted(w, m->f, m->h.count);
}

/* Returns 0 if sent; otherwise the message went back to its pool. */
static int
msg_send(struct sf_worker *w, struct sf_msg *msg)
{
	while (rte_ring_sp_enqueue(w->chan->ring, msg) != 0) {
		if (!wait_turn(w)) {
			w->msgs_lost++;
			if (msg->type == SF_MSG_RECORDS)
				lose_records(w, msg->count);
			else if (msg->type == SF_MSG_LIVE)
				live_lost(w, (const struct sf_msg_live *)msg);
			rte_mempool_put(w->chan->pool[msg->type], msg);
			return -ENOBUFS;
		}
	}
	return 0;
}

static void
batch_send(struct sf_worker *w)
{
	struct sf_msg_records *b = w->batch;

	if (b == NULL)
		return;
	w->batch = NULL;
	b->h.watermark = w->cur;
	msg_send(w, &b->h);
}

/*
 * A flow's cold area: what only some flows need. Tunnel facts (a
 * tunnelled flow: what carried its first packet goes into each of its
 * records; a flow whose packets only had VLAN tags has nothing to add to
 * its key), TCP health (lib/tcp), application metadata (lib/app) and flow
 * features (lib/feat). One area per flow that wants any. The head is
 * always there, its TCP state only with tcp.analysis; the other parts
 * follow at offsets the worker computes from what is on (w->off_*), so an
 * area holds only what the configuration uses.
 */
struct flow_cold {
	uint8_t on;		/* COLD_*: what below is in use */
	struct sf_tcpa_ref tcpa;	/* its rows in the interval's TCP table (7 bytes) */
	struct sf_tcp tcp;	/* first: what a TCP packet touches in two lines */
};

/* A part of the area at offset off (a w->off_* that is not 0). */
#define COLD_PART(c, off, type) ((type *)(void *)((uint8_t *)(c) + (off)))

#define COLD_TCP 0x1	/* tcp */
#define COLD_APP 0x2	/* app, until the inspection is over */
#define COLD_FEAT 0x4	/* feat */

_Static_assert(offsetof(struct flow_cold, tcp) == 8, "the TCP table ref fits before the state");

static inline bool
tunnelled(const struct sf_pkt_info *pi)
{
	return (pi->flags & SF_PKT_F_ENCAP) &&
		(pi->tun.encaps & ~(UINT32_C(1) << SF_ENCAP_VLAN)) != 0;
}

static bool
cold_want(void *arg, const struct sf_pkt_info *pi)
{
	const struct sf_worker *w = arg;

	return (w->tunnel_facts && tunnelled(pi)) ||
		(w->tcp_analysis && (pi->flags & SF_PKT_F_TCP)) ||
		(w->app && (pi->key.proto == IPPROTO_TCP || pi->key.proto == IPPROTO_UDP) &&
		 pi->key.ctx_kind != SF_FLOW_CTX_UNDERLAY) ||
		(w->features && pi->key.ctx_kind != SF_FLOW_CTX_UNDERLAY);
}

static void
cold_start(void *arg, void *area, const struct sf_pkt_info *pi)
{
	const struct sf_worker *w = arg;
	struct flow_cold *c = area;

	if (w->tunnel_facts && tunnelled(pi)) {
		const struct sf_pkt_tunnel *t = &pi->tun;
		struct sf_flow_tun *f = COLD_PART(c, w->off_tun, struct sf_flow_tun);

		f->encaps = t->encaps;
		f->ids = t->ids;
		f->outer_ipver = t->outer_ipver;
		f->erspan = t->erspan;
		f->vni = t->vni;
		f->gre_key = t->gre_key;
		f->teid = t->teid;
		f->n_mpls = t->n_mpls;
		memcpy(f->mpls, t->mpls, sizeof(f->mpls));
		memcpy(f->outer_src, t->outer_src, sizeof(f->outer_src));
		memcpy(f->outer_dst, t->outer_dst, sizeof(f->outer_dst));
	}
	if (w->tcp_analysis && (pi->flags & SF_PKT_F_TCP)) {
		c->on |= COLD_TCP;
		sf_tcp_start(&c->tcp);
	}
	if (w->app && (pi->key.proto == IPPROTO_TCP || pi->key.proto == IPPROTO_UDP) &&
			pi->key.ctx_kind != SF_FLOW_CTX_UNDERLAY)
		c->on |= COLD_APP;	/* the area is zeroed: the inspection's start */
	if (w->features && pi->key.ctx_kind != SF_FLOW_CTX_UNDERLAY) {
		c->on |= COLD_FEAT;
		sf_feat_init(COLD_PART(c, w->off_feat, struct sf_feat), w->splt);
	}
}

static void
cold_packet(void *arg, void *area, const struct sf_pkt_info *pi, unsigned int dir, uint64_t ts,
		const void *frame)
{
	struct sf_worker *w = arg;
	struct flow_cold *c = area;

	if (unlikely(c->on & COLD_APP) && frame != NULL) {
		const struct rte_mbuf *m = frame;
		struct sf_app_flow *af = COLD_PART(c, w->off_app, struct sf_app_flow);

		sf_app_packet(w->appi, af, pi, dir, rte_pktmbuf_mtod(m, const uint8_t *),
				rte_pktmbuf_data_len(m));
		if (!sf_app_flow_active(af))
			c->on &= (uint8_t)~COLD_APP;
	}
	if (c->on & COLD_FEAT)
		sf_feat_packet(COLD_PART(c, w->off_feat, struct sf_feat), dir, ts, pi->ip_len);
	if (c->on & COLD_TCP) {
		/* What the analysis finds, counted per server and subnet as it is found. */
		unsigned int found = sf_tcp_packet(&c->tcp, pi, dir, ts);

		sf_tcpa_packet(w->tcpa, &c->tcpa, &pi->key, pi->dir ^ dir, dir, found &
				SF_TCP_FOUND_RETRANS, found & SF_TCP_FOUND_RTT,
				&c->tcp.out.rtt_server_ns);
	}
}

static void
cold_record(void *arg, void *area, struct sf_flow_record *rec, bool ends)
{
	struct sf_worker *w = arg;
	struct flow_cold *c = area;

	if (w->off_tun != 0)
		rec->tun = *COLD_PART(c, w->off_tun, struct sf_flow_tun);	/* zero unless tunnelled */
	if (w->app) {
		sf_app_record(w->appi, COLD_PART(c, w->off_app, struct sf_app_flow), rec, ends);
		if (ends)
			w->agg.app_flows[rec->app.kind % SF_APP_KINDS]++;
	}
	if (c->on & COLD_FEAT) {
		const struct sf_feat *ft = COLD_PART(c, w->off_feat, struct sf_feat);

		sf_feat_result(ft, &rec->feat);
		if (w->splt != 0) {
			struct sf_flow_splt *s = w->splt_buf;

			s->n = w->splt;
			s->len = (uint8_t)sf_feat_splt(ft, 0, s->e, w->splt);
			rec->splt = s;
		}
	}
	if (c->on & COLD_TCP) {
		sf_tcp_record(&c->tcp, rec, ends);
		if (ends)
			w->agg.conn_state_flows[rec->tcp.conn_state % SF_ZEEK_N]++;
	}
}

/* ---- the live view: flows' counts of the interval (sf_msg_live) ---- */


static void
live_send(struct sf_worker *w)
{
	struct sf_msg_live *m = w->live;

	if (m == NULL)
		return;
	w->live = NULL;
	m->h.watermark = w->cur;	/* moves nothing: the aggregate does */
	m->interval = w->cur;
	msg_send(w, &m->h);
}

/* The flow table hands over a flow's counts in the interval (sf_flow_table_params.iv_flow). */
static void
live_flow(void *arg, const struct sf_flow_topk *f, const void *cold)
{
	struct sf_worker *w = arg;
	struct sf_msg_live *m = w->live;
	const void *c = cold;

	if (w->live_n >= w->live_max) {
		live_unlisted(w, f, 1);
		return;
	}
	if (m == NULL) {
		m = msg_get(w, SF_MSG_LIVE);
		if (m == NULL) {
			live_unlisted(w, f, 1);
			return;
		}
		m->h.type = SF_MSG_LIVE;
		m->h.worker = (uint16_t)w->id;
		m->h.count = 0;
		w->live = m;
	}
	m->f[m->h.count] = *f;
	/* What the application inspection has found so far (its area lives while it runs). */
	if (c != NULL && w->off_app != 0) {
		const struct sf_app_flow *af = (const void *)((const uint8_t *)c + w->off_app);

		m->f[m->h.count].app = af->res.kind;
	}
	/* The handshake's RTT, for the slowest servers (tcp.analysis: every area has it). */
	if (c != NULL && w->tcp_analysis) {
		uint64_t ns = ((const struct flow_cold *)c)->tcp.out.rtt_server_ns;

		uint64_t us = ns / 1000;

		if (ns != 0)
			m->f[m->h.count].rtt_us = us == 0 ? 1 : us > UINT32_MAX ? UINT32_MAX :
				(uint32_t)us;
	}
	m->h.count++;
	w->live_n++;
	w->live_packets += f->packets;
	w->live_bytes += f->bytes;
	if (m->h.count == SF_MSG_LIVE_FLOWS)
		live_send(w);
}

/*
 * Close the interval's live view: the flows still in the table, up to the
 * cap; what a capped walk left is unlisted by difference (the table's
 * packets and bytes of the interval minus those itemized).
 */
static void
live_close(struct sf_worker *w, const struct sf_flow_table_stats *st)
{
	uint64_t rest = 0;

	if (w->live_max == 0)
		return;
	/* The walk stops at the cap: a pause as short as live.flows. */
	sf_flow_table_interval_flows(w->table, w->live_max > w->live_n ?
			w->live_max - w->live_n : 0, &rest);
	if (rest != 0) {
		uint64_t pk = st->packets - w->last.packets, by = st->bytes - w->last.bytes;
		uint64_t known_pk = w->live_packets, known_by = w->live_bytes;

		w->agg.live_unlisted_flows += rest;
		w->agg.live_unlisted_packets += pk > known_pk ? pk - known_pk : 0;
		w->agg.live_unlisted_bytes += by > known_by ? by - known_by : 0;
	}
	live_send(w);
	w->live_n = 0;
	w->live_packets = 0;
	w->live_bytes = 0;
}

static void
emit_record(void *arg, const struct sf_flow_record *rec)
{
	struct sf_worker *w = arg;
	struct sf_msg_records *b = w->batch;

	if (b == NULL) {
		b = msg_get(w, SF_MSG_RECORDS);
		if (b == NULL) {
			lose_records(w, 1);
			return;
		}
		b->h.type = SF_MSG_RECORDS;
		b->h.worker = (uint16_t)w->id;
		b->h.count = 0;
		w->batch = b;
		w->batch_tsc = rte_rdtsc();
	}
	sf_flow_record_copy(&b->rec[b->h.count], rec);
	if (rec->splt != NULL) {
		/* into the batch's slot: the worker's buffer is the next record's */
		struct sf_flow_splt *s = (struct sf_flow_splt *)(b->splt +
				(size_t)b->h.count * w->splt_slot);

		memcpy(s, rec->splt, sf_flow_splt_size(rec->splt->len));
		b->rec[b->h.count].splt = s;
	}
	if (w->sampling != SF_SAMPLING_NONE) {
		struct sf_flow_record *r = &b->rec[b->h.count];

		r->sampling = w->sampling;
		r->sampling_rate = w->sampling_rate;
		if (w->sampling_scale) {
			r->packets[0] *= w->sampling_rate;
			r->packets[1] *= w->sampling_rate;
			r->bytes[0] *= w->sampling_rate;
			r->bytes[1] *= w->sampling_rate;
		}
	}
	b->h.count++;
	if (b->h.count == SF_MSG_RECS)
		batch_send(w);
}

struct sf_worker *
sf_worker_create(const struct sf_worker_params *p)
{
	struct sf_flow_table_params tp;
	struct sf_worker *w;

	if (p == NULL || p->interval_ns == 0 || p->chan == NULL) {
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
	w->sampling = p->sampling_rate > 1 ? p->sampling : SF_SAMPLING_NONE;
	w->sampling_rate = w->sampling != SF_SAMPLING_NONE ? p->sampling_rate : 1;
	/* Flow sampling keeps whole flows: their counts are exact, not scaled. */
	w->sampling_scale = p->sampling_scale && w->sampling != SF_SAMPLING_FLOW;
	w->chan = p->chan;
	w->lossless = p->lossless;
	w->wait_fn = p->wait_fn;
	w->wait_arg = p->wait_arg;
	w->flush_tsc_max = (uint64_t)((double)p->flush_timeout_ns / 1e9 *
			(double)rte_get_tsc_hz());
	w->flush_tsc = rte_get_tsc_hz() / 1000 * SF_BATCH_FLUSH_MS;

	w->tunnel_facts = p->tunnel_facts;
	w->tcp_analysis = p->tcp_analysis;
	w->app = p->app;
	w->features = p->features;
	w->splt = p->features ? (uint8_t)RTE_MIN(p->splt, (unsigned int)SF_FEAT_SPLT_MAX) : 0;
	if (w->splt != 0) {
		w->splt_slot = (uint32_t)sf_flow_splt_size(w->splt);
		w->splt_buf = rte_zmalloc_socket("sf_splt", w->splt_slot, RTE_CACHE_LINE_SIZE,
				p->table.socket_id);
		if (w->splt_buf == NULL) {
			rte_errno = ENOMEM;
			goto fail;
		}
	}
	if (p->app) {
		struct sf_app_params ap = {
			.buffers = p->app_buffers, .socket_id = p->table.socket_id,
		};

		w->appi = sf_app_create(&ap);
		if (w->appi == NULL)
			goto fail;
	}
	if (p->tcp_analysis) {
		w->tcpa = rte_zmalloc_socket("sf_tcpa", sizeof(*w->tcpa), RTE_CACHE_LINE_SIZE,
				p->table.socket_id);
		if (w->tcpa == NULL || p->chan->pool[SF_MSG_TCP] == NULL) {
			rte_errno = ENOMEM;
			goto fail;
		}
		sf_tcpa_table_init(w->tcpa, p->tcp_prefix4, p->tcp_prefix6);
	}
	tp = p->table;
	if (p->tunnel_facts || p->tcp_analysis || p->app || p->features) {
		size_t pos = p->tcp_analysis ? sizeof(struct flow_cold) :
			offsetof(struct flow_cold, tcp);

		if (p->tunnel_facts) {
			w->off_tun = (uint16_t)pos;
			pos += sizeof(struct sf_flow_tun);
		}
		if (p->app) {
			pos = RTE_ALIGN_CEIL(pos, 8);
			w->off_app = (uint16_t)pos;
			pos += sizeof(struct sf_app_flow);
		}
		if (p->features) {
			pos = RTE_ALIGN_CEIL(pos, 8);
			w->off_feat = (uint16_t)pos;
			pos += sf_feat_size(w->splt);
		}
		tp.cold.size = (uint32_t)pos;
		tp.cold.slots = tp.capacity;
		tp.cold.want_flags = (uint8_t)((p->tunnel_facts ? SF_PKT_F_ENCAP : 0) |
				(p->tcp_analysis ? SF_PKT_F_TCP : 0));
		if (p->app || p->features)
			tp.cold.want_flags = 0;		/* UDP flows too */
		tp.cold.want = cold_want;
		tp.cold.start = cold_start;
		tp.cold.packet = p->tcp_analysis || p->app || p->features ? cold_packet : NULL;
		tp.cold.record = cold_record;
		tp.cold.arg = w;
	}
	tp.emit = emit_record;
	tp.emit_arg = w;
	w->live_max = p->live_flows;
	if (p->live_flows != 0) {
		tp.iv_flow = live_flow;
		tp.iv_arg = w;
	}
	w->table = sf_flow_table_create(&tp);
	if (w->table == NULL)
		goto fail;
	if (sf_search_inbox_init(&w->search, p->table.socket_id) != 0) {
		rte_errno = ENOMEM;
		goto fail;
	}
	publish(w);
	return w;
fail:
	sf_flow_table_free(w->table);
	rte_free(w->splt_buf);
	sf_app_free(w->appi);
	rte_free(w->tcpa);
	rte_free(w);
	return NULL;
}

void
sf_worker_free(struct sf_worker *w)
{
	if (w == NULL)
		return;
	if (w->batch != NULL)
		rte_mempool_put(w->chan->pool[SF_MSG_RECORDS], w->batch);
	if (w->live != NULL)
		rte_mempool_put(w->chan->pool[SF_MSG_LIVE], w->live);
	sf_search_inbox_fini(&w->search);
	sf_flow_table_free(w->table);
	rte_free(w->splt_buf);
	sf_app_free(w->appi);
	rte_free(w->tcpa);
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
 * Duplicate removal off: the interval's SPAN copies, estimated as its flow
 * packets x the share of copies among the flow packets examined (the
 * classify steps' runs, sf_classify_steps): in this interval, or in the
 * latest one that had a run. Exact when every packet was examined.
 */
static void
estimate_copies(struct sf_worker *w)
{
	uint64_t flowed = w->agg.flowed - w->est_flowed;

	if (w->est_sampled >= flowed) {
		w->agg.duplicate_estimate += w->est_copies;
	} else {
		if (w->est_sampled != 0)
			w->est_share = (double)w->est_copies / (double)w->est_sampled;
		w->agg.duplicate_estimate += (uint64_t)(w->est_share * (double)flowed + 0.5);
	}
	w->est_sampled = 0;
	w->est_copies = 0;
}

/*
 * The interval's tunnel contexts, before its aggregate. A message that
 * cannot be had or sent leaves the table as it is: its counts go with the
 * next interval's.
 */
static void
send_tunnels(struct sf_worker *w)
{
	struct sf_msg_tunnels *m;

	if (sf_tun_table_empty(&w->tun))
		return;
	m = msg_get(w, SF_MSG_TUNNELS);
	if (m == NULL)
		return;
	m->h.type = SF_MSG_TUNNELS;
	m->h.worker = (uint16_t)w->id;
	m->h.watermark = w->cur;	/* moves nothing: the aggregate does */
	sf_msg_tunnels_pack(m, w->cur, &w->tun);
	if (msg_send(w, &m->h) == 0)
		sf_tun_table_reset(&w->tun);
}

/* The interval's TCP servers and subnets, as the tunnels. */
static void
send_tcp(struct sf_worker *w)
{
	struct sf_msg_tcp *m;

	if (w->tcpa == NULL || sf_tcpa_table_empty(w->tcpa))
		return;
	m = msg_get(w, SF_MSG_TCP);
	if (m == NULL)
		return;
	m->h.type = SF_MSG_TCP;
	m->h.worker = (uint16_t)w->id;
	m->h.watermark = w->cur;
	sf_msg_tcp_pack(m, w->cur, w->tcpa);
	if (msg_send(w, &m->h) == 0)
		sf_tcpa_table_reset(w->tcpa);
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
	struct sf_msg_interval *msg;
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
	live_close(w, st);
	if (w->app) {
		const struct sf_app_stats *as = sf_app_stats(w->appi);

		a->app_malformed += as->malformed - w->app_last.malformed;
		a->app_no_buffer += as->no_buffer - w->app_last.no_buffer;
		a->app_cut += as->cut - w->app_last.cut;
		w->app_last = *as;
	}
	w->last = *st;
	estimate_copies(w);

	/* Records first: the collector relies on their order on the ring. */
	batch_send(w);
	a->records_lost += w->records_lost;
	w->records_lost = 0;
	send_tunnels(w);
	send_tcp(w);
	msg = msg_get(w, SF_MSG_INTERVAL);
	if (msg != NULL) {
		msg->h.type = SF_MSG_INTERVAL;
		msg->h.worker = (uint16_t)w->id;
		msg->h.watermark = watermark;
		sf_msg_interval_pack(msg, a);
		sent = msg_send(w, &msg->h) == 0;
	}
	w->stale = true;
	if (sent) {
		w->received_closed += a->received;
		memset(a, 0, sizeof(*a));
	}
	w->est_flowed = a->flowed;
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

/*
 * A packet that carried encapsulations: one count per type walked, and a
 * malformed one is a decode failure of the innermost type.
 */
static __rte_noinline void
count_encap(struct sf_interval_agg *a, const struct sf_pkt_info *pi, bool flow)
{
	uint32_t e = pi->tun.encaps;

	while (e != 0) {
		unsigned int b = (unsigned int)__builtin_ctz(e);

		e &= e - 1;
		if (b >= SF_ENCAP_MAX)
			break;
		a->encap_packets[b]++;
		if (flow)
			a->encap_bytes[b] += pi->ip_len;
	}
	if (!flow && pi->tun.last < SF_ENCAP_MAX)
		a->encap_malformed[pi->tun.last]++;
}

/*
 * An encapsulated flow packet: its encapsulations and, if its key has a
 * tunnel context (only encapsulated packets have one), the context's
 * traffic. Plain packets never come here.
 */
static __rte_noinline void
count_encap_flow(struct sf_worker *w, const struct sf_pkt_info *pi)
{
	count_encap(&w->agg, pi, true);
	if (pi->key.ctx_kind != SF_FLOW_CTX_NONE)
		sf_tun_count(&w->tun, pi->key.ctx_kind, pi->key.ctx, pi->ip_len);
}

/*
 * tunnel.underlay: the packet as its underlay flow sees it, into u (one
 * of w->under), counted apart from the outcomes: the packet itself is
 * counted once, where its flow is. What carried it is its tunnel record,
 * so the underlay flow's records say what it carries.
 */
static __rte_noinline const struct sf_pkt_info *
underlay_packet(struct sf_worker *w, struct sf_pkt_info *u, const struct sf_pkt_meta *meta)
{
	const struct sf_pkt_under *o = &meta->under;

	u->key = o->key;
	u->ip_len = o->ip_len;
	u->dir = o->dir;
	u->tcp_flags = o->tcp_flags;
	u->dscp = o->dscp;
	u->frag = 0;
	u->malformed = SF_PKT_BAD_NONE;
	u->flags = SF_PKT_F_ENCAP;
	u->port = meta->info.port;
	u->tun = meta->info.tun;
	w->agg.underlay_packets++;
	w->agg.underlay_bytes += o->ip_len;
	return u;
}

/* A packet that is no flow's: its outcome. */
static __rte_noinline void
count_other(struct sf_interval_agg *a, const struct sf_pkt_meta *meta)
{
	switch (meta->cls) {
	case SF_PKT_NONFLOW:
		a->nonflow++;
		break;
	case SF_PKT_FILTERED:
		a->filtered++;
		break;
	case SF_PKT_DUPLICATE:
		a->duplicate++;
		break;
	case SF_PKT_SAMPLED_OUT:
		a->sampled_out++;
		break;
	default:
		a->malformed++;
		a->malformed_by[meta->info.malformed < SF_PKT_BAD_MAX ?
				meta->info.malformed : 0]++;
		if (meta->info.flags & SF_PKT_F_ENCAP)
			count_encap(a, &meta->info, false);
		break;
	}
}

static void
process_chunk(struct sf_worker *w, struct rte_mbuf **m, unsigned int n)
{
	/* A packet and its underlay flow: two entries at most. */
	const struct sf_pkt_info *pi[2 * SF_BURST];
	const void *fr[2 * SF_BURST];	/* the mbufs, for application metadata */
	uint64_t ts[2 * SF_BURST];
	struct sf_interval_agg *a = &w->agg;
	unsigned int i, k = 0, nu = 0;

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
				sf_flow_table_update_frames(w->table, pi, ts, w->app ? fr : NULL, k);
				k = 0;
			}
			sf_worker_advance(w, t);
		}
		w->clock = t;
		if (unlikely(meta->mark & SF_PKT_MARK_UNDER)) {
			if (sf_pkt_has_underlay(meta) && (meta->under_owner == SF_PKT_OWNER_ANY ||
					meta->under_owner == w->id)) {
				pi[k] = underlay_packet(w, &w->under[nu++], meta);
				fr[k] = NULL;
				ts[k] = t;
				k++;
			}
			if (sf_pkt_underlay_only(meta, w->id))
				continue;
		}
		a->received++;
		if (likely(meta->cls == SF_PKT_FLOW)) {
			pi[k] = &meta->info;
			fr[k] = m[i];
			ts[k] = t;
			k++;
			count_flow_packet(a, &meta->info);
			if (unlikely(meta->info.flags & SF_PKT_F_ENCAP))
				count_encap_flow(w, &meta->info);
			if (unlikely(meta->mark != 0)) {
				w->est_sampled += meta->mark & SF_PKT_MARK_SAMPLED;
				w->est_copies += (meta->mark & SF_PKT_MARK_COPY) != 0;
			}
		} else {
			count_other(a, meta);
		}
	}
	if (k != 0)
		sf_flow_table_update_frames(w->table, pi, ts, w->app ? fr : NULL, k);
}

void
sf_worker_process(struct sf_worker *w, struct rte_mbuf **m, unsigned int n)
{
	unsigned int i, c;

	for (i = 0; i < n; i += c) {
		c = RTE_MIN(n - i, (unsigned int)SF_BURST);
		process_chunk(w, m + i, c);
	}
	publish(w);
}

void
sf_worker_housekeep(struct sf_worker *w, unsigned int budget, uint64_t tsc_now)
{
	if (w->started && budget != 0 && sf_flow_table_expire(w->table, w->clock, budget) != 0)
		w->stale = true;
	if (w->batch != NULL && tsc_now - w->batch_tsc > w->flush_tsc) {
		batch_send(w);
		w->stale = true;
	}
	/* Intervals closed by sf_worker_advance() since are published here too. */
	if (w->stale)
		publish(w);
	sf_search_inbox_serve(&w->search, w->table, SF_SEARCH_STEP);
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
	publish(w);
	/* No loop turn will serve a search any more: waiting ones are answered now. */
	sf_search_inbox_close(&w->search);
}

uint64_t
sf_worker_clock(const struct sf_worker *w)
{
	return w->clock;
}

int
sf_worker_query_post(struct sf_worker *w, struct sf_search_query *q)
{
	return sf_search_inbox_post(&w->search, q);
}

void
sf_worker_counters(const struct sf_worker *w, struct sf_worker_counters *c)
{
	const struct worker_shared *sh = &w->shared;

	c->received = atomic_load_explicit(&sh->received, memory_order_relaxed);
	c->msgs_lost = atomic_load_explicit(&sh->msgs_lost, memory_order_relaxed);
	c->records_lost = atomic_load_explicit(&sh->records_lost, memory_order_relaxed);
	c->stop_lost = atomic_load_explicit(&sh->stop_lost, memory_order_relaxed);
	c->flows_active = atomic_load_explicit(&sh->flows_active, memory_order_relaxed);
	c->peak_active = atomic_load_explicit(&sh->peak_active, memory_order_relaxed);
	c->capacity = atomic_load_explicit(&sh->capacity, memory_order_relaxed);
	c->evictions = atomic_load_explicit(&sh->evictions, memory_order_relaxed);
}
