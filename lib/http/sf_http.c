/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "sf_common.h"
#include "sf_export.h"
#include "sf_http.h"
#include "sf_http_priv.h"

#define PUBLISH_MIN_NS (100 * SF_NS_PER_MS)	/* at most 10 snapshots a second */
#define PUBLISH_MAX_NS SF_NS_PER_S		/* live counters refresh at least this often */
#define PORT_PROTOS 3				/* TCP, UDP, SCTP */

struct port_cnt {
	uint64_t packets;
	uint64_t bytes;
	uint64_t flows;
};

struct sf_http {
	struct sf_http_params p;
	struct MHD_Daemon *mhd;
	uint16_t port;
	uint64_t t0_ns;			/* CLOCK_MONOTONIC at start */

	/* Published state: see sf_http.h for the protocol. */
	_Atomic(struct sf_snap *) cur;
	atomic_uint readers;		/* readers between load and reference */
	struct sf_snap *retired[16];	/* swapped out, maybe still referenced */
	unsigned int n_retired;

	/* Collector thread only: */
	uint64_t seq;
	uint64_t last_pub_ns;
	bool dirty;
	struct sf_snap_iv **ring;	/* history, ring[(ring_head + i) % cap] */
	unsigned int ring_cap, ring_len, ring_head;
	uint64_t intervals;		/* finalized intervals seen */
	struct port_cnt *ports;		/* [PORT_PROTOS][65536] */
	uint32_t *used;			/* indexes into ports[] seen so far */
	size_t n_used, cap_used;
	unsigned int ntop[SF_HTTP_BY_MAX];
	struct sf_flow_record top[SF_HTTP_BY_MAX][SF_TOPK];
};

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SF_NS_PER_S + (uint64_t)ts.tv_nsec;
}

static uint64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * SF_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* Snapshots and history entries */

static void
iv_put(struct sf_snap_iv *iv)
{
	if (iv != NULL && atomic_fetch_sub(&iv->ref, 1) == 1)
		free(iv);
}

void
sf_snap_put(struct sf_snap *s)
{
	unsigned int i;

	if (s == NULL || atomic_fetch_sub(&s->ref, 1) != 1)
		return;
	for (i = 0; i < s->n_iv; i++)
		iv_put(s->iv[i]);
	free(s);
}

struct sf_snap *
sf_snap_get(struct sf_http *h)
{
	struct sf_snap *s;

	atomic_fetch_add(&h->readers, 1);
	s = atomic_load(&h->cur);
	if (s != NULL)
		atomic_fetch_add(&s->ref, 1);
	atomic_fetch_sub(&h->readers, 1);
	return s;
}

/*
 * Drop the publisher's reference of retired snapshots once no reader can
 * be about to take one (a reader that loaded an old pointer is counted in
 * `readers` until it holds its reference).
 */
static void
reclaim(struct sf_http *h, bool all)
{
	unsigned int i;

	if (atomic_load(&h->readers) != 0 && !all)
		return;
	for (i = 0; i < h->n_retired; i++)
		sf_snap_put(h->retired[i]);
	h->n_retired = 0;
}

/* Collector sink */

static int
port_proto_index(uint8_t proto)
{
	switch (proto) {
	case 6:
		return 0;
	case 17:
		return 1;
	case 132:
		return 2;
	default:
		return -1;
	}
}

static const uint8_t port_protos[PORT_PROTOS] = { 6, 17, 132 };

