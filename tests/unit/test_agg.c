/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The interval aggregate: the lists describe every counter once, merges
 * add up (gauges aside), and the text forms generated from the lists are
 * the formats users read (interval lines, API totals, Prometheus).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sf_agg.h"
#include "sf_agg_json.h"

static void
test_fields_cover_counters(void **state)
{
	unsigned int f, next = 0;

	(void)state;
	/* Rows follow each other in counters[] without a gap or an overlap. */
	for (f = 0; f < SF_AGG_NFIELDS; f++) {
		assert_int_equal(sf_agg_fields[f].off, next);
		next += sf_agg_fields[f].n;
	}
	assert_int_equal(next, SF_AGG_NCOUNTERS);
	assert_int_equal(sf_agg_fields[0].off, 0);
	assert_string_equal(sf_agg_fields[0].name, "received");
}

static void
test_empty(void **state)
{
	struct sf_interval_agg a;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.interval = 42;		/* the index alone is no content */
	assert_true(sf_agg_empty(&a));
	a.flows_active = 1;		/* a flow alive through the interval is */
	assert_false(sf_agg_empty(&a));
	a.flows_active = 0;
	a.flows_ended[SF_END_IDLE] = 1;
	assert_false(sf_agg_empty(&a));
	a.flows_ended[SF_END_IDLE] = 0;
	a.dropped[SF_DROP_NO_MBUF] = 1;
	assert_false(sf_agg_empty(&a));
	a.dropped[SF_DROP_NO_MBUF] = 0;
	a.received = 1;
	assert_false(sf_agg_empty(&a));
}

static void
fill(struct sf_interval_agg *b)
{
	memset(b, 0, sizeof(*b));
	b->received = 10;
	b->flowed = 7;
	b->bytes = 700;
	b->filtered = 1;
	b->nonflow = 1;
	b->malformed = 1;
	b->malformed_by[SF_PKT_BAD_L4_TRUNC] = 1;
	b->dropped[SF_DROP_DISPATCH_FULL] = 3;
	b->flows_new = 4;
	b->flows_ended[SF_END_TCP_FIN] = 2;
	b->flows_active = 5;
	b->records_lost = 6;
	b->ipv4_packets = 5;
	b->ipv6_packets = 2;
	b->proto_packets[17] = 7;
	b->proto_bytes[17] = 700;
}

static void
test_merge_sums_every_counter(void **state)
{
	struct sf_interval_agg a, b;
	unsigned int i;

	(void)state;
	memset(&a, 0, sizeof(a));
	fill(&b);
	for (i = 0; i < 3; i++)
		sf_agg_merge(&a, &b);
	assert_int_equal(a.received, 30);
	assert_int_equal(a.flowed, 21);
	assert_int_equal(a.bytes, 2100);
	assert_int_equal(a.filtered, 3);
	assert_int_equal(a.nonflow, 3);
	assert_int_equal(a.malformed, 3);
	assert_int_equal(a.malformed_by[SF_PKT_BAD_L4_TRUNC], 3);
	assert_int_equal(a.dropped[SF_DROP_DISPATCH_FULL], 9);
	assert_int_equal(a.flows_new, 12);
	assert_int_equal(a.flows_ended[SF_END_TCP_FIN], 6);
	assert_int_equal(a.flows_active, 15);	/* workers' tables add up */
	assert_int_equal(a.records_lost, 18);
	assert_int_equal(a.ipv4_packets, 15);
	assert_int_equal(a.ipv6_packets, 6);
	assert_int_equal(a.proto_packets[17], 21);
	assert_int_equal(a.proto_bytes[17], 2100);
	assert_int_equal(a.interval, 0);	/* not a counter */
}

static void
test_accumulate_keeps_newest_gauge(void **state)
{
	struct sf_interval_agg run, b;

	(void)state;
	memset(&run, 0, sizeof(run));
	fill(&b);
	sf_agg_accumulate(&run, &b);
	b.flows_active = 2;
	sf_agg_accumulate(&run, &b);
	assert_int_equal(run.flows_active, 2);	/* the newest interval's tables */
	assert_int_equal(run.received, 20);
	assert_int_equal(run.flows_ended[SF_END_TCP_FIN], 4);
	assert_int_equal(run.proto_bytes[17], 1400);
}

static void
test_conservation(void **state)
{
	struct sf_interval_agg a;
	struct sf_agg_conservation c;
	uint64_t dropped[SF_DROP_MAX] = { 0 };

	(void)state;
	fill(&a);		/* 10 received = 7 + 1 + 1 + 1; 3 dropped before */
	sf_agg_conserve(&c, &a, 13, NULL);
	assert_true(c.ok);
	assert_int_equal(c.received, 13);
	assert_int_equal(c.accounted, 13);
	/* The input's own drop counts replace the aggregate's. */
	dropped[SF_DROP_NIC_MISSED] = 4;
	sf_agg_conserve(&c, &a, 13, dropped);
	assert_false(c.ok);
	assert_int_equal(c.accounted, 14);
	sf_agg_conserve(&c, &a, 14, dropped);
	assert_true(c.ok);
	/* A packet a worker got but did not account for. */
	a.received++;
	sf_agg_conserve(&c, &a, 13, NULL);
	assert_false(c.ok);
}

