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
 * Decapsulation (tunnel layers: out of line, after the first pass): a
 * tunnel layer reads and checks its header and either names the inner
 * layer (the packet is then keyed on its innermost IP header, the
 * tunnel's ids noted for the key's context and the record) or, when its
 * payload is of a type spanflow does not decapsulate (an unknown GRE
 * protocol, a GTP-U message that is not a G-PDU), leaves the packet keyed
 * on the header around it, like any other flow. An L2 tunnel whose frame
 * does not carry IP (ARP inside VXLAN) is not a flow; a truncated or
 * invalid tunnel header, or a bad header inside a tunnel, is malformed and
 * the encapsulation is noted with it. An outer IP fragment is never
 * decapsulated: it is accounted on the outer header (no reassembly).
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_hash_crc.h>

#include "sf_pkt.h"

#define SF_IPPROTO_HIP		139
#define SF_IPPROTO_SHIM6	140

#define SF_AF_INET		2
#define SF_AF_INET6_BSD		24	/* NetBSD, OpenBSD, BSD/OS */
#define SF_AF_INET6_FREEBSD	28
#define SF_AF_INET6_DARWIN	30

#define SF_PPP_IPV4		0x0021
#define SF_PPP_IPV6		0x0057
#define SF_PPP_MPLS		0x0281

/* Ethertypes and protocol numbers of encapsulations */
#define SF_ETH_PPPOE_SESSION	0x8864
#define SF_ETH_FABRICPATH	0x8903
#define SF_ETH_VNTAG		0x8926
#define SF_ETH_PBB_ITAG		0x88e7
#define SF_ETH_TEB		0x6558	/* transparent Ethernet bridging */
#define SF_ETH_ERSPAN_2		0x88be	/* ERSPAN type I (no sequence) and II */
#define SF_ETH_ERSPAN_3		0x22eb
#define SF_ETH_PPP		0x880b	/* GRE v1 (PPTP) payload */
#define SF_UDP_GRE		4754	/* RFC 8086 */
#define SF_UDP_GENEVE		6081
#define SF_UDP_GTPU		2152
#define SF_UDP_TEREDO		3544
#define SF_UDP_AYIYA		5072
#define SF_UDP_CAPWAP_DATA	5247
#define SF_ETH_ARUBA_FIRST	0x8200	/* Aruba WLAN in GRE: 0x8200, 0x8210 ... 0x8370 */
#define SF_ETH_ARUBA_LAST	0x8370

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

static const char *const encap_names[SF_ENCAP_MAX] = {
#define SF_X_NAME(id, name) [SF_ENCAP_ ## id] = name,
	SF_PKT_ENCAPS(SF_X_NAME)
#undef SF_X_NAME
};

const char *
sf_pkt_encap_name(unsigned int e)
{
	return e < SF_ENCAP_MAX ? encap_names[e] : "unknown";
}

/* ---- decapsulation settings ---- */

/*
 * Read-only once packets flow. udp_ports: a bit per UDP port that may
 * start a tunnel (either end), so a plain UDP packet costs two bit tests.
 */
static struct {
	struct sf_pkt_decap d;
	uint16_t vlan_mask;	/* 0x0fff, or 0 when the VLAN is not in the key */
	uint64_t udp_ports[65536 / 64];
} decap;

static void
udp_port_set(uint16_t port)
{
	decap.udp_ports[port >> 6] |= UINT64_C(1) << (port & 63);
}

void
sf_pkt_decap_defaults(struct sf_pkt_decap *d)
{
	memset(d, 0, sizeof(*d));
	d->enabled = true;
	d->context = SF_CTX_DEFAULT;
	d->n_vxlan_ports = 2;
	d->vxlan_ports[0] = 4789;
	d->vxlan_ports[1] = 8472;
}

void
sf_pkt_decap_set(const struct sf_pkt_decap *d)
{
	unsigned int i;

	decap.d = *d;
	if (decap.d.n_vxlan_ports > SF_PKT_VXLAN_PORTS_MAX)
		decap.d.n_vxlan_ports = SF_PKT_VXLAN_PORTS_MAX;
	switch (d->context) {
	case SF_CTX_DEFAULT:
	case SF_CTX_VLAN:
	case SF_CTX_FULL:
		decap.vlan_mask = 0x0fff;
		break;
	default:
		decap.vlan_mask = 0;
		break;
	}
	memset(decap.udp_ports, 0, sizeof(decap.udp_ports));
	if (!d->enabled)
		return;
	for (i = 0; i < decap.d.n_vxlan_ports; i++)
		udp_port_set(decap.d.vxlan_ports[i]);
	udp_port_set(SF_UDP_GRE);
	udp_port_set(SF_UDP_GENEVE);
	udp_port_set(SF_UDP_GTPU);
	udp_port_set(SF_UDP_CAPWAP_DATA);
	if (d->teredo)
		udp_port_set(SF_UDP_TEREDO);
	if (d->ayiya)
		udp_port_set(SF_UDP_AYIYA);
}

/* tcp.analysis: TCP header facts into sf_pkt_info.tcp. */
static uint8_t tcp_fields;	/* 0 or 1 */

void
sf_pkt_tcp_fields_set(bool on)
{
	tcp_fields = on ? 1 : 0;
}

/* The defaults until sf_pkt_decap_set() says otherwise. */
static void __attribute__((constructor))
decap_init(void)
{
	struct sf_pkt_decap d;

	sf_pkt_decap_defaults(&d);
	sf_pkt_decap_set(&d);
}

static inline bool
udp_tunnel_port(uint16_t port)
{
	return (decap.udp_ports[port >> 6] >> (port & 63)) & 1;
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
	/* Encapsulations, walked out of line (pkt_walk_inner): */
	PL_PPPOE,	/* PPPoE session header and PPP protocol */
	PL_FABRICPATH,	/* Cisco FabricPath tag, then the inner Ethernet frame */
	PL_VNTAG,	/* Cisco VN-Tag */
	PL_PBB,		/* 802.1ah I-tag, then the customer frame */
	PL_MPLSPW,	/* what follows an MPLS stack that is not IP */
	PL_IPTUN,	/* IP protocol 4, 41 or 47 after an IP header: IP-in-IP or GRE */
	PL_UDPTUN,	/* a UDP port of a tunnel (VXLAN, Geneve, GTP-U, GRE, ...) */
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
	/*
	 * Encapsulations: depth is set for every packet, the rest only once
	 * a tunnel layer is walked (tun_enter), mpls[] by the MPLS layer.
	 */
	uint8_t depth;		/* tunnel layers walked */
	uint32_t mpls_at;	/* offset of the first MPLS label, if n_mpls */
	/*
	 * The tunnel record is written in place, in the caller's result
	 * (out->tun), and only once a tunnel layer is walked; t is set for the
	 * inner walk only. The first pass keeps its state in registers.
	 */
	struct sf_pkt_tunnel *t;
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
	case SF_ETH_PPPOE_SESSION:
		return PL_PPPOE;
	case SF_ETH_FABRICPATH:
		return PL_FABRICPATH;
	case SF_ETH_VNTAG:
		return PL_VNTAG;
	case SF_ETH_PBB_ITAG:
		return PL_PBB;
	default:
		return PL_NONFLOW;
	}
}

