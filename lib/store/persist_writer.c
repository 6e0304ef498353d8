/* SPDX-License-Identifier: BSD-3-Clause */
/* A persisted file and its writer thread: submissions queue the newest bytes,
 * the thread writes them durably, completions run back on the management
 * lcore in evs_persist_poll(). */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "persist_private.h"

struct waiter {
	evs_persist_done_t fn;
	void *arg;
	int rc;
	struct waiter *next;
};

struct waiter_list {
	struct waiter *head;
	struct waiter **tail;
};

struct evs_persist {
	char *path; /* the file written (symlink resolved) */
	char *name; /* its last component */
	int dirfd;
	struct evs_persist_opts opts;
	pthread_t thread;

	/* Everything below is shared with the writer thread, under mu. */
	pthread_mutex_t mu;
	pthread_cond_t work; /* pending bytes or stop */
	pthread_cond_t idle; /* the writer finished a write */
	char *pend;	     /* newest bytes not taken by the writer yet */
	size_t pend_len;
	evs_persist_render_t pend_render; /* or: newest bytes to make, from pend_ctx */
	void *pend_ctx;
	void (*pend_ctx_free)(void *);
	struct waiter_list pend_waiters;
	struct waiter_list done;
	bool writing;
	bool stop;
	uint64_t writes;
	uint64_t failures;

	/* Caller's thread only. */
	uint64_t submitted;
	uint64_t coalesced;
	uint64_t pending;
};

static void list_init(struct waiter_list *l)
{
	l->head = NULL;
	l->tail = &l->head;
}

static void list_splice(struct waiter_list *to, struct waiter_list *from)
{
	if (from->head == NULL)
		return;
	*to->tail = from->head;
	to->tail = from->tail;
	list_init(from);
}

static void *writer_main(void *arg)
{
	struct evs_persist *p = arg;
	struct waiter_list batch;
	struct waiter *w;
	evs_persist_render_t render;
	void (*ctx_free)(void *);
	void *ctx;
	char *data;
	size_t len;
	int rc;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->pend == NULL && p->pend_render == NULL && p->pend_waiters.head == NULL &&
		       !p->stop)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->pend == NULL && p->pend_render == NULL && p->pend_waiters.head == NULL)
			break; /* stop, nothing left */
		data = p->pend;
		len = p->pend_len;
		render = p->pend_render;
		ctx = p->pend_ctx;
		ctx_free = p->pend_ctx_free;
		p->pend = NULL;
		p->pend_render = NULL;
		list_init(&batch);
		list_splice(&batch, &p->pend_waiters);
		p->writing = true;
		pthread_mutex_unlock(&p->mu);

		if (render != NULL) {
			data = render(ctx, &len);
			if (ctx_free != NULL)
				ctx_free(ctx);
		}
		rc = data != NULL ? evs_persist_write_at(p->dirfd, p->name, data, len, &p->opts)
				  : -ENOMEM;
		free(data);

		pthread_mutex_lock(&p->mu);
		p->writes++;
		if (rc < 0)
			p->failures++;
		for (w = batch.head; w != NULL; w = w->next)
			w->rc = rc;
		list_splice(&p->done, &batch);
		p->writing = false;
		pthread_cond_broadcast(&p->idle);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct evs_persist *evs_persist_create(const struct evs_persist_config *cfg)
{
	struct evs_persist *p;
	int rc;

	if (cfg == NULL || cfg->path == NULL || cfg->path[0] == '\0') {
		errno = EINVAL;
		return NULL;
	}
	if (strlen(cfg->path) >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	p->dirfd = -1;
	p->opts = cfg->opts;
	list_init(&p->pend_waiters);
	list_init(&p->done);
	rc = persist_target(cfg->path, cfg->follow_symlink, &p->path, &p->name, &p->dirfd);
	if (rc < 0)
		goto err;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->idle, NULL);
	rc = -pthread_create(&p->thread, NULL, writer_main, p);
	if (rc < 0) {
		pthread_cond_destroy(&p->idle);
		pthread_cond_destroy(&p->work);
		pthread_mutex_destroy(&p->mu);
		goto err;
	}
	pthread_setname_np(p->thread, "evs-persist");
	return p;
err:
	if (p->dirfd >= 0)
		close(p->dirfd);
	free(p->name);
	free(p->path);
	free(p);
	errno = -rc;
	return NULL;
}

const char *evs_persist_path(const struct evs_persist *p)
{
	return p->path;
}