static const char interval_line[] =
	"{\"interval_start_ns\":20000000000,\"interval_ns\":10000000000,"
	"\"received\":10,\"packets\":7,\"bytes\":700,\"ipv4_packets\":5,\"ipv6_packets\":2,"
	"\"filtered\":1,\"nonflow\":1,\"malformed\":1,\"duplicate\":0,\"sampled_out\":0,\"duplicate_estimate\":0,"
	"\"underlay\":{\"packets\":0,\"bytes\":0},"
	"\"malformed_by_reason\":{\"l4_truncated\":1},\"dropped\":3,\"records_lost\":6,"
	"\"app_inspection\":{\"malformed\":0,\"no_buffer\":0,\"cut\":0},"
	"\"flows\":{\"new\":4,\"ended\":2,\"active\":5},"
	"\"ended_by_reason\":{\"idle\":0,\"active\":0,\"tcp_fin\":2,\"tcp_rst\":0,"
	"\"evicted\":0,\"end_of_input\":0},"
	"\"protocols\":[{\"proto\":6,\"packets\":0,\"bytes\":40},"
	"{\"proto\":17,\"packets\":7,\"bytes\":700}],\"encapsulations\":[],\"tcp_conn_states\":[],"
	"\"app_flows\":[],\"tunnels\":[],\"tunnels_other\":{\"contexts\":0,\"packets\":0,\"bytes\":0,"
	"\"overflow_packets\":0},"
	"\"top_flows\":[{\"src_addr\":\"10.9.9.9\",\"src_port\":53,\"dst_addr\":\"10.0.0.1\","
	"\"dst_port\":5000,\"proto\":17,\"vlan\":7,\"packets\":3,\"bytes\":300}]}";

static void
test_interval_json(void **state)
{
	struct sf_interval_agg a;
	struct sf_text t = { 0 };
	uint8_t x[4] = { 10, 0, 0, 1 }, y[4] = { 10, 9, 9, 9 };

	(void)state;
	fill(&a);
	a.interval = 2;
	a.proto_bytes[6] = 40;		/* a key is shown if any column is not zero */
	a.ntop = 1;
	/* Sent by 10.9.9.9:53, the higher end of the key. */
	a.top[0].initiator = (uint8_t)sf_flow_key_make(&a.top[0].key, 4, y, x, 4, 53, 5000,
			17, 7);
	a.top[0].packets = 3;
	a.top[0].bytes = 300;
	sf_agg_json_interval(&t, &a, 10 * UINT64_C(1000000000));
	assert_false(t.oom);
	assert_string_equal(t.p, interval_line);
	sf_text_free(&t);
}

static void
test_totals_json(void **state)
{
	struct sf_interval_agg a;
	struct sf_text t = { 0 };

	(void)state;
	fill(&a);
	sf_agg_json_totals(&t, &a);
	assert_string_equal(t.p, "\"received\":10,\"packets\":7,\"bytes\":700,"
			"\"ipv4_packets\":5,\"ipv6_packets\":2,\"filtered\":1,\"nonflow\":1,"
			"\"malformed\":1,\"duplicate\":0,\"sampled_out\":0,\"duplicate_estimate\":0,"
			"\"underlay_packets\":0,\"underlay_bytes\":0,\"dropped\":3,"
			"\"records_lost\":6,\"app_inspection_malformed\":0,"
			"\"app_inspection_no_buffer\":0,\"app_inspection_cut\":0,\"flows_new\":4,"
			"\"flows_ended\":2");
	sf_text_reset(&t);
	sf_agg_json_reasons(&t, &a);
	assert_non_null(strstr(t.p, ",\"malformed_by_reason\":{\"l2_truncated\":0,"));
	assert_null(strstr(t.p, "\"none\""));
	assert_non_null(strstr(t.p, ",\"dropped_by_reason\":{\"nic_missed\":0,\"no_mbuf\":0,"
			"\"rx_error\":0,\"dispatch_full\":3,"));
	assert_non_null(strstr(t.p, ",\"ended_by_reason\":{\"idle\":0,"));
	sf_text_free(&t);
}

