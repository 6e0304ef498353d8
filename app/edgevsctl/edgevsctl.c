/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * edgevsctl: command-line client of the edgevs control socket.
 *
 *   edgevsctl [options] <method words> [key=value ...]
 *   edgevsctl port add name=p1 type=ethdev devargs=net_tap0,iface=x
 *
 * Exit status: 0 success, 1 the server answered with an error, 2 usage or
 * connection problems.
 */

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <evs_ctl.h>

#include "evs_build_config.h"

enum { EXIT_SERVER_ERROR = 1, EXIT_USAGE = 2 };

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: edgevsctl [options] <method words> [key=value ...]\n"
		"       edgevsctl [options] call <method> ['{json params}'] [key=value ...]\n"
		"       edgevsctl [options] list | help [method words]\n"
		"\n"
		"Method words are joined with '.': \"port add\" calls port.add.\n"
		"A value is JSON when it parses as JSON (1500, true, null, [..], {..},\n"
		"'\"quoted\"'), else a string; key=@file.json reads a JSON file;\n"
		"a.b=1 sets {\"a\":{\"b\":1}}.\n"
		"\n"
		"Options:\n"
		"  -s, --socket PATH   control socket (default $%s or %s)\n"
		"  -j, --json          print the raw JSON result (and error object)\n"
		"  -t, --timeout S     seconds to wait for the reply (default 30, 0: forever)\n"
		"  -f, --file FILE     params from a JSON file ('-': stdin)\n"
		"  -p, --params JSON   params as a JSON object\n"
		"  -V, --version       print the version\n"
		"  -h, --help          this text\n"
		"\n"
		"Exit status: 0 success, 1 error reply, 2 usage or connection error.\n",
		EVS_CTL_SOCKET_ENV, EVS_CTL_DEFAULT_PATH);
}

struct opts {
	const char *socket;
	bool json;
	int timeout_ms;
	json_t *base; /* from --file / --params */
};

