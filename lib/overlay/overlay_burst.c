/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The overlay's per-packet work, in bursts: encap (+ encrypt) of one
 * tunnel port's frames, and (decrypt +) decap of an underlay port's. Reads
 * only published tables; counts every drop with a reason in the caller's
 * per-lcore stats.
 */
#include <netinet/in.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "overlay_private.h"

/* Packets handled at once by the receive side (its scratch arrays). */
#define OVL_CHUNK 64

static const char *const drop_names[EVS_OVL_DROP__MAX] = {
    [EVS_OVL_DROP_NO_SA] = "no_sa",
    [EVS_OVL_DROP_ENCRYPT] = "encrypt",
    [EVS_OVL_DROP_UNKNOWN_SPI] = "unknown_spi",
    [EVS_OVL_DROP_DECRYPT] = "decrypt",
    [EVS_OVL_DROP_CLEAR_REFUSED] = "clear_refused",
    [EVS_OVL_DROP_UNKNOWN_VTEP] = "unknown_vtep",
    [EVS_OVL_DROP_NOT_MEMBER] = "not_member",
    [EVS_OVL_DROP_TUNNEL] = "tunnel",
    [EVS_OVL_DROP_NO_PORT] = "no_port",
    [EVS_OVL_DROP_NOT_FOR_US] = "not_for_us",
    [EVS_OVL_DROP_WRONG_PEER] = "wrong_peer",
    [EVS_OVL_DROP_UNRESOLVED] = "unresolved",
    [EVS_OVL_DROP_KEEPALIVE] = "keepalive",
    [EVS_OVL_DROP_NON_ESP] = "non_esp",
};

const char *evs_overlay_drop_name(enum evs_overlay_drop r)
{
	return (unsigned int)r < EVS_OVL_DROP__MAX ? drop_names[r] : "unknown";
}

/* single writer (this lcore); relaxed stores so readers never see torn values */
static inline void ctr_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, *c + v, __ATOMIC_RELAXED);
}

static void drop(struct evs_overlay_stats *st, enum evs_overlay_drop r, struct rte_mbuf **pkts,
		 uint16_t n)
{
	if (n == 0)
		return;
	rte_pktmbuf_free_bulk(pkts, n);
	ctr_add(&st->drops[r], n);
}

/* Frames the encap refused: those too big become ICMP errors for their
 * senders in @p errs (when the caller takes them), the rest are dropped. */
static void tx_refused(const struct evs_overlay *ov, const struct ovl_dp_port *p, uint16_t tp,
		       struct rte_mbuf **pkts, uint16_t n, struct rte_mbuf **errs, uint16_t *n_errs,
		       struct evs_overlay_stats *st)
{
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (errs != NULL && m->pkt_len > p->encap.max_frame &&
		    ovl_too_big(m, p->encap.max_frame) == 0) {
			if (ovl_icmp_allow(ov, tp)) {
				errs[(*n_errs)++] = m;
				ctr_add(&st->too_big_icmp, 1);
				continue;
			}
			ctr_add(&st->too_big_limited, 1); /* and dropped */
		}
		drop(st, EVS_OVL_DROP_TUNNEL, &m, 1);
	}
}

/* ESP on pkts[0..n) with the VTEP's outbound SA. @return how many remain. */
static uint16_t encrypt(const struct evs_overlay *ov, struct evs_crypto_engine *e,
			const struct ovl_dp_port *p, struct rte_mbuf **pkts, uint16_t n,
			struct evs_overlay_stats *st)
{
	struct evs_sa *sa = evs_overlay_vtep_out(ov, p->vtep);
	uint16_t c;

	if (unlikely(sa == NULL || e == NULL)) { /* required: never sent in the clear */
		drop(st, EVS_OVL_DROP_NO_SA, pkts, n);
		return 0;
	}
	c = evs_esp_encrypt_burst(e, sa, pkts, n);
	drop(st, EVS_OVL_DROP_ENCRYPT, pkts + c, n - c);
	ctr_add(&st->encrypted, c);
	return c;
}

/* Some ports of the switch encrypt: their (flagged) frames after the clear
 * ones, then ESP on those. @return how many remain. */
static uint16_t encrypt_flagged(const struct evs_overlay *ov, struct evs_crypto_engine *e,
				const struct ovl_dp_port *p, struct rte_mbuf **pkts, uint16_t n,
				struct evs_overlay_stats *st)
{
	struct rte_mbuf *enc[n];
	uint16_t nc = 0, ne = 0;

