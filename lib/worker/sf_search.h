/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Search over the active flows (/api/v1/flows): the HTTP thread asks,
 * every worker answers from its own table, between bursts, a bounded
 * step per loop turn (sf_worker_housekeep), so a search never holds up
 * packets for long and no table is read by another thread.
 *
 * One query object per worker and search. The asker (the HTTP thread)
 * allocates it with room for its `limit` hits and posts a pointer to it
 * on the worker's request ring (single producer: the asker, serialised
 * by struct sf_search; single consumer: the worker). The worker owns
 * the query's worker fields from the dequeue until it stores `done`
 * (release); that store is its last touch, so the worker never allocates
 * or frees anything. The asker waits a bounded time; a query it gives up
 * on is cancelled and parked, and freed by a later search (or at
 * sf_search_free) once its worker has marked it done. Queries still on a
 * ring when a worker stops (sf_worker_finish) or is freed are marked done
 * then, as answered by a worker whose input had ended.
 */
#ifndef SF_SEARCH_H
#define SF_SEARCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ring.h>

#include "sf_flow.h"
#include "sf_flow_match.h"
#include "sf_flow_table.h"

#define SF_SEARCH_MAX 1000		/* hits a search returns at most (n) */
#define SF_SEARCH_DEFAULT 100
/*
 * Entries a worker looks at per loop turn: one step reads 4096 entries'
 * state bytes (tens of microseconds, about a burst's work at 10 Mpps);
 * a table of the default 262,144 flows takes 64 turns.
 */
#define SF_SEARCH_STEP 4096
#define SF_SEARCH_RING 4		/* requests waiting per worker */
#define SF_SEARCH_TIMEOUT_MS 1000	/* how long the asker waits for the workers */

enum sf_search_sort {
	SF_SEARCH_BY_BYTES,		/* both directions of the current record */
	SF_SEARCH_BY_PACKETS,
	SF_SEARCH_BY_DURATION,		/* last packet - first packet of the record */
	SF_SEARCH_BY_MAX
};

/* "bytes", "packets", "duration"; sf_search_sort_parse() gives -1 for another word. */
const char *sf_search_sort_name(unsigned int sort);
int sf_search_sort_parse(const char *s);

/* One active flow found: its current record, as sf_flow_view has it. */
struct sf_search_hit {
	struct sf_flow_key key;
	uint64_t first_ns;
	uint64_t last_ns;
	uint64_t packets[2];		/* [0] from the initiator */
	uint64_t bytes[2];
	uint8_t tcp_flags[2];
	uint8_t initiator;		/* enum sf_flow_dir */
	bool tcp_ended;
	uint16_t worker;		/* which worker's table (set by sf_search_run) */
	uint8_t pad[2];
};

struct sf_search_query {
	/* The asker's, fixed before it posts the query. */
	struct sf_flow_match match;
	uint32_t limit;			/* room in hit[]: 1..SF_SEARCH_MAX */
	uint8_t sort;			/* enum sf_search_sort */
	/* The worker's until done; the asker reads them after done (acquire). */
	bool complete;			/* every entry of the table was looked at */
	bool ended;			/* the worker stopped before it looked at every entry */
	uint32_t cursor;		/* sf_flow_table_scan's */
	uint32_t n;			/* hits held (a min-heap until done) */
	uint64_t scanned;		/* live flows looked at */
	uint64_t matched;		/* of those, flows the filter took */
	atomic_bool cancel;		/* asker -> worker: given up, stop early */
	atomic_bool done;		/* worker -> asker, release: the rest is the asker's */
	struct sf_search_hit hit[];	/* limit of them */
};

/* A zeroed query with room for `limit` hits (malloc); NULL on bad arguments or no memory. */
struct sf_search_query *sf_search_query_create(const struct sf_flow_match *m,
		unsigned int limit, enum sf_search_sort sort);
void sf_search_query_free(struct sf_search_query *q);

static inline bool
sf_search_query_done(const struct sf_search_query *q)
{
	return atomic_load_explicit(&q->done, memory_order_acquire);
}

