/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "sf_flow.h"

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

int
sf_flow_key_cmp(const struct sf_flow_key *a, const struct sf_flow_key *b)
{
	int c = memcmp(a->addr_lo, b->addr_lo, 16);

	if (c == 0)
		c = memcmp(a->addr_hi, b->addr_hi, 16);
	if (c == 0)
		c = (int)a->port_lo - (int)b->port_lo;
	if (c == 0)
		c = (int)a->port_hi - (int)b->port_hi;
	if (c == 0)
		c = (int)a->proto - (int)b->proto;
	if (c == 0)
		c = (int)a->vlan - (int)b->vlan;
	if (c == 0)
		c = (int)a->ipver - (int)b->ipver;
	return c;
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
