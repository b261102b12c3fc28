/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPFIX exporter (RFC 7011, biflows per RFC 5103). Templates and records
 * are generated from the field list (sf_fields.h). Records are packed into
 * one message buffer until the next one would pass the MTU, then the
 * message goes to every destination through a non-blocking connected UDP
 * socket; a refused send is counted and forgotten, so the collector loop
 * never waits on a receiver. A record with application metadata is the
 * only one whose length has no useful bound below the MTU (texts of up to
 * 255 bytes, several of them): one that an empty message of export.mtu
 * cannot hold has its longest texts cut to fit (counted), so messages
 * never pass the MTU the user set (IP fragments of UDP are lost whole and
 * often filtered; lib/app cuts texts at its own bounds already). Flow
 * features are fixed-length (unsigned32 sizes, float64 statistics): a
 * feature template whose template or record cannot fit a message is left
 * out, its records sent in the template without features (counted).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sf_export.h"
#include "sf_fields.h"
#include "sf_ipfix_dest.h"

#define IPFIX_VERSION 10
#define IPFIX_HDR_LEN 16
#define IPFIX_MSG_MAX 65535u	/* a message's 16-bit length */
#define IPFIX_SET_HDR_LEN 4
#define SET_TEMPLATE 2
#define SET_OPTIONS_TEMPLATE 3
#define ENTERPRISE_BIT 0x8000u

/* Exporter statistics (RFC 7011 section 4): scope, then counters. */
#define IE_OBSERVATION_DOMAIN_ID 149
#define IE_EXPORTED_MESSAGE_TOTAL_COUNT 41
#define IE_EXPORTED_FLOW_RECORD_TOTAL_COUNT 42
#define IE_PACKET_TOTAL_COUNT 86
#define IE_IGNORED_PACKET_TOTAL_COUNT 164
#define IE_NOT_SENT_FLOW_TOTAL_COUNT 166
#define STATS_COUNTERS 5

/* PSAMP (RFC 5477): the selector of sampled records. */
#define IE_SELECTOR_ID 302
#define IE_SELECTOR_ALGORITHM 304
#define IE_SAMPLING_PACKET_INTERVAL 305
#define IE_SAMPLING_PACKET_SPACE 306
#define IE_SAMPLING_SIZE 309
#define IE_SAMPLING_POPULATION 310
#define IE_HASH_OUTPUT_RANGE_MIN 329
#define IE_HASH_OUTPUT_RANGE_MAX 330
#define IE_HASH_SELECTED_RANGE_MIN 331
#define IE_HASH_SELECTED_RANGE_MAX 332
/* RFC 5610: information element type information */
#define IE_INFORMATION_ELEMENT_ID 303
#define IE_INFORMATION_ELEMENT_DATA_TYPE 339
#define IE_INFORMATION_ELEMENT_DESCRIPTION 340
#define IE_INFORMATION_ELEMENT_NAME 341
#define IE_INFORMATION_ELEMENT_RANGE_BEGIN 342
#define IE_INFORMATION_ELEMENT_RANGE_END 343
#define IE_INFORMATION_ELEMENT_SEMANTICS 344
#define IE_INFORMATION_ELEMENT_UNITS 345
#define IE_PRIVATE_ENTERPRISE_NUMBER 346
#define VARLEN 0xffff
/* Data types and semantics (IANA registries) */
#define DT_UNSIGNED8 1
#define DT_UNSIGNED16 2
#define DT_UNSIGNED32 3
#define DT_UNSIGNED64 4
#define DT_FLOAT64 10
#define DT_STRING 13
#define DT_IPV6_ADDRESS 19
#define SEM_DEFAULT 0
#define SEM_QUANTITY 1
#define SEM_DELTA_COUNTER 3
#define SEM_IDENTIFIER 4
#define SEM_FLAGS 5
#define UNITS_NONE 0
#define UNITS_OCTETS 2
#define UNITS_PACKETS 3
#define UNITS_MILLISECONDS 6
#define UNITS_NANOSECONDS 8

/*
 * spanflow's enterprise elements, described in-band (RFC 5610) so that a
 * collector that reads type records (libfixbuf: ipfixDump --rfc5610) names
 * and decodes them: X(id, name, data type, semantics, units, reversible).
 * In biflow mode a reversible element's reverse (id | SF_IE_SF_REVERSE)
 * gets a type record of its own, named "reverse" + Name. Four groups, each
 * sent before the first template that uses it in a template cycle: the
 * tunnel facts, TCP health, the application metadata and the flow features.
 */
#define SF_IPFIX_PEN_TUN_ELEMENTS(X) \
	X(SF_IE_SF_ENCAPS, "spanflowEncapsulations", DT_UNSIGNED32, SEM_FLAGS, UNITS_NONE, 0) \
	X(SF_IE_SF_OUTER_SRC, "spanflowOuterSourceAddress", DT_IPV6_ADDRESS, SEM_DEFAULT, \
		UNITS_NONE, 0) \
	X(SF_IE_SF_OUTER_DST, "spanflowOuterDestinationAddress", DT_IPV6_ADDRESS, SEM_DEFAULT, \
		UNITS_NONE, 0) \
	X(SF_IE_SF_ERSPAN_SESSION, "spanflowErspanSessionId", DT_UNSIGNED32, SEM_IDENTIFIER, \
		UNITS_NONE, 0) \
	X(SF_IE_SF_VNI, "spanflowVni", DT_UNSIGNED32, SEM_IDENTIFIER, UNITS_NONE, 0) \
	X(SF_IE_SF_GRE_KEY, "spanflowGreKey", DT_UNSIGNED32, SEM_IDENTIFIER, UNITS_NONE, 0) \
	X(SF_IE_SF_TEID, "spanflowGtpTeid", DT_UNSIGNED32, SEM_IDENTIFIER, UNITS_NONE, 0) \
	X(SF_IE_SF_CONTEXT, "spanflowTunnelContext", DT_UNSIGNED8, SEM_IDENTIFIER, UNITS_NONE, 0)
#define SF_IPFIX_PEN_TCP_ELEMENTS(X) \
	X(SF_IE_SF_RTT_SERVER, "spanflowRttServerNanoseconds", DT_UNSIGNED64, SEM_QUANTITY, \
		UNITS_NANOSECONDS, 0) \
	X(SF_IE_SF_RTT_CLIENT, "spanflowRttClientNanoseconds", DT_UNSIGNED64, SEM_QUANTITY, \
		UNITS_NANOSECONDS, 0) \
	X(SF_IE_SF_RETRANS_PACKETS, "spanflowRetransPacketDeltaCount", DT_UNSIGNED32, \
		SEM_DELTA_COUNTER, UNITS_PACKETS, 1) \
	X(SF_IE_SF_RETRANS_OCTETS, "spanflowRetransOctetDeltaCount", DT_UNSIGNED64, \
		SEM_DELTA_COUNTER, UNITS_OCTETS, 1) \
	X(SF_IE_SF_OOO_PACKETS, "spanflowOutOfOrderPacketDeltaCount", DT_UNSIGNED32, \
		SEM_DELTA_COUNTER, UNITS_PACKETS, 1) \
	X(SF_IE_SF_DUP_ACKS, "spanflowDupAckDeltaCount", DT_UNSIGNED32, SEM_DELTA_COUNTER, \
		UNITS_PACKETS, 1) \
	X(SF_IE_SF_ZERO_WINDOWS, "spanflowZeroWindowDeltaCount", DT_UNSIGNED32, \
		SEM_DELTA_COUNTER, UNITS_PACKETS, 1) \
	X(SF_IE_SF_TCP_INIT_FLAGS, "spanflowInitialTcpFlags", DT_UNSIGNED8, SEM_FLAGS, \
		UNITS_NONE, 1) \
	X(SF_IE_SF_SYN_MSS, "spanflowSynMss", DT_UNSIGNED16, SEM_QUANTITY, UNITS_OCTETS, 1) \
	X(SF_IE_SF_SYN_SACK, "spanflowSynSackPermitted", DT_UNSIGNED8, SEM_DEFAULT, UNITS_NONE, \
		1) \
	X(SF_IE_SF_SYN_TS, "spanflowSynTimestamps", DT_UNSIGNED8, SEM_DEFAULT, UNITS_NONE, 1) \
	X(SF_IE_SF_CONN_STATE, "spanflowZeekConnState", DT_UNSIGNED8, SEM_IDENTIFIER, \
		UNITS_NONE, 0) \
	X(SF_IE_SF_HISTORY, "spanflowZeekHistory", DT_STRING, SEM_DEFAULT, UNITS_NONE, 0)
