/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * GENEVE options from the store. Per tunnel (the logical switch, like its
 * VNI): TLVs sent to every GENEVE member ("options"), the option classes
 * whose presence the decap reports in tun_opt_flags ("option_classes"),
 * the critical options this host understands ("critical_options"), and
 * "source_tags": each frame carries its source port's fw tags in the
 * edgevs tag option, which the far host's firewall matches (remote_tag).
 * The receive side is one decap for the host: it takes the union of the
 * tunnels' classes and critical options (the VNI is known only after the
 * options are checked).
 */

#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "overlay_private.h"

static const struct evs_ctl_param option_fields[] = {
    {.name = "class",
     .type = EVS_CTL_T_UINT,
     .required = true,
     .max = 0xffff,
     .help = "option class (0xFFF0-0xFFFF: experimental)"},
    {.name = "type",
     .type = EVS_CTL_T_UINT,
     .required = true,
     .max = 0xff,
     .help = "type; 128-255 are critical (a host that does not know them drops the frame)"},
    {.name = "data",
     .type = EVS_CTL_T_STRING,
     .max_len = 248,
     .help = "hex, whole 4-byte words (at most 124 bytes; default: none)"},
};
const struct evs_ctl_param ovl_option_item = {
    .type = EVS_CTL_T_OBJECT, .fields = option_fields, .n_fields = RTE_DIM(option_fields)};
const struct evs_ctl_param ovl_class_item = {.type = EVS_CTL_T_UINT, .max = 0xffff};
static const struct evs_ctl_param critical_fields[] = {
    {.name = "class",
     .type = EVS_CTL_T_UINT,
     .required = true,
     .max = 0xffff,
     .help = "option class"},
    {.name = "type",
     .type = EVS_CTL_T_UINT,
     .required = true,
     .min = 128,
     .max = 0xff,
     .help = "a critical type (128-255)"},
};
const struct evs_ctl_param ovl_critical_item = {
    .type = EVS_CTL_T_OBJECT, .fields = critical_fields, .n_fields = RTE_DIM(critical_fields)};

static unsigned int uint_of(const json_t *o, const char *f)
{
	return (unsigned int)json_integer_value(json_object_get(o, f));
}

/* Encode a tunnel's "options" into @p out. @return bytes, or -errno with
 * *bad the item at fault. */
static int options_encode(const json_t *opts, uint8_t *out, size_t *bad)
{
	const json_t *o;
	size_t i, len = 0;

	json_array_foreach (opts, i, o) {
		const char *hex = json_string_value(json_object_get(o, "data"));
		size_t dl = hex != NULL ? strlen(hex) / 2 : 0;
		unsigned int cls = uint_of(o, "class");

		*bad = i;
		if (hex != NULL && (strlen(hex) % 8 != 0 || dl > 124))
			return -EINVAL;
		if (len + 4 + dl > EVS_GENEVE_OPT_MAX)
			return -E2BIG;
		if (cls == EVS_GENEVE_CLASS_EDGEVS &&
		    (uint_of(o, "type") & 0x7f) == EVS_GENEVE_TYPE_SRC_TAGS)
			return -EEXIST; /* source_tags' own option */
		out[len] = (uint8_t)(cls >> 8);
		out[len + 1] = (uint8_t)cls;
		out[len + 2] = (uint8_t)uint_of(o, "type");
		out[len + 3] = (uint8_t)(dl / 4);
		if (dl != 0 && ovl_hex(hex, out + len + 4, dl) != 0)
			return -EINVAL;
		len += 4 + dl;
	}
	return (int)len;
}

int ovl_opts_of(const json_t *tv, struct ovl_topts *t)
{
	size_t bad;
	int n;

	memset(t, 0, sizeof(*t));
	n = options_encode(json_object_get(tv, "options"), t->b, &bad);
	if (n < 0)
		return n;
	t->len = (uint16_t)n;
	t->src_tags = json_is_true(json_object_get(tv, "source_tags"));
	if (t->src_tags && t->len + EVS_TUN_SRC_TAGS_OPT_MAX > EVS_GENEVE_OPT_MAX)
		return -E2BIG;
	return 0;
}

int ovl_opts_check(const json_t *tv, const char *path, struct evs_ctl_err *err)
{
	uint8_t buf[EVS_GENEVE_OPT_MAX];
	char sub[EVS_CTL_PATH_MAX];
	struct ovl_topts t;
	size_t bad = 0;
	int n = options_encode(json_object_get(tv, "options"), buf, &bad);

	snprintf(sub, sizeof(sub), "%s/options/%zu", path, bad);
	if (n == -EINVAL)
		return evs_store_err(err, -EINVAL, sub,
				     "data: hex digits of whole 4-byte words "
				     "(8, 16, ... at most 248)");
	if (n == -E2BIG)
		return evs_store_err(err, -E2BIG, sub, "the options pass %u bytes",
				     EVS_GENEVE_OPT_MAX);
	if (n == -EEXIST)
		return evs_store_err(err, -EINVAL, sub,
				     "class 0xfff0 type 1 is the source tag option: use "
				     "source_tags");
	if (ovl_opts_of(tv, &t) == -E2BIG)
		return evs_store_err(err, -E2BIG,
				     evs_ctl_path_key(sub, sizeof(sub), path, "options"),
				     "%u bytes of options leave no room for source_tags' %u",
				     (unsigned int)n, EVS_TUN_SRC_TAGS_OPT_MAX);
	return 0;
}

