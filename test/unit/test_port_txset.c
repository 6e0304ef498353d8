/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * evs_port_txset against a naive model: per port, packets leave in the
 * order they were queued, a buffer that fills is sent at once, a flush
 * sends everything and touches only ports used since the last one, more
 * ports than buffers in one iteration force an early flush. Ports are
 * fakes (struct evs_port with a recording tx function), so the set can be
 * driven over all EVS_PORT_MAX indexes without devices. Part of the port
 * suite (main in test_port.c).
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>

#include <evs_port.h>
#include <evs_port_driver.h>

#include "port_test.h"
#include "unit_case.h"

#define MODEL_MAX 4096 /* packets waiting per port in the model, at most */

/* A fake port: what its tx function received, checked against the model. */
struct fake {
	uint16_t idx;
	bool full;	/* the "device" takes nothing: tx_full drops */
	uint32_t calls; /* tx function calls */
	uint32_t *want; /* model FIFO of sequence numbers */
	uint32_t head, tail;
	uint32_t sent;
};

static uint32_t seq_of(const struct rte_mbuf *m)
{
	uint32_t v;

	memcpy(&v, rte_pktmbuf_mtod(m, const void *), sizeof(v));
	return v;
}

/* Ports used since the model's last flush (NULL outside run_model). */
static const uint8_t *model_used;

static uint16_t fake_tx(void *drv, uint16_t qid, struct rte_mbuf **pkts, uint16_t n,
			enum evs_port_drop *why)
{
	struct fake *f = drv;
	uint16_t i;

	(void)qid;
	f->calls++;
	ck_assert_msg(model_used == NULL || model_used[f->idx], "tx on port %u, unused", f->idx);
	/* whatever the device takes or not, it was queued in this order */
	for (i = 0; i < n; i++) {
		ck_assert_msg(f->head != f->tail, "port %u: a packet nobody queued", f->idx);
		ck_assert_msg(seq_of(pkts[i]) == f->want[f->head % MODEL_MAX],
			      "port %u: packet %u out of order (want %u)", f->idx, seq_of(pkts[i]),
			      f->want[f->head % MODEL_MAX]);
		f->head++;
	}
	if (f->full) {
		*why = EVS_PORT_DROP_TX_FULL;
		/* un-pop: evs_port_tx_send retries nothing after 0, it frees */
		return 0;
	}
	rte_pktmbuf_free_bulk(pkts, n);
	f->sent += n;
	return n;
}

struct fakes {
	unsigned int n;
	struct evs_port *ports;	       /* [n] */
	struct evs_port *const *table; /* [n]: NULL for absent ones */
	struct evs_port **tab;
	struct evs_port_txq *txq; /* [n] */
	struct fake *f;		  /* [n] */
};

static void fakes_init(struct fakes *fs, unsigned int n, unsigned int absent_every)
{
	unsigned int i;

	fs->n = n;
	fs->ports = rte_zmalloc(NULL, sizeof(*fs->ports) * n, RTE_CACHE_LINE_SIZE);
	fs->txq = rte_zmalloc(NULL, sizeof(*fs->txq) * n, RTE_CACHE_LINE_SIZE);
	fs->tab = rte_zmalloc(NULL, sizeof(*fs->tab) * n, 0);
	fs->f = rte_zmalloc(NULL, sizeof(*fs->f) * n, 0);
	ck_assert(fs->ports && fs->txq && fs->tab && fs->f);
	for (i = 0; i < n; i++) {
		struct evs_port *p = &fs->ports[i];

		fs->f[i].idx = (uint16_t)i;
		fs->f[i].want = rte_zmalloc(NULL, sizeof(uint32_t) * MODEL_MAX, 0);
		ck_assert_ptr_nonnull(fs->f[i].want);
		p->tx = fake_tx;
		p->drv = &fs->f[i];
		p->txq = &fs->txq[i];
		p->nb_txq = 1;
		p->nb_tx_users = 1;
		p->id = (uint16_t)i;
		fs->tab[i] = absent_every != 0 && i % absent_every == absent_every - 1 ? NULL : p;
	}
	fs->table = fs->tab;
}