#define SF_IPFIX_PEN_APP_ELEMENTS(X) \
	X(SF_IE_SF_APP_KIND, "spanflowAppKind", DT_UNSIGNED8, SEM_IDENTIFIER, UNITS_NONE, 0) \
	X(SF_IE_SF_TLS_SERVER_NAME, "spanflowTlsServerName", DT_STRING, SEM_DEFAULT, \
		UNITS_NONE, 0) \
	X(SF_IE_SF_TLS_ALPN, "spanflowTlsAlpn", DT_STRING, SEM_DEFAULT, UNITS_NONE, 0) \
	X(SF_IE_SF_TLS_VERSION, "spanflowTlsVersion", DT_UNSIGNED16, SEM_IDENTIFIER, \
		UNITS_NONE, 0) \
	X(SF_IE_SF_TLS_JA3, "spanflowTlsJa3", DT_STRING, SEM_DEFAULT, UNITS_NONE, 0) \
	X(SF_IE_SF_TLS_JA4, "spanflowTlsJa4", DT_STRING, SEM_DEFAULT, UNITS_NONE, 0) \
	X(SF_IE_SF_QUIC_VERSION, "spanflowQuicVersion", DT_UNSIGNED32, SEM_IDENTIFIER, \
		UNITS_NONE, 0) \
	X(SF_IE_SF_DNS_QUERY_NAME, "spanflowDnsQueryName", DT_STRING, SEM_DEFAULT, \
		UNITS_NONE, 0) \
	X(SF_IE_SF_DNS_QUERY_TYPE, "spanflowDnsQueryType", DT_UNSIGNED16, SEM_IDENTIFIER, \
		UNITS_NONE, 0) \
	X(SF_IE_SF_DNS_RESPONSE_CODE, "spanflowDnsResponseCode", DT_UNSIGNED8, \
		SEM_IDENTIFIER, UNITS_NONE, 0) \
	X(SF_IE_SF_HTTP_HOST, "spanflowHttpHost", DT_STRING, SEM_DEFAULT, UNITS_NONE, 0) \
	X(SF_IE_SF_HTTP_METHOD, "spanflowHttpMethod", DT_STRING, SEM_DEFAULT, UNITS_NONE, 0) \
	X(SF_IE_SF_HTTP_USER_AGENT, "spanflowHttpUserAgent", DT_STRING, SEM_DEFAULT, \
		UNITS_NONE, 0)
/*
 * Flow features, named after nfstream's columns: sizes (IP-layer octets)
 * and gaps (ms) of both ways, then of src2dst, whose reverse elements are
 * dst2src's; src2dst's min/max size are IANA's minimumIpTotalLength and
 * maximumIpTotalLength (25, 26) and have no type record here.
 */
#define SF_IPFIX_PEN_FEAT_ELEMENTS(X) \
	X(SF_IE_SF_BI_MIN_PS, "spanflowBidirectionalMinPs", DT_UNSIGNED32, SEM_QUANTITY, \
		UNITS_OCTETS, 0) \
	X(SF_IE_SF_BI_MEAN_PS, "spanflowBidirectionalMeanPs", DT_FLOAT64, SEM_QUANTITY, \
		UNITS_OCTETS, 0) \
	X(SF_IE_SF_BI_STDDEV_PS, "spanflowBidirectionalStddevPs", DT_FLOAT64, SEM_QUANTITY, \
		UNITS_OCTETS, 0) \
	X(SF_IE_SF_BI_MAX_PS, "spanflowBidirectionalMaxPs", DT_UNSIGNED32, SEM_QUANTITY, \
		UNITS_OCTETS, 0) \
	X(SF_IE_SF_BI_MIN_PIAT, "spanflowBidirectionalMinPiatMs", DT_FLOAT64, SEM_QUANTITY, \
		UNITS_MILLISECONDS, 0) \
	X(SF_IE_SF_BI_MEAN_PIAT, "spanflowBidirectionalMeanPiatMs", DT_FLOAT64, SEM_QUANTITY, \
		UNITS_MILLISECONDS, 0) \
	X(SF_IE_SF_BI_STDDEV_PIAT, "spanflowBidirectionalStddevPiatMs", DT_FLOAT64, \
		SEM_QUANTITY, UNITS_MILLISECONDS, 0) \
	X(SF_IE_SF_BI_MAX_PIAT, "spanflowBidirectionalMaxPiatMs", DT_FLOAT64, SEM_QUANTITY, \
		UNITS_MILLISECONDS, 0) \
	X(SF_IE_SF_MEAN_PS, "spanflowMeanPs", DT_FLOAT64, SEM_QUANTITY, UNITS_OCTETS, 1) \
	X(SF_IE_SF_STDDEV_PS, "spanflowStddevPs", DT_FLOAT64, SEM_QUANTITY, UNITS_OCTETS, 1) \
	X(SF_IE_SF_MIN_PIAT, "spanflowMinPiatMs", DT_FLOAT64, SEM_QUANTITY, UNITS_MILLISECONDS, \
		1) \
	X(SF_IE_SF_MEAN_PIAT, "spanflowMeanPiatMs", DT_FLOAT64, SEM_QUANTITY, \
		UNITS_MILLISECONDS, 1) \
	X(SF_IE_SF_STDDEV_PIAT, "spanflowStddevPiatMs", DT_FLOAT64, SEM_QUANTITY, \
		UNITS_MILLISECONDS, 1) \
	X(SF_IE_SF_MAX_PIAT, "spanflowMaxPiatMs", DT_FLOAT64, SEM_QUANTITY, UNITS_MILLISECONDS, 1)
/* IANA "PSAMP selectorAlgorithm" values */
#define SEL_SYSTEMATIC_COUNT 1
#define SEL_RANDOM_N_OUT_OF_N 3
#define SEL_HASH_CRC 8
#define SELECTOR_ID 1
#define STATS_RECORD_LEN (4 + STATS_COUNTERS * 8)

struct sf_ipfix {
	struct sf_ipfix_params p;
	unsigned int n_dest;
	struct sf_ipfix_dest *dest[SF_IPFIX_MAX_DEST];
	unsigned int n_udp, n_tcp, n_file;
	uint64_t linger_ns;	/* close: how long TCP collectors may take to confirm the rest */
	/*
	 * Templates for a new TCP session or a reopened file (ipfix_templates):
	 * messages are built into cap_buf instead of being sent.
	 */
	uint8_t *cap_buf;
	size_t cap_len, cap_max;
	uint32_t cap_seq, cap_records;
	bool capturing;
	bool var_used[32];	/* template variants with a record so far */
	uint8_t *cap_msg;	/* the message being built meanwhile (TCP and files only) */
	int close_error;	/* errno of a file that did not close whole */
	uint8_t *msg;
	size_t max;		/* message size limit */
	size_t len;		/* bytes in msg; 0: no message started */
	size_t set_off;		/* offset of the open data set; 0: none */
	uint16_t set_id;
	uint32_t seq;		/* data records sent before the current message */
	uint32_t msg_records;	/* data records in the current message */
	uint32_t msg_flows;	/* of which flow records */
	uint64_t msgs_since_tpl;
	uint64_t tpl_sent_ns;
	bool tpl_due;
	/* A template variant (tpl_variant) still to be sent since the last templates */
	bool var_tpl_due[32];
	bool ie_types_due[4];	/* and the type records of each group of enterprise elements */
	/* The app template of variant tpl_variant(v6, tun, tcp, false, false) fits in a message */
	bool app_tpl_fits[8];
	/* The feature template of variant tpl_variant(v6, tun, tcp, app, false) and its records */
	bool feat_tpl_fits[16];
	uint64_t seen;		/* packets received (interval summaries) */
	uint64_t dropped;	/* packets dropped before a flow table */
	struct sf_ipfix_stats st;
};

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint8_t *
put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *
put_u32(uint8_t *p, uint32_t v)
{
	p = put_u16(p, (uint16_t)(v >> 16));
	return put_u16(p, (uint16_t)v);
}

static uint8_t *
put_u64(uint8_t *p, uint64_t v)
{
	p = put_u32(p, (uint32_t)(v >> 32));
	return put_u32(p, (uint32_t)v);
}

uint8_t
sf_ipfix_end_reason(enum sf_end_reason r)
{
	switch (r) {
	case SF_END_IDLE:
		return 1;	/* idle timeout */
	case SF_END_ACTIVE:
		return 2;	/* active timeout */
	case SF_END_TCP_FIN:
	case SF_END_TCP_RST:
		return 3;	/* end of flow detected */
	case SF_END_END_OF_INPUT:
		return 4;	/* forced end */
	case SF_END_EVICTED:
		return 5;	/* lack of resources */
	default:
		return 0;
	}
}

/* Element lengths per kind; v6 selects the IPv6 template. */
#define LEN_TIME(v6) 8u
#define LEN_U64(v6) 8u
#define LEN_U32(v6) 4u
#define LEN_U16(v6) 2u
#define LEN_U8(v6) 1u
#define LEN_ADDR(v6) ((v6) ? 16u : 4u)
#define LEN_REASON(v6) 1u
#define LEN_CTX(v6) 1u
#define LEN_CTXID(v6) 8u
#define LEN_SAMPLING(v6) 0u
#define LEN_ENCAPS(v6) 4u
#define LEN_OADDR(v6) 16u
#define LEN_OPT(v6) 4u
#define LEN_MPLS(v6) 3u
/* A text (STR): RFC 7011 variable length, a length octet and at most 31 bytes. */
#define LEN_VAR 0x10000u
#define LEN_STR(v6) (LEN_VAR | (1u + SF_FLOW_TCP_HISTORY - 1))
/* The most bytes a field takes in a record, and its length in a template. */
#define LEN_MAX(l) ((l) & 0xffffu)
#define LEN_TPL(l) ((l) & LEN_VAR ? 0xffffu : (l))
#define LEN_OPT64(v6) 8u
#define LEN_OPT16(v6) 2u
#define LEN_OPT8(v6) 1u
#define LEN_OPTN16(v6) 2u
#define LEN_OPTN8(v6) 1u
#define LEN_ZSTATE(v6) 1u
#define LEN_APP(v6) 1u
#define LEN_DBL(v6) 8u
#define LEN_SPLTD(v6) 0u	/* SPLT: not in IPFIX */
#define LEN_SPLTP(v6) 0u
#define LEN_SPLTG(v6) 0u
#define LEN_TLSVER(v6) 2u
/*
 * A long text (TEXT): RFC 7011 variable length, three length octets from
 * 255 bytes on; a record's texts may be cut to fit a message (LEN_CUT),
 * down to their length octet.
 */
