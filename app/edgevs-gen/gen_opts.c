/* SPDX-License-Identifier: BSD-3-Clause */
/* Command-line options of edgevs-gen (the part after EAL's "--"). */

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gen_app.h"

enum {
	OPT_TX_PORT = 256,
	OPT_RX_PORT,
	OPT_BIDIR,
	OPT_CONNECT,
	OPT_QUEUES,
	OPT_SIZE,
	OPT_IMIX,
	OPT_FLOWS,
	OPT_FLOW_ORDER,
	OPT_SRC_IP,
	OPT_DST_IP,
	OPT_SPORT,
	OPT_DPORT,
	OPT_SPORT_RANGE,
	OPT_SIP_RANGE,
	OPT_DPORT_RANGE,
	OPT_DIP_RANGE,
	OPT_PROTO,
	OPT_VLAN,
	OPT_ENCAP,
	OPT_VNI,
	OPT_OUTER_SRC_IP,
	OPT_OUTER_DST_IP,
	OPT_INNER_SRC_MAC,
	OPT_INNER_DST_MAC,
	OPT_INNER_SIZE,
	OPT_PORT_MAC,
	OPT_DST_MAC,
	OPT_TTL,
	OPT_TOS,
	OPT_RATE,
	OPT_DURATION,
	OPT_DRAIN,
	OPT_BURST,
	OPT_RXD,
	OPT_TXD,
	OPT_MBUFS,
	OPT_JSON,
	OPT_PROGRESS,
	OPT_NO_PROGRESS,
	OPT_NO_LEARN,
	OPT_LEARN_WAIT,
	OPT_SAMPLE,
	OPT_RX_CHECK,
	OPT_RX_OPAQUE,
	OPT_LINK_WAIT,
	OPT_RFC2544,
	OPT_LOSS_TOL,
	OPT_TRIAL,
	OPT_RESOLUTION,
	OPT_MAX_TRIALS,
	OPT_HELP,
};

static const struct option long_opts[] = {
    {"tx-port", required_argument, NULL, OPT_TX_PORT},
    {"rx-port", required_argument, NULL, OPT_RX_PORT},
    {"bidir", no_argument, NULL, OPT_BIDIR},
    {"connect", no_argument, NULL, OPT_CONNECT},
    {"queues", required_argument, NULL, OPT_QUEUES},
    {"size", required_argument, NULL, OPT_SIZE},
    {"imix", optional_argument, NULL, OPT_IMIX},
    {"flows", required_argument, NULL, OPT_FLOWS},
    {"flow-order", required_argument, NULL, OPT_FLOW_ORDER},
    {"src-ip", required_argument, NULL, OPT_SRC_IP},
    {"dst-ip", required_argument, NULL, OPT_DST_IP},
    {"sport", required_argument, NULL, OPT_SPORT},
    {"dport", required_argument, NULL, OPT_DPORT},
    {"sport-range", required_argument, NULL, OPT_SPORT_RANGE},
    {"sip-range", required_argument, NULL, OPT_SIP_RANGE},
    {"dport-range", required_argument, NULL, OPT_DPORT_RANGE},
    {"dip-range", required_argument, NULL, OPT_DIP_RANGE},
    {"proto", required_argument, NULL, OPT_PROTO},
    {"vlan", required_argument, NULL, OPT_VLAN},
    {"encap", required_argument, NULL, OPT_ENCAP},
    {"vni", required_argument, NULL, OPT_VNI},
    {"outer-src-ip", required_argument, NULL, OPT_OUTER_SRC_IP},
    {"outer-dst-ip", required_argument, NULL, OPT_OUTER_DST_IP},
    {"inner-src-mac", required_argument, NULL, OPT_INNER_SRC_MAC},
    {"inner-dst-mac", required_argument, NULL, OPT_INNER_DST_MAC},
    {"port-mac", required_argument, NULL, OPT_PORT_MAC},
    {"dst-mac", required_argument, NULL, OPT_DST_MAC},
    {"ttl", required_argument, NULL, OPT_TTL},
    {"tos", required_argument, NULL, OPT_TOS},
    {"rate", required_argument, NULL, OPT_RATE},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"drain", required_argument, NULL, OPT_DRAIN},
    {"burst", required_argument, NULL, OPT_BURST},
    {"rxd", required_argument, NULL, OPT_RXD},
    {"txd", required_argument, NULL, OPT_TXD},
    {"mbufs", required_argument, NULL, OPT_MBUFS},
    {"json", no_argument, NULL, OPT_JSON},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
    {"no-learn", no_argument, NULL, OPT_NO_LEARN},
    {"learn-wait", required_argument, NULL, OPT_LEARN_WAIT},
    {"sample-flows", required_argument, NULL, OPT_SAMPLE},
    {"rx-check", required_argument, NULL, OPT_RX_CHECK},
    {"rx-opaque", no_argument, NULL, OPT_RX_OPAQUE},
    {"inner-size", no_argument, NULL, OPT_INNER_SIZE},
    {"link-wait", required_argument, NULL, OPT_LINK_WAIT},
    {"rfc2544", no_argument, NULL, OPT_RFC2544},
    {"loss-tolerance", required_argument, NULL, OPT_LOSS_TOL},
    {"trial", required_argument, NULL, OPT_TRIAL},
    {"resolution", required_argument, NULL, OPT_RESOLUTION},
    {"max-trials", required_argument, NULL, OPT_MAX_TRIALS},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

