/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command line, generated from the configuration table: every flag
 * that sets a setting comes from sf_config_next_flag() (getopt's table and
 * --help alike); only the options that are not settings are spelled here.
 */
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/*
 * The default configuration, read when neither -c nor an input option is
 * given: the installed one (sysconfdir/spanflow/spanflow.yaml, from
 * meson's configuration). A spanflow run from its build tree without an
 * installed configuration falls back to the demo configuration of the
 * source tree it was built from (it replays the bundled sample capture).
 * An installed binary never reads the source tree.
 */
#ifndef SF_CONFIG_FILE
#define SF_CONFIG_FILE "/etc/spanflow/spanflow.yaml"
#endif
#ifndef SF_DATA_DIR
#define SF_DATA_DIR "/usr/share/spanflow"
#endif
#ifndef SF_UNIT_FILE
#define SF_UNIT_FILE ""
#endif
#ifndef SF_SOURCE_DIR
#define SF_SOURCE_DIR "."
#endif
#ifndef SF_BUILD_DIR
#define SF_BUILD_DIR ""
#endif
#define SF_DEMO_CONFIG SF_SOURCE_DIR "/config/spanflow.yaml"

/* Options that are not settings; getopt codes of setting flags start at FLAG_BASE. */
enum { OPT_PRINT_CONFIG = 1000, OPT_HELP_MAN, FLAG_BASE = 2000 };

#define MAX_FLAGS 64

static const struct option own_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "print-config", no_argument, NULL, OPT_PRINT_CONFIG },
	/* Not in --help: the build makes the manual page spanflow(8) with it. */
	{ "help-man", no_argument, NULL, OPT_HELP_MAN },
};
#define N_OWN (sizeof(own_opts) / sizeof(own_opts[0]))

/* getopt_long's view of the flags, built once from the table. */
struct cli_table {
	struct option longs[N_OWN + MAX_FLAGS + 1];
	char shorts[2 * MAX_FLAGS + 16];
	const struct sf_config_flag *flag[MAX_FLAGS];	/* by getopt code - FLAG_BASE */
	struct sf_config_flag_info info[MAX_FLAGS];
	unsigned int n;
};

/* -1 if the table has more flags than MAX_FLAGS (a build that needs a larger one). */
static int
cli_table_build(struct cli_table *t)
{
	struct sf_config_flag_info info;
	const struct sf_config_flag *f;
	size_t pos = 0, ns;
	unsigned int i;

	memset(t, 0, sizeof(*t));
	memcpy(t->longs, own_opts, sizeof(own_opts));
	/* ':' first: a missing argument is told apart from an unknown option. */
	snprintf(t->shorts, sizeof(t->shorts), ":c:hV");
	ns = strlen(t->shorts);
	while ((f = sf_config_next_flag(&pos, &info)) != NULL && t->n < MAX_FLAGS) {
		i = t->n++;
		t->flag[i] = f;
		t->info[i] = info;
		t->longs[N_OWN + i] = (struct option){ f->name,
			f->arg != NULL ? required_argument : no_argument, NULL,
			(int)(FLAG_BASE + i) };
		if (f->letter != 0 && ns + 3 < sizeof(t->shorts)) {
			t->shorts[ns++] = f->letter;
			if (f->arg != NULL)
				t->shorts[ns++] = ':';
			t->shorts[ns] = '\0';
		}
	}
	return f == NULL ? 0 : -1;
}

/* The table index of a getopt code (a letter or FLAG_BASE + i), or -1. */
static int
flag_index(const struct cli_table *t, int code)
{
	unsigned int i;

	if (code >= FLAG_BASE && code < FLAG_BASE + (int)t->n)
		return code - FLAG_BASE;
	for (i = 0; i < t->n; i++)
		if (t->flag[i]->letter != 0 && t->flag[i]->letter == code)
			return (int)i;
	return -1;
}

/*
 * The executable runs from the build tree spanflow was built in (so the
 * source tree's demo may stand in for an installed configuration).
 */
