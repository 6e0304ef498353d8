/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for evs_packet_parse and the helpers that trust its
 * result (checksums, VLAN rewrite). The frame sits in a heap buffer that
 * ends exactly at the data, so AddressSanitizer catches any read past the
 * segment; no EAL is needed (the mbuf is laid out by hand).
 *
 * Input: byte 0 selects options (bit 0: claim a longer pkt_len, as if more
 * segments followed; bit 1: try a VLAN push/rewrite; bit 2: pop; bit 3: NIC
 * stripped a tag), bytes 1-2 a TCI, the rest is the frame.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "evs_packet.h"

#define HEADROOM 8

static void check(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evs_flow_key key, again;
	struct rte_mbuf m;
	uint8_t opts, *buf, *orig;
	uint16_t tci, len;
	enum evs_drop_reason r;

	if (size < 3 || size > 4096)
		return 0;
	opts = data[0];
	tci = (uint16_t)(data[1] << 8 | data[2]);
	data += 3;
	len = (uint16_t)(size - 3);

	buf = malloc(HEADROOM + len + 1);
	orig = malloc(len + 1);
	check(buf != NULL && orig != NULL);
	memcpy(buf + HEADROOM, data, len);
	memcpy(orig, data, len);

	memset(&m, 0, sizeof(m));
	m.buf_addr = buf;
	m.buf_len = HEADROOM + len;
	m.data_off = HEADROOM;
	m.data_len = len;
	m.pkt_len = len + ((opts & 1) ? 64 : 0);
	m.nb_segs = 1;
	rte_mbuf_refcnt_set(&m, 1);
	if (opts & 8) {
		m.ol_flags = RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
		m.vlan_tci = tci;
	}

	r = evs_packet_parse(&m, 1, &key);
	check(r < EVS_DROP_REASON_MAX);
	check(evs_drop_reason_name(r) != NULL);
	if (r == EVS_DROP_NONE) {
		/* the headers the parser vouches for are inside the segment */
		check((uint32_t)m.l2_len + m.l3_len + m.l4_len <= m.data_len);
		(void)evs_flow_key_hash(&key, 0);
		if (!(opts & 1)) {
			/* single segment: checksums may read the whole L4 payload */
			int v = evs_l4_cksum_verify(&m, &key);

			check(v == 0 || v == -EBADMSG || v == -EINVAL || v == -ENOTSUP);
			if (evs_l4_cksum_fill(&m, &key) == 0)
				check(evs_l4_cksum_verify(&m, &key) == 0);
		}
		if (opts & 2) {
			uint16_t before = rte_pktmbuf_data_len(&m);
			int rc = evs_packet_set_vlan(&m, tci | EVS_VLAN_PRESENT);

			check(rc == 0 || rc == -ENOSPC);
			if (rc == 0) {
				check(evs_packet_parse(&m, 1, &again) == r);
				check((again.vlan_tci & ~0x1000) == (tci & ~0x1000));
				check(rte_pktmbuf_data_len(&m) == before ||
				      rte_pktmbuf_data_len(&m) == before + 4);
			}
		}
		if (opts & 4) {
			bool tagged = key.vlan_tci & EVS_VLAN_PRESENT;
			int rc = evs_packet_set_vlan(&m, 0);

			check(rc == 0);
			r = evs_packet_parse(&m, 1, &again);
			if (!tagged && !(opts & 2))
				check(r == EVS_DROP_NONE && memcmp(&again, &key, sizeof(key)) == 0);
		}
	} else {
		/* the VLAN helper must cope with frames the parser rejected */
		(void)evs_packet_set_vlan(&m, tci);
	}
	free(orig);
	free(buf);
	return 0;
}
