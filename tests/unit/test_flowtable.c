/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow table unit tests. Packets are built by hand with sf_flow_key_make,
 * records are collected by the emit callback and checked against what a
 * user of the table relies on: reasons, initiator, per-direction counts,
 * conservation, eviction order, index correctness and the exact top-K.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_common.h>
#include <rte_memory.h>

#include "sf_flow_table.h"
#include "sf_test_eal.h"

#define T0 (UINT64_C(1700000000) * SF_NS_PER_S)
#define IDLE_NS (10 * SF_NS_PER_S)
#define ACTIVE_NS (60 * SF_NS_PER_S)
#define TCP_END_NS (2 * SF_NS_PER_S)

#define PROTO_TCP 6
#define PROTO_UDP 17

/* ---- record collection ---- */

struct rec_log {
	struct sf_flow_record *r;
	size_t n;
	size_t cap;
};

static struct rec_log recs;

static void
collect(void *arg, const struct sf_flow_record *rec)
{
	struct rec_log *l = arg;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 1024;
		l->r = realloc(l->r, l->cap * sizeof(*l->r));
		assert_non_null(l->r);
	}
	l->r[l->n++] = *rec;
}

static void
recs_reset(void)
{
	recs.n = 0;
}

static struct sf_flow_table *
table_new(uint32_t capacity, uint64_t idle, uint64_t active, uint64_t tcp_end)
{
	struct sf_flow_table_params p = {
		.name = "test_ft",
		.capacity = capacity,
		.idle_ns = idle,
		.active_ns = active,
		.tcp_end_ns = tcp_end,
		.socket_id = SOCKET_ID_ANY,
		.emit = collect,
		.emit_arg = &recs,
	};
	struct sf_flow_table *t = sf_flow_table_create(&p);

	assert_non_null(t);
	recs_reset();
	return t;
}

static struct sf_flow_table *
table_default(uint32_t capacity)
{
	return table_new(capacity, IDLE_NS, ACTIVE_NS, TCP_END_NS);
}

/* ---- packets ---- */

static void
ip4(uint8_t out[4], uint32_t a)
{
	out[0] = a >> 24;
	out[1] = a >> 16;
	out[2] = a >> 8;
	out[3] = a;
}

static void
mkpkt(struct sf_pkt_info *p, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		uint8_t proto, uint8_t flags, uint32_t len)
{
	uint8_t s[4], d[4];

	memset(p, 0, sizeof(*p));
	ip4(s, src);
	ip4(d, dst);
	p->dir = sf_flow_key_make(&p->key, 4, s, d, 4, sport, dport, proto, 0);
	p->ip_len = len;
	p->tcp_flags = flags;
}

static void
feed(struct sf_flow_table *t, const struct sf_pkt_info *p, uint64_t ts)
{
	const struct sf_pkt_info *pi[1] = { p };

	sf_flow_table_update_burst(t, pi, &ts, 1);
}

/* UDP flow number i: 10.x.y.z:(1024 + i % 30000) -> 192.168.0.1:53, src < dst. */
static void
udp_flow(struct sf_pkt_info *p, uint32_t i, uint32_t len)
{
	mkpkt(p, 0x0a000000 | i, 0xc0a80001, 1024 + i % 30000, 53, PROTO_UDP, 0, len);
}

/*
 * Like udp_flow, with the other end and the ports scrambled by a
 * non-linear mix of i. CRC32 is linear: keys that differ in a counter
 * spread perfectly evenly over the buckets, so only irregular keys give
 * the index the overflowing buckets and long clusters it must survive.
 */
static void
udp_flow_mixed(struct sf_pkt_info *p, uint32_t i, uint32_t len, int rev)
{
	uint32_t h = i * 0x9e3779b1u;

	h ^= h >> 15;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	if (rev)
		mkpkt(p, 0xc0000000 | (h & 0xffffff), 0x0a000000 | i, h >> 16, 53 + (h & 7),
			PROTO_UDP, 0, len);
	else
		mkpkt(p, 0x0a000000 | i, 0xc0000000 | (h & 0xffffff), 53 + (h & 7), h >> 16,
			PROTO_UDP, 0, len);
}

static uint32_t
udp_flow_id(const struct sf_flow_key *k)
{
	return ((uint32_t)k->addr_lo[1] << 16) | ((uint32_t)k->addr_lo[2] << 8) |
		k->addr_lo[3];
}

static uint64_t
stats_ended_total(const struct sf_flow_table_stats *s)
{
	uint64_t n = 0;
	int r;

	for (r = 0; r < SF_END_MAX; r++)
		n += s->ended[r];
	return n;
}

/* Emitted records agree with the stats counters. */
static void
check_stats_vs_records(const struct sf_flow_table *t)
{
	const struct sf_flow_table_stats *s = sf_flow_table_stats(t);
	uint64_t by_reason[SF_END_MAX] = { 0 };
	size_t i;
	int r;

	for (i = 0; i < recs.n; i++) {
		assert_true(recs.r[i].end_reason < SF_END_MAX);
		by_reason[recs.r[i].end_reason]++;
	}
	for (r = 0; r < SF_END_MAX; r++)
		assert_int_equal(by_reason[r], s->ended[r]);
	assert_int_equal(stats_ended_total(s), recs.n);
	/* Every created flow ends with exactly one non-active record. */
	assert_int_equal(s->created, recs.n - s->ended[SF_END_ACTIVE] + s->active);
}

/* ---- basic ---- */

static void
test_entry_size(void **state)
{
	(void)state;
	assert_int_equal(sf_flow_table_entry_size(), 128);
	/* Hot entry, side record and an index share of 16 bytes at the usual load. */
	assert_int_equal(sf_flow_table_bytes_per_flow(1u << 20), 128 + 8 + 16);
}

static void
test_create_invalid(void **state)
{
	struct sf_flow_table_params p = {
		.name = "bad", .capacity = 0, .idle_ns = 1, .active_ns = 1, .tcp_end_ns = 1,
		.socket_id = SOCKET_ID_ANY,
	};

	(void)state;
	assert_null(sf_flow_table_create(&p));
	p.capacity = 4;
	p.idle_ns = 0;
	assert_null(sf_flow_table_create(&p));
	assert_null(sf_flow_table_create(NULL));
	sf_flow_table_free(NULL);
}

/*
 * Client 10.0.0.9:40000 (the canonical "hi" end) talks to 10.0.0.1:80:
 * handshake, data both ways, FIN, FIN, ACK.
 */
#define CLI 0x0a000009
#define SRV 0x0a000001

struct tcp_step {
	int from_client;
	uint8_t flags;
	uint32_t len;
};

static const struct tcp_step tcp_session[] = {
	{ 1, SF_TCP_SYN, 60 },
	{ 0, SF_TCP_SYN | SF_TCP_ACK, 60 },
	{ 1, SF_TCP_ACK, 52 },
	{ 1, SF_TCP_PSH | SF_TCP_ACK, 152 },
	{ 0, SF_TCP_ACK, 52 },
	{ 0, SF_TCP_PSH | SF_TCP_ACK, 1052 },
	{ 1, SF_TCP_FIN | SF_TCP_ACK, 52 },
	{ 0, SF_TCP_FIN | SF_TCP_ACK, 52 },
	{ 1, SF_TCP_ACK, 52 },
};

static void
tcp_pkt(struct sf_pkt_info *p, int from_client, uint8_t flags, uint32_t len)
{
	if (from_client)
		mkpkt(p, CLI, SRV, 40000, 80, PROTO_TCP, flags, len);
	else
		mkpkt(p, SRV, CLI, 80, 40000, PROTO_TCP, flags, len);
}

/* Feeds the session; returns the time of its last packet. */
static uint64_t
feed_session(struct sf_flow_table *t, uint64_t ts, size_t nsteps)
{
	struct sf_pkt_info p;
	size_t i;

	for (i = 0; i < nsteps; i++) {
		tcp_pkt(&p, tcp_session[i].from_client, tcp_session[i].flags,
			tcp_session[i].len);
		feed(t, &p, ts + i * SF_NS_PER_MS);
	}
	return ts + (nsteps - 1) * SF_NS_PER_MS;
}

static void
test_tcp_fin(void **state)
{
	struct sf_flow_table *t = table_default(64);
	const struct sf_flow_table_stats *s = sf_flow_table_stats(t);
	struct sf_pkt_info p;
	uint64_t last;
	const struct sf_flow_record *r;

	(void)state;
	last = feed_session(t, T0, RTE_DIM(tcp_session));
	assert_int_equal(s->active, 1);
	/* Ended TCP flows wait tcp_end_ns, not idle_ns. */
	assert_int_equal(sf_flow_table_expire(t, last + TCP_END_NS - 1, 100), 0);
	assert_int_equal(recs.n, 0);
	assert_int_equal(sf_flow_table_expire(t, last + TCP_END_NS, 100), 1);
	assert_int_equal(recs.n, 1);

	r = &recs.r[0];
	tcp_pkt(&p, 1, 0, 0);
	assert_memory_equal(&r->key, &p.key, sizeof(p.key));
	assert_int_equal(r->end_reason, SF_END_TCP_FIN);
	assert_int_equal(r->initiator, p.dir);
	assert_int_equal(r->initiator, SF_DIR_HI);
	assert_int_equal(sf_flow_record_port(r, false), 40000);
	assert_int_equal(sf_flow_record_port(r, true), 80);
	assert_int_equal(r->packets[0], 5);
	assert_int_equal(r->packets[1], 4);
	assert_int_equal(r->bytes[0], 60 + 52 + 152 + 52 + 52);
	assert_int_equal(r->bytes[1], 60 + 52 + 1052 + 52);
	assert_int_equal(r->tcp_flags[0], SF_TCP_SYN | SF_TCP_ACK | SF_TCP_PSH | SF_TCP_FIN);
	assert_int_equal(r->tcp_flags[1], SF_TCP_SYN | SF_TCP_ACK | SF_TCP_PSH | SF_TCP_FIN);
	assert_int_equal(r->start_ns, T0);
	assert_int_equal(r->end_ns, last);
	assert_int_equal(s->active, 0);
	assert_int_equal(s->created, 1);
	assert_int_equal(s->packets, RTE_DIM(tcp_session));
	assert_int_equal(s->bytes, r->bytes[0] + r->bytes[1]);
	check_stats_vs_records(t);
	sf_flow_table_free(t);
}

