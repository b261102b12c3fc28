/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for lib/feat: flow feature statistics and SPLT, values worked out by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sf_feat.h"
#include "sf_feat_fields.h"

#define MS 1000000ull
/* A realistic epoch time (2023-11-14T22:13:20.123456789Z): gaps stay exact on top of it. */
#define T0 1700000000123456789ull

#define S2D SF_FEAT_SRC2DST
#define D2S SF_FEAT_DST2SRC
#define BI SF_FEAT_BIDIR

/* a within rel (relative) of b; rel 0: the same double. */
static void
dbl_near(double a, double b, double rel, const char *what, int line)
{
	if (a == b || fabs(a - b) <= rel * fabs(b))
		return;
	print_error("line %d: %s is %.17g, expected %.17g\n", line, what, a, b);
	fail();
}
#define NEAR(a, b, rel) dbl_near((a), (b), (rel), #a, __LINE__)
#define EXACT(a, b) dbl_near((a), (b), 0, #a, __LINE__)

/* A state with room for n SPLT entries, initialised. */
static struct sf_feat *
feat_new(unsigned int n)
{
	struct sf_feat *f = malloc(sf_feat_size(n));

	assert_non_null(f);
	memset(f, 0xa5, sf_feat_size(n));	/* init must clear what it owns */
	assert_int_equal(sf_feat_init(f, n), 0);
	return f;
}

/*
 * Five packets (time after T0, direction, IP bytes):
 *   p1  0 ms  d0    60
 *   p2  1 ms  d1  1500
 *   p3  3 ms  d0    40
 *   p4  6 ms  d1  1300
 *   p5 10 ms  d0    80
 * Sizes, both ways: 60 1500 40 1300 80; sum 2980, mean 596; deviations
 * -536 904 -556 704 -516, squares 287296 817216 309136 495616 266256, sum
 * 2175520; sample variance 2175520 / 4 = 543880; stddev sqrt(543880).
 * Sizes src2dst: 60 40 80; mean 60; deviations 0 -20 20; M2 800; variance
 * 800 / 2 = 400; stddev 20. dst2src: 1500 1300; mean 1400; deviations
 * +-100; M2 20000; variance 20000 / 1; stddev sqrt(20000).
 * Gaps both ways: 1 2 3 4 ms; min 1, max 4, mean 2.5; deviations -1.5 -0.5
 * 0.5 1.5, M2 5, variance 5 / 3; stddev sqrt(5 / 3).
 * Gaps src2dst: p1->p3 3 ms, p3->p5 7 ms; mean 5; M2 8, variance 8 / 1;
 * stddev sqrt(8). dst2src: p2->p4 5 ms, one gap: min max mean 5, stddev 0.
 */
static void
five_packets(struct sf_feat *f)
{
	sf_feat_packet(f, 0, T0 + 0 * MS, 60);
	sf_feat_packet(f, 1, T0 + 1 * MS, 1500);
	sf_feat_packet(f, 0, T0 + 3 * MS, 40);
	sf_feat_packet(f, 1, T0 + 6 * MS, 1300);
	sf_feat_packet(f, 0, T0 + 10 * MS, 80);
}

static void
test_five_packets(void **state)
{
	struct sf_feat *f = feat_new(8);
	struct sf_flow_feat r;

	(void)state;
	five_packets(f);
	sf_feat_result(f, &r);

	assert_int_equal(r.packets[S2D], 3);
	assert_int_equal(r.packets[D2S], 2);
	assert_int_equal(r.packets[BI], 5);

	assert_int_equal(r.ps_min[BI], 40);
	assert_int_equal(r.ps_max[BI], 1500);
	EXACT(r.ps_mean[BI], 596);
	NEAR(r.ps_stddev[BI], sqrt(543880.0), 1e-15);
	assert_int_equal(r.ps_min[S2D], 40);
	assert_int_equal(r.ps_max[S2D], 80);
	EXACT(r.ps_mean[S2D], 60);
	EXACT(r.ps_stddev[S2D], 20);
	assert_int_equal(r.ps_min[D2S], 1300);
	assert_int_equal(r.ps_max[D2S], 1500);
	EXACT(r.ps_mean[D2S], 1400);
	EXACT(r.ps_stddev[D2S], sqrt(20000.0));

	EXACT(r.piat_min_ms[BI], 1);
	EXACT(r.piat_max_ms[BI], 4);
	EXACT(r.piat_mean_ms[BI], 2.5);
	NEAR(r.piat_stddev_ms[BI], sqrt(5.0 / 3.0), 1e-15);
	EXACT(r.piat_min_ms[S2D], 3);
	EXACT(r.piat_max_ms[S2D], 7);
	EXACT(r.piat_mean_ms[S2D], 5);
	NEAR(r.piat_stddev_ms[S2D], sqrt(8.0), 1e-15);
	EXACT(r.piat_min_ms[D2S], 5);
	EXACT(r.piat_max_ms[D2S], 5);
	EXACT(r.piat_mean_ms[D2S], 5);
	EXACT(r.piat_stddev_ms[D2S], 0);
	free(f);
}

