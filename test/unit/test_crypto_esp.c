/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ESP behaviours of lib/crypto: round trips in every mode, family and
 * option through full bursts, the wire layout, counters, and every drop
 * reason (auth, replay, sequence exhaustion, malformed, trailer, room,
 * unsupported, wrong SA, no SA), with rejects kept in order behind the
 * accepted packets.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "crypto_test.h"
#include "unit_case.h"

#define BURST 32

struct pair {
	struct evs_sa *out, *in;
	struct evs_crypto_engine *e;
};

static void pair_make(struct pair *p, struct evs_sa_config c)
{
	p->e = evs_crypto_engine_create();
	ck_assert_ptr_nonnull(p->e);
	c.dir = EVS_SA_OUTBOUND;
	p->out = evs_sa_create(&c);
	ck_assert_ptr_nonnull(p->out);
	c.dir = EVS_SA_INBOUND;
	p->in = evs_sa_create(&c);
	ck_assert_ptr_nonnull(p->in);
}

static void pair_free(struct pair *p)
{
	evs_sa_free(p->out);
	evs_sa_free(p->in);
	evs_crypto_engine_free(p->e);
}

static void free_all(struct rte_mbuf **m, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		rte_pktmbuf_free(m[i]);
}

static void fill_sas(struct evs_sa **sas, struct evs_sa *sa, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		sas[i] = sa;
}

/* Packet i of a mixed burst: sizes from empty to 1400 bytes. */
static uint32_t burst_len(unsigned int i)
{
	static const uint32_t lens[] = {0, 1, 2, 3, 4, 5, 18, 64, 100, 511, 1024, 1400};

	return lens[i % RTE_DIM(lens)];
}

/* Every combination: family, l2, mode, UDP, key length, ESN, and a zero
 * UDP checksum allowed over IPv6 (evs_sa_set_udp_zero_csum6). */
START_TEST(test_roundtrip_all_modes)
{
	unsigned int combos = 0;

	for (unsigned int bits = 0; bits < 128; bits++) {
		unsigned int v = bits & 1 ? 6 : 4, l2 = bits & 2 ? 14 : 0;
		struct evs_sa_config c = ct_sa_conf(0x1000 + bits, EVS_SA_OUTBOUND,
						    bits & 4 ? EVS_ESP_TUNNEL : EVS_ESP_TRANSPORT,
						    bits & 8 ? 32 : 16, bits);
		struct rte_mbuf *m[BURST], *orig[BURST];
		struct evs_sa *sas[BURST];
		struct evs_sa_stats so, si;
		uint64_t base = 1, primed = 0;
		struct pair p;

		c.udp_encap = (bits & 16) != 0;
		c.esn = (bits & 32) != 0;
		if (c.esn)
			c.first_seq = 0xfffffff0u; /* the burst crosses into the next epoch */
		if (bits & 4 && bits & 1) {
			c.tun_src.family = c.tun_dst.family = 6; /* v6 over v6 */
			c.tun_src.b[0] = c.tun_dst.b[0] = 0xfd;
		}
		pair_make(&p, c);
		evs_sa_set_udp_zero_csum6(p.out, (bits & 64) != 0);
		if (c.esn) {
			/* One packet first, so the receiver's window is where the
			 * sender is (ESN inference works within 2^32 - window of it). */
			struct evs_sa *in1 = p.in;

			m[0] = ct_build_udp(v, l2, 10, bits);
			ck_assert_uint_eq(evs_esp_encrypt_burst(p.e, p.out, m, 1), 1);
			ck_assert_uint_eq(evs_esp_decrypt_burst(p.e, &in1, m, 1), 1);
			rte_pktmbuf_free(m[0]);
			base = c.first_seq + 1;
			primed = 1;
		}
		for (unsigned int i = 0; i < BURST; i++) {
			m[i] = ct_build_udp(v, l2, burst_len(i), i + bits * 100);
			orig[i] = ct_clone(m[i]);
			ck_assert_ptr_nonnull(orig[i]);
		}
		ck_assert_uint_eq(evs_esp_encrypt_burst(p.e, p.out, m, BURST), BURST);
		for (unsigned int i = 0; i < BURST; i++) {
			const uint8_t *ip = rte_pktmbuf_mtod_offset(m[i], const uint8_t *, l2);
			unsigned int ov = c.mode == EVS_ESP_TUNNEL ? c.tun_src.family : v;
			uint8_t proto = ov == 4 ? ip[9] : ip[6];
			unsigned int hl = ov == 4 ? 20 : 40;
			uint32_t spi, seq;

			ck_assert_uint_eq(ip[0] >> 4, ov);
			ck_assert_uint_eq(proto, c.udp_encap ? IPPROTO_UDP : IPPROTO_ESP);
			if (ov == 4)
				ck_assert_uint_eq(rte_raw_cksum(ip, 20), 0xffff);
			memcpy(&spi, ip + hl + (c.udp_encap ? 8 : 0), 4);
			memcpy(&seq, ip + hl + (c.udp_encap ? 8 : 0) + 4, 4);
			ck_assert_uint_eq(rte_be_to_cpu_32(spi), c.spi);
			ck_assert_uint_eq(rte_be_to_cpu_32(seq), (uint32_t)(base + i));
			if (c.udp_encap && (ov == 4 || bits & 64)) { /* zero: RFC 3948, 6935 */
				ck_assert_uint_eq(
				    ((const struct rte_udp_hdr *)(ip + hl))->dgram_cksum, 0);
			} else if (c.udp_encap) { /* the UDP checksum is the right one */
				struct rte_udp_hdr *u = (struct rte_udp_hdr *)(uintptr_t)(ip + 40);
				uint16_t sent = u->dgram_cksum;

				u->dgram_cksum = 0;
				ck_assert_uint_ne(sent, 0);
				ck_assert_uint_eq(sent, rte_ipv6_udptcp_cksum(
							    (const struct rte_ipv6_hdr *)ip, u));
				u->dgram_cksum = sent;
			}
		}
		fill_sas(sas, p.in, BURST);
		ck_assert_uint_eq(evs_esp_decrypt_burst(p.e, sas, m, BURST), BURST);
		for (unsigned int i = 0; i < BURST; i++)
			ck_assert_msg(ct_same(m[i], orig[i]), "combo %u packet %u differs", bits,
				      i);
		evs_sa_stats_get(p.out, &so);
		evs_sa_stats_get(p.in, &si);
		ck_assert_uint_eq(so.packets, BURST + primed);
		ck_assert_uint_eq(si.packets, BURST + primed);
		ck_assert_uint_eq(so.bytes, si.bytes);
		ck_assert_uint_eq(so.last_seq, base + BURST - 1);
		ck_assert_uint_eq(si.last_seq, so.last_seq);
		free_all(m, BURST);
		free_all(orig, BURST);
		pair_free(&p);
		combos++;
	}
	ck_assert_uint_eq(combos, 128);
}
END_TEST

