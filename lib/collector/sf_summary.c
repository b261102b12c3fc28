/* SPDX-License-Identifier: BSD-3-Clause */
#include <math.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_prefetch.h>

#include "sf_common.h"
#include "sf_summary.h"

/*
 * Talkers: a bounded heavy-hitter summary (Space-Saving, bucketed). A host
 * hashes to one bucket of TALKER_WAYS slots. A host not in its bucket takes
 * a free slot; in a full bucket it replaces the slot with the fewest bytes
 * and inherits that count as its error (Space-Saving): `bytes` is then an
 * upper bound of the host's bytes and `bytes_err` how far it may be over;
 * packets and flows count from the moment the host got its slot. So memory
 * is fixed whatever the traffic (a flood of random sources cannot grow
 * it), every update is O(1), and while no host was ever replaced every
 * count is exact. Distinct hosts are counted exactly in that case too and
 * estimated with a HyperLogLog sketch otherwise.
 */
#define TALKER_WAYS 8
#define TALKER_BUCKETS_LOG2 14		/* 16384 buckets, 131072 hosts, 7 MiB */
#define HLL_LOG2 12			/* 4096 registers: ~1.6% standard error */
_Static_assert(TALKER_WAYS == 8, "tag_match assumes 8 slots");

/*
 * Ports: exact totals per responder port of TCP, UDP and SCTP records, in
 * a table indexed by protocol and port (a record is one array access).
 */
#define PORT_PROTOS 3

/*
 * A bucket's header holds what every update reads: a tag per slot (from
 * the hash; 0 = free) and the slots' byte counts (the Space-Saving
 * counts, scanned for the minimum on replacement), so a lookup touches the
 * header and at most the one slot whose tag matches.
 */
struct talker_bucket {
	uint32_t tag[TALKER_WAYS];
	uint64_t bytes[TALKER_WAYS];
} __rte_aligned(32);

struct host_map {
	struct talker_bucket *bkt;
	struct sf_talker *slots;	/* TALKER_WAYS per bucket; their bytes live
					 * in the header only (set when ranking) */
	uint32_t bmask;
	uint64_t used;			/* slots taken */
	uint64_t replaced;		/* hosts that took another's slot */
	uint8_t hll[1u << HLL_LOG2];
};

struct port_cnt {
	uint64_t packets;
	uint64_t bytes;
	uint64_t flows;
};

/*
 * The run's tunnel contexts: a bounded table like a worker's (sf_agg_tun.h),
 * fed with each finalized interval's merged contexts.
 */
#define TUN_RUN_MAX 4096
#define TUN_RUN_SLOTS (2 * TUN_RUN_MAX)

struct tun_run {
	uint32_t n;
	uint64_t over_packets, over_bytes;	/* contexts that found it full */
	uint16_t slot[TUN_RUN_SLOTS];		/* entry + 1, 0 free */
	struct sf_tun_entry ent[TUN_RUN_MAX];
};

/*
 * The run's TCP servers and client subnets: bounded tables (sf_agg_tcp.h)
 * fed with each finalized interval's merged rows; allocated by the first.
 */
#define TCP_RUN_SERVERS 2048
#define TCP_RUN_SUBNETS 4096

struct tcp_run {
	struct sf_tcpa_index si, ni;
	struct sf_tcpa_server other_server;	/* rows that found a table full */
	struct sf_tcpa_subnet other_subnet;
	uint32_t sslot[2 * TCP_RUN_SERVERS];
	uint32_t nslot[2 * TCP_RUN_SUBNETS];
	struct sf_tcpa_server serv[TCP_RUN_SERVERS];
	struct sf_tcpa_subnet sub[TCP_RUN_SUBNETS];
};

struct sf_summary {
	struct tun_run *tun;
	struct tcp_run *tcp;			/* NULL until TCP rows come */
	struct sf_names *names[SF_NAMES_KINDS];	/* NULL until a name comes */
	struct host_map hosts;
	struct port_cnt *ports;		/* [PORT_PROTOS][65536] */
	uint32_t *used;			/* indexes into ports[] seen so far */
	size_t n_used, cap_used;
};

