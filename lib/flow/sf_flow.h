/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow data model: the canonical bidirectional key and the finished
 * flow record that workers hand to the collector.
 */
#ifndef SF_FLOW_H
#define SF_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_hash_crc.h>

#include "sf_feat.h"

/*
 * Canonical key. The two ends (address, port) are ordered so that
 * (addr_lo, port_lo) <= (addr_hi, port_hi), comparing the address bytes
 * first (memcmp over 16 bytes) and the port second; both directions of a
 * connection therefore have the same key. IPv4 addresses occupy bytes 0..3
 * of the 16-byte fields, the rest is zero. Ports are in host byte order and
 * zero for protocols without ports (ICMP, ICMPv6, fragments, others).
 * Every byte, padding included, is defined, so keys compare with memcmp.
 *
 * Six 8-byte words: four of addresses, one of ports, VLAN, protocol and
 * version, and one of tunnel context: what separates overlapping address
 * spaces below the innermost IP header (a VXLAN/Geneve VNI, GRE key, GTP
 * TEID, ...), its kind in ctx_kind. Plain traffic has the sixth word zero
 * (SF_FLOW_CTX_NONE), and a zero sixth word hashes as a five-word key did
 * (sf_flow_key_hash), so adding the context moved no flow to another
 * worker or table slot.
 */
struct sf_flow_key {
	uint8_t addr_lo[16];
	uint8_t addr_hi[16];
	uint16_t port_lo;
	uint16_t port_hi;
	uint16_t vlan;		/* outer VLAN id (12 bits), 0 if untagged */
	uint8_t proto;		/* IP protocol number */
	uint8_t ipver;		/* 4 or 6 */
	uint32_t ctx;		/* tunnel context id; 0 with SF_FLOW_CTX_NONE */
	uint8_t ctx_kind;	/* enum sf_flow_ctx_kind */
	uint8_t rsvd[3];	/* zero */
} __rte_aligned(8);	/* read in 8-byte words */

#define SF_FLOW_KEY_WORDS 6
#define SF_FLOW_TUN_MPLS 3	/* MPLS labels a record keeps */

_Static_assert(sizeof(struct sf_flow_key) == SF_FLOW_KEY_WORDS * sizeof(uint64_t),
		"key is six words");
_Static_assert(offsetof(struct sf_flow_key, ctx) == 5 * sizeof(uint64_t),
		"the tunnel context is the sixth word");

/*
 * What the key's tunnel context is (tunnel.context chooses; see
 * enum sf_pkt_ctx_mode). The names are the JSON values.
 */
#define SF_FLOW_CTX_KINDS(X) \
	X(NONE, "none")		/* no context: ctx is 0 */ \
	X(VNI, "vni")		/* VXLAN or Geneve VNI */ \
	X(GRE_KEY, "gre_key")	/* GRE key */ \
	X(TEID, "teid")		/* GTP-U TEID */ \
	X(FULL, "full")		/* a hash of every id of every layer */ \
	X(UNDERLAY, "underlay")	/* an underlay flow: a tunnel's outer headers (ctx 0) */

enum sf_flow_ctx_kind {
#define SF_X_ENUM(id, name) SF_FLOW_CTX_ ## id,
	SF_FLOW_CTX_KINDS(SF_X_ENUM)
#undef SF_X_ENUM
	SF_FLOW_CTX_MAX
};

const char *sf_flow_ctx_name(unsigned int kind);

/*
 * How the packets of a record were selected (sampling.mode; the names are
 * the JSON values): every packet, every Nth, one at random in each N, or
 * whole flows chosen by their key's hash.
 */
#define SF_SAMPLINGS(X) \
	X(NONE, "none") \
	X(COUNT, "count") \
	X(RANDOM, "random") \
	X(FLOW, "flow")

enum sf_sampling {
#define SF_X_ENUM(id, name) SF_SAMPLING_ ## id,
	SF_SAMPLINGS(SF_X_ENUM)
#undef SF_X_ENUM
	SF_SAMPLING_MAX
};

const char *sf_sampling_name(unsigned int s);

/* Which end of the canonical key sent a packet. */
enum sf_flow_dir {
	SF_DIR_LO = 0,	/* sender is (addr_lo, port_lo) */
	SF_DIR_HI = 1,	/* sender is (addr_hi, port_hi) */
};

/*
 * Why a flow record was emitted. The names are the JSON values; order is
 * part of the message format between workers and collector.
 */
#define SF_END_REASONS(X) \
	X(IDLE, "idle") \
	X(ACTIVE, "active") \
	X(TCP_FIN, "tcp_fin") \
	X(TCP_RST, "tcp_rst") \
	X(EVICTED, "evicted") \
	X(END_OF_INPUT, "end_of_input")