static int merge_params(struct opts *o, json_t *v, const char *what, const json_error_t *jerr)
{
	if (v == NULL) {
		fprintf(stderr, "edgevsctl: %s: %s (line %d)\n", what, jerr->text, jerr->line);
		return -1;
	}
	if (!json_is_object(v)) {
		fprintf(stderr, "edgevsctl: %s: params must be a JSON object\n", what);
		json_decref(v);
		return -1;
	}
	if (o->base == NULL)
		o->base = v;
	else {
		json_object_update(o->base, v);
		json_decref(v);
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},  {"json", no_argument, NULL, 'j'},
	    {"timeout", required_argument, NULL, 't'}, {"file", required_argument, NULL, 'f'},
	    {"params", required_argument, NULL, 'p'},  {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},	       {NULL, 0, NULL, 0},
	};
	json_error_t jerr;
	char *end;
	double s;
	int c;

	o->socket = getenv(EVS_CTL_SOCKET_ENV);
	if (o->socket == NULL || o->socket[0] == '\0')
		o->socket = EVS_CTL_DEFAULT_PATH;
	o->timeout_ms = 30000;
	/* '+': options end at the first method word, so values are never options. */
	while ((c = getopt_long(argc, argv, "+s:jt:f:p:Vh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->socket = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 't':
			s = strtod(optarg, &end);
			if (*optarg == '\0' || *end != '\0' || !isfinite(s) || s < 0 || s > 86400) {
				fprintf(stderr, "edgevsctl: --timeout: '%s' is not 0..86400 s\n",
					optarg);
				return -1;
			}
			o->timeout_ms = s == 0 ? -1 : (int)(s * 1000 + 0.5);
			break;
		case 'f':
			if (merge_params(
				o,
				strcmp(optarg, "-") == 0
				    ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr)
				    : json_load_file(optarg, JSON_REJECT_DUPLICATES, &jerr),
				optarg, &jerr) < 0)
				return -1;
			break;
		case 'p':
			if (merge_params(o, json_loads(optarg, JSON_REJECT_DUPLICATES, &jerr),
					 "--params", &jerr) < 0)
				return -1;
			break;
		case 'V':
			printf("edgevsctl %s\n", EVS_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

/* "help" without a method: one block per method, like a man page index. */
static void print_help_index(const json_t *all)
{
	size_t i;
	json_t *m;
	const char *help, *nl;

	json_array_foreach(all, i, m)
	{
		printf("%s %s\n", json_string_value(json_object_get(m, "name")),
		       json_string_value(json_object_get(m, "usage")));
		help = json_string_value(json_object_get(m, "help"));
		while (help != NULL && *help != '\0') {
			nl = strchr(help, '\n');
			printf("    %.*s\n", nl ? (int)(nl - help) : (int)strlen(help), help);
			help = nl ? nl + 1 : NULL;
		}
	}
}

static int print_error(const struct opts *o, const json_t *error)
{
	const char *path =
	    json_string_value(json_object_get(json_object_get(error, "data"), "path"));

	if (o->json) {
		json_dumpf(error, stdout, JSON_INDENT(2));
		putchar('\n');
	}
	fprintf(stderr, "error %lld: %s",
		(long long)json_integer_value(json_object_get(error, "code")),
		json_string_value(json_object_get(error, "message")) ?: "(no message)");
	if (path != NULL && path[0] != '\0')
		fprintf(stderr, " (at %s)", path);
	fputc('\n', stderr);
	return EXIT_SERVER_ERROR;
}

static int print_result(const struct opts *o, const char *method, const json_t *result)
{
	if (o->json) {
		if (json_dumpf(result, stdout, JSON_INDENT(2) | JSON_ENCODE_ANY) < 0)
			return EXIT_USAGE;
		putchar('\n');
	} else if (strcmp(method, "help") == 0 && json_is_array(result)) {
		print_help_index(result);
	} else if (evs_ctl_cli_print(stdout, result) < 0) {
		fprintf(stderr, "edgevsctl: cannot write the result\n");
		return EXIT_USAGE;
	}
	return fflush(stdout) == 0 ? 0 : EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	struct evs_ctl_client *c = NULL;
	json_t *params = NULL, *result = NULL, *error = NULL;
	char *method = NULL, err[512];
	int rc, status = EXIT_USAGE;

	if (parse_opts(argc, argv, &o) < 0)
		goto out;
	rc = evs_ctl_cli_request(argc - optind, argv + optind, o.base, &method, &params, err,
				 sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "edgevsctl: %s\n", rc == -ENOMEM ? "out of memory" : err);
		goto out;
	}
	c = evs_ctl_client_connect(o.socket, o.timeout_ms);
	if (c == NULL) {
		fprintf(stderr, "edgevsctl: cannot connect to %s: %s%s\n", o.socket,
			errno == EBUSY ? "server busy (too many clients)" : strerror(errno),
			errno == ENOENT || errno == ECONNREFUSED
			    ? " (is edgevs running? use -s PATH or $" EVS_CTL_SOCKET_ENV ")"
			    : "");
		goto out;
	}
	rc = evs_ctl_client_call(c, method, params, o.timeout_ms, &result, &error);
	params = NULL; /* stolen */
	if (rc == -ETIMEDOUT) {
		fprintf(stderr, "edgevsctl: %s: no reply within the timeout\n", method);
	} else if (rc == -ECONNRESET) {
		fprintf(stderr, "edgevsctl: %s: the server closed the connection\n", method);
	} else if (rc < 0) {
		fprintf(stderr, "edgevsctl: %s: %s\n", method, strerror(-rc));
	} else if (error != NULL) {
		status = print_error(&o, error);
	} else {
		status = print_result(&o, method, result);
	}
out:
	evs_ctl_client_close(c);
	json_decref(result);
	json_decref(error);
	json_decref(params);
	json_decref(o.base);
	free(method);
	return status;
}
