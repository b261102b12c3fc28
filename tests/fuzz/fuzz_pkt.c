/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: packet parser and flow table update.
 *
 * Input: one byte picks the link type (and, above the link type count, the
 * decapsulation settings: Teredo and AYIYA, the context mode), then
 * frames, each
 *   u16 big-endian: bits 0..13 frame length, bit 14 expire after the burst,
 *                   bit 15 end the burst after this frame
 *   u8:             time step before the frame, in microseconds
 *   length bytes    (the last frame may be shorter: what is left)
 * Each frame is copied into a buffer of exactly its length (so ASan sees
 * any read past caplen), parsed, and flow packets go to a 64-flow table
 * with microsecond timeouts, so idle, active, TCP end, eviction and expiry
 * all run. TCP flows borrow cold areas from a pool smaller than the table
 * (running out included), whose per-record counts must match the records.
 * Flow packets also get their duplicate-removal signature, from the same
 * exact-length buffer. Every record and the end-of-input totals are checked: conservation of
 * packets and bytes, sane times, directions and flags.
 *
 * The table's memory comes from malloc instead of DPDK's heap (see
 * rte_zmalloc_socket below) so AddressSanitizer guards its bounds too.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "fuzz_common.h"
#include "sf_common.h"
#include "sf_dedup.h"
#include "sf_flow_table.h"
#include "sf_pkt.h"
#include "sf_tcp.h"

#define FUZZ_CAPACITY	64
#define FUZZ_IDLE_NS	(64 * SF_NS_PER_US)
#define FUZZ_ACTIVE_NS	(160 * SF_NS_PER_US)
#define FUZZ_TCP_END_NS	(16 * SF_NS_PER_US)
#define FUZZ_T0		(UINT64_C(1700000000) * SF_NS_PER_S)
#define FUZZ_LEN_MASK	0x3fff
#define FUZZ_F_EXPIRE	0x4000
#define FUZZ_F_FLUSH	0x8000
#define FUZZ_EXPIRE_BUDGET 4
#define FUZZ_TOPK_EVERY	8	/* bursts per top-K interval */
#define FUZZ_COLD_SLOTS	8

static const enum sf_linktype linktypes[] = {
	SF_LINK_ETHER, SF_LINK_LINUX_SLL, SF_LINK_LINUX_SLL2, SF_LINK_RAW, SF_LINK_IPV4,
	SF_LINK_IPV6, SF_LINK_NULL, SF_LINK_LOOP, SF_LINK_PPP, SF_LINK_C_HDLC,
};

/*
 * DPDK's heap is not instrumented by ASan: hand the flow table (and only
 * it: `intercept` is set around sf_flow_table_create) zeroed malloc memory.
 * Everything else goes to the real functions.
 */
#define FUZZ_MAX_OWN 8
static int intercept;
static void *own[FUZZ_MAX_OWN];

void *
rte_zmalloc_socket(const char *type, size_t size, unsigned int align, int socket)
{
	static void *(*real)(const char *, size_t, unsigned int, int);
	void *p = NULL;
	unsigned int i;

	if (!intercept) {
		if (real == NULL)
			*(void **)&real = dlsym(RTLD_NEXT, "rte_zmalloc_socket");
		FUZZ_CHECK(real != NULL);
		return real(type, size, align, socket);
	}
	if (align < sizeof(void *))
		align = sizeof(void *);
	if (posix_memalign(&p, align, size ? size : 1) != 0)
		return NULL;
	memset(p, 0, size);
	for (i = 0; i < FUZZ_MAX_OWN && own[i] != NULL; i++)
		;
	FUZZ_CHECK(i < FUZZ_MAX_OWN);
	own[i] = p;
	return p;
}

void
rte_free(void *p)
{
	static void (*real)(void *);
	unsigned int i;

	if (p == NULL)
		return;
	for (i = 0; i < FUZZ_MAX_OWN; i++) {
		if (own[i] == p) {
			own[i] = NULL;
			free(p);
			return;
		}
	}
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "rte_free");
	FUZZ_CHECK(real != NULL);
	real(p);
}

struct fuzz_totals {
	uint64_t packets, bytes;	/* fed to the table */
	uint64_t rec_packets, rec_bytes, records;
	uint64_t interval_bytes;	/* fed since the top-K interval began */
	uint64_t now;			/* newest packet time */
	uint64_t cold_lent, cold_back;	/* areas handed to flows and returned */
};

/* A cold area: the current record's counts, as the table should have them. */
struct fuzz_cold {
	uint64_t packets[2], bytes[2];
	uint8_t used;
};

