/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPFIX encoder: messages decoded back by a small independent parser
 * (RFC 7011 framing), checked against the field list and the records.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "sf_export.h"
#include "sf_fields.h"

#define MAX_MSGS 512

struct capture {
	unsigned int n;
	size_t len[MAX_MSGS];
	uint8_t msg[MAX_MSGS][65536];
	int fail;	/* return this error from send */
};

static struct capture cap;

static int
cap_send(void *arg, const uint8_t *m, size_t len)
{
	struct capture *c = arg;

	if (c->n < MAX_MSGS) {
		memcpy(c->msg[c->n], m, len);
		c->len[c->n++] = len;
	}
	return c->fail;
}

static uint16_t
g16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
g32(const uint8_t *p)
{
	return (uint32_t)g16(p) << 16 | g16(p + 2);
}

static uint64_t
g64(const uint8_t *p)
{
	return (uint64_t)g32(p) << 32 | g32(p + 4);
}

/* One decoded template field. */
struct tfield {
	uint16_t id;
	uint16_t len;
	uint32_t pen;
};

/*
 * Flow templates: [0] v4, [1] v6, [2] v4 tunnelled, [3] v6 tunnelled, then
 * the same four with TCP health; [8..15] the eight with application
 * metadata; [16..31] the sixteen with flow features.
 */
static int
tid_index(uint16_t tid)
{
	if (tid >= SF_IPFIX_TID_FEAT && tid <= SF_IPFIX_TID_V6_TUN_TCP_APP_FEAT)
		return 16 + tid - SF_IPFIX_TID_FEAT;
	if (tid >= SF_IPFIX_TID_V4_APP && tid <= SF_IPFIX_TID_V6_TUN_TCP_APP)
		return 8 + tid - SF_IPFIX_TID_V4_APP;
	switch (tid) {
	case SF_IPFIX_TID_V4:
		return 0;
	case SF_IPFIX_TID_V6:
		return 1;
	case SF_IPFIX_TID_V4_TUN:
		return 2;
	case SF_IPFIX_TID_V6_TUN:
		return 3;
	case SF_IPFIX_TID_V4_TCP:
		return 4;
	case SF_IPFIX_TID_V6_TCP:
		return 5;
	case SF_IPFIX_TID_V4_TUN_TCP:
		return 6;
	case SF_IPFIX_TID_V6_TUN_TCP:
		return 7;
	default:
		return -1;
	}
}

#define NTPL 32
#define NFIELDS 128

struct decoded {
	unsigned int nt[NTPL];		/* fields per template (tid_index) */
	struct tfield t[NTPL][NFIELDS];
	unsigned int ndata[NTPL];	/* data records seen per template */
	uint8_t data[NTPL][64][1280];	/* first records, raw */
	unsigned int nstats;
	unsigned int ntypes;		/* RFC 5610 type records */
	unsigned int nrevtypes;		/* of which of reverse elements */
	unsigned int ntuntypes;		/* of which of the tunnel group */
	unsigned int napptypes;		/* of which of the app group */
	char appnames[16][40];		/* the app group's names, by id - 40 */
	unsigned int nfeattypes;	/* of which of the feature group (reverse ones too) */
	/* the feature group's type records by id - 22, [1] the reverse element's */
	struct {
		unsigned int n;
		uint8_t dt, sem;
		uint16_t units;
		char name[48];
	} feat[14][2];
	uint64_t stats[5];		/* the last statistics record */
	uint32_t seq_expected;
	unsigned int msgs;
};

/* A field's bytes in a record: a text's from its length octets (RFC 7011 section 7). */
static size_t
field_len(uint16_t tlen, const uint8_t *p)
{
	if (tlen != 0xffff)
		return tlen;
	return p[0] < 255 ? 1u + p[0] : 3u + g16(p + 1);
}

/* The RFC 5610 data type of an app element (sf_fields.h, README). */
static uint8_t
app_type(uint16_t ie)
{
	switch (ie) {
	case SF_IE_SF_APP_KIND:
	case SF_IE_SF_DNS_RESPONSE_CODE:
		return 1;
	case SF_IE_SF_TLS_VERSION:
	case SF_IE_SF_DNS_QUERY_TYPE:
		return 2;
	case SF_IE_SF_QUIC_VERSION:
		return 3;
	default:
		return 13;
	}
}

/* Walk every captured message; fails the test on any framing error. */
static void
decode_all(struct decoded *d, uint32_t domain, size_t max_len)
{
	unsigned int i, k;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < cap.n; i++) {
		const uint8_t *m = cap.msg[i], *s, *end = m + cap.len[i];
		unsigned int records = 0;

		assert_true(cap.len[i] <= max_len);
		assert_int_equal(g16(m), 10);
		assert_int_equal(g16(m + 2), cap.len[i]);
		assert_int_equal(g32(m + 8), d->seq_expected);
		assert_int_equal(g32(m + 12), domain);
		for (s = m + 16; s < end; ) {
			uint16_t id = g16(s), slen = g16(s + 2);
			const uint8_t *p = s + 4, *send = s + slen;

			assert_true(slen >= 4 && s + slen <= end);
			if (id == 2) {
				while (p < send) {
					uint16_t tid = g16(p), nf = g16(p + 2);
					int v = tid_index(tid);

					assert_true(v >= 0 && nf <= NFIELDS);
					p += 4;
					d->nt[v] = nf;
					for (k = 0; k < nf; k++) {
						d->t[v][k].id = g16(p) & 0x7fff;
						d->t[v][k].len = g16(p + 2);
						d->t[v][k].pen = 0;
						if (g16(p) & 0x8000) {
							d->t[v][k].pen = g32(p + 4);
							p += 4;
						}
						p += 4;
					}
				}
			} else if (id == 3 && g16(p) == SF_IPFIX_TID_IE_TYPE) {
				/* RFC 5610: scope PEN and element id, then 7 more fields. */
				assert_int_equal(g16(p + 2), 9);
				assert_int_equal(g16(p + 4), 2);
				assert_int_equal(g16(p + 6), 346);
				assert_int_equal(g16(p + 10), 303);
			} else if (id == SF_IPFIX_TID_IE_TYPE) {
				while (p < send) {
					/* PEN, id, type, semantics, units, range, name, description */
					uint16_t ie = g16(p + 4);
					bool rev = (ie & SF_IE_SF_REVERSE) != 0;

					assert_int_equal(g32(p), SF_IPFIX_PEN);
					ie &= (uint16_t)~SF_IE_SF_REVERSE;
					assert_true(ie >= 1 && ie <= SF_IE_SF_LAST);
					p += 26;
					/* A reverse element's name: reverseSpanflow... */
					if (rev)
						assert_memory_equal(p + 1, "reverseSpanflow", 15);
					else
						assert_memory_equal(p + 1, "spanflow", 8);
					d->nrevtypes += rev;
					d->ntuntypes += ie <= SF_IE_SF_CONTEXT;
					if (ie >= SF_IE_SF_BI_MIN_PS && ie <= SF_IE_SF_MAX_PIAT) {
						unsigned int f = ie - SF_IE_SF_BI_MIN_PS;

						assert_true(p[0] < 48);
						d->feat[f][rev].n++;
						d->feat[f][rev].dt = p[-20];
						d->feat[f][rev].sem = p[-19];
						d->feat[f][rev].units = g16(p - 18);
						memcpy(d->feat[f][rev].name, p + 1, p[0]);
						d->feat[f][rev].name[p[0]] = '\0';
						d->nfeattypes++;
					}
					if (ie >= SF_IE_SF_APP_KIND) {
						assert_true(!rev && p[0] < 40);
						d->napptypes++;
						memcpy(d->appnames[ie - SF_IE_SF_APP_KIND], p + 1, p[0]);
						d->appnames[ie - SF_IE_SF_APP_KIND][p[0]] = '\0';
						/* types: unsigned8 1, unsigned16 2, unsigned32 3, string 13 */
						assert_int_equal(p[-20], app_type(ie));
					}
					p += 1 + p[0];
					p += 1 + p[0];
					d->ntypes++;
					records++;
				}
				assert_true(p == send);
			} else if (id == 3 && g16(p) == SF_IPFIX_TID_SELECTOR) {
				assert_int_equal(g16(p + 4), 1);	/* scope: selectorId */
			} else if (id == SF_IPFIX_TID_SELECTOR) {
				records++;			/* one selector */
			} else if (id == 3) {
				assert_int_equal(g16(p), SF_IPFIX_TID_STATS);
				assert_int_equal(g16(p + 2), 6);	/* fields */
				assert_int_equal(g16(p + 4), 1);	/* scope fields */
				assert_int_equal(g16(p + 6), 149);	/* observationDomainId */
			} else if (id == SF_IPFIX_TID_STATS) {
				assert_int_equal(slen, 4 + 4 + 5 * 8);
				assert_int_equal(g32(p), domain);
				for (k = 0; k < 5; k++)
					d->stats[k] = g64(p + 4 + 8 * k);
				d->nstats++;
				records++;
			} else {
				int v = tid_index(id);
				size_t n;

				assert_true(v >= 0);
				/* The template must have come first. */
				assert_true(d->nt[v] > 0);
				/* A record's length: its fields', a text's from its length octet. */
				for (; p < send; p += n) {
					for (n = 0, k = 0; k < d->nt[v]; k++) {
						assert_true(p + n < send);
						n += field_len(d->t[v][k].len, p + n);
					}
					assert_true(p + n <= send && n <= sizeof(d->data[v][0]));
					if (d->ndata[v] < 64)
						memcpy(d->data[v][d->ndata[v]], p, n);
					d->ndata[v]++;
					records++;
				}
			}
			s += slen;
		}
		d->seq_expected += records;
		d->msgs++;
	}
}

static void
make_record(struct sf_flow_record *r, int v6, uint32_t n)
{
	uint8_t a4[4] = { 192, 0, 2, 10 }, b4[4] = { 198, 51, 100, 7 };
	uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	uint8_t b6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

	memset(r, 0, sizeof(*r));
	if (v6)
		r->initiator = (uint8_t)sf_flow_key_make(&r->key, 6, b6, a6, 16, 443,
				(uint16_t)(1000 + n), 6, 100);
	else
		r->initiator = (uint8_t)sf_flow_key_make(&r->key, 4, b4, a4, 4, 53,
				(uint16_t)(1000 + n), 17, 0);
	r->start_ns = 1700000000123456789ULL;
	r->end_ns = 1700000001999999999ULL;
	r->packets[0] = 3 + n;
	r->bytes[0] = 180 + n;
	r->packets[1] = 2;
	r->bytes[1] = 1500;
	r->tcp_flags[0] = 0x1b;
	r->tcp_flags[1] = 0x12;
	r->dscp = 46;
	r->end_reason = SF_END_TCP_RST;
}

