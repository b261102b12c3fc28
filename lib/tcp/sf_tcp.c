/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP health: tshark 4.0's sequence analysis, the verdicts spanflow
 * counts. The letters name the steps of tcp_analyze_sequence_number in
 * Wireshark 4.0.17's packet-tcp.c, in its order; steps whose verdict is
 * not counted and that change no state (lost segment, window update,
 * window full) are left out.
 */
#include <stddef.h>
#include <string.h>

#include <rte_branch_prediction.h>

#include "sf_common.h"
#include "sf_tcp.h"

_Static_assert(SF_TCP_FIN == 1 << 0 && SF_TCP_SYN == 1 << 1 && SF_TCP_RST == 1 << 2 &&
		SF_TCP_PSH == 1 << 3 && SF_TCP_ACK == 1 << 4 && SF_TCP_URG == 1 << 5,
		"flag_packets[d][bit] counts the flag of that bit");
_Static_assert(SF_FLOW_TCP_SACK == SF_TCP_OPT_SACK_PERM && SF_FLOW_TCP_TS == SF_TCP_OPT_TS,
		"a record keeps the parser's option bits");

/* Verdict bits (of one packet). */
#define V_ZWP		0x01	/* zero window probe */
#define V_ZERO_WIN	0x02
#define V_KEEP_ALIVE	0x04
#define V_DUP_ACK	0x08
#define V_RETRANS	0x10	/* retransmission, fast or spurious too */
#define V_OOO		0x20

/* tshark's thresholds: fast retransmission, and out of order without an RTT. */
#define FAST_RT_NS (20 * SF_NS_PER_MS)
#define OOO_NS (3 * SF_NS_PER_MS)

/* Sequence comparisons over the 2^32 circle (tshark's GT_SEQ, LT_SEQ, LE_SEQ). */
static inline bool
seq_gt(uint32_t x, uint32_t y)
{
	return (int32_t)(y - x) < 0;
}

static inline bool
seq_lt(uint32_t x, uint32_t y)
{
	return (int32_t)(x - y) < 0;
}

static inline bool
seq_le(uint32_t x, uint32_t y)
{
	return (int32_t)(x - y) <= 0;
}

static void
dir_reset(struct sf_tcp_dir *d)
{
	memset(d, 0, sizeof(*d));
	d->window = UINT32_MAX;
}

/* Fresh sequence state: a flow's start, or a new connection on its ports. */
static void
state_reset(struct sf_tcp *t)
{
	dir_reset(&t->d[0]);
	dir_reset(&t->d[1]);
	t->mru_syn = 0;
	t->first_synack = 0;
	t->first_rtt = 0;
}

void
sf_tcp_start(struct sf_tcp *t)
{
	state_reset(t);
	t->out.flags = SF_FLOW_TCP_VALID;
	t->out.wscale[0] = SF_FLOW_TCP_NO_WSCALE;
	t->out.wscale[1] = SF_FLOW_TCP_NO_WSCALE;
	sf_zeek_start(&t->zeek);
}

/*
 * Before the analysis: each direction's base sequence number, and a pure
 * SYN that reuses the ports with another ISN starts a new connection (a
 * new tcp.stream in tshark); with the same ISN tshark rewinds nextseq to
 * what was acknowledged.
 */
static void
conversation(struct sf_tcp *t, struct sf_tcp_dir *f, struct sf_tcp_dir *r,
		const struct sf_pkt_tcp *s, uint8_t flags)
{
	if ((flags & (SF_TCP_SYN | SF_TCP_ACK)) == SF_TCP_SYN && f->base_set) {
		if (s->seq != f->base_seq) {
			state_reset(t);
			t->out.flags &= (uint8_t)~SF_FLOW_TCP_RTT;
		} else {
			f->nextseq = f->maxseqtobeacked;
		}
	}
	if ((flags & (SF_TCP_SYN | SF_TCP_ACK)) == (SF_TCP_SYN | SF_TCP_ACK) && f->base_set)
		f->base_seq = s->seq;	/* a SYN/ACK with another ISN: the state goes on */
	if (!f->base_set) {
		f->base_seq = flags & SF_TCP_SYN ? s->seq : s->seq - 1;
		f->base_set = 1;
	}
	if (!r->base_set && (flags & SF_TCP_ACK)) {
		r->base_seq = s->ack - 1;
		r->base_set = 1;
	}
}