/* Flip one bit anywhere after the SPI: the ICV fails (or, for the
 * sequence number, the AAD does), counted, and the window does not move. */
START_TEST(test_bit_flip_is_auth_failure)
{
	struct evs_sa_config c = ct_sa_conf(0x2000, EVS_SA_OUTBOUND, EVS_ESP_TRANSPORT, 16, 3);
	struct rte_mbuf *m[BURST], *good[BURST];
	struct evs_sa *sas[BURST];
	struct evs_sa_stats st;
	struct pair p;

	pair_make(&p, c);
	srand(5);
	for (unsigned int i = 0; i < BURST; i++)
		m[i] = ct_build_udp(4, 14, 60 + i, i);
	ck_assert_uint_eq(evs_esp_encrypt_burst(p.e, p.out, m, BURST), BURST);
	for (unsigned int i = 0; i < BURST; i++) {
		/* Even packets damaged, from the sequence number to the ICV's end. */
		good[i] = ct_clone(m[i]);
		if (i % 2 == 0) {
			unsigned int from = 14 + 20 + 4, to = m[i]->data_len;
			unsigned int at = from + (unsigned int)rand() % (to - from);

			rte_pktmbuf_mtod(m[i], uint8_t *)[at] ^= (uint8_t)(1u << (rand() % 8));
		}
	}
	fill_sas(sas, p.in, BURST);
	ck_assert_uint_eq(evs_esp_decrypt_burst(p.e, sas, m, BURST), BURST / 2);
	evs_sa_stats_get(p.in, &st);
	ck_assert_uint_eq(st.drops[EVS_ESP_DROP_AUTH], BURST / 2);
	ck_assert_uint_eq(st.packets, BURST / 2);
	/* The damaged ones trail, in order; their genuine copies still pass. */
	for (unsigned int i = 0; i < BURST / 2; i++)
		ck_assert_uint_eq(m[BURST / 2 + i]->data_len, good[2 * i]->data_len);
	free_all(m, BURST);
	for (unsigned int i = 0; i < BURST; i += 2)
		m[i / 2] = good[i];
	ck_assert_uint_eq(evs_esp_decrypt_burst(p.e, sas, m, BURST / 2), BURST / 2);
	free_all(m, BURST / 2);
	for (unsigned int i = 1; i < BURST; i += 2)
		rte_pktmbuf_free(good[i]);
	pair_free(&p);
}
END_TEST

/* A replay in a later burst, two copies in one burst, and a packet left of
 * the window: each counted as a replay. */
START_TEST(test_replay_is_counted)
{
	struct evs_sa_config c = ct_sa_conf(0x3000, EVS_SA_OUTBOUND, EVS_ESP_TRANSPORT, 32, 4);
	struct rte_mbuf *m[8], *copy[8];
	struct evs_sa *sas[10];
	struct evs_sa_stats st;
	struct pair p;

	c.replay_window = 64;
	pair_make(&p, c);
	for (unsigned int i = 0; i < 8; i++)
		m[i] = ct_build_udp(6, 14, 100, i);
	ck_assert_uint_eq(evs_esp_encrypt_burst(p.e, p.out, m, 8), 8);
	for (unsigned int i = 0; i < 8; i++)
		copy[i] = ct_clone(m[i]);
	fill_sas(sas, p.in, 10);
	/* Burst 1: packets 0..3 plus a second copy of packet 1. */
	free_all(&m[4], 4);
	m[4] = ct_clone(m[1]);
	ck_assert_uint_eq(evs_esp_decrypt_burst(p.e, sas, m, 5), 4);
	evs_sa_stats_get(p.in, &st);
	ck_assert_uint_eq(st.drops[EVS_ESP_DROP_REPLAY], 1);
	free_all(m, 5);
	/* Burst 2: packets 0 and 2 again. */
	m[0] = copy[0];
	m[1] = copy[2];
	ck_assert_uint_eq(evs_esp_decrypt_burst(p.e, sas, m, 2), 0);
	evs_sa_stats_get(p.in, &st);
	ck_assert_uint_eq(st.drops[EVS_ESP_DROP_REPLAY], 3);
	free_all(m, 2);
	free_all(&copy[1], 1);
	free_all(&copy[3], 1);
	/* Advance the sender by 100 so packet 4 is left of a 64-packet window. */
	for (unsigned int i = 0; i < 100; i += 10) {
		struct rte_mbuf *b[10];

		for (unsigned int j = 0; j < 10; j++)
			b[j] = ct_build_udp(6, 14, 10, j);
		ck_assert_uint_eq(evs_esp_encrypt_burst(p.e, p.out, b, 10), 10);
		ck_assert_uint_eq(evs_esp_decrypt_burst(p.e, sas, b, 10), 10);
		free_all(b, 10);
	}
	ck_assert_uint_eq(evs_esp_decrypt_burst(p.e, sas, &copy[4], 4), 0);
	evs_sa_stats_get(p.in, &st);
	ck_assert_uint_eq(st.drops[EVS_ESP_DROP_REPLAY], 7);
	ck_assert_uint_eq(st.drops[EVS_ESP_DROP_AUTH], 0);
	ck_assert_uint_eq(st.last_seq, 108);
	free_all(&copy[4], 4);
	pair_free(&p);
}
END_TEST

/* ESN: a forged packet whose low half would be read as the next epoch must
 * not change how the genuine packets of its burst are read (the window
 * moves only for verified packets). */
