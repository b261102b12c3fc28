/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>

#include <rte_errno.h>

#include "sf_msg.h"

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
