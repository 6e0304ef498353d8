/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control methods of the connection table: ct.stats, ct.list (paged,
 * filtered) and ct.flush. They run on the management lcore and read the
 * table with the views of ct_table.c; none of them touches the datapath's
 * per-lcore state.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "ct_private.h"
#include "evs_ctl.h"

#define LIST_DEFAULT 100
#define LIST_MAX 1000

static json_t *tuple_json(const struct evs_ct_tuple *t)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	int af = t->v6 ? AF_INET6 : AF_INET;
	bool icmp = t->proto == IPPROTO_ICMP || t->proto == IPPROTO_ICMPV6;

	inet_ntop(af, t->src, src, sizeof(src));
	inet_ntop(af, t->dst, dst, sizeof(dst));
	if (icmp)
		return json_pack("{s:s, s:s, s:i, s:i}", "src", src, "dst", dst, "id",
				 rte_be_to_cpu_16(t->sport), "type", rte_be_to_cpu_16(t->dport));
	return json_pack("{s:s, s:s, s:i, s:i}", "src", src, "dst", dst, "sport",
			 rte_be_to_cpu_16(t->sport), "dport", rte_be_to_cpu_16(t->dport));
}

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	case IPPROTO_SCTP:
		return "sctp";
	default:
		return NULL;
	}
}

/* The datapath's clock: the latest time any lcore was given. */
static uint64_t ct_clock(const struct evs_ct *ct)
{
	uint64_t now = 0;
	uint32_t i;

	for (i = 0; i < ct->n_lcores; i++)
		now = RTE_MAX(now, ct->lcores[i].now);
	return now;
}

static json_t *conn_json(const struct evs_ct_conn_info *ci, uint64_t now)
{
	const char *pn = proto_name(ci->orig.proto);
	char label[33];
	json_t *o;
	int i;

	for (i = 0; i < 16; i++)
		snprintf(label + 2 * i, 3, "%02x", ci->label[i]);
	o = json_pack("{s:i, s:o, s:o, s:o, s:b, s:b, s:I, s:s, s:I}", "zone", ci->zone, "proto",
		      pn != NULL ? json_string(pn) : json_integer(ci->orig.proto), "orig",
		      tuple_json(&ci->orig), "reply", tuple_json(&ci->reply), "seen_reply",
		      ci->seen_reply, "assured", ci->assured, "mark", (json_int_t)ci->mark, "label",
		      label, "expires_in_ms",
		      (json_int_t)(ci->expires_ms > now ? ci->expires_ms - now : 0));
	if (o != NULL && ci->orig.proto == IPPROTO_TCP)
		json_object_set_new(o, "state",
				    json_string(evs_ct_tcp_state_name(ci->proto_state)));
	if (o != NULL && ci->backend != 0)
		json_object_set_new(o, "lb_backend", json_integer(ci->backend));
	return o;
}

/* Filters of ct.list; a field < 0 (or an empty address) matches anything. */
struct list_filter {
	int32_t zone;
	int32_t proto;
	int32_t port;
	int32_t state;
	bool has_addr;
	bool addr_v6;
	uint8_t addr[16];
};

static bool tuple_has_addr(const struct evs_ct_tuple *t, const struct list_filter *f)
{
	size_t len = f->addr_v6 ? 16 : 4;

	return t->v6 == f->addr_v6 &&
	       (memcmp(t->src, f->addr, len) == 0 || memcmp(t->dst, f->addr, len) == 0);
}

static bool tuple_has_port(const struct evs_ct_tuple *t, uint16_t port)
{
	if (t->proto != IPPROTO_TCP && t->proto != IPPROTO_UDP && t->proto != IPPROTO_SCTP)
		return false;
	return rte_be_to_cpu_16(t->sport) == port || rte_be_to_cpu_16(t->dport) == port;
}

static bool matches(const struct evs_ct_conn_info *ci, const struct list_filter *f)
{
	if (f->zone >= 0 && ci->zone != f->zone)
		return false;
	if (f->proto >= 0 && ci->orig.proto != f->proto)
		return false;
	if (f->state >= 0 && (ci->orig.proto != IPPROTO_TCP || ci->proto_state != f->state))
		return false;
	if (f->has_addr && !tuple_has_addr(&ci->orig, f) && !tuple_has_addr(&ci->reply, f))
		return false;
	if (f->port >= 0 && !tuple_has_port(&ci->orig, (uint16_t)f->port) &&
	    !tuple_has_port(&ci->reply, (uint16_t)f->port))
		return false;
	return true;
}

static int32_t opt_int(const json_t *params, const char *name)
{
	const json_t *v = json_object_get(params, name);

	return json_is_integer(v) ? (int32_t)json_integer_value(v) : -1;
}

static const char *const tcp_states[] = {"NONE",     "SYN_SENT",   "SYN_RECV", "ESTABLISHED",
					 "FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT",
					 "CLOSE",    "SYN_SENT2",  NULL};

