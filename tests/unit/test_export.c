/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON lines and CSV: a record formats to the exact documented line, and
 * to what printf and inet_ntop() give for any value; the exporter table
 * opens what the configuration asks for.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sf_export.h"
#include "sf_pkt.h"

static void
make_record(struct sf_flow_record *r, int v6)
{
	uint8_t a4[4] = { 192, 0, 2, 10 }, b4[4] = { 198, 51, 100, 7 };
	uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	uint8_t b6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	enum sf_flow_dir d;

	memset(r, 0, sizeof(*r));
	/* The initiator is the higher end of the canonical key here. */
	if (v6)
		d = sf_flow_key_make(&r->key, 6, b6, a6, 16, 443, 51000, 6, 100);
	else
		d = sf_flow_key_make(&r->key, 4, b4, a4, 4, 53, 40000, 17, 0);
	r->initiator = (uint8_t)d;
	r->start_ns = 1700000000123456789ULL;
	r->end_ns = 1700000001000000000ULL;
	r->packets[0] = 3;
	r->bytes[0] = 180;
	r->packets[1] = 2;
	r->bytes[1] = 1500;
	r->tcp_flags[0] = 0x1b;
	r->tcp_flags[1] = 0x12;
	r->dscp = 46;
	r->port = v6 ? 2 : 0;
	r->end_reason = SF_END_TCP_RST;
	r->sampling = SF_SAMPLING_NONE;
	r->sampling_rate = 1;
}

static void
test_record_v4(void **state)
{
	struct sf_flow_record r;
	char buf[1024];
	size_t n;

	(void)state;
	make_record(&r, 0);
	assert_int_equal(r.initiator, SF_DIR_HI);
	n = sf_jsonl_format_record(buf, sizeof(buf), &r);
	assert_string_equal(buf,
		"{\"start_ns\":1700000000123456789,\"end_ns\":1700000001000000000,"
		"\"src_addr\":\"198.51.100.7\",\"src_port\":53,"
		"\"dst_addr\":\"192.0.2.10\",\"dst_port\":40000,"
		"\"proto\":17,\"ip_version\":4,\"vlan\":0,\"tunnel\":\"none\",\"tunnel_id\":0,\"ingress_port\":0,"
		"\"packets\":3,\"bytes\":180,\"rev_packets\":2,\"rev_bytes\":1500,"
		"\"tcp_flags\":27,\"rev_tcp_flags\":18,\"dscp\":46,\"end_reason\":\"tcp_rst\",\"sampling\":\"none\",\"sampling_rate\":1}");
	assert_int_equal(n, strlen(buf));
}

static void
test_record_v6_and_truncation(void **state)
{
	struct sf_flow_record r;
	char buf[1024], small[40];
	size_t n;

	(void)state;
	make_record(&r, 1);
	n = sf_jsonl_format_record(buf, sizeof(buf), &r);
	assert_non_null(strstr(buf, "\"src_addr\":\"2001:db8::2\",\"src_port\":443,"
			"\"dst_addr\":\"2001:db8::1\",\"dst_port\":51000,\"proto\":6,"
			"\"ip_version\":6,\"vlan\":100,\"tunnel\":\"none\",\"tunnel_id\":0,\"ingress_port\":2,"));
	/* A short buffer is cut, terminated, and the full length reported. */
	assert_int_equal(sf_jsonl_format_record(small, sizeof(small), &r), n);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, buf, sizeof(small) - 1);
}

static void
test_file_lines(void **state)
{
	char path[] = "/tmp/sf_test_export_XXXXXX";
	char err[256], line[2048];
	struct sf_flow_record r;
	struct sf_interval_agg a;
	struct sf_jsonl *j;
	FILE *f;
	int fd, lines = 0;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	j = sf_jsonl_open(path, 10000000000ULL, NULL, err, sizeof(err));
	assert_non_null(j);
	make_record(&r, 0);
	sf_jsonl_write_record(j, &r);
	memset(&a, 0, sizeof(a));
	a.interval = 170000000;
	a.received = a.flowed = 5;
	a.proto_packets[17] = 5;
	a.proto_bytes[17] = 1680;
	a.bytes = 1680;
	a.flows_ended[SF_END_TCP_RST] = 1;
	sf_jsonl_write_interval(j, &a);
	assert_int_equal(sf_jsonl_close(j, err, sizeof(err)), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		assert_true(line[strlen(line) - 1] == '\n');
		lines++;
		if (lines == 2) {
			assert_non_null(strstr(line, "\"interval_start_ns\":1700000000000000000,"
					"\"interval_ns\":10000000000,\"received\":5,\"packets\":5,"
					"\"bytes\":1680,"));
			assert_non_null(strstr(line, "\"protocols\":[{\"proto\":17,\"packets\":5,"
					"\"bytes\":1680}]"));
			assert_non_null(strstr(line, "\"flows\":{\"new\":0,\"ended\":1,"
					"\"active\":0}"));
		}
	}
	fclose(f);
	unlink(path);
	assert_int_equal(lines, 2);
}

/* The TCP health columns, and a record's cells without them. */
#define TCP_HEADER "rtt_server_ns,rtt_client_ns,retrans_packets,rev_retrans_packets," \
	"retrans_bytes,rev_retrans_bytes,ooo_packets,rev_ooo_packets,dup_acks,rev_dup_acks," \
	"zero_windows,rev_zero_windows,tcp_init_flags,rev_tcp_init_flags,syn_mss,rev_syn_mss," \
	"syn_wscale,rev_syn_wscale,syn_sack,rev_syn_sack,syn_ts,rev_syn_ts,syn_packets," \
	"rev_syn_packets,fin_packets,rev_fin_packets,rst_packets,rev_rst_packets,psh_packets," \
	"rev_psh_packets,ack_packets,rev_ack_packets,urg_packets,rev_urg_packets,conn_state,history"
#define TCP_NONE ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,"
/* The application metadata columns, and a record's cells without them. */
#define APP_HEADER "app,tls_sni,tls_alpn,tls_version,tls_ja3,tls_ja4,quic_version,dns_qname," \
	"dns_qtype,dns_rcode,http_host,http_method,http_user_agent"
#define APP_NONE ",,,,,,,,,,,,,"
/* The flow features columns (nfstream's names), and a record's cells without them. */
#define FEAT_HEADER "bidirectional_min_ps,bidirectional_mean_ps,bidirectional_stddev_ps," \
	"bidirectional_max_ps,src2dst_min_ps,src2dst_mean_ps,src2dst_stddev_ps,src2dst_max_ps," \
	"dst2src_min_ps,dst2src_mean_ps,dst2src_stddev_ps,dst2src_max_ps," \
	"bidirectional_min_piat_ms,bidirectional_mean_piat_ms,bidirectional_stddev_piat_ms," \
	"bidirectional_max_piat_ms,src2dst_min_piat_ms,src2dst_mean_piat_ms," \
	"src2dst_stddev_piat_ms,src2dst_max_piat_ms,dst2src_min_piat_ms,dst2src_mean_piat_ms," \
	"dst2src_stddev_piat_ms,dst2src_max_piat_ms,splt_direction,splt_ps,splt_piat_ms"
#define FEAT_NONE ",,,,,,,,,,,,,,,,,,,,,,,,,,,"

