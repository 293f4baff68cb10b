/*
** err.c: error codes and messages (struct err).
**
** Codes are small negative integers so that `if (rc < 0)` works everywhere;
** the message travels beside the code in a caller-owned struct err, which
** keeps error reporting thread-safe without any global "last error".
*/
#include "base/base.h"

#include <stdio.h>
#include <string.h>

static const char *const err_names[ERR_COUNT] = {
    "ok",          "invalid",   "not_found",    "exists",
    "conflict",    "forbidden", "unauthorized", "too_big",
    "io",          "db",        "busy",         "timeout",
    "unsupported", "internal",  "infeasible",   "bad_reference",
};

const char *err_str(int code)
{
    if (code > 0 || -code >= ERR_COUNT)
        return "unknown";
    return err_names[-code];
}

int err_setv(struct err *e, int code, const char *fmt, va_list ap)
{
    if (e) {
        e->code = code;
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    }
    return code;
}

int err_set(struct err *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_setv(e, code, fmt, ap);
    va_end(ap);
    return code;
}

int err_prefix(struct err *e, const char *fmt, ...)
{
    if (!e)
        return ERR_INTERNAL;
    char head[128], old[sizeof e->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    old[sizeof old - 1] = '\0';
    /* Truncation is intended: the message stays within its fixed size. */
    size_t h = strlen(head), o = strlen(old);
    if (h > sizeof e->msg - 1)
        h = sizeof e->msg - 1;
    if (o > sizeof e->msg - 1 - h)
        o = sizeof e->msg - 1 - h;
    memcpy(e->msg, head, h);
    memcpy(e->msg + h, old, o);
    e->msg[h + o] = '\0';
    return e->code;
}

void err_clear(struct err *e)
{
    if (e) {
        e->code = 0;
        e->msg[0] = '\0';
    }
}
