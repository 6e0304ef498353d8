/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_APP_CTL_UTIL_H
#define EVS_APP_CTL_UTIL_H

/* Shared by the ctl_*.c method files: every mutating method edits a copy of
 * the desired-state document and hands it to app_apply(). */

#include "app.h"
#include "evs_ctl.h"

/*
 * Apply @doc (reference stolen). On success return 0 without answering; on
 * failure answer @call with the error, its path rewritten from prefix @from
 * to prefix @to (errors in the document edited on the caller's behalf then
 * point into the caller's params), and return -EINVAL.
 */
int ctl_apply_doc(struct evs_app *app, struct evs_ctl_call *call, json_t *doc, const char *from,
		  const char *to);

/* Register @n methods; stops at the first failure. */
int ctl_register_methods(struct evs_app *app, const struct evs_ctl_method *m, size_t n);

/* A deep copy of the running document, or NULL after answering -32603. */
json_t *ctl_doc_copy(struct evs_app *app, struct evs_ctl_call *call);

/* stats.get's result (ctl_stats.c). */
json_t *app_stats_json(struct evs_app *app);

/* MAC table counters (ctl_mac.c). */
json_t *ctl_macs_stats_json(struct evs_app *app);

int ctl_register_config(struct evs_app *app);
int ctl_register_port(struct evs_app *app);
int ctl_register_switch(struct evs_app *app);
int ctl_register_mac(struct evs_app *app);
int ctl_register_stats(struct evs_app *app);
int ctl_register_flow(struct evs_app *app);
int ctl_register_watch(struct evs_app *app);

#endif
