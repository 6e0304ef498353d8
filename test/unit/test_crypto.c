/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/crypto: AES-GCM known answers through the job API
 * (McGrew-Viega and draft-mcgrew-gcm-test-01), ESP decryption of the
 * draft's packets, the anti-replay window against a naive model on random
 * sequences, ESN inference, SA and engine errors. ESP behaviours are in
 * test_crypto_esp.c, the SPI table in test_crypto_table.c; the cross-check
 * with Python's cryptography package is test/scripts/esp_xcheck.py driving
 * crypto_xcheck_tool.c. This file holds the suite's main.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "crypto_test.h"
#include "unit_case.h"
#include "unit_eal.h"

/* ---- known answers ---- */

struct kat {
	const char *key, *nonce, *aad, *pt, *ct, *tag;
};

/* draft-mcgrew-gcm-test-01 (ESP payloads with their trailers; the 12-byte
 * AADs are ESN) and McGrew-Viega GCM test cases 2 and 14 (no AAD). */
static const struct kat kats[] = {
    {"4c80cdefbb5d10da906ac73c3613a634", "2e443b684956ed7e3b244cfe", "000043218765432100000000",
     "45000048699a000080114db7c0a80102c0a801010a9bf15638d3010000010000"
     "00000000045f736970045f756470037369700963796265726369747902646b00"
     "0021000101020201",
     "fecf537e729d5b07dc30df528dd22b768d1b98736696a6fd348509fa13ceac34"
     "cfa2436f14a3f3cf65925bf1f4a13c5d15b21e1884f5ff6247aeabb786b93bce"
     "61bc17d768fd9732",
     "459018148f6cbe722fd04796562dfdb4"},
    {"feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", "0000a5f80000000a",
     "4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d00100"
     "0001000000000000037369700963796265726369747902646b00000100010001",
     "deb22cd9b07c72c16e3a65beeb8df304a5a5897d33ae530f1ba76d5d114d2a5c"
     "3de81827c10e9a4f51330d0eec416642cfbb85a5b47e48a4ec3b9ba95d918bd1",
     "83b70d3aa8bc6ee4c309e9d85a41ad4a"},
    {"abbccddef00112233445566778899aababbccddef00112233445566778899aab", "112233440102030405060708",
     "4a2cbfe300000002",
     "4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee000000000"
     "7002400020bf0000020405b40101040201020201",
     "ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763"
     "748a637985771d347f0545659f14e99def842d8e",
     "b335f4eecfdbf831824b4c4915956c96"},
    {"00000000000000000000000000000000", "000000000000000000000000", "0000000000000001",
     "4500003c99c500008001cb7a40679318010101010800075c0200440061626364"
     "65666768696a6b6c6d6e6f707172737475767761626364656667686901020201",
     "4688daf2f973a392732909c331d56d60f694abaa414b5e7ff5fdcdfff5e9a284"
     "456476492719ffb64de7d9dca1e1d894bc3bd57873ed4d181d19d4d5c8c18af3",
     "f821d496eeb096e98ad2b69e4799c71d"},
    {"7d773d00c144c525ac619d18c84a3f47", "d966426743457e9182443bc6", "335467aeffffffff", "01020201",
     "437f866b", "cb3f699fe9b0822bac961c4504bef270"},
    {"6c6567616c697a656d6172696a75616e61616e64646f69746265666f72656961", "7475726e333021696765746d",
     "796b6963ffffffffffffffff",
     "45000030da3a00008001df3bc0a80005c0a800010800c6cd0200070061626364"
     "65666768696a6b6c6d6e6f707172737401020201",
     "f97ab2aa356d8edce17644ac8c78e25dd24dedbb29ebf1b64a274b39b49c3a86"
     "4cd3d78ca4ae68a32b42458fb57dbe821dcc63b9",
     "d0937ba2945f669368661a329fb4c053"},
    {"00000000000000000000000000000000", "000000000000000000000000", "",
     "00000000000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78",
     "ab6e47d42cec13bdf53a67b21257bddf"},
    {"0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000",
     "", "00000000000000000000000000000000", "cea7403d4d606b6e074ec5d3baf39d18",
     "d0d1c8a799996bf0265b98b5d48ab919"},
};

