/* SPDX-License-Identifier: BSD-3-Clause */
/* Text forms of flows and programs, for flow.dump and flow.trace. */

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "pipeline_private.h"

/* Fields stored in wire order (the others are host order). */
static bool wire_order(enum evs_flow_field f)
{
	return f == EVS_FIELD_ETHERTYPE || f == EVS_FIELD_L4_SRC || f == EVS_FIELD_L4_DST;
}

static bool is_ipv4(const struct evs_flow_key *key, enum evs_flow_field f)
{
	if (f == EVS_FIELD_TUN_SRC || f == EVS_FIELD_TUN_DST)
		return key->tun_dst[4] == 0 && key->tun_dst[15] == 0 && key->tun_src[15] == 0;
	return key->ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	       key->ethertype == RTE_BE16(RTE_ETHER_TYPE_ARP);
}

static int field_value(const struct evs_flow_key *key, enum evs_flow_field f, const uint8_t *p,
		       size_t size, char *buf, size_t len)
{
	uint16_t v16;
	uint32_t v32;

	switch (size) {
	case 1:
		return snprintf(buf, len, "%u", p[0]);
	case 2:
		memcpy(&v16, p, 2);
		if (wire_order(f))
			v16 = ntohs(v16);
		return snprintf(buf, len, f == EVS_FIELD_ETHERTYPE ? "0x%04x" : "%u", v16);
	case 4:
		memcpy(&v32, p, 4);
		return snprintf(buf, len, "%u", v32);
	case 6:
		return snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", p[0], p[1], p[2], p[3],
				p[4], p[5]);
	case 16: {
		char a[INET6_ADDRSTRLEN];

		inet_ntop(is_ipv4(key, f) ? AF_INET : AF_INET6, p, a, sizeof(a));
		return snprintf(buf, len, "%s", a);
	}
	default:
		return snprintf(buf, len, "?");
	}
}

int evs_flow_format(const struct evs_flow_key *key, const struct evs_flow_mask *mask, char *buf,
		    size_t len)
{
	size_t n = 0;
	int f;

	if (len > 0)
		buf[0] = '\0';
	for (f = 0; f < EVS_FIELD_MAX; f++) {
		const struct evs_flow_field_info *fi = evs_flow_field_info(f);
		const uint8_t *m = (const uint8_t *)&mask->bits + fi->offset;
		const uint8_t *k = (const uint8_t *)key + fi->offset;
		uint8_t val[16];
		bool any = false, full = true;
		char v[64], mv[64];
		unsigned int i;

		for (i = 0; i < fi->size; i++) {
			any |= m[i] != 0;
			full &= m[i] == 0xff;
			val[i] = k[i] & m[i];
		}
		if (!any)
			continue;
		field_value(key, f, val, fi->size, v, sizeof(v));
		if (full || (f == EVS_FIELD_VLAN_TCI)) {
			mv[0] = '\0';
		} else {
			mv[0] = '/';
			field_value(key, f, m, fi->size, mv + 1, sizeof(mv) - 1);
		}
		n += (size_t)snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, "%s%s=%s%s",
				      n ? "," : "", fi->name, v, mv);
	}
	return (int)n;
}

#define APPEND(...)                                                                                \
	(n += (size_t)snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, __VA_ARGS__))

/* One opcode's argument: ports and drop reasons by name, the rest by the opcode. */
static void op_arg(const struct evs_registry *reg, const struct prog_op *o, char *out,
		   size_t out_len, evs_port_name_fn port_name, void *arg)
{
	const struct evs_opcode *op = reg->ops[o->id].op;
	const char *name;

	out[0] = '\0';
	if (o->id == ENGINE_OP_OUTPUT) {
		uint16_t port = ((const struct op_output *)o->arg)->port;

		name = port_name != NULL ? port_name(port, arg) : NULL;
		if (name != NULL)
			snprintf(out, out_len, "port=%s", name);
		else
			snprintf(out, out_len, "port=%u", port);
	} else if (o->id == ENGINE_OP_DROP) {
		uint16_t r = ((const struct op_drop *)o->arg)->reason;

		snprintf(out, out_len, "%s", evs_registry_drop_name(reg, r));
	} else if (op->format != NULL) {
		op->format(o->arg, out, out_len);
	}
}

int evs_prog_format(const struct evs_registry *reg, const void *prog, size_t prog_len, char *buf,
		    size_t len, evs_port_name_fn port_name, void *arg)
{
	const struct prog_hdr *h = prog;
	const struct prog_op *o;
	size_t n = 0, end;
	unsigned int i;

	if (len > 0)
		buf[0] = '\0';
	if (reg == NULL || prog == NULL || prog_len < sizeof(*h) || h->len > prog_len ||
	    sizeof(*h) + sizeof(struct prog_dep) * h->n_deps > h->len)
		return APPEND("invalid");
	end = h->len;
	o = prog_first_op(h);
	for (i = 0; i < h->n_ops; i++, o = prog_next_op(o)) {
		size_t at = (size_t)((const uint8_t *)o - (const uint8_t *)prog);
		char one[96];

		if (at + sizeof(*o) > end || o->size < sizeof(*o) || at + o->size > end ||
		    o->id >= reg->n_ops)
			return APPEND("%sinvalid", n ? ", " : "");
		op_arg(reg, o, one, sizeof(one), port_name, arg);
		APPEND("%s%s(%s)", n ? ", " : "", reg->ops[o->id].op->name, one);
	}
	if (h->n_ops == 0)
		APPEND("none");
	return (int)n;
}
