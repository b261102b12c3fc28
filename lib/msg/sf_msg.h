/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Messages from a worker to the collector. Each worker owns one channel:
 * a single-producer/single-consumer rte_ring of message pointers and one
 * pool per message type, each sized by what its type carries (a batch of
 * flow records; an interval aggregate whose keyed tables travel sparse,
 * only the keys in use). Messages on one ring arrive in order, so when
 * the collector sees the aggregate of interval t from worker k, every
 * record worker k ended up to t has already arrived. The collector gives
 * messages back to their channel (sf_msg_chan_put).
 */
#ifndef SF_MSG_H
#define SF_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mempool.h>
#include <rte_ring.h>

#include "sf_agg.h"
#include "sf_common.h"
#include "sf_flow.h"
#include "sf_flow_table.h"

/* Flow records per batch message. */
#define SF_MSG_RECS 32

/*
 * Interval messages per worker: one per interval, so few are in flight.
 * Live input never waits: if the collector is that far behind, an interval
 * message is not sent and its counts travel with the next one.
 */
#define SF_MSG_INTERVALS 64

/*
 * Tunnel context messages per worker: one per interval that had tunnel
 * contexts. Live input that finds none free keeps counting into its table:
 * those counts go with the next interval's message.
 */
#define SF_MSG_TUNNEL_MSGS 16

/*
 * TCP health messages per worker (tcp.analysis only: none otherwise): one
 * per interval that had analysed TCP packets, as for the tunnels. They are
 * large (every server's RTT histogram), hence few.
 */
#define SF_MSG_TCP_MSGS 4

/*
 * Live-view messages per worker: each carries up to SF_MSG_LIVE_FLOWS
 * flows' counts of one interval (live.flows of them per interval at most).
 * Live input that finds none free counts those flows as unlisted.
 */
#define SF_MSG_LIVE_MSGS 32
#define SF_MSG_LIVE_FLOWS 256

enum sf_msg_type {
	SF_MSG_RECORDS = 0,	/* struct sf_msg_records: finished flow records */
	SF_MSG_INTERVAL,	/* struct sf_msg_interval: an aggregate (possibly empty) */
	SF_MSG_TUNNELS,		/* struct sf_msg_tunnels: an interval's tunnel contexts */
	SF_MSG_TCP,		/* struct sf_msg_tcp: an interval's TCP servers and subnets */
	SF_MSG_LIVE,		/* struct sf_msg_live: flows' counts in an interval */
	SF_MSG_TYPES
};

/* Watermark of a worker that has finished: every interval is done. */
#define SF_WATERMARK_DONE UINT64_MAX

/* The header every message starts with. */
struct sf_msg {
	uint16_t type;		/* enum sf_msg_type */
	uint16_t worker;
	uint32_t count;		/* records, or table entries, that follow */
	/*
	 * The worker has closed every interval < watermark: it will send
	 * nothing more about them.
	 */
	uint64_t watermark;
};

/*
 * A batch of records; with SPLT on (the channel's splt entries), a slot of
 * sf_flow_splt_size(splt) bytes per record follows the array, where
 * rec[i].splt points.
 */
struct sf_msg_records {
	struct sf_msg h;
	struct sf_flow_record rec[SF_MSG_RECS];
	uint8_t splt[];
};

/* One key in use of a keyed table of the aggregate (sf_agg.h). */
struct sf_msg_entry {
	uint16_t table;		/* index in sf_agg_tables[] */
	uint16_t pad;
	uint32_t key;
	uint64_t col[SF_AGG_COLS_MAX];
};

/* An interval aggregate: its counters, top flows and h.count table entries. */
struct sf_msg_interval {
	struct sf_msg h;
	uint64_t interval;
	uint64_t counters[SF_AGG_NCOUNTERS];	/* as struct sf_interval_agg.counters */
	uint32_t ntop;
	uint32_t pad;
	struct sf_flow_topk top[SF_TOPK];
	struct sf_msg_entry ent[SF_AGG_KEYS_MAX];
};

