/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The record fields of flow features, part of SF_FLOW_FIELDS
 * (lib/export/sf_fields.h). How they are written:
 *  - struct sf_flow_record gains `struct sf_flow_feat feat;` (sf_feat.h,
 *    which depends on nothing of spanflow's), filled by the cold area's
 *    record() hook with sf_feat_result(); zero when the flow had no
 *    feature state.
 *  - A new kind DBL, a double: JSON/CSV the shortest of %.15g, %.16g and
 *    %.17g that reads back to the same double (at most 24 characters:
 *    SF_FMT_MAX_DBL), so a reader gets the exact value; IPFIX float64
 *    (8 bytes, IANA abstract type 10), its RFC 5610 type row saying so.
 *  - A new flag SF_F_FEAT (16): JSON leaves the key out and CSV the cell
 *    empty when the record has no features (feat.packets[SF_FEAT_BIDIR]
 *    0), IPFIX sends the fields only in feature templates (275..290,
 *    sf_export.h), as SF_F_TCP does for TCP health; a record without
 *    features keeps its template. So OPT's absent value (0) never goes
 *    out: the min/max sizes are unsigned32, the rest float64.
 * Names and order are nfstream's (NFlow's slots in nfstream/flow.py):
 * bidirectional, src2dst, dst2src; sizes, then gaps. src2dst is the
 * record's direction 0 (initiator -> responder), so dst2src rows are the
 * reverse elements of src2dst ones (SF_F_REV). IPFIX: the IANA elements
 * minimumIpTotalLength (25) and maximumIpTotalLength (26) mean src2dst's
 * min/max ps exactly (IP header and payload octets); the rest are
 * spanflow's enterprise elements 22..35 below (reserved for them; the
 * application metadata's are 40..52), described in-band by RFC 5610 type
 * records (SF_IPFIX_PEN_FEAT_ELEMENTS in sf_export_ipfix.c). SPLT is not
 * a record field: it travels separately (nfstream's CSV writes each list
 * as a quoted Python list, "[0, 1, -1]"), and not in IPFIX (ie 0): a list
 * there needs RFC 6313's basicList encoding, which spanflow does not do yet.
 */
#ifndef SF_FEAT_FIELDS_H
#define SF_FEAT_FIELDS_H

#include "sf_feat.h"
#include "sf_flow.h"

#define SF_F_FEAT 16

#define SF_IE_MINIMUM_IP_TOTAL_LENGTH 25
#define SF_IE_MAXIMUM_IP_TOTAL_LENGTH 26

/* spanflow's enterprise elements (SF_F_PEN), after SF_IE_SF_HISTORY (21) */
#define SF_IE_SF_BI_MIN_PS 22
#define SF_IE_SF_BI_MEAN_PS 23
#define SF_IE_SF_BI_STDDEV_PS 24
#define SF_IE_SF_BI_MAX_PS 25
#define SF_IE_SF_BI_MIN_PIAT 26
#define SF_IE_SF_BI_MEAN_PIAT 27
#define SF_IE_SF_BI_STDDEV_PIAT 28
#define SF_IE_SF_BI_MAX_PIAT 29
#define SF_IE_SF_MEAN_PS 30
#define SF_IE_SF_STDDEV_PS 31
#define SF_IE_SF_MIN_PIAT 32
#define SF_IE_SF_MEAN_PIAT 33
#define SF_IE_SF_STDDEV_PIAT 34
#define SF_IE_SF_MAX_PIAT 35

/* A feature row: one element for both address families, in the feature templates. */
#define SF_X_FEAT(X, name, kind, expr, ie, flags) \
	X(name, kind, expr, ie, ie, SF_F_FEAT | (flags))

/* A feature of the record, or -1 (a double: NAN) when the record has none. */
static inline int64_t
sf_flow_feat_u(const struct sf_flow_record *r, uint32_t v)
{
	return r->feat.packets[SF_FEAT_BIDIR] != 0 ? (int64_t)v : -1;
}

static inline double
sf_flow_feat_d(const struct sf_flow_record *r, double v)
{
	return r->feat.packets[SF_FEAT_BIDIR] != 0 ? v : __builtin_nan("");
}