static void
sink_record(void *arg, const struct sf_flow_record *r)
{
	struct sf_http *h = arg;
	int by, pi = port_proto_index(r->key.proto);

	for (by = 0; by < SF_HTTP_BY_MAX; by++)
		sf_flow_record_top_add(h->top[by], &h->ntop[by], SF_TOPK, r,
				by == SF_HTTP_BY_PACKETS);
	if (pi >= 0) {
		uint32_t idx = (uint32_t)pi * 65536 + sf_flow_record_port(r, true);
		struct port_cnt *pc = &h->ports[idx];

		if (pc->flows == 0 && (idx & 0xffff) != 0) {
			if (h->n_used == h->cap_used) {
				size_t ncap = h->cap_used ? h->cap_used * 2 : 256;
				uint32_t *nu = realloc(h->used, ncap * sizeof(*nu));

				if (nu == NULL)
					return;		/* out of memory: the port stays unranked */
				h->used = nu;
				h->cap_used = ncap;
			}
			h->used[h->n_used++] = idx;
		}
		pc->packets += r->packets[0] + r->packets[1];
		pc->bytes += r->bytes[0] + r->bytes[1];
		pc->flows++;
	}
	h->dirty = true;
}

static void
sink_interval(void *arg, const struct sf_interval_agg *a)
{
	struct sf_http *h = arg;
	struct sf_snap_iv *iv = malloc(sizeof(*iv));
	unsigned int slot;

	h->intervals++;
	h->dirty = true;
	if (iv == NULL)
		return;
	atomic_init(&iv->ref, 1);
	iv->agg = *a;
	iv->final_wall_ns = wall_ns();
	if (h->ring_len < h->ring_cap) {
		slot = (h->ring_head + h->ring_len++) % h->ring_cap;
	} else {
		slot = h->ring_head;
		h->ring_head = (h->ring_head + 1) % h->ring_cap;
		iv_put(h->ring[slot]);
	}
	h->ring[slot] = iv;
}

void
sf_http_sink(struct sf_http *h, struct sf_collector_sink *sink)
{
	memset(sink, 0, sizeof(*sink));
	sink->record = sink_record;
	sink->interval = sink_interval;
	sink->arg = h;
}

bool
sf_http_due(const struct sf_http *h, bool force)
{
	uint64_t since = mono_ns() - h->last_pub_ns;

	if (force)
		return true;
	return (h->dirty && since >= PUBLISH_MIN_NS) || since >= PUBLISH_MAX_NS;
}

static int
port_before(const struct sf_snap_port *a, const struct sf_snap_port *b)
{
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes;
	if (a->proto != b->proto)
		return a->proto < b->proto;
	return a->port < b->port;
}

static unsigned int
rank_ports(const struct sf_http *h, struct sf_snap_port *out)
{
	unsigned int n = 0, j;
	size_t i;

	for (i = 0; i < h->n_used; i++) {
		const struct port_cnt *pc = &h->ports[h->used[i]];
		struct sf_snap_port e;

		e.proto = port_protos[h->used[i] >> 16];
		e.port = (uint16_t)(h->used[i] & 0xffff);
		e.packets = pc->packets;
		e.bytes = pc->bytes;
		e.flows = pc->flows;
		if (n == SF_TOPK && !port_before(&e, &out[SF_TOPK - 1]))
			continue;
		j = n < SF_TOPK ? n++ : SF_TOPK - 1;
		while (j > 0 && port_before(&e, &out[j - 1])) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = e;
	}
	return n;
}

