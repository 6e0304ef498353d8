/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The journal beside a persisted document: lines and their replay, group
 * commit, a torn last line, a damaged middle line, append failures (short
 * write, fsync) with the failed epoch, compaction and its interruption, a
 * document changed behind the journal's back, a clean close.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "evs_persist.h"
#include "persist_private.h"
#include "unit_case.h"

static char jdir[64];
static char doc_path[128], jpath[160], npath[160];

static void jsetup(void)
{
	strcpy(jdir, "/tmp/evsjournal-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(jdir));
	snprintf(doc_path, sizeof(doc_path), "%s/cfg.json", jdir);
	snprintf(jpath, sizeof(jpath), "%s" EVS_JOURNAL_SUFFIX, doc_path);
	snprintf(npath, sizeof(npath), "%s" EVS_JOURNAL_NEXT_SUFFIX, doc_path);
	evs_persist_set_test_hook(NULL, NULL);
}

static void jteardown(void)
{
	DIR *d = opendir(jdir);
	struct dirent *e;
	char p[400];

	evs_persist_set_test_hook(NULL, NULL);
	while (d != NULL && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(p, sizeof(p), "%s/%s", jdir, e->d_name);
			unlink(p);
		}
	if (d != NULL)
		closedir(d);
	rmdir(jdir);
}

static char *slurp_path(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 16);
	size_t n = 0;

	ck_assert_ptr_nonnull(buf);
	if (f != NULL) {
		n = fread(buf, 1, (1 << 16) - 1, f);
		fclose(f);
	}
	if (len != NULL)
		*len = n;
	return buf;
}

static void spit(const char *path, const char *s, size_t len)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(s, 1, len, f), len);
	fclose(f);
}

static json_t *jl(const char *s)
{
	json_t *v = json_loads(s, 0, NULL);

	ck_assert_ptr_nonnull(v);
	return v;
}

/* A record array whose content is just a number. */
static json_t *rec(int i)
{
	return json_pack("[{s:s, s:s, s:{s:i}}]", "op", "add", "type", "t", "new", "i", i);
}

struct dlog {
	int n;
	int rc[64];
};

static void on_done(int rc, void *arg)
{
	struct dlog *d = arg;

	d->rc[d->n++] = rc;
}

static struct evs_journal *jopen(size_t compact)
{
	struct evs_journal_config c = {
	    .path = doc_path, .opts = {.keep_prev = true}, .compact_bytes = compact};
	json_t *doc = jl("{\"a\":[1]}");
	struct evs_journal *j = evs_journal_open(&c, doc, false, 1);

	json_decref(doc);
	ck_assert_ptr_nonnull(j);
	return j;
}

static void submit_n(struct evs_journal *j, int from, int to, struct dlog *d)
{
	int i;

	for (i = from; i < to; i++) {
		json_t *r = rec(i);

		ck_assert_int_eq(evs_journal_submit(j, (uint64_t)i + 2, r, NULL, on_done, d), 0);
		json_decref(r);
	}
}

/* Load and check: the document and the numbers of the lines. */
static void expect_load(const char *doc, int first, int n)
{
	struct evs_journal_load_info info;
	json_t *d = NULL, *lines = NULL, *want = jl(doc);
	int i;

	ck_assert_int_eq(evs_journal_load(doc_path, NULL, NULL, &d, &lines, &info), 0);
	ck_assert_msg(json_equal(d, want), "document differs");
	ck_assert_int_eq(json_array_size(lines), n);
	for (i = 0; i < n; i++) {
		json_t *r = rec(first + i);

		ck_assert(json_equal(json_array_get(lines, (size_t)i), r));
		json_decref(r);
	}
	json_decref(want);
	json_decref(d);
	json_decref(lines);
}

