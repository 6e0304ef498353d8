/* SPDX-License-Identifier: BSD-3-Clause */
/* Durable replacement of one file (temp, fsync, rename, fsync dir) and loading
 * with fall-back to the last good copy. */

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "persist_private.h"

static evs_persist_hook_t test_hook;
static void *test_hook_arg;

void evs_persist_set_test_hook(evs_persist_hook_t hook, void *arg)
{
	test_hook = hook;
	test_hook_arg = arg;
}

int persist_hook(enum evs_persist_step step, const char *name)
{
	return test_hook != NULL ? test_hook(step, name, test_hook_arg) : 0;
}

bool persist_name_ok(const char *name)
{
	size_t n = strlen(name);

	/* Room for the temp and .prev names built from it. */
	return n > 0 && n < NAME_MAX - 64 && strchr(name, '/') == NULL && strcmp(name, ".") != 0 &&
	       strcmp(name, "..") != 0;
}

int persist_write_all(int fd, const char *name, const char *data, size_t len)
{
	ssize_t n;
	int rc = persist_hook(EVS_PERSIST_STEP_WRITE, name);

	if (rc < 0)
		return rc;
	if (rc > 0 && (size_t)rc < len) {
		len = (size_t)rc; /* a short write, then the disk is full */
		rc = -ENOSPC;
	} else {
		rc = 0;
	}
	while (len > 0) {
		n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		data += n;
		len -= (size_t)n;
	}
	return rc;
}

/* Give the new file the old one's owner and mode, or the configured mode. */
static int set_attrs(int fd, const struct stat *old, const struct evs_persist_opts *opts)
{
	mode_t mode = opts->mode ? opts->mode : 0644;

	if (old != NULL && !opts->force_mode) {
		/* EPERM: not root, so the file is ours anyway. */
		if ((old->st_uid != geteuid() || old->st_gid != getegid()) &&
		    fchown(fd, old->st_uid, old->st_gid) < 0 && errno != EPERM)
			return -errno;
		mode = old->st_mode & 07777;
	}
	return fchmod(fd, mode) < 0 ? -errno : 0;
}

/* Hard-link the current file to @ptmp before it is replaced; renamed to
 * <name>.prev only once the replacement is in place, so a failed write
 * leaves the old copy alone too. */
static int prev_link(int dirfd, const char *name, const char *ptmp)
{
	unlinkat(dirfd, ptmp, 0);
	return linkat(dirfd, name, dirfd, ptmp, 0) < 0 ? -errno : 0;
}

static int prev_commit(int dirfd, const char *name, const char *ptmp)
{
	char prev[PATH_MAX];
	int rc = 0;

	snprintf(prev, sizeof(prev), "%s%s", name, EVS_PERSIST_PREV_SUFFIX);
	if (renameat(dirfd, ptmp, dirfd, prev) < 0) {
		rc = -errno;
		unlinkat(dirfd, ptmp, 0);
	}
	return rc;
}

int evs_persist_write_at(int dirfd, const char *name, const void *data, size_t len,
			 const struct evs_persist_opts *opts)
{
	static const struct evs_persist_opts defaults;
	static unsigned long seq;
	char tmp[PATH_MAX], ptmp[PATH_MAX + 8];
	struct stat st;
	bool have_old, keep;
	int fd, rc;

	if (name == NULL || !persist_name_ok(name) || (data == NULL && len > 0))
		return -EINVAL;
	if (opts == NULL)
		opts = &defaults;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode))
			return -ELOOP;
		if (S_ISDIR(st.st_mode))
			return -EISDIR;
		if (!S_ISREG(st.st_mode))
			return -EINVAL;
		have_old = true;
	} else if (errno == ENOENT) {
		have_old = false;
	} else {
		return -errno;
	}
	/* Hidden, unique per process and call; O_EXCL|O_NOFOLLOW: a planted
	 * file or link of that name makes the write fail, never redirects it. */
	snprintf(tmp, sizeof(tmp), ".%s.%ld.%lu.tmp", name, (long)getpid(),
		 __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
	rc = persist_hook(EVS_PERSIST_STEP_OPEN, name);
	if (rc < 0)
		return rc;
	/* 0600 until the end: secrets are never readable by others, not even
	 * while being written. */
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	rc = persist_write_all(fd, name, data, len);
	if (rc == 0)
		rc = set_attrs(fd, have_old ? &st : NULL, opts);
	if (rc == 0)
		rc = persist_hook(EVS_PERSIST_STEP_FSYNC, name);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc < 0)
		goto err_unlink;
	snprintf(ptmp, sizeof(ptmp), "%s.prev", tmp);
	keep = have_old && opts->keep_prev;
	if (keep) {
		rc = prev_link(dirfd, name, ptmp);
		if (rc < 0)
			goto err_unlink;
	}
	rc = persist_hook(EVS_PERSIST_STEP_RENAME, name);
	if (rc == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		rc = -errno;
	if (rc < 0) {
		if (keep)
			unlinkat(dirfd, ptmp, 0);
		goto err_unlink;
	}
	if (keep)
		rc = prev_commit(dirfd, name, ptmp);
	/* The renames are durable only once the directory is. */
	if (rc == 0)
		rc = persist_hook(EVS_PERSIST_STEP_DIRSYNC, name);
	if (rc == 0 && fsync(dirfd) < 0)
		rc = -errno;
	return rc;

err_unlink:
	unlinkat(dirfd, tmp, 0);
	return rc;
}