static void
test_csv_line(void **state)
{
	struct sf_flow_record r;
	char buf[2048];
	size_t n;

	(void)state;
	make_record(&r, 0);
	assert_string_equal(sf_csv_header(), "start_ns,end_ns,src_addr,src_port,dst_addr,"
			"dst_port,proto,ip_version,vlan,tunnel,tunnel_id,ingress_port,packets,bytes,rev_packets,rev_bytes,"
			"tcp_flags,rev_tcp_flags,dscp,end_reason,sampling,sampling_rate,encap,"
			"outer_src,outer_dst,erspan_session,vni,gre_key,teid,mpls_label1,"
			"mpls_label2,mpls_label3," TCP_HEADER "," APP_HEADER "," FEAT_HEADER "\n");
	n = sf_csv_format_record(buf, sizeof(buf), &r);
	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf, "1700000000123456789,1700000001000000000,198.51.100.7,53,"
			"192.0.2.10,40000,17,4,0,none,0,0,3,180,2,1500,27,18,46,tcp_rst,none,1,"
			",,,,,,,,," TCP_NONE APP_NONE FEAT_NONE);
	/* A flow in GRE (key 7) over MPLS, in IPv4. */
	r.tun.encaps = (1u << SF_ENCAP_MPLS) | (1u << SF_ENCAP_GRE);
	r.tun.ids = SF_PKT_ID_GRE_KEY;
	r.tun.gre_key = 7;
	r.tun.outer_ipver = 4;
	memcpy(r.tun.outer_src, ((uint8_t[]){ 203, 0, 113, 1 }), 4);
	memcpy(r.tun.outer_dst, ((uint8_t[]){ 203, 0, 113, 2 }), 4);
	r.tun.n_mpls = 2;
	r.tun.mpls[0] = 16;
	r.tun.mpls[1] = 1048575;
	n = sf_csv_format_record(buf, sizeof(buf), &r);
	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf, "1700000000123456789,1700000001000000000,198.51.100.7,53,"
			"192.0.2.10,40000,17,4,0,none,0,0,3,180,2,1500,27,18,46,tcp_rst,none,1,"
			"mpls+gre,203.0.113.1,203.0.113.2,,,7,,16,1048575," TCP_NONE APP_NONE FEAT_NONE);
	n = sf_jsonl_format_record(buf, sizeof(buf), &r);
	assert_non_null(strstr(buf, "\"sampling_rate\":1,\"encap\":\"mpls+gre\",\"outer_src\":"
			"\"203.0.113.1\",\"outer_dst\":\"203.0.113.2\",\"gre_key\":7,"
			"\"mpls_label1\":16,\"mpls_label2\":1048575}"));

	/*
	 * An HTTP request's texts as lib/app stores them: a quote and a comma
	 * quote the CSV cell (quotes doubled), JSON escapes the quote and the
	 * backslash of \xHH; UTF-8 passes. The DNS and TLS values are not HTTP's.
	 */
	memset(&r.tun, 0, sizeof(r.tun));
	r.app.kind = SF_APP_HTTP;
	r.app.flags = SF_FLOW_APP_QTYPE | SF_FLOW_APP_RCODE;
	r.app.dns_qtype = 1;
	r.app.tls_version = 0x0304;
	snprintf(r.app.name, sizeof(r.app.name), "a\"b,c.example");
	snprintf(r.app.method, sizeof(r.app.method), "GET");
	snprintf(r.app.ua, sizeof(r.app.ua), "curl/8 \\x01 caf\xc3\xa9");
	snprintf(r.app.ja4, sizeof(r.app.ja4), "t13d1516h2_8daaf6152771_d8a2da3f94cd");
	n = sf_csv_format_record(buf, sizeof(buf), &r);
	assert_int_equal(n, strlen(buf));
	assert_non_null(strstr(buf, TCP_NONE ",http,,,,,,,,,,\"a\"\"b,c.example\",GET,"
			"curl/8 \\x01 caf\xc3\xa9"));
	/* the last app cell, then the empty feature cells end the line */
	assert_string_equal(buf + n - strlen("caf\xc3\xa9" FEAT_NONE), "caf\xc3\xa9" FEAT_NONE);
	n = sf_jsonl_format_record(buf, sizeof(buf), &r);
	assert_non_null(strstr(buf, "\"sampling_rate\":1,\"app\":\"http\",\"http_host\":"
			"\"a\\\"b,c.example\",\"http_method\":\"GET\",\"http_user_agent\":"
			"\"curl/8 \\\\x01 caf\xc3\xa9\"}"));
	/* The same texts in a QUIC flow are its TLS ClientHello's; no CSV quotes without need. */
	r.app.kind = SF_APP_QUIC;
	r.app.quic_version = 0x6b3343cf;
	snprintf(r.app.name, sizeof(r.app.name), "www.example.com");
	snprintf(r.app.alpn, sizeof(r.app.alpn), "h3");
	n = sf_csv_format_record(buf, sizeof(buf), &r);
	assert_non_null(strstr(buf, TCP_NONE ",quic,www.example.com,h3,TLS 1.3,,"
			"t13d1516h2_8daaf6152771_d8a2da3f94cd,1798521807,,,,,,"));
	assert_string_equal(buf + n - strlen(",,,," FEAT_NONE), ",,,," FEAT_NONE);
	n = sf_jsonl_format_record(buf, sizeof(buf), &r);
	assert_non_null(strstr(buf, "\"sampling_rate\":1,\"app\":\"quic\",\"tls_sni\":"
			"\"www.example.com\",\"tls_alpn\":\"h3\",\"tls_version\":\"TLS 1.3\","
			"\"tls_ja4\":\"t13d1516h2_8daaf6152771_d8a2da3f94cd\","
			"\"quic_version\":1798521807}"));
	/* DNS: the question's type and the response's code when known; rcode 0 is a value. */
	r.app.kind = SF_APP_DNS;
	r.app.flags = SF_FLOW_APP_RCODE;
	r.app.dns_rcode = 0;
	snprintf(r.app.name, sizeof(r.app.name), "<Root>");
	n = sf_csv_format_record(buf, sizeof(buf), &r);
	assert_non_null(strstr(buf, TCP_NONE ",dns,,,,,,,<Root>,,0,,,"));
	n = sf_jsonl_format_record(buf, sizeof(buf), &r);
	assert_non_null(strstr(buf, "\"sampling_rate\":1,\"app\":\"dns\",\"dns_qname\":"
			"\"<Root>\",\"dns_rcode\":0}"));
}

/* splitmix64: reproducible test values. */
static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number of any digit count, often at a digit-count edge (10^k - 1, 10^k). */
static uint64_t
rnd_num(uint64_t *s)
{
	uint64_t v = rnd(s), p10 = 1;
	unsigned int k = (unsigned int)(v % 24), i;

	if (k == 0)
		return 0;
	if (k == 21)
		return UINT64_MAX;
	if (k >= 22) {
		for (i = (unsigned int)(rnd(s) % 20); i > 0; i--)
			p10 *= 10;
		return p10 - (k == 22);
	}
	return rnd(s) >> (64 - 3 * k);
}

/*
 * An address with the shapes that change its text: runs of zero words of
 * every length and place, IPv4-mapped and -compatible prefixes, words of
 * 1 to 4 hex digits, bytes of 1 to 3 decimal digits.
 */
static void
rnd_addr(uint64_t *s, uint8_t a[16])
{
	unsigned int i, shape = (unsigned int)(rnd(s) % 6);

	for (i = 0; i < 16; i += 2) {
		uint64_t v = rnd(s);
		unsigned int w = (unsigned int)(v >> 16) & 0xffff;

		switch (v % 5) {
		case 0: case 1: w = 0; break;
		case 2: w &= 0xf; break;
		case 3: w &= 0xff; break;
		default: break;
		}
		a[i] = (uint8_t)(w >> 8);
		a[i + 1] = (uint8_t)w;
	}
	if (shape == 1)		/* ::a.b.c.d, ::ffff:a.b.c.d and their near misses */
		memset(a, 0, 10 + (rnd(s) % 3) * 2);
	if (shape == 2) {
		memset(a, 0, 10);
		a[10] = a[11] = 0xff;
	}
	if (shape == 3)
		memset(a, 0, 16);
	if (shape == 4) {
		unsigned int off = (unsigned int)(rnd(s) % 16);

		memset(a + off, 0, rnd(s) % (16 - off));	/* a run of zeros inside the address */
	}
}

