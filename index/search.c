/* index/search.c: ranked search over the words index (BM25, text weighted over headings), with
 * a forgiving OR form when all words together match nothing, and for a single word found
 * inside longer words the trigram index (CJK) and the identifier vocabulary (code). Hits carry
 * path, page, lines and a snippet. */
#include "idx_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ?8: order "some words" hits by how many of the query's phrases they hold, first. */
static const char *const sql_words =
    "SELECT c.id, c.doc_id, d.path, d.kind, c.page, c.line_start, c.line_end,"
    " bm25(chunks_fts, 1.0, 0.5), snippet(chunks_fts, 0, ?5, ?6, '...', ?7),"
    " c.heading, c.symbol, c.text, c.boiler, folio_cover(chunks_fts)"
    " FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid"
    " JOIN documents d ON d.id = c.doc_id"
    " WHERE chunks_fts MATCH ?1 AND (?2 IS NULL OR d.path GLOB ?2)"
    " AND (?3 IS NULL OR d.kind = ?3)"
    " ORDER BY CASE WHEN ?8 THEN folio_cover(chunks_fts) ELSE 0 END DESC, c.boiler,"
    " bm25(chunks_fts, 1.0, 0.5) LIMIT ?4";

static const char *const sql_tri =
    "SELECT c.id, c.doc_id, d.path, d.kind, c.page, c.line_start, c.line_end,"
    " bm25(chunks_tri), snippet(chunks_tri, 0, ?5, ?6, '...', ?7),"
    " c.heading, c.symbol, c.text, c.boiler, folio_cover(chunks_tri)"
    " FROM chunks_tri JOIN chunks c ON c.id = chunks_tri.rowid"
    " JOIN documents d ON d.id = c.doc_id"
    " WHERE chunks_tri MATCH ?1 AND (?2 IS NULL OR d.path GLOB ?2)"
    " AND (?3 IS NULL OR d.kind = ?3) AND ?8 = ?8"
    " ORDER BY c.boiler, bm25(chunks_tri) LIMIT ?4";

typedef struct hits {
    idx_hit *h;
    size_t n, cap;
    int units; /* of the query: "some words" scores are shares of them */
} hits;

static char *dup_col(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? strdup((const char *)s) : NULL;
}

static int have(const hits *hs, int64_t chunk)
{
    for (size_t i = 0; i < hs->n; i++)
        if (hs->h[i].chunk_id == chunk) return 1;
    return 0;
}

static int add_row(hits *hs, sqlite3_stmt *st, idx_match how)
{
    int64_t id = sqlite3_column_int64(st, 0);
    if (have(hs, id)) return 0;
    if (hs->n == hs->cap) {
        size_t cap = hs->cap ? hs->cap * 2 : 16;
        idx_hit *h = realloc(hs->h, cap * sizeof *h);
        if (!h) return -1;
        hs->h = h, hs->cap = cap;
    }
    idx_hit *h = &hs->h[hs->n++];
    memset(h, 0, sizeof *h);
    h->chunk_id = id;
    h->doc_id = sqlite3_column_int64(st, 1);
    h->path = dup_col(st, 2);
    h->kind = dup_col(st, 3);
    h->page = sqlite3_column_int(st, 4);
    h->line_start = sqlite3_column_int(st, 5);
    h->line_end = sqlite3_column_int(st, 6);
    h->match = how;
    h->boilerplate = sqlite3_column_int(st, 12);
    h->score = idx_score(how, h->boilerplate, sqlite3_column_double(st, 7),
                         sqlite3_column_int(st, 13), hs->units);
    h->snippet = dup_col(st, 8);
    if (h->snippet) idx_snippet_collapse(h->snippet);
    h->heading = dup_col(st, 9);
    h->symbol = dup_col(st, 10);
    h->text = dup_col(st, 11);
    return h->path && h->text ? 0 : -1;
}

/* Runs one MATCH expression; rows are appended to hs (duplicates skipped) until it holds
 * `limit` hits. */
static int run_match(idx *ix, const char *sql, const char *match, const idx_query *q, int limit,
                     idx_match how, hits *hs)
{
    if ((int)hs->n >= limit) return 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ix->db, sql, -1, &st, NULL) != SQLITE_OK)
        return idx_fail(ix, IDX_ERR, "search: %s", sqlite3_errmsg(ix->db));
    sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
    if (q->path_glob) sqlite3_bind_text(st, 2, q->path_glob, -1, SQLITE_STATIC);
    if (q->kind != ING_KIND_SKIP) sqlite3_bind_text(st, 3, ing_kind_name(q->kind), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, limit); /* at most hs->n of them are there already */
    sqlite3_bind_text(st, 5, q->mark_open ? q->mark_open : "[", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, q->mark_close ? q->mark_close : "]", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, q->snippet_tokens > 0 ? q->snippet_tokens : 24);
    sqlite3_bind_int(st, 8, how == IDX_MATCH_SOME);
    int rc;
    while ((int)hs->n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW)
        if (add_row(hs, st, how)) {
            rc = SQLITE_NOMEM;
            break;
        }
    int out = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : IDX_ERR;
    if (out) {
        const char *m = sqlite3_errmsg(ix->db);
        out = q->raw && strstr(m, "syntax") ? IDX_ESYNTAX : IDX_ERR;
        idx_fail(ix, out, "query '%s': %s", match, m);
    }
    sqlite3_finalize(st);
    return out;
}

