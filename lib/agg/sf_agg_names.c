/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sf_agg_names.h"

struct sf_names {
	uint32_t max;		/* names it may hold */
	uint32_t n;
	uint32_t mask;		/* slots - 1 (slots: a power of two >= 2 max) */
	uint32_t *slot;		/* index + 1 of an entry, 0: free */
	uint64_t bytes, flows;
	uint64_t untracked_bytes, untracked_flows;
	struct sf_name_count *ent;
};

struct sf_names *
sf_names_create(uint32_t max)
{
	struct sf_names *t = calloc(1, sizeof(*t));
	uint32_t slots = 2;

	if (t == NULL)
		return NULL;
	while (slots < 2 * max)
		slots *= 2;
	t->max = max;
	t->mask = slots - 1;
	t->slot = calloc(slots, sizeof(t->slot[0]));
	/* entries are taken in order: memory grows with the names seen */
	t->ent = malloc((size_t)max * sizeof(t->ent[0]));
	if (t->slot == NULL || t->ent == NULL) {
		sf_names_free(t);
		return NULL;
	}
	return t;
}

void
sf_names_free(struct sf_names *t)
{
	if (t == NULL)
		return;
	free(t->slot);
	free(t->ent);
	free(t);
}

/* FNV-1a */
static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

void
sf_names_add(struct sf_names *t, const char *name, uint64_t bytes, uint64_t flows)
{
	uint32_t i = name_hash(name) & t->mask;
	struct sf_name_count *e;

	t->bytes += bytes;
	t->flows += flows;
	for (;;) {
		uint32_t k = t->slot[i];

		if (k == 0)
			break;
		e = &t->ent[k - 1];
		if (strcmp(e->name, name) == 0) {
			e->bytes += bytes;
			e->flows += flows;
			return;
		}
		i = (i + 1) & t->mask;
	}
	if (t->n == t->max) {
		t->untracked_bytes += bytes;
		t->untracked_flows += flows;
		return;
	}
	e = &t->ent[t->n++];
	e->bytes = bytes;
	e->flows = flows;
	snprintf(e->name, sizeof(e->name), "%s", name);
	t->slot[i] = t->n;
}

void
sf_names_merge(struct sf_names *t, const struct sf_names *from)
{
	uint32_t i;

	for (i = 0; i < from->n; i++)
		sf_names_add(t, from->ent[i].name, from->ent[i].bytes, from->ent[i].flows);
	t->bytes += from->untracked_bytes;
	t->flows += from->untracked_flows;
	t->untracked_bytes += from->untracked_bytes;
	t->untracked_flows += from->untracked_flows;
}

/* a before b: more of the measure, then the other measure, then the name */
static bool
before(const struct sf_name_count *a, const struct sf_name_count *b, bool by_flows)
{
	uint64_t x = by_flows ? a->flows : a->bytes, y = by_flows ? b->flows : b->bytes;

	if (x != y)
		return x > y;
	x = by_flows ? a->bytes : a->flows;
	y = by_flows ? b->bytes : b->flows;
	if (x != y)
		return x > y;
	return strcmp(a->name, b->name) < 0;
}

static uint32_t
top(const struct sf_names *t, struct sf_name_count *out, bool by_flows)
{
	uint32_t i, n = 0;

	for (i = 0; i < t->n; i++) {
		const struct sf_name_count *e = &t->ent[i];
		uint32_t j;

		if (n == SF_NAMES_TOP && !before(e, &out[n - 1], by_flows))
			continue;
		j = n < SF_NAMES_TOP ? n++ : n - 1;
		while (j > 0 && before(e, &out[j - 1], by_flows)) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = *e;
	}
	return n;
}

void
sf_names_rank(const struct sf_names *t, struct sf_names_top *out)
{
	out->n_bytes = top(t, out->by_bytes, false);
	out->n_flows = top(t, out->by_flows, true);
	out->names = t->n;
	out->bytes = t->bytes;
	out->flows = t->flows;
	out->untracked_bytes = t->untracked_bytes;
	out->untracked_flows = t->untracked_flows;
}
