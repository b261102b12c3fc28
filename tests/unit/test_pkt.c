/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/pkt: hand-built frames for every link type and header
 * the parser knows. Every frame is parsed from a heap buffer of exactly its
 * length, and so is every prefix of it, so an over-read shows under ASan.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sf_pkt.h"
#include "sf_test_util.h"

static const uint8_t A4[4] = { 10, 0, 0, 1 };
static const uint8_t B4[4] = { 192, 168, 1, 2 };
static const uint8_t A6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t B6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

/* Frame builder: layers are appended; pb_done() fixes every IP length. */
struct pb {
	uint8_t b[2048];
	uint32_t len;
	uint32_t l3;		/* offset of the last IP header added */
	uint8_t ipver;
	unsigned int n_ip;	/* IP headers added (tunnels: outer first) */
	uint32_t ip_at[8];
	uint8_t ip_ver[8];
};

static void
pb_init(struct pb *p)
{
	memset(p, 0, sizeof(*p));
}

static void
pb_bytes(struct pb *p, const void *d, uint32_t n)
{
	assert_true(p->len + n <= sizeof(p->b));
	memcpy(p->b + p->len, d, n);
	p->len += n;
}

static void
pb_fill(struct pb *p, uint8_t v, uint32_t n)
{
	assert_true(p->len + n <= sizeof(p->b));
	memset(p->b + p->len, v, n);
	p->len += n;
}

static void
pb_u8(struct pb *p, uint8_t v)
{
	pb_bytes(p, &v, 1);
}

static void
pb_u16(struct pb *p, uint16_t v)
{
	uint8_t b[2] = { v >> 8, v & 0xff };

	pb_bytes(p, b, 2);
}

static void
pb_u32(struct pb *p, uint32_t v)
{
	pb_u16(p, v >> 16);
	pb_u16(p, v & 0xffff);
}

static void
put16(struct pb *p, uint32_t off, uint16_t v)
{
	p->b[off] = v >> 8;
	p->b[off + 1] = v & 0xff;
}

static void
eth(struct pb *p, uint16_t etype)
{
	static const uint8_t macs[12] = { 0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2 };

	pb_bytes(p, macs, sizeof(macs));
	pb_u16(p, etype);
}

static void
vtag(struct pb *p, uint16_t tci, uint16_t etype)
{
	pb_u16(p, tci);
	pb_u16(p, etype);
}

static void
mpls(struct pb *p, uint32_t label, int bos)
{
	pb_u32(p, label << 12 | (bos ? 0x100 : 0) | 64);
}

/* IPv4 with `ihl` words (options are NOPs) and the given flags/offset field. */
static void
ip4x(struct pb *p, uint8_t proto, const uint8_t *src, const uint8_t *dst, uint8_t tos,
		unsigned int ihl, uint16_t frag)
{
	p->l3 = p->len;
	p->ipver = 4;
	if (p->n_ip < 8) {
		p->ip_at[p->n_ip] = p->len;
		p->ip_ver[p->n_ip++] = 4;
	}
	pb_u8(p, 0x40 | ihl);
	pb_u8(p, tos);
	pb_u16(p, 0);		/* total length: pb_done */
	pb_u16(p, 0x1234);
	pb_u16(p, frag);
	pb_u8(p, 64);
	pb_u8(p, proto);
	pb_u16(p, 0);
	pb_bytes(p, src, 4);
	pb_bytes(p, dst, 4);
	if (ihl > 5)
		pb_fill(p, 0x01, (ihl - 5) * 4);
}

static void
ip4(struct pb *p, uint8_t proto, const uint8_t *src, const uint8_t *dst)
{
	ip4x(p, proto, src, dst, 0, 5, 0);
}

static void
ip6x(struct pb *p, uint8_t nh, const uint8_t *src, const uint8_t *dst, uint8_t tc)
{
	p->l3 = p->len;
	p->ipver = 6;
	if (p->n_ip < 8) {
		p->ip_at[p->n_ip] = p->len;
		p->ip_ver[p->n_ip++] = 6;
	}
	pb_u32(p, 6u << 28 | (uint32_t)tc << 20 | 0x12345);
	pb_u16(p, 0);		/* payload length: pb_done */
	pb_u8(p, nh);
	pb_u8(p, 64);
	pb_bytes(p, src, 16);
	pb_bytes(p, dst, 16);
}

static void
ip6(struct pb *p, uint8_t nh, const uint8_t *src, const uint8_t *dst)
{
	ip6x(p, nh, src, dst, 0);
}

/* Generic IPv6 extension header of `bytes` (multiple of 8), Pad1 filled. */
static void
ext6(struct pb *p, uint8_t nh, uint32_t bytes)
{
	pb_u8(p, nh);
	pb_u8(p, bytes / 8 - 1);
	pb_fill(p, 0, bytes - 2);
}

static void
ah6(struct pb *p, uint8_t nh, uint32_t bytes)
{
	pb_u8(p, nh);
	pb_u8(p, bytes / 4 - 2);
	pb_fill(p, 0xaa, bytes - 2);
}

static void
frag6(struct pb *p, uint8_t nh, uint16_t off8, int more)
{
	pb_u8(p, nh);
	pb_u8(p, 0);
	pb_u16(p, (uint16_t)(off8 << 3 | (more ? 1 : 0)));
	pb_u32(p, 0xdeadbeef);
}

static void
tcp(struct pb *p, uint16_t sport, uint16_t dport, uint8_t flags)
{
	pb_u16(p, sport);
	pb_u16(p, dport);
	pb_u32(p, 1000);
	pb_u32(p, 2000);
	pb_u8(p, 5 << 4);
	pb_u8(p, flags);
	pb_u16(p, 65535);
	pb_u32(p, 0);
}

static void
udp(struct pb *p, uint16_t sport, uint16_t dport)
{
	pb_u16(p, sport);
	pb_u16(p, dport);
	pb_u16(p, 8);
	pb_u16(p, 0);
}

static void
sctp(struct pb *p, uint16_t sport, uint16_t dport)
{
	pb_u16(p, sport);
	pb_u16(p, dport);
	pb_u32(p, 0x11223344);
	pb_u32(p, 0);
}

static void
payload(struct pb *p, uint32_t n)
{
	pb_fill(p, 0x5a, n);
}

static void
pb_done(struct pb *p)
{
	unsigned int i;

	for (i = 0; i < p->n_ip; i++) {
		if (p->ip_ver[i] == 4)
			put16(p, p->ip_at[i] + 2, (uint16_t)(p->len - p->ip_at[i]));
		else
			put16(p, p->ip_at[i] + 4, (uint16_t)(p->len - p->ip_at[i] - 40));
	}
}

/*
 * Parse `len` bytes of `d` from a heap block of exactly that size (for 0,
 * a pointer one past a 1-byte block), so any read past caplen is an ASan
 * error. `out` starts as garbage so fields the parser forgets show.
 */
static enum sf_pkt_class
parse_exact(const uint8_t *d, uint32_t len, enum sf_linktype lt, struct sf_pkt_info *out)
{
	uint8_t *buf = malloc(len ? len : 1);
	enum sf_pkt_class c;

	assert_non_null(buf);
	memcpy(buf, d, len);
	memset(out, 0xa5, sizeof(*out));
	c = sf_pkt_parse(len ? buf : buf + 1, len, lt, out);
	free(buf);
	return c;
}

static void
check_info_sane(enum sf_pkt_class c, const struct sf_pkt_info *i)
{
	static const uint8_t zero[12];

	switch (c) {
	case SF_PKT_FLOW:
		assert_int_equal(i->malformed, SF_PKT_BAD_NONE);
		assert_true(i->key.ipver == 4 || i->key.ipver == 6);
		if (i->key.ipver == 4) {
			assert_memory_equal(i->key.addr_lo + 4, zero, 12);
			assert_memory_equal(i->key.addr_hi + 4, zero, 12);
		}
		assert_true(i->dir == SF_DIR_LO || i->dir == SF_DIR_HI);
		assert_true(i->key.vlan <= 0xfff);
		assert_true(i->dscp < 64);
		assert_true(i->frag <= SF_PKT_FRAG_LATER);
		assert_true((i->flags & ~(SF_PKT_F_LEN_CAPTURED | SF_PKT_F_ENCAP)) == 0);
		if (i->frag != 0) {
			assert_int_equal(i->key.port_lo, 0);
			assert_int_equal(i->key.port_hi, 0);
		}
		if (i->key.proto != 6)
			assert_int_equal(i->tcp_flags, 0);
		break;
	case SF_PKT_NONFLOW:
		assert_int_equal(i->malformed, SF_PKT_BAD_NONE);
		break;
	case SF_PKT_MALFORMED:
		assert_true(i->malformed > SF_PKT_BAD_NONE && i->malformed < SF_PKT_BAD_MAX);
		break;
	default:
		fail_msg("bad class %d", (int)c);
	}
}

/*
 * Parse the frame, and every proper prefix of it: a cut frame is never a
 * flow unless the whole frame is one, and then with the same key and
 * direction (the L4 header was complete, only payload was cut).
 */
static enum sf_pkt_class
parse(const struct pb *p, enum sf_linktype lt, struct sf_pkt_info *out)
{
	struct sf_pkt_info pi;
	enum sf_pkt_class c, pc;
	uint32_t l;

	c = parse_exact(p->b, p->len, lt, out);
	check_info_sane(c, out);
	for (l = 0; l < p->len; l++) {
		pc = parse_exact(p->b, l, lt, &pi);
		check_info_sane(pc, &pi);
		if (pc == SF_PKT_FLOW) {
			assert_int_equal(c, SF_PKT_FLOW);
			assert_memory_equal(&pi.key, &out->key, sizeof(pi.key));
			assert_int_equal(pi.dir, out->dir);
			assert_int_equal(pi.frag, out->frag);
		}
	}
	return c;
}

static enum sf_pkt_class
parse_eth(const struct pb *p, struct sf_pkt_info *out)
{
	return parse(p, SF_LINK_ETHER, out);
}

/* The whole frame must be a flow with exactly this key, sender and length. */
static void
expect_flow(const struct pb *p, enum sf_linktype lt, uint8_t ipver, const uint8_t *src,
		const uint8_t *dst, uint16_t sport, uint16_t dport, uint8_t proto,
		uint16_t vlan, struct sf_pkt_info *out)
{
	struct sf_flow_key want;
	enum sf_flow_dir dir;

	assert_int_equal(parse(p, lt, out), SF_PKT_FLOW);
	dir = sf_flow_key_make(&want, ipver, src, dst, ipver == 4 ? 4 : 16, sport, dport,
			proto, vlan);
	assert_memory_equal(&out->key, &want, sizeof(want));
	assert_int_equal(out->dir, dir);
}

static void
expect_bad(const struct pb *p, enum sf_linktype lt, enum sf_pkt_malformed why)
{
	struct sf_pkt_info i;

	assert_int_equal(parse(p, lt, &i), SF_PKT_MALFORMED);
	assert_int_equal(i.malformed, why);
}

static void
expect_nonflow(const struct pb *p, enum sf_linktype lt)
{
	struct sf_pkt_info i;

	assert_int_equal(parse(p, lt, &i), SF_PKT_NONFLOW);
	assert_int_equal(i.malformed, SF_PKT_BAD_NONE);
}

/* ---------------------------------------------------------------- L4 */

static void
test_eth_ipv4_tcp_fields(void **state)
{
	static const uint8_t zero[12];
	struct sf_pkt_info i;
	struct pb p;

	(void)state;
	pb_init(&p);
	eth(&p, 0x0800);
	ip4x(&p, 6, B4, A4, 0xb8 | 0x02, 5, 0x4000);	/* EF, ECT(0), DF */
	tcp(&p, 443, 51000, SF_TCP_SYN | SF_TCP_ACK);
	payload(&p, 10);
	pb_done(&p);

	assert_int_equal(parse_eth(&p, &i), SF_PKT_FLOW);
	/* 192.168.1.2:443 -> 10.0.0.1:51000: the sender is the high end. */
	assert_memory_equal(i.key.addr_lo, A4, 4);
	assert_memory_equal(i.key.addr_lo + 4, zero, 12);
	assert_memory_equal(i.key.addr_hi, B4, 4);
	assert_memory_equal(i.key.addr_hi + 4, zero, 12);
	assert_int_equal(i.key.port_lo, 51000);
	assert_int_equal(i.key.port_hi, 443);
	assert_int_equal(i.key.vlan, 0);
	assert_int_equal(i.key.proto, 6);
	assert_int_equal(i.key.ipver, 4);
	assert_int_equal(i.dir, SF_DIR_HI);
	assert_int_equal(i.ip_len, 50);
	assert_int_equal(i.tcp_flags, SF_TCP_SYN | SF_TCP_ACK);
	assert_int_equal(i.dscp, 46);
	assert_int_equal(i.frag, 0);
	assert_int_equal(i.malformed, SF_PKT_BAD_NONE);
	assert_int_equal(i.flags, 0);
	/* Where the innermost IP and L4 headers start in the frame. */
	assert_int_equal(i.l3_off, 14);
	assert_int_equal(i.l4_off, 14 + 20);
}

