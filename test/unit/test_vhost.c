/* SPDX-License-Identifier: BSD-3-Clause */
/* Checksum offload through lib/port's tx path and the vhost-user backend:
 * partial checksums (a guest's VIRTIO_NET_HDR_F_NEEDS_CSUM, flagged
 * RTE_MBUF_F_RX_L4_CKSUM_NONE) are completed in software for ports that need
 * it, handed on with TX offload flags to a peer that takes them, and never
 * written into shared data. Packets are built here with the pseudo-header sum
 * a guest leaves in the field; results are checked with lib/packet's
 * evs_l4_cksum_verify and with an independent byte-wise RFC 1071 sum.
 *
 * The last cases put a real virtio-net header in: a net_virtio_user device in
 * this same process, connected to a vhost-user port, sends with TX checksum
 * offload (NEEDS_CSUM in its header) and receives with or without GUEST_CSUM.
 *
 * Each case runs in its own Check child with its own EAL (--no-huge
 * --no-shconf) and temp directory. */

#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <rte_rcu_qsbr.h>

#include <evs_packet.h>
#include <evs_port.h>
#include <evs_port_driver.h>

#include "port_test.h"
#include "unit_case.h"

#define NB_MBUF 4095
#define BURST 32
#define FRAME_MAX 1600

/* The fixture, plus a random seed of its own for each child. */
static void setup(void)
{
	port_test_setup();
	rte_srand(0x5eed0000u + (unsigned int)getpid());
}

/* ---- packets, built as a guest with checksum offload leaves them ---- */

struct spec {
	bool v6;
	bool v6_ext; /* a hop-by-hop header before L4 */
	bool vlan;
	bool tcp;
	uint16_t payload;
	unsigned int nseg; /* segments of the mbuf (headers always in the first) */
};

