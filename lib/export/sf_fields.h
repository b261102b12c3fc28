/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow record fields, declared once. Every exporter (JSON lines, CSV,
 * IPFIX) is generated from this list: X(name, kind, expression over the
 * record `r`). Kinds: U64/U32/U16/U8 numbers, ADDR an address (expression
 * is the 16-byte array), REASON the end reason name.
 */
#ifndef SF_FIELDS_H
#define SF_FIELDS_H

#include "sf_flow.h"

#define SF_FLOW_FIELDS(X) \
	X(start_ns, U64, r->start_ns) \
	X(end_ns, U64, r->end_ns) \
	X(src_addr, ADDR, sf_flow_record_addr(r, false)) \
	X(src_port, U16, sf_flow_record_port(r, false)) \
	X(dst_addr, ADDR, sf_flow_record_addr(r, true)) \
	X(dst_port, U16, sf_flow_record_port(r, true)) \
	X(proto, U8, r->key.proto) \
	X(ip_version, U8, r->key.ipver) \
	X(vlan, U16, r->key.vlan) \
	X(packets, U64, r->packets[0]) \
	X(bytes, U64, r->bytes[0]) \
	X(rev_packets, U64, r->packets[1]) \
	X(rev_bytes, U64, r->bytes[1]) \
	X(tcp_flags, U8, r->tcp_flags[0]) \
	X(rev_tcp_flags, U8, r->tcp_flags[1]) \
	X(dscp, U8, r->dscp) \
	X(end_reason, REASON, r->end_reason)

#endif /* SF_FIELDS_H */