/* Queue a submission: bytes, or a render job (ctx released on every path). */
static int submit(struct evs_persist *p, char *data, size_t len, evs_persist_render_t render,
		  void *ctx, void (*ctx_free)(void *), evs_persist_done_t done, void *arg)
{
	struct waiter *w = calloc(1, sizeof(*w));

	if (w == NULL)
		goto nomem;
	w->fn = done;
	w->arg = arg;
	if (render == NULL && data == NULL)
		data = malloc(1); /* empty file: the writer takes NULL as "nothing new" */
	if (render == NULL && data == NULL) {
		free(w);
		goto nomem;
	}
	pthread_mutex_lock(&p->mu);
	if (p->pend != NULL || p->pend_render != NULL) {
		/* Not written yet: the newer submission supersedes it. */
		free(p->pend);
		if (p->pend_render != NULL && p->pend_ctx_free != NULL)
			p->pend_ctx_free(p->pend_ctx);
		p->coalesced++;
	}
	p->pend = data;
	p->pend_len = len;
	p->pend_render = render;
	p->pend_ctx = ctx;
	p->pend_ctx_free = ctx_free;
	*p->pend_waiters.tail = w;
	p->pend_waiters.tail = &w->next;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	p->submitted++;
	p->pending++;
	return 0;
nomem:
	free(data);
	if (ctx_free != NULL)
		ctx_free(ctx);
	return -ENOMEM;
}

int evs_persist_submit(struct evs_persist *p, char *data, size_t len, evs_persist_done_t done,
		       void *arg)
{
	if (p == NULL || (data == NULL && len > 0)) {
		free(data);
		return -EINVAL;
	}
	return submit(p, data, len, NULL, NULL, NULL, done, arg);
}

int evs_persist_submit_render(struct evs_persist *p, evs_persist_render_t render, void *ctx,
			      void (*ctx_free)(void *), evs_persist_done_t done, void *arg)
{
	if (p == NULL || render == NULL) {
		if (ctx_free != NULL)
			ctx_free(ctx);
		return -EINVAL;
	}
	return submit(p, NULL, 0, render, ctx, ctx_free, done, arg);
}

int evs_persist_poll(struct evs_persist *p)
{
	struct waiter_list done;
	struct waiter *w, *next;
	int n = 0;

	if (p == NULL)
		return 0;
	list_init(&done);
	pthread_mutex_lock(&p->mu);
	list_splice(&done, &p->done);
	pthread_mutex_unlock(&p->mu);
	for (w = done.head; w != NULL; w = next) {
		next = w->next;
		p->pending--;
		if (w->fn != NULL)
			w->fn(w->rc, w->arg);
		free(w);
		n++;
	}
	return n;
}

static void wait_idle(struct evs_persist *p)
{
	pthread_mutex_lock(&p->mu);
	while (p->pend_waiters.head != NULL || p->writing)
		pthread_cond_wait(&p->idle, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

void evs_persist_drain(struct evs_persist *p)
{
	if (p == NULL)
		return;
	/* A completion may submit again (a rollback's write): loop until quiet. */
	do {
		wait_idle(p);
	} while (evs_persist_poll(p) > 0);
}

bool evs_persist_busy(const struct evs_persist *p)
{
	return p != NULL && p->pending > 0;
}

int evs_persist_write(struct evs_persist *p, const void *data, size_t len)
{
	int rc;

	if (p == NULL)
		return -EINVAL;
	wait_idle(p); /* ordered after what was queued */
	rc = evs_persist_write_at(p->dirfd, p->name, data, len, &p->opts);
	pthread_mutex_lock(&p->mu);
	p->writes++;
	if (rc < 0)
		p->failures++;
	pthread_mutex_unlock(&p->mu);
	return rc;
}

int evs_persist_stats_get(const struct evs_persist *p, struct evs_persist_stats *st)
{
	struct evs_persist *mp = (struct evs_persist *)(uintptr_t)p;

	if (p == NULL || st == NULL)
		return -EINVAL;
	pthread_mutex_lock(&mp->mu);
	st->writes = p->writes;
	st->failures = p->failures;
	pthread_mutex_unlock(&mp->mu);
	st->submitted = p->submitted;
	st->coalesced = p->coalesced;
	st->pending = p->pending;
	return 0;
}

void evs_persist_free(struct evs_persist *p)
{
	if (p == NULL)
		return;
	evs_persist_drain(p);
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->idle);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->mu);
	close(p->dirfd);
	free(p->name);
	free(p->path);
	free(p);
}
