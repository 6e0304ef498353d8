/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Secret fields (doc/store.md, "Secret fields"): declarations, the value
 * hidden from everything that leaves the store, "<set>" keeping a value,
 * the 0600 secrets file written once per transaction and read back at a
 * restart, and a failed write failing the transaction.
 */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl_test.h"
#include "evs_persist.h"
#include "evs_recs.h"
#include "store_test.h"
#include "unit_case.h"
#include "unit_store.h"

#define KEY1 "00112233445566778899aabbccddeeff"
#define KEY2 "ffeeddccbbaa99887766554433221100"

/* What the sa type's prepare hook saw last: the hooks get real values. */
static char seen_key[128];
static int prepares;

static int sa_prepare(struct evs_store *st, const struct evs_store_delta *d, size_t n,
		      struct evs_ctl_err *err, void *ctx)
{
	const json_t *k =
	    d[n - 1].new != NULL ? evs_store_field(st, "sa", d[n - 1].new, "key") : NULL;

	(void)err;
	(void)ctx;
	prepares++;
	snprintf(seen_key, sizeof(seen_key), "%s", k != NULL ? json_string_value(k) : "");
	return 0;
}

static const struct evs_store_ops sa_ops = {.prepare = sa_prepare};

static const struct evs_ctl_param sa_fields[] = {
    {.name = "name", .type = EVS_CTL_T_STRING, .required = true, .max_len = 31},
    {.name = "spi", .type = EVS_CTL_T_UINT, .required = true, .min = 256, .max = 65535},
    {.name = "key",
     .type = EVS_CTL_T_STRING,
     .required = true,
     .min_len = 32,
     .max_len = 64,
     .secret = true},
    {.name = "auth", .type = EVS_CTL_T_STRING, .min_len = 8, .max_len = 64, .secret = true},
};
static const char *const sa_keys[] = {"name", NULL};
static const struct evs_obj_type sa_type = {.name = "sa",
					    .section = "sas",
					    .help = "a test security association",
					    .fields = sa_fields,
					    .n_fields = 4,
					    .keys = sa_keys,
					    .ops = &sa_ops};

static struct evs_store *sa_store(struct evs_secrets *sec)
{
	struct evs_store *st = evs_store_create();

	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(evs_store_type_add(st, &sa_type, NULL), 0);
	evs_store_secrets_attach(st, sec);
	evs_store_record_changes(st, true);
	return st;
}

/* One transaction of one op on @st; 0 or its -errno (@err filled). */
static int op(struct evs_store *st, enum evs_store_op o, const char *json, struct evs_ctl_err *err)
{
	return unit_store_op(st, o, "sa", json, err);
}

static int apply_doc(struct evs_store *st, const json_t *doc, struct evs_ctl_err *err)
{
	struct evs_store_txn *txn = evs_store_txn_begin(st);
	int rc = evs_store_txn_doc(txn, doc, "/params/config", err);

	if (rc < 0) {
		evs_store_txn_abort(txn);
		return rc;
	}
	return evs_store_txn_commit(txn, err);
}

static const char *field_of(const json_t *v, const char *f)
{
	return json_string_value(json_object_get(v, f));
}

/* Does the text @s contain @needle? */
static bool has(const char *s, const char *needle)
{
	return s != NULL && strstr(s, needle) != NULL;
}

static char *dumps(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT);

	ck_assert_ptr_nonnull(s);
	return s;
}

/* The compact records' public copy says what the JSON one says. */
static void recs_public_agree(struct evs_store *st)
{
	json_t *pub = evs_store_records_public(st, evs_store_last_records(st)), *cj;
	struct evs_recs *rp = evs_store_recs_public(st, evs_store_last_recs(st));

	ck_assert_ptr_nonnull(pub);
	ck_assert_ptr_nonnull(rp);
	cj = evs_recs_json(rp);
	ck_assert(json_equal(cj, pub));
	json_decref(cj);
	json_decref(pub);
	evs_recs_unref(rp);
}

