/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Narrowing a view to some flows: host, subnet, port, protocol, VLAN and
 * VNI, as the API's query parameters say them (/api/v1/live,
 * /api/v1/flows). Every condition given must hold (AND); none given
 * matches every flow. A host or subnet matches either end of a flow, a
 * port either port. Pure functions on flow keys: the HTTP thread parses,
 * the HTTP thread and the workers (active-flow search) match.
 */
#ifndef SF_FLOW_MATCH_H
#define SF_FLOW_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sf_flow.h"

enum {
	SF_MATCH_HOST = 1u << 0,
	SF_MATCH_SUBNET = 1u << 1,
	SF_MATCH_PORT = 1u << 2,
	SF_MATCH_PROTO = 1u << 3,
	SF_MATCH_VLAN = 1u << 4,
	SF_MATCH_VNI = 1u << 5,
};

/* The parameter names, in the order sf_flow_match_describe() writes them. */
#define SF_FLOW_MATCH_PARAMS "host, subnet, port, proto, vlan, vni"

struct sf_flow_match {
	uint32_t have;		/* SF_MATCH_* given */
	uint8_t host_ver;	/* 4 or 6 */
	uint8_t net_ver;
	uint8_t net_len;	/* prefix length */
	uint8_t proto;
	uint16_t port;
	uint16_t vlan;
	uint32_t vni;
	uint8_t host[16];	/* as in keys: an IPv4 address in the first 4 bytes */
	uint8_t net[16];	/* masked to net_len */
};

/*
 * Take one query parameter: 1 if `name` is one of SF_FLOW_MATCH_PARAMS
 * and `value` is good, 0 if `name` is not a filter parameter (nothing
 * changed), -1 with a message in err (naming the parameter and what is
 * expected) if the value is bad. Values: host an IPv4 or IPv6 address;
 * subnet ADDR/LEN (a bare address is /32 or /128); port 0..65535; proto
 * a number 0..255 or a name (tcp, udp, icmp, icmpv6, gre, esp, ah, sctp,
 * ...: sf_flow_match_proto); vlan 0..4095 (0: untagged); vni 0..16777215.
 */
int sf_flow_match_set(struct sf_flow_match *m, const char *name, const char *value,
		char *err, size_t errlen);

/* A protocol number from its name (case-insensitive) or number; -1 if neither. */
int sf_flow_match_proto(const char *s);

/* True if the flow of key k passes every condition of m. */
bool sf_flow_match_key(const struct sf_flow_match *m, const struct sf_flow_key *k);

/*
 * True if the address (key layout) passes the host and subnet conditions
 * (a talker row of a narrowed view: the host itself, or its peer).
 */
bool sf_flow_match_addr(const struct sf_flow_match *m, uint8_t ipver, const uint8_t a[16]);

/* True when no condition is given. */
static inline bool
sf_flow_match_all(const struct sf_flow_match *m)
{
	return m->have == 0;
}

#endif /* SF_FLOW_MATCH_H */
