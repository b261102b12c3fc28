/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The aggregate as text, from the field lists: the JSON of an interval,
 * the run totals and the Prometheus samples. Nothing here is on the
 * packet path: an interval line is written once per interval.
 */
#include <stdio.h>
#include <string.h>

#include <inttypes.h>

#include "sf_agg_json.h"

static void
reasons_object(struct sf_text *t, const struct sf_interval_agg *a, const struct sf_agg_field *f,
		const char *key, size_t keylen, enum sf_agg_shown shown)
{
	const struct sf_agg_reason_set *rs = &sf_agg_reason_sets[f->set];
	const char *sep = "";
	unsigned int i;

	sf_text_str(t, ",\"");
	sf_text_put(t, key, keylen);
	sf_text_str(t, "\":{");
	for (i = rs->first; i < rs->n; i++) {
		uint64_t v = a->counters[f->off + i];

		if (shown == SF_AGG_NONZERO && v == 0)
			continue;
		sf_text_str(t, sep);
		sf_text_put(t, "\"", 1);
		sf_text_str(t, rs->name(i));
		sf_text_str(t, "\":");
		sf_text_u64(t, v);
		sep = ",";
	}
	sf_text_put(t, "}", 1);
}

/* Length of the object part of a json key ("flows" of "flows.new"), 0 if none. */
static size_t
group_len(const char *json)
{
	const char *dot = json != NULL ? strchr(json, '.') : NULL;

	return dot != NULL ? (size_t)(dot - json) : 0;
}

static void
tables_json(struct sf_text *t, const struct sf_interval_agg *a)
{
	unsigned int i, j, k;

	for (i = 0; i < SF_AGG_NTABLES; i++) {
		const struct sf_agg_table *tb = &sf_agg_tables[i];
		const char *sep = "";

		sf_text_str(t, ",\"");
		sf_text_str(t, tb->json);
		sf_text_str(t, "\":[");
		for (k = 0; k < tb->keys; k++) {
			if (!sf_agg_key_used(a, tb, k))
				continue;
			sf_text_str(t, sep);
			sf_text_str(t, "{\"");
			sf_text_str(t, tb->json_key);
			sf_text_str(t, "\":");
			if (tb->key_name != NULL) {
				sf_text_put(t, "\"", 1);
				sf_text_str(t, tb->key_name(k));
				sf_text_put(t, "\"", 1);
			} else {
				sf_text_u64(t, k);
			}
			for (j = 0; j < tb->ncols; j++) {
				sf_text_str(t, ",\"");
				sf_text_str(t, tb->cols[j].json);
				sf_text_str(t, "\":");
				sf_text_u64(t, sf_agg_cell_get(a, tb, j, k));
			}
			sf_text_put(t, "}", 1);
			sep = ",";
		}
		sf_text_put(t, "]", 1);
	}
}

static void
names_list(struct sf_text *t, const struct sf_name_count *e, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		sf_text_str(t, i != 0 ? ",{\"name\":" : "{\"name\":");
		sf_text_json_str(t, e[i].name);
		sf_text_str(t, ",\"bytes\":");
		sf_text_u64(t, e[i].bytes);
		sf_text_str(t, ",\"flows\":");
		sf_text_u64(t, e[i].flows);
		sf_text_put(t, "}", 1);
	}
}

void
sf_agg_json_names(struct sf_text *t, const struct sf_names_top top[SF_NAMES_KINDS],
		unsigned int n)
{
	static const char *const keys[SF_NAMES_KINDS] = { "server_names", "dns_names" };
	unsigned int k;

	for (k = 0; k < SF_NAMES_KINDS; k++) {
		const struct sf_names_top *x = &top[k];

		if (x->names == 0 && x->untracked_flows == 0 && x->untracked_bytes == 0)
			continue;
		sf_text_str(t, ",\"");
		sf_text_str(t, keys[k]);
		sf_text_str(t, "\":{\"by_bytes\":[");
		names_list(t, x->by_bytes, RTE_MIN(x->n_bytes, n));
		sf_text_str(t, "],\"by_flows\":[");
		names_list(t, x->by_flows, RTE_MIN(x->n_flows, n));
		sf_text_printf(t, "],\"names\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"flows\":%"
				PRIu64 ",\"untracked_bytes\":%" PRIu64 ",\"untracked_flows\":%"
				PRIu64 "}", x->names, x->bytes, x->flows, x->untracked_bytes,
				x->untracked_flows);
	}
}

