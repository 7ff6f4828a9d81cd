/* index/query_cap.c: bounding the cost of long queries: repeated units go, and of the rest
 * the IDX_QUERY_TERMS rarest in this library stay (document frequency from the fts5vocab table
 * chunks_vocab, each unit tokenized as the words index tokenizes it), in their order. A unit no
 * chunk holds goes first: it could only make "every word" find nothing. */
#include "idx_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct df_ctx {
    sqlite3_stmt *st;
    int64_t min; /* of the unit's tokens; -1 before the first */
    int err;
} df_ctx;

static int df_token(void *vctx, int flags, const char *tok, int n, int start, int end)
{
    (void)start, (void)end;
    df_ctx *c = vctx;
    if (flags & FTS5_TOKEN_COLOCATED) return SQLITE_OK;
    sqlite3_reset(c->st);
    sqlite3_bind_text(c->st, 1, tok, n, SQLITE_TRANSIENT);
    int rc = sqlite3_step(c->st);
    int64_t df = rc == SQLITE_ROW ? sqlite3_column_int64(c->st, 0) : 0;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) c->err = 1;
    if (c->min < 0 || df < c->min) c->min = df;
    return SQLITE_OK;
}

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

int idx_units_cap(idx *ix, idx_units *u, size_t keep)
{
    dedupe(u);
    if (u->n <= keep) return 0;
    fts5_tokenizer api;
    Fts5Tokenizer *tok = NULL;
    sqlite3_stmt *st = NULL;
    int64_t *df = malloc(u->n * sizeof *df);
    int rc = df ? 0 : idx_fail(ix, IDX_ERR, "out of memory");
    if (!rc && idx_tokenizer_open(ix, &api, &tok))
        rc = idx_fail(ix, IDX_ERR, "query terms: cannot open the words tokenizer");
    if (!rc && sqlite3_prepare_v2(ix->db, "SELECT doc FROM chunks_vocab WHERE term = ?1", -1, &st,
                                  NULL) != SQLITE_OK)
        rc = idx_fail(ix, IDX_ERR, "query terms: %s", sqlite3_errmsg(ix->db));
    for (size_t i = 0; !rc && i < u->n; i++) {
        df_ctx c = {st, -1, 0};
        api.xTokenize(tok, &c, FTS5_TOKENIZE_QUERY, u->u[i].s, (int)u->u[i].n, df_token);
        if (c.err) rc = idx_fail(ix, IDX_ERR, "query terms: %s", sqlite3_errmsg(ix->db));
        df[i] = c.min;
    }
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
            if (df[i] > 0 && (df[i] < bar || (df[i] == bar && room && room--)))
                u->u[o++] = u->u[i];
        u->n = o;
    }
    sqlite3_finalize(st);
    if (tok) api.xDelete(tok);
    free(df);
    return rc;
}
