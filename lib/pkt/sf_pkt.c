/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parser: a cursor walked through a bounded loop of layers (link,
 * VLAN, MPLS, IPv4/IPv6 with extension headers, L4) into a parse state,
 * and the canonical flow key built once at the end from that state.
 *
 * Each layer reads its header at the cursor, moves the cursor past it and
 * names the next layer, found in a table keyed by what the header says:
 * the ethertype (ethertype_layer), the IP protocol (ipproto_layer) or the
 * UDP ports (udp_layer). A decapsulation is one more layer that names an
 * inner Ethernet or IP layer, and the loop takes it from there: the loop,
 * not a chain of calls, is where encapsulations nest, bounded by
 * SF_PKT_LAYERS_MAX.
 *
 * Per-packet code: no allocation, no syscalls, no logging. Every read is
 * preceded by a bounds check against what may be read (the captured
 * length, and inside an IP packet its stated length), so a frame cut
 * anywhere is classified, never over-read.
 *
 * Tunnels (GRE, IP-in-IP, VXLAN, GTP, ...) are not decapsulated yet: their
 * table entries are empty, a packet is keyed by its outer IP header, and
 * tunnel protocols without ports (GRE, IPIP) become one flow per
 * (addresses, protocol).
 */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_ether.h>

#include "sf_pkt.h"

#define SF_IPPROTO_HIP		139
#define SF_IPPROTO_SHIM6	140

#define SF_AF_INET		2
#define SF_AF_INET6_BSD		24	/* NetBSD, OpenBSD, BSD/OS */
#define SF_AF_INET6_FREEBSD	28
#define SF_AF_INET6_DARWIN	30

#define SF_PPP_IPV4		0x0021
#define SF_PPP_IPV6		0x0057

#define SF_IP6_OPT_PAD1		0x00
#define SF_IP6_OPT_JUMBO	0xc2

static const char *const malformed_names[SF_PKT_BAD_MAX] = {
#define SF_X_NAME(id, name) [SF_PKT_BAD_ ## id] = name,
	SF_PKT_MALFORMED_REASONS(SF_X_NAME)
#undef SF_X_NAME
};

const char *
sf_pkt_malformed_name(enum sf_pkt_malformed r)
{
	return (unsigned int)r < SF_PKT_BAD_MAX ? malformed_names[r] : "unknown";
}

/* pcap's names (pcap_datalink_val_to_name); NULL if spanflow cannot parse it. */
static const char *
linktype_name(int linktype)
{
	switch (linktype) {
	case SF_LINK_NULL: return "NULL";
	case SF_LINK_ETHER: return "EN10MB";
	case SF_LINK_PPP: return "PPP";
	case SF_LINK_RAW: return "RAW";
	case SF_LINK_C_HDLC: return "C_HDLC";
	case SF_LINK_LOOP: return "LOOP";
	case SF_LINK_LINUX_SLL: return "LINUX_SLL";
	case SF_LINK_IPV4: return "IPV4";
	case SF_LINK_IPV6: return "IPV6";
	case SF_LINK_LINUX_SLL2: return "LINUX_SLL2";
	default: return NULL;
	}
}

const char *
sf_pkt_linktype_name(int linktype)
{
	const char *name = linktype_name(linktype);

	return name != NULL ? name : "unknown";
}

int
sf_pkt_linktype_supported(int linktype)
{
	return linktype_name(linktype) != NULL;
}

/*
 * Big-endian loads written as byte arithmetic: the compiler emits one load
 * and a byte swap (DPDK's rte_be_to_cpu_16 is an asm xchg on x86, which
 * blocks that and costs about 10 instructions per packet here).
 */
static inline uint16_t
ld16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t
ld32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- parse state ---- */

/* Where the walk goes next: a layer, or the end of the walk. */
enum pkt_layer {
	PL_ETHER,	/* Ethernet header */
	PL_VLAN,	/* 802.1Q/802.1ad/0x9100 tags: the whole stack */
	PL_MPLS,	/* MPLS labels: the whole stack, then the payload's IP version */
	PL_IPV4,
	PL_IPV6,	/* with its extension headers */
	PL_L4,		/* the upper-layer header of the innermost IP packet */
	PL_DONE,	/* end: a flow, the key is in the state */
	PL_NONFLOW,	/* end: not a flow */
	PL_BAD,		/* end: malformed, why in the state */
};