int persist_read_file(const char *path, char **buf, size_t *len)
{
	struct stat st;
	size_t cap, n = 0;
	ssize_t r;
	char *b;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	errno = 0;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int rc = errno;

		close(fd);
		return rc != 0 ? -rc : -EINVAL;
	}
	cap = (size_t)st.st_size + 1;
	b = malloc(cap);
	if (b == NULL) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		if (n + 1 == cap) {
			char *nb = realloc(b, cap * 2);

			if (nb == NULL) {
				free(b);
				close(fd);
				return -ENOMEM;
			}
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			free(b);
			close(fd);
			return (int)r;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/* Read and check one file; on a problem fill @msg and return -EBADMSG (or
 * -errno of reading). */
static int load_one(const char *path, evs_persist_check_t check, void *arg, json_t **doc, char *msg,
		    size_t msglen)
{
	json_error_t jerr;
	char *buf, why[EVS_PERSIST_ERR_MAX];
	size_t len;
	json_t *d;
	int rc = persist_read_file(path, &buf, &len);

	if (rc < 0) {
		snprintf(msg, msglen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	d = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	if (d == NULL) {
		snprintf(msg, msglen, "%s is damaged or truncated: line %d column %d: %s", path,
			 jerr.line, jerr.column, jerr.text);
		return -EBADMSG;
	}
	if (!json_is_object(d)) {
		snprintf(msg, msglen, "%s is damaged: not a JSON object", path);
		json_decref(d);
		return -EBADMSG;
	}
	why[0] = '\0';
	if (check != NULL && check(d, arg, why, sizeof(why)) < 0) {
		snprintf(msg, msglen, "%s is refused: %s", path, why);
		json_decref(d);
		return -EBADMSG;
	}
	*doc = d;
	return 0;
}

int evs_persist_load(const char *path, evs_persist_check_t check, void *arg, json_t **doc,
		     struct evs_persist_load_info *info)
{
	char prev[PATH_MAX], bad[PATH_MAX], msg2[EVS_PERSIST_ERR_MAX];
	int rc;

	if (path == NULL || doc == NULL || info == NULL)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	rc = load_one(path, check, arg, doc, info->error, sizeof(info->error));
	if (rc != -EBADMSG)
		return rc;
	if (snprintf(prev, sizeof(prev), "%s%s", path, EVS_PERSIST_PREV_SUFFIX) >=
		(int)sizeof(prev) ||
	    snprintf(bad, sizeof(bad), "%s%s", path, EVS_PERSIST_CORRUPT_SUFFIX) >=
		(int)sizeof(bad))
		return -EBADMSG;
	if (load_one(prev, check, arg, doc, msg2, sizeof(msg2)) < 0) {
		size_t n = strlen(info->error);

		snprintf(info->error + n, sizeof(info->error) - n, "; last good copy: %s", msg2);
		return -EBADMSG;
	}
	/* Set the damaged file aside: the next write must not rotate it into
	 * the good copy. */
	if (rename(path, bad) < 0) {
		rc = -errno;
		json_decref(*doc);
		*doc = NULL;
		return rc;
	}
	info->from_prev = true;
	return 0;
}

int persist_target(const char *path, bool follow, char **real, char **name, int *dirfd)
{
	char *r = follow ? realpath(path, NULL) : NULL;
	char *d1 = NULL, *d2 = NULL;
	int rc = 0;

	*name = NULL;
	*dirfd = -1;
	if (r == NULL && follow && errno != ENOENT)
		return -errno;
	*real = r != NULL ? r : strdup(path);
	if (*real != NULL) {
		d1 = strdup(*real);
		d2 = strdup(*real);
	}
	if (d1 == NULL || d2 == NULL || (*name = strdup(basename(d1))) == NULL)
		rc = -ENOMEM;
	else if (!persist_name_ok(*name))
		rc = -EINVAL;
	else if ((*dirfd = open(dirname(d2), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		rc = -errno;
	free(d1);
	free(d2);
	return rc;
}
