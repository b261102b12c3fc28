/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parser: link layer, VLAN/MPLS, IPv4/IPv6 (with extension
 * headers) and the L4 ports into a canonical flow key.
 *
 * Per-packet code: no allocation, no syscalls, no logging. Every read is
 * preceded by a bounds check against the captured length, so a frame cut
 * anywhere is classified, never over-read.
 *
 * Tunnels (GRE, IP-in-IP, VXLAN, GTP, ...) are not decapsulated: a packet
 * is keyed by its outer IP header, and tunnel protocols without ports (GRE,
 * IPIP) become one flow per (addresses, protocol).
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

static inline enum sf_pkt_class
pkt_bad(struct sf_pkt_info *out, enum sf_pkt_malformed why)
{
	out->malformed = why;
	return SF_PKT_MALFORMED;
}

static inline enum sf_pkt_class
pkt_nonflow(struct sf_pkt_info *out)
{
	out->malformed = SF_PKT_BAD_NONE;
	return SF_PKT_NONFLOW;
}

/*
 * The IP layer is done: l4 points at the upper-layer header, `len` bytes
 * of it are both captured and inside the IP packet (Ethernet padding is
 * never read as L4).
 *
 * Ports are read only from an unfragmented packet: later fragments carry
 * no L4 header, and keying the first fragment by ports would split one
 * datagram over two flows (see the fragment policy in sf_pkt.h). The first
 * fragment still gives its TCP flags when the TCP header is there.
 */
static __rte_always_inline enum sf_pkt_class
pkt_l4(const uint8_t *l4, uint32_t len, uint8_t proto, uint8_t frag, uint8_t ipver,
		const uint8_t *src, const uint8_t *dst, uint16_t vlan, uint32_t ip_len,
		uint8_t dscp, uint8_t pflags, struct sf_pkt_info *out)
{
	uint16_t sport = 0, dport = 0;
	uint8_t flags = 0;

	if (frag == 0) {
		switch (proto) {
		case IPPROTO_TCP:
			/* Ports and flags: the fixed header; options may be cut. */
			if (len < 20)
				return pkt_bad(out, SF_PKT_BAD_L4_TRUNC);
			if ((l4[12] >> 4) < 5)
				return pkt_bad(out, SF_PKT_BAD_L4_HDRLEN);
			flags = l4[13];
			sport = ld16(l4);
			dport = ld16(l4 + 2);
			break;
		case IPPROTO_UDP:
		case IPPROTO_UDPLITE:
			if (len < 8)
				return pkt_bad(out, SF_PKT_BAD_L4_TRUNC);
			sport = ld16(l4);
			dport = ld16(l4 + 2);
			break;
		case IPPROTO_SCTP:
			if (len < 12)
				return pkt_bad(out, SF_PKT_BAD_L4_TRUNC);
			sport = ld16(l4);
			dport = ld16(l4 + 2);
			break;
		case IPPROTO_DCCP:
			/* Generic header: 12 bytes, 16 with extended sequence numbers (X). */
			if (len < 12 || (len < 16 && (l4[8] & 1)))
				return pkt_bad(out, SF_PKT_BAD_L4_TRUNC);
			sport = ld16(l4);
			dport = ld16(l4 + 2);
			break;
		case IPPROTO_ICMP:
		case IPPROTO_ICMPV6:
			/* Keyed without ports, but a real ICMP message has type and code. */
			if (len < 4)
				return pkt_bad(out, SF_PKT_BAD_L4_TRUNC);
			break;
		default:
			/* GRE, ESP, OSPF, No Next Header, ...: the protocol alone. */
			break;
		}
	} else if (frag == SF_PKT_FRAG_FIRST && proto == IPPROTO_TCP && len >= 20) {
		flags = l4[13];
	}

	out->dir = sf_flow_key_make(&out->key, ipver, src, dst, ipver == 4 ? 4 : 16,
			sport, dport, proto, vlan);
	out->ip_len = ip_len;
	out->tcp_flags = flags;
	out->dscp = dscp;
	out->frag = frag;
	out->malformed = SF_PKT_BAD_NONE;
	out->flags = pflags;
	return SF_PKT_FLOW;
}

/*
 * IPv4 at `l3`. Checks, in order: 20 bytes captured, version, IHL >= 5,
 * total length (0 = TSO capture: the captured IP length; else >= IHL*4),
 * then the options captured. So an IHL beyond the capture is IP_TRUNC when
 * the total length covers it (snaplen) and IP_TOTLEN when it does not.
 */
static inline enum sf_pkt_class
pkt_ip4(const uint8_t *p, uint32_t caplen, uint32_t l3, uint16_t vlan,
		struct sf_pkt_info *out)
{
	const uint8_t *ip = p + l3;
	uint32_t rem = caplen - l3;
	uint32_t hl, tot, end;
	uint16_t fo;
	uint8_t frag = 0, pflags = 0;

