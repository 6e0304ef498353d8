/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Firewall objects (groups, rules, address sets, port bindings) and the
 * commit that compiles the touched groups and publishes them with RCU.
 */

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "evs_tunnel.h" /* evs_tun_tag_id: the tags' wire ids (header only) */
#include "fw_private.h"

static const char *const counter_names[EVS_FW_C_MAX] = {
    [EVS_FW_C_ALLOW] = "allow",
    [EVS_FW_C_DENY] = "deny",
    [EVS_FW_C_REJECT] = "reject",
    [EVS_FW_C_DEFAULT_DENY] = "default_deny",
    [EVS_FW_C_UNFILTERED] = "unfiltered",
    [EVS_FW_C_LOG_SUPPRESSED] = "log_suppressed",
    [EVS_FW_C_LOG_OVERFLOW] = "log_overflow",
};

const char *evs_fw_counter_name(enum evs_fw_counter c)
{
	return (unsigned int)c < EVS_FW_C_MAX ? counter_names[c] : "unknown";
}

static bool name_ok(const char *s)
{
	return s != NULL && s[0] != '\0' && strnlen(s, EVS_FW_NAME_MAX) < EVS_FW_NAME_MAX;
}

static bool cidr_ok(const struct evs_fw_cidr *c)
{
	unsigned int len = c->af == 4 ? 4 : 16, i;

	if ((c->af != 4 && c->af != 6) || c->plen > len * 8)
		return false;
	for (i = 0; i < len; i++) {
		unsigned int keep = c->plen > i * 8 ? c->plen - i * 8 : 0;
		uint8_t mask = keep >= 8 ? 0xff : (uint8_t)(0xff00 >> keep);

		if (c->addr[i] & ~mask)
			return false; /* host bits set: say so rather than guess */
	}
	return true;
}

