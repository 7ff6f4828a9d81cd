/* tests/fuzz/fuzz_extract.c: arbitrary bytes as a contract's text (split into pages at form
 * feeds): clause cutting, the 41 categories' scoring and the normalizers either fail with a
 * message or give hits whose spans lie inside the text, ordered by category; never a crash. */
#include "extract.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static app_extract_rules *rules;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    if (!rules && app_extract_rules_default(&rules, err, sizeof err)) abort();
    char *buf = malloc(size + 1);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = 0;
    const char *pages[16];
    int np = 0;
    for (char *p = buf; np < 16;) { /* NUL bytes end the text, as in a C string */
        pages[np++] = p;
        char *ff = strchr(p, '\f');
        if (!ff) break;
        *ff = 0, p = ff + 1;
    }
    app_extract_text t;
    app_extract_clause *c = NULL;
    size_t n = 0;
    app_extract_result res = {0};
    if (app_extract_text_from_pages(pages, np, np > 1, &t, err, sizeof err)) {
        if (!err[0]) abort();
        free(buf);
        return 0;
    }
    if (!app_extract_segment(&t, &c, &n, err, sizeof err)) {
        for (size_t i = 0; i < n; i++)
            if (c[i].start > c[i].end || c[i].end > t.len || c[i].head_end > t.len) abort();
        if (!app_extract_run(rules, &t, c, n, NULL, &res, err, sizeof err)) {
            for (size_t i = 0; i < res.n; i++) {
                if (res.hits[i].start > res.hits[i].end || res.hits[i].end > t.len) abort();
                if (i && res.hits[i].category < res.hits[i - 1].category) abort();
                int page, line;
                app_extract_text_locate(&t, res.hits[i].start, &page, &line);
                if (line < 1 || page < 0 || page > np) abort();
            }
        }
    }
    app_extract_result_free(&res);
    free(c);
    app_extract_text_free(&t);
    free(buf);
    return 0;
}
