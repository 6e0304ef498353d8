/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef GEN_APP_H
#define GEN_APP_H

/*
 * edgevs-gen application internals: options, transmit/receive units, the
 * per-lcore loop, reports and the RFC 2544 search.
 *
 * Who calls what: gen_opts_*, gen_port_*, gen_run_create/free and the
 * report functions run on the main lcore before or after the datapath;
 * gen_lcore_loop runs on every datapath lcore (the main lcore too when it
 * is the only one) and is the only writer of the units it owns.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "evs_gen.h"

#define GEN_BURST_MAX 64
#define GEN_STREAMS_MAX 256
#define GEN_QUEUES_MAX 16

extern int gen_logtype;
#define GEN_LOG(level, ...) rte_log(RTE_LOG_##level, gen_logtype, "edgevs-gen: " __VA_ARGS__)

/** Set from the SIGINT/SIGTERM handler; loops stop transmitting when they see it. */
extern uint32_t gen_stop;

struct gen_opts {
	int tx_port; /* -1: none (sink only) */
	int rx_port; /* -1: none (generator only) */
	bool bidir;
	bool connect; /* TCP handshakes: the rx port answers SYNs, the tx port SYN-ACKs */
	uint16_t queues;
	struct evs_gen_mix mix;
	char mix_spec[128];
	struct evs_gen_flow_config flow;
	struct evs_gen_pkt_config pkt; /* MACs filled per port at run time */
	bool mac_set[RTE_MAX_ETHPORTS];
	struct rte_ether_addr mac[RTE_MAX_ETHPORTS]; /* source MAC of each port */
	bool dst_mac_set[RTE_MAX_ETHPORTS];
	struct rte_ether_addr dst_mac[RTE_MAX_ETHPORTS]; /* destination of frames sent by a port */
	uint64_t rate_pps;				 /* 0: unlimited; per direction */
	double duration_s;				 /* 0: until SIGINT */
	uint32_t drain_ms;
	uint16_t burst;
	uint16_t rxd, txd;
	uint32_t mbufs; /* 0: sized automatically */
	bool json;
	int progress; /* -1: when stdout is a terminal */
	bool learn;
	uint32_t learn_wait_ms;
	uint32_t sample_max;
	uint32_t rx_check; /* decode one received frame in rx_check (a power of two) */
	bool rx_opaque;	   /* decode none: count every received frame by port */
	bool inner_size;   /* sizes count the inner frame of a tunnel */
	double link_wait_s;
	bool rfc2544;
	double loss_tol; /* ratio */
	double trial_s;
	double resolution; /* ratio of the rate */
	unsigned int max_trials;
};

/** Parse the application arguments (after EAL's). 0, or -EINVAL after printing why. */
int gen_opts_parse(struct gen_opts *o, int argc, char **argv);
/** Usage text. */
void gen_opts_usage(FILE *f, const char *prog);
/** Fill the defaults that depend on the ports (MACs). */
void gen_opts_resolve_macs(struct gen_opts *o);

/* Live counters: single writer (the owning lcore) using relaxed stores, so
 * the main lcore can read whole values for the progress line. */
static inline void gen_ctr_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, *c + v, __ATOMIC_RELAXED);
}

struct gen_tx {
	uint16_t port;
	uint16_t queue;
	uint8_t stream;
	bool reverse; /* swap addresses and ports: the B->A direction */
	const struct evs_gen_builder *b;
	const struct evs_gen_hdr_cache *hc; /* NULL: headers built per frame */
	const struct evs_gen_flows *flows;
	const struct evs_gen_mix *mix;
	struct rte_mempool *pool;
	uint16_t burst;
	uint64_t pps; /* 0: unlimited */
	uint64_t hz;  /* TSC cycles per second */
	uint64_t t0;
	uint64_t built;
	struct evs_gen_flow_iter it;
	uint32_t first_flow;
	uint32_t mix_pos;
	uint32_t seq;
	uint16_t fixed_len; /* the length of every frame, 0 with a mix (pend_len) */
	uint16_t npend;	    /* built, not yet taken by the port: pend[0..npend) */
	struct rte_mbuf *pend[GEN_BURST_MAX];
	uint32_t pend_flow[GEN_BURST_MAX];
	uint16_t pend_len[GEN_BURST_MAX]; /* with fixed_len 0 only */
	/* live */
	uint64_t pkts;
	uint64_t bytes; /* without FCS */
	uint64_t alloc_fail;
	uint64_t refused; /* bursts the port took only part of: back-pressure */
	struct evs_gen_sample sample;
} __rte_cache_aligned;

