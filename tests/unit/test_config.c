/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for lib/config: YAML loading, overrides, checks and dump. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sf_config.h"

#define NS_S UINT64_C(1000000000)
#define NS_MS UINT64_C(1000000)

/* Helpers */

static void
assert_config_equal(const struct sf_config *a, const struct sf_config *b)
{
	unsigned int i;

	assert_string_equal(a->input_file, b->input_file);
	assert_int_equal(a->reader, b->reader);
	assert_int_equal(a->workers, b->workers);
	assert_int_equal(a->interval_ns, b->interval_ns);
	assert_int_equal(a->idle_timeout_ns, b->idle_timeout_ns);
	assert_int_equal(a->active_timeout_ns, b->active_timeout_ns);
	assert_int_equal(a->tcp_end_timeout_ns, b->tcp_end_timeout_ns);
	assert_int_equal(a->flow_capacity, b->flow_capacity);
	assert_int_equal(a->ring_size, b->ring_size);
	assert_int_equal(a->msg_pool_size, b->msg_pool_size);
	assert_int_equal(a->dispatch_ring_size, b->dispatch_ring_size);
	assert_int_equal(a->mbuf_pool_size, b->mbuf_pool_size);
	assert_string_equal(a->flows_path, b->flows_path);
	assert_string_equal(a->intervals_path, b->intervals_path);
	assert_int_equal(a->report, b->report);
	assert_int_equal(a->progress, b->progress);
	assert_int_equal(a->hugepages, b->hugepages);
	assert_int_equal(a->idle, b->idle);
	assert_int_equal(a->n_eal_args, b->n_eal_args);
	for (i = 0; i < a->n_eal_args && i < SF_CONFIG_MAX_EAL_ARGS; i++)
		assert_string_equal(a->eal_args[i], b->eal_args[i]);
	assert_int_equal(a->n_ipfix, b->n_ipfix);
	for (i = 0; i < a->n_ipfix && i < SF_CONFIG_MAX_IPFIX; i++)
		assert_memory_equal(&a->ipfix[i], &b->ipfix[i], sizeof(a->ipfix[i]));
	assert_memory_equal(&a->http_listen, &b->http_listen, sizeof(a->http_listen));
}

static int
load(struct sf_config *c, const char *yaml, char *err)
{
	sf_config_defaults(c);
	err[0] = '\0';
	return sf_config_load_string(c, "t.yaml", yaml, err, SF_CONFIG_ERR_LEN);
}

/* err must start with `prefix` and contain each of the NULL-terminated substrings. */
static void
assert_err(const char *err, const char *prefix, ...)
{
	const char *sub;
	va_list ap;

	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("error '%s' does not start with '%s'", err, prefix);
	va_start(ap, prefix);
	while ((sub = va_arg(ap, const char *)) != NULL) {
		if (strstr(err, sub) == NULL) {
			va_end(ap);
			fail_msg("error '%s' does not contain '%s'", err, sub);
		}
	}
	va_end(ap);
}

#define LOAD_FAILS(yaml, prefix, ...) do { \
	struct sf_config c_; \
	char e_[SF_CONFIG_ERR_LEN]; \
	assert_int_equal(load(&c_, (yaml), e_), -1); \
	assert_err(e_, (prefix), ## __VA_ARGS__, NULL); \
} while (0)

#define SET_FAILS(key, value, prefix, ...) do { \
	struct sf_config c_, d_; \
	char e_[SF_CONFIG_ERR_LEN] = ""; \
	sf_config_defaults(&c_); \
	sf_config_defaults(&d_); \
	assert_int_equal(sf_config_set(&c_, (key), (value), e_, sizeof(e_)), -1); \
	assert_err(e_, (prefix), ## __VA_ARGS__, NULL); \
	assert_config_equal(&c_, &d_); \
} while (0)

/* "a.b" + "v" -> "a:\n  b: v\n"; "k" + "v" -> "k: v\n". Returns the value's column. */
static int
yaml_for(const char *key, const char *value, char *buf, size_t len)
{
	const char *dot = strchr(key, '.');

	if (dot == NULL) {
		snprintf(buf, len, "%s: %s\n", key, value);
		return (int)strlen(key) + 3;
	}
	snprintf(buf, len, "%.*s:\n  %s: %s\n", (int)(dot - key), key, dot + 1, value);
	return (int)strlen(dot + 1) + 5;
}

/*
 * Path of a file in the source tree: $SF_SOURCE_DIR when set, else the
 * macro of that name, else from __FILE__, the path meson passed to the
 * compiler (relative to the build directory, where meson runs tests, or
 * absolute): "<dir of this file>/../../<rel>".
 */
static void
source_path(char *buf, size_t len, const char *rel)
{
	const char *env = getenv("SF_SOURCE_DIR");

	if (env != NULL && env[0] != '\0') {
		snprintf(buf, len, "%s/%s", env, rel);
		return;
	}
#ifdef SF_SOURCE_DIR
	snprintf(buf, len, "%s/%s", SF_SOURCE_DIR, rel);
#else
	const char *slash = strrchr(__FILE__, '/');

	if (slash == NULL)
		snprintf(buf, len, "../../%s", rel);
	else
		snprintf(buf, len, "%.*s/../../%s", (int)(slash - __FILE__), __FILE__, rel);
#endif
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Defaults and the shipped file */

static void
test_defaults(void **state)
{
	struct sf_config c;

	(void)state;
	memset(&c, 0xa5, sizeof(c));
	sf_config_defaults(&c);
	assert_string_equal(c.input_file, "");
	assert_int_equal(c.reader, SF_READER_NATIVE);
	assert_int_equal(c.workers, 0);
	assert_int_equal(c.interval_ns, 10 * NS_S);
	assert_int_equal(c.idle_timeout_ns, 60 * NS_S);
	assert_int_equal(c.active_timeout_ns, 300 * NS_S);
	assert_int_equal(c.tcp_end_timeout_ns, 5 * NS_S);
	assert_int_equal(c.flow_capacity, 262144);
	assert_int_equal(c.ring_size, 512);
	assert_int_equal(c.msg_pool_size, 1024);
	assert_int_equal(c.dispatch_ring_size, 4096);
	assert_int_equal(c.mbuf_pool_size, 32767);
	assert_string_equal(c.flows_path, "");
	assert_string_equal(c.intervals_path, "");
	assert_true(c.report);
	assert_true(c.progress);
	assert_int_equal(c.hugepages, SF_HUGEPAGES_AUTO);
	assert_int_equal(c.idle, SF_IDLE_ADAPTIVE);
	assert_int_equal(c.n_eal_args, 0);
	assert_int_equal(c.n_ipfix, 0);
	assert_int_equal(c.http_listen.family, AF_INET);
	assert_int_equal(c.http_listen.port, 8080);
	assert_string_equal(c.http_listen.text, "127.0.0.1:8080");
}

static void
test_shipped_config(void **state)
{
	char path[PATH_MAX], want[PATH_MAX], err[SF_CONFIG_ERR_LEN] = "";
	struct sf_config c, d;
	const char *slash;

	(void)state;
	source_path(path, sizeof(path), "config/spanflow.yaml");
	sf_config_defaults(&c);
	if (sf_config_load_file(&c, path, err, sizeof(err)) != 0)
		fail_msg("%s", err);

	/* Every value equals the built-in default, except the sample input. */
	slash = strrchr(path, '/');
	snprintf(want, sizeof(want), "%.*s/../tests/data/sample.pcap",
			(int)(slash - path), path);
	assert_string_equal(c.input_file, want);
	sf_config_defaults(&d);
	snprintf(d.input_file, sizeof(d.input_file), "%s", want);
	assert_config_equal(&c, &d);
	assert_int_equal(sf_config_check(&c, err, sizeof(err)), 0);
}

static void
test_empty_documents(void **state)
{
	static const char *const docs[] = {
		"", "# only a comment\n", "---\n", "~\n", "---\n...\n", "\n\n",
		"timeouts:\n", "dpdk: ~\n",
	};
	struct sf_config c, d;
	char err[SF_CONFIG_ERR_LEN];
	size_t i;

	(void)state;
	sf_config_defaults(&d);
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		if (load(&c, docs[i], err) != 0)
			fail_msg("'%s': %s", docs[i], err);
		assert_config_equal(&c, &d);
	}
}