static const uint8_t port_protos[PORT_PROTOS] = { 6, 17, 132 };

struct sf_summary *
sf_summary_create(void)
{
	struct sf_summary *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->hosts.bmask = (1u << TALKER_BUCKETS_LOG2) - 1;
	s->hosts.slots = calloc((size_t)TALKER_WAYS << TALKER_BUCKETS_LOG2,
			sizeof(*s->hosts.slots));
	s->hosts.bkt = aligned_alloc(alignof(struct talker_bucket),
			sizeof(struct talker_bucket) << TALKER_BUCKETS_LOG2);
	s->ports = calloc((size_t)PORT_PROTOS * 65536, sizeof(*s->ports));
	s->tun = calloc(1, sizeof(*s->tun));
	if (s->hosts.slots == NULL || s->hosts.bkt == NULL || s->ports == NULL ||
			s->tun == NULL) {
		sf_summary_free(s);
		return NULL;
	}
	memset(s->hosts.bkt, 0, sizeof(struct talker_bucket) << TALKER_BUCKETS_LOG2);
	return s;
}

void
sf_summary_free(struct sf_summary *s)
{
	if (s == NULL)
		return;
	free(s->hosts.slots);
	free(s->hosts.bkt);
	free(s->ports);
	free(s->used);
	free(s->tun);
	free(s->tcp);
	sf_names_free(s->names[SF_NAMES_SERVER]);
	sf_names_free(s->names[SF_NAMES_DNS]);
	free(s);
}

/* 64-bit mix (MurmurHash3's finalizer). */
static inline uint64_t
mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static inline uint64_t
host_hash(const uint8_t *addr, uint8_t ipver)
{
	uint64_t w0, w1;

	memcpy(&w0, addr, 8);
	memcpy(&w1, addr + 8, 8);
	return mix64(w0 ^ mix64(w1 ^ ((uint64_t)ipver << 56)));
}

/* HyperLogLog: the top bits pick a register, the rest give the rank. */
static inline void
hll_add(uint8_t *reg, uint64_t h)
{
	uint32_t j = (uint32_t)(h >> (64 - HLL_LOG2));
	uint64_t w = (h << HLL_LOG2) | (UINT64_C(1) << (HLL_LOG2 - 1));
	uint8_t rank = (uint8_t)(__builtin_clzll(w) + 1);

	if (rank > reg[j])
		reg[j] = rank;
}

/* Flajolet et al. 2007, with linear counting for small cardinalities. */
static uint64_t
hll_estimate(const uint8_t *reg)
{
	const double m = (double)(1u << HLL_LOG2);
	double sum = 0, e;
	unsigned int j, zeros = 0;

	for (j = 0; j < (1u << HLL_LOG2); j++) {
		sum += ldexp(1.0, -(int)reg[j]);
		zeros += reg[j] == 0;
	}
	e = 0.7213 / (1 + 1.079 / m) * m * m / sum;
	if (e <= 2.5 * m && zeros != 0)
		e = m * log(m / zeros);
	return (uint64_t)(e + 0.5);
}

static inline bool
host_eq(const struct sf_talker *t, const uint8_t *addr, uint8_t ipver)
{
	uint64_t a0, a1, b0, b1;

	memcpy(&a0, t->addr, 8);
	memcpy(&a1, t->addr + 8, 8);
	memcpy(&b0, addr, 8);
	memcpy(&b1, addr + 8, 8);
	return ((a0 ^ b0) | (a1 ^ b1)) == 0 && t->ipver == ipver;
}

/* Bit k set: slot k's tag equals `tag`; *empty: bit k set if slot k is free. */
static inline uint32_t
tag_match(const struct talker_bucket *b, uint32_t tag, uint32_t *empty)
{
	*empty = sf_match8_u32(b->tag, 0);
	return sf_match8_u32(b->tag, tag);
}

