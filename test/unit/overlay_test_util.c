/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The overlay tests' fixture (overlay_test.h): two hosts' stores and overlays,
 * what they sent, transactions, SAs, and a wire carrying frames between them.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <netinet/in.h>
#include <rte_arp.h>
#include <rte_ip.h>

#include "crypto_test.h"
#include "evs_l3.h"
#include "evs_overlay.h"
#include "evs_store.h"
#include "unit_case.h"
#include "unit_eal.h"
#include "unit_store.h"
#include "overlay_test.h"

static const struct evs_ctl_param name_fields[] = {
    {.name = "name", .type = EVS_CTL_T_STRING, .required = true, .min_len = 1, .max_len = 31},
};
static const char *const name_key[] = {"name", NULL};
static const struct evs_obj_type port_type = {
    .name = "port", .section = "ports", .fields = name_fields, .n_fields = 1, .keys = name_key};
static const struct evs_obj_type switch_type = {.name = "switch",
						.section = "switches",
						.fields = name_fields,
						.n_fields = 1,
						.keys = name_key};

/* The firewall's port identity, as far as tags go (lib/firewall's fw.port). */
static const struct evs_ctl_param tag_item = {.type = EVS_CTL_T_STRING, .min_len = 1};
static const struct evs_ctl_param fwport_fields[] = {
    {.name = "port", .type = EVS_CTL_T_STRING, .required = true, .min_len = 1},
    {.name = "tags", .type = EVS_CTL_T_ARRAY, .items = &tag_item},
};
static const char *const port_key[] = {"port", NULL};
static const struct evs_store_ref fwport_refs[] = {
    {.field = "port", .type = "port", .on_delete = EVS_STORE_CASCADE},
};
static const struct evs_obj_type fwport_type = {.name = "fw.port",
						.section = "fw_ports",
						.fields = fwport_fields,
						.n_fields = RTE_DIM(fwport_fields),
						.defaults = "{\"tags\": []}",
						.keys = port_key,
						.refs = fwport_refs,
						.n_refs = RTE_DIM(fwport_refs)};

uint64_t clock_ms;
uint64_t fake_now(void)
{
	return clock_ms;
}

struct host ha, hb;

int port_slot(const char *name, void *arg)
{
	(void)arg;
	return strcmp(name, "p0") == 0	  ? 3
	       : strcmp(name, "vm1") == 0 ? 5
	       : strcmp(name, "vm2") == 0 ? 6
					  : -1;
}

int switch_id(const char *name, void *arg)
{
	(void)arg;
	return strcmp(name, "sw") == 0 ? 7 : strcmp(name, "sw2") == 0 ? 8 : -1;
}

int port_mac(uint16_t slot, struct rte_ether_addr *mac, void *arg)
{
	const struct rte_ether_addr m = {{0x02, 0, 0, 0, 0, 0x10}};

	(void)arg;
	(void)slot;
	*mac = m;
	return 0;
}

/* What the overlays sent out of a port slot / to a tunnel port again. */
struct sent out_port, out_tunnel;

void sent_add(struct sent *s, uint16_t to, struct rte_mbuf *m)
{
	ck_assert_uint_lt(s->n, RTE_DIM(s->m));
	s->to[s->n] = to;
	s->m[s->n++] = m;
}

void sent_clear(struct sent *s)
{
	for (unsigned int i = 0; i < s->n; i++)
		rte_pktmbuf_free(s->m[i]);
	s->n = 0;
}

void tx_port(void *arg, uint16_t port, struct rte_mbuf *m)
{
	(void)arg;
	sent_add(&out_port, port, m);
}

void tx_tunnel(void *arg, uint16_t tp, struct rte_mbuf *m)
{
	(void)arg;
	sent_add(&out_tunnel, tp, m);
}

void host_init(struct host *h)
{
	const struct evs_overlay_config c = {.drain_ms = 1000,
					     .now_ms = fake_now,
					     .port_slot = port_slot,
					     .switch_id = switch_id,
					     .port_mac = port_mac,
					     .pool = crypto_test_pool,
					     .tx = tx_port,
					     .tx_tunnel = tx_tunnel};

	h->st = evs_store_create();
	h->ov = evs_overlay_create(&c);
	ck_assert_ptr_nonnull(h->st);
	ck_assert_ptr_nonnull(h->ov);
	ck_assert_int_eq(evs_store_type_add(h->st, &port_type, NULL), 0);
	ck_assert_int_eq(evs_store_type_add(h->st, &switch_type, NULL), 0);
	ck_assert_int_eq(evs_store_type_add(h->st, &fwport_type, NULL), 0);
	ck_assert_int_eq(evs_overlay_store_add(h->st, h->ov), 0);
}

