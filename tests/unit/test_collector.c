/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Collector: intervals are merged once every worker's watermark is past
 * them, in order; counters add up; top lists merge exactly.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sf_collector.h"
#include "sf_snapshot.h"

struct seen {
	unsigned int nint;
	struct sf_interval_agg ints[16];
	unsigned int nrec;
	struct sf_flow_record recs[16];
};

static void
on_interval(void *arg, const struct sf_interval_agg *a)
{
	struct seen *s = arg;

	assert_true(s->nint < 16);
	s->ints[s->nint++] = *a;
}

static void
on_record(void *arg, const struct sf_flow_record *r)
{
	struct seen *s = arg;

	assert_true(s->nrec < 16);
	s->recs[s->nrec++] = *r;
}

static struct sf_collector *
make(struct seen *s, unsigned int workers)
{
	struct sf_collector_params p;

	memset(&p, 0, sizeof(p));
	memset(s, 0, sizeof(*s));
	p.n_workers = workers;
	p.interval_ns = 1000;
	p.n_sinks = 1;
	p.sinks[0] = (struct sf_collector_sink){ on_record, on_interval, s };
	return sf_collector_create(&p);
}

static void
key_of(struct sf_flow_key *k, uint8_t last)
{
	uint8_t a[4] = { 10, 0, 0, last }, b[4] = { 10, 0, 1, 1 };

	sf_flow_key_make(k, 4, a, b, 4, 1000, 80, 6, 0);
}

/* A message of either type, as a worker sends it. */
union msg {
	struct sf_msg h;
	struct sf_msg_records r;
	struct sf_msg_interval i;
};

static void
agg_msg(union msg *m, uint16_t worker, uint64_t interval, uint64_t watermark,
		uint64_t packets)
{
	struct sf_interval_agg a;

	memset(&a, 0, sizeof(a));
	a.interval = interval;
	a.received = packets;
	a.flowed = packets;
	a.bytes = packets * 100;
	a.proto_packets[6] = packets;
	a.proto_bytes[6] = packets * 100;
	memset(m, 0, sizeof(*m));
	m->h.type = SF_MSG_INTERVAL;
	m->h.worker = worker;
	m->h.watermark = watermark;
	sf_msg_interval_pack(&m->i, &a);
}

static void
test_waits_for_every_worker(void **state)
{
	static union msg m;
	struct seen s;
	struct sf_collector *c = make(&s, 2);

	(void)state;
	assert_non_null(c);
	agg_msg(&m, 0, 5, 6, 10);
	sf_collector_handle(c, &m.h);
	assert_int_equal(s.nint, 0);		/* worker 1 has not closed 5 */
	agg_msg(&m, 1, 5, 6, 7);
	sf_collector_handle(c, &m.h);
	assert_int_equal(s.nint, 1);
	assert_int_equal(s.ints[0].interval, 5);
	assert_int_equal(s.ints[0].flowed, 17);
	assert_int_equal(s.ints[0].proto_packets[6], 17);
	assert_int_equal(s.ints[0].bytes, 1700);
	assert_false(sf_collector_done(c));
	sf_collector_free(c);
}

static void
test_gap_and_order(void **state)
{
	static union msg m;
	struct seen s;
	struct sf_collector *c = make(&s, 2);

	(void)state;
	/* Worker 0 reports 3 and 9; worker 1 reports only 7, then finishes. */
	agg_msg(&m, 0, 3, 4, 1);
	sf_collector_handle(c, &m.h);
	agg_msg(&m, 0, 9, SF_WATERMARK_DONE, 2);
	sf_collector_handle(c, &m.h);
	assert_int_equal(s.nint, 0);
	agg_msg(&m, 1, 7, 8, 4);
	sf_collector_handle(c, &m.h);
	/* Watermarks 4 (done) and 8: intervals 3 and 7 are final, in order. */
	assert_int_equal(s.nint, 2);
	assert_int_equal(s.ints[0].interval, 3);
	assert_int_equal(s.ints[1].interval, 7);
	/* An empty message moves the watermark and emits nothing itself. */
	agg_msg(&m, 1, 12, SF_WATERMARK_DONE, 0);
	sf_collector_handle(c, &m.h);
	assert_int_equal(s.nint, 3);
	assert_int_equal(s.ints[2].interval, 9);
	assert_int_equal(s.ints[2].flowed, 2);
	assert_true(sf_collector_done(c));
	sf_collector_finish(c);
	assert_int_equal(sf_collector_totals(c)->intervals, 3);
	assert_int_equal(sf_collector_totals(c)->sum.flowed, 7);
	sf_collector_free(c);
}

