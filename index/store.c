/* index/store.c: writing documents: replace one document (its pages, chunks, symbols and FTS5
 * rows through triggers) in ONE transaction, so a crash leaves the old or the new version,
 * never half; touching, moving and removing documents; lookups by key and by content hash. */
#include "idx_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int step_done(idx *ix, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) return 0;
    return idx_fail(ix, IDX_ERR, "%s: %s", what, sqlite3_errmsg(ix->db));
}

static void text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (s) sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, i);
}

static void fill_info(sqlite3_stmt *st, idx_docinfo *out)
{
    out->id = sqlite3_column_int64(st, 0);
    out->size = sqlite3_column_int64(st, 1);
    out->mtime_ns = sqlite3_column_int64(st, 2);
    snprintf(out->hash, sizeof out->hash, "%s", (const char *)sqlite3_column_text(st, 3));
    snprintf(out->path, sizeof out->path, "%s", (const char *)sqlite3_column_text(st, 4));
}

int idx_doc_lookup(idx *ix, const char *key, idx_docinfo *out)
{
    sqlite3_stmt *st = idx_stmt(ix, ST_LOOKUP);
    if (!st) return IDX_ERR;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        fill_info(st, out);
        sqlite3_reset(st);
        return 1;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : idx_fail(ix, IDX_ERR, "lookup %s: %s", key, sqlite3_errmsg(ix->db));
}

int idx_doc_find_moved(idx *ix, const char *hash, int (*exists)(const char *key), idx_docinfo *out,
                       char *key_out, size_t keysz)
{
    sqlite3_stmt *st = idx_stmt(ix, ST_BY_HASH);
    if (!st) return IDX_ERR;
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(st, 5);
        if (exists(key)) continue; /* a copy, not a move: the original is still there */
        fill_info(st, out);
        snprintf(key_out, keysz, "%s", key);
        sqlite3_reset(st);
        return 1;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : idx_fail(ix, IDX_ERR, "hash lookup: %s", sqlite3_errmsg(ix->db));
}

/* Rows from id `from` on (0: none) join an FTS5 index with one INSERT ... SELECT. */
static int fts_add(idx *ix, int which, int64_t from)
{
    if (!from) return 0;
    sqlite3_stmt *st = idx_stmt(ix, which);
    if (!st) return IDX_ERR;
    sqlite3_bind_int64(st, 1, from);
    return step_done(ix, st, "adding to the full-text indexes");
}

/* The chunks and symbol rows this transaction wrote so far join their FTS5 indexes, and the
 * new identifiers their row. One statement for many rows: FTS5 writes a segment per
 * statement. */
int idx_fts_add_pending(idx *ix)
{
    if (fts_add(ix, ST_FTS_ADD, ix->fts_from) || fts_add(ix, ST_TRI_ADD, ix->fts_from) ||
        fts_add(ix, ST_SYMS_FTS_ADD, ix->syms_from) || fts_add(ix, ST_REFS_FTS_ADD, ix->syms_from))
        return IDX_ERR;
    ix->fts_from = ix->syms_from = ix->docs_from = 0;
    return idx_idents_flush(ix);
}

static int delete_doc(idx *ix, int64_t id)
{
    /* A delete trigger takes each row out of FTS5 by its text, which must be in there: only
     * a document written since the indexes caught up has rows that are not (ids only grow
     * within a transaction). Replacing older documents leaves the pending rows to the commit. */
    if (ix->docs_from && id >= ix->docs_from && idx_fts_add_pending(ix)) return IDX_ERR;
    /* Chunks and symbols first and explicitly: their triggers take the rows out of FTS5. */
    sqlite3_stmt *st = idx_stmt(ix, ST_DEL_CHUNKS);
    if (!st) return IDX_ERR;
    sqlite3_bind_int64(st, 1, id);
    if (step_done(ix, st, "deleting chunks")) return IDX_ERR;
    if (!(st = idx_stmt(ix, ST_DEL_SYMS))) return IDX_ERR;
    sqlite3_bind_int64(st, 1, id);
    if (step_done(ix, st, "deleting symbols")) return IDX_ERR;
    if (!(st = idx_stmt(ix, ST_DEL_REFS))) return IDX_ERR;
    sqlite3_bind_int64(st, 1, id);
    if (step_done(ix, st, "deleting references")) return IDX_ERR;
    if (!(st = idx_stmt(ix, ST_DEL_DOC))) return IDX_ERR;
    sqlite3_bind_int64(st, 1, id);
    return step_done(ix, st, "deleting document");
}

