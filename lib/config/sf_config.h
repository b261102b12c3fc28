/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spanflow configuration: one YAML file parsed once (libyaml) into this
 * typed, validated struct. Every setting has a default; command-line flags
 * (sf_config_apply_flag()) and sf_config_set() override it with the same
 * validation as the file. Nothing after start-up sees YAML.
 */
#ifndef SF_CONFIG_H
#define SF_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#define SF_CONFIG_MAX_WORKERS 64
#define SF_CONFIG_MAX_EAL_ARGS 32
#define SF_CONFIG_MAX_VXLAN_PORTS 6
/*
 * tunnel.context values, in the order of enum sf_pkt_ctx_mode (lib/pkt):
 * what of the encapsulation goes into the flow key.
 */
#define SF_CONFIG_CONTEXTS "default", "none", "vlan", "vni", "teid", "gre_key", "full"
/* sampling.mode, in the order of enum sf_sampling (lib/flow) after "none". */
#define SF_CONFIG_SAMPLINGS "count", "random", "flow"
#define SF_CONFIG_MAX_PORTS 8
#define SF_CONFIG_ERR_LEN 2048
#define SF_CONFIG_MAX_IPFIX 4
/* export.kafka: the broker list as text; a topic name (Kafka allows 249 bytes) */
#define SF_CONFIG_KAFKA_LEN 1024
#define SF_CONFIG_KAFKA_TOPIC 250
#define SF_CONFIG_FILTER_LEN 1024

enum sf_config_reader {
	SF_READER_LIBPCAP = 0,	/* spanflow's own file reader (libpcap) */
	SF_READER_NET_PCAP,	/* DPDK's net_pcap virtual device */
	SF_READER_NATIVE,	/* spanflow's classic-pcap reader; pcapng via libpcap */
};

enum sf_config_capture {
	SF_CAPTURE_TPACKET = 0,	/* spanflow's TPACKET_V3 rings, fanout hash, no rollover */
	SF_CAPTURE_AF_PACKET,	/* DPDK's net_af_packet driver (fanout with rollover) */
};

/* How live input is spread over several workers (input.dispatch). */
enum sf_config_dispatch {
	SF_DISPATCH_QUEUES = 0,	/* each worker reads its own NIC queue or fanout ring */
	SF_DISPATCH_KEY,	/* one queue; a dispatcher lcore splits by spanflow's flow key */
};

enum sf_config_hugepages {
	SF_HUGEPAGES_AUTO = 0,	/* use them when the machine has some free */
	SF_HUGEPAGES_YES,
	SF_HUGEPAGES_NO,
};

enum sf_config_idle {
	SF_IDLE_ADAPTIVE = 0,	/* back off (pause, then yield) when idle */
	SF_IDLE_BUSY,		/* pure polling on dedicated cores */
};

enum sf_config_http {
	SF_HTTP_AUTO = 0,	/* on for live capture, off for a file unless --serve */
	SF_HTTP_ON,
	SF_HTTP_OFF,
};

enum sf_config_ipfix_mode {
	SF_IPFIX_MODE_BIFLOW = 0,	/* one record per flow, RFC 5103 reverse elements */
	SF_IPFIX_MODE_UNIFLOW,		/* one record per direction */
};

/*
 * A HOST:PORT setting (export.ipfix, http.listen), parsed once when it is
 * read: an IPv4 address (192.0.2.1:4739), an IPv6 address in brackets
 * ([2001:db8::1]:4739, [fe80::1%eth0]:4739), or, where the setting takes
 * names, a host name, resolved then (the first address getaddrinfo()
 * gives; a name that does not resolve is an error at its file:line:col).
 * The port is a number; 0 only where the setting allows it (http.listen:
 * any free port).
 */
#define SF_HOSTPORT_TEXT 128

struct sf_hostport {
	uint8_t addr[16];		/* network byte order; IPv4 in the first 4 bytes */
	uint32_t scope_id;		/* IPv6 link-local: the interface index */
	uint16_t family;		/* AF_INET or AF_INET6; 0: not set */
	uint16_t port;			/* host byte order */
	char text[SF_HOSTPORT_TEXT];	/* as written, for messages and the dump */
};

/*
 * A ClickHouse HTTP URL (export.clickhouse), checked when it is read and
 * parsed again by the exporter: http://[USER[:PASSWORD]@]HOST[:PORT][/DATABASE].
 * HOST is a name, an IPv4 address or an IPv6 address in brackets; PORT
 * 1..65535, 8123 when absent (ClickHouse's HTTP port); USER and PASSWORD
 * may carry %XX escapes. Host names are resolved when the exporter
 * connects, so a server that comes up later is found.
 */