static void
test_empty_file(void **state)
{
	char dir[] = "/tmp/sf_test_config_XXXXXX", path[PATH_MAX], err[SF_CONFIG_ERR_LEN];
	struct sf_config c, d;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/empty.yaml", dir);
	write_file(path, "");
	sf_config_defaults(&c);
	sf_config_defaults(&d);
	assert_int_equal(sf_config_load_file(&c, path, err, sizeof(err)), 0);
	assert_config_equal(&c, &d);
	unlink(path);
	rmdir(dir);
}

static void
test_missing_file(void **state)
{
	char err[SF_CONFIG_ERR_LEN] = "";
	struct sf_config c;

	(void)state;
	sf_config_defaults(&c);
	assert_int_equal(sf_config_load_file(&c, "/nonexistent/x.yaml", err, sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/x.yaml: cannot open: No such file or directory");
	assert_int_equal(sf_config_load_file(&c, "/tmp", err, sizeof(err)), -1);
	assert_string_equal(err, "/tmp: cannot open: Is a directory");
}

/* Structure and type errors */

static void
test_top_level(void **state)
{
	(void)state;
	LOAD_FAILS("- a\n- b\n", "t.yaml:1:1: top level is a list; expected a mapping");
	LOAD_FAILS("hello\n", "t.yaml:1:1: top level is a scalar; expected a mapping");
	LOAD_FAILS("workers: 2\n---\nworkers: 3\n", "t.yaml:3:1: a second YAML document");
}

static void
test_type_errors(void **state)
{
	(void)state;
	/* A mapping where a scalar is expected: points at the mapping's first key. */
	LOAD_FAILS("interval:\n  seconds: 5\n",
			"t.yaml:2:3: interval: got a mapping; expected a duration 1ms..1d");
	LOAD_FAILS("timeouts:\n  idle: {a: 1}\n",
			"t.yaml:2:9: timeouts.idle: got a mapping; expected a duration");
	/* A sequence where a scalar is expected. */
	LOAD_FAILS("workers: [1, 2]\n",
			"t.yaml:1:10: workers: got a list; expected auto or an integer 1..64");
	LOAD_FAILS("output:\n  flows:\n    - a\n",
			"t.yaml:3:5: output.flows: got a list; expected a path");
	/* Text where a number is expected. */
	LOAD_FAILS("flow_table:\n  capacity: many\n",
			"t.yaml:2:13: flow_table.capacity: 'many' is not an integer; expected an "
			"integer 16..134217728");
	LOAD_FAILS("rings:\n  size: -64\n", "t.yaml:2:9: rings.size: '-64' is not an integer");
	LOAD_FAILS("interval: soon\n", "t.yaml:1:11: interval: 'soon' is not a duration");
	LOAD_FAILS("output:\n  report: maybe\n",
			"t.yaml:2:11: output.report: 'maybe' is not a boolean; expected true or "
			"false");
	/* No value at all. */
	LOAD_FAILS("interval:\n", "t.yaml:1:10: interval: got no value; expected a duration");
	LOAD_FAILS("input:\n  file: ~\n", "t.yaml:2:9: input.file: got no value");
	/* A scalar or a list where a section is expected. */
	LOAD_FAILS("timeouts: 5\n",
			"t.yaml:1:11: timeouts: got a scalar; expected a mapping with keys: idle, "
			"active, tcp_end");
	LOAD_FAILS("rings:\n  - 1\n",
			"t.yaml:2:3: rings: got a list; expected a mapping with keys: size, pool, "
			"dispatch, mbufs");
	/* A list setting given something else. */
	LOAD_FAILS("dpdk:\n  eal_args: --no-pci\n",
			"t.yaml:2:13: dpdk.eal_args: got a scalar; expected a list of at most 32 "
			"strings");
	LOAD_FAILS("dpdk:\n  eal_args: [a, [b]]\n",
			"t.yaml:2:17: dpdk.eal_args: item is a list");
	/* A key that is not a scalar. */
	LOAD_FAILS("? [a]\n: 1\n", "t.yaml:1:3: key is a list; expected one of: input,");
}

static void
test_unknown_keys(void **state)
{
	(void)state;
	LOAD_FAILS("workers: 2\nintervall: 5\n",
			"t.yaml:2:1: unknown key 'intervall'; expected one of: input, workers, "
			"interval, timeouts, flow_table, rings, filter, inner_filter, dedup, sampling, shutdown, "
			"output, export, http, live, tunnel, tcp, app, features, dpdk");
	LOAD_FAILS("timeouts:\n  idle: 5\n  idel: 3\n",
			"t.yaml:3:3: unknown key 'idel' in 'timeouts'; expected one of: idle, "
			"active, tcp_end");
	LOAD_FAILS("dpdk:\n  eal: []\n",
			"t.yaml:2:3: unknown key 'eal' in 'dpdk'; expected one of: hugepages, "
			"idle, eal_args");
	/* Dotted keys belong to the command line, not the file. */
	LOAD_FAILS("timeouts.idle: 5\n", "t.yaml:1:1: unknown key 'timeouts.idle'; expected");
	/* Keys are case-sensitive. */
	LOAD_FAILS("Workers: 2\n", "t.yaml:1:1: unknown key 'Workers'");
}

static void
test_duplicate_keys(void **state)
{
	(void)state;
	LOAD_FAILS("workers: 2\ninterval: 5\nworkers: 3\n",
			"t.yaml:3:1: duplicate key 'workers' (first at 1:1); expected each key "
			"once");
	LOAD_FAILS("timeouts:\n  idle: 5\n  active: 9\n  idle: 6\n",
			"t.yaml:4:3: duplicate key 'idle' in 'timeouts' (first at 2:3)");
	LOAD_FAILS("rings: {size: 64}\nrings: {pool: 128}\n",
			"t.yaml:2:1: duplicate key 'rings' (first at 1:1)");
}

static void
test_syntax_errors(void **state)
{
	(void)state;
	/* Bad indent: "active" is less indented than its sibling. */
	LOAD_FAILS("timeouts:\n  idle: 5\n active: 10\n",
			"t.yaml:3:2: invalid YAML: did not find expected key", "1:1", NULL);
	/* Over-indented: a nested mapping after a scalar value. */
	LOAD_FAILS("timeouts:\n  idle: 5\n    active: 10\n",
			"t.yaml:3:11: invalid YAML: mapping values are not allowed");
	/* A tab used for indentation. */
	LOAD_FAILS("input:\n\tfile: x\n",
			"t.yaml:2:1: invalid YAML: found character that cannot start any token");
	LOAD_FAILS("input:\n  file: \"x\n", "t.yaml:3:1: invalid YAML: found unexpected end of",
			"quoted scalar at 2:9", NULL);
	LOAD_FAILS("dpdk:\n  eal_args: [a, b\n", "t.yaml:3:1: invalid YAML: did not find "
			"expected ',' or ']'");
	LOAD_FAILS("workers: *nope\n", "t.yaml:1:10: invalid YAML: found undefined alias");
}

static void
test_syntax_error_in_file(void **state)
{
	char dir[] = "/tmp/sf_test_config_XXXXXX", path[PATH_MAX], want[PATH_MAX + 64];
	char err[SF_CONFIG_ERR_LEN] = "";
	struct sf_config c, d;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/bad.yaml", dir);
	write_file(path, "# comment\nrings:\n  size: 64\n   pool: 128\n");
	sf_config_defaults(&c);
	sf_config_defaults(&d);
	assert_int_equal(sf_config_load_file(&c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:4:8: invalid YAML: mapping values are not allowed",
			path);
	assert_err(err, want, NULL);
	/* A failed load changes nothing. */
	assert_config_equal(&c, &d);
	unlink(path);
	rmdir(dir);
}

static void
test_failed_load_changes_nothing(void **state)
{
	char err[SF_CONFIG_ERR_LEN] = "";
	struct sf_config c, d;

	(void)state;
	sf_config_defaults(&c);
	assert_int_equal(sf_config_set(&c, "workers", "4", err, sizeof(err)), 0);
	memcpy(&d, &c, sizeof(d));
	/* The first settings are valid, the last is not. */
	assert_int_equal(sf_config_load_string(&c, "t.yaml",
			"workers: 8\ninterval: 1\ndpdk:\n  eal_args: [a]\n  idle: lazy\n",
			err, sizeof(err)), -1);
	assert_err(err, "t.yaml:5:9: dpdk.idle: unknown value 'lazy'", NULL);
	assert_config_equal(&c, &d);
	/* Loading over current values keeps what the file does not set. */
	assert_int_equal(sf_config_load_string(&c, "t.yaml", "interval: 1\n", err, sizeof(err)),
			0);
	assert_int_equal(c.workers, 4);
	assert_int_equal(c.interval_ns, NS_S);
}

/* Values */

struct range_case {
	const char *key;
	const char *low;	/* just below the minimum */
	const char *min;
	const char *max;
	const char *high;	/* just above the maximum */
};

static const struct range_case range_cases[] = {
	{ "workers", "0", "1", "64", "65" },
	{ "interval", "0.0009", "1ms", "86400", "86401" },
	{ "timeouts.idle", "0", "0.001", "7d", "604801" },
	{ "timeouts.active", "999us", "1000us", "168h", "168.001h" },
	{ "timeouts.tcp_end", "0s", "1ms", "10080m", "10081m" },
	{ "flow_table.capacity", "15", "16", "128M", "134217729" },
	{ "rings.size", "32", "64", "64k", "128k" },
	{ "rings.pool", "127", "128", "16M", "16777217" },
	{ "rings.dispatch", "128", "256", "256k", "512k" },
	{ "rings.mbufs", "1022", "1023", "64M", "67108865" },
};

static void
test_out_of_range(void **state)
{
	char yaml[256], prefix[256], err[SF_CONFIG_ERR_LEN];
	const struct range_case *r;
	const char *bad[2];
	struct sf_config c;
	size_t i, j;
	int col;

	(void)state;
	for (i = 0; i < sizeof(range_cases) / sizeof(range_cases[0]); i++) {
		r = &range_cases[i];
		bad[0] = r->low;
		bad[1] = r->high;
		for (j = 0; j < 2; j++) {
			col = yaml_for(r->key, bad[j], yaml, sizeof(yaml));
			snprintf(prefix, sizeof(prefix),
					"t.yaml:%d:%d: %s: '%s' is out of range; expected ",
					strchr(r->key, '.') ? 2 : 1, col, r->key, bad[j]);
			LOAD_FAILS(yaml, prefix);
			snprintf(prefix, sizeof(prefix), "%s: '%s' is out of range; expected ",
					r->key, bad[j]);
			SET_FAILS(r->key, bad[j], prefix);
		}
		/* The limits themselves are accepted. */
		yaml_for(r->key, r->min, yaml, sizeof(yaml));
		if (load(&c, yaml, err) != 0)
			fail_msg("%s", err);
		yaml_for(r->key, r->max, yaml, sizeof(yaml));
		if (load(&c, yaml, err) != 0)
			fail_msg("%s", err);
	}
	SET_FAILS("rings.size", "99999999999999999999999", "rings.size: '99999999999999999999999' "
			"is too large");
	SET_FAILS("interval", "99999999999999999999999", "interval: '99999999999999999999999' "
			"is too large");
	SET_FAILS("interval", "5124096h", "interval: '5124096h' is too large");
	SET_FAILS("rings.size", "17179869184G", "rings.size: '17179869184G' is too large");
}

static void
test_integers(void **state)
{
	char err[SF_CONFIG_ERR_LEN];
	struct sf_config c;

	(void)state;
	assert_int_equal(load(&c, "flow_table:\n  capacity: 256k\nrings:\n  mbufs: 1M\n"
			"  size: 0064\n  pool: \"8192\"\n", err), 0);
	assert_int_equal(c.flow_capacity, 262144);
	assert_int_equal(c.mbuf_pool_size, 1048576);
	assert_int_equal(c.ring_size, 64);
	assert_int_equal(c.msg_pool_size, 8192);
	assert_int_equal(load(&c, "flow_table:\n  capacity: 0G\n", err), -1);
	assert_err(err, "t.yaml:2:13: flow_table.capacity: '0G' is out of range", NULL);
	LOAD_FAILS("flow_table:\n  capacity: 256kb\n", "t.yaml:2:13: flow_table.capacity: "
			"'256kb' is not an integer; expected an integer 16..134217728 "
			"(suffix k, M, G");
	LOAD_FAILS("flow_table:\n  capacity: 1e6\n", "t.yaml:2:13: flow_table.capacity: "
			"'1e6' is not an integer");
	LOAD_FAILS("flow_table:\n  capacity: 1000.5\n", "t.yaml:2:13: flow_table.capacity: "
			"'1000.5' is not an integer");
	LOAD_FAILS("flow_table:\n  capacity: 0x100\n", "t.yaml:2:13: flow_table.capacity: "
			"'0x100' is not an integer");
	LOAD_FAILS("flow_table:\n  capacity: \"\"\n", "t.yaml:2:13: flow_table.capacity: "
			"'' is not an integer");
}

static void
test_power_of_two(void **state)
{
	char err[SF_CONFIG_ERR_LEN];
	struct sf_config c;

	(void)state;
	LOAD_FAILS("rings:\n  size: 1000\n", "t.yaml:2:9: rings.size: '1000' is not a power of "
			"two; expected a power of two 64..65536");
	LOAD_FAILS("rings:\n  dispatch: 3k\n", "t.yaml:2:13: rings.dispatch: '3k' is not a power "
			"of two; expected a power of two 256..262144");
	SET_FAILS("rings.size", "96", "rings.size: '96' is not a power of two");
	/* rings.pool and rings.mbufs need not be powers of two. */
	assert_int_equal(load(&c, "rings:\n  size: 2048\n  pool: 5000\n  mbufs: 8191\n", err),
			0);
	assert_int_equal(c.ring_size, 2048);
	assert_int_equal(c.msg_pool_size, 5000);
	assert_int_equal(c.mbuf_pool_size, 8191);
}

static void
test_enums(void **state)
{
	char err[SF_CONFIG_ERR_LEN];
	struct sf_config c;

	(void)state;
	assert_int_equal(load(&c, "input:\n  reader: net_pcap\ndpdk:\n  hugepages: no\n"
			"  idle: busy\n", err), 0);
	assert_int_equal(c.reader, SF_READER_NET_PCAP);
	assert_int_equal(c.hugepages, SF_HUGEPAGES_NO);
	assert_int_equal(c.idle, SF_IDLE_BUSY);
	assert_int_equal(load(&c, "dpdk:\n  hugepages: \"yes\"\n", err), 0);
	assert_int_equal(c.hugepages, SF_HUGEPAGES_YES);
	LOAD_FAILS("input:\n  reader: pcap\n", "t.yaml:2:11: input.reader: unknown value 'pcap'; "
			"expected one of: libpcap, net_pcap, native");
	LOAD_FAILS("dpdk:\n  hugepages: maybe\n", "t.yaml:2:14: dpdk.hugepages: unknown value "
			"'maybe'; expected one of: auto, yes, no");
	LOAD_FAILS("dpdk:\n  idle: Busy\n", "t.yaml:2:9: dpdk.idle: unknown value 'Busy'; "
			"expected one of: adaptive, busy");
}

static void
test_durations(void **state)
{
	static const struct {
		const char *text;
		uint64_t ns;
	} ok[] = {
		{ "500ms", 500 * NS_MS }, { "2m", 120 * NS_S }, { "0.25", 250 * NS_MS },
		{ "10", 10 * NS_S }, { "10s", 10 * NS_S }, { "1.5s", 1500 * NS_MS },
		{ "1h", 3600 * NS_S }, { "1d", 86400 * NS_S }, { ".5", 500 * NS_MS },
		{ "3.", 3 * NS_S }, { "1500us", 1500000 }, { "2000000ns", 2 * NS_MS },
		{ "0.5m", 30 * NS_S }, { "10 s", 10 * NS_S }, { "0.0015", 1500000 },
		{ "\"250ms\"", 250 * NS_MS },
	};
	static const char *const bad[] = {
		"5x", "10 sec", "5S", "1e3", "-1", "+1", "1..5", "ms", ".", "1,5s", "5 m s",
	};
	char yaml[128], prefix[128], err[SF_CONFIG_ERR_LEN];
	struct sf_config c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(yaml, sizeof(yaml), "interval: %s\n", ok[i].text);
		if (load(&c, yaml, err) != 0)
			fail_msg("'%s': %s", ok[i].text, err);
		assert_int_equal(c.interval_ns, ok[i].ns);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(yaml, sizeof(yaml), "timeouts:\n  idle: %s\n", bad[i]);
		snprintf(prefix, sizeof(prefix), "t.yaml:2:9: timeouts.idle: '%s' ", bad[i]);
		LOAD_FAILS(yaml, prefix, "; expected a duration 1ms..7d: seconds (0.5) or a "
				"number with a unit ns, us, ms, s, m, h, d (500ms, 5m)");
	}
	LOAD_FAILS("interval: 5x\n", "t.yaml:1:11: interval: '5x' has an unknown unit 'x'");
	LOAD_FAILS("interval: 2 weeks\n", "t.yaml:1:11: interval: '2 weeks' has an unknown "
			"unit 'weeks'");
	LOAD_FAILS("interval: -1\n", "t.yaml:1:11: interval: '-1' is not a duration");
}

static void
test_booleans(void **state)
{
	static const struct {
		const char *text;
		bool v;
	} ok[] = {
		{ "true", true }, { "false", false }, { "yes", true }, { "no", false },
		{ "on", true }, { "off", false }, { "True", true }, { "OFF", false },
	};
	char yaml[128], err[SF_CONFIG_ERR_LEN];
	struct sf_config c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(yaml, sizeof(yaml), "output:\n  report: %s\n  progress: %s\n",
				ok[i].text, ok[i].text);
		if (load(&c, yaml, err) != 0)
			fail_msg("'%s': %s", ok[i].text, err);
		assert_int_equal(c.report, ok[i].v);
		assert_int_equal(c.progress, ok[i].v);
	}
	LOAD_FAILS("output:\n  progress: 1\n", "t.yaml:2:13: output.progress: '1' is not a "
			"boolean; expected true or false (or yes/no, on/off)");
}

static void
test_workers(void **state)
{
	char err[SF_CONFIG_ERR_LEN];
	struct sf_config c;

	(void)state;
	assert_int_equal(load(&c, "workers: 8\n", err), 0);
	assert_int_equal(c.workers, 8);
	assert_int_equal(load(&c, "workers: 64\n", err), 0);
	assert_int_equal(c.workers, 64);
	assert_int_equal(sf_config_load_string(&c, "t.yaml", "workers: auto\n", err,
			sizeof(err)), 0);
	assert_int_equal(c.workers, 0);
	LOAD_FAILS("workers: 0\n", "t.yaml:1:10: workers: '0' is out of range; expected auto "
			"or an integer 1..64");
	LOAD_FAILS("workers: 65\n", "t.yaml:1:10: workers: '65' is out of range; expected auto "
			"or an integer 1..64");
	LOAD_FAILS("workers: x\n", "t.yaml:1:10: workers: 'x' is not an integer; expected auto "
			"or an integer 1..64");
	LOAD_FAILS("workers: AUTO\n", "t.yaml:1:10: workers: 'AUTO' is not an integer");
}

static void
test_eal_args(void **state)
{
	char yaml[4096], err[SF_CONFIG_ERR_LEN];
	struct sf_config c;
	size_t n, i;

	(void)state;
	assert_int_equal(load(&c, "dpdk:\n  eal_args:\n    - --log-level=8\n    - \"-a\"\n"
			"    - '0000:01:00.0'\n", err), 0);
	assert_int_equal(c.n_eal_args, 3);
	assert_string_equal(c.eal_args[0], "--log-level=8");
	assert_string_equal(c.eal_args[1], "-a");
	assert_string_equal(c.eal_args[2], "0000:01:00.0");

	/* A later list replaces an earlier one; null and [] clear it. */
	assert_int_equal(sf_config_load_string(&c, "t.yaml", "dpdk:\n  eal_args: [--no-pci]\n",
			err, sizeof(err)), 0);
	assert_int_equal(c.n_eal_args, 1);
	assert_string_equal(c.eal_args[0], "--no-pci");
	assert_int_equal(sf_config_load_string(&c, "t.yaml", "dpdk:\n  eal_args:\n", err,
			sizeof(err)), 0);
	assert_int_equal(c.n_eal_args, 0);
	assert_string_equal(c.eal_args[0], "");

	/* 32 items fit, 33 do not; the 33rd is the one reported. */
	n = (size_t)snprintf(yaml, sizeof(yaml), "dpdk:\n  eal_args:\n");
	for (i = 0; i < SF_CONFIG_MAX_EAL_ARGS; i++)
		n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "    - a%zu\n", i);
	assert_int_equal(load(&c, yaml, err), 0);
	assert_int_equal(c.n_eal_args, SF_CONFIG_MAX_EAL_ARGS);
	assert_string_equal(c.eal_args[31], "a31");
	snprintf(yaml + n, sizeof(yaml) - n, "    - a32\n");
	LOAD_FAILS(yaml, "t.yaml:35:7: dpdk.eal_args: too many items (more than 32); expected "
			"a list of at most 32 strings of 1..127 bytes");

	/* 127 bytes fit, 128 do not. */
	n = (size_t)snprintf(yaml, sizeof(yaml), "dpdk:\n  eal_args: [ok, ");
	memset(yaml + n, 'x', 127);
	snprintf(yaml + n + 127, sizeof(yaml) - n - 127, "]\n");
	assert_int_equal(load(&c, yaml, err), 0);
	assert_int_equal(strlen(c.eal_args[1]), 127);
	memset(yaml + n, 'x', 128);
	snprintf(yaml + n + 128, sizeof(yaml) - n - 128, "]\n");
	LOAD_FAILS(yaml, "t.yaml:2:18: dpdk.eal_args: 'xxxx", "' is too long (128 bytes)", NULL);

	LOAD_FAILS("dpdk:\n  eal_args: [a, \"\"]\n", "t.yaml:2:17: dpdk.eal_args: empty string");
	LOAD_FAILS("dpdk:\n  eal_args: [a, ~]\n", "t.yaml:2:17: dpdk.eal_args: item is no value");
}

