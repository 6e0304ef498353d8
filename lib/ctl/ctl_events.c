/* SPDX-License-Identifier: BSD-3-Clause */
/* Change events: clients subscribe to topics and get JSON-RPC notifications
 * on the same connection. A subscriber that does not read loses events
 * (counted, and told how many with the next one it gets), never blocks the
 * server and is never dropped for it. */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include "ctl_private.h"

static int topic_find(const struct evs_ctl *ctl, const char *name)
{
	unsigned i;

	for (i = 0; i < ctl->n_topics; i++)
		if (strcmp(ctl->topics[i].name, name) == 0)
			return (int)i;
	return -1;
}

int evs_ctl_topic_register(struct evs_ctl *ctl, const char *topic, const char *help)
{
	struct ctl_topic *t;
	size_t n;

	if (ctl == NULL || topic == NULL)
		return -EINVAL;
	n = strlen(topic);
	if (n == 0 || n >= sizeof(t->name) ||
	    strspn(topic, "abcdefghijklmnopqrstuvwxyz0123456789._-") != n)
		return -EINVAL;
	if (topic_find(ctl, topic) >= 0)
		return -EEXIST;
	if (ctl->n_topics == EVS_CTL_MAX_TOPICS)
		return -ENOSPC;
	t = &ctl->topics[ctl->n_topics];
	memset(t, 0, sizeof(*t));
	memcpy(t->name, topic, n + 1);
	t->help = strdup(help != NULL ? help : "");
	if (t->help == NULL)
		return -ENOMEM;
	ctl->n_topics++;
	return 0;
}

void ctl_topics_free(struct evs_ctl *ctl)
{
	unsigned i;

	for (i = 0; i < ctl->n_topics; i++)
		free(ctl->topics[i].help);
	ctl->n_topics = 0;
}

/* The event line for one client ("missed" only when it lost some). */
static char *event_line(const char *topic, uint64_t seq, const json_t *data, uint64_t missed,
			size_t *len)
{
	json_t *msg =
	    json_pack("{s:s, s:s, s:{s:s, s:I, s:O}}", "jsonrpc", "2.0", "method", "event",
		      "params", "topic", topic, "seq", (json_int_t)seq, "data", data);
	char *s;

	if (msg == NULL)
		return NULL;
	if (missed > 0 && json_object_set_new(json_object_get(msg, "params"), "missed",
					      json_integer((json_int_t)missed)) < 0) {
		json_decref(msg);
		return NULL;
	}
	s = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (s != NULL)
		*len = strlen(s);
	return s;
}

int evs_ctl_notify(struct evs_ctl *ctl, const char *topic, json_t *data)
{
	char *common = NULL, *line;
	size_t common_len = 0, len;
	uint64_t seq;
	unsigned i;
	int t, sent = 0;

	if (ctl == NULL || topic == NULL) {
		json_decref(data);
		return -EINVAL;
	}
	t = topic_find(ctl, topic);
	if (t < 0) {
		json_decref(data);
		return -ENOENT;
	}
	if (data == NULL)
		data = json_null();
	seq = ++ctl->topics[t].seq;
	ctl->stats.events_published++;
	for (i = 0; i < ctl->n_clients; i++) {
		struct ctl_client *cl = ctl->clients[i];

		if (cl->dead || !(cl->topics & (1u << t)))
			continue;
		if (cl->events_missed == 0) {
			if (common == NULL)
				common = event_line(topic, seq, data, 0, &common_len);
			line = common;
			len = common_len;
		} else {
			line = event_line(topic, seq, data, cl->events_missed, &len);
		}
		/* Past max_outbuf the event is lost for this client, not the client. */
		if (line == NULL || cl->out_len - cl->out_head + len + 1 > ctl->max_outbuf ||
		    ctl_out_append(cl, line, len) < 0) {
			cl->events_missed++;
			ctl->stats.events_dropped++;
		} else {
			cl->events_missed = 0;
			ctl->stats.events_sent++;
			sent++;
		}
		if (line != common)
			free(line);
	}
	free(common);
	json_decref(data);
	return sent;
}