static struct sf_ipfix *
open_sampled(enum sf_ipfix_mode mode, uint32_t mtu, uint32_t tmsgs, enum sf_sampling sampling)
{
	struct sf_ipfix_params p;
	char err[256];
	struct sf_ipfix *x;

	memset(&cap, 0, sizeof(cap));
	memset(&p, 0, sizeof(p));
	p.mode = mode;
	p.domain = 77;
	p.mtu = mtu;
	p.template_messages = tmsgs;
	p.sampling = (uint8_t)sampling;
	p.sampling_rate = 3;
	p.send = cap_send;
	p.send_arg = &cap;
	x = sf_ipfix_open(&p, err, sizeof(err));
	assert_non_null(x);
	return x;
}

static struct sf_ipfix *
open_capture(enum sf_ipfix_mode mode, uint32_t mtu, uint32_t tmsgs)
{
	return open_sampled(mode, mtu, tmsgs, SF_SAMPLING_NONE);
}

/* Index of element (id, pen) in a decoded template; -1 if absent. */
static int
field_index(const struct decoded *d, unsigned int v, uint16_t id, uint32_t pen)
{
	unsigned int k;

	for (k = 0; k < d->nt[v]; k++)
		if (d->t[v][k].id == id && d->t[v][k].pen == pen)
			return (int)k;
	return -1;
}

/* Offset of element (id, pen) in a decoded template; -1 if absent. */
static int
field_off(const struct decoded *d, unsigned int v, uint16_t id, uint32_t pen)
{
	unsigned int k;
	int off = 0;
	bool past_text = false;

	for (k = 0; k < d->nt[v]; k++) {
		if (d->t[v][k].id == id && d->t[v][k].pen == pen) {
			assert_true(!past_text);	/* fixed offsets end at a text */
			return off;
		}
		past_text |= d->t[v][k].len == 0xffff;
		off += d->t[v][k].len;
	}
	return -1;
}

/* Element (id, pen) in record rec of template v, past any texts before it; NULL if absent. */
static const uint8_t *
field_ptr(const struct decoded *d, unsigned int v, const uint8_t *rec, uint16_t id, uint32_t pen)
{
	unsigned int k;

	for (k = 0; k < d->nt[v]; k++) {
		if (d->t[v][k].id == id && d->t[v][k].pen == pen)
			return rec;
		rec += field_len(d->t[v][k].len, rec);
	}
	return NULL;
}

/* A text element of a record as a C string (its length octets checked). */
static const char *
field_text(const struct decoded *d, unsigned int v, const uint8_t *rec, uint16_t id)
{
	static char buf[300];
	const uint8_t *p = field_ptr(d, v, rec, id, SF_IPFIX_PEN);
	size_t n;

	assert_non_null(p);
	n = field_len(0xffff, p) - (p[0] < 255 ? 1 : 3);
	/* The short form below 255 bytes, the long one from 255 on. */
	assert_true((p[0] < 255) == (n < 255));
	assert_true(n < sizeof(buf));
	memcpy(buf, p + (p[0] < 255 ? 1 : 3), n);
	buf[n] = '\0';
	return buf;
}

