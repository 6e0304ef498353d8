/* SPDX-License-Identifier: BSD-3-Clause */
/* The overlay's object types and their cross-field rules (see evs_overlay.h). */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_common.h>

#include "overlay_private.h"

static const struct evs_ctl_param underlay_fields[] = {
    {.name = "name",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = OVL_NAME_LEN - 1,
     .help = "underlay name: [A-Za-z0-9_.-]"},
    {.name = "port",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = 31,
     .help = "the port the tunnels leave and arrive by"},
    {.name = "address", .type = EVS_CTL_T_IP, .required = true, .help = "this host's VTEP address"},
    {.name = "mac",
     .type = EVS_CTL_T_MAC,
     .help = "source MAC of tunnel frames (default: the port's)"},
    {.name = "next_hop",
     .type = EVS_CTL_T_IP,
     .help = "the underlay's gateway, resolved with ARP/ND (default: each VTEP is on the "
	     "underlay's segment and resolved itself)"},
    {.name = "next_hop_mac",
     .type = EVS_CTL_T_MAC,
     .help = "the next hop's MAC, configured (default: resolved with ARP/ND)"},
    {.name = "mtu", .type = EVS_CTL_T_UINT, .min = 576, .max = 9216, .help = "underlay IP MTU"},
    {.name = "vlan",
     .type = EVS_CTL_T_UINT,
     .min = 1,
     .max = 4094,
     .help = "802.1Q VID of a tagged underlay: tunnel frames, ARP/ND and announcements carry "
	     "it (default: untagged)"},
    {.name = "udp_zero_csum6_rx",
     .type = EVS_CTL_T_BOOL,
     .help = "IPv6: accept tunnel frames with a zero UDP checksum (RFC 6935/6936; default: "
	     "dropped as zero_csum6); every IPv6 underlay alike (one decap per host)"},
};
static const char *const name_key[] = {"name", NULL};
static const struct evs_store_ref underlay_refs[] = {
    {.field = "port", .type = "port", .on_delete = EVS_STORE_RESTRICT},
};

static const char *const encaps[] = {"geneve", "vxlan", NULL};
static const struct evs_ctl_param vtep_fields[] = {
    {.name = "name",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = OVL_NAME_LEN - 1,
     .help = "remote host name: [A-Za-z0-9_.-]"},
    {.name = "underlay",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = OVL_NAME_LEN - 1,
     .help = "the underlay it is reached over"},
    {.name = "address", .type = EVS_CTL_T_IP, .required = true, .help = "its VTEP address"},
    {.name = "next_hop_mac",
     .type = EVS_CTL_T_MAC,
     .help = "its MAC when on the underlay's segment (default: the underlay's next hop)"},
    {.name = "encap", .type = EVS_CTL_T_STRING, .choices = encaps, .help = "geneve or vxlan"},
    {.name = "dst_port",
     .type = EVS_CTL_T_UINT,
     .min = 1,
     .max = 65535,
     .help = "UDP port (default: 6081 geneve, 4789 vxlan)"},
    {.name = "encrypt",
     .type = EVS_CTL_T_BOOL,
     .help = "ESP both ways: clear tunnel traffic from it is dropped"},
    {.name = "udp_zero_csum6_tx",
     .type = EVS_CTL_T_BOOL,
     .help = "IPv6: send it tunnel frames and ESP in UDP with a zero UDP checksum (RFC 6935; "
	     "it must accept them, Linux: udp6zerocsumrx, UDP_NO_CHECK6_RX on its ESP-in-UDP "
	     "socket; default: computed)"},
};
static const struct evs_store_ref vtep_refs[] = {
    {.field = "underlay", .type = "underlay", .on_delete = EVS_STORE_RESTRICT},
};

static const struct evs_ctl_param mac_item = {.type = EVS_CTL_T_MAC};
static const struct evs_ctl_param member_fields[] = {
    OVL_VTEP_PARAM,
    {.name = "macs",
     .type = EVS_CTL_T_ARRAY,
     .max_len = OVL_MAX_MEMBER_MACS,
     .items = &mac_item,
     .help = "static MACs behind that host on this switch (never learned, never moved): "
	     "unicast to them goes to its tunnel without waiting for return traffic"},
};
static const struct evs_ctl_param member_item = {
    .type = EVS_CTL_T_OBJECT, .fields = member_fields, .n_fields = RTE_DIM(member_fields)};