struct kat_buf {
	uint8_t key[32], nonce[12], aad[16], pt[128], ct[128], tag[16], out[128], otag[16];
	size_t key_len, aad_len, len;
	struct evs_sa *sa;
};

static void kat_load(struct kat_buf *b, const struct kat *k)
{
	struct evs_sa_config c = ct_sa_conf(0x1000, EVS_SA_OUTBOUND, EVS_ESP_TRANSPORT, 16, 0);

	memset(b, 0, sizeof(*b));
	b->key_len = ct_unhex(k->key, b->key, sizeof(b->key));
	ck_assert_uint_eq(ct_unhex(k->nonce, b->nonce, sizeof(b->nonce)), 12);
	b->aad_len = ct_unhex(k->aad, b->aad, sizeof(b->aad));
	b->len = ct_unhex(k->pt, b->pt, sizeof(b->pt));
	ck_assert_uint_eq(ct_unhex(k->ct, b->ct, sizeof(b->ct)), b->len);
	ck_assert_uint_eq(ct_unhex(k->tag, b->tag, sizeof(b->tag)), 16);
	memcpy(c.key, b->key, b->key_len);
	c.key_len = (uint8_t)b->key_len;
	b->sa = evs_sa_create(&c);
	ck_assert_ptr_nonnull(b->sa);
}

START_TEST(test_gcm_known_answers)
{
	struct evs_crypto_engine *e = evs_crypto_engine_create();
	struct kat_buf b[RTE_DIM(kats)];
	struct evs_gcm_op ops[RTE_DIM(kats)];

	ck_assert_ptr_nonnull(e);
	/* One burst per vector (the key is the SA's), encrypt then decrypt. */
	for (unsigned int dir = 0; dir < 2; dir++) {
		for (unsigned int i = 0; i < RTE_DIM(kats); i++) {
			if (dir == 0)
				kat_load(&b[i], &kats[i]);
			ops[i] = (struct evs_gcm_op){.nonce = b[i].nonce,
						     .aad = b[i].aad,
						     .aad_len = (uint32_t)b[i].aad_len,
						     .src = dir == 0 ? b[i].pt : b[i].ct,
						     .dst = b[i].out,
						     .len = (uint32_t)b[i].len,
						     .tag = b[i].otag};
			ck_assert_uint_eq(evs_gcm_burst(e, b[i].sa, dir == 0, &ops[i], 1), 1);
			ck_assert_msg(memcmp(b[i].out, dir == 0 ? b[i].ct : b[i].pt, b[i].len) == 0,
				      "vector %u: %s differs", i,
				      dir == 0 ? "ciphertext" : "plaintext");
			ck_assert_msg(memcmp(b[i].otag, b[i].tag, 16) == 0, "vector %u: tag", i);
		}
	}
	for (unsigned int i = 0; i < RTE_DIM(kats); i++)
		evs_sa_free(b[i].sa);
	evs_crypto_engine_free(e);
}
END_TEST

/* Transport-mode ESP packets made of a draft vector: IPv4 (proto 50), SPI
 * and sequence from the AAD, IV from the nonce, ciphertext and tag. */