struct sf_url {
	char user[64];
	char password[128];
	char host[256];			/* without the brackets of an IPv6 address */
	char database[64];		/* "" when the URL has no path */
	uint16_t port;
};

#define SF_CONFIG_URL_LEN 512

/*
 * Parse a URL as above: 0, or -1 with what is wrong in what (the
 * configuration adds where and what is expected).
 */
int sf_config_parse_url(const char *s, struct sf_url *u, char *what, size_t wlen);

struct sf_config {
	/* input: */
	char input_file[PATH_MAX];	/* input.file: capture to replay */
	enum sf_config_reader reader;	/* input.reader: native | libpcap | net_pcap */
	char replay_file[PATH_MAX];	/* input.replay: in-memory replay (benchmark) */
	uint64_t replay_loops;		/* input.loops */
	char pace[16];			/* input.pace: "max", or a speed-up of capture time */
	unsigned int n_interfaces;
	char interfaces[SF_CONFIG_MAX_PORTS][64];	/* input.interfaces: Linux ifaces */
	unsigned int n_ports;
	char ports[SF_CONFIG_MAX_PORTS][64];		/* input.ports: PCI addresses */
	uint32_t rx_descriptors;	/* input.rx_descriptors: 0 = auto */
	bool promiscuous;		/* input.promiscuous */
	enum sf_config_capture capture;	/* input.capture: tpacket | af_packet */
	uint64_t capture_ring_size;	/* input.ring_size: bytes per worker per interface */
	enum sf_config_dispatch dispatch;	/* input.dispatch: queues | key */

	/* pipeline */
	unsigned int workers;		/* workers: 1..64, or "auto" (0 before resolve) */
	uint64_t interval_ns;		/* interval: seconds, >= 0.001, <= 86400 */
	uint64_t idle_timeout_ns;	/* timeouts.idle */
	uint64_t active_timeout_ns;	/* timeouts.active */
	uint64_t tcp_end_timeout_ns;	/* timeouts.tcp_end */
	uint32_t flow_capacity;		/* flow_table.capacity: flows per worker */
	uint32_t ring_size;		/* rings.size: messages per worker->collector ring */
	uint32_t msg_pool_size;		/* rings.pool: messages per worker pool */
	uint32_t dispatch_ring_size;	/* rings.dispatch: packets per dispatcher->worker */
	uint32_t mbuf_pool_size;	/* rings.mbufs: packet buffers */

	/* classify steps: */
	char filter[SF_CONFIG_FILTER_LEN];	/* filter: tcpdump expression on frames */
	char inner_filter[SF_CONFIG_FILTER_LEN];	/* inner_filter: on the innermost IP */
	bool dedup;			/* dedup.enabled: remove SPAN copies */
	uint64_t dedup_window_ns;	/* dedup.window: a copy comes this soon after */
	uint32_t dedup_entries;		/* dedup.entries: signatures kept per reader */
	uint32_t sample_mode;		/* sampling.mode: index of SF_CONFIG_SAMPLINGS */
	uint32_t sample_rate;		/* sampling.rate: keep 1 in N (1: all) */
	bool sample_scale;		/* sampling.scale: records' counts x N */

	/* shutdown: */
	uint64_t flush_timeout_ns;	/* shutdown.flush_timeout: final flush deadline */

	/* output: */
	char flows_path[PATH_MAX];	/* output.flows: JSON lines, "" none, "-" stdout */
	char intervals_path[PATH_MAX];	/* output.intervals: as output.flows */
	bool report;			/* output.report: end-of-run report on stdout */
	bool progress;			/* output.progress: progress line on a terminal */