static void fakes_fini(struct fakes *fs)
{
	unsigned int i;

	for (i = 0; i < fs->n; i++)
		rte_free(fs->f[i].want);
	rte_free(fs->f);
	rte_free(fs->tab);
	rte_free(fs->txq);
	rte_free(fs->ports);
}

static struct rte_mbuf *pkt(uint32_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	ck_assert_ptr_nonnull(m);
	memcpy(rte_pktmbuf_append(m, 64), &seq, sizeof(seq));
	return m;
}

START_TEST(txset_create_errors_and_memsize)
{
	struct evs_port_txset_config c = {.nb_ports = EVS_PORT_MAX};
	struct evs_port_txset *ts;
	struct fakes fs;
	struct rte_mbuf *m;

	/* stated memory: 2 bytes per port index plus the buffers in use at once */
	ck_assert_uint_le(evs_port_txset_memsize(&c), 2 * EVS_PORT_MAX + 64 * 300 + 256);
	ck_assert_uint_gt(evs_port_txset_memsize(&c),
			  EVS_PORT_TXSET_BUFS * 8 * EVS_PORT_TXBUF_SIZE);
	c.nb_ports = 0;
	errno = 0;
	ck_assert_ptr_null(evs_port_txset_create(&c));
	ck_assert_int_eq(errno, EINVAL);
	c.nb_ports = EVS_PORT_MAX + 1;
	ck_assert_ptr_null(evs_port_txset_create(&c));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(evs_port_txset_create(NULL));
	ck_assert_uint_eq(evs_port_txset_memsize(NULL), 0);
	evs_port_txset_free(NULL);

	c.nb_ports = 16;
	ts = evs_port_txset_create(&c);
	ck_assert_ptr_nonnull(ts);
	fakes_init(&fs, 16, 4);
	ck_assert_int_eq(evs_port_txset_bind(ts, fs.table, 17), -EINVAL);
	ck_assert_int_eq(evs_port_txset_bind(ts, NULL, 1), -EINVAL);
	ck_assert_int_eq(evs_port_txset_bind(ts, fs.table, 16), 0);
	/* absent (NULL) and unbound indexes: refused, mbuf left to the caller */
	m = pkt(1);
	ck_assert_int_eq(evs_port_txset_add(ts, 3, m), -ENODEV);
	ck_assert_int_eq(evs_port_txset_add(ts, 16, m), -ENODEV);
	ck_assert_int_eq(evs_port_txset_add(ts, 2, m), 0);
	fs.f[2].want[fs.f[2].tail++ % MODEL_MAX] = 1;
	/* rebinding with packets waiting would lose them */
	ck_assert_int_eq(evs_port_txset_bind(ts, fs.table, 8), -EBUSY);
	ck_assert_uint_eq(evs_port_txset_flush(ts), 1);
	ck_assert_int_eq(evs_port_txset_bind(ts, fs.table, 8), 0);
	/* free with packets waiting frees them (the teardown checks the pool) */
	ck_assert_int_eq(evs_port_txset_add(ts, 5, pkt(2)), 0);
	evs_port_txset_free(ts);
	fakes_fini(&fs);
}
END_TEST

/* The set flushed: every port used since the last flush has sent all. */
static void model_flushed(const struct fakes *fs, uint8_t *used, const uint16_t *used_list,
			  unsigned int *distinct)
{
	unsigned int k;

	for (k = 0; k < *distinct; k++) {
		const struct fake *f = &fs->f[used_list[k]];

		ck_assert_msg(f->head == f->tail, "port %u: %u packets left after a flush", f->idx,
			      f->tail - f->head);
		used[used_list[k]] = 0;
	}
	*distinct = 0;
}

