/*
** str.c: string slices, the capped growable buffer (strbuf), UTF-8
** validation and whole-file helpers.
**
** strbuf follows curl's dynbuf: every buffer has a hard maximum, so input
** from the network can never grow one without bound; exceeding it is an
** ordinary error (ERR_TOOBIG) that leaves the content intact.
*/
#include "base/base.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STRBUF_DEFAULT_MAX ((size_t)1 << 30)

struct str str_from(const char *s)
{
    return (struct str){s, s ? strlen(s) : 0};
}

bool str_eq(struct str a, const char *b)
{
    size_t n = strlen(b);
    return a.len == n && memcmp(a.ptr, b, n) == 0;
}

bool str_has_prefix(struct str s, const char *prefix)
{
    size_t n = strlen(prefix);
    return s.len >= n && memcmp(s.ptr, prefix, n) == 0;
}

int str_to_i64(struct str s, int64_t *out)
{
    char buf[32];
    if (s.len == 0 || s.len >= sizeof buf)
        return ERR_INVAL;
    memcpy(buf, s.ptr, s.len);
    buf[s.len] = '\0';
    char *end;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    /* strtoll skips leading white space and takes a '+': neither is a number here */
    if (errno || *end || end == buf || isspace((unsigned char)buf[0]) || buf[0] == '+')
        return ERR_INVAL;
    *out = v;
    return 0;
}

int str_to_double(struct str s, double *out)
{
    char buf[64];
    if (s.len == 0 || s.len >= sizeof buf)
        return ERR_INVAL;
    memcpy(buf, s.ptr, s.len);
    buf[s.len] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (errno == ERANGE || *end || end == buf || !isfinite(v) || isspace((unsigned char)buf[0]))
        return ERR_INVAL;
    *out = v;
    return 0;
}

bool utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned c = *p;
        if (c < 0x80) {
            p++;
            continue;
        }
        size_t n;
        unsigned min;
        if ((c & 0xE0) == 0xC0) {
            n = 1, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, min = 0x10000, c &= 0x07;
        } else {
            return false;
        }
        if ((size_t)(end - p) <= n)
            return false;
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            c = (c << 6) | (p[i] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return false;
        p += n + 1;
    }
    return true;
}

/* ----------------------------------------------------------------- strbuf */

void strbuf_init(struct strbuf *sb, size_t max)
{
    sb->buf = NULL;
    sb->len = 0;
    sb->cap = 0;
    sb->max = max ? max : STRBUF_DEFAULT_MAX;
}

static int strbuf_reserve(struct strbuf *sb, size_t extra)
{
    size_t max = sb->max ? sb->max : STRBUF_DEFAULT_MAX;
    if (extra > max || sb->len > max - extra)
        return ERR_TOOBIG;
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap)
        return 0;
    size_t cap = sb->cap ? sb->cap : 256; /* most JSON answers fit without a regrow */
    while (cap < need)
        cap *= 2;
    if (cap > max + 1)
        cap = max + 1;
    sb->buf = xrealloc(sb->buf, cap);
    sb->cap = cap;
    return 0;
}

int strbuf_add(struct strbuf *sb, const void *p, size_t n)
{
    int rc = strbuf_reserve(sb, n);
    if (rc)
        return rc;
    if (n)
        memcpy(sb->buf + sb->len, p, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
    return 0;
}

int strbuf_addstr(struct strbuf *sb, const char *s)
{
    return strbuf_add(sb, s, strlen(s));
}

int strbuf_addch(struct strbuf *sb, char c)
{
    return strbuf_add(sb, &c, 1);
}

int strbuf_addvf(struct strbuf *sb, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return ERR_INVAL;
    }
    int rc;
    if ((size_t)n < sizeof small) {
        rc = strbuf_add(sb, small, (size_t)n);
    } else {
        rc = strbuf_reserve(sb, (size_t)n);
        if (!rc) {
            vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap2);
            sb->len += (size_t)n;
        }
    }
    va_end(ap2);
    return rc;
}

int strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = strbuf_addvf(sb, fmt, ap);
    va_end(ap);
    return rc;
}

