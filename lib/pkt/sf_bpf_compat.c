/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one place that uses DPDK's experimental API: rte_bpf_convert()
 * (classic BPF -> eBPF) is experimental in DPDK 22.11. When it becomes
 * stable, drop the define and keep the function.
 *
 * Two defects of DPDK 22.11 are worked around here, on the converted
 * program before it is loaded (tests/unit/test_filter.c checks every
 * filter of a list against libpcap's own interpreter, JIT and not):
 *  - rte_bpf_convert() turns a classic indirect load, A = P[X + k], into
 *    an eBPF load whose offset register is A (r0) instead of X (r7): every
 *    `tcp[...]`, `udp[...]` and `tcp[tcpflags]` read the wrong bytes (and
 *    the JIT crashed on them).
 *  - the x86 JIT encodes `jset reg, #imm` with an immediate in [-128, 127]
 *    with the sign-extended imm8 form, which `test` does not have: the
 *    test is wrong (`ether multicast` matched every frame). Such a jset
 *    becomes `mov r9, #imm; jset reg, r9` (r9 is unused by converted
 *    programs and kept across the helper calls of packet loads).
 */
#define ALLOW_EXPERIMENTAL_API 1

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include <rte_bpf.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "sf_filter_priv.h"

#define EBPF_REG_X 7	/* rte_bpf_convert: classic X */
#define EBPF_REG_TMP2 9	/* unused by rte_bpf_convert */

static bool
is_jump(const struct ebpf_insn *in)
{
	uint8_t op = BPF_OP(in->code);

	return BPF_CLASS(in->code) == BPF_JMP && op != EBPF_CALL && op != EBPF_EXIT;
}

static bool
is_small_jset_imm(const struct ebpf_insn *in)
{
	return in->code == (BPF_JMP | BPF_JSET | BPF_K) && in->imm >= -128 && in->imm <= 127;
}

/*
 * The converted program, repaired: a copy in out (malloc'd, *n_out
 * instructions), or NULL when out of memory.
 */
static struct ebpf_insn *
repair(const struct ebpf_insn *in, uint32_t n, uint32_t *n_out)
{
	struct ebpf_insn *out;
	uint32_t *pos, i, k, extra = 0;

	for (i = 0; i < n; i++)
		extra += is_small_jset_imm(&in[i]);
	pos = malloc(sizeof(*pos) * (n + 1));
	out = malloc(sizeof(*out) * (n + extra));
	if (pos == NULL || out == NULL) {
		free(pos);
		free(out);
		return NULL;
	}
	/* Where each old instruction starts in the new program. */
	for (i = 0, k = 0; i < n; i++) {
		pos[i] = k;
		k += is_small_jset_imm(&in[i]) ? 2 : 1;
	}
	pos[n] = k;
	for (i = 0, k = 0; i < n; i++) {
		struct ebpf_insn x = in[i];

		if (BPF_CLASS(x.code) == BPF_LD && BPF_MODE(x.code) == BPF_IND)
			x.src_reg = EBPF_REG_X;
		if (is_small_jset_imm(&x)) {
			out[k++] = (struct ebpf_insn){
				.code = EBPF_ALU64 | EBPF_MOV | BPF_K,
				.dst_reg = EBPF_REG_TMP2, .imm = x.imm };
			x.code = BPF_JMP | BPF_JSET | BPF_X;
			x.src_reg = EBPF_REG_TMP2;
			x.imm = 0;
		}
		if (is_jump(&x)) {
			int64_t t = (int64_t)i + 1 + x.off;

			if (t >= 0 && t <= (int64_t)n)
				x.off = (int16_t)((int64_t)pos[t] - (int64_t)(k + 1));
		}
		out[k++] = x;
	}
	free(pos);
	*n_out = k;
	return out;
}

struct rte_bpf *
sf_bpf_load_cbpf(const struct bpf_program *prog)
{
	struct rte_bpf_prm *prm;
	struct ebpf_insn *ins;
	struct rte_bpf *bpf;
	uint32_t n;
	int err;

	prm = rte_bpf_convert(prog);
	if (prm == NULL)
		return NULL;	/* rte_errno set */
	ins = repair(prm->ins, prm->nb_ins, &n);
	if (ins == NULL) {
		rte_free(prm);
		rte_errno = ENOMEM;
		return NULL;
	}
	prm->ins = ins;
	prm->nb_ins = n;
	bpf = rte_bpf_load(prm);
	err = rte_errno;
	free(ins);
	rte_free(prm);
	rte_errno = err;
	return bpf;
}