/*
 * The parse state: the cursor and what the layers walked so far have
 * found. One per packet, on the stack; the layers are inlined into one
 * function, so it lives in registers.
 */
struct pkt_state {
	const uint8_t *p;	/* the frame */
	uint32_t off;		/* cursor: where the next layer starts */
	uint32_t end;		/* bytes that may be read: captured, within the IP packet */
	uint8_t layers;		/* layers walked */
	uint8_t n_vlan;		/* VLAN tags seen */
	uint8_t n_mpls;		/* MPLS labels seen */
	uint8_t malformed;	/* enum sf_pkt_malformed, for PL_BAD */
	uint16_t vlan;		/* outer VLAN id, 0 if untagged */
	/* The innermost IP layer: what the key is made of. */
	uint8_t ipver;
	uint8_t proto;		/* upper-layer protocol */
	uint8_t frag;		/* SF_PKT_FRAG_* */
	uint8_t pflags;		/* SF_PKT_F_* */
	uint8_t tcp_flags;
	uint16_t sport, dport;
	uint32_t l3;		/* offset of the IP header (addresses, DSCP) */
	uint32_t ip_len;	/* IP-layer octets (sf_pkt_parse) */
};

static inline enum pkt_layer
pkt_bad(struct pkt_state *s, enum sf_pkt_malformed why)
{
	s->malformed = why;
	return PL_BAD;
}

/* Bytes that may be read from the cursor on. */
static inline uint32_t
pkt_left(const struct pkt_state *s)
{
	return s->end - s->off;
}

/* ---- next-layer tables ---- */

static inline int
is_vlan_tpid(uint16_t t)
{
	return t == RTE_ETHER_TYPE_VLAN || t == RTE_ETHER_TYPE_QINQ ||
		t == RTE_ETHER_TYPE_QINQ1;
}

/*
 * The layer after an ethertype field (Ethernet, VLAN tags, Linux SLL and
 * SLL2, Cisco HDLC). Any other ethertype, and 802.3 length frames (< 0x600:
 * STP, LLC) or Linux pseudo types, are not flows.
 */
static inline enum pkt_layer
ethertype_layer(uint16_t etype)
{
	/* The common case first (a switch would try it third). */
	if (likely(etype == RTE_ETHER_TYPE_IPV4))
		return PL_IPV4;
	switch (etype) {
	case RTE_ETHER_TYPE_IPV6:
		return PL_IPV6;
	case RTE_ETHER_TYPE_VLAN:
	case RTE_ETHER_TYPE_QINQ:
	case RTE_ETHER_TYPE_QINQ1:
		return PL_VLAN;
	case RTE_ETHER_TYPE_MPLS:
	case RTE_ETHER_TYPE_MPLSM:
		return PL_MPLS;
	default:
		return PL_NONFLOW;
	}
}

/*
 * The layer after an IP header, by its upper-layer protocol. Every
 * protocol is the flow's L4 today; IP-in-IP and GRE decapsulation are
 * entries of this table.
 */
static inline enum pkt_layer
ipproto_layer(uint8_t proto)
{
	RTE_SET_USED(proto);
	return PL_L4;
}

/*
 * The layer after a UDP header, by its ports: the flow ends at UDP today;
 * VXLAN, Geneve and GTP-U are entries of this table.
 */
static inline enum pkt_layer
udp_layer(uint16_t sport, uint16_t dport)
{
	RTE_SET_USED(sport);
	RTE_SET_USED(dport);
	return PL_DONE;
}

/* ---- layers ---- */

static inline enum pkt_layer
layer_ether(struct pkt_state *s)
{
	uint16_t etype;

	if (pkt_left(s) < RTE_ETHER_HDR_LEN)
		return pkt_bad(s, SF_PKT_BAD_L2_TRUNC);
	etype = ld16(s->p + s->off + 12);
	s->off += RTE_ETHER_HDR_LEN;
	return ethertype_layer(etype);
}

/* The tag stack at the cursor (the ethertype before it was a VLAN TPID). */
static inline enum pkt_layer
layer_vlan(struct pkt_state *s)
{
	uint16_t etype;

#pragma GCC unroll 1	/* a loop, not 16 copies in the fast path */
	do {
		if (s->n_vlan == SF_PKT_VLAN_MAX)
			return pkt_bad(s, SF_PKT_BAD_VLAN_DEPTH);
		if (pkt_left(s) < 4)
			return pkt_bad(s, SF_PKT_BAD_L2_TRUNC);
		if (s->n_vlan++ == 0)
			s->vlan = ld16(s->p + s->off) & 0x0fff;
		etype = ld16(s->p + s->off + 2);
		s->off += 4;
	} while (is_vlan_tpid(etype));
	return ethertype_layer(etype);
}