/* tcp_analyze_sequence_number: the verdicts of one packet, and the state after it. */
static unsigned int
analyze(struct sf_tcp *t, struct sf_tcp_dir *f, struct sf_tcp_dir *r,
		const struct sf_pkt_tcp *s, uint8_t flags, uint64_t now)
{
	const bool nosfr = !(flags & (SF_TCP_SYN | SF_TCP_FIN | SF_TCP_RST));
	const bool synfin = (flags & (SF_TCP_SYN | SF_TCP_FIN)) != 0;
	const uint32_t seq = s->seq, ack = s->ack, len = s->seglen, win = s->win;
	unsigned int v = 0;
	uint32_t end;

	/* A: zero window probe, which skips B..I. */
	if (len == 1 && seq == f->nextseq && r->window == 0) {
		v |= V_ZWP;
		goto finished_fwd;
	}
	/* B: zero window (the raw field: scaling cannot make a non-zero one 0). */
	if (win == 0 && nosfr)
		v |= V_ZERO_WIN;
	/* D: keep-alive. */
	if (len <= 1 && seq == f->nextseq - 1 && nosfr)
		v |= V_KEEP_ALIVE;
	/* G, H: keep-alive ACK, zero window probe ACK: no duplicate ACK then. */
	if (len == 0 && seq == f->nextseq && ack == f->lastack && nosfr) {
		if (win != 0 && win == f->window && (r->lastflags & V_KEEP_ALIVE))
			goto finished_fwd;
		if (win == 0 && f->window == 0 && (r->lastflags & V_ZWP))
			goto finished_fwd;
		/* I: duplicate ACK. */
		if (win != 0 && win == f->window) {
			f->dupacknum = f->dupacknum == UINT32_MAX ? 1 : f->dupacknum + 1;
			v |= V_DUP_ACK;
		}
	}
finished_fwd:
	if (ack != f->lastack)
		f->dupacknum = 0;
	/*
	 * J: an ACK beyond what the other side was seen to send. Past a hole,
	 * its contiguous mark moves on; past everything, tshark sets its
	 * duplicate ACK count to -1 in an unsigned counter, which the fast
	 * retransmission test (>= 2) then takes as many.
	 */
	if (r->maxseqtobeacked != 0 && seq_gt(ack, r->maxseqtobeacked) && (flags & SF_TCP_ACK)) {
		if (seq_lt(r->maxseqtobeacked, r->nextseq))
			r->maxseqtobeacked = r->nextseq;
		else
			r->dupacknum = UINT32_MAX;
	}
	/* K: retransmission, fast or spurious, or out of order: at most one. */
	if ((len > 0 || synfin) && !(v & V_KEEP_ALIVE)) {
		bool behind = f->nextseq != 0 && seq_lt(seq, f->nextseq);
		uint64_t thr = t->first_rtt != 0 ? t->first_rtt : OOO_NS;

		if (len > 1 && f->nextseq - 1 == seq)
			behind = false;
		if (len > 0 && r->lastack != 0 && seq_le(seq + len, r->lastack))
			v |= V_RETRANS;		/* spurious: all of it was acknowledged */
		else if (behind && r->dupacknum >= 2 && r->lastack == seq &&
				now - r->lastacktime < FAST_RT_NS)
			v |= V_RETRANS;		/* fast */
		else if (behind && now - f->nextseqtime < thr &&
				f->nextseq != seq + len + (synfin ? 1 : 0))
			v |= V_OOO;
		else if (behind)
			v |= V_RETRANS;
	}
	/* The state after the packet. */
	end = seq + len + (synfin ? 1 : 0);
	if (!(v & V_ZWP)) {
		if (seq_gt(end, f->nextseq) || f->nextseq == 0) {
			f->nextseq = end;
			f->nextseqtime = now;
		}
		if (seq == f->maxseqtobeacked || f->maxseqtobeacked == 0)
			f->maxseqtobeacked = f->nextseq;
	}
	f->window = win;
	f->lastack = ack;
	f->lastacktime = now;
	f->lastflags = (uint8_t)(v & (V_KEEP_ALIVE | V_ZWP));
	return v;
}

/* A SYN's options: the first SYN of each side gives them. */
static void
syn_options(struct sf_flow_tcp *o, unsigned int dir, const struct sf_pkt_tcp *s)
{
	if (o->opts[dir] & SF_FLOW_TCP_SYN)
		return;
	o->opts[dir] = (uint8_t)(SF_FLOW_TCP_SYN |
			(s->opts & (SF_TCP_OPT_SACK_PERM | SF_TCP_OPT_TS)));
	o->mss[dir] = s->opts & SF_TCP_OPT_MSS ? s->mss : 0;
	o->wscale[dir] = s->opts & SF_TCP_OPT_WSCALE ? s->wscale : SF_FLOW_TCP_NO_WSCALE;
}

/*
 * The handshake RTT, as tshark's initial_rtt (from the most recent pure
 * SYN to the first packet with ACK but no SYN, either way), split at the
 * first SYN/ACK after that SYN.
 */
