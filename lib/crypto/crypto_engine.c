/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Engines: one IPsec-MB manager per lcore, the job loop (submit every job
 * of a chunk, handle what comes back, then flush), and raw AES-GCM bursts.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_malloc.h>

#include "crypto_private.h"

/* Engine counter slots in use; engines come and go on the management lcore
 * or at start-up, so a mutex is fine here. */
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t slots_used;

static int slot_take(void)
{
	int slot = -ENOSPC;

	RTE_BUILD_BUG_ON(EVS_CRYPTO_MAX_ENGINES > 64); /* one bit each in slots_used */
	pthread_mutex_lock(&slot_lock);
	for (unsigned int i = 0; i < EVS_CRYPTO_MAX_ENGINES; i++) {
		if (!(slots_used & (1ull << i))) {
			slots_used |= 1ull << i;
			slot = (int)i;
			break;
		}
	}
	pthread_mutex_unlock(&slot_lock);
	return slot;
}

static void slot_put(unsigned int slot)
{
	pthread_mutex_lock(&slot_lock);
	slots_used &= ~(1ull << slot);
	pthread_mutex_unlock(&slot_lock);
}

struct evs_crypto_engine *evs_crypto_engine_create(void)
{
	struct evs_crypto_engine *e;
	IMB_ARCH arch = IMB_ARCH_NONE;
	int slot, err;

	slot = slot_take();
	if (slot < 0) {
		errno = -slot;
		return NULL;
	}
	e = rte_zmalloc("evs_crypto_engine", sizeof(*e), RTE_CACHE_LINE_SIZE);
	if (e == NULL) {
		err = ENOMEM;
		goto fail_slot;
	}
	e->slot = (unsigned int)slot;
	e->mgr = alloc_mb_mgr(0);
	if (e->mgr == NULL) {
		err = ENOMEM;
		goto fail_engine;
	}
	init_mb_mgr_auto(e->mgr, &arch);
	if (arch == IMB_ARCH_NONE || imb_get_errno(e->mgr) != 0) {
		err = ENOTSUP;
		goto fail_mgr;
	}
	return e;

fail_mgr:
	free_mb_mgr(e->mgr);
fail_engine:
	rte_free(e);
fail_slot:
	slot_put((unsigned int)slot);
	errno = err;
	return NULL;
}

void evs_crypto_engine_free(struct evs_crypto_engine *e)
{
	if (e == NULL)
		return;
	free_mb_mgr(e->mgr);
	slot_put(e->slot);
	rte_free(e);
}

const char *evs_crypto_engine_arch(const struct evs_crypto_engine *e)
{
	switch (e->mgr->used_arch) {
	case IMB_ARCH_NOAESNI:
		return "NOAESNI";
	case IMB_ARCH_SSE:
		return "SSE";
	case IMB_ARCH_AVX:
		return "AVX";
	case IMB_ARCH_AVX2:
		return "AVX2";
	case IMB_ARCH_AVX512:
		return "AVX512";
	default:
		return "none";
	}
}

void evs_crypto_engine_stats_get(const struct evs_crypto_engine *e,
				 struct evs_crypto_engine_stats *out)
{
	out->no_sa = __atomic_load_n(&e->no_sa, __ATOMIC_RELAXED);
}

static void reverse(void **a, uint16_t lo, uint16_t hi)
{
	while (hi > lo + 1) {
		void *t = a[lo];

		hi--;
		a[lo] = a[hi];
		a[hi] = t;
		lo++;
	}
}

uint16_t crypto_compact(struct evs_crypto_engine *e, struct rte_mbuf **pkts, void **aux, uint16_t n)
{
	struct rte_mbuf *rej[CRYPTO_CHUNK];
	void *rej_aux[CRYPTO_CHUNK];
	uint16_t k = 0, r = 0;

	for (uint16_t i = 0; i < n; i++) {
		if (e->status[i] == 0) {
			pkts[k] = pkts[i];
			if (aux != NULL)
				aux[k] = aux[i];
			k++;
		} else {
			rej[r] = pkts[i];
			if (aux != NULL)
				rej_aux[r] = aux[i];
			r++;
		}
	}
	if (r == 0)
		return k;
	memcpy(&pkts[k], rej, sizeof(rej[0]) * r);
	if (aux != NULL)
		memcpy(&aux[k], rej_aux, sizeof(rej_aux[0]) * r);
	return k;
}

uint16_t crypto_merge(struct rte_mbuf **pkts, void **aux, uint16_t k, uint16_t end,
		      uint16_t chunk_k)
{
	/* [0,k) accepted, [k,end) rejected earlier, [end,chunk_k) accepted now:
	 * rotate the middle two blocks by three reversals. */
	if (k == end || chunk_k == end)
		return (uint16_t)(k + (chunk_k - end)); /* nothing to rotate */
	reverse((void **)pkts, k, end);
	reverse((void **)pkts, end, chunk_k);
	reverse((void **)pkts, k, chunk_k);
	if (aux != NULL) {
		reverse(aux, k, end);
		reverse(aux, end, chunk_k);
		reverse(aux, k, chunk_k);
	}
	return (uint16_t)(k + (chunk_k - end));
}

struct gcm_args {
	const struct evs_sa *sa;
	bool encrypt;
	const struct evs_gcm_op *ops;
};

static void gcm_fill(struct evs_crypto_engine *e, IMB_JOB *job, uint16_t i, void *arg)
{
	const struct gcm_args *a = arg;
	const struct evs_gcm_op *op = &a->ops[i];

	RTE_SET_USED(e);
	crypto_job_fill(job, a->sa, a->encrypt, op->nonce, op->aad, op->aad_len, op->dst, op->len,
			op->tag);
	job->src = op->src;
}

uint16_t evs_gcm_burst(struct evs_crypto_engine *e, const struct evs_sa *sa, bool encrypt,
		       const struct evs_gcm_op *ops, uint16_t n)
{
	uint16_t done = 0;

	for (uint16_t off = 0; off < n; off += CRYPTO_CHUNK) {
		uint16_t len = RTE_MIN((uint16_t)(n - off), (uint16_t)CRYPTO_CHUNK);
		struct gcm_args a = {.sa = sa, .encrypt = encrypt, .ops = ops + off};

		memset(e->status, 0, len);
		crypto_run(e, len, gcm_fill, &a);
		for (uint16_t i = 0; i < len; i++)
			done += e->status[i] == 0;
	}
	return done;
}

uint16_t crypto_ipv4_cksum(const void *ip, unsigned int hl)
{
	return (uint16_t)~rte_raw_cksum(ip, hl);
}
