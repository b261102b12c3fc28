/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sf_pcapgen: write a synthetic Ethernet capture for tests and benchmarks.
 *
 *   sf_pcapgen -o FILE [-n PACKETS] [-f FLOWS] [-z ZIPF] [-s MIN] [-S MAX]
 *              [-6 SHARE] [-u SHARE] [-N SHARE] [-d SECONDS] [-r SEED] [-l LEN]
 *
 * N packets over F concurrent flows, picked uniformly or with Zipf
 * popularity (exponent z > 0), frame sizes uniform in [MIN, MAX], a share
 * of IPv6 flows and of UDP flows (the rest TCP), a share of packets that
 * open brand-new flows (scan/flood: a SYN from a new source), over a
 * capture of the given duration. TCP flows open with SYN, SYN+ACK, ACK and
 * close with FIN/FIN after about LEN packets, then reopen on a new source
 * port. With -T their sequence and ACK numbers are a real conversation's
 * (for the TCP analysis), with a share of resent segments (-L, loss) and
 * of segments sent ahead of the one before (-R, reordering). With -A
 * (application mix, for app.enabled) flows are 40% TLS over TCP 443 (a
 * 512-byte ClientHello, its SNI naming the flow, in the client's packet
 * after the handshake), 10% HTTP/1.1 over TCP 80 (a request head there),
 * 30% DNS over UDP 53 (a query, then its answer) and 20% QUIC over UDP
 * 443 (the client Initial of the file given, RFC 9001 A.2's: one key
 * derivation and decryption per flow). The output depends only on the
 * arguments and the seed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct flow {
	uint32_t count;		/* packets sent in this incarnation */
	uint32_t length;	/* packets planned for this incarnation */
	uint16_t gen;		/* incarnation: moves the source port */
	uint8_t v6;
	uint8_t udp;
	uint8_t app;		/* -A: APP_* */
	/* -T: each direction's sequence state */
	uint32_t seq[2];	/* next sequence number to send */
	uint32_t last_seq[2], last_len[2];	/* the last segment sent (for a resend) */
	uint32_t gap_seq[2];	/* a segment skipped to be sent late (reordering) */
	uint8_t gap[2];
};

/* -T: a segment jumped over by a reordering, sent with the next packet. */
#define GAP_LEN 100

struct gen {
	uint64_t packets;
	uint32_t flows;
	double zipf;
	unsigned int min_size, max_size;
	double v6_share, udp_share, new_share;
	double duration;
	uint64_t seed;
	unsigned int length;
	const char *out;
	int encap;		/* ENCAP_*: wrap every frame in a tunnel */
	bool tcp_seq;		/* -T: real sequence and ACK numbers */
	const uint8_t *quic;	/* -A: a client Initial (UDP payload) */
	size_t quic_len;
	double loss_share;	/* -L: data segments that are resends of the previous one */
	double reorder_share;	/* -R: data segments sent ahead of a skipped one */
	uint64_t rng;
	double *cdf;		/* Zipf cumulative distribution */
	struct flow *fl;
	uint64_t new_flows;
};

