/* index/meta.c: a library's own facts in the meta(key, value) table (root, root_dev, root_ino,
 * options, last_indexed: see app/library.h for what the command line keeps there), re-rooting a
 * library whose folder moved or was copied, and document hashes by id. */
#include "idx_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int idx_meta_get(idx *ix, const char *key, char *buf, size_t bufsz)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ix->db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL))
        return idx_fail(ix, IDX_ERR, "reading meta %s: %s", key, sqlite3_errmsg(ix->db));
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int s = sqlite3_step(st), rc = 0;
    if (s == SQLITE_ROW) {
        const unsigned char *v = sqlite3_column_text(st, 0);
        snprintf(buf, bufsz, "%s", v ? (const char *)v : "");
        rc = 1;
    } else if (s != SQLITE_DONE) {
        rc = idx_fail(ix, IDX_ERR, "reading meta %s: %s", key, sqlite3_errmsg(ix->db));
    }
    sqlite3_finalize(st);
    return rc;
}

int idx_meta_set(idx *ix, const char *key, const char *value)
{
    sqlite3_stmt *st;
    const char *sql = value ? "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)"
                            : "DELETE FROM meta WHERE key = ?1";
    if (sqlite3_prepare_v2(ix->db, sql, -1, &st, NULL))
        return idx_fail(ix, IDX_ERR, "setting meta %s: %s", key, sqlite3_errmsg(ix->db));
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (value) sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : IDX_ERR;
    if (rc) idx_fail(ix, rc, "setting meta %s: %s", key, sqlite3_errmsg(ix->db));
    sqlite3_finalize(st);
    return rc;
}

int idx_damaged(const idx *ix) { return ix && ix->damaged; }
int idx_was_unclean(const idx *ix) { return ix && ix->unclean; }

int idx_doc_hash(idx *ix, int64_t id, char out[33])
{
    sqlite3_stmt *st = idx_stmt(ix, ST_HASH_OF);
    if (!st) return IDX_ERR;
    sqlite3_bind_int64(st, 1, id);
    int s = sqlite3_step(st), rc = 0;
    if (s == SQLITE_ROW) {
        snprintf(out, 33, "%s", (const char *)sqlite3_column_text(st, 0));
        rc = 1;
    } else if (s != SQLITE_DONE) {
        rc = idx_fail(ix, IDX_ERR, "hash of document %lld: %s", (long long)id,
                      sqlite3_errmsg(ix->db));
    }
    sqlite3_reset(st);
    return rc;
}

/* "/" as a root prefixes keys with nothing more than the '/' every key starts with. */
static const char *prefix_of(const char *root) { return strcmp(root, "/") ? root : ""; }

/* Documents under old whose new key is taken already: the one under new is current. */
static int drop_collisions(idx *ix, const char *old, const char *neu)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT o.id FROM documents o JOIN documents n"
                      " ON n.key = ?2 || substr(o.key, length(?1) + 1)"
                      " WHERE substr(o.key, 1, length(?1) + 1) = ?1 || '/'";
    if (sqlite3_prepare_v2(ix->db, sql, -1, &st, NULL))
        return idx_fail(ix, IDX_ERR, "re-rooting: %s", sqlite3_errmsg(ix->db));
    sqlite3_bind_text(st, 1, old, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, neu, -1, SQLITE_STATIC);
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    int s, rc = 0;
    while (!rc && (s = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            int64_t *p = realloc(ids, (cap = cap ? cap * 2 : 16) * sizeof *p);
            if (!p) rc = idx_fail(ix, IDX_ERR, "re-rooting: out of memory");
            else ids = p;
        }
        if (!rc) ids[n++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    for (size_t i = 0; i < n && !rc; i++) rc = idx_doc_remove(ix, ids[i]);
    free(ids);
    return rc;
}

static int rekey(idx *ix, const char *old, const char *neu, int64_t *n)
{
    sqlite3_stmt *st;
    const char *sql = "UPDATE documents SET key = ?2 || substr(key, length(?1) + 1)"
                      " WHERE substr(key, 1, length(?1) + 1) = ?1 || '/'";
    if (sqlite3_prepare_v2(ix->db, sql, -1, &st, NULL))
        return idx_fail(ix, IDX_ERR, "re-rooting: %s", sqlite3_errmsg(ix->db));
    sqlite3_bind_text(st, 1, old, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, neu, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : IDX_ERR;
    if (rc) idx_fail(ix, rc, "re-rooting documents: %s", sqlite3_errmsg(ix->db));
    else if (n) *n = sqlite3_changes64(ix->db);
    sqlite3_finalize(st);
    return rc;
}

int idx_reroot(idx *ix, const char *old_root, const char *new_root, int64_t *n)
{
    if (!ix->writer) return idx_fail(ix, IDX_ERR, "library opened read-only");
    if (n) *n = 0;
    const char *old = prefix_of(old_root), *neu = prefix_of(new_root);
    /* One batch: a crash leaves the library under its old root or wholly under the new one. */
    int rc = idx_batch_begin(ix);
    if (!rc) rc = drop_collisions(ix, old, neu);
    if (!rc) rc = rekey(ix, old, neu, n);
    if (!rc) rc = idx_set_root(ix, new_root);
    if (rc) {
        char keep[1024];
        snprintf(keep, sizeof keep, "%s", ix->err);
        if (ix->batch) sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
        ix->batch = 0;
        ix->fts_from = ix->syms_from = ix->docs_from = 0;
        return idx_fail(ix, IDX_ERR, "%s", keep);
    }
    return idx_batch_commit(ix);
}
