/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control socket tests, client side: edgevsctl's request building and
 * printing, the client API and the edgevsctl binary against a server polled
 * by a thread. Part of the ctl suite (main in test_ctl.c).
 */

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl_test.h"
#include "unit_case.h"

/* ------------------------------------------------------------------ */
/* Client side: edgevsctl's request building and printing              */
/* ------------------------------------------------------------------ */

static json_t *cli(const char *expect_method, const json_t *base, int argc, ...)
{
	char *argv[16], *method, err[256];
	json_t *params;
	va_list ap;
	int i;

	va_start(ap, argc);
	for (i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	ck_assert_msg(evs_ctl_cli_request(argc, argv, base, &method, &params, err, sizeof(err)) ==
			  0,
		      "cli_request: %s", err);
	ck_assert_str_eq(method, expect_method);
	free(method);
	return params;
}

static void cli_fails(const char *needle, int argc, ...)
{
	char *argv[16], *method = NULL, err[256] = "";
	json_t *params = NULL;
	va_list ap;
	int i;

	va_start(ap, argc);
	for (i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	ck_assert_int_eq(evs_ctl_cli_request(argc, argv, NULL, &method, &params, err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_null(method);
	ck_assert_ptr_null(params);
	ck_assert_msg(strstr(err, needle) != NULL, "error '%s' lacks '%s'", err, needle);
}

static void check_json(json_t *got, const char *want)
{
	json_t *w = json_loads(want, 0, NULL);

	ck_assert_ptr_nonnull(w);
	ck_assert_msg(json_equal(got, w), "got %s, want %s", json_dumps(got, JSON_COMPACT), want);
	json_decref(w);
	json_decref(got);
}

START_TEST(cli_words_to_request)
{
	char file[] = "/tmp/evsctl-test-XXXXXX";
	char at[64];
	json_t *base;
	int fd;

	check_json(cli("port.add", NULL, 5, "port", "add", "name=p1", "type=ethdev",
		       "devargs=net_tap0,iface=x"),
		   "{\"name\":\"p1\",\"type\":\"ethdev\",\"devargs\":\"net_tap0,iface=x\"}");
	check_json(cli("port.set", NULL, 9, "port", "set", "mtu=1500", "up=true", "x=null",
		       "l=[1,2]", "o={\"a\":1}", "zero=01", "q=\"7\""),
		   "{\"mtu\":1500,\"up\":true,\"x\":null,\"l\":[1,2],\"o\":{\"a\":1},"
		   "\"zero\":\"01\",\"q\":\"7\"}");
	check_json(
	    cli("route.add", NULL, 5, "route", "add", "prefix=10.0.0.0/8", "via=10.0.0.1", "e="),
	    "{\"prefix\":\"10.0.0.0/8\",\"via\":\"10.0.0.1\",\"e\":\"\"}");
	check_json(cli("a.b", NULL, 4, "a.b", "x.y=1", "x.z=s", "w.v.u=true"),
		   "{\"x\":{\"y\":1,\"z\":\"s\"},\"w\":{\"v\":{\"u\":true}}}");
	check_json(cli("list", NULL, 1, "list"), "{}");
	check_json(cli("help", NULL, 1, "help"), "{}");
	check_json(cli("help", NULL, 3, "help", "port", "add"), "{\"method\":\"port.add\"}");
	check_json(cli("config.apply", NULL, 3, "call", "config.apply", "{\"config\":{}}"),
		   "{\"config\":{}}");
	check_json(cli("x.y", NULL, 4, "call", "x.y", "{\"a\":1}", "b=2"), "{\"a\":1,\"b\":2}");
	/* a JSON object whose strings hold '=' is still the params object */
	check_json(cli("x.y", NULL, 3, "call", "x.y", "{\"d\":\"a=b\"}"), "{\"d\":\"a=b\"}");
	base = json_loads("{\"a\":1,\"b\":{\"c\":2}}", 0, NULL);
	check_json(cli("x", base, 3, "x", "a=5", "b.d=3"), "{\"a\":5,\"b\":{\"c\":2,\"d\":3}}");
	ck_assert_int_eq(json_integer_value(json_object_get(base, "a")), 1); /* not modified */
	json_decref(base);

	fd = mkstemp(file);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "{\"ports\":[1]}", 13), 13);
	close(fd);
	snprintf(at, sizeof(at), "config=@%s", file);
	check_json(cli("config.apply", NULL, 3, "config", "apply", at),
		   "{\"config\":{\"ports\":[1]}}");
	unlink(file);
	cli_fails("cannot read JSON", 3, "config", "apply", at);

	cli_fails("no method", 0);
	cli_fails("no method", 1, "a=1");
	cli_fails("given twice", 4, "port", "add", "a=1", "a=2");
	cli_fails("empty key", 3, "port", "add", "=1");
	cli_fails("empty key", 3, "port", "add", "a..b=1");
	cli_fails("expected key=value", 4, "port", "add", "a=1", "oops");
	cli_fails("non-object", 4, "x", "a=1", "a.b=2", "");
	cli_fails("JSON object", 3, "call", "x", "[1]");
	cli_fails("method name", 1, "call");
}
END_TEST

static char *printed(const char *json)
{
	json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(evs_ctl_cli_print(f, v), 0);
	fclose(f);
	json_decref(v);
	return buf;
}

static void check_printed(const char *json, const char *want)
{
	char *got = printed(json);

	ck_assert_msg(strcmp(got, want) == 0, "printing %s:\n--- got\n%s--- want\n%s", json, got,
		      want);
	free(got);
}

START_TEST(cli_prints_tables)
{
	check_printed("[{\"name\":\"p1\",\"mtu\":1500},{\"name\":\"port-22\",\"up\":true}]",
		      "NAME     UP    MTU\n"
		      "p1       -     1500\n"
		      "port-22  true  -\n");
	/* a key first seen late goes after the key it follows in its row */
	check_printed("[{\"a\":1,\"z\":2},{\"a\":1,\"b\":2,\"z\":3},{\"c\":0,\"z\":1}]",
		      "C  A  B  Z\n"
		      "-  1  -  2\n"
		      "-  1  2  3\n"
		      "0  -  -  1\n");
	check_printed("{\"name\":\"p1\",\"stats\":{\"rx\":5,\"tx_bytes\":7},\"tags\":[1,2],"
		      "\"q\":[{\"id\":0}],\"help\":\"a\\nb\",\"e\":[],\"n\":null}",
		      "name:           p1\n"
		      "stats.rx:       5\n"
		      "stats.tx_bytes: 7\n"
		      "tags:           1, 2\n"
		      "q:\n"
		      "  ID\n"
		      "  0\n"
		      "help:           a\n"
		      "                b\n"
		      "e:              []\n"
		      "n:              null\n");
	check_printed("[]", "(none)\n");
	check_printed("null", "");
	check_printed("\"hi\"", "hi\n");
	check_printed("[\"a\",3]", "a\n3\n");
	check_printed("[{\"k\":\"tab\\there\\n\"}]", "K\ntab\\there\\n\n");
	check_printed("[{\"naïve\":\"é\"},{\"naïve\":\"ab\"}]", "NAïVE\né\nab\n");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Client API and the edgevsctl binary, server polled by a thread      */
/* ------------------------------------------------------------------ */

struct bg {
	struct srv s;
	pthread_t thread;
	volatile bool stop;
};

static void *bg_loop(void *arg)
{
	struct bg *b = arg;

	while (!b->stop)
		evs_ctl_poll(b->s.ctl, 10);
	return NULL;
}

static void bg_start(struct bg *b)
{
	srv_start(&b->s, NULL);
	b->stop = false;
	ck_assert_int_eq(pthread_create(&b->thread, NULL, bg_loop, b), 0);
}

static void bg_stop(struct bg *b)
{
	b->stop = true;
	pthread_join(b->thread, NULL);
	srv_stop(&b->s);
}

START_TEST(client_api)
{
	struct evs_ctl_client *c;
	json_t *result, *error;
	struct bg b;

	bg_start(&b);
	c = evs_ctl_client_connect(b.s.path, 5000);
	ck_assert_msg(c != NULL, "connect: %s", strerror(errno));
	ck_assert_str_eq(json_string_value(json_object_get(evs_ctl_client_hello(c), "server")),
			 "edgevs");
	ck_assert_int_eq(
	    evs_ctl_client_call(c, "test.echo", json_pack("{s:i}", "a", 1), 5000, &result, &error),
	    0);
	ck_assert_ptr_null(error);
	ck_assert_int_eq(json_integer_value(json_object_get(result, "a")), 1);
	json_decref(result);
	ck_assert_int_eq(evs_ctl_client_call(c, "nope", NULL, 5000, &result, &error), 0);
	ck_assert_ptr_null(result);
	ck_assert_int_eq(json_integer_value(json_object_get(error, "code")),
			 EVS_CTL_E_METHOD_NOT_FOUND);
	json_decref(error);
	ck_assert_int_eq(evs_ctl_client_call(c, "test.big", json_pack("{s:i}", "size", 3000000),
					     5000, &result, &error),
			 0);
	ck_assert_int_eq(json_string_length(json_object_get(result, "data")), 3000000);
	json_decref(result);
	evs_ctl_client_close(c);
	bg_stop(&b);

	errno = 0;
	ck_assert_ptr_null(evs_ctl_client_connect(b.s.path, 1000));
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* The edgevsctl built next to this test: build/app/edgevsctl/edgevsctl. */
static void edgevsctl_path(char *buf, size_t size)
{
	char self[PATH_MAX - 64];
	ssize_t n;
	char *slash;
	const char *env = getenv("EDGEVSCTL");

	if (env != NULL) {
		snprintf(buf, size, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ck_assert_int_gt(n, 0);
	self[n] = '\0';
	slash = strrchr(self, '/'); /* .../test/unit/test_ctl */
	ck_assert_ptr_nonnull(slash);
	*slash = '\0';
	snprintf(buf, size, "%s/../../app/edgevsctl/edgevsctl", self);
}

/* Run edgevsctl with args; returns its exit status, output in out/err. */
static int run_ctl(char *out, size_t outsz, char *err, size_t errsz, char *const args[])
{
	int po[2], pe[2], status;
	ssize_t n;
	size_t lo = 0, le = 0;
	pid_t pid;

	ck_assert_int_eq(pipe(po), 0);
	ck_assert_int_eq(pipe(pe), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		unsetenv("EDGEVS_SOCKET");
		execv(args[0], args);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	while ((n = read(po[0], out + lo, outsz - 1 - lo)) > 0)
		lo += (size_t)n;
	while ((n = read(pe[0], err + le, errsz - 1 - le)) > 0)
		le += (size_t)n;
	out[lo] = '\0';
	err[le] = '\0';
	close(po[0]);
	close(pe[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_msg(WEXITSTATUS(status) != 127, "cannot run %s", args[0]);
	return WEXITSTATUS(status);
}

START_TEST(edgevsctl_binary)
{
	char bin[PATH_MAX], out[8192], err[4096], sock[200];
	struct bg b;

	edgevsctl_path(bin, sizeof(bin));
	ck_assert_msg(access(bin, X_OK) == 0, "%s not built (meson test builds it)", bin);
	bg_start(&b);
	snprintf(sock, sizeof(sock), "%s", b.s.path);
	{
		char *args[] = {bin, "-s", sock, "test", "echo", "name=p1", "mtu=1500", NULL};

		ck_assert_int_eq(run_ctl(out, sizeof(out), err, sizeof(err), args), 0);
		ck_assert_str_eq(out, "name: p1\nmtu:  1500\n");
	}
	{
		char *args[] = {bin, "--socket", sock, "--json", "test", "echo", "a.b=[1]", NULL};

		ck_assert_int_eq(run_ctl(out, sizeof(out), err, sizeof(err), args), 0);
		ck_assert_str_eq(out, "{\n  \"a\": {\n    \"b\": [\n      1\n    ]\n  }\n}\n");
	}
	{
		char *args[] = {bin, "-s", sock, "test", "spec", "name=p1", "mtu=1", NULL};

		ck_assert_int_eq(run_ctl(out, sizeof(out), err, sizeof(err), args), 1);
		ck_assert_msg(strncmp(err, "error -32602: ", 14) == 0, "stderr: %s", err);
		ck_assert_ptr_nonnull(strstr(err, "(at /params/mtu)\n"));
	}
	{
		char *args[] = {bin, "-s", sock, "list", NULL};

		ck_assert_int_eq(run_ctl(out, sizeof(out), err, sizeof(err), args), 0);
		ck_assert_ptr_nonnull(strstr(out, "NAME"));
		ck_assert_ptr_nonnull(strstr(out, "test.spec"));
	}
	{
		char *args[] = {bin, "-s", sock, "help", NULL};

		ck_assert_int_eq(run_ctl(out, sizeof(out), err, sizeof(err), args), 0);
		ck_assert_ptr_nonnull(strstr(out, "test.spec name=string"));
		ck_assert_ptr_nonnull(strstr(out, "\n    second line\n"));
	}
	{
		char *args[] = {bin,	       "-s",   sock,	    "--params",
				"{\"a\":[1]}", "call", "test.echo", NULL};

		ck_assert_int_eq(run_ctl(out, sizeof(out), err, sizeof(err), args), 0);
		ck_assert_str_eq(out, "a: 1\n");
	}
	bg_stop(&b);
	{
		char *args[] = {bin, "-s", sock, "list", NULL};

		ck_assert_int_eq(run_ctl(out, sizeof(out), err, sizeof(err), args), 2);
		ck_assert_ptr_nonnull(strstr(err, "cannot connect"));
	}
	{
		char *args[] = {bin, NULL};

		ck_assert_int_eq(run_ctl(out, sizeof(out), err, sizeof(err), args), 2);
		ck_assert_ptr_nonnull(strstr(err, "Usage:"));
	}
	{
		char *args[] = {bin, "-s", sock, "port", "add", "a=1", "junk", NULL};

		ck_assert_int_eq(run_ctl(out, sizeof(out), err, sizeof(err), args), 2);
		ck_assert_ptr_nonnull(strstr(err, "expected key=value"));
	}
}
END_TEST

void ctl_cli_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"cli_words_to_request", cli_words_to_request},
	    {"cli_prints_tables", cli_prints_tables},
	    {"client_api", client_api},
	    {"edgevsctl_binary", edgevsctl_binary},
	};

	unit_add_cases(s, cases, sizeof(cases) / sizeof(cases[0]), NULL, NULL, 0);
}
