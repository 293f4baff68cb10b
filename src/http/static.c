/*
** static.c: files of the web dashboard under cfg.web_root, for GET and HEAD
** requests that no API route took.
**
** Safety: the (already percent-decoded) path is checked segment by segment:
** empty, "." and ".." segments, backslashes, NUL bytes and hidden files
** (leading '.') are refused before any file system call, and the file is
** opened relative to the web root's directory descriptor with openat() and
** O_NOFOLLOW on the last component, then checked to be a regular file. A path
** that names nothing and whose last segment has no extension gets index.html
** instead (the dashboard is a single-page application with client-side
** routes); a missing asset (with an extension) stays a 404.
*/
#include "http/http_int.h"

#include <fcntl.h>
#include <microhttpd.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

struct ctype {
    const char *ext;
    const char *type;
};

static const struct ctype ctypes[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"geojson", "application/geo+json"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"ico", "image/x-icon"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"txt", "text/plain; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"pdf", "application/pdf"},
    {"wasm", "application/wasm"},
    {"webmanifest", "application/manifest+json"},
    {"yaml", "application/yaml"},
    {"yml", "application/yaml"},
};

const char *http__content_type(const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    const char *dot = strrchr(base, '.');
    if (dot && dot != base) {
        for (size_t i = 0; i < RL_ARRAY_LEN(ctypes); i++)
            if (strcasecmp(dot + 1, ctypes[i].ext) == 0)
                return ctypes[i].type;
    }
    return "application/octet-stream";
}

/* Relative path under the root, or NULL when any segment is unsafe. */
static const char *safe_rel(const char *path)
{
    if (path[0] != '/')
        return NULL;
    const char *p = path + 1;
    if (*p == '\0')
        return "index.html";
    for (const char *s = p;;) {
        const char *end = strchr(s, '/');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        if (len == 0 || s[0] == '.' || memchr(s, '\\', len))
            return NULL;
        if (!end)
            break;
        s = end + 1;
    }
    return p;
}

static int open_under(int rootfd, const char *rel, struct stat *st)
{
    int fd = openat(rootfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return -1;
    }
    return fd;
}

bool http__static_serve(const char *web_root, struct http_conn *c, const char *path)
{
    if (!web_root)
        return false;
    const char *rel = safe_rel(path);
    if (!rel)
        return false;
    int rootfd = open(web_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return false;
    struct stat st;
    int fd = open_under(rootfd, rel, &st);
    const char *served = rel;
    if (fd < 0) {
        const char *slash = strrchr(rel, '/');
        const char *last = slash ? slash + 1 : rel;
        if (!strchr(last, '.')) {
            served = "index.html";
            fd = open_under(rootfd, served, &st);
        }
    }
    close(rootfd);
    if (fd < 0)
        return false;
    struct MHD_Response *r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
    if (!r) {
        close(fd);
        return false;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, http__content_type(served));
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (strcmp(served, "index.html") == 0)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    else if (strncmp(served, "assets/", 7) == 0)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
                                "public, max-age=31536000, immutable");
    c->mresp = r;
    c->mstatus = 200;
    c->mbytes = (size_t)st.st_size;
    return true;
}