START_TEST(test_forged_esn_misleads_nothing)
{
	struct evs_sa_config c = ct_sa_conf(0xb000, EVS_SA_OUTBOUND, EVS_ESP_TRANSPORT, 16, 13);
	struct rte_mbuf *m[BURST];
	struct evs_sa *sas[BURST];
	struct evs_sa_stats st;
	struct pair p;

	c.esn = true;
	c.first_seq = 100000;
	pair_make(&p, c);
	for (unsigned int i = 0; i < BURST; i++)
		m[i] = ct_build_udp(4, 14, 40, i);
	ck_assert_uint_eq(evs_esp_encrypt_burst(p.e, p.out, m, BURST), BURST);
	/* Prime the receiver with the first packet. */
	sas[0] = p.in;
	ck_assert_uint_eq(evs_esp_decrypt_burst(p.e, sas, m, 1), 1);
	rte_pktmbuf_free(m[0]);
	/* m[0]: a forgery claiming low half 100000 - 2000 (left of the window:
	 * inferred as epoch 1), then the 31 genuine packets. */
	m[0] = ct_clone(m[1]);
	{
		uint32_t lo = rte_cpu_to_be_32(100000 - 2000);

		memcpy(rte_pktmbuf_mtod_offset(m[0], uint8_t *, 14 + 20 + 4), &lo, 4);
	}
	fill_sas(sas, p.in, BURST);
	ck_assert_uint_eq(evs_esp_decrypt_burst(p.e, sas, m, BURST), BURST - 1);
	evs_sa_stats_get(p.in, &st);
	ck_assert_uint_eq(st.drops[EVS_ESP_DROP_AUTH], 1);
	ck_assert_uint_eq(st.last_seq, 100000 + BURST - 1);
	free_all(m, BURST);
	pair_free(&p);
}
END_TEST

/* A 32-bit SA refuses to wrap: the last numbers go out, then every packet is
 * dropped and counted until rekeyed. */
START_TEST(test_seq_exhaustion_refused)
{
	struct evs_sa_config c = ct_sa_conf(0x4000, EVS_SA_OUTBOUND, EVS_ESP_TRANSPORT, 16, 5);
	struct rte_mbuf *m[5];
	struct evs_sa_stats st;
	struct pair p;

	c.first_seq = UINT32_MAX - 2;
	pair_make(&p, c);
	ck_assert_uint_eq(evs_sa_seq_remaining(p.out), 3);
	for (unsigned int i = 0; i < 5; i++)
		m[i] = ct_build_udp(4, 14, 10, i);
	ck_assert_uint_eq(evs_esp_encrypt_burst(p.e, p.out, m, 5), 3);
	ck_assert_uint_eq(evs_sa_seq_remaining(p.out), 0);
	ck_assert_uint_eq(evs_esp_encrypt_burst(p.e, p.out, &m[3], 2), 0);
	evs_sa_stats_get(p.out, &st);
	ck_assert_uint_eq(st.drops[EVS_ESP_DROP_SEQ_EXHAUSTED], 4);
	ck_assert_uint_eq(st.last_seq, UINT32_MAX);
	free_all(m, 5);
	pair_free(&p);
}
END_TEST

/* Packets that are not what the SA protects: each counted by reason. */
START_TEST(test_malformed_counted)
{
	struct evs_sa_config c = ct_sa_conf(0x5000, EVS_SA_OUTBOUND, EVS_ESP_TRANSPORT, 16, 6);
	struct evs_sa_config other = ct_sa_conf(0x5001, EVS_SA_INBOUND, EVS_ESP_TRANSPORT, 16, 6);
	struct evs_crypto_engine_stats es;
	struct rte_mbuf *m[8], *seg;
	struct evs_sa *sas[8], *wrong;
	struct evs_sa_stats st;
	struct pair p;

	pair_make(&p, c);
	wrong = evs_sa_create(&other);
	for (unsigned int i = 0; i < 8; i++)
		m[i] = ct_build_udp(4, 14, 40, i);
	/* Outbound: a fragment, a chained mbuf, a truncated IP length. */
	rte_pktmbuf_mtod_offset(m[0], struct rte_ipv4_hdr *, 14)->fragment_offset =
	    rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);
	seg = rte_pktmbuf_alloc(crypto_test_pool);
	rte_pktmbuf_append(seg, 10);
	ck_assert_int_eq(rte_pktmbuf_chain(m[1], seg), 0);
	rte_pktmbuf_mtod_offset(m[2], struct rte_ipv4_hdr *, 14)->total_length =
	    rte_cpu_to_be_16(2000);
	ck_assert_uint_eq(evs_esp_encrypt_burst(p.e, p.out, m, 8), 5);
	evs_sa_stats_get(p.out, &st);
	ck_assert_uint_eq(st.drops[EVS_ESP_DROP_UNSUPPORTED], 2);
	ck_assert_uint_eq(st.drops[EVS_ESP_DROP_MALFORMED], 1);
	free_all(&m[5], 3);
	/* Inbound: no SA, the wrong SA, a cut ICV, an IP length past the data,
	 * and an outbound SA used for decryption. */
	fill_sas(sas, p.in, 5);
	sas[0] = NULL;
	sas[1] = wrong;
	rte_pktmbuf_trim(m[2], 3);
	rte_pktmbuf_mtod_offset(m[2], struct rte_ipv4_hdr *, 14)->total_length =
	    rte_cpu_to_be_16((uint16_t)(m[2]->data_len - 14));
	rte_pktmbuf_trim(m[3], 1);
	sas[4] = p.out;
	ck_assert_uint_eq(evs_esp_decrypt_burst(p.e, sas, m, 5), 0);
	evs_crypto_engine_stats_get(p.e, &es);
	ck_assert_uint_eq(es.no_sa, 1);
	evs_sa_stats_get(wrong, &st);
	ck_assert_uint_eq(st.drops[EVS_ESP_DROP_WRONG_SA], 1);
	evs_sa_stats_get(p.in, &st);
	ck_assert_uint_eq(st.drops[EVS_ESP_DROP_MALFORMED], 2);
	evs_sa_stats_get(p.out, &st);
	ck_assert_uint_eq(st.drops[EVS_ESP_DROP_WRONG_SA], 1);
	free_all(m, 5);
	evs_sa_free(wrong);
	pair_free(&p);
}
END_TEST

