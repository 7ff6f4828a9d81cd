/* app/extract_segment.c: cuts a contract's text into clauses: pieces (lines, or parts of a line
 * set apart by 3+ spaces as in EDGAR text), blocks (headings, numbered items, paragraphs), and
 * sentences within a block; each clause carries the section heading that governs it. */
#include "extract.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct piece {
    size_t s, e; /* trimmed; s == e for a blank line */
    int blank_before;
} piece;

typedef struct clause_vec {
    app_extract_clause *v;
    size_t n, cap;
    size_t head_s, head_e; /* the current section heading */
} clause_vec;

static int push(clause_vec *cv, size_t s, size_t e, int is_heading, size_t hs, size_t he)
{
    if (cv->n == cv->cap) {
        size_t cap = cv->cap ? cv->cap * 2 : 256;
        app_extract_clause *v = realloc(cv->v, cap * sizeof *v);
        if (!v) return -1;
        cv->v = v, cv->cap = cap;
    }
    cv->v[cv->n++] = (app_extract_clause){s, e, hs, he, is_heading};
    return 0;
}

static int is_sp(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Length of an enumerator at s ("1.", "1.2.3", "12)", "(a)", "a.", "(iv)", "Section 5.1",
 * "ARTICLE IV") followed by white space or the end; 0 when there is none. */
static size_t enum_len(const char *s, size_t n)
{
    size_t i = 0;
    static const char *const words[] = {"section ", "article ", "clause ",   "schedule ",
                                        "exhibit ", "annex ",   "appendix ", "part "};
    for (size_t w = 0; w < sizeof words / sizeof *words; w++) {
        size_t wl = strlen(words[w]);
        if (n > wl && !strncasecmp(s, words[w], wl)) {
            i = wl;
            while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '.')) i++;
            return i > wl ? i : 0;
        }
    }
    int paren = i < n && s[i] == '(';
    if (paren) i++;
    size_t start = i;
    if (i < n && isdigit((unsigned char)s[i])) {
        while (i < n && (isdigit((unsigned char)s[i]) ||
                         (s[i] == '.' && i + 1 < n && isdigit((unsigned char)s[i + 1]))))
            i++;
        if (i - start > 8) return 0;
    } else {
        while (i < n && i - start < 5 && strchr("ivxlcIVXLC", s[i])) i++;
        if (i == start && i < n && isalpha((unsigned char)s[i])) i++;
        if (i == start) return 0;
    }
    if (i < n && (s[i] == ')' || (!paren && s[i] == '.')))
        i++;
    else if (!paren && !isdigit((unsigned char)s[start]))
        return 0; /* "a" alone is a word */
    else if (paren)
        return 0;
    if (i < n && !is_sp(s[i])) return 0;
    return i;
}

/* A heading: at most 12 words, no sentence inside, and written as one: mostly capitals, or
 * every longer word capitalized ("Governing Law", "TERM AND TERMINATION", "1) Duties of X"). */
static int looks_heading(const char *s, size_t n)
{
    if (n == 0 || n > 120) return 0;
    char last = s[n - 1];
    if (last == ',' || last == ';' || last == '-') return 0;
    int words = 0, caps = 0, longw = 0, upper = 0, letters = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && is_sp(s[i])) i++;
        if (i >= n) break;
        size_t w = i;
        while (i < n && !is_sp(s[i])) i++;
        words++;
        size_t alpha = 0;
        for (size_t k = w; k < i; k++) {
            unsigned char ch = (unsigned char)s[k];
            if (isalpha(ch)) alpha++, letters++, upper += isupper(ch) != 0;
        }
        if (alpha >= 4 && strchr(".?!", s[i - 1]) && i < n) return 0; /* a sentence ends inside */
        if (alpha >= 4)
            longw++, caps += isupper((unsigned char)s[w]) != 0 ||
                             (s[w] == '(' && isupper((unsigned char)s[w + 1]));
    }
    if (words > 12 || letters < 3) return 0;
    if (upper * 10 >= letters * 7) return 1;
    return longw > 0 && caps == longw;
}

/* A heading at the start of a paragraph: "12. Governing Law. This Agreement ..." (after the
 * enumerator, up to 8 capitalized words closed by '.' or ':'). Returns its end, or 0. */
