/* ui/tui_reader.c: the reader's model: a document's text as one buffer of lines (a PDF's pages
 * from the library, each after a "page N" header line; other files read from disk, numbered),
 * and the screen rows those lines wrap into at the pane's width. */
#include "tui_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { READER_MAX_BYTES = 64 << 20 };

void tui_reader_free(tui_reader *rd)
{
    free(rd->path), free(rd->key), free(rd->kind), free(rd->text), free(rd->lines);
    free(rd->rows);
    memset(rd, 0, sizeof *rd);
}

typedef struct sbuf {
    char *s;
    size_t n, cap;
} sbuf;

static int sb_add(sbuf *b, const char *s, size_t n)
{
    if (n > ((size_t)1 << 40)) return -1;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n + 1) cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) return -1;
        b->s = p, b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
    return 0;
}

static int load_pages(tui *t, sbuf *b)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT page, text FROM pages WHERE doc_id = ?1 ORDER BY page";
    if (sqlite3_prepare_v2(t->db, sql, -1, &st, NULL)) return -1;
    sqlite3_bind_int64(st, 1, t->rd.doc_id);
    int rc = 0;
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        char head[64];
        int k = snprintf(head, sizeof head, "\x01 page %d \x01\n", sqlite3_column_int(st, 0));
        const char *txt = (const char *)sqlite3_column_text(st, 1);
        size_t n = txt ? strlen(txt) : 0;
        rc = sb_add(b, head, (size_t)k) || sb_add(b, txt ? txt : "", n) ||
             (n && txt[n - 1] != '\n' && sb_add(b, "\n", 1));
    }
    sqlite3_finalize(st);
    return rc;
}

static int load_file(const char *path, sbuf *b, char *why, size_t whysz)
{
    FILE *f = fopen(path, "rb");
    struct stat sb;
    if (!f || fstat(fileno(f), &sb)) {
        snprintf(why, whysz, "cannot read %s: %s", path, strerror(errno));
        if (f) fclose(f);
        return -1;
    }
    size_t want = sb.st_size > READER_MAX_BYTES ? READER_MAX_BYTES : (size_t)sb.st_size;
    char *buf = malloc(want + 1);
    size_t got = buf ? fread(buf, 1, want, f) : 0;
    fclose(f);
    int rc = buf ? sb_add(b, buf, got) : -1;
    free(buf);
    if (!rc && !b->s) rc = sb_add(b, "", 0);
    return rc;
}

/* Cuts the text into lines; a line "\x01 page N \x01" (written by load_pages) starts page N. */
static int split_lines(tui_reader *rd)
{
    int cap = 256, page = 0, lineno = 0;
    rd->lines = malloc((size_t)cap * sizeof *rd->lines);
    if (!rd->lines) return -1;
    size_t n = strlen(rd->text);
    for (size_t at = 0; at < n || (at == n && rd->nlines == 0);) {
        const char *nl = memchr(rd->text + at, '\n', n - at);
        size_t len = nl ? (size_t)(nl - (rd->text + at)) : n - at;
        if (rd->nlines == cap) {
            tui_line *l = realloc(rd->lines, (size_t)(cap *= 2) * sizeof *l);
            if (!l) return -1;
            rd->lines = l;
        }
        int header = rd->pages > 0 && len > 8 && !memcmp(rd->text + at, "\x01 page ", 7);
        if (header)
            page = atoi(rd->text + at + 7), lineno = 0;
        else
            lineno++;
        rd->lines[rd->nlines++] = (tui_line){at, len, page, header ? 0 : lineno};
        at += len + 1;
        if (at > n) break;
    }
    return 0;
}

int tui_reader_open(tui *t, int64_t doc_id, int page, int line)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT path, key, kind, pages FROM documents WHERE id = ?1";
    if (doc_id < 0 || sqlite3_prepare_v2(t->db, sql, -1, &st, NULL)) return -1;
    sqlite3_bind_int64(st, 1, doc_id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        snprintf(t->message, sizeof t->message, "that document has left the library");
        return -1;
    }
    tui_reader_free(&t->rd);
    tui_reader *rd = &t->rd;
    rd->doc_id = doc_id;
    rd->path = strdup((const char *)sqlite3_column_text(st, 0));
    rd->key = strdup((const char *)sqlite3_column_text(st, 1));
    rd->kind = strdup((const char *)sqlite3_column_text(st, 2));
    rd->pages = sqlite3_column_int(st, 3);
    sqlite3_finalize(st);
    rd->code = rd->kind && !strcmp(rd->kind, "code");
    sbuf b = {0};
    char why[600] = "";
    int rc = rd->pages > 0 ? load_pages(t, &b) : load_file(rd->key, &b, why, sizeof why);
    if (rc && *why) {
        free(b.s), b = (sbuf){0};
        rc = sb_add(&b, why, strlen(why));
    }
    rd->text = b.s;
    if (rc || !rd->text || split_lines(rd)) {
        tui_reader_free(rd);
        snprintf(t->message, sizeof t->message, "out of memory opening the document");
        return -1;
    }
    int at = tui_reader_find(rd, page, line);
    rd->cur = at < 0 ? 0 : at;
    rd->top = -1; /* placed around cur at the next layout */
    return 0;
}

int tui_reader_find(const tui_reader *rd, int page, int line)
{
    for (int i = 0; i < rd->nlines; i++) {
        const tui_line *l = &rd->lines[i];
        if (rd->pages > 0 && page > 0 && l->page == page &&
            (line <= 0 ? l->lineno == 0 : l->lineno == line))
            return i;
        if (rd->pages == 0 && line > 0 && l->lineno == line) return i;
    }
    return -1;
}

void tui_reader_layout(tui_reader *rd, int width)
{
    if (!rd->text || (rd->rows && rd->rows_width == width)) return;
    free(rd->rows);
    rd->rows = NULL, rd->nrows = 0, rd->rows_width = width;
    int cap = rd->nlines + 16;
    if (!(rd->rows = malloc((size_t)cap * sizeof *rd->rows))) return;
    for (int i = 0; i < rd->nlines; i++) {
        const char *s = rd->text + rd->lines[i].off;
        size_t left = rd->lines[i].len, off = 0;
        do {
            int w;
            size_t k = left ? ui_wrap_next(s + off, left, width, &w) : 0;
            if (rd->nrows == cap) {
                tui_vrow *r = realloc(rd->rows, (size_t)(cap *= 2) * sizeof *r);
                if (!r) return;
                rd->rows = r;
            }
            rd->rows[rd->nrows++] = (tui_vrow){i, rd->lines[i].off + off, k};
            off += k, left -= k;
        } while (left);
    }
}