/* A packet whose ICV verifies but whose padding is wrong (built with the
 * raw GCM burst and the SA's key): counted as a trailer error. */
START_TEST(test_bad_trailer_counted)
{
	struct evs_sa_config c = ct_sa_conf(0x6000, EVS_SA_OUTBOUND, EVS_ESP_TRANSPORT, 16, 7);
	struct rte_mbuf *m[2];
	struct evs_sa *sas[2];
	struct evs_sa_stats st;
	struct pair p;

	pair_make(&p, c);
	for (unsigned int k = 0; k < 2; k++) {
		/* [IP][SPI seq IV][4 bytes payload, pad 1 2 (k: 1 7), padlen 2, nh 17][ICV] */
		uint8_t *d, nonce[12], aad[8];
		struct rte_ipv4_hdr *ip;
		struct evs_gcm_op op;

		m[k] = rte_pktmbuf_alloc(crypto_test_pool);
		ck_assert_ptr_nonnull(rte_pktmbuf_append(m[k], 20 + 16 + 8 + 16));
		d = rte_pktmbuf_mtod(m[k], uint8_t *);
		memset(d, 0, 60);
		ip = (struct rte_ipv4_hdr *)d;
		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16(60);
		ip->next_proto_id = IPPROTO_ESP;
		ip->time_to_live = 9;
		d[20] = 0, d[21] = 0, d[22] = 0x60, d[23] = 0;
		d[27] = (uint8_t)(1 + k);
		d[35] = (uint8_t)(1 + k);
		memcpy(d + 40, (uint8_t[]){1, k == 0 ? 2 : 7, 2, 17}, 4);
		memcpy(nonce, c.salt, 4);
		memcpy(nonce + 4, d + 28, 8);
		memcpy(aad, d + 20, 8);
		op = (struct evs_gcm_op){nonce, aad, 8, d + 36, d + 36, 8, d + 44};
		ck_assert_uint_eq(evs_gcm_burst(p.e, p.out, true, &op, 1), 1);
		m[k]->l2_len = 0;
	}
	fill_sas(sas, p.in, 2);
	ck_assert_uint_eq(evs_esp_decrypt_burst(p.e, sas, m, 2), 1);
	ck_assert_uint_eq(m[0]->data_len, 24);
	ck_assert_uint_eq(rte_pktmbuf_mtod(m[0], uint8_t *)[9], 17);
	evs_sa_stats_get(p.in, &st);
	ck_assert_uint_eq(st.drops[EVS_ESP_DROP_TRAILER], 1);
	free_all(m, 2);
	pair_free(&p);
}
END_TEST

/* @p m's bytes moved to @p data_off in a new mbuf (@p m is freed). */
static struct rte_mbuf *placed(struct rte_mbuf *m, uint16_t data_off)
{
	struct rte_mbuf *c = rte_pktmbuf_alloc(crypto_test_pool);

	c->data_off = data_off;
	memcpy(rte_pktmbuf_append(c, m->data_len), rte_pktmbuf_mtod(m, void *), m->data_len);
	c->l2_len = m->l2_len;
	rte_pktmbuf_free(m);
	return c;
}

/* No headroom for the ESP header, or no tailroom for the trailer. */
START_TEST(test_no_room_counted)
{
	struct evs_sa_config c = ct_sa_conf(0x7000, EVS_SA_OUTBOUND, EVS_ESP_TUNNEL, 16, 8);
	struct rte_mbuf *m[3], *orig, *small;
	struct evs_sa_stats st;
	uint16_t buf_len;
	struct pair p;

	pair_make(&p, c);
	m[0] = ct_build_udp(4, 14, 100, 1);
	m[0] = placed(m[0], (uint16_t)(m[0]->buf_len - m[0]->data_len - 5)); /* tailroom 5 */
	/* headroom 10 < 36, and the buffer ends 30 bytes after the packet: too
	 * short to move it up (26) and add the trailer (18) */
	small = m[1] = placed(ct_build_udp(4, 14, 100, 0), 10);
	buf_len = small->buf_len;
	small->buf_len = (uint16_t)(10 + small->data_len + 30);
	m[2] = placed(ct_build_udp(4, 14, 100, 2), 10); /* headroom 10, tailroom plenty */
	orig = ct_clone(m[2]);
	ck_assert_uint_eq(evs_esp_encrypt_burst(p.e, p.out, m, 3), 1);
	small->buf_len = buf_len;
	evs_sa_stats_get(p.out, &st);
	ck_assert_uint_eq(st.drops[EVS_ESP_DROP_NO_ROOM], 2);
	/* the one short of headroom only was moved up, and opens to the original */
	{
		struct evs_sa *sas[1] = {p.in};

		ck_assert_uint_eq(evs_esp_decrypt_burst(p.e, sas, m, 1), 1);
	}
	ck_assert(ct_same(m[0], orig));
	rte_pktmbuf_free(orig);
	free_all(m, 3);
	pair_free(&p);
}
END_TEST

/* More than one internal chunk, every third packet rejected: accepted and
 * rejected packets each keep their order, and the SAs move with them. */
START_TEST(test_long_burst_keeps_order)
{
	enum { N = 150 };
	struct evs_sa_config c = ct_sa_conf(0x8000, EVS_SA_OUTBOUND, EVS_ESP_TRANSPORT, 16, 9);
	struct rte_mbuf *m[N], *orig[N];
	struct evs_sa *sas[N];
	uint16_t k;
	struct pair p;

	pair_make(&p, c);
	for (unsigned int i = 0; i < N; i++) {
		m[i] = ct_build_udp(4, 14, i * 7 % 900, i);
		orig[i] = ct_clone(m[i]);
	}
	ck_assert_uint_eq(evs_esp_encrypt_burst(p.e, p.out, m, N), N);
	fill_sas(sas, p.in, N);
	for (unsigned int i = 0; i < N; i += 3)
		sas[i] = NULL;
	k = evs_esp_decrypt_burst(p.e, sas, m, N);
	ck_assert_uint_eq(k, N - (N + 2) / 3);
	for (unsigned int i = 0, a = 0, r = k; i < N; i++) {
		if (i % 3 == 0) {
			ck_assert_ptr_null(sas[r]);
			ck_assert_uint_gt(m[r++]->data_len, orig[i]->data_len);
		} else {
			ck_assert_ptr_eq(sas[a], p.in);
			ck_assert(ct_same(m[a++], orig[i]));
		}
	}
	free_all(m, N);
	free_all(orig, N);
	pair_free(&p);
}
END_TEST

