/* tests/fuzz/fuzz_ask_text.c: document and model text through the pieces of ask and summarize
 * that parse it: the sentence splitter (ranges in order, inside the text, never empty), the
 * rerank and its boilerplate test, the citation parser and verifier, and a LexRank summary,
 * whatever the bytes (invalid UTF-8, NULs cut the text as C strings do). */
#include "cite.h"
#include "retrieve.h"
#include "sentence.h"
#include "summary.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *t = malloc(size + 1);
    if (!t) return 0;
    memcpy(t, data, size);
    t[size] = 0;
    app_sentence *s;
    size_t n;
    if (app_sentences_split(t, size, &s, &n) == 0) {
        size_t last = 0;
        for (size_t i = 0; i < n; i++) {
            if (s[i].start < last || s[i].end <= s[i].start || s[i].end > size) abort();
            last = s[i].end;
        }
        free(s);
    }
    size_t len = strlen(t);
    app_question *q;
    if (app_question_parse(t, &q) == 0) {
        app_passage p = {0};
        app_retrieve_score(q, t, t, 1, &p);
        for (size_t i = 0; i < p.nbest; i++)
            if (p.best[i].end > len) abort();
        app_question_destroy(q);
    }
    app_boilerplate(t);
    const char *pass[] = {t, "fixed passage text"};
    app_cite *c;
    if (app_cite_check(t, pass, 2, &c, &n) == 0) {
        for (size_t i = 0; i < n; i++)
            if (c[i].at >= len || (c[i].quote && c[i].qb > len)) abort();
        free(c);
    }
    app_sum_passage sp[2] = {{t, 1, NULL}, {t, 2, "h"}};
    app_summary sm;
    if (app_summary_make(sp, 2, APP_SUM_LONG, &sm) == 0) app_summary_free(&sm);
    free(t);
    return 0;
}
