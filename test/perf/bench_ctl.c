/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-plane latencies (not run by meson test; timings are not assertions):
 *  1. the longest single evs_ctl_poll() while one client streams a large
 *     request line and it is parsed (the management lcore must stay
 *     responsive), against parsing the same line inline;
 *  2. a durable replacement of a config-sized file (evs_persist_write_at),
 *     and many changes submitted while the disk is busy (group commit).
 *
 * Usage: bench-ctl [MiB of the large line, default 64] [dir for files, default /tmp]
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench_util.h"
#include "evs_ctl.h"
#include "evs_persist.h"

static int m_size(struct evs_ctl_call *call, json_t *params, void *arg)
{
	(void)arg;
	return evs_ctl_reply(
	    call, json_integer((json_int_t)json_array_size(json_object_get(params, "items"))));
}

struct sender {
	const char *path;
	char *line;
	size_t len;
	char reply[256];
};

static void *send_main(void *arg)
{
	struct sender *s = arg;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	size_t off = 0;
	ssize_t n;
	char hello[512];

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    recv(fd, hello, sizeof(hello), 0) <= 0)
		return NULL;
	while (off < s->len) {
		n = send(fd, s->line + off, s->len - off, MSG_NOSIGNAL);
		if (n <= 0)
			return NULL;
		off += (size_t)n;
	}
	n = recv(fd, s->reply, sizeof(s->reply) - 1, 0);
	s->reply[n > 0 ? n : 0] = '\0';
	close(fd);
	return NULL;
}

/* A config.apply-shaped line: {"items":[{"name":"objNNNNNNN","vni":N},...]}. */
static char *make_line(size_t mib, size_t *len, size_t *items)
{
	size_t cap = (mib << 20) + 256, n;
	char *b = malloc(cap);

	n = (size_t)sprintf(b, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"bench.size\","
			       "\"params\":{\"items\":[");
	for (*items = 0; n + 64 < (mib << 20); (*items)++)
		n += (size_t)sprintf(b + n, "%s{\"name\":\"obj%07zu\",\"vni\":%zu}",
				     *items ? "," : "", *items, *items);
	n += (size_t)sprintf(b + n, "]}}\n");
	*len = n;
	return b;
}

static void bench_large_line(size_t mib)
{
	struct evs_ctl_config cfg = {.path = "/tmp/bench-ctl.sock", .max_line_admin = 1u << 30};
	const struct evs_ctl_method m = {.name = "bench.size", .read_only = true, .fn = m_size};
	struct evs_ctl *ctl;
	struct sender s = {.path = cfg.path};
	pthread_t th;
	double t0, t, c, worst = 0, worst_cpu = 0, inline_s;
	size_t items;
	json_t *doc;

	s.line = make_line(mib, &s.len, &items);
	t0 = bench_now_s();
	doc = json_loadb(s.line, s.len, JSON_REJECT_DUPLICATES, NULL);
	inline_s = bench_now_s() - t0;
	json_decref(doc);
	unlink(cfg.path);
	ctl = evs_ctl_create(&cfg);
	if (ctl == NULL || evs_ctl_register(ctl, &m) < 0) {
		perror("evs_ctl_create");
		exit(1);
	}
	pthread_create(&th, NULL, send_main, &s);
	t0 = bench_now_s();
	while (s.reply[0] == '\0' && bench_now_s() - t0 < 120) {
		t = bench_now_s();
		c = bench_cpu_s();
		evs_ctl_poll(ctl, 1);
		c = bench_cpu_s() - c;
		t = bench_now_s() - t;
		if (t > worst)
			worst = t;
		if (c > worst_cpu)
			worst_cpu = c;
	}
	t = bench_now_s() - t0;
	pthread_join(th, NULL);
	printf("large line: %zu MiB, %zu objects: answered in %.0f ms; longest evs_ctl_poll() "
	       "%.1f ms wall, %.1f ms CPU (parsing it inline would block %.0f ms); reply %s",
	       mib, items, t * 1e3, worst * 1e3, worst_cpu * 1e3, inline_s * 1e3, s.reply);
	evs_ctl_free(ctl);
	free(s.line);
}

static int n_done;

static void on_done(int rc, void *arg)
{
	(void)arg;
	if (rc == 0)
		n_done++;
}

static void bench_persist(const char *dir)
{
	struct evs_persist_opts o = {.keep_prev = true};
	size_t len = 256 * 1024, i;
	char *buf = malloc(len), path[512];
	struct evs_persist_stats st;
	struct evs_persist *p;
	double t0, t;
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY);

	memset(buf, ' ', len);
	buf[0] = '{';
	buf[len - 1] = '}';
	t0 = bench_now_s();
	for (i = 0; i < 20; i++)
		if (evs_persist_write_at(dirfd, "bench-persist.json", buf, len, &o) < 0)
			perror("write");
	t = (bench_now_s() - t0) / 20;
	printf("durable replace of a 256 KiB file in %s: %.2f ms each (20 writes)\n", dir, t * 1e3);
	snprintf(path, sizeof(path), "%s/bench-persist.json", dir);
	p = evs_persist_create(&(struct evs_persist_config){.path = path, .opts = o});
	t0 = bench_now_s();
	for (i = 0; i < 1000; i++) {
		char *d = malloc(len);

		memcpy(d, buf, len);
		evs_persist_submit(p, d, len, on_done, NULL);
		evs_persist_poll(p);
	}
	evs_persist_drain(p);
	t = bench_now_s() - t0;
	evs_persist_stats_get(p, &st);
	printf("1000 changes submitted back to back: all durable in %.0f ms with %llu writes "
	       "(group commit), %d acknowledged\n",
	       t * 1e3, (unsigned long long)st.writes, n_done);
	evs_persist_free(p);
	unlinkat(dirfd, "bench-persist.json", 0);
	unlinkat(dirfd, "bench-persist.json.prev", 0);
	close(dirfd);
	free(buf);
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;

	bench_large_line(mib ? mib : 64);
	bench_persist(argc > 2 ? argv[2] : "/tmp");
	return 0;
}
