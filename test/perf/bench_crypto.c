/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What ESP costs on top of the cipher:
 *   bench-crypto [--bursts N] [--reps N] [--size 64|1400] [--udp-encap]
 *
 * For 64- and 1400-byte payloads, in bursts of 32, on one core, in TSC
 * ticks per packet (median of --reps runs):
 *   raw   IPsec-MB AES-128-GCM through the job API, in place, 8-byte AAD
 *         (the physical limit: what any ESP implementation must pay), and
 *         through the burst API without validation (how lib/crypto submits);
 *   esp   evs_esp_encrypt_burst / evs_esp_decrypt_burst, transport mode,
 *         on Ethernet/IPv4/UDP packets whose protected payload (UDP header
 *         and data) has that size: headers, trailer, sequence, replay,
 *         ICV check and counters included.
 * Each ESP round encrypts and then decrypts the same mbufs, which brings
 * them back to the plaintext, so no packet is rebuilt inside the timing.
 *
 * Then the overlay: 64- and 1400-byte inner frames GENEVE-encapsulated over
 * IPv4 (lib/tunnel), with and without ESP on the tunnel's UDP; what ESP
 * adds per packet is set beside the raw cipher over the same byte count.
 * --udp-encap puts every ESP packet in UDP 4500 (RFC 3948): what that adds.
 * Timings depend on the machine's load: the load average is printed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "bench_util.h"
#include "evs_crypto.h"
#include "evs_tunnel.h"

#define BURST BENCH_BURST
#define MAX_REPS BENCH_MAX_REPS

static struct rte_mempool *pool;

static double median(uint64_t *v, unsigned int n, uint64_t per)
{
	return (double)bench_median(v, n) / (double)per;
}

/* One in-place AES-128-GCM job over @p buf, 8-byte AAD, slot @p i's IV
 * (its last byte @p round) and tag. */
static inline void raw_fill(IMB_JOB *job, const struct gcm_key_data *key, uint8_t *buf,
			    unsigned int i, uint8_t round, uint32_t len, bool enc)
{
	static uint8_t iv[BURST][16], aad[BURST][16], tag[BURST][16];

	job->cipher_mode = IMB_CIPHER_GCM;
	job->hash_alg = IMB_AUTH_AES_GMAC;
	job->cipher_direction = enc ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	job->chain_order = enc ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	job->enc_keys = key;
	job->dec_keys = key;
	job->key_len_in_bytes = IMB_KEY_128_BYTES;
	job->src = buf;
	job->dst = buf;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = len;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = len;
	iv[i][11] = round;
	job->iv = iv[i];
	job->iv_len_in_bytes = 12;
	job->u.GCM.aad = aad[i];
	job->u.GCM.aad_len_in_bytes = 8;
	job->auth_tag_output = tag[i];
	job->auth_tag_output_len_in_bytes = 16;
}

/* IPsec-MB alone: one job per buffer, submit all, then flush. */
/* --udp-encap: ESP in UDP 4500 */
static bool udp_encap;

static __rte_noinline uint64_t raw_run(IMB_MGR *mgr, const struct gcm_key_data *key,
				       uint8_t (*buf)[2048], uint32_t len, bool enc,
				       uint32_t bursts)
{
	uint64_t t0 = rte_rdtsc_precise();

	for (uint32_t b = 0; b < bursts; b++) {
		IMB_JOB *job;

		for (unsigned int i = 0; i < BURST; i++) {
			job = IMB_GET_NEXT_JOB(mgr);
			raw_fill(job, key, buf[i], i, (uint8_t)b, len, enc);
			job = IMB_SUBMIT_JOB(mgr);
			while (job != NULL)
				job = IMB_GET_COMPLETED_JOB(mgr);
		}
		while (IMB_FLUSH_JOB(mgr) != NULL)
			;
	}
	return rte_rdtsc_precise() - t0;
}

/* The same through IPsec-MB's burst API without per-job validation: how
 * lib/crypto's release build submits, so the like-for-like baseline. */