static void
test_templates_from_field_list(void **state)
{
	static const struct { uint16_t id; uint16_t len4, len6; } fwd[] = {
		{ 152, 8, 8 }, { 153, 8, 8 }, { 8, 4, 0 }, { 27, 0, 16 }, { 7, 2, 2 },
		{ 12, 4, 0 }, { 28, 0, 16 }, { 11, 2, 2 }, { 4, 1, 1 }, { 58, 2, 2 }, { 351, 8, 8 },
		{ 10, 4, 4 },
		{ 2, 8, 8 }, { 1, 8, 8 }, { 6, 1, 1 }, { 136, 1, 1 },
	};
	struct sf_flow_record r;
	struct decoded *d = calloc(1, sizeof(*d));
	struct sf_ipfix *x;
	unsigned int i, v, n = 0;

	(void)state;
	x = open_capture(SF_IPFIX_BIFLOW, 1500, 0);
	make_record(&r, 0, 0);
	sf_ipfix_write_record(x, &r);
	/* Tunnelled records, IPv4 and IPv6: their templates come with the first of each. */
	r.tun.encaps = UINT32_C(1) << SF_ENCAP_GRE;
	sf_ipfix_write_record(x, &r);
	make_record(&r, 1, 0);
	r.tun.encaps = UINT32_C(1) << SF_ENCAP_GRE;
	sf_ipfix_write_record(x, &r);
	sf_ipfix_close(x, NULL);
	decode_all(d, 77, 1500 - 28);
	/* The list drives the template: one element per field, reverse ones with PEN. */
#define COUNT(name, kind, expr, ie4, ie6, flags) \
	n += (ie4) != 0 && !((flags) & (SF_F_TUN | SF_F_TCP | SF_F_APP | SF_F_FEAT));
	SF_FLOW_FIELDS(COUNT)
#undef COUNT
	assert_int_equal(d->nt[0], n);
	assert_int_equal(d->nt[1], n);
	/* The tunnel templates: the same, then the tunnel facts (8 of spanflow's, 3 MPLS). */
	assert_int_equal(d->nt[2], n + 11);
	assert_int_equal(d->nt[3], n + 11);
	/* Their enterprise elements described once, before the first (RFC 5610). */
	assert_int_equal(d->ntypes, 8);
	for (i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
		for (v = 0; v < 2; v++) {
			uint16_t len = v ? fwd[i].len6 : fwd[i].len4;
			unsigned int k;

			if (len == 0) {
				assert_int_equal(field_off(d, v, fwd[i].id, 0), -1);
				continue;
			}
			assert_true(field_off(d, v, fwd[i].id, 0) >= 0);
			for (k = 0; k < d->nt[v]; k++)
				if (d->t[v][k].id == fwd[i].id && d->t[v][k].pen == 0)
					assert_int_equal(d->t[v][k].len, len);
		}
	for (v = 0; v < 2; v++) {
		assert_true(field_off(d, v, 1, SF_IPFIX_PEN_REVERSE) >= 0);
		assert_true(field_off(d, v, 2, SF_IPFIX_PEN_REVERSE) >= 0);
		assert_true(field_off(d, v, 6, SF_IPFIX_PEN_REVERSE) >= 0);
	}
	assert_int_equal(sf_ipfix_record_len(4, SF_IPFIX_BIFLOW, false, false, false, false),
			8 + 8 + 4 + 2 + 4 + 2 + 1 + 1 + 2 + 8 + 4 + 8 + 8 + 8 + 8 + 1 + 1 + 1 + 1);
	assert_int_equal(sf_ipfix_record_len(6, SF_IPFIX_BIFLOW, false, false, false, false),
			sf_ipfix_record_len(4, SF_IPFIX_BIFLOW, false, false, false, false) + 24);
	assert_int_equal(sf_ipfix_record_len(4, SF_IPFIX_BIFLOW, true, false, false, false),
			sf_ipfix_record_len(4, SF_IPFIX_BIFLOW, false, false, false, false) +
			1 + 4 + 16 + 16 + 4 * 4 + 3 * 3);
	free(d);
}

/* A tunnelled flow's record: the tunnel template and its values, hand-encoded. */
static void
test_tunnel_values(void **state)
{
	static const uint8_t o6s[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff, [15] = 1 };
	static const uint8_t o6d[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff, [15] = 2 };
	struct sf_flow_record r, plain;
	struct decoded *d = calloc(1, sizeof(*d));
	struct sf_ipfix *x;
	const uint8_t *p;

	(void)state;
	x = open_capture(SF_IPFIX_BIFLOW, 1500, 0);
	make_record(&r, 0, 0);
	make_record(&plain, 0, 1);
	r.tun.encaps = (UINT32_C(1) << SF_ENCAP_MPLS) | (UINT32_C(1) << SF_ENCAP_VXLAN);
	r.tun.ids = SF_PKT_ID_VNI;
	r.tun.vni = 0x123456;
	r.tun.outer_ipver = 6;
	memcpy(r.tun.outer_src, o6s, 16);
	memcpy(r.tun.outer_dst, o6d, 16);
	r.tun.n_mpls = 2;
	r.tun.mpls[0] = 1000;
	r.tun.mpls[1] = 0xfffff;
	sf_ipfix_write_record(x, &r);
	sf_ipfix_write_record(x, &plain);
	sf_ipfix_close(x, NULL);
	decode_all(d, 77, 1500 - 28);
	/* The plain record keeps the plain template. */
	assert_int_equal(d->ndata[0], 1);
	assert_int_equal(d->ndata[2], 1);
	p = d->data[2][0];
	assert_int_equal(g16(p + field_off(d, 2, 7, 0)), 53);
	assert_int_equal(g32(p + field_off(d, 2, SF_IE_SF_ENCAPS, SF_IPFIX_PEN)),
			(1u << SF_ENCAP_MPLS) | (1u << SF_ENCAP_VXLAN));
	assert_memory_equal(p + field_off(d, 2, SF_IE_SF_OUTER_SRC, SF_IPFIX_PEN), o6s, 16);
	assert_memory_equal(p + field_off(d, 2, SF_IE_SF_OUTER_DST, SF_IPFIX_PEN), o6d, 16);
	assert_int_equal(g32(p + field_off(d, 2, SF_IE_SF_VNI, SF_IPFIX_PEN)), 0x123456);
	assert_int_equal(p[field_off(d, 2, SF_IE_SF_CONTEXT, SF_IPFIX_PEN)], SF_FLOW_CTX_NONE);
	/* Absent ids are 0; labels are label << 4 in three bytes. */
	assert_int_equal(g32(p + field_off(d, 2, SF_IE_SF_TEID, SF_IPFIX_PEN)), 0);
	assert_int_equal(g32(p + field_off(d, 2, SF_IE_SF_ERSPAN_SESSION, SF_IPFIX_PEN)), 0);
	assert_memory_equal(p + field_off(d, 2, 70, 0), ((uint8_t[]){ 0x00, 0x3e, 0x80 }), 3);
	assert_memory_equal(p + field_off(d, 2, 71, 0), ((uint8_t[]){ 0xff, 0xff, 0xf0 }), 3);
	assert_memory_equal(p + field_off(d, 2, 72, 0), ((uint8_t[]){ 0, 0, 0 }), 3);
	free(d);

	/* An IPv4 outer address travels mapped into IPv6. */
	x = open_capture(SF_IPFIX_BIFLOW, 1500, 0);
	d = calloc(1, sizeof(*d));
	memset(&r.tun, 0, sizeof(r.tun));
	r.tun.encaps = UINT32_C(1) << SF_ENCAP_GTPU;
	r.tun.ids = SF_PKT_ID_TEID;
	r.tun.teid = 0xdeadbeef;
	r.tun.outer_ipver = 4;
	sf_flow_key_set_ctx(&r.key, SF_FLOW_CTX_UNDERLAY, 0);
	memcpy(r.tun.outer_src, ((uint8_t[]){ 10, 1, 2, 3 }), 4);
	sf_ipfix_write_record(x, &r);
	sf_ipfix_close(x, NULL);
	decode_all(d, 77, 1500 - 28);
	p = d->data[2][0];
	assert_memory_equal(p + field_off(d, 2, SF_IE_SF_OUTER_SRC, SF_IPFIX_PEN),
			((uint8_t[]){ [10] = 0xff, 0xff, 10, 1, 2, 3 }), 16);
	assert_int_equal(g32(p + field_off(d, 2, SF_IE_SF_TEID, SF_IPFIX_PEN)), 0xdeadbeef);
	/* The context kind says what the record is: here an underlay flow. */
	assert_int_equal(p[field_off(d, 2, SF_IE_SF_CONTEXT, SF_IPFIX_PEN)], 5);
	free(d);
}

static void
test_biflow_values(void **state)
{
	struct sf_flow_record r4, r6;
	struct decoded *d = calloc(1, sizeof(*d));
	struct sf_ipfix *x;
	const uint8_t *p;

	(void)state;
	x = open_capture(SF_IPFIX_BIFLOW, 1500, 0);
	make_record(&r4, 0, 0);
	make_record(&r6, 1, 0);
	sf_ipfix_write_record(x, &r4);
	sf_ipfix_write_record(x, &r6);
	sf_ipfix_close(x, NULL);
	decode_all(d, 77, 1500 - 28);
	assert_int_equal(d->ndata[0], 1);
	assert_int_equal(d->ndata[1], 1);
	p = d->data[0][0];
	/* Source is the initiator (198.51.100.7:53), times in ms, counters 8 bytes. */
	assert_memory_equal(p + field_off(d, 0, 8, 0), ((uint8_t[]){ 198, 51, 100, 7 }), 4);
	assert_memory_equal(p + field_off(d, 0, 12, 0), ((uint8_t[]){ 192, 0, 2, 10 }), 4);
	assert_int_equal(g16(p + field_off(d, 0, 7, 0)), 53);
	assert_int_equal(g16(p + field_off(d, 0, 11, 0)), 1000);
	assert_int_equal(p[field_off(d, 0, 4, 0)], 17);
	assert_int_equal(g64(p + field_off(d, 0, 152, 0)), 1700000000123ULL);
	assert_int_equal(g64(p + field_off(d, 0, 153, 0)), 1700000001999ULL);
	assert_int_equal(g64(p + field_off(d, 0, 2, 0)), 3);
	assert_int_equal(g64(p + field_off(d, 0, 1, 0)), 180);
	assert_int_equal(g64(p + field_off(d, 0, 2, SF_IPFIX_PEN_REVERSE)), 2);
	assert_int_equal(g64(p + field_off(d, 0, 1, SF_IPFIX_PEN_REVERSE)), 1500);
	assert_int_equal(p[field_off(d, 0, 6, 0)], 0x1b);
	assert_int_equal(p[field_off(d, 0, 6, SF_IPFIX_PEN_REVERSE)], 0x12);
	assert_int_equal(p[field_off(d, 0, 136, 0)], 3);	/* end of flow detected */
	p = d->data[1][0];
	assert_int_equal(p[15 + field_off(d, 1, 27, 0)], 2);
	assert_int_equal(p[15 + field_off(d, 1, 28, 0)], 1);
	assert_int_equal(g16(p + field_off(d, 1, 58, 0)), 100);
	free(d);
}

static void
test_uniflow_two_records(void **state)
{
	struct sf_flow_record r;
	struct decoded *d = calloc(1, sizeof(*d));
	struct sf_ipfix *x;
	const uint8_t *a, *b;

	(void)state;
	x = open_capture(SF_IPFIX_UNIFLOW, 1500, 0);
	make_record(&r, 0, 0);
	sf_ipfix_write_record(x, &r);
	r.packets[1] = 0;	/* one direction only: one record */
	r.bytes[1] = 0;
	sf_ipfix_write_record(x, &r);
	sf_ipfix_close(x, NULL);
	decode_all(d, 77, 1500 - 28);
	assert_int_equal(field_off(d, 0, 1, SF_IPFIX_PEN_REVERSE), -1);
	assert_int_equal(d->ndata[0], 3);
	a = d->data[0][0];
	b = d->data[0][1];
	assert_memory_equal(a + field_off(d, 0, 8, 0), b + field_off(d, 0, 12, 0), 4);
	assert_int_equal(g16(b + field_off(d, 0, 7, 0)), 1000);
	assert_int_equal(g16(b + field_off(d, 0, 11, 0)), 53);
	assert_int_equal(g64(b + field_off(d, 0, 2, 0)), 2);
	assert_int_equal(g64(b + field_off(d, 0, 1, 0)), 1500);
	assert_int_equal(b[field_off(d, 0, 6, 0)], 0x12);
	free(d);
}

static void
test_mtu_sequence_refresh_and_losses(void **state)
{
	struct sf_flow_record r;
	struct sf_interval_agg a;
	struct decoded *d = calloc(1, sizeof(*d));
	struct sf_ipfix_stats st;
	struct sf_ipfix *x;
	unsigned int i, with_tpl = 0, m;

	(void)state;
	x = open_capture(SF_IPFIX_BIFLOW, 576, 5);
	for (i = 0; i < 400; i++) {
		make_record(&r, (int)(i % 3 == 0), i);
		sf_ipfix_write_record(x, &r);
	}
	/* Tunnelled records: their templates and records fit small messages too. */
	for (i = 0; i < 40; i++) {
		make_record(&r, (int)(i % 2), i);
		r.tun.encaps = UINT32_C(1) << SF_ENCAP_VXLAN;
		r.tun.outer_ipver = 6;
		sf_ipfix_write_record(x, &r);
	}
	memset(&a, 0, sizeof(a));
	a.received = 1234;
	a.dropped[0] = 7;
	sf_ipfix_write_interval(x, &a);
	sf_ipfix_close(x, &st);
	/* Every message fits in 576 - IP - UDP, sequence numbers count data records. */
	decode_all(d, 77, 576 - 28);
	assert_int_equal(d->ndata[0] + d->ndata[1], 400);
	assert_int_equal(d->ndata[2] + d->ndata[3], 40);
	assert_true(d->msgs > 40);
	/*
	 * Templates at start, then every 5 messages, and with the final
	 * statistics (a message that starts with only a tunnel template is
	 * not one of those).
	 */
	for (m = 0; m < cap.n; m++)
		if (g16(cap.msg[m] + 16) == 2 && g16(cap.msg[m] + 20) == SF_IPFIX_TID_V4)
			with_tpl++;
	assert_int_equal(with_tpl, 1 + (cap.n - 2) / 5 + 1);
	assert_int_equal(d->nstats, with_tpl);
	/* Last statistics: messages and records before it, packets seen, dropped. */
	assert_int_equal(d->stats[0], cap.n - 1);
	assert_int_equal(d->stats[2], 1234);
	assert_int_equal(d->stats[3], 7);
	assert_int_equal(st.messages, cap.n);
	assert_int_equal(st.records, 440);
	assert_int_equal(st.messages_lost, 0);

	/* A refused send is counted, never retried or waited for. */
	x = open_capture(SF_IPFIX_BIFLOW, 1500, 0);
	cap.fail = -11;	/* EAGAIN */
	make_record(&r, 0, 0);
	sf_ipfix_write_record(x, &r);
	sf_ipfix_close(x, &st);
	assert_int_equal(st.messages_lost, st.messages);
	assert_int_equal(st.records_lost, 1);
	assert_int_equal(st.last_error, 11);
	free(d);
}

/*
 * The exporter from the configuration: destinations parsed there (IPv4 and
 * IPv6), messages on a real socket, counters and the report line.
 */
static void
test_exporter_from_config(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	struct sf_exporter_stats st;
	struct sf_flow_record r;
	struct sf_config cfg;
	char err[512], spec[64], *text = NULL;
	uint8_t buf[2048];
	size_t len = 0;
	void *x = NULL;
	FILE *f;
	int fd;

	(void)state;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);

	sf_config_defaults(&cfg);
	snprintf(spec, sizeof(spec), "127.0.0.1:%u [::1]:9", ntohs(sin.sin_port));
	assert_int_equal(sf_config_set(&cfg, "export.ipfix", spec, err, sizeof(err)), 0);
	assert_int_equal(sf_exporter_ipfix.open(&cfg, &x, err, sizeof(err)), 0);
	assert_non_null(x);
	make_record(&r, 0, 1);
	sf_exporter_ipfix.record(x, &r);
	make_record(&r, 1, 2);
	sf_exporter_ipfix.record(x, &r);
	/* [::1]:9 may refuse: a warning then, never an error. */
	assert_true(sf_exporter_ipfix.close(x, err, sizeof(err)) >= 0);
	sf_exporter_ipfix.stats(x, &st);
	assert_int_equal(st.written, 2);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	sf_exporter_ipfix.report(x, f);
	fclose(f);
	assert_non_null(strstr(text, "export: ipfix to 2 collectors: 2 messages, 2 records, "));
	free(text);
	sf_exporter_ipfix.free(x);

	/* The first message: templates and both records, version 10. */
	assert_true(recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 16);
	assert_int_equal(g16(buf), 10);
	close(fd);
}


/* TCP health of an analysed flow: every field set, values past 32 bits where they may be. */
static void
make_tcp(struct sf_flow_record *r)
{
	struct sf_flow_tcp *t = &r->tcp;

	t->flags = SF_FLOW_TCP_VALID | SF_FLOW_TCP_RTT;
	t->rtt_server_ns = 12345678901ULL;
	t->rtt_client_ns = 2000;
	t->retrans_packets[0] = 3;
	t->retrans_packets[1] = 4;
	t->retrans_bytes[0] = 5000000000ULL;
	t->retrans_bytes[1] = 1500;
	t->ooo_packets[0] = 5;
	t->ooo_packets[1] = 6;
	t->dup_acks[0] = 7;
	t->dup_acks[1] = 8;
	t->zero_windows[0] = 9;
	t->zero_windows[1] = 10;
	t->mss[0] = 1460;
	t->mss[1] = 1380;
	t->wscale[0] = 7;
	t->wscale[1] = SF_FLOW_TCP_NO_WSCALE;
	t->opts[0] = SF_FLOW_TCP_SYN | SF_FLOW_TCP_SACK | SF_FLOW_TCP_TS;
	t->opts[1] = SF_FLOW_TCP_SYN | SF_FLOW_TCP_SACK;
	t->init_flags[0] = 0x02;
	t->init_flags[1] = 0x12;
	t->flag_packets[0][1] = 1;	/* SYN */
	t->flag_packets[1][1] = 1;
	t->flag_packets[0][0] = 1;	/* FIN */
	t->flag_packets[0][4] = 40;	/* ACK */
	t->flag_packets[1][4] = 41;
	t->conn_state = SF_ZEEK_SF;
	memcpy(t->history, "ShADadFf", 9);
}