/* splitmix64: small, fast and reproducible everywhere. */
static uint64_t
rnd(struct gen *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double
rnd01(struct gen *g)
{
	return (double)(rnd(g) >> 11) / 9007199254740992.0;
}

static uint32_t
pick_flow(struct gen *g)
{
	double u;
	uint32_t lo = 0, hi;

	if (g->cdf == NULL)
		return (uint32_t)(rnd(g) % g->flows);
	u = rnd01(g);
	hi = g->flows - 1;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (g->cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t
ip_csum(const uint8_t *p, unsigned int len)
{
	uint32_t s = 0;
	unsigned int i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

enum { APP_NONE, APP_TLS, APP_HTTP, APP_DNS, APP_QUIC };

/* -A payloads: what a client (or a DNS server) sends first, naming flow id. */
static unsigned int
app_tls(uint8_t *p, uint32_t id)
{
	static const uint16_t ciphers[] = { 0x3a3a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
		0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035 };
	char host[32];
	unsigned int o = 0, hs, ext, n, i;

	n = (unsigned int)snprintf(host, sizeof(host), "h%07u.example.com", id % 10000000);
	p[o++] = 22; p[o++] = 3; p[o++] = 1; o += 2;		/* record, length later */
	hs = o;
	p[o++] = 1; o += 3;					/* ClientHello, length later */
	p[o++] = 3; p[o++] = 3;
	for (i = 0; i < 32; i++)
		p[o++] = (uint8_t)(id * 31 + i);			/* random */
	p[o++] = 32;
	for (i = 0; i < 32; i++)
		p[o++] = (uint8_t)(id >> (i % 4 * 8));		/* session id */
	put16(p + o, (uint16_t)(2 * (sizeof(ciphers) / 2)));
	o += 2;
	for (i = 0; i < sizeof(ciphers) / 2; i++, o += 2)
		put16(p + o, ciphers[i]);
	p[o++] = 1; p[o++] = 0;					/* compression: null */
	ext = o;
	o += 2;
	put16(p + o, 0x0000); put16(p + o + 2, (uint16_t)(n + 5));	/* server_name */
	put16(p + o + 4, (uint16_t)(n + 3)); p[o + 6] = 0; put16(p + o + 7, (uint16_t)n);
	memcpy(p + o + 9, host, n);
	o += 9 + n;
	memcpy(p + o, "\x00\x17\x00\x00\xff\x01\x00\x01\x00"		/* ems, reneg */
		"\x00\x0a\x00\x0a\x00\x08\xda\xda\x00\x1d\x00\x17\x00\x18"	/* groups */
		"\x00\x0b\x00\x02\x01\x00"					/* formats */
		"\x00\x10\x00\x0e\x00\x0c\x02h2\x08http/1.1"			/* ALPN */
		"\x00\x0d\x00\x12\x00\x10\x04\x03\x08\x04\x04\x01\x05\x03\x08\x05"
		"\x05\x01\x08\x06\x06\x01"					/* sig algs */
		"\x00\x2b\x00\x07\x06\x6a\x6a\x03\x04\x03\x03", 80);	/* versions */
	o += 80;
	put16(p + o, 0x0033); put16(p + o + 2, 38); put16(p + o + 4, 36);	/* key_share */
	put16(p + o + 6, 0x001d); put16(p + o + 8, 32);
	for (i = 0; i < 32; i++)
		p[o + 10 + i] = (uint8_t)(id * 7 + i);
	o += 42;
	if (o + 4 < 517) {					/* padding to 512 + record header */
		n = 517 - o - 4;
		put16(p + o, 0x0015); put16(p + o + 2, (uint16_t)n);
		memset(p + o + 4, 0, n);
		o += 4 + n;
	}
	put16(p + ext, (uint16_t)(o - ext - 2));
	put16(p + 3, (uint16_t)(o - 5));
	p[hs + 1] = (uint8_t)((o - hs - 4) >> 16);
	put16(p + hs + 2, (uint16_t)(o - hs - 4));
	return o;
}

static unsigned int
app_http(uint8_t *p, uint32_t id)
{
	return (unsigned int)sprintf((char *)p, "GET /i HTTP/1.1\r\nHost: h%07u.example.com\r\n"
			"User-Agent: sf_pcapgen/1.0\r\nAccept: */*\r\n\r\n", id % 10000000);
}

static unsigned int
app_dns(uint8_t *p, uint32_t id, bool answer)
{
	unsigned int o = 12;

	memset(p, 0, 12);
	put16(p, (uint16_t)id);
	put16(p + 2, answer ? 0x8180 : 0x0100);
	put16(p + 4, 1);
	p[o] = 8;
	o += 1 + (unsigned int)sprintf((char *)p + o + 1, "n%07u", id % 10000000);
	memcpy(p + o, "\x07" "example" "\x03" "com" "\x00" "\x00\x01\x00\x01", 17);
	return o + 17;
}

/*
 * Build one frame of flow `id` (client = flow's own address) in buf.
 * dir 0: client -> server. Returns the frame length.
 */
static unsigned int
build(uint8_t *buf, unsigned int size, uint32_t id, const struct flow *f, int dir,
		uint8_t tcp_flags, uint32_t src_salt, uint32_t seq, uint32_t ack)
{
	uint8_t cli[16] = { 0 }, srv[16] = { 0 };
	unsigned int l3 = 14, l4, hl, alen = f->v6 ? 16 : 4;
	uint16_t cport = (uint16_t)(1024 + (id * 7 + f->gen * 131 + src_salt) % 60000);
	uint16_t sport = f->udp ? 53 : (uint16_t)(id % 2 ? 443 : 80);

	if (f->app == APP_TLS || f->app == APP_QUIC)
		sport = 443;
	else if (f->app == APP_HTTP)
		sport = 80;
	const uint8_t *s, *d;

	if (f->v6) {
		cli[0] = 0xfd; cli[1] = 0x00;
		put32(cli + 8, src_salt);
		put32(cli + 12, id);
		srv[0] = 0xfd; srv[1] = 0x01;
		put32(srv + 12, id % 4096);
	} else {
		put32(cli, 0x0a000000u | ((id + src_salt * 16777213u) & 0xffffff));
		put32(srv, 0xc0a80000u | (id % 4096));
	}
	s = dir ? srv : cli;
	d = dir ? cli : srv;
	memset(buf, 0, size);
	memcpy(buf, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	put16(buf + 12, f->v6 ? 0x86dd : 0x0800);
	hl = f->v6 ? 40 : 20;
	l4 = l3 + hl;
	if (f->v6) {
		buf[l3] = 0x60;
		put16(buf + l3 + 4, (uint16_t)(size - l4));
		buf[l3 + 6] = f->udp ? 17 : 6;
		buf[l3 + 7] = 64;
		memcpy(buf + l3 + 8, s, alen);
		memcpy(buf + l3 + 24, d, alen);
	} else {
		buf[l3] = 0x45;
		put16(buf + l3 + 2, (uint16_t)(size - l3));
		buf[l3 + 8] = 64;
		buf[l3 + 9] = f->udp ? 17 : 6;
		memcpy(buf + l3 + 12, s, alen);
		memcpy(buf + l3 + 16, d, alen);
		put16(buf + l3 + 10, ip_csum(buf + l3, 20));
	}
	put16(buf + l4, dir ? sport : cport);
	put16(buf + l4 + 2, dir ? cport : sport);
	if (f->udp) {
		put16(buf + l4 + 4, (uint16_t)(size - l4));
	} else {
		put32(buf + l4 + 4, seq);
		put32(buf + l4 + 8, ack);
		buf[l4 + 12] = 0x50;
		buf[l4 + 13] = tcp_flags;
		put16(buf + l4 + 14, 65535);
	}
	return size;
}

/*
 * -T: the sequence and ACK numbers of a TCP packet of flow f in direction
 * dir, and its frame size (a late segment has GAP_LEN bytes of payload).
 * SYNs take an ISN from the flow, SYN and FIN count one; a data segment is
 * the next one, a resend of the previous one (-L), or sent ahead of one it
 * skips (-R), which the direction's next data packet then sends.
 */
static unsigned int
tcp_segment(struct gen *g, struct flow *f, uint32_t id, int dir, uint8_t flags,
		unsigned int size, uint32_t *seq, uint32_t *ack)
{
	unsigned int hdrs = 14 + (f->v6 ? 40 : 20) + 20, len = size - hdrs;

	if (flags & 0x02) {	/* SYN: a new connection, each side's ISN */
		f->seq[dir] = (id * 2654435761u) ^ ((uint32_t)f->gen << 20) ^ (uint32_t)dir;
		f->gap[dir] = 0;
		f->last_len[dir] = 0;
		if (dir == 0) {
			f->gap[1] = 0;
			f->last_len[1] = 0;
		}
		*seq = f->seq[dir]++;
		*ack = dir ? f->seq[0] : 0;
		return hdrs;
	}
	*ack = f->seq[dir ^ 1];
	if (flags & 0x01) {	/* FIN */
		*seq = f->seq[dir]++;
		return hdrs;
	}
	if (flags == 0x10) {	/* the handshake's ACK */
		*seq = f->seq[dir];
		return hdrs;
	}
	if (f->gap[dir]) {
		*seq = f->gap_seq[dir];
		f->gap[dir] = 0;
		return hdrs + GAP_LEN;
	}
	if (f->last_len[dir] != 0 && rnd01(g) < g->loss_share) {
		*seq = f->last_seq[dir];
		return size;
	}
	if (rnd01(g) < g->reorder_share) {
		f->gap_seq[dir] = f->seq[dir];
		f->gap[dir] = 1;
		f->seq[dir] += GAP_LEN;
	}
	*seq = f->seq[dir];
	f->last_seq[dir] = *seq;
	f->last_len[dir] = len;
	f->seq[dir] += len;
	return size;
}

enum { ENCAP_NONE, ENCAP_VXLAN, ENCAP_ERSPAN };

/* Bytes a tunnel puts before the frame: outer Ethernet, IPv4, then UDP+VXLAN or GRE+ERSPAN II. */
#define ENCAP_LEN (14 + 20 + 16)

/*
 * Wrap the frame of `len` bytes at buf in a tunnel, as a mirror or overlay
 * would send it: VXLAN from one of 4 VTEPs (VNI 1000..1003, the UDP source
 * port from the inner flow, as VTEPs spread entropy), or ERSPAN type II of
 * one session between one switch and the probe (one outer flow).
 */
static unsigned int
encap(uint8_t *buf, unsigned int len, int mode, uint32_t id, uint32_t seq)
{
	uint8_t *o = buf;
	unsigned int l3 = 14, l4 = 34;

	memmove(buf + ENCAP_LEN, buf, len);
	memset(o, 0, ENCAP_LEN);
	memcpy(o, "\x02\x00\x00\x00\x00\x0a\x02\x00\x00\x00\x00\x0b", 12);
	put16(o + 12, 0x0800);
	o[l3] = 0x45;
	put16(o + l3 + 2, (uint16_t)(len + ENCAP_LEN - 14));
	o[l3 + 8] = 64;
	if (mode == ENCAP_VXLAN) {
		o[l3 + 9] = 17;
		put32(o + l3 + 12, 0xac100001u + id % 4);
		put32(o + l3 + 16, 0xac100100u);
		put16(o + l4, (uint16_t)(49152 + (id * 2654435761u >> 18) % 16384));
		put16(o + l4 + 2, 4789);
		put16(o + l4 + 4, (uint16_t)(len + 16));
		o[l4 + 8] = 0x08;
		put32(o + l4 + 12, (1000u + id % 4) << 8);
	} else {
		o[l3 + 9] = 47;
		put32(o + l3 + 12, 0xac100001u);
		put32(o + l3 + 16, 0xac100100u);
		put16(o + l4, 0x1000);		/* S: type II */
		put16(o + l4 + 2, 0x88be);
		put32(o + l4 + 4, seq);
		put16(o + l4 + 8, 0x1000);	/* version 1 */
		put16(o + l4 + 10, 42);		/* session */
	}
	put16(o + l3 + 10, ip_csum(o + l3, 20));
	return len + ENCAP_LEN;
}

static void
usage(FILE *o)
{
	fprintf(o, "usage: sf_pcapgen -o FILE [-n PACKETS] [-f FLOWS] [-z ZIPF] [-s MIN] [-S MAX]\n"
		"                  [-6 IPV6_SHARE] [-u UDP_SHARE] [-N NEW_SHARE] [-d SECONDS]\n"
		"                  [-r SEED] [-l TCP_FLOW_LEN] [-E vxlan|erspan]\n"
		"                  [-T [-L LOSS_SHARE] [-R REORDER_SHARE]] [-A QUIC_INITIAL_FILE]\n");
}

int
main(int argc, char **argv)
{
	struct gen g = {
		.packets = 1000000, .flows = 10000, .min_size = 64, .max_size = 128,
		.duration = 60.0, .seed = 1, .length = 40,
	};
	static uint8_t buf[2048];
	pcap_t *dead;
	pcap_dumper_t *dump;
	uint64_t i, t0 = 1700000000ULL * 1000000000ULL;
	int c;

	while ((c = getopt(argc, argv, "o:n:f:z:s:S:6:u:N:d:r:l:E:TL:R:A:h")) != -1) {
		switch (c) {
		case 'o': g.out = optarg; break;
		case 'n': g.packets = strtoull(optarg, NULL, 0); break;
		case 'f': g.flows = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'z': g.zipf = strtod(optarg, NULL); break;
		case 's': g.min_size = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'S': g.max_size = (unsigned int)strtoul(optarg, NULL, 0); break;
		case '6': g.v6_share = strtod(optarg, NULL); break;
		case 'u': g.udp_share = strtod(optarg, NULL); break;
		case 'N': g.new_share = strtod(optarg, NULL); break;
		case 'd': g.duration = strtod(optarg, NULL); break;
		case 'r': g.seed = strtoull(optarg, NULL, 0); break;
		case 'l': g.length = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'T': g.tcp_seq = true; break;
		case 'L': g.loss_share = strtod(optarg, NULL); break;
		case 'R': g.reorder_share = strtod(optarg, NULL); break;
		case 'E':
			g.encap = strcmp(optarg, "vxlan") == 0 ? ENCAP_VXLAN :
				strcmp(optarg, "erspan") == 0 ? ENCAP_ERSPAN : -1;
			if (g.encap < 0) {
				fprintf(stderr, "sf_pcapgen: -E vxlan or -E erspan\n");
				return 2;
			}
			break;
		case 'A': {
			static uint8_t q[1500];
			FILE *qf = fopen(optarg, "rb");

			g.quic_len = qf != NULL ? fread(q, 1, sizeof(q), qf) : 0;
			if (qf != NULL)
				fclose(qf);
			if (g.quic_len == 0 || g.quic_len > 1400) {
				fprintf(stderr, "sf_pcapgen: -A %s: a QUIC client Initial of 1..1400 "
						"bytes\n", optarg);
				return 2;
			}
			g.quic = q;
			break;
		}
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (g.out == NULL || g.flows == 0 || g.packets == 0 || g.length < 4 ||
			g.min_size < 64 || g.max_size < g.min_size || g.max_size > 1514) {
		usage(stderr);
		fprintf(stderr, "sf_pcapgen: need -o, flows and packets > 0, 64 <= MIN <= MAX "
				"<= 1514, LEN >= 4\n");
		return 2;
	}
	g.rng = g.seed;
	g.fl = calloc(g.flows, sizeof(*g.fl));
	if (g.fl == NULL)
		return 1;
	if (g.zipf > 0) {
		double sum = 0;

		g.cdf = malloc(sizeof(double) * g.flows);
		if (g.cdf == NULL)
			return 1;
		for (i = 0; i < g.flows; i++)
			sum += 1.0 / pow((double)(i + 1), g.zipf);
		for (i = 0; i < g.flows; i++)
			g.cdf[i] = (i ? g.cdf[i - 1] : 0) + 1.0 / pow((double)(i + 1), g.zipf) / sum;
	}
	for (i = 0; i < g.flows; i++) {
		g.fl[i].v6 = rnd01(&g) < g.v6_share;
		g.fl[i].udp = rnd01(&g) < g.udp_share;
		g.fl[i].length = g.length / 2 + (uint32_t)(rnd(&g) % g.length);
		if (g.quic != NULL) {
			double u = rnd01(&g);

			g.fl[i].app = u < 0.4 ? APP_TLS : u < 0.5 ? APP_HTTP : u < 0.8 ? APP_DNS :
				APP_QUIC;
			g.fl[i].udp = g.fl[i].app == APP_DNS || g.fl[i].app == APP_QUIC;
		}
	}
	dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
	dump = dead ? pcap_dump_open(dead, g.out) : NULL;
	if (dump == NULL) {
		fprintf(stderr, "sf_pcapgen: %s: %s\n", g.out, dead ? pcap_geterr(dead) : "pcap");
		return 1;
	}
	for (i = 0; i < g.packets; i++) {
		struct pcap_pkthdr h;
		uint64_t ts = t0 + (uint64_t)((double)i * g.duration * 1e9 / (double)g.packets);
		unsigned int size = g.min_size + (unsigned int)(rnd(&g) %
				(g.max_size - g.min_size + 1));
		uint8_t flags = 0x18;	/* PSH ACK */
		int dir = (int)(rnd(&g) & 1);
		uint32_t id;
		struct flow *f, scan;

		if (g.new_share > 0 && rnd01(&g) < g.new_share) {
			/* A SYN from a source never seen before. */
			memset(&scan, 0, sizeof(scan));
			id = (uint32_t)(g.new_flows % g.flows);
			scan.v6 = g.fl[id].v6;
			f = &scan;
			flags = 0x02;
			dir = 0;
			size = f->v6 ? 74 : 64;
			size = size < g.min_size ? g.min_size : size;
			build(buf, size, id, f, dir, flags, (uint32_t)(1 + g.new_flows++ / g.flows),
					(uint32_t)rnd(&g), 0);
		} else {
			id = pick_flow(&g);
			f = &g.fl[id];
			if (!f->udp) {
				if (f->count == 0) { flags = 0x02; dir = 0; }
				else if (f->count == 1) { flags = 0x12; dir = 1; }
				else if (f->count == 2) { flags = 0x10; dir = 0; }
				else if (f->count + 2 == f->length) { flags = 0x11; dir = 0; }
				else if (f->count + 1 == f->length) { flags = 0x11; dir = 1; }
			}
			if (f->v6 && size < 78)
				size = 78;
			/* -A: the packet that carries the application's first message */
			if (f->app != APP_NONE && f->count == (f->udp ? 0u : 2u)) {
				dir = 0;
				flags = 0x18;
			} else if (f->app == APP_DNS && f->count == 1) {
				dir = 1;
			}
			{
				static uint8_t pl[1500];
				unsigned int plen = 0, hdrs = 14 + (f->v6 ? 40 : 20) + (f->udp ? 8 : 20);

				if (f->app != APP_NONE && f->count == (f->udp ? 0u : 2u)) {
					if (f->app == APP_TLS)
						plen = app_tls(pl, id);
					else if (f->app == APP_HTTP)
						plen = app_http(pl, id);
					else if (f->app == APP_DNS)
						plen = app_dns(pl, id, false);
					else
						memcpy(pl, g.quic, plen = (unsigned int)g.quic_len);
				} else if (f->app == APP_DNS && f->count == 1) {
					plen = app_dns(pl, id, true);
				}
				if (plen != 0)
					size = hdrs + plen;
				if (g.tcp_seq && !f->udp) {
					uint32_t seq, ack;

					size = tcp_segment(&g, f, id, dir, flags, size, &seq, &ack);
					build(buf, size, id, f, dir, flags, 0, seq, ack);
				} else {
					build(buf, size, id, f, dir, flags, 0, f->count * 1000u, 0);
				}
				if (plen != 0)
					memcpy(buf + hdrs, pl, plen);
			}
			if (++f->count == f->length && !f->udp) {
				f->count = 0;
				f->gen++;
			}
		}
		if (g.encap != ENCAP_NONE)
			size = encap(buf, size, g.encap, id, (uint32_t)i);
		h.ts.tv_sec = (time_t)(ts / 1000000000ULL);
		h.ts.tv_usec = (suseconds_t)(ts % 1000000000ULL);
		h.caplen = h.len = size;
		pcap_dump((u_char *)dump, &h, buf);
	}
	pcap_dump_close(dump);
	pcap_close(dead);
	free(g.cdf);
	free(g.fl);
	return 0;
}