	if (rem < 20)
		return pkt_bad(out, SF_PKT_BAD_IP_TRUNC);
	if ((ip[0] >> 4) != 4)
		return pkt_bad(out, SF_PKT_BAD_IP_VERSION);
	hl = (uint32_t)(ip[0] & 0x0f) * 4;
	if (hl < 20)
		return pkt_bad(out, SF_PKT_BAD_IP_HDRLEN);
	tot = ld16(ip + 2);
	if (tot == 0) {
		tot = rem;
		pflags = SF_PKT_F_LEN_CAPTURED;
	} else if (tot < hl) {
		return pkt_bad(out, SF_PKT_BAD_IP_TOTLEN);
	}
	if (hl > rem)
		return pkt_bad(out, SF_PKT_BAD_IP_TRUNC);

	fo = ld16(ip + 6);
	if (fo & 0x1fff)
		frag = SF_PKT_FRAG_LATER;
	else if (fo & 0x2000)
		frag = SF_PKT_FRAG_FIRST;

	end = tot < rem ? tot : rem;
	return pkt_l4(ip + hl, end - hl, ip[9], frag, 4, ip + 12, ip + 16, vlan, tot,
			ip[1] >> 2, pflags, out);
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
 * An extension header of `need` bytes at `off` does not fit in
 * min(captured, IP length): beyond the stated IP length the chain
 * contradicts the payload length (IP6_EXT); within it the capture was cut
 * (IP_TRUNC). `iplen` is UINT32_MAX when the header stated no length.
 */
static inline enum sf_pkt_class
ip6_ext_short(uint32_t iplen, uint32_t off, uint32_t need, struct sf_pkt_info *out)
{
	return pkt_bad(out, iplen - off < need ? SF_PKT_BAD_IP6_EXT : SF_PKT_BAD_IP_TRUNC);
}

/*
 * IPv6 at `l3`. ip_len = 40 + payload length; payload length 0 means a
 * jumbogram (40 + Jumbo Payload length) or, without the option, a TSO
 * capture (captured IP length). The extension header walk is bounded by
 * SF_PKT_IP6_EXT_MAX headers and by min(captured, IP length). It ends at
 * the first upper-layer protocol, at ESP (50, encrypted: keyed as 50), at
 * No Next Header (59) and at a Fragment header with an offset or the M
 * flag: then the protocol is the Fragment header's next header, for the
 * first fragment too, so all fragments share one key. An atomic fragment
 * (offset 0, M 0; RFC 6946) is a whole datagram and the walk goes on.
 */
static inline enum sf_pkt_class
pkt_ip6(const uint8_t *p, uint32_t caplen, uint32_t l3, uint16_t vlan,
		struct sf_pkt_info *out)
{
	const uint8_t *ip = p + l3;
	uint32_t rem = caplen - l3;
	uint32_t plen, iplen, stated, end, off, hlen, jumbo;
	unsigned int n;
	uint16_t fo;
	uint8_t nh, frag = 0, pflags = 0;

	if (rem < 40)
		return pkt_bad(out, SF_PKT_BAD_IP_TRUNC);
	if ((ip[0] >> 4) != 6)
		return pkt_bad(out, SF_PKT_BAD_IP_VERSION);
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
					return pkt_bad(out, SF_PKT_BAD_IP_TOTLEN);
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
			goto l4;
		}
		if (n == SF_PKT_IP6_EXT_MAX)
			return pkt_bad(out, SF_PKT_BAD_IP6_EXT);
		if (end - off < 8)
			return ip6_ext_short(stated, off, 8, out);
		if (nh == IPPROTO_FRAGMENT) {
			fo = ld16(ip + off + 2);
			nh = ip[off];
			off += 8;
			if (fo & 0xfff8) {
				frag = SF_PKT_FRAG_LATER;
				goto l4;
			}
			if (fo & 1) {
				frag = SF_PKT_FRAG_FIRST;
				goto l4;
			}
			continue;
		}
		if (nh == IPPROTO_AH)
			hlen = ((uint32_t)ip[off + 1] + 2) * 4;
		else
			hlen = ((uint32_t)ip[off + 1] + 1) * 8;
		if (end - off < hlen)
			return ip6_ext_short(stated, off, hlen, out);
		nh = ip[off];
		off += hlen;
	}
l4:
	return pkt_l4(ip + off, end - off, nh, frag, 6, ip + 8, ip + 24, vlan, iplen,
			(uint8_t)(((ip[0] & 0x0f) << 2) | (ip[1] >> 6)), pflags, out);
}

static inline int
is_vlan_tpid(uint16_t t)
{
	return t == RTE_ETHER_TYPE_VLAN || t == RTE_ETHER_TYPE_QINQ ||
		t == RTE_ETHER_TYPE_QINQ1;
}

