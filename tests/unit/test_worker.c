/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker: packets are counted in the interval of their time, intervals
 * close when the clock passes them (own packets or a told time), records
 * precede the aggregate of their interval on the ring, and finish flushes
 * everything with end_of_input and a final watermark.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_mbuf.h>

#include "sf_search.h"
#include "sf_test_eal.h"
#include "sf_worker.h"

#define S UINT64_C(1000000000)

static struct rte_mempool *mbufs;

struct rig {
	struct sf_msg_chan *chan;
	struct sf_worker *w;
	/* A collector in wait_fn: drains the ring into these counters. */
	uint64_t got_records;
	uint64_t got_intervals;
	uint64_t got_lost;		/* records_lost of the aggregates */
	uint64_t got_ended;		/* flows ended (every reason) */
	uint64_t wm;			/* last watermark */
	unsigned int waits;
	unsigned int hurry_after;	/* wait_fn says "hurry" after this many; 0 never */
};

/* A worker's counters as another lcore reads them. */
static struct sf_worker_counters
counters(const struct sf_worker *w)
{
	struct sf_worker_counters c;

	sf_worker_counters(w, &c);
	return c;
}

/* Table capacity of the next rig_make (64 unless a test says otherwise). */
static uint32_t rig_capacity = 64;
static uint64_t rig_flush_timeout_ns;
static bool (*rig_wait_fn)(void *arg);

static void
rig_drain_counting(struct rig *r)
{
	void *p;
	unsigned int i;

	while (rte_ring_dequeue(r->chan->ring, &p) == 0) {
		struct sf_msg *m = p;

		if (m->type == SF_MSG_RECORDS) {
			r->got_records += m->count;
		} else {
			struct sf_interval_agg a;

			memset(&a, 0, sizeof(a));
			sf_msg_interval_merge(&a, p);
			r->got_intervals++;
			r->got_lost += a.records_lost;
			for (i = 0; i < SF_END_MAX; i++)
				r->got_ended += a.flows_ended[i];
			r->wm = m->watermark;
		}
		sf_msg_chan_put(r->chan, &p, 1);
	}
}

/* The collector keeps up: every wait turn drains the ring. */
static bool
wait_draining(void *arg)
{
	struct rig *r = arg;

	r->waits++;
	rig_drain_counting(r);
	return r->hurry_after == 0 || r->waits < r->hurry_after;
}

static void
rig_make(struct rig *r, unsigned int ring_size, unsigned int pool_size, bool lossless)
{
	static unsigned int seq;
	struct sf_worker_params p;
	char name[32];

	r->chan = sf_msg_chan_create(100 + seq, ring_size, pool_size, false, 0, SOCKET_ID_ANY);
	assert_non_null(r->chan);
	snprintf(name, sizeof(name), "tw%u", seq++);
	memset(&p, 0, sizeof(p));
	p.interval_ns = S;
	p.table.name = name;
	p.table.capacity = rig_capacity;
	p.table.idle_ns = 2 * S;
	p.table.active_ns = 100 * S;
	p.table.tcp_end_ns = S;
	p.table.socket_id = SOCKET_ID_ANY;
	p.chan = r->chan;
	p.lossless = lossless;
	p.flush_timeout_ns = rig_flush_timeout_ns;
	p.wait_fn = rig_wait_fn;
	p.wait_arg = r;
	r->w = sf_worker_create(&p);
	assert_non_null(r->w);
}

static void
rig_free(struct rig *r)
{
	sf_worker_free(r->w);
	sf_msg_chan_free(r->chan);
}

