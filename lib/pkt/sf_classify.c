/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "sf_classify.h"
#include "sf_dedup.h"
#include "sf_filter.h"

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

/* tunnel.underlay: the outer flow of a tunnelled packet, parsed again. */
static __rte_noinline void
classify_underlay(struct rte_mbuf *m, enum sf_linktype lt, struct sf_pkt_meta *meta)
{
	uint8_t buf[SF_PKT_HDR_MAX];
	uint32_t len = RTE_MIN(rte_pktmbuf_pkt_len(m), (uint32_t)SF_PKT_HDR_MAX);
	const uint8_t *p = rte_pktmbuf_read(m, 0, len, buf);

	if (!sf_pkt_parse_underlay(p, len, lt, &meta->under))
		return;
	if ((meta->under.flags & SF_PKT_F_LEN_CAPTURED) && meta->wire_len > len)
		meta->under.ip_len += meta->wire_len - len;
	meta->mark |= SF_PKT_MARK_UNDER;
	meta->owner = SF_PKT_OWNER_ANY;
	meta->under_owner = SF_PKT_OWNER_ANY;
}

static inline void
classify_parse(struct rte_mbuf *m, enum sf_linktype lt)
{
	struct sf_pkt_meta *meta = sf_pkt_meta(m);
	uint32_t len = rte_pktmbuf_data_len(m);

	meta->mark = 0;
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
	if (unlikely(meta->info.flags & SF_PKT_F_ENCAP) && meta->info.tun.depth != 0 &&
			sf_pkt_underlay_enabled())
		classify_underlay(m, lt, meta);
}

void
sf_classify_burst(struct rte_mbuf **m, uint16_t n, enum sf_linktype lt)
{
	uint16_t i;

	for (i = 0; i < n; i++)
		classify_parse(m[i], lt);
	/*
	 * The steps over the parsed burst (capture filter, inner filter,
	 * duplicate removal) keep per-lcore state: sf_classify_steps(), run by
	 * the reader on what this returns.
	 */
}

struct sf_classify {
	struct sf_filter *filter;
	struct sf_filter *inner;
	struct sf_dedup *dedup;		/* removing copies */
	struct sf_dedup *estimate;	/* dedup off: counting them on a sample */
	bool estimate_only;		/* no filter, no removal: the estimate alone */
	uint8_t sampling;		/* enum sf_sampling */
	uint32_t rate;			/* sampling: 1 in rate */
	uint32_t smp_pos;		/* count, random: position in the current N */
	uint32_t smp_pick;		/* random: the position kept */
	uint64_t smp_rng;		/* random: xorshift64 state */
	uint32_t est_run;		/* packets left in the estimate's run */
	uint64_t est_skip;		/* packets to pass before the next run */
};

int
sf_classify_check(const struct sf_classify_params *p, char *err, size_t errlen)
{
	if (p->filter != NULL && p->filter[0] != '\0' &&
			sf_filter_check(p->filter, p->linktype, err, errlen) != 0)
		return -1;
	if (p->inner_filter != NULL && p->inner_filter[0] != '\0' &&
			sf_filter_check(p->inner_filter, SF_LINK_RAW, err, errlen) != 0) {
		/* Name the setting: the same text may be fine as an outer filter. */
		size_t n = strlen(err);

		snprintf(err + n, errlen - n, " (inner filter: runs on the innermost IP "
				"packet)");
		return -1;
	}
	return 0;
}

struct sf_classify *
sf_classify_create(const struct sf_classify_params *p, char *err, size_t errlen)
{
	struct sf_classify *c = calloc(1, sizeof(*c));
	struct sf_dedup_params dp;

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (p->filter != NULL && p->filter[0] != '\0') {
		struct sf_filter_params fp = { .expr = p->filter, .linktype = p->linktype };

		c->filter = sf_filter_create(&fp, err, errlen);
		if (c->filter == NULL)
			goto fail;
	}
	if (p->inner_filter != NULL && p->inner_filter[0] != '\0') {
		struct sf_filter_params fp = { .expr = p->inner_filter, .linktype = SF_LINK_RAW };

		c->inner = sf_filter_create(&fp, err, errlen);
		if (c->inner == NULL)
			goto fail;
	}
	memset(&dp, 0, sizeof(dp));
	dp.window_ns = p->dedup_window_ns;
	dp.socket_id = p->socket_id;
	dp.entries = p->dedup ? p->dedup_entries :
		RTE_MAX(p->dedup_entries / 16, 64u);	/* a run at a time */
	if (p->dedup)
		c->dedup = sf_dedup_create(&dp);
	else
		c->estimate = sf_dedup_create(&dp);
	if (c->dedup == NULL && c->estimate == NULL) {
		snprintf(err, errlen, "cannot allocate the duplicate table (%u entries): %s",
				dp.entries, rte_strerror(rte_errno));
		goto fail;
	}
	if (p->sampling != SF_SAMPLING_NONE && p->sampling < SF_SAMPLING_MAX &&
			p->sampling_rate > 1) {
		c->sampling = p->sampling;
		c->rate = p->sampling_rate;
		c->smp_rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)p->queue + 1) * 0xbf58476d1ce4e5b9ull;
	}
	c->estimate_only = c->filter == NULL && c->inner == NULL && c->dedup == NULL &&
		c->sampling == SF_SAMPLING_NONE;
	c->est_run = SF_DEDUP_RUN;	/* from the first packet: a short capture is seen whole */
	return c;