static __rte_noinline uint64_t raw_burst_run(IMB_MGR *mgr, const struct gcm_key_data *key,
					     uint8_t (*buf)[2048], uint32_t len, bool enc,
					     uint32_t bursts)
{
	uint64_t t0 = rte_rdtsc_precise();

	for (uint32_t b = 0; b < bursts; b++) {
		IMB_JOB *jobs[BURST];
		uint32_t n = IMB_GET_NEXT_BURST(mgr, BURST, jobs), done;

		for (unsigned int i = 0; i < n; i++) {
			IMB_JOB *job = jobs[i];

			raw_fill(job, key, buf[i], i, (uint8_t)b, len, enc);
		}
		done = IMB_SUBMIT_BURST_NOCHECK(mgr, n, jobs);
		while (done < n) {
			uint32_t f = IMB_FLUSH_BURST(mgr, n - done, jobs);

			if (f == 0)
				break;
			done += f;
		}
	}
	return rte_rdtsc_precise() - t0;
}

static struct rte_mbuf *build(uint32_t payload)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint32_t data = payload - 8, len = 14 + 20 + 8 + data;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *u;
	uint8_t *p;

	if (m == NULL || rte_pktmbuf_append(m, (uint16_t)len) == NULL)
		return NULL;
	p = rte_pktmbuf_mtod(m, uint8_t *);
	memset(p, 0x5a, len);
	((struct rte_ether_hdr *)p)->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(p + 14);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + 8 + data));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(0x0a000001);
	ip->dst_addr = rte_cpu_to_be_32(0x0a000002);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	u = (struct rte_udp_hdr *)(ip + 1);
	u->src_port = rte_cpu_to_be_16(40000);
	u->dst_port = rte_cpu_to_be_16(6081);
	u->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + data));
	u->dgram_cksum = 0;
	m->l2_len = 14;
	return m;
}

static int bench_size(uint32_t payload, uint32_t bursts, unsigned int reps)
{
	static uint8_t buf[BURST][2048];
	uint64_t raw_e[MAX_REPS], raw_d[MAX_REPS], esp_e[MAX_REPS], esp_d[MAX_REPS];
	uint64_t trl_e[MAX_REPS], trl_d[MAX_REPS], rb_e[MAX_REPS], rb_d[MAX_REPS];
	/* What ESP must encrypt: the payload, padding to 4 bytes, pad length
	 * and next header (RFC 4303 2.4); the raw cipher over those bytes too. */
	uint32_t esp_len = (payload + 2 + 3) & ~3u;
	struct evs_sa_config c = {
	    .spi = 0x1000, .key_len = 16, .mode = EVS_ESP_TRANSPORT, .udp_encap = udp_encap};
	struct evs_crypto_engine *e = evs_crypto_engine_create();
	struct evs_sa *out, *in, *sas[BURST];
	struct rte_mbuf *m[BURST];
	IMB_ARCH arch = IMB_ARCH_NONE;
	IMB_MGR *mgr = alloc_mb_mgr(0);
	struct gcm_key_data key __rte_aligned(64);
	double re, rd, ee, ed, te, td, be, bd;

	if (e == NULL || mgr == NULL)
		return 1;
	init_mb_mgr_auto(mgr, &arch);
	for (unsigned int i = 0; i < 16; i++)
		c.key[i] = (uint8_t)(i * 13 + 1);
	IMB_AES128_GCM_PRE(mgr, c.key, &key);
	c.dir = EVS_SA_OUTBOUND;
	out = evs_sa_create(&c);
	c.dir = EVS_SA_INBOUND;
	in = evs_sa_create(&c);
	if (out == NULL || in == NULL)
		return 1;
	for (unsigned int i = 0; i < BURST; i++) {
		m[i] = build(payload);
		sas[i] = in;
		if (m[i] == NULL)
			return 1;
	}
	for (unsigned int r = 0; r <= reps; r++) {
		uint64_t te = 0, td = 0;

		raw_e[r % reps] = raw_run(mgr, &key, buf, payload, true, bursts);
		raw_d[r % reps] = raw_run(mgr, &key, buf, payload, false, bursts);
		trl_e[r % reps] = raw_run(mgr, &key, buf, esp_len, true, bursts);
		trl_d[r % reps] = raw_run(mgr, &key, buf, esp_len, false, bursts);
		rb_e[r % reps] = raw_burst_run(mgr, &key, buf, payload, true, bursts);
		rb_d[r % reps] = raw_burst_run(mgr, &key, buf, payload, false, bursts);
		for (uint32_t b = 0; b < bursts; b++) {
			uint64_t t0 = rte_rdtsc_precise(), t1, t2;

			if (evs_esp_encrypt_burst(e, out, m, BURST) != BURST)
				return 1;
			t1 = rte_rdtsc_precise();
			if (evs_esp_decrypt_burst(e, sas, m, BURST) != BURST)
				return 1;
			t2 = rte_rdtsc_precise();
			te += t1 - t0;
			td += t2 - t1;
		}
		esp_e[r % reps] = te;
		esp_d[r % reps] = td; /* round 0 (warm-up) is overwritten by round reps */
	}
	re = median(raw_e, reps, (uint64_t)bursts * BURST);
	rd = median(raw_d, reps, (uint64_t)bursts * BURST);
	ee = median(esp_e, reps, (uint64_t)bursts * BURST);
	ed = median(esp_d, reps, (uint64_t)bursts * BURST);
	te = median(trl_e, reps, (uint64_t)bursts * BURST);
	td = median(trl_d, reps, (uint64_t)bursts * BURST);
	be = median(rb_e, reps, (uint64_t)bursts * BURST);
	bd = median(rb_d, reps, (uint64_t)bursts * BURST);
	printf("%5u B  raw enc %7.1f  esp enc %7.1f (x%.2f)  raw dec %7.1f  esp dec %7.1f "
	       "(x%.2f)  ticks/packet\n",
	       payload, re, ee, ee / re, rd, ed, ed / rd);
	printf("         raw over the %u B ESP encrypts: enc %7.1f (esp x%.2f)  dec %7.1f (esp "
	       "x%.2f)\n",
	       esp_len, te, ee / te, td, ed / td);
	printf(
	    "         raw, burst API unvalidated:   enc %7.1f (esp x%.2f)  dec %7.1f (esp x%.2f)\n",
	    be, ee / be, bd, ed / bd);
	for (unsigned int i = 0; i < BURST; i++)
		rte_pktmbuf_free(m[i]);
	evs_sa_free(out);
	evs_sa_free(in);
	evs_crypto_engine_free(e);
	free_mb_mgr(mgr);
	return 0;
}

