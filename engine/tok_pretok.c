/* engine/tok_pretok.c: the pre-tokenizer of tokenizer.json: a chain of Split steps, run through
 * PCRE2 in general and through a table-driven splitter for DeepSeek-V3's exact three patterns. */
#include <stdlib.h>
#include <string.h>

#include "tok_int.h"

/* DeepSeek-V3's Split patterns, as tokenizer.json holds them once JSON-unescaped. */
static const char DSV3_DIGITS[] = "\\p{N}{1,3}";
static const char DSV3_CJK[] = "[\xe4\xb8\x80-\xe9\xbe\xa5\xe3\x81\x80-\xe3\x82\x9f"
                               "\xe3\x82\xa0-\xe3\x83\xbf]+";
static const char DSV3_MAIN[] =
    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?"
    "[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+";

int tok_step_compile(tok_step *s, const char *pattern, int literal, char *err, size_t errlen)
{
    int ec;
    PCRE2_SIZE eo;
    /* HF runs Oniguruma with Ruby syntax, where ^ and $ always match at line breaks. */
    uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
                    (literal ? PCRE2_LITERAL : PCRE2_UCP | PCRE2_MULTILINE);
    s->pattern = strdup(pattern);
    if (!s->pattern) return -1;
    s->re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opts, &ec, &eo, NULL);
    if (!s->re) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(ec, msg, sizeof msg);
        tok_err(err, errlen, "regex /%.60s/ does not compile at offset %zu: %s", pattern,
                (size_t)eo, (const char *)msg);
        return -1;
    }
    /* Without JIT (not built for this CPU), PCRE2's interpreter gives the same matches. */
    (void)pcre2_jit_compile(s->re, PCRE2_JIT_COMPLETE);
    return 0;
}

void tok_steps_free(eng_tokenizer *t)
{
    for (int i = 0; i < t->n_steps; i++) {
        pcre2_code_free(t->steps[i].re);
        free(t->steps[i].pattern);
    }
    t->n_steps = 0;
}

int tok_detect_fast(eng_tokenizer *t)
{
    static const char *const want[3] = {DSV3_DIGITS, DSV3_CJK, DSV3_MAIN};
    if (t->n_steps != 3) return 0;
    for (int i = 0; i < 3; i++) {
        const tok_step *s = &t->steps[i];
        if (s->type != TOK_STEP_SPLIT || s->behavior != TOK_SPLIT_ISOLATED || s->invert ||
            strcmp(s->pattern, want[i]) != 0)
            return 0;
    }
    return 1;
}

/* ---- the DeepSeek-V3 splitter ---- */

typedef struct ch {
    uint32_t cp;
    size_t len;
    int cl;
} ch;

static inline ch char_at(const tok_classes *c, const unsigned char *s, size_t n, size_t i)
{
    ch r;
    r.len = tok_utf8_next(s + i, n - i, &r.cp);
    r.cl = r.cp == TOK_INVALID_CP ? TOK_CL_O : tok_class_of(c, r.cp);
    return r;
}

static inline int ascii_alpha(unsigned char b)
{
    return (b | 0x20) >= 'a' && (b | 0x20) <= 'z';
}

static inline int ascii_punct(uint32_t cp)
{
    return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) || (cp >= 0x5B && cp <= 0x60) ||
           (cp >= 0x7B && cp <= 0x7E);
}

/* End of the run of characters of class cl (or of either class WS and NL when cl == TOK_CL_WS). */
static size_t run_end(const tok_classes *c, const unsigned char *s, size_t n, size_t i, int cl)
{
    while (i < n) {
        ch x = char_at(c, s, n, i);
        int ok = cl == TOK_CL_WS ? (x.cl == TOK_CL_WS || x.cl == TOK_CL_NL) : x.cl == cl;
        if (!ok) break;
        i += x.len;
    }
    return i;
}

static size_t whitespace_match(const tok_classes *c, const unsigned char *s, size_t n, size_t i)
{
    /* \s*[\r\n]+ : up to and including the last newline of the whitespace run. */
    size_t j = i, last_start = i, after_nl = 0;
    int count = 0;
    while (j < n) {
        ch x = char_at(c, s, n, j);
        if (x.cl != TOK_CL_WS && x.cl != TOK_CL_NL) break;
        last_start = j;
        j += x.len;
        count++;
        if (x.cl == TOK_CL_NL) after_nl = j;
    }
    if (after_nl) return after_nl;
    /* \s+(?!\S) : the whole run at the end of the subject, else the run less its last
     * character; \s+ : a single whitespace character before a non-space. */
    if (j == n || count < 2) return j;
    return last_start;
}

