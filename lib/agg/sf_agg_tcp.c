/* SPDX-License-Identifier: BSD-3-Clause */
/* TCP health per server and client subnet: tables, merging and ranking. */
#include <stdlib.h>
#include <string.h>

#include "sf_agg_tcp.h"
#include "sf_common.h"

void
sf_rtt_merge(struct sf_rtt_hist *dst, const struct sf_rtt_hist *src)
{
	unsigned int i;

	if (src->count == 0)
		return;
	if (dst->count == 0 || src->min_ns < dst->min_ns)
		dst->min_ns = src->min_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
	for (i = 0; i < SF_RTT_BUCKETS; i++)
		dst->b[i] += src->b[i];
}

uint64_t
sf_rtt_quantile(const struct sf_rtt_hist *h, unsigned int q_permille)
{
	uint64_t rank, seen = 0, v;
	unsigned int b;

	if (h->count == 0)
		return 0;
	if (q_permille > 1000)
		q_permille = 1000;
	rank = (h->count * q_permille + 999) / 1000;
	/* The extremes are known exactly. */
	if (rank <= 1)
		return h->min_ns;
	if (rank >= h->count)
		return h->max_ns;
	for (b = 0; b < SF_RTT_BUCKETS - 1; b++) {
		seen += h->b[b];
		if (seen >= rank)
			break;
	}
	v = sf_rtt_bucket_lower(b);
	if (b != SF_RTT_BUCKETS - 1)
		v += (sf_rtt_bucket_lower(b + 1) - v) / 2;
	if (v < h->min_ns)
		v = h->min_ns;
	if (v > h->max_ns)
		v = h->max_ns;
	return v;
}

static inline uint32_t
host_hash(const struct sf_tcp_host *k)
{
	uint64_t w[3];
	uint32_t h = 0x2545f491u;
	unsigned int i;

	memcpy(w, k, sizeof(w));
	for (i = 0; i < 3; i++)
		h = rte_hash_crc_8byte(w[i], h);
	return h;
}

void *
sf_tcpa_row(struct sf_tcpa_index *x, void *rows, size_t size, const struct sf_tcp_host *k)
{
	uint32_t mask = 2 * x->max - 1, h = host_hash(k) & mask;
	struct sf_tcp_host *e;

	for (; x->slot[h] != 0; h = (h + 1) & mask) {
		e = (struct sf_tcp_host *)((char *)rows + (size_t)(x->slot[h] - 1) * size);
		if (memcmp(e, k, sizeof(*k)) == 0)
			return e;
	}
	if (x->n == x->max)
		return NULL;
	e = (struct sf_tcp_host *)((char *)rows + (size_t)x->n * size);
	memset(e, 0, size);
	*e = *k;
	x->slot[h] = ++x->n;
	return e;
}

void
sf_tcpa_index_reset(struct sf_tcpa_index *x)
{
	if (x->n != 0)
		memset(x->slot, 0, 2 * (size_t)x->max * sizeof(x->slot[0]));
	x->n = 0;
}

void
sf_tcpa_table_init(struct sf_tcpa_table *t, unsigned int prefix4, unsigned int prefix6)
{
	t->gen = 1;
	t->prefix4 = (uint8_t)(prefix4 != 0 && prefix4 <= 32 ? prefix4 : SF_TCPA_SUBNET4);
	t->prefix6 = (uint8_t)(prefix6 != 0 && prefix6 <= 128 ? prefix6 : SF_TCPA_SUBNET6);
	t->si.max = SF_TCPA_SERVERS;
	t->si.slot = t->sslot;
	t->ni.max = SF_TCPA_SUBNETS;
	t->ni.slot = t->nslot;
}

void
sf_tcpa_table_reset(struct sf_tcpa_table *t)
{
	sf_tcpa_index_reset(&t->si);
	sf_tcpa_index_reset(&t->ni);
	memset(&t->serv[SF_TCPA_SERVERS], 0, sizeof(t->serv[0]));
	memset(&t->sub[SF_TCPA_SUBNETS], 0, sizeof(t->sub[0]));
	if (++t->gen == 0)
		t->gen = 1;
}

