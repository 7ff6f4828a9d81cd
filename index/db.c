/* index/db.c: opening a library database: the schema (below; version in PRAGMA user_version,
 * migrations in order), WAL and foreign keys, the writer lock file `<db>.lock` (flock, holding
 * the writer's pid), cached statements, statistics and integrity checks.
 *
 * Schema v1:
 *   documents(id, key UNIQUE = absolute path, path = as shown, kind, lang, size, mtime_ns,
 *             hash = xxh3-128 hex, title, author, created, modified, pages, status, warning,
 *             indexed_at)
 *   pages(doc_id -> documents, page 1-based, text)          PDF pages after clean-up
 *   chunks(id, doc_id -> documents, seq, page (0: not a PDF), line_start, line_end, heading,
 *          symbol, tri (1: also in the trigram index), text)
 *   symbols(id, doc_id -> documents, name, kind, scope, line_start, line_end, signature)
 *   chunks_fts  FTS5(text, heading) external content = chunks, tokenizer folio_cjk unicode61
 *   chunks_tri  FTS5(text) trigram, external content = view chunks_tri_src (chunks with tri = 1)
 *   meta(key, value): 'root' = the library's folder
 * Triggers on chunks keep both FTS5 indexes in step inside the writer's transaction (v3: on
 * delete only).
 * Schema v2 (substrings of code without a trigram index of all code, which cost most of the
 * indexing time): chunks.tri is set for CJK text only; code chunks add their identifiers to
 *   idents  FTS5(names) trigram: each row the identifiers (lowercased, '\n'-separated) that
 *           one document added to the vocabulary; never deleted (a name no chunk holds any
 *           more only widens a query for nothing)
 * and a substring query becomes an OR of the identifiers that contain it (idents.c). Code
 * chunks indexed by v1 stay in chunks_tri, which search still reads.
 * Schema v3 (same tables): the insert triggers are gone. FTS5 writes its pending terms out as a
 * new segment at every statement of a transaction that touches it, so a trigger per chunk
 * row made one tiny segment per chunk and merging them cost most of the indexing time. The
 * writer now adds a transaction's new chunks to both indexes with one INSERT ... SELECT each,
 * just before it commits (store.c). The delete triggers stay: a delete is one statement.
 * Schema v4: symbols move to one row per document (a million single rows and their two indexes
 * were a quarter of the indexing time; see symbols.c):
 *   doc_symbols(doc_id -> documents, n, names '\n'-separated, list JSON array of
 *               [name, kind, scope, line_start, line_end, signature])
 *   symbols_fts FTS5(names) external content = doc_symbols, names whole ('_' and '$' are
 *               word characters), kept in step like chunks_fts
 *   symbols     a view, one row per symbol, with the columns of the old table
 * Schema v5: the identifier vocabulary leaves FTS5 (its trigram index cost an eighth of the
 * indexing time) for blocks with trigram bitmaps (idents.c):
 *   ident_blocks(id, names '\n'-separated, grams bitmap of their trigrams)
 * Schema v6 (search quality): chunks_fts is rebuilt with the tokenizer option "fold" (NFKC of
 * presentation forms, ligatures, fullwidth letters; see tokenizer.c); chunks that are a table
 * of contents or an index (boiler.c), ranked below content, are flagged in
 *   chunk_boiler(id -> chunks)  (a table of its own: ranking reads the flag of every match,
 *                                and a lookup there is far cheaper than in chunks)
 * (Stems cost the index nothing: a query word becomes the group of its forms, see stems.c.)
 * Schema v7: references, every identifier occurrence of code, one row per document (refs.c):
 *   doc_refs(doc_id -> documents, n, names, post)  names and their packed postings
 *   refs_fts FTS5(names) external content = doc_refs, detail=none, kept like symbols_fts
 * Code documents stored before get hash 'refs-pending' (and no mtime), so that the next update
 * extracts them again: references need the file's text, which no table keeps whole. */
