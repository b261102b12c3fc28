/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_errno.h>

#include "sf_collector.h"
#include "sf_common.h"
#include "sf_snapshot.h"
#include "sf_summary.h"

/* An interval some worker has reported but not every worker has closed. */
struct pending {
	struct sf_interval_agg agg;
	/* The workers' tunnel context entries, unmerged, and their overflow. */
	struct sf_tun_entry *tun;
	uint32_t ntun, captun;
	uint64_t tun_over_packets, tun_over_bytes;
	/* The workers' TCP server and subnet rows, unmerged, and their other rows. */
	struct sf_tcpa_server *serv;
	struct sf_tcpa_subnet *sub;
	uint32_t nserv, capserv, nsub, capsub;
	struct sf_tcpa_server other_server;
	struct sf_tcpa_subnet other_subnet;
	bool tcp;		/* some worker sent TCP rows */
	struct sf_names *names[SF_NAMES_KINDS];	/* NULL until a record has one */
	/* The workers' flows of the interval for the live view, unmerged. */
	struct sf_flow_topk *live;
	uint32_t nlive, caplive;
};

struct sf_collector {
	struct sf_collector_params p;
	uint64_t *watermark;		/* per worker */
	unsigned int n_done;
	struct pending *pend;		/* sorted by interval, pend[0] oldest */
	size_t npend;
	size_t cappend;
	struct sf_summary *sum;		/* the run's record analytics */
	uint64_t drops_seen[SF_DROP_MAX];	/* input drops already reported */
	uint64_t version;		/* grows with every record batch and interval */
	struct sf_snap_iv **hist;	/* history: hist[(hist_head + i) % p.history] */
	/* The live view's lists: live[(live_head + i) % p.live_window]. */
	struct sf_live_iv **live;
	unsigned int live_len, live_head;
	uint64_t live_newest;		/* newest final interval */
	bool live_any;
	unsigned int hist_len, hist_head;
	struct sf_collector_totals tot;
};

static int
topk_before(const struct sf_flow_topk *a, const struct sf_flow_topk *b)
{
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes;
	return sf_flow_key_cmp(&a->key, &b->key) < 0;
}

unsigned int
sf_topk_merge(struct sf_flow_topk *dst, unsigned int ndst,
		const struct sf_flow_topk *src, unsigned int nsrc)
{
	struct sf_flow_topk out[SF_TOPK];
	unsigned int i = 0, j = 0, n = 0;

	while (n < SF_TOPK && (i < ndst || j < nsrc)) {
		if (j >= nsrc || (i < ndst && topk_before(&dst[i], &src[j])))
			out[n++] = dst[i++];
		else
			out[n++] = src[j++];
	}
	memcpy(dst, out, n * sizeof(out[0]));
	return n;
}

