/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The classify stage and the software dispatch that follows it: classify
 * gives every mbuf the parser's result and keeps what the source noted;
 * one owner per flow (both directions, every packet, non-flows on worker
 * 0); the dispatcher's split of a burst keeps arrival order per worker and
 * one clock that never goes back; the in-memory replay splits a capture
 * by the same owner, and the dispatcher keeps every flow of the test
 * captures on one worker.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_mbuf.h>

#include "sf_classify.h"
#include "sf_config.h"
#include "sf_source.h"
#include "sf_test_eal.h"
#include "sf_test_util.h"

#define T0 (UINT64_C(1700000000) * SF_NS_PER_S)
#define MAX_FLOWS 65536

static struct rte_mempool *pool;

/* ---- frames ---- */

struct frame {
	uint8_t b[128];
	uint32_t len;
};

/* Ethernet + IPv4 + TCP or UDP from 10.0.a.b:sport to 10.9.0.1:dport (or back). */
static void
frame_ip4(struct frame *f, uint16_t host, uint16_t sport, uint16_t dport, uint8_t proto,
		int reverse, uint16_t totlen)
{
	uint8_t a[4] = { 10, 0, (uint8_t)(host >> 8), (uint8_t)host }, b[4] = { 10, 9, 0, 1 };
	uint8_t *ip = f->b + 14, *l4 = ip + 20;
	uint16_t l4len = proto == 6 ? 20 : 8;

	memset(f, 0, sizeof(*f));
	f->b[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(totlen >> 8);
	ip[3] = (uint8_t)totlen;
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, reverse ? b : a, 4);
	memcpy(ip + 16, reverse ? a : b, 4);
	if (reverse) {
		uint16_t t = sport;

		sport = dport;
		dport = t;
	}
	l4[0] = (uint8_t)(sport >> 8);
	l4[1] = (uint8_t)sport;
	l4[2] = (uint8_t)(dport >> 8);
	l4[3] = (uint8_t)dport;
	if (proto == 6) {
		l4[12] = 5 << 4;
		l4[13] = SF_TCP_ACK;
	}
	f->len = 14 + 20 + l4len;
}

static void
frame_arp(struct frame *f)
{
	memset(f, 0, sizeof(*f));
	f->b[12] = 0x08;
	f->b[13] = 0x06;
	f->len = 60;
}

static struct rte_mbuf *
mbuf_of(const struct frame *f, uint64_t ts, uint32_t wire_len, uint8_t port)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	assert_non_null(m);
	memcpy(rte_pktmbuf_append(m, (uint16_t)f->len), f->b, f->len);
	/* Garbage where classify writes: anything it forgets shows. */
	memset(sf_pkt_meta(m), 0xa5, sizeof(struct sf_pkt_meta));
	sf_pkt_meta_in(m, ts, wire_len, port);
	return m;
}

/* ---- classify ---- */

