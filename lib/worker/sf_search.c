/* SPDX-License-Identifier: BSD-3-Clause */
/* Search over the active flows (sf_search.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_malloc.h>

#include "sf_common.h"
#include "sf_search.h"
#include "sf_worker.h"

static const char *const sort_names[SF_SEARCH_BY_MAX] = {
	[SF_SEARCH_BY_BYTES] = "bytes",
	[SF_SEARCH_BY_PACKETS] = "packets",
	[SF_SEARCH_BY_DURATION] = "duration",
};

static const char *const state_names[SF_SEARCH_STATE_MAX] = {
	[SF_SEARCH_ANSWERED] = "answered",
	[SF_SEARCH_TIMEOUT] = "timeout",
	[SF_SEARCH_ENDED] = "ended",
	[SF_SEARCH_BUSY] = "busy",
	[SF_SEARCH_NOMEM] = "no_memory",
};

const char *
sf_search_state_name(unsigned int state)
{
	return state < SF_SEARCH_STATE_MAX ? state_names[state] : "?";
}

const char *
sf_search_sort_name(unsigned int sort)
{
	return sort < SF_SEARCH_BY_MAX ? sort_names[sort] : "?";
}

int
sf_search_sort_parse(const char *s)
{
	int i;

	for (i = 0; i < SF_SEARCH_BY_MAX; i++)
		if (strcmp(s, sort_names[i]) == 0)
			return i;
	return -1;
}

/* ---- queries ---- */

struct sf_search_query *
sf_search_query_create(const struct sf_flow_match *m, unsigned int limit,
		enum sf_search_sort sort)
{
	struct sf_search_query *q;

	if (m == NULL || limit == 0 || limit > SF_SEARCH_MAX || sort >= SF_SEARCH_BY_MAX)
		return NULL;
	q = calloc(1, sizeof(*q) + (size_t)limit * sizeof(q->hit[0]));
	if (q == NULL)
		return NULL;
	q->match = *m;
	q->limit = limit;
	q->sort = (uint8_t)sort;
	atomic_init(&q->cancel, false);
	atomic_init(&q->done, false);
	return q;
}

void
sf_search_query_free(struct sf_search_query *q)
{
	free(q);
}

static inline uint64_t
hit_value(const struct sf_search_hit *h, unsigned int sort)
{
	switch (sort) {
	case SF_SEARCH_BY_PACKETS:
		return h->packets[0] + h->packets[1];
	case SF_SEARCH_BY_DURATION:
		return h->last_ns - h->first_ns;
	default:
		return h->bytes[0] + h->bytes[1];
	}
}

int
sf_search_hit_cmp(const struct sf_search_hit *a, const struct sf_search_hit *b,
		unsigned int sort)
{
	uint64_t va = hit_value(a, sort), vb = hit_value(b, sort);

	if (va != vb)
		return va > vb ? -1 : 1;
	return sf_flow_key_cmp(&a->key, &b->key);
}

/* ---- the worker's side: a bounded top-`limit` over a scan ---- */

/* a ranks below b: the heap's root is the lowest-ranked hit held. */
static inline bool
hit_below(const struct sf_search_hit *a, const struct sf_search_hit *b, unsigned int sort)
{
	return sf_search_hit_cmp(a, b, sort) > 0;
}

static void
heap_down(struct sf_search_query *q, uint32_t pos)
{
	struct sf_search_hit it = q->hit[pos];

	for (;;) {
		uint32_t c = 2 * pos + 1;

		if (c >= q->n)
			break;
		if (c + 1 < q->n && hit_below(&q->hit[c + 1], &q->hit[c], q->sort))
			c++;
		if (!hit_below(&q->hit[c], &it, q->sort))
			break;
		q->hit[pos] = q->hit[c];
		pos = c;
	}
	q->hit[pos] = it;
}

static void
heap_up(struct sf_search_query *q, uint32_t pos)
{
	struct sf_search_hit it = q->hit[pos];

	while (pos > 0) {
		uint32_t p = (pos - 1) / 2;

		if (!hit_below(&it, &q->hit[p], q->sort))
			break;
		q->hit[pos] = q->hit[p];
		pos = p;
	}
	q->hit[pos] = it;
}

