/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A Kafka cluster for the tests: librdkafka's mock cluster (rdkafka_mock.h),
 * since no Kafka broker is packaged in Debian 12. It speaks the Kafka
 * protocol on localhost ports, so spanflow's producer and kcat (the
 * independent consumer) talk to it as to real brokers.
 *
 *   sf_kafka_mock [-n BROKERS] [-t TOPIC:PARTITIONS]...
 *
 * Prints the bootstrap servers on one line, then serves until stdin closes
 * or SIGTERM/SIGINT. SIGUSR1 takes every broker down (connections dropped,
 * new ones refused), SIGUSR2 brings them up again; each is acknowledged
 * with a line "down" or "up" on stdout once done.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define MAX_TOPICS 8

static volatile sig_atomic_t stop, want_down, want_up;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		want_down = 1;
	else if (sig == SIGUSR2)
		want_up = 1;
	else
		stop = 1;
}

/* The mock's own log lines (connections coming and going) are not the test's business. */
static void
quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void)rk;
	(void)fac;
	if (level <= 3 && getenv("SF_KAFKA_MOCK_VERBOSE") != NULL)
		fprintf(stderr, "sf_kafka_mock: %s\n", buf);
}

static void
usage(void)
{
	fprintf(stderr, "usage: sf_kafka_mock [-n BROKERS] [-t TOPIC:PARTITIONS]...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *topics[MAX_TOPICS];
	int parts[MAX_TOPICS], n_topics = 0, brokers = 3, i, c;
	rd_kafka_mock_cluster_t *mc;
	struct sigaction sa;
	rd_kafka_conf_t *conf;
	char err[512], *colon;
	rd_kafka_t *rk;

	while ((c = getopt(argc, argv, "n:t:")) != -1) {
		switch (c) {
		case 'n':
			brokers = atoi(optarg);
			if (brokers < 1 || brokers > 16)
				usage();
			break;
		case 't':
			colon = strrchr(optarg, ':');
			if (colon == NULL || n_topics == MAX_TOPICS)
				usage();
			*colon = '\0';
			topics[n_topics] = optarg;
			parts[n_topics] = atoi(colon + 1);
			if (parts[n_topics] < 1)
				usage();
			n_topics++;
			break;
		default:
			usage();
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);

	/* The cluster lives in a client handle: a producer that sends nothing. */
	conf = rd_kafka_conf_new();
	rd_kafka_conf_set_log_cb(conf, quiet_log);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (rk == NULL) {
		fprintf(stderr, "sf_kafka_mock: %s\n", err);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, brokers);
	if (mc == NULL) {
		fprintf(stderr, "sf_kafka_mock: cannot create the mock cluster\n");
		rd_kafka_destroy(rk);
		return 1;
	}
	for (i = 0; i < n_topics; i++) {
		rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, topics[i], parts[i], 1);

		if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
			fprintf(stderr, "sf_kafka_mock: topic %s: %s\n", topics[i],
					rd_kafka_err2str(e));
			rd_kafka_mock_cluster_destroy(mc);
			rd_kafka_destroy(rk);
			return 1;
		}
	}
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);

	while (!stop) {
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		char buf[256];

		if (want_down) {
			want_down = 0;
			rd_kafka_mock_broker_set_down(mc, -1);
			printf("down\n");
			fflush(stdout);
		}
		if (want_up) {
			want_up = 0;
			rd_kafka_mock_broker_set_up(mc, -1);
			printf("up\n");
			fflush(stdout);
		}
		/* A signal interrupts the wait (EINTR): the flags are seen at once. */
		if (poll(&pfd, 1, 100) > 0 && (pfd.revents & (POLLIN | POLLHUP)) &&
				read(STDIN_FILENO, buf, sizeof(buf)) <= 0)
			break;
	}
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
