/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/http: the listen address, and requests over a real socket rendering
 * what the collector published (the snapshots themselves are tested with
 * the collector).
 */
#include <arpa/inet.h>
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
#include "sf_health.h"
#include "sf_http.h"
#include "sf_snapshot.h"

struct fixture {
	struct sf_config cfg;
	struct sf_snap_pub *pub;
	struct sf_http *h;
	struct sf_collector *coll;
	struct sf_snap_state st;
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
	f->pub = sf_snap_pub_create();
	assert_non_null(f->pub);
	memset(&hp, 0, sizeof(hp));
	hp.cfg = &f->cfg;
	hp.input = "test.pcap";
	hp.n_workers = 1;
	hp.pub = f->pub;
	f->h = sf_http_create(&hp, err, sizeof(err));
	if (f->h == NULL)
		fail_msg("%s", err);
	memset(&cp, 0, sizeof(cp));
	cp.n_workers = 1;
	cp.interval_ns = f->cfg.interval_ns;
	cp.history = 3;
	f->coll = sf_collector_create(&cp);
	assert_non_null(f->coll);
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
	sf_snap_pub_free(f->pub);
	sf_collector_free(f->coll);
	free(f);
	return 0;
}

static void
publish(struct fixture *f)
{
	struct sf_snap *s = sf_collector_snapshot(f->coll, &f->st);

	assert_non_null(s);
	sf_snap_publish(f->pub, s, sf_collector_version(f->coll));
}

static void
add_interval(struct fixture *f, uint64_t t, uint64_t packets)
{
	static struct sf_msg_interval m;
	struct sf_interval_agg a;

	memset(&a, 0, sizeof(a));
	a.interval = t;
	a.received = a.flowed = packets;
	a.bytes = packets * 100;
	memset(&m, 0, sizeof(m));
	m.h.type = SF_MSG_INTERVAL;
	m.h.watermark = t + 1;
	sf_msg_interval_pack(&m, &a);
	sf_collector_handle(f->coll, &m.h);
}

static void
add_record(struct fixture *f, uint8_t last_octet, uint16_t port, uint64_t pkts,
		uint64_t bytes)
{
	static struct sf_msg_records m;
	struct sf_flow_record *r = &m.rec[0];

	memset(&m, 0, sizeof(m));
	m.h.type = SF_MSG_RECORDS;
	m.h.count = 1;
	r->key.ipver = 4;
	r->key.proto = 6;
	r->key.addr_lo[0] = 10;
	r->key.addr_lo[3] = 1;
	r->key.addr_hi[0] = 10;
	r->key.addr_hi[3] = last_octet;
	r->key.port_lo = 40000;
	r->key.port_hi = port;
	r->initiator = SF_DIR_LO;	/* so the responder port is `port` */
	r->packets[0] = pkts;
	r->bytes[0] = bytes;
	sf_collector_handle(f->coll, &m.h);
}