static void
test_prometheus(void **state)
{
	struct sf_interval_agg a;
	struct sf_text t = { 0 };
	const char *p, *q;

	(void)state;
	fill(&a);
	sf_agg_prom(&t, &a);
	assert_false(t.oom);
	p = strstr(t.p, "# HELP spanflow_packets_total ");
	assert_non_null(p);
	assert_non_null(strstr(p, "# TYPE spanflow_packets_total counter\n"
			"spanflow_packets_total{outcome=\"flow\"} 7\n"
			"spanflow_packets_total{outcome=\"filtered\"} 1\n"
			"spanflow_packets_total{outcome=\"nonflow\"} 1\n"
			"spanflow_packets_total{outcome=\"malformed\"} 1\n"
			"spanflow_packets_total{outcome=\"duplicate\"} 0\n"));
	assert_non_null(strstr(t.p, "\nspanflow_span_copies_estimated_total 0\n"));
	assert_non_null(strstr(t.p,
			"spanflow_packets_dropped_total{reason=\"dispatch_full\"} 3\n"));
	assert_non_null(strstr(t.p,
			"spanflow_malformed_packets_total{reason=\"l4_truncated\"} 1\n"));
	assert_null(strstr(t.p, "reason=\"none\""));
	assert_non_null(strstr(t.p, "\nspanflow_flow_bytes_total 700\n"));
	assert_non_null(strstr(t.p, "\nspanflow_protocol_packets_total{proto=\"17\"} 7\n"));
	assert_non_null(strstr(t.p, "\nspanflow_protocol_bytes_total{proto=\"17\"} 700\n"));
	assert_non_null(strstr(t.p, "spanflow_flow_records_total{reason=\"tcp_fin\"} 2\n"));
	assert_non_null(strstr(t.p, "\nspanflow_flow_records_lost_total 6\n"));
	/* Each family once, in the order of the list. */
	q = strstr(t.p, "# HELP spanflow_flow_records_lost_total");
	assert_non_null(q);
	assert_true(p < q);
	assert_null(strstr(p + 1, "# HELP spanflow_packets_total "));
	sf_text_free(&t);
}

/* The encapsulation table: keys are named, in JSON and in Prometheus labels. */
static void
test_encap_table(void **state)
{
	struct sf_interval_agg a, b;
	struct sf_text t = { 0 };

	(void)state;
	memset(&a, 0, sizeof(a));
	a.encap_packets[SF_ENCAP_VXLAN] = 5;
	a.encap_bytes[SF_ENCAP_VXLAN] = 500;
	a.encap_packets[SF_ENCAP_GRE] = 2;
	a.encap_malformed[SF_ENCAP_GRE] = 1;
	memcpy(&b, &a, sizeof(b));
	sf_agg_merge(&b, &a);
	assert_int_equal(b.encap_packets[SF_ENCAP_VXLAN], 10);
	assert_int_equal(b.encap_malformed[SF_ENCAP_GRE], 2);
	sf_agg_json_interval(&t, &a, 10 * SF_NS_PER_S);
	assert_false(t.oom);
	assert_non_null(strstr(t.p, "\"encapsulations\":[{\"encap\":\"gre\",\"packets\":2,"
			"\"bytes\":0,\"malformed\":1},{\"encap\":\"vxlan\",\"packets\":5,"
			"\"bytes\":500,\"malformed\":0}]"));
	sf_text_reset(&t);
	sf_agg_prom(&t, &a);
	assert_non_null(strstr(t.p, "\nspanflow_encap_packets_total{encap=\"vxlan\"} 5\n"));
	assert_non_null(strstr(t.p, "\nspanflow_encap_bytes_total{encap=\"vxlan\"} 500\n"));
	assert_non_null(strstr(t.p,
			"\nspanflow_encap_malformed_packets_total{encap=\"gre\"} 1\n"));
	assert_null(strstr(t.p, "encap=\"geneve\""));
	sf_text_free(&t);
}

static void
test_protocols(void **state)
{
	struct sf_interval_agg a;
	uint8_t order[256];
	unsigned int n;

	(void)state;
	assert_string_equal(sf_proto_label(6), "TCP");
	assert_string_equal(sf_proto_name(6), "tcp");
	assert_string_equal(sf_proto_label(41), "IPv6-encap");
	assert_string_equal(sf_proto_name(41), "ipv6");
	assert_string_equal(sf_proto_name(136), "udplite");
	assert_null(sf_proto_label(200));
	assert_null(sf_proto_name(200));
	assert_true(sf_proto_has_ports(132));
	assert_false(sf_proto_has_ports(1));
	memset(&a, 0, sizeof(a));
	a.proto_packets[1] = 1;
	a.proto_bytes[1] = 100;
	a.proto_packets[6] = 1;
	a.proto_bytes[6] = 500;
	a.proto_packets[17] = 1;
	a.proto_bytes[17] = 100;
	n = sf_agg_proto_order(&a, order);
	assert_int_equal(n, 3);
	assert_int_equal(order[0], 6);
	assert_int_equal(order[1], 1);	/* equal bytes: lower number first */
	assert_int_equal(order[2], 17);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(sf_drop_reason_name(SF_DROP_NIC_MISSED), "nic_missed");
	assert_string_equal(sf_drop_reason_name(SF_DROP_DISPATCH_FULL), "dispatch_full");
	assert_string_equal(sf_drop_reason_name(SF_DROP_MAX), "unknown");
}

