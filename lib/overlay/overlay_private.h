/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_OVERLAY_PRIVATE_H
#define EVS_OVERLAY_PRIVATE_H

#include <string.h>

#include "evs_ctl.h"
#include "evs_l3.h"
#include "evs_overlay.h"
#include "evs_tunnel.h"

#define OVL_NAME_LEN 32
/** Inbound SAs the SPI table holds: every VTEP's current one and the draining. */
#define OVL_TABLE_SAS (4u * EVS_OVERLAY_MAX_VTEPS)

/** A VTEP slot: its SAs as the datapath sees them. */
struct ovl_vtep {
	char name[OVL_NAME_LEN]; /**< "" when free */
	struct evs_sa *in;	 /**< current inbound (management lcore only) */
	struct evs_sa *out;	 /**< current outbound: RCU-published */
};

/** A replaced inbound SA still accepting the peer's packets. */
struct ovl_drain {
	struct evs_sa *sa;
	uint16_t vtep;
	uint64_t deadline_ms;
};

/** What a retired pointer is. */
enum ovl_kind { OVL_SA, OVL_TABLE, OVL_DP };

/** Something no reader may hold any more once @p token is quiescent. */
struct ovl_retire {
	void *p;
	enum ovl_kind kind;
	uint64_t token;
};

/** A tunnel port: one (tunnel, member VTEP). */
struct ovl_dp_port {
	struct evs_tun_encap encap;
	uint16_t sw, vtep, underlay_port;
	uint32_t vni;
	uint32_t owner; /**< (switch id << 16 | VTEP slot) + 1; 0: a free number */
	uint8_t type;	/**< enum evs_tun_type */
	bool encrypt;	/**< the switch's or the VTEP's policy */
	bool resolve;	/**< the next hop's MAC comes from ov->nh_mac[vtep] */
	bool enc_some;	/**< some ports of the switch encrypt (their frames are flagged) */
	bool src_tags;	/**< GENEVE with the source port's tags (ovl_encap_tagged) */
};

/** A tunnel's own options (overlay_opts.c). */
struct ovl_topts {
	uint8_t b[EVS_GENEVE_OPT_MAX]; /**< TLVs, wire format */
	uint16_t len;
	bool src_tags;
};

/** Port slots a port or tag policy can name (vNICs; tunnel ports are above). */
#define OVL_POL_SLOTS EVS_OVERLAY_PORT_SLOTS
/** The ports whose traffic is encrypted (overlay_policy.c). */
struct ovl_dp_pol {
	uint64_t enc[OVL_POL_SLOTS / 64];
	bool any;	 /**< some port is encrypted */
	bool configured; /**< some tunnel lists ports or tags (a port change rebuilds) */
};

#define OVL_ADDR_SLOTS (2u * EVS_OVERLAY_MAX_VTEPS)
/** Static MACs a tunnel member may list. */
#define OVL_MAX_MEMBER_MACS 256u

/** A static remote MAC: behind tunnel port @p tp of switch @p sw. */
struct ovl_dp_mac {
	struct rte_ether_addr mac;
	uint16_t sw, tp;
};

/** Outer source address -> VTEP slot (open addressing). */
struct ovl_addr_slot {
	struct evs_tun_addr a;
	uint16_t vtep; /**< UINT16_MAX: empty */
};

/** The neighbour table's port word: the underlay's port slot and, above
 *  it, its index in the table's locals, so that underlays sharing a port
 *  (other VLANs) keep their neighbours apart and probe in their own VLAN. */
#define OVL_NEIGH_PORT(slot, local) ((uint16_t)((slot) | (unsigned int)(local) << 10))
#define OVL_NEIGH_SLOT(word) ((uint16_t)((word)&0x3ff))
#define OVL_NEIGH_LOCAL(word) ((unsigned int)(word) >> 10)

/** How a VTEP's next-hop MAC is found: configured, or resolved with ARP/ND. */
struct ovl_dp_nh {
	bool resolve; /**< no MAC configured: ask the neighbour table */
	struct evs_l3_neigh_key
	    key; /**< whom (the VTEP or the underlay's next hop) on which port */
};