/*
 * The label stack at the cursor. An MPLS payload carries no type: after
 * the bottom of stack the IP version nibble decides, anything else
 * (pseudowire control word, Ethernet over MPLS) is not a flow.
 */
static inline enum pkt_layer
layer_mpls(struct pkt_state *s)
{
	uint8_t bos;

#pragma GCC unroll 1
	do {
		if (s->n_mpls == SF_PKT_MPLS_MAX)
			return pkt_bad(s, SF_PKT_BAD_MPLS_DEPTH);
		if (pkt_left(s) < 4)
			return pkt_bad(s, SF_PKT_BAD_L2_TRUNC);
		bos = s->p[s->off + 2] & 1;
		s->off += 4;
		s->n_mpls++;
	} while (!bos);
	/* Nothing after the label stack: the payload type is unknown but cut. */
	if (pkt_left(s) == 0)
		return pkt_bad(s, SF_PKT_BAD_IP_TRUNC);
	switch (s->p[s->off] >> 4) {
	case 4:
		return PL_IPV4;
	case 6:
		return PL_IPV6;
	default:
		return PL_NONFLOW;
	}
}

/*
 * IPv4 at the cursor. Checks, in order: 20 bytes captured, version, IHL
 * >= 5, total length (0 = TSO capture: the captured IP length; else >=
 * IHL*4), then the options captured. So an IHL beyond the capture is
 * IP_TRUNC when the total length covers it (snaplen) and IP_TOTLEN when
 * it does not. From here on only min(captured, total length) is read.
 */
static inline enum pkt_layer
layer_ip4(struct pkt_state *s)
{
	const uint8_t *ip = s->p + s->off;
	uint32_t rem = pkt_left(s);
	uint32_t hl, tot;
	uint16_t fo;
	uint8_t frag = 0, pflags = 0;

	if (rem < 20)
		return pkt_bad(s, SF_PKT_BAD_IP_TRUNC);
	if ((ip[0] >> 4) != 4)
		return pkt_bad(s, SF_PKT_BAD_IP_VERSION);
	hl = (uint32_t)(ip[0] & 0x0f) * 4;
	if (hl < 20)
		return pkt_bad(s, SF_PKT_BAD_IP_HDRLEN);
	tot = ld16(ip + 2);
	if (tot == 0) {
		tot = rem;
		pflags = SF_PKT_F_LEN_CAPTURED;
	} else if (tot < hl) {
		return pkt_bad(s, SF_PKT_BAD_IP_TOTLEN);
	}
	if (hl > rem)
		return pkt_bad(s, SF_PKT_BAD_IP_TRUNC);

	fo = ld16(ip + 6);
	if (fo & 0x1fff)
		frag = SF_PKT_FRAG_LATER;
	else if (fo & 0x2000)
		frag = SF_PKT_FRAG_FIRST;

	s->ipver = 4;
	s->l3 = s->off;
	s->proto = ip[9];
	s->frag = frag;
	s->pflags = pflags;
	s->ip_len = tot;
	s->end = s->off + (tot < rem ? tot : rem);
	s->off += hl;
	return ipproto_layer(s->proto);
}

/*
 * Jumbo Payload option (RFC 2675) in a fully captured Hop-by-Hop header
 * `h` of `hlen` bytes. Returns 1 and the jumbo length if present. Only
 * called for payload length 0, i.e. rarely.
 */
static int
ip6_jumbo(const uint8_t *h, uint32_t hlen, uint32_t *jumbo)
{
	uint32_t i = 2;

	while (i < hlen) {
		if (h[i] == SF_IP6_OPT_PAD1) {
			i++;
			continue;
		}
		if (hlen - i < 2)
			break;
		if (h[i] == SF_IP6_OPT_JUMBO && h[i + 1] == 4 && hlen - i >= 6) {
			*jumbo = ld32(h + i + 2);
			return 1;
		}
		i += 2u + h[i + 1];
	}
	return 0;
}

