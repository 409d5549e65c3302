/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the passive-capture analyser (agent/pcap_analyze.c),
 * every link type it takes; the first byte picks the link type, the rest
 * is split into packets by a length byte each. */
#include <pcap/dlt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pcap_analyze.h"
#include "sample.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int lt[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW };
	struct pcap_analyze_conf conf = { .max_flows = 16, .max_clients = 8 };
	struct pcap_analyze *pa;
	struct sample s;
	char err[256];
	int64_t ts = 1000000;

	if (size < 1)
		return 0;
	conf.linktype = lt[data[0] % 4];
	conf.has_own_mac = data[0] & 0x10;
	memset(conf.own_mac, 0x02, sizeof conf.own_mac);
	if ((pa = pcap_analyze_new(&conf, err, sizeof err)) == NULL)
		return 0;
	size_t i = 1;
	while (i < size) {
		size_t n = data[i++];
		if (n > size - i)
			n = size - i;
		/* An exact-size copy, so ASan sees any read past caplen. */
		uint8_t *pkt = malloc(n ? n : 1);
		if (pkt == NULL)
			break;
		memcpy(pkt, data + i, n);
		pcap_analyze_packet(pa, ts, (uint32_t)n, (uint32_t)n + (data[0] & 0x20 ? 100 : 0), pkt);
		free(pkt);
		ts += 1000 + (int64_t)n * 7;
		i += n;
	}
	memset(&s, 0, sizeof s);
	pcap_analyze_finish(pa, 1.0, &s);
	pcap_analyze_free(pa);
	return 0;
}
