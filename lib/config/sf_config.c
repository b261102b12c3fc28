/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration. One table of settings (opts[] below) drives everything:
 * the YAML loader, the command-line flags (names, help, how they apply),
 * sf_config_set(), the defaults, the range re-check and the dump. A
 * setting is added by adding one row; nothing else spells its key, flag,
 * default or limits.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <yaml.h>

#include "sf_common.h"
#include "sf_config.h"

enum opt_type {
	OPT_UINT,	/* unsigned integer, optional k/M/G suffix (binary) */
	OPT_DURATION,	/* seconds, or a number with a unit; stored in ns (uint64_t) */
	OPT_BOOL,	/* true/false, yes/no, on/off */
	OPT_ENUM,	/* one of names[]; stored as its index (a 32-bit enum) */
	OPT_PATH,	/* char[size]; relative to the file that sets it */
	OPT_STRLIST,	/* char[max][size] plus an unsigned int count at off_n */
	OPT_HOSTPORT,	/* struct sf_hostport; with OPT_LIST, [max] of them */
};

#define OPT_POW2 0x1u	/* OPT_UINT: the value must be a power of two */
#define OPT_AUTO 0x2u	/* OPT_UINT: "auto" is accepted and stored as 0 */
#define OPT_TEXT 0x4u	/* OPT_PATH: plain text, never made relative to the file */
#define OPT_LIST 0x8u	/* OPT_HOSTPORT: a list of at most max, count at off_n */
#define OPT_NAMES 0x10u	/* OPT_HOSTPORT: host names are resolved (else numeric only) */
#define OPT_PORT0 0x20u	/* OPT_HOSTPORT: port 0 is allowed (any free port) */
#define OPT_INPUT 0x40u	/* one of the inputs: a flag for it replaces the others */
#define OPT_PORTS 0x80u	/* OPT_STRLIST: each item is a UDP/TCP port 1..65535 */

#define OPT_CLI_MAX 2	/* command-line flags per setting, at most */

struct opt {
	const char *key;		/* dotted: "section.name" or "name" */
	enum opt_type type;
	unsigned int flags;		/* OPT_POW2, OPT_AUTO, ... */
	size_t off;			/* offset of the field in struct sf_config */
	size_t size;			/* field size; a list: size of one item */
	size_t off_n;			/* a list: offset of the item count */
	uint64_t min, max;		/* OPT_UINT, OPT_DURATION (ns); a list: max items */
	const char *const *names;	/* OPT_ENUM: NULL-terminated, indexed by value */
	const char *def;		/* default, as text the parser accepts */
	const char *help;		/* one line, written by sf_config_dump() */
	/*
	 * OPT_PATH with OPT_TEXT: a check of the text (0, or -1 with what was
	 * wrong in what) and the form it expects, for messages.
	 */
	int (*check)(const char *s, char *what, size_t wlen);
	const char *form;
	struct sf_config_flag cli[OPT_CLI_MAX];	/* command-line flags; .name NULL: none */
};

/* Checks of OPT_TEXT values (struct opt.check) */
static int check_brokers(const char *s, char *what, size_t wlen);
static int check_topic(const char *s, char *what, size_t wlen);
static int check_url(const char *s, char *what, size_t wlen);
static int check_name(const char *s, char *what, size_t wlen);
static int check_pace(const char *s, char *what, size_t wlen);

#define FORM_URL "\"\" or a URL http://[USER[:PASSWORD]@]HOST[:PORT][/DATABASE] " \
	"(http://127.0.0.1:8123, http://spanflow:secret@ch.example:8123/netflows)"
#define FORM_NAME "a name of 1..63 letters, digits and '_', not starting with a digit"

#define FIELD(m) \
	.off = offsetof(struct sf_config, m), .size = sizeof(((struct sf_config *)NULL)->m)
/* A list: the array m of items and its count n. */
#define LIST(m, n) \
	.off = offsetof(struct sf_config, m), .size = sizeof(((struct sf_config *)NULL)->m[0]), \
	.off_n = offsetof(struct sf_config, n)
/* A flag that takes an argument (named a in --help); one that sets value v. */
#define FLAG(n, l, a, h) { .name = (n), .letter = (l), .arg = (a), .help = (h) }
#define SWITCH(n, l, v, h) { .name = (n), .letter = (l), .value = (v), .help = (h) }
#define SEC(x) ((uint64_t)(x) * SF_NS_PER_S)
#define DAYS(x) SEC((uint64_t)(x) * 86400)

static const char *const reader_names[] = {
	[SF_READER_LIBPCAP] = "libpcap",
	[SF_READER_NET_PCAP] = "net_pcap",
	[SF_READER_NATIVE] = "native",
	[SF_READER_NATIVE + 1] = NULL,
};

static const char *const dispatch_names[] = {
	[SF_DISPATCH_QUEUES] = "queues",
	[SF_DISPATCH_KEY] = "key",
	[SF_DISPATCH_KEY + 1] = NULL,
};

static const char *const capture_names[] = {
	[SF_CAPTURE_TPACKET] = "tpacket",
	[SF_CAPTURE_AF_PACKET] = "af_packet",
	[SF_CAPTURE_AF_PACKET + 1] = NULL,
};

static const char *const hugepages_names[] = {
	[SF_HUGEPAGES_AUTO] = "auto",
	[SF_HUGEPAGES_YES] = "yes",
	[SF_HUGEPAGES_NO] = "no",
	[SF_HUGEPAGES_NO + 1] = NULL,
};

static const char *const idle_names[] = {
	[SF_IDLE_ADAPTIVE] = "adaptive",
	[SF_IDLE_BUSY] = "busy",
	[SF_IDLE_BUSY + 1] = NULL,
};

static const char *const ipfix_mode_names[] = {
	[SF_IPFIX_MODE_BIFLOW] = "biflow",
	[SF_IPFIX_MODE_UNIFLOW] = "uniflow",
	[SF_IPFIX_MODE_UNIFLOW + 1] = NULL,
};

static const char *const context_names[] = { SF_CONFIG_CONTEXTS, NULL };
static const char *const sampling_names[] = { SF_CONFIG_SAMPLINGS, NULL };

static const char *const http_names[] = {
	[SF_HTTP_AUTO] = "auto",
	[SF_HTTP_ON] = "true",
	[SF_HTTP_OFF] = "false",
	[SF_HTTP_OFF + 1] = NULL,
};

