/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_CTL_H
#define EVS_CTL_H

/**
 * @file
 * Control socket: JSON-RPC 2.0 over a Unix stream socket, one JSON object per
 * line, plus a small client used by edgevsctl and the tests.
 *
 * What: the daemon's only control interface. Libraries register methods named
 * "object.verb" with a handler, a usage line, help text and optionally a
 * declarative params spec that the library checks before the handler runs, so
 * handlers never hand-code type or range checks. Errors carry a JSON-RPC code,
 * a message and the RFC 6901 pointer of the offending field in the request
 * (data.path, e.g. "/params/config/ports/2/devargs"). The wire protocol is
 * described in doc/control-socket.md.
 *
 * Thread-safety: a struct evs_ctl is single-threaded. Create it, register
 * methods, poll it and free it from one thread (the management lcore). Handlers
 * run inside evs_ctl_poll() on that thread and reply before returning, or
 * defer the call (evs_ctl_call_defer()) and answer it later, still from that
 * thread.
 * Nothing here needs EAL: plain libc and jansson (logging goes through rte_log,
 * which works before rte_eal_init()). The client functions are independent of
 * the server and may be used from any thread, one client per thread.
 *
 * Errors: int functions return 0 or -errno; constructors return NULL and set
 * errno (plain errno, not rte_errno).
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Socket the daemon and edgevsctl use unless told otherwise. */
#define EVS_CTL_DEFAULT_PATH "/run/edgevs/edgevs.sock"
/** Environment variable edgevsctl reads for the socket path. */
#define EVS_CTL_SOCKET_ENV "EDGEVS_SOCKET"
/** Longest JSON pointer kept in an error (longer ones are cut). */
#define EVS_CTL_PATH_MAX 512
/** Event topics a server can carry. */
#define EVS_CTL_MAX_TOPICS 32
/** Longest error message kept (longer ones are cut). */
#define EVS_CTL_MSG_MAX 512

/**
 * Error codes: JSON-RPC 2.0 ones, then edgevs ones (-32000 and down).
 * Internally every function returns 0 or -errno; evs_ctl_errno_code() is the
 * one place an errno becomes one of these (EINVAL -> INVALID_PARAMS, EEXIST/
 * EBUSY -> EXISTS, ENOENT/ENODEV -> NOT_FOUND, ENOSPC/EAGAIN -> BUSY, ESTALE ->
 * CONFLICT, EIO/ENXIO/EPERM/EACCES/ENOTSUP/ETIMEDOUT -> APPLY_FAILED, others ->
 * INTERNAL; 0 -> 0).
 */
enum evs_ctl_errcode {
	EVS_CTL_E_PARSE = -32700,	     /**< not JSON, or not UTF-8 */
	EVS_CTL_E_INVALID_REQUEST = -32600,  /**< not a valid request object */
	EVS_CTL_E_METHOD_NOT_FOUND = -32601, /**< no such method */
	EVS_CTL_E_INVALID_PARAMS = -32602,   /**< params fail the method's spec */
	EVS_CTL_E_INTERNAL = -32603,	     /**< handler failed unexpectedly */
	EVS_CTL_E_EXISTS = -32000,	     /**< object already exists / conflicts */
	EVS_CTL_E_NOT_FOUND = -32001,	     /**< referenced object does not exist */
	EVS_CTL_E_BUSY = -32002,	     /**< resource busy or a limit reached */
	EVS_CTL_E_APPLY_FAILED = -32003,     /**< valid request, applying it failed */
	EVS_CTL_E_FORBIDDEN = -32004,	     /**< the client's role may not call the method */
	EVS_CTL_E_CONFLICT = -32005,	     /**< expected generation is not the current one */
};

/** What a client may call (its socket credentials decide, see evs_ctl_set_access()). */
enum evs_ctl_role {
	EVS_CTL_ROLE_NONE,	/**< nothing */
	EVS_CTL_ROLE_READ_ONLY, /**< methods flagged read_only (get, list, stats, dump, trace) */
	EVS_CTL_ROLE_ADMIN,	/**< everything */
	EVS_CTL_ROLE_MAX,
};

