/* SPDX-License-Identifier: BSD-3-Clause */
/* JSON lines: a record formats to the exact documented line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sf_export.h"

static void
make_record(struct sf_flow_record *r, int v6)
{
	uint8_t a4[4] = { 192, 0, 2, 10 }, b4[4] = { 198, 51, 100, 7 };
	uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	uint8_t b6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	enum sf_flow_dir d;

	memset(r, 0, sizeof(*r));
	/* The initiator is the higher end of the canonical key here. */
	if (v6)
		d = sf_flow_key_make(&r->key, 6, b6, a6, 16, 443, 51000, 6, 100);
	else
		d = sf_flow_key_make(&r->key, 4, b4, a4, 4, 53, 40000, 17, 0);
	r->initiator = (uint8_t)d;
	r->start_ns = 1700000000123456789ULL;
	r->end_ns = 1700000001000000000ULL;
	r->packets[0] = 3;
	r->bytes[0] = 180;
	r->packets[1] = 2;
	r->bytes[1] = 1500;
	r->tcp_flags[0] = 0x1b;
	r->tcp_flags[1] = 0x12;
	r->dscp = 46;
	r->port = v6 ? 2 : 0;
	r->end_reason = SF_END_TCP_RST;
}

static void
test_record_v4(void **state)
{
	struct sf_flow_record r;
	char buf[1024];
	size_t n;

	(void)state;
	make_record(&r, 0);
	assert_int_equal(r.initiator, SF_DIR_HI);
	n = sf_jsonl_format_record(buf, sizeof(buf), &r);
	assert_string_equal(buf,
		"{\"start_ns\":1700000000123456789,\"end_ns\":1700000001000000000,"
		"\"src_addr\":\"198.51.100.7\",\"src_port\":53,"
		"\"dst_addr\":\"192.0.2.10\",\"dst_port\":40000,"
		"\"proto\":17,\"ip_version\":4,\"vlan\":0,\"ingress_port\":0,"
		"\"packets\":3,\"bytes\":180,\"rev_packets\":2,\"rev_bytes\":1500,"
		"\"tcp_flags\":27,\"rev_tcp_flags\":18,\"dscp\":46,\"end_reason\":\"tcp_rst\"}");
	assert_int_equal(n, strlen(buf));
}

static void
test_record_v6_and_truncation(void **state)
{
	struct sf_flow_record r;
	char buf[1024], small[40];
	size_t n;

	(void)state;
	make_record(&r, 1);
	n = sf_jsonl_format_record(buf, sizeof(buf), &r);
	assert_non_null(strstr(buf, "\"src_addr\":\"2001:db8::2\",\"src_port\":443,"
			"\"dst_addr\":\"2001:db8::1\",\"dst_port\":51000,\"proto\":6,"
			"\"ip_version\":6,\"vlan\":100,\"ingress_port\":2,"));
	/* A short buffer is cut, terminated, and the full length reported. */
	assert_int_equal(sf_jsonl_format_record(small, sizeof(small), &r), n);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, buf, sizeof(small) - 1);
}

static void
test_file_lines(void **state)
{
	char path[] = "/tmp/sf_test_export_XXXXXX";
	char err[256], line[2048];
	struct sf_flow_record r;
	struct sf_interval_agg a;
	struct sf_jsonl *j;
	FILE *f;
	int fd, lines = 0;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	j = sf_jsonl_open(path, 10000000000ULL, NULL, err, sizeof(err));
	assert_non_null(j);
	make_record(&r, 0);
	sf_jsonl_write_record(j, &r);
	memset(&a, 0, sizeof(a));
	a.interval = 170000000;
	a.received = a.flowed = 5;
	a.proto_packets[17] = 5;
	a.proto_bytes[17] = 1680;
	a.bytes = 1680;
	a.flows_ended[SF_END_TCP_RST] = 1;
	sf_jsonl_write_interval(j, &a);
	assert_int_equal(sf_jsonl_close(j, err, sizeof(err)), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		assert_true(line[strlen(line) - 1] == '\n');
		lines++;
		if (lines == 2) {
			assert_non_null(strstr(line, "\"interval_start_ns\":1700000000000000000,"
					"\"interval_ns\":10000000000,\"received\":5,\"packets\":5,"
					"\"bytes\":1680,"));
			assert_non_null(strstr(line, "\"protocols\":[{\"proto\":17,\"packets\":5,"
					"\"bytes\":1680}]"));
			assert_non_null(strstr(line, "\"flows\":{\"new\":0,\"ended\":1,"
					"\"active\":0}"));
		}
	}
	fclose(f);
	unlink(path);
	assert_int_equal(lines, 2);
}

static void
test_csv_line(void **state)
{
	struct sf_flow_record r;
	char buf[1024];
	size_t n;

	(void)state;
	make_record(&r, 0);
	assert_string_equal(sf_csv_header(), "start_ns,end_ns,src_addr,src_port,dst_addr,"
			"dst_port,proto,ip_version,vlan,ingress_port,packets,bytes,rev_packets,rev_bytes,"
			"tcp_flags,rev_tcp_flags,dscp,end_reason\n");
	n = sf_csv_format_record(buf, sizeof(buf), &r);
	assert_int_equal(n, strlen(buf));
	assert_string_equal(buf, "1700000000123456789,1700000001000000000,198.51.100.7,53,"
			"192.0.2.10,40000,17,4,0,0,3,180,2,1500,27,18,46,tcp_rst");
}

static void
test_open_error(void **state)
{
	char err[256];

	(void)state;
	assert_null(sf_jsonl_open("/nonexistent-dir/x.jsonl", 1, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent-dir/x.jsonl: cannot open for writing"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_v4),
		cmocka_unit_test(test_record_v6_and_truncation),
		cmocka_unit_test(test_file_lines),
		cmocka_unit_test(test_csv_line),
		cmocka_unit_test(test_open_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
