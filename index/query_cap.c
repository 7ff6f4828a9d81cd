/* index/query_cap.c: bounding the cost of long queries: repeated units go, and of the rest
 * the IDX_QUERY_TERMS rarest in this library stay (how many chunks hold each, counted up to a
 * bound), in their order. A unit no chunk holds goes first: it could only make "every word"
 * find nothing. Also the words tokenizer, opened for looking words up (stems.c). */
#include "idx_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int same_unit(const idx_unit *a, const idx_unit *b)
{
    if (a->n != b->n || a->prefix != b->prefix || a->quoted != b->quoted) return 0;
    for (size_t i = 0; i < a->n; i++)
        if (tolower((unsigned char)a->s[i]) != tolower((unsigned char)b->s[i])) return 0;
    return 1;
}

/* Drops later copies of a unit (quadratic, but only over what a query can hold). */
static void dedupe(idx_units *u)
{
    size_t o = 0;
    for (size_t i = 0; i < u->n; i++) {
        size_t j = 0;
        while (j < o && !same_unit(&u->u[j], &u->u[i])) j++;
        if (j == o) u->u[o++] = u->u[i];
    }
    u->n = o;
}

int idx_tokenizer_open(idx *ix, fts5_tokenizer *api, Fts5Tokenizer **tok)
{
    fts5_api *fts = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(ix->db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK) return -1;
    sqlite3_bind_pointer(st, 1, (void *)&fts, "fts5_api_ptr", NULL);
    sqlite3_step(st);
    sqlite3_finalize(st);
    void *ud = NULL;
    const char *argv[] = {"fold", "unicode61", "remove_diacritics", "2"};
    if (!fts || fts->xFindTokenizer(fts, "folio_cjk", &ud, api) != SQLITE_OK) return -1;
    return api->xCreate(ud, argv, 4, tok) == SQLITE_OK ? 0 : -1;
}

/* How many chunks hold unit x, counted up to DF_MAX (a word that common is as good as any
 * other that common, and counting stops early); -1 on error. */
enum { DF_MAX = 2000 };

static int64_t unit_df(sqlite3_stmt *st, const idx_unit *x, char *m, size_t cap)
{
    if (idx_units_render(x, 1, IDX_FORM_AND, m, cap) <= 0) return 0;
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, m, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, DF_MAX);
    if (sqlite3_step(st) != SQLITE_ROW) return -1;
    return sqlite3_column_int64(st, 0);
}

int idx_units_cap(idx *ix, idx_units *u, size_t keep)
{
    dedupe(u);
    if (u->n <= keep) return 0;
    sqlite3_stmt *st = NULL;
    int64_t *df = malloc(u->n * sizeof *df);
    size_t cap = 0;
    for (size_t i = 0; i < u->n; i++) cap = u->u[i].n > cap ? u->u[i].n : cap;
    cap = cap * 4 + 64;
    char *m = malloc(cap);
    int rc = df && m ? 0 : idx_fail(ix, IDX_ERR, "out of memory");
    if (!rc && sqlite3_prepare_v2(ix->db,
                                  "SELECT count(*) FROM (SELECT rowid FROM chunks_fts"
                                  " WHERE chunks_fts MATCH ?1 LIMIT ?2)",
                                  -1, &st, NULL) != SQLITE_OK)
        rc = idx_fail(ix, IDX_ERR, "query terms: %s", sqlite3_errmsg(ix->db));
    for (size_t i = 0; !rc && i < u->n; i++)
        if ((df[i] = unit_df(st, &u->u[i], m, cap)) < 0)
            rc = idx_fail(ix, IDX_ERR, "query terms: %s", sqlite3_errmsg(ix->db));
    if (!rc) {
        /* The keep-th smallest positive frequency is the bar; ties at the bar go in order. */
        size_t o = 0, taken = 0;
        int64_t bar = 0; /* positive frequencies only */
        for (size_t k = 0; k < keep; k++) {
            int64_t next = -1;
            for (size_t i = 0; i < u->n; i++)
                if (df[i] > bar && (next < 0 || df[i] < next)) next = df[i];
            if (next < 0) break;
            bar = next;
            for (size_t i = 0; i < u->n; i++) taken += df[i] == bar;
            if (taken >= keep) break;
        }
        taken = 0;
        for (size_t i = 0; i < u->n; i++)
            if (df[i] > 0 && df[i] < bar) taken++;
        size_t room = keep > taken ? keep - taken : 0;
        for (size_t i = 0; i < u->n; i++)
            if (df[i] > 0 && (df[i] < bar || (df[i] == bar && room && room--))) u->u[o++] = u->u[i];
        u->n = o;
    }
    sqlite3_finalize(st);
    free(df);
    free(m);
    return rc;
}