/*
 * An extension header of `need` bytes at `off` (from the IPv6 header)
 * does not fit in min(captured, IP length): beyond the stated IP length
 * the chain contradicts the payload length (IP6_EXT); within it the
 * capture was cut (IP_TRUNC). `iplen` is UINT32_MAX when the header
 * stated no length.
 */
static inline enum pkt_layer
ip6_ext_short(struct pkt_state *s, uint32_t iplen, uint32_t off, uint32_t need)
{
	return pkt_bad(s, iplen - off < need ? SF_PKT_BAD_IP6_EXT : SF_PKT_BAD_IP_TRUNC);
}

/*
 * IPv6 at the cursor. ip_len = 40 + payload length; payload length 0
 * means a jumbogram (40 + Jumbo Payload length) or, without the option, a
 * TSO capture (captured IP length). The extension header walk is bounded
 * by SF_PKT_IP6_EXT_MAX headers and by min(captured, IP length). It ends
 * at the first upper-layer protocol, at ESP (50, encrypted: keyed as 50),
 * at No Next Header (59) and at a Fragment header with an offset or the M
 * flag: then the protocol is the Fragment header's next header, for the
 * first fragment too, so all fragments share one key. An atomic fragment
 * (offset 0, M 0; RFC 6946) is a whole datagram and the walk goes on.
 */
static inline enum pkt_layer
layer_ip6(struct pkt_state *s)
{
	const uint8_t *ip = s->p + s->off;
	uint32_t rem = pkt_left(s);
	uint32_t plen, iplen, stated, end, off, hlen, jumbo;
	unsigned int n;
	uint16_t fo;
	uint8_t nh, frag = 0, pflags = 0;

	if (rem < 40)
		return pkt_bad(s, SF_PKT_BAD_IP_TRUNC);
	if ((ip[0] >> 4) != 6)
		return pkt_bad(s, SF_PKT_BAD_IP_VERSION);
	plen = ld16(ip + 4);
	nh = ip[6];
	iplen = 40 + plen;
	if (plen == 0) {
		iplen = rem;
		pflags = SF_PKT_F_LEN_CAPTURED;
		if (nh == IPPROTO_HOPOPTS && rem >= 48) {
			hlen = ((uint32_t)ip[41] + 1) * 8;
			if (hlen <= rem - 40 && ip6_jumbo(ip + 40, hlen, &jumbo)) {
				if (jumbo < hlen)
					return pkt_bad(s, SF_PKT_BAD_IP_TOTLEN);
				iplen = jumbo > UINT32_MAX - 40 ? UINT32_MAX : jumbo + 40;
				pflags = 0;
			}
		}
	}
	end = iplen < rem ? iplen : rem;
	stated = pflags & SF_PKT_F_LEN_CAPTURED ? UINT32_MAX : iplen;

	off = 40;
	for (n = 0; ; n++) {
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_MH:
		case SF_IPPROTO_HIP:
		case SF_IPPROTO_SHIM6:
		case IPPROTO_AH:
		case IPPROTO_FRAGMENT:
			break;
		default:
			goto upper;
		}
		if (n == SF_PKT_IP6_EXT_MAX)
			return pkt_bad(s, SF_PKT_BAD_IP6_EXT);
		if (end - off < 8)
			return ip6_ext_short(s, stated, off, 8);
		if (nh == IPPROTO_FRAGMENT) {
			fo = ld16(ip + off + 2);
			nh = ip[off];
			off += 8;
			if (fo & 0xfff8) {
				frag = SF_PKT_FRAG_LATER;
				goto upper;
			}
			if (fo & 1) {
				frag = SF_PKT_FRAG_FIRST;
				goto upper;
			}
			continue;
		}
		if (nh == IPPROTO_AH)
			hlen = ((uint32_t)ip[off + 1] + 2) * 4;
		else
			hlen = ((uint32_t)ip[off + 1] + 1) * 8;
		if (end - off < hlen)
			return ip6_ext_short(s, stated, off, hlen);
		nh = ip[off];
		off += hlen;
	}
upper:
	s->ipver = 6;
	s->l3 = s->off;
	s->proto = nh;
	s->frag = frag;
	s->pflags = pflags;
	s->ip_len = iplen;
	s->end = s->off + end;
	s->off += off;
	return ipproto_layer(nh);
}

