/* SPDX-License-Identifier: BSD-3-Clause */
/* Socket side of the control server: create/free, accept, read lines, write
 * output. Single-threaded, non-blocking, driven by poll(). */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_log.h>

#include "ctl_private.h"
#include "evs_build_config.h"

/* Explicit name: the library does not depend on RTE_LOG_DEFAULT_LOGTYPE. */
RTE_LOG_REGISTER(evs_ctl_logtype, edgevs.ctl, INFO);

enum {
	CTL_DEFAULT_MODE = 0660,
	CTL_DEFAULT_MAX_CLIENTS = 64,
	CTL_MAX_CLIENTS_LIMIT = 65536,
	CTL_READ_CHUNK = 64 * 1024,
	CTL_READ_BUDGET = 4 * CTL_READ_CHUNK, /* per client per poll: fairness */
	CTL_ACCEPT_BUDGET = 64,		      /* per poll */
	CTL_EMFILE_PAUSE_MS = 100,
	CTL_KEEP_BUF = 256 * 1024, /* larger idle buffers are freed */
	CTL_MIN_MAX_LINE = 64,	   /* room for a request at all */
	CTL_MIN_MAX_OUTBUF = 4096, /* room for the hello and an error */
	CTL_DEFAULT_IDLE_MS = 300 * 1000,
	CTL_LARGE_READ_BUDGET = 16 * CTL_READ_CHUNK, /* 1 MiB a round for the large owner */
	CTL_PARSE_POLL_MS = 50,			     /* a fallback: the parser wakes the loop */
};
#define CTL_DEFAULT_MAX_LINE ((size_t)1 << 20)
#define CTL_DEFAULT_MAX_OUTBUF ((size_t)16 << 20)
#define CTL_DEFAULT_MAX_LINE_ADMIN ((size_t)256 << 20)

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* mkdir -p of the directory part of path. */
static int make_parent_dir(const char *path)
{
	char *dir = strdup(path);
	char *p;
	int rc = 0;

	if (dir == NULL)
		return -ENOMEM;
	p = strrchr(dir, '/');
	if (p == NULL || p == dir)
		goto out;
	*p = '\0';
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			rc = -errno;
			goto out;
		}
		*p = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		rc = -errno;
out:
	free(dir);
	return rc;
}

/* Remove path if it is a socket nobody listens on. A live listener gives
 * -EADDRINUSE; a non-socket file -EEXIST (we never delete user files). */
static int remove_stale_socket(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, rc;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	if (rc == 0 || errno == EAGAIN || errno == EINPROGRESS) {
		/* Somebody accepts (or has a full backlog): it is alive. */
		close(fd);
		return -EADDRINUSE;
	}
	rc = errno;
	close(fd);
	if (rc != ECONNREFUSED)
		return -rc;
	if (unlink(sa->sun_path) < 0 && errno != ENOENT)
		return -errno;
	CTL_LOG(NOTICE, "removed stale socket %s\n", sa->sun_path);
	return 0;
}

/* A group name or number. */
static int group_parse(const char *s, gid_t *gid)
{
	struct group gr, *res = NULL;
	char buf[4096], *end;
	unsigned long v;

	if (getgrnam_r(s, &gr, buf, sizeof(buf), &res) == 0 && res != NULL) {
		*gid = res->gr_gid;
		return 0;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v >= (gid_t)-1)
		return -EINVAL;
	*gid = (gid_t)v;
	return 0;
}

static int ctl_listen(struct evs_ctl *ctl, mode_t mode, const char *group)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, rc;

	if (strlen(ctl->path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, ctl->path);
	rc = make_parent_dir(ctl->path);
	if (rc < 0)
		return rc;
	rc = remove_stale_socket(&sa);
	if (rc < 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto err_close;
	}
	/* chmod before listen(): nobody can connect in between. */
	if (chmod(ctl->path, mode) < 0 || stat(ctl->path, &st) < 0) {
		rc = -errno;
		goto err_unlink;
	}
	if (group != NULL) {
		gid_t gid;

		rc = group_parse(group, &gid);
		if (rc == 0 && chown(ctl->path, (uid_t)-1, gid) < 0)
			rc = -errno;
		if (rc < 0)
			goto err_unlink;
	}
	if (listen(fd, SOMAXCONN) < 0) {
		rc = -errno;
		goto err_unlink;
	}
	ctl->sock_dev = st.st_dev;
	ctl->sock_ino = st.st_ino;
	ctl->listen_fd = fd;
	return 0;

err_unlink:
	unlink(ctl->path);
err_close:
	close(fd);
	return rc;
}