START_TEST(secret_declarations_checked)
{
	static const struct evs_ctl_param inner[] = {
	    {.name = "k", .type = EVS_CTL_T_STRING, .secret = true}};
	struct evs_ctl_param f[3] = {
	    {.name = "name", .type = EVS_CTL_T_STRING, .required = true},
	    {.name = "x", .type = EVS_CTL_T_STRING, .secret = true},
	    {.name = "y", .type = EVS_CTL_T_UINT},
	};
	static const char *const keys[] = {"name", NULL};
	static const struct evs_store_ref ref = {.field = "x", .type = "sa"};
	struct evs_obj_type t = {
	    .name = "t", .section = "ts", .fields = f, .n_fields = 3, .keys = keys};
	struct evs_store *st = sa_store(NULL);

	/* secret on a uint */
	f[2].secret = true;
	ck_assert_int_eq(evs_store_type_add(st, &t, NULL), -EINVAL);
	f[2].secret = false;
	/* secret key */
	f[0].secret = true;
	ck_assert_int_eq(evs_store_type_add(st, &t, NULL), -EINVAL);
	f[0].secret = false;
	/* secret reference */
	t.refs = &ref;
	t.n_refs = 1;
	ck_assert_int_eq(evs_store_type_add(st, &t, NULL), -EINVAL);
	t.refs = NULL;
	t.n_refs = 0;
	/* secret with a default */
	t.defaults = "{\"x\": \"abc\"}";
	ck_assert_int_eq(evs_store_type_add(st, &t, NULL), -EINVAL);
	t.defaults = NULL;
	/* secret inside an object field */
	f[2] = (struct evs_ctl_param){
	    .name = "y", .type = EVS_CTL_T_OBJECT, .fields = inner, .n_fields = 1};
	ck_assert_int_eq(evs_store_type_add(st, &t, NULL), -EINVAL);
	f[2] = (struct evs_ctl_param){.name = "y", .type = EVS_CTL_T_UINT};
	/* and the valid one */
	ck_assert_int_eq(evs_store_type_add(st, &t, NULL), 0);
	evs_store_free(st);
}
END_TEST

