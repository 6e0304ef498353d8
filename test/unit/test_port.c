/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/port and drivers/net: ethdev ports on net_ring/net_null vdevs, vhost-user
 * ports against a dpdk-testpmd virtio_user peer this test starts.
 *
 * Each test runs in its own Check child process with its own EAL
 * (--no-huge --no-shconf: DPDK 22.11 refuses --in-memory with --no-huge),
 * its own temp directory for sockets and logs, and kills its peers on any
 * exit (PR_SET_PDEATHSIG on the peer, atexit in the child). */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include <evs_port.h>

#include "port_test.h"
#include "unit_case.h"

#define NB_MBUF 8191
#define PKT_MAGIC 0x5a17u
#define BURST 32

/* ---- the peer of the vhost cases (lives in the Check child) ---- */

static pid_t peer_pid = -1;
static int peer_stdin = -1;
static unsigned int peer_runs;
static char peer_prefix[64];

static void peer_reap(int sig)
{
	char dir[128];
	int i, st;

	if (peer_pid <= 0)
		return;
	if (sig != 0)
		kill(peer_pid, sig);
	if (peer_stdin >= 0)
		close(peer_stdin); /* EOF on its stdin: testpmd exits cleanly */
	peer_stdin = -1;
	for (i = 0; i < 1000; i++) { /* up to 10 s for a graceful exit */
		if (waitpid(peer_pid, &st, WNOHANG) == peer_pid)
			break;
		usleep(10000);
	}
	if (i == 1000) {
		kill(peer_pid, SIGKILL);
		waitpid(peer_pid, &st, 0);
	}
	peer_pid = -1;
	snprintf(dir, sizeof(dir), "/var/run/dpdk/%s", peer_prefix);
	port_test_rm_dir(dir);
}

/* Runs when a test child exits normally, before port_test's own cleanup
 * (atexit order). A failed assertion leaves with _exit(): its peer still dies
 * (PDEATHSIG) and the runner sweeps the rest. */
static void peer_cleanup(void)
{
	peer_reap(SIGKILL);
}

static void setup(void)
{
	port_test_setup();
	atexit(peer_cleanup);
}

static void teardown(void)
{
	peer_reap(0);
	port_test_teardown();
}

/* ---- packets ---- */

struct pkt_tag {
	uint16_t magic;
	uint16_t sender;
	uint32_t seq;
};

/* Sender id of wait_traffic()'s probes: late ones are skipped, not counted. */
#define PROBE_SENDER 0xffff

static struct rte_mbuf *mk_pkt(uint16_t sender, uint32_t seq, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	struct rte_ether_hdr *eh;
	struct pkt_tag tag;
	char *d;

	ck_assert_ptr_nonnull(m);
	d = rte_pktmbuf_append(m, len);
	ck_assert_ptr_nonnull(d);
	memset(d, 0xab, len);
	eh = (struct rte_ether_hdr *)d;
	memset(&eh->dst_addr, 0xff, sizeof(eh->dst_addr));
	memset(&eh->src_addr, 0x02, sizeof(eh->src_addr));
	eh->ether_type = rte_cpu_to_be_16(0x88b5); /* local experimental */
	tag.magic = PKT_MAGIC;
	tag.sender = sender;
	tag.seq = seq;
	memcpy(eh + 1, &tag, sizeof(tag)); /* payload is only 2-byte aligned */
	return m;
}

static struct pkt_tag pkt_tag(const struct rte_mbuf *m)
{
	struct pkt_tag t;

	ck_assert_uint_ge(rte_pktmbuf_data_len(m), sizeof(struct rte_ether_hdr) + sizeof(t));
	memcpy(&t, rte_pktmbuf_mtod_offset(m, const char *, sizeof(struct rte_ether_hdr)),
	       sizeof(t));
	return t;
}

/* ---- port helpers ---- */

/* Receive until @p want packets arrived or @p ms passed; frees them after
 * checking they carry our tag, marks seen[seq]. */
static unsigned int rx_collect(struct evs_port *p, uint16_t q, unsigned int want, unsigned int ms,
			       uint8_t *seen, unsigned int nseen, uint64_t *bytes)
{
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * ms / 1000;
	struct rte_mbuf *pkts[BURST];
	unsigned int got = 0;
	uint16_t nb, i;

	while (got < want && rte_get_timer_cycles() < end) {
		nb = rx_once(p, q, pkts, BURST);
		if (nb == 0) {
			usleep(100);
			continue;
		}
		for (i = 0; i < nb; i++) {
			const struct pkt_tag t = pkt_tag(pkts[i]);

			ck_assert_uint_eq(t.magic, PKT_MAGIC);
			if (t.sender == PROBE_SENDER && seen != NULL) {
				got--; /* a late probe, not part of this exchange */
				continue;
			}
			if (seen != NULL) {
				ck_assert_uint_lt(t.seq, nseen);
				ck_assert_msg(seen[t.seq] == 0, "packet %u received twice", t.seq);
				seen[t.seq] = 1;
			}
			if (bytes != NULL)
				*bytes += rte_pktmbuf_pkt_len(pkts[i]);
		}
		rte_pktmbuf_free_bulk(pkts, nb);
		got += nb;
	}
	return got;
}

static void expect_create_fails(const struct evs_port_config *c, int err)
{
	struct evs_port *p = evs_port_create(c);

	ck_assert_msg(p == NULL, "port '%s' created although it should fail", c->name);
	ck_assert_msg(rte_errno == err, "errno %d (%s) instead of %d; message: %s", rte_errno,
		      strerror(rte_errno), err, evs_port_last_error());
	ck_assert_msg(evs_port_last_error()[0] != '\0', "no error message");
}

/* ---- ethdev tests ---- */

START_TEST(ring_create_free)
{
	struct evs_port_vhost_info vi;
	struct evs_port_info info;
	struct evs_port *p;

	p = ring_port("r0", "net_ring0", 2, 2);
	ck_assert_ptr_eq(evs_port_lookup("r0"), p);
	ck_assert_ptr_eq(evs_port_get(evs_port_id(p)), p);
	ck_assert_int_eq(evs_port_info_get(p, &info), 0);
	ck_assert_str_eq(info.name, "r0");
	ck_assert_int_eq(info.type, EVS_PORT_ETHDEV);
	ck_assert_uint_eq(info.nb_rxq, 2);
	ck_assert_uint_eq(info.nb_txq, 2);
	ck_assert_uint_eq(info.nb_tx_users, 2);
	ck_assert_uint_eq(info.nb_shared_txq, 0);
	ck_assert_uint_eq(info.mtu, 1500);
	ck_assert_uint_lt(info.ethdev_port_id, RTE_MAX_ETHPORTS);
	ck_assert_int_eq(evs_port_vhost_get(p, &vi), -ENOTSUP);
	ck_assert_int_eq(evs_port_vhost_get(NULL, &vi), -EINVAL);
	evs_port_free(p);
	ck_assert_ptr_null(evs_port_lookup("r0"));
	evs_port_free(NULL);
}
END_TEST