/* Two engines share an outbound SA: numbers are unique and counters add up. */
START_TEST(test_two_engines_share_outbound)
{
	struct evs_sa_config c = ct_sa_conf(0x9000, EVS_SA_OUTBOUND, EVS_ESP_TRANSPORT, 16, 10);
	struct evs_crypto_engine *e2 = evs_crypto_engine_create();
	struct rte_mbuf *m[2][BURST];
	struct evs_sa *sas[2 * BURST];
	struct evs_sa_stats st;
	struct pair p;

	pair_make(&p, c);
	for (unsigned int j = 0; j < 2; j++)
		for (unsigned int i = 0; i < BURST; i++)
			m[j][i] = ct_build_udp(4, 14, 30, i);
	ck_assert_uint_eq(evs_esp_encrypt_burst(p.e, p.out, m[0], BURST), BURST);
	ck_assert_uint_eq(evs_esp_encrypt_burst(e2, p.out, m[1], BURST), BURST);
	evs_sa_stats_get(p.out, &st);
	ck_assert_uint_eq(st.packets, 2 * BURST);
	ck_assert_uint_eq(st.last_seq, 2 * BURST);
	/* Out of order across the two: all 64 distinct numbers are accepted. */
	fill_sas(sas, p.in, BURST);
	ck_assert_uint_eq(evs_esp_decrypt_burst(p.e, sas, m[1], BURST), BURST);
	ck_assert_uint_eq(evs_esp_decrypt_burst(p.e, sas, m[0], BURST), BURST);
	free_all(m[0], BURST);
	free_all(m[1], BURST);
	evs_crypto_engine_free(e2);
	pair_free(&p);
}
END_TEST

START_TEST(test_peek_spi)
{
	struct evs_sa_config c = ct_sa_conf(0xabcdef, EVS_SA_OUTBOUND, EVS_ESP_TRANSPORT, 16, 11);
	struct evs_sa *esp, *udp;
	struct rte_mbuf *m[2], *plain;
	struct evs_crypto_engine *e = evs_crypto_engine_create();
	uint32_t spi = 0;

	esp = evs_sa_create(&c);
	c.udp_encap = true;
	udp = evs_sa_create(&c);
	m[0] = ct_build_udp(4, 14, 20, 0);
	m[1] = ct_build_udp(6, 14, 20, 1);
	plain = ct_build_udp(4, 14, 20, 2);
	ck_assert_uint_eq(evs_esp_encrypt_burst(e, esp, &m[0], 1), 1);
	ck_assert_uint_eq(evs_esp_encrypt_burst(e, udp, &m[1], 1), 1);
	ck_assert_int_eq(evs_esp_peek_spi(m[0], 0, &spi), 0);
	ck_assert_uint_eq(spi, 0xabcdef);
	spi = 0;
	ck_assert_int_eq(evs_esp_peek_spi(m[1], EVS_ESP_UDP_PORT, &spi), 0);
	ck_assert_uint_eq(spi, 0xabcdef);
	ck_assert_int_eq(evs_esp_peek_spi(m[1], 0, &spi), -EINVAL); /* UDP not accepted */
	ck_assert_int_eq(evs_esp_peek_spi(plain, EVS_ESP_UDP_PORT, &spi), -EINVAL);
	/* The IKE marker (a zero SPI) on port 4500 is not ESP. */
	memset(rte_pktmbuf_mtod_offset(m[1], uint8_t *, 14 + 40 + 8), 0, 4);
	ck_assert_int_eq(evs_esp_peek_spi(m[1], EVS_ESP_UDP_PORT, &spi), -EINVAL);
	rte_pktmbuf_trim(m[0], (uint16_t)(m[0]->data_len - 16));
	ck_assert_int_eq(evs_esp_peek_spi(m[0], 0, &spi), -EPROTO);
	free_all(m, 2);
	rte_pktmbuf_free(plain);
	evs_sa_free(esp);
	evs_sa_free(udp);
	evs_crypto_engine_free(e);
}
END_TEST

static uint64_t drops_sum(const struct evs_sa *sa)
{
	struct evs_sa_stats st;
	uint64_t sum = 0;

	evs_sa_stats_get(sa, &st);
	for (unsigned int d = 0; d < EVS_ESP_DROP__MAX; d++)
		sum += st.drops[d];
	return sum;
}

/* Damaged and random packets, both ways: nothing crashes or reads out of
 * bounds (run it under ASan), and every packet is accepted or counted. */
