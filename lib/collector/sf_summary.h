/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside lib/collector: the run's analytics over flow records, fed by the
 * collector in record batches: counts by end reason and the capture span,
 * the top records by bytes and by packets (exact), totals per responder
 * port (exact), and the talkers (a bounded heavy-hitter summary with a
 * distinct-host estimate). Collector thread only.
 */
#ifndef SF_SUMMARY_H
#define SF_SUMMARY_H

#include "sf_collector.h"

struct sf_summary;

/* NULL on out of memory. */
struct sf_summary *sf_summary_create(void);
void sf_summary_free(struct sf_summary *s);

/* Count n records into s and the record figures of t. */
void sf_summary_add(struct sf_summary *s, struct sf_collector_totals *t,
		const struct sf_flow_record *r, unsigned int n);

/*
 * Count a finalized interval's tunnel contexts (n distinct) into the run's
 * bounded table; over_* is traffic of contexts that did not fit before.
 */
void sf_summary_tunnels(struct sf_summary *s, const struct sf_tun_entry *e, unsigned int n,
		uint64_t over_packets, uint64_t over_bytes);

/*
 * Count a finalized interval's TCP servers (n distinct) and client subnets
 * (m distinct) into the run's bounded tables; the other rows are what did
 * not fit in the workers' tables.
 */
/* An interval's names into the run's (bounded: what finds no room is counted untracked). */
void sf_summary_names(struct sf_summary *s, enum sf_names_kind k, const struct sf_names *iv);

void sf_summary_tcp(struct sf_summary *s, const struct sf_tcpa_server *serv, unsigned int n,
		const struct sf_tcpa_subnet *sub, unsigned int m,
		const struct sf_tcpa_server *other_server,
		const struct sf_tcpa_subnet *other_subnet);

/* Rank talkers, ports, tunnel contexts and TCP servers into t as of now: O(hosts + ports seen). */
void sf_summary_rank(const struct sf_summary *s, struct sf_collector_totals *t);

#endif /* SF_SUMMARY_H */
