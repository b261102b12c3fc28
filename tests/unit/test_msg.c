/* SPDX-License-Identifier: BSD-3-Clause */
/* Interval aggregates: what counts as empty, and that adding sums every counter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sf_msg.h"

static void
test_empty(void **state)
{
	struct sf_interval_agg a;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.interval = 42;		/* the index alone is no content */
	assert_true(sf_interval_agg_empty(&a));
	a.flows_active = 1;		/* a flow alive through the interval is */
	assert_false(sf_interval_agg_empty(&a));
	a.flows_active = 0;
	a.flows_ended[SF_END_IDLE] = 1;
	assert_false(sf_interval_agg_empty(&a));
	a.flows_ended[SF_END_IDLE] = 0;
	a.dropped[SF_DROP_NO_MBUF] = 1;
	assert_false(sf_interval_agg_empty(&a));
	a.dropped[SF_DROP_NO_MBUF] = 0;
	a.received = 1;
	assert_false(sf_interval_agg_empty(&a));
}

static void
test_add_sums_every_counter(void **state)
{
	struct sf_interval_agg a, b;
	unsigned int i;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	b.received = 10;
	b.flowed = 7;
	b.bytes = 700;
	b.filtered = 1;
	b.nonflow = 1;
	b.malformed = 1;
	b.malformed_by[SF_PKT_BAD_L4_TRUNC] = 1;
	b.dropped[SF_DROP_DISPATCH_FULL] = 3;
	b.flows_new = 4;
	b.flows_ended[SF_END_TCP_FIN] = 2;
	b.flows_active = 5;
	b.records_lost = 6;
	b.ipv4_packets = 5;
	b.ipv6_packets = 2;
	b.proto_packets[17] = 7;
	b.proto_bytes[17] = 700;
	for (i = 0; i < 3; i++)
		sf_interval_agg_add(&a, &b);
	assert_int_equal(a.received, 30);
	assert_int_equal(a.flowed, 21);
	assert_int_equal(a.bytes, 2100);
	assert_int_equal(a.filtered, 3);
	assert_int_equal(a.nonflow, 3);
	assert_int_equal(a.malformed, 3);
	assert_int_equal(a.malformed_by[SF_PKT_BAD_L4_TRUNC], 3);
	assert_int_equal(a.dropped[SF_DROP_DISPATCH_FULL], 9);
	assert_int_equal(a.flows_new, 12);
	assert_int_equal(a.flows_ended[SF_END_TCP_FIN], 6);
	assert_int_equal(a.flows_active, 15);
	assert_int_equal(a.records_lost, 18);
	assert_int_equal(a.ipv4_packets, 15);
	assert_int_equal(a.ipv6_packets, 6);
	assert_int_equal(a.proto_packets[17], 21);
	assert_int_equal(a.proto_bytes[17], 2100);
	assert_int_equal(a.interval, 0);	/* not a counter */
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(sf_drop_reason_name(SF_DROP_NIC_MISSED), "nic_missed");
	assert_string_equal(sf_drop_reason_name(SF_DROP_DISPATCH_FULL), "dispatch_full");
	assert_string_equal(sf_drop_reason_name(SF_DROP_MAX), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_add_sums_every_counter),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