START_TEST(test_esp_decrypt_known_answers)
{
	static const unsigned int which[] = {1, 2, 4}; /* the non-ESN vectors with SPI >= 256 */
	struct evs_crypto_engine *e = evs_crypto_engine_create();
	struct rte_mbuf *m[RTE_DIM(which)];
	struct evs_sa *sas[RTE_DIM(which)], *keep[RTE_DIM(which)];
	struct kat_buf b[RTE_DIM(which)];

	ck_assert_ptr_nonnull(e);
	for (unsigned int i = 0; i < RTE_DIM(which); i++) {
		struct evs_sa_config c;
		struct rte_ipv4_hdr *ip;
		uint8_t *p;
		uint32_t spi;

		kat_load(&b[i], &kats[which[i]]);
		evs_sa_free(b[i].sa);
		memcpy(&spi, b[i].aad, 4);
		c = ct_sa_conf(rte_be_to_cpu_32(spi), EVS_SA_INBOUND, EVS_ESP_TRANSPORT,
			       (uint8_t)b[i].key_len, 0);
		memcpy(c.key, b[i].key, b[i].key_len);
		memcpy(c.salt, b[i].nonce, 4);
		sas[i] = keep[i] = evs_sa_create(&c);
		ck_assert_ptr_nonnull(sas[i]);
		m[i] = rte_pktmbuf_alloc(crypto_test_pool);
		ck_assert_ptr_nonnull(
		    rte_pktmbuf_append(m[i], (uint16_t)(20 + 16 + b[i].len + 16)));
		p = rte_pktmbuf_mtod(m[i], uint8_t *);
		ip = (struct rte_ipv4_hdr *)p;
		memset(ip, 0, 20);
		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + 16 + b[i].len + 16));
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_ESP;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		memcpy(p + 20, b[i].aad, 8);
		memcpy(p + 28, b[i].nonce + 4, 8);
		memcpy(p + 36, b[i].ct, b[i].len);
		memcpy(p + 36 + b[i].len, b[i].tag, 16);
		m[i]->l2_len = 0;
	}
	ck_assert_uint_eq(evs_esp_decrypt_burst(e, sas, m, RTE_DIM(which)), RTE_DIM(which));
	for (unsigned int i = 0; i < RTE_DIM(which); i++) {
		const uint8_t *p = rte_pktmbuf_mtod(m[i], const uint8_t *);
		size_t padlen = b[i].pt[b[i].len - 2], payload = b[i].len - 2 - padlen;

		ck_assert_ptr_eq(sas[i], keep[i]);
		ck_assert_uint_eq(m[i]->data_len, 20 + payload);
		ck_assert_uint_eq(p[9], b[i].pt[b[i].len - 1]); /* next header */
		ck_assert_uint_eq(rte_raw_cksum(p, 20), 0xffff);
		ck_assert_int_eq(memcmp(p + 20, b[i].pt, payload), 0);
		rte_pktmbuf_free(m[i]);
		evs_sa_free(keep[i]);
	}
	evs_crypto_engine_free(e);
}
END_TEST

/* ---- anti-replay window against a naive model ---- */

#define MODEL_SPAN (1u << 20)

struct replay_model {
	uint8_t *seen; /* seq < MODEL_SPAN */
	uint64_t top;
	uint32_t window;
};

static bool model_accept(struct replay_model *m, uint64_t seq)
{
	if (seq == 0 || m->seen[seq])
		return false;
	if (seq <= m->top && m->top - seq >= m->window)
		return false;
	m->seen[seq] = 1;
	if (seq > m->top)
		m->top = seq;
	return true;
}

START_TEST(test_replay_matches_model)
{
	static const uint32_t windows[] = {1, 32, 63, 64, 65, 100, 1024, 4000, 4096};
	struct evs_replay *r = malloc(sizeof(*r));
	struct replay_model m;
	uint64_t accepted = 0, refused = 0;

	srand(13);
	m.seen = calloc(MODEL_SPAN, 1);
	for (unsigned int w = 0; w < RTE_DIM(windows); w++) {
		ck_assert_int_eq(evs_replay_init(r, windows[w]), 0);
		memset(m.seen, 0, MODEL_SPAN);
		m.top = 0;
		m.window = windows[w];
		for (unsigned int i = 0; i < 60000; i++) {
			uint64_t seq;
			int kind = rand() % 10;

			/* Mostly near the top, sometimes ahead by a lot, sometimes old. */
			if (kind < 5)
				seq = m.top + 1 + (uint64_t)(rand() % 4);
			else if (kind < 8)
				seq =
				    m.top > 0 ? m.top - (uint64_t)(rand() % (windows[w] + 70)) : 1;
			else if (kind < 9)
				seq = m.top + (uint64_t)(rand() % (3 * windows[w] + 200));
			else
				seq = (uint64_t)(rand() % (m.top + 2));
			if (seq >= MODEL_SPAN - 10000)
				break;
			bool want = model_accept(&m, seq);

			ck_assert_msg(evs_replay_check(r, seq) == want,
				      "window %u step %u seq %lu: check says %d, model %d",
				      windows[w], i, (unsigned long)seq, !want, want);
			ck_assert(evs_replay_accept(r, seq) == want);
			ck_assert_uint_eq(r->top, m.top);
			if (want)
				accepted++;
			else
				refused++;
		}
	}
	/* Both outcomes were exercised, or the model proved nothing. */
	ck_assert_uint_gt(accepted, 10000);
	ck_assert_uint_gt(refused, 10000);
	free(m.seen);
	free(r);
}
END_TEST

