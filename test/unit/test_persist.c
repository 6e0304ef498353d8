/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/store persistence: durable replacement (mode, owner, symlinks, names),
 * every file system step failing (ENOSPC/EIO via the test hook, short
 * writes), the last good copy and loading damaged files, the asynchronous
 * writer (slow disk, group commit, failures), secrets; random write and
 * fault sequences against a model of what the disk must hold.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "evs_persist.h"
#include "unit_case.h"

static char dir[64];
static int dirfd_;

static void setup(void)
{
	strcpy(dir, "/tmp/evspersist-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	dirfd_ = open(dir, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dirfd_, 0);
	evs_persist_set_test_hook(NULL, NULL);
}

static void teardown(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	evs_persist_set_test_hook(NULL, NULL);
	while (d != NULL && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd_, e->d_name, 0);
	if (d != NULL)
		closedir(d);
	close(dirfd_);
	rmdir(dir);
}

static char *path_of(const char *name)
{
	static char p[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

/* File content as a string ("" when missing: tests compare contents). */
static char *slurp(const char *name)
{
	static char buf[4][8192];
	static int i;
	ssize_t n;
	int fd = openat(dirfd_, name, O_RDONLY);

	i = (i + 1) % 4;
	buf[i][0] = '\0';
	if (fd < 0)
		return buf[i];
	n = read(fd, buf[i], sizeof(buf[i]) - 1);
	close(fd);
	buf[i][n > 0 ? n : 0] = '\0';
	return buf[i];
}

static void put_file(const char *name, const char *s, mode_t mode)
{
	int fd = openat(dirfd_, name, O_WRONLY | O_CREAT | O_TRUNC, mode);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	fchmod(fd, mode);
	close(fd);
}

/* Entries of the directory other than @keep (temp files left behind...). */
static int n_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static int wr(const char *name, const char *s, const struct evs_persist_opts *o)
{
	return evs_persist_write_at(dirfd_, name, s, strlen(s), o);
}

START_TEST(write_creates_durable_file)
{
	struct stat st;

	ck_assert_int_eq(wr("a.json", "{\"x\":1}\n", NULL), 0);
	ck_assert_str_eq(slurp("a.json"), "{\"x\":1}\n");
	ck_assert_int_eq(stat(path_of("a.json"), &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0644);
	ck_assert_int_eq(n_entries(), 1); /* no temp file left */
	ck_assert_int_eq(wr("b", "s", &(struct evs_persist_opts){.mode = 0600}), 0);
	ck_assert_int_eq(stat(path_of("b"), &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
}
END_TEST

START_TEST(write_keeps_mode_and_owner)
{
	struct stat st;

	put_file("a", "old", 0640);
	if (geteuid() == 0)
		ck_assert_int_eq(chown(path_of("a"), 65534, 65534), 0);
	ck_assert_int_eq(wr("a", "new", NULL), 0);
	ck_assert_str_eq(slurp("a"), "new");
	ck_assert_int_eq(stat(path_of("a"), &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	if (geteuid() == 0) {
		ck_assert_int_eq(st.st_uid, 65534);
		ck_assert_int_eq(st.st_gid, 65534);
	}
	/* force_mode (secrets) overrides a loose mode. */
	ck_assert_int_eq(wr("a", "n2", &(struct evs_persist_opts){.mode = 0600, .force_mode = 1}),
			 0);
	ck_assert_int_eq(stat(path_of("a"), &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
}
END_TEST

START_TEST(write_never_follows_symlink)
{
	struct stat st;

	put_file("victim", "root's file", 0600);
	ck_assert_int_eq(symlinkat("victim", dirfd_, "link"), 0);
	ck_assert_int_eq(wr("link", "{}", NULL), -ELOOP);
	ck_assert_str_eq(slurp("victim"), "root's file");
	ck_assert_int_eq(lstat(path_of("link"), &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(mkdirat(dirfd_, "d", 0700), 0);
	ck_assert_int_eq(wr("d", "{}", NULL), -EISDIR);
	unlinkat(dirfd_, "d", AT_REMOVEDIR);
	ck_assert_int_eq(n_entries(), 2);
}
END_TEST

START_TEST(write_refuses_bad_names)
{
	static const char *const bad[] = {"", "a/b", "..", ".", "/etc/passwd", "../x"};
	char longname[300];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(wr(bad[i], "{}", NULL) == -EINVAL, "name '%s' accepted", bad[i]);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_int_eq(wr(longname, "{}", NULL), -EINVAL);
	ck_assert_int_eq(n_entries(), 0);
}
END_TEST

struct fault {
	enum evs_persist_step step;
	int rc;
	int calls;
};

static int fault_hook(enum evs_persist_step step, const char *name, void *arg)
{
	struct fault *f = arg;

	(void)name;
	if (step != f->step)
		return 0;
	f->calls++;
	return f->rc;
}

START_TEST(every_step_failing_keeps_old_file)
{
	static const enum evs_persist_step steps[] = {EVS_PERSIST_STEP_OPEN, EVS_PERSIST_STEP_WRITE,
						      EVS_PERSIST_STEP_FSYNC,
						      EVS_PERSIST_STEP_RENAME};
	static const int errs[] = {-ENOSPC, -EIO};
	struct evs_persist_opts o = {.keep_prev = true};
	struct fault f;
	size_t i, j;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		for (j = 0; j < 2; j++) {
			put_file("c", "good", 0644);
			f = (struct fault){.step = steps[i], .rc = errs[j]};
			evs_persist_set_test_hook(fault_hook, &f);
			ck_assert_int_eq(wr("c", "new", &o), errs[j]);
			evs_persist_set_test_hook(NULL, NULL);
			ck_assert_int_eq(f.calls, 1);
			ck_assert_msg(strcmp(slurp("c"), "good") == 0, "step %zu: file changed", i);
			/* The temp file is gone; only c (and .prev for late steps). */
			ck_assert_int_le(n_entries(), 2);
			unlinkat(dirfd_, "c.prev", 0);
		}
	}
	/* The directory fsync failing after the rename: reported, new content. */
	f = (struct fault){.step = EVS_PERSIST_STEP_DIRSYNC, .rc = -EIO};
	evs_persist_set_test_hook(fault_hook, &f);
	ck_assert_int_eq(wr("c", "new", NULL), -EIO);
	ck_assert_str_eq(slurp("c"), "new");
}
END_TEST

START_TEST(short_write_is_enospc)
{
	struct fault f = {.step = EVS_PERSIST_STEP_WRITE, .rc = 3};

	put_file("c", "{\"old\":true}", 0644);
	evs_persist_set_test_hook(fault_hook, &f);
	ck_assert_int_eq(wr("c", "{\"new\":true}", NULL), -ENOSPC);
	ck_assert_str_eq(slurp("c"), "{\"old\":true}");
	ck_assert_int_eq(n_entries(), 1);
}
END_TEST

START_TEST(prev_holds_last_good_copy)
{
	struct evs_persist_opts o = {.keep_prev = true};

	ck_assert_int_eq(wr("f", "{\"v\":1}", &o), 0);
	ck_assert_str_eq(slurp("f.prev"), ""); /* nothing before the first */
	ck_assert_int_eq(wr("f", "{\"v\":2}", &o), 0);
	ck_assert_str_eq(slurp("f.prev"), "{\"v\":1}");
	ck_assert_int_eq(wr("f", "{\"v\":3}", &o), 0);
	ck_assert_str_eq(slurp("f.prev"), "{\"v\":2}");
	ck_assert_str_eq(slurp("f"), "{\"v\":3}");
	ck_assert_int_eq(n_entries(), 2);
}
END_TEST

START_TEST(load_truncated_falls_back_to_prev)
{
	struct evs_persist_opts o = {.keep_prev = true};
	struct evs_persist_load_info info;
	json_t *doc = NULL;

	ck_assert_int_eq(wr("f", "{\"v\":1}", &o), 0);
	ck_assert_int_eq(wr("f", "{\"v\":2, \"more\": [1,2,3]}", &o), 0);
	ck_assert_int_eq(truncate(path_of("f"), 12), 0);
	ck_assert_int_eq(evs_persist_load(path_of("f"), NULL, NULL, &doc, &info), 0);
	ck_assert(info.from_prev);
	ck_assert_msg(strstr(info.error, "truncated") != NULL, "error: %s", info.error);
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "v")), 1);
	json_decref(doc);
	/* The damaged file is set aside, the good copy kept. */
	ck_assert_str_eq(slurp("f.corrupt"), "{\"v\":2, \"mor");
	ck_assert_str_eq(slurp("f.prev"), "{\"v\":1}");
	ck_assert_str_eq(slurp("f"), "");
}
END_TEST

START_TEST(load_damaged_without_good_copy_refused)
{
	struct evs_persist_load_info info;
	json_t *doc = NULL;

	put_file("f", "{\"v\":", 0644);
	ck_assert_int_eq(evs_persist_load(path_of("f"), NULL, NULL, &doc, &info), -EBADMSG);
	ck_assert_ptr_null(doc);
	ck_assert_msg(strstr(info.error, "truncated") && strstr(info.error, "last good copy"),
		      "error: %s", info.error);
	ck_assert_str_eq(slurp("f"), "{\"v\":"); /* nothing renamed */
	put_file("f.prev", "[1]", 0644);	 /* valid JSON, not an object */
	ck_assert_int_eq(evs_persist_load(path_of("f"), NULL, NULL, &doc, &info), -EBADMSG);
	ck_assert_msg(strstr(info.error, "not a JSON object"), "error: %s", info.error);
	ck_assert_int_eq(evs_persist_load(path_of("none"), NULL, NULL, &doc, &info), -ENOENT);
}
END_TEST

static int refuse_v2(const json_t *doc, void *arg, char *err, size_t len)
{
	(void)arg;
	if (json_integer_value(json_object_get(doc, "v")) == 2) {
		snprintf(err, len, "v 2 is not allowed");
		return -EINVAL;
	}
	return 0;
}

START_TEST(load_check_refuses)
{
	struct evs_persist_load_info info;
	json_t *doc = NULL;

	put_file("f", "{\"v\":2}", 0644);
	put_file("f.prev", "{\"v\":1}", 0644);
	ck_assert_int_eq(evs_persist_load(path_of("f"), refuse_v2, NULL, &doc, &info), 0);
	ck_assert(info.from_prev);
	ck_assert_msg(strstr(info.error, "v 2 is not allowed"), "error: %s", info.error);
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "v")), 1);
	json_decref(doc);
}
END_TEST

struct done_log {
	int n;
	int rc[64];
};

static void on_done(int rc, void *arg)
{
	struct done_log *d = arg;

	d->rc[d->n++] = rc;
}

static char *dup_s(const char *s)
{
	char *d = strdup(s);

	ck_assert_ptr_nonnull(d);
	return d;
}

/* A disk that blocks in WRITE until the test posts the semaphore. */
struct slow_disk {
	sem_t entered;
	sem_t go;
	int rc;
};

static int slow_hook(enum evs_persist_step step, const char *name, void *arg)
{
	struct slow_disk *s = arg;

	(void)name;
	if (step != EVS_PERSIST_STEP_WRITE)
		return 0;
	sem_post(&s->entered);
	sem_wait(&s->go);
	return s->rc;
}

static struct evs_persist *open_file(const char *name, bool follow)
{
	struct evs_persist_config c = {
	    .path = path_of(name), .follow_symlink = follow, .opts = {.keep_prev = true}};
	struct evs_persist *p = evs_persist_create(&c);

	ck_assert_msg(p != NULL, "evs_persist_create: %s", strerror(errno));
	return p;
}

START_TEST(async_slow_disk_does_not_block_and_coalesces)
{
	struct slow_disk sd = {.rc = 0};
	struct done_log d = {0};
	struct evs_persist_stats st;
	struct evs_persist *p = open_file("cfg", false);
	int i;

	sem_init(&sd.entered, 0, 0);
	sem_init(&sd.go, 0, 0);
	evs_persist_set_test_hook(slow_hook, &sd);
	ck_assert_int_eq(evs_persist_submit(p, dup_s("{\"v\":0}"), 7, on_done, &d), 0);
	sem_wait(&sd.entered); /* the writer is stuck on the disk */
	/* The caller goes on: submissions queue, nothing completes. */
	for (i = 1; i <= 5; i++) {
		char s[32];

		snprintf(s, sizeof(s), "{\"v\":%d}", i);
		ck_assert_int_eq(evs_persist_submit(p, dup_s(s), strlen(s), on_done, &d), 0);
	}
	ck_assert_int_eq(evs_persist_poll(p), 0);
	ck_assert(evs_persist_busy(p));
	sem_post(&sd.go); /* first write finishes */
	sem_wait(&sd.entered);
	sem_post(&sd.go); /* one write carries submissions 1..5 */
	evs_persist_drain(p);
	ck_assert_int_eq(d.n, 6);
	for (i = 0; i < 6; i++)
		ck_assert_int_eq(d.rc[i], 0);
	ck_assert_str_eq(slurp("cfg"), "{\"v\":5}");
	ck_assert_str_eq(slurp("cfg.prev"), "{\"v\":0}");
	ck_assert_int_eq(evs_persist_stats_get(p, &st), 0);
	ck_assert_int_eq(st.submitted, 6);
	ck_assert_int_eq(st.writes, 2);
	ck_assert_int_eq(st.coalesced, 4);
	ck_assert_int_eq(st.pending, 0);
	ck_assert(!evs_persist_busy(p));
	evs_persist_set_test_hook(NULL, NULL);
	evs_persist_free(p);
	sem_destroy(&sd.entered);
	sem_destroy(&sd.go);
}
END_TEST

/* A render job: its bytes are made on the writer thread, from a context the
 * library releases exactly once, written or superseded. */
struct render_ctx {
	int v;
	int *released;
	pthread_t *made_on;
};

static char *render_v(void *arg, size_t *len)
{
	struct render_ctx *r = arg;
	char *s;

	*r->made_on = pthread_self();
	if (asprintf(&s, "{\"v\":%d}", r->v) < 0)
		return NULL;
	*len = strlen(s);
	return s;
}

static void release_v(void *arg)
{
	struct render_ctx *r = arg;

	(*r->released)++;
	free(r);
}

static struct render_ctx *rctx(int v, int *released, pthread_t *made_on)
{
	struct render_ctx *r = calloc(1, sizeof(*r));

	ck_assert_ptr_nonnull(r);
	*r = (struct render_ctx){.v = v, .released = released, .made_on = made_on};
	return r;
}

START_TEST(async_render_runs_on_the_writer_and_coalesces)
{
	struct slow_disk sd = {.rc = 0};
	struct done_log d = {0};
	struct evs_persist *p = open_file("cfg", false);
	pthread_t made_on = pthread_self();
	int released = 0, i;

	sem_init(&sd.entered, 0, 0);
	sem_init(&sd.go, 0, 0);
	evs_persist_set_test_hook(slow_hook, &sd);
	ck_assert_int_eq(evs_persist_submit_render(p, render_v, rctx(0, &released, &made_on),
						   release_v, on_done, &d),
			 0);
	sem_wait(&sd.entered);
	ck_assert(!pthread_equal(made_on, pthread_self())); /* rendered by the writer */
	ck_assert_int_eq(released, 1);
	for (i = 1; i <= 3; i++) /* queued behind the stuck write: 1 and 2 superseded */
		ck_assert_int_eq(evs_persist_submit_render(p, render_v,
							   rctx(i, &released, &made_on), release_v,
							   on_done, &d),
				 0);
	ck_assert_int_eq(released, 3);
	sem_post(&sd.go);
	sem_wait(&sd.entered);
	sem_post(&sd.go);
	evs_persist_drain(p);
	ck_assert_int_eq(released, 4);
	ck_assert_int_eq(d.n, 4);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(d.rc[i], 0);
	ck_assert_str_eq(slurp("cfg"), "{\"v\":3}");
	ck_assert_int_eq(evs_persist_submit_render(NULL, render_v, rctx(9, &released, &made_on),
						   release_v, on_done, &d),
			 -EINVAL);
	ck_assert_int_eq(released, 5); /* refused: released at once */
	evs_persist_set_test_hook(NULL, NULL);
	evs_persist_free(p);
	sem_destroy(&sd.entered);
	sem_destroy(&sd.go);
}
END_TEST

START_TEST(async_failure_fails_every_waiter)
{
	struct fault f = {.step = EVS_PERSIST_STEP_FSYNC, .rc = -EIO};
	struct done_log d = {0};
	struct evs_persist_stats st;
	struct evs_persist *p;

	put_file("cfg", "{\"v\":0}", 0644);
	p = open_file("cfg", false);
	evs_persist_set_test_hook(fault_hook, &f);
	ck_assert_int_eq(evs_persist_submit(p, dup_s("{\"v\":1}"), 7, on_done, &d), 0);
	evs_persist_drain(p);
	ck_assert_int_eq(d.n, 1);
	ck_assert_int_eq(d.rc[0], -EIO);
	ck_assert_str_eq(slurp("cfg"), "{\"v\":0}");
	evs_persist_set_test_hook(NULL, NULL);
	/* The disk recovers: the next write lands. */
	ck_assert_int_eq(evs_persist_submit(p, dup_s("{\"v\":2}"), 7, on_done, &d), 0);
	evs_persist_drain(p);
	ck_assert_int_eq(d.rc[1], 0);
	ck_assert_str_eq(slurp("cfg"), "{\"v\":2}");
	ck_assert_int_eq(evs_persist_stats_get(p, &st), 0);
	ck_assert_int_eq(st.failures, 1);
	/* Sync writes share the counters. */
	ck_assert_int_eq(evs_persist_write(p, "{}", 2), 0);
	ck_assert_int_eq(evs_persist_stats_get(p, &st), 0);
	ck_assert_int_eq(st.writes, 3);
	evs_persist_free(p);
}
END_TEST

START_TEST(operator_symlink_kept)
{
	struct stat st;
	struct evs_persist *p;

	ck_assert_int_eq(mkdirat(dirfd_, "real", 0700), 0);
	ck_assert_int_eq(symlinkat("real/cfg.json", dirfd_, "cfg.json"), 0);
	put_file("real/cfg.json", "{}", 0640);
	p = open_file("cfg.json", true);
	ck_assert_msg(strstr(evs_persist_path(p), "/real/cfg.json") != NULL, "path %s",
		      evs_persist_path(p));
	ck_assert_int_eq(evs_persist_write(p, "{\"v\":1}", 7), 0);
	evs_persist_free(p);
	ck_assert_int_eq(lstat(path_of("cfg.json"), &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_str_eq(slurp("cfg.json"), "{\"v\":1}");
	ck_assert_int_eq(stat(path_of("real/cfg.json"), &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0640);
	unlinkat(dirfd_, "real/cfg.json", 0);
	unlinkat(dirfd_, "real/cfg.json.prev", 0);
	unlinkat(dirfd_, "real", AT_REMOVEDIR);
	/* Without follow_symlink the link is refused, not written through. */
	ck_assert_int_eq(symlinkat("/etc/passwd", dirfd_, "evil"), 0);
	p = open_file("evil", false);
	ck_assert_int_eq(evs_persist_write(p, "{}", 2), -ELOOP);
	evs_persist_free(p);
}
END_TEST

/* Random writes with random faults: the file always holds the last write
 * that succeeded and .prev the one before it (the model). */
START_TEST(random_faults_match_model)
{
	static const enum evs_persist_step steps[] = {EVS_PERSIST_STEP_OPEN, EVS_PERSIST_STEP_WRITE,
						      EVS_PERSIST_STEP_FSYNC,
						      EVS_PERSIST_STEP_RENAME};
	struct evs_persist_opts o = {.keep_prev = true};
	char cur[64] = "", prev[64] = "", s[64];
	struct fault f;
	int i, rc;

	srand(12345);
	for (i = 0; i < 300; i++) {
		bool fail = rand() % 3 == 0;

		snprintf(s, sizeof(s), "{\"i\":%d,\"r\":%d}", i, rand());
		f = (struct fault){.step = steps[rand() % 4], .rc = rand() % 2 ? -EIO : -ENOSPC};
		evs_persist_set_test_hook(fail ? fault_hook : NULL, &f);
		rc = wr("m", s, &o);
		evs_persist_set_test_hook(NULL, NULL);
		ck_assert_int_eq(rc, fail ? f.rc : 0);
		if (!fail) {
			if (cur[0] != '\0')
				strcpy(prev, cur);
			strcpy(cur, s);
		}
		ck_assert_str_eq(slurp("m"), cur);
		ck_assert_str_eq(slurp("m.prev"), prev);
		ck_assert_int_le(n_entries(), 2);
	}
}
END_TEST

START_TEST(secrets_put_get_del_and_mode)
{
	uint8_t key[32], out[64];
	struct evs_secrets *s;
	struct stat st;
	mode_t old = umask(0);
	size_t len, i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7 + 1);
	s = evs_secrets_open(path_of("secrets.json"));
	umask(old);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(evs_secrets_count(s), 0);
	ck_assert_int_eq(evs_secret_put(s, "sa:host2:in", key, sizeof(key)), 0);
	ck_assert_int_eq(stat(path_of("secrets.json"), &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(evs_secret_get(s, "sa:host2:in", out, sizeof(out), &len), 0);
	ck_assert_int_eq(len, sizeof(key));
	ck_assert_mem_eq(out, key, sizeof(key));
	ck_assert_int_eq(evs_secret_get(s, "sa:host2:in", out, 4, &len), -ENOBUFS);
	ck_assert_int_eq(evs_secret_get(s, "nope", out, sizeof(out), &len), -ENOENT);
	ck_assert_int_eq(evs_secret_put(s, "bad name", key, 1), -EINVAL);
	ck_assert_int_eq(evs_secret_put(s, "x", key, EVS_SECRET_VALUE_MAX + 1), -EINVAL);
	ck_assert_int_eq(evs_secret_del(s, "nope"), -ENOENT);
	/* Loosened mode is tightened back on open. */
	chmod(path_of("secrets.json"), 0644);
	evs_secrets_free(s);
	s = evs_secrets_open(path_of("secrets.json"));
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(stat(path_of("secrets.json"), &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(evs_secret_get(s, "sa:host2:in", out, sizeof(out), &len), 0);
	ck_assert_mem_eq(out, key, sizeof(key));
	ck_assert_int_eq(evs_secret_del(s, "sa:host2:in"), 0);
	ck_assert_int_eq(evs_secrets_count(s), 0);
	evs_secrets_free(s);
}
END_TEST

START_TEST(secrets_failed_write_changes_nothing)
{
	struct fault f = {.step = EVS_PERSIST_STEP_FSYNC, .rc = -ENOSPC};
	struct evs_secrets *s = evs_secrets_open(path_of("sec"));
	uint8_t v = 1, out;
	size_t len;

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(evs_secret_put(s, "k", &v, 1), 0);
	evs_persist_set_test_hook(fault_hook, &f);
	v = 2;
	ck_assert_int_eq(evs_secret_put(s, "k", &v, 1), -ENOSPC);
	ck_assert_int_eq(evs_secret_put(s, "k2", &v, 1), -ENOSPC);
	ck_assert_int_eq(evs_secret_del(s, "k"), -ENOSPC);
	evs_persist_set_test_hook(NULL, NULL);
	ck_assert_int_eq(evs_secrets_count(s), 1);
	ck_assert_int_eq(evs_secret_get(s, "k", &out, 1, &len), 0);
	ck_assert_int_eq(out, 1);
	evs_secrets_free(s);
	/* A damaged file is refused, never treated as empty. */
	put_file("sec", "{\"version\":1,\"secrets\":{\"k\":\"0", 0600);
	errno = 0;
	ck_assert_ptr_null(evs_secrets_open(path_of("sec")));
	ck_assert_int_eq(errno, EBADMSG);
	put_file("sec", "{\"version\":1,\"secrets\":{\"k\":\"0g\"}}", 0600);
	ck_assert_ptr_null(evs_secrets_open(path_of("sec")));
	ck_assert_int_eq(errno, EBADMSG);
}
END_TEST

/* Random puts and deletes against an array model; a reopen reads the same. */
START_TEST(secrets_random_match_model)
{
	enum { N = 12 };
	uint8_t model[N][16], out[16];
	size_t mlen[N], len;
	bool have[N] = {false};
	struct evs_secrets *s = evs_secrets_open(path_of("sec"));
	char name[16];
	int i, k, round;

	ck_assert_ptr_nonnull(s);
	srand(777);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < 200; i++) {
			k = rand() % N;
			snprintf(name, sizeof(name), "key%d", k);
			if (rand() % 3 == 0) {
				ck_assert_int_eq(evs_secret_del(s, name), have[k] ? 0 : -ENOENT);
				have[k] = false;
			} else {
				mlen[k] = (size_t)(rand() % 17);
				for (len = 0; len < mlen[k]; len++)
					model[k][len] = (uint8_t)rand();
				ck_assert_int_eq(evs_secret_put(s, name, model[k], mlen[k]), 0);
				have[k] = true;
			}
		}
		evs_secrets_free(s);
		s = evs_secrets_open(path_of("sec"));
		ck_assert_ptr_nonnull(s);
		for (k = 0; k < N; k++) {
			snprintf(name, sizeof(name), "key%d", k);
			if (!have[k]) {
				ck_assert_int_eq(evs_secret_get(s, name, out, 16, &len), -ENOENT);
				continue;
			}
			ck_assert_int_eq(evs_secret_get(s, name, out, 16, &len), 0);
			ck_assert_uint_eq(len, mlen[k]);
			ck_assert_mem_eq(out, model[k], len);
		}
	}
	evs_secrets_free(s);
}
END_TEST

void journal_add_cases(Suite *s); /* test_journal.c */

int main(void)
{
	const struct unit_case cases[] = {
	    {"write_creates_durable_file", write_creates_durable_file},
	    {"write_keeps_mode_and_owner", write_keeps_mode_and_owner},
	    {"write_never_follows_symlink", write_never_follows_symlink},
	    {"write_refuses_bad_names", write_refuses_bad_names},
	    {"every_step_failing_keeps_old_file", every_step_failing_keeps_old_file},
	    {"short_write_is_enospc", short_write_is_enospc},
	    {"prev_holds_last_good_copy", prev_holds_last_good_copy},
	    {"load_truncated_falls_back_to_prev", load_truncated_falls_back_to_prev},
	    {"load_damaged_without_good_copy_refused", load_damaged_without_good_copy_refused},
	    {"load_check_refuses", load_check_refuses},
	    {"async_render_runs_on_the_writer_and_coalesces",
	     async_render_runs_on_the_writer_and_coalesces},
	    {"async_slow_disk_does_not_block_and_coalesces",
	     async_slow_disk_does_not_block_and_coalesces},
	    {"async_failure_fails_every_waiter", async_failure_fails_every_waiter},
	    {"operator_symlink_kept", operator_symlink_kept},
	    {"random_faults_match_model", random_faults_match_model},
	    {"secrets_put_get_del_and_mode", secrets_put_get_del_and_mode},
	    {"secrets_failed_write_changes_nothing", secrets_failed_write_changes_nothing},
	    {"secrets_random_match_model", secrets_random_match_model},
	};
	Suite *s = suite_create("persist");
	SRunner *sr;
	int failed;

	unit_add_cases(s, cases, sizeof(cases) / sizeof(cases[0]), setup, teardown, 0);
	journal_add_cases(s);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