	for (uint16_t i = 0; i < n; i++) {
		if (pkts[i]->ol_flags & ov->f_encrypt)
			enc[ne++] = pkts[i];
		else
			pkts[nc++] = pkts[i];
	}
	if (ne == 0)
		return n;
	memcpy(pkts + nc, enc, ne * sizeof(*enc));
	return (uint16_t)(nc + encrypt(ov, e, p, pkts + nc, ne, st));
}

uint16_t evs_overlay_tx_burst(const struct evs_overlay *ov, const struct evs_overlay_dp *dp,
			      struct evs_crypto_engine *e, uint16_t tp, struct rte_mbuf **pkts,
			      uint16_t n, const uint32_t *hashes, struct rte_mbuf **errs,
			      uint16_t *n_errs, struct evs_overlay_stats *st)
{
	const struct ovl_dp_port *p;
	uint64_t nh = 0;
	uint16_t k;

	if (n_errs != NULL)
		*n_errs = 0;
	if (unlikely(dp == NULL || tp >= dp->n_ports || dp->ports[tp].owner == 0)) {
		drop(st, EVS_OVL_DROP_NO_PORT, pkts, n);
		return 0;
	}
	p = &dp->ports[tp];
	if (p->resolve) {
		/* relaxed: the word is the MAC itself, whole or not valid */
		nh = __atomic_load_n(&ov->nh_mac[p->vtep], __ATOMIC_RELAXED);
		if (unlikely(!ovl_nh_valid(nh))) { /* not known yet: held meanwhile */
			ovl_neigh_hold(ov, tp, pkts, n, st);
			return 0;
		}
	}
	if (unlikely(p->src_tags))
		k = ovl_encap_tagged(ov, dp, p, pkts, n, hashes, st);
	else
		k = evs_tun_encap_burst(&p->encap, pkts, n, hashes, &st->tun);
	if (unlikely(k != n))
		tx_refused(ov, p, tp, pkts + k, n - k, errs, n_errs, st);
	if (p->resolve)
		for (uint16_t i = 0; i < k; i++)
			memcpy(rte_pktmbuf_mtod(pkts[i], void *), &nh, RTE_ETHER_ADDR_LEN);
	if (p->encrypt && k != 0)
		k = encrypt(ov, e, p, pkts, k, st);
	else if (unlikely(p->enc_some) && k != 0)
		k = encrypt_flagged(ov, e, p, pkts, k, st);
	ctr_add(&st->tx_packets, k);
	return k;
}

/* The decap's UDP port for a tunnel type (0: its default; UINT16_MAX: off,
 * which no datagram's port equals once widened). */
static inline uint32_t decap_port(uint16_t p, uint32_t dflt)
{
	return p == 0 ? dflt : p == UINT16_MAX ? UINT32_MAX : p;
}

/* An untagged IPv4 datagram without options, not a fragment, to one of
 * the decap's UDP ports: a clear tunnel frame (neither ESP nor ARP/ND),
 * the underlay's usual traffic, told by a few loads instead of the ESP
 * parse. Anything else takes the full path. No ESP-in-UDP port is a
 * decap port: the sa and vtep checks refuse that (overlay_schema.c). */
static inline bool plain_tunnel(const struct evs_overlay_dp *dp, const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t dport;

	if (m->data_len < RTE_ETHER_HDR_LEN + 28 || p[12] != 0x08 || p[13] != 0x00 ||
	    p[14] != 0x45 || p[23] != IPPROTO_UDP || ((p[20] & 0x3f) | p[21]) != 0)
		return false;
	dport = (uint32_t)(p[36] << 8 | p[37]);
	return dport == decap_port(dp->decap.geneve_port, EVS_GENEVE_PORT) ||
	       dport == decap_port(dp->decap.vxlan_port, EVS_VXLAN_PORT);
}

/* Split @p pkts into ESP ones with a known SA from that SA's VTEP (front,
 * @p sas) and clear ones (back, order kept in both); unknown SPIs
 * and ESP from another address than the SA's peer are dropped here, before
 * the cipher runs. @return ESP count. */