static void
test_text(void **state)
{
	struct sf_text t = { 0 };

	(void)state;
	sf_text_u64(&t, 0);
	sf_text_put(&t, " ", 1);
	sf_text_u64(&t, UINT64_MAX);
	sf_text_put(&t, " ", 1);
	/* Quotes, controls and bytes that are not UTF-8 stay valid JSON. */
	sf_text_json_str(&t, "a\"\\\x01\xc3\xa9\xff");
	assert_string_equal(t.p, "0 18446744073709551615 \"a\\\"\\\\\\u0001\xc3\xa9\\ufffd\"");
	sf_text_free(&t);
}

/*
 * The worker's tunnel context table: exact up to its bound, then one
 * "other" row that counts everything that found it full; reset empties it.
 */
static void
test_tun_table_bound(void **state)
{
	struct sf_tun_table *t = calloc(1, sizeof(*t));
	unsigned int i;

	(void)state;
	assert_non_null(t);
	assert_true(sf_tun_table_empty(t));
	/* Each context twice, once with each kind that shares its id. */
	for (i = 0; i < SF_TUN_WORKER_MAX / 2; i++) {
		sf_tun_count(t, SF_FLOW_CTX_VNI, i, 100);
		sf_tun_count(t, SF_FLOW_CTX_GRE_KEY, i, 10);
		sf_tun_count(t, SF_FLOW_CTX_VNI, i, 1);
	}
	assert_int_equal(t->n, SF_TUN_WORKER_MAX);
	assert_int_equal(t->other.packets, 0);
	for (i = 0; i < SF_TUN_WORKER_MAX; i++) {
		const struct sf_tun_entry *e = &t->ent[i];

		assert_int_equal(e->id, i / 2);
		assert_int_equal(e->kind, i % 2 ? SF_FLOW_CTX_GRE_KEY : SF_FLOW_CTX_VNI);
		assert_int_equal(e->packets, i % 2 ? 1 : 2);
		assert_int_equal(e->bytes, i % 2 ? 10 : 101);
	}
	/* Full: new contexts go to other; known ones still count exactly. */
	sf_tun_count(t, SF_FLOW_CTX_TEID, 7, 50);
	sf_tun_count(t, SF_FLOW_CTX_TEID, 8, 60);
	sf_tun_count(t, SF_FLOW_CTX_VNI, 3, 5);
	assert_int_equal(t->n, SF_TUN_WORKER_MAX);
	assert_int_equal(t->other.packets, 2);
	assert_int_equal(t->other.bytes, 110);
	assert_int_equal(t->ent[6].packets, 3);
	assert_int_equal(t->ent[6].bytes, 106);
	sf_tun_table_reset(t);
	assert_true(sf_tun_table_empty(t));
	for (i = 0; i < SF_TUN_SLOTS; i++)
		assert_int_equal(t->slot[i], 0);
	sf_tun_count(t, SF_FLOW_CTX_TEID, 8, 60);
	assert_int_equal(t->n, 1);
	assert_int_equal(t->ent[0].packets, 1);
	/* Only a used table's index is cleared. */
	sf_tun_table_reset(t);
	sf_tun_table_reset(t);
	assert_true(sf_tun_table_empty(t));
	free(t);
}

/*
 * The collector's side: the workers' entries folded per context, ranked by
 * bytes then kind then id, the rest (and the overflow) in other.
 */
