/*
** log.c: logfmt event lines with levels.
**
** One handle per process, made in main and passed down (no global logger).
** Each line is formatted into a local buffer and written with one fwrite
** under the stream's lock, so lines from different threads never interleave.
*/
#include "base/base.h"

#include <stdlib.h>
#include <string.h>

struct log {
    FILE *to;
    enum log_level min;
};

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

int log_new(struct log **out, FILE *to, enum log_level min)
{
    struct log *lg = xcalloc(1, sizeof *lg);
    lg->to = to ? to : stderr;
    lg->min = min;
    *out = lg;
    return 0;
}

void log_free(struct log *lg)
{
    free(lg);
}

void log_set_level(struct log *lg, enum log_level min)
{
    lg->min = min;
}

bool log_enabled(const struct log *lg, enum log_level lvl)
{
    return lg && lvl >= lg->min && lvl < LOG_OFF;
}

int log_level_parse(const char *name, enum log_level *out)
{
    for (int i = 0; i <= LOG_OFF; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return ERR_INVAL;
}

const char *log_quote(char *buf, size_t size, const char *v)
{
    if (!v)
        v = "";
    bool plain = *v != '\0';
    for (const char *p = v; *p && plain; p++)
        plain = *p > ' ' && *p != '"' && *p != '=' && *p != '\\' && *p != 0x7f;
    if (plain) {
        snprintf(buf, size, "%s", v);
        return buf;
    }
    size_t o = 0;
    if (size < 3) {
        if (size)
            buf[0] = '\0';
        return buf;
    }
    buf[o++] = '"';
    for (const char *p = v; *p && o + 3 < size; p++) {
        char c = *p;
        if (c == '"' || c == '\\') {
            buf[o++] = '\\';
            buf[o++] = c;
        } else if (c == '\n') {
            buf[o++] = '\\';
            buf[o++] = 'n';
        } else if ((unsigned char)c < ' ') {
            buf[o++] = ' ';
        } else {
            buf[o++] = c;
        }
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

void log_write(struct log *lg, enum log_level lvl, const char *event, const char *kv, ...)
{
    if (!log_enabled(lg, lvl))
        return;
    char line[2048], ts[32];
    int n = snprintf(line, sizeof line, "ts=%s level=%s event=%s",
                     time_fmt_rfc3339(time_now_ms(), ts), level_names[lvl], event);
    if (kv && *kv && n > 0 && (size_t)n < sizeof line - 2) {
        line[n++] = ' ';
        va_list ap;
        va_start(ap, kv);
        int m = vsnprintf(line + n, sizeof line - (size_t)n, kv, ap);
        va_end(ap);
        if (m > 0)
            n += m;
    }
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line - 1)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    fwrite(line, 1, (size_t)n, lg->to);
    fflush(lg->to);
}
