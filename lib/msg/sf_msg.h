/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Messages from a worker to the collector. Each worker owns one
 * single-producer/single-consumer rte_ring and one message pool; the
 * collector returns messages to the pool they came from. Messages on one
 * ring arrive in order, so when the collector sees the aggregate of
 * interval t from worker k, every record worker k ended up to t has
 * already arrived.
 */
#ifndef SF_MSG_H
#define SF_MSG_H

#include <stdint.h>

#include <rte_mempool.h>
#include <rte_ring.h>

#include "sf_agg.h"
#include "sf_common.h"
#include "sf_flow.h"
#include "sf_flow_table.h"
#include "sf_pkt.h"

/* Flow records per batch message. */
#define SF_MSG_RECS 32

enum sf_msg_type {
	SF_MSG_RECORDS = 1,	/* a batch of finished flow records */
	SF_MSG_INTERVAL,	/* an interval aggregate (possibly empty) */
};

/* Watermark of a worker that has finished: every interval is done. */
#define SF_WATERMARK_DONE UINT64_MAX

struct sf_msg {
	uint16_t type;		/* enum sf_msg_type */
	uint16_t worker;
	uint32_t count;		/* records in u.rec */
	/*
	 * The worker has closed every interval < watermark: it will send
	 * nothing more about them.
	 */
	uint64_t watermark;
	union {
		struct sf_interval_agg agg;
		struct sf_flow_record rec[SF_MSG_RECS];
	} u;
};

/* Create the ring and message pool of worker `id`. NULL on failure. */
struct rte_ring *sf_msg_ring_create(unsigned int id, unsigned int size, int socket);
struct rte_mempool *sf_msg_pool_create(unsigned int id, unsigned int n, int socket);

#endif /* SF_MSG_H */