void host_fini(struct host *h)
{
	evs_store_free(h->st);
	evs_overlay_free(h->ov);
	memset(h, 0, sizeof(*h));
}

/* One transaction on host @h (unit_store.h's "+|-|=type {json}" lines). */
int txn_on(struct host *h, const char *const *ops, size_t n, struct evs_ctl_err *err)
{
	return unit_store_txn(h->st, ops, n, err);
}

int txn1(struct host *h, const char *op, struct evs_ctl_err *err)
{
	return txn_on(h, &op, 1, err);
}

/* A host with underlay u1 (10.9.0.1) and VTEPs h2 (10.9.0.2), h3 (10.9.0.3). */
void base(struct host *h, const char *local)
{
	char ul[256];
	const char *ops[] = {
	    "+port {\"name\": \"p0\"}",
	    "+switch {\"name\": \"sw\"}",
	    ul,
	    "+vtep {\"name\": \"h1\", \"underlay\": \"u1\", \"address\": \"10.9.0.1\"}",
	    "+vtep {\"name\": \"h2\", \"underlay\": \"u1\", \"address\": \"10.9.0.2\", "
	    "\"encrypt\": true}",
	    "+vtep {\"name\": \"h3\", \"underlay\": \"u1\", \"address\": \"10.9.0.3\", "
	    "\"encap\": \"vxlan\"}",
	    "+tunnel {\"switch\": \"sw\", \"vni\": 5001, \"encrypt\": true}",
	};
	struct evs_ctl_err err;
	size_t n = RTE_DIM(ops);

	snprintf(ul, sizeof(ul),
		 "+underlay {\"name\": \"u1\", \"port\": \"p0\", \"address\": \"%s\", "
		 "\"next_hop_mac\": \"02:00:00:00:00:fe\"}",
		 local);
	/* a host has no VTEP for itself: skip the one of its own address */
	for (size_t i = 0, k = 0; i < RTE_DIM(ops); i++)
		if (strstr(ops[i], "+vtep") == NULL || strstr(ops[i], local) == NULL)
			ops[k++] = ops[i];
		else
			n--;
	ck_assert_msg(txn_on(h, ops, n, &err) == 0, "base: %s at %s", err.message, err.path);
}

void setup(void)
{
	clock_ms = 1000;
	host_init(&ha);
	base(&ha, "10.9.0.1");
}

void teardown(void)
{
	host_fini(&ha);
	host_fini(&hb);
	sent_clear(&out_port);
	sent_clear(&out_tunnel);
}

void sa_add(struct host *h, const char *vtep, const char *dir, uint32_t spi, const char *key)
{
	char op[512];
	struct evs_ctl_err err;

	snprintf(op, sizeof(op),
		 "+sa {\"vtep\": \"%s\", \"dir\": \"%s\", \"spi\": %u, \"key\": \"%s\", "
		 "\"salt\": \"0a0b0c0d\"}",
		 vtep, dir, spi, key);
	ck_assert_msg(txn1(h, op, &err) == 0, "sa add: %s at %s", err.message, err.path);
}

uint32_t out_spi(const struct host *h, const char *vtep)
{
	int id = evs_overlay_vtep_id(h->ov, vtep);
	const struct evs_sa *sa = id >= 0 ? evs_overlay_vtep_out(h->ov, (uint16_t)id) : NULL;

	return sa != NULL ? evs_sa_spi(sa) : 0;
}

bool has_in(const struct host *h, uint32_t spi)
{
	return evs_sa_table_lookup(evs_overlay_sa_table(h->ov), spi) != NULL;
}

