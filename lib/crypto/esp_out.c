/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Outbound ESP: per packet, make room for the ESP header (and outer IP /
 * UDP) and the trailer, write the headers; then one job per packet through
 * the engine; then (IPv6 ESP-in-UDP only, unless the peer takes zero) the
 * UDP checksum over the result.
 *
 *   transport: [L2][IP][UDP?][SPI seq IV][payload pad padlen nh][ICV]
 *   tunnel:    [L2][outer IP][UDP?][SPI seq IV][inner IP pad padlen nh][ICV]
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "crypto_private.h"
#include "esp_private.h"

/* Where each packet's job reads and writes, recorded by the prepare step. */
struct out_pkt {
	uint8_t *esp; /* ESP header */
	uint8_t *icv;
	uint64_t seq;
	uint32_t ct_len; /* payload + pad + 2 */
	uint32_t payload;
	uint8_t v; /* IP version of the header in front of the ESP */
};

struct out_args {
	struct evs_sa *sa;
	struct out_pkt p[CRYPTO_CHUNK];
};

static void write_udp(uint8_t *udp, const struct evs_sa *sa, uint32_t len)
{
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)udp;

	u->src_port = rte_cpu_to_be_16(sa->udp_sport);
	/* relaxed: the port may float to where the peer's NAT maps it */
	u->dst_port = rte_cpu_to_be_16(__atomic_load_n(&sa->udp_dport, __ATOMIC_RELAXED));
	u->dgram_len = rte_cpu_to_be_16((uint16_t)len);
	u->dgram_cksum = 0; /* IPv4: RFC 3948 says zero; IPv6: filled after the job, or zero */
}

/* Build the outer IP header of a tunnel-mode packet whose inner header is
 * @p inner (version @p inner_v); the SA's endpoints, or without them the
 * inner header's own addresses (family 0: the overlay's hosts). */
static void write_outer(uint8_t *ip, const struct evs_sa *sa, const uint8_t *inner,
			unsigned int inner_v, uint32_t len, uint8_t proto, uint64_t seq)
{
	const uint8_t *src = sa->tun_src.b, *dst = sa->tun_dst.b;
	unsigned int v = sa->tun_src.family;

	if (v == 0) {
		v = inner_v;
		src = inner + (v == 4 ? 12 : 8);
		dst = inner + (v == 4 ? 16 : 24);
	}

	/* DSCP and ECN follow the inner header (RFC 4301 5.1.2, RFC 6040 normal mode). */
	uint8_t tos =
	    inner_v == 4 ? inner[1] : (uint8_t)(((inner[0] & 0x0f) << 4) | (inner[1] >> 4));

	if (v == 4) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;

		h->version_ihl = 0x45;
		h->type_of_service = tos;
		h->total_length = rte_cpu_to_be_16((uint16_t)len);
		h->packet_id = rte_cpu_to_be_16((uint16_t)seq);
		h->fragment_offset = 0;
		h->time_to_live = 64;
		h->next_proto_id = proto;
		h->hdr_checksum = 0;
		memcpy(&h->src_addr, src, 4);
		memcpy(&h->dst_addr, dst, 4);
		h->hdr_checksum = crypto_ipv4_cksum(h, sizeof(*h));
	} else {
		struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)ip;

		h->vtc_flow = rte_cpu_to_be_32((6u << 28) | ((uint32_t)tos << 20));
		h->payload_len = rte_cpu_to_be_16((uint16_t)(len - sizeof(*h)));
		h->proto = proto;
		h->hop_limits = 64;
		memcpy(h->src_addr, src, 16);
		memcpy(h->dst_addr, dst, 16);
	}
}

/* Rewrite a transport-mode IP header for its new length and protocol. */
static void fix_transport(uint8_t *ip, unsigned int v, uint32_t len, uint8_t proto)
{
	if (v == 4) {
		crypto_ipv4_set(ip, rte_cpu_to_be_16((uint16_t)len), proto);
	} else {
		struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)ip;

		h->payload_len = rte_cpu_to_be_16((uint16_t)(len - sizeof(*h)));
		h->proto = proto;
	}
}

/* RFC 4303 2.4's default padding: 1, 2, 3 (at most 3 here: GCM needs no
 * block alignment, only the 4-byte one); written as one word. */
static const uint8_t pad_bytes[4] = {1, 2, 3, 4};