/* Settings in dump order; keys of one section must be adjacent. */
static const struct opt opts[] = {
	{ .key = "input.file", .type = OPT_PATH, .flags = OPT_INPUT, FIELD(input_file), .def = "",
	  .help = "capture file to replay; relative to this file",
	  .cli = { FLAG("read", 'r', "FILE", "capture to replay (pcap or pcapng)") } },
	{ .key = "input.reader", .type = OPT_ENUM, FIELD(reader), .names = reader_names,
	  .def = "native", .help = "pcap reader: native (pcapng via libpcap), libpcap or "
	  "DPDK net_pcap", .cli = { FLAG("reader", 0, "NAME", NULL) } },
	{ .key = "input.replay", .type = OPT_PATH, .flags = OPT_INPUT, FIELD(replay_file),
	  .def = "", .help = "capture preloaded into memory and replayed (benchmark)",
	  .cli = { FLAG("replay", 0, "FILE", "benchmark: replay FILE from memory, split per "
	  "worker") } },
	{ .key = "input.loops", .type = OPT_UINT, FIELD(replay_loops),
	  .min = 1, .max = UINT64_C(1) << 32, .def = "1",
	  .help = "times the in-memory replay goes through the capture",
	  .cli = { FLAG("loop", 0, "N", "with --replay: go through the capture N times") } },
	{ .key = "input.pace", .type = OPT_PATH, .flags = OPT_TEXT, FIELD(pace), .def = "max",
	  .check = check_pace, .form = "max, or a speed-up factor of capture time: 1 (as "
	  "captured), 10 (ten times faster), 0.5 (half as fast)",
	  .help = "replay a file at capture speed (1), a multiple of it, or as fast as it "
	  "can be read (max); a paced replay serves HTTP as live capture does",
	  .cli = { FLAG("pace", 0, "X", NULL) } },
	{ .key = "input.interfaces", .type = OPT_STRLIST, .flags = OPT_INPUT,
	  LIST(interfaces, n_interfaces), .max = SF_CONFIG_MAX_PORTS, .def = "",
	  .help = "Linux interfaces to capture from (see input.capture)",
	  .cli = { FLAG("interface", 'i', "IFACE", "capture live from a Linux interface") } },
	{ .key = "input.ports", .type = OPT_STRLIST, .flags = OPT_INPUT,
	  LIST(ports, n_ports), .max = SF_CONFIG_MAX_PORTS, .def = "",
	  .help = "DPDK NIC ports (PCI addresses) to capture from",
	  .cli = { FLAG("port", 'p', "PCI_ADDRESS", "capture live from a DPDK NIC (bound to "
	  "vfio-pci)") } },
	{ .key = "input.rx_descriptors", .type = OPT_UINT, .flags = OPT_AUTO | OPT_POW2,
	  FIELD(rx_descriptors), .min = 64, .max = 32768, .def = "auto",
	  .help = "rx descriptors per queue; auto = device default" },
	{ .key = "input.promiscuous", .type = OPT_BOOL, FIELD(promiscuous), .def = "true",
	  .help = "put capture ports in promiscuous mode" },
	{ .key = "input.capture", .type = OPT_ENUM, FIELD(capture), .names = capture_names,
	  .def = "tpacket", .help = "how Linux interfaces are read: tpacket (spanflow's rings, "
	  "a flow stays in one worker) or af_packet (DPDK's driver)" },
	{ .key = "input.ring_size", .type = OPT_UINT, .flags = OPT_POW2, FIELD(capture_ring_size),
	  .min = 64 * 1024, .max = UINT64_C(1) << 30, .def = "32M",
	  .help = "capture ring bytes per worker per interface (Linux interfaces)" },
	{ .key = "input.dispatch", .type = OPT_ENUM, FIELD(dispatch), .names = dispatch_names,
	  .def = "queues", .help = "how live input reaches several workers: queues (each reads "
	  "its own NIC queue or kernel fanout ring, spread by a hash of the outer headers) or "
	  "key (one queue, a dispatcher lcore splits by spanflow's flow key: tunnelled traffic "
	  "spreads by its inner flows)", .cli = { FLAG("dispatch", 0, "queues|key", NULL) } },
	{ .key = "workers", .type = OPT_UINT, .flags = OPT_AUTO, FIELD(workers),
	  .min = 1, .max = SF_CONFIG_MAX_WORKERS, .def = "auto",
	  .help = "worker lcores; auto = one per available core",
	  .cli = { FLAG("workers", 'w', "N", NULL) } },
	{ .key = "interval", .type = OPT_DURATION, FIELD(interval_ns),
	  .min = SF_NS_PER_MS, .max = DAYS(1), .def = "10s",
	  .help = "length of a summary interval (packet time)",
	  .cli = { FLAG("interval", 0, "S", NULL) } },
	{ .key = "timeouts.idle", .type = OPT_DURATION, FIELD(idle_timeout_ns),
	  .min = SF_NS_PER_MS, .max = DAYS(7), .def = "60s",
	  .help = "end a flow after this long without packets",
	  .cli = { FLAG("idle-timeout", 0, "S", NULL) } },
	{ .key = "timeouts.active", .type = OPT_DURATION, FIELD(active_timeout_ns),
	  .min = SF_NS_PER_MS, .max = DAYS(7), .def = "300s",
	  .help = "export an update of a flow active this long",
	  .cli = { FLAG("active-timeout", 0, "S", NULL) } },
	{ .key = "timeouts.tcp_end", .type = OPT_DURATION, FIELD(tcp_end_timeout_ns),
	  .min = SF_NS_PER_MS, .max = DAYS(7), .def = "5s",
	  .help = "end a TCP flow this long after FIN or RST",
	  .cli = { FLAG("tcp-end-timeout", 0, "S", NULL) } },
	{ .key = "flow_table.capacity", .type = OPT_UINT, FIELD(flow_capacity),
	  .min = 16, .max = UINT64_C(1) << 27, .def = "262144",
	  .help = "flows per worker table", .cli = { FLAG("flow-capacity", 0, "N", NULL) } },
	{ .key = "rings.size", .type = OPT_UINT, .flags = OPT_POW2, FIELD(ring_size),
	  .min = 64, .max = 65536, .def = "512",
	  .help = "messages per worker->collector ring" },
	{ .key = "rings.pool", .type = OPT_UINT, FIELD(msg_pool_size),
	  .min = 128, .max = UINT64_C(1) << 24, .def = "1024",
	  .help = "messages per worker pool; >= 2 * rings.size" },
	{ .key = "rings.dispatch", .type = OPT_UINT, .flags = OPT_POW2, FIELD(dispatch_ring_size),
	  .min = 256, .max = 262144, .def = "4096",
	  .help = "packets per dispatcher->worker ring" },
	{ .key = "rings.mbufs", .type = OPT_UINT, FIELD(mbuf_pool_size),
	  .min = 1023, .max = UINT64_C(1) << 26, .def = "32767",
	  .help = "packet buffers in the mbuf pool" },
	{ .key = "filter", .type = OPT_PATH, .flags = OPT_TEXT, FIELD(filter), .def = "",
	  .help = "capture filter (tcpdump syntax) on each frame; rejected packets are "
	  "counted as filtered; \"\" = none",
	  .cli = { FLAG("filter", 'f', "EXPR", "capture filter, tcpdump syntax (man "
	  "pcap-filter)") } },
	{ .key = "inner_filter", .type = OPT_PATH, .flags = OPT_TEXT, FIELD(inner_filter),
	  .def = "", .help = "filter (tcpdump syntax) on the innermost IP packet, inside "
	  "tunnels; \"\" = none",
	  .cli = { FLAG("inner-filter", 0, "EXPR", "filter on the innermost IP packet (raw "
	  "IP: 'tcp port 443', 'net 10.0.0.0/8')") } },
	{ .key = "dedup.enabled", .type = OPT_BOOL, FIELD(dedup), .def = "false",
	  .help = "remove SPAN copies (same packet again within dedup.window, TTL, VLAN, "
	  "MPLS or encapsulation aside)",
	  .cli = { SWITCH("dedup", 0, "true", "remove SPAN duplicates (see dedup.window)") } },
	{ .key = "dedup.window", .type = OPT_DURATION, FIELD(dedup_window_ns),
	  .min = 1000, .max = SEC(1), .def = "2ms",
	  .help = "a copy arrives at most this long after its original (packet time)",
	  .cli = { FLAG("dedup-window", 0, "S", NULL) } },
	{ .key = "dedup.entries", .type = OPT_UINT, .flags = OPT_POW2, FIELD(dedup_entries),
	  .min = 1024, .max = UINT64_C(1) << 26, .def = "64k",
	  .help = "packets remembered per reading lcore (16 bytes each); >= packet rate "
	  "x window" },
	{ .key = "sampling.rate", .type = OPT_UINT, FIELD(sample_rate),
	  .min = 1, .max = UINT64_C(1) << 24, .def = "1",
	  .help = "keep 1 flow packet in N (sampling.mode count or random) or 1 flow in N "
	  "(flow); 1 = no sampling",
	  .cli = { FLAG("sample", 0, "N", "sample 1 in N (see --sample-mode)") } },
	{ .key = "sampling.mode", .type = OPT_ENUM, FIELD(sample_mode), .names = sampling_names,
	  .def = "count", .help = "count: every Nth packet; random: one packet at random in "
	  "each N; flow: the flows whose key hashes into the lowest 1/N (the same flows on "
	  "every probe)",
	  .cli = { FLAG("sample-mode", 0, "MODE", NULL) } },
	{ .key = "sampling.scale", .type = OPT_BOOL, FIELD(sample_scale), .def = "false",
	  .help = "multiply the packets and bytes of records by N (packet sampling)",
	  .cli = { SWITCH("sample-scale", 0, "true", NULL) } },
	{ .key = "shutdown.flush_timeout", .type = OPT_DURATION, FIELD(flush_timeout_ns),
	  .min = 0, .max = DAYS(1), .def = "30s",
	  .help = "at a stop, wait this long at most for every flow to be written" },
	{ .key = "output.flows", .type = OPT_PATH, FIELD(flows_path), .def = "",
	  .help = "flow records as JSON lines; \"\" none, \"-\" stdout",
	  .cli = { FLAG("flows", 0, "PATH", NULL) } },
	{ .key = "output.intervals", .type = OPT_PATH, FIELD(intervals_path), .def = "",
	  .help = "interval summaries as JSON lines; \"\" none, \"-\" stdout",
	  .cli = { FLAG("intervals", 0, "PATH", NULL) } },
	{ .key = "output.report", .type = OPT_BOOL, FIELD(report), .def = "true",
	  .help = "end-of-run report on stdout",
	  .cli = { SWITCH("quiet", 'q', "false", "no end-of-run report") } },
	{ .key = "output.progress", .type = OPT_BOOL, FIELD(progress), .def = "true",
	  .help = "progress line when stderr is a terminal",
	  .cli = { SWITCH("no-progress", 0, "false", "no progress line on a terminal") } },
	{ .key = "export.ipfix", .type = OPT_HOSTPORT, .flags = OPT_LIST | OPT_NAMES,
	  LIST(ipfix, n_ipfix), .max = SF_CONFIG_MAX_IPFIX, .def = "",
	  .help = "IPFIX collectors over UDP, HOST:PORT ([ADDR]:PORT for IPv6)",
	  .cli = { FLAG("ipfix", 0, "HOST:PORT", "export IPFIX over UDP to this collector") } },
	{ .key = "export.ipfix_tcp", .type = OPT_HOSTPORT, .flags = OPT_LIST | OPT_NAMES,
	  LIST(ipfix_tcp, n_ipfix_tcp), .max = SF_CONFIG_MAX_IPFIX, .def = "",
	  .help = "IPFIX collectors over TCP (RFC 7011 10.4), HOST:PORT; reconnected, "
		  "nothing unconfirmed lost",
	  .cli = { FLAG("ipfix-tcp", 0, "HOST:PORT", "export IPFIX over TCP to this collector") } },
	{ .key = "export.ipfix_file", .type = OPT_PATH, FIELD(ipfix_file), .def = "",
	  .help = "IPFIX file (RFC 5655) of the records; \"\" none",
	  .cli = { FLAG("ipfix-file", 0, "PATH", NULL) } },
	{ .key = "export.ipfix_buffer", .type = OPT_UINT, FIELD(ipfix_buffer),
	  .min = 1 << 17, .max = UINT64_C(1) << 34, .def = "16M",
	  .help = "bytes of IPFIX messages kept per TCP collector while it is away or slow" },
	{ .key = "export.ipfix_linger", .type = OPT_DURATION, FIELD(ipfix_linger_ns),
	  .min = 0, .max = SEC(600), .def = "5s",
	  .help = "at the end, how long TCP collectors may take to confirm the rest" },
	{ .key = "export.ipfix_mode", .type = OPT_ENUM, FIELD(ipfix_mode),
	  .names = ipfix_mode_names, .def = "biflow",
	  .help = "biflow (RFC 5103 reverse elements) or uniflow (a record per direction)",
	  .cli = { FLAG("ipfix-mode", 0, "MODE", NULL) } },
	{ .key = "export.observation_domain", .type = OPT_UINT, FIELD(observation_domain),
	  .min = 0, .max = UINT32_MAX, .def = "1",
	  .help = "IPFIX observation domain id" },
	{ .key = "export.template_refresh", .type = OPT_DURATION, FIELD(template_refresh_ns),
	  .min = 0, .max = DAYS(1), .def = "60s",
	  .help = "resend IPFIX templates this often; 0s = by count only" },
	{ .key = "export.template_messages", .type = OPT_UINT, FIELD(template_messages),
	  .min = 0, .max = 1000000, .def = "100",
	  .help = "resend IPFIX templates after this many messages; 0 = by time only" },
	{ .key = "export.mtu", .type = OPT_UINT, FIELD(mtu),
	  .min = 576, .max = 65535, .def = "1500",
	  .help = "path MTU to the collectors; IPFIX messages fit in it" },
	{ .key = "export.csv", .type = OPT_PATH, FIELD(csv_path), .def = "",
	  .help = "flow records as CSV; \"\" none, \"-\" stdout",
	  .cli = { FLAG("csv", 0, "PATH", NULL) } },
	{ .key = "export.rotate_size", .type = OPT_UINT, FIELD(rotate_size),
	  .min = 0, .max = UINT64_C(1) << 40, .def = "0",
	  .help = "start a new output file past this size; 0 = never" },
	{ .key = "export.rotate_interval", .type = OPT_DURATION, FIELD(rotate_interval_ns),
	  .min = 0, .max = DAYS(7), .def = "0s",
	  .help = "start a new output file this often; 0s = never" },
	{ .key = "export.clickhouse", .type = OPT_PATH, .flags = OPT_TEXT, FIELD(clickhouse),
	  .def = "", .check = check_url, .form = FORM_URL,
	  .help = "ClickHouse HTTP interface to insert records and intervals into, "
	  "http://[USER[:PASSWORD]@]HOST[:PORT][/DATABASE]; \"\" = none",
	  .cli = { FLAG("clickhouse", 0, "URL", "insert flow records and intervals into "
	  "ClickHouse (HTTP interface)") } },
	{ .key = "export.clickhouse_database", .type = OPT_PATH, .flags = OPT_TEXT,
	  FIELD(clickhouse_database), .def = "spanflow", .check = check_name, .form = FORM_NAME,
	  .help = "ClickHouse database when the URL names none (created if missing)" },
	{ .key = "export.clickhouse_flows_table", .type = OPT_PATH, .flags = OPT_TEXT,
	  FIELD(clickhouse_flows), .def = "flows", .check = check_name, .form = FORM_NAME,
	  .help = "ClickHouse table of flow records (created if missing, with its per-minute "
	  "view TABLE_minute)" },
	{ .key = "export.clickhouse_intervals_table", .type = OPT_PATH, .flags = OPT_TEXT,
	  FIELD(clickhouse_intervals), .def = "intervals", .check = check_name,
	  .form = FORM_NAME,
	  .help = "ClickHouse table of interval summaries (created if missing)" },
	{ .key = "export.clickhouse_batch_rows", .type = OPT_UINT, FIELD(clickhouse_batch_rows),
	  .min = 1, .max = 1000000, .def = "20000",
	  .help = "rows per ClickHouse insert at most (one insert is atomic below 1048576)" },
	{ .key = "export.clickhouse_flush", .type = OPT_DURATION, FIELD(clickhouse_flush_ns),
	  .min = SF_NS_PER_MS, .max = SEC(3600), .def = "1s",
	  .help = "insert a batch once its first row waited this long" },
	{ .key = "export.clickhouse_buffer", .type = OPT_UINT, FIELD(clickhouse_buffer),
	  .min = UINT64_C(1) << 20, .max = UINT64_C(1) << 40, .def = "256M",
	  .help = "bytes of rows waiting for ClickHouse at most (about 420 per plain record); "
	  "rows past it are lost (counted)" },
	{ .key = "export.clickhouse_timeout", .type = OPT_DURATION, FIELD(clickhouse_timeout_ns),
	  .min = SF_NS_PER_MS * 10, .max = SEC(3600), .def = "10s",
	  .help = "give up on one ClickHouse request after this long (then retried)" },
	{ .key = "export.clickhouse_wait", .type = OPT_DURATION, FIELD(clickhouse_wait_ns),
	  .min = 0, .max = DAYS(1), .def = "30s",
	  .help = "at the end, wait this long at most for the rows still waiting to be stored" },
	{ .key = "export.probe", .type = OPT_PATH, .flags = OPT_TEXT, FIELD(probe), .def = "",
	  .help = "this probe's name in ClickHouse rows; \"\" = the host name",
	  .cli = { FLAG("probe", 0, "NAME", NULL) } },
	{ .key = "export.kafka", .type = OPT_PATH, .flags = OPT_TEXT, FIELD(kafka), .def = "",
	  .check = check_brokers, .form = "a list of Kafka brokers HOST:PORT,HOST:PORT,...: "
	  "a host name, an IPv4 address or an IPv6 address in brackets, and a port 1..65535 "
	  "(kafka1.example:9092,192.0.2.7:9092), or \"\" for none",
	  .help = "Kafka brokers to bootstrap from, HOST:PORT,HOST:PORT; \"\" none",
	  .cli = { FLAG("kafka", 0, "BROKERS", "export flow records and interval summaries as "
	  "JSON to Kafka (HOST:PORT,HOST:PORT)") } },
	{ .key = "export.kafka_topic_flows", .type = OPT_PATH, .flags = OPT_TEXT,
	  FIELD(kafka_topic_flows), .def = "spanflow-flows", .check = check_topic,
	  .form = "a Kafka topic name: 1..249 letters, digits, '.', '_' or '-'",
	  .help = "Kafka topic of the flow records (keyed by the flow's symmetric hash)" },
	{ .key = "export.kafka_topic_intervals", .type = OPT_PATH, .flags = OPT_TEXT,
	  FIELD(kafka_topic_intervals), .def = "spanflow-intervals", .check = check_topic,
	  .form = "a Kafka topic name: 1..249 letters, digits, '.', '_' or '-'",
	  .help = "Kafka topic of the interval summaries (keyed by the host name)" },
	{ .key = "export.kafka_queue", .type = OPT_UINT, FIELD(kafka_queue),
	  .min = 1, .max = 10000000, .def = "100000",
	  .help = "Kafka messages waiting for a broker, at most; past it records are lost "
	  "(counted)" },
	{ .key = "export.kafka_queue_bytes", .type = OPT_UINT, FIELD(kafka_queue_bytes),
	  .min = 1 << 20, .max = UINT64_C(1) << 40, .def = "128M",
	  .help = "bytes of Kafka messages waiting for a broker, at most" },
	{ .key = "export.kafka_timeout", .type = OPT_DURATION, FIELD(kafka_timeout_ns),
	  .min = 10 * SF_NS_PER_MS, .max = DAYS(7), .def = "60s",
	  .help = "how long a Kafka message may wait for a broker before it is lost" },
	{ .key = "export.kafka_linger", .type = OPT_DURATION, FIELD(kafka_linger_ns),
	  .min = 0, .max = SEC(600), .def = "5s",
	  .help = "at the end, how long Kafka brokers may take to confirm the rest" },
	{ .key = "http.enabled", .type = OPT_ENUM, FIELD(http_enabled), .names = http_names,
	  .def = "auto", .help = "HTTP server; auto = on for live capture, off for files",
	  .cli = { SWITCH("no-http", 0, "false", "no HTTP server") } },
	{ .key = "http.listen", .type = OPT_HOSTPORT, .flags = OPT_PORT0, FIELD(http_listen),
	  .def = "127.0.0.1:8080", .help = "HTTP address, ADDR:PORT ([ADDR]:PORT for IPv6)",
	  .cli = { { .name = "http", .arg = "ADDR:PORT", .also = "http.enabled=true",
	  .help = "serve the JSON API, /metrics and the dashboard there" } } },
	{ .key = "http.token", .type = OPT_PATH, .flags = OPT_TEXT, FIELD(http_token),
	  .def = "", .help = "bearer token required by the HTTP server; \"\" = none" },
	{ .key = "http.serve", .type = OPT_BOOL, FIELD(http_serve), .def = "false",
	  .help = "keep serving after a file replay ends, until SIGINT",
	  .cli = { { .name = "serve", .value = "true", .also = "http.enabled=true",
	  .help = "serve over HTTP; after a replay, until SIGINT" } } },
	{ .key = "http.history", .type = OPT_UINT, FIELD(http_history),
	  .min = 1, .max = 10000, .def = "360",
	  .help = "finalized intervals kept for the API and dashboard (~15 kB each)" },
	{ .key = "live.flows", .type = OPT_UINT, FIELD(live_flows),
	  .min = 0, .max = 10000000, .def = "10000",
	  .help = "live view (with HTTP): flows per worker and interval whose counts, active "
	  "flows included, are itemized for /api/v1/live and the dashboard; the rest are "
	  "counted as unlisted (72 bytes each per interval kept); 0 = no live view" },
	{ .key = "live.window", .type = OPT_DURATION, FIELD(live_window_ns),
	  .min = SF_NS_PER_MS, .max = DAYS(1), .def = "15m",
	  .help = "live view: the span of recent intervals kept (the longest window= of "
	  "/api/v1/live, the dashboard's last minutes)" },
	{ .key = "tunnel.decapsulate", .type = OPT_BOOL, FIELD(decapsulate), .def = "true",
	  .help = "key flows on the innermost IP header of GRE, VXLAN, GTP-U, ... packets",
	  .cli = { SWITCH("no-decap", 0, "false", "count tunnels as outer flows "
	  "(no decapsulation)") } },
	{ .key = "tunnel.context", .type = OPT_ENUM, FIELD(tunnel_context), .names = context_names,
	  .def = "default", .help = "what of the encapsulation is part of a flow's key: "
	  "default (VLAN and VNI, GRE key or TEID), none, vlan, vni, teid, gre_key or full",
	  .cli = { FLAG("tunnel-context", 0, "WHAT", NULL) } },
	{ .key = "tunnel.vxlan_ports", .type = OPT_STRLIST, .flags = OPT_PORTS,
	  LIST(vxlan_ports, n_vxlan_ports), .max = SF_CONFIG_MAX_VXLAN_PORTS, .def = "",
	  .help = "UDP ports of VXLAN besides 4789 and 8472" },
	{ .key = "tunnel.vxlan_mirror", .type = OPT_BOOL, FIELD(vxlan_mirror), .def = "false",
	  .help = "VXLAN is a mirror transport (cloud traffic mirroring): its VNI is the "
	  "observation point, not a flow context" },
	{ .key = "tunnel.underlay", .type = OPT_BOOL, FIELD(underlay), .def = "false",
	  .help = "also account each tunnelled packet in its outer (underlay) flow, keyed "
	  "as --no-decap keys it (records: tunnel \"underlay\")",
	  .cli = { SWITCH("underlay", 0, "true", "also account the outer (underlay) flows of "
	  "tunnelled packets") } },
	{ .key = "tunnel.teredo", .type = OPT_BOOL, FIELD(teredo), .def = "false",
	  .help = "decapsulate Teredo (UDP 3544)" },
	{ .key = "tunnel.ayiya", .type = OPT_BOOL, FIELD(ayiya), .def = "false",
	  .help = "decapsulate AYIYA (UDP 5072)" },
	{ .key = "tcp.analysis", .type = OPT_BOOL, FIELD(tcp_analysis), .def = "false",
	  .help = "TCP health per flow: handshake RTT, retransmissions, out-of-order, "
	  "duplicate ACKs, zero windows (tshark's tcp.analysis), SYN options",
	  .cli = { SWITCH("tcp-analysis", 0, "true", "TCP health fields in the records of TCP "
	  "flows (about 300 bytes of state per TCP flow)") } },
	{ .key = "tcp.client_prefix_v4", .type = OPT_UINT, FIELD(tcp_prefix4),
	  .min = 8, .max = 32, .def = "24",
	  .help = "with tcp.analysis: prefix length of the IPv4 client subnets whose "
	  "retransmissions are counted" },
	{ .key = "tcp.client_prefix_v6", .type = OPT_UINT, FIELD(tcp_prefix6),
	  .min = 16, .max = 128, .def = "64",
	  .help = "with tcp.analysis: prefix length of the IPv6 client subnets" },
	{ .key = "app.enabled", .type = OPT_BOOL, FIELD(app), .def = "false",
	  .help = "application metadata per flow: TLS and QUIC ClientHello (server name, "
	  "ALPN, version, JA3, JA4), DNS question and rcode, HTTP/1.x Host, method, "
	  "User-Agent",
	  .cli = { SWITCH("app", 0, "true", "application metadata in the records of TCP and "
	  "UDP flows (about 570 bytes of state per flow)") } },
	{ .key = "app.buffers", .type = OPT_UINT, FIELD(app_buffers), .min = 1, .max = 65535,
	  .def = "256",
	  .help = "with app.enabled: reassembly buffers per worker (18 KiB each) for "
	  "ClientHellos, DNS messages and request heads split over packets, and QUIC "
	  "Initials; a flow that finds none is not inspected (counted)" },
	{ .key = "features.enabled", .type = OPT_BOOL, FIELD(features), .def = "false",
	  .help = "flow features under nfstream's names: packet size and inter-arrival "
	  "time min/mean/stddev/max per direction and both ways",
	  .cli = { SWITCH("features", 0, "true", "nfstream's statistical features in every "
	  "record (about 200 bytes of state per flow)") } },
	{ .key = "features.splt", .type = OPT_UINT, FIELD(splt), .min = 0, .max = 255,
	  .def = "0",
	  .help = "with features.enabled: the first N packets' sizes, directions and gaps "
	  "(nfstream's SPLT; 0: none)" },
	{ .key = "dpdk.hugepages", .type = OPT_ENUM, FIELD(hugepages), .names = hugepages_names,
	  .def = "auto", .help = "auto = use hugepages when some are free",
	  .cli = { FLAG("hugepages", 0, "MODE", "auto (use them when some are free), yes or "
	  "no") } },
	{ .key = "dpdk.idle", .type = OPT_ENUM, FIELD(idle), .names = idle_names,
	  .def = "adaptive", .help = "adaptive backs off when idle; busy polls",
	  .cli = { FLAG("idle", 0, "MODE", "adaptive (yield when idle) or busy (pure "
	  "polling)") } },
	{ .key = "dpdk.eal_args", .type = OPT_STRLIST, LIST(eal_args, n_eal_args),
	  .max = SF_CONFIG_MAX_EAL_ARGS, .def = "",
	  .help = "extra EAL arguments" },
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

/* struct sf_config_cmdline has a bit per setting. */
_Static_assert(N_OPTS <= 8 * sizeof(((struct sf_config_cmdline *)NULL)->given),
	"struct sf_config_cmdline: more settings than bits");

/* OPT_ENUM fields are stored through a uint32_t. */
_Static_assert(sizeof(enum sf_config_reader) == sizeof(uint32_t), "enum size");
_Static_assert(sizeof(enum sf_config_capture) == sizeof(uint32_t), "enum size");
_Static_assert(sizeof(enum sf_config_hugepages) == sizeof(uint32_t), "enum size");
_Static_assert(sizeof(enum sf_config_idle) == sizeof(uint32_t), "enum size");
_Static_assert(sizeof(enum sf_config_http) == sizeof(uint32_t), "enum size");
_Static_assert(sizeof(enum sf_config_ipfix_mode) == sizeof(uint32_t), "enum size");
_Static_assert(sizeof(((struct sf_config *)NULL)->eal_args) ==
	SF_CONFIG_MAX_EAL_ARGS * sizeof(((struct sf_config *)NULL)->eal_args[0]),
	"eal_args layout");

/* Duration units, largest first: sf_config_dump() picks the largest exact one. */
static const struct {
	const char *name;
	uint64_t ns;
} units[] = {
	{ "d", DAYS(1) },
	{ "h", SEC(3600) },
	{ "m", SEC(60) },
	{ "s", SF_NS_PER_S },
	{ "ms", SF_NS_PER_MS },
	{ "us", SF_NS_PER_US },
	{ "ns", 1 },
};

/* Length of user text quoted in messages; QLEN: a piece of n bytes, cut to that. */
#define QUOTE_MAX 64
#define QLEN(n) ((int)((n) < QUOTE_MAX ? (n) : QUOTE_MAX))

static void __attribute__((format(printf, 3, 4)))
msg(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* Field access */

static void *
field(struct sf_config *c, const struct opt *o)
{
	return (char *)c + o->off;
}

static uint64_t
uint_get(const struct sf_config *c, const struct opt *o)
{
	const char *p = (const char *)c + o->off;
	uint32_t v32;
	uint64_t v64;
	bool b;

	switch (o->size) {
	case sizeof(bool):
		memcpy(&b, p, sizeof(b));
		return b;
	case sizeof(uint32_t):
		memcpy(&v32, p, sizeof(v32));
		return v32;
	default:
		memcpy(&v64, p, sizeof(v64));
		return v64;
	}
}

static void
uint_put(struct sf_config *c, const struct opt *o, uint64_t v)
{
	uint32_t v32 = (uint32_t)v;
	bool b = v != 0;

	switch (o->size) {
	case sizeof(bool):
		memcpy(field(c, o), &b, sizeof(b));
		break;
	case sizeof(uint32_t):
		memcpy(field(c, o), &v32, sizeof(v32));
		break;
	default:
		memcpy(field(c, o), &v, sizeof(v));
		break;
	}
}

static int parse_hostport(const struct opt *o, const char *s, struct sf_hostport *hp,
		char *what, size_t wlen);

static bool
is_list(const struct opt *o)
{
	return o->type == OPT_STRLIST || (o->flags & OPT_LIST);
}

static unsigned int
list_count(const struct sf_config *c, const struct opt *o)
{
	unsigned int n;

	memcpy(&n, (const char *)c + o->off_n, sizeof(n));
	return n;
}

static void
list_clear(struct sf_config *c, const struct opt *o)
{
	unsigned int n = 0;

	memset(field(c, o), 0, o->max * o->size);
	memcpy((char *)c + o->off_n, &n, sizeof(n));
}

static bool is_digit(char ch);

/*
 * Add one item, s[0..len) (not NUL-terminated), to a list: 0, -1 (the
 * item is wrong) or -2 (the list is full), with what was wrong in what.
 */
static int
list_add(struct sf_config *c, const struct opt *o, const char *s, size_t len,
		char *what, size_t wlen)
{
	unsigned int n = list_count(c, o);
	char text[SF_HOSTPORT_TEXT];
	struct sf_hostport hp;
	char *dst;

	if (len == 0) {
		msg(what, wlen, "empty string");
		return -1;
	}
	if (len >= (o->type == OPT_HOSTPORT ? sizeof(text) : o->size)) {
		msg(what, wlen, "'%.*s...' is too long (%zu bytes)", QUOTE_MAX, s, len);
		return -1;
	}
	if (n >= o->max) {
		msg(what, wlen, "too many items (more than %" PRIu64 ")", o->max);
		return -2;
	}
	dst = (char *)field(c, o) + (size_t)n * o->size;
	if (o->type == OPT_HOSTPORT) {
		if (memchr(s, '\0', len) != NULL) {
			msg(what, wlen, "value contains a NUL character");
			return -1;
		}
		memcpy(text, s, len);
		text[len] = '\0';
		if (parse_hostport(o, text, &hp, what, wlen) < 0)
			return -1;
		memcpy(dst, &hp, sizeof(hp));
	} else {
		if (o->flags & OPT_PORTS) {
			size_t i;
			unsigned long pv = 0;

			for (i = 0; i < len && is_digit(s[i]) && pv <= 65535; i++)
				pv = pv * 10 + (unsigned long)(s[i] - '0');
			if (i < len || pv == 0 || pv > 65535 || len > 5) {
				msg(what, wlen, "'%.*s' is not a port", QUOTE_MAX, s);
				return -1;
			}
		}
		memset(dst, 0, o->size);
		memcpy(dst, s, len);
	}
	n++;
	memcpy((char *)c + o->off_n, &n, sizeof(n));
	return 0;
}

/* Text to value */

static bool
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static int
parse_uint(const char *s, uint64_t *out, char *what, size_t wlen)
{
	const char *p = s;
	unsigned int shift = 0;
	uint64_t v = 0;

	if (!is_digit(*p))
		goto not_int;
	for (; is_digit(*p); p++) {
		if (__builtin_mul_overflow(v, 10, &v) ||
				__builtin_add_overflow(v, (uint64_t)(*p - '0'), &v))
			goto too_large;
	}
	switch (*p) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	}
	if (shift != 0)
		p++;
	if (*p != '\0')
		goto not_int;
	if (v > (UINT64_MAX >> shift))
		goto too_large;
	*out = v << shift;
	return 0;

not_int:
	msg(what, wlen, "'%.*s' is not an integer", QUOTE_MAX, s);
	return -1;
too_large:
	msg(what, wlen, "'%.*s' is too large", QUOTE_MAX, s);
	return -1;
}

/*
 * "0.5", "10", "500ms", "1.5 h": decimal digits with an optional fraction
 * and an optional unit (seconds when absent). Exact integer arithmetic:
 * the number is first scaled by 1e9 (nine fraction digits kept).
 */
static int
parse_duration(const char *s, uint64_t *out, char *what, size_t wlen)
{
	uint64_t ip = 0, frac = 0, scale = SF_NS_PER_S, unit = SF_NS_PER_S, nano, ns;
	const char *p = s;
	unsigned int digits = 0;
	size_t i;

	for (; is_digit(*p); p++, digits++) {
		if (__builtin_mul_overflow(ip, 10, &ip) ||
				__builtin_add_overflow(ip, (uint64_t)(*p - '0'), &ip))
			goto too_large;
	}
	if (*p == '.') {
		for (p++; is_digit(*p); p++, digits++) {
			scale /= 10;
			frac += (uint64_t)(*p - '0') * scale;
		}
	}
	if (digits == 0) {
		msg(what, wlen, "'%.*s' is not a duration", QUOTE_MAX, s);
		return -1;
	}
	while (*p == ' ')
		p++;
	if (*p != '\0') {
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strcmp(p, units[i].name) == 0)
				break;
		if (i == sizeof(units) / sizeof(units[0])) {
			msg(what, wlen, "'%.*s' has an unknown unit '%.*s'", QUOTE_MAX, s,
					QUOTE_MAX, p);
			return -1;
		}
		unit = units[i].ns;
	}
	if (unit >= SF_NS_PER_S) {
		if (__builtin_mul_overflow(ip, SF_NS_PER_S, &nano) ||
				__builtin_add_overflow(nano, frac, &nano) ||
				__builtin_mul_overflow(nano, unit / SF_NS_PER_S, &ns))
			goto too_large;
	} else {
		/* Not via ip * 1e9: dump writes e.g. "20000000000ns". */
		if (__builtin_mul_overflow(ip, unit, &ns) ||
				__builtin_add_overflow(ns, frac / (SF_NS_PER_S / unit), &ns))
			goto too_large;
	}
	*out = ns;
	return 0;

too_large:
	msg(what, wlen, "'%.*s' is too large", QUOTE_MAX, s);
	return -1;
}

