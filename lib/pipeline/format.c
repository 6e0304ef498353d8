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

int evs_prog_format(const struct evs_prog *prog, char *buf, size_t len,
		    const char *(*port_name)(uint16_t port, void *arg), void *arg)
{
	size_t n = 0;
	unsigned int i;

	if (len > 0)
		buf[0] = '\0';
	for (i = 0; i < prog->n_acts; i++) {
		const struct evs_act *a = &prog->acts[i];
		char one[96];

		switch (a->type) {
		case EVS_ACT_L2:
			if (a->l2.type == EVS_L2_ACT_UNICAST) {
				char port[40];

				if (port_name != NULL)
					snprintf(port, sizeof(port), "%s", port_name(a->l2.port, arg));
				else
					snprintf(port, sizeof(port), "%u", a->l2.port);
				if (a->l2.tci)
					snprintf(one, sizeof(one), "output(port=%s,vlan=%u)", port,
						 a->l2.tci & EVS_VLAN_VID_MASK);
				else
					snprintf(one, sizeof(one), "output(port=%s)", port);
			} else if (a->l2.type == EVS_L2_ACT_FLOOD) {
				snprintf(one, sizeof(one), "flood(switch=%u)", a->l2.sw);
			} else {
				snprintf(one, sizeof(one), "drop(%s)",
					 evs_drop_reason_name(a->l2.reason));
			}
			break;
		default:
			snprintf(one, sizeof(one), "unknown(%u)", a->type);
			break;
		}
		n += (size_t)snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, "%s%s",
				      n ? "," : "", one);
	}
	if (prog->flags & EVS_PROG_USES_MACS)
		n += (size_t)snprintf(buf + (n < len ? n : len), n < len ? len - n : 0,
				      " [macs_gen=%u]", prog->macs_gen);
	return (int)n;
}