static void
test_both_directions(void **state)
{
	struct sf_pkt_info fwd, rev;
	struct pb p;

	(void)state;
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 6, A4, B4);
	tcp(&p, 51000, 443, SF_TCP_SYN);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 51000, 443, 6, 0, &fwd);
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 6, B4, A4);
	tcp(&p, 443, 51000, SF_TCP_SYN | SF_TCP_ACK);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, B4, A4, 443, 51000, 6, 0, &rev);
	assert_memory_equal(&fwd.key, &rev.key, sizeof(fwd.key));
	assert_int_equal(fwd.dir, SF_DIR_LO);
	assert_int_equal(rev.dir, SF_DIR_HI);
	assert_int_equal(sf_flow_key_hash(&fwd.key), sf_flow_key_hash(&rev.key));

	pb_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 17, B6, A6);
	udp(&p, 53, 5353);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 6, B6, A6, 53, 5353, 17, 0, &fwd);
	pb_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 17, A6, B6);
	udp(&p, 5353, 53);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 6, A6, B6, 5353, 53, 17, 0, &rev);
	assert_memory_equal(&fwd.key, &rev.key, sizeof(fwd.key));
	assert_int_equal(fwd.dir, SF_DIR_HI);
	assert_int_equal(rev.dir, SF_DIR_LO);
}

static void
test_ipv4_udp(void **state)
{
	struct sf_pkt_info i;
	struct pb p;

	(void)state;
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 5353, 53);
	payload(&p, 30);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 5353, 53, 17, 0, &i);
	assert_int_equal(i.ip_len, 58);
	assert_int_equal(i.tcp_flags, 0);
}

static void
test_ipv4_sctp(void **state)
{
	struct sf_pkt_info i;
	struct pb p;

	(void)state;
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 132, A4, B4);
	sctp(&p, 3868, 3868);
	payload(&p, 16);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 3868, 3868, 132, 0, &i);

	/* 11 bytes of the 12-byte common header. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 132, A4, B4);
	pb_fill(&p, 1, 11);
	pb_done(&p);
	expect_bad(&p, SF_LINK_ETHER, SF_PKT_BAD_L4_TRUNC);
}

static void
test_udplite_dccp(void **state)
{
	struct sf_pkt_info i;
	struct pb p;

	(void)state;
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 136, A4, B4);
	udp(&p, 1000, 2000);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 1000, 2000, 136, 0, &i);

	/* DCCP with short sequence numbers (X = 0): 12 bytes. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 33, A4, B4);
	pb_u16(&p, 5001);
	pb_u16(&p, 5002);
	pb_u32(&p, 0);
	pb_u32(&p, 0);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 5001, 5002, 33, 0, &i);
	/* X = 1 needs 16 bytes. */
	p.b[p.l3 + 20 + 8] = 0x01;
	expect_bad(&p, SF_LINK_ETHER, SF_PKT_BAD_L4_TRUNC);
	pb_u32(&p, 0);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 5001, 5002, 33, 0, &i);
}

static void
test_icmp(void **state)
{
	struct sf_pkt_info i;
	struct pb p;

	(void)state;
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 1, A4, B4);
	pb_u16(&p, 0x0800);	/* echo request */
	pb_u16(&p, 0);
	pb_u32(&p, 0x00010001);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 0, 0, 1, 0, &i);
	assert_int_equal(i.key.port_lo, 0);
	assert_int_equal(i.key.port_hi, 0);

	/* Type, code and one checksum byte: not a whole ICMP header start. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 1, A4, B4);
	pb_fill(&p, 8, 3);
	pb_done(&p);
	expect_bad(&p, SF_LINK_ETHER, SF_PKT_BAD_L4_TRUNC);
}

static void
test_icmpv6(void **state)
{
	struct sf_pkt_info i;
	struct pb p;

	(void)state;
	pb_init(&p);
	eth(&p, 0x86dd);
	ip6x(&p, 58, A6, B6, 0xb8);
	pb_u16(&p, 0x8000);	/* echo request */
	pb_u16(&p, 0);
	pb_u32(&p, 1);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 6, A6, B6, 0, 0, 58, 0, &i);
	assert_int_equal(i.ip_len, 48);
	assert_int_equal(i.dscp, 46);

	pb_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 58, A6, B6);
	pb_fill(&p, 0x80, 3);
	pb_done(&p);
	expect_bad(&p, SF_LINK_ETHER, SF_PKT_BAD_L4_TRUNC);
}

/* A flow keyed on the innermost headers, with a tunnel context. */
static void
expect_tun_flow(const struct pb *p, uint8_t ipver, const uint8_t *src, const uint8_t *dst,
		uint16_t sport, uint16_t dport, uint8_t proto, uint16_t vlan,
		enum sf_flow_ctx_kind kind, uint32_t ctx, struct sf_pkt_info *out)
{
	struct sf_flow_key want;
	enum sf_flow_dir dir;

	assert_int_equal(parse(p, SF_LINK_ETHER, out), SF_PKT_FLOW);
	dir = sf_flow_key_make(&want, ipver, src, dst, ipver == 4 ? 4 : 16, sport, dport,
			proto, vlan);
	if (kind != SF_FLOW_CTX_NONE)
		sf_flow_key_set_ctx(&want, kind, ctx);
	assert_memory_equal(&out->key, &want, sizeof(want));
	assert_int_equal(out->dir, dir);
	assert_true(out->flags & SF_PKT_F_ENCAP);
}

#define ENCAP_BIT(e) (UINT32_C(1) << SF_ENCAP_ ## e)

/* GRE header: flags/version, protocol, and the optional fields they announce. */
static void
gre(struct pb *p, uint16_t flags, uint16_t proto, uint32_t key, uint32_t seq)
{
	pb_u16(p, flags);
	pb_u16(p, proto);
	if (flags & 0x8000)
		pb_u32(p, 0);		/* checksum, reserved */
	if (flags & 0x2000)
		pb_u32(p, key);
	if (flags & 0x1000)
		pb_u32(p, seq);
}

static void
test_gre(void **state)
{
	struct sf_pkt_info i;
	struct pb p;

	(void)state;
	/* GRE v0 with checksum, key and sequence over IPv4: the inner TCP flow, key as context. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 47, A4, B4);
	gre(&p, 0xb000, 0x0800, 77, 5);
	ip4(&p, 6, B6 + 12, A6 + 12);
	tcp(&p, 80, 8080, SF_TCP_SYN);
	pb_done(&p);
	expect_tun_flow(&p, 4, B6 + 12, A6 + 12, 80, 8080, 6, 0, SF_FLOW_CTX_GRE_KEY, 77, &i);
	assert_int_equal(i.tcp_flags, SF_TCP_SYN);
	assert_int_equal(i.ip_len, 40);			/* the inner IP packet */
	assert_int_equal(i.l3_off, 14 + 20 + 16);
	assert_int_equal(i.tun.encaps, ENCAP_BIT(GRE));
	assert_int_equal(i.tun.depth, 1);
	assert_int_equal(i.tun.last, SF_ENCAP_GRE);
	assert_int_equal(i.tun.outer_ipver, 4);
	assert_int_equal(i.tun.outer_l3, 14);
	assert_int_equal(i.tun.gre_key, 77);
	assert_int_equal(i.tun.ids, SF_PKT_ID_GRE_KEY);

	/* A protocol spanflow does not decapsulate (PPP in v0): the outer GRE flow, as before. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 47, A4, B4);
	gre(&p, 0, 0x880b, 0, 0);
	payload(&p, 20);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 0, 0, 47, 0, &i);
	assert_int_equal(i.ip_len, p.len - 14);
	assert_int_equal(i.flags & SF_PKT_F_ENCAP, 0);

	/* GRE in GRE, IPv6 inside: two levels, the innermost key wins. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 47, A4, B4);
	gre(&p, 0x2000, 0x0800, 1, 0);
	ip4(&p, 47, B4, A4);
	gre(&p, 0x2000, 0x86dd, 2, 0);
	ip6(&p, 17, A6, B6);
	udp(&p, 53, 5353);
	pb_done(&p);
	expect_tun_flow(&p, 6, A6, B6, 53, 5353, 17, 0, SF_FLOW_CTX_GRE_KEY, 2, &i);
	assert_int_equal(i.tun.depth, 2);
	assert_int_equal(i.tun.outer_l3, 14);

	/* Transparent Ethernet bridging: the bridged frame's VLAN, and the key (overlays key tenants). */
	pb_init(&p);
	eth(&p, 0x8100);
	vtag(&p, 10, 0x0800);
	ip4(&p, 47, A4, B4);
	gre(&p, 0x2000, 0x6558, 9, 0);
	eth(&p, 0x8100);
	vtag(&p, 20, 0x0800);
	ip4(&p, 17, B4, A4);
	udp(&p, 1000, 2000);
	pb_done(&p);
	expect_tun_flow(&p, 4, B4, A4, 1000, 2000, 17, 20, SF_FLOW_CTX_GRE_KEY, 9, &i);
	assert_int_equal(i.tun.encaps, ENCAP_BIT(VLAN) | ENCAP_BIT(GRE));

	/* PPTP's enhanced GRE (v1): PPP with address/control, then IPv4; the call id. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 47, A4, B4);
	pb_u16(&p, 0x3001);	/* K, S, version 1 */
	pb_u16(&p, 0x880b);
	pb_u16(&p, 44);		/* payload length */
	pb_u16(&p, 0x1234);	/* call id */
	pb_u32(&p, 1);		/* sequence */
	pb_u16(&p, 0xff03);
	pb_u16(&p, 0x0021);
	ip4(&p, 6, B4, A4);
	tcp(&p, 443, 50000, SF_TCP_ACK);
	pb_done(&p);
	expect_tun_flow(&p, 4, B4, A4, 443, 50000, 6, 0, SF_FLOW_CTX_NONE, 0, &i);

	/* ... and a v1 acknowledgment without payload: the outer flow. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 47, A4, B4);
	pb_u16(&p, 0x2081);	/* K, A, version 1 */
	pb_u16(&p, 0x880b);
	pb_u16(&p, 0);
	pb_u16(&p, 0x1234);
	pb_u32(&p, 1);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 0, 0, 47, 0, &i);

	/* A GRE header cut short is a malformed GRE packet. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 47, A4, B4);
	pb_u16(&p, 0x2000);
	pb_u16(&p, 0x0800);
	pb_u16(&p, 0);		/* half a key */
	pb_done(&p);
	assert_int_equal(parse_eth(&p, &i), SF_PKT_MALFORMED);
	assert_int_equal(i.malformed, SF_PKT_BAD_ENCAP_TRUNC);
	assert_true(i.flags & SF_PKT_F_ENCAP);
	assert_int_equal(i.tun.last, SF_ENCAP_GRE);

	/* A bad inner IP header: malformed, noted with the GRE encapsulation. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 47, A4, B4);
	gre(&p, 0, 0x0800, 0, 0);
	pb_u8(&p, 0x65);	/* "IPv6" in an IPv4 payload */
	pb_fill(&p, 0, 39);
	pb_done(&p);
	assert_int_equal(parse_eth(&p, &i), SF_PKT_MALFORMED);
	assert_int_equal(i.malformed, SF_PKT_BAD_IP_VERSION);
	assert_int_equal(i.tun.last, SF_ENCAP_GRE);

	/* ESP over IPv4: keyed by protocol, nothing read. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 50, A4, B4);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 0, 0, 50, 0, &i);
}

static void
test_ip_in_ip(void **state)
{
	struct sf_pkt_info i;
	struct pb p;
	static const struct { uint8_t outer, inner; } v[] = { { 4, 4 }, { 4, 6 }, { 6, 4 }, { 6, 6 } };
	unsigned int k;

	(void)state;
	for (k = 0; k < RTE_DIM(v); k++) {
		pb_init(&p);
		eth(&p, v[k].outer == 4 ? 0x0800 : 0x86dd);
		if (v[k].outer == 4)
			ip4(&p, v[k].inner == 4 ? 4 : 41, A4, B4);
		else
			ip6(&p, v[k].inner == 4 ? 4 : 41, A6, B6);
		if (v[k].inner == 4)
			ip4(&p, 17, B4, A4);
		else
			ip6(&p, 17, B6, A6);
		udp(&p, 123, 123);
		pb_done(&p);
		if (v[k].inner == 4)
			expect_tun_flow(&p, 4, B4, A4, 123, 123, 17, 0, SF_FLOW_CTX_NONE, 0, &i);
		else
			expect_tun_flow(&p, 6, B6, A6, 123, 123, 17, 0, SF_FLOW_CTX_NONE, 0, &i);
		assert_int_equal(i.tun.encaps, ENCAP_BIT(IPIP));
		assert_int_equal(i.tun.outer_ipver, v[k].outer);
		assert_int_equal(i.ip_len, (v[k].inner == 4 ? 20 : 40) + 8);
	}

	/* An outer fragment is not decapsulated: accounted on the outer header. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4x(&p, 4, A4, B4, 0, 5, 0x2000);	/* MF */
	ip4(&p, 17, B4, A4);
	udp(&p, 123, 123);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 0, 0, 4, 0, &i);
	assert_int_equal(i.frag, SF_PKT_FRAG_FIRST);
	assert_int_equal(i.ip_len, p.len - 14);
}