static uint16_t split_esp(const struct evs_overlay *ov, const struct evs_overlay_dp *dp,
			  uint16_t port, struct rte_mbuf **pkts, uint16_t *n, struct evs_sa **sas,
			  struct evs_overlay_stats *st)
{
	const struct evs_sa_table *t = evs_overlay_sa_table(ov);
	struct rte_mbuf *clear[OVL_CHUNK], *bad[OVL_CHUNK], *alien[OVL_CHUNK], *stray[OVL_CHUNK];
	struct rte_mbuf *nd[OVL_CHUNK];
	uint16_t ne = 0, nc = 0, nb = 0, na = 0, ns = 0, nn = 0;
	uint16_t ports[EVS_ESP_UDP_PORTS_MAX];

	for (unsigned int i = 0; i < EVS_ESP_UDP_PORTS_MAX; i++)
		ports[i] = __atomic_load_n(&ov->esp_ports[i], __ATOMIC_RELAXED);
	for (uint16_t i = 0; i < *n; i++) {
		struct rte_mbuf *m = pkts[i];
		enum evs_esp_kind kind;
		uint32_t spi;
		uint16_t vtep;

		if (likely(plain_tunnel(dp, m))) {
			m->l2_len = RTE_ETHER_HDR_LEN;
			clear[nc++] = m;
			continue;
		}
		ovl_outer_l2(m);
		kind = evs_esp_classify(m, ports, EVS_ESP_UDP_PORTS_MAX, &spi);
		if (unlikely(kind > EVS_ESP_KIND_OTHER)) { /* keepalive, IKE: not ours */
			drop(st, ovl_esp_kind_drop(kind), &m, 1);
			continue;
		}
		if (kind != EVS_ESP_KIND_ESP) {
			if (unlikely(ovl_is_neigh(m)))
				nd[nn++] = m; /* the underlay's own ARP/ND */
			else
				clear[nc++] = m;
			continue;
		}
		sas[ne] = evs_sa_table_lookup(t, spi);
		if (sas[ne] == NULL) {
			bad[nb++] = m;
			continue;
		}
		/* the owner word is 1 + the SA's VTEP: another host's address
		 * (or none of ours) never costs a decryption or a window slot,
		 * unless the SA is ESP-in-UDP (a NAT'd peer moves) */
		vtep = ovl_esp_source(dp, m);
		if (likely(ovl_esp_source_ok(sas[ne], vtep)))
			pkts[ne++] = m;
		else if (vtep == UINT16_MAX)
			stray[ns++] = m;
		else
			alien[na++] = m;
	}
	for (uint16_t i = 0; i < nc; i++)
		pkts[ne + i] = clear[i];
	drop(st, EVS_OVL_DROP_UNKNOWN_SPI, bad, nb);
	drop(st, EVS_OVL_DROP_WRONG_PEER, alien, na);
	drop(st, EVS_OVL_DROP_UNKNOWN_VTEP, stray, ns);
	if (nn != 0)
		ovl_neigh_punt(ov, port, nd, nn, st);
	*n = (uint16_t)(ne + nc);
	return ne;
}

/* NAT traversal (RFC 3948, as IKEv2 2.23 does it): an outbound ESP-in-UDP
 * SA sends to the port its peer's verified packets come from, which a NAT
 * in front of the peer may have changed. Once per run of one SA. */
static void follow_peer_ports(const struct evs_overlay *ov, struct evs_sa *const *sas, uint16_t n)
{
	const struct evs_sa *last = NULL;

	for (uint16_t i = 0; i < n; i++) {
		struct evs_sa *out;
		uint16_t peer;

		if (sas[i] == last)
			continue;
		last = sas[i];
		if (likely(!evs_sa_udp_encap(last)))
			continue;
		peer = evs_sa_udp_peer_port(last);
		out = evs_overlay_vtep_out(ov, (uint16_t)(evs_sa_owner(last) - 1));
		if (out != NULL && peer != 0 && evs_sa_udp_encap(out) &&
		    evs_sa_udp_dport(out) != peer)
			evs_sa_set_udp_dport(out, peer);
	}
}

/* The last clear frame's classification: what ovl_rx_classify reads of
 * the metadata (outer addresses, family, VNI) and what it said. */
struct rx_memo {
	uint8_t src[16], dst[16];
	uint32_t vni;
	uint8_t family;
	bool valid;
	uint16_t tp;
	enum evs_overlay_drop why;
};

static inline bool rx_memo_same(const struct rx_memo *r, const struct evs_tun_meta *m)
{
	return r->vni == m->vni && r->family == m->family &&
	       memcmp(r->src, m->src, sizeof(r->src)) == 0 &&
	       memcmp(r->dst, m->dst, sizeof(r->dst)) == 0;
}