/*
 * A worker's tunnel context table for one interval (sf_agg_tun.h): every
 * entry (h.count of them) and the traffic that found the table full. Sent
 * before the interval's aggregate, only if the table has any.
 */
struct sf_msg_tunnels {
	struct sf_msg h;
	uint64_t interval;
	struct sf_tun_entry other;
	struct sf_tun_entry ent[SF_TUN_WORKER_MAX];
};

/* Worker: the entries of t into m; the watermark is the caller's. */
void sf_msg_tunnels_pack(struct sf_msg_tunnels *m, uint64_t interval,
		const struct sf_tun_table *t);

/*
 * A worker's TCP health table for one interval (sf_agg_tcp.h): nserv
 * server rows, nsub subnet rows and the other rows. Sent before the
 * interval's aggregate, only if the table has any.
 */
struct sf_msg_tcp {
	struct sf_msg h;
	uint64_t interval;
	uint32_t nserv, nsub;
	struct sf_tcpa_server other_server;
	struct sf_tcpa_subnet other_subnet;
	struct sf_tcpa_server serv[SF_TCPA_SERVERS];
	struct sf_tcpa_subnet sub[SF_TCPA_SUBNETS];
};

/*
 * Flows' counts in one interval, active flows included (h.count of them):
 * the live view's material (lib/collector/sf_live.h). Sent before the
 * interval's aggregate.
 */
struct sf_msg_live {
	struct sf_msg h;
	uint64_t interval;
	struct sf_flow_topk f[SF_MSG_LIVE_FLOWS];
};

/* Worker: the rows of t into m; the watermark is the caller's. */
void sf_msg_tcp_pack(struct sf_msg_tcp *m, uint64_t interval, const struct sf_tcpa_table *t);

/* Worker: a's figures into m (counters, top list, the table keys in use). */
void sf_msg_interval_pack(struct sf_msg_interval *m, const struct sf_interval_agg *a);

/* True if m carries no counts (it may still move the watermark). */
bool sf_msg_interval_empty(const struct sf_msg_interval *m);

/*
 * Collector: add m's counters and table entries into a, an aggregate of
 * the same interval (top lists are the collector's to merge).
 */
void sf_msg_interval_merge(struct sf_interval_agg *a, const struct sf_msg_interval *m);

/*
 * A worker's channel. The ring and the pools are used directly on both
 * sides (their calls are inline); pool[type] holds the messages of a type.
 */
struct sf_msg_chan {
	struct rte_ring *ring;
	struct rte_mempool *pool[SF_MSG_TYPES];
};

/*
 * The channel of worker `id`: a ring of ring_size slots, `records` record
 * batch messages, SF_MSG_INTERVALS interval messages, SF_MSG_TUNNEL_MSGS
 * tunnel context messages and, with `tcp` (tcp.analysis), SF_MSG_TCP_MSGS
 * TCP health messages (otherwise pool[SF_MSG_TCP] is NULL),
 * SF_MSG_LIVE_MSGS live-view messages; record
 * batches hold SPLT slots of `splt` entries when it is not 0. NULL with
 * rte_errno set on failure.
 */
struct sf_msg_chan *sf_msg_chan_create(unsigned int id, unsigned int ring_size,
		unsigned int records, bool tcp, unsigned int splt, int socket);

/* Bytes of a record batch message with SPLT slots of `splt` entries (0: none). */
static inline size_t
sf_msg_records_size(unsigned int splt)
{
	return sizeof(struct sf_msg_records) +
		(splt != 0 ? SF_MSG_RECS * sf_flow_splt_size(splt) : 0);
}

/* Give back the messages still on the ring, then free. NULL is a no-op. */
void sf_msg_chan_free(struct sf_msg_chan *ch);

/* Collector: give n messages taken from ch's ring back to their pools. */
void sf_msg_chan_put(struct sf_msg_chan *ch, void *const *msgs, unsigned int n);

/* Memory a channel takes (pools and ring), for start-up estimates. */
size_t sf_msg_chan_bytes(unsigned int ring_size, unsigned int records, bool tcp,
		unsigned int splt);

#endif /* SF_MSG_H */
