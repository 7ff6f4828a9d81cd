/* index/symbols.c: the symbols of code documents, stored one row per document.
 *
 * A tree like /usr/include has a million definitions. One B-tree row each (plus two indexes)
 * made symbols a quarter of the indexing time; a row per document costs one insert. So:
 *   doc_symbols(doc_id, n, names, list): names '\n'-separated; list a JSON array of
 *               [name, kind, scope, line_start, line_end, signature] in source order
 *   symbols_fts FTS5 over names (external content), to find the documents defining a name
 *   symbols     a view with one row per symbol, for SQL
 * Packing happens on the read-ahead worker; the writer inserts the finished strings, and the
 * rows join symbols_fts with the chunks, just before commit (store.c). */
#include "idx_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct buf {
    char *p;
    size_t n, cap;
    int oom;
} buf;

static void put(buf *b, const char *s, size_t len)
{
    if (b->oom) return;
    if (b->n + len + 1 > b->cap) {
        size_t c = b->cap ? b->cap * 2 : 1024;
        while (c < b->n + len + 1) c *= 2;
        char *p = realloc(b->p, c);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p, b->cap = c;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = 0;
}

static void put_str(buf *b, const char *s) { put(b, s, strlen(s)); }

/* A JSON string, or null. Bytes from 0x80 up pass as they are (SQLite's JSON accepts them). */
static void put_json(buf *b, const char *s)
{
    if (!s) {
        put_str(b, "null");
        return;
    }
    put(b, "\"", 1);
    for (const char *run = s;; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        put(b, run, (size_t)(s - run));
        if (!c) break;
        char esc[8];
        if (c == '"' || c == '\\')
            snprintf(esc, sizeof esc, "\\%c", c);
        else
            snprintf(esc, sizeof esc, "\\u%04x", c);
        put_str(b, esc);
        run = s + 1;
    }
    put(b, "\"", 1);
}

int idx_symlist_pack(const ing_doc *doc, idx_symlist *out)
{
    memset(out, 0, sizeof *out);
    size_t n = ing_doc_nsymbols(doc);
    if (!n) return 0;
    buf names = {0}, list = {0};
    put(&list, "[", 1);
    for (size_t i = 0; i < n; i++) {
        const ing_symbol *s = ing_doc_symbol(doc, i);
        if (i) put(&names, "\n", 1), put(&list, ",", 1);
        put_str(&names, s->name);
        put(&list, "[", 1);
        put_json(&list, s->name);
        put(&list, ",", 1);
        put_json(&list, s->kind);
        put(&list, ",", 1);
        put_json(&list, s->scope);
        char lines[48];
        snprintf(lines, sizeof lines, ",%d,%d,", s->line_start, s->line_end);
        put_str(&list, lines);
        put_json(&list, s->signature);
        put(&list, "]", 1);
    }
    put(&list, "]", 1);
    if (names.oom || list.oom) {
        free(names.p), free(list.p);
        return -1;
    }
    *out = (idx_symlist){.names = names.p, .list = list.p, .n = n};
    return 0;
}

void idx_symlist_free(idx_symlist *s)
{
    free(s->names);
    free(s->list);
    memset(s, 0, sizeof *s);
}

int idx_symlist_put(idx *ix, int64_t doc_id, const idx_symlist *s)
{
    if (!s->n) return 0;
    sqlite3_stmt *st = idx_stmt(ix, ST_INS_SYMS);
    if (!st) return IDX_ERR;
    sqlite3_bind_int64(st, 1, doc_id);
    sqlite3_bind_int64(st, 2, (int64_t)s->n);
    sqlite3_bind_text(st, 3, s->names, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, s->list, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return idx_fail(ix, IDX_ERR, "inserting symbols: %s", sqlite3_errmsg(ix->db));
    if (!ix->syms_from) ix->syms_from = doc_id;
    return 0;
}

/* ---- lookup --------------------------------------------------------------------------------- */

static const char *const sql_by_fts =
    "SELECT d.path, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4,"
    " j.value ->> 5"
    " FROM symbols_fts f JOIN doc_symbols s ON s.doc_id = f.rowid"
    " JOIN documents d ON d.id = s.doc_id, json_each(s.list) j"
    " WHERE symbols_fts MATCH ?1 AND j.value ->> 0 = ?2"
    " ORDER BY d.path, j.value ->> 3 LIMIT ?3";

/* Names without a letter or digit (operator+) have no FTS5 token: every list is read. */
static const char *const sql_by_scan =
    "SELECT d.path, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4,"
    " j.value ->> 5"
    " FROM doc_symbols s JOIN documents d ON d.id = s.doc_id, json_each(s.list) j"
    " WHERE ?1 IS NOT NULL AND j.value ->> 0 = ?2"
    " ORDER BY d.path, j.value ->> 3 LIMIT ?3";

static char *col(sqlite3_stmt *st, int i)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    return s ? strdup(s) : NULL;
}

/* The name as one FTS5 phrase: its tokens in order, whatever separates them. */
static int phrase_of(const char *name, char *out, size_t outsz)
{
    size_t o = 0;
    int tokens = 0;
    out[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)name; *p && o + 4 < outsz; p++) {
        if (*p == '"') {
            out[o++] = '"', out[o++] = '"';
            continue;
        }
        out[o++] = (char)*p;
        tokens |= (*p >= '0' && *p <= '9') || ((*p | 32) >= 'a' && (*p | 32) <= 'z') ||
                  *p >= 0x80;
    }
    out[o++] = '"';
    out[o] = 0;
    return tokens;
}

int idx_symbols_find(idx *ix, const char *name, int limit, idx_symbol **out, size_t *n)
{
    *out = NULL, *n = 0;
    char match[1024];
    if (strlen(name) > 400) return 0; /* no such symbol is stored whole */
    int fts = phrase_of(name, match, sizeof match);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ix->db, fts ? sql_by_fts : sql_by_scan, -1, &st, NULL))
        return idx_fail(ix, IDX_ERR, "symbol lookup: %s", sqlite3_errmsg(ix->db));
    sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, limit > 0 ? limit : 100);
    idx_symbol *v = NULL;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            idx_symbol *t = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof *t);
            if (!t) break;
            v = t;
        }
        v[(*n)++] = (idx_symbol){.path = col(st, 0), .name = col(st, 1), .kind = col(st, 2),
                                 .scope = col(st, 3), .line_start = sqlite3_column_int(st, 4),
                                 .line_end = sqlite3_column_int(st, 5),
                                 .signature = col(st, 6)};
    }
    if (rc != SQLITE_DONE) {
        idx_fail(ix, IDX_ERR, "symbol lookup: %s",
                 rc == SQLITE_ROW ? "out of memory" : sqlite3_errmsg(ix->db));
        sqlite3_finalize(st);
        idx_symbols_free(v, *n);
        *out = NULL, *n = 0;
        return IDX_ERR;
    }
    sqlite3_finalize(st);
    *out = v;
    return 0;
}

void idx_symbols_free(idx_symbol *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        free(s[i].path), free(s[i].name), free(s[i].kind), free(s[i].scope), free(s[i].signature);
    free(s);
}
