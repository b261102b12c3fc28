/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command line, generated from the configuration table: every flag
 * that sets a setting comes from sf_config_next_flag() (getopt's table and
 * --help alike); only the options that are not settings are spelled here.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/*
 * With no configuration file and no input on the command line, spanflow
 * runs the demo configuration of the source tree it was built from (it
 * replays the bundled sample capture), when that tree is still there.
 */
#ifndef SF_SOURCE_DIR
#define SF_SOURCE_DIR "."
#endif
#define SF_DEMO_CONFIG SF_SOURCE_DIR "/config/spanflow.yaml"

/* Options that are not settings; getopt codes of setting flags start at FLAG_BASE. */
enum { OPT_PRINT_CONFIG = 1000, FLAG_BASE = 2000 };

#define MAX_FLAGS 64

static const struct option own_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "print-config", no_argument, NULL, OPT_PRINT_CONFIG },
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

/* An option's help line(s); `def`: "(key: default)" or NULL. */
static void
put_option(FILE *f, char letter, const char *name, const char *arg, const char *help,
		const char *def)
{
	put_wrapped(f, put_names(f, letter, name, arg), help, def);
}

/* "-r, -i, -p, --replay": the input flags (input) or the list flags (!input). */
static void
put_flag_list(FILE *f, const struct cli_table *t, bool input)
{
	unsigned int i, n = 0;

	for (i = 0; i < t->n; i++) {
		if (input ? !t->info[i].input : !t->info[i].list)
			continue;
		if (t->flag[i]->letter != 0)
			fprintf(f, "%s-%c", n++ ? ", " : "", t->flag[i]->letter);
		else
			fprintf(f, "%s--%s", n++ ? ", " : "", t->flag[i]->name);
	}
}

void
sf_cli_usage(FILE *f)
{
	static struct sf_config defaults;
	static struct cli_table t;
	char *def = NULL, help[512];
	size_t len = 0;
	unsigned int i;
	FILE *m;

	sf_config_defaults(&defaults);
	(void)cli_table_build(&t);
	fprintf(f,
		"Usage: spanflow [OPTIONS] [-- EAL ARGS]\n"
		"Replay a capture through the spanflow pipeline into flow records,\n"
		"interval summaries and an end-of-run report, or capture live.\n"
		"\n");
	put_option(f, 'c', "config", "FILE", "YAML configuration: every setting below and "
			"more (config/spanflow.yaml documents them). Without -c and without an "
			"input option: config/spanflow.yaml of the source tree spanflow was "
			"built from (the bundled demo), if that tree is still there", NULL);
	put_option(f, 0, "print-config", NULL, "print the effective configuration as YAML "
			"and exit", NULL);
	put_option(f, 'h', "help", NULL, "this help", NULL);
	put_option(f, 'V', "version", NULL, "version", NULL);
	fprintf(f, "\nSettings. In parentheses: the configuration key an option sets and its\n"
			"default; options override the configuration file.\n");
	for (i = 0; i < t.n; i++) {
		m = open_memstream(&def, &len);
		if (m == NULL)
			continue;
		fprintf(m, "(%s: ", t.info[i].key);
		sf_config_print_value(&defaults, t.info[i].key, m);
		fprintf(m, ")");
		fclose(m);
		snprintf(help, sizeof(help), "%s%s", t.info[i].help,
				t.info[i].list ? "; repeat for more" : "");
		put_option(f, t.flag[i]->letter, t.flag[i]->name, t.flag[i]->arg, help, def);
		free(def);
		def = NULL;
	}
	fprintf(f, "\nDurations take seconds (0.5) or a unit (500ms, 10s, 5m, 1h).\n"
			"Options that add to a list may be repeated; the first one replaces the\n"
			"file's list: ");
	put_flag_list(f, &t, false);
	fprintf(f, ".\nOf the inputs, the last one given is read: ");
	put_flag_list(f, &t, true);
	fprintf(f, ".\nArguments after -- go to DPDK's EAL as they are.\n");
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
	if (config == NULL && !have_input && access(SF_DEMO_CONFIG, R_OK) == 0)
		config = SF_DEMO_CONFIG;
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