static void
hit_of_view(struct sf_search_hit *h, const struct sf_flow_view *v)
{
	h->key = v->key;
	h->first_ns = v->first_ns;
	h->last_ns = v->last_ns;
	h->packets[0] = v->packets[0];
	h->packets[1] = v->packets[1];
	h->bytes[0] = v->bytes[0];
	h->bytes[1] = v->bytes[1];
	h->tcp_flags[0] = v->tcp_flags[0];
	h->tcp_flags[1] = v->tcp_flags[1];
	h->initiator = v->initiator;
	h->tcp_ended = v->tcp_ended;
	h->worker = 0;
	h->pad[0] = 0;
	h->pad[1] = 0;
}

/* sf_flow_scan_fn: count the flow, keep it if it ranks among the best `limit`. */
static void
offer(void *arg, const struct sf_flow_view *v)
{
	struct sf_search_query *q = arg;
	struct sf_search_hit h;

	q->scanned++;
	if (!sf_flow_match_key(&q->match, &v->key))
		return;
	q->matched++;
	hit_of_view(&h, v);
	if (q->n < q->limit) {
		q->hit[q->n++] = h;
		heap_up(q, q->n - 1);
	} else if (hit_below(&q->hit[0], &h, q->sort)) {
		q->hit[0] = h;
		heap_down(q, 0);
	}
}

/* The worker's last touch of a query: after this store it is the asker's. */
static void
answer(struct sf_search_query *q, bool ended)
{
	q->ended = ended;
	atomic_store_explicit(&q->done, true, memory_order_release);
}

int
sf_search_inbox_init(struct sf_search_inbox *in, int socket_id)
{
	ssize_t sz = rte_ring_get_memsize_elem(sizeof(void *), SF_SEARCH_RING);

	memset(in, 0, sizeof(*in));
	atomic_init(&in->closed, false);
	if (sz < 0)
		return (int)sz;
	/* Not a named ring: every worker of every test gets one without a name clash. */
	in->ring = rte_zmalloc_socket("sf_search", (size_t)sz, RTE_CACHE_LINE_SIZE, socket_id);
	if (in->ring == NULL)
		return -ENOMEM;
	if (rte_ring_init(in->ring, "sf_search", SF_SEARCH_RING,
			RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ) != 0) {
		rte_free(in->ring);
		in->ring = NULL;
		return -EINVAL;
	}
	return 0;
}

bool
sf_search_inbox_serve(struct sf_search_inbox *in, const struct sf_flow_table *t,
		uint32_t budget)
{
	struct sf_search_query *q = in->cur;

	if (q == NULL) {
		void *p;

		if (in->ring == NULL || rte_ring_sc_dequeue(in->ring, &p) != 0)
			return false;
		q = p;
		in->cur = q;
		q->cursor = 0;
	}
	if (atomic_load_explicit(&q->cancel, memory_order_relaxed)) {
		in->cur = NULL;
		answer(q, false);
		return true;
	}
	q->cursor = sf_flow_table_scan(t, q->cursor, budget, offer, q);
	if (q->cursor == SF_FLOW_SCAN_END) {
		q->complete = true;
		in->cur = NULL;
		answer(q, false);
	}
	return true;
}

void
sf_search_inbox_close(struct sf_search_inbox *in)
{
	void *p;

	/*
	 * A post racing with this may still land on the ring after the drain:
	 * its asker times out, and sf_search_inbox_fini answers it.
	 */
	atomic_store_explicit(&in->closed, true, memory_order_seq_cst);
	if (in->cur != NULL) {
		answer(in->cur, true);
		in->cur = NULL;
	}
	while (in->ring != NULL && rte_ring_sc_dequeue(in->ring, &p) == 0)
		answer(p, true);
}

void
sf_search_inbox_fini(struct sf_search_inbox *in)
{
	sf_search_inbox_close(in);
	rte_free(in->ring);
	in->ring = NULL;
}