START_TEST(journal_lines_replay_in_order)
{
	struct evs_journal *j = jopen(0);
	struct dlog d = {0};

	submit_n(j, 0, 5, &d);
	evs_journal_drain(j);
	ck_assert_int_eq(d.n, 5);
	ck_assert_int_eq(d.rc[4], 0);
	expect_load("{\"a\":[1]}", 0, 5);
	evs_journal_close(j, NULL);
	expect_load("{\"a\":[1]}", 0, 5); /* without a final document: both kept */
}
END_TEST

/* Holds the first @step on a file whose name has @part until the test
 * lets it go. */
struct gate {
	sem_t entered, go;
	int seen;
	enum evs_persist_step step;
	const char *part;
};

static int gate_hook(enum evs_persist_step step, const char *name, void *arg)
{
	struct gate *g = arg;

	if (step == g->step && strstr(name, g->part) != NULL && g->seen++ == 0) {
		sem_post(&g->entered);
		sem_wait(&g->go);
	}
	return 0;
}

/* The first append blocks on the disk; the lines queued meanwhile go out
 * in one write and one fdatasync. */

START_TEST(journal_group_commit)
{
	struct evs_journal *j = jopen(0);
	struct evs_journal_stats st;
	struct gate g = {.step = EVS_PERSIST_STEP_FSYNC, .part = EVS_JOURNAL_SUFFIX};
	struct dlog d = {0};

	sem_init(&g.entered, 0, 0);
	sem_init(&g.go, 0, 0);
	evs_persist_set_test_hook(gate_hook, &g);
	submit_n(j, 0, 1, &d);
	sem_wait(&g.entered);
	submit_n(j, 1, 20, &d);
	ck_assert_int_eq(evs_journal_poll(j), 0); /* nothing durable yet */
	sem_post(&g.go);
	evs_journal_drain(j);
	ck_assert_int_eq(d.n, 20);
	ck_assert_int_eq(evs_journal_stats_get(j, &st), 0);
	ck_assert_uint_eq(st.appends, 2);
	ck_assert_uint_eq(st.lines, 20);
	evs_persist_set_test_hook(NULL, NULL);
	evs_journal_close(j, NULL);
	expect_load("{\"a\":[1]}", 0, 20);
	sem_destroy(&g.entered);
	sem_destroy(&g.go);
}
END_TEST

/* The writer calls the wake hook once completions are ready, so that the
 * management loop can sleep until then; poll then finds them at once. */
static void count_wake(void *arg)
{
	__atomic_add_fetch((int *)arg, 1, __ATOMIC_SEQ_CST);
}

START_TEST(journal_wakes_the_loop)
{
	int wakes = 0, i;
	struct evs_journal_config c = {
	    .path = doc_path, .opts = {.keep_prev = true}, .wake = count_wake, .wake_arg = &wakes};
	json_t *doc = jl("{\"a\":[1]}");
	struct evs_journal *j = evs_journal_open(&c, doc, false, 1);
	struct dlog d = {0};

	json_decref(doc);
	ck_assert_ptr_nonnull(j);
	submit_n(j, 0, 1, &d);
	for (i = 0; i < 5000 && __atomic_load_n(&wakes, __ATOMIC_SEQ_CST) == 0; i++)
		usleep(1000);
	ck_assert_int_ge(wakes, 1);
	ck_assert_int_eq(evs_journal_poll(j), 1); /* ready when woken */
	ck_assert_int_eq(d.n, 1);
	ck_assert_int_eq(d.rc[0], 0);
	evs_journal_close(j, NULL);
}
END_TEST

START_TEST(journal_torn_last_line_ignored)
{
	struct evs_journal_load_info info;
	struct evs_journal *j = jopen(0);
	struct dlog d = {0};
	json_t *doc, *lines;
	size_t len;
	char *s;

	submit_n(j, 0, 3, &d);
	evs_journal_close(j, NULL);
	s = slurp_path(jpath, &len);
	spit(jpath, s, len - 7); /* the last line cut short */
	ck_assert_int_eq(evs_journal_load(doc_path, NULL, NULL, &doc, &lines, &info), 0);
	ck_assert(info.torn);
	ck_assert_int_eq(json_array_size(lines), 2);
	json_decref(doc);
	json_decref(lines);
	free(s);
}
END_TEST

