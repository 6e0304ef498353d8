/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The firewall's object types (fw.addrset, fw.group, fw.rule, fw.port),
 * their cross-field checks, and the JSON -> library conversions the store
 * hooks (fw_store.c) use. What the field specs say is not checked again.
 */

#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "fw_store_private.h"

#define NAME_FIELD(n, req, h)                                                                      \
	{                                                                                          \
		.name = n, .type = EVS_CTL_T_STRING, .required = req, .min_len = 1,                \
		.max_len = EVS_FW_NAME_MAX - 1, .help = h                                          \
	}
#define PORT_FIELD(n, h)                                                                           \
	{                                                                                          \
		.name = n, .type = EVS_CTL_T_UINT, .max = 65535, .help = h                         \
	}

static const char *const name_key[] = {"name", NULL};
static const char *const id_key[] = {"id", NULL};
static const char *const port_key[] = {"port", NULL};

static const struct evs_ctl_param prefix_item = {.type = EVS_CTL_T_IP_PREFIX};
static const struct evs_ctl_param addrset_fields[] = {
    NAME_FIELD("name", true, "address set name: [A-Za-z0-9_.-]"),
    {.name = "prefixes",
     .type = EVS_CTL_T_ARRAY,
     .max_len = FW_STORE_MAX_ADDRS,
     .items = &prefix_item,
     .help = "IPv4/IPv6 prefixes (host bits zero): 10.0.0.0/24, 2001:db8::1/128"},
};

const struct evs_obj_type fw_addrset_type = {
    .name = "fw.addrset",
    .section = "fw_addrsets",
    .help = "a named list of prefixes rules can match as source or destination",
    .fields = addrset_fields,
    .n_fields = RTE_DIM(addrset_fields),
    .defaults = "{\"prefixes\": []}",
    .keys = name_key,
    .ops = &fw_addrset_ops,
    .prepare_sliced = true, /* staged per slice, compiled once (fw_store.c) */
};

static const struct evs_ctl_param group_fields[] = {
    NAME_FIELD("name", true, "security group name: [A-Za-z0-9_.-]"),
    {.name = "description", .type = EVS_CTL_T_STRING, .max_len = 255, .help = "free text"},
};

const struct evs_obj_type fw_group_type = {
    .name = "fw.group",
    .section = "fw_groups",
    .help = "a security group: rules (fw.rule) applied to the ports (fw.port) naming it",
    .fields = group_fields,
    .n_fields = RTE_DIM(group_fields),
    .keys = name_key,
    .ops = &fw_group_ops,
    .prepare_sliced = true, /* staged per slice, compiled once (fw_store.c) */
};

static const char *const dirs[] = {"ingress", "egress", NULL};
static const char *const actions[] = {"allow", "deny", "reject", NULL};
static const char *const protos[] = {"any", "tcp", "udp", "icmp", "icmpv6", "sctp", NULL};
static const uint8_t proto_num[] = {
    0, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP};

static const struct evs_ctl_param rule_fields[] = {
    {.name = "id",
     .type = EVS_CTL_T_UINT,
     .required = true,
     .min = 1,
     .max = UINT32_MAX,
     .help = "rule id, unique; ties of priority go to the lower id"},
    NAME_FIELD("group", true, "its security group"),
    {.name = "priority",
     .type = EVS_CTL_T_UINT,
     .max = EVS_FW_PRIORITY_MAX,
     .help = "higher wins (1000)"},
    {.name = "direction",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .choices = dirs,
     .help = "ingress: to the port's guest; egress: from it"},
    {.name = "action", .type = EVS_CTL_T_STRING, .choices = actions, .help = "allow (default)"},
    {.name = "stateless",
     .type = EVS_CTL_T_BOOL,
     .help = "decide every packet, track nothing (replies need their own rule)"},
    {.name = "kill_on_delete",
     .type = EVS_CTL_T_BOOL,
     .help = "deleting or changing the rule ends the connections it allowed (default: they "
	     "run until they expire)"},
    {.name = "protocol", .type = EVS_CTL_T_STRING, .choices = protos, .help = "any (default)"},
    {.name = "src", .type = EVS_CTL_T_IP_PREFIX, .help = "source prefix"},
    NAME_FIELD("src_addrset", false, "source: an address set"),
    NAME_FIELD("src_tag", false, "source: the addresses of the ports carrying this tag"),
    {.name = "dst", .type = EVS_CTL_T_IP_PREFIX, .help = "destination prefix"},
    NAME_FIELD("dst_addrset", false, "destination: an address set"),
    NAME_FIELD("dst_tag", false, "destination: the addresses of the ports carrying this tag"),
    NAME_FIELD("remote_tag", false,
	       "only traffic from another host's port carrying this tag (its GENEVE source tag "
	       "option; at most 15 such tags in all rules)"),
    PORT_FIELD("sport_min", "source port range start (TCP/UDP/SCTP)"),
    PORT_FIELD("sport_max", "source port range end (default: sport_min, or 65535)"),
    PORT_FIELD("dport_min", "destination port range start (TCP/UDP/SCTP)"),
    PORT_FIELD("dport_max", "destination port range end (default: dport_min, or 65535)"),
    {.name = "icmp_type", .type = EVS_CTL_T_UINT, .max = 255, .help = "ICMP/ICMPv6 type"},
    {.name = "icmp_code", .type = EVS_CTL_T_UINT, .max = 255, .help = "ICMP/ICMPv6 code"},
};