/*
 * The upper-layer header of the innermost IP packet at the cursor; what
 * may be read of it is both captured and inside the IP packet (Ethernet
 * padding is never read as L4).
 *
 * Ports are read only from an unfragmented packet: later fragments carry
 * no L4 header, and keying the first fragment by ports would split one
 * datagram over two flows (see the fragment policy in sf_pkt.h). The first
 * fragment still gives its TCP flags when the TCP header is there.
 */
static inline enum pkt_layer
layer_l4(struct pkt_state *s)
{
	const uint8_t *l4 = s->p + s->off;
	uint32_t len = pkt_left(s);

	if (s->frag != 0) {
		if (s->frag == SF_PKT_FRAG_FIRST && s->proto == IPPROTO_TCP && len >= 20)
			s->tcp_flags = l4[13];
		return PL_DONE;
	}
	/* TCP and UDP first: a switch would try them after the others. */
	if (likely(s->proto == IPPROTO_TCP)) {
		/* Ports and flags: the fixed header; options may be cut. */
		if (len < 20)
			return pkt_bad(s, SF_PKT_BAD_L4_TRUNC);
		if ((l4[12] >> 4) < 5)
			return pkt_bad(s, SF_PKT_BAD_L4_HDRLEN);
		s->tcp_flags = l4[13];
		s->sport = ld16(l4);
		s->dport = ld16(l4 + 2);
		return PL_DONE;
	}
	switch (s->proto) {
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		if (len < 8)
			return pkt_bad(s, SF_PKT_BAD_L4_TRUNC);
		s->sport = ld16(l4);
		s->dport = ld16(l4 + 2);
		return udp_layer(s->sport, s->dport);
	case IPPROTO_SCTP:
		if (len < 12)
			return pkt_bad(s, SF_PKT_BAD_L4_TRUNC);
		s->sport = ld16(l4);
		s->dport = ld16(l4 + 2);
		return PL_DONE;
	case IPPROTO_DCCP:
		/* Generic header: 12 bytes, 16 with extended sequence numbers (X). */
		if (len < 12 || (len < 16 && (l4[8] & 1)))
			return pkt_bad(s, SF_PKT_BAD_L4_TRUNC);
		s->sport = ld16(l4);
		s->dport = ld16(l4 + 2);
		return PL_DONE;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		/* Keyed without ports, but a real ICMP message has type and code. */
		if (len < 4)
			return pkt_bad(s, SF_PKT_BAD_L4_TRUNC);
		return PL_DONE;
	default:
		/* GRE, ESP, OSPF, No Next Header, ...: the protocol alone. */
		return PL_DONE;
	}
}

/* ---- link layer: the first layer ---- */

/* An IP header of version `v` at `off`. */
static inline enum pkt_layer
link_ip_at(struct pkt_state *s, uint32_t off, unsigned int v)
{
	s->off = off;
	return v == 4 ? PL_IPV4 : PL_IPV6;
}

/* An ethertype at `at`, the next layer after it at `off`. */
static inline enum pkt_layer
link_ethertype_at(struct pkt_state *s, uint32_t at, uint32_t off)
{
	s->off = off;
	return ethertype_layer(ld16(s->p + at));
}

/* BSD loopback address family: IPv6 has a different AF_INET6 per OS. */
static inline enum pkt_layer
link_af(struct pkt_state *s, uint32_t af)
{
	switch (af) {
	case SF_AF_INET:
		return link_ip_at(s, 4, 4);
	case SF_AF_INET6_BSD:
	case SF_AF_INET6_FREEBSD:
	case SF_AF_INET6_DARWIN:
		return link_ip_at(s, 4, 6);
	default:
		return PL_NONFLOW;
	}
}

/*
 * PPP (RFC 1661/1662): optional 0xff 0x03 address/control, then the
 * protocol: 2 bytes, or 1 byte when compressed (RFC 1661 6.5: a protocol
 * whose first byte is odd). Only IPv4 and IPv6 are flows; LCP, IPCP, MPLS
 * over PPP and the rest are not.
 */