START_TEST(test_replay_window_edges)
{
	struct evs_replay r;

	ck_assert_int_eq(evs_replay_init(&r, EVS_REPLAY_WINDOW_MAX + 1), -EINVAL);
	ck_assert_int_eq(evs_replay_init(&r, 0), 0);
	ck_assert_uint_eq(r.window, EVS_REPLAY_WINDOW_DEFAULT);
	ck_assert(!evs_replay_accept(&r, 0));
	ck_assert(evs_replay_accept(&r, 5000));
	ck_assert(evs_replay_check(&r, 5000 - 1023));  /* the window's last slot */
	ck_assert(!evs_replay_check(&r, 5000 - 1024)); /* just left of it */
	ck_assert(evs_replay_accept(&r, 5000 - 1023));
	ck_assert(!evs_replay_accept(&r, 5000 - 1023));
	ck_assert(!evs_replay_accept(&r, 5000));
	/* A jump far past every block clears the ring: nothing stale survives. */
	ck_assert(evs_replay_accept(&r, 5000 + 1000000));
	ck_assert(evs_replay_accept(&r, 5000 + 1000000 - 1023));
	ck_assert(evs_replay_check(&r, 5000 + 1000000 - 1));
}
END_TEST

START_TEST(test_replay_esn_inference)
{
	struct evs_replay r;
	const uint64_t e32 = 1ull << 32;

	ck_assert_int_eq(evs_replay_init(&r, 1024), 0);
	/* Fresh window: numbers are in epoch 0. */
	ck_assert_uint_eq(evs_replay_esn_infer(&r, 7), 7);
	/* Case A, top in the middle of epoch 3. */
	r.top = 3 * e32 + 100000;
	ck_assert_uint_eq(evs_replay_esn_infer(&r, 100000 - 1023), 3 * e32 + 100000 - 1023);
	ck_assert_uint_eq(evs_replay_esn_infer(&r, 200000), 3 * e32 + 200000);
	ck_assert_uint_eq(evs_replay_esn_infer(&r, 10), 4 * e32 + 10); /* wrapped ahead */
	/* Case A near the end of the epoch: a small number is the next epoch. */
	r.top = 3 * e32 + 0xfffffff0u;
	ck_assert_uint_eq(evs_replay_esn_infer(&r, 5), 4 * e32 + 5);
	/* Case B: the window straddles the epoch boundary. */
	r.top = 4 * e32 + 10;
	ck_assert_uint_eq(evs_replay_esn_infer(&r, 0xfffffff0u), 3 * e32 + 0xfffffff0u);
	ck_assert_uint_eq(evs_replay_esn_infer(&r, 12), 4 * e32 + 12);
	ck_assert_uint_eq(evs_replay_esn_infer(&r, 5), 4 * e32 + 5);
}
END_TEST

/* ---- SAs and engines ---- */