#define LEN_CUT 0x20000u
#define LEN_TEXT(v6) (LEN_VAR | LEN_CUT | (3u + (SF_FLOW_APP_NAME - 1)))
/* The bytes a field takes in any record, whatever it holds. */
#define LEN_FIXED(l) ((l) & LEN_CUT ? 1u : LEN_MAX(l))
/* The longest text sent, and the shortest length octets' limit (RFC 7011 section 7). */
#define TEXT_MAX (SF_FLOW_APP_NAME - 1)
#define TEXT_SHORT 255u

/*
 * A field of the template (v6, bi, tun, tcp, app, feat): reverse ones in
 * biflow, tunnel ones in tunnel templates, TCP health in TCP templates, the
 * application metadata in app templates, flow features in feature templates.
 */
#define SF_IPFIX_HAS(ie4, flags, bi, tun, tcp, app, feat) \
	((!((flags) & SF_F_REV) || (bi)) && (!((flags) & SF_F_TUN) || (tun)) && \
	 (!((flags) & SF_F_TCP) || (tcp)) && (!((flags) & SF_F_APP) || (app)) && \
	 (!((flags) & SF_F_FEAT) || (feat)) && (ie4) != 0)

/* layer2SegmentId (RFC 7133 4.8): segment type in the top octet, the id below. */
static uint64_t
l2_segment(const struct sf_flow_record *r)
{
	switch (r->key.ctx_kind) {
	case SF_FLOW_CTX_VNI:
		return UINT64_C(0x01) << 56 | r->key.ctx;
	case SF_FLOW_CTX_GRE_KEY:
		return UINT64_C(0x02) << 56 | r->key.ctx;
	default:
		return 0;
	}
}

size_t
sf_ipfix_record_len(int ipver, enum sf_ipfix_mode mode, bool tun, bool tcp, bool app, bool feat)
{
	bool v6 = ipver == 6, bi = mode == SF_IPFIX_BIFLOW;
	size_t n = 0;

#define SF_X_LEN(name, kind, expr, ie4, ie6, flags) \
	if (SF_IPFIX_HAS(ie4, flags, bi, tun, tcp, app, feat)) \
		n += LEN_MAX(LEN_ ## kind(v6));
	SF_FLOW_FIELDS(SF_X_LEN)
#undef SF_X_LEN
	return n;
}

/* The fewest bytes a data record of a template takes: its texts (TEXT) cut to nothing. */
static size_t
record_len_cut(bool v6, bool bi, bool tun, bool tcp, bool app, bool feat)
{
	size_t n = 0;

#define SF_X_LEN(name, kind, expr, ie4, ie6, flags) \
	if (SF_IPFIX_HAS(ie4, flags, bi, tun, tcp, app, feat)) \
		n += LEN_FIXED(LEN_ ## kind(v6));
	SF_FLOW_FIELDS(SF_X_LEN)
#undef SF_X_LEN
	return n;
}

/* The index of a template in sf_ipfix.var_tpl_due. */
static unsigned int
tpl_variant(bool v6, bool tun, bool tcp, bool app, bool feat)
{
	return (unsigned int)v6 | (unsigned int)tun << 1 | (unsigned int)tcp << 2 |
		(unsigned int)app << 3 | (unsigned int)feat << 4;
}

static uint16_t
template_id(bool v6, bool tun, bool tcp, bool app, bool feat)
{
	if (feat)
		return (uint16_t)(SF_IPFIX_TID_FEAT + tpl_variant(v6, tun, tcp, app, false));
	if (app)
		return (uint16_t)(SF_IPFIX_TID_APP + tpl_variant(v6, tun, tcp, false, false));
	if (tcp && tun)
		return v6 ? SF_IPFIX_TID_V6_TUN_TCP : SF_IPFIX_TID_V4_TUN_TCP;
	if (tcp)
		return v6 ? SF_IPFIX_TID_V6_TCP : SF_IPFIX_TID_V4_TCP;
	if (tun)
		return v6 ? SF_IPFIX_TID_V6_TUN : SF_IPFIX_TID_V4_TUN;
	return v6 ? SF_IPFIX_TID_V6 : SF_IPFIX_TID_V4;
}

/*
 * The element id of a field in a template: a reverse IANA element is the
 * same id under PEN 29305 (RFC 5103); spanflow's reverse elements are ids
 * of its own (SF_IE_SF_REVERSE).
 */
#define REV_PEN_FLAGS (SF_F_REV | SF_F_PEN)
#define TPL_ID(ie, flags) \
	((uint16_t)((ie) | \
		(((flags) & REV_PEN_FLAGS) == REV_PEN_FLAGS ? SF_IE_SF_REVERSE : 0) | \
		(((flags) & REV_PEN_FLAGS) ? ENTERPRISE_BIT : 0)))

/* One template record; returns the end. */
static uint8_t *
put_template(uint8_t *p, bool v6, bool bi, bool sel, bool tun, bool tcp, bool app, bool feat)
{
	uint8_t *count = p + 2;
	uint16_t n = 0;

	p = put_u16(p, template_id(v6, tun, tcp, app, feat));
	p += 2;
#define SF_X_TPL(name, kind, expr, ie4, ie6, flags) \
	if (SF_IPFIX_HAS(ie4, flags, bi, tun, tcp, app, feat)) { \
		p = put_u16(p, TPL_ID(v6 ? (ie6) : (ie4), flags)); \
		p = put_u16(p, (uint16_t)LEN_TPL(LEN_ ## kind(v6))); \
		if ((flags) & SF_F_PEN) \
			p = put_u32(p, SF_IPFIX_PEN); \
		else if ((flags) & SF_F_REV) \
			p = put_u32(p, SF_IPFIX_PEN_REVERSE); \
		n++; \
	}
	SF_FLOW_FIELDS(SF_X_TPL)
#undef SF_X_TPL
	if (sel) {
		p = put_u16(p, IE_SELECTOR_ID);
		p = put_u16(p, 8);
		n++;
	}
	put_u16(count, n);
	return p;
}

#define ENC_TIME(v) p = put_u64(p, (uint64_t)(v) / 1000000u)
#define ENC_U64(v) p = put_u64(p, (uint64_t)(v))
#define ENC_U32(v) p = put_u32(p, (uint32_t)(v))
#define ENC_U16(v) p = put_u16(p, (uint16_t)(v))
#define ENC_U8(v) *p++ = (uint8_t)(v)
#define ENC_ADDR(v) do { memcpy(p, (v), alen); p += alen; } while (0)
#define ENC_REASON(v) *p++ = sf_ipfix_end_reason((enum sf_end_reason)(v))
#define ENC_CTX(v) *p++ = (uint8_t)(v)
#define ENC_CTXID(v) p = put_u64(p, l2_segment(v))
#define ENC_SAMPLING(v) RTE_SET_USED(v)
#define ENC_ENCAPS(v) p = put_u32(p, (v))
#define ENC_OADDR(v) p = put_outer_addr(p, r->tun.outer_ipver, (v))
#define ENC_OPT(v) do { \
		int64_t opt_ = (v); \
		p = put_u32(p, opt_ >= 0 ? (uint32_t)opt_ : 0); \
	} while (0)
#define ENC_STR(v) do { \
		const char *str_ = (v); \
		size_t n_ = str_ != NULL ? strnlen(str_, SF_FLOW_TCP_HISTORY - 1) : 0; \
		*p++ = (uint8_t)n_; \
		if (n_ != 0) \
			memcpy(p, str_, n_); \
		p += n_; \
	} while (0)
#define ENC_OPT64(v) do { \
		int64_t opt_ = (v); \
		p = put_u64(p, opt_ >= 0 ? (uint64_t)opt_ : 0); \
	} while (0)
#define ENC_OPT16(v) do { \
		int64_t opt_ = (v); \
		p = put_u16(p, opt_ >= 0 ? (uint16_t)opt_ : 0); \
	} while (0)
#define ENC_OPT8(v) do { \
		int64_t opt_ = (v); \
		*p++ = opt_ >= 0 ? (uint8_t)opt_ : 0; \
	} while (0)
#define ENC_OPTN16(v) do { \
		int64_t opt_ = (v); \
		p = put_u16(p, opt_ >= 0 ? (uint16_t)opt_ : UINT16_MAX); \
	} while (0)
#define ENC_ZSTATE(v) *p++ = (uint8_t)(v)
#define ENC_APP(v) *p++ = (uint8_t)(v)
#define ENC_SPLTD(v) RTE_SET_USED(v)
#define ENC_SPLTP(v) RTE_SET_USED(v)
#define ENC_SPLTG(v) RTE_SET_USED(v)
#define ENC_DBL(v) do { \
		double dbl_ = (v); \
		uint64_t bits_; \
		memcpy(&bits_, &dbl_, sizeof(bits_)); \
		p = put_u64(p, dbl_ == dbl_ ? bits_ : 0); \
	} while (0)
