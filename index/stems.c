/* index/stems.c: a word also finds the other forms of its Porter stem (stem.c): "leak" finds
 * "leaks" and "leaking", "suppress" finds "Suppressing" and "suppression". The forms are made
 * from the word and its stem with the common English endings (doubled consonants, a dropped
 * e, y -> i) and kept when they have the same stem; forms that no document holds cost FTS5 one
 * look-up. Nothing is read from the library and nothing is added to the index. */
#include "idx_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_FORMS = 32 };

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

typedef struct forms {
    char list[MAX_FORMS][IDX_STEM_MAX + 1];
    int n;
    const char *word, *stem;
} forms;

/* Adds base[0..bn) + end when it is a new form of the stem. */
static void try_form(forms *f, const char *base, int bn, const char *end)
{
    char c[2 * IDX_STEM_MAX + 8], s[2 * IDX_STEM_MAX + 8];
    int l = snprintf(c, sizeof c, "%.*s%s", bn, base, end);
    if (l <= 0 || l > IDX_STEM_MAX || f->n == MAX_FORMS || !strcmp(c, f->word)) return;
    int sl = idx_stem(c, l, s);
    if (!(sl && !strcmp(s, f->stem)) && strcmp(c, f->stem)) return;
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->list[i], c)) return;
    memcpy(f->list[f->n++], c, (size_t)l + 1);
}

static void endings(forms *f, const char *b, int bn)
{
    static const char *const ends[] = {
        "",     "s",     "es",     "ed",   "ing",  "ings",  "er",      "ers",  "ion",
        "ions", "ation", "ations", "ly",   "ment", "ments", "ness",    "able", "ive",
        "al",   "ally",  "ize",    "ized", "izes", "izing", "ization", "ity",  "ities",
        "ful",  "ence",  "ance",   "ent",  "ant",  NULL,
    };
    if (bn < 2) return;
    for (int i = 0; ends[i]; i++) try_form(f, b, bn, ends[i]);
    char last = b[bn - 1];
    if (!strchr("aeiouy", last)) { /* stop -> stopped, stopping */
        char dbl[IDX_STEM_MAX + 2];
        memcpy(dbl, b, (size_t)bn);
        dbl[bn] = last;
        try_form(f, dbl, bn + 1, "ed"), try_form(f, dbl, bn + 1, "ing");
        try_form(f, dbl, bn + 1, "er");
    }
    if (last == 'e') { /* file -> filing, filed */
        static const char *const e_ends[] = {"ing", "ed", "er", "ion", "ation", "ations", NULL};
        for (int i = 0; e_ends[i]; i++) try_form(f, b, bn - 1, e_ends[i]);
    }
    if (last == 'y' || last == 'i') { /* happy -> happier, happiness */
        static const char *const y_ends[] = {"y",    "ies", "ied",   "ier",
                                             "iest", "ily", "iness", NULL};
        for (int i = 0; y_ends[i]; i++) try_form(f, b, bn - 1, y_ends[i]);
    }
}

/* The group ("word" OR "form" ...), or NULL when the word has no other form. */
static char *forms_of(const one_token *w, const char *s)
{
    forms f = {.n = 0, .word = w->tok, .stem = s};
    int sn = (int)strlen(s);
    endings(&f, w->tok, w->n);
    endings(&f, s, sn);
    char se[IDX_STEM_MAX + 2];
    if (sn < IDX_STEM_MAX) {
        snprintf(se, sizeof se, "%se", s); /* relat -> relate, relation */
        endings(&f, se, sn + 1);
    }
    if (!f.n) return NULL;
    size_t cap = (size_t)(f.n + 1) * (IDX_STEM_MAX + 8) + 8, o = 0;
    char *out = malloc(cap);
    if (!out) return NULL;
    o += (size_t)snprintf(out, cap, "(\"%s\"", w->tok);
    for (int i = 0; i < f.n; i++) o += (size_t)snprintf(out + o, cap - o, " OR \"%s\"", f.list[i]);
    snprintf(out + o, cap - o, ")");
    return out;
}

int idx_units_stems(idx *ix, idx_units *u)
{
    fts5_tokenizer api;
    Fts5Tokenizer *tok = NULL;
    for (size_t i = 0; i < u->n; i++) {
        idx_unit *x = &u->u[i];
        if (x->quoted || x->cjk || x->prefix) continue;
        if (!tok && idx_tokenizer_open(ix, &api, &tok))
            return idx_fail(ix, IDX_ERR, "stems: cannot open the words tokenizer");
        one_token w = {.n = 0};
        api.xTokenize(tok, &w, FTS5_TOKENIZE_QUERY, x->s, (int)x->n, take_token);
        char s[IDX_STEM_MAX + 1];
        if (w.count != 1 || w.n < 3) continue;
        w.tok[w.n] = 0;
        if (idx_stem(w.tok, w.n, s)) x->forms = forms_of(&w, s);
    }
    if (tok) api.xDelete(tok);
    return 0;
}