enum sf_end_reason {
#define SF_X_ENUM(id, name) SF_END_ ## id,
	SF_END_REASONS(SF_X_ENUM)
#undef SF_X_ENUM
	SF_END_MAX
};

const char *sf_end_reason_name(enum sf_end_reason r);

/*
 * What carried a flow, from its first packet (zero for plain traffic and
 * for flows that only had VLAN tags): the encapsulations walked, the ids
 * found, the first MPLS labels and the outermost tunnel's IP addresses.
 */
struct sf_flow_tun {
	uint32_t encaps;	/* 1 << SF_ENCAP_* (lib/pkt) for each type; 0: none */
	uint8_t ids;		/* SF_PKT_ID_* (lib/pkt): which ids below were found */
	uint8_t outer_ipver;	/* 4 or 6: outer_src/outer_dst valid; 0: no IP tunnel */
	uint16_t erspan;	/* ERSPAN session */
	uint32_t vni;		/* VXLAN/Geneve VNI */
	uint32_t gre_key;
	uint32_t teid;		/* GTP-U */
	uint8_t n_mpls;		/* labels in mpls[] */
	uint8_t pad[3];
	uint32_t mpls[SF_FLOW_TUN_MPLS];	/* MPLS labels, top of stack first */
	uint8_t outer_src[16];	/* the outermost tunnel's IP header, as the first */
	uint8_t outer_dst[16];	/* packet carried it (IPv4: first 4 bytes) */
	uint32_t pad2;
};

_Static_assert(sizeof(struct sf_flow_tun) == 72, "no padding in the tunnel part");

/*
 * A finished flow (or, for long flows, one active-timeout segment of it).
 * Direction 0 is initiator -> responder. `initiator` says which end of
 * the canonical key initiated (enum sf_flow_dir).
 */
/*
 * TCP health of a TCP flow's record (tcp.analysis; lib/tcp): valid with
 * SF_FLOW_TCP_VALID in flags. Counters are the record's (an active-timeout
 * update starts them again), [0] from the initiator, [1] from the
 * responder; handshake facts are the flow's and repeat in each record.
 */
#define SF_FLOW_TCP_VALID 0x1	/* the flow was analysed */
#define SF_FLOW_TCP_RTT 0x2	/* rtt_server_ns and rtt_client_ns are set */
#define SF_FLOW_TCP_NO_WSCALE 0xff
#define SF_FLOW_TCP_FLAGS 6	/* flags counted per direction: FIN SYN RST PSH ACK URG */
#define SF_FLOW_TCP_HISTORY 32	/* history letters kept, and the NUL */

/* Zeek conn.log's conn_state of a TCP connection (lib/tcp, sf_tcp_zeek.c). */
enum sf_zeek_state {
	SF_ZEEK_NONE = 0,	/* not analysed */
	SF_ZEEK_S0, SF_ZEEK_S1, SF_ZEEK_SF, SF_ZEEK_REJ, SF_ZEEK_S2, SF_ZEEK_S3,
	SF_ZEEK_RSTO, SF_ZEEK_RSTR, SF_ZEEK_RSTOS0, SF_ZEEK_RSTRH, SF_ZEEK_SH, SF_ZEEK_SHR,
	SF_ZEEK_OTH,
	SF_ZEEK_N
};

/* Its name as conn.log writes it; NULL for SF_ZEEK_NONE. */
static inline const char *
sf_zeek_state_name(uint8_t s)
{
	static const char *const names[SF_ZEEK_N] = {
		NULL, "S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH",
		"SH", "SHR", "OTH",
	};

	return s < SF_ZEEK_N ? names[s] : NULL;
}
/* sf_flow_tcp.opts: what each side's first SYN had */
#define SF_FLOW_TCP_SACK 0x04	/* SACK permitted */
#define SF_FLOW_TCP_TS 0x08	/* timestamps */
#define SF_FLOW_TCP_SYN 0x80	/* a SYN was seen from this side (the fields are its) */