static unsigned int
handshake(struct sf_tcp *t, uint8_t flags, uint64_t now)
{
	if ((flags & (SF_TCP_SYN | SF_TCP_ACK)) == SF_TCP_SYN) {
		t->mru_syn = now;
		t->first_synack = 0;
	} else if ((flags & (SF_TCP_SYN | SF_TCP_ACK)) == (SF_TCP_SYN | SF_TCP_ACK)) {
		if (t->mru_syn != 0 && t->first_synack == 0)
			t->first_synack = now;
	} else if ((flags & SF_TCP_ACK) && t->mru_syn != 0 && t->first_rtt == 0) {
		t->first_rtt = now - t->mru_syn;
		if (t->first_rtt != 0 && t->first_synack != 0) {
			t->out.rtt_server_ns = t->first_synack - t->mru_syn;
			t->out.rtt_client_ns = now - t->first_synack;
			t->out.flags |= SF_FLOW_TCP_RTT;
			return SF_TCP_FOUND_RTT;
		}
	}
	return 0;
}

/* A packet with a counted verdict (most have none). */
static __rte_noinline void
count(struct sf_flow_tcp *o, unsigned int dir, unsigned int v, uint32_t ip_len)
{
	if (v & V_RETRANS) {
		o->retrans_packets[dir]++;
		o->retrans_bytes[dir] += ip_len;
	}
	o->ooo_packets[dir] += (v & V_OOO) != 0;
	o->dup_acks[dir] += (v & V_DUP_ACK) != 0;
	o->zero_windows[dir] += (v & V_ZERO_WIN) != 0;
}

/* Packets with FIN, SYN, RST or URG, counted in the record's part (bit order). */
static __rte_noinline void
rare_flags(uint32_t *c, uint8_t flags)
{
	c[0] += (flags & SF_TCP_FIN) != 0;
	c[1] += (flags & SF_TCP_SYN) != 0;
	c[2] += (flags & SF_TCP_RST) != 0;
	c[5] += (flags & SF_TCP_URG) != 0;
}

unsigned int
sf_tcp_packet(struct sf_tcp *t, const struct sf_pkt_info *pi, unsigned int dir, uint64_t ts)
{
	const struct sf_pkt_tcp *s = &pi->tcp;
	struct sf_tcp_dir *f = &t->d[dir & 1], *r = &t->d[(dir & 1) ^ 1];
	struct sf_flow_tcp *o = &t->out;
	uint8_t flags = pi->tcp_flags;
	unsigned int v, found = 0;

	if (!(pi->flags & SF_PKT_F_TCP))
		return 0;
	dir &= 1;
	if (!(t->seen & (1u << dir))) {
		t->seen |= (uint8_t)(1u << dir);
		o->init_flags[dir] = flags;
	}
	t->acks[dir] += (flags & SF_TCP_ACK) != 0;
	t->pshs[dir] += (flags & SF_TCP_PSH) != 0;
	if (unlikely(flags & (SF_TCP_FIN | SF_TCP_SYN | SF_TCP_RST | SF_TCP_URG)))
		rare_flags(o->flag_packets[dir], flags);
	conversation(t, f, r, s, flags);
	v = analyze(t, f, r, s, flags, ts);
	if (unlikely(flags & SF_TCP_SYN))
		syn_options(o, dir, s);
	if (unlikely(t->first_rtt == 0))
		found = handshake(t, flags, ts);
	if (unlikely(v & (V_RETRANS | V_OOO | V_DUP_ACK | V_ZERO_WIN))) {
		count(o, dir, v, pi->ip_len);
		found |= v & V_RETRANS ? SF_TCP_FOUND_RETRANS : 0;
	}
	sf_zeek_packet(&t->zeek, o->history, pi, dir);
	return found;
}

/* The record's counters: retrans_bytes up to the SYN facts. */
#define COUNTERS_END offsetof(struct sf_flow_tcp, mss)
_Static_assert(offsetof(struct sf_flow_tcp, retrans_packets) < COUNTERS_END &&
		offsetof(struct sf_flow_tcp, ooo_packets) < COUNTERS_END &&
		offsetof(struct sf_flow_tcp, dup_acks) < COUNTERS_END &&
		offsetof(struct sf_flow_tcp, zero_windows) < COUNTERS_END &&
		offsetof(struct sf_flow_tcp, flag_packets) < COUNTERS_END &&
		offsetof(struct sf_flow_tcp, retrans_bytes) < offsetof(struct sf_flow_tcp, retrans_packets) &&
		offsetof(struct sf_flow_tcp, rtt_client_ns) < offsetof(struct sf_flow_tcp, retrans_bytes),
		"the counters are one run of bytes");

void
sf_tcp_record(struct sf_tcp *t, struct sf_flow_record *rec, bool ends)
{
	struct sf_flow_tcp *o = &t->out;

	o->conn_state = sf_zeek_conn_state(&t->zeek, o->history);
	for (unsigned int d = 0; d < 2; d++) {
		o->flag_packets[d][3] = t->pshs[d];
		o->flag_packets[d][4] = t->acks[d];
	}
	rec->tcp = *o;
	if (ends)
		return;
	memset(o->retrans_bytes, 0, COUNTERS_END - offsetof(struct sf_flow_tcp, retrans_bytes));
	memset(t->acks, 0, sizeof(t->acks));
	memset(t->pshs, 0, sizeof(t->pshs));
}
