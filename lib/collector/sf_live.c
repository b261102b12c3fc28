/* SPDX-License-Identifier: BSD-3-Clause */
/* The live view (sf_live.h): lists kept by the collector, views on request. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "sf_agg.h"
#include "sf_live.h"

void
sf_live_iv_put(struct sf_live_iv *iv)
{
	if (iv != NULL && atomic_fetch_sub(&iv->ref, 1) == 1)
		free(iv);
}

static bool
listed(const struct sf_flow_topk *f, uint32_t n, const struct sf_flow_topk *t)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (f[i].initiator == t->initiator && f[i].bytes == t->bytes &&
				f[i].packets == t->packets && sf_flow_key_eq(&f[i].key, &t->key))
			return true;
	return false;
}

struct sf_live_iv *
sf_live_iv_make(uint64_t interval, const struct sf_flow_topk *f, uint32_t n,
		uint64_t unl_flows, uint64_t unl_packets, uint64_t unl_bytes,
		const struct sf_flow_topk *top, unsigned int ntop)
{
	struct sf_live_iv *iv;
	unsigned int i;

	if (unl_flows == 0)
		ntop = 0;	/* every flow is itemized: the top ones too */
	iv = malloc(sizeof(*iv) + ((size_t)n + ntop) * sizeof(iv->f[0]));
	if (iv == NULL)
		return NULL;
	atomic_init(&iv->ref, 1);
	iv->interval = interval;
	iv->unlisted_flows = unl_flows;
	iv->unlisted_packets = unl_packets;
	iv->unlisted_bytes = unl_bytes;
	if (n != 0)
		memcpy(iv->f, f, (size_t)n * sizeof(f[0]));
	iv->n = n;
	/* A worker over live.flows: its exact top flows are there all the same. */
	for (i = 0; i < ntop; i++) {
		if (listed(iv->f, n, &top[i]))
			continue;
		iv->f[iv->n++] = top[i];
		iv->unlisted_flows -= iv->unlisted_flows != 0;
		iv->unlisted_packets -= RTE_MIN(iv->unlisted_packets, top[i].packets);
		iv->unlisted_bytes -= RTE_MIN(iv->unlisted_bytes, top[i].bytes);
	}
	return iv;
}

int
sf_live_service_port(const struct sf_flow_key *k, uint8_t initiator)
{
	uint16_t p;

	if (!sf_proto_has_ports(k->proto))
		return -1;
	/* The responder is the end the initiator is not. */
	p = initiator == SF_DIR_LO ? k->port_hi : k->port_lo;
	return p != 0 ? p : -1;
}

static void
row_add(struct sf_live_row *r, uint64_t packets, uint64_t bytes, uint64_t flows)
{
	r->packets += packets;
	r->bytes += bytes;
	r->flows += flows;
}

/* ---- flows summed by key over a scope: an open-addressing table ---- */

struct flow_sum {
	struct sf_live_flow *f;		/* distinct flows */
	uint32_t n, cap;
	uint32_t *slot;			/* index + 1, 0 empty */
	uint32_t mask;
};

static int
flow_sum_init(struct flow_sum *s, uint64_t most)
{
	uint64_t size = 16;

	while (size < most * 2)
		size <<= 1;
	memset(s, 0, sizeof(*s));
	s->f = malloc((most ? most : 1) * sizeof(*s->f));
	s->slot = calloc(size, sizeof(*s->slot));
	if (s->f == NULL || s->slot == NULL) {
		free(s->f);
		free(s->slot);
		return -ENOMEM;
	}
	s->cap = (uint32_t)most;
	s->mask = (uint32_t)(size - 1);
	return 0;
}