static const struct evs_ctl_param pname_item = {
    .type = EVS_CTL_T_STRING, .min_len = 1, .max_len = 63};
static const struct evs_ctl_param tag_item = {/* as fw.port's tags */
					      .type = EVS_CTL_T_STRING,
					      .min_len = 1,
					      .max_len = 31};
static const struct evs_ctl_param tunnel_fields[] = {
    {.name = "switch",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 1,
     .max_len = 31,
     .help = "the logical switch spanning hosts"},
    {.name = "vni",
     .type = EVS_CTL_T_UINT,
     .required = true,
     .min = 1,
     .max = 0xffffff,
     .help = "virtual network id (24 bits)"},
    {.name = "encrypt",
     .type = EVS_CTL_T_BOOL,
     .help = "encrypt this switch's traffic to every host"},
    {.name = "encrypt_ports",
     .type = EVS_CTL_T_ARRAY,
     .max_len = 256,
     .items = &pname_item,
     .help = "ports whose traffic to other hosts is encrypted (clear traffic to them dropped)"},
    {.name = "encrypt_tags",
     .type = EVS_CTL_T_ARRAY,
     .max_len = 32,
     .items = &tag_item,
     .help = "the same for every port whose fw.port carries one of these tags"},
    {.name = "vteps",
     .type = EVS_CTL_T_ARRAY,
     .max_len = EVS_OVERLAY_MAX_VTEPS,
     .items = &member_item,
     .help = "the hosts it spans (empty: every VTEP)"},
    {.name = "options",
     .type = EVS_CTL_T_ARRAY,
     .max_len = 63,
     .items = &ovl_option_item,
     .help = "GENEVE option TLVs sent with every frame (VXLAN members: none), 252 bytes in all"},
    {.name = "option_classes",
     .type = EVS_CTL_T_ARRAY,
     .max_len = EVS_TUN_CLASS_BITS,
     .items = &ovl_class_item,
     .help = "option classes whose presence the key reports (tun_opt_flags bit per class, "
	     "host-wide, at most 16)"},
    {.name = "critical_options",
     .type = EVS_CTL_T_ARRAY,
     .max_len = 8,
     .items = &ovl_critical_item,
     .help = "critical options this host understands (others: the frame is dropped)"},
    {.name = "source_tags",
     .type = EVS_CTL_T_BOOL,
     .help = "carry each frame's source port fw tags (GENEVE option class 0xfff0 type 1) "
	     "for the far host's remote_tag rules"},
};
static const char *const switch_key[] = {"switch", NULL};
static const struct evs_store_ref tunnel_refs[] = {
    {.field = "switch", .type = "switch", .on_delete = EVS_STORE_CASCADE},
    {.field = "vteps[].vtep", .type = "vtep", .on_delete = EVS_STORE_RESTRICT},
};

