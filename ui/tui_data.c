/* ui/tui_data.c: what the interface reads from the library: the documents (tree of paths, kind,
 * pages, state), search hits and symbols through index/idx.h, and a document's text by page
 * (pages table of a PDF) or from the file itself (text, code), cut into numbered lines. */
#include "tui_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int tui_data_open(tui *t, char *err, size_t errsz)
{
    int rc = idx_open(t->cfg->db, IDX_READ, &t->ix, err, errsz);
    if (rc) return -1;
    /* The documents and pages tables are read directly (read-only, WAL: never waits for the
     * writer); the index's API covers search and symbols. */
    if (sqlite3_open_v2(t->cfg->db, &t->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, errsz, "%s: %s", t->cfg->db, sqlite3_errmsg(t->db));
        return -1;
    }
    sqlite3_busy_timeout(t->db, 2000);
    return 0;
}

void tui_data_close(tui *t)
{
    idx_close(t->ix);
    sqlite3_close(t->db);
    t->ix = NULL, t->db = NULL;
}

static char *dup_col(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return strdup(s ? (const char *)s : "");
}

static void tree_free(tui *t)
{
    for (int i = 0; i < t->ntree; i++) free(t->tree[i].label), free(t->tree[i].dir);
    free(t->tree);
    t->tree = NULL, t->ntree = 0;
}

void tui_library_free(tui *t)
{
    for (int i = 0; i < t->ndocs; i++)
        free(t->docs[i].path), free(t->docs[i].key), free(t->docs[i].kind), free(t->docs[i].status);
    free(t->docs);
    t->docs = NULL, t->ndocs = 0;
    tree_free(t);
}

/* A folder row (doc -1) carries its path from the root, ending in '/', in dir. */
static int tree_add(tui *t, int doc, int depth, const char *label, size_t n, const char *path,
                    size_t dirlen)
{
    tui_row *r = realloc(t->tree, (size_t)(t->ntree + 1) * sizeof *r);
    if (!r) return -1;
    t->tree = r;
    r[t->ntree] = (tui_row){doc, depth, strndup(label, n), doc < 0 ? strndup(path, dirlen) : NULL};
    if (!r[t->ntree].label || (doc < 0 && !r[t->ntree].dir)) return -1;
    t->ntree++;
    return 0;
}

static int is_closed(const tui *t, const char *path, size_t n)
{
    for (int i = 0; i < t->nclosed; i++)
        if (strlen(t->closed[i]) == n && !strncmp(t->closed[i], path, n)) return 1;
    return 0;
}

/* The folders of each path that the previous path did not share, then the file; nothing under
 * a folded folder. Paths come sorted, so a folder's files follow it. */
static int tree_build(tui *t)
{
    tree_free(t);
    const char *prev = "";
    for (int i = 0; i < t->ndocs; i++) {
        const char *p = t->docs[i].path;
        size_t common = 0;
        for (size_t k = 0; p[k] && p[k] == prev[k]; k++)
            if (p[k] == '/') common = k + 1;
        prev = p;
        int depth = 0, hidden = 0;
        for (size_t k = 0; k < common && !hidden; k++)
            if (p[k] == '/') depth++, hidden = is_closed(t, p, k + 1);
        for (const char *s = p + common, *slash; !hidden && (slash = strchr(s, '/'));
             s = slash + 1) {
            size_t dirlen = (size_t)(slash - p) + 1;
            if (tree_add(t, -1, depth++, s, (size_t)(slash - s) + 1, p, dirlen)) return -1;
            hidden = is_closed(t, p, dirlen);
        }
        if (hidden) continue;
        const char *base = strrchr(p, '/');
        base = base ? base + 1 : p;
        if (tree_add(t, i, depth, base, strlen(base), NULL, 0)) return -1;
    }
    return 0;
}

