/* app/sentence.c: the sentence splitter (app/sentence.h). Input: UTF-8 text; output: byte ranges.
 * A full stop ends a sentence unless it closes an abbreviation, an initial, a number or a clause
 * label; CJK full stops always do; blank lines and clause labels opening a line break too. */
#include "sentence.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Words that a full stop follows without ending the sentence (compared without case). */
static const char *const abbrevs[] = {
    "mr",  "mrs",  "ms",   "dr",     "prof",  "sr",   "jr",   "st",   "mt",   "inc",  "ltd",
    "co",  "corp", "llc",  "plc",    "bros",  "no",   "nos",  "vs",   "v",    "etc",  "e.g",
    "i.e", "cf",   "al",   "approx", "art",   "arts", "sec",  "secs", "sect", "para", "paras",
    "cl",  "ch",   "chap", "fig",    "figs",  "vol",  "vols", "pp",   "p",    "ed",   "eds",
    "esq", "dept", "univ", "assn",   "gov",   "gen",  "col",  "capt", "lt",   "sgt",  "rev",
    "hon", "jan",  "feb",  "mar",    "apr",   "jun",  "jul",  "aug",  "sep",  "sept", "oct",
    "nov", "dec",  "u.s",  "u.k",    "u.s.a", "a.m",  "p.m",  "n.a",  "s.a",  "b.v",  "n.v",
    "ca",  "min",  "max",  "incl",   "excl",  "ref",  "resp", "viz",  "op",   "id",   "ibid",
    "et",  "seq",  "ff",   "ex",     "exh",   "sch",  "attn", "tel",  "ave",  "blvd", "rd",
    "ste", "dist", "est",  "govt",   NULL};

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Bytes of a CJK sentence end (。！？ and the full-width ．) at p, else 0. */
static int cjk_end(const unsigned char *p, size_t left)
{
    if (left < 3) return 0;
    if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x82) return 3; /* 。 */
    if (p[0] == 0xEF && p[1] == 0xBC && (p[2] == 0x81 || p[2] == 0x9F || p[2] == 0x8E))
        return 3; /* ！？． */
    return 0;
}

/* Bytes of a closing mark that stays with the sentence before it (quotes, brackets, 」』）”). */
static int closer(const unsigned char *p, size_t left)
{
    if (left && (*p == '"' || *p == '\'' || *p == ')' || *p == ']')) return 1;
    if (left >= 3 && p[0] == 0xE3 && p[1] == 0x80 && (p[2] == 0x8D || p[2] == 0x8F)) return 3;
    if (left >= 3 && p[0] == 0xEF && p[1] == 0xBC && p[2] == 0x89) return 3;
    if (left >= 3 && p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0x9D || p[2] == 0x99)) return 3;
    return 0;
}

/* The word that ends just before the full stop at text[dot] (letters, digits and inner dots). */
static size_t word_before(const char *t, size_t from, size_t dot, size_t *wstart)
{
    size_t s = dot;
    while (s > from && (isalnum((unsigned char)t[s - 1]) || t[s - 1] == '.' || t[s - 1] == '-'))
        s--;
    *wstart = s;
    return dot - s;
}

static int is_abbrev(const char *w, size_t n)
{
    if (n == 0 || n > 8) return 0;
    for (int i = 0; abbrevs[i]; i++)
        if (strlen(abbrevs[i]) == n && !strncasecmp(abbrevs[i], w, n)) return 1;
    /* One capital letter (an initial: "J. Smith"), or dotted capitals ("U.S", "N.Y"). */
    if (n == 1 && isupper((unsigned char)w[0])) return 1;
    int dotted = n >= 3;
    for (size_t i = 0; i < n && dotted; i++)
        dotted = i % 2 ? w[i] == '.' : isalpha((unsigned char)w[i]) != 0;
    return dotted;
}

/* 1 if text[from..dot) is only a clause label: "12", "2.1", "iv", "a", "(b)", "Section 4". */
static int only_label(const char *t, size_t from, size_t dot)
{
    while (from < dot && is_ws((unsigned char)t[from])) from++;
    size_t n = dot - from;
    if (n == 0) return 1;
    const char *w = t + from;
    if (n > 8 && !strncasecmp(w, "section ", 8))
        w += 8, n -= 8;
    else if (n > 8 && !strncasecmp(w, "article ", 8))
        w += 8, n -= 8;
    else if (n > 7 && !strncasecmp(w, "clause ", 7))
        w += 7, n -= 7;
    if (n > 12) return 0;
    int digits = 0, letters = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        if (isdigit(c))
            digits++;
        else if (isalpha(c))
            letters++;
        else if (c != '.' && c != '(' && c != ')')
            return 0;
    }
    if (digits) return letters <= 1;
    if (letters == 1) return 1;
    return letters <= 5 && strspn(w, "ivxlcIVXLC().") == n; /* roman numerals */
}

/* At a line start: does a clause label follow ("3.", "4.2 ", "(a) ", "(iv) ")? */
static int label_at(const char *t, size_t i, size_t len)
{
    size_t j = i;
    while (j < len && (t[j] == ' ' || t[j] == '\t')) j++;
    size_t k = j;
    if (k < len && t[k] == '(') {
        k++;
        size_t s = k;
        while (k < len && isalnum((unsigned char)t[k]) && k - s < 5) k++;
        return k > s && k < len && t[k] == ')';
    }
    size_t s = k;
    while (k < len && (isdigit((unsigned char)t[k]) || t[k] == '.') && k - s < 10) k++;
    return k > s && isdigit((unsigned char)t[s]) && k < len && (t[k] == ' ' || t[k] == '\t') &&
           (t[k - 1] == '.' || memchr(t + s, '.', k - s));
}