/* Largest unit that represents ns exactly: 300 s -> "5m". Parses back identically. */
static void
fmt_duration(uint64_t ns, char *buf, size_t len)
{
	size_t i;

	if (ns == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	for (i = 0; ns % units[i].ns != 0; i++)
		;
	snprintf(buf, len, "%" PRIu64 "%s", ns / units[i].ns, units[i].name);
}

static int
parse_bool(const char *s, bool *out, char *what, size_t wlen)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	msg(what, wlen, "'%.*s' is not a boolean", QUOTE_MAX, s);
	return -1;
}

/* What may be asked of a resolver: letters, digits, '-', '_' and dots. */
static bool
is_host_name(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

/*
 * "192.0.2.1:4739", "[2001:db8::1]:4739" or, with OPT_NAMES, "name:4739"
 * (resolved here, the first address). A colon before the last one outside
 * brackets is an IPv6 address without them: refused rather than guessed.
 */
static int
parse_hostport(const struct opt *o, const char *s, struct sf_hostport *hp, char *what,
		size_t wlen)
{
	const char *port, *end;
	char host[SF_HOSTPORT_TEXT];
	struct addrinfo hints, *ai = NULL;
	struct sf_hostport h;
	size_t len = strlen(s), hlen;
	unsigned long pv;
	int rc;

	memset(&h, 0, sizeof(h));
	if (len >= sizeof(h.text)) {
		msg(what, wlen, "'%.*s...' is too long (%zu bytes)", QUOTE_MAX, s, len);
		return -1;
	}
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (end == NULL || end[1] != ':') {
			msg(what, wlen, "'%.*s' has no ']:PORT' after the IPv6 address", QUOTE_MAX,
					s);
			return -1;
		}
		hlen = (size_t)(end - s) - 1;
		memcpy(host, s + 1, hlen);
		port = end + 2;
	} else {
		end = strrchr(s, ':');
		if (end == NULL) {
			msg(what, wlen, "'%.*s' has no ':PORT'", QUOTE_MAX, s);
			return -1;
		}
		hlen = (size_t)(end - s);
		if (memchr(s, ':', hlen) != NULL) {
			msg(what, wlen, "'%.*s' is an IPv6 address without brackets", QUOTE_MAX, s);
			return -1;
		}
		memcpy(host, s, hlen);
		port = end + 1;
	}
	host[hlen] = '\0';
	if (hlen == 0) {
		msg(what, wlen, "'%.*s' has no address", QUOTE_MAX, s);
		return -1;
	}
	pv = strtoul(port, NULL, 10);
	if (port[0] == '\0' || strspn(port, "0123456789") != strlen(port) ||
			strlen(port) > 5 || pv > 65535 || (pv == 0 && !(o->flags & OPT_PORT0))) {
		msg(what, wlen, "'%.*s': the port '%.*s' is not a number %u..65535", QUOTE_MAX, s,
				QUOTE_MAX, port, (o->flags & OPT_PORT0) ? 0 : 1);
		return -1;
	}

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = s[0] == '[' ? AF_INET6 : AF_INET;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST;
	rc = getaddrinfo(host, NULL, &hints, &ai);
	if (rc != 0 && s[0] == '[') {
		msg(what, wlen, "'%.*s': '%.*s' is not an IPv6 address", QUOTE_MAX, s, QUOTE_MAX,
				host);
		return -1;
	}
	if (rc != 0 && !(o->flags & OPT_NAMES)) {
		msg(what, wlen, "'%.*s': '%.*s' is not a numeric IPv4 address (host names are "
				"not taken here)", QUOTE_MAX, s, QUOTE_MAX, host);
		return -1;
	}
	if (rc != 0) {
		if (!is_host_name(host)) {
			msg(what, wlen, "'%.*s': '%.*s' is neither an IPv4 address nor a host name",
					QUOTE_MAX, s, QUOTE_MAX, host);
			return -1;
		}
		hints.ai_family = AF_UNSPEC;
		hints.ai_flags = 0;
		rc = getaddrinfo(host, NULL, &hints, &ai);
		if (rc != 0) {
			msg(what, wlen, "'%.*s': cannot resolve '%.*s': %s", QUOTE_MAX, s,
					QUOTE_MAX, host, rc == EAI_SYSTEM ? strerror(errno) :
					gai_strerror(rc));
			return -1;
		}
	}
	if (ai->ai_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ai->ai_addr;

		memcpy(h.addr, &sin6->sin6_addr, 16);
		h.scope_id = sin6->sin6_scope_id;
	} else {
		memcpy(h.addr, &((const struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
	}
	h.family = (uint16_t)ai->ai_family;
	h.port = (uint16_t)pv;
	memcpy(h.text, s, len);
	freeaddrinfo(ai);
	memcpy(hp, &h, sizeof(h));
	return 0;
}

/* One %XX-decoded part of a URL's user information into dst (size n). */
static int
url_unescape(const char *s, size_t len, char *dst, size_t n)
{
	size_t i, o = 0;
	unsigned int v;

	for (i = 0; i < len; i++) {
		if (o + 1 >= n)
			return -1;
		if (s[i] != '%') {
			dst[o++] = s[i];
			continue;
		}
		if (i + 2 >= len || !isxdigit((unsigned char)s[i + 1]) ||
				!isxdigit((unsigned char)s[i + 2]) ||
				sscanf(s + i + 1, "%2x", &v) != 1 || v == 0)
			return -1;
		dst[o++] = (char)v;
		i += 2;
	}
	dst[o] = '\0';
	return 0;
}

int
sf_config_parse_url(const char *s, struct sf_url *u, char *what, size_t wlen)
{
	const char *p, *at, *colon, *hend, *port = NULL, *path;
	size_t hlen;
	unsigned long pv = 8123;

	memset(u, 0, sizeof(*u));
	if (strncmp(s, "http://", 7) != 0) {
		msg(what, wlen, "'%.*s' is not an http:// URL%s", QUOTE_MAX, s,
				strncmp(s, "https://", 8) == 0 ? " (https is not supported: put a TLS "
				"proxy on the loopback in front of the server)" : "");
		return -1;
	}
	p = s + 7;
	path = p + strcspn(p, "/?#");
	at = memchr(p, '@', (size_t)(path - p));
	if (at != NULL) {
		colon = memchr(p, ':', (size_t)(at - p));
		if (url_unescape(p, (size_t)((colon ? colon : at) - p), u->user,
				sizeof(u->user)) < 0 || (colon != NULL && url_unescape(colon + 1,
				(size_t)(at - colon - 1), u->password, sizeof(u->password)) < 0)) {
			msg(what, wlen, "'%.*s': bad or too long user or password", QUOTE_MAX, s);
			return -1;
		}
		p = at + 1;
	}
	if (*p == '[') {
		hend = memchr(p, ']', (size_t)(path - p));
		if (hend == NULL || hend == p + 1 ||
				strspn(p + 1, "0123456789abcdefABCDEF:.") != (size_t)(hend - p - 1)) {
			msg(what, wlen, "'%.*s': the IPv6 address in brackets is not one", QUOTE_MAX,
					s);
			return -1;
		}
		hlen = (size_t)(hend - p - 1);
		memcpy(u->host, p + 1, hlen);
		if (hend[1] == ':')
			port = hend + 2;
		else if (hend + 1 != path)
			goto bad_host;
	} else {
		colon = memchr(p, ':', (size_t)(path - p));
		hend = colon != NULL ? colon : path;
		hlen = (size_t)(hend - p);
		if (hlen >= sizeof(u->host))
			goto bad_host;
		memcpy(u->host, p, hlen);
		if (colon != NULL)
			port = colon + 1;
	}
	if (hlen == 0) {
		msg(what, wlen, "'%.*s' has no host", QUOTE_MAX, s);
		return -1;
	}
	if (s[7] != '[' && !is_host_name(u->host))
		goto bad_host;
	if (port != NULL) {
		size_t plen = (size_t)(path - port);

		pv = strtoul(port, NULL, 10);
		if (plen == 0 || plen > 5 || strspn(port, "0123456789") != plen || pv == 0 ||
				pv > 65535) {
			msg(what, wlen, "'%.*s': the port '%.*s' is not a number 1..65535", QUOTE_MAX,
					s, (int)plen, port);
			return -1;
		}
	}
	u->port = (uint16_t)pv;
	if (*path == '/' && path[1] != '\0') {
		size_t dlen = strlen(path + 1);

		if (path[dlen] == '/')	/* "/netflows/" */
			dlen--;
		if (dlen >= sizeof(u->database) || strspn(path + 1, "abcdefghijklmnopqrstuvwxyz"
				"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != dlen) {
			msg(what, wlen, "'%.*s': the path '%.*s' is not a database name (letters, "
					"digits and '_')", QUOTE_MAX, s, QUOTE_MAX, path);
			return -1;
		}
		memcpy(u->database, path + 1, dlen);
	} else if (*path != '\0' && strcmp(path, "/") != 0) {
		msg(what, wlen, "'%.*s': a query or fragment is not taken ('%.*s')", QUOTE_MAX, s,
				QUOTE_MAX, path);
		return -1;
	}
	return 0;
bad_host:
	msg(what, wlen, "'%.*s': the host is neither a name, an IPv4 address nor an IPv6 "
			"address in brackets", QUOTE_MAX, s);
	return -1;
}

/*
 * A Kafka broker list, "host:port,host:port": checked here for its form
 * only; names are resolved by librdkafka when it connects, and a broker
 * that is not there yet is not an error (records wait, export.kafka_timeout).
 */
static int
check_brokers(const char *s, char *what, size_t wlen)
{
	const char *item = s, *end, *colon, *port;
	char host[SF_HOSTPORT_TEXT];
	unsigned int n = 1;
	size_t len, hlen;
	unsigned long pv;

	if (s[0] == '\0')
		return 0;
#ifndef SF_HAVE_RDKAFKA
	msg(what, wlen, "this build of spanflow has no Kafka support (built without librdkafka: "
			"install librdkafka-dev and build again)");
	return -1;
#endif
	for (;; n++, item = end + 1) {
		end = item + strcspn(item, ",");
		len = (size_t)(end - item);
		if (len == 0) {
			msg(what, wlen, "'%.*s': broker %u is empty", QUOTE_MAX, s, n);
			return -1;
		}
		if (item[0] == '[') {
			colon = memchr(item, ']', len);
			if (colon == NULL || colon + 1 == end || colon[1] != ':') {
				msg(what, wlen, "broker %u '%.*s' has no ']:PORT' after the IPv6 "
						"address", n, QLEN(len), item);
				return -1;
			}
			hlen = (size_t)(colon - item) - 1;
			colon++;
		} else {
			colon = memrchr(item, ':', len);
			if (colon == NULL) {
				msg(what, wlen, "broker %u '%.*s' has no ':PORT'", n,
						QLEN(len), item);
				return -1;
			}
			hlen = (size_t)(colon - item);
		}
		if (hlen == 0 || hlen >= sizeof(host)) {
			msg(what, wlen, "broker %u '%.*s' has %s", n, QLEN(len),
					item, hlen == 0 ? "no host" : "too long a host");
			return -1;
		}
		memcpy(host, item + (item[0] == '['), hlen);
		host[hlen] = '\0';
		if (item[0] == '[' ? strspn(host, "0123456789abcdefABCDEF:.") != hlen :
				!is_host_name(host)) {
			msg(what, wlen, "broker %u: '%.*s' is not %s", n, QUOTE_MAX, host,
					item[0] == '[' ? "an IPv6 address" : "a host name or an "
					"IPv4 address (letters, digits, '-', '.')");
			return -1;
		}
		port = colon + 1;
		pv = strtoul(port, NULL, 10);
		if (port == end || strspn(port, "0123456789") != (size_t)(end - port) ||
				end - port > 5 || pv == 0 || pv > 65535) {
			msg(what, wlen, "broker %u '%.*s': the port '%.*s' is not a number "
					"1..65535", n, QLEN(len), item,
					QLEN((size_t)(end - port)), port);
			return -1;
		}
		if (*end == '\0')
			return 0;
	}
}

/* A Kafka topic name, as the brokers accept it (1..249 of [a-zA-Z0-9._-]). */
static int
check_topic(const char *s, char *what, size_t wlen)
{
	size_t len = strlen(s), i;

	if (len == 0 || len > 249 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
		msg(what, wlen, "'%.*s' is not a topic name", QUOTE_MAX, s);
		return -1;
	}
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-') {
			msg(what, wlen, "'%.*s' has a character a topic name cannot have ('%c')",
					QUOTE_MAX, s, isprint((unsigned char)s[i]) ? s[i] : '?');
			return -1;
		}
	return 0;
}

/* export.clickhouse: "" or a URL. */
static int
check_url(const char *s, char *what, size_t wlen)
{
	struct sf_url u;

	return s[0] == '\0' ? 0 : sf_config_parse_url(s, &u, what, wlen);
}

/* A ClickHouse database or table name: spanflow writes it into SQL unquoted. */
static int
check_name(const char *s, char *what, size_t wlen)
{
	size_t len = strlen(s);

	if (len == 0 || len > 63 || is_digit(s[0]) || strspn(s, "abcdefghijklmnopqrstuvwxyz"
			"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != len) {
		msg(what, wlen, "'%.*s' is not a name", QUOTE_MAX, s);
		return -1;
	}
	return 0;
}

static int
check_pace(const char *s, char *what, size_t wlen)
{
	char *end;
	double v;

	if (strcmp(s, "max") == 0)
		return 0;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !(v >= 0.001 && v <= 1e6)) {
		msg(what, wlen, "'%.*s' is not max or a factor 0.001..1000000", QUOTE_MAX, s);
		return -1;
	}
	return 0;
}

double
sf_config_pace(const struct sf_config *c)
{
	if (c->pace[0] == '\0' || strcmp(c->pace, "max") == 0)
		return 0;
	return strtod(c->pace, NULL);
}

/* Limits of a numeric value, shared by the parser and sf_config_check(). */
static int
check_range(const struct opt *o, uint64_t v, const char *text, char *what, size_t wlen)
{
	if (v < o->min || v > o->max) {
		msg(what, wlen, "'%.*s' is out of range", QUOTE_MAX, text);
		return -1;
	}
	if ((o->flags & OPT_POW2) && (v & (v - 1)) != 0) {
		msg(what, wlen, "'%.*s' is not a power of two", QUOTE_MAX, text);
		return -1;
	}
	return 0;
}

/*
 * What a valid value looks like, for the "; expected ..." part of messages;
 * `item`: of one item of a list (the message is about that item).
 */
static void
opt_form(const struct opt *o, bool item, char *buf, size_t len)
{
	char lo[32], hi[32];
	size_t n, i;

	switch (o->type) {
	case OPT_UINT:
		snprintf(buf, len, "%s%s %" PRIu64 "..%" PRIu64 "%s",
				(o->flags & OPT_AUTO) ? "auto or " : "",
				(o->flags & OPT_POW2) ? "a power of two" : "an integer",
				o->min, o->max,
				o->max >= 1024 ? " (suffix k, M, G = * 2^10, 2^20, 2^30)" : "");
		break;
	case OPT_DURATION:
		fmt_duration(o->min, lo, sizeof(lo));
		fmt_duration(o->max, hi, sizeof(hi));
		snprintf(buf, len, "a duration %s..%s: seconds (0.5) or a number with a unit "
				"ns, us, ms, s, m, h, d (500ms, 5m)", lo, hi);
		break;
	case OPT_BOOL:
		snprintf(buf, len, "true or false (or yes/no, on/off)");
		break;
	case OPT_ENUM:
		n = (size_t)snprintf(buf, len, "one of:");
		for (i = 0; o->names[i] != NULL && n < len; i++)
			n += (size_t)snprintf(buf + n, len - n, "%s %s", i ? "," : "",
					o->names[i]);
		break;
	case OPT_PATH:
		if (o->form != NULL) {
			snprintf(buf, len, "%s", o->form);
			break;
		}
		snprintf(buf, len, "a %s of at most %zu bytes",
				(o->flags & OPT_TEXT) ? "string" : "path", o->size - 1);
		break;
	case OPT_STRLIST:
		if (o->flags & OPT_PORTS)
			snprintf(buf, len, "%s1..65535%s", item ? "a port " : "a list of ports ",
					item ? "" : " ([4790, 4791])");
		else if (item)
			snprintf(buf, len, "a string of 1..%zu bytes", o->size - 1);
		else
			snprintf(buf, len, "a list of at most %" PRIu64 " strings of 1..%zu bytes "
					"([\"--arg\", ...])", o->max, o->size - 1);
		break;
	case OPT_HOSTPORT:
		n = 0;
		if ((o->flags & OPT_LIST) && !item)
			n = (size_t)snprintf(buf, len, "a list of at most %" PRIu64 " ", o->max);
		if (n >= len)
			break;
		if (o->flags & OPT_NAMES)
			snprintf(buf + n, len - n, "HOST:PORT: an IPv4 address or a host "
					"name, or an IPv6 address in brackets, and a port 1..65535 "
					"(192.0.2.1:4739, collector.example:4739, "
					"[2001:db8::1]:4739)");
		else
			snprintf(buf + n, len - n, "ADDR:PORT: a numeric IPv4 address, or an "
					"IPv6 address in brackets, and a port %u..65535 "
					"(127.0.0.1:8080, [::1]:8080)",
					(o->flags & OPT_PORT0) ? 0 : 1);
		break;
	}
}

/*
 * Store text into one setting (any type but the list). basedir, when set,
 * is prepended to a relative path ("" and "-" are kept as they are).
 */
static int
opt_parse(struct sf_config *c, const struct opt *o, const char *s, const char *basedir,
		char *what, size_t wlen)
{
	size_t len = strlen(s), blen = 0;
	uint64_t v;
	bool b;
	char *dst;

	switch (o->type) {
	case OPT_UINT:
		/* "auto" is stored as 0, which is below every minimum. */
		if ((o->flags & OPT_AUTO) && strcmp(s, "auto") == 0)
			v = 0;
		else if (parse_uint(s, &v, what, wlen) < 0 ||
				check_range(o, v, s, what, wlen) < 0)
			return -1;
		uint_put(c, o, v);
		return 0;
	case OPT_DURATION:
		if (parse_duration(s, &v, what, wlen) < 0 ||
				check_range(o, v, s, what, wlen) < 0)
			return -1;
		uint_put(c, o, v);
		return 0;
	case OPT_BOOL:
		if (parse_bool(s, &b, what, wlen) < 0)
			return -1;
		uint_put(c, o, b);
		return 0;
	case OPT_ENUM:
		for (v = 0; o->names[v] != NULL; v++) {
			if (strcmp(s, o->names[v]) == 0) {
				uint_put(c, o, v);
				return 0;
			}
		}
		msg(what, wlen, "unknown value '%.*s'", QUOTE_MAX, s);
		return -1;
	case OPT_PATH:
		if (basedir != NULL && !(o->flags & OPT_TEXT) && s[0] != '/' && strcmp(s, "") != 0 && strcmp(s, "-") != 0)
			blen = strlen(basedir);
		if (blen + len >= o->size) {
			msg(what, wlen, "path is too long (%zu bytes)", blen + len);
			return -1;
		}
		if (o->check != NULL && o->check(s, what, wlen) < 0)
			return -1;
		dst = field(c, o);
		memset(dst, 0, o->size);
		if (blen != 0)
			memcpy(dst, basedir, blen);
		memcpy(dst + blen, s, len);
		return 0;
	case OPT_HOSTPORT:
		if (o->flags & OPT_LIST)
			break;
		return parse_hostport(o, s, field(c, o), what, wlen);
	case OPT_STRLIST:
		break;
	}
	msg(what, wlen, "not a scalar setting");
	return -1;
}

/* Table look-ups */

static const struct opt *
opt_find(const char *key)
{
	size_t i;

	for (i = 0; i < N_OPTS; i++)
		if (strcmp(opts[i].key, key) == 0)
			return &opts[i];
	return NULL;
}

/* Does a key start with "prefix." (any key when prefix is "")? */
static bool
under(const char *key, const char *prefix, size_t plen)
{
	return plen == 0 || (strncmp(key, prefix, plen) == 0 && key[plen] == '.');
}

/* Is "prefix" a section, i.e. does some key start with "prefix."? */
static bool
is_section(const char *prefix)
{
	size_t i, plen = strlen(prefix);

	for (i = 0; i < N_OPTS; i++)
		if (under(opts[i].key, prefix, plen))
			return true;
	return false;
}

/* The names allowed directly under a section, comma-separated: "idle, active". */
static void
section_keys(const char *prefix, char *buf, size_t len)
{
	size_t i, j, plen = strlen(prefix), skip = plen ? plen + 1 : 0, n = 0, cl, dl;
	const char *name, *dup;

	buf[0] = '\0';
	for (i = 0; i < N_OPTS && n < len; i++) {
		if (!under(opts[i].key, prefix, plen))
			continue;
		name = opts[i].key + skip;
		cl = strcspn(name, ".");
		for (j = 0; j < i; j++) {
			if (!under(opts[j].key, prefix, plen))
				continue;
			dup = opts[j].key + skip;
			dl = strcspn(dup, ".");
			if (dl == cl && strncmp(dup, name, cl) == 0)
				break;
		}
		if (j < i)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%.*s", n ? ", " : "", (int)cl, name);
	}
}

/* YAML document walker */

struct loader {
	const char *name;	/* file name for messages */
	const char *basedir;	/* prefix for relative paths; NULL keeps them */
	yaml_document_t *doc;
	struct sf_config *c;
	char *err;
	size_t errlen;
};

static bool
node_is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	s = (const char *)n->data.scalar.value;
	return (s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
		 strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0);
}

static const char *
node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return node_is_null(n) ? "no value" : "a scalar";
	}
}

