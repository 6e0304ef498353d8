/* SPDX-License-Identifier: BSD-3-Clause */
/* One request line -> checks -> method handler -> reply line. */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include "ctl_private.h"

struct dump_ctx {
	struct ctl_client *cl;
	size_t start; /* out_len before this message */
	size_t limit;
	bool too_big;
};

static int out_reserve(struct ctl_client *cl, size_t more)
{
	size_t need = cl->out_len + more, cap;
	char *p;

	if (need <= cl->out_cap)
		return 0;
	cap = cl->out_cap ? cl->out_cap : 4096;
	while (cap < need)
		cap *= 2;
	p = realloc(cl->out, cap);
	if (p == NULL)
		return -ENOMEM;
	cl->out = p;
	cl->out_cap = cap;
	return 0;
}

void ctl_audit_outcome(uint32_t uid, int32_t pid, const char *method, int code)
{
	if (code == 0)
		CTL_LOG(INFO, "audit: uid %u pid %d: %s done\n", (unsigned)uid, (int)pid, method);
	else
		CTL_LOG(INFO, "audit: uid %u pid %d: %s failed (%d %s)\n", (unsigned)uid, (int)pid,
			method, code, evs_ctl_errcode_name(code));
}

int ctl_out_append(struct ctl_client *cl, const char *buf, size_t len)
{
	if (out_reserve(cl, len + 1) < 0)
		return -ENOMEM;
	memcpy(cl->out + cl->out_len, buf, len);
	cl->out_len += len;
	cl->out[cl->out_len++] = '\n';
	return 0;
}

/* Serialise straight into the client's output buffer: no temporary copy. */
static int dump_cb(const char *buf, size_t size, void *data)
{
	struct dump_ctx *d = data;

	if (d->cl->out_len - d->start + size > d->limit) {
		d->too_big = true;
		return -1;
	}
	if (out_reserve(d->cl, size) < 0)
		return -1;
	memcpy(d->cl->out + d->cl->out_len, buf, size);
	d->cl->out_len += size;
	return 0;
}

int ctl_send_json(struct evs_ctl *ctl, struct ctl_client *cl, const json_t *msg)
{
	struct dump_ctx d = {.cl = cl, .start = cl->out_len, .limit = ctl->max_outbuf};

	if (cl->dead)
		return 0;
	if (json_dump_callback(msg, dump_cb, &d, JSON_COMPACT) < 0 || out_reserve(cl, 1) < 0) {
		cl->out_len = d.start;
		return d.too_big ? -EMSGSIZE : -ENOMEM;
	}
	cl->out[cl->out_len++] = '\n';
	if (cl->out_len - cl->out_head > ctl->max_outbuf)
		ctl_client_flush(ctl, cl); /* drops the client if it stays over */
	return 0;
}

static json_t *error_object(int code, const char *path, const char *message)
{
	json_t *e = json_pack("{s:i, s:s}", "code", code, "message", message);

	if (e != NULL && path != NULL &&
	    json_object_set_new(e, "data", json_pack("{s:s}", "path", path)) < 0) {
		json_decref(e);
		return NULL;
	}
	return e;
}

json_t *ctl_msg_error(const json_t *id, int code, const char *path, const char *message)
{
	return json_pack("{s:s, s:O?, s:o}", "jsonrpc", "2.0", "id", id, "error",
			 error_object(code, path, message));
}

json_t *ctl_msg_result(const json_t *id, json_t *result)
{
	return json_pack("{s:s, s:O, s:o?}", "jsonrpc", "2.0", "id", id, "result", result);
}

/* Queue {"jsonrpc","id","error"}; on failure the client is dropped, since it
 * would otherwise wait forever for this answer. */
static void send_error_msg(struct evs_ctl *ctl, struct ctl_client *cl, const json_t *id, int code,
			   const char *path, const char *message)
{
	json_t *msg = ctl_msg_error(id, code, path, message);

	if (msg == NULL || ctl_send_json(ctl, cl, msg) < 0) {
		CTL_LOG(ERR, "client %" PRIu64 ": cannot queue error reply\n", cl->serial);
		cl->dead = true;
	}
	json_decref(msg);
}