static void
test_tun_fold_rank(void **state)
{
	struct sf_tun_entry e[3 * (SF_TUN_TOP + 5)];
	struct sf_tun_top top;
	unsigned int i, n = 0, m;

	(void)state;
	memset(e, 0, sizeof(e));
	/* Three "workers", each with a share of SF_TUN_TOP + 5 contexts. */
	for (i = 0; i < 3 * (SF_TUN_TOP + 5); i++) {
		unsigned int c = (i * 7) % (SF_TUN_TOP + 5);

		e[n].kind = c % 2 ? SF_FLOW_CTX_TEID : SF_FLOW_CTX_VNI;
		e[n].id = c / 2;
		e[n].packets = 1;
		e[n].bytes = c < 4 ? 1000 : 10 * c;
		n++;
	}
	m = sf_tun_fold(e, n);
	assert_int_equal(m, SF_TUN_TOP + 5);
	for (i = 0; i < m; i++)
		assert_int_equal(e[i].packets, 3);
	sf_tun_rank(&top, e, m, 4, 44);
	assert_int_equal(top.n, SF_TUN_TOP);
	/* Four ties at 3000 bytes: vni 0, vni 1, then teid 0, teid 1. */
	assert_int_equal(top.top[0].bytes, 3000);
	assert_int_equal(top.top[0].kind, SF_FLOW_CTX_VNI);
	assert_int_equal(top.top[0].id, 0);
	assert_int_equal(top.top[1].kind, SF_FLOW_CTX_VNI);
	assert_int_equal(top.top[1].id, 1);
	assert_int_equal(top.top[2].kind, SF_FLOW_CTX_TEID);
	assert_int_equal(top.top[2].id, 0);
	assert_int_equal(top.top[3].kind, SF_FLOW_CTX_TEID);
	assert_int_equal(top.top[3].id, 1);
	for (i = 1; i < top.n; i++)
		assert_false(sf_tun_before(&top.top[i], &top.top[i - 1]));
	/* Not listed: contexts 4..8 (the least bytes), 3 packets each, and the overflow. */
	assert_int_equal(top.other_contexts, 5);
	assert_int_equal(top.other_packets, 5 * 3 + 4);
	assert_int_equal(top.other_bytes, 3 * 10 * (4 + 5 + 6 + 7 + 8) + 44);
	assert_int_equal(top.overflow_packets, 4);
	assert_int_equal(top.top[SF_TUN_TOP - 1].bytes, 3 * 10 * 9);
}

/* An interval's JSON lists its contexts and what it did not list. */
static void
test_tun_json(void **state)
{
	struct sf_tun_top top;
	struct sf_tun_entry e[2] = {
		{ .id = 5000, .kind = SF_FLOW_CTX_VNI, .packets = 3, .bytes = 300 },
		{ .id = 7, .kind = SF_FLOW_CTX_GRE_KEY, .packets = 1, .bytes = 60 },
	};
	struct sf_text t = { 0 };

	(void)state;
	sf_tun_rank(&top, e, 2, 0, 0);
	sf_agg_json_tunnels(&t, &top, 1);
	assert_string_equal(t.p, ",\"tunnels\":[{\"tunnel\":\"vni\",\"tunnel_id\":"
			"5000,\"packets\":3,\"bytes\":300}],\"tunnels_other\":{\"contexts\":1,"
			"\"packets\":1,\"bytes\":60,\"overflow_packets\":0}");
	sf_text_free(&t);
}

/* A small deterministic generator (xorshift64*). */
static uint64_t
rnd(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * UINT64_C(2685821657736338717);
}

/* A value spread over the histogram's range and beyond: log-uniform. */
static uint64_t
rnd_rtt(uint64_t *x)
{
	unsigned int e = (unsigned int)(rnd(x) % 40);

	return (UINT64_C(1) << e) + rnd(x) % (UINT64_C(1) << e);
}

static void
test_rtt_bucket_bounds(void **state)
{
	unsigned int b;

	(void)state;
	assert_int_equal(SF_RTT_BUCKETS, 210);
	assert_int_equal(sf_rtt_bucket(0), 0);
	assert_int_equal(sf_rtt_bucket(1023), 0);
	assert_int_equal(sf_rtt_bucket(1024), 1);
	assert_int_equal(sf_rtt_bucket(1024 + 127), 1);
	assert_int_equal(sf_rtt_bucket(1024 + 128), 2);
	assert_int_equal(sf_rtt_bucket(2047), 8);
	assert_int_equal(sf_rtt_bucket(2048), 9);
	assert_int_equal(sf_rtt_bucket((UINT64_C(1) << 36) - 1), SF_RTT_BUCKETS - 2);
	assert_int_equal(sf_rtt_bucket(UINT64_C(1) << 36), SF_RTT_BUCKETS - 1);
	assert_int_equal(sf_rtt_bucket(UINT64_MAX), SF_RTT_BUCKETS - 1);
	assert_int_equal(sf_rtt_bucket_lower(0), 0);
	assert_int_equal(sf_rtt_bucket_lower(1), 1024);
	assert_int_equal(sf_rtt_bucket_lower(SF_RTT_BUCKETS - 1), UINT64_C(1) << 36);
	/* Buckets tile the line: each starts where the one before ends, at most 1/8 wide. */
	for (b = 1; b < SF_RTT_BUCKETS; b++) {
		uint64_t lo = sf_rtt_bucket_lower(b);

		assert_true(lo > sf_rtt_bucket_lower(b - 1));
		assert_int_equal(sf_rtt_bucket(lo), b);
		assert_int_equal(sf_rtt_bucket(lo - 1), b - 1);
		if (b + 1 < SF_RTT_BUCKETS && b > 0) {
			uint64_t hi = sf_rtt_bucket_lower(b + 1);

			assert_true((hi - lo) * SF_RTT_SUB <= lo);
		}
	}
	/* Every power of two from 2^10 to 2^36 ns is a boundary (Prometheus buckets). */
	for (b = SF_RTT_MIN_EXP; b <= SF_RTT_MAX_EXP; b++) {
		uint64_t v = UINT64_C(1) << b;

		assert_int_equal(sf_rtt_bucket_lower(sf_rtt_bucket(v)), v);
	}
}

