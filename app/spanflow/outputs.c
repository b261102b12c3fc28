/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include "outputs.h"

int
sf_outputs_open(struct sf_outputs *o, const struct sf_config *cfg, char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	if (cfg->flows_path[0] != '\0') {
		o->flows = sf_jsonl_open(cfg->flows_path, cfg->interval_ns, err, errlen);
		if (o->flows == NULL)
			goto fail;
	}
	if (cfg->intervals_path[0] != '\0') {
		o->intervals = sf_jsonl_open(cfg->intervals_path, cfg->interval_ns, err, errlen);
		if (o->intervals == NULL)
			goto fail;
	}
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
	return n;
}

int
sf_outputs_close(struct sf_outputs *o)
{
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
	o->flows = o->intervals = NULL;
	return ret;
}
