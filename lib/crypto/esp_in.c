/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inbound ESP: per packet, validate the headers and pre-check replay; one
 * decrypt job per packet through the engine (the tag is computed into the
 * engine's scratch); then, in order, compare the ICV, accept the sequence
 * (a second check: two copies in one burst), check the trailer and strip
 * ESP (and the outer IP header in tunnel mode).
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "crypto_private.h"
#include "esp_private.h"

/* Smallest ESP: header + IV, pad length + next header, ICV. */
#define ESP_MIN_LEN (EVS_ESP_HDR_LEN + 2 + EVS_ESP_ICV_LEN)

/* Offset of the ESP header from the IP header, 0 if not ESP for @p port. */
static unsigned int esp_offset(const uint8_t *l3, const struct esp_ip *ip, uint16_t port)
{
	if (ip->proto == IPPROTO_ESP)
		return ip->hl;
	if (ip->proto == IPPROTO_UDP && port != 0 && ip->len >= ip->hl + 8u + 4u) {
		const struct rte_udp_hdr *u = (const struct rte_udp_hdr *)(l3 + ip->hl);
		uint32_t marker;

		memcpy(&marker, l3 + ip->hl + 8, 4);
		/* A zero where the SPI would be is IKE's non-ESP marker (RFC 3948 2.2). */
		if (rte_be_to_cpu_16(u->dst_port) == port && marker != 0)
			return ip->hl + 8u;
	}
	return 0;
}

enum evs_esp_kind evs_esp_classify(const struct rte_mbuf *m, const uint16_t *ports,
				   unsigned int n_ports, uint32_t *spi)
{
	const uint8_t *l3 = rte_pktmbuf_mtod(m, const uint8_t *) + m->l2_len;
	const struct rte_udp_hdr *u;
	struct esp_ip ip;
	uint16_t dport;
	uint32_t w;
	unsigned int i, plen;

	if (esp_ip_parse(m, &ip) != 0 || ip.frag || ip.v6_ext)
		return EVS_ESP_KIND_OTHER; /* the clear path judges it */
	if (ip.proto == IPPROTO_ESP) {
		if (ip.len < ip.hl + 4u)
			return EVS_ESP_KIND_MALFORMED;
		memcpy(&w, l3 + ip.hl, 4);
		*spi = rte_be_to_cpu_32(w);
		return EVS_ESP_KIND_ESP;
	}
	if (ip.proto != IPPROTO_UDP || n_ports == 0 || ip.len < ip.hl + 8u)
		return EVS_ESP_KIND_OTHER;
	u = (const struct rte_udp_hdr *)(l3 + ip.hl);
	dport = rte_be_to_cpu_16(u->dst_port);
	for (i = 0; i < n_ports; i++)
		if (ports[i] == dport && dport != 0)
			break;
	if (i == n_ports)
		return EVS_ESP_KIND_OTHER;
	plen = ip.len - ip.hl - 8u;
	/* RFC 3948 2.3: one byte 0xFF; 2.2: four zero bytes, then IKE */
	if (plen == 1 && l3[ip.hl + 8] == 0xff)
		return EVS_ESP_KIND_KEEPALIVE;
	if (plen < 4)
		return EVS_ESP_KIND_MALFORMED;
	memcpy(&w, l3 + ip.hl + 8, 4);
	if (w == 0)
		return EVS_ESP_KIND_NON_ESP;
	*spi = rte_be_to_cpu_32(w);
	return EVS_ESP_KIND_ESP;
}

int evs_esp_peek_spi(const struct rte_mbuf *m, uint16_t udp_port, uint32_t *spi)
{
	const uint8_t *l3 = rte_pktmbuf_mtod(m, const uint8_t *) + m->l2_len;
	struct esp_ip ip;
	unsigned int off;
	uint32_t w;

	if (esp_ip_parse(m, &ip) != 0)
		return -EPROTO;
	if (ip.frag || ip.v6_ext)
		return -EINVAL;
	off = esp_offset(l3, &ip, udp_port);
	if (off == 0)
		return -EINVAL;
	if (ip.len < off + 4u)
		return -EPROTO;
	memcpy(&w, l3 + off, 4);
	*spi = rte_be_to_cpu_32(w);
	return 0;
}

struct in_pkt {
	uint8_t *esp;
	uint32_t ct_len; /* encrypted bytes: payload + pad + 2 */
	uint64_t seq;
	uint16_t off; /* ESP header from the IP header */
	struct esp_ip ip;
};

struct in_args {
	struct evs_sa **sas;
	struct in_pkt p[CRYPTO_CHUNK];
};

/* Validate packet @p m for @p sa; 0 or 1 + enum evs_esp_drop. */
static __rte_always_inline uint8_t inspect(const struct evs_sa *sa, struct rte_mbuf *m,
					   struct in_pkt *p)
{
	uint8_t *l3 = rte_pktmbuf_mtod(m, uint8_t *) + m->l2_len;
	uint32_t w[2], esp_len;
	uint8_t rc;

	rc = esp_ip_parse(m, &p->ip);
	if (rc != 0)
		return rc;
	if (p->ip.frag || p->ip.v6_ext)
		return 1 + EVS_ESP_DROP_UNSUPPORTED;
	if (p->ip.proto != sa->in_proto) /* an outbound SA's is 0: never matches */
		return 1 + EVS_ESP_DROP_WRONG_SA;
	p->off = (uint16_t)esp_offset(l3, &p->ip, sa->udp_encap ? sa->udp_dport : 0);
	if (p->off == 0)
		return 1 + EVS_ESP_DROP_WRONG_SA;
	esp_len = p->ip.len - p->off;
	if (esp_len < ESP_MIN_LEN || ((esp_len - EVS_ESP_HDR_LEN - EVS_ESP_ICV_LEN) & 3) != 0)
		return 1 + EVS_ESP_DROP_MALFORMED;
	p->esp = l3 + p->off;
	memcpy(w, p->esp, 8);
	if (w[0] != sa->spi_be)
		return 1 + EVS_ESP_DROP_WRONG_SA;
	/* ESN: inferred from the window as it is before this burst, never from
	 * numbers not yet verified (a forged one would mislead the rest). */
	p->seq = sa->esn ? evs_replay_esn_infer(&sa->replay, rte_be_to_cpu_32(w[1]))
			 : rte_be_to_cpu_32(w[1]);
	if (!evs_replay_check(&sa->replay, p->seq))
		return 1 + EVS_ESP_DROP_REPLAY;
	p->ct_len = esp_len - EVS_ESP_HDR_LEN - EVS_ESP_ICV_LEN;
	return 0;
}

static __rte_always_inline void in_fill(struct evs_crypto_engine *e, IMB_JOB *job, uint16_t i,
					void *arg)
{
	const struct in_args *a = arg;
	struct crypto_scratch *s = &e->scratch[i];
	const struct in_pkt *p = &a->p[i];
	const struct evs_sa *sa = a->sas[i];
	const uint8_t *aad = p->esp; /* SPI || seq, as on the wire */
	uint32_t aad_len = 8;

	esp_nonce(s->nonce, sa->salt, p->esp + 8);
	if (sa->esn) {
		aad_len = esp_aad_seq(s->aad, p->esp, true, (uint32_t)(p->seq >> 32));
		aad = s->aad;
	}
	crypto_job_fill(job, sa, false, s->nonce, aad, aad_len, p->esp + EVS_ESP_HDR_LEN, p->ct_len,
			s->tag);
}

/* RFC 4303 2.4: the default padding is 1, 2, 3, ...; whether @p pad (the
 * @p padlen bytes before the pad length) is that. Up to 3 bytes (what GCM
 * senders add) in one word: the word stays inside the trailer. */
static inline bool pad_ok(const uint8_t *pad, unsigned int padlen)
{
	uint32_t w;

	if (likely(padlen <= 3)) {
		memcpy(&w, pad, 4);
		w = rte_le_to_cpu_32(w) ^ 0x04030201u;
		return (w & ((1u << (8 * padlen)) - 1)) == 0;
	}
	for (unsigned int i = 0; i < padlen; i++)
		if (pad[i] != i + 1)
			return false;
	return true;
}

/* Check the trailer of a verified packet and strip ESP; returns its payload
 * length or 0 with *why set. */
static __rte_always_inline uint32_t strip(const struct evs_sa *sa, struct rte_mbuf *m,
					  const struct in_pkt *p, uint8_t *why)
{
	const uint8_t *pt = p->esp + EVS_ESP_HDR_LEN;
	uint8_t padlen = pt[p->ct_len - 2], nh = pt[p->ct_len - 1];
	unsigned int l2 = m->l2_len, cut, keep;
	uint32_t payload;
	uint8_t *data;

	*why = 1 + EVS_ESP_DROP_TRAILER;
	if (padlen + 2u > p->ct_len)
		return 0;
	payload = p->ct_len - 2 - padlen;
	if (!pad_ok(pt + payload, padlen))
		return 0;
	if (sa->mode == EVS_ESP_TUNNEL) {
		unsigned int inner_v = payload > 0 ? pt[0] >> 4 : 0;

		if (!((nh == IPPROTO_IPIP && inner_v == 4) || (nh == IPPROTO_IPV6 && inner_v == 6)))
			return 0;
		cut = p->off + EVS_ESP_HDR_LEN; /* the whole outer header goes */
		keep = l2;
		if (l2 >= 2)
			esp_set_ethertype(rte_pktmbuf_mtod(m, uint8_t *) + l2 - 2, inner_v);
	} else {
		cut = p->off - p->ip.hl + EVS_ESP_HDR_LEN; /* UDP and ESP header */
		keep = l2 + p->ip.hl;
	}
	data = rte_pktmbuf_mtod(m, uint8_t *);
	if (likely(keep >= 16))
		esp_move_up(data + cut, data, keep);
	else
		memmove(data + cut, data, keep);
	/* Single segment: cut the front, and the trailer, ICV and any link
	 * padding after the IP packet at the back. */
	m->data_off = (uint16_t)(m->data_off + cut);
	m->data_len = (uint16_t)(l2 + p->off + EVS_ESP_HDR_LEN + payload - cut);
	m->pkt_len = m->data_len;
	data += cut;
	if (sa->mode == EVS_ESP_TRANSPORT) {
		uint8_t *ip = data + l2;
		uint32_t len = p->ip.hl + payload;

		if (p->ip.v == 4) {
			crypto_ipv4_set(ip, rte_cpu_to_be_16((uint16_t)len), nh);
		} else {
			struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)ip;

			h->payload_len = rte_cpu_to_be_16((uint16_t)payload);
			h->proto = nh;
		}
	}
	*why = 0;
	return payload;
}