static uint64_t sorted_tmp[4000];

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
test_rtt_error_bound(void **state)
{
	static struct sf_rtt_hist h;
	const unsigned int q[] = { 1, 100, 500, 900, 990, 1000 };
	uint64_t x = 0x1234567, sum = 0;
	unsigned int i, j, n = 4000;

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_int_equal(sf_rtt_quantile(&h, 500), 0);
	for (i = 0; i < n; i++) {
		/* 1.024 us .. 68.7 s: the range with a relative bound. */
		uint64_t v;

		do
			v = rnd_rtt(&x);
		while (v < 1024 || v >= UINT64_C(1) << 36);
		sorted_tmp[i] = v;
		sum += v;
		sf_rtt_add(&h, v);
	}
	qsort(sorted_tmp, n, sizeof(sorted_tmp[0]), u64_cmp);
	assert_int_equal(h.count, n);
	assert_int_equal(h.sum_ns, sum);
	assert_int_equal(h.min_ns, sorted_tmp[0]);
	assert_int_equal(h.max_ns, sorted_tmp[n - 1]);
	for (j = 0; j < RTE_DIM(q); j++) {
		uint64_t rank = ((uint64_t)n * q[j] + 999) / 1000;
		uint64_t exact = sorted_tmp[rank - 1], est = sf_rtt_quantile(&h, q[j]);
		double err = est > exact ? (double)(est - exact) : (double)(exact - est);

		/* Within 1/16 of the true value (6.25%), as sf_agg_tcp.h states. */
		assert_true(err * 16 <= (double)exact);
	}
	/* The first and last ranks are exact. */
	assert_int_equal(sf_rtt_quantile(&h, 1000), sorted_tmp[n - 1]);
	assert_int_equal(sf_rtt_quantile(&h, 0), sorted_tmp[0]);
	/* Below 1.024 us: within 512 ns; a single value: exact. */
	memset(&h, 0, sizeof(h));
	sf_rtt_add(&h, 300);
	sf_rtt_add(&h, 900);
	sf_rtt_add(&h, 1000);
	assert_int_equal(sf_rtt_quantile(&h, 500), 512);
	memset(&h, 0, sizeof(h));
	sf_rtt_add(&h, 123456789);
	assert_int_equal(sf_rtt_quantile(&h, 900), 123456789);
}

static void
test_rtt_merge_exact(void **state)
{
	static struct sf_rtt_hist all, part[4], merged;
	uint64_t x = 99;
	unsigned int i;

	(void)state;
	memset(&all, 0, sizeof(all));
	memset(part, 0, sizeof(part));
	memset(&merged, 0, sizeof(merged));
	for (i = 0; i < 5000; i++) {
		uint64_t v = rnd_rtt(&x);

		sf_rtt_add(&all, v);
		sf_rtt_add(&part[rnd(&x) % 4], v);
	}
	/* Any order of merging gives the one histogram of every value. */
	sf_rtt_merge(&merged, &part[2]);
	sf_rtt_merge(&merged, &part[0]);
	sf_rtt_merge(&merged, &part[3]);
	sf_rtt_merge(&merged, &part[1]);
	assert_memory_equal(&merged, &all, sizeof(all));
	/* An empty histogram changes nothing, min included. */
	memset(&part[0], 0, sizeof(part[0]));
	sf_rtt_merge(&merged, &part[0]);
	assert_memory_equal(&merged, &all, sizeof(all));
}

static void
flow_key4(struct sf_flow_key *k, uint32_t lo, uint32_t hi, uint16_t vlan)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr_lo, &lo, 4);
	memcpy(k->addr_hi, &hi, 4);
	k->port_lo = 40000;
	k->port_hi = 443;
	k->vlan = vlan;
	k->proto = 6;
	k->ipver = 4;
}

static unsigned int
ref_server(const struct sf_tcpa_ref *r)
{
	return (r->rows[0] | (unsigned int)r->rows[1] << 8) & ((1u << SF_TCPA_ROW_BITS) - 1);
}

static unsigned int
ref_subnet(const struct sf_tcpa_ref *r)
{
	return (r->rows[0] | (unsigned int)r->rows[1] << 8 | (unsigned int)r->rows[2] << 16) >>
		SF_TCPA_ROW_BITS;
}

