/* index/search.c: ranked search over the words index (BM25, text weighted over headings), with
 * a forgiving OR form when all words together match nothing, and for a single word found
 * inside longer words the trigram index (CJK) and the identifier vocabulary (code). Hits carry
 * path, page, lines and a snippet. */
#include "idx_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const sql_words =
    "SELECT c.id, c.doc_id, d.path, d.kind, c.page, c.line_start, c.line_end,"
    " bm25(chunks_fts, 1.0, 0.5), snippet(chunks_fts, 0, ?5, ?6, '...', ?7),"
    " c.heading, c.symbol, c.text"
    " FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid"
    " JOIN documents d ON d.id = c.doc_id"
    " WHERE chunks_fts MATCH ?1 AND (?2 IS NULL OR d.path GLOB ?2)"
    " AND (?3 IS NULL OR d.kind = ?3)"
    " ORDER BY bm25(chunks_fts, 1.0, 0.5) LIMIT ?4";

static const char *const sql_tri =
    "SELECT c.id, c.doc_id, d.path, d.kind, c.page, c.line_start, c.line_end,"
    " bm25(chunks_tri), snippet(chunks_tri, 0, ?5, ?6, '...', ?7),"
    " c.heading, c.symbol, c.text"
    " FROM chunks_tri JOIN chunks c ON c.id = chunks_tri.rowid"
    " JOIN documents d ON d.id = c.doc_id"
    " WHERE chunks_tri MATCH ?1 AND (?2 IS NULL OR d.path GLOB ?2)"
    " AND (?3 IS NULL OR d.kind = ?3)"
    " ORDER BY bm25(chunks_tri) LIMIT ?4";

typedef struct hits {
    idx_hit *h;
    size_t n, cap;
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
    h->score = -sqlite3_column_double(st, 7) * (how == IDX_MATCH_PART ? 0.5 : 1.0);
    h->snippet = dup_col(st, 8);
    h->heading = dup_col(st, 9);
    h->symbol = dup_col(st, 10);
    h->text = dup_col(st, 11);
    return h->path && h->text ? 0 : -1;
}

/* Runs one MATCH expression; rows are appended to hs (duplicates skipped). */
static int run_match(idx *ix, const char *sql, const char *match, const idx_query *q, int limit,
                     idx_match how, hits *hs)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ix->db, sql, -1, &st, NULL) != SQLITE_OK)
        return idx_fail(ix, IDX_ERR, "search: %s", sqlite3_errmsg(ix->db));
    sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
    if (q->path_glob) sqlite3_bind_text(st, 2, q->path_glob, -1, SQLITE_STATIC);
    if (q->kind != ING_KIND_SKIP) sqlite3_bind_text(st, 3, ing_kind_name(q->kind), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, limit);
    sqlite3_bind_text(st, 5, q->mark_open ? q->mark_open : "[", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, q->mark_close ? q->mark_close : "]", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, q->snippet_tokens > 0 ? q->snippet_tokens : 24);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (add_row(hs, st, how)) {
            rc = SQLITE_NOMEM;
            break;
        }
    int out = rc == SQLITE_DONE ? 0 : IDX_ERR;
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
    int rc = run_match(ix, sql_tri, quoted, q, limit - (int)hs->n, IDX_MATCH_PART, hs);
    if (rc || (int)hs->n >= limit) return rc;
    if (!idx_idents_word(q->text) && strpbrk(q->text, "-.:>/\\<!&|=+%^~@$#,;()[]{}")) {
        char prefix[1024];
        if ((size_t)snprintf(prefix, sizeof prefix, "%s*", quoted) >= sizeof prefix) return 0;
        return run_match(ix, sql_words, prefix, q, limit - (int)hs->n, IDX_MATCH_PART, hs);
    }
    if (!idx_idents_word(q->text)) return 0;
    char names[4096];
    int k = idx_idents_expand(ix, q->text, names, sizeof names);
    if (k <= 0) return k;
    return run_match(ix, sql_words, names, q, limit - (int)hs->n, IDX_MATCH_PART, hs);
}

int idx_search(idx *ix, const idx_query *q, idx_hit **out, size_t *n)
{
    *out = NULL, *n = 0;
    hits hs = {0};
    int limit = q->limit > 0 ? q->limit : 10, rc = 0;
    size_t cap = strlen(q->text) * 4 + 64;
    char *m = malloc(cap);
    if (!m) return idx_fail(ix, IDX_ERR, "out of memory");
    if (q->raw) {
        rc = run_match(ix, sql_words, q->text, q, limit, IDX_MATCH_ALL, &hs);
    } else if (idx_query_quote_ex(q->text, " ", 0, m, cap) > 0) {
        rc = run_match(ix, sql_words, m, q, limit, IDX_MATCH_ALL, &hs);
        if (!rc && hs.n == 0 && idx_query_quote_ex(q->text, " OR ", 1, m, cap) > 1)
            rc = run_match(ix, sql_words, m, q, limit, IDX_MATCH_SOME, &hs);
        if (!rc && (int)hs.n < limit && trigram_word(q->text) &&
            idx_query_quote_ex(q->text, " ", 0, m, cap) == 1 && !strchr(m, '*'))
            rc = substring(ix, q, m, limit, &hs);
    }
    free(m);
    if (rc) {
        idx_hits_free(hs.h, hs.n);
        return rc;
    }
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
