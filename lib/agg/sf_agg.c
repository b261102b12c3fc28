/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "sf_agg.h"

static const char *const drop_names[SF_DROP_MAX] = {
#define SF_X_NAME(id, name) [SF_DROP_ ## id] = name,
	SF_DROP_REASONS(SF_X_NAME)
#undef SF_X_NAME
};

const char *
sf_drop_reason_name(enum sf_drop_reason r)
{
	return (unsigned int)r < SF_DROP_MAX ? drop_names[r] : "unknown";
}

uint64_t
sf_drop_total(const uint64_t dropped[SF_DROP_MAX])
{
	uint64_t d = 0;
	unsigned int i;

	for (i = 0; i < SF_DROP_MAX; i++)
		d += dropped[i];
	return d;
}

/* Reason names by index, whatever the enum of the set. */
#define SF_X_SETNAME(set, n, fn, first) \
	static const char *set ## _name(unsigned int i) { return fn(i); }
SF_AGG_REASON_SETS(SF_X_SETNAME)
#undef SF_X_SETNAME

const struct sf_agg_reason_set sf_agg_reason_sets[SF_AGG_SET_MAX] = {
#define SF_X_SET(set, n, fn, first) [SF_AGG_SET_ ## set] = { (n), (first), set ## _name },
	SF_AGG_REASON_SETS(SF_X_SET)
#undef SF_X_SET
};

const struct sf_agg_family_desc sf_agg_families[SF_AGG_PROM_MAX] = {
#define SF_X_FAM(fam, name, type, help) [SF_AGG_PROM_ ## fam] = { name, type, help },
	SF_AGG_PROM_FAMILIES(SF_X_FAM)
#undef SF_X_FAM
};

#define SF_AGG_OFF(field) \
	((offsetof(struct sf_interval_agg, field) - offsetof(struct sf_interval_agg, counters)) / \
	 sizeof(uint64_t))