#include "idx_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const migrations[] = {
    /* 0 -> 1 */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE documents(id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, path TEXT NOT NULL,"
    " kind TEXT NOT NULL, lang TEXT, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,"
    " hash TEXT NOT NULL, title TEXT, author TEXT, created TEXT, modified TEXT,"
    " pages INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL, warning TEXT,"
    " indexed_at INTEGER NOT NULL);"
    "CREATE INDEX documents_hash ON documents(hash);"
    "CREATE TABLE pages(doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,"
    " page INTEGER NOT NULL, text TEXT NOT NULL, PRIMARY KEY(doc_id, page)) WITHOUT ROWID;"
    "CREATE TABLE chunks(id INTEGER PRIMARY KEY,"
    " doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL, page INTEGER NOT NULL, line_start INTEGER NOT NULL,"
    " line_end INTEGER NOT NULL, heading TEXT, symbol TEXT, tri INTEGER NOT NULL,"
    " text TEXT NOT NULL);"
    "CREATE INDEX chunks_doc ON chunks(doc_id);"
    "CREATE TABLE symbols(id INTEGER PRIMARY KEY,"
    " doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL, kind TEXT, scope TEXT, line_start INTEGER, line_end INTEGER,"
    " signature TEXT);"
    "CREATE INDEX symbols_name ON symbols(name);"
    "CREATE INDEX symbols_doc ON symbols(doc_id);"
    "CREATE VIRTUAL TABLE chunks_fts USING fts5(text, heading, content='chunks',"
    " content_rowid='id', tokenize='folio_cjk unicode61 remove_diacritics 2');"
    "CREATE VIEW chunks_tri_src AS SELECT id, text FROM chunks WHERE tri = 1;"
    "CREATE VIRTUAL TABLE chunks_tri USING fts5(text, content='chunks_tri_src',"
    " content_rowid='id', tokenize='trigram');"
    "CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN"
    " INSERT INTO chunks_fts(rowid, text, heading) VALUES (new.id, new.text, new.heading); END;"
    "CREATE TRIGGER chunks_ai_tri AFTER INSERT ON chunks WHEN new.tri BEGIN"
    " INSERT INTO chunks_tri(rowid, text) VALUES (new.id, new.text); END;"
    "CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN"
    " INSERT INTO chunks_fts(chunks_fts, rowid, text, heading)"
    " VALUES ('delete', old.id, old.text, old.heading); END;"
    "CREATE TRIGGER chunks_ad_tri AFTER DELETE ON chunks WHEN old.tri BEGIN"
    " INSERT INTO chunks_tri(chunks_tri, rowid, text) VALUES ('delete', old.id, old.text); END;",
    /* 1 -> 2 */
    "CREATE VIRTUAL TABLE idents USING fts5(names, tokenize='trigram');"
    /* Merging 16 segments at a time, not 4, writes each posting about half as often while
     * indexing; searches were not measurably slower. */
    "INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('automerge', 16);",
    /* 2 -> 3 */
    "DROP TRIGGER chunks_ai; DROP TRIGGER chunks_ai_tri;",
    /* 3 -> 4 */
    "CREATE TABLE doc_symbols(doc_id INTEGER PRIMARY KEY"
    " REFERENCES documents(id) ON DELETE CASCADE, n INTEGER NOT NULL, names TEXT NOT NULL,"
    " list TEXT NOT NULL);"
    "CREATE VIRTUAL TABLE symbols_fts USING fts5(names, content='doc_symbols',"
    " content_rowid='doc_id', tokenize=\"unicode61 remove_diacritics 0 tokenchars '_$'\");"
    "CREATE TRIGGER doc_symbols_ad AFTER DELETE ON doc_symbols BEGIN"
    " INSERT INTO symbols_fts(symbols_fts, rowid, names) VALUES ('delete', old.doc_id, old.names);"
    " END;"
    "INSERT INTO doc_symbols SELECT doc_id, count(*), group_concat(name, char(10)),"
    " json_group_array(json_array(name, kind, scope, line_start, line_end, signature))"
    " FROM (SELECT * FROM symbols ORDER BY doc_id, id) GROUP BY doc_id;"
    "INSERT INTO symbols_fts(symbols_fts) VALUES ('rebuild');"
    "DROP TABLE symbols;"
    "CREATE VIEW symbols(doc_id, name, kind, scope, line_start, line_end, signature) AS"
    " SELECT s.doc_id, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3,"
    " j.value ->> 4, j.value ->> 5 FROM doc_symbols s, json_each(s.list) j;",
    /* 4 -> 5 (then idx_idents_migrate moves the names over) */
    "CREATE TABLE ident_blocks(id INTEGER PRIMARY KEY, names TEXT NOT NULL, grams BLOB NOT NULL);",
    /* 5 -> 6: the words index again, every stored chunk tokenized anew */
    "CREATE TABLE chunk_boiler(id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE);"
    "INSERT INTO chunk_boiler SELECT c.id FROM chunks c JOIN documents d ON d.id = c.doc_id"
    " WHERE d.kind != 'code' AND folio_boiler(c.text, c.heading);"
    "DROP TRIGGER chunks_ad; DROP TABLE chunks_fts;"
    "CREATE VIRTUAL TABLE chunks_fts USING fts5(text, heading, content='chunks',"
    " content_rowid='id', tokenize='folio_cjk fold unicode61 remove_diacritics 2');"
    "INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('automerge', 16);"
    "INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild');"
    "CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN"
    " INSERT INTO chunks_fts(chunks_fts, rowid, text, heading)"
    " VALUES ('delete', old.id, old.text, old.heading); END;",
    /* 6 -> 7 (tables left by a newer folio's library, opened as 6 again, go first: its code is
     * read again anyway) */
    "DROP TRIGGER IF EXISTS doc_refs_ad; DROP TABLE IF EXISTS refs_fts;"
    " DROP TABLE IF EXISTS doc_refs;"
    "CREATE TABLE doc_refs(doc_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,"
    " n INTEGER NOT NULL, names TEXT NOT NULL, post BLOB NOT NULL);"
    "CREATE VIRTUAL TABLE refs_fts USING fts5(names, content='doc_refs', content_rowid='doc_id',"
    " tokenize=\"unicode61 remove_diacritics 0 tokenchars '_$'\", detail=none);"
    "CREATE TRIGGER doc_refs_ad AFTER DELETE ON doc_refs BEGIN"
    " INSERT INTO refs_fts(refs_fts, rowid, names) VALUES ('delete', old.doc_id, old.names); END;"
    "UPDATE documents SET hash = 'refs-pending', mtime_ns = -1 WHERE kind = 'code';",
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_LOOKUP] = "SELECT id, size, mtime_ns, hash, path FROM documents WHERE key = ?1",
    [ST_INS_DOC] = "INSERT INTO documents(key, path, kind, lang, size, mtime_ns, hash, title,"
                   " author, created, modified, pages, status, warning, indexed_at)"
                   " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)",
    [ST_DEL_CHUNKS] = "DELETE FROM chunks WHERE doc_id = ?1",
    [ST_DEL_DOC] = "DELETE FROM documents WHERE id = ?1",
    [ST_INS_PAGE] = "INSERT INTO pages(doc_id, page, text) VALUES (?1, ?2, ?3)",
    [ST_INS_CHUNK] = "INSERT INTO chunks(doc_id, seq, page, line_start, line_end, heading,"
                     " symbol, tri, text) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
    [ST_INS_BOILER] = "INSERT INTO chunk_boiler(id) VALUES (?1)",
    [ST_INS_SYMS] = "INSERT INTO doc_symbols(doc_id, n, names, list) VALUES (?1, ?2, ?3, ?4)",
    [ST_DEL_SYMS] = "DELETE FROM doc_symbols WHERE doc_id = ?1",
    [ST_SYMS_FTS_ADD] = "INSERT INTO symbols_fts(rowid, names)"
                        " SELECT doc_id, names FROM doc_symbols WHERE doc_id >= ?1",
    [ST_TOUCH] = "UPDATE documents SET size = ?2, mtime_ns = ?3 WHERE id = ?1",
    [ST_MOVE] = "UPDATE documents SET key = ?2, path = ?3, size = ?4, mtime_ns = ?5 WHERE id = ?1",
    [ST_BY_HASH] = "SELECT id, size, mtime_ns, hash, path, key FROM documents WHERE hash = ?1",
    [ST_IDENT_LAST] = "SELECT id, names, grams FROM ident_blocks ORDER BY id DESC LIMIT 1",
    [ST_IDENT_NEW] = "INSERT INTO ident_blocks(names, grams) VALUES (?1, ?2)",
    [ST_IDENT_GROW] = "UPDATE ident_blocks SET names = ?1, grams = ?2 WHERE id = ?3",
    [ST_FTS_ADD] = "INSERT INTO chunks_fts(rowid, text, heading)"
                   " SELECT id, text, heading FROM chunks WHERE id >= ?1",
    [ST_TRI_ADD] = "INSERT INTO chunks_tri(rowid, text) SELECT id, text FROM chunks"
                   " WHERE id >= ?1 AND tri",
    [ST_HASH_OF] = "SELECT hash FROM documents WHERE id = ?1",
    [ST_INS_REFS] = "INSERT INTO doc_refs(doc_id, n, names, post) VALUES (?1, ?2, ?3, ?4)",
    [ST_DEL_REFS] = "DELETE FROM doc_refs WHERE doc_id = ?1",
    [ST_REFS_FTS_ADD] = "INSERT INTO refs_fts(rowid, names)"
                        " SELECT doc_id, names FROM doc_refs WHERE doc_id >= ?1",
    [ST_REFS_FIND] = "SELECT r.doc_id, d.path, r.names, r.post FROM refs_fts"
                     " JOIN doc_refs r ON r.doc_id = refs_fts.rowid"
                     " JOIN documents d ON d.id = r.doc_id WHERE refs_fts MATCH ?1 ORDER BY d.path",
    [ST_REFS_CALLEES] = "SELECT r.doc_id, d.path, r.names, r.post, j.key FROM symbols_fts f"
                        " JOIN doc_symbols s ON s.doc_id = f.rowid"
                        " JOIN doc_refs r ON r.doc_id = s.doc_id"
                        " JOIN documents d ON d.id = s.doc_id,"
                        " json_each(s.list) j WHERE symbols_fts MATCH ?1 AND j.value ->> 0 = ?2"
                        " ORDER BY d.path, j.key",
    [ST_REFS_SYMS] = "SELECT list FROM doc_symbols WHERE doc_id = ?1",
    [ST_REFS_LINE] = "SELECT line_start, line_end, text FROM chunks WHERE doc_id = ?1"
                     " AND page = 0 ORDER BY line_start",
};

