/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow record fields, declared once. Every exporter (JSON lines, CSV,
 * IPFIX) is generated from this list:
 *
 *   X(name, kind, expression over the record `r`, ie4, ie6, flags)
 *
 * name is the JSON key and CSV column. Kinds: TIME a Unix epoch time in ns
 * (IPFIX: dateTimeMilliseconds, 8 bytes), U64/U32/U16/U8 numbers of that
 * size, ADDR an address (the expression is the 16-byte array; IPFIX: 4
 * bytes in the IPv4 template, 16 in the IPv6 one), REASON the end reason
 * (JSON/CSV: its name; IPFIX: flowEndReason code, 1 byte), CTX a tunnel
 * context kind (JSON/CSV: its name; IPFIX: unsigned8, the enum
 * sf_flow_ctx_kind value, in the tunnel templates), CTXID the
 * context's id (the expression is the record; JSON/CSV: the number; IPFIX:
 * layer2SegmentId, 8 bytes, RFC 7133's segment type in the top octet: 0x01
 * VXLAN/Geneve VNI, 0x02 GRE key; other contexts 0), SAMPLING how the
 * packets were selected (JSON/CSV: its name, sf_sampling_name; not in
 * IPFIX, which sends the sampling as a PSAMP selector: records carry its
 * selectorId, an options record describes it). A field with ie4 0 is
 * left out of IPFIX.
 * ie4/ie6 are the IANA information element ids in the IPv4 and IPv6
 * templates (equal unless the element depends on the address family).
 * The last column holds flags:
 *  - SF_F_REV: the responder->initiator counterpart of a field: in biflow
 *    mode it is the reverse element (RFC 5103: same id, enterprise bit, PEN
 *    29305); uniflow mode leaves it out and sends a second record instead.
 *  - SF_F_TUN: what carried a tunnelled flow (sf_flow_record.tun): JSON
 *    leaves the key out when the record has no such value, CSV leaves the
 *    cell empty, IPFIX sends it only in the tunnel templates (records whose
 *    flow was tunnelled).
 *  - SF_F_PEN: the id is spanflow's enterprise element (SF_IPFIX_PEN).
 *  - SF_F_TCP: TCP health (sf_flow_record.tcp): IPFIX sends it only in the
 *    TCP templates (records of analysed TCP flows, SF_FLOW_TCP_VALID).
 *  - SF_F_APP: application metadata (sf_flow_record.app): IPFIX sends it
 *    only in the app templates (records whose app.kind is not SF_APP_NONE).
 *  - SF_F_FEAT: flow features (sf_flow_record.feat, lib/feat/sf_feat_fields.h):
 *    IPFIX sends them only in the feature templates (records with features,
 *    feat.packets[SF_FEAT_BIDIR] not 0).
 * A reverse enterprise element (SF_F_REV | SF_F_PEN) is spanflow's own:
 * the forward id with bit 14 set (SF_IE_SF_REVERSE), as libfixbuf names
 * the reverse of an enterprise element; RFC 5103's PEN 29305 reverses
 * IANA elements only.
 * Tunnel kinds: ENCAPS the encapsulation set (JSON/CSV: names joined by
 * '+', lib/pkt's order; IPFIX: the 32-bit mask, bit n = SF_ENCAP_* n),
 * OADDR an outer address (the tunnel's own IP version; IPFIX: 16 bytes,
 * IPv4 as ::ffff:a.b.c.d), OPT an id that may be absent (the expression is
 * -1 then; IPFIX: unsigned32, 0 when absent), MPLS a label (absent as
 * OPT; IPFIX: the 3-byte label stack section, label << 4, EXP and S 0).
 * More kinds of a value that may be absent (-1), written as OPT in JSON
 * and CSV, differing in IPFIX: OPT64, OPT16 and OPT8 are unsigned64,
 * unsigned16 and unsigned8 with 0 when absent (for values where 0 says
 * nothing: a count, an RTT, an MSS); OPTN16 and OPTN8 are unsigned16 and
 * unsigned8 with all ones when absent (for values where 0 is a value: a
 * window scale shift, an option's yes/no). STR a short
 * ASCII text that may be absent (the expression is a NUL-terminated string
 * of at most SF_FMT_MAX_STR bytes, or NULL; JSON: a string, the key left
 * out when absent; CSV: the text or an empty cell; IPFIX: string of
 * variable length, RFC 7011 section 7, an empty one when absent). ZSTATE
 * Zeek's conn_state (the expression is the enum sf_zeek_state value; JSON
 * and CSV: its name, absent for SF_ZEEK_NONE; IPFIX: unsigned8, the value).
 */
#ifndef SF_FIELDS_H
#define SF_FIELDS_H

#include "sf_flow.h"
#include "sf_pkt.h"

struct sf_flow_record;

#define SF_F_REV 1
#define SF_F_TUN 2
#define SF_F_PEN 4
#define SF_F_TCP 8
#define SF_F_APP 32	/* 16 is SF_F_FEAT's (lib/feat/sf_feat_fields.h) */
#include "sf_feat_fields.h"	/* SF_F_FEAT, SF_FEAT_FIELDS */

/* An id of the record's tunnel part, or -1 when the flow's packets had none. */
static inline int64_t
sf_flow_tun_id(const struct sf_flow_record *r, unsigned int id)
{
	if (!(r->tun.ids & id))
		return -1;
	if (id & (SF_PKT_ID_VNI | SF_PKT_ID_MIRROR_VNI))
		return r->tun.vni;
	if (id & SF_PKT_ID_GRE_KEY)
		return r->tun.gre_key;
	if (id & SF_PKT_ID_TEID)
		return r->tun.teid;
	if (id & SF_PKT_ID_ERSPAN)
		return r->tun.erspan;
	return -1;
}

/* MPLS label i (top of stack first), or -1. */
static inline int64_t
sf_flow_tun_mpls(const struct sf_flow_record *r, unsigned int i)
{
	return i < r->tun.n_mpls && i < SF_FLOW_TUN_MPLS ? (int64_t)r->tun.mpls[i] : -1;
}

/* Zeek's history of an analysed TCP flow, or NULL (not analysed, or no letter yet). */
static inline const char *
sf_flow_tcp_history(const struct sf_flow_record *r)
{
	return (r->tcp.flags & SF_FLOW_TCP_VALID) && r->tcp.history[0] != '\0' ?
		r->tcp.history : NULL;
}

/* A TCP health figure of the record, or -1 when the flow was not analysed. */
static inline int64_t
sf_flow_tcp_val(const struct sf_flow_record *r, uint64_t v)
{
	return r->tcp.flags & SF_FLOW_TCP_VALID ? (int64_t)v : -1;
}

/* The handshake RTT halves, or -1 when the handshake was not seen. */
static inline int64_t
sf_flow_tcp_rtt(const struct sf_flow_record *r, bool client)
{
	if (!(r->tcp.flags & SF_FLOW_TCP_RTT))
		return -1;
	return (int64_t)(client ? r->tcp.rtt_client_ns : r->tcp.rtt_server_ns);
}

/*
 * What side d's first SYN offered: 0 MSS (-1 without the option), 1
 * window scale (-1 without), 2 SACK permitted (0/1), 3 timestamps (0/1);
 * -1 for all when no SYN of that side was seen.
 */
static inline int64_t
sf_flow_tcp_syn(const struct sf_flow_record *r, unsigned int d, unsigned int what)
{
	const struct sf_flow_tcp *t = &r->tcp;

	if (!(t->flags & SF_FLOW_TCP_VALID) || !(t->opts[d] & SF_FLOW_TCP_SYN))
		return -1;
	switch (what) {
	case 0:
		return t->mss[d] != 0 ? t->mss[d] : -1;
	case 1:
		return t->wscale[d] != SF_FLOW_TCP_NO_WSCALE ? t->wscale[d] : -1;
	case 2:
		return (t->opts[d] & SF_FLOW_TCP_SACK) != 0;
	default:
		return (t->opts[d] & SF_FLOW_TCP_TS) != 0;
	}
}

/*
 * A text of the record's application metadata when its kind is one of
 * `kinds` (bits 1 << SF_APP_*) and the text is not empty, else NULL.
 */
static inline const char *
sf_flow_app_text(const struct sf_flow_record *r, unsigned int kinds, const char *s)
{
	return ((kinds >> r->app.kind) & 1) && s[0] != '\0' ? s : NULL;
}

#define SF_APP_BIT_TLS ((1u << SF_APP_TLS) | (1u << SF_APP_QUIC))
#define SF_APP_BIT_DNS (1u << SF_APP_DNS)
#define SF_APP_BIT_HTTP (1u << SF_APP_HTTP)

/* A number of the application metadata, or -1 when the kind is not one of `kinds` or ok is false. */
static inline int64_t
sf_flow_app_val(const struct sf_flow_record *r, unsigned int kinds, bool ok, uint64_t v)
{
	return ((kinds >> r->app.kind) & 1) && ok ? (int64_t)v : -1;
}

/* spanflow's enterprise elements (SF_F_PEN): docs in README "IPFIX". */
#define SF_IE_SF_ENCAPS 1
#define SF_IE_SF_OUTER_SRC 2
#define SF_IE_SF_OUTER_DST 3
#define SF_IE_SF_ERSPAN_SESSION 4
#define SF_IE_SF_VNI 5
#define SF_IE_SF_GRE_KEY 6
#define SF_IE_SF_TEID 7
#define SF_IE_SF_CONTEXT 8
#define SF_IE_SF_RTT_SERVER 9
#define SF_IE_SF_RTT_CLIENT 10
#define SF_IE_SF_RETRANS_PACKETS 11
#define SF_IE_SF_RETRANS_OCTETS 12
#define SF_IE_SF_OOO_PACKETS 13
#define SF_IE_SF_DUP_ACKS 14
#define SF_IE_SF_ZERO_WINDOWS 15
#define SF_IE_SF_TCP_INIT_FLAGS 16
#define SF_IE_SF_SYN_MSS 17
#define SF_IE_SF_SYN_SACK 18
#define SF_IE_SF_SYN_TS 19
#define SF_IE_SF_CONN_STATE 20
#define SF_IE_SF_HISTORY 21
/* 22..35: flow features (SF_IE_SF_BI_MIN_PS.., lib/feat/sf_feat_fields.h); 36..39 kept free */
#define SF_IE_SF_APP_KIND 40
#define SF_IE_SF_TLS_SERVER_NAME 41
#define SF_IE_SF_TLS_ALPN 42
#define SF_IE_SF_TLS_VERSION 43
#define SF_IE_SF_TLS_JA3 44
#define SF_IE_SF_TLS_JA4 45
#define SF_IE_SF_QUIC_VERSION 46
#define SF_IE_SF_DNS_QUERY_NAME 47
#define SF_IE_SF_DNS_QUERY_TYPE 48
#define SF_IE_SF_DNS_RESPONSE_CODE 49
#define SF_IE_SF_HTTP_HOST 50
#define SF_IE_SF_HTTP_METHOD 51
#define SF_IE_SF_HTTP_USER_AGENT 52
#define SF_IE_SF_LAST SF_IE_SF_HTTP_USER_AGENT
/* The reverse of spanflow's element n (biflow mode) is n | SF_IE_SF_REVERSE. */
#define SF_IE_SF_REVERSE 0x4000

/* IANA ids used below */
#define SF_IE_OCTET_DELTA_COUNT 1
#define SF_IE_PACKET_DELTA_COUNT 2
#define SF_IE_PROTOCOL_IDENTIFIER 4
#define SF_IE_TCP_CONTROL_BITS 6
#define SF_IE_INGRESS_INTERFACE 10
#define SF_IE_SOURCE_TRANSPORT_PORT 7
#define SF_IE_SOURCE_IPV4_ADDRESS 8
#define SF_IE_DESTINATION_TRANSPORT_PORT 11
#define SF_IE_DESTINATION_IPV4_ADDRESS 12
#define SF_IE_SOURCE_IPV6_ADDRESS 27
#define SF_IE_DESTINATION_IPV6_ADDRESS 28
#define SF_IE_VLAN_ID 58
#define SF_IE_IP_VERSION 60
#define SF_IE_FLOW_END_REASON 136
#define SF_IE_FLOW_START_MILLISECONDS 152
#define SF_IE_FLOW_END_MILLISECONDS 153
#define SF_IE_IP_DIFFSERV_CODE_POINT 195
#define SF_IE_LAYER2_SEGMENT_ID 351
#define SF_IE_MPLS_TOP_LABEL_STACK_SECTION 70
#define SF_IE_MPLS_LABEL_STACK_SECTION2 71
#define SF_IE_MPLS_LABEL_STACK_SECTION3 72
#define SF_IE_TCP_WINDOW_SCALE 238
/* Packets with a TCP flag (unsigned64, sent in 4 bytes: RFC 7011 reduced-size encoding). */
#define SF_IE_TCP_SYN_TOTAL_COUNT 218
#define SF_IE_TCP_FIN_TOTAL_COUNT 219
#define SF_IE_TCP_RST_TOTAL_COUNT 220
#define SF_IE_TCP_PSH_TOTAL_COUNT 221
#define SF_IE_TCP_ACK_TOTAL_COUNT 222
#define SF_IE_TCP_URG_TOTAL_COUNT 223

#define SF_FLOW_FIELDS(X) \
	X(start_ns, TIME, r->start_ns, \
		SF_IE_FLOW_START_MILLISECONDS, SF_IE_FLOW_START_MILLISECONDS, 0) \
	X(end_ns, TIME, r->end_ns, \
		SF_IE_FLOW_END_MILLISECONDS, SF_IE_FLOW_END_MILLISECONDS, 0) \
	X(src_addr, ADDR, sf_flow_record_addr(r, false), \
		SF_IE_SOURCE_IPV4_ADDRESS, SF_IE_SOURCE_IPV6_ADDRESS, 0) \
	X(src_port, U16, sf_flow_record_port(r, false), \
		SF_IE_SOURCE_TRANSPORT_PORT, SF_IE_SOURCE_TRANSPORT_PORT, 0) \
	X(dst_addr, ADDR, sf_flow_record_addr(r, true), \
		SF_IE_DESTINATION_IPV4_ADDRESS, SF_IE_DESTINATION_IPV6_ADDRESS, 0) \
	X(dst_port, U16, sf_flow_record_port(r, true), \
		SF_IE_DESTINATION_TRANSPORT_PORT, SF_IE_DESTINATION_TRANSPORT_PORT, 0) \
	X(proto, U8, r->key.proto, \
		SF_IE_PROTOCOL_IDENTIFIER, SF_IE_PROTOCOL_IDENTIFIER, 0) \
	X(ip_version, U8, r->key.ipver, SF_IE_IP_VERSION, SF_IE_IP_VERSION, 0) \
	X(vlan, U16, r->key.vlan, SF_IE_VLAN_ID, SF_IE_VLAN_ID, 0) \
	X(tunnel, CTX, r->key.ctx_kind, SF_IE_SF_CONTEXT, SF_IE_SF_CONTEXT, SF_F_TUN | SF_F_PEN) \
	X(tunnel_id, CTXID, r, SF_IE_LAYER2_SEGMENT_ID, SF_IE_LAYER2_SEGMENT_ID, 0) \
	X(ingress_port, U32, r->port, SF_IE_INGRESS_INTERFACE, SF_IE_INGRESS_INTERFACE, 0) \
	X(packets, U64, r->packets[0], \
		SF_IE_PACKET_DELTA_COUNT, SF_IE_PACKET_DELTA_COUNT, 0) \
	X(bytes, U64, r->bytes[0], SF_IE_OCTET_DELTA_COUNT, SF_IE_OCTET_DELTA_COUNT, 0) \
	X(rev_packets, U64, r->packets[1], \
		SF_IE_PACKET_DELTA_COUNT, SF_IE_PACKET_DELTA_COUNT, SF_F_REV) \
	X(rev_bytes, U64, r->bytes[1], SF_IE_OCTET_DELTA_COUNT, SF_IE_OCTET_DELTA_COUNT, SF_F_REV) \
	X(tcp_flags, U8, r->tcp_flags[0], SF_IE_TCP_CONTROL_BITS, SF_IE_TCP_CONTROL_BITS, 0) \
	X(rev_tcp_flags, U8, r->tcp_flags[1], \
		SF_IE_TCP_CONTROL_BITS, SF_IE_TCP_CONTROL_BITS, SF_F_REV) \
	X(dscp, U8, r->dscp, SF_IE_IP_DIFFSERV_CODE_POINT, SF_IE_IP_DIFFSERV_CODE_POINT, 0) \
	X(end_reason, REASON, r->end_reason, SF_IE_FLOW_END_REASON, SF_IE_FLOW_END_REASON, 0) \
	X(sampling, SAMPLING, r->sampling, 0, 0, 0) \
	X(sampling_rate, U32, r->sampling_rate, 0, 0, 0) \
	X(encap, ENCAPS, r->tun.encaps, SF_IE_SF_ENCAPS, SF_IE_SF_ENCAPS, SF_F_TUN | SF_F_PEN) \
	X(outer_src, OADDR, r->tun.outer_src, \
		SF_IE_SF_OUTER_SRC, SF_IE_SF_OUTER_SRC, SF_F_TUN | SF_F_PEN) \
	X(outer_dst, OADDR, r->tun.outer_dst, \
		SF_IE_SF_OUTER_DST, SF_IE_SF_OUTER_DST, SF_F_TUN | SF_F_PEN) \
	X(erspan_session, OPT, sf_flow_tun_id(r, SF_PKT_ID_ERSPAN), \
		SF_IE_SF_ERSPAN_SESSION, SF_IE_SF_ERSPAN_SESSION, SF_F_TUN | SF_F_PEN) \
	X(vni, OPT, sf_flow_tun_id(r, SF_PKT_ID_VNI | SF_PKT_ID_MIRROR_VNI), \
		SF_IE_SF_VNI, SF_IE_SF_VNI, SF_F_TUN | SF_F_PEN) \
	X(gre_key, OPT, sf_flow_tun_id(r, SF_PKT_ID_GRE_KEY), \
		SF_IE_SF_GRE_KEY, SF_IE_SF_GRE_KEY, SF_F_TUN | SF_F_PEN) \
	X(teid, OPT, sf_flow_tun_id(r, SF_PKT_ID_TEID), SF_IE_SF_TEID, SF_IE_SF_TEID, \
		SF_F_TUN | SF_F_PEN) \
	X(mpls_label1, MPLS, sf_flow_tun_mpls(r, 0), SF_IE_MPLS_TOP_LABEL_STACK_SECTION, \
		SF_IE_MPLS_TOP_LABEL_STACK_SECTION, SF_F_TUN) \
	X(mpls_label2, MPLS, sf_flow_tun_mpls(r, 1), SF_IE_MPLS_LABEL_STACK_SECTION2, \
		SF_IE_MPLS_LABEL_STACK_SECTION2, SF_F_TUN) \
	X(mpls_label3, MPLS, sf_flow_tun_mpls(r, 2), SF_IE_MPLS_LABEL_STACK_SECTION3, \
		SF_IE_MPLS_LABEL_STACK_SECTION3, SF_F_TUN) \
	SF_TCP_FIELDS(X) \
	SF_APP_FIELDS(X) \
	SF_FEAT_FIELDS(X)

/*
 * Application metadata (app.enabled, lib/app): in JSON only when found
 * (the key left out otherwise), CSV cells empty. Texts (TEXT) are JSON
 * strings and CSV cells quoted as RFC 4180 says when they need it. IPFIX
 * sends them in the app templates (SF_F_APP), as spanflow's elements (no
 * IANA element means the same), each with its type row in
 * SF_IPFIX_PEN_APP_ELEMENTS (sf_export_ipfix.c); none has a reverse: they
 * are the connection's, the same in both uniflow records. Absent values
 * there: an empty text, tls_version, quic_version and dns_qtype 0,
 * dns_rcode 255.
 */
/* An application metadata row: one element for both address families, in the app templates. */
#define SF_X_APP(X, name, kind, expr, ie) \
	X(name, kind, expr, ie, ie, SF_F_APP | SF_F_PEN)
#define SF_APP_FIELDS(X) \
	SF_X_APP(X, app, APP, r->app.kind, SF_IE_SF_APP_KIND) \
	SF_X_APP(X, tls_sni, TEXT, sf_flow_app_text(r, SF_APP_BIT_TLS, r->app.name), \
		SF_IE_SF_TLS_SERVER_NAME) \
	SF_X_APP(X, tls_alpn, TEXT, sf_flow_app_text(r, SF_APP_BIT_TLS, r->app.alpn), \
		SF_IE_SF_TLS_ALPN) \
	SF_X_APP(X, tls_version, TLSVER, \
		sf_flow_app_val(r, SF_APP_BIT_TLS, true, r->app.tls_version), \
		SF_IE_SF_TLS_VERSION) \
	SF_X_APP(X, tls_ja3, TEXT, sf_flow_app_text(r, SF_APP_BIT_TLS, r->app.ja3), \
		SF_IE_SF_TLS_JA3) \
	SF_X_APP(X, tls_ja4, TEXT, sf_flow_app_text(r, SF_APP_BIT_TLS, r->app.ja4), \
		SF_IE_SF_TLS_JA4) \
	SF_X_APP(X, quic_version, OPT, \
		sf_flow_app_val(r, 1u << SF_APP_QUIC, true, r->app.quic_version), \
		SF_IE_SF_QUIC_VERSION) \
	SF_X_APP(X, dns_qname, TEXT, sf_flow_app_text(r, SF_APP_BIT_DNS, r->app.name), \
		SF_IE_SF_DNS_QUERY_NAME) \
	SF_X_APP(X, dns_qtype, OPT16, sf_flow_app_val(r, SF_APP_BIT_DNS, \
		r->app.flags & SF_FLOW_APP_QTYPE, r->app.dns_qtype), SF_IE_SF_DNS_QUERY_TYPE) \
	SF_X_APP(X, dns_rcode, OPTN8, sf_flow_app_val(r, SF_APP_BIT_DNS, \
		r->app.flags & SF_FLOW_APP_RCODE, r->app.dns_rcode), SF_IE_SF_DNS_RESPONSE_CODE) \
	SF_X_APP(X, http_host, TEXT, sf_flow_app_text(r, SF_APP_BIT_HTTP, r->app.name), \
		SF_IE_SF_HTTP_HOST) \
	SF_X_APP(X, http_method, TEXT, sf_flow_app_text(r, SF_APP_BIT_HTTP, r->app.method), \
		SF_IE_SF_HTTP_METHOD) \
	SF_X_APP(X, http_user_agent, TEXT, sf_flow_app_text(r, SF_APP_BIT_HTTP, r->app.ua), \
		SF_IE_SF_HTTP_USER_AGENT)

/*
 * TCP health (tcp.analysis, lib/tcp): in JSON only for analysed TCP flows
 * (the RTT and SYN options only when seen), CSV cells empty otherwise. IPFIX
 * sends them in the TCP templates (SF_F_TCP): the IANA element where one
 * means the same (tcpWindowScale), spanflow's elements otherwise, each with
 * its type row in SF_IPFIX_PEN_TCP_ELEMENTS (sf_export_ipfix.c). A new
 * number is one row here and one there. Zeek's conn_state is its enum
 * sf_zeek_state value (1 S0 ... 13 OTH), the history a string of variable
 * length.
 */
/* A TCP health row: one element for both address families, in the TCP templates. */
#define SF_X_TCP(X, name, kind, expr, ie, flags) \
	X(name, kind, expr, ie, ie, SF_F_TCP | (flags))
#define SF_TCP_FIELDS(X) \
	SF_X_TCP(X, rtt_server_ns, OPT64, sf_flow_tcp_rtt(r, false), SF_IE_SF_RTT_SERVER, \
		SF_F_PEN) \
	SF_X_TCP(X, rtt_client_ns, OPT64, sf_flow_tcp_rtt(r, true), SF_IE_SF_RTT_CLIENT, \
		SF_F_PEN) \
	SF_X_TCP(X, retrans_packets, OPT, sf_flow_tcp_val(r, r->tcp.retrans_packets[0]), \
		SF_IE_SF_RETRANS_PACKETS, SF_F_PEN) \
	SF_X_TCP(X, rev_retrans_packets, OPT, sf_flow_tcp_val(r, r->tcp.retrans_packets[1]), \
		SF_IE_SF_RETRANS_PACKETS, SF_F_PEN | SF_F_REV) \
	SF_X_TCP(X, retrans_bytes, OPT64, sf_flow_tcp_val(r, r->tcp.retrans_bytes[0]), \
		SF_IE_SF_RETRANS_OCTETS, SF_F_PEN) \
	SF_X_TCP(X, rev_retrans_bytes, OPT64, sf_flow_tcp_val(r, r->tcp.retrans_bytes[1]), \
		SF_IE_SF_RETRANS_OCTETS, SF_F_PEN | SF_F_REV) \
	SF_X_TCP(X, ooo_packets, OPT, sf_flow_tcp_val(r, r->tcp.ooo_packets[0]), \
		SF_IE_SF_OOO_PACKETS, SF_F_PEN) \
	SF_X_TCP(X, rev_ooo_packets, OPT, sf_flow_tcp_val(r, r->tcp.ooo_packets[1]), \
		SF_IE_SF_OOO_PACKETS, SF_F_PEN | SF_F_REV) \
	SF_X_TCP(X, dup_acks, OPT, sf_flow_tcp_val(r, r->tcp.dup_acks[0]), \
		SF_IE_SF_DUP_ACKS, SF_F_PEN) \
	SF_X_TCP(X, rev_dup_acks, OPT, sf_flow_tcp_val(r, r->tcp.dup_acks[1]), \
		SF_IE_SF_DUP_ACKS, SF_F_PEN | SF_F_REV) \
	SF_X_TCP(X, zero_windows, OPT, sf_flow_tcp_val(r, r->tcp.zero_windows[0]), \
		SF_IE_SF_ZERO_WINDOWS, SF_F_PEN) \
	SF_X_TCP(X, rev_zero_windows, OPT, sf_flow_tcp_val(r, r->tcp.zero_windows[1]), \
		SF_IE_SF_ZERO_WINDOWS, SF_F_PEN | SF_F_REV) \
	SF_X_TCP(X, tcp_init_flags, OPT8, sf_flow_tcp_val(r, r->tcp.init_flags[0]), \
		SF_IE_SF_TCP_INIT_FLAGS, SF_F_PEN) \
	SF_X_TCP(X, rev_tcp_init_flags, OPT8, sf_flow_tcp_val(r, r->tcp.init_flags[1]), \
		SF_IE_SF_TCP_INIT_FLAGS, SF_F_PEN | SF_F_REV) \
	SF_X_TCP(X, syn_mss, OPT16, sf_flow_tcp_syn(r, 0, 0), SF_IE_SF_SYN_MSS, SF_F_PEN) \
	SF_X_TCP(X, rev_syn_mss, OPT16, sf_flow_tcp_syn(r, 1, 0), SF_IE_SF_SYN_MSS, \
		SF_F_PEN | SF_F_REV) \
	SF_X_TCP(X, syn_wscale, OPTN16, sf_flow_tcp_syn(r, 0, 1), SF_IE_TCP_WINDOW_SCALE, 0) \
	SF_X_TCP(X, rev_syn_wscale, OPTN16, sf_flow_tcp_syn(r, 1, 1), SF_IE_TCP_WINDOW_SCALE, \
		SF_F_REV) \
	SF_X_TCP(X, syn_sack, OPTN8, sf_flow_tcp_syn(r, 0, 2), SF_IE_SF_SYN_SACK, SF_F_PEN) \
	SF_X_TCP(X, rev_syn_sack, OPTN8, sf_flow_tcp_syn(r, 1, 2), SF_IE_SF_SYN_SACK, \
		SF_F_PEN | SF_F_REV) \
	SF_X_TCP(X, syn_ts, OPTN8, sf_flow_tcp_syn(r, 0, 3), SF_IE_SF_SYN_TS, SF_F_PEN) \
	SF_X_TCP(X, rev_syn_ts, OPTN8, sf_flow_tcp_syn(r, 1, 3), SF_IE_SF_SYN_TS, \
		SF_F_PEN | SF_F_REV) \
	SF_X_TCP(X, syn_packets, OPT, sf_flow_tcp_val(r, r->tcp.flag_packets[0][1]), \
		SF_IE_TCP_SYN_TOTAL_COUNT, 0) \
	SF_X_TCP(X, rev_syn_packets, OPT, sf_flow_tcp_val(r, r->tcp.flag_packets[1][1]), \
		SF_IE_TCP_SYN_TOTAL_COUNT, SF_F_REV) \
	SF_X_TCP(X, fin_packets, OPT, sf_flow_tcp_val(r, r->tcp.flag_packets[0][0]), \
		SF_IE_TCP_FIN_TOTAL_COUNT, 0) \
	SF_X_TCP(X, rev_fin_packets, OPT, sf_flow_tcp_val(r, r->tcp.flag_packets[1][0]), \
		SF_IE_TCP_FIN_TOTAL_COUNT, SF_F_REV) \
	SF_X_TCP(X, rst_packets, OPT, sf_flow_tcp_val(r, r->tcp.flag_packets[0][2]), \
		SF_IE_TCP_RST_TOTAL_COUNT, 0) \
	SF_X_TCP(X, rev_rst_packets, OPT, sf_flow_tcp_val(r, r->tcp.flag_packets[1][2]), \
		SF_IE_TCP_RST_TOTAL_COUNT, SF_F_REV) \
	SF_X_TCP(X, psh_packets, OPT, sf_flow_tcp_val(r, r->tcp.flag_packets[0][3]), \
		SF_IE_TCP_PSH_TOTAL_COUNT, 0) \
	SF_X_TCP(X, rev_psh_packets, OPT, sf_flow_tcp_val(r, r->tcp.flag_packets[1][3]), \
		SF_IE_TCP_PSH_TOTAL_COUNT, SF_F_REV) \
	SF_X_TCP(X, ack_packets, OPT, sf_flow_tcp_val(r, r->tcp.flag_packets[0][4]), \
		SF_IE_TCP_ACK_TOTAL_COUNT, 0) \
	SF_X_TCP(X, rev_ack_packets, OPT, sf_flow_tcp_val(r, r->tcp.flag_packets[1][4]), \
		SF_IE_TCP_ACK_TOTAL_COUNT, SF_F_REV) \
	SF_X_TCP(X, urg_packets, OPT, sf_flow_tcp_val(r, r->tcp.flag_packets[0][5]), \
		SF_IE_TCP_URG_TOTAL_COUNT, 0) \
	SF_X_TCP(X, rev_urg_packets, OPT, sf_flow_tcp_val(r, r->tcp.flag_packets[1][5]), \
		SF_IE_TCP_URG_TOTAL_COUNT, SF_F_REV) \
	SF_X_TCP(X, conn_state, ZSTATE, r->tcp.conn_state, SF_IE_SF_CONN_STATE, SF_F_PEN) \
	SF_X_TCP(X, history, STR, sf_flow_tcp_history(r), SF_IE_SF_HISTORY, SF_F_PEN)

#endif /* SF_FIELDS_H */
