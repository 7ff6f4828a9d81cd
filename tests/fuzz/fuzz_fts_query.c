/* tests/fuzz/fuzz_fts_query.c: arbitrary user text through idx_query_quote must always give an
 * FTS5 query that SQLite accepts (AND and OR forms, and a single quoted word as a prefix, which
 * search tries for code with punctuation inside a word), whatever the bytes. */
#include "idx.h"

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
    free(text);
    free(out);
    return 0;
}