void ctl_send_error(struct evs_ctl *ctl, struct ctl_client *cl, const json_t *id, int code,
		    const char *path, const char *fmt, ...)
{
	char message[EVS_CTL_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	ctl->stats.errors++;
	send_error_msg(ctl, cl, id, code, path, message);
}

void ctl_send_notice(struct evs_ctl *ctl, struct ctl_client *cl, int code, const char *fmt, ...)
{
	char message[EVS_CTL_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	send_error_msg(ctl, cl, NULL, code, NULL, message);
}

void ctl_send_reply(struct evs_ctl *ctl, struct ctl_client *cl, const json_t *id, json_t *msg)
{
	int rc;

	if (msg == NULL) {
		ctl->stats.errors++;
		send_error_msg(ctl, cl, id, EVS_CTL_E_INTERNAL, NULL, "out of memory");
		return;
	}
	rc = ctl_send_json(ctl, cl, msg);
	json_decref(msg);
	if (rc == -EMSGSIZE) {
		ctl->stats.errors++;
		send_error_msg(ctl, cl, id, EVS_CTL_E_BUSY, NULL,
			       "reply too large (over the server's max_outbuf)");
	} else if (rc < 0) {
		cl->dead = true;
	}
}

int evs_ctl_reply(struct evs_ctl_call *call, json_t *result)
{
	json_t *msg;

	if (call->replied) {
		CTL_LOG(ERR, "%s: answered twice\n", call->method);
		json_decref(result);
		return -EALREADY;
	}
	call->replied = true;
	if (call->mutation && call->pending == NULL)
		ctl_audit_outcome(call->client->uid, call->client->pid, call->method, 0);
	if (call->id == NULL) {
		json_decref(result);
		return 0;
	}
	msg = ctl_msg_result(call->id, result);
	if (call->pending != NULL) {
		/* Deferred: the answer waits for evs_ctl_pending_release(). */
		call->pending->held = msg;
		return msg != NULL ? 0 : -ENOMEM;
	}
	ctl_send_reply(call->ctl, call->client, call->id, msg);
	return call->client->dead ? -ENOMEM : 0;
}

int evs_ctl_verror(struct evs_ctl_call *call, int code, const char *path, const char *fmt,
		   va_list ap)
{
	char message[EVS_CTL_MSG_MAX];

	if (call->replied)
		return -EALREADY;
	call->replied = true;
	call->ctl->stats.errors++;
	if (call->mutation && call->pending == NULL)
		ctl_audit_outcome(call->client->uid, call->client->pid, call->method, code);
	if (call->id == NULL)
		return 0;
	vsnprintf(message, sizeof(message), fmt, ap);
	if (call->pending != NULL) {
		call->pending->held = ctl_msg_error(call->id, code, path, message);
		return call->pending->held != NULL ? 0 : -ENOMEM;
	}
	send_error_msg(call->ctl, call->client, call->id, code, path, message);
	return call->client->dead ? -ENOMEM : 0;
}

int evs_ctl_error(struct evs_ctl_call *call, int code, const char *path, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = evs_ctl_verror(call, code, path, fmt, ap);
	va_end(ap);
	return rc;
}

int evs_ctl_error_from(struct evs_ctl_call *call, const struct evs_ctl_err *err)
{
	return evs_ctl_error(call, err->code ? err->code : EVS_CTL_E_INTERNAL, err->path, "%s",
			     err->message);
}

const char *evs_ctl_call_method(const struct evs_ctl_call *call)
{
	return call->method;
}

bool evs_ctl_call_is_notification(const struct evs_ctl_call *call)
{
	return call->id == NULL;
}

struct evs_ctl *evs_ctl_call_ctl(struct evs_ctl_call *call)
{
	return call->ctl;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Checks the envelope; on a problem answers and returns -EINVAL. */
static int check_envelope(struct evs_ctl *ctl, struct ctl_client *cl, json_t *req, const json_t *id)
{
	const char *key;
	json_t *v;
	char path[EVS_CTL_PATH_MAX];

	json_object_foreach(req, key, v)
	{
		if (strcmp(key, "jsonrpc") && strcmp(key, "method") && strcmp(key, "params") &&
		    strcmp(key, "id")) {
			ctl_send_error(ctl, cl, id, EVS_CTL_E_INVALID_REQUEST,
				       evs_ctl_path_key(path, sizeof(path), "", key),
				       "unknown request member '%.64s'", key);
			return -EINVAL;
		}
	}
	v = json_object_get(req, "jsonrpc");
	if (!json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0) {
		ctl_send_error(ctl, cl, id, EVS_CTL_E_INVALID_REQUEST, "/jsonrpc",
			       "\"jsonrpc\" must be \"2.0\"");
		return -EINVAL;
	}
	if (!json_is_string(json_object_get(req, "method"))) {
		ctl_send_error(ctl, cl, id, EVS_CTL_E_INVALID_REQUEST, "/method",
			       "\"method\" must be a string");
		return -EINVAL;
	}
	v = json_object_get(req, "params");
	if (v != NULL && !json_is_object(v) && !json_is_null(v)) {
		ctl_send_error(ctl, cl, id, EVS_CTL_E_INVALID_REQUEST, "/params",
			       "\"params\" must be an object (positional params are not "
			       "supported)");
		return -EINVAL;
	}
	return 0;
}

static void call_method(struct evs_ctl_call *call, const struct ctl_method_entry *e, json_t *params)
{
	evs_ctl_handler_t fn = e->m.fn;
	void *arg = e->m.arg;
	int rc;

	if (e->m.params != NULL &&
	    evs_ctl_params_check(call, params, e->m.params, e->m.n_params) < 0)
		return;
	/* fn/arg copied: the handler may unregister its own method. */
	rc = fn(call, params, arg);
	if (call->pending != NULL) {
		call->pending->call = NULL; /* the call ends here, the handle lives on */
		return;
	}
	if (call->replied)
		return;
	if (rc < 0) {
		evs_ctl_error_errno(call, rc, NULL, "%s failed", call->method);
	} else {
		CTL_LOG(ERR, "%s returned without answering\n", call->method);
		evs_ctl_error(call, EVS_CTL_E_INTERNAL, NULL, "%s returned no result",
			      call->method);
	}
}

int ctl_handle_line(struct evs_ctl *ctl, struct ctl_client *cl, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *req;

	while (len > 0 && is_space(line[len - 1]))
		len--;
	while (len > 0 && is_space(line[0])) {
		line++;
		len--;
	}
	if (len == 0)
		return 0; /* blank lines are harmless: people type them into socat */
	req = evs_ctl_json_load(line, len, &jerr);
	return ctl_dispatch_parsed(ctl, cl, req, &jerr);
}

int ctl_dispatch_parsed(struct evs_ctl *ctl, struct ctl_client *cl, json_t *req,
			const json_error_t *jerr)
{
	const struct ctl_method_entry *e;
	struct evs_ctl_call call = {.ctl = ctl, .client = cl};
	json_t *id, *params, *empty = NULL;

	if (req == NULL) {
		ctl_send_error(ctl, cl, NULL, EVS_CTL_E_PARSE, "", "parse error at byte %d: %s",
			       jerr->position, jerr->text);
		return 0;
	}
	if (!json_is_object(req)) {
		ctl_send_error(ctl, cl, NULL, EVS_CTL_E_INVALID_REQUEST, "", "%s",
			       json_is_array(req) ? "batch requests are not supported"
						  : "a request must be a JSON object");
		goto out;
	}
	id = json_object_get(req, "id");
	if (id != NULL && !json_is_number(id) && !json_is_string(id) && !json_is_null(id)) {
		ctl_send_error(ctl, cl, NULL, EVS_CTL_E_INVALID_REQUEST, "/id",
			       "\"id\" must be a number, a string or null");
		goto out;
	}
	if (check_envelope(ctl, cl, req, id) < 0)
		goto out;
	call.id = id;
	call.method = json_string_value(json_object_get(req, "method"));
	e = ctl_method_find(ctl, call.method);
	if (e == NULL) {
		if (id == NULL)
			ctl->stats.errors++;
		else
			ctl_send_error(ctl, cl, id, EVS_CTL_E_METHOD_NOT_FOUND, "/method",
				       "method '%.128s' not found (try \"list\")", call.method);
		goto out;
	}
	if (!ctl_access_allows(ctl, cl, &e->m)) {
		if (id == NULL)
			ctl->stats.errors++;
		else
			ctl_send_error(ctl, cl, id, EVS_CTL_E_FORBIDDEN, "/method",
				       "method '%s' needs the %s role (uid %u has %s)", call.method,
				       e->m.read_only ? "read-only" : "admin", (unsigned)cl->uid,
				       evs_ctl_role_name(cl->role));
		goto out;
	}
	params = json_object_get(req, "params");
	if (params == NULL || json_is_null(params)) {
		params = empty = json_object();
		if (params == NULL) {
			evs_ctl_error(&call, EVS_CTL_E_INTERNAL, NULL, "out of memory");
			goto out;
		}
	}
	if (id == NULL)
		ctl->stats.notifications++;
	else
		ctl->stats.requests++;
	/* Changes are logged for the operator's audit trail; reads only in debug. */
	if (e->m.read_only) {
		CTL_LOG(DEBUG, "client %" PRIu64 ": %s\n", cl->serial, call.method);
	} else {
		call.mutation = true;
		ctl->stats.mutations++;
		CTL_LOG(INFO, "audit: uid %u pid %d client %" PRIu64 ": %s\n", (unsigned)cl->uid,
			(int)cl->pid, cl->serial, call.method);
	}
	call_method(&call, e, params);
	json_decref(empty);
	json_decref(req);
	return 1;
out:
	json_decref(req);
	return 0;
}