static size_t inline_heading(const char *s, size_t n)
{
    size_t i = enum_len(s, n);
    if (!i) return 0;
    while (i < n && is_sp(s[i])) i++;
    size_t hs = i;
    for (int words = 0; i < n && words <= 8; words++) {
        size_t w = i;
        while (i < n && !is_sp(s[i]) && s[i] != '.' && s[i] != ':') i++;
        if (i > w && islower((unsigned char)s[w]) && i - w > 3) return 0;
        if (i < n && (s[i] == '.' || s[i] == ':')) {
            if (i + 1 < n && !is_sp(s[i + 1])) return 0;
            return i > hs && looks_heading(s + hs, i - hs) ? i + 1 : 0;
        }
        while (i < n && is_sp(s[i])) i++;
    }
    return 0;
}

/* The words before a '.' that do not end a sentence. */
static int is_abbrev(const char *s, size_t dot, size_t from)
{
    size_t b = dot;
    while (b > from && !is_sp(s[b - 1]) && s[b - 1] != '(') b--;
    size_t n = dot - b;
    if (n == 0) return 0;
    if (n == 1 && isalpha((unsigned char)s[b])) return 1; /* initials, "a." */
    if (memchr(s + b, '.', n)) return 1;                  /* "U.S", "e.g", "N.A" */
    if (isdigit((unsigned char)s[b]) && n <= 4 && b == from) return 1;
    static const char *const ab[] = {
        "inc", "corp", "co",  "ltd", "no",     "nos",  "sec",  "sect", "st",   "mr",
        "mrs", "ms",   "dr",  "jr",  "sr",     "vs",   "v",    "art",  "para", "pte",
        "bhd", "llc",  "lp",  "plc", "approx", "fig",  "dept", "ave",  "blvd", "rd",
        "ste", "pty",  "s.a", "etc", "cf",     "ibid", "id",   "hon",  "jan",  "feb",
        "mar", "apr",  "jun", "jul", "aug",    "sep",  "sept", "oct",  "nov",  "dec"};
    for (size_t i = 0; i < sizeof ab / sizeof *ab; i++)
        if (strlen(ab[i]) == n && !strncasecmp(s + b, ab[i], n)) return 1;
    return 0;
}

/* The end of the sentence that starts at s (or e). */
static size_t sentence_end(const char *t, size_t s, size_t e)
{
    for (size_t i = s; i < e; i++) {
        char c = t[i];
        if (c != '.' && c != '?' && c != '!') continue;
        size_t j = i + 1;
        while (j < e && strchr("\"')]", t[j])) j++;
        if (j + 2 < e && (unsigned char)t[j] == 0xE2 && (unsigned char)t[j + 1] == 0x80) j += 3;
        if (j >= e) return e;
        if (!is_sp(t[j])) continue;
        while (j < e && is_sp(t[j])) j++;
        unsigned char nx = (unsigned char)t[j];
        if (!(isupper(nx) || nx == '(' || nx == '"' || nx == 0xE2 || isdigit(nx))) continue;
        if (c == '.' && is_abbrev(t, i, s)) continue;
        if (c == '.' && isdigit(nx) && i > s && isdigit((unsigned char)t[i - 1])) continue;
        return i + 1;
    }
    return e;
}

static size_t words_in(const char *t, size_t s, size_t e)
{
    size_t w = 0;
    for (size_t i = s; i < e; i++) w += !is_sp(t[i]) && (i == s || is_sp(t[i - 1]));
    return w;
}

/* Sentences of one block; fragments under 4 words join the next sentence. */
static int split_block(clause_vec *cv, const char *t, size_t s, size_t e)
{
    size_t hs = cv->head_s, he = cv->head_e, ih = inline_heading(t + s, e - s);
    if (ih) {
        size_t el = enum_len(t + s, e - s);
        cv->head_s = hs = s + el;
        cv->head_e = he = s + ih - 1;
        while (cv->head_s < he && is_sp(t[cv->head_s])) cv->head_s++, hs++;
    }
    /* The heading is not part of the first sentence, nor is a number before it ("8.1"). */
    size_t at = ih ? s + ih : s + enum_len(t + s, e - s);
    while (at < e) {
        while (at < e && is_sp(t[at])) at++;
        if (at >= e) break;
        size_t end = sentence_end(t, at, e);
        while (end < e && words_in(t, at, end) < 4) end = sentence_end(t, end, e);
        size_t z = end;
        while (z > at && is_sp(t[z - 1])) z--;
        if (push(cv, at, z, 0, hs, he)) return -1;
        at = end;
    }
    return 0;
}