/* Lay out packet @p m for sequence @p seq; 0 or 1 + enum evs_esp_drop. */
static __rte_always_inline uint8_t prepare(const struct evs_sa *sa, struct rte_mbuf *m,
					   uint64_t seq, struct out_pkt *p)
{
	struct esp_ip ip;
	unsigned int l2 = m->l2_len, udp_len = sa->udp_encap ? 8 : 0;
	unsigned int outer_hl = 0, keep, ins, pad, v, tail;
	uint32_t payload, new_ip_len;
	uint8_t nh, *data, *out_ip, *esp, *t;
	uint8_t rc;

	rc = esp_ip_parse(m, &ip);
	if (rc != 0)
		return rc;
	if (sa->mode == EVS_ESP_TRANSPORT) {
		if (ip.frag || ip.v6_ext)
			return 1 + EVS_ESP_DROP_UNSUPPORTED;
		payload = ip.len - ip.hl;
		nh = ip.proto;
		keep = l2 + ip.hl;
		v = ip.v;
	} else {
		payload = ip.len;
		nh = ip.v == 4 ? IPPROTO_IPIP : IPPROTO_IPV6;
		v = sa->tun_src.family != 0 ? sa->tun_src.family : ip.v;
		outer_hl = v == 4 ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);
		keep = l2;
	}
	pad = (4 - ((payload + 2) & 3)) & 3;
	tail = pad + 2 + EVS_ESP_ICV_LEN;
	ins = outer_hl + udp_len + EVS_ESP_HDR_LEN;
	new_ip_len = (sa->mode == EVS_ESP_TRANSPORT ? ip.hl : outer_hl) + udp_len +
		     EVS_ESP_HDR_LEN + payload + tail;
	if (new_ip_len > UINT16_MAX + (v == 6 ? 40u : 0u))
		return 1 + EVS_ESP_DROP_NO_ROOM;
	/* Link-layer padding beyond the IP length is dropped (its room reused). */
	if (unlikely(m->data_off < ins)) {
		/* Short of headroom (an IPv6 tunnel header, then tunnel mode in
		 * UDP over IPv6: 134 bytes > 128): the packet moves up, once. */
		uint16_t up = (uint16_t)(ins - m->data_off);

		if ((unsigned int)(m->buf_len - m->data_off) < up + l2 + ip.len + tail)
			return 1 + EVS_ESP_DROP_NO_ROOM;
		data = rte_pktmbuf_mtod(m, uint8_t *);
		memmove(data + up, data, l2 + ip.len);
		m->data_off = (uint16_t)(m->data_off + up);
	}
	if ((unsigned int)(m->buf_len - m->data_off) < l2 + ip.len + tail)
		return 1 + EVS_ESP_DROP_NO_ROOM;

	/* Grow both ends in place (single segment: the mbuf's lengths are equal). */
	m->data_off = (uint16_t)(m->data_off - ins);
	m->data_len = (uint16_t)(l2 + ip.len + ins + tail);
	m->pkt_len = m->data_len;
	data = rte_pktmbuf_mtod(m, uint8_t *);
	if (likely(keep >= 16))
		esp_move_down(data, data + ins, keep);
	else
		memmove(data, data + ins, keep);
	t = data + ins + l2 + ip.len;
	memcpy(t, pad_bytes, sizeof(pad_bytes)); /* tail >= 18: room for the word */
	t[pad] = (uint8_t)pad;
	t[pad + 1] = nh;

	out_ip = data + l2;
	esp = out_ip + (sa->mode == EVS_ESP_TRANSPORT ? ip.hl : outer_hl) + udp_len;
	if (sa->mode == EVS_ESP_TRANSPORT) {
		fix_transport(out_ip, v, new_ip_len, sa->udp_encap ? IPPROTO_UDP : IPPROTO_ESP);
	} else {
		write_outer(out_ip, sa, esp + EVS_ESP_HDR_LEN, ip.v, new_ip_len,
			    sa->udp_encap ? IPPROTO_UDP : IPPROTO_ESP, seq);
		if (l2 >= 2)
			esp_set_ethertype(data + l2 - 2, v);
	}
	if (sa->udp_encap)
		write_udp(esp - udp_len, sa, udp_len + EVS_ESP_HDR_LEN + payload + tail);
	esp_hdr_write(esp, sa->spi_be, seq);
	p->esp = esp;
	p->seq = seq;
	p->v = (uint8_t)v;
	p->ct_len = payload + pad + 2;
	p->payload = payload;
	p->icv = t + pad + 2;
	return 0;
}