static void
topk(struct sf_flow_topk *t, uint8_t last, uint64_t bytes)
{
	memset(t, 0, sizeof(*t));
	key_of(&t->key, last);
	t->bytes = bytes;
	t->packets = 1;
}

static void
test_topk_merge_exact(void **state)
{
	struct sf_flow_topk a[SF_TOPK], b[SF_TOPK];
	unsigned int na = 0, nb = 0, n, i;

	(void)state;
	/* a: 100, 90, .. 10 ; b: 95, 85, .. 5 ; merged: 100, 95, .., 55 */
	for (i = 0; i < SF_TOPK; i++) {
		topk(&a[na++], (uint8_t)i, 100 - 10 * i);
		topk(&b[nb++], (uint8_t)(100 + i), 95 - 10 * i);
	}
	n = sf_topk_merge(a, na, b, nb);
	assert_int_equal(n, SF_TOPK);
	for (i = 0; i < SF_TOPK; i++)
		assert_int_equal(a[i].bytes, 100 - 5 * i);
	/* Ties: key order decides, whichever side they come from. */
	topk(&a[0], 9, 50);
	topk(&b[0], 3, 50);
	n = sf_topk_merge(a, 1, b, 1);
	assert_int_equal(n, 2);
	assert_int_equal(a[0].key.addr_lo[3], 3);
	assert_int_equal(a[1].key.addr_lo[3], 9);
}

static void
test_interval_top_merged(void **state)
{
	static union msg m;
	struct seen s;
	struct sf_collector *c = make(&s, 2);
	unsigned int i;

	(void)state;
	agg_msg(&m, 0, 1, 2, 5);
	m.i.ntop = 3;
	for (i = 0; i < 3; i++)
		topk(&m.i.top[i], (uint8_t)i, 30 - i);	/* 30 29 28 */
	sf_collector_handle(c, &m.h);
	agg_msg(&m, 1, 1, 2, 5);
	m.i.ntop = 2;
	topk(&m.i.top[0], 50, 40);
	topk(&m.i.top[1], 51, 1);
	sf_collector_handle(c, &m.h);
	assert_int_equal(s.nint, 1);
	assert_int_equal(s.ints[0].ntop, 5);
	assert_int_equal(s.ints[0].top[0].bytes, 40);
	assert_int_equal(s.ints[0].top[1].bytes, 30);
	assert_int_equal(s.ints[0].top[4].bytes, 1);
	sf_collector_free(c);
}

static void
test_records_and_totals(void **state)
{
	static union msg m;
	struct seen s;
	struct sf_collector *c = make(&s, 1);
	const struct sf_collector_totals *t;
	unsigned int i;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.h.type = SF_MSG_RECORDS;
	m.h.count = 3;
	for (i = 0; i < 3; i++) {
		struct sf_flow_record *r = &m.r.rec[i];

		key_of(&r->key, (uint8_t)(i + 1));
		r->packets[0] = 1;
		r->bytes[0] = 100 * (i + 1);
		r->bytes[1] = 1;
		r->start_ns = 1000 + i;
		r->end_ns = 2000 + i;
		r->end_reason = i == 2 ? SF_END_TCP_FIN : SF_END_IDLE;
	}
	sf_collector_handle(c, &m.h);
	assert_int_equal(s.nrec, 3);
	agg_msg(&m, 0, 0, SF_WATERMARK_DONE, 3);
	sf_collector_handle(c, &m.h);
	assert_true(sf_collector_done(c));
	sf_collector_finish(c);
	t = sf_collector_totals(c);
	assert_int_equal(t->records, 3);
	assert_int_equal(t->records_by_reason[SF_END_IDLE], 2);
	assert_int_equal(t->records_by_reason[SF_END_TCP_FIN], 1);
	assert_int_equal(t->ntop[SF_BY_BYTES], 3);
	assert_int_equal(t->top[SF_BY_BYTES][0].bytes[0], 300);
	assert_int_equal(t->first_ns, 1000);
	assert_int_equal(t->last_ns, 2002);
	/* Talkers: 10.0.1.1 is in all three flows: 301 + 201 + 101 bytes. */
	assert_int_equal(t->hosts, 4);
	assert_int_equal(t->talkers[0].bytes, 603);
	assert_int_equal(t->talkers[0].addr[2], 1);
	assert_int_equal(t->talkers[1].bytes, 301);
	sf_collector_free(c);
}