static int find_group(const struct evs_fw *fw, const char *name)
{
	uint32_t i;

	for (i = 0; i < fw->cfg.max_groups; i++)
		if (fw->groups[i].used && strcmp(fw->groups[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

static int find_addrset(const struct evs_fw *fw, const char *name)
{
	uint32_t i;

	for (i = 0; i < fw->cfg.max_addrsets; i++)
		if (fw->addrsets[i].used && strcmp(fw->addrsets[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

static int find_rule(const struct evs_fw *fw, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < fw->cfg.max_rules; i++)
		if (fw->rules[i].used && fw->rules[i].r.id == id)
			return (int)i;
	return -ENOENT;
}

static bool addr_names(const struct evs_fw_addr *a, enum evs_fw_addr_kind kind, const char *name)
{
	return a->kind == kind && strcmp(a->name, name) == 0;
}

static bool rule_names(const struct evs_fw_rule *r, enum evs_fw_addr_kind kind, const char *name)
{
	return addr_names(&r->src, kind, name) || addr_names(&r->dst, kind, name);
}

/* Mark dirty every group with a rule naming @name as @kind. */
static void dirty_users(struct evs_fw *fw, enum evs_fw_addr_kind kind, const char *name)
{
	uint32_t i;

	for (i = 0; i < fw->cfg.max_rules; i++)
		if (fw->rules[i].used && rule_names(&fw->rules[i].r, kind, name))
			fw->groups[fw->rules[i].group].dirty = 1;
}

/* Free after the next grace period; max_retired covers every group's
 * tables and every port's binding. */
static void retire_tables(struct evs_fw *fw, struct fw_tables *t)
{
	if (t != NULL)
		fw->retired[fw->n_retired++] = (struct fw_retired){.p = t, .tables = 1};
}

static void retire_bind(struct evs_fw *fw, void *b)
{
	if (b != NULL)
		fw->retired[fw->n_retired++] = (struct fw_retired){.p = b, .tables = 0};
}

static void free_retired(struct evs_fw *fw)
{
	uint32_t i;

	for (i = 0; i < fw->n_retired; i++)
		if (fw->retired[i].tables)
			fw_tables_free(fw->retired[i].p);
		else
			rte_free(fw->retired[i].p);
	fw->n_retired = 0;
}

/* Free the built but unpublished tables and bindings. */
static void drop_pending(struct evs_fw *fw)
{
	uint32_t i;

	for (i = 0; i < fw->cfg.max_groups; i++) {
		fw_tables_free(fw->pend_tables[i]);
		fw->pend_tables[i] = NULL;
	}
	for (i = 0; i < fw->cfg.max_ports; i++) {
		rte_free(fw->pend_binds[i]);
		fw->pend_binds[i] = NULL;
	}
	rte_free(fw->pend_vnics);
	fw->pend_vnics = NULL;
	fw->pending = 0;
}

void evs_fw_free(struct evs_fw *fw)
{
	uint32_t i;

	if (fw == NULL)
		return;
	if (fw->retired != NULL)
		free_retired(fw);
	if (fw->pend_tables != NULL && fw->pend_binds != NULL)
		drop_pending(fw);
	rte_free(fw->pend_tables);
	rte_free(fw->pend_binds);
	if (fw->groups != NULL)
		for (i = 0; i < fw->cfg.max_groups; i++)
			fw_tables_free(fw->groups[i].tables);
	if (fw->ports != NULL)
		for (i = 0; i < fw->cfg.max_ports; i++)
			rte_free(fw->ports[i].bind);
	if (fw->addrsets != NULL)
		for (i = 0; i < fw->cfg.max_addrsets; i++)
			rte_free(fw->addrsets[i].cidrs);
	if (fw->lcores != NULL)
		for (i = 0; i < fw->cfg.n_lcores; i++)
			rte_free(fw->lcores[i].hits);
	fw_log_fini(fw);
	rte_free(fw->vnics);
	fw_snat_free(fw);
	rte_free(fw->retired);
	rte_free(fw->lcores);
	rte_free(fw->rules);
	rte_free(fw->groups);
	rte_free(fw->addrsets);
	rte_free(fw->ports);
	rte_free(fw->binds);
	rte_free(fw);
}

struct evs_fw *evs_fw_create(const struct evs_fw_config *cfg)
{
	struct evs_fw *fw;
	struct timespec ts;
	int sock, err = ENOMEM;
	uint32_t i;

	if (cfg == NULL || !name_ok(cfg->name) || cfg->n_lcores == 0 || cfg->max_rules == 0 ||
	    cfg->max_groups == 0 || cfg->max_ports == 0 || cfg->max_ports > UINT16_MAX + 1u ||
	    (cfg->log_size & (cfg->log_size - 1)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	sock = cfg->socket_id;
	fw = rte_zmalloc_socket("evs_fw", sizeof(*fw), RTE_CACHE_LINE_SIZE, sock);
	if (fw == NULL)
		goto fail;
	fw->cfg = *cfg;
	snprintf(fw->name, sizeof(fw->name), "%s", cfg->name);
	fw->cfg.name = fw->name;
	if (fw->cfg.max_acl_rules == 0)
		fw->cfg.max_acl_rules = 65536;
	if (fw->cfg.log_size == 0)
		fw->cfg.log_size = 256;
	fw->binds = rte_zmalloc_socket("evs_fw", sizeof(*fw->binds) * cfg->max_ports, 0, sock);
	fw->lcores = rte_zmalloc_socket("evs_fw", sizeof(*fw->lcores) * cfg->n_lcores,
					RTE_CACHE_LINE_SIZE, sock);
	fw->rules = rte_zmalloc_socket("evs_fw", sizeof(*fw->rules) * cfg->max_rules, 0, sock);
	fw->groups = rte_zmalloc_socket("evs_fw", sizeof(*fw->groups) * cfg->max_groups, 0, sock);
	fw->ports = rte_zmalloc_socket("evs_fw", sizeof(*fw->ports) * cfg->max_ports, 0, sock);
	fw->max_retired = 2 * (cfg->max_groups + cfg->max_ports) + 1; /* + the vnic map */
	fw->retired = rte_zmalloc_socket("evs_fw", sizeof(*fw->retired) * fw->max_retired, 0, sock);
	fw->pend_tables = rte_zmalloc_socket("evs_fw", sizeof(void *) * cfg->max_groups, 0, sock);
	fw->pend_binds = rte_zmalloc_socket("evs_fw", sizeof(void *) * cfg->max_ports, 0, sock);
	if (cfg->max_addrsets != 0)
		fw->addrsets = rte_zmalloc_socket(
		    "evs_fw", sizeof(*fw->addrsets) * cfg->max_addrsets, 0, sock);
	if (fw->binds == NULL || fw->lcores == NULL || fw->rules == NULL || fw->groups == NULL ||
	    fw->ports == NULL || fw->retired == NULL || fw->pend_tables == NULL ||
	    fw->pend_binds == NULL || (cfg->max_addrsets != 0 && fw->addrsets == NULL))
		goto fail;
	for (i = 0; i < cfg->max_addrsets; i++) {
		fw->addrsets[i].cidrs = rte_zmalloc_socket(
		    "evs_fw", sizeof(struct evs_fw_cidr) * (cfg->max_addrs + 1), 0, sock);
		if (fw->addrsets[i].cidrs == NULL)
			goto fail;
	}
	for (i = 0; i < cfg->n_lcores; i++) {
		fw->lcores[i].hits = rte_zmalloc_socket("evs_fw", sizeof(uint64_t) * cfg->max_rules,
							RTE_CACHE_LINE_SIZE, sock);
		if (fw->lcores[i].hits == NULL)
			goto fail;
	}
	err = -fw_log_init(fw);
	if (err != 0)
		goto fail;
	fw->tsc_hz = rte_get_tsc_hz();
	fw->tsc0 = rte_get_tsc_cycles();
	clock_gettime(CLOCK_REALTIME, &ts);
	fw->wall0_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	return fw;
fail:
	evs_fw_free(fw);
	errno = err;
	return NULL;
}

int evs_fw_addrset_set(struct evs_fw *fw, const char *name, const struct evs_fw_cidr *cidrs,
		       uint32_t n)
{
	struct fw_addrset *as;
	int i = -ENOENT;
	uint32_t k;

	if (!name_ok(name) || n > fw->cfg.max_addrs || (n != 0 && cidrs == NULL))
		return -EINVAL;
	for (k = 0; k < n; k++)
		if (!cidr_ok(&cidrs[k]))
			return -EINVAL;
	i = find_addrset(fw, name);
	if (i < 0) {
		for (k = 0; k < fw->cfg.max_addrsets && fw->addrsets[k].used; k++)
			;
		if (k == fw->cfg.max_addrsets)
			return -ENOSPC;
		i = (int)k;
	}
	as = &fw->addrsets[i];
	as->used = 1;
	snprintf(as->name, sizeof(as->name), "%s", name);
	if (n != 0)
		memcpy(as->cidrs, cidrs, sizeof(*cidrs) * n);
	as->n = n;
	dirty_users(fw, EVS_FW_ADDR_SET, name);
	return 0;
}

int evs_fw_addrset_del(struct evs_fw *fw, const char *name)
{
	int i = name_ok(name) ? find_addrset(fw, name) : -ENOENT;
	uint32_t k;

	if (i < 0)
		return i;
	for (k = 0; k < fw->cfg.max_rules; k++)
		if (fw->rules[k].used && rule_names(&fw->rules[k].r, EVS_FW_ADDR_SET, name))
			return -EBUSY;
	fw->addrsets[i].used = 0;
	return 0;
}

int evs_fw_group_add(struct evs_fw *fw, const char *name)
{
	uint32_t k;

	if (!name_ok(name))
		return -EINVAL;
	if (find_group(fw, name) >= 0)
		return -EEXIST;
	for (k = 0; k < fw->cfg.max_groups && fw->groups[k].used; k++)
		;
	if (k == fw->cfg.max_groups)
		return -ENOSPC;
	/* A slot freed by a delete still holds tables until the next commit. */
	if (fw->groups[k].tables != NULL) {
		retire_tables(fw, fw->groups[k].tables);
		fw->groups[k].tables = NULL;
	}
	fw->groups[k].used = 1;
	fw->groups[k].dirty = 1;
	snprintf(fw->groups[k].name, sizeof(fw->groups[k].name), "%s", name);
	return 0;
}

int evs_fw_group_del(struct evs_fw *fw, const char *name)
{
	int g = name_ok(name) ? find_group(fw, name) : -ENOENT;
	uint32_t p, k;

	if (g < 0)
		return g;
	for (p = 0; p < fw->cfg.max_ports; p++)
		for (k = 0; k < fw->ports[p].conf.n_groups; k++)
			if (fw->ports[p].groups[k] == g)
				return -EBUSY;
	for (k = 0; k < fw->cfg.max_rules; k++)
		if (fw->rules[k].used && fw->rules[k].group == g) {
			fw->rules[k].used = 0;
			fw->n_rules--;
		}
	fw->groups[g].used = 0;
	fw->groups[g].dirty = 1; /* commit retires its tables */
	return 0;
}

static int addr_check(const struct evs_fw *fw, const struct evs_fw_addr *a)
{
	switch (a->kind) {
	case EVS_FW_ADDR_ANY:
		return 0;
	case EVS_FW_ADDR_CIDR:
		return cidr_ok(&a->cidr) ? 0 : -EINVAL;
	case EVS_FW_ADDR_SET:
		if (!name_ok(a->name))
			return -EINVAL;
		return find_addrset(fw, a->name) >= 0 ? 0 : -ENOENT;
	case EVS_FW_ADDR_TAG:
		return name_ok(a->name) ? 0 : -EINVAL; /* a tag nobody carries matches nothing */
	}
	return -EINVAL;
}

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP ||
	       proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

int fw_rtag_slot(const struct evs_fw *fw, const char *name)
{
	for (unsigned int s = 0; s < EVS_FW_REMOTE_TAGS_MAX; s++)
		if (fw->rtag_id[s] != 0 && strcmp(fw->rtag[s], name) == 0)
			return (int)s;
	return -1;
}

/* Every remote tag a rule names gets a slot (kept while named). A new tag
 * takes a free slot; its id is stored before any table testing its bit is
 * published. -ENOSPC: more than EVS_FW_REMOTE_TAGS_MAX at once; -EEXIST:
 * two names with one wire id (CRC32C: should never happen, never guessed). */
static int rtags_assign(struct evs_fw *fw)
{
	for (uint32_t i = 0; i < fw->cfg.max_rules; i++) {
		const struct evs_fw_rule *r = &fw->rules[i].r;
		unsigned int s, free_slot = EVS_FW_REMOTE_TAGS_MAX;
		uint32_t id;

		if (!fw->rules[i].used || r->remote_tag[0] == '\0' ||
		    fw_rtag_slot(fw, r->remote_tag) >= 0)
			continue;
		id = evs_tun_tag_id(r->remote_tag);
		for (s = 0; s < EVS_FW_REMOTE_TAGS_MAX; s++) {
			if (fw->rtag_id[s] == id)
				return -EEXIST;
			if (fw->rtag_id[s] == 0 && free_slot == EVS_FW_REMOTE_TAGS_MAX)
				free_slot = s;
		}
		if (free_slot == EVS_FW_REMOTE_TAGS_MAX)
			return -ENOSPC;
		snprintf(fw->rtag[free_slot], sizeof(fw->rtag[0]), "%s", r->remote_tag);
		__atomic_store_n(&fw->rtag_id[free_slot], id, __ATOMIC_RELEASE);
	}
	return 0;
}

/* After a publish's grace: free the slots no rule names any more (no
 * published table tests their bits now). */
static void rtags_release(struct evs_fw *fw)
{
	for (unsigned int s = 0; s < EVS_FW_REMOTE_TAGS_MAX; s++) {
		uint32_t i;

		if (fw->rtag_id[s] == 0)
			continue;
		for (i = 0; i < fw->cfg.max_rules; i++)
			if (fw->rules[i].used &&
			    strcmp(fw->rules[i].r.remote_tag, fw->rtag[s]) == 0)
				break;
		if (i == fw->cfg.max_rules) {
			__atomic_store_n(&fw->rtag_id[s], 0, __ATOMIC_RELAXED);
			fw->rtag[s][0] = '\0';
		}
	}
}

uint32_t evs_fw_remote_tag_bits(const struct evs_fw *fw, const uint32_t *ids, unsigned int n)
{
	uint32_t bits = 0;

	for (unsigned int s = 0; s < EVS_FW_REMOTE_TAGS_MAX; s++) {
		uint32_t id = __atomic_load_n(&fw->rtag_id[s], __ATOMIC_RELAXED);

		if (id == 0)
			continue;
		for (unsigned int i = 0; i < n; i++)
			if (ids[i] == id)
				bits |= 1u << (EVS_FW_REMOTE_TAG_BIT0 + s);
	}
	return bits;
}

bool evs_fw_remote_tags_used(const struct evs_fw *fw)
{
	for (unsigned int s = 0; s < EVS_FW_REMOTE_TAGS_MAX; s++)
		if (__atomic_load_n(&fw->rtag_id[s], __ATOMIC_RELAXED) != 0)
			return true;
	return false;
}

const char *evs_fw_remote_tag_of_bit(const struct evs_fw *fw, unsigned int bit)
{
	unsigned int s = bit - EVS_FW_REMOTE_TAG_BIT0;

	if (bit < EVS_FW_REMOTE_TAG_BIT0 || s >= EVS_FW_REMOTE_TAGS_MAX || fw->rtag_id[s] == 0)
		return NULL;
	return fw->rtag[s];
}

int evs_fw_rule_add(struct evs_fw *fw, const char *group, const struct evs_fw_rule *r)
{
	int g, err;
	uint32_t k, l;

	if (r == NULL || r->id == 0 || (unsigned int)r->dir >= EVS_FW_DIR_MAX ||
	    r->action < EVS_FW_ALLOW || r->action > EVS_FW_REJECT ||
	    r->priority > EVS_FW_PRIORITY_MAX || r->sport_lo > r->sport_hi ||
	    r->dport_lo > r->dport_hi || !name_ok(group))
		return -EINVAL;
	if (!has_ports(r->proto) && (r->sport_lo != 0 || r->dport_lo != 0 ||
				     r->sport_hi != UINT16_MAX || r->dport_hi != UINT16_MAX))
		return -EINVAL; /* ports of a protocol without ports */
	if (r->remote_tag[0] != '\0' &&
	    (memchr(r->remote_tag, 0, sizeof(r->remote_tag)) == NULL || !name_ok(r->remote_tag)))
		return -EINVAL;
	err = addr_check(fw, &r->src);
	if (err == 0)
		err = addr_check(fw, &r->dst);
	if (err != 0)
		return err;
	g = find_group(fw, group);
	if (g < 0)
		return g;
	if (find_rule(fw, r->id) >= 0)
		return -EEXIST;
	for (k = 0; k < fw->cfg.max_rules && fw->rules[k].used; k++)
		;
	if (k == fw->cfg.max_rules)
		return -ENOSPC;
	fw->rules[k].r = *r;
	fw->rules[k].group = (uint16_t)g;
	fw->rules[k].used = 1;
	fw->n_rules++;
	/* A reused slot starts from zero (an lcore still on the old tables may
	 * add a last hit of the deleted rule until the next commit). */
	for (l = 0; l < fw->cfg.n_lcores; l++)
		__atomic_store_n(&fw->lcores[l].hits[k], 0, __ATOMIC_RELAXED);
	fw->groups[g].dirty = 1;
	return 0;
}

int evs_fw_rule_del(struct evs_fw *fw, uint32_t id)
{
	int k = find_rule(fw, id);

	if (k < 0)
		return k;
	fw->rules[k].used = 0;
	fw->n_rules--;
	fw->groups[fw->rules[k].group].dirty = 1;
	return 0;
}

int evs_fw_port_set(struct evs_fw *fw, uint16_t port, const struct evs_fw_port_conf *pc)
{
	struct fw_port *p;
	uint16_t groups[EVS_FW_PORT_GROUPS_MAX];
	uint32_t k;
	int g;

	if (port >= fw->cfg.max_ports || pc == NULL || pc->n_addrs > EVS_FW_PORT_ADDRS_MAX ||
	    pc->n_tags > EVS_FW_PORT_TAGS_MAX || pc->n_groups > EVS_FW_PORT_GROUPS_MAX)
		return -EINVAL;
	for (k = 0; k < pc->n_addrs; k++)
		if (!cidr_ok(&pc->addrs[k]))
			return -EINVAL;
	for (k = 0; k < pc->n_tags; k++)
		if (!name_ok(pc->tags[k]))
			return -EINVAL;
	for (k = 0; k < pc->n_groups; k++) {
		if (!name_ok(pc->groups[k]))
			return -EINVAL;
		g = find_group(fw, pc->groups[k]);
		if (g < 0)
			return g;
		groups[k] = (uint16_t)g;
	}
	p = &fw->ports[port];
	/* Members change for the old tags and the new ones. */
	for (k = 0; k < p->conf.n_tags; k++)
		dirty_users(fw, EVS_FW_ADDR_TAG, p->conf.tags[k]);
	p->conf = *pc;
	memcpy(p->groups, groups, sizeof(groups[0]) * pc->n_groups);
	for (k = 0; k < pc->n_tags; k++)
		dirty_users(fw, EVS_FW_ADDR_TAG, pc->tags[k]);
	p->dirty = 1;
	fw->vnics_dirty = 1;
	return 0;
}

static struct fw_bind *bind_build(const struct evs_fw *fw, const struct fw_port *p,
				  struct fw_tables *const fresh[])
{
	struct fw_bind *b;
	uint32_t k;

	if (p->conf.n_groups == 0)
		return NULL;
	b = rte_zmalloc_socket("evs_fw", sizeof(*b), 0, fw->cfg.socket_id);
	if (b == NULL)
		return NULL;
	b->n = p->conf.n_groups;
	for (k = 0; k < b->n; k++) {
		uint16_t g = p->groups[k];

		b->t[k] = fw->groups[g].dirty ? fresh[g] : fw->groups[g].tables;
	}
	return b;
}

static bool port_uses_dirty(const struct evs_fw *fw, const struct fw_port *p)
{
	uint32_t k;

	for (k = 0; k < p->conf.n_groups; k++)
		if (fw->groups[p->groups[k]].dirty)
			return true;
	return p->dirty;
}

int evs_fw_prepare(struct evs_fw *fw)
{
	uint32_t i;
	int err;

	drop_pending(fw);
	err = rtags_assign(fw);
	if (err != 0)
		return err;
	for (i = 0; i < fw->cfg.max_groups; i++) {
		if (!fw->groups[i].dirty || !fw->groups[i].used)
			continue;
		fw->pend_tables[i] = fw_tables_build(fw, i);
		if (fw->pend_tables[i] == NULL) {
			err = -errno;

			drop_pending(fw);
			return err;
		}
	}
	for (i = 0; i < fw->cfg.max_ports; i++) {
		if (!port_uses_dirty(fw, &fw->ports[i]))
			continue;
		fw->pend_binds[i] = bind_build(fw, &fw->ports[i], fw->pend_tables);
		if (fw->pend_binds[i] == NULL && fw->ports[i].conf.n_groups != 0) {
			drop_pending(fw);
			return -ENOMEM;
		}
	}
	if (fw->vnics_dirty) {
		fw->pend_vnics = fw_vnics_build(fw);
		if (fw->pend_vnics == NULL) {
			drop_pending(fw);
			return -ENOMEM;
		}
	}
	fw->pending = 1;
	return 0;
}

void evs_fw_abort(struct evs_fw *fw)
{
	drop_pending(fw);
}

void evs_fw_publish(struct evs_fw *fw)
{
	int64_t filtered = 0;
	uint32_t i;

	if (!fw->pending)
		return;
	for (i = 0; i < fw->cfg.max_ports; i++) {
		struct fw_port *p = &fw->ports[i];

		if (!port_uses_dirty(fw, p))
			continue;
		retire_bind(fw, p->bind);
		filtered += (fw->pend_binds[i] != NULL) - (p->bind != NULL);
		p->bind = fw->pend_binds[i];
		fw->pend_binds[i] = NULL;
		p->dirty = 0;
		/* Release: the binding and its tables are complete before readers see them. */
		__atomic_store_n(&fw->binds[i], p->bind, __ATOMIC_RELEASE);
	}
	for (i = 0; i < fw->cfg.max_groups; i++) {
		struct fw_group *g = &fw->groups[i];

		if (!g->dirty)
			continue;
		retire_tables(fw, g->tables);
		g->tables = fw->pend_tables[i];
		fw->pend_tables[i] = NULL;
		g->dirty = 0;
	}
	/* Relaxed: a hint for translation, which depends on the ports anyway
	 * (the module's dependency is bumped after this publish). */
	atomic_fetch_add_explicit(&fw->n_filtered, (uint32_t)filtered, memory_order_relaxed);
	if (fw->pend_vnics != NULL) {
		/* the old map is retired like a binding (rte_free after the grace) */
		retire_bind(fw, fw->vnics);
		/* Release: the sorted array is complete before readers see it. */
		__atomic_store_n(&fw->vnics, fw->pend_vnics, __ATOMIC_RELEASE);
		fw->pend_vnics = NULL;
		fw->vnics_dirty = 0;
	}
	fw->pending = 0;
	if (fw->cfg.qsbr != NULL)
		rte_rcu_qsbr_synchronize(fw->cfg.qsbr, RTE_QSBR_THRID_INVALID);
	free_retired(fw);
	rtags_release(fw);
}

int evs_fw_commit(struct evs_fw *fw)
{
	int err = evs_fw_prepare(fw);

	if (err == 0)
		evs_fw_publish(fw);
	return err;
}

int evs_fw_rule_hits(const struct evs_fw *fw, uint32_t id, uint64_t *hits)
{
	int k = find_rule(fw, id);
	uint32_t l;

	if (k < 0)
		return k;
	*hits = 0;
	for (l = 0; l < fw->cfg.n_lcores; l++)
		*hits += __atomic_load_n(&fw->lcores[l].hits[k], __ATOMIC_RELAXED);
	return 0;
}

void evs_fw_stats(const struct evs_fw *fw, uint64_t out[EVS_FW_C_MAX])
{
	uint32_t l, c;

	memset(out, 0, sizeof(uint64_t) * EVS_FW_C_MAX);
	for (l = 0; l < fw->cfg.n_lcores; l++)
		for (c = 0; c < EVS_FW_C_MAX; c++)
			out[c] += __atomic_load_n(&fw->lcores[l].counters[c], __ATOMIC_RELAXED);
}