int idx_bulk_begin(idx *ix) { return idx_ckpt_start(ix); }

int idx_bulk_end(idx *ix)
{
    idx_ckpt_stop(ix);
    return 0;
}

int idx_fail(idx *ix, int rc, const char *fmt, ...)
{
    /* Called right after the failing SQLite call, whose code still stands on the handle. */
    if (ix->db) {
        int e = sqlite3_errcode(ix->db);
        if (e == SQLITE_CORRUPT || e == SQLITE_NOTADB) ix->damaged = 1;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ix->err, sizeof ix->err, fmt, ap);
    va_end(ap);
    return rc;
}

const char *idx_errmsg(const idx *ix) { return ix ? ix->err : "no library"; }
const char *idx_root(const idx *ix) { return ix->root; }

sqlite3_stmt *idx_stmt(idx *ix, int which)
{
    if (!ix->st[which] &&
        sqlite3_prepare_v3(ix->db, stmt_sql[which], -1, SQLITE_PREPARE_PERSISTENT, &ix->st[which],
                           NULL) != SQLITE_OK) {
        idx_fail(ix, IDX_ERR, "preparing statement %d: %s", which, sqlite3_errmsg(ix->db));
        return NULL;
    }
    sqlite3_reset(ix->st[which]);
    sqlite3_clear_bindings(ix->st[which]);
    return ix->st[which];
}

