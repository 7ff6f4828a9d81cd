/* index/tokenizer.c: the "folio_cjk" FTS5 tokenizer: unicode61 (or any tokenizer named after
 * its options) with runs of CJK characters cut into one token per character. A quoted phrase
 * of CJK characters then matches as a substring at any length, 1 and 2 characters included,
 * which neither unicode61 (a whole run is one token) nor trigram (3+ characters) can do.
 * The option "fold" (schema 6) folds presentation forms, ligatures and fullwidth letters to
 * their NFKC form first (fold_table.c), so that the base letters a user types find them, in
 * documents and queries alike. */
#include "idx_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct cjk_tok {
    fts5_tokenizer inner_api;
    Fts5Tokenizer *inner;
    int fold;
} cjk_tok;

typedef struct split_ctx {
    void *ctx;
    int (*emit)(void *, int, const char *, int, int, int);
    const int *from, *to; /* folded text: each byte's source character (offsets), or NULL */
} split_ctx;

/* One final token, its offsets back in the caller's text. */
static int out_token(split_ctx *c, int flags, const char *tok, int n, int start, int end)
{
    if (c->from) start = c->from[start], end = end > 0 ? c->to[end - 1] : c->from[0];
    return c->emit(c->ctx, flags, tok, n, start, end);
}

static int plain_token(void *vctx, int flags, const char *tok, int n, int start, int end)
{
    return out_token(vctx, flags, tok, n, start, end);
}

static int decode(const unsigned char *s, int n, unsigned *cp)
{
    unsigned c = s[0];
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (len > n) len = 1;
    unsigned v = len == 1 ? c : c & (0x7Fu >> len);
    for (int i = 1; i < len; i++) v = (v << 6) | (s[i] & 0x3F);
    *cp = v;
    return len;
}

int idx_is_cjk(unsigned cp)
{
    return (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7AF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x2FFFF);
}

int idx_has_cjk(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    int n = (int)strlen(s);
    for (int i = 0; i < n;) {
        if (p[i] < 0xE3) { /* every CJK code point starts with byte 0xE3 or above */
            i++;
            continue;
        }
        unsigned cp;
        i += decode(p + i, n - i, &cp);
        if (idx_is_cjk(cp)) return 1;
    }
    return 0;
}

/* One token from the inner tokenizer: passed on, or cut at CJK characters. Offsets of the
 * pieces are exact when the folded token has the source's length (always for CJK runs). */
static int split_token(void *vctx, int flags, const char *tok, int n, int start, int end)
{
    split_ctx *c = vctx;
    const unsigned char *p = (const unsigned char *)tok;
    int any = 0;
    for (int i = 0; i < n; i++)
        if (p[i] >= 0xE3) any = 1;
    if (!any) return out_token(c, flags, tok, n, start, end);
    int exact = n == end - start, run = -1, rc = SQLITE_OK;
    for (int i = 0; i <= n && rc == SQLITE_OK;) {
        unsigned cp = 0;
        int l = i < n ? decode(p + i, n - i, &cp) : 0;
        int cjk = i < n && idx_is_cjk(cp);
        if ((cjk || i == n) && run >= 0) { /* close a run of other characters */
            rc = out_token(c, flags, tok + run, i - run, exact ? start + run : start,
                           exact ? start + i : end);
            flags = 0, run = -1;
        }
        if (i == n) break;
        if (cjk) {
            rc = out_token(c, flags, tok + i, l, exact ? start + i : start,
                           exact ? start + i + l : end);
            flags = 0;
        } else if (run < 0) {
            run = i;
        }
        i += l;
    }
    return rc;
}

