/* index/fts_query.c: safe FTS5 queries from user text. The text is cut into units: a "quoted
 * phrase", or a word (split where CJK and other scripts meet: "vim退出" is "vim" and "退出");
 * each unit becomes a quoted FTS5 string, so no user input is ever FTS5 syntax. From the units:
 * the AND form, the OR form (long CJK runs as overlapping bigrams), the whole query as one phrase,
 * NEAR of all units, and the stemmed forms (a word as the group of the words of its stem that
 * the library holds, found by stems.c). */
#include "idx_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int has_content(const unsigned char *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isalnum(w[i]) || w[i] >= 0x80) return 1;
    return 0;
}

/* Bytes of the UTF-8 character at w (1 for ASCII and invalid bytes), its code point in *cp. */
static size_t char_at(const unsigned char *w, size_t n, unsigned *cp)
{
    size_t l = w[0] < 0xC0 ? 1 : w[0] < 0xE0 ? 2 : w[0] < 0xF0 ? 3 : 4;
    if (l > n) l = 1;
    unsigned v = l == 1 ? w[0] : w[0] & (0x7Fu >> l);
    for (size_t i = 1; i < l; i++) v = (v << 6) | (w[i] & 0x3F);
    *cp = v;
    return l;
}

static int push(idx_units *u, const unsigned char *s, size_t n, int prefix, int quoted, int cjk)
{
    if (!n || !has_content(s, n)) return 0;
    if (u->n == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 16;
        idx_unit *p = realloc(u->u, cap * sizeof *p);
        if (!p) return -1;
        u->u = p, u->cap = cap;
    }
    u->u[u->n++] = (idx_unit){(const char *)s, n, prefix, quoted, cjk, NULL};
    return 0;
}

/* One whitespace-separated word: cut where CJK and other characters meet. */
static int push_word(idx_units *u, const unsigned char *w, size_t n, int prefix)
{
    size_t start = 0;
    int run_cjk = -1;
    for (size_t i = 0; i <= n;) {
        unsigned cp = 0;
        size_t l = i < n ? char_at(w + i, n - i, &cp) : 0;
        int cjk = i < n ? idx_is_cjk(cp) : -1;
        if (i == n || (run_cjk >= 0 && cjk != run_cjk)) {
            if (push(u, w + start, i - start, i == n && prefix && !run_cjk, 0, run_cjk == 1))
                return -1;
            start = i;
        }
        if (i == n) break;
        run_cjk = cjk;
        i += l;
    }
    return 0;
}

int idx_units_parse(const char *text, idx_units *u)
{
    memset(u, 0, sizeof *u);
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        while (*p && isspace(*p)) p++;
        const char *close = *p == '"' ? strchr((const char *)p + 1, '"') : NULL;
        if (close) { /* a quoted phrase: its words in this order, as they stand */
            if (push(u, p + 1, (size_t)(close - (const char *)p - 1), 0, 1, 0)) return -1;
            p = (const unsigned char *)close + 1;
            continue;
        }
        if (*p == '"') p++; /* a quote without its pair is no phrase */
        const unsigned char *w = p;
        while (*p && !isspace(*p) && *p != '"') p++;
        size_t n = (size_t)(p - w);
        int prefix = 0;
        while (n && w[n - 1] == '*') n--, prefix = 1;
        if (push_word(u, w, n, prefix)) return -1;
    }
    return 0;
}

void idx_units_free(idx_units *u)
{
    for (size_t i = 0; i < u->n; i++) free(u->u[i].forms);
    free(u->u);
    memset(u, 0, sizeof *u);
}

typedef struct sbuf {
    char *out;
    size_t cap, o;
    int full;
} sbuf;

static void put(sbuf *b, const char *s, size_t n)
{
    if (b->full || b->o + n + 1 > b->cap) {
        b->full = 1;
        return;
    }
    memcpy(b->out + b->o, s, n);
    b->o += n;
    b->out[b->o] = 0;
}

static void puts_(sbuf *b, const char *s) { put(b, s, strlen(s)); }

/* The unit's text inside an FTS5 string (quotes doubled, though units hold none but words
 * from unquoted text may). */
static void put_text(sbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) put(b, s[i] == '"' ? "\"\"" : s + i, s[i] == '"' ? 2 : 1);
}