struct evs_ctl *evs_ctl_create(const struct evs_ctl_config *cfg)
{
	struct evs_ctl *ctl;
	int rc;

	if (cfg == NULL || cfg->path == NULL || cfg->path[0] == '\0' ||
	    cfg->max_clients > CTL_MAX_CLIENTS_LIMIT || (cfg->mode & ~(mode_t)0777) != 0 ||
	    (cfg->max_line != 0 && cfg->max_line < CTL_MIN_MAX_LINE) ||
	    (cfg->max_outbuf != 0 && cfg->max_outbuf < CTL_MIN_MAX_OUTBUF)) {
		errno = EINVAL;
		return NULL;
	}
	ctl = calloc(1, sizeof(*ctl));
	if (ctl == NULL)
		goto err_nomem;
	ctl->listen_fd = -1;
	ctl->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ctl->wake_fd < 0)
		goto err_free;
	ctl->max_clients = cfg->max_clients ? cfg->max_clients : CTL_DEFAULT_MAX_CLIENTS;
	ctl->max_line = cfg->max_line ? cfg->max_line : CTL_DEFAULT_MAX_LINE;
	ctl->max_line_admin =
	    cfg->max_line_admin ? cfg->max_line_admin : CTL_DEFAULT_MAX_LINE_ADMIN;
	if (ctl->max_line_admin < ctl->max_line)
		ctl->max_line_admin = ctl->max_line;
	ctl->max_outbuf = cfg->max_outbuf ? cfg->max_outbuf : CTL_DEFAULT_MAX_OUTBUF;
	ctl->idle_timeout_ms = cfg->idle_timeout_ms < 0	   ? 0
			       : cfg->idle_timeout_ms == 0 ? CTL_DEFAULT_IDLE_MS
							   : (uint64_t)cfg->idle_timeout_ms;
	/* A quarter of the slots (1..4) only an admin may take. */
	ctl->admin_reserve = ctl->max_clients / 4 < 4 ? ctl->max_clients / 4 : 4;
	if (ctl->admin_reserve == 0 && ctl->max_clients > 1)
		ctl->admin_reserve = 1;
	ctl->path = strdup(cfg->path);
	ctl->api_version = strdup(cfg->api_version ? cfg->api_version : "1");
	ctl->clients = calloc(ctl->max_clients, sizeof(*ctl->clients));
	ctl->pfds = calloc(ctl->max_clients + 2, sizeof(*ctl->pfds)); /* + listener, wake */
	if (ctl->path == NULL || ctl->api_version == NULL || ctl->clients == NULL ||
	    ctl->pfds == NULL)
		goto err_free;
	rc = ctl_register_builtins(ctl);
	if (rc < 0)
		goto err_free;
	rc = ctl_listen(ctl, cfg->mode ? cfg->mode : CTL_DEFAULT_MODE, cfg->group);
	if (rc < 0) {
		CTL_LOG(ERR, "cannot listen on %s: %s\n", cfg->path, strerror(-rc));
		evs_ctl_free(ctl);
		errno = -rc;
		return NULL;
	}
	CTL_LOG(INFO, "listening on %s\n", ctl->path);
	return ctl;

err_free:
	evs_ctl_free(ctl);
err_nomem:
	errno = ENOMEM;
	return NULL;
}

static void client_free(struct ctl_client *cl)
{
	if (cl == NULL)
		return;
	ctl_pending_orphan(cl);
	if (cl->fd >= 0)
		close(cl->fd);
	free(cl->groups);
	free(cl->in);
	free(cl->out);
	free(cl);
}

