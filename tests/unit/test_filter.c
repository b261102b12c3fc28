/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The classify steps: capture filters and duplicate removal.
 *
 * Filters: for every capture of tests/data and a list of expressions, the
 * converted eBPF program (JIT-compiled and interpreted) agrees on every
 * packet with libpcap's own interpreter of the classic program; so does
 * the inner filter (raw IP, run at the innermost IP header) with libpcap
 * on the bytes from that header. Bad expressions are refused with
 * libpcap's message. Duplicate removal: the signature ignores TTL, the IP
 * checksum and VLAN tags and sees the IP id; a copy inside the window is
 * one, outside it is not; the steps give the classes the worker counts.
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
#include <pcap/pcap.h>

#include <rte_mbuf.h>

#include "sf_classify.h"
#include "sf_dedup.h"
#include "sf_filter.h"
#include "sf_test_eal.h"
#include "sf_test_util.h"

#define T0 (UINT64_C(1700000000) * SF_NS_PER_S)

static struct rte_mempool *pool;

static const char *const exprs[] = {
	"tcp", "udp", "not ip", "ip6", "arp", "vlan", "vlan and tcp port 80",
	"tcp[tcpflags] & (tcp-syn|tcp-fin) != 0", "tcp[13] & 2 != 0", "udp[8:2] = 0",
	"ether multicast", "ether[0] & 1 != 0", "ip[8] > 60", "ip[6:2] & 0x3fff != 0",
	"ip6 and tcp", "portrange 1-1023", "net 10.0.0.0/8 or net 192.168.0.0/16",
	"icmp or icmp6", "ip proto 47 or ip6 proto 41", "ip[0] & 0xf > 5",
	"udp[0:2] > udp[2:2]", "tcp[12] >> 4 > 5", "ip and ip[2:2] - ((ip[0]&0xf)<<2) > 100",
};

static const char *const inner_exprs[] = {
	"tcp", "udp port 53", "ip6", "tcp[tcpflags] & tcp-syn != 0", "ip[8] > 60",
	"host 192.168.2.16", "icmp",
};

struct counts {
	unsigned long packets, mismatches, inner_checked, inner_mismatches;
};

static int
open_capture(const char *name, pcap_t **pc)
{
	char path[4096], perr[PCAP_ERRBUF_SIZE];

	snprintf(path, sizeof(path), "%s/%s", sf_test_data_dir(), name);
	*pc = pcap_open_offline(path, perr);
	if (*pc == NULL)
		return -1;
	return pcap_datalink(*pc) == DLT_RAW ? SF_LINK_RAW : pcap_datalink(*pc);
}

/* One capture, one expression: filter vs libpcap, JIT and interpreted. */
static void
check_capture(const char *name, const char *expr, struct counts *c)
{
	struct sf_filter *f[2] = { NULL, NULL };
	struct bpf_program prog;
	char err[512];
	const uint8_t *data;
	struct pcap_pkthdr *h;
	pcap_t *pc;
	int lt, j;

	lt = open_capture(name, &pc);
	if (lt < 0 || !sf_pkt_linktype_supported(lt)) {
		if (pc != NULL)
			pcap_close(pc);
		return;
	}
	if (pcap_compile(pc, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		/* libpcap refuses it for this link type: so must spanflow. */
		assert_int_not_equal(sf_filter_check(expr, lt, err, sizeof(err)), 0);
		assert_non_null(strstr(err, expr));
		pcap_close(pc);
		return;
	}
	for (j = 0; j < 2; j++) {
		struct sf_filter_params fp = { .expr = expr, .linktype = lt, .no_jit = j == 1 };

		f[j] = sf_filter_create(&fp, err, sizeof(err));
		if (f[j] == NULL)
			fail_msg("%s: %s", name, err);
	}
	while (pcap_next_ex(pc, &h, &data) == 1) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		struct pcap_pkthdr hh = *h;
		uint32_t len = h->caplen;
		int want;

		assert_non_null(m);
		if (len > rte_pktmbuf_tailroom(m))
			len = rte_pktmbuf_tailroom(m);
		memcpy(rte_pktmbuf_append(m, (uint16_t)len), data, len);
		/* What the filter sees: the bytes in the mbuf, as captured. */
		hh.caplen = len;
		hh.len = len;
		want = pcap_offline_filter(&prog, &hh, data) != 0;
		c->packets++;
		for (j = 0; j < 2; j++)
			if (sf_filter_match(f[j], m) != want) {
				c->mismatches++;
				print_message("%s '%s' packet %lu: %s says %d, libpcap %d\n", name,
						expr, c->packets, j ? "interpreter" : "JIT", !want,
						want);
			}
		rte_pktmbuf_free(m);
	}
	pcap_freecode(&prog);
	sf_filter_free(f[0]);
	sf_filter_free(f[1]);
	pcap_close(pc);
}