static const char *const dirs[] = {"in", "out", NULL};
static const char *const sa_modes[] = {"transport", "tunnel", NULL};
/* spi, key and salt stay together at OVL_SA_F_SPI: sa.rekey takes them. */
const struct evs_ctl_param ovl_sa_fields[] = {
    OVL_VTEP_PARAM,
    {.name = "dir",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .choices = dirs,
     .help = "in (from it) or out (to it)"},
    {.name = "spi",
     .type = EVS_CTL_T_UINT,
     .required = true,
     .min = 256,
     .max = UINT32_MAX,
     .help = "security parameter index"},
    {.name = "key",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 32,
     .max_len = 64,
     .secret = true,
     .help = "AES-GCM key, 32 (128-bit) or 64 (256-bit) hex digits; never shown"},
    {.name = "salt",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 8,
     .max_len = 8,
     .help = "RFC 4106 salt, 8 hex digits"},
    {.name = "window",
     .type = EVS_CTL_T_UINT,
     .min = 64,
     .max = EVS_REPLAY_WINDOW_MAX,
     .help = "anti-replay window (in)"},
    {.name = "esn", .type = EVS_CTL_T_BOOL, .help = "64-bit extended sequence numbers"},
    {.name = "udp_encap", .type = EVS_CTL_T_BOOL, .help = "ESP in UDP (RFC 3948, NAT traversal)"},
    {.name = "mode",
     .type = EVS_CTL_T_STRING,
     .choices = sa_modes,
     .help = "transport (ESP around the tunnel's UDP) or tunnel (a new outer IP header); "
	     "both SAs of a VTEP alike"},
    {.name = "udp_sport",
     .type = EVS_CTL_T_UINT,
     .min = 1,
     .max = 65535,
     .help = "ESP-in-UDP source port (out)"},
    {.name = "udp_dport",
     .type = EVS_CTL_T_UINT,
     .min = 1,
     .max = 65535,
     .help = "ESP-in-UDP destination port: out, the peer's (follows the port its packets "
	     "come from: NAT); in, the one received on"},
    {.name = "keepalive",
     .type = EVS_CTL_T_UINT,
     .min = 1,
     .max = 3600,
     .help = "out, ESP-in-UDP: a NAT-keepalive (one 0xFF byte, RFC 3948 2.3) to the peer "
	     "every this many seconds, for a NAT in front of this host (default: none; IKE "
	     "daemons use 20)"},
};
static const char *const sa_key[] = {"vtep", "dir", NULL};
static const struct evs_store_ref sa_refs[] = {
    {.field = "vtep", .type = "vtep", .on_delete = EVS_STORE_CASCADE},
};

static const char *str(const json_t *o, const char *f)
{
	return json_string_value(json_object_get(o, f));
}

int ovl_hex(const char *s, uint8_t *out, size_t n)
{
	if (s == NULL || strlen(s) != 2 * n)
		return -EINVAL;
	for (size_t i = 0; i < 2 * n; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;

		if (v < 0)
			return -EINVAL;
		out[i / 2] = (uint8_t)(i % 2 == 0 ? v << 4 : (out[i / 2] | v));
	}
	return 0;
}

int ovl_addr(const char *s, struct evs_tun_addr *a)
{
	int af;

	memset(a, 0, sizeof(*a));
	if (s == NULL || evs_ctl_parse_ip(s, &af, a->b, NULL) < 0)
		return -EINVAL;
	a->family = af == AF_INET ? 4 : 6;
	return 0;
}

int ovl_underlay_check(struct evs_store *st, const json_t *obj, const char *path,
		       struct evs_ctl_err *err, void *ctx)
{
	bool zero6 = json_is_true(json_object_get(obj, "udp_zero_csum6_rx"));
	struct evs_tun_addr a;
	char sub[EVS_CTL_PATH_MAX];

