/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Zeek conn.log's conn_state and history for a TCP flow: Zeek's TCP
 * endpoint state machine and history letters, step by step in its order
 * (TCPSessionAdapter::Process: endpoint set-up, history, window, ACK,
 * last sequence, state machine), including its role flips (a connection
 * whose first packet came from a likely server port, the SYN/ACK-first
 * connection that turns productive, the SYN/SYN-ACK reversal) and its
 * connection reuse (a new SYN starts the history again). Zeek's version
 * and what is left out are in sf_tcp.h.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>

#include "sf_common.h"
#include "sf_tcp.h"

/* Endpoint states (Zeek's TCP_ENDPOINT_*). */
enum {
	Z_INACTIVE,
	Z_SYN_SENT,
	Z_SYN_ACK_SENT,
	Z_PARTIAL,
	Z_ESTABLISHED,
	Z_CLOSED,
	Z_RESET,
};

/* History bits (originator's; the responder's are 16 above). */
#define H_SYN		0x01	/* S and H share it */
#define H_FIN		0x02
#define H_RST		0x04
#define H_FIN_RST	0x08
#define H_DATA		0x10
#define H_ACK		0x20
#define H_MULTI		0x40

/* A sequence jump Zeek ignores for a SYN or RST (TOO_LARGE_SEQ_DELTA). */
#define TOO_LARGE 1048576

/*
 * Zeek's likely_server_ports for TCP: the server ports its default
 * scripts register for their analyzers (Zeek 9.1.0-dev, commit a13de64;
 * a build with Spicy analyzers: LDAP 389/3268, PostgreSQL 5432, Redis
 * 6379 are theirs). Sorted.
 */
static const uint16_t server_ports[] = {
	21, 22, 25, 53, 79, 80, 81, 88, 135, 139, 143, 389, 443, 445, 465, 502, 514, 563,
	585, 587, 614, 631, 636, 989, 990, 992, 993, 995, 1080, 1434, 1883, 2811, 3128,
	3268, 3306, 3389, 5222, 5223, 5269, 5432, 6379, 6666, 6667, 6668, 6669, 8000, 8080,
	8888, 20000,
};

