/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "outputs.h"

static int
open_ipfix(struct sf_outputs *o, const struct sf_config *cfg, char *err, size_t errlen)
{
	struct sf_ipfix_params p;
	unsigned int i;

	memset(&p, 0, sizeof(p));
	p.n_dest = cfg->n_ipfix;
	for (i = 0; i < cfg->n_ipfix && i < SF_IPFIX_MAX_DEST; i++)
		p.dest[i] = cfg->ipfix[i];
	p.mode = cfg->ipfix_mode == SF_IPFIX_MODE_UNIFLOW ? SF_IPFIX_UNIFLOW : SF_IPFIX_BIFLOW;
	p.domain = cfg->observation_domain;
	p.mtu = cfg->mtu;
	p.template_refresh_ns = cfg->template_refresh_ns;
	p.template_messages = cfg->template_messages;
	o->ipfix = sf_ipfix_open(&p, err, errlen);
	if (o->ipfix == NULL)
		return -1;
	o->ipfix_used = true;
	o->n_ipfix = cfg->n_ipfix;
	return 0;
}

int
sf_outputs_open(struct sf_outputs *o, const struct sf_config *cfg, char *err, size_t errlen)
{
	struct sf_rotate rot = { cfg->rotate_size, cfg->rotate_interval_ns };

	memset(o, 0, sizeof(*o));
	if (cfg->flows_path[0] != '\0') {
		o->flows = sf_jsonl_open(cfg->flows_path, cfg->interval_ns, &rot, err, errlen);
		if (o->flows == NULL)
			goto fail;
	}
	if (cfg->intervals_path[0] != '\0') {
		o->intervals = sf_jsonl_open(cfg->intervals_path, cfg->interval_ns, &rot,
				err, errlen);
		if (o->intervals == NULL)
			goto fail;
	}
	if (cfg->csv_path[0] != '\0') {
		o->csv = sf_csv_open(cfg->csv_path, &rot, err, errlen);
		if (o->csv == NULL)
			goto fail;
	}
	if (cfg->n_ipfix != 0 && open_ipfix(o, cfg, err, errlen) != 0)
		goto fail;
	return 0;
fail:
	sf_outputs_close(o);
	return -1;
}

unsigned int
sf_outputs_sinks(const struct sf_outputs *o, struct sf_collector_sink *sinks, unsigned int max)
{
	unsigned int n = 0;

	if (o->flows != NULL && n < max)
		sinks[n++] = (struct sf_collector_sink){ sf_jsonl_write_record, NULL, o->flows };
	if (o->intervals != NULL && n < max)
		sinks[n++] = (struct sf_collector_sink){ NULL, sf_jsonl_write_interval,
			o->intervals };
	if (o->csv != NULL && n < max)
		sinks[n++] = (struct sf_collector_sink){ sf_csv_write_record, NULL, o->csv };
	if (o->ipfix != NULL && n < max)
		sinks[n++] = (struct sf_collector_sink){ sf_ipfix_write_record,
			sf_ipfix_write_interval, o->ipfix };
	return n;
}

int
sf_outputs_close(struct sf_outputs *o)
{
	struct sf_ipfix_stats *s = &o->ipfix_stats;
	char err[512];
	int ret = 0;

	if (sf_jsonl_close(o->flows, err, sizeof(err)) != 0) {
		fprintf(stderr, "spanflow: %s\n", err);
		ret = -1;
	}
	if (sf_jsonl_close(o->intervals, err, sizeof(err)) != 0) {
		fprintf(stderr, "spanflow: %s\n", err);
		ret = -1;
	}
	if (sf_csv_close(o->csv, err, sizeof(err)) != 0) {
		fprintf(stderr, "spanflow: %s\n", err);
		ret = -1;
	}
	if (o->ipfix != NULL) {
		sf_ipfix_close(o->ipfix, s);
		if (s->messages_lost != 0)
			fprintf(stderr, "spanflow: warning: IPFIX: %" PRIu64 " of %" PRIu64
					" messages (%" PRIu64 " records) not sent: %s; the "
					"collector is absent or too slow\n", s->messages_lost,
					s->messages * o->n_ipfix, s->records_lost,
					strerror(s->last_error));
	}
	o->flows = o->intervals = NULL;
	o->csv = NULL;
	o->ipfix = NULL;
	return ret;
}

void
sf_outputs_report(const struct sf_outputs *o, FILE *f)
{
	const struct sf_ipfix_stats *s = &o->ipfix_stats;

	if (!o->ipfix_used)
		return;
	fprintf(f, "export: ipfix to %u collector%s: %" PRIu64 " messages, %" PRIu64
			" records, %" PRIu64 " bytes; lost %" PRIu64 " messages (%" PRIu64
			" records)\n", o->n_ipfix, o->n_ipfix == 1 ? "" : "s", s->messages,
			s->records, s->octets, s->messages_lost, s->records_lost);
}
