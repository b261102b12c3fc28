/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <rte_common.h>

#include "sf_common.h"
#include "sf_snapshot.h"

#define PUBLISH_MIN_NS (100 * SF_NS_PER_MS)	/* at most 10 snapshots a second */
#define PUBLISH_MAX_NS SF_NS_PER_S		/* live counters refresh at least this often */

struct sf_snap_pub {
	_Atomic(struct sf_snap *) cur;
	atomic_uint readers;		/* readers between load and reference */
	/* Publisher only: */
	struct sf_snap *retired[16];	/* swapped out, maybe still referenced */
	unsigned int n_retired;
	uint64_t t0_ns;			/* CLOCK_MONOTONIC at creation */
	uint64_t seq;
	uint64_t last_pub_ns;
	uint64_t version;		/* of the collector at the last publish */
};

void
sf_snap_iv_put(struct sf_snap_iv *iv)
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
		sf_snap_iv_put(s->iv[i]);
	for (i = 0; i < s->n_live; i++)
		sf_live_iv_put(s->live[i]);
	free(s->live);
	free(s);
}

struct sf_snap_pub *
sf_snap_pub_create(void)
{
	struct sf_snap_pub *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	atomic_init(&p->cur, NULL);
	atomic_init(&p->readers, 0);
	p->t0_ns = sf_clock_ns(CLOCK_MONOTONIC);
	return p;
}

/*
 * Drop the publisher's reference of retired snapshots once no reader can
 * be about to take one (a reader that loaded an old pointer is counted in
 * `readers` until it holds its reference).
 */
static void
reclaim(struct sf_snap_pub *p, bool all)
{
	unsigned int i;

	if (atomic_load(&p->readers) != 0 && !all)
		return;
	for (i = 0; i < p->n_retired; i++)
		sf_snap_put(p->retired[i]);
	p->n_retired = 0;
}

void
sf_snap_pub_free(struct sf_snap_pub *p)
{
	if (p == NULL)
		return;
	reclaim(p, true);
	sf_snap_put(atomic_load(&p->cur));
	free(p);
}

bool
sf_snap_pub_due(const struct sf_snap_pub *p, uint64_t version, bool force)
{
	uint64_t since = sf_clock_ns(CLOCK_MONOTONIC) - p->last_pub_ns;

	if (force)
		return true;
	return (version != p->version && since >= PUBLISH_MIN_NS) || since >= PUBLISH_MAX_NS;
}

void
sf_snap_publish(struct sf_snap_pub *p, struct sf_snap *s, uint64_t version)
{
	struct sf_snap *old;

	s->seq = ++p->seq;
	s->wall_ns = sf_clock_ns(CLOCK_REALTIME);
	s->uptime_ns = sf_clock_ns(CLOCK_MONOTONIC) - p->t0_ns;
	old = atomic_exchange(&p->cur, s);
	if (old != NULL) {
		/* Readers hold the count for a few instructions only. */
		while (p->n_retired == RTE_DIM(p->retired) && atomic_load(&p->readers) != 0)
			;
		reclaim(p, p->n_retired == RTE_DIM(p->retired));
		p->retired[p->n_retired++] = old;
	}
	reclaim(p, false);
	p->version = version;
	p->last_pub_ns = sf_clock_ns(CLOCK_MONOTONIC);
}

struct sf_snap *
sf_snap_get(struct sf_snap_pub *p)
{
	struct sf_snap *s;

	atomic_fetch_add(&p->readers, 1);
	s = atomic_load(&p->cur);
	if (s != NULL)
		atomic_fetch_add(&s->ref, 1);
	atomic_fetch_sub(&p->readers, 1);
	return s;
}

bool
sf_snap_port_update(struct sf_snap_port *p, const char *name, bool up, uint32_t speed_mbps,
		uint64_t now_ns)
{
	bool first = p->name[0] == '\0';

	if (first)
		snprintf(p->name, sizeof(p->name), "%s", name);
	/* A link that is down has no speed worth forgetting the last one for. */
	if (up && speed_mbps != 0)
		p->speed_mbps = speed_mbps;
	if (!first && p->up == up)
		return false;
	p->up = up;
	if (first)
		return false;
	p->changes++;
	p->last_change_ns = now_ns;
	return true;
}