START_TEST(journal_damaged_middle_line_refused)
{
	struct evs_journal_load_info info;
	struct evs_journal *j = jopen(0);
	struct dlog d = {0};
	json_t *doc = NULL, *lines = NULL;
	size_t len;
	char *s, *t, *after;

	submit_n(j, 0, 3, &d);
	evs_journal_close(j, NULL);
	s = slurp_path(jpath, &len);
	t = strstr(s, "{\"i\":1}");
	ck_assert_ptr_nonnull(t);
	t[5] = '7'; /* line 3 of 4: the checksum no longer matches */
	spit(jpath, s, len);
	ck_assert_int_eq(evs_journal_load(doc_path, NULL, NULL, &doc, &lines, &info), -EBADMSG);
	ck_assert_ptr_null(doc);
	ck_assert_ptr_nonnull(strstr(info.doc.error, "damaged at line 3"));
	after = slurp_path(jpath, NULL);
	ck_assert_str_eq(after, s); /* left as it was */
	free(after);
	free(s);
}
END_TEST

/* A write that stops short (disk full), or an fsync that fails. */
struct fail_at {
	enum evs_persist_step step;
	int rc;
	int times;
};

static int fail_hook(enum evs_persist_step step, const char *name, void *arg)
{
	struct fail_at *f = arg;

	if (step == f->step && strstr(name, EVS_JOURNAL_SUFFIX) != NULL && f->times > 0) {
		f->times--;
		return f->rc;
	}
	return 0;
}

static void append_failure(enum evs_persist_step step, int rc, int want)
{
	struct evs_journal *j = jopen(0);
	struct fail_at f = {.step = step, .rc = rc, .times = 1};
	struct dlog d = {0};

	submit_n(j, 0, 2, &d);
	evs_journal_drain(j);
	evs_persist_set_test_hook(fail_hook, &f);
	submit_n(j, 2, 3, &d);
	evs_journal_drain(j);
	ck_assert_int_eq(d.rc[2], want);
	/* Until the caller recovers, its later submissions fail too. */
	submit_n(j, 3, 4, &d);
	evs_journal_drain(j);
	ck_assert_int_eq(d.rc[3], want);
	evs_journal_recover(j);
	submit_n(j, 4, 6, &d);
	evs_journal_drain(j);
	ck_assert_int_eq(d.rc[4], 0);
	ck_assert_int_eq(d.rc[5], 0);
	evs_persist_set_test_hook(NULL, NULL);
	evs_journal_close(j, NULL);
	/* 0, 1, then 4, 5: nothing of the failed ones, no partial line. */
	{
		struct evs_journal_load_info info;
		json_t *doc, *lines, *r4 = rec(4);

		ck_assert_int_eq(evs_journal_load(doc_path, NULL, NULL, &doc, &lines, &info), 0);
		ck_assert(!info.torn);
		ck_assert_int_eq(json_array_size(lines), 4);
		ck_assert(json_equal(json_array_get(lines, 2), r4));
		json_decref(r4);
		json_decref(doc);
		json_decref(lines);
	}
}

START_TEST(journal_short_write_fails_and_is_cut_back)
{
	append_failure(EVS_PERSIST_STEP_WRITE, 10, -ENOSPC);
}
END_TEST

START_TEST(journal_fsync_failure_fails)
{
	append_failure(EVS_PERSIST_STEP_FSYNC, -EIO, -EIO);
}
END_TEST