struct sf_flow_tcp {
	uint64_t rtt_server_ns;		/* SYN -> SYN/ACK, at the probe */
	uint64_t rtt_client_ns;		/* SYN/ACK -> the handshake's ACK */
	uint64_t retrans_bytes[2];	/* IP bytes of those packets */
	uint32_t retrans_packets[2];	/* retransmissions, fast and spurious ones too */
	uint32_t ooo_packets[2];	/* out of order */
	uint32_t dup_acks[2];
	uint32_t zero_windows[2];
	/* packets with each flag, by its bit: FIN, SYN, RST, PSH, ACK, URG (SF_FLOW_TCP_FLAG_*) */
	uint32_t flag_packets[2][SF_FLOW_TCP_FLAGS];
	uint16_t mss[2];		/* from each side's SYN; 0: none */
	uint8_t wscale[2];		/* window scale shift; SF_FLOW_TCP_NO_WSCALE: none */
	uint8_t opts[2];		/* SF_FLOW_TCP_SYN, _SACK, _TS */
	uint8_t init_flags[2];		/* TCP flags of each direction's first packet */
	uint8_t flags;			/* SF_FLOW_TCP_* */
	uint8_t conn_state;		/* enum sf_zeek_state: Zeek conn.log's conn_state */
	uint8_t pad[6];
	char history[SF_FLOW_TCP_HISTORY];	/* Zeek conn.log's history, NUL-terminated */
};

/*
 * What a flow carries (app.enabled; lib/app): the metadata of its first
 * TLS ClientHello, QUIC Initial, DNS question or HTTP/1.x request; kind
 * SF_APP_NONE when nothing was recognised. Only `kind` and `flags` are
 * set for a record without metadata: read the rest only when kind says.
 * Texts are NUL-terminated and safe for every output (lib/app/sf_app.h).
 */
enum sf_app_kind {
	SF_APP_NONE = 0,
	SF_APP_TLS,		/* TLS over TCP */
	SF_APP_QUIC,		/* TLS in QUIC Initials */
	SF_APP_DNS,
	SF_APP_HTTP,		/* HTTP/1.x */
	SF_APP_KINDS
};

#define SF_FLOW_APP_NAME 256	/* tls_sni, dns_qname, http_host (with the NUL) */
#define SF_FLOW_APP_ALPN 32
#define SF_FLOW_APP_JA3 33
#define SF_FLOW_APP_JA4 40
#define SF_FLOW_APP_METHOD 16
#define SF_FLOW_APP_UA 256

/* sf_flow_app.flags */
#define SF_FLOW_APP_RCODE 0x01	/* dns_rcode is a response's */
#define SF_FLOW_APP_CUT 0x02	/* a text was longer than its field: cut */
#define SF_FLOW_APP_QTYPE 0x04	/* dns_qtype and the name are a question's */

struct sf_flow_app {
	uint8_t kind;		/* enum sf_app_kind */
	uint8_t flags;		/* SF_FLOW_APP_* */
	uint8_t dns_rcode;
	uint8_t pad;
	uint16_t tls_version;	/* highest offered; 0: none */
	uint16_t dns_qtype;
	uint32_t quic_version;	/* 0: not QUIC */
	uint32_t pad2;
	char name[SF_FLOW_APP_NAME];	/* server name: SNI, DNS question, HTTP Host */
	char alpn[SF_FLOW_APP_ALPN];	/* the first ALPN offered */
	char ja3[SF_FLOW_APP_JA3];	/* MD5, hex */
	char ja4[SF_FLOW_APP_JA4];
	char method[SF_FLOW_APP_METHOD];
	char ua[SF_FLOW_APP_UA];	/* User-Agent */
	uint8_t pad3[7];
};

_Static_assert(sizeof(struct sf_flow_app) % 8 == 0, "records stay 8-byte aligned");

/* Its name in outputs ("tls", "quic", ...); NULL for SF_APP_NONE. */
static inline const char *
sf_app_kind_name(uint8_t k)
{
	static const char *const names[SF_APP_KINDS] = { NULL, "tls", "quic", "dns", "http" };

	return k < SF_APP_KINDS ? names[k] : NULL;
}

/*
 * A record's SPLT (features.splt): the flow's first packets, in a buffer
 * the record points to (the worker's while it builds the record, the
 * message's slot on the way to the collector; copies kept past a message,
 * as the top lists, drop it).
 */
struct sf_flow_splt {
	uint8_t n;		/* entries configured: the lists' length in outputs */
	uint8_t len;		/* entries filled (<= n) */
	uint8_t pad[6];
	struct sf_feat_splt_entry e[];
};

static inline size_t
sf_flow_splt_size(unsigned int n)
{
	return sizeof(struct sf_flow_splt) + (size_t)n * sizeof(struct sf_feat_splt_entry);
}

