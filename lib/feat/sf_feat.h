/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow features (features.enabled, opt-in): packet size (ps) and packet
 * inter-arrival time (piat) min/mean/stddev/max per direction and both
 * ways, under nfstream's column names, and the first N packets' sizes,
 * directions and gaps (SPLT, N <= SF_FEAT_SPLT_MAX).
 *
 * What nfstream computes (nfstream/nfstream at 3ee4638, 2025-11-20:
 * nfstream/engine/lib_engine.c flow_update_*_ps, flow_update_*_piat_ms,
 * flow_init_splt, flow_update_splt, capture_next; nfstream/flow.py
 * NFlow.sync), and what spanflow does:
 *  - Columns: {bidirectional,src2dst,dst2src}_{min,mean,stddev,max}_ps and
 *    ..._piat_ms; src2dst = from the flow's first packet's sender.
 *  - Updates are Welford's: mean += (x - mean) / n; M2 += (x - mean_old) *
 *    (x - mean_new); the stddev is the sample one, sqrt(M2 / (n - 1))
 *    (flow.py: "sample stddev"), 0 with fewer than two values.
 *  - piat: the gap to the previous packet of the same direction (src2dst,
 *    dst2src) or of the flow (bidirectional); a direction's first packet
 *    has none, so n packets give n - 1 gaps. min/mean/stddev/max of a
 *    stream with no values are 0 (the C struct is zeroed at creation), as
 *    are those of an empty direction's sizes.
 *  - Units: nfstream's packet times are integer ms (capture_next:
 *    tv_sec * 1000 + tv_usec / 1000, truncated), so its piat values are
 *    differences of truncated ms, min/max integers. spanflow keeps packet
 *    times in ns: gaps, their min/max and sums are exact integer ns; the
 *    outputs are ms as doubles (ns / 1e6), so they differ from nfstream's
 *    by the truncation (up to 1 ms per gap).
 *  - Sizes: nfstream counts link-layer bytes by default (accounting_mode
 *    0, the frame's wire length); spanflow counts IP-layer bytes as its
 *    records do (IPv4 total length, IPv6 40 + payload length), like
 *    nfstream's accounting_mode=1 for IPv4. For IPv6 nfstream's mode 1
 *    counts the payload length only (packet_get_ipv6_info copies plen into
 *    tot_len), 40 less than spanflow.
 *  - SPLT: splt_direction (0 src2dst, 1 dst2src), splt_ps, splt_piat_ms,
 *    each a list of N values, -1 past the flow's last packet; entry 0 is
 *    the first packet with piat 0 and, in nfstream, always direction 0.
 *    Here entry 0's direction is the record's direction of the first
 *    packet: 1 when that packet was a SYN+ACK (spanflow makes the receiver
 *    the initiator, nfstream the sender). splt_piat_ms is the
 *    bidirectional gap, stored in whole us (truncated from ns, at most
 *    UINT32_MAX us, 71.6 minutes: longer gaps show as that), written as ms
 *    with three decimals; splt_ps is capped at 65535 (jumbograms).
 *  - Times never go back: a packet older than the flow's newest one counts
 *    with gap 0 and does not move the newest time (spanflow's file clock
 *    already does this for the whole input).
 *
 * Exactness: counts, sums, min and max are integers. A mean is the exact
 * sum over the count, rounded once to double (a second rounding for ms).
 * The variance is Welford's M2 in double, with the running means taken
 * from the exact sums; each product is rounded to double before it is
 * added (no fused multiply-add), so tools/featref.py, doing the same
 * operations on the same integers in Python floats, agrees bit for bit.
 *
 * Record semantics: the statistics cover the flow's whole life so far. An
 * active-timeout update record carries them as they stand (they are not
 * reset), with the packet counts they are over (sf_flow_feat.packets),
 * which then exceed the record's own.
 *
 * State: struct sf_feat is fixed-size and pointer-free, followed by the
 * SPLT entries of the configured N (a tail the caller sizes with
 * sf_feat_size()). An all-zero area is an empty flow with SPLT off;
 * sf_feat_init() sets N. The hot path (sf_feat_packet) does no allocation
 * and no call out of this file.
 */
#ifndef SF_FEAT_H
#define SF_FEAT_H

#include <stddef.h>
#include <stdint.h>

#define SF_FEAT_SPLT_MAX 255	/* longest SPLT (configurable 0..255) */

/* Index of a statistic in struct sf_flow_feat: the record's directions, then both. */
enum sf_feat_way {
	SF_FEAT_SRC2DST = 0,	/* initiator -> responder (record direction 0) */
	SF_FEAT_DST2SRC = 1,	/* responder -> initiator (record direction 1) */
	SF_FEAT_BIDIR = 2,	/* the flow's packets in either direction */
	SF_FEAT_WAYS
};

/* One direction's state: sizes and gaps of the packets it sent. */
struct sf_feat_dir {
	uint64_t packets;	/* packets sent this way */
	uint64_t bytes;		/* sum of their sizes (IP-layer octets) */
	uint64_t first_ns;	/* time of the first one */
	uint64_t last_ns;	/* newest time (times never go back) */
	uint64_t piat_min_ns;	/* gaps: packets - 1 of them; sum = last - first */
	uint64_t piat_max_ns;
	double ps_m2;		/* Welford: sum of squared deviations, bytes^2 */
	double piat_m2;		/* ns^2 */
	double ps_mean;		/* the last update's mean: sum / count, rounded once */
	double piat_mean;
	uint32_t ps_min;
	uint32_t ps_max;
};

/*
 * A flow's feature state. Both ways' sizes follow from the two
 * directions' (sum, min, max); their gaps, and the M2s, need their own.
 */
struct sf_feat {
	struct sf_feat_dir dir[2];
	uint64_t first_ns;	/* the flow's first packet; its newest is the later dir's */
	uint64_t piat_min_ns;	/* between consecutive packets of the flow */
	uint64_t piat_max_ns;
	double ps_m2;		/* both ways */
	double piat_m2;
	double ps_mean;
	double piat_mean;
	uint8_t splt_n;		/* SPLT entries kept (configured N; 0: off) */
	uint8_t splt_len;	/* entries filled */
	uint8_t pad[6];
	/*
	 * SPLT tail of splt_n entries, laid out as sf_feat_size() says:
	 * uint32_t gap_us[n], uint16_t ps[n], uint8_t dir_bits[(n + 7) / 8].
	 */
	uint32_t splt[];
};

/* One SPLT entry, as the accessor returns it. */
struct sf_feat_splt_entry {
	uint32_t gap_us;	/* since the flow's previous packet; 0 for the first */
	uint16_t ps;		/* IP-layer octets, at most 65535 */
	uint8_t dir;		/* 0 src2dst, 1 dst2src */
	uint8_t pad;
};

/*
 * The record's part: the 24 statistics and the counts they are over,
 * indexed by enum sf_feat_way. packets[SF_FEAT_BIDIR] 0 means the flow
 * had no feature state (features off, or no state left for it). The gap
 * statistics are over packets - 1 gaps (none for 0 or 1 packets).
 */
struct sf_flow_feat {
	uint64_t packets[SF_FEAT_WAYS];
	uint32_t ps_min[SF_FEAT_WAYS];		/* IP-layer octets */
	uint32_t ps_max[SF_FEAT_WAYS];
	double ps_mean[SF_FEAT_WAYS];
	double ps_stddev[SF_FEAT_WAYS];		/* sample (n - 1) */
	double piat_min_ms[SF_FEAT_WAYS];
	double piat_mean_ms[SF_FEAT_WAYS];
	double piat_stddev_ms[SF_FEAT_WAYS];	/* sample (gaps - 1) */
	double piat_max_ms[SF_FEAT_WAYS];
};

/* Bytes of a flow's state with SPLT of n entries (n <= SF_FEAT_SPLT_MAX), a multiple of 8. */
size_t sf_feat_size(unsigned int splt_n);

/*
 * Make f (sf_feat_size(splt_n) bytes) an empty flow keeping splt_n SPLT
 * entries. Returns 0, or -EINVAL when splt_n > SF_FEAT_SPLT_MAX (f
 * untouched).
 */
int sf_feat_init(struct sf_feat *f, unsigned int splt_n);

/*
 * Count a packet of the flow: dir 0 initiator -> responder, 1 reverse;
 * ts_ns its time; ip_len its IP-layer octets.
 */
void sf_feat_packet(struct sf_feat *f, unsigned int dir, uint64_t ts_ns, uint32_t ip_len);

/* The statistics so far (all 0 for a flow without packets). */
void sf_feat_result(const struct sf_feat *f, struct sf_flow_feat *out);

/* SPLT entries filled so far (at most f->splt_n). */
static inline unsigned int
sf_feat_splt_len(const struct sf_feat *f)
{
	return f->splt_len;
}

/*
 * Copy SPLT entries [from, from + cap) that are filled into out; returns
 * how many it copied.
 */
unsigned int sf_feat_splt(const struct sf_feat *f, unsigned int from,
		struct sf_feat_splt_entry *out, unsigned int cap);

#endif /* SF_FEAT_H */