struct sf_collector *
sf_collector_create(const struct sf_collector_params *p)
{
	struct sf_collector *c;

	if (p == NULL || p->n_workers == 0 || p->interval_ns == 0 ||
			p->n_sinks > SF_COLLECTOR_MAX_SINKS) {
		rte_errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto nomem;
	c->p = *p;
	c->watermark = calloc(p->n_workers, sizeof(*c->watermark));
	c->sum = sf_summary_create();
	if (p->history != 0)
		c->hist = calloc(p->history, sizeof(*c->hist));
	if (p->live_window != 0)
		c->live = calloc(p->live_window, sizeof(*c->live));
	if (c->watermark == NULL || c->sum == NULL || (p->history != 0 && c->hist == NULL) ||
			(p->live_window != 0 && c->live == NULL))
		goto nomem;
	c->tot.first_ns = UINT64_MAX;
	return c;
nomem:
	sf_collector_free(c);
	rte_errno = ENOMEM;
	return NULL;
}

void
sf_collector_free(struct sf_collector *c)
{
	unsigned int i;

	if (c == NULL)
		return;
	for (i = 0; i < c->hist_len; i++)
		sf_snap_iv_put(c->hist[(c->hist_head + i) % c->p.history]);
	free(c->hist);
	for (i = 0; i < c->live_len; i++)
		sf_live_iv_put(c->live[(c->live_head + i) % c->p.live_window]);
	free(c->live);
	free(c->watermark);
	for (i = 0; i < c->npend; i++) {
		free(c->pend[i].live);
		free(c->pend[i].tun);
		free(c->pend[i].serv);
		free(c->pend[i].sub);
		sf_names_free(c->pend[i].names[SF_NAMES_SERVER]);
		sf_names_free(c->pend[i].names[SF_NAMES_DNS]);
	}
	free(c->pend);
	sf_summary_free(c->sum);
	free(c);
}

static uint64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * SF_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* Keep a finalized interval for snapshots; past p.history the oldest goes. */
static void
history_add(struct sf_collector *c, const struct sf_interval_agg *a)
{
	struct sf_snap_iv *iv;
	unsigned int slot;

	if (c->p.history == 0)
		return;
	iv = malloc(sizeof(*iv));
	if (iv == NULL)
		return;
	atomic_init(&iv->ref, 1);
	iv->agg = *a;
	iv->final_wall_ns = wall_ns();
	if (c->hist_len < c->p.history) {
		slot = (c->hist_head + c->hist_len++) % c->p.history;
	} else {
		slot = c->hist_head;
		c->hist_head = (c->hist_head + 1) % c->p.history;
		sf_snap_iv_put(c->hist[slot]);
	}
	c->hist[slot] = iv;
}

/*
 * The interval's flows for the live view; lists older than the window go
 * (their last reference is the last snapshot's that shows them).
 */
static void
live_add(struct sf_collector *c, struct pending *p)
{
	const struct sf_interval_agg *a = &p->agg;
	struct sf_live_iv *iv;
	unsigned int slot;

	if (c->p.live_window == 0)
		return;
	if (!c->live_any || a->interval > c->live_newest)
		c->live_newest = a->interval;
	c->live_any = true;
	if (p->nlive == 0 && a->live_unlisted_flows == 0)
		return;
	iv = sf_live_iv_make(a->interval, p->live, p->nlive, a->live_unlisted_flows,
			a->live_unlisted_packets, a->live_unlisted_bytes, a->top,
			RTE_MIN(a->ntop, (uint32_t)SF_TOPK));
	if (iv == NULL)
		return;
	/* Intervals are finalized in order: the oldest list is at the head. */
	while (c->live_len != 0 && c->live[c->live_head]->interval + c->p.live_window <=
			a->interval) {
		sf_live_iv_put(c->live[c->live_head]);
		c->live_head = (c->live_head + 1) % c->p.live_window;
		c->live_len--;
	}
	if (c->live_len == c->p.live_window) {
		sf_live_iv_put(c->live[c->live_head]);
		c->live_head = (c->live_head + 1) % c->p.live_window;
		c->live_len--;
	}
	slot = (c->live_head + c->live_len++) % c->p.live_window;
	c->live[slot] = iv;
}

static struct pending *
pending_get(struct sf_collector *c, uint64_t interval)
{
	size_t lo = 0, hi = c->npend;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->pend[mid].agg.interval < interval)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->npend && c->pend[lo].agg.interval == interval)
		return &c->pend[lo];
	if (c->npend == c->cappend) {
		size_t ncap = c->cappend ? c->cappend * 2 : 16;
		struct pending *np = realloc(c->pend, ncap * sizeof(*np));

		if (np == NULL)
			return NULL;
		c->pend = np;
		c->cappend = ncap;
	}
	memmove(&c->pend[lo + 1], &c->pend[lo], (c->npend - lo) * sizeof(*c->pend));
	c->npend++;
	memset(&c->pend[lo], 0, sizeof(c->pend[lo]));
	c->pend[lo].agg.interval = interval;
	return &c->pend[lo];
}

/*
 * The interval's tunnel contexts: the workers' entries summed per context
 * (exact: every worker sent all of its own), ranked into the aggregate
 * and added to the run's. True if there were any.
 */
static bool
tunnels_final(struct sf_collector *c, struct pending *p)
{
	unsigned int n;

	if (p->ntun == 0 && p->tun_over_packets == 0)
		return false;
	n = sf_tun_fold(p->tun, p->ntun);
	sf_tun_rank(&p->agg.tunnels, p->tun, n, p->tun_over_packets, p->tun_over_bytes);
	sf_summary_tunnels(c->sum, p->tun, n, p->tun_over_packets, p->tun_over_bytes);
	free(p->tun);
	p->tun = NULL;
	p->ntun = p->captun = 0;
	return true;
}

/*
 * The interval's TCP servers and subnets: the workers' rows summed per key
 * (exact), ranked into the aggregate and added to the run's.
 */
