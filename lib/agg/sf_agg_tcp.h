/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP health per server and per client subnet (with tcp.analysis only):
 * handshake RTTs in a log-histogram, packets and retransmissions.
 *
 * The RTT histogram (struct sf_rtt_hist) has SF_RTT_SUB buckets per power
 * of two of nanoseconds between 2^SF_RTT_MIN_EXP ns (1.024 us) and
 * 2^SF_RTT_MAX_EXP ns (68.7 s), one bucket below and one above. A bucket's
 * upper bound is at most 1 + 1/SF_RTT_SUB times its lower one, so the
 * value a quantile reports (its bucket's midpoint, kept within the exact
 * minimum and maximum) is within 1/(2 SF_RTT_SUB) = 6.25% of the true
 * quantile (below 1.024 us: within 512 ns; from 68.7 s: "at least").
 * Counts are exact integers: histograms add bucket by bucket, so merged
 * workers' histograms are the one histogram of all handshakes, for 1 or
 * N workers alike.
 *
 * Keys (struct sf_tcp_host): the address as the flow key has it, with
 * what the key uses to separate address spaces (IP version, VLAN, tunnel
 * context), so an address behind two VLANs or VNIs is two servers. A
 * server is a TCP flow's responder (the record's direction 1 end: the
 * receiver of the SYN, or of the first packet seen when the handshake was
 * not). A client subnet is the initiator's address cut to a prefix
 * (tcp.client_prefix_v4, _v6: /24 and /64 by default).
 *
 * A worker counts its interval in a bounded table (struct sf_tcpa_table:
 * SF_TCPA_SERVERS servers, SF_TCPA_SUBNETS subnets, the rest counted in one
 * "other" row each), fed when a fact is known: every packet of an analysed
 * TCP flow, a retransmission when the analysis flags it, an RTT when the
 * handshake completes. A flow caches its rows (struct sf_tcpa_ref) for the
 * interval, so a packet costs two lookups per flow per interval and a few
 * increments. The table travels whole to the collector (lib/msg,
 * SF_MSG_TCP), which folds the workers' rows (exact), ranks "slowest
 * servers" and "most retransmissions" (struct sf_tcpa_top, in the interval
 * aggregate) and keeps the run's in a bounded table (sf_summary.c).
 */
#ifndef SF_AGG_TCP_H
#define SF_AGG_TCP_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>

#include "sf_flow.h"

/* ---- the RTT log-histogram ---- */

#define SF_RTT_SUB_BITS 3
#define SF_RTT_SUB (1u << SF_RTT_SUB_BITS)	/* buckets per power of two */
#define SF_RTT_MIN_EXP 10			/* 2^10 ns: bucket 0 is below */
#define SF_RTT_MAX_EXP 36			/* 2^36 ns: the last bucket from there */
#define SF_RTT_BUCKETS ((SF_RTT_MAX_EXP - SF_RTT_MIN_EXP) * SF_RTT_SUB + 2)

struct sf_rtt_hist {
	uint64_t count;			/* values, the sum of b[] */
	uint64_t sum_ns;
	uint64_t min_ns;		/* valid when count != 0 */
	uint64_t max_ns;
	uint64_t b[SF_RTT_BUCKETS];
};

/* The bucket of a value in ns. */
static inline unsigned int
sf_rtt_bucket(uint64_t ns)
{
	unsigned int e;

	if (ns < (UINT64_C(1) << SF_RTT_MIN_EXP))
		return 0;
	if (ns >= (UINT64_C(1) << SF_RTT_MAX_EXP))
		return SF_RTT_BUCKETS - 1;
	e = 63u - (unsigned int)__builtin_clzll(ns);
	return 1 + (e - SF_RTT_MIN_EXP) * SF_RTT_SUB +
		(unsigned int)((ns >> (e - SF_RTT_SUB_BITS)) & (SF_RTT_SUB - 1));
}

/* Lowest value of bucket b (b < SF_RTT_BUCKETS); bucket b + 1 starts where b ends. */
static inline uint64_t
sf_rtt_bucket_lower(unsigned int b)
{
	unsigned int e;

	if (b == 0)
		return 0;
	if (b >= SF_RTT_BUCKETS - 1)
		return UINT64_C(1) << SF_RTT_MAX_EXP;
	e = SF_RTT_MIN_EXP + (b - 1) / SF_RTT_SUB;
	return (uint64_t)(SF_RTT_SUB + (b - 1) % SF_RTT_SUB) << (e - SF_RTT_SUB_BITS);
}

static inline void
sf_rtt_add(struct sf_rtt_hist *h, uint64_t ns)
{
	if (h->count == 0 || ns < h->min_ns)
		h->min_ns = ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
	h->count++;
	h->sum_ns += ns;
	h->b[sf_rtt_bucket(ns)]++;
}

/* Add src into dst: exact. */
void sf_rtt_merge(struct sf_rtt_hist *dst, const struct sf_rtt_hist *src);