/* A single word of 3+ characters that is not CJK also matches inside identifiers. */
static int trigram_word(const char *text)
{
    const char *p = text;
    while (*p == ' ' || *p == '\t') p++;
    size_t n = strcspn(p, " \t\r\n");
    const char *rest = p + n;
    while (*rest == ' ' || *rest == '\t' || *rest == '\r' || *rest == '\n') rest++;
    return n >= 3 && !*rest && (unsigned char)*p < 0xE3;
}

/* A word found inside longer words: the trigram index (CJK text, and code indexed by schema
 * v1), then the identifiers of code that contain it, searched as words. Code with punctuation
 * inside the word ("->nex", "ctx.rea") has its last part taken as the start of a word. */
static int substring(idx *ix, const idx_query *q, const char *quoted, int limit, hits *hs)
{
    int rc = run_match(ix, sql_tri, quoted, q, limit, IDX_MATCH_PART, hs);
    if (rc || (int)hs->n >= limit) return rc;
    if (!idx_idents_word(q->text) && strpbrk(q->text, "-.:>/\\<!&|=+%^~@$#,;()[]{}")) {
        char prefix[1024];
        if ((size_t)snprintf(prefix, sizeof prefix, "%s*", quoted) >= sizeof prefix) return 0;
        return run_match(ix, sql_words, prefix, q, limit, IDX_MATCH_PART, hs);
    }
    if (!idx_idents_word(q->text)) return 0;
    char names[4096];
    int k = idx_idents_expand(ix, q->text, names, sizeof names);
    if (k <= 0) return k;
    return run_match(ix, sql_words, names, q, limit, IDX_MATCH_PART, hs);
}

/* The tiers of a plain query, best kind first; each adds the hits the earlier ones lack. */
static int tiers(idx *ix, const idx_query *q, const idx_units *u, int capped, int limit, hits *hs,
                 char *m, size_t cap)
{
    static const struct { int form; idx_match how; } tier[] = {
        {IDX_FORM_PHRASE, IDX_MATCH_PHRASE}, {IDX_FORM_NEAR, IDX_MATCH_NEAR},
        {IDX_FORM_AND, IDX_MATCH_ALL},       {IDX_FORM_STEM, IDX_MATCH_STEM},
        {IDX_FORM_OR_STEM, IDX_MATCH_SOME},
    };
    char *prev = m + cap; /* the previous tier's expression: the same one is not run twice */
    prev[0] = 0;
    int rc = 0;
    for (size_t t = 0; !rc && t < sizeof tier / sizeof *tier && (int)hs->n < limit; t++) {
        int f = tier[t].form;
        /* A long query that lost words is no phrase; one word alone is no phrase unless quoted. */
        if (f == IDX_FORM_PHRASE && (capped || (u->n == 1 && !u->u[0].quoted))) continue;
        if (f == IDX_FORM_NEAR && capped) continue;
        int k = idx_units_render(u->u, u->n, f, m, cap);
        if (k < 0) return idx_fail(ix, IDX_ERR, "query too long to render");
        if (!k || !strcmp(m, prev)) continue;
        /* Some of the words only when all of them, in any form, match nothing. */
        if (f == IDX_FORM_OR_STEM && (k < 2 || hs->n)) continue;
        rc = run_match(ix, sql_words, m, q, limit, tier[t].how, hs);
        strcpy(prev, m);
    }
    return rc;
}

static int by_score(const void *a, const void *b)
{
    const idx_hit *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    return x->chunk_id < y->chunk_id ? -1 : x->chunk_id > y->chunk_id;
}

int idx_search(idx *ix, const idx_query *q, idx_hit **out, size_t *n)
{
    *out = NULL, *n = 0;
    hits hs = {0};
    int limit = q->limit > 0 ? q->limit : 10, rc = 0;
    idx_units u;
    if (idx_units_parse(q->text, &u)) return idx_fail(ix, IDX_ERR, "out of memory");
    int capped = 0;
    if (!q->raw && u.n > IDX_QUERY_TERMS) {
        rc = idx_units_cap(ix, &u, IDX_QUERY_TERMS);
        capped = 1;
    }
    if (!rc && !q->raw) rc = idx_units_stems(ix, &u);
    hs.units = (int)u.n;
    size_t cap = idx_units_bound(q->text, &u);
    char *m = malloc(2 * cap);
    if (!m) rc = idx_fail(ix, IDX_ERR, "out of memory");
    if (!rc && q->raw) {
        rc = run_match(ix, sql_words, q->text, q, limit, IDX_MATCH_ALL, &hs);
    } else if (!rc && u.n) {
        rc = tiers(ix, q, &u, capped, limit, &hs, m, cap);
        if (!rc && (int)hs.n < limit && trigram_word(q->text) &&
            idx_query_quote_ex(q->text, " ", 0, m, cap) == 1 && !strchr(m, '*'))
            rc = substring(ix, q, m, limit, &hs);
    }
    free(m);
    idx_units_free(&u);
    if (rc) {
        idx_hits_free(hs.h, hs.n);
        return rc;
    }
    /* Hits of one kind from different queries (substrings) come in their scores' order. */
    if (hs.n) qsort(hs.h, hs.n, sizeof *hs.h, by_score);
    *out = hs.h, *n = hs.n;
    return 0;
}

void idx_hits_free(idx_hit *h, size_t n)
{
    for (size_t i = 0; h && i < n; i++) {
        free(h[i].path), free(h[i].kind), free(h[i].heading), free(h[i].symbol);
        free(h[i].snippet), free(h[i].text);
    }
    free(h);
}