static int m_list(struct evs_ctl_call *call, json_t *params, void *arg)
{
	const struct evs_ct *ct = arg;
	struct list_filter f = {.zone = opt_int(params, "zone"),
				.proto = opt_int(params, "proto"),
				.port = opt_int(params, "port"),
				.state = -1};
	const json_t *addr = json_object_get(params, "address");
	const json_t *state = json_object_get(params, "state");
	int32_t limit = opt_int(params, "limit");
	uint32_t pos = (uint32_t)RTE_MAX(opt_int(params, "cursor"), 0);
	uint64_t now = ct_clock(ct);
	struct evs_ct_conn_info ci;
	json_t *list = json_array(), *res;
	int i;

	if (json_is_string(addr)) {
		int af;

		/* the spec checked the syntax already */
		if (evs_ctl_parse_ip(json_string_value(addr), &af, f.addr, NULL) != 0)
			return evs_ctl_error(call, -32602, "/params/address", "not an IP address");
		f.has_addr = true;
		f.addr_v6 = af == AF_INET6;
	}
	if (json_is_string(state))
		for (i = 0; tcp_states[i] != NULL; i++)
			if (strcmp(tcp_states[i], json_string_value(state)) == 0)
				f.state = i;
	if (limit <= 0)
		limit = LIST_DEFAULT;
	while ((int32_t)json_array_size(list) < limit && evs_ct_iterate(ct, &pos, &ci) == 0)
		if (matches(&ci, &f))
			json_array_append_new(list, conn_json(&ci, now));
	res = json_pack("{s:o}", "conns", list);
	/* more may follow: the next call starts where this one stopped */
	if (pos < ct->max_conns && res != NULL)
		json_object_set_new(res, "next", json_integer(pos));
	return evs_ctl_reply(call, res);
}

static int m_stats(struct evs_ctl_call *call, json_t *params, void *arg)
{
	const struct evs_ct *ct = arg;
	struct evs_ct_stats st;
	json_t *counters = json_object();
	int c;

	RTE_SET_USED(params);
	evs_ct_stats(ct, &st);
	for (c = 0; c < EVS_CT_C_MAX; c++)
		json_object_set_new(counters, evs_ct_counter_name((enum evs_ct_counter)c),
				    json_integer((json_int_t)st.counters[c]));
	return evs_ctl_reply(call, json_pack("{s:i, s:i, s:o}", "conns", st.conns, "max_conns",
					     st.max_conns, "counters", counters));
}

static int m_flush(struct evs_ctl_call *call, json_t *params, void *arg)
{
	struct evs_ct *ct = arg;
	uint32_t n = evs_ct_flush(ct, opt_int(params, "zone"));

	return evs_ctl_reply(call, json_pack("{s:i}", "flushed", n));
}

static const struct evs_ctl_param list_params[] = {
    {.name = "zone", .type = EVS_CTL_T_UINT, .max = 65535, .help = "only this zone"},
    {.name = "proto", .type = EVS_CTL_T_UINT, .max = 255, .help = "only this IP protocol"},
    {.name = "address", .type = EVS_CTL_T_IP, .help = "an address of either tuple"},
    {.name = "port", .type = EVS_CTL_T_UINT, .max = 65535, .help = "a port of either tuple"},
    {.name = "state", .type = EVS_CTL_T_STRING, .choices = tcp_states, .help = "TCP state"},
    {.name = "cursor",
     .type = EVS_CTL_T_UINT,
     .max = UINT32_MAX,
     .help = "'next' of the last page"},
    {.name = "limit", .type = EVS_CTL_T_UINT, .min = 1, .max = LIST_MAX, .help = "page size"},
};

static const struct evs_ctl_param flush_params[] = {
    {.name = "zone", .type = EVS_CTL_T_UINT, .max = 65535, .help = "only this zone"},
};

int evs_ct_ctl_register(struct evs_ctl *ctl, void *ct)
{
	const struct evs_ctl_method m[] = {
	    {.name = "ct.list",
	     .help = "Connections, a page at a time (pass 'next' back as 'cursor'),\n"
		     "filtered by zone, protocol, address, port or TCP state.",
	     .read_only = true,
	     .fn = m_list,
	     .arg = ct,
	     .params = list_params,
	     .n_params = RTE_DIM(list_params)},
	    {.name = "ct.stats",
	     .help = "Connections in use, the limit, and the counters by reason.",
	     .read_only = true,
	     .fn = m_stats,
	     .arg = ct,
	     .params = evs_ctl_no_params,
	     .n_params = 0},
	    {.name = "ct.flush",
	     .help = "Remove all connections, or those of one zone; they stop matching at once.",
	     .read_only = false,
	     .fn = m_flush,
	     .arg = ct,
	     .params = flush_params,
	     .n_params = RTE_DIM(flush_params)},
	};
	size_t i;
	int rc;

	if (ctl == NULL || ct == NULL)
		return -EINVAL;
	for (i = 0; i < RTE_DIM(m); i++) {
		rc = evs_ctl_register(ctl, &m[i]);
		if (rc != 0)
			goto undo;
	}
	return 0;
undo:
	/* all or nothing */
	while (i-- > 0)
		evs_ctl_unregister(ctl, m[i].name);
	return rc;
}
