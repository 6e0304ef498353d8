/* SPDX-License-Identifier: BSD-3-Clause */
/* Access control: each client's socket credentials (SO_PEERCRED and its
 * supplementary groups) map to a role through the "access" config section;
 * a method's read_only flag says which role it needs. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_log.h>

#include "ctl_private.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

enum { CTL_ACCESS_MAX_RULES = 256, CTL_ACCESS_MAX_IDS = 4096, CTL_MAX_PEER_GROUPS = 1024 };

static const char *const role_names[] = {"none", "read-only", "admin", NULL};

static const struct evs_ctl_param id_item = {.type = EVS_CTL_T_UINT, .max = UINT32_MAX - 1};
static const struct evs_ctl_param rule_fields[] = {
    {.name = "role",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .choices = role_names,
     .help = "none, read-only or admin"},
    {.name = "uids",
     .type = EVS_CTL_T_ARRAY,
     .max_len = CTL_ACCESS_MAX_IDS,
     .items = &id_item,
     .help = "users (numeric uids) given this role"},
    {.name = "gids",
     .type = EVS_CTL_T_ARRAY,
     .max_len = CTL_ACCESS_MAX_IDS,
     .items = &id_item,
     .help = "groups (numeric gids, primary or supplementary) given this role"},
};
static const struct evs_ctl_param rule_item = {
    .type = EVS_CTL_T_OBJECT, .fields = rule_fields, .n_fields = 3};
static const struct evs_ctl_param access_fields[] = {
    {.name = "default",
     .type = EVS_CTL_T_STRING,
     .choices = role_names,
     .help = "role of a client no rule names (default read-only)"},
    {.name = "roles",
     .type = EVS_CTL_T_ARRAY,
     .max_len = CTL_ACCESS_MAX_RULES,
     .items = &rule_item,
     .help = "[{role, uids, gids}]: the highest matching role wins"},
};
const struct evs_ctl_param evs_ctl_access_spec = {
    .name = "access",
    .type = EVS_CTL_T_OBJECT,
    .fields = access_fields,
    .n_fields = 2,
    .help = "who may call what: roles by uid/gid (root is always admin)",
};

const char *evs_ctl_role_name(enum evs_ctl_role r)
{
	return (unsigned)r < EVS_CTL_ROLE_MAX ? role_names[r] : "?";
}

static enum evs_ctl_role role_parse(const char *s)
{
	int i;

	for (i = 0; role_names[i] != NULL; i++)
		if (s != NULL && strcmp(s, role_names[i]) == 0)
			return (enum evs_ctl_role)i;
	return EVS_CTL_ROLE_NONE;
}

int evs_ctl_access_check(const json_t *section, const char *path, struct evs_ctl_err *err)
{
	if (section == NULL || json_is_null(section))
		return 0;
	return evs_ctl_validate(section, path, access_fields, 2, err);
}

static bool ids_have(const json_t *ids, uint32_t id)
{
	size_t i;
	json_t *v;

	json_array_foreach (ids, i, v) {
		if ((uint64_t)json_integer_value(v) == id)
			return true;
	}
	return false;
}

static enum evs_ctl_role role_of(const struct evs_ctl *ctl, const struct ctl_client *cl)
{
	const json_t *roles = json_object_get(ctl->access, "roles");
	enum evs_ctl_role best = EVS_CTL_ROLE_NONE;
	bool matched = false;
	const json_t *rule;
	size_t i, k;

	/* The daemon's own user, like root, can always repair the policy. */
	if (cl->uid == 0 || cl->uid == geteuid() || ctl->access == NULL)
		return EVS_CTL_ROLE_ADMIN;
	json_array_foreach (roles, i, rule) {
		const json_t *gids = json_object_get(rule, "gids");
		bool m =
		    ids_have(json_object_get(rule, "uids"), cl->uid) || ids_have(gids, cl->gid);
		enum evs_ctl_role r = role_parse(json_string_value(json_object_get(rule, "role")));

		for (k = 0; !m && k < cl->n_groups; k++)
			m = ids_have(gids, cl->groups[k]);
		if (m) {
			matched = true;
			if (r > best)
				best = r;
		}
	}
	if (matched)
		return best;
	return json_object_get(ctl->access, "default") != NULL
		   ? role_parse(json_string_value(json_object_get(ctl->access, "default")))
		   : EVS_CTL_ROLE_READ_ONLY;
}

int evs_ctl_set_access(struct evs_ctl *ctl, const json_t *section)
{
	struct evs_ctl_err err;
	json_t *copy = NULL;
	unsigned i;

	if (ctl == NULL)
		return -EINVAL;
	if (section != NULL && !json_is_null(section)) {
		if (evs_ctl_access_check(section, "", &err) < 0)
			return -EINVAL;
		copy = json_deep_copy(section);
		if (copy == NULL)
			return -ENOMEM;
	}
	json_decref(ctl->access);
	ctl->access = copy;
	/* Connected clients get the new policy at once. */
	for (i = 0; i < ctl->n_clients; i++)
		ctl->clients[i]->role = role_of(ctl, ctl->clients[i]);
	return 0;
}

void ctl_client_identify(struct evs_ctl *ctl, struct ctl_client *cl)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	gid_t groups[CTL_MAX_PEER_GROUPS];

	cl->uid = (uint32_t)-1;
	cl->gid = (uint32_t)-1;
	cl->pid = -1;
	if (getsockopt(cl->fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0) {
		cl->uid = uc.uid;
		cl->gid = uc.gid;
		cl->pid = uc.pid;
	}
	len = sizeof(groups);
	if (getsockopt(cl->fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == 0 && len > 0) {
		cl->groups = malloc(len);
		if (cl->groups != NULL) {
			memcpy(cl->groups, groups, len);
			cl->n_groups = len / sizeof(gid_t);
		}
	}
	/* No credentials: treated as an unknown user (uid -1), never as root. */
	cl->role = role_of(ctl, cl);
}

/* Refuse a call the client's role does not allow; logged and counted. */
bool ctl_access_allows(struct evs_ctl *ctl, struct ctl_client *cl, const struct evs_ctl_method *m)
{
	enum evs_ctl_role need = m->read_only ? EVS_CTL_ROLE_READ_ONLY : EVS_CTL_ROLE_ADMIN;

	if (cl->role >= need)
		return true;
	ctl->stats.calls_refused++;
	CTL_LOG(WARNING, "refused: uid %u pid %d (role %s) called %s (needs %s)\n",
		(unsigned)cl->uid, (int)cl->pid, evs_ctl_role_name(cl->role), m->name,
		evs_ctl_role_name(need));
	return false;
}

enum evs_ctl_role evs_ctl_call_role(const struct evs_ctl_call *call)
{
	if (call->client == NULL) /* a resumed call whose client left */
		return EVS_CTL_ROLE_NONE;
	return call->client->role;
}

int evs_ctl_call_peer(const struct evs_ctl_call *call, uid_t *uid, gid_t *gid, pid_t *pid)
{
	if (call == NULL)
		return -EINVAL;
	if (call->client == NULL) { /* a resumed call whose client left */
		if (uid != NULL)
			*uid = (uid_t)-1;
		if (gid != NULL)
			*gid = (gid_t)-1;
		if (pid != NULL)
			*pid = -1;
		return -ENODATA;
	}
	if (uid != NULL)
		*uid = call->client->uid;
	if (gid != NULL)
		*gid = call->client->gid;
	if (pid != NULL)
		*pid = call->client->pid;
	return call->client->pid >= 0 ? 0 : -ENODATA;
}