int idx_exec(idx *ix, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(ix->db, sql, NULL, NULL, &msg) == SQLITE_OK) return 0;
    idx_fail(ix, IDX_ERR, "%s (in: %.60s)", msg ? msg : sqlite3_errmsg(ix->db), sql);
    sqlite3_free(msg);
    return IDX_ERR;
}

/* A clean close: the last writer's idx_close leaves "clean SIZE MTIME_NS" (of the database
 * file, after SQLite's final checkpoint) in the lock file, where a running writer keeps its pid.
 * Anything else there (a pid left by a writer that died, a database changed since) means the
 * next writer checks the database before trusting it. */
static int closed_cleanly(int lock_fd, const char *db_path)
{
    char buf[96] = "";
    ssize_t r = pread(lock_fd, buf, sizeof buf - 1, 0);
    buf[r > 0 ? r : 0] = 0;
    long long size, mtime;
    struct stat st;
    if (sscanf(buf, "clean %lld %lld", &size, &mtime) != 2 || stat(db_path, &st)) return 0;
    return size == (long long)st.st_size &&
           mtime == (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
}

static void record_clean_close(int lock_fd, const char *db_path)
{
    struct stat st;
    if (stat(db_path, &st)) return;
    char buf[96];
    int n = snprintf(buf, sizeof buf, "clean %lld %lld\n", (long long)st.st_size,
                     (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec);
    if (ftruncate(lock_fd, 0) == 0 && pwrite(lock_fd, buf, (size_t)n, 0) != n) return;
}

/* The writer lock: flock on `<db>.lock`, released by the kernel when the process dies, so a
 * killed indexer never leaves a stale lock. The file holds the pid for the message. */
static int take_lock(idx *ix, const char *db_path)
{
    char p[4200];
    snprintf(p, sizeof p, "%s.lock", db_path);
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return idx_fail(ix, IDX_ERR, "%s: cannot create lock file: %s", p, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB)) {
        char buf[32] = "";
        ssize_t r = pread(fd, buf, sizeof buf - 1, 0);
        buf[r > 0 ? r : 0] = 0;
        close(fd);
        long pid = strtol(buf, NULL, 10);
        if (pid > 0) return idx_fail(ix, IDX_ELOCKED, "library is being indexed by pid %ld", pid);
        return idx_fail(ix, IDX_ELOCKED, "library is being indexed by another process");
    }
    struct stat dbst;
    ix->unclean = stat(db_path, &dbst) == 0 && dbst.st_size > 0 && !closed_cleanly(fd, db_path);
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n) {
        close(fd);
        return idx_fail(ix, IDX_ERR, "%s: cannot write the lock file", p);
    }
    ix->lock_fd = fd;
    return 0;
}