static void
test_tcp_rst(void **state)
{
	struct sf_flow_table *t = table_default(64);
	struct sf_pkt_info p;

	(void)state;
	feed_session(t, T0, 3);
	tcp_pkt(&p, 0, SF_TCP_RST, 40);
	feed(t, &p, T0 + 10 * SF_NS_PER_MS);
	/* A straggler within tcp_end still belongs to the flow. */
	tcp_pkt(&p, 1, SF_TCP_ACK, 40);
	feed(t, &p, T0 + 20 * SF_NS_PER_MS);
	assert_int_equal(sf_flow_table_expire(t, T0 + 20 * SF_NS_PER_MS + TCP_END_NS - 1, 9), 0);
	assert_int_equal(sf_flow_table_expire(t, T0 + 20 * SF_NS_PER_MS + TCP_END_NS, 9), 1);
	assert_int_equal(recs.n, 1);
	assert_int_equal(recs.r[0].end_reason, SF_END_TCP_RST);
	assert_int_equal(recs.r[0].initiator, SF_DIR_HI);
	assert_int_equal(recs.r[0].packets[0], 3);
	assert_int_equal(recs.r[0].packets[1], 2);
	assert_int_equal(recs.r[0].tcp_flags[1], SF_TCP_SYN | SF_TCP_ACK | SF_TCP_RST);
	check_stats_vs_records(t);
	sf_flow_table_free(t);
}

static void
test_synack_first(void **state)
{
	struct sf_flow_table *t = table_default(64);
	struct sf_pkt_info p;

	(void)state;
	/* The SYN was missed: the receiver of the SYN+ACK initiated. */
	tcp_pkt(&p, 0, SF_TCP_SYN | SF_TCP_ACK, 60);
	feed(t, &p, T0);
	tcp_pkt(&p, 1, SF_TCP_ACK, 52);
	feed(t, &p, T0 + 1);
	tcp_pkt(&p, 1, SF_TCP_ACK, 100);
	feed(t, &p, T0 + 2);
	sf_flow_table_flush(t, SF_END_END_OF_INPUT);
	assert_int_equal(recs.n, 1);
	assert_int_equal(recs.r[0].initiator, SF_DIR_HI);	/* the client */
	assert_int_equal(recs.r[0].packets[0], 2);
	assert_int_equal(recs.r[0].packets[1], 1);
	assert_int_equal(recs.r[0].bytes[0], 152);
	assert_int_equal(recs.r[0].tcp_flags[1], SF_TCP_SYN | SF_TCP_ACK);
	assert_int_equal(recs.r[0].end_reason, SF_END_END_OF_INPUT);

	/* Mid-stream start: the first sender initiates; a later SYN does not flip it. */
	recs_reset();
	tcp_pkt(&p, 0, SF_TCP_ACK, 52);
	feed(t, &p, T0 + 10);
	tcp_pkt(&p, 1, SF_TCP_SYN, 60);
	feed(t, &p, T0 + 11);
	sf_flow_table_flush(t, SF_END_END_OF_INPUT);
	assert_int_equal(recs.n, 1);
	assert_int_equal(recs.r[0].initiator, SF_DIR_LO);	/* the server */
	assert_int_equal(recs.r[0].packets[0], 1);
	assert_int_equal(recs.r[0].tcp_flags[1], SF_TCP_SYN);
	sf_flow_table_free(t);
}

static void
test_idle_boundary(void **state)
{
	struct sf_flow_table *t = table_default(64);
	struct sf_pkt_info p;

	(void)state;
	udp_flow(&p, 1, 100);
	feed(t, &p, T0);
	feed(t, &p, T0 + 5);
	assert_int_equal(sf_flow_table_expire(t, T0 + 5 + IDLE_NS - 1, 10), 0);
	assert_int_equal(recs.n, 0);
	assert_int_equal(sf_flow_table_expire(t, T0 + 5 + IDLE_NS, 10), 1);
	assert_int_equal(recs.n, 1);
	assert_int_equal(recs.r[0].end_reason, SF_END_IDLE);
	assert_int_equal(recs.r[0].packets[0], 2);
	assert_int_equal(recs.r[0].start_ns, T0);
	assert_int_equal(recs.r[0].end_ns, T0 + 5);
	sf_flow_table_free(t);
}

static void
udp_flow_rev(struct sf_pkt_info *p, uint32_t i, uint32_t len)
{
	mkpkt(p, 0xc0a80001, 0x0a000000 | i, 53, 1024 + i % 30000, PROTO_UDP, 0, len);
}

static void
test_lazy_idle(void **state)
{
	struct sf_flow_table *t = table_default(64);
	const struct sf_flow_table_stats *s = sf_flow_table_stats(t);
	struct sf_pkt_info p;
	uint64_t t2 = T0 + 1 + IDLE_NS;

	(void)state;
	/* expire() is never called: the packet path ends the idle flow itself. */
	udp_flow(&p, 1, 100);
	feed(t, &p, T0);
	feed(t, &p, T0 + 1);
	feed(t, &p, t2);
	assert_int_equal(recs.n, 1);
	assert_int_equal(recs.r[0].end_reason, SF_END_IDLE);
	assert_int_equal(recs.r[0].packets[0], 2);
	assert_int_equal(recs.r[0].end_ns, T0 + 1);
	assert_int_equal(s->created, 2);
	assert_int_equal(s->active, 1);
	/* idle - 1 after the last packet: same flow. */
	feed(t, &p, t2 + IDLE_NS - 1);
	assert_int_equal(recs.n, 1);
	sf_flow_table_flush(t, SF_END_END_OF_INPUT);
	assert_int_equal(recs.n, 2);
	assert_int_equal(recs.r[1].packets[0], 2);
	assert_int_equal(recs.r[1].start_ns, t2);
	assert_int_equal(recs.r[1].end_ns, t2 + IDLE_NS - 1);
	assert_int_equal(recs.r[1].end_reason, SF_END_END_OF_INPUT);
	check_stats_vs_records(t);
	sf_flow_table_free(t);
}

static void
test_active_timeout(void **state)
{
	const uint64_t idle = 5 * SF_NS_PER_S, active = 10 * SF_NS_PER_S;
	struct sf_flow_table *t = table_new(64, idle, active, TCP_END_NS);
	const struct sf_flow_table_stats *s = sf_flow_table_stats(t);
	static const uint8_t reasons[] = { SF_END_ACTIVE, SF_END_ACTIVE, SF_END_IDLE };
	uint64_t pk = 0, by = 0, fed_bytes = 0;
	struct sf_pkt_info p;
	size_t i;

	(void)state;
	for (i = 0; i < 25; i++) {
		if (i % 2 == 0)
			udp_flow(&p, 7, 100 + i);
		else
			udp_flow_rev(&p, 7, 100 + i);
		p.dscp = (uint8_t)i;
		feed(t, &p, T0 + i * SF_NS_PER_S);
		fed_bytes += 100 + i;
	}
	assert_int_equal(sf_flow_table_expire(t, T0 + 24 * SF_NS_PER_S + idle, 10), 1);
	assert_int_equal(recs.n, 3);
	for (i = 0; i < 3; i++) {
		const struct sf_flow_record *r = &recs.r[i];

		assert_int_equal(r->end_reason, reasons[i]);
		assert_int_equal(r->initiator, SF_DIR_LO);
		assert_int_equal(r->start_ns, T0 + i * 10 * SF_NS_PER_S);
		assert_int_equal(r->end_ns, T0 + (i < 2 ? i * 10 + 9 : 24) * SF_NS_PER_S);
		assert_int_equal(r->dscp, i * 10);
		pk += r->packets[0] + r->packets[1];
		by += r->bytes[0] + r->bytes[1];
	}
	assert_int_equal(recs.r[0].packets[0], 5);
	assert_int_equal(recs.r[0].packets[1], 5);
	assert_int_equal(recs.r[2].packets[0], 3);
	assert_int_equal(recs.r[2].packets[1], 2);
	assert_int_equal(pk, 25);
	assert_int_equal(by, fed_bytes);
	assert_int_equal(s->created, 1);
	assert_int_equal(s->ended[SF_END_ACTIVE], 2);
	check_stats_vs_records(t);
	sf_flow_table_free(t);
}

