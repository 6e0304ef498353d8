/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flow.trace from an underlay port: the receive side of one frame as
 * evs_overlay_rx_burst runs it (the same checks: ovl_rx_classify, the
 * peer check, lib/crypto's inspection and ICV), told step by step, with
 * nothing counted and no replay window moved. The datapath keeps decap
 * before classification (no extra pass per packet: doc/overlay.md); the
 * trace follows that path, then the caller traces the inner frame.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "overlay_private.h"

static int step(json_t *steps, const char *stage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int step(json_t *steps, const char *stage, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return json_array_append_new(steps,
				     json_pack("{s:s, s:s}", "stage", stage, "decision", buf)) == 0
		   ? 0
		   : -ENOMEM;
}

static const char *addr_str(uint8_t family, const uint8_t *b, char *buf, size_t len)
{
	return inet_ntop(family == 6 ? AF_INET6 : AF_INET, b, buf, (socklen_t)len) != NULL ? buf
											   : "?";
}

static const char *vtep_name(const struct evs_overlay *ov, uint16_t v)
{
	return v < EVS_OVERLAY_MAX_VTEPS && ov->vteps[v].name[0] != '\0' ? ov->vteps[v].name : "?";
}

/* Dropped for @p why: the last step says so. */
static int dropped(json_t *steps, const char *stage, enum evs_overlay_drop why, const char *detail)
{
	int rc = step(steps, stage, "drop: %s%s%s", evs_overlay_drop_name(why),
		      detail[0] != '\0' ? " " : "", detail);

	return rc < 0 ? rc : -EBADMSG;
}

/* ESP: the SA by SPI, its VTEP against the outer source, the checks and
 * the decryption (the trace's own engine). @return 0, or as the caller. */
static int trace_esp(struct evs_overlay *ov, const struct evs_overlay_dp *dp, struct rte_mbuf *m,
		     uint32_t spi, uint32_t *owner, json_t *steps)
{
	const struct evs_sa *sa = evs_sa_table_lookup(evs_overlay_sa_table(ov), spi);
	enum evs_esp_drop why = EVS_ESP_DROP__MAX;
	uint16_t src;
	uint64_t seq = 0;
	char d[96];

	if (sa == NULL) {
		snprintf(d, sizeof(d), "(spi 0x%08x)", spi);
		return dropped(steps, "decrypt", EVS_OVL_DROP_UNKNOWN_SPI, d);
	}
	*owner = evs_sa_owner(sa);
	src = ovl_esp_source(dp, m);
	if (!ovl_esp_source_ok(sa, src)) {
		snprintf(d, sizeof(d), "(spi 0x%08x is vtep %s's, the outer source %s)", spi,
			 vtep_name(ov, (uint16_t)(*owner - 1)),
			 src == UINT16_MAX ? "no vtep's" : vtep_name(ov, src));
		return dropped(
		    steps, "decrypt",
		    src == UINT16_MAX ? EVS_OVL_DROP_UNKNOWN_VTEP : EVS_OVL_DROP_WRONG_PEER, d);
	}
	if (ov->trace_ce == NULL)
		ov->trace_ce = evs_crypto_engine_create();
	if (ov->trace_ce == NULL)
		return step(steps, "decrypt", "no crypto engine for the trace: %s",
			    strerror(errno)) < 0
			   ? -ENOMEM
			   : -EBADMSG;
	if (evs_esp_decrypt_trace(ov->trace_ce, sa, m, &seq, &why) != 0) {
		snprintf(d, sizeof(d), "(spi 0x%08x seq %" PRIu64 ": %s)", spi, seq,
			 evs_esp_drop_name(why));
		return dropped(steps, "decrypt", EVS_OVL_DROP_DECRYPT, d);
	}
	return step(steps, "decrypt",
		    "esp spi 0x%08x of vtep %s, seq %" PRIu64
		    ": ICV good, in the replay window; %u bytes in the clear",
		    spi, vtep_name(ov, (uint16_t)(*owner - 1)), seq, m->pkt_len);
}

int evs_overlay_trace_rx(struct evs_overlay *ov, uint16_t port, struct rte_mbuf *m, uint16_t *tp,
			 struct evs_tun_meta *meta, json_t *steps)
{
	const struct evs_overlay_dp *dp = ov->dp; /* the management lcore's: the published one */
	struct evs_tun_stats ts = {0};
	enum evs_overlay_drop why;
	enum evs_esp_kind kind;
	uint32_t spi, owner = 0;
	char s[64], t[64], d[160];
	int rc;

	if (dp == NULL || !evs_overlay_dp_is_underlay(dp, port))
		return -ENOENT;
	ovl_outer_l2(m);
	kind = ovl_esp_kind(ov, m, &spi);
	if (kind == EVS_ESP_KIND_ESP) {
		rc = trace_esp(ov, dp, m, spi, &owner, steps);
		if (rc != 0)
			return rc;
	} else if (kind != EVS_ESP_KIND_OTHER) {
		return dropped(steps, "underlay", ovl_esp_kind_drop(kind),
			       "(UDP to an ESP-in-UDP port, not ESP)");
	} else if (ovl_is_neigh(m)) {
		rc = step(steps, "underlay",
			  "ARP/ND: to the management lcore (answered if for an underlay address, "
			  "learned for the next hops)");
		return rc < 0 ? rc : 1;
	}
	if (evs_tun_decap_burst(&dp->decap, &m, 1, meta, &ts) != 1) {
		unsigned int r = 0;

		while (r < EVS_TUN_DROP__MAX && ts.drops[r] == 0)
			r++;
		snprintf(d, sizeof(d), "(decap: %s)", evs_tun_drop_name((enum evs_tun_drop)r));
		return dropped(steps, "decap", EVS_OVL_DROP_TUNNEL, d);
	}
	rc = step(steps, "decap",
		  "%s vni %u from %s to %s, %u bytes of options; inner frame %u bytes",
		  meta->type == EVS_TUN_VXLAN ? "vxlan" : "geneve", meta->vni,
		  addr_str(meta->family, meta->src, s, sizeof(s)),
		  addr_str(meta->family, meta->dst, t, sizeof(t)), meta->opt_len, m->pkt_len);
	if (rc < 0)
		return rc;
	why = ovl_rx_classify(dp, meta, owner, tp);
	if (why != EVS_OVL_DROP__MAX)
		return dropped(steps, "tunnel", why,
			       owner == 0 ? "(clear tunnel frame)" : "(after decryption)");
	evs_overlay_port_describe(ov, dp, *tp, d, sizeof(d));
	rc = step(steps, "tunnel", "in_port %s (tunnel port %u)%s", d, *tp,
		  owner == 0 && dp->pol.any ? "; clear: refused on output to an encrypted port"
					    : "");
	return rc < 0 ? rc : 0;
}
