/* SPDX-License-Identifier: BSD-3-Clause */
/* Port lifecycle: backend registry, port table, create/free, errors. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "port_private.h"

RTE_LOG_REGISTER_DEFAULT(evs_port_logtype, INFO);

/* Management lcore only: no locking (see evs_port.h). */
static const struct evs_port_ops *port_ops[EVS_PORT_TYPE_MAX];
static struct port_impl *ports[EVS_PORT_MAX];

/* Per thread so that a failure on one thread never garbles another's. */
static __thread char port_errmsg[256];

void evs_port_errorf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(port_errmsg, sizeof(port_errmsg), fmt, ap);
	va_end(ap);
	PORT_LOG(ERR, "%s", port_errmsg);
}

const char *evs_port_last_error(void)
{
	return port_errmsg;
}

int evs_port_driver_register(const struct evs_port_ops *ops)
{
	if (ops == NULL || ops->type >= EVS_PORT_TYPE_MAX || ops->create == NULL ||
	    ops->free == NULL || ops->link_get == NULL)
		return -EINVAL;
	port_ops[ops->type] = ops;
	return 0;
}

struct port_impl *port_slot(uint16_t id)
{
	return id < EVS_PORT_MAX ? ports[id] : NULL;
}

struct evs_port *evs_port_lookup(const char *name)
{
	unsigned int i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < EVS_PORT_MAX; i++)
		if (ports[i] != NULL && strcmp(ports[i]->pub.name, name) == 0)
			return &ports[i]->pub;
	return NULL;
}

struct evs_port *evs_port_get(uint16_t id)
{
	struct port_impl *pi = port_slot(id);

	return pi != NULL ? &pi->pub : NULL;
}

const char *evs_port_type_name(enum evs_port_type type)
{
	switch (type) {
	case EVS_PORT_ETHDEV:
		return "ethdev";
	case EVS_PORT_VHOST:
		return "vhost";
	case EVS_PORT_TYPE_MAX:
		break;
	}
	return "unknown";
}

static int port_check_config(const struct evs_port_config *cfg)
{
	size_t len;

	if (cfg == NULL) {
		evs_port_errorf("no port configuration given");
		return -EINVAL;
	}
	if (cfg->name == NULL || cfg->name[0] == '\0') {
		evs_port_errorf("port name missing");
		return -EINVAL;
	}
	len = strnlen(cfg->name, EVS_PORT_NAME_MAX);
	if (len == EVS_PORT_NAME_MAX) {
		evs_port_errorf("port name '%.*s...' longer than %d characters", 16, cfg->name,
				EVS_PORT_NAME_MAX - 1);
		return -ENAMETOOLONG;
	}
	if (evs_port_lookup(cfg->name) != NULL) {
		evs_port_errorf("port '%s' already exists", cfg->name);
		return -EEXIST;
	}
	if (cfg->type >= EVS_PORT_TYPE_MAX) {
		evs_port_errorf("port '%s': unknown port type %d", cfg->name, (int)cfg->type);
		return -EINVAL;
	}
	if (port_ops[cfg->type] == NULL) {
		evs_port_errorf("port '%s': no %s backend registered (evs_net_drivers_register())",
				cfg->name, evs_port_type_name(cfg->type));
		return -ENOTSUP;
	}
	if (cfg->mp == NULL) {
		evs_port_errorf("port '%s': no mempool for received packets", cfg->name);
		return -EINVAL;
	}
	if (cfg->nb_rxq > EVS_PORT_MAX_QUEUES || cfg->nb_txq > EVS_PORT_MAX_QUEUES) {
		evs_port_errorf("port '%s': %u rx / %u tx queues asked, at most %d each", cfg->name,
				cfg->nb_rxq, cfg->nb_txq, EVS_PORT_MAX_QUEUES);
		return -EINVAL;
	}
	if (cfg->nb_tx_users > EVS_PORT_MAX_TX_USERS) {
		evs_port_errorf("port '%s': %u tx users, at most %d", cfg->name, cfg->nb_tx_users,
				EVS_PORT_MAX_TX_USERS);
		return -EINVAL;
	}
	if (cfg->mtu != 0 && cfg->mtu < RTE_ETHER_MIN_MTU) {
		evs_port_errorf("port '%s': MTU %u below %u", cfg->name, cfg->mtu,
				RTE_ETHER_MIN_MTU);
		return -EINVAL;
	}
	return 0;
}

static int port_free_slot(void)
{
	int i;

	for (i = 0; i < EVS_PORT_MAX; i++)
		if (ports[i] == NULL)
			return i;
	return -1;
}

/* Shared flags: index u uses queue u % nb_txq, so queue q is shared when a
 * second index (q + nb_txq) exists. */
static void port_mark_shared(struct evs_port *p)
{
	uint16_t q;

	for (q = 0; q < p->nb_txq; q++) {
		rte_spinlock_init(&p->txq[q].lock);
		p->txq[q].shared = (uint32_t)q + p->nb_txq < p->nb_tx_users;
	}
}