static void
test_classify_burst(void **state)
{
	struct rte_mbuf *m[4];
	struct frame f;
	struct sf_pkt_info want;
	unsigned int i;

	(void)state;
	frame_ip4(&f, 1, 40000, 443, 6, 0, 40);
	m[0] = mbuf_of(&f, T0, 1514, 3);
	frame_ip4(&f, 1, 40000, 443, 6, 1, 40);
	m[1] = mbuf_of(&f, T0 + 1, 60, 0);
	frame_arp(&f);
	m[2] = mbuf_of(&f, T0 + 2, 60, 1);
	frame_ip4(&f, 2, 53, 53, 17, 0, 28);
	f.len = 20;	/* cut inside the IP header */
	m[3] = mbuf_of(&f, T0 + 3, 60, 0);
	sf_classify_burst(m, 4, SF_LINK_ETHER);

	for (i = 0; i < 4; i++) {
		const struct sf_pkt_meta *meta = sf_pkt_meta(m[i]);
		enum sf_pkt_class c;

		memset(&want, 0, sizeof(want));
		c = sf_pkt_parse(rte_pktmbuf_mtod(m[i], const uint8_t *),
				rte_pktmbuf_data_len(m[i]), SF_LINK_ETHER, &want);
		assert_int_equal(meta->cls, c);
		assert_int_equal(meta->ts_ns, T0 + i);
		if (c == SF_PKT_FLOW) {
			assert_memory_equal(&meta->info.key, &want.key, sizeof(want.key));
			assert_int_equal(meta->info.dir, want.dir);
			assert_int_equal(meta->info.ip_len, want.ip_len);
			assert_int_equal(meta->info.tcp_flags, want.tcp_flags);
		} else {
			assert_int_equal(meta->info.malformed, want.malformed);
		}
	}
	assert_int_equal(sf_pkt_meta(m[0])->cls, SF_PKT_FLOW);
	assert_int_equal(sf_pkt_meta(m[1])->info.dir, sf_pkt_meta(m[0])->info.dir ^ 1);
	assert_int_equal(sf_pkt_meta(m[2])->cls, SF_PKT_NONFLOW);
	assert_int_equal(sf_pkt_meta(m[3])->cls, SF_PKT_MALFORMED);
	assert_int_equal(sf_pkt_meta(m[3])->info.malformed, SF_PKT_BAD_IP_TRUNC);
	/* The input port the source noted survives classify. */
	assert_int_equal(sf_pkt_meta(m[0])->info.port, 3);
	assert_int_equal(sf_pkt_meta(m[1])->info.port, 0);
	rte_pktmbuf_free_bulk(m, 4);
}

/*
 * An IPv4 total length of 0 (TSO capture): the IP length is what was
 * captured, including the bytes the reader did not keep in the mbuf.
 */
static void
test_classify_captured_length(void **state)
{
	struct rte_mbuf *m;
	struct frame f;

	(void)state;
	frame_ip4(&f, 1, 1000, 80, 6, 0, 0);
	m = mbuf_of(&f, T0, 9014, 0);
	sf_classify_burst(&m, 1, SF_LINK_ETHER);
	assert_int_equal(sf_pkt_meta(m)->cls, SF_PKT_FLOW);
	assert_true(sf_pkt_meta(m)->info.flags & SF_PKT_F_LEN_CAPTURED);
	assert_int_equal(sf_pkt_meta(m)->info.ip_len, 9014 - 14);
	rte_pktmbuf_free(m);
	/* Nothing beyond the mbuf: the bytes in it. */
	m = mbuf_of(&f, T0, f.len, 0);
	sf_classify_burst(&m, 1, SF_LINK_ETHER);
	assert_int_equal(sf_pkt_meta(m)->info.ip_len, f.len - 14);
	rte_pktmbuf_free(m);
}

/* A frame whose headers span two segments parses as the contiguous frame. */
static void
test_classify_segmented(void **state)
{
	struct rte_mbuf *m, *tail, *one;
	struct frame f;

	(void)state;
	frame_ip4(&f, 7, 5000, 6000, 17, 1, 28);
	one = mbuf_of(&f, T0, f.len, 0);
	m = rte_pktmbuf_alloc(pool);
	tail = rte_pktmbuf_alloc(pool);
	assert_non_null(m);
	assert_non_null(tail);
	memcpy(rte_pktmbuf_append(m, 20), f.b, 20);
	memcpy(rte_pktmbuf_append(tail, (uint16_t)(f.len - 20)), f.b + 20, f.len - 20);
	assert_int_equal(rte_pktmbuf_chain(m, tail), 0);
	sf_pkt_meta_in(m, T0, f.len, 0);
	sf_classify_burst(&one, 1, SF_LINK_ETHER);
	sf_classify_burst(&m, 1, SF_LINK_ETHER);
	assert_int_equal(sf_pkt_meta(m)->cls, SF_PKT_FLOW);
	assert_memory_equal(&sf_pkt_meta(m)->info.key, &sf_pkt_meta(one)->info.key,
			sizeof(struct sf_flow_key));
	assert_int_equal(sf_pkt_meta(m)->info.ip_len, 28);
	rte_pktmbuf_free(m);
	rte_pktmbuf_free(one);
}