static bool
cold_want(void *arg, const struct sf_pkt_info *pi)
{
	RTE_SET_USED(arg);
	return pi->key.proto == 6;
}

static void
cold_packet(void *arg, void *area, const struct sf_pkt_info *pi, unsigned int dir, uint64_t ts,
		const void *frame)
{
	struct fuzz_totals *tot = arg;
	struct fuzz_cold *c = area;

	(void)frame;	/* the table passes none: sf_flow_table_update_burst */
	FUZZ_CHECK(dir < 2 && pi->key.proto == 6 && ts <= tot->now);
	if (!c->used) {
		/* A new area is zeroed. */
		FUZZ_CHECK(c->packets[0] == 0 && c->packets[1] == 0);
		c->used = 1;
		tot->cold_lent++;
	}
	c->packets[dir]++;
	c->bytes[dir] += pi->ip_len;
}

static void
cold_record(void *arg, void *area, struct sf_flow_record *r, bool ends)
{
	struct fuzz_totals *tot = arg;
	struct fuzz_cold *c = area;
	unsigned int d;

	FUZZ_CHECK(c->used && r->key.proto == 6);
	FUZZ_CHECK(ends == (r->end_reason != SF_END_ACTIVE));
	for (d = 0; d < 2; d++) {
		FUZZ_CHECK(c->packets[d] == r->packets[d] && c->bytes[d] == r->bytes[d]);
		c->packets[d] = 0;
		c->bytes[d] = 0;
	}
	tot->cold_back += ends;
}

static int
addr_v4_clean(const uint8_t a[16])
{
	unsigned int i;

	for (i = 4; i < 16; i++)
		if (a[i] != 0)
			return 0;
	return 1;
}

static void
check_key(const struct sf_flow_key *k)
{
	int c = memcmp(k->addr_lo, k->addr_hi, 16);

	FUZZ_CHECK(k->ipver == 4 || k->ipver == 6);
	FUZZ_CHECK(c < 0 || (c == 0 && k->port_lo <= k->port_hi));
	FUZZ_CHECK(k->vlan <= 0xfff);
	if (k->ipver == 4)
		FUZZ_CHECK(addr_v4_clean(k->addr_lo) && addr_v4_clean(k->addr_hi));
}

static void
on_record(void *arg, const struct sf_flow_record *r)
{
	struct fuzz_totals *tot = arg;
	unsigned int d;

	check_key(&r->key);
	FUZZ_CHECK(r->packets[0] + r->packets[1] > 0);
	FUZZ_CHECK(r->start_ns >= FUZZ_T0 && r->start_ns <= r->end_ns && r->end_ns <= tot->now);
	FUZZ_CHECK(r->initiator == SF_DIR_LO || r->initiator == SF_DIR_HI);
	FUZZ_CHECK(r->end_reason < SF_END_MAX);
	for (d = 0; d < 2; d++) {
		/* Every flow packet carries at least an IP header's worth of bytes. */
		FUZZ_CHECK(r->bytes[d] >= 20 * r->packets[d]);
		FUZZ_CHECK(r->packets[d] > 0 || (r->bytes[d] == 0 && r->tcp_flags[d] == 0));
		FUZZ_CHECK(r->tcp_flags[d] == 0 || r->key.proto == 6);
	}
	tot->rec_packets += r->packets[0] + r->packets[1];
	tot->rec_bytes += r->bytes[0] + r->bytes[1];
	tot->records++;
}

/* What the parser says of a packet's encapsulations. */
static void
check_tunnel(const struct sf_pkt_info *pi)
{
	const struct sf_pkt_tunnel *t = &pi->tun;

	if (!(pi->flags & SF_PKT_F_ENCAP))
		return;
	FUZZ_CHECK(t->encaps != 0 && (t->encaps >> SF_ENCAP_MAX) == 0);
	FUZZ_CHECK(t->last < SF_ENCAP_MAX && (t->encaps & (UINT32_C(1) << t->last)));
	FUZZ_CHECK(t->depth <= SF_PKT_ENCAP_MAX + 1);
	FUZZ_CHECK(t->n_mpls <= SF_PKT_MPLS_KEPT);
	FUZZ_CHECK(t->outer_ipver == 0 || t->outer_ipver == 4 || t->outer_ipver == 6);
	FUZZ_CHECK(pi->key.ctx_kind < SF_FLOW_CTX_MAX);
	FUZZ_CHECK(pi->key.ctx_kind != SF_FLOW_CTX_NONE || pi->key.ctx == 0);
}