/* One UDP packet from 10.0.(src>>8).(src&255) to 10.9.9.9 at time ts. */
static void
send_pkt(struct sf_worker *w, uint16_t src, uint64_t ts, uint8_t cls)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mbufs);
	struct sf_pkt_meta *meta;
	uint8_t a[4] = { 10, 0, (uint8_t)(src >> 8), (uint8_t)src }, b[4] = { 10, 9, 9, 9 };

	assert_non_null(m);
	meta = sf_pkt_meta(m);
	memset(meta, 0, sizeof(*meta));
	meta->cls = cls;
	meta->ts_ns = ts;
	meta->info.dir = (uint8_t)sf_flow_key_make(&meta->info.key, 4, a, b, 4, 5000, 53, 17, 0);
	meta->info.ip_len = 100;
	if (cls == SF_PKT_MALFORMED)
		meta->info.malformed = SF_PKT_BAD_IP_TRUNC;
	sf_worker_process(w, &m, 1);
	rte_pktmbuf_free(m);
}

/* An interval message as the collector reads it. */
struct iv {
	uint64_t watermark;
	struct sf_interval_agg a;
};

/* Drain the ring: count records and return aggregates in order. */
static unsigned int
drain(struct rig *r, struct iv *aggs, unsigned int max, unsigned int *records,
		uint64_t *last_watermark)
{
	unsigned int n = 0;
	void *p;

	while (rte_ring_dequeue(r->chan->ring, &p) == 0) {
		struct sf_msg *m = p;

		if (m->type == SF_MSG_RECORDS) {
			*records += m->count;
		} else {
			const struct sf_msg_interval *mi = p;
			struct iv *v;

			assert_true(n < max);
			v = &aggs[n++];
			memset(v, 0, sizeof(*v));
			v->watermark = m->watermark;
			v->a.interval = mi->interval;
			sf_msg_interval_merge(&v->a, mi);
			v->a.ntop = mi->ntop;
			memcpy(v->a.top, mi->top, sizeof(v->a.top));
			*last_watermark = m->watermark;
		}
		sf_msg_chan_put(r->chan, &p, 1);
	}
	return n;
}

static void
test_intervals_close_on_packet_time(void **state)
{
	static struct iv aggs[8];
	unsigned int records = 0, n;
	uint64_t wm = 0;
	struct rig r;

	(void)state;
	rig_make(&r, 64, 256, true);
	send_pkt(r.w, 1, 100 * S + S / 2, SF_PKT_FLOW);	/* interval 100 */
	send_pkt(r.w, 2, 100 * S + S / 2, SF_PKT_NONFLOW);
	send_pkt(r.w, 1, 101 * S + 1, SF_PKT_FLOW);		/* interval 101 */
	send_pkt(r.w, 3, 101 * S + 2, SF_PKT_MALFORMED);
	n = drain(&r, aggs, 8, &records, &wm);
	assert_int_equal(n, 1);
	assert_int_equal(aggs[0].a.interval, 100);
	assert_int_equal(aggs[0].watermark, 101);
	assert_int_equal(aggs[0].a.received, 2);
	assert_int_equal(aggs[0].a.flowed, 1);
	assert_int_equal(aggs[0].a.nonflow, 1);
	assert_int_equal(aggs[0].a.bytes, 100);
	assert_int_equal(aggs[0].a.flows_new, 1);
	assert_int_equal(aggs[0].a.flows_active, 1);
	assert_int_equal(aggs[0].a.ntop, 1);
	assert_int_equal(aggs[0].a.top[0].bytes, 100);

	/* Told time 104.5: flow (last 101.0) idles out at 103.0, in interval 103. */
	sf_worker_advance(r.w, 104 * S + S / 2);
	n = drain(&r, aggs, 8, &records, &wm);
	assert_int_equal(n, 3);			/* 101, 102, 103 */
	assert_int_equal(aggs[0].a.interval, 101);
	assert_int_equal(aggs[0].a.malformed, 1);
	assert_int_equal(aggs[0].a.malformed_by[SF_PKT_BAD_IP_TRUNC], 1);
	assert_int_equal(aggs[1].a.interval, 102);
	assert_int_equal(aggs[1].a.flows_active, 1);
	assert_int_equal(aggs[2].a.interval, 103);
	assert_int_equal(aggs[2].a.flows_ended[SF_END_IDLE], 1);
	assert_int_equal(aggs[2].a.flows_active, 0);
	assert_int_equal(records, 1);		/* sent before interval 103's aggregate */
	assert_int_equal(wm, 104);

	/* A gap with an empty table is skipped in one step. */
	send_pkt(r.w, 4, 1000 * S, SF_PKT_FLOW);
	n = drain(&r, aggs, 8, &records, &wm);
	assert_int_equal(n, 1);
	assert_int_equal(aggs[0].a.interval, 104);
	sf_worker_finish(r.w, 1000 * S + 5);
	n = drain(&r, aggs, 8, &records, &wm);
	assert_int_equal(n, 1);
	assert_int_equal(aggs[0].a.interval, 1000);
	assert_int_equal(aggs[0].a.flows_ended[SF_END_END_OF_INPUT], 1);
	assert_int_equal(wm, SF_WATERMARK_DONE);
	assert_int_equal(records, 2);
	rig_free(&r);
}