/*
 * "FILE:LINE:COL: KEY: WHAT; expected FORM" at a node (libyaml marks are
 * 0-based); `item`: the node is one item of a list.
 */
static int
fail_at(const struct loader *ld, const yaml_node_t *n, const struct opt *o, bool item,
		const char *what)
{
	char form[256];

	opt_form(o, item, form, sizeof(form));
	msg(ld->err, ld->errlen, "%s:%zu:%zu: %s: %s; expected %s", ld->name,
			n->start_mark.line + 1, n->start_mark.column + 1, o->key, what, form);
	return -1;
}

static int
load_list(struct loader *ld, const struct opt *o, const yaml_node_t *v)
{
	const yaml_node_item_t *it;
	const yaml_node_t *item;
	char what[256];
	int rc;

	list_clear(ld->c, o);
	if (node_is_null(v))
		return 0;
	if (v->type != YAML_SEQUENCE_NODE) {
		snprintf(what, sizeof(what), "got %s", node_kind(v));
		return fail_at(ld, v, o, false, what);
	}
	for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		item = yaml_document_get_node(ld->doc, *it);
		if (item->type != YAML_SCALAR_NODE || node_is_null(item)) {
			snprintf(what, sizeof(what), "item is %s", node_kind(item));
			return fail_at(ld, item, o, true, what);
		}
		rc = list_add(ld->c, o, (const char *)item->data.scalar.value,
				item->data.scalar.length, what, sizeof(what));
		if (rc < 0)
			return fail_at(ld, item, o, rc != -2, what);
	}
	return 0;
}