void
sf_http_publish(struct sf_http *h, struct sf_collector *coll,
		const struct sf_http_state *st)
{
	struct sf_snap *s, *old;
	unsigned int i;

	s = calloc(1, sizeof(*s) + h->ring_len * sizeof(s->iv[0]));
	if (s == NULL)
		return;
	atomic_init(&s->ref, 1);
	s->seq = ++h->seq;
	s->wall_ns = wall_ns();
	s->uptime_ns = mono_ns() - h->t0_ns;
	s->tot = *sf_collector_totals(coll);
	s->st = *st;
	s->intervals = h->intervals;
	memcpy(s->ntop, h->ntop, sizeof(s->ntop));
	memcpy(s->top, h->top, sizeof(s->top));
	s->nports = rank_ports(h, s->ports);
	for (i = 0; i < h->ring_len; i++) {
		s->iv[i] = h->ring[(h->ring_head + i) % h->ring_cap];
		atomic_fetch_add(&s->iv[i]->ref, 1);
	}
	s->n_iv = h->ring_len;
	/* Live: how far the newest summary trails the wall clock. */
	if (h->p.live && s->n_iv != 0) {
		uint64_t end = (s->iv[s->n_iv - 1]->agg.interval + 1) * h->p.cfg->interval_ns;

		s->lag_ns = s->iv[s->n_iv - 1]->final_wall_ns > end ?
			s->iv[s->n_iv - 1]->final_wall_ns - end : 0;
	}

	old = atomic_exchange(&h->cur, s);
	if (old != NULL) {
		/* Readers hold the count for a few instructions only. */
		while (h->n_retired == RTE_DIM(h->retired) && atomic_load(&h->readers) != 0)
			;
		reclaim(h, h->n_retired == RTE_DIM(h->retired));
		h->retired[h->n_retired++] = old;
	}
	reclaim(h, false);
	h->dirty = false;
	h->last_pub_ns = mono_ns();
}

/* Server */

static bool
is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

struct sf_http *
sf_http_create(const struct sf_http_params *p, char *err, size_t errlen)
{
	struct sf_http *h;
	struct sockaddr_storage ss;
	socklen_t sl;
	const union MHD_DaemonInfo *di;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;

	/* http.listen was parsed with the configuration: a numeric address. */
	sl = sf_hostport_sockaddr(&p->cfg->http_listen, &ss);
	if (sl == 0) {
		snprintf(err, errlen, "http.listen: no address; expected ADDR:PORT");
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		goto nomem;
	h->p = *p;
	h->t0_ns = mono_ns();
	h->ring_cap = p->cfg->http_history ? p->cfg->http_history : 1;
	h->ring = calloc(h->ring_cap, sizeof(*h->ring));
	h->ports = calloc((size_t)PORT_PROTOS * 65536, sizeof(*h->ports));
	if (h->ring == NULL || h->ports == NULL)
		goto nomem;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/*
	 * MHD's thread is a plain pthread: it never runs on an EAL lcore's
	 * loop. Slow or idle clients are cut after the timeout; the limits
	 * bound memory per connection.
	 */
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, sf_http_handler, h,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			MHD_OPTION_CONNECTION_LIMIT, (unsigned int)256,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
			MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
			MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)128,
			MHD_OPTION_END);
	if (h->mhd == NULL) {
		snprintf(err, errlen, "http.listen: cannot listen on %s (address in use or not "
				"local?); choose another with --http ADDR:PORT or turn the server "
				"off with --no-http", p->cfg->http_listen.text);
		sf_http_free(h);
		return NULL;
	}
	di = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	h->port = di != NULL ? di->port : 0;
	if (!is_loopback(&ss) && p->cfg->http_token[0] == '\0')
		fprintf(stderr, "spanflow: warning: HTTP on %s without a token: anyone who "
				"reaches it can read the summaries (set http.token)\n",
				p->cfg->http_listen.text);
	return h;
nomem:
	sf_http_free(h);
	snprintf(err, errlen, "http: out of memory");
	return NULL;
}

void
sf_http_free(struct sf_http *h)
{
	unsigned int i;

	if (h == NULL)
		return;
	if (h->mhd != NULL)
		MHD_stop_daemon(h->mhd);
	reclaim(h, true);
	sf_snap_put(atomic_load(&h->cur));
	if (h->ring != NULL)
		for (i = 0; i < h->ring_len; i++)
			iv_put(h->ring[(h->ring_head + i) % h->ring_cap]);
	free(h->ring);
	free(h->ports);
	free(h->used);
	free(h);
}

uint16_t
sf_http_port(const struct sf_http *h)
{
	return h->port;
}

const struct sf_http_params *
sf_http_params_of(const struct sf_http *h)
{
	return &h->p;
}