static void
test_time_never_goes_back(void **state)
{
	static struct iv aggs[8];
	unsigned int records = 0, n;
	uint64_t wm = 0;
	struct rig r;

	(void)state;
	rig_make(&r, 64, 256, true);
	send_pkt(r.w, 1, 50 * S + 10, SF_PKT_FLOW);
	send_pkt(r.w, 1, 49 * S, SF_PKT_FLOW);		/* earlier: counted at 50.x */
	assert_int_equal(sf_worker_clock(r.w), 50 * S + 10);
	sf_worker_finish(r.w, sf_worker_clock(r.w));
	n = drain(&r, aggs, 8, &records, &wm);
	assert_int_equal(n, 1);
	assert_int_equal(aggs[0].a.interval, 50);
	assert_int_equal(aggs[0].a.flowed, 2);
	assert_int_equal(records, 1);
	rig_free(&r);
}

static void
test_lossy_counts_lost_messages(void **state)
{
	unsigned int i;
	struct rig r;

	(void)state;
	/*
	 * A 64-slot ring (63 usable) nobody drains. One flow, a packet every
	 * 0.5 s for 100 s: 99 intervals close, 63 messages fit, 36 are lost
	 * and counted, and the worker never waits.
	 */
	rig_make(&r, 64, 1024, false);
	for (i = 0; i < 200; i++)
		send_pkt(r.w, 1, (uint64_t)i * S / 2, SF_PKT_FLOW);
	assert_int_equal(rte_ring_count(r.chan->ring), 63);
	assert_int_equal(counters(r.w).msgs_lost, 36);
	/*
	 * Nothing is lost from the accounting: the counters of the lost
	 * aggregates travel with the next one that gets through.
	 */
	{
		static struct iv aggs[80];
		unsigned int records = 0, n, k;
		uint64_t wm = 0, received = 0, flowed = 0;

		n = drain(&r, aggs, 80, &records, &wm);
		sf_worker_finish(r.w, sf_worker_clock(r.w));
		n += drain(&r, aggs + n, 80 - n, &records, &wm);
		for (k = 0; k < n; k++) {
			received += aggs[k].a.received;
			flowed += aggs[k].a.flowed;
		}
		assert_int_equal(wm, SF_WATERMARK_DONE);
		assert_int_equal(received, 200);
		assert_int_equal(flowed, 200);
		assert_int_equal(records, 1);
	}
	rig_free(&r);
}

/*
 * A live worker (lossy while it reads) stops with many flows in its table
 * and a ring far smaller than the flush: with a collector that keeps up,
 * the final flush waits for it and loses nothing.
 */
#define STOP_FLOWS 5000

static void
fill_flows(struct rig *r)
{
	unsigned int i;

	for (i = 0; i < STOP_FLOWS; i++)
		send_pkt(r->w, (uint16_t)i, 10 * S + i, SF_PKT_FLOW);
	rig_drain_counting(r);
	assert_int_equal(counters(r->w).flows_active, STOP_FLOWS);
}

