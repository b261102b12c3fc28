/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals of the capture filter shared with its compat file. */
#ifndef SF_FILTER_PRIV_H
#define SF_FILTER_PRIV_H

#include <pcap/pcap.h>

#include <rte_bpf.h>

/*
 * Convert a classic BPF program (pcap_compile) to eBPF and load it for
 * rte_bpf_exec() on an mbuf (sf_bpf_compat.c). NULL with rte_errno set.
 */
struct rte_bpf *sf_bpf_load_cbpf(const struct bpf_program *prog);

#endif /* SF_FILTER_PRIV_H */
