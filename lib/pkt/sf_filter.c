/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <pcap/pcap.h>

#include <rte_bpf.h>
#include <rte_errno.h>

#include "sf_filter.h"
#include "sf_filter_priv.h"
#include "sf_pkt.h"

#define FILTER_SNAPLEN 262144

/* libpcap wants a DLT; spanflow's link types are LINKTYPE values. */
static int
linktype_dlt(int linktype)
{
	return linktype == SF_LINK_RAW ? DLT_RAW : linktype;
}

static int
compile(const char *expr, int linktype, struct bpf_program *prog, char *err, size_t errlen)
{
	pcap_t *p = pcap_open_dead(linktype_dlt(linktype), FILTER_SNAPLEN);

	if (p == NULL) {
		snprintf(err, errlen, "filter '%s': libpcap cannot compile for link type %d",
				expr, linktype);
		return -1;
	}
	if (pcap_compile(p, prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errlen, "filter '%s': %s; expected a tcpdump filter expression "
				"(man pcap-filter)", expr, pcap_geterr(p));
		pcap_close(p);
		return -1;
	}
	pcap_close(p);
	return 0;
}

int
sf_filter_check(const char *expr, int linktype, char *err, size_t errlen)
{
	struct bpf_program prog;

	if (compile(expr, linktype, &prog, err, errlen) != 0)
		return -1;
	pcap_freecode(&prog);
	return 0;
}

struct sf_filter *
sf_filter_create(const struct sf_filter_params *p, char *err, size_t errlen)
{
	struct bpf_program prog;
	struct rte_bpf_jit jit;
	struct sf_filter *f;

	if (compile(p->expr, p->linktype, &prog, err, errlen) != 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL) {
		pcap_freecode(&prog);
		snprintf(err, errlen, "filter '%s': out of memory", p->expr);
		rte_errno = ENOMEM;
		return NULL;
	}
	f->bpf = sf_bpf_load_cbpf(&prog);
	pcap_freecode(&prog);
	if (f->bpf == NULL) {
		snprintf(err, errlen, "filter '%s': DPDK cannot load it: %s", p->expr,
				rte_strerror(rte_errno));
		free(f);
		return NULL;
	}
	if (!p->no_jit && rte_bpf_get_jit(f->bpf, &jit) == 0 && jit.func != NULL)
		f->jit = jit.func;
	return f;
}

void
sf_filter_free(struct sf_filter *f)
{
	if (f == NULL)
		return;
	rte_bpf_destroy(f->bpf);
	free(f);
}

int
sf_filter_jitted(const struct sf_filter *f)
{
	return f->jit != NULL;
}
