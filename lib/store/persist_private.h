/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef EVS_PERSIST_PRIVATE_H
#define EVS_PERSIST_PRIVATE_H

/* Shared by persist.c (file replacement, loading), persist_writer.c (the
 * asynchronous writer) and persist_secrets.c. */

#include <stdbool.h>

#include "evs_persist.h"

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

#endif /* EVS_PERSIST_PRIVATE_H */