static void
flow_sum_add(struct flow_sum *s, const struct sf_flow_topk *t, bool recent)
{
	uint32_t h = sf_flow_key_hash(&t->key) & s->mask;
	struct sf_live_flow *f;

	while (s->slot[h] != 0) {
		f = &s->f[s->slot[h] - 1];
		if (sf_flow_key_eq(&f->key, &t->key)) {
			row_add(&f->c, t->packets, t->bytes, 0);
			f->recent |= recent;
			if (t->app != SF_APP_NONE)
				f->app = t->app;	/* found in a later interval */
			f->rtt_us = RTE_MAX(f->rtt_us, t->rtt_us);
			return;
		}
		h = (h + 1) & s->mask;
	}
	f = &s->f[s->n];
	s->slot[h] = ++s->n;
	memset(f, 0, sizeof(*f));
	f->key = t->key;
	f->initiator = t->initiator;
	f->app = t->app;
	f->rtt_us = t->rtt_us;
	f->recent = recent;
	row_add(&f->c, t->packets, t->bytes, 1);
}

/* ---- ranking ---- */

static int
flow_order(const void *a, const void *b)
{
	const struct sf_live_flow *x = a, *y = b;

	if (x->c.bytes != y->c.bytes)
		return x->c.bytes > y->c.bytes ? -1 : 1;
	return sf_flow_key_cmp(&x->key, &y->key);
}

static int
host_by_addr(const void *a, const void *b)
{
	const struct sf_live_host *x = a, *y = b;

	if (x->ipver != y->ipver)
		return x->ipver < y->ipver ? -1 : 1;
	return memcmp(x->addr, y->addr, 16);
}

static int
host_order(const void *a, const void *b)
{
	const struct sf_live_host *x = a, *y = b;

	if (x->c.bytes != y->c.bytes)
		return x->c.bytes > y->c.bytes ? -1 : 1;
	return host_by_addr(a, b);
}

static int
port_by_key(const void *a, const void *b)
{
	const struct sf_live_port *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	return (int)x->port - (int)y->port;
}

static int
port_order(const void *a, const void *b)
{
	const struct sf_live_port *x = a, *y = b;

	if (x->c.bytes != y->c.bytes)
		return x->c.bytes > y->c.bytes ? -1 : 1;
	return port_by_key(a, b);
}

static int
server_by_key(const void *a, const void *b)
{
	const struct sf_live_server *x = a, *y = b;

	if (x->ipver != y->ipver)
		return x->ipver < y->ipver ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return memcmp(x->addr, y->addr, 16);
}

/* Slowest first: the larger mean RTT (compared without division), then the key. */
static int
server_order(const void *a, const void *b)
{
	const struct sf_live_server *x = a, *y = b;
	unsigned __int128 l = (unsigned __int128)x->rtt_sum_us * y->handshakes;
	unsigned __int128 r = (unsigned __int128)y->rtt_sum_us * x->handshakes;

	if (l != r)
		return l > r ? -1 : 1;
	return server_by_key(a, b);
}