static bool
tcp_final(struct sf_collector *c, struct pending *p)
{
	unsigned int ns, nn;

	if (!p->tcp)
		return false;
	ns = sf_tcpa_fold_servers(p->serv, p->nserv);
	nn = sf_tcpa_fold_subnets(p->sub, p->nsub);
	sf_tcpa_rank(&p->agg.tcp, p->serv, ns, p->sub, nn, &p->other_server, &p->other_subnet);
	sf_summary_tcp(c->sum, p->serv, ns, p->sub, nn, &p->other_server, &p->other_subnet);
	free(p->serv);
	free(p->sub);
	p->serv = NULL;
	p->sub = NULL;
	p->nserv = p->capserv = p->nsub = p->capsub = 0;
	p->tcp = false;
	return true;
}

/* The interval's names, ranked into the aggregate and added to the run's. */
static bool
names_final(struct sf_collector *c, struct pending *p)
{
	bool any = false;
	unsigned int k;

	for (k = 0; k < SF_NAMES_KINDS; k++) {
		if (p->names[k] == NULL)
			continue;
		sf_names_rank(p->names[k], &p->agg.names[k]);
		sf_summary_names(c->sum, (enum sf_names_kind)k, p->names[k]);
		sf_names_free(p->names[k]);
		p->names[k] = NULL;
		any = true;
	}
	return any;
}

static void
finalize(struct sf_collector *c, struct pending *p)
{
	struct sf_collector_totals *t = &c->tot;
	struct sf_interval_agg *a = &p->agg;
	bool tunnels = tunnels_final(c, p);
	bool tcp = tcp_final(c, p);
	bool names = names_final(c, p);
	unsigned int i;

	if (c->p.drops != NULL) {
		uint64_t now[SF_DROP_MAX] = { 0 };

		c->p.drops(c->p.drops_arg, now);
		for (i = 0; i < SF_DROP_MAX; i++) {
			a->dropped[i] += now[i] - c->drops_seen[i];
			c->drops_seen[i] = now[i];
		}
	}
	live_add(c, p);
	free(p->live);
	p->live = NULL;
	/* Tunnel counts alone: an aggregate that was lost on a full ring. */
	if (sf_agg_empty(a) && !tunnels && !tcp && !names)
		return;
	if (t->intervals == 0)
		t->first_interval = a->interval;
	t->last_interval = a->interval;
	t->intervals++;
	sf_agg_accumulate(&t->sum, a);
	history_add(c, a);
	c->version++;
	for (i = 0; i < c->p.n_sinks; i++)
		if (c->p.sinks[i].interval != NULL)
			c->p.sinks[i].interval(c->p.sinks[i].arg, a);
}

uint64_t
sf_collector_watermark(const struct sf_collector *c)
{
	uint64_t w = UINT64_MAX;
	unsigned int i;

	for (i = 0; i < c->p.n_workers; i++)
		w = RTE_MIN(w, c->watermark[i]);
	return w;
}

static void
finalize_ready(struct sf_collector *c)
{
	uint64_t w = sf_collector_watermark(c);
	size_t n = 0;

	while (n < c->npend && c->pend[n].agg.interval < w) {
		finalize(c, &c->pend[n]);
		n++;
	}
	if (n != 0) {
		memmove(c->pend, c->pend + n, (c->npend - n) * sizeof(*c->pend));
		c->npend -= n;
	}
}

/*
 * Names of records a worker sent in its interval iv (a batch carries the
 * interval it was sent in; it reaches the collector before that interval's
 * aggregate): bytes of every record, a flow for a record that ends it.
 */
static void
take_names(struct sf_collector *c, const struct sf_flow_record *r, unsigned int n, uint64_t iv)
{
	struct pending *p = NULL;
	unsigned int i, k;

	for (i = 0; i < n; i++) {
		if (r[i].app.kind == SF_APP_NONE)
			continue;
		for (k = 0; k < SF_NAMES_KINDS; k++) {
			const char *name = sf_names_of(&r[i], (enum sf_names_kind)k);

			if (name == NULL)
				continue;
			if (p == NULL && (p = pending_get(c, iv)) == NULL)
				return;
			if (p->names[k] == NULL &&
					(p->names[k] = sf_names_create(SF_NAMES_INTERVAL_MAX)) == NULL)
				continue;
			sf_names_add(p->names[k], name, r[i].bytes[0] + r[i].bytes[1],
					r[i].end_reason != SF_END_ACTIVE);
		}
	}
}

