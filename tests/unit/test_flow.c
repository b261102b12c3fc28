/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for lib/flow: canonical key, hash, order, formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_hash_crc.h>

#include "sf_flow.h"
#include "sf_flow_match.h"

static const uint8_t A4[4] = { 10, 0, 0, 1 };
static const uint8_t B4[4] = { 192, 168, 1, 2 };
static const uint8_t A6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t B6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

/* make() on a key full of garbage, so any byte it leaves undefined shows. */
static enum sf_flow_dir
make(struct sf_flow_key *k, uint8_t ipver, const uint8_t *src, const uint8_t *dst,
		uint16_t sport, uint16_t dport, uint8_t proto, uint16_t vlan)
{
	memset(k, 0xa5, sizeof(*k));
	return sf_flow_key_make(k, ipver, src, dst, ipver == 4 ? 4 : 16, sport, dport,
			proto, vlan);
}

static void
test_key_v4_symmetric(void **state)
{
	struct sf_flow_key ab, ba;
	static const uint8_t zero[12];

	(void)state;
	/* B4 > A4 bytewise, so the sender B4 is the high end. */
	assert_int_equal(make(&ab, 4, B4, A4, 443, 51000, 6, 7), SF_DIR_HI);
	assert_int_equal(make(&ba, 4, A4, B4, 51000, 443, 6, 7), SF_DIR_LO);
	assert_true(sf_flow_key_eq(&ab, &ba));
	assert_memory_equal(&ab, &ba, sizeof(ab));
	assert_memory_equal(ab.addr_lo, A4, 4);
	assert_memory_equal(ab.addr_hi, B4, 4);
	assert_memory_equal(ab.addr_lo + 4, zero, 12);
	assert_memory_equal(ab.addr_hi + 4, zero, 12);
	assert_int_equal(ab.port_lo, 51000);
	assert_int_equal(ab.port_hi, 443);
	assert_int_equal(ab.proto, 6);
	assert_int_equal(ab.vlan, 7);
	assert_int_equal(ab.ipver, 4);
}

static void
test_key_v6_symmetric(void **state)
{
	struct sf_flow_key ab, ba;

	(void)state;
	assert_int_equal(make(&ab, 6, A6, B6, 5353, 53, 17, 0), SF_DIR_LO);
	assert_int_equal(make(&ba, 6, B6, A6, 53, 5353, 17, 0), SF_DIR_HI);
	assert_memory_equal(&ab, &ba, sizeof(ab));
	assert_memory_equal(ab.addr_lo, A6, 16);
	assert_memory_equal(ab.addr_hi, B6, 16);
	assert_int_equal(ab.port_lo, 5353);
	assert_int_equal(ab.port_hi, 53);
	assert_int_equal(ab.ipver, 6);
}

/* The address decides first: a lower address wins even with a higher port. */
static void
test_key_address_before_port(void **state)
{
	struct sf_flow_key k;

	(void)state;
	assert_int_equal(make(&k, 4, A4, B4, 65535, 1, 6, 0), SF_DIR_LO);
	assert_int_equal(k.port_lo, 65535);
	assert_int_equal(k.port_hi, 1);
}

static void
test_key_equal_addresses_order_by_port(void **state)
{
	struct sf_flow_key k1, k2, k3, k4;

	(void)state;
	assert_int_equal(make(&k1, 4, A4, A4, 80, 1000, 6, 0), SF_DIR_LO);
	assert_int_equal(make(&k2, 4, A4, A4, 1000, 80, 6, 0), SF_DIR_HI);
	assert_memory_equal(&k1, &k2, sizeof(k1));
	assert_int_equal(k1.port_lo, 80);
	assert_int_equal(k1.port_hi, 1000);

	assert_int_equal(make(&k3, 6, B6, B6, 9000, 22, 6, 0), SF_DIR_HI);
	assert_int_equal(make(&k4, 6, B6, B6, 22, 9000, 6, 0), SF_DIR_LO);
	assert_memory_equal(&k3, &k4, sizeof(k3));
	assert_int_equal(k3.port_lo, 22);

	/* Fully equal ends: the sender is the low end. */
	assert_int_equal(make(&k1, 4, A4, A4, 7, 7, 17, 0), SF_DIR_LO);
}