static int
key_by_id(const void *a, const void *b)
{
	const struct sf_live_key *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int
key_order(const void *a, const void *b)
{
	const struct sf_live_key *x = a, *y = b;

	if (x->c.bytes != y->c.bytes)
		return x->c.bytes > y->c.bytes ? -1 : 1;
	return key_by_id(a, b);
}

/*
 * Rows of n items, sorted by key (by_key), added up per key in place;
 * returns the number of distinct keys. Items are `size` bytes with their
 * struct sf_live_row at offset `row`.
 */
static size_t
fold(void *items, size_t n, size_t size, size_t row, int (*by_key)(const void *, const void *))
{
	char *p = items;
	size_t i, k = 0;

	if (n == 0)
		return 0;
	qsort(items, n, size, by_key);
	for (i = 1; i < n; i++) {
		struct sf_live_row *dst = (struct sf_live_row *)(p + k * size + row);
		const struct sf_live_row *src = (const struct sf_live_row *)(p + i * size + row);

		if (by_key(p + k * size, p + i * size) == 0) {
			row_add(dst, src->packets, src->bytes, src->flows);
		} else {
			k++;
			if (k != i)
				memcpy(p + k * size, p + i * size, size);
		}
	}
	return k + 1;
}

/* Sort n folded items by `order` and keep the first `top` in out; returns how many. */
static unsigned int
rank(void *items, size_t n, size_t size, int (*order)(const void *, const void *),
		void *out, unsigned int top)
{
	unsigned int k = (unsigned int)RTE_MIN(n, (size_t)top);

	qsort(items, n, size, order);
	memcpy(out, items, (size_t)k * size);
	return k;
}

/* The servers of the flows with a handshake RTT, folded and ranked. */
static int
scope_servers(struct sf_live_scope *sc, const struct flow_sum *s, unsigned int top)
{
	struct sf_live_server *sv = malloc(((size_t)s->n + 1) * sizeof(*sv));
	size_t n = 0, k = 0, i;

	if (sv == NULL)
		return -ENOMEM;
	for (i = 0; i < s->n; i++) {
		const struct sf_live_flow *f = &s->f[i];
		const struct sf_flow_key *key = &f->key;
		bool lo_resp = f->initiator != SF_DIR_LO;

		if (f->rtt_us == 0 || key->proto != 6)
			continue;
		memset(&sv[n], 0, sizeof(sv[n]));
		sv[n].ipver = key->ipver;
		sv[n].port = lo_resp ? key->port_lo : key->port_hi;
		memcpy(sv[n].addr, lo_resp ? key->addr_lo : key->addr_hi, 16);
		sv[n].handshakes = 1;
		sv[n].rtt_sum_us = f->rtt_us;
		sv[n].rtt_max_us = f->rtt_us;
		sv[n++].c = f->c;
	}
	if (n != 0) {
		qsort(sv, n, sizeof(*sv), server_by_key);
		for (i = 1; i < n; i++) {
			if (server_by_key(&sv[k], &sv[i]) == 0) {
				sv[k].handshakes += sv[i].handshakes;
				sv[k].rtt_sum_us += sv[i].rtt_sum_us;
				sv[k].rtt_max_us = RTE_MAX(sv[k].rtt_max_us, sv[i].rtt_max_us);
				row_add(&sv[k].c, sv[i].c.packets, sv[i].c.bytes, sv[i].c.flows);
			} else if (++k != i) {
				sv[k] = sv[i];
			}
		}
		n = k + 1;
	}
	sc->nservers = rank(sv, n, sizeof(*sv), server_order, sc->servers, top);
	free(sv);
	return 0;
}

static void
host_set(struct sf_live_host *h, uint8_t ipver, const uint8_t *addr, const struct sf_live_row *c)
{
	memset(h, 0, sizeof(*h));
	h->ipver = ipver;
	memcpy(h->addr, addr, 16);
	h->c = *c;
}

/* Talkers, ports, protocols, VLANs and tunnels of the summed flows. */
static int
scope_tables(struct sf_live_scope *sc, struct flow_sum *s, unsigned int top, bool apps)
{
	struct sf_live_host *hosts = malloc(((size_t)s->n * 2 + 1) * sizeof(*hosts));
	struct sf_live_port *ports = malloc(((size_t)s->n + 1) * sizeof(*ports));
	struct sf_live_key *keys = malloc(((size_t)s->n + 1) * sizeof(*keys));
	size_t nh = 0, np = 0, nk, i;

	if (hosts == NULL || ports == NULL || keys == NULL) {
		free(hosts);
		free(ports);
		free(keys);
		return -ENOMEM;
	}
	for (i = 0; i < s->n; i++) {
		const struct sf_live_flow *f = &s->f[i];
		int port = sf_live_service_port(&f->key, f->initiator);

		host_set(&hosts[nh++], f->key.ipver, f->key.addr_lo, &f->c);
		if (memcmp(f->key.addr_lo, f->key.addr_hi, 16) != 0)
			host_set(&hosts[nh++], f->key.ipver, f->key.addr_hi, &f->c);
		if (port >= 0) {
			ports[np].proto = f->key.proto;
			ports[np].port = (uint16_t)port;
			ports[np++].c = f->c;
		}
	}
	nh = fold(hosts, nh, sizeof(*hosts), offsetof(struct sf_live_host, c), host_by_addr);
	sc->ntalkers = rank(hosts, nh, sizeof(*hosts), host_order, sc->talkers, top);
	np = fold(ports, np, sizeof(*ports), offsetof(struct sf_live_port, c), port_by_key);
	sc->nports = rank(ports, np, sizeof(*ports), port_order, sc->ports, top);

	/* Protocols, VLANs, tunnel contexts: one key each per flow. */
	for (i = 0; i < s->n; i++) {
		memset(&keys[i], 0, sizeof(keys[i]));
		keys[i].id = s->f[i].key.proto;
		keys[i].c = s->f[i].c;
	}
	nk = fold(keys, s->n, sizeof(*keys), offsetof(struct sf_live_key, c), key_by_id);
	sc->nprotos = rank(keys, nk, sizeof(*keys), key_order, sc->protos, top);
	for (nk = 0, i = 0; i < s->n; i++) {
		if (s->f[i].key.vlan == 0)
			continue;
		memset(&keys[nk], 0, sizeof(keys[nk]));
		keys[nk].id = s->f[i].key.vlan;
		keys[nk++].c = s->f[i].c;
	}
	nk = fold(keys, nk, sizeof(*keys), offsetof(struct sf_live_key, c), key_by_id);
	sc->nvlans = rank(keys, nk, sizeof(*keys), key_order, sc->vlans, top);
	for (nk = 0, i = 0; i < s->n; i++) {
		const struct sf_flow_key *k = &s->f[i].key;

		if (k->ctx_kind == SF_FLOW_CTX_NONE || k->ctx_kind == SF_FLOW_CTX_UNDERLAY)
			continue;
		memset(&keys[nk], 0, sizeof(keys[nk]));
		keys[nk].id = k->ctx;
		keys[nk].kind = k->ctx_kind;
		keys[nk++].c = s->f[i].c;
	}
	nk = fold(keys, nk, sizeof(*keys), offsetof(struct sf_live_key, c), key_by_id);
	sc->ntunnels = rank(keys, nk, sizeof(*keys), key_order, sc->tunnels, top);
	if (apps) {
		for (i = 0; i < s->n; i++) {
			memset(&keys[i], 0, sizeof(keys[i]));
			keys[i].id = s->f[i].app < SF_APP_KINDS ? s->f[i].app : SF_APP_NONE;
			keys[i].c = s->f[i].c;
		}
		nk = fold(keys, s->n, sizeof(*keys), offsetof(struct sf_live_key, c), key_by_id);
		sc->napps = rank(keys, nk, sizeof(*keys), key_order, sc->apps, SF_APP_KINDS);
	}
	free(hosts);
	free(ports);
	free(keys);
	return 0;
}

/* One scope: intervals first..last of ivs. */
static int
scope(struct sf_live_scope *sc, struct sf_live_iv *const *ivs, unsigned int n,
		uint64_t first, uint64_t last, const struct sf_flow_match *m, unsigned int top,
		bool apps, bool tcp)
{
	struct flow_sum s;
	uint64_t most = 0;
	unsigned int i;
	uint32_t j;
	int rc;

	memset(sc, 0, sizeof(*sc));
	sc->first = first;
	sc->last = last;
	for (i = 0; i < n; i++)
		if (ivs[i]->interval >= first && ivs[i]->interval <= last)
			most += ivs[i]->n;
	if (flow_sum_init(&s, most) != 0)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		const struct sf_live_iv *iv = ivs[i];

		if (iv->interval < first || iv->interval > last)
			continue;
		sc->intervals++;
		row_add(&sc->unlisted, iv->unlisted_packets, iv->unlisted_bytes,
				iv->unlisted_flows);
		for (j = 0; j < iv->n; j++)
			if (sf_flow_match_key(m, &iv->f[j].key))
				flow_sum_add(&s, &iv->f[j], iv->interval == last);
	}
	for (j = 0; j < s.n; j++)
		row_add(&sc->total, s.f[j].c.packets, s.f[j].c.bytes, 1);
	rc = scope_tables(sc, &s, top, apps);
	if (rc == 0 && tcp)
		rc = scope_servers(sc, &s, top);
	if (rc == 0)
		sc->nflows = rank(s.f, s.n, sizeof(*s.f), flow_order, sc->flows, top);
	free(s.f);
	free(s.slot);
	return rc;
}

