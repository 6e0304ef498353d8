/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conntrack microbenchmark, meant for instruction counts under callgrind
 * (deterministic on a shared machine) and for memory per connection:
 *
 *   bench-conntrack [--flows N] [--bursts N]
 *     phases, each its own function so callgrind reports them apart:
 *       ct_new      commit N new UDP connections, bursts of 32
 *       ct_hit      bursts of 32 packets of random existing UDP connections
 *       ct_tcp_new  N TCP handshakes (SYN, SYN-ACK, ACK), bursts of 32
 *       ct_tcp_hit  in-window ACKs of random established TCP connections
 *       ct_expire   expire all of them (wheel walk, unlink, reuse)
 *     prints the packets of each phase; divide callgrind's inclusive Ir.
 *   bench-conntrack --mem N [--fill]
 *     heap taken by a table of N connections (and after filling it with
 *     UDP connections, then expiring them all at once in budgeted calls:
 *     the longest call is a wall-clock figure, noisy on a shared machine).
 *
 * valgrind --tool=callgrind --callgrind-out-file=/tmp/ct.cg build/test/perf/bench-conntrack
 * callgrind_annotate --inclusive=yes /tmp/ct.cg | grep -E 'ct_(new|hit|tcp|expire)'
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "bench_util.h"
#include "evs_conntrack.h"
#include "evs_packet.h"

#define BURST 32

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

/* A parsed IPv4 UDP/TCP packet for flow @i, direction @reply. */
static struct rte_mbuf *mk(struct rte_mempool *mp, uint32_t i, bool reply, uint8_t proto,
			   uint8_t flags, uint32_t seq, uint32_t ack, struct evs_flow_key *k)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint32_t l4len = proto == IPPROTO_TCP ? 20 : 8;
	uint8_t *p;
	uint32_t c = rte_cpu_to_be_32(0x0a000000u | (i & 0xffffff)); /* 10.x.y.z */
	uint32_t s = rte_cpu_to_be_32(0xc0000200u | (i >> 24));	     /* 192.0.2.x */
	uint16_t cp = rte_cpu_to_be_16((uint16_t)(1024 + (i % 50000))), sp = rte_cpu_to_be_16(80);
	uint16_t ck;

	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(14 + 20 + l4len));
	memset(p, 0, 14 + 20 + l4len);
	p[0] = 2, p[6] = 2, p[12] = 0x08;
	p[14] = 0x45;
	p[14 + 3] = (uint8_t)(20 + l4len);
	p[14 + 8] = 64;
	p[14 + 9] = proto;
	memcpy(p + 14 + 12, reply ? &s : &c, 4);
	memcpy(p + 14 + 16, reply ? &c : &s, 4);
	ck = evs_ipv4_hdr_cksum(p + 14);
	memcpy(p + 14 + 10, &ck, 2);
	memcpy(p + 34, reply ? &sp : &cp, 2);
	memcpy(p + 36, reply ? &cp : &sp, 2);
	if (proto == IPPROTO_TCP) {
		seq = rte_cpu_to_be_32(seq);
		ack = rte_cpu_to_be_32(ack);
		memcpy(p + 38, &seq, 4);
		memcpy(p + 42, &ack, 4);
		p[46] = 0x50;
		p[47] = flags;
		p[48] = 0xff, p[49] = 0xff;
	} else {
		p[39] = 8;
	}
	memset(k, 0, sizeof(*k));
	if (evs_packet_parse(m, 0, k) != EVS_DROP_NONE) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	return m;
}

struct flows {
	uint32_t n;
	struct rte_mbuf **m; /* one packet per flow (orig direction) */
	struct evs_flow_key *k;
};

static int flows_make(struct flows *f, struct rte_mempool *mp, uint32_t n, uint8_t proto,
		      uint8_t flags, bool reply, uint32_t seq, uint32_t ack)
{
	uint32_t i;

	f->n = n;
	f->m = calloc(n, sizeof(*f->m));
	f->k = rte_malloc(NULL, n * sizeof(*f->k), 64);
	if (f->m == NULL || f->k == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		f->m[i] = mk(mp, i, reply, proto, flags, seq, ack, &f->k[i]);
		if (f->m[i] == NULL)
			return -1;
	}
	return 0;
}

static void flows_free(struct flows *f)
{
	uint32_t i;

	for (i = 0; i < f->n; i++)
		rte_pktmbuf_free(f->m[i]);
	free(f->m);
	rte_free(f->k);
}

/* Every flow once, in order, bursts of 32. */
static uint64_t run_all(struct evs_ct_lcore *lc, const struct evs_ct_action *a, struct flows *f)
{
	uint32_t i;

	for (i = 0; i + BURST <= f->n; i += BURST)
		evs_ct_execute_burst(lc, a, &f->m[i], &f->k[i], BURST);
	return i;
}