static void
check_parse(enum sf_pkt_class cls, const struct sf_pkt_info *pi)
{
	check_tunnel(pi);	/* a tunnel's non-flow payload has its record too */
	switch (cls) {
	case SF_PKT_FLOW:
		check_key(&pi->key);
		FUZZ_CHECK(pi->dir == SF_DIR_LO || pi->dir == SF_DIR_HI);
		FUZZ_CHECK(pi->ip_len >= 20);
		FUZZ_CHECK(pi->tcp_flags == 0 || pi->key.proto == 6);
		FUZZ_CHECK(pi->dscp < 64);
		FUZZ_CHECK((pi->frag & ~(SF_PKT_FRAG_FIRST | SF_PKT_FRAG_LATER)) == 0);
		if (pi->frag != 0)
			FUZZ_CHECK(pi->key.port_lo == 0 && pi->key.port_hi == 0);
		break;
	case SF_PKT_NONFLOW:
		break;
	case SF_PKT_MALFORMED:
		FUZZ_CHECK(pi->malformed > SF_PKT_BAD_NONE && pi->malformed < SF_PKT_BAD_MAX);
		FUZZ_CHECK(strcmp(sf_pkt_malformed_name(pi->malformed), "") != 0);
		break;
	default:
		FUZZ_CHECK(!"unknown packet class");
	}
}

