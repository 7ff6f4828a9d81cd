/* index/idx_int.h: internals shared by the index files: the handle, its cached statements, and
 * the CJK-aware tokenizer registration. Not part of the public API. */
#ifndef IDX_INT_H
#define IDX_INT_H

#include "idx.h"

#include <sqlite3.h>

enum {
    ST_LOOKUP, ST_INS_DOC, ST_DEL_CHUNKS, ST_DEL_DOC, ST_INS_PAGE, ST_INS_CHUNK, ST_TOUCH,
    ST_MOVE, ST_BY_HASH, ST_IDENT_LAST, ST_IDENT_NEW, ST_IDENT_GROW, ST_FTS_ADD, ST_TRI_ADD,
    ST_INS_SYMS, ST_DEL_SYMS, ST_SYMS_FTS_ADD, ST_HASH_OF, ST_INS_BOILER,
    ST_INS_REFS, ST_DEL_REFS, ST_REFS_FTS_ADD, ST_REFS_FIND, ST_REFS_CALLEES, ST_REFS_SYMS,
    ST_REFS_LINE, ST_COUNT
};

enum { IDX_SEEN_HOT = 1 << 16 };

/* A set of 64-bit hashes (open addressing, 0 = free slot). */
typedef struct idx_hset {
    uint64_t *t;
    size_t n, cap;
} idx_hset;

typedef struct idx_ckpt idx_ckpt;

struct idx {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    int lock_fd; /* the writer lock, -1 for readers */
    idx_ckpt *ckpt; /* the checkpoint thread of a bulk run, or NULL */
    int writer;
    int batch; /* inside a batch transaction of whole documents */
    int64_t fts_from; /* chunks from this id on are not in the FTS5 indexes yet (0: none) */
    int64_t syms_from; /* the same for doc_symbols rows and symbols_fts (a document id) */
    int64_t docs_from; /* documents from this id on came after the FTS5 indexes caught up */
    idx_hset seen; /* hashes of the stored identifiers */
    uint64_t *seen_hot; /* [IDX_SEEN_HOT] recently seen hashes, each also in seen */
    int seen_loaded; /* seen holds what the database holds (read on first use) */
    char *names;     /* identifiers new in the document being written, '\n'-separated */
    size_t names_n, names_cap;
    char *root;
    int damaged; /* an SQLite error said SQLITE_CORRUPT or SQLITE_NOTADB */
    int unclean; /* the last writer did not record a clean close (see db.c) */
    char err[1024];
};