#define PEN SF_IPFIX_PEN
#define REV(ie) ((uint16_t)((ie) | SF_IE_SF_REVERSE))

/*
 * Analysed TCP flows: their own templates (the plain one and the TCP
 * health), IANA tcpWindowScale and spanflow's elements, reverse ones in
 * biflow; absent values as documented; records without TCP health keep the
 * plain templates.
 */
static void
test_tcp_values(void **state)
{
	struct sf_flow_record r6, r4, plain;
	struct decoded *d = calloc(1, sizeof(*d));
	struct sf_ipfix *x;
	const uint8_t *p;
	unsigned int k;

	(void)state;
	x = open_capture(SF_IPFIX_BIFLOW, 1500, 0);
	make_record(&r6, 1, 0);
	make_tcp(&r6);
	/* IPv4, no handshake RTT, no SYN from the responder */
	make_record(&r4, 0, 1);
	make_tcp(&r4);
	r4.tcp.flags = SF_FLOW_TCP_VALID;
	r4.tcp.opts[1] = 0;
	r4.tcp.mss[1] = 0;
	memset(r4.tcp.history, 0, sizeof(r4.tcp.history));
	make_record(&plain, 0, 2);
	sf_ipfix_write_record(x, &r6);
	sf_ipfix_write_record(x, &r4);
	sf_ipfix_write_record(x, &plain);
	sf_ipfix_close(x, NULL);
	decode_all(d, 77, 1500 - 28);
	assert_int_equal(d->ndata[0], 1);
	assert_int_equal(d->ndata[4], 1);
	assert_int_equal(d->ndata[5], 1);
	/* The TCP templates: the plain one, then 36 TCP elements, the history last. */
	assert_int_equal(d->nt[4], d->nt[0] + 36);
	assert_int_equal(d->nt[5], d->nt[1] + 36);
	assert_int_equal(d->t[5][d->nt[5] - 1].id, SF_IE_SF_HISTORY);
	assert_int_equal(d->t[5][d->nt[5] - 1].len, 0xffff);
	for (k = 0; k < d->nt[0]; k++)
		assert_memory_equal(&d->t[4][k], &d->t[0][k], sizeof(d->t[0][k]));
	assert_int_equal(sf_ipfix_record_len(6, SF_IPFIX_BIFLOW, false, true, false, false),
			sf_ipfix_record_len(6, SF_IPFIX_BIFLOW, false, false, false, false) +
			2 * 8 + 2 * (4 + 8 + 4 + 4 + 4 + 1 + 2 + 2 + 1 + 1 + 6 * 4) + 1 + 32);
	/* The type records of the TCP elements, 13 and 9 reverse, once; no tunnel ones. */
	assert_int_equal(d->ntypes, 22);
	assert_int_equal(d->nrevtypes, 9);

	p = d->data[5][0];
	assert_int_equal(g16(p + field_off(d, 5, 7, 0)), 443);
	assert_int_equal(g64(p + field_off(d, 5, SF_IE_SF_RTT_SERVER, PEN)), 12345678901ULL);
	assert_int_equal(g64(p + field_off(d, 5, SF_IE_SF_RTT_CLIENT, PEN)), 2000);
	assert_int_equal(field_off(d, 5, REV(SF_IE_SF_RTT_SERVER), PEN), -1);
	assert_int_equal(g32(p + field_off(d, 5, SF_IE_SF_RETRANS_PACKETS, PEN)), 3);
	assert_int_equal(g32(p + field_off(d, 5, REV(SF_IE_SF_RETRANS_PACKETS), PEN)), 4);
	assert_int_equal(g64(p + field_off(d, 5, SF_IE_SF_RETRANS_OCTETS, PEN)), 5000000000ULL);
	assert_int_equal(g64(p + field_off(d, 5, REV(SF_IE_SF_RETRANS_OCTETS), PEN)), 1500);
	assert_int_equal(g32(p + field_off(d, 5, SF_IE_SF_OOO_PACKETS, PEN)), 5);
	assert_int_equal(g32(p + field_off(d, 5, REV(SF_IE_SF_OOO_PACKETS), PEN)), 6);
	assert_int_equal(g32(p + field_off(d, 5, SF_IE_SF_DUP_ACKS, PEN)), 7);
	assert_int_equal(g32(p + field_off(d, 5, REV(SF_IE_SF_DUP_ACKS), PEN)), 8);
	assert_int_equal(g32(p + field_off(d, 5, SF_IE_SF_ZERO_WINDOWS, PEN)), 9);
	assert_int_equal(g32(p + field_off(d, 5, REV(SF_IE_SF_ZERO_WINDOWS), PEN)), 10);
	assert_int_equal(p[field_off(d, 5, SF_IE_SF_TCP_INIT_FLAGS, PEN)], 0x02);
	assert_int_equal(p[field_off(d, 5, REV(SF_IE_SF_TCP_INIT_FLAGS), PEN)], 0x12);
	assert_int_equal(g16(p + field_off(d, 5, SF_IE_SF_SYN_MSS, PEN)), 1460);
	assert_int_equal(g16(p + field_off(d, 5, REV(SF_IE_SF_SYN_MSS), PEN)), 1380);
	/* tcpWindowScale (IANA 238), its reverse under PEN 29305; none: 0xffff */
	assert_int_equal(g16(p + field_off(d, 5, 238, 0)), 7);
	assert_int_equal(g16(p + field_off(d, 5, 238, SF_IPFIX_PEN_REVERSE)), 0xffff);
	assert_int_equal(p[field_off(d, 5, SF_IE_SF_SYN_SACK, PEN)], 1);
	assert_int_equal(p[field_off(d, 5, REV(SF_IE_SF_SYN_SACK), PEN)], 1);
	assert_int_equal(p[field_off(d, 5, SF_IE_SF_SYN_TS, PEN)], 1);
	assert_int_equal(p[field_off(d, 5, REV(SF_IE_SF_SYN_TS), PEN)], 0);
	/* Packets per flag: IANA tcpSynTotalCount (218) ... tcpUrgTotalCount (223), 4 bytes. */
	assert_int_equal(g32(p + field_off(d, 5, 218, 0)), 1);
	assert_int_equal(g32(p + field_off(d, 5, 218, SF_IPFIX_PEN_REVERSE)), 1);
	assert_int_equal(g32(p + field_off(d, 5, 219, 0)), 1);
	assert_int_equal(g32(p + field_off(d, 5, 222, 0)), 40);
	assert_int_equal(g32(p + field_off(d, 5, 222, SF_IPFIX_PEN_REVERSE)), 41);
	assert_int_equal(g32(p + field_off(d, 5, 223, SF_IPFIX_PEN_REVERSE)), 0);
	assert_int_equal(d->t[5][(unsigned int)field_index(d, 5, 218, 0)].len, 4);
	/* Zeek's conn_state (SF = 3) and history: a length octet and the letters. */
	assert_int_equal(p[field_off(d, 5, SF_IE_SF_CONN_STATE, PEN)], SF_ZEEK_SF);
	assert_int_equal(p[field_off(d, 5, SF_IE_SF_HISTORY, PEN)], 8);
	assert_memory_equal(p + field_off(d, 5, SF_IE_SF_HISTORY, PEN) + 1, "ShADadFf", 8);

	/* Absent: RTT 0, MSS 0, window scale 0xffff, SYN options 0xff. */
	p = d->data[4][0];
	assert_int_equal(g64(p + field_off(d, 4, SF_IE_SF_RTT_SERVER, PEN)), 0);
	assert_int_equal(g64(p + field_off(d, 4, SF_IE_SF_RTT_CLIENT, PEN)), 0);
	assert_int_equal(g16(p + field_off(d, 4, SF_IE_SF_SYN_MSS, PEN)), 1460);
	assert_int_equal(g16(p + field_off(d, 4, REV(SF_IE_SF_SYN_MSS), PEN)), 0);
	assert_int_equal(g16(p + field_off(d, 4, 238, SF_IPFIX_PEN_REVERSE)), 0xffff);
	assert_int_equal(p[field_off(d, 4, REV(SF_IE_SF_SYN_SACK), PEN)], 0xff);
	assert_int_equal(p[field_off(d, 4, REV(SF_IE_SF_SYN_TS), PEN)], 0xff);
	assert_int_equal(g32(p + field_off(d, 4, SF_IE_SF_RETRANS_PACKETS, PEN)), 3);
	/* No letter yet: an empty text. */
	assert_int_equal(p[field_off(d, 4, SF_IE_SF_HISTORY, PEN)], 0);
	free(d);
}

/* Uniflow: the responder's record carries its TCP health as forward elements. */
static void
test_tcp_uniflow(void **state)
{
	struct sf_flow_record r;
	struct decoded *d = calloc(1, sizeof(*d));
	struct sf_ipfix *x;
	const uint8_t *a, *b;

	(void)state;
	x = open_capture(SF_IPFIX_UNIFLOW, 1500, 0);
	make_record(&r, 1, 0);
	make_tcp(&r);
	sf_ipfix_write_record(x, &r);
	sf_ipfix_close(x, NULL);
	decode_all(d, 77, 1500 - 28);
	assert_int_equal(d->ndata[5], 2);
	assert_int_equal(d->nt[5], d->nt[1] + 20);
	assert_int_equal(field_off(d, 5, REV(SF_IE_SF_RETRANS_PACKETS), PEN), -1);
	assert_int_equal(field_off(d, 5, 238, SF_IPFIX_PEN_REVERSE), -1);
	/* Only the elements sent are described: no reverse ones. */
	assert_int_equal(d->ntypes, 13);
	assert_int_equal(d->nrevtypes, 0);
	a = d->data[5][0];
	b = d->data[5][1];
	assert_int_equal(g16(a + field_off(d, 5, 7, 0)), 443);
	assert_int_equal(g16(b + field_off(d, 5, 11, 0)), 443);
	assert_int_equal(g32(a + field_off(d, 5, SF_IE_SF_RETRANS_PACKETS, PEN)), 3);
	assert_int_equal(g32(b + field_off(d, 5, SF_IE_SF_RETRANS_PACKETS, PEN)), 4);
	assert_int_equal(g64(b + field_off(d, 5, SF_IE_SF_RETRANS_OCTETS, PEN)), 1500);
	assert_int_equal(g32(b + field_off(d, 5, SF_IE_SF_OOO_PACKETS, PEN)), 6);
	assert_int_equal(g32(b + field_off(d, 5, SF_IE_SF_DUP_ACKS, PEN)), 8);
	assert_int_equal(g32(b + field_off(d, 5, SF_IE_SF_ZERO_WINDOWS, PEN)), 10);
	assert_int_equal(b[field_off(d, 5, SF_IE_SF_TCP_INIT_FLAGS, PEN)], 0x12);
	assert_int_equal(g16(b + field_off(d, 5, SF_IE_SF_SYN_MSS, PEN)), 1380);
	assert_int_equal(g16(a + field_off(d, 5, 238, 0)), 7);
	assert_int_equal(g16(b + field_off(d, 5, 238, 0)), 0xffff);
	assert_int_equal(b[field_off(d, 5, SF_IE_SF_SYN_TS, PEN)], 0);
	/* The handshake RTTs are the connection's: the same in both. */
	assert_int_equal(g64(a + field_off(d, 5, SF_IE_SF_RTT_SERVER, PEN)), 12345678901ULL);
	assert_int_equal(g64(b + field_off(d, 5, SF_IE_SF_RTT_SERVER, PEN)), 12345678901ULL);
	assert_int_equal(g64(b + field_off(d, 5, SF_IE_SF_RTT_CLIENT, PEN)), 2000);
	free(d);
}

