/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/http: snapshot publishing (history ring, exact top lists, ports),
 * readers racing the publisher (run under ASan to catch a use after free),
 * and one request over a real socket.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "sf_collector.h"
#include "sf_config.h"
#include "sf_http.h"
#include "sf_http_priv.h"

struct fixture {
	struct sf_config cfg;
	struct sf_http *h;
	struct sf_collector *coll;
	struct sf_collector_sink sink;
	struct sf_http_state st;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sf_http_params hp;
	struct sf_collector_params cp;
	char err[256];

	assert_non_null(f);
	sf_config_defaults(&f->cfg);
	assert_int_equal(sf_config_set(&f->cfg, "http.listen", "127.0.0.1:0", err,
			sizeof(err)), 0);
	f->cfg.http_history = 3;
	memset(&hp, 0, sizeof(hp));
	hp.cfg = &f->cfg;
	hp.input = "test.pcap";
	hp.n_workers = 1;
	f->h = sf_http_create(&hp, err, sizeof(err));
	if (f->h == NULL)
		fail_msg("%s", err);
	memset(&cp, 0, sizeof(cp));
	cp.n_workers = 1;
	cp.interval_ns = f->cfg.interval_ns;
	f->coll = sf_collector_create(&cp);
	assert_non_null(f->coll);
	sf_http_sink(f->h, &f->sink);
	f->st.n_workers = 1;
	f->st.w[0].capacity = 100;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	sf_http_free(f->h);
	sf_collector_free(f->coll);
	free(f);
	return 0;
}

static void
add_interval(struct fixture *f, uint64_t t, uint64_t packets)
{
	struct sf_interval_agg a;

	memset(&a, 0, sizeof(a));
	a.interval = t;
	a.received = a.flowed = packets;
	a.bytes = packets * 100;
	f->sink.interval(f->sink.arg, &a);
}

static void
add_record(struct fixture *f, uint8_t last_octet, uint16_t port, uint64_t pkts,
		uint64_t bytes)
{
	struct sf_flow_record r;

	memset(&r, 0, sizeof(r));
	r.key.ipver = 4;
	r.key.proto = 6;
	r.key.addr_lo[0] = 10;
	r.key.addr_lo[3] = 1;
	r.key.addr_hi[0] = 10;
	r.key.addr_hi[3] = last_octet;
	r.key.port_lo = 40000;
	r.key.port_hi = port;
	r.initiator = SF_DIR_LO;	/* so the responder port is `port` */
	r.packets[0] = pkts;
	r.bytes[0] = bytes;
	f->sink.record(f->sink.arg, &r);
}

static void
test_publish(void **state)
{
	struct fixture *f = *state;
	struct sf_snap *s;
	uint64_t t;

	assert_null(sf_snap_get(f->h));	/* nothing published yet */
	assert_true(sf_http_due(f->h, true));
	for (t = 0; t < 5; t++)
		add_interval(f, t, 10 + t);
	add_record(f, 2, 443, 5, 5000);		/* most bytes */
	add_record(f, 3, 443, 50, 3000);	/* most packets */
	add_record(f, 4, 53, 2, 200);
	add_record(f, 5, 0, 1, 100);		/* no port: not in the port list */
	sf_http_publish(f->h, f->coll, &f->st);

	s = sf_snap_get(f->h);
	assert_non_null(s);
	assert_int_equal(s->seq, 1);
	/* A history of 3 keeps the newest three intervals, oldest first. */
	assert_int_equal(s->n_iv, 3);
	assert_int_equal(s->iv[0]->agg.interval, 2);
	assert_int_equal(s->iv[2]->agg.interval, 4);
	assert_int_equal(s->iv[2]->agg.flowed, 14);
	assert_int_equal(s->intervals, 5);
	/* Exact top lists, by bytes and by packets. */
	assert_int_equal(s->ntop[SF_HTTP_BY_BYTES], 4);
	assert_int_equal(s->top[SF_HTTP_BY_BYTES][0].bytes[0], 5000);
	assert_int_equal(s->top[SF_HTTP_BY_PACKETS][0].packets[0], 50);
	/* Responder ports: 443 (two flows) before 53; port 0 is left out. */
	assert_int_equal(s->nports, 2);
	assert_int_equal(s->ports[0].port, 443);
	assert_int_equal(s->ports[0].flows, 2);
	assert_int_equal(s->ports[0].bytes, 8000);
	assert_int_equal(s->ports[1].port, 53);
	/* A published snapshot does not change when the next one is built. */
	add_interval(f, 5, 99);
	sf_http_publish(f->h, f->coll, &f->st);
	assert_int_equal(s->iv[2]->agg.interval, 4);
	sf_snap_put(s);
	s = sf_snap_get(f->h);
	assert_int_equal(s->seq, 2);
	assert_int_equal(s->iv[2]->agg.interval, 5);
	sf_snap_put(s);
}

