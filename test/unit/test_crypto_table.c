/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/crypto's inbound SPI table: against a naive model on random adds,
 * deletes and lookups (with deleted slots piling up and copies), under a
 * concurrent reader, and feeding evs_esp_decrypt_burst during a
 * make-before-break rekey.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "crypto_test.h"
#include "unit_case.h"

#define POOL_SAS 64

static struct evs_sa *sa_pool[POOL_SAS];

static void pool_make(void)
{
	for (unsigned int i = 0; i < POOL_SAS; i++) {
		/* SPIs that collide in the low bits too. */
		struct evs_sa_config c =
		    ct_sa_conf(0x1000 + i * 64, EVS_SA_INBOUND, EVS_ESP_TRANSPORT, 16, i);

		sa_pool[i] = evs_sa_create(&c);
		ck_assert_ptr_nonnull(sa_pool[i]);
	}
}

static void pool_free(void)
{
	for (unsigned int i = 0; i < POOL_SAS; i++)
		evs_sa_free(sa_pool[i]);
}

START_TEST(test_table_matches_model)
{
	struct evs_sa_table *t = evs_sa_table_create(24);
	bool in[POOL_SAS] = {false};
	unsigned int held = 0, copies = 0, rebuilds_wanted = 0;

	pool_make();
	srand(4303);
	for (unsigned int step = 0; step < 30000; step++) {
		unsigned int i = (unsigned int)rand() % POOL_SAS;
		int op = rand() % 4, rc;

		if (op == 0) {
			rc = evs_sa_table_add(t, sa_pool[i]);
			ck_assert_int_eq(rc, in[i] ? -EEXIST : held >= 24 ? -ENOSPC : 0);
			if (rc == 0) {
				in[i] = true;
				held++;
			}
		} else if (op == 1) {
			rc = evs_sa_table_del(t, evs_sa_spi(sa_pool[i]));
			ck_assert_int_eq(rc, in[i] ? 0 : -ENOENT);
			if (rc == 0) {
				in[i] = false;
				held--;
			}
		} else {
			/* A pool SPI, or one never added. */
			uint32_t spi = op == 2 ? evs_sa_spi(sa_pool[i]) : 0x1000 + i * 64 + 1;
			struct evs_sa *got = evs_sa_table_lookup(t, spi);

			ck_assert_ptr_eq(got, op == 2 && in[i] ? sa_pool[i] : NULL);
		}
		ck_assert_uint_eq(evs_sa_table_count(t), held);
		if (evs_sa_table_needs_rebuild(t)) {
			struct evs_sa_table *c = evs_sa_table_copy(t, 24);

			rebuilds_wanted++;
			ck_assert_ptr_nonnull(c);
			ck_assert(!evs_sa_table_needs_rebuild(c));
			evs_sa_table_free(t);
			t = c;
			copies++;
		}
	}
	for (unsigned int i = 0; i < POOL_SAS; i++)
		ck_assert_ptr_eq(evs_sa_table_lookup(t, evs_sa_spi(sa_pool[i])),
				 in[i] ? sa_pool[i] : NULL);
	/* Deleted slots did pile up, and copies cleared them. */
	ck_assert_uint_gt(copies, 0);
	ck_assert_uint_eq(rebuilds_wanted, copies);
	errno = 0;
	ck_assert_ptr_null(evs_sa_table_copy(t, held > 0 ? held - 1 : 0));
	ck_assert_int_ne(errno, 0);
	ck_assert_ptr_null(evs_sa_table_create(0));
	ck_assert_int_eq(errno, EINVAL);
	evs_sa_table_free(t);
	evs_sa_table_free(NULL);
	pool_free();
}
END_TEST

START_TEST(test_table_refuses_outbound)
{
	struct evs_sa_config c = ct_sa_conf(0x4444, EVS_SA_OUTBOUND, EVS_ESP_TRANSPORT, 16, 1);
	struct evs_sa_table *t = evs_sa_table_create(4);
	struct evs_sa *out = evs_sa_create(&c);

	ck_assert_int_eq(evs_sa_table_add(t, out), -EINVAL);
	ck_assert_int_eq(evs_sa_table_add(t, NULL), -EINVAL);
	ck_assert_uint_eq(evs_sa_table_count(t), 0);
	evs_sa_free(out);
	evs_sa_table_free(t);
}
END_TEST

struct reader {
	const struct evs_sa_table *t;
	volatile bool stop;
	uint64_t lookups, wrong, missed_stable;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	while (!r->stop) {
		for (unsigned int i = 0; i < POOL_SAS; i++) {
			uint32_t spi = evs_sa_spi(sa_pool[i]);
			struct evs_sa *got = evs_sa_table_lookup(r->t, spi);

			if (got != NULL && got != sa_pool[i])
				r->wrong++;
			/* The first 8 are never removed: always found. */
			if (i < 8 && got == NULL)
				r->missed_stable++;
			r->lookups++;
		}
	}
	return NULL;
}

