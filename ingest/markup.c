/* ingest/markup.c: the line builder that HTML and man page extraction write into: text that
 * keeps, per output line, the source line it came from and the heading path in effect, then
 * goes through the chunker like any text file. */
#include "ing_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int new_line(tbuild *t, int lineno)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        tb_line *l = realloc(t->lines, cap * sizeof *l);
        if (!l) return t->oom = 1, -1;
        t->lines = l, t->cap = cap;
    }
    if (t->n && lineno < t->lines[t->n - 1].lineno) lineno = t->lines[t->n - 1].lineno;
    t->lines[t->n++] = (tb_line){.off = t->text.n, .lineno = lineno > 0 ? lineno : 1,
                                 .heading = t->path};
    t->open = 1;
    return 0;
}

void tb_text(tbuild *t, const char *s, size_t n, int lineno)
{
    if (!n || (!t->open && new_line(t, lineno))) return;
    sb_put(&t->text, s, n);
}

void tb_break(tbuild *t)
{
    if (!t->open) return;
    sb_putc(&t->text, '\n');
    t->open = 0;
}

void tb_para(tbuild *t)
{
    tb_break(t);
    if (!t->n || t->lines[t->n - 1].off == t->text.n - 1) return; /* already blank */
    if (new_line(t, t->lines[t->n - 1].lineno)) return;
    tb_break(t);
}

void tb_heading(tbuild *t, size_t from, int level, const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    if (!n) return;
    if (n > 200) { /* a heading is a label: a runaway one must not fill every chunk */
        n = 200;
        while (n && ((unsigned char)s[n] & 0xC0) == 0x80) n--; /* not inside a character */
    }
    if (level < 1) level = 1;
    if (level > 6) level = 6;
    char *title = doc_strndup(t->d, s, n);
    for (char *c = title; c && *c; c++)
        if (*c == '\n' || *c == '\t') *c = ' '; /* a heading broken over lines reads as one */
    t->title[level - 1] = title;
    for (int i = level; i < 6; i++) t->title[i] = NULL;
    sbuf b = {0};
    for (int i = 0; i < 6; i++)
        if (t->title[i]) {
            if (b.n) sb_puts(&b, " > ");
            sb_puts(&b, t->title[i]);
        }
    t->path = b.p ? doc_strdup(t->d, b.p) : NULL;
    sb_free(&b);
    for (size_t i = from; i < t->n; i++) t->lines[i].heading = t->path;
    if (from < t->n) t->lines[from].flags |= LINE_BREAK;
}

int tb_finish(tbuild *t)
{
    tb_break(t);
    int rc = t->oom || t->text.oom ? -1 : 0;
    ing_line *l = rc || !t->n ? NULL : malloc(t->n * sizeof *l);
    if (t->n && !l) rc = -1;
    for (size_t i = 0; !rc && i < t->n; i++) {
        size_t end = i + 1 < t->n ? t->lines[i + 1].off - 1 : t->text.n - 1;
        l[i] = (ing_line){.s = t->text.p + t->lines[i].off, .len = (int)(end - t->lines[i].off),
                          .lineno = t->lines[i].lineno, .flags = t->lines[i].flags,
                          .heading = t->lines[i].heading};
    }
    if (!rc && t->n) rc = chunk_lines(t->d, l, t->n, 0);
    free(l);
    free(t->lines);
    sb_free(&t->text);
    t->lines = NULL, t->n = t->cap = 0;
    return rc;
}