static int
load_value(struct loader *ld, const struct opt *o, const yaml_node_t *v)
{
	const char *s = (const char *)v->data.scalar.value;
	char what[256];

	if (is_list(o))
		return load_list(ld, o, v);
	if (v->type != YAML_SCALAR_NODE || node_is_null(v)) {
		snprintf(what, sizeof(what), "got %s", node_kind(v));
		return fail_at(ld, v, o, false, what);
	}
	if (strlen(s) != v->data.scalar.length) {
		snprintf(what, sizeof(what), "value contains a NUL character");
		return fail_at(ld, v, o, false, what);
	}
	if (opt_parse(ld->c, o, s, ld->basedir, what, sizeof(what)) < 0)
		return fail_at(ld, v, o, false, what);
	return 0;
}

static bool
same_scalar(const yaml_node_t *a, const yaml_node_t *b)
{
	return a->type == YAML_SCALAR_NODE && b->type == YAML_SCALAR_NODE &&
		a->data.scalar.length == b->data.scalar.length &&
		memcmp(a->data.scalar.value, b->data.scalar.value, a->data.scalar.length) == 0;
}

/* Walk a mapping whose keys live under `prefix` ("" for the top level). */
static int
load_mapping(struct loader *ld, const yaml_node_t *map, const char *prefix)
{
	const yaml_node_pair_t *p, *q;
	const yaml_node_t *k, *v, *prev;
	const struct opt *o;
	char full[128], keys[256], in[160];
	const char *ks;

	section_keys(prefix, keys, sizeof(keys));
	in[0] = '\0';
	if (prefix[0] != '\0')
		snprintf(in, sizeof(in), " in '%s'", prefix);
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		k = yaml_document_get_node(ld->doc, p->key);
		v = yaml_document_get_node(ld->doc, p->value);
		if (k->type != YAML_SCALAR_NODE) {
			msg(ld->err, ld->errlen, "%s:%zu:%zu: key%s is %s; expected one of: %s",
					ld->name, k->start_mark.line + 1, k->start_mark.column + 1,
					in, node_kind(k), keys);
			return -1;
		}
		ks = (const char *)k->data.scalar.value;
		for (q = map->data.mapping.pairs.start; q < p; q++) {
			prev = yaml_document_get_node(ld->doc, q->key);
			if (!same_scalar(k, prev))
				continue;
			msg(ld->err, ld->errlen, "%s:%zu:%zu: duplicate key '%.*s'%s (first at "
					"%zu:%zu); expected each key once", ld->name,
					k->start_mark.line + 1, k->start_mark.column + 1,
					QUOTE_MAX, ks, in, prev->start_mark.line + 1,
					prev->start_mark.column + 1);
			return -1;
		}
		/* A key is one name: "timeouts.idle" is not accepted at the top level. */
		if (strchr(ks, '.') != NULL || strlen(ks) != k->data.scalar.length ||
				(size_t)snprintf(full, sizeof(full), "%s%s%s", prefix,
					prefix[0] ? "." : "", ks) >= sizeof(full))
			full[0] = '\0';
		o = full[0] != '\0' ? opt_find(full) : NULL;
		if (o != NULL) {
			if (load_value(ld, o, v) < 0)
				return -1;
		} else if (full[0] != '\0' && is_section(full)) {
			if (node_is_null(v))
				continue;
			if (v->type != YAML_MAPPING_NODE) {
				section_keys(full, keys, sizeof(keys));
				msg(ld->err, ld->errlen, "%s:%zu:%zu: %s: got %s; expected a "
						"mapping with keys: %s", ld->name,
						v->start_mark.line + 1, v->start_mark.column + 1,
						full, node_kind(v), keys);
				return -1;
			}
			if (load_mapping(ld, v, full) < 0)
				return -1;
		} else {
			msg(ld->err, ld->errlen, "%s:%zu:%zu: unknown key '%.*s'%s; expected one "
					"of: %s", ld->name, k->start_mark.line + 1,
					k->start_mark.column + 1, QUOTE_MAX, ks, in, keys);
			return -1;
		}
	}
	return 0;
}