/* UDP with a tunnel header after it (pb_done fixes the IP lengths). */
static void
vxlan(struct pb *p, uint16_t dport, uint32_t vni)
{
	udp(p, 40000, dport);
	pb_u32(p, 0x08000000);
	pb_u32(p, vni << 8);
}

static void
test_vxlan_geneve(void **state)
{
	struct sf_pkt_info i, j;
	struct pb p;

	(void)state;
	/* VXLAN on 4789 and 8472: the inner flow, the VNI as context. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	vxlan(&p, 4789, 5001);
	eth(&p, 0x0800);
	ip4(&p, 6, A4, B4);
	tcp(&p, 22, 60000, SF_TCP_ACK);
	pb_done(&p);
	expect_tun_flow(&p, 4, A4, B4, 22, 60000, 6, 0, SF_FLOW_CTX_VNI, 5001, &i);
	assert_int_equal(i.tun.vni, 5001);
	assert_int_equal(i.tun.encaps, ENCAP_BIT(VXLAN));
	assert_int_equal(i.l3_off, 14 + 20 + 8 + 8 + 14);

	/* The same inner flow in another VNI is another flow. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, B4, A4);
	vxlan(&p, 8472, 5002);
	eth(&p, 0x0800);
	ip4(&p, 6, B4, A4);
	tcp(&p, 60000, 22, SF_TCP_ACK);
	pb_done(&p);
	expect_tun_flow(&p, 4, B4, A4, 60000, 22, 6, 0, SF_FLOW_CTX_VNI, 5002, &j);
	assert_memory_not_equal(&i.key, &j.key, sizeof(i.key));

	/* VXLAN over IPv6 carrying IPv6; ARP inside VXLAN is not a flow. */
	pb_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 17, A6, B6);
	vxlan(&p, 4789, 7);
	eth(&p, 0x86dd);
	ip6(&p, 58, B6, A6);
	pb_u32(&p, 0x80000000);	/* ICMPv6 echo request */
	pb_done(&p);
	expect_tun_flow(&p, 6, B6, A6, 0, 0, 58, 0, SF_FLOW_CTX_VNI, 7, &i);
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	vxlan(&p, 4789, 7);
	eth(&p, 0x0806);
	pb_fill(&p, 0, 28);
	pb_done(&p);
	expect_nonflow(&p, SF_LINK_ETHER);

	/* A VXLAN header cut short. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 40000, 4789);
	pb_u32(&p, 0x08000000);
	pb_done(&p);
	assert_int_equal(parse_eth(&p, &i), SF_PKT_MALFORMED);
	assert_int_equal(i.malformed, SF_PKT_BAD_ENCAP_TRUNC);
	assert_int_equal(i.tun.last, SF_ENCAP_VXLAN);

	/* Geneve with 8 bytes of options, an IPv4 payload (protocol 0x0800). */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 40000, 6081);
	pb_u8(&p, 2);		/* version 0, 2 words of options */
	pb_u8(&p, 0);
	pb_u16(&p, 0x0800);
	pb_u32(&p, 99u << 8);
	pb_fill(&p, 0xee, 8);
	ip4(&p, 17, B4, A4);
	udp(&p, 1, 2);
	pb_done(&p);
	expect_tun_flow(&p, 4, B4, A4, 1, 2, 17, 0, SF_FLOW_CTX_VNI, 99, &i);
	assert_int_equal(i.tun.encaps, ENCAP_BIT(GENEVE));

	/* A Geneve version other than 0 is a bad header. */
	p.b[14 + 20 + 8] = 0x42;
	assert_int_equal(parse_exact(p.b, p.len, SF_LINK_ETHER, &i), SF_PKT_MALFORMED);
	assert_int_equal(i.malformed, SF_PKT_BAD_ENCAP_HEADER);

	/* GRE in UDP (RFC 8086). */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 40000, 4754);
	gre(&p, 0, 0x86dd, 0, 0);
	ip6(&p, 6, A6, B6);
	tcp(&p, 1, 2, SF_TCP_SYN);
	pb_done(&p);
	expect_tun_flow(&p, 6, A6, B6, 1, 2, 6, 0, SF_FLOW_CTX_NONE, 0, &i);
	assert_int_equal(i.tun.encaps, ENCAP_BIT(GRE_UDP));
}

static void
test_gtpu(void **state)
{
	struct sf_pkt_info i;
	struct pb p;

	(void)state;
	/* A G-PDU with a PDU session container extension: the user's packet, the TEID. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 2152, 2152);
	pb_u8(&p, 0x34);	/* version 1, PT, E */
	pb_u8(&p, 0xff);
	pb_u16(&p, 0);
	pb_u32(&p, 0xabcdef01);
	pb_u16(&p, 0);		/* sequence */
	pb_u8(&p, 0);		/* N-PDU */
	pb_u8(&p, 0x85);	/* next: PDU session container */
	pb_u8(&p, 1);		/* 4 bytes */
	pb_u8(&p, 0x10);
	pb_u8(&p, 0x09);
	pb_u8(&p, 0);		/* no more */
	ip6(&p, 17, A6, B6);
	udp(&p, 5000, 443);
	pb_done(&p);
	expect_tun_flow(&p, 6, A6, B6, 5000, 443, 17, 0, SF_FLOW_CTX_TEID, 0xabcdef01, &i);
	assert_int_equal(i.tun.encaps, ENCAP_BIT(GTPU));

	/* An echo request is the outer UDP flow. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 2152, 2152);
	pb_u8(&p, 0x32);
	pb_u8(&p, 1);
	pb_u16(&p, 4);
	pb_u32(&p, 0);
	pb_u32(&p, 0);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 2152, 2152, 17, 0, &i);

	/* An extension header of length 0 is a bad header. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 2152, 2152);
	pb_u8(&p, 0x34);
	pb_u8(&p, 0xff);
	pb_u16(&p, 0);
	pb_u32(&p, 1);
	pb_u32(&p, 0x85);
	pb_u32(&p, 0);
	pb_done(&p);
	assert_int_equal(parse_eth(&p, &i), SF_PKT_MALFORMED);
	assert_int_equal(i.malformed, SF_PKT_BAD_ENCAP_HEADER);
	assert_int_equal(i.tun.last, SF_ENCAP_GTPU);
}

static void
test_erspan(void **state)
{
	struct sf_pkt_info i;
	struct pb p;
	unsigned int type;

	(void)state;
	for (type = 1; type <= 3; type++) {
		pb_init(&p);
		eth(&p, 0x0800);
		ip4(&p, 47, A4, B4);
		gre(&p, type == 1 ? 0 : 0x1000, type == 3 ? 0x22eb : 0x88be, 0, 1);
		if (type == 2) {
			pb_u16(&p, 0x1000 | 5);		/* version 1, VLAN 5 */
			pb_u16(&p, 0x0100 | 300);	/* session 300 */
			pb_u32(&p, 0);
		} else if (type == 3) {
			pb_u16(&p, 0x2000 | 5);		/* version 2 */
			pb_u16(&p, 300);
			pb_u32(&p, 0x11223344);		/* timestamp */
			pb_u16(&p, 0);			/* SGT */
			pb_u16(&p, 0x0001);		/* frame type 0, O: a platform sub-header */
			pb_u32(&p, 0);
			pb_u32(&p, 0);
		}
		eth(&p, 0x8100);
		vtag(&p, 30, 0x0800);
		ip4(&p, 6, A6 + 12, B6 + 12);
		tcp(&p, 1234, 80, SF_TCP_SYN);
		pb_done(&p);
		/* The mirrored frame's VLAN; the session is no context. */
		expect_tun_flow(&p, 4, A6 + 12, B6 + 12, 1234, 80, 6, 30, SF_FLOW_CTX_NONE, 0, &i);
		assert_int_equal(i.tun.encaps, ENCAP_BIT(GRE) | ENCAP_BIT(VLAN) |
				(type == 1 ? ENCAP_BIT(ERSPAN1) : type == 2 ?
				 ENCAP_BIT(ERSPAN2) : ENCAP_BIT(ERSPAN3)));
		assert_int_equal(i.tun.depth, 1);
		if (type != 1) {
			assert_true(i.tun.ids & SF_PKT_ID_ERSPAN);
			assert_int_equal(i.tun.erspan, 300);
		}
	}

	/* Type III, frame type 2: an IP packet without a frame. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 47, A4, B4);
	gre(&p, 0x1000, 0x22eb, 0, 1);
	pb_u16(&p, 0x2000);
	pb_u16(&p, 7);
	pb_u32(&p, 0);
	pb_u16(&p, 0);
	pb_u16(&p, 2 << 10);
	ip4(&p, 17, B4, A4);
	udp(&p, 9, 10);
	pb_done(&p);
	expect_tun_flow(&p, 4, B4, A4, 9, 10, 17, 0, SF_FLOW_CTX_NONE, 0, &i);

	/* A type II header with the wrong version. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 47, A4, B4);
	gre(&p, 0x1000, 0x88be, 0, 1);
	pb_u32(&p, 0x30000000);
	pb_u32(&p, 0);
	pb_done(&p);
	assert_int_equal(parse_eth(&p, &i), SF_PKT_MALFORMED);
	assert_int_equal(i.malformed, SF_PKT_BAD_ENCAP_HEADER);
	assert_int_equal(i.tun.last, SF_ENCAP_ERSPAN2);
}

static void
test_l2_encaps(void **state)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	struct sf_pkt_info i;
	struct pb p;

	(void)state;
	/* QinQ, then PPPoE, then MPLS (PPP 0x0281), then IPv4. */
	pb_init(&p);
	eth(&p, 0x88a8);
	vtag(&p, 100, 0x8100);
	vtag(&p, 200, 0x8864);
	pb_u8(&p, 0x11);
	pb_u8(&p, 0);
	pb_u16(&p, 0x0042);	/* session */
	pb_u16(&p, 0);		/* length (not checked) */
	pb_u16(&p, 0x0281);
	mpls(&p, 1000, 0);
	mpls(&p, 2000, 1);
	ip4(&p, 6, A4, B4);
	tcp(&p, 1, 2, SF_TCP_ACK);
	pb_done(&p);
	expect_tun_flow(&p, 4, A4, B4, 1, 2, 6, 100, SF_FLOW_CTX_NONE, 0, &i);
	assert_int_equal(i.tun.encaps, ENCAP_BIT(VLAN) | ENCAP_BIT(PPPOE) | ENCAP_BIT(MPLS));
	assert_int_equal(i.tun.n_mpls, 2);
	assert_int_equal(i.tun.mpls[0], 1000);
	assert_int_equal(i.tun.mpls[1], 2000);

	/* PPPoE carrying LCP is not a flow; a bad version is a bad header. */
	pb_init(&p);
	eth(&p, 0x8864);
	pb_u32(&p, 0x11000001);
	pb_u16(&p, 4);
	pb_u16(&p, 0xc021);
	pb_u32(&p, 0);
	expect_nonflow(&p, SF_LINK_ETHER);
	p.b[14] = 0x21;
	assert_int_equal(parse_exact(p.b, p.len, SF_LINK_ETHER, &i), SF_PKT_MALFORMED);
	assert_int_equal(i.malformed, SF_PKT_BAD_ENCAP_HEADER);

	/* FabricPath: outer addresses, tag, then the original frame with its VLAN. */
	pb_init(&p);
	eth(&p, 0x8903);
	pb_u16(&p, 0x0a3f);	/* FTag, TTL */
	pb_bytes(&p, mac, 6);
	pb_bytes(&p, mac, 6);
	pb_u16(&p, 0x8100);
	vtag(&p, 55, 0x86dd);
	ip6(&p, 17, A6, B6);
	udp(&p, 7, 8);
	pb_done(&p);
	expect_tun_flow(&p, 6, A6, B6, 7, 8, 17, 55, SF_FLOW_CTX_NONE, 0, &i);
	assert_int_equal(i.tun.encaps, ENCAP_BIT(FABRICPATH) | ENCAP_BIT(VLAN));

	/* VN-Tag, then the frame's ethertype. */
	pb_init(&p);
	eth(&p, 0x8926);
	pb_u32(&p, 0x80010002);
	pb_u16(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 7, 8);
	pb_done(&p);
	expect_tun_flow(&p, 4, A4, B4, 7, 8, 17, 0, SF_FLOW_CTX_NONE, 0, &i);
	assert_int_equal(i.tun.encaps, ENCAP_BIT(VNTAG));

	/* 802.1ah: B-tag, I-tag, the customer frame. */
	pb_init(&p);
	eth(&p, 0x88a8);
	vtag(&p, 300, 0x88e7);
	pb_u32(&p, 0x00123456);
	pb_bytes(&p, mac, 6);
	pb_bytes(&p, mac, 6);
	pb_u16(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 7, 8);
	pb_done(&p);
	expect_tun_flow(&p, 4, A4, B4, 7, 8, 17, 0, SF_FLOW_CTX_NONE, 0, &i);
	assert_int_equal(i.tun.isid, 0x123456);
	assert_int_equal(i.tun.encaps, ENCAP_BIT(PBB) | ENCAP_BIT(VLAN));
}