/* Records between fresh hosts, fed in messages, with no sink. */
struct feeder {
	struct sf_collector *c;
	union msg m;
};

static void
feed(struct feeder *f, const uint8_t a[4], const uint8_t b[4], uint64_t packets,
		uint64_t bytes)
{
	struct sf_flow_record *r;

	if (f->m.h.count == SF_MSG_RECS) {
		sf_collector_handle(f->c, &f->m.h);
		f->m.h.count = 0;
	}
	f->m.h.type = SF_MSG_RECORDS;
	r = &f->m.r.rec[f->m.h.count++];
	memset(r, 0, sizeof(*r));
	sf_flow_key_make(&r->key, 4, a, b, 4, 1000, 80, 6, 0);
	r->packets[0] = packets;
	r->bytes[0] = bytes;
	r->start_ns = 1;
	r->end_ns = 2;
}

static const struct sf_collector_totals *
feed_finish(struct feeder *f)
{
	union msg m;

	if (f->m.h.count != 0)
		sf_collector_handle(f->c, &f->m.h);
	agg_msg(&m, 0, 0, SF_WATERMARK_DONE, 0);
	sf_collector_handle(f->c, &m.h);
	sf_collector_finish(f->c);
	return sf_collector_totals(f->c);
}

static struct sf_collector *
make_nosink(void)
{
	struct sf_collector_params p;

	memset(&p, 0, sizeof(p));
	p.n_workers = 1;
	p.interval_ns = 1000;
	return sf_collector_create(&p);
}

static void
host_addr(uint8_t a[4], uint8_t net, uint32_t n)
{
	a[0] = net;
	a[1] = (uint8_t)(n >> 16);
	a[2] = (uint8_t)(n >> 8);
	a[3] = (uint8_t)n;
}

/* A few thousand hosts fit the summary: every figure is exact. */
static void
test_talkers_exact(void **state)
{
	struct feeder f = { .c = make_nosink() };
	const struct sf_collector_totals *t;
	uint8_t a[4], b[4];
	uint32_t i;

	(void)state;
	/* Host 10.0.0.i (i < 3000) talks to 11.0.0.(i % 7), i + 1 bytes. */
	for (i = 0; i < 3000; i++) {
		host_addr(a, 10, i);
		host_addr(b, 11, i % 7);
		feed(&f, a, b, 1, i + 1);
	}
	t = feed_finish(&f);
	assert_true(t->talkers_exact);
	assert_int_equal(t->hosts, 3007);
	/* 11.0.0.k has the sum of (i + 1) over i = k mod 7: the top seven. */
	for (i = 0; i < 7; i++) {
		const struct sf_talker *h = &t->talkers[i];
		uint64_t want = 0, n = 0;
		uint32_t j;

		assert_int_equal(h->addr[0], 11);
		for (j = h->addr[3]; j < 3000; j += 7) {
			want += j + 1;
			n++;
		}
		assert_int_equal(h->bytes, want);
		assert_int_equal(h->bytes_err, 0);
		assert_int_equal(h->packets, n);
		assert_int_equal(h->flows, n);
		if (i > 0)
			assert_true(t->talkers[i - 1].bytes > h->bytes);
	}
	/* Then the 10.0.0.x hosts, largest first. */
	assert_int_equal(t->talkers[7].bytes, 3000);
	assert_int_equal(t->talkers[7].flows, 1);
	sf_collector_free(f.c);
}

/*
 * 1.5 million hosts (a flood of fresh sources) through a summary of
 * 131072: ten heavy hosts spread through the stream still come out on top
 * in order, with bounds that hold the truth; the host count is an
 * estimate within a few percent.
 */
