/*
** lang.c: content negotiation by language (RFC 9110 12.5.4). A handler
** that can answer in several languages names them; http_accept_language
** reads the request's Accept-Language and says which the reader prefers.
** A preference never fails a request: a range it cannot read is skipped.
*/
#include "http/http_int.h"

#include <string.h>
#include <strings.h>

/* Most languages a handler may offer. */
#define LANG_OFFER_MAX 8

static bool ows(char c)
{
    return c == ' ' || c == '\t';
}

/* A qvalue ("0", "0.5", "1.000") in thousandths, or -1 when malformed. */
static int qvalue(const char *s, size_t n)
{
    if (n == 0 || (s[0] != '0' && s[0] != '1') || (n > 1 && s[1] != '.') || n > 5)
        return -1;
    int q = (s[0] - '0') * 1000;
    for (size_t i = 2, scale = 100; i < n; i++, scale /= 10) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        q += (s[i] - '0') * (int)scale;
    }
    return q <= 1000 ? q : -1;
}

/* Which offered language a range names by its primary subtag (zh-CN is
** zh): its index, n for "*", -1 for another. */
static int range_index(const char *tag, size_t len, const char *const *offered, size_t n)
{
    if (len == 1 && tag[0] == '*')
        return (int)n;
    size_t primary = 0;
    while (primary < len && tag[primary] != '-')
        primary++;
    for (size_t i = 0; i < n; i++)
        if (strlen(offered[i]) == primary && strncasecmp(tag, offered[i], primary) == 0)
            return (int)i;
    return -1;
}

size_t http_accept_language(const char *h, const char *const *offered, size_t n)
{
    if (n > LANG_OFFER_MAX)
        n = LANG_OFFER_MAX;
    /* the best q of each offered language and of "*" (the last slot), and
    ** the position of the range giving it */
    int q[LANG_OFFER_MAX + 1], pos[LANG_OFFER_MAX + 1];
    for (size_t i = 0; i <= n; i++)
        q[i] = -1, pos[i] = 0;
    for (int idx = 0; h && *h; idx++) {
        const char *end = strchr(h, ',');
        if (!end)
            end = h + strlen(h);
        while (h < end && ows(*h))
            h++;
        const char *tag = h;
        while (h < end && *h != ';' && !ows(*h))
            h++;
        size_t tag_len = (size_t)(h - tag);
        int v = 1000;
        while (h < end && v >= 0) { /* parameters: only q counts */
            while (h < end && (ows(*h) || *h == ';'))
                h++;
            const char *pa = h;
            while (h < end && *h != ';' && !ows(*h))
                h++;
            if (h - pa >= 2 && (pa[0] == 'q' || pa[0] == 'Q') && pa[1] == '=')
                v = qvalue(pa + 2, (size_t)(h - pa - 2));
        }
        int l = range_index(tag, tag_len, offered, n);
        if (l >= 0 && v > q[l]) {
            q[l] = v;
            pos[l] = idx;
        }
        h = *end ? end + 1 : end;
    }
    /* "*" stands for a language no range names; the best q wins, then the
    ** range listed first, then the handler's order; nothing acceptable
    ** (q=0 everywhere, or nothing named): the first offered */
    size_t best = 0;
    int best_q = 0, best_pos = 0;
    for (size_t i = 0; i < n; i++) {
        int qi = q[i] < 0 ? q[n] : q[i], pi = q[i] < 0 ? pos[n] : pos[i];
        if (qi > best_q || (qi == best_q && qi > 0 && pi < best_pos)) {
            best = i;
            best_q = qi;
            best_pos = pi;
        }
    }
    return best;
}