struct evs_overlay_dp {
	uint16_t n_ports, n_tunnels;
	struct ovl_dp_port *ports;
	struct evs_tun_decap decap;
	uint32_t *vnis;	      /**< sorted, [n_tunnels] (decap's list) */
	uint16_t *vni_tunnel; /**< the tunnel of vnis[i] */
	bool *tun_encrypt;    /**< [n_tunnels] */
	uint16_t *tport;      /**< [n_tunnels * EVS_OVERLAY_MAX_VTEPS]: port or UINT16_MAX */
	bool vtep_encrypt[EVS_OVERLAY_MAX_VTEPS];
	uint64_t underlay[EVS_OVERLAY_PORT_SLOTS / 64]; /**< port slots that are underlays */
	struct evs_tun_addr local[16];	     /**< the underlays' addresses (outer destinations) */
	uint16_t local_port[16];	     /**< their port slots */
	struct rte_ether_addr local_mac[16]; /**< and MACs */
	uint16_t local_vlan[16];	     /**< and VIDs (0: untagged) */
	uint8_t n_local;
	struct ovl_dp_nh nh[EVS_OVERLAY_MAX_VTEPS];
	uint16_t freed[EVS_OVERLAY_MAX_TPORTS]; /**< numbers the previous table used, this not */
	uint16_t n_freed;
	struct ovl_dp_mac *macs;  /**< the members' static MACs */
	struct ovl_dp_mac *stale; /**< the previous table's that this one has not */
	uint32_t n_macs, n_stale;
	struct ovl_addr_slot addr[OVL_ADDR_SLOTS];
	struct ovl_dp_pol pol;
	/* source tags (overlay_opts.c) */
	bool tags_on;			     /**< some tunnel sends source tags */
	bool tags_any;			     /**< and some port has tags: rx marks */
	uint64_t tagged[OVL_POL_SLOTS / 64]; /**< port slots with tags */
	struct evs_tun_xopt *src_opt;	     /**< [OVL_POL_SLOTS] when tags_on */
};

void ovl_dp_free(struct evs_overlay_dp *dp);

/* overlay_opts.c: GENEVE options from the store */
extern const struct evs_ctl_param ovl_option_item, ovl_class_item, ovl_critical_item;
/** A tunnel's options, classes and critical options: well-formed, fitting. */
int ovl_opts_check(const json_t *tv, const char *path, struct evs_ctl_err *err);
/** A (checked) tunnel's options. @return 0 or -errno. */
int ovl_opts_of(const json_t *tv, struct ovl_topts *t);
/** The host's decap: every tunnel's option classes and critical options. */
int ovl_opts_decap(struct evs_store *st, struct evs_tun_decap *d, struct evs_ctl_err *err);
/** Register the source slot field and the tagged flag. */
int ovl_tags_init(struct evs_overlay *ov);
/** The fw.ports' tag options, when dp->tags_on. */
int ovl_tags_build(struct evs_overlay *ov, struct evs_store *st, struct evs_overlay_dp *dp,
		   struct evs_ctl_err *err);
/** Encap of a source_tags tunnel port: each tagged frame with its port's option. */
uint16_t ovl_encap_tagged(const struct evs_overlay *ov, const struct evs_overlay_dp *dp,
			  const struct ovl_dp_port *p, struct rte_mbuf **pkts, uint16_t n,
			  const uint32_t *hashes, struct evs_overlay_stats *st);
/** Register the mbuf flags of the port policy. @return 0 or -errno. */
int ovl_policy_init(struct evs_overlay *ov);
/** Add tunnel @p tv's encrypted ports to @p pol; @p any: whether it has one. */
int ovl_policy_tunnel(struct evs_overlay *ov, struct evs_store *st, struct ovl_dp_pol *pol,
		      const json_t *tv, bool *any);
/** A tunnel's encrypt_ports: existing, once, no underlay. */
int ovl_policy_check(struct evs_store *st, const json_t *obj, const char *path,
		     struct evs_ctl_err *err);
/** Build the table of the store's post-transaction state into ov->staged_dp. */
int ovl_dp_stage(struct evs_overlay *ov, struct evs_store *st, struct evs_ctl_err *err);
void ovl_dp_commit(struct evs_overlay *ov);
void ovl_dp_abort(struct evs_overlay *ov);
void ovl_retire(struct evs_overlay *ov, void *p, enum ovl_kind kind);
/** The VTEP slot of outer address @p a, or UINT16_MAX. */
/** The "vtep" parameter (a remote host by name): sa, tunnel members, sa.rekey
 *  and sa.stats declare it alike. */