static void
test_tcp_restart(void **state)
{
	struct sf_flow_table *t = table_default(64);
	const struct sf_flow_table_stats *s = sf_flow_table_stats(t);
	struct sf_pkt_info p;
	uint64_t last;

	(void)state;
	/* A new SYN after FIN/FIN ends the flow at once and starts the next one. */
	last = feed_session(t, T0, RTE_DIM(tcp_session));
	tcp_pkt(&p, 0, SF_TCP_SYN | SF_TCP_ACK, 60);	/* not a pure SYN: a straggler */
	feed(t, &p, last + 1);
	assert_int_equal(recs.n, 0);
	tcp_pkt(&p, 1, SF_TCP_SYN, 60);
	feed(t, &p, last + 2);
	assert_int_equal(recs.n, 1);
	assert_int_equal(recs.r[0].end_reason, SF_END_TCP_FIN);
	assert_int_equal(recs.r[0].packets[0], 5);
	assert_int_equal(recs.r[0].packets[1], 5);
	assert_int_equal(recs.r[0].end_ns, last + 1);
	assert_int_equal(s->created, 2);

	/* The new flow is open again: RST ends it, a new SYN restarts it (tcp_rst). */
	tcp_pkt(&p, 0, SF_TCP_RST, 40);
	feed(t, &p, last + 3);
	tcp_pkt(&p, 1, SF_TCP_SYN, 60);
	feed(t, &p, last + 4);
	assert_int_equal(recs.n, 2);
	assert_int_equal(recs.r[1].end_reason, SF_END_TCP_RST);
	assert_int_equal(recs.r[1].start_ns, last + 2);
	assert_int_equal(recs.r[1].packets[0], 1);
	assert_int_equal(recs.r[1].packets[1], 1);
	assert_int_equal(recs.r[1].initiator, SF_DIR_HI);

	/* Lazy TCP end: a packet tcp_end_ns after the RST flow's last one. */
	tcp_pkt(&p, 0, SF_TCP_RST, 40);
	feed(t, &p, last + 5);
	tcp_pkt(&p, 0, SF_TCP_ACK, 40);
	feed(t, &p, last + 5 + TCP_END_NS);
	assert_int_equal(recs.n, 3);
	assert_int_equal(recs.r[2].end_reason, SF_END_TCP_RST);
	assert_int_equal(recs.r[2].packets[0], 1);
	assert_int_equal(recs.r[2].packets[1], 1);
	sf_flow_table_flush(t, SF_END_END_OF_INPUT);
	assert_int_equal(recs.n, 4);
	assert_int_equal(recs.r[3].initiator, SF_DIR_LO);	/* the ACK's sender */
	assert_int_equal(recs.r[3].packets[0], 1);
	assert_int_equal(s->created, 4);
	check_stats_vs_records(t);
	sf_flow_table_free(t);
}

static void
test_full_evicts_lru(void **state)
{
	struct sf_flow_table *t = table_default(16);
	const struct sf_flow_table_stats *s = sf_flow_table_stats(t);
	struct sf_pkt_info p;
	uint32_t i;
	size_t k;

	(void)state;
	for (i = 0; i < 100; i++) {
		udp_flow(&p, i, 100);
		feed(t, &p, T0 + i * 1000);
		assert_true(s->active <= 16);
	}
	assert_int_equal(recs.n, 84);
	for (k = 0; k < 84; k++) {
		assert_int_equal(recs.r[k].end_reason, SF_END_EVICTED);
		assert_int_equal(udp_flow_id(&recs.r[k].key), k);
		assert_int_equal(recs.r[k].packets[0], 1);
	}
	assert_int_equal(s->active, 16);
	assert_int_equal(s->capacity, 16);
	assert_int_equal(s->created, 100);
	assert_int_equal(s->ended[SF_END_EVICTED], 84);
	assert_int_equal(s->packets, 100);
	check_stats_vs_records(t);
	sf_flow_table_flush(t, SF_END_END_OF_INPUT);
	assert_int_equal(recs.n, 100);
	for (k = 84; k < 100; k++) {
		assert_int_equal(recs.r[k].end_reason, SF_END_END_OF_INPUT);
		assert_int_equal(udp_flow_id(&recs.r[k].key), k);
	}
	check_stats_vs_records(t);

	/* Least recently seen, not least recently created. */
	recs_reset();
	for (i = 0; i < 16; i++) {
		udp_flow(&p, i, 100);
		feed(t, &p, T0 + 1000000 + i);
	}
	udp_flow(&p, 0, 100);
	feed(t, &p, T0 + 1000100);
	udp_flow(&p, 16, 100);
	feed(t, &p, T0 + 1000101);
	udp_flow(&p, 17, 100);
	feed(t, &p, T0 + 1000102);
	assert_int_equal(recs.n, 2);
	assert_int_equal(udp_flow_id(&recs.r[0].key), 1);
	assert_int_equal(udp_flow_id(&recs.r[1].key), 2);
	sf_flow_table_free(t);
}

static void
test_full_prefers_tcp_ended(void **state)
{
	struct sf_flow_table *t = table_default(4);
	const struct sf_flow_table_stats *s = sf_flow_table_stats(t);
	struct sf_pkt_info p;

	(void)state;
	udp_flow(&p, 0, 100);
	feed(t, &p, T0);
	feed_session(t, T0 + SF_NS_PER_MS, RTE_DIM(tcp_session));
	udp_flow(&p, 1, 100);
	feed(t, &p, T0 + 20 * SF_NS_PER_MS);
	udp_flow(&p, 2, 100);
	feed(t, &p, T0 + 21 * SF_NS_PER_MS);
	assert_int_equal(s->active, 4);
	assert_int_equal(recs.n, 0);

	/* The ended TCP flow goes first although UDP flow 0 is older. */
	udp_flow(&p, 3, 100);
	feed(t, &p, T0 + 30 * SF_NS_PER_MS);
	assert_int_equal(recs.n, 1);
	assert_int_equal(recs.r[0].key.proto, PROTO_TCP);
	assert_int_equal(recs.r[0].end_reason, SF_END_EVICTED);
	assert_int_equal(recs.r[0].packets[0] + recs.r[0].packets[1], RTE_DIM(tcp_session));
	udp_flow(&p, 4, 100);
	feed(t, &p, T0 + 31 * SF_NS_PER_MS);
	assert_int_equal(recs.n, 2);
	assert_int_equal(udp_flow_id(&recs.r[1].key), 0);
	assert_int_equal(recs.r[1].end_reason, SF_END_EVICTED);

	/* A victim already past its idle timeout ends as idle, not evicted. */
	udp_flow(&p, 5, 100);
	feed(t, &p, T0 + 20 * SF_NS_PER_MS + IDLE_NS);
	assert_int_equal(recs.n, 3);
	assert_int_equal(udp_flow_id(&recs.r[2].key), 1);
	assert_int_equal(recs.r[2].end_reason, SF_END_IDLE);
	assert_int_equal(s->ended[SF_END_EVICTED], 2);
	assert_int_equal(s->ended[SF_END_IDLE], 1);
	check_stats_vs_records(t);
	sf_flow_table_free(t);
}

static void
test_flush(void **state)
{
	struct sf_flow_table *t = table_default(128);
	const struct sf_flow_table_stats *s = sf_flow_table_stats(t);
	uint8_t seen[64];
	struct sf_pkt_info p;
	uint32_t i;
	size_t k;
	int round;

	(void)state;
	for (round = 0; round < 2; round++) {
		uint64_t base = T0 + round * SF_NS_PER_S;

		recs_reset();
		memset(seen, 0, sizeof(seen));
		for (i = 1; i < 50; i++) {
			udp_flow(&p, i, 100);
			feed(t, &p, base + i);
			feed(t, &p, base + 100 + i);
		}
		feed_session(t, base + 1000, RTE_DIM(tcp_session));	/* on the ended list */
		assert_int_equal(s->active, 50);
		sf_flow_table_flush(t, SF_END_END_OF_INPUT);
		assert_int_equal(recs.n, 50);
		for (k = 0; k < recs.n; k++) {
			const struct sf_flow_record *r = &recs.r[k];

			assert_int_equal(r->end_reason, SF_END_END_OF_INPUT);
			if (r->key.proto == PROTO_TCP) {
				seen[0]++;
				assert_int_equal(r->packets[0] + r->packets[1],
					RTE_DIM(tcp_session));
			} else {
				seen[udp_flow_id(&r->key)]++;
				assert_int_equal(r->packets[0], 2);
			}
		}
		for (i = 0; i < 50; i++)
			assert_int_equal(seen[i], 1);
		assert_int_equal(s->active, 0);
		assert_int_equal(s->created, 50 * (round + 1));
		sf_flow_table_flush(t, SF_END_END_OF_INPUT);
		assert_int_equal(sf_flow_table_expire(t, UINT64_MAX, 1000), 0);
		assert_int_equal(recs.n, 50);
	}
	sf_flow_table_free(t);
}

static void
test_expire_budget(void **state)
{
	struct sf_flow_table *t = table_default(256);
	struct sf_pkt_info p;
	unsigned int got, total = 0;
	uint64_t prev = 0;
	uint32_t i;
	size_t k;

	(void)state;
	for (i = 0; i < 100; i++) {
		udp_flow(&p, i, 100);
		feed(t, &p, T0 + i * SF_NS_PER_MS);
	}
	feed_session(t, T0 + 200 * SF_NS_PER_MS, RTE_DIM(tcp_session));
	assert_int_equal(sf_flow_table_expire(t, UINT64_MAX, 0), 0);
	do {
		got = sf_flow_table_expire(t, T0 + SF_NS_PER_S + IDLE_NS, 7);
		assert_true(got <= 7);
		assert_int_equal(recs.n, total + got);
		total += got;
	} while (got == 7);
	assert_int_equal(total, 101);
	/* Earliest deadline first, across both lists: the TCP flow leads. */
	assert_int_equal(recs.r[0].key.proto, PROTO_TCP);
	for (k = 0; k < recs.n; k++) {
		uint64_t dl = recs.r[k].end_ns +
			(recs.r[k].end_reason == SF_END_IDLE ? IDLE_NS : TCP_END_NS);

		assert_true(dl >= prev);
		prev = dl;
	}
	check_stats_vs_records(t);
	sf_flow_table_free(t);
}