/* CAPWAP data header (8 bytes + `extra` of radio MAC / wireless fields). */
static void
capwap(struct pb *p, uint16_t sport, uint16_t dport, uint32_t flags, unsigned int extra)
{
	udp(p, sport, dport);
	pb_u32(p, ((2 + extra / 4) << 19) | (1u << 9) | flags);	/* HLEN, WBID 1 */
	pb_u32(p, 0);
	pb_fill(p, 0, extra);
}

/*
 * An 802.11 data frame header: frame control (`fc` type/subtype byte,
 * `fl` flags byte, swapped as Cisco's CAPWAP sends them when `swap`),
 * duration, three addresses, sequence; a fourth address when both DS
 * bits are set, QoS control (`qos`) for QoS subtypes, HT control when
 * the order bit is set on one.
 */
static void
wlan(struct pb *p, uint8_t fc, uint8_t fl, uint8_t qos, bool swap)
{
	pb_u8(p, swap ? fl : fc);
	pb_u8(p, swap ? fc : fl);
	pb_u16(p, 0);
	pb_fill(p, 0x02, 18);
	pb_u16(p, 0x1230);
	if ((fl & 3) == 3)
		pb_fill(p, 0x02, 6);
	if (fc & 0x80) {
		pb_u8(p, qos);
		pb_u8(p, 0);
		if (fl & 0x80)
			pb_u32(p, 0);
	}
}

static void
snap(struct pb *p, uint16_t etype)
{
	static const uint8_t llc[6] = { 0xaa, 0xaa, 0x03, 0, 0, 0 };

	pb_bytes(p, llc, sizeof(llc));
	pb_u16(p, etype);
}

/* A CAPWAP packet from the controller's data port carrying an 802.11 frame. */
static void
capwap_wlan(struct pb *p, uint8_t fc, uint8_t fl, uint8_t qos)
{
	pb_init(p);
	eth(p, 0x0800);
	ip4(p, 17, A4, B4);
	capwap(p, 5247, 12380, 0x100 | 0x20, 8);	/* T, W: 8 bytes of wireless info */
	wlan(p, fc, fl, qos, true);
}

static void
test_capwap_wlan(void **state)
{
	struct sf_pkt_info i;
	struct pb p;

	(void)state;
	/* CAPWAP with an IEEE 802.3 payload (T = 0): the inner frame and its VLAN. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	capwap(&p, 12380, 5247, 0, 0);
	eth(&p, 0x8100);
	vtag(&p, 42, 0x0800);
	ip4(&p, 6, A4, B4);
	tcp(&p, 40000, 80, SF_TCP_SYN);
	pb_done(&p);
	expect_tun_flow(&p, 4, A4, B4, 40000, 80, 6, 42, SF_FLOW_CTX_NONE, 0, &i);
	assert_int_equal(i.tun.encaps, ENCAP_BIT(CAPWAP) | ENCAP_BIT(VLAN));

	/* Native 802.11 (T = 1, WBID 1): a QoS data frame with four addresses and HT control. */
	capwap_wlan(&p, 0x88, 0x80 | 0x03, 0);
	snap(&p, 0x86dd);
	ip6(&p, 17, A6, B6);
	udp(&p, 5000, 443);
	pb_done(&p);
	expect_tun_flow(&p, 6, A6, B6, 5000, 443, 17, 0, SF_FLOW_CTX_NONE, 0, &i);
	assert_int_equal(i.tun.encaps, ENCAP_BIT(CAPWAP));
	assert_int_equal(i.l3_off, 14 + 20 + 8 + 16 + 30 + 2 + 4 + 8);

	/* An A-MSDU: the first subframe (its 14-byte header, then LLC/SNAP). */
	capwap_wlan(&p, 0x88, 0x01, 0x80);
	pb_fill(&p, 0x02, 12);
	pb_u16(&p, 8 + 20 + 8);
	snap(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 68, 67);
	pb_done(&p);
	expect_tun_flow(&p, 4, A4, B4, 68, 67, 17, 0, SF_FLOW_CTX_NONE, 0, &i);

	/* Not flows: a management frame, a null data frame, a protected frame, not SNAP. */
	capwap_wlan(&p, 0x40, 0, 0);
	pb_fill(&p, 0, 16);
	pb_done(&p);
	expect_nonflow(&p, SF_LINK_ETHER);
	capwap_wlan(&p, 0x48, 0x01, 0);
	pb_done(&p);
	expect_nonflow(&p, SF_LINK_ETHER);
	capwap_wlan(&p, 0x08, 0x41, 0);
	pb_fill(&p, 0x77, 40);
	pb_done(&p);
	expect_nonflow(&p, SF_LINK_ETHER);
	capwap_wlan(&p, 0x08, 0x01, 0);
	pb_u32(&p, 0x424203aa);
	pb_u32(&p, 0);
	pb_done(&p);
	expect_nonflow(&p, SF_LINK_ETHER);

	/* ARP over 802.11 is not a flow either. */
	capwap_wlan(&p, 0x08, 0x01, 0);
	snap(&p, 0x0806);
	pb_fill(&p, 0, 28);
	pb_done(&p);
	expect_nonflow(&p, SF_LINK_ETHER);

	/* The frame control in 802.11's own order is protocol version 2 here: bad. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	capwap(&p, 5247, 12380, 0x100, 0);
	wlan(&p, 0x08, 0x02, 0, false);
	snap(&p, 0x0800);
	ip4(&p, 6, A4, B4);
	tcp(&p, 1, 2, 0);
	pb_done(&p);
	expect_bad(&p, SF_LINK_ETHER, SF_PKT_BAD_ENCAP_HEADER);

	/* Keep-alive, fragment, DTLS, another binding: the outer UDP flow. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	capwap(&p, 12380, 5247, 0x08, 0);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 12380, 5247, 17, 0, &i);
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	capwap(&p, 12380, 5247, 0x80, 0);
	ip4(&p, 6, A4, B4);
	tcp(&p, 1, 2, 0);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 12380, 5247, 17, 0, &i);
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 12380, 5247);
	pb_u32(&p, 0x01000000);
	pb_fill(&p, 0x17, 40);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 12380, 5247, 17, 0, &i);
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 12380, 5247);
	pb_u32(&p, (2u << 19) | (3u << 9) | 0x100);
	pb_u32(&p, 0);
	pb_fill(&p, 0, 40);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 12380, 5247, 17, 0, &i);

	/* A header length below the 8 bytes of the fixed header is bad. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 12380, 5247);
	pb_u32(&p, 1u << 19);
	pb_u32(&p, 0);
	pb_fill(&p, 0, 40);
	pb_done(&p);
	expect_bad(&p, SF_LINK_ETHER, SF_PKT_BAD_ENCAP_HEADER);

	/* Aruba WLAN in GRE (0x8200 ... 0x8370): 802.11 in its own order. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 47, A4, B4);
	gre(&p, 0, 0x8210, 0, 0);
	wlan(&p, 0x08, 0x01, 0, false);
	snap(&p, 0x0800);
	ip4(&p, 6, B4, A4);
	tcp(&p, 443, 50000, SF_TCP_ACK);
	pb_done(&p);
	expect_tun_flow(&p, 4, B4, A4, 443, 50000, 6, 0, SF_FLOW_CTX_NONE, 0, &i);
	assert_int_equal(i.tun.encaps, ENCAP_BIT(GRE));
	/* ... but not 0x8201: the outer GRE flow. */
	put16(&p, 14 + 20 + 2, 0x8201);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 0, 0, 47, 0, &i);
}

static void
test_teredo_ayiya(void **state)
{
	struct sf_pkt_decap d;
	struct sf_pkt_info i;
	struct pb p;

	(void)state;
	/* Teredo with an origin indication: off by default, the outer UDP flow. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 3544, 50000);
	pb_u16(&p, 0);
	pb_u16(&p, 0x1234);
	pb_u32(&p, 0x01020304);
	ip6(&p, 59, A6, B6);	/* a bubble: no next header */
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 3544, 50000, 17, 0, &i);
	sf_pkt_decap_defaults(&d);
	d.teredo = true;
	d.ayiya = true;
	sf_pkt_decap_set(&d);
	expect_tun_flow(&p, 6, A6, B6, 0, 0, 59, 0, SF_FLOW_CTX_NONE, 0, &i);
	assert_int_equal(i.tun.encaps, ENCAP_BIT(TEREDO));

	/* AYIYA: 16-byte identity, 20-byte signature, forward IPv6. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 5072, 5072);
	pb_u8(&p, 0x41);
	pb_u8(&p, 0x52);
	pb_u8(&p, 0x11);
	pb_u8(&p, 41);
	pb_u32(&p, 0);
	pb_fill(&p, 1, 16 + 20);
	ip6(&p, 6, B6, A6);
	tcp(&p, 80, 1024, SF_TCP_ACK);
	pb_done(&p);
	expect_tun_flow(&p, 6, B6, A6, 80, 1024, 6, 0, SF_FLOW_CTX_NONE, 0, &i);
	assert_int_equal(i.tun.encaps, ENCAP_BIT(AYIYA));
	sf_pkt_decap_defaults(&d);
	sf_pkt_decap_set(&d);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 5072, 5072, 17, 0, &i);
}

/* tunnel.context and tunnel.enabled: what goes into the key. */
static void
test_tunnel_context(void **state)
{
	struct sf_pkt_decap d;
	struct sf_pkt_info i, j;
	struct pb p;

	(void)state;
	/* VLAN 10, VXLAN 5001 (UDP in IPv4), GRE key 3 inside, then TCP. */
	pb_init(&p);
	eth(&p, 0x8100);
	vtag(&p, 10, 0x0800);
	ip4(&p, 17, A4, B4);
	vxlan(&p, 4789, 5001);
	eth(&p, 0x0800);
	ip4(&p, 47, B4, A4);
	gre(&p, 0x2000, 0x0800, 3, 0);
	ip4(&p, 6, A6 + 12, B6 + 12);
	tcp(&p, 1, 2, SF_TCP_SYN);
	pb_done(&p);

	sf_pkt_decap_defaults(&d);
	/* default: the VLAN of the innermost frame (none) and the innermost id, the key. */
	expect_tun_flow(&p, 4, A6 + 12, B6 + 12, 1, 2, 6, 0, SF_FLOW_CTX_GRE_KEY, 3, &i);
	d.context = SF_CTX_VNI;
	sf_pkt_decap_set(&d);
	expect_tun_flow(&p, 4, A6 + 12, B6 + 12, 1, 2, 6, 0, SF_FLOW_CTX_VNI, 5001, &i);
	d.context = SF_CTX_NONE;
	sf_pkt_decap_set(&d);
	expect_tun_flow(&p, 4, A6 + 12, B6 + 12, 1, 2, 6, 0, SF_FLOW_CTX_NONE, 0, &i);
	/* ... and a plain tagged frame loses its VLAN too. */
	{
		struct pb q;

		pb_init(&q);
		eth(&q, 0x8100);
		vtag(&q, 10, 0x0800);
		ip4(&q, 17, A4, B4);
		udp(&q, 1, 2);
		pb_done(&q);
		expect_tun_flow(&q, 4, A4, B4, 1, 2, 17, 0, SF_FLOW_CTX_NONE, 0, &j);
		d.context = SF_CTX_VLAN;
		sf_pkt_decap_set(&d);
		expect_tun_flow(&q, 4, A4, B4, 1, 2, 17, 10, SF_FLOW_CTX_NONE, 0, &j);
		d.context = SF_CTX_NONE;
		sf_pkt_decap_set(&d);
	}
	d.context = SF_CTX_TEID;
	sf_pkt_decap_set(&d);
	expect_tun_flow(&p, 4, A6 + 12, B6 + 12, 1, 2, 6, 0, SF_FLOW_CTX_NONE, 0, &i);
	d.context = SF_CTX_FULL;
	sf_pkt_decap_set(&d);
	assert_int_equal(parse_eth(&p, &i), SF_PKT_FLOW);
	assert_int_equal(i.key.ctx_kind, SF_FLOW_CTX_FULL);
	/* ... another GRE key, another full context. */
	p.b[14 + 4 + 20 + 16 + 14 + 20 + 4 + 3] = 4;
	assert_int_equal(parse_exact(p.b, p.len, SF_LINK_ETHER, &j), SF_PKT_FLOW);
	assert_int_equal(j.key.ctx_kind, SF_FLOW_CTX_FULL);
	assert_true(i.key.ctx != j.key.ctx);

	/* VXLAN as a mirror transport: its VNI is the observation point, not the context. */
	sf_pkt_decap_defaults(&d);
	d.vxlan_mirror = true;
	sf_pkt_decap_set(&d);
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	vxlan(&p, 4789, 5001);
	eth(&p, 0x0800);
	ip4(&p, 6, A4, B4);
	tcp(&p, 22, 60000, SF_TCP_ACK);
	pb_done(&p);
	expect_tun_flow(&p, 4, A4, B4, 22, 60000, 6, 0, SF_FLOW_CTX_NONE, 0, &i);
	assert_int_equal(i.tun.ids, SF_PKT_ID_MIRROR_VNI);

	/* Decapsulation off: the outer flow, as before it existed. */
	d.enabled = false;
	sf_pkt_decap_set(&d);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 40000, 4789, 17, 0, &i);
	pb_init(&p);
	eth(&p, 0x8864);
	pb_u32(&p, 0x11000001);
	pb_u16(&p, 4);
	pb_u16(&p, 0x0021);
	ip4(&p, 17, A4, B4);
	udp(&p, 1, 2);
	pb_done(&p);
	expect_nonflow(&p, SF_LINK_ETHER);
	sf_pkt_decap_defaults(&d);
	sf_pkt_decap_set(&d);
	expect_tun_flow(&p, 4, A4, B4, 1, 2, 17, 0, SF_FLOW_CTX_NONE, 0, &i);
}

