/* SPDX-License-Identifier: BSD-3-Clause */
/* Security associations: validation, key schedule, counters. */
#include <errno.h>
#include <string.h>

#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_malloc.h>

#include "crypto_private.h"

static const char *const drop_names[EVS_ESP_DROP__MAX] = {
    [EVS_ESP_DROP_AUTH] = "auth",
    [EVS_ESP_DROP_REPLAY] = "replay",
    [EVS_ESP_DROP_SEQ_EXHAUSTED] = "seq_exhausted",
    [EVS_ESP_DROP_MALFORMED] = "malformed",
    [EVS_ESP_DROP_TRAILER] = "trailer",
    [EVS_ESP_DROP_NO_ROOM] = "no_room",
    [EVS_ESP_DROP_UNSUPPORTED] = "unsupported",
    [EVS_ESP_DROP_WRONG_SA] = "wrong_sa",
    [EVS_ESP_DROP_ENGINE] = "engine",
};

const char *evs_esp_drop_name(enum evs_esp_drop reason)
{
	if ((unsigned int)reason >= EVS_ESP_DROP__MAX)
		return "unknown";
	return drop_names[reason];
}

static bool addr_ok(const struct evs_esp_addr *a)
{
	return a->family == 4 || a->family == 6;
}

static int conf_check(const struct evs_sa_config *c)
{
	if (c->spi < 256)
		return -EINVAL;
	if (c->key_len != 16 && c->key_len != 32)
		return -EINVAL;
	if (c->dir != EVS_SA_OUTBOUND && c->dir != EVS_SA_INBOUND)
		return -EINVAL;
	if (c->mode != EVS_ESP_TRANSPORT && c->mode != EVS_ESP_TUNNEL)
		return -EINVAL;
	if (c->replay_window > EVS_REPLAY_WINDOW_MAX)
		return -EINVAL;
	if (!c->esn && c->first_seq > UINT32_MAX)
		return -EINVAL;
	if (c->mode == EVS_ESP_TUNNEL && c->dir == EVS_SA_OUTBOUND &&
	    c->tun_src.family != c->tun_dst.family &&
	    (c->tun_src.family != 0 || c->tun_dst.family != 0))
		return -EINVAL;
	if (c->mode == EVS_ESP_TUNNEL && c->dir == EVS_SA_OUTBOUND && c->tun_src.family != 0 &&
	    (!addr_ok(&c->tun_src) || !addr_ok(&c->tun_dst)))
		return -EINVAL;
	return 0;
}

/* Expand the key with a short-lived manager: the key schedule and GHASH
 * tables do not depend on the manager that later uses them. */
static int key_expand(struct evs_sa *sa, const uint8_t *key)
{
	IMB_ARCH arch = IMB_ARCH_NONE;
	IMB_MGR *mgr = alloc_mb_mgr(0);

	if (mgr == NULL)
		return -ENOMEM;
	init_mb_mgr_auto(mgr, &arch);
	if (arch == IMB_ARCH_NONE) {
		free_mb_mgr(mgr);
		return -ENOTSUP;
	}
	if (sa->key_len == 16)
		IMB_AES128_GCM_PRE(mgr, key, &sa->key);
	else
		IMB_AES256_GCM_PRE(mgr, key, &sa->key);
	free_mb_mgr(mgr);
	return 0;
}

struct evs_sa *evs_sa_create(const struct evs_sa_config *c)
{
	struct evs_sa *sa;
	int rc;