START_TEST(journal_compaction)
{
	struct evs_journal *j = jopen(64);
	struct evs_journal_stats st;
	struct dlog d = {0};
	json_t *snap = jl("{\"a\":[1,2,3]}"), *r;
	int i;

	submit_n(j, 0, 3, &d);
	evs_journal_drain(j);
	ck_assert(evs_journal_wants_snapshot(j));
	r = rec(3);
	ck_assert_int_eq(evs_journal_submit(j, 5, r, snap, on_done, &d), 0);
	ck_assert(!evs_journal_wants_snapshot(j)); /* one on its way */
	json_decref(r);
	submit_n(j, 4, 5, &d); /* may share the batch: stays in the new journal */
	evs_journal_drain(j);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(d.rc[i], 0);
	ck_assert_int_eq(evs_journal_stats_get(j, &st), 0);
	ck_assert_uint_eq(st.compactions, 1);
	expect_load("{\"a\":[1,2,3]}", 4, 1);
	{
		char *prev = slurp_path(doc_path, NULL);
		char pp[200];

		free(prev);
		snprintf(pp, sizeof(pp), "%s" EVS_PERSIST_PREV_SUFFIX, doc_path);
		prev = slurp_path(pp, NULL);
		ck_assert_ptr_nonnull(strstr(prev, "1")); /* the document before */
		free(prev);
	}
	json_decref(snap);
	evs_journal_close(j, NULL);
}
END_TEST

/* A change that carries the compaction's snapshot is answered once its line
 * is durable, not after the whole document is written: the compaction is
 * held at its first file while the answer must arrive; a change submitted
 * meanwhile waits for it and lands in the new journal. */
START_TEST(journal_compaction_off_the_answer)
{
	struct evs_journal *j = jopen(64);
	struct evs_journal_stats st;
	struct gate g = {.step = EVS_PERSIST_STEP_OPEN, .part = EVS_JOURNAL_NEXT_SUFFIX};
	struct dlog d = {0};
	json_t *snap = jl("{\"a\":[1,2,3]}"), *r;
	int i;

	sem_init(&g.entered, 0, 0);
	sem_init(&g.go, 0, 0);
	submit_n(j, 0, 3, &d);
	evs_journal_drain(j);
	ck_assert(evs_journal_wants_snapshot(j));
	evs_persist_set_test_hook(gate_hook, &g);
	r = rec(3);
	ck_assert_int_eq(evs_journal_submit(j, 5, r, snap, on_done, &d), 0);
	json_decref(r);
	sem_wait(&g.entered); /* the compaction has begun and waits */
	for (i = 0; i < 5000 && d.n < 4; i++) {
		evs_journal_poll(j);
		usleep(1000);
	}
	ck_assert_int_eq(d.n, 4);
	ck_assert_int_eq(d.rc[3], 0);
	ck_assert_int_eq(evs_journal_stats_get(j, &st), 0);
	ck_assert_uint_eq(st.compactions, 0);
	submit_n(j, 4, 5, &d);
	usleep(20000);
	ck_assert_int_eq(evs_journal_poll(j), 0); /* behind the compaction */
	sem_post(&g.go);
	evs_journal_drain(j);
	ck_assert_int_eq(d.n, 5);
	ck_assert_int_eq(d.rc[4], 0);
	ck_assert_int_eq(evs_journal_stats_get(j, &st), 0);
	ck_assert_uint_eq(st.compactions, 1);
	ck_assert_uint_eq(st.failures, 0);
	evs_persist_set_test_hook(NULL, NULL);
	evs_journal_close(j, NULL);
	expect_load("{\"a\":[1,2,3]}", 4, 1);
	json_decref(snap);
	sem_destroy(&g.entered);
	sem_destroy(&g.go);
}
END_TEST

/* While the snapshot is serialised (held here), changes go on being
 * appended and answered; the new journal carries every one of them. */