/* ---------------------------------------------------------------------- */
/* Server (management lcore only)                                          */
/* ---------------------------------------------------------------------- */

struct evs_ctl;
struct evs_ctl_call;

/** Server settings; zero fields take the defaults shown. */
struct evs_ctl_config {
	const char *path;      /**< socket path (required), e.g. EVS_CTL_DEFAULT_PATH */
	mode_t mode;	       /**< socket file mode; 0: 0660 */
	unsigned max_clients;  /**< connections at once (at most 65536); 0: 64. A quarter of
				  them (1..4) is kept for admin clients, and an admin finding
				  every slot taken evicts the longest idle non-admin client. */
	int idle_timeout_ms;   /**< close clients silent this long (not those waiting for a
				  deferred answer or subscribed); 0: 5 minutes; < 0: never */
	size_t max_line;       /**< longest request line in bytes (>= 64); 0: 1 MiB */
	size_t max_line_admin; /**< longest line of an admin client, one such line at a time
				  server-wide, parsed off the management lcore; 0: 256 MiB */
	size_t max_outbuf; /**< unsent bytes before the client is dropped (>= 4096); 0: 16 MiB */
	const char *api_version; /**< sent in the hello; NULL: "1" */
	const char *group; /**< group (name or number) of the socket file; NULL: the creator's */
};

/** Counters since evs_ctl_create(). */
struct evs_ctl_stats {
	uint64_t requests;	      /**< well-formed requests dispatched (with an id) */
	uint64_t notifications;	      /**< well-formed notifications dispatched (no id) */
	uint64_t errors;	      /**< error outcomes (replied or, for notifications, not) */
	uint64_t lines_oversized;     /**< lines longer than the client may send, discarded */
	uint64_t lines_large;	      /**< lines past max_line received from admins */
	uint64_t clients_accepted;    /**< connections accepted */
	uint64_t clients_rejected;    /**< connections refused: max_clients reached */
	uint64_t clients_dropped;     /**< dropped: output past max_outbuf or socket error */
	uint64_t clients_connected;   /**< connections open now */
	uint64_t deferred;	      /**< calls deferred (evs_ctl_call_defer()) */
	uint64_t mutations;	      /**< calls of non-read-only methods (audited in the log) */
	uint64_t calls_refused;	      /**< calls the client's role did not allow (-32004) */
	uint64_t clients_idle_closed; /**< closed after idle_timeout_ms without a request */
	uint64_t clients_evicted;     /**< idle non-admins closed to let an admin in */
	uint64_t events_published;    /**< evs_ctl_notify() calls on a known topic */
	uint64_t events_sent;	      /**< event notifications queued to subscribers */
	uint64_t events_dropped;      /**< events lost by subscribers whose output was full */
};

/** Param value types understood by the validator. */
enum evs_ctl_type {
	EVS_CTL_T_ANY,	       /**< any JSON value */
	EVS_CTL_T_STRING,      /**< string; min_len/max_len bound its bytes */
	EVS_CTL_T_INT,	       /**< integer (not real); min/max bound it */
	EVS_CTL_T_UINT,	       /**< integer >= 0; min/max bound it */
	EVS_CTL_T_BOOL,	       /**< true or false */
	EVS_CTL_T_OBJECT,      /**< object; fields (if set) is its spec */
	EVS_CTL_T_ARRAY,       /**< array; items (if set) checks each element */
	EVS_CTL_T_MAC,	       /**< string "aa:bb:cc:dd:ee:ff" */
	EVS_CTL_T_IPV4,	       /**< string "192.0.2.1" */
	EVS_CTL_T_IPV6,	       /**< string "2001:db8::1" */
	EVS_CTL_T_IP,	       /**< IPv4 or IPv6 address string */
	EVS_CTL_T_IPV4_PREFIX, /**< string "192.0.2.0/24" */
	EVS_CTL_T_IPV6_PREFIX, /**< string "2001:db8::/32" */
	EVS_CTL_T_IP_PREFIX,   /**< IPv4 or IPv6 prefix */
};