void
sf_agg_json_tunnels(struct sf_text *t, const struct sf_tun_top *top, unsigned int n)
{
	unsigned int i;

	sf_text_str(t, ",\"tunnels\":[");
	for (i = 0; i < top->n && i < n && i < SF_TUN_TOP; i++) {
		const struct sf_tun_entry *e = &top->top[i];

		sf_text_str(t, i != 0 ? ",{\"tunnel\":\"" : "{\"tunnel\":\"");
		sf_text_str(t, sf_flow_ctx_name(e->kind));
		sf_text_str(t, "\",\"tunnel_id\":");
		sf_text_u64(t, e->id);
		sf_text_str(t, ",\"packets\":");
		sf_text_u64(t, e->packets);
		sf_text_str(t, ",\"bytes\":");
		sf_text_u64(t, e->bytes);
		sf_text_put(t, "}", 1);
	}
	/* What is not listed: the rest of the ranking and the overflow. */
	{
		uint64_t ctx = top->other_contexts, pk = top->other_packets, by = top->other_bytes;

		for (; i < top->n; i++) {
			ctx++;
			pk += top->top[i].packets;
			by += top->top[i].bytes;
		}
		sf_text_str(t, "],\"tunnels_other\":{\"contexts\":");
		sf_text_u64(t, ctx);
		sf_text_str(t, ",\"packets\":");
		sf_text_u64(t, pk);
		sf_text_str(t, ",\"bytes\":");
		sf_text_u64(t, by);
		sf_text_str(t, ",\"overflow_packets\":");
		sf_text_u64(t, top->overflow_packets);
		sf_text_put(t, "}", 1);
	}
}

static void
tcp_rank_json(struct sf_text *t, const struct sf_tcpa_rank *r, bool subnet)
{
	const struct sf_tcp_host *k = &r->key;
	uint64_t pk = r->packets[0] + r->packets[1], rt = r->retrans[0] + r->retrans[1];

	sf_text_str(t, subnet ? "{\"subnet\":\"" : "{\"server\":");
	if (subnet) {
		/* The address as text, without its quotes, and the prefix. */
		struct sf_text a = { 0 };

		sf_text_json_addr(&a, k->ipver, k->addr);
		if (a.n >= 2)
			sf_text_put(t, a.p + 1, a.n - 2);
		sf_text_free(&a);
		sf_text_printf(t, "/%u\"", r->prefix);
	} else {
		sf_text_json_addr(t, k->ipver, k->addr);
	}
	sf_text_str(t, ",\"ipver\":");
	sf_text_u64(t, k->ipver);
	sf_text_str(t, ",\"vlan\":");
	sf_text_u64(t, k->vlan);
	if (k->ctx_kind != SF_FLOW_CTX_NONE) {
		sf_text_str(t, ",\"tunnel\":\"");
		sf_text_str(t, sf_flow_ctx_name(k->ctx_kind));
		sf_text_str(t, "\",\"tunnel_id\":");
		sf_text_u64(t, k->ctx);
	}
	sf_text_str(t, ",\"handshakes\":");
	sf_text_u64(t, r->handshakes);
	if (!subnet && r->handshakes != 0) {
		sf_text_str(t, ",\"rtt_p50_ns\":");
		sf_text_u64(t, r->rtt_p50_ns);
		sf_text_str(t, ",\"rtt_p90_ns\":");
		sf_text_u64(t, r->rtt_p90_ns);
		sf_text_str(t, ",\"rtt_p99_ns\":");
		sf_text_u64(t, r->rtt_p99_ns);
		sf_text_str(t, ",\"rtt_min_ns\":");
		sf_text_u64(t, r->rtt_min_ns);
		sf_text_str(t, ",\"rtt_max_ns\":");
		sf_text_u64(t, r->rtt_max_ns);
		sf_text_str(t, ",\"rtt_sum_ns\":");
		sf_text_u64(t, r->rtt_sum_ns);
	}
	sf_text_str(t, ",\"packets\":");
	sf_text_u64(t, r->packets[0]);
	sf_text_str(t, ",\"rev_packets\":");
	sf_text_u64(t, r->packets[1]);
	sf_text_str(t, ",\"retrans_packets\":");
	sf_text_u64(t, r->retrans[0]);
	sf_text_str(t, ",\"rev_retrans_packets\":");
	sf_text_u64(t, r->retrans[1]);
	sf_text_printf(t, ",\"retrans_rate\":%.6f}", pk ? (double)rt / (double)pk : 0.0);
}