START_TEST(journal_appends_go_on_while_serialising)
{
	struct evs_journal *j = jopen(64);
	struct evs_journal_stats st;
	struct gate g = {.step = EVS_PERSIST_STEP_SERIALISE, .part = ""};
	struct dlog d = {0};
	json_t *snap = jl("{\"a\":[7]}"), *r;
	int i, k;

	sem_init(&g.entered, 0, 0);
	sem_init(&g.go, 0, 0);
	submit_n(j, 0, 3, &d);
	evs_journal_drain(j);
	evs_persist_set_test_hook(gate_hook, &g);
	r = rec(3);
	ck_assert_int_eq(evs_journal_submit(j, 5, r, snap, on_done, &d), 0);
	json_decref(r);
	sem_wait(&g.entered);
	for (k = 4; k < 12; k++) { /* one batch each: the tail spans batches */
		submit_n(j, k, k + 1, &d);
		for (i = 0; i < 5000 && d.n < k + 1; i++) {
			evs_journal_poll(j);
			usleep(1000);
		}
		ck_assert_int_eq(d.n, k + 1);
		ck_assert_int_eq(d.rc[k], 0);
	}
	ck_assert(!evs_journal_wants_snapshot(j)); /* one is on its way */
	ck_assert_int_eq(evs_journal_stats_get(j, &st), 0);
	ck_assert_uint_eq(st.compactions, 0);
	sem_post(&g.go);
	evs_journal_drain(j);
	ck_assert_int_eq(evs_journal_stats_get(j, &st), 0);
	ck_assert_uint_eq(st.compactions, 1);
	ck_assert_uint_eq(st.failures, 0);
	evs_persist_set_test_hook(NULL, NULL);
	evs_journal_close(j, NULL);
	expect_load("{\"a\":[7]}", 4, 8);
	json_decref(snap);
	sem_destroy(&g.entered);
	sem_destroy(&g.go);
}
END_TEST

/* A snapshot taken apart from any change (built in steps by the daemon)
 * compacts in the background; the changes after it stay in the journal. */
START_TEST(journal_background_compaction)
{
	struct evs_journal *j = jopen(64);
	struct evs_journal_stats st;
	struct dlog d = {0};
	json_t *snap = jl("{\"a\":[5]}");

	submit_n(j, 0, 3, &d);
	evs_journal_drain(j);
	ck_assert(evs_journal_wants_snapshot(j));
	ck_assert_int_eq(evs_journal_compact(j, 4, NULL, NULL, NULL), -EINVAL);
	ck_assert_int_eq(evs_journal_compact(j, 4, snap, on_done, &d), 0);
	ck_assert(!evs_journal_wants_snapshot(j));
	submit_n(j, 3, 5, &d);
	evs_journal_drain(j);
	ck_assert_int_eq(d.n, 6); /* the snapshot's "queued" too */
	ck_assert_int_eq(d.rc[3] | d.rc[4] | d.rc[5], 0);
	ck_assert_int_eq(evs_journal_stats_get(j, &st), 0);
	ck_assert_uint_eq(st.compactions, 1);
	evs_journal_close(j, NULL);
	expect_load("{\"a\":[5]}", 3, 2);
	json_decref(snap);
}
END_TEST

/* Stopped between the document's rename and the journal's: the load finishes. */
static int rename_hook(enum evs_persist_step step, const char *name, void *arg)
{
	int *n = arg;

	/* The first rename of ".next" is its own temp file's; the second puts
	 * it over the journal. */
	if (step == EVS_PERSIST_STEP_RENAME && strstr(name, EVS_JOURNAL_NEXT_SUFFIX) != NULL)
		return ++*n == 2 ? -EIO : 0;
	return 0;
}

START_TEST(journal_interrupted_compaction_finished_at_load)
{
	struct evs_journal_load_info info;
	struct evs_journal *j = jopen(1);
	struct dlog d = {0};
	json_t *snap = jl("{\"a\":[9]}"), *doc, *lines;
	int renames = 0;

	submit_n(j, 0, 2, &d);
	evs_journal_drain(j);
	evs_persist_set_test_hook(rename_hook, &renames);
	ck_assert_int_eq(evs_journal_submit(j, 9, NULL, snap, on_done, &d), 0);
	evs_journal_drain(j);
	ck_assert_int_eq(d.rc[2], -EIO); /* the snapshot was the change: it fails */
	evs_journal_recover(j);
	submit_n(j, 2, 3, &d); /* the journal is broken now: refused, not lost */
	evs_journal_drain(j);
	ck_assert_int_lt(d.rc[3], 0);
	evs_persist_set_test_hook(NULL, NULL);
	evs_journal_close(j, NULL);
	ck_assert_int_eq(access(npath, F_OK), 0);
	ck_assert_int_eq(evs_journal_load(doc_path, NULL, NULL, &doc, &lines, &info), 0);
	ck_assert(info.finished_next);
	ck_assert_int_eq(json_array_size(lines), 0);
	ck_assert(json_equal(doc, snap));
	ck_assert_int_ne(access(npath, F_OK), 0);
	json_decref(doc);
	json_decref(lines);
	json_decref(snap);
}
END_TEST

