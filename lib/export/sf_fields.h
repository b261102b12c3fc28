/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow record fields, declared once. Every exporter (JSON lines, CSV,
 * IPFIX) is generated from this list:
 *
 *   X(name, kind, expression over the record `r`, ie4, ie6, rev)
 *
 * name is the JSON key and CSV column. Kinds: TIME a Unix epoch time in ns
 * (IPFIX: dateTimeMilliseconds, 8 bytes), U64/U32/U16/U8 numbers of that
 * size, ADDR an address (the expression is the 16-byte array; IPFIX: 4
 * bytes in the IPv4 template, 16 in the IPv6 one), REASON the end reason
 * (JSON/CSV: its name; IPFIX: flowEndReason code, 1 byte), CTX a tunnel
 * context kind (JSON/CSV: its name; not in IPFIX: ie4 0), CTXID the
 * context's id (the expression is the record; JSON/CSV: the number; IPFIX:
 * layer2SegmentId, 8 bytes, RFC 7133's segment type in the top octet: 0x01
 * VXLAN/Geneve VNI, 0x02 GRE key; other contexts 0), SAMPLING how the
 * packets were selected (JSON/CSV: its name, sf_sampling_name; not in
 * IPFIX, which sends the sampling as a PSAMP selector: records carry its
 * selectorId, an options record describes it). A field with ie4 0 is
 * left out of IPFIX.
 * ie4/ie6 are the IANA information element ids in the IPv4 and IPv6
 * templates (equal unless the element depends on the address family).
 * rev = 1 marks the responder->initiator counterpart of a field: in biflow
 * mode it is the reverse element (RFC 5103: same id, enterprise bit, PEN
 * 29305); uniflow mode leaves it out and sends a second record instead.
 */
#ifndef SF_FIELDS_H
#define SF_FIELDS_H

#include "sf_flow.h"

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
	X(tunnel, CTX, r->key.ctx_kind, 0, 0, 0) \
	X(tunnel_id, CTXID, r, SF_IE_LAYER2_SEGMENT_ID, SF_IE_LAYER2_SEGMENT_ID, 0) \
	X(ingress_port, U32, r->port, SF_IE_INGRESS_INTERFACE, SF_IE_INGRESS_INTERFACE, 0) \
	X(packets, U64, r->packets[0], \
		SF_IE_PACKET_DELTA_COUNT, SF_IE_PACKET_DELTA_COUNT, 0) \
	X(bytes, U64, r->bytes[0], SF_IE_OCTET_DELTA_COUNT, SF_IE_OCTET_DELTA_COUNT, 0) \
	X(rev_packets, U64, r->packets[1], \
		SF_IE_PACKET_DELTA_COUNT, SF_IE_PACKET_DELTA_COUNT, 1) \
	X(rev_bytes, U64, r->bytes[1], SF_IE_OCTET_DELTA_COUNT, SF_IE_OCTET_DELTA_COUNT, 1) \
	X(tcp_flags, U8, r->tcp_flags[0], SF_IE_TCP_CONTROL_BITS, SF_IE_TCP_CONTROL_BITS, 0) \
	X(rev_tcp_flags, U8, r->tcp_flags[1], \
		SF_IE_TCP_CONTROL_BITS, SF_IE_TCP_CONTROL_BITS, 1) \
	X(dscp, U8, r->dscp, SF_IE_IP_DIFFSERV_CODE_POINT, SF_IE_IP_DIFFSERV_CODE_POINT, 0) \
	X(end_reason, REASON, r->end_reason, SF_IE_FLOW_END_REASON, SF_IE_FLOW_END_REASON, 0) \
	X(sampling, SAMPLING, r->sampling, 0, 0, 0) \
	X(sampling_rate, U32, r->sampling_rate, 0, 0, 0)

#endif /* SF_FIELDS_H */
