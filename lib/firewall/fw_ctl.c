/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Read-only control methods of the firewall: fw.log (denied packets),
 * fw.stats (counters) and fw.rule.hits. The log rings are drained into a
 * history on the management lcore, so several readers can follow it with a
 * sequence cursor without taking entries from each other.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rte_common.h>

#include "evs_ctl.h"
#include "evs_firewall.h"

#define HIST 1024 /* entries fw.log keeps for readers; a power of 2 */
#define LOG_DEFAULT 100

struct evs_fw_ctl {
	struct evs_fw *fw;
	uint64_t next_seq; /* sequence number of the next entry drained */
	struct evs_fw_log_entry hist[HIST];
};

static const char *const dir_names[] = {"ingress", "egress"};
static const char *const action_names[] = {"", "allow", "deny", "reject"};

static void drain(struct evs_fw_ctl *c)
{
	struct evs_fw_log_entry e[64];
	uint32_t n, i;

	do {
		n = evs_fw_log_read(c->fw, e, RTE_DIM(e));
		for (i = 0; i < n; i++)
			c->hist[c->next_seq++ & (HIST - 1)] = e[i];
	} while (n == RTE_DIM(e));
}

static json_t *entry_json(const struct evs_fw_log_entry *e, uint64_t seq)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	int af = e->af == 4 ? AF_INET : AF_INET6;

	inet_ntop(af, e->src, src, sizeof(src));
	inet_ntop(af, e->dst, dst, sizeof(dst));
	return json_pack("{s:I, s:I, s:i, s:s, s:s, s:I, s:i, s:s, s:s, s:i, s:i}", "seq",
			 (json_int_t)seq, "time_ns", (json_int_t)e->time_ns, "port", e->port,
			 "direction", dir_names[e->dir & 1], "action",
			 action_names[e->action <= EVS_FW_REJECT ? e->action : 0], "rule",
			 (json_int_t)e->rule_id, "proto", e->proto, "src", src, "dst", dst, "sport",
			 e->sport, "dport", e->dport);
}

static int m_log(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_fw_ctl *c = arg;
	json_t *since_j = json_object_get(params, "since"), *max_j = json_object_get(params, "max");
	uint64_t oldest, seq, end;
	json_t *list = json_array();
	uint64_t max = max_j != NULL ? (uint64_t)json_integer_value(max_j) : LOG_DEFAULT;

	drain(c);
	oldest = c->next_seq > HIST ? c->next_seq - HIST : 0;
	seq = since_j != NULL ? (uint64_t)json_integer_value(since_j) : oldest;
	if (seq < oldest)
		seq = oldest; /* older entries were overwritten */
	end = RTE_MIN(c->next_seq, seq + max);
	for (; seq < end; seq++)
		json_array_append_new(list, entry_json(&c->hist[seq & (HIST - 1)], seq));
	return evs_ctl_reply(call,
			     json_pack("{s:o, s:I}", "entries", list, "next", (json_int_t)seq));
}

static int m_stats(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_fw_ctl *c = arg;
	uint64_t st[EVS_FW_C_MAX];
	json_t *o = json_object();
	int i;

	RTE_SET_USED(params);
	evs_fw_stats(c->fw, st);
	for (i = 0; i < EVS_FW_C_MAX; i++)
		json_object_set_new(o, evs_fw_counter_name((enum evs_fw_counter)i),
				    json_integer((json_int_t)st[i]));
	return evs_ctl_reply(call, json_pack("{s:o}", "counters", o));
}

static int m_hits(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_fw_ctl *c = arg;
	uint32_t id = (uint32_t)json_integer_value(json_object_get(params, "id"));
	uint64_t hits;
	int rc = evs_fw_rule_hits(c->fw, id, &hits);

	if (rc != 0)
		return evs_ctl_error_errno(call, rc, "/id", "no rule %u", id);
	return evs_ctl_reply(
	    call, json_pack("{s:I, s:I}", "id", (json_int_t)id, "hits", (json_int_t)hits));
}

static const struct evs_ctl_param log_params[] = {
    {.name = "since",
     .type = EVS_CTL_T_UINT,
     .help = "first sequence number ('next' of the last call)"},
    {.name = "max", .type = EVS_CTL_T_UINT, .min = 1, .max = HIST, .help = "entries at most (100)"},
};
static const struct evs_ctl_param hits_params[] = {
    {.name = "id", .type = EVS_CTL_T_UINT, .required = true, .min = 1, .max = UINT32_MAX},
};

struct evs_fw_ctl *evs_fw_ctl_register(struct evs_ctl *ctl, struct evs_fw *fw)
{
	struct evs_fw_ctl *c;
	const struct evs_ctl_method m[] = {
	    {.name = "fw.log",
	     .help = "Denied packets (time, port, direction, 5-tuple, rule), oldest first;\n"
		     "pass 'next' back as 'since' to follow. Rate-limited per lcore.",
	     .read_only = true,
	     .fn = m_log,
	     .params = log_params,
	     .n_params = RTE_DIM(log_params)},
	    {.name = "fw.stats",
	     .help = "Firewall decisions and log losses by reason.",
	     .read_only = true,
	     .fn = m_stats,
	     .params = evs_ctl_no_params,
	     .n_params = 0},
	    {.name = "fw.rule.hits",
	     .help = "Packets a rule decided, summed over lcores.",
	     .read_only = true,
	     .fn = m_hits,
	     .params = hits_params,
	     .n_params = RTE_DIM(hits_params)},
	};
	size_t i;
	int rc;

	if (ctl == NULL || fw == NULL) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->fw = fw;
	for (i = 0; i < RTE_DIM(m); i++) {
		struct evs_ctl_method mi = m[i];

		mi.arg = c;
		rc = evs_ctl_register(ctl, &mi);
		if (rc != 0)
			goto undo;
	}
	return c;
undo:
	/* all or nothing */
	while (i-- > 0)
		evs_ctl_unregister(ctl, m[i].name);
	free(c);
	errno = -rc;
	return NULL;
}

void evs_fw_ctl_free(struct evs_fw_ctl *c)
{
	free(c);
}
