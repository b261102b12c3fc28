/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eal.h"
#include "sf_app.h"
#include "sf_flow_table.h"
#include "sf_msg.h"
#include "sf_worker.h"

static int
add(struct sf_eal_args *ea, const char *fmt, const char *val)
{
	if (ea->argc >= SF_EAL_MAX_ARGS)
		return -1;
	snprintf(ea->store[ea->argc], sizeof(ea->store[0]), fmt, val);
	ea->argv[ea->argc] = ea->store[ea->argc];
	ea->argc++;
	ea->argv[ea->argc] = NULL;
	return 0;
}

/* Free hugepages in the default size, from /proc/meminfo. */
static uint64_t
free_hugepages(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	uint64_t n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "HugePages_Free: %" SCNu64, &n) == 1)
			break;
	fclose(f);
	return n;
}

/* Memory the pools, rings and tables need, in MB, with head room. */
static uint64_t
memory_mb(const struct sf_config *cfg, unsigned int workers)
{
	uint64_t b = 0;

	b += (uint64_t)cfg->mbuf_pool_size * (RTE_MBUF_DEFAULT_BUF_SIZE + 256 +
			SF_PKT_META_SIZE);
	b += (uint64_t)workers * sf_msg_chan_bytes(cfg->ring_size, cfg->msg_pool_size,
			cfg->tcp_analysis, cfg->features ? cfg->splt : 0);
	/* TCP health per server and subnet: each worker's interval table. */
	if (cfg->tcp_analysis)
		b += (uint64_t)workers * sizeof(struct sf_tcpa_table);
	b += (uint64_t)workers * cfg->flow_capacity * (sf_flow_table_entry_size() + 32);
	/* Application metadata: each worker's reassembly buffers. */
	if (cfg->app)
		b += (uint64_t)workers * cfg->app_buffers * (SF_APP_HELLO_MAX * 9 / 8 + 128);
	b += (uint64_t)workers * (cfg->ring_size + cfg->dispatch_ring_size) * 8;
	if (cfg->replay_file[0] != '\0') {
		/*
		 * Frames kept up to 192 bytes at 64-byte steps plus a 24-byte
		 * index entry: at most 3 times the file (a record is at least
		 * 16 + 60 bytes).
		 */
		struct stat st;

		if (stat(cfg->replay_file, &st) == 0)
			b += (uint64_t)st.st_size * 3;
	}
	return b / (1024 * 1024) + 128;
}

int
sf_eal_args_build(struct sf_eal_args *ea, const struct sf_config *cfg, unsigned int lcores,
		int extra_argc, char **extra_argv, char *err, size_t errlen)
{
	char map[256], num[32];
	cpu_set_t set;
	int cpus[CPU_SETSIZE], ncpu = 0, c;
	unsigned int i;
	size_t off = 0;

	memset(ea, 0, sizeof(*ea));
	ea->lcores = lcores;
	if (sched_getaffinity(0, sizeof(set), &set) != 0) {
		snprintf(err, errlen, "cannot read the CPUs this process may use");
		return -1;
	}
	for (c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			cpus[ncpu++] = c;
	if (ncpu == 0) {
		snprintf(err, errlen, "no CPU available");
		return -1;
	}
	for (i = 0; i < lcores; i++)
		off += (size_t)snprintf(map + off, sizeof(map) - off, "%s%u@%d",
				i ? "," : "", i, cpus[i % (unsigned int)ncpu]);
	if (off >= sizeof(map)) {
		snprintf(err, errlen, "too many lcores (%u)", lcores);
		return -1;
	}
	add(ea, "%s", "spanflow");
	add(ea, "%s", "--lcores");
	add(ea, "%s", map);
	if (cfg->n_ports == 0) {
		add(ea, "%s", "--no-pci");
	} else {
		/* Probe only the NICs asked for. */
		for (i = 0; i < cfg->n_ports; i++) {
			add(ea, "%s", "-a");
			add(ea, "%s", cfg->ports[i]);
		}
	}
	add(ea, "%s", "--no-telemetry");
	snprintf(num, sizeof(num), "%d", (int)getpid());
	add(ea, "--file-prefix=spanflow%s", num);
	add(ea, "%s", "--log-level=lib.*:warning");
	add(ea, "%s", "--log-level=pmd.*:warning");
	ea->hugepages = cfg->hugepages == SF_HUGEPAGES_YES ||
		(cfg->hugepages == SF_HUGEPAGES_AUTO && free_hugepages() > 0);
	if (cfg->n_ports != 0 && !ea->hugepages) {
		snprintf(err, errlen, "%s: NIC ports need hugepages and none are free; reserve "
				"some (README \"Hugepages\")", cfg->ports[0]);
		return -1;
	}
	if (ea->hugepages) {
		add(ea, "%s", "--in-memory");
	} else {
		add(ea, "%s", "--no-huge");
		add(ea, "%s", "--no-shconf");
		snprintf(num, sizeof(num), "%" PRIu64, memory_mb(cfg, lcores));
		add(ea, "-m%s", num);
	}
	for (i = 0; i < cfg->n_eal_args; i++)
		if (add(ea, "%s", cfg->eal_args[i]) != 0)
			goto too_many;
	for (c = 0; c < extra_argc; c++)
		if (add(ea, "%s", extra_argv[c]) != 0)
			goto too_many;
	return 0;
too_many:
	snprintf(err, errlen, "too many EAL arguments (at most %d)", SF_EAL_MAX_ARGS);
	return -1;
}