/* SPLT of the five packets with room for 8: five entries, gaps in us. */
static void
test_splt(void **state)
{
	static const struct sf_feat_splt_entry want[5] = {
		{ 0, 60, 0, 0 }, { 1000, 1500, 1, 0 }, { 2000, 40, 0, 0 },
		{ 3000, 1300, 1, 0 }, { 4000, 80, 0, 0 },
	};
	struct sf_feat_splt_entry e[8];
	struct sf_feat *f = feat_new(8);

	(void)state;
	five_packets(f);
	assert_int_equal(sf_feat_splt_len(f), 5);
	assert_int_equal(sf_feat_splt(f, 0, e, 8), 5);
	assert_memory_equal(e, want, sizeof(want));
	/* A window: from 3, room for 4: the last two. */
	assert_int_equal(sf_feat_splt(f, 3, e, 4), 2);
	assert_memory_equal(e, &want[3], 2 * sizeof(e[0]));
	assert_int_equal(sf_feat_splt(f, 5, e, 4), 0);
	free(f);
}

/* N = 3: the first three packets only; the statistics still see all five. */
static void
test_splt_truncated(void **state)
{
	struct sf_feat_splt_entry e[8];
	struct sf_feat *f = feat_new(3);
	struct sf_flow_feat r;

	(void)state;
	five_packets(f);
	assert_int_equal(sf_feat_splt_len(f), 3);
	assert_int_equal(sf_feat_splt(f, 0, e, 8), 3);
	assert_int_equal(e[2].ps, 40);
	assert_int_equal(e[2].gap_us, 2000);
	assert_int_equal(e[2].dir, 0);
	sf_feat_result(f, &r);
	assert_int_equal(r.packets[BI], 5);
	EXACT(r.piat_max_ms[BI], 4);
	free(f);
}

/* The tail's size follows N; N above SF_FEAT_SPLT_MAX is refused. */
static void
test_sizes(void **state)
{
	struct sf_feat f0;

	(void)state;
	print_message("struct sf_feat %zu bytes; with SPLT 10: %zu, 20: %zu, 255: %zu; "
			"struct sf_flow_feat %zu bytes\n", sizeof(struct sf_feat),
			sf_feat_size(10), sf_feat_size(20), sf_feat_size(SF_FEAT_SPLT_MAX),
			sizeof(struct sf_flow_feat));
	assert_int_equal(sf_feat_size(0), sizeof(struct sf_feat));
	/* 255 entries: 4 + 2 bytes each (1530), 32 bytes of direction bits, rounded up to 8. */
	assert_int_equal(sf_feat_size(255), sizeof(struct sf_feat) + 1568);
	assert_int_equal(sf_feat_size(255) % 8, 0);
	assert_int_equal(sf_feat_size(1) % 8, 0);
	assert_true(sf_feat_size(255) <= 4096);	/* a flow table cold area's limit */
	assert_int_equal(sf_feat_init(&f0, 256), -EINVAL);
}

/*
 * One packet: sizes min = mean = max = 60, stddev 0; no gap anywhere, so
 * every gap statistic is 0 (nfstream's zeroed slots); dst2src empty.
 */