/* A code point's UTF-8 bytes at p; their count. */
static size_t
utf8_put(char *p, uint32_t cp)
{
	if (cp < 0x80) {
		p[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		p[0] = (char)(0xc0 | cp >> 6);
		p[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		p[0] = (char)(0xe0 | cp >> 12);
		p[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		p[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	p[0] = (char)(0xf0 | cp >> 18);
	p[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	p[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	p[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * A text as lib/app stores one in a field of cap bytes (sf_app_text):
 * printable ASCII but the backslash, quotes and commas often, \xHH (the
 * only way a backslash appears), valid UTF-8 of 2 to 4 bytes (C1 controls
 * and the last code points included); empty, short, or filled up to
 * cap - 1 bytes without cutting a character.
 */
static void
rnd_text(uint64_t *s, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	unsigned int mode = (unsigned int)(rnd(s) % 4);
	size_t o = 0, want = mode == 0 ? 0 : mode == 1 ? (size_t)(rnd(s) % 12) : cap - 1;
	char piece[4];
	size_t k;

	if (mode == 2)
		want = (size_t)(rnd(s) % cap);
	while (o < want) {
		uint64_t v = rnd(s);
		uint32_t cp;

		switch (v % 10) {
		case 0: piece[0] = '"'; k = 1; break;
		case 1: piece[0] = ','; k = 1; break;
		case 2:
			piece[0] = '\\';
			piece[1] = 'x';
			piece[2] = hex[(v >> 8) & 15];
			piece[3] = hex[(v >> 12) & 15];
			k = 4;
			break;
		case 3:
			cp = 0x80 + (uint32_t)((v >> 8) % (0x800 - 0x80));
			k = utf8_put(piece, cp);
			break;
		case 4:
			cp = 0x800 + (uint32_t)((v >> 8) % (0x10000 - 0x800 - 0x800));
			if (cp >= 0xd800)
				cp += 0x800;	/* no surrogates */
			k = utf8_put(piece, cp);
			break;
		case 5:
			cp = (v >> 8) & 1 ? 0x10ffff : 0x10000 + (uint32_t)((v >> 9) % 0x100000);
			k = utf8_put(piece, cp);
			break;
		default:
			piece[0] = (char)(0x20 + (v >> 8) % 95);
			if (piece[0] == '\\')
				piece[0] = '/';
			k = 1;
			break;
		}
		if (o + k > want) {
			/* the rest in ASCII: a full field ends on a character */
			memset(out + o, 'z', want - o);
			o = want;
			break;
		}
		memcpy(out + o, piece, k);
		o += k;
	}
	out[o] = '\0';
}

/* Any application metadata: every kind (and one past), texts in every field whatever the kind. */
static void
rnd_app(uint64_t *s, struct sf_flow_app *a)
{
	static const uint16_t versions[] = { 0, 0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x0305,
		0x7f1c, 0xfefd };

	a->kind = (uint8_t)(rnd(s) % (SF_APP_KINDS + 1));
	a->flags = (uint8_t)(rnd(s) & (SF_FLOW_APP_RCODE | SF_FLOW_APP_CUT | SF_FLOW_APP_QTYPE));
	a->dns_rcode = (uint8_t)(rnd(s) % 3 == 0 ? 0 : rnd_num(s));
	a->dns_qtype = (uint16_t)rnd_num(s);
	a->tls_version = rnd(s) % 3 == 0 ? (uint16_t)rnd(s) :
		versions[rnd(s) % (sizeof(versions) / sizeof(versions[0]))];
	a->quic_version = (uint32_t)(rnd(s) % 3 == 0 ? 0 : rnd_num(s));
	rnd_text(s, a->name, sizeof(a->name));
	rnd_text(s, a->alpn, sizeof(a->alpn));
	rnd_text(s, a->ja3, sizeof(a->ja3));
	rnd_text(s, a->ja4, sizeof(a->ja4));
	rnd_text(s, a->method, sizeof(a->method));
	rnd_text(s, a->ua, sizeof(a->ua));
}

/* A double from random bits: integers, fractions, tiny and huge values, never NaN or infinite. */
static double
rnd_dbl(uint64_t *s)
{
	switch (rnd(s) % 4) {
	case 0:
		return (double)(rnd(s) % 100000);
	case 1:
		return (double)(rnd(s) % 1000000) / 1000.0;
	case 2:
		return (double)rnd(s) / 3.0;
	default: {
		uint64_t b = rnd(s) & ~(UINT64_C(0x7ff) << 52);	/* finite: exponent not all ones */
		double d;

		b |= (rnd(s) % 0x7fe) << 52;
		memcpy(&d, &b, sizeof(d));
		return d;
	}
	}
}

/* Random features; half the time a SPLT of 1..20 entries, some of them filled. */
static void
rnd_feat(uint64_t *s, struct sf_flow_record *r)
{
	static union {
		struct sf_flow_splt s;
		uint8_t b[sizeof(struct sf_flow_splt) + 20 * sizeof(struct sf_feat_splt_entry)];
	} splt;
	unsigned int w, i;

	for (w = 0; w < SF_FEAT_WAYS; w++) {
		r->feat.packets[w] = rnd(s) % 1000 + (w == SF_FEAT_BIDIR);
		r->feat.ps_min[w] = (uint32_t)rnd_num(s);
		r->feat.ps_max[w] = (uint32_t)rnd_num(s);
		r->feat.ps_mean[w] = rnd_dbl(s);
		r->feat.ps_stddev[w] = rnd_dbl(s);
		r->feat.piat_min_ms[w] = rnd_dbl(s);
		r->feat.piat_mean_ms[w] = rnd_dbl(s);
		r->feat.piat_stddev_ms[w] = rnd_dbl(s);
		r->feat.piat_max_ms[w] = rnd_dbl(s);
	}
	if (rnd(s) & 1)
		return;
	splt.s.n = (uint8_t)(1 + rnd(s) % 20);
	splt.s.len = (uint8_t)(rnd(s) % (splt.s.n + 1u));
	for (i = 0; i < splt.s.len; i++) {
		splt.s.e[i].gap_us = (uint32_t)rnd_num(s);
		splt.s.e[i].ps = (uint16_t)rnd(s);
		splt.s.e[i].dir = (uint8_t)(rnd(s) & 1);
	}
	r->splt = &splt.s;
}

static void
rnd_record(uint64_t *s, struct sf_flow_record *r)
{
	memset(r, 0, sizeof(*r));
	r->key.ipver = (rnd(s) & 1) ? 6 : 4;
	rnd_addr(s, r->key.addr_lo);
	rnd_addr(s, r->key.addr_hi);
	if (r->key.ipver == 4) {
		memset(r->key.addr_lo + 4, 0, 12);
		memset(r->key.addr_hi + 4, 0, 12);
	}
	r->key.port_lo = (uint16_t)rnd_num(s);
	r->key.port_hi = (uint16_t)rnd_num(s);
	r->key.proto = (uint8_t)rnd_num(s);
	r->key.vlan = (uint16_t)(rnd_num(s) & 0xfff);
	/* A context kind one past the last: "unknown". */
	sf_flow_key_set_ctx(&r->key, (enum sf_flow_ctx_kind)(rnd(s) % (SF_FLOW_CTX_MAX + 1)),
			(uint32_t)rnd_num(s));
	r->initiator = (uint8_t)(rnd(s) & 1);
	r->start_ns = rnd_num(s);
	r->end_ns = rnd_num(s);
	r->packets[0] = rnd_num(s);
	r->packets[1] = rnd_num(s);
	r->bytes[0] = rnd_num(s);
	r->bytes[1] = rnd_num(s);
	r->tcp_flags[0] = (uint8_t)rnd_num(s);
	r->tcp_flags[1] = (uint8_t)rnd_num(s);
	r->dscp = (uint8_t)(rnd_num(s) & 63);
	r->port = (uint8_t)rnd_num(s);
	r->end_reason = (uint8_t)(rnd(s) % (SF_END_MAX + 1));	/* one past: "unknown" */
	r->sampling = (uint8_t)(rnd(s) % (SF_SAMPLING_MAX + 1));	/* one past: "unknown" */
	r->sampling_rate = (uint32_t)rnd_num(s);
	if (rnd(s) & 1) {
		struct sf_flow_tcp *t = &r->tcp;
		unsigned int d, k;

		t->flags = (uint8_t)(SF_FLOW_TCP_VALID | (rnd(s) & SF_FLOW_TCP_RTT));
		t->rtt_server_ns = rnd_num(s);
		t->rtt_client_ns = rnd_num(s);
		for (d = 0; d < 2; d++) {
			t->retrans_bytes[d] = rnd_num(s);
			t->retrans_packets[d] = (uint32_t)rnd_num(s);
			t->ooo_packets[d] = (uint32_t)rnd_num(s);
			t->dup_acks[d] = (uint32_t)rnd_num(s);
			t->zero_windows[d] = (uint32_t)rnd_num(s);
			t->mss[d] = (uint16_t)(rnd(s) % 3 == 0 ? 0 : rnd_num(s));
			t->wscale[d] = (uint8_t)(rnd(s) % 3 == 0 ? SF_FLOW_TCP_NO_WSCALE : rnd(s) % 15);
			t->opts[d] = (uint8_t)(rnd(s) & (SF_FLOW_TCP_SYN | SF_FLOW_TCP_SACK |
					SF_FLOW_TCP_TS));
			t->init_flags[d] = (uint8_t)rnd(s);
			for (k = 0; k < SF_FLOW_TCP_FLAGS; k++)
				t->flag_packets[d][k] = (uint32_t)rnd_num(s);
		}
		/* Any state, one past the last ("none" then), and any letters, none to all 31. */
		t->conn_state = (uint8_t)(rnd(s) % (SF_ZEEK_N + 1));
		{
			static const char letters[] = "^SHADFRIQTWshadfriqtw";
			unsigned int n = (unsigned int)(rnd(s) % SF_FLOW_TCP_HISTORY);

			for (k = 0; k < n; k++)
				t->history[k] = letters[rnd(s) % (sizeof(letters) - 1)];
		}
	}
	if (rnd(s) & 1)
		rnd_app(s, &r->app);
	if (rnd(s) & 1)
		rnd_feat(s, r);
	if (rnd(s) & 1)
		return;		/* plain: no tunnel fields */
	/* Any bits, those past the last encapsulation included ("unknown"). */
	r->tun.encaps = (uint32_t)rnd(s) | 1u;
	r->tun.ids = (uint8_t)rnd(s);
	r->tun.outer_ipver = (uint8_t)(rnd(s) % 3 == 0 ? 0 : (rnd(s) & 1) ? 6 : 4);
	rnd_addr(s, r->tun.outer_src);
	rnd_addr(s, r->tun.outer_dst);
	if (r->tun.outer_ipver != 6) {
		memset(r->tun.outer_src + 4, 0, 12);
		memset(r->tun.outer_dst + 4, 0, 12);
	}
	if (r->tun.outer_ipver == 0) {
		memset(r->tun.outer_src, 0, 16);
		memset(r->tun.outer_dst, 0, 16);
	}
	r->tun.erspan = (uint16_t)(rnd(s) & 0x3ff);
	r->tun.vni = (uint32_t)(rnd(s) & 0xffffff);
	r->tun.gre_key = (uint32_t)rnd_num(s);
	r->tun.teid = (uint32_t)rnd_num(s);
	r->tun.n_mpls = (uint8_t)(rnd(s) % 4);
	r->tun.mpls[0] = (uint32_t)(rnd(s) & 0xfffff);
	r->tun.mpls[1] = (uint32_t)(rnd(s) & 0xfffff);
	r->tun.mpls[2] = (uint32_t)(rnd(s) & 0xfffff);
}

/* Append the tunnel fields to both reference lines (CSV cells, JSON keys when present). */
static void
reference_tunnel(const struct sf_flow_record *r, char *csv, char *json, size_t len)
{
	static const char *const names[] = { "erspan_session", "vni", "gre_key", "teid" };
	const unsigned int bits[] = { SF_PKT_ID_ERSPAN, SF_PKT_ID_VNI | SF_PKT_ID_MIRROR_VNI,
		SF_PKT_ID_GRE_KEY, SF_PKT_ID_TEID };
	const uint32_t vals[] = { r->tun.erspan, r->tun.vni, r->tun.gre_key, r->tun.teid };
	char enc[1024] = "", osrc[INET6_ADDRSTRLEN] = "", odst[INET6_ADDRSTRLEN] = "";
	size_t c = strlen(csv), j = strlen(json) - 1;	/* before the closing brace */
	unsigned int e, i;

	for (e = 0; e < 32; e++)
		if (r->tun.encaps & (1u << e))
			snprintf(enc + strlen(enc), sizeof(enc) - strlen(enc), "%s%s",
					enc[0] ? "+" : "", sf_pkt_encap_name(e));
	if (r->tun.outer_ipver != 0) {
		int af = r->tun.outer_ipver == 6 ? AF_INET6 : AF_INET;

		assert_non_null(inet_ntop(af, r->tun.outer_src, osrc, sizeof(osrc)));
		assert_non_null(inet_ntop(af, r->tun.outer_dst, odst, sizeof(odst)));
	}
	c += (size_t)snprintf(csv + c, len - c, ",%s,%s,%s", enc, osrc, odst);
	if (enc[0])
		j += (size_t)snprintf(json + j, len - j, ",\"encap\":\"%s\"", enc);
	if (osrc[0])
		j += (size_t)snprintf(json + j, len - j, ",\"outer_src\":\"%s\",\"outer_dst\":\"%s\"",
				osrc, odst);
	for (i = 0; i < 4; i++) {
		bool has = (r->tun.ids & bits[i]) != 0;

		c += (size_t)snprintf(csv + c, len - c, has ? ",%u" : ",", vals[i]);
		if (has)
			j += (size_t)snprintf(json + j, len - j, ",\"%s\":%u", names[i], vals[i]);
	}
	for (i = 0; i < 3; i++) {
		bool has = i < r->tun.n_mpls;

		c += (size_t)snprintf(csv + c, len - c, has ? ",%u" : ",", r->tun.mpls[i]);
		if (has)
			j += (size_t)snprintf(json + j, len - j, ",\"mpls_label%u\":%u", i + 1,
					r->tun.mpls[i]);
	}
	snprintf(json + j, len - j, "}");
}

/* Append the TCP health fields (CSV cells, JSON keys when present). */
static void
reference_tcp(const struct sf_flow_record *r, char *csv, char *json, size_t len)
{
	const struct sf_flow_tcp *t = &r->tcp;
	bool valid = t->flags & SF_FLOW_TCP_VALID, rtt = t->flags & SF_FLOW_TCP_RTT;
	int64_t v[34];
	static const char *const names[34] = {
		"rtt_server_ns", "rtt_client_ns", "retrans_packets", "rev_retrans_packets",
		"retrans_bytes", "rev_retrans_bytes", "ooo_packets", "rev_ooo_packets", "dup_acks",
		"rev_dup_acks", "zero_windows", "rev_zero_windows", "tcp_init_flags",
		"rev_tcp_init_flags", "syn_mss", "rev_syn_mss", "syn_wscale", "rev_syn_wscale",
		"syn_sack", "rev_syn_sack", "syn_ts", "rev_syn_ts", "syn_packets", "rev_syn_packets",
		"fin_packets", "rev_fin_packets", "rst_packets", "rev_rst_packets", "psh_packets",
		"rev_psh_packets", "ack_packets", "rev_ack_packets", "urg_packets", "rev_urg_packets",
	};
	size_t c = strlen(csv), j = strlen(json) - 1;	/* before the closing brace */
	unsigned int i, d;

	v[0] = rtt ? (int64_t)t->rtt_server_ns : -1;
	v[1] = rtt ? (int64_t)t->rtt_client_ns : -1;
	for (d = 0; d < 2; d++) {
		bool syn = valid && (t->opts[d] & SF_FLOW_TCP_SYN);

		v[2 + d] = valid ? (int64_t)t->retrans_packets[d] : -1;
		v[4 + d] = valid ? (int64_t)t->retrans_bytes[d] : -1;
		v[6 + d] = valid ? (int64_t)t->ooo_packets[d] : -1;
		v[8 + d] = valid ? (int64_t)t->dup_acks[d] : -1;
		v[10 + d] = valid ? (int64_t)t->zero_windows[d] : -1;
		v[12 + d] = valid ? (int64_t)t->init_flags[d] : -1;
		v[14 + d] = syn && t->mss[d] != 0 ? (int64_t)t->mss[d] : -1;
		v[16 + d] = syn && t->wscale[d] != SF_FLOW_TCP_NO_WSCALE ? (int64_t)t->wscale[d] : -1;
		v[18 + d] = syn ? (t->opts[d] & SF_FLOW_TCP_SACK) != 0 : -1;
		v[20 + d] = syn ? (t->opts[d] & SF_FLOW_TCP_TS) != 0 : -1;
	}
	/* Packets per flag, in the order SYN, FIN, RST, PSH, ACK, URG (bits 1, 0, 2, 3, 4, 5). */
	for (i = 0; i < 6; i++) {
		static const unsigned int bit[6] = { 1, 0, 2, 3, 4, 5 };

		for (d = 0; d < 2; d++)
			v[22 + 2 * i + d] = valid ? (int64_t)t->flag_packets[d][bit[i]] : -1;
	}
	for (i = 0; i < 34; i++) {
		if (v[i] < 0) {
			c += (size_t)snprintf(csv + c, len - c, ",");
			continue;
		}
		c += (size_t)snprintf(csv + c, len - c, ",%" PRId64, v[i]);
		j += (size_t)snprintf(json + j, len - j, ",\"%s\":%" PRId64, names[i], v[i]);
	}
	/* Zeek's conn_state by name, its history when it has a letter. */
	{
		static const char *const states[] = { "S0", "S1", "SF", "REJ", "S2", "S3", "RSTO",
			"RSTR", "RSTOS0", "RSTRH", "SH", "SHR", "OTH" };
		const char *st = valid && t->conn_state >= 1 && t->conn_state <= 13 ?
			states[t->conn_state - 1] : NULL;
		const char *h = valid && t->history[0] != '\0' ? t->history : NULL;

		c += (size_t)snprintf(csv + c, len - c, ",%s,%s", st ? st : "", h ? h : "");
		if (st != NULL)
			j += (size_t)snprintf(json + j, len - j, ",\"conn_state\":\"%s\"", st);
		if (h != NULL)
			j += (size_t)snprintf(json + j, len - j, ",\"history\":\"%s\"", h);
	}
	snprintf(json + j, len - j, "}");
}

/* A text as JSON (quotes around; '"', '\\' escaped, controls as \u00XX) and as a CSV cell. */
static void
reference_text(const char *t, char *csv, size_t *c, char *json, size_t *j, size_t len)
{
	const char *q;

	*j += (size_t)snprintf(json + *j, len - *j, "\"");
	for (q = t; *q != '\0'; q++) {
		unsigned char ch = (unsigned char)*q;

		if (ch == '"' || ch == '\\')
			*j += (size_t)snprintf(json + *j, len - *j, "\\%c", ch);
		else if (ch < 0x20)
			*j += (size_t)snprintf(json + *j, len - *j, "\\u%04x", ch);
		else
			*j += (size_t)snprintf(json + *j, len - *j, "%c", ch);
	}
	*j += (size_t)snprintf(json + *j, len - *j, "\"");
	/* RFC 4180: a cell with a comma, quote or line end is quoted, its quotes doubled. */
	if (strpbrk(t, ",\"\r\n") == NULL) {
		*c += (size_t)snprintf(csv + *c, len - *c, "%s", t);
		return;
	}
	*c += (size_t)snprintf(csv + *c, len - *c, "\"");
	for (q = t; *q != '\0'; q++)
		*c += (size_t)snprintf(csv + *c, len - *c, *q == '"' ? "\"\"" : "%c", *q);
	*c += (size_t)snprintf(csv + *c, len - *c, "\"");
}

/* Append the application metadata (CSV cells, JSON keys when the record's kind has them). */
static void
reference_app(const struct sf_flow_record *r, char *csv, char *json, size_t len)
{
	static const char *const kinds[] = { NULL, "tls", "quic", "dns", "http" };
	const struct sf_flow_app *a = &r->app;
	const char *kind = a->kind < 5 ? kinds[a->kind] : NULL;
	bool tls = a->kind == SF_APP_TLS || a->kind == SF_APP_QUIC, dns = a->kind == SF_APP_DNS;
	bool http = a->kind == SF_APP_HTTP;
	size_t c = strlen(csv), j = strlen(json) - 1;	/* before the closing brace */
	char ver[16];
	struct {
		const char *name;
		bool has;
		const char *text;	/* a text, or NULL for a number */
		int64_t num;
	} f[12] = {
		{ "tls_sni", tls && a->name[0], a->name, 0 },
		{ "tls_alpn", tls && a->alpn[0], a->alpn, 0 },
		{ "tls_version", tls && a->tls_version != 0, ver, 0 },
		{ "tls_ja3", tls && a->ja3[0], a->ja3, 0 },
		{ "tls_ja4", tls && a->ja4[0], a->ja4, 0 },
		{ "quic_version", a->kind == SF_APP_QUIC, NULL, a->quic_version },
		{ "dns_qname", dns && a->name[0], a->name, 0 },
		{ "dns_qtype", dns && (a->flags & SF_FLOW_APP_QTYPE), NULL, a->dns_qtype },
		{ "dns_rcode", dns && (a->flags & SF_FLOW_APP_RCODE), NULL, a->dns_rcode },
		{ "http_host", http && a->name[0], a->name, 0 },
		{ "http_method", http && a->method[0], a->method, 0 },
		{ "http_user_agent", http && a->ua[0], a->ua, 0 },
	};
	unsigned int i;

	if (a->tls_version >= 0x0301 && a->tls_version <= 0x0304)
		snprintf(ver, sizeof(ver), "TLS 1.%u", a->tls_version - 0x0301u);
	else if (a->tls_version == 0x0300)
		snprintf(ver, sizeof(ver), "SSL 3.0");
	else
		snprintf(ver, sizeof(ver), "0x%04x", a->tls_version);
	c += (size_t)snprintf(csv + c, len - c, ",%s", kind ? kind : "");
	if (kind != NULL)
		j += (size_t)snprintf(json + j, len - j, ",\"app\":\"%s\"", kind);
	for (i = 0; i < 12; i++) {
		c += (size_t)snprintf(csv + c, len - c, ",");
		if (!f[i].has)
			continue;
		j += (size_t)snprintf(json + j, len - j, ",\"%s\":", f[i].name);
		if (f[i].text != NULL) {
			reference_text(f[i].text, csv, &c, json, &j, len);
		} else {
			c += (size_t)snprintf(csv + c, len - c, "%" PRId64, f[i].num);
			j += (size_t)snprintf(json + j, len - j, "%" PRId64, f[i].num);
		}
	}
	snprintf(json + j, len - j, "}");
}

/* A double as the shortest %.Ng (N = 15, 16, 17) that reads back the same. */
static void
reference_dbl(double v, char *out, size_t len)
{
	int prec;

	for (prec = 15; prec <= 17; prec++) {
		snprintf(out, len, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

/* One SPLT list: sep between values, -1 past the filled entries. */
static void
reference_splt(const struct sf_flow_splt *sp, char what, const char *sep, char *out, size_t len)
{
	size_t o = 0;
	unsigned int i;

	assert_true(len > 2);
	o += (size_t)snprintf(out + o, len - o, "[");
	for (i = 0; i < sp->n; i++) {
		if (i != 0)
			o += (size_t)snprintf(out + o, len - o, "%s", sep);
		if (i >= sp->len)
			o += (size_t)snprintf(out + o, len - o, "-1");
		else if (what == 'd')
			o += (size_t)snprintf(out + o, len - o, "%u", sp->e[i].dir);
		else if (what == 'p')
			o += (size_t)snprintf(out + o, len - o, "%u", sp->e[i].ps);
		else if (sp->e[i].gap_us % 1000 == 0)
			o += (size_t)snprintf(out + o, len - o, "%u", sp->e[i].gap_us / 1000);
		else {
			char frac[8];
			size_t k;

			snprintf(frac, sizeof(frac), "%03u", sp->e[i].gap_us % 1000);
			for (k = strlen(frac); k > 1 && frac[k - 1] == '0'; k--)
				frac[k - 1] = '\0';
			o += (size_t)snprintf(out + o, len - o, "%u.%s", sp->e[i].gap_us / 1000, frac);
		}
	}
	snprintf(out + o, len - o, "]");
}

/* Append the feature fields: cells always, JSON keys only with features. */
static void
reference_feat(const struct sf_flow_record *r, char *csv, char *json, size_t len)
{
	static const char *const ways[] = { "bidirectional", "src2dst", "dst2src" };
	static const unsigned int way_of[] = { SF_FEAT_BIDIR, SF_FEAT_SRC2DST, SF_FEAT_DST2SRC };
	bool on = r->feat.packets[SF_FEAT_BIDIR] != 0;
	size_t c = strlen(csv), j = strlen(json) - 1;	/* over the closing brace */
	unsigned int x, k, p;
	char v[64], l[1024];

	for (p = 0; p < 2; p++) {
		for (x = 0; x < 3; x++) {
			unsigned int w = way_of[x];
			const char *stat[] = { "min", "mean", "stddev", "max" };

			for (k = 0; k < 4; k++) {
				if (!on) {
					c += (size_t)snprintf(csv + c, len - c, ",");
					continue;
				}
				if (p == 0 && (k == 0 || k == 3))
					snprintf(v, sizeof(v), "%u", k == 0 ? r->feat.ps_min[w] :
							r->feat.ps_max[w]);
				else if (p == 0)
					reference_dbl(k == 1 ? r->feat.ps_mean[w] : r->feat.ps_stddev[w],
							v, sizeof(v));
				else
					reference_dbl(k == 0 ? r->feat.piat_min_ms[w] :
							k == 1 ? r->feat.piat_mean_ms[w] :
							k == 2 ? r->feat.piat_stddev_ms[w] :
							r->feat.piat_max_ms[w], v, sizeof(v));
				c += (size_t)snprintf(csv + c, len - c, ",%s", v);
				j += (size_t)snprintf(json + j, len - j, ",\"%s_%s_%s\":%s", ways[x],
						stat[k], p == 0 ? "ps" : "piat_ms", v);
			}
		}
	}
	for (k = 0; k < 3; k++) {
		const char *names[] = { "splt_direction", "splt_ps", "splt_piat_ms" };

		if (r->splt == NULL) {
			c += (size_t)snprintf(csv + c, len - c, ",");
			continue;
		}
		reference_splt(r->splt, "dpg"[k], ", ", l, sizeof(l));
		c += (size_t)snprintf(csv + c, len - c, ",\"%s\"", l);
		reference_splt(r->splt, "dpg"[k], ",", l, sizeof(l));
		j += (size_t)snprintf(json + j, len - j, ",\"%s\":%s", names[k], l);
	}
	snprintf(json + j, len - j, "}");
}

/* The CSV line and the JSON object as printf and inet_ntop() write them. */
static void
reference_lines(const struct sf_flow_record *r, char *csv, char *json, size_t len)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	int af = r->key.ipver == 6 ? AF_INET6 : AF_INET;
	bool lo = r->initiator == SF_DIR_LO;

	assert_non_null(inet_ntop(af, lo ? r->key.addr_lo : r->key.addr_hi, src, sizeof(src)));
	assert_non_null(inet_ntop(af, lo ? r->key.addr_hi : r->key.addr_lo, dst, sizeof(dst)));
	snprintf(csv, len, "%" PRIu64 ",%" PRIu64 ",%s,%u,%s,%u,%u,%u,%u,%s,%u,%u,%" PRIu64
			",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%u,%u,%u,%s,%s,%u", r->start_ns, r->end_ns,
			src, lo ? r->key.port_lo : r->key.port_hi,
			dst, lo ? r->key.port_hi : r->key.port_lo, r->key.proto, r->key.ipver,
			r->key.vlan, sf_flow_ctx_name(r->key.ctx_kind), r->key.ctx, r->port, r->packets[0], r->bytes[0], r->packets[1], r->bytes[1],
			r->tcp_flags[0], r->tcp_flags[1], r->dscp,
			sf_end_reason_name((enum sf_end_reason)r->end_reason),
			sf_sampling_name(r->sampling), r->sampling_rate);
	snprintf(json, len, "{\"start_ns\":%" PRIu64 ",\"end_ns\":%" PRIu64 ",\"src_addr\":\"%s\","
			"\"src_port\":%u,\"dst_addr\":\"%s\",\"dst_port\":%u,\"proto\":%u,"
			"\"ip_version\":%u,\"vlan\":%u,\"tunnel\":\"%s\",\"tunnel_id\":%u,"
			"\"ingress_port\":%u,\"packets\":%" PRIu64 ","
			"\"bytes\":%" PRIu64 ",\"rev_packets\":%" PRIu64 ",\"rev_bytes\":%" PRIu64 ","
			"\"tcp_flags\":%u,\"rev_tcp_flags\":%u,\"dscp\":%u,\"end_reason\":\"%s\","
			"\"sampling\":\"%s\",\"sampling_rate\":%u}",
			r->start_ns, r->end_ns, src, lo ? r->key.port_lo : r->key.port_hi,
			dst, lo ? r->key.port_hi : r->key.port_lo, r->key.proto, r->key.ipver,
			r->key.vlan, sf_flow_ctx_name(r->key.ctx_kind), r->key.ctx, r->port, r->packets[0], r->bytes[0], r->packets[1], r->bytes[1],
			r->tcp_flags[0], r->tcp_flags[1], r->dscp,
			sf_end_reason_name((enum sf_end_reason)r->end_reason),
			sf_sampling_name(r->sampling), r->sampling_rate);
	reference_tunnel(r, csv, json, len);
	reference_tcp(r, csv, json, len);
	reference_app(r, csv, json, len);
	reference_feat(r, csv, json, len);
}

/* Any record, any buffer size: the text printf and inet_ntop() give, cut at len - 1. */
static void
test_any_record_as_printf(void **state)
{
	struct sf_flow_record r;
	char csv[16384], json[16384], ref_csv[16384], ref_json[16384], small[256];
	uint64_t seed = 42;
	size_t n, cut;
	unsigned int i;

	(void)state;
	for (i = 0; i < 200000; i++) {
		rnd_record(&seed, &r);
		reference_lines(&r, ref_csv, ref_json, sizeof(ref_csv));
		n = sf_csv_format_record(csv, sizeof(csv), &r);
		assert_string_equal(csv, ref_csv);
		assert_int_equal(n, strlen(ref_csv));
		n = sf_jsonl_format_record(json, sizeof(json), &r);
		assert_string_equal(json, ref_json);
		assert_int_equal(n, strlen(ref_json));
		if (i % 64 != 0)
			continue;
		/* Short buffers: cut, terminated, the full length reported. */
		cut = (size_t)(rnd(&seed) % sizeof(small));
		memset(small, 'x', sizeof(small));
		assert_int_equal(sf_csv_format_record(small, cut, &r), strlen(ref_csv));
		if (cut > 0) {
			assert_true(strlen(small) == RTE_MIN(cut - 1, strlen(ref_csv)));
			assert_memory_equal(small, ref_csv, strlen(small));
		}
		assert_true(small[cut] == 'x');	/* nothing written past len */
		memset(small, 'x', sizeof(small));
		assert_int_equal(sf_jsonl_format_record(small, cut, &r), strlen(ref_json));
		if (cut > 0) {
			assert_true(strlen(small) == RTE_MIN(cut - 1, strlen(ref_json)));
			assert_memory_equal(small, ref_json, strlen(small));
		}
		assert_true(small[cut] == 'x');	/* nothing written past len */
	}
}

/* The whole content of a file, NUL-terminated (caller frees). */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	b = malloc((size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return b;
}

/*
 * Rotation by size through the buffer: every file starts with the header,
 * none passes the limit, no line is split, and the lines of all files in
 * order are the lines written, long ones (written past the buffer) too.
 */
static void
test_rotfile_by_size(void **state)
{
	char dir[] = "/tmp/sf_test_rot_XXXXXX", path[256], name[300], err[256];
	static const char header[] = "h1,h2\n";
	struct sf_rotate rot = { .bytes = 4096, .ns = 0 };
	struct sf_rotfile *rf;
	size_t total = 0, got = 0, len, i, k;
	uint64_t seed = 7, nfiles;
	char *want, *all, *b, *p;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f.csv", dir);
	rf = sf_rotfile_open(path, header, &rot, err, sizeof(err));
	assert_non_null(rf);
	want = malloc(1 << 22);
	all = malloc(1 << 22);
	assert_non_null(want);
	assert_non_null(all);
	for (i = 0; i < 20000; i++) {
		/* Lines of 2..200 bytes through reserve/commit, now and then one of 5000. */
		len = i % 997 == 0 ? 5000 : 2 + (size_t)(rnd(&seed) % 199);
		p = want + total;
		for (k = 0; k + 1 < len; k++)
			p[k] = (char)('a' + (i + k) % 26);
		p[len - 1] = '\n';
		if (len > 200) {
			sf_rotfile_write(rf, p, len);
		} else {
			memcpy(sf_rotfile_reserve(rf, 256), p, len);
			sf_rotfile_commit(rf, len);
		}
		total += len;
	}
	nfiles = sf_rotfile_files(rf);
	assert_int_equal(sf_rotfile_close(rf, err, sizeof(err)), 0);
	assert_true(nfiles > 100);
	for (i = 0;; i++) {
		snprintf(name, sizeof(name), "%s/f.%06zu.csv", dir, i);
		if (access(name, F_OK) != 0)
			break;
		b = slurp(name, &len);
		assert_true(len >= sizeof(header) - 1);
		assert_memory_equal(b, header, sizeof(header) - 1);
		assert_true(b[len - 1] == '\n');
		/* Over the limit only for a file of one long line. */
		assert_true(len <= rot.bytes || memchr(b + sizeof(header) - 1, '\n',
				len - sizeof(header)) == NULL);
		memcpy(all + got, b + sizeof(header) - 1, len - (sizeof(header) - 1));
		got += len - (sizeof(header) - 1);
		free(b);
		unlink(name);
	}
	assert_int_equal(i, nfiles + 1);
	assert_int_equal(got, total);
	assert_memory_equal(all, want, total);
	snprintf(name, sizeof(name), "%s/f.%06zu.csv.tmp", dir, i);
	assert_int_not_equal(access(name, F_OK), 0);
	free(want);
	free(all);
	assert_int_equal(rmdir(dir), 0);
}

/* Without rotation: one file, written in place, every byte in order. */
static void
test_rotfile_plain(void **state)
{
	char path[] = "/tmp/sf_test_plain_XXXXXX", err[256];
	struct sf_rotfile *rf;
	size_t total = 0, len, i;
	char *want, *b;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	rf = sf_rotfile_open(path, NULL, NULL, err, sizeof(err));
	assert_non_null(rf);
	want = malloc(3 << 20);
	assert_non_null(want);
	/* 3 MiB in lines of 300 bytes: the buffer goes out several times. */
	for (i = 0; total + 300 <= (3u << 20); i++) {
		char *p = sf_rotfile_reserve(rf, 300);

		memset(p, 'a' + (int)(i % 26), 299);
		p[299] = '\n';
		memcpy(want + total, p, 300);
		sf_rotfile_commit(rf, 300);
		total += 300;
	}
	assert_int_equal(sf_rotfile_files(rf), 0);
	assert_int_equal(sf_rotfile_close(rf, err, sizeof(err)), 0);
	b = slurp(path, &len);
	assert_int_equal(len, total);
	assert_memory_equal(b, want, total);
	free(b);
	free(want);
	unlink(path);
}

/*
 * SIGHUP's reopen, as logrotate uses it: the file moved away keeps every
 * line written before, whole; the path gets a new file that starts with
 * the header; a file still at the path is appended to, never truncated;
 * with rotation the current numbered file is completed and the next one
 * started, but not for a file with nothing but its header.
 */
static void
test_rotfile_reopen(void **state)
{
	char dir[] = "/tmp/sf_test_reopen_XXXXXX", path[256], moved[300], name[300], err[256];
	static const char header[] = "h1,h2\n";
	struct sf_rotate rot = { .bytes = 1 << 30, .ns = 0 };
	struct sf_rotfile *rf;
	size_t len;
	char *b;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/f.csv", dir);
	snprintf(moved, sizeof(moved), "%s/f.csv.1", dir);
	rf = sf_rotfile_open(path, header, NULL, err, sizeof(err));
	assert_non_null(rf);
	sf_rotfile_write(rf, "1,a\n", 4);
	assert_int_equal(rename(path, moved), 0);
	sf_rotfile_write(rf, "2,b\n", 4);	/* buffered: still goes to the moved file */
	assert_int_equal(sf_rotfile_reopen(rf, err, sizeof(err)), 0);
	sf_rotfile_write(rf, "3,c\n", 4);
	/* Reopened again with the file still there: appended to. */
	assert_int_equal(sf_rotfile_reopen(rf, err, sizeof(err)), 0);
	sf_rotfile_write(rf, "4,d\n", 4);
	assert_int_equal(sf_rotfile_close(rf, err, sizeof(err)), 0);
	b = slurp(moved, &len);
	assert_int_equal(len, 14);
	assert_memory_equal(b, "h1,h2\n1,a\n2,b\n", 14);
	free(b);
	b = slurp(path, &len);
	assert_int_equal(len, 14);
	assert_memory_equal(b, "h1,h2\n3,c\n4,d\n", 14);
	free(b);
	unlink(moved);
	unlink(path);

	/* Rotation on: 000000 completed, 000001 started; an empty one stays. */
	rf = sf_rotfile_open(path, header, &rot, err, sizeof(err));
	assert_non_null(rf);
	assert_int_equal(sf_rotfile_reopen(rf, err, sizeof(err)), 0);
	sf_rotfile_write(rf, "1,a\n", 4);
	assert_int_equal(sf_rotfile_reopen(rf, err, sizeof(err)), 0);
	assert_int_equal(sf_rotfile_files(rf), 1);
	snprintf(name, sizeof(name), "%s/f.000000.csv", dir);
	b = slurp(name, &len);
	assert_int_equal(len, 10);
	assert_memory_equal(b, "h1,h2\n1,a\n", 10);
	free(b);
	unlink(name);
	snprintf(name, sizeof(name), "%s/f.000001.csv.tmp", dir);
	assert_int_equal(access(name, F_OK), 0);
	sf_rotfile_write(rf, "2,b\n", 4);
	assert_int_equal(sf_rotfile_close(rf, err, sizeof(err)), 0);
	snprintf(name, sizeof(name), "%s/f.000001.csv", dir);
	b = slurp(name, &len);
	assert_int_equal(len, 10);
	assert_memory_equal(b, "h1,h2\n2,b\n", 10);
	free(b);
	unlink(name);

	/* The directory gone: an error that names the path; close reports it. */
	rf = sf_rotfile_open(path, header, NULL, err, sizeof(err));
	assert_non_null(rf);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
	assert_true(sf_rotfile_reopen(rf, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "f.csv: cannot reopen"));
	sf_rotfile_write(rf, "1,a\n", 4);
	assert_true(sf_rotfile_close(rf, err, sizeof(err)) < 0);
}

static void
test_open_error(void **state)
{
	char err[256];

	(void)state;
	assert_null(sf_jsonl_open("/nonexistent-dir/x.jsonl", 1, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent-dir/x.jsonl: cannot open for writing"));
}

static int
count_lines(const char *path)
{
	char line[2048];
	FILE *f = fopen(path, "r");
	int n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		n++;
	fclose(f);
	return n;
}

/*
 * The exporter table: every exporter opens nothing unless configured; the
 * file exporters open from the configuration, take records or intervals,
 * count them and close whole; a path that cannot be written is an error.
 */
static void
test_exporter_table(void **state)
{
	static const char *const names[] = { "flows", "intervals", "csv", "ipfix", "clickhouse",
		"kafka" };
#ifdef SF_HAVE_RDKAFKA
	const unsigned int n_exporters = 6;
#else
	const unsigned int n_exporters = 5;
#endif
	static const char *const keys[] = { "output.flows", "output.intervals", "export.csv" };
	static const char *const files[] = { "f.jsonl", "i.jsonl", "c.csv" };
	static const int lines[] = { 2, 1, 3 };	/* the CSV has a header */
	char dir[] = "/tmp/sf_test_exporters_XXXXXX";
	const struct sf_exporter_ops *ops;
	struct sf_exporter_stats st;
	struct sf_flow_record r;
	struct sf_interval_agg a;
	struct sf_config cfg;
	char err[256], path[3][256];
	unsigned int i;
	void *x;

	(void)state;
	assert_non_null(mkdtemp(dir));
	sf_config_defaults(&cfg);
	for (i = 0; sf_exporters[i] != NULL; i++) {
		ops = sf_exporters[i];
		assert_true(i < n_exporters);
		assert_string_equal(ops->name, names[i]);
		assert_true(ops->open != NULL && ops->close != NULL && ops->stats != NULL &&
				ops->free != NULL);
		assert_true(ops->record != NULL || ops->interval != NULL);
		x = &cfg;
		assert_int_equal(ops->open(&cfg, &x, err, sizeof(err)), 0);
		assert_null(x);
	}
	assert_int_equal(i, n_exporters);

	make_record(&r, 0);
	memset(&a, 0, sizeof(a));
	a.interval = 170000000;
	for (i = 0; i < 3; i++) {
		ops = sf_exporters[i];
		snprintf(path[i], sizeof(path[i]), "%s/%s", dir, files[i]);
		assert_int_equal(sf_config_set(&cfg, keys[i], path[i], err, sizeof(err)), 0);
		assert_int_equal(ops->open(&cfg, &x, err, sizeof(err)), 0);
		assert_non_null(x);
		if (ops->record != NULL) {
			ops->record(x, &r);
			ops->record(x, &r);
		}
		if (ops->interval != NULL)
			ops->interval(x, &a);
		assert_int_equal(ops->close(x, err, sizeof(err)), 0);
		ops->stats(x, &st);
		assert_int_equal(st.written, ops->record != NULL ? 2 : 1);
		assert_int_equal(st.lost, 0);
		ops->free(x);
		assert_int_equal(count_lines(path[i]), lines[i]);
		unlink(path[i]);
	}
	assert_int_equal(sf_config_set(&cfg, "export.csv", "/nonexistent-dir/x.csv", err,
			sizeof(err)), 0);
	assert_int_equal(sf_exporter_csv.open(&cfg, &x, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent-dir/x.csv: cannot open for writing"));
	assert_int_equal(rmdir(dir), 0);
#ifdef SF_HAVE_RDKAFKA
	/*
	 * Kafka without a broker (nothing listens on port 1): records are taken
	 * at once, never waited for, and at close (export.kafka_linger 0s)
	 * every one is counted lost and said in a warning.
	 */
	assert_int_equal(sf_config_set(&cfg, "export.kafka", "127.0.0.1:1", err, sizeof(err)), 0);
	assert_int_equal(sf_config_set(&cfg, "export.kafka_linger", "0s", err, sizeof(err)), 0);
	assert_int_equal(sf_exporter_kafka.open(&cfg, &x, err, sizeof(err)), 0);
	assert_non_null(x);
	sf_exporter_kafka.record(x, &r);
	sf_exporter_kafka.record(x, &r);
	sf_exporter_kafka.interval(x, &a);
	sf_exporter_kafka.tick(x, 0);
	sf_exporter_kafka.stats(x, &st);
	assert_int_equal(st.written, 0);
	assert_int_equal(st.queued + st.lost, 3);
	assert_int_equal(sf_exporter_kafka.close(x, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "Kafka: 3 of 3 records not delivered (2 flow records, "
			"1 intervals)"));
	sf_exporter_kafka.stats(x, &st);
	assert_int_equal(st.written, 0);
	assert_int_equal(st.lost, 3);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.up, 0);
	sf_exporter_kafka.free(x);
#endif
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_v4),
		cmocka_unit_test(test_record_v6_and_truncation),
		cmocka_unit_test(test_file_lines),
		cmocka_unit_test(test_csv_line),
		cmocka_unit_test(test_any_record_as_printf),
		cmocka_unit_test(test_rotfile_by_size),
		cmocka_unit_test(test_rotfile_plain),
		cmocka_unit_test(test_rotfile_reopen),
		cmocka_unit_test(test_open_error),
		cmocka_unit_test(test_exporter_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
