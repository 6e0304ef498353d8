/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_CTL_PRIVATE_H
#define EVS_CTL_PRIVATE_H

/* Server internals shared by ctl_server.c (sockets, buffers), ctl_dispatch.c
 * (request handling) and ctl_methods.c (registry and built-in methods). */

#include <poll.h>
#include <sys/stat.h>

#include "evs_ctl.h"

extern int evs_ctl_logtype;
#define CTL_LOG(level, ...) rte_log(RTE_LOG_##level, evs_ctl_logtype, "ctl: " __VA_ARGS__)

/* One connection. Buffers grow on demand: input up to max_line plus one read
 * chunk, output up to max_outbuf (past that the client is dropped). */
struct ctl_client {
	int fd;
	uint64_t serial; /* for log lines */
	uint32_t uid;	 /* peer credentials at connect time (-1: unknown) */
	uint32_t gid;
	int32_t pid;
	gid_t *groups; /* supplementary groups (SO_PEERGROUPS), may be NULL */
	size_t n_groups;
	enum evs_ctl_role role;
	uint64_t last_active_ms; /* last input (or deferred answer), CLOCK_MONOTONIC */
	uint32_t topics;	 /* event topics subscribed to (bit per topic) */
	uint64_t events_missed;	 /* events lost (output full) since the last one sent */
	char *in;		 /* unparsed input */
	size_t in_len;
	size_t in_cap;
	char *out; /* unsent output is out[out_head, out_len) */
	size_t out_head;
	size_t out_len;
	size_t out_cap;
	struct evs_ctl_pending *pending; /* deferred call: input waits until it is answered */
	bool resume;			 /* answered: serve buffered input at the next poll */
	bool parsing;	  /* its large line is being parsed off the management lcore */
	size_t parse_len; /* bytes of that line at in[0] */
	bool discarding;  /* dropping the rest of an oversized line */
	bool read_closed; /* peer shut down its side: flush, then close */
	bool dead;	  /* to be closed at the end of this poll round */
};

struct ctl_method_entry {
	struct evs_ctl_method m; /* name, usage, help owned (malloc'd) */
};

struct ctl_topic {
	char name[64];
	char *help;
	uint64_t seq; /* events published */
};

struct evs_ctl {
	char *path;
	dev_t sock_dev; /* identity of the socket file we bound, so free() */
	ino_t sock_ino; /* never unlinks a successor's socket */
	int listen_fd;
	int wake_fd; /* eventfd: another thread finished work for this loop */
	unsigned max_clients;
	unsigned admin_reserve;	  /* slots only an admin may take */
	uint64_t idle_timeout_ms; /* 0: never */
	size_t max_line;
	size_t max_line_admin; /* lines past max_line: admins only, one at a time */
	size_t max_outbuf;
	struct ctl_client *large_owner; /* the client receiving the large line, if any */
	struct ctl_parser *parser;	/* parse thread for large lines (created on first use) */
	char *api_version;

	struct ctl_client **clients;
	unsigned n_clients;
	struct pollfd *pfds; /* max_clients + 1, allocated once */
	uint64_t next_serial;
	uint64_t accept_pause_until_ms; /* after EMFILE, so poll() does not spin */

	struct ctl_method_entry *methods; /* sorted by name */
	size_t n_methods;
	size_t cap_methods;

	struct evs_ctl_pending *pendings; /* every deferred call not answered yet */
	json_t *access;			  /* the "access" section; NULL: everyone admin */
	struct ctl_topic topics[EVS_CTL_MAX_TOPICS];
	unsigned n_topics;

	bool in_poll;
	struct evs_ctl_stats stats;
};

/* A call kept open past its handler (evs_ctl_call_defer()). */
struct evs_ctl_pending {
	struct evs_ctl *ctl;
	struct ctl_client *client; /* NULL once the client is gone */
	json_t *id;		   /* owned; NULL: notification */
	char *method;
	json_t *held; /* answer given through the call while deferred, sent on release */
	struct evs_ctl_call *call; /* while its handler runs: unlinked when answered early */
	bool mutation;		   /* audit the outcome */
	uint32_t uid;		   /* the caller, for the audit line */
	int32_t pid;
	struct evs_ctl_pending *next, *prev;
};

struct evs_ctl_call {
	struct evs_ctl *ctl;
	struct ctl_client *client;
	const char *method;
	json_t *id; /* NULL: notification */
	bool replied;
	bool mutation;			 /* not read_only: its outcome is audited */
	struct evs_ctl_pending *pending; /* set by evs_ctl_call_defer() */
	bool resumed;			 /* evs_ctl_pending_resume(): pending was deferred before */
	bool kept;			 /* ... and the handler deferred it again */
};

/* ctl_dispatch.c */
/* Handle one complete request line (no newline); may mark the client dead.
 * Returns 1 when a method was dispatched, 0 otherwise. */
