/* app/extract_run.c: one rule-based pass over a contract: every clause scored for every category
 * wanted, the best kept (a sentence that refers back, "Such notice ...", joins its clause). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "extract.h"
#include "extract_int.h"

#include <ctype.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

enum { SCORE_BYTES = 8192 };

int app_extract_best(xt_run *x, int cat, size_t limit, int *idx, double *score, int cap)
{
    const xt_category *c = &x->r->cat[cat];
    int n = 0;
    for (size_t i = 0; i < x->nc; i++) {
        if (x->c[i].is_heading && c->answer != XT_ANS_TITLE) continue;
        if (limit && x->c[i].start >= limit) break;
        double s = app_extract_score(c, x->ctext[i], x->clen[i], x->htext[i], x->hlen[i], x->md);
        x->use_ext[i] = 0;
        if (x->etext[i]) {
            double se = app_extract_score(c, x->etext[i], strlen(x->etext[i]), x->htext[i],
                                          x->hlen[i], x->md);
            if (se > s) s = se, x->use_ext[i] = 1;
        }
        if (s < c->threshold) continue;
        int at = n < cap ? n++ : cap; /* insertion into the best `cap`, stable by position */
        while (at > 0 && score[at - 1] < s) {
            if (at < cap) idx[at] = idx[at - 1], score[at] = score[at - 1];
            at--;
        }
        if (at < cap) idx[at] = (int)i, score[at] = s;
    }
    return n;
}

/* A sentence that opens by pointing back at the one before it. */
static int refers_back(const char *s)
{
    static const char *const openers[] = {
        "such ",      "said ",         "any such ",  "in such event", "the foregoing",
        "thereafter", "in that event", "this right", "this license",  "this notice"};
    for (size_t i = 0; i < sizeof openers / sizeof *openers; i++)
        if (!strncasecmp(s, openers[i], strlen(openers[i]))) return 1;
    return 0;
}

/* Whether clause i + 1 continues clause i: in the same section and pointing back at it, as a
 * provision often runs over two sentences ("... not to renew. Such notice must be given ..."). */
static int continues(const xt_run *x, size_t i)
{
    size_t k = i + 1;
    return k < x->nc && !x->c[k].is_heading && !x->c[i].is_heading &&
           x->c[k].head_start == x->c[i].head_start && refers_back(x->ctext[k]);
}

void app_extract_span(const xt_run *x, int i, size_t *s, size_t *e)
{
    *s = x->c[i].start, *e = x->c[i].end;
    if (x->use_ext[i]) *e = x->c[i + 1].end;
}

static int run_clause(xt_run *x, int cat)
{
    const xt_category *c = &x->r->cat[cat];
    int idx[16];
    double score[16];
    int cap = c->max < 16 ? c->max : 16;
    int n = app_extract_best(x, cat, 0, idx, score, cap);
    if (n > cap) n = cap;
    for (int k = 0; k < n; k++) {
        if (score[k] < 0.75 * score[0]) break;
        size_t s, e;
        app_extract_span(x, idx[k], &s, &e);
        if (app_extract_result_add(x->res, cat, s, e, NULL, app_extract_confidence(c, score[k])))
            return -1;
    }
    return 0;
}

static void run_free(xt_run *x)
{
    for (size_t i = 0; x->ctext && i < x->nc; i++) free(x->ctext[i]);
    for (size_t i = 0; x->htext && i < x->nc; i++) free(x->htext[i]);
    for (size_t i = 0; x->etext && i < x->nc; i++) free(x->etext[i]);
    free(x->ctext), free(x->htext), free(x->etext), free(x->clen), free(x->hlen), free(x->use_ext);
    pcre2_match_data_free(x->md);
}

static int run_prepare(xt_run *x)
{
    x->ctext = calloc(x->nc + 1, sizeof *x->ctext);
    x->htext = calloc(x->nc + 1, sizeof *x->htext);
    x->clen = calloc(x->nc + 1, sizeof *x->clen);
    x->hlen = calloc(x->nc + 1, sizeof *x->hlen);
    x->etext = calloc(x->nc + 1, sizeof *x->etext);
    x->use_ext = calloc(x->nc + 1, 1);
    x->md = pcre2_match_data_create(4, NULL);
    if (!x->ctext || !x->htext || !x->clen || !x->hlen || !x->etext || !x->use_ext || !x->md)
        return -1;
    for (size_t i = 0; i < x->nc; i++) {
        const app_extract_clause *c = &x->c[i];
        /* A clause is scored on its first SCORE_BYTES: patterns look at most a few hundred
         * bytes apart, and a run-on "sentence" of megabytes must not cost quadratic time. */
        size_t end = c->end - c->start > SCORE_BYTES ? c->start + SCORE_BYTES : c->end;
        x->ctext[i] = app_extract_squeeze(x->t->text, c->start, end);
        x->htext[i] = app_extract_squeeze(x->t->text, c->head_start, c->head_end);
        if (!x->ctext[i] || !x->htext[i]) return -1;
        x->clen[i] = strlen(x->ctext[i]), x->hlen[i] = strlen(x->htext[i]);
    }
    for (size_t i = 0; i + 1 < x->nc; i++)
        if (continues(x, i) && x->c[i + 1].end - x->c[i].start <= SCORE_BYTES &&
            !(x->etext[i] = app_extract_squeeze(x->t->text, x->c[i].start, x->c[i + 1].end)))
            return -1;
    return 0;
}

int app_extract_run(const app_extract_rules *r, const app_extract_text *t,
                    const app_extract_clause *c, size_t nc, const unsigned char *want,
                    app_extract_result *out, char *err, size_t errsz)
{
    memset(out, 0, sizeof *out);
    xt_run x = {.r = r, .t = t, .c = c, .nc = nc, .res = out};
    int rc = run_prepare(&x);
    for (int cat = 0; !rc && cat < r->n; cat++) {
        /* dates feed later answers (an expiry counted from the effective date): always run */
        int feeds = r->cat[cat].answer == XT_ANS_DATE || r->cat[cat].answer == XT_ANS_EFFECTIVE;
        if (want && !want[cat] && !feeds) continue;
        size_t before = out->n;
        rc = r->cat[cat].answer != XT_ANS_NONE ? app_extract_fact(&x, cat) : run_clause(&x, cat);
        if (!rc && want && !want[cat]) { /* ran only for its date: drop its hits */
            for (size_t i = before; i < out->n; i++) free(out->hits[i].answer);
            out->n = before;
        }
    }
    run_free(&x);
    if (rc) {
        app_extract_result_free(out);
        app_extract_set_err(err, errsz, "out of memory while scoring clauses");
    }
    return rc;
}