void evs_ctl_free(struct evs_ctl *ctl)
{
	struct stat st;
	unsigned i;

	if (ctl == NULL)
		return;
	ctl_large_free(ctl); /* waits for a parse reading a client's buffer */
	if (ctl->wake_fd >= 0)
		close(ctl->wake_fd);
	for (i = 0; i < ctl->n_clients; i++)
		client_free(ctl->clients[i]);
	ctl_pending_free_all(ctl);
	if (ctl->listen_fd >= 0) {
		close(ctl->listen_fd);
		/* Unlink only our own socket: a successor may have replaced it. */
		if (stat(ctl->path, &st) == 0 && st.st_dev == ctl->sock_dev &&
		    st.st_ino == ctl->sock_ino)
			unlink(ctl->path);
	}
	ctl_methods_free(ctl);
	ctl_topics_free(ctl);
	json_decref(ctl->access);
	free(ctl->clients);
	free(ctl->pfds);
	free(ctl->api_version);
	free(ctl->path);
	free(ctl);
}

int evs_ctl_stats_get(const struct evs_ctl *ctl, struct evs_ctl_stats *stats)
{
	if (ctl == NULL || stats == NULL)
		return -EINVAL;
	*stats = ctl->stats;
	return 0;
}

static void send_hello(struct evs_ctl *ctl, struct ctl_client *cl)
{
	json_t *msg = json_pack("{s:s, s:s, s:{s:s, s:I, s:s, s:s, s:s, s:I}}", "jsonrpc", "2.0",
				"method", "hello", "params", "api_version", ctl->api_version, "pid",
				(json_int_t)getpid(), "server", "edgevs", "version", EVS_VERSION,
				"role", evs_ctl_role_name(cl->role), "uid", (json_int_t)cl->uid);

	if (msg == NULL) {
		cl->dead = true;
		return;
	}
	if (ctl_send_json(ctl, cl, msg) < 0)
		cl->dead = true;
	json_decref(msg);
}

/* Refuse a connection beyond max_clients with one error line, best effort. */
static void reject_client(struct evs_ctl *ctl, int fd)
{
	char line[192];
	int n;

	n = snprintf(line, sizeof(line),
		     "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":%d,\"message\":"
		     "\"too many clients (limit %u)\"}}\n",
		     EVS_CTL_E_BUSY, ctl->max_clients);
	if (send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		CTL_LOG(DEBUG, "reject: %s\n", strerror(errno));
	close(fd);
	ctl->stats.clients_rejected++;
	CTL_LOG(WARNING, "client refused: %u clients connected\n", ctl->n_clients);
}

/* Close a client now with a last error line (best effort). */
static void close_with_notice(struct evs_ctl *ctl, struct ctl_client *cl, const char *why)
{
	ctl_send_notice(ctl, cl, EVS_CTL_E_BUSY, "connection closed: %s", why);
	ctl_client_flush(ctl, cl);
	cl->dead = true;
}

/* The idle non-admin client that has been idle longest, or NULL. */
static struct ctl_client *oldest_idle_non_admin(struct evs_ctl *ctl)
{
	struct ctl_client *best = NULL;
	unsigned i;

	for (i = 0; i < ctl->n_clients; i++) {
		struct ctl_client *cl = ctl->clients[i];

		if (cl->dead || cl->role == EVS_CTL_ROLE_ADMIN || !ctl_client_idle(cl))
			continue;
		if (best == NULL || cl->last_active_ms < best->last_active_ms)
			best = cl;
	}
	return best;
}

/* Room for @cl? Non-admins may fill all slots but the reserved ones; an
 * admin takes a free slot or the one of the longest idle non-admin. */
static bool make_room(struct evs_ctl *ctl, const struct ctl_client *cl)
{
	struct ctl_client *victim;
	unsigned i, non_admin = 0;

	if (cl->role != EVS_CTL_ROLE_ADMIN) {
		for (i = 0; i < ctl->n_clients; i++)
			non_admin += ctl->clients[i]->role != EVS_CTL_ROLE_ADMIN;
		return ctl->n_clients < ctl->max_clients &&
		       non_admin < ctl->max_clients - ctl->admin_reserve;
	}
	if (ctl->n_clients < ctl->max_clients)
		return true;
	victim = oldest_idle_non_admin(ctl);
	if (victim == NULL)
		return false;
	CTL_LOG(WARNING, "client %" PRIu64 " (uid %u, idle) evicted for an admin connection\n",
		victim->serial, (unsigned)victim->uid);
	close_with_notice(ctl, victim, "evicted (idle) to make room for an admin");
	ctl->stats.clients_evicted++;
	ctl_drop_dead_clients(ctl);
	return true;
}

static void accept_clients(struct evs_ctl *ctl)
{
	struct ctl_client *cl;
	int i, fd;

	for (i = 0; i < CTL_ACCEPT_BUDGET; i++) {
		fd = accept4(ctl->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* The connection stays queued; retry later, not in a spin. */
				CTL_LOG(ERR, "accept: %s\n", strerror(errno));
				ctl->accept_pause_until_ms = now_ms() + CTL_EMFILE_PAUSE_MS;
			}
			return; /* EAGAIN, or a connection that died in the queue */
		}
		cl = calloc(1, sizeof(*cl));
		if (cl == NULL) {
			close(fd);
			ctl->stats.clients_rejected++;
			continue;
		}
		cl->fd = fd;
		ctl_client_identify(ctl, cl);
		if (!make_room(ctl, cl)) {
			cl->fd = -1;
			client_free(cl);
			reject_client(ctl, fd);
			continue;
		}
		cl->serial = ++ctl->next_serial;
		cl->last_active_ms = now_ms();
		ctl->clients[ctl->n_clients++] = cl;
		ctl->stats.clients_accepted++;
		ctl->stats.clients_connected++;
		CTL_LOG(DEBUG, "client %" PRIu64 " connected: uid %u gid %u pid %d, %s\n",
			cl->serial, (unsigned)cl->uid, (unsigned)cl->gid, (int)cl->pid,
			evs_ctl_role_name(cl->role));
		send_hello(ctl, cl);
		ctl_client_flush(ctl, cl); /* the hello goes out now */
	}
}