static int
series(struct sf_live_series *se, const struct sf_live_scope *w, struct sf_live_iv *const *ivs,
		unsigned int n, const struct sf_flow_match *m)
{
	int proto_at[256];
	unsigned int i, k;
	uint32_t j;

	memset(se, 0, sizeof(*se));
	se->first = w->first;
	se->points = (unsigned int)(w->last - w->first + 1);
	se->nprotos = RTE_MIN(w->nprotos, (unsigned int)SF_LIVE_SERIES);
	se->ntalkers = RTE_MIN(w->ntalkers, (unsigned int)SF_LIVE_SERIES);
	for (i = 0; i < 256; i++)
		proto_at[i] = -1;
	for (k = 0; k < se->nprotos; k++) {
		se->proto[k] = (uint8_t)w->protos[k].id;
		proto_at[se->proto[k]] = (int)k;
		se->proto_bytes[k] = calloc(se->points, sizeof(uint64_t));
		se->proto_packets[k] = calloc(se->points, sizeof(uint64_t));
		if (se->proto_bytes[k] == NULL || se->proto_packets[k] == NULL)
			return -ENOMEM;
	}
	for (k = 0; k < se->ntalkers; k++) {
		se->talker[k] = w->talkers[k];
		se->talker_bytes[k] = calloc(se->points, sizeof(uint64_t));
		se->talker_packets[k] = calloc(se->points, sizeof(uint64_t));
		if (se->talker_bytes[k] == NULL || se->talker_packets[k] == NULL)
			return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		const struct sf_live_iv *iv = ivs[i];
		unsigned int p;

		if (iv->interval < w->first || iv->interval > w->last)
			continue;
		p = (unsigned int)(iv->interval - w->first);
		for (j = 0; j < iv->n; j++) {
			const struct sf_flow_topk *f = &iv->f[j];

			if (!sf_flow_match_key(m, &f->key))
				continue;
			if (proto_at[f->key.proto] >= 0) {
				se->proto_bytes[proto_at[f->key.proto]][p] += f->bytes;
				se->proto_packets[proto_at[f->key.proto]][p] += f->packets;
			}
			for (k = 0; k < se->ntalkers; k++) {
				const struct sf_live_host *h = &se->talker[k];

				if (h->ipver != f->key.ipver ||
						(memcmp(h->addr, f->key.addr_lo, 16) != 0 &&
						 memcmp(h->addr, f->key.addr_hi, 16) != 0))
					continue;
				se->talker_bytes[k][p] += f->bytes;
				se->talker_packets[k][p] += f->packets;
			}
		}
	}
	return 0;
}

