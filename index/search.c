/* index/search.c: ranked search over the words index (BM25, text weighted over headings), with
 * a forgiving OR form when all words together match nothing, and for a single word found
 * inside longer words the trigram index (CJK) and the identifier vocabulary (code). Hits carry
 * path, page, lines and a snippet. */
#include "idx_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A search runs in two steps: the ranking query orders every match by cheap columns (for
 * "some words" hits (?5) how many of the query's phrases they hold first, then content before
 * boilerplate, then BM25 with text weighted over headings), and only the hits it keeps get
 * their snippet and text (the sorter would copy them for every match: a long query's OR form
 * can match most of a library). */
#define BOILER(T) "EXISTS (SELECT 1 FROM chunk_boiler WHERE id = " T ".rowid)"
#define RANK_SQL(T, BM25, JOIN, WHERE)                                                          \
    "SELECT " T ".rowid, " BM25 " AS b, CASE WHEN ?5 THEN folio_cover(" T ") ELSE 0 END AS cov," \
    " " BOILER(T) " AS boil"                                                                    \
    " FROM " T JOIN " WHERE " T " MATCH ?1" WHERE                                               \
    " ORDER BY cov DESC, boil, b LIMIT ?4"
/* Only a filter on paths or kinds needs each match's chunk and document row. */
#define FILTER_JOIN(T) " JOIN chunks c ON c.id = " T ".rowid JOIN documents d ON d.id = c.doc_id"
#define FILTER_WHERE " AND (?2 IS NULL OR d.path GLOB ?2) AND (?3 IS NULL OR d.kind = ?3)"
#define NO_FILTER " AND ?2 IS NULL AND ?3 IS NULL"
/* (No BM25 here: it would look up every phrase's document frequency again, for each hit.) */
#define HIT_SQL(T)                                                                              \
    "SELECT c.id, c.doc_id, d.path, d.kind, c.page, c.line_start, c.line_end,"                  \
    " snippet(" T ", 0, ?2, ?3, '...', ?4), c.heading, c.symbol, c.text FROM " T                \
    " JOIN chunks c ON c.id = " T ".rowid"                                                      \
    " JOIN documents d ON d.id = c.doc_id WHERE " T " MATCH ?1 AND " T ".rowid = ?5"

/* Both steps in one, for expressions of many terms (substrings: an OR of the identifiers
 * that contain them) whose matches are few: each hit fetched alone would parse and seek them
 * all again. The columns of RANK_SQL, then those of HIT_SQL. */
#define ONE_STEP_SQL(T, BM25)                                                                   \
    "SELECT " T ".rowid, " BM25 " AS b, 0, " BOILER(T) " AS boil,"                              \
    " c.id, c.doc_id, d.path, d.kind, c.page, c.line_start, c.line_end,"                        \
    " snippet(" T ", 0, ?6, ?7, '...', ?8), c.heading, c.symbol, c.text FROM " T                \
    FILTER_JOIN(T) " WHERE " T " MATCH ?1" FILTER_WHERE " AND ?5 = ?5"                          \
    " ORDER BY boil, b LIMIT ?4"

/* [0] ranks without filters, [1] with, [2] fetches one hit, [3] does it all at once. */
static const char *const sql_words[4] = {
    RANK_SQL("chunks_fts", "bm25(chunks_fts, 1.0, 0.5)", "", NO_FILTER),
    RANK_SQL("chunks_fts", "bm25(chunks_fts, 1.0, 0.5)", FILTER_JOIN("chunks_fts"), FILTER_WHERE),
    HIT_SQL("chunks_fts"),
    ONE_STEP_SQL("chunks_fts", "bm25(chunks_fts, 1.0, 0.5)"),
};
static const char *const sql_tri[4] = {
    RANK_SQL("chunks_tri", "bm25(chunks_tri)", "", NO_FILTER),
    RANK_SQL("chunks_tri", "bm25(chunks_tri)", FILTER_JOIN("chunks_tri"), FILTER_WHERE),
    HIT_SQL("chunks_tri"),
    ONE_STEP_SQL("chunks_tri", "bm25(chunks_tri)"),
};

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

/* A hit from the columns of HIT_SQL (from column k of st on), with what the ranking query
 * said of it (rank: rowid, b, cov, boil). */