#define SF_FEAT_FIELDS(X) \
	SF_X_FEAT(X, bidirectional_min_ps, OPT, sf_flow_feat_u(r, r->feat.ps_min[SF_FEAT_BIDIR]), \
		SF_IE_SF_BI_MIN_PS, SF_F_PEN) \
	SF_X_FEAT(X, bidirectional_mean_ps, DBL, sf_flow_feat_d(r, r->feat.ps_mean[SF_FEAT_BIDIR]), \
		SF_IE_SF_BI_MEAN_PS, SF_F_PEN) \
	SF_X_FEAT(X, bidirectional_stddev_ps, DBL, sf_flow_feat_d(r, r->feat.ps_stddev[SF_FEAT_BIDIR]), \
		SF_IE_SF_BI_STDDEV_PS, SF_F_PEN) \
	SF_X_FEAT(X, bidirectional_max_ps, OPT, sf_flow_feat_u(r, r->feat.ps_max[SF_FEAT_BIDIR]), \
		SF_IE_SF_BI_MAX_PS, SF_F_PEN) \
	SF_X_FEAT(X, src2dst_min_ps, OPT, sf_flow_feat_u(r, r->feat.ps_min[SF_FEAT_SRC2DST]), \
		SF_IE_MINIMUM_IP_TOTAL_LENGTH, 0) \
	SF_X_FEAT(X, src2dst_mean_ps, DBL, sf_flow_feat_d(r, r->feat.ps_mean[SF_FEAT_SRC2DST]), \
		SF_IE_SF_MEAN_PS, SF_F_PEN) \
	SF_X_FEAT(X, src2dst_stddev_ps, DBL, sf_flow_feat_d(r, r->feat.ps_stddev[SF_FEAT_SRC2DST]), \
		SF_IE_SF_STDDEV_PS, SF_F_PEN) \
	SF_X_FEAT(X, src2dst_max_ps, OPT, sf_flow_feat_u(r, r->feat.ps_max[SF_FEAT_SRC2DST]), \
		SF_IE_MAXIMUM_IP_TOTAL_LENGTH, 0) \
	SF_X_FEAT(X, dst2src_min_ps, OPT, sf_flow_feat_u(r, r->feat.ps_min[SF_FEAT_DST2SRC]), \
		SF_IE_MINIMUM_IP_TOTAL_LENGTH, SF_F_REV) \
	SF_X_FEAT(X, dst2src_mean_ps, DBL, sf_flow_feat_d(r, r->feat.ps_mean[SF_FEAT_DST2SRC]), \
		SF_IE_SF_MEAN_PS, SF_F_PEN | SF_F_REV) \
	SF_X_FEAT(X, dst2src_stddev_ps, DBL, sf_flow_feat_d(r, r->feat.ps_stddev[SF_FEAT_DST2SRC]), \
		SF_IE_SF_STDDEV_PS, SF_F_PEN | SF_F_REV) \
	SF_X_FEAT(X, dst2src_max_ps, OPT, sf_flow_feat_u(r, r->feat.ps_max[SF_FEAT_DST2SRC]), \
		SF_IE_MAXIMUM_IP_TOTAL_LENGTH, SF_F_REV) \
	SF_X_FEAT(X, bidirectional_min_piat_ms, DBL, sf_flow_feat_d(r, r->feat.piat_min_ms[SF_FEAT_BIDIR]), \
		SF_IE_SF_BI_MIN_PIAT, SF_F_PEN) \
	SF_X_FEAT(X, bidirectional_mean_piat_ms, DBL, sf_flow_feat_d(r, r->feat.piat_mean_ms[SF_FEAT_BIDIR]), \
		SF_IE_SF_BI_MEAN_PIAT, SF_F_PEN) \
	SF_X_FEAT(X, bidirectional_stddev_piat_ms, DBL, sf_flow_feat_d(r, r->feat.piat_stddev_ms[SF_FEAT_BIDIR]), \
		SF_IE_SF_BI_STDDEV_PIAT, SF_F_PEN) \
	SF_X_FEAT(X, bidirectional_max_piat_ms, DBL, sf_flow_feat_d(r, r->feat.piat_max_ms[SF_FEAT_BIDIR]), \
		SF_IE_SF_BI_MAX_PIAT, SF_F_PEN) \
	SF_X_FEAT(X, src2dst_min_piat_ms, DBL, sf_flow_feat_d(r, r->feat.piat_min_ms[SF_FEAT_SRC2DST]), \
		SF_IE_SF_MIN_PIAT, SF_F_PEN) \
	SF_X_FEAT(X, src2dst_mean_piat_ms, DBL, sf_flow_feat_d(r, r->feat.piat_mean_ms[SF_FEAT_SRC2DST]), \
		SF_IE_SF_MEAN_PIAT, SF_F_PEN) \
	SF_X_FEAT(X, src2dst_stddev_piat_ms, DBL, sf_flow_feat_d(r, r->feat.piat_stddev_ms[SF_FEAT_SRC2DST]), \
		SF_IE_SF_STDDEV_PIAT, SF_F_PEN) \
	SF_X_FEAT(X, src2dst_max_piat_ms, DBL, sf_flow_feat_d(r, r->feat.piat_max_ms[SF_FEAT_SRC2DST]), \
		SF_IE_SF_MAX_PIAT, SF_F_PEN) \
	SF_X_FEAT(X, dst2src_min_piat_ms, DBL, sf_flow_feat_d(r, r->feat.piat_min_ms[SF_FEAT_DST2SRC]), \
		SF_IE_SF_MIN_PIAT, SF_F_PEN | SF_F_REV) \
	SF_X_FEAT(X, dst2src_mean_piat_ms, DBL, sf_flow_feat_d(r, r->feat.piat_mean_ms[SF_FEAT_DST2SRC]), \
		SF_IE_SF_MEAN_PIAT, SF_F_PEN | SF_F_REV) \
	SF_X_FEAT(X, dst2src_stddev_piat_ms, DBL, sf_flow_feat_d(r, r->feat.piat_stddev_ms[SF_FEAT_DST2SRC]), \
		SF_IE_SF_STDDEV_PIAT, SF_F_PEN | SF_F_REV) \
	SF_X_FEAT(X, dst2src_max_piat_ms, DBL, sf_flow_feat_d(r, r->feat.piat_max_ms[SF_FEAT_DST2SRC]), \
		SF_IE_SF_MAX_PIAT, SF_F_PEN | SF_F_REV) \
	X(splt_direction, SPLTD, r->splt, 0, 0, SF_F_FEAT) \
	X(splt_ps, SPLTP, r->splt, 0, 0, SF_F_FEAT) \
	X(splt_piat_ms, SPLTG, r->splt, 0, 0, SF_F_FEAT)

#endif /* SF_FEAT_FIELDS_H */
