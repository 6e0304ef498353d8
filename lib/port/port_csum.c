/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Partial L4 checksums on the way out: the slow path of evs_port_tx_send(),
 * entered only for bursts holding a packet flagged RTE_MBUF_F_RX_L4_CKSUM_NONE
 * (a guest's VIRTIO_NET_HDR_F_NEEDS_CSUM, as rte_vhost reports it with
 * RTE_VHOST_USER_NET_COMPLIANT_OL_FLAGS: TCP or UDP, the checksum field
 * holding the pseudo-header sum).
 *
 * The packet is parsed again here rather than trusting l2_len/l3_len from
 * receive time: the pipeline may have pushed or popped a VLAN tag since.
 * Software completion recomputes the whole checksum (the field's content is
 * ignored), so it is right whatever the sender left in it.
 */

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <rte_byteorder.h>
#include <rte_ip.h>

#include "evs_packet.h"
#include "port_private.h"

/* Data shared with other mbufs (a clone, an attached or external buffer):
 * writing into it would change what the others send. */
static bool csum_data_shared(const struct rte_mbuf *m)
{
	for (; m != NULL; m = m->next)
		if (!RTE_MBUF_DIRECT(m) || rte_mbuf_refcnt_read(m) != 1)
			return true;
	return false;
}

/* Folded pseudo-header sum, ready to store in the checksum field as it is
 * (the sum of words loaded in host order is already in network order). */
static uint16_t csum_pseudo(const uint8_t *ip, bool v6, uint8_t proto, uint32_t l4_len)
{
	uint32_t sum;

	if (v6) {
		sum = rte_raw_cksum(ip + 8, 32);
		sum += rte_cpu_to_be_16((uint16_t)(l4_len >> 16));
	} else {
		sum = rte_raw_cksum(ip + 12, 8);
	}
	sum += rte_cpu_to_be_16((uint16_t)l4_len);
	sum += rte_cpu_to_be_16(proto);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Hand the partial checksum on: TX flags for the backend (rte_vhost turns
 * them into NEEDS_CSUM with csum_start = l2_len + l3_len) and a fresh
 * pseudo-header sum, which the receiver's sum over the L4 data completes. */
static void csum_mark(struct rte_mbuf *m, const struct evs_flow_key *key, bool v6)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, m->l2_len);
	bool tcp = key->ip_proto == IPPROTO_TCP;
	uint32_t l4_len;
	uint16_t ps;

	if (v6)
		l4_len =
		    (uint32_t)rte_be_to_cpu_16(((const struct rte_ipv6_hdr *)ip)->payload_len) +
		    sizeof(struct rte_ipv6_hdr) - m->l3_len;
	else
		l4_len =
		    (uint32_t)rte_be_to_cpu_16(((const struct rte_ipv4_hdr *)ip)->total_length) -
		    m->l3_len;
	ps = csum_pseudo(ip, v6, key->ip_proto, l4_len);
	/* The parser guarantees the L4 header is in the first segment. */
	memcpy(rte_pktmbuf_mtod_offset(m, uint8_t *, m->l2_len + m->l3_len + (tcp ? 16 : 6)), &ps,
	       sizeof(ps));
	m->ol_flags &= ~RTE_MBUF_F_TX_OFFLOAD_MASK;
	m->ol_flags |= (v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4) |
		       (tcp ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM);
}

/*
 * One packet. May replace *mp with a private copy (then the original is
 * freed). @return 0 completed in software, 1 handed on partial, -errno when
 * the packet must be dropped (*mp is what to free).
 */
static int csum_one(struct port_impl *pi, struct rte_mbuf **mp, bool pass)
{
	struct rte_mbuf *m = *mp, *c;
	struct evs_flow_key key;
	bool v6;

	if (evs_packet_parse(m, 0, &key) != EVS_DROP_NONE)
		return -EINVAL;
	if (key.ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV4))
		v6 = false;
	else if (key.ethertype == RTE_BE16(RTE_ETHER_TYPE_IPV6))
		v6 = true;
	else
		return -ENOTSUP;
	/* SCTP's CRC is not an Internet checksum; fragments have no L4 to sum. */
	if ((key.ip_proto != IPPROTO_TCP && key.ip_proto != IPPROTO_UDP) ||
	    (key.ip_frag & EVS_FRAG_ANY) || m->l4_len == 0)
		return -ENOTSUP;
	if (csum_data_shared(m)) {
		c = rte_pktmbuf_copy(m, pi->mp, 0, UINT32_MAX);
		if (c == NULL)
			return -ENOBUFS;
		rte_pktmbuf_free(m);
		*mp = m = c;
	}
	/* DPDK's own pseudo-header helpers (which rte_vhost may apply on top)
	 * ignore IPv6 extension headers: complete those here instead. */
	if (pass && !(v6 && m->l3_len != sizeof(struct rte_ipv6_hdr))) {
		csum_mark(m, &key, v6);
		return 1;
	}
	if (evs_l4_cksum_fill(m, &key) < 0)
		return -EINVAL;
	m->ol_flags = (m->ol_flags & ~RTE_MBUF_F_RX_L4_CKSUM_MASK) | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	return 0;
}

uint16_t evs_port_tx_csum(struct evs_port *port, struct evs_port_txq *q, struct rte_mbuf **pkts,
			  uint16_t n, uint64_t *bytes)
{
	/* Relaxed: see evs_port_tx_csum_partial_set(); the backend re-checks
	 * its peer (acquire) before it sends. */
	bool pass = __atomic_load_n(&port->tx_csum_partial, __ATOMIC_RELAXED) != 0;
	struct port_impl *pi = port_impl(port);
	uint64_t sw = 0, passed = 0, bad = 0;
	uint16_t i, k = 0;
	int rc;

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (evs_port_l4_partial(m)) {
			rc = csum_one(pi, &m, pass);
			if (rc < 0) {
				*bytes -= rte_pktmbuf_pkt_len(m);
				rte_pktmbuf_free(m);
				bad++;
				continue;
			}
			if (rc == 1)
				passed++;
			else
				sw++;
		}
		pkts[k++] = m;
	}
	if (sw != 0)
		evs_port_ctr_add(&q->st.csum_sw, sw);
	if (passed != 0)
		evs_port_ctr_add(&q->st.csum_passed, passed);
	if (bad != 0)
		evs_port_ctr_add(&q->st.drops[EVS_PORT_DROP_TX_CSUM], bad);
	return k;
}