struct reader_arg {
	struct sf_http *h;
	volatile int *stop;
	atomic_ulong reads;
	int bad;
};

static void *
reader(void *p)
{
	struct reader_arg *ra = p;
	uint64_t last = 0;

	while (!*ra->stop) {
		struct sf_snap *s = sf_snap_get(ra->h);
		unsigned int i;

		if (s == NULL)
			continue;
		if (s->seq < last)
			ra->bad++;
		last = s->seq;
		for (i = 1; i < s->n_iv; i++)
			if (s->iv[i]->agg.interval != s->iv[i - 1]->agg.interval + 1)
				ra->bad++;
		sf_snap_put(s);
		atomic_fetch_add(&ra->reads, 1);
	}
	return NULL;
}

static unsigned long
min_reads(struct reader_arg *ra, unsigned int n)
{
	unsigned long m = ULONG_MAX;
	unsigned int i;

	for (i = 0; i < n; i++)
		if (atomic_load(&ra[i].reads) < m)
			m = atomic_load(&ra[i].reads);
	return m;
}

/* Readers never see a freed or half-built snapshot while the publisher runs flat out. */
static void
test_readers_race_publisher(void **state)
{
	struct fixture *f = *state;
	struct reader_arg ra[4];
	pthread_t th[4];
	volatile int stop = 0;
	unsigned int i;
	uint64_t t;

	for (i = 0; i < 4; i++) {
		memset(&ra[i], 0, sizeof(ra[i]));
		ra[i].h = f->h;
		ra[i].stop = &stop;
		assert_int_equal(pthread_create(&th[i], NULL, reader, &ra[i]), 0);
	}
	/* At least 2000 publishes, and until every reader has read 1000 times. */
	for (t = 0; t < 2000 || min_reads(ra, 4) < 1000; t++) {
		add_interval(f, t, 1);
		sf_http_publish(f->h, f->coll, &f->st);
	}
	stop = 1;
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(ra[i].bad, 0);
		assert_true(atomic_load(&ra[i].reads) >= 1000);
	}
}

static void
test_request(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_in sa;
	char buf[16384];
	size_t n = 0;
	ssize_t k;
	int fd;
	static const char req[] = "GET /api/v1/summary HTTP/1.0\r\n\r\n";

	add_interval(f, 7, 42);
	sf_http_publish(f->h, f->coll, &f->st);
	assert_true(sf_http_port(f->h) != 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(sf_http_port(f->h));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, req, sizeof(req) - 1), (ssize_t)(sizeof(req) - 1));
	while (n + 1 < sizeof(buf) && (k = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)k;
	buf[n] = '\0';
	close(fd);
	assert_non_null(strstr(buf, "HTTP/1.0 200") != NULL ? buf : strstr(buf, "HTTP/1.1 200"));
	assert_non_null(strstr(buf, "application/json"));
	assert_non_null(strstr(buf, "\"input\":\"test.pcap\""));
	assert_non_null(strstr(buf, "\"start_ns\":70000000000"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_publish, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readers_race_publisher, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