/*
 * Where the link layer left us. The link-layer steps below return
 * SF_PKT_FLOW to mean "an IP header of version `ipver` starts at `off`"
 * and any other class when the frame is classified already; every path
 * then meets at a single IPv4 and a single IPv6 call.
 */
struct pkt_l3 {
	uint32_t off;
	uint16_t vlan;		/* outer VLAN id, 0 if untagged */
	uint8_t ipver;
};

static inline enum sf_pkt_class
l3_at(struct pkt_l3 *l3, uint32_t off, uint8_t ipver)
{
	l3->off = off;
	l3->ipver = ipver;
	return SF_PKT_FLOW;
}

/*
 * After a link header whose protocol field is an ethertype (Ethernet,
 * Linux SLL/SLL2, Cisco HDLC): `off` is the first byte after that field.
 * VLAN tags, then MPLS labels, then IP. The outer tag gives key.vlan. An
 * MPLS payload carries no type: after the bottom of stack the IP version
 * nibble decides, anything else (pseudowire control word, Ethernet over
 * MPLS) is not a flow. Any other ethertype, and 802.3 length frames
 * (< 0x600: STP, LLC), are not flows.
 */
static inline enum sf_pkt_class
link_ethertype(const uint8_t *p, uint32_t caplen, uint32_t off, uint16_t etype,
		struct pkt_l3 *l3, struct sf_pkt_info *out)
{
	unsigned int n;
	uint8_t bos;

	for (n = 0; is_vlan_tpid(etype); n++) {
		if (n == SF_PKT_VLAN_MAX)
			return pkt_bad(out, SF_PKT_BAD_VLAN_DEPTH);
		if (caplen - off < 4)
			return pkt_bad(out, SF_PKT_BAD_L2_TRUNC);
		if (n == 0)
			l3->vlan = ld16(p + off) & 0x0fff;
		etype = ld16(p + off + 2);
		off += 4;
	}

	switch (etype) {
	case RTE_ETHER_TYPE_IPV4:
		return l3_at(l3, off, 4);
	case RTE_ETHER_TYPE_IPV6:
		return l3_at(l3, off, 6);
	case RTE_ETHER_TYPE_MPLS:
	case RTE_ETHER_TYPE_MPLSM:
		break;
	default:
		return pkt_nonflow(out);
	}

	for (n = 0; ; n++) {
		if (n == SF_PKT_MPLS_MAX)
			return pkt_bad(out, SF_PKT_BAD_MPLS_DEPTH);
		if (caplen - off < 4)
			return pkt_bad(out, SF_PKT_BAD_L2_TRUNC);
		bos = p[off + 2] & 1;
		off += 4;
		if (bos)
			break;
	}
	/* Nothing after the label stack: the payload type is unknown but cut. */
	if (off == caplen)
		return pkt_bad(out, SF_PKT_BAD_IP_TRUNC);
	switch (p[off] >> 4) {
	case 4:
		return l3_at(l3, off, 4);
	case 6:
		return l3_at(l3, off, 6);
	default:
		return pkt_nonflow(out);
	}
}

/* BSD loopback address family: IPv6 has a different AF_INET6 per OS. */
static inline enum sf_pkt_class
link_af(uint32_t af, struct pkt_l3 *l3, struct sf_pkt_info *out)
{
	switch (af) {
	case SF_AF_INET:
		return l3_at(l3, 4, 4);
	case SF_AF_INET6_BSD:
	case SF_AF_INET6_FREEBSD:
	case SF_AF_INET6_DARWIN:
		return l3_at(l3, 4, 6);
	default:
		return pkt_nonflow(out);
	}
}

/*
 * PPP (RFC 1661/1662): optional 0xff 0x03 address/control, then the
 * protocol: 2 bytes, or 1 byte when compressed (RFC 1661 6.5: a protocol
 * whose first byte is odd). Only IPv4 and IPv6 are flows; LCP, IPCP, MPLS
 * over PPP and the rest are not.
 */
static inline enum sf_pkt_class
link_ppp(const uint8_t *p, uint32_t caplen, struct pkt_l3 *l3, struct sf_pkt_info *out)
{
	uint32_t off = 0;
	uint16_t proto;

	/*
	 * Cisco HDLC framing (address 0x0f unicast, 0x8f broadcast) is often
	 * captured on links labelled PPP; PPP itself never starts so (0x0f
	 * would be an odd, compressed protocol byte that PPP does not assign).
	 */
	if (caplen >= 1 && (p[0] == 0x0f || p[0] == 0x8f)) {
		if (caplen < 4)
			return pkt_bad(out, SF_PKT_BAD_L2_TRUNC);
		return link_ethertype(p, caplen, 4, ld16(p + 2), l3, out);
	}
	if (caplen >= 2 && p[0] == 0xff && p[1] == 0x03)
		off = 2;
	if (off == caplen)
		return pkt_bad(out, SF_PKT_BAD_L2_TRUNC);
	if (p[off] & 1) {
		proto = p[off];
		off += 1;
	} else {
		if (caplen - off < 2)
			return pkt_bad(out, SF_PKT_BAD_L2_TRUNC);
		proto = ld16(p + off);
		off += 2;
	}
	switch (proto) {
	case SF_PPP_IPV4:
		return l3_at(l3, off, 4);
	case SF_PPP_IPV6:
		return l3_at(l3, off, 6);
	default:
		return pkt_nonflow(out);
	}
}