static void
test_tcpa_table(void **state)
{
	struct sf_tcpa_table *t = calloc(1, sizeof(*t));
	struct sf_tcpa_ref r[SF_TCPA_SERVERS + 2];
	struct sf_flow_key k;
	uint32_t cli = 0x0a000001;	/* 10.0.0.1 in memory order: 1.0.0.10 */
	unsigned int i;

	(void)state;
	assert_non_null(t);
	sf_tcpa_table_init(t, 0, 0);
	memset(r, 0, sizeof(r));
	assert_true(sf_tcpa_table_empty(t));
	/* Server: the end that did not initiate; the client's subnet: its /24. */
	for (i = 0; i < SF_TCPA_SERVERS + 2; i++) {
		flow_key4(&k, cli + ((uint32_t)i << 24), 0xc0a80000u + i, 0);
		uint64_t rtt = 1000000 + i;

		sf_tcpa_packet(t, &r[i], &k, SF_DIR_LO, 0, false, true, &rtt);
		sf_tcpa_packet(t, &r[i], &k, SF_DIR_LO, 1, true, false, NULL);
	}
	assert_int_equal(t->si.n, SF_TCPA_SERVERS);
	assert_int_equal(t->ni.n, 1);
	assert_int_equal(ref_server(&r[SF_TCPA_SERVERS]), SF_TCPA_SERVERS);
	assert_int_equal(ref_subnet(&r[SF_TCPA_SERVERS]), 0);
	assert_int_equal(t->serv[SF_TCPA_SERVERS].packets[0], 2);
	assert_int_equal(t->serv[SF_TCPA_SERVERS].retrans[1], 2);
	assert_int_equal(t->serv[SF_TCPA_SERVERS].rtt.count, 2);
	assert_int_equal(t->sub[0].packets[0], SF_TCPA_SERVERS + 2);
	assert_int_equal(t->sub[0].retrans[1], SF_TCPA_SERVERS + 2);
	assert_int_equal(t->sub[0].handshakes, SF_TCPA_SERVERS + 2);
	assert_int_equal(t->sub[0].key.addr[3], 0);
	assert_int_equal(t->sub[0].key.addr[0], 1);
	{
		uint32_t a;

		memcpy(&a, t->serv[3].key.addr, 4);
		assert_int_equal(a, 0xc0a80003u);
		assert_int_equal(t->serv[3].rtt.min_ns, 1000003);
		assert_int_equal(t->serv[3].packets[1], 1);
	}
	/* The same server on another VLAN is another server; the responder as lo works too. */
	flow_key4(&k, 0xc0a80003u, cli, 7);
	sf_tcpa_bind(t, &r[0], &k, SF_DIR_HI);
	assert_int_equal(ref_server(&r[0]), SF_TCPA_SERVERS);
	sf_tcpa_table_reset(t);
	assert_true(sf_tcpa_table_empty(t));
	sf_tcpa_packet(t, &r[0], &k, SF_DIR_HI, 0, false, false, NULL);
	assert_int_equal(ref_server(&r[0]), 0);
	assert_int_equal(t->serv[0].key.vlan, 7);
	assert_int_equal(t->serv[0].packets[0], 1);
	/* A ref of the interval before is stale: r[1] is bound again. */
	sf_tcpa_packet(t, &r[1], &k, SF_DIR_HI, 1, false, false, NULL);
	assert_int_equal(ref_server(&r[1]), 0);
	assert_int_equal(t->serv[0].packets[1], 1);
	/* Client subnets beyond the table's go to its other row, which the ref names. */
	sf_tcpa_table_reset(t);
	for (i = 0; i <= SF_TCPA_SUBNETS; i++) {
		struct sf_tcpa_ref q = { { 0 }, 0 };

		flow_key4(&k, (uint32_t)i << 8 | 10, 0xc0a80001u, 0);
		sf_tcpa_packet(t, &q, &k, SF_DIR_LO, 0, true, false, NULL);
		assert_int_equal(ref_server(&q), 0);
		assert_int_equal(ref_subnet(&q), i);
	}
	assert_int_equal(t->serv[0].packets[0], SF_TCPA_SUBNETS + 1);
	assert_int_equal(t->sub[SF_TCPA_SUBNETS].retrans[0], 1);
	free(t);
}

static void
test_tcpa_prefix(void **state)
{
	struct sf_tcpa_table *t = calloc(1, sizeof(*t));
	struct sf_tcpa_ref r = { { 0 }, 0 }, r6 = { { 0 }, 0 };
	struct sf_flow_key k;
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78,
		0x9a, 0xbc, 0, 0, 0, 0, 0, 1 };

	(void)state;
	assert_non_null(t);
	sf_tcpa_table_init(t, 20, 36);
	flow_key4(&k, 0xffffff0au, 0xc0a80001u, 0);	/* 10.255.255.255 -> 192.168.0.1 */
	sf_tcpa_packet(t, &r, &k, SF_DIR_LO, 0, false, false, NULL);
	assert_int_equal(t->sub[0].prefix, 20);
	assert_int_equal(t->sub[0].key.addr[0], 10);
	assert_int_equal(t->sub[0].key.addr[1], 255);
	assert_int_equal(t->sub[0].key.addr[2], 0xf0);
	assert_int_equal(t->sub[0].key.addr[3], 0);
	/* IPv6 client at the hi end: cut to 36 bits. */
	memset(&k, 0, sizeof(k));
	memcpy(k.addr_hi, a6, 16);
	k.addr_lo[0] = 0x20;
	k.ipver = 6;
	k.proto = 6;
	sf_tcpa_packet(t, &r6, &k, SF_DIR_HI, 0, false, false, NULL);
	assert_int_equal(t->sub[1].prefix, 36);
	assert_memory_equal(t->sub[1].key.addr, ((const uint8_t[16]){ 0x20, 0x01, 0x0d, 0xb8,
			0x10 }), 16);
	assert_int_equal(t->serv[1].key.addr[0], 0x20);
	assert_int_equal(t->serv[1].key.addr[1], 0);
	free(t);
}

