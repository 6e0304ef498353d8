/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The executor: a program runs over the packets of one megaflow, one call
 * per opcode; and the engine's own opcodes (output, drop, rewrites, punt,
 * recirculate). Per packet work only; no locks, no allocation but copies.
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pipeline_private.h"

const void *evs_exec_state(const struct evs_exec *x)
{
	return x->mod == ENGINE_MOD ? NULL : x->st->mod[x->mod];
}

void *evs_exec_lcore(const struct evs_exec *x)
{
	return x->mod == ENGINE_MOD ? NULL : x->pl->mctx[x->mod];
}

bool evs_exec_tracing(const struct evs_exec *x)
{
	return x->tracing;
}

struct rte_mempool *evs_exec_pool(const struct evs_exec *x)
{
	return x->pl->pool;
}

/* Append to the trace result (tracing only). */
static void __attribute__((format(printf, 2, 3))) note(struct evs_exec *x, const char *fmt, ...)
{
	size_t used = strnlen(x->result, x->result_len);
	va_list ap;

	if (used != 0 && used + 2 < x->result_len) {
		memcpy(x->result + used, ", ", 3);
		used += 2;
	}
	if (used + 1 >= x->result_len)
		return;
	va_start(ap, fmt);
	vsnprintf(x->result + used, x->result_len - used, fmt, ap);
	va_end(ap);
}

static void free_bulk(struct rte_mbuf **pkts, uint16_t n)
{
	if (n != 0)
		rte_pktmbuf_free_bulk(pkts, n);
}

void evs_exec_tx(struct evs_exec *x, uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t sent;

	if (n == 0)
		return;
	if (unlikely(x->tracing)) {
		note(x, "output port=%u", port);
		free_bulk(pkts, n);
		return;
	}
	sent = x->pl->tx(x->pl->tx_arg, port, pkts, n);
	if (unlikely(sent < n)) {
		free_bulk(pkts + sent, n - sent);
		drop_count(x->pl, ENGINE_DROP_NO_PORT, n - sent);
	}
}

static void drop_global(struct evs_exec *x, uint16_t reason, struct rte_mbuf **pkts, uint16_t n)
{
	if (unlikely(x->tracing))
		note(x, "drop %s", evs_registry_drop_name(x->pl->reg, reason));
	free_bulk(pkts, n);
	drop_count(x->pl, reason, n);
}

/* Global id of the executing module's local drop @reason. */
static uint16_t global_drop(const struct evs_exec *x, uint16_t reason)
{
	const struct evs_registry *reg = x->pl->reg;

	if (x->mod != ENGINE_MOD && reason < reg->mods[x->mod]->n_drops)
		return (uint16_t)(reg->drop_base[x->mod] + reason);
	return ENGINE_DROP_NONE;
}

void evs_exec_drop(struct evs_exec *x, uint16_t reason, struct rte_mbuf **pkts, uint16_t n)
{
	drop_global(x, global_drop(x, reason), pkts, n);
}

void evs_exec_drop_count(struct evs_exec *x, uint16_t reason, uint16_t n)
{
	reason = global_drop(x, reason);
	if (unlikely(x->tracing))
		note(x, "drop %s", evs_registry_drop_name(x->pl->reg, reason));
	drop_count(x->pl, reason, n);
}

/* ---- engine opcodes ---- */

static uint16_t op_output(struct evs_exec *x, const void *arg, struct rte_mbuf **pkts,
			  struct evs_flow_key *keys, uint16_t n)
{
	const struct op_output *a = arg;

	(void)keys;
	evs_exec_tx(x, a->port, pkts, n);
	return 0;
}

static uint16_t op_output_in_port(struct evs_exec *x, const void *arg, struct rte_mbuf **pkts,
				  struct evs_flow_key *keys, uint16_t n)
{
	uint16_t i, start = 0;

	(void)arg;
	/* one tx call per run of packets from the same port */
	for (i = 1; i <= n; i++)
		if (i == n || keys[i].in_port != keys[start].in_port) {
			evs_exec_tx(x, keys[start].in_port, pkts + start, i - start);
			start = i;
		}
	return 0;
}

static uint16_t op_drop(struct evs_exec *x, const void *arg, struct rte_mbuf **pkts,
			struct evs_flow_key *keys, uint16_t n)
{
	const struct op_drop *a = arg;

	(void)keys;
	drop_global(x, a->reason, pkts, n);
	return 0;
}