/* GET path on the server; the response (headers and body) in buf. */
static void
get(struct fixture *f, const char *path, char *buf, size_t len)
{
	struct sockaddr_in sa;
	char req[256];
	size_t n = 0;
	ssize_t k;
	int fd, rl;

	assert_true(sf_http_port(f->h) != 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(sf_http_port(f->h));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	rl = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n", path);
	assert_int_equal(write(fd, req, (size_t)rl), (ssize_t)rl);
	while (n + 1 < len && (k = read(fd, buf + n, len - 1 - n)) > 0)
		n += (size_t)k;
	buf[n] = '\0';
	close(fd);
}

static void
test_request(void **state)
{
	struct fixture *f = *state;
	char buf[16384];

	get(f, "/api/v1/summary", buf, sizeof(buf));
	assert_non_null(strstr(buf, " 503 "));	/* nothing published yet */
	add_interval(f, 7, 42);
	publish(f);
	get(f, "/api/v1/summary", buf, sizeof(buf));
	assert_non_null(strstr(buf, "HTTP/1.0 200") != NULL ? buf : strstr(buf, "HTTP/1.1 200"));
	assert_non_null(strstr(buf, "application/json"));
	assert_non_null(strstr(buf, "\"input\":\"test.pcap\""));
	assert_non_null(strstr(buf, "\"start_ns\":70000000000"));
}

/* The server renders the collector's figures as published, nothing of its own. */
static void
test_renders_snapshot(void **state)
{
	struct fixture *f = *state;
	char buf[16384];

	add_record(f, 2, 443, 5, 5000);
	add_record(f, 3, 443, 50, 3000);
	add_record(f, 4, 53, 2, 200);
	publish(f);
	add_record(f, 5, 80, 1, 100000);	/* not published yet */
	get(f, "/api/v1/ports/top", buf, sizeof(buf));
	assert_non_null(strstr(buf, "{\"by\":\"bytes\",\"ports\":[{\"proto\":6,\"name\":\"tcp\","
			"\"port\":443,\"packets\":55,\"bytes\":8000,\"flows\":2},"
			"{\"proto\":6,\"name\":\"tcp\",\"port\":53,"));
	assert_null(strstr(buf, "\"port\":80,"));
	get(f, "/api/v1/flows/top?by=packets&n=1", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"packets\":50,"));
	publish(f);
	get(f, "/api/v1/ports/top?n=1", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"port\":80,"));
}

/* The verdict on a snapshot of f->st published at wall time 1000 s, asked at now. */
static void
verdict(struct fixture *f, uint64_t now_s, bool ready, struct sf_health *h)
{
	struct sf_snap *s = sf_collector_snapshot(f->coll, &f->st);

	assert_non_null(s);
	s->wall_ns = 1000 * SF_NS_PER_S;
	sf_health_check(s, now_s * SF_NS_PER_S, ready, h);
	sf_snap_put(s);
}

static bool
has_reason(const struct sf_health *h, const char *text)
{
	unsigned int i;

	for (i = 0; i < h->n_reasons; i++)
		if (strstr(h->reasons[i], text) != NULL)
			return true;
	return false;
}

/* /healthz and /readyz decide on the snapshot alone: each reason flips them. */
static void
test_health_verdicts(void **state)
{
	struct fixture *f = *state;
	struct sf_health h;

	sf_health_check(NULL, 0, false, &h);
	assert_false(h.ok);
	assert_string_equal(h.status, "starting");
	f->st.live = true;
	f->st.w[0].running = true;
	f->st.w[0].ring_size = 100;
	f->st.n_ports = 1;
	snprintf(f->st.ports[0].name, sizeof(f->st.ports[0].name), "eth1");
	f->st.ports[0].up = true;
	verdict(f, 1001, false, &h);
	assert_true(h.ok);
	assert_string_equal(h.status, "ok");
	verdict(f, 1001, true, &h);
	assert_true(h.ok);
	assert_string_equal(h.status, "ready");
	/* The collector stopped publishing. */
	verdict(f, 1011, false, &h);
	assert_false(h.ok);
	assert_string_equal(h.status, "failing");
	assert_true(has_reason(&h, "collector stalled"));
	/* A worker gone before the input ended; after it, workers end. */
	f->st.w[0].running = false;
	verdict(f, 1001, false, &h);
	assert_false(h.ok);
	assert_true(has_reason(&h, "worker 0"));
	f->st.input_ended = true;
	verdict(f, 1001, false, &h);
	assert_true(h.ok);
	f->st.input_ended = false;
	f->st.w[0].running = true;
	/* A link down: alive, not ready. */
	f->st.ports[0].up = false;
	verdict(f, 1001, false, &h);
	assert_true(h.ok);
	verdict(f, 1001, true, &h);
	assert_false(h.ok);
	assert_string_equal(h.status, "not ready");
	assert_true(has_reason(&h, "port eth1: link down"));
	f->st.ports[0].up = true;
	/* A ring 95% full: behind when live, the pace of a file otherwise. */
	f->st.w[0].ring_used = 95;
	verdict(f, 1001, true, &h);
	assert_false(h.ok);
	assert_true(has_reason(&h, "ring is 95% full"));
	f->st.live = false;
	verdict(f, 1001, true, &h);
	assert_true(h.ok);
	f->st.live = true;
	f->st.w[0].ring_used = 90;
	verdict(f, 1001, true, &h);
	assert_true(h.ok);
	/* Messages dropped lately. */
	f->st.w[0].msgs_lost_recent = 3;
	verdict(f, 1001, true, &h);
	assert_false(h.ok);
	assert_true(has_reason(&h, "dropped 3 messages"));
	f->st.w[0].msgs_lost_recent = 0;
	/* A finished input is alive and ready, however old its last snapshot. */
	f->st.finished = true;
	f->st.ports[0].up = false;
	verdict(f, 5000, true, &h);
	assert_true(h.ok);
	assert_string_equal(h.status, "finished");
	assert_int_equal(h.n_reasons, 0);
}