static void
rig_live_stop(struct rig *r, uint64_t flush_timeout_ns, unsigned int hurry_after)
{
	rig_capacity = 8192;
	rig_flush_timeout_ns = flush_timeout_ns;
	rig_wait_fn = wait_draining;
	rig_make(r, 64, 128, false);
	rig_capacity = 64;
	rig_flush_timeout_ns = 0;
	rig_wait_fn = NULL;
	r->hurry_after = hurry_after;
	fill_flows(r);
	sf_worker_finish(r->w, sf_worker_clock(r->w));
	rig_drain_counting(r);
	assert_int_equal(r->wm, SF_WATERMARK_DONE);
	assert_int_equal(r->got_ended, STOP_FLOWS);
	/* Every ended flow is either written or counted as lost, at the stop. */
	assert_int_equal(r->got_records + counters(r->w).stop_lost, STOP_FLOWS);
	assert_int_equal(r->got_lost, counters(r->w).stop_lost);
	assert_int_equal(counters(r->w).records_lost, counters(r->w).stop_lost);
}

static void
test_live_stop_writes_every_flow(void **state)
{
	struct rig r;

	(void)state;
	memset(&r, 0, sizeof(r));
	rig_live_stop(&r, 30 * S, 0);
	assert_int_equal(r.got_records, STOP_FLOWS);
	assert_int_equal(counters(r.w).stop_lost, 0);
	assert_true(r.waits > 0);	/* the ring did fill: the flush waited */
	rig_free(&r);
}

static void
test_live_stop_deadline_counts_the_rest(void **state)
{
	struct rig r;

	(void)state;
	/* No time to wait at all: a full ring loses the batch, and says so. */
	memset(&r, 0, sizeof(r));
	rig_live_stop(&r, 0, 0);
	assert_true(counters(r.w).stop_lost > 0);
	assert_true(r.got_records > 0);
	rig_free(&r);
}

static void
test_live_stop_hurried(void **state)
{
	struct rig r;

	(void)state;
	/* Waits the collector keeps up with, until a second signal says hurry. */
	memset(&r, 0, sizeof(r));
	rig_live_stop(&r, 30 * S, 2);
	assert_true(counters(r.w).stop_lost > 0);
	assert_true(r.got_records >= 63 * 32);	/* a ringful before the hurry */
	rig_free(&r);
}

/* Another lcore reads the worker's counters as of the worker's last call. */
static void
test_counters(void **state)
{
	struct sf_worker_counters c;
	struct rig r;

	(void)state;
	rig_make(&r, 64, 256, true);
	c = counters(r.w);
	assert_int_equal(c.received, 0);
	assert_int_equal(c.capacity, 64);
	send_pkt(r.w, 1, 10 * S, SF_PKT_FLOW);
	send_pkt(r.w, 2, 10 * S, SF_PKT_FLOW);
	send_pkt(r.w, 3, 10 * S, SF_PKT_NONFLOW);
	c = counters(r.w);
	assert_int_equal(c.received, 3);
	assert_int_equal(c.flows_active, 2);
	assert_int_equal(c.peak_active, 2);
	sf_worker_finish(r.w, sf_worker_clock(r.w));
	c = counters(r.w);
	assert_int_equal(c.received, 3);	/* packets of closed intervals too */
	assert_int_equal(c.flows_active, 0);
	assert_int_equal(c.peak_active, 2);
	assert_int_equal(c.msgs_lost, 0);
	assert_int_equal(c.records_lost, 0);
	rig_free(&r);
}

/* ---- active-flow search (sf_search.h) ---- */

/*
 * Search flows: flow i (1..n) is UDP 10.0.(i>>8).(i&255):5000 -> 10.9.9.9:53
 * with (i % 3) + 1 packets of 40 + (i * 37) % 1000 bytes each, so bytes
 * and packets rank flows differently and some tie (broken by key).
 */
#define SEARCH_FLOWS 600