/* ---- owner and dispatch ---- */

static void
test_owner(void **state)
{
	struct rte_mbuf *m[2];
	struct frame f;
	unsigned int h, n;

	(void)state;
	frame_arp(&f);
	m[0] = mbuf_of(&f, T0, 60, 0);
	sf_classify_burst(m, 1, SF_LINK_ETHER);
	for (n = 1; n <= 16; n++)
		assert_int_equal(sf_pkt_owner(sf_pkt_meta(m[0]), n), 0);
	rte_pktmbuf_free(m[0]);
	for (h = 0; h < 500; h++) {
		frame_ip4(&f, (uint16_t)h, (uint16_t)(1024 + h), 443, 6, 0, 40);
		m[0] = mbuf_of(&f, T0, 60, 0);
		frame_ip4(&f, (uint16_t)h, (uint16_t)(1024 + h), 443, 6, 1, 40);
		m[1] = mbuf_of(&f, T0, 60, 0);
		sf_classify_burst(m, 2, SF_LINK_ETHER);
		for (n = 1; n <= 16; n++) {
			unsigned int w = sf_pkt_owner(sf_pkt_meta(m[0]), n);

			assert_true(w < n);
			assert_int_equal(w, sf_flow_key_owner(&sf_pkt_meta(m[0])->info.key, n));
			assert_int_equal(w, sf_pkt_owner(sf_pkt_meta(m[1]), n));
		}
		rte_pktmbuf_free_bulk(m, 2);
	}
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint32_t
rng(void)
{
	return sf_test_rng(&rng_state);
}

/*
 * Random bursts of flows (both directions), non-flows and malformed
 * frames with times that sometimes go back: each packet lands once, in
 * its owner's list, in arrival order, with its time raised to the clock.
 */
static void
test_dispatch_split(void **state)
{
	static struct rte_mbuf *out[SF_CONFIG_MAX_WORKERS][SF_BURST];
	unsigned int cnt[SF_CONFIG_MAX_WORKERS];
	struct rte_mbuf *m[SF_BURST];
	uint64_t ts[SF_BURST], clock, want_clock;
	unsigned int it, i, k, j, n, nw, total, seen_lo = 0, seen_hi = 0;
	struct frame f;

	(void)state;
	clock = T0;
	for (it = 0; it < 2000; it++) {
		n = 1 + rng() % SF_BURST;
		nw = 1 + rng() % 8;
		for (i = 0; i < n; i++) {
			unsigned int kind = rng() % 8;

			if (kind == 0)
				frame_arp(&f);
			else
				frame_ip4(&f, (uint16_t)(rng() % 64), 2000, 80, kind & 1 ? 6 : 17,
						(int)(kind & 2), 60);
			if (kind == 7)
				f.len = 30;	/* malformed */
			/* Mostly forward in time, sometimes back, sometimes before the clock. */
			ts[i] = clock + (rng() % 4 == 0 ? 0 : rng() % 1000) - 500 + i * 100;
			m[i] = mbuf_of(&f, ts[i], f.len, 0);
		}
		sf_classify_burst(m, (uint16_t)n, SF_LINK_ETHER);
		want_clock = clock;
		sf_pkt_dispatch(m, n, nw, &clock, out, cnt);

		total = 0;
		for (k = 0; k < nw; k++)
			total += cnt[k];
		assert_int_equal(total, n);
		for (k = 0, i = 0; k < nw; k++) {
			unsigned int last = 0;

			for (j = 0; j < cnt[k]; j++) {
				unsigned int pos;

				for (pos = 0; pos < n && m[pos] != out[k][j]; pos++)
					;
				assert_true(pos < n);
				/* Arrival order within a worker's list. */
				assert_true(j == 0 || pos > last);
				last = pos;
				assert_int_equal(sf_pkt_owner(sf_pkt_meta(out[k][j]), nw), k);
				if (sf_pkt_meta(out[k][j])->cls != SF_PKT_FLOW)
					assert_int_equal(k, 0);
			}
		}
		/* Times: the running maximum, starting at the clock before the burst. */
		for (i = 0; i < n; i++) {
			if (ts[i] > want_clock)
				want_clock = ts[i];
			assert_int_equal(sf_pkt_meta(m[i])->ts_ns, want_clock);
			seen_lo += ts[i] < sf_pkt_meta(m[i])->ts_ns;
			seen_hi += ts[i] == sf_pkt_meta(m[i])->ts_ns;
		}
		assert_int_equal(clock, want_clock);
		rte_pktmbuf_free_bulk(m, n);
	}
	/* Both cases happened: times raised to the clock, and times kept. */
	assert_true(seen_lo > 100 && seen_hi > 100);
}

/*
 * VXLAN from VTEP 192.0.2.1:vsport to 192.0.2.2:4789 (or back, to 4789 too),
 * VLAN 7 outside, around `inner` (an Ethernet frame).
 */
static void
frame_vxlan(struct frame *f, const struct frame *inner, uint16_t vsport, int reverse)
{
	uint8_t a[4] = { 192, 0, 2, 1 }, b[4] = { 192, 0, 2, 2 };
	uint8_t *ip = f->b + 18, *udp = ip + 20, *vx = udp + 8;
	uint16_t totlen = (uint16_t)(20 + 8 + 8 + inner->len);
	uint16_t sp = vsport, dp = 4789;	/* each VTEP sends to 4789 */

	memset(f, 0, sizeof(*f));
	f->b[12] = 0x81;	/* 802.1Q, VLAN 7 */
	f->b[15] = 7;
	f->b[16] = 0x08;
	ip[0] = 0x45;
	ip[1] = 0x28;		/* DSCP 10 */
	ip[2] = (uint8_t)(totlen >> 8);
	ip[3] = (uint8_t)totlen;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, reverse ? b : a, 4);
	memcpy(ip + 16, reverse ? a : b, 4);
	udp[0] = (uint8_t)(sp >> 8);
	udp[1] = (uint8_t)sp;
	udp[2] = (uint8_t)(dp >> 8);
	udp[3] = (uint8_t)dp;
	vx[0] = 0x08;		/* VNI valid */
	vx[6] = 42;		/* VNI 42 */
	assert_true(18 + totlen <= (int)sizeof(f->b));
	memcpy(vx + 8, inner->b, inner->len);
	f->len = 18u + totlen;
}