/* The selected row's document (or folder) before a reload, to select it again after. */
static void keep_selection(const tui *t, int64_t *doc, char *dir, size_t dirsz)
{
    *doc = -1, *dir = 0;
    if (t->lib_sel >= t->ntree) return;
    const tui_row *r = &t->tree[t->lib_sel];
    if (r->doc >= 0)
        *doc = t->docs[r->doc].id;
    else
        snprintf(dir, dirsz, "%s", r->dir);
}

static void restore_selection(tui *t, int64_t doc, const char *dir)
{
    for (int i = 0; i < t->ntree; i++) {
        const tui_row *r = &t->tree[i];
        if ((doc >= 0 && r->doc >= 0 && t->docs[r->doc].id == doc) ||
            (doc < 0 && *dir && r->doc < 0 && !strcmp(r->dir, dir))) {
            t->lib_sel = i;
            return;
        }
    }
}

int tui_library_fold(tui *t, int row)
{
    if (row < 0 || row >= t->ntree || t->tree[row].doc >= 0) return -1;
    const char *dir = t->tree[row].dir;
    for (int i = 0; i < t->nclosed; i++)
        if (!strcmp(t->closed[i], dir)) {
            free(t->closed[i]);
            t->closed[i] = t->closed[--t->nclosed];
            return tree_build(t);
        }
    char **c = realloc(t->closed, (size_t)(t->nclosed + 1) * sizeof *c);
    if (!c) return -1;
    t->closed = c;
    if (!(c[t->nclosed] = strdup(dir))) return -1;
    t->nclosed++;
    return tree_build(t);
}

int tui_library_load(tui *t)
{
    int64_t keep_doc;
    char keep_dir[4096];
    keep_selection(t, &keep_doc, keep_dir, sizeof keep_dir);
    sqlite3_stmt *st;
    const char *sql = "SELECT id, path, key, kind, pages, status FROM documents ORDER BY path";
    if (sqlite3_prepare_v2(t->db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    tui_library_free(t);
    int cap = 0, rc = 0;
    t->ncode = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (t->ndocs == cap) {
            tui_doc *d = realloc(t->docs, (size_t)(cap = cap ? cap * 2 : 64) * sizeof *d);
            if (!d) {
                rc = -1;
                break;
            }
            t->docs = d;
        }
        tui_doc *d = &t->docs[t->ndocs++];
        d->id = sqlite3_column_int64(st, 0);
        d->path = dup_col(st, 1), d->key = dup_col(st, 2), d->kind = dup_col(st, 3);
        d->pages = sqlite3_column_int(st, 4);
        d->status = dup_col(st, 5);
        t->ncode += !strcmp(d->kind, "code");
    }
    sqlite3_finalize(st);
    if (!rc) rc = tree_build(t);
    restore_selection(t, keep_doc, keep_dir);
    if (t->lib_sel >= t->ntree) t->lib_sel = t->ntree ? t->ntree - 1 : 0;
    return rc;
}

void tui_hits_free(tui *t)
{
    for (int i = 0; i < t->nhits; i++)
        free(t->hits[i].path), free(t->hits[i].snippet), free(t->hits[i].where);
    free(t->hits);
    t->hits = NULL, t->nhits = t->res_sel = t->res_top = 0;
}

static void terms_set(tui *t, const char *query)
{
    for (int i = 0; i < t->nterms; i++) free(t->terms[i]);
    free(t->terms);
    t->terms = NULL, t->nterms = 0;
    char *copy = strdup(query), *save = NULL;
    if (!copy) return;
    for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        size_t n = strlen(w);
        while (n && (w[n - 1] == '*' || w[n - 1] == '"')) w[--n] = 0;
        while (*w == '"') w++;
        if (!*w) continue;
        char **nt = realloc(t->terms, (size_t)(t->nterms + 1) * sizeof *nt);
        if (!nt) break;
        t->terms = nt;
        if ((t->terms[t->nterms] = strdup(w))) t->nterms++;
    }
    free(copy);
}

