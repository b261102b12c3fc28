/* SPDX-License-Identifier: BSD-3-Clause */
/* Traffic per tunnel context: the collector's side (merging and ranking). */
#include <stdlib.h>
#include <string.h>

#include "sf_agg_tun.h"
#include "sf_common.h"

static int
ctx_cmp(const void *pa, const void *pb)
{
	const struct sf_tun_entry *a = pa, *b = pb;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return 0;
}

static void
ctx_add(void *dst, const void *src)
{
	struct sf_tun_entry *d = dst;
	const struct sf_tun_entry *e = src;

	d->packets += e->packets;
	d->bytes += e->bytes;
}

unsigned int
sf_tun_fold(struct sf_tun_entry *e, unsigned int n)
{
	return sf_sort_fold(e, n, sizeof(*e), ctx_cmp, ctx_add);
}

void
sf_tun_rank(struct sf_tun_top *top, const struct sf_tun_entry *e, unsigned int n,
		uint64_t overflow_packets, uint64_t overflow_bytes)
{
	uint64_t packets = overflow_packets, bytes = overflow_bytes;
	unsigned int i, j, k = 0;

	memset(top, 0, sizeof(*top));
	for (i = 0; i < n; i++) {
		packets += e[i].packets;
		bytes += e[i].bytes;
		if (k == SF_TUN_TOP && !sf_tun_before(&e[i], &top->top[k - 1]))
			continue;
		j = k < SF_TUN_TOP ? k++ : k - 1;
		for (; j > 0 && sf_tun_before(&e[i], &top->top[j - 1]); j--)
			top->top[j] = top->top[j - 1];
		top->top[j] = e[i];
	}
	top->n = k;
	for (i = 0; i < k; i++) {
		packets -= top->top[i].packets;
		bytes -= top->top[i].bytes;
	}
	top->other_contexts = n - k;
	top->other_packets = packets;
	top->other_bytes = bytes;
	top->overflow_packets = overflow_packets;
}