	RTE_SET_USED(ctx);
	if (evs_store_check_name(obj, "name", path, err) < 0)
		return -EINVAL;
	{
		uint8_t mac[6];

		if (evs_ctl_parse_mac(str(obj, "next_hop_mac"), mac) == 0 && (mac[0] & 1) != 0)
			return evs_store_err(
			    err, -EINVAL, evs_ctl_path_key(sub, sizeof(sub), path, "next_hop_mac"),
			    "the next hop's MAC must be unicast");
	}
	ovl_addr(str(obj, "address"), &a);
	if (zero6 && a.family != 6)
		return evs_store_err(
		    err, -EINVAL, evs_ctl_path_key(sub, sizeof(sub), path, "udp_zero_csum6_rx"),
		    "IPv6 underlays only (over IPv4 a zero UDP checksum is always taken)");
	for (struct evs_store_obj *o = evs_store_first(st, "underlay"); o != NULL;
	     o = evs_store_next(o)) {
		const json_t *v = evs_store_obj_value(o);
		struct evs_tun_addr b;

		ovl_addr(str(v, "address"), &b);
		if (strcmp(str(v, "name"), str(obj, "name")) == 0 || a.family != b.family)
			continue;
		/* ARP/ND tell underlays apart by port, VLAN and family */
		if (strcmp(str(v, "port"), str(obj, "port")) == 0 &&
		    json_integer_value(json_object_get(v, "vlan")) ==
			json_integer_value(json_object_get(obj, "vlan")))
			return evs_store_err(
			    err, -EEXIST, evs_ctl_path_key(sub, sizeof(sub), path, "vlan"),
			    "underlay '%s' has an IPv%u address on port '%s' in this "
			    "VLAN already (one per port, VLAN and family)",
			    str(v, "name"), a.family, str(obj, "port"));
		/* the host has one decap: its IPv6 underlays take zero checksums alike */
		if (a.family == 6 && json_is_true(json_object_get(v, "udp_zero_csum6_rx")) != zero6)
			return evs_store_err(
			    err, -EINVAL,
			    evs_ctl_path_key(sub, sizeof(sub), path, "udp_zero_csum6_rx"),
			    "IPv6 underlay '%s' has it %s: the host's decap is one for all",
			    str(v, "name"), zero6 ? "off" : "on");
	}
	if (str(obj, "next_hop") != NULL) {
		struct evs_tun_addr local, nh;

		ovl_addr(str(obj, "address"), &local);
		ovl_addr(str(obj, "next_hop"), &nh);
		if (local.family != nh.family || memcmp(&local, &nh, sizeof(nh)) == 0)
			return evs_store_err(err, -EINVAL,
					     evs_ctl_path_key(sub, sizeof(sub), path, "next_hop"),
					     "the next hop must be another address of the "
					     "underlay's family");
	}
	return 0;
}

/* A VTEP's tunnel port: its dst_port, else its encapsulation's. */
static json_int_t vtep_port(struct evs_store *st, const json_t *v)
{
	const json_t *dp = json_object_get(v, "dst_port");

	if (dp != NULL)
		return json_integer_value(dp);
	return strcmp(json_string_value(evs_store_field(st, "vtep", v, "encap")), "vxlan") == 0
		   ? 4789
		   : 6081;
}

/* The UDP port of an inbound ESP-in-UDP SA, or 0 for any other. */
static json_int_t sa_esp_port(struct evs_store *st, const json_t *v)
{
	if (strcmp(str(v, "dir"), "in") != 0 || !json_is_true(json_object_get(v, "udp_encap")))
		return 0;
	return json_integer_value(evs_store_field(st, "sa", v, "udp_dport"));
}

/* The receive path takes UDP to an ESP-in-UDP port for ESP: no tunnel's. */
static int vtep_port_free(struct evs_store *st, const json_t *obj, const char *path,
			  struct evs_ctl_err *err)
{
	json_int_t port = vtep_port(st, obj);
	char sub[EVS_CTL_PATH_MAX];

	for (struct evs_store_obj *o = evs_store_first(st, "sa"); o != NULL; o = evs_store_next(o))
		if (sa_esp_port(st, evs_store_obj_value(o)) == port)
			return evs_store_err(err, -EINVAL,
					     evs_ctl_path_key(sub, sizeof(sub), path, "dst_port"),
					     "%lld receives ESP-in-UDP (VTEP '%s''s inbound SA)",
					     (long long)port, str(evs_store_obj_value(o), "vtep"));
	return 0;
}

int ovl_vtep_check(struct evs_store *st, const json_t *obj, const char *path,
		   struct evs_ctl_err *err, void *ctx)
{
	struct evs_store_obj *u = evs_store_lookup_str(st, "underlay", str(obj, "underlay"));
	struct evs_tun_addr local, remote;
	char sub[EVS_CTL_PATH_MAX];

