/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compile one group into rte_acl contexts. A rule's address sides expand
 * into CIDR lists (address set members, tagged ports' addresses) and the
 * rule into their cross product, every copy carrying the rule's rank as
 * ACL priority (rte_acl leaves equal priorities unordered) and its index
 * as userdata. The classifier reads the flow key in place.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_malloc.h>

#include "fw_private.h"

/* IPv4: proto, src, dst, ports, remote tags; IPv6: proto, src and dst as 4
 * words each, ports, remote tags (the key's tun_opt_flags: a rule's
 * remote_tag is one bit of it, masked; any other rule leaves it wild). */
enum { F4_PROTO, F4_SRC, F4_DST, F4_SPORT, F4_DPORT, F4_TAGS, F4_NUM };
enum {
	F6_PROTO,
	F6_SRC0,
	F6_DST0 = F6_SRC0 + 4,
	F6_SPORT = F6_DST0 + 4,
	F6_DPORT,
	F6_TAGS,
	F6_NUM
};

RTE_ACL_RULE_DEF(fw_acl_rule, F6_NUM);

#define KOFF(f) ((uint32_t)offsetof(struct evs_flow_key, f))

static const struct rte_acl_field_def defs4[F4_NUM] = {
    {RTE_ACL_FIELD_TYPE_BITMASK, 1, F4_PROTO, 0, KOFF(ip_proto)},
    {RTE_ACL_FIELD_TYPE_MASK, 4, F4_SRC, 1, KOFF(src_ip)},
    {RTE_ACL_FIELD_TYPE_MASK, 4, F4_DST, 2, KOFF(dst_ip)},
    {RTE_ACL_FIELD_TYPE_RANGE, 2, F4_SPORT, 3, KOFF(l4_src)},
    {RTE_ACL_FIELD_TYPE_RANGE, 2, F4_DPORT, 3, KOFF(l4_dst)},
    {RTE_ACL_FIELD_TYPE_BITMASK, 4, F4_TAGS, 4, KOFF(tun_opt_flags)},
};

static struct rte_acl_field_def defs6[F6_NUM];

static void defs6_init(void)
{
	uint32_t i;

	defs6[F6_PROTO] = defs4[F4_PROTO];
	for (i = 0; i < 4; i++) {
		defs6[F6_SRC0 + i] =
		    (struct rte_acl_field_def){RTE_ACL_FIELD_TYPE_MASK, 4, (uint8_t)(F6_SRC0 + i),
					       (uint8_t)(1 + i), KOFF(src_ip) + 4 * i};
		defs6[F6_DST0 + i] =
		    (struct rte_acl_field_def){RTE_ACL_FIELD_TYPE_MASK, 4, (uint8_t)(F6_DST0 + i),
					       (uint8_t)(5 + i), KOFF(dst_ip) + 4 * i};
	}
	defs6[F6_SPORT] =
	    (struct rte_acl_field_def){RTE_ACL_FIELD_TYPE_RANGE, 2, F6_SPORT, 9, KOFF(l4_src)};
	defs6[F6_DPORT] =
	    (struct rte_acl_field_def){RTE_ACL_FIELD_TYPE_RANGE, 2, F6_DPORT, 9, KOFF(l4_dst)};
	defs6[F6_TAGS] = (struct rte_acl_field_def){RTE_ACL_FIELD_TYPE_BITMASK, 4, F6_TAGS, 10,
						    KOFF(tun_opt_flags)};
}

/* Working set of one build. */
struct build {
	struct evs_fw *fw;
	struct fw_acl_rule *acl[EVS_FW_DIR_MAX][FW_AF_MAX];
	uint32_t n_acl[EVS_FW_DIR_MAX][FW_AF_MAX];
	uint32_t cap[EVS_FW_DIR_MAX][FW_AF_MAX];
	struct evs_fw_cidr *src, *dst; /* expansion scratch */
	uint32_t max_side;
};

/* Append the CIDRs @a stands for to @out (at most @max); returns the count. */
static uint32_t expand(const struct evs_fw *fw, const struct evs_fw_addr *a,
		       struct evs_fw_cidr *out, uint32_t max)
{
	uint32_t n = 0, i, k;

	switch (a->kind) {
	case EVS_FW_ADDR_ANY:
		out[n++] = (struct evs_fw_cidr){.af = 4};
		out[n++] = (struct evs_fw_cidr){.af = 6};
		break;
	case EVS_FW_ADDR_CIDR:
		out[n++] = a->cidr;
		break;
	case EVS_FW_ADDR_SET:
		for (i = 0; i < fw->cfg.max_addrsets; i++) {
			const struct fw_addrset *as = &fw->addrsets[i];

			if (!as->used || strcmp(as->name, a->name) != 0)
				continue;
			for (k = 0; k < as->n && n < max; k++)
				out[n++] = as->cidrs[k];
		}
		break;
	case EVS_FW_ADDR_TAG:
		for (i = 0; i < fw->cfg.max_ports; i++) {
			const struct evs_fw_port_conf *pc = &fw->ports[i].conf;

			for (k = 0; k < pc->n_tags; k++)
				if (strcmp(pc->tags[k], a->name) == 0)
					break;
			if (k == pc->n_tags)
				continue;
			for (k = 0; k < pc->n_addrs && n < max; k++)
				out[n++] = pc->addrs[k];
		}
		break;
	}
	return n;
}

static uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* rte_acl takes rule values in host order and reads packets in network order. */
static void set_prefix(struct rte_acl_field *f, const struct evs_fw_cidr *c, uint32_t words)
{
	uint32_t i;

	for (i = 0; i < words; i++) {
		uint32_t bits = c->plen > 32 * i ? c->plen - 32 * i : 0;

		f[i].value.u32 = be32_at(c->addr + 4 * i);
		f[i].mask_range.u32 = bits > 32 ? 32 : bits;
	}
}

static int emit(struct build *b, const struct evs_fw_rule *r, uint32_t userdata, int32_t prio,
		const struct evs_fw_cidr *s, const struct evs_fw_cidr *d, uint32_t tag_bit)
{
	enum fw_af af = s->af == 4 ? FW_V4 : FW_V6;
	uint32_t *n = &b->n_acl[r->dir][af];
	struct fw_acl_rule *a;
	uint32_t sp, dp, tf;

	if (*n == b->fw->cfg.max_acl_rules)
		return -E2BIG;
	if (*n == b->cap[r->dir][af]) {
		uint32_t cap = *n != 0 ? 2 * *n : 64;
		void *grown = realloc(b->acl[r->dir][af], sizeof(*a) * cap);

		if (grown == NULL)
			return -ENOMEM;
		b->acl[r->dir][af] = grown;
		b->cap[r->dir][af] = cap;
	}
	a = &b->acl[r->dir][af][(*n)++];
	memset(a, 0, sizeof(*a));
	a->data.category_mask = 1;
	a->data.priority = prio;
	a->data.userdata = userdata;
	a->field[0].value.u8 = r->proto;
	a->field[0].mask_range.u8 = r->proto != 0 ? 0xff : 0;
	if (af == FW_V4) {
		set_prefix(&a->field[F4_SRC], s, 1);
		set_prefix(&a->field[F4_DST], d, 1);
		sp = F4_SPORT;
		dp = F4_DPORT;
		tf = F4_TAGS;
	} else {
		set_prefix(&a->field[F6_SRC0], s, 4);
		set_prefix(&a->field[F6_DST0], d, 4);
		sp = F6_SPORT;
		dp = F6_DPORT;
		tf = F6_TAGS;
	}
	a->field[sp].value.u16 = r->sport_lo;
	a->field[sp].mask_range.u16 = r->sport_hi;
	a->field[dp].value.u16 = r->dport_lo;
	a->field[dp].mask_range.u16 = r->dport_hi;
	/* (tun_opt_flags & mask) == value; 0/0 for a rule without remote_tag.
	 * The key's word is in host order and rte_acl reads network order. */
	a->field[tf].value.u32 = rte_cpu_to_be_32(tag_bit);
	a->field[tf].mask_range.u32 = rte_cpu_to_be_32(tag_bit);
	return 0;
}

static int rule_emit(struct build *b, const struct evs_fw_rule *r, uint32_t userdata, int32_t prio)
{
	uint32_t ns = expand(b->fw, &r->src, b->src, b->max_side);
	uint32_t nd = expand(b->fw, &r->dst, b->dst, b->max_side);
	uint32_t i, j, bit = 0;
	int err;

	if (r->remote_tag[0] != '\0') {
		int slot = fw_rtag_slot(b->fw, r->remote_tag);

		if (slot < 0) /* fw_rtags_assign gave every named tag a slot */
			return -ENOSPC;
		bit = 1u << (EVS_FW_REMOTE_TAG_BIT0 + (unsigned int)slot);
	}

	for (i = 0; i < ns; i++)
		for (j = 0; j < nd; j++) {
			if (b->src[i].af != b->dst[j].af)
				continue;
			err = emit(b, r, userdata, prio, &b->src[i], &b->dst[j], bit);
			if (err != 0)
				return err;
		}
	return 0;
}

static int ctx_make(struct evs_fw *fw, struct rte_acl_ctx **out, const struct fw_acl_rule *rules,
		    uint32_t n, enum fw_af af)
{
	char name[RTE_ACL_NAMESIZE];
	uint32_t nf = af == FW_V4 ? F4_NUM : F6_NUM;
	struct rte_acl_param p = {
	    .name = name,
	    .socket_id = fw->cfg.socket_id,
	    .rule_size = RTE_ACL_RULE_SZ(nf),
	    .max_rule_num = n,
	};
	struct rte_acl_config c = {.num_categories = 1, .num_fields = nf};
	struct rte_acl_ctx *ctx;
	uint32_t i;
	int err;

	*out = NULL;
	if (n == 0)
		return 0;
	/* rte_acl_create returns an existing context of the same name: never reuse one. */
	snprintf(name, sizeof(name), "fw%.10s_%u", fw->name, fw->build_gen++);
	ctx = rte_acl_create(&p);
	if (ctx == NULL)
		return -ENOMEM;
	memcpy(c.defs, af == FW_V4 ? defs4 : defs6, sizeof(c.defs[0]) * nf);
	/* Rules are stored in the wide layout; add them one by one at the context's size. */
	for (i = 0; i < n; i++) {
		err = rte_acl_add_rules(ctx, (const struct rte_acl_rule *)&rules[i], 1);
		if (err != 0)
			goto fail;
	}
	err = rte_acl_build(ctx, &c);
	if (err != 0)
		goto fail;
	*out = ctx;
	return 0;
fail:
	rte_acl_free(ctx);
	return err;
}

void fw_tables_free(struct fw_tables *t)
{
	uint32_t d, a;

	if (t == NULL)
		return;
	for (d = 0; d < EVS_FW_DIR_MAX; d++)
		for (a = 0; a < FW_AF_MAX; a++)
			rte_acl_free(t->ctx[d][a]);
	rte_free(t);
}

/* Rank order: priority descending, then id ascending. */
static int rank_cmp(const void *x, const void *y)
{
	const struct fw_rule_rt *a = x, *b = y;

	if (a->priority != b->priority)
		return a->priority > b->priority ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

struct fw_tables *fw_tables_build(struct evs_fw *fw, uint32_t g)
{
	struct build b = {.fw = fw};
	struct fw_tables *t;
	uint32_t i, n = 0, d, a;
	int err = -ENOMEM;

	if (defs6[F6_DPORT].size == 0)
		defs6_init();
	for (i = 0; i < fw->cfg.max_rules; i++)
		n += fw->rules[i].used && fw->rules[i].group == g;
	t = rte_zmalloc_socket("evs_fw", sizeof(*t) + sizeof(t->rules[0]) * n, 0,
			       fw->cfg.socket_id);
	b.max_side = 2 + (fw->cfg.max_addrs > fw->cfg.max_ports * EVS_FW_PORT_ADDRS_MAX
			      ? fw->cfg.max_addrs
			      : fw->cfg.max_ports * EVS_FW_PORT_ADDRS_MAX);
	b.src = malloc(sizeof(*b.src) * b.max_side);
	b.dst = malloc(sizeof(*b.dst) * b.max_side);
	if (t == NULL || b.src == NULL || b.dst == NULL)
		goto fail;
	for (i = 0; i < fw->cfg.max_rules; i++) {
		const struct fw_rule_slot *s = &fw->rules[i];

		if (!s->used || s->group != g)
			continue;
		t->rules[t->n_rules++] = (struct fw_rule_rt){
		    .id = s->r.id,
		    .priority = s->r.priority,
		    .slot = i,
		    .action = (uint8_t)s->r.action,
		    .stateless = s->r.stateless,
		};
	}
	qsort(t->rules, t->n_rules, sizeof(t->rules[0]), rank_cmp);
	for (i = 0; i < t->n_rules; i++) {
		const struct evs_fw_rule *r = &fw->rules[t->rules[i].slot].r;

		err = rule_emit(&b, r, i + 1, (int32_t)(RTE_ACL_MAX_PRIORITY - i));
		if (err != 0)
			goto fail;
	}
	for (d = 0; d < EVS_FW_DIR_MAX; d++)
		for (a = 0; a < FW_AF_MAX; a++) {
			err = ctx_make(fw, &t->ctx[d][a], b.acl[d][a], b.n_acl[d][a], a);
			if (err != 0)
				goto fail;
		}
	err = 0;
fail:
	for (d = 0; d < EVS_FW_DIR_MAX; d++)
		for (a = 0; a < FW_AF_MAX; a++)
			free(b.acl[d][a]);
	free(b.src);
	free(b.dst);
	if (err != 0) {
		fw_tables_free(t);
		errno = -err;
		return NULL;
	}
	return t;
}