void gen_opts_usage(FILE *f, const char *prog)
{
	fprintf(
	    f,
	    "Usage: %s [EAL options] -- [options]\n"
	    "Ports (ethdev port ids, in --vdev order):\n"
	    "  --tx-port N            transmit on port N\n"
	    "  --rx-port N            receive on port N (its peer in a learning switch)\n"
	    "  --bidir                also transmit on the rx port and receive on the tx port\n"
	    "  --connect              TCP handshakes: SYNs from the tx port, the rx port answers\n"
	    "                         SYN-ACK, the tx port ACK; counts connections completed\n"
	    "  --queues N             queues per port, 1..%d (default 1)\n"
	    "Traffic:\n"
	    "  --size B               frame size with FCS, %d..%d (default 64)\n"
	    "  --imix[=S:W,...]       size mix; bare --imix is 64:7,570:4,1518:1\n"
	    "  --proto P              udp (default), tcp-syn, tcp-ack\n"
	    "  --flows N              1..%u flows (default 1)\n"
	    "  --flow-order O         seq (default) or scatter\n"
	    "  --src-ip A --dst-ip A  first addresses (198.18.0.1, 198.19.0.1)\n"
	    "  --sport P --dport P    first ports (1024, 5001)\n"
	    "  --sport-range N --sip-range N --dport-range N --dip-range N\n"
	    "                         values per field of the flow pattern (see doc)\n"
	    "  --vlan VID[:PCP]       push an 802.1Q tag\n"
	    "  --encap vxlan|geneve   outer headers; --vni N (default 100),\n"
	    "  --outer-src-ip A --outer-dst-ip A (198.18.255.1, 198.19.255.1)\n"
	    "  --inner-src-mac M --inner-dst-mac M\n"
	    "  --inner-size           --size/--imix count the inner frame (the tunnel's\n"
	    "                         frames are longer by the outer headers: the decap side)\n"
	    "  --port-mac N,MAC       source MAC of port N (default 02:45:56:47:00:<N+1>)\n"
	    "  --dst-mac N,MAC        destination MAC of frames sent by port N\n"
	    "                         (default: the MAC of the port that receives them)\n"
	    "  --ttl N --tos N        IPv4 TTL (64) and TOS (0)\n"
	    "Run:\n"
	    "  --rate R               packets/s per transmitting port, suffix k/M/G\n"
	    "                         (default unlimited)\n"
	    "  --duration S           seconds of transmission (default 10; 0: until SIGINT)\n"
	    "  --drain MS             wait for in-flight frames after transmission (200)\n"
	    "  --burst N              burst size 1..%d (32)\n"
	    "  --rxd N --txd N        descriptors per queue (1024)\n"
	    "  --mbufs N              mbuf pool size (default: sized from ports/queues)\n"
	    "  --no-learn             do not send learning frames first\n"
	    "  --learn-wait MS        pause after learning frames (100)\n"
	    "  --link-wait S          wait up to S seconds for links (10; 0: do not wait)\n"
	    "  --sample-flows N       check reception of at most N sampled flows (65536)\n"
	    "  --rx-check N           decode 1 received frame in N (power of two, 1): latency,\n"
	    "                         sequence on that sample; the rest counted by port\n"
	    "  --rx-opaque            read no received frame (encrypted by the device): every\n"
	    "                         frame on the receiving port counts; no latency, sequence\n"
	    "                         or flow check\n"
	    "Output:\n"
	    "  --json                 machine-readable result on stdout\n"
	    "  --progress / --no-progress  per-second line (default: if stdout is a tty)\n"
	    "RFC 2544 throughput:\n"
	    "  --rfc2544              binary search for the highest rate within the loss\n"
	    "  --loss-tolerance PCT   accepted loss in percent (0)\n"
	    "  --trial S              seconds per trial (2)\n"
	    "  --resolution PCT       stop when the interval is below PCT of the rate (1)\n"
	    "  --max-trials N         at most N trials (20)\n",
	    prog, GEN_QUEUES_MAX, EVS_GEN_SIZE_MIN, EVS_GEN_SIZE_MAX, EVS_GEN_FLOWS_MAX,
	    GEN_BURST_MAX);
}