/* More than SF_PKT_ENCAP_MAX encapsulations: malformed, by the bound. */
static void
test_encap_depth(void **state)
{
	struct sf_pkt_info i;
	struct pb p;
	unsigned int k;

	(void)state;
	for (k = SF_PKT_ENCAP_MAX; k <= SF_PKT_ENCAP_MAX + 1; k++) {
		unsigned int n;

		pb_init(&p);
		eth(&p, 0x0800);
		for (n = 0; n < k; n++)
			ip4(&p, 4, A4, B4);
		ip4(&p, 17, B4, A4);
		udp(&p, 1, 2);
		pb_done(&p);
		if (k == SF_PKT_ENCAP_MAX) {
			expect_tun_flow(&p, 4, B4, A4, 1, 2, 17, 0, SF_FLOW_CTX_NONE, 0, &i);
			assert_int_equal(i.tun.depth, SF_PKT_ENCAP_MAX);
		} else {
			assert_int_equal(parse_eth(&p, &i), SF_PKT_MALFORMED);
			assert_int_equal(i.malformed, SF_PKT_BAD_ENCAP_DEPTH);
		}
	}
}

/*
 * tcp.analysis: the TCP facts of a SYN with options (MSS 1460, SACK
 * permitted, timestamps, NOP, window scale 7: 20 option bytes), of a data
 * segment in IPv6 with Ethernet padding after it (not payload), and none
 * for a fragment or with the setting off.
 */
static void
test_tcp_fields(void **state)
{
	static const uint8_t opts[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0,
		1, 3, 3, 7 };
	struct sf_pkt_info i;
	struct pb p;
	uint32_t at;

	(void)state;
	sf_pkt_tcp_fields_set(true);
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 6, A4, B4);
	at = p.len;
	tcp(&p, 40000, 443, SF_TCP_SYN);
	p.b[at + 12] = (5 + 5) << 4;		/* 40-byte header */
	put16(&p, at + 4, 0xdead);		/* seq 0xdeadbeef */
	put16(&p, at + 6, 0xbeef);
	put16(&p, at + 14, 29200);		/* window */
	pb_bytes(&p, opts, sizeof(opts));
	pb_done(&p);
	assert_int_equal(parse_exact(p.b, p.len, SF_LINK_ETHER, &i), SF_PKT_FLOW);
	assert_true(i.flags & SF_PKT_F_TCP);
	assert_int_equal(i.tcp.seq, 0xdeadbeef);
	assert_int_equal(i.tcp.ack, 2000);
	assert_int_equal(i.tcp.win, 29200);
	assert_int_equal(i.tcp.seglen, 0);
	assert_int_equal(i.tcp.opts, SF_TCP_OPT_MSS | SF_TCP_OPT_SACK_PERM | SF_TCP_OPT_TS |
			SF_TCP_OPT_WSCALE);
	assert_int_equal(i.tcp.mss, 1460);
	assert_int_equal(i.tcp.wscale, 7);
	/* The SYN cut inside its options: what was captured is read. */
	assert_int_equal(parse_exact(p.b, p.len - 4, SF_LINK_ETHER, &i), SF_PKT_FLOW);
	assert_int_equal(i.tcp.opts, SF_TCP_OPT_MSS | SF_TCP_OPT_SACK_PERM | SF_TCP_OPT_TS);

	/* IPv6 data: 100 bytes of payload, then 6 bytes of padding. */
	pb_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 6, A6, B6);
	tcp(&p, 443, 40000, SF_TCP_ACK | SF_TCP_PSH);
	payload(&p, 100);
	pb_done(&p);
	pb_fill(&p, 0, 6);
	assert_int_equal(parse_exact(p.b, p.len, SF_LINK_ETHER, &i), SF_PKT_FLOW);
	assert_true(i.flags & SF_PKT_F_TCP);
	assert_int_equal(i.tcp.seglen, 100);
	assert_int_equal(i.tcp.seq, 1000);
	assert_int_equal(i.tcp.opts, 0);	/* options are read from SYNs only */

	/* A first fragment: no TCP facts. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4x(&p, 6, A4, B4, 0, 5, 0x2000);
	tcp(&p, 40000, 443, SF_TCP_ACK);
	payload(&p, 8);
	pb_done(&p);
	assert_int_equal(parse_exact(p.b, p.len, SF_LINK_ETHER, &i), SF_PKT_FLOW);
	assert_false(i.flags & SF_PKT_F_TCP);

	/* Off: nothing written. */
	sf_pkt_tcp_fields_set(false);
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 6, A4, B4);
	tcp(&p, 40000, 443, SF_TCP_SYN);
	pb_done(&p);
	assert_int_equal(parse_exact(p.b, p.len, SF_LINK_ETHER, &i), SF_PKT_FLOW);
	assert_false(i.flags & SF_PKT_F_TCP);
}

static void
test_tcp_data_offset(void **state)
{
	struct sf_pkt_info i;
	struct pb p;

	(void)state;
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 6, A4, B4);
	tcp(&p, 1, 2, SF_TCP_ACK);
	pb_done(&p);
	p.b[14 + 20 + 12] = 4 << 4;
	expect_bad(&p, SF_LINK_ETHER, SF_PKT_BAD_L4_HDRLEN);
	/* 60 bytes of header announced, 20 captured: ports and flags suffice. */
	p.b[14 + 20 + 12] = 15 << 4;
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 1, 2, 6, 0, &i);
	assert_int_equal(i.tcp_flags, SF_TCP_ACK);
}

/* A frame padded to Ethernet's 60-byte minimum: the padding is not L4. */
static void
test_ethernet_padding(void **state)
{
	struct sf_pkt_info i;
	struct pb p;

	(void)state;
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 7, 9);
	pb_done(&p);
	pb_fill(&p, 0, 60 - p.len);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 7, 9, 17, 0, &i);
	assert_int_equal(i.ip_len, 28);

	/* A TCP packet whose IP length ends 4 bytes into the TCP header. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 6, A4, B4);
	tcp(&p, 1, 2, SF_TCP_SYN);
	put16(&p, 14 + 2, 24);
	expect_bad(&p, SF_LINK_ETHER, SF_PKT_BAD_L4_TRUNC);
}

/* ---------------------------------------------------------------- IPv4 */

static void
test_ipv4_fragments(void **state)
{
	struct sf_pkt_info first, later, i;
	struct pb p;

	(void)state;
	pb_init(&p);
	eth(&p, 0x0800);
	ip4x(&p, 6, A4, B4, 0, 5, 0x2000);		/* MF, offset 0 */
	tcp(&p, 40000, 80, SF_TCP_PSH | SF_TCP_ACK);
	payload(&p, 1000);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 0, 0, 6, 0, &first);
	assert_int_equal(first.frag, SF_PKT_FRAG_FIRST);
	assert_int_equal(first.tcp_flags, SF_TCP_PSH | SF_TCP_ACK);
	assert_int_equal(first.ip_len, 1040);

	pb_init(&p);
	eth(&p, 0x0800);
	ip4x(&p, 6, A4, B4, 0, 5, 1040 / 8);	/* last fragment, MF clear */
	payload(&p, 2);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 0, 0, 6, 0, &later);
	assert_int_equal(later.frag, SF_PKT_FRAG_LATER);
	assert_int_equal(later.tcp_flags, 0);
	assert_memory_equal(&first.key, &later.key, sizeof(first.key));

	/* A middle fragment (MF and offset) with no payload captured at all. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4x(&p, 17, A4, B4, 0, 5, 0x2000 | 10);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 0, 0, 17, 0, &i);
	assert_int_equal(i.frag, SF_PKT_FRAG_LATER);

	/* A first fragment with a cut TCP header is still a flow, without flags. */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4x(&p, 6, A4, B4, 0, 5, 0x2000);
	pb_fill(&p, 0xff, 13);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 0, 0, 6, 0, &i);
	assert_int_equal(i.frag, SF_PKT_FRAG_FIRST);
	assert_int_equal(i.tcp_flags, 0);
}

static void
test_ipv4_tso_total_length_zero(void **state)
{
	struct sf_pkt_info i;
	struct pb p;

	(void)state;
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 6, A4, B4);
	tcp(&p, 1, 2, SF_TCP_ACK);
	payload(&p, 1400);
	/* no pb_done: total length stays 0 */
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 1, 2, 6, 0, &i);
	assert_int_equal(i.ip_len, 1440);
	assert_int_equal(i.flags, SF_PKT_F_LEN_CAPTURED);
}

static void
test_ipv4_options(void **state)
{
	struct sf_pkt_info i;
	unsigned int ihl;
	struct pb p;

	(void)state;
	for (ihl = 6; ihl <= 15; ihl++) {
		pb_init(&p);
		eth(&p, 0x0800);
		ip4x(&p, 6, A4, B4, 0, ihl, 0);
		tcp(&p, 1234, 22, SF_TCP_FIN);
		pb_done(&p);
		expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 1234, 22, 6, 0, &i);
		assert_int_equal(i.ip_len, ihl * 4 + 20);
		assert_int_equal(i.tcp_flags, SF_TCP_FIN);
	}
}

static void
test_ipv4_bad_headers(void **state)
{
	unsigned int ihl;
	struct pb p;

	(void)state;
	for (ihl = 0; ihl < 5; ihl++) {
		pb_init(&p);
		eth(&p, 0x0800);
		ip4(&p, 6, A4, B4);
		tcp(&p, 1, 2, 0);
		pb_done(&p);
		p.b[14] = 0x40 | ihl;
		expect_bad(&p, SF_LINK_ETHER, SF_PKT_BAD_IP_HDRLEN);
	}

	/* IHL 15 (60 bytes) with 40 captured: the total length says 1500 (snaplen). */
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 6, A4, B4);
	tcp(&p, 1, 2, 0);
	p.b[14] = 0x4f;
	put16(&p, 14 + 2, 1500);
	expect_bad(&p, SF_LINK_ETHER, SF_PKT_BAD_IP_TRUNC);
	/* ... and with a total length of 40 the header contradicts it. */
	put16(&p, 14 + 2, 40);
	expect_bad(&p, SF_LINK_ETHER, SF_PKT_BAD_IP_TOTLEN);

	/* Total length smaller than the 20-byte header. */
	put16(&p, 14 + 2, 19);
	p.b[14] = 0x45;
	expect_bad(&p, SF_LINK_ETHER, SF_PKT_BAD_IP_TOTLEN);
	put16(&p, 14 + 2, 20);	/* header only: a flow with nothing to read */
	p.b[14 + 9] = 6;
	expect_bad(&p, SF_LINK_ETHER, SF_PKT_BAD_L4_TRUNC);

	/* Version 6 in an IPv4 ethertype. */
	p.b[14] = 0x65;
	expect_bad(&p, SF_LINK_ETHER, SF_PKT_BAD_IP_VERSION);
}

/* ---------------------------------------------------------------- IPv6 */

static void
test_ipv6_extension_chain(void **state)
{
	struct sf_pkt_info i, first, later;
	struct pb p;

	(void)state;
	/* Hop-by-hop, routing, destination options, then UDP. */
	pb_init(&p);
	eth(&p, 0x86dd);
	ip6x(&p, 0, A6, B6, 0x28);
	ext6(&p, 43, 8);
	ext6(&p, 60, 24);
	ext6(&p, 17, 16);
	udp(&p, 4790, 4790);
	payload(&p, 4);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 6, A6, B6, 4790, 4790, 17, 0, &i);
	assert_int_equal(i.ip_len, 40 + 8 + 24 + 16 + 8 + 4);
	assert_int_equal(i.l3_off, 14);
	assert_int_equal(i.l4_off, 14 + 40 + 8 + 24 + 16);
	assert_int_equal(i.dscp, 10);
	assert_int_equal(i.frag, 0);

	/* The same chain ending in a first fragment of TCP. */
	pb_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 0, A6, B6);
	ext6(&p, 43, 8);
	ext6(&p, 60, 24);
	ext6(&p, 44, 16);
	frag6(&p, 6, 0, 1);
	tcp(&p, 1234, 443, SF_TCP_ACK);
	payload(&p, 64);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 6, A6, B6, 0, 0, 6, 0, &first);
	assert_int_equal(first.frag, SF_PKT_FRAG_FIRST);
	assert_int_equal(first.tcp_flags, SF_TCP_ACK);

	/* ... and a later fragment of it. */
	pb_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 0, A6, B6);
	ext6(&p, 43, 8);
	ext6(&p, 60, 24);
	ext6(&p, 44, 16);
	frag6(&p, 6, 11, 0);
	payload(&p, 8);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 6, A6, B6, 0, 0, 6, 0, &later);
	assert_int_equal(later.frag, SF_PKT_FRAG_LATER);
	assert_int_equal(later.tcp_flags, 0);
	assert_memory_equal(&first.key, &later.key, sizeof(first.key));

	/* Mobility, HIP and Shim6 headers are walked too. */
	pb_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 135, A6, B6);
	ext6(&p, 139, 8);
	ext6(&p, 140, 16);
	ext6(&p, 6, 8);
	tcp(&p, 5, 6, SF_TCP_RST);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 6, A6, B6, 5, 6, 6, 0, &i);
	assert_int_equal(i.tcp_flags, SF_TCP_RST);
}