	RTE_SET_USED(ctx);
	if (evs_store_check_name(obj, "name", path, err) < 0)
		return -EINVAL;
	if (u == NULL) /* the reference check names it */
		return 0;
	ovl_addr(str(evs_store_obj_value(u), "address"), &local);
	ovl_addr(str(obj, "address"), &remote);
	evs_ctl_path_key(sub, sizeof(sub), path, "address");
	if (local.family != remote.family)
		return evs_store_err(err, -EINVAL, sub, "IPv%u VTEP over an IPv%u underlay",
				     remote.family, local.family);
	if (memcmp(&local, &remote, sizeof(local)) == 0)
		return evs_store_err(err, -EINVAL, sub, "the underlay's own address");
	if (remote.family != 6 && json_is_true(json_object_get(obj, "udp_zero_csum6_tx")))
		return evs_store_err(err, -EINVAL,
				     evs_ctl_path_key(sub, sizeof(sub), path, "udp_zero_csum6_tx"),
				     "IPv6 VTEPs only (over IPv4 the checksum is zero already)");
	return vtep_port_free(st, obj, path, err);
}

/* Whether MAC @p a comes before member @p mi's item @p mj. */
static bool mac_seen(const json_t *members, size_t mi, size_t mj, const uint8_t *a)
{
	const json_t *m, *mac;
	size_t i, j;

	json_array_foreach (members, i, m) {
		if (i > mi)
			break;
		json_array_foreach (json_object_get(m, "macs"), j, mac) {
			uint8_t b[6];

			if (i == mi && j >= mj)
				break;
			evs_ctl_parse_mac(json_string_value(mac), b);
			if (memcmp(a, b, 6) == 0)
				return true;
		}
	}
	return false;
}

/* One VNI per switch: a second tunnel with the same VNI would merge two
 * switches; a static remote MAC once per switch. */
int ovl_tunnel_check(struct evs_store *st, const json_t *obj, const char *path,
		     struct evs_ctl_err *err, void *ctx)
{
	json_int_t vni = json_integer_value(json_object_get(obj, "vni"));
	const char *sw = str(obj, "switch");
	char sub[EVS_CTL_PATH_MAX];

	const json_t *m, *mac;
	size_t i, j;

	RTE_SET_USED(ctx);
	int rc = ovl_policy_check(st, obj, path, err);

	if (rc == 0)
		rc = ovl_opts_check(obj, path, err);
	if (rc < 0)
		return rc;
	/* a static MAC lives behind one host: unicast, and once per switch */
	json_array_foreach (json_object_get(obj, "vteps"), i, m)
		json_array_foreach (json_object_get(m, "macs"), j, mac) {
			const char *s = json_string_value(mac);
			uint8_t a[6];

			evs_ctl_parse_mac(s, a); /* the schema checked the format */
			snprintf(sub, sizeof(sub), "%s/vteps/%zu/macs/%zu", path, i, j);
			if ((a[0] & 1) || (a[0] | a[1] | a[2] | a[3] | a[4] | a[5]) == 0)
				return evs_store_err(err, -EINVAL, sub,
						     "a static MAC must be a non-zero unicast "
						     "address");
			if (mac_seen(json_object_get(obj, "vteps"), i, j, a))
				return evs_store_err(err, -EEXIST, sub,
						     "MAC %s is given twice in this switch", s);
		}
	for (struct evs_store_obj *o = evs_store_first(st, "tunnel"); o != NULL;
	     o = evs_store_next(o)) {
		const json_t *v = evs_store_obj_value(o);

		if (json_integer_value(json_object_get(v, "vni")) == vni &&
		    strcmp(str(v, "switch"), sw) != 0)
			return evs_store_err(
			    err, -EEXIST, evs_ctl_path_key(sub, sizeof(sub), path, "vni"),
			    "VNI %lld is switch '%s''s", (long long)vni, str(v, "switch"));
	}
	return 0;
}

/* A field of an SA value, its default applied (the store fills defaults in
 * stored values; a value being checked may still lack them). */
static json_int_t sa_int(struct evs_store *st, const json_t *v, const char *f)
{
	return json_integer_value(evs_store_field(st, "sa", v, f));
}

static const char *sa_str(struct evs_store *st, const json_t *v, const char *f)
{
	return json_string_value(evs_store_field(st, "sa", v, f));
}

/* Both SAs of a VTEP must agree on the mode: the peer (a Linux xfrm pair
 * too) decrypts what it receives in the mode it sends. */