/* Close clients idle past the timeout (not those waiting for a deferred
 * answer or subscribed to events: they are busy, not idle). */
static void expire_idle(struct evs_ctl *ctl)
{
	uint64_t now;
	unsigned i;
	bool any = false;

	if (ctl->idle_timeout_ms == 0 || ctl->n_clients == 0)
		return;
	now = now_ms();
	for (i = 0; i < ctl->n_clients; i++) {
		struct ctl_client *cl = ctl->clients[i];

		if (cl->dead || !ctl_client_idle(cl) ||
		    now - cl->last_active_ms < ctl->idle_timeout_ms)
			continue;
		CTL_LOG(INFO, "client %" PRIu64 " (uid %u) closed: idle for %" PRIu64 " ms\n",
			cl->serial, (unsigned)cl->uid, now - cl->last_active_ms);
		close_with_notice(ctl, cl, "idle timeout");
		ctl->stats.clients_idle_closed++;
		any = true;
	}
	if (any)
		ctl_drop_dead_clients(ctl);
}

void ctl_client_flush(struct evs_ctl *ctl, struct ctl_client *cl)
{
	ssize_t n;

	if (cl->dead)
		return;
	while (cl->out_head < cl->out_len) {
		n = send(cl->fd, cl->out + cl->out_head, cl->out_len - cl->out_head,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			CTL_LOG(DEBUG, "client %" PRIu64 ": send: %s\n", cl->serial,
				strerror(errno));
			cl->dead = true;
			return;
		}
		cl->out_head += (size_t)n;
	}
	if (cl->out_head == cl->out_len) {
		cl->out_head = 0;
		cl->out_len = 0;
		if (cl->out_cap > CTL_KEEP_BUF) {
			/* Long-lived clients keep no big buffer after a big reply. */
			free(cl->out);
			cl->out = NULL;
			cl->out_cap = 0;
		}
	} else if (cl->out_head > cl->out_cap / 2) {
		memmove(cl->out, cl->out + cl->out_head, cl->out_len - cl->out_head);
		cl->out_len -= cl->out_head;
		cl->out_head = 0;
	}
	if (cl->out_len - cl->out_head > ctl->max_outbuf) {
		CTL_LOG(WARNING, "client %" PRIu64 " dropped: %zu bytes unread (limit %zu)\n",
			cl->serial, cl->out_len - cl->out_head, ctl->max_outbuf);
		cl->dead = true;
	}
}

