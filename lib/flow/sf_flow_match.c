/* SPDX-License-Identifier: BSD-3-Clause */
/* Narrowing a view to some flows (sf_flow_match.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sf_flow_match.h"

static const struct {
	const char *name;
	uint8_t proto;
} proto_names[] = {
	{ "icmp", 1 }, { "igmp", 2 }, { "ipip", 4 }, { "tcp", 6 }, { "udp", 17 },
	{ "ipv6", 41 }, { "gre", 47 }, { "esp", 50 }, { "ah", 51 }, { "icmpv6", 58 },
	{ "ipv6-icmp", 58 }, { "ospf", 89 }, { "pim", 103 }, { "vrrp", 112 },
	{ "l2tp", 115 }, { "sctp", 132 },
};

/* A decimal number 0..max, the whole string; -1 if not. */
static long
number(const char *s, long max)
{
	char *end;
	long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	return v;
}

int
sf_flow_match_proto(const char *s)
{
	size_t i;
	long v = number(s, 255);

	if (v >= 0)
		return (int)v;
	for (i = 0; i < sizeof(proto_names) / sizeof(proto_names[0]); i++)
		if (strcasecmp(s, proto_names[i].name) == 0)
			return proto_names[i].proto;
	return -1;
}

/* An address into key layout; its version, or 0 if s is not one. */
static uint8_t
parse_addr(const char *s, uint8_t a[16])
{
	memset(a, 0, 16);
	if (inet_pton(AF_INET, s, a) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, a) == 1)
		return 6;
	return 0;
}

static void
mask(uint8_t a[16], unsigned int len)
{
	unsigned int i;

	for (i = 0; i < 16; i++) {
		if (len >= 8)
			len -= 8;
		else {
			a[i] &= (uint8_t)(0xff00u >> len);
			len = 0;
		}
	}
}

static int
bad(char *err, size_t errlen, const char *name, const char *value, const char *expected)
{
	snprintf(err, errlen, "%s: '%.48s' is not %s", name, value, expected);
	return -1;
}

static int
set_subnet(struct sf_flow_match *m, const char *value, char *err, size_t errlen)
{
	char buf[64];
	const char *slash = strchr(value, '/');
	size_t n = slash != NULL ? (size_t)(slash - value) : strlen(value);
	long len;

	if (n >= sizeof(buf))
		return bad(err, errlen, "subnet", value, "ADDR/LEN");
	memcpy(buf, value, n);
	buf[n] = '\0';
	m->net_ver = parse_addr(buf, m->net);
	if (m->net_ver == 0)
		return bad(err, errlen, "subnet", value, "ADDR/LEN (an IPv4 or IPv6 network)");
	if (slash == NULL)
		len = m->net_ver == 4 ? 32 : 128;
	else
		len = number(slash + 1, m->net_ver == 4 ? 32 : 128);
	if (len < 0)
		return bad(err, errlen, "subnet", value, m->net_ver == 4 ?
				"ADDR/LEN with LEN 0..32" : "ADDR/LEN with LEN 0..128");
	m->net_len = (uint8_t)len;
	mask(m->net, (unsigned int)len);
	m->have |= SF_MATCH_SUBNET;
	return 1;
}

int
sf_flow_match_set(struct sf_flow_match *m, const char *name, const char *value,
		char *err, size_t errlen)
{
	long v;

	if (strcmp(name, "host") == 0) {
		m->host_ver = parse_addr(value, m->host);
		if (m->host_ver == 0)
			return bad(err, errlen, name, value, "an IPv4 or IPv6 address");
		m->have |= SF_MATCH_HOST;
	} else if (strcmp(name, "subnet") == 0) {
		return set_subnet(m, value, err, errlen);
	} else if (strcmp(name, "port") == 0) {
		if ((v = number(value, 65535)) < 0)
			return bad(err, errlen, name, value, "a port 0..65535");
		m->port = (uint16_t)v;
		m->have |= SF_MATCH_PORT;
	} else if (strcmp(name, "proto") == 0) {
		int p = sf_flow_match_proto(value);

		if (p < 0)
			return bad(err, errlen, name, value,
					"a protocol number 0..255 or name (tcp, udp, icmp, ...)");
		m->proto = (uint8_t)p;
		m->have |= SF_MATCH_PROTO;
	} else if (strcmp(name, "vlan") == 0) {
		if ((v = number(value, 4095)) < 0)
			return bad(err, errlen, name, value, "a VLAN id 0..4095 (0: untagged)");
		m->vlan = (uint16_t)v;
		m->have |= SF_MATCH_VLAN;
	} else if (strcmp(name, "vni") == 0) {
		if ((v = number(value, 16777215)) < 0)
			return bad(err, errlen, name, value, "a VNI 0..16777215");
		m->vni = (uint32_t)v;
		m->have |= SF_MATCH_VNI;
	} else {
		return 0;
	}
	return 1;
}

static bool
in_net(const struct sf_flow_match *m, uint8_t ipver, const uint8_t a[16])
{
	unsigned int full = m->net_len / 8u, rest = m->net_len % 8u;

	if (ipver != m->net_ver || memcmp(a, m->net, full) != 0)
		return false;
	return rest == 0 || (a[full] & (uint8_t)(0xff00u >> rest)) == m->net[full];
}

bool
sf_flow_match_addr(const struct sf_flow_match *m, uint8_t ipver, const uint8_t a[16])
{
	if ((m->have & SF_MATCH_HOST) &&
			(ipver != m->host_ver || memcmp(a, m->host, 16) != 0))
		return false;
	if ((m->have & SF_MATCH_SUBNET) && !in_net(m, ipver, a))
		return false;
	return true;
}

bool
sf_flow_match_key(const struct sf_flow_match *m, const struct sf_flow_key *k)
{
	uint32_t h = m->have;

	if (h == 0)
		return true;
	if ((h & SF_MATCH_PROTO) && k->proto != m->proto)
		return false;
	if ((h & SF_MATCH_PORT) && k->port_lo != m->port && k->port_hi != m->port)
		return false;
	if ((h & SF_MATCH_VLAN) && k->vlan != m->vlan)
		return false;
	if ((h & SF_MATCH_VNI) && (k->ctx_kind != SF_FLOW_CTX_VNI || k->ctx != m->vni))
		return false;
	if ((h & SF_MATCH_HOST) && !(k->ipver == m->host_ver &&
			(memcmp(k->addr_lo, m->host, 16) == 0 ||
			 memcmp(k->addr_hi, m->host, 16) == 0)))
		return false;
	if ((h & SF_MATCH_SUBNET) && !in_net(m, k->ipver, k->addr_lo) &&
			!in_net(m, k->ipver, k->addr_hi))
		return false;
	return true;
}