#define OVL_VTEP_PARAM                                                                             \
	{                                                                                          \
		.name = "vtep", .type = EVS_CTL_T_STRING, .required = true, .min_len = 1,          \
		.max_len = OVL_NAME_LEN - 1, .help = "the remote host"                             \
	}

/** The sa type's fields (overlay_schema.c): vtep, dir, then spi, key and
 *  salt together, which sa.rekey's "in" and "out" take by position. */
extern const struct evs_ctl_param ovl_sa_fields[];
#define OVL_SA_F_SPI 2	 /**< index of "spi" in ovl_sa_fields */
#define OVL_SA_F_REKEY 3 /**< spi, key, salt */

/**
 * Turn frame @p m, too big for a tunnel whose longest inner frame is
 * @p max_frame, into the ICMP/ICMPv6 error its sender needs, in place.
 * @return 0, or -EINVAL when none is due (not DF IPv4 or IPv6, a fragment,
 * multicast, an ICMP error, tagged, chained, no headroom): drop it then.
 */
int ovl_too_big(struct rte_mbuf *m, uint32_t max_frame);

/**
 * Whether tunnel port @p tp may send one more too-big ICMP error now (a
 * GCRA meter per port, shared by the lcores; any lcore).
 */
bool ovl_icmp_allow(const struct evs_overlay *ov, uint16_t tp);

/** ESP's most per packet: header and IV, 3 padding, pad length and next
 *  header, ICV, and a UDP header for ESP-in-UDP. */
#define OVL_ESP_OVERHEAD (EVS_ESP_HDR_LEN + 3 + 2 + EVS_ESP_ICV_LEN + 8)

uint16_t ovl_dp_vtep_of(const struct evs_overlay_dp *dp, const struct evs_tun_addr *a);
uint32_t ovl_addr_hash(const struct evs_tun_addr *a);

/** A NAT'd peer's address, learnt from its inbound SA's verified packets
 *  (overlay_natt.c); used while the VTEP's configured address is @p conf. */
struct ovl_peer {
	bool learnt;
	struct evs_tun_addr conf, now;
	uint64_t seen_seq;  /**< the inbound SA's evidence last looked at */
	uint64_t since_seq; /**< evidence older than the controller's last address */
	uint64_t moves;	    /**< times its packets came from a new address */
};

/** NAT-keepalives to one VTEP (RFC 3948 2.3; management lcore): one only
 *  after an interval in which no ESP went to the peer, which the outbound
 *  SA's sequence numbers tell (the PMDs already reserve them atomically, so
 *  the datapath writes nothing more for this). */
struct ovl_ka {
	uint32_t iv_ms;		 /**< 0: none */
	uint64_t next_ms;	 /**< due then, unless ESP goes to the peer first */
	const struct evs_sa *sa; /**< the outbound SA last looked at (NULL: none yet) */
	uint64_t seq_left;	 /**< its sequence numbers left then */
	uint64_t sent, unsent;	 /**< unsent: no SA, path or buffer when due */
};

/** What a NAT-keepalive frame carries. */
struct ovl_ka_frame {
	struct rte_ether_addr src, dst;
	uint16_t vlan; /**< 0: untagged */
	struct evs_tun_addr local, remote;
	uint16_t sport, dport;
};

/** Write a keepalive (one 0xFF byte in UDP) into empty @p m. @return 0 or -EINVAL. */
int ovl_keepalive_build(struct rte_mbuf *m, const struct ovl_ka_frame *f);
/** VTEP @p slot's address now: learnt from its packets, else @p vtep's configured one. */
void ovl_vtep_addr(const struct evs_overlay *ov, uint16_t slot, const json_t *vtep,
		   struct evs_tun_addr *a);
/** An outbound SA of VTEP @p slot committed (@p present) or gone: its keepalive interval. */
void ovl_natt_sa(struct evs_overlay *ov, uint16_t slot, const json_t *v, bool present);
/** VTEP @p slot deleted: forget what was learnt. */
void ovl_natt_vtep_gone(struct evs_overlay *ov, uint16_t slot);
/** VTEP @p slot's address set by the controller: what its SA saw so far is
 *  older than that word and is not followed; @p in_new: a new inbound SA
 *  (its own sequence numbers). */