static uint32_t
sflow_len(unsigned int i)
{
	return 40 + (i * 37) % 1000;
}

static unsigned int
sflow_packets(unsigned int i)
{
	return i % 3 + 1;
}

static void
sflow_key(unsigned int i, struct sf_flow_key *k)
{
	uint8_t a[4] = { 10, 0, (uint8_t)(i >> 8), (uint8_t)i }, b[4] = { 10, 9, 9, 9 };

	sf_flow_key_make(k, 4, a, b, 4, 5000, 53, 17, 0);
}

/* Flow i's packets at ts, ts + 1 ms, ... */
static void
sflow_send(struct sf_worker *w, unsigned int i, uint64_t ts)
{
	unsigned int p;

	for (p = 0; p < sflow_packets(i); p++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mbufs);
		struct sf_pkt_meta *meta;
		uint8_t a[4] = { 10, 0, (uint8_t)(i >> 8), (uint8_t)i };
		uint8_t b[4] = { 10, 9, 9, 9 };

		assert_non_null(m);
		meta = sf_pkt_meta(m);
		memset(meta, 0, sizeof(*meta));
		meta->cls = SF_PKT_FLOW;
		meta->ts_ns = ts + p * 1000000;
		meta->info.dir = (uint8_t)sf_flow_key_make(&meta->info.key, 4, a, b, 4, 5000,
				53, 17, 0);
		meta->info.ip_len = sflow_len(i);
		sf_worker_process(w, &m, 1);
		rte_pktmbuf_free(m);
	}
}

/* The expected hits, from the flows' definition: those the filter keeps, ranked. */
struct exp_hit {
	struct sf_flow_key key;
	uint64_t value;
	unsigned int id;
};

static int
exp_cmp(const void *pa, const void *pb)
{
	const struct exp_hit *a = pa, *b = pb;

	if (a->value != b->value)
		return a->value > b->value ? -1 : 1;
	return sf_flow_key_cmp(&a->key, &b->key);
}

/* Flows [lo, hi] that `keep` says match, ranked by sort; returns how many. */
static unsigned int
expected(struct exp_hit *e, unsigned int lo, unsigned int hi, bool (*keep)(unsigned int),
		enum sf_search_sort sort)
{
	unsigned int i, n = 0;

	for (i = lo; i <= hi; i++) {
		if (keep != NULL && !keep(i))
			continue;
		sflow_key(i, &e[n].key);
		e[n].id = i;
		e[n].value = sort == SF_SEARCH_BY_PACKETS ? sflow_packets(i) :
			sort == SF_SEARCH_BY_DURATION ? (sflow_packets(i) - 1) * 1000000ull :
			(uint64_t)sflow_packets(i) * sflow_len(i);
		n++;
	}
	qsort(e, n, sizeof(e[0]), exp_cmp);
	return n;
}

static bool
in_10_0_1(unsigned int i)
{
	return (i >> 8) == 1;
}

static int
hit_cmp_bytes(const void *a, const void *b)
{
	return sf_search_hit_cmp(a, b, SF_SEARCH_BY_BYTES);
}

static void
check_hits(const struct sf_search_hit *h, unsigned int n, const struct exp_hit *e,
		unsigned int ne, enum sf_search_sort sort)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint64_t v = sort == SF_SEARCH_BY_PACKETS ? h[i].packets[0] + h[i].packets[1] :
			sort == SF_SEARCH_BY_DURATION ? h[i].last_ns - h[i].first_ns :
			h[i].bytes[0] + h[i].bytes[1];

		assert_true(i < ne);
		assert_memory_equal(&h[i].key, &e[i].key, sizeof(h[i].key));
		assert_int_equal(v, e[i].value);
		assert_int_equal(h[i].packets[0], sflow_packets(e[i].id));
		assert_int_equal(h[i].bytes[0], (uint64_t)sflow_packets(e[i].id) *
				sflow_len(e[i].id));
		assert_int_equal(h[i].packets[1], 0);
		assert_int_equal(h[i].initiator, SF_DIR_LO);	/* 10.0.x.y < 10.9.9.9 */
	}
}