/* The third pattern at position i of subject s[0..n): returns the match end, or i when no
 * alternative matches here. Alternatives in the pattern's order; see tok_int.h for classes. */
static size_t match_main(const tok_classes *c, const unsigned char *s, size_t n, size_t i)
{
    ch a = char_at(c, s, n, i);
    size_t j = i + a.len;
    if (ascii_punct(a.cp) && j < n && ascii_alpha(s[j])) {
        while (j < n && ascii_alpha(s[j])) j++;
        return j;
    }
    if (a.cl == TOK_CL_LM) return run_end(c, s, n, i, TOK_CL_LM);
    ch b = {0, 0, -1};
    if (j < n) b = char_at(c, s, n, j);
    if (a.cl != TOK_CL_NL && a.cl != TOK_CL_PS && b.cl == TOK_CL_LM)
        return run_end(c, s, n, j, TOK_CL_LM);
    if (a.cl == TOK_CL_PS || (a.cp == ' ' && b.cl == TOK_CL_PS)) {
        j = run_end(c, s, n, a.cl == TOK_CL_PS ? i : j, TOK_CL_PS);
        return run_end(c, s, n, j, TOK_CL_NL);
    }
    if (a.cl == TOK_CL_WS || a.cl == TOK_CL_NL) return whitespace_match(c, s, n, i);
    return i;
}

static int split_main(const tok_classes *c, const unsigned char *s, size_t n, tok_piece_fn fn,
                      void *ctx)
{
    size_t i = 0, start = 0;
    int rc;
    while (i < n) {
        size_t e = match_main(c, s, n, i);
        if (e == i) {
            uint32_t cp;
            i += tok_utf8_next(s + i, n - i, &cp);
            continue;
        }
        if (i > start && (rc = fn(ctx, (const char *)s + start, i - start)) < 0) return rc;
        if ((rc = fn(ctx, (const char *)s + i, e - i)) < 0) return rc;
        i = start = e;
    }
    if (n > start) return fn(ctx, (const char *)s + start, n - start);
    return 0;
}

static inline int in_cjk(uint32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FA5) || (cp >= 0x3040 && cp <= 0x30FF);
}

/* Second pattern: runs of the literal CJK ranges; every piece then goes through the third. */
static int split_cjk(const tok_classes *c, const unsigned char *s, size_t n, tok_piece_fn fn,
                     void *ctx)
{
    size_t i = 0, start = 0;
    int rc;
    while (i < n) {
        uint32_t cp;
        size_t l = tok_utf8_next(s + i, n - i, &cp);
        if (!in_cjk(cp)) {
            i += l;
            continue;
        }
        size_t e = i + l;
        while (e < n && (l = tok_utf8_next(s + e, n - e, &cp), in_cjk(cp))) e += l;
        if (i > start && (rc = split_main(c, s + start, i - start, fn, ctx)) < 0) return rc;
        if ((rc = split_main(c, s + i, e - i, fn, ctx)) < 0) return rc;
        i = start = e;
    }
    if (n > start) return split_main(c, s + start, n - start, fn, ctx);
    return 0;
}

int tok_split_dsv3(const tok_classes *c, const char *text, size_t n, tok_piece_fn fn, void *ctx)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0, start = 0;
    int rc;
    while (i < n) {
        ch a = char_at(c, s, n, i);
        if (a.cl != TOK_CL_N) {
            i += a.len;
            continue;
        }
        if (i > start && (rc = split_cjk(c, s + start, i - start, fn, ctx)) < 0) return rc;
        /* A group of at most three digits; the later patterns never split digits, and no
         * digit is in the CJK ranges, so the group is a final piece. */
        size_t e = i + a.len;
        for (int k = 1; k < 3 && e < n; k++) {
            ch b = char_at(c, s, n, e);
            if (b.cl != TOK_CL_N) break;
            e += b.len;
        }
        if ((rc = fn(ctx, text + i, e - i)) < 0) return rc;
        i = start = e;
    }
    if (n > start) return split_cjk(c, s + start, n - start, fn, ctx);
    return 0;
}

/* ---- the general path: PCRE2 ---- */