struct sf_flow_record {
	struct sf_flow_key key;
	uint64_t start_ns;	/* first packet of this record, Unix epoch ns */
	uint64_t end_ns;	/* last packet of this record */
	uint64_t packets[2];	/* [0] initiator->responder, [1] reverse */
	uint64_t bytes[2];	/* IP-layer octets, as IP headers state them */
	uint8_t tcp_flags[2];	/* OR of TCP flag bits per direction */
	uint8_t initiator;	/* enum sf_flow_dir */
	uint8_t end_reason;	/* enum sf_end_reason */
	uint8_t dscp;		/* DSCP of the first packet */
	uint8_t port;		/* capture port of the first packet (input index) */
	uint8_t sampling;	/* enum sf_sampling of the worker that wrote it */
	uint8_t pad;
	uint32_t sampling_rate;	/* 1 in N (1: every packet) */
	uint32_t pad2;
	struct sf_flow_tun tun;	/* what carried it (zero: plain) */
	struct sf_flow_tcp tcp;	/* TCP health (zero: not analysed) */
	struct sf_flow_feat feat;	/* features.enabled (packets[SF_FEAT_BIDIR] 0: none) */
	const struct sf_flow_splt *splt;	/* features.splt, or NULL */
	struct sf_flow_app app;	/* what it carried (kind SF_APP_NONE: nothing known) */
};

_Static_assert(sizeof(struct sf_flow_record) == sizeof(struct sf_flow_key) + 64 +
		sizeof(struct sf_flow_tun) + sizeof(struct sf_flow_tcp) + sizeof(struct sf_flow_feat) +
		sizeof(void *) + sizeof(struct sf_flow_app),
		"no padding in a record: every byte is a field");

/*
 * Copy a record with only the parts it uses: features and application
 * metadata (two thirds of the struct) only when present, so a record of a
 * run without them costs what it did before they existed.
 */
static inline void
sf_flow_record_copy(struct sf_flow_record *d, const struct sf_flow_record *r)
{
	memcpy(d, r, offsetof(struct sf_flow_record, feat));
	if (r->feat.packets[SF_FEAT_BIDIR] != 0)
		d->feat = r->feat;
	else
		d->feat.packets[SF_FEAT_BIDIR] = 0;
	d->splt = r->splt;
	if (r->app.kind != SF_APP_NONE) {
		d->app = r->app;
	} else {
		d->app.kind = SF_APP_NONE;
		d->app.flags = 0;
	}
}

/*
 * Symmetric by construction: the key is already canonical. CRC32-C over
 * five words, the sixth (tunnel context) folded into the fifth with its
 * halves swapped: a zero context leaves the five-word hash (the value of
 * rte_hash_crc(k, 40, seed)) as it was, and a context id lands on the
 * VLAN/protocol/version half of the fifth word, its kind on the ports half. Keys that differ only so
 * that the folded words agree collide, which the full compare resolves.
 * Read with memcpy: rte_hash_crc reads through uint64_t pointers, which
 * the compiler may move above the key's narrower field stores once both
 * are inlined into one function (seen at -O3: a stale last word).
 */
static inline uint32_t
sf_flow_key_hash(const struct sf_flow_key *k)
{
	uint64_t w[SF_FLOW_KEY_WORDS];
	uint32_t h = 0x5f3759dfu;
	unsigned int i;

	memcpy(w, k, sizeof(w));
	w[4] ^= w[5] << 32 | w[5] >> 32;
	for (i = 0; i < 5; i++)
		h = rte_hash_crc_8byte(w[i], h);
	return h;
}

static inline bool
sf_flow_key_eq(const struct sf_flow_key *a, const struct sf_flow_key *b)
{
	/* Six 8-byte words, without a call to memcmp (memcpy becomes loads). */
	uint64_t x[SF_FLOW_KEY_WORDS], y[SF_FLOW_KEY_WORDS];

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) |
			(x[4] ^ y[4]) | (x[5] ^ y[5])) == 0;
}

/*
 * Which of n workers owns a flow: its hash scaled to [0, n) without a
 * division. The software dispatcher, the in-memory replay's split and the
 * tests all ask this one function, so a flow has one owner whatever the
 * input; a NIC's RSS and the kernel's fanout choose by their own hash
 * (sf_rss.h, sf_source_tpacket.c).
 */
static inline unsigned int
sf_flow_key_owner(const struct sf_flow_key *k, unsigned int n)
{
	return (unsigned int)(((uint64_t)sf_flow_key_hash(k) * n) >> 32);
}

/* Big-endian to host order with the compiler's builtins (no asm: schedulable). */
static inline uint32_t
sf_be32(uint32_t v)
{
	return RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN ? __builtin_bswap32(v) : v;
}

static inline uint64_t
sf_be64(uint64_t v)
{
	return RTE_BYTE_ORDER == RTE_LITTLE_ENDIAN ? __builtin_bswap64(v) : v;
}