static const struct evs_store_ref rule_refs[] = {
    {.field = "group", .type = "fw.group", .on_delete = EVS_STORE_CASCADE},
    {.field = "src_addrset", .type = "fw.addrset", .on_delete = EVS_STORE_RESTRICT},
    {.field = "dst_addrset", .type = "fw.addrset", .on_delete = EVS_STORE_RESTRICT},
};

const struct evs_obj_type fw_rule_type = {
    .name = "fw.rule",
    .section = "fw_rules",
    .help = "a security group rule: match, direction, allow/deny/reject",
    .fields = rule_fields,
    .n_fields = RTE_DIM(rule_fields),
    .defaults = "{\"priority\": 1000, \"action\": \"allow\", \"protocol\": \"any\", "
		"\"stateless\": false, \"kill_on_delete\": false}",
    .keys = id_key,
    .refs = rule_refs,
    .n_refs = RTE_DIM(rule_refs),
    .ops = &fw_rule_ops,
    .prepare_sliced = true, /* staged per slice, compiled once (fw_store.c) */
};

static const struct evs_ctl_param ip_item = {.type = EVS_CTL_T_IP};
static const struct evs_ctl_param name_item = {
    .type = EVS_CTL_T_STRING, .min_len = 1, .max_len = EVS_FW_NAME_MAX - 1};
static const struct evs_ctl_param fwport_fields[] = {
    {.name = "port", .type = EVS_CTL_T_STRING, .required = true, .min_len = 1, .help = "the port"},
    {.name = "addresses",
     .type = EVS_CTL_T_ARRAY,
     .max_len = EVS_FW_PORT_ADDRS_MAX,
     .items = &ip_item,
     .help = "the guest's addresses: what its tags stand for, and how traffic to it is found"},
    {.name = "tags",
     .type = EVS_CTL_T_ARRAY,
     .max_len = EVS_FW_PORT_TAGS_MAX,
     .items = &name_item,
     .help = "tags: the port joins every rule naming one (remote groups)"},
    {.name = "groups",
     .type = EVS_CTL_T_ARRAY,
     .max_len = EVS_FW_PORT_GROUPS_MAX,
     .items = &name_item,
     .help = "security groups (fw.group); with any, what no rule allows is denied"},
};

static const struct evs_store_ref fwport_refs[] = {
    {.field = "port", .type = "port", .on_delete = EVS_STORE_CASCADE},
};

const struct evs_obj_type fw_port_type = {
    .name = "fw.port",
    .section = "fw_ports",
    .help = "a vNIC port's firewall identity: addresses, tags and security groups",
    .fields = fwport_fields,
    .n_fields = RTE_DIM(fwport_fields),
    .defaults = "{\"addresses\": [], \"tags\": [], \"groups\": []}",
    .keys = port_key,
    .refs = fwport_refs,
    .n_refs = RTE_DIM(fwport_refs),
    .ops = &fw_port_ops,
    .prepare_sliced = true, /* staged per slice, compiled once (fw_store.c) */
};

