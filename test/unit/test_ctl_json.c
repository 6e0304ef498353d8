/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The large-request parser (lib/ctl/ctl_json.c) against its reference,
 * jansson's json_loadb(JSON_DECODE_ANY | JSON_REJECT_DUPLICATES): on random
 * documents it must build the same tree (same values, same key order), on
 * mangled ones never accept what jansson refuses, and evs_ctl_json_load()
 * must answer exactly as jansson does, error text included; and the MAC
 * parser every MAC of such a request goes through. Part of the ctl suite
 * (main in test_ctl.c).
 */

#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_test.h"
#include "unit_case.h"

#define REF_FLAGS (JSON_DECODE_ANY | JSON_REJECT_DUPLICATES)

static unsigned long long rng_state;

static unsigned int rnd(unsigned int n)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned int)(rng_state >> 33) % n;
}

/* Strings that exercise the lexer: escapes, UTF-8 of every length, short
 * repeats (the parser shares equal short values), long ones. */
static json_t *rand_string(void)
{
	static const char *const pieces[] = {
	    "a",
	    "sw0",
	    "pa",
	    "pb",
	    "\"",
	    "\\",
	    "/",
	    "\b",
	    "\f",
	    "\n",
	    "\r",
	    "\t",
	    "\x7f",
	    "\xc3\xa9",
	    "\xe2\x82\xac",
	    "\xf0\x9f\x98\x80",
	    "\xef\xbf\xbf",
	    "02:00:00:00:00:01",
	    " ",
	    "~1",
	    "0123456789abcdef0",
	};
	char buf[256];
	size_t n = 0, k, i, parts = rnd(6);

	for (i = 0; i < parts; i++) {
		const char *p = pieces[rnd(sizeof(pieces) / sizeof(pieces[0]))];

		k = strlen(p);
		if (n + k >= sizeof(buf))
			break;
		memcpy(buf + n, p, k);
		n += k;
	}
	return json_stringn(buf, n);
}

static json_t *rand_number(void)
{
	static const double reals[] = {
	    0.0, -0.0, 0.5, -1.25, 1e300, -1e-300, 3.141592653589793, 1e21, 123456789.125, 5e-324};
	static const json_int_t ints[] = {
	    0, -1, 1, 9, 10, -10, 4096, INT32_MAX, INT64_MAX, INT64_MIN, INT64_MIN + 1, 1000000007};

	if (rnd(3) == 0)
		return json_real(reals[rnd(sizeof(reals) / sizeof(reals[0]))] * (rnd(2) ? 1 : 3));
	if (rnd(2))
		return json_integer(ints[rnd(sizeof(ints) / sizeof(ints[0]))]);
	return json_integer((json_int_t)rnd(1u << 30) - (1 << 29));
}

static json_t *rand_value(int depth)
{
	unsigned int kind = rnd(depth > 4 ? 6 : 8), i, n;
	json_t *v;

	switch (kind) {
	case 0:
		return json_null();
	case 1:
		return json_boolean(rnd(2));
	case 2:
	case 3:
		return rand_number();
	case 4:
	case 5:
		return rand_string();
	case 6:
		v = json_array();
		n = rnd(5);
		for (i = 0; i < n; i++)
			json_array_append_new(v, rand_value(depth + 1));
		return v;
	default:
		v = json_object();
		n = rnd(5);
		for (i = 0; i < n; i++) {
			json_t *k = rand_string();

			json_object_set_new(v, json_string_value(k), rand_value(depth + 1));
			json_decref(k);
		}
		return v;
	}
}

/* The two trees are the same: equal values and the same key order (what
 * a compact dump shows). */
static void assert_same_tree(const json_t *a, const json_t *b, const char *src)
{
	char *da, *db;

	ck_assert_msg(json_equal(a, b), "different tree for %s", src);
	da = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
	db = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);
	ck_assert_str_eq(da, db);
	free(da);
	free(db);
}

/* One input through both parsers: the fast one accepts only what jansson
 * accepts and then builds its tree; evs_ctl_json_load answers as jansson.
 * @return 1 when jansson accepted. */
static int compare(const char *buf, size_t len, bool fast_must_accept)
{
	json_error_t je, me;
	json_t *ref = json_loadb(buf, len, REF_FLAGS, &je);
	json_t *fast = evs_ctl_json_parse_fast(buf, len);
	json_t *load = evs_ctl_json_load(buf, len, &me);

	if (ref == NULL) {
		ck_assert_msg(fast == NULL, "accepted what jansson refuses (%s): %.*s", je.text,
			      (int)len, buf);
		ck_assert_ptr_null(load);
		ck_assert_str_eq(me.text, je.text);
		ck_assert_int_eq(me.line, je.line);
		ck_assert_int_eq(me.column, je.column);
		ck_assert_int_eq(me.position, je.position);
		return 0;
	}
	if (fast_must_accept)
		ck_assert_msg(fast != NULL, "handed a valid document to jansson: %.*s", (int)len,
			      buf);
	if (fast != NULL)
		assert_same_tree(fast, ref, buf);
	ck_assert_ptr_nonnull(load);
	assert_same_tree(load, ref, buf);
	json_decref(ref);
	json_decref(fast);
	json_decref(load);
	return 1;
}

