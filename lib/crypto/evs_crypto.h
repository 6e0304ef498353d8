/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_CRYPTO_H
#define EVS_CRYPTO_H

/**
 * @file
 * ESP (RFC 4303) with AES-GCM-128/256 (RFC 4106) on Intel IPsec-MB, in
 * bursts: security associations, anti-replay windows, and encrypt/decrypt
 * of whole mbuf bursts through IPsec-MB's job API (all jobs submitted, then
 * flushed; never one synchronous call per packet).
 *
 * What: an SA (struct evs_sa) holds the SPI, the key schedule, the 4-byte
 * salt, the direction, the sequence state (outbound: next number; inbound:
 * the replay window) and per-engine counters. Packets are protected in
 * transport mode (ESP between the IP header and its payload, the layout of
 * a Linux xfrm transport SA on a tunnel's UDP) or tunnel mode (a new outer
 * IP header), optionally inside UDP (RFC 3948 NAT traversal). The nonce is
 * salt || IV and the IV is the 64-bit sequence number, unique per key.
 *
 * A packet starts at its IP header, m->l2_len bytes into the mbuf (0 for a
 * bare IP packet); whatever precedes it (an Ethernet header) is kept, and in
 * tunnel mode its last two bytes (the EtherType) follow the outer family.
 * Only single-segment mbufs are handled (others are dropped and counted).
 *
 * Thread-safety: SAs are created and freed on the management lcore (free
 * only after a grace period in which no engine can still use it). An engine
 * (struct evs_crypto_engine) belongs to one lcore. An outbound SA may be used
 * by several engines at once (sequence numbers are reserved with one atomic
 * per burst); an inbound SA's window has a single writer, so all packets of
 * one inbound SA must be decrypted by one engine at a time. Counters are per
 * engine slot and summed by evs_sa_stats_get on any lcore.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest anti-replay window (packets). */
#define EVS_REPLAY_WINDOW_MAX 4096u
/** Window used when the configuration says 0. */
#define EVS_REPLAY_WINDOW_DEFAULT 1024u
/** ICV length (RFC 4106: 16 bytes; the 8/12-byte variants are not offered). */
#define EVS_ESP_ICV_LEN 16u
/** ESP header (SPI + sequence) plus the 8-byte IV. */
#define EVS_ESP_HDR_LEN 16u
/** Default UDP port of ESP-in-UDP (RFC 3948). */
#define EVS_ESP_UDP_PORT 4500u
/** Most engines that may run at once (one per lcore: the daemon's 32 PMDs
 *  and its management lcore fit; each SA keeps a counter slot per engine). */
#define EVS_CRYPTO_MAX_ENGINES 64u

/* ------------------------------------------------------------------ */
/* Anti-replay window                                                  */
/* ------------------------------------------------------------------ */

/**
 * A sliding window over 64-bit sequence numbers (RFC 4303 3.4.3, bitmap in
 * 64-bit blocks as in RFC 6479 so that advancing clears whole words).
 * Sequence 0 is never valid. Single writer.
 */
struct evs_replay {
	uint64_t top;	    /**< highest sequence accepted so far (0: none) */
	uint32_t window;    /**< packets below top that may still arrive */
	uint32_t word_mask; /**< blocks in the ring - 1 (a power of two) */
	uint64_t bits[128]; /**< ring of 64-bit blocks, (window / 64 + 1) used */
};

/**
 * Start an empty window of @p window packets (0: the default).
 * @return 0, or -EINVAL if @p window exceeds EVS_REPLAY_WINDOW_MAX.
 */
int evs_replay_init(struct evs_replay *r, uint32_t window);

/**
 * Whether @p seq may be accepted: newer than the top, or inside the window
 * and not seen. Changes nothing (RFC 4303: the window moves only after the
 * ICV verified). @return true if acceptable.
 */
static inline bool evs_replay_check(const struct evs_replay *r, uint64_t seq)
{
	if (seq == 0)
		return false;
	if (seq > r->top)
		return true;
	if (r->top - seq >= r->window)
		return false;
	return !(r->bits[(seq >> 6) & r->word_mask] & (1ull << (seq & 63)));
}

