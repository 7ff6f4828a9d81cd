/* index/idx.h: the library database (SQLite, WAL) and search. One database per library holds
 * documents, pages, chunks and symbols with two FTS5 indexes: words (unicode61 with CJK split
 * into single characters and compatibility forms folded, BM25) and trigram (CJK substrings;
 * substrings of code go through a trigram index of its identifiers). Updating is incremental
 * and crash-safe: one transaction per document. */
#ifndef IDX_H
#define IDX_H

#include "ing.h"

#include <stddef.h>
#include <stdint.h>

enum { IDX_SCHEMA_VERSION = 7 };

/* Error codes (all < 0). */
enum {
    IDX_ERR = -1,        /* anything else: see idx_errmsg */
    IDX_ELOCKED = -2,    /* another process is writing this library */
    IDX_ESCHEMA = -3,    /* made by a newer folio, or not a folio database */
    IDX_ESYNTAX = -4,    /* a --raw query FTS5 rejected */
    IDX_EDAMAGED = -5,   /* not an SQLite database, or its integrity check failed */
};

typedef struct idx idx;

enum { IDX_READ = 0, IDX_WRITE = 1 };

/* Opens (IDX_WRITE: creates, migrates and takes the writer lock `<db>.lock`) a library
 * database. A second writer gets IDX_ELOCKED and "library is being indexed by pid N". On error
 * *out is NULL and `err` says what failed. Readers never wait for a writer (WAL). */
int idx_open(const char *db_path, int mode, idx **out, char *err, size_t errsz);
void idx_close(idx *ix);
/* The last error of this handle (owned by it). */
const char *idx_errmsg(const idx *ix);
/* The library's root folder recorded at creation (absolute), or NULL. Owned by the handle. */
const char *idx_root(const idx *ix);
int idx_set_root(idx *ix, const char *abs_root);

/* ---- library metadata (meta.c): the meta table's key/value pairs --------------------------- */

/* The value of `key` into buf: 1 found, 0 absent, < 0 error. */
int idx_meta_get(idx *ix, const char *key, char *buf, size_t bufsz);
/* Sets `key` (value NULL: deletes it). */
int idx_meta_set(idx *ix, const char *key, const char *value);
/* A library whose folder moved or was copied: the documents stored under old_root (absolute
 * keys) are re-pointed to the same place under new_root, one transaction; a document already
 * stored under new_root at that place wins and the old one leaves. Sets the root. *n (may be
 * NULL) receives the number of documents re-pointed. */
int idx_reroot(idx *ix, const char *old_root, const char *new_root, int64_t *n);
/* 1 when SQLite said, on this handle, that the database is damaged (corrupt, not a database). */
int idx_damaged(const idx *ix);
/* Whether idx_open of this writer found that the last writer did not close cleanly (and so ran
 * the quick integrity check, which passed). */
int idx_was_unclean(const idx *ix);
/* The content hash (32 hex digits) of document `id` into out: 1 found, 0 absent, < 0 error. */
int idx_doc_hash(idx *ix, int64_t id, char out[33]);

/* ---- documents ---------------------------------------------------------------------------- */

typedef struct idx_docinfo {
    int64_t id;
    int64_t size, mtime_ns;
    char hash[33];
    char path[4096];
} idx_docinfo;

typedef struct idx_docinput {
    const char *key;  /* identity across runs: the absolute path */
    const char *path; /* as shown to users: relative to the library root, or as given */
    ing_kind kind;
    const char *lang;
    int64_t size, mtime_ns;
    const char *hash; /* ing_hash_hex of the content */
} idx_docinput;

/* 1 and *out filled if a document has this key, 0 if not, <0 on error. */
int idx_doc_lookup(idx *ix, const char *key, idx_docinfo *out);
/* A document with this content hash whose key is not in `keep` (called to ask whether a key
 * still exists on disk): 1 and *out filled, 0 if none. */
int idx_doc_find_moved(idx *ix, const char *hash, int (*exists)(const char *key), idx_docinfo *out,
                       char *key_out, size_t keysz);
/* Replaces (or adds) the document `in->key` with the extracted `doc`: one transaction. */
int idx_doc_put(idx *ix, const idx_docinput *in, const ing_doc *doc, int64_t *id);
/* Records a new size and mtime for unchanged content. */
int idx_doc_touch(idx *ix, int64_t id, int64_t size, int64_t mtime_ns);
/* Re-points a moved document (same content) to a new key and path. */
int idx_doc_move(idx *ix, int64_t id, const char *key, const char *path, int64_t size,
                 int64_t mtime_ns);
int idx_doc_remove(idx *ix, int64_t id);
/* Calls fn for every document (id, key, path); a non-zero return stops. */
int idx_doc_each(idx *ix, int (*fn)(void *user, int64_t id, const char *key, const char *path),
                 void *user);

