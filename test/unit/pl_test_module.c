/* SPDX-License-Identifier: BSD-3-Clause */
/* tmod: a module that uses every kind of opcode (see pl_test.h). */

#include <stdio.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>

#include "pl_test.h"

unsigned int tmod_punted;
unsigned int tmod_last_code;

static const struct rte_ether_addr tmod_mac = {{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee}};

enum { TMOD_OP_SELECT, TMOD_OP_MAX };

struct select_arg {
	uint16_t base;
};

/* Per packet (stateful, never cached): the output depends on the source. */
static uint16_t op_select(struct evs_exec *x, const void *arg, struct rte_mbuf **pkts,
			  struct evs_flow_key *keys, uint16_t n)
{
	const struct select_arg *a = arg;
	uint16_t i;

	for (i = 0; i < n; i++) {
		keys[i].dp_hash = keys[i].src_ip[3];
		evs_exec_tx(x, (uint16_t)(a->base + (keys[i].dp_hash & 1)), &pkts[i], 1);
	}
	return 0;
}

static int fmt_select(const void *arg, char *buf, size_t len)
{
	return snprintf(buf, len, "base=%u", ((const struct select_arg *)arg)->base);
}

static const struct evs_opcode tmod_ops[TMOD_OP_MAX] = {
    [TMOD_OP_SELECT] = {.name = "select",
			.arg_size = sizeof(struct select_arg),
			.exec = op_select,
			.format = fmt_select},
};

static enum evs_stage_verdict tmod_stage(struct evs_xlate *x, const void *state, void *lctx)
{
	const struct tmod_state *s = state;
	const struct evs_flow_key *k = evs_xlate_wkey(x);
	struct evs_flow_mask *m = evs_xlate_mask(x);
	uint16_t sel;

	(void)lctx;
	m->bits.ethertype = UINT16_MAX;
	if (k->ethertype != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return EVS_STAGE_CONTINUE;
	m->bits.ip_proto = UINT8_MAX;
	if (k->ip_proto != IPPROTO_UDP)
		return EVS_STAGE_CONTINUE;
	m->bits.l4_dst = UINT16_MAX;
	sel = (uint16_t)(rte_be_to_cpu_16(k->l4_dst) - TMOD_PORT_BASE);
	if (sel >= 9)
		return EVS_STAGE_CONTINUE;
	m->bits.ldp = UINT16_MAX;
	if (k->ldp == 2) {
		/* the second logical datapath: a per-packet choice */
		struct select_arg a = {.base = 4};

		evs_xlate_why(x, "ldp 2: select from port 4");
		evs_xlate_emit(x, TMOD_OP_SELECT, &a, sizeof(a));
		return EVS_STAGE_DONE;
	}
	switch (sel) {
	case 0: {
		unsigned int e = k->dst_ip[3] % TMOD_TABLE;

		m->bits.dst_ip[3] = 0xff;
		evs_xlate_depend(x, e);
		evs_xlate_why(x, "entry %u: port %u", e, s->port_of[e]);
		evs_xlate_output(x, s->port_of[e]);
		break;
	}
	case 1:
		evs_xlate_output_in_port(x);
		break;
	case 2:
		evs_xlate_set_field(x, EVS_FIELD_DST_MAC, &tmod_mac);
		evs_xlate_output(x, 1);
		break;
	case 3:
		evs_xlate_set_vlan(x, EVS_VLAN_PRESENT | 100);
		evs_xlate_output(x, 2);
		break;
	case 4:
		evs_xlate_punt(x, 7);
		break;
	case 5:
		m->bits.ct_mark = UINT32_MAX;
		if (k->recirc_id == 1 && k->ct_mark == 5) {
			evs_xlate_why(x, "second pass");
			evs_xlate_output(x, 3);
		} else {
			uint32_t mark = 5;

			evs_xlate_why(x, "first pass: mark and recirculate");
			evs_xlate_set_field(x, EVS_FIELD_CT_MARK, &mark);
			evs_xlate_recirculate(x, 1);
		}
		break;
	case 6:
		evs_xlate_recirculate(x, 2);
		break;
	case 8: /* a decision that read the whole table */
		for (unsigned int e = 0; e < TMOD_TABLE; e++)
			evs_xlate_depend(x, e);
		evs_xlate_output(x, s->port_of[k->dst_ip[3] % TMOD_TABLE]);
		m->bits.dst_ip[3] = 0xff;
		break;
	default: /* 7 */
		evs_xlate_goto_ldp(x, 2);
		/* the same stage again, in the other datapath */
		return tmod_stage(x, state, lctx);
	}
	return EVS_STAGE_DONE;
}

static const struct evs_stage tmod_stages[] = {
    {.name = "tmod", .order = 50, .xlate = tmod_stage},
};

static const char *const tmod_drop_names[TMOD_DROP_MAX] = {
    [TMOD_DROP_NONE_LEFT] = "tmod_unused",
};

static void tmod_punt(void *arg, struct rte_mbuf *m, uint16_t code)
{
	(void)arg;
	tmod_punted++;
	tmod_last_code = code;
	rte_pktmbuf_free(m);
}

const struct evs_module tmod_module = {
    .name = "tmod",
    .stages = tmod_stages,
    .n_stages = RTE_DIM(tmod_stages),
    .opcodes = tmod_ops,
    .n_opcodes = TMOD_OP_MAX,
    .n_deps = TMOD_TABLE,
    .drop_names = tmod_drop_names,
    .n_drops = TMOD_DROP_MAX,
    .punt = tmod_punt,
};