void
sf_agg_json_tcp_list(struct sf_text *t, const struct sf_tcpa_top *top, unsigned int which,
		unsigned int n)
{
	const struct sf_tcpa_rank *list = which == 0 ? top->slow : which == 1 ? top->rserv :
		top->rsub;
	uint32_t k = which == 0 ? top->nslow : which == 1 ? top->nrserv : top->nrsub;
	unsigned int i;

	sf_text_put(t, "[", 1);
	for (i = 0; i < k && i < n && i < SF_TCPA_TOP; i++) {
		if (i != 0)
			sf_text_put(t, ",", 1);
		tcp_rank_json(t, &list[i], which == 2);
	}
	sf_text_put(t, "]", 1);
}

void
sf_agg_json_tcp_totals(struct sf_text *t, const struct sf_tcpa_top *top)
{
	const char *sep = "";
	unsigned int b;

	sf_text_str(t, "{\"servers\":");
	sf_text_u64(t, top->servers);
	sf_text_str(t, ",\"subnets\":");
	sf_text_u64(t, top->subnets);
	sf_text_str(t, ",\"packets\":");
	sf_text_u64(t, top->packets);
	sf_text_str(t, ",\"retrans_packets\":");
	sf_text_u64(t, top->retrans);
	sf_text_str(t, ",\"server_overflow_packets\":");
	sf_text_u64(t, top->server_overflow_packets);
	sf_text_str(t, ",\"subnet_overflow_packets\":");
	sf_text_u64(t, top->subnet_overflow_packets);
	sf_text_str(t, ",\"handshakes\":");
	sf_text_u64(t, top->rtt.count);
	sf_text_str(t, ",\"rtt_sum_ns\":");
	sf_text_u64(t, top->rtt.sum_ns);
	if (top->rtt.count != 0) {
		sf_text_str(t, ",\"rtt_p50_ns\":");
		sf_text_u64(t, sf_rtt_quantile(&top->rtt, 500));
		sf_text_str(t, ",\"rtt_p90_ns\":");
		sf_text_u64(t, sf_rtt_quantile(&top->rtt, 900));
		sf_text_str(t, ",\"rtt_p99_ns\":");
		sf_text_u64(t, sf_rtt_quantile(&top->rtt, 990));
	}
	sf_text_str(t, ",\"rtt_histogram\":[");
	for (b = 0; b < SF_RTT_BUCKETS; b++) {
		if (top->rtt.b[b] == 0)
			continue;
		sf_text_str(t, sep);
		sf_text_put(t, "[", 1);
		sf_text_u64(t, sf_rtt_bucket_lower(b));
		sf_text_put(t, ",", 1);
		sf_text_u64(t, top->rtt.b[b]);
		sf_text_put(t, "]", 1);
		sep = ",";
	}
	sf_text_str(t, "]}");
}

void
sf_agg_json_tcp(struct sf_text *t, const struct sf_tcpa_top *top, unsigned int n)
{
	if (sf_tcpa_top_empty(top))
		return;
	sf_text_str(t, ",\"tcp\":");
	sf_agg_json_tcp_totals(t, top);
	sf_text_str(t, ",\"tcp_slowest_servers\":");
	sf_agg_json_tcp_list(t, top, 0, n);
	sf_text_str(t, ",\"tcp_retrans_servers\":");
	sf_agg_json_tcp_list(t, top, 1, n);
	sf_text_str(t, ",\"tcp_retrans_subnets\":");
	sf_agg_json_tcp_list(t, top, 2, n);
}