static void
take_records(struct sf_collector *c, const struct sf_flow_record *r, unsigned int n,
		uint64_t iv)
{
	unsigned int i, k;

	take_names(c, r, n, iv);
	sf_summary_add(c->sum, &c->tot, r, n);
	c->version++;
	for (i = 0; i < n; i++)
		for (k = 0; k < c->p.n_sinks; k++)
			if (c->p.sinks[k].record != NULL)
				c->p.sinks[k].record(c->p.sinks[k].arg, &r[i]);
}

static void
take_interval(struct sf_collector *c, const struct sf_msg_interval *m)
{
	struct pending *p;

	if (sf_msg_interval_empty(m))
		return;
	p = pending_get(c, m->interval);
	if (p == NULL)
		return;
	sf_msg_interval_merge(&p->agg, m);
	p->agg.ntop = sf_topk_merge(p->agg.top, p->agg.ntop, m->top,
			RTE_MIN(m->ntop, (uint32_t)SF_TOPK));
}

static void
take_tunnels(struct sf_collector *c, const struct sf_msg_tunnels *m)
{
	uint32_t i, n = RTE_MIN(m->h.count, (uint32_t)SF_TUN_WORKER_MAX);
	struct pending *p = pending_get(c, m->interval);

	if (p == NULL)
		return;
	if (p->ntun + n > p->captun) {
		uint32_t ncap = RTE_MAX(p->captun * 2, p->ntun + n);
		struct sf_tun_entry *ne = realloc(p->tun, ncap * sizeof(*ne));

		if (ne == NULL) {
			/* Out of memory: the contexts' traffic is still counted, as other. */
			p->tun_over_packets += m->other.packets;
			p->tun_over_bytes += m->other.bytes;
			for (i = 0; i < n; i++) {
				p->tun_over_packets += m->ent[i].packets;
				p->tun_over_bytes += m->ent[i].bytes;
			}
			return;
		}
		p->tun = ne;
		p->captun = ncap;
	}
	memcpy(p->tun + p->ntun, m->ent, n * sizeof(m->ent[0]));
	p->ntun += n;
	p->tun_over_packets += m->other.packets;
	p->tun_over_bytes += m->other.bytes;
}

static bool rows_room(void **rows, uint32_t *cap, uint32_t n, uint32_t more, size_t size);

static void
take_live(struct sf_collector *c, const struct sf_msg_live *m)
{
	uint32_t i, n = RTE_MIN(m->h.count, (uint32_t)SF_MSG_LIVE_FLOWS);
	struct pending *p;

	if (c->p.live_window == 0 || (p = pending_get(c, m->interval)) == NULL)
		return;
	if (!rows_room((void **)&p->live, &p->caplive, p->nlive, n, sizeof(*p->live))) {
		/* Out of memory: counted, not itemized. */
		for (i = 0; i < n; i++) {
			p->agg.live_unlisted_flows++;
			p->agg.live_unlisted_packets += m->f[i].packets;
			p->agg.live_unlisted_bytes += m->f[i].bytes;
		}
		return;
	}
	memcpy(p->live + p->nlive, m->f, n * sizeof(m->f[0]));
	p->nlive += n;
}

/* Grow *rows (of `size` bytes, *cap of them) to hold n + more; false on out of memory. */
static bool
rows_room(void **rows, uint32_t *cap, uint32_t n, uint32_t more, size_t size)
{
	uint32_t ncap;
	void *nr;

	if (n + more <= *cap)
		return true;
	ncap = RTE_MAX(*cap * 2, n + more);
	nr = realloc(*rows, (size_t)ncap * size);
	if (nr == NULL)
		return false;
	*rows = nr;
	*cap = ncap;
	return true;
}

static void
take_tcp(struct sf_collector *c, const struct sf_msg_tcp *m)
{
	uint32_t i, ns = RTE_MIN(m->nserv, (uint32_t)SF_TCPA_SERVERS);
	uint32_t nn = RTE_MIN(m->nsub, (uint32_t)SF_TCPA_SUBNETS);
	struct pending *p = pending_get(c, m->interval);

	if (p == NULL)
		return;
	p->tcp = true;
	sf_tcpa_server_add(&p->other_server, &m->other_server);
	sf_tcpa_subnet_add(&p->other_subnet, &m->other_subnet);
	if (rows_room((void **)&p->serv, &p->capserv, p->nserv, ns, sizeof(*p->serv))) {
		memcpy(p->serv + p->nserv, m->serv, ns * sizeof(m->serv[0]));
		p->nserv += ns;
	} else {
		/* Out of memory: the rows are still counted, as other. */
		for (i = 0; i < ns; i++)
			sf_tcpa_server_add(&p->other_server, &m->serv[i]);
	}
	if (rows_room((void **)&p->sub, &p->capsub, p->nsub, nn, sizeof(*p->sub))) {
		memcpy(p->sub + p->nsub, m->sub, nn * sizeof(m->sub[0]));
		p->nsub += nn;
	} else {
		for (i = 0; i < nn; i++)
			sf_tcpa_subnet_add(&p->other_subnet, &m->sub[i]);
	}
}