/* @bursts bursts of random flows, drawn before the measured phase. */
static int stream_make(struct flows *st, const struct flows *f, uint32_t bursts)
{
	uint32_t i;

	st->n = bursts * BURST;
	st->m = calloc(st->n, sizeof(*st->m));
	st->k = rte_malloc(NULL, st->n * sizeof(*st->k), 64);
	if (st->m == NULL || st->k == NULL)
		return -1;
	for (i = 0; i < st->n; i++) {
		uint32_t j = rnd() % f->n;

		st->m[i] = f->m[j];
		st->k[i] = f->k[j];
	}
	return 0;
}

static void stream_free(struct flows *st)
{
	free(st->m);
	rte_free(st->k);
}

__attribute__((noipa)) static uint64_t ct_new(struct evs_ct_lcore *lc,
						 const struct evs_ct_action *a, struct flows *f)
{
	return run_all(lc, a, f);
}

__attribute__((noipa)) static uint64_t ct_hit(struct evs_ct_lcore *lc,
					       const struct evs_ct_action *a, struct flows *stream)
{
	return run_all(lc, a, stream);
}

__attribute__((noipa)) static uint64_t ct_tcp_new(struct evs_ct_lcore *lc,
						     const struct evs_ct_action *a,
						     struct flows *syn, struct flows *synack,
						     struct flows *ack)
{
	uint32_t i;

	/* the three packets of 32 connections at a time */
	for (i = 0; i + BURST <= syn->n; i += BURST) {
		evs_ct_execute_burst(lc, a, &syn->m[i], &syn->k[i], BURST);
		evs_ct_execute_burst(lc, a, &synack->m[i], &synack->k[i], BURST);
		evs_ct_execute_burst(lc, a, &ack->m[i], &ack->k[i], BURST);
	}
	return 3ull * i;
}

__attribute__((noipa)) static uint64_t ct_tcp_hit(struct evs_ct_lcore *lc,
						   const struct evs_ct_action *a,
						   struct flows *stream)
{
	return run_all(lc, a, stream);
}

__attribute__((noipa)) static uint64_t ct_expire(struct evs_ct_lcore *lc, uint64_t now)
{
	uint64_t n = 0, d;

	evs_ct_lcore_set_now(lc, now);
	while ((d = evs_ct_expire(lc, 256)) != 0)
		n += d;
	return n;
}

static size_t heap_used(void)
{
	struct rte_malloc_socket_stats st;
	size_t used = 0;
	int s;

	for (s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (rte_malloc_get_socket_stats(s, &st) == 0)
			used += st.heap_allocsz_bytes;
	return used;
}

/* Every connection times out at once: how the wheel spreads the work. */
static void expire_all(struct evs_ct_lcore *lc, uint64_t now)
{
	uint64_t calls = 0, total = 0, worst = 0, t0, t1, hz = rte_get_tsc_hz();
	uint32_t d;

	evs_ct_lcore_set_now(lc, now);
	t0 = rte_rdtsc();
	do {
		t1 = rte_rdtsc();
		d = evs_ct_expire(lc, 256);
		t1 = rte_rdtsc() - t1;
		worst = RTE_MAX(worst, t1);
		total += d;
		calls++;
	} while (d != 0);
	t0 = rte_rdtsc() - t0;
	printf("expiry of all: %lu calls of budget 256 (%lu entries), %.0f ns per entry, "
	       "longest call %.1f us\n",
	       calls, total, (double)t0 * 1e9 / (double)hz / (double)total,
	       (double)worst * 1e6 / (double)hz);
}

static int mem_mode(uint32_t n, bool fill)
{
	struct evs_ct_config cfg = {
	    .name = "bm", .max_conns = n, .n_lcores = 1, .socket_id = SOCKET_ID_ANY};
	size_t before = heap_used(), after;
	struct rte_rcu_qsbr *qsv = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), 64);
	struct evs_ct *ct;

	if (qsv == NULL || rte_rcu_qsbr_init(qsv, 1) != 0)
		return 1;
	before = heap_used();
	cfg.qsv = qsv; /* as in the daemon: the hash keeps an RCU defer queue */
	ct = evs_ct_create(&cfg);
	if (ct == NULL) {
		perror("evs_ct_create");
		return 1;
	}
	after = heap_used();
	printf("table of %u connections: %.1f MB, %.1f bytes per connection\n", n,
	       (double)(after - before) / 1e6, (double)(after - before) / n);
	if (fill) {
		struct evs_ct_lcore *lc = evs_ct_lcore_get(ct, 0);
		struct evs_ct_action a = {.flags = EVS_CT_F_COMMIT};
		struct rte_mbuf fake[BURST];
		struct rte_mbuf *m[BURST];
		struct evs_flow_key k[BURST];
		struct evs_ct_stats st;
		uint32_t i, j;

		/* UDP keys need no packet data: header lengths only */
		memset(fake, 0, sizeof(fake));
		memset(k, 0, sizeof(k));
		for (j = 0; j < BURST; j++) {
			fake[j].l2_len = 14;
			fake[j].l3_len = 20;
			fake[j].l4_len = 8;
			m[j] = &fake[j];
			k[j].ethertype = RTE_BE16(RTE_ETHER_TYPE_IPV4);
			k[j].ip_proto = IPPROTO_UDP;
			k[j].l4_dst = RTE_BE16(53);
		}
		evs_ct_lcore_set_now(lc, 1000);
		for (i = 0; i < n; i += BURST) {
			for (j = 0; j < BURST; j++) {
				uint32_t f = i + j, v = rte_cpu_to_be_32(f);

				memcpy(k[j].src_ip, &v, 4);
			}
			evs_ct_execute_burst(lc, &a, m, k,
					     (uint16_t)RTE_MIN((uint32_t)BURST, n - i));
		}
		evs_ct_stats(ct, &st);
		printf("filled: %u connections, heap %.1f MB\n", st.conns,
		       (double)(heap_used() - before) / 1e6);
		expire_all(lc, 1000 + 31 * 1000);
	}
	evs_ct_free(ct);
	rte_free(qsv);
	return 0;
}

