/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The classify stage: what every packet goes through between the source
 * that read it and the flow table of the worker that owns it.
 *
 * A source reads a burst into mbufs, notes for each packet what only it
 * knows (time, captured length, input port: sf_pkt_meta_in) and hands the
 * burst to sf_classify_burst(), once, whatever the backend. Classify
 * leaves its result in the mbuf's private area (struct sf_pkt_meta), so
 * the lcore that takes the burst next (the worker reading its own queue,
 * or the dispatcher feeding several workers) sees the same thing from
 * every input. Which worker owns a packet is sf_pkt_owner(); the software
 * dispatcher splits a burst with sf_pkt_dispatch().
 */
#ifndef SF_CLASSIFY_H
#define SF_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <string.h>

#include <rte_common.h>
#include <rte_hash_crc.h>
#include <rte_mbuf.h>

#include "sf_common.h"
#include "sf_pkt.h"

/*
 * Per-packet metadata in the mbuf private area. The source writes ts_ns,
 * wire_len and info.port (sf_pkt_meta_in); classify writes cls and the
 * rest of info.
 */
struct sf_pkt_meta {
	struct sf_pkt_info info;
	uint64_t ts_ns;		/* packet time, Unix epoch ns */
	uint32_t wire_len;	/* captured length; may exceed the bytes in the mbuf */
	uint8_t cls;		/* enum sf_pkt_class, or a step's class (below) */
	uint8_t mark;		/* SF_PKT_MARK_* */
	/*
	 * With SF_PKT_MARK_UNDER: the workers that account the packet's
	 * flow and its underlay flow, SF_PKT_OWNER_ANY until a dispatcher
	 * sets them (a worker reading its own queue does both).
	 */
	uint8_t owner;
	uint8_t under_owner;
	struct sf_pkt_under under;	/* valid with SF_PKT_MARK_UNDER */
};

#define SF_PKT_OWNER_ANY UINT8_MAX

/* Classes the steps give, after the parser's (enum sf_pkt_class). */
enum sf_pkt_step_class {
	SF_PKT_FILTERED = SF_PKT_MALFORMED + 1,	/* rejected by a capture filter */
	SF_PKT_DUPLICATE,			/* a SPAN copy, removed */
	SF_PKT_SAMPLED_OUT,			/* not selected by sampling */
};

/*
 * Duplicate removal off: the steps estimate SPAN copies on runs of
 * consecutive packets, SF_DEDUP_RUN of every SF_DEDUP_SCALE runs' worth,
 * the first run from the first packet. A flow packet examined is marked
 * SAMPLED, and COPY too if it looked like a copy; the worker applies the
 * share of copies in the latest sample to its flow packets.
 */
#define SF_PKT_MARK_SAMPLED 0x1
#define SF_PKT_MARK_COPY 0x2
/*
 * tunnel.underlay: the packet went through an IP tunnel and meta->under
 * is its outer flow, accounted too unless a step takes the packet
 * (filtered, duplicate, sampled out: sf_pkt_has_underlay).
 */
#define SF_PKT_MARK_UNDER 0x4
#define SF_DEDUP_RUN 8192u
#define SF_DEDUP_SCALE 64u

/* mbuf private area size for pools whose packets enter the pipeline. */
#define SF_PKT_META_SIZE RTE_ALIGN(sizeof(struct sf_pkt_meta), RTE_MBUF_PRIV_ALIGN)

static inline struct sf_pkt_meta *
sf_pkt_meta(struct rte_mbuf *m)
{
	return (struct sf_pkt_meta *)rte_mbuf_to_priv(m);
}

/*
 * What the source knows of a packet it read into m: its time, the length
 * it was captured with (the frame may be longer than the bytes kept in
 * the mbuf: a reader keeps only the headers) and the input it came from
 * (the place of its port or interface in the input list, 0 for a file).
 */
static inline void
sf_pkt_meta_in(struct rte_mbuf *m, uint64_t ts_ns, uint32_t wire_len, uint8_t port)
{
	struct sf_pkt_meta *meta = sf_pkt_meta(m);

	meta->ts_ns = ts_ns;
	meta->wire_len = wire_len;
	meta->info.port = port;
}

/*
 * Classify a burst of n packets of link type lt, each with its input
 * noted (sf_pkt_meta_in): parse link layer to L4 into the flow key
 * (sf_pkt_parse; decapsulation is a layer of its loop), then the steps
 * that look at the parsed burst, in this order: capture filter, duplicate
 * removal, sampling. A step never drops a packet: it gives it a class,
 * which the worker counts, so every packet read is accounted for once.
 * Those steps keep state per reading lcore (struct sf_classify) and run in
 * sf_classify_steps(), which the source's reader calls on the burst
 * (sf_source_rx).
 */
void sf_classify_burst(struct rte_mbuf **m, uint16_t n, enum sf_linktype lt);