/**
 * One field of an object spec. Specs are arrays that must outlive their use
 * (static const in practice). Unknown fields are always rejected.
 */
struct evs_ctl_param {
	const char *name; /**< field name (ignored in an `items` spec) */
	enum evs_ctl_type type;
	bool required;		    /**< missing -> -32602 at the field's path */
	bool nullable;		    /**< JSON null accepted (handler sees null) */
	int64_t min, max;	    /**< INT/UINT bounds, inclusive; both 0: unbounded */
	size_t min_len;		    /**< STRING bytes / ARRAY items, at least */
	size_t max_len;		    /**< STRING bytes / ARRAY items, at most; 0: unbounded */
	const char *const *choices; /**< STRING: NULL-terminated allowed values */
	const struct evs_ctl_param *fields; /**< OBJECT: spec of its fields (NULL: any) */
	size_t n_fields;		    /**< entries in fields */
	const struct evs_ctl_param *items;  /**< ARRAY: one entry checking each element */
	const char *help;		    /**< one line shown by "help" */
	/** STRING at the top level of a store object type: key material, never
	 * shown (replies, documents, journal carry "<set>"; doc/store.md). */
	bool secret;
};

/**
 * Method handler. @p params is always an object (empty when the request had
 * none) and, when the method has a spec, already valid against it. The
 * handler must answer with evs_ctl_reply() or evs_ctl_error() before it
 * returns (or defer the call). If it returns rc < 0 without answering, the
 * caller gets evs_ctl_errno_code(rc) with strerror(-rc); rc >= 0 without an
 * answer is a bug answered with -32603.
 */
typedef int (*evs_ctl_handler_t)(struct evs_ctl_call *call, json_t *params, void *arg);

/** A method; evs_ctl_register() copies the strings, not the params spec. */
struct evs_ctl_method {
	const char *name;  /**< "object.verb": [a-z0-9_-] words joined by '.' */
	const char *usage; /**< params in short, e.g. "name=STR [mtu=UINT]"; NULL: from spec */
	const char *help;  /**< what it does (may hold several lines) */
	bool read_only;	   /**< true when it never changes state */
	evs_ctl_handler_t fn;
	void *arg;			    /**< handed to fn */
	const struct evs_ctl_param *params; /**< checked before fn when non-NULL */
	size_t n_params; /**< entries; 0 with params = evs_ctl_no_params accepts only {} */
};

/** A spec with no fields: pass as evs_ctl_method.params with n_params 0. */
extern const struct evs_ctl_param evs_ctl_no_params[1];

/**
 * Create the server: make the parent directory if missing (0755), replace a
 * stale socket file nobody listens on, bind, set the mode and listen. Registers
 * the built-in methods "list", "help" and "ctl.stats".
 *
 * @return the server, or NULL with errno set:
 *   EINVAL (no path, bad settings), ENAMETOOLONG (path too long for a Unix
 *   socket), EADDRINUSE (a live server listens on path), EEXIST (path is not a
 *   socket), ENOMEM, or the errno of mkdir/socket/bind/chmod/listen.
 */
struct evs_ctl *evs_ctl_create(const struct evs_ctl_config *cfg);

/**
 * Close all clients (unsent output is lost), close the socket and unlink its
 * file if it is still the one this server bound. Deferred calls not answered
 * yet are freed: their handles become invalid. NULL is accepted.
 */
void evs_ctl_free(struct evs_ctl *ctl);

/**
 * Serve: wait up to @p timeout_ms (0: just check, -1: forever) for activity,
 * then accept new clients, read and dispatch every complete request line, and
 * write pending output. Never blocks on a client. Must not be called from a
 * handler.
 *
 * @return the number of requests and notifications dispatched (>= 0), or
 *   -EBUSY (called from a handler), or the -errno of poll() other than EINTR.
 */
