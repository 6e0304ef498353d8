/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_APP_CONF_H
#define EVS_APP_CONF_H

/*
 * The desired-state document: parsed, validated model of the JSON config.
 * Every change (config.apply, port.add, mac.del, ...) produces a whole new
 * document that goes through conf_parse() before anything is touched, so a
 * bad request never changes state. Management lcore only.
 */

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include <rte_ether.h>

#include "evs_port.h"

#define CONF_NAME_MAX 32
#define CONF_PATH_MAX 108 /* sun_path */
#define CONF_DEVARGS_MAX 256
/* lib/port owns the limit (1024; ethdevs among them at most RTE_MAX_ETHPORTS) */
#define CONF_MAX_PORTS EVS_PORT_MAX
#define CONF_MAX_SWITCHES 256
#define CONF_MAX_QUEUES 16

enum conf_port_type {
	CONF_PORT_ETHDEV,
	CONF_PORT_VHOST,
};

struct conf_vlan {
	uint16_t vlan;
	char sw[CONF_NAME_MAX];
};

struct conf_port {
	char name[CONF_NAME_MAX];
	enum conf_port_type type;
	char devargs[CONF_DEVARGS_MAX]; /* ethdev */
	char path[CONF_PATH_MAX];       /* vhost-user socket */
	bool client;                    /* vhost-user: we connect to the peer's socket */
	uint16_t queues;
	uint16_t mtu;
	char sw[CONF_NAME_MAX]; /* native (untagged) switch, "" if none */
	struct conf_vlan *vlans;
	unsigned int n_vlans;
};

struct conf_mac {
	struct rte_ether_addr mac;
	char port[CONF_NAME_MAX];
};

struct conf_switch {
	char name[CONF_NAME_MAX];
	uint32_t mac_aging_s;
	uint32_t max_macs;
	struct conf_mac *macs; /* static entries */
	unsigned int n_macs;
};

struct conf {
	struct conf_port *ports;
	unsigned int n_ports;
	struct conf_switch *switches;
	unsigned int n_switches;
};

/* A validation error: JSON-RPC code, message and RFC 6901 path. */
struct conf_err {
	int code;
	char path[256];
	char msg[256];
};

/*
 * Parse and validate a whole document. @base is the JSON pointer of the
 * document in the request (e.g. "/params/config") so errors point at the
 * offending field. Returns NULL and fills @err on failure.
 */
struct conf *conf_parse(const json_t *doc, const char *base, struct conf_err *err);
void conf_free(struct conf *c);

/* Lookups by name; NULL if absent. */
const struct conf_port *conf_port_find(const struct conf *c, const char *name);
const struct conf_switch *conf_switch_find(const struct conf *c, const char *name);

/* True if a port's device must be re-created to go from @a to @b. */
bool conf_port_needs_recreate(const struct conf_port *a, const struct conf_port *b);

/* Index of @name in doc[key] (array of objects with "name"), or -1. */
int conf_doc_find(const json_t *doc, const char *key, const char *name);

/* The document of an empty switch. */
json_t *conf_doc_empty(void);

#endif