static __rte_always_inline void out_fill(struct evs_crypto_engine *e, IMB_JOB *job, uint16_t i,
					 void *arg)
{
	const struct out_args *a = arg;
	const struct evs_sa *sa = a->sa;
	struct crypto_scratch *s = &e->scratch[i];
	const struct out_pkt *p = &a->p[i];
	const uint8_t *aad = p->esp; /* SPI || seq, as on the wire */
	uint32_t aad_len = 8;

	esp_nonce_seq(s->nonce, sa->salt, p->seq);
	if (sa->esn) {
		aad_len = esp_aad(s->aad, p->esp, true);
		aad = s->aad;
	}
	crypto_job_fill(job, sa, true, s->nonce, aad, aad_len, p->esp + EVS_ESP_HDR_LEN, p->ct_len,
			p->icv);
}

/* Reserve @p n sequence numbers; returns how many could be (rest exhausted). */
static uint16_t seq_reserve(struct evs_sa *sa, uint16_t n, uint64_t *first)
{
	uint64_t s = __atomic_load_n(&sa->next_seq, __ATOMIC_RELAXED);

	/* Relaxed is enough: numbers only need to be unique, and the packets
	 * carrying them are ordered by the tx path, not by this counter. */
	do {
		uint64_t avail;

		if (s == 0 || s > sa->max_seq)
			return 0;
		avail = sa->max_seq - s + 1;
		if (avail < n)
			n = (uint16_t)avail;
	} while (!__atomic_compare_exchange_n(&sa->next_seq, &s, s + n, false, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	*first = s;
	return n;
}

static uint16_t encrypt_chunk(struct evs_crypto_engine *e, struct out_args *a,
			      struct rte_mbuf **pkts, uint16_t n)
{
	struct evs_sa *sa = a->sa;
	struct sa_slot_stats *st = &sa->stats[e->slot];
	uint64_t seq = 0, bytes = 0, last = 0;
	uint16_t have, k = 0;
	bool csum6 = sa->udp_encap && !__atomic_load_n(&sa->udp_zero_csum6, __ATOMIC_RELAXED);

	have = seq_reserve(sa, n, &seq);
	/* A number reserved for a packet dropped here is simply never sent. */
	for (uint16_t i = 0; i < have; i++)
		e->status[i] = prepare(sa, pkts[i], seq + i, &a->p[i]);
	memset(e->status + have, 1 + EVS_ESP_DROP_SEQ_EXHAUSTED, n - have);
	crypto_run(e, n, out_fill, a);
	for (uint16_t i = 0; i < n; i++) {
		if (e->status[i] != 0) {
			sa_drop(e, sa, (enum evs_esp_drop)(e->status[i] - 1));
			continue;
		}
		k++;
		if (csum6 && a->p[i].v == 6) {
			/* RFC 8200 forbids a zero UDP checksum unless the peer takes
			 * one (RFC 6935); it covers the ciphertext. */
			struct rte_udp_hdr *u = (struct rte_udp_hdr *)(a->p[i].esp - 8);

			u->dgram_cksum = rte_ipv6_udptcp_cksum(
			    rte_pktmbuf_mtod_offset(pkts[i], struct rte_ipv6_hdr *,
						    pkts[i]->l2_len),
			    u);
		}
		bytes += a->p[i].payload;
		last = seq + i;
	}
	if (k != n)
		k = crypto_compact(e, pkts, NULL, n);
	if (k != 0) {
		crypto_count(&st->packets, k);
		crypto_count(&st->bytes, bytes);
		if (last > st->last_seq)
			__atomic_store_n(&st->last_seq, last, __ATOMIC_RELAXED);
	}
	return k;
}

uint16_t evs_esp_encrypt_burst(struct evs_crypto_engine *e, struct evs_sa *sa,
			       struct rte_mbuf **pkts, uint16_t n)
{
	struct out_args a;
	uint16_t k = 0;

	if (sa->dir != EVS_SA_OUTBOUND) {
		crypto_count(&sa->stats[e->slot].drops[EVS_ESP_DROP_WRONG_SA], n);
		return 0;
	}
	a.sa = sa;
	for (uint16_t off = 0; off < n; off += CRYPTO_CHUNK) {
		uint16_t len = RTE_MIN((uint16_t)(n - off), (uint16_t)CRYPTO_CHUNK);
		uint16_t ck = encrypt_chunk(e, &a, pkts + off, len);

		k = crypto_merge(pkts, NULL, k, off, (uint16_t)(off + ck));
	}
	return k;
}
