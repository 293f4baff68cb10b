/*
** fuzz_telemetry_lineproto.c: libFuzzer target for the InfluxDB line-protocol
** parser (src/telemetry/lineproto.c). Any input must parse without a crash,
** a leak or reading past its end, and the result must be self-consistent:
** every point has a measurement and at least one field, every error names a
** line within the input, tags are sorted. The ingest path's callback form
** (tm__lp_each) yields the same points, and where it calls a line "plain"
** the line's own text up to the first field name is exactly the canonical
** series key (which ingest then uses without building it).
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "telemetry/telemetry_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check_point(void *ctx, const struct tm_lp_point *pt, const struct tm__lp_line *ln)
{
    (*(size_t *)ctx)++;
    const char *pre_end =
        pt->ntags ? pt->tags[pt->ntags - 1].value.ptr + pt->tags[pt->ntags - 1].value.len
                  : pt->measurement.ptr + pt->measurement.len;
    const struct str f = pt->fields[0].key;
    if (!ln->plain || f.ptr != pre_end + 1)
        return 0;
    char key[600];
    int kl = tm__series_key(key, sizeof key, pt->measurement, pt->tags, pt->ntags, f);
    size_t sl = (size_t)(f.ptr + f.len - ln->s);
    if (kl >= 0 && ((size_t)kl != sl || memcmp(key, ln->s, sl)))
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a private copy so reads past the end are caught by ASan */
    char *buf = malloc(size ? size : 1);
    if (size)
        memcpy(buf, data, size);
    struct arena a;
    arena_init(&a, 16 * 1024);
    struct tm_lp_batch b;
    enum tm_precision prec = size ? (enum tm_precision)(data[0] % 4) : TM_PREC_NS;
    size_t n = tm_lp_parse(buf, size, prec, 1700000000000LL, &a, &b);
    size_t lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += buf[i] == '\n';
    if (n != b.npoints || b.nerrors > b.bad_lines || n + b.bad_lines > lines)
        abort();
    for (size_t i = 0; i < b.npoints; i++) {
        const struct tm_lp_point *p = &b.points[i];
        if (!p->measurement.len || !p->nfields || p->line < 1 || (size_t)p->line > lines)
            abort();
        for (size_t j = 1; j < p->ntags; j++) {
            size_t m = p->tags[j - 1].key.len < p->tags[j].key.len ? p->tags[j - 1].key.len
                                                                   : p->tags[j].key.len;
            int c = memcmp(p->tags[j - 1].key.ptr, p->tags[j].key.ptr, m);
            if (c > 0 || (c == 0 && p->tags[j - 1].key.len >= p->tags[j].key.len))
                abort();
        }
    }
    for (size_t i = 0; i < b.nerrors; i++)
        if (b.errors[i].line < 1 || (size_t)b.errors[i].line > lines)
            abort();
    size_t seen = 0;
    struct tm_lp_batch b2;
    if (tm__lp_each(buf, size, prec, 1700000000000LL, &a, &b2, check_point, &seen))
        abort();
    if (seen != n || b2.npoints != n || b2.bad_lines != b.bad_lines)
        abort();
    arena_release(&a);
    free(buf);
    return 0;
}