	rc = conf_check(c);
	if (rc < 0) {
		errno = -rc;
		return NULL;
	}
	sa = rte_zmalloc("evs_sa", sizeof(*sa), RTE_CACHE_LINE_SIZE);
	if (sa == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	sa->spi = c->spi;
	sa->spi_be = rte_cpu_to_be_32(c->spi);
	sa->owner = c->owner;
	memcpy(sa->salt, c->salt, sizeof(sa->salt));
	sa->key_len = c->key_len;
	sa->dir = (uint8_t)c->dir;
	sa->mode = (uint8_t)c->mode;
	sa->esn = c->esn;
	sa->udp_encap = c->udp_encap;
	if (c->dir == EVS_SA_INBOUND)
		sa->in_proto = c->udp_encap ? IPPROTO_UDP : IPPROTO_ESP;
	sa->udp_sport = c->udp_sport != 0 ? c->udp_sport : EVS_ESP_UDP_PORT;
	sa->udp_dport = c->udp_dport != 0 ? c->udp_dport : EVS_ESP_UDP_PORT;
	sa->udp_dport_conf = sa->udp_dport;
	sa->tun_src = c->tun_src;
	sa->tun_dst = c->tun_dst;
	sa->next_seq = c->first_seq != 0 ? c->first_seq : 1;
	sa->max_seq = c->esn ? UINT64_MAX : UINT32_MAX;
	rc = evs_replay_init(&sa->replay, c->replay_window);
	if (rc == 0)
		rc = key_expand(sa, c->key);
	if (rc < 0) {
		evs_sa_free(sa);
		errno = -rc;
		return NULL;
	}
	return sa;
}

void evs_sa_free(struct evs_sa *sa)
{
	if (sa == NULL)
		return;
	explicit_bzero(&sa->key, sizeof(sa->key));
	explicit_bzero(sa->salt, sizeof(sa->salt));
	rte_free(sa);
}

uint32_t evs_sa_spi(const struct evs_sa *sa)
{
	return sa->spi;
}

uint32_t evs_sa_owner(const struct evs_sa *sa)
{
	return sa->owner;
}

uint64_t evs_sa_seq_remaining(const struct evs_sa *sa)
{
	uint64_t next = __atomic_load_n(&sa->next_seq, __ATOMIC_RELAXED);

	if (next == 0 || next > sa->max_seq)
		return 0; /* 0: wrapped past UINT64_MAX after exhaustion */
	return sa->max_seq - next + 1;
}

uint16_t evs_sa_udp_peer_port(const struct evs_sa *sa)
{
	return __atomic_load_n(&sa->peer_port, __ATOMIC_RELAXED);
}

int evs_sa_udp_peer_addr(const struct evs_sa *sa, struct evs_esp_addr *a)
{
	for (;;) {
		/* acquire: the bytes are read after the count that covers them */
		uint32_t g = __atomic_load_n(&sa->peer_gen, __ATOMIC_ACQUIRE);

		if (g == 0)
			return -ENOENT;
		if (g & 1)
			continue; /* the writer is between its two stores */
		a->family = sa->peer_family;
		memcpy(a->b, sa->peer_w, sizeof(a->b));
		/* the copy is complete before the count is read again */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&sa->peer_gen, __ATOMIC_RELAXED) == g)
			return 0;
	}
}

uint64_t evs_sa_udp_peer_seq(const struct evs_sa *sa)
{
	return __atomic_load_n(&sa->peer_seq, __ATOMIC_RELAXED);
}

uint16_t evs_sa_udp_sport(const struct evs_sa *sa)
{
	return sa->udp_sport;
}

uint16_t evs_sa_udp_dport(const struct evs_sa *sa)
{
	return __atomic_load_n(&sa->udp_dport, __ATOMIC_RELAXED);
}

uint16_t evs_sa_udp_dport_configured(const struct evs_sa *sa)
{
	return sa->udp_dport_conf;
}

void evs_sa_set_udp_dport(struct evs_sa *sa, uint16_t port)
{
	if (port != 0)
		__atomic_store_n(&sa->udp_dport, port, __ATOMIC_RELAXED);
}

void evs_sa_set_udp_zero_csum6(struct evs_sa *sa, bool zero)
{
	__atomic_store_n(&sa->udp_zero_csum6, zero, __ATOMIC_RELAXED);
}

bool evs_sa_udp_encap(const struct evs_sa *sa)
{
	return sa->udp_encap != 0;
}

enum evs_esp_mode evs_sa_mode(const struct evs_sa *sa)
{
	return (enum evs_esp_mode)sa->mode;
}

void evs_sa_stats_get(const struct evs_sa *sa, struct evs_sa_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned int s = 0; s < EVS_CRYPTO_MAX_ENGINES; s++) {
		const struct sa_slot_stats *st = &sa->stats[s];
		uint64_t last = __atomic_load_n(&st->last_seq, __ATOMIC_RELAXED);

		out->packets += __atomic_load_n(&st->packets, __ATOMIC_RELAXED);
		out->bytes += __atomic_load_n(&st->bytes, __ATOMIC_RELAXED);
		if (last > out->last_seq)
			out->last_seq = last;
		for (unsigned int d = 0; d < EVS_ESP_DROP__MAX; d++)
			out->drops[d] += __atomic_load_n(&st->drops[d], __ATOMIC_RELAXED);
	}
}