/*
 * The largest records (IPv6, tunnelled, TCP health, sampled) and the type
 * records of both groups in 576-byte messages, templates every 10 messages:
 * nothing passes the limit, every record arrives in its template.
 */
static void
test_tcp_small_messages(void **state)
{
	struct sf_flow_record r;
	struct decoded *d = calloc(1, sizeof(*d));
	struct sf_ipfix_stats st;
	struct sf_ipfix *x;
	unsigned int i, v;

	(void)state;
	x = open_sampled(SF_IPFIX_BIFLOW, 576, 10, SF_SAMPLING_COUNT);
	for (i = 0; i < 120; i++) {
		make_record(&r, (int)(i % 2), i);
		if (i % 3 != 2)
			make_tcp(&r);
		if (i % 4 < 2) {
			r.tun.encaps = UINT32_C(1) << SF_ENCAP_VXLAN;
			r.tun.outer_ipver = 6;
		}
		sf_ipfix_write_record(x, &r);
	}
	sf_ipfix_close(x, &st);
	assert_true(cap.n < MAX_MSGS);
	decode_all(d, 77, 576 - 28);
	for (i = 0, v = 0; v < NTPL; v++)
		i += d->ndata[v];
	assert_int_equal(i, 120);
	assert_int_equal(d->ndata[4] + d->ndata[5] + d->ndata[6] + d->ndata[7], 80);
	assert_int_equal(d->ndata[7], 20);
	assert_int_equal(st.records, 120);
	/* Each group whole each time it is sent (8 tunnel, 22 TCP records), more than once. */
	assert_true(d->ntuntypes >= 16 && d->ntuntypes % 8 == 0);
	assert_true(d->ntypes - d->ntuntypes >= 44 && (d->ntypes - d->ntuntypes) % 22 == 0);
	assert_int_equal(d->nrevtypes * 22, (d->ntypes - d->ntuntypes) * 9);

	/*
	 * Templates in every message: a record that does not fit where it was
	 * to go starts a message that begins with them, and still fits.
	 */
	x = open_sampled(SF_IPFIX_BIFLOW, 576, 1, SF_SAMPLING_COUNT);
	for (i = 0; i < 30; i++) {
		make_record(&r, (int)(i % 3 != 0), i);
		if (i % 3 != 0) {
			make_tcp(&r);
			r.tun.encaps = UINT32_C(1) << SF_ENCAP_VXLAN;
			r.tun.outer_ipver = 6;
		}
		sf_ipfix_write_record(x, &r);
	}
	sf_ipfix_close(x, &st);
	assert_true(cap.n < MAX_MSGS);
	decode_all(d, 77, 576 - 28);
	assert_int_equal(d->ndata[0], 10);
	assert_int_equal(d->ndata[7], 20);
	free(d);
}

/* A text into a field of n bytes: what fits, NUL-terminated. */
static void
set_text(char *dst, size_t n, const char *s)
{
	size_t l = strlen(s);

	l = l < n - 1 ? l : n - 1;
	memcpy(dst, s, l);
	dst[l] = '\0';
}

/* A record with application metadata of `kind`; texts as given. */
static void
make_app(struct sf_flow_record *r, enum sf_app_kind kind, const char *name, const char *ua)
{
	struct sf_flow_app *a = &r->app;

	memset(a, 0, sizeof(*a));
	a->kind = (uint8_t)kind;
	set_text(a->name, sizeof(a->name), name);
	switch (kind) {
	case SF_APP_QUIC:
		a->quic_version = 0x6b3343cf;
		/* fall through */
	case SF_APP_TLS:
		a->tls_version = 0x0304;
		snprintf(a->alpn, sizeof(a->alpn), "h2");
		snprintf(a->ja3, sizeof(a->ja3), "%s", "0123456789abcdef0123456789abcdef");
		snprintf(a->ja4, sizeof(a->ja4), "%s", "t13d1516h2_8daaf6152771_e5627efa2ab1");
		break;
	case SF_APP_DNS:
		a->flags = SF_FLOW_APP_QTYPE | SF_FLOW_APP_RCODE;
		a->dns_qtype = 28;
		a->dns_rcode = 3;
		break;
	case SF_APP_HTTP:
		snprintf(a->method, sizeof(a->method), "GET");
		set_text(a->ua, sizeof(a->ua), ua);
		break;
	default:
		break;
	}
}

static const uint16_t app_ids[] = {
	SF_IE_SF_APP_KIND, SF_IE_SF_TLS_SERVER_NAME, SF_IE_SF_TLS_ALPN, SF_IE_SF_TLS_VERSION,
	SF_IE_SF_TLS_JA3, SF_IE_SF_TLS_JA4, SF_IE_SF_QUIC_VERSION, SF_IE_SF_DNS_QUERY_NAME,
	SF_IE_SF_DNS_QUERY_TYPE, SF_IE_SF_DNS_RESPONSE_CODE, SF_IE_SF_HTTP_HOST,
	SF_IE_SF_HTTP_METHOD, SF_IE_SF_HTTP_USER_AGENT,
};

/*
 * Every combination of IPv4/IPv6, plain/tunnelled, TCP health or not and
 * application metadata or not has its template: the app ones (267..274)
 * are their twin without app byte for byte, then the 13 app elements,
 * spanflow's ids 40..52 in the field list's order, described once by RFC
 * 5610 type records with their names and types.
 */
static void
test_app_templates(void **state)
{
	static const uint16_t app_lens[] = { 1, 0xffff, 0xffff, 2, 0xffff, 0xffff, 4, 0xffff, 2,
		1, 0xffff, 0xffff, 0xffff };
	static const char *const names[] = { "spanflowAppKind", "spanflowTlsServerName",
		"spanflowTlsAlpn", "spanflowTlsVersion", "spanflowTlsJa3", "spanflowTlsJa4",
		"spanflowQuicVersion", "spanflowDnsQueryName", "spanflowDnsQueryType",
		"spanflowDnsResponseCode", "spanflowHttpHost", "spanflowHttpMethod",
		"spanflowHttpUserAgent" };
	struct sf_flow_record r;
	struct decoded *d = calloc(1, sizeof(*d));
	struct sf_ipfix *x;
	unsigned int v, k, i;

	(void)state;
	x = open_capture(SF_IPFIX_BIFLOW, 1500, 0);
	for (v = 0; v < 16; v++) {
		make_record(&r, (int)(v & 1), v);
		if (v & 2) {
			r.tun.encaps = UINT32_C(1) << SF_ENCAP_VXLAN;
			r.tun.outer_ipver = 4;
		}
		if (v & 4)
			make_tcp(&r);
		if (v & 8)
			make_app(&r, SF_APP_TLS, "example.org", NULL);
		sf_ipfix_write_record(x, &r);
	}
	sf_ipfix_close(x, NULL);
	decode_all(d, 77, 1500 - 28);
	for (v = 0; v < 16; v++)
		assert_int_equal(d->ndata[v], 1);
	assert_int_equal(tid_index(SF_IPFIX_TID_V6_TUN_TCP_APP), 15);
	/* Fields (README): 32 plain, 43 tunnelled, 68 TCP, 79 both, in biflow mode. */
	assert_int_equal(d->nt[8], 32);
	assert_int_equal(d->nt[10], 43);
	assert_int_equal(d->nt[12], 68);
	assert_int_equal(d->nt[15], 79);
	assert_int_equal(SF_IPFIX_TID_V6_TUN_TCP_APP, 274);
	for (v = 0; v < 8; v++) {
		unsigned int a = v + 8;

		assert_int_equal(d->nt[a], d->nt[v] + 13);
		for (k = 0; k < d->nt[v]; k++)
			assert_memory_equal(&d->t[a][k], &d->t[v][k], sizeof(d->t[v][k]));
		for (i = 0; i < 13; i++) {
			assert_int_equal(d->t[a][d->nt[v] + i].id, app_ids[i]);
			assert_int_equal(d->t[a][d->nt[v] + i].id, 40 + i);
			assert_int_equal(d->t[a][d->nt[v] + i].pen, SF_IPFIX_PEN);
			assert_int_equal(d->t[a][d->nt[v] + i].len, app_lens[i]);
		}
		/* The templates without app have none of them. */
		for (i = 0; i < 13; i++)
			assert_int_equal(field_index(d, v, app_ids[i], SF_IPFIX_PEN), -1);
	}
	/* 13 type records, no reverse ones; 8 tunnel, 22 TCP as before. */
	assert_int_equal(d->napptypes, 13);
	assert_int_equal(d->ntypes, 8 + 22 + 13);
	for (i = 0; i < 13; i++)
		assert_string_equal(d->appnames[i], names[i]);
	/* The longest app record: its texts at 255 bytes (3 length octets). */
	assert_int_equal(sf_ipfix_record_len(6, SF_IPFIX_BIFLOW, true, true, true, false),
			sf_ipfix_record_len(6, SF_IPFIX_BIFLOW, true, true, false, false) +
			1 + 2 + 4 + 2 + 1 + 8 * (3 + 255));
	free(d);
}

/*
 * The values of each kind, absent ones as documented (an empty text,
 * version, QUIC version and query type 0, rcode 255), texts of 254 and 255
 * bytes either side of the length octet's limit, and uniflow's two records
 * carrying the same metadata.
 */
