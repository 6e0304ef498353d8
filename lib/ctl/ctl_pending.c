/* SPDX-License-Identifier: BSD-3-Clause */
/* Deferred calls: a handler keeps its call open and answers later from the
 * management lcore; the connection serves nothing else meanwhile, so its
 * replies stay in request order. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include "ctl_private.h"

struct evs_ctl_pending *evs_ctl_call_defer(struct evs_ctl_call *call)
{
	struct evs_ctl *ctl;
	struct evs_ctl_pending *p;

	if (call != NULL && call->resumed && call->pending != NULL && !call->kept &&
	    !call->replied) {
		call->kept = true; /* still deferred: a later answer releases it */
		return call->pending;
	}
	if (call == NULL || call->pending != NULL || call->replied) {
		errno = EALREADY;
		return NULL;
	}
	ctl = call->ctl;
	p = calloc(1, sizeof(*p));
	if (p == NULL || (p->method = strdup(call->method)) == NULL) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	p->ctl = ctl;
	p->client = call->client;
	p->id = json_incref(call->id);
	p->call = call;
	p->mutation = call->mutation;
	p->uid = call->client->uid;
	p->pid = call->client->pid;
	p->next = ctl->pendings;
	if (p->next != NULL)
		p->next->prev = p;
	ctl->pendings = p;
	call->pending = p;
	call->client->pending = p;
	ctl->stats.deferred++;
	return p;
}

static void pending_free(struct evs_ctl_pending *p)
{
	struct evs_ctl *ctl = p->ctl;

	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		ctl->pendings = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	if (p->client != NULL) {
		p->client->pending = NULL;
		p->client->resume = true;
	}
	if (p->call != NULL) {
		/* Answered inside its own handler: the call is done. */
		p->call->pending = NULL;
		p->call->replied = true;
	}
	json_decref(p->held);
	json_decref(p->id);
	free(p->method);
	free(p);
}

/* Send @msg (reference stolen) to the client if it is still there. */
static void deliver(struct evs_ctl_pending *p, json_t *msg)
{
	if (p->client == NULL || p->client->dead || p->id == NULL) {
		json_decref(msg);
		return;
	}
	ctl_send_reply(p->ctl, p->client, p->id, msg);
	/* Flushed at the next poll (the client now has output pending). */
}

int evs_ctl_pending_reply(struct evs_ctl_pending *p, json_t *result)
{
	if (p == NULL) {
		json_decref(result);
		return -EINVAL;
	}
	if (p->mutation)
		ctl_audit_outcome(p->uid, p->pid, p->method, 0);
	if (p->id != NULL)
		deliver(p, ctl_msg_result(p->id, result));
	else
		json_decref(result);
	pending_free(p);
	return 0;
}

int evs_ctl_pending_error(struct evs_ctl_pending *p, int code, const char *path, const char *fmt,
			  ...)
{
	char message[EVS_CTL_MSG_MAX];
	va_list ap;

	if (p == NULL)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	p->ctl->stats.errors++;
	if (p->mutation)
		ctl_audit_outcome(p->uid, p->pid, p->method, code);
	deliver(p, p->id != NULL ? ctl_msg_error(p->id, code, path, message) : NULL);
	pending_free(p);
	return 0;
}

int evs_ctl_pending_release(struct evs_ctl_pending *p)
{
	json_t *msg;

	if (p == NULL)
		return -EINVAL;
	msg = p->held;
	p->held = NULL;
	if (msg == NULL && p->id != NULL) {
		CTL_LOG(ERR, "%s: deferred call released without an answer\n", p->method);
		p->ctl->stats.errors++;
		msg = ctl_msg_error(p->id, EVS_CTL_E_INTERNAL, NULL, "no answer");
	}
	if (p->mutation) /* a notification's answer is not kept: counted as done */
		ctl_audit_outcome(p->uid, p->pid, p->method,
				  (int)json_integer_value(
				      json_object_get(json_object_get(msg, "error"), "code")));
	deliver(p, msg);
	pending_free(p);
	return 0;
}

int evs_ctl_pending_resume(struct evs_ctl_pending *p,
			   int (*fn)(struct evs_ctl_call *call, void *arg), void *arg)
{
	struct evs_ctl_call call = {.ctl = p->ctl,
				    .client = p->client,
				    .method = p->method,
				    .id = p->id,
				    .mutation = p->mutation,
				    .pending = p,
				    .resumed = true};
	int rc;

	if (p->call != NULL)
		return -EINVAL; /* inside its own handler */
	p->call = &call;
	rc = fn(&call, arg);
	if (call.pending == NULL)
		return rc; /* answered through the handle: freed */
	p->call = NULL;
	if (call.kept)
		return rc;
	if (!call.replied)
		evs_ctl_error(&call, EVS_CTL_E_INTERNAL, NULL, "%s returned no result", p->method);
	evs_ctl_pending_release(p);
	return rc;
}

bool evs_ctl_pending_connected(const struct evs_ctl_pending *p)
{
	return p != NULL && p->client != NULL && !p->client->dead;
}

const char *evs_ctl_pending_method(const struct evs_ctl_pending *p)
{
	return p->method;
}

void ctl_pending_orphan(struct ctl_client *cl)
{
	if (cl->pending != NULL) {
		cl->pending->client = NULL;
		cl->pending = NULL;
	}
}

void ctl_pending_free_all(struct evs_ctl *ctl)
{
	while (ctl->pendings != NULL) {
		CTL_LOG(WARNING, "%s: deferred call never answered (server closing)\n",
			ctl->pendings->method);
		pending_free(ctl->pendings);
	}
}