static void
test_key_fields_distinguish(void **state)
{
	struct sf_flow_key base, k;

	(void)state;
	make(&base, 4, A4, B4, 1, 2, 6, 0);
	make(&k, 4, A4, B4, 1, 2, 17, 0);
	assert_false(sf_flow_key_eq(&base, &k));
	make(&k, 4, A4, B4, 1, 2, 6, 1);
	assert_false(sf_flow_key_eq(&base, &k));
	make(&k, 4, A4, B4, 1, 3, 6, 0);
	assert_false(sf_flow_key_eq(&base, &k));
	make(&k, 4, A4, B4, 1, 2, 6, 0);
	assert_true(sf_flow_key_eq(&base, &k));
}

static void
test_hash_symmetric(void **state)
{
	struct sf_flow_key ab, ba, other;

	(void)state;
	make(&ab, 4, A4, B4, 1234, 80, 6, 0);
	make(&ba, 4, B4, A4, 80, 1234, 6, 0);
	assert_int_equal(sf_flow_key_hash(&ab), sf_flow_key_hash(&ba));
	make(&ab, 6, A6, B6, 1234, 80, 6, 10);
	make(&ba, 6, B6, A6, 80, 1234, 6, 10);
	assert_int_equal(sf_flow_key_hash(&ab), sf_flow_key_hash(&ba));
	make(&other, 6, A6, B6, 1235, 80, 6, 10);
	assert_int_not_equal(sf_flow_key_hash(&ab), sf_flow_key_hash(&other));
}

/*
 * The tunnel context is part of the key: the same addresses, ports and
 * protocol in two contexts are two flows, ordered after everything else.
 * make() leaves no context and no garbage in the sixth word.
 */
static void
test_key_context(void **state)
{
	static const uint8_t zero[8];
	struct sf_flow_key plain, a, b;

	(void)state;
	make(&plain, 4, A4, B4, 1, 2, 17, 0);
	assert_memory_equal(&plain.ctx, zero, sizeof(zero));
	assert_int_equal(plain.ctx_kind, SF_FLOW_CTX_NONE);
	a = plain;
	b = plain;
	sf_flow_key_set_ctx(&a, (enum sf_flow_ctx_kind)1, 100);
	sf_flow_key_set_ctx(&b, (enum sf_flow_ctx_kind)1, 101);
	assert_false(sf_flow_key_eq(&plain, &a));
	assert_false(sf_flow_key_eq(&a, &b));
	assert_true(sf_flow_key_cmp(&plain, &a) < 0);
	assert_true(sf_flow_key_cmp(&a, &b) < 0);
	assert_true(sf_flow_key_cmp(&b, &a) > 0);
	assert_int_not_equal(sf_flow_key_hash(&plain), sf_flow_key_hash(&a));
	assert_int_not_equal(sf_flow_key_hash(&a), sf_flow_key_hash(&b));
	/* The kind alone separates too. */
	b = plain;
	sf_flow_key_set_ctx(&b, (enum sf_flow_ctx_kind)2, 100);
	assert_false(sf_flow_key_eq(&a, &b));
	assert_int_not_equal(sf_flow_key_hash(&a), sf_flow_key_hash(&b));
	sf_flow_key_set_ctx(&a, SF_FLOW_CTX_NONE, 0);
	assert_memory_equal(&a, &plain, sizeof(a));
}

/*
 * Without a context the hash is CRC32-C over the first five words, as it
 * was before the key had a sixth: flows stay on the same worker and in
 * the same table slot.
 */
static uint32_t
crc_five_words(const struct sf_flow_key *k)
{
	uint64_t w[5];

	/* A copy: rte_hash_crc reads through uint64_t pointers (see sf_flow_key_hash). */
	memcpy(w, k, sizeof(w));
	return rte_hash_crc(w, sizeof(w), 0x5f3759dfu);
}

static void
test_hash_without_context(void **state)
{
	struct sf_flow_key k;

	(void)state;
	make(&k, 4, A4, B4, 1234, 80, 6, 7);
	assert_int_equal(sf_flow_key_hash(&k), crc_five_words(&k));
	make(&k, 6, B6, A6, 53, 5353, 17, 0);
	assert_int_equal(sf_flow_key_hash(&k), crc_five_words(&k));
	sf_flow_key_set_ctx(&k, (enum sf_flow_ctx_kind)1, 42);
	assert_int_not_equal(sf_flow_key_hash(&k), crc_five_words(&k));
}