/*
 * The probes answer without the token (orchestrators have none) and show
 * the verdict only; the API still asks for it. Links reach the API and
 * /metrics.
 */
static void
test_health_endpoints(void **state)
{
	struct fixture *f = *state;
	static char buf[65536];

	snprintf(f->cfg.http_token, sizeof(f->cfg.http_token), "secret");
	get(f, "/healthz", buf, sizeof(buf));
	assert_non_null(strstr(buf, " 503 "));
	assert_non_null(strstr(buf, "{\"status\":\"starting\",\"reasons\":[\"starting:"));
	f->st.w[0].running = true;
	f->st.n_ports = 1;
	snprintf(f->st.ports[0].name, sizeof(f->st.ports[0].name), "eth1");
	f->st.ports[0].changes = 2;
	f->st.ports[0].last_change_ns = 1234;
	f->st.ports[0].packets = 77;
	add_interval(f, 7, 42);
	publish(f);
	get(f, "/healthz", buf, sizeof(buf));
	assert_non_null(strstr(buf, " 200 "));
	assert_non_null(strstr(buf, "{\"status\":\"ok\",\"reasons\":[]}"));
	assert_null(strstr(buf, "packets"));
	get(f, "/readyz", buf, sizeof(buf));
	assert_non_null(strstr(buf, " 503 "));
	assert_non_null(strstr(buf, "{\"status\":\"not ready\",\"reasons\":[\"port eth1: "
			"link down\"]}"));
	get(f, "/api/v1/links", buf, sizeof(buf));
	assert_non_null(strstr(buf, " 401 "));
	f->cfg.http_token[0] = '\0';
	get(f, "/api/v1/links", buf, sizeof(buf));
	assert_non_null(strstr(buf, "{\"links\":[{\"port\":\"eth1\",\"up\":false,"
			"\"speed_mbps\":null,\"packets\":77,\"changes\":2,"
			"\"last_change_ns\":1234}]}"));
	get(f, "/metrics", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\nspanflow_link_up{port=\"eth1\"} 0\n"));
	assert_non_null(strstr(buf, "\nspanflow_link_changes_total{port=\"eth1\"} 2\n"));
	assert_non_null(strstr(buf, "\nspanflow_port_packets_total{port=\"eth1\"} 77\n"));
	assert_non_null(strstr(buf, "\nspanflow_input_finished 0\n"));
	/* 42 packets flowed in a finalized interval, the input said 0: more than read. */
	assert_non_null(strstr(buf, "\nspanflow_conservation_ok 0\n"));
	f->st.input_received = 50;
	publish(f);
	get(f, "/metrics", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\nspanflow_conservation_ok 1\n"));
	assert_non_null(strstr(buf, "\nspanflow_packets_unaccounted 8\n"));
	f->st.finished = true;
	publish(f);
	get(f, "/metrics", buf, sizeof(buf));
	assert_non_null(strstr(buf, "\nspanflow_conservation_ok 0\n"));
	assert_non_null(strstr(buf, "\nspanflow_input_finished 1\n"));
	get(f, "/readyz", buf, sizeof(buf));
	assert_non_null(strstr(buf, "{\"status\":\"finished\",\"reasons\":[]}"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_renders_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_health_verdicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_health_endpoints, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
