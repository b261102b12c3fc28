/* SPDX-License-Identifier: BSD-3-Clause */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#ifndef SF_SOURCE_DIR
#define SF_SOURCE_DIR "."
#endif
#define SF_DEFAULT_CONFIG SF_SOURCE_DIR "/config/spanflow.yaml"

/* Long options that set a configuration key take their value as is. */
struct opt_key {
	const char *opt;
	const char *key;
	const char *fixed;	/* value for flags without an argument */
};

static const struct opt_key opt_keys[] = {
	{ "read", "input.file", NULL },
	{ "replay", "input.replay", NULL },
	{ "loop", "input.loops", NULL },
	{ "interface", "input.interfaces", NULL },
	{ "port", "input.ports", NULL },
	{ "reader", "input.reader", NULL },
	{ "workers", "workers", NULL },
	{ "interval", "interval", NULL },
	{ "idle-timeout", "timeouts.idle", NULL },
	{ "active-timeout", "timeouts.active", NULL },
	{ "tcp-end-timeout", "timeouts.tcp_end", NULL },
	{ "flow-capacity", "flow_table.capacity", NULL },
	{ "flows", "output.flows", NULL },
	{ "intervals", "output.intervals", NULL },
	{ "quiet", "output.report", "false" },
	{ "no-progress", "output.progress", "false" },
	{ "hugepages", "dpdk.hugepages", NULL },
	{ "idle", "dpdk.idle", NULL },
	{ "ipfix", "export.ipfix", NULL },
	{ "ipfix-mode", "export.ipfix_mode", NULL },
	{ "csv", "export.csv", NULL },
	{ "http", "http.listen", NULL },
	{ "no-http", "http.enabled", "false" },
	{ "serve", "http.serve", "true" },
};

#define N_OPT_KEYS (sizeof(opt_keys) / sizeof(opt_keys[0]))

enum { OPT_PRINT_CONFIG = 1000, OPT_KEY_BASE = 2000 };

static const struct option long_opts[] = {
	{ "read", required_argument, NULL, 'r' },
	{ "interface", required_argument, NULL, 'i' },
	{ "replay", required_argument, NULL, OPT_KEY_BASE + 40 },
	{ "loop", required_argument, NULL, OPT_KEY_BASE + 41 },
	{ "port", required_argument, NULL, 'p' },
	{ "config", required_argument, NULL, 'c' },
	{ "workers", required_argument, NULL, 'w' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "print-config", no_argument, NULL, OPT_PRINT_CONFIG },
	{ "reader", required_argument, NULL, OPT_KEY_BASE + 1 },
	{ "interval", required_argument, NULL, OPT_KEY_BASE + 3 },
	{ "idle-timeout", required_argument, NULL, OPT_KEY_BASE + 4 },
	{ "active-timeout", required_argument, NULL, OPT_KEY_BASE + 5 },
	{ "tcp-end-timeout", required_argument, NULL, OPT_KEY_BASE + 6 },
	{ "flow-capacity", required_argument, NULL, OPT_KEY_BASE + 7 },
	{ "flows", required_argument, NULL, OPT_KEY_BASE + 8 },
	{ "intervals", required_argument, NULL, OPT_KEY_BASE + 9 },
	{ "no-progress", no_argument, NULL, OPT_KEY_BASE + 11 },
	{ "hugepages", required_argument, NULL, OPT_KEY_BASE + 12 },
	{ "idle", required_argument, NULL, OPT_KEY_BASE + 13 },
	{ "ipfix", required_argument, NULL, OPT_KEY_BASE + 20 },
	{ "ipfix-mode", required_argument, NULL, OPT_KEY_BASE + 21 },
	{ "csv", required_argument, NULL, OPT_KEY_BASE + 22 },
	{ "http", required_argument, NULL, OPT_KEY_BASE + 30 },
	{ "no-http", no_argument, NULL, OPT_KEY_BASE + 31 },
	{ "serve", no_argument, NULL, OPT_KEY_BASE + 32 },
	{ NULL, 0, NULL, 0 },
};