/* The interval top list: at most SF_TOPK, largest first, within what was fed. */
static void
check_topk(const struct sf_flow_table *t, const struct fuzz_totals *tot)
{
	struct sf_flow_topk top[SF_TOPK];
	uint64_t sum = 0;
	unsigned int i, n;

	n = sf_flow_table_interval_top(t, top);
	FUZZ_CHECK(n <= SF_TOPK);
	for (i = 0; i < n; i++) {
		check_key(&top[i].key);
		FUZZ_CHECK(top[i].packets > 0 && top[i].bytes >= 20 * top[i].packets);
		if (i > 0)
			FUZZ_CHECK(top[i - 1].bytes >= top[i].bytes);
		sum += top[i].bytes;
	}
	FUZZ_CHECK(sum <= tot->interval_bytes);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	RTE_SET_USED(argc);
	RTE_SET_USED(argv);
	fuzz_eal_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct sf_flow_table_params p = {
		.name = "fuzz_ft",
		.capacity = FUZZ_CAPACITY,
		.idle_ns = FUZZ_IDLE_NS,
		.active_ns = FUZZ_ACTIVE_NS,
		.tcp_end_ns = FUZZ_TCP_END_NS,
		.socket_id = SOCKET_ID_ANY,
		.emit = on_record,
		.cold = {
			.size = sizeof(struct fuzz_cold), .slots = FUZZ_COLD_SLOTS,
			.want = cold_want, .packet = cold_packet, .record = cold_record,
		},
	};
	struct sf_pkt_info info[SF_BURST];
	const struct sf_pkt_info *pi[SF_BURST];
	uint64_t ts[SF_BURST], ended = 0;
	const struct sf_flow_table_stats *st;
	struct fuzz_totals tot = { .now = FUZZ_T0 };
	struct sf_tcp tcp;
	struct sf_flow_table *t;
	enum sf_linktype lt;
	unsigned int n = 0, bursts = 0, i;
	size_t off = 1;

	if (size < 1)
		return 0;
	lt = linktypes[data[0] % RTE_DIM(linktypes)];
	FUZZ_CHECK(sf_pkt_linktype_supported(lt));
	/* The rest of the first byte: Teredo and AYIYA on, the context mode. */
	{
		struct sf_pkt_decap d;
		unsigned int v = data[0] / RTE_DIM(linktypes);

		sf_pkt_decap_defaults(&d);
		d.teredo = d.ayiya = (v & 1) != 0;
		d.context = (uint8_t)((v >> 1) % (SF_CTX_FULL + 1));
		d.vxlan_mirror = (v >> 1) == 7;
		sf_pkt_decap_set(&d);
		sf_pkt_tcp_fields_set((v & 2) != 0);
	}
	memset(&tcp, 0, sizeof(tcp));
	sf_tcp_start(&tcp);
	p.emit_arg = &tot;
	p.cold.arg = &tot;
	intercept = 1;
	t = sf_flow_table_create(&p);
	intercept = 0;
	FUZZ_CHECK(t != NULL);
	sf_flow_table_interval_begin(t);

	while (off + 3 <= size) {
		uint16_t hdr = (uint16_t)(data[off] << 8 | data[off + 1]);
		size_t len = hdr & FUZZ_LEN_MASK;
		enum sf_pkt_class cls;
		uint8_t *frame;

		tot.now += data[off + 2] * SF_NS_PER_US;
		off += 3;
		if (len > size - off)
			len = size - off;
		/* Exactly len bytes: ASan reports any read past caplen. */
		frame = malloc(len ? len : 1);
		FUZZ_CHECK(frame != NULL);
		memcpy(frame, data + off, len);
		off += len;
		memset(&info[n], 0, sizeof(info[n]));
		cls = sf_pkt_parse(frame, (uint32_t)len, lt, &info[n]);
		check_parse(cls, &info[n]);
		/* Duplicate removal reads the frame at the parser's offsets. */
		if (cls == SF_PKT_FLOW)
			FUZZ_CHECK(sf_dedup_signature_buf(frame, (uint32_t)len, &info[n]) != 0);
		/* TCP header facts: within the IP packet; the analysis takes any sequence. */
		if (info[n].flags & SF_PKT_F_TCP) {
			FUZZ_CHECK(cls == SF_PKT_FLOW && info[n].key.proto == 6 && info[n].frag == 0);
			FUZZ_CHECK(info[n].tcp.seglen + 20 <= info[n].ip_len);
			sf_tcp_packet(&tcp, &info[n], info[n].dir, tot.now);
		}
		/* tunnel.underlay: the outer flow of a tunnelled packet, parsed again. */
		if ((info[n].flags & SF_PKT_F_ENCAP) && info[n].tun.depth != 0) {
			struct sf_pkt_under u;

			if (sf_pkt_parse_underlay(frame, (uint32_t)len, lt, &u)) {
				FUZZ_CHECK(u.key.ctx_kind == SF_FLOW_CTX_UNDERLAY && u.key.ctx == 0);
				FUZZ_CHECK(u.key.ipver == info[n].tun.outer_ipver);
				FUZZ_CHECK(u.dir <= 1);
			}
		}
		free(frame);
		if (cls == SF_PKT_FLOW) {
			pi[n] = &info[n];
			ts[n] = tot.now;
			tot.packets++;
			tot.bytes += info[n].ip_len;
			tot.interval_bytes += info[n].ip_len;
			n++;
		}
		if (n == SF_BURST || (n > 0 && (hdr & FUZZ_F_FLUSH)) || off + 3 > size) {
			sf_flow_table_update_burst(t, pi, ts, n);
			n = 0;
			if (hdr & FUZZ_F_EXPIRE)
				ended += sf_flow_table_expire(t, tot.now, FUZZ_EXPIRE_BUDGET);
			st = sf_flow_table_stats(t);
			FUZZ_CHECK(st->active <= FUZZ_CAPACITY);
			FUZZ_CHECK(st->cold_used <= FUZZ_COLD_SLOTS && st->cold_used <= st->active);
			FUZZ_CHECK(st->cold_used == tot.cold_lent - tot.cold_back);
			check_topk(t, &tot);
			if (++bursts % FUZZ_TOPK_EVERY == 0) {
				sf_flow_table_interval_begin(t);
				tot.interval_bytes = 0;
				/* Packets after an interval begins are later than those before. */
				tot.now++;
			}
		}
	}
	if (n > 0)
		sf_flow_table_update_burst(t, pi, ts, n);
	sf_flow_table_flush(t, SF_END_END_OF_INPUT);

	/* Zeek's view of every TCP packet taken as one connection: a state and letters it knows. */
	{
		struct sf_flow_record rec;
		size_t hl;

		memset(&rec, 0, sizeof(rec));
		sf_tcp_record(&tcp, &rec, true);
		hl = strnlen(rec.tcp.history, sizeof(rec.tcp.history));
		FUZZ_CHECK(hl < sizeof(rec.tcp.history));
		FUZZ_CHECK(strspn(rec.tcp.history, "^SHADFRIQTWshadfriqtw") == hl);
		FUZZ_CHECK(rec.tcp.conn_state > SF_ZEEK_NONE && rec.tcp.conn_state < SF_ZEEK_N);
	}

	/* Conservation: every flow packet and byte fed is in exactly one record. */
	st = sf_flow_table_stats(t);
	FUZZ_CHECK(tot.rec_packets == tot.packets);
	FUZZ_CHECK(tot.rec_bytes == tot.bytes);
	FUZZ_CHECK(st->packets == tot.packets && st->bytes == tot.bytes);
	FUZZ_CHECK(st->active == 0);
	FUZZ_CHECK(st->cold_used == 0 && tot.cold_lent == tot.cold_back);
	FUZZ_CHECK(ended <= tot.records);
	for (i = 0, ended = 0; i < SF_END_MAX; i++)
		ended += st->ended[i];
	FUZZ_CHECK(ended == tot.records);
	sf_flow_table_free(t);
	return 0;
}