static int
syntax_error(const yaml_parser_t *ps, const char *name, char *err, size_t errlen)
{
	switch (ps->error) {
	case YAML_MEMORY_ERROR:
		msg(err, errlen, "%s: out of memory while parsing", name);
		break;
	case YAML_READER_ERROR:
		msg(err, errlen, "%s: byte %zu: %s; expected UTF-8 text", name,
				ps->problem_offset + 1, ps->problem ? ps->problem : "read error");
		break;
	default:
		if (ps->context != NULL)
			msg(err, errlen, "%s:%zu:%zu: invalid YAML: %s (%s at %zu:%zu); expected "
					"'key: value' lines indented with spaces", name,
					ps->problem_mark.line + 1, ps->problem_mark.column + 1,
					ps->problem ? ps->problem : "error", ps->context,
					ps->context_mark.line + 1, ps->context_mark.column + 1);
		else
			msg(err, errlen, "%s:%zu:%zu: invalid YAML: %s; expected 'key: value' "
					"lines indented with spaces", name,
					ps->problem_mark.line + 1, ps->problem_mark.column + 1,
					ps->problem ? ps->problem : "error");
		break;
	}
	return -1;
}

/* Parse one document from an initialized parser; c is changed only on success. */
static int
load(struct sf_config *c, const char *name, const char *basedir, yaml_parser_t *ps,
		char *err, size_t errlen)
{
	struct sf_config tmp;
	struct loader ld = {
		.name = name, .basedir = basedir, .c = &tmp, .err = err, .errlen = errlen,
	};
	yaml_document_t doc;
	yaml_node_t *root;
	int rc = 0;

	memcpy(&tmp, c, sizeof(tmp));
	if (!yaml_parser_load(ps, &doc))
		return syntax_error(ps, name, err, errlen);
	ld.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root != NULL && !node_is_null(root)) {
		if (root->type == YAML_MAPPING_NODE) {
			rc = load_mapping(&ld, root, "");
		} else {
			msg(err, errlen, "%s:%zu:%zu: top level is %s; expected a mapping of "
					"settings ('key: value' lines)", name,
					root->start_mark.line + 1, root->start_mark.column + 1,
					node_kind(root));
			rc = -1;
		}
	}
	yaml_document_delete(&doc);
	if (rc < 0)
		return rc;

	/* One document per file: a second one is most likely a stray "---". */
	if (!yaml_parser_load(ps, &doc))
		return syntax_error(ps, name, err, errlen);
	root = yaml_document_get_root_node(&doc);
	if (root != NULL) {
		msg(err, errlen, "%s:%zu:%zu: a second YAML document; expected one document",
				name, root->start_mark.line + 1, root->start_mark.column + 1);
		rc = -1;
	}
	yaml_document_delete(&doc);
	if (rc == 0)
		memcpy(c, &tmp, sizeof(tmp));
	return rc;
}

