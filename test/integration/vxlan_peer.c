/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A VXLAN endpoint made of lib/tunnel for test_vxlan_linux.sh: frames from
 * the underlay interface are decapsulated onto a tap, frames from the tap
 * are encapsulated onto the underlay. With a Linux vxlan device on the far
 * end of the underlay, ping and TCP across it prove both directions of the
 * wire format against an independent implementation.
 *
 *   vxlan-peer IFACE TAP VNI LOCAL_IP REMOTE_IP REMOTE_MAC UDP_CSUM(0|1)
 *              [PORT [ZERO6(0|1)]]
 *
 * PORT: the UDP port both ways (default 4789); ZERO6: over IPv6, send a
 * zero UDP checksum and accept one (RFC 6935/6936, Linux's
 * udp6zerocsumtx/rx).
 * Prints "ready" once the tap exists; on SIGTERM prints its counters
 * ("encap N decap N drop_<reason> N ...") and exits 0. One packet per burst:
 * this is a test harness, not a datapath.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "evs_tunnel.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int parse_addr(const char *s, struct evs_tun_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->b) == 1) {
		a->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->b) == 1) {
		a->family = 6;
		return 0;
	}
	return -EINVAL;
}

static int tap_open(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A raw socket on @p ifname; fills its index and MAC. */
static int raw_open(const char *ifname, int *ifindex, struct rte_ether_addr *mac)
{
	struct sockaddr_ll sll;
	struct ifreq ifr;
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		goto fail;
	*ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		goto fail;
	memcpy(mac->addr_bytes, ifr.ifr_hwaddr.sa_data, RTE_ETHER_ADDR_LEN);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = *ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/* A UDP socket on the VXLAN port, never read: without it the kernel would
 * answer every datagram with ICMP port unreachable. */
static int absorb_open(unsigned int family, uint16_t port)
{
	int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(port)};
	int rc;

	int one = 1;

	if (fd < 0)
		return -1;
	/* The IPv6 one must not take the IPv4 port too (the other peer's). */
	if (family == 6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) {
		close(fd);
		return -1;
	}
	rc = family == 4 ? bind(fd, (struct sockaddr *)&a4, sizeof(a4))
			 : bind(fd, (struct sockaddr *)&a6, sizeof(a6));
	if (rc < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static struct rte_mbuf *to_mbuf(struct rte_mempool *mp, const uint8_t *p, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	char *d;

	if (m == NULL)
		return NULL;
	d = rte_pktmbuf_append(m, (uint16_t)len);
	if (d == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memcpy(d, p, len);
	return m;
}

int main(int argc, char **argv)
{
	char prefix[64],
	    *eal[] = {
		argv[0],	  "--no-huge",	       "-m", "64", "--no-shconf",   "--no-pci",
		"--no-telemetry", "--log-level=error", "-l", "0",  "--file-prefix", prefix};
	static uint8_t buf[65536];
	struct evs_tun_encap_config c;
	struct evs_tun_stats st = {0};
	struct evs_tun_decap d;
	struct evs_tun_encap t;
	struct rte_mempool *mp;
	uint32_t vni;
	int raw, tap, absorb, ifindex = 0;

	if (argc < 8 || argc > 10) {
		fprintf(stderr,
			"usage: %s IFACE TAP VNI LOCAL_IP REMOTE_IP REMOTE_MAC UDP_CSUM [PORT "
			"[ZERO6]]\n",
			argv[0]);
		return 2;
	}
	snprintf(prefix, sizeof(prefix), "evs_vxpeer_%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0)
		return 1;
	mp = rte_pktmbuf_pool_create("vxp", 512, 0, 0, 9216 + RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
	memset(&c, 0, sizeof(c));
	c.type = EVS_TUN_VXLAN;
	vni = (uint32_t)strtoul(argv[3], NULL, 0);
	c.vni = vni;
	c.udp_csum = atoi(argv[7]) != 0;
	c.dst_port = argc > 8 ? (uint16_t)atoi(argv[8]) : EVS_VXLAN_PORT;
	c.ipv6_zero_csum = argc > 9 && atoi(argv[9]) != 0;
	if (mp == NULL || parse_addr(argv[4], &c.local) != 0 ||
	    parse_addr(argv[5], &c.remote) != 0 ||
	    rte_ether_unformat_addr(argv[6], &c.dst_mac) != 0) {
		fprintf(stderr, "vxlan-peer: bad arguments\n");
		return 2;
	}
	raw = raw_open(argv[1], &ifindex, &c.src_mac);
	tap = tap_open(argv[2]);
	absorb = absorb_open(c.local.family, c.dst_port);
	if (raw < 0 || tap < 0 || absorb < 0 || evs_tun_encap_init(&t, &c) != 0) {
		fprintf(stderr, "vxlan-peer: set-up failed: %s\n", strerror(errno));
		return 1;
	}
	memset(&d, 0, sizeof(d));
	d.verify_csum = true;
	d.vxlan_port = c.dst_port;
	d.ipv6_zero_csum = c.ipv6_zero_csum;
	d.vnis = &vni;
	d.n_vnis = 1;
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		struct pollfd pf[2] = {{.fd = raw, .events = POLLIN},
				       {.fd = tap, .events = POLLIN}};

		if (poll(pf, 2, 100) <= 0)
			continue;
		if (pf[0].revents & POLLIN) {
			struct sockaddr_ll from;
			socklen_t fl = sizeof(from);
			ssize_t n =
			    recvfrom(raw, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
			struct evs_tun_meta meta;
			struct rte_mbuf *m;

			/* Our own transmissions come back on an ETH_P_ALL socket. */
			if (n > 0 && from.sll_pkttype != PACKET_OUTGOING &&
			    (m = to_mbuf(mp, buf, (size_t)n)) != NULL) {
				if (evs_tun_decap_burst(&d, &m, 1, &meta, &st) == 1 &&
				    write(tap, rte_pktmbuf_mtod(m, void *), m->data_len) < 0)
					perror("vxlan-peer: tap write");
				rte_pktmbuf_free(m);
			}
		}
		if (pf[1].revents & POLLIN) {
			ssize_t n = read(tap, buf, sizeof(buf));
			struct sockaddr_ll to = {.sll_family = AF_PACKET,
						 .sll_ifindex = ifindex,
						 .sll_halen = RTE_ETHER_ADDR_LEN};
			struct rte_mbuf *m;

			memcpy(to.sll_addr, c.dst_mac.addr_bytes, RTE_ETHER_ADDR_LEN);
			if (n > 0 && (m = to_mbuf(mp, buf, (size_t)n)) != NULL) {
				/* The flow hash: enough entropy for a test (one port per frame
				 * source). */
				uint32_t h =
				    (uint32_t)buf[6] << 24 | buf[11] << 16 | buf[12] << 8 | buf[13];

				if (evs_tun_encap_burst(&t, &m, 1, &h, &st) == 1 &&
				    sendto(raw, rte_pktmbuf_mtod(m, void *), m->data_len, 0,
					   (struct sockaddr *)&to, sizeof(to)) < 0)
					perror("vxlan-peer: send");
				rte_pktmbuf_free(m);
			}
		}
	}
	printf("encap %lu decap %lu", (unsigned long)st.encap_packets,
	       (unsigned long)st.decap_packets);
	for (unsigned int r = 0; r < EVS_TUN_DROP__MAX; r++)
		printf(" drop_%s %lu", evs_tun_drop_name((enum evs_tun_drop)r),
		       (unsigned long)st.drops[r]);
	printf("\n");
	close(absorb);
	close(tap);
	close(raw);
	rte_eal_cleanup();
	return 0;
}