/* The inner filter at the innermost IP header of each flow packet. */
static void
check_inner(const char *name, const char *expr, struct counts *c)
{
	struct sf_filter *f[2] = { NULL, NULL };
	struct bpf_program prog;
	pcap_t *raw = pcap_open_dead(DLT_RAW, 262144);
	char err[512];
	const uint8_t *data;
	struct pcap_pkthdr *h;
	pcap_t *pc;
	int lt, j;

	lt = open_capture(name, &pc);
	if (lt < 0 || !sf_pkt_linktype_supported(lt)) {
		if (pc != NULL)
			pcap_close(pc);
		pcap_close(raw);
		return;
	}
	assert_int_equal(pcap_compile(raw, &prog, expr, 1, PCAP_NETMASK_UNKNOWN), 0);
	for (j = 0; j < 2; j++) {
		struct sf_filter_params fp = { .expr = expr, .linktype = SF_LINK_RAW,
			.no_jit = j == 1 };

		f[j] = sf_filter_create(&fp, err, sizeof(err));
		if (f[j] == NULL)
			fail_msg("%s: %s", name, err);
	}
	while (pcap_next_ex(pc, &h, &data) == 1) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		struct sf_pkt_meta *meta;
		struct pcap_pkthdr hh = *h;
		uint32_t len = h->caplen;
		uint16_t off;
		int want;

		assert_non_null(m);
		if (len > rte_pktmbuf_tailroom(m))
			len = rte_pktmbuf_tailroom(m);
		memcpy(rte_pktmbuf_append(m, (uint16_t)len), data, len);
		sf_pkt_meta_in(m, T0, len, 0);
		sf_classify_burst(&m, 1, (enum sf_linktype)lt);
		meta = sf_pkt_meta(m);
		if (meta->cls == SF_PKT_FLOW) {
			off = meta->info.l3_off;
			hh.caplen = len - off;
			hh.len = len - off;
			want = pcap_offline_filter(&prog, &hh, data + off) != 0;
			c->inner_checked++;
			for (j = 0; j < 2; j++)
				if (sf_filter_match_at(f[j], m, off) != want)
					c->inner_mismatches++;
			/* The mbuf is as it was. */
			assert_int_equal(rte_pktmbuf_data_len(m), len);
		}
		rte_pktmbuf_free(m);
	}
	pcap_freecode(&prog);
	pcap_close(raw);
	sf_filter_free(f[0]);
	sf_filter_free(f[1]);
	pcap_close(pc);
}

static int
is_capture(const char *n)
{
	size_t l = strlen(n);

	return (l > 5 && strcmp(n + l - 5, ".pcap") == 0) ||
		(l > 4 && strcmp(n + l - 4, ".cap") == 0);
}

