/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP health per flow (tcp.analysis): handshake RTT split at the probe,
 * retransmissions, out-of-order segments, duplicate ACKs and zero windows
 * with the semantics of tshark 4.0's tcp.analysis (Wireshark 4.0.17,
 * epan/dissectors/packet-tcp.c, tcp_analyze_sequence_number: the same
 * checks in the same order, on absolute sequence numbers and the raw
 * window), and the handshake's options.
 *
 * The state lives in a flow's cold area (lib/flowtable), lent only to TCP
 * flows: struct sf_tcp, 352 bytes. The worker calls sf_tcp_packet()
 * for every packet of the flow with the parser's TCP header facts
 * (sf_pkt_info.tcp) and sf_tcp_record() for each record.
 *
 * Deliberate differences from tshark (README "TCP health"):
 *  - a flow is spanflow's (a SYN after FIN or RST starts a new one with
 *    fresh state, where tshark keeps one stream if the ISN is the same);
 *  - the unacknowledged-segment list tshark keeps for bytes in flight is
 *    not kept: none of the counted verdicts depends on it (tshark stops
 *    counting SYN/FIN in nextseq past 10,000 unacknowledged segments,
 *    spanflow never does);
 *  - packet times are the worker's clock (never backwards).
 */
#ifndef SF_TCP_H
#define SF_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include "sf_flow.h"
#include "sf_pkt.h"

/* One direction's sequence state (tshark's tcp_flow_t, what the verdicts need). */
struct sf_tcp_dir {
	uint32_t nextseq;	/* highest seq + len (+ SYN/FIN) sent; 0: unknown */
	uint32_t maxseqtobeacked;	/* highest seq reached without a hole; 0: unknown */
	uint32_t lastack;	/* ack field of the last packet; 0: unknown */
	uint32_t window;	/* raw window of the last packet; 0xffffffff before one */
	uint32_t dupacknum;	/* duplicate ACKs in a row (0xffffffff: "-1", see sf_tcp.c) */
	uint32_t base_seq;	/* ISN (or seq - 1 of the first packet) */
	uint64_t lastacktime;	/* time of the last packet */
	uint64_t nextseqtime;	/* when nextseq last advanced */
	uint8_t lastflags;	/* verdict bits of the last packet (keep-alive, probe) */
	uint8_t base_set;
	uint8_t pad[6];
};

/*
 * Zeek conn.log's conn_state and history (sf_tcp_zeek.c), Zeek's TCP
 * analyzer as of 9.1.0-dev (commit a13de64, the same rules since 5.2).
 * Left out, and why (README "TCP health"):
 *  - C (bad checksum): spanflow does not verify checksums; as `zeek -C`,
 *    Zeek's usual setting for captures with offloaded checksums;
 *  - G (content gap): Zeek's reassembler reports it, and only while an
 *    application analyzer wants the stream; spanflow reassembles nothing;
 *  - X (an analyzer's limit): no such analyzers;
 *  - a connection ends when spanflow's flow ends, not by Zeek's timers
 *    (a SYN retried after 5 s stays in one record where Zeek logs a
 *    second connection); a SYN that Zeek takes for a new connection on
 *    the same ports starts the history again, within the record;
 *  - a close Zeek defers while data is pending in its reassembler counts
 *    at once.
 * The history keeps SF_FLOW_TCP_HISTORY - 1 letters (Zeek's repeat rules
 * keep real ones far shorter).
 */
struct sf_zeek_ep {
	uint32_t start_seq;
	uint32_t last_seq;	/* one past the highest sequence sent */
	uint32_t ack_seq;	/* the highest acknowledgement from the peer */
	uint16_t seq_wraps;
	uint16_t ack_wraps;
	uint32_t rxmt_cnt;	/* retransmissions (T) */
	uint32_t rxmt_thresh;
	uint32_t win0_cnt;	/* zero windows (W) */
	uint32_t win0_thresh;
	uint32_t last_syn;	/* relative sequence of the last SYN, FIN end and RST */
	uint32_t last_fin;
	uint32_t last_rst;
	uint8_t state;
	uint8_t prev_state;
	uint8_t did_close;
	uint8_t fin_seen;
};

/* The history itself is the record's (sf_flow_tcp.history), written in place. */
struct sf_zeek {
	struct sf_zeek_ep ep[2];	/* by record direction */
	uint32_t hist_seen;		/* letters seen, per role */
	uint8_t orig;			/* record direction of Zeek's originator */
	uint8_t hlen;			/* letters in the history */
	uint8_t started;
	uint8_t pad;
};

/* A connection's start, on zeroed state. */
void sf_zeek_start(struct sf_zeek *z);

/*
 * A TCP packet with its header facts (SF_PKT_F_TCP), d its record
 * direction; hist the history (SF_FLOW_TCP_HISTORY bytes, zeroed at the
 * start).
 */
void sf_zeek_packet(struct sf_zeek *z, char *hist, const struct sf_pkt_info *pi,
		unsigned int d);

/* Zeek's conn_state (enum sf_zeek_state) now. */
uint8_t sf_zeek_conn_state(const struct sf_zeek *z, const char *hist);

/*
 * What every packet touches first: the sequence state (two cache lines),
 * then Zeek's (two more; the flow table prefetches all four), the record
 * after.
 */
struct sf_tcp {
	uint8_t seen;			/* bit per direction that sent a packet */
	uint8_t pad[7];
	struct sf_tcp_dir d[2];		/* by record direction */
	uint64_t first_rtt;		/* tshark's initial RTT; 0: unknown */
	struct sf_zeek zeek;		/* conn_state and history */
	uint32_t acks[2];		/* packets with ACK, with PSH: most packets count */
	uint32_t pshs[2];		/* them (the rare flags go to out directly) */
	/* Four lines end here: the flow table prefetches them. */
	uint64_t mru_syn;		/* time of the most recent pure SYN; 0: none */
	uint64_t first_synack;		/* the first SYN/ACK after it; 0: none */
	struct sf_flow_tcp out;		/* the record's figures so far */
};

/* A TCP flow's first packet, on zeroed state (a cold area is lent zeroed). */
void sf_tcp_start(struct sf_tcp *t);

/* What sf_tcp_packet() found in a packet, for counts kept beside the record's. */
#define SF_TCP_FOUND_RETRANS 0x1	/* a retransmission (one more in retrans_packets) */
#define SF_TCP_FOUND_RTT 0x2		/* it completed the handshake: out.rtt_* are set */

/*
 * One packet of the flow: pi->tcp valid (SF_PKT_F_TCP; a packet without
 * it, a fragment, changes nothing), dir the record direction (0 from the
 * initiator), ts its time. Returns SF_TCP_FOUND_* bits.
 */
unsigned int sf_tcp_packet(struct sf_tcp *t, const struct sf_pkt_info *pi, unsigned int dir,
		uint64_t ts);

/*
 * The record's TCP figures into rec->tcp; unless the flow ends, the
 * counters start again for its next record.
 */
void sf_tcp_record(struct sf_tcp *t, struct sf_flow_record *rec, bool ends);

#endif /* SF_TCP_H */
