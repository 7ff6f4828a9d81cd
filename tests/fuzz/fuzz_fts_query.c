/* tests/fuzz/fuzz_fts_query.c: arbitrary user text through idx_query_quote must always give an
 * FTS5 query that SQLite accepts (AND and OR forms, and a single quoted word as a prefix, which
 * search tries for code with punctuation inside a word), whatever the bytes; so must every form
 * search builds from the text's units (phrase, NEAR, stems, bigrams) within idx_units_bound. */
#include "idx.h"
#include "../index/idx_int.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void must_parse(sqlite3 *db, const char *q)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE t MATCH ?1", -1, &st, NULL)) abort();
    sqlite3_bind_text(st, 1, q, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) abort(); /* a syntax error from quoted user text is a bug */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sqlite3 *db;
    if (!db) {
        sqlite3_open(":memory:", &db);
        sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(x, tokenize='unicode61 remove_diacritics 2');"
                         "INSERT INTO t VALUES ('some text with words and 中文 characters');",
                     NULL, NULL, NULL);
    }
    char *text = malloc(size + 1), *out = malloc(size * 4 + 64);
    memcpy(text, data, size);
    text[size] = 0;
    int words = idx_query_quote(text, " ", out, size * 4 + 64);
    if (words > 0) must_parse(db, out);
    if (words == 1 && !strchr(out, '*')) {
        strcat(out, "*"); /* room: the output bound leaves 64 bytes spare */
        must_parse(db, out);
    }
    if (idx_query_quote(text, " OR ", out, size * 4 + 64) > 0) must_parse(db, out);
    idx_units u;
    if (!idx_units_parse(text, &u)) {
        /* a word's forms as stems.c writes them, for the first plain word */
        for (size_t i = 0; i < u.n; i++)
            if (!u.u[i].quoted && !u.u[i].cjk && !u.u[i].prefix) {
                u.u[i].forms = strdup("(\"word\" OR \"words\")");
                break;
            }
        size_t cap = idx_units_bound(text, &u);
        char *m = malloc(cap);
        for (int form = IDX_FORM_AND; m && form <= IDX_FORM_OR_STEM; form++) {
            int k = idx_units_render(u.u, u.n, form, m, cap);
            if (k < 0) abort(); /* the bound is always enough */
            if (k > 0) must_parse(db, m);
        }
        free(m);
        idx_units_free(&u);
    }
    free(text);
    free(out);
    return 0;
}
