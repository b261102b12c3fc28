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

#include "sf_common.h"
#include "sf_flow.h"
#include "sf_flow_table.h"
#include "sf_pkt.h"

/* Flow records per batch message. */
#define SF_MSG_RECS 32

/*
 * Why a received packet was dropped before reaching a flow table. Live
 * Linux interfaces (tpacket): kernel_ring_full is a worker's capture ring
 * that was full (PACKET_STATISTICS tp_drops), if_rx_dropped and nic_missed
 * the interface's rx_dropped and rx_missed_errors since the capture opened.
 */
#define SF_DROP_REASONS(X) \
	X(NIC_MISSED, "nic_missed") \
	X(NO_MBUF, "no_mbuf") \
	X(RX_ERROR, "rx_error") \
	X(DISPATCH_FULL, "dispatch_full") \
	X(KERNEL_RING_FULL, "kernel_ring_full") \
	X(IF_RX_DROPPED, "if_rx_dropped")

enum sf_drop_reason {
#define SF_X_ENUM(id, name) SF_DROP_ ## id,
	SF_DROP_REASONS(SF_X_ENUM)
#undef SF_X_ENUM
	SF_DROP_MAX
};

const char *sf_drop_reason_name(enum sf_drop_reason r);

/* Sum of packets dropped over every reason. */
uint64_t sf_drop_total(const uint64_t dropped[SF_DROP_MAX]);

/*
 * What one worker saw in one interval (or, merged, all workers). Packet
 * counts satisfy received = flowed + filtered + nonflow + malformed.
 */
struct sf_interval_agg {
	uint64_t interval;		/* index: starts at interval * interval_ns */
	uint64_t received;		/* packets handed to the worker */
	uint64_t flowed;		/* packets counted in flows */
	uint64_t bytes;			/* IP bytes of those packets */
	uint64_t filtered;
	uint64_t nonflow;
	uint64_t malformed;
	uint64_t malformed_by[SF_PKT_BAD_MAX];
	uint64_t dropped[SF_DROP_MAX];	/* filled by sources, not workers */
	uint64_t flows_new;
	uint64_t flows_ended[SF_END_MAX];
	uint64_t flows_active;		/* flows in the tables at interval end */
	uint64_t records_lost;		/* records dropped on a full ring or pool */
	uint64_t ipv4_packets;
	uint64_t ipv6_packets;
	uint64_t proto_packets[256];
	uint64_t proto_bytes[256];
	uint32_t ntop;
	uint32_t pad;
	struct sf_flow_topk top[SF_TOPK];
};

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

/* True if the aggregate carries anything worth reporting. */
int sf_interval_agg_empty(const struct sf_interval_agg *a);

/* dst += src (counters; top lists are merged by the collector). */
void sf_interval_agg_add(struct sf_interval_agg *dst, const struct sf_interval_agg *src);

/* Create the ring and message pool of worker `id`. NULL on failure. */
struct rte_ring *sf_msg_ring_create(unsigned int id, unsigned int size, int socket);
struct rte_mempool *sf_msg_pool_create(unsigned int id, unsigned int n, int socket);

#endif /* SF_MSG_H */