static const char *str(const json_t *o, const char *f)
{
	return json_string_value(json_object_get(o, f));
}

static int64_t num(struct evs_store *st, const char *type, const json_t *o, const char *f,
		   int64_t dflt)
{
	const json_t *v = evs_store_field(st, type, o, f);

	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static int choice(const char *const *list, const char *s)
{
	for (int i = 0; list[i] != NULL; i++)
		if (s != NULL && strcmp(list[i], s) == 0)
			return i;
	return 0;
}

int fw_cidr_parse(const char *s, struct evs_fw_cidr *c)
{
	uint8_t plen;
	int af;

	memset(c, 0, sizeof(*c));
	if (evs_ctl_parse_ip(s, &af, c->addr, strchr(s, '/') != NULL ? &plen : NULL) < 0)
		return -EINVAL;
	c->af = af == AF_INET ? 4 : 6;
	c->plen = strchr(s, '/') != NULL ? plen : (c->af == 4 ? 32 : 128);
	for (unsigned int b = c->plen; b < (c->af == 4 ? 32u : 128u); b++)
		if (c->addr[b / 8] & (0x80 >> (b % 8)))
			return -EINVAL; /* host bits set: an error, not a guess */
	return 0;
}

/* One side of a rule: at most one of prefix, address set, tag. */
static int side_of(const json_t *o, const char *pfx, struct evs_fw_addr *a, const char *path,
		   struct evs_ctl_err *err)
{
	char f[3][24];
	const char *v[3];
	int n = 0;

	snprintf(f[0], sizeof(f[0]), "%s", pfx);
	snprintf(f[1], sizeof(f[1]), "%s_addrset", pfx);
	snprintf(f[2], sizeof(f[2]), "%s_tag", pfx);
	memset(a, 0, sizeof(*a));
	for (int i = 0; i < 3; i++) {
		v[i] = str(o, f[i]);
		n += v[i] != NULL;
	}
	if (n > 1)
		return evs_store_err(err, -EINVAL, path, "%s, %s and %s exclude each other", f[0],
				     f[1], f[2]);
	if (v[0] != NULL) {
		a->kind = EVS_FW_ADDR_CIDR;
		if (fw_cidr_parse(v[0], &a->cidr) < 0)
			return evs_store_err(err, -EINVAL, path, "%s: '%s' has host bits set", f[0],
					     v[0]);
	} else if (v[1] != NULL || v[2] != NULL) {
		a->kind = v[1] != NULL ? EVS_FW_ADDR_SET : EVS_FW_ADDR_TAG;
		snprintf(a->name, sizeof(a->name), "%s", v[1] != NULL ? v[1] : v[2]);
	}
	return 0;
}

static int range_of(struct evs_store *st, const json_t *o, const char *lo_f, const char *hi_f,
		    uint16_t *lo, uint16_t *hi, const char *path, struct evs_ctl_err *err)
{
	int64_t l = num(st, "fw.rule", o, lo_f, -1), h = num(st, "fw.rule", o, hi_f, -1);

	*lo = l < 0 ? 0 : (uint16_t)l;
	*hi = h >= 0 ? (uint16_t)h : l >= 0 ? (uint16_t)l : UINT16_MAX;
	if (*lo > *hi)
		return evs_store_err(err, -EINVAL, path, "%s %u is above %s %u", lo_f, *lo, hi_f,
				     *hi);
	return 0;
}

int fw_rule_of(struct evs_store *st, const json_t *o, struct evs_fw_rule *r, const char *path,
	       struct evs_ctl_err *err)
{
	int64_t t, c;
	int rc;

	memset(r, 0, sizeof(*r));
	r->id = (uint32_t)json_integer_value(json_object_get(o, "id"));
	r->priority = (uint32_t)num(st, "fw.rule", o, "priority", 1000);
	r->dir = choice(dirs, str(o, "direction")) == 0 ? EVS_FW_INGRESS : EVS_FW_EGRESS;
	r->action = (enum evs_fw_action)(
	    EVS_FW_ALLOW +
	    choice(actions, json_string_value(evs_store_field(st, "fw.rule", o, "action"))));
	r->stateless = json_is_true(evs_store_field(st, "fw.rule", o, "stateless"));
	r->proto = proto_num[choice(
	    protos, json_string_value(evs_store_field(st, "fw.rule", o, "protocol")))];
	if (str(o, "remote_tag") != NULL)
		snprintf(r->remote_tag, sizeof(r->remote_tag), "%s", str(o, "remote_tag"));
	rc = side_of(o, "src", &r->src, path, err);
	if (rc == 0)
		rc = side_of(o, "dst", &r->dst, path, err);
	if (rc != 0)
		return rc;
	t = num(st, "fw.rule", o, "icmp_type", -1);
	c = num(st, "fw.rule", o, "icmp_code", -1);
	if (r->proto == IPPROTO_ICMP || r->proto == IPPROTO_ICMPV6) {
		if (json_object_get(o, "sport_min") || json_object_get(o, "dport_min") ||
		    json_object_get(o, "sport_max") || json_object_get(o, "dport_max"))
			return evs_store_err(err, -EINVAL, path,
					     "ICMP has no ports: use icmp_type/icmp_code");
		/* the flow key carries ICMP type and code where ports go */
		r->sport_lo = t < 0 ? 0 : (uint16_t)t;
		r->sport_hi = t < 0 ? UINT16_MAX : (uint16_t)t;
		r->dport_lo = c < 0 ? 0 : (uint16_t)c;
		r->dport_hi = c < 0 ? UINT16_MAX : (uint16_t)c;
		return 0;
	}
	if (t >= 0 || c >= 0)
		return evs_store_err(err, -EINVAL, path,
				     "icmp_type/icmp_code need protocol icmp or icmpv6");
	rc = range_of(st, o, "sport_min", "sport_max", &r->sport_lo, &r->sport_hi, path, err);
	if (rc == 0)
		rc = range_of(st, o, "dport_min", "dport_max", &r->dport_lo, &r->dport_hi, path,
			      err);
	if (rc != 0)
		return rc;
	if (r->proto != IPPROTO_TCP && r->proto != IPPROTO_UDP && r->proto != IPPROTO_SCTP &&
	    (r->sport_lo != 0 || r->dport_lo != 0 || r->sport_hi != UINT16_MAX ||
	     r->dport_hi != UINT16_MAX))
		return evs_store_err(err, -EINVAL, path, "ports need protocol tcp, udp or sctp");
	return 0;
}

int fw_port_conf_of(const json_t *o, struct evs_fw_port_conf *pc)
{
	const json_t *v;
	size_t i;

	memset(pc, 0, sizeof(*pc));
	if (o == NULL)
		return 0;
	json_array_foreach (json_object_get(o, "addresses"), i, v) {
		if (fw_cidr_parse(json_string_value(v), &pc->addrs[pc->n_addrs]) < 0)
			return -EINVAL;
		pc->n_addrs++;
	}
	json_array_foreach (json_object_get(o, "tags"), i, v) {
		snprintf(pc->tags[pc->n_tags++], EVS_FW_NAME_MAX, "%s", json_string_value(v));
	}
	json_array_foreach (json_object_get(o, "groups"), i, v) {
		snprintf(pc->groups[pc->n_groups++], EVS_FW_NAME_MAX, "%s", json_string_value(v));
	}
	return 0;
}

/* ---- checks (post-transaction state) ---- */

static int names_check(const json_t *arr, const char *field, const char *path,
		       struct evs_ctl_err *err)
{
	const json_t *v, *w;
	size_t i, j;

	json_array_foreach (arr, i, v) {
		json_t *tmp = json_pack("{sO}", field, v);
		int rc = tmp != NULL ? evs_store_check_name(tmp, field, path, err) : -ENOMEM;

		json_decref(tmp);
		if (rc < 0)
			return rc;
		json_array_foreach (arr, j, w) {
			if (j < i && json_equal(v, w))
				return evs_store_err(err, -EINVAL, path, "%s: '%s' is given twice",
						     field, json_string_value(v));
		}
	}
	return 0;
}

int fw_addrset_check(struct evs_store *st, const json_t *o, const char *path,
		     struct evs_ctl_err *err, void *ctx)
{
	struct evs_fw_cidr c;
	const json_t *v;
	size_t i;

	(void)st, (void)ctx;
	if (evs_store_check_name(o, "name", path, err) < 0)
		return -EINVAL;
	json_array_foreach (json_object_get(o, "prefixes"), i, v) {
		if (fw_cidr_parse(json_string_value(v), &c) < 0)
			return evs_store_err(err, -EINVAL, path,
					     "prefixes[%zu]: '%s' has host bits set", i,
					     json_string_value(v));
	}
	return 0;
}

int fw_group_check(struct evs_store *st, const json_t *o, const char *path, struct evs_ctl_err *err,
		   void *ctx)
{
	(void)st, (void)ctx;
	return evs_store_check_name(o, "name", path, err);
}

int fw_rule_check(struct evs_store *st, const json_t *o, const char *path, struct evs_ctl_err *err,
		  void *ctx)
{
	struct evs_fw_rule r;
	const char *tags[] = {"src_tag", "dst_tag", "remote_tag"};

	(void)ctx;
	for (int i = 0; i < 3; i++)
		if (evs_store_check_name(o, tags[i], path, err) < 0)
			return -EINVAL;
	return fw_rule_of(st, o, &r, path, err);
}

int fw_port_check(struct evs_store *st, const json_t *o, const char *path, struct evs_ctl_err *err,
		  void *ctx)
{
	const json_t *v;
	size_t i;
	int rc;

	(void)ctx;
	rc = names_check(json_object_get(o, "tags"), "tags", path, err);
	if (rc == 0)
		rc = names_check(json_object_get(o, "groups"), "groups", path, err);
	if (rc < 0)
		return rc;
	json_array_foreach (json_object_get(o, "groups"), i, v) {
		if (evs_store_lookup_str(st, "fw.group", json_string_value(v)) == NULL)
			return evs_store_err(err, -ENOENT, path, "groups[%zu]: no fw.group '%s'", i,
					     json_string_value(v));
	}
	return 0;
}

static const struct evs_ctl_param snat_fields[] = {
    NAME_FIELD("name", true, "SNAT rule name: [A-Za-z0-9_.-]"),
    {.name = "src",
     .type = EVS_CTL_T_IP_PREFIX,
     .required = true,
     .help = "sources translated (the most specific rule wins)"},
    {.name = "to_min", .type = EVS_CTL_T_IP, .required = true, .help = "first address"},
    {.name = "to_max", .type = EVS_CTL_T_IP, .help = "last address (default: to_min)"},
    PORT_FIELD("port_min", "first port (0: keep the port if free, else 1024-65535)"),
    PORT_FIELD("port_max", "last port"),
};

const struct evs_obj_type fw_snat_type = {
    .name = "fw.snat",
    .section = "fw_snats",
    .help = "source NAT of the connections the firewall tracks from a prefix",
    .fields = snat_fields,
    .n_fields = RTE_DIM(snat_fields),
    .keys = name_key,
    .ops = &fw_snat_ops,
};

int fw_snat_of(const json_t *o, struct evs_fw_snat *r, const char *path, struct evs_ctl_err *err)
{
	const char *max = str(o, "to_max") != NULL ? str(o, "to_max") : str(o, "to_min");
	struct evs_fw_cidr lo, hi;
	int64_t pmin = json_integer_value(json_object_get(o, "port_min"));
	int64_t pmax = json_object_get(o, "port_max") != NULL
			   ? json_integer_value(json_object_get(o, "port_max"))
			   : pmin;

	memset(r, 0, sizeof(*r));
	if (fw_cidr_parse(str(o, "src"), &r->src) < 0)
		return evs_store_err(err, -EINVAL, path, "src: '%s' has host bits set",
				     str(o, "src"));
	if (fw_cidr_parse(str(o, "to_min"), &lo) < 0 || fw_cidr_parse(max, &hi) < 0 ||
	    lo.af != r->src.af || hi.af != r->src.af)
		return evs_store_err(err, -EINVAL, path,
				     "to_min/to_max must be addresses of src's family");
	if (memcmp(lo.addr, hi.addr, 16) > 0)
		return evs_store_err(err, -EINVAL, path, "to_min is above to_max");
	if (lo.af == 6 && memcmp(lo.addr, hi.addr, 12) != 0)
		return evs_store_err(err, -EINVAL, path,
				     "an IPv6 range may vary in its last 32 bits only");
	if (pmin > pmax || (pmin == 0) != (pmax == 0))
		return evs_store_err(err, -EINVAL, path,
				     "port_min/port_max: a range, or both absent");
	r->to.kind = EVS_CT_NAT_SRC;
	r->to.v6 = lo.af == 6;
	memcpy(r->to.addr_min, lo.addr, 16);
	memcpy(r->to.addr_max, hi.addr, 16);
	r->to.port_min = (uint16_t)pmin;
	r->to.port_max = (uint16_t)pmax;
	return 0;
}

int fw_snat_check(struct evs_store *st, const json_t *o, const char *path, struct evs_ctl_err *err,
		  void *ctx)
{
	struct evs_fw_snat r;

	(void)st, (void)ctx;
	if (evs_store_check_name(o, "name", path, err) < 0)
		return -EINVAL;
	return fw_snat_of(o, &r, path, err);
}

static const char *const dnat_protos[] = {"tcp", "udp", NULL};
static const struct evs_ctl_param dnat_fields[] = {
    NAME_FIELD("name", true, "DNAT rule name: [A-Za-z0-9_.-]"),
    {.name = "address", .type = EVS_CTL_T_IP, .required = true, .help = "the public address"},
    {.name = "protocol", .type = EVS_CTL_T_STRING, .required = true, .choices = dnat_protos},
    {.name = "port", .type = EVS_CTL_T_UINT, .required = true, .min = 1, .max = 65535},
    {.name = "to", .type = EVS_CTL_T_IP, .required = true, .help = "the guest's address"},
    {.name = "to_port", .type = EVS_CTL_T_UINT, .min = 1, .max = 65535, .help = "default: port"},
};

const struct evs_obj_type fw_dnat_type = {
    .name = "fw.dnat",
    .section = "fw_dnats",
    .help = "destination NAT of connections to a public address and port",
    .fields = dnat_fields,
    .n_fields = RTE_DIM(dnat_fields),
    .keys = name_key,
    .ops = &fw_dnat_ops,
};

int fw_dnat_of(const json_t *o, struct evs_fw_dnat *r, const char *path, struct evs_ctl_err *err)
{
	struct evs_fw_cidr pub, to;

	memset(r, 0, sizeof(*r));
	if (fw_cidr_parse(str(o, "address"), &pub) < 0 || fw_cidr_parse(str(o, "to"), &to) < 0 ||
	    pub.af != to.af)
		return evs_store_err(err, -EINVAL, path, "address and to must be of one family");
	r->af = pub.af;
	memcpy(r->addr, pub.addr, 16);
	r->proto = strcmp(str(o, "protocol"), "tcp") == 0 ? IPPROTO_TCP : IPPROTO_UDP;
	r->port = (uint16_t)json_integer_value(json_object_get(o, "port"));
	r->to.kind = EVS_CT_NAT_DST;
	r->to.v6 = to.af == 6;
	memcpy(r->to.addr_min, to.addr, 16);
	memcpy(r->to.addr_max, to.addr, 16);
	r->to.port_min = json_object_get(o, "to_port") != NULL
			     ? (uint16_t)json_integer_value(json_object_get(o, "to_port"))
			     : r->port;
	r->to.port_max = r->to.port_min;
	return 0;
}

int fw_dnat_check(struct evs_store *st, const json_t *o, const char *path, struct evs_ctl_err *err,
		  void *ctx)
{
	struct evs_fw_dnat r, q;

	(void)ctx;
	if (evs_store_check_name(o, "name", path, err) < 0 || fw_dnat_of(o, &r, path, err) < 0)
		return -EINVAL;
	/* one rule per public address, protocol and port */
	for (struct evs_store_obj *x = evs_store_first(st, "fw.dnat"); x != NULL;
	     x = evs_store_next(x)) {
		const json_t *v = evs_store_obj_value(x);

		if (v == o || strcmp(str(v, "name"), str(o, "name")) == 0 ||
		    fw_dnat_of(v, &q, path, err) < 0)
			continue;
		if (q.af == r.af && q.proto == r.proto && q.port == r.port &&
		    memcmp(q.addr, r.addr, 16) == 0)
			return evs_store_err(err, -EEXIST, path,
					     "fw.dnat '%s' already translates %s port %u",
					     str(v, "name"), str(o, "address"), r.port);
	}
	return 0;
}