static int schema(idx *ix)
{
    sqlite3_stmt *st;
    int version = 0;
    if (sqlite3_prepare_v2(ix->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return idx_fail(ix, IDX_ESCHEMA, "not a database: %s", sqlite3_errmsg(ix->db));
    if (sqlite3_step(st) == SQLITE_ROW) version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version > IDX_SCHEMA_VERSION)
        return idx_fail(ix, IDX_ESCHEMA, "library schema %d is newer than this folio's (%d)",
                        version, IDX_SCHEMA_VERSION);
    if (version == IDX_SCHEMA_VERSION) return 0;
    if (!ix->writer)
        return idx_fail(ix, IDX_ESCHEMA, "library schema %d needs migrating: run folio index",
                        version);
    if (idx_exec(ix, "BEGIN IMMEDIATE")) return IDX_ERR;
    for (int v = version; v < IDX_SCHEMA_VERSION; v++)
        if (idx_exec(ix, migrations[v]) || (v + 1 == 5 && idx_idents_migrate(ix))) {
            char keep[1024];
            snprintf(keep, sizeof keep, "%s", ix->err);
            sqlite3_exec(ix->db, "ROLLBACK", NULL, NULL, NULL);
            return idx_fail(ix, IDX_ESCHEMA, "migrating to schema %d: %s", v + 1, keep);
        }
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", IDX_SCHEMA_VERSION);
    if (idx_exec(ix, sql) || idx_exec(ix, "COMMIT")) return IDX_ERR;
    return 0;
}

/* After a writer died: SQLite's quick_check (every page and B-tree, not index contents), cheap
 * next to re-indexing and run only then. */
static int quick_check(idx *ix)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ix->db, "PRAGMA quick_check(1)", -1, &st, NULL))
        return idx_fail(ix, IDX_EDAMAGED, "damaged: %s", sqlite3_errmsg(ix->db));
    int s = sqlite3_step(st), rc = 0;
    const unsigned char *v = s == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
    if (s != SQLITE_ROW)
        rc = idx_fail(ix, IDX_EDAMAGED, "damaged: %s", sqlite3_errmsg(ix->db));
    else if (!v || strcmp((const char *)v, "ok")) {
        rc = idx_fail(ix, IDX_EDAMAGED, "damaged: integrity check: %.200s",
                      v ? (const char *)v : "no answer");
        for (char *c = ix->err; *c; c++)
            if (*c == '\n') *c = ' ';
    }
    sqlite3_finalize(st);
    if (rc) ix->damaged = 1;
    return rc;
}