void ovl_natt_evidence_reset(struct evs_overlay *ov, uint16_t slot, bool in_new);
/** Follow moved peers, send keepalives that are due (evs_overlay_poll). */
void ovl_natt_poll(struct evs_overlay *ov);
/** sa.stats' NAT part of VTEP @p slot. */
json_t *ovl_natt_json(const struct evs_overlay *ov, uint16_t slot);

/** One SA delta's staged work (prepare -> commit / abort). */
struct ovl_staged {
	struct evs_store_obj *obj;
	struct evs_sa *old, *new; /**< old: the object's SA now (NULL for ADD) */
	uint16_t vtep;
	bool inbound;
	bool drain; /**< old inbound keeps draining (a new SPI) */
};

struct evs_overlay {
	struct evs_overlay_config cfg;
	struct evs_store *store;      /**< the types' store (evs_overlay_store_add) */
	struct evs_obj_type types[4]; /**< the public types with this context's hooks */
	struct evs_sa_table *table;   /**< RCU-published */
	struct ovl_vtep vteps[EVS_OVERLAY_MAX_VTEPS];
	bool reserved[EVS_OVERLAY_MAX_VTEPS]; /**< slots taken by a transaction's new VTEPs */
	struct ovl_drain *drains;
	unsigned int n_drains, cap_drains;
	struct ovl_retire *retire;
	unsigned int n_retire, cap_retire;
	/* the open transaction's SA work */
	struct ovl_staged *staged;
	size_t n_staged;
	struct evs_sa_table *staged_table;
	struct evs_overlay_dp *dp;	  /**< RCU-published tunnel table */
	struct evs_overlay_dp *staged_dp; /**< the open transaction's */
	/* too-big ICMP meter per tunnel port: the earliest time (us) the next
	 * error conforms, less the burst's tolerance (ovl_icmp_allow) */
	uint64_t *icmp_tat;
	uint64_t icmp_iv_us, icmp_tol_us; /**< interval between errors, burst tolerance */
	/* underlay ARP/ND (overlay_neigh.c) */
	struct evs_l3_neigh_table *neigh;
	struct rte_ring *punt;		    /**< PMDs -> management: held frames, ARP/ND */
	uint64_t *nh_mac;		    /**< [VTEP]: its next hop (ovl_nh_pack), or 0 */
	uint64_t nh_gen;		    /**< the neighbour generation nh_mac follows */
	const struct evs_overlay_dp *nh_dp; /**< and the table */
	uint64_t next_tick_ms;
	uint64_t answered; /**< ARP requests / NS for our addresses answered */
	/* gratuitous ARP / unsolicited NA of each underlay address (overlay_neigh.c) */
	struct ovl_announce {
		struct evs_tun_addr a;
		struct rte_ether_addr mac;
		uint16_t port, vlan;
		uint8_t left;	  /**< announcements still to send */
		uint64_t next_ms; /**< when the next one is due */
	} ann[16];
	uint8_t n_ann;
	uint64_t announced; /**< announcements sent */
	struct evs_crypto_engine
	    *trace_ce;	    /**< flow.trace's (management lcore), made when needed */
	uint64_t f_encrypt; /**< mbuf flag: from a port whose traffic is encrypted */
	uint64_t f_clear;   /**< mbuf flag: arrived in a clear tunnel frame */
	uint64_t f_tagged;  /**< mbuf flag: from a port with tags; src_off holds its slot */
	int src_off;	    /**< mbuf dynamic field: the source port slot (uint16_t) */
	/** UDP ports inbound ESP-in-UDP SAs receive on (0: none); relaxed */
	uint16_t esp_ports[EVS_ESP_UDP_PORTS_MAX];
	/* NAT traversal (overlay_natt.c; management lcore) */
	struct ovl_peer peer[EVS_OVERLAY_MAX_VTEPS];
	struct ovl_ka ka[EVS_OVERLAY_MAX_VTEPS];
	uint64_t peer_rebuild_failed; /**< a moved peer's table not built (memory) */
};

/** A next-hop word: the MAC in its first 6 bytes (memory order), byte 7 set
 *  when valid: one relaxed 8-byte store publishes both. */