/* The folded form of a code point from the generated table, or NULL. */
static const char *fold_of(unsigned cp)
{
    unsigned lo = 0, hi = idx_fold_count;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (idx_fold_table[mid].cp == cp) return idx_fold_table[mid].to;
        if (idx_fold_table[mid].cp < cp) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

typedef struct folded {
    char *text;
    int *from, *to; /* [len]: source offsets of the character each byte came from */
    int len, cap;
} folded;

static int fold_put(folded *f, const char *s, int n, int from, int to)
{
    if (f->len + n > f->cap) {
        int cap = (f->len + n) * 2 + 64;
        char *t = realloc(f->text, (size_t)cap);
        int *a = t ? realloc(f->from, (size_t)cap * sizeof *a) : NULL;
        int *b = a ? realloc(f->to, (size_t)cap * sizeof *b) : NULL;
        if (t) f->text = t;
        if (a) f->from = a;
        if (!b) return -1;
        f->to = b, f->cap = cap;
    }
    memcpy(f->text + f->len, s, (size_t)n);
    for (int i = 0; i < n; i++) f->from[f->len + i] = from, f->to[f->len + i] = to;
    f->len += n;
    return 0;
}

/* Text with compatibility forms folded, or 0 and f->text NULL when it holds none. Every
 * folded code point starts with the byte 0xEF. */
static int fold_text(const char *text, int n, folded *f)
{
    memset(f, 0, sizeof *f);
    if (!memchr(text, 0xEF, (size_t)n)) return 0;
    const unsigned char *u = (const unsigned char *)text;
    for (int i = 0; i < n;) {
        unsigned cp = 0;
        int l = u[i] == 0xEF ? decode(u + i, n - i, &cp) : 1;
        const char *to = u[i] == 0xEF ? fold_of(cp) : NULL;
        if (fold_put(f, to ? to : text + i, to ? (int)strlen(to) : l, i, i + l)) return -1;
        i += l;
    }
    return 0;
}

static int tok_tokenize(Fts5Tokenizer *t, void *ctx, int flags, const char *text, int n,
                        int (*emit)(void *, int, const char *, int, int, int))
{
    cjk_tok *ct = (cjk_tok *)t;
    split_ctx c = {ctx, emit, NULL, NULL};
    folded f = {0};
    if (ct->fold && fold_text(text, n, &f)) {
        free(f.text), free(f.from), free(f.to);
        return SQLITE_NOMEM;
    }
    if (f.text) text = f.text, n = f.len, c.from = f.from, c.to = f.to;
    /* Text without a byte that can start a CJK character (most code and English) goes to the
     * inner tokenizer's tokens directly, without a look at each of them. */
    const unsigned char *u = (const unsigned char *)text;
    int i = 0;
    while (i < n && u[i] < 0xE3) i++;
    int rc = ct->inner_api.xTokenize(ct->inner, &c, flags, text, n,
                                     i == n ? plain_token : split_token);
    free(f.text), free(f.from), free(f.to);
    return rc;
}

static int tok_create(void *api_ptr, const char **argv, int argc, Fts5Tokenizer **out)
{
    fts5_api *api = api_ptr;
    cjk_tok *ct = calloc(1, sizeof *ct);
    if (!ct) return SQLITE_NOMEM;
    for (; argc > 0 && !strcmp(argv[0], "fold"); argc--, argv++) ct->fold = 1;
    void *ud = NULL;
    const char *name = argc > 0 ? argv[0] : "unicode61";
    int rc = api->xFindTokenizer(api, name, &ud, &ct->inner_api);
    if (rc == SQLITE_OK)
        rc = ct->inner_api.xCreate(ud, argc > 0 ? argv + 1 : NULL, argc > 0 ? argc - 1 : 0,
                                   &ct->inner);
    if (rc != SQLITE_OK) {
        free(ct);
        return rc;
    }
    *out = (Fts5Tokenizer *)ct;
    return SQLITE_OK;
}

static void tok_delete(Fts5Tokenizer *t)
{
    cjk_tok *ct = (cjk_tok *)t;
    if (!ct) return;
    if (ct->inner) ct->inner_api.xDelete(ct->inner);
    free(ct);
}

int idx_register_tokenizer(sqlite3 *db)
{
    fts5_api *api = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK) return -1;
    sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
    sqlite3_step(st);
    sqlite3_finalize(st);
    if (!api) return -1;
    fts5_tokenizer t = {tok_create, tok_delete, tok_tokenize};
    if (api->xCreateTokenizer(api, "folio_cjk", api, &t, NULL) != SQLITE_OK) return -1;
    return idx_register_rank(api);
}