/* Pieces: lines, and parts of a line after a run of 3 or more spaces. */
static piece *make_pieces(const char *t, size_t len, size_t *np)
{
    size_t cap = 256, n = 0;
    piece *p = malloc(cap * sizeof *p);
    int blank = 1;
    for (size_t i = 0; p && i < len;) {
        size_t e = i;
        while (e < len && t[e] != '\n' &&
               !(t[e] == ' ' && e + 2 < len && t[e + 1] == ' ' && t[e + 2] == ' '))
            e++;
        size_t s = i, z = e;
        while (s < z && is_sp(t[s])) s++;
        while (z > s && is_sp(t[z - 1])) z--;
        if (s < z) {
            if (n == cap) {
                piece *q = realloc(p, (cap *= 2) * sizeof *p);
                if (!q) return free(p), NULL;
                p = q;
            }
            p[n++] = (piece){s, z, blank};
            blank = 0;
        } else if (e < len && t[e] == '\n') {
            blank = 1;
        }
        while (e < len && t[e] == ' ') e++;
        i = (e < len && t[e] == '\n') ? e + 1 : e;
    }
    *np = n;
    return p;
}

/* A piece is a heading when it looks like one and stands apart: after a blank line, a finished
 * sentence or a colon, or numbered; a wrapped line's last word ("Agreement.") is not. */
static int heading_piece(const char *s, const piece *p, size_t i, const unsigned char *was_head)
{
    size_t n = p[i].e - p[i].s;
    if (!looks_heading(s + p[i].s, n) || inline_heading(s + p[i].s, n)) return 0;
    if (p[i].blank_before || i == 0 || enum_len(s + p[i].s, n)) return 1;
    char prev = s[p[i - 1].e - 1]; /* a line of an all-capitals paragraph is not a heading */
    return strchr(".:;)\"", prev) != NULL || was_head[i - 1];
}

int app_extract_segment(const app_extract_text *t, app_extract_clause **out, size_t *n, char *err,
                        size_t errsz)
{
    *out = NULL, *n = 0;
    size_t np = 0;
    piece *p = make_pieces(t->text, t->len, &np);
    unsigned char *head = calloc(np + 1, 1);
    clause_vec cv = {0};
    int rc = p && head ? 0 : -1;
    const char *s = t->text;
    for (size_t i = 0; !rc && i < np;) {
        size_t el = enum_len(s + p[i].s, p[i].e - p[i].s);
        if (el == p[i].e - p[i].s && i + 1 < np) { /* "a." alone: the item follows */
            p[i + 1].s = p[i].s, p[i + 1].blank_before = p[i].blank_before;
            i++;
            continue;
        }
        if (heading_piece(s, p, i, head)) {
            head[i] = 1;
            size_t hs = p[i].s + enum_len(s + p[i].s, p[i].e - p[i].s);
            while (hs < p[i].e && is_sp(s[hs])) hs++;
            cv.head_s = hs, cv.head_e = p[i].e;
            rc = push(&cv, p[i].s, p[i].e, 1, hs, p[i].e);
            i++;
            continue;
        }
        size_t j = i + 1; /* the block goes on to a blank line, a heading or a numbered item */
        while (j < np && !p[j].blank_before && !enum_len(s + p[j].s, p[j].e - p[j].s) &&
               !heading_piece(s, p, j, head))
            j++;
        rc = split_block(&cv, s, p[i].s, p[j - 1].e);
        i = j;
    }
    free(p);
    free(head);
    if (rc) {
        free(cv.v);
        if (err && errsz) snprintf(err, errsz, "out of memory while cutting clauses");
        return -1;
    }
    *out = cv.v, *n = cv.n;
    return 0;
}

char *app_extract_squeeze(const char *text, size_t start, size_t end)
{
    char *o = malloc(end - start + 1);
    if (!o) return NULL;
    size_t n = 0;
    for (size_t i = start; i < end; i++) {
        if (is_sp(text[i])) {
            if (n && o[n - 1] != ' ') o[n++] = ' ';
        } else {
            o[n++] = text[i];
        }
    }
    while (n && o[n - 1] == ' ') n--;
    o[n] = 0;
    return o;
}
