/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A DNS message (RFC 1035 section 4.1): the first question's name and
 * type, and a response's rcode. The name is written as tshark's
 * dns.qry.name writes it: labels joined by '.', "<Root>" for the root;
 * label bytes are made safe by sf_app_text (a '.' inside a label stays a
 * '.'). Compression pointers are followed backwards only (each must point
 * before the label that holds it), so a loop cannot form; at most 128
 * labels.
 */
#include <stdio.h>
#include <string.h>

#include "sf_app.h"

#define DNS_HDR 12
#define DNS_LABELS_MAX 128

static inline uint16_t
ld16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * The name at off into out; *end gets the offset after it in the message
 * (after the first pointer when compressed). False when malformed.
 */
static bool
dns_name(const uint8_t *p, size_t n, size_t off, char *out, size_t cap, size_t *end,
		bool *cut)
{
	size_t o = 0, limit = off;
	unsigned int labels = 0;
	bool jumped = false;

	out[0] = '\0';
	for (;;) {
		uint8_t len;

		if (off >= n || ++labels > DNS_LABELS_MAX)
			return false;
		len = p[off];
		if ((len & 0xc0) == 0xc0) {
			size_t to;

			if (off + 1 >= n)
				return false;
			to = (size_t)(len & 0x3f) << 8 | p[off + 1];
			if (!jumped)
				*end = off + 2;
			/* strictly backwards: before every label read so far */
			if (to >= limit)
				return false;
			limit = to;
			off = to;
			jumped = true;
			continue;
		}
		if (len & 0xc0)
			return false;			/* extended label types: not parsed */
		if (len == 0) {
			if (!jumped)
				*end = off + 1;
			break;
		}
		if (len > n - off - 1)
			return false;
		if (o != 0 && o + 1 < cap)
			out[o++] = '.';
		if (o + 1 < cap) {
			if (!sf_app_text(out + o, cap - o, p + off + 1, len))
				*cut = true;
			o += strlen(out + o);
		} else {
			*cut = true;
		}
		off += 1 + (size_t)len;
	}
	if (o == 0)
		snprintf(out, cap, "<Root>");
	else
		out[o] = '\0';
	return true;
}

enum sf_app_status
sf_dns_message(const uint8_t *p, size_t n, struct sf_flow_app *out)
{
	uint16_t flags, qd;
	bool response, cut = false;
	size_t end = 0;

	if (n < DNS_HDR)
		return SF_APP_BAD;
	flags = ld16(p + 2);
	qd = ld16(p + 4);
	response = (flags & 0x8000) != 0;
	if (out->kind != SF_APP_DNS) {
		out->kind = SF_APP_DNS;
		out->flags &= (uint8_t)~(SF_FLOW_APP_QTYPE | SF_FLOW_APP_RCODE);
		out->name[0] = '\0';
	}
	if (response && !(out->flags & SF_FLOW_APP_RCODE)) {
		out->dns_rcode = (uint8_t)(flags & 0x0f);
		out->flags |= SF_FLOW_APP_RCODE;
	}
	if (qd != 0 && !(out->flags & SF_FLOW_APP_QTYPE)) {
		char name[SF_FLOW_APP_NAME];

		if (!dns_name(p, n, DNS_HDR, name, sizeof(name), &end, &cut) || end + 4 > n)
			return SF_APP_BAD;
		memcpy(out->name, name, sizeof(name));
		out->dns_qtype = ld16(p + end);
		out->flags |= SF_FLOW_APP_QTYPE;
		if (cut)
			out->flags |= SF_FLOW_APP_CUT;
	}
	return SF_APP_DONE;
}