/*
 * The layer after an IP header, by its upper-layer protocol: IP-in-IP
 * (4, 41) and GRE (47) are tunnels, every other protocol the flow's L4.
 * A fragment is never decapsulated (`frag`).
 */
static inline enum pkt_layer
ipproto_layer(uint8_t proto, uint8_t frag)
{
	if (unlikely(proto == IPPROTO_IPIP || proto == IPPROTO_IPV6 || proto == IPPROTO_GRE) &&
			frag == 0)
		return PL_IPTUN;
	return PL_L4;
}

/*
 * The layer after a UDP header, by its ports: a port of a tunnel
 * (tunnel.* settings) at either end leads to the tunnel layer, which
 * decides by port; otherwise the flow ends at UDP.
 */
static inline enum pkt_layer
udp_layer(uint16_t sport, uint16_t dport)
{
	if (unlikely(udp_tunnel_port(dport) || udp_tunnel_port(sport)))
		return PL_UDPTUN;
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
		if (s->n_mpls == 0)
			s->mpls_at = s->off;
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
		return PL_MPLSPW;
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
	return ipproto_layer(s->proto, frag);
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
	return ipproto_layer(nh, frag);
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

/* ---- encapsulations: out of line ---- */

/*
 * Note a tunnel layer of type `type`: the first one initializes the
 * tunnel record; the first IP header around one is the outermost
 * tunnel's.
 */
static void
tun_note(struct pkt_state *s, enum sf_pkt_encap type)
{
	if (s->depth == 0)
		memset(s->t, 0, sizeof(*s->t));
	if (s->t->outer_ipver == 0 && s->ipver != 0) {
		/* The IP layer checked that its header was captured whole. */
		const uint8_t *ip = s->p + s->l3;

		s->t->outer_ipver = s->ipver;
		s->t->outer_l3 = (uint16_t)s->l3;
		if (s->ipver == 4) {
			memcpy(s->t->outer_src, ip + 12, 4);
			memcpy(s->t->outer_dst, ip + 16, 4);
		} else {
			memcpy(s->t->outer_src, ip + 8, 16);
			memcpy(s->t->outer_dst, ip + 24, 16);
		}
	}
	s->t->encaps |= UINT32_C(1) << type;
	s->t->last = (uint8_t)type;
}

/*
 * Enter a tunnel layer of type `type` whose header ends at `off`: note
 * it (the first one initializes the tunnel record, and the IP header
 * around it, if any, is the outermost tunnel's), move the cursor, and
 * forget the outer L4 ports and flags. ENCAP_DEPTH past the bound.
 */
static enum pkt_layer
tun_enter(struct pkt_state *s, enum sf_pkt_encap type, uint32_t off, enum pkt_layer next)
{
	tun_note(s, type);
	if (++s->depth > SF_PKT_ENCAP_MAX)
		return pkt_bad(s, SF_PKT_BAD_ENCAP_DEPTH);
	s->off = off;
	s->sport = 0;
	s->dport = 0;
	s->tcp_flags = 0;
	return next;
}

/* A bad header of tunnel layer `type`: noted like an entered layer, then malformed. */
static enum pkt_layer
tun_bad(struct pkt_state *s, enum sf_pkt_encap type, enum sf_pkt_malformed why)
{
	tun_note(s, type);
	s->depth++;
	return pkt_bad(s, why);
}

/* An inner link layer (`next` at `off`): its own VLAN stack. */
static enum pkt_layer
tun_enter_l2(struct pkt_state *s, enum sf_pkt_encap type, uint32_t off, enum pkt_layer next)
{
	next = tun_enter(s, type, off, next);
	if (s->n_vlan != 0)
		s->t->encaps |= UINT32_C(1) << SF_ENCAP_VLAN;
	s->n_vlan = 0;
	s->vlan = 0;
	return next;
}

/* An inner Ethernet frame starts at `off`. */
static enum pkt_layer
tun_enter_ether(struct pkt_state *s, enum sf_pkt_encap type, uint32_t off)
{
	return tun_enter_l2(s, type, off, PL_ETHER);
}

/* The IP version at `off` (inside a tunnel that does not say): PL_DONE if neither. */
static inline enum pkt_layer
ip_version_at(const struct pkt_state *s, uint32_t off)
{
	if (off >= s->end)
		return PL_DONE;
	switch (s->p[off] >> 4) {
	case 4:
		return PL_IPV4;
	case 6:
		return PL_IPV6;
	default:
		return PL_DONE;
	}
}

/*
 * A PPP protocol field at `off` (GRE v1, PPPoE: address/control may come
 * first in GRE v1, a protocol may be compressed to one byte): the layer
 * it names, *off moved past it. Control protocols are not flows.
 */
static enum pkt_layer
ppp_proto_at(const struct pkt_state *s, uint32_t *off)
{
	const uint8_t *p = s->p;
	uint32_t o = *off;
	uint16_t proto;

	if (s->end - o >= 2 && p[o] == 0xff && p[o + 1] == 0x03)
		o += 2;
	if (o >= s->end)
		return PL_BAD;
	if (p[o] & 1) {
		proto = p[o];
		o += 1;
	} else {
		if (s->end - o < 2)
			return PL_BAD;
		proto = ld16(p + o);
		o += 2;
	}
	*off = o;
	switch (proto) {
	case SF_PPP_IPV4:
		return PL_IPV4;
	case SF_PPP_IPV6:
		return PL_IPV6;
	case SF_PPP_MPLS:
		return PL_MPLS;
	default:
		return PL_NONFLOW;
	}
}

/* PPPoE session stage (RFC 2516): 6-byte header, then the PPP protocol. */
static enum pkt_layer
layer_pppoe(struct pkt_state *s)
{
	uint32_t off = s->off + 6;
	enum pkt_layer next;

	if (pkt_left(s) < 8)
		return tun_bad(s, SF_ENCAP_PPPOE, SF_PKT_BAD_ENCAP_TRUNC);
	if (s->p[s->off] != 0x11 || s->p[s->off + 1] != 0)
		return tun_bad(s, SF_ENCAP_PPPOE, SF_PKT_BAD_ENCAP_HEADER);
	next = ppp_proto_at(s, &off);
	if (next == PL_BAD)
		return tun_bad(s, SF_ENCAP_PPPOE, SF_PKT_BAD_ENCAP_TRUNC);
	return tun_enter(s, SF_ENCAP_PPPOE, off, next);
}

/*
 * After an MPLS stack, a payload that is not IP: a pseudowire (RFC 4385
 * control word, first nibble 0, then an Ethernet frame: RFC 4448), or
 * a bad IP version. Without decapsulation, not a flow (as before).
 */
static enum pkt_layer
layer_mplspw(struct pkt_state *s)
{
	if (!decap.d.enabled)
		return PL_NONFLOW;
	if ((s->p[s->off] >> 4) != 0)
		return pkt_bad(s, SF_PKT_BAD_IP_VERSION);
	if (pkt_left(s) < 4)
		return pkt_bad(s, SF_PKT_BAD_L2_TRUNC);
	return tun_enter_ether(s, SF_ENCAP_MPLS, s->off + 4);
}

/* Cisco FabricPath: after its ethertype, FTag and TTL, then the original frame. */
static enum pkt_layer
layer_fabricpath(struct pkt_state *s)
{
	if (pkt_left(s) < 2)
		return tun_bad(s, SF_ENCAP_FABRICPATH, SF_PKT_BAD_ENCAP_TRUNC);
	return tun_enter_ether(s, SF_ENCAP_FABRICPATH, s->off + 2);
}

/* Cisco VN-Tag: 4 bytes of tag, then the frame's ethertype. */
static enum pkt_layer
layer_vntag(struct pkt_state *s)
{
	if (pkt_left(s) < 6)
		return tun_bad(s, SF_ENCAP_VNTAG, SF_PKT_BAD_ENCAP_TRUNC);
	return tun_enter(s, SF_ENCAP_VNTAG, s->off + 6, ethertype_layer(ld16(s->p + s->off + 4)));
}

/* 802.1ah I-tag: flags and the 24-bit I-SID, then the customer frame. */
static enum pkt_layer
layer_pbb(struct pkt_state *s)
{
	enum pkt_layer next;
	uint32_t isid;

	if (pkt_left(s) < 4)
		return tun_bad(s, SF_ENCAP_PBB, SF_PKT_BAD_ENCAP_TRUNC);
	isid = ld32(s->p + s->off) & 0xffffff;
	next = tun_enter_ether(s, SF_ENCAP_PBB, s->off + 4);
	s->t->isid = isid;
	s->t->ids |= SF_PKT_ID_ISID;
	return next;
}

/*
 * An IEEE 802.11 frame at `off`, carried by tunnel `type` (CAPWAP data
 * with native frames, Aruba WLAN in GRE), without FCS: a data frame's
 * header (24 bytes, the fourth address when both DS bits are set, QoS
 * control, HT control when the order bit is set on a QoS frame), an
 * A-MSDU's first subframe header, then LLC/SNAP and the ethertype.
 * Management, control, null-data and protected (encrypted) frames, and
 * LLC payloads that are not SNAP, are not flows. Of an A-MSDU, the first
 * subframe is the packet accounted. `swap`: the two frame control bytes
 * come in the other order (Cisco's CAPWAP, as tshark reads it by default).
 */
static enum pkt_layer
layer_wlan(struct pkt_state *s, enum sf_pkt_encap type, uint32_t off, bool swap)
{
	const uint8_t *h = s->p + off;
	uint32_t left = s->end - off, hl = 24;
	unsigned int fc, flags, subtype;
	enum pkt_layer next;
	bool amsdu = false;

	if (left < hl)
		return tun_bad(s, type, SF_PKT_BAD_ENCAP_TRUNC);
	fc = h[swap ? 1 : 0];
	flags = h[swap ? 0 : 1];
	if ((fc & 3) != 0)
		return tun_bad(s, type, SF_PKT_BAD_ENCAP_HEADER);	/* protocol version */
	subtype = fc >> 4;
	if (((fc >> 2) & 3) != 2 || (subtype & 4) || (flags & 0x40))
		return tun_enter(s, type, off, PL_NONFLOW);
	if ((flags & 3) == 3)
		hl += 6;			/* fourth address (WDS) */
	if (subtype & 8) {
		if (left < hl + 2)
			return tun_bad(s, type, SF_PKT_BAD_ENCAP_TRUNC);
		amsdu = (h[hl] & 0x80) != 0;
		hl += 2;			/* QoS control */
		if (flags & 0x80)
			hl += 4;		/* HT control */
	}
	if (amsdu)
		hl += 14;			/* subframe: destination, source, length */
	if (left < hl + 8)
		return tun_bad(s, type, SF_PKT_BAD_ENCAP_TRUNC);
	h += hl;
	if (h[0] != 0xaa || h[1] != 0xaa || h[2] != 0x03 || h[3] != 0 || h[4] != 0 ||
	    (h[5] != 0 && h[5] != 0xf8))
		return tun_enter(s, type, off + hl, PL_NONFLOW);
	next = ethertype_layer(ld16(h + 6));
	return tun_enter_l2(s, type, off + hl + 8, next);
}

/*
 * CAPWAP data channel (RFC 5415, UDP 5247 at either end): preamble
 * (version 0, type 0; type 1 is DTLS: encrypted, the outer flow), a header
 * of HLEN 4-byte words that includes its optional radio MAC and wireless
 * fields, then an IEEE 802.3 frame (T = 0) or the native frame of the
 * wireless binding (T = 1; IEEE 802.11 is binding 1, its frame control
 * bytes swapped as Cisco's controllers send them). Keep-alives and
 * fragments (no reassembly) stay the outer flow.
 */
static enum pkt_layer
layer_capwap(struct pkt_state *s, uint32_t off)
{
	const uint8_t *h = s->p + off;
	uint32_t left = s->end - off, hl, w;

	if (left < 8)
		return tun_bad(s, SF_ENCAP_CAPWAP, SF_PKT_BAD_ENCAP_TRUNC);
	if (h[0] != 0)
		return PL_DONE;			/* DTLS, or not CAPWAP */
	w = ld32(h);
	hl = ((w >> 19) & 0x1f) * 4;
	if (hl < 8)
		return tun_bad(s, SF_ENCAP_CAPWAP, SF_PKT_BAD_ENCAP_HEADER);
	if (left < hl)
		return tun_bad(s, SF_ENCAP_CAPWAP, SF_PKT_BAD_ENCAP_TRUNC);
	if (w & 0x88)
		return PL_DONE;			/* F (fragment) or K (keep-alive) */
	if (!(w & 0x100))
		return tun_enter_ether(s, SF_ENCAP_CAPWAP, off + hl);
	if (((w >> 9) & 0x1f) != 1)
		return PL_DONE;			/* a binding other than IEEE 802.11 */
	return layer_wlan(s, SF_ENCAP_CAPWAP, off + hl, true);
}

/*
 * ERSPAN (in GRE, at `off`): type I has no header (GRE protocol 0x88be
 * without a sequence number), type II 8 bytes, type III 12 bytes and an
 * 8-byte platform sub-header when its O bit is set; type III may carry an
 * IP packet instead of a frame (frame type 2). The session id is the
 * observation point, never the flow's context.
 */
static enum pkt_layer
layer_erspan(struct pkt_state *s, uint32_t off, unsigned int type)
{
	const uint8_t *h = s->p + off;
	uint32_t left = s->end - off, hl;
	enum sf_pkt_encap e = type == 1 ? SF_ENCAP_ERSPAN1 :
		type == 2 ? SF_ENCAP_ERSPAN2 : SF_ENCAP_ERSPAN3;
	enum pkt_layer next;
	uint16_t session = 0;
	unsigned int ft = 0;

	if (type == 1)
		return tun_enter_ether(s, e, off);
	hl = type == 2 ? 8 : 12;
	if (left < hl)
		return tun_bad(s, e, SF_PKT_BAD_ENCAP_TRUNC);
	if ((h[0] >> 4) != (type == 2 ? 1 : 2))
		return tun_bad(s, e, SF_PKT_BAD_ENCAP_HEADER);
	session = ld16(h + 2) & 0x3ff;
	if (type == 3) {
		uint16_t w = ld16(h + 10);

		ft = (w >> 10) & 0x1f;
		if (w & 1)
			hl += 8;
		if (left < hl)
			return tun_bad(s, e, SF_PKT_BAD_ENCAP_TRUNC);
	}
	if (ft == 0) {
		next = tun_enter_ether(s, e, off + hl);
	} else if (ft == 2) {
		if (off + hl >= s->end)
			return tun_bad(s, e, SF_PKT_BAD_ENCAP_TRUNC);
		next = ip_version_at(s, off + hl);
		if (next == PL_DONE)
			return tun_bad(s, e, SF_PKT_BAD_ENCAP_HEADER);
		next = tun_enter(s, e, off + hl, next);
	} else {
		return PL_DONE;		/* a frame type spanflow does not read */
	}
	s->t->erspan = session;
	s->t->ids |= SF_PKT_ID_ERSPAN;
	return next;
}

/*
 * GRE at `off` (after an IP header, or in UDP: `type` GRE_UDP). Version 0
 * with checksum, key and sequence number (RFC 2784, 2890); version 1 is
 * PPTP's enhanced GRE (RFC 2637), PPP in it. A key identifies the
 * payload's address space (context), routed or bridged (TEB: overlay
 * networks key their tenants so); ERSPAN is a mirror transport, its GRE
 * header carries no context. Source routing (R bit) and payloads of
 * other protocols stay the outer flow.
 */
static enum pkt_layer
layer_gre(struct pkt_state *s, uint32_t off, enum sf_pkt_encap type)
{
	const uint8_t *h = s->p + off;
	uint32_t left = s->end - off, hl = 4, key_at = 0;
	enum pkt_layer next;
	uint16_t flags, proto;
	unsigned int ver;

	if (left < 4)
		return tun_bad(s, type, SF_PKT_BAD_ENCAP_TRUNC);
	flags = ld16(h);
	proto = ld16(h + 2);
	ver = flags & 7;
	if (ver > 1 || (flags & 0x4000))
		return PL_DONE;
	if (flags & 0x8000)
		hl += 4;			/* checksum and reserved */
	if (flags & 0x2000) {
		key_at = hl;
		hl += 4;
	}
	if (flags & 0x1000)
		hl += 4;			/* sequence number */
	if (ver == 1 && (flags & 0x0080))
		hl += 4;			/* acknowledgment number */
	if (left < hl)
		return tun_bad(s, type, SF_PKT_BAD_ENCAP_TRUNC);
	if (ver == 1) {
		uint32_t poff = off + hl;

		/* PPP, with the key: payload length and call id; no payload: an ack. */
		if (proto != SF_ETH_PPP || key_at == 0 || ld16(h + key_at) == 0)
			return PL_DONE;
		next = ppp_proto_at(s, &poff);
		if (next == PL_BAD)
			return tun_bad(s, type, SF_PKT_BAD_ENCAP_TRUNC);
		/* The call id names a PPP session, not an address space: no context. */
		return tun_enter(s, type, poff, next);
	}
	switch (proto) {
	case RTE_ETHER_TYPE_IPV4:
		next = tun_enter(s, type, off + hl, PL_IPV4);
		break;
	case RTE_ETHER_TYPE_IPV6:
		next = tun_enter(s, type, off + hl, PL_IPV6);
		break;
	case RTE_ETHER_TYPE_MPLS:
	case RTE_ETHER_TYPE_MPLSM:
		next = tun_enter(s, type, off + hl, PL_MPLS);
		break;
	case SF_ETH_TEB:
		next = tun_enter_ether(s, type, off + hl);
		break;
	case SF_ETH_ERSPAN_2:
	case SF_ETH_ERSPAN_3:
		/* One level: GRE is ERSPAN's transport; both are noted. */
		next = layer_erspan(s, off + hl, proto == SF_ETH_ERSPAN_3 ? 3 :
				(flags & 0x1000) ? 2 : 1);
		if (s->depth != 0)
			s->t->encaps |= UINT32_C(1) << type;
		return next;
	default:
		/* IEEE 802.11 from an Aruba access point (no key). */
		if (proto >= SF_ETH_ARUBA_FIRST && proto <= SF_ETH_ARUBA_LAST && !(proto & 0x0f))
			return layer_wlan(s, type, off + hl, false);
		return PL_DONE;
	}
	if (key_at != 0) {
		s->t->gre_key = ld32(h + key_at);
		s->t->ids |= SF_PKT_ID_GRE_KEY;
		s->t->inner_id = SF_FLOW_CTX_GRE_KEY;
	}
	return next;
}

/* IP-in-IP (4in4, 6in4, 4in6, 6in6) or GRE after the IP header at the cursor. */
static enum pkt_layer
layer_iptun(struct pkt_state *s)
{
	if (!decap.d.enabled)
		return PL_L4;
	switch (s->proto) {
	case IPPROTO_IPIP:
		return tun_enter(s, SF_ENCAP_IPIP, s->off, PL_IPV4);
	case IPPROTO_IPV6:
		return tun_enter(s, SF_ENCAP_IPIP, s->off, PL_IPV6);
	default:
		/* GRE: a payload it does not decapsulate stays the outer flow (PL_DONE). */
		return layer_gre(s, s->off, SF_ENCAP_GRE);
	}
}

/* VXLAN (RFC 7348): flags, VNI, then an Ethernet frame. */
static enum pkt_layer
layer_vxlan(struct pkt_state *s, uint32_t off)
{
	enum pkt_layer next;
	uint32_t vni;

	if (s->end - off < 8)
		return tun_bad(s, SF_ENCAP_VXLAN, SF_PKT_BAD_ENCAP_TRUNC);
	vni = ld32(s->p + off + 4) >> 8;
	next = tun_enter_ether(s, SF_ENCAP_VXLAN, off + 8);
	s->t->vni = vni;
	if (decap.d.vxlan_mirror) {
		s->t->ids |= SF_PKT_ID_MIRROR_VNI;
	} else {
		s->t->ids |= SF_PKT_ID_VNI;
		s->t->inner_id = SF_FLOW_CTX_VNI;
	}
	return next;
}

/* Geneve (RFC 8926): version 0, options, a protocol type, the VNI. */
static enum pkt_layer
layer_geneve(struct pkt_state *s, uint32_t off)
{
	const uint8_t *h = s->p + off;
	uint32_t hl;
	enum pkt_layer next;
	uint32_t vni;

	if (s->end - off < 8)
		return tun_bad(s, SF_ENCAP_GENEVE, SF_PKT_BAD_ENCAP_TRUNC);
	if ((h[0] >> 6) != 0)
		return tun_bad(s, SF_ENCAP_GENEVE, SF_PKT_BAD_ENCAP_HEADER);
	hl = 8 + (uint32_t)(h[0] & 0x3f) * 4;
	if (s->end - off < hl)
		return tun_bad(s, SF_ENCAP_GENEVE, SF_PKT_BAD_ENCAP_TRUNC);
	vni = ld32(h + 4) >> 8;
	switch (ld16(h + 2)) {
	case SF_ETH_TEB:
		next = tun_enter_ether(s, SF_ENCAP_GENEVE, off + hl);
		break;
	case RTE_ETHER_TYPE_IPV4:
		next = tun_enter(s, SF_ENCAP_GENEVE, off + hl, PL_IPV4);
		break;
	case RTE_ETHER_TYPE_IPV6:
		next = tun_enter(s, SF_ENCAP_GENEVE, off + hl, PL_IPV6);
		break;
	default:
		return PL_DONE;
	}
	s->t->vni = vni;
	s->t->ids |= SF_PKT_ID_VNI;
	s->t->inner_id = SF_FLOW_CTX_VNI;
	return next;
}

/*
 * GTP-U version 1 (3GPP TS 29.281): 8 bytes, 4 more when any of E, S, PN
 * is set, then a chain of extension headers (length in 4-byte units, the
 * next type in their last byte). Only a G-PDU (type 255) carries a user
 * packet; other messages (echo, error indication, end marker) and GTP'
 * (PT 0) are the outer flow.
 */
static enum pkt_layer
layer_gtpu(struct pkt_state *s, uint32_t off)
{
	const uint8_t *h = s->p + off;
	uint32_t left = s->end - off, hl = 8, teid;
	enum pkt_layer next;
	unsigned int n;
	uint8_t nxt;

	if (left < 8)
		return tun_bad(s, SF_ENCAP_GTPU, SF_PKT_BAD_ENCAP_TRUNC);
	if ((h[0] >> 5) != 1 || !(h[0] & 0x10) || h[1] != 0xff)
		return PL_DONE;
	teid = ld32(h + 4);
	if (h[0] & 0x07) {
		if (left < 12)
			return tun_bad(s, SF_ENCAP_GTPU, SF_PKT_BAD_ENCAP_TRUNC);
		nxt = h[11];
		hl = 12;
		for (n = 0; nxt != 0; n++) {
			uint32_t el;

			if (n == SF_PKT_GTP_EXT_MAX)
				return tun_bad(s, SF_ENCAP_GTPU, SF_PKT_BAD_ENCAP_HEADER);
			if (left - hl < 1)
				return tun_bad(s, SF_ENCAP_GTPU, SF_PKT_BAD_ENCAP_TRUNC);
			el = (uint32_t)h[hl] * 4;
			if (el == 0)
				return tun_bad(s, SF_ENCAP_GTPU, SF_PKT_BAD_ENCAP_HEADER);
			if (left - hl < el)
				return tun_bad(s, SF_ENCAP_GTPU, SF_PKT_BAD_ENCAP_TRUNC);
			nxt = h[hl + el - 1];
			hl += el;
		}
	}
	if (off + hl >= s->end)
		return tun_bad(s, SF_ENCAP_GTPU, SF_PKT_BAD_ENCAP_TRUNC);	/* empty, or cut */
	next = ip_version_at(s, off + hl);
	if (next == PL_DONE)
		return tun_bad(s, SF_ENCAP_GTPU, SF_PKT_BAD_IP_VERSION);
	next = tun_enter(s, SF_ENCAP_GTPU, off + hl, next);
	s->t->teid = teid;
	s->t->ids |= SF_PKT_ID_TEID;
	s->t->inner_id = SF_FLOW_CTX_TEID;
	return next;
}

/*
 * Teredo (RFC 4380): an IPv6 packet, after an optional authentication
 * indicator and an optional origin indication.
 */
static enum pkt_layer
layer_teredo(struct pkt_state *s, uint32_t off)
{
	const uint8_t *p = s->p;

	if (s->end - off < 4)
		return tun_bad(s, SF_ENCAP_TEREDO, SF_PKT_BAD_ENCAP_TRUNC);
	if (p[off] == 0 && p[off + 1] == 1) {
		off += 4u + p[off + 2] + p[off + 3] + 9;	/* ids, nonce, confirmation */
		if (off >= s->end || s->end - off < 4)
			return tun_bad(s, SF_ENCAP_TEREDO, SF_PKT_BAD_ENCAP_TRUNC);
	}
	if (p[off] == 0 && p[off + 1] == 0) {
		off += 8;
		if (off >= s->end)
			return tun_bad(s, SF_ENCAP_TEREDO, SF_PKT_BAD_ENCAP_TRUNC);
	}
	/* Teredo carries IPv6 only: the IPv6 layer judges what is there. */
	return tun_enter(s, SF_ENCAP_TEREDO, off, PL_IPV6);
}

/* AYIYA: identity and signature of stated lengths, then, to forward, IPv6 or IPv4. */
static enum pkt_layer
layer_ayiya(struct pkt_state *s, uint32_t off)
{
	const uint8_t *h = s->p + off;
	uint32_t hl;

	if (s->end - off < 8)
		return tun_bad(s, SF_ENCAP_AYIYA, SF_PKT_BAD_ENCAP_TRUNC);
	hl = 8 + (UINT32_C(1) << (h[0] >> 4)) + (uint32_t)(h[1] >> 4) * 4;
	if ((h[2] & 0x0f) != 1)
		return PL_DONE;
	if (s->end - off <= hl)
		return tun_bad(s, SF_ENCAP_AYIYA, SF_PKT_BAD_ENCAP_TRUNC);
	switch (h[3]) {
	case IPPROTO_IPV6:
		return tun_enter(s, SF_ENCAP_AYIYA, off + hl, PL_IPV6);
	case IPPROTO_IPIP:
		return tun_enter(s, SF_ENCAP_AYIYA, off + hl, PL_IPV4);
	default:
		return PL_DONE;
	}
}

static bool
vxlan_port(uint16_t port)
{
	unsigned int i;

	for (i = 0; i < decap.d.n_vxlan_ports; i++)
		if (decap.d.vxlan_ports[i] == port)
			return true;
	return false;
}

/*
 * A UDP packet with a tunnel port at either end (the cursor is on the UDP
 * header). VXLAN, Geneve and GRE-in-UDP are known by the destination
 * port, GTP-U, Teredo and AYIYA by either.
 */
static enum pkt_layer
layer_udptun(struct pkt_state *s)
{
	uint32_t off = s->off + 8;

	if (vxlan_port(s->dport))
		return layer_vxlan(s, off);
	switch (s->dport) {
	case SF_UDP_GENEVE:
		return layer_geneve(s, off);
	case SF_UDP_GRE:
		return layer_gre(s, off, SF_ENCAP_GRE_UDP);
	default:
		break;
	}
	if (s->dport == SF_UDP_GTPU || s->sport == SF_UDP_GTPU)
		return layer_gtpu(s, off);
	if (s->dport == SF_UDP_CAPWAP_DATA || s->sport == SF_UDP_CAPWAP_DATA)
		return layer_capwap(s, off);
	if (decap.d.teredo && (s->dport == SF_UDP_TEREDO || s->sport == SF_UDP_TEREDO))
		return layer_teredo(s, off);
	if (decap.d.ayiya && (s->dport == SF_UDP_AYIYA || s->sport == SF_UDP_AYIYA))
		return layer_ayiya(s, off);
	return PL_DONE;
}

/* An encapsulation layer (PL_PPPOE .. PL_UDPTUN). */
static enum pkt_layer
layer_encap(struct pkt_state *s, enum pkt_layer l)
{
	/* Without decapsulation, L2 encapsulations are not flows (as before). */
	if (!decap.d.enabled && l != PL_IPTUN && l != PL_UDPTUN && l != PL_MPLSPW)
		return PL_NONFLOW;
	switch (l) {
	case PL_PPPOE:
		return layer_pppoe(s);
	case PL_FABRICPATH:
		return layer_fabricpath(s);
	case PL_VNTAG:
		return layer_vntag(s);
	case PL_PBB:
		return layer_pbb(s);
	case PL_MPLSPW:
		return layer_mplspw(s);
	case PL_IPTUN:
		return layer_iptun(s);
	case PL_UDPTUN:
		return layer_udptun(s);
	default:
		return PL_NONFLOW;
	}
}

/* ---- the walk ---- */

/*
 * One pass of the loop walks one level of encapsulation, its layers in
 * the order they can follow one another: Ethernet, a VLAN stack, an MPLS
 * stack, IP, L4. A layer that names a layer of this pass further on is
 * taken next; one that names an encapsulation (PL_PPPOE .. PL_UDPTUN)
 * ends the pass, and the encapsulation's layer names the first layer of
 * the next. Each encapsulation walked counts against SF_PKT_ENCAP_MAX,
 * so the walk is bounded.
 */
static __rte_always_inline enum pkt_layer
pkt_pass(struct pkt_state *s, enum pkt_layer next)
{
	if (next == PL_ETHER)
		next = layer_ether(s);
	if (next == PL_VLAN)
		next = layer_vlan(s);
	if (next == PL_MPLS)
		next = layer_mpls(s);
	if (next == PL_IPV4)
		next = layer_ip4(s);
	else if (next == PL_IPV6)
		next = layer_ip6(s);
	if (next == PL_L4)
		next = layer_l4(s);
	return next;
}

/*
 * Encapsulations and the passes inside them. Out of line, on a copy of
 * the state, so that the first pass keeps the state in registers.
 */
static __rte_noinline enum pkt_layer
pkt_walk_inner(struct pkt_state *s, enum pkt_layer next)
{
	do {
		if (next > PL_L4)
			next = layer_encap(s, next);
		else
			next = pkt_pass(s, next);
	} while (next < PL_DONE);
	return next;
}

/*
 * The walk: a first pass, and more while a layer names an encapsulation.
 * Only the inner walk writes a tunnel record (in place, in tun).
 */
static __rte_always_inline enum pkt_layer
pkt_walk(struct pkt_state *s, enum pkt_layer next, struct sf_pkt_tunnel *tun)
{
	next = pkt_pass(s, next);
	if (unlikely(next < PL_DONE)) {
		struct pkt_state inner = *s;

		inner.t = tun;
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
	uint16_t vlan = s->vlan;	/* tunnel.context may take it out: pkt_encaps_out */

	if (s->ipver == 4) {
		out->dir = sf_flow_key_make(&out->key, 4, ip + 12, ip + 16, 4, s->sport,
				s->dport, s->proto, vlan);
		out->dscp = ip[1] >> 2;
	} else {
		out->dir = sf_flow_key_make(&out->key, 6, ip + 8, ip + 24, 16, s->sport,
				s->dport, s->proto, vlan);
		out->dscp = (uint8_t)(((ip[0] & 0x0f) << 2) | (ip[1] >> 6));
	}
}

/* The key's tunnel context, as tunnel.context chooses, from the ids found. */
static void
pkt_ctx(const struct sf_pkt_tunnel *t, struct sf_flow_key *key)
{
	enum sf_flow_ctx_kind kind = SF_FLOW_CTX_NONE;
	uint32_t id = 0;
	unsigned int i;

	switch (decap.d.context) {
	case SF_CTX_DEFAULT:
		kind = t->inner_id;
		id = kind == SF_FLOW_CTX_VNI ? t->vni : kind == SF_FLOW_CTX_GRE_KEY ?
			t->gre_key : t->teid;
		break;
	case SF_CTX_VNI:
		if (t->ids & SF_PKT_ID_VNI) {
			kind = SF_FLOW_CTX_VNI;
			id = t->vni;
		}
		break;
	case SF_CTX_GRE_KEY:
		if (t->ids & SF_PKT_ID_GRE_KEY) {
			kind = SF_FLOW_CTX_GRE_KEY;
			id = t->gre_key;
		}
		break;
	case SF_CTX_TEID:
		if (t->ids & SF_PKT_ID_TEID) {
			kind = SF_FLOW_CTX_TEID;
			id = t->teid;
		}
		break;
	case SF_CTX_FULL:
		if ((t->ids & (SF_PKT_ID_VNI | SF_PKT_ID_GRE_KEY | SF_PKT_ID_TEID |
				SF_PKT_ID_ISID)) == 0 && t->n_mpls == 0)
			break;
		kind = SF_FLOW_CTX_FULL;
		id = rte_hash_crc_4byte(t->ids, 0);
		id = rte_hash_crc_4byte(t->vni, id);
		id = rte_hash_crc_4byte(t->gre_key, id);
		id = rte_hash_crc_4byte(t->teid, id);
		id = rte_hash_crc_4byte(t->isid, id);
		for (i = 0; i < t->n_mpls; i++)
			id = rte_hash_crc_4byte(t->mpls[i], id);
		break;
	default:
		break;
	}
	if (kind != SF_FLOW_CTX_NONE)
		sf_flow_key_set_ctx(key, kind, id);
}

/*
 * The VLAN and MPLS stacks of a packet, into out->tun (a tunnel's record
 * t, or zeros): the labels are read again from the frame, so the walk
 * keeps nothing but counts and an offset for them.
 */
static void
pkt_stacks_out(struct sf_pkt_tunnel *t, const uint8_t *p, uint32_t mpls_at, uint8_t n_vlan,
		uint8_t n_mpls)
{
	unsigned int i;

	if (n_vlan != 0)
		t->encaps |= UINT32_C(1) << SF_ENCAP_VLAN;
	if (n_mpls != 0) {
		t->encaps |= UINT32_C(1) << SF_ENCAP_MPLS;
		t->n_mpls = n_mpls < SF_PKT_MPLS_KEPT ? n_mpls : SF_PKT_MPLS_KEPT;
		for (i = 0; i < t->n_mpls; i++)
			t->mpls[i] = ld32(p + mpls_at + 4 * i) >> 12;
	}
	if (t->depth == 0)
		t->last = n_mpls != 0 ? SF_ENCAP_MPLS : SF_ENCAP_VLAN;
}

/* A packet with VLAN or MPLS stacks only: its encapsulations, no context. */
static __rte_noinline void
pkt_plain_stacks_out(struct sf_pkt_info *out, const uint8_t *p, uint32_t mpls_at,
		uint8_t n_vlan, uint8_t n_mpls, bool flow)
{
	memset(&out->tun, 0, sizeof(out->tun));
	pkt_stacks_out(&out->tun, p, mpls_at, n_vlan, n_mpls);
	out->flags |= SF_PKT_F_ENCAP;
	/* tunnel.context without the VLAN: only tagged frames pay for it. */
	if (flow && decap.vlan_mask == 0)
		out->key.vlan = 0;
}

/*
 * A packet that went through a tunnel (its record already in out->tun):
 * the stacks, the depth and, for a flow, the key's context.
 */
static __rte_noinline void
pkt_tunnel_out(struct sf_pkt_info *out, const uint8_t *p, uint32_t mpls_at, uint8_t n_vlan,
		uint8_t n_mpls, uint8_t depth, bool flow)
{
	struct sf_pkt_tunnel *t = &out->tun;

	t->depth = depth;
	pkt_stacks_out(t, p, mpls_at, n_vlan, n_mpls);
	out->flags |= SF_PKT_F_ENCAP;
	if (flow) {
		if (decap.vlan_mask == 0)
			out->key.vlan = 0;
		pkt_ctx(t, &out->key);
	}
}

/*
 * The encapsulations of a packet that had any, from the walk's state
 * (mpls_at is set by the MPLS layer, and read only after it).
 */
static __rte_always_inline void
pkt_encaps_out(const struct pkt_state *s, struct sf_pkt_info *out, bool flow)
{
	uint32_t mpls_at = s->n_mpls != 0 ? s->mpls_at : 0;

	if (s->depth == 0)
		pkt_plain_stacks_out(out, s->p, mpls_at, s->n_vlan, s->n_mpls, flow);
	else
		pkt_tunnel_out(out, s->p, mpls_at, s->n_vlan, s->n_mpls, s->depth, flow);
}

/*
 * The options of a SYN's TCP header (h, hlen bytes captured and inside
 * the header): MSS, window scale, SACK permitted, timestamps. A malformed
 * option ends the walk; what was read stays.
 */
static void
tcp_syn_options(struct sf_pkt_tcp *t, const uint8_t *h, uint32_t hlen)
{
	uint32_t i = 20;

	while (i < hlen) {
		uint8_t kind = h[i], len;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (hlen - i < 2)
			break;
		len = h[i + 1];
		if (len < 2 || len > hlen - i)
			break;
		if (kind == 2 && len == 4) {
			t->mss = ld16(h + i + 2);
			t->opts |= SF_TCP_OPT_MSS;
		} else if (kind == 3 && len == 3) {
			t->wscale = h[i + 2];
			t->opts |= SF_TCP_OPT_WSCALE;
		} else if (kind == 4 && len == 2) {
			t->opts |= SF_TCP_OPT_SACK_PERM;
		} else if (kind == 8 && len == 10) {
			t->opts |= SF_TCP_OPT_TS;
		}
		i += len;
	}
}

/*
 * tcp.analysis: the TCP header h of an unfragmented flow packet (layer_l4
 * checked that its 20 bytes are there; `left` bytes may be read), after
 * ip_hdrs bytes of IP headers in an IP packet of ip_len. No facts when the
 * header is longer than the IP packet says (no payload length then). Out of
 * line, with values: the walk's state stays in registers.
 */
static __rte_noinline void
pkt_tcp_out(struct sf_pkt_info *out, const uint8_t *h, uint32_t ip_hdrs, uint32_t ip_len,
		uint32_t left)
{
	uint32_t hlen = (uint32_t)(h[12] >> 4) * 4;
	struct sf_pkt_tcp *t = &out->tcp;

	if (ip_len < ip_hdrs || ip_len - ip_hdrs < hlen)
		return;
	t->seq = ld32(h + 4);
	t->ack = ld32(h + 8);
	t->seglen = ip_len - ip_hdrs - hlen;
	t->win = ld16(h + 14);
	t->mss = 0;
	t->wscale = 0;
	t->opts = 0;
	t->pad[0] = t->pad[1] = 0;
	if (h[13] & SF_TCP_SYN)
		tcp_syn_options(t, h, RTE_MIN(hlen, left));
	out->flags |= SF_PKT_F_TCP;
}

/* A walk from the start of a frame of caplen bytes. */
static __rte_always_inline void
pkt_start(struct pkt_state *s, const uint8_t *p, uint32_t caplen)
{
	s->p = p;
	s->off = 0;
	s->end = caplen;
	s->depth = 0;
	s->n_vlan = 0;
	s->n_mpls = 0;
	s->vlan = 0;
	s->malformed = SF_PKT_BAD_NONE;
	s->ipver = 0;
	s->proto = 0;
	s->frag = 0;
	s->pflags = 0;
	s->tcp_flags = 0;
	s->sport = 0;
	s->dport = 0;
	s->l3 = 0;
	s->ip_len = 0;
}

enum sf_pkt_class
sf_pkt_parse(const uint8_t *p, uint32_t caplen, enum sf_linktype lt,
		struct sf_pkt_info *out)
{
	struct pkt_state s;
	enum pkt_layer next;

	pkt_start(&s, p, caplen);
	/* The common case first: Ethernet, whose header is a layer of the walk. */
	if (likely(lt == SF_LINK_ETHER))
		next = pkt_walk(&s, PL_ETHER, &out->tun);
	else
		next = pkt_walk(&s, pkt_link(&s, lt), &out->tun);
	if (likely(next == PL_DONE)) {
		pkt_key(&s, out);
		out->ip_len = s.ip_len;
		out->tcp_flags = s.tcp_flags;
		out->frag = s.frag;
		out->malformed = SF_PKT_BAD_NONE;
		out->flags = s.pflags;
		out->l3_off = (uint16_t)s.l3;
		out->l4_off = (uint16_t)s.off;
		/* One test for what plain traffic never needs: stacks, tunnels, TCP facts. */
		if (unlikely(((s.depth | s.n_vlan | s.n_mpls) | tcp_fields) != 0)) {
			if ((s.depth | s.n_vlan | s.n_mpls) != 0)
				pkt_encaps_out(&s, out, true);
			if (tcp_fields && s.proto == IPPROTO_TCP && s.frag == 0)
				pkt_tcp_out(out, p + s.off, s.off - s.l3, s.ip_len, s.end - s.off);
		}
		return SF_PKT_FLOW;
	}
	out->flags = 0;
	if (next == PL_BAD) {
		out->malformed = s.malformed;
		if ((s.depth | s.n_vlan | s.n_mpls) != 0)
			pkt_encaps_out(&s, out, false);
		return SF_PKT_MALFORMED;
	}
	out->malformed = SF_PKT_BAD_NONE;
	/* A tunnel's payload that is no flow (ARP in VXLAN): its underlay still is. */
	if (unlikely(s.depth != 0))
		pkt_encaps_out(&s, out, false);
	return SF_PKT_NONFLOW;
}

bool
sf_pkt_underlay_enabled(void)
{
	return decap.d.underlay;
}

/*
 * The first pass of the walk, as with decapsulation off: it ends at the
 * first encapsulation. An IP tunnel (IP-in-IP, GRE, a UDP port of a
 * tunnel) ends it at the outer IP and L4 headers, which decapsulation off
 * keys the packet on; an L2 one (PPPoE, FabricPath, ...) is no flow then.
 */
bool
sf_pkt_parse_underlay(const uint8_t *p, uint32_t caplen, enum sf_linktype lt,
		struct sf_pkt_under *u)
{
	struct sf_pkt_info o;
	struct pkt_state s;
	enum pkt_layer next;

	pkt_start(&s, p, caplen);
	next = pkt_pass(&s, lt == SF_LINK_ETHER ? PL_ETHER : pkt_link(&s, lt));
	if (next == PL_IPTUN)
		next = layer_l4(&s);	/* 4, 41, 47: keyed on the protocol alone */
	else if (next == PL_UDPTUN)
		next = PL_DONE;		/* the UDP ports are read */
	if (next != PL_DONE)
		return false;
	pkt_key(&s, &o);
	u->key = o.key;
	u->dir = o.dir;
	u->dscp = o.dscp;
	if (decap.vlan_mask == 0)
		u->key.vlan = 0;
	sf_flow_key_set_ctx(&u->key, SF_FLOW_CTX_UNDERLAY, 0);
	u->ip_len = s.ip_len;
	u->tcp_flags = s.tcp_flags;
	u->flags = s.pflags;
	return true;
}