struct gen_rx {
	uint16_t port;
	uint16_t queue;
	uint16_t burst;
	uint32_t check_mask; /* rx_check - 1 */
	bool opaque;	     /* --rx-opaque: count by port, decode nothing */
	enum gen_rx_role { GEN_RX_SINK, GEN_RX_RESPONDER, GEN_RX_INITIATOR } role;
	uint32_t check_pos; /* frames received so far, for the sample position */
	/* live */
	uint64_t pkts;		 /* everything received */
	uint64_t unchecked;	 /* frames not decoded (--rx-check): counted by port */
	uint64_t answered;	 /* --connect: SYN-ACKs (responder) or ACKs (initiator) sent */
	uint64_t acks;		 /* --connect, responder: handshakes completed */
	uint64_t answer_refused; /* answers still waiting when the run ended */
	uint16_t napend;	 /* --connect: answers waiting for room on the port */
	struct rte_mbuf *apend[2 * GEN_BURST_MAX];
	uint64_t ours; /* frames with a stamp */
	uint64_t ours_bytes;
	struct evs_gen_hist hist; /* latency, TSC cycles */
	/* read after the run */
	uint64_t stream_pkts[GEN_STREAMS_MAX];
	struct evs_gen_reorder ro[GEN_STREAMS_MAX];
	struct evs_gen_sample sample;
} __rte_cache_aligned;

struct gen_run;

struct gen_lcore {
	unsigned int lcore_id;
	bool is_main;
	unsigned int ntx, nrx;
	struct gen_tx *tx[2 * GEN_QUEUES_MAX];
	struct gen_rx *rx[2 * GEN_QUEUES_MAX];
	uint64_t tx_stopped;  /* TSC when this lcore stopped transmitting */
	uint64_t busy_cycles; /* of the transmit window, in iterations that moved frames */
	struct gen_run *run;
};

/** Totals of one direction (tx port -> rx port) or of everything. */
struct gen_dir {
	int tx_port, rx_port;
	uint64_t tx_pkts, tx_bytes, rx_pkts, rx_bytes;
	uint64_t lost, reordered, alloc_fail;
	double tx_mpps, rx_mpps, tx_gbps, rx_gbps, tx_gbps_l1, rx_gbps_l1, loss_ratio;
	struct evs_gen_hist *lat;
	uint32_t flows_sampled, flows_sample_sent, flows_sample_missing;
	bool flows_checked; /* every received frame was decoded */
};

struct gen_result {
	double duration_s;  /* transmit window */
	double offered_pps; /* 0: unlimited */
	unsigned int ndir;
	struct gen_dir dir[2];
	struct gen_dir all;
	uint64_t rx_foreign;
	double gen_busy_pct; /* busiest datapath lcore's busy share of the window */
	uint64_t synack_sent, ack_sent, conns, answer_refused; /* --connect */
	uint64_t tx_refused; /* bursts the ports took only part of */
};

struct gen_run {
	const struct gen_opts *o;
	uint64_t hz;
	uint64_t t_start, tx_end, rx_end, drain_cycles;
	unsigned int ntx, nrx, nlc;
	struct gen_tx *tx;
	struct gen_rx *rx;
	struct gen_lcore lc[RTE_MAX_LCORE];
	bool main_datapath;
	uint32_t running; /* datapath lcores still in their loop */
	struct evs_gen_builder *b[2];
	struct evs_gen_hdr_cache *hc[2]; /* per direction, where one size of UDP allows it */
	struct evs_gen_flows flows;
	struct rte_mempool *pool;    /* receive queues, learning frames */
	struct rte_mempool *tx_pool; /* transmit: every buffer prefilled */
	/* progress */
	bool progress;
	uint64_t next_tick, last_tick, last_tx, last_rx, last_txb, last_rxb;
	struct evs_gen_hist *snap;
};

/** Allocate units and builders and spread units over lcores. NULL + errno. */
struct gen_run *gen_run_create(const struct gen_opts *o, struct rte_mempool *pool);
void gen_run_free(struct gen_run *run);
/** Send learning frames from every receiving port and drain. */
void gen_run_learn(struct gen_run *run);
/**
 * One measurement: transmit for @p duration_s (0: until SIGINT) at @p pps
 * per transmit port (0: unlimited), then drain, then fill @p res.
 * @return 0, or -EINTR when SIGINT cut it short (res still filled).
 */
int gen_run_trial(struct gen_run *run, uint64_t pps, double duration_s, struct gen_result *res);
void gen_result_free(struct gen_result *res);

/** Datapath loop of one lcore (rte_eal_remote_launch entry). */
int gen_lcore_loop(void *arg);
/** Progress line; called once a second by the main lcore. */
void gen_progress_tick(struct gen_run *run, uint64_t now);

/** Port set-up and teardown. */
struct rte_mempool *gen_pool_create(const struct gen_opts *o);
int gen_ports_start(const struct gen_opts *o, struct rte_mempool *pool);
void gen_ports_stop(const struct gen_opts *o);

/** Human-readable summary to @p f. */
void gen_report_text(FILE *f, const struct gen_run *run, const struct gen_result *res);
/** The result as a JSON object (jansson json_t *, owned by the caller). */
void *gen_report_json(const struct gen_run *run, const struct gen_result *res);
/** Print JSON and free it. */
void gen_json_dump(void *json);

/** RFC 2544 throughput search; prints its own report. 0 or -errno. */
int gen_rfc2544(struct gen_run *run);

#endif /* GEN_APP_H */