static int
port_cmp(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static bool
server_port(uint16_t p)
{
	return bsearch(&p, server_ports, RTE_DIM(server_ports), sizeof(server_ports[0]),
			port_cmp) != NULL;
}

static inline int32_t
seq_delta(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

static void
add(struct sf_zeek *z, char *h, char c)
{
	if (z->hlen < SF_FLOW_TCP_HISTORY - 1)
		h[z->hlen++] = c;
}

static inline bool
is_orig(const struct sf_zeek *z, unsigned int d)
{
	return d == z->orig;
}

/* A letter of endpoint d: upper case for the originator. */
static void
add_ep(struct sf_zeek *z, char *h, unsigned int d, char c)
{
	add(z, h, is_orig(z, d) ? c : (char)(c - 'A' + 'a'));
}

/* Connection::FlipRoles: the endpoints keep their data, the roles swap. */
static void
flip(struct sf_zeek *z, char *h)
{
	z->orig ^= 1;
	add(z, h, '^');
}

/*
 * TCP_Endpoint::CheckHistory: the letter once per role (the bit is the
 * role's, and stays with the role when the roles flip); true when it was
 * already there. The first A or D after a lone SYN/ACK flips the
 * connection and rewrites its history to "^h".
 */
static bool
check(struct sf_zeek *z, char *h, unsigned int d, uint32_t mask, char c)
{
	if ((c == 'A' || c == 'D') && z->hlen == 1 && h[0] == 'H') {
		z->orig ^= 1;
		h[0] = '^';
		h[1] = 'h';
		z->hlen = 2;
	}
	if (!is_orig(z, d)) {
		mask <<= 16;
		c = (char)(c - 'A' + 'a');
	}
	if (z->hist_seen & mask)
		return true;
	z->hist_seen |= mask;
	add(z, h, c);
	return false;
}

/* Session::ScaledHistoryEntry: the letter at the 1st, 10th, 100th... event. */
static void
scaled(struct sf_zeek *z, char *h, unsigned int d, char c, uint32_t *cnt, uint32_t *thresh)
{
	uint32_t next;

	if (++*cnt != *thresh)
		return;
	add_ep(z, h, d, c);
	next = *thresh * 10u;
	if (next <= *thresh)
		*cnt = 0;
	else
		*thresh = next;
}

static void
set_state(struct sf_zeek_ep *e, uint8_t s)
{
	if (s != e->state) {
		e->prev_state = e->state;
		e->state = s;
	}
}

static void
init_seq(struct sf_zeek_ep *e, uint32_t start, uint32_t last)
{
	e->start_seq = start;
	e->ack_seq = start;
	e->last_seq = last;
}

/* init_endpoint: sequence numbers from a side's first packet, or a SYN that starts it again. */
static void
init_endpoint(struct sf_zeek_ep *e, uint8_t flags, uint32_t seq, uint32_t last)
{
	const bool syn = flags & SF_TCP_SYN;

	switch (e->state) {
	case Z_INACTIVE:
		if (syn)
			init_seq(e, seq, last);
		else
			init_seq(e, seq - 1, seq);	/* as if after a SYN; not a retransmission */
		break;
	case Z_SYN_SENT:
	case Z_SYN_ACK_SENT:
		if (syn && seq != e->start_seq)
			init_seq(e, seq, last);
		break;
	case Z_ESTABLISHED:
	case Z_PARTIAL:
		if (syn)
			init_seq(e, seq, last);
		break;
	case Z_RESET:
		if (syn && e->prev_state == Z_INACTIVE)
			init_seq(e, seq, last);
		break;
	default:
		break;
	}
}

/* get_relative_seq: seq relative to the side's start, over its 32-bit wraps. */
static uint64_t
rel_seq(const struct sf_zeek_ep *e, uint32_t cur, uint32_t last, uint32_t wraps, bool *under)
{
	int32_t d = seq_delta(cur, last);

	if (d < 0) {
		if (wraps != 0 && cur > last)
			wraps--;
	} else if (d > 0) {
		if (cur < last)
			wraps++;
	}
	if (wraps == 0) {
		d = seq_delta(cur, e->start_seq);
		if (d < 0)
			*under = true;
		return (uint64_t)(int64_t)d;
	}
	return ((uint64_t)wraps << 32) + cur - e->start_seq;
}

/* update_history: at most one of I Q S H F R D A for the packet. */
static void
history(struct sf_zeek *z, char *h, unsigned int d, uint8_t flags, uint64_t rs, uint32_t len)
{
	struct sf_zeek_ep *e = &z->ep[d];
	unsigned int n = !!(flags & SF_TCP_SYN) + !!(flags & SF_TCP_FIN) + !!(flags & SF_TCP_RST);

	if (n > 1) {
		if ((flags & (SF_TCP_FIN | SF_TCP_RST)) == (SF_TCP_FIN | SF_TCP_RST))
			check(z, h, d, H_FIN_RST, 'I');
		else
			check(z, h, d, H_MULTI, 'Q');
	} else if (n == 1) {
		if (flags & SF_TCP_SYN) {
			char c = flags & SF_TCP_ACK ? 'H' : 'S';

			if (check(z, h, d, H_SYN, c) && (uint32_t)rs != e->last_syn)
				add_ep(z, h, d, c);
			e->last_syn = (uint32_t)rs;
		}
		if (flags & SF_TCP_FIN) {
			if (check(z, h, d, H_FIN, 'F') && (uint32_t)(rs + len) != e->last_fin)
				add_ep(z, h, d, 'F');
			e->last_fin = (uint32_t)(rs + len);
		}
		if (flags & SF_TCP_RST) {
			if (check(z, h, d, H_RST, 'R') && (uint32_t)rs != e->last_rst)
				add_ep(z, h, d, 'R');
			e->last_rst = (uint32_t)rs;
		}
	} else if (len > 0) {
		check(z, h, d, H_DATA, 'D');
	} else if (flags & SF_TCP_ACK) {
		check(z, h, d, H_ACK, 'A');
	}
}

/*
 * The ACK's effect on the peer's sequence state (init_peer, update_ack_seq):
 * only an ACK that moves on can change the mark, and then unless it is
 * below the peer's start in its first 2^32 (get_relative_seq's underflow).
 */
static __rte_always_inline void
ack_peer(struct sf_zeek_ep *p, uint8_t flags, uint32_t ack)
{
	int32_t d;
	bool wrap;

	if (p->state == Z_INACTIVE) {
		init_seq(p, ack - 1, ack - 1);
		return;
	}
	d = seq_delta(ack, p->ack_seq);
	if ((flags & SF_TCP_RST) || d <= 0 || (ack == 0 && d > TOO_LARGE))
		return;
	wrap = ack < p->ack_seq;
	if (p->ack_wraps == 0 && !wrap && seq_delta(ack, p->start_seq) < 0)
		return;
	p->ack_wraps = (uint16_t)(p->ack_wraps + wrap);
	p->ack_seq = ack;
}

static void
upd_last(struct sf_zeek_ep *e, uint32_t end)
{
	if (end < e->last_seq)
		e->seq_wraps++;
	e->last_seq = end;
}

/* update_last_seq: the side's highest sequence, or T for data that does not pass it. */
static __rte_always_inline void
last_seq(struct sf_zeek *z, char *h, unsigned int d, uint8_t flags, uint32_t end, uint32_t len)
{
	struct sf_zeek_ep *e = &z->ep[d];
	int32_t dl = seq_delta(end, e->last_seq);

	if ((flags & (SF_TCP_SYN | SF_TCP_RST)) && (dl > TOO_LARGE || dl < -TOO_LARGE))
		return;
	if ((flags & SF_TCP_FIN) && e->last_seq == e->start_seq + 1)
		upd_last(e, end);
	else if (e->state == Z_RESET)
		return;
	else if (dl > 0)
		upd_last(e, end);
	else if (len > 0)
		scaled(z, h, d, 'T', &e->rxmt_cnt, &e->rxmt_thresh);
}

/* UpdateStateMachine with is_orig as the packet arrived; closes mark did_close. */
static void
state_machine(struct sf_zeek *z, char *h, unsigned int d, bool orig, uint8_t flags, uint32_t seq,
		uint32_t len)
{
	struct sf_zeek_ep *e = &z->ep[d], *p = &z->ep[d ^ 1];
	const bool syn = flags & SF_TCP_SYN, fin = flags & SF_TCP_FIN;
	const bool rst = flags & SF_TCP_RST, ack = flags & SF_TCP_ACK;
	bool close = false;

	switch (e->state) {
	case Z_INACTIVE:
		if (syn) {
			if (orig) {
				set_state(e, ack ? Z_SYN_ACK_SENT : Z_SYN_SENT);
			} else {
				if (!ack && p->state == Z_SYN_ACK_SENT && seq == e->start_seq) {
					flip(z, h);
					set_state(p, Z_ESTABLISHED);
				}
				if (p->state == Z_SYN_SENT)
					set_state(p, Z_ESTABLISHED);
				set_state(e, Z_ESTABLISHED);
			}
		}
		if (fin) {
			set_state(e, Z_CLOSED);
			close = true;
		}
		if (rst) {
			set_state(e, Z_RESET);
			close = true;
		}
		if (e->state == Z_INACTIVE) {
			if (!orig && len == 0 && z->ep[z->orig].state == Z_SYN_SENT)
				;	/* an early bare ACK from the responder */
			else if (ack && p->state == Z_ESTABLISHED)
				set_state(e, Z_ESTABLISHED);
			else
				set_state(e, Z_PARTIAL);
		}
		break;
	case Z_SYN_SENT:
	case Z_SYN_ACK_SENT:
		if (fin) {
			set_state(e, Z_CLOSED);
			close = true;
		}
		if (rst) {
			set_state(e, Z_RESET);
			close = true;
		}
		break;
	case Z_ESTABLISHED:
	case Z_PARTIAL:
		if (syn && e->state == Z_PARTIAL && p->state == Z_INACTIVE && !ack)
			set_state(e, Z_SYN_SENT);
		if (fin && !rst) {
			set_state(e, Z_CLOSED);
			if (p->state == Z_RESET && p->prev_state == Z_CLOSED)
				set_state(p, Z_CLOSED);
			close = true;
		}
		if (rst) {
			set_state(e, Z_RESET);
			close = true;
		}
		break;
	case Z_CLOSED:
		if (rst && p->state != Z_CLOSED) {
			set_state(e, Z_RESET);
			close = true;
		}
		break;
	default:
		break;
	}
	if (close)
		e->did_close = 1;
}

/*
 * The roles of a new connection (TCPAnalyzer::WantConnection and
 * IPBasedAnalyzer::NewConn): the sender originates, except that a first
 * packet which is not a pure SYN, sent from a likely server port, flips
 * the roles (both ports server ports: only a packet without SYN from the
 * lower port).
 */
static void
begin(struct sf_zeek *z, char *h, unsigned int d, uint8_t flags, uint16_t sport, uint16_t dport,
		bool bcast)
{
	z->started = 1;
	z->orig = (uint8_t)d;
	if ((flags & (SF_TCP_SYN | SF_TCP_ACK)) == SF_TCP_SYN || bcast || !server_port(sport))
		return;
	if (!server_port(dport) || (!(flags & SF_TCP_SYN) && sport < dport))
		flip(z, h);
}

/* TCPSessionAdapter::IsReuse: does this SYN start a new connection? */
static bool
reuse(const struct sf_zeek *z, uint8_t flags, uint32_t seq)
{
	const struct sf_zeek_ep *o = &z->ep[z->orig], *r = &z->ep[z->orig ^ 1];
	const struct sf_zeek_ep *co = o;

	if (flags & SF_TCP_ACK) {
		if (o->state != Z_INACTIVE)
			return false;
		co = r;
	}
	if (o->did_close || r->did_close)
		return true;
	if (seq == co->start_seq)
		return false;
	if (!(flags & SF_TCP_ACK) && co->state == Z_SYN_ACK_SENT && r->state == Z_INACTIVE &&
	    seq == r->start_seq)
		return false;
	return true;
}

void
sf_zeek_start(struct sf_zeek *z)
{
	z->ep[0].rxmt_thresh = z->ep[0].win0_thresh = 1;
	z->ep[1].rxmt_thresh = z->ep[1].win0_thresh = 1;
}

/* A packet that may start a connection, change a state or add a letter other than T. */
static __rte_noinline void
packet_full(struct sf_zeek *z, char *h, const struct sf_pkt_info *pi, unsigned int d)
{
	const struct sf_pkt_tcp *s = &pi->tcp;
	const uint8_t flags = pi->tcp_flags;
	struct sf_zeek_ep *e, *p;
	uint32_t seglen, end;
	bool under = false;
	uint64_t rs;

	if (unlikely(!z->started) ||
	    (unlikely(flags & SF_TCP_SYN) && reuse(z, flags, s->seq))) {
		bool lo = pi->dir == SF_DIR_LO;
		const uint8_t *dst = lo ? pi->key.addr_hi : pi->key.addr_lo;
		static const uint8_t bcast[4] = { 255, 255, 255, 255 };

		if (z->started) {
			memset(z, 0, sizeof(*z));
			memset(h, 0, SF_FLOW_TCP_HISTORY);
			sf_zeek_start(z);
		}
		begin(z, h, d, flags, lo ? pi->key.port_lo : pi->key.port_hi,
				lo ? pi->key.port_hi : pi->key.port_lo,
				pi->key.ipver == 4 && memcmp(dst, bcast, 4) == 0);
	}
	const bool orig = is_orig(z, d);

	e = &z->ep[d];
	p = &z->ep[d ^ 1];
	seglen = s->seglen + !!(flags & SF_TCP_SYN) + !!(flags & SF_TCP_FIN);
	if (flags & SF_TCP_RST)
		seglen -= s->seglen;
	end = s->seq + seglen;
	init_endpoint(e, flags, s->seq, end);
	rs = rel_seq(e, s->seq, e->last_seq, e->seq_wraps, &under);
	history(z, h, d, flags, rs, s->seglen);
	/* update_window: W for a zero window (scaling cannot make it non-zero). */
	if (s->win == 0 && !(flags & SF_TCP_RST) && p->state != Z_CLOSED && e->state != Z_RESET)
		scaled(z, h, d, 'W', &e->win0_cnt, &e->win0_thresh);
	if (flags & SF_TCP_FIN)
		e->fin_seen = 1;
	if (flags & SF_TCP_ACK)
		ack_peer(p, flags, s->ack);
	last_seq(z, h, d, flags, end, s->seglen);
	state_machine(z, h, d, orig, flags, s->seq, s->seglen);
}

/*
 * Most packets carry no SYN, FIN or RST, between two sides past their
 * first packet, with a non-zero window and a letter (D or A) the sender's
 * role already has: of all the steps only the ACK and the last sequence
 * (T) can do anything then.
 */
void
sf_zeek_packet(struct sf_zeek *z, char *h, const struct sf_pkt_info *pi, unsigned int d)
{
	const struct sf_pkt_tcp *s = &pi->tcp;
	const uint8_t flags = pi->tcp_flags;
	struct sf_zeek_ep *e, *p;
	uint32_t letter;

	d &= 1;
	e = &z->ep[d];
	p = &z->ep[d ^ 1];
	letter = s->seglen > 0 ? H_DATA : (flags & SF_TCP_ACK) ? H_ACK : 0;
	letter <<= is_orig(z, d) ? 0 : 16;
	if (unlikely((flags & (SF_TCP_SYN | SF_TCP_FIN | SF_TCP_RST)) != 0 || s->win == 0 ||
			e->state == Z_INACTIVE || p->state == Z_INACTIVE || z->hlen == 1 ||
			(z->hist_seen & letter) != letter)) {
		packet_full(z, h, pi, d);
		return;
	}
	if (flags & SF_TCP_ACK)
		ack_peer(p, flags, s->ack);
	last_seq(z, h, d, flags, s->seq + s->seglen, s->seglen);
}

/* TCP_Endpoint::Size: the side's payload octets by sequence numbers. */
static uint64_t
ep_size(const struct sf_zeek_ep *e, const struct sf_zeek_ep *p)
{
	uint64_t last = ((uint64_t)e->seq_wraps << 32) + e->last_seq;
	uint64_t ack = ((uint64_t)e->ack_wraps << 32) + e->ack_seq;
	uint64_t size;

	if (e->prev_state == Z_SYN_SENT && e->state == Z_RESET && p->state == Z_INACTIVE &&
	    ack != e->start_seq && ack != (uint64_t)e->start_seq + 1)
		return 0;
	size = (last > ack ? last : ack) - e->start_seq;
	if (size != 0)
		size--;
	if (e->fin_seen && size != 0)
		size--;
	return size;
}

/* The whole history matches /\^?S[^HAFGIQ]*R.*\/ (conn_state RSTOS0). */
static bool
rstos0_history(const char *h)
{
	if (*h == '^')
		h++;
	if (*h++ != 'S')
		return false;
	for (; *h != '\0'; h++) {
		if (*h == 'R')
			return true;
		if (strchr("HAFGIQ", *h) != NULL)
			return false;
	}
	return false;
}

/* main.zeek's conn_state(), from the endpoint states. */
uint8_t
sf_zeek_conn_state(const struct sf_zeek *z, const char *h)
{
	const struct sf_zeek_ep *o = &z->ep[z->orig], *r = &z->ep[z->orig ^ 1];
	const uint8_t os = o->state, rs = r->state;
	const bool o_inact = os == Z_INACTIVE || os == Z_PARTIAL;
	const bool r_inact = rs == Z_INACTIVE || rs == Z_PARTIAL;

	if (rs == Z_RESET) {
		if (os == Z_SYN_SENT || os == Z_SYN_ACK_SENT ||
		    (os == Z_RESET && ep_size(o, r) == 0 && ep_size(r, o) == 0))
			return SF_ZEEK_REJ;
		return o_inact ? SF_ZEEK_RSTRH : SF_ZEEK_RSTR;
	}
	if (os == Z_RESET) {
		if (!r_inact)
			return SF_ZEEK_RSTO;
		return rstos0_history(h) ? SF_ZEEK_RSTOS0 : SF_ZEEK_OTH;
	}
	if (rs == Z_CLOSED && os == Z_CLOSED)
		return SF_ZEEK_SF;
	if (os == Z_CLOSED)
		return r_inact ? SF_ZEEK_SH : SF_ZEEK_S2;
	if (rs == Z_CLOSED)
		return o_inact ? SF_ZEEK_SHR : SF_ZEEK_S3;
	if (os == Z_SYN_SENT && rs == Z_INACTIVE)
		return SF_ZEEK_S0;
	if (os == Z_ESTABLISHED && rs == Z_ESTABLISHED)
		return SF_ZEEK_S1;
	return SF_ZEEK_OTH;
}