/* The owner of a key: in range, the same for both directions, spread over all workers. */
static void
test_owner(void **state)
{
	unsigned int hits[8] = { 0 }, i, n, w;
	struct sf_flow_key ab, ba;
	uint8_t a[4], b[4];

	(void)state;
	for (i = 0; i < 4096; i++) {
		a[0] = 10;
		a[1] = (uint8_t)(i >> 8);
		a[2] = (uint8_t)i;
		a[3] = 1;
		memcpy(b, B4, 4);
		make(&ab, 4, a, b, (uint16_t)(1024 + i), 443, 6, 0);
		make(&ba, 4, b, a, 443, (uint16_t)(1024 + i), 6, 0);
		for (n = 1; n <= 8; n++) {
			w = sf_flow_key_owner(&ab, n);
			assert_true(w < n);
			assert_int_equal(w, sf_flow_key_owner(&ba, n));
		}
		hits[sf_flow_key_owner(&ab, 8)]++;
	}
	for (w = 0; w < 8; w++)
		assert_true(hits[w] > 4096 / 8 / 2);
}

static int
sgn(int v)
{
	return (v > 0) - (v < 0);
}

/* Keys differing in every field, in both address families. */
static unsigned int
key_set(struct sf_flow_key *keys, unsigned int max)
{
	static const uint16_t ports[] = { 0, 80, 65535 };
	static const uint8_t protos[] = { 6, 17 };
	static const uint16_t vlans[] = { 0, 4095 };
	unsigned int n = 0, a, p, q, v;

	for (a = 0; a < 4; a++)
		for (p = 0; p < 3; p++)
			for (q = 0; q < 2; q++)
				for (v = 0; v < 2; v++) {
					assert_true(n < max);
					if (a < 2)
						make(&keys[n], 4, a ? B4 : A4, A4, ports[p],
							ports[(p + 1) % 3], protos[q], vlans[v]);
					else
						make(&keys[n], 6, a == 3 ? B6 : A6, A6, ports[p],
							ports[(p + 1) % 3], protos[q], vlans[v]);
					n++;
				}
	/* Keys that differ only in ipver, or in their tunnel context. */
	assert_true(n + 5 <= max);
	make(&keys[n++], 4, A4, B4, 1, 2, 6, 0);
	keys[n] = keys[n - 1];
	keys[n++].ipver = 6;
	keys[n] = keys[n - 1];
	sf_flow_key_set_ctx(&keys[n++], (enum sf_flow_ctx_kind)1, 5);
	keys[n] = keys[n - 1];
	sf_flow_key_set_ctx(&keys[n++], (enum sf_flow_ctx_kind)1, 0xffffffffu);
	keys[n] = keys[n - 1];
	sf_flow_key_set_ctx(&keys[n++], (enum sf_flow_ctx_kind)2, 5);
	return n;
}

static void
test_cmp_total_order(void **state)
{
	struct sf_flow_key keys[64];
	unsigned int n, i, j, l;
	int ij, jl, il;

	(void)state;
	n = key_set(keys, 64);
	for (i = 0; i < n; i++) {
		assert_int_equal(sf_flow_key_cmp(&keys[i], &keys[i]), 0);
		for (j = 0; j < n; j++) {
			ij = sgn(sf_flow_key_cmp(&keys[i], &keys[j]));
			/* Antisymmetric, and 0 exactly for equal keys. */
			assert_int_equal(ij, -sgn(sf_flow_key_cmp(&keys[j], &keys[i])));
			assert_int_equal(ij == 0, sf_flow_key_eq(&keys[i], &keys[j]));
			for (l = 0; l < n; l++) {
				jl = sgn(sf_flow_key_cmp(&keys[j], &keys[l]));
				il = sgn(sf_flow_key_cmp(&keys[i], &keys[l]));
				if (ij <= 0 && jl <= 0)
					assert_true(il <= 0);
				if (ij == 0 && jl == 0)
					assert_int_equal(il, 0);
			}
		}
	}
}

