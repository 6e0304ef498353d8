/* SPDX-License-Identifier: BSD-3-Clause */
/* Loading a journalled document: the document, an interrupted compaction
 * finished, then the journal's lines checked and returned in order. */

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal_private.h"
#include "persist_private.h"

/* The document hash a journal's header names; -EBADMSG if it has none. */
static int header_hash(const char *buf, size_t len, uint64_t *hash, size_t *hdr_len)
{
	const char *nl = memchr(buf, '\n', len);
	uint64_t base;
	char hex[17];
	int n = 0;

	if (nl == NULL ||
	    sscanf(buf, "{\"journal\":1,\"base\":%" SCNu64 ",\"doc\":\"%16[0-9a-f]\"}%n", &base,
		   hex, &n) != 2 ||
	    buf + n != nl)
		return -EBADMSG;
	*hash = strtoull(hex, NULL, 16);
	*hdr_len = (size_t)(nl - buf) + 1;
	return 0;
}

/* One line (without its newline): its records, or NULL when damaged. */
static json_t *line_parse(const char *s, size_t len, uint64_t *gen)
{
	char hex[17];
	int off = 0;
	const char *body;
	size_t bl;

	if (len < 2 || s[len - 1] != '}')
		return NULL;
	if (sscanf(s, "{\"gen\":%" SCNu64 ",\"sum\":\"%16[0-9a-f]\",\"records\":%n", gen, hex,
		   &off) != 2 ||
	    off == 0 || (size_t)off >= len)
		return NULL;
	body = s + off;
	bl = len - (size_t)off - 1;
	if (journal_hash(body, bl) != strtoull(hex, NULL, 16))
		return NULL;
	return json_loadb(body, bl, JSON_REJECT_DUPLICATES, NULL);
}

static int parse_lines(const char *jpath, const char *buf, size_t len, size_t hdr_len,
		       json_t *lines, struct evs_journal_load_info *info)
{
	size_t pos = hdr_len, no = 1;
	uint64_t gen, last = 0;

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t ll = nl != NULL ? (size_t)(nl - (buf + pos)) : len - pos;
		json_t *recs = nl != NULL ? line_parse(buf + pos, ll, &gen) : NULL;
		bool final = nl == NULL || (size_t)(nl - buf) + 1 == len;

		no++;
		if (recs != NULL && (!json_is_array(recs) || (last != 0 && gen <= last))) {
			json_decref(recs);
			recs = NULL;
		}
		if (recs == NULL && final) {
			info->torn = true; /* an append cut short: never acknowledged */
			return 0;
		}
		if (recs == NULL) {
			snprintf(info->doc.error, sizeof(info->doc.error),
				 "%.200s is damaged at line %zu (not its last): refusing to start "
				 "from a partial history; the files are left as they are",
				 jpath, no);
			return -EBADMSG;
		}
		last = gen;
		if (json_array_append_new(lines, recs) < 0)
			return -ENOMEM;
		info->lines++;
		pos += ll + 1;
	}
	return 0;
}

/* A compaction stopped between its renames: its ".next" belongs to the
 * document now on disk (@hash): move it into place. */
static int finish_next(const char *jpath, const char *npath, uint64_t hash,
		       struct evs_journal_load_info *info)
{
	uint64_t h;
	size_t len, hl;
	char *buf;
	int rc = persist_read_file(npath, &buf, &len);

	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	rc = header_hash(buf, len, &h, &hl);
	free(buf);
	if (rc == 0 && h == hash) {
		if (rename(npath, jpath) < 0)
			return -errno;
		info->finished_next = true;
	} else {
		unlink(npath); /* the document was not replaced: the old journal holds */
	}
	return 0;
}

int evs_journal_load(const char *path, evs_persist_check_t check, void *arg, json_t **doc,
		     json_t **lines, struct evs_journal_load_info *info)
{
	char jpath[PATH_MAX], npath[PATH_MAX], bad[PATH_MAX];
	char *buf = NULL;
	size_t len, hl;
	uint64_t dh, jh;
	int rc;

	if (path == NULL || doc == NULL || lines == NULL || info == NULL)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	*lines = NULL;
	if (snprintf(jpath, sizeof(jpath), "%s" EVS_JOURNAL_SUFFIX, path) >= (int)sizeof(jpath) ||
	    snprintf(npath, sizeof(npath), "%s" EVS_JOURNAL_NEXT_SUFFIX, path) >=
		(int)sizeof(npath) ||
	    snprintf(bad, sizeof(bad), "%s" EVS_JOURNAL_SUFFIX EVS_PERSIST_CORRUPT_SUFFIX, path) >=
		(int)sizeof(bad))
		return -ENAMETOOLONG;
	rc = evs_persist_load(path, check, arg, doc, &info->doc);
	if (rc < 0)
		return rc;
	*lines = json_array();
	if (*lines == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	if (info->doc.from_prev) {
		/* The journal followed the damaged document, not its copy. */
		if (rename(jpath, bad) == 0)
			info->set_aside = true;
		unlink(npath);
		return 0;
	}
	rc = persist_read_file(path, &buf, &len);
	if (rc < 0)
		goto fail;
	dh = journal_hash(buf, len);
	free(buf);
	buf = NULL;
	rc = finish_next(jpath, npath, dh, info);
	if (rc == 0)
		rc = persist_read_file(jpath, &buf, &len);
	if (rc == -ENOENT)
		return 0; /* no journal: the document is the whole state */
	if (rc < 0)
		goto fail;
	if (header_hash(buf, len, &jh, &hl) < 0) {
		snprintf(info->doc.error, sizeof(info->doc.error),
			 "%.200s has no valid header: refusing to guess which changes it holds",
			 jpath);
		rc = -EBADMSG;
	} else if (jh != dh) {
		snprintf(
		    info->doc.error, sizeof(info->doc.error),
		    "%.200s belongs to another version of %.150s (the document was changed after "
		    "an unclean stop); remove the journal to start from the document alone",
		    jpath, path);
		rc = -EBADMSG;
	} else {
		rc = parse_lines(jpath, buf, len, hl, *lines, info);
	}
	free(buf);
	if (rc == 0)
		return 0;
fail:
	json_decref(*doc);
	json_decref(*lines);
	*doc = NULL;
	*lines = NULL;
	return rc;
}