int evs_ctl_poll(struct evs_ctl *ctl, int timeout_ms);

/**
 * End the current (or next) evs_ctl_poll() wait at once. Safe from any
 * thread, for work another thread finished for the polling one (a journal
 * write, a parse), so that the loop need not spin waiting for it.
 */
void evs_ctl_wake(struct evs_ctl *ctl);

/**
 * Register a method. Safe inside a handler.
 * @return 0, or -EINVAL (bad name, no handler), -EEXIST (name taken), -ENOMEM.
 */
int evs_ctl_register(struct evs_ctl *ctl, const struct evs_ctl_method *m);

/**
 * Remove a method. Safe inside a handler (including the method's own).
 * @return 0, or -ENOENT.
 */
int evs_ctl_unregister(struct evs_ctl *ctl, const char *name);

/** Copy the counters. @return 0, or -EINVAL on NULL arguments. */
int evs_ctl_stats_get(const struct evs_ctl *ctl, struct evs_ctl_stats *stats);

/* --- Change events (management lcore) -------------------------------- */

/*
 * A publisher registers a topic once ("port.link", "config.change", ...);
 * clients call "subscribe" {"topics": [...]} (read-only role is enough) and
 * then receive, on the same connection,
 *   {"jsonrpc":"2.0","method":"event","params":{"topic":T,"seq":N,"data":{...}}}
 * "seq" counts the topic's events. A subscriber whose unsent output would pass
 * max_outbuf loses the event instead (counted); its next event carries
 * "missed": the number it lost. Publishing never blocks and never drops a
 * client. Built-in methods: subscribe, unsubscribe, events.topics.
 */

/**
 * Declare a topic: [a-z0-9._-], at most 63 bytes.
 * @return 0, or -EINVAL, -EEXIST, -ENOSPC (EVS_CTL_MAX_TOPICS reached), -ENOMEM.
 */
int evs_ctl_topic_register(struct evs_ctl *ctl, const char *topic, const char *help);

/**
 * Publish @p data (reference stolen; NULL means JSON null) to the topic's
 * subscribers. Safe inside a handler.
 * @return the number of clients it was queued to, or -ENOENT (unknown topic),
 *   -EINVAL.
 */
int evs_ctl_notify(struct evs_ctl *ctl, const char *topic, json_t *data);

/* --- Access control (management lcore) ------------------------------- */

/*
 * Each client is identified by its socket credentials (SO_PEERCRED: uid, gid,
 * pid; SO_PEERGROUPS: supplementary groups) when it connects. The "access"
 * config section maps them to roles:
 *   {"default": "read-only", "roles": [{"role": "admin", "uids": [1000]},
 *                                      {"role": "read-only", "gids": [27]}]}
 * A client gets the highest role among the rules naming its uid, gid or one
 * of its groups, else "default" (read-only when absent). Root and the
 * daemon's own user are always admin. Without a section every client that can
 * open the socket is admin (the socket's mode and group are the only gate).
 * A method's read_only flag decides the role it needs; a refused call gets
 * -32004 naming that role. Every call of a mutating method is logged (INFO,
 * with uid, pid and method) and counted.
 */

struct evs_ctl_err;

/** The "access" section's spec (for a config schema and the docs). */
extern const struct evs_ctl_param evs_ctl_access_spec;

/**
 * Check an "access" section found at JSON pointer @p path (NULL or JSON null
 * is a valid "no section").
 * @return 0, or -EINVAL with @p err filled.
 */
int evs_ctl_access_check(const json_t *section, const char *path, struct evs_ctl_err *err);

/**
 * Install an access policy (copied) and re-evaluate connected clients' roles.
 * NULL (or JSON null) removes it: every client is admin.
 * @return 0, or -EINVAL (section fails evs_ctl_access_check()), -ENOMEM.
 */
int evs_ctl_set_access(struct evs_ctl *ctl, const json_t *section);