START_TEST(ring_loopback_traffic)
{
	struct rte_mbuf *pkts[BURST];
	uint8_t seen[256] = {0};
	struct evs_port *p;
	unsigned int i, got;

	/* net_ring uses one ring per queue for both directions: tx comes back. */
	p = ring_port("loop", "net_ring0", 1, 1);
	for (i = 0; i < 256; i += BURST) {
		for (unsigned int k = 0; k < BURST; k++)
			pkts[k] = mk_pkt(0, i + k, 60 + k);
		ck_assert_uint_eq(tx_once(p, 0, pkts, BURST), BURST);
	}
	got = rx_collect(p, 0, 256, 1000, seen, 256, NULL);
	ck_assert_uint_eq(got, 256);
	for (i = 0; i < 256; i++)
		ck_assert_uint_eq(seen[i], 1);
	ck_assert_uint_eq(rx_once(p, 0, pkts, BURST), 0);
	evs_port_free(p);
}
END_TEST

START_TEST(ring_recreate_after_free)
{
	struct rte_mbuf *m;
	struct evs_port *p;
	uint16_t pid;
	int round;

	for (round = 0; round < 3; round++) {
		p = ring_port("again", "net_ring3", 1, 1);
		m = mk_pkt(0, round, 64);
		ck_assert_uint_eq(tx_once(p, 0, &m, 1), 1);
		ck_assert_uint_eq(rx_collect(p, 0, 1, 500, NULL, 0, NULL), 1);
		evs_port_free(p);
		/* The device went away with the port. */
		ck_assert_int_ne(rte_eth_dev_get_port_by_name("net_ring3", &pid), 0);
	}
}
END_TEST

START_TEST(ring_queues_clamped_to_device)
{
	struct rte_eth_dev_info di;
	struct evs_port_info info;
	struct evs_port *p;

	p = ring_port("wide", "net_ring0", EVS_PORT_MAX_QUEUES, EVS_PORT_MAX_QUEUES);
	ck_assert_int_eq(evs_port_info_get(p, &info), 0);
	ck_assert_int_eq(rte_eth_dev_info_get(info.ethdev_port_id, &di), 0);
	ck_assert_uint_eq(info.nb_rxq, RTE_MIN(EVS_PORT_MAX_QUEUES, di.max_rx_queues));
	ck_assert_uint_eq(info.nb_txq, RTE_MIN(EVS_PORT_MAX_QUEUES, di.max_tx_queues));
	ck_assert_uint_lt(info.nb_txq, EVS_PORT_MAX_QUEUES);
	/* Users default to the queues asked for, so the extra ones share. */
	ck_assert_uint_eq(info.nb_tx_users, EVS_PORT_MAX_QUEUES);
	ck_assert_uint_eq(info.nb_shared_txq,
			  RTE_MIN(info.nb_txq, EVS_PORT_MAX_QUEUES - info.nb_txq));
	/* net_ring has no RSS: reported as such. */
	ck_assert(!info.rss);
	evs_port_free(p);
}
END_TEST

START_TEST(bad_config_errors)
{
	struct evs_port_config c = ring_cfg("bad", "net_ring0");
	char longname[EVS_PORT_NAME_MAX + 8];
	uint16_t pid;

	c.devargs = "";
	expect_create_fails(&c, EINVAL);
	c.devargs = NULL;
	expect_create_fails(&c, EINVAL);
	c.devargs = "no_such_bus_or_driver0";
	expect_create_fails(&c, EINVAL);
	c.devargs = "net_ring9,nodeaction=bogus";
	expect_create_fails(&c, EINVAL);
	ck_assert_int_ne(rte_eth_dev_get_port_by_name("net_ring9", &pid), 0);
	/* A device that probes but is no ethdev: detached again. */
	c.devargs = "crypto_null0";
	expect_create_fails(&c, ENODEV);
	c.devargs = "net_ring0";
	c.mp = NULL;
	expect_create_fails(&c, EINVAL);
	c.mp = mp;
	c.nb_rxq = EVS_PORT_MAX_QUEUES + 1;
	expect_create_fails(&c, EINVAL);
	c.nb_rxq = 1;
	c.mtu = 20;
	expect_create_fails(&c, EINVAL);
	c.mtu = 0;
	c.type = EVS_PORT_TYPE_MAX;
	expect_create_fails(&c, EINVAL);
	c.type = EVS_PORT_ETHDEV;
	c.name = "";
	expect_create_fails(&c, EINVAL);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	c.name = longname;
	expect_create_fails(&c, ENAMETOOLONG);
	ck_assert_ptr_null(evs_port_create(NULL));
	ck_assert_int_eq(rte_errno, EINVAL);
	/* After all that, the same device still works. */
	c.name = "good";
	evs_port_free(ring_port("good", "net_ring0", 1, 1));
}
END_TEST

START_TEST(duplicate_name_and_device)
{
	struct evs_port_config c;
	struct evs_port *p;

	p = ring_port("dup", "net_ring0", 1, 1);
	c = ring_cfg("dup", "net_ring1");
	expect_create_fails(&c, EEXIST);
	c = ring_cfg("other", "net_ring0");
	expect_create_fails(&c, EEXIST);
	evs_port_free(p);
	p = ring_port("dup", "net_ring1", 1, 1);
	evs_port_free(p);
}
END_TEST