void
sf_cli_usage(FILE *f)
{
	fprintf(f,
		"Usage: spanflow [OPTIONS] [-- EAL ARGS]\n"
		"Replay a capture through the spanflow pipeline into flow records,\n"
		"interval summaries and an end-of-run report.\n"
		"\n"
		"  -r, --read FILE          capture to replay (pcap or pcapng)\n"
		"  -i, --interface IFACE    capture live from a Linux interface (af_packet)\n"
		"  -p, --port PCI_ADDRESS   capture live from a DPDK NIC (bound to vfio-pci)\n"
		"      --replay FILE        benchmark: replay FILE from memory, split per worker\n"
		"      --loop N             with --replay: go through the capture N times\n"
		"  -c, --config FILE        YAML configuration (default: built-in defaults;\n"
		"                           with neither -r nor -c: %s)\n"
		"  -w, --workers N          worker lcores, 1..%d or auto\n"
		"      --interval S         interval summary length in seconds (10)\n"
		"      --idle-timeout S     end a flow after S seconds without packets (60)\n"
		"      --active-timeout S   emit long flows every S seconds (300)\n"
		"      --tcp-end-timeout S  wait after FIN/RST before ending a TCP flow (5)\n"
		"      --flow-capacity N    flows per worker table (262144)\n"
		"      --flows PATH         flow records as JSON lines ('-' = stdout)\n"
		"      --intervals PATH     interval summaries as JSON lines ('-' = stdout)\n"
		"      --csv PATH           flow records as CSV ('-' = stdout)\n"
		"      --ipfix HOST:PORT    export IPFIX over UDP (repeatable, at most %d)\n"
		"      --ipfix-mode MODE    biflow (RFC 5103, default) or uniflow\n"
		"      --http ADDR:PORT     serve the JSON API, /metrics and the dashboard there\n"
		"                           (default 127.0.0.1:8080; on for live capture)\n"
		"      --no-http            no HTTP server\n"
		"      --serve              serve over HTTP; after a replay, until SIGINT\n"
		"      --reader NAME        native (spanflow's pcap reader; pcapng via libpcap),\n"
		"                           libpcap or net_pcap (DPDK PMD)\n"
		"      --hugepages MODE     auto, yes or no\n"
		"      --idle MODE          adaptive (yield when idle) or busy (pure polling)\n"
		"  -q, --quiet              no end-of-run report\n"
		"      --no-progress        no progress line on a terminal\n"
		"      --print-config       print the effective configuration and exit\n"
		"  -h, --help               this help\n"
		"  -V, --version            version\n"
		"\n"
		"Durations take seconds (0.5) or a unit (500ms, 10s, 5m, 1h).\n"
		"Arguments after -- go to DPDK's EAL as they are.\n",
		SF_DEFAULT_CONFIG, SF_CONFIG_MAX_WORKERS, SF_CONFIG_MAX_IPFIX);
}

/* Append one value to a list setting (repeatable -i / -p). */
static int
add_list(struct sf_config *cfg, const char *key, const char *value, char *msg, size_t len)
{
	char joined[SF_CONFIG_MAX_PORTS * 64 + 64];
	unsigned int n = strcmp(key, "input.interfaces") == 0 ? cfg->n_interfaces : cfg->n_ports;
	char (*list)[64] = strcmp(key, "input.interfaces") == 0 ? cfg->interfaces : cfg->ports;
	size_t off = 0;
	unsigned int i;

	if (strchr(value, ' ') != NULL || value[0] == '\0') {
		snprintf(msg, len, "'%s' is not a name; expected an interface or PCI address",
				value);
		return -1;
	}
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(joined + off, sizeof(joined) - off, "%s ", list[i]);
	snprintf(joined + off, sizeof(joined) - off, "%s", value);
	return sf_config_set(cfg, key, joined, msg, len);
}

/* --ipfix is repeatable: the first one replaces the file's list, the next ones add. */
static int
add_ipfix(struct sf_config *cfg, bool first, const char *value, char *msg, size_t len)
{
	char joined[SF_CONFIG_MAX_IPFIX * 128 + 160];
	size_t off = 0;
	unsigned int i;

	if (strchr(value, ' ') != NULL || value[0] == '\0') {
		snprintf(msg, len, "'%.64s' is not HOST:PORT", value);
		return -1;
	}
	for (i = 0; !first && i < cfg->n_ipfix && off < sizeof(joined); i++)
		off += (size_t)snprintf(joined + off, sizeof(joined) - off, "%s ", cfg->ipfix[i]);
	if (off < sizeof(joined))
		snprintf(joined + off, sizeof(joined) - off, "%s", value);
	return sf_config_set(cfg, "export.ipfix", joined, msg, len);
}

static const struct opt_key *
find_key(const char *opt)
{
	size_t i;

	for (i = 0; i < N_OPT_KEYS; i++)
		if (strcmp(opt_keys[i].opt, opt) == 0)
			return &opt_keys[i];
	return NULL;
}