static void
test_tcpa_fold_rank(void **state)
{
	static struct sf_tcpa_server s[3 * (SF_TCPA_TOP + 4)];
	static struct sf_tcpa_subnet n[2];
	static struct sf_tcpa_top top;
	static struct sf_tcpa_server other;
	unsigned int i, w, k = 0, m;

	(void)state;
	memset(s, 0, sizeof(s));
	memset(n, 0, sizeof(n));
	memset(&other, 0, sizeof(other));
	/* Three workers' rows of the same servers: server i has RTTs (i + 1) ms. */
	for (w = 0; w < 3; w++) {
		for (i = 0; i < SF_TCPA_TOP + 4; i++) {
			struct sf_tcpa_server *e = &s[k++];

			e->key.ipver = 4;
			e->key.addr[3] = (uint8_t)i;
			e->packets[0] = 10;
			e->packets[1] = 10;
			e->retrans[0] = i % 3;
			if (i != 5)
				sf_rtt_add(&e->rtt, (i + 1) * UINT64_C(1000000));
		}
	}
	n[0].key.ipver = 4;
	n[0].packets[0] = 5;
	n[0].retrans[1] = 1;
	n[1] = n[0];
	m = sf_tcpa_fold_subnets(n, 2);
	assert_int_equal(m, 1);
	k = sf_tcpa_fold_servers(s, k);
	assert_int_equal(k, SF_TCPA_TOP + 4);
	assert_int_equal(s[0].rtt.count, 3);
	assert_int_equal(s[0].packets[0], 30);
	sf_rtt_add(&other.rtt, 5);
	other.packets[0] = 1;
	sf_tcpa_rank(&top, s, k, n, m, &other, NULL);
	/* Server 5 has no handshakes: not among the slowest, which go by p90 down. */
	assert_int_equal(top.nslow, SF_TCPA_TOP);
	assert_int_equal(top.slow[0].key.addr[3], SF_TCPA_TOP + 3);
	assert_int_equal(top.slow[0].rtt_p90_ns, (SF_TCPA_TOP + 4) * UINT64_C(1000000));
	for (i = 1; i < top.nslow; i++) {
		assert_true(top.slow[i].rtt_p90_ns <= top.slow[i - 1].rtt_p90_ns);
		assert_true(top.slow[i].key.addr[3] != 5);
	}
	/* By retransmissions: 2 per row first (i % 3 == 2), lowest address first. */
	assert_int_equal(top.rserv[0].retrans[0], 6);
	assert_int_equal(top.rserv[0].key.addr[3], 2);
	assert_int_equal(top.nrsub, 1);
	assert_int_equal(top.rsub[0].packets[0], 10);
	assert_int_equal(top.rsub[0].retrans[1], 2);
	assert_int_equal(top.rtt.count, 3 * (SF_TCPA_TOP + 3) + 1);
	assert_int_equal(top.server_overflow_packets, 1);
	assert_int_equal(top.packets, 60 * (SF_TCPA_TOP + 4) + 1);
	assert_int_equal(top.servers, SF_TCPA_TOP + 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_cover_counters),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_merge_sums_every_counter),
		cmocka_unit_test(test_accumulate_keeps_newest_gauge),
		cmocka_unit_test(test_conservation),
		cmocka_unit_test(test_interval_json),
		cmocka_unit_test(test_totals_json),
		cmocka_unit_test(test_prometheus),
		cmocka_unit_test(test_encap_table),
		cmocka_unit_test(test_tun_table_bound),
		cmocka_unit_test(test_tun_fold_rank),
		cmocka_unit_test(test_tun_json),
		cmocka_unit_test(test_rtt_bucket_bounds),
		cmocka_unit_test(test_rtt_error_bound),
		cmocka_unit_test(test_rtt_merge_exact),
		cmocka_unit_test(test_tcpa_table),
		cmocka_unit_test(test_tcpa_prefix),
		cmocka_unit_test(test_tcpa_fold_rank),
		cmocka_unit_test(test_protocols),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