/* The address of end `side` of a key, in its address space; cut to `bits` if not 128. */
static void
host_of(struct sf_tcp_host *h, const struct sf_flow_key *key, unsigned int side,
		unsigned int bits)
{
	const uint8_t *a = side == SF_DIR_LO ? key->addr_lo : key->addr_hi;
	unsigned int i;

	memset(h, 0, sizeof(*h));
	memcpy(h->addr, a, 16);
	for (i = 0; i < 16; i++) {
		if (bits >= 8) {
			bits -= 8;
			continue;
		}
		h->addr[i] &= (uint8_t)(0xff00u >> bits);
		bits = 0;
	}
	h->ctx = key->ctx;
	h->vlan = key->vlan;
	h->ipver = key->ipver;
	h->ctx_kind = key->ctx_kind;
}

void
sf_tcpa_bind(struct sf_tcpa_table *t, struct sf_tcpa_ref *r, const struct sf_flow_key *key,
		unsigned int init)
{
	struct sf_tcp_host h;
	struct sf_tcpa_server *s;
	struct sf_tcpa_subnet *n;
	uint32_t rows;

	host_of(&h, key, (init & 1) ^ 1, 128);
	s = sf_tcpa_row(&t->si, t->serv, sizeof(*s), &h);
	host_of(&h, key, init & 1, key->ipver == 4 ? t->prefix4 : t->prefix6);
	n = sf_tcpa_row(&t->ni, t->sub, sizeof(*n), &h);
	if (n != NULL)
		n->prefix = key->ipver == 4 ? t->prefix4 : t->prefix6;
	rows = (uint32_t)(s != NULL ? s - t->serv : SF_TCPA_SERVERS) |
		(uint32_t)(n != NULL ? n - t->sub : SF_TCPA_SUBNETS) << SF_TCPA_ROW_BITS;
	r->rows[0] = (uint8_t)rows;
	r->rows[1] = (uint8_t)(rows >> 8);
	r->rows[2] = (uint8_t)(rows >> 16);
	r->gen = t->gen;
}

void
sf_tcpa_server_add(struct sf_tcpa_server *dst, const struct sf_tcpa_server *src)
{
	unsigned int d;

	for (d = 0; d < 2; d++) {
		dst->packets[d] += src->packets[d];
		dst->retrans[d] += src->retrans[d];
	}
	sf_rtt_merge(&dst->rtt, &src->rtt);
}

void
sf_tcpa_subnet_add(struct sf_tcpa_subnet *dst, const struct sf_tcpa_subnet *src)
{
	unsigned int d;

	for (d = 0; d < 2; d++) {
		dst->packets[d] += src->packets[d];
		dst->retrans[d] += src->retrans[d];
	}
	dst->handshakes += src->handshakes;
	if (src->prefix != 0)
		dst->prefix = src->prefix;
}

static int
key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct sf_tcp_host));
}

static void
server_add(void *dst, const void *src)
{
	sf_tcpa_server_add(dst, src);
}

static void
subnet_add(void *dst, const void *src)
{
	sf_tcpa_subnet_add(dst, src);
}

unsigned int
sf_tcpa_fold_servers(struct sf_tcpa_server *e, unsigned int n)
{
	return sf_sort_fold(e, n, sizeof(*e), key_cmp, server_add);
}

unsigned int
sf_tcpa_fold_subnets(struct sf_tcpa_subnet *e, unsigned int n)
{
	return sf_sort_fold(e, n, sizeof(*e), key_cmp, subnet_add);
}

static void
rank_of_server(struct sf_tcpa_rank *r, const struct sf_tcpa_server *s)
{
	memset(r, 0, sizeof(*r));
	r->key = s->key;
	memcpy(r->packets, s->packets, sizeof(r->packets));
	memcpy(r->retrans, s->retrans, sizeof(r->retrans));
	r->handshakes = s->rtt.count;
	if (s->rtt.count != 0) {
		r->rtt_p50_ns = sf_rtt_quantile(&s->rtt, 500);
		r->rtt_p90_ns = sf_rtt_quantile(&s->rtt, 900);
		r->rtt_p99_ns = sf_rtt_quantile(&s->rtt, 990);
		r->rtt_min_ns = s->rtt.min_ns;
		r->rtt_max_ns = s->rtt.max_ns;
		r->rtt_sum_ns = s->rtt.sum_ns;
	}
}