static void
test_addr_str(void **state)
{
	struct sf_flow_key k;
	char buf[64], small[4];

	(void)state;
	make(&k, 4, B4, A4, 1, 2, 6, 0);
	assert_string_equal(sf_flow_addr_str(&k, SF_DIR_LO, buf, sizeof(buf)), "10.0.0.1");
	assert_string_equal(sf_flow_addr_str(&k, SF_DIR_HI, buf, sizeof(buf)), "192.168.1.2");
	assert_string_equal(sf_flow_addr_str(&k, SF_DIR_LO, small, sizeof(small)), "?");

	make(&k, 6, B6, A6, 1, 2, 6, 0);
	assert_string_equal(sf_flow_addr_str(&k, SF_DIR_LO, buf, sizeof(buf)), "2001:db8::1");
	assert_string_equal(sf_flow_addr_str(&k, SF_DIR_HI, buf, sizeof(buf)), "2001:db8::2");
	assert_ptr_equal(sf_flow_addr_str(&k, SF_DIR_HI, buf, sizeof(buf)), buf);
}

static void
test_end_reason_name(void **state)
{
	(void)state;
	assert_string_equal(sf_end_reason_name(SF_END_IDLE), "idle");
	assert_string_equal(sf_end_reason_name(SF_END_ACTIVE), "active");
	assert_string_equal(sf_end_reason_name(SF_END_TCP_FIN), "tcp_fin");
	assert_string_equal(sf_end_reason_name(SF_END_TCP_RST), "tcp_rst");
	assert_string_equal(sf_end_reason_name(SF_END_EVICTED), "evicted");
	assert_string_equal(sf_end_reason_name(SF_END_END_OF_INPUT), "end_of_input");
	assert_string_equal(sf_end_reason_name(SF_END_MAX), "unknown");
	assert_string_equal(sf_end_reason_name((enum sf_end_reason)-1), "unknown");
}

static void
test_record_view(void **state)
{
	struct sf_flow_record r;

	(void)state;
	memset(&r, 0, sizeof(r));
	make(&r.key, 4, B4, A4, 443, 51000, 6, 0);
	r.initiator = SF_DIR_LO;	/* 10.0.0.1:51000 initiated */
	assert_memory_equal(sf_flow_record_addr(&r, false), A4, 4);
	assert_memory_equal(sf_flow_record_addr(&r, true), B4, 4);
	assert_int_equal(sf_flow_record_port(&r, false), 51000);
	assert_int_equal(sf_flow_record_port(&r, true), 443);
	r.initiator = SF_DIR_HI;
	assert_memory_equal(sf_flow_record_addr(&r, false), B4, 4);
	assert_memory_equal(sf_flow_record_addr(&r, true), A4, 4);
	assert_int_equal(sf_flow_record_port(&r, false), 443);
	assert_int_equal(sf_flow_record_port(&r, true), 51000);
}

