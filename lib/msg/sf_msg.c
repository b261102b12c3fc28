/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>

#include "sf_msg.h"

/* Per-lcore cache of the record pool; interval messages are too rare for one. */
#define RECORDS_CACHE 32

_Static_assert(sizeof(((struct sf_interval_agg *)0)->counters) ==
		sizeof(((struct sf_msg_interval *)0)->counters), "counters travel as they are");

void
sf_msg_interval_pack(struct sf_msg_interval *m, const struct sf_interval_agg *a)
{
	unsigned int t, j, k, n = 0;

	m->interval = a->interval;
	memcpy(m->counters, a->counters, sizeof(m->counters));
	m->ntop = RTE_MIN(a->ntop, (uint32_t)SF_TOPK);
	memcpy(m->top, a->top, m->ntop * sizeof(m->top[0]));
	for (t = 0; t < SF_AGG_NTABLES; t++) {
		const struct sf_agg_table *tb = &sf_agg_tables[t];

		for (k = 0; k < tb->keys; k++) {
			struct sf_msg_entry *e;

			if (!sf_agg_key_used(a, tb, k))
				continue;
			e = &m->ent[n++];
			e->table = (uint16_t)t;
			e->pad = 0;
			e->key = k;
			for (j = 0; j < tb->ncols; j++)
				e->col[j] = sf_agg_cell_get(a, tb, j, k);
		}
	}
	m->h.count = n;
}

void
sf_msg_tunnels_pack(struct sf_msg_tunnels *m, uint64_t interval, const struct sf_tun_table *t)
{
	uint32_t n = RTE_MIN(t->n, (uint32_t)SF_TUN_WORKER_MAX);

	m->interval = interval;
	m->other = t->other;
	memcpy(m->ent, t->ent, n * sizeof(m->ent[0]));
	m->h.count = n;
}

void
sf_msg_tcp_pack(struct sf_msg_tcp *m, uint64_t interval, const struct sf_tcpa_table *t)
{
	m->interval = interval;
	m->nserv = RTE_MIN(t->si.n, (uint32_t)SF_TCPA_SERVERS);
	m->nsub = RTE_MIN(t->ni.n, (uint32_t)SF_TCPA_SUBNETS);
	m->other_server = t->serv[SF_TCPA_SERVERS];
	m->other_subnet = t->sub[SF_TCPA_SUBNETS];
	memcpy(m->serv, t->serv, m->nserv * sizeof(m->serv[0]));
	memcpy(m->sub, t->sub, m->nsub * sizeof(m->sub[0]));
	m->h.count = m->nserv + m->nsub;
}

bool
sf_msg_interval_empty(const struct sf_msg_interval *m)
{
	unsigned int i;

	/* Table entries count packets the counters count too. */
	for (i = 0; i < SF_AGG_NCOUNTERS; i++)
		if (m->counters[i] != 0)
			return false;
	return true;
}

void
sf_msg_interval_merge(struct sf_interval_agg *a, const struct sf_msg_interval *m)
{
	unsigned int i, j, n = RTE_MIN(m->h.count, (uint32_t)SF_AGG_KEYS_MAX);

	for (i = 0; i < SF_AGG_NCOUNTERS; i++)
		a->counters[i] += m->counters[i];
	for (i = 0; i < n; i++) {
		const struct sf_msg_entry *e = &m->ent[i];
		const struct sf_agg_table *tb;

		if (e->table >= SF_AGG_NTABLES)
			continue;
		tb = &sf_agg_tables[e->table];
		if (e->key >= tb->keys)
			continue;
		for (j = 0; j < tb->ncols; j++)
			*sf_agg_cell(a, tb, j, e->key) += e->col[j];
	}
}