static void
test_ipv6_fragments(void **state)
{
	struct sf_pkt_info first, later, i;
	struct pb p;

	(void)state;
	pb_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 44, B6, A6);
	frag6(&p, 17, 0, 1);
	udp(&p, 53, 33000);
	payload(&p, 1200);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 6, B6, A6, 0, 0, 17, 0, &first);
	assert_int_equal(first.frag, SF_PKT_FRAG_FIRST);
	assert_int_equal(first.ip_len, 40 + 8 + 8 + 1200);

	pb_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 44, B6, A6);
	frag6(&p, 17, 151, 0);
	payload(&p, 100);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 6, B6, A6, 0, 0, 17, 0, &later);
	assert_int_equal(later.frag, SF_PKT_FRAG_LATER);
	assert_memory_equal(&first.key, &later.key, sizeof(first.key));
	assert_int_equal(first.dir, SF_DIR_HI);
	assert_int_equal(later.dir, SF_DIR_HI);

	/*
	 * Destination options after the Fragment header: the walk stops at the
	 * Fragment header for the first fragment as for later ones, so both
	 * are keyed by its next header (60) and land in one flow.
	 */
	pb_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 44, A6, B6);
	frag6(&p, 60, 0, 1);
	ext6(&p, 17, 8);
	udp(&p, 1, 2);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 6, A6, B6, 0, 0, 60, 0, &first);
	assert_int_equal(first.frag, SF_PKT_FRAG_FIRST);
	pb_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 44, A6, B6);
	frag6(&p, 60, 2, 0);
	payload(&p, 8);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 6, A6, B6, 0, 0, 60, 0, &later);
	assert_memory_equal(&first.key, &later.key, sizeof(first.key));

	/* Atomic fragment (offset 0, M 0): a whole datagram, ports are read. */
	pb_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 44, B6, A6);
	frag6(&p, 17, 0, 0);
	udp(&p, 53, 33000);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 6, B6, A6, 53, 33000, 17, 0, &i);
	assert_int_equal(i.frag, 0);
}

static void
test_ipv6_ah_esp_nonext(void **state)
{
	struct sf_pkt_info i;
	struct pb p;

	(void)state;
	/* AH length is (len + 2) * 4: 24 bytes here, not 8-byte units. */
	pb_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 51, A6, B6);
	ah6(&p, 6, 24);
	tcp(&p, 179, 40000, SF_TCP_PSH);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 6, A6, B6, 179, 40000, 6, 0, &i);
	assert_int_equal(i.tcp_flags, SF_TCP_PSH);

	pb_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 60, A6, B6);
	ext6(&p, 50, 8);
	pb_u32(&p, 0x1000);	/* SPI */
	pb_u32(&p, 1);
	payload(&p, 32);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 6, A6, B6, 0, 0, 50, 0, &i);

	pb_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 0, A6, B6);
	ext6(&p, 59, 8);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 6, A6, B6, 0, 0, 59, 0, &i);
}

static void
test_ipv6_extension_limits(void **state)
{
	struct sf_pkt_info i;
	unsigned int n;
	struct pb p;

	(void)state;
	pb_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 60, A6, B6);
	for (n = 1; n < SF_PKT_IP6_EXT_MAX; n++)
		ext6(&p, 60, 8);
	ext6(&p, 17, 8);
	udp(&p, 1, 2);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 6, A6, B6, 1, 2, 17, 0, &i);

	pb_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 60, A6, B6);
	for (n = 0; n < SF_PKT_IP6_EXT_MAX; n++)
		ext6(&p, 60, 8);
	ext6(&p, 17, 8);
	udp(&p, 1, 2);
	pb_done(&p);
	expect_bad(&p, SF_LINK_ETHER, SF_PKT_BAD_IP6_EXT);

	/* A header running past the payload length, all of it captured. */
	pb_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 60, A6, B6);
	ext6(&p, 17, 16);
	udp(&p, 1, 2);
	put16(&p, 14 + 4, 8);
	expect_bad(&p, SF_LINK_ETHER, SF_PKT_BAD_IP6_EXT);
	/* The header fits, the UDP header does not. */
	put16(&p, 14 + 4, 20);
	expect_bad(&p, SF_LINK_ETHER, SF_PKT_BAD_L4_TRUNC);
	/* Version 4 in an IPv6 ethertype. */
	put16(&p, 14 + 4, 24);
	p.b[14] = 0x46;
	expect_bad(&p, SF_LINK_ETHER, SF_PKT_BAD_IP_VERSION);
}

static void
test_ipv6_jumbo_and_zero_length(void **state)
{
	struct sf_pkt_info i;
	struct pb p;

	(void)state;
	pb_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 0, A6, B6);
	pb_u8(&p, 17);
	pb_u8(&p, 0);
	pb_u8(&p, 0xc2);
	pb_u8(&p, 4);
	pb_u32(&p, 70000);
	udp(&p, 1, 2);
	payload(&p, 100);	/* payload length stays 0 */
	expect_flow(&p, SF_LINK_ETHER, 6, A6, B6, 1, 2, 17, 0, &i);
	assert_int_equal(i.ip_len, 70040);
	assert_int_equal(i.flags, 0);

	/* A jumbo length that does not even cover the hop-by-hop header. */
	p.b[14 + 40 + 7] = 4;
	p.b[14 + 40 + 4] = p.b[14 + 40 + 5] = p.b[14 + 40 + 6] = 0;
	expect_bad(&p, SF_LINK_ETHER, SF_PKT_BAD_IP_TOTLEN);

	/* Payload length 0 without the option: TSO, count what was captured. */
	pb_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 6, A6, B6);
	tcp(&p, 1, 2, SF_TCP_ACK);
	payload(&p, 1800);
	expect_flow(&p, SF_LINK_ETHER, 6, A6, B6, 1, 2, 6, 0, &i);
	assert_int_equal(i.ip_len, 40 + 20 + 1800);
	assert_int_equal(i.flags, SF_PKT_F_LEN_CAPTURED);
}

/* ---------------------------------------------------------------- L2 */

static void
test_vlan_single(void **state)
{
	struct sf_pkt_info i;
	struct pb p;

	(void)state;
	pb_init(&p);
	eth(&p, 0x8100);
	vtag(&p, 0xa000 | 100, 0x0800);	/* PCP 5 is not part of the id */
	ip4(&p, 17, A4, B4);
	udp(&p, 1, 2);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 1, 2, 17, 100, &i);
	assert_int_equal(i.key.vlan, 100);
	assert_int_equal(i.l3_off, 18);
	assert_int_equal(i.l4_off, 38);

	pb_init(&p);
	eth(&p, 0x8100);
	vtag(&p, 100, 0x0806);
	pb_fill(&p, 0, 28);
	expect_nonflow(&p, SF_LINK_ETHER);
}

static void
test_vlan_qinq_and_deep(void **state)
{
	struct sf_pkt_info i;
	unsigned int n;
	struct pb p;

	(void)state;
	pb_init(&p);
	eth(&p, 0x88a8);
	vtag(&p, 200, 0x8100);
	vtag(&p, 100, 0x0800);
	ip4(&p, 6, A4, B4);
	tcp(&p, 1, 2, 0);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 1, 2, 6, 200, &i);

	pb_init(&p);
	eth(&p, 0x9100);
	vtag(&p, 4095, 0x88a8);
	vtag(&p, 200, 0x8100);
	vtag(&p, 100, 0x86dd);
	ip6(&p, 17, A6, B6);
	udp(&p, 1, 2);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 6, A6, B6, 1, 2, 17, 4095, &i);

	pb_init(&p);
	eth(&p, 0x8100);
	for (n = 1; n < SF_PKT_VLAN_MAX; n++)
		vtag(&p, (uint16_t)n, 0x8100);
	vtag(&p, 999, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 1, 2);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 1, 2, 17, 1, &i);

	pb_init(&p);
	eth(&p, 0x8100);
	for (n = 1; n <= SF_PKT_VLAN_MAX; n++)
		vtag(&p, (uint16_t)n, 0x8100);
	vtag(&p, 999, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 1, 2);
	pb_done(&p);
	expect_bad(&p, SF_LINK_ETHER, SF_PKT_BAD_VLAN_DEPTH);
}

static void
test_mpls(void **state)
{
	struct sf_pkt_info i;
	unsigned int n;
	struct pb p;

	(void)state;
	pb_init(&p);
	eth(&p, 0x8847);
	mpls(&p, 16, 1);
	ip4(&p, 6, A4, B4);
	tcp(&p, 1, 2, SF_TCP_SYN);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 1, 2, 6, 0, &i);

	pb_init(&p);
	eth(&p, 0x8848);
	mpls(&p, 100, 0);
	mpls(&p, 200, 0);
	mpls(&p, 300, 1);
	ip6(&p, 17, A6, B6);
	udp(&p, 1, 2);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 6, A6, B6, 1, 2, 17, 0, &i);

	pb_init(&p);
	eth(&p, 0x8847);
	mpls(&p, 100, 0);
	mpls(&p, 200, 0);
	mpls(&p, 300, 1);
	ip4(&p, 17, A4, B4);
	udp(&p, 1, 2);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 1, 2, 17, 0, &i);

	pb_init(&p);
	eth(&p, 0x8847);
	mpls(&p, 100, 1);
	ip6(&p, 17, A6, B6);
	udp(&p, 1, 2);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 6, A6, B6, 1, 2, 17, 0, &i);

	/* Pseudowire control word then Ethernet (RFC 4448): the frame's flow. */
	pb_init(&p);
	eth(&p, 0x8847);
	mpls(&p, 100, 1);
	pb_u32(&p, 0);
	eth(&p, 0x8100);
	vtag(&p, 77, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 1, 2);
	pb_done(&p);
	expect_tun_flow(&p, 4, A4, B4, 1, 2, 17, 77, SF_FLOW_CTX_NONE, 0, &i);
	assert_int_equal(i.tun.encaps, ENCAP_BIT(MPLS) | ENCAP_BIT(VLAN));
	assert_int_equal(i.tun.mpls[0], 100);
	/* ... without decapsulation, not a flow, as before. */
	{
		struct sf_pkt_decap d;

		sf_pkt_decap_defaults(&d);
		d.enabled = false;
		sf_pkt_decap_set(&d);
		expect_nonflow(&p, SF_LINK_ETHER);
		sf_pkt_decap_defaults(&d);
		sf_pkt_decap_set(&d);
	}
	/* Neither IP nor a control word: a bad IP version. */
	p.b[14 + 4] = 0x50;
	assert_int_equal(parse_exact(p.b, p.len, SF_LINK_ETHER, &i), SF_PKT_MALFORMED);
	assert_int_equal(i.malformed, SF_PKT_BAD_IP_VERSION);

	pb_init(&p);
	eth(&p, 0x8847);
	for (n = 1; n < SF_PKT_MPLS_MAX; n++)
		mpls(&p, n, 0);
	mpls(&p, 99, 1);
	ip4(&p, 17, A4, B4);
	udp(&p, 1, 2);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 1, 2, 17, 0, &i);

	pb_init(&p);
	eth(&p, 0x8847);
	for (n = 1; n <= SF_PKT_MPLS_MAX; n++)
		mpls(&p, n, 0);
	mpls(&p, 99, 1);
	ip4(&p, 17, A4, B4);
	udp(&p, 1, 2);
	pb_done(&p);
	expect_bad(&p, SF_LINK_ETHER, SF_PKT_BAD_MPLS_DEPTH);

	/* VLAN then MPLS: the VLAN id is kept. */
	pb_init(&p);
	eth(&p, 0x8100);
	vtag(&p, 42, 0x8847);
	mpls(&p, 100, 0);
	mpls(&p, 200, 1);
	ip4(&p, 17, A4, B4);
	udp(&p, 1, 2);
	pb_done(&p);
	expect_flow(&p, SF_LINK_ETHER, 4, A4, B4, 1, 2, 17, 42, &i);
}

/*
 * The deepest stack the parser walks: a full VLAN stack, then a full MPLS
 * stack, IPv6 with the most extension headers, then L4. A stack is one
 * layer, so the layer bound (SF_PKT_LAYERS_MAX) cuts none of it; one
 * more tag, label or extension header is malformed by that stack's bound.
 */