#define ENC_TLSVER(v) do { \
		int64_t opt_ = (v); \
		p = put_u16(p, opt_ >= 0 ? (uint16_t)opt_ : 0); \
	} while (0)
#define ENC_TEXT(v) p = put_text(p, (v), tcap)
#define ENC_OPTN8(v) do { \
		int64_t opt_ = (v); \
		*p++ = opt_ >= 0 ? (uint8_t)opt_ : UINT8_MAX; \
	} while (0)
#define ENC_MPLS(v) do { \
		int64_t opt_ = (v); \
		uint32_t lse_ = opt_ >= 0 ? (uint32_t)opt_ << 4 : 0; \
		*p++ = (uint8_t)(lse_ >> 16); \
		*p++ = (uint8_t)(lse_ >> 8); \
		*p++ = (uint8_t)lse_; \
	} while (0)

/* An outer address in 16 bytes: IPv6 as it is, IPv4 mapped (::ffff:a.b.c.d), none zero. */
static uint8_t *
put_outer_addr(uint8_t *p, uint8_t ipver, const uint8_t *a)
{
	memset(p, 0, 16);
	if (ipver == 6) {
		memcpy(p, a, 16);
	} else if (ipver == 4) {
		p[10] = 0xff;
		p[11] = 0xff;
		memcpy(p + 12, a, 4);
	}
	return p + 16;
}

/*
 * A text (TEXT) of at most `cap` bytes, cut at a UTF-8 character's first
 * byte (lib/app's texts are valid UTF-8); NULL is an empty one.
 */
