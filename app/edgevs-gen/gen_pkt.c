/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame builder and stamp parser. A builder keeps one template per size of
 * the mix, with the flow fields, the stamp and the checksums zeroed and the
 * checksum partial sums of everything else precomputed; building a frame is
 * a copy, a few stores and two short sums (RFC 1624 style: the one's
 * complement sum is order-independent, so the varying words are just added).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "evs_gen.h"

enum {
	ETH_LEN = 14,
	VLAN_LEN = 4,
	IP4_LEN = 20,
	UDP_LEN = 8,
	TCP_LEN = 20,
	TUN_LEN = 8, /* VXLAN header, or GENEVE base header without options */
	ETHERTYPE_IPV4 = 0x0800,
	ETHERTYPE_VLAN = 0x8100,
	ETHERTYPE_QINQ = 0x88a8,
	ETHERTYPE_TEB = 0x6558, /* transparent Ethernet bridging (GENEVE) */
	TCP_FLAG_SYN = 0x02,
	TCP_FLAG_PSH = 0x08,
	TCP_FLAG_ACK = 0x10,
};

struct gen_tmpl {
	uint8_t *data;
	uint16_t len;	 /* frame length without FCS */
	uint16_t l3_off; /* innermost IPv4 */
	uint16_t l4_off; /* innermost UDP/TCP */
	uint16_t stamp_off;
	uint16_t osport_off;  /* outer UDP source port, 0 without tunnel */
	uint16_t hdr_copy;    /* bytes up to the end of the longest stamp */
	uint8_t stamp_len;    /* enum evs_gen_stamp_level */
	uint32_t payload_len; /* bytes after the innermost L4 header */
	uint32_t ip_sum;      /* inner IPv4 header, addresses and checksum zero */
	uint32_t l4_sum;      /* L4 segment + pseudo header, varying fields zero */
};

struct evs_gen_builder {
	struct evs_gen_pkt_config cfg;
	unsigned int n;
	struct gen_tmpl tmpl[EVS_GEN_MIX_SIZES_MAX];
};