/* Fills ix->err (printf style) and returns rc. */
int idx_fail(idx *ix, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A statement from the cache (prepared on first use), reset and with bindings cleared. */
sqlite3_stmt *idx_stmt(idx *ix, int which);
int idx_exec(idx *ix, const char *sql);
/* One document's changes: a transaction of its own, or a part of the open batch. A crash loses
 * at most the open batch, never part of a document. tx_end commits (rc 0) or undoes (inside a
 * batch: the whole batch, which then ends). */
int idx_tx_begin(idx *ix);
int idx_tx_end(idx *ix, int rc);
/* The chunks written since the last call go into both FTS5 indexes, with one statement each
 * (see store.c); tx_end and batch_commit call it before committing. */
int idx_fts_add_pending(idx *ix);
/* Groups the next documents into one transaction (fewer FTS5 segments to merge). */
int idx_batch_begin(idx *ix);
int idx_batch_commit(idx *ix);

/* Around a run that may add many documents (outside any transaction): bulk_begin starts the
 * checkpoint thread, bulk_end stops it. */
int idx_bulk_begin(idx *ix);
int idx_bulk_end(idx *ix);

/* The checkpoint thread (checkpoint.c): start (optional: on failure the writer checkpoints
 * itself, as SQLite does by default), kick after each commit, stop (NULL-safe). */
int idx_ckpt_start(idx *ix);
void idx_ckpt_kick(idx *ix);
void idx_ckpt_stop(idx *ix);

/* Registers the "folio_cjk" FTS5 tokenizer on db: it wraps another tokenizer (its first
 * argument, e.g. unicode61) and splits runs of Han, kana and Hangul into one token per
 * character, so that a quoted phrase of such characters matches them anywhere, at any length. */
int idx_register_tokenizer(sqlite3 *db);

/* 1 if the UTF-8 text holds a CJK character (decides what goes into the trigram index). */
int idx_has_cjk(const char *s);

/* The identifier vocabulary (idents.c). idents_add collects the identifiers of a code chunk's
 * text that are not stored yet; idents_flush stores those of the document (one row). Call
 * idents_forget when a transaction is undone. idents_word: 1 if text is one identifier-like
 * word of 3+ characters. idents_expand: an FTS5 query "a" OR "b"... of the shortest stored
 * identifiers that contain that word; returns 1, or 0 when none does, or <0. */
int idx_idents_add(idx *ix, const char *text);
int idx_idents_flush(idx *ix);
/* Schema 5: the names of the FTS5 table idents move into blocks, and the table goes. */
int idx_idents_migrate(idx *ix);
void idx_idents_forget(idx *ix);
int idx_idents_word(const char *text);
/* The same split in two: names_collect (any thread) lists the distinct identifiers of a
 * document's chunks ('\n'-separated, with their XXH3-64 hashes); idents_add_names (writer)
 * collects those not stored yet, as idents_add does. */
typedef struct idx_names {
    char *text;
    size_t len;
    uint64_t *hash;
    size_t n;
} idx_names;
int idx_names_collect(const ing_doc *doc, idx_names *out);
void idx_names_free(idx_names *nm);
int idx_idents_add_names(idx *ix, const idx_names *nm);
/* A document's symbols packed for its doc_symbols row (symbols.c): pack on any thread
 * (0, or -1 out of memory), put on the writer (nothing when n is 0). */
typedef struct idx_symlist {
    char *names; /* '\n'-separated */
    char *list;  /* JSON: [[name, kind, scope, line_start, line_end, signature], ...] */
    size_t n;
} idx_symlist;
int idx_symlist_pack(const ing_doc *doc, idx_symlist *out);
void idx_symlist_free(idx_symlist *s);
int idx_symlist_put(idx *ix, int64_t doc_id, const idx_symlist *s);

/* A code document's references as its doc_refs row (refs.c), on the writer; nothing when it
 * has none. The row joins refs_fts with the symbols, before commit. */
int idx_refs_put(idx *ix, int64_t doc_id, const ing_doc *doc);

/* idx_doc_put with the document's identifiers already collected (nm, or NULL) and its symbols
 * already packed (sl, or NULL). */
int idx_doc_put_ex(idx *ix, const idx_docinput *in, const ing_doc *doc, const idx_names *nm,
                   const idx_symlist *sl, int64_t *id);
int idx_idents_expand(idx *ix, const char *word, char *out, size_t outsz);

/* Reading ahead (prefetch.c): a worker thread reads, hashes and extracts the jobs in order,
 * a bounded distance ahead; the writer takes each result in the same order. */
typedef struct idx_job {
    const char *path;
    ing_kind kind;
    const char *lang;
    int64_t size;
    const char *old_hash; /* content hash of the stored version, or NULL when none */
} idx_job;

typedef struct idx_prep {
    int read;   /* 1: the file was read (else err says why) */
    void *data; /* the file (malloc'd), freed once extracted */
    size_t len;
    char hash[33];
    ing_doc *doc; /* extracted, or NULL: failed (tried, err) or left to the writer */
    int tried;
    idx_names names; /* of a code document, when collected by the worker (names.text) */
    idx_symlist syms; /* packed by the worker (syms.list), or left to the writer */
    char err[1024];
} idx_prep;

typedef struct idx_prefetch idx_prefetch;

/* Starts the worker over jobs[0..n) (they must outlive it). Extraction is skipped when the
 * content equals old_hash, or, for a new path, one of the `known` hashes (XXH3-64 of stored
 * documents' hash strings, sorted): the writer then decides (touch, move, or extract). */
int idx_prefetch_start(idx_prefetch **out, const idx_job *jobs, size_t n, const ing_opts *o,
                       int64_t limit, const uint64_t *known, size_t nknown);
/* Waits for job i (in increasing order); the result is the caller's (idx_prep_free, free).
 * NULL when the worker ran out of memory: do the job with idx_prep_read. */
idx_prep *idx_prefetch_take(idx_prefetch *pf, size_t i);
/* Stops the worker (at its next job) and frees what was not taken. NULL is a no-op. */
void idx_prefetch_stop(idx_prefetch *pf);
/* The steps themselves, for the writer: extraction holds pf's lock (pf may be NULL). */
void idx_prep_read(const idx_job *j, int64_t limit, idx_prep *p);
void idx_prep_extract(idx_prefetch *pf, const idx_job *j, const ing_opts *o, idx_prep *p);
void idx_prep_free(idx_prep *p);

/* idx_query_quote, and with bigrams=1 CJK runs longer than two characters become overlapping
 * two-character phrases (the forgiving form used when the exact one finds nothing). */
int idx_query_quote_ex(const char *text, const char *op, int bigrams, char *out, size_t outsz);

/* ---- queries as units (fts_query.c) ----
 * A unit points into the user's text: a quoted phrase (without its quotes), or a word or a
 * part of one (a run of CJK or of other characters). */
typedef struct idx_unit {
    const char *s;
    size_t n;
    int prefix; /* ended in '*' */
    int quoted; /* was "a quoted phrase" */
    int cjk;    /* a run of CJK characters (a phrase of single characters to the tokenizer) */
    char *forms; /* ("word" OR "words" ...): the words of its stem in the library, or NULL */
} idx_unit;

typedef struct idx_units {
    idx_unit *u;
    size_t n, cap;
} idx_units;

enum {
    IDX_FORM_AND,     /* "a" "b": every unit */
    IDX_FORM_OR,      /* "a" OR "b", long CJK runs as bigrams */
    IDX_FORM_PHRASE,  /* "a b": the units in a row */
    IDX_FORM_NEAR,    /* NEAR("a" "b", IDX_NEAR_SLACK + 2n) */
    IDX_FORM_STEM,    /* AND, each word as the group of its forms */
    IDX_FORM_OR_STEM, /* OR, the same */
};
enum { IDX_NEAR_SLACK = 6 };

int idx_units_parse(const char *text, idx_units *u); /* 0, or -1 out of memory */
void idx_units_free(idx_units *u);
/* Writes the FTS5 expression of units u[0..n) in `form`; returns the number of terms (0: the
 * form does not apply), or -1 when out is too small (idx_units_bound is always enough). */
int idx_units_render(const idx_unit *u, size_t n, int form, char *out, size_t outsz);
size_t idx_units_bound(const char *text, const idx_units *u);
/* Keeps at most `keep` units: repeats go, then the most frequent in the library (query_cap.c). */
int idx_units_cap(idx *ix, idx_units *u, size_t keep);
/* Fills the forms of each plain word: the words of its stem (stems.c). */
int idx_units_stems(idx *ix, idx_units *u);
/* A tokenizer that splits and folds as the words index does (query_cap.c): xDelete it. */
int idx_tokenizer_open(idx *ix, fts5_tokenizer *api, Fts5Tokenizer **tok);

/* Ranking (rank.c): the FTS5 function folio_cover, the final score of a hit, snippets. */
int idx_register_rank(fts5_api *api);
double idx_score(idx_match how, int boiler, double bm25, int cover, int units);
void idx_snippet_collapse(char *s);

/* 1 if a chunk is a table of contents or an index (boiler.c); folio_boiler(text, heading)
 * is the same as an SQL function (the schema 6 migration flags stored chunks with it, in
 * chunk_boiler). */
int idx_boiler_detect(const char *text, const char *heading);
int idx_register_boiler(sqlite3 *db);

/* The Porter stem of a lowercase ASCII word of 3..IDX_STEM_MAX letters into out (room for
 * IDX_STEM_MAX + 1): its length; 0 for other words (stem.c). */
enum { IDX_STEM_MAX = 48 };
int idx_stem(const char *in, int n, char *out);

/* Compatibility folding (fold_table.c, generated by fold_gen.py): sorted by cp. */
typedef struct idx_fold_entry {
    unsigned cp;
    const char *to; /* NFKC form, UTF-8 */
} idx_fold_entry;
extern const idx_fold_entry idx_fold_table[];
extern const unsigned idx_fold_count;

/* 1 if code point cp is Han, kana or Hangul (tokenizer.c). */
int idx_is_cjk(unsigned cp);

#endif