START_TEST(journal_of_another_document_refused)
{
	struct evs_journal_load_info info;
	struct evs_journal *j = jopen(0);
	struct dlog d = {0};
	json_t *doc = NULL, *lines = NULL;

	submit_n(j, 0, 2, &d);
	evs_journal_close(j, NULL);
	spit(doc_path, "{\"a\":[2]}\n", 10); /* edited after an unclean stop */
	ck_assert_int_eq(evs_journal_load(doc_path, NULL, NULL, &doc, &lines, &info), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(info.doc.error, "another version"));
	ck_assert_int_eq(access(jpath, F_OK), 0);
}
END_TEST

START_TEST(journal_clean_close_leaves_the_document)
{
	struct evs_journal *j = jopen(0);
	struct dlog d = {0};
	json_t *fin = jl("{\"a\":[1,5]}");

	submit_n(j, 0, 2, &d);
	evs_journal_close(j, fin);
	ck_assert_int_ne(access(jpath, F_OK), 0);
	expect_load("{\"a\":[1,5]}", 0, 0);
	json_decref(fin);
}
END_TEST

/* --- the line writer against json_dumps --------------------------------- */

static uint64_t dump_rng = 0x9e3779b97f4a7c15ull;

static uint32_t dump_rand(uint32_t n)
{
	dump_rng ^= dump_rng << 13;
	dump_rng ^= dump_rng >> 7;
	dump_rng ^= dump_rng << 17;
	return (uint32_t)(dump_rng % n);
}

/* A string of escapes, control bytes, '/', DEL and 2- and 4-byte UTF-8. */
static void rand_text(char *buf, size_t cap, size_t *len)
{
	static const char *const atoms[] = {"a",
					    "Z",
					    "0",
					    " ",
					    "\"",
					    "\\",
					    "/",
					    "\b",
					    "\f",
					    "\n",
					    "\r",
					    "\t",
					    "\x01",
					    "\x1f",
					    "\x7f",
					    "\xc3\xa9",
					    "\xf0\x9f\x98\x80",
					    ":",
					    ",",
					    "{"};
	size_t n = dump_rand(12), o = 0;

	while (n-- > 0) {
		const char *a = atoms[dump_rand((sizeof(atoms) / sizeof(atoms[0])))];
		size_t l = strlen(a);

		if (o + l >= cap)
			break;
		memcpy(buf + o, a, l);
		o += l;
	}
	buf[o] = '\0';
	*len = o;
}

static json_t *rand_json(unsigned int depth)
{
	static const json_int_t ints[] = {0, 1, -1, 42, INT64_MAX, INT64_MIN, -9007199254740993};
	static const double reals[] = {0.5, -2.25, 1e300, 3.0, -0.0, 1.0 / 3};
	char t[96];
	size_t n, i, l;
	json_t *v;

	switch (dump_rand(depth > 4 ? 6 : 8)) {
	case 0:
		return json_integer(ints[dump_rand((sizeof(ints) / sizeof(ints[0])))]);
	case 1:
		return json_real(reals[dump_rand((sizeof(reals) / sizeof(reals[0])))]);
	case 2:
		return dump_rand(2) ? json_true() : json_false();
	case 3:
		return json_null();
	case 4:
	case 5:
		rand_text(t, sizeof(t), &l);
		return json_stringn(t, l);
	case 6:
		v = json_array();
		for (n = dump_rand(5), i = 0; i < n; i++)
			json_array_append_new(v, rand_json(depth + 1));
		return v;
	default:
		v = json_object();
		for (n = dump_rand(5), i = 0; i < n; i++) {
			rand_text(t, sizeof(t), &l);
			json_object_set_new(v, t, rand_json(depth + 1));
		}
		return v;
	}
}