static void
test_filters_agree_with_libpcap(void **state)
{
	struct counts c = { 0 };
	struct dirent *e;
	DIR *d = opendir(sf_test_data_dir());
	unsigned int i, caps = 0;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (!is_capture(e->d_name))
			continue;
		caps++;
		for (i = 0; i < RTE_DIM(exprs); i++)
			check_capture(e->d_name, exprs[i], &c);
		for (i = 0; i < RTE_DIM(inner_exprs); i++)
			check_inner(e->d_name, inner_exprs[i], &c);
	}
	closedir(d);
	print_message("%u captures: %lu packet x filter checks, %lu inner; %lu + %lu "
			"disagreements\n", caps, c.packets, c.inner_checked, c.mismatches,
			c.inner_mismatches);
	assert_true(caps >= 10);
	assert_true(c.packets > 10000);
	assert_true(c.inner_checked > 1000);
	assert_int_equal(c.mismatches, 0);
	assert_int_equal(c.inner_mismatches, 0);
}

static void
test_bad_expressions(void **state)
{
	char err[512];

	(void)state;
	assert_int_equal(sf_filter_check("tcp port 80", SF_LINK_ETHER, err, sizeof(err)), 0);
	assert_int_not_equal(sf_filter_check("tcp port nosuch", SF_LINK_ETHER, err,
			sizeof(err)), 0);
	assert_non_null(strstr(err, "'tcp port nosuch'"));
	assert_non_null(strstr(err, "nosuch"));
	assert_int_not_equal(sf_filter_check("tcp and (", SF_LINK_ETHER, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "syntax error"));
	/* No link layer in raw IP. */
	assert_int_not_equal(sf_filter_check("vlan 7", SF_LINK_RAW, err, sizeof(err)), 0);
	assert_int_not_equal(sf_filter_check("ether host 1:2:3:4:5:6", SF_LINK_RAW, err,
			sizeof(err)), 0);
}

/* ---- duplicate removal ---- */

/* Ethernet (optionally one VLAN tag) + IPv4 + TCP. */
static struct rte_mbuf *
tcp_frame(int vlan, uint8_t ttl, uint16_t ip_id, uint32_t seq, uint64_t ts)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t p[128];
	unsigned int o = 0, len = 14 + (vlan ? 4 : 0) + 40 + 10;
	char *dst;

	assert_non_null(m);
	memset(p, 0, sizeof(p));
	memcpy(p, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12);
	o = 12;
	if (vlan) {
		p[o++] = 0x81, p[o++] = 0x00, p[o++] = (uint8_t)(vlan >> 8), p[o++] = (uint8_t)vlan;
	}
	p[o++] = 0x08, p[o++] = 0x00;
	p[o] = 0x45;
	p[o + 2] = 0, p[o + 3] = 50;
	p[o + 4] = (uint8_t)(ip_id >> 8), p[o + 5] = (uint8_t)ip_id;
	p[o + 6] = 0x40;
	p[o + 8] = ttl;
	p[o + 9] = 6;
	p[o + 10] = ttl;	/* a checksum that changes with the TTL, as a router's */
	memcpy(p + o + 12, "\x0a\0\0\x01\x0a\0\0\x02", 8);
	o += 20;
	p[o] = 0x30, p[o + 1] = 0x39, p[o + 2] = 0, p[o + 3] = 80;
	p[o + 4] = (uint8_t)(seq >> 24), p[o + 5] = (uint8_t)(seq >> 16);
	p[o + 6] = (uint8_t)(seq >> 8), p[o + 7] = (uint8_t)seq;
	p[o + 12] = 0x50, p[o + 13] = 0x18;
	dst = rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(dst);
	memcpy(dst, p, len);
	sf_pkt_meta_in(m, ts, len, 0);
	sf_classify_burst(&m, 1, SF_LINK_ETHER);
	assert_int_equal(sf_pkt_meta(m)->cls, SF_PKT_FLOW);
	return m;
}

static uint64_t
sig_of(struct rte_mbuf *m)
{
	uint64_t s = sf_dedup_signature(m, &sf_pkt_meta(m)->info);

	rte_pktmbuf_free(m);
	return s;
}