int tui_search(tui *t, const char *query, ing_kind kind)
{
    idx_query q = {.text = query,
                   .kind = kind,
                   .limit = 100,
                   .mark_open = TUI_MARK_OPEN,
                   .mark_close = TUI_MARK_CLOSE,
                   .snippet_tokens = 32};
    idx_hit *h;
    size_t n;
    if (idx_search(t->ix, &q, &h, &n)) return -1;
    tui_hits_free(t);
    terms_set(t, query);
    snprintf(t->query, sizeof t->query, "%s", query);
    t->hits = calloc(n ? n : 1, sizeof *t->hits);
    for (size_t i = 0; t->hits && i < n; i++) {
        tui_hit *x = &t->hits[t->nhits++];
        char where[64];
        if (h[i].page > 0)
            snprintf(where, sizeof where, "p.%d", h[i].page);
        else
            snprintf(where, sizeof where, "l.%d-%d", h[i].line_start, h[i].line_end);
        x->doc_id = h[i].doc_id, x->page = h[i].page, x->line = h[i].line_start;
        x->line_end = h[i].line_end;
        x->path = strdup(h[i].path), x->where = strdup(where);
        x->snippet = strdup(h[i].snippet ? h[i].snippet : "");
    }
    idx_hits_free(h, n);
    return 0;
}

static int64_t doc_by_path(tui *t, const char *path)
{
    sqlite3_stmt *st;
    int64_t id = -1;
    if (sqlite3_prepare_v2(t->db, "SELECT id FROM documents WHERE path = ?1", -1, &st, NULL))
        return -1;
    sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
}

int tui_symbols(tui *t, const char *name)
{
    idx_symbol *s;
    size_t n;
    if (idx_symbols_find(t->ix, name, 100, &s, &n)) return -1;
    tui_hits_free(t);
    terms_set(t, name);
    snprintf(t->query, sizeof t->query, "%s", name);
    t->hits = calloc(n ? n : 1, sizeof *t->hits);
    for (size_t i = 0; t->hits && i < n; i++) {
        tui_hit *x = &t->hits[t->nhits++];
        char where[64], *snip = NULL;
        snprintf(where, sizeof where, "l.%d-%d", s[i].line_start, s[i].line_end);
        if (asprintf(&snip, "%s%s%s  " TUI_MARK_OPEN "%s" TUI_MARK_CLOSE,
                     s[i].kind ? s[i].kind : "symbol", s[i].scope ? " in " : "",
                     s[i].scope ? s[i].scope : "", s[i].signature ? s[i].signature : s[i].name) < 0)
            snip = NULL;
        x->doc_id = doc_by_path(t, s[i].path), x->line = s[i].line_start;
        x->line_end = s[i].line_start;
        x->path = strdup(s[i].path), x->where = strdup(where), x->snippet = snip;
    }
    idx_symbols_free(s, n);
    return 0;
}

int tui_terms_find(const tui *t, const char *s, size_t n, size_t *spans, int max)
{
    int k = 0;
    for (size_t i = 0; i < n && k < max;) {
        size_t best = 0;
        for (int j = 0; j < t->nterms; j++) {
            size_t tl = strlen(t->terms[j]);
            if (tl > best && tl <= n - i && !strncasecmp(s + i, t->terms[j], tl)) best = tl;
        }
        if (best)
            spans[2 * k] = i, spans[2 * k + 1] = i + best, k++, i += best;
        else
            i++;
    }
    return k;
}

int tui_reader_next_hit(const tui *t, int from, int dir)
{
    const tui_reader *rd = &t->rd;
    size_t sp[2];
    for (int i = from + dir; i >= 0 && i < rd->nlines; i += dir)
        if (tui_terms_find(t, rd->text + rd->lines[i].off, rd->lines[i].len, sp, 1)) return i;
    return -1;
}