START_TEST(stats_count_and_reset)
{
	struct evs_port_stats st;
	struct evs_port_qstats qs;
	struct rte_mbuf *pkts[BURST];
	unsigned int sent_ok = 0, offered = 0, i, got;
	struct evs_port *p;
	uint64_t bytes = 0;
	uint16_t n;

	p = ring_port("st", "net_ring0", 1, 1);
	/* Fill the ring without receiving: the rest are tx_full drops. */
	for (i = 0; i < 64; i++) {
		for (unsigned int k = 0; k < BURST; k++)
			pkts[k] = mk_pkt(0, offered + k, 100);
		n = tx_once(p, 0, pkts, BURST);
		ck_assert_uint_le(n, BURST);
		sent_ok += n;
		offered += BURST;
	}
	ck_assert_uint_lt(sent_ok, offered); /* the ring (<= 2048) filled up */
	ck_assert_int_eq(evs_port_stats_get(p, &st), 0);
	ck_assert_uint_eq(st.tx_packets, sent_ok);
	ck_assert_uint_eq(st.tx_bytes, 100ull * sent_ok);
	ck_assert_uint_eq(st.drops[EVS_PORT_DROP_TX_FULL], offered - sent_ok);
	ck_assert_uint_eq(st.rx_packets, 0);
	got = rx_collect(p, 0, sent_ok, 1000, NULL, 0, &bytes);
	ck_assert_uint_eq(got, sent_ok);
	ck_assert_int_eq(evs_port_stats_get(p, &st), 0);
	ck_assert_uint_eq(st.rx_packets, sent_ok);
	ck_assert_uint_eq(st.rx_bytes, bytes);
	ck_assert_uint_eq(bytes, 100ull * sent_ok);
	for (i = 0; i < EVS_PORT_DROP_MAX; i++)
		if (i != EVS_PORT_DROP_TX_FULL)
			ck_assert_uint_eq(st.drops[i], 0);
	ck_assert_int_eq(evs_port_queue_stats_get(p, true, 0, &qs), 0);
	ck_assert_uint_eq(qs.packets, sent_ok);
	ck_assert_int_eq(evs_port_queue_stats_get(p, true, 1, &qs), -EINVAL);

	/* Reset: zero now, only new traffic later. */
	ck_assert_int_eq(evs_port_stats_reset(p), 0);
	ck_assert_int_eq(evs_port_stats_get(p, &st), 0);
	ck_assert_uint_eq(st.tx_packets + st.rx_packets + st.drops[EVS_PORT_DROP_TX_FULL], 0);
	pkts[0] = mk_pkt(0, 0, 200);
	ck_assert_uint_eq(tx_once(p, 0, pkts, 1), 1);
	ck_assert_uint_eq(rx_collect(p, 0, 1, 500, NULL, 0, NULL), 1);
	ck_assert_int_eq(evs_port_stats_get(p, &st), 0);
	ck_assert_uint_eq(st.tx_packets, 1);
	ck_assert_uint_eq(st.tx_bytes, 200);
	ck_assert_uint_eq(st.rx_packets, 1);
	ck_assert_uint_eq(st.rx_bytes, 200);
	ck_assert_str_eq(evs_port_drop_name(EVS_PORT_DROP_TX_FULL), "tx_full");
	ck_assert_str_eq(evs_port_drop_name(EVS_PORT_DROP_MAX), "unknown");
	evs_port_free(p);
}
END_TEST

START_TEST(stats_per_queue_and_null_rx)
{
	struct rte_mbuf *pkts[BURST];
	struct evs_port_qstats qs;
	struct evs_port_stats st;
	struct evs_port *p;
	uint16_t n;

	/* Queue 1 of net_ring loops onto rx queue 1 only. */
	p = ring_port("mq", "net_ring0", 2, 2);
	for (unsigned int k = 0; k < 5; k++)
		pkts[k] = mk_pkt(0, k, 80);
	ck_assert_uint_eq(tx_once(p, 1, pkts, 5), 5);
	ck_assert_uint_eq(rx_once(p, 0, pkts, BURST), 0);
	ck_assert_uint_eq(rx_collect(p, 1, 5, 500, NULL, 0, NULL), 5);
	ck_assert_int_eq(evs_port_queue_stats_get(p, true, 1, &qs), 0);
	ck_assert_uint_eq(qs.packets, 5);
	ck_assert_uint_eq(qs.bytes, 400);
	ck_assert_int_eq(evs_port_queue_stats_get(p, true, 0, &qs), 0);
	ck_assert_uint_eq(qs.packets, 0);
	ck_assert_int_eq(evs_port_queue_stats_get(p, false, 1, &qs), 0);
	ck_assert_uint_eq(qs.packets, 5);
	ck_assert_int_eq(evs_port_queue_stats_get(p, false, 0, &qs), 0);
	ck_assert_uint_eq(qs.packets, 0);
	evs_port_free(p);

	/* net_null makes 64-byte packets on rx and swallows tx. */
	p = ring_port("null", "net_null0", 1, 1);
	n = rx_once(p, 0, pkts, BURST);
	ck_assert_uint_eq(n, BURST);
	rte_pktmbuf_free_bulk(pkts, n);
	ck_assert_int_eq(evs_port_stats_get(p, &st), 0);
	ck_assert_uint_eq(st.rx_packets, BURST);
	ck_assert_uint_eq(st.rx_bytes, 64ull * BURST);
	evs_port_free(p);
}
END_TEST

START_TEST(txbuf_flush_semantics)
{
	struct evs_port_txbuf b;
	struct evs_port_stats st;
	struct evs_port *p;
	unsigned int i;

	p = ring_port("tb", "net_ring0", 1, 1);
	evs_port_txbuf_init(&b, p, 0);
	ck_assert_uint_eq(evs_port_txbuf_flush(&b), 0);
	for (i = 0; i < EVS_PORT_TXBUF_SIZE - 1; i++)
		evs_port_txbuf_add(&b, mk_pkt(0, i, 64));
	/* Not full: nothing sent yet. */
	ck_assert_uint_eq(b.count, EVS_PORT_TXBUF_SIZE - 1);
	evs_port_stats_get(p, &st);
	ck_assert_uint_eq(st.tx_packets, 0);
	/* The one that fills it sends the whole buffer. */
	evs_port_txbuf_add(&b, mk_pkt(0, i++, 64));
	ck_assert_uint_eq(b.count, 0);
	evs_port_stats_get(p, &st);
	ck_assert_uint_eq(st.tx_packets, EVS_PORT_TXBUF_SIZE);
	/* End of iteration: an explicit flush sends the remainder. */
	for (unsigned int k = 0; k < 5; k++)
		evs_port_txbuf_add(&b, mk_pkt(0, i++, 64));
	ck_assert_uint_eq(evs_port_txbuf_flush(&b), 5);
	ck_assert_uint_eq(evs_port_txbuf_flush(&b), 0);
	evs_port_stats_get(p, &st);
	ck_assert_uint_eq(st.tx_packets, EVS_PORT_TXBUF_SIZE + 5);
	/* Discard frees without sending or counting. */
	for (unsigned int k = 0; k < 3; k++)
		evs_port_txbuf_add(&b, mk_pkt(0, i++, 64));
	evs_port_txbuf_discard(&b);
	ck_assert_uint_eq(b.count, 0);
	evs_port_stats_get(p, &st);
	ck_assert_uint_eq(st.tx_packets, EVS_PORT_TXBUF_SIZE + 5);
	ck_assert_uint_eq(rx_collect(p, 0, EVS_PORT_TXBUF_SIZE + 5, 500, NULL, 0, NULL),
			  EVS_PORT_TXBUF_SIZE + 5);
	evs_port_free(p);
}
END_TEST