START_TEST(test_garbage_accounted)
{
	struct evs_sa_config c = ct_sa_conf(0xa000, EVS_SA_OUTBOUND, EVS_ESP_TRANSPORT, 16, 12);
	uint64_t accepted = 0, dropped = 0;
	struct pair p;

	srand(3948);
	for (unsigned int round = 0; round < 300; round++) {
		struct rte_mbuf *m[BURST];
		struct evs_sa *sas[BURST];
		uint64_t before_in, before_out;
		uint16_t k;

		c.mode = round & 1 ? EVS_ESP_TUNNEL : EVS_ESP_TRANSPORT;
		c.udp_encap = (round & 2) != 0;
		c.esn = (round & 4) != 0;
		pair_make(&p, c);
		for (unsigned int i = 0; i < BURST; i++)
			m[i] = ct_build_udp(rand() & 1 ? 6 : 4, rand() & 1 ? 14 : 0,
					    (uint32_t)rand() % 300, i);
		/* Half the bursts get their plaintext headers damaged first. */
		if (round & 8)
			for (unsigned int i = 0; i < BURST; i++)
				rte_pktmbuf_mtod(m[i], uint8_t *)[rand() % 48] = (uint8_t)rand();
		before_out = drops_sum(p.out);
		k = evs_esp_encrypt_burst(p.e, p.out, m, BURST);
		ck_assert_uint_eq(k + drops_sum(p.out) - before_out, BURST);
		/* Damage the protected ones: a byte anywhere, or a cut. */
		for (unsigned int i = 0; i < BURST; i++) {
			uint8_t *d = rte_pktmbuf_mtod(m[i], uint8_t *);

			if (rand() % 3 == 0)
				d[(unsigned int)rand() % m[i]->data_len] ^=
				    (uint8_t)(1 + rand() % 255);
			else if (rand() % 3 == 0)
				rte_pktmbuf_trim(m[i],
						 (uint16_t)((unsigned int)rand() % m[i]->data_len));
			sas[i] = rand() % 8 == 0 ? NULL : p.in;
		}
		before_in = drops_sum(p.in);
		{
			struct evs_crypto_engine_stats es;
			uint16_t got = evs_esp_decrypt_burst(p.e, sas, m, BURST);

			evs_crypto_engine_stats_get(p.e, &es);
			ck_assert_uint_eq(got + drops_sum(p.in) - before_in + es.no_sa, BURST);
			accepted += got;
			dropped += BURST - got;
		}
		free_all(m, BURST);
		pair_free(&p);
	}
	/* Both outcomes happened, or the damage proved nothing. */
	ck_assert_uint_gt(accepted, 1000);
	ck_assert_uint_gt(dropped, 1000);
}
END_TEST

/*
 * evs_esp_decrypt_trace (flow.trace): over transport and tunnel mode, IPv4
 * and IPv6, ESP-in-UDP and ESN, a packet opened by the trace equals the
 * one the datapath opens, and tracing moves nothing: no counter, no window
 * (the datapath then accepts every traced packet). A replayed packet and a
 * flipped bit are said to be replay and auth, with their sequence number.
 */
START_TEST(test_decrypt_trace_changes_nothing)
{
	for (unsigned int bits = 0; bits < 16; bits++) {
		struct evs_sa_config c =
		    ct_sa_conf(0x4000 + bits, EVS_SA_OUTBOUND,
			       bits & 2 ? EVS_ESP_TUNNEL : EVS_ESP_TRANSPORT, 16, bits);
		struct rte_mbuf *m[8], *t[8], *bad;
		struct evs_sa *sas[8];
		struct evs_sa_stats st;
		enum evs_esp_drop why;
		uint64_t seq;
		struct pair p;

		c.udp_encap = (bits & 4) != 0;
		c.esn = (bits & 8) != 0;
		pair_make(&p, c);
		for (unsigned int i = 0; i < 8; i++)
			m[i] = ct_build_udp(bits & 1 ? 6 : 4, 14, burst_len(i), i);
		ck_assert_uint_eq(evs_esp_encrypt_burst(p.e, p.out, m, 8), 8);
		for (unsigned int i = 0; i < 8; i++) {
			t[i] = ct_clone(m[i]);
			t[i]->l2_len = 14;
			ck_assert_int_eq(evs_esp_decrypt_trace(p.e, p.in, t[i], &seq, &why), 0);
			ck_assert_uint_eq(seq, i + 1);
		}
		evs_sa_stats_get(p.in, &st);
		ck_assert_uint_eq(st.packets, 0);
		fill_sas(sas, p.in, 8);
		bad = ct_clone(m[3]);
		ck_assert_uint_eq(evs_esp_decrypt_burst(p.e, sas, m, 8), 8); /* all new */
		for (unsigned int i = 0; i < 8; i++)
			ck_assert_msg(ct_same(t[i], m[i]), "mode bits %u packet %u", bits, i);
		evs_sa_stats_get(p.in, &st);
		ck_assert_uint_eq(st.packets, 8);
		bad->l2_len = 14;
		ck_assert_int_eq(evs_esp_decrypt_trace(p.e, p.in, bad, &seq, &why), -EBADMSG);
		ck_assert_int_eq(why, EVS_ESP_DROP_REPLAY);
		ck_assert_uint_eq(seq, 4);
		free_all(&bad, 1);
		bad = ct_build_udp(bits & 1 ? 6 : 4, 14, 40, 9);
		ck_assert_uint_eq(evs_esp_encrypt_burst(p.e, p.out, &bad, 1), 1);
		rte_pktmbuf_mtod(bad, uint8_t *)[bad->data_len - 1] ^= 1; /* the ICV */
		bad->l2_len = 14;
		ck_assert_int_eq(evs_esp_decrypt_trace(p.e, p.in, bad, &seq, &why), -EBADMSG);
		ck_assert_int_eq(why, EVS_ESP_DROP_AUTH);
		ck_assert_uint_eq(seq, 9);
		evs_sa_stats_get(p.in, &st);
		ck_assert_uint_eq(st.packets, 8);
		ck_assert_uint_eq(st.drops[EVS_ESP_DROP_AUTH] + st.drops[EVS_ESP_DROP_REPLAY], 0);
		free_all(&bad, 1);
		free_all(m, 8);
		free_all(t, 8);
		pair_free(&p);
	}
}
END_TEST

/* A datagram to UDP @p dport whose payload is @p len bytes of @p fill. */
static struct rte_mbuf *udp_dgram(unsigned int v, uint16_t dport, uint32_t len, uint8_t fill)
{
	struct rte_mbuf *m = ct_build_udp(v, 14, len, 3);
	uint8_t *udp;

	ck_assert_ptr_nonnull(m);
	udp = rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + (v == 4 ? 20 : 40));
	udp[2] = (uint8_t)(dport >> 8);
	udp[3] = (uint8_t)dport;
	memset(udp + 8, fill, len);
	return m;
}

