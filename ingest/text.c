/* ingest/text.c: plain text and Markdown. Markdown ATX (#) and setext (===, ---) headings become
 * the section path of the chunks below them (fenced code is not read for headings); plain text
 * gets headings from title-like lines ("1. DEFINITIONS", "ARTICLE IV"). */
#include "ing_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_LEVELS = 6 };

typedef struct headings {
    ing_doc *d;
    char *title[MAX_LEVELS]; /* arena strings */
    const char *path;        /* arena string "A > B", NULL before the first heading */
} headings;

static void set_heading(headings *h, int level, const char *s, size_t n)
{
    while (n && (isspace((unsigned char)*s))) s++, n--;
    while (n && (isspace((unsigned char)s[n - 1]) || s[n - 1] == '#')) n--;
    if (level < 1) level = 1;
    if (level > MAX_LEVELS) level = MAX_LEVELS;
    h->title[level - 1] = doc_strndup(h->d, s, n);
    for (int i = level; i < MAX_LEVELS; i++) h->title[i] = NULL;
    sbuf b = {0};
    for (int i = 0; i < MAX_LEVELS; i++) {
        if (!h->title[i]) continue;
        if (b.n) sb_puts(&b, " > ");
        sb_puts(&b, h->title[i]);
    }
    h->path = b.p ? doc_strdup(h->d, b.p) : NULL;
    sb_free(&b);
}

/* "## Title" -> level 2; 0 if not an ATX heading. */
static int atx_level(const char *s, int n, int *skip)
{
    int i = 0;
    while (i < n && i < 3 && s[i] == ' ') i++;
    int l = 0;
    while (i + l < n && s[i + l] == '#') l++;
    if (l < 1 || l > 6 || (i + l < n && s[i + l] != ' ' && s[i + l] != '\t')) return 0;
    *skip = i + l;
    return l;
}

static int fence(const char *s, int n)
{
    int i = 0;
    while (i < n && i < 3 && s[i] == ' ') i++;
    return n - i >= 3 && (!strncmp(s + i, "```", 3) || !strncmp(s + i, "~~~", 3));
}

/* A setext underline ("====" level 1, "----" level 2) or 0. */
static int setext_level(const char *s, int n)
{
    int i = 0;
    while (i < n && s[i] == ' ') i++;
    if (i >= n || (s[i] != '=' && s[i] != '-')) return 0;
    char c = s[i];
    int k = 0;
    while (i < n && s[i] == c) i++, k++;
    while (i < n && isspace((unsigned char)s[i])) i++;
    return i == n && k >= 2 ? (c == '=' ? 1 : 2) : 0;
}

static int is_blank(const ing_line *l)
{
    for (int i = 0; i < l->len; i++)
        if (!isspace((unsigned char)l->s[i])) return 0;
    return 1;
}

static void markdown_headings(headings *h, ing_line *l, size_t n)
{
    int in_fence = 0;
    for (size_t i = 0; i < n; i++) {
        int skip, lev;
        if (fence(l[i].s, l[i].len)) in_fence = !in_fence;
        if (!in_fence && (lev = atx_level(l[i].s, l[i].len, &skip))) {
            set_heading(h, lev, l[i].s + skip, (size_t)(l[i].len - skip));
            if (lev == 1 && !h->d->meta.title) h->d->meta.title = h->title[0];
            l[i].flags |= LINE_BREAK;
        } else if (!in_fence && i > 0 && !is_blank(&l[i - 1]) && !(l[i - 1].flags & LINE_BREAK) &&
                   (lev = setext_level(l[i].s, l[i].len)) &&
                   (i < 2 || is_blank(&l[i - 2]))) {
            set_heading(h, lev, l[i - 1].s, (size_t)l[i - 1].len);
            l[i - 1].flags |= LINE_BREAK;
            l[i - 1].heading = h->path;
        }
        l[i].heading = h->path;
    }
}

static void plain_headings(headings *h, ing_line *l, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((i == 0 || is_blank(&l[i - 1])) && looks_like_heading(l[i].s, (size_t)l[i].len)) {
            set_heading(h, 1, l[i].s, (size_t)l[i].len);
            l[i].flags |= LINE_SOFT_BREAK;
        }
        l[i].heading = h->path;
    }
}

int extract_text(ing_doc *d, const char *text, size_t len, int markdown)
{
    ing_line *lines;
    size_t n;
    if (split_lines(text, len, &lines, &n)) return -1;
    headings h = {.d = d};
    if (markdown) markdown_headings(&h, lines, n);
    else plain_headings(&h, lines, n);
    int rc = chunk_lines(d, lines, n, 0);
    free(lines);
    return rc;
}