/**
 * Check @p seq and, if acceptable, record it (advancing the top).
 * @return true if it was accepted.
 */
static inline bool evs_replay_accept(struct evs_replay *r, uint64_t seq)
{
	if (!evs_replay_check(r, seq))
		return false;
	if (seq > r->top) {
		uint64_t from = r->top >> 6, n = (seq >> 6) - from;

		/* Clear the blocks the top moves into (all of them on a big jump);
		 * none while it stays in its block, the common case. */
		if (n > (uint64_t)r->word_mask + 1)
			n = (uint64_t)r->word_mask + 1;
		for (uint64_t i = 1; i <= n; i++)
			r->bits[(from + i) & r->word_mask] = 0;
		r->top = seq;
	}
	r->bits[(seq >> 6) & r->word_mask] |= 1ull << (seq & 63);
	return true;
}

/**
 * The full 64-bit sequence number of an ESN packet whose low half is
 * @p seq_lo, guessed from the window (RFC 4303 Appendix A2.2).
 */
uint64_t evs_replay_esn_infer(const struct evs_replay *r, uint32_t seq_lo);

/* ------------------------------------------------------------------ */
/* Security associations                                               */
/* ------------------------------------------------------------------ */

/** Which way an SA protects. */
enum evs_sa_dir {
	EVS_SA_OUTBOUND = 0,
	EVS_SA_INBOUND = 1,
};

/** ESP mode. */
enum evs_esp_mode {
	EVS_ESP_TRANSPORT = 0, /**< ESP after the packet's IP header */
	EVS_ESP_TUNNEL = 1,    /**< the packet inside a new outer IP header */
};

/** Why an SA dropped a packet (counted per SA). */
enum evs_esp_drop {
	EVS_ESP_DROP_AUTH = 0,	    /**< ICV mismatch */
	EVS_ESP_DROP_REPLAY,	    /**< sequence seen or left of the window */
	EVS_ESP_DROP_SEQ_EXHAUSTED, /**< outbound sequence space used up (rekey) */
	EVS_ESP_DROP_MALFORMED,	    /**< truncated or inconsistent headers */
	EVS_ESP_DROP_TRAILER,	    /**< bad padding, pad length or next header */
	EVS_ESP_DROP_NO_ROOM,	    /**< not enough head/tailroom, or too long */
	EVS_ESP_DROP_UNSUPPORTED,   /**< fragment, IPv6 extension header, chained mbuf */
	EVS_ESP_DROP_WRONG_SA,	    /**< SPI, direction or encapsulation not this SA's */
	EVS_ESP_DROP_ENGINE,	    /**< IPsec-MB rejected the job */
	EVS_ESP_DROP__MAX,
};

/** Name of a drop reason ("auth", "replay", ...). */
const char *evs_esp_drop_name(enum evs_esp_drop reason);

/** Address of a tunnel-mode endpoint (wire order). */
struct evs_esp_addr {
	uint8_t family; /**< 4 or 6 */
	uint8_t b[16];	/**< IPv4 in the first 4 bytes */
};

/** What an SA is. Keys are copied; the caller wipes its own copy. */
struct evs_sa_config {
	uint32_t spi; /**< host order; 1..255 are reserved (RFC 4303) */
	enum evs_sa_dir dir;
	enum evs_esp_mode mode;
	uint8_t key[32];	/**< AES key */
	uint8_t key_len;	/**< 16 or 32 */
	uint8_t salt[4];	/**< RFC 4106 salt (the nonce's first 4 bytes) */
	bool esn;		/**< 64-bit extended sequence numbers */
	uint32_t replay_window; /**< inbound: 0 = default, at most 4096 */
	uint64_t first_seq;	/**< outbound: first number to send (0 = 1) */
	bool udp_encap;		/**< ESP-in-UDP (RFC 3948) */
	uint16_t udp_sport;	/**< outbound source port (0 = 4500) */
	uint16_t udp_dport;	/**< destination port (0 = 4500); inbound: expected */
	/** tunnel mode, outbound: outer source and destination; both family 0:
	 *  the inner header's own (a tunnel between the inner packet's hosts,
	 *  e.g. an overlay's underlay addresses; the outer family follows) */
	struct evs_esp_addr tun_src;
	struct evs_esp_addr tun_dst; /**< see tun_src */
	uint32_t owner;		     /**< the creator's word, read back by evs_sa_owner */
};