/*
 * tunnel.underlay: a tunnelled packet also goes to the worker of its
 * outer flow (the same mbuf, one more reference), keyed as decapsulation
 * off keys the frame, context "underlay"; a tunnel's ARP too; a plain
 * packet and a filtered-out one do not.
 */
static void
test_dispatch_underlay(void **state)
{
	static struct rte_mbuf *out[SF_CONFIG_MAX_WORKERS][SF_BURST];
	unsigned int cnt[SF_CONFIG_MAX_WORKERS];
	struct sf_pkt_decap d, off;
	struct rte_mbuf *m[SF_BURST];
	struct frame in, f;
	uint64_t clock = T0;
	unsigned int i, k, j, n = 0, nw = 4, copies = 0, total = 0;

	(void)state;
	sf_pkt_decap_defaults(&d);
	off = d;
	off.enabled = false;
	d.underlay = true;
	sf_pkt_decap_set(&d);
	for (i = 0; i < 24; i++) {
		if (i % 8 == 7)
			frame_arp(&in);
		else
			frame_ip4(&in, (uint16_t)i, 1000, 53, 17, (int)(i & 1), 28);
		frame_vxlan(&f, &in, (uint16_t)(50000 + i % 3), (int)(i & 1));
		m[n++] = mbuf_of(&f, T0 + i, f.len, 0);
	}
	frame_ip4(&f, 1, 1000, 53, 17, 0, 28);	/* plain */
	m[n++] = mbuf_of(&f, T0 + 30, f.len, 0);
	sf_classify_burst(m, (uint16_t)n, SF_LINK_ETHER);
	sf_pkt_meta(m[1])->cls = SF_PKT_FILTERED;	/* as a capture filter would */
	sf_pkt_dispatch(m, n, nw, &clock, out, cnt);

	for (i = 0; i < n; i++) {
		const struct sf_pkt_meta *meta = sf_pkt_meta(m[i]);
		struct sf_pkt_info want;
		unsigned int owner = sf_pkt_owner(meta, nw), seen = 0;
		bool under = i < 24 && i != 1;

		assert_int_equal(sf_pkt_has_underlay(meta), under);
		if (under) {
			/* The key decapsulation off gives, with the underlay context. */
			sf_pkt_decap_set(&off);
			assert_int_equal(sf_pkt_parse(rte_pktmbuf_mtod(m[i], const uint8_t *),
					rte_pktmbuf_data_len(m[i]), SF_LINK_ETHER, &want),
					SF_PKT_FLOW);
			sf_pkt_decap_set(&d);
			assert_int_equal(want.key.proto, 17);
			assert_int_equal(want.key.vlan, 7);
			assert_true(want.key.port_lo == 4789 || want.key.port_hi == 4789);
			assert_int_equal(want.key.port_lo + want.key.port_hi, 4789 + 50000 + i % 3);
			sf_flow_key_set_ctx(&want.key, SF_FLOW_CTX_UNDERLAY, 0);
			assert_memory_equal(&meta->under.key, &want.key, sizeof(want.key));
			assert_int_equal(meta->under.dir, want.dir);
			assert_int_equal(meta->under.ip_len, want.ip_len);
			assert_int_equal(meta->under.dscp, 10);
			assert_int_equal(meta->owner, owner);
			assert_int_equal(meta->under_owner,
					sf_flow_key_owner(&meta->under.key, nw));
			/* The inner flow is keyed as before: VNI 42 its context. */
			if (meta->cls == SF_PKT_FLOW) {
				assert_int_equal(meta->info.key.ctx_kind, SF_FLOW_CTX_VNI);
				assert_int_equal(meta->info.key.ctx, 42);
			} else {
				assert_int_equal(meta->cls, SF_PKT_NONFLOW);
			}
		}
		for (k = 0; k < nw; k++) {
			for (j = 0; j < cnt[k]; j++) {
				if (out[k][j] != m[i])
					continue;
				seen++;
				assert_true(k == owner || (under && k == meta->under_owner));
				assert_int_equal(sf_pkt_underlay_only(meta, k), k != owner);
			}
		}
		assert_int_equal(seen, under && meta->under_owner != owner ? 2 : 1);
		assert_int_equal(rte_mbuf_refcnt_read(m[i]), seen);
		copies += seen - 1;
	}
	for (k = 0; k < nw; k++)
		total += cnt[k];
	assert_int_equal(total, n + copies);
	assert_true(copies > 0);	/* 3 VTEP ports over 4 workers: some elsewhere */
	for (k = 0; k < nw; k++)
		rte_pktmbuf_free_bulk(out[k], cnt[k]);
	sf_pkt_decap_defaults(&d);
	sf_pkt_decap_set(&d);
}