static void
test_burst_same_flow(void **state)
{
	struct sf_flow_table *t = table_default(64);
	const struct sf_flow_table_stats *s = sf_flow_table_stats(t);
	struct sf_pkt_info pk[SF_BURST];
	const struct sf_pkt_info *pi[SF_BURST];
	uint64_t ts[SF_BURST];
	uint64_t ref[8] = { 0 };
	unsigned int i, distinct = 0;
	size_t k;

	(void)state;
	for (i = 0; i < SF_BURST; i++) {
		uint32_t id = (i % 4 == 0) ? 7 : (i * 7) % 5;

		if (i % 3 == 0)
			udp_flow(&pk[i], id, 100 + id);
		else
			udp_flow_rev(&pk[i], id, 100 + id);
		pi[i] = &pk[i];
		ts[i] = T0 + i;
		ref[id]++;
	}
	for (i = 0; i < 8; i++)
		distinct += ref[i] != 0;
	sf_flow_table_update_burst(t, pi, ts, SF_BURST);
	assert_int_equal(s->created, distinct);
	assert_int_equal(s->active, distinct);
	assert_int_equal(s->packets, SF_BURST);
	sf_flow_table_flush(t, SF_END_END_OF_INPUT);
	assert_int_equal(recs.n, distinct);
	for (k = 0; k < recs.n; k++) {
		uint32_t id = udp_flow_id(&recs.r[k].key);

		assert_int_equal(recs.r[k].packets[0] + recs.r[k].packets[1], ref[id]);
		assert_int_equal(recs.r[k].bytes[0] + recs.r[k].bytes[1], ref[id] * (100 + id));
	}
	sf_flow_table_free(t);

	/* Evictions inside a burst: a later packet's entry was reused meanwhile. */
	t = table_default(2);
	s = sf_flow_table_stats(t);
	udp_flow(&pk[0], 1, 100);	/* A */
	feed(t, &pk[0], T0);
	udp_flow(&pk[0], 2, 100);	/* B */
	feed(t, &pk[0], T0 + 1);
	udp_flow(&pk[0], 3, 100);	/* C evicts A */
	udp_flow(&pk[1], 1, 100);	/* A again: evicts B */
	udp_flow(&pk[2], 4, 100);	/* D evicts C */
	udp_flow(&pk[3], 1, 100);	/* A: existing */
	for (i = 0; i < 4; i++) {
		pi[i] = &pk[i];
		ts[i] = T0 + 10 + i;
	}
	sf_flow_table_update_burst(t, pi, ts, 4);
	sf_flow_table_flush(t, SF_END_END_OF_INPUT);
	{
		static const uint32_t ids[] = { 1, 2, 3, 4, 1 };
		static const uint64_t pks[] = { 1, 1, 1, 1, 2 };

		assert_int_equal(recs.n, 5);
		for (k = 0; k < 5; k++) {
			assert_int_equal(udp_flow_id(&recs.r[k].key), ids[k]);
			assert_int_equal(recs.r[k].packets[0], pks[k]);
			assert_int_equal(recs.r[k].end_reason,
				k < 3 ? SF_END_EVICTED : SF_END_END_OF_INPUT);
		}
	}
	assert_int_equal(s->created, 5);
	check_stats_vs_records(t);
	sf_flow_table_free(t);
}

/* ---- index correctness at scale ---- */

static void
feed_ids(struct sf_flow_table *t, uint32_t first, uint32_t count, uint32_t step, uint64_t ts)
{
	struct sf_pkt_info pk[SF_BURST];
	const struct sf_pkt_info *pi[SF_BURST];
	uint64_t tsv[SF_BURST];
	unsigned int n = 0;
	uint32_t i;

	for (i = 0; i < count; i++) {
		udp_flow(&pk[n], first + i * step, 64);
		pi[n] = &pk[n];
		tsv[n] = ts;
		if (++n == SF_BURST) {
			sf_flow_table_update_burst(t, pi, tsv, n);
			n = 0;
		}
	}
	if (n > 0)
		sf_flow_table_update_burst(t, pi, tsv, n);
}

static void
test_many_flows(void **state)
{
	const uint32_t n1 = 200000, n2 = 150000;
	struct sf_flow_table *t = table_default(262144);
	const struct sf_flow_table_stats *s = sf_flow_table_stats(t);
	uint32_t *pk = calloc(n1 + n2, sizeof(*pk));
	uint32_t *nrec = calloc(n1 + n2, sizeof(*nrec));
	uint32_t i;
	size_t k;

	(void)state;
	assert_non_null(pk);
	assert_non_null(nrec);
	feed_ids(t, 0, n1, 1, T0);
	assert_int_equal(s->active, n1);
	feed_ids(t, 1, n1 / 2, 2, T0 + IDLE_NS / 2);		/* odd flows again */
	assert_int_equal(s->created, n1);
	/* Delete the even half from the index by expiry. */
	assert_int_equal(sf_flow_table_expire(t, T0 + IDLE_NS, UINT32_MAX), n1 / 2);
	assert_int_equal(s->active, n1 / 2);
	feed_ids(t, n1, n2, 1, T0 + IDLE_NS + 1);		/* new flows */
	feed_ids(t, 1, n1 / 2, 2, T0 + IDLE_NS + 1);		/* odd flows: found again */
	assert_int_equal(s->created, n1 + n2);
	assert_int_equal(s->active, n1 / 2 + n2);
	sf_flow_table_flush(t, SF_END_END_OF_INPUT);
	assert_int_equal(recs.n, n1 + n2);
	for (k = 0; k < recs.n; k++) {
		uint32_t id = udp_flow_id(&recs.r[k].key);

		assert_true(id < n1 + n2);
		nrec[id]++;
		pk[id] += recs.r[k].packets[0];
	}
	for (i = 0; i < n1 + n2; i++) {
		assert_int_equal(nrec[i], 1);
		assert_int_equal(pk[i], (i < n1 && (i & 1)) ? 3 : 1);
	}

	/* After the flush the index is empty: every key is a new flow again. */
	recs_reset();
	feed_ids(t, 0, n1, 1, T0 + 2 * IDLE_NS);
	feed_ids(t, 0, n1, 1, T0 + 2 * IDLE_NS + 1);
	assert_int_equal(s->created, 2 * n1 + n2);
	assert_int_equal(s->active, n1);
	assert_int_equal(recs.n, 0);
	sf_flow_table_flush(t, SF_END_END_OF_INPUT);
	assert_int_equal(recs.n, n1);
	for (k = 0; k < recs.n; k++)
		assert_int_equal(recs.r[k].packets[0], 2);
	free(pk);
	free(nrec);
	sf_flow_table_free(t);
}

/* xorshift64*: deterministic test randomness. */
static uint64_t rng_state;

static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

struct simple_rec {
	uint32_t id;
	uint32_t packets;
	uint64_t bytes;
	uint64_t start;
	uint64_t end;
};

static int
simple_rec_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct simple_rec));
}

/*
 * Churn at the maximum load factor (capacity == number of keys, so 0.75 of
 * the index slots when full) against a model of idle expiry: every record
 * the table emits must be one the model emits.
 */
static void
test_index_churn_vs_model(void **state)
{
	const uint32_t nkeys = 12288;
	const uint64_t idle = 120000;
	struct sf_flow_table *t = table_new(nkeys, idle, UINT64_MAX, idle);
	const struct sf_flow_table_stats *s = sf_flow_table_stats(t);
	struct simple_rec *model = calloc(nkeys, sizeof(*model));
	uint8_t *live = calloc(nkeys, 1);
	struct simple_rec *want = NULL, *got;
	size_t nwant = 0, capwant = 0, k;
	struct sf_pkt_info pk[SF_BURST];
	const struct sf_pkt_info *pi[SF_BURST];
	uint64_t tsv[SF_BURST], ts = T0;
	uint32_t i, last_id = 0;

	(void)state;
	assert_non_null(model);
	assert_non_null(live);
	rng_state = 0x9e3779b97f4a7c15u;
	for (i = 0; i < 20000; i++) {
		unsigned int n = 1 + rng() % SF_BURST, j;

		for (j = 0; j < n; j++) {
			uint32_t id = (rng() % 4 == 0) ? last_id : (uint32_t)(rng() % nkeys);
			uint32_t len = 40 + id % 1000;

			last_id = id;
			ts += rng() % 8;
			if (live[id] && ts - model[id].end >= idle) {
				if (nwant == capwant) {
					capwant = capwant ? 2 * capwant : 4096;
					want = realloc(want, capwant * sizeof(*want));
					assert_non_null(want);
				}
				want[nwant++] = model[id];
				live[id] = 0;
			}
			if (!live[id]) {
				memset(&model[id], 0, sizeof(model[id]));
				model[id].id = id;
				model[id].start = ts;
				live[id] = 1;
			}
			model[id].packets++;
			model[id].bytes += len;
			model[id].end = ts;
			udp_flow_mixed(&pk[j], id, len, rng() & 1);
			pi[j] = &pk[j];
			tsv[j] = ts;
		}
		sf_flow_table_update_burst(t, pi, tsv, n);
		assert_true(s->active <= nkeys);
		if (i % 3 == 0)
			sf_flow_table_expire(t, ts, rng() % 64);
	}
	ts += idle;
	sf_flow_table_expire(t, ts, UINT32_MAX);
	assert_int_equal(s->active, 0);
	for (i = 0; i < nkeys; i++) {
		if (!live[i])
			continue;
		if (nwant == capwant) {
			capwant = capwant ? 2 * capwant : 4096;
			want = realloc(want, capwant * sizeof(*want));
			assert_non_null(want);
		}
		want[nwant++] = model[i];
	}
	assert_int_equal(s->ended[SF_END_EVICTED], 0);
	assert_int_equal(recs.n, nwant);
	got = calloc(recs.n, sizeof(*got));
	assert_non_null(got);
	for (k = 0; k < recs.n; k++) {
		const struct sf_flow_record *r = &recs.r[k];

		assert_int_equal(r->end_reason, SF_END_IDLE);
		got[k].id = udp_flow_id(&r->key);
		got[k].packets = (uint32_t)(r->packets[0] + r->packets[1]);
		got[k].bytes = r->bytes[0] + r->bytes[1];
		got[k].start = r->start_ns;
		got[k].end = r->end_ns;
	}
	qsort(got, recs.n, sizeof(*got), simple_rec_cmp);
	qsort(want, nwant, sizeof(*want), simple_rec_cmp);
	assert_memory_equal(got, want, nwant * sizeof(*want));
	free(got);
	free(want);
	free(live);
	free(model);
	sf_flow_table_free(t);
}