static int add_row(hits *hs, sqlite3_stmt *st, int k, sqlite3_stmt *rank, idx_match how)
{
    if (hs->n == hs->cap) {
        size_t cap = hs->cap ? hs->cap * 2 : 16;
        idx_hit *h = realloc(hs->h, cap * sizeof *h);
        if (!h) return -1;
        hs->h = h, hs->cap = cap;
    }
    idx_hit *h = &hs->h[hs->n++];
    memset(h, 0, sizeof *h);
    h->chunk_id = sqlite3_column_int64(st, k);
    h->doc_id = sqlite3_column_int64(st, k + 1);
    h->path = dup_col(st, k + 2);
    h->kind = dup_col(st, k + 3);
    h->page = sqlite3_column_int(st, k + 4);
    h->line_start = sqlite3_column_int(st, k + 5);
    h->line_end = sqlite3_column_int(st, k + 6);
    h->match = how;
    h->boilerplate = sqlite3_column_int(rank, 3);
    h->score = idx_score(how, h->boilerplate, sqlite3_column_double(rank, 1),
                         sqlite3_column_int(rank, 2), hs->units);
    h->snippet = dup_col(st, k + 7);
    if (h->snippet) idx_snippet_collapse(h->snippet);
    h->heading = dup_col(st, k + 8);
    h->symbol = dup_col(st, k + 9);
    h->text = dup_col(st, k + 10);
    return h->path && h->text ? 0 : -1;
}

/* The hit of chunk `id`, with its snippet, appended to hs. */
static int fetch_hit(idx *ix, sqlite3_stmt *st, sqlite3_stmt *rank, const char *match,
                     const idx_query *q, int64_t id, idx_match how, hits *hs)
{
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, q->mark_open ? q->mark_open : "[", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, q->mark_close ? q->mark_close : "]", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, q->snippet_tokens > 0 ? q->snippet_tokens : 24);
    sqlite3_bind_int64(st, 5, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return add_row(hs, st, 0, rank, how) ? idx_fail(ix, IDX_ERR, "out of memory") : 0;
    if (rc == SQLITE_DONE) return 0;
    return idx_fail(ix, IDX_ERR, "query '%s': %s", match, sqlite3_errmsg(ix->db));
}

/* Runs one MATCH expression; rows are appended to hs (duplicates skipped) until it holds
 * `limit` hits. */
static int run_match(idx *ix, const char *const sql[4], const char *match, const idx_query *q,
                     int limit, idx_match how, hits *hs)
{
    if ((int)hs->n >= limit) return 0;
    sqlite3_stmt *st = NULL, *one = NULL;
    int both = how == IDX_MATCH_PART; /* see ONE_STEP_SQL */
    const char *rank = sql[both ? 3 : q->path_glob || q->kind != ING_KIND_SKIP];
    if (sqlite3_prepare_v2(ix->db, rank, -1, &st, NULL) != SQLITE_OK ||
        (!both && sqlite3_prepare_v2(ix->db, sql[2], -1, &one, NULL) != SQLITE_OK)) {
        int out = idx_fail(ix, IDX_ERR, "search: %s", sqlite3_errmsg(ix->db));
        sqlite3_finalize(st);
        return out;
    }
    sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
    if (q->path_glob) sqlite3_bind_text(st, 2, q->path_glob, -1, SQLITE_STATIC);
    if (q->kind != ING_KIND_SKIP)
        sqlite3_bind_text(st, 3, ing_kind_name(q->kind), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, limit); /* at most hs->n of them are there already */
    sqlite3_bind_int(st, 5, how == IDX_MATCH_SOME);
    if (both) {
        sqlite3_bind_text(st, 6, q->mark_open ? q->mark_open : "[", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, q->mark_close ? q->mark_close : "]", -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 8, q->snippet_tokens > 0 ? q->snippet_tokens : 24);
    }
    int rc = SQLITE_DONE, out = 0;
    while (!out && (int)hs->n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        if (have(hs, id)) continue;
        if (both) out = add_row(hs, st, 4, st, how) ? idx_fail(ix, IDX_ERR, "out of memory") : 0;
        else out = fetch_hit(ix, one, st, match, q, id, how, hs);
    }
    if (!out && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        const char *m = sqlite3_errmsg(ix->db);
        out = q->raw && strstr(m, "syntax") ? IDX_ESYNTAX : IDX_ERR;
        idx_fail(ix, out, "query '%s': %s", match, m);
    }
    sqlite3_finalize(st);
    sqlite3_finalize(one);
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
    size_t given = u.n;
    if (!q->raw && u.n > IDX_QUERY_TERMS) rc = idx_units_cap(ix, &u, IDX_QUERY_TERMS);
    int capped = u.n != given; /* units went: what is left is no phrase of the text */
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