static inline enum pkt_layer
link_ppp(struct pkt_state *s)
{
	const uint8_t *p = s->p;
	uint32_t caplen = s->end, off = 0;
	uint16_t proto;

	/*
	 * Cisco HDLC framing (address 0x0f unicast, 0x8f broadcast) is often
	 * captured on links labelled PPP; PPP itself never starts so (0x0f
	 * would be an odd, compressed protocol byte that PPP does not assign).
	 */
	if (caplen >= 1 && (p[0] == 0x0f || p[0] == 0x8f)) {
		if (caplen < 4)
			return pkt_bad(s, SF_PKT_BAD_L2_TRUNC);
		return link_ethertype_at(s, 2, 4);
	}
	if (caplen >= 2 && p[0] == 0xff && p[1] == 0x03)
		off = 2;
	if (off == caplen)
		return pkt_bad(s, SF_PKT_BAD_L2_TRUNC);
	if (p[off] & 1) {
		proto = p[off];
		off += 1;
	} else {
		if (caplen - off < 2)
			return pkt_bad(s, SF_PKT_BAD_L2_TRUNC);
		proto = ld16(p + off);
		off += 2;
	}
	switch (proto) {
	case SF_PPP_IPV4:
		return link_ip_at(s, off, 4);
	case SF_PPP_IPV6:
		return link_ip_at(s, off, 6);
	default:
		return PL_NONFLOW;
	}
}

/*
 * The first layer, from the link type: the link header of every type but
 * Ethernet is read here (Ethernet is a layer of the walk, as it may also
 * come out of a tunnel). An unsupported link type is not a flow: the
 * caller is expected to refuse it up front with sf_pkt_linktype_supported().
 */
static inline enum pkt_layer
pkt_link(struct pkt_state *s, enum sf_linktype lt)
{
	const uint8_t *p = s->p;
	uint32_t caplen = s->end, af;

	switch (lt) {
	case SF_LINK_ETHER:
		return PL_ETHER;
	case SF_LINK_LINUX_SLL:
		/* Protocol < 0x600 is a Linux pseudo type (802.2, CAN, ...): no flow. */
		if (caplen < 16)
			return pkt_bad(s, SF_PKT_BAD_L2_TRUNC);
		return link_ethertype_at(s, 14, 16);
	case SF_LINK_LINUX_SLL2:
		if (caplen < 20)
			return pkt_bad(s, SF_PKT_BAD_L2_TRUNC);
		return link_ethertype_at(s, 0, 20);
	case SF_LINK_C_HDLC:
		/* Address, control, ethertype; SLARP keepalives are not flows. */
		if (caplen < 4)
			return pkt_bad(s, SF_PKT_BAD_L2_TRUNC);
		return link_ethertype_at(s, 2, 4);
	case SF_LINK_RAW:
		if (caplen == 0)
			return pkt_bad(s, SF_PKT_BAD_IP_TRUNC);
		if ((p[0] >> 4) != 4 && (p[0] >> 4) != 6)
			return pkt_bad(s, SF_PKT_BAD_IP_VERSION);
		return link_ip_at(s, 0, p[0] >> 4);
	case SF_LINK_IPV4:
		return PL_IPV4;
	case SF_LINK_IPV6:
		return PL_IPV6;
	case SF_LINK_NULL:
		/*
		 * The AF is in the capturing host's byte order, which the file
		 * does not record. AF values are small, so a value above 0xffff
		 * was written in the other order.
		 */
		if (caplen < 4)
			return pkt_bad(s, SF_PKT_BAD_L2_TRUNC);
		memcpy(&af, p, sizeof(af));
		if (af > 0xffff)
			af = rte_bswap32(af);
		return link_af(s, af);
	case SF_LINK_LOOP:
		if (caplen < 4)
			return pkt_bad(s, SF_PKT_BAD_L2_TRUNC);
		return link_af(s, ld32(p));
	case SF_LINK_PPP:
		return link_ppp(s);
	default:
		return PL_NONFLOW;
	}
}

/* ---- the walk ---- */

/*
 * One pass of the loop walks one level of encapsulation, its layers in
 * the order they can follow one another: Ethernet, a VLAN stack, an MPLS
 * stack, IP, L4. A layer that names a layer of this pass further on is
 * taken next; one that names an inner Ethernet or IP layer (a tunnel
 * layer, from the tables above) starts another pass. Deepest pass today:
 * those five layers, each stack one layer with its own bound
 * (SF_PKT_VLAN_MAX, SF_PKT_MPLS_MAX, SF_PKT_IP6_EXT_MAX); no layer names
 * an inner one yet.
 */
#define PKT_PASS_LAYERS 5
_Static_assert(PKT_PASS_LAYERS <= SF_PKT_LAYERS_MAX, "the layer bound cuts one pass");