int ctl_handle_line(struct evs_ctl *ctl, struct ctl_client *cl, const char *line, size_t len);
/* Dispatch a parsed request (reference stolen; NULL: parse error in @jerr). */
int ctl_dispatch_parsed(struct evs_ctl *ctl, struct ctl_client *cl, json_t *req,
			const json_error_t *jerr);
/* Queue an error reply not tied to a call (id null). */
void ctl_send_error(struct evs_ctl *ctl, struct ctl_client *cl, const json_t *id, int code,
		    const char *path, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* A last error line before the server closes the connection (id null, not
 * counted as an error: nobody's request failed). */
void ctl_send_notice(struct evs_ctl *ctl, struct ctl_client *cl, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Queue one JSON line; drops the client if its output passes max_outbuf.
 * Returns 0, -EMSGSIZE (message alone larger than max_outbuf; nothing queued),
 * -ENOMEM. */
int ctl_send_json(struct evs_ctl *ctl, struct ctl_client *cl, const json_t *msg);

/* Reply / error messages ({"jsonrpc","id","result"|"error"}), NULL on ENOMEM. */
json_t *ctl_msg_result(const json_t *id, json_t *result);
json_t *ctl_msg_error(const json_t *id, int code, const char *path, const char *message);
/* Queue a whole reply message; a reply over max_outbuf becomes a -32002
 * error. Drops the client when even that cannot be queued. */
void ctl_send_reply(struct evs_ctl *ctl, struct ctl_client *cl, const json_t *id, json_t *msg);

/* Append raw bytes and a newline to the client's output. 0 or -ENOMEM. */
int ctl_out_append(struct ctl_client *cl, const char *buf, size_t len);

/* ctl_events.c */
int ctl_register_events(struct evs_ctl *ctl);
void ctl_topics_free(struct evs_ctl *ctl);

/* ctl_large.c */
/* Longest line the client may send now (max_line, or max_line_admin for
 * the large-line owner). */
size_t ctl_line_limit(const struct evs_ctl *ctl, const struct ctl_client *cl);
/* Let @cl send a line past max_line: admins only, one client at a time.
 * 0, or -EPERM (not admin), -EBUSY (another large line in flight). */
int ctl_large_acquire(struct evs_ctl *ctl, struct ctl_client *cl);
void ctl_large_release(struct evs_ctl *ctl, struct ctl_client *cl);
/* Parse the large line at cl->in[0..len) on the parse thread; the client is
 * paused until ctl_large_poll() dispatches it. 0 or -errno (then parse inline). */
int ctl_large_start(struct evs_ctl *ctl, struct ctl_client *cl, size_t len);
/* Dispatch a finished parse. Returns the number dispatched (0 or 1). */
int ctl_large_poll(struct evs_ctl *ctl);
bool ctl_large_busy(const struct evs_ctl *ctl);
void ctl_large_free(struct evs_ctl *ctl);

/* Audit line of a mutation's outcome (code 0: done). */
void ctl_audit_outcome(uint32_t uid, int32_t pid, const char *method, int code);

/* ctl_pending.c */
/* The client is going away: its deferred call's answer will be dropped. */
void ctl_pending_orphan(struct ctl_client *cl);
/* Free every pending call (server shutdown). */
void ctl_pending_free_all(struct evs_ctl *ctl);

/* ctl_access.c */
/* Read the peer's credentials and give the client its role. */
void ctl_client_identify(struct evs_ctl *ctl, struct ctl_client *cl);
/* True when the client's role may call @m; refusals are logged and counted. */
bool ctl_access_allows(struct evs_ctl *ctl, struct ctl_client *cl, const struct evs_ctl_method *m);

/* ctl_server.c */
/* Free the clients marked dead (compacts the client array). */
void ctl_drop_dead_clients(struct evs_ctl *ctl);
/* Idle: no deferred call, no subscription (such clients wait on purpose). */
static inline bool ctl_client_idle(const struct ctl_client *cl)
{
	return cl->pending == NULL && cl->topics == 0;
}
/* Try to write pending output now; marks the client dead on error or when
 * output stays above max_outbuf. */
void ctl_client_flush(struct evs_ctl *ctl, struct ctl_client *cl);

/* ctl_methods.c */
const struct ctl_method_entry *ctl_method_find(const struct evs_ctl *ctl, const char *name);
int ctl_register_builtins(struct evs_ctl *ctl);
/* Register @n methods; stops at the first failure. */
int ctl_register_array(struct evs_ctl *ctl, const struct evs_ctl_method *m, size_t n);
void ctl_methods_free(struct evs_ctl *ctl);

/* ctl_params.c */
const char *ctl_type_name(enum evs_ctl_type t);
/* Usage line built from a spec ("name=STRING [mtu=UINT]"), malloc'd. */
char *ctl_usage_from_spec(const struct evs_ctl_param *spec, size_t n);
/* Spec described as JSON for "help". */
json_t *ctl_spec_to_json(const struct evs_ctl_param *spec, size_t n);

#endif /* EVS_CTL_PRIVATE_H */
