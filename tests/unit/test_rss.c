/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Both directions of every flow in the test captures reach the same queue:
 * with the NIC's Toeplitz hash and spanflow's symmetric key, and with the
 * owner the software dispatcher and the replay use (sf_flow_key_owner),
 * for 1 to 16 queues. A non-symmetric key
 * (the common default) is shown to split flows, so the test can fail.
 */
#include <dirent.h>
#include <pcap/pcap.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sf_rss.h"
#include "sf_test_util.h"

#define MAX_FLOWS 65536

/* Queue seen first for each flow (by canonical key hash slot), per queue count. */
struct slot {
	struct sf_flow_key key;
	bool used;
	uint8_t q_nic[17];
	uint8_t q_sw[17];
};

static struct slot slots[MAX_FLOWS];
static unsigned long packets, flows, nic_splits, sw_splits, default_key_splits;

static struct slot *
slot_of(const struct sf_flow_key *k)
{
	uint32_t i = sf_flow_key_hash(k) & (MAX_FLOWS - 1);

	while (slots[i].used && !sf_flow_key_eq(&slots[i].key, k))
		i = (i + 1) & (MAX_FLOWS - 1);
	return &slots[i];
}

static unsigned int
sw_queue(const struct sf_pkt_info *pi, unsigned int n)
{
	return sf_flow_key_owner(&pi->key, n);
}

static void
account(const struct sf_pkt_info *pi, const uint8_t *key, const uint8_t *plain_key)
{
	struct slot *s = slot_of(&pi->key);
	uint32_t h = sf_rss_hash(pi, key);
	uint32_t hp = sf_rss_hash(pi, plain_key);
	unsigned int n;

	packets++;
	if (!s->used) {
		s->used = true;
		s->key = pi->key;
		flows++;
		for (n = 1; n <= 16; n++) {
			s->q_nic[n] = (uint8_t)sf_rss_queue(h, 128, n);
			s->q_sw[n] = (uint8_t)sw_queue(pi, n);
		}
		s->q_nic[0] = (uint8_t)sf_rss_queue(hp, 128, 16);
		return;
	}
	for (n = 1; n <= 16; n++) {
		if (s->q_nic[n] != sf_rss_queue(h, 128, n))
			nic_splits++;
		if (s->q_sw[n] != sw_queue(pi, n))
			sw_splits++;
	}
	if (s->q_nic[0] != sf_rss_queue(hp, 128, 16))
		default_key_splits++;
}

static void
test_both_directions_same_queue(void **state)
{
	/* The widely used default Toeplitz key: not symmetric. */
	static const uint8_t plain_key[40] = {
		0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d,
		0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
		0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b,
		0xbe, 0xac, 0x01, 0xfa,
	};
	uint8_t key[SF_RSS_KEY_MAX];
	char path[8192], perr[PCAP_ERRBUF_SIZE];
	const char *dir = sf_test_data_dir();
	struct dirent *de;
	unsigned int files = 0;
	DIR *d;

	(void)state;
	sf_rss_key(key, sizeof(key));
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		struct pcap_pkthdr *h;
		const u_char *data;
		pcap_t *p;
		int lt;

		if (strstr(de->d_name, ".pcap") == NULL && strstr(de->d_name, ".cap") == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		p = pcap_open_offline(path, perr);
		if (p == NULL)
			continue;
		lt = pcap_datalink(p);
		if (lt == 12 || lt == 14)
			lt = SF_LINK_RAW;
		if (!sf_pkt_linktype_supported(lt)) {
			pcap_close(p);
			continue;
		}
		files++;
		while (pcap_next_ex(p, &h, &data) == 1) {
			struct sf_pkt_info pi;

			if (sf_pkt_parse(data, h->caplen, (enum sf_linktype)lt, &pi) == SF_PKT_FLOW)
				account(&pi, key, plain_key);
		}
		pcap_close(p);
	}
	closedir(d);
	print_message("%u captures, %lu packets, %lu flows; splits: symmetric key %lu, "
			"dispatcher %lu, default key %lu\n", files, packets, flows, nic_splits,
			sw_splits, default_key_splits);
	assert_true(files >= 10);
	assert_true(flows >= 300);
	assert_int_equal(nic_splits, 0);
	assert_int_equal(sw_splits, 0);
	/* Control: the usual key sends the two directions to different queues. */
	assert_true(default_key_splits > 0);
}

static void
test_key_pattern(void **state)
{
	uint8_t key[SF_RSS_KEY_MAX];

	(void)state;
	sf_rss_key(key, sizeof(key));
	assert_int_equal(key[0], 0x6d);
	assert_int_equal(key[1], 0x5a);
	assert_int_equal(key[50], 0x6d);
	assert_int_equal(key[51], 0x5a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_pattern),
		cmocka_unit_test(test_both_directions_same_queue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