/* The long option name behind a getopt code. */
static const char *
opt_name(int code)
{
	const struct option *o;

	for (o = long_opts; o->name != NULL; o++)
		if (o->val == code)
			return o->name;
	return NULL;
}

int
sf_cli_parse(struct sf_cli *cli, struct sf_config *cfg, int argc, char **argv,
		char *err, size_t errlen)
{
	const char *config = NULL;
	bool ipfix_seen = false;
	bool have_read = false, live_seen = false;
	int c, i, end;

	memset(cli, 0, sizeof(*cli));
	/* Arguments after "--" belong to EAL. */
	for (end = 1; end < argc; end++)
		if (strcmp(argv[end], "--") == 0)
			break;
	if (end < argc) {
		cli->eal_argc = argc - end - 1;
		cli->eal_argv = argv + end + 1;
	}

	/* Pass 1: actions and the config file. */
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(end, argv, ":r:i:p:c:w:qhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			cli->action = SF_CLI_HELP;
			return 0;
		case 'V':
			cli->action = SF_CLI_VERSION;
			return 0;
		case 'c':
			config = optarg;
			break;
		case 'r':
		case 'i':
		case 'p':
		case OPT_KEY_BASE + 40:		/* --replay */
			have_read = true;
			break;
		case OPT_PRINT_CONFIG:
			cli->action = SF_CLI_PRINT_CONFIG;
			break;
		case ':':
			snprintf(err, errlen, "option %s needs a value", argv[optind - 1]);
			return -1;
		case '?':
			snprintf(err, errlen, "unknown option '%s'; see spanflow --help",
					argv[optind - 1]);
			return -1;
		default:
			break;
		}
	}
	if (optind < end) {
		snprintf(err, errlen, "unexpected argument '%s'; see spanflow --help",
				argv[optind]);
		return -1;
	}

	sf_config_defaults(cfg);
	if (config == NULL && !have_read && access(SF_DEFAULT_CONFIG, R_OK) == 0)
		config = SF_DEFAULT_CONFIG;
	if (config != NULL && sf_config_load_file(cfg, config, err, errlen) != 0)
		return -1;

	/* Pass 2: options override the file, in order. */
	optind = 1;
	while ((c = getopt_long(end, argv, ":r:i:p:c:w:qhV", long_opts, NULL)) != -1) {
		const struct opt_key *k = NULL;
		char msg[SF_CONFIG_ERR_LEN];
		const char *name;

		switch (c) {
		case 'r':
			k = find_key("read");
			/* An input on the command line replaces the file's. */
			cfg->n_interfaces = cfg->n_ports = 0;
			cfg->replay_file[0] = '\0';
			break;
		case 'i':
		case 'p':
			k = find_key(c == 'i' ? "interface" : "port");
			if (!live_seen) {
				cfg->input_file[0] = '\0';
				cfg->n_interfaces = cfg->n_ports = 0;
				live_seen = true;
			}
			if (add_list(cfg, k->key, optarg, msg, sizeof(msg)) != 0) {
				snprintf(err, errlen, "-%c: %s", c, msg);
				return -1;
			}
			continue;
		case 'w':
			k = find_key("workers");
			break;
		case 'q':
			k = find_key("quiet");
			break;
		default:
			name = opt_name(c);
			if (c >= OPT_KEY_BASE && name != NULL)
				k = find_key(name);
			if (c == OPT_KEY_BASE + 40) {
				/* An input on the command line replaces the file's. */
				cfg->input_file[0] = '\0';
				cfg->n_interfaces = cfg->n_ports = 0;
			}
			break;
		}
		if (k == NULL)
			continue;
		if (strcmp(k->key, "export.ipfix") == 0) {
			if (add_ipfix(cfg, !ipfix_seen, optarg, msg, sizeof(msg)) != 0) {
				snprintf(err, errlen, "--ipfix: %s", msg);
				return -1;
			}
			ipfix_seen = true;
			continue;
		}
		if (sf_config_set(cfg, k->key, k->fixed != NULL ? k->fixed : optarg,
				msg, sizeof(msg)) != 0) {
			snprintf(err, errlen, "--%s: %s", k->opt, msg);
			return -1;
		}
		/* --http and --serve ask for the server; --no-http given later wins. */
		if (strcmp(k->key, "http.listen") == 0 || strcmp(k->key, "http.serve") == 0)
			cfg->http_enabled = SF_HTTP_ON;
	}
	for (i = 0; i < cli->eal_argc; i++)
		if (cli->eal_argv[i][0] == '\0') {
			snprintf(err, errlen, "empty EAL argument after --");
			return -1;
		}
	return 0;
}