/* ---- shared tx queue ---- */

#define SHARED_PER_SENDER 50000

struct sender_arg {
	struct evs_port *port;
	uint16_t txu;
	unsigned int sent;
};

static void send_some(struct sender_arg *a, uint32_t *seq, unsigned int count)
{
	struct rte_mbuf *pkts[BURST];
	unsigned int k;

	for (k = 0; k < BURST && *seq < count; k++, (*seq)++)
		pkts[k] = mk_pkt(a->txu, *seq, 64);
	a->sent += evs_port_tx_burst(a->port, a->txu, pkts, k);
}

static int sender_main(void *arg)
{
	struct sender_arg *a = arg;
	uint32_t seq = 0;

	while (seq < SHARED_PER_SENDER)
		send_some(a, &seq, SHARED_PER_SENDER);
	return 0;
}

START_TEST(shared_txq_locks_and_counts)
{
	static uint8_t seen[2][SHARED_PER_SENDER];
	struct evs_port_config c = ring_cfg("shared", "net_ring0");
	struct sender_arg a0 = {0}, a1 = {0};
	struct rte_mbuf *pkts[BURST];
	struct evs_port_stats st;
	struct evs_port_info info;
	unsigned int worker, got = 0, i;
	struct evs_port *p;
	uint32_t seq = 0;
	uint16_t n;

	/* Two senders, one queue: the queue is shared and bursts lock. */
	c.nb_txq = 1;
	c.nb_tx_users = 2;
	p = evs_port_create(&c);
	ck_assert_msg(p != NULL, "%s", evs_port_last_error());
	evs_port_info_get(p, &info);
	ck_assert_uint_eq(info.nb_shared_txq, 1);
	ck_assert(evs_port_txq_shared(p, 0));
	ck_assert(evs_port_txq_shared(p, 1));
	ck_assert_uint_eq(evs_port_txq_of(p, 1), 0);

	worker = rte_get_next_lcore(-1, 1, 0);
	ck_assert_uint_lt(worker, RTE_MAX_LCORE);
	a0.port = a1.port = p;
	a0.txu = 0;
	a1.txu = 1;
	memset(seen, 0, sizeof(seen));
	ck_assert_int_eq(rte_eal_remote_launch(sender_main, &a1, worker), 0);
	while (seq < SHARED_PER_SENDER || rte_eal_get_lcore_state(worker) != WAIT) {
		if (seq < SHARED_PER_SENDER)
			send_some(&a0, &seq, SHARED_PER_SENDER);
		n = evs_port_rx_burst(p, 0, pkts, BURST);
		for (i = 0; i < n; i++) {
			const struct pkt_tag t = pkt_tag(pkts[i]);

			ck_assert_uint_eq(t.magic, PKT_MAGIC);
			ck_assert_uint_lt(t.sender, 2);
			ck_assert_uint_lt(t.seq, SHARED_PER_SENDER);
			ck_assert_msg(!seen[t.sender][t.seq], "duplicate %u/%u", t.sender, t.seq);
			seen[t.sender][t.seq] = 1;
		}
		rte_pktmbuf_free_bulk(pkts, n);
		got += n;
	}
	ck_assert_int_eq(rte_eal_wait_lcore(worker), 0);
	got += rx_collect(p, 0, a0.sent + a1.sent - got, 1000, NULL, 0, NULL);
	ck_assert_uint_eq(got, a0.sent + a1.sent);

	evs_port_stats_get(p, &st);
	ck_assert_uint_eq(st.tx_packets, a0.sent + a1.sent);
	ck_assert_uint_eq(st.tx_packets + st.drops[EVS_PORT_DROP_TX_FULL], 2 * SHARED_PER_SENDER);
	ck_assert_uint_eq(st.rx_packets, got);
	printf("shared txq: %u+%u sent, %" PRIu64 " tx_full, %" PRIu64 " lock waits\n", a0.sent,
	       a1.sent, st.drops[EVS_PORT_DROP_TX_FULL], st.tx_lock_waits);
	evs_port_free(p);
}
END_TEST

struct blocked_tx {
	struct evs_port *port;
	uint16_t txu;
	uint32_t done; /* atomic */
};

static int blocked_tx_main(void *arg)
{
	struct blocked_tx *b = arg;
	struct rte_mbuf *m = mk_pkt(b->txu, 0, 64);

	evs_port_tx_burst(b->port, b->txu, &m, 1);
	__atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
	return 0;
}

/* Deterministic: with the queue's lock held elsewhere, a shared queue's
 * burst waits and counts one lock wait; a private queue never looks. */
START_TEST(shared_txq_waits_for_lock)
{
	struct evs_port_config c = ring_cfg("lockw", "net_ring0");
	struct blocked_tx b = {0};
	struct evs_port_qstats qs;
	unsigned int worker;
	struct evs_port *p;

	c.nb_rxq = 2;
	c.nb_txq = 2;
	c.nb_tx_users = 3; /* queue 0 shared by indexes 0 and 2; queue 1 private */
	p = evs_port_create(&c);
	ck_assert_msg(p != NULL, "%s", evs_port_last_error());
	worker = rte_get_next_lcore(-1, 1, 0);
	ck_assert_uint_lt(worker, RTE_MAX_LCORE);

	b.port = p;
	b.txu = 2;
	rte_spinlock_lock(&p->txq[0].lock);
	ck_assert_int_eq(rte_eal_remote_launch(blocked_tx_main, &b, worker), 0);
	usleep(100000);
	ck_assert_uint_eq(__atomic_load_n(&b.done, __ATOMIC_ACQUIRE), 0);
	rte_spinlock_unlock(&p->txq[0].lock);
	ck_assert_int_eq(rte_eal_wait_lcore(worker), 0);
	ck_assert_uint_eq(__atomic_load_n(&b.done, __ATOMIC_ACQUIRE), 1);
	ck_assert_int_eq(evs_port_queue_stats_get(p, true, 0, &qs), 0);
	ck_assert_uint_eq(qs.lock_waits, 1);
	ck_assert_uint_eq(qs.packets, 1);

	b.txu = 1;
	b.done = 0;
	rte_spinlock_lock(&p->txq[1].lock);
	ck_assert_int_eq(rte_eal_remote_launch(blocked_tx_main, &b, worker), 0);
	ck_assert_int_eq(rte_eal_wait_lcore(worker), 0);
	rte_spinlock_unlock(&p->txq[1].lock);
	ck_assert_uint_eq(b.done, 1);
	ck_assert_int_eq(evs_port_queue_stats_get(p, true, 1, &qs), 0);
	ck_assert_uint_eq(qs.lock_waits, 0);
	ck_assert_uint_eq(qs.packets, 1);
	ck_assert_uint_eq(rx_collect(p, 0, 1, 500, NULL, 0, NULL), 1);
	ck_assert_uint_eq(rx_collect(p, 1, 1, 500, NULL, 0, NULL), 1);
	evs_port_free(p);
}
END_TEST