int main(int argc, char **argv)
{
	uint32_t flows = 65536, bursts = 4096, mem = 0;
	bool fill = false;
	struct evs_ct_config cfg = {.name = "b", .n_lcores = 1, .socket_id = SOCKET_ID_ANY};
	struct evs_ct_action a = {.flags = EVS_CT_F_COMMIT};
	struct flows udp, syn, synack, ack, ust, tst;
	struct evs_ct_zone_conf zc;
	struct evs_ct_stats st;
	struct rte_mempool *mp;
	struct evs_ct_lcore *lc;
	struct evs_ct *ct;
	uint64_t n;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--flows") && i + 1 < argc)
			flows = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--bursts") && i + 1 < argc)
			bursts = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--mem") && i + 1 < argc)
			mem = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--fill"))
			fill = true;
		else {
			fprintf(stderr, "usage: %s [--flows N] [--bursts N] | --mem N [--fill]\n",
				argv[0]);
			return 2;
		}
	}
	if (bench_eal_init(argv[0], "6144", NULL) != 0)
		return 1;
	if (mem != 0)
		return mem_mode(mem, fill);
	flows &= ~(uint32_t)(BURST - 1);
	mp = rte_pktmbuf_pool_create("bp", 4 * flows + 1024, 256, 0, 256, SOCKET_ID_ANY);
	/* room for twice what the phases create: the hash half full at most */
	cfg.max_conns = 4 * flows;
	ct = evs_ct_create(&cfg);
	if (mp == NULL || ct == NULL || flows_make(&udp, mp, flows, IPPROTO_UDP, 0, false, 0, 0) ||
	    flows_make(&syn, mp, flows, IPPROTO_TCP, 0x02, false, 1000, 0) ||
	    flows_make(&synack, mp, flows, IPPROTO_TCP, 0x12, true, 5000, 1001) ||
	    flows_make(&ack, mp, flows, IPPROTO_TCP, 0x10, false, 1001, 5001)) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	lc = evs_ct_lcore_get(ct, 0);
	evs_ct_lcore_set_now(lc, 1000000);
	/* short timeouts so that ct_expire reaps everything after one jump */
	evs_ct_zone_conf_default(&zc);
	zc.timeouts.tcp_established = 100;
	zc.timeouts.udp_unreplied = 100;
	if (evs_ct_zone_set(ct, 0, &zc) != 0)
		return 1;
	n = ct_new(lc, &a, &udp);
	printf("ct_new: %lu packets\n", n);
	if (stream_make(&ust, &udp, bursts) || stream_make(&tst, &ack, bursts))
		return 1;
	n = ct_hit(lc, &a, &ust);
	printf("ct_hit: %lu packets (%u connections)\n", n, flows);
	n = ct_tcp_new(lc, &a, &syn, &synack, &ack);
	printf("ct_tcp_new: %lu packets (%u handshakes)\n", n, flows);
	n = ct_tcp_hit(lc, &a, &tst);
	printf("ct_tcp_hit: %lu packets\n", n);
	n = ct_expire(lc, 1000000 + 200ull * 1000);
	printf("ct_expire: %lu entries handled (%u connections)\n", n, 2 * flows);
	evs_ct_stats(ct, &st);
	for (i = 0; i < EVS_CT_C_MAX; i++)
		if (st.counters[i] != 0)
			printf("  %s: %lu\n", evs_ct_counter_name((enum evs_ct_counter)i),
			       st.counters[i]);
	stream_free(&ust);
	stream_free(&tst);
	flows_free(&udp);
	flows_free(&syn);
	flows_free(&synack);
	flows_free(&ack);
	evs_ct_free(ct);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return 0;
}