static uint16_t op_set_vlan(struct evs_exec *x, const void *arg, struct rte_mbuf **pkts,
			    struct evs_flow_key *keys, uint16_t n)
{
	const struct op_set_vlan *a = arg;
	uint16_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (unlikely(evs_packet_vlan_encode(pkts[i], keys[i].vlan_tci, a->tci) < 0)) {
			drop_global(x, ENGINE_DROP_NO_MBUF, &pkts[i], 1);
			continue;
		}
		keys[i].vlan_tci =
		    a->tci == 0 ? 0 : (uint16_t)((keys[i].vlan_tci & EVS_VLAN_PCP_MASK) | a->tci);
		pkts[k] = pkts[i];
		keys[k++] = keys[i];
	}
	return k;
}

static uint16_t op_set_field(struct evs_exec *x, const void *arg, struct rte_mbuf **pkts,
			     struct evs_flow_key *keys, uint16_t n)
{
	const struct op_set_field *a = arg;
	const struct evs_flow_field_info *fi = evs_flow_field_info(a->field);
	bool frame = a->field == EVS_FIELD_DST_MAC || a->field == EVS_FIELD_SRC_MAC;
	uint16_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (frame) {
			struct rte_mbuf *m = pkts[i];
			uint8_t *eh;

			/* the header is written in place: the data must be ours */
			if (unlikely(!RTE_MBUF_DIRECT(m) || rte_mbuf_refcnt_read(m) != 1 ||
				     rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN)) {
				drop_global(x, ENGINE_DROP_NO_MBUF, &pkts[i], 1);
				continue;
			}
			eh = rte_pktmbuf_mtod(m, uint8_t *);
			memcpy(eh + (a->field == EVS_FIELD_DST_MAC ? 0 : RTE_ETHER_ADDR_LEN),
			       a->val, RTE_ETHER_ADDR_LEN);
		}
		memcpy((uint8_t *)&keys[i] + fi->offset, a->val, a->size);
		pkts[k] = pkts[i];
		keys[k++] = keys[i];
	}
	return k;
}

/* Punt @n packets for module @mod with @code and @aux; consumes them. */
static void punt_burst(struct evs_exec *x, uint8_t mod, uint16_t code, uint32_t aux,
		       struct rte_mbuf **pkts, const struct evs_flow_key *keys, uint16_t n)
{
	struct evs_pipeline_lcore *pl = x->pl;
	unsigned int sent = 0;
	uint16_t i;

	if (unlikely(x->tracing)) {
		note(x, "punt code=%u", code);
		free_bulk(pkts, n);
		return;
	}
	for (i = 0; i < n; i++) {
		/* the handler learns who punted and why from the mbuf */
		pkts[i]->hash.usr = (uint32_t)mod << 16 | code;
		pkts[i]->hash.fdir.hi = aux;
		pkts[i]->port = keys[i].in_port;
	}
	if (pl->punt_ring != NULL)
		sent = rte_ring_mp_enqueue_burst(pl->punt_ring, (void **)pkts, n, NULL);
	if (sent != 0)
		ctr_add(&pl->st.punted, sent);
	if (unlikely(sent < n))
		drop_global(x, ENGINE_DROP_PUNT_FULL, pkts + sent, (uint16_t)(n - sent));
}

void evs_exec_punt(struct evs_exec *x, uint16_t code, uint32_t aux, struct rte_mbuf **pkts,
		   const struct evs_flow_key *keys, uint16_t n)
{
	if (n == 0)
		return;
	if (unlikely(x->mod == ENGINE_MOD)) {
		drop_global(x, ENGINE_DROP_PUNT_FULL, pkts, n);
		return;
	}
	punt_burst(x, x->mod, code, aux, pkts, keys, n);
}

static uint16_t op_punt(struct evs_exec *x, const void *arg, struct rte_mbuf **pkts,
			struct evs_flow_key *keys, uint16_t n)
{
	const struct op_punt *a = arg;

	punt_burst(x, a->mod, a->code, a->aux, pkts, keys, n);
	return 0;
}

static uint16_t op_recirc(struct evs_exec *x, const void *arg, struct rte_mbuf **pkts,
			  struct evs_flow_key *keys, uint16_t n)
{
	const struct op_recirc *a = arg;
	struct evs_pipeline_lcore *pl = x->pl;
	uint16_t i;

	/* the queue holds one pass of one chunk; copies could exceed it */
	if (unlikely(x->depth >= EVS_RECIRC_MAX_DEPTH ||
		     pl->n_recirc + n > RTE_DIM(pl->recirc_pkts))) {
		drop_global(x, ENGINE_DROP_RECIRC_DEPTH, pkts, n);
		return 0;
	}
	if (unlikely(x->tracing))
		note(x, "recirculate id=%u", a->recirc_id);
	for (i = 0; i < n; i++) {
		keys[i].recirc_id = a->recirc_id;
		pl->recirc_pkts[pl->n_recirc] = pkts[i];
		pl->recirc_keys[pl->n_recirc++] = keys[i];
	}
	return 0;
}