struct evs_port *evs_port_create(const struct evs_port_config *cfg)
{
	struct port_impl *pi;
	struct evs_port *p;
	uint16_t req_rxq, req_txq;
	int slot, rc;

	port_errmsg[0] = '\0';
	rc = port_check_config(cfg);
	if (rc < 0)
		goto fail;
	slot = port_free_slot();
	if (slot < 0) {
		evs_port_errorf("port '%s': %d ports exist already", cfg->name, EVS_PORT_MAX);
		rc = -ENOSPC;
		goto fail;
	}
	req_rxq = cfg->nb_rxq != 0 ? cfg->nb_rxq : 1;
	req_txq = cfg->nb_txq != 0 ? cfg->nb_txq : 1;

	rc = -ENOMEM;
	pi = rte_zmalloc_socket("evs_port", sizeof(*pi), RTE_CACHE_LINE_SIZE, cfg->socket_id);
	if (pi == NULL) {
		evs_port_errorf("port '%s': out of memory", cfg->name);
		goto fail;
	}
	p = &pi->pub;
	snprintf(p->name, sizeof(p->name), "%s", cfg->name);
	p->id = (uint16_t)slot;
	p->nb_rxq = req_rxq;
	p->nb_txq = req_txq;
	p->nb_tx_users = cfg->nb_tx_users != 0 ? cfg->nb_tx_users : req_txq;
	pi->type = cfg->type;
	pi->ops = port_ops[cfg->type];
	pi->mtu = cfg->mtu != 0 ? cfg->mtu : RTE_ETHER_MTU;
	pi->mp = cfg->mp;
	p->rxq = rte_zmalloc_socket("evs_port_rxq", sizeof(*p->rxq) * req_rxq, RTE_CACHE_LINE_SIZE,
				    cfg->socket_id);
	p->txq = rte_zmalloc_socket("evs_port_txq", sizeof(*p->txq) * req_txq, RTE_CACHE_LINE_SIZE,
				    cfg->socket_id);
	pi->rx_base = calloc(req_rxq, sizeof(*pi->rx_base));
	pi->tx_base = calloc(req_txq, sizeof(*pi->tx_base));
	if (p->rxq == NULL || p->txq == NULL || pi->rx_base == NULL || pi->tx_base == NULL) {
		evs_port_errorf("port '%s': out of memory for queues", cfg->name);
		goto free_mem;
	}

	rc = pi->ops->create(p, cfg);
	if (rc < 0) {
		if (port_errmsg[0] == '\0')
			evs_port_errorf("port '%s': %s backend failed: %s", cfg->name,
					pi->ops->name, strerror(-rc));
		goto free_mem;
	}
	RTE_VERIFY(p->nb_rxq >= 1 && p->nb_rxq <= req_rxq);
	RTE_VERIFY(p->nb_txq >= 1 && p->nb_txq <= req_txq);
	port_mark_shared(p);
	port_link_init(pi);
	ports[slot] = pi;
	PORT_LOG(INFO, "port '%s' (%s) created: id %u, %u rxq, %u txq, %u tx users", p->name,
		 pi->ops->name, p->id, p->nb_rxq, p->nb_txq, p->nb_tx_users);
	return p;

free_mem:
	free(pi->tx_base);
	free(pi->rx_base);
	rte_free(p->txq);
	rte_free(p->rxq);
	rte_free(pi);
fail:
	rte_errno = -rc;
	return NULL;
}

void evs_port_free(struct evs_port *port)
{
	struct port_impl *pi;

	if (port == NULL)
		return;
	pi = port_impl(port);
	RTE_VERIFY(ports[port->id] == pi);
	ports[port->id] = NULL;
	pi->ops->free(port);
	PORT_LOG(INFO, "port '%s' freed", port->name);
	free(pi->tx_base);
	free(pi->rx_base);
	rte_free(port->txq);
	rte_free(port->rxq);
	rte_free(pi);
}

int evs_port_vhost_get(const struct evs_port *port, struct evs_port_vhost_info *vi)
{
	struct port_impl *pi;

	if (port == NULL || vi == NULL)
		return -EINVAL;
	pi = port_impl(port);
	if (pi->type != EVS_PORT_VHOST || pi->ops->vhost_info == NULL)
		return -ENOTSUP;
	memset(vi, 0, sizeof(*vi));
	return pi->ops->vhost_info(&pi->pub, vi);
}

int evs_port_info_get(const struct evs_port *port, struct evs_port_info *info)
{
	struct port_impl *pi;
	uint16_t q;

	if (port == NULL || info == NULL)
		return -EINVAL;
	pi = port_impl(port);
	memset(info, 0, sizeof(*info));
	info->name = port->name;
	info->type = pi->type;
	info->id = port->id;
	info->nb_rxq = port->nb_rxq;
	info->nb_txq = port->nb_txq;
	info->nb_tx_users = port->nb_tx_users;
	for (q = 0; q < port->nb_txq; q++)
		info->nb_shared_txq += port->txq[q].shared;
	info->mtu = pi->mtu;
	info->ethdev_port_id = UINT16_MAX;
	if (pi->ops->info != NULL)
		pi->ops->info(&pi->pub, info);
	return 0;
}