START_TEST(test_classify_keepalive_and_marker)
{
	const uint16_t ports[EVS_ESP_UDP_PORTS_MAX] = {4500, 0, 4600, 0};
	static const struct {
		uint16_t dport;
		uint32_t len;
		uint8_t fill;
		enum evs_esp_kind kind;
	} cases[] = {
	    {4500, 1, 0xff, EVS_ESP_KIND_KEEPALIVE},
	    {4600, 1, 0xff, EVS_ESP_KIND_KEEPALIVE},
	    {4500, 1, 0xfe, EVS_ESP_KIND_MALFORMED},
	    {4500, 3, 0xff, EVS_ESP_KIND_MALFORMED},
	    {4500, 0, 0, EVS_ESP_KIND_MALFORMED},
	    {4500, 40, 0, EVS_ESP_KIND_NON_ESP}, /* IKE after the marker */
	    {4500, 4, 0, EVS_ESP_KIND_NON_ESP},
	    {4600, 40, 0x11, EVS_ESP_KIND_ESP},	 /* SPI 0x11111111 */
	    {4501, 1, 0xff, EVS_ESP_KIND_OTHER}, /* not an ESP port */
	    {0, 40, 0x11, EVS_ESP_KIND_OTHER},	 /* the empty entries match nothing */
	    {6081, 40, 0x11, EVS_ESP_KIND_OTHER},
	};
	uint32_t spi;

	for (unsigned int v = 4; v <= 6; v += 2)
		for (size_t i = 0; i < RTE_DIM(cases); i++) {
			struct rte_mbuf *m =
			    udp_dgram(v, cases[i].dport, cases[i].len, cases[i].fill);

			spi = 0;
			ck_assert_msg(evs_esp_classify(m, ports, EVS_ESP_UDP_PORTS_MAX, &spi) ==
					  cases[i].kind,
				      "IPv%u case %zu", v, i);
			if (cases[i].kind == EVS_ESP_KIND_ESP)
				ck_assert_uint_eq(spi, 0x11111111);
			/* no port set: only protocol 50 is ESP */
			ck_assert_int_eq(evs_esp_classify(m, ports, 0, &spi), EVS_ESP_KIND_OTHER);
			rte_pktmbuf_free(m);
		}
}
END_TEST

/* ESP-in-UDP: the inbound SA learns the source port of verified packets
 * only; an outbound SA's destination port can be moved, its configured one
 * stays. */
/* An inbound ESP-in-UDP SA records the source address of its newest
 * verified packet: not a forged one, not an older one arriving late (a
 * NAT's rebinding must not flap back); IPv4 and IPv6. */
START_TEST(test_udp_peer_addr_learned)
{
	struct evs_crypto_engine *e = evs_crypto_engine_create();

	for (unsigned int v = 4; v <= 6; v += 2) {
		struct evs_sa_config co =
		    ct_sa_conf(0x4343, EVS_SA_OUTBOUND, EVS_ESP_TRANSPORT, 16, 5);
		struct evs_sa_config ci =
		    ct_sa_conf(0x4343, EVS_SA_INBOUND, EVS_ESP_TRANSPORT, 16, 5);
		unsigned int off = v == 4 ? 12 : 8, len = v == 4 ? 4 : 16;
		struct evs_sa *out, *in, *sas[2];
		struct rte_mbuf *m[3];
		struct evs_esp_addr a;

		co.udp_encap = ci.udp_encap = true;
		out = evs_sa_create(&co);
		in = evs_sa_create(&ci);
		ck_assert_ptr_nonnull(out);
		ck_assert_ptr_nonnull(in);
		ck_assert_int_eq(evs_sa_udp_peer_addr(in, &a), -ENOENT);
		for (unsigned int i = 0; i < 3; i++)
			m[i] = ct_build_udp(v, 14, 100, 40 + i);
		ck_assert_uint_eq(evs_esp_encrypt_burst(e, out, m, 3), 3);
		/* sources: seq 1 from ..1, seq 2 from ..2 (forged), seq 3 from ..3 */
		for (unsigned int i = 0; i < 3; i++) {
			uint8_t *ip = rte_pktmbuf_mtod_offset(m[i], uint8_t *, 14);

			ip[off + len - 1] = (uint8_t)(i + 1);
			ip[(v == 4 ? 20 : 40) + 6] = ip[(v == 4 ? 20 : 40) + 7] = 0;
		}
		rte_pktmbuf_mtod(m[1], uint8_t *)[m[1]->data_len - 1] ^= 1; /* ICV */
		sas[0] = sas[1] = in;
		ck_assert_uint_eq(evs_esp_decrypt_burst(e, sas, m + 1, 2), 1);
		ck_assert_int_eq(evs_sa_udp_peer_addr(in, &a), 0);
		ck_assert_uint_eq(a.family, v);
		ck_assert_uint_eq(a.b[len - 1], 3);
		/* seq 1, late, from ..1: accepted, the address stays */
		ck_assert_uint_eq(evs_esp_decrypt_burst(e, sas, m, 1), 1);
		ck_assert_int_eq(evs_sa_udp_peer_addr(in, &a), 0);
		ck_assert_uint_eq(a.b[len - 1], 3);
		free_all(m, 3);
		evs_sa_free(out);
		evs_sa_free(in);
	}
	evs_crypto_engine_free(e);
}
END_TEST