static void
test_deepest_stack(void **state)
{
	struct sf_pkt_info i;
	unsigned int n, extra;
	struct pb p;

	(void)state;
	for (extra = 0; extra < 4; extra++) {
		pb_init(&p);
		eth(&p, 0x8100);
		for (n = 1; n < SF_PKT_VLAN_MAX + (extra == 1); n++)
			vtag(&p, (uint16_t)n, 0x8100);
		vtag(&p, 77, 0x8847);
		for (n = 1; n < SF_PKT_MPLS_MAX + (extra == 2); n++)
			mpls(&p, n, 0);
		mpls(&p, 99, 1);
		ip6(&p, 60, A6, B6);
		for (n = 1; n < SF_PKT_IP6_EXT_MAX + (extra == 3); n++)
			ext6(&p, 60, 8);
		ext6(&p, 6, 8);
		tcp(&p, 1, 2, SF_TCP_ACK);
		pb_done(&p);
		switch (extra) {
		case 0:
			expect_flow(&p, SF_LINK_ETHER, 6, A6, B6, 1, 2, 6, 1, &i);
			assert_int_equal(i.tcp_flags, SF_TCP_ACK);
			break;
		case 1:
			expect_bad(&p, SF_LINK_ETHER, SF_PKT_BAD_VLAN_DEPTH);
			break;
		case 2:
			expect_bad(&p, SF_LINK_ETHER, SF_PKT_BAD_MPLS_DEPTH);
			break;
		default:
			expect_bad(&p, SF_LINK_ETHER, SF_PKT_BAD_IP6_EXT);
			break;
		}
	}
}

static void
test_nonflow_ethertypes(void **state)
{
	struct pb p;

	(void)state;
	pb_init(&p);		/* ARP request */
	eth(&p, 0x0806);
	pb_u16(&p, 1);
	pb_u16(&p, 0x0800);
	pb_u8(&p, 6);
	pb_u8(&p, 4);
	pb_u16(&p, 1);
	pb_fill(&p, 0, 20);
	expect_nonflow(&p, SF_LINK_ETHER);

	pb_init(&p);		/* LLDP */
	eth(&p, 0x88cc);
	pb_u16(&p, 0x0207);
	pb_fill(&p, 0, 30);
	expect_nonflow(&p, SF_LINK_ETHER);

	pb_init(&p);		/* STP: 802.3 length + LLC 42 42 03 */
	eth(&p, 38);
	pb_u8(&p, 0x42);
	pb_u8(&p, 0x42);
	pb_u8(&p, 0x03);
	pb_fill(&p, 0, 35);
	expect_nonflow(&p, SF_LINK_ETHER);

	pb_init(&p);		/* An 802.3 length that happens to start like IPv4. */
	eth(&p, 0x0045);
	ip4(&p, 17, A4, B4);
	udp(&p, 1, 2);
	expect_nonflow(&p, SF_LINK_ETHER);
}

/* ---------------------------------------------------------------- link types */

static void
test_linux_sll(void **state)
{
	struct sf_pkt_info i;
	struct pb p;

	(void)state;
	pb_init(&p);
	pb_u16(&p, 0);		/* packet type: to us */
	pb_u16(&p, 1);		/* ARPHRD_ETHER */
	pb_u16(&p, 6);
	pb_fill(&p, 0x02, 8);
	pb_u16(&p, 0x0800);
	ip4(&p, 6, A4, B4);
	tcp(&p, 1, 2, SF_TCP_SYN);
	pb_done(&p);
	expect_flow(&p, SF_LINK_LINUX_SLL, 4, A4, B4, 1, 2, 6, 0, &i);
	assert_int_equal(i.tcp_flags, SF_TCP_SYN);

	pb_init(&p);
	pb_u16(&p, 4);		/* outgoing */
	pb_u16(&p, 1);
	pb_u16(&p, 6);
	pb_fill(&p, 0x02, 8);
	pb_u16(&p, 0x8100);
	vtag(&p, 42, 0x86dd);
	ip6(&p, 17, A6, B6);
	udp(&p, 1, 2);
	pb_done(&p);
	expect_flow(&p, SF_LINK_LINUX_SLL, 6, A6, B6, 1, 2, 17, 42, &i);

	pb_init(&p);		/* ETH_P_802_2 */
	pb_u16(&p, 0);
	pb_u16(&p, 1);
	pb_u16(&p, 6);
	pb_fill(&p, 0x02, 8);
	pb_u16(&p, 0x0004);
	pb_fill(&p, 0x42, 20);
	expect_nonflow(&p, SF_LINK_LINUX_SLL);
}

static void
test_linux_sll2(void **state)
{
	struct sf_pkt_info i;
	struct pb p;

	(void)state;
	pb_init(&p);
	pb_u16(&p, 0x86dd);
	pb_u16(&p, 0);
	pb_u32(&p, 3);		/* ifindex */
	pb_u16(&p, 1);
	pb_u8(&p, 0);
	pb_u8(&p, 6);
	pb_fill(&p, 0x02, 8);
	ip6(&p, 17, B6, A6);
	udp(&p, 443, 50000);
	pb_done(&p);
	expect_flow(&p, SF_LINK_LINUX_SLL2, 6, B6, A6, 443, 50000, 17, 0, &i);

	p.b[0] = 0x08;
	p.b[1] = 0x06;
	expect_nonflow(&p, SF_LINK_LINUX_SLL2);
}

static void
test_raw_ip(void **state)
{
	struct sf_pkt_info i;
	struct pb p;

	(void)state;
	pb_init(&p);
	ip4(&p, 17, A4, B4);
	udp(&p, 1, 2);
	pb_done(&p);
	expect_flow(&p, SF_LINK_RAW, 4, A4, B4, 1, 2, 17, 0, &i);
	expect_flow(&p, SF_LINK_IPV4, 4, A4, B4, 1, 2, 17, 0, &i);
	expect_bad(&p, SF_LINK_IPV6, SF_PKT_BAD_IP_TRUNC);	/* 28 < 40 bytes */

	pb_init(&p);
	ip6(&p, 6, A6, B6);
	tcp(&p, 1, 2, SF_TCP_FIN);
	pb_done(&p);
	expect_flow(&p, SF_LINK_RAW, 6, A6, B6, 1, 2, 6, 0, &i);
	expect_flow(&p, SF_LINK_IPV6, 6, A6, B6, 1, 2, 6, 0, &i);
	expect_bad(&p, SF_LINK_IPV4, SF_PKT_BAD_IP_VERSION);
	p.b[0] = 0x56;
	expect_bad(&p, SF_LINK_RAW, SF_PKT_BAD_IP_VERSION);
	expect_bad(&p, SF_LINK_IPV6, SF_PKT_BAD_IP_VERSION);

	p.len = 0;
	expect_bad(&p, SF_LINK_RAW, SF_PKT_BAD_IP_TRUNC);
}

static void
af_frame(struct pb *p, const uint8_t af[4], int v6)
{
	pb_init(p);
	pb_bytes(p, af, 4);
	if (v6) {
		ip6(p, 17, A6, B6);
		udp(p, 1, 2);
	} else {
		ip4(p, 17, A4, B4);
		udp(p, 1, 2);
	}
	pb_done(p);
}

static void
test_bsd_null_and_loop(void **state)
{
	static const uint8_t v6af[3] = { 24, 28, 30 };
	struct sf_pkt_info i;
	uint8_t le[4] = { 0 }, be[4] = { 0 };
	unsigned int k;
	struct pb p;

	(void)state;
	le[0] = 2;
	be[3] = 2;
	af_frame(&p, le, 0);
	expect_flow(&p, SF_LINK_NULL, 4, A4, B4, 1, 2, 17, 0, &i);
	expect_nonflow(&p, SF_LINK_LOOP);		/* LOOP is network order only */
	af_frame(&p, be, 0);
	expect_flow(&p, SF_LINK_NULL, 4, A4, B4, 1, 2, 17, 0, &i);
	expect_flow(&p, SF_LINK_LOOP, 4, A4, B4, 1, 2, 17, 0, &i);

	for (k = 0; k < 3; k++) {
		le[0] = v6af[k];
		be[3] = v6af[k];
		af_frame(&p, le, 1);
		expect_flow(&p, SF_LINK_NULL, 6, A6, B6, 1, 2, 17, 0, &i);
		af_frame(&p, be, 1);
		expect_flow(&p, SF_LINK_NULL, 6, A6, B6, 1, 2, 17, 0, &i);
		expect_flow(&p, SF_LINK_LOOP, 6, A6, B6, 1, 2, 17, 0, &i);
	}

	le[0] = 7;		/* AF_ISO or similar */
	af_frame(&p, le, 0);
	expect_nonflow(&p, SF_LINK_NULL);
}

static void
test_ppp(void **state)
{
	static const uint8_t hdlc_v4[4] = { 0xff, 0x03, 0x00, 0x21 };
	static const uint8_t v6[2] = { 0x00, 0x57 };
	static const uint8_t lcp[4] = { 0xff, 0x03, 0xc0, 0x21 };
	struct sf_pkt_info i;
	struct pb p;

	(void)state;
	pb_init(&p);
	pb_bytes(&p, hdlc_v4, 4);
	ip4(&p, 6, A4, B4);
	tcp(&p, 1, 2, SF_TCP_SYN);
	pb_done(&p);
	expect_flow(&p, SF_LINK_PPP, 4, A4, B4, 1, 2, 6, 0, &i);

	pb_init(&p);		/* no address/control */
	pb_bytes(&p, v6, 2);
	ip6(&p, 17, A6, B6);
	udp(&p, 1, 2);
	pb_done(&p);
	expect_flow(&p, SF_LINK_PPP, 6, A6, B6, 1, 2, 17, 0, &i);

	pb_init(&p);		/* protocol field compression: 0x21 alone */
	pb_u8(&p, 0xff);
	pb_u8(&p, 0x03);
	pb_u8(&p, 0x21);
	ip4(&p, 17, A4, B4);
	udp(&p, 1, 2);
	pb_done(&p);
	expect_flow(&p, SF_LINK_PPP, 4, A4, B4, 1, 2, 17, 0, &i);

	pb_init(&p);
	pb_bytes(&p, lcp, 4);
	pb_fill(&p, 1, 20);
	expect_nonflow(&p, SF_LINK_PPP);

	pb_init(&p);
	pb_bytes(&p, lcp, 2);
	expect_bad(&p, SF_LINK_PPP, SF_PKT_BAD_L2_TRUNC);

	/* Cisco HDLC framing on a link labelled PPP (0x0f, 0x8f address). */
	pb_init(&p);
	pb_u8(&p, 0x8f);
	pb_u8(&p, 0);
	pb_u16(&p, 0x0800);
	ip4(&p, 6, A4, B4);
	tcp(&p, 179, 2, SF_TCP_ACK);
	pb_done(&p);
	expect_flow(&p, SF_LINK_PPP, 4, A4, B4, 179, 2, 6, 0, &i);

	pb_init(&p);
	pb_u8(&p, 0x0f);
	pb_u8(&p, 0);
	expect_bad(&p, SF_LINK_PPP, SF_PKT_BAD_L2_TRUNC);
}

static void
test_cisco_hdlc(void **state)
{
	struct sf_pkt_info i;
	struct pb p;

	(void)state;
	pb_init(&p);
	pb_u8(&p, 0x0f);
	pb_u8(&p, 0);
	pb_u16(&p, 0x0800);
	ip4(&p, 17, A4, B4);
	udp(&p, 1, 2);
	pb_done(&p);
	expect_flow(&p, SF_LINK_C_HDLC, 4, A4, B4, 1, 2, 17, 0, &i);

	pb_init(&p);
	pb_u8(&p, 0x8f);
	pb_u8(&p, 0);
	pb_u16(&p, 0x86dd);
	ip6(&p, 6, A6, B6);
	tcp(&p, 1, 2, 0);
	pb_done(&p);
	expect_flow(&p, SF_LINK_C_HDLC, 6, A6, B6, 1, 2, 6, 0, &i);

	pb_init(&p);
	pb_u8(&p, 0x0f);
	pb_u8(&p, 0);
	pb_u16(&p, 0x8847);
	mpls(&p, 1000, 1);
	ip4(&p, 17, A4, B4);
	udp(&p, 1, 2);
	pb_done(&p);
	expect_flow(&p, SF_LINK_C_HDLC, 4, A4, B4, 1, 2, 17, 0, &i);

	pb_init(&p);		/* SLARP keepalive */
	pb_u8(&p, 0x8f);
	pb_u8(&p, 0);
	pb_u16(&p, 0x8035);
	pb_fill(&p, 0, 18);
	expect_nonflow(&p, SF_LINK_C_HDLC);
}