void
sf_agg_json_interval(struct sf_text *t, const struct sf_interval_agg *a, uint64_t interval_ns)
{
	const struct sf_agg_field *pend[SF_AGG_NFIELDS];
	unsigned int f, i, npend = 0;
	const char *open = NULL;	/* the object being written, or NULL */
	size_t open_len = 0;
	bool first = false;

	sf_text_str(t, "{\"interval_start_ns\":");
	sf_text_u64(t, a->interval * interval_ns);
	sf_text_str(t, ",\"interval_ns\":");
	sf_text_u64(t, interval_ns);
	for (f = 0; f <= SF_AGG_NFIELDS; f++) {
		const struct sf_agg_field *d = f < SF_AGG_NFIELDS ? &sf_agg_fields[f] : NULL;
		size_t g = d != NULL ? group_len(d->json) : 0;

		/* Leaving an object: close it, then the reason objects of its rows. */
		if (open != NULL && (g != open_len || strncmp(d->json, open, g) != 0)) {
			sf_text_put(t, "}", 1);
			for (i = 0; i < npend; i++)
				reasons_object(t, a, pend[i], pend[i]->json_reasons,
						strlen(pend[i]->json_reasons), pend[i]->shown);
			open = NULL;
			npend = 0;
		}
		if (d == NULL)
			break;
		if (d->json != NULL) {
			if (g != 0 && open == NULL) {
				sf_text_str(t, ",\"");
				sf_text_put(t, d->json, g);
				sf_text_str(t, "\":{");
				open = d->json;
				open_len = g;
				first = true;
			}
			sf_text_str(t, open != NULL && first ? "\"" : ",\"");
			sf_text_str(t, d->json + (g ? g + 1 : 0));
			sf_text_str(t, "\":");
			sf_text_u64(t, sf_agg_field_total(a, d));
			first = false;
		}
		if (d->json_reasons != NULL) {
			if (open != NULL)
				pend[npend++] = d;
			else
				reasons_object(t, a, d, d->json_reasons, strlen(d->json_reasons),
						d->shown);
		}
	}
	tables_json(t, a);
	sf_agg_json_tunnels(t, &a->tunnels, SF_TUN_TOP);
	sf_agg_json_tcp(t, &a->tcp, SF_TCPA_TOP);
	sf_agg_json_names(t, a->names, SF_NAMES_TOP);
	sf_text_str(t, ",\"top_flows\":[");
	for (i = 0; i < a->ntop && i < SF_TOPK; i++) {
		if (i != 0)
			sf_text_put(t, ",", 1);
		sf_agg_json_topk(t, &a->top[i]);
	}
	sf_text_str(t, "]}");
}

void
sf_agg_json_totals(struct sf_text *t, const struct sf_interval_agg *a)
{
	const char *sep = "";
	unsigned int f;

	for (f = 0; f < SF_AGG_NFIELDS; f++) {
		const struct sf_agg_field *d = &sf_agg_fields[f];
		const char *c;

		if (d->json == NULL || d->rule == SF_AGG_GAUGE)
			continue;
		sf_text_str(t, sep);
		sf_text_put(t, "\"", 1);
		for (c = d->json; *c != '\0'; c++)
			sf_text_put(t, *c == '.' ? "_" : c, 1);
		sf_text_str(t, "\":");
		sf_text_u64(t, sf_agg_field_total(a, d));
		sep = ",";
	}
}

void
sf_agg_json_reasons(struct sf_text *t, const struct sf_interval_agg *a)
{
	unsigned int f;

	for (f = 0; f < SF_AGG_NFIELDS; f++) {
		const struct sf_agg_field *d = &sf_agg_fields[f];
		char key[64];
		int k;

		if (d->set == SF_AGG_SET_NONE)
			continue;
		if (d->json_reasons != NULL)
			k = snprintf(key, sizeof(key), "%s", d->json_reasons);
		else
			k = snprintf(key, sizeof(key), "%s_by_reason", d->json ? d->json : d->name);
		if (k > 0 && (size_t)k < sizeof(key))
			reasons_object(t, a, d, key, (size_t)k, SF_AGG_ALL);
	}
}