/** Counters of one SA (summed over engines). */
struct evs_sa_stats {
	uint64_t packets;  /**< protected or verified */
	uint64_t bytes;	   /**< payload bytes protected or verified */
	uint64_t last_seq; /**< outbound: last sent; inbound: highest accepted */
	uint64_t drops[EVS_ESP_DROP__MAX];
};

struct evs_sa;

/**
 * Create an SA (management lcore; needs EAL memory).
 * @return the SA, or NULL with errno: EINVAL (bad SPI, key length, mode,
 * window, addresses), ENOMEM.
 */
struct evs_sa *evs_sa_create(const struct evs_sa_config *conf);

/** Wipe and free an SA; NULL is accepted. No engine may still use it. */
void evs_sa_free(struct evs_sa *sa);

/** The SA's SPI (host order). */
uint32_t evs_sa_spi(const struct evs_sa *sa);

/** The config's owner word (e.g. which peer the SA belongs to; any lcore). */
uint32_t evs_sa_owner(const struct evs_sa *sa);

/** Sequence numbers an outbound SA can still send before it must be rekeyed. */
uint64_t evs_sa_seq_remaining(const struct evs_sa *sa);

/** ESP-in-UDP: the UDP source port of the newest verified packet of an
 *  inbound SA (host order; 0: none yet, or not ESP-in-UDP). Any lcore. */
uint16_t evs_sa_udp_peer_port(const struct evs_sa *sa);

/**
 * ESP-in-UDP: the source address of the newest verified packet of an
 * inbound SA (a NAT in front of the peer may have changed it). Any lcore.
 * @return 0, or -ENOENT: none yet (or not ESP-in-UDP).
 */
int evs_sa_udp_peer_addr(const struct evs_sa *sa, struct evs_esp_addr *a);

/** ESP-in-UDP: the sequence number of the packet the peer's port and
 *  address were last read from (0: none). Any lcore. */
uint64_t evs_sa_udp_peer_seq(const struct evs_sa *sa);

/** ESP-in-UDP: the destination port an outbound SA sends to now (host order). */
uint16_t evs_sa_udp_dport(const struct evs_sa *sa);

/** ESP-in-UDP: an outbound SA's source port (host order). */
uint16_t evs_sa_udp_sport(const struct evs_sa *sa);

/** The destination port it was created with (evs_sa_config.udp_dport or 4500). */
uint16_t evs_sa_udp_dport_configured(const struct evs_sa *sa);

/**
 * Send an outbound ESP-in-UDP SA's packets to @p port from now on (NAT
 * traversal: the port its peer's packets arrive from). Any lcore: one
 * relaxed store that the encrypting lcores read per packet.
 */
void evs_sa_set_udp_dport(struct evs_sa *sa, uint16_t port);

/**
 * Outbound ESP-in-UDP over IPv6: leave the UDP checksum zero (@p zero) or
 * compute it (the default). RFC 6935/6936 allow zero for tunnels (the ICV
 * covers the datagram) when the peer accepts it (Linux: UDP_NO_CHECK6_RX on
 * its encapsulation socket). IPv4 is always zero (RFC 3948 2.1). Any lcore:
 * one relaxed store that the encrypting lcores read per burst.
 */
void evs_sa_set_udp_zero_csum6(struct evs_sa *sa, bool zero);

/** Whether the SA carries ESP in UDP, and its mode. */
bool evs_sa_udp_encap(const struct evs_sa *sa);
enum evs_esp_mode evs_sa_mode(const struct evs_sa *sa);

/** Sum the SA's counters (any lcore; relaxed reads). */
void evs_sa_stats_get(const struct evs_sa *sa, struct evs_sa_stats *out);

/* ------------------------------------------------------------------ */
/* Engines and bursts                                                  */
/* ------------------------------------------------------------------ */