static void
test_talkers_bounded(void **state)
{
	struct feeder f = { .c = make_nosink() };
	const struct sf_collector_totals *t;
	const uint32_t mice = 700000, per_heavy = 1000;
	uint64_t hosts;
	uint8_t a[4], b[4];
	uint32_t i, fresh = 0;
	unsigned int e;

	(void)state;
	for (i = 0; i < mice; i++) {
		host_addr(a, 20, fresh++);
		host_addr(b, 20, fresh++);
		feed(&f, a, b, 1, 64);
		if (i % (mice / per_heavy) == 0) {
			for (e = 0; e < 10; e++) {
				host_addr(a, 192, e);
				host_addr(b, 20, fresh++);
				feed(&f, a, b, 10, 10000 * (e + 1));
			}
		}
	}
	hosts = fresh + 10;
	t = feed_finish(&f);
	assert_false(t->talkers_exact);
	assert_true(t->hosts > hosts * 97 / 100 && t->hosts < hosts * 103 / 100);
	for (e = 0; e < 10; e++) {
		const struct sf_talker *h = &t->talkers[e];
		uint64_t want = (uint64_t)per_heavy * 10000 * (10 - e);

		assert_int_equal(h->addr[0], 192);
		assert_int_equal(h->addr[3], 9 - e);
		assert_true(h->bytes >= want && h->bytes - h->bytes_err <= want);
		assert_true(h->packets <= (uint64_t)per_heavy * 10);
		assert_true(h->flows <= per_heavy);
	}
	sf_collector_free(f.c);
}

/* A record of 10.0.0.1:40000 -> 10.0.0.last:port (the responder). */
static void
port_record(struct sf_flow_record *r, uint8_t last, uint16_t port, uint64_t pkts,
		uint64_t bytes)
{
	memset(r, 0, sizeof(*r));
	r->key.ipver = 4;
	r->key.proto = 6;
	r->key.addr_lo[0] = 10;
	r->key.addr_lo[3] = 1;
	r->key.addr_hi[0] = 10;
	r->key.addr_hi[3] = last;
	r->key.port_lo = 40000;
	r->key.port_hi = port;
	r->initiator = SF_DIR_LO;	/* so the responder port is `port` */
	r->packets[0] = pkts;
	r->bytes[0] = bytes;
}

/*
 * The run's figures are the collector's, with no server: exact top lists
 * by bytes and by packets, and responder ports.
 */
static void
test_run_figures(void **state)
{
	static union msg m;
	struct sf_collector *c = make_nosink();
	const struct sf_collector_totals *t;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.h.type = SF_MSG_RECORDS;
	port_record(&m.r.rec[m.h.count++], 2, 443, 5, 5000);	/* most bytes */
	port_record(&m.r.rec[m.h.count++], 3, 443, 50, 3000);	/* most packets */
	port_record(&m.r.rec[m.h.count++], 4, 53, 2, 200);
	port_record(&m.r.rec[m.h.count++], 5, 0, 1, 100);	/* no port: not in the list */
	sf_collector_handle(c, &m.h);
	agg_msg(&m, 0, 0, SF_WATERMARK_DONE, 0);
	sf_collector_handle(c, &m.h);
	sf_collector_finish(c);
	t = sf_collector_totals(c);
	assert_int_equal(t->ntop[SF_BY_BYTES], 4);
	assert_int_equal(t->top[SF_BY_BYTES][0].bytes[0], 5000);
	assert_int_equal(t->ntop[SF_BY_PACKETS], 4);
	assert_int_equal(t->top[SF_BY_PACKETS][0].packets[0], 50);
	assert_int_equal(t->top[SF_BY_PACKETS][1].packets[0], 5);
	/* Responder ports: 443 (two flows) before 53; port 0 is left out. */
	assert_int_equal(t->nports, 2);
	assert_int_equal(t->ports[0].proto, 6);
	assert_int_equal(t->ports[0].port, 443);
	assert_int_equal(t->ports[0].flows, 2);
	assert_int_equal(t->ports[0].packets, 55);
	assert_int_equal(t->ports[0].bytes, 8000);
	assert_int_equal(t->ports[1].port, 53);
	sf_collector_free(c);
}

