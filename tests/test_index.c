/* tests/test_index.c: index unit tests: schema version and migration refusal, the writer lock,
 * replace/move/remove keeping FTS5 consistent (integrity-check after every change), CJK
 * queries of 1, 2 and 4 characters, diacritics, trigram substrings, and query quoting. */
#include "check.h"
#include "idx.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ing_doc *doc_from(const char *name, ing_kind kind, const char *lang, const char *text)
{
    ing_doc *d = NULL;
    char err[256];
    CHECK_EQ_INT(ing_doc_extract(name, kind, lang, text, strlen(text), NULL, &d, err, sizeof err), 0);
    return d;
}

static int put(idx *ix, const char *key, ing_kind kind, const char *lang, const char *text)
{
    ing_doc *d = doc_from(key, kind, lang, text);
    char hash[33];
    ing_hash_hex(text, strlen(text), hash);
    idx_docinput in = {.key = key, .path = key + 1, .kind = kind, .lang = lang,
                       .size = (int64_t)strlen(text), .mtime_ns = 1, .hash = hash};
    int rc = d ? idx_doc_put(ix, &in, d, NULL) : -1;
    ing_doc_destroy(d);
    return rc;
}

static size_t hits_for(idx *ix, const char *text, int raw, const char *must_path)
{
    idx_query q = {.text = text, .raw = raw, .limit = 20};
    idx_hit *h;
    size_t n;
    if (idx_search(ix, &q, &h, &n)) return (size_t)-1;
    for (size_t i = 0; i < n && must_path; i++)
        CHECK_MSG(!strcmp(h[i].path, must_path), "'%s' hit %s", text, h[i].path);
    idx_hits_free(h, n);
    return n;
}

static void test_quote(void)
{
    char out[256];
    CHECK_EQ_INT(idx_query_quote("say \"hi\" (now) AND x*", " ", out, sizeof out), 5);
    CHECK_STR(out, "\"say\" \"\"\"hi\"\"\" \"(now)\" \"AND\" \"x\"*");
    CHECK_EQ_INT(idx_query_quote("  ?? !! ", " ", out, sizeof out), 0);
    CHECK_EQ_INT(idx_query_quote("a b", " OR ", out, sizeof out), 2);
    CHECK_STR(out, "\"a\" OR \"b\"");
    CHECK_EQ_INT(idx_query_quote("abcdefgh", " ", out, 4), -1);
}