/* ---- top-K ---- */

static int
topk_cmp(const void *a, const void *b)
{
	const struct sf_flow_topk *x = a, *y = b;

	int c;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	c = sf_flow_key_cmp(&x->key, &y->key);
	if (c != 0)
		return c;
	if (x->packets != y->packets)
		return x->packets > y->packets ? -1 : 1;
	return (int)x->initiator - (int)y->initiator;
}

static void
assert_topk_equal(const struct sf_flow_topk *got, unsigned int ngot,
		const struct sf_flow_topk *want, unsigned int nwant)
{
	unsigned int i;

	assert_int_equal(ngot, nwant);
	for (i = 0; i < ngot; i++) {
		assert_memory_equal(&got[i].key, &want[i].key, sizeof(got[i].key));
		assert_int_equal(got[i].bytes, want[i].bytes);
		assert_int_equal(got[i].packets, want[i].packets);
		assert_int_equal(got[i].initiator, want[i].initiator);
	}
}

struct topk_pkt {
	uint32_t id;
	uint32_t len;
	uint8_t rev;
};

static void
shuffle(struct topk_pkt *v, size_t n)
{
	size_t i;

	for (i = n - 1; i > 0; i--) {
		size_t j = rng() % (i + 1);
		struct topk_pkt x = v[i];

		v[i] = v[j];
		v[j] = x;
	}
}

/* Feeds the packets (ids get the UDP flow of that id) in bursts of 32. */
static void
feed_topk(struct sf_flow_table *t, const struct topk_pkt *v, size_t n, uint64_t ts)
{
	struct sf_pkt_info pk[SF_BURST];
	const struct sf_pkt_info *pi[SF_BURST];
	uint64_t tsv[SF_BURST];
	unsigned int m = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i].rev)
			udp_flow_rev(&pk[m], v[i].id, v[i].len);
		else
			udp_flow(&pk[m], v[i].id, v[i].len);
		pi[m] = &pk[m];
		tsv[m] = ts + i;
		if (++m == SF_BURST || i + 1 == n) {
			sf_flow_table_update_burst(t, pi, tsv, m);
			m = 0;
		}
	}
}

static void
test_topk_exact(void **state)
{
	struct sf_flow_table *t = table_default(1024);
	struct sf_flow_topk ref[50], out[SF_TOPK];
	struct topk_pkt v[50 * 5];
	size_t n = 0;
	uint32_t i, j;

	(void)state;
	rng_state = 12345;
	memset(ref, 0, sizeof(ref));
	for (i = 0; i < 50; i++) {
		uint32_t np = 1 + i % 5;
		struct sf_pkt_info p;

		for (j = 0; j < np; j++) {
			v[n].id = 100 + i;
			v[n].len = 100 * (i + 1) / np + (j == 0 ? 100 * (i + 1) % np : 0);
			v[n].rev = j & 1;
			n++;
		}
		udp_flow(&p, 100 + i, 0);
		ref[i].key = p.key;
		ref[i].bytes = 100 * (i + 1);
		ref[i].packets = np;
		ref[i].initiator = SF_DIR_LO;
	}
	shuffle(v, n);
	/* The flow's first packet decides its initiator. */
	for (i = 0; i < 50; i++)
		for (j = 0; j < n; j++)
			if (v[j].id == 100 + i) {
				ref[i].initiator = v[j].rev ? SF_DIR_HI : SF_DIR_LO;
				break;
			}
	qsort(ref, 50, sizeof(ref[0]), topk_cmp);
	sf_flow_table_interval_begin(t);
	feed_topk(t, v, n, T0);
	assert_topk_equal(out, sf_flow_table_interval_top(t, out), ref, SF_TOPK);
	assert_int_equal(out[0].bytes, 5000);
	sf_flow_table_free(t);
}

/* Equal byte counts, also at the K boundary: the result does not depend on order. */
static void
test_topk_ties_deterministic(void **state)
{
	struct sf_flow_topk ref[30], out[SF_TOPK], first[SF_TOPK];
	struct topk_pkt v[30 * 3];
	unsigned int nfirst = 0;
	size_t n = 0;
	uint32_t i, j;
	int run;

	(void)state;
	memset(ref, 0, sizeof(ref));
	for (i = 0; i < 30; i++) {
		uint32_t np = 1 + (2 * i) % 3;	/* key order != packet order within a tie */
		struct sf_pkt_info p;

		for (j = 0; j < np; j++) {
			v[n].id = 500 - i * 7;
			v[n].len = 1200 * (i / 3 + 1) / np;
			v[n].rev = 0;
			n++;
		}
		udp_flow(&p, 500 - i * 7, 0);
		ref[i].key = p.key;
		ref[i].bytes = 1200 * (i / 3 + 1);
		ref[i].packets = np;
	}
	qsort(ref, 30, sizeof(ref[0]), topk_cmp);
	rng_state = 777;
	for (run = 0; run < 20; run++) {
		struct sf_flow_table *t = table_default(64);
		unsigned int m;

		shuffle(v, n);
		sf_flow_table_interval_begin(t);
		feed_topk(t, v, n, T0);
		m = sf_flow_table_interval_top(t, out);
		assert_topk_equal(out, m, ref, SF_TOPK);
		if (run == 0) {
			memcpy(first, out, sizeof(out));
			nfirst = m;
		}
		assert_topk_equal(out, m, first, nfirst);
		sf_flow_table_free(t);
	}
}

static void
test_topk_ended_flows(void **state)
{
	struct sf_flow_table *t = table_default(8);
	const struct sf_flow_table_stats *s = sf_flow_table_stats(t);
	struct sf_flow_topk out[SF_TOPK];
	struct sf_pkt_info p;
	uint64_t last;
	unsigned int n;
	uint32_t i;

	(void)state;
	sf_flow_table_interval_begin(t);
	last = feed_session(t, T0, RTE_DIM(tcp_session));	/* 1584 bytes */
	assert_int_equal(sf_flow_table_expire(t, last + TCP_END_NS, 10), 1);
	assert_int_equal(s->active, 0);

	/* Flow 1 ends idle on the packet path and restarts: two flows. */
	udp_flow(&p, 1, 500);
	feed(t, &p, last + TCP_END_NS);
	udp_flow(&p, 1, 300);
	feed(t, &p, last + TCP_END_NS + IDLE_NS);
	assert_int_equal(recs.n, 2);

	/* Many small flows reuse every entry, the TCP flow's included. */
	for (i = 10; i < 40; i++) {
		udp_flow(&p, i, 50 + (i < 15 ? 50 : 0));
		feed(t, &p, last + TCP_END_NS + IDLE_NS + i);
	}
	assert_true(s->ended[SF_END_EVICTED] > 0);

	n = sf_flow_table_interval_top(t, out);
	assert_int_equal(n, SF_TOPK);
	assert_int_equal(out[0].key.proto, PROTO_TCP);
	assert_int_equal(out[0].bytes, 1584);
	assert_int_equal(out[0].packets, RTE_DIM(tcp_session));
	assert_int_equal(out[0].initiator, SF_DIR_HI);
	assert_int_equal(udp_flow_id(&out[1].key), 1);
	assert_int_equal(out[1].bytes, 500);
	assert_int_equal(udp_flow_id(&out[2].key), 1);
	assert_int_equal(out[2].bytes, 300);
	for (i = 3; i < 8; i++) {
		assert_int_equal(out[i].bytes, 100);
		assert_int_equal(udp_flow_id(&out[i].key), 10 + i - 3);
	}
	/* Ties at the boundary: smallest keys. */
	assert_int_equal(out[8].bytes, 50);
	assert_int_equal(udp_flow_id(&out[8].key), 15);
	assert_int_equal(udp_flow_id(&out[9].key), 16);
	sf_flow_table_free(t);
}

/*
 * A flow restarted in the same entry (mode 0), or a new flow reusing an
 * expired flow's entry (mode 1), is a new top-K item; the old item keeps
 * its values even when the heap moves it around afterwards.
 */
static void
test_topk_entry_reuse(void **state)
{
	static const uint32_t ids[] = { 3, 4, 5 }, lens[] = { 10, 5, 1 };
	struct sf_flow_topk out[SF_TOPK];
	struct sf_pkt_info p;
	unsigned int i, n, mode;

	(void)state;
	for (mode = 0; mode < 2; mode++) {
		struct sf_flow_table *t = table_default(64);
		uint32_t again = mode == 0 ? 1 : 6;
		uint64_t ts = T0;

		sf_flow_table_interval_begin(t);
		udp_flow(&p, 1, 1000);
		feed(t, &p, ts);
		udp_flow(&p, 2, 2000);
		feed(t, &p, ts + 1);
		ts += IDLE_NS;
		if (mode == 1)
			assert_int_equal(sf_flow_table_expire(t, ts, 1), 1);
		udp_flow(&p, again, 100);	/* in flow 1's entry */
		feed(t, &p, ts);
		assert_int_equal(recs.n, 1);
		for (i = 0; i < RTE_DIM(ids); i++) {
			udp_flow(&p, ids[i], lens[i]);
			feed(t, &p, ts + 1 + i);
		}
		udp_flow(&p, again, 50);
		feed(t, &p, ts + 10);
		n = sf_flow_table_interval_top(t, out);
		assert_int_equal(n, 6);
		assert_int_equal(udp_flow_id(&out[0].key), 2);
		assert_int_equal(out[0].bytes, 2000);
		assert_int_equal(udp_flow_id(&out[1].key), 1);
		assert_int_equal(out[1].bytes, 1000);
		assert_int_equal(out[1].packets, 1);
		assert_int_equal(udp_flow_id(&out[2].key), again);
		assert_int_equal(out[2].bytes, 150);
		assert_int_equal(out[2].packets, 2);
		assert_int_equal(out[5].bytes, 1);
		sf_flow_table_free(t);
	}
}