/*
 * Build a canonical key from one packet's view, without tunnel context
 * (sf_flow_key_set_ctx adds one). Returns the direction of the sender
 * (src) relative to the canonical key. `alen` is 4 or 16. Addresses
 * compare as big-endian integers (memcmp's order), loaded in words; the
 * addresses are written as four 8-byte words (IPv4 zero-padded), the
 * fields after them fill the fifth and the sixth is zero, so no byte is
 * left undefined and no libc call or zeroing pass is needed (this runs
 * once per packet).
 */
static inline enum sf_flow_dir
sf_flow_key_make(struct sf_flow_key *k, uint8_t ipver, const uint8_t *src,
		const uint8_t *dst, unsigned int alen, uint16_t sport, uint16_t dport,
		uint8_t proto, uint16_t vlan)
{
	const uint64_t no_ctx = 0;
	uint64_t s0, s1, d0, d1, hs, hd, a0, a1, b0, b1;
	bool lo;

	if (alen == 4) {
		uint32_t s, d;

		memcpy(&s, src, 4);
		memcpy(&d, dst, 4);
		s0 = s;		/* address bytes first, then zeros (either endianness) */
		d0 = d;
		if (RTE_BYTE_ORDER == RTE_BIG_ENDIAN) {
			s0 <<= 32;
			d0 <<= 32;
		}
		s1 = 0;
		d1 = 0;
		hs = sf_be32(s);
		hd = sf_be32(d);
	} else {
		memcpy(&s0, src, 8);
		memcpy(&s1, src + 8, 8);
		memcpy(&d0, dst, 8);
		memcpy(&d1, dst + 8, 8);
		hs = sf_be64(s0);
		hd = sf_be64(d0);
		if (hs == hd) {
			hs = sf_be64(s1);
			hd = sf_be64(d1);
		}
	}
	lo = hs < hd || (hs == hd && sport <= dport);
	/*
	 * Word by word, straight into the key: going through an array on the
	 * stack made the compiler reload it in 16-byte halves of two 8-byte
	 * stores, a store-forwarding stall on every packet.
	 */
	a0 = lo ? s0 : d0;
	a1 = lo ? s1 : d1;
	b0 = lo ? d0 : s0;
	b1 = lo ? d1 : s1;
	memcpy(k->addr_lo, &a0, 8);
	memcpy(k->addr_lo + 8, &a1, 8);
	memcpy(k->addr_hi, &b0, 8);
	memcpy(k->addr_hi + 8, &b1, 8);
	k->port_lo = lo ? sport : dport;
	k->port_hi = lo ? dport : sport;
	k->vlan = vlan;
	k->proto = proto;
	k->ipver = ipver;
	memcpy(&k->ctx, &no_ctx, sizeof(no_ctx));
	return lo ? SF_DIR_LO : SF_DIR_HI;
}

/* Give a key its tunnel context (the whole sixth word: reserved bytes zero). */
static inline void
sf_flow_key_set_ctx(struct sf_flow_key *k, enum sf_flow_ctx_kind kind, uint32_t id)
{
	k->ctx = id;
	k->ctx_kind = (uint8_t)kind;
	memset(k->rsvd, 0, sizeof(k->rsvd));
}

/* Total order on keys, for deterministic sorting and tie-breaks. */
int sf_flow_key_cmp(const struct sf_flow_key *a, const struct sf_flow_key *b);

/*
 * Top lists of records: more bytes (or packets, both directions) first,
 * then smaller key, then earlier start, so equal totals rank the same
 * whatever the arrival order. Inserts r into top[0..*n) sorted by that
 * order, keeping at most `max` (the last one drops out).
 */
void sf_flow_record_top_add(struct sf_flow_record *top, unsigned int *n, unsigned int max,
		const struct sf_flow_record *r, bool by_packets);

/* Format one end of the key as text (inet_ntop); returns buf. */
const char *sf_flow_addr_str(const struct sf_flow_key *k, enum sf_flow_dir end,
		char *buf, size_t len);

/* Source/destination (initiator/responder) view of a record. */
static inline const uint8_t *
sf_flow_record_addr(const struct sf_flow_record *r, bool dst)
{
	return ((r->initiator == SF_DIR_LO) != dst) ? r->key.addr_lo : r->key.addr_hi;
}

static inline uint16_t
sf_flow_record_port(const struct sf_flow_record *r, bool dst)
{
	return ((r->initiator == SF_DIR_LO) != dst) ? r->key.port_lo : r->key.port_hi;
}

#endif /* SF_FLOW_H */