/*
 * The q-quantile (q in per mille, 1..1000) of h: the value of rank
 * ceil(q * count / 1000) in ascending order: the minimum or maximum for
 * the first or last rank (exact), otherwise estimated as its bucket's
 * midpoint, clamped to [min, max]. 0 if h is empty.
 */
uint64_t sf_rtt_quantile(const struct sf_rtt_hist *h, unsigned int q_permille);

/* ---- keys and rows ---- */

#define SF_TCPA_SERVERS 512	/* servers a worker counts per interval; a power of two */
#define SF_TCPA_SUBNETS 1024	/* client subnets a worker counts per interval */
#define SF_TCPA_SUBNET4 24	/* client subnet prefix lengths by default */
#define SF_TCPA_SUBNET6 64
#define SF_TCPA_TOP 20		/* entries of each ranking */
#define SF_TCPA_SLOW_MIN 3	/* handshakes a server needs to be ranked by RTT */

/* An address (a server's, or a client subnet's, masked) in its address space. */
struct sf_tcp_host {
	uint8_t addr[16];
	uint32_t ctx;		/* the flow key's tunnel context */
	uint16_t vlan;
	uint8_t ipver;		/* 4 or 6; 0: the "other" row */
	uint8_t ctx_kind;
};

_Static_assert(sizeof(struct sf_tcp_host) == 24, "a key has no padding");

/* [0] from the clients (initiators) to the server, [1] back, as records count. */
struct sf_tcpa_server {
	struct sf_tcp_host key;
	uint64_t packets[2];
	uint64_t retrans[2];
	struct sf_rtt_hist rtt;	/* the SYN -> SYN/ACK time at the probe (rtt_server_ns) */
};

/* [0] from the clients of the subnet, [1] to them. */
struct sf_tcpa_subnet {
	struct sf_tcp_host key;
	uint64_t packets[2];
	uint64_t retrans[2];
	uint64_t handshakes : 56;
	uint64_t prefix : 8;	/* the key's prefix length */
};

_Static_assert(sizeof(struct sf_tcpa_subnet) == 64, "a subnet row is one cache line");

/*
 * A bounded keyed set of rows: an open-addressing index of twice the
 * rows (slot: row + 1, 0 free), rows in first-seen order. The worker's
 * table and the run's (sf_summary.c) both use it.
 */
struct sf_tcpa_index {
	uint32_t n;		/* rows in use */
	uint32_t max;		/* rows; slots are 2 * max, a power of two */
	uint32_t *slot;
};

/*
 * The row of key k in index x over rows of `size` bytes that start with
 * their key, added zeroed (with its key) if absent and there is room;
 * NULL if the index is full.
 */
void *sf_tcpa_row(struct sf_tcpa_index *x, void *rows, size_t size,
		const struct sf_tcp_host *k);

/* Empty x (its slots only if it was used). */
void sf_tcpa_index_reset(struct sf_tcpa_index *x);

/*
 * A worker's table for one interval. The row after the last of serv[]
 * (sub[]) is the "other" row: servers (subnets) that found the table full.
 */
struct sf_tcpa_table {
	uint32_t gen;			/* grows at each reset; never 0 */
	uint8_t prefix4, prefix6;	/* client subnets' prefix lengths */
	uint16_t pad;
	struct sf_tcpa_index si, ni;
	uint32_t sslot[2 * SF_TCPA_SERVERS];
	uint32_t nslot[2 * SF_TCPA_SUBNETS];
	struct sf_tcpa_server serv[SF_TCPA_SERVERS + 1];
	struct sf_tcpa_subnet sub[SF_TCPA_SUBNETS + 1];
};

#define SF_TCPA_ROW_BITS 10	/* a ref's server row; the subnet row above it */

_Static_assert(SF_TCPA_SERVERS < (1u << SF_TCPA_ROW_BITS) &&
		SF_TCPA_SUBNETS < (1u << (24 - SF_TCPA_ROW_BITS)), "a ref's rows fit 24 bits");

/*
 * A flow's rows in the table (server row + (subnet row << SF_TCPA_ROW_BITS),
 * little-endian in rows[]), valid while gen equals the table's; a zeroed
 * ref is stale. Seven bytes, so that it fits in the first line of the
 * flow's cold area, which every packet reads anyway. gen cannot come round
 * while a flow waits for its next packet: it grows at most once an interval
 * (1 ms or more) and a flow stays idle at most 7 days (6.05e8 < 2^32).
 */
struct sf_tcpa_ref {
	uint8_t rows[3];
	uint32_t gen;
} __attribute__((packed));

_Static_assert(sizeof(struct sf_tcpa_ref) == 7, "a ref is seven bytes");

/*
 * A table ready for use (the caller zeroed it), client subnets cut to
 * prefix4 (1..32) or prefix6 (1..128) bits; 0 takes the default.
 */
void sf_tcpa_table_init(struct sf_tcpa_table *t, unsigned int prefix4, unsigned int prefix6);

/* Empty the table for the next interval: every ref goes stale. */
void sf_tcpa_table_reset(struct sf_tcpa_table *t);