START_TEST(txq_mapping_shares_only_when_needed)
{
	struct evs_port_config c = ring_cfg("map", "net_ring0");
	struct rte_mbuf *pkts[4];
	struct evs_port_info info;
	struct evs_port_stats st;
	struct evs_port *p;

	/* 2 queues, 3 users: index 2 joins queue 0; queue 1 stays private. */
	c.nb_txq = 2;
	c.nb_rxq = 2;
	c.nb_tx_users = 3;
	p = evs_port_create(&c);
	ck_assert_msg(p != NULL, "%s", evs_port_last_error());
	evs_port_info_get(p, &info);
	ck_assert_uint_eq(info.nb_shared_txq, 1);
	ck_assert_uint_eq(evs_port_txq_of(p, 0), 0);
	ck_assert_uint_eq(evs_port_txq_of(p, 1), 1);
	ck_assert_uint_eq(evs_port_txq_of(p, 2), 0);
	ck_assert(evs_port_txq_shared(p, 0));
	ck_assert(!evs_port_txq_shared(p, 1));
	ck_assert(evs_port_txq_shared(p, 2));
	pkts[0] = mk_pkt(2, 0, 64);
	ck_assert_uint_eq(tx_once(p, 2, pkts, 1), 1);
	ck_assert_uint_eq(rx_collect(p, 0, 1, 500, NULL, 0, NULL), 1);
	evs_port_free(p);

	/* As many users as queues: nothing shared, no lock waits ever. */
	c.nb_tx_users = 2;
	p = evs_port_create(&c);
	ck_assert_ptr_nonnull(p);
	evs_port_info_get(p, &info);
	ck_assert_uint_eq(info.nb_shared_txq, 0);
	for (unsigned int k = 0; k < 4; k++)
		pkts[k] = mk_pkt(1, k, 64);
	ck_assert_uint_eq(tx_once(p, 1, pkts, 4), 4);
	ck_assert_uint_eq(rx_collect(p, 1, 4, 500, NULL, 0, NULL), 4);
	evs_port_stats_get(p, &st);
	ck_assert_uint_eq(st.tx_lock_waits, 0);
	evs_port_free(p);
}
END_TEST

/* ---- link ---- */

struct link_log {
	unsigned int calls;
	struct evs_port *port;
	struct evs_port_link last;
};

static void link_cb(struct evs_port *port, const struct evs_port_link *link, void *arg)
{
	struct link_log *l = arg;

	l->calls++;
	l->port = port;
	l->last = *link;
}

START_TEST(ethdev_link_state)
{
	struct link_log log = {0};
	struct evs_port_link link;
	struct evs_port_info info;
	struct evs_port *p;

	p = ring_port("lnk", "net_ring0", 1, 1);
	evs_port_info_get(p, &info);
	ck_assert_int_eq(evs_port_link_get(p, &link), 0);
	ck_assert(link.up);
	ck_assert_uint_eq(link.changes, 0);
	ck_assert_int_eq(evs_port_link_cb_set(p, link_cb, &log), 0);
	ck_assert_uint_eq(evs_port_link_poll(), 0);
	ck_assert_uint_eq(log.calls, 0);

	ck_assert_int_eq(rte_eth_dev_set_link_down(info.ethdev_port_id), 0);
	ck_assert_uint_eq(evs_port_link_poll(), 1);
	ck_assert_uint_eq(log.calls, 1);
	ck_assert_ptr_eq(log.port, p);
	ck_assert(!log.last.up);
	ck_assert_uint_eq(log.last.changes, 1);
	ck_assert_uint_eq(evs_port_link_poll(), 0);

	ck_assert_int_eq(rte_eth_dev_set_link_up(info.ethdev_port_id), 0);
	ck_assert_uint_eq(evs_port_link_poll(), 1);
	ck_assert_uint_eq(log.calls, 2);
	ck_assert(log.last.up);
	ck_assert_int_eq(evs_port_link_get(p, &link), 0);
	ck_assert(link.up);
	ck_assert_uint_eq(link.changes, 2);

	ck_assert_int_eq(evs_port_link_cb_set(p, NULL, NULL), 0);
	ck_assert_int_eq(rte_eth_dev_set_link_down(info.ethdev_port_id), 0);
	ck_assert_uint_eq(evs_port_link_poll(), 1);
	ck_assert_uint_eq(log.calls, 2);
	evs_port_free(p);
}
END_TEST

/* ---- vhost-user against a dpdk-testpmd virtio_user peer ---- */

/* testpmd forwards whatever it receives back out of the same port (io
 * mode, loop topology); closing its stdin makes it exit cleanly. */
