/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NAT traversal's management-lcore side (RFC 3948): NAT-keepalives sent to
 * the peers whose outbound ESP-in-UDP SA asks for them while no ESP goes
 * there, and a NAT'd peer's address followed once its authenticated
 * packets come from a new one (the port is followed by the PMDs
 * themselves: overlay_burst.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_ip.h>
#include <rte_udp.h>

#include "overlay_private.h"

static const char *str(const json_t *o, const char *f)
{
	return json_string_value(json_object_get(o, f));
}

void ovl_vtep_addr(const struct evs_overlay *ov, uint16_t slot, const json_t *vtep,
		   struct evs_tun_addr *a)
{
	const struct ovl_peer *p = slot < EVS_OVERLAY_MAX_VTEPS ? &ov->peer[slot] : NULL;

	ovl_addr(str(vtep, "address"), a);
	/* learnt against this configured address: a new one from the
	 * controller wins over what the packets said */
	if (p != NULL && p->learnt && memcmp(&p->conf, a, sizeof(*a)) == 0)
		*a = p->now;
}

void ovl_natt_sa(struct evs_overlay *ov, uint16_t slot, const json_t *v, bool present)
{
	const json_t *ka = v != NULL ? json_object_get(v, "keepalive") : NULL;
	struct ovl_ka *k;

	if (slot >= EVS_OVERLAY_MAX_VTEPS)
		return;
	k = &ov->ka[slot];
	k->iv_ms = present && ka != NULL ? (uint32_t)json_integer_value(ka) * 1000u : 0;
	k->next_ms = ovl_now_ms(ov) + k->iv_ms;
	k->sa = NULL; /* a new SA may sit where a freed one was */
}

void ovl_natt_vtep_gone(struct evs_overlay *ov, uint16_t slot)
{
	if (slot < EVS_OVERLAY_MAX_VTEPS)
		memset(&ov->peer[slot], 0, sizeof(ov->peer[slot]));
}

void ovl_natt_evidence_reset(struct evs_overlay *ov, uint16_t slot, bool in_new)
{
	const struct evs_sa *in;
	struct ovl_peer *p;

	if (slot >= EVS_OVERLAY_MAX_VTEPS)
		return;
	p = &ov->peer[slot];
	in = ov->vteps[slot].in;
	p->since_seq = in_new || in == NULL ? 0 : evs_sa_udp_peer_seq(in);
	p->seen_seq = p->since_seq;
}

/* Where a frame to VTEP @p slot goes on the underlay: *port, and @p f's
 * MACs, VLAN and addresses (the tunnel's, as a tunnel frame has them). */
static int ka_path(struct evs_overlay *ov, uint16_t slot, uint16_t *port_slot,
		   struct ovl_ka_frame *kp)
{
	struct evs_store_obj *vo = evs_store_lookup_str(ov->store, "vtep", ov->vteps[slot].name);
	const json_t *v = vo != NULL ? evs_store_obj_value(vo) : NULL;
	struct evs_store_obj *uo =
	    v != NULL ? evs_store_lookup_str(ov->store, "underlay", str(v, "underlay")) : NULL;
	const json_t *u = uo != NULL ? evs_store_obj_value(uo) : NULL;
	const char *nh;
	int port;

	if (u == NULL)
		return -ENOENT;
	port = ov->cfg.port_slot != NULL ? ov->cfg.port_slot(str(u, "port"), ov->cfg.arg) : -1;
	if (port < 0)
		return -ENOENT;
	*port_slot = (uint16_t)port;
	kp->vlan = (uint16_t)json_integer_value(json_object_get(u, "vlan"));
	if (str(u, "mac") != NULL)
		rte_ether_unformat_addr(str(u, "mac"), &kp->src);
	else if (ov->cfg.port_mac == NULL ||
		 ov->cfg.port_mac(*port_slot, &kp->src, ov->cfg.arg) < 0)
		return -ENOENT;
	nh = str(v, "next_hop_mac") != NULL ? str(v, "next_hop_mac") : str(u, "next_hop_mac");
	if (nh != NULL) {
		rte_ether_unformat_addr(nh, &kp->dst);
	} else {
		/* resolved with ARP/ND for the tunnels: not known yet, none sent */
		uint64_t w = ov->nh_mac != NULL ? ov->nh_mac[slot] : 0;

		if (!ovl_nh_valid(w))
			return -EAGAIN;
		memcpy(kp->dst.addr_bytes, &w, RTE_ETHER_ADDR_LEN);
	}
	ovl_addr(str(u, "address"), &kp->local);
	ovl_vtep_addr(ov, slot, v, &kp->remote);
	return 0;
}

int ovl_keepalive_build(struct rte_mbuf *m, const struct ovl_ka_frame *f)
{
	unsigned int l2 = RTE_ETHER_HDR_LEN + (f->vlan != 0 ? 4u : 0u);
	unsigned int l3 = f->local.family == 6 ? 40u : 20u;
	unsigned int len = l2 + l3 + 8 + 1;
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	struct rte_udp_hdr *u;

	if (p == NULL || f->local.family != f->remote.family)
		return -EINVAL;
	memset(p, 0, len);
	memcpy(p, f->dst.addr_bytes, RTE_ETHER_ADDR_LEN);
	memcpy(p + 6, f->src.addr_bytes, RTE_ETHER_ADDR_LEN);
	if (f->vlan != 0) {
		p[12] = 0x81, p[13] = 0x00;
		p[14] = (uint8_t)(f->vlan >> 8), p[15] = (uint8_t)f->vlan;
	}
	p[l2 - 2] = f->local.family == 6 ? 0x86 : 0x08;
	p[l2 - 1] = f->local.family == 6 ? 0xdd : 0x00;
	u = (struct rte_udp_hdr *)(p + l2 + l3);
	u->src_port = rte_cpu_to_be_16(f->sport);
	u->dst_port = rte_cpu_to_be_16(f->dport);
	u->dgram_len = rte_cpu_to_be_16(9);
	p[len - 1] = 0xff; /* RFC 3948 2.3: one octet, 0xFF */
	if (f->local.family == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + l2);

		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16(29);
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		memcpy(&ip->src_addr, f->local.b, 4);
		memcpy(&ip->dst_addr, f->remote.b, 4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		/* UDP checksum zero over IPv4, as ESP-in-UDP's (RFC 3948 2.1) */
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(p + l2);

		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16(9);
		ip->proto = IPPROTO_UDP;
		ip->hop_limits = 64;
		memcpy(ip->src_addr, f->local.b, 16);
		memcpy(ip->dst_addr, f->remote.b, 16);
		u->dgram_cksum = rte_ipv6_udptcp_cksum(ip, u);
	}
	m->l2_len = (uint8_t)l2;
	return 0;
}

/* VTEP @p slot's keepalive, if its time has come: an interval after the
 * last one, or after ESP last went to the peer (RFC 3948 2.3), which keeps
 * the NAT's mapping as well. Seen here within a management loop: the SA's
 * sequence numbers moved since the last look. */
static void keepalive_tick(struct evs_overlay *ov, uint16_t slot, uint64_t now)
{
	struct ovl_ka *k = &ov->ka[slot];
	struct evs_sa *out = ov->vteps[slot].out;
	struct ovl_ka_frame f;
	struct rte_mbuf *m;
	uint16_t port;

	if (out != NULL) {
		uint64_t left = evs_sa_seq_remaining(out);

		if (out == k->sa && left != k->seq_left)
			k->next_ms = now + k->iv_ms;
		k->sa = out;
		k->seq_left = left;
	}
	if (now < k->next_ms)
		return;
	k->next_ms = now + k->iv_ms;
	if (out == NULL || !evs_sa_udp_encap(out) || ov->cfg.pool == NULL || ov->cfg.tx == NULL ||
	    ka_path(ov, slot, &port, &f) < 0) {
		k->unsent++;
		return;
	}
	m = rte_pktmbuf_alloc(ov->cfg.pool);
	f.sport = evs_sa_udp_sport(out);
	f.dport = evs_sa_udp_dport(out); /* the NAT's, once learnt */
	if (m == NULL || ovl_keepalive_build(m, &f) < 0) {
		rte_pktmbuf_free(m);
		k->unsent++;
		return;
	}
	ov->cfg.tx(ov->cfg.arg, port, m);
	k->sent++;
}

/* Whether VTEP @p slot's inbound SA verified packets from another address
 * than the one its frames go to now; if so, remember it (counted). */
static bool peer_moved(struct evs_overlay *ov, uint16_t slot)
{
	const struct evs_sa *in = ov->vteps[slot].in;
	struct evs_store_obj *vo;
	struct evs_tun_addr now, conf;
	struct evs_esp_addr a;
	struct ovl_peer *p = &ov->peer[slot];
	uint64_t seq = in != NULL && evs_sa_udp_encap(in) ? evs_sa_udp_peer_seq(in) : 0;

	/* every management loop: the rest only for new evidence, and only
	 * evidence newer than the controller's last address for the VTEP */
	if (seq == 0 || seq == p->seen_seq)
		return false;
	p->seen_seq = seq;
	if (seq <= p->since_seq || evs_sa_udp_peer_addr(in, &a) < 0)
		return false;
	vo = evs_store_lookup_str(ov->store, "vtep", ov->vteps[slot].name);
	if (vo == NULL)
		return false;
	ovl_vtep_addr(ov, slot, evs_store_obj_value(vo), &now);
	if (a.family == now.family && memcmp(a.b, now.b, sizeof(a.b)) == 0)
		return false;
	ovl_addr(str(evs_store_obj_value(vo), "address"), &conf);
	if (a.family != conf.family)
		return false; /* the underlay's family: another one cannot be sent to */
	p->conf = conf;
	p->now.family = a.family;
	memcpy(p->now.b, a.b, sizeof(p->now.b));
	p->learnt = memcmp(&p->now, &conf, sizeof(conf)) != 0; /* back home: nothing learnt */
	p->moves++;
	return true;
}

void ovl_natt_poll(struct evs_overlay *ov)
{
	uint64_t now = ovl_now_ms(ov);
	bool moved = false;

	if (ov->store == NULL)
		return;
	for (uint16_t s = 0; s < EVS_OVERLAY_MAX_VTEPS; s++) {
		if (ov->vteps[s].name[0] == '\0')
			continue;
		moved |= peer_moved(ov, s);
		if (ov->ka[s].iv_ms != 0)
			keepalive_tick(ov, s, now);
	}
	if (moved) {
		struct evs_ctl_err err;

		/* the tunnels' templates and the address map with the new
		 * address: the store is unchanged, so this build cannot differ
		 * from the published one in anything else */
		if (ovl_dp_stage(ov, ov->store, &err) == 0)
			ovl_dp_commit(ov);
		else
			ov->peer_rebuild_failed++;
	}
}

json_t *ovl_natt_json(const struct evs_overlay *ov, uint16_t slot)
{
	const struct ovl_peer *p = &ov->peer[slot];
	const struct ovl_ka *k = &ov->ka[slot];
	char buf[64] = "";
	json_t *j;

	if (p->learnt)
		inet_ntop(p->now.family == 4 ? AF_INET : AF_INET6, p->now.b, buf, sizeof(buf));
	j = json_pack("{s:I, s:I, s:I, s:I}", "keepalive_interval", (json_int_t)(k->iv_ms / 1000),
		      "keepalives_sent", (json_int_t)k->sent, "keepalives_unsent",
		      (json_int_t)k->unsent, "peer_moves", (json_int_t)p->moves);
	if (j != NULL && p->learnt)
		json_object_set_new(j, "address_now", json_string(buf));
	return j;
}