/* Ranking: more of the sort's value first, then the smaller key (a total order). */
int sf_search_hit_cmp(const struct sf_search_hit *a, const struct sf_search_hit *b,
		unsigned int sort);

/*
 * A worker's side: its request ring and the query it is serving. Lives
 * in struct sf_worker; every function but post runs on the worker's lcore
 * (or, for fini, after it has stopped).
 */
struct sf_search_inbox {
	struct rte_ring *ring;		/* of struct sf_search_query * */
	struct sf_search_query *cur;	/* being scanned, or NULL */
	atomic_bool closed;		/* the worker's input has ended: post refuses */
};

int sf_search_inbox_init(struct sf_search_inbox *in, int socket_id);

/*
 * One bounded step: take the next query if none is in hand, look at
 * `budget` more entries of t, mark the query done after the last one (or
 * at once if its asker cancelled it). True if there was a query.
 */
bool sf_search_inbox_serve(struct sf_search_inbox *in, const struct sf_flow_table *t,
		uint32_t budget);

/* End of input: refuse new queries, answer those held or waiting (ended). */
void sf_search_inbox_close(struct sf_search_inbox *in);

/* Close and free the ring; a zeroed inbox is a no-op. */
void sf_search_inbox_fini(struct sf_search_inbox *in);

/*
 * Asker's side (one producer at a time): 0, -ESHUTDOWN if the worker's
 * input has ended, -EBUSY if its ring is full.
 */
int sf_search_inbox_post(struct sf_search_inbox *in, struct sf_search_query *q);

/*
 * The asker's hub: how the HTTP thread reaches the workers. Created before
 * the workers exist (the server starts before DPDK), attached once they
 * are created, detached before they are freed; searches in between post
 * to them, searches outside say no worker runs.
 */
struct sf_worker;
struct sf_search;

struct sf_search *sf_search_create(unsigned int n_workers);
void sf_search_free(struct sf_search *s);	/* after detach; NULL is a no-op */
void sf_search_attach(struct sf_search *s, struct sf_worker *const w[], unsigned int n);
void sf_search_detach(struct sf_search *s);

/* What became of a search at one worker (sf_search_result.state). */
enum sf_search_state {
	SF_SEARCH_ANSWERED,		/* scanned and answered in time */
	SF_SEARCH_TIMEOUT,		/* asked, no answer in time (cancelled) */
	SF_SEARCH_ENDED,		/* its input had ended: nothing to search */
	SF_SEARCH_BUSY,			/* its request ring was full */
	SF_SEARCH_NOMEM,		/* no memory for its query */
	SF_SEARCH_STATE_MAX
};

/* "answered", "timeout", "ended", "busy", "no_memory". */
const char *sf_search_state_name(unsigned int state);

struct sf_search_result {
	unsigned int workers;		/* of the run */
	unsigned int asked;		/* running workers a query was posted to */
	unsigned int answered;		/* ... that answered in time */
	unsigned int ended;		/* workers whose input had ended: nothing to search */
	unsigned int busy;		/* workers whose request ring was full */
	bool complete;			/* every worker answered, having looked at its whole table */
	uint64_t scanned;		/* live flows looked at, all workers */
	uint64_t matched;		/* flows the filter took, all workers */
	uint32_t n;			/* hits, best first, at most the limit */
	struct sf_search_hit *hit;	/* malloc'd: sf_search_result_free */
	uint8_t *state;			/* per worker, enum sf_search_state (malloc'd) */
};

/*
 * Ask every running worker, wait at most timeout_ns for the answers, and
 * merge the best `limit` hits. 0; -EAGAIN before the workers are attached;
 * -ENOMEM. Blocks the caller (not a worker) for up to timeout_ns.
 */
int sf_search_run(struct sf_search *s, const struct sf_flow_match *m, unsigned int limit,
		enum sf_search_sort sort, uint64_t timeout_ns, struct sf_search_result *r);
void sf_search_result_free(struct sf_search_result *r);

#endif /* SF_SEARCH_H */
