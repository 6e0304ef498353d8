/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The load balancer's stages. "reply" (order 50) runs on the first pass at
 * ingress, before L2 picks the switch: replies come back on whatever path
 * the backend's host routes them, so they are recognised by their source
 * (a backend's address and port) wherever they enter. "vip" (order 150)
 * runs once L2 handed a frame to a router port (the working key's ldp names
 * the client's switch): a VIP is reached through the gateway.
 *
 * Both consult as little as they can: of an address that is no VIP (no
 * backend) only the prefix that tells it from every one of them, so
 * ordinary traffic keeps sharing megaflows.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>

#include "lb_private.h"

/* Leading bits @a and @b share (of @n bytes). */
static unsigned int common_bits(const uint8_t *a, const uint8_t *b, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n && a[i] == b[i]; i++)
		;
	if (i == n)
		return n * 8;
	return i * 8 + (unsigned int)__builtin_clz((unsigned int)(a[i] ^ b[i]) << 24);
}

/* OR the first @bits bits into @m. */
static void mask_prefix(uint8_t *m, unsigned int bits)
{
	unsigned int i;

	for (i = 0; i < bits / 8; i++)
		m[i] = 0xff;
	if (bits % 8)
		m[i] |= (uint8_t)(0xff << (8 - bits % 8));
}

/* The key's family: 4, 6, or 0 (not IP). Consults the ethertype. */
static int family(struct evs_xlate *x, const struct evs_flow_key *k)
{
	evs_xlate_mask(x)->bits.ethertype = UINT16_MAX;
	if (k->ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return 4;
	if (k->ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV6))
		return 6;
	return 0;
}

const struct evs_lb_dp *lb_dp_read(struct evs_xlate *x, const struct evs_lb_state *s)
{
	if (s == NULL)
		return NULL;
	/* recorded before the load: a publish after it bumps what we record */
	evs_xlate_depend(x, 0);
	/* acquire: pairs with the release store of the publish */
	return __atomic_load_n(&s->cur, __ATOMIC_ACQUIRE);
}

static bool vip_port_ok(const struct evs_lb_dp_vip *v, const struct evs_flow_key *k)
{
	return v->port == 0 || v->port == rte_be_to_cpu_16(k->l4_dst);
}

static bool served_in(const struct evs_lb_dp_vip *v, uint16_t ldp)
{
	for (unsigned int i = 0; i < v->n_ldps; i++)
		if (v->ldps[i] == ldp)
			return true;
	return false;
}

/* The VIP slot @k is for, or -1 (mask recorded either way). */
static int find_vip(struct evs_xlate *x, const struct evs_lb_dp *dp, const struct evs_flow_key *k,
		    bool v6)
{
	struct evs_flow_mask *m = evs_xlate_mask(x);
	unsigned int n = v6 ? 16 : 4, need = 0, i;
	bool addr_hit = false, need_port = false;
	int best = -1;

	for (i = 0; i < dp->n_vips; i++) {
		const struct evs_lb_dp_vip *v = &dp->vip[i];
		unsigned int cb;

		if (!v->used || !served_in(v, k->ldp) || v->v6 != v6)
			continue;
		cb = common_bits(k->dst_ip, v->addr, n);
		if (cb < n * 8) {
			need = RTE_MAX(need, cb + 1);
			continue;
		}
		addr_hit = true;
		need_port |= v->port != 0;
		if (v->proto == k->ip_proto && vip_port_ok(v, k) &&
		    (best < 0 || dp->vip[best].port == 0))
			best = (int)i;
	}
	if (!addr_hit) {
		mask_prefix(m->bits.dst_ip, need);
		return -1;
	}
	memset(m->bits.dst_ip, 0xff, n);
	m->bits.ip_proto = UINT8_MAX;
	if (need_port)
		m->bits.l4_dst = UINT16_MAX;
	return best;
}

/* flow.trace: the VIP and what a new connection of this flow would get now
 * (an established one follows its conntrack entry instead). */
static void trace_choice(struct evs_xlate *x, const struct evs_lb_dp *dp, int slot,
			 const struct evs_lb_state *s, const struct evs_flow_key *k)
{
	const struct evs_lb_dp_vip *v = &dp->vip[slot];
	bool affine;
	uint32_t id = lb_pick(dp, v, s->ct, k, evs_ct_now_ms(), false, &affine);
	char a[INET6_ADDRSTRLEN];
	char mode[INET6_ADDRSTRLEN + 8] = "";

	if (v->dsr)
		snprintf(mode, sizeof(mode), ", dsr");
	else if (v->snat && inet_ntop(v->v6 ? AF_INET6 : AF_INET, v->snat_addr, a, sizeof(a)))
		snprintf(mode, sizeof(mode), ", snat %s", a);
	snprintf(a, sizeof(a), "none");
	if (id != EVS_MAGLEV_NONE && id < EVS_LB_IDS)
		inet_ntop(v->v6 ? AF_INET6 : AF_INET, dp->backend[id].addr, a, sizeof(a));
	evs_xlate_why(x,
		      "VIP slot %d (%s, %u in table%s): lb, recirculate; new connection -> "
		      "backend %u %s port %u%s",
		      slot, evs_lb_algo_name(v->algo), v->n_active, mode,
		      id != EVS_MAGLEV_NONE ? id : 0, a, id < EVS_LB_IDS ? dp->backend[id].port : 0,
		      affine ? " (affinity)" : "");
}

static enum evs_stage_verdict lb_vip(struct evs_xlate *x, const void *state, void *lctx)
{
	const struct evs_flow_key *k = evs_xlate_wkey(x);
	const struct evs_lb_dp *dp;
	struct evs_lb_op_arg a = {.zone = EVS_LB_CT_ZONE};
	int fam, slot;

	RTE_SET_USED(lctx);
	/* the pass after our own DNAT: the destination is a backend now */
	if (k->recirc_id == EVS_LB_RECIRC || k->ldp == 0)
		return EVS_STAGE_CONTINUE;
	dp = lb_dp_read(x, state);
	if (dp == NULL || dp->n_vips == 0)
		return EVS_STAGE_CONTINUE;
	fam = family(x, k);
	if (fam == 0)
		return EVS_STAGE_CONTINUE;
	slot = find_vip(x, dp, k, fam == 6);
	if (slot < 0)
		return EVS_STAGE_CONTINUE;
	a.vip = (uint16_t)slot;
	if (evs_xlate_tracing(x))
		trace_choice(x, dp, slot, state, k);
	/* the opcode classifies the translated packets again itself */
	evs_xlate_emit(x, EVS_LB_OP_VIP, &a, sizeof(a));
	return EVS_STAGE_DONE;
}

/*
 * Is @k from a backend? (mask recorded either way) *@to_snat: it is sent
 * to the SNAT address of one of the backend's VIPs (then the destination
 * was consulted whole: the un-NATed reply must be routed again).
 */
static bool from_backend(struct evs_xlate *x, const struct evs_lb_dp *dp,
			 const struct evs_flow_key *k, bool v6, bool *to_snat)
{
	struct evs_flow_mask *m = evs_xlate_mask(x);
	unsigned int n = v6 ? 16 : 4, need = 0, id;
	bool addr_hit = false, need_port = false, hit = false, need_dst = false;

	for (id = 1; id <= dp->max_id; id++) {
		const struct evs_lb_dp_backend *b = &dp->backend[id];
		unsigned int cb;

		/* a DSR backend answers from the VIP, never through here */
		if (b->vip == UINT16_MAX || b->v6 != v6 || dp->vip[b->vip].dsr)
			continue;
		cb = common_bits(k->src_ip, b->addr, n);
		if (cb < n * 8) {
			need = RTE_MAX(need, cb + 1);
			continue;
		}
		addr_hit = true;
		need_port |= b->port != 0;
		hit |= dp->vip[b->vip].proto == k->ip_proto &&
		       (b->port == 0 || b->port == rte_be_to_cpu_16(k->l4_src));
		if (dp->vip[b->vip].snat) {
			need_dst = true;
			*to_snat |= memcmp(k->dst_ip, dp->vip[b->vip].snat_addr, n) == 0;
		}
	}
	if (!addr_hit) {
		mask_prefix(m->bits.src_ip, need);
		return false;
	}
	memset(m->bits.src_ip, 0xff, n);
	m->bits.ip_proto = UINT8_MAX;
	if (need_port)
		m->bits.l4_src = UINT16_MAX;
	if (need_dst)
		memset(m->bits.dst_ip, 0xff, n);
	*to_snat &= hit;
	return hit;
}

static enum evs_stage_verdict lb_reply(struct evs_xlate *x, const void *state, void *lctx)
{
	const struct evs_flow_key *k = evs_xlate_wkey(x);
	struct evs_lb_op_arg a = {.vip = UINT16_MAX, .zone = EVS_LB_CT_ZONE};
	const struct evs_lb_dp *dp;
	bool to_snat = false;
	int fam;

	RTE_SET_USED(lctx);
	/* once, at ingress: stages run again after every datapath hop */
	evs_xlate_mask(x)->bits.ldp = UINT16_MAX;
	if (k->recirc_id != 0 || k->ldp != 0)
		return EVS_STAGE_CONTINUE;
	dp = lb_dp_read(x, state);
	if (dp == NULL || dp->max_id == 0)
		return EVS_STAGE_CONTINUE;
	fam = family(x, k);
	if (fam == 0 || !from_backend(x, dp, k, fam == 6, &to_snat))
		return EVS_STAGE_CONTINUE;
	if (to_snat) {
		/* to our SNAT address: the client's address is known only once
		 * un-NATed, so the opcode classifies the packets again */
		a.recirc = EVS_LB_RECIRC_REPLY;
		evs_xlate_why(x, "from a backend to the SNAT address: lb_reply, recirculate");
		evs_xlate_emit(x, EVS_LB_OP_REPLY, &a, sizeof(a));
		return EVS_STAGE_DONE;
	}
	evs_xlate_why(x, "from a backend: lb_reply (un-NAT replies)");
	evs_xlate_emit(x, EVS_LB_OP_REPLY, &a, sizeof(a));
	return EVS_STAGE_CONTINUE;
}

const struct evs_stage lb_stages[LB_N_STAGES] = {
    {.name = "reply", .order = 50, .xlate = lb_reply},
    {.name = "vip", .order = 150, .xlate = lb_vip},
};
