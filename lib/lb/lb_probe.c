/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Active health probes over non-blocking kernel sockets (evs_lb_probe.h).
 */
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "evs_lb_probe.h"

enum phase {
	PH_CONNECTING,
	PH_READING, /* HTTP: status line; ICMP: echo reply */
	PH_DONE,
};

static socklen_t sockaddr_of(const struct evs_lb_probe_target *t, uint16_t port,
			     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (t->af == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		memcpy(&s->sin_addr, t->addr, 4);
		return sizeof(*s);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	memcpy(&s6->sin6_addr, t->addr, 16);
	return sizeof(*s6);
}

static enum evs_lb_probe_status finish(struct evs_lb_probe *p, enum evs_lb_probe_status s)
{
	evs_lb_probe_cancel(p);
	return s;
}

static int icmp_send(struct evs_lb_probe *p)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(&p->t, 0, &ss);
	uint8_t pkt[16] = {0};
	struct icmphdr *h = (struct icmphdr *)pkt;

	/* ping sockets fill in the id and the checksum */
	h->type = p->t.af == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	h->un.echo.sequence = htons(++p->echo_seq);
	if (sendto(p->fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&ss, len) < 0)
		return -errno;
	p->phase = PH_READING;
	return 0;
}

int evs_lb_probe_start(struct evs_lb_probe *p, const struct evs_lb_probe_target *t)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int rc;

	if (t == NULL || (t->af != AF_INET && t->af != AF_INET6) || t->kind > EVS_LB_PROBE_ICMP ||
	    (t->kind != EVS_LB_PROBE_ICMP && t->port == 0))
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->t = *t;
	if (t->kind == EVS_LB_PROBE_ICMP) {
		p->fd = socket(t->af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			       t->af == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
		if (p->fd < 0)
			return -errno;
		rc = icmp_send(p);
		if (rc < 0)
			evs_lb_probe_cancel(p);
		return rc;
	}
	p->fd = socket(t->af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		return -errno;
	len = sockaddr_of(t, t->port, &ss);
	if (connect(p->fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
		rc = -errno;
		evs_lb_probe_cancel(p);
		return rc;
	}
	p->phase = PH_CONNECTING;
	return 0;
}

int evs_lb_probe_fd(const struct evs_lb_probe *p)
{
	return p->fd;
}

short evs_lb_probe_events(const struct evs_lb_probe *p)
{
	return p->phase == PH_CONNECTING ? POLLOUT : POLLIN;
}

static enum evs_lb_probe_status http_request(struct evs_lb_probe *p)
{
	char req[256];
	int n =
	    snprintf(req, sizeof(req),
		     "GET %s HTTP/1.0\r\nUser-Agent: edgevs-health\r\nConnection: close\r\n\r\n",
		     p->t.path != NULL ? p->t.path : "/");

	/* a fresh connection's send buffer takes a short request whole */
	if (n < 0 || (size_t)n >= sizeof(req) || send(p->fd, req, (size_t)n, MSG_NOSIGNAL) != n)
		return finish(p, EVS_LB_PROBE_DOWN);
	p->phase = PH_READING;
	return EVS_LB_PROBE_PENDING;
}

/* "HTTP/1.x NNN ..." once the status line is in. */
static enum evs_lb_probe_status http_read(struct evs_lb_probe *p)
{
	unsigned int want = p->t.status != 0 ? p->t.status : 200, code;
	ssize_t n = recv(p->fd, p->buf + p->got, sizeof(p->buf) - 1 - p->got, 0);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return EVS_LB_PROBE_PENDING;
	if (n <= 0)
		return finish(p, EVS_LB_PROBE_DOWN);
	p->got = (uint16_t)(p->got + n);
	p->buf[p->got] = '\0';
	if (strstr(p->buf, "\r\n") == NULL && p->got < sizeof(p->buf) - 1)
		return EVS_LB_PROBE_PENDING;
	if (sscanf(p->buf, "HTTP/1.%*1[01] %3u", &code) != 1)
		return finish(p, EVS_LB_PROBE_DOWN);
	return finish(p, code == want ? EVS_LB_PROBE_UP : EVS_LB_PROBE_DOWN);
}

static enum evs_lb_probe_status icmp_read(struct evs_lb_probe *p)
{
	uint8_t pkt[128];
	ssize_t n;

	for (;;) {
		const struct icmphdr *h = (const struct icmphdr *)pkt;
		uint8_t reply = p->t.af == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY;

		n = recv(p->fd, pkt, sizeof(pkt), 0);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return EVS_LB_PROBE_PENDING;
		if (n < 0) /* an ICMP error (unreachable) surfaces here */
			return finish(p, EVS_LB_PROBE_DOWN);
		if ((size_t)n >= sizeof(*h) && h->type == reply &&
		    ntohs(h->un.echo.sequence) == p->echo_seq)
			return finish(p, EVS_LB_PROBE_UP);
	}
}

enum evs_lb_probe_status evs_lb_probe_step(struct evs_lb_probe *p)
{
	int err = 0;
	socklen_t len = sizeof(err);
	struct pollfd pfd;

	if (p->phase == PH_DONE)
		return EVS_LB_PROBE_DOWN;
	if (p->phase == PH_READING)
		return p->t.kind == EVS_LB_PROBE_ICMP ? icmp_read(p) : http_read(p);
	pfd.fd = p->fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, 0) == 0)
		return EVS_LB_PROBE_PENDING;
	if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0)
		return finish(p, EVS_LB_PROBE_DOWN);
	if (p->t.kind == EVS_LB_PROBE_TCP)
		return finish(p, EVS_LB_PROBE_UP);
	return http_request(p);
}

void evs_lb_probe_cancel(struct evs_lb_probe *p)
{
	if (p->phase != PH_DONE && p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->phase = PH_DONE;
}