	/* export: */
	unsigned int n_ipfix;
	struct sf_hostport ipfix[SF_CONFIG_MAX_IPFIX];	/* export.ipfix: collectors */
	unsigned int n_ipfix_tcp;
	struct sf_hostport ipfix_tcp[SF_CONFIG_MAX_IPFIX];	/* export.ipfix_tcp: over TCP */
	char ipfix_file[PATH_MAX];	/* export.ipfix_file: RFC 5655 file, "" none */
	uint64_t ipfix_buffer;		/* export.ipfix_buffer: bytes per TCP collector */
	uint64_t ipfix_linger_ns;	/* export.ipfix_linger: final wait for TCP collectors */
	enum sf_config_ipfix_mode ipfix_mode;	/* export.ipfix_mode: biflow | uniflow */
	uint32_t observation_domain;	/* export.observation_domain */
	uint64_t template_refresh_ns;	/* export.template_refresh: 0 = by count only */
	uint32_t template_messages;	/* export.template_messages: 0 = by time only */
	uint32_t mtu;			/* export.mtu: path MTU towards the collectors */
	char csv_path[PATH_MAX];	/* export.csv: CSV flow records, "" none, "-" stdout */
	uint64_t rotate_size;		/* export.rotate_size: bytes per file, 0 = no */
	uint64_t rotate_interval_ns;	/* export.rotate_interval: 0 = no */
	char clickhouse[SF_CONFIG_URL_LEN];	/* export.clickhouse: URL, "" = none */
	char clickhouse_database[64];	/* export.clickhouse_database: when the URL has none */
	char clickhouse_flows[64];	/* export.clickhouse_flows_table */
	char clickhouse_intervals[64];	/* export.clickhouse_intervals_table */
	uint32_t clickhouse_batch_rows;	/* export.clickhouse_batch_rows: rows per insert */
	uint64_t clickhouse_flush_ns;	/* export.clickhouse_flush: oldest row waits this long */
	uint64_t clickhouse_buffer;	/* export.clickhouse_buffer: bytes of rows waiting */
	uint64_t clickhouse_timeout_ns;	/* export.clickhouse_timeout: one request */
	uint64_t clickhouse_wait_ns;	/* export.clickhouse_wait: at the end, for the rest */
	char probe[64];			/* export.probe: this probe's name, "" = host name */
	char kafka[SF_CONFIG_KAFKA_LEN];	/* export.kafka: brokers HOST:PORT,..., "" none */
	char kafka_topic_flows[SF_CONFIG_KAFKA_TOPIC];	/* export.kafka_topic_flows */
	char kafka_topic_intervals[SF_CONFIG_KAFKA_TOPIC];	/* export.kafka_topic_intervals */
	uint32_t kafka_queue;		/* export.kafka_queue: messages waiting, at most */
	uint64_t kafka_queue_bytes;	/* export.kafka_queue_bytes: their bytes, at most */
	uint64_t kafka_timeout_ns;	/* export.kafka_timeout: a message's wait for a broker */
	uint64_t kafka_linger_ns;	/* export.kafka_linger: final wait for delivery reports */

	/* http: */
	enum sf_config_http http_enabled;	/* http.enabled: auto | true | false */
	struct sf_hostport http_listen;	/* http.listen: numeric address and port */
	char http_token[128];		/* http.token: bearer token, "" = none */
	bool http_serve;		/* http.serve: keep serving after a file ends */
	uint32_t http_history;		/* http.history: finalized intervals kept */
	uint32_t live_flows;		/* live.flows: itemized per worker and interval */
	uint64_t live_window_ns;	/* live.window: recent intervals kept for the live view */

	/* tunnel: */
	bool decapsulate;		/* tunnel.decapsulate */
	uint32_t tunnel_context;	/* tunnel.context: index of SF_CONFIG_CONTEXTS */
	unsigned int n_vxlan_ports;
	char vxlan_ports[SF_CONFIG_MAX_VXLAN_PORTS][6];	/* tunnel.vxlan_ports: more VXLAN ports */
	bool vxlan_mirror;		/* tunnel.vxlan_mirror: VXLAN is a mirror transport */
	bool underlay;			/* tunnel.underlay: also account the outer flows */
	bool tcp_analysis;		/* tcp.analysis: TCP health per flow */
	uint32_t tcp_prefix4;		/* tcp.client_prefix_v4: client subnets' IPv4 prefix */
	uint32_t tcp_prefix6;		/* tcp.client_prefix_v6 */
	bool app;			/* app.enabled: TLS/QUIC/DNS/HTTP metadata per flow */
	uint32_t app_buffers;		/* app.buffers: reassembly buffers per worker */
	bool features;			/* features.enabled: nfstream's statistical features */
	uint32_t splt;			/* features.splt: first packets' sizes, directions, gaps */
	bool teredo;			/* tunnel.teredo */
	bool ayiya;			/* tunnel.ayiya */

	/* dpdk: */
	enum sf_config_hugepages hugepages;	/* dpdk.hugepages: auto | yes | no */
	enum sf_config_idle idle;		/* dpdk.idle: adaptive | busy */
	unsigned int n_eal_args;
	char eal_args[SF_CONFIG_MAX_EAL_ARGS][128];	/* dpdk.eal_args: list of strings */
};

/* Fill every field with its documented default. */
void sf_config_defaults(struct sf_config *c);

