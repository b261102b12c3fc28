/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Capture filters: tcpdump expressions compiled by libpcap for a link type
 * and run by DPDK's rte_bpf (JIT-compiled where the CPU has a JIT, else
 * interpreted) on a frame, or on the innermost IP packet of a parsed one
 * (link type raw IP). The frame the filter sees is the bytes in the mbuf:
 * `len`, `greater` and `less` compare with the captured length.
 */
#ifndef SF_FILTER_H
#define SF_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_bpf.h>
#include <rte_mbuf.h>

struct sf_filter_params {
	const char *expr;	/* tcpdump syntax */
	int linktype;		/* pcap LINKTYPE of what it runs on (101: raw IP) */
	bool no_jit;		/* interpret even where a JIT exists (tests) */
};

/*
 * Compile expr for linktype with libpcap only (no DPDK needed: before EAL
 * starts). 0, or -1 with "filter 'EXPR': libpcap's message" in err.
 */
int sf_filter_check(const char *expr, int linktype, char *err, size_t errlen);

/*
 * Compile, convert to eBPF and load (after EAL start). NULL with the
 * reason in err (and rte_errno set).
 */
struct sf_filter *sf_filter_create(const struct sf_filter_params *p, char *err, size_t errlen);
void sf_filter_free(struct sf_filter *f);

/* 1 if the filter runs JIT-compiled code. */
int sf_filter_jitted(const struct sf_filter *f);

struct sf_filter {
	uint64_t (*jit)(void *);	/* JIT code, or NULL: interpret bpf */
	struct rte_bpf *bpf;
};

/* Does the frame in m match? (The packet starts at m's data offset.) */
static inline bool
sf_filter_match(const struct sf_filter *f, struct rte_mbuf *m)
{
	return (f->jit != NULL ? f->jit(m) : rte_bpf_exec(f->bpf, m)) != 0;
}

/*
 * Does the packet that starts off bytes into m match? The mbuf's data
 * offset is moved there for the run and back; a packet whose start is
 * past the first segment does not match.
 */
static inline bool
sf_filter_match_at(const struct sf_filter *f, struct rte_mbuf *m, uint16_t off)
{
	bool ok;

	if (off >= m->data_len)
		return false;
	m->data_off += off;
	m->data_len -= off;
	m->pkt_len -= off;
	ok = sf_filter_match(f, m);
	m->data_off -= off;
	m->data_len += off;
	m->pkt_len += off;
	return ok;
}

#endif /* SF_FILTER_H */