START_TEST(json_random_documents_match_jansson)
{
	static const size_t flags[] = {JSON_COMPACT, JSON_INDENT(2), JSON_ENSURE_ASCII,
				       JSON_COMPACT | JSON_ENSURE_ASCII, 0};
	int i;

	rng_state = 1;
	for (i = 0; i < 4000; i++) {
		json_t *v = rand_value(0);
		char *s = json_dumps(v, flags[rnd(5)] | JSON_ENCODE_ANY);

		ck_assert_ptr_nonnull(s);
		compare(s, strlen(s), true);
		free(s);
		json_decref(v);
	}
}
END_TEST

/* Random documents cut, flipped, spliced with lexer-relevant bytes: the
 * fast parser never accepts what jansson refuses, and the loader's errors
 * are jansson's. Both outcomes must occur (the test can fail). */
START_TEST(json_mangled_documents_match_jansson)
{
	static const char junk[] = "{}[]\",:\\u0eE.-+ \n\t\x01\x80\xc3\xff"
				   "tfn9";
	int i, accepted = 0, refused = 0;

	rng_state = 2;
	for (i = 0; i < 20000; i++) {
		json_t *v = rand_value(0);
		char *s =
		    json_dumps(v, (rnd(2) ? JSON_COMPACT : JSON_ENSURE_ASCII) | JSON_ENCODE_ANY);
		size_t len = strlen(s), k, m = 1 + rnd(3), pos;
		char *b = malloc(len + 8);

		memcpy(b, s, len);
		for (k = 0; k < m && len > 0; k++) {
			pos = rnd((unsigned int)len);
			switch (rnd(4)) {
			case 0:
				b[pos] = junk[rnd(sizeof(junk) - 1)];
				break;
			case 1:
				memmove(b + pos, b + pos + 1, len - pos - 1);
				len--;
				break;
			case 2:
				memmove(b + pos + 1, b + pos, len - pos);
				b[pos] = junk[rnd(sizeof(junk) - 1)];
				len++;
				break;
			default:
				len = pos;
				break;
			}
		}
		if (compare(b, len, false))
			accepted++;
		else
			refused++;
		free(b);
		free(s);
		json_decref(v);
	}
	ck_assert_int_gt(accepted, 1000);
	ck_assert_int_gt(refused, 1000);
}
END_TEST

/* The edges, each decided by jansson: what the fast parser must take
 * itself, and what it must leave (or refuse). */
START_TEST(json_edge_cases_match_jansson)
{
	static const char *const fast_ok[] = {
	    "0",
	    "-0",
	    "-0.0",
	    "1e5",
	    "1E+5",
	    "2.5e-3",
	    "9223372036854775807",
	    "-9223372036854775808",
	    "1e-400",
	    " \t\r\n[ ]\n",
	    "{}",
	    "\"\"",
	    "\"\\u00e9\\ud83d\\ude00\"",
	    "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
	    "{\"\":1}",
	    "{\"a\\u0062\":{\"a\\u0062\":[true,false,null]}}",
	    "\"\x7f\xf4\x8f\xbf\xbf\"",
	    "[\"sw0\",\"sw0\",\"sw0\",{\"sw0\":\"sw0\"}]",
	};
	static const char *const others[] = {
	    "",
	    " ",
	    "01",
	    "-",
	    "+1",
	    "1.",
	    ".5",
	    "1e",
	    "1e+",
	    "--1",
	    "0x10",
	    "1 2",
	    "[1,]",
	    "{\"a\":1,}",
	    "{\"a\" 1}",
	    "{a:1}",
	    "[1 2]",
	    "tru",
	    "truex",
	    "nul",
	    "[true false]",
	    "9223372036854775808",
	    "-9223372036854775809",
	    "123456789012345678901234567890",
	    "1e400",
	    "-1e400",
	    "\"\\u0000\"",
	    "{\"a\\u0000b\":1}",
	    "\"\\ud800\"",
	    "\"\\udc00\"",
	    "\"\\ud800\\u0041\"",
	    "\"\\x\"",
	    "\"\\u12g4\"",
	    "\"a\nb\"",
	    "\"\x01\"",
	    "\"\xc0\x80\"",
	    "\"\xed\xa0\x80\"",
	    "\"\xf4\x90\x80\x80\"",
	    "\"\xe2\x82\"",
	    "\"\x80\"",
	    "\"abc",
	    "{\"a\":1,\"a\":2}",
	    "{\"a\":1,\"b\":{\"c\":1,\"c\":1}}",
	    "[1]x",
	    "\xef\xbb\xbf[]",
	    "NaN",
	    "Infinity",
	    "[1e5.5]",
	    "{\"a\"",
	    "{\"a\":",
	    "[",
	    "]",
	    "}",
	};
	char deep[3000];
	size_t i;

	for (i = 0; i < sizeof(fast_ok) / sizeof(fast_ok[0]); i++)
		ck_assert_int_eq(compare(fast_ok[i], strlen(fast_ok[i]), true), 1);
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		compare(others[i], strlen(others[i]), false);
	/* A NUL byte inside the given length. */
	compare("[1,\0 2]", 7, false);
	compare("\"a\0b\"", 5, false);
	/* Past the fast parser's depth (jansson's own limit is 2048). */
	for (i = 0; i < 1000; i++) {
		deep[i] = '[';
		deep[2000 - 1 - i] = ']';
	}
	ck_assert_int_eq(compare(deep, 2000, false), 1);
	for (i = 0; i < 1500; i++) {
		deep[i] = '[';
		deep[3000 - 1 - i] = ']';
	}
	compare(deep, 3000, false);
}
END_TEST