static inline void rx_memo_set(struct rx_memo *r, const struct evs_tun_meta *m,
			       enum evs_overlay_drop why, uint16_t tp)
{
	memcpy(r->src, m->src, sizeof(r->src));
	memcpy(r->dst, m->dst, sizeof(r->dst));
	r->vni = m->vni;
	r->family = m->family;
	r->why = why;
	r->tp = why == EVS_OVL_DROP__MAX ? tp : 0;
	r->valid = true;
}

/* evs_overlay_rx_burst on at most OVL_CHUNK packets, any shape. */
static uint16_t rx_full(const struct evs_overlay *ov, const struct evs_overlay_dp *dp,
			struct evs_crypto_engine *e, uint16_t port, struct rte_mbuf **pkts,
			uint16_t n, uint16_t *tp, struct evs_tun_meta *meta,
			struct evs_overlay_stats *st)
{
	struct evs_sa *sas[OVL_CHUNK];
	bool was_esp[OVL_CHUNK];
	uint32_t owner[OVL_CHUNK]; /* an ESP packet's SA's owner: 1 + its VTEP */
	struct rx_memo memo = {.valid = false};
	uint16_t ne, nd, k = 0, i;

	ne = split_esp(ov, dp, port, pkts, &n, sas, st);
	if (unlikely(ne != 0 && e == NULL)) { /* no engine on this lcore */
		drop(st, EVS_OVL_DROP_DECRYPT, pkts, ne);
		for (i = 0; i < n - ne; i++)
			pkts[i] = pkts[ne + i];
		n -= ne;
		ne = 0;
	}
	if (ne != 0) {
		uint16_t ok = evs_esp_decrypt_burst(e, sas, pkts, ne), nc = n - ne;
		struct rte_mbuf *rej[OVL_CHUNK];

		/* pkts: [decrypted ok][rejected][clear]: drop the middle, close the gap */
		for (i = 0; i < ne - ok; i++)
			rej[i] = pkts[ok + i];
		for (i = 0; i < nc; i++)
			pkts[ok + i] = pkts[ne + i];
		drop(st, EVS_OVL_DROP_DECRYPT, rej, ne - ok);
		ctr_add(&st->decrypted, ok);
		follow_peer_ports(ov, sas, ok);
		n = ok + nc;
		ne = ok;
	}
	if (likely(ne == 0)) {
		/* clear traffic only: nothing to follow through the decap */
		memset(was_esp, 0, n * sizeof(was_esp[0]));
		memset(owner, 0, n * sizeof(owner[0]));
		nd = evs_tun_decap_burst(&dp->decap, pkts, n, meta, &st->tun);
		drop(st, EVS_OVL_DROP_TUNNEL, pkts + nd, n - nd);
	} else {
		/* the decap keeps order and compacts: mark the ESP ones by pointer */
		struct rte_mbuf *orig[OVL_CHUNK];

		for (i = 0; i < n; i++) {
			was_esp[i] = i < ne;
			owner[i] = i < ne ? evs_sa_owner(sas[i]) : 0;
			orig[i] = pkts[i];
		}
		nd = evs_tun_decap_burst(&dp->decap, pkts, n, meta, &st->tun);
		drop(st, EVS_OVL_DROP_TUNNEL, pkts + nd, n - nd);
		for (uint16_t j = 0, o = 0; j < nd; j++) {
			while (orig[o] != pkts[j])
				o++;
			was_esp[j] = was_esp[o];
			owner[j] = owner[o];
		}
	}
	for (i = 0; i < nd; i++) {
		struct rte_mbuf *m = pkts[i];
		enum evs_overlay_drop why;

		/* a clear frame from the hosts and VNI of the last one: its
		 * verdict (a burst is mostly one peer's, the lookups are not) */
		if (!was_esp[i] && memo.valid && rx_memo_same(&memo, &meta[i])) {
			why = memo.why;
			tp[k] = memo.tp;
		} else {
			why = ovl_rx_classify(dp, &meta[i], was_esp[i] ? owner[i] : 0, &tp[k]);
			if (!was_esp[i])
				rx_memo_set(&memo, &meta[i], why, tp[k]);
		}
		if (likely(why == EVS_OVL_DROP__MAX)) {
			if (!was_esp[i] && dp->pol.any) /* an encrypted port refuses it */
				m->ol_flags |= ov->f_clear;
			if (k != i)
				meta[k] = meta[i];
			pkts[k++] = m;
			continue;
		}
		drop(st, why, &m, 1);
	}
	ctr_add(&st->rx_packets, k);
	return k;
}