START_TEST(secret_hidden_outside_the_store)
{
	struct evs_ctl_err err = {0};
	struct evs_store *st = sa_store(NULL);
	json_t *doc, *pub;
	char *s;

	ck_assert_int_eq(
	    op(st, EVS_STORE_ADD,
	       "{\"name\":\"a\",\"spi\":300,\"key\":\"" KEY1 "\",\"auth\":\"sekrit99\"}", &err),
	    0);
	ck_assert_str_eq(seen_key, KEY1); /* the hook has the real value */
	ck_assert_str_eq(
	    json_string_value(evs_store_field(
		st, "sa", evs_store_obj_value(evs_store_lookup_str(st, "sa", "a")), "key")),
	    KEY1);
	doc = evs_store_doc(st);
	s = dumps(doc);
	ck_assert_msg(!has(s, KEY1) && !has(s, "sekrit99"), "doc shows a secret: %s", s);
	ck_assert_str_eq(field_of(json_array_get(json_object_get(doc, "sas"), 0), "key"),
			 EVS_STORE_SECRET_SET);
	ck_assert_int_eq(json_integer_value(json_object_get(
			     json_array_get(json_object_get(doc, "sas"), 0), "spi")),
			 300);
	free(s);
	json_decref(doc);
	/* the records keep real values (for an undo); their public copy does not */
	s = dumps(evs_store_last_records(st));
	ck_assert(has(s, KEY1));
	free(s);
	recs_public_agree(st);
	pub = evs_store_records_public(st, evs_store_last_records(st));
	s = dumps(pub);
	ck_assert_msg(!has(s, KEY1) && !has(s, "sekrit99") && has(s, "\"spi\":300"), "%s", s);
	free(s);
	json_decref(pub);
	/* a set: both sides public */
	ck_assert_int_eq(op(st, EVS_STORE_SET, "{\"name\":\"a\",\"key\":\"" KEY2 "\"}", &err), 0);
	ck_assert_str_eq(seen_key, KEY2);
	recs_public_agree(st);
	pub = evs_store_records_public(st, evs_store_last_records(st));
	s = dumps(pub);
	ck_assert_msg(!has(s, KEY1) && !has(s, KEY2), "%s", s);
	free(s);
	json_decref(pub);
	/* a transaction of a type without secrets: its records are public as
	 * they are, not walked (a bulk apply's million) */
	{
		static const struct evs_ctl_param tag_fields[] = {
		    {.name = "name", .type = EVS_CTL_T_STRING, .required = true, .max_len = 31}};
		static const char *const tag_key[] = {"name", NULL};
		static const struct evs_obj_type tag_type = {.name = "tag",
							     .section = "tags",
							     .fields = tag_fields,
							     .n_fields = 1,
							     .keys = tag_key};
		struct evs_store *st2 = evs_store_create();
		struct evs_store_txn *txn;

		ck_assert_int_eq(evs_store_type_add(st2, &sa_type, NULL), 0);
		ck_assert_int_eq(evs_store_type_add(st2, &tag_type, NULL), 0);
		evs_store_record_changes(st2, true);
		evs_store_free(st);
		st = st2;
		ck_assert_int_eq(op(st, EVS_STORE_ADD,
				    "{\"name\":\"a\",\"spi\":300,\"key\":\"" KEY2 "\"}", &err),
				 0);
		txn = evs_store_txn_begin(st);
		ck_assert_int_eq(evs_store_txn_op(txn, EVS_STORE_ADD, "tag",
						  json_pack("{s:s}", "name", "t1"), "/p", &err),
				 0);
		ck_assert_int_eq(evs_store_txn_commit(txn, &err), 0);
		pub = evs_store_records_public(st, evs_store_last_records(st));
		ck_assert_ptr_eq(pub, evs_store_last_records(st));
		json_decref(pub);
		{
			struct evs_recs *rp = evs_store_recs_public(st, evs_store_last_recs(st));

			ck_assert_ptr_eq(rp, evs_store_last_recs(st)); /* not walked */
			evs_recs_unref(rp);
		}
		/* and one with a secret again: a public copy */
		ck_assert_int_eq(
		    op(st, EVS_STORE_SET, "{\"name\":\"a\",\"key\":\"" KEY1 "\"}", &err), 0);
		recs_public_agree(st);
		pub = evs_store_records_public(st, evs_store_last_records(st));
		ck_assert_ptr_ne(pub, evs_store_last_records(st));
		s = dumps(pub);
		ck_assert_msg(!has(s, KEY1) && !has(s, KEY2), "%s", s);
		free(s);
		json_decref(pub);
	}
	evs_store_free(st);
}
END_TEST

START_TEST(secret_placeholder_keeps_value)
{
	struct evs_ctl_err err = {0};
	struct evs_store *st = sa_store(NULL);
	uint64_t gen;
	json_t *doc;

	/* nothing to keep yet */
	ck_assert_int_eq(op(st, EVS_STORE_ADD,
			    "{\"name\":\"a\",\"spi\":300,\"key\":\"" EVS_STORE_SECRET_SET "\"}",
			    &err),
			 -EINVAL);
	ck_assert_int_eq(err.code, EVS_CTL_E_INVALID_PARAMS);
	ck_assert_str_eq(err.path, "/params/key");
	ck_assert_uint_eq(evs_store_count(st, "sa"), 0);
	ck_assert_int_eq(
	    op(st, EVS_STORE_ADD, "{\"name\":\"a\",\"spi\":300,\"key\":\"" KEY1 "\"}", &err), 0);
	gen = evs_store_generation(st);
	/* config.get's document applied again: no change */
	doc = evs_store_doc(st);
	ck_assert_int_eq(apply_doc(st, doc, &err), 0);
	ck_assert_uint_eq(evs_store_generation(st), gen);
	/* ... also with another field changed: the key stays */
	json_object_set_new(json_array_get(json_object_get(doc, "sas"), 0), "spi",
			    json_integer(301));
	ck_assert_int_eq(apply_doc(st, doc, &err), 0);
	ck_assert_uint_eq(evs_store_generation(st), gen + 1);
	ck_assert_str_eq(seen_key, KEY1);
	/* a set with "<set>" is no change */
	ck_assert_int_eq(op(st, EVS_STORE_SET, "{\"name\":\"a\",\"key\":\"<set>\"}", &err), 0);
	ck_assert_uint_eq(evs_store_generation(st), gen + 1);
	/* an optional secret never set cannot be kept */
	ck_assert_int_eq(op(st, EVS_STORE_SET, "{\"name\":\"a\",\"auth\":\"<set>\"}", &err),
			 -EINVAL);
	ck_assert_str_eq(err.path, "/params/auth");
	/* a document adding an object with "<set>" is refused at its item */
	json_array_append_new(json_object_get(doc, "sas"), json_pack("{s:s, s:i, s:s}", "name", "b",
								     "spi", 400, "key", "<set>"));
	ck_assert_int_eq(apply_doc(st, doc, &err), -EINVAL);
	ck_assert_str_eq(err.path, "/params/config/sas/1/key");
	ck_assert_uint_eq(evs_store_count(st, "sa"), 1);
	/* the placeholder is not itself validated: a short real value is */
	ck_assert_int_eq(op(st, EVS_STORE_SET, "{\"name\":\"a\",\"key\":\"abcd\"}", &err), -EINVAL);
	ck_assert_str_eq(err.path, "/params/key");
	json_decref(doc);
	evs_store_free(st);
}
END_TEST