static void
test_single_packet(void **state)
{
	struct sf_feat *f = feat_new(4);
	struct sf_feat_splt_entry e[4];
	struct sf_flow_feat r, zero;
	unsigned int w;

	(void)state;
	sf_feat_packet(f, 0, T0, 60);
	sf_feat_result(f, &r);
	assert_int_equal(r.packets[S2D], 1);
	assert_int_equal(r.packets[D2S], 0);
	assert_int_equal(r.packets[BI], 1);
	for (w = S2D; w <= BI; w += BI - S2D) {
		assert_int_equal(r.ps_min[w], 60);
		assert_int_equal(r.ps_max[w], 60);
		EXACT(r.ps_mean[w], 60);
		EXACT(r.ps_stddev[w], 0);
	}
	for (w = 0; w < SF_FEAT_WAYS; w++) {
		EXACT(r.piat_min_ms[w], 0);
		EXACT(r.piat_mean_ms[w], 0);
		EXACT(r.piat_stddev_ms[w], 0);
		EXACT(r.piat_max_ms[w], 0);
	}
	assert_int_equal(r.ps_min[D2S], 0);
	assert_int_equal(r.ps_max[D2S], 0);
	EXACT(r.ps_mean[D2S], 0);
	assert_int_equal(sf_feat_splt(f, 0, e, 4), 1);
	assert_int_equal(e[0].gap_us, 0);
	assert_int_equal(e[0].ps, 60);
	assert_int_equal(e[0].dir, 0);

	/* No packet at all: everything 0. */
	assert_int_equal(sf_feat_init(f, 4), 0);
	sf_feat_result(f, &r);
	memset(&zero, 0, sizeof(zero));
	assert_memory_equal(&r, &zero, sizeof(r));
	assert_int_equal(sf_feat_splt_len(f), 0);
	free(f);
}

/*
 * Only the responder talks (the first packet was a SYN+ACK: the record's
 * direction 1): src2dst is empty, both ways equal dst2src, and the SPLT's
 * first direction is 1. Packets at 0, 2, 6 ms of 52, 40, 40 bytes: mean
 * 44, deviations 8 -4 -4, M2 96, variance 48; gaps 2 and 4 ms, mean 3,
 * deviations -+1, M2 2, variance 2.
 */
static void
test_one_direction(void **state)
{
	struct sf_feat *f = feat_new(4);
	struct sf_feat_splt_entry e[4];
	struct sf_flow_feat r;

	(void)state;
	sf_feat_packet(f, 1, T0, 52);
	sf_feat_packet(f, 1, T0 + 2 * MS, 40);
	sf_feat_packet(f, 1, T0 + 6 * MS, 40);
	sf_feat_result(f, &r);
	assert_int_equal(r.packets[S2D], 0);
	assert_int_equal(r.ps_min[S2D], 0);
	assert_int_equal(r.ps_max[S2D], 0);
	EXACT(r.ps_mean[S2D], 0);
	EXACT(r.piat_max_ms[S2D], 0);
	assert_int_equal(r.packets[D2S], 3);
	assert_int_equal(r.packets[BI], 3);
	assert_int_equal(r.ps_min[BI], 40);
	assert_int_equal(r.ps_max[BI], 52);
	EXACT(r.ps_mean[BI], 44);
	EXACT(r.ps_stddev[BI], sqrt(48.0));
	EXACT(r.piat_mean_ms[BI], 3);
	NEAR(r.piat_stddev_ms[BI], sqrt(2.0), 1e-15);
	assert_int_equal(r.ps_min[D2S], 40);
	EXACT(r.ps_stddev[D2S], sqrt(48.0));
	EXACT(r.piat_min_ms[D2S], 2);
	EXACT(r.piat_max_ms[D2S], 4);
	NEAR(r.piat_stddev_ms[D2S], sqrt(2.0), 1e-15);
	assert_int_equal(sf_feat_splt(f, 0, e, 4), 3);
	assert_int_equal(e[0].dir, 1);
	assert_int_equal(e[2].dir, 1);
	free(f);
}

/*
 * Gaps past 32 bits of ns and of us: 5 s (> 2^32 ns), then 2 hours
 * (7.2e9 us > UINT32_MAX us): the statistics stay exact, the SPLT gap is
 * capped at UINT32_MAX us. A packet older than the newest (out of order)
 * counts with gap 0 and leaves the newest time where it was. Sizes past
 * 65535 (jumbograms) are exact in the statistics, capped in the SPLT.
 * Gaps both ways: 5000, 7200000, 0 ms; sum 7205000, mean 7205000 / 3.
 */
