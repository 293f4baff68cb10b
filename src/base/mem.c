/*
** mem.c: allocation that cannot fail, and the arena allocator.
**
** Out-of-memory aborts: a county server that cannot allocate a few bytes has
** no sensible way on, and not checking every malloc keeps the real error
** paths short enough to test. The arena hands out 16-byte aligned pieces of
** large blocks; everything is freed together, which suits a request or an
** ingest batch.
*/
#include "base/base.h"

#include <stdlib.h>
#include <string.h>

#ifdef RL_HAVE_MIMALLOC
#include <mimalloc.h>
#endif

void rl_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ruralink: fatal: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

const char *mem_allocator(void)
{
#ifdef RL_HAVE_MIMALLOC
    void *probe = calloc(1, 64); /* calloc: gcc counts passing it on as a read */
    bool ours = mi_is_in_heap_region(probe);
    free(probe);
    if (!ours)
        return "glibc (mimalloc linked but not in use)";
    return "mimalloc";
#else
    return "glibc";
#endif
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        rl_die("out of memory (%zu bytes)", n);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        rl_die("out of memory (%zu x %zu bytes)", count, size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        rl_die("out of memory (%zu bytes)", n);
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void xgrow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return;
    size_t c = *cap ? *cap : 8;
    while (c < need)
        c *= 2;
    *p = xrealloc(*p, c * size);
    *cap = c;
}

/* ------------------------------------------------------------------ arena */

struct arena_block {
    struct arena_block *next;
    size_t size; /* usable bytes in data */
    size_t used;
    _Alignas(16) unsigned char data[];
};

void arena_init(struct arena *a, size_t block_size)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 8192;
    a->total = 0;
}

void *arena_alloc(struct arena *a, size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    struct arena_block *b = a->head;
    if (!b || b->size - b->used < need) {
        /* Oversized requests get a block of their own. */
        size_t size = need > a->block_size ? need : a->block_size;
        b = xmalloc(sizeof *b + size);
        b->size = size;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += need;
    a->total += need;
    return p;
}

void *arena_calloc(struct arena *a, size_t n)
{
    void *p = arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = arena_alloc(a, (size_t)(n < 0 ? 0 : n) + 1);
    vsnprintf(p, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

void arena_reset(struct arena *a)
{
    struct arena_block *b = a->head;
    if (!b)
        return;
    /* Keep the oldest block (the tail) so a reused arena does not churn,
    ** unless it is an oversized one: a reused arena must not pin it. */
    while (b->next) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    if (b->size > a->block_size) {
        free(b);
        a->head = NULL;
        a->total = 0;
        return;
    }
    b->used = 0;
    a->head = b;
    a->total = 0;
}

void arena_release(struct arena *a)
{
    struct arena_block *b = a->head;
    while (b) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->total = 0;
}
