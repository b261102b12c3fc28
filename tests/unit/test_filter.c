/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The classify steps: capture filters.
 *
 * Filters: for every capture of tests/data and a list of expressions, the
 * converted eBPF program (JIT-compiled and interpreted) agrees on every
 * packet with libpcap's own interpreter of the classic program; so does
 * the inner filter (raw IP, run at the innermost IP header) with libpcap
 * on the bytes from that header. Bad expressions are refused with
 * libpcap's message.
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
#include "sf_filter.h"
#include "sf_test_eal.h"

#define T0 (UINT64_C(1700000000) * SF_NS_PER_S)

static struct rte_mempool *pool;

static const char *
data_dir(void)
{
	static char dir[4096];
	const char *env = getenv("SF_TEST_DATA");
	const char *slash;

	if (env != NULL)
		return env;
	slash = strrchr(__FILE__, '/');
	snprintf(dir, sizeof(dir), "%.*s/../data", (int)(slash - __FILE__), __FILE__);
	return dir;
}

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

	snprintf(path, sizeof(path), "%s/%s", data_dir(), name);
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
	DIR *d = opendir(data_dir());
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filters_agree_with_libpcap),
		cmocka_unit_test(test_bad_expressions),
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