int ovl_opts_decap(struct evs_store *st, struct evs_tun_decap *d, struct evs_ctl_err *err)
{
	for (struct evs_store_obj *o = evs_store_first(st, "tunnel"); o != NULL;
	     o = evs_store_next(o)) {
		const json_t *tv = evs_store_obj_value(o), *v;
		size_t i;
		unsigned int k;

		json_array_foreach (json_object_get(tv, "option_classes"), i, v) {
			uint16_t cls = (uint16_t)json_integer_value(v);

			for (k = 0; k < d->n_opt_classes && d->opt_classes[k] != cls; k++)
				;
			if (k < d->n_opt_classes)
				continue;
			if (k == EVS_TUN_CLASS_BITS)
				return evs_store_err(err, -ENOSPC, "",
						     "more than %u option classes in all tunnels",
						     EVS_TUN_CLASS_BITS);
			d->opt_classes[d->n_opt_classes++] = cls;
		}
		json_array_foreach (json_object_get(tv, "critical_options"), i, v) {
			uint16_t cls = (uint16_t)uint_of(v, "class");
			uint8_t type = (uint8_t)uint_of(v, "type");

			for (k = 0; k < d->n_known_critical && (d->known_critical[k].cls != cls ||
								d->known_critical[k].type != type);
			     k++)
				;
			if (k < d->n_known_critical)
				continue;
			if (k == RTE_DIM(d->known_critical))
				return evs_store_err(
				    err, -ENOSPC, "",
				    "more than %zu critical options in all tunnels",
				    RTE_DIM(d->known_critical));
			d->known_critical[k].cls = cls;
			d->known_critical[k].type = type;
			d->n_known_critical++;
		}
	}
	return 0;
}

/* ---- source tags ---- */

int ovl_tags_init(struct evs_overlay *ov)
{
	static const struct rte_mbuf_dynfield src = {
	    .name = "edgevs_ovl_src", .size = sizeof(uint16_t), .align = __alignof__(uint16_t)};
	static const struct rte_mbuf_dynflag tagged = {.name = "edgevs_ovl_tagged"};
	int off = rte_mbuf_dynfield_register(&src), bit = rte_mbuf_dynflag_register(&tagged);

	if (off < 0 || bit < 0)
		return -rte_errno;
	ov->src_off = off;
	ov->f_tagged = 1ull << bit;
	return 0;
}

/* Each fw.port's tags as the option its frames carry (while some tunnel
 * sends source tags). */
int ovl_tags_build(struct evs_overlay *ov, struct evs_store *st, struct evs_overlay_dp *dp,
		   struct evs_ctl_err *err)
{
	if (!dp->tags_on || ov->cfg.port_slot == NULL)
		return 0;
	dp->pol.configured = true; /* a port's or fw.port's change rebuilds the table */
	dp->src_opt = calloc(OVL_POL_SLOTS, sizeof(*dp->src_opt));
	if (dp->src_opt == NULL)
		return evs_store_err(err, -ENOMEM, "", "no memory for the source tags");
	for (struct evs_store_obj *o = evs_store_first(st, "fw.port"); o != NULL;
	     o = evs_store_next(o)) {
		const json_t *fp = evs_store_obj_value(o), *t;
		uint32_t ids[EVS_TUN_SRC_TAGS_MAX];
		unsigned int n = 0;
		size_t j;
		int slot =
		    ov->cfg.port_slot(json_string_value(json_object_get(fp, "port")), ov->cfg.arg);

		if (slot < 0 || slot >= (int)OVL_POL_SLOTS)
			continue; /* its port is gone: it sends nothing */
		json_array_foreach (json_object_get(fp, "tags"), j, t)
			if (n < EVS_TUN_SRC_TAGS_MAX)
				ids[n++] = evs_tun_tag_id(json_string_value(t));
		if (n == 0)
			continue;
		evs_tun_src_tags_opt(&dp->src_opt[slot], ids, n);
		dp->tagged[slot / 64] |= 1ull << (slot % 64);
		dp->tags_any = true; /* the rx burst marks */
	}
	return 0;
}

void evs_overlay_mark_rx(const struct evs_overlay *ov, const struct evs_overlay_dp *dp,
			 uint16_t slot, struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t f = 0;

	if (dp == NULL || slot >= OVL_POL_SLOTS)
		return;
	if ((dp->pol.enc[slot / 64] >> (slot % 64) & 1) != 0)
		f |= ov->f_encrypt;
	if ((dp->tagged[slot / 64] >> (slot % 64) & 1) != 0) {
		f |= ov->f_tagged;
		for (uint16_t i = 0; i < n; i++)
			*RTE_MBUF_DYNFIELD(pkts[i], ov->src_off, uint16_t *) = slot;
	}
	if (f != 0)
		for (uint16_t i = 0; i < n; i++)
			pkts[i]->ol_flags |= f;
}

uint16_t ovl_encap_tagged(const struct evs_overlay *ov, const struct evs_overlay_dp *dp,
			  const struct ovl_dp_port *p, struct rte_mbuf **pkts, uint16_t n,
			  const uint32_t *hashes, struct evs_overlay_stats *st)
{
	const struct evs_tun_xopt *x[n];

	for (uint16_t i = 0; i < n; i++) {
		const struct rte_mbuf *m = pkts[i];

		x[i] = (m->ol_flags & ov->f_tagged) != 0
			   ? &dp->src_opt[*RTE_MBUF_DYNFIELD(m, ov->src_off, const uint16_t *)]
			   : NULL;
	}
	return evs_tun_encap_burst_x(&p->encap, pkts, n, hashes, x, &st->tun);
}

int evs_overlay_opt_class_of_bit(const struct evs_overlay *ov, unsigned int bit)
{
	const struct evs_overlay_dp *dp = evs_overlay_dp_get(ov);

	if (dp == NULL || bit >= dp->decap.n_opt_classes)
		return -1;
	return dp->decap.opt_classes[bit];
}