START_TEST(journal_dump_matches_jansson)
{
	struct persist_buf b = {0};
	json_t *deep, *inner;

	for (int k = 0; k < 3000; k++) {
		json_t *v = rand_json(0);
		char *want = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);

		ck_assert_ptr_nonnull(want);
		b.len = 0;
		ck_assert_int_eq(persist_dump_compact(&b, v), 0);
		ck_assert_msg(b.len == strlen(want) && memcmp(b.p, want, b.len) == 0,
			      "tree %d: got '%.*s', jansson '%s'", k, (int)b.len, b.p, want);
		free(want);
		/* the persisted document's layout */
		want = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
		b.len = 0;
		ck_assert_int_eq(persist_dump(&b, v, 2), 0);
		ck_assert_msg(b.len == strlen(want) && memcmp(b.p, want, b.len) == 0,
			      "tree %d indented: got '%.*s', jansson '%s'", k, (int)b.len, b.p,
			      want);
		free(want);
		json_decref(v);
	}
	{
		json_t *doc = json_pack("{s:[{s:s,s:i},{}],s:[],s:{}}", "macs", "mac", "02:00", "n",
					1, "none", "empty");
		char *want = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER), *got;
		size_t len;

		got = evs_persist_doc_dump(doc, &len);
		ck_assert_uint_eq(len, strlen(want) + 1);
		ck_assert_int_eq(memcmp(got, want, len - 1), 0);
		ck_assert_int_eq(got[len - 1], '\n');
		ck_assert_int_eq(got[len], '\0');
		free(got);
		free(want);
		json_decref(doc);
	}
	/* deeper than the parser allows: refused, nothing written */
	deep = inner = json_array();
	for (int k = 0; k < 3000; k++) {
		json_t *a = json_array();

		json_array_append_new(inner, a);
		inner = a;
	}
	b.len = 3;
	ck_assert_int_eq(persist_dump_compact(&b, deep), -ELOOP);
	ck_assert_uint_eq(b.len, 3);
	json_decref(deep);
	persist_buf_free(&b);
}
END_TEST

/* Random compact records: every op, names that need escaping, absent and
 * null values. */
static struct evs_recs *rand_recs(size_t n)
{
	static const char *const names[] = {"mac", "lb.vip", "a\"b\\c", "access"};
	struct evs_recs *rs = evs_recs_new();

	ck_assert_ptr_nonnull(rs);
	for (size_t i = 0; i < n; i++) {
		enum evs_rec_op op = (enum evs_rec_op)dump_rand(4);
		json_t *o = op == EVS_REC_ADD || (op == EVS_REC_SECTION && dump_rand(2))
				? NULL
				: rand_json(1);
		json_t *v = op == EVS_REC_DEL || (op == EVS_REC_SECTION && dump_rand(2))
				? NULL
				: rand_json(1);

		ck_assert_int_eq(evs_recs_push(rs, op, names[dump_rand(4)], o, v), 0);
		json_decref(o); /* the records hold their own references */
		json_decref(v);
	}
	return rs;
}

/* The journal's line from compact records is the line the JSON records
 * make, byte for byte; the list holds and lets go of its references. */