void
sf_agg_json_tables(struct sf_text *t, const struct sf_interval_agg *a)
{
	tables_json(t, a);
}

void
sf_agg_json_topk(struct sf_text *t, const struct sf_flow_topk *f)
{
	bool lo_src = f->initiator == SF_DIR_LO;

	sf_text_str(t, "{\"src_addr\":");
	sf_text_json_addr(t, f->key.ipver, lo_src ? f->key.addr_lo : f->key.addr_hi);
	sf_text_str(t, ",\"src_port\":");
	sf_text_u64(t, lo_src ? f->key.port_lo : f->key.port_hi);
	sf_text_str(t, ",\"dst_addr\":");
	sf_text_json_addr(t, f->key.ipver, lo_src ? f->key.addr_hi : f->key.addr_lo);
	sf_text_str(t, ",\"dst_port\":");
	sf_text_u64(t, lo_src ? f->key.port_hi : f->key.port_lo);
	sf_text_str(t, ",\"proto\":");
	sf_text_u64(t, f->key.proto);
	sf_text_str(t, ",\"vlan\":");
	sf_text_u64(t, f->key.vlan);
	sf_text_str(t, ",\"packets\":");
	sf_text_u64(t, f->packets);
	sf_text_str(t, ",\"bytes\":");
	sf_text_u64(t, f->bytes);
	sf_text_put(t, "}", 1);
}

void
sf_prom_head(struct sf_text *t, const char *name, const char *type, const char *help)
{
	sf_text_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
prom_sample(struct sf_text *t, const char *name, const char *label, const char *lv,
		uint64_t v)
{
	sf_text_str(t, name);
	if (label != NULL) {
		sf_text_put(t, "{", 1);
		sf_text_str(t, label);
		if (lv != NULL) {
			sf_text_str(t, "=\"");
			sf_text_str(t, lv);
			sf_text_put(t, "\"", 1);
		}
		sf_text_put(t, "}", 1);
	}
	sf_text_put(t, " ", 1);
	sf_text_u64(t, v);
	sf_text_put(t, "\n", 1);
}

void
sf_agg_prom(struct sf_text *t, const struct sf_interval_agg *a)
{
	unsigned int fam, f, i, j, k;
	char num[16];

	for (fam = 0; fam < SF_AGG_PROM_MAX; fam++) {
		const struct sf_agg_family_desc *fd = &sf_agg_families[fam];

		sf_prom_head(t, fd->name, fd->type, fd->help);
		for (f = 0; f < SF_AGG_NFIELDS; f++) {
			const struct sf_agg_field *d = &sf_agg_fields[f];
			const struct sf_agg_reason_set *rs;

			if (d->family != fam)
				continue;
			if (d->set == SF_AGG_SET_NONE) {
				prom_sample(t, fd->name, d->label, NULL, a->counters[d->off]);
				continue;
			}
			rs = &sf_agg_reason_sets[d->set];
			for (i = rs->first; i < rs->n; i++)
				prom_sample(t, fd->name, "reason", rs->name(i),
						a->counters[d->off + i]);
		}
		for (i = 0; i < SF_AGG_NTABLES; i++) {
			const struct sf_agg_table *tb = &sf_agg_tables[i];

			for (j = 0; j < tb->ncols; j++) {
				if (tb->cols[j].family != fam)
					continue;
				for (k = 0; k < tb->keys; k++) {
					if (!sf_agg_key_used(a, tb, k))
						continue;
					snprintf(num, sizeof(num), "%u", k);
					prom_sample(t, fd->name, tb->json_key,
							tb->key_name != NULL ? tb->key_name(k) : num,
							sf_agg_cell_get(a, tb, j, k));
				}
			}
		}
	}
}