static int sa_check_peer(struct evs_store *st, const json_t *obj, const char *path,
			 struct evs_ctl_err *err)
{
	char sub[EVS_CTL_PATH_MAX];

	for (struct evs_store_obj *o = evs_store_first(st, "sa"); o != NULL;
	     o = evs_store_next(o)) {
		const json_t *v = evs_store_obj_value(o);

		if (v == obj || strcmp(str(v, "vtep"), str(obj, "vtep")) != 0 ||
		    strcmp(str(v, "dir"), str(obj, "dir")) == 0)
			continue;
		if (strcmp(sa_str(st, v, "mode"), sa_str(st, obj, "mode")) != 0)
			return evs_store_err(err, -EINVAL,
					     evs_ctl_path_key(sub, sizeof(sub), path, "mode"),
					     "'%s' but VTEP '%s''s %sbound SA is in %s mode",
					     sa_str(st, obj, "mode"), str(obj, "vtep"),
					     str(v, "dir"), sa_str(st, v, "mode"));
	}
	return 0;
}

/* An inbound ESP-in-UDP SA's port: the receive path looks for ESP on at
 * most EVS_ESP_UDP_PORTS_MAX ports, none of them a tunnel's own. */
static int sa_check_port(struct evs_store *st, const json_t *obj, const char *path,
			 struct evs_ctl_err *err)
{
	json_int_t port = sa_int(st, obj, "udp_dport"), ports[EVS_ESP_UDP_PORTS_MAX];
	unsigned int n = 0, i;
	char sub[EVS_CTL_PATH_MAX];

	if (!json_is_true(json_object_get(obj, "udp_encap")))
		return 0;
	evs_ctl_path_key(sub, sizeof(sub), path, "udp_dport");
	/* the decap listens on an encapsulation's IANA port while no VTEP
	 * names another, so those two are never ESP's (overlay_burst.c's
	 * clear-frame shortcut relies on the sets being apart) */
	if (port == EVS_GENEVE_PORT || port == EVS_VXLAN_PORT)
		return evs_store_err(err, -EINVAL, sub,
				     "%lld is %s's port, which the tunnel decap listens on",
				     (long long)port, port == EVS_GENEVE_PORT ? "GENEVE" : "VXLAN");
	for (struct evs_store_obj *o = evs_store_first(st, "vtep"); o != NULL;
	     o = evs_store_next(o)) {
		const json_t *v = evs_store_obj_value(o);

		if (vtep_port(st, v) == port)
			return evs_store_err(err, -EINVAL, sub,
					     "%lld is VTEP '%s''s tunnel port, not ESP's",
					     (long long)port, str(v, "name"));
	}
	ports[n++] = port;
	for (struct evs_store_obj *o = evs_store_first(st, "sa"); o != NULL;
	     o = evs_store_next(o)) {
		const json_t *v = evs_store_obj_value(o);
		json_int_t p = sa_esp_port(st, v);

		if (v == obj || p == 0)
			continue;
		for (i = 0; i < n && ports[i] != p; i++)
			;
		if (i < n)
			continue;
		if (n == EVS_ESP_UDP_PORTS_MAX)
			return evs_store_err(err, -ENOSPC, sub,
					     "inbound ESP-in-UDP SAs use more than %u ports",
					     EVS_ESP_UDP_PORTS_MAX);
		ports[n++] = p;
	}
	return 0;
}