/* Narrowing (sf_flow_match.h): each condition, AND of several, bad values. */
static void
test_match(void **state)
{
	static const uint8_t a[4] = { 10, 1, 2, 3 }, b[4] = { 192, 168, 7, 9 };
	struct sf_flow_key k, k6;
	struct sf_flow_match m;
	uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8 }, b6[16] = { 0x20, 0x01, 0x0d, 0xb9 };
	char err[128];

	(void)state;

	a6[15] = 1;
	b6[15] = 2;
	sf_flow_key_make(&k, 4, a, b, 4, 51000, 443, 6, 12);
	sf_flow_key_make(&k6, 6, a6, b6, 16, 53, 40000, 17, 0);
	sf_flow_key_set_ctx(&k6, SF_FLOW_CTX_VNI, 5001);

	memset(&m, 0, sizeof(m));
	assert_true(sf_flow_match_all(&m));
	assert_true(sf_flow_match_key(&m, &k));
	assert_int_equal(sf_flow_match_set(&m, "n", "5", err, sizeof(err)), 0);
	assert_int_equal(sf_flow_match_set(&m, "host", "192.168.7.9", err, sizeof(err)), 1);
	assert_true(sf_flow_match_key(&m, &k));
	assert_false(sf_flow_match_key(&m, &k6));
	assert_int_equal(sf_flow_match_set(&m, "port", "443", err, sizeof(err)), 1);
	assert_true(sf_flow_match_key(&m, &k));
	assert_int_equal(sf_flow_match_set(&m, "port", "444", err, sizeof(err)), 1);
	assert_false(sf_flow_match_key(&m, &k));

	memset(&m, 0, sizeof(m));
	assert_int_equal(sf_flow_match_set(&m, "subnet", "10.1.0.0/16", err, sizeof(err)), 1);
	assert_true(sf_flow_match_key(&m, &k));
	assert_true(sf_flow_match_addr(&m, 4, k.addr_lo));
	assert_false(sf_flow_match_addr(&m, 4, k.addr_hi));
	assert_int_equal(sf_flow_match_set(&m, "subnet", "10.1.2.2/31", err, sizeof(err)), 1);
	assert_true(sf_flow_match_key(&m, &k));	/* 10.1.2.3 is in 10.1.2.2/31 */
	assert_int_equal(sf_flow_match_set(&m, "subnet", "10.1.2.4/31", err, sizeof(err)), 1);
	assert_false(sf_flow_match_key(&m, &k));
	assert_int_equal(sf_flow_match_set(&m, "subnet", "2001:db8::/31", err, sizeof(err)), 1);
	assert_true(sf_flow_match_key(&m, &k6));
	assert_false(sf_flow_match_key(&m, &k));
	assert_int_equal(sf_flow_match_set(&m, "subnet", "2001:db9::/32", err, sizeof(err)), 1);
	assert_true(sf_flow_match_key(&m, &k6));	/* the other end */
	assert_int_equal(sf_flow_match_set(&m, "subnet", "2001:dba::/32", err, sizeof(err)), 1);
	assert_false(sf_flow_match_key(&m, &k6));

	memset(&m, 0, sizeof(m));
	assert_int_equal(sf_flow_match_set(&m, "proto", "UDP", err, sizeof(err)), 1);
	assert_int_equal(m.proto, 17);
	assert_true(sf_flow_match_key(&m, &k6));
	assert_false(sf_flow_match_key(&m, &k));
	assert_int_equal(sf_flow_match_set(&m, "proto", "6", err, sizeof(err)), 1);
	assert_true(sf_flow_match_key(&m, &k));
	assert_int_equal(sf_flow_match_set(&m, "vlan", "12", err, sizeof(err)), 1);
	assert_true(sf_flow_match_key(&m, &k));
	assert_int_equal(sf_flow_match_set(&m, "vlan", "0", err, sizeof(err)), 1);
	assert_false(sf_flow_match_key(&m, &k));

	memset(&m, 0, sizeof(m));
	assert_int_equal(sf_flow_match_set(&m, "vni", "5001", err, sizeof(err)), 1);
	assert_true(sf_flow_match_key(&m, &k6));
	assert_false(sf_flow_match_key(&m, &k));
	assert_int_equal(sf_flow_match_set(&m, "vni", "5002", err, sizeof(err)), 1);
	assert_false(sf_flow_match_key(&m, &k6));

	assert_int_equal(sf_flow_match_set(&m, "host", "10.1.2", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "host: '10.1.2' is not an IPv4 or IPv6 address"));
	assert_int_equal(sf_flow_match_set(&m, "subnet", "10.0.0.0/33", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "LEN 0..32"));
	assert_int_equal(sf_flow_match_set(&m, "port", "65536", err, sizeof(err)), -1);
	assert_int_equal(sf_flow_match_set(&m, "port", "-1", err, sizeof(err)), -1);
	assert_int_equal(sf_flow_match_set(&m, "proto", "tcpx", err, sizeof(err)), -1);
	assert_int_equal(sf_flow_match_set(&m, "vlan", "4096", err, sizeof(err)), -1);
	assert_int_equal(sf_flow_match_set(&m, "vni", "16777216", err, sizeof(err)), -1);
	assert_int_equal(sf_flow_match_proto("icmpv6"), 58);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_v4_symmetric),
		cmocka_unit_test(test_key_v6_symmetric),
		cmocka_unit_test(test_key_address_before_port),
		cmocka_unit_test(test_key_equal_addresses_order_by_port),
		cmocka_unit_test(test_key_fields_distinguish),
		cmocka_unit_test(test_hash_symmetric),
		cmocka_unit_test(test_key_context),
		cmocka_unit_test(test_hash_without_context),
		cmocka_unit_test(test_owner),
		cmocka_unit_test(test_cmp_total_order),
		cmocka_unit_test(test_addr_str),
		cmocka_unit_test(test_end_reason_name),
		cmocka_unit_test(test_record_view),
		cmocka_unit_test(test_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