static bool
in_build_tree(void)
{
	char exe[PATH_MAX], dir[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t n;

	/* Both resolved: the build directory may be named through a symbolic link. */
	if (len <= 0 || SF_BUILD_DIR[0] == '\0' || realpath(SF_BUILD_DIR, dir) == NULL)
		return false;
	exe[len] = '\0';
	n = strlen(dir);
	return strncmp(exe, dir, n) == 0 && exe[n] == '/';
}

/* The configuration read without -c and without an input option, or NULL. */
static const char *
default_config(void)
{
	if (access(SF_CONFIG_FILE, F_OK) == 0)
		return SF_CONFIG_FILE;	/* unreadable: loading it says why */
	if (in_build_tree() && access(SF_DEMO_CONFIG, R_OK) == 0)
		return SF_DEMO_CONFIG;
	return NULL;
}

/*
 * One option as --help and the manual page show it: the app's own, or a
 * setting's flag with its configuration key and default.
 */
struct help_item {
	char letter;
	const char *name;
	const char *arg;	/* NULL: none */
	const char *help;
	const char *key;	/* NULL: not a setting */
	const char *def;	/* the setting's default as the dump writes it */
	bool list;		/* repeat for more */
};

typedef void (*put_item_fn)(FILE *f, const struct help_item *it);

static const char config_help[] = "YAML configuration: every setting below and more "
	"(spanflow.yaml, installed as " SF_CONFIG_FILE ", documents them). "
	"Without -c and without an input option: "
	SF_CONFIG_FILE " when it exists; a spanflow run from its build tree falls back to "
	"config/spanflow.yaml of its source tree (the bundled demo)";

static void
each_own_option(FILE *f, put_item_fn put)
{
	static const struct help_item own[] = {
		{ 'c', "config", "FILE", config_help, NULL, NULL, false },
		{ 0, "print-config", NULL, "print the effective configuration as YAML and exit",
		  NULL, NULL, false },
		{ 'h', "help", NULL, "this help", NULL, NULL, false },
		{ 'V', "version", NULL, "version", NULL, NULL, false },
	};
	unsigned int i;

	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		put(f, &own[i]);
}

/* Every setting's flag, in table order, with its default. */
static void
each_setting_option(FILE *f, const struct cli_table *t, put_item_fn put)
{
	static struct sf_config defaults;
	struct help_item it;
	char *def = NULL;
	size_t len = 0;
	unsigned int i;
	FILE *m;

	sf_config_defaults(&defaults);
	for (i = 0; i < t->n; i++) {
		m = open_memstream(&def, &len);
		if (m == NULL)
			continue;
		sf_config_print_value(&defaults, t->info[i].key, m);
		fclose(m);
		it = (struct help_item){ t->flag[i]->letter, t->flag[i]->name, t->flag[i]->arg,
			t->info[i].help, t->info[i].key, def, t->info[i].list };
		put(f, &it);
		free(def);
		def = NULL;
	}
}

/* "  -w, --workers N" or "      --interval S" */
static int
put_names(FILE *f, char letter, const char *name, const char *arg)
{
	int n;

	if (letter != 0)
		n = fprintf(f, "  -%c, --%s", letter, name);
	else
		n = fprintf(f, "      --%s", name);
	if (arg != NULL)
		n += fprintf(f, " %s", arg);
	return n;
}

#define HELP_COL 28
#define HELP_WIDTH 79

/*
 * From column `col` on: the words of `help`, then `tail` as one piece,
 * wrapped at HELP_WIDTH and indented to HELP_COL.
 */
static void
put_wrapped(FILE *f, int col, const char *help, const char *tail)
{
	const char *p = help;
	int len;

	if (col >= HELP_COL) {
		fputc('\n', f);
		col = 0;
	}
	for (;;) {
		p += strspn(p, " ");
		if (*p == '\0' && tail == NULL)
			break;
		if (*p == '\0') {
			p = tail;
			tail = NULL;
			len = (int)strlen(p);
		} else {
			len = (int)strcspn(p, " ");
		}
		if (col > HELP_COL && col + 1 + len > HELP_WIDTH) {
			fputc('\n', f);
			col = 0;
		}
		if (col < HELP_COL)
			col += fprintf(f, "%*s", HELP_COL - col, "");
		else
			col += fprintf(f, " ");
		col += fprintf(f, "%.*s", len, p);
		p += len;
	}
	fputc('\n', f);
}

/* An option's help line(s), "(key: default)" after a setting's. */
static void
put_usage_item(FILE *f, const struct help_item *it)
{
	char help[1024], def[512];

	snprintf(help, sizeof(help), "%s%s", it->help, it->list ? "; repeat for more" : "");
	if (it->key != NULL)
		snprintf(def, sizeof(def), "(%s: %s)", it->key, it->def);
	put_wrapped(f, put_names(f, it->letter, it->name, it->arg), help,
			it->key != NULL ? def : NULL);
}

/* "-r, -i, -p, --replay": the input flags (input) or the list flags (!input). */
static void roff_text(FILE *f, const char *s);

static void
put_flag_list(FILE *f, const struct cli_table *t, bool input, bool roff)
{
	unsigned int i, n = 0;
	char opt[128];

	for (i = 0; i < t->n; i++) {
		if (input ? !t->info[i].input : !t->info[i].list)
			continue;
		fputs(n++ ? ", " : "", f);
		if (t->flag[i]->letter != 0)
			snprintf(opt, sizeof(opt), "-%c", t->flag[i]->letter);
		else
			snprintf(opt, sizeof(opt), "--%s", t->flag[i]->name);
		if (roff) {
			fputs("\\fB", f);
			roff_text(f, opt);
			fputs("\\fR", f);
		} else {
			fputs(opt, f);
		}
	}
}

void
sf_cli_usage(FILE *f)
{
	static struct cli_table t;

	(void)cli_table_build(&t);
	fprintf(f,
		"Usage: spanflow [OPTIONS] [-- EAL ARGS]\n"
		"Replay a capture through the spanflow pipeline into flow records,\n"
		"interval summaries and an end-of-run report, or capture live.\n"
		"\n");
	each_own_option(f, put_usage_item);
	fprintf(f, "\nSettings. In parentheses: the configuration key an option sets and its\n"
			"default; options override the configuration file.\n");
	each_setting_option(f, &t, put_usage_item);
	fprintf(f, "\nDurations take seconds (0.5) or a unit (500ms, 10s, 5m, 1h).\n"
			"Options that add to a list may be repeated; the first one replaces the\n"
			"file's list: ");
	put_flag_list(f, &t, false, false);
	fprintf(f, ".\nOf the inputs, the last one given is read: ");
	put_flag_list(f, &t, true, false);
	fprintf(f, ".\nArguments after -- go to DPDK's EAL as they are.\n"
			"Signals: SIGINT or SIGTERM stops (every flow is still written; a second\n"
			"one more than a second later cuts that short); SIGHUP reopens the output\n"
			"files (logrotate).\n");
}

/*
 * Text for roff: backslashes escaped, every dash of an option (a word that
 * starts with one: --tcp-end-timeout) a minus sign, so that it can be
 * copied from the rendered page, and no control character at a line's
 * start.
 */
static void
roff_text(FILE *f, const char *s)
{
	bool opt = false;
	const char *p;

	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (p = s; *p != '\0'; p++) {
		if (*p == '-' && (p == s || p[-1] == ' ' || p[-1] == '(' || p[-1] == '\''))
			opt = true;
		else if (*p != '-' && *p != '_' && !(*p >= 'a' && *p <= 'z') &&
				!(*p >= '0' && *p <= '9'))
			opt = false;
		if (*p == '\\')
			fputs("\\e", f);
		else if (*p == '-' && opt)
			fputs("\\-", f);
		else
			fputc(*p, f);
	}
}

static void
put_man_item(FILE *f, const struct help_item *it)
{
	char opt[128];

	fputs(".TP\n", f);
	if (it->letter != 0)
		fprintf(f, "\\fB\\-%c\\fR, ", it->letter);
	snprintf(opt, sizeof(opt), "--%s", it->name);
	fputs("\\fB", f);
	roff_text(f, opt);
	fputs("\\fR", f);
	if (it->arg != NULL) {
		fputs(" \\fI", f);
		roff_text(f, it->arg);
		fputs("\\fR", f);
	}
	fputc('\n', f);
	roff_text(f, it->help);
	fputs(it->list ? "; repeat for more.\n" : ".\n", f);
	if (it->key != NULL) {
		fputs("Configuration key \\fB", f);
		roff_text(f, it->key);
		fputs("\\fR, default \\fB", f);
		roff_text(f, it->def);
		fputs("\\fR.\n", f);
	}
}

void
sf_cli_man(FILE *f)
{
	static struct cli_table t;

	(void)cli_table_build(&t);
	fprintf(f, ".\\\" Generated by spanflow --help-man from the option table; do not edit.\n"
		".TH SPANFLOW 8 \"\" \"spanflow %s\" \"System Administration\"\n"
		".SH NAME\n"
		"spanflow \\- packet flow analyzer for mirror ports, interfaces and capture files\n"
		".SH SYNOPSIS\n"
		".B spanflow\n"
		"[\\fIOPTIONS\\fR] [\\fB\\-\\-\\fR \\fIEAL ARGS\\fR]\n"
		".SH DESCRIPTION\n"
		"spanflow turns packets from mirror (SPAN) ports, Linux interfaces, DPDK NICs\n"
		"or pcap files into flow records and per\\-interval summaries, serves the\n"
		"summaries over HTTP (a JSON API, Prometheus metrics, a dashboard) and writes\n"
		"the records as JSON lines, CSV and IPFIX, to IPFIX collectors, ClickHouse and\n"
		"Kafka.\n"
		".PP\n"
		"Every setting lives in one YAML file (\\fB\\-c\\fR); the options below set\n"
		"the most used ones and override the file.\n"
		"Without \\fB\\-c\\fR and without an input option, spanflow reads\n"
		".I %s\n"
		"when it exists; a spanflow run from its build tree falls back to\n"
		".I config/spanflow.yaml\n"
		"of its source tree (the bundled demo).\n"
		".PP\n"
		"As a service, the systemd unit \\fBspanflow@\\fR\\fIIFACE\\fR\\fB.service\\fR\n"
		"captures from the mirror port \\fIIFACE\\fR with that configuration:\n"
		".PP\n"
		".RS\n"
		".B systemctl enable \\-\\-now spanflow@eth1\n"
		".RE\n"
		".SH OPTIONS\n", SF_VERSION, SF_CONFIG_FILE);
	each_own_option(f, put_man_item);
	fputs(".SS Settings\n"
		"Each of these options sets a configuration key; the key and its default\n"
		"follow the option's description.\n", f);
	each_setting_option(f, &t, put_man_item);
	fputs(".PP\n"
		"Durations take seconds (0.5) or a unit (500ms, 10s, 5m, 1h).\n"
		"Options that add to a list may be repeated; the first one replaces the\n"
		"file's list: ", f);
	put_flag_list(f, &t, false, true);
	fputs(".\nOf the inputs, the last one given is read: ", f);
	put_flag_list(f, &t, true, true);
	fputs(".\nArguments after \\fB\\-\\-\\fR go to DPDK's EAL as they are.\n", f);
	fprintf(f, ".SH FILES\n"
		".TP\n"
		".I %s\n"
		"The configuration: every setting with its default, documented.\n"
		".TP\n"
		".I %s/clickhouse.sql\n"
		"The ClickHouse tables of \\fBexport.clickhouse\\fR (flow records and\n"
		"interval summaries).\n"
		".TP\n"
		".I %s/spanflow-alerts.yml\n"
		"Prometheus alert rules on \\fI/metrics\\fR: drops, conservation, flow\n"
		"table, collector, exporters, quiet ports and links.\n",
		SF_CONFIG_FILE, SF_DATA_DIR, SF_DATA_DIR);
	if (SF_UNIT_FILE[0] != '\0')
		fprintf(f, ".TP\n"
			".I %s\n"
			"The systemd unit template; the instance names the interface.\n",
			SF_UNIT_FILE);
	fputs(".SH SIGNALS\n"
		".TP\n"
		".BR SIGINT \", \" SIGTERM\n"
		"Stop: the input ends, every flow still in the tables is ended and its\n"
		"record written to every output, for at most \\fBshutdown.flush_timeout\\fR\n"
		"(30 s by default); files are completed, collectors get the last messages.\n"
		"Signals within a second of the first are the same request; one more than a\n"
		"second later cuts the final flush short (files are still closed whole, the\n"
		"report says what was lost).\n"
		".TP\n"
		".B SIGHUP\n"
		"Reopen the output files (JSON lines, CSV, the IPFIX file): what was written\n"
		"is complete in the old file, what follows goes to a file opened again at\n"
		"the configured path (created, or appended to), starting with its header or\n"
		"IPFIX templates; a rotating output starts its next file. spanflow does not\n"
		"stop; this is what logrotate's \\fBpostrotate\\fR and \\fBsystemctl reload\\fR\n"
		"send. Only a terminal that hangs up still stops an interactive run.\n"
		".SH EXIT STATUS\n"
		".TP\n"
		".B 0\n"
		"Success: every flow was written.\n"
		".TP\n"
		".B 1\n"
		"Runtime error (input, output, DPDK).\n"
		".TP\n"
		".B 2\n"
		"Usage or configuration error.\n"
		".TP\n"
		".B 3\n"
		"Stopped, but some flow records could not be written before\n"
		"\\fBshutdown.flush_timeout\\fR.\n"
		".TP\n"
		".B 130\n"
		"A second signal cut the final flush short.\n"
		".SH SEE ALSO\n"
		".BR pcap\\-filter (7),\n"
		".BR logrotate (8),\n"
		".BR systemd.service (5),\n"
		".BR systemctl (1),\n"
		".BR nfdump (1)\n", f);
}

int
sf_cli_parse(struct sf_cli *cli, struct sf_config *cfg, int argc, char **argv,
		char *err, size_t errlen)
{
	static struct cli_table t;
	struct sf_config_cmdline cl;
	const char *config = NULL;
	bool have_input = false;
	int c, i, k, end;

	memset(cli, 0, sizeof(*cli));
	if (cli_table_build(&t) != 0) {
		snprintf(err, errlen, "internal error: more than %d command-line flags", MAX_FLAGS);
		return -1;
	}
	/* Arguments after "--" belong to EAL. */
	for (end = 1; end < argc; end++)
		if (strcmp(argv[end], "--") == 0)
			break;
	if (end < argc) {
		cli->eal_argc = argc - end - 1;
		cli->eal_argv = argv + end + 1;
	}

	/* Pass 1: actions, the config file, and whether an input is given. */
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(end, argv, t.shorts, t.longs, NULL)) != -1) {
		switch (c) {
		case 'h':
			cli->action = SF_CLI_HELP;
			return 0;
		case 'V':
			cli->action = SF_CLI_VERSION;
			return 0;
		case OPT_HELP_MAN:
			cli->action = SF_CLI_HELP_MAN;
			return 0;
		case 'c':
			config = optarg;
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
			k = flag_index(&t, c);
			if (k >= 0 && t.info[k].input)
				have_input = true;
			break;
		}
	}
	if (optind < end) {
		snprintf(err, errlen, "unexpected argument '%s'; see spanflow --help",
				argv[optind]);
		return -1;
	}

	sf_config_defaults(cfg);
	if (config == NULL && !have_input)
		config = default_config();
	if (config != NULL && sf_config_load_file(cfg, config, err, errlen) != 0)
		return -1;

	/* Pass 2: flags override the file, in order. */
	memset(&cl, 0, sizeof(cl));
	optind = 1;
	while ((c = getopt_long(end, argv, t.shorts, t.longs, NULL)) != -1) {
		char msg[SF_CONFIG_ERR_LEN];

		k = flag_index(&t, c);
		if (k < 0)
			continue;
		if (sf_config_apply_flag(cfg, &cl, t.flag[k], optarg, msg, sizeof(msg)) != 0) {
			snprintf(err, errlen, "--%s: %s", t.flag[k]->name, msg);
			return -1;
		}
	}
	for (i = 0; i < cli->eal_argc; i++)
		if (cli->eal_argv[i][0] == '\0') {
			snprintf(err, errlen, "empty EAL argument after --");
			return -1;
		}
	return 0;
}