static const char *status_name(ing_status s)
{
    return s == ING_RECOVERED ? "recovered" : s == ING_PARTIAL ? "partial" : "ok";
}

static int insert_doc(idx *ix, const idx_docinput *in, const ing_meta *m, int64_t *id)
{
    sqlite3_stmt *st = idx_stmt(ix, ST_INS_DOC);
    if (!st) return IDX_ERR;
    sqlite3_bind_text(st, 1, in->key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, in->path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, ing_kind_name(in->kind), -1, SQLITE_STATIC);
    text_or_null(st, 4, in->lang);
    sqlite3_bind_int64(st, 5, in->size);
    sqlite3_bind_int64(st, 6, in->mtime_ns);
    sqlite3_bind_text(st, 7, in->hash, -1, SQLITE_STATIC);
    text_or_null(st, 8, m->title);
    text_or_null(st, 9, m->author);
    text_or_null(st, 10, m->created);
    text_or_null(st, 11, m->modified);
    sqlite3_bind_int(st, 12, m->pages);
    sqlite3_bind_text(st, 13, status_name(m->status), -1, SQLITE_STATIC);
    text_or_null(st, 14, m->warning);
    sqlite3_bind_int64(st, 15, (int64_t)time(NULL));
    if (step_done(ix, st, "inserting document")) return IDX_ERR;
    *id = sqlite3_last_insert_rowid(ix->db);
    if (!ix->docs_from) ix->docs_from = *id;
    return 0;
}

static int insert_parts(idx *ix, int64_t id, ing_kind kind, const ing_doc *doc,
                        const idx_names *nm, const idx_symlist *sl)
{
    const ing_meta *m = ing_doc_meta(doc);
    sqlite3_stmt *st;
    for (int p = 1; p <= m->pages; p++) {
        if (!(st = idx_stmt(ix, ST_INS_PAGE))) return IDX_ERR;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int(st, 2, p);
        const char *t = ing_doc_page_text(doc, p);
        sqlite3_bind_text(st, 3, t ? t : "", -1, SQLITE_STATIC);
        if (step_done(ix, st, "inserting page")) return IDX_ERR;
    }
    for (size_t i = 0; i < ing_doc_nchunks(doc); i++) {
        const ing_chunk *c = ing_doc_chunk(doc, i);
        if (!(st = idx_stmt(ix, ST_INS_CHUNK))) return IDX_ERR;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, (int64_t)i);
        sqlite3_bind_int(st, 3, c->page);
        sqlite3_bind_int(st, 4, c->line_start);
        sqlite3_bind_int(st, 5, c->line_end);
        text_or_null(st, 6, c->heading);
        text_or_null(st, 7, c->symbol);
        sqlite3_bind_int(st, 8, idx_has_cjk(c->text));
        sqlite3_bind_text(st, 9, c->text, -1, SQLITE_STATIC);
        if (step_done(ix, st, "inserting chunk")) return IDX_ERR;
        int64_t cid = sqlite3_last_insert_rowid(ix->db);
        /* Row ids only grow within a transaction: new rows are max(id) + 1, and pending rows
         * are indexed before any delete. */
        if (!ix->fts_from) ix->fts_from = cid;
        if (kind != ING_KIND_CODE && idx_boiler_detect(c->text, c->heading)) {
            if (!(st = idx_stmt(ix, ST_INS_BOILER))) return IDX_ERR;
            sqlite3_bind_int64(st, 1, cid);
            if (step_done(ix, st, "flagging a table of contents")) return IDX_ERR;
        }
        if (kind == ING_KIND_CODE && !nm && idx_idents_add(ix, c->text)) return IDX_ERR;
    }
    if (kind == ING_KIND_CODE && nm && idx_idents_add_names(ix, nm)) return IDX_ERR;
    if (kind == ING_KIND_CODE && idx_refs_put(ix, id, doc)) return IDX_ERR;
    if (sl) return idx_symlist_put(ix, id, sl);
    idx_symlist own;
    if (idx_symlist_pack(doc, &own)) return idx_fail(ix, IDX_ERR, "out of memory packing symbols");
    int rc = idx_symlist_put(ix, id, &own);
    idx_symlist_free(&own);
    return rc;
}