static void
test_linktype_names(void **state)
{
	static const struct {
		int lt;
		const char *name;
	} known[] = {
		{ 0, "NULL" }, { 1, "EN10MB" }, { 9, "PPP" }, { 101, "RAW" },
		{ 104, "C_HDLC" }, { 108, "LOOP" }, { 113, "LINUX_SLL" },
		{ 228, "IPV4" }, { 229, "IPV6" }, { 276, "LINUX_SLL2" },
	};
	struct pb p;
	unsigned int k;

	(void)state;
	for (k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
		assert_string_equal(sf_pkt_linktype_name(known[k].lt), known[k].name);
		assert_true(sf_pkt_linktype_supported(known[k].lt));
	}
	assert_string_equal(sf_pkt_linktype_name(127), "unknown");	/* radiotap */
	assert_false(sf_pkt_linktype_supported(127));
	assert_false(sf_pkt_linktype_supported(-1));
	assert_string_equal(sf_pkt_linktype_name(-1), "unknown");

	pb_init(&p);
	ip4(&p, 17, A4, B4);
	udp(&p, 1, 2);
	pb_done(&p);
	expect_nonflow(&p, (enum sf_linktype)127);
}

static void
test_malformed_names(void **state)
{
	(void)state;
	assert_string_equal(sf_pkt_malformed_name(SF_PKT_BAD_NONE), "none");
	assert_string_equal(sf_pkt_malformed_name(SF_PKT_BAD_L2_TRUNC), "l2_truncated");
	assert_string_equal(sf_pkt_malformed_name(SF_PKT_BAD_IP6_EXT), "ipv6_bad_extension");
	assert_string_equal(sf_pkt_malformed_name(SF_PKT_BAD_L4_HDRLEN),
			"l4_bad_header_length");
	assert_string_equal(sf_pkt_malformed_name(SF_PKT_BAD_MAX), "unknown");
}

/* ---------------------------------------------------------------- truncation */

/* Prefix lengths below `upto` (and above the previous span) give `cls`/`why`. */
struct span {
	uint32_t upto;
	enum sf_pkt_class cls;
	enum sf_pkt_malformed why;
};

static void
expect_prefixes(const struct pb *p, enum sf_linktype lt, const struct span *s, unsigned int n)
{
	struct sf_pkt_info i;
	enum sf_pkt_class c;
	unsigned int k = 0;
	uint32_t l;

	assert_int_equal(s[n - 1].upto, p->len + 1);
	for (l = 0; l <= p->len; l++) {
		while (l >= s[k].upto)
			k++;
		c = parse_exact(p->b, l, lt, &i);
		if (c != s[k].cls || (c != SF_PKT_FLOW && i.malformed != s[k].why))
			fail_msg("prefix %u of %u: class %d reason %s, want class %d reason %s",
				l, p->len, (int)c, sf_pkt_malformed_name(i.malformed),
				(int)s[k].cls, sf_pkt_malformed_name(s[k].why));
		check_info_sane(c, &i);
	}
}

static void
test_truncation_tcp4(void **state)
{
	const struct span s[] = {
		{ 14, SF_PKT_MALFORMED, SF_PKT_BAD_L2_TRUNC },
		{ 34, SF_PKT_MALFORMED, SF_PKT_BAD_IP_TRUNC },
		{ 54, SF_PKT_MALFORMED, SF_PKT_BAD_L4_TRUNC },
		{ 65, SF_PKT_FLOW, SF_PKT_BAD_NONE },
	};
	struct pb p;

	(void)state;
	pb_init(&p);
	eth(&p, 0x0800);
	ip4(&p, 6, A4, B4);
	tcp(&p, 1, 2, SF_TCP_SYN);
	payload(&p, 10);
	pb_done(&p);
	assert_int_equal(p.len, 64);
	expect_prefixes(&p, SF_LINK_ETHER, s, 4);
}

static void
test_truncation_udp6_ext(void **state)
{
	const struct span s[] = {
		{ 14, SF_PKT_MALFORMED, SF_PKT_BAD_L2_TRUNC },
		{ 54, SF_PKT_MALFORMED, SF_PKT_BAD_IP_TRUNC },	/* IPv6 header */
		{ 62, SF_PKT_MALFORMED, SF_PKT_BAD_IP_TRUNC },	/* hop-by-hop, 8 */
		{ 78, SF_PKT_MALFORMED, SF_PKT_BAD_IP_TRUNC },	/* dest. options, 16 */
		{ 102, SF_PKT_MALFORMED, SF_PKT_BAD_IP_TRUNC },	/* routing, 24 */
		{ 110, SF_PKT_MALFORMED, SF_PKT_BAD_L4_TRUNC },
		{ 115, SF_PKT_FLOW, SF_PKT_BAD_NONE },
	};
	struct pb p;

	(void)state;
	pb_init(&p);
	eth(&p, 0x86dd);
	ip6(&p, 0, A6, B6);
	ext6(&p, 60, 8);
	ext6(&p, 43, 16);
	ext6(&p, 17, 24);
	udp(&p, 1, 2);
	payload(&p, 4);
	pb_done(&p);
	assert_int_equal(p.len, 114);
	expect_prefixes(&p, SF_LINK_ETHER, s, 7);
}

static void
test_truncation_vlan_mpls(void **state)
{
	const struct span s[] = {
		{ 18, SF_PKT_MALFORMED, SF_PKT_BAD_L2_TRUNC },	/* Ethernet, tag */
		{ 26, SF_PKT_MALFORMED, SF_PKT_BAD_L2_TRUNC },	/* two labels */
		{ 46, SF_PKT_MALFORMED, SF_PKT_BAD_IP_TRUNC },
		{ 54, SF_PKT_MALFORMED, SF_PKT_BAD_L4_TRUNC },
		{ 61, SF_PKT_FLOW, SF_PKT_BAD_NONE },
	};
	struct pb p;

	(void)state;
	pb_init(&p);
	eth(&p, 0x8100);
	vtag(&p, 7, 0x8847);
	mpls(&p, 100, 0);
	mpls(&p, 200, 1);
	ip4(&p, 17, A4, B4);
	udp(&p, 1, 2);
	payload(&p, 6);
	pb_done(&p);
	assert_int_equal(p.len, 60);
	expect_prefixes(&p, SF_LINK_ETHER, s, 5);
}

static void
test_truncation_ipv4_options_fragment(void **state)
{
	/* IHL 7 (28 bytes), a first fragment: a flow as soon as the IP header is in. */
	const struct span s[] = {
		{ 14, SF_PKT_MALFORMED, SF_PKT_BAD_L2_TRUNC },
		{ 42, SF_PKT_MALFORMED, SF_PKT_BAD_IP_TRUNC },
		{ 63, SF_PKT_FLOW, SF_PKT_BAD_NONE },
	};
	struct sf_pkt_info i;
	struct pb p;

	(void)state;
	pb_init(&p);
	eth(&p, 0x0800);
	ip4x(&p, 6, A4, B4, 0, 7, 0x2000);
	tcp(&p, 1, 2, SF_TCP_SYN);
	pb_done(&p);
	assert_int_equal(p.len, 62);
	expect_prefixes(&p, SF_LINK_ETHER, s, 3);
	/* Flags only once byte 13 of a 20-byte TCP header is in. */
	assert_int_equal(parse_exact(p.b, 61, SF_LINK_ETHER, &i), SF_PKT_FLOW);
	assert_int_equal(i.tcp_flags, 0);
	assert_int_equal(parse_exact(p.b, 62, SF_LINK_ETHER, &i), SF_PKT_FLOW);
	assert_int_equal(i.tcp_flags, SF_TCP_SYN);
}

static void
test_truncation_sll2_ipv6_fragment_later(void **state)
{
	const struct span s[] = {
		{ 20, SF_PKT_MALFORMED, SF_PKT_BAD_L2_TRUNC },
		{ 60, SF_PKT_MALFORMED, SF_PKT_BAD_IP_TRUNC },
		{ 68, SF_PKT_MALFORMED, SF_PKT_BAD_IP_TRUNC },	/* fragment header */
		{ 69 + 16, SF_PKT_FLOW, SF_PKT_BAD_NONE },
	};
	struct pb p;

	(void)state;
	pb_init(&p);
	pb_u16(&p, 0x86dd);
	pb_fill(&p, 0, 18);
	ip6(&p, 44, A6, B6);
	frag6(&p, 6, 100, 1);
	payload(&p, 16);
	pb_done(&p);
	assert_int_equal(p.len, 84);
	expect_prefixes(&p, SF_LINK_LINUX_SLL2, s, 4);
}

/*
 * Mutated and cut copies of valid frames, on every link type: whatever the
 * bytes, no over-read (ASan) and a self-consistent result.
 */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rng(void)
{
	return sf_test_rng(&rng_state);
}

static void
test_mutations(void **state)
{
	static const enum sf_linktype lts[] = {
		SF_LINK_ETHER, SF_LINK_LINUX_SLL, SF_LINK_LINUX_SLL2, SF_LINK_RAW,
		SF_LINK_IPV4, SF_LINK_IPV6, SF_LINK_NULL, SF_LINK_LOOP, SF_LINK_PPP,
		SF_LINK_C_HDLC,
	};
	struct pb base[4], p;
	struct sf_pkt_info i;
	enum sf_pkt_class c;
	unsigned int t, it, k, n, flows = 0;
	uint32_t len;

	(void)state;
	pb_init(&base[0]);
	eth(&base[0], 0x8100);
	vtag(&base[0], 5, 0x8847);
	mpls(&base[0], 1, 1);
	ip4x(&base[0], 6, A4, B4, 0, 6, 0);
	tcp(&base[0], 1, 2, 0);
	pb_done(&base[0]);
	pb_init(&base[1]);
	eth(&base[1], 0x86dd);
	ip6(&base[1], 0, A6, B6);
	ext6(&base[1], 44, 8);
	frag6(&base[1], 51, 0, 1);
	ah6(&base[1], 17, 16);
	udp(&base[1], 1, 2);
	pb_done(&base[1]);
	pb_init(&base[2]);
	pb_fill(&base[2], 0, 16);
	ip6(&base[2], 60, A6, B6);
	ext6(&base[2], 6, 8);
	tcp(&base[2], 1, 2, 0);
	pb_done(&base[2]);
	pb_init(&base[3]);
	pb_u32(&base[3], 2);
	ip4(&base[3], 132, A4, B4);
	sctp(&base[3], 1, 2);
	pb_done(&base[3]);

	for (it = 0; it < 200000; it++) {
		p = base[it % 4];
		n = 1 + rng() % 4;
		for (k = 0; k < n; k++)
			p.b[rng() % p.len] = (uint8_t)rng();
		/* Sometimes a small value where lengths live, to reach limits. */
		if (rng() % 4 == 0)
			p.b[rng() % p.len] = (uint8_t)(rng() % 8);
		len = rng() % 3 ? p.len : rng() % (p.len + 1);
		t = rng() % (sizeof(lts) / sizeof(lts[0]));
		c = parse_exact(p.b, len, lts[t], &i);
		check_info_sane(c, &i);
		flows += c == SF_PKT_FLOW;
	}
	assert_true(flows > 1000);	/* the mutations did reach the flow paths */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eth_ipv4_tcp_fields),
		cmocka_unit_test(test_both_directions),
		cmocka_unit_test(test_ipv4_udp),
		cmocka_unit_test(test_ipv4_sctp),
		cmocka_unit_test(test_udplite_dccp),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_icmpv6),
		cmocka_unit_test(test_gre),
		cmocka_unit_test(test_ip_in_ip),
		cmocka_unit_test(test_vxlan_geneve),
		cmocka_unit_test(test_gtpu),
		cmocka_unit_test(test_erspan),
		cmocka_unit_test(test_l2_encaps),
		cmocka_unit_test(test_teredo_ayiya),
		cmocka_unit_test(test_capwap_wlan),
		cmocka_unit_test(test_tunnel_context),
		cmocka_unit_test(test_encap_depth),
		cmocka_unit_test(test_tcp_data_offset),
		cmocka_unit_test(test_ethernet_padding),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_ipv4_tso_total_length_zero),
		cmocka_unit_test(test_ipv4_options),
		cmocka_unit_test(test_ipv4_bad_headers),
		cmocka_unit_test(test_ipv6_extension_chain),
		cmocka_unit_test(test_ipv6_fragments),
		cmocka_unit_test(test_ipv6_ah_esp_nonext),
		cmocka_unit_test(test_ipv6_extension_limits),
		cmocka_unit_test(test_ipv6_jumbo_and_zero_length),
		cmocka_unit_test(test_vlan_single),
		cmocka_unit_test(test_vlan_qinq_and_deep),
		cmocka_unit_test(test_mpls),
		cmocka_unit_test(test_deepest_stack),
		cmocka_unit_test(test_nonflow_ethertypes),
		cmocka_unit_test(test_linux_sll),
		cmocka_unit_test(test_linux_sll2),
		cmocka_unit_test(test_raw_ip),
		cmocka_unit_test(test_bsd_null_and_loop),
		cmocka_unit_test(test_ppp),
		cmocka_unit_test(test_cisco_hdlc),
		cmocka_unit_test(test_linktype_names),
		cmocka_unit_test(test_malformed_names),
		cmocka_unit_test(test_truncation_tcp4),
		cmocka_unit_test(test_truncation_udp6_ext),
		cmocka_unit_test(test_truncation_vlan_mpls),
		cmocka_unit_test(test_truncation_ipv4_options_fragment),
		cmocka_unit_test(test_truncation_sll2_ipv6_fragment_later),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_tcp_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
