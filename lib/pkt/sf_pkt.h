/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parser: link layer .. L4 into a canonical flow key.
 *
 * The parser never reads past `caplen` bytes. It classifies a packet as a
 * flow packet, not-a-flow (non-IP frames: ARP, LLDP, STP, ...) or
 * malformed (truncated or inconsistent headers), and for malformed ones
 * says why.
 *
 * Fragment policy: every IPv4 or IPv6 fragment (first or later) is keyed
 * with ports 0, so all fragments of a datagram, and of every datagram
 * between the same hosts with the same protocol, land in one
 * (addresses, protocol) flow whatever the number of workers. No
 * reassembly state is kept.
 */
#ifndef SF_PKT_H
#define SF_PKT_H

#include <stdint.h>

#include "sf_flow.h"

/* Link types spanflow parses (values are pcap DLT/LINKTYPE numbers). */
enum sf_linktype {
	SF_LINK_NULL = 0,	/* BSD loopback, 4-byte AF in capturing host order */
	SF_LINK_ETHER = 1,
	SF_LINK_PPP = 9,
	SF_LINK_RAW = 101,	/* raw IPv4/IPv6, version from first nibble */
	SF_LINK_C_HDLC = 104,
	SF_LINK_LOOP = 108,	/* OpenBSD loopback, AF in network order */
	SF_LINK_LINUX_SLL = 113,
	SF_LINK_IPV4 = 228,
	SF_LINK_IPV6 = 229,
	SF_LINK_LINUX_SLL2 = 276,
};

/* 1 if spanflow can parse this pcap link type, else 0. */
int sf_pkt_linktype_supported(int linktype);

/* Human name of a pcap link type ("EN10MB", "LINUX_SLL", ...). */
const char *sf_pkt_linktype_name(int linktype);

enum sf_pkt_class {
	SF_PKT_FLOW = 0,
	SF_PKT_NONFLOW,
	SF_PKT_MALFORMED,
};

#define SF_PKT_MALFORMED_REASONS(X) \
	X(NONE, "none") \
	X(L2_TRUNC, "l2_truncated") \
	X(VLAN_DEPTH, "vlan_too_deep") \
	X(MPLS_DEPTH, "mpls_too_deep") \
	X(IP_TRUNC, "ip_truncated") \
	X(IP_VERSION, "ip_bad_version") \
	X(IP_HDRLEN, "ip_bad_header_length") \
	X(IP_TOTLEN, "ip_bad_total_length") \
	X(IP6_EXT, "ipv6_bad_extension") \
	X(L4_TRUNC, "l4_truncated") \
	X(L4_HDRLEN, "l4_bad_header_length")

enum sf_pkt_malformed {
#define SF_X_ENUM(id, name) SF_PKT_BAD_ ## id,
	SF_PKT_MALFORMED_REASONS(SF_X_ENUM)
#undef SF_X_ENUM
	SF_PKT_BAD_MAX
};

const char *sf_pkt_malformed_name(enum sf_pkt_malformed r);

/*
 * Bounds on header stacks. Deeper stacks are malformed (VLAN_DEPTH,
 * MPLS_DEPTH, IP6_EXT); the bound keeps the parse cost per packet fixed.
 * The parser walks at most SF_PKT_LAYERS_MAX layers (link, a VLAN stack,
 * an MPLS stack, an IP header with its extensions, L4 and, with
 * decapsulation, the layers of each tunnel).
 */
#define SF_PKT_VLAN_MAX		16	/* 802.1Q/802.1ad/0x9100 tags */
#define SF_PKT_MPLS_MAX		16	/* MPLS labels */
#define SF_PKT_IP6_EXT_MAX	16	/* IPv6 extension headers */
#define SF_PKT_LAYERS_MAX	8	/* layers walked */

/* Fragment flags in sf_pkt_info.frag */
#define SF_PKT_FRAG_FIRST 0x1	/* offset 0, more fragments follow */
#define SF_PKT_FRAG_LATER 0x2	/* offset > 0 */

/*
 * Bits in sf_pkt_info.flags. LEN_CAPTURED: the IP header gave no length
 * (IPv4 total length 0, IPv6 payload length 0 without a Jumbo option, as
 * in TSO captures), so ip_len counts the IP bytes the parser was given; a
 * caller that parsed only a prefix of the frame adds the rest.
 */
#define SF_PKT_F_LEN_CAPTURED 0x1

/* TCP flag bits as in the TCP header byte 13 (FIN=0x01 .. CWR=0x80). */
#define SF_TCP_FIN 0x01
#define SF_TCP_SYN 0x02
#define SF_TCP_RST 0x04
#define SF_TCP_PSH 0x08
#define SF_TCP_ACK 0x10
#define SF_TCP_URG 0x20
#define SF_TCP_ECE 0x40
#define SF_TCP_CWR 0x80

/* The result of parsing one packet. Valid fields depend on the class. */
struct sf_pkt_info {
	struct sf_flow_key key;	/* canonical; valid for SF_PKT_FLOW */
	uint32_t ip_len;	/* IP-layer octets from the IP header (see below) */
	uint8_t dir;		/* enum sf_flow_dir of the sender */
	uint8_t tcp_flags;	/* TCP flags, 0 for other protocols */
	uint8_t dscp;		/* DSCP (IPv4 TOS >> 2, IPv6 traffic class >> 2) */
	uint8_t frag;		/* SF_PKT_FRAG_* */
	uint8_t malformed;	/* enum sf_pkt_malformed for SF_PKT_MALFORMED */
	uint8_t flags;		/* SF_PKT_F_* */
	uint8_t port;		/* capture port (input index), set by the source */
	uint8_t pad[1];
	uint16_t l3_off;	/* frame offset of the innermost IP header (SF_PKT_FLOW) */
	uint16_t l4_off;	/* and of what follows its header chain (L4, or a fragment's data) */
};

_Static_assert(sizeof(struct sf_pkt_info) == 64, "packet info is one cache line");

/*
 * Parse one captured frame.
 *
 * ip_len: IPv4 total length; IPv6 40 + payload length (for a jumbogram,
 * payload length 0 with a Jumbo option, the jumbo length + 40). A header
 * length that exceeds what was captured is fine (snaplen): the header
 * states what was on the wire. An IPv4 total length of 0 or an IPv6
 * payload length of 0 without a Jumbo option (TSO capture) counts the
 * captured IP length instead (SF_PKT_F_LEN_CAPTURED). A total length
 * smaller than the IP header itself is malformed. L4 is read only within
 * min(captured, IP length), so Ethernet padding is never taken for ports.
 */
enum sf_pkt_class sf_pkt_parse(const uint8_t *data, uint32_t caplen,
		enum sf_linktype lt, struct sf_pkt_info *out);

#endif /* SF_PKT_H */