static void
test_interval_begin(void **state)
{
	struct sf_flow_table *t = table_default(64);
	struct sf_flow_topk out[SF_TOPK];
	struct sf_pkt_info p;
	unsigned int i;

	(void)state;
	assert_int_equal(sf_flow_table_interval_top(t, out), 0);
	sf_flow_table_interval_begin(t);
	udp_flow(&p, 1, 1000);
	feed(t, &p, T0);
	assert_int_equal(sf_flow_table_interval_top(t, out), 1);
	assert_int_equal(out[0].bytes, 1000);

	sf_flow_table_interval_begin(t);
	assert_int_equal(sf_flow_table_interval_top(t, out), 0);
	udp_flow_rev(&p, 1, 100);
	feed(t, &p, T0 + 1);
	udp_flow(&p, 2, 50);
	feed(t, &p, T0 + 2);
	assert_int_equal(sf_flow_table_interval_top(t, out), 2);
	assert_int_equal(udp_flow_id(&out[0].key), 1);
	assert_int_equal(out[0].bytes, 100);
	assert_int_equal(out[0].packets, 1);
	assert_int_equal(out[0].initiator, SF_DIR_LO);
	assert_int_equal(out[1].bytes, 50);

	/* Flows that were in the previous heap start from zero, and stay consistent. */
	sf_flow_table_interval_begin(t);
	for (i = 0; i < 100; i++) {
		udp_flow(&p, i % 12, 10 + i % 12);
		feed(t, &p, T0 + 10 + i);
	}
	assert_int_equal(sf_flow_table_interval_top(t, out), SF_TOPK);
	assert_int_equal(udp_flow_id(&out[0].key), 11);
	assert_int_equal(out[0].bytes, 8 * 21);
	assert_int_equal(udp_flow_id(&out[9].key), 2);
	assert_int_equal(out[9].bytes, 9 * 12);
	sf_flow_table_free(t);
}

/* ---- cold areas ---- */

/*
 * A feature that keeps per-flow state for TCP flows: its area counts the
 * packets and bytes of the current record, and record() checks them
 * against the record the table emits.
 */
struct cold_state {
	uint64_t packets[2];
	uint64_t bytes[2];
	uint32_t magic;		/* set on the first packet: the area came zeroed */
	uint32_t flow_packets;	/* over the flow's life, across records */
};

struct cold_feature {
	unsigned int wanted, packets, records, ends, checked;
	void *areas[64];	/* areas lent now (for alignment and reuse checks) */
};

static bool
cold_want(void *arg, const struct sf_pkt_info *pi)
{
	struct cold_feature *f = arg;

	if (pi->key.proto != PROTO_TCP)
		return false;
	f->wanted++;
	return true;
}

static void
cold_packet(void *arg, void *area, const struct sf_pkt_info *pi, unsigned int dir, uint64_t ts,
		const void *frame)
{
	struct cold_feature *f = arg;
	struct cold_state *c = area;

	(void)ts;
	(void)frame;
	assert_int_equal((uintptr_t)area % 64, 0);
	assert_int_equal(pi->key.proto, PROTO_TCP);
	assert_true(dir < 2);
	if (c->flow_packets == 0) {
		assert_int_equal(c->magic, 0);
		c->magic = 0xc01d;
	}
	assert_int_equal(c->magic, 0xc01d);
	c->packets[dir]++;
	c->bytes[dir] += pi->ip_len;
	c->flow_packets++;
	f->packets++;
}

static void
cold_record(void *arg, void *area, struct sf_flow_record *r, bool ends)
{
	struct cold_feature *f = arg;
	struct cold_state *c = area;
	unsigned int d;

	assert_int_equal(r->key.proto, PROTO_TCP);
	for (d = 0; d < 2; d++) {
		assert_int_equal(c->packets[d], r->packets[d]);
		assert_int_equal(c->bytes[d], r->bytes[d]);
		c->packets[d] = 0;
		c->bytes[d] = 0;
	}
	f->records++;
	f->ends += ends;
	assert_int_equal(ends, r->end_reason != SF_END_ACTIVE);
	/* What the feature writes into the record reaches the emit callback. */
	r->pad = 0xcd;
	f->checked++;
}

static struct sf_flow_table *
table_cold(uint32_t capacity, uint32_t slots, struct cold_feature *f)
{
	struct sf_flow_table_params p = {
		.name = "test_ft_cold",
		.capacity = capacity,
		.idle_ns = 2 * ACTIVE_NS,	/* active records before idle ends */
		.active_ns = ACTIVE_NS,
		.tcp_end_ns = TCP_END_NS,
		.socket_id = SOCKET_ID_ANY,
		.emit = collect,
		.emit_arg = &recs,
		.cold = {
			.size = sizeof(struct cold_state), .slots = slots,
			.want = cold_want, .packet = cold_packet, .record = cold_record, .arg = f,
		},
	};
	struct sf_flow_table *t;

	memset(f, 0, sizeof(*f));
	t = sf_flow_table_create(&p);
	assert_non_null(t);
	recs_reset();
	return t;
}

/* TCP flow i: 10.1.0.i:(2000 + i) -> 10.2.0.1:80, one packet of `flags`. */
static void
tcp_flow(struct sf_pkt_info *p, uint32_t i, uint8_t flags, uint32_t len, int rev)
{
	if (rev)
		mkpkt(p, 0x0a020001, 0x0a010000 | i, 80, (uint16_t)(2000 + i), PROTO_TCP, flags,
			len);
	else
		mkpkt(p, 0x0a010000 | i, 0x0a020001, (uint16_t)(2000 + i), 80, PROTO_TCP, flags,
			len);
}

static void
test_cold_areas(void **state)
{
	struct cold_feature f;
	struct sf_flow_table *t = table_cold(8, 3, &f);
	const struct sf_flow_table_stats *s = sf_flow_table_stats(t);
	struct sf_pkt_info p;
	uint64_t ts = T0;
	unsigned int i;
	size_t r;

	(void)state;
	assert_int_equal(s->cold_slots, 3);
	/* Four TCP flows, two UDP: three areas lent, the fourth TCP flow runs without. */
	for (i = 1; i <= 4; i++) {
		tcp_flow(&p, i, SF_TCP_SYN, 60, 0);
		feed(t, &p, ts++);
		tcp_flow(&p, i, SF_TCP_SYN | SF_TCP_ACK, 60, 1);
		feed(t, &p, ts++);
	}
	udp_flow(&p, 1, 100);
	feed(t, &p, ts++);
	udp_flow(&p, 2, 100);
	feed(t, &p, ts++);
	assert_int_equal(f.wanted, 4);
	assert_int_equal(s->cold_used, 3);
	assert_int_equal(s->cold_full, 1);
	assert_int_equal(f.packets, 6);		/* flows 1..3, two packets each */

	/* Flow 2 ends (RST, then its tcp_end timeout): its area returns to the pool. */
	tcp_flow(&p, 2, SF_TCP_RST, 40, 0);
	feed(t, &p, ts++);
	assert_int_equal(sf_flow_table_expire(t, ts + TCP_END_NS, 1), 1);
	assert_int_equal(s->cold_used, 2);
	assert_int_equal(f.ends, 1);
	assert_int_equal(recs.r[recs.n - 1].pad, 0xcd);
	ts += TCP_END_NS;

	/* A new TCP flow gets the area (zeroed again: cold_packet checks). */
	tcp_flow(&p, 5, SF_TCP_SYN, 60, 0);
	feed(t, &p, ts++);
	assert_int_equal(s->cold_used, 3);

	/* An active-timeout update keeps the area; the flow's next record is counted afresh. */
	tcp_flow(&p, 1, SF_TCP_ACK, 500, 0);
	feed(t, &p, T0 + ACTIVE_NS);
	assert_int_equal(f.records, 2);
	assert_int_equal(f.ends, 1);
	assert_int_equal(s->cold_used, 3);
	ts = T0 + ACTIVE_NS + 1;

	/* Restart on the same key (pure SYN after RST): the old area goes, a new one comes. */
	tcp_flow(&p, 5, SF_TCP_RST, 40, 1);
	feed(t, &p, ts++);
	tcp_flow(&p, 5, SF_TCP_SYN, 60, 0);
	feed(t, &p, ts++);
	assert_int_equal(f.ends, 2);
	assert_int_equal(s->cold_used, 3);

	/* Evictions: a full table of UDP flows pushes every TCP flow out. */
	for (i = 100; i < 108; i++) {
		udp_flow(&p, i, 100);
		feed(t, &p, ts++);
	}
	assert_int_equal(s->cold_used, 0);
	sf_flow_table_flush(t, SF_END_END_OF_INPUT);
	assert_int_equal(s->cold_used, 0);

	/* Every record of a flow with an area went through record(), and only those. */
	for (r = 0, i = 0; r < recs.n; r++)
		i += recs.r[r].pad == 0xcd;
	assert_int_equal(i, f.records);
	assert_int_equal(f.checked, f.records);
	assert_int_equal(f.ends, s->created - s->cold_full - (s->created - f.wanted));
	check_stats_vs_records(t);
	sf_flow_table_free(t);
}