struct secdir {
	char dir[64];
	char path[96];
};

static void secdir_make(struct secdir *d)
{
	snprintf(d->dir, sizeof(d->dir), "/tmp/evs-secrets.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d->dir));
	snprintf(d->path, sizeof(d->path), "%s/config.json.secrets", d->dir);
}

static void secdir_remove(struct secdir *d)
{
	unlink(d->path);
	rmdir(d->dir);
}

static char *file_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(buf);
	ck_assert(fread(buf, 1, 65535, f) > 0);
	fclose(f);
	return buf;
}

START_TEST(secret_file_written_and_restored)
{
	struct evs_ctl_err err = {0};
	struct evs_secrets *sec, *sec2;
	struct evs_store *st, *st2;
	struct secdir d;
	struct stat sb;
	json_t *doc, *recs;
	char *s;

	secdir_make(&d);
	sec = evs_secrets_open(d.path);
	ck_assert_ptr_nonnull(sec);
	st = sa_store(sec);
	ck_assert_int_eq(
	    op(st, EVS_STORE_ADD,
	       "{\"name\":\"a\",\"spi\":300,\"key\":\"" KEY1 "\",\"auth\":\"sekrit99\"}", &err),
	    0);
	ck_assert_int_eq(
	    op(st, EVS_STORE_ADD, "{\"name\":\"b\",\"spi\":301,\"key\":\"" KEY2 "\"}", &err), 0);
	ck_assert_uint_eq(evs_secrets_count(sec), 3);
	ck_assert_int_eq(stat(d.path, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);
	s = file_text(d.path);
	ck_assert_msg(has(s, "\"sa:a:key\"") && has(s, "\"sa:a:auth\"") && has(s, "\"sa:b:key\""),
		      "%s", s);
	free(s);
	/* an optional secret removed, an object deleted: their entries go */
	ck_assert_int_eq(op(st, EVS_STORE_SET, "{\"name\":\"a\",\"auth\":null}", &err), 0);
	ck_assert_int_eq(op(st, EVS_STORE_DEL, "{\"name\":\"b\"}", &err), 0);
	ck_assert_uint_eq(evs_secrets_count(sec), 1);
	/* a restart: the public document and records, the file */
	doc = evs_store_doc(st);
	ck_assert_int_eq(op(st, EVS_STORE_SET, "{\"name\":\"a\",\"key\":\"" KEY2 "\"}", &err), 0);
	recs = evs_store_records_public(st, evs_store_last_records(st));
	sec2 = evs_secrets_open(d.path);
	ck_assert_ptr_nonnull(sec2);
	st2 = sa_store(sec2);
	ck_assert_int_eq(apply_doc(st2, doc, &err), 0);
	{
		struct evs_store_txn *txn = evs_store_txn_begin(st2);

		ck_assert_int_eq(evs_store_txn_records(txn, recs, false, "/j", &err), 0);
		ck_assert_int_eq(evs_store_txn_commit(txn, &err), 0);
	}
	ck_assert_str_eq(json_string_value(json_object_get(
			     evs_store_obj_value(evs_store_lookup_str(st2, "sa", "a")), "key")),
			 KEY2);
	ck_assert_ptr_null(
	    json_object_get(evs_store_obj_value(evs_store_lookup_str(st2, "sa", "a")), "auth"));
	json_decref(recs);
	json_decref(doc);
	/* the daemon's rollback of a change that never reached the journal:
	 * its (real) records undone put the old value back, in the file too */
	{
		json_t *real = json_incref((json_t *)evs_store_last_records(st));
		struct evs_store_txn *txn = evs_store_txn_begin(st);
		uint8_t buf[64];
		size_t len;

		ck_assert_int_eq(evs_store_txn_records(txn, real, true, "/undo", &err), 0);
		ck_assert_int_eq(evs_store_txn_commit(txn, &err), 0);
		json_decref(real);
		ck_assert_str_eq(
		    json_string_value(json_object_get(
			evs_store_obj_value(evs_store_lookup_str(st, "sa", "a")), "key")),
		    KEY1);
		ck_assert_int_eq(evs_secret_get(sec, "sa:a:key", buf, sizeof(buf), &len), 0);
		ck_assert_int_eq(memcmp(buf, KEY1, 32), 0);
	}
	/* an object whose secret the file lacks is refused at load */
	doc = json_pack("{s:[{s:s, s:i, s:s}]}", "sas", "name", "zz", "spi", 999, "key", "<set>");
	evs_store_free(st2);
	st2 = sa_store(sec2);
	ck_assert_int_eq(apply_doc(st2, doc, &err), -EINVAL);
	ck_assert_str_eq(err.path, "/params/config/sas/0/key");
	json_decref(doc);
	evs_store_free(st2);
	evs_secrets_free(sec2);
	evs_store_free(st);
	evs_secrets_free(sec);
	secdir_remove(&d);
}
END_TEST

static int fail_rename(enum evs_persist_step step, const char *name, void *arg)
{
	(void)name;
	(void)arg;
	return step == EVS_PERSIST_STEP_RENAME ? -EIO : 0;
}

START_TEST(secret_write_failure_fails_transaction)
{
	struct evs_ctl_err err = {0};
	struct evs_secrets *sec;
	struct evs_store *st;
	struct secdir d;
	uint64_t gen;
	int before;

	secdir_make(&d);
	sec = evs_secrets_open(d.path);
	ck_assert_ptr_nonnull(sec);
	st = sa_store(sec);
	ck_assert_int_eq(
	    op(st, EVS_STORE_ADD, "{\"name\":\"a\",\"spi\":300,\"key\":\"" KEY1 "\"}", &err), 0);
	gen = evs_store_generation(st);
	before = prepares;
	evs_persist_set_test_hook(fail_rename, NULL);
	ck_assert_int_eq(op(st, EVS_STORE_SET, "{\"name\":\"a\",\"key\":\"" KEY2 "\"}", &err),
			 -EIO);
	evs_persist_set_test_hook(NULL, NULL);
	ck_assert_int_eq(err.code, evs_store_rpc_code(-EIO));
	ck_assert(has(err.message, "secrets file"));
	ck_assert_int_eq(prepares, before + 1); /* prepared, then aborted */
	ck_assert_uint_eq(evs_store_generation(st), gen);
	ck_assert_str_eq(json_string_value(json_object_get(
			     evs_store_obj_value(evs_store_lookup_str(st, "sa", "a")), "key")),
			 KEY1);
	{
		uint8_t buf[64];
		size_t len;

		ck_assert_int_eq(evs_secret_get(sec, "sa:a:key", buf, sizeof(buf), &len), 0);
		ck_assert_uint_eq(len, 32);
		ck_assert_int_eq(memcmp(buf, KEY1, 32), 0);
	}
	/* a batch of changes is one write, all of them or none */
	{
		const struct evs_secret_change c[] = {
		    {.name = "x", .value = "1", .len = 1},
		    {.name = "x", .value = "22", .len = 2},
		    {.name = "sa:a:key", .value = NULL},
		    {.name = "nope", .value = NULL},
		};
		uint8_t buf[8];
		size_t len;

		evs_persist_set_test_hook(fail_rename, NULL);
		ck_assert_int_eq(evs_secrets_update(sec, c, 4), -EIO);
		evs_persist_set_test_hook(NULL, NULL);
		ck_assert_uint_eq(evs_secrets_count(sec), 1);
		ck_assert_int_eq(evs_secrets_update(sec, c, 4), 0);
		ck_assert_uint_eq(evs_secrets_count(sec), 1);
		ck_assert_int_eq(evs_secret_get(sec, "x", buf, sizeof(buf), &len), 0);
		ck_assert_uint_eq(len, 2);
		ck_assert_int_eq(evs_secret_get(sec, "sa:a:key", buf, sizeof(buf), &len), -ENOENT);
	}
	evs_store_free(st);
	evs_secrets_free(sec);
	secdir_remove(&d);
}
END_TEST

/* Through the socket: config.get, sa.get, sa.list, schema. */
START_TEST(secret_hidden_from_methods)
{
	struct srv srv;
	struct conn c;
	struct evs_store *st = sa_store(NULL);
	struct evs_store_ctl_config cfg = {.store = st};
	json_t *r;
	char *s;

	srv_start(&srv, NULL);
	ck_assert_int_eq(evs_store_ctl_register(srv.ctl, &cfg), 0);
	conn_open(&srv, &c);
	json_decref(rpc_result(&srv, &c,
			       "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"sa.add\",\"params\":{"
			       "\"name\":\"a\",\"spi\":300,"
			       "\"key\":\"" KEY1 "\"}}"));
	r = rpc(&srv, &c, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"config.get\"}");
	s = dumps(r);
	ck_assert_msg(!has(s, KEY1) && has(s, "<set>"), "%s", s);
	free(s);
	json_decref(r);
	r = rpc(&srv, &c,
		"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"sa.get\",\"params\":{\"name\":\"a\"}}");
	s = dumps(r);
	ck_assert_msg(!has(s, KEY1) && has(s, "<set>"), "%s", s);
	free(s);
	json_decref(r);
	r = rpc(&srv, &c, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"sa.list\"}");
	s = dumps(r);
	ck_assert_msg(!has(s, KEY1) && has(s, "<set>"), "%s", s);
	free(s);
	json_decref(r);
	rpc_error(&srv, &c,
		  "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"sa.list\",\"params\":{\"where\":{"
		  "\"key\":\"" KEY1 "\"}}}",
		  EVS_CTL_E_INVALID_PARAMS, "/params/where/key");
	r = rpc_result(
	    &srv, &c,
	    "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"schema\",\"params\":{\"type\":\"sa\"}}");
	s = dumps(r);
	ck_assert_msg(has(s, "\"secret\":true"), "%s", s);
	free(s);
	json_decref(r);
	/* the same document back: nothing changes */
	r = rpc_result(
	    &srv, &c,
	    "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"config.apply\",\"params\":{\"config\":"
	    "{\"sas\":[{\"name\":\"a\",\"spi\":300,\"key\":\"<set>\"}]}}}");
	ck_assert_int_eq(json_integer_value(json_object_get(r, "changed")), 0);
	json_decref(r);
	conn_close(&c);
	srv_stop(&srv);
	evs_store_free(st);
}
END_TEST

void store_secrets_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"secret_declarations_checked", secret_declarations_checked},
	    {"secret_hidden_outside_the_store", secret_hidden_outside_the_store},
	    {"secret_placeholder_keeps_value", secret_placeholder_keeps_value},
	    {"secret_file_written_and_restored", secret_file_written_and_restored},
	    {"secret_write_failure_fails_transaction", secret_write_failure_fails_transaction},
	    {"secret_hidden_from_methods", secret_hidden_from_methods},
	};

	unit_add_cases(s, cases, sizeof(cases) / sizeof(cases[0]), NULL, NULL, 0);
}
