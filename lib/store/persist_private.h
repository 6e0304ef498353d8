/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_PERSIST_PRIVATE_H
#define EVS_PERSIST_PRIVATE_H

/* Shared by persist.c (file replacement, loading), persist_writer.c (the
 * asynchronous writer) and persist_secrets.c. */

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "evs_persist.h"
#include "evs_recs.h"

/* A plain file name: no '/', not "." or "..", short enough for our suffixes. */
bool persist_name_ok(const char *name);
/* Whole regular file into a malloc'd NUL-terminated buffer. 0 or -errno. */
int persist_read_file(const char *path, char **buf, size_t *len);

/* Split @path (its symlink resolved with @follow) into *real, its last
 * component *name (malloc'd) and its directory opened as *dirfd. 0 or
 * -errno (EINVAL: not a usable name); the caller frees what was set. */
int persist_target(const char *path, bool follow, char **real, char **name, int *dirfd);
/* The test hook of @step on @name: 0, -errno, or a short write's length. */
int persist_hook(enum evs_persist_step step, const char *name);
/* All of @data to @fd (the WRITE step's hook applies). 0 or -errno. */
int persist_write_all(int fd, const char *name, const char *data, size_t len);

/* A growing byte buffer (persist_dump.c). */
struct persist_buf {
	char *p;
	size_t len, cap;
};
/* Room for @n more bytes. 0 or -ENOMEM. */
int persist_buf_reserve(struct persist_buf *b, size_t n);
/* Append @n bytes. 0 or -ENOMEM. */
int persist_buf_put(struct persist_buf *b, const void *data, size_t n);
void persist_buf_free(struct persist_buf *b);
/* Append @v as json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER) writes it
 * (no NUL). 0, -ENOMEM, -ELOOP (nested too deep) or -EINVAL; on failure
 * @b is as before. */
int persist_dump_compact(struct persist_buf *b, const json_t *v);
/* The same with each member on its own line, @indent spaces per level
 * (json_dumps(JSON_INDENT(indent) | JSON_PRESERVE_ORDER)); 0: compact. */
int persist_dump(struct persist_buf *b, const json_t *v, unsigned int indent);
/* @rs as persist_dump_compact() writes evs_recs_json(@rs). */
int persist_dump_recs(struct persist_buf *b, const struct evs_recs *rs);

#endif /* EVS_PERSIST_PRIVATE_H */