static struct sf_collector *
make_history(unsigned int history, bool live)
{
	struct sf_collector_params p;

	memset(&p, 0, sizeof(p));
	p.n_workers = 1;
	p.interval_ns = 1000;
	p.history = history;
	p.live = live;
	return sf_collector_create(&p);
}

static void
interval(struct sf_collector *c, uint64_t t, uint64_t packets)
{
	static union msg m;

	agg_msg(&m, 0, t, t + 1, packets);
	sf_collector_handle(c, &m.h);
}

/* Snapshots keep the newest intervals and do not change once built. */
static void
test_history_and_snapshots(void **state)
{
	struct sf_collector *c = make_history(3, false);
	struct sf_snap_state st;
	struct sf_snap *s, *s2;
	uint64_t t;

	(void)state;
	memset(&st, 0, sizeof(st));
	st.input_received = 7;
	for (t = 0; t < 5; t++)
		interval(c, t, 10 + t);
	s = sf_collector_snapshot(c, &st);
	assert_non_null(s);
	/* A history of 3 keeps the newest three intervals, oldest first. */
	assert_int_equal(s->n_iv, 3);
	assert_int_equal(s->iv[0]->agg.interval, 2);
	assert_int_equal(s->iv[2]->agg.interval, 4);
	assert_int_equal(s->iv[2]->agg.flowed, 14);
	assert_int_equal(s->tot.intervals, 5);
	assert_int_equal(s->st.input_received, 7);
	assert_int_equal(s->lag_ns, 0);		/* a file: no lag */
	interval(c, 5, 99);
	s2 = sf_collector_snapshot(c, &st);
	assert_int_equal(s->iv[2]->agg.interval, 4);
	assert_int_equal(s->tot.intervals, 5);
	assert_int_equal(s2->iv[2]->agg.interval, 5);
	assert_ptr_equal(s2->iv[1], s->iv[2]);	/* shared, not copied */
	sf_snap_put(s);
	sf_collector_free(c);			/* s2 holds its intervals */
	assert_int_equal(s2->iv[0]->agg.interval, 3);
	sf_snap_put(s2);

	/* No history asked for: none kept. Live: the lag is wall time past the end. */
	c = make_history(0, true);
	interval(c, 0, 1);
	s = sf_collector_snapshot(c, &st);
	assert_int_equal(s->n_iv, 0);
	assert_int_equal(s->tot.intervals, 1);
	sf_snap_put(s);
	sf_collector_free(c);
	c = make_history(1, true);
	interval(c, 0, 1);
	s = sf_collector_snapshot(c, &st);
	assert_true(s->lag_ns > 1000);		/* interval 0 ended 1 us after 1970 */
	sf_snap_put(s);
	sf_collector_free(c);
}

static void
test_publish(void **state)
{
	struct sf_collector *c = make_history(2, false);
	struct sf_snap_pub *p = sf_snap_pub_create();
	struct sf_snap_state st;
	struct sf_snap *s;

	(void)state;
	memset(&st, 0, sizeof(st));
	assert_non_null(p);
	assert_null(sf_snap_get(p));		/* nothing published yet */
	assert_true(sf_snap_pub_due(p, sf_collector_version(c), false));
	sf_snap_publish(p, sf_collector_snapshot(c, &st), sf_collector_version(c));
	/* Nothing new, and well within the second: not due. */
	assert_false(sf_snap_pub_due(p, sf_collector_version(c), false));
	assert_true(sf_snap_pub_due(p, sf_collector_version(c), true));
	interval(c, 0, 1);
	sf_snap_publish(p, sf_collector_snapshot(c, &st), sf_collector_version(c));
	s = sf_snap_get(p);
	assert_non_null(s);
	assert_int_equal(s->seq, 2);
	assert_int_equal(s->n_iv, 1);
	assert_true(s->wall_ns > 0);
	sf_snap_put(s);
	sf_snap_pub_free(p);
	sf_collector_free(c);
}

struct reader_arg {
	struct sf_snap_pub *p;
	volatile int *stop;
	atomic_ulong reads;
	int bad;
};

