/* SPDX-License-Identifier: BSD-3-Clause */
/* The pipeline benches' set-up (cold): pool, L2 world, frames. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_udp.h>

#include "bench_pl.h"

uint16_t bench_pl_sink(void *arg, uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	(void)arg;
	(void)port;
	(void)pkts;
	return n;
}

int bench_pl_l2_up(const char *name, bool two_switches, const struct rte_ether_addr *a,
		   const struct rte_ether_addr *b, struct bench_pl_l2 *l2)
{
	static const struct evs_l2_switch_spec sws[] = {{.id = 0, .name = "sw0"},
							{.id = 1, .name = "sw1"}};
	const struct evs_l2_port_spec ps[] = {
	    {.port = 0, .has_native = true, .native_switch = 0},
	    {.port = 1, .has_native = true, .native_switch = two_switches ? 1 : 0}};
	const struct evs_l2_conf_spec spec = {.nb_switches = two_switches ? 2 : 1,
					      .switches = sws,
					      .nb_ports = 2,
					      .ports = ps,
					      .socket_id = SOCKET_ID_ANY};
	char n[RTE_MEMPOOL_NAMESIZE], err[128];
	struct rte_rcu_qsbr *qsbr;

	l2->mp =
	    rte_pktmbuf_pool_create(name, 4096, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	qsbr = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(2), RTE_CACHE_LINE_SIZE);
	if (l2->mp == NULL || qsbr == NULL || rte_rcu_qsbr_init(qsbr, 2) != 0)
		return -ENOMEM;
	l2->conf = evs_l2_conf_build(&spec, err, sizeof(err));
	snprintf(n, sizeof(n), "%sm", name);
	l2->macs = evs_l2_macs_create(
	    &(struct evs_l2_macs_config){.name = n, .capacity = 1024, .qsbr = qsbr});
	if (l2->conf == NULL || l2->macs == NULL)
		return -ENOMEM;
	evs_l2_macs_add_static(l2->macs, 0, a, 0, 0);
	evs_l2_macs_add_static(l2->macs, two_switches ? 1 : 0, b, 1, 0);
	return 0;
}

struct rte_mbuf *bench_pl_frame(struct rte_mempool *mp, const struct rte_ether_addr *dst,
				const struct rte_ether_addr *src)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t *p = m != NULL ? (uint8_t *)rte_pktmbuf_append(m, 60) : NULL;
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)p;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	if (p == NULL) {
		fprintf(stderr, "bench: no mbuf\n");
		exit(1);
	}
	memset(p, 0, 60);
	eh->dst_addr = *dst;
	eh->src_addr = *src;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(46);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->dst_addr = rte_cpu_to_be_32(0xc6130001u);
	udp->dst_port = rte_cpu_to_be_16(5001);
	udp->dgram_len = rte_cpu_to_be_16(26);
	return m;
}