/* Out of line: the prefix loop's registers stay its own (a burst is
 * classified once per change of hosts or VNI, and rarely drops). */
static __rte_noinline enum evs_overlay_drop
rx_classify_clear(const struct evs_overlay_dp *dp, const struct evs_tun_meta *meta, uint16_t *tp)
{
	return ovl_rx_classify(dp, meta, 0, tp);
}

static __rte_noinline void rx_drop_one(struct evs_overlay_stats *st, enum evs_overlay_drop why,
				       struct rte_mbuf *m)
{
	drop(st, why, &m, 1);
}

/* The underlay's usual burst: clear tunnel frames in the decap's one-pass
 * shape (IPv4, no options), decapsulated and classified in two tight loops
 * without the ESP split (no ESP-in-UDP port is a decap port, as for
 * plain_tunnel); from the first frame of another shape, the rest takes
 * rx_full (order kept: the prefix goes first). */
static uint16_t rx_chunk(const struct evs_overlay *ov, const struct evs_overlay_dp *dp,
			 struct evs_crypto_engine *e, uint16_t port, struct rte_mbuf **pkts,
			 uint16_t n, uint16_t *tp, struct evs_tun_meta *meta,
			 struct evs_overlay_stats *st)
{
	uint64_t clear = dp->pol.any ? ov->f_clear : 0; /* an encrypted port refuses it */
	/* the memo: the last frame's outer IPv4 addresses and VNI (none yet:
	 * no VNI is UINT32_MAX), and what they got */
	uint32_t ls = 0, ld = 0, lv = UINT32_MAX;
	enum evs_overlay_drop why = EVS_OVL_DROP__MAX;
	uint16_t nf, k = 0, t = 0, i;

	nf = evs_tun_decap_plain_burst(&dp->decap, pkts, n, meta, &st->tun);
	for (i = 0; i < nf; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t s4, d4;

		/* IPv4 outer addresses (the rest of src/dst is zero) */
		memcpy(&s4, meta[i].src, 4);
		memcpy(&d4, meta[i].dst, 4);
		/* the hosts and VNI of the last frame: its verdict (a burst is
		 * mostly one peer's, the lookups are not) */
		if (unlikely(s4 != ls || d4 != ld || meta[i].vni != lv)) {
			why = rx_classify_clear(dp, &meta[i], &t);
			ls = s4;
			ld = d4;
			lv = meta[i].vni;
		}
		if (unlikely(why != EVS_OVL_DROP__MAX)) {
			rx_drop_one(st, why, m);
			continue;
		}
		m->ol_flags |= clear;
		if (k != i)
			meta[k] = meta[i];
		tp[k] = t;
		pkts[k++] = m;
	}
	if (unlikely(nf != n)) {
		uint16_t got =
		    rx_full(ov, dp, e, port, pkts + nf, (uint16_t)(n - nf), tp + k, meta + k, st);

		/* its survivors follow the prefix's */
		for (i = 0; i < got; i++)
			pkts[k + i] = pkts[nf + i];
		/* rx_full counted its own */
		ctr_add(&st->rx_packets, k);
		return (uint16_t)(k + got);
	}
	ctr_add(&st->rx_packets, k);
	return k;
}

uint16_t evs_overlay_rx_burst(const struct evs_overlay *ov, const struct evs_overlay_dp *dp,
			      struct evs_crypto_engine *e, uint16_t port, struct rte_mbuf **pkts,
			      uint16_t n, uint16_t *tp, struct evs_tun_meta *meta,
			      struct evs_overlay_stats *st)
{
	uint16_t k = 0;

	if (unlikely(dp == NULL)) {
		drop(st, EVS_OVL_DROP_UNKNOWN_VTEP, pkts, n);
		return 0;
	}
	for (uint16_t off = 0; off < n; off += OVL_CHUNK) {
		uint16_t c = RTE_MIN((uint16_t)(n - off), (uint16_t)OVL_CHUNK);
		uint16_t got = rx_chunk(ov, dp, e, port, pkts + off, c, tp + k, meta + k, st);

		/* survivors move down to follow the earlier chunks' */
		for (uint16_t i = 0; i < got; i++)
			pkts[k + i] = pkts[off + i];
		k += got;
	}
	return k;
}