/* Inside a batch a document needs no savepoint of its own: a failed document undoes the whole
 * open batch (the run stops there; the next one redoes it), so no half document is ever
 * committed. Savepoints cost much: every statement end walks their in-memory journal. */
int idx_tx_begin(idx *ix)
{
    return ix->batch ? 0 : idx_exec(ix, "BEGIN IMMEDIATE");
}

int idx_tx_end(idx *ix, int rc)
{
    if (!rc && ix->batch) return 0;
    if (!rc) rc = idx_fts_add_pending(ix);
    if (!rc && !(rc = idx_exec(ix, "COMMIT"))) return 0;
    char keep[1024];
    snprintf(keep, sizeof keep, "%.900s%s", ix->err,
             ix->batch ? " (the documents of this batch were not committed)" : "");
    sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
    ix->batch = 0;
    ix->fts_from = ix->syms_from = ix->docs_from = 0;
    idx_idents_forget(ix); /* names it added are gone again */
    return idx_fail(ix, rc, "%s", keep);
}

int idx_batch_begin(idx *ix)
{
    if (ix->batch) return 0;
    if (idx_exec(ix, "BEGIN IMMEDIATE")) return IDX_ERR;
    ix->batch = 1;
    return 0;
}

int idx_batch_commit(idx *ix)
{
    if (!ix->batch) return 0;
    ix->batch = 0;
    if (!idx_fts_add_pending(ix) && !idx_exec(ix, "COMMIT")) {
        idx_ckpt_kick(ix);
        return 0;
    }
    sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
    ix->fts_from = ix->syms_from = ix->docs_from = 0;
    idx_idents_forget(ix);
    return IDX_ERR;
}

int idx_doc_put(idx *ix, const idx_docinput *in, const ing_doc *doc, int64_t *id)
{
    return idx_doc_put_ex(ix, in, doc, NULL, NULL, id);
}

int idx_doc_put_ex(idx *ix, const idx_docinput *in, const ing_doc *doc, const idx_names *nm,
                   const idx_symlist *sl, int64_t *id)
{
    if (!ix->writer) return idx_fail(ix, IDX_ERR, "library opened read-only");
    if (idx_tx_begin(ix)) return IDX_ERR;
    idx_docinfo old;
    int found = idx_doc_lookup(ix, in->key, &old), rc = found < 0 ? IDX_ERR : 0;
    if (!rc && found) rc = delete_doc(ix, old.id);
    int64_t nid = 0;
    if (!rc) rc = insert_doc(ix, in, ing_doc_meta(doc), &nid);
    if (!rc) rc = insert_parts(ix, nid, in->kind, doc, nm, sl);
    if (idx_tx_end(ix, rc)) {
        char keep[1024];
        snprintf(keep, sizeof keep, "%s", ix->err);
        return idx_fail(ix, IDX_ERR, "%s: %s", in->path, keep);
    }
    if (id) *id = nid;
    return 0;
}

int idx_doc_touch(idx *ix, int64_t id, int64_t size, int64_t mtime_ns)
{
    sqlite3_stmt *st = idx_stmt(ix, ST_TOUCH);
    if (!st) return IDX_ERR;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, size);
    sqlite3_bind_int64(st, 3, mtime_ns);
    return step_done(ix, st, "updating mtime");
}

int idx_doc_move(idx *ix, int64_t id, const char *key, const char *path, int64_t size,
                 int64_t mtime_ns)
{
    sqlite3_stmt *st = idx_stmt(ix, ST_MOVE);
    if (!st) return IDX_ERR;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, size);
    sqlite3_bind_int64(st, 5, mtime_ns);
    return step_done(ix, st, "moving document");
}

int idx_doc_remove(idx *ix, int64_t id)
{
    if (idx_tx_begin(ix)) return IDX_ERR;
    return idx_tx_end(ix, delete_doc(ix, id));
}

int idx_doc_each(idx *ix, int (*fn)(void *user, int64_t id, const char *key, const char *path),
                 void *user)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ix->db, "SELECT id, key, path FROM documents ORDER BY id", -1, &st,
                           NULL))
        return idx_fail(ix, IDX_ERR, "listing documents: %s", sqlite3_errmsg(ix->db));
    int rc = 0, s;
    while (!rc && (s = sqlite3_step(st)) == SQLITE_ROW)
        rc = fn(user, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
                (const char *)sqlite3_column_text(st, 2));
    sqlite3_finalize(st);
    return rc;
}
