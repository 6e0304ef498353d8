/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Denied-packet log: one single-producer ring per lcore (no lock, no
 * allocation on the datapath), a token bucket per lcore for the rate, and
 * a reader on the management lcore that merges the rings oldest first.
 */

#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_malloc.h>

#include "fw_private.h"

int fw_log_init(struct evs_fw *fw)
{
	uint32_t l;

	if (fw->cfg.log_rate == 0)
		fw->cfg.log_rate = 100;
	for (l = 0; l < fw->cfg.n_lcores; l++) {
		fw->lcores[l].log.e = rte_zmalloc_socket(
		    "evs_fw_log", sizeof(struct evs_fw_log_entry) * fw->cfg.log_size, 0,
		    fw->cfg.socket_id);
		if (fw->lcores[l].log.e == NULL)
			return -ENOMEM;
		fw->lcores[l].tokens = fw->cfg.log_rate;
	}
	return 0;
}

void fw_log_fini(struct evs_fw *fw)
{
	uint32_t l;

	if (fw->lcores == NULL)
		return;
	for (l = 0; l < fw->cfg.n_lcores; l++)
		rte_free(fw->lcores[l].log.e);
}

/* Refill the bucket (at most log_rate tokens) and take one. */
static bool take_token(const struct evs_fw *fw, struct fw_lcore *lc, uint64_t now)
{
	uint64_t per_token = fw->tsc_hz / fw->cfg.log_rate;
	uint64_t add = per_token != 0 ? (now - lc->tokens_tsc) / per_token : fw->cfg.log_rate;

	if (add != 0) {
		lc->tokens = (uint32_t)RTE_MIN((uint64_t)fw->cfg.log_rate, lc->tokens + add);
		lc->tokens_tsc = now;
	}
	if (lc->tokens == 0)
		return false;
	lc->tokens--;
	return true;
}

void fw_log_denied(struct evs_fw *fw, struct fw_lcore *lc, uint16_t port, enum evs_fw_dir dir,
		   const struct evs_flow_key *k, const struct evs_fw_verdict *v)
{
	struct fw_log_ring *r = &lc->log;
	uint64_t now = rte_get_tsc_cycles();
	/* Relaxed own index; acquire on the reader's: its copy finished before reuse. */
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	struct evs_fw_log_entry *e;

	if (!take_token(fw, lc, now)) {
		lc->counters[EVS_FW_C_LOG_SUPPRESSED]++;
		return;
	}
	if (head - tail == fw->cfg.log_size) {
		lc->counters[EVS_FW_C_LOG_OVERFLOW]++;
		return;
	}
	e = &r->e[head & (fw->cfg.log_size - 1)];
	e->time_ns = now; /* converted to wall time by the reader */
	e->rule_id = v->rule_id;
	e->port = port;
	e->dir = (uint8_t)dir;
	e->action = v->action;
	e->af = k->ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV4) ? 4 : 6;
	e->proto = k->ip_proto;
	e->sport = rte_be_to_cpu_16(k->l4_src);
	e->dport = rte_be_to_cpu_16(k->l4_dst);
	memcpy(e->src, k->src_ip, 16);
	memcpy(e->dst, k->dst_ip, 16);
	/* Release: the entry is written before the reader sees the index. */
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
}

uint32_t evs_fw_log_read(struct evs_fw *fw, struct evs_fw_log_entry *out, uint32_t max)
{
	uint32_t got = 0, l;

	while (got < max) {
		struct fw_log_ring *oldest = NULL;
		const struct evs_fw_log_entry *oe = NULL;

		for (l = 0; l < fw->cfg.n_lcores; l++) {
			struct fw_log_ring *r = &fw->lcores[l].log;
			uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
			/* Acquire pairs with the writer's release of head. */
			uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
			const struct evs_fw_log_entry *e;

			if (head == tail)
				continue;
			e = &r->e[tail & (fw->cfg.log_size - 1)];
			if (oe == NULL || e->time_ns < oe->time_ns) {
				oldest = r;
				oe = e;
			}
		}
		if (oldest == NULL)
			break;
		out[got] = *oe;
		out[got].time_ns = fw->wall0_ns + (uint64_t)((double)(oe->time_ns - fw->tsc0) *
							     1e9 / (double)fw->tsc_hz);
		got++;
		/* Release: the copy is done before the writer may reuse the slot. */
		atomic_store_explicit(&oldest->tail,
				      atomic_load_explicit(&oldest->tail, memory_order_relaxed) + 1,
				      memory_order_release);
	}
	return got;
}
