/* index/stems.c: a word also finds the other words of its Porter stem (stem.c) that the library
 * holds: "leak" finds "leaks" and "leaking", "suppress" finds "Suppressing". The forms come from
 * the vocabulary of the words index (chunks_vocab), the range of terms that share the word's
 * and its stem's first letters, so stems cost nothing at indexing time. */
#include "idx_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_FORMS = 24 };

typedef struct one_token {
    char tok[IDX_STEM_MAX + 1];
    int n, count;
} one_token;

static int take_token(void *vctx, int flags, const char *tok, int n, int start, int end)
{
    (void)start, (void)end;
    one_token *t = vctx;
    if (flags & FTS5_TOKEN_COLOCATED) return SQLITE_OK;
    if (t->count++ == 0 && n <= IDX_STEM_MAX) memcpy(t->tok, tok, (size_t)n), t->n = n;
    return SQLITE_OK;
}

/* The group ("word" OR "form" ...) of the vocabulary's words of stem s, from the range of terms
 * that start with prefix[0..pn); NULL when the word has no other form. */
static char *forms_of(sqlite3_stmt *st, const one_token *w, const char *s, int pn)
{
    char lo[IDX_STEM_MAX + 1], hi[IDX_STEM_MAX + 1];
    memcpy(lo, w->tok, (size_t)pn), lo[pn] = 0;
    memcpy(hi, lo, (size_t)pn + 1);
    hi[pn - 1]++;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, lo, pn, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, hi, pn, SQLITE_TRANSIENT);
    size_t cap = (size_t)(MAX_FORMS + 1) * (IDX_STEM_MAX + 8) + 8, o = 0;
    char *out = malloc(cap);
    if (!out) return NULL;
    o += (size_t)snprintf(out, cap, "(\"%.*s\"", w->n, w->tok);
    int forms = 0;
    while (forms < MAX_FORMS && sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        int tn = sqlite3_column_bytes(st, 0);
        char ts[IDX_STEM_MAX + 1];
        if (!t || (tn == w->n && !memcmp(t, w->tok, (size_t)tn))) continue;
        int l = idx_stem(t, tn, ts);
        if (!(l && !strcmp(ts, s)) && !(tn == (int)strlen(s) && !memcmp(t, s, (size_t)tn))) continue;
        o += (size_t)snprintf(out + o, cap - o, " OR \"%.*s\"", tn, t);
        forms++;
    }
    if (!forms) {
        free(out);
        return NULL;
    }
    snprintf(out + o, cap - o, ")");
    return out;
}

int idx_units_stems(idx *ix, idx_units *u)
{
    fts5_tokenizer api;
    Fts5Tokenizer *tok = NULL;
    sqlite3_stmt *st = NULL;
    int rc = 0;
    for (size_t i = 0; !rc && i < u->n; i++) {
        idx_unit *x = &u->u[i];
        if (x->quoted || x->cjk || x->prefix) continue;
        if (!tok && idx_tokenizer_open(ix, &api, &tok))
            return idx_fail(ix, IDX_ERR, "stems: cannot open the words tokenizer");
        if (!st && sqlite3_prepare_v2(ix->db, "SELECT term FROM chunks_vocab WHERE term >= ?1"
                                              " AND term < ?2 ORDER BY term", -1, &st,
                                      NULL) != SQLITE_OK)
            rc = idx_fail(ix, IDX_ERR, "stems: %s", sqlite3_errmsg(ix->db));
        one_token w = {.n = 0};
        if (!rc) api.xTokenize(tok, &w, FTS5_TOKENIZE_QUERY, x->s, (int)x->n, take_token);
        char s[IDX_STEM_MAX + 1];
        int sl = !rc && w.count == 1 ? idx_stem(w.tok, w.n, s) : 0;
        int pn = 0; /* the word and its stem agree on pn letters: the range to look at */
        while (pn < sl && pn < w.n && s[pn] == w.tok[pn]) pn++;
        if (sl && pn >= 3) x->forms = forms_of(st, &w, s, pn);
    }
    sqlite3_finalize(st);
    if (tok) api.xDelete(tok);
    return rc;
}