void
sf_collector_handle(struct sf_collector *c, const struct sf_msg *m)
{
	if (m->worker >= c->p.n_workers)
		return;
	if (m->type == SF_MSG_RECORDS) {
		const struct sf_msg_records *r = (const struct sf_msg_records *)m;

		take_records(c, r->rec, RTE_MIN(m->count, (uint32_t)SF_MSG_RECS), m->watermark);
		return;
	}
	/* Tunnels come before their interval's aggregate, which moves the watermark. */
	if (m->type == SF_MSG_TUNNELS) {
		take_tunnels(c, (const struct sf_msg_tunnels *)m);
		return;
	}
	if (m->type == SF_MSG_TCP) {
		take_tcp(c, (const struct sf_msg_tcp *)m);
		return;
	}
	if (m->type == SF_MSG_LIVE) {
		take_live(c, (const struct sf_msg_live *)m);
		return;
	}
	if (m->type != SF_MSG_INTERVAL)
		return;
	take_interval(c, (const struct sf_msg_interval *)m);
	if (m->watermark > c->watermark[m->worker]) {
		c->watermark[m->worker] = m->watermark;
		if (m->watermark == SF_WATERMARK_DONE)
			c->n_done++;
	}
	finalize_ready(c);
}

bool
sf_collector_done(const struct sf_collector *c)
{
	return c->n_done == c->p.n_workers;
}

void
sf_collector_rank(struct sf_collector *c)
{
	sf_summary_rank(c->sum, &c->tot);
}

void
sf_collector_finish(struct sf_collector *c)
{
	size_t i;

	sf_collector_rank(c);
	/* Whatever is still pending (lost watermarks) is reported too. */
	for (i = 0; i < c->npend; i++)
		finalize(c, &c->pend[i]);
	c->npend = 0;
}

const struct sf_collector_totals *
sf_collector_totals(const struct sf_collector *c)
{
	return &c->tot;
}

uint64_t
sf_collector_version(const struct sf_collector *c)
{
	return c->version;
}

struct sf_snap *
sf_collector_snapshot(struct sf_collector *c, const struct sf_snap_state *st)
{
	struct sf_snap *s;
	unsigned int i;

	s = calloc(1, sizeof(*s) + c->hist_len * sizeof(s->iv[0]));
	if (s == NULL)
		return NULL;
	atomic_init(&s->ref, 1);
	sf_collector_rank(c);
	s->tot = c->tot;
	s->st = *st;
	for (i = 0; i < c->hist_len; i++) {
		s->iv[i] = c->hist[(c->hist_head + i) % c->p.history];
		atomic_fetch_add(&s->iv[i]->ref, 1);
	}
	s->n_iv = c->hist_len;
	if (c->live_len != 0) {
		s->live = calloc(c->live_len, sizeof(*s->live));
		if (s->live == NULL) {
			sf_snap_put(s);
			return NULL;
		}
		for (i = 0; i < c->live_len; i++) {
			s->live[i] = c->live[(c->live_head + i) % c->p.live_window];
			atomic_fetch_add(&s->live[i]->ref, 1);
		}
		s->n_live = c->live_len;
	}
	s->live_newest = c->live_newest;
	s->live_any = c->live_any;
	{
		/* A quiet interval has no list, but it is final all the same. */
		uint64_t w = sf_collector_watermark(c);

		if (c->p.live_window != 0 && w != SF_WATERMARK_DONE && w != 0 &&
				(!s->live_any || w - 1 > s->live_newest)) {
			s->live_newest = w - 1;
			s->live_any = true;
		}
	}
	/* Live: how far the newest summary trails the wall clock. */
	if (c->p.live && s->n_iv != 0) {
		const struct sf_snap_iv *iv = s->iv[s->n_iv - 1];
		uint64_t end = (iv->agg.interval + 1) * c->p.interval_ns;

		s->lag_ns = iv->final_wall_ns > end ? iv->final_wall_ns - end : 0;
	}
	return s;
}