/* Dispatch every complete line in the input buffer, then deal with an
 * overlong partial line. Returns the number of methods dispatched. */
/* A line past the client's limit: answered now; the rest of it is dropped. */
static void refuse_long_line(struct evs_ctl *ctl, struct ctl_client *cl, int why)
{
	ctl->stats.lines_oversized++;
	if (why == -EBUSY)
		ctl_send_error(ctl, cl, NULL, EVS_CTL_E_BUSY, "",
			       "another large request is being received; retry");
	else if (why == -EPERM || ctl_line_limit(ctl, cl) == ctl->max_line)
		ctl_send_error(ctl, cl, NULL, EVS_CTL_E_INVALID_REQUEST, "",
			       "request line too long (more than %zu bytes%s)", ctl->max_line,
			       ctl->max_line_admin > ctl->max_line ? "; larger ones are for admins"
								   : "");
	else
		ctl_send_error(ctl, cl, NULL, EVS_CTL_E_INVALID_REQUEST, "",
			       "request line too long (more than %zu bytes)", ctl->max_line_admin);
	ctl_large_release(ctl, cl);
}

/* May @cl go on with a line of @len bytes? Past max_line it needs the
 * large-line slot. 0 or the -errno refuse_long_line() explains. */
static int line_allowed(struct evs_ctl *ctl, struct ctl_client *cl, size_t len)
{
	int rc;

	if (len <= ctl->max_line)
		return 0;
	rc = ctl_large_acquire(ctl, cl);
	if (rc == 0 && len > ctl->max_line_admin)
		rc = -EMSGSIZE;
	return rc;
}

/* Dispatch every complete line in the input buffer, then deal with an
 * overlong partial line. Returns the number of methods dispatched. */
static int process_input(struct evs_ctl *ctl, struct ctl_client *cl, size_t scan_from)
{
	size_t start = 0, len;
	char *nl;
	int handled = 0, rc;

	while (!cl->dead && cl->pending == NULL && !cl->parsing && start < cl->in_len) {
		nl = memchr(cl->in + scan_from, '\n', cl->in_len - scan_from);
		if (nl == NULL)
			break;
		len = (size_t)(nl - (cl->in + start));
		if (cl->discarding) {
			cl->discarding = false; /* the end of the oversized line */
		} else if ((rc = line_allowed(ctl, cl, len)) < 0) {
			refuse_long_line(ctl, cl, rc);
		} else if (len > ctl->max_line) {
			/* Large: parsed off the management lcore, from in[0]. */
			memmove(cl->in, cl->in + start, cl->in_len - start);
			cl->in_len -= start;
			if (ctl_large_start(ctl, cl, len) == 0)
				return handled;
			handled += ctl_handle_line(ctl, cl, cl->in, len); /* no thread */
			ctl_large_release(ctl, cl);
			start = 0;
		} else {
			handled += ctl_handle_line(ctl, cl, cl->in + start, len);
		}
		start = len + start + 1;
		scan_from = start;
	}
	if (start > 0) {
		memmove(cl->in, cl->in + start, cl->in_len - start);
		cl->in_len -= start;
	}
	if (cl->pending != NULL || cl->parsing)
		return handled; /* paused: the rest waits */
	if (cl->discarding) {
		cl->in_len = 0;
	} else if (cl->in_len > ctl->max_line && (rc = line_allowed(ctl, cl, cl->in_len)) < 0) {
		/* Answer now, not when the newline finally comes. */
		refuse_long_line(ctl, cl, rc);
		cl->discarding = true;
		cl->in_len = 0;
	}
	return handled;
}

