/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_mbuf.h>

#include "sf_classify.h"

/* Headers are parsed from at most this many contiguous bytes. */
#define SF_PKT_HDR_MAX 1024

/* A frame in several segments: parse a contiguous copy of its head. */
static __rte_noinline enum sf_pkt_class
parse_segmented(const struct rte_mbuf *m, enum sf_linktype lt, uint32_t *len,
		struct sf_pkt_info *info)
{
	uint8_t buf[SF_PKT_HDR_MAX];
	const uint8_t *p;

	*len = RTE_MIN(rte_pktmbuf_pkt_len(m), (uint32_t)SF_PKT_HDR_MAX);
	p = rte_pktmbuf_read(m, 0, *len, buf);
	return sf_pkt_parse(p, *len, lt, info);
}

static inline void
classify_parse(struct rte_mbuf *m, enum sf_linktype lt)
{
	struct sf_pkt_meta *meta = sf_pkt_meta(m);
	uint32_t len = rte_pktmbuf_data_len(m);

	if (likely(m->nb_segs == 1))
		meta->cls = sf_pkt_parse(rte_pktmbuf_mtod(m, const uint8_t *), len, lt,
				&meta->info);
	else
		meta->cls = parse_segmented(m, lt, &len, &meta->info);
	/*
	 * When the IP header gives no length (TSO capture) the parser counts
	 * the captured IP bytes; count those the reader did not keep too.
	 */
	if (meta->cls == SF_PKT_FLOW && unlikely(meta->info.flags & SF_PKT_F_LEN_CAPTURED) &&
			meta->wire_len > len)
		meta->info.ip_len += meta->wire_len - len;
}

void
sf_classify_burst(struct rte_mbuf **m, uint16_t n, enum sf_linktype lt)
{
	uint16_t i;

	for (i = 0; i < n; i++)
		classify_parse(m[i], lt);
	/*
	 * Steps over the parsed burst go here, each setting the class of the
	 * packets it takes (filtered, duplicate, sampled out): the capture
	 * filter on the frames, the inner filter on the innermost IP packets,
	 * duplicate removal, sampling.
	 */
}

void
sf_pkt_dispatch(struct rte_mbuf **m, unsigned int n, unsigned int n_workers,
		uint64_t *clock, struct rte_mbuf *out[][SF_BURST], unsigned int cnt[])
{
	uint64_t now = *clock;
	unsigned int i, k;

	for (k = 0; k < n_workers; k++)
		cnt[k] = 0;
	for (i = 0; i < n; i++) {
		struct sf_pkt_meta *meta = sf_pkt_meta(m[i]);

		/* One clock for all workers: capture time, never backwards. */
		if (meta->ts_ns < now)
			meta->ts_ns = now;
		now = meta->ts_ns;
		k = sf_pkt_owner(meta, n_workers);
		out[k][cnt[k]++] = m[i];
	}
	*clock = now;
}