int
sf_live_view(struct sf_live_view *v, struct sf_live_iv *const *ivs, unsigned int n,
		uint64_t newest, uint64_t window, const struct sf_flow_match *m, unsigned int top,
		bool apps, bool tcp)
{
	uint64_t first = window > newest ? 0 : newest - window + 1;
	int rc;

	memset(v, 0, sizeof(*v));
	top = RTE_MIN(top, (unsigned int)SF_LIVE_TOP_MAX);
	/* The window starts no earlier than the oldest list kept. */
	if (n != 0 && ivs[0]->interval > first)
		first = RTE_MIN(ivs[0]->interval, newest);
	rc = scope(&v->last, ivs, n, newest, newest, m, top, apps, tcp);
	if (rc == 0)
		rc = scope(&v->window, ivs, n, first, newest, m, top, apps, tcp);
	if (rc == 0)
		rc = series(&v->series, &v->window, ivs, n, m);
	if (rc != 0)
		sf_live_view_free(v);
	return rc;
}

void
sf_live_view_free(struct sf_live_view *v)
{
	unsigned int k;

	for (k = 0; k < SF_LIVE_SERIES; k++) {
		free(v->series.proto_bytes[k]);
		free(v->series.proto_packets[k]);
		free(v->series.talker_bytes[k]);
		free(v->series.talker_packets[k]);
		v->series.proto_bytes[k] = v->series.proto_packets[k] = NULL;
		v->series.talker_bytes[k] = v->series.talker_packets[k] = NULL;
	}
}
