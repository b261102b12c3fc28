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

#include <stdbool.h>
#include <stddef.h>
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
	X(L4_HDRLEN, "l4_bad_header_length") \
	X(ENCAP_TRUNC, "encap_truncated") \
	X(ENCAP_HEADER, "encap_bad_header") \
	X(ENCAP_DEPTH, "encap_too_deep")

enum sf_pkt_malformed {
#define SF_X_ENUM(id, name) SF_PKT_BAD_ ## id,
	SF_PKT_MALFORMED_REASONS(SF_X_ENUM)
#undef SF_X_ENUM
	SF_PKT_BAD_MAX
};

const char *sf_pkt_malformed_name(enum sf_pkt_malformed r);

/*
 * Bounds on header stacks. Deeper stacks are malformed (VLAN_DEPTH,
 * MPLS_DEPTH, IP6_EXT, ENCAP_DEPTH); the bounds keep the parse cost per
 * packet fixed. Each level of encapsulation is at most five layers (link,
 * a VLAN stack, an MPLS stack, an IP header with its extensions, L4), and
 * the parser goes through at most SF_PKT_ENCAP_MAX encapsulations.
 */
#define SF_PKT_VLAN_MAX		16	/* 802.1Q/802.1ad/0x9100 tags */
#define SF_PKT_MPLS_MAX		16	/* MPLS labels */
#define SF_PKT_IP6_EXT_MAX	16	/* IPv6 extension headers */
#define SF_PKT_ENCAP_MAX	8	/* encapsulations (tunnel layers) */
#define SF_PKT_GTP_EXT_MAX	8	/* GTP-U extension headers */
#define SF_PKT_MPLS_KEPT	SF_FLOW_TUN_MPLS	/* MPLS labels kept (top of stack first) */

/*
 * Encapsulations: X(id, name). VLAN and MPLS are stacks of the frame
 * itself; the others are tunnel layers, each one level of decapsulation.
 * The names are the JSON and Prometheus labels.
 */
#define SF_PKT_ENCAPS(X) \
	X(VLAN, "vlan") \
	X(MPLS, "mpls") \
	X(PPPOE, "pppoe") \
	X(FABRICPATH, "fabricpath") \
	X(VNTAG, "vntag") \
	X(PBB, "pbb") \
	X(GRE, "gre") \
	X(GRE_UDP, "gre_udp") \
	X(ERSPAN1, "erspan1") \
	X(ERSPAN2, "erspan2") \
	X(ERSPAN3, "erspan3") \
	X(VXLAN, "vxlan") \
	X(GENEVE, "geneve") \
	X(GTPU, "gtpu") \
	X(IPIP, "ipip") \
	X(TEREDO, "teredo") \
	X(AYIYA, "ayiya") \
	X(CAPWAP, "capwap")

enum sf_pkt_encap {
#define SF_X_ENUM(id, name) SF_ENCAP_ ## id,
	SF_PKT_ENCAPS(SF_X_ENUM)
#undef SF_X_ENUM
	SF_ENCAP_MAX
};

_Static_assert(SF_ENCAP_MAX <= 32, "encapsulations are bits of a 32-bit mask");

const char *sf_pkt_encap_name(unsigned int e);

/* Ids found in tunnel headers: bits of sf_pkt_tunnel.ids */
#define SF_PKT_ID_VNI		0x01	/* VXLAN or Geneve VNI */
#define SF_PKT_ID_GRE_KEY	0x02	/* GRE key of a routed (not mirrored) payload */
#define SF_PKT_ID_TEID		0x04	/* GTP-U TEID */
#define SF_PKT_ID_ERSPAN	0x08	/* ERSPAN session: the observation point */
#define SF_PKT_ID_MIRROR_VNI	0x10	/* VXLAN mirror session (tunnel.vxlan_mirror) */
#define SF_PKT_ID_ISID		0x20	/* 802.1ah I-SID */

/*
 * The encapsulations of a packet: in sf_pkt_info.tun, valid when
 * SF_PKT_F_ENCAP is set (a VLAN tag, an MPLS label or a tunnel was
 * walked), for flows and for malformed packets (`last` is then the
 * encapsulation whose header, or whose payload's header, was bad).
 */
struct sf_pkt_tunnel {
	uint32_t encaps;	/* bit 1 << SF_ENCAP_* for each type walked */
	uint8_t depth;		/* tunnel layers walked (VLAN and MPLS not counted) */
	uint8_t last;		/* innermost encapsulation (enum sf_pkt_encap) */
	uint8_t outer_ipver;	/* IP version of the outermost tunnel's IP header, 0: none */
	uint8_t ids;		/* SF_PKT_ID_* found */
	uint16_t outer_l3;	/* frame offset of that IP header */
	uint16_t erspan;	/* ERSPAN session id */
	uint32_t vni;		/* VXLAN/Geneve VNI (mirror or not) */
	uint32_t gre_key;
	uint32_t teid;
	uint32_t isid;
	uint32_t mpls[SF_PKT_MPLS_KEPT];	/* labels, top of stack first */
	uint8_t n_mpls;		/* labels in mpls[] */
	uint8_t inner_id;	/* enum sf_flow_ctx_kind of the innermost id (VNI, key, TEID) */
	uint8_t pad[2];
	uint8_t outer_src[16];	/* addresses of the outermost tunnel's IP header */
	uint8_t outer_dst[16];	/* (IPv4: the first 4 bytes) */
};

/*
 * Decapsulation settings (tunnel.* in the configuration), set once before
 * any packet is parsed (sf_pkt_decap_set) and read-only afterwards.
 * context: what of the encapsulation goes into the flow key.
 */
