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
	"\"flows\":{\"new\":4,\"ended\":2,\"active\":5},"
	"\"ended_by_reason\":{\"idle\":0,\"active\":0,\"tcp_fin\":2,\"tcp_rst\":0,"
	"\"evicted\":0,\"end_of_input\":0},"
	"\"protocols\":[{\"proto\":6,\"packets\":0,\"bytes\":40},"
	"{\"proto\":17,\"packets\":7,\"bytes\":700}],\"encapsulations\":[],"
	"\"tunnels\":[],\"tunnels_other\":{\"contexts\":0,\"packets\":0,\"bytes\":0,"
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
			"\"records_lost\":6,\"flows_new\":4,"
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
		cmocka_unit_test(test_protocols),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