static void
test_app_values(void **state)
{
	struct sf_flow_record r[5];
	struct decoded *d = calloc(1, sizeof(*d));
	char host[300], ua[300];
	struct sf_ipfix_stats st;
	struct sf_ipfix *x;
	const uint8_t *p;
	unsigned int i;

	(void)state;
	memset(host, 'h', 254);
	host[254] = '\0';
	memset(ua, 'u', 255);
	ua[255] = '\0';
	x = open_capture(SF_IPFIX_BIFLOW, 1500, 0);
	for (i = 0; i < 5; i++)
		make_record(&r[i], 0, i);
	make_app(&r[0], SF_APP_TLS, "www.example.com", NULL);
	make_app(&r[1], SF_APP_QUIC, "quic.example", NULL);
	make_app(&r[2], SF_APP_DNS, "a.example.net", NULL);
	make_app(&r[3], SF_APP_DNS, "b.example.net", NULL);
	r[3].app.flags = SF_FLOW_APP_QTYPE;	/* no response */
	make_app(&r[4], SF_APP_HTTP, host, ua);
	for (i = 0; i < 5; i++)
		sf_ipfix_write_record(x, &r[i]);
	sf_ipfix_close(x, &st);
	assert_int_equal(st.texts_cut, 0);
	decode_all(d, 77, 1500 - 28);
	assert_int_equal(d->ndata[8], 5);

	p = d->data[8][0];	/* TLS */
	assert_int_equal(*field_ptr(d, 8, p, SF_IE_SF_APP_KIND, PEN), 1);
	assert_string_equal(field_text(d, 8, p, SF_IE_SF_TLS_SERVER_NAME), "www.example.com");
	assert_string_equal(field_text(d, 8, p, SF_IE_SF_TLS_ALPN), "h2");
	assert_int_equal(g16(field_ptr(d, 8, p, SF_IE_SF_TLS_VERSION, PEN)), 0x0304);
	assert_string_equal(field_text(d, 8, p, SF_IE_SF_TLS_JA3),
			"0123456789abcdef0123456789abcdef");
	assert_string_equal(field_text(d, 8, p, SF_IE_SF_TLS_JA4),
			"t13d1516h2_8daaf6152771_e5627efa2ab1");
	assert_int_equal(g32(field_ptr(d, 8, p, SF_IE_SF_QUIC_VERSION, PEN)), 0);
	assert_string_equal(field_text(d, 8, p, SF_IE_SF_DNS_QUERY_NAME), "");
	assert_int_equal(g16(field_ptr(d, 8, p, SF_IE_SF_DNS_QUERY_TYPE, PEN)), 0);
	assert_int_equal(*field_ptr(d, 8, p, SF_IE_SF_DNS_RESPONSE_CODE, PEN), 255);
	assert_string_equal(field_text(d, 8, p, SF_IE_SF_HTTP_HOST), "");
	assert_string_equal(field_text(d, 8, p, SF_IE_SF_HTTP_METHOD), "");
	assert_string_equal(field_text(d, 8, p, SF_IE_SF_HTTP_USER_AGENT), "");

	p = d->data[8][1];	/* QUIC: the TLS fields and its version */
	assert_int_equal(*field_ptr(d, 8, p, SF_IE_SF_APP_KIND, PEN), 2);
	assert_string_equal(field_text(d, 8, p, SF_IE_SF_TLS_SERVER_NAME), "quic.example");
	assert_int_equal(g32(field_ptr(d, 8, p, SF_IE_SF_QUIC_VERSION, PEN)), 0x6b3343cf);

	p = d->data[8][2];	/* DNS: the name is the query's, not the SNI's */
	assert_int_equal(*field_ptr(d, 8, p, SF_IE_SF_APP_KIND, PEN), 3);
	assert_string_equal(field_text(d, 8, p, SF_IE_SF_TLS_SERVER_NAME), "");
	assert_int_equal(g16(field_ptr(d, 8, p, SF_IE_SF_TLS_VERSION, PEN)), 0);
	assert_string_equal(field_text(d, 8, p, SF_IE_SF_DNS_QUERY_NAME), "a.example.net");
	assert_int_equal(g16(field_ptr(d, 8, p, SF_IE_SF_DNS_QUERY_TYPE, PEN)), 28);
	assert_int_equal(*field_ptr(d, 8, p, SF_IE_SF_DNS_RESPONSE_CODE, PEN), 3);
	p = d->data[8][3];	/* no response: rcode 255 */
	assert_int_equal(*field_ptr(d, 8, p, SF_IE_SF_DNS_RESPONSE_CODE, PEN), 255);
	assert_int_equal(g16(field_ptr(d, 8, p, SF_IE_SF_DNS_QUERY_TYPE, PEN)), 28);

	p = d->data[8][4];	/* HTTP: 254 bytes in one length octet, 255 in three */
	assert_int_equal(*field_ptr(d, 8, p, SF_IE_SF_APP_KIND, PEN), 4);
	assert_int_equal(*field_ptr(d, 8, p, SF_IE_SF_HTTP_HOST, PEN), 254);
	assert_string_equal(field_text(d, 8, p, SF_IE_SF_HTTP_HOST), host);
	assert_memory_equal(field_ptr(d, 8, p, SF_IE_SF_HTTP_USER_AGENT, PEN),
			((uint8_t[]){ 255, 0, 255, 'u' }), 4);
	assert_string_equal(field_text(d, 8, p, SF_IE_SF_HTTP_USER_AGENT), ua);
	assert_string_equal(field_text(d, 8, p, SF_IE_SF_HTTP_METHOD), "GET");
	assert_string_equal(field_text(d, 8, p, SF_IE_SF_TLS_ALPN), "");

	/* Uniflow: both directions' records carry the metadata, no reverse elements. */
	x = open_capture(SF_IPFIX_UNIFLOW, 1500, 0);
	sf_ipfix_write_record(x, &r[4]);
	sf_ipfix_close(x, NULL);
	decode_all(d, 77, 1500 - 28);
	assert_int_equal(d->ndata[8], 2);
	assert_int_equal(d->nt[8], d->nt[0] + 13);
	for (i = 0; i < 2; i++) {
		assert_string_equal(field_text(d, 8, d->data[8][i], SF_IE_SF_HTTP_USER_AGENT), ua);
		assert_string_equal(field_text(d, 8, d->data[8][i], SF_IE_SF_HTTP_HOST), host);
	}
	assert_int_equal(d->napptypes, 13);
	assert_int_equal(d->nrevtypes, 0);
	free(d);
}

/* Valid UTF-8 throughout (no character cut in two). */
static bool
utf8_whole(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned int more = 0;

	for (; *p != '\0'; p++) {
		if (more != 0) {
			if ((*p & 0xc0) != 0x80)
				return false;
			more--;
		} else if (*p >= 0xf0) {
			more = 3;
		} else if (*p >= 0xe0) {
			more = 2;
		} else if (*p >= 0xc0) {
			more = 1;
		} else if (*p >= 0x80) {
			return false;
		}
	}
	return more == 0;
}

/*
 * 576-byte messages: records whose texts do not fit have their longest
 * texts cut to a common length, at a character boundary, and are counted;
 * short texts stay whole; the app templates too long for a message
 * (biflow, tunnelled, TCP health) are not sent, their records go in the
 * templates without app, counted. Nothing passes the limit.
 */
static void
test_app_small_messages(void **state)
{
	struct sf_flow_record r;
	struct decoded *d = calloc(1, sizeof(*d));
	char host[300], ua[300], *text = NULL, h[300];
	struct sf_ipfix_stats st;
	struct sf_ipfix *x;
	const uint8_t *p;
	size_t len = 0, nh, nu;
	unsigned int i;
	FILE *f;

	(void)state;
	memset(host, 'h', 255);
	host[255] = '\0';
	/* "é" is two bytes: a cut at an odd length would split one */
	for (i = 0; i + 2 <= 254; i += 2)
		memcpy(ua + i, "\xc3\xa9", 2);
	ua[254] = '\0';
	x = open_sampled(SF_IPFIX_BIFLOW, 576, 5, SF_SAMPLING_COUNT);
	for (i = 0; i < 12; i++) {
		make_record(&r, 1, i);
		make_tcp(&r);
		make_app(&r, SF_APP_HTTP, host, ua);
		if (i % 3 == 2) {
			r.tun.encaps = UINT32_C(1) << SF_ENCAP_VXLAN;
			r.tun.outer_ipver = 6;
		}
		sf_ipfix_write_record(x, &r);
	}
	/* Short texts fit as they are. */
	make_record(&r, 0, 99);
	make_app(&r, SF_APP_DNS, "short.example", NULL);
	sf_ipfix_write_record(x, &r);
	sf_ipfix_close(x, &st);
	decode_all(d, 77, 576 - 48 + 20);
	assert_int_equal(d->ndata[13], 8);	/* IPv6, TCP, app */
	assert_int_equal(d->ndata[7], 4);	/* IPv6, tunnel, TCP: no app template */
	assert_int_equal(d->nt[15], 0);
	assert_int_equal(d->ndata[8], 1);
	assert_int_equal(st.texts_cut, 8);
	assert_int_equal(st.apps_left_out, 4);
	assert_int_equal(st.records, 13);
	for (i = 0; i < 8; i++) {
		p = d->data[13][i];
		snprintf(h, sizeof(h), "%s", field_text(d, 13, p, SF_IE_SF_HTTP_HOST));
		nh = strlen(h);
		nu = strlen(field_text(d, 13, p, SF_IE_SF_HTTP_USER_AGENT));
		/* Both cut, to the same length but for a character's tail. */
		assert_true(nh > 50 && nh < 255);
		assert_true(nu <= nh && nu + 1 >= nh);
		assert_memory_equal(h, host, nh);
		assert_memory_equal(field_text(d, 13, p, SF_IE_SF_HTTP_USER_AGENT), ua, nu);
		assert_true(utf8_whole(field_text(d, 13, p, SF_IE_SF_HTTP_USER_AGENT)));
		assert_string_equal(field_text(d, 13, p, SF_IE_SF_HTTP_METHOD), "GET");
	}
	assert_string_equal(field_text(d, 8, d->data[8][0], SF_IE_SF_DNS_QUERY_NAME),
			"short.example");
	free(d);

	/* The report says so. */
	x = open_capture(SF_IPFIX_BIFLOW, 576, 0);
	make_record(&r, 0, 1);
	make_app(&r, SF_APP_HTTP, host, ua);
	sf_ipfix_write_record(x, &r);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	sf_exporter_ipfix.report(x, f);
	fclose(f);
	assert_non_null(strstr(text, "; 1 records with texts cut to fit export.mtu 576\n"));
	free(text);
	sf_ipfix_close(x, NULL);
}

