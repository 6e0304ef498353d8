/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VLAN tag push/pop/rewrite. A tag sits between the MAC addresses and the
 * ethertype, so push and pop move only the 12 MAC bytes and let the mbuf's
 * data offset absorb the 4-byte difference: no payload copy.
 */
#include <errno.h>

#include <rte_branch_prediction.h>

#include "evs_packet.h"
#include "packet_private.h"

#define MACS_LEN (2 * RTE_ETHER_ADDR_LEN)

static inline int data_shared(const struct rte_mbuf *m)
{
	return !RTE_MBUF_DIRECT(m) || rte_mbuf_refcnt_read(m) != 1;
}

int evs_vlan_push_raw(struct rte_mbuf *m, uint16_t tpid, uint16_t tci)
{
	uint8_t *p;

	p = (uint8_t *)rte_pktmbuf_prepend(m, EVS_VLAN_HLEN);
	if (p == NULL)
		return -ENOSPC;
	memmove(p, p + EVS_VLAN_HLEN, MACS_LEN);
	evs_wr_be16(p + MACS_LEN, rte_cpu_to_be_16(tpid));
	evs_wr_be16(p + MACS_LEN + 2, rte_cpu_to_be_16(tci));
	return 0;
}

int evs_vlan_unstrip(struct rte_mbuf *m)
{
	uint16_t need;
	int rc;

	if (rte_pktmbuf_data_len(m) < EVS_ETH_HLEN)
		return -EINVAL;
	/*
	 * Both flags: both tags stripped, inner in vlan_tci. QinQ flag alone:
	 * only the outer tag (vlan_tci_outer) was removed.
	 */
	need = ((m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) ? EVS_VLAN_HLEN : 0) +
	       ((m->ol_flags & RTE_MBUF_F_RX_QINQ_STRIPPED) ? EVS_VLAN_HLEN : 0);
	if (rte_pktmbuf_headroom(m) < need)
		return -ENOSPC; /* checked first: never leave one tag of two */
	rc = 0;
	if (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED)
		rc = evs_vlan_push_raw(m, EVS_ETH_TYPE_VLAN, m->vlan_tci);
	if (rc == 0 && (m->ol_flags & RTE_MBUF_F_RX_QINQ_STRIPPED))
		rc = evs_vlan_push_raw(m, EVS_ETH_TYPE_QINQ, m->vlan_tci_outer);
	if (rc == 0)
		m->ol_flags &= ~(RTE_MBUF_F_RX_VLAN_STRIPPED | RTE_MBUF_F_RX_QINQ_STRIPPED |
				 RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_QINQ);
	return rc;
}

int evs_packet_set_vlan(struct rte_mbuf *m, uint16_t vlan_tci)
{
	uint16_t len = rte_pktmbuf_data_len(m);
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	int tagged;

	if (unlikely(len < EVS_ETH_HLEN))
		return -EINVAL;
	tagged = evs_is_vlan_tpid(evs_rd_be16(p + MACS_LEN));
	if (unlikely(tagged && len < EVS_ETH_HLEN + EVS_VLAN_HLEN))
		return -EINVAL;
	if (vlan_tci == 0 && !tagged)
		return 0;
	if (unlikely(data_shared(m)))
		return -EPERM;

	if (vlan_tci == 0) {
		memmove(p + EVS_VLAN_HLEN, p, MACS_LEN);
		rte_pktmbuf_adj(m, EVS_VLAN_HLEN);
		if (m->l2_len >= EVS_ETH_HLEN + EVS_VLAN_HLEN)
			m->l2_len -= EVS_VLAN_HLEN;
		return 0;
	}
	vlan_tci &= ~EVS_VLAN_PRESENT;
	if (tagged) {
		evs_wr_be16(p + MACS_LEN + 2, rte_cpu_to_be_16(vlan_tci));
		return 0;
	}
	if (evs_vlan_push_raw(m, EVS_ETH_TYPE_VLAN, vlan_tci) < 0)
		return -ENOSPC;
	if (m->l2_len != 0)
		m->l2_len += EVS_VLAN_HLEN;
	return 0;
}

int evs_packet_vlan_encode(struct rte_mbuf *m, uint16_t cur, uint16_t want)
{
	uint16_t vid = want & EVS_VLAN_VID_MASK;

	if (want == 0) {
		if (!(cur & EVS_VLAN_PRESENT))
			return 0;
		/* a priority tag (VID 0) still means "no VLAN": keep it when it
		 * carries a priority, as it came (doc/l2.md) */
		if ((cur & EVS_VLAN_VID_MASK) == 0 && (cur & EVS_VLAN_PCP_MASK) != 0)
			return 0;
		return evs_packet_set_vlan(m, 0);
	}
	if ((cur & EVS_VLAN_PRESENT) && (cur & EVS_VLAN_VID_MASK) == vid)
		return 0;
	/* keep the priority when retagging */
	return evs_packet_set_vlan(m, ((cur & EVS_VLAN_PRESENT) ? (cur & EVS_VLAN_PCP_MASK) : 0) |
					  EVS_VLAN_PRESENT | vid);
}