static void
test_dedup_signature(void **state)
{
	uint64_t a = sig_of(tcp_frame(0, 64, 7, 1000, T0));

	(void)state;
	assert_int_not_equal(a, 0);
	/* A SPAN copy: another TTL and IP checksum, a VLAN tag. */
	assert_int_equal(sig_of(tcp_frame(0, 63, 7, 1000, T0)), a);
	assert_int_equal(sig_of(tcp_frame(100, 63, 7, 1000, T0)), a);
	assert_int_equal(sig_of(tcp_frame(200, 62, 7, 1000, T0)), a);
	/* Another packet: IP id, TCP sequence. */
	assert_int_not_equal(sig_of(tcp_frame(0, 64, 8, 1000, T0)), a);
	assert_int_not_equal(sig_of(tcp_frame(0, 64, 7, 1001, T0)), a);
}

static void
test_dedup_window(void **state)
{
	struct sf_dedup_params p = { .entries = 1024, .window_ns = 2 * SF_NS_PER_MS,
		.socket_id = SOCKET_ID_ANY };
	struct sf_dedup *d = sf_dedup_create(&p);
	uint64_t i;

	(void)state;
	assert_non_null(d);
	assert_false(sf_dedup_seen(d, (0x1234567ull << 32), T0));
	assert_true(sf_dedup_seen(d, (0x1234567ull << 32), T0 + 5000));		/* 5 us later */
	assert_true(sf_dedup_seen(d, (0x1234567ull << 32), T0 + SF_NS_PER_MS));	/* a third */
	/* A copy does not extend the window: 2.5 ms after the original, a new one. */
	assert_false(sf_dedup_seen(d, (0x1234567ull << 32), T0 + 2500 * 1000));
	/* A retransmission 200 ms later is no copy. */
	assert_false(sf_dedup_seen(d, (0x7777ull << 32), T0));
	assert_false(sf_dedup_seen(d, (0x7777ull << 32), T0 + 200 * SF_NS_PER_MS));
	/* Many packets in one bucket: the oldest are forgotten, and counted. */
	for (i = 0; i < 8; i++)
		assert_false(sf_dedup_seen(d, (i << 40) | 0x99ull, T0 + 10 * SF_NS_PER_MS + i));
	assert_int_equal(sf_dedup_forgotten(d), 4);
	sf_dedup_free(d);
	p.entries = 1000;
	assert_null(sf_dedup_create(&p));
	sf_dedup_free(NULL);
}

