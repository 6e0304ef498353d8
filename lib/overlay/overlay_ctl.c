/* SPDX-License-Identifier: BSD-3-Clause */
/* sa.rekey's staging and sa.stats' answer (the app registers the methods). */

#include <errno.h>
#include <string.h>

#include <rte_common.h>

#include "overlay_private.h"

const struct evs_ctl_param evs_overlay_rekey_params[] = {
    OVL_VTEP_PARAM,
    {.name = "in",
     .type = EVS_CTL_T_OBJECT,
     .fields = &ovl_sa_fields[OVL_SA_F_SPI],
     .n_fields = OVL_SA_F_REKEY,
     .help = "new inbound SA (spi, key, salt): installed at once, the old one drains"},
    {.name = "out",
     .type = EVS_CTL_T_OBJECT,
     .fields = &ovl_sa_fields[OVL_SA_F_SPI],
     .n_fields = OVL_SA_F_REKEY,
     .help = "new outbound SA (spi, key, salt): every PMD switches to it at once"},
};
const size_t evs_overlay_n_rekey_params = RTE_DIM(evs_overlay_rekey_params);

/* sa.stats takes the rekey's first parameter alone: the VTEP. */
const struct evs_ctl_param *const evs_overlay_stats_params = evs_overlay_rekey_params;
const size_t evs_overlay_n_stats_params = 1;

static int rekey_half(struct evs_store_txn *txn, struct evs_store *st, const char *vtep,
		      const char *dir, const json_t *half, const char *path,
		      struct evs_ctl_err *err)
{
	json_t *k = json_pack("{s:s, s:s}", "vtep", vtep, "dir", dir), *v;
	struct evs_store_obj *o = k != NULL ? evs_store_lookup(st, "sa", k) : NULL;
	json_int_t spi = json_integer_value(json_object_get(half, "spi"));
	char sub[EVS_CTL_PATH_MAX];

	json_decref(k);
	if (o == NULL)
		return evs_store_err(err, -ENOENT, path, "VTEP '%s' has no %sbound SA to rekey",
				     vtep, dir);
	if (json_integer_value(json_object_get(evs_store_obj_value(o), "spi")) == spi)
		return evs_store_err(err, -EINVAL, evs_ctl_path_key(sub, sizeof(sub), path, "spi"),
				     "a rekey needs a new SPI (%lld is the current one)",
				     (long long)spi);
	v = json_deep_copy(evs_store_obj_value(o));
	if (v == NULL || json_object_update(v, (json_t *)(uintptr_t)half) < 0) {
		json_decref(v);
		return evs_store_err(err, -ENOMEM, path, "out of memory");
	}
	return evs_store_txn_op(txn, EVS_STORE_SET, "sa", v, path, err);
}

int evs_overlay_rekey_stage(struct evs_overlay *ov, struct evs_store_txn *txn, const char *vtep,
			    const json_t *in, const json_t *out, const char *path,
			    struct evs_ctl_err *err)
{
	char sub[EVS_CTL_PATH_MAX];
	int rc = 0;

	if (ov->store == NULL)
		return evs_store_err(err, -EINVAL, path, "the overlay's types are not in a store");
	if (in == NULL && out == NULL)
		return evs_store_err(err, -EINVAL, path, "nothing to rekey: give in, out or both");
	if (in != NULL)
		rc = rekey_half(txn, ov->store, vtep, "in", in,
				evs_ctl_path_key(sub, sizeof(sub), path, "in"), err);
	if (rc == 0 && out != NULL)
		rc = rekey_half(txn, ov->store, vtep, "out", out,
				evs_ctl_path_key(sub, sizeof(sub), path, "out"), err);
	return rc;
}

static json_t *sa_json(const struct evs_sa *sa, bool outbound)
{
	struct evs_sa_stats s;
	json_t *drops = json_object(), *j;

	if (sa == NULL) {
		json_decref(drops);
		return json_null();
	}
	evs_sa_stats_get(sa, &s);
	for (unsigned int r = 0; drops != NULL && r < EVS_ESP_DROP__MAX; r++)
		json_object_set_new(drops, evs_esp_drop_name(r),
				    json_integer((json_int_t)s.drops[r]));
	j = json_pack("{s:I, s:I, s:I, s:I, s:o}", "spi", (json_int_t)evs_sa_spi(sa), "packets",
		      (json_int_t)s.packets, "bytes", (json_int_t)s.bytes, "last_seq",
		      (json_int_t)s.last_seq, "drops", drops);
	if (j != NULL && outbound)
		json_object_set_new(j, "seq_remaining",
				    json_integer((json_int_t)evs_sa_seq_remaining(sa)));
	if (j != NULL && evs_sa_udp_encap(sa)) /* NAT traversal: the port in use now */
		json_object_set_new(
		    j, outbound ? "udp_dport_now" : "udp_peer_port",
		    json_integer(outbound ? evs_sa_udp_dport(sa) : evs_sa_udp_peer_port(sa)));
	return j;
}

json_t *evs_overlay_sa_stats(const struct evs_overlay *ov, const char *vtep)
{
	int id = evs_overlay_vtep_id(ov, vtep);
	json_t *dr, *j;

	if (id < 0) {
		errno = ENOENT;
		return NULL;
	}
	dr = json_array();
	for (unsigned int i = 0; dr != NULL && i < ov->n_drains; i++)
		if (ov->drains[i].vtep == id)
			json_array_append_new(dr, sa_json(ov->drains[i].sa, false));
	j = json_pack("{s:s, s:o, s:o, s:o, s:o}", "vtep", vtep, "in",
		      sa_json(ov->vteps[id].in, false), "out", sa_json(ov->vteps[id].out, true),
		      "draining", dr, "nat", ovl_natt_json(ov, (uint16_t)id));
	if (j == NULL)
		errno = ENOMEM;
	return j;
}
