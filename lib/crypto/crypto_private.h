/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals of lib/crypto: the SA and engine behind the public handles. */
#ifndef EVS_CRYPTO_PRIVATE_H
#define EVS_CRYPTO_PRIVATE_H

#include <stdint.h>
#include <string.h>

#include <intel-ipsec-mb.h>
#include <rte_common.h>
#include <rte_mbuf.h>

#include "evs_crypto.h"

/* Packets per internal chunk: the engine's scratch (nonce, AAD, tag) slots. */
#define CRYPTO_CHUNK 64u

/* Counters of one SA written by one engine. */
struct sa_slot_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t last_seq;
	uint64_t drops[EVS_ESP_DROP__MAX];
} __rte_cache_aligned;

struct evs_sa {
	struct gcm_key_data key; /* IPsec-MB's expanded key and GHASH tables */
	uint32_t spi;		 /* host order */
	uint32_t spi_be;	 /* the same, as the wire header has it */
	uint32_t owner;		 /* the creator's word (evs_sa_owner) */
	uint8_t salt[4];
	uint8_t key_len;
	uint8_t dir;  /* enum evs_sa_dir */
	uint8_t mode; /* enum evs_esp_mode */
	uint8_t esn;
	uint8_t udp_encap;
	uint8_t in_proto; /* inbound: the IP protocol its packets carry (ESP or UDP); outbound 0 */
	uint16_t udp_sport;
	uint16_t udp_dport;	 /* outbound: may float (evs_sa_set_udp_dport); relaxed */
	uint16_t udp_dport_conf; /* as configured */
	uint8_t udp_zero_csum6;	 /* outbound over IPv6: UDP checksum left zero; relaxed */
	struct evs_esp_addr tun_src, tun_dst;
	/* Outbound: next sequence number to reserve, and the last one allowed. */
	uint64_t next_seq __rte_cache_aligned;
	uint64_t max_seq;
	/* Inbound: the window (single writer). */
	struct evs_replay replay __rte_cache_aligned;
	uint16_t peer_port; /* ESP-in-UDP: newest verified packet's source port (relaxed) */
	/* and its source address: odd peer_gen while the writer (the SA's
	 * decrypting lcore) changes it, a seqcount for the management lcore */
	uint32_t peer_gen;
	uint8_t peer_family;
	uint64_t peer_seq;  /* the packet they were last read from (relaxed) */
	uint64_t peer_w[2]; /* the address's bytes in memory order, zero-padded */
	struct sa_slot_stats stats[EVS_CRYPTO_MAX_ENGINES];
};

/* Per-packet scratch of one chunk (IPsec-MB reads these by pointer). */
struct crypto_scratch {
	uint8_t nonce[16];
	uint8_t aad[16];
	uint8_t tag[16];
} __rte_aligned(16);

struct evs_crypto_engine {
	IMB_MGR *mgr;
	unsigned int slot;
	uint64_t no_sa;
	struct crypto_scratch scratch[CRYPTO_CHUNK];
	uint8_t status[CRYPTO_CHUNK]; /* 0 ok, else 1 + enum evs_esp_drop */
};

/* Single-writer counter update that readers on other lcores may load
 * concurrently: relaxed is enough, readers only need an untorn value. */
static inline void crypto_count(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + v, __ATOMIC_RELAXED);
}

static inline void sa_drop(const struct evs_crypto_engine *e, struct evs_sa *sa,
			   enum evs_esp_drop why)
{
	crypto_count(&sa->stats[e->slot].drops[why], 1);
}

/* Fill one IPsec-MB GCM job (every field: the manager's job slots are
 * reused by other SAs and directions). */
static __rte_always_inline void crypto_job_fill(IMB_JOB *job, const struct evs_sa *sa, bool encrypt,
						const uint8_t *nonce, const uint8_t *aad,
						uint32_t aad_len, uint8_t *buf, uint32_t len,
						uint8_t *tag)
{
	job->cipher_mode = IMB_CIPHER_GCM;
	job->hash_alg = IMB_AUTH_AES_GMAC;
	job->cipher_direction = encrypt ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	/* GCM authenticates the ciphertext: after encrypting, before decrypting. */
	job->chain_order = encrypt ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	job->enc_keys = &sa->key;
	job->dec_keys = &sa->key;
	job->key_len_in_bytes = sa->key_len;
	job->src = buf;
	job->dst = buf;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = len;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = len;
	job->iv = nonce;
	job->iv_len_in_bytes = 12;
	job->u.GCM.aad = aad;
	job->u.GCM.aad_len_in_bytes = aad_len;
	job->auth_tag_output = tag;
	job->auth_tag_output_len_in_bytes = EVS_ESP_ICV_LEN;
}

static inline void crypto_job_done(struct evs_crypto_engine *e, const IMB_JOB *job)
{
	uintptr_t i = (uintptr_t)job->user_data;

	if (job->status != IMB_STATUS_COMPLETED && e->status[i] == 0)
		e->status[i] = 1 + EVS_ESP_DROP_ENGINE;
}

/* Fills job @p job for index @p i of the chunk. */
typedef void (*crypto_fill_fn)(struct evs_crypto_engine *e, IMB_JOB *job, uint16_t i, void *arg);