START_TEST(test_udp_peer_port_learned)
{
	struct evs_sa_config co = ct_sa_conf(0x4242, EVS_SA_OUTBOUND, EVS_ESP_TRANSPORT, 16, 5);
	struct evs_sa_config ci = ct_sa_conf(0x4242, EVS_SA_INBOUND, EVS_ESP_TRANSPORT, 16, 5);
	struct evs_crypto_engine *e = evs_crypto_engine_create();
	struct evs_sa *out, *in;
	struct rte_mbuf *m[2];
	uint8_t *udp;

	co.udp_encap = ci.udp_encap = true;
	co.udp_sport = 4600;
	co.udp_dport = ci.udp_dport = 4700;
	out = evs_sa_create(&co);
	in = evs_sa_create(&ci);
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(in);
	ck_assert(evs_sa_udp_encap(out));
	ck_assert_uint_eq(evs_sa_udp_peer_port(in), 0);
	for (unsigned int v = 4; v <= 6; v += 2) {
		m[0] = ct_build_udp(v, 14, 100, v);
		m[1] = ct_build_udp(v, 14, 100, v + 1);
		ck_assert_uint_eq(evs_esp_encrypt_burst(e, out, m, 2), 2);
		udp = rte_pktmbuf_mtod_offset(m[0], uint8_t *, 14 + (v == 4 ? 20 : 40));
		ck_assert_uint_eq((udp[2] << 8) | udp[3], evs_sa_udp_dport(out));
		/* the first forged (from 5555, bad ICV), the second from 6666 */
		udp[0] = 5555 >> 8;
		udp[1] = 5555 & 0xff;
		udp[12] ^= 1; /* the sequence number: the ICV fails */
		udp = rte_pktmbuf_mtod_offset(m[1], uint8_t *, 14 + (v == 4 ? 20 : 40));
		udp[0] = 6666 >> 8;
		udp[1] = 6666 & 0xff;
		udp[6] = udp[7] = 0; /* no UDP checksum to fix (IPv6: not checked here) */
		{
			struct evs_sa *sas[2] = {in, in};

			ck_assert_uint_eq(evs_esp_decrypt_burst(e, sas, m, 2), 1);
		}
		ck_assert_uint_eq(evs_sa_udp_peer_port(in), 6666);
		free_all(m, 2);
	}
	evs_sa_set_udp_dport(out, 7777);
	m[0] = ct_build_udp(4, 14, 100, 9);
	ck_assert_uint_eq(evs_esp_encrypt_burst(e, out, m, 1), 1);
	udp = rte_pktmbuf_mtod_offset(m[0], uint8_t *, 14 + 20);
	ck_assert_uint_eq((udp[0] << 8) | udp[1], 4600);
	ck_assert_uint_eq((udp[2] << 8) | udp[3], 7777);
	rte_pktmbuf_free(m[0]);
	ck_assert_uint_eq(evs_sa_udp_dport(out), 7777);
	ck_assert_uint_eq(evs_sa_udp_dport_configured(out), 4700);
	evs_sa_set_udp_dport(out, 0); /* 0 is no port: ignored */
	ck_assert_uint_eq(evs_sa_udp_dport(out), 7777);
	evs_sa_free(out);
	evs_sa_free(in);
	evs_crypto_engine_free(e);
}
END_TEST

/* Tunnel mode without endpoints: the outer header carries the inner one's
 * addresses and family (IPv4 and IPv6, in UDP or not); opened back to the
 * original. */
START_TEST(test_tunnel_inner_endpoints)
{
	struct evs_crypto_engine *e = evs_crypto_engine_create();

	for (unsigned int k = 0; k < 4; k++) {
		unsigned int v = k & 1 ? 6 : 4, hl = v == 4 ? 20 : 40;
		struct evs_sa_config co = ct_sa_conf(0x777, EVS_SA_OUTBOUND, EVS_ESP_TUNNEL, 16, 8);
		struct evs_sa_config ci = ct_sa_conf(0x777, EVS_SA_INBOUND, EVS_ESP_TUNNEL, 16, 8);
		struct evs_sa *out, *in;
		struct rte_mbuf *m = ct_build_udp(v, 14, 200, k), *orig = ct_clone(m);
		const uint8_t *o, *i;

		memset(&co.tun_src, 0, sizeof(co.tun_src));
		memset(&co.tun_dst, 0, sizeof(co.tun_dst));
		co.udp_encap = ci.udp_encap = k >= 2;
		out = evs_sa_create(&co);
		in = evs_sa_create(&ci);
		ck_assert_ptr_nonnull(out);
		ck_assert_ptr_nonnull(in);
		ck_assert_uint_eq(evs_esp_encrypt_burst(e, out, &m, 1), 1);
		o = rte_pktmbuf_mtod(m, const uint8_t *) + 14;
		i = rte_pktmbuf_mtod(orig, const uint8_t *) + 14;
		ck_assert_uint_eq(o[0] >> 4, v);
		ck_assert_uint_eq(rte_pktmbuf_mtod(m, const uint8_t *)[12], v == 4 ? 0x08 : 0x86);
		/* source and destination as the inner header's */
		ck_assert_mem_eq(o + (v == 4 ? 12 : 8), i + (v == 4 ? 12 : 8), v == 4 ? 8 : 32);
		ck_assert_uint_eq(v == 4 ? o[9] : o[6], k >= 2 ? IPPROTO_UDP : IPPROTO_ESP);
		/* the inner packet whole after the ESP header (its ciphertext differs) */
		ck_assert_uint_eq(m->pkt_len, orig->pkt_len + hl + (k >= 2 ? 8 : 0) + 16 + 2 +
						  ((4 - ((hl + 208 + 2) & 3)) & 3) + 16);
		{
			struct evs_sa *sas[1] = {in};

			ck_assert_uint_eq(evs_esp_decrypt_burst(e, sas, &m, 1), 1);
		}
		ck_assert(ct_same(m, orig));
		rte_pktmbuf_free(m);
		rte_pktmbuf_free(orig);
		evs_sa_free(out);
		evs_sa_free(in);
	}
	evs_crypto_engine_free(e);
}
END_TEST

void crypto_esp_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"roundtrip_all_modes", test_roundtrip_all_modes},
	    {"bit_flip_is_auth_failure", test_bit_flip_is_auth_failure},
	    {"replay_is_counted", test_replay_is_counted},
	    {"forged_esn_misleads_nothing", test_forged_esn_misleads_nothing},
	    {"seq_exhaustion_refused", test_seq_exhaustion_refused},
	    {"malformed_counted", test_malformed_counted},
	    {"bad_trailer_counted", test_bad_trailer_counted},
	    {"no_room_counted", test_no_room_counted},
	    {"long_burst_keeps_order", test_long_burst_keeps_order},
	    {"two_engines_share_outbound", test_two_engines_share_outbound},
	    {"peek_spi", test_peek_spi},
	    {"classify_keepalive_and_marker", test_classify_keepalive_and_marker},
	    {"udp_peer_port_learned", test_udp_peer_port_learned},
	    {"udp_peer_addr_learned", test_udp_peer_addr_learned},
	    {"tunnel_inner_endpoints", test_tunnel_inner_endpoints},
	    {"garbage_accounted", test_garbage_accounted},
	    {"decrypt_trace_changes_nothing", test_decrypt_trace_changes_nothing},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), NULL, NULL, 0);
}