static void put_unit(sbuf *b, const idx_unit *x, int stem)
{
    if (stem && x->forms) {
        puts_(b, x->forms);
        return;
    }
    puts_(b, "\"");
    put_text(b, x->s, x->n);
    puts_(b, x->prefix ? "\"*" : "\"");
}

static size_t chars(const idx_unit *x)
{
    size_t c = 0;
    unsigned cp;
    for (size_t i = 0; i < x->n; i += char_at((const unsigned char *)x->s + i, x->n - i, &cp)) c++;
    return c;
}

/* OR form: a CJK run longer than two characters as overlapping two-character phrases. */
static int put_or(sbuf *b, const idx_unit *x, int stem, int terms)
{
    if (!x->cjk || chars(x) <= 2) {
        if (terms) puts_(b, " OR ");
        put_unit(b, x, stem);
        return terms + 1;
    }
    const unsigned char *s = (const unsigned char *)x->s;
    unsigned cp;
    for (size_t i = 0; i < x->n;) {
        size_t a = char_at(s + i, x->n - i, &cp);
        if (i + a >= x->n) break;
        size_t c = char_at(s + i + a, x->n - i - a, &cp);
        if (terms++) puts_(b, " OR ");
        puts_(b, "\"");
        put_text(b, x->s + i, a + c);
        puts_(b, "\"");
        i += a;
    }
    return terms;
}

int idx_units_render(const idx_unit *u, size_t n, int form, char *out, size_t outsz)
{
    sbuf b = {out, outsz, 0, outsz == 0};
    if (outsz) out[0] = 0;
    int terms = 0;
    if (form == IDX_FORM_PHRASE) { /* every unit's words in a row: one FTS5 string */
        for (size_t i = 0; i < n; i++)
            if (u[i].prefix && i + 1 < n) return 0; /* only a phrase's last word can be a prefix */
        puts_(&b, "\"");
        for (size_t i = 0; i < n; i++) {
            if (i) puts_(&b, " ");
            put_text(&b, u[i].s, u[i].n);
        }
        puts_(&b, n && u[n - 1].prefix ? "\"*" : "\"");
        terms = n > 0;
    } else if (form == IDX_FORM_NEAR) {
        if (n < 2) return 0;
        puts_(&b, "NEAR(");
        for (size_t i = 0; i < n; i++, terms++) {
            if (i) puts_(&b, " ");
            put_unit(&b, &u[i], 0);
        }
        char tail[32];
        snprintf(tail, sizeof tail, ", %zu)", IDX_NEAR_SLACK + 2 * n);
        puts_(&b, tail);
    } else {
        int stem = form == IDX_FORM_STEM || form == IDX_FORM_OR_STEM;
        for (size_t i = 0; i < n; i++) {
            if (form == IDX_FORM_OR || form == IDX_FORM_OR_STEM) {
                terms = put_or(&b, &u[i], stem, terms);
                continue;
            }
            if (terms++) puts_(&b, stem ? " AND " : " "); /* FTS5 wants AND between groups */
            put_unit(&b, &u[i], stem);
        }
    }
    return b.full ? -1 : terms;
}

size_t idx_units_bound(const char *text, const idx_units *u)
{
    size_t n = strlen(text) * 4 + u->n * 12 + 64;
    for (size_t i = 0; i < u->n; i++) n += u->u[i].forms ? strlen(u->u[i].forms) : 0;
    return n;
}

int idx_query_quote_ex(const char *text, const char *op, int bigrams, char *out, size_t outsz)
{
    idx_units u;
    if (idx_units_parse(text, &u)) return -1;
    int form = !strcmp(op, " ") ? IDX_FORM_AND : IDX_FORM_OR;
    int k;
    if (form == IDX_FORM_OR && !bigrams) { /* the plain OR form: every unit whole */
        sbuf b = {out, outsz, 0, outsz == 0};
        if (outsz) out[0] = 0;
        for (size_t i = 0; i < u.n; i++) {
            if (i) puts_(&b, " OR ");
            put_unit(&b, &u.u[i], 0);
        }
        k = b.full ? -1 : (int)u.n;
    } else {
        k = idx_units_render(u.u, u.n, form, out, outsz);
    }
    idx_units_free(&u);
    return k;
}

int idx_query_quote(const char *text, const char *op, char *out, size_t outsz)
{
    return idx_query_quote_ex(text, op, 0, out, outsz);
}