static void
test_relative_paths(void **state)
{
	char dir[] = "/tmp/sf_test_config_XXXXXX", path[PATH_MAX], want[PATH_MAX];
	char err[SF_CONFIG_ERR_LEN] = "";
	struct sf_config c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/spanflow.yaml", dir);
	write_file(path, "input:\n  file: data/x.pcap\noutput:\n  flows: \"-\"\n"
			"  intervals: /var/tmp/i.json\n");
	sf_config_defaults(&c);
	if (sf_config_load_file(&c, path, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	snprintf(want, sizeof(want), "%s/data/x.pcap", dir);
	assert_string_equal(c.input_file, want);
	assert_string_equal(c.flows_path, "-");
	assert_string_equal(c.intervals_path, "/var/tmp/i.json");

	write_file(path, "input:\n  file: \"\"\noutput:\n  flows: ../f.json\n");
	assert_int_equal(sf_config_load_file(&c, path, err, sizeof(err)), 0);
	assert_string_equal(c.input_file, "");
	snprintf(want, sizeof(want), "%s/../f.json", dir);
	assert_string_equal(c.flows_path, want);

	/* From a string there is no file directory: paths are kept as written. */
	assert_int_equal(sf_config_load_string(&c, path, "input:\n  file: a.pcap\n", err,
			sizeof(err)), 0);
	assert_string_equal(c.input_file, "a.pcap");
	unlink(path);
	rmdir(dir);
}

static void
test_path_length(void **state)
{
	char dir[] = "/tmp/sf_test_config_XXXXXX", path[PATH_MAX], want[64];
	char err[SF_CONFIG_ERR_LEN] = "";
	static char yaml[PATH_MAX + 64];
	struct sf_config c;
	size_t n, dlen;

	(void)state;
	/* PATH_MAX - 1 bytes fit (the terminating NUL takes the last byte). */
	n = (size_t)snprintf(yaml, sizeof(yaml), "input:\n  file: /");
	memset(yaml + n, 'p', PATH_MAX - 2);
	snprintf(yaml + n + PATH_MAX - 2, sizeof(yaml) - n - PATH_MAX + 2, "\n");
	assert_int_equal(load(&c, yaml, err), 0);
	assert_int_equal(strlen(c.input_file), PATH_MAX - 1);
	yaml[n + PATH_MAX - 2] = 'p';
	snprintf(yaml + n + PATH_MAX - 1, sizeof(yaml) - n - PATH_MAX + 1, "\n");
	snprintf(want, sizeof(want), "path is too long (%d bytes)", PATH_MAX);
	LOAD_FAILS(yaml, "t.yaml:2:9: input.file: ", want, "expected a path of at most", NULL);

	/* The directory of the file counts towards the length. */
	assert_non_null(mkdtemp(dir));
	dlen = strlen(dir) + 1;
	snprintf(path, sizeof(path), "%s/long.yaml", dir);
	n = (size_t)snprintf(yaml, sizeof(yaml), "output:\n  intervals: ");
	memset(yaml + n, 'q', PATH_MAX - dlen);
	snprintf(yaml + n + PATH_MAX - dlen, sizeof(yaml) - n - PATH_MAX + dlen, "\n");
	write_file(path, yaml);
	sf_config_defaults(&c);
	assert_int_equal(sf_config_load_file(&c, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2:14: output.intervals: path is too long"));
	unlink(path);
	rmdir(dir);
}

static void
test_nul_in_value(void **state)
{
	(void)state;
	LOAD_FAILS("input:\n  file: \"a\\0b\"\n",
			"t.yaml:2:9: input.file: value contains a NUL character");
}

/* Command-line overrides */

static void
test_set(void **state)
{
	char err[SF_CONFIG_ERR_LEN] = "";
	struct sf_config c;

	(void)state;
	sf_config_defaults(&c);
	assert_int_equal(sf_config_set(&c, "input.file", "cap.pcap", err, sizeof(err)), 0);
	assert_string_equal(c.input_file, "cap.pcap");
	assert_int_equal(sf_config_set(&c, "input.reader", "net_pcap", err, sizeof(err)), 0);
	assert_int_equal(c.reader, SF_READER_NET_PCAP);
	assert_int_equal(sf_config_set(&c, "workers", "12", err, sizeof(err)), 0);
	assert_int_equal(c.workers, 12);
	assert_int_equal(sf_config_set(&c, "workers", "auto", err, sizeof(err)), 0);
	assert_int_equal(c.workers, 0);
	assert_int_equal(sf_config_set(&c, "interval", "0.5", err, sizeof(err)), 0);
	assert_int_equal(c.interval_ns, 500 * NS_MS);
	assert_int_equal(sf_config_set(&c, "timeouts.idle", "90s", err, sizeof(err)), 0);
	assert_int_equal(c.idle_timeout_ns, 90 * NS_S);
	assert_int_equal(sf_config_set(&c, "flow_table.capacity", "1M", err, sizeof(err)), 0);
	assert_int_equal(c.flow_capacity, 1 << 20);
	assert_int_equal(sf_config_set(&c, "output.report", "off", err, sizeof(err)), 0);
	assert_false(c.report);
	assert_int_equal(sf_config_set(&c, "dpdk.hugepages", "no", err, sizeof(err)), 0);
	assert_int_equal(c.hugepages, SF_HUGEPAGES_NO);
	/* A list from the command line is one string split on blanks. */
	assert_int_equal(sf_config_set(&c, "dpdk.eal_args", " --no-pci\t-l 0-3 ", err,
			sizeof(err)), 0);
	assert_int_equal(c.n_eal_args, 3);
	assert_string_equal(c.eal_args[0], "--no-pci");
	assert_string_equal(c.eal_args[1], "-l");
	assert_string_equal(c.eal_args[2], "0-3");
	assert_int_equal(sf_config_set(&c, "dpdk.eal_args", "", err, sizeof(err)), 0);
	assert_int_equal(c.n_eal_args, 0);
	/* Paths from the command line are kept relative to the current directory. */
	assert_int_equal(sf_config_set(&c, "output.flows", "-", err, sizeof(err)), 0);
	assert_string_equal(c.flows_path, "-");

	/* Errors: "KEY: what; expected form", and the config is unchanged. */
	SET_FAILS("timeouts.idel", "5", "unknown setting 'timeouts.idel'; expected one of: "
			"input.file, input.reader, input.replay, input.loops, input.pace, "
			"input.interfaces, input.ports, "
			"input.rx_descriptors, input.promiscuous, input.capture, input.ring_size, "
			"input.dispatch, workers, interval, timeouts.idle,",
			"dpdk.eal_args", NULL);
	SET_FAILS("timeouts", "5", "unknown setting 'timeouts'");
	SET_FAILS(NULL, "5", "unknown setting '(null)'");
	SET_FAILS("workers", NULL, "workers: no value; expected auto or an integer 1..64");
	SET_FAILS("workers", "0", "workers: '0' is out of range; expected auto or an integer "
			"1..64");
	SET_FAILS("workers", "many", "workers: 'many' is not an integer");
	SET_FAILS("interval", "5 parsecs", "interval: '5 parsecs' has an unknown unit "
			"'parsecs'; expected a duration 1ms..1d");
	SET_FAILS("timeouts.tcp_end", "", "timeouts.tcp_end: '' is not a duration");
	SET_FAILS("output.progress", "2", "output.progress: '2' is not a boolean; expected "
			"true or false");
	SET_FAILS("input.reader", "afpacket", "input.reader: unknown value 'afpacket'; expected "
			"one of: libpcap, net_pcap, native");
	SET_FAILS("dpdk.idle", "", "dpdk.idle: unknown value ''; expected one of: adaptive, busy");
	SET_FAILS("input.dispatch", "inner", "input.dispatch: unknown value 'inner'; expected "
			"one of: queues, key");
	SET_FAILS("rings.dispatch", "1000", "rings.dispatch: '1000' is not a power of two");
	SET_FAILS("dpdk.eal_args", "a b c d e f g h i j k l m n o p q r s t u v w x y z "
			"0 1 2 3 4 5 6", "dpdk.eal_args: too many items (more than 32); expected a "
			"list of at most 32");
}

static void
test_set_path_too_long(void **state)
{
	static char value[PATH_MAX + 1];

	(void)state;
	memset(value, 'v', PATH_MAX);
	SET_FAILS("output.intervals", value, "output.intervals: path is too long (4096 bytes); "
			"expected a path of at most 4095 bytes");
}

static void
test_null_err_buffer(void **state)
{
	struct sf_config c;

	(void)state;
	sf_config_defaults(&c);
	assert_int_equal(sf_config_set(&c, "workers", "x", NULL, 0), -1);
	assert_int_equal(sf_config_load_string(&c, "t", "x: 1\n", NULL, 0), -1);
	assert_int_equal(sf_config_check(&c, NULL, 0), -1);
}

/* Cross-setting checks */

static void
test_check(void **state)
{
	char err[SF_CONFIG_ERR_LEN] = "";
	struct sf_config c;

	(void)state;
	sf_config_defaults(&c);
	assert_int_equal(sf_config_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "no input: give -r FILE, -i IFACE or -p PCI_ADDRESS "
			"(input.file, input.interfaces or input.ports)");
	assert_int_equal(sf_config_set(&c, "input.file", "x.pcap", err, sizeof(err)), 0);
	assert_int_equal(sf_config_check(&c, err, sizeof(err)), 0);

	/* Pool at least twice the ring: 4096 >= 2 * 2048 passes, 4096 < 2 * 4096 fails. */
	assert_int_equal(sf_config_set(&c, "rings.pool", "4096", err, sizeof(err)), 0);
	assert_int_equal(sf_config_set(&c, "rings.size", "2048", err, sizeof(err)), 0);
	assert_int_equal(sf_config_check(&c, err, sizeof(err)), 0);
	assert_int_equal(sf_config_set(&c, "rings.size", "4096", err, sizeof(err)), 0);
	assert_int_equal(sf_config_check(&c, err, sizeof(err)), -1);
	assert_string_equal(err, "rings.pool: 4096 is less than twice rings.size (4096); "
			"expected rings.pool >= 8192");
	assert_int_equal(sf_config_set(&c, "rings.pool", "8k", err, sizeof(err)), 0);
	assert_int_equal(sf_config_check(&c, err, sizeof(err)), 0);

	/* Fields written directly are held to the same limits. */
	c.idle_timeout_ns = 0;
	assert_int_equal(sf_config_check(&c, err, sizeof(err)), -1);
	assert_err(err, "timeouts.idle: '0s' is out of range; expected a duration 1ms..7d", NULL);
	c.idle_timeout_ns = NS_S;
	c.ring_size = 100;
	assert_int_equal(sf_config_check(&c, err, sizeof(err)), -1);
	assert_err(err, "rings.size: '100' is not a power of two", NULL);
	c.ring_size = 64;
	c.workers = 65;
	assert_int_equal(sf_config_check(&c, err, sizeof(err)), -1);
	assert_err(err, "workers: '65' is out of range", NULL);
	c.workers = 0;	/* auto */
	assert_int_equal(sf_config_check(&c, err, sizeof(err)), 0);
}

/* Dump */

static char *
dump(const struct sf_config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	sf_config_dump(c, f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void
round_trip(const struct sf_config *c)
{
	char err[SF_CONFIG_ERR_LEN] = "";
	char *text = dump(c);
	struct sf_config d;

	sf_config_defaults(&d);
	if (sf_config_load_string(&d, "dump", text, err, sizeof(err)) != 0)
		fail_msg("%s\n%s", err, text);
	assert_config_equal(c, &d);
	free(text);
}

static void
test_dump_round_trip(void **state)
{
	static const char *const set[][2] = {
		{ "input.file", "/data/cap \"1\" \\ x.pcap" },
		{ "input.reader", "net_pcap" },
		{ "workers", "7" },
		{ "interval", "1.0000001" },
		{ "timeouts.idle", "90s" },
		{ "timeouts.active", "2h" },
		{ "timeouts.tcp_end", "1500us" },
		{ "flow_table.capacity", "1000" },
		{ "rings.size", "64" },
		{ "rings.pool", "129" },
		{ "rings.dispatch", "256k" },
		{ "rings.mbufs", "65535" },
		{ "output.flows", "-" },
		{ "output.intervals", "out/intervals: #1.json" },
		{ "output.report", "false" },
		{ "output.progress", "no" },
		{ "export.ipfix", "127.0.0.1:2055 [::1]:4739 [fe80::1%lo]:1" },
		{ "export.kafka", "kafka-1.example:9092,192.0.2.7:9093,[2001:db8::7]:9094" },
		{ "export.kafka_topic_flows", "probe.7_flows-v1" },
		{ "export.kafka_timeout", "2500ms" },
		{ "http.enabled", "true" },
		{ "http.listen", "[::1]:9090" },
		{ "http.token", "s3cret \"x\"" },
		{ "http.serve", "yes" },
		{ "http.history", "10" },
		{ "dpdk.hugepages", "yes" },
		{ "dpdk.idle", "busy" },
		{ "dpdk.eal_args", "--log-level=lib.eal:8 -a 0000:01:00.0 'q' [x] #y" },
	};
	char err[SF_CONFIG_ERR_LEN] = "";
	struct sf_config c;
	char *text;
	size_t i;

	(void)state;
	sf_config_defaults(&c);
	round_trip(&c);
	for (i = 0; i < sizeof(set) / sizeof(set[0]); i++)
		if (sf_config_set(&c, set[i][0], set[i][1], err, sizeof(err)) != 0)
			fail_msg("%s", err);
	/* Control characters and UTF-8 survive too. */
	snprintf(c.flows_path, sizeof(c.flows_path), "tab\there\nnl \xc3\xa9t\xc3\xa9");
	round_trip(&c);
	/* C1 controls, NEL, LS, BOM and the noncharacters FFFE/FFFF (found by fuzz_config). */
	snprintf(c.flows_path, sizeof(c.flows_path), "a\xc2\x80\xc2\x9e\xc2\x85\xc2\xa0"
			"\xe2\x80\xa8\xef\xbb\xbf\xef\xbf\xbe\xef\xbf\xbf\xef\xbf\xbdz");
	round_trip(&c);

	/* The dump uses the file's keys and readable units. */
	text = dump(&c);
	assert_non_null(strstr(text, "\ntimeouts:\n  idle: 90s"));
	assert_non_null(strstr(text, "\n  active: 2h"));
	assert_non_null(strstr(text, "\n  tcp_end: 1500us"));
	assert_non_null(strstr(text, "\ninterval: 1000000100ns"));
	assert_non_null(strstr(text, "\nworkers: 7"));
	free(text);

	c.workers = 0;
	c.n_eal_args = 0;
	memset(c.eal_args, 0, sizeof(c.eal_args));
	round_trip(&c);
	text = dump(&c);
	assert_non_null(strstr(text, "\nworkers: auto"));
	assert_non_null(strstr(text, "\n  eal_args: []"));
	free(text);
}

/* Kafka: the broker list and topics are checked for their form, nothing resolved. */
static void
test_kafka(void **state)
{
	char err[SF_CONFIG_ERR_LEN] = "";
	struct sf_config c;

	(void)state;
	sf_config_defaults(&c);
	assert_string_equal(c.kafka, "");
	assert_string_equal(c.kafka_topic_flows, "spanflow-flows");
	assert_string_equal(c.kafka_topic_intervals, "spanflow-intervals");
	/* A name nobody resolves is the producer's business: it waits for the broker. */
	assert_int_equal(sf_config_set(&c, "export.kafka", "no.such.host.invalid:9092,"
			"[::1]:1,10.0.0.1:65535", err, sizeof(err)), 0);
	assert_string_equal(c.kafka, "no.such.host.invalid:9092,[::1]:1,10.0.0.1:65535");
	assert_int_equal(sf_config_set(&c, "export.kafka", "", err, sizeof(err)), 0);

	SET_FAILS("export.kafka", "a:1,,b:2", "export.kafka: 'a:1,,b:2': broker 2 is empty; "
			"expected a list of Kafka brokers HOST:PORT,HOST:PORT");
	SET_FAILS("export.kafka", "a:1,", "export.kafka: 'a:1,': broker 2 is empty");
	SET_FAILS("export.kafka", ",a:1", "export.kafka: ',a:1': broker 1 is empty");
	SET_FAILS("export.kafka", "a:1,kafka", "export.kafka: broker 2 'kafka' has no ':PORT'");
	SET_FAILS("export.kafka", "a:0", "export.kafka: broker 1 'a:0': the port '0' is not a "
			"number 1..65535");
	SET_FAILS("export.kafka", "a:65536", "export.kafka: broker 1 'a:65536': the port");
	SET_FAILS("export.kafka", "a:", "export.kafka: broker 1 'a:': the port '' is not");
	SET_FAILS("export.kafka", "a:9092 ,b:1", "export.kafka: broker 1 'a:9092 ': the port");
	SET_FAILS("export.kafka", ":9092", "export.kafka: broker 1 ':9092' has no host");
	SET_FAILS("export.kafka", "ka$fka:9092", "export.kafka: broker 1: 'ka$fka' is not a "
			"host name or an IPv4 address");
	SET_FAILS("export.kafka", "::1:9092", "export.kafka: broker 1: '::1' is not a host name");
	SET_FAILS("export.kafka", "[::1]9092", "export.kafka: broker 1 '[::1]9092' has no "
			"']:PORT'");
	SET_FAILS("export.kafka", "[x::1]:9092", "export.kafka: broker 1: 'x::1' is not an "
			"IPv6 address");
	SET_FAILS("export.kafka_topic_flows", "", "export.kafka_topic_flows: '' is not a "
			"topic name; expected a Kafka topic name");
	SET_FAILS("export.kafka_topic_flows", "..", "export.kafka_topic_flows: '..' is not");
	SET_FAILS("export.kafka_topic_intervals", "a/b", "export.kafka_topic_intervals: 'a/b' "
			"has a character a topic name cannot have ('/')");
	SET_FAILS("export.kafka_queue", "0", "export.kafka_queue: '0' is out of range");
	SET_FAILS("export.kafka_timeout", "0", "export.kafka_timeout: '0' is out of range");

	/* In a file: where the value is. */
	LOAD_FAILS("export:\n  kafka: \"k1:9092,k2\"\n", "t.yaml:2:10: export.kafka: broker 2 "
			"'k2' has no ':PORT'; expected a list of Kafka brokers");
	LOAD_FAILS("export:\n  kafka_topic_flows: flows!\n", "t.yaml:2:22: "
			"export.kafka_topic_flows: 'flows!' has a character");
}

/* HOST:PORT settings */

/* export.clickhouse: the URL forms taken and refused, as the exporter reads them. */
static void
test_clickhouse_url(void **state)
{
	static const char *const bad[] = {
		"ftp://h", "https://h:8443", "http://", "http://:8123", "http://h:0",
		"http://h:65536", "http://h:12a", "http://h:", "http://a b", "http://[zz]:1",
		"http://[::1", "http://h/a-b", "http://h/db?x=1", "http://h/db/t",
		"http://u:%zz@h", "http://u:%00@h",
	};
	struct sf_config c;
	struct sf_url u;
	char what[256], err[512];
	size_t i;

	(void)state;
	assert_int_equal(sf_config_parse_url("http://127.0.0.1", &u, what, sizeof(what)), 0);
	assert_string_equal(u.host, "127.0.0.1");
	assert_int_equal(u.port, 8123);
	assert_string_equal(u.database, "");
	assert_string_equal(u.user, "");
	assert_int_equal(sf_config_parse_url("http://sp%40n:p%3Aw@ch.example:9123/netflows/",
			&u, what, sizeof(what)), 0);
	assert_string_equal(u.user, "sp@n");
	assert_string_equal(u.password, "p:w");
	assert_string_equal(u.host, "ch.example");
	assert_int_equal(u.port, 9123);
	assert_string_equal(u.database, "netflows");
	assert_int_equal(sf_config_parse_url("http://[2001:db8::1]:8123/", &u, what,
			sizeof(what)), 0);
	assert_string_equal(u.host, "2001:db8::1");
	assert_int_equal(sf_config_parse_url("http://[::1]", &u, what, sizeof(what)), 0);
	assert_int_equal(u.port, 8123);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		what[0] = '\0';
		if (sf_config_parse_url(bad[i], &u, what, sizeof(what)) != -1)
			fail_msg("'%s' was taken", bad[i]);
		assert_true(what[0] != '\0');
	}
	/* From a file: the position of the value and the expected form. */
	sf_config_defaults(&c);
	assert_int_equal(sf_config_load_string(&c, "t.yaml", "export:\n  clickhouse: "
			"\"http://h:99999\"\n", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.yaml:2:15: export.clickhouse:"));
	assert_non_null(strstr(err, "http://[USER[:PASSWORD]@]HOST[:PORT][/DATABASE]"));
	assert_int_equal(sf_config_load_string(&c, "t.yaml", "export:\n  clickhouse_flows_table: "
			"\"a-b\"\n", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.yaml:2:27: export.clickhouse_flows_table:"));
	assert_int_equal(sf_config_load_string(&c, "t.yaml", "export:\n  clickhouse: "
			"\"http://h/db\"\n  probe: p1\n", err, sizeof(err)), 0);
	assert_string_equal(c.clickhouse, "http://h/db");
	assert_string_equal(c.probe, "p1");
}

static void
test_hostport(void **state)
{
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	char err[SF_CONFIG_ERR_LEN] = "";
	struct sockaddr_storage ss;
	struct sf_config c;

	(void)state;
	sf_config_defaults(&c);
	assert_int_equal(sf_config_set(&c, "export.ipfix", "192.0.2.1:4739 [2001:db8::1]:2055 "
			"localhost:9", err, sizeof(err)), 0);
	assert_int_equal(c.n_ipfix, 3);
	assert_int_equal(c.ipfix[0].family, AF_INET);
	assert_memory_equal(c.ipfix[0].addr, "\xc0\x00\x02\x01", 4);
	assert_int_equal(c.ipfix[0].port, 4739);
	assert_string_equal(c.ipfix[0].text, "192.0.2.1:4739");
	assert_int_equal(c.ipfix[1].family, AF_INET6);
	assert_memory_equal(c.ipfix[1].addr, v6, 16);
	assert_int_equal(c.ipfix[1].port, 2055);
	assert_string_equal(c.ipfix[1].text, "[2001:db8::1]:2055");
	/* A host name is resolved when it is read: an address, as written in text. */
	assert_true(c.ipfix[2].family == AF_INET || c.ipfix[2].family == AF_INET6);
	assert_string_equal(c.ipfix[2].text, "localhost:9");

	assert_int_equal(sf_hostport_sockaddr(&c.ipfix[0], &ss), sizeof(struct sockaddr_in));
	assert_int_equal(((struct sockaddr_in *)&ss)->sin_port, htons(4739));
	assert_int_equal(((struct sockaddr_in *)&ss)->sin_addr.s_addr, htonl(0xc0000201));
	assert_int_equal(sf_hostport_sockaddr(&c.ipfix[1], &ss), sizeof(struct sockaddr_in6));
	assert_int_equal(((struct sockaddr_in6 *)&ss)->sin6_port, htons(2055));
	memset(&c.ipfix[0], 0, sizeof(c.ipfix[0]));
	assert_int_equal(sf_hostport_sockaddr(&c.ipfix[0], &ss), 0);

	/* http.listen: numeric only, port 0 allowed (any free port). */
	assert_int_equal(sf_config_set(&c, "http.listen", "[::1]:0", err, sizeof(err)), 0);
	assert_int_equal(c.http_listen.family, AF_INET6);
	assert_int_equal(c.http_listen.port, 0);

	SET_FAILS("export.ipfix", "localhost", "export.ipfix: 'localhost' has no ':PORT'; "
			"expected HOST:PORT: an IPv4 address or a host name");
	SET_FAILS("export.ipfix", "1.2.3.4:", "export.ipfix: '1.2.3.4:': the port '' is not "
			"a number 1..65535; expected HOST:PORT");
	SET_FAILS("export.ipfix", "1.2.3.4:0", "export.ipfix: '1.2.3.4:0': the port '0' is "
			"not a number 1..65535");
	SET_FAILS("export.ipfix", "1.2.3.4:65536", "export.ipfix: '1.2.3.4:65536': the port");
	SET_FAILS("export.ipfix", "1.2.3.4:+80", "export.ipfix: '1.2.3.4:+80': the port");
	SET_FAILS("export.ipfix", ":99", "export.ipfix: ':99' has no address");
	SET_FAILS("export.ipfix", "[]:99", "export.ipfix: '[]:99' has no address");
	SET_FAILS("export.ipfix", "[::1]99", "export.ipfix: '[::1]99' has no ']:PORT'");
	SET_FAILS("export.ipfix", "[::1", "export.ipfix: '[::1' has no ']:PORT'");
	SET_FAILS("export.ipfix", "::1:4739", "export.ipfix: '::1:4739' is an IPv6 address "
			"without brackets");
	SET_FAILS("export.ipfix", "[192.0.2.1]:80", "export.ipfix: '[192.0.2.1]:80': "
			"'192.0.2.1' is not an IPv6 address");
	SET_FAILS("export.ipfix", "no.such.host.invalid:4739", "export.ipfix: "
			"'no.such.host.invalid:4739': cannot resolve 'no.such.host.invalid': ",
			"; expected HOST:PORT");
	SET_FAILS("export.ipfix", "a/b:1", "export.ipfix: 'a/b:1': 'a/b' is neither an IPv4 "
			"address nor a host name");
	SET_FAILS("export.ipfix", "1.1.1.1:1 1.1.1.1:2 1.1.1.1:3 1.1.1.1:4 1.1.1.1:5",
			"export.ipfix: too many items (more than 4); expected a list of at most 4 "
			"HOST:PORT");
	SET_FAILS("http.listen", "localhost:80", "http.listen: 'localhost:80': 'localhost' is "
			"not a numeric IPv4 address (host names are not taken here); expected "
			"ADDR:PORT: a numeric IPv4 address, or an IPv6 address in brackets, and a "
			"port 0..65535");
	SET_FAILS("http.listen", "127.0.0.1", "http.listen: '127.0.0.1' has no ':PORT'");
	SET_FAILS("http.listen", "[::1]8080", "http.listen: '[::1]8080' has no ']:PORT'");
	SET_FAILS("http.listen", ":8080", "http.listen: ':8080' has no address");
	SET_FAILS("http.listen", "127.0.0.1:http", "http.listen: '127.0.0.1:http': the port "
			"'http' is not a number 0..65535");
	SET_FAILS("http.listen", "300.1.1.1:80", "http.listen: '300.1.1.1:80': '300.1.1.1' is "
			"not a numeric IPv4 address");
	SET_FAILS("http.listen", "", "http.listen: '' has no ':PORT'");

	/* In the file: FILE:LINE:COL at the item, the form of an item or of the list. */
	LOAD_FAILS("export:\n  ipfix: [\"127.0.0.1:2055\", bad]\n",
			"t.yaml:2:29: export.ipfix: 'bad' has no ':PORT'; expected HOST:PORT: ");
	LOAD_FAILS("export:\n  ipfix:\n    - 127.0.0.1:2055\n    - \"host name:1\"\n",
			"t.yaml:4:7: export.ipfix: 'host name:1': 'host name' is neither an IPv4 "
			"address nor a host name; expected HOST:PORT");
	LOAD_FAILS("export:\n  ipfix: 127.0.0.1:2055\n", "t.yaml:2:10: export.ipfix: got a "
			"scalar; expected a list of at most 4 HOST:PORT");
	LOAD_FAILS("export:\n  ipfix: [\"1.2.3.4:5\\0x\"]\n", "t.yaml:2:11: export.ipfix: value "
			"contains a NUL character");
	LOAD_FAILS("http:\n  listen: localhost:8080\n", "t.yaml:2:11: http.listen: "
			"'localhost:8080': 'localhost' is not a numeric IPv4 address",
			"expected ADDR:PORT");
	LOAD_FAILS("http:\n  listen: [\"[::1]:80\"]\n", "t.yaml:2:11: http.listen: got a list");
	assert_int_equal(load(&c, "export:\n  ipfix: [\"127.0.0.1:2055\", \"[::1]:4739\"]\n"
			"http:\n  listen: \"[::1]:8081\"\n", err), 0);
	assert_int_equal(c.n_ipfix, 2);
	assert_int_equal(c.ipfix[1].port, 4739);
	assert_int_equal(c.http_listen.port, 8081);
}

/* Command-line flags */

static const struct sf_config_flag *
find_flag(const char *name, struct sf_config_flag_info *info)
{
	const struct sf_config_flag *f;
	size_t pos = 0;

	while ((f = sf_config_next_flag(&pos, info)) != NULL)
		if (strcmp(f->name, name) == 0)
			return f;
	fail_msg("no flag --%s", name);
	return NULL;
}

static void
flag(struct sf_config *c, struct sf_config_cmdline *cl, const char *name, const char *arg)
{
	struct sf_config_flag_info info;
	char err[SF_CONFIG_ERR_LEN] = "";

	if (sf_config_apply_flag(c, cl, find_flag(name, &info), arg, err, sizeof(err)) != 0)
		fail_msg("--%s %s: %s", name, arg ? arg : "", err);
}

/* Every flag is unique, names a setting, and takes an argument or sets a value. */
static void
test_flags_table(void **state)
{
	static const char *const own[] = { "config", "help", "version", "print-config" };
	const struct sf_config_flag *f, *g;
	struct sf_config_flag_info info, ginfo;
	struct sf_config c, d;
	struct sf_config_cmdline cl;
	char err[SF_CONFIG_ERR_LEN], *text;
	size_t pos = 0, pos2, i, n = 0, len;
	FILE *mf;

	(void)state;
	while ((f = sf_config_next_flag(&pos, &info)) != NULL) {
		n++;
		assert_non_null(f->name);
		assert_non_null(info.key);
		assert_non_null(info.help);
		assert_true((f->arg != NULL) != (f->value != NULL));
		assert_true(f->letter != 'c' && f->letter != 'h' && f->letter != 'V');
		for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
			assert_string_not_equal(f->name, own[i]);
		pos2 = pos;
		while ((g = sf_config_next_flag(&pos2, &ginfo)) != NULL) {
			assert_string_not_equal(f->name, g->name);
			assert_true(f->letter == 0 || f->letter != g->letter);
		}
		/* It applies (a value-less flag always; "also" names a setting). */
		sf_config_defaults(&c);
		memset(&cl, 0, sizeof(cl));
		if (f->arg == NULL)
			assert_int_equal(sf_config_apply_flag(&c, &cl, f, NULL, err,
					sizeof(err)), 0);
		/* A flag's setting prints its value (the default, for --help). */
		sf_config_defaults(&d);
		text = NULL;
		mf = open_memstream(&text, &len);
		assert_non_null(mf);
		assert_int_equal(sf_config_print_value(&d, info.key, mf), 0);
		fclose(mf);
		assert_true(len > 0);
		free(text);
	}
	assert_true(n >= 24);
	assert_int_equal(sf_config_print_value(&d, "no.such.key", stderr), -1);
	assert_int_equal(sf_config_apply_flag(&c, &cl, NULL, "x", err, sizeof(err)), -1);
}

static void
test_flags_apply(void **state)
{
	char err[SF_CONFIG_ERR_LEN] = "";
	struct sf_config_flag_info info;
	struct sf_config_cmdline cl;
	struct sf_config c, d;

	(void)state;
	assert_int_equal(load(&c, "input:\n  interfaces: [eth9]\nexport:\n  ipfix: "
			"[\"10.0.0.1:2055\"]\noutput:\n  report: true\n", err), 0);
	memset(&cl, 0, sizeof(cl));
	/* A list flag replaces the file's list, then adds. */
	flag(&c, &cl, "ipfix", "127.0.0.1:1");
	flag(&c, &cl, "ipfix", "[::1]:2");
	assert_int_equal(c.n_ipfix, 2);
	assert_string_equal(c.ipfix[0].text, "127.0.0.1:1");
	assert_string_equal(c.ipfix[1].text, "[::1]:2");
	/* An input replaces the others; the last one given is read. */
	flag(&c, &cl, "read", "a.pcap");
	assert_string_equal(c.input_file, "a.pcap");
	assert_int_equal(c.n_interfaces, 0);
	flag(&c, &cl, "interface", "eth0");
	flag(&c, &cl, "interface", "eth1");
	assert_string_equal(c.input_file, "");
	assert_int_equal(c.n_interfaces, 2);
	assert_string_equal(c.interfaces[1], "eth1");
	flag(&c, &cl, "replay", "b.pcap");
	assert_int_equal(c.n_interfaces, 0);
	assert_string_equal(c.replay_file, "b.pcap");
	/* Value-less flags, and flags that set a second setting. */
	flag(&c, &cl, "quiet", NULL);
	assert_false(c.report);
	flag(&c, &cl, "http", "127.0.0.1:9090");
	assert_int_equal(c.http_enabled, SF_HTTP_ON);
	assert_int_equal(c.http_listen.port, 9090);
	flag(&c, &cl, "no-http", NULL);
	assert_int_equal(c.http_enabled, SF_HTTP_OFF);
	flag(&c, &cl, "serve", NULL);
	assert_true(c.http_serve);
	assert_int_equal(c.http_enabled, SF_HTTP_ON);
	flag(&c, &cl, "workers", "3");
	assert_int_equal(c.workers, 3);

	/* Errors: "KEY: what; expected ...", nothing changed. */
	memcpy(&d, &c, sizeof(d));
	assert_int_equal(sf_config_apply_flag(&c, &cl, find_flag("workers", &info), "0", err,
			sizeof(err)), -1);
	assert_err(err, "workers: '0' is out of range; expected auto or an integer 1..64",
			NULL);
	assert_int_equal(sf_config_apply_flag(&c, &cl, find_flag("ipfix", &info), "x", err,
			sizeof(err)), -1);
	assert_err(err, "export.ipfix: 'x' has no ':PORT'; expected HOST:PORT", NULL);
	assert_int_equal(sf_config_apply_flag(&c, &cl, find_flag("interface", &info), "", err,
			sizeof(err)), -1);
	assert_err(err, "input.interfaces: empty string; expected a string of 1..63 bytes",
			NULL);
	assert_int_equal(sf_config_apply_flag(&c, &cl, find_flag("read", &info), NULL, err,
			sizeof(err)), -1);
	assert_err(err, "input.file: no value", NULL);
	assert_memory_equal(&c, &d, sizeof(c));
	assert_true(find_flag("read", &info)->letter == 'r' && info.input && !info.list);
	assert_true(find_flag("interface", &info)->letter == 'i' && info.input && info.list);
	assert_true(find_flag("ipfix", &info)->letter == 0 && !info.input && info.list);
	assert_string_equal(info.key, "export.ipfix");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_shipped_config),
		cmocka_unit_test(test_empty_documents),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_top_level),
		cmocka_unit_test(test_type_errors),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_syntax_error_in_file),
		cmocka_unit_test(test_failed_load_changes_nothing),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_power_of_two),
		cmocka_unit_test(test_enums),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_workers),
		cmocka_unit_test(test_eal_args),
		cmocka_unit_test(test_relative_paths),
		cmocka_unit_test(test_path_length),
		cmocka_unit_test(test_nul_in_value),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_set_path_too_long),
		cmocka_unit_test(test_null_err_buffer),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_dump_round_trip),
		cmocka_unit_test(test_hostport),
		cmocka_unit_test(test_clickhouse_url),
		cmocka_unit_test(test_kafka),
		cmocka_unit_test(test_flags_table),
		cmocka_unit_test(test_flags_apply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