static inline uint64_t ovl_nh_pack(const struct rte_ether_addr *mac)
{
	uint64_t w = 0;

	memcpy(&w, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	((uint8_t *)&w)[7] = 1;
	return w;
}

static inline bool ovl_nh_valid(uint64_t w)
{
	return ((const uint8_t *)&w)[7] != 0;
}

/** What a punted mbuf is (in hash.fdir.hi's top half; the bottom: port or
 *  tp); the inject that sends a held frame again overwrites hash.usr, which is
 *  why the encap hashes the inner frame itself for the source port. */
enum ovl_punt { OVL_PUNT_HOLD = 1, OVL_PUNT_NEIGH = 2 };

int ovl_neigh_init(struct evs_overlay *ov);
void ovl_neigh_fini(struct evs_overlay *ov);
void ovl_neigh_poll(struct evs_overlay *ov);
/** Hand @p n frames of tunnel port @p tp to resolution (PMD). */
void ovl_neigh_hold(const struct evs_overlay *ov, uint16_t tp, struct rte_mbuf **pkts, uint16_t n,
		    struct evs_overlay_stats *st);
/** Hand @p n ARP/ND frames of underlay port @p port to the management lcore (PMD). */
void ovl_neigh_punt(const struct evs_overlay *ov, uint16_t port, struct rte_mbuf **pkts, uint16_t n,
		    struct evs_overlay_stats *st);

/** Whether frame @p m is ARP or an ICMPv6 NS/NA (untagged, or one 802.1Q tag:
 *  the underlay's VLAN is checked where it is handled). */
static inline bool ovl_is_neigh(const struct rte_mbuf *m)
{
	const uint8_t *b = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = m->data_len;

	if (len < 14)
		return false;
	if (b[12] == 0x81 && b[13] == 0x00 && len >= 18) {
		b += 4;
		len -= 4;
	}
	if (b[12] == 0x08 && b[13] == 0x06)
		return true;
	/* IPv6, next header ICMPv6 (no extension header before ND), type 135/136 */
	return b[12] == 0x86 && b[13] == 0xdd && len >= 14 + 40 + 4 && b[20] == 58 &&
	       (b[54] == 135 || b[54] == 136);
}

/* ---- receive side, shared by the burst (overlay_burst.c) and flow.trace
 * (overlay_trace.c) ---- */

/** Where the outer IP header starts (one 802.1Q tag allowed), for lib/crypto. */
static inline void ovl_outer_l2(struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	m->l2_len =
	    m->data_len >= sizeof(*eh) + 4 && eh->ether_type == RTE_BE16(RTE_ETHER_TYPE_VLAN)
		? sizeof(*eh) + 4
		: sizeof(*eh);
}

/** The VTEP slot of an ESP packet's outer source (its IP header checked by
 *  evs_esp_peek_spi), or UINT16_MAX. */
static inline uint16_t ovl_esp_source(const struct evs_overlay_dp *dp, const struct rte_mbuf *m)
{
	const uint8_t *l3 = rte_pktmbuf_mtod(m, const uint8_t *) + m->l2_len;
	struct evs_tun_addr a = {.family = 4};

	if ((l3[0] >> 4) == 6) {
		a.family = 6;
		memcpy(a.b, l3 + 8, 16);
	} else {
		memcpy(a.b, l3 + 12, 4);
	}
	return ovl_dp_vtep_of(dp, &a);
}

/** Whether ESP for @p sa may come from the outer source of VTEP @p src
 *  (UINT16_MAX: no VTEP's) before its ICV is checked: its own VTEP's
 *  address, or any for an ESP-in-UDP SA: a NAT'd peer's packets come from
 *  wherever its NAT puts them, the ICV decides and the address is then
 *  followed (overlay_natt.c). */
static inline bool ovl_esp_source_ok(const struct evs_sa *sa, uint16_t src)
{
	return evs_sa_owner(sa) == (uint32_t)src + 1u || evs_sa_udp_encap(sa);
}

/** What an underlay frame is (its outer header at m->l2_len): ESP (*spi
 *  set), or not, or a keepalive / IKE on an ESP-in-UDP port. */
static inline enum evs_esp_kind ovl_esp_kind(const struct evs_overlay *ov, const struct rte_mbuf *m,
					     uint32_t *spi)
{
	uint16_t ports[EVS_ESP_UDP_PORTS_MAX];

	for (unsigned int i = 0; i < EVS_ESP_UDP_PORTS_MAX; i++)
		ports[i] = __atomic_load_n(&ov->esp_ports[i], __ATOMIC_RELAXED);
	return evs_esp_classify(m, ports, EVS_ESP_UDP_PORTS_MAX, spi);
}

/** The drop of a frame on an ESP-in-UDP port that is not ESP. */
static inline enum evs_overlay_drop ovl_esp_kind_drop(enum evs_esp_kind k)
{
	return k == EVS_ESP_KIND_KEEPALIVE ? EVS_OVL_DROP_KEEPALIVE : EVS_OVL_DROP_NON_ESP;
}

/** Whether the outer destination is one of this host's underlay addresses. */
static inline bool ovl_for_us(const struct evs_overlay_dp *dp, const struct evs_tun_meta *m)
{
	uint64_t x, y;

	/* IPv4: the metadata's address is zero past its 4 bytes, as ours */
	memcpy(&x, m->dst, 8);
	memcpy(&y, m->dst + 8, 8);
	for (unsigned int u = 0; u < dp->n_local; u++) {
		uint64_t lx, ly;

		memcpy(&lx, dp->local[u].b, 8);
		memcpy(&ly, dp->local[u].b + 8, 8);
		if (dp->local[u].family == m->family && lx == x && ly == y)
			return true;
	}
	return false;
}

/**
 * Where decapsulated frame @p meta goes: EVS_OVL_DROP__MAX with *tp its
 * tunnel port, or why it is dropped. @p owner: 1 + the VTEP of the SA that
 * decrypted it (transport mode keeps the outer header, whose source
 * ovl_esp_source checked), 0 for a clear frame.
 */
static inline enum evs_overlay_drop ovl_rx_classify(const struct evs_overlay_dp *dp,
						    const struct evs_tun_meta *meta, uint32_t owner,
						    uint16_t *tp)
{
	struct evs_tun_addr src = {.family = meta->family};
	uint16_t vtep, tun = UINT16_MAX, lo = 0, hi = dp->n_tunnels;

	memcpy(src.b, meta->src, sizeof(src.b));
	if (src.family == 4)
		memset(src.b + 4, 0, 12);
	vtep = owner != 0 ? (uint16_t)(owner - 1) : ovl_dp_vtep_of(dp, &src);
	while (lo < hi) { /* the VNI passed the decap's list: it is there */
		uint16_t mid = (uint16_t)((lo + hi) / 2);

		if (dp->vnis[mid] < meta->vni)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < dp->n_tunnels && dp->vnis[lo] == meta->vni)
		tun = dp->vni_tunnel[lo];
	if (!ovl_for_us(dp, meta)) /* on a shared segment: another host's (flooded) */
		return EVS_OVL_DROP_NOT_FOR_US;
	if (vtep == UINT16_MAX)
		return EVS_OVL_DROP_UNKNOWN_VTEP;
	if (tun == UINT16_MAX ||
	    dp->tport[(size_t)tun * EVS_OVERLAY_MAX_VTEPS + vtep] == UINT16_MAX)
		return EVS_OVL_DROP_NOT_MEMBER;
	if (owner == 0 && (dp->vtep_encrypt[vtep] || dp->tun_encrypt[tun]))
		return EVS_OVL_DROP_CLEAR_REFUSED;
	*tp = dp->tport[(size_t)tun * EVS_OVERLAY_MAX_VTEPS + vtep];
	return EVS_OVL_DROP__MAX;
}

/** What ESP tunnel mode adds (an outer IPv4/IPv6 header) when VTEP
 *  @p vtep's outbound SA is in tunnel mode, else 0. */
unsigned int ovl_sa_outer_len(struct evs_store *st, const char *vtep, uint8_t family);

int ovl_hex(const char *s, uint8_t *out, size_t n);
int ovl_addr(const char *s, struct evs_tun_addr *a);
uint64_t ovl_now_ms(const struct evs_overlay *ov);

int ovl_underlay_check(struct evs_store *st, const json_t *obj, const char *path,
		       struct evs_ctl_err *err, void *ctx);
int ovl_vtep_check(struct evs_store *st, const json_t *obj, const char *path,
		   struct evs_ctl_err *err, void *ctx);
int ovl_tunnel_check(struct evs_store *st, const json_t *obj, const char *path,
		     struct evs_ctl_err *err, void *ctx);
int ovl_sa_check(struct evs_store *st, const json_t *obj, const char *path, struct evs_ctl_err *err,
		 void *ctx);

/** Hooks of the vtep and sa types (overlay_sa.c). */
extern const struct evs_store_ops ovl_vtep_ops, ovl_sa_ops;

#endif /* EVS_OVERLAY_PRIVATE_H */