START_TEST(journal_recs_dump_matches_json)
{
	struct persist_buf b = {0}, want = {0};

	for (int k = 0; k < 500; k++) {
		struct evs_recs *rs = rand_recs(dump_rand(8));
		json_t *arr = evs_recs_json(rs);
		char *jd = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER);

		ck_assert_ptr_nonnull(arr);
		b.len = want.len = 0;
		ck_assert_int_eq(persist_dump_recs(&b, rs), 0);
		ck_assert_int_eq(persist_dump_compact(&want, arr), 0);
		ck_assert_msg(b.len == want.len && memcmp(b.p, want.p, b.len) == 0,
			      "records %d: got '%.*s', want '%.*s'", k, (int)b.len, b.p,
			      (int)want.len, want.p);
		ck_assert_msg(strlen(jd) == b.len && memcmp(jd, b.p, b.len) == 0,
			      "records %d differ from json_dumps", k);
		free(jd);
		json_decref(arr);
		evs_recs_unref(rs);
	}
	{
		json_t *v = json_pack("{s:s}", "mac", "02:00:00:00:00:01");
		struct evs_recs *rs = evs_recs_new(), *r2;

		for (int i = 0; i < 100; i++)
			ck_assert_int_eq(evs_recs_push(rs, EVS_REC_SET, "mac", v, v), 0);
		ck_assert_int_eq(v->refcount, 201);
		r2 = evs_recs_ref(rs);
		ck_assert(!evs_recs_sole(rs));
		evs_recs_unref(r2);
		ck_assert(evs_recs_sole(rs));
		ck_assert(!evs_recs_release_step(rs, 30));
		ck_assert_int_eq(v->refcount, 141);
		ck_assert(evs_recs_release_step(rs, 1000));
		ck_assert_int_eq(v->refcount, 1);
		evs_recs_unref(rs);
		ck_assert_int_eq(v->refcount, 1);
		json_decref(v);
	}
	persist_buf_free(&b);
	persist_buf_free(&want);
}
END_TEST

/* A line submitted as compact records loads as the JSON records. */
START_TEST(journal_recs_line_replays)
{
	struct evs_journal *j = jopen(0);
	struct evs_journal_load_info info;
	json_t *d = NULL, *lines = NULL, *want;
	struct dlog dl = {0};
	struct evs_recs *rs = rand_recs(50);

	want = evs_recs_json(rs);
	ck_assert_int_eq(evs_journal_submit_recs(j, 2, rs, NULL, on_done, &dl), 0);
	evs_recs_unref(rs); /* the journal holds its own reference */
	evs_journal_drain(j);
	ck_assert_int_eq(dl.n, 1);
	ck_assert_int_eq(dl.rc[0], 0);
	ck_assert_int_eq(evs_journal_load(doc_path, NULL, NULL, &d, &lines, &info), 0);
	ck_assert_int_eq(json_array_size(lines), 1);
	ck_assert(json_equal(json_array_get(lines, 0), want));
	json_decref(want);
	json_decref(d);
	json_decref(lines);
	evs_journal_close(j, NULL);
}
END_TEST

void journal_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"journal_lines_replay_in_order", journal_lines_replay_in_order},
	    {"journal_group_commit", journal_group_commit},
	    {"journal_wakes_the_loop", journal_wakes_the_loop},
	    {"journal_torn_last_line_ignored", journal_torn_last_line_ignored},
	    {"journal_damaged_middle_line_refused", journal_damaged_middle_line_refused},
	    {"journal_short_write_fails_and_is_cut_back",
	     journal_short_write_fails_and_is_cut_back},
	    {"journal_fsync_failure_fails", journal_fsync_failure_fails},
	    {"journal_compaction", journal_compaction},
	    {"journal_compaction_off_the_answer", journal_compaction_off_the_answer},
	    {"journal_appends_go_on_while_serialising", journal_appends_go_on_while_serialising},
	    {"journal_background_compaction", journal_background_compaction},
	    {"journal_interrupted_compaction_finished_at_load",
	     journal_interrupted_compaction_finished_at_load},
	    {"journal_of_another_document_refused", journal_of_another_document_refused},
	    {"journal_clean_close_leaves_the_document", journal_clean_close_leaves_the_document},
	    {"journal_dump_matches_jansson", journal_dump_matches_jansson},
	    {"journal_recs_dump_matches_json", journal_recs_dump_matches_json},
	    {"journal_recs_line_replays", journal_recs_line_replays},
	};

	unit_add_cases(s, cases, sizeof(cases) / sizeof(cases[0]), jsetup, jteardown, 0);
}
