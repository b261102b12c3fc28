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
 * of segments sent ahead of the one before (-R, reordering). The output
 * depends only on the arguments and the seed.
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
		"                  [-T [-L LOSS_SHARE] [-R REORDER_SHARE]]\n");
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

	while ((c = getopt(argc, argv, "o:n:f:z:s:S:6:u:N:d:r:l:E:TL:R:h")) != -1) {
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
			if (g.tcp_seq && !f->udp) {
				uint32_t seq, ack;

				size = tcp_segment(&g, f, id, dir, flags, size, &seq, &ack);
				build(buf, size, id, f, dir, flags, 0, seq, ack);
			} else {
				build(buf, size, id, f, dir, flags, 0, f->count * 1000u, 0);
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
