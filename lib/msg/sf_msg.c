/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>

#include <rte_errno.h>

#include "sf_msg.h"

static const char *const drop_names[SF_DROP_MAX] = {
#define SF_X_NAME(id, name) [SF_DROP_ ## id] = name,
	SF_DROP_REASONS(SF_X_NAME)
#undef SF_X_NAME
};

const char *
sf_drop_reason_name(enum sf_drop_reason r)
{
	return (unsigned int)r < SF_DROP_MAX ? drop_names[r] : "unknown";
}

uint64_t
sf_drop_total(const uint64_t dropped[SF_DROP_MAX])
{
	uint64_t d = 0;
	unsigned int i;

	for (i = 0; i < SF_DROP_MAX; i++)
		d += dropped[i];
	return d;
}

int
sf_interval_agg_empty(const struct sf_interval_agg *a)
{
	unsigned int i;

	if (a->received != 0 || a->flows_new != 0 || a->flows_active != 0 ||
			a->records_lost != 0)
		return 0;
	for (i = 0; i < SF_END_MAX; i++)
		if (a->flows_ended[i] != 0)
			return 0;
	for (i = 0; i < SF_DROP_MAX; i++)
		if (a->dropped[i] != 0)
			return 0;
	return 1;
}

void
sf_interval_agg_add(struct sf_interval_agg *dst, const struct sf_interval_agg *src)
{
	unsigned int i;

	dst->received += src->received;
	dst->flowed += src->flowed;
	dst->bytes += src->bytes;
	dst->filtered += src->filtered;
	dst->nonflow += src->nonflow;
	dst->malformed += src->malformed;
	for (i = 0; i < SF_PKT_BAD_MAX; i++)
		dst->malformed_by[i] += src->malformed_by[i];
	for (i = 0; i < SF_DROP_MAX; i++)
		dst->dropped[i] += src->dropped[i];
	dst->flows_new += src->flows_new;
	for (i = 0; i < SF_END_MAX; i++)
		dst->flows_ended[i] += src->flows_ended[i];
	dst->flows_active += src->flows_active;
	dst->records_lost += src->records_lost;
	dst->ipv4_packets += src->ipv4_packets;
	dst->ipv6_packets += src->ipv6_packets;
	for (i = 0; i < 256; i++) {
		dst->proto_packets[i] += src->proto_packets[i];
		dst->proto_bytes[i] += src->proto_bytes[i];
	}
}

struct rte_ring *
sf_msg_ring_create(unsigned int id, unsigned int size, int socket)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "sf_msg_ring%u", id);
	return rte_ring_create(name, size, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
}

struct rte_mempool *
sf_msg_pool_create(unsigned int id, unsigned int n, int socket)
{
	char name[RTE_MEMPOOL_NAMESIZE];

	snprintf(name, sizeof(name), "sf_msg_pool%u", id);
	/*
	 * One producer (the worker) and one consumer (the collector): a
	 * per-lcore cache makes get/put cheap on both sides.
	 */
	return rte_mempool_create(name, n, sizeof(struct sf_msg), 32, 0,
			NULL, NULL, NULL, NULL, socket, 0);
}