/** "none", "read-only" or "admin". */
const char *evs_ctl_role_name(enum evs_ctl_role r);

/* --- Inside a handler ------------------------------------------------- */

/**
 * Answer a call with @p result (reference stolen; NULL means JSON null).
 * A reply larger than max_outbuf is replaced by a -32002 error.
 * @return 0, or -EALREADY (already answered; result is released), -ENOMEM.
 */
int evs_ctl_reply(struct evs_ctl_call *call, json_t *result);

/**
 * Answer a call with an error. @p path is the JSON pointer of the offending
 * field within the request ("/params/name"), "" for the whole request, or
 * NULL to leave data.path out.
 * @return 0, or -EALREADY (already answered), -ENOMEM.
 */
int evs_ctl_error(struct evs_ctl_call *call, int code, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** evs_ctl_error() with a va_list. */
int evs_ctl_verror(struct evs_ctl_call *call, int code, const char *path, const char *fmt,
		   va_list ap);

/**
 * Answer with the code evs_ctl_errno_code(@p rc) gives and the message
 * "<printf context>: strerror(rc)" (just strerror when @p fmt is NULL).
 * @return as evs_ctl_error().
 */
int evs_ctl_error_errno(struct evs_ctl_call *call, int rc, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** The JSON-RPC code for -errno (or errno) @p rc; 0 for 0, unknown ones -32603. */
int evs_ctl_errno_code(int rc);

/** Short name of a code ("not found"); "error" for an unknown one. */
const char *evs_ctl_errcode_name(int code);

/** Method name of the call. */
const char *evs_ctl_call_method(const struct evs_ctl_call *call);

/** True when the call is a notification (its answer is not sent). */
bool evs_ctl_call_is_notification(const struct evs_ctl_call *call);

/** The server the call arrived on (to reach counters or register methods). */
struct evs_ctl *evs_ctl_call_ctl(struct evs_ctl_call *call);

/** The caller's role. */
enum evs_ctl_role evs_ctl_call_role(const struct evs_ctl_call *call);

/**
 * The caller's credentials (any pointer may be NULL).
 * @return 0, or -ENODATA when the kernel gave none (uid/gid -1, pid -1).
 */
int evs_ctl_call_peer(const struct evs_ctl_call *call, uid_t *uid, gid_t *gid, pid_t *pid);

/* --- Deferred calls (management lcore) ------------------------------- */

/*
 * A handler that cannot answer before it returns (it waits for a disk write,
 * or for every PMD to run a new generation) defers its call and answers it
 * later from the management lcore. While a call is deferred its connection
 * serves no other request (they stay buffered), so every connection's replies
 * stay in request order; other connections are served as usual. The handle
 * outlives the client: if the client goes away, the answer is dropped.
 */
struct evs_ctl_pending;

/**
 * Keep @p call open past its handler. After this, evs_ctl_reply() or
 * evs_ctl_error() on @p call (still inside the handler) does not send: the
 * answer is held until evs_ctl_pending_release(), which a commit path uses to
 * hold a reply until the change is durable. Every handle must be answered
 * exactly once (reply, error or release), which frees it; answering it inside
 * the handler that deferred it is allowed (the call then counts as answered).
 * @return the handle, or NULL with errno EALREADY (already answered or
 *   deferred) or ENOMEM.
 */
struct evs_ctl_pending *evs_ctl_call_defer(struct evs_ctl_call *call);

/** Answer with @p result (reference stolen) and free the handle. @return 0 or -EINVAL. */
int evs_ctl_pending_reply(struct evs_ctl_pending *p, json_t *result);

/** Answer with an error and free the handle. @return 0 or -EINVAL. */
int evs_ctl_pending_error(struct evs_ctl_pending *p, int code, const char *path, const char *fmt,
			  ...) __attribute__((format(printf, 4, 5)));

/**
 * Send the answer the handler gave while deferred (or -32603 if it gave none)
 * and free the handle. @return 0 or -EINVAL.
 */
int evs_ctl_pending_release(struct evs_ctl_pending *p);

/**
 * Run @p fn on a call that stands for the deferred call @p p, as its handler
 * would run (work a handler deferred and finishes later: a transaction
 * applied in slices, a queued request): evs_ctl_reply()/evs_ctl_error() on
 * it answer @p p, which is released when @p fn returns, unless @p fn defers
 * the call again (evs_ctl_call_defer() then returns @p p: its answer waits
 * for evs_ctl_pending_release()). Management lcore, outside handlers.
 * The client may be gone (the answer is then dropped; the call's peer
 * reads as unknown). @return what @p fn returned, or -EINVAL (@p p is
 *   inside its own handler).
 */
int evs_ctl_pending_resume(struct evs_ctl_pending *p,
			   int (*fn)(struct evs_ctl_call *call, void *arg), void *arg);

/** True while the client that made the call is still connected. */
bool evs_ctl_pending_connected(const struct evs_ctl_pending *p);

/** Method name of the deferred call. */
const char *evs_ctl_pending_method(const struct evs_ctl_pending *p);

/* --- Validation (any thread; pure functions) ------------------------- */

/** An error kept for later: validation can run outside any call. */
struct evs_ctl_err {
	int code;		     /**< enum evs_ctl_errcode, 0 when no error */
	char path[EVS_CTL_PATH_MAX]; /**< JSON pointer of the offending field */
	char message[EVS_CTL_MSG_MAX];
};

/**
 * Fill @p err (code, path, printf message).
 * @return -EINVAL always, so validators can `return evs_ctl_err_set(...)`.
 */
int evs_ctl_err_set(struct evs_ctl_err *err, int code, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/**
 * Check @p obj (found at JSON pointer @p path) against an object spec: it must
 * be an object, hold no field missing from the spec, every required field,
 * and each field must match its type, bounds and nested spec. The first
 * problem is described in @p err with the path of the offending field, e.g.
 * validating a config at "/params/config" may report
 * "/params/config/ports/2/devargs".
 * @return 0 when valid, -EINVAL with @p err filled otherwise.
 */
int evs_ctl_validate(const json_t *obj, const char *path, const struct evs_ctl_param *spec,
		     size_t n, struct evs_ctl_err *err);

/**
 * Check a call's params (path "/params") against a spec; on failure answer the
 * call with -32602 and the path. Methods with a spec get this automatically.
 * @return 0 when valid, -EINVAL after answering otherwise.
 */
int evs_ctl_params_check(struct evs_ctl_call *call, const json_t *params,
			 const struct evs_ctl_param *spec, size_t n);

/**
 * Answer a call with an error built by evs_ctl_validate() or evs_ctl_err_set().
 * @return as evs_ctl_error().
 */
int evs_ctl_error_from(struct evs_ctl_call *call, const struct evs_ctl_err *err);

/**
 * Parse a request line as json_loadb(buf, len, JSON_DECODE_ANY |
 * JSON_REJECT_DUPLICATES, err) does, into the same tree, faster (the
 * large-request parse thread's parser). Any input it does not take itself
 * (every error among them) is handed to jansson, so @p err is jansson's.
 * Thread-safe (no state); any thread.
 * @return a new value, or NULL with @p err filled.
 */
json_t *evs_ctl_json_load(const char *buf, size_t len, json_error_t *err);

/**
 * The fast parser alone (for tests): the tree json_loadb would build, or
 * NULL where it hands over to jansson (which may still accept the input).
 * It never accepts what jansson refuses.
 */
json_t *evs_ctl_json_parse_fast(const char *buf, size_t len);

/**
 * Append an object key to JSON pointer @p base (escaping '~' and '/' as
 * RFC 6901 says) into @p buf. Output is cut to fit @p size.
 * @return @p buf.
 */
char *evs_ctl_path_key(char *buf, size_t size, const char *base, const char *key);

/**
 * A params spec as JSON (what "help" shows for a method: name, type,
 * bounds, choices, nested fields), for schema introspection.
 * @return a new array, or NULL (out of memory).
 */
json_t *evs_ctl_spec_json(const struct evs_ctl_param *spec, size_t n);

/** The field named @p name in a spec of @p n fields, or NULL. */
const struct evs_ctl_param *evs_ctl_spec_find(const struct evs_ctl_param *spec, size_t n,
					      const char *name);

/** Append an array index to JSON pointer @p base into @p buf. @return @p buf. */
char *evs_ctl_path_index(char *buf, size_t size, const char *base, size_t index);

/** Parse "aa:bb:cc:dd:ee:ff" (or '-' separated). @return 0 or -EINVAL. */
int evs_ctl_parse_mac(const char *s, uint8_t mac[6]);

/**
 * Parse an address ("192.0.2.1", "2001:db8::1") or, when @p prefix_len is
 * non-NULL, a prefix ("192.0.2.0/24"). @p af gets AF_INET or AF_INET6; @p addr
 * gets the address in network order (IPv4 in the first 4 bytes).
 * @return 0 or -EINVAL.
 */
int evs_ctl_parse_ip(const char *s, int *af, uint8_t addr[16], uint8_t *prefix_len);

/* ---------------------------------------------------------------------- */
/* Client (any thread; one client per thread)                              */
/* ---------------------------------------------------------------------- */

struct evs_ctl_client;

/**
 * Connect to a server and read its hello line.
 * @return the client, or NULL with errno: ENOENT/ECONNREFUSED/EACCES (from
 *   connect), ENAMETOOLONG, ETIMEDOUT (no hello in time), EPROTO (first line
 *   not a hello), EBUSY (server refused: too many clients), ECONNRESET
 *   (closed before the hello), ENOMEM.
 */
struct evs_ctl_client *evs_ctl_client_connect(const char *path, int timeout_ms);

/** The server's hello params (borrowed; valid until close). */
const json_t *evs_ctl_client_hello(const struct evs_ctl_client *c);

/**
 * Send a request and wait for its reply, skipping notifications and replies
 * to other ids. Exactly one of *result and *error is set on success (new
 * references; *error is the JSON-RPC error object).
 * @param params request params (reference stolen), NULL for none.
 * @return 0 when a reply arrived, or -ETIMEDOUT, -ECONNRESET (server closed),
 *   -EPROTO (malformed reply), -ENOMEM, -EMSGSIZE (reply over 256 MiB), or the
 *   -errno of send/recv.
 */
int evs_ctl_client_call(struct evs_ctl_client *c, const char *method, json_t *params,
			int timeout_ms, json_t **result, json_t **error);

/** Close the connection and free the client. NULL is accepted. */
void evs_ctl_client_close(struct evs_ctl_client *c);

/* --- edgevsctl command line (any thread; pure functions) -------------- */

/**
 * Turn command words into a request, as edgevsctl does:
 *   port add name=p1 mtu=1500  -> "port.add" {"name":"p1","mtu":1500}
 *   call port.add '{"name":"p1"}'
 *   help port add              -> "help" {"method":"port.add"}
 * A value is taken as JSON when it parses as JSON, else as a string; "@FILE"
 * reads a JSON file; dotted keys (a.b=1) build nested objects. @p base
 * (borrowed, may be NULL) gives initial params that key=value pairs override.
 * @return 0 with *method (malloc'd) and *params (new object) set, or -EINVAL
 *   with a message in @p err, or -ENOMEM.
 */
int evs_ctl_cli_request(int argc, char *const argv[], const json_t *base, char **method,
			json_t **params, char *err, size_t errlen);

/**
 * Print a result for people: an array of objects as a table with a column
 * per key, an object as aligned "key: value" lines (nested objects flattened
 * with dots, arrays of objects as indented tables), scalars as is.
 * @return 0, or -EIO on a write error.
 */
int evs_ctl_cli_print(FILE *out, const json_t *result);

#ifdef __cplusplus
}
#endif

#endif /* EVS_CTL_H */