int rekey(struct host *h, const char *vtep, uint32_t in_spi, uint32_t out, const char *key,
	  struct evs_ctl_err *err)
{
	struct evs_store_txn *t = evs_store_txn_begin(h->st);
	json_t *in = in_spi != 0 ? json_pack("{s:I, s:s, s:s}", "spi", (json_int_t)in_spi, "key",
					     key, "salt", "01020304")
				 : NULL;
	json_t *o = out != 0 ? json_pack("{s:I, s:s, s:s}", "spi", (json_int_t)out, "key", key,
					 "salt", "01020304")
			     : NULL;
	int rc = evs_overlay_rekey_stage(h->ov, t, vtep, in, o, "/params", err);

	json_decref(in);
	json_decref(o);
	if (rc < 0) {
		evs_store_txn_abort(t);
		return rc;
	}
	return evs_store_txn_commit(t, err);
}

/* The tunnel port of (switch id @p sw, VTEP @p vtep) in @p h's table, or -1. */
int tport_of(const struct host *h, uint16_t sw, const char *vtep)
{
	const struct evs_overlay_dp *dp = evs_overlay_dp_get(h->ov);
	int id = evs_overlay_vtep_id(h->ov, vtep);

	for (uint16_t tp = 0; tp < evs_overlay_dp_n_ports(dp); tp++) {
		uint16_t s, v;

		if (evs_overlay_dp_port(dp, tp, &s, &v, NULL, NULL) < 0)
			continue; /* a free number */
		if (s == sw && (int)v == id)
			return tp;
	}
	return -1;
}

void frames(struct rte_mbuf **m, struct rte_mbuf **copy, uint16_t n, uint32_t seed)
{
	for (uint16_t i = 0; i < n; i++) {
		m[i] = ct_build_udp(4, 14, (uint32_t)(20 + (seed * 7 + i * 131) % 1350), seed + i);
		ck_assert_ptr_nonnull(m[i]);
		copy[i] = ct_clone(m[i]);
	}
}

void free_all(struct rte_mbuf **m, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		rte_pktmbuf_free(m[i]);
}

void wire_init(struct wire *w)
{
	memset(w, 0, sizeof(*w));
	w->ea = evs_crypto_engine_create();
	w->eb = evs_crypto_engine_create();
	ck_assert_ptr_nonnull(w->ea);
	ck_assert_ptr_nonnull(w->eb);
	host_init(&hb);
	base(&hb, "10.9.0.2");
	sa_add(&ha, "h2", "out", 5000, KEY_A);
	sa_add(&hb, "h1", "in", 5000, KEY_A);
}

void wire_fini(struct wire *w)
{
	evs_crypto_engine_free(w->ea);
	evs_crypto_engine_free(w->eb);
}

/* @p n frames from A's port (sw, h2) to B; @p flip: corrupt one byte of
 * packet 0 on the wire. @return how many B delivered (checked equal). */
uint16_t send_ab(struct wire *w, uint16_t n, uint32_t seed, bool flip, bool *all_esp)
{
	struct rte_mbuf *m[160], *copy[160];
	struct evs_tun_meta meta[160];
	uint16_t tp[160], k, got;
	int tpa = tport_of(&ha, 7, "h2"), tpb = tport_of(&hb, 7, "h1");

	ck_assert_int_ge(tpa, 0);
	frames(m, copy, n, seed);
	k = evs_overlay_tx_burst(ha.ov, evs_overlay_dp_get(ha.ov), w->ea, (uint16_t)tpa, m, n, NULL,
				 NULL, NULL, &w->sa);
	*all_esp = true;
	for (uint16_t i = 0; i < k; i++)
		*all_esp &= rte_pktmbuf_mtod(m[i], const uint8_t *)[m[i]->l2_len + 9] == 50;
	if (flip && k > 0)
		rte_pktmbuf_mtod(m[0], uint8_t *)[m[0]->data_len - 20] ^= 0x10;
	got = evs_overlay_rx_burst(hb.ov, evs_overlay_dp_get(hb.ov), w->eb, 0, m, k, tp, meta,
				   &w->sb);
	if (got > 0)
		ck_assert_int_ge(tpb, 0);
	for (uint16_t i = 0, j = 0; i < got; i++, j++) {
		/* delivered ones keep their order: find each one's original */
		while (j < n && !ct_same(m[i], copy[j]))
			j++;
		ck_assert_msg(j < n, "frame %u delivered changed", i);
		ck_assert_uint_eq(tp[i], (uint16_t)tpb);
		ck_assert_uint_eq(meta[i].vni, 5001);
	}
	free_all(m, got);
	free_all(copy, n);
	return got;
}