typedef struct span {
    size_t a, b;
    int match;
} span;

/* Matches and the stretches between them, in order; HF's Split with its behaviours. */
static int find_spans(const tok_step *st, tok_work *w, int level, const char *s, size_t n,
                      span **out, size_t *nout, char *err, size_t errlen);

static int emit_level(const eng_tokenizer *t, tok_work *w, int level, const char *s, size_t n,
                      tok_piece_fn fn, void *ctx);

static int emit_spans(const eng_tokenizer *t, tok_work *w, int level, const char *s, const span *sp,
                      size_t ns, tok_piece_fn fn, void *ctx)
{
    int beh = t->steps[level].behavior;
    int rc;
    for (size_t i = 0; i < ns; i++) {
        size_t a = sp[i].a, b = sp[i].b;
        if (beh == TOK_SPLIT_REMOVED && sp[i].match) continue;
        if (beh == TOK_SPLIT_MERGED_PREV && !sp[i].match && i + 1 < ns && sp[i + 1].match)
            b = sp[++i].b;
        else if (beh == TOK_SPLIT_MERGED_NEXT && sp[i].match && i + 1 < ns && !sp[i + 1].match)
            b = sp[++i].b;
        else if (beh == TOK_SPLIT_CONTIGUOUS)
            while (i + 1 < ns && sp[i + 1].match == sp[i].match) b = sp[++i].b;
        if (b > a && (rc = emit_level(t, w, level + 1, s + a, b - a, fn, ctx)) < 0) return rc;
    }
    return 0;
}

static int emit_level(const eng_tokenizer *t, tok_work *w, int level, const char *s, size_t n,
                      tok_piece_fn fn, void *ctx)
{
    if (level == t->n_steps) return fn(ctx, s, n);
    span *sp;
    size_t ns, errlen;
    char *err = tok_work_errbuf(w, &errlen);
    if (find_spans(&t->steps[level], w, level, s, n, &sp, &ns, err, errlen) < 0) return -2;
    int rc = emit_spans(t, w, level, s, sp, ns, fn, ctx);
    free(sp);
    return rc;
}

static int span_push(span **sp, size_t *n, size_t *cap, size_t a, size_t b, int match)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        span *p = realloc(*sp, nc * sizeof *p);
        if (!p) return -1;
        *sp = p;
        *cap = nc;
    }
    (*sp)[(*n)++] = (span){a, b, match};
    return 0;
}

static int find_spans(const tok_step *st, tok_work *w, int level, const char *s, size_t n,
                      span **out, size_t *nout, char *err, size_t errlen)
{
    pcre2_match_data *md = tok_work_match_data(w, level, st->re);
    pcre2_match_context *mc = tok_work_match_context(w);
    span *sp = NULL;
    size_t ns = 0, cap = 0, off = 0, prev = 0;
    if (!md) goto oom;
    while (off < n) {
        int rc = pcre2_match(st->re, (PCRE2_SPTR)s, n, off, 0, md, mc);
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) {
            PCRE2_UCHAR msg[160];
            pcre2_get_error_message(rc, msg, sizeof msg);
            tok_err(err, errlen, "pre_tokenizer regex /%.60s/ failed: %s", st->pattern,
                    (const char *)msg);
            free(sp);
            return -1;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t a = ov[0], b = ov[1];
        if (b == a) { /* an empty match splits nothing: step over one character */
            uint32_t cp;
            off = a + tok_utf8_next((const unsigned char *)s + a, n - a, &cp);
            continue;
        }
        if (a > prev && span_push(&sp, &ns, &cap, prev, a, st->invert) < 0) goto oom;
        if (span_push(&sp, &ns, &cap, a, b, !st->invert) < 0) goto oom;
        prev = off = b;
    }
    if (n > prev && span_push(&sp, &ns, &cap, prev, n, st->invert) < 0) goto oom;
    *out = sp;
    *nout = ns;
    return 0;
oom:
    free(sp);
    tok_err(err, errlen, "out of memory in the pre-tokenizer");
    return -1;
}

int tok_pretokenize(const eng_tokenizer *t, tok_work *w, int generic, const char *s, size_t n,
                    tok_piece_fn fn, void *ctx)
{
    if (n == 0) return 0;
    if (t->fast_dsv3 && !generic) return tok_split_dsv3(&t->classes, s, n, fn, ctx);
    return emit_level(t, w, 0, s, n, fn, ctx);
}