/* After a writer died, a small library also gets FTS5's own checks, which quick_check cannot
 * see into (its index is blobs to SQLite): about a second for 64 MiB, where re-indexing takes
 * tens. A larger one is left to --check and to the errors that searches would meet. */
enum { DEEP_CHECK_MAX_BYTES = 64 << 20 };

static int fts_check_small(idx *ix, const char *db_path)
{
    struct stat st;
    if (stat(db_path, &st) || st.st_size > DEEP_CHECK_MAX_BYTES) return 0;
    if (sqlite3_exec(ix->db, "INSERT INTO chunks_fts(chunks_fts) VALUES ('integrity-check');"
                             "INSERT INTO chunks_tri(chunks_tri) VALUES ('integrity-check');"
                             "INSERT INTO symbols_fts(symbols_fts) VALUES ('integrity-check');"
                             "INSERT INTO refs_fts(refs_fts) VALUES ('integrity-check')",
                     NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    ix->damaged = 1;
    return idx_fail(ix, IDX_EDAMAGED, "damaged: full-text index: %s", sqlite3_errmsg(ix->db));
}

/* An open that failed on a damaged file says so plainly (not "file is not a database (in:
 * PRAGMA ...)"), naming the file. */
static int open_failed(idx *ix, const char *db_path, int rc, char *err, size_t errsz)
{
    if (ix->damaged && ix->db && sqlite3_errcode(ix->db) == SQLITE_NOTADB)
        snprintf(err, errsz, "%s: damaged: not an SQLite database (or encrypted, or overwritten)",
                 db_path);
    else if (ix->damaged && strncmp(ix->err, "damaged: ", 9)) {
        const char *in = strstr(ix->err, " (in: "); /* the SQL is of no use to the user */
        snprintf(err, errsz, "%s: damaged: %.*s", db_path,
                 (int)(in ? (size_t)(in - ix->err) : strlen(ix->err)), ix->err);
    }
    else
        snprintf(err, errsz, "%s: %s", db_path, ix->err);
    if (ix->damaged) rc = IDX_EDAMAGED;
    ix->damaged = 1; /* so that idx_close does not record a clean close */
    idx_close(ix);
    return rc;
}

static void load_root(idx *ix)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ix->db, "SELECT value FROM meta WHERE key = 'root'", -1, &st, NULL))
        return;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        ix->root = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