static void
test_steps(void **state)
{
	struct sf_classify_params p = { .linktype = SF_LINK_ETHER, .filter = "tcp port 80",
		.inner_filter = "ip[8] < 64", .dedup = true, .dedup_window_ns = SF_NS_PER_MS,
		.dedup_entries = 1024, .socket_id = SOCKET_ID_ANY };
	struct rte_mbuf *m[5];
	char err[256];
	struct sf_classify *c;
	unsigned int i;

	(void)state;
	c = sf_classify_create(&p, err, sizeof(err));
	assert_non_null(c);
	m[0] = tcp_frame(0, 60, 1, 1, T0);		/* kept */
	m[1] = tcp_frame(0, 59, 1, 1, T0 + 1000);	/* its copy */
	m[2] = tcp_frame(100, 60, 1, 1, T0 + 2000);	/* its copy, tagged: outer filter */
	m[3] = tcp_frame(0, 64, 2, 2, T0 + 3000);	/* inner filter: TTL 64 */
	m[4] = tcp_frame(0, 60, 1, 1, T0 + 5 * SF_NS_PER_MS);	/* past the window */
	sf_classify_steps(c, m, 5);
	assert_int_equal(sf_pkt_meta(m[0])->cls, SF_PKT_FLOW);
	assert_int_equal(sf_pkt_meta(m[1])->cls, SF_PKT_DUPLICATE);
	assert_int_equal(sf_pkt_meta(m[2])->cls, SF_PKT_FILTERED);
	assert_int_equal(sf_pkt_meta(m[3])->cls, SF_PKT_FILTERED);
	assert_int_equal(sf_pkt_meta(m[4])->cls, SF_PKT_FLOW);
	for (i = 0; i < 5; i++)
		rte_pktmbuf_free(m[i]);
	sf_classify_free(c);

	/* Removal off: copies are kept; runs of packets are examined, and copies marked. */
	p.filter = NULL;
	p.inner_filter = NULL;
	p.dedup = false;
	p.dedup_entries = 65536;
	c = sf_classify_create(&p, err, sizeof(err));
	assert_non_null(c);
	{
		/* The first run (SF_DEDUP_RUN packets): every pair examined, every copy found. */
		unsigned int j, n = SF_DEDUP_RUN / 2, bursts = 0;
		struct rte_mbuf *b[32];
		uint64_t t;

		for (i = 0; i < n; i++) {
			b[0] = tcp_frame(0, 64, (uint16_t)i, i * 7919, T0 + i * 10000);
			b[1] = tcp_frame(7, 63, (uint16_t)i, i * 7919, T0 + i * 10000 + 3000);
			sf_classify_steps(c, b, 2);
			assert_int_equal(sf_pkt_meta(b[0])->cls, SF_PKT_FLOW);
			assert_int_equal(sf_pkt_meta(b[1])->cls, SF_PKT_FLOW);
			assert_int_equal(sf_pkt_meta(b[0])->mark, SF_PKT_MARK_SAMPLED);
			assert_int_equal(sf_pkt_meta(b[1])->mark,
					SF_PKT_MARK_SAMPLED | SF_PKT_MARK_COPY);
			rte_pktmbuf_free(b[0]);
			rte_pktmbuf_free(b[1]);
		}
		/* Then nothing, for (SF_DEDUP_SCALE - 1) runs' worth of packets ... */
		t = T0 + (uint64_t)n * 10000;
		for (j = 0; j < 32; j++)
			b[j] = tcp_frame(0, 64, (uint16_t)j, j * 31, t);
		for (;;) {
			for (j = 0; j < 32; j++)
				sf_pkt_meta(b[j])->mark = 0;
			sf_classify_steps(c, b, 32);
			if (sf_pkt_meta(b[0])->mark != 0)
				break;
			bursts++;
			assert_true(bursts <= SF_DEDUP_RUN * (SF_DEDUP_SCALE - 1) / 32);
		}
		assert_int_equal(bursts, SF_DEDUP_RUN * (SF_DEDUP_SCALE - 1) / 32 - 1);
		/* ... and a new run. */
		assert_int_equal(sf_pkt_meta(b[31])->mark, SF_PKT_MARK_SAMPLED);
		for (j = 0; j < 32; j++)
			rte_pktmbuf_free(b[j]);
	}
	sf_classify_free(c);
	sf_classify_free(NULL);
}

