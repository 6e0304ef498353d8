/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Large requests: a line past max_line (a config.apply of 100k objects) is
 * allowed for admins only, one client at a time, up to max_line_admin. It is
 * read in slices between polls like any line, then parsed on a parse thread
 * so the management lcore never stalls for the parse; the client is paused
 * meanwhile and the request dispatched on the management lcore once parsed.
 * Memory: max_clients x max_line plus one max_line_admin, at most.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include "ctl_private.h"

struct ctl_parser {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* under mu */
	struct ctl_client *cl; /* job: parse cl->in[0..len) */
	size_t len;
	bool busy; /* a job was given and not collected */
	bool done; /* the job's result is ready */
	bool stop;
	json_t *req;
	json_error_t jerr;
	struct evs_ctl *ctl; /* woken when a parse is done */
	json_t *garbage;     /* a dispatched large request: freed here, not on the lcore */
	char *garbage_buf;   /* the large line's input buffer (munmap of 100s of MiB) */
};

size_t ctl_line_limit(const struct evs_ctl *ctl, const struct ctl_client *cl)
{
	return ctl->large_owner == cl ? ctl->max_line_admin : ctl->max_line;
}

int ctl_large_acquire(struct evs_ctl *ctl, struct ctl_client *cl)
{
	if (ctl->large_owner == cl)
		return 0;
	if (cl->role != EVS_CTL_ROLE_ADMIN || ctl->max_line_admin <= ctl->max_line)
		return -EPERM;
	if (ctl->large_owner != NULL)
		return -EBUSY;
	ctl->large_owner = cl;
	ctl->stats.lines_large++;
	return 0;
}

void ctl_large_release(struct evs_ctl *ctl, struct ctl_client *cl)
{
	if (ctl->large_owner == cl)
		ctl->large_owner = NULL;
}

static void *parser_main(void *arg)
{
	struct ctl_parser *p = arg;
	const char *buf;
	size_t len;
	json_t *req;
	json_error_t jerr;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->garbage == NULL && p->garbage_buf == NULL &&
		       (!p->busy || p->done))
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->garbage != NULL || p->garbage_buf != NULL) {
			/* Freeing a million objects takes as long as parsing them. */
			json_t *g = p->garbage;
			char *b = p->garbage_buf;

			p->garbage = NULL;
			p->garbage_buf = NULL;
			pthread_mutex_unlock(&p->mu);
			json_decref(g);
			free(b);
			pthread_mutex_lock(&p->mu);
			continue;
		}
		if (p->stop)
			break;
		/* The client is paused: its buffer does not move until collected. */
		buf = p->cl->in;
		len = p->len;
		pthread_mutex_unlock(&p->mu);
		req = evs_ctl_json_load(buf, len, &jerr);
		pthread_mutex_lock(&p->mu);
		p->req = req;
		p->jerr = jerr;
		p->done = true;
		evs_ctl_wake(p->ctl); /* its loop collects the result now */
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static int parser_create(struct evs_ctl *ctl)
{
	struct ctl_parser *p = calloc(1, sizeof(*p));
	int rc;

	if (p == NULL)
		return -ENOMEM;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->ctl = ctl;
	rc = pthread_create(&p->thread, NULL, parser_main, p);
	if (rc != 0) {
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return -rc;
	}
	pthread_setname_np(p->thread, "evs-ctl-parse");
	ctl->parser = p;
	return 0;
}

int ctl_large_start(struct evs_ctl *ctl, struct ctl_client *cl, size_t len)
{
	struct ctl_parser *p;
	int rc;

	if (ctl->parser == NULL) {
		rc = parser_create(ctl);
		if (rc < 0)
			return rc;
	}
	p = ctl->parser;
	pthread_mutex_lock(&p->mu);
	if (p->busy) {
		pthread_mutex_unlock(&p->mu);
		return -EBUSY; /* cannot happen: one large owner at a time */
	}
	p->cl = cl;
	p->len = len;
	p->busy = true;
	p->done = false;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	cl->parsing = true;
	cl->parse_len = len;
	return 0;
}

bool ctl_large_busy(const struct evs_ctl *ctl)
{
	return ctl->parser != NULL && ctl->large_owner != NULL && ctl->large_owner->parsing;
}

int ctl_large_poll(struct evs_ctl *ctl)
{
	struct ctl_parser *p = ctl->parser;
	struct ctl_client *cl;
	json_error_t jerr;
	json_t *req;
	size_t len;
	int handled = 0;

	if (p == NULL)
		return 0;
	pthread_mutex_lock(&p->mu);
	if (!p->busy || !p->done) {
		pthread_mutex_unlock(&p->mu);
		return 0;
	}
	cl = p->cl;
	len = p->len;
	req = p->req;
	jerr = p->jerr;
	p->req = NULL;
	p->busy = false;
	p->done = false;
	pthread_mutex_unlock(&p->mu);

	cl->parsing = false;
	ctl_large_release(ctl, cl);
	if (cl->dead) {
		json_decref(req);
		return 0;
	}
	/* Our own reference: the last one, released on the parse thread
	 * (jansson's reference counts are atomic). */
	json_incref(req);
	handled = ctl_dispatch_parsed(ctl, cl, req, &jerr);
	if (req != NULL) {
		pthread_mutex_lock(&p->mu);
		if (p->garbage == NULL) {
			p->garbage = req;
			req = NULL;
			pthread_cond_signal(&p->cv);
		}
		pthread_mutex_unlock(&p->mu);
		json_decref(req); /* the thread is busy with the last one: here, rarely */
	}
	/* Consume the line and its newline; the rest is served as usual. */
	len = len + 1 < cl->in_len ? len + 1 : cl->in_len;
	memmove(cl->in, cl->in + len, cl->in_len - len);
	cl->in_len -= len;
	cl->resume = true;
	if (cl->in_len == 0) {
		/* The big buffer goes too, off the lcore (unmapping takes a while). */
		pthread_mutex_lock(&p->mu);
		if (p->garbage_buf == NULL) {
			p->garbage_buf = cl->in;
			cl->in = NULL;
			cl->in_cap = 0;
			pthread_cond_signal(&p->cv);
		}
		pthread_mutex_unlock(&p->mu);
	}
	return handled;
}

void ctl_large_free(struct evs_ctl *ctl)
{
	struct ctl_parser *p = ctl->parser;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL); /* a parse in progress finishes first */
	json_decref(p->req);
	json_decref(p->garbage);
	free(p->garbage_buf);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
	ctl->parser = NULL;
}