/* One pass: the layers of one level, from `next` on. */
static __rte_always_inline enum pkt_layer
pkt_pass(struct pkt_state *s, enum pkt_layer next)
{
	if (next == PL_ETHER) {
		next = layer_ether(s);
		s->layers++;
	}
	if (next == PL_VLAN) {
		next = layer_vlan(s);
		s->layers++;
	}
	if (next == PL_MPLS) {
		next = layer_mpls(s);
		s->layers++;
	}
	if (next == PL_IPV4) {
		next = layer_ip4(s);
		s->layers++;
	} else if (next == PL_IPV6) {
		next = layer_ip6(s);
		s->layers++;
	}
	if (next == PL_L4) {
		next = layer_l4(s);
		s->layers++;
	}
	return next;
}

/*
 * Passes after the first: inner levels. Out of line, on a copy of the
 * state, so that the first pass keeps the state in registers.
 */
static __rte_noinline enum pkt_layer
pkt_walk_inner(struct pkt_state *s, enum pkt_layer next)
{
	do {
		/*
		 * Another pass, if it fits the bound. Deeper stacks are not
		 * parsed further and are not flows (with decapsulation they
		 * get a malformed reason of their own).
		 */
		if (s->layers + PKT_PASS_LAYERS > SF_PKT_LAYERS_MAX)
			return PL_NONFLOW;
		next = pkt_pass(s, next);
	} while (next < PL_DONE);
	return next;
}

/* The walk: a first pass, and more while a layer names an inner one. */
static __rte_always_inline enum pkt_layer
pkt_walk(struct pkt_state *s, enum pkt_layer next)
{
	next = pkt_pass(s, next);
	if (unlikely(next < PL_DONE)) {
		struct pkt_state inner = *s;

		next = pkt_walk_inner(&inner, next);
		*s = inner;
	}
	return next;
}

/*
 * The flow key, once, from what the walk found: addresses and DSCP from
 * the innermost IP header, each IP version its own copy.
 */
static __rte_always_inline void
pkt_key(const struct pkt_state *s, struct sf_pkt_info *out)
{
	const uint8_t *ip = s->p + s->l3;

	if (s->ipver == 4) {
		out->dir = sf_flow_key_make(&out->key, 4, ip + 12, ip + 16, 4, s->sport,
				s->dport, s->proto, s->vlan);
		out->dscp = ip[1] >> 2;
	} else {
		out->dir = sf_flow_key_make(&out->key, 6, ip + 8, ip + 24, 16, s->sport,
				s->dport, s->proto, s->vlan);
		out->dscp = (uint8_t)(((ip[0] & 0x0f) << 2) | (ip[1] >> 6));
	}
}

enum sf_pkt_class
sf_pkt_parse(const uint8_t *p, uint32_t caplen, enum sf_linktype lt,
		struct sf_pkt_info *out)
{
	struct pkt_state s;
	enum pkt_layer next;

	s.p = p;
	s.off = 0;
	s.end = caplen;
	s.layers = 0;
	s.n_vlan = 0;
	s.n_mpls = 0;
	s.vlan = 0;
	s.malformed = SF_PKT_BAD_NONE;
	s.ipver = 0;
	s.proto = 0;
	s.frag = 0;
	s.pflags = 0;
	s.tcp_flags = 0;
	s.sport = 0;
	s.dport = 0;
	s.l3 = 0;
	s.ip_len = 0;
	/* The common case first: Ethernet, whose header is a layer of the walk. */
	if (likely(lt == SF_LINK_ETHER))
		next = pkt_walk(&s, PL_ETHER);
	else
		next = pkt_walk(&s, pkt_link(&s, lt));
	if (likely(next == PL_DONE)) {
		pkt_key(&s, out);
		out->ip_len = s.ip_len;
		out->tcp_flags = s.tcp_flags;
		out->frag = s.frag;
		out->malformed = SF_PKT_BAD_NONE;
		out->flags = s.pflags;
		out->l3_off = (uint16_t)s.l3;
		out->l4_off = (uint16_t)s.off;
		return SF_PKT_FLOW;
	}
	if (next == PL_BAD) {
		out->malformed = s.malformed;
		return SF_PKT_MALFORMED;
	}
	out->malformed = SF_PKT_BAD_NONE;
	return SF_PKT_NONFLOW;
}