static int grow_input(struct evs_ctl *ctl, struct ctl_client *cl)
{
	size_t limit = ctl_line_limit(ctl, cl) + CTL_READ_CHUNK;
	size_t cap;
	char *p;

	if (cl->in_cap - cl->in_len >= CTL_READ_CHUNK / 4 || cl->in_cap >= limit)
		return 0;
	cap = cl->in_cap ? cl->in_cap * 2 : 4096;
	if (cap > limit)
		cap = limit;
	p = realloc(cl->in, cap);
	if (p == NULL)
		return -ENOMEM;
	cl->in = p;
	cl->in_cap = cap;
	return 0;
}

/* Serve what is buffered; a last request without its newline counts once
 * the peer is done sending. */
static int serve_buffered(struct evs_ctl *ctl, struct ctl_client *cl, size_t scan_from)
{
	int handled = process_input(ctl, cl, scan_from);

	if (cl->read_closed && !cl->dead && cl->pending == NULL && !cl->parsing && cl->in_len > 0) {
		if (!cl->discarding && cl->in_len <= ctl->max_line)
			handled += ctl_handle_line(ctl, cl, cl->in, cl->in_len);
		if (cl->pending == NULL)
			cl->in_len = 0;
	}
	if (cl->in_len == 0 && cl->in_cap > CTL_KEEP_BUF) {
		free(cl->in);
		cl->in = NULL;
		cl->in_cap = 0;
	}
	return handled;
}

static int read_client(struct evs_ctl *ctl, struct ctl_client *cl)
{
	/* The large-line owner reads more per round: one big client, bounded. */
	size_t budget = ctl->large_owner == cl ? CTL_LARGE_READ_BUDGET : CTL_READ_BUDGET, old;
	ssize_t n;
	int handled = 0;

	while (!cl->dead && !cl->read_closed && cl->pending == NULL && !cl->parsing && budget > 0) {
		if (grow_input(ctl, cl) < 0) {
			CTL_LOG(ERR, "client %" PRIu64 ": out of memory\n", cl->serial);
			cl->dead = true;
			break;
		}
		n = recv(cl->fd, cl->in + cl->in_len, cl->in_cap - cl->in_len, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) {
				CTL_LOG(DEBUG, "client %" PRIu64 ": recv: %s\n", cl->serial,
					strerror(errno));
				cl->dead = true;
			}
			break;
		}
		if (n == 0) {
			cl->read_closed = true;
			break;
		}
		old = cl->in_len;
		cl->in_len += (size_t)n;
		cl->last_active_ms = now_ms();
		budget = (size_t)n >= budget ? 0 : budget - (size_t)n;
		handled += process_input(ctl, cl, old);
	}
	return handled + serve_buffered(ctl, cl, cl->in_len);
}

/* Clients whose deferred call was answered go on with their buffered input. */
static int resume_clients(struct evs_ctl *ctl, bool *any)
{
	unsigned i;
	int handled = 0;

	*any = false;
	for (i = 0; i < ctl->n_clients; i++) {
		struct ctl_client *cl = ctl->clients[i];

		if (!cl->resume || cl->pending != NULL || cl->parsing)
			continue;
		cl->resume = false;
		cl->last_active_ms = now_ms();
		*any = true;
		if (!cl->dead)
			handled += serve_buffered(ctl, cl, 0);
	}
	return handled;
}

void ctl_drop_dead_clients(struct evs_ctl *ctl)
{
	struct ctl_client *cl;
	unsigned i = 0;

	while (i < ctl->n_clients) {
		cl = ctl->clients[i];
		if (cl->read_closed && !cl->dead && cl->pending == NULL && cl->in_len == 0 &&
		    cl->out_head == cl->out_len)
			cl->dead = true; /* peer done and everything delivered */
		if (!cl->dead || cl->parsing) {
			i++; /* a parse reads its buffer: freed once collected */
			continue;
		}
		ctl_large_release(ctl, cl);
		if (!cl->read_closed || cl->out_head != cl->out_len)
			ctl->stats.clients_dropped++;
		CTL_LOG(DEBUG, "client %" PRIu64 " closed\n", cl->serial);
		client_free(cl);
		ctl->clients[i] = ctl->clients[--ctl->n_clients];
		ctl->clients[ctl->n_clients] = NULL;
		ctl->stats.clients_connected--;
	}
}