int
sf_search_inbox_post(struct sf_search_inbox *in, struct sf_search_query *q)
{
	if (atomic_load_explicit(&in->closed, memory_order_acquire) || in->ring == NULL)
		return -ESHUTDOWN;
	if (rte_ring_sp_enqueue(in->ring, q) != 0)
		return -EBUSY;
	return 0;
}

/* ---- the asker's hub ---- */

struct sf_search {
	/*
	 * `ask` serialises searches, wait included: the rings have one
	 * producer, and the parked queries stay within max_parked. `lock`
	 * keeps attach/detach from posting: a search holds it while it posts
	 * and while it collects, not while it waits, so detaching never waits
	 * for a search. Only the HTTP thread and the main thread take them,
	 * never a worker.
	 */
	pthread_mutex_t ask;
	pthread_mutex_t lock;
	unsigned int n_workers;
	unsigned int n_attached;	/* 0 when detached */
	bool was_attached;
	struct sf_worker **w;		/* n_workers */
	/*
	 * Queries given up on, until their workers mark them done. A worker
	 * holds one query and SF_SEARCH_RING more wait on its ring, so there
	 * are never more than that many per worker.
	 */
	unsigned int n_parked, max_parked;
	struct sf_search_query **parked;
};

struct sf_search *
sf_search_create(unsigned int n_workers)
{
	struct sf_search *s;

	if (n_workers == 0)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->n_workers = n_workers;
	s->max_parked = n_workers * (SF_SEARCH_RING + 1);
	s->w = calloc(n_workers, sizeof(s->w[0]));
	s->parked = calloc(s->max_parked, sizeof(s->parked[0]));
	if (s->w == NULL || s->parked == NULL || pthread_mutex_init(&s->lock, NULL) != 0 ||
			pthread_mutex_init(&s->ask, NULL) != 0) {
		free(s->w);
		free(s->parked);
		free(s);
		return NULL;
	}
	return s;
}

/* Free the parked queries their workers have answered. Holds the lock. */
static void
sweep_parked(struct sf_search *s)
{
	unsigned int i = 0;

	while (i < s->n_parked) {
		if (sf_search_query_done(s->parked[i])) {
			sf_search_query_free(s->parked[i]);
			s->parked[i] = s->parked[--s->n_parked];
		} else {
			i++;
		}
	}
}

void
sf_search_free(struct sf_search *s)
{
	if (s == NULL)
		return;
	/*
	 * Every worker is detached and freed by now, so each parked query
	 * was answered; one that was not (a worker never freed) is leaked
	 * rather than freed under it.
	 */
	sweep_parked(s);
	pthread_mutex_destroy(&s->ask);
	pthread_mutex_destroy(&s->lock);
	free(s->parked);
	free(s->w);
	free(s);
}

void
sf_search_attach(struct sf_search *s, struct sf_worker *const w[], unsigned int n)
{
	pthread_mutex_lock(&s->lock);
	n = RTE_MIN(n, s->n_workers);
	memcpy(s->w, w, n * sizeof(w[0]));
	s->n_attached = n;
	s->was_attached = true;
	pthread_mutex_unlock(&s->lock);
}

void
sf_search_detach(struct sf_search *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->n_attached = 0;
	pthread_mutex_unlock(&s->lock);
}

static int
cmp_hits(const void *a, const void *b, void *arg)
{
	return sf_search_hit_cmp(a, b, *(const unsigned int *)arg);
}

static uint64_t
mono_ns(void)
{
	return sf_clock_ns(CLOCK_MONOTONIC);
}

/* Post one query per running worker (q[k] NULL: not asked). Holds the lock. */
static void
post_all(struct sf_search *s, struct sf_search_query **q, const struct sf_flow_match *m,
		unsigned int limit, enum sf_search_sort sort, struct sf_search_result *r)
{
	unsigned int k;
	int rc;

	/* Detached (or never attached: a worker was not created): it has stopped. */
	for (k = 0; k < s->n_workers; k++)
		r->state[k] = SF_SEARCH_ENDED;
	for (k = 0; k < s->n_attached; k++) {
		q[k] = sf_search_query_create(m, limit, sort);
		if (q[k] == NULL) {
			r->state[k] = SF_SEARCH_NOMEM;
			continue;
		}
		rc = sf_worker_query_post(s->w[k], q[k]);
		if (rc == 0) {
			r->asked++;
			r->state[k] = SF_SEARCH_TIMEOUT;	/* until it answers */
			continue;
		}
		r->state[k] = rc == -ESHUTDOWN ? SF_SEARCH_ENDED : SF_SEARCH_BUSY;
		r->busy += rc != -ESHUTDOWN;
		sf_search_query_free(q[k]);
		q[k] = NULL;
	}
	for (k = 0; k < s->n_workers; k++)
		r->ended += r->state[k] == SF_SEARCH_ENDED;
}