static int bad(const char *opt, const char *arg, const char *why)
{
	fprintf(stderr, "edgevs-gen: --%s %s: %s\n", opt, arg ? arg : "", why);
	return -EINVAL;
}

static int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* "1.5M", "200k", "14880952" -> packets per second. */
static int parse_rate(const char *s, uint64_t *out)
{
	char *end;
	double v, mul = 1;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !isfinite(v) || v < 0)
		return -EINVAL;
	if (*end == 'k' || *end == 'K')
		mul = 1e3, end++;
	else if (*end == 'm' || *end == 'M')
		mul = 1e6, end++;
	else if (*end == 'g' || *end == 'G')
		mul = 1e9, end++;
	if (*end != '\0' || v * mul > 1e10)
		return -EINVAL;
	*out = (uint64_t)llround(v * mul);
	return 0;
}

static int parse_ip(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*out = ntohl(a.s_addr);
	return 0;
}

/* "N,MAC" */
static int parse_port_mac(const char *s, uint16_t *port, struct rte_ether_addr *mac)
{
	char buf[64];
	char *comma;
	uint64_t p;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	comma = strchr(buf, ',');
	if (comma == NULL)
		return -EINVAL;
	*comma = '\0';
	if (parse_uint(buf, 0, RTE_MAX_ETHPORTS - 1, &p) != 0 ||
	    rte_ether_unformat_addr(comma + 1, mac) != 0)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

static void defaults(struct gen_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->tx_port = -1;
	o->rx_port = -1;
	o->queues = 1;
	snprintf(o->mix_spec, sizeof(o->mix_spec), "64");
	o->flow.flows = 1;
	o->flow.src_ip_base = 0xc6120001; /* 198.18.0.1: RFC 2544 benchmarking range */
	o->flow.dst_ip_base = 0xc6130001; /* 198.19.0.1 */
	o->flow.sport_base = 1024;
	o->flow.dport_base = 5001;
	o->pkt.l4 = EVS_GEN_UDP;
	o->pkt.ttl = 64;
	o->pkt.vni = 100;
	o->pkt.outer_src_ip = 0xc612ff01;
	o->pkt.outer_dst_ip = 0xc613ff01;
	rte_ether_unformat_addr("02:45:56:47:01:01", &o->pkt.inner_src_mac);
	rte_ether_unformat_addr("02:45:56:47:01:02", &o->pkt.inner_dst_mac);
	o->duration_s = 10;
	o->drain_ms = 200;
	o->burst = 32;
	o->rxd = 1024;
	o->txd = 1024;
	o->progress = -1;
	o->learn = true;
	o->learn_wait_ms = 100;
	o->sample_max = 65536;
	o->rx_check = 1;
	o->link_wait_s = 10;
	o->trial_s = 2;
	o->resolution = 0.01;
	o->max_trials = 20;
}

int gen_opts_parse(struct gen_opts *o, int argc, char **argv)
{
	const char *name;
	uint64_t u = 0;
	double d = 0;
	int c, rc, idx = 0;

	defaults(o);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", long_opts, &idx)) != -1) {
		name = c >= OPT_TX_PORT ? long_opts[idx].name : "?";
		rc = 0;
		switch (c) {
		case OPT_TX_PORT:
		case OPT_RX_PORT:
			rc = parse_uint(optarg, 0, RTE_MAX_ETHPORTS - 1, &u);
			if (c == OPT_TX_PORT)
				o->tx_port = (int)u;
			else
				o->rx_port = (int)u;
			break;
		case OPT_BIDIR:
			o->bidir = true;
			break;
		case OPT_CONNECT:
			o->connect = true;
			o->pkt.l4 = EVS_GEN_TCP_SYN;
			break;
		case OPT_QUEUES:
			rc = parse_uint(optarg, 1, GEN_QUEUES_MAX, &u);
			o->queues = (uint16_t)u;
			break;
		case OPT_SIZE:
			rc = parse_uint(optarg, EVS_GEN_SIZE_MIN, EVS_GEN_SIZE_MAX, &u);
			snprintf(o->mix_spec, sizeof(o->mix_spec), "%u", (unsigned int)u);
			break;
		case OPT_IMIX:
			if (optarg != NULL && strlen(optarg) >= sizeof(o->mix_spec))
				return bad(name, optarg, "too long");
			snprintf(o->mix_spec, sizeof(o->mix_spec), "%s", optarg ? optarg : "imix");
			break;
		case OPT_FLOWS:
			rc = parse_uint(optarg, 1, EVS_GEN_FLOWS_MAX, &u);
			o->flow.flows = (uint32_t)u;
			break;
		case OPT_FLOW_ORDER:
			if (strcmp(optarg, "seq") == 0)
				o->flow.order = EVS_GEN_ORDER_SEQ;
			else if (strcmp(optarg, "scatter") == 0)
				o->flow.order = EVS_GEN_ORDER_SCATTER;
			else
				rc = -EINVAL;
			break;
		case OPT_SRC_IP:
			rc = parse_ip(optarg, &o->flow.src_ip_base);
			break;
		case OPT_DST_IP:
			rc = parse_ip(optarg, &o->flow.dst_ip_base);
			break;
		case OPT_OUTER_SRC_IP:
			rc = parse_ip(optarg, &o->pkt.outer_src_ip);
			break;
		case OPT_OUTER_DST_IP:
			rc = parse_ip(optarg, &o->pkt.outer_dst_ip);
			break;
		case OPT_SPORT:
		case OPT_DPORT:
			rc = parse_uint(optarg, 0, UINT16_MAX, &u);
			if (c == OPT_SPORT)
				o->flow.sport_base = (uint16_t)u;
			else
				o->flow.dport_base = (uint16_t)u;
			break;
		case OPT_SPORT_RANGE:
		case OPT_DPORT_RANGE:
			rc = parse_uint(optarg, 1, 65536, &u);
			if (c == OPT_SPORT_RANGE)
				o->flow.sport_range = (uint32_t)u;
			else
				o->flow.dport_range = (uint32_t)u;
			break;
		case OPT_SIP_RANGE:
		case OPT_DIP_RANGE:
			rc = parse_uint(optarg, 1, EVS_GEN_FLOWS_MAX, &u);
			if (c == OPT_SIP_RANGE)
				o->flow.sip_range = (uint32_t)u;
			else
				o->flow.dip_range = (uint32_t)u;
			break;
		case OPT_PROTO:
			if (strcmp(optarg, "udp") == 0)
				o->pkt.l4 = EVS_GEN_UDP;
			else if (strcmp(optarg, "tcp-syn") == 0)
				o->pkt.l4 = EVS_GEN_TCP_SYN;
			else if (strcmp(optarg, "tcp-ack") == 0)
				o->pkt.l4 = EVS_GEN_TCP_ACK;
			else
				rc = -EINVAL;
			break;
		case OPT_VLAN: {
			char *end;
			unsigned long vid, pcp = 0;

			errno = 0;
			vid = strtoul(optarg, &end, 0);
			if (*end == ':')
				pcp = strtoul(end + 1, &end, 0);
			if (errno != 0 || end == optarg || *end != '\0' || vid > 4095 || pcp > 7)
				rc = -EINVAL;
			o->pkt.vlan = true;
			o->pkt.vlan_tci = (uint16_t)(pcp << 13 | vid);
			break;
		}
		case OPT_ENCAP:
			if (strcmp(optarg, "vxlan") == 0)
				o->pkt.encap = EVS_GEN_ENCAP_VXLAN;
			else if (strcmp(optarg, "geneve") == 0)
				o->pkt.encap = EVS_GEN_ENCAP_GENEVE;
			else if (strcmp(optarg, "none") == 0)
				o->pkt.encap = EVS_GEN_ENCAP_NONE;
			else
				rc = -EINVAL;
			break;
		case OPT_VNI:
			rc = parse_uint(optarg, 0, 0xffffff, &u);
			o->pkt.vni = (uint32_t)u;
			break;
		case OPT_INNER_SRC_MAC:
			rc = rte_ether_unformat_addr(optarg, &o->pkt.inner_src_mac) ? -EINVAL : 0;
			break;
		case OPT_INNER_DST_MAC:
			rc = rte_ether_unformat_addr(optarg, &o->pkt.inner_dst_mac) ? -EINVAL : 0;
			break;
		case OPT_PORT_MAC:
		case OPT_DST_MAC: {
			struct rte_ether_addr mac;
			uint16_t p;

			rc = parse_port_mac(optarg, &p, &mac);
			if (rc == 0 && c == OPT_PORT_MAC) {
				o->mac[p] = mac;
				o->mac_set[p] = true;
			} else if (rc == 0) {
				o->dst_mac[p] = mac;
				o->dst_mac_set[p] = true;
			}
			break;
		}
		case OPT_TTL:
		case OPT_TOS:
			rc = parse_uint(optarg, c == OPT_TTL ? 1 : 0, 255, &u);
			if (c == OPT_TTL)
				o->pkt.ttl = (uint8_t)u;
			else
				o->pkt.tos = (uint8_t)u;
			break;
		case OPT_RATE:
			rc = parse_rate(optarg, &o->rate_pps);
			break;
		case OPT_DURATION:
			rc = parse_double(optarg, 0, 1e7, &o->duration_s);
			break;
		case OPT_DRAIN:
			rc = parse_uint(optarg, 0, 60000, &u);
			o->drain_ms = (uint32_t)u;
			break;
		case OPT_BURST:
			rc = parse_uint(optarg, 1, GEN_BURST_MAX, &u);
			o->burst = (uint16_t)u;
			break;
		case OPT_RXD:
		case OPT_TXD:
			rc = parse_uint(optarg, 16, 32768, &u);
			if (c == OPT_RXD)
				o->rxd = (uint16_t)u;
			else
				o->txd = (uint16_t)u;
			break;
		case OPT_MBUFS:
			rc = parse_uint(optarg, 1024, 1u << 24, &u);
			o->mbufs = (uint32_t)u;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_PROGRESS:
			o->progress = 1;
			break;
		case OPT_NO_PROGRESS:
			o->progress = 0;
			break;
		case OPT_NO_LEARN:
			o->learn = false;
			break;
		case OPT_LEARN_WAIT:
			rc = parse_uint(optarg, 0, 60000, &u);
			o->learn_wait_ms = (uint32_t)u;
			break;
		case OPT_SAMPLE:
			rc = parse_uint(optarg, 1, EVS_GEN_FLOWS_MAX, &u);
			o->sample_max = (uint32_t)u;
			break;
		case OPT_RX_CHECK:
			rc = parse_uint(optarg, 1, 1024, &u);
			if (rc == 0 && !rte_is_power_of_2((uint32_t)u)) {
				fprintf(stderr, "edgevs-gen: --rx-check %s: not a power of two\n",
					optarg);
				rc = -EINVAL;
			}
			o->rx_check = (uint32_t)u;
			break;
		case OPT_INNER_SIZE:
			o->inner_size = true;
			break;
		case OPT_RX_OPAQUE:
			o->rx_opaque = true;
			break;
		case OPT_LINK_WAIT:
			rc = parse_double(optarg, 0, 3600, &o->link_wait_s);
			break;
		case OPT_RFC2544:
			o->rfc2544 = true;
			break;
		case OPT_LOSS_TOL:
			rc = parse_double(optarg, 0, 100, &d);
			o->loss_tol = d / 100;
			break;
		case OPT_TRIAL:
			rc = parse_double(optarg, 0.1, 3600, &o->trial_s);
			break;
		case OPT_RESOLUTION:
			rc = parse_double(optarg, 0.01, 50, &d);
			o->resolution = d / 100;
			break;
		case OPT_MAX_TRIALS:
			rc = parse_uint(optarg, 1, 1000, &u);
			o->max_trials = (unsigned int)u;
			break;
		case OPT_HELP:
		case 'h':
			gen_opts_usage(stdout, argv[0]);
			exit(0);
		default:
			gen_opts_usage(stderr, argv[0]);
			return -EINVAL;
		}
		if (rc != 0)
			return bad(name, optarg, rc == -ERANGE ? "out of range" : "invalid value");
	}
	if (optind < argc)
		return bad("", argv[optind], "unexpected argument");
	if (o->tx_port < 0 && o->rx_port < 0)
		return bad("tx-port", NULL, "give --tx-port and/or --rx-port");
	if (o->bidir && (o->tx_port < 0 || o->rx_port < 0 || o->tx_port == o->rx_port))
		return bad("bidir", NULL, "needs two different ports, --tx-port and --rx-port");
	if (o->connect && (o->tx_port < 0 || o->rx_port < 0 || o->tx_port == o->rx_port ||
			   o->bidir || o->rfc2544 || o->queues != 1 || o->pkt.vlan ||
			   o->pkt.encap != EVS_GEN_ENCAP_NONE || o->pkt.l4 != EVS_GEN_TCP_SYN))
		return bad("connect", NULL,
			   "needs two different ports, one queue, untagged TCP SYN frames, and "
			   "neither --bidir nor --rfc2544");
	if (o->rx_opaque && o->connect)
		return bad("rx-opaque", NULL, "--connect reads every frame it answers");
	if (o->rfc2544 && (o->tx_port < 0 || o->rx_port < 0))
		return bad("rfc2544", NULL, "needs both --tx-port and --rx-port");
	rc = evs_gen_mix_parse(&o->mix, o->mix_spec);
	if (rc != 0)
		return bad("imix", o->mix_spec,
			   rc == -ERANGE ? "size out of 64..9018 or weights above 256"
					 : "expected SIZE:WEIGHT[,SIZE:WEIGHT...] (at most 8)");
	if (o->inner_size) {
		int outer = evs_gen_outer_len(&o->pkt);

		if (outer <= 0)
			return bad("inner-size", NULL, "needs --encap vxlan|geneve");
		for (u = 0; u < o->mix.n; u++) {
			if (o->mix.size[u] + outer > EVS_GEN_SIZE_MAX)
				return bad("inner-size", NULL,
					   "an inner size plus the outer headers is above 9018");
			o->mix.size[u] = (uint16_t)(o->mix.size[u] + outer);
		}
	}
	rc = evs_gen_min_size(&o->pkt);
	for (u = 0; u < o->mix.n; u++)
		if (o->mix.size[u] < rc) {
			fprintf(stderr,
				"edgevs-gen: frame size %u is below %d, the minimum for these "
				"headers plus a 6-byte stamp and the FCS\n",
				o->mix.size[u], rc);
			return -EINVAL;
		}
	{
		struct evs_gen_flows f;

		rc = evs_gen_flows_init(&f, &o->flow);
		if (rc != 0) {
			fprintf(stderr,
				"edgevs-gen: flow pattern for %u flows: %s (ranges given: sport %u "
				"sip %u dport %u dip %u, 0 = default)\n",
				o->flow.flows,
				rc == -ERANGE ? "a port or address overflows"
					      : "ranges cover too few tuples",
				o->flow.sport_range, o->flow.sip_range, o->flow.dport_range,
				o->flow.dip_range);
			return -EINVAL;
		}
	}
	if ((o->bidir ? 2u : 1u) * o->queues > GEN_STREAMS_MAX)
		return bad("queues", NULL, "too many transmit queues");
	if (o->progress < 0)
		o->progress = isatty(STDOUT_FILENO);
	return 0;
}

void gen_opts_resolve_macs(struct gen_opts *o)
{
	unsigned int p;

	for (p = 0; p < RTE_MAX_ETHPORTS; p++)
		if (!o->mac_set[p]) {
			/* Locally administered, distinct per port, the same every run. */
			uint8_t m[6] = {0x02, 0x45, 0x56, 0x47, 0x00, (uint8_t)(p + 1)};

			memcpy(o->mac[p].addr_bytes, m, 6);
		}
	if (o->tx_port >= 0 && !o->dst_mac_set[o->tx_port]) {
		if (o->rx_port >= 0)
			o->dst_mac[o->tx_port] = o->mac[o->rx_port];
		else
			memset(o->dst_mac[o->tx_port].addr_bytes, 0xff,
			       6); /* no receiver: broadcast */
	}
	if (o->bidir && !o->dst_mac_set[o->rx_port])
		o->dst_mac[o->rx_port] = o->mac[o->tx_port];
}