/*
 * The steps' settings. A step is on when its setting is: filter and
 * inner_filter non-NULL and not empty, dedup. Without dedup the steps
 * still estimate how many packets look like SPAN copies, on runs of
 * packets (SF_PKT_MARK_SAMPLED, SF_PKT_MARK_COPY), in a table of
 * dedup_entries / 16.
 */
struct sf_classify_params {
	int linktype;			/* of the frames (pcap LINKTYPE) */
	const char *filter;		/* tcpdump expression on the frame */
	const char *inner_filter;	/* ... on the innermost IP packet */
	bool dedup;			/* remove SPAN copies */
	uint64_t dedup_window_ns;
	uint32_t dedup_entries;		/* power of two */
	uint8_t sampling;		/* enum sf_sampling (SF_SAMPLING_NONE: every packet) */
	uint32_t sampling_rate;		/* keep 1 in N */
	uint32_t queue;			/* the reader's queue: seeds random sampling */
	int socket_id;
};

/* The steps' state, for one reading lcore. */
struct sf_classify;

/* NULL with a user-facing message in err. */
struct sf_classify *sf_classify_create(const struct sf_classify_params *p,
		char *err, size_t errlen);
void sf_classify_free(struct sf_classify *c);

/*
 * Checks that need no DPDK (before EAL starts): both filters compile for
 * their link types. 0, or -1 with a message naming the expression.
 */
int sf_classify_check(const struct sf_classify_params *p, char *err, size_t errlen);

/*
 * The steps over a classified burst (sf_classify_burst), in order:
 * capture filter on the frame (any class), inner filter on the innermost
 * IP packet (a frame without one, a non-flow packet, does not match it;
 * a malformed one stays malformed), duplicate removal, sampling of the
 * flow packets left (SF_PKT_SAMPLED_OUT: count keeps the 1st, N+1st, ...;
 * random one at random in each N consecutive ones; flow the flows whose
 * key hashes below 2^32 / N, sf_classify_flow_sampled). Each gives the
 * packets it takes its class; none is freed or dropped.
 */
void sf_classify_steps(struct sf_classify *c, struct rte_mbuf **m, uint16_t n);

/*
 * Flow sampling's choice: is the flow of key k kept at 1 in rate? A hash
 * of the key alone (another seed than the workers' owner hash), so the
 * same flows on every probe and for any number of workers.
 */
static inline bool
sf_classify_flow_sampled(const struct sf_flow_key *k, uint32_t rate)
{
	uint64_t w[SF_FLOW_KEY_WORDS];
	uint32_t h = 0x2545f491u;
	unsigned int i;

	memcpy(w, k, sizeof(w));
	for (i = 0; i < SF_FLOW_KEY_WORDS; i++)
		h = rte_hash_crc_8byte(w[i], h);
	return h <= UINT32_MAX / rate;
}

/*
 * The worker that owns a classified packet, of n: its flow's owner
 * (sf_flow_key_owner). Packets that are not flows have no flow to keep
 * together and go to worker 0.
 */
static inline unsigned int
sf_pkt_owner(const struct sf_pkt_meta *meta, unsigned int n)
{
	return meta->cls == SF_PKT_FLOW ? sf_flow_key_owner(&meta->info.key, n) : 0;
}

/* Is the packet's underlay flow accounted (tunnel.underlay)? */
static inline bool
sf_pkt_has_underlay(const struct sf_pkt_meta *meta)
{
	return (meta->mark & SF_PKT_MARK_UNDER) && meta->cls <= SF_PKT_MALFORMED;
}

/*
 * Is worker `id` given the packet only for its underlay flow (the
 * dispatcher gave its flow to another worker)? Such a delivery is a copy:
 * received, dropped and conservation count the packet once, where its
 * flow is.
 */
static inline bool
sf_pkt_underlay_only(const struct sf_pkt_meta *meta, unsigned int id)
{
	return (meta->mark & SF_PKT_MARK_UNDER) && meta->owner != SF_PKT_OWNER_ANY &&
		meta->owner != id;
}

/*
 * The software dispatcher's work on a classified burst of n <= SF_BURST
 * packets for n_workers workers: packet times are clamped to *clock, one
 * clock for all workers that never goes back (and is moved to the newest
 * time), and each packet goes to out[owner], in arrival order; cnt[k] is
 * set to the packets for worker k. A packet whose underlay flow is
 * accounted (sf_pkt_has_underlay) goes to that flow's owner too, when it
 * is another worker: the same mbuf, its reference count raised, at most
 * one delivery per worker, so cnt[k] <= n. The rings are the caller's.
 */
void sf_pkt_dispatch(struct rte_mbuf **m, unsigned int n, unsigned int n_workers,
		uint64_t *clock, struct rte_mbuf *out[][SF_BURST], unsigned int cnt[]);

#endif /* SF_CLASSIFY_H */