int
sf_search_run(struct sf_search *s, const struct sf_flow_match *m, unsigned int limit,
		enum sf_search_sort sort, uint64_t timeout_ns, struct sf_search_result *r)
{
	struct sf_search_query **q;
	unsigned int k, sortv = sort;
	uint64_t deadline, total = 0;
	bool all_done, complete = true;
	uint32_t i;

	memset(r, 0, sizeof(*r));
	if (limit == 0 || limit > SF_SEARCH_MAX || sort >= SF_SEARCH_BY_MAX)
		return -EINVAL;
	r->workers = s->n_workers;
	q = calloc(s->n_workers, sizeof(q[0]));
	r->state = calloc(s->n_workers, sizeof(r->state[0]));
	if (q == NULL || r->state == NULL) {
		free(q);
		sf_search_result_free(r);
		return -ENOMEM;
	}
	pthread_mutex_lock(&s->ask);
	pthread_mutex_lock(&s->lock);
	if (!s->was_attached) {
		pthread_mutex_unlock(&s->lock);
		pthread_mutex_unlock(&s->ask);
		free(q);
		sf_search_result_free(r);
		return -EAGAIN;
	}
	sweep_parked(s);
	post_all(s, q, m, limit, sort, r);
	pthread_mutex_unlock(&s->lock);

	/* Short sleeps: the caller is MHD's thread, which serves other requests after this. */
	deadline = mono_ns() + timeout_ns;
	for (;;) {
		all_done = true;
		for (k = 0; k < s->n_workers && all_done; k++)
			all_done = q[k] == NULL || sf_search_query_done(q[k]);
		if (all_done || mono_ns() >= deadline)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 1000 * 1000 }, NULL);
	}

	pthread_mutex_lock(&s->lock);
	for (k = 0; k < s->n_workers; k++) {
		if (q[k] == NULL)
			continue;
		if (!sf_search_query_done(q[k])) {
			atomic_store_explicit(&q[k]->cancel, true, memory_order_relaxed);
			s->parked[s->n_parked++] = q[k];	/* fits: see max_parked */
			q[k] = NULL;
			complete = false;
			continue;
		}
		if (q[k]->ended) {
			r->state[k] = SF_SEARCH_ENDED;
			r->ended++;
			complete = false;
		} else {
			r->state[k] = SF_SEARCH_ANSWERED;
			r->answered++;
			complete = complete && q[k]->complete;
		}
		r->scanned += q[k]->scanned;
		r->matched += q[k]->matched;
		total += q[k]->n;
	}
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_unlock(&s->ask);

	r->complete = complete && r->answered == r->workers;
	r->hit = malloc((total != 0 ? total : 1) * sizeof(r->hit[0]));
	for (k = 0; k < s->n_workers; k++) {
		if (q[k] == NULL)
			continue;
		for (i = 0; r->hit != NULL && i < q[k]->n; i++) {
			r->hit[r->n] = q[k]->hit[i];
			r->hit[r->n++].worker = (uint16_t)k;
		}
		sf_search_query_free(q[k]);
	}
	free(q);
	if (r->hit == NULL) {
		r->n = 0;
		return -ENOMEM;
	}
	qsort_r(r->hit, r->n, sizeof(r->hit[0]), cmp_hits, &sortv);
	if (r->n > limit)
		r->n = limit;
	return 0;
}

void
sf_search_result_free(struct sf_search_result *r)
{
	free(r->hit);
	r->hit = NULL;
	r->n = 0;
	free(r->state);
	r->state = NULL;
}