/* The model and the set side by side over @steps random operations. */
static void run_model(uint16_t nb_ports, uint16_t nb_bufs, unsigned int steps, unsigned int hot)
{
	struct evs_port_txset_config c = {.nb_ports = nb_ports, .nb_bufs = nb_bufs};
	struct evs_port_txset *ts = evs_port_txset_create(&c);
	struct fakes fs;
	uint8_t *used = calloc(nb_ports, 1); /* ports used since the last flush */
	uint16_t *used_list = calloc(nb_ports, sizeof(uint16_t));
	unsigned int step, distinct = 0, i;
	uint64_t early = 0, queued = 0, refused = 0, dropped = 0, bursts = 0;
	uint32_t seq = 0;

	ck_assert_ptr_nonnull(ts);
	ck_assert(used && used_list);
	model_used = used;
	fakes_init(&fs, nb_ports, 9);
	for (i = 0; i < nb_ports; i += 13)
		fs.f[i].full = true;
	ck_assert_int_eq(evs_port_txset_bind(ts, fs.table, nb_ports), 0);
	for (step = 0; step < steps; step++) {
		uint64_t r = rte_rand();

		if (r % 16 == 0) {
			/* end of an iteration: everything leaves (fake_tx checks that
			 * only used ports are touched) */
			evs_port_txset_flush(ts);
			model_flushed(&fs, used, used_list, &distinct);
			continue;
		}
		/* a few hot ports fill their buffers; the rest spread over all */
		i = (unsigned int)((r >> 8) % 4 == 0 ? (r >> 16) % hot : (r >> 16) % nb_ports);
		if (fs.table[i] == NULL) {
			struct rte_mbuf *m = pkt(seq++);

			if (r & (1u << 7))
				ck_assert_int_eq(evs_port_txset_add(ts, (uint16_t)i, m), -ENODEV);
			else
				ck_assert_uint_eq(evs_port_txset_add_burst(ts, (uint16_t)i, &m, 1),
						  0);
			rte_pktmbuf_free(m);
			refused++;
			continue;
		}
		if ((r >> 40) % 8 == 0) {
			/* a run for one port: queued as that many single adds */
			struct rte_mbuf *run[80];
			unsigned int k, nrun = 1 + (unsigned int)((r >> 44) % RTE_DIM(run));
			bool early_now = !used[i] && distinct == nb_bufs;

			for (k = 0; k < nrun; k++) {
				run[k] = pkt(seq);
				fs.f[i].want[fs.f[i].tail++ % MODEL_MAX] = seq++;
			}
			if (!used[i] && !early_now)
				used_list[distinct++] = (uint16_t)i;
			used[i] = 1;
			ck_assert_uint_eq(
			    evs_port_txset_add_burst(ts, (uint16_t)i, run, (uint16_t)nrun), nrun);
			if (early_now) {
				/* the others were sent before this port took a buffer */
				early++;
				model_flushed(&fs, used, used_list, &distinct);
				used_list[distinct++] = (uint16_t)i;
			}
			queued += nrun;
			ck_assert_uint_lt(fs.f[i].tail - fs.f[i].head, EVS_PORT_TXBUF_SIZE);
			bursts++;
			continue;
		}
		if (!used[i] && distinct == nb_bufs) {
			/* the set flushes everything first; the model too, once the
			 * add has done it */
			early++;
			ck_assert_int_eq(evs_port_txset_add(ts, (uint16_t)i, pkt(seq)), 0);
			model_flushed(&fs, used, used_list, &distinct);
			used[i] = 1;
			used_list[distinct++] = (uint16_t)i;
			fs.f[i].want[fs.f[i].tail++ % MODEL_MAX] = seq++;
			queued++;
			continue;
		}
		if (!used[i]) {
			used[i] = 1;
			used_list[distinct++] = (uint16_t)i;
		}
		fs.f[i].want[fs.f[i].tail++ % MODEL_MAX] = seq;
		ck_assert_int_eq(evs_port_txset_add(ts, (uint16_t)i, pkt(seq++)), 0);
		queued++;
		/* never more than one buffer's worth waiting per port */
		ck_assert_uint_lt(fs.f[i].tail - fs.f[i].head, EVS_PORT_TXBUF_SIZE);
	}
	evs_port_txset_flush(ts);
	model_used = NULL;
	ck_assert_uint_eq(evs_port_txset_early_flushes(ts), early);
	for (i = 0; i < nb_ports; i++) {
		struct evs_port_qstats *q = &fs.txq[i].st;

		ck_assert_uint_eq(fs.f[i].head, fs.f[i].tail);
		if (fs.f[i].full) {
			ck_assert_uint_eq(q->drops[EVS_PORT_DROP_TX_FULL], fs.f[i].tail);
			dropped += fs.f[i].tail;
		} else {
			ck_assert_uint_eq(q->packets, fs.f[i].tail);
			ck_assert_uint_eq(fs.f[i].sent, fs.f[i].tail);
		}
	}
	/* the random run must have exercised every path */
	ck_assert_uint_gt(early, 0);
	ck_assert_uint_gt(refused, 0);
	ck_assert_uint_gt(dropped, 0);
	ck_assert_uint_gt(queued, steps / 2);
	ck_assert_uint_gt(bursts, steps / 32);
	evs_port_txset_free(ts);
	fakes_fini(&fs);
	free(used);
	free(used_list);
}