/* Fetch what host_add() will read for hash h. */
static inline void
host_prefetch(const struct host_map *m, uint64_t h)
{
	uint32_t bi = (uint32_t)h & m->bmask;

	rte_prefetch0(&m->bkt[bi]);
	rte_prefetch0(&m->slots[(size_t)bi * TALKER_WAYS]);
}

static void
host_add(struct host_map *m, const uint8_t *addr, uint8_t ipver, uint64_t h,
		uint64_t bytes, uint64_t packets)
{
	uint32_t bi = (uint32_t)h & m->bmask;
	uint32_t tag = (uint32_t)(h >> 32) | 1;
	struct talker_bucket *b = &m->bkt[bi];
	struct sf_talker *slots = &m->slots[(size_t)bi * TALKER_WAYS];
	unsigned int k, min = 0;
	uint32_t match, empty;

	hll_add(m->hll, h);
	match = tag_match(b, tag, &empty);
	while (match != 0) {
		k = (unsigned int)__builtin_ctz(match);
		if (host_eq(&slots[k], addr, ipver))
			goto count;
		match &= match - 1;
	}
	if (empty != 0) {
		k = (unsigned int)__builtin_ctz(empty);
		m->used++;
		slots[k].bytes_err = 0;
	} else {
		/* Space-Saving: take the smallest slot and its count as error. */
		for (k = 1; k < TALKER_WAYS; k++)
			if (b->bytes[k] < b->bytes[min])
				min = k;
		k = min;
		slots[k].bytes_err = b->bytes[k];
		m->replaced++;
	}
	b->tag[k] = tag;
	memcpy(slots[k].addr, addr, 16);
	slots[k].ipver = ipver;
	slots[k].packets = 0;
	slots[k].flows = 0;
count:
	b->bytes[k] += bytes;
	slots[k].packets += packets;
	slots[k].flows++;
}

/* The port table index of a record's responder port, or -1 (no ports, port 0). */
static inline int64_t
port_index(const struct sf_flow_record *r)
{
	uint16_t port = sf_flow_record_port(r, true);
	int64_t pi;

	switch (r->key.proto) {
	case 6:
		pi = 0;
		break;
	case 17:
		pi = 1;
		break;
	case 132:
		pi = 2;
		break;
	default:
		return -1;
	}
	return port != 0 ? pi * 65536 + port : -1;
}

static void
port_add(struct sf_summary *s, int64_t idx, uint64_t bytes, uint64_t packets)
{
	struct port_cnt *pc = &s->ports[idx];

	if (pc->flows == 0) {
		if (s->n_used == s->cap_used) {
			size_t ncap = s->cap_used ? s->cap_used * 2 : 256;
			uint32_t *nu = realloc(s->used, ncap * sizeof(*nu));

			if (nu == NULL)
				return;		/* out of memory: the port stays unranked */
			s->used = nu;
			s->cap_used = ncap;
		}
		s->used[s->n_used++] = (uint32_t)idx;
	}
	pc->packets += packets;
	pc->bytes += bytes;
	pc->flows++;
}