/* ---- symbols -------------------------------------------------------------------------------- */

typedef struct idx_symbol {
    char *path; /* the document's shown path */
    char *name, *kind, *scope, *signature; /* scope and signature may be NULL */
    int line_start, line_end;
} idx_symbol;

/* The definitions named exactly `name` (case matters), by path and line, at most `limit`
 * (0: 100). The caller frees them with idx_symbols_free. SQL sees them in the view
 * symbols(doc_id, name, kind, scope, line_start, line_end, signature). */
int idx_symbols_find(idx *ix, const char *name, int limit, idx_symbol **out, size_t *n);
void idx_symbols_free(idx_symbol *s, size_t n);

/* ---- references (refs.c) ------------------------------------------------------------------- */

typedef struct idx_ref {
    int64_t doc_id;
    char *path; /* the document's shown path */
    char *name; /* the identifier used */
    int line, col;   /* 1-based; the column counts bytes */
    unsigned flags;  /* ING_REF_CALL: a call site */
    int sym;         /* the enclosing function's index in its document's symbols, or -1 */
    char *scope, *scope_kind; /* that function's name and kind, or NULL at top level */
    int scope_line;  /* its first line */
    char *text;      /* the line, from the stored chunks (NULL if none holds it) */
} idx_ref;

/* The uses of identifier `name` (case matters) outside comments and literals, definitions left
 * out; calls = 1: call sites only. By path, then line; at most `limit` (0: all). *out is
 * malloc'd: idx_refs_free. */
int idx_refs_find(idx *ix, const char *name, int calls, int limit, idx_ref **out, size_t *n);
/* The call sites inside the definitions named `name` (what it calls): `name` of each is the
 * callee. Same ownership. */
int idx_refs_callees(idx *ix, const char *name, int limit, idx_ref **out, size_t *n);
void idx_refs_free(idx_ref *r, size_t n);
/* The code documents a library made before references keeps until the next update re-reads
 * them (the schema 7 migration marks them): their number, or < 0. */
int idx_refs_pending(idx *ix);

/* One code document as a repository map sees it (code_files.c); valid during the callback. */
typedef struct idx_code_file {
    int64_t doc_id;
    const char *path;
    const char *uses;       /* its distinct identifiers, '\n'-separated, or NULL */
    const uint32_t *counts; /* the uses of each (its own definitions' names left out) */
    size_t nuses;
    const char *symbols;    /* its definitions as doc_symbols keeps them (JSON), or NULL */
} idx_code_file;
/* Calls fn for every code document (only shown paths matching path_glob when not NULL), by
 * path; a non-zero return stops and is returned. */
int idx_code_files(idx *ix, const char *path_glob,
                   int (*fn)(void *user, const idx_code_file *f), void *user);
/* A short text that changes whenever a code document is added, changed, moved or removed. */
int idx_code_fingerprint(idx *ix, char *out, size_t outsz);

typedef struct idx_stats {
    int64_t documents, pages, chunks, symbols;
} idx_stats;
int idx_get_stats(idx *ix, idx_stats *st);
/* PRAGMA integrity_check plus the FTS5 integrity checks; 0 when all is well. */
int idx_check(idx *ix);

/* ---- updating from folders ------------------------------------------------------------------ */

typedef enum idx_event {
    IDX_EV_INDEXED,   /* new or changed, extracted */
    IDX_EV_UNCHANGED, /* same size+mtime, or same hash */
    IDX_EV_MOVED,     /* same content at a new path: re-pointed, not re-extracted */
    IDX_EV_REMOVED,   /* gone from disk, gone from the index */
    IDX_EV_FAILED,    /* could not be read or extracted: `reason` */
    IDX_EV_SKIPPED,   /* not indexed on purpose (binary, too large): `reason` */
} idx_event;

typedef struct idx_progress {
    idx_event ev;
    const char *path;   /* as shown */
    const char *reason; /* failures, skips, and warnings of indexed files (or NULL) */
    size_t files_done, files_total;
    int64_t bytes_done, bytes_total;
} idx_progress;

typedef void (*idx_progress_fn)(void *user, const idx_progress *p);

typedef struct idx_update_opts {
    ing_walk_opts walk;
    ing_opts ing;
    const char *rel_root; /* absolute library root: paths under it are stored relative to it */
    volatile int *stop;   /* set non-zero (e.g. by a signal) to stop between documents */
} idx_update_opts;

typedef struct idx_summary {
    size_t indexed, unchanged, moved, removed, failed, skipped, warned;
    int64_t bytes;
} idx_summary;