/*
 * Parse a YAML file over the current values (start from defaults). On
 * error returns -1, leaves c unchanged and writes "FILE:LINE:COL: what was
 * wrong; expected ..." (LINE and COL 1-based) into err. Relative paths
 * inside the file (input.file, output.*) are resolved against the
 * directory of the file; "" and "-" are kept. An empty file is valid.
 * Value forms: integers may carry a binary suffix k, M, G (256k = 262144);
 * durations are seconds (0.5) or a number with a unit ns, us, ms, s, m, h,
 * d (500ms); booleans are true/false, yes/no, on/off.
 */
int sf_config_load_file(struct sf_config *c, const char *path, char *err, size_t errlen);

/*
 * Same, from a string; `name` stands for the file name in messages.
 * There is no file directory: relative paths are kept as written.
 */
int sf_config_load_string(struct sf_config *c, const char *name, const char *yaml,
		char *err, size_t errlen);

/*
 * Set one setting by its dotted key ("timeouts.idle", "workers", ...)
 * from text, with the same validation as the file. On error returns -1,
 * leaves c unchanged and writes "KEY: what was wrong; expected ..." into
 * err. Paths are kept as given (relative to the current directory); a
 * list (dpdk.eal_args, export.ipfix...) takes one string split on blanks
 * and replaces the list.
 */
int sf_config_set(struct sf_config *c, const char *key, const char *value,
		char *err, size_t errlen);

/*
 * Checks once everything is set: every numeric field within its limits
 * (fields may be written directly), rings.pool >= 2 * rings.size, an input
 * file given. Returns 0, or -1 with a message in err.
 */
int sf_config_check(const struct sf_config *c, char *err, size_t errlen);

/*
 * Command-line flags. Settings carry their flags in the table (long name,
 * optional letter, argument or fixed value, help); the application turns
 * them into getopt options and --help, and applies what the user gives
 * with sf_config_apply_flag(). Options that are not settings (the config
 * file, --help...) are the application's own.
 */
struct sf_config_flag {
	const char *name;	/* long option, without "--" */
	char letter;		/* short option, or 0 */
	const char *arg;	/* its argument as --help names it ("N"); NULL: none */
	const char *value;	/* without an argument: the value it sets */
	const char *help;	/* one line for --help; NULL: the setting's own */
	const char *also;	/* "key=value" it sets as well, or NULL */
};

/* The setting behind a flag. */
struct sf_config_flag_info {
	const char *key;	/* "timeouts.idle" */
	const char *help;	/* the flag's help, else the setting's */
	bool input;		/* names an input (-r, -i, ...) */
	bool list;		/* each use adds an item */
};

/*
 * Walk the flags in table order: *pos starts at 0. Returns the next flag
 * and fills *info, or NULL after the last.
 */
const struct sf_config_flag *sf_config_next_flag(size_t *pos, struct sf_config_flag_info *info);

/* What applying flags remembers between calls; zero it before the first. */
struct sf_config_cmdline {
	uint64_t given[2];	/* settings set by a flag so far (bit per table row) */
};

/*
 * Apply one flag (arg: its argument, ignored by a flag without one) over
 * the configuration, with the same validation as the file. The command
 * line replaces what the file said: a list setting (-i, --ipfix) starts
 * empty at its first flag and each flag adds an item; an input (-r, -i,
 * -p, --replay) replaces every other kind of input, so the last one given
 * is the one read. On error returns -1, leaves c unchanged and writes
 * "KEY: what was wrong; expected ..." into err.
 */
int sf_config_apply_flag(struct sf_config *c, struct sf_config_cmdline *cl,
		const struct sf_config_flag *f, const char *arg, char *err, size_t errlen);

/*
 * Write one setting's value as the dump does ("10s", "auto", "\"\"",
 * "[]"). Returns 0, or -1 for an unknown key.
 */
int sf_config_print_value(const struct sf_config *c, const char *key, FILE *f);

/*
 * The socket address of a parsed HOST:PORT; returns its length, 0 when
 * h is not set.
 */
socklen_t sf_hostport_sockaddr(const struct sf_hostport *h, struct sockaddr_storage *ss);

/*
 * Write the effective configuration as YAML (same keys as the file, a help
 * comment per setting); sf_config_load_string() reads it back identically.
 */
void sf_config_dump(const struct sf_config *c, FILE *f);

/*
 * The sampling the settings ask for, as an enum sf_sampling (lib/flow):
 * 0 (none) when sampling.rate is 1, else the mode's index + 1.
 */
static inline unsigned int
sf_config_sampling(const struct sf_config *c)
{
	return c->sample_rate > 1 ? c->sample_mode + 1 : 0;
}

/*
 * input.pace as a factor of capture time (1: as captured, 10: ten times
 * faster), or 0: as fast as the file can be read ("max").
 */
double sf_config_pace(const struct sf_config *c);

#endif /* SF_CONFIG_H */