/* Public API */

void
sf_config_defaults(struct sf_config *c)
{
	char what[8];
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < N_OPTS; i++) {
		if (is_list(&opts[i]))
			list_clear(c, &opts[i]);
		else
			(void)opt_parse(c, &opts[i], opts[i].def, NULL, what, sizeof(what));
	}
}

int
sf_config_load_string(struct sf_config *c, const char *name, const char *yaml,
		char *err, size_t errlen)
{
	yaml_parser_t ps;
	int rc;

	if (!yaml_parser_initialize(&ps)) {
		msg(err, errlen, "%s: out of memory", name);
		return -1;
	}
	yaml_parser_set_input_string(&ps, (const unsigned char *)yaml, strlen(yaml));
	rc = load(c, name, NULL, &ps, err, errlen);
	yaml_parser_delete(&ps);
	return rc;
}

int
sf_config_load_file(struct sf_config *c, const char *path, char *err, size_t errlen)
{
	char basedir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	yaml_parser_t ps;
	struct stat st;
	FILE *f;
	int rc;

	/* "dir/x.yaml" -> "dir/"; a bare name is relative to the cwd already. */
	if (slash != NULL && (size_t)(slash - path) + 1 >= sizeof(basedir)) {
		msg(err, errlen, "%s: cannot open: %s", path, strerror(ENAMETOOLONG));
		return -1;
	}
	if (slash != NULL)
		snprintf(basedir, sizeof(basedir), "%.*s", (int)(slash - path + 1), path);

	f = fopen(path, "r");
	if (f == NULL) {
		msg(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		msg(err, errlen, "%s: cannot open: %s", path, strerror(EISDIR));
		fclose(f);
		return -1;
	}
	if (!yaml_parser_initialize(&ps)) {
		msg(err, errlen, "%s: out of memory", path);
		fclose(f);
		return -1;
	}
	yaml_parser_set_input_file(&ps, f);
	rc = load(c, path, slash != NULL ? basedir : NULL, &ps, err, errlen);
	yaml_parser_delete(&ps);
	fclose(f);
	return rc;
}

int
sf_config_set(struct sf_config *c, const char *key, const char *value,
		char *err, size_t errlen)
{
	const struct opt *o = key != NULL ? opt_find(key) : NULL;
	char what[256], form[256], keys[SF_CONFIG_ERR_LEN];
	struct sf_config tmp;
	bool item = false;
	const char *p;
	size_t i, n, len;
	int rc;

	if (o == NULL) {
		for (i = 0, n = 0; i < N_OPTS && n < sizeof(keys); i++)
			n += (size_t)snprintf(keys + n, sizeof(keys) - n, "%s%s", i ? ", " : "",
					opts[i].key);
		msg(err, errlen, "unknown setting '%.*s'; expected one of: %s", QUOTE_MAX,
				key != NULL ? key : "(null)", keys);
		return -1;
	}
	if (value == NULL) {
		snprintf(what, sizeof(what), "no value");
		goto fail;
	}
	memcpy(&tmp, c, sizeof(tmp));
	if (is_list(o)) {
		/* As text, a list is one string split on blanks. */
		list_clear(&tmp, o);
		for (p = value + strspn(value, " \t"); *p != '\0'; p += strspn(p, " \t")) {
			len = strcspn(p, " \t");
			rc = list_add(&tmp, o, p, len, what, sizeof(what));
			if (rc < 0) {
				item = rc != -2;
				goto fail;
			}
			p += len;
		}
	} else if (opt_parse(&tmp, o, value, NULL, what, sizeof(what)) < 0) {
		goto fail;
	}
	memcpy(c, &tmp, sizeof(tmp));
	return 0;

fail:
	opt_form(o, item, form, sizeof(form));
	msg(err, errlen, "%s: %s; expected %s", o->key, what, form);
	return -1;
}

int
sf_config_check(const struct sf_config *c, char *err, size_t errlen)
{
	char what[256], form[256], text[32];
	const struct opt *o;
	uint64_t v;
	size_t i;
	int n_inputs;

	/* Fields may have been written directly after parsing: re-check the limits. */
	for (i = 0; i < N_OPTS; i++) {
		o = &opts[i];
		if (o->type != OPT_UINT && o->type != OPT_DURATION)
			continue;
		v = uint_get(c, o);
		if (o->type == OPT_DURATION)
			fmt_duration(v, text, sizeof(text));
		else
			snprintf(text, sizeof(text), "%" PRIu64, v);
		if ((o->flags & OPT_AUTO) && v == 0)
			continue;
		if (check_range(o, v, text, what, sizeof(what)) < 0) {
			opt_form(o, false, form, sizeof(form));
			msg(err, errlen, "%s: %s; expected %s", o->key, what, form);
			return -1;
		}
	}
	if (c->msg_pool_size < 2 * (uint64_t)c->ring_size) {
		msg(err, errlen, "rings.pool: %" PRIu32 " is less than twice rings.size "
				"(%" PRIu32 "); expected rings.pool >= %" PRIu64,
				c->msg_pool_size, c->ring_size, 2 * (uint64_t)c->ring_size);
		return -1;
	}
	if (c->underlay && !c->decapsulate) {
		msg(err, errlen, "tunnel.underlay: needs tunnel.decapsulate (without "
				"decapsulation every flow is an outer flow already)");
		return -1;
	}
	n_inputs = (c->input_file[0] != '\0') + (c->replay_file[0] != '\0') +
		(c->n_interfaces != 0) + (c->n_ports != 0);
	if (n_inputs == 0) {
		msg(err, errlen, "no input: give -r FILE, -i IFACE or -p PCI_ADDRESS "
				"(input.file, input.interfaces or input.ports)");
		return -1;
	}
	if (n_inputs > 1) {
		msg(err, errlen, "more than one kind of input; expected one of input.file, "
				"input.replay, input.interfaces or input.ports");
		return -1;
	}
	return 0;
}

/*
 * Double-quoted YAML scalar. A value that came from YAML is valid UTF-8
 * and is written as it is, except what would not read back the same:
 * quotes and backslashes, C0 and C1 controls (libyaml refuses them raw;
 * YAML's \x escape is the code point), the line breaks NEL, LS and PS
 * (they would fold into a space), and U+FEFF, U+FFFE and U+FFFF (refused
 * raw; an escape in the source can make them).
 */
static void
put_quoted(FILE *f, const char *s)
{
	unsigned char ch;

	fputc('"', f);
	for (; *s != '\0'; s++) {
		ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\') {
			fprintf(f, "\\%c", ch);
		} else if (ch < 0x20 || ch == 0x7f) {
			fprintf(f, "\\x%02x", ch);
		} else if (ch == 0xc2 && (unsigned char)s[1] == 0x85) {
			fputs("\\N", f);
			s++;
		} else if (ch == 0xc2 && (unsigned char)s[1] >= 0x80 &&
				(unsigned char)s[1] <= 0x9f) {
			fprintf(f, "\\x%02x", (unsigned char)s[1]);
			s++;
		} else if (ch == 0xe2 && (unsigned char)s[1] == 0x80 &&
				((unsigned char)s[2] == 0xa8 || (unsigned char)s[2] == 0xa9)) {
			fputs((unsigned char)s[2] == 0xa8 ? "\\L" : "\\P", f);
			s += 2;
		} else if (ch == 0xef && (((unsigned char)s[1] == 0xbb &&
				(unsigned char)s[2] == 0xbf) || ((unsigned char)s[1] == 0xbf &&
				(unsigned char)s[2] >= 0xbe))) {
			fputs((unsigned char)s[1] == 0xbb ? "\\uFEFF" :
					(unsigned char)s[2] == 0xbe ? "\\uFFFE" : "\\uFFFF", f);
			s += 2;
		} else {
			fputc(ch, f);
		}
	}
	fputc('"', f);
}