static void peer_start(const char *sock, bool server)
{
	char vdev[256], log[200], lcores[16];
	int in[2], fd;

	ck_assert_int_eq(peer_pid, -1);
	snprintf(peer_prefix, sizeof(peer_prefix), "port_ut%d_%d_peer%u", (int)runner_pid,
		 (int)getpid(), peer_runs++);
	snprintf(vdev, sizeof(vdev), "net_virtio_user0,path=%s,queues=1%s", sock,
		 server ? ",server=1" : "");
	snprintf(log, sizeof(log), "%s/peer%u.log", tmpdir, peer_runs);
	snprintf(lcores, sizeof(lcores), "0-1");
	ck_assert_int_eq(pipe(in), 0);
	peer_pid = fork();
	ck_assert_int_ge(peer_pid, 0);
	if (peer_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(in[0], 0);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		close(in[1]);
		execlp("dpdk-testpmd", "dpdk-testpmd", "-l", lcores, "--no-huge", "-m", "256",
		       "--no-shconf", "--file-prefix", peer_prefix, "--no-pci", "--vdev", vdev,
		       "--log-level", "*:notice", "--", "--port-topology=loop", "--forward-mode=io",
		       "--auto-start", "--total-num-mbufs=4096", "--nb-cores=1", "--rxq=1",
		       "--txq=1", "--no-mlockall", "--disable-link-check", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	peer_stdin = in[1];
}

static void peer_log_tail(void)
{
	char path[200], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/peer%u.log", tmpdir, peer_runs);
	f = fopen(path, "r");
	if (f == NULL)
		return;
	fprintf(stderr, "--- %s ---\n", path);
	while (fgets(line, sizeof(line), f) != NULL)
		fputs(line, stderr);
	fclose(f);
}

static bool wait_link(struct evs_port *p, bool up, unsigned int ms)
{
	struct evs_port_link l;
	unsigned int t;

	for (t = 0;; t += 10) {
		evs_port_link_poll();
		if (evs_port_link_get(p, &l) == 0 && l.up == up)
			return true;
		if (t >= ms)
			return false;
		usleep(10000);
	}
}

/* Send @p n tagged packets in bursts, each burst waited for on its way back.
 * Returns how many came back. */
static unsigned int roundtrip(struct evs_port *p, unsigned int n)
{
	uint8_t *seen = calloc(n, 1);
	struct rte_mbuf *pkts[BURST];
	unsigned int done = 0, back = 0, k, sent;

	ck_assert_ptr_nonnull(seen);
	while (done < n) {
		for (k = 0; k < BURST && done + k < n; k++)
			pkts[k] = mk_pkt(0, done + k, 64 + (done + k) % 1000);
		sent = tx_once(p, 0, pkts, k);
		if (sent != k) {
			struct evs_port_stats st;

			evs_port_stats_get(p, &st);
			for (unsigned int r = 0; r < EVS_PORT_DROP_MAX; r++)
				if (st.drops[r] != 0)
					fprintf(stderr, "drop %s: %" PRIu64 "\n",
						evs_port_drop_name(r), st.drops[r]);
		}
		ck_assert_uint_eq(sent, k);
		back += rx_collect(p, 0, sent, 2000, seen, n, NULL);
		done += k;
	}
	free(seen);
	return back;
}

/* The guest may report ready a moment before its rx ring has buffers:
 * ping until one packet comes back. */
static bool wait_traffic(struct evs_port *p, unsigned int ms)
{
	struct rte_mbuf *m;
	unsigned int t;

	for (t = 0; t < ms; t += 50) {
		m = mk_pkt(PROBE_SENDER, 0, 64);
		if (tx_once(p, 0, &m, 1) == 1 && rx_collect(p, 0, 1, 50, NULL, 0, NULL) == 1) {
			/* Earlier probes may still be on their way back: drain
			 * them so they are not taken for later packets. */
			while (rx_collect(p, 0, 1, 300, NULL, 0, NULL) == 1)
				;
			return true;
		}
		usleep(50000);
	}
	return false;
}

START_TEST(vhost_server_traffic)
{
	struct evs_port_vhost_info vi;
	struct evs_port_config c;
	struct rte_mbuf *pkts[BURST];
	struct evs_port_stats st;
	struct evs_port_info info;
	struct evs_port *p;
	char sock[200];
	unsigned int k;

	snprintf(sock, sizeof(sock), "%s/vhs.sock", tmpdir);
	c = vhost_cfg("vhs", sock, EVS_VHOST_SERVER);
	/* Two tx queues: the guest uses one pair, so queue 1's vring stays off. */
	c.nb_txq = 2;
	p = evs_port_create(&c);
	ck_assert_msg(p != NULL, "%s", evs_port_last_error());
	ck_assert_int_eq(access(sock, F_OK), 0);
	evs_port_info_get(p, &info);
	ck_assert_int_eq(info.type, EVS_PORT_VHOST);
	ck_assert_uint_eq(info.ethdev_port_id, UINT16_MAX);

	/* No guest yet: link down, tx dropped as guest_not_ready, rx empty. */
	ck_assert(wait_link(p, false, 10));
	for (k = 0; k < 10; k++)
		pkts[k] = mk_pkt(0, k, 64);
	ck_assert_uint_eq(tx_once(p, 0, pkts, 10), 0);
	ck_assert_uint_eq(rx_once(p, 0, pkts, BURST), 0);
	evs_port_stats_get(p, &st);
	ck_assert_uint_eq(st.drops[EVS_PORT_DROP_GUEST_NOT_READY], 10);

	peer_start(sock, false);
	if (!wait_link(p, true, 20000))
		peer_log_tail();
	ck_assert_msg(wait_link(p, true, 0), "guest never came up");
	ck_assert_msg(wait_traffic(p, 10000), "no packet came back");

	ck_assert_int_eq(evs_port_stats_reset(p), 0);
	ck_assert_uint_eq(roundtrip(p, 1000), 1000);
	evs_port_stats_get(p, &st);
	ck_assert_uint_eq(st.tx_packets, 1000);
	ck_assert_uint_eq(st.rx_packets, 1000);
	ck_assert_uint_eq(st.tx_bytes, st.rx_bytes);

	/* Queue 1 is a vring the guest never enabled: its packets go out on
	 * the guest's queue 0 and come back. */
	for (k = 0; k < 4; k++)
		pkts[k] = mk_pkt(0, k, 64);
	ck_assert_uint_eq(tx_once(p, 1, pkts, 4), 4);
	ck_assert_uint_eq(rx_collect(p, 0, 4, 2000, NULL, 0, NULL), 4);
	evs_port_stats_get(p, &st);
	ck_assert_uint_eq(st.drops[EVS_PORT_DROP_VRING_DISABLED], 0);
	ck_assert_uint_eq(st.drops[EVS_PORT_DROP_NO_DESC], 0);
	ck_assert_int_eq(evs_port_vhost_get(p, &vi), 0);
	ck_assert_uint_eq(vi.tx_redirected, 4);
	ck_assert(vi.connected && vi.running && !vi.client);
	ck_assert_uint_eq(vi.connects, 1);
	ck_assert_uint_eq(vi.guest_starts, 1);
	ck_assert_uint_eq(vi.disconnects, 0);
	ck_assert_uint_eq(vi.nb_vrings, 2);
	ck_assert_uint_eq(vi.nb_vrings_enabled, 2);
	ck_assert_uint_ge(vi.vring_enables, 2);
	ck_assert(vi.features & (1ULL << 15));	  /* mergeable rx buffers */
	ck_assert(!(vi.features & (1ULL << 11))); /* no TSO offered */

	/* Guest leaves: link down again, sockets stay ours. */
	peer_reap(0);
	ck_assert(wait_link(p, false, 10000));
	ck_assert_int_eq(evs_port_vhost_get(p, &vi), 0);
	ck_assert(!vi.connected && !vi.running);
	ck_assert_uint_eq(vi.disconnects, 1);
	ck_assert_uint_eq(vi.guest_stops, 1);
	ck_assert_uint_eq(vi.features, 0);
	ck_assert_uint_eq(vi.nb_vrings_enabled, 0);
	ck_assert_uint_eq(tx_once(p, 0, pkts, 0), 0);
	pkts[0] = mk_pkt(0, 0, 64);
	ck_assert_uint_eq(tx_once(p, 0, pkts, 1), 0);
	evs_port_stats_get(p, &st);
	ck_assert_uint_eq(st.drops[EVS_PORT_DROP_GUEST_NOT_READY], 1);

	evs_port_free(p);
	ck_assert_int_ne(access(sock, F_OK), 0); /* server socket removed */
}
END_TEST

START_TEST(vhost_client_reconnect)
{
	struct evs_port_vhost_info vi;
	struct link_log log = {0};
	struct evs_port_config c;
	struct evs_port *p;
	char sock[200];

	snprintf(sock, sizeof(sock), "%s/vhc.sock", tmpdir);
	/* The port comes first; the peer's socket does not exist yet. */
	c = vhost_cfg("vhc", sock, EVS_VHOST_CLIENT);
	p = evs_port_create(&c);
	ck_assert_msg(p != NULL, "%s", evs_port_last_error());
	evs_port_link_cb_set(p, link_cb, &log);
	ck_assert(wait_link(p, false, 10));

	peer_start(sock, true);
	if (!wait_link(p, true, 20000))
		peer_log_tail();
	ck_assert_msg(wait_link(p, true, 0), "never connected to the peer");
	ck_assert_uint_ge(log.calls, 1);
	ck_assert(log.last.up);
	ck_assert_msg(wait_traffic(p, 10000), "no packet came back");
	ck_assert_uint_eq(roundtrip(p, 500), 500);

	/* The peer dies: link goes down, then we reconnect on our own. */
	peer_reap(SIGKILL);
	ck_assert_msg(wait_link(p, false, 10000), "link stayed up after the peer died");
	ck_assert(!log.last.up);
	unlink(sock); /* testpmd leaves its socket behind */
	peer_start(sock, true);
	if (!wait_link(p, true, 20000))
		peer_log_tail();
	ck_assert_msg(wait_link(p, true, 0), "no reconnect");
	ck_assert(log.last.up);
	ck_assert_uint_ge(log.last.changes, 3);
	ck_assert_msg(wait_traffic(p, 10000), "no packet came back after reconnecting");
	ck_assert_uint_eq(roundtrip(p, 500), 500);
	/* Each guest's lifecycle is counted. A virtio_user server may drop
	 * and take the first connection again while it initialises, so count
	 * at least both peers, and exactly one connection still up. */
	ck_assert_int_eq(evs_port_vhost_get(p, &vi), 0);
	ck_assert(vi.client && vi.connected && vi.running);
	ck_assert_uint_ge(vi.connects, 2);
	ck_assert_uint_eq(vi.disconnects, vi.connects - 1);
	ck_assert_uint_ge(vi.guest_starts, 2);
	ck_assert_uint_eq(vi.guest_stops, vi.guest_starts - 1);

	evs_port_free(p);
	peer_reap(0);
}
END_TEST

START_TEST(vhost_config_errors)
{
	struct evs_port_config c;
	struct sockaddr_un un;
	struct evs_port *p, *q;
	char sock[200], longpath[300];
	int fd;

	snprintf(sock, sizeof(sock), "%s/err.sock", tmpdir);
	c = vhost_cfg("vh_err", "/nonexistent-port-ut/x.sock", EVS_VHOST_SERVER);
	expect_create_fails(&c, ENOENT);
	c.vhost_mode = EVS_VHOST_CLIENT;
	expect_create_fails(&c, ENOENT);
	c.vhost_mode = EVS_VHOST_SERVER;
	c.socket_path = NULL;
	expect_create_fails(&c, EINVAL);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	c.socket_path = longpath;
	expect_create_fails(&c, ENAMETOOLONG);
	c.socket_path = sock;
	c.qsbr = NULL;
	expect_create_fails(&c, EINVAL);
	c.qsbr = qsbr;

	/* A regular file in the way. */
	fd = open(sock, O_CREAT | O_WRONLY, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	expect_create_fails(&c, EEXIST);
	unlink(sock);

	/* Someone listening there. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(sock), sizeof(un.sun_path));
	memcpy(un.sun_path, sock, strlen(sock) + 1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&un, sizeof(un)), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	expect_create_fails(&c, EADDRINUSE);
	/* Listener gone, file left behind: stale, replaced. */
	close(fd);
	p = evs_port_create(&c);
	ck_assert_msg(p != NULL, "stale socket not replaced: %s", evs_port_last_error());

	/* Same path twice. */
	c.name = "vh_err2";
	expect_create_fails(&c, EEXIST);
	c.vhost_mode = EVS_VHOST_CLIENT;
	expect_create_fails(&c, EEXIST);
	evs_port_free(p);

	/* The path is free again, in both modes. */
	c.vhost_mode = EVS_VHOST_SERVER;
	q = evs_port_create(&c);
	ck_assert_msg(q != NULL, "%s", evs_port_last_error());
	evs_port_free(q);
}
END_TEST

/* ---- a real kernel-facing ethdev: net_tap ---- */

static int tap_socket(const char *ifname)
{
	struct sockaddr_ll sll;
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));

	ck_assert_int_ge(fd, 0);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	ck_assert_int_gt(sll.sll_ifindex, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return fd;
}

static void tap_set_up(const char *ifname, bool up)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ck_assert_int_eq(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	ck_assert_int_eq(ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
	close(fd);
}

/* Our tagged frame from the kernel side, on any rx queue (the kernel may
 * also send IPv6 noise, which is skipped). */
static bool tap_rx_tagged(struct evs_port *p, uint16_t nb_rxq, uint32_t seq)
{
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * 3;
	struct rte_mbuf *pkts[BURST];
	bool found = false;
	uint16_t q, n, i;

	while (!found && rte_get_timer_cycles() < end) {
		for (q = 0; q < nb_rxq; q++) {
			n = rx_once(p, q, pkts, BURST);
			for (i = 0; i < n; i++) {
				const struct rte_ether_hdr *eh =
				    rte_pktmbuf_mtod(pkts[i], const struct rte_ether_hdr *);

				if (eh->ether_type == rte_cpu_to_be_16(0x88b5) &&
				    pkt_tag(pkts[i]).seq == seq)
					found = true;
			}
			rte_pktmbuf_free_bulk(pkts, n);
		}
		usleep(1000);
	}
	return found;
}

/* Our tagged frame, as the kernel saw it arrive from the device. */
static bool tap_kernel_got(int fd, uint32_t seq)
{
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * 3;
	struct sockaddr_ll from;
	uint8_t buf[2048];
	struct pkt_tag t;
	socklen_t fl;
	ssize_t len;

	while (rte_get_timer_cycles() < end) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		fl = sizeof(from);
		len = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (len < (ssize_t)(sizeof(struct rte_ether_hdr) + sizeof(t)) ||
		    from.sll_pkttype == PACKET_OUTGOING)
			continue;
		memcpy(&t, buf + sizeof(struct rte_ether_hdr), sizeof(t));
		if (t.magic == PKT_MAGIC && t.seq == seq)
			return true;
	}
	return false;
}

START_TEST(tap_kernel_traffic_and_link)
{
	struct evs_port_config c;
	struct rte_eth_dev_info di;
	struct link_log log = {0};
	struct evs_port_info info;
	char ifname[IFNAMSIZ], devargs[64];
	struct evs_port *p;
	struct rte_mbuf *m;
	uint8_t frame[64];
	struct pkt_tag t;
	int fd;

	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0) {
		printf("tap_kernel_traffic_and_link: skipped (needs root and /dev/net/tun)\n");
		return;
	}
	snprintf(ifname, sizeof(ifname), "porttap%d", (int)getpid() % 100000);
	snprintf(devargs, sizeof(devargs), "net_tap0,iface=%s", ifname);
	c = ring_cfg("tap", devargs);
	c.nb_rxq = 2;
	c.nb_txq = 2;
	p = evs_port_create(&c);
	ck_assert_msg(p != NULL, "%s", evs_port_last_error());
	evs_port_info_get(p, &info);
	ck_assert_int_eq(rte_eth_dev_info_get(info.ethdev_port_id, &di), 0);
	ck_assert_uint_eq(info.nb_rxq, 2);
	ck_assert(info.rss == ((di.flow_type_rss_offloads &
				(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP)) != 0));
	ck_assert(wait_link(p, true, 3000));
	evs_port_link_cb_set(p, link_cb, &log);

	/* Kernel -> edgevs. */
	fd = tap_socket(ifname);
	memset(frame, 0, sizeof(frame));
	memset(frame, 0xff, 6);
	memset(frame + 6, 0x02, 6);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	t.magic = PKT_MAGIC;
	t.sender = 9;
	t.seq = 4242;
	memcpy(frame + 14, &t, sizeof(t));
	ck_assert_int_eq(send(fd, frame, sizeof(frame), 0), (int)sizeof(frame));
	ck_assert_msg(tap_rx_tagged(p, info.nb_rxq, 4242), "frame from the kernel not received");

	/* edgevs -> kernel, on tx queue 1. */
	m = mk_pkt(1, 777, 90);
	ck_assert_uint_eq(tx_once(p, 1, &m, 1), 1);
	ck_assert_msg(tap_kernel_got(fd, 777), "kernel did not see our frame");
	close(fd);

	/* Interface down from the kernel side: reported through the poll. */
	tap_set_up(ifname, false);
	ck_assert_msg(wait_link(p, false, 3000), "link still up");
	ck_assert_uint_ge(log.calls, 1);
	ck_assert(!log.last.up);
	evs_port_free(p);
	ck_assert_uint_eq(if_nametoindex(ifname), 0); /* interface gone */
}
END_TEST

START_TEST(ethdev_limit_is_rte_max_ethports)
{
	/* Ethdevs stop at DPDK's RTE_MAX_ETHPORTS with a clear error; the port
	 * index space (EVS_PORT_MAX) is larger, for vhost-user ports. */
	struct evs_port *ps[RTE_MAX_ETHPORTS];
	unsigned int n = 0, i, room = RTE_MAX_ETHPORTS - rte_eth_dev_count_total();
	char name[24], dev[24];
	struct evs_port_config c;

	ck_assert_uint_gt(EVS_PORT_MAX, RTE_MAX_ETHPORTS);
	for (i = 0; i < room; i++) {
		snprintf(name, sizeof(name), "n%u", i);
		snprintf(dev, sizeof(dev), "net_null%u", i);
		ps[n] = ring_port(name, dev, 1, 1);
		n++;
	}
	snprintf(dev, sizeof(dev), "net_null%u", i);
	c = ring_cfg("one_too_many", dev);
	ck_assert_ptr_null(evs_port_create(&c));
	ck_assert_int_eq(rte_errno, ENOSPC);
	ck_assert_msg(strstr(evs_port_last_error(), "RTE_MAX_ETHPORTS") != NULL, "error: %s",
		      evs_port_last_error());
	/* one freed, one more fits */
	evs_port_free(ps[--n]);
	c.name = "fits_again";
	ps[n] = evs_port_create(&c);
	ck_assert_msg(ps[n] != NULL, "%s", evs_port_last_error());
	n++;
	while (n > 0)
		evs_port_free(ps[--n]);
}
END_TEST

static Suite *port_suite(void)
{
	Suite *s = suite_create("port");
	const struct unit_case cases[] = {
	    {"ring_create_free", ring_create_free},
	    {"ring_loopback_traffic", ring_loopback_traffic},
	    {"ring_recreate_after_free", ring_recreate_after_free},
	    {"ring_queues_clamped_to_device", ring_queues_clamped_to_device},
	    {"bad_config_errors", bad_config_errors},
	    {"duplicate_name_and_device", duplicate_name_and_device},
	    {"stats_count_and_reset", stats_count_and_reset},
	    {"stats_per_queue_and_null_rx", stats_per_queue_and_null_rx},
	    {"txbuf_flush_semantics", txbuf_flush_semantics},
	    {"shared_txq_locks_and_counts", shared_txq_locks_and_counts},
	    {"shared_txq_waits_for_lock", shared_txq_waits_for_lock},
	    {"txq_mapping_shares_only_when_needed", txq_mapping_shares_only_when_needed},
	    {"ethdev_link_state", ethdev_link_state},
	    {"ethdev_limit_is_rte_max_ethports", ethdev_limit_is_rte_max_ethports},
	    {"tap_kernel_traffic_and_link", tap_kernel_traffic_and_link},
	    {"vhost_config_errors", vhost_config_errors},
	    {"vhost_server_traffic", vhost_server_traffic},
	    {"vhost_client_reconnect", vhost_client_reconnect},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), setup, teardown, 120);
	port_txset_add_cases(s);
	return s;
}

int main(void)
{
	const struct port_test_config cfg = {.name = "port",
					     .lcores = "0-1",
					     .mem_mb = "512",
					     .nb_mbuf = NB_MBUF,
					     .mbuf_cache = 256};

	return port_test_main(&cfg, port_suite());
}