uint32_t evs_gen_sum16(const void *p, uint32_t len)
{
	const uint8_t *b = p;
	uint64_t sum = 0;
	uint16_t w;

	for (; len >= 2; len -= 2, b += 2) {
		memcpy(&w, b, 2);
		sum += w;
	}
	if (len) {
		uint8_t last[2] = {b[0], 0};

		memcpy(&w, last, 2);
		sum += w;
	}
	while (sum >> 32)
		sum = (sum & 0xffffffffu) + (sum >> 32);
	return (uint32_t)sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Bytes of headers before the stamp. */
static int hdr_len(const struct evs_gen_pkt_config *c)
{
	int n = ETH_LEN + (c->vlan ? VLAN_LEN : 0);

	switch (c->encap) {
	case EVS_GEN_ENCAP_NONE:
		break;
	case EVS_GEN_ENCAP_VXLAN:
	case EVS_GEN_ENCAP_GENEVE:
		n += IP4_LEN + UDP_LEN + TUN_LEN + ETH_LEN;
		break;
	default:
		return -EINVAL;
	}
	n += IP4_LEN;
	switch (c->l4) {
	case EVS_GEN_UDP:
		return n + UDP_LEN;
	case EVS_GEN_TCP_SYN:
	case EVS_GEN_TCP_ACK:
		return n + TCP_LEN;
	default:
		return -EINVAL;
	}
}

int evs_gen_outer_len(const struct evs_gen_pkt_config *c)
{
	if (c->encap == EVS_GEN_ENCAP_NONE)
		return 0;
	return ETH_LEN + (c->vlan ? VLAN_LEN : 0) + IP4_LEN + UDP_LEN + TUN_LEN;
}

int evs_gen_min_size(const struct evs_gen_pkt_config *c)
{
	int n = hdr_len(c);

	if (n < 0)
		return n;
	return RTE_MAX(n + EVS_GEN_STAMP_ID + RTE_ETHER_CRC_LEN, EVS_GEN_SIZE_MIN);
}

static uint8_t *put_eth(uint8_t *p, const struct rte_ether_addr *dst,
			const struct rte_ether_addr *src, bool vlan, uint16_t tci, uint16_t type)
{
	memcpy(p, dst->addr_bytes, RTE_ETHER_ADDR_LEN);
	memcpy(p + 6, src->addr_bytes, RTE_ETHER_ADDR_LEN);
	p += 12;
	if (vlan) {
		put16(p, ETHERTYPE_VLAN);
		put16(p + 2, tci);
		p += 4;
	}
	put16(p, type);
	return p + 2;
}

static uint8_t *put_ip4(uint8_t *p, const struct evs_gen_pkt_config *c, uint16_t tot_len,
			uint8_t proto, uint32_t src, uint32_t dst)
{
	p[0] = 0x45;
	p[1] = c->tos;
	put16(p + 2, tot_len);
	put16(p + 4, 0);      /* id: DF is set, so RFC 6864 lets it be 0 */
	put16(p + 6, 0x4000); /* DF */
	p[8] = c->ttl ? c->ttl : 64;
	p[9] = proto;
	put16(p + 10, 0);
	put32(p + 12, src);
	put32(p + 16, dst);
	return p + IP4_LEN;
}

static int tmpl_build(struct gen_tmpl *t, const struct evs_gen_pkt_config *c, uint16_t size)
{
	uint8_t *p, *ip, *l4;
	uint8_t pseudo[12];
	uint16_t l4_len;
	uint8_t proto = c->l4 == EVS_GEN_UDP ? IPPROTO_UDP : IPPROTO_TCP;
	int hl = hdr_len(c);
	unsigned int i, room;

	if (hl < 0 || size < evs_gen_min_size(c) || size > EVS_GEN_SIZE_MAX)
		return -EINVAL;
	t->len = (uint16_t)(size - RTE_ETHER_CRC_LEN);
	/* Padded: evs_gen_build_hdr() copies whole 16-byte blocks. */
	t->data = calloc(1, t->len + EVS_GEN_BUILD_SLACK);
	if (t->data == NULL)
		return -ENOMEM;
	p = t->data;
	if (c->encap != EVS_GEN_ENCAP_NONE) {
		bool vx = c->encap == EVS_GEN_ENCAP_VXLAN;
		uint8_t *oip;
		uint16_t ck;

		p = put_eth(p, &c->dst_mac, &c->src_mac, c->vlan, c->vlan_tci, ETHERTYPE_IPV4);
		oip = p;
		p = put_ip4(p, c, (uint16_t)(t->len - (p - t->data)), IPPROTO_UDP, c->outer_src_ip,
			    c->outer_dst_ip);
		ck = evs_gen_csum_fold(evs_gen_sum16(oip, IP4_LEN)); /* constant per size */
		memcpy(oip + 10, &ck, 2);
		t->osport_off = (uint16_t)(p - t->data);
		put16(p + 2, vx ? EVS_GEN_VXLAN_PORT : EVS_GEN_GENEVE_PORT);
		put16(p + 4, (uint16_t)(t->len - (p - t->data)));
		put16(p + 6, 0); /* RFC 7348 / 8926: zero UDP checksum over IPv4 */
		p += UDP_LEN;
		if (vx) {
			put32(p, 0x08000000u); /* I flag: VNI valid */
			put32(p + 4, c->vni << 8);
		} else {
			put32(p, ETHERTYPE_TEB); /* ver 0, no options, O/C clear */
			put32(p + 4, c->vni << 8);
		}
		p += TUN_LEN;
		p = put_eth(p, &c->inner_dst_mac, &c->inner_src_mac, false, 0, ETHERTYPE_IPV4);
	} else {
		p = put_eth(p, &c->dst_mac, &c->src_mac, c->vlan, c->vlan_tci, ETHERTYPE_IPV4);
	}
	ip = p;
	t->l3_off = (uint16_t)(ip - t->data);
	p = put_ip4(p, c, (uint16_t)(t->len - t->l3_off), proto, 0, 0);
	l4 = p;
	t->l4_off = (uint16_t)(l4 - t->data);
	l4_len = (uint16_t)(t->len - t->l4_off);
	if (c->l4 == EVS_GEN_UDP) {
		put16(l4 + 4, l4_len);
		p += UDP_LEN;
	} else {
		l4[12] = (TCP_LEN / 4) << 4;
		l4[13] = c->l4 == EVS_GEN_TCP_SYN ? TCP_FLAG_SYN : TCP_FLAG_ACK | TCP_FLAG_PSH;
		put16(l4 + 14, 65535);
		p += TCP_LEN;
	}
	t->stamp_off = (uint16_t)(p - t->data);
	room = t->len - t->stamp_off;
	t->payload_len = room;
	t->stamp_len = room >= EVS_GEN_STAMP_FULL  ? EVS_GEN_STAMP_FULL
		       : room >= EVS_GEN_STAMP_SEQ ? EVS_GEN_STAMP_SEQ
						   : EVS_GEN_STAMP_ID;
	for (i = t->stamp_len; i < room; i++)
		p[i] = (uint8_t)i; /* recognisable fill, the same at every size */
	p[0] = EVS_GEN_STAMP_MAGIC0;
	p[1] = EVS_GEN_STAMP_MAGIC1;
	t->hdr_copy = (uint16_t)RTE_MIN(t->len, t->stamp_off + EVS_GEN_STAMP_FULL);

	t->ip_sum = evs_gen_sum16(ip, IP4_LEN);
	memset(pseudo, 0, sizeof(pseudo));
	pseudo[9] = proto;
	put16(pseudo + 10, l4_len);
	t->l4_sum = evs_gen_sum16(l4, l4_len) + evs_gen_sum16(pseudo, sizeof(pseudo));
	return 0;
}

struct evs_gen_builder *evs_gen_builder_create(const struct evs_gen_pkt_config *c,
					       const struct evs_gen_mix *mix)
{
	struct evs_gen_builder *b;
	unsigned int i;
	int rc;

	if (c == NULL || mix == NULL || mix->n == 0 || mix->n > EVS_GEN_MIX_SIZES_MAX ||
	    hdr_len(c) < 0 || c->vni > 0xffffff) {
		errno = EINVAL;
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (b == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	b->cfg = *c;
	for (i = 0; i < mix->n; i++) {
		rc = tmpl_build(&b->tmpl[i], c, mix->size[i]);
		if (rc != 0)
			goto fail;
		b->n++;
	}
	return b;
fail:
	evs_gen_builder_free(b);
	errno = -rc;
	return NULL;
}

void evs_gen_builder_free(struct evs_gen_builder *b)
{
	unsigned int i;

	if (b == NULL)
		return;
	for (i = 0; i < EVS_GEN_MIX_SIZES_MAX; i++)
		free(b->tmpl[i].data);
	free(b);
}

uint16_t evs_gen_frame_len(const struct evs_gen_builder *b, unsigned int size_idx)
{
	return size_idx < b->n ? b->tmpl[size_idx].len : 0;
}

enum evs_gen_stamp_level evs_gen_frame_stamp(const struct evs_gen_builder *b, unsigned int size_idx)
{
	return size_idx < b->n ? (enum evs_gen_stamp_level)b->tmpl[size_idx].stamp_len
			       : EVS_GEN_STAMP_NONE;
}

/* Native-order 16-bit word sum of a big-endian 32-bit field: the words as
 * they lie in the frame, so no byte swap is needed for the checksum. */
static inline uint32_t sum_be32(rte_be32_t v)
{
	return (v & 0xffffu) + (v >> 16);
}

static inline void store32(uint8_t *p, rte_be32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/*
 * Header and stamp of one frame over a buffer whose bytes past hdr_copy
 * already hold the template's payload. Fields are stored as whole words
 * and their checksum contribution is taken from the values, not re-read
 * from the frame. The stamp and the L4 ports start at even offsets from
 * the L4 header, so every word lines up with the checksum's words.
 */
static inline uint16_t build_hdr(const struct evs_gen_builder *b, const struct gen_tmpl *t,
				 const struct evs_gen_pkt_meta *m, uint8_t *buf, bool exact)
{
	const struct evs_gen_stamp *st = &m->stamp;
	uint8_t *ip = buf + t->l3_off;
	uint8_t *l4 = buf + t->l4_off;
	uint8_t *s = buf + t->stamp_off;
	rte_be32_t sip = rte_cpu_to_be_32(m->tuple.src_ip);
	rte_be32_t dip = rte_cpu_to_be_32(m->tuple.dst_ip);
	rte_be32_t ports = rte_cpu_to_be_32((uint32_t)m->tuple.sport << 16 | m->tuple.dport);
	rte_be32_t id = rte_cpu_to_be_32((uint32_t)st->stream << 24 | st->flow_id);
	uint32_t addr_sum = sum_be32(sip) + sum_be32(dip);
	uint32_t l4_sum = t->l4_sum + addr_sum + sum_be32(ports) + sum_be32(id);
	uint16_t ck;

	if (exact) {
		memcpy(buf, t->data, t->hdr_copy);
	} else {
		/* Whole blocks, no library call: what lies past hdr_copy is
		 * payload fill, the same in the template and the buffer, or
		 * past the frame, in the slack the caller provides. */
		unsigned int i;

		for (i = 0; i < t->hdr_copy; i += 16)
			memcpy(buf + i, t->data + i, 16);
	}
	store32(ip + 12, sip);
	store32(ip + 16, dip);
	store32(l4, ports);
	store32(s + 2, id); /* stream, flow id; the magic is in the template */
	if (t->stamp_len >= EVS_GEN_STAMP_SEQ) {
		rte_be32_t v = rte_cpu_to_be_32(st->seq);

		store32(s + 6, v);
		l4_sum += sum_be32(v);
	}
	if (t->stamp_len >= EVS_GEN_STAMP_FULL) {
		rte_be32_t v = rte_cpu_to_be_32(st->tsc);

		store32(s + 10, v);
		l4_sum += sum_be32(v);
	}
	if (b->cfg.l4 != EVS_GEN_UDP) {
		uint32_t isn = evs_gen_tcp_isn(st->flow_id);
		rte_be32_t seq, ack = 0;

		if (b->cfg.l4 == EVS_GEN_TCP_SYN) {
			seq = rte_cpu_to_be_32(isn);
		} else {
			/* An established flow: sequence advances by one
			 * payload per round, the peer's ACK stays put: its
			 * SYN-ACK's, as --connect's responder answers the
			 * flow's SYN (evs_gen_tcp_answer), so that a stream
			 * after a handshake is in both windows. */
			seq = rte_cpu_to_be_32(isn + 1 + (uint32_t)(m->round * t->payload_len));
			ack = rte_cpu_to_be_32(evs_gen_tcp_isn(isn) + 1);
			store32(l4 + 8, ack);
		}
		store32(l4 + 4, seq);
		l4_sum += sum_be32(seq) + sum_be32(ack);
	}
	ck = evs_gen_csum_fold(t->ip_sum + (uint64_t)addr_sum);
	memcpy(ip + 10, &ck, 2);
	ck = evs_gen_csum_fold(l4_sum);
	if (b->cfg.l4 == EVS_GEN_UDP && ck == 0)
		ck = 0xffff; /* 0 means "no checksum" in UDP */
	memcpy(l4 + (b->cfg.l4 == EVS_GEN_UDP ? 6 : 16), &ck, 2);

	if (t->osport_off) {
		/* Outer source port carries flow entropy (RFC 7348 section 5). */
		uint32_t h = st->flow_id * 0x9e3779b1u;

		put16(buf + t->osport_off, (uint16_t)(49152 | (h >> 18)));
	}
	return t->len;
}

uint16_t evs_gen_build(const struct evs_gen_builder *b, const struct evs_gen_pkt_meta *m,
		       uint8_t *buf)
{
	const struct gen_tmpl *t = &b->tmpl[m->size_idx];

	memcpy(buf + t->hdr_copy, t->data + t->hdr_copy, t->len - t->hdr_copy);
	return build_hdr(b, t, m, buf, true);
}

uint16_t evs_gen_build_hdr(const struct evs_gen_builder *b, const struct evs_gen_pkt_meta *m,
			   uint8_t *buf)
{
	return build_hdr(b, &b->tmpl[m->size_idx], m, buf, false);
}

uint16_t evs_gen_prefill_len(const struct evs_gen_builder *b)
{
	uint16_t len = 0;
	unsigned int i;

	for (i = 0; i < b->n; i++)
		len = RTE_MAX(len, b->tmpl[i].len);
	return len;
}

void evs_gen_prefill(const struct evs_gen_builder *b, uint8_t *buf)
{
	unsigned int i, big = 0;

	for (i = 1; i < b->n; i++)
		if (b->tmpl[i].len > b->tmpl[big].len)
			big = i;
	memcpy(buf, b->tmpl[big].data, b->tmpl[big].len);
}

/* Skip Ethernet and up to two VLAN tags; returns the offset of L3 or 0. */
static uint32_t skip_l2(const uint8_t *f, uint32_t off, uint32_t end, uint16_t *type)
{
	int tags;

	if (off + ETH_LEN > end)
		return 0;
	*type = get16(f + off + 12);
	off += ETH_LEN;
	for (tags = 0; tags < 2 && (*type == ETHERTYPE_VLAN || *type == ETHERTYPE_QINQ); tags++) {
		if (off + VLAN_LEN > end)
			return 0;
		*type = get16(f + off + 2);
		off += VLAN_LEN;
	}
	return off;
}

enum evs_gen_stamp_level evs_gen_stamp_parse(const uint8_t *f, uint32_t len,
					     struct evs_gen_stamp *st)
{
	uint32_t off, end = len, l4, pay = 0, room, ihl, tot;
	uint16_t type;
	int depth;

	/* The usual frame first: untagged IPv4 without options, not a
	 * fragment, UDP to a port that is not a tunnel's. */
	if (likely(len >= ETH_LEN + IP4_LEN + UDP_LEN + EVS_GEN_STAMP_FULL) &&
	    get16(f + 12) == ETHERTYPE_IPV4 && f[ETH_LEN] == 0x45 &&
	    f[ETH_LEN + 9] == IPPROTO_UDP && (get16(f + ETH_LEN + 6) & 0x3fff) == 0) {
		const uint8_t *u = f + ETH_LEN + IP4_LEN;
		uint16_t dport = get16(u + 2);

		tot = get16(f + ETH_LEN + 2);
		if (dport != EVS_GEN_VXLAN_PORT && dport != EVS_GEN_GENEVE_PORT &&
		    tot >= IP4_LEN + UDP_LEN + EVS_GEN_STAMP_FULL && ETH_LEN + tot <= len) {
			const uint8_t *p = u + UDP_LEN;

			if (p[0] != EVS_GEN_STAMP_MAGIC0 || p[1] != EVS_GEN_STAMP_MAGIC1)
				return EVS_GEN_STAMP_NONE;
			st->stream = p[2];
			st->flow_id = get32(p + 2) & 0xffffff;
			st->seq = get32(p + 6);
			st->tsc = get32(p + 10);
			return EVS_GEN_STAMP_FULL;
		}
	}
	off = skip_l2(f, 0, end, &type);
	for (depth = 0; depth < 2; depth++) {
		if (off == 0 || type != ETHERTYPE_IPV4 || off + IP4_LEN > end)
			return EVS_GEN_STAMP_NONE;
		ihl = (uint32_t)(f[off] & 0x0f) * 4;
		tot = get16(f + off + 2);
		if ((f[off] >> 4) != 4 || ihl < IP4_LEN || tot < ihl || off + tot > end)
			return EVS_GEN_STAMP_NONE;
		if (get16(f + off + 6) & 0x3fff) /* a fragment */
			return EVS_GEN_STAMP_NONE;
		end = off + tot;
		l4 = off + ihl;
		if (f[off + 9] == IPPROTO_UDP) {
			uint16_t dport;

			if (l4 + UDP_LEN > end)
				return EVS_GEN_STAMP_NONE;
			dport = get16(f + l4 + 2);
			pay = l4 + UDP_LEN;
			if (depth == 0 && pay + TUN_LEN <= end) {
				const uint8_t *h = f + pay;

				if (dport == EVS_GEN_VXLAN_PORT && (h[0] & 0x08)) {
					off = skip_l2(f, pay + TUN_LEN, end, &type);
					continue;
				}
				if (dport == EVS_GEN_GENEVE_PORT && (h[0] >> 6) == 0 &&
				    get16(h + 2) == ETHERTYPE_TEB) {
					off = skip_l2(f, pay + TUN_LEN + (h[0] & 0x3fu) * 4, end,
						      &type);
					continue;
				}
			}
		} else if (f[off + 9] == IPPROTO_TCP) {
			uint32_t doff;

			if (l4 + TCP_LEN > end)
				return EVS_GEN_STAMP_NONE;
			doff = (uint32_t)(f[l4 + 12] >> 4) * 4;
			if (doff < TCP_LEN || l4 + doff > end)
				return EVS_GEN_STAMP_NONE;
			pay = l4 + doff;
		} else {
			return EVS_GEN_STAMP_NONE;
		}
		break;
	}
	if (depth == 2)
		return EVS_GEN_STAMP_NONE;
	room = end - pay;
	if (room < EVS_GEN_STAMP_ID || f[pay] != EVS_GEN_STAMP_MAGIC0 ||
	    f[pay + 1] != EVS_GEN_STAMP_MAGIC1)
		return EVS_GEN_STAMP_NONE;
	st->stream = f[pay + 2];
	st->flow_id = (uint32_t)f[pay + 3] << 16 | (uint32_t)f[pay + 4] << 8 | f[pay + 5];
	if (room < EVS_GEN_STAMP_SEQ)
		return EVS_GEN_STAMP_ID;
	st->seq = get32(f + pay + 6);
	if (room < EVS_GEN_STAMP_FULL)
		return EVS_GEN_STAMP_SEQ;
	st->tsc = get32(f + pay + 10);
	return EVS_GEN_STAMP_FULL;
}

/* RFC 1624 eqn. 3 for one 32-bit field: HC' = ~(~HC + ~m + m'). */
static uint16_t csum_replace32(uint16_t ck, rte_be32_t from, rte_be32_t to)
{
	uint64_t sum = (uint16_t)~ck;

	sum += sum_be32(~from) + sum_be32(to);
	return evs_gen_csum_fold(sum);
}

static void swap_bytes(uint8_t *a, uint8_t *b, unsigned int n)
{
	uint8_t t[RTE_ETHER_ADDR_LEN];

	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

enum evs_gen_tcp_seen evs_gen_tcp_answer(uint8_t *f, uint32_t len)
{
	uint8_t *ip = f + ETH_LEN, *tcp;
	rte_be32_t seq, ack, nseq, nack, w0, w1;
	uint16_t ck;
	uint8_t flags;

	if (len < ETH_LEN + IP4_LEN + TCP_LEN || get16(f + 12) != ETHERTYPE_IPV4 || ip[0] != 0x45 ||
	    ip[9] != IPPROTO_TCP || (get16(ip + 6) & 0x3fff) != 0 ||
	    get16(ip + 2) < IP4_LEN + TCP_LEN || (uint32_t)ETH_LEN + get16(ip + 2) > len)
		return EVS_GEN_TCP_OTHER;
	tcp = ip + IP4_LEN;
	flags = tcp[13];
	if (flags == TCP_FLAG_ACK)
		return EVS_GEN_TCP_ACK_IN;
	if (flags != TCP_FLAG_SYN && flags != (TCP_FLAG_SYN | TCP_FLAG_ACK))
		return EVS_GEN_TCP_OTHER;
	memcpy(&seq, tcp + 4, 4);
	memcpy(&ack, tcp + 8, 4);
	if (flags == TCP_FLAG_SYN) {
		nseq = rte_cpu_to_be_32(evs_gen_tcp_isn(rte_be_to_cpu_32(seq)));
		nack = rte_cpu_to_be_32(rte_be_to_cpu_32(seq) + 1);
	} else {
		nseq = ack;
		nack = rte_cpu_to_be_32(rte_be_to_cpu_32(seq) + 1);
	}
	/* Flags share a word with the data offset: replace that word as a
	 * 32-bit field with the window next to it. */
	memcpy(&w0, tcp + 12, 4);
	tcp[13] = flags == TCP_FLAG_SYN ? TCP_FLAG_SYN | TCP_FLAG_ACK : TCP_FLAG_ACK;
	memcpy(&w1, tcp + 12, 4);
	memcpy(&ck, tcp + 16, 2);
	ck = csum_replace32(ck, seq, nseq);
	ck = csum_replace32(ck, ack, nack);
	ck = csum_replace32(ck, w0, w1);
	memcpy(tcp + 16, &ck, 2);
	memcpy(tcp + 4, &nseq, 4);
	memcpy(tcp + 8, &nack, 4);
	swap_bytes(f, f + RTE_ETHER_ADDR_LEN, RTE_ETHER_ADDR_LEN);
	swap_bytes(ip + 12, ip + 16, 4);
	swap_bytes(tcp, tcp + 2, 2);
	return flags == TCP_FLAG_SYN ? EVS_GEN_TCP_SYN_IN : EVS_GEN_TCP_SYNACK_IN;
}

struct evs_gen_hdr_cache *evs_gen_hdr_cache_create(const struct evs_gen_builder *b,
						   const struct evs_gen_flows *f, bool reverse)
{
	const struct gen_tmpl *t = &b->tmpl[0];
	struct evs_gen_hdr_cache *c;
	struct evs_gen_pkt_meta m;
	uint8_t *frame;
	uint32_t id;
	size_t bytes;
	uint16_t ck;

	if (b->n != 1 || b->cfg.l4 != EVS_GEN_UDP || t->stamp_len != EVS_GEN_STAMP_FULL) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->flows = f->cfg.flows;
	/* At least 64: evs_gen_build_cached copies that much in one go (the
	 * smallest block is 56 bytes; the rest is payload or slack). */
	c->stride = (uint16_t)RTE_MAX(RTE_ALIGN_CEIL(t->hdr_copy, 16), 64);
	c->len = t->len;
	c->stamp_off = t->stamp_off;
	c->csum_off = (uint16_t)(t->l4_off + 6);
	bytes = (size_t)c->flows * c->stride;
	if (bytes > EVS_GEN_HDR_CACHE_BYTES_MAX) {
		free(c);
		errno = E2BIG;
		return NULL;
	}
	c->hdr = aligned_alloc(64, RTE_ALIGN_CEIL(bytes, 64));
	c->sum = malloc((size_t)c->flows * sizeof(c->sum[0]));
	/* A whole frame with slack: build_hdr writes 16-byte blocks. */
	frame = malloc((size_t)t->len + EVS_GEN_BUILD_SLACK);
	if (c->hdr == NULL || c->sum == NULL || frame == NULL) {
		free(frame);
		evs_gen_hdr_cache_free(c);
		errno = ENOMEM;
		return NULL;
	}
	/* Past hdr_copy the frame holds the template's payload (and its zero
	 * slack), as a prefilled transmit buffer does. */
	memcpy(frame, t->data, (size_t)t->len + EVS_GEN_BUILD_SLACK);
	memset(&m, 0, sizeof(m));
	for (id = 0; id < c->flows; id++) {
		evs_gen_flow_tuple(f, id, &m.tuple);
		if (reverse)
			m.tuple = evs_gen_tuple_reverse(m.tuple);
		/* Stream, sequence and TSC zero: the frame adds them. */
		m.stamp.flow_id = id;
		build_hdr(b, t, &m, frame, true);
		memcpy(c->hdr + (size_t)id * c->stride, frame, c->stride);
		memcpy(&ck, frame + c->csum_off, 2);
		/* Its complement is the sum (0xffff stands for a zero sum,
		 * the same in one's complement). */
		c->sum[id] = (uint16_t)~ck;
	}
	free(frame);
	return c;
}

void evs_gen_hdr_cache_free(struct evs_gen_hdr_cache *c)
{
	if (c == NULL)
		return;
	free(c->hdr);
	free(c->sum);
	free(c);
}