void evs_ctl_wake(struct evs_ctl *ctl)
{
	uint64_t one = 1;

	/* EAGAIN: the counter is full, a wake-up is pending anyway */
	if (ctl != NULL && write(ctl->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		CTL_LOG(ERR, "wake fd: %s\n", strerror(errno));
}

int evs_ctl_poll(struct evs_ctl *ctl, int timeout_ms)
{
	struct ctl_client *cl;
	unsigned i, n_clients, nfds = 0;
	bool listening, resumed;
	int rc, handled = 0;

	if (ctl == NULL)
		return -EINVAL;
	if (ctl->in_poll)
		return -EBUSY;
	ctl->in_poll = true;
	handled = ctl_large_poll(ctl);
	handled += resume_clients(ctl, &resumed);
	expire_idle(ctl);
	ctl->in_poll = false;
	if (ctl->idle_timeout_ms != 0 && ctl->n_clients > 0 &&
	    (timeout_ms < 0 || (uint64_t)timeout_ms > ctl->idle_timeout_ms / 4 + 1))
		timeout_ms = (int)(ctl->idle_timeout_ms / 4 + 1); /* wake to expire them */
	if (ctl_large_busy(ctl) && (timeout_ms < 0 || timeout_ms > CTL_PARSE_POLL_MS))
		timeout_ms = CTL_PARSE_POLL_MS; /* collect the parse soon */
	if (resumed)
		timeout_ms = 0; /* their answers go out now */
	listening = ctl->accept_pause_until_ms == 0 || now_ms() >= ctl->accept_pause_until_ms;
	if (listening) {
		ctl->accept_pause_until_ms = 0;
		ctl->pfds[nfds++] = (struct pollfd){.fd = ctl->listen_fd, .events = POLLIN};
	} else if (timeout_ms < 0 || timeout_ms > CTL_EMFILE_PAUSE_MS) {
		timeout_ms = CTL_EMFILE_PAUSE_MS;
	}
	n_clients = ctl->n_clients;
	for (i = 0; i < n_clients; i++) {
		cl = ctl->clients[i];
		ctl->pfds[nfds++] = (struct pollfd){
		    .fd = cl->fd,
		    .events = (short)((cl->read_closed || cl->pending || cl->parsing ? 0 : POLLIN) |
				      (cl->out_head < cl->out_len ? POLLOUT : 0)),
		};
	}
	ctl->pfds[nfds++] = (struct pollfd){.fd = ctl->wake_fd, .events = POLLIN};
	rc = poll(ctl->pfds, nfds, timeout_ms);
	if (rc < 0)
		return errno == EINTR ? handled : -errno;
	if (ctl->pfds[nfds - 1].revents & POLLIN) {
		uint64_t v;

		/* Drained here; what woke us is collected by the caller's loop. */
		if (read(ctl->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			CTL_LOG(ERR, "wake fd: %s\n", strerror(errno));
		rc--;
	}
	if (rc == 0) {
		if (resumed)
			ctl_drop_dead_clients(ctl);
		return handled;
	}

	ctl->in_poll = true;
	/* Clients first (their pfds follow the listener's), new ones after. */
	for (i = 0; i < n_clients; i++) {
		struct pollfd *p = &ctl->pfds[i + (listening ? 1 : 0)];

		cl = ctl->clients[i];
		if (p->revents & POLLNVAL) {
			cl->dead = true;
			continue;
		}
		if ((cl->pending != NULL || cl->parsing) && (p->revents & (POLLHUP | POLLERR))) {
			/* Gone while its call is deferred (its input is not read,
			 * so nothing else would notice): the answer will be dropped. */
			cl->dead = true;
			continue;
		}
		if (p->revents & (POLLIN | POLLHUP | POLLERR))
			handled += read_client(ctl, cl);
		ctl_client_flush(ctl, cl);
	}
	if (listening && (ctl->pfds[0].revents & POLLIN))
		accept_clients(ctl);
	ctl_drop_dead_clients(ctl);
	ctl->in_poll = false;
	return handled;
}