/** Counters of an engine: drops before an SA was known. */
struct evs_crypto_engine_stats {
	uint64_t no_sa; /**< decrypt: no SA given for the packet */
};

struct evs_crypto_engine;

/**
 * Create an engine for the calling lcore: an IPsec-MB manager on the best
 * instruction set this CPU has, and a counter slot.
 * @return the engine, or NULL with errno: ENOSPC (EVS_CRYPTO_MAX_ENGINES in
 * use), ENOMEM, ENOTSUP (IPsec-MB refused this CPU).
 */
struct evs_crypto_engine *evs_crypto_engine_create(void);

/** Free an engine; NULL is accepted. */
void evs_crypto_engine_free(struct evs_crypto_engine *e);

/** IPsec-MB's name of the instruction set in use ("AVX2", "SSE", ...). */
const char *evs_crypto_engine_arch(const struct evs_crypto_engine *e);

/** Read an engine's counters (any lcore; relaxed reads). */
void evs_crypto_engine_stats_get(const struct evs_crypto_engine *e,
				 struct evs_crypto_engine_stats *out);

/**
 * Encrypt @p n packets with outbound SA @p sa, in place.
 *
 * @return k, the number protected: pkts[0..k) are they, in their order;
 * pkts[k..n) are the rejected ones (not freed; each counted in the SA's
 * drops), also in their order.
 */
uint16_t evs_esp_encrypt_burst(struct evs_crypto_engine *e, struct evs_sa *sa,
			       struct rte_mbuf **pkts, uint16_t n);

/**
 * Verify and decrypt @p n packets in place, packet i with inbound SA
 * @p sas[i] (the caller's SPI lookup: evs_esp_peek_spi; NULL drops it on the
 * engine's no_sa counter). Replay is checked before and after the ICV; the
 * window moves only for verified packets.
 *
 * @return k as for evs_esp_encrypt_burst: pkts[0..k) decrypted, pkts[k..n)
 * rejected and counted. @p sas is reordered along with @p pkts.
 */
uint16_t evs_esp_decrypt_burst(struct evs_crypto_engine *e, struct evs_sa **sas,
			       struct rte_mbuf **pkts, uint16_t n);

/**
 * What evs_esp_decrypt_burst would do to @p m with @p sa, for a trace
 * (flow.trace): the same checks (headers, replay window, ICV, trailer) and
 * the packet opened in place, but the window does not move and nothing is
 * counted. @p e: the calling lcore's engine. *seq: the packet's sequence
 * number (0 if not reached).
 * @return 0 (m decrypted), or -EBADMSG with *why set.
 */
int evs_esp_decrypt_trace(struct evs_crypto_engine *e, const struct evs_sa *sa, struct rte_mbuf *m,
			  uint64_t *seq, enum evs_esp_drop *why);

/**
 * The SPI of an ESP packet (at m->l2_len): IP protocol 50, or UDP to
 * @p udp_port (0: ESP-in-UDP not accepted) without the IKE marker.
 * @return 0 with *spi in host order, -EINVAL if it is not ESP, -EPROTO if
 * truncated.
 */
int evs_esp_peek_spi(const struct rte_mbuf *m, uint16_t udp_port, uint32_t *spi);

/** What a packet on an ESP-in-UDP port is (RFC 3948), evs_esp_classify's answer. */
enum evs_esp_kind {
	EVS_ESP_KIND_ESP = 0,	/**< ESP (protocol 50, or in UDP to one of the ports) */
	EVS_ESP_KIND_OTHER,	/**< not ESP, nor UDP to an ESP-in-UDP port */
	EVS_ESP_KIND_KEEPALIVE, /**< a NAT-keepalive: one byte 0xFF (RFC 3948 2.3) */
	EVS_ESP_KIND_NON_ESP,	/**< the non-ESP marker (IKE, RFC 3948 2.2): not ours */
	EVS_ESP_KIND_MALFORMED, /**< truncated, or UDP to the port that is none of these */
};

/** Most ESP-in-UDP receive ports evs_esp_classify takes. */
#define EVS_ESP_UDP_PORTS_MAX 4u