void
sf_summary_add(struct sf_summary *s, struct sf_collector_totals *t,
		const struct sf_flow_record *recs, unsigned int n)
{
	uint64_t h[SF_MSG_RECS][2];
	int64_t port[SF_MSG_RECS];
	unsigned int i, done, k;

	for (done = 0; done < n; done += k) {
		k = RTE_MIN(n - done, (unsigned int)SF_MSG_RECS);
		/* Hash the batch's hosts and fetch their talker slots and ports first. */
		for (i = 0; i < k; i++) {
			const struct sf_flow_record *r = &recs[done + i];

			h[i][0] = host_hash(r->key.addr_lo, r->key.ipver);
			h[i][1] = host_hash(r->key.addr_hi, r->key.ipver);
			host_prefetch(&s->hosts, h[i][0]);
			host_prefetch(&s->hosts, h[i][1]);
			port[i] = port_index(r);
			if (port[i] >= 0)
				rte_prefetch0(&s->ports[port[i]]);
		}
		for (i = 0; i < k; i++) {
			const struct sf_flow_record *r = &recs[done + i];
			uint64_t bytes = r->bytes[0] + r->bytes[1];
			uint64_t pkts = r->packets[0] + r->packets[1];

			t->records++;
			if (r->end_reason < SF_END_MAX)
				t->records_by_reason[r->end_reason]++;
			if (r->start_ns < t->first_ns)
				t->first_ns = r->start_ns;
			if (r->end_ns > t->last_ns)
				t->last_ns = r->end_ns;
			sf_flow_record_top_add(t->top[SF_BY_BYTES], &t->ntop[SF_BY_BYTES],
					SF_TOPK, r, false);
			sf_flow_record_top_add(t->top[SF_BY_PACKETS], &t->ntop[SF_BY_PACKETS],
					SF_TOPK, r, true);
			/* An underlay flow's bytes are its tunnels' flows': counted there. */
			if (unlikely(r->key.ctx_kind == SF_FLOW_CTX_UNDERLAY))
				continue;
			host_add(&s->hosts, r->key.addr_lo, r->key.ipver, h[i][0], bytes, pkts);
			host_add(&s->hosts, r->key.addr_hi, r->key.ipver, h[i][1], bytes, pkts);
			if (port[i] >= 0)
				port_add(s, port[i], bytes, pkts);
		}
	}
}

static int
talker_before(const struct sf_talker *a, const struct sf_talker *b)
{
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes;
	if (a->ipver != b->ipver)
		return a->ipver < b->ipver;
	return memcmp(a->addr, b->addr, 16) < 0;
}

static void
rank_talkers(const struct host_map *m, struct sf_collector_totals *t)
{
	size_t i, nslots = (size_t)(m->bmask + 1) * TALKER_WAYS;

	t->ntalkers = 0;
	t->talkers_exact = m->replaced == 0;
	t->hosts = t->talkers_exact ? m->used : hll_estimate(m->hll);
	for (i = 0; i < nslots; i++) {
		const struct talker_bucket *b = &m->bkt[i / TALKER_WAYS];
		unsigned int k = i % TALKER_WAYS, j;
		struct sf_talker h;

		if (b->tag[k] == 0)
			continue;
		/* Most hosts fall below the list on bytes alone: no copy for them. */
		if (t->ntalkers == SF_TOPK && b->bytes[k] < t->talkers[SF_TOPK - 1].bytes)
			continue;
		h = m->slots[i];
		h.bytes = b->bytes[k];
		if (t->ntalkers == SF_TOPK && !talker_before(&h, &t->talkers[SF_TOPK - 1]))
			continue;
		j = t->ntalkers < SF_TOPK ? t->ntalkers++ : SF_TOPK - 1;
		while (j > 0 && talker_before(&h, &t->talkers[j - 1])) {
			t->talkers[j] = t->talkers[j - 1];
			j--;
		}
		t->talkers[j] = h;
	}
}

static int
port_before(const struct sf_port_total *a, const struct sf_port_total *b)
{
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes;
	if (a->proto != b->proto)
		return a->proto < b->proto;
	return a->port < b->port;
}

static void
rank_ports(const struct sf_summary *s, struct sf_collector_totals *t)
{
	unsigned int n = 0, j;
	size_t i;

	for (i = 0; i < s->n_used; i++) {
		const struct port_cnt *pc = &s->ports[s->used[i]];
		struct sf_port_total e;

		e.proto = port_protos[s->used[i] >> 16];
		e.port = (uint16_t)(s->used[i] & 0xffff);
		e.packets = pc->packets;
		e.bytes = pc->bytes;
		e.flows = pc->flows;
		if (n == SF_TOPK && !port_before(&e, &t->ports[SF_TOPK - 1]))
			continue;
		j = n < SF_TOPK ? n++ : SF_TOPK - 1;
		while (j > 0 && port_before(&e, &t->ports[j - 1])) {
			t->ports[j] = t->ports[j - 1];
			j--;
		}
		t->ports[j] = e;
	}
	t->nports = n;
}