START_TEST(test_sa_create_errors)
{
	struct evs_sa_config ok = ct_sa_conf(0x1234, EVS_SA_OUTBOUND, EVS_ESP_TUNNEL, 32, 1), c;
	struct evs_sa *sa;

	sa = evs_sa_create(&ok);
	ck_assert_ptr_nonnull(sa);
	ck_assert_uint_eq(evs_sa_spi(sa), 0x1234);
	ck_assert_uint_eq(evs_sa_seq_remaining(sa), UINT32_MAX);
	evs_sa_free(sa);
	evs_sa_free(NULL);

	c = ok;
	c.spi = 255; /* reserved */
	errno = 0;
	ck_assert_ptr_null(evs_sa_create(&c));
	ck_assert_int_eq(errno, EINVAL);
	c = ok;
	c.key_len = 24; /* AES-192 is not offered */
	ck_assert_ptr_null(evs_sa_create(&c));
	ck_assert_int_eq(errno, EINVAL);
	c = ok;
	c.replay_window = EVS_REPLAY_WINDOW_MAX + 1;
	ck_assert_ptr_null(evs_sa_create(&c));
	ck_assert_int_eq(errno, EINVAL);
	c = ok;
	c.first_seq = 1ull << 32; /* beyond a 32-bit sequence space */
	ck_assert_ptr_null(evs_sa_create(&c));
	ck_assert_int_eq(errno, EINVAL);
	c = ok;
	c.tun_dst.family = 6; /* mixed outer families */
	ck_assert_ptr_null(evs_sa_create(&c));
	ck_assert_int_eq(errno, EINVAL);
	c = ok;
	c.tun_src.family = 0; /* one endpoint from the inner header, not both */
	ck_assert_ptr_null(evs_sa_create(&c));
	ck_assert_int_eq(errno, EINVAL);
	c = ok;
	c.tun_src.family = c.tun_dst.family = 5;
	ck_assert_ptr_null(evs_sa_create(&c));
	ck_assert_int_eq(errno, EINVAL);
	c = ok;
	c.tun_src.family = c.tun_dst.family = 0; /* both: the inner header's */
	sa = evs_sa_create(&c);
	ck_assert_ptr_nonnull(sa);
	evs_sa_free(sa);
	c = ok;
	c.mode = (enum evs_esp_mode)7;
	ck_assert_ptr_null(evs_sa_create(&c));
	ck_assert_int_eq(errno, EINVAL);
	c = ok;
	c.esn = true;
	c.first_seq = 1ull << 40;
	sa = evs_sa_create(&c);
	ck_assert_ptr_nonnull(sa);
	ck_assert_uint_eq(evs_sa_seq_remaining(sa), UINT64_MAX - (1ull << 40) + 1);
	evs_sa_free(sa);
}
END_TEST

/* The creator's owner word comes back as given (the overlay's VTEP). */
START_TEST(test_sa_owner_word)
{
	struct evs_sa_config c = ct_sa_conf(0x2345, EVS_SA_INBOUND, EVS_ESP_TRANSPORT, 16, 2);
	struct evs_sa *a, *b;

	c.owner = 0xdeadbeef;
	a = evs_sa_create(&c);
	c.spi = 0x2346;
	c.owner = 0;
	b = evs_sa_create(&c);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(evs_sa_owner(a), 0xdeadbeef);
	ck_assert_uint_eq(evs_sa_owner(b), 0);
	evs_sa_free(a);
	evs_sa_free(b);
}
END_TEST

START_TEST(test_engine_slots)
{
	struct evs_crypto_engine *e[EVS_CRYPTO_MAX_ENGINES], *extra;

	for (unsigned int i = 0; i < EVS_CRYPTO_MAX_ENGINES; i++) {
		e[i] = evs_crypto_engine_create();
		ck_assert_ptr_nonnull(e[i]);
	}
	printf("crypto engine: IPsec-MB %s\n", evs_crypto_engine_arch(e[0]));
	errno = 0;
	ck_assert_ptr_null(evs_crypto_engine_create());
	ck_assert_int_eq(errno, ENOSPC);
	evs_crypto_engine_free(e[3]);
	extra = evs_crypto_engine_create();
	ck_assert_ptr_nonnull(extra);
	evs_crypto_engine_free(extra);
	for (unsigned int i = 0; i < EVS_CRYPTO_MAX_ENGINES; i++)
		if (i != 3)
			evs_crypto_engine_free(e[i]);
	evs_crypto_engine_free(NULL);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("crypto");
	const struct unit_case cases[] = {
	    {"gcm_known_answers", test_gcm_known_answers},
	    {"esp_decrypt_known_answers", test_esp_decrypt_known_answers},
	    {"replay_matches_model", test_replay_matches_model},
	    {"replay_window_edges", test_replay_window_edges},
	    {"replay_esn_inference", test_replay_esn_inference},
	    {"sa_create_errors", test_sa_create_errors},
	    {"sa_owner_word", test_sa_owner_word},
	    {"engine_slots", test_engine_slots},
	};

	(void)argc;
	if (unit_eal_init(argv[0], "evs_test_crypto", "128") < 0)
		return 1;
	crypto_test_pool = rte_pktmbuf_pool_create("ct_pool", 1024, 0, 0, 4096, SOCKET_ID_ANY);
	if (crypto_test_pool == NULL)
		return 1;
	unit_add_cases(s, cases, RTE_DIM(cases), NULL, NULL, 0);
	crypto_esp_add_cases(s);
	crypto_table_add_cases(s);
	return unit_run(s) == 0 ? 0 : 1;
}