/**
 * evs_esp_peek_spi for a receive path with @p n_ports ESP-in-UDP ports
 * (@p ports, host order; a 0 entry is none): tells keepalives and IKE apart.
 * @return the kind; *spi (host order) set for EVS_ESP_KIND_ESP.
 */
enum evs_esp_kind evs_esp_classify(const struct rte_mbuf *m, const uint16_t *ports,
				   unsigned int n_ports, uint32_t *spi);

/* ------------------------------------------------------------------ */
/* Inbound SPI table                                                   */
/* ------------------------------------------------------------------ */

/**
 * Inbound SAs by SPI, for evs_esp_decrypt_burst's sas[]. During a rekey the
 * old and the new inbound SA are both in it (make-before-break).
 *
 * Thread-safety: one writer (the management lcore: create, add, del, copy,
 * free); lookups on any lcore concurrently, lock-free. An SA deleted from
 * the table may still be in use by a reader until the next RCU grace
 * period: free it (evs_sa_free) only after one. Deleted slots are reused but
 * slow the probes; when evs_sa_table_needs_rebuild says so, publish a copy
 * (evs_sa_table_copy) with RCU and free the old table after a grace period.
 */
struct evs_sa_table;

/**
 * A table for up to @p max_sas inbound SAs (twice as many slots).
 * @return the table, or NULL with errno EINVAL (0 or over 2^24), ENOMEM.
 */
struct evs_sa_table *evs_sa_table_create(uint32_t max_sas);

/** Free a table (not its SAs); NULL is accepted. */
void evs_sa_table_free(struct evs_sa_table *t);

/**
 * Add an inbound SA under its SPI.
 * @return 0, -EINVAL (NULL or outbound), -EEXIST (SPI present), -ENOSPC.
 */
int evs_sa_table_add(struct evs_sa_table *t, struct evs_sa *sa);

/** Remove the SA of @p spi. @return 0 or -ENOENT. */
int evs_sa_table_del(struct evs_sa_table *t, uint32_t spi);

/** The SA of @p spi, or NULL (any lcore). */
struct evs_sa *evs_sa_table_lookup(const struct evs_sa_table *t, uint32_t spi);

/** SAs held. */
uint32_t evs_sa_table_count(const struct evs_sa_table *t);

/** Whether deleted slots have piled up enough to publish a fresh copy. */
bool evs_sa_table_needs_rebuild(const struct evs_sa_table *t);

/**
 * A fresh table for up to @p max_sas holding the same SAs (no deleted slots).
 * @return the copy, or NULL with errno ENOSPC (too small), EINVAL, ENOMEM.
 */
struct evs_sa_table *evs_sa_table_copy(const struct evs_sa_table *t, uint32_t max_sas);

/**
 * Fill @p sas[i] with the SA of packet i's SPI (NULL: not ESP for
 * @p udp_port, or unknown SPI), ready for evs_esp_decrypt_burst.
 * @return how many were found.
 */
uint16_t evs_esp_lookup_burst(const struct evs_sa_table *t, struct rte_mbuf **pkts, uint16_t n,
			      uint16_t udp_port, struct evs_sa **sas);

/* ------------------------------------------------------------------ */
/* Raw AES-GCM (the primitive under ESP; for tests and benchmarks)     */
/* ------------------------------------------------------------------ */

/** One AEAD operation of a burst. */
struct evs_gcm_op {
	const uint8_t *nonce; /**< 12 bytes */
	const uint8_t *aad;
	uint32_t aad_len; /**< at most 16 (ESP uses 8 or 12) */
	const uint8_t *src;
	uint8_t *dst; /**< may equal src */
	uint32_t len;
	uint8_t *tag; /**< 16 bytes: written (encrypt) or computed (decrypt) */
};

/**
 * Run @p n AES-GCM operations with the key of @p sa through the job API.
 * Decrypt computes the tag into op->tag; the caller compares.
 * @return the number completed (all, unless IPsec-MB rejected a job).
 */
uint16_t evs_gcm_burst(struct evs_crypto_engine *e, const struct evs_sa *sa, bool encrypt,
		       const struct evs_gcm_op *ops, uint16_t n);

#ifdef __cplusplus
}
#endif

#endif /* EVS_CRYPTO_H */