/* ---- the owner over real captures: replay and dispatcher ---- */

static struct sf_source *
open_source(const char *path, bool replay, unsigned int queues)
{
	static struct sf_config cfg;
	struct sf_source_params sp;
	char err[512];
	struct sf_source *s;

	sf_config_defaults(&cfg);
	if (replay) {
		snprintf(cfg.replay_file, sizeof(cfg.replay_file), "%s", path);
		cfg.replay_loops = 1;
	} else {
		snprintf(cfg.input_file, sizeof(cfg.input_file), "%s", path);
	}
	memset(&sp, 0, sizeof(sp));
	sp.cfg = &cfg;
	sp.nb_queues = queues;
	sp.pool = pool;
	s = sf_source_open(&sp, err, sizeof(err));
	if (s == NULL)
		print_message("%s: %s\n", path, err);
	return s;
}

struct key_slot {
	struct sf_flow_key key;
	bool used;
	uint8_t worker;
};

static struct key_slot slots[MAX_FLOWS];

/* The worker first seen for this key, or `w` if the key is new. */
static unsigned int
first_worker(const struct sf_flow_key *k, unsigned int w, unsigned long *flows)
{
	uint32_t i = sf_flow_key_hash(k) & (MAX_FLOWS - 1);

	while (slots[i].used && !sf_flow_key_eq(&slots[i].key, k))
		i = (i + 1) & (MAX_FLOWS - 1);
	if (!slots[i].used) {
		assert_true(*flows < MAX_FLOWS / 2);
		slots[i].used = true;
		slots[i].key = *k;
		slots[i].worker = (uint8_t)w;
		(*flows)++;
	}
	return slots[i].worker;
}

