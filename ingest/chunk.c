/* ingest/chunk.c: cutting numbered lines into passages of ~250 words (at most 400) that never
 * cross a page, a heading or a large definition, each keeping page, line range, heading, symbol. */
#include "ing_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Below this many words a chunk is not closed at a soft break (small definitions group). */
enum { SOFT_MIN_WORDS = 120, PARA_MIN_WORDS = 100 };

int count_words(const char *s, size_t n)
{
    int words = 0, cjk = 0, in = 0;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x80) {
            int sp = isspace(p[i]);
            if (!sp && !in) words++;
            in = !sp;
            i++;
            continue;
        }
        unsigned cp;
        i += (size_t)utf8_decode(p + i, n - i, &cp);
        if (utf8_is_cjk(cp)) {
            cjk++, in = 0;
        } else if (!in) {
            words++, in = 1;
        }
    }
    return words + (cjk * 2 + 2) / 3;
}

int split_lines(const char *text, size_t len, ing_line **out, size_t *n)
{
    size_t cap = 64, k = 0;
    ing_line *l = malloc(cap * sizeof *l);
    if (!l) return -1;
    for (size_t i = 0; i < len || (i == len && k == 0 && len);) {
        const char *e = memchr(text + i, '\n', len - i);
        size_t end = e ? (size_t)(e - text) : len;
        if (k == cap) {
            ing_line *m = realloc(l, (cap *= 2) * sizeof *l);
            if (!m) return free(l), -1;
            l = m;
        }
        size_t ll = end - i;
        if (ll && text[end - 1] == '\r') ll--;
        l[k] = (ing_line){.s = text + i, .len = (int)ll, .lineno = (int)k + 1};
        k++;
        i = end + 1;
        if (!e) break;
    }
    *out = l, *n = k;
    return 0;
}

static int blank(const ing_line *l)
{
    for (int i = 0; i < l->len; i++)
        if (!isspace((unsigned char)l->s[i])) return 0;
    return 1;
}

int looks_like_heading(const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    if (n < 3 || n > 80) return 0;
    int words = count_words(s, n);
    if (words > 10) return 0;
    static const char *const lead[] = {"ARTICLE ", "Article ", "SECTION ", "Section ", "CHAPTER ",
                                       "Chapter ", "PART ", "SCHEDULE", "EXHIBIT", "APPENDIX"};
    for (size_t i = 0; i < sizeof lead / sizeof lead[0]; i++)
        if (n > strlen(lead[i]) && !strncmp(s, lead[i], strlen(lead[i]))) return 1;
    if (isdigit((unsigned char)s[n - 1])) return 0; /* a table-of-contents line ends in a page */
    int upper = 0, lower = 0;
    for (size_t i = 0; i < n; i++) {
        if (isupper((unsigned char)s[i])) upper++;
        if (islower((unsigned char)s[i])) lower++;
    }
    if (upper >= 3 && lower * 5 <= upper && words <= 8 && s[n - 1] != ',') return 1;
    /* "1. Definitions" / "4.2 Term" */
    size_t i = 0;
    while (i < n && (isdigit((unsigned char)s[i]) || s[i] == '.')) i++;
    if (i == 0 || i > 8 || i >= n || s[i] != ' ') return 0;
    while (i < n && s[i] == ' ') i++;
    return i < n && isupper((unsigned char)s[i]) && words <= 8 && s[n - 1] != ',' &&
           (s[n - 1] != '.' || words <= 4);
}

typedef struct chunker {
    ing_doc *d;
    const ing_line *lines;
    int page;
    sbuf text;
} chunker;

/* Emits lines [a, b) as one chunk, trimming blank lines at both ends. */
static int flush(chunker *c, size_t a, size_t b)
{
    while (a < b && blank(&c->lines[a])) a++;
    while (b > a && blank(&c->lines[b - 1])) b--;
    if (a >= b) return 0;
    c->text.n = 0;
    const char *sym = NULL;
    int several = 0; /* two definitions in one chunk: no single symbol names it */
    for (size_t i = a; i < b; i++) {
        if (i > a) sb_putc(&c->text, '\n');
        sb_put(&c->text, c->lines[i].s, (size_t)c->lines[i].len);
        const char *s = c->lines[i].symbol;
        if (s && !sym) sym = s;
        else if (s && strcmp(s, sym)) several = 1;
    }
    if (several) sym = NULL;
    if (c->text.oom) return -1;
    ing_chunk ch = {.text = c->text.p, .page = c->page, .line_start = c->lines[a].lineno,
                    .line_end = c->lines[b - 1].lineno, .heading = c->lines[a].heading,
                    .symbol = sym};
    return doc_add_chunk(c->d, &ch);
}

/* A line longer than a chunk (minified code, a PDF page without line breaks): cut at words. */
static int flush_long_line(chunker *c, const ing_line *l)
{
    const char *s = l->s, *end = l->s + l->len;
    while (s < end) {
        const char *p = s;
        int words = 0;
        while (p < end && words < ING_CHUNK_TARGET_WORDS) {
            while (p < end && isspace((unsigned char)*p)) p++;
            const char *w = p;
            while (p < end && !isspace((unsigned char)*p)) p++;
            words += count_words(w, (size_t)(p - w));
        }
        ing_line piece = *l;
        piece.s = s, piece.len = (int)(p - s);
        c->lines = &piece;
        int rc = flush(c, 0, 1);
        if (rc) return rc;
        s = p;
    }
    return 0;
}

int chunk_lines(ing_doc *d, const ing_line *lines, size_t n, int page)
{
    chunker c = {.d = d, .lines = lines, .page = page};
    size_t start = 0, para = 0;
    int words = 0, para_words = 0, rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        const ing_line *l = &lines[i];
        int w = count_words(l->s, (size_t)l->len);
        int brk = i > start && ((l->flags & LINE_BREAK) ||
                                ((l->flags & LINE_SOFT_BREAK) && words >= SOFT_MIN_WORDS));
        if (!brk && i > start && words + w > ING_CHUNK_MAX_WORDS) {
            if (para > start && para_words >= PARA_MIN_WORDS) {
                rc = flush(&c, start, para);
                start = para, words -= para_words, para = start, para_words = 0;
            } else {
                brk = 1;
            }
        }
        if (brk) {
            rc = rc ? rc : flush(&c, start, i);
            start = i, words = 0, para = i, para_words = 0;
        }
        if (w > ING_CHUNK_MAX_WORDS) {
            rc = rc ? rc : flush_long_line(&c, l);
            c.lines = lines;
            start = i + 1, words = 0, para = start, para_words = 0;
            continue;
        }
        words += w;
        if (blank(l)) {
            if (words >= ING_CHUNK_TARGET_WORDS) {
                rc = flush(&c, start, i + 1);
                start = i + 1, words = 0;
            }
            para = i + 1, para_words = words;
        }
    }
    if (!rc) rc = flush(&c, start, n);
    sb_free(&c.text);
    return rc;
}