int idx_open(const char *db_path, int mode, idx **out, char *err, size_t errsz)
{
    *out = NULL;
    idx *ix = calloc(1, sizeof *ix);
    if (!ix) return snprintf(err, errsz, "out of memory"), IDX_ERR;
    ix->lock_fd = -1;
    ix->writer = mode == IDX_WRITE;
    int rc = ix->writer ? take_lock(ix, db_path) : 0;
    int flags = ix->writer ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
    if (!rc && sqlite3_open_v2(db_path, &ix->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
        rc = idx_fail(ix, IDX_ERR, "%s: cannot open: %s", db_path,
                      ix->db ? sqlite3_errmsg(ix->db) : "out of memory");
    if (!rc) sqlite3_busy_timeout(ix->db, 10000);
    if (!rc && (idx_register_tokenizer(ix->db) || idx_register_boiler(ix->db)))
        rc = idx_fail(ix, IDX_ERR, "%s: SQLite lacks FTS5", db_path);
    /* Pages of 16 KiB (a new database only; WAL fixes the size): a chunk's text fits one page,
     * B-trees are shallower, and a bulk run makes a quarter of the write calls. Indexing
     * /usr/include took 15-20% less time than with 4 KiB pages. */
    if (!rc && ix->writer &&
        idx_exec(ix, "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL;"
                     " PRAGMA synchronous = NORMAL;"))
        rc = IDX_ERR;
    /* The writer mostly appends (a small cache does as well and keeps memory low); readers
     * keep hot index pages. */
    if (!rc && idx_exec(ix, ix->writer ? "PRAGMA foreign_keys = ON; PRAGMA cache_size = -16384;"
                                         "PRAGMA temp_store = MEMORY;"
                                       : "PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536;"
                                         "PRAGMA temp_store = MEMORY;"))
        rc = IDX_ERR;
    if (!rc && ix->unclean) rc = quick_check(ix);
    if (!rc) rc = schema(ix);
    if (!rc && ix->unclean) rc = fts_check_small(ix, db_path);
    if (rc) return open_failed(ix, db_path, rc, err, errsz);
    load_root(ix);
    *out = ix;
    return 0;
}

void idx_close(idx *ix)
{
    if (!ix) return;
    idx_ckpt_stop(ix);
    for (int i = 0; i < ST_COUNT; i++) sqlite3_finalize(ix->st[i]);
    char *path = ix->lock_fd >= 0 && ix->db && !ix->damaged && sqlite3_db_filename(ix->db, "main")
                     ? strdup(sqlite3_db_filename(ix->db, "main"))
                     : NULL;
    if (ix->db) sqlite3_close(ix->db);
    if (path) record_clean_close(ix->lock_fd, path);
    free(path);
    if (ix->lock_fd >= 0) close(ix->lock_fd); /* releases the flock */
    free(ix->seen.t);
    free(ix->seen_hot);
    free(ix->names);
    free(ix->root);
    free(ix);
}

int idx_set_root(idx *ix, const char *abs_root)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ix->db, "INSERT OR REPLACE INTO meta(key, value) VALUES ('root', ?1)",
                           -1, &st, NULL))
        return idx_fail(ix, IDX_ERR, "setting root: %s", sqlite3_errmsg(ix->db));
    sqlite3_bind_text(st, 1, abs_root, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : IDX_ERR;
    if (rc) idx_fail(ix, rc, "setting root: %s", sqlite3_errmsg(ix->db));
    sqlite3_finalize(st);
    if (!rc) {
        free(ix->root);
        ix->root = strdup(abs_root);
    }
    return rc;
}

static int64_t count(idx *ix, const char *sql)
{
    sqlite3_stmt *st;
    int64_t n = -1;
    if (sqlite3_prepare_v2(ix->db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

int idx_get_stats(idx *ix, idx_stats *s)
{
    s->documents = count(ix, "SELECT count(*) FROM documents");
    s->pages = count(ix, "SELECT count(*) FROM pages");
    s->chunks = count(ix, "SELECT count(*) FROM chunks");
    s->symbols = count(ix, "SELECT coalesce(sum(n), 0) FROM doc_symbols");
    return s->documents < 0 ? idx_fail(ix, IDX_ERR, "%s", sqlite3_errmsg(ix->db)) : 0;
}

int idx_check(idx *ix)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ix->db, "PRAGMA integrity_check", -1, &st, NULL))
        return idx_fail(ix, IDX_ERR, "%s", sqlite3_errmsg(ix->db));
    int ok = sqlite3_step(st) == SQLITE_ROW &&
             !strcmp((const char *)sqlite3_column_text(st, 0), "ok");
    if (!ok) idx_fail(ix, IDX_ERR, "integrity_check: %s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (!ok) return IDX_ERR;
    if (count(ix, "SELECT count(*) FROM pragma_foreign_key_check") != 0)
        return idx_fail(ix, IDX_ERR, "foreign key check failed");
    /* FTS5's own check compares each index with its content table, row by row. */
    if (sqlite3_exec(ix->db, "INSERT INTO chunks_fts(chunks_fts) VALUES ('integrity-check');"
                             "INSERT INTO chunks_tri(chunks_tri) VALUES ('integrity-check');"
                             "INSERT INTO symbols_fts(symbols_fts) VALUES ('integrity-check');"
                             "INSERT INTO refs_fts(refs_fts) VALUES ('integrity-check')",
                     NULL, NULL, NULL) != SQLITE_OK)
        return idx_fail(ix, IDX_ERR, "FTS5 integrity-check: %s", sqlite3_errmsg(ix->db));
    return 0;
}