static void *
reader(void *arg)
{
	struct reader_arg *ra = arg;
	uint64_t last = 0;

	while (!*ra->stop) {
		struct sf_snap *s = sf_snap_get(ra->p);
		unsigned int i;

		if (s == NULL)
			continue;
		if (s->seq < last)
			ra->bad++;
		last = s->seq;
		for (i = 1; i < s->n_iv; i++)
			if (s->iv[i]->agg.interval != s->iv[i - 1]->agg.interval + 1)
				ra->bad++;
		sf_snap_put(s);
		atomic_fetch_add(&ra->reads, 1);
	}
	return NULL;
}

static unsigned long
min_reads(struct reader_arg *ra, unsigned int n)
{
	unsigned long m = ULONG_MAX;
	unsigned int i;

	for (i = 0; i < n; i++)
		if (atomic_load(&ra[i].reads) < m)
			m = atomic_load(&ra[i].reads);
	return m;
}

/* Readers never see a freed or half-built snapshot while the publisher runs flat out. */
static void
test_readers_race_publisher(void **state)
{
	struct sf_collector *c = make_history(3, false);
	struct sf_snap_pub *p = sf_snap_pub_create();
	struct sf_snap_state st;
	struct reader_arg ra[4];
	pthread_t th[4];
	volatile int stop = 0;
	unsigned int i;
	uint64_t t;

	(void)state;
	memset(&st, 0, sizeof(st));
	for (i = 0; i < 4; i++) {
		memset(&ra[i], 0, sizeof(ra[i]));
		ra[i].p = p;
		ra[i].stop = &stop;
		assert_int_equal(pthread_create(&th[i], NULL, reader, &ra[i]), 0);
	}
	/* At least 2000 publishes, and until every reader has read 1000 times. */
	for (t = 0; t < 2000 || min_reads(ra, 4) < 1000; t++) {
		interval(c, t, 1);
		sf_snap_publish(p, sf_collector_snapshot(c, &st), sf_collector_version(c));
	}
	stop = 1;
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(ra[i].bad, 0);
		assert_true(atomic_load(&ra[i].reads) >= 1000);
	}
	sf_snap_pub_free(p);
	sf_collector_free(c);
}

/*
 * Link state followed by the collector thread: the first reading is the
 * starting state (no change, even when down); each flip after it counts
 * with its time; a repeated reading changes nothing.
 */
static void
test_port_links(void **state)
{
	struct sf_snap_port p, q;

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_false(sf_snap_port_update(&p, "eth1", true, 10000, 100));
	assert_string_equal(p.name, "eth1");
	assert_true(p.up);
	assert_int_equal(p.changes, 0);
	assert_int_equal(p.last_change_ns, 0);
	assert_int_equal(p.speed_mbps, 10000);
	assert_false(sf_snap_port_update(&p, "eth1", true, 10000, 200));
	assert_true(sf_snap_port_update(&p, "eth1", false, 0, 300));
	assert_false(p.up);
	assert_int_equal(p.changes, 1);
	assert_int_equal(p.last_change_ns, 300);
	assert_int_equal(p.speed_mbps, 10000);	/* kept while down */
	assert_false(sf_snap_port_update(&p, "eth1", false, 0, 400));
	assert_int_equal(p.last_change_ns, 300);
	assert_true(sf_snap_port_update(&p, "eth1", true, 1000, 500));
	assert_int_equal(p.changes, 2);
	assert_int_equal(p.last_change_ns, 500);
	assert_int_equal(p.speed_mbps, 1000);
	/* Down at the start: the state, not a change. */
	memset(&q, 0, sizeof(q));
	assert_false(sf_snap_port_update(&q, "eth2", false, 0, 100));
	assert_false(q.up);
	assert_int_equal(q.changes, 0);
	assert_true(sf_snap_port_update(&q, "eth2", true, 0, 200));
	assert_int_equal(q.changes, 1);
	assert_int_equal(q.speed_mbps, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_waits_for_every_worker),
		cmocka_unit_test(test_gap_and_order),
		cmocka_unit_test(test_topk_merge_exact),
		cmocka_unit_test(test_interval_top_merged),
		cmocka_unit_test(test_records_and_totals),
		cmocka_unit_test(test_talkers_exact),
		cmocka_unit_test(test_talkers_bounded),
		cmocka_unit_test(test_run_figures),
		cmocka_unit_test(test_history_and_snapshots),
		cmocka_unit_test(test_publish),
		cmocka_unit_test(test_readers_race_publisher),
		cmocka_unit_test(test_port_links),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