int main(void)
{
    test_quote();
    const char *dir = check_tmpdir("index");
    char db[4200], err[512];
    snprintf(db, sizeof db, "%s/lib.db", dir);
    idx *ix, *ix2, *rd;
    CHECK_EQ_INT(idx_open(db, IDX_WRITE, &ix, err, sizeof err), 0);
    if (!ix) return check_finish();
    CHECK_EQ_INT(idx_open(db, IDX_WRITE, &ix2, err, sizeof err), IDX_ELOCKED);
    char want[64];
    snprintf(want, sizeof want, "library is being indexed by pid %ld", (long)getpid());
    CHECK_MSG(strstr(err, want) != NULL, "%s", err);
    CHECK(ix2 == NULL);

    CHECK_EQ_INT(put(ix, "/lib/zh.md", ING_KIND_MARKDOWN, NULL,
                     "# 合同\n\n本合同的违约责任由双方协商。植物标本采集。\n"), 0);
    CHECK_EQ_INT(put(ix, "/lib/en.txt", ING_KIND_TEXT, NULL,
                     "The café serves naïve customers. Termination for convenience applies.\n"), 0);
    CHECK_EQ_INT(put(ix, "/lib/rdb.c", ING_KIND_CODE, "c",
                     "int rdbLoadObject(int type) {\n    return type;\n}\n"), 0);
    CHECK_EQ_INT(idx_check(ix), 0);

    CHECK_EQ_INT(idx_open(db, IDX_READ, &rd, err, sizeof err), 0); /* a reader during writes */
    if (rd) {
        CHECK_EQ_INT(hits_for(rd, "违", 0, "lib/zh.md"), 1);        /* 1 character */
        CHECK_EQ_INT(hits_for(rd, "标本", 0, "lib/zh.md"), 1);      /* 2 characters */
        CHECK_EQ_INT(hits_for(rd, "违约责任", 0, "lib/zh.md"), 1);  /* 4 characters */
        CHECK_EQ_INT(hits_for(rd, "责违", 0, NULL), 0);            /* not a substring */
        CHECK_EQ_INT(hits_for(rd, "违约责任是什么", 0, "lib/zh.md"), 1); /* bigram fallback */
        CHECK_EQ_INT(hits_for(rd, "cafe naive", 0, "lib/en.txt"), 1);   /* diacritics folded */
        CHECK_EQ_INT(hits_for(rd, "LoadObj", 0, "lib/rdb.c"), 1);       /* trigram substring */
        CHECK_EQ_INT(hits_for(rd, "rdbLoadObject", 0, "lib/rdb.c"), 1);
        CHECK_EQ_INT(hits_for(rd, "\"unbalanced ( NEAR AND", 0, NULL), 0);
        CHECK_EQ_INT(hits_for(rd, "termination OR nothing", 1, "lib/en.txt"), 1);
        idx_query q = {.text = "AND (", .raw = 1};
        idx_hit *h;
        size_t n;
        CHECK_EQ_INT(idx_search(rd, &q, &h, &n), IDX_ESYNTAX);
        q = (idx_query){.text = "convenience", .mark_open = "<", .mark_close = ">"};
        CHECK_EQ_INT(idx_search(rd, &q, &h, &n), 0);
        CHECK(n == 1 && strstr(h[0].snippet, "<convenience>") && h[0].page == 0 &&
              h[0].line_start == 1 && h[0].score > 0);
        idx_hits_free(h, n);
        q = (idx_query){.text = "convenience", .kind = ING_KIND_CODE};
        CHECK_EQ_INT(idx_search(rd, &q, &h, &n), 0);
        CHECK_EQ_INT(n, 0);
        idx_hits_free(h, n);
    }

    /* replace: same key, new content; chunks and FTS rows are replaced, not added */
    idx_stats s1, s2;
    idx_get_stats(ix, &s1);
    CHECK_EQ_INT(put(ix, "/lib/en.txt", ING_KIND_TEXT, NULL, "Entirely new words here.\n"), 0);
    idx_get_stats(ix, &s2);
    CHECK_EQ_INT(s2.documents, s1.documents);
    CHECK_EQ_INT(s2.chunks, s1.chunks);
    CHECK_EQ_INT(idx_check(ix), 0);
    if (rd) {
        CHECK_EQ_INT(hits_for(rd, "convenience", 0, NULL), 0);
        CHECK_EQ_INT(hits_for(rd, "entirely", 0, "lib/en.txt"), 1);
    }
    idx_docinfo info;
    CHECK_EQ_INT(idx_doc_lookup(ix, "/lib/en.txt", &info), 1);
    CHECK_EQ_INT(idx_doc_move(ix, info.id, "/lib/moved.txt", "lib/moved.txt", 5, 2), 0);
    CHECK_EQ_INT(idx_doc_lookup(ix, "/lib/en.txt", &info), 0);
    CHECK_EQ_INT(idx_doc_lookup(ix, "/lib/moved.txt", &info), 1);
    if (rd) CHECK_EQ_INT(hits_for(rd, "entirely", 0, "lib/moved.txt"), 1);
    CHECK_EQ_INT(idx_doc_remove(ix, info.id), 0);
    CHECK_EQ_INT(idx_check(ix), 0);
    if (rd) CHECK_EQ_INT(hits_for(rd, "entirely", 0, NULL), 0);
    idx_close(rd);
    idx_close(ix);
    idx_close(NULL);

    /* schema: version recorded; a newer one is refused */
    sqlite3 *raw;
    CHECK_EQ_INT(sqlite3_open(db, &raw), SQLITE_OK);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(raw, "PRAGMA user_version", -1, &st, NULL);
    CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == IDX_SCHEMA_VERSION);
    sqlite3_finalize(st);
    sqlite3_exec(raw, "PRAGMA user_version = 99", NULL, NULL, NULL);
    sqlite3_close(raw);
    CHECK_EQ_INT(idx_open(db, IDX_READ, &rd, err, sizeof err), IDX_ESCHEMA);
    CHECK(strstr(err, "newer") != NULL);
    snprintf(db, sizeof db, "%s/not-a-db", dir);
    FILE *f = fopen(db, "w");
    fputs("this is not a database, just some text that is long enough to be a header....", f);
    fclose(f);
    CHECK(idx_open(db, IDX_WRITE, &ix, err, sizeof err) < 0);
    CHECK(ix == NULL);
    return check_finish();
}