enum sf_pkt_ctx_mode {
	SF_CTX_DEFAULT = 0,	/* VLAN + the innermost of VNI, GRE key, TEID */
	SF_CTX_NONE,		/* nothing: inner addresses and ports only */
	SF_CTX_VLAN,		/* the VLAN only */
	SF_CTX_VNI,		/* the VXLAN/Geneve VNI only */
	SF_CTX_TEID,		/* the GTP-U TEID only */
	SF_CTX_GRE_KEY,		/* the GRE key only */
	SF_CTX_FULL,		/* VLAN + every id of every layer (hashed) */
};

#define SF_PKT_VXLAN_PORTS_MAX 8

struct sf_pkt_decap {
	bool enabled;		/* decapsulate tunnels (VLAN, MPLS: always) */
	bool teredo;		/* UDP 3544 is Teredo */
	bool ayiya;		/* UDP 5072 is AYIYA */
	bool vxlan_mirror;	/* VXLAN is a mirror transport: its VNI is the observation point */
	bool underlay;		/* also account the outer flows (sf_pkt_parse_underlay) */
	uint8_t context;	/* enum sf_pkt_ctx_mode */
	uint8_t n_vxlan_ports;
	uint16_t vxlan_ports[SF_PKT_VXLAN_PORTS_MAX];	/* UDP destination ports of VXLAN */
};

/* Defaults: decapsulation on, VXLAN on 4789 and 8472, Teredo and AYIYA off. */
void sf_pkt_decap_defaults(struct sf_pkt_decap *d);
/* Set the parser's decapsulation settings; before any packet is parsed. */
void sf_pkt_decap_set(const struct sf_pkt_decap *d);

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
#define SF_PKT_F_ENCAP 0x2	/* sf_pkt_info.tun is valid */
#define SF_PKT_F_TCP 0x4	/* sf_pkt_info.tcp is valid (sf_pkt_tcp_fields_set) */

/* TCP flag bits as in the TCP header byte 13 (FIN=0x01 .. CWR=0x80). */
#define SF_TCP_FIN 0x01
#define SF_TCP_SYN 0x02
#define SF_TCP_RST 0x04
#define SF_TCP_PSH 0x08
#define SF_TCP_ACK 0x10
#define SF_TCP_URG 0x20
#define SF_TCP_ECE 0x40
#define SF_TCP_CWR 0x80

/* TCP options of a SYN: bits of sf_pkt_tcp.opts */
#define SF_TCP_OPT_MSS 0x1
#define SF_TCP_OPT_WSCALE 0x2
#define SF_TCP_OPT_SACK_PERM 0x4
#define SF_TCP_OPT_TS 0x8

/*
 * The TCP header of a flow packet, for the TCP analysis (written only when
 * sf_pkt_tcp_fields_set(true), for unfragmented TCP whose header length
 * fits the IP length: SF_PKT_F_TCP). seglen is the payload length as the
 * IP header states it (IP length - IP headers - TCP header: Ethernet
 * padding and snaplen cuts do not count). The options are read from SYNs
 * only (what the handshake negotiates).
 */
struct sf_pkt_tcp {
	uint32_t seq;
	uint32_t ack;		/* the field, also without the ACK flag */
	uint32_t seglen;
	uint16_t win;		/* the raw 16-bit window */
	uint16_t mss;		/* SYN: MSS option value */
	uint8_t wscale;		/* SYN: window scale shift (as sent) */
	uint8_t opts;		/* SYN: SF_TCP_OPT_* present */
	uint8_t pad[2];
};

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
	/* Second line: written only for encapsulated packets (SF_PKT_F_ENCAP). */
	struct sf_pkt_tunnel tun;
	struct sf_pkt_tcp tcp;	/* written only with SF_PKT_F_TCP */
};

_Static_assert(offsetof(struct sf_pkt_info, tun) == 64,
		"what every packet needs is the first cache line");

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

/*
 * The underlay of a packet that went through an IP tunnel: the flow of
 * its outer IP and L4 headers, keyed as with decapsulation off (the
 * outermost frame's VLAN, the UDP ports of a UDP tunnel, the protocol of
 * IP-in-IP and GRE), with context SF_FLOW_CTX_UNDERLAY so it never shares
 * an entry with the flows inside. ip_len is the outer IP length (with
 * SF_PKT_F_LEN_CAPTURED in flags as for sf_pkt_info).
 */
struct sf_pkt_under {
	struct sf_flow_key key;
	uint32_t ip_len;
	uint8_t dir;		/* enum sf_flow_dir of the sender */
	uint8_t tcp_flags;
	uint8_t dscp;
	uint8_t flags;		/* SF_PKT_F_LEN_CAPTURED */
};

/*
 * tcp.analysis: the parser also writes sf_pkt_info.tcp (SF_PKT_F_TCP).
 * Set once before any packet is parsed.
 */
void sf_pkt_tcp_fields_set(bool on);

/* tunnel.underlay: classify asks for the underlay of tunnelled packets. */
bool sf_pkt_underlay_enabled(void);

/*
 * The underlay of the frame (parsed again, its first level only): false
 * when its first encapsulation is not an IP tunnel (PPPoE, FabricPath,
 * VN-Tag, 802.1ah, an MPLS pseudowire: no flow without decapsulation) or
 * its outer headers are bad. Call it for packets sf_pkt_parse found
 * tunnelled (sf_pkt_info.tun.depth != 0).
 */
bool sf_pkt_parse_underlay(const uint8_t *p, uint32_t caplen, enum sf_linktype lt,
		struct sf_pkt_under *u);

#endif /* SF_PKT_H */
