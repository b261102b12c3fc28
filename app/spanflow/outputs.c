/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "outputs.h"
#include "sf_common.h"

int
sf_outputs_open(struct sf_outputs *o, const struct sf_config *cfg, char *err, size_t errlen)
{
	const struct sf_exporter_ops *const *ops;
	void *x;

	memset(o, 0, sizeof(*o));
	for (ops = sf_exporters; *ops != NULL; ops++) {
		if ((*ops)->open(cfg, &x, err, errlen) != 0)
			goto fail;
		if (x == NULL)
			continue;
		if (o->n == SF_OUTPUTS_MAX) {
			(*ops)->close(x, err, errlen);
			(*ops)->free(x);
			snprintf(err, errlen, "more than %d outputs", SF_OUTPUTS_MAX);
			goto fail;
		}
		o->out[o->n++] = (struct sf_output){ .ops = *ops, .x = x };
	}
	return 0;
fail:
	sf_outputs_close(o);
	return -1;
}

unsigned int
sf_outputs_sinks(const struct sf_outputs *o, struct sf_collector_sink *sinks, unsigned int max)
{
	unsigned int i, n = 0;

	for (i = 0; i < o->n && n < max; i++)
		sinks[n++] = (struct sf_collector_sink){ o->out[i].ops->record,
			o->out[i].ops->interval, o->out[i].x };
	return n;
}

int
sf_outputs_finish(struct sf_outputs *o)
{
	char err[512];
	unsigned int i;
	int ret = 0, rc;

	for (i = 0; i < o->n; i++) {
		if (o->out[i].closed)
			continue;
		err[0] = '\0';
		rc = o->out[i].ops->close(o->out[i].x, err, sizeof(err));
		o->out[i].closed = true;
		if (rc < 0)
			ret = -1;
		if (rc != 0)
			fprintf(stderr, "spanflow: %s%s\n", rc > 0 ? "warning: " : "", err);
	}
	return ret;
}

void
sf_outputs_tick(struct sf_outputs *o)
{
	uint64_t now = sf_clock_ns(CLOCK_MONOTONIC);
	unsigned int i;

	if (now < o->next_tick_ns)
		return;
	o->next_tick_ns = now + 10 * 1000000u;
	for (i = 0; i < o->n; i++)
		if (!o->out[i].closed && o->out[i].ops->tick != NULL)
			o->out[i].ops->tick(o->out[i].x, now);
}

void
sf_outputs_reopen(struct sf_outputs *o)
{
	char err[512], names[256];
	unsigned int i;
	size_t n = 0;
	int rc;

	names[0] = '\0';
	for (i = 0; i < o->n; i++) {
		if (o->out[i].closed || o->out[i].ops->reopen == NULL)
			continue;
		err[0] = '\0';
		rc = o->out[i].ops->reopen(o->out[i].x, err, sizeof(err));
		if (rc < 0)
			fprintf(stderr, "spanflow: %s; its records are lost until a reopen "
					"succeeds\n", err);
		else if (rc == 0 && n < sizeof(names))
			n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", n ? ", " : "",
					o->out[i].ops->name);
	}
	if (n != 0)
		fprintf(stderr, "spanflow: SIGHUP: output files reopened (%s)\n", names);
	else
		fprintf(stderr, "spanflow: SIGHUP: no output file reopened\n");
}

void
sf_outputs_stats(const struct sf_outputs *o, unsigned int i, struct sf_exporter_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->up = -1;
	if (i < o->n && o->out[i].ops->stats != NULL)
		o->out[i].ops->stats(o->out[i].x, st);
}

void
sf_outputs_report(const struct sf_outputs *o, FILE *f)
{
	unsigned int i;

	for (i = 0; i < o->n; i++)
		if (o->out[i].ops->report != NULL)
			o->out[i].ops->report(o->out[i].x, f);
}

void
sf_outputs_close(struct sf_outputs *o)
{
	unsigned int i;

	(void)sf_outputs_finish(o);
	for (i = 0; i < o->n; i++)
		o->out[i].ops->free(o->out[i].x);
	o->n = 0;
}
