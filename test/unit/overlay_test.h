/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef OVERLAY_TEST_H
#define OVERLAY_TEST_H
/* Fixture shared by test_overlay.c and test_overlay_traffic.c (overlay_test_util.c). */

#include <check.h>
#include <stdbool.h>
#include <stdint.h>

#include "evs_overlay.h"
#include "evs_store.h"

struct host {
	struct evs_store *st;
	struct evs_overlay *ov;
};

/* What the overlays sent out of a port slot / to a tunnel port again. */
struct sent {
	struct rte_mbuf *m[16];
	uint16_t to[16];
	unsigned int n;
};

/* Two hosts' crypto engines and overlay stats, for frames sent from A to B. */
struct wire {
	struct evs_crypto_engine *ea, *eb;
	struct evs_overlay_stats sa, sb;
};

#define KEY_A "000102030405060708090a0b0c0d0e0f"
#define KEY_B "f0e0d0c0b0a090807060504030201000"
#define KEY_256 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

extern uint64_t clock_ms;
extern struct host ha, hb;
extern struct sent out_port, out_tunnel;

void sent_clear(struct sent *s);
void host_init(struct host *h);
void host_fini(struct host *h);
int txn_on(struct host *h, const char *const *ops, size_t n, struct evs_ctl_err *err);
int txn1(struct host *h, const char *op, struct evs_ctl_err *err);
void base(struct host *h, const char *local);
void setup(void);
void teardown(void);
void sa_add(struct host *h, const char *vtep, const char *dir, uint32_t spi, const char *key);
uint32_t out_spi(const struct host *h, const char *vtep);
bool has_in(const struct host *h, uint32_t spi);
int rekey(struct host *h, const char *vtep, uint32_t in_spi, uint32_t out, const char *key,
	  struct evs_ctl_err *err);
int tport_of(const struct host *h, uint16_t sw, const char *vtep);
void frames(struct rte_mbuf **m, struct rte_mbuf **copy, uint16_t n, uint32_t seed);
void free_all(struct rte_mbuf **m, uint16_t n);
void wire_init(struct wire *w);
void wire_fini(struct wire *w);
uint16_t send_ab(struct wire *w, uint16_t n, uint32_t seed, bool flip, bool *all_esp);

/* Traffic cases (test_overlay_traffic.c). */
void overlay_traffic_add_cases(Suite *s);
/* Underlay ARP/ND, VLAN, announcements (test_overlay_underlay.c). */
void overlay_underlay_add_cases(Suite *s);
/* ESP-in-UDP and tunnel mode from the store (test_overlay_natt.c). */
void overlay_natt_add_cases(Suite *s);
/* GENEVE options from the store and source tags (test_overlay_opts.c). */
void overlay_opts_add_cases(Suite *s);

#endif /* OVERLAY_TEST_H */