const struct sf_agg_field sf_agg_fields[SF_AGG_NFIELDS] = {
#define SF_X_C(field, rule, json, fam, label) \
	{ #field, SF_AGG_OFF(field), 1, SF_AGG_SET_NONE, SF_AGG_ ## rule, json, NULL, \
	  SF_AGG_ALL, SF_AGG_PROM_ ## fam, label },
#define SF_X_R(field, set, rule, json, jr, shown, fam) \
	{ #field, SF_AGG_OFF(field), SF_AGG_N_ ## set, SF_AGG_SET_ ## set, SF_AGG_ ## rule, \
	  json, jr, SF_AGG_ ## shown, SF_AGG_PROM_ ## fam, NULL },
	SF_AGG_FIELDS(SF_X_C, SF_X_R)
#undef SF_X_C
#undef SF_X_R
};

#define SF_X_COL(t, k, col, json, fam) \
	{ json, SF_AGG_PROM_ ## fam, offsetof(struct sf_interval_agg, t ## _ ## col) },
#define SF_X_COLS(t, keys, json, jkey, cols, kname) \
	static const struct sf_agg_column t ## _cols[] = { cols(SF_X_COL, t, keys) };
SF_AGG_TABLES(SF_X_COLS)
#undef SF_X_COLS
#undef SF_X_COL

const struct sf_agg_table sf_agg_tables[SF_AGG_NTABLES] = {
#define SF_X_T(t, keys, json, jkey, cols, kname) \
	{ json, jkey, kname, (keys), RTE_DIM(t ## _cols), t ## _cols },
	SF_AGG_TABLES(SF_X_T)
#undef SF_X_T
};

bool
sf_agg_key_used(const struct sf_interval_agg *a, const struct sf_agg_table *t, unsigned int k)
{
	unsigned int j;

	for (j = 0; j < t->ncols; j++)
		if (sf_agg_cell_get(a, t, j, k) != 0)
			return true;
	return false;
}

uint64_t
sf_agg_field_total(const struct sf_interval_agg *a, const struct sf_agg_field *f)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < f->n; i++)
		v += a->counters[f->off + i];
	return v;
}

bool
sf_agg_empty(const struct sf_interval_agg *a)
{
	unsigned int i;

	/* A table cell counts packets some counter counts too. */
	for (i = 0; i < SF_AGG_NCOUNTERS; i++)
		if (a->counters[i] != 0)
			return false;
	return true;
}

static void
tables_add(struct sf_interval_agg *dst, const struct sf_interval_agg *src)
{
	unsigned int t, j, k;

	for (t = 0; t < SF_AGG_NTABLES; t++) {
		const struct sf_agg_table *tb = &sf_agg_tables[t];

		for (j = 0; j < tb->ncols; j++) {
			uint64_t *d = sf_agg_cell(dst, tb, j, 0);
			const uint64_t *s = &((const uint64_t *)((const char *)src +
					tb->cols[j].off))[0];

			for (k = 0; k < tb->keys; k++)
				d[k] += s[k];
		}
	}
}

void
sf_agg_merge(struct sf_interval_agg *dst, const struct sf_interval_agg *src)
{
	unsigned int i;

	for (i = 0; i < SF_AGG_NCOUNTERS; i++)
		dst->counters[i] += src->counters[i];
	tables_add(dst, src);
}

void
sf_agg_accumulate(struct sf_interval_agg *dst, const struct sf_interval_agg *src)
{
	unsigned int f, i;

	for (f = 0; f < SF_AGG_NFIELDS; f++) {
		const struct sf_agg_field *d = &sf_agg_fields[f];

		for (i = d->off; i < d->off + d->n; i++)
			dst->counters[i] = d->rule == SF_AGG_GAUGE ? src->counters[i] :
				dst->counters[i] + src->counters[i];
	}
	tables_add(dst, src);
}

void
sf_agg_conserve(struct sf_agg_conservation *c, const struct sf_interval_agg *sum,
		uint64_t input_received, const uint64_t dropped[SF_DROP_MAX])
{
	uint64_t counted = 0, drops = 0;
	unsigned int f;

	for (f = 0; f < SF_AGG_NFIELDS; f++) {
		const struct sf_agg_field *d = &sf_agg_fields[f];

		if (d->rule != SF_AGG_OUTCOME)
			continue;
		/* Drops happen before a worker: they are the input's to tell. */
		if (d->set == SF_AGG_SET_DROP)
			drops += dropped != NULL ? sf_drop_total(dropped) :
				sf_agg_field_total(sum, d);
		else
			counted += sf_agg_field_total(sum, d);
	}
	c->received = input_received;
	c->accounted = counted + drops;
	c->workers_ok = sum->received == counted;
	c->ok = c->accounted == input_received && c->workers_ok;
}

/* IP protocols spanflow names: X(number, label, name, has ports) */
#define SF_PROTOCOLS(X) \
	X(1, "ICMP", "icmp", false) \
	X(2, "IGMP", "igmp", false) \
	X(4, "IPIP", "ipip", false) \
	X(6, "TCP", "tcp", true) \
	X(17, "UDP", "udp", true) \
	X(33, "DCCP", "dccp", true) \
	X(41, "IPv6-encap", "ipv6", false) \
	X(47, "GRE", "gre", false) \
	X(50, "ESP", "esp", false) \
	X(51, "AH", "ah", false) \
	X(58, "ICMPv6", "icmpv6", false) \
	X(89, "OSPF", "ospf", false) \
	X(103, "PIM", "pim", false) \
	X(112, "VRRP", "vrrp", false) \
	X(132, "SCTP", "sctp", true) \
	X(136, "UDPLite", "udplite", true)

struct proto_desc {
	const char *label;
	const char *name;
	bool ports;
};

static const struct proto_desc protocols[256] = {
#define SF_X_PROTO(num, label, name, ports) [num] = { label, name, ports },
	SF_PROTOCOLS(SF_X_PROTO)
#undef SF_X_PROTO
};

const char *
sf_proto_label(uint8_t proto)
{
	return protocols[proto].label;
}

const char *
sf_proto_name(uint8_t proto)
{
	return protocols[proto].name;
}

bool
sf_proto_has_ports(uint8_t proto)
{
	return protocols[proto].ports;
}

unsigned int
sf_agg_proto_order(const struct sf_interval_agg *a, uint8_t order[256])
{
	unsigned int n = 0, i, j;

	for (i = 0; i < 256; i++)
		if (a->proto_packets[i] != 0)
			order[n++] = (uint8_t)i;
	/* By bytes, descending; few entries, insertion sort (stable). */
	for (i = 1; i < n; i++) {
		uint8_t v = order[i];

		for (j = i; j > 0 && a->proto_bytes[order[j - 1]] < a->proto_bytes[v]; j--)
			order[j] = order[j - 1];
		order[j] = v;
	}
	return n;
}