fail:
	sf_classify_free(c);
	return NULL;
}

void
sf_classify_free(struct sf_classify *c)
{
	if (c == NULL)
		return;
	sf_filter_free(c->filter);
	sf_filter_free(c->inner);
	sf_dedup_free(c->dedup);
	sf_dedup_free(c->estimate);
	free(c);
}

/*
 * Duplicate removal off: the estimate. Whole bursts are examined while a
 * run lasts (SF_DEDUP_RUN packets), then passed over for SF_DEDUP_SCALE - 1
 * runs' worth of packets: one packet in SF_DEDUP_SCALE costs a signature
 * and a lookup, the others nothing. A copy and its original are
 * microseconds apart, so a run holds both but at its edges. (The schedule
 * counts packets, not time: the cost does not depend on the link's rate.)
 */
static void
estimate(struct sf_classify *c, struct rte_mbuf **m, uint16_t n)
{
	uint16_t i;

	if (c->est_run == 0) {
		if (c->est_skip > n) {
			c->est_skip -= n;
			return;
		}
		c->est_run = SF_DEDUP_RUN;
	}
	for (i = 0; i < n; i++) {
		struct sf_pkt_meta *meta = sf_pkt_meta(m[i]);

		if (meta->cls != SF_PKT_FLOW)
			continue;
		meta->mark |= SF_PKT_MARK_SAMPLED;
		if (sf_dedup_seen(c->estimate, sf_dedup_signature(m[i], &meta->info),
				meta->ts_ns))
			meta->mark |= SF_PKT_MARK_COPY;
	}
	if (c->est_run > n) {
		c->est_run -= n;
	} else {
		c->est_run = 0;
		c->est_skip = (uint64_t)SF_DEDUP_RUN * (SF_DEDUP_SCALE - 1);
	}
}

/* Sampling: is this flow packet kept? */
static bool
sample_keep(struct sf_classify *c, const struct sf_pkt_meta *meta)
{
	bool keep;

	switch (c->sampling) {
	case SF_SAMPLING_COUNT:
		keep = c->smp_pos == 0;
		break;
	case SF_SAMPLING_RANDOM:
		if (c->smp_pos == 0) {
			c->smp_rng ^= c->smp_rng << 13;
			c->smp_rng ^= c->smp_rng >> 7;
			c->smp_rng ^= c->smp_rng << 17;
			c->smp_pick = (uint32_t)(((c->smp_rng >> 32) * c->rate) >> 32);
		}
		keep = c->smp_pos == c->smp_pick;
		break;
	default:
		return sf_classify_flow_sampled(&meta->info.key, c->rate);
	}
	if (++c->smp_pos == c->rate)
		c->smp_pos = 0;
	return keep;
}

void
sf_classify_steps(struct sf_classify *c, struct rte_mbuf **m, uint16_t n)
{
	uint16_t i;

	if (likely(c->estimate_only)) {
		estimate(c, m, n);
		return;
	}
	for (i = 0; i < n; i++) {
		struct sf_pkt_meta *meta = sf_pkt_meta(m[i]);

		if (c->filter != NULL && !sf_filter_match(c->filter, m[i])) {
			meta->cls = SF_PKT_FILTERED;
			continue;
		}
		if (meta->cls != SF_PKT_FLOW) {
			if (c->inner != NULL && meta->cls == SF_PKT_NONFLOW)
				meta->cls = SF_PKT_FILTERED;
			continue;
		}
		if (c->inner != NULL && !sf_filter_match_at(c->inner, m[i], meta->info.l3_off)) {
			meta->cls = SF_PKT_FILTERED;
			continue;
		}
		if (c->dedup != NULL &&
				sf_dedup_seen(c->dedup, sf_dedup_signature(m[i], &meta->info),
					meta->ts_ns)) {
			meta->cls = SF_PKT_DUPLICATE;
			continue;
		}
		if (c->sampling != SF_SAMPLING_NONE && !sample_keep(c, meta))
			meta->cls = SF_PKT_SAMPLED_OUT;
	}
	if (c->dedup == NULL)
		estimate(c, m, n);	/* on what the filters kept */
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
		if (unlikely(sf_pkt_has_underlay(meta))) {
			unsigned int u = sf_flow_key_owner(&meta->under.key, n_workers);

			meta->owner = (uint8_t)k;
			meta->under_owner = (uint8_t)u;
			if (u != k) {
				rte_mbuf_refcnt_update(m[i], 1);
				out[u][cnt[u]++] = m[i];
			}
		}
	}
	*clock = now;
}