static void
rank_of_subnet(struct sf_tcpa_rank *r, const struct sf_tcpa_subnet *s)
{
	memset(r, 0, sizeof(*r));
	r->key = s->key;
	r->prefix = s->prefix;
	memcpy(r->packets, s->packets, sizeof(r->packets));
	memcpy(r->retrans, s->retrans, sizeof(r->retrans));
	r->handshakes = s->handshakes;
}

static bool
slower(const struct sf_tcpa_rank *a, const struct sf_tcpa_rank *b)
{
	if (a->rtt_p90_ns != b->rtt_p90_ns)
		return a->rtt_p90_ns > b->rtt_p90_ns;
	if (a->rtt_p50_ns != b->rtt_p50_ns)
		return a->rtt_p50_ns > b->rtt_p50_ns;
	if (a->handshakes != b->handshakes)
		return a->handshakes > b->handshakes;
	return key_cmp(&a->key, &b->key) < 0;
}

static bool
more_retrans(const struct sf_tcpa_rank *a, const struct sf_tcpa_rank *b)
{
	uint64_t ra = a->retrans[0] + a->retrans[1], rb = b->retrans[0] + b->retrans[1];
	uint64_t pa = a->packets[0] + a->packets[1], pb = b->packets[0] + b->packets[1];

	if (ra != rb)
		return ra > rb;
	if (pa != pb)
		return pa < pb;
	return key_cmp(&a->key, &b->key) < 0;
}

/* Insert r into list[0..*n) of at most SF_TCPA_TOP kept in `before` order. */
static void
insert(struct sf_tcpa_rank *list, uint32_t *n, const struct sf_tcpa_rank *r,
		bool (*before)(const struct sf_tcpa_rank *, const struct sf_tcpa_rank *))
{
	uint32_t j;

	if (*n == SF_TCPA_TOP && !before(r, &list[*n - 1]))
		return;
	j = *n < SF_TCPA_TOP ? (*n)++ : *n - 1;
	for (; j > 0 && before(r, &list[j - 1]); j--)
		list[j] = list[j - 1];
	list[j] = *r;
}

void
sf_tcpa_rank(struct sf_tcpa_top *top, const struct sf_tcpa_server *s, unsigned int n,
		const struct sf_tcpa_subnet *sub, unsigned int m,
		const struct sf_tcpa_server *other_server,
		const struct sf_tcpa_subnet *other_subnet)
{
	struct sf_tcpa_rank r;
	unsigned int i;

	memset(top, 0, sizeof(*top));
	for (i = 0; i < n; i++) {
		top->packets += s[i].packets[0] + s[i].packets[1];
		top->retrans += s[i].retrans[0] + s[i].retrans[1];
		sf_rtt_merge(&top->rtt, &s[i].rtt);
		if (s[i].rtt.count < SF_TCPA_SLOW_MIN && s[i].retrans[0] + s[i].retrans[1] == 0)
			continue;
		rank_of_server(&r, &s[i]);
		if (r.handshakes >= SF_TCPA_SLOW_MIN)
			insert(top->slow, &top->nslow, &r, slower);
		if (r.retrans[0] + r.retrans[1] != 0)
			insert(top->rserv, &top->nrserv, &r, more_retrans);
	}
	for (i = 0; i < m; i++) {
		if (sub[i].retrans[0] + sub[i].retrans[1] == 0)
			continue;
		rank_of_subnet(&r, &sub[i]);
		insert(top->rsub, &top->nrsub, &r, more_retrans);
	}
	top->servers = n;
	top->subnets = m;
	if (other_server != NULL) {
		top->server_overflow_packets = other_server->packets[0] + other_server->packets[1];
		top->packets += top->server_overflow_packets;
		top->retrans += other_server->retrans[0] + other_server->retrans[1];
		sf_rtt_merge(&top->rtt, &other_server->rtt);
	}
	if (other_subnet != NULL)
		top->subnet_overflow_packets = other_subnet->packets[0] + other_subnet->packets[1];
}