/* Sampling: count keeps every Nth flow packet, random one in each N, flow whole flows. */
static void
test_sampling(void **state)
{
	struct sf_classify_params p = { .linktype = SF_LINK_ETHER, .dedup_entries = 1024,
		.dedup_window_ns = SF_NS_PER_MS, .socket_id = SOCKET_ID_ANY, .sampling_rate = 4 };
	char err[256];
	struct sf_classify *c;
	unsigned int i, kept, block, owned[3] = { 0, 0, 0 };
	uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };

	(void)state;
	/* count: the 1st, 5th, 9th, ... */
	p.sampling = SF_SAMPLING_COUNT;
	c = sf_classify_create(&p, err, sizeof(err));
	assert_non_null(c);
	for (i = 0; i < 101; i++) {
		struct rte_mbuf *m = tcp_frame(0, 64, (uint16_t)i, i, T0 + i * 1000);

		sf_classify_steps(c, &m, 1);
		assert_int_equal(sf_pkt_meta(m)->cls, i % 4 == 0 ? SF_PKT_FLOW : SF_PKT_SAMPLED_OUT);
		rte_pktmbuf_free(m);
	}
	sf_classify_free(c);

	/* random: exactly one in each block of 4, not always at the same place */
	p.sampling = SF_SAMPLING_RANDOM;
	c = sf_classify_create(&p, err, sizeof(err));
	assert_non_null(c);
	kept = 0;
	block = 0;
	{
		unsigned int where[4] = { 0, 0, 0, 0 };

		for (i = 0; i < 4000; i++) {
			struct rte_mbuf *m = tcp_frame(0, 64, (uint16_t)i, i, T0 + i * 1000);

			sf_classify_steps(c, &m, 1);
			if (sf_pkt_meta(m)->cls == SF_PKT_FLOW) {
				block++;
				where[i % 4]++;
			}
			if (i % 4 == 3) {
				assert_int_equal(block, 1);
				kept++;
				block = 0;
			}
			rte_pktmbuf_free(m);
		}
		/* 1000 blocks: each position about 250 times (binomial sd 13.7; 5 sd). */
		for (i = 0; i < 4; i++)
			assert_true(where[i] > 250 - 69 && where[i] < 250 + 69);
	}
	assert_int_equal(kept, 1000);
	sf_classify_free(c);

	/* flow: a packet is kept iff its flow is; about 1 flow in 4 */
	p.sampling = SF_SAMPLING_FLOW;
	c = sf_classify_create(&p, err, sizeof(err));
	assert_non_null(c);
	for (i = 0; i < 50; i++) {
		struct rte_mbuf *m = tcp_frame(0, 64, (uint16_t)i, i, T0 + i * 1000);
		bool want = sf_classify_flow_sampled(&sf_pkt_meta(m)->info.key, 4);

		sf_classify_steps(c, &m, 1);
		assert_int_equal(sf_pkt_meta(m)->cls, want ? SF_PKT_FLOW : SF_PKT_SAMPLED_OUT);
		rte_pktmbuf_free(m);
	}
	sf_classify_free(c);
	kept = 0;
	for (i = 0; i < 40000; i++) {
		struct sf_flow_key k, r;

		sf_flow_key_make(&k, 4, a, b, 4, (uint16_t)(1024 + i), 443, 6, 0);
		sf_flow_key_make(&r, 4, b, a, 4, 443, (uint16_t)(1024 + i), 6, 0);
		assert_int_equal(sf_classify_flow_sampled(&k, 4), sf_classify_flow_sampled(&r, 4));
		if (sf_classify_flow_sampled(&k, 4)) {
			kept++;
			owned[sf_flow_key_owner(&k, 3)]++;
		}
	}
	/* 10000 expected; binomial sd 86.6: 5 sd either way. */
	print_message("flow sampling: %u of 40000 flows kept at 1 in 4; workers of 3 own %u, %u, "
			"%u\n", kept, owned[0], owned[1], owned[2]);
	assert_true(kept > 10000 - 433 && kept < 10000 + 433);
	/* Kept flows spread over the workers as all flows do (the hashes are independent). */
	for (i = 0; i < 3; i++)
		assert_true(owned[i] > kept / 3 - 300 && owned[i] < kept / 3 + 300);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filters_agree_with_libpcap),
		cmocka_unit_test(test_bad_expressions),
		cmocka_unit_test(test_dedup_signature),
		cmocka_unit_test(test_dedup_window),
		cmocka_unit_test(test_steps),
		cmocka_unit_test(test_sampling),
	};

	sf_test_eal_init();
	pool = rte_pktmbuf_pool_create("test_filter", 4096, 0, SF_PKT_META_SIZE,
			RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "cannot create the mbuf pool\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