START_TEST(test_table_concurrent_reader)
{
	struct evs_sa_table *t = evs_sa_table_create(POOL_SAS);
	struct reader r = {.t = t};
	pthread_t th;

	pool_make();
	for (unsigned int i = 0; i < 8; i++)
		ck_assert_int_eq(evs_sa_table_add(t, sa_pool[i]), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, reader_main, &r), 0);
	srand(99);
	for (unsigned int step = 0; step < 200000; step++) {
		unsigned int i = 8 + (unsigned int)rand() % (POOL_SAS - 8);

		if (evs_sa_table_add(t, sa_pool[i]) == -EEXIST)
			ck_assert_int_eq(evs_sa_table_del(t, evs_sa_spi(sa_pool[i])), 0);
	}
	r.stop = true;
	pthread_join(th, NULL);
	ck_assert_uint_gt(r.lookups, 0);
	ck_assert_uint_eq(r.wrong, 0);
	ck_assert_uint_eq(r.missed_stable, 0);
	evs_sa_table_free(t);
	pool_free();
}
END_TEST

/* Make-before-break: the new inbound SA is added while the old one still
 * has packets in flight; both open through one table; then the old goes. */
START_TEST(test_rekey_through_table)
{
	struct evs_sa_config oc = ct_sa_conf(0x5000, EVS_SA_OUTBOUND, EVS_ESP_TRANSPORT, 16, 1);
	struct evs_sa_config nc = ct_sa_conf(0x5001, EVS_SA_OUTBOUND, EVS_ESP_TRANSPORT, 32, 2);
	struct evs_sa_config xc = ct_sa_conf(0x5002, EVS_SA_OUTBOUND, EVS_ESP_TRANSPORT, 16, 3);
	struct evs_crypto_engine *e = evs_crypto_engine_create();
	struct evs_sa_table *t = evs_sa_table_create(8);
	struct evs_sa *old_out, *new_out, *old_in, *new_in, *stranger, *sas[8];
	struct evs_crypto_engine_stats es;
	struct rte_mbuf *m[8];

	old_out = evs_sa_create(&oc);
	new_out = evs_sa_create(&nc);
	stranger = evs_sa_create(&xc);
	oc.dir = nc.dir = EVS_SA_INBOUND;
	old_in = evs_sa_create(&oc);
	new_in = evs_sa_create(&nc);
	ck_assert_int_eq(evs_sa_table_add(t, old_in), 0);
	for (unsigned int i = 0; i < 8; i++)
		m[i] = ct_build_udp(i & 1 ? 6 : 4, 14, 50, i);
	/* Three packets under the old SA, then the receiver installs the new
	 * inbound SA, then the sender switches: three under the new one. */
	ck_assert_uint_eq(evs_esp_encrypt_burst(e, old_out, m, 3), 3);
	ck_assert_int_eq(evs_sa_table_add(t, new_in), 0);
	ck_assert_uint_eq(evs_esp_encrypt_burst(e, new_out, &m[3], 3), 3);
	/* m[6] stays clear; m[7] has an SPI the table does not know. */
	ck_assert_uint_eq(evs_esp_encrypt_burst(e, stranger, &m[7], 1), 1);
	ck_assert_uint_eq(evs_esp_lookup_burst(t, m, 8, 0, sas), 6);
	for (unsigned int i = 0; i < 8; i++)
		ck_assert_ptr_eq(sas[i], i < 3 ? old_in : i < 6 ? new_in : NULL);
	ck_assert_uint_eq(evs_esp_decrypt_burst(e, sas, m, 8), 6);
	evs_crypto_engine_stats_get(e, &es);
	ck_assert_uint_eq(es.no_sa, 2);
	ck_assert_uint_eq(evs_esp_lookup_burst(t, m, 6, 0, sas), 0); /* all clear now */
	/* The old inbound SA retires after the switch. */
	ck_assert_int_eq(evs_sa_table_del(t, 0x5000), 0);
	ck_assert_ptr_null(evs_sa_table_lookup(t, 0x5000));
	ck_assert_ptr_eq(evs_sa_table_lookup(t, 0x5001), new_in);
	for (unsigned int i = 0; i < 8; i++)
		rte_pktmbuf_free(m[i]);
	evs_sa_table_free(t);
	evs_sa_free(old_out);
	evs_sa_free(new_out);
	evs_sa_free(stranger);
	evs_sa_free(old_in);
	evs_sa_free(new_in);
	evs_crypto_engine_free(e);
}
END_TEST

void crypto_table_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"table_matches_model", test_table_matches_model},
	    {"table_refuses_outbound", test_table_refuses_outbound},
	    {"table_concurrent_reader", test_table_concurrent_reader},
	    {"rekey_through_table", test_rekey_through_table},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), NULL, NULL, 0);
}