static inline bool
sf_tcpa_table_empty(const struct sf_tcpa_table *t)
{
	const struct sf_tcpa_server *os = &t->serv[SF_TCPA_SERVERS];
	const struct sf_tcpa_subnet *on = &t->sub[SF_TCPA_SUBNETS];

	return t->si.n == 0 && t->ni.n == 0 && os->packets[0] == 0 && os->packets[1] == 0 &&
		on->packets[0] == 0 && on->packets[1] == 0;
}

/*
 * Look up a flow's rows for this interval: key its flow key, init which
 * end initiated (enum sf_flow_dir).
 */
void sf_tcpa_bind(struct sf_tcpa_table *t, struct sf_tcpa_ref *r, const struct sf_flow_key *key,
		unsigned int init);

/*
 * One packet of an analysed TCP flow: dir its record direction (0 from the
 * initiator), retrans whether the analysis found it a retransmission, and
 * rtt whether it completed the handshake (then *rtt_ns is the server's RTT,
 * read only then).
 */
static inline void
sf_tcpa_packet(struct sf_tcpa_table *t, struct sf_tcpa_ref *r, const struct sf_flow_key *key,
		unsigned int init, unsigned int dir, bool retrans, bool rtt, const uint64_t *rtt_ns)
{
	struct sf_tcpa_server *s;
	struct sf_tcpa_subnet *n;
	uint32_t rows;

	if (unlikely(r->gen != t->gen))
		sf_tcpa_bind(t, r, key, init);
	rows = 0;
	memcpy(&rows, r->rows, sizeof(r->rows));
	rows = rte_le_to_cpu_32(rows);
	s = &t->serv[rows & ((1u << SF_TCPA_ROW_BITS) - 1)];
	n = &t->sub[rows >> SF_TCPA_ROW_BITS];
	dir &= 1;
	s->packets[dir]++;
	n->packets[dir]++;
	if (unlikely(retrans)) {
		s->retrans[dir]++;
		n->retrans[dir]++;
	}
	if (unlikely(rtt)) {
		sf_rtt_add(&s->rtt, *rtt_ns);
		n->handshakes++;
	}
}

/* ---- the collector's side ---- */

/* A ranked server or subnet, as shown (the histogram summed up). */
struct sf_tcpa_rank {
	struct sf_tcp_host key;
	uint32_t prefix;	/* a subnet's prefix length; 0 for a server */
	uint32_t pad;
	uint64_t packets[2];
	uint64_t retrans[2];
	uint64_t handshakes;
	uint64_t rtt_p50_ns, rtt_p90_ns, rtt_p99_ns;	/* servers with handshakes */
	uint64_t rtt_min_ns, rtt_max_ns, rtt_sum_ns;
};

/*
 * An interval's (or the run's) rankings and totals, part of the interval
 * aggregate (sf_agg.h) and of the run's totals; the collector fills it.
 *  - slow: servers with at least SF_TCPA_SLOW_MIN handshakes by p90 RTT
 *    (descending), then p50, then handshakes, then key;
 *  - retrans_servers, retrans_subnets: rows with a retransmission, by
 *    retransmitted packets (both directions; descending), then packets
 *    (ascending: the higher rate first), then key.
 * The totals cover every row, the "other" rows included; rtt is the
 * histogram of every handshake (the Prometheus histogram's source).
 */
struct sf_tcpa_top {
	uint32_t nslow, nrserv, nrsub, pad;
	struct sf_tcpa_rank slow[SF_TCPA_TOP];
	struct sf_tcpa_rank rserv[SF_TCPA_TOP];
	struct sf_tcpa_rank rsub[SF_TCPA_TOP];
	uint64_t servers, subnets;	/* distinct rows known (the other rows aside) */
	uint64_t packets, retrans;	/* both directions */
	uint64_t server_overflow_packets;	/* of servers a bounded table had no room for */
	uint64_t subnet_overflow_packets;	/* of subnets a bounded table had no room for */
	struct sf_rtt_hist rtt;
};

static inline bool
sf_tcpa_top_empty(const struct sf_tcpa_top *t)
{
	return t->packets == 0;
}

/* Sum rows of equal key in e[0..n) (sorts by key, in place); the distinct rows left. */
unsigned int sf_tcpa_fold_servers(struct sf_tcpa_server *e, unsigned int n);
unsigned int sf_tcpa_fold_subnets(struct sf_tcpa_subnet *e, unsigned int n);

/* Rank n distinct servers and m distinct subnets, with the other rows, into top. */
void sf_tcpa_rank(struct sf_tcpa_top *top, const struct sf_tcpa_server *s, unsigned int n,
		const struct sf_tcpa_subnet *sub, unsigned int m,
		const struct sf_tcpa_server *other_server,
		const struct sf_tcpa_subnet *other_subnet);

/* Add a server's (subnet's) counts into dst of the same key. */
void sf_tcpa_server_add(struct sf_tcpa_server *dst, const struct sf_tcpa_server *src);
void sf_tcpa_subnet_add(struct sf_tcpa_subnet *dst, const struct sf_tcpa_subnet *src);

#endif /* SF_AGG_TCP_H */