/* No pool: nothing is called and nothing is lent; bad cold parameters are refused. */
static void
test_cold_none(void **state)
{
	struct sf_flow_table_params p = {
		.name = "test_ft_cold_bad", .capacity = 8, .idle_ns = 1, .active_ns = 1,
		.tcp_end_ns = 1, .socket_id = SOCKET_ID_ANY,
	};
	struct cold_feature f;
	struct sf_flow_table *t = table_cold(8, 0, &f);
	struct sf_pkt_info pk;

	(void)state;
	sf_flow_table_free(t);
	/* Functions without a pool: never called. */
	t = table_cold(8, 0, &f);
	tcp_flow(&pk, 1, SF_TCP_SYN, 60, 0);
	feed(t, &pk, T0);
	sf_flow_table_flush(t, SF_END_END_OF_INPUT);
	assert_int_equal(sf_flow_table_stats(t)->cold_full, 0);
	assert_int_equal(sf_flow_table_stats(t)->cold_slots, 0);
	assert_int_equal(f.wanted + f.packets + f.records, 0);
	sf_flow_table_free(t);

	p.cold.slots = 4;	/* slots without a size */
	assert_null(sf_flow_table_create(&p));
	p.cold.size = 8192;	/* larger than an area may be */
	assert_null(sf_flow_table_create(&p));
	p.cold.size = 1;
	t = sf_flow_table_create(&p);
	assert_non_null(t);
	assert_int_equal(sf_flow_table_stats(t)->cold_slots, 4);
	sf_flow_table_free(t);
}

/* ---- conservation under random traffic ---- */

static void
test_conservation_random(void **state)
{
	static const uint8_t tcp_flags[] = {
		SF_TCP_SYN, SF_TCP_SYN | SF_TCP_ACK, SF_TCP_ACK, SF_TCP_ACK, SF_TCP_ACK,
		SF_TCP_PSH | SF_TCP_ACK, SF_TCP_FIN | SF_TCP_ACK, SF_TCP_RST,
	};
	const uint32_t nkeys = 500;
	struct sf_flow_table *t = table_new(64, SF_NS_PER_MS, 5 * SF_NS_PER_MS,
		SF_NS_PER_MS / 2);
	const struct sf_flow_table_stats *s = sf_flow_table_stats(t);
	struct sf_flow_topk out[SF_TOPK], *inst;
	struct sf_pkt_info pk[SF_BURST];
	const struct sf_pkt_info *pi[SF_BURST];
	uint64_t tsv[SF_BURST], ts = T0, fed = 0, fed_bytes = 0, sum_p = 0, sum_b = 0;
	size_t *open_inst, k, f, ninst = 0;
	unsigned int i, n;

	(void)state;
	rng_state = 4242;
	sf_flow_table_interval_begin(t);
	for (i = 0; i < 10000; i++) {
		unsigned int m = 1 + rng() % SF_BURST, j;

		for (j = 0; j < m; j++) {
			/* A third of the packets on 4 hot keys: long flows, active records. */
			uint32_t id = (rng() % 3 == 0) ? rng() % 4 : rng() % nkeys;
			uint32_t len = 40 + rng() % 1460;
			int rev = rng() & 1;
			uint32_t a = 0x0a000000 | id, b = 0x0b000000 | (id % 7);

			if (id % 2 == 0)
				mkpkt(&pk[j], rev ? b : a, rev ? a : b, rev ? 443 : 30000 + id,
					rev ? 30000 + id : 443, PROTO_TCP,
					tcp_flags[rng() % RTE_DIM(tcp_flags)], len);
			else
				mkpkt(&pk[j], rev ? b : a, rev ? a : b, 53, 53, PROTO_UDP, 0, len);
			pi[j] = &pk[j];
			ts += rng() % 20000;
			tsv[j] = ts;
			fed++;
			fed_bytes += len;
		}
		sf_flow_table_update_burst(t, pi, tsv, m);
		if (rng() % 4 == 0)
			sf_flow_table_expire(t, ts, rng() % 16);
	}
	assert_int_equal(s->packets, fed);
	assert_int_equal(s->bytes, fed_bytes);
	sf_flow_table_flush(t, SF_END_END_OF_INPUT);
	assert_int_equal(s->active, 0);
	check_stats_vs_records(t);
	assert_true(s->ended[SF_END_EVICTED] > 0);
	assert_true(s->ended[SF_END_ACTIVE] > 0);
	assert_true(s->ended[SF_END_TCP_FIN] + s->ended[SF_END_TCP_RST] > 0);

	/*
	 * Sum over records == fed. Flows (a key's records up to a non-active
	 * one) are the top-K reference: one interval spans the whole run.
	 */
	inst = calloc(recs.n, sizeof(*inst));
	open_inst = malloc(nkeys * sizeof(*open_inst));
	assert_non_null(inst);
	assert_non_null(open_inst);
	for (k = 0; k < nkeys; k++)
		open_inst[k] = SIZE_MAX;
	for (k = 0; k < recs.n; k++) {
		const struct sf_flow_record *r = &recs.r[k];
		uint32_t id = udp_flow_id(&r->key);

		assert_true(r->start_ns <= r->end_ns);
		assert_true(r->packets[0] + r->packets[1] >= 1);
		sum_p += r->packets[0] + r->packets[1];
		sum_b += r->bytes[0] + r->bytes[1];
		/* The key's flow still open (its records so far were active segments). */
		assert_true(id < nkeys);
		f = open_inst[id];
		if (f == SIZE_MAX) {
			f = ninst++;
			inst[f].key = r->key;
			inst[f].initiator = r->initiator;
		}
		assert_memory_equal(&inst[f].key, &r->key, sizeof(r->key));
		assert_int_equal(inst[f].initiator, r->initiator);
		inst[f].bytes += r->bytes[0] + r->bytes[1];
		inst[f].packets += r->packets[0] + r->packets[1];
		open_inst[id] = r->end_reason == SF_END_ACTIVE ? f : SIZE_MAX;
	}
	assert_int_equal(sum_p, fed);
	assert_int_equal(sum_b, fed_bytes);
	assert_int_equal(ninst, s->created);
	qsort(inst, ninst, sizeof(*inst), topk_cmp);
	n = sf_flow_table_interval_top(t, out);
	assert_topk_equal(out, n, inst, SF_TOPK);
	free(inst);
	free(open_inst);
	sf_flow_table_free(t);
}

/* ---- the live view's interval flows (iv_flow, sf_flow_table_interval_flows) ---- */

struct iv_log {
	struct sf_flow_topk f[4096];
	unsigned int n;
};

static void
iv_collect(void *arg, const struct sf_flow_topk *f, const void *cold)
{
	struct iv_log *l = arg;

	(void)cold;
	assert_true(l->n < RTE_DIM(l->f));
	l->f[l->n++] = *f;
}

/*
 * Random UDP traffic into a small table (evictions, idle ends on the
 * packet path and by expiry, restarts) over several intervals: the flows
 * handed over on leaving and by the walk at the interval's end hold, per
 * flow id, exactly the interval's packets and bytes of a model, each flow
 * once per life; with a cap, the walk counts what it leaves.
 */
static void
test_interval_flows(void **state)
{
	static struct iv_log log;
	struct sf_flow_table_params prm = {
		.name = "test_ft_iv", .capacity = 32, .idle_ns = 3 * SF_NS_PER_S,
		.active_ns = ACTIVE_NS, .tcp_end_ns = TCP_END_NS, .socket_id = SOCKET_ID_ANY,
		.emit = collect, .emit_arg = &recs, .iv_flow = iv_collect, .iv_arg = &log,
	};
	struct sf_flow_table *t = sf_flow_table_create(&prm);
	const struct sf_flow_table_stats *st = sf_flow_table_stats(t);
	uint64_t model_pk[64], model_by[64], got_pk[64], got_by[64];
	uint64_t ts = T0, last_pk = 0, last_by = 0, sum_pk, sum_by;
	unsigned int iv, i;
	uint64_t rest;
	uint32_t rnd = 12345;
	struct sf_pkt_info p;

	(void)state;
	assert_non_null(t);
	recs_reset();
	for (iv = 0; iv < 6; iv++) {
		memset(model_pk, 0, sizeof(model_pk));
		memset(model_by, 0, sizeof(model_by));
		log.n = 0;
		sf_flow_table_interval_begin(t);
		for (i = 0; i < 400; i++) {
			uint32_t id, len;

			rnd = rnd * 1103515245u + 12345u;
			id = (rnd >> 16) % 48;
			len = 40 + (rnd >> 8) % 200;
			ts += (rnd >> 20) % 40 * SF_NS_PER_MS;
			udp_flow(&p, id, len);
			feed(t, &p, ts);
			model_pk[id]++;
			model_by[id] += len;
			if (i % 50 == 49)
				sf_flow_table_expire(t, ts, 4);
		}
		if (iv == 5) {
			/* A cap of 3: three handed over, the rest counted. */
			unsigned int before = log.n;
			unsigned int n = sf_flow_table_interval_flows(t, 3, &rest);

			assert_int_equal(n, 3);
			assert_int_equal(log.n - before, 3);
			assert_int_equal(rest, st->active - 3);
			log.n = before;
		}
		sf_flow_table_interval_flows(t, UINT32_MAX, &rest);
		assert_int_equal(rest, 0);
		memset(got_pk, 0, sizeof(got_pk));
		memset(got_by, 0, sizeof(got_by));
		sum_pk = sum_by = 0;
		for (i = 0; i < log.n; i++) {
			uint32_t id = udp_flow_id(&log.f[i].key);

			assert_true(id < 48);
			assert_true(log.f[i].packets > 0);
			got_pk[id] += log.f[i].packets;
			got_by[id] += log.f[i].bytes;
			sum_pk += log.f[i].packets;
			sum_by += log.f[i].bytes;
		}
		for (i = 0; i < 48; i++) {
			assert_int_equal(got_pk[i], model_pk[i]);
			assert_int_equal(got_by[i], model_by[i]);
		}
		assert_int_equal(sum_pk, st->packets - last_pk);
		assert_int_equal(sum_by, st->bytes - last_by);
		last_pk = st->packets;
		last_by = st->bytes;
		/* The next interval starts after a quiet 4 s: flows end idle in it. */
		ts += 4 * SF_NS_PER_S;
	}
	assert_true(st->ended[SF_END_EVICTED] > 0);
	assert_true(st->ended[SF_END_IDLE] > 0);
	/* A flush hands over the last interval's flows that had not gone yet. */
	log.n = 0;
	sf_flow_table_interval_begin(t);
	udp_flow(&p, 7, 99);
	feed(t, &p, ts + 1);
	sf_flow_table_flush(t, SF_END_END_OF_INPUT);
	assert_int_equal(log.n, 1);
	assert_int_equal(log.f[0].bytes, 99);
	sf_flow_table_free(t);
}