START_TEST(txset_matches_model_all_ports)
{
	/* every index up to EVS_PORT_MAX, the default number of buffers */
	run_model(EVS_PORT_MAX, 0 + EVS_PORT_TXSET_BUFS, 200000, 8);
}
END_TEST

START_TEST(txset_matches_model_few_buffers)
{
	/* more ports per iteration than buffers: frequent early flushes */
	run_model(200, 4, 100000, 3);
}
END_TEST

/*
 * evs_port_free_sent: plain bursts go back to the pool in one put; a burst
 * with a shared mbuf, an indirect clone, a chain or another pool's mbuf takes
 * the per-segment walk. No mbuf leaks, none is freed while still referenced.
 */
START_TEST(free_sent_returns_every_mbuf_once)
{
	struct rte_mempool *mp2 =
	    rte_pktmbuf_pool_create("free_sent2", 255, 0, 0, 2048, SOCKET_ID_ANY);
	unsigned int base = rte_mempool_avail_count(mp), base2;
	struct rte_mbuf *pk[32], *shared, *clone, *seg;
	int round;

	ck_assert_ptr_nonnull(mp2);
	base2 = rte_mempool_avail_count(mp2);
	for (round = 0; round < 200; round++) {
		uint16_t n = (uint16_t)(1 + rte_rand_max(32)), i, odd = (uint16_t)rte_rand_max(n);
		unsigned int kind = (unsigned int)rte_rand_max(5);

		shared = clone = NULL;
		ck_assert_int_eq(rte_pktmbuf_alloc_bulk(mp, pk, n), 0);
		for (i = 0; i < n; i++)
			ck_assert_ptr_nonnull(rte_pktmbuf_append(pk[i], 60));
		switch (kind) {
		case 1: /* also queued for another port (a flood) */
			shared = pk[odd];
			rte_mbuf_refcnt_update(shared, 1);
			break;
		case 2: /* an indirect clone in place of one mbuf */
			clone = pk[odd];
			pk[odd] = rte_pktmbuf_clone(clone, mp);
			ck_assert_ptr_nonnull(pk[odd]);
			break;
		case 3: /* a chain of two */
			seg = rte_pktmbuf_alloc(mp);
			ck_assert_ptr_nonnull(seg);
			ck_assert_int_eq(rte_pktmbuf_chain(pk[odd], seg), 0);
			break;
		case 4: /* another pool's mbuf */
			rte_pktmbuf_free(pk[odd]);
			pk[odd] = rte_pktmbuf_alloc(mp2);
			ck_assert_ptr_nonnull(pk[odd]);
			break;
		}
		evs_port_free_sent(pk, n);
		if (shared != NULL) {
			/* still ours: intact, then freed by its other owner */
			ck_assert_uint_eq(rte_mbuf_refcnt_read(shared), 1);
			ck_assert_uint_eq(rte_pktmbuf_data_len(shared), 60);
			rte_pktmbuf_free(shared);
		}
		if (clone != NULL) {
			ck_assert_uint_eq(rte_mbuf_refcnt_read(clone), 1);
			rte_pktmbuf_free(clone);
		}
		ck_assert_uint_eq(rte_mempool_avail_count(mp), base);
		ck_assert_uint_eq(rte_mempool_avail_count(mp2), base2);
	}
	evs_port_free_sent(pk, 0);
	rte_mempool_free(mp2);
}
END_TEST

void port_txset_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"txset_create_errors_and_memsize", txset_create_errors_and_memsize},
	    {"txset_matches_model_all_ports", txset_matches_model_all_ports},
	    {"txset_matches_model_few_buffers", txset_matches_model_few_buffers},
	    {"free_sent_returns_every_mbuf_once", free_sent_returns_every_mbuf_once},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), port_test_setup, port_test_teardown, 120);
}
