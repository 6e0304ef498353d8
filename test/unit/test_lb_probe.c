/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/lb's active probes against real loopback servers: TCP connect to a
 * listening and a closed port (IPv4 and IPv6), HTTP with the expected, an
 * unexpected and a garbage status line, ICMP echo, bad targets.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_common.h>

#include "evs_lb_probe.h"
#include "lb_test.h"
#include "unit_case.h"

/* A listening socket on loopback; its port in @port. */
static int listener(int af, uint16_t *port)
{
	struct sockaddr_storage ss = {0};
	socklen_t len = af == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	int fd = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ss.ss_family = (sa_family_t)af;
	if (af == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&ss, len), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(af == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
				    : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static struct evs_lb_probe_target target(uint8_t kind, int af, uint16_t port)
{
	struct evs_lb_probe_target t = {.kind = kind, .af = af, .port = port};

	if (af == AF_INET)
		t.addr[0] = 127, t.addr[3] = 1;
	else
		t.addr[15] = 1;
	return t;
}

/* Step until done (5 s at most). */
static enum evs_lb_probe_status run(struct evs_lb_probe *p)
{
	for (int i = 0; i < 500; i++) {
		struct pollfd pfd = {.fd = evs_lb_probe_fd(p), .events = evs_lb_probe_events(p)};
		enum evs_lb_probe_status s;

		poll(&pfd, 1, 10);
		s = evs_lb_probe_step(p);
		if (s != EVS_LB_PROBE_PENDING)
			return s;
	}
	evs_lb_probe_cancel(p);
	return EVS_LB_PROBE_PENDING;
}

START_TEST(test_probe_tcp)
{
	int afs[] = {AF_INET, AF_INET6};

	for (unsigned int i = 0; i < RTE_DIM(afs); i++) {
		struct evs_lb_probe p;
		uint16_t port;
		int l = listener(afs[i], &port);
		struct evs_lb_probe_target t = target(EVS_LB_PROBE_TCP, afs[i], port);

		ck_assert_int_eq(evs_lb_probe_start(&p, &t), 0);
		ck_assert_int_eq(run(&p), EVS_LB_PROBE_UP);
		ck_assert_int_eq(evs_lb_probe_fd(&p), -1); /* closed */
		close(l);
		/* nobody listens any more: refused */
		ck_assert_int_eq(evs_lb_probe_start(&p, &t), 0);
		ck_assert_int_eq(run(&p), EVS_LB_PROBE_DOWN);
	}
}
END_TEST

struct http_server {
	int fd;
	const char *reply;
	char request[256];
};

static void *serve_one(void *arg)
{
	struct http_server *s = arg;
	int c = accept(s->fd, NULL, NULL);
	ssize_t n;

	if (c < 0)
		return NULL;
	n = recv(c, s->request, sizeof(s->request) - 1, 0);
	if (n > 0)
		s->request[n] = '\0';
	if (send(c, s->reply, strlen(s->reply), MSG_NOSIGNAL) < 0)
		s->request[0] = '\0';
	close(c);
	return NULL;
}

static enum evs_lb_probe_status http(const char *reply, uint16_t want, char *req_out)
{
	struct http_server s = {.reply = reply};
	struct evs_lb_probe p;
	struct evs_lb_probe_target t;
	enum evs_lb_probe_status st;
	uint16_t port;
	pthread_t th;

	s.fd = listener(AF_INET, &port);
	t = target(EVS_LB_PROBE_HTTP, AF_INET, port);
	t.path = "/health";
	t.status = want;
	ck_assert_int_eq(pthread_create(&th, NULL, serve_one, &s), 0);
	ck_assert_int_eq(evs_lb_probe_start(&p, &t), 0);
	st = run(&p);
	pthread_join(th, NULL);
	close(s.fd);
	if (req_out != NULL)
		strcpy(req_out, s.request);
	return st;
}

START_TEST(test_probe_http)
{
	char req[256];

	ck_assert_int_eq(http("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", 0, req),
			 EVS_LB_PROBE_UP);
	ck_assert_msg(strncmp(req, "GET /health HTTP/1.0\r\n", 22) == 0, "request: %s", req);
	ck_assert_int_eq(http("HTTP/1.1 503 Service Unavailable\r\n\r\n", 0, NULL),
			 EVS_LB_PROBE_DOWN);
	ck_assert_int_eq(http("HTTP/1.1 503 Service Unavailable\r\n\r\n", 503, NULL),
			 EVS_LB_PROBE_UP);
	ck_assert_int_eq(http("SSH-2.0-OpenSSH\r\n", 0, NULL), EVS_LB_PROBE_DOWN);
	ck_assert_int_eq(http("", 0, NULL), EVS_LB_PROBE_DOWN); /* closed without a word */
}
END_TEST

START_TEST(test_probe_icmp)
{
	struct evs_lb_probe p;
	struct evs_lb_probe_target t = target(EVS_LB_PROBE_ICMP, AF_INET, 0);
	int rc = evs_lb_probe_start(&p, &t);

	if (rc == -EACCES || rc == -EPERM) {
		/* no ping socket for this group (net.ipv4.ping_group_range) */
		printf("lb probe icmp: ping sockets not allowed here (%s), not run\n",
		       strerror(-rc));
		return;
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(run(&p), EVS_LB_PROBE_UP);
}
END_TEST

START_TEST(test_probe_bad_targets)
{
	struct evs_lb_probe p;
	struct evs_lb_probe_target t = target(EVS_LB_PROBE_TCP, AF_INET, 0);

	ck_assert_int_eq(evs_lb_probe_start(&p, &t), -EINVAL); /* no port */
	t.port = 80;
	t.af = AF_UNIX;
	ck_assert_int_eq(evs_lb_probe_start(&p, &t), -EINVAL);
	t.af = AF_INET;
	t.kind = 7;
	ck_assert_int_eq(evs_lb_probe_start(&p, &t), -EINVAL);
	ck_assert_int_eq(evs_lb_probe_start(&p, NULL), -EINVAL);
}
END_TEST

void lb_probe_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"probe_tcp", test_probe_tcp},
	    {"probe_http", test_probe_http},
	    {"probe_icmp", test_probe_icmp},
	    {"probe_bad_targets", test_probe_bad_targets},
	};

	unit_add_cases(s, cases, RTE_DIM(cases), NULL, NULL, 0);
}
