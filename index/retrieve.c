/* index/retrieve.c: the queries retrieval builds on beyond ranked search: how many chunks match
 * an expression (word weights), a document by its path, and a document's chunks in order (the
 * opening passage, summaries). Reads the tables documents and chunks and the chunks_fts index. */
#include "idx_int.h"

#include <stdlib.h>
#include <string.h>

int idx_match_count(idx *ix, const char *fts, const char *path_glob, int64_t *n)
{
    static const char *const sql_all = "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?1";
    static const char *const sql_docs = "SELECT count(*) FROM chunks c JOIN documents d"
                                        " ON d.id = c.doc_id WHERE d.path GLOB ?2";
    static const char *const sql_glob =
        "SELECT count(*) FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid"
        " JOIN documents d ON d.id = c.doc_id WHERE chunks_fts MATCH ?1 AND d.path GLOB ?2";
    sqlite3_stmt *st;
    *n = 0;
    const char *sql = !fts ? sql_docs : path_glob ? sql_glob : sql_all;
    if (!fts && !path_glob) return idx_fail(ix, IDX_ERR, "count: no expression and no path");
    if (sqlite3_prepare_v2(ix->db, sql, -1, &st, NULL) != SQLITE_OK)
        return idx_fail(ix, IDX_ERR, "count: %s", sqlite3_errmsg(ix->db));
    if (fts) sqlite3_bind_text(st, 1, fts, -1, SQLITE_STATIC);
    if (path_glob) sqlite3_bind_text(st, 2, path_glob, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    else
        rc = idx_fail(ix, IDX_ERR, "count '%s': %s", fts ? fts : "", sqlite3_errmsg(ix->db));
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : rc;
}

int idx_doc_by_path(idx *ix, const char *path, int64_t *doc_id, int *pages)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT id, pages FROM documents WHERE path = ?1 OR key = ?1 LIMIT 1";
    if (sqlite3_prepare_v2(ix->db, sql, -1, &st, NULL) != SQLITE_OK)
        return idx_fail(ix, IDX_ERR, "document lookup: %s", sqlite3_errmsg(ix->db));
    sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), found = 0;
    if (rc == SQLITE_ROW) {
        *doc_id = sqlite3_column_int64(st, 0);
        *pages = sqlite3_column_int(st, 1);
        found = 1;
    } else if (rc != SQLITE_DONE) {
        found = idx_fail(ix, IDX_ERR, "document lookup: %s", sqlite3_errmsg(ix->db));
    }
    sqlite3_finalize(st);
    return found;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? strdup((const char *)s) : NULL;
}

int idx_doc_chunks(idx *ix, int64_t doc_id, int limit, idx_hit **out, size_t *n)
{
    const char *sql = "SELECT c.id, d.path, d.kind, c.page, c.line_start, c.line_end, c.heading,"
                      " c.symbol, c.text FROM chunks c JOIN documents d ON d.id = c.doc_id"
                      " WHERE c.doc_id = ?1 ORDER BY c.seq LIMIT ?2";
    sqlite3_stmt *st;
    *out = NULL, *n = 0;
    if (sqlite3_prepare_v2(ix->db, sql, -1, &st, NULL) != SQLITE_OK)
        return idx_fail(ix, IDX_ERR, "chunks: %s", sqlite3_errmsg(ix->db));
    sqlite3_bind_int64(st, 1, doc_id);
    sqlite3_bind_int(st, 2, limit > 0 ? limit : -1);
    idx_hit *h = NULL;
    size_t cnt = 0, cap = 0;
    int rc, bad = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (cnt == cap) {
            idx_hit *g = realloc(h, (cap = cap ? cap * 2 : 64) * sizeof *g);
            if (!g) {
                bad = 1;
                break;
            }
            h = g;
        }
        idx_hit *x = &h[cnt++];
        memset(x, 0, sizeof *x);
        x->chunk_id = sqlite3_column_int64(st, 0);
        x->doc_id = doc_id;
        x->match = IDX_MATCH_ALL;
        x->path = col_dup(st, 1), x->kind = col_dup(st, 2);
        x->page = sqlite3_column_int(st, 3);
        x->line_start = sqlite3_column_int(st, 4), x->line_end = sqlite3_column_int(st, 5);
        x->heading = col_dup(st, 6), x->symbol = col_dup(st, 7), x->text = col_dup(st, 8);
        if (!x->path || !x->kind || !x->text) bad = 1;
    }
    sqlite3_finalize(st);
    if (bad || rc != SQLITE_DONE) {
        idx_hits_free(h, cnt);
        return idx_fail(ix, IDX_ERR, "chunks of document %lld: %s", (long long)doc_id,
                        bad ? "out of memory" : sqlite3_errmsg(ix->db));
    }
    *out = h, *n = cnt;
    return 0;
}