/*
 * A posted query is answered by housekeeping, SF_SEARCH_STEP entries a
 * turn: a table of 10,000 entries takes three turns, the first two leave
 * it unanswered. The answer is the filter's flows, exactly, best first.
 */
static void
test_search_in_steps(void **state)
{
	static struct exp_hit e[SEARCH_FLOWS];
	struct sf_flow_match m;
	struct sf_search_query *q;
	char err[128];
	unsigned int i, turns = 0, ne;
	struct rig r;

	(void)state;
	rig_capacity = 10000;
	rig_make(&r, 64, 256, true);
	rig_capacity = 64;
	for (i = 1; i <= SEARCH_FLOWS; i++)
		sflow_send(r.w, i, 10 * S + i);
	memset(&m, 0, sizeof(m));
	assert_int_equal(sf_flow_match_set(&m, "subnet", "10.0.1.0/24", err, sizeof(err)), 1);
	q = sf_search_query_create(&m, 20, SF_SEARCH_BY_BYTES);
	assert_non_null(q);
	sf_worker_housekeep(r.w, 0, rte_rdtsc());	/* nothing posted: nothing served */
	assert_int_equal(sf_worker_query_post(r.w, q), 0);
	while (!sf_search_query_done(q)) {
		assert_true(turns < 3);
		sf_worker_housekeep(r.w, 0, rte_rdtsc());
		turns++;
		if (!sf_search_query_done(q))
			assert_int_equal(q->cursor, turns * SF_SEARCH_STEP);
	}
	assert_int_equal(turns, 3);
	assert_true(q->complete);
	assert_false(q->ended);
	assert_int_equal(q->scanned, SEARCH_FLOWS);
	ne = expected(e, 1, SEARCH_FLOWS, in_10_0_1, SF_SEARCH_BY_BYTES);
	assert_int_equal(ne, 256);
	assert_int_equal(q->matched, ne);
	assert_int_equal(q->n, 20);
	qsort(q->hit, q->n, sizeof(q->hit[0]), hit_cmp_bytes);
	check_hits(q->hit, q->n, e, ne, SF_SEARCH_BY_BYTES);
	sf_search_query_free(q);
	rig_free(&r);
}

/*
 * The request ring holds SF_SEARCH_RING queries; a cancelled one is
 * answered at the next turn without a scan; at the end of input every
 * waiting query is answered as ended and new ones are refused.
 */
static void
test_search_ring_cancel_finish(void **state)
{
	struct sf_search_query *q[SF_SEARCH_RING + 1];
	struct sf_flow_match m;
	unsigned int i;
	struct rig r;

	(void)state;
	rig_make(&r, 64, 256, true);
	sflow_send(r.w, 5, 10 * S);
	memset(&m, 0, sizeof(m));
	for (i = 0; i <= SF_SEARCH_RING; i++) {
		q[i] = sf_search_query_create(&m, 5, SF_SEARCH_BY_PACKETS);
		assert_non_null(q[i]);
	}
	for (i = 0; i < SF_SEARCH_RING; i++)
		assert_int_equal(sf_worker_query_post(r.w, q[i]), 0);
	assert_int_equal(sf_worker_query_post(r.w, q[SF_SEARCH_RING]), -EBUSY);
	atomic_store(&q[0]->cancel, true);
	sf_worker_housekeep(r.w, 0, rte_rdtsc());
	assert_true(sf_search_query_done(q[0]));
	assert_false(q[0]->complete);
	assert_int_equal(q[0]->scanned, 0);
	sf_worker_housekeep(r.w, 0, rte_rdtsc());	/* 64 entries: one step */
	assert_true(sf_search_query_done(q[1]));
	assert_true(q[1]->complete);
	assert_int_equal(q[1]->n, 1);
	assert_int_equal(q[1]->hit[0].packets[0], sflow_packets(5));
	assert_false(sf_search_query_done(q[2]));
	sf_worker_finish(r.w, sf_worker_clock(r.w));
	for (i = 2; i < SF_SEARCH_RING; i++) {
		assert_true(sf_search_query_done(q[i]));
		assert_true(q[i]->ended);
		assert_false(q[i]->complete);
	}
	assert_int_equal(sf_worker_query_post(r.w, q[SF_SEARCH_RING]), -ESHUTDOWN);
	for (i = 0; i <= SF_SEARCH_RING; i++)
		sf_search_query_free(q[i]);
	rig_free(&r);
}