/* Brings the index up to date with `roots` (folders or files, as given): new and changed files
 * are extracted, unchanged ones skipped, moved ones re-pointed, deleted ones (under these roots)
 * removed. Reports each file through fn (may be NULL). Returns 0 (even with failed files: see
 * the summary) or <0 when the database itself failed. */
int idx_update(idx *ix, const char *const *roots, size_t nroots, const idx_update_opts *o,
               idx_progress_fn fn, void *user, idx_summary *sum);
/* The same for one path under `root` that changed or disappeared (file watching). */
int idx_update_path(idx *ix, const char *root, const char *relpath, const idx_update_opts *o,
                    idx_progress_fn fn, void *user, idx_summary *sum);

/* ---- search --------------------------------------------------------------------------------- */

typedef struct idx_query {
    const char *text;      /* user text, or FTS5 syntax when raw */
    int raw;
    const char *path_glob; /* SQL GLOB on the shown path ('*' crosses '/'), or NULL */
    ing_kind kind;         /* ING_KIND_SKIP: any */
    int limit;             /* 0: 10 */
    const char *mark_open, *mark_close; /* around matched words in snippets; NULL: "[" "]" */
    int snippet_tokens;    /* 0: 24 */
} idx_query;

/* How a hit matched, best first (a higher value is a better kind): hits are ranked by kind,
 * then by BM25 (text weighted over headings), tables of contents and back-of-book indexes
 * below content of the same kind. */
typedef enum idx_match {
    IDX_MATCH_PART = 0,   /* inside longer words (substrings of identifiers, CJK) */
    IDX_MATCH_SOME = 1,   /* some of the words, more of them first (when no chunk has all) */
    IDX_MATCH_STEM = 2,   /* every word, some only in another form ("leaks" for "leak") */
    IDX_MATCH_ALL = 3,    /* every word as written (or the --raw expression) */
    IDX_MATCH_NEAR = 4,   /* every word, close together */
    IDX_MATCH_PHRASE = 5, /* the words in a row, as typed */
} idx_match;

/* "part", "some", "stem", "all", "near", "phrase": the kind's name (static). */
const char *idx_match_name(idx_match m);

typedef struct idx_hit {
    int64_t chunk_id, doc_id;
    idx_match match;
    int boilerplate; /* a table of contents or an index (ranked below content) */
    char *path, *kind, *heading, *symbol, *snippet, *text;
    int page; /* 0 for non-PDF */
    int line_start, line_end;
    /* The one final score, higher is better, in the order idx_search returns hits: in
     * [10 * match, 10 * match + 10), so its tens are the kind of match. */
    double score;
} idx_hit;

/* The most units (words or quoted phrases) a query keeps: longer queries keep the rarest in
 * the library (by document frequency), so any text answers within about a second. */
enum { IDX_QUERY_TERMS = 32 };

/* Ranked hits for q, best first. Arbitrary user text never gives a syntax error: words are
 * quoted; "quoted phrases" match as phrases; the whole text as a phrase comes first, then its
 * words close together, all words, all in some form (stems), some of them; a single word of 3+
 * characters also matches inside longer identifiers (trigram). Snippets show dot leaders
 * (". . . .") as one " … ". *hits is malloc'd: idx_hits_free. */
int idx_search(idx *ix, const idx_query *q, idx_hit **hits, size_t *n);
void idx_hits_free(idx_hit *hits, size_t n);

/* Turns arbitrary user text into an FTS5 query that cannot be a syntax error: every word is a
 * quoted string (embedded quotes doubled), a "quoted phrase" one string, CJK and other scripts
 * apart, joined by `op` (" " for AND, " OR "); a word ending in '*' stays a prefix query; words
 * without letters or digits are dropped. Returns the number of units, or -1 when out is too
 * small (4 * strlen(text) + 64 is enough). */
int idx_query_quote(const char *text, const char *op, char *out, size_t outsz);

/* ---- retrieval helpers (retrieve.c) --------------------------------------------------------- */

/* The number of chunks the FTS5 expression `fts` matches in the words index, only in documents
 * whose shown path matches path_glob when that is not NULL (for the weight of a question word).
 * fts NULL: all the chunks of the documents path_glob matches. */
int idx_match_count(idx *ix, const char *fts, const char *path_glob, int64_t *n);
/* The document whose shown path or key is `path`: 1 and *doc_id, *pages (0 for non-PDF) filled,
 * or 0 when there is none, <0 on error. */
int idx_doc_by_path(idx *ix, const char *path, int64_t *doc_id, int *pages);
/* The first `limit` chunks (0: all) of document doc_id in reading order, as hits (match
 * IDX_MATCH_ALL, score 0, snippet NULL). *out is malloc'd: idx_hits_free. */
int idx_doc_chunks(idx *ix, int64_t doc_id, int limit, idx_hit **out, size_t *n);

#endif