/* Flow features of every way, each value distinct; sizes past 16 bits, gaps below 1 ms. */
static void
make_feat(struct sf_flow_record *r)
{
	struct sf_flow_feat *f = &r->feat;
	unsigned int w;

	for (w = 0; w < SF_FEAT_WAYS; w++) {
		f->packets[w] = 10 + w;
		f->ps_min[w] = 40 + w;
		f->ps_max[w] = 70000 + w;
		f->ps_mean[w] = 333.3 + w / 3.0;
		f->ps_stddev[w] = 0.1 * (w + 1);
		f->piat_min_ms[w] = 1e-6 * (w + 1);
		f->piat_mean_ms[w] = 1.0 / 3.0 + w;
		f->piat_stddev_ms[w] = 3.141592653589793 * (w + 1);
		f->piat_max_ms[w] = 4294967296.5 + w;
	}
}

#define RPEN SF_IPFIX_PEN_REVERSE

/*
 * The feature elements at the end of a feature template, biflow: sizes of
 * both ways, src2dst, dst2src (reverse elements), then gaps the same way;
 * src2dst's min/max size IANA's minimumIpTotalLength/maximumIpTotalLength.
 */
static const struct tfield feat_bi[24] = {
	{ 22, 4, PEN }, { 23, 8, PEN }, { 24, 8, PEN }, { 25, 4, PEN },
	{ 25, 4, 0 }, { 30, 8, PEN }, { 31, 8, PEN }, { 26, 4, 0 },
	{ 25, 4, RPEN }, { REV(30), 8, PEN }, { REV(31), 8, PEN }, { 26, 4, RPEN },
	{ 26, 8, PEN }, { 27, 8, PEN }, { 28, 8, PEN }, { 29, 8, PEN },
	{ 32, 8, PEN }, { 33, 8, PEN }, { 34, 8, PEN }, { 35, 8, PEN },
	{ REV(32), 8, PEN }, { REV(33), 8, PEN }, { REV(34), 8, PEN }, { REV(35), 8, PEN },
};

/* The same in uniflow mode: no dst2src (the other record's src2dst). */
static const struct tfield feat_uni[16] = {
	{ 22, 4, PEN }, { 23, 8, PEN }, { 24, 8, PEN }, { 25, 4, PEN },
	{ 25, 4, 0 }, { 30, 8, PEN }, { 31, 8, PEN }, { 26, 4, 0 },
	{ 26, 8, PEN }, { 27, 8, PEN }, { 28, 8, PEN }, { 29, 8, PEN },
	{ 32, 8, PEN }, { 33, 8, PEN }, { 34, 8, PEN }, { 35, 8, PEN },
};

/*
 * The value feature element k (of `ways` ways: 3 biflow, 2 uniflow) should
 * carry: an unsigned32 size, or a float64's bits.
 */
static uint64_t
feat_want(const struct sf_flow_feat *f, unsigned int k, unsigned int ways)
{
	static const unsigned int way[3] = { SF_FEAT_BIDIR, SF_FEAT_SRC2DST, SF_FEAT_DST2SRC };
	unsigned int w = way[(k / 4) % ways], stat = (k / (4 * ways)) * 4 + k % 4;
	const double *d[8] = { NULL, f->ps_mean, f->ps_stddev, NULL, f->piat_min_ms,
		f->piat_mean_ms, f->piat_stddev_ms, f->piat_max_ms };
	uint64_t bits;

	if (stat == 0)
		return f->ps_min[w];
	if (stat == 3)
		return f->ps_max[w];
	memcpy(&bits, &d[stat][w], sizeof(bits));
	return bits;
}

/* Every feature element of record rec (template v) against f. */
static void
check_feat_values(const struct decoded *d, unsigned int v, const uint8_t *rec,
		const struct sf_flow_feat *f, const struct tfield *want, unsigned int n)
{
	unsigned int k;

	for (k = 0; k < n; k++) {
		const uint8_t *p = field_ptr(d, v, rec, want[k].id, want[k].pen);

		assert_non_null(p);
		if (want[k].len == 4)
			assert_int_equal(g32(p), feat_want(f, k, n / 8));
		else
			assert_int_equal(g64(p), feat_want(f, k, n / 8));
	}
}

/* A template record's bytes (4 + 4 a field, 8 with an enterprise number). */
static unsigned int
tpl_bytes(const struct decoded *d, unsigned int v)
{
	unsigned int k, n = 4;

	for (k = 0; k < d->nt[v]; k++)
		n += d->t[v][k].pen != 0 ? 8 : 4;
	return n;
}

/* A data record's bytes (texts by their length octets). */
static size_t
rec_bytes(const struct decoded *d, unsigned int v, const uint8_t *rec)
{
	unsigned int k;
	size_t n = 0;

	for (k = 0; k < d->nt[v]; k++)
		n += field_len(d->t[v][k].len, rec + n);
	return n;
}

/*
 * Every combination of the sixteen templates and flow features or not: the
 * feature templates (275..290, 275 + IPv6 1 | tunnel 2 | TCP 4 | app 8)
 * are their twin without features byte for byte, then the 24 feature
 * elements; their records are the twin's record byte for byte, then the
 * values (float64: the double's bits). The 14 enterprise elements are
 * described once with their types, units and names, the 6 reversible
 * ones' reverses too.
 */
static void
test_feat_templates(void **state)
{
	static const char *const names[14] = { "spanflowBidirectionalMinPs",
		"spanflowBidirectionalMeanPs", "spanflowBidirectionalStddevPs",
		"spanflowBidirectionalMaxPs", "spanflowBidirectionalMinPiatMs",
		"spanflowBidirectionalMeanPiatMs", "spanflowBidirectionalStddevPiatMs",
		"spanflowBidirectionalMaxPiatMs", "spanflowMeanPs", "spanflowStddevPs",
		"spanflowMinPiatMs", "spanflowMeanPiatMs", "spanflowStddevPiatMs",
		"spanflowMaxPiatMs" };
	struct sf_flow_record r, rs[16];
	struct decoded *d = calloc(1, sizeof(*d));
	struct sf_ipfix_stats st;
	struct sf_ipfix *x;
	unsigned int v, k, i;
	char rname[64];

	(void)state;
	x = open_capture(SF_IPFIX_BIFLOW, 1500, 0);
	for (v = 0; v < NTPL; v++) {
		make_record(&r, (int)(v & 1), v & 15);
		if (v & 2) {
			r.tun.encaps = UINT32_C(1) << SF_ENCAP_VXLAN;
			r.tun.outer_ipver = 4;
		}
		if (v & 4)
			make_tcp(&r);
		if (v & 8)
			make_app(&r, SF_APP_TLS, "example.org", NULL);
		if (v & 16) {
			make_feat(&r);
			rs[v & 15] = r;
		}
		sf_ipfix_write_record(x, &r);
	}
	sf_ipfix_close(x, &st);
	assert_int_equal(st.feats_left_out, 0);
	decode_all(d, 77, 1500 - 28);
	assert_int_equal(SF_IPFIX_TID_V6_TUN_TCP_APP_FEAT, 290);
	assert_int_equal(tid_index(SF_IPFIX_TID_V4_FEAT), 16);
	assert_int_equal(tid_index(SF_IPFIX_TID_V6_FEAT), 17);
	assert_int_equal(tid_index(290), 31);
	for (v = 0; v < NTPL; v++)
		assert_int_equal(d->ndata[v], 1);
	for (v = 0; v < 16; v++) {
		unsigned int f = v + 16;

		assert_int_equal(d->nt[f], d->nt[v] + 24);
		for (k = 0; k < d->nt[v]; k++)
			assert_memory_equal(&d->t[f][k], &d->t[v][k], sizeof(d->t[v][k]));
		for (i = 0; i < 24; i++)
			assert_memory_equal(&d->t[f][d->nt[v] + i], &feat_bi[i], sizeof(*feat_bi));
		/* The templates without features have none of them. */
		for (i = 0; i < 24; i++)
			assert_int_equal(field_index(d, v, feat_bi[i].id, feat_bi[i].pen), -1);
		/* 184 bytes more: 22 elements with an enterprise number, 2 without. */
		assert_int_equal(tpl_bytes(d, f), tpl_bytes(d, v) + 184);
		/* The record: the twin's, then the features. */
		assert_int_equal(rec_bytes(d, f, d->data[f][0]),
				rec_bytes(d, v, d->data[v][0]) + 168);
		assert_memory_equal(d->data[f][0], d->data[v][0], rec_bytes(d, v, d->data[v][0]));
		check_feat_values(d, f, d->data[f][0], &rs[v].feat, feat_bi, 24);
	}
	/* Fields and bytes (README): 43 and 276 plain IPv4 ... 103 and 716 for 290. */
	assert_int_equal(d->nt[16], 43);
	assert_int_equal(tpl_bytes(d, 16), 276);
	assert_int_equal(d->nt[31], 103);
	assert_int_equal(tpl_bytes(d, 31), 716);
	assert_int_equal(sf_ipfix_record_len(6, SF_IPFIX_BIFLOW, true, true, true, true),
			sf_ipfix_record_len(6, SF_IPFIX_BIFLOW, true, true, true, false) +
			2 * 4 + 2 * 4 + 2 * 4 + 18 * 8);
	assert_int_equal(sf_ipfix_record_len(4, SF_IPFIX_UNIFLOW, false, false, false, true),
			sf_ipfix_record_len(4, SF_IPFIX_UNIFLOW, false, false, false, false) +
			2 * 4 + 2 * 4 + 12 * 8);
	/* Type records: 14 elements and 6 reverse ones, once; the others as before. */
	assert_int_equal(d->nfeattypes, 20);
	assert_int_equal(d->ntypes, 8 + 22 + 13 + 20);
	assert_int_equal(d->nrevtypes, 9 + 6);
	for (i = 0; i < 14; i++) {
		bool ps = i < 4 || i == 8 || i == 9;

		assert_int_equal(d->feat[i][0].n, 1);
		assert_string_equal(d->feat[i][0].name, names[i]);
		/* unsigned32 the min/max sizes, float64 (10) the rest; quantity; octets 2, ms 6 */
		assert_int_equal(d->feat[i][0].dt, i == 0 || i == 3 ? 3 : 10);
		assert_int_equal(d->feat[i][0].sem, 1);
		assert_int_equal(d->feat[i][0].units, ps ? 2 : 6);
		assert_int_equal(d->feat[i][1].n, i >= 8);
		if (i < 8)
			continue;
		snprintf(rname, sizeof(rname), "reverseS%s", names[i] + 1);
		assert_string_equal(d->feat[i][1].name, rname);
		assert_int_equal(d->feat[i][1].dt, 10);
		assert_int_equal(d->feat[i][1].units, d->feat[i][0].units);
	}
	free(d);
}

/*
 * A float64 on the wire: the double's bits, big-endian (RFC 7011 6.1.3);
 * a record without features keeps its template and bytes.
 */