int ovl_sa_check(struct evs_store *st, const json_t *obj, const char *path, struct evs_ctl_err *err,
		 void *ctx)
{
	uint8_t buf[32];
	const char *key = str(obj, "key");
	size_t klen = key != NULL ? strlen(key) : 0;
	json_int_t spi = json_integer_value(json_object_get(obj, "spi"));
	char sub[EVS_CTL_PATH_MAX];
	int rc;

	RTE_SET_USED(ctx);
	if ((klen != 32 && klen != 64) || ovl_hex(key, buf, klen / 2) < 0) {
		memset(buf, 0, sizeof(buf));
		/* never the value: the path says which field */
		return evs_store_err(err, -EINVAL, evs_ctl_path_key(sub, sizeof(sub), path, "key"),
				     "must be 32 or 64 hex digits");
	}
	memset(buf, 0, sizeof(buf));
	if (ovl_hex(str(obj, "salt"), buf, 4) < 0)
		return evs_store_err(err, -EINVAL, evs_ctl_path_key(sub, sizeof(sub), path, "salt"),
				     "must be 8 hex digits");
	rc = sa_check_peer(st, obj, path, err);
	if (rc == 0 && json_object_get(obj, "keepalive") != NULL &&
	    (strcmp(str(obj, "dir"), "out") != 0 ||
	     !json_is_true(json_object_get(obj, "udp_encap"))))
		return evs_store_err(err, -EINVAL,
				     evs_ctl_path_key(sub, sizeof(sub), path, "keepalive"),
				     "NAT-keepalives go with an outbound ESP-in-UDP SA (dir out, "
				     "udp_encap)");
	if (rc < 0 || strcmp(str(obj, "dir"), "in") != 0)
		return rc;
	rc = sa_check_port(st, obj, path, err);
	if (rc < 0)
		return rc;
	/* inbound SPIs pick the SA of a packet: one SA per SPI on this host */
	for (struct evs_store_obj *o = evs_store_first(st, "sa"); o != NULL;
	     o = evs_store_next(o)) {
		const json_t *v = evs_store_obj_value(o);

		if (v != obj && strcmp(str(v, "dir"), "in") == 0 &&
		    json_integer_value(json_object_get(v, "spi")) == spi &&
		    strcmp(str(v, "vtep"), str(obj, "vtep")) != 0)
			return evs_store_err(
			    err, -EEXIST, evs_ctl_path_key(sub, sizeof(sub), path, "spi"),
			    "inbound SPI %lld is VTEP '%s''s", (long long)spi, str(v, "vtep"));
	}
	return 0;
}

const struct evs_obj_type evs_overlay_underlay_type = {
    .name = "underlay",
    .section = "underlays",
    .help = "this host's tunnel endpoint: a port, its address, next hop and MTU",
    .fields = underlay_fields,
    .n_fields = RTE_DIM(underlay_fields),
    .defaults = "{\"mtu\": 1500}",
    .keys = name_key,
    .refs = underlay_refs,
    .n_refs = RTE_DIM(underlay_refs),
    .max_objects = 16,
};

const struct evs_obj_type evs_overlay_vtep_type = {
    .name = "vtep",
    .section = "vteps",
    .help = "a remote host's tunnel endpoint",
    .fields = vtep_fields,
    .n_fields = RTE_DIM(vtep_fields),
    .defaults = "{\"encap\": \"geneve\", \"encrypt\": false}",
    .keys = name_key,
    .refs = vtep_refs,
    .n_refs = RTE_DIM(vtep_refs),
    .max_objects = EVS_OVERLAY_MAX_VTEPS,
};

const struct evs_obj_type evs_overlay_tunnel_type = {
    .name = "tunnel",
    .section = "tunnels",
    .help = "a logical switch spanning hosts: its VNI, encryption and hosts",
    .fields = tunnel_fields,
    .n_fields = RTE_DIM(tunnel_fields),
    .defaults = "{\"encrypt\": false, \"encrypt_ports\": [], \"encrypt_tags\": [], "
		"\"vteps\": []}",
    .keys = switch_key,
    .refs = tunnel_refs,
    .n_refs = RTE_DIM(tunnel_refs),
};

const struct evs_obj_type evs_overlay_sa_type = {
    .name = "sa",
    .section = "sas",
    .help = "an ESP AES-GCM security association with a remote host (one per direction)",
    .fields = ovl_sa_fields,
    .n_fields = RTE_DIM(ovl_sa_fields),
    .defaults = "{\"window\": 1024, \"esn\": false, \"udp_encap\": false, \"mode\": "
		"\"transport\", \"udp_sport\": 4500, \"udp_dport\": 4500}",
    .keys = sa_key,
    .refs = sa_refs,
    .n_refs = RTE_DIM(sa_refs),
    .max_objects = 2 * EVS_OVERLAY_MAX_VTEPS,
};