int strbuf_add_json_str(struct strbuf *sb, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t start_len = sb->len;
    int rc = strbuf_addch(sb, '"');
    size_t run = 0; /* bytes copied verbatim in one go */
    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[7];
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            if (c < 0x20) {
                u[0] = '\\', u[1] = 'u', u[2] = '0', u[3] = '0';
                u[4] = hex[c >> 4], u[5] = hex[c & 15], u[6] = '\0';
                esc = u;
            }
        }
        if (esc) {
            rc = strbuf_add(sb, s + i - run, run);
            run = 0;
            if (!rc)
                rc = strbuf_addstr(sb, esc);
        } else {
            run++;
        }
    }
    if (!rc)
        rc = strbuf_add(sb, s + n - run, run);
    if (!rc)
        rc = strbuf_addch(sb, '"');
    if (rc) {
        sb->len = start_len;
        if (sb->buf)
            sb->buf[start_len] = '\0';
    }
    return rc;
}

const char *strbuf_str(const struct strbuf *sb)
{
    return sb->buf ? sb->buf : "";
}

void strbuf_reset(struct strbuf *sb)
{
    sb->len = 0;
    if (sb->buf)
        sb->buf[0] = '\0';
}

char *strbuf_detach(struct strbuf *sb, size_t *len)
{
    char *p = sb->buf ? sb->buf : xstrdup("");
    if (len)
        *len = sb->len;
    sb->buf = NULL;
    sb->len = sb->cap = 0;
    return p;
}

void strbuf_release(struct strbuf *sb)
{
    free(sb->buf);
    sb->buf = NULL;
    sb->len = sb->cap = 0;
}

/* ------------------------------------------------------------------ files */

int file_read_all(const char *path, struct strbuf *sb, struct err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(e, errno == ENOENT ? ERR_NOTFOUND : ERR_IO, "%s: %s", path, strerror(errno));
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int saved = errno;
            close(fd);
            return err_set(e, ERR_IO, "%s: %s", path, strerror(saved));
        }
        if (n == 0)
            break;
        if (strbuf_add(sb, buf, (size_t)n)) {
            close(fd);
            return err_set(e, ERR_TOOBIG, "%s: larger than %zu bytes", path, sb->max);
        }
    }
    close(fd);
    if (!sb->buf)
        strbuf_add(sb, "", 0);
    return 0;
}

/* Write all n bytes to fd (retrying short writes and EINTR). */
static int write_all(int fd, const char *name, const void *p, size_t n, struct err *e)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return err_set(e, ERR_IO, "%s: %s", name, strerror(errno));
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Into what path already is (a device, a pipe, a dangling link's target):
** in place, since replacing it would destroy it (`-o /dev/null` must not
** turn the device into a file). */
static int write_through(const char *path, const void *p, size_t n, struct err *e)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return err_set(e, ERR_IO, "%s: %s", path, strerror(errno));
    int rc = write_all(fd, path, p, n, e);
    struct stat st;
    if (!rc && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && fsync(fd) != 0)
        rc = err_set(e, ERR_IO, "%s: fsync: %s", path, strerror(errno));
    if (close(fd) != 0 && !rc)
        rc = err_set(e, ERR_IO, "%s: %s", path, strerror(errno));
    return rc;
}

int file_write_atomic(const char *path, const void *p, size_t n, struct err *e)
{
    struct stat st;
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode))
            return err_set(e, ERR_IO, "%s: is a directory", path);
        if (S_ISLNK(st.st_mode)) {
            /* a link to a regular file: replace the file, keep the link */
            char *target = realpath(path, NULL);
            struct stat ts;
            if (target && stat(target, &ts) == 0 && S_ISREG(ts.st_mode)) {
                int rc = file_write_atomic(target, p, n, e);
                free(target);
                return rc;
            }
            free(target);
        }
        return write_through(path, p, n, e);
    }
    size_t plen = strlen(path);
    char *tmp = xmalloc(plen + 16);
    snprintf(tmp, plen + 16, "%s.tmp%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = 0;
    if (fd < 0) {
        rc = err_set(e, ERR_IO, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    rc = write_all(fd, tmp, p, n, e);
    if (!rc && fsync(fd) != 0)
        rc = err_set(e, ERR_IO, "%s: fsync: %s", tmp, strerror(errno));
    close(fd);
    if (!rc && rename(tmp, path) != 0)
        rc = err_set(e, ERR_IO, "%s: %s", path, strerror(errno));
    if (rc)
        unlink(tmp);
out:
    free(tmp);
    return rc;
}

void str_ipv4(const void *addr4, char out[16])
{
    const unsigned char *b = addr4;
    char *p = out;
    for (int i = 0; i < 4; i++) {
        unsigned v = b[i];
        if (v >= 100)
            *p++ = (char)('0' + v / 100);
        if (v >= 10)
            *p++ = (char)('0' + v / 10 % 10);
        *p++ = (char)('0' + v % 10);
        *p++ = i < 3 ? '.' : '\0';
    }
}

void str_put_digits(char *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
}
