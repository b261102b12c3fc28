/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Messages: an interval travels sparse and arrives whole, each type has a
 * pool sized for it, and messages go back to the pool they came from.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sf_msg.h"
#include "sf_test_eal.h"

static void
test_interval_round_trip(void **state)
{
	static struct sf_msg_interval m;
	struct sf_interval_agg a, b;
	unsigned int i;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.interval = 77;
	a.received = 12;
	a.flowed = 10;
	a.bytes = 1000;
	a.malformed = 2;
	a.malformed_by[SF_PKT_BAD_IP_TRUNC] = 2;
	a.flows_ended[SF_END_IDLE] = 3;
	a.dropped[SF_DROP_NO_MBUF] = 4;
	a.flows_active = 9;
	a.proto_packets[6] = 7;
	a.proto_bytes[6] = 700;
	a.proto_packets[255] = 3;
	a.proto_bytes[255] = 300;
	a.ntop = 2;
	a.top[0].bytes = 600;
	a.top[1].bytes = 100;
	sf_msg_interval_pack(&m, &a);
	/* Only the protocols in use travel. */
	assert_int_equal(m.h.count, 2);
	assert_int_equal(m.ent[0].key, 6);
	assert_int_equal(m.ent[1].key, 255);
	assert_int_equal(m.ntop, 2);
	assert_false(sf_msg_interval_empty(&m));
	/* Merged into an empty aggregate of the interval, it is the aggregate again. */
	memset(&b, 0, sizeof(b));
	b.interval = m.interval;
	sf_msg_interval_merge(&b, &m);
	b.ntop = m.ntop;
	memcpy(b.top, m.top, sizeof(b.top));
	assert_memory_equal(&a, &b, sizeof(a));
	/* Merged twice, it adds up. */
	sf_msg_interval_merge(&b, &m);
	assert_int_equal(b.proto_bytes[255], 600);
	assert_int_equal(b.received, 24);
	/* Every protocol in use: the message holds them all. */
	for (i = 0; i < 256; i++)
		a.proto_packets[i] = 1;
	sf_msg_interval_pack(&m, &a);
	assert_int_equal(m.h.count, 256);
	memset(&a, 0, sizeof(a));
	sf_msg_interval_pack(&m, &a);
	assert_int_equal(m.h.count, 0);
	assert_true(sf_msg_interval_empty(&m));
}

static void
test_sizes(void **state)
{
	(void)state;
	/* A record batch carries records and a header, not an aggregate. */
	assert_true(sizeof(struct sf_msg_records) <=
			sizeof(struct sf_msg) + SF_MSG_RECS * sizeof(struct sf_flow_record));
	assert_true(sizeof(struct sf_msg_records) < offsetof(struct sf_msg_records, rec) +
			SF_MSG_RECS * sizeof(struct sf_flow_record) + 64);
}

static void
test_chan_pools(void **state)
{
	struct sf_msg_chan *ch = sf_msg_chan_create(7, 64, 128, false, 0, SOCKET_ID_ANY);
	void *m[6], *p;
	unsigned int i;

	(void)state;
	assert_non_null(ch);
	assert_int_equal(ch->pool[SF_MSG_RECORDS]->elt_size, sizeof(struct sf_msg_records));
	assert_int_equal(ch->pool[SF_MSG_INTERVAL]->elt_size, sizeof(struct sf_msg_interval));
	assert_int_equal(rte_mempool_avail_count(ch->pool[SF_MSG_INTERVAL]), SF_MSG_INTERVALS);
	/* Mixed types in one burst go back where each came from. */
	for (i = 0; i < 6; i++) {
		enum sf_msg_type t = i % 3 == 2 ? SF_MSG_INTERVAL : SF_MSG_RECORDS;

		assert_int_equal(rte_mempool_get(ch->pool[t], &m[i]), 0);
		((struct sf_msg *)m[i])->type = (uint16_t)t;
	}
	sf_msg_chan_put(ch, m, 6);
	assert_int_equal(rte_mempool_avail_count(ch->pool[SF_MSG_RECORDS]), 128);
	assert_int_equal(rte_mempool_avail_count(ch->pool[SF_MSG_INTERVAL]), SF_MSG_INTERVALS);
	/* Messages left on the ring go back when the channel is freed. */
	assert_int_equal(rte_mempool_get(ch->pool[SF_MSG_INTERVAL], &p), 0);
	((struct sf_msg *)p)->type = SF_MSG_INTERVAL;
	assert_int_equal(rte_ring_sp_enqueue(ch->ring, p), 0);
	sf_msg_chan_free(ch);
	sf_msg_chan_free(NULL);
	/* The names are free again. */
	ch = sf_msg_chan_create(7, 64, 128, false, 0, SOCKET_ID_ANY);
	assert_non_null(ch);
	sf_msg_chan_free(ch);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interval_round_trip),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_chan_pools),
	};

	sf_test_eal_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
