/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Names per interval and over the run (app.enabled): server names (TLS and
 * QUIC SNI, HTTP Host) and DNS question names, with the bytes (both
 * directions) and flows of the records that carried them. The collector
 * counts them from the records it takes, in a bounded table per interval
 * (SF_NAMES_INTERVAL_MAX names) and one for the run (SF_NAMES_RUN_MAX);
 * a name that finds its table full is not tracked: its traffic is counted
 * as untracked, which bounds the error of every count shown (a listed
 * name may have up to that much more; an unlisted one at most that much).
 * Flows: records that end their flow (an active-timeout update carries
 * bytes, not a new flow).
 */
#ifndef SF_AGG_NAMES_H
#define SF_AGG_NAMES_H

#include <stdbool.h>
#include <stdint.h>

#include "sf_flow.h"

#define SF_NAMES_TOP 10			/* names listed per ranking */
#define SF_NAMES_INTERVAL_MAX 4096	/* names tracked per interval and kind */
#define SF_NAMES_RUN_MAX 65536		/* names tracked over the run, per kind */

enum sf_names_kind {
	SF_NAMES_SERVER = 0,	/* TLS/QUIC server name, HTTP Host */
	SF_NAMES_DNS,		/* DNS question name */
	SF_NAMES_KINDS
};

struct sf_name_count {
	uint64_t bytes;
	uint64_t flows;
	char name[SF_FLOW_APP_NAME];
};

/* A ranked view: the top names by bytes and by flows, and what is not listed. */
struct sf_names_top {
	uint32_t n_bytes;		/* entries in by_bytes */
	uint32_t n_flows;		/* entries in by_flows */
	struct sf_name_count by_bytes[SF_NAMES_TOP];
	struct sf_name_count by_flows[SF_NAMES_TOP];
	uint64_t names;			/* distinct names tracked */
	uint64_t bytes, flows;		/* all traffic with a name of this kind */
	uint64_t untracked_bytes;	/* of it, names a full table had no room for */
	uint64_t untracked_flows;
};

struct sf_names;

/* A table of at most `max` names (collector side); NULL when out of memory. */
struct sf_names *sf_names_create(uint32_t max);
void sf_names_free(struct sf_names *t);

void sf_names_add(struct sf_names *t, const char *name, uint64_t bytes, uint64_t flows);

/* Add every name of `from` to t (the run takes an interval's). */
void sf_names_merge(struct sf_names *t, const struct sf_names *from);

void sf_names_rank(const struct sf_names *t, struct sf_names_top *out);

/* The name a record contributes to kind k, or NULL. */
static inline const char *
sf_names_of(const struct sf_flow_record *r, enum sf_names_kind k)
{
	switch (r->app.kind) {
	case SF_APP_TLS:
	case SF_APP_QUIC:
	case SF_APP_HTTP:
		return k == SF_NAMES_SERVER && r->app.name[0] != '\0' ? r->app.name : NULL;
	case SF_APP_DNS:
		return k == SF_NAMES_DNS && (r->app.flags & SF_FLOW_APP_QTYPE) ?
			r->app.name : NULL;
	default:
		return NULL;
	}
}

#endif /* SF_AGG_NAMES_H */