struct sf_msg_chan *
sf_msg_chan_create(unsigned int id, unsigned int ring_size, unsigned int records, bool tcp,
		unsigned int splt, int socket)
{
	struct sf_msg_chan *ch = calloc(1, sizeof(*ch));
	char name[RTE_MEMPOOL_NAMESIZE];

	if (ch == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	snprintf(name, sizeof(name), "sf_msg_ring%u", id);
	ch->ring = rte_ring_create(name, ring_size, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (ch->ring == NULL)
		goto fail;
	/*
	 * One producer (the worker) and one consumer (the collector): a
	 * per-lcore cache makes get/put cheap on both sides.
	 */
	snprintf(name, sizeof(name), "sf_msg_rec%u", id);
	ch->pool[SF_MSG_RECORDS] = rte_mempool_create(name, records,
			sf_msg_records_size(splt), RECORDS_CACHE, 0, NULL, NULL, NULL, NULL,
			socket, 0);
	if (ch->pool[SF_MSG_RECORDS] == NULL)
		goto fail;
	/* No cache: messages must not wait in the other lcore's cache. */
	snprintf(name, sizeof(name), "sf_msg_iv%u", id);
	ch->pool[SF_MSG_INTERVAL] = rte_mempool_create(name, SF_MSG_INTERVALS,
			sizeof(struct sf_msg_interval), 0, 0, NULL, NULL, NULL, NULL, socket, 0);
	if (ch->pool[SF_MSG_INTERVAL] == NULL)
		goto fail;
	snprintf(name, sizeof(name), "sf_msg_tun%u", id);
	ch->pool[SF_MSG_TUNNELS] = rte_mempool_create(name, SF_MSG_TUNNEL_MSGS,
			sizeof(struct sf_msg_tunnels), 0, 0, NULL, NULL, NULL, NULL, socket, 0);
	if (ch->pool[SF_MSG_TUNNELS] == NULL)
		goto fail;
	snprintf(name, sizeof(name), "sf_msg_live%u", id);
	ch->pool[SF_MSG_LIVE] = rte_mempool_create(name, SF_MSG_LIVE_MSGS,
			sizeof(struct sf_msg_live), 0, 0, NULL, NULL, NULL, NULL, socket, 0);
	if (ch->pool[SF_MSG_LIVE] == NULL)
		goto fail;
	if (tcp) {
		snprintf(name, sizeof(name), "sf_msg_tcp%u", id);
		ch->pool[SF_MSG_TCP] = rte_mempool_create(name, SF_MSG_TCP_MSGS,
				sizeof(struct sf_msg_tcp), 0, 0, NULL, NULL, NULL, NULL, socket, 0);
		if (ch->pool[SF_MSG_TCP] == NULL)
			goto fail;
	}
	return ch;
fail:
	{
		int e = rte_errno;

		sf_msg_chan_free(ch);
		rte_errno = e;
	}
	return NULL;
}

void
sf_msg_chan_free(struct sf_msg_chan *ch)
{
	unsigned int t;
	void *m;

	if (ch == NULL)
		return;
	if (ch->ring != NULL)
		while (rte_ring_dequeue(ch->ring, &m) == 0)
			sf_msg_chan_put(ch, &m, 1);
	rte_ring_free(ch->ring);
	for (t = 0; t < SF_MSG_TYPES; t++)
		rte_mempool_free(ch->pool[t]);
	free(ch);
}

void
sf_msg_chan_put(struct sf_msg_chan *ch, void *const *msgs, unsigned int n)
{
	unsigned int i = 0, j;

	/* Runs of one type go back in one bulk put (mostly record batches). */
	while (i < n) {
		uint16_t type = ((const struct sf_msg *)msgs[i])->type;

		for (j = i + 1; j < n && ((const struct sf_msg *)msgs[j])->type == type; j++)
			;
		rte_mempool_put_bulk(ch->pool[type], msgs + i, j - i);
		i = j;
	}
}

size_t
sf_msg_chan_bytes(unsigned int ring_size, unsigned int records, bool tcp, unsigned int splt)
{
	/* An object, its header and trailer: about 128 bytes over its size. */
	return (size_t)records * (sf_msg_records_size(splt) + 128) +
		(size_t)SF_MSG_INTERVALS * (sizeof(struct sf_msg_interval) + 128) +
		(size_t)SF_MSG_TUNNEL_MSGS * (sizeof(struct sf_msg_tunnels) + 128) +
		(size_t)SF_MSG_LIVE_MSGS * (sizeof(struct sf_msg_live) + 128) +
		(tcp ? (size_t)SF_MSG_TCP_MSGS * (sizeof(struct sf_msg_tcp) + 128) : 0) +
		(size_t)ring_size * sizeof(void *);
}