/* A list item's text: the string itself, or a HOST:PORT as written. */
static const char *
item_text(const struct sf_config *c, const struct opt *o, unsigned int j)
{
	const char *p = (const char *)c + o->off + (size_t)j * o->size;

	return o->type == OPT_HOSTPORT ? ((const struct sf_hostport *)(const void *)p)->text : p;
}

/* One value as YAML that parses back to it. */
static void
put_value(const struct sf_config *c, const struct opt *o, FILE *f)
{
	char buf[32];
	unsigned int j, n;
	uint64_t v;

	if (is_list(o)) {
		n = list_count(c, o);
		fputc('[', f);
		for (j = 0; j < n && j < o->max; j++) {
			fprintf(f, "%s", j ? ", " : "");
			put_quoted(f, item_text(c, o, j));
		}
		fputc(']', f);
		return;
	}
	switch (o->type) {
	case OPT_UINT:
		v = uint_get(c, o);
		if ((o->flags & OPT_AUTO) && v == 0)
			fprintf(f, "auto");
		else
			fprintf(f, "%" PRIu64, v);
		break;
	case OPT_DURATION:
		fmt_duration(uint_get(c, o), buf, sizeof(buf));
		fprintf(f, "%s", buf);
		break;
	case OPT_BOOL:
		fprintf(f, "%s", uint_get(c, o) ? "true" : "false");
		break;
	case OPT_ENUM:
		v = uint_get(c, o);
		for (j = 0; j < v && o->names[j] != NULL; j++)
			;
		fprintf(f, "%s", o->names[j] != NULL ? o->names[j] : "invalid");
		break;
	case OPT_PATH:
		put_quoted(f, (const char *)c + o->off);
		break;
	case OPT_HOSTPORT:
		put_quoted(f, ((const struct sf_hostport *)(const void *)
					((const char *)c + o->off))->text);
		break;
	case OPT_STRLIST:
		break;
	}
}

void
sf_config_dump(const struct sf_config *c, FILE *f)
{
	const char *section = "", *dot, *name;
	size_t i, slen = 0;
	const struct opt *o;

	fprintf(f, "# spanflow effective configuration\n");
	for (i = 0; i < N_OPTS; i++) {
		o = &opts[i];
		dot = strchr(o->key, '.');
		name = dot != NULL ? dot + 1 : o->key;
		if (dot == NULL) {
			section = "";
			slen = 0;
		} else if (slen != (size_t)(dot - o->key) || strncmp(section, o->key, slen) != 0) {
			section = o->key;
			slen = (size_t)(dot - o->key);
			fprintf(f, "%.*s:\n", (int)slen, section);
		}
		fprintf(f, "%s%s: ", slen ? "  " : "", name);
		put_value(c, o, f);
		fprintf(f, "  # %s\n", o->help);
	}
}

int
sf_config_print_value(const struct sf_config *c, const char *key, FILE *f)
{
	const struct opt *o = opt_find(key);

	if (o == NULL)
		return -1;
	put_value(c, o, f);
	return 0;
}

/* Command-line flags */

const struct sf_config_flag *
sf_config_next_flag(size_t *pos, struct sf_config_flag_info *info)
{
	const struct sf_config_flag *f;
	const struct opt *o;

	for (; *pos < N_OPTS * OPT_CLI_MAX; (*pos)++) {
		o = &opts[*pos / OPT_CLI_MAX];
		f = &o->cli[*pos % OPT_CLI_MAX];
		if (f->name == NULL)
			continue;
		info->key = o->key;
		info->help = f->help != NULL ? f->help : o->help;
		info->input = (o->flags & OPT_INPUT) != 0;
		info->list = is_list(o);
		(*pos)++;
		return f;
	}
	return NULL;
}

/* The row a flag belongs to, or NULL. */
static const struct opt *
flag_row(const struct sf_config_flag *f, size_t *row)
{
	size_t i;

	for (i = 0; i < N_OPTS; i++) {
		if (f >= opts[i].cli && f < opts[i].cli + OPT_CLI_MAX) {
			*row = i;
			return &opts[i];
		}
	}
	return NULL;
}

static bool
given(const struct sf_config_cmdline *cl, size_t row)
{
	return (cl->given[row / 64] >> (row % 64)) & 1;
}

/* Back to its default: the file's value goes, the command line's replaces it. */
static void
opt_reset(struct sf_config *c, const struct opt *o)
{
	char what[8];

	if (is_list(o))
		list_clear(c, o);
	else
		(void)opt_parse(c, o, o->def, NULL, what, sizeof(what));
}

int
sf_config_apply_flag(struct sf_config *c, struct sf_config_cmdline *cl,
		const struct sf_config_flag *f, const char *arg, char *err, size_t errlen)
{
	const struct opt *o = NULL, *also = NULL;
	char what[256], form[256], key[64];
	const char *value;
	struct sf_config tmp;
	size_t row = 0, i, klen = 0;
	bool item = true;
	int rc;

	if (f != NULL)
		o = flag_row(f, &row);
	if (o == NULL) {
		msg(err, errlen, "not the flag of a setting");
		return -1;
	}
	if (f->also != NULL) {
		klen = strcspn(f->also, "=");
		snprintf(key, sizeof(key), "%.*s", (int)klen, f->also);
		also = opt_find(key);
		if (also == NULL || f->also[klen] != '=') {
			msg(err, errlen, "--%s: '%s' does not name a setting", f->name, f->also);
			return -1;
		}
	}
	value = f->arg != NULL ? arg : f->value;
	if (value == NULL) {
		snprintf(what, sizeof(what), "no value");
		goto fail;
	}
	memcpy(&tmp, c, sizeof(tmp));
	if (o->flags & OPT_INPUT)
		for (i = 0; i < N_OPTS; i++)
			if ((opts[i].flags & OPT_INPUT) && &opts[i] != o)
				opt_reset(&tmp, &opts[i]);
	if (is_list(o)) {
		if (!given(cl, row))
			list_clear(&tmp, o);
		rc = list_add(&tmp, o, value, strlen(value), what, sizeof(what));
		if (rc < 0) {
			item = rc != -2;
			goto fail;
		}
	} else if (opt_parse(&tmp, o, value, NULL, what, sizeof(what)) < 0) {
		goto fail;
	}
	if (also != NULL && opt_parse(&tmp, also, f->also + klen + 1, NULL, what,
				sizeof(what)) < 0)
		goto fail;
	memcpy(c, &tmp, sizeof(tmp));
	cl->given[row / 64] |= UINT64_C(1) << (row % 64);
	return 0;

fail:
	opt_form(o, item, form, sizeof(form));
	msg(err, errlen, "%s: %s; expected %s", o->key, what, form);
	return -1;
}

socklen_t
sf_hostport_sockaddr(const struct sf_hostport *h, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (h->family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(h->port);
		sin6->sin6_scope_id = h->scope_id;
		memcpy(&sin6->sin6_addr, h->addr, 16);
		return sizeof(*sin6);
	}
	if (h->family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(h->port);
		memcpy(&sin->sin_addr, h->addr, 4);
		return sizeof(*sin);
	}
	return 0;
}
