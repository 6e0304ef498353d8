/* SPDX-License-Identifier: BSD-3-Clause */
/* The one table from -errno (the internal convention) to JSON-RPC error codes. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ctl_private.h"

static const struct {
	int err;
	int code;
} errno_codes[] = {
    {EINVAL, EVS_CTL_E_INVALID_PARAMS},
    {ERANGE, EVS_CTL_E_INVALID_PARAMS},
    {EDOM, EVS_CTL_E_INVALID_PARAMS},
    {E2BIG, EVS_CTL_E_INVALID_PARAMS},
    {ENAMETOOLONG, EVS_CTL_E_INVALID_PARAMS},
    {EEXIST, EVS_CTL_E_EXISTS},
    {EADDRINUSE, EVS_CTL_E_EXISTS},
    {EALREADY, EVS_CTL_E_EXISTS},
    {EBUSY, EVS_CTL_E_EXISTS}, /* still in use (referenced): a conflict */
    {ENOENT, EVS_CTL_E_NOT_FOUND},
    {ENODEV, EVS_CTL_E_NOT_FOUND},
    {ESRCH, EVS_CTL_E_NOT_FOUND},
    {ENOSPC, EVS_CTL_E_BUSY},
    {EAGAIN, EVS_CTL_E_BUSY},
    {EMSGSIZE, EVS_CTL_E_BUSY},
    {ENOBUFS, EVS_CTL_E_BUSY},
    {EMFILE, EVS_CTL_E_BUSY},
    {EDQUOT, EVS_CTL_E_BUSY},
    {ESTALE, EVS_CTL_E_CONFLICT}, /* expected generation is not the current one */
    /* A device or the disk refused: the request was valid, applying failed.
     * (A client's role is refused with EVS_CTL_E_FORBIDDEN directly.) */
    {EIO, EVS_CTL_E_APPLY_FAILED},
    {ENXIO, EVS_CTL_E_APPLY_FAILED},
    {EPERM, EVS_CTL_E_APPLY_FAILED},
    {EACCES, EVS_CTL_E_APPLY_FAILED},
    {ENOTSUP, EVS_CTL_E_APPLY_FAILED},
    {EPROTO, EVS_CTL_E_APPLY_FAILED},
    {ETIMEDOUT, EVS_CTL_E_APPLY_FAILED},
    {ENOTCONN, EVS_CTL_E_APPLY_FAILED},
    {EROFS, EVS_CTL_E_APPLY_FAILED},
    {ENOMEM, EVS_CTL_E_INTERNAL},
};

static const struct {
	int code;
	const char *name;
} code_names[] = {
    {EVS_CTL_E_PARSE, "parse error"},
    {EVS_CTL_E_INVALID_REQUEST, "invalid request"},
    {EVS_CTL_E_METHOD_NOT_FOUND, "method not found"},
    {EVS_CTL_E_INVALID_PARAMS, "invalid params"},
    {EVS_CTL_E_INTERNAL, "internal error"},
    {EVS_CTL_E_EXISTS, "exists"},
    {EVS_CTL_E_NOT_FOUND, "not found"},
    {EVS_CTL_E_BUSY, "busy / limit"},
    {EVS_CTL_E_APPLY_FAILED, "apply failed"},
    {EVS_CTL_E_FORBIDDEN, "forbidden"},
    {EVS_CTL_E_CONFLICT, "conflict"},
};

int evs_ctl_errno_code(int rc)
{
	size_t i;

	if (rc < 0)
		rc = -rc;
	if (rc == 0)
		return 0;
	for (i = 0; i < sizeof(errno_codes) / sizeof(errno_codes[0]); i++)
		if (errno_codes[i].err == rc)
			return errno_codes[i].code;
	return EVS_CTL_E_INTERNAL;
}

const char *evs_ctl_errcode_name(int code)
{
	size_t i;

	for (i = 0; i < sizeof(code_names) / sizeof(code_names[0]); i++)
		if (code_names[i].code == code)
			return code_names[i].name;
	return "error";
}

int evs_ctl_error_errno(struct evs_ctl_call *call, int rc, const char *path, const char *fmt, ...)
{
	char ctx[EVS_CTL_MSG_MAX];
	va_list ap;

	ctx[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(ctx, sizeof(ctx), fmt, ap);
		va_end(ap);
	}
	return evs_ctl_error(call, evs_ctl_errno_code(rc), path, "%s%s%s", ctx,
			     ctx[0] != '\0' ? ": " : "", strerror(rc < 0 ? -rc : rc));
}