static uint8_t *
put_text(uint8_t *p, const char *s, size_t cap)
{
	size_t n = s != NULL ? strlen(s) : 0;	/* lib/app ends every text within its field */

	n = n < TEXT_MAX ? n : TEXT_MAX;
	if (n > cap) {
		n = cap;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	if (n < TEXT_SHORT) {
		*p++ = (uint8_t)n;
	} else {
		*p++ = TEXT_SHORT;
		p = put_u16(p, (uint16_t)n);
	}
	if (n != 0)
		memcpy(p, s, n);
	return p + n;
}

/* The record's fields in template (v6, bi, tun, tcp, app, feat); texts cut at tcap bytes. */
static uint8_t *
put_record(uint8_t *p, const struct sf_flow_record *r, bool bi, bool tun, bool tcp, bool app,
		bool feat, size_t tcap)
{
	size_t alen = r->key.ipver == 6 ? 16 : 4;

#define SF_X_ENC(name, kind, expr, ie4, ie6, flags) \
	if (SF_IPFIX_HAS(ie4, flags, bi, tun, tcp, app, feat)) \
		ENC_ ## kind(expr);
	SF_FLOW_FIELDS(SF_X_ENC)
#undef SF_X_ENC
	return p;
}

static void
close_set(struct sf_ipfix *x)
{
	if (x->set_off == 0)
		return;
	put_u16(x->msg + x->set_off + 2, (uint16_t)(x->len - x->set_off));
	x->set_off = 0;
	x->set_id = 0;
}

static void
open_set(struct sf_ipfix *x, uint16_t id)
{
	x->set_off = x->len;
	x->set_id = id;
	put_u16(x->msg + x->len, id);
	x->len += IPFIX_SET_HDR_LEN;
}

static uint8_t *
put_stats(struct sf_ipfix *x, uint8_t *p)
{
	p = put_u32(p, x->p.domain);
	p = put_u64(p, x->st.messages);
	p = put_u64(p, x->st.records);
	p = put_u64(p, x->seen);
	p = put_u64(p, x->dropped);
	struct sf_ipfix_stats s;

	sf_ipfix_get_stats(x, &s);
	return put_u64(p, s.records_lost);
}

/*
 * The sampling selector (RFC 5476 and 5477): an options template scoped by
 * selectorId and its record. count: systematic count-based, interval 1 and
 * space N - 1; random: n-out-of-N with n 1; flow: hash-based filtering
 * (a CRC of the flow key), the flows whose 32-bit hash falls in the lowest
 * 1/N of its range.
 */
static void
put_selector(struct sf_ipfix *x)
{
	uint32_t n = x->p.sampling_rate;
	uint16_t alg, ies[4];
	unsigned int i, k, len;
	uint64_t v[4];
	uint8_t *p;

	switch (x->p.sampling) {
	case SF_SAMPLING_COUNT:
		alg = SEL_SYSTEMATIC_COUNT;
		k = 2, len = 4;
		ies[0] = IE_SAMPLING_PACKET_INTERVAL, v[0] = 1;
		ies[1] = IE_SAMPLING_PACKET_SPACE, v[1] = n - 1;
		break;
	case SF_SAMPLING_RANDOM:
		alg = SEL_RANDOM_N_OUT_OF_N;
		k = 2, len = 4;
		ies[0] = IE_SAMPLING_SIZE, v[0] = 1;
		ies[1] = IE_SAMPLING_POPULATION, v[1] = n;
		break;
	default:
		alg = SEL_HASH_CRC;
		k = 4, len = 8;
		ies[0] = IE_HASH_OUTPUT_RANGE_MIN, v[0] = 0;
		ies[1] = IE_HASH_OUTPUT_RANGE_MAX, v[1] = UINT32_MAX;
		ies[2] = IE_HASH_SELECTED_RANGE_MIN, v[2] = 0;
		ies[3] = IE_HASH_SELECTED_RANGE_MAX, v[3] = UINT32_MAX / n;
		break;
	}
	open_set(x, SET_OPTIONS_TEMPLATE);
	p = x->msg + x->len;
	p = put_u16(p, SF_IPFIX_TID_SELECTOR);
	p = put_u16(p, (uint16_t)(2 + k));	/* field count */
	p = put_u16(p, 1);			/* scope field count */
	p = put_u16(p, IE_SELECTOR_ID);
	p = put_u16(p, 8);
	p = put_u16(p, IE_SELECTOR_ALGORITHM);
	p = put_u16(p, 2);
	for (i = 0; i < k; i++) {
		p = put_u16(p, ies[i]);
		p = put_u16(p, (uint16_t)len);
	}
	x->len = (size_t)(p - x->msg);
	close_set(x);

	open_set(x, SF_IPFIX_TID_SELECTOR);
	p = x->msg + x->len;
	p = put_u64(p, SELECTOR_ID);
	p = put_u16(p, alg);
	for (i = 0; i < k; i++)
		p = len == 8 ? put_u64(p, v[i]) : put_u32(p, (uint32_t)v[i]);
	x->len = (size_t)(p - x->msg);
	close_set(x);
	x->msg_records++;
}

/* Templates, the statistics options template and a statistics record. */
static void
put_templates(struct sf_ipfix *x)
{
	bool bi = x->p.mode == SF_IPFIX_BIFLOW, sel = x->p.sampling != SF_SAMPLING_NONE;
	static const uint16_t stats_ies[STATS_COUNTERS] = {
		IE_EXPORTED_MESSAGE_TOTAL_COUNT, IE_EXPORTED_FLOW_RECORD_TOTAL_COUNT,
		IE_PACKET_TOTAL_COUNT, IE_IGNORED_PACKET_TOTAL_COUNT,
		IE_NOT_SENT_FLOW_TOTAL_COUNT,
	};
	uint8_t *p;
	unsigned int i;

	open_set(x, SET_TEMPLATE);
	p = put_template(x->msg + x->len, false, bi, sel, false, false, false, false);
	p = put_template(p, true, bi, sel, false, false, false, false);
	x->len = (size_t)(p - x->msg);
	close_set(x);

	open_set(x, SET_OPTIONS_TEMPLATE);
	p = x->msg + x->len;
	p = put_u16(p, SF_IPFIX_TID_STATS);
	p = put_u16(p, 1 + STATS_COUNTERS);	/* field count */
	p = put_u16(p, 1);			/* scope field count */
	p = put_u16(p, IE_OBSERVATION_DOMAIN_ID);
	p = put_u16(p, 4);
	for (i = 0; i < STATS_COUNTERS; i++) {
		p = put_u16(p, stats_ies[i]);
		p = put_u16(p, 8);
	}
	x->len = (size_t)(p - x->msg);
	close_set(x);

	open_set(x, SF_IPFIX_TID_STATS);
	x->len = (size_t)(put_stats(x, x->msg + x->len) - x->msg);
	close_set(x);
	x->msg_records++;

	if (sel)
		put_selector(x);

	x->tpl_due = false;
	/*
	 * The tunnel, TCP, app and feature templates follow when a record
	 * needs one (room in small messages).
	 */
	for (i = 0; i < RTE_DIM(x->var_tpl_due); i++)
		x->var_tpl_due[i] = true;
	for (i = 0; i < RTE_DIM(x->ie_types_due); i++)
		x->ie_types_due[i] = true;
	x->msgs_since_tpl = 0;
	x->tpl_sent_ns = mono_ns();
}

/* A message with nothing in it yet; templates due wait for the next begin_message. */
static void
start_message(struct sf_ipfix *x)
{
	x->len = IPFIX_HDR_LEN;
	x->msg_records = 0;
	x->msg_flows = 0;
}

static void
begin_message(struct sf_ipfix *x)
{
	start_message(x);
	if (x->p.template_refresh_ns != 0 && mono_ns() - x->tpl_sent_ns >= x->p.template_refresh_ns)
		x->tpl_due = true;
	if (x->tpl_due)
		put_templates(x);
}

static void
send_message(struct sf_ipfix *x)
{
	unsigned int i;
	int ret;

	if (x->p.send != NULL) {
		ret = x->p.send(x->p.send_arg, x->msg, x->len);
		if (ret < 0) {
			x->st.messages_lost++;
			x->st.records_lost += x->msg_flows;
			x->st.last_error = -ret;
		}
	}
	for (i = 0; i < x->n_dest; i++)
		sf_ipfix_dest_send(x->dest[i], x->msg, x->len, x->msg_records, x->msg_flows);
}

void
sf_ipfix_flush(struct sf_ipfix *x)
{
	uint8_t *p = x->msg;

	if (x->len == 0)
		return;
	close_set(x);
	p = put_u16(p, IPFIX_VERSION);
	p = put_u16(p, (uint16_t)x->len);
	p = put_u32(p, (uint32_t)time(NULL));
	p = put_u32(p, x->capturing ? x->cap_seq : x->seq);
	put_u32(p, x->p.domain);
	if (x->capturing) {
		/* A new TCP session's templates: kept, not sent (ipfix_templates). */
		if (x->cap_len + x->len <= x->cap_max) {
			memcpy(x->cap_buf + x->cap_len, x->msg, x->len);
			x->cap_len += x->len;
			x->cap_seq += x->msg_records;
			x->cap_records += x->msg_records;
		}
		x->len = 0;
		return;
	}
	x->st.messages++;
	x->st.octets += x->len;
	send_message(x);
	x->seq += x->msg_records;
	x->len = 0;
	if (x->p.template_messages != 0 && ++x->msgs_since_tpl >= x->p.template_messages)
		x->tpl_due = true;
}

/* Room for one data record of rlen bytes in set tid, starting a message if needed. */
static uint8_t *
reserve(struct sf_ipfix *x, uint16_t tid, size_t rlen)
{
	uint8_t *p;

	if (x->len != 0 && x->len + rlen + (x->set_id == tid ? 0 : IPFIX_SET_HDR_LEN) > x->max)
		sf_ipfix_flush(x);
	if (x->len == 0)
		begin_message(x);
	if (x->len + rlen + (x->set_id == tid ? 0 : IPFIX_SET_HDR_LEN) > x->max) {
		/*
		 * The message began with templates: the record goes in the next,
		 * which leaves templates due again (export.template_messages 1)
		 * to the one after.
		 */
		sf_ipfix_flush(x);
		start_message(x);
	}
	if (x->set_id != tid) {
		close_set(x);
		open_set(x, tid);
	}
	p = x->msg + x->len;
	x->len += rlen;
	x->msg_records++;
	x->msg_flows++;
	x->st.records++;
	return p;
}

/*
 * The most bytes a template record can take: every field IPFIX sends (8
 * bytes with an enterprise number, a reverse one's too, else 4), and the
 * selector; TEMPLATE_MAX without the application metadata and the flow
 * features. An app template may not fit a small message (biflow, tunnel
 * and TCP health, 532 bytes, 536 sampled, where 576 to an IPv6 collector
 * leaves 508), nor may a feature template (up to 720 bytes) or its record:
 * sf_ipfix_open finds which (app_tpl_fits, feat_tpl_fits).
 */
#define SF_X_TPL_FIELD(name, kind, expr, ie4, ie6, flags) \
	+ ((ie4) != 0 ? (((flags) & (SF_F_PEN | SF_F_REV)) ? 8 : 4) : 0)
#define TEMPLATE_LONGEST (4 + (0 SF_FLOW_FIELDS(SF_X_TPL_FIELD)) + 4)
#define SF_X_TPL_FIELD_NO_APP(name, kind, expr, ie4, ie6, flags) \
	+ ((ie4) != 0 && !((flags) & (SF_F_APP | SF_F_FEAT)) ? \
		(((flags) & (SF_F_PEN | SF_F_REV)) ? 8 : 4) : 0)
#define TEMPLATE_MAX (4 + (0 SF_FLOW_FIELDS(SF_X_TPL_FIELD_NO_APP)) + 4)
/*
 * The longest data record: every field at its IPv6 length, and the
 * selector; RECORD_MAX without the flow features and with the texts that
 * may be cut (TEXT) empty.
 */
#define SF_X_REC_MAX(name, kind, expr, ie4, ie6, flags) \
	+ ((ie4) != 0 ? LEN_MAX(LEN_ ## kind(true)) : 0)
#define RECORD_LONGEST ((0 SF_FLOW_FIELDS(SF_X_REC_MAX)) + 8)
#define SF_X_REC_FIXED(name, kind, expr, ie4, ie6, flags) \
	+ ((ie4) != 0 && !((flags) & SF_F_FEAT) ? LEN_FIXED(LEN_ ## kind(true)) : 0)
#define RECORD_MAX ((0 SF_FLOW_FIELDS(SF_X_REC_FIXED)) + 8)
/* The smallest message: export.mtu 576 to an IPv6 collector (IPv6 and UDP headers). */
#define MESSAGE_MIN (576 - 48)
_Static_assert(IPFIX_HDR_LEN + IPFIX_SET_HDR_LEN + TEMPLATE_MAX <= MESSAGE_MIN,
		"any template without app or feature elements fits in a message of its own");
_Static_assert(IPFIX_HDR_LEN + IPFIX_SET_HDR_LEN + RECORD_MAX <= MESSAGE_MIN,
		"any data record without features, its texts cut, fits in a message of its own");

/* A message with `need` bytes of room after what it holds (templates due come first). */
static void
make_room(struct sf_ipfix *x, size_t need)
{
	/* More than a message holds: a message of its own, as empty as it can start. */
	if (need > x->max - IPFIX_HDR_LEN)
		need = x->max - IPFIX_HDR_LEN;
	if (x->len != 0 && x->len + need > x->max)
		sf_ipfix_flush(x);
	if (x->len == 0)
		begin_message(x);
	if (x->len + need > x->max) {
		/*
		 * The message began with the other templates: this goes in the
		 * next, which leaves templates due again to the one after.
		 */
		sf_ipfix_flush(x);
		start_message(x);
	}
}

#define IE_TYPE_FIELDS 9
#define IE_TYPE_TPL_LEN (IPFIX_SET_HDR_LEN + 4 + 2 + IE_TYPE_FIELDS * 4)
/* A type record before its name and description: PEN, id, type, semantics, units, range. */
#define IE_TYPE_FIXED (4 + 2 + 1 + 1 + 2 + 8 + 8)
#define IE_REVERSE_PREFIX "reverse"

struct ie_type {
	uint16_t id;
	uint8_t dt;
	uint8_t sem;
	uint16_t units;
	bool rev;		/* the reverse element gets a record too */
	const char *name;
};

#define SF_X_IE_TYPE(id, name, dt, sem, units, rev) { (id), (dt), (sem), (units), (rev), (name) },
static const struct ie_type ie_types_tun[] = { SF_IPFIX_PEN_TUN_ELEMENTS(SF_X_IE_TYPE) };
static const struct ie_type ie_types_tcp[] = { SF_IPFIX_PEN_TCP_ELEMENTS(SF_X_IE_TYPE) };
static const struct ie_type ie_types_app[] = { SF_IPFIX_PEN_APP_ELEMENTS(SF_X_IE_TYPE) };
static const struct ie_type ie_types_feat[] = { SF_IPFIX_PEN_FEAT_ELEMENTS(SF_X_IE_TYPE) };
#undef SF_X_IE_TYPE

enum { IE_GROUP_TUN, IE_GROUP_TCP, IE_GROUP_APP, IE_GROUP_FEAT };

static const struct {
	const struct ie_type *t;
	unsigned int n;
} ie_groups[] = {
	[IE_GROUP_TUN] = { ie_types_tun, RTE_DIM(ie_types_tun) },
	[IE_GROUP_TCP] = { ie_types_tcp, RTE_DIM(ie_types_tcp) },
	[IE_GROUP_APP] = { ie_types_app, RTE_DIM(ie_types_app) },
	[IE_GROUP_FEAT] = { ie_types_feat, RTE_DIM(ie_types_feat) },
};

/* The bytes of one type record: the element's, or its reverse's. */
static size_t
ie_type_len(const struct ie_type *t, bool rev)
{
	return IE_TYPE_FIXED + 1 + strlen(t->name) + (rev ? sizeof(IE_REVERSE_PREFIX) - 1 : 0) + 1;
}

/* A type record at p (the reverse element's when rev); returns the end. */
static uint8_t *
put_ie_type(uint8_t *p, const struct ie_type *t, bool rev)
{
	size_t n = strlen(t->name);

	p = put_u32(p, SF_IPFIX_PEN);
	p = put_u16(p, (uint16_t)(t->id | (rev ? SF_IE_SF_REVERSE : 0)));
	*p++ = t->dt;
	*p++ = t->sem;
	p = put_u16(p, t->units);
	p = put_u64(p, 0);		/* range: none */
	p = put_u64(p, 0);
	if (rev) {
		/* "reverse" and the name with a capital, as libfixbuf names reverse elements */
		*p++ = (uint8_t)(sizeof(IE_REVERSE_PREFIX) - 1 + n);
		memcpy(p, IE_REVERSE_PREFIX, sizeof(IE_REVERSE_PREFIX) - 1);
		p += sizeof(IE_REVERSE_PREFIX) - 1;
		*p++ = (uint8_t)toupper((unsigned char)t->name[0]);
		memcpy(p, t->name + 1, n - 1);
		p += n - 1;
	} else {
		*p++ = (uint8_t)n;
		memcpy(p, t->name, n);
		p += n;
	}
	*p++ = 0;			/* no description (room in 576-byte messages) */
	return p;
}

/* Room for a record of rlen bytes in data set `set`, opened if it is not the open one. */
static void
set_room(struct sf_ipfix *x, uint16_t set, size_t rlen)
{
	make_room(x, rlen + (x->set_id == set ? 0 : IPFIX_SET_HDR_LEN));
	if (x->set_id == set)
		return;
	/* A message begun inside make_room had no room counted for the set header. */
	if (x->len + IPFIX_SET_HDR_LEN + rlen > x->max)
		make_room(x, IPFIX_SET_HDR_LEN + rlen);
	close_set(x);
	open_set(x, set);
}

/*
 * RFC 5610 type records for a group of spanflow's enterprise elements: an
 * options template scoped by (privateEnterpriseNumber,
 * informationElementId) and a record per element (data type, semantics,
 * units, range, name, an empty description: libfixbuf wants every one of
 * them), before the first template of each template cycle that uses the
 * group. A group goes in one message when one can hold it, otherwise its
 * records continue in the next (the options template stays known).
 */
static void
put_ie_types(struct sf_ipfix *x, unsigned int g)
{
	/* The options template's fields: element, length. */
	static const uint16_t ie_type_fields[IE_TYPE_FIELDS][2] = {
		{ IE_PRIVATE_ENTERPRISE_NUMBER, 4 }, { IE_INFORMATION_ELEMENT_ID, 2 },
		{ IE_INFORMATION_ELEMENT_DATA_TYPE, 1 }, { IE_INFORMATION_ELEMENT_SEMANTICS, 1 },
		{ IE_INFORMATION_ELEMENT_UNITS, 2 }, { IE_INFORMATION_ELEMENT_RANGE_BEGIN, 8 },
		{ IE_INFORMATION_ELEMENT_RANGE_END, 8 }, { IE_INFORMATION_ELEMENT_NAME, VARLEN },
		{ IE_INFORMATION_ELEMENT_DESCRIPTION, VARLEN },
	};
	const struct ie_type *t = ie_groups[g].t;
	size_t len = IE_TYPE_TPL_LEN + IPFIX_SET_HDR_LEN;
	/* Reverse elements only where they are sent (biflow). */
	bool bi = x->p.mode == SF_IPFIX_BIFLOW;
	unsigned int i, rev;
	uint8_t *p;

	for (i = 0; i < ie_groups[g].n; i++)
		len += ie_type_len(&t[i], false) + (bi && t[i].rev ? ie_type_len(&t[i], true) : 0);
	make_room(x, len);
	/* After make_room: templates it began a message with ask for the types again. */
	x->ie_types_due[g] = false;
	close_set(x);
	open_set(x, SET_OPTIONS_TEMPLATE);
	p = x->msg + x->len;
	p = put_u16(p, SF_IPFIX_TID_IE_TYPE);
	p = put_u16(p, IE_TYPE_FIELDS);		/* field count */
	p = put_u16(p, 2);			/* scope field count: the first two */
	for (i = 0; i < IE_TYPE_FIELDS; i++) {
		p = put_u16(p, ie_type_fields[i][0]);
		p = put_u16(p, ie_type_fields[i][1]);
	}
	x->len = (size_t)(p - x->msg);
	close_set(x);
	open_set(x, SF_IPFIX_TID_IE_TYPE);
	for (i = 0; i < ie_groups[g].n; i++)
		for (rev = 0; rev <= (bi && t[i].rev); rev++) {
			set_room(x, SF_IPFIX_TID_IE_TYPE, ie_type_len(&t[i], rev));
			p = put_ie_type(x->msg + x->len, &t[i], rev);
			x->len = (size_t)(p - x->msg);
			x->msg_records++;
		}
	close_set(x);
}

/*
 * The template of variant (v6, tun, tcp, app, feat), in a template set of
 * its own, in a message with room for it and a data record of rlen bytes
 * after (when one can hold both); the type records of the enterprise
 * elements it uses come first.
 */
static void
put_var_template(struct sf_ipfix *x, bool v6, bool bi, bool sel, bool tun, bool tcp, bool app,
		bool feat, size_t rlen)
{
	uint8_t tpl[TEMPLATE_LONGEST];
	size_t tl = (size_t)(put_template(tpl, v6, bi, sel, tun, tcp, app, feat) - tpl);

	if (tun && x->ie_types_due[IE_GROUP_TUN])
		put_ie_types(x, IE_GROUP_TUN);
	if (tcp && x->ie_types_due[IE_GROUP_TCP])
		put_ie_types(x, IE_GROUP_TCP);
	if (app && x->ie_types_due[IE_GROUP_APP])
		put_ie_types(x, IE_GROUP_APP);
	if (feat && x->ie_types_due[IE_GROUP_FEAT])
		put_ie_types(x, IE_GROUP_FEAT);
	make_room(x, IPFIX_SET_HDR_LEN + tl + IPFIX_SET_HDR_LEN + rlen);
	close_set(x);
	open_set(x, SET_TEMPLATE);
	memcpy(x->msg + x->len, tpl, tl);
	x->len += tl;
	close_set(x);
	x->var_tpl_due[tpl_variant(v6, tun, tcp, app, feat)] = false;
}

/*
 * A record with application metadata into buf (RECORD_LONGEST bytes), in
 * at most `room` bytes: its texts whole when they fit, otherwise each cut
 * to the largest common length that fits (the longest texts lose the
 * most; short ones such as the method or ALPN stay whole). Returns the
 * length; *cut says whether a text was cut.
 */
static size_t
put_app_record(uint8_t *buf, const struct sf_flow_record *r, bool bi, bool tun, bool tcp,
		bool feat, size_t room, bool *cut)
{
	size_t lo = 0, hi = TEXT_MAX, mid, len;

	*cut = false;
	len = (size_t)(put_record(buf, r, bi, tun, tcp, true, feat, hi) - buf);
	if (len <= room)
		return len;
	/* Cap lo fits (texts empty: RECORD_MAX, or feat_tpl_fits), hi does not. */
	while (hi - lo > 1) {
		mid = (lo + hi) / 2;
		if ((size_t)(put_record(buf, r, bi, tun, tcp, true, feat, mid) - buf) <= room)
			lo = mid;
		else
			hi = mid;
	}
	*cut = true;
	return (size_t)(put_record(buf, r, bi, tun, tcp, true, feat, lo) - buf);
}

/*
 * A record in the template of its variant: plain, tunnelled (what carried
 * it), TCP (the health of an analysed TCP flow), or both; each of them
 * with the application metadata when the record has some, and each of
 * those with the flow features when it has them. The plain templates go
 * with every template cycle; the others before their first record in it.
 * A record without application metadata is encoded in place, in the room
 * of its longest form; one with is encoded first, as its texts decide its
 * length.
 */
static void
add_record(struct sf_ipfix *x, const struct sf_flow_record *r, bool bi)
{
	bool v6 = r->key.ipver == 6, tun = r->tun.encaps != 0;
	bool tcp = (r->tcp.flags & SF_FLOW_TCP_VALID) != 0;
	bool app = r->app.kind != SF_APP_NONE;
	bool feat = r->feat.packets[SF_FEAT_BIDIR] != 0;
	bool sel = x->p.sampling != SF_SAMPLING_NONE, cut;
	uint8_t buf[RECORD_LONGEST];
	size_t rlen;
	uint8_t *p;

	if (app && !x->app_tpl_fits[tpl_variant(v6, tun, tcp, false, false)]) {
		/* Its template is longer than a message: the record without app elements. */
		app = false;
		x->st.apps_left_out++;
	}
	/* Features go first: app metadata stays where it would be without them. */
	if (feat && !x->feat_tpl_fits[tpl_variant(v6, tun, tcp, app, false)]) {
		feat = false;
		x->st.feats_left_out++;
	}
	if (app) {
		rlen = put_app_record(buf, r, bi, tun, tcp, feat,
				x->max - IPFIX_HDR_LEN - IPFIX_SET_HDR_LEN - (sel ? 8 : 0), &cut);
		if (sel)
			rlen = (size_t)(put_u64(buf + rlen, SELECTOR_ID) - buf);
		x->st.texts_cut += cut;
	} else {
		rlen = sf_ipfix_record_len(v6 ? 6 : 4, bi ? SF_IPFIX_BIFLOW : SF_IPFIX_UNIFLOW,
				tun, tcp, false, feat) + (sel ? 8 : 0);
	}
	if (tun || tcp || app || feat) {
		x->var_used[tpl_variant(v6, tun, tcp, app, feat)] = true;
		if (x->len == 0)
			begin_message(x);	/* templates due now come first */
		if (x->var_tpl_due[tpl_variant(v6, tun, tcp, app, feat)])
			put_var_template(x, v6, bi, sel, tun, tcp, app, feat, rlen);
	}
	p = reserve(x, template_id(v6, tun, tcp, app, feat), rlen);
	if (app) {
		memcpy(p, buf, rlen);
		return;
	}
	p = put_record(p, r, bi, tun, tcp, false, feat, TEXT_MAX);
	if (sel)
		p = put_u64(p, SELECTOR_ID);
	x->len = (size_t)(p - x->msg);	/* a text takes what it needs of its room */
}

#define SWAP2(a) do { \
		__typeof__((a)[0]) t_ = (a)[0]; \
		(a)[0] = (a)[1]; \
		(a)[1] = t_; \
	} while (0)

void
sf_ipfix_write_record(void *arg, const struct sf_flow_record *r)
{
	struct sf_ipfix *x = arg;
	struct sf_flow_record s;

	if (x->p.mode == SF_IPFIX_BIFLOW) {
		add_record(x, r, true);
		return;
	}
	/* Uniflow: each direction that carried packets, as its own record. */
	if (r->packets[0] != 0)
		add_record(x, r, false);
	if (r->packets[1] != 0) {
		s = *r;
		s.initiator = (uint8_t)(r->initiator == SF_DIR_LO ? SF_DIR_HI : SF_DIR_LO);
		SWAP2(s.packets);
		SWAP2(s.bytes);
		SWAP2(s.tcp_flags);
		/*
		 * TCP health per direction, [0] the record's source; the handshake
		 * RTTs are the connection's (server and client side) and stay.
		 */
		SWAP2(s.tcp.retrans_bytes);
		SWAP2(s.tcp.retrans_packets);
		SWAP2(s.tcp.ooo_packets);
		SWAP2(s.tcp.dup_acks);
		SWAP2(s.tcp.zero_windows);
		SWAP2(s.tcp.mss);
		SWAP2(s.tcp.wscale);
		SWAP2(s.tcp.opts);
		SWAP2(s.tcp.init_flags);
		memcpy(s.tcp.flag_packets[0], r->tcp.flag_packets[1], sizeof(s.tcp.flag_packets[0]));
		memcpy(s.tcp.flag_packets[1], r->tcp.flag_packets[0], sizeof(s.tcp.flag_packets[1]));
		/*
		 * Features: src2dst is the record's source, so the two ways swap;
		 * the bidirectional ones are the connection's and stay.
		 */
		SWAP2(s.feat.packets);
		SWAP2(s.feat.ps_min);
		SWAP2(s.feat.ps_max);
		SWAP2(s.feat.ps_mean);
		SWAP2(s.feat.ps_stddev);
		SWAP2(s.feat.piat_min_ms);
		SWAP2(s.feat.piat_mean_ms);
		SWAP2(s.feat.piat_stddev_ms);
		SWAP2(s.feat.piat_max_ms);
		add_record(x, &s, false);
	}
}

void
sf_ipfix_write_interval(void *arg, const struct sf_interval_agg *a)
{
	struct sf_ipfix *x = arg;
	unsigned int i;

	x->seen += a->received;
	for (i = 0; i < SF_DROP_MAX; i++)
		x->dropped += a->dropped[i];
	sf_ipfix_flush(x);
}

/*
 * Every template a record of this run has used so far, the statistics
 * and selector options and the type records, as messages into buf: what
 * a new TCP session starts with (sf_ipfix_dest.h). The builder's state is
 * put aside and back, so the message being filled is untouched and the
 * template cycle of the other destinations goes on as it was.
 */
static size_t
ipfix_templates(void *arg, uint8_t *buf, size_t cap, uint32_t seq, uint32_t *records)
{
	struct sf_ipfix *x = arg;
	struct sf_ipfix saved = *x;
	bool bi = x->p.mode == SF_IPFIX_BIFLOW, sel = x->p.sampling != SF_SAMPLING_NONE;
	unsigned int v;

	x->msg = x->cap_msg;
	x->capturing = true;
	x->cap_buf = buf;
	x->cap_len = 0;
	x->cap_max = cap;
	x->cap_seq = seq;
	x->cap_records = 0;
	x->max = IPFIX_MSG_MAX;
	x->set_off = 0;
	x->set_id = 0;
	x->tpl_due = true;
	begin_message(x);
	for (v = 0; v < RTE_DIM(x->var_used); v++)
		if (x->var_used[v])
			put_var_template(x, v & 1, bi, sel, (v >> 1) & 1, (v >> 2) & 1,
					(v >> 3) & 1, (v >> 4) & 1, 0);
	sf_ipfix_flush(x);
	*records = x->cap_records;
	cap = x->cap_len;
	*x = saved;
	return cap;
}

struct sf_ipfix *
sf_ipfix_open(const struct sf_ipfix_params *p, char *err, size_t errlen)
{
	struct sf_ipfix *x = calloc(1, sizeof(*x));
	uint32_t overhead = 28;	/* IPv4 + UDP headers */
	unsigned int i;

	if (x == NULL) {
		snprintf(err, errlen, "ipfix: out of memory");
		return NULL;
	}
	x->p = *p;
	x->p.dest = NULL;	/* the caller's; not kept */
	x->p.tcp = NULL;
	x->p.file = NULL;
	x->linger_ns = p->linger_ns;
	if (p->n_dest + p->n_tcp + (p->file != NULL && p->file[0] != '\0') > SF_IPFIX_MAX_DEST ||
			p->mtu < 576 || p->mtu > 65535) {
		snprintf(err, errlen, "ipfix: at most %d destinations and an MTU of 576..65535",
				SF_IPFIX_MAX_DEST);
		goto fail;
	}
	for (i = 0; i < p->n_dest + p->n_tcp; i++) {
		bool udp = i < p->n_dest;

		x->dest[x->n_dest] = sf_ipfix_dest_open(udp ? SF_IPFIX_DEST_UDP : SF_IPFIX_DEST_TCP,
				udp ? &p->dest[i] : &p->tcp[i - p->n_dest], NULL,
				p->tcp_buffer != 0 ? p->tcp_buffer : SF_IPFIX_TCP_BUFFER,
				ipfix_templates, x, &overhead, err, errlen);
		if (x->dest[x->n_dest] == NULL)
			goto fail;
		x->n_dest++;
		x->n_udp += udp;
		x->n_tcp += !udp;
	}
	if (p->file != NULL && p->file[0] != '\0') {
		x->dest[x->n_dest] = sf_ipfix_dest_open(SF_IPFIX_DEST_FILE, NULL, p->file, 0,
				ipfix_templates, x, &overhead, err, errlen);
		if (x->dest[x->n_dest] == NULL)
			goto fail;
		x->n_dest++;
		x->n_file++;
	}
	/*
	 * The MTU is UDP's: over TCP and in files a message may take what its
	 * 16-bit length allows, and templates go once per session or file (a
	 * reliable transport needs no refresh, RFC 7011 section 8.4).
	 */
	if (x->n_udp == 0 && p->send == NULL) {
		x->max = IPFIX_MSG_MAX;
		x->p.template_refresh_ns = 0;
		x->p.template_messages = 0;
	} else {
		x->max = p->mtu - overhead;
	}
	x->msg = malloc(IPFIX_MSG_MAX);
	/* A new TCP session's or a reopened file's templates: built in a message of their own. */
	if ((x->n_tcp != 0 || x->n_file != 0) && x->msg != NULL) {
		x->cap_msg = malloc(IPFIX_MSG_MAX);
		if (x->cap_msg == NULL) {
			free(x->msg);
			x->msg = NULL;
		}
	}
	if (x->msg == NULL) {
		snprintf(err, errlen, "ipfix: out of memory");
		goto fail;
	}
	x->tpl_due = true;
	for (i = 0; i < RTE_DIM(x->app_tpl_fits); i++) {
		uint8_t tpl[TEMPLATE_LONGEST];
		size_t tl = (size_t)(put_template(tpl, i & 1, p->mode == SF_IPFIX_BIFLOW,
				p->sampling != SF_SAMPLING_NONE, (i >> 1) & 1, (i >> 2) & 1, true,
				false) - tpl);

		x->app_tpl_fits[i] = IPFIX_HDR_LEN + IPFIX_SET_HDR_LEN + tl <= x->max;
	}
	/*
	 * A feature template, and its record with any texts cut to nothing:
	 * unlike the others, a feature record may be longer than its template
	 * (IPv6 addresses, 8-byte values of 4-byte template fields).
	 */
	for (i = 0; i < RTE_DIM(x->feat_tpl_fits); i++) {
		bool bi = p->mode == SF_IPFIX_BIFLOW, sel = p->sampling != SF_SAMPLING_NONE;
		bool v6 = i & 1, tun = (i >> 1) & 1, tcp = (i >> 2) & 1, app = (i >> 3) & 1;
		uint8_t tpl[TEMPLATE_LONGEST];
		size_t tl = (size_t)(put_template(tpl, v6, bi, sel, tun, tcp, app, true) - tpl);
		size_t rl = record_len_cut(v6, bi, tun, tcp, app, true) + (sel ? 8 : 0);

		x->feat_tpl_fits[i] = IPFIX_HDR_LEN + IPFIX_SET_HDR_LEN + RTE_MAX(tl, rl) <= x->max;
	}
	return x;
fail:
	sf_ipfix_close(x, NULL);
	return NULL;
}

void
sf_ipfix_get_stats(const struct sf_ipfix *x, struct sf_ipfix_stats *s)
{
	struct sf_ipfix_dest_stats ds;
	unsigned int i;

	*s = x->st;
	for (i = 0; i < x->n_dest; i++) {
		sf_ipfix_dest_stats(x->dest[i], &ds);
		s->messages_lost += ds.messages_lost;
		s->records_lost += ds.records_lost;
		s->queued += ds.queued;
		s->reconnects += ds.reconnects;
		if (ds.last_error != 0)
			s->last_error = ds.last_error;
	}
}

void
sf_ipfix_tick(struct sf_ipfix *x, uint64_t now_ns)
{
	unsigned int i;

	for (i = 0; i < x->n_dest; i++)
		sf_ipfix_dest_tick(x->dest[i], now_ns);
}

static void
ipfix_tick(void *arg, uint64_t now_ns)
{
	sf_ipfix_tick(arg, now_ns);
}

/* Send what is left and the final statistics; close the sockets. Once. */
static void
ipfix_finish(struct sf_ipfix *x)
{
	unsigned int i;

	if (x->msg != NULL) {
		sf_ipfix_flush(x);
		/* Final statistics, with their template. */
		x->tpl_due = true;
		begin_message(x);
		sf_ipfix_flush(x);
	}
	/* TCP collectors get a while to take and confirm the rest (export.ipfix_linger). */
	if (x->n_tcp != 0) {
		uint64_t t0 = mono_ns(), now = t0;
		bool idle;

		do {
			idle = true;
			sf_ipfix_tick(x, now);
			for (i = 0; i < x->n_dest; i++)
				idle = idle && sf_ipfix_dest_idle(x->dest[i]);
			if (!idle)
				usleep(10 * 1000);
			now = mono_ns();
		} while (!idle && now - t0 < x->linger_ns);
	}
	for (i = 0; i < x->n_dest; i++) {
		int rc = sf_ipfix_dest_close(x->dest[i]);

		if (rc < 0 && x->close_error == 0)
			x->close_error = -rc;
	}
	free(x->msg);
	x->msg = NULL;
	free(x->cap_msg);
	x->cap_msg = NULL;
}

static void
ipfix_free(void *arg)
{
	struct sf_ipfix *x = arg;
	unsigned int i;

	for (i = 0; i < x->n_dest; i++)
		sf_ipfix_dest_free(x->dest[i]);
	free(x);
}

void
sf_ipfix_close(struct sf_ipfix *x, struct sf_ipfix_stats *last)
{
	if (x == NULL)
		return;
	ipfix_finish(x);
	if (last != NULL)
		sf_ipfix_get_stats(x, last);
	ipfix_free(x);
}

/* Exporter: export.ipfix */

static int
ipfix_open(const struct sf_config *cfg, void **x, char *err, size_t errlen)
{
	struct sf_ipfix_params p;

	*x = NULL;
	if (cfg->n_ipfix == 0 && cfg->n_ipfix_tcp == 0 && cfg->ipfix_file[0] == '\0')
		return 0;
	memset(&p, 0, sizeof(p));
	p.n_dest = cfg->n_ipfix;
	p.dest = cfg->ipfix;
	p.n_tcp = cfg->n_ipfix_tcp;
	p.tcp = cfg->ipfix_tcp;
	p.file = cfg->ipfix_file;
	p.tcp_buffer = (size_t)cfg->ipfix_buffer;
	p.linger_ns = cfg->ipfix_linger_ns;
	p.mode = cfg->ipfix_mode == SF_IPFIX_MODE_UNIFLOW ? SF_IPFIX_UNIFLOW : SF_IPFIX_BIFLOW;
	p.domain = cfg->observation_domain;
	p.mtu = cfg->mtu;
	p.template_refresh_ns = cfg->template_refresh_ns;
	p.template_messages = cfg->template_messages;
	p.sampling = (uint8_t)sf_config_sampling(cfg);
	p.sampling_rate = cfg->sample_rate;
	*x = sf_ipfix_open(&p, err, errlen);
	return *x != NULL ? 0 : -1;
}

/* Where the messages went: "1 collector over UDP, 1 over TCP and a file". */
static void
dest_summary(const struct sf_ipfix *x, char *buf, size_t len)
{
	int n = 0;

	buf[0] = '\0';
	if (x->n_udp != 0)
		n += snprintf(buf + n, len - (size_t)n, "%u collector%s%s", x->n_udp,
				x->n_udp == 1 ? "" : "s",
				x->n_tcp + x->n_file != 0 ? " over UDP" : "");
	if (x->n_tcp != 0 && n < (int)len)
		n += snprintf(buf + n, len - (size_t)n, "%s%u collector%s over TCP",
				n ? (x->n_file ? ", " : " and ") : "", x->n_tcp,
				x->n_tcp == 1 ? "" : "s");
	if (x->n_file != 0 && n < (int)len)
		(void)snprintf(buf + n, len - (size_t)n, "%sa file", n ? " and " : "");
}

/* Messages a collector did not take are a warning: the run itself went well. */
static int
ipfix_close(void *arg, char *err, size_t errlen)
{
	struct sf_ipfix *x = arg;
	struct sf_ipfix_stats s;
	char where[128];

	ipfix_finish(x);
	sf_ipfix_get_stats(x, &s);
	dest_summary(x, where, sizeof(where));
	if (x->close_error != 0) {
		snprintf(err, errlen, "IPFIX file %s: %s",
				sf_ipfix_dest_name(x->dest[x->n_dest - 1]), strerror(x->close_error));
		return -1;
	}
	if (s.messages_lost == 0)
		return 0;
	snprintf(err, errlen, "IPFIX to %s: %" PRIu64 " of %" PRIu64 " messages (%" PRIu64
			" records) not delivered: %s; %s", where, s.messages_lost,
			s.messages * x->n_dest, s.records_lost, strerror(s.last_error),
			x->n_tcp != 0 ? "a collector was away longer than export.ipfix_buffer "
			"or export.ipfix_linger allowed" : "the collector is absent or too slow");
	return 1;
}

/*
 * SIGHUP: the file (export.ipfix_file) is opened again, starting with the
 * templates; what was built before goes to the old file first. The
 * collectors' sessions go on as they were.
 */
static int
ipfix_reopen(void *arg, char *err, size_t errlen)
{
	struct sf_ipfix *x = arg;
	unsigned int i;
	int rc, ret = 0;

	if (x->n_file == 0 || x->msg == NULL)
		return 1;
	sf_ipfix_flush(x);
	for (i = 0; i < x->n_dest; i++) {
		rc = sf_ipfix_dest_reopen(x->dest[i]);
		if (rc < 0 && ret == 0) {
			snprintf(err, errlen, "IPFIX file %s: cannot reopen: %s",
					sf_ipfix_dest_name(x->dest[i]), strerror(-rc));
			ret = -1;
		}
	}
	return ret;
}

static void
ipfix_stats(const void *arg, struct sf_exporter_stats *st)
{
	const struct sf_ipfix *x = arg;
	struct sf_ipfix_stats s;
	unsigned int i;

	sf_ipfix_get_stats(x, &s);
	/* Records built for every destination; losses and waits are summed over them. */
	st->written = s.records;
	st->lost = s.records_lost;
	st->queued = s.queued;
	st->retries = s.reconnects;
	st->up = -1;
	for (i = 0; i < x->n_dest; i++) {
		int up = sf_ipfix_dest_up(x->dest[i]);

		if (up >= 0)
			st->up = st->up < 0 ? up : st->up && up;
	}
}

static void
ipfix_report(const void *arg, FILE *f)
{
	const struct sf_ipfix *x = arg;
	struct sf_ipfix_stats s;
	char where[128];

	sf_ipfix_get_stats(x, &s);
	dest_summary(x, where, sizeof(where));
	fprintf(f, "export: ipfix to %s: %" PRIu64 " messages, %" PRIu64
			" records, %" PRIu64 " bytes; lost %" PRIu64 " messages (%" PRIu64
			" records)", where, s.messages, s.records, s.octets, s.messages_lost,
			s.records_lost);
	/* Only when it happened: the line stays as it was for every other run. */
	if (s.reconnects != 0)
		fprintf(f, "; %" PRIu64 " TCP reconnection%s", s.reconnects,
				s.reconnects == 1 ? "" : "s");
	if (s.texts_cut != 0)
		fprintf(f, "; %" PRIu64 " records with texts cut to fit export.mtu %u",
				s.texts_cut, x->p.mtu);
	if (s.apps_left_out != 0)
		fprintf(f, "; %" PRIu64 " records without their app elements (template longer "
				"than export.mtu %u)", s.apps_left_out, x->p.mtu);
	if (s.feats_left_out != 0)
		fprintf(f, "; %" PRIu64 " records without their feature elements (template or "
				"record longer than export.mtu %u)", s.feats_left_out, x->p.mtu);
	fputc('\n', f);
}

const struct sf_exporter_ops sf_exporter_ipfix = {
	.name = "ipfix",
	.open = ipfix_open,
	.record = sf_ipfix_write_record,
	.interval = sf_ipfix_write_interval,
	.tick = ipfix_tick,
	.reopen = ipfix_reopen,
	.close = ipfix_close,
	.stats = ipfix_stats,
	.report = ipfix_report,
	.free = ipfix_free,
};