/* ---- scan (active-flow search) ---- */

/* What a scan saw: how often each UDP flow id, and the TCP session's view. */
struct scan_log {
	uint8_t seen[1024];
	unsigned int visits;
	unsigned int tcp;
	struct sf_flow_view tcp_view;
};

static void
scan_collect(void *arg, const struct sf_flow_view *v)
{
	struct scan_log *l = arg;

	l->visits++;
	if (v->key.proto == PROTO_TCP) {
		l->tcp++;
		l->tcp_view = *v;
		return;
	}
	assert_true(udp_flow_id(&v->key) < RTE_DIM(l->seen));
	l->seen[udp_flow_id(&v->key)]++;
}

/* A whole scan in steps of `budget` entries; returns the steps taken. */
static unsigned int
scan_all(const struct sf_flow_table *t, uint32_t budget, struct scan_log *l)
{
	uint32_t cur = 0;
	unsigned int steps = 0;

	do {
		unsigned int before = l->visits;

		cur = sf_flow_table_scan(t, cur, budget, scan_collect, l);
		steps++;
		assert_true(l->visits - before <= budget);
	} while (cur != SF_FLOW_SCAN_END);
	return steps;
}

/* The flow whose view scan_find looks for, and what it found. */
struct scan_find {
	uint32_t id;
	unsigned int found;
	struct sf_flow_view v;
};

static void
scan_find_cb(void *arg, const struct sf_flow_view *v)
{
	struct scan_find *f = arg;

	if (v->key.proto == PROTO_UDP && udp_flow_id(&v->key) == f->id) {
		f->found++;
		f->v = *v;
	}
}

/*
 * A scan visits every live flow once, never a free entry, and reports the
 * current record: per-direction counts from the initiator, times, flags,
 * and whether a TCP flow has ended. Steps look at `budget` entries each.
 */
static void
test_scan_visits_each_live_flow(void **state)
{
	struct sf_flow_table *t = table_default(300);
	static struct scan_log l;
	struct scan_find f = { .id = 7 };
	struct sf_pkt_info p;
	uint32_t i;

	(void)state;
	memset(&l, 0, sizeof(l));
	assert_int_equal(scan_all(t, 64, &l), 5);	/* 300 entries, 64 a step */
	assert_int_equal(l.visits, 0);
	for (i = 1; i <= 200; i++) {
		udp_flow(&p, i, 100 + i);
		feed(t, &p, T0 + i);
	}
	/* Flow 7 answers twice: its record counts the reverse direction apart. */
	mkpkt(&p, 0xc0a80001, 0x0a000007, 53, 1024 + 7, PROTO_UDP, 0, 40);
	feed(t, &p, T0 + 500);
	feed(t, &p, T0 + 501);
	feed_session(t, T0 + 1000, RTE_DIM(tcp_session));
	memset(&l, 0, sizeof(l));
	scan_all(t, 7, &l);
	assert_int_equal(l.visits, 201);
	assert_int_equal(l.tcp, 1);
	for (i = 0; i < RTE_DIM(l.seen); i++)
		assert_int_equal(l.seen[i], i >= 1 && i <= 200);
	assert_true(l.tcp_view.tcp_ended);
	assert_int_equal(l.tcp_view.initiator, SF_DIR_HI);	/* the client is the hi end */
	assert_int_equal(l.tcp_view.packets[0], 5);
	assert_int_equal(l.tcp_view.packets[1], 4);
	assert_int_equal(l.tcp_view.bytes[0], 60 + 52 + 152 + 52 + 52);
	assert_int_equal(l.tcp_view.bytes[1], 60 + 52 + 1052 + 52);
	assert_int_equal(l.tcp_view.first_ns, T0 + 1000);
	assert_int_equal(l.tcp_view.last_ns, T0 + 1000 + 8 * SF_NS_PER_MS);
	assert_true(l.tcp_view.tcp_flags[0] & SF_TCP_FIN);
	sf_flow_table_scan(t, 0, UINT32_MAX, scan_find_cb, &f);
	assert_int_equal(f.found, 1);
	assert_int_equal(f.v.initiator, SF_DIR_LO);
	assert_int_equal(f.v.packets[0], 1);
	assert_int_equal(f.v.bytes[0], 107);
	assert_int_equal(f.v.packets[1], 2);
	assert_int_equal(f.v.bytes[1], 80);
	assert_int_equal(f.v.first_ns, T0 + 7);
	assert_int_equal(f.v.last_ns, T0 + 501);
	assert_false(f.v.tcp_ended);

	/* One step over the whole table; a budget past the end stops there. */
	memset(&l, 0, sizeof(l));
	assert_int_equal(sf_flow_table_scan(t, 0, 1000, scan_collect, &l), SF_FLOW_SCAN_END);
	assert_int_equal(l.visits, 201);
	assert_int_equal(sf_flow_table_scan(t, 300, 10, scan_collect, &l), SF_FLOW_SCAN_END);
	assert_int_equal(sf_flow_table_scan(t, 5, 0, scan_collect, &l), 5);
	assert_int_equal(l.visits, 201);

	/* Flushed, the table has no live flow left. */
	sf_flow_table_flush(t, SF_END_END_OF_INPUT);
	memset(&l, 0, sizeof(l));
	scan_all(t, 50, &l);
	assert_int_equal(l.visits, 0);
	sf_flow_table_free(t);
}

/*
 * The table changes between steps (the worker serves a search between
 * bursts): flows that end are not visited after they end, flows that live
 * through the whole scan are visited exactly once, however entries are
 * freed and reused around the cursor; an active-timeout update shows the
 * new record only.
 */
static void
test_scan_across_changes(void **state)
{
	struct sf_flow_table *t = table_new(512, IDLE_NS, 5 * SF_NS_PER_S, TCP_END_NS);
	static struct scan_log l;
	struct scan_find f = { .id = 3 };
	struct sf_pkt_info p;
	uint32_t i, cur;
	unsigned int steps = 0;

	(void)state;
	/* Flows 1..199 early (they will idle out), 200..399 late (they live on). */
	for (i = 1; i < 400; i++) {
		udp_flow(&p, i, 100);
		feed(t, &p, i < 200 ? T0 : T0 + 5 * SF_NS_PER_S);
	}
	memset(&l, 0, sizeof(l));
	cur = 0;
	do {
		cur = sf_flow_table_scan(t, cur, 16, scan_collect, &l);
		if (++steps == 10) {
			/* Mid-scan: the early flows end, new ones take their entries. */
			assert_int_equal(sf_flow_table_expire(t, T0 + IDLE_NS, 1000), 199);
			for (i = 400; i < 500; i++) {
				udp_flow(&p, i, 100);
				feed(t, &p, T0 + IDLE_NS + i);
			}
		}
	} while (cur != SF_FLOW_SCAN_END);
	for (i = 200; i < 400; i++)
		assert_int_equal(l.seen[i], 1);		/* lived throughout: once */
	for (i = 1; i < 200; i++)
		assert_true(l.seen[i] <= 1);		/* ended meanwhile: at most once */
	for (i = 400; i < 500; i++)
		assert_true(l.seen[i] <= 1);		/* started meanwhile: at most once */
	/* Before the change the cursor had passed 160 entries: flows 1..160 were seen. */
	for (i = 1; i <= 160; i++)
		assert_int_equal(l.seen[i], 1);
	for (i = 161; i < 200; i++)
		assert_int_equal(l.seen[i], 0);

	/* An active-timeout update: the view is the new record's. */
	udp_flow(&p, 3, 700);
	feed(t, &p, T0 + IDLE_NS + SF_NS_PER_S);
	feed(t, &p, T0 + IDLE_NS + 7 * SF_NS_PER_S);	/* 6 s after the record began */
	sf_flow_table_scan(t, 0, UINT32_MAX, scan_find_cb, &f);
	assert_int_equal(f.found, 1);
	assert_int_equal(f.v.packets[0], 1);
	assert_int_equal(f.v.bytes[0], 700);
	assert_int_equal(f.v.first_ns, T0 + IDLE_NS + 7 * SF_NS_PER_S);
	sf_flow_table_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_size),
		cmocka_unit_test(test_create_invalid),
		cmocka_unit_test(test_tcp_fin),
		cmocka_unit_test(test_tcp_rst),
		cmocka_unit_test(test_synack_first),
		cmocka_unit_test(test_idle_boundary),
		cmocka_unit_test(test_lazy_idle),
		cmocka_unit_test(test_active_timeout),
		cmocka_unit_test(test_tcp_restart),
		cmocka_unit_test(test_full_evicts_lru),
		cmocka_unit_test(test_full_prefers_tcp_ended),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_expire_budget),
		cmocka_unit_test(test_burst_same_flow),
		cmocka_unit_test(test_many_flows),
		cmocka_unit_test(test_index_churn_vs_model),
		cmocka_unit_test(test_topk_exact),
		cmocka_unit_test(test_topk_ties_deterministic),
		cmocka_unit_test(test_topk_ended_flows),
		cmocka_unit_test(test_topk_entry_reuse),
		cmocka_unit_test(test_interval_begin),
		cmocka_unit_test(test_interval_flows),
		cmocka_unit_test(test_cold_areas),
		cmocka_unit_test(test_cold_none),
		cmocka_unit_test(test_conservation_random),
		cmocka_unit_test(test_scan_visits_each_live_flow),
		cmocka_unit_test(test_scan_across_changes),
	};
	int rc;

	sf_test_eal_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	free(recs.r);
	rte_eal_cleanup();
	return rc;
}