static void
test_feat_values(void **state)
{
	struct sf_flow_record r, plain;
	struct decoded *d = calloc(1, sizeof(*d));
	struct sf_ipfix *x;
	const uint8_t *p;

	(void)state;
	x = open_capture(SF_IPFIX_BIFLOW, 1500, 0);
	make_record(&r, 0, 0);
	make_feat(&r);
	r.feat.ps_mean[SF_FEAT_BIDIR] = 0.1;
	r.feat.piat_max_ms[SF_FEAT_DST2SRC] = -0.0;
	make_record(&plain, 0, 0);
	sf_ipfix_write_record(x, &r);
	sf_ipfix_write_record(x, &plain);
	sf_ipfix_close(x, NULL);
	decode_all(d, 77, 1500 - 28);
	assert_int_equal(d->ndata[0], 1);
	assert_int_equal(d->ndata[16], 1);
	p = d->data[16][0];
	/* 0.1 is 0x3fb999999999999a */
	assert_memory_equal(p + field_off(d, 16, SF_IE_SF_BI_MEAN_PS, PEN),
			((uint8_t[]){ 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a }), 8);
	assert_memory_equal(p + field_off(d, 16, REV(SF_IE_SF_MAX_PIAT), PEN),
			((uint8_t[]){ 0x80, 0, 0, 0, 0, 0, 0, 0 }), 8);
	/* src2dst's min size in minimumIpTotalLength, dst2src's in its reverse */
	assert_int_equal(g32(p + field_off(d, 16, 25, 0)), 40);
	assert_int_equal(g32(p + field_off(d, 16, 25, RPEN)), 41);
	assert_int_equal(g32(p + field_off(d, 16, 26, 0)), 70000);
	assert_int_equal(g32(p + field_off(d, 16, 26, RPEN)), 70001);
	assert_int_equal(g32(p + field_off(d, 16, SF_IE_SF_BI_MAX_PS, PEN)), 70002);
	/* The record without features: as before, byte for byte the same as r's start. */
	assert_int_equal(rec_bytes(d, 0, d->data[0][0]),
			sf_ipfix_record_len(4, SF_IPFIX_BIFLOW, false, false, false, false));
	assert_memory_equal(d->data[0][0], p, rec_bytes(d, 0, d->data[0][0]));
	free(d);
}

/*
 * Uniflow: no reverse elements; the responder's record carries dst2src's
 * values as its src2dst (the record's source is the responder), the
 * bidirectional ones the same in both; no reverse type records.
 */
static void
test_feat_uniflow(void **state)
{
	struct sf_flow_record r, s;
	struct decoded *d = calloc(1, sizeof(*d));
	struct sf_flow_feat swapped;
	struct sf_ipfix *x;
	unsigned int w;

	(void)state;
	x = open_capture(SF_IPFIX_UNIFLOW, 1500, 0);
	make_record(&r, 1, 0);
	make_feat(&r);
	make_tcp(&r);
	sf_ipfix_write_record(x, &r);
	s = r;
	s.packets[1] = 0;	/* one direction: one record */
	sf_ipfix_write_record(x, &s);
	sf_ipfix_close(x, NULL);
	decode_all(d, 77, 1500 - 28);
	assert_int_equal(d->ndata[16 + 5], 3);
	/* IPv6 with TCP health (20 elements in uniflow mode), then the features */
	assert_int_equal(d->nt[16 + 5], d->nt[1] + 20 + 16);
	assert_memory_equal(&d->t[21][d->nt[21] - 16], feat_uni, sizeof(feat_uni));
	assert_int_equal(field_index(d, 21, 25, RPEN), -1);
	assert_int_equal(field_index(d, 21, REV(SF_IE_SF_MEAN_PS), PEN), -1);
	assert_int_equal(sf_ipfix_record_len(6, SF_IPFIX_UNIFLOW, false, true, false, true),
			sf_ipfix_record_len(6, SF_IPFIX_UNIFLOW, false, true, false, false) + 112);
	check_feat_values(d, 21, d->data[21][0], &r.feat, feat_uni, 16);
	check_feat_values(d, 21, d->data[21][2], &r.feat, feat_uni, 16);
	swapped = r.feat;
	for (w = 0; w < 2; w++) {
		swapped.packets[w] = r.feat.packets[1 - w];
		swapped.ps_min[w] = r.feat.ps_min[1 - w];
		swapped.ps_max[w] = r.feat.ps_max[1 - w];
		swapped.ps_mean[w] = r.feat.ps_mean[1 - w];
		swapped.ps_stddev[w] = r.feat.ps_stddev[1 - w];
		swapped.piat_min_ms[w] = r.feat.piat_min_ms[1 - w];
		swapped.piat_mean_ms[w] = r.feat.piat_mean_ms[1 - w];
		swapped.piat_stddev_ms[w] = r.feat.piat_stddev_ms[1 - w];
		swapped.piat_max_ms[w] = r.feat.piat_max_ms[1 - w];
	}
	check_feat_values(d, 21, d->data[21][1], &swapped, feat_uni, 16);
	/* The responder's record: dst2src's 41..70001 as src2dst's */
	assert_int_equal(g32(field_ptr(d, 21, d->data[21][1], 25, 0)), 41);
	assert_int_equal(g32(field_ptr(d, 21, d->data[21][1], 26, 0)), 70001);
	assert_int_equal(g32(field_ptr(d, 21, d->data[21][1], SF_IE_SF_BI_MIN_PS, PEN)), 42);
	assert_int_equal(d->nfeattypes, 14);
	assert_int_equal(d->nrevtypes, 0);
	free(d);
}

/*
 * 576-byte messages (IPv4 collector: 548 bytes), sampled: the biflow
 * feature templates of analysed TCP flows (279..282, 287..290: 540 bytes
 * and more) do not fit, so those records go in their template without
 * features, counted; the others (up to 460 bytes) do, with texts cut
 * beside the features where needed. An app template that does not fit
 * either (273/274) leaves both out. Uniflow's feature templates (at most
 * 504 bytes) all fit. Nothing passes the limit.
 */
static void
test_feat_small_messages(void **state)
{
	static const unsigned int fits[] = { 0, 1, 2, 3, 8, 9, 10, 11 };
	struct sf_flow_record r, want;
	struct decoded *d = calloc(1, sizeof(*d));
	char host[300], *text = NULL;
	struct sf_ipfix_stats st;
	struct sf_ipfix *x;
	unsigned int i, v;
	size_t len = 0;
	FILE *f;

	(void)state;
	memset(host, 'h', 255);
	host[255] = '\0';
	memset(&want, 0, sizeof(want));
	make_feat(&want);
	x = open_sampled(SF_IPFIX_BIFLOW, 576, 5, SF_SAMPLING_COUNT);
	for (i = 0; i < 68; i++) {
		v = i & 15;
		make_record(&r, (int)(v & 1), i);
		if (i < 64) {
			if (v & 2) {
				r.tun.encaps = UINT32_C(1) << SF_ENCAP_VXLAN;
				r.tun.outer_ipver = 6;
			}
			if (v & 4)
				make_tcp(&r);
			if (v & 8)
				make_app(&r, SF_APP_HTTP, host, host);
			make_feat(&r);
		}
		sf_ipfix_write_record(x, &r);
	}
	sf_ipfix_close(x, &st);
	assert_true(cap.n < MAX_MSGS);
	decode_all(d, 77, 576 - 28);
	assert_int_equal(st.records, 68);
	for (i = 0; i < RTE_DIM(fits); i++) {
		v = fits[i];
		assert_int_equal(d->ndata[16 + v], 4);
		check_feat_values(d, 16 + v, d->data[16 + v][3], &want.feat, feat_bi, 24);
	}
	for (v = 4; v < 8; v++) {
		assert_int_equal(d->nt[16 + v], 0);
		assert_int_equal(d->nt[16 + 8 + v], 0);
		assert_int_equal(d->ndata[8 + v], v < 6 ? 4 : 0);
	}
	/* the four without features, IPv4 and IPv6 */
	assert_int_equal(d->ndata[0], 2);
	assert_int_equal(d->ndata[1], 2);
	assert_int_equal(d->ndata[4] + d->ndata[5], 8);
	assert_int_equal(d->ndata[6] + d->ndata[7], 16);
	assert_int_equal(st.feats_left_out, 32);
	assert_int_equal(st.apps_left_out, 8);
	/* HTTP records with a 255-byte Host and User-Agent: cut in 283..286, 271/272 */
	assert_int_equal(st.texts_cut, 24);
	assert_int_equal(d->nfeattypes % 20, 0);
	assert_true(d->nfeattypes >= 20);

	/* Uniflow: every feature template fits, the longest (290) too. */
	x = open_sampled(SF_IPFIX_UNIFLOW, 576, 5, SF_SAMPLING_COUNT);
	for (i = 0; i < 8; i++) {
		make_record(&r, 1, i);
		r.tun.encaps = UINT32_C(1) << SF_ENCAP_VXLAN;
		r.tun.outer_ipver = 6;
		make_tcp(&r);
		make_app(&r, SF_APP_DNS, "a.example", NULL);
		make_feat(&r);
		sf_ipfix_write_record(x, &r);
	}
	sf_ipfix_close(x, &st);
	decode_all(d, 77, 576 - 28);
	assert_int_equal(d->ndata[31], 16);
	assert_int_equal(tpl_bytes(d, 31), 504);
	assert_int_equal(st.feats_left_out, 0);
	check_feat_values(d, 31, d->data[31][0], &r.feat, feat_uni, 16);

	/* The report says so. */
	x = open_capture(SF_IPFIX_BIFLOW, 576, 0);
	make_record(&r, 0, 1);
	make_tcp(&r);
	make_feat(&r);
	sf_ipfix_write_record(x, &r);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	sf_exporter_ipfix.report(x, f);
	fclose(f);
	assert_non_null(strstr(text, "; 1 records without their feature elements (template or "
			"record longer than export.mtu 576)\n"));
	free(text);
	sf_ipfix_close(x, NULL);
	free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_templates_from_field_list),
		cmocka_unit_test(test_biflow_values),
		cmocka_unit_test(test_tunnel_values),
		cmocka_unit_test(test_uniflow_two_records),
		cmocka_unit_test(test_tcp_values),
		cmocka_unit_test(test_tcp_uniflow),
		cmocka_unit_test(test_tcp_small_messages),
		cmocka_unit_test(test_app_templates),
		cmocka_unit_test(test_app_values),
		cmocka_unit_test(test_app_small_messages),
		cmocka_unit_test(test_feat_templates),
		cmocka_unit_test(test_feat_values),
		cmocka_unit_test(test_feat_uniflow),
		cmocka_unit_test(test_feat_small_messages),
		cmocka_unit_test(test_mtu_sequence_refresh_and_losses),
		cmocka_unit_test(test_exporter_from_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