void
sf_summary_tunnels(struct sf_summary *s, const struct sf_tun_entry *e, unsigned int n,
		uint64_t over_packets, uint64_t over_bytes)
{
	struct tun_run *r = s->tun;
	unsigned int i;

	r->over_packets += over_packets;
	r->over_bytes += over_bytes;
	for (i = 0; i < n; i++) {
		uint32_t h;
		struct sf_tun_entry *x = sf_tun_find(r->slot, TUN_RUN_SLOTS - 1, r->ent, e[i].kind,
				e[i].id, &h);

		if (x == NULL) {
			if (r->n == TUN_RUN_MAX) {
				r->over_packets += e[i].packets;
				r->over_bytes += e[i].bytes;
				continue;
			}
			x = &r->ent[r->n++];
			*x = e[i];
			x->packets = 0;
			x->bytes = 0;
			r->slot[h] = (uint16_t)r->n;
		}
		x->packets += e[i].packets;
		x->bytes += e[i].bytes;
	}
}

void
sf_summary_tcp(struct sf_summary *s, const struct sf_tcpa_server *serv, unsigned int n,
		const struct sf_tcpa_subnet *sub, unsigned int m,
		const struct sf_tcpa_server *other_server,
		const struct sf_tcpa_subnet *other_subnet)
{
	struct tcp_run *r = s->tcp;
	unsigned int i;

	if (r == NULL) {
		r = s->tcp = calloc(1, sizeof(*r));
		if (r == NULL)
			return;
		r->si.max = TCP_RUN_SERVERS;
		r->si.slot = r->sslot;
		r->ni.max = TCP_RUN_SUBNETS;
		r->ni.slot = r->nslot;
	}
	sf_tcpa_server_add(&r->other_server, other_server);
	sf_tcpa_subnet_add(&r->other_subnet, other_subnet);
	for (i = 0; i < n; i++) {
		struct sf_tcpa_server *x = sf_tcpa_row(&r->si, r->serv, sizeof(*x), &serv[i].key);

		sf_tcpa_server_add(x != NULL ? x : &r->other_server, &serv[i]);
	}
	for (i = 0; i < m; i++) {
		struct sf_tcpa_subnet *x = sf_tcpa_row(&r->ni, r->sub, sizeof(*x), &sub[i].key);

		sf_tcpa_subnet_add(x != NULL ? x : &r->other_subnet, &sub[i]);
	}
}

void
sf_summary_names(struct sf_summary *s, enum sf_names_kind k, const struct sf_names *iv)
{
	if (s->names[k] == NULL && (s->names[k] = sf_names_create(SF_NAMES_RUN_MAX)) == NULL)
		return;
	sf_names_merge(s->names[k], iv);
}

void
sf_summary_rank(const struct sf_summary *s, struct sf_collector_totals *t)
{
	unsigned int k;

	for (k = 0; k < SF_NAMES_KINDS; k++)
		if (s->names[k] != NULL)
			sf_names_rank(s->names[k], &t->names[k]);
	rank_talkers(&s->hosts, t);
	rank_ports(s, t);
	sf_tun_rank(&t->tunnels, s->tun->ent, s->tun->n, s->tun->over_packets,
			s->tun->over_bytes);
	if (s->tcp != NULL)
		sf_tcpa_rank(&t->tcp, s->tcp->serv, s->tcp->si.n, s->tcp->sub, s->tcp->ni.n,
				&s->tcp->other_server, &s->tcp->other_subnet);
}