/* Equal short strings are one shared value; the tree is still jansson's and
 * freeing it frees everything (ASan in the sanitizer build). */
START_TEST(json_shared_short_strings)
{
	const char *doc =
	    "{\"macs\":[{\"switch\":\"sw0\",\"port\":\"pa\"},"
	    "{\"switch\":\"sw0\",\"port\":\"pb\"},{\"switch\":\"sw0\",\"port\":\"pa\"}]}";
	json_t *v = evs_ctl_json_parse_fast(doc, strlen(doc)), *m;

	ck_assert_ptr_nonnull(v);
	m = json_object_get(v, "macs");
	ck_assert_ptr_eq(json_object_get(json_array_get(m, 0), "switch"),
			 json_object_get(json_array_get(m, 2), "switch"));
	ck_assert_ptr_eq(json_object_get(json_array_get(m, 0), "port"),
			 json_object_get(json_array_get(m, 2), "port"));
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(m, 1), "port")), "pb");
	compare(doc, strlen(doc), true);
	json_decref(v);
}
END_TEST

/* evs_ctl_parse_mac (hand-written: it runs three times per object of a bulk
 * apply) against a plain reading of its contract on random strings. */
static int mac_model(const char *s, uint8_t mac[6])
{
	unsigned int i, v;
	char two[3] = {0};

	if (strlen(s) != 17 || (s[2] != ':' && s[2] != '-'))
		return -1;
	for (i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[i * 3]) || !isxdigit((unsigned char)s[i * 3 + 1]) ||
		    (i < 5 && s[i * 3 + 2] != s[2]))
			return -1;
		memcpy(two, s + i * 3, 2);
		sscanf(two, "%x", &v);
		mac[i] = (uint8_t)v;
	}
	return 0;
}

START_TEST(parse_mac_matches_model)
{
	static const char alphabet[] = "0123456789abcdefABCDEFgG:-x \xc3";
	char s[24];
	uint8_t a[6], b[6];
	int i, ok = 0;

	rng_state = 3;
	for (i = 0; i < 200000; i++) {
		size_t n = rnd(4) ? 17 : rnd(21), k;

		for (k = 0; k < n; k++) /* mostly well-formed: separators in place */
			s[k] = k % 3 == 2 && rnd(8) ? (rnd(8) ? ':' : '-')
						    : alphabet[rnd(sizeof(alphabet) - 1)];
		s[n] = '\0';
		memset(a, 0, 6);
		memset(b, 0, 6);
		ck_assert_msg((evs_ctl_parse_mac(s, a) == 0) == (mac_model(s, b) == 0), "%s", s);
		if (mac_model(s, b) == 0) {
			ck_assert_mem_eq(a, b, 6);
			ok++;
		}
	}
	ck_assert_int_gt(ok, 1000);
	ck_assert_int_lt(evs_ctl_parse_mac(NULL, a), 0);
	ck_assert_int_lt(evs_ctl_parse_mac("", a), 0);
	ck_assert_int_lt(evs_ctl_parse_mac("0", a), 0);
	ck_assert_int_lt(evs_ctl_parse_mac("02:00:00:00:00:0", a), 0);
	ck_assert_int_lt(evs_ctl_parse_mac("02:00:00:00:00:001", a), 0);
	ck_assert_int_lt(evs_ctl_parse_mac("02:00-00:00:00:01", a), 0);
	ck_assert_int_eq(evs_ctl_parse_mac("0A-bC-00-00-00-FF", a), 0);
	ck_assert_uint_eq(a[1], 0xbc);
}
END_TEST

void ctl_json_add_cases(Suite *s)
{
	const struct unit_case cases[] = {
	    {"json_random_documents_match_jansson", json_random_documents_match_jansson},
	    {"json_mangled_documents_match_jansson", json_mangled_documents_match_jansson},
	    {"json_edge_cases_match_jansson", json_edge_cases_match_jansson},
	    {"json_shared_short_strings", json_shared_short_strings},
	    {"parse_mac_matches_model", parse_mac_matches_model},
	};

	unit_add_cases(s, cases, sizeof(cases) / sizeof(cases[0]), NULL, NULL, 0);
}