static void
test_large_gaps(void **state)
{
	struct sf_feat *f = feat_new(8);
	struct sf_feat_splt_entry e[8];
	struct sf_flow_feat r;
	const uint64_t hours2 = 2ull * 3600 * 1000 * MS;

	(void)state;
	sf_feat_packet(f, 0, T0, 100);
	sf_feat_packet(f, 0, T0 + 5000 * MS, 70000);
	sf_feat_packet(f, 0, T0 + 5000 * MS + hours2, 100);
	sf_feat_packet(f, 0, T0 + 6000 * MS, 100);	/* out of order */
	sf_feat_result(f, &r);
	EXACT(r.piat_min_ms[BI], 0);
	EXACT(r.piat_max_ms[BI], 7200000);
	NEAR(r.piat_mean_ms[BI], 7205000.0 / 3, 1e-15);
	EXACT(r.piat_max_ms[S2D], 7200000);
	assert_int_equal(r.ps_max[BI], 70000);
	EXACT(r.ps_mean[BI], (100 + 70000 + 100 + 100) / 4.0);
	/* Gaps 5000, 7200000, 0 ms: mean 2401666.67, sample stddev by the textbook formula. */
	{
		double g[3] = { 5000, 7200000, 0 }, m = 7205000.0 / 3, s = 0;
		unsigned int i;

		for (i = 0; i < 3; i++)
			s += (g[i] - m) * (g[i] - m);
		NEAR(r.piat_stddev_ms[BI], sqrt(s / 2), 1e-12);
	}
	assert_int_equal(sf_feat_splt(f, 0, e, 8), 4);
	assert_int_equal(e[1].gap_us, 5000000);
	assert_int_equal(e[1].ps, 65535);
	assert_int_equal(e[2].gap_us, UINT32_MAX);
	assert_int_equal(e[3].gap_us, 0);
	free(f);
}

/* Gaps of 1 and 2 ns: kept to the ns, written in ms. */
static void
test_ns_gaps(void **state)
{
	struct sf_feat *f = feat_new(4);
	struct sf_feat_splt_entry e[4];
	struct sf_flow_feat r;

	(void)state;
	sf_feat_packet(f, 0, T0, 40);
	sf_feat_packet(f, 1, T0 + 1, 40);
	sf_feat_packet(f, 0, T0 + 3, 40);
	sf_feat_result(f, &r);
	EXACT(r.piat_min_ms[BI], 1e-6);
	EXACT(r.piat_max_ms[BI], 2e-6);
	EXACT(r.piat_mean_ms[BI], 1.5e-6);
	EXACT(r.piat_mean_ms[S2D], 3e-6);
	EXACT(r.ps_stddev[BI], 0);
	/* The SPLT keeps whole us: both gaps are 0. */
	assert_int_equal(sf_feat_splt(f, 0, e, 4), 3);
	assert_int_equal(e[1].gap_us, 0);
	assert_int_equal(e[2].gap_us, 0);
	free(f);
}

/* An all-zero state is an empty flow with SPLT off: what a zeroed cold area holds. */
static void
test_zeroed_is_empty(void **state)
{
	struct sf_feat f;
	struct sf_feat_splt_entry e[1];
	struct sf_flow_feat r;

	(void)state;
	memset(&f, 0, sizeof(f));
	five_packets(&f);
	sf_feat_result(&f, &r);
	assert_int_equal(r.packets[BI], 5);
	EXACT(r.ps_mean[BI], 596);
	EXACT(r.piat_mean_ms[BI], 2.5);
	assert_int_equal(sf_feat_splt_len(&f), 0);
	assert_int_equal(sf_feat_splt(&f, 0, e, 1), 0);
}

/* The field rows name nfstream's 24 columns, each once, then its three SPLT lists. */
static void
test_field_names(void **state)
{
#define X_NAME(name, kind, expr, ie4, ie6, flags) #name,
	static const char *const names[] = { SF_FEAT_FIELDS(X_NAME) };
#undef X_NAME
	static const char *const ways[] = { "bidirectional", "src2dst", "dst2src" };
	static const char *const stats[] = { "min", "mean", "stddev", "max" };
	char want[64];
	unsigned int i = 0, w, s, p;

	(void)state;
	assert_int_equal(sizeof(names) / sizeof(names[0]), 24 + 3);
	assert_string_equal(names[24], "splt_direction");
	assert_string_equal(names[25], "splt_ps");
	assert_string_equal(names[26], "splt_piat_ms");
	/* nfstream's order: sizes of each way, then gaps of each way. */
	for (p = 0; p < 2; p++)
		for (w = 0; w < 3; w++)
			for (s = 0; s < 4; s++) {
				snprintf(want, sizeof(want), "%s_%s_%s", ways[w], stats[s],
						p == 0 ? "ps" : "piat_ms");
				assert_string_equal(names[i], want);
				i++;
			}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_five_packets),
		cmocka_unit_test(test_splt),
		cmocka_unit_test(test_splt_truncated),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_single_packet),
		cmocka_unit_test(test_one_direction),
		cmocka_unit_test(test_large_gaps),
		cmocka_unit_test(test_ns_gaps),
		cmocka_unit_test(test_zeroed_is_empty),
		cmocka_unit_test(test_field_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
