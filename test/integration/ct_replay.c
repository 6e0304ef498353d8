/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ct-replay: run every frame of a pcap through evs_packet_parse and
 * evs_ct_execute_burst (ct(commit) in zone 0, one packet per burst, the
 * clock advanced by the capture's timestamps) and print one verdict per
 * frame, named as test_ct_linux.sh names Linux's: new, est, est_rpl, rel,
 * rel_rpl, inv (or "drop:<reason>" if the parser refuses the frame).
 *
 * Usage: ct-replay FILE.pcap
 */
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>
#include <rte_eal.h>
#include <rte_mbuf.h>

#include "evs_conntrack.h"
#include "evs_packet.h"

static const char *verdict(uint8_t st)
{
	if (st & EVS_CT_INVALID)
		return "inv";
	if (st & EVS_CT_RELATED)
		return (st & EVS_CT_REPLY) ? "rel_rpl" : "rel";
	if (st & EVS_CT_REPLY)
		return "est_rpl";
	if (st & EVS_CT_ESTABLISHED)
		return "est";
	if (st & EVS_CT_NEW)
		return "new";
	return "untracked";
}

int main(int argc, char **argv)
{
	char *eal[] = {
	    argv[0],	      "--no-huge",	   "-m", "256", "--no-shconf", "--no-pci",
	    "--no-telemetry", "--log-level=error", "-l", "0"};
	struct evs_ct_config cfg = {
	    .name = "replay", .max_conns = 65536, .n_lcores = 1, .socket_id = SOCKET_ID_ANY};
	struct evs_ct_action act = {.zone = 0, .flags = EVS_CT_F_COMMIT};
	char err[PCAP_ERRBUF_SIZE];
	struct rte_mempool *mp;
	struct pcap_pkthdr *h;
	const u_char *data;
	struct evs_ct_lcore *lc;
	struct evs_ct *ct;
	pcap_t *pc;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE.pcap\n", argv[0]);
		return 2;
	}
	pc = pcap_open_offline(argv[1], err);
	if (pc == NULL) {
		fprintf(stderr, "%s: %s\n", argv[1], err);
		return 1;
	}
	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0)
		return 1;
	mp = rte_pktmbuf_pool_create("replay", 256, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	ct = evs_ct_create(&cfg);
	if (mp == NULL || ct == NULL) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	lc = evs_ct_lcore_get(ct, 0);
	while (pcap_next_ex(pc, &h, &data) == 1) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		struct evs_flow_key key;
		enum evs_drop_reason r;
		char *p;

		if (m == NULL || h->caplen > rte_pktmbuf_tailroom(m)) {
			fprintf(stderr, "frame too large or no mbuf\n");
			return 1;
		}
		p = rte_pktmbuf_append(m, (uint16_t)h->caplen);
		memcpy(p, data, h->caplen);
		evs_ct_lcore_set_now(lc, (uint64_t)h->ts.tv_sec * 1000 +
					     (uint64_t)h->ts.tv_usec / 1000);
		evs_ct_expire(lc, 1024);
		memset(&key, 0, sizeof(key));
		r = evs_packet_parse(m, 0, &key);
		if (r != EVS_DROP_NONE) {
			printf("drop:%s\n", evs_drop_reason_name(r));
		} else {
			evs_ct_execute_burst(lc, &act, &m, &key, 1);
			printf("%s\n", verdict(key.ct_state));
		}
		rte_pktmbuf_free(m);
	}
	pcap_close(pc);
	evs_ct_free(ct);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return 0;
}