/* Release builds submit without IPsec-MB's per-job validation (~230
 * instructions a job, more than the rest of ESP): every field is set here
 * from constants and a parsed, bounds-checked packet. Debug builds (the
 * ASan/UBSan CI) keep it, so a bad job is refused there, not run. DPDK's
 * aesni_mb PMD makes the same choice. */
#ifdef NDEBUG
#define CRYPTO_SUBMIT_BURST(mgr, n, jobs) IMB_SUBMIT_BURST_NOCHECK(mgr, n, jobs)
#else
#define CRYPTO_SUBMIT_BURST(mgr, n, jobs) IMB_SUBMIT_BURST(mgr, n, jobs)
#endif

/* Run a job for every index [0, n) whose status is 0, filled by @p fill,
 * with IPsec-MB's burst API (one call to get the jobs, one to submit them,
 * one to flush); a job that fails marks e->status[i]. Always inlined so
 * that each caller's @p fill (a constant) is inlined into the loop too. */
static __rte_always_inline void crypto_run(struct evs_crypto_engine *e, uint16_t n,
					   crypto_fill_fn fill, void *arg)
{
	IMB_MGR *mgr = e->mgr;
	IMB_JOB *jobs[CRYPTO_CHUNK];
	uint16_t idx[CRYPTO_CHUNK];
	uint32_t m = 0, got, done, j;

	RTE_BUILD_BUG_ON(CRYPTO_CHUNK > IMB_MAX_BURST_SIZE);
	for (uint16_t i = 0; i < n; i++)
		if (e->status[i] == 0)
			idx[m++] = i;
	if (m == 0)
		return;
	/* every chunk ends flushed: the manager always has room for one */
	got = IMB_GET_NEXT_BURST(mgr, m, jobs);
	for (j = got; j < m; j++)
		e->status[idx[j]] = 1 + EVS_ESP_DROP_ENGINE;
	for (j = 0; j < got; j++) {
		fill(e, jobs[j], idx[j], arg);
		jobs[j]->user_data = (void *)(uintptr_t)idx[j];
	}
	done = CRYPTO_SUBMIT_BURST(mgr, got, jobs);
	if (unlikely(done == 0 && got != 0 && imb_get_errno(mgr) != 0)) {
		/* a job was refused (validating builds): the burst did not run */
		for (j = 0; j < got; j++)
			e->status[idx[j]] = 1 + EVS_ESP_DROP_ENGINE;
		while (IMB_FLUSH_BURST(mgr, CRYPTO_CHUNK, jobs) != 0)
			;
		return;
	}
	for (j = 0; j < done; j++)
		crypto_job_done(e, jobs[j]);
	while (done < got) {
		uint32_t f = IMB_FLUSH_BURST(mgr, got - done, jobs);

		if (f == 0)
			break; /* nothing outstanding: cannot happen, but never spin */
		for (j = 0; j < f; j++)
			crypto_job_done(e, jobs[j]);
		done += f;
	}
}

/* Move rejected packets (e->status[i] != 0) behind the accepted ones,
 * keeping both orders; @p aux (may be NULL) moves along. Returns accepted. */
uint16_t crypto_compact(struct evs_crypto_engine *e, struct rte_mbuf **pkts, void **aux,
			uint16_t n);

/* After a chunk [end, ...) was compacted to [end, chunk_k) accepted: move
 * them behind the @p k accepted before, ahead of the rejects in [k, end).
 * Returns the new accepted count. */
uint16_t crypto_merge(struct rte_mbuf **pkts, void **aux, uint16_t k, uint16_t end,
		      uint16_t chunk_k);

/* Constant-time tag comparison. */
static inline int crypto_tag_differs(const uint8_t *a, const uint8_t *b)
{
	uint64_t x[2], y[2];

	RTE_BUILD_BUG_ON(EVS_ESP_ICV_LEN != sizeof(x));
	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	return ((x[0] ^ y[0]) | (x[1] ^ y[1])) != 0;
}

/* Grow or shrink a single-segment mbuf at its tail (room already checked;
 * rte_pktmbuf_append/trim walk the chain for the last segment). */
static inline void crypto_tail_adjust(struct rte_mbuf *m, int delta)
{
	m->data_len = (uint16_t)(m->data_len + delta);
	m->pkt_len = (uint32_t)((int64_t)m->pkt_len + delta);
}

/* Full IPv4 header checksum over @p hl bytes. */
uint16_t crypto_ipv4_cksum(const void *ip, unsigned int hl);

/* Set an IPv4 header's total length and protocol, updating its checksum
 * incrementally (RFC 1624: HC' = ~(~HC + ~m + m')). */
static inline void crypto_ipv4_set(void *ip, uint16_t len_be, uint8_t proto)
{
	uint16_t *w = (uint16_t *)ip, old_len = w[1], old_tp = w[4];
	uint8_t *b = (uint8_t *)ip;
	uint32_t sum;

	w[1] = len_be;
	b[9] = proto;
	sum = (uint16_t)~w[5] + (uint16_t)~old_len + (uint32_t)len_be + (uint16_t)~old_tp +
	      (uint32_t)w[4];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	w[5] = (uint16_t)~sum;
}

#endif /* EVS_CRYPTO_PRIVATE_H */
