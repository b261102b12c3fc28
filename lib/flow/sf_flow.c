/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "sf_flow.h"

_Static_assert(offsetof(struct sf_flow_key, addr_lo) == 0 &&
		offsetof(struct sf_flow_key, addr_hi) == 16, "addresses are the first 32 bytes");

static const char *const end_reason_names[SF_END_MAX] = {
#define SF_X_NAME(id, name) [SF_END_ ## id] = name,
	SF_END_REASONS(SF_X_NAME)
#undef SF_X_NAME
};

const char *
sf_end_reason_name(enum sf_end_reason r)
{
	return (unsigned int)r < SF_END_MAX ? end_reason_names[r] : "unknown";
}

static const char *const ctx_names[SF_FLOW_CTX_MAX] = {
#define SF_X_NAME(id, name) [SF_FLOW_CTX_ ## id] = name,
	SF_FLOW_CTX_KINDS(SF_X_NAME)
#undef SF_X_NAME
};

const char *
sf_flow_ctx_name(unsigned int kind)
{
	return kind < SF_FLOW_CTX_MAX ? ctx_names[kind] : "unknown";
}

static const char *const sampling_names[SF_SAMPLING_MAX] = {
#define SF_X_NAME(id, name) [SF_SAMPLING_ ## id] = name,
	SF_SAMPLINGS(SF_X_NAME)
#undef SF_X_NAME
};

const char *
sf_sampling_name(unsigned int s)
{
	return s < SF_SAMPLING_MAX ? sampling_names[s] : "unknown";
}

int
sf_flow_key_cmp(const struct sf_flow_key *a, const struct sf_flow_key *b)
{
	unsigned int i;
	int c;

	/* addr_lo, then addr_hi, in memcmp's order: big-endian words. */
	for (i = 0; i < 32; i += 8) {
		uint64_t x, y;

		memcpy(&x, (const uint8_t *)a + i, 8);
		memcpy(&y, (const uint8_t *)b + i, 8);
		if (x != y)
			return sf_be64(x) < sf_be64(y) ? -1 : 1;
	}
	c = (int)a->port_lo - (int)b->port_lo;
	if (c == 0)
		c = (int)a->port_hi - (int)b->port_hi;
	if (c == 0)
		c = (int)a->proto - (int)b->proto;
	if (c == 0)
		c = (int)a->vlan - (int)b->vlan;
	if (c == 0)
		c = (int)a->ipver - (int)b->ipver;
	if (c == 0)
		c = (int)a->ctx_kind - (int)b->ctx_kind;
	if (c == 0 && a->ctx != b->ctx)
		c = a->ctx < b->ctx ? -1 : 1;
	return c;
}

static bool
record_before(const struct sf_flow_record *a, const struct sf_flow_record *b, bool by_packets)
{
	uint64_t va, vb;
	int k;

	if (by_packets) {
		va = a->packets[0] + a->packets[1];
		vb = b->packets[0] + b->packets[1];
	} else {
		va = a->bytes[0] + a->bytes[1];
		vb = b->bytes[0] + b->bytes[1];
	}
	if (va != vb)
		return va > vb;
	k = sf_flow_key_cmp(&a->key, &b->key);
	if (k != 0)
		return k < 0;
	return a->start_ns < b->start_ns;
}

void
sf_flow_record_top_add(struct sf_flow_record *top, unsigned int *n, unsigned int max,
		const struct sf_flow_record *r, bool by_packets)
{
	unsigned int i;

	if (max == 0 || (*n == max && !record_before(r, &top[max - 1], by_packets)))
		return;
	i = *n < max ? (*n)++ : max - 1;
	while (i > 0 && record_before(r, &top[i - 1], by_packets)) {
		top[i] = top[i - 1];
		i--;
	}
	top[i] = *r;
	top[i].splt = NULL;	/* it points into a message that goes back to its pool */
}

const char *
sf_flow_addr_str(const struct sf_flow_key *k, enum sf_flow_dir end, char *buf,
		size_t len)
{
	const uint8_t *a = end == SF_DIR_LO ? k->addr_lo : k->addr_hi;

	if (inet_ntop(k->ipver == 6 ? AF_INET6 : AF_INET, a, buf, len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}