/* Where a full stop at text[i] ends a sentence: the offset after it (and its closers), or 0. */
static size_t stop_end(const char *t, size_t from, size_t i, size_t len)
{
    unsigned char c = (unsigned char)t[i];
    size_t e = i + 1;
    while (e < len && (t[e] == c || (c != '.' && (t[e] == '!' || t[e] == '?')))) e++;
    int k;
    while (e < len && (k = closer((const unsigned char *)t + e, len - e))) e += (size_t)k;
    if (e < len && !is_ws((unsigned char)t[e])) return 0; /* "3.5", "a.b", "e.g.," */
    if (c != '.') return e;
    size_t ws;
    size_t wl = word_before(t, from, i, &ws);
    if (e - i == 1 && wl && is_abbrev(t + ws, wl)) return 0;
    if (only_label(t, from, i)) return 0;
    size_t j = e;
    while (j < len && is_ws((unsigned char)t[j])) j++;
    /* A lower-case word after the stop continues the sentence ("approx. five"). */
    if (j < len && islower((unsigned char)t[j])) return 0;
    return e;
}

typedef struct acc {
    app_sentence *v;
    size_t n, cap;
    int oom;
} acc;

/* 1 if t[s..e) is a rule of 3 or more of '-', '=', '_', '~', '*' (heading underlines). */
static int rule_at(const char *t, size_t s, size_t e)
{
    size_t n = 0;
    for (; s < e && (strchr("-=_~*", t[s]) || t[s] == ' '); s++) n += t[s] != ' ';
    return n >= 3 && (s >= e || t[s] == '\n' || t[s] == '\r');
}

/* 1 if the line t[s..e) is in capitals: letters, none lower case, at most `max` bytes. */
static int caps_line(const char *t, size_t s, size_t e, size_t max)
{
    if (e - s > max) return 0;
    int upper = 0;
    for (size_t i = s; i < e; i++) {
        if (islower((unsigned char)t[i])) return 0;
        upper += isupper((unsigned char)t[i]) != 0;
    }
    return upper >= 3;
}

/* A short line in capitals ending at t[e] = '\n', not followed by a long line in capitals: a
 * heading (a paragraph in capitals, as disclaimers are written, is not cut at each line). */
static int caps_heading(const char *t, size_t s, size_t e, size_t len)
{
    if (!caps_line(t, s, e, 60)) return 0;
    size_t ne = e + 1;
    while (ne < len && t[ne] != '\n') ne++;
    return !caps_line(t, e + 1, ne, 200) || ne - (e + 1) <= 60;
}

static void push(acc *a, const char *t, size_t s, size_t e)
{
    for (;;) { /* leading white space and rules */
        while (s < e && is_ws((unsigned char)t[s])) s++;
        size_t r = s;
        while (r < e && strchr("-=_~*", t[r])) r++;
        if (r - s < 3) break;
        s = r;
    }
    while (e > s && is_ws((unsigned char)t[e - 1])) e--;
    if (s >= e || a->oom) return;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 32;
        app_sentence *v = realloc(a->v, cap * sizeof *v);
        if (!v) {
            a->oom = 1;
            return;
        }
        a->v = v, a->cap = cap;
    }
    a->v[a->n++] = (app_sentence){s, e};
}

int app_sentences_split(const char *t, size_t len, app_sentence **out, size_t *n)
{
    acc a = {0};
    size_t from = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)t[i];
        int k = cjk_end((const unsigned char *)t + i, len - i);
        if (k) {
            size_t e = i + (size_t)k;
            int m;
            while (e < len && (m = closer((const unsigned char *)t + e, len - e))) e += (size_t)m;
            push(&a, t, from, e);
            from = i = e;
            continue;
        }
        if (c == '.' || c == '!' || c == '?') {
            size_t e = stop_end(t, from, i, len);
            if (e) {
                push(&a, t, from, e);
                from = i = e;
                continue;
            }
        } else if (c == '\n') {
            size_t j = i + 1, ls = i;
            while (ls > from && t[ls - 1] != '\n') ls--;
            while (j < len && (t[j] == ' ' || t[j] == '\t' || t[j] == '\r')) j++;
            /* A blank line, a rule, a clause label opening the next line, or a line in
             * capitals (a heading) is a break. */
            if ((j < len && t[j] == '\n') || label_at(t, i + 1, len) || rule_at(t, i + 1, len) ||
                caps_heading(t, ls, i, len) || rule_at(t, ls, i)) {
                push(&a, t, from, i);
                from = i + 1;
            }
        }
        i++;
    }
    push(&a, t, from, len);
    if (a.oom) {
        free(a.v);
        *out = NULL, *n = 0;
        return -1;
    }
    *out = a.v, *n = a.n;
    return 0;
}

int app_sentence_line(const char *text, size_t off, int first_line)
{
    int line = first_line;
    for (size_t i = 0; i < off && text[i]; i++) line += text[i] == '\n';
    return line;
}