/* Record where an authenticated ESP-in-UDP packet came from: its source
 * port (UDP header at @p udp) and address (IP header at @p l3, version
 * @p v). Only for a newest packet (it moved the window's top), so that
 * one from before a NAT's rebinding, late but in the window, does not move
 * the peer back. Out of line: it runs once per SA and chunk. */
static __rte_noinline void learn_peer(struct evs_sa *sa, const uint8_t *l3, const uint8_t *udp,
				      uint8_t v, uint64_t seq)
{
	uint16_t sp = (uint16_t)(udp[0] << 8 | udp[1]);
	uint64_t w[2] = {0, 0}; /* the address in two words: compared without a loop */

	/* single writer; readers any lcore */
	__atomic_store_n(&sa->peer_seq, seq, __ATOMIC_RELAXED);
	if (unlikely(sp != sa->peer_port))
		__atomic_store_n(&sa->peer_port, sp, __ATOMIC_RELAXED);
	if (v == 4)
		memcpy(w, l3 + 12, 4);
	else
		memcpy(w, l3 + 8, 16);
	if (likely(sa->peer_w[0] == w[0] && sa->peer_w[1] == w[1] && sa->peer_family == v))
		return;
	/* odd while the words change; the release fence keeps the odd count
	 * before them, the release store the words before the even count */
	__atomic_store_n(&sa->peer_gen, sa->peer_gen + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	sa->peer_family = v;
	sa->peer_w[0] = w[0];
	sa->peer_w[1] = w[1];
	__atomic_store_n(&sa->peer_gen, sa->peer_gen + 1, __ATOMIC_RELEASE);
}

/* Per-SA counters of a run of packets with the same SA, written once. */
struct in_count {
	struct evs_sa *sa;
	uint64_t packets, bytes;
};

static inline void in_count_flush(const struct evs_crypto_engine *e, struct in_count *c)
{
	struct sa_slot_stats *st;

	if (c->packets == 0)
		return;
	st = &c->sa->stats[e->slot];
	crypto_count(&st->packets, c->packets);
	crypto_count(&st->bytes, c->bytes);
	__atomic_store_n(&st->last_seq, c->sa->replay.top, __ATOMIC_RELAXED);
	c->packets = 0;
	c->bytes = 0;
}

static uint16_t decrypt_chunk(struct evs_crypto_engine *e, struct in_args *a,
			      struct rte_mbuf **pkts, uint16_t n)
{
	struct in_count cnt = {.sa = NULL};
	const struct evs_sa *learnt = NULL; /* the SA learn_peer last ran for */
	uint16_t ok = 0;

	for (uint16_t i = 0; i < n; i++) {
		if (a->sas[i] == NULL) {
			e->status[i] = 1 + EVS_ESP_DROP__MAX; /* counted on the engine */
			crypto_count(&e->no_sa, 1);
			continue;
		}
		e->status[i] = inspect(a->sas[i], pkts[i], &a->p[i]);
	}
	crypto_run(e, n, in_fill, a);
	for (uint16_t i = 0; i < n; i++) {
		struct evs_sa *sa = a->sas[i];
		uint32_t payload;

		if (e->status[i] == 1 + EVS_ESP_DROP__MAX)
			continue;
		if (e->status[i] == 0 &&
		    crypto_tag_differs(e->scratch[i].tag,
				       a->p[i].esp + EVS_ESP_HDR_LEN + a->p[i].ct_len))
			e->status[i] = 1 + EVS_ESP_DROP_AUTH;
		if (e->status[i] == 0 && !evs_replay_accept(&sa->replay, a->p[i].seq))
			e->status[i] = 1 + EVS_ESP_DROP_REPLAY;
		if (e->status[i] != 0) {
			sa_drop(e, sa, (enum evs_esp_drop)(e->status[i] - 1));
			continue;
		}
		/* authenticated: where the peer (or its NAT) sends from; read
		 * before the strip moves headers over the UDP header. Once per
		 * SA and chunk: a NAT moves rarely, the next burst sees it */
		if (unlikely(sa->udp_encap) && sa != learnt && sa->replay.top == a->p[i].seq) {
			learn_peer(sa, a->p[i].esp - a->p[i].off, a->p[i].esp - 8, a->p[i].ip.v,
				   a->p[i].seq);
			learnt = sa;
		}
		payload = strip(sa, pkts[i], &a->p[i], &e->status[i]);
		if (e->status[i] != 0) {
			sa_drop(e, sa, (enum evs_esp_drop)(e->status[i] - 1));
			continue;
		}
		if (sa != cnt.sa) {
			in_count_flush(e, &cnt);
			cnt.sa = sa;
		}
		cnt.packets++;
		cnt.bytes += payload;
		ok++;
	}
	in_count_flush(e, &cnt);
	return ok == n ? n : crypto_compact(e, pkts, (void **)a->sas, n);
}

uint16_t evs_esp_decrypt_burst(struct evs_crypto_engine *e, struct evs_sa **sas,
			       struct rte_mbuf **pkts, uint16_t n)
{
	struct in_args a;
	uint16_t k = 0;

	for (uint16_t off = 0; off < n; off += CRYPTO_CHUNK) {
		uint16_t len = RTE_MIN((uint16_t)(n - off), (uint16_t)CRYPTO_CHUNK);
		uint16_t ck;

		a.sas = sas + off;
		ck = decrypt_chunk(e, &a, pkts + off, len);
		k = crypto_merge(pkts, (void **)sas, k, off, (uint16_t)(off + ck));
	}
	return k;
}

int evs_esp_decrypt_trace(struct evs_crypto_engine *e, const struct evs_sa *sa, struct rte_mbuf *m,
			  uint64_t *seq, enum evs_esp_drop *why)
{
	struct evs_sa *sas[1] = {(struct evs_sa *)(uintptr_t)sa}; /* read only below */
	struct in_args a;
	uint8_t st;

	a.sas = sas;
	a.p[0].seq = 0;
	/* inspect only checks the window (evs_replay_check); nothing below
	 * accepts a sequence number or counts */
	st = inspect(sa, m, &a.p[0]);
	*seq = a.p[0].seq;
	e->status[0] = st;
	if (st == 0) {
		crypto_run(e, 1, in_fill, &a);
		st = e->status[0];
	}
	if (st == 0 &&
	    crypto_tag_differs(e->scratch[0].tag, a.p[0].esp + EVS_ESP_HDR_LEN + a.p[0].ct_len))
		st = 1 + EVS_ESP_DROP_AUTH;
	if (st == 0)
		strip(sa, m, &a.p[0], &st);
	if (st == 0)
		return 0;
	*why = (enum evs_esp_drop)(st - 1);
	return -EBADMSG;
}