/*
 * Every capture of tests/data: the replay's queue of each packet is its
 * owner, and through a file source and the dispatcher every packet of a
 * flow reaches the same worker, for 2 to 5 workers.
 */
static void
test_captures(void **state)
{
	static struct rte_mbuf *out[SF_CONFIG_MAX_WORKERS][SF_BURST];
	unsigned int cnt[SF_CONFIG_MAX_WORKERS];
	unsigned long files = 0, replayed = 0, dispatched = 0, flows = 0;
	struct rte_mbuf *m[SF_BURST];
	char path[8192];
	struct dirent *de;
	DIR *d;

	(void)state;
	d = opendir(sf_test_data_dir());
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		unsigned int q, nq, k, i, idle;
		struct sf_source *s;
		uint64_t clock = 0;
		uint16_t n;

		if (strstr(de->d_name, ".pcap") == NULL && strstr(de->d_name, ".cap") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", sf_test_data_dir(), de->d_name);
		nq = 2 + files % 4;
		s = open_source(path, true, nq);
		if (s == NULL)
			continue;
		files++;
		for (q = 0; q < nq; q++) {
			for (idle = 0; idle < 2; ) {
				n = sf_source_rx(s, (uint16_t)q, m, SF_BURST);
				idle = n == 0 ? idle + 1 : 0;
				for (i = 0; i < n; i++)
					assert_int_equal(sf_pkt_owner(sf_pkt_meta(m[i]), nq), q);
				replayed += n;
				rte_pktmbuf_free_bulk(m, n);
			}
		}
		sf_source_close(s);

		memset(slots, 0, sizeof(slots));
		s = open_source(path, false, 1);
		assert_non_null(s);
		while ((n = sf_source_rx(s, 0, m, SF_BURST)) != 0 || !sf_source_eof(s)) {
			sf_pkt_dispatch(m, n, nq, &clock, out, cnt);
			for (k = 0; k < nq; k++)
				for (i = 0; i < cnt[k]; i++) {
					const struct sf_pkt_meta *meta = sf_pkt_meta(out[k][i]);

					if (meta->cls == SF_PKT_FLOW)
						assert_int_equal(first_worker(&meta->info.key, k,
								&flows), k);
				}
			dispatched += n;
			rte_pktmbuf_free_bulk(m, n);
		}
		sf_source_close(s);
	}
	closedir(d);
	print_message("%lu captures: %lu packets replayed, %lu dispatched, %lu flows\n", files,
			replayed, dispatched, flows);
	assert_true(files >= 10);
	assert_int_equal(replayed, dispatched);
	assert_true(flows >= 300);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_burst),
		cmocka_unit_test(test_classify_captured_length),
		cmocka_unit_test(test_classify_segmented),
		cmocka_unit_test(test_owner),
		cmocka_unit_test(test_dispatch_split),
		cmocka_unit_test(test_dispatch_underlay),
		cmocka_unit_test(test_captures),
	};

	sf_test_eal_init();
	pool = rte_pktmbuf_pool_create("test_dispatch", 4096, 0, SF_PKT_META_SIZE,
			RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "cannot create the mbuf pool\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