/*
 * Link layer of every supported type. An unsupported link type is not a
 * flow: the caller is expected to refuse it up front with
 * sf_pkt_linktype_supported().
 */
static inline enum sf_pkt_class
pkt_link(const uint8_t *p, uint32_t caplen, enum sf_linktype lt, struct pkt_l3 *l3,
		struct sf_pkt_info *out)
{
	uint32_t af;

	switch (lt) {
	case SF_LINK_ETHER:
		if (caplen < RTE_ETHER_HDR_LEN)
			return pkt_bad(out, SF_PKT_BAD_L2_TRUNC);
		return link_ethertype(p, caplen, RTE_ETHER_HDR_LEN, ld16(p + 12), l3, out);
	case SF_LINK_LINUX_SLL:
		/* Protocol < 0x600 is a Linux pseudo type (802.2, CAN, ...): no flow. */
		if (caplen < 16)
			return pkt_bad(out, SF_PKT_BAD_L2_TRUNC);
		return link_ethertype(p, caplen, 16, ld16(p + 14), l3, out);
	case SF_LINK_LINUX_SLL2:
		if (caplen < 20)
			return pkt_bad(out, SF_PKT_BAD_L2_TRUNC);
		return link_ethertype(p, caplen, 20, ld16(p), l3, out);
	case SF_LINK_C_HDLC:
		/* Address, control, ethertype; SLARP keepalives are not flows. */
		if (caplen < 4)
			return pkt_bad(out, SF_PKT_BAD_L2_TRUNC);
		return link_ethertype(p, caplen, 4, ld16(p + 2), l3, out);
	case SF_LINK_RAW:
		if (caplen == 0)
			return pkt_bad(out, SF_PKT_BAD_IP_TRUNC);
		if ((p[0] >> 4) != 4 && (p[0] >> 4) != 6)
			return pkt_bad(out, SF_PKT_BAD_IP_VERSION);
		return l3_at(l3, 0, p[0] >> 4);
	case SF_LINK_IPV4:
		return l3_at(l3, 0, 4);
	case SF_LINK_IPV6:
		return l3_at(l3, 0, 6);
	case SF_LINK_NULL:
		/*
		 * The AF is in the capturing host's byte order, which the file
		 * does not record. AF values are small, so a value above 0xffff
		 * was written in the other order.
		 */
		if (caplen < 4)
			return pkt_bad(out, SF_PKT_BAD_L2_TRUNC);
		memcpy(&af, p, sizeof(af));
		if (af > 0xffff)
			af = rte_bswap32(af);
		return link_af(af, l3, out);
	case SF_LINK_LOOP:
		if (caplen < 4)
			return pkt_bad(out, SF_PKT_BAD_L2_TRUNC);
		return link_af(ld32(p), l3, out);
	case SF_LINK_PPP:
		return link_ppp(p, caplen, l3, out);
	default:
		return pkt_nonflow(out);
	}
}

enum sf_pkt_class
sf_pkt_parse(const uint8_t *p, uint32_t caplen, enum sf_linktype lt,
		struct sf_pkt_info *out)
{
	struct pkt_l3 l3 = { .off = 0, .vlan = 0, .ipver = 0 };
	enum sf_pkt_class c;

	/* The common case first: untagged Ethernet carrying IP. */
	if (likely(lt == SF_LINK_ETHER && caplen >= RTE_ETHER_HDR_LEN)) {
		uint16_t etype = ld16(p + 12);

		if (likely(etype == RTE_ETHER_TYPE_IPV4))
			return pkt_ip4(p, caplen, RTE_ETHER_HDR_LEN, 0, out);
		if (etype == RTE_ETHER_TYPE_IPV6)
			return pkt_ip6(p, caplen, RTE_ETHER_HDR_LEN, 0, out);
	}
	c = pkt_link(p, caplen, lt, &l3, out);
	if (c != SF_PKT_FLOW)
		return c;
	if (l3.ipver == 4)
		return pkt_ip4(p, caplen, l3.off, l3.vlan, out);
	return pkt_ip6(p, caplen, l3.off, l3.vlan, out);
}