/* Topic names of @params.topics as a mask; answers the call on a bad one. */
static int topics_mask(struct evs_ctl_call *call, const json_t *params, uint32_t *mask)
{
	struct evs_ctl *ctl = evs_ctl_call_ctl(call);
	const json_t *list = json_object_get(params, "topics"), *v;
	char path[64];
	size_t i;
	int t;

	*mask = 0;
	json_array_foreach (list, i, v) {
		t = topic_find(ctl, json_string_value(v));
		if (t < 0) {
			evs_ctl_path_index(path, sizeof(path), "/params/topics", i);
			evs_ctl_error(call, EVS_CTL_E_NOT_FOUND, path,
				      "no topic '%.64s' (see events.topics)", json_string_value(v));
			return -ENOENT;
		}
		*mask |= 1u << t;
	}
	return 0;
}

static json_t *topic_names(const struct evs_ctl *ctl, uint32_t mask)
{
	json_t *a = json_array();
	unsigned i;

	for (i = 0; a != NULL && i < ctl->n_topics; i++)
		if ((mask & (1u << i)) &&
		    json_array_append_new(a, json_string(ctl->topics[i].name)))
			break;
	return a;
}

static int m_subscribe(struct evs_ctl_call *call, json_t *params, void *arg)
{
	uint32_t mask;

	(void)arg;
	if (topics_mask(call, params, &mask) < 0)
		return 0;
	call->client->topics |= mask;
	return evs_ctl_reply(
	    call, json_pack("{s:o}", "topics", topic_names(call->ctl, call->client->topics)));
}

static int m_unsubscribe(struct evs_ctl_call *call, json_t *params, void *arg)
{
	uint32_t mask;

	(void)arg;
	if (json_object_get(params, "topics") == NULL) {
		mask = UINT32_MAX;
	} else if (topics_mask(call, params, &mask) < 0) {
		return 0;
	}
	call->client->topics &= ~mask;
	return evs_ctl_reply(
	    call, json_pack("{s:o}", "topics", topic_names(call->ctl, call->client->topics)));
}

static int m_topics(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_ctl *ctl = call->ctl;
	json_t *a = json_array();
	unsigned i;

	(void)params;
	(void)arg;
	for (i = 0; a != NULL && i < ctl->n_topics; i++)
		if (json_array_append_new(a,
					  json_pack("{s:s, s:s, s:I}", "topic", ctl->topics[i].name,
						    "help", ctl->topics[i].help, "published",
						    (json_int_t)ctl->topics[i].seq)) < 0) {
			json_decref(a);
			return -ENOMEM;
		}
	return evs_ctl_reply(call, a);
}

static const struct evs_ctl_param topic_item = {
    .type = EVS_CTL_T_STRING, .min_len = 1, .max_len = 63};
static const struct evs_ctl_param p_sub[] = {
    {.name = "topics",
     .type = EVS_CTL_T_ARRAY,
     .required = true,
     .min_len = 1,
     .max_len = EVS_CTL_MAX_TOPICS,
     .items = &topic_item,
     .help = "topic names (events.topics)"},
};
static const struct evs_ctl_param p_unsub[] = {
    {.name = "topics",
     .type = EVS_CTL_T_ARRAY,
     .max_len = EVS_CTL_MAX_TOPICS,
     .items = &topic_item,
     .help = "topic names; absent: all"},
};

int ctl_register_events(struct evs_ctl *ctl)
{
	const struct evs_ctl_method m[] = {
	    {.name = "subscribe",
	     .help = "Receive \"event\" notifications of these topics on this connection: "
		     "{\"method\":\"event\",\"params\":{\"topic\",\"seq\",\"data\"[,\"missed\"]}}.",
	     .read_only = true,
	     .fn = m_subscribe,
	     .params = p_sub,
	     .n_params = 1},
	    {.name = "unsubscribe",
	     .help = "Stop receiving events of these topics (all by default).",
	     .read_only = true,
	     .fn = m_unsubscribe,
	     .params = p_unsub,
	     .n_params = 1},
	    {.name = "events.topics",
	     .help = "Topics one can subscribe to, with their event counts.",
	     .read_only = true,
	     .fn = m_topics,
	     .params = evs_ctl_no_params},
	};

	return ctl_register_array(ctl, m, sizeof(m) / sizeof(m[0]));
}