/* A worker's loop in a thread of its own: housekeeping turns until told to stop. */
struct serve_thread {
	pthread_t tid;
	struct sf_worker *w;
	atomic_bool stop;
};

static void *
serve_loop(void *arg)
{
	struct serve_thread *t = arg;

	while (!atomic_load(&t->stop))
		sf_worker_housekeep(t->w, 0, rte_rdtsc());
	return NULL;
}

/*
 * Through the hub, as the HTTP thread asks: two workers each own half of
 * the flows and serve from their own threads; the merged answer is the
 * overall best n, each hit naming its worker, counted over both tables.
 * Before the workers are attached there is nothing to ask; after they
 * are detached a search answers at once that their input has ended.
 */
static void
test_search_hub_two_workers(void **state)
{
	static struct exp_hit e[SEARCH_FLOWS];
	static struct serve_thread th[2];
	struct sf_worker *ws[2];
	struct sf_search_result res;
	struct sf_flow_match m;
	struct sf_search *s;
	struct rig r[2];
	char err[128];
	unsigned int i, k, ne;
	uint64_t t0;

	(void)state;
	rig_capacity = 1024;
	rig_make(&r[0], 64, 256, true);
	rig_make(&r[1], 64, 256, true);
	rig_capacity = 64;
	for (i = 1; i <= SEARCH_FLOWS; i++)
		sflow_send(r[i % 2].w, i, 10 * S + i);
	s = sf_search_create(2);
	assert_non_null(s);
	memset(&m, 0, sizeof(m));
	assert_int_equal(sf_search_run(s, &m, 10, SF_SEARCH_BY_BYTES, S, &res), -EAGAIN);
	ws[0] = r[0].w;
	ws[1] = r[1].w;
	sf_search_attach(s, ws, 2);
	for (k = 0; k < 2; k++) {
		th[k].w = r[k].w;
		atomic_store(&th[k].stop, false);
		assert_int_equal(pthread_create(&th[k].tid, NULL, serve_loop, &th[k]), 0);
	}

	/* Every flow, by bytes, the best 50. */
	assert_int_equal(sf_search_run(s, &m, 50, SF_SEARCH_BY_BYTES, 5 * S, &res), 0);
	assert_int_equal(res.workers, 2);
	assert_int_equal(res.asked, 2);
	assert_int_equal(res.answered, 2);
	assert_int_equal(res.ended, 0);
	assert_true(res.complete);
	assert_int_equal(res.state[0], SF_SEARCH_ANSWERED);
	assert_int_equal(res.state[1], SF_SEARCH_ANSWERED);
	assert_int_equal(res.scanned, SEARCH_FLOWS);
	assert_int_equal(res.matched, SEARCH_FLOWS);
	ne = expected(e, 1, SEARCH_FLOWS, NULL, SF_SEARCH_BY_BYTES);
	assert_int_equal(res.n, 50);
	check_hits(res.hit, res.n, e, ne, SF_SEARCH_BY_BYTES);
	for (i = 0; i < res.n; i++)
		assert_int_equal(res.hit[i].worker, e[i].id % 2);
	sf_search_result_free(&res);

	/* A filter and another order: 10.0.1.0/24 by packets. */
	assert_int_equal(sf_flow_match_set(&m, "subnet", "10.0.1.0/24", err, sizeof(err)), 1);
	assert_int_equal(sf_search_run(s, &m, 1000, SF_SEARCH_BY_PACKETS, 5 * S, &res), 0);
	ne = expected(e, 1, SEARCH_FLOWS, in_10_0_1, SF_SEARCH_BY_PACKETS);
	assert_int_equal(res.matched, ne);
	assert_int_equal(res.n, ne);
	check_hits(res.hit, res.n, e, ne, SF_SEARCH_BY_PACKETS);
	sf_search_result_free(&res);

	for (k = 0; k < 2; k++) {
		atomic_store(&th[k].stop, true);
		pthread_join(th[k].tid, NULL);
	}
	/* Nobody serves now: the asker gives up after its timeout, parks the queries. */
	assert_int_equal(sf_search_run(s, &m, 10, SF_SEARCH_BY_BYTES, 20 * 1000000, &res), 0);
	assert_int_equal(res.asked, 2);
	assert_int_equal(res.answered, 0);
	assert_false(res.complete);
	assert_int_equal(res.n, 0);
	assert_int_equal(res.state[0], SF_SEARCH_TIMEOUT);
	assert_int_equal(res.state[1], SF_SEARCH_TIMEOUT);
	sf_search_result_free(&res);

	/* Input ended on worker 1: refused at once, worker 0 still answers. */
	sf_worker_finish(r[1].w, sf_worker_clock(r[1].w));
	for (k = 0; k < 2; k++) {
		atomic_store(&th[k].stop, false);
		assert_int_equal(pthread_create(&th[k].tid, NULL, serve_loop, &th[k]), 0);
	}
	assert_int_equal(sf_search_run(s, &m, 10, SF_SEARCH_BY_BYTES, 5 * S, &res), 0);
	assert_int_equal(res.asked, 1);
	assert_int_equal(res.answered, 1);
	assert_int_equal(res.ended, 1);
	assert_false(res.complete);
	assert_int_equal(res.state[0], SF_SEARCH_ANSWERED);
	assert_int_equal(res.state[1], SF_SEARCH_ENDED);
	for (i = 0; i < res.n; i++)
		assert_int_equal(res.hit[i].worker, 0);
	sf_search_result_free(&res);
	for (k = 0; k < 2; k++) {
		atomic_store(&th[k].stop, true);
		pthread_join(th[k].tid, NULL);
	}

	/* Detached (the run is over): no worker to ask, answered at once. */
	sf_search_detach(s);
	t0 = sf_clock_ns(CLOCK_MONOTONIC);
	assert_int_equal(sf_search_run(s, &m, 10, SF_SEARCH_BY_BYTES, 5 * S, &res), 0);
	assert_true(sf_clock_ns(CLOCK_MONOTONIC) - t0 < S / 10);
	assert_int_equal(res.asked, 0);
	assert_int_equal(res.ended, 2);
	assert_int_equal(res.n, 0);
	assert_int_equal(res.state[0], SF_SEARCH_ENDED);
	assert_int_equal(res.state[1], SF_SEARCH_ENDED);
	assert_false(res.complete);
	sf_search_result_free(&res);
	rig_free(&r[0]);
	rig_free(&r[1]);
	/* The queries parked above were answered (ended) when the workers were freed. */
	sf_search_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intervals_close_on_packet_time),
		cmocka_unit_test(test_time_never_goes_back),
		cmocka_unit_test(test_lossy_counts_lost_messages),
		cmocka_unit_test(test_live_stop_writes_every_flow),
		cmocka_unit_test(test_live_stop_deadline_counts_the_rest),
		cmocka_unit_test(test_live_stop_hurried),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_search_in_steps),
		cmocka_unit_test(test_search_ring_cancel_finish),
		cmocka_unit_test(test_search_hub_two_workers),
	};

	sf_test_eal_init();
	mbufs = rte_pktmbuf_pool_create("tw_mbufs", 1023, 0, SF_PKT_META_SIZE,
			RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (mbufs == NULL)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