static int fmt_output(const void *arg, char *buf, size_t len)
{
	return snprintf(buf, len, "port=%u", ((const struct op_output *)arg)->port);
}

static int fmt_drop(const void *arg, char *buf, size_t len)
{
	return snprintf(buf, len, "reason=%u", ((const struct op_drop *)arg)->reason);
}

static int fmt_set_vlan(const void *arg, char *buf, size_t len)
{
	uint16_t tci = ((const struct op_set_vlan *)arg)->tci;

	return tci == 0 ? snprintf(buf, len, "untagged")
			: snprintf(buf, len, "vid=%u", tci & EVS_VLAN_VID_MASK);
}

static int fmt_set_field(const void *arg, char *buf, size_t len)
{
	const struct op_set_field *a = arg;
	const struct evs_flow_field_info *fi = evs_flow_field_info(a->field);
	struct evs_flow_key k;
	struct evs_flow_mask m;

	memset(&k, 0, sizeof(k));
	evs_flow_mask_zero(&m);
	if (fi == NULL)
		return snprintf(buf, len, "?");
	memcpy((uint8_t *)&k + fi->offset, a->val, a->size);
	memset((uint8_t *)&m.bits + fi->offset, 0xff, a->size);
	return evs_flow_format(&k, &m, buf, len);
}

static int fmt_punt(const void *arg, char *buf, size_t len)
{
	const struct op_punt *a = arg;

	return a->aux != 0 ? snprintf(buf, len, "code=%u,aux=%u", a->code, a->aux)
			   : snprintf(buf, len, "code=%u", a->code);
}

static int fmt_recirc(const void *arg, char *buf, size_t len)
{
	return snprintf(buf, len, "id=%u", ((const struct op_recirc *)arg)->recirc_id);
}

const struct evs_opcode engine_ops[ENGINE_OP_MAX] = {
    [ENGINE_OP_OUTPUT] = {"output", sizeof(struct op_output), op_output, fmt_output},
    [ENGINE_OP_OUTPUT_IN_PORT] = {"output_in_port", 0, op_output_in_port, NULL},
    [ENGINE_OP_DROP] = {"drop", sizeof(struct op_drop), op_drop, fmt_drop},
    [ENGINE_OP_SET_VLAN] = {"set_vlan", sizeof(struct op_set_vlan), op_set_vlan, fmt_set_vlan},
    [ENGINE_OP_SET_FIELD] = {"set_field", sizeof(struct op_set_field), op_set_field, fmt_set_field},
    [ENGINE_OP_PUNT] = {"punt", sizeof(struct op_punt), op_punt, fmt_punt},
    [ENGINE_OP_RECIRC] = {"recirculate", sizeof(struct op_recirc), op_recirc, fmt_recirc},
};

const char *const engine_drop_names[ENGINE_DROP_MAX] = {
    [ENGINE_DROP_NONE] = "none",
    [ENGINE_DROP_NO_PROGRAM] = "no_action",
    [ENGINE_DROP_PROG_FULL] = "program_full",
    [ENGINE_DROP_RECIRC_DEPTH] = "recirc_depth",
    [ENGINE_DROP_PUNT_FULL] = "punt_full",
    [ENGINE_DROP_NO_PORT] = "no_port",
    [ENGINE_DROP_NO_MBUF] = "no_mbuf",
    [ENGINE_DROP_LDP_LOOP] = "ldp_loop",
    [ENGINE_DROP_REPARSE] = "recirc_bad_packet",
    [ENGINE_DROP_INJECT_FULL] = "inject_full",
    [ENGINE_DROP_INJECT_BAD] = "inject_bad_packet",
};

void exec_prog(struct evs_exec *x, const struct prog_hdr *prog, struct rte_mbuf **pkts,
	       struct evs_flow_key *keys, uint16_t n)
{
	const struct evs_registry *reg = x->pl->reg;
	const struct prog_op *o = prog_first_op(prog);
	unsigned int i;

	for (i = 0; i < prog->n_ops && n != 0; i++, o = prog_next_op(o)) {
		const struct reg_op *ro = &reg->ops[o->id];

		x->mod = ro->mod;
		n = ro->op->exec(x, o->arg, pkts, keys, n);
	}
	x->mod = ENGINE_MOD;
	if (unlikely(n != 0))
		drop_global(x, ENGINE_DROP_NO_PROGRAM, pkts, n);
}