static int bench_overlay(uint32_t frame, uint32_t bursts, unsigned int reps)
{
	static uint8_t buf[BURST][2048];
	uint64_t t[4][MAX_REPS], raw[MAX_REPS];
	struct evs_sa_config c = {
	    .spi = 0x2000, .key_len = 16, .mode = EVS_ESP_TRANSPORT, .udp_encap = udp_encap};
	struct evs_tun_encap_config tc = {.type = EVS_TUN_GENEVE, .vni = 7, .underlay_mtu = 9000};
	struct evs_crypto_engine *e = evs_crypto_engine_create();
	struct evs_tun_stats st = {0};
	struct evs_tun_meta meta[BURST];
	struct evs_sa *out, *in, *sas[BURST];
	struct evs_tun_decap d = {0};
	struct evs_tun_encap te;
	struct rte_mbuf *m[BURST];
	IMB_ARCH arch = IMB_ARCH_NONE;
	IMB_MGR *mgr = alloc_mb_mgr(0);
	struct gcm_key_data key __rte_aligned(64);
	double v[4], rw;

	tc.local.family = tc.remote.family = 4;
	tc.local.b[0] = tc.remote.b[0] = 10;
	tc.remote.b[3] = 2;
	if (e == NULL || mgr == NULL || evs_tun_encap_init(&te, &tc) != 0)
		return 1;
	init_mb_mgr_auto(mgr, &arch);
	IMB_AES128_GCM_PRE(mgr, c.key, &key);
	c.dir = EVS_SA_OUTBOUND;
	out = evs_sa_create(&c);
	c.dir = EVS_SA_INBOUND;
	in = evs_sa_create(&c);
	if (out == NULL || in == NULL)
		return 1;
	for (unsigned int i = 0; i < BURST; i++) {
		m[i] = rte_pktmbuf_alloc(pool);
		if (m[i] == NULL || rte_pktmbuf_append(m[i], (uint16_t)frame) == NULL)
			return 1;
		memset(rte_pktmbuf_mtod(m[i], void *), (int)i + 1, frame);
		m[i]->hash.rss = i * 2654435761u;
		sas[i] = in;
	}
	for (unsigned int r = 0; r <= reps; r++) {
		uint64_t sum[4] = {0};

		/* The cipher over what ESP encrypts: UDP + GENEVE + frame. */
		raw[r % reps] = raw_run(mgr, &key, buf, frame + 16, true, bursts);
		for (uint32_t b = 0; b < bursts; b++) {
			uint64_t t0 = rte_rdtsc_precise(), t1, t2, t3, t4;

			if (evs_tun_encap_burst(&te, m, BURST, NULL, &st) != BURST)
				return 1;
			t1 = rte_rdtsc_precise();
			if (evs_esp_encrypt_burst(e, out, m, BURST) != BURST)
				return 1;
			t2 = rte_rdtsc_precise();
			if (evs_esp_decrypt_burst(e, sas, m, BURST) != BURST)
				return 1;
			t3 = rte_rdtsc_precise();
			if (evs_tun_decap_burst(&d, m, BURST, meta, &st) != BURST)
				return 1;
			t4 = rte_rdtsc_precise();
			sum[0] += t1 - t0;
			sum[1] += t2 - t1;
			sum[2] += t3 - t2;
			sum[3] += t4 - t3;
		}
		for (unsigned int k = 0; k < 4; k++)
			t[k][r % reps] = sum[k];
	}
	for (unsigned int k = 0; k < 4; k++)
		v[k] = median(t[k], reps, (uint64_t)bursts * BURST);
	rw = median(raw, reps, (uint64_t)bursts * BURST);
	printf("%5u B frame, GENEVE/IPv4: encap %6.1f + esp %6.1f | esp %6.1f + decap %6.1f | "
	       "raw GCM over %u B %6.1f: esp adds x%.2f / x%.2f of it\n",
	       frame, v[0], v[1], v[2], v[3], frame + 16, rw, v[1] / rw, v[2] / rw);
	for (unsigned int i = 0; i < BURST; i++)
		rte_pktmbuf_free(m[i]);
	evs_sa_free(out);
	evs_sa_free(in);
	evs_crypto_engine_free(e);
	free_mb_mgr(mgr);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {{"size", required_argument, NULL, 's'},
					   {"udp-encap", no_argument, NULL, 'u'},
					   {NULL, 0, NULL, 0}};
	struct bench_args a = {.reps = 7, .bursts = 20000};
	unsigned int reps, size = 0;
	uint32_t bursts;
	char load[64];
	int opt;

	while ((opt = bench_getopt(argc, argv, BENCH_OPT_REPS | BENCH_OPT_BURSTS, lo, &a)) != -1) {
		if (opt == 's' && (strcmp(optarg, "64") == 0 || strcmp(optarg, "1400") == 0)) {
			size = (unsigned int)atoi(optarg);
		} else if (opt == 'u') {
			udp_encap = true;
		} else {
			fprintf(
			    stderr,
			    "usage: %s [--bursts N] [--reps N] [--size 64|1400] [--udp-encap]\n",
			    argv[0]);
			return 2;
		}
	}
	reps = a.reps;
	bursts = a.bursts;
	pool = bench_lib_start(argv[0], "bc");
	if (pool == NULL)
		return 1;
	bench_loadavg(load, sizeof(load));
	printf("bench-crypto: AES-128-GCM, bursts of %d, %u bursts x %u reps (median), "
	       "TSC %" PRIu64 " Hz, load average %s",
	       BURST, bursts, reps, rte_get_tsc_hz(), load);
	if ((size != 1400 && bench_size(64, bursts, reps) != 0) ||
	    (size != 64 && bench_size(1400, bursts / 4 ? bursts / 4 : 1, reps) != 0) ||
	    (size != 1400 && bench_overlay(64, bursts, reps) != 0) ||
	    (size != 64 && bench_overlay(1400, bursts / 4 ? bursts / 4 : 1, reps) != 0)) {
		fprintf(stderr, "bench-crypto: failed\n");
		return 1;
	}
	return 0;
}