struct frame {
	uint8_t b[FRAME_MAX];
	uint32_t len;
	uint32_t l3_off, l4_off, field_off; /* field_off: the checksum, from 0 */
	bool v6, tcp;
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Independent reference: RFC 1071 over big-endian 16-bit words, byte by byte. */
static uint32_t ref_sum(const uint8_t *p, uint32_t len, uint32_t sum)
{
	uint32_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Pseudo-header sum of a flat frame (host order), folded, not inverted. */
static uint16_t ref_pseudo(const struct frame *f)
{
	uint8_t ph[40];
	uint32_t l4_len = f->len - f->l4_off, sum;
	const uint8_t *ip = f->b + f->l3_off;

	if (f->v6) {
		sum = ref_sum(ip + 8, 32, 0);
		wr16(ph, (uint16_t)(l4_len >> 16));
		wr16(ph + 2, (uint16_t)l4_len);
		ph[4] = ph[5] = ph[6] = 0;
		ph[7] = f->tcp ? IPPROTO_TCP : IPPROTO_UDP;
		sum = ref_sum(ph, 8, sum);
	} else {
		sum = ref_sum(ip + 12, 8, 0);
		ph[0] = 0;
		ph[1] = f->tcp ? IPPROTO_TCP : IPPROTO_UDP;
		wr16(ph + 2, (uint16_t)l4_len);
		sum = ref_sum(ph, 4, sum);
	}
	return ref_fold(sum);
}

/* The full checksum verifies: pseudo + L4 (field included) sums to 0xffff. */
static bool ref_l4_ok(const struct frame *f)
{
	uint32_t sum = ref_pseudo(f);

	return ref_fold(ref_sum(f->b + f->l4_off, f->len - f->l4_off, sum)) == 0xffff;
}

static void rand_bytes(uint8_t *p, uint32_t n)
{
	while (n--)
		*p++ = (uint8_t)rte_rand();
}

static void frame_build(struct frame *f, const struct spec *s)
{
	uint8_t *p = f->b;
	uint32_t l4_hdr = s->tcp ? 20 : 8, l4_len = l4_hdr + s->payload;
	uint8_t proto = s->tcp ? IPPROTO_TCP : IPPROTO_UDP;

	memset(f, 0, sizeof(*f));
	f->v6 = s->v6;
	f->tcp = s->tcp;
	memcpy(p, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	p += 12;
	if (s->vlan) {
		wr16(p, 0x8100);
		wr16(p + 2, 7);
		p += 4;
	}
	wr16(p, s->v6 ? 0x86dd : 0x0800);
	p += 2;
	f->l3_off = (uint32_t)(p - f->b);
	if (s->v6) {
		uint32_t ext = s->v6_ext ? 8 : 0;

		p[0] = 0x60;
		wr16(p + 4, (uint16_t)(ext + l4_len));
		p[6] = s->v6_ext ? 0 : proto;
		p[7] = 64;
		rand_bytes(p + 8, 32);
		p += 40;
		if (s->v6_ext) { /* hop-by-hop with one PadN option */
			p[0] = proto;
			p[1] = 0;
			p[2] = 1;
			p[3] = 4;
			memset(p + 4, 0, 4);
			p += 8;
		}
	} else {
		p[0] = 0x45;
		wr16(p + 2, (uint16_t)(20 + l4_len));
		wr16(p + 4, (uint16_t)rte_rand());
		p[6] = 0x40; /* DF */
		p[8] = 64;
		p[9] = proto;
		rand_bytes(p + 12, 8);
		memcpy(p + 10, &(uint16_t){evs_ipv4_hdr_cksum(p)}, 2);
		p += 20;
	}
	f->l4_off = (uint32_t)(p - f->b);
	rand_bytes(p, l4_hdr + s->payload);
	if (s->tcp) {
		p[12] = 0x50;
		f->field_off = f->l4_off + 16;
	} else {
		wr16(p + 4, (uint16_t)l4_len);
		f->field_off = f->l4_off + 6;
	}
	f->len = f->l4_off + l4_len;
	/* What a guest with checksum offload sends: the pseudo-header sum. */
	wr16(f->b + f->field_off, ref_pseudo(f));
}

/* An mbuf chain holding @p f, flagged partial. */
static struct rte_mbuf *frame_mbuf(const struct frame *f, unsigned int nseg)
{
	uint32_t hdr = f->l4_off + (f->tcp ? 20 : 8), off = 0, cut;
	struct rte_mbuf *head = NULL, *m;
	unsigned int i;

	for (i = 0; i < nseg && off < f->len; i++) {
		if (i + 1 == nseg)
			cut = f->len;
		else
			cut = RTE_MAX(hdr, off + 1) +
			      (uint32_t)(rte_rand() % (f->len - RTE_MAX(hdr, off + 1) + 1));
		m = rte_pktmbuf_alloc(mp);
		ck_assert_ptr_nonnull(m);
		memcpy(rte_pktmbuf_append(m, (uint16_t)(cut - off)), f->b + off, cut - off);
		if (head == NULL)
			head = m;
		else
			ck_assert_int_eq(rte_pktmbuf_chain(head, m), 0);
		off = cut;
	}
	head->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_NONE;
	return head;
}

static void mbuf_flat(const struct rte_mbuf *m, struct frame *out)
{
	const void *d;

	ck_assert_uint_le(rte_pktmbuf_pkt_len(m), FRAME_MAX);
	out->len = rte_pktmbuf_pkt_len(m);
	d = rte_pktmbuf_read(m, 0, out->len, out->b);
	ck_assert_ptr_nonnull(d);
	if (d != out->b)
		memcpy(out->b, d, out->len);
}

/* Received @p m holds @p sent with a complete checksum, and lib/packet
 * agrees. */
static void expect_complete(struct rte_mbuf *m, const struct frame *sent)
{
	struct evs_flow_key key;
	struct frame got = *sent;

	mbuf_flat(m, &got);
	ck_assert_uint_eq(got.len, sent->len);
	ck_assert_msg(memcmp(got.b, sent->b, sent->field_off) == 0, "headers changed");
	ck_assert_msg(memcmp(got.b + sent->field_off + 2, sent->b + sent->field_off + 2,
			     sent->len - sent->field_off - 2) == 0,
		      "payload changed");
	ck_assert_msg(ref_l4_ok(&got), "reference sum rejects the checksum");
	ck_assert_int_eq(evs_packet_parse(m, 0, &key), EVS_DROP_NONE);
	ck_assert_int_eq(evs_l4_cksum_verify(m, &key), 0);
	ck_assert(!evs_port_l4_partial(m));
	ck_assert(!(m->ol_flags & RTE_MBUF_F_TX_L4_MASK));
}

static struct spec rand_spec(void)
{
	struct spec s;

	s.v6 = rte_rand() & 1;
	s.v6_ext = s.v6 && (rte_rand() % 3 == 0);
	s.vlan = rte_rand() % 3 == 0;
	s.tcp = rte_rand() & 1;
	s.payload = (uint16_t)(rte_rand() % 1401);
	s.nseg = 1 + (unsigned int)(rte_rand() % 3);
	return s;
}

/* ---- ports ---- */

/* ---- lib/port's tx path on a port that needs complete checksums ---- */

START_TEST(sw_completion_random)
{
	static struct frame sent[BURST];
	struct rte_mbuf *pkts[BURST];
	struct evs_port_stats st;
	struct evs_port *p = ring_port("ring", "net_ring0", 1, 1);
	unsigned int round, i, total = 0;
	uint16_t n;

	for (round = 0; round < 40; round++) {
		n = (uint16_t)(1 + rte_rand() % BURST);
		for (i = 0; i < n; i++) {
			struct spec s = rand_spec();

			frame_build(&sent[i], &s);
			pkts[i] = frame_mbuf(&sent[i], s.nseg);
		}
		ck_assert_uint_eq(tx_once(p, 0, pkts, n), n);
		ck_assert_uint_eq(rx_once(p, 0, pkts, BURST), n); /* net_ring: back in order */
		for (i = 0; i < n; i++)
			expect_complete(pkts[i], &sent[i]);
		rte_pktmbuf_free_bulk(pkts, n);
		total += n;
	}
	evs_port_stats_get(p, &st);
	ck_assert_uint_eq(st.tx_csum_sw, total);
	ck_assert_uint_eq(st.tx_csum_passed, 0);
	ck_assert_uint_eq(st.drops[EVS_PORT_DROP_TX_CSUM], 0);
	evs_port_free(p);
}
END_TEST

START_TEST(complete_packets_untouched)
{
	struct rte_mbuf *pkts[2];
	struct evs_port_stats st;
	struct evs_port *p = ring_port("ring", "net_ring0", 1, 1);
	struct spec s = {.tcp = true, .payload = 100, .nseg = 1};
	struct frame f, got;

	/* No partial flag: the field is sent as it is, even when wrong. */
	frame_build(&f, &s);
	wr16(f.b + f.field_off, 0x1234);
	pkts[0] = frame_mbuf(&f, 1);
	pkts[0]->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_UNKNOWN;
	pkts[1] = frame_mbuf(&f, 2);
	pkts[1]->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	ck_assert_uint_eq(tx_once(p, 0, pkts, 2), 2);
	ck_assert_uint_eq(rx_once(p, 0, pkts, BURST), 2);
	mbuf_flat(pkts[0], &got);
	ck_assert_int_eq(memcmp(got.b, f.b, f.len), 0);
	mbuf_flat(pkts[1], &got);
	ck_assert_int_eq(memcmp(got.b, f.b, f.len), 0);
	rte_pktmbuf_free_bulk(pkts, 2);
	evs_port_stats_get(p, &st);
	ck_assert_uint_eq(st.tx_csum_sw + st.tx_csum_passed, 0);
	evs_port_free(p);
}
END_TEST

START_TEST(partial_handed_to_capable_peer)
{
	static struct frame sent[BURST];
	struct rte_mbuf *pkts[BURST];
	struct evs_port_stats st;
	struct evs_port *p = ring_port("ring", "net_ring0", 1, 1);
	unsigned int i, passed = 0, sw = 0;
	uint16_t n = BURST;

	evs_port_tx_csum_partial_set(p, true);
	for (i = 0; i < n; i++) {
		struct spec s = rand_spec();

		frame_build(&sent[i], &s);
		/* Garbage in the field: the pseudo-header sum is rewritten. */
		wr16(sent[i].b + sent[i].field_off, (uint16_t)rte_rand());
		pkts[i] = frame_mbuf(&sent[i], s.nseg);
	}
	ck_assert_uint_eq(tx_once(p, 0, pkts, n), n);
	ck_assert_uint_eq(rx_once(p, 0, pkts, BURST), n);
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct frame got = sent[i];

		if (sent[i].v6 && sent[i].l4_off - sent[i].l3_off != 40) {
			/* Extension headers: completed here instead. */
			wr16(sent[i].b + sent[i].field_off, 0);
			expect_complete(m, &sent[i]);
			sw++;
			continue;
		}
		passed++;
		mbuf_flat(m, &got);
		ck_assert_uint_eq(m->l2_len, sent[i].l3_off);
		ck_assert_uint_eq(m->l3_len, sent[i].l4_off - sent[i].l3_off);
		ck_assert_uint_eq(m->ol_flags & RTE_MBUF_F_TX_L4_MASK,
				  sent[i].tcp ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM);
		ck_assert(m->ol_flags & (sent[i].v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4));
		ck_assert(!(m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM));
		ck_assert_uint_eq(rd16(got.b + got.field_off), ref_pseudo(&sent[i]));
		ck_assert_int_eq(memcmp(got.b, sent[i].b, sent[i].field_off), 0);
		/* What the receiver does with NEEDS_CSUM completes it. */
		wr16(got.b + got.field_off,
		     (uint16_t)~ref_fold(ref_sum(got.b + got.l4_off, got.len - got.l4_off, 0)));
		ck_assert(ref_l4_ok(&got));
	}
	rte_pktmbuf_free_bulk(pkts, n);
	evs_port_stats_get(p, &st);
	ck_assert_uint_eq(st.tx_csum_passed, passed);
	ck_assert_uint_eq(st.tx_csum_sw, sw);
	evs_port_free(p);
}
END_TEST

START_TEST(shared_data_is_copied)
{
	struct rte_mempool *clones;
	struct rte_mbuf *orig, *c, *got;
	struct spec s = {.tcp = false, .payload = 333, .nseg = 2};
	struct evs_port *p = ring_port("ring", "net_ring0", 1, 1);
	struct frame f, now;

	clones = rte_pktmbuf_pool_create("clones", 63, 0, 0, 0, SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(clones);
	frame_build(&f, &s);
	orig = frame_mbuf(&f, s.nseg);
	c = rte_pktmbuf_clone(orig, clones);
	ck_assert_ptr_nonnull(c);
	ck_assert(evs_port_l4_partial(c));
	ck_assert_uint_eq(tx_once(p, 0, &c, 1), 1);
	ck_assert_uint_eq(rx_once(p, 0, &got, 1), 1);
	ck_assert(RTE_MBUF_DIRECT(got));
	expect_complete(got, &f);
	/* The original still holds what the guest sent. */
	mbuf_flat(orig, &now);
	ck_assert_int_eq(memcmp(now.b, f.b, f.len), 0);
	ck_assert_uint_eq(rte_mbuf_refcnt_read(orig), 1);
	rte_pktmbuf_free(got);
	rte_pktmbuf_free(orig);
	ck_assert_uint_eq(rte_mempool_in_use_count(clones), 0);
	rte_mempool_free(clones);
	evs_port_free(p);
}
END_TEST

START_TEST(unusable_partial_dropped_and_counted)
{
	struct spec tcp4 = {.tcp = true, .payload = 40, .nseg = 1};
	struct rte_mbuf *pkts[6];
	struct evs_port_stats st;
	struct evs_port *p = ring_port("ring", "net_ring0", 1, 1);
	struct frame f[6];
	unsigned int i;

	for (i = 0; i < 6; i++)
		frame_build(&f[i], &tcp4);
	f[0].b[f[0].l3_off + 9] = 132;	      /* SCTP: a CRC, not an Internet checksum */
	f[1].b[f[1].l3_off + 6] |= 0x20;      /* MF: a fragment */
	wr16(f[2].b + 12, 0x0806);	      /* ARP */
	wr16(f[3].b + f[3].l3_off + 2, 1400); /* IP length beyond the frame */
	for (i = 0; i < 6; i++) {
		if (i < 4)
			memcpy(f[i].b + f[i].l3_off + 10,
			       &(uint16_t){evs_ipv4_hdr_cksum(f[i].b + f[i].l3_off)}, 2);
		pkts[i] = frame_mbuf(&f[i], 1);
	}
	ck_assert_uint_eq(tx_once(p, 0, pkts, 6), 2);
	ck_assert_uint_eq(rx_once(p, 0, pkts, 6), 2);
	expect_complete(pkts[0], &f[4]);
	expect_complete(pkts[1], &f[5]);
	rte_pktmbuf_free_bulk(pkts, 2);
	evs_port_stats_get(p, &st);
	ck_assert_uint_eq(st.drops[EVS_PORT_DROP_TX_CSUM], 4);
	ck_assert_uint_eq(st.tx_packets, 2);
	ck_assert_uint_eq(st.tx_bytes, f[4].len + f[5].len);
	ck_assert_uint_eq(st.tx_csum_sw, 2);
	evs_port_free(p);
}
END_TEST

/* ---- a real virtio-net header: net_virtio_user in this process ---- */

static struct evs_port *vhost_port(const char *sock)
{
	struct evs_port_config c = vhost_cfg("vh", sock, EVS_VHOST_SERVER);
	struct evs_port *p = evs_port_create(&c);

	ck_assert_msg(p != NULL, "%s", evs_port_last_error());
	return p;
}

/* A virtio_user "guest" on @p sock with checksum offload on transmit, and on
 * receive (GUEST_CSUM) when @p guest_csum. */
static uint16_t vu_start(const char *sock, bool guest_csum)
{
	struct rte_eth_conf conf;
	char devargs[256];
	uint16_t pid;

	snprintf(devargs, sizeof(devargs), "net_virtio_user0,path=%s,queues=1", sock);
	ck_assert_int_eq(rte_dev_probe(devargs), 0);
	ck_assert_int_eq(rte_eth_dev_get_port_by_name("net_virtio_user0", &pid), 0);
	memset(&conf, 0, sizeof(conf));
	conf.txmode.offloads = RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	if (guest_csum)
		conf.rxmode.offloads = RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	ck_assert_int_eq(rte_eth_dev_configure(pid, 1, 1, &conf), 0);
	ck_assert_int_eq(rte_eth_rx_queue_setup(pid, 0, 256, SOCKET_ID_ANY, NULL, mp), 0);
	ck_assert_int_eq(rte_eth_tx_queue_setup(pid, 0, 256, SOCKET_ID_ANY, NULL), 0);
	ck_assert_int_eq(rte_eth_dev_start(pid), 0);
	return pid;
}

static void vu_stop(uint16_t pid)
{
	struct rte_eth_dev_info di;
	struct rte_device *dev;

	ck_assert_int_eq(rte_eth_dev_info_get(pid, &di), 0);
	dev = di.device;
	ck_assert_int_eq(rte_eth_dev_stop(pid), 0);
	ck_assert_int_eq(rte_eth_dev_close(pid), 0);
	ck_assert_int_eq(rte_dev_remove(dev), 0);
}

static bool wait_running(struct evs_port *p, bool running)
{
	struct evs_port_vhost_info vi;
	unsigned int t;

	for (t = 0; t < 1000; t++) {
		if (evs_port_vhost_get(p, &vi) == 0 && vi.running == running)
			return true;
		usleep(10000);
	}
	return false;
}

/* The guest sends @p n frames with TX checksum offload (NEEDS_CSUM). */
static void vu_send(uint16_t pid, struct frame *f, unsigned int n)
{
	struct rte_mbuf *pkts[BURST];
	unsigned int i;

	for (i = 0; i < n; i++) {
		pkts[i] = frame_mbuf(&f[i], 1);
		pkts[i]->ol_flags = (f[i].v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4) |
				    (f[i].tcp ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM);
		pkts[i]->l2_len = f[i].l3_off;
		pkts[i]->l3_len = f[i].l4_off - f[i].l3_off;
	}
	ck_assert_uint_eq(rte_eth_tx_burst(pid, 0, pkts, (uint16_t)n), n);
}

static unsigned int port_rx_wait(struct evs_port *p, struct rte_mbuf **pkts, unsigned int want)
{
	unsigned int got = 0, t;

	for (t = 0; t < 2000 && got < want; t++) {
		got += rx_once(p, 0, pkts + got, (uint16_t)(want - got));
		if (got < want)
			usleep(1000);
	}
	return got;
}

static unsigned int vu_rx_wait(uint16_t pid, struct rte_mbuf **pkts, unsigned int want)
{
	unsigned int got = 0, t;

	for (t = 0; t < 2000 && got < want; t++) {
		got += rte_eth_rx_burst(pid, 0, pkts + got, (uint16_t)(want - got));
		if (got < want)
			usleep(1000);
	}
	return got;
}

static void frames_guest_tcp_udp(struct frame *f, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct spec s = {
		    .v6 = i & 1, .tcp = (i >> 1) & 1, .payload = (uint16_t)(i * 97 % 1400)};

		frame_build(&f[i], &s);
	}
}

static void virtio_roundtrip(bool guest_csum)
{
	struct frame f[8];
	struct rte_mbuf *pkts[8];
	struct evs_port_vhost_info vi;
	struct evs_port_stats st;
	struct evs_port *vh, *ring;
	char sock[200];
	unsigned int i;
	uint16_t pid;

	snprintf(sock, sizeof(sock), "%s/vh.sock", tmpdir);
	vh = vhost_port(sock);
	ring = ring_port("ring", "net_ring0", 1, 1);
	pid = vu_start(sock, guest_csum);
	ck_assert_msg(wait_running(vh, true), "the virtio_user guest never came up");
	ck_assert_int_eq(evs_port_vhost_get(vh, &vi), 0);
	ck_assert(vi.features & (1ULL << VIRTIO_NET_F_CSUM));
	ck_assert_int_eq((vi.features >> VIRTIO_NET_F_GUEST_CSUM) & 1, guest_csum);
	ck_assert_int_eq(vi.guest_csum, guest_csum);

	/* Guest -> switch: NEEDS_CSUM arrives as a partial checksum ... */
	frames_guest_tcp_udp(f, 8);
	vu_send(pid, f, 8);
	ck_assert_uint_eq(port_rx_wait(vh, pkts, 8), 8);
	for (i = 0; i < 8; i++)
		ck_assert_msg(evs_port_l4_partial(pkts[i]), "packet %u not flagged partial", i);
	/* ... and leaves complete to a port that needs it. */
	ck_assert_uint_eq(tx_once(ring, 0, pkts, 8), 8);
	ck_assert_uint_eq(rx_once(ring, 0, pkts, 8), 8);
	for (i = 0; i < 8; i++)
		expect_complete(pkts[i], &f[i]);
	rte_pktmbuf_free_bulk(pkts, 8);

	/* Guest -> switch -> guest: partial again, then back to the guest. */
	vu_send(pid, f, 8);
	ck_assert_uint_eq(port_rx_wait(vh, pkts, 8), 8);
	ck_assert_uint_eq(tx_once(vh, 0, pkts, 8), 8);
	ck_assert_uint_eq(vu_rx_wait(pid, pkts, 8), 8);
	for (i = 0; i < 8; i++) {
		if (guest_csum) {
			/* NEEDS_CSUM in the guest's header: the virtio PMD says
			 * partial, and the field holds the pseudo-header sum. */
			struct frame got = f[i];

			ck_assert(evs_port_l4_partial(pkts[i]));
			mbuf_flat(pkts[i], &got);
			ck_assert_int_eq(memcmp(got.b, f[i].b, f[i].len), 0);
		} else {
			expect_complete(pkts[i], &f[i]);
		}
	}
	rte_pktmbuf_free_bulk(pkts, 8);
	evs_port_stats_get(vh, &st);
	ck_assert_uint_eq(st.tx_csum_passed, guest_csum ? 8 : 0);
	ck_assert_uint_eq(st.tx_csum_sw, guest_csum ? 0 : 8);

	vu_stop(pid);
	ck_assert_msg(wait_running(vh, false), "the guest is still running");
	ck_assert_int_eq(evs_port_vhost_get(vh, &vi), 0);
	ck_assert(!vi.guest_csum);
	evs_port_free(ring);
	evs_port_free(vh);
}

START_TEST(virtio_guest_with_guest_csum)
{
	virtio_roundtrip(true);
}
END_TEST

START_TEST(virtio_guest_without_guest_csum)
{
	virtio_roundtrip(false);
}
END_TEST

static Suite *vhost_suite(void)
{
	Suite *s = suite_create("vhost");
	const struct unit_case cases[] = {
	    {"sw_completion_random", sw_completion_random},
	    {"complete_packets_untouched", complete_packets_untouched},
	    {"partial_handed_to_capable_peer", partial_handed_to_capable_peer},
	    {"shared_data_is_copied", shared_data_is_copied},
	    {"unusable_partial_dropped_and_counted", unusable_partial_dropped_and_counted},
	    {"virtio_guest_with_guest_csum", virtio_guest_with_guest_csum},
	    {"virtio_guest_without_guest_csum", virtio_guest_without_guest_csum},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), setup, port_test_teardown, 120);
	return s;
}

int main(void)
{
	const struct port_test_config cfg = {
	    .name = "vhost", .lcores = "0", .mem_mb = "256", .nb_mbuf = NB_MBUF, .mbuf_cache = 0};

	return port_test_main(&cfg, vhost_suite());
}
