/* tests/test_index.c: index unit tests: schema version and migration refusal, the writer lock,
 * replace/move/remove keeping FTS5 consistent (integrity-check after every change), CJK
 * queries of 1, 2 and 4 characters, diacritics, trigram substrings, substrings of identifiers,
 * the read-ahead worker and bulk loads, and query quoting. */
#include "check.h"
#include "idx.h"
#include "../index/idx_int.h" /* batches, to replace a document inside one */

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
    CHECK_STR(out, "\"say\" \"hi\" \"(now)\" \"AND\" \"x\"*");
    /* quotes make one phrase; one without its pair is dropped */
    CHECK_EQ_INT(idx_query_quote("\"whole object\" view", " ", out, sizeof out), 2);
    CHECK_STR(out, "\"whole object\" \"view\"");
    CHECK_EQ_INT(idx_query_quote("un\"balanced", " ", out, sizeof out), 2);
    CHECK_STR(out, "\"un\" \"balanced\"");
    /* CJK and other scripts apart: "vim退出" is two units */
    CHECK_EQ_INT(idx_query_quote("vim退出", " ", out, sizeof out), 2);
    CHECK_STR(out, "\"vim\" \"退出\"");
    CHECK_EQ_INT(idx_query_quote_ex("如何退出vim", " OR ", 1, out, sizeof out), 4);
    CHECK_STR(out, "\"如何\" OR \"何退\" OR \"退出\" OR \"vim\"");
    CHECK_EQ_INT(idx_query_quote("  ?? !! ", " ", out, sizeof out), 0);
    CHECK_EQ_INT(idx_query_quote("a b", " OR ", out, sizeof out), 2);
    CHECK_STR(out, "\"a\" OR \"b\"");
    CHECK_EQ_INT(idx_query_quote("abcdefgh", " ", out, 4), -1);
}

static long long sql_int(const char *db, const char *sql)
{
    sqlite3 *raw;
    sqlite3_stmt *st;
    long long v = -1;
    if (sqlite3_open_v2(db, &raw, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(raw, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(raw);
    return v;
}

/* How often `name` is stored in the identifier vocabulary (each block: '\n'-separated names). */
static int ident_count(const char *db, const char *name)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM ident_blocks WHERE ('\n' || names || '\n') LIKE '%%' || char(10) ||"
             " '%s' || char(10) || '%%'", name);
    return (int)sql_int(db, sql);
}

/* Substrings of code through the identifier vocabulary: any part of an identifier (underscores
 * included, any case) finds it; code chunks stay out of the trigram index; each name is stored
 * once, also across handles. */
static void test_substrings(const char *dir)
{
    char db[4200], err[512];
    snprintf(db, sizeof db, "%s/sub.db", dir);
    idx *ix;
    CHECK_EQ_INT(idx_open(db, IDX_WRITE, &ix, err, sizeof err), 0);
    if (!ix) return;
    CHECK_EQ_INT(put(ix, "/s/a.c", ING_KIND_CODE, "c",
                     "static int ledger_balance_total(void);\n"
                     "int RedisModuleLoadObjectX(int x) { return x; }\n"), 0);
    CHECK_EQ_INT(put(ix, "/s/b.py", ING_KIND_CODE, "python",
                     "def compute_Ledger(x):\n    return x\n"), 0);
    CHECK_EQ_INT(put(ix, "/s/zh.md", ING_KIND_MARKDOWN, NULL, "# 说明\n\n违约责任 ledger_note\n"), 0);
    CHECK_EQ_INT(hits_for(ix, "ger_bal", 0, "s/a.c"), 1);
    CHECK_EQ_INT(hits_for(ix, "OADOBJECTX", 0, "s/a.c"), 1);
    CHECK_EQ_INT(hits_for(ix, "ute_led", 0, "s/b.py"), 1);
    /* both code files, and the Markdown chunk: CJK text keeps its trigram index */
    CHECK_EQ_INT(hits_for(ix, "edger", 0, NULL), 3);
    CHECK_EQ_INT(hits_for(ix, "ger_bax", 0, NULL), 0);
    CHECK_EQ_INT(hits_for(ix, "约责", 0, "s/zh.md"), 1);
    CHECK_EQ_INT(put(ix, "/s/p.c", ING_KIND_CODE, "c",
                     "void step(struct node *node) { node->nextptr = ctx.reader; }\n"), 0);
    CHECK_EQ_INT(hits_for(ix, "->nextp", 0, "s/p.c"), 1); /* punctuation inside the word */
    CHECK_EQ_INT(hits_for(ix, "ctx.rea", 0, "s/p.c"), 1);
    CHECK_EQ_INT(hits_for(ix, "ctx.xyz", 0, NULL), 0);
    CHECK_EQ_INT(idx_check(ix), 0);
    idx_close(ix);
    CHECK_EQ_INT(sql_int(db, "SELECT count(*) FROM chunks c JOIN documents d ON d.id = c.doc_id"
                             " WHERE d.kind = 'code' AND c.tri"), 0);
    CHECK_EQ_INT(sql_int(db, "SELECT count(*) FROM chunks WHERE tri"), 1);
    CHECK_EQ_INT(idx_open(db, IDX_WRITE, &ix, err, sizeof err), 0);
    if (!ix) return;
    CHECK_EQ_INT(put(ix, "/s/c.c", ING_KIND_CODE, "c",
                     "long ledger_balance_total;\nint fresh_name_here;\n"), 0);
    CHECK_EQ_INT(put(ix, "/s/a.c", ING_KIND_CODE, "c", "int ledger_balance_total(void);\n"), 0);
    idx_close(ix);
    CHECK_EQ_INT(ident_count(db, "ledger_balance_total"), 1);
    CHECK_EQ_INT(ident_count(db, "fresh_name_here"), 1);
    CHECK_EQ_INT(ident_count(db, "redismoduleloadobjectx"), 1); /* names stay: harmless */

    /* Many names fill several blocks; a name in any of them is found, and later names top up
     * the last block instead of starting small ones. */
    enum { MANY = 9000 };
    char *big = malloc(MANY * 32);
    size_t o = 0;
    for (int i = 0; big && i < MANY; i++) o += (size_t)sprintf(big + o, "int name_%05d_tail;\n", i);
    CHECK_EQ_INT(idx_open(db, IDX_WRITE, &ix, err, sizeof err), 0);
    if (!ix || !big) return;
    CHECK_EQ_INT(put(ix, "/s/many.c", ING_KIND_CODE, "c", big), 0);
    free(big);
    long long blocks = sql_int(db, "SELECT count(*) FROM ident_blocks");
    CHECK_MSG(blocks >= 3, "%lld blocks", blocks);
    CHECK(sql_int(db, "SELECT max(length(names)) FROM ident_blocks") <= 65536);
    CHECK_EQ_INT(hits_for(ix, "e_08999_t", 0, "s/many.c"), 1);
    CHECK_EQ_INT(hits_for(ix, "me_00000_", 0, "s/many.c"), 1);
    CHECK_EQ_INT(put(ix, "/s/one.c", ING_KIND_CODE, "c", "int another_new_name;\n"), 0);
    CHECK_EQ_INT(sql_int(db, "SELECT count(*) FROM ident_blocks"), blocks);
    CHECK_EQ_INT(hits_for(ix, "ther_new_na", 0, "s/one.c"), 1);
    idx_close(ix);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK_MSG(f != NULL, "cannot write %s", path);
    if (f) fputs(text, f), fclose(f);
}

/* A folder of many files goes through the read-ahead worker and the bulk path: every file
 * indexed, the symbols name index there at the end; then a touched file (same content) is
 * unchanged, a renamed one moved, an edited one re-indexed. */
static void test_bulk(const char *dir)
{
    char src[4200], db[4200], p[4400], q[4400], err[512], text[256];
    snprintf(src, sizeof src, "%s/bulk", dir);
    snprintf(db, sizeof db, "%s/bulk.db", dir);
    snprintf(p, sizeof p, "mkdir -p '%s'", src);
    CHECK_EQ_INT(system(p), 0);
    enum { N = 90 };
    for (int i = 0; i < N; i++) {
        snprintf(p, sizeof p, "%s/f%02d.c", src, i);
        snprintf(text, sizeof text, "int bulk_fn_%d(int x) { return x + %d; }\n", i, i);
        write_file(p, text);
    }
    idx *ix;
    CHECK_EQ_INT(idx_open(db, IDX_WRITE, &ix, err, sizeof err), 0);
    if (!ix) return;
    const char *roots[] = {src};
    idx_summary sum;
    CHECK_EQ_INT(idx_update(ix, roots, 1, NULL, NULL, NULL, &sum), 0);
    CHECK_EQ_INT(sum.indexed, N);
    CHECK_EQ_INT(idx_check(ix), 0);
    CHECK_EQ_INT(sql_int(db, "SELECT count(*) FROM symbols WHERE name = 'bulk_fn_42'"), 1);
    idx_symbol *sy;
    size_t ns;
    CHECK_EQ_INT(idx_symbols_find(ix, "bulk_fn_42", 0, &sy, &ns), 0);
    CHECK(ns == 1 && strstr(sy[0].path, "f42.c") && !strcmp(sy[0].kind, "function") &&
          sy[0].line_start == 1);
    idx_symbols_free(sy, ns);
    idx_stats st;
    CHECK_EQ_INT(idx_get_stats(ix, &st), 0);
    CHECK_EQ_INT(st.symbols, N);
    CHECK_EQ_INT(hits_for(ix, "lk_fn_42", 0, NULL), 1);
    CHECK_EQ_INT(hits_for(ix, "lk_fn_7", 0, NULL), 11); /* 7 and 70..79 */
    snprintf(p, sizeof p, "touch -d '2001-01-01' '%s/f01.c'", src);
    CHECK_EQ_INT(system(p), 0);
    snprintf(p, sizeof p, "%s/f02.c", src);
    snprintf(q, sizeof q, "%s/renamed.c", src);
    CHECK_EQ_INT(rename(p, q), 0);
    snprintf(p, sizeof p, "%s/f03.c", src);
    write_file(p, "int bulk_edited_fn(void);\n");
    CHECK_EQ_INT(idx_update(ix, roots, 1, NULL, NULL, NULL, &sum), 0);
    CHECK_EQ_INT(sum.indexed, 1);
    CHECK_EQ_INT(sum.moved, 1);
    CHECK_EQ_INT(sum.unchanged, N - 2);
    CHECK_EQ_INT(hits_for(ix, "bulk_edited_fn", 0, p), 1);
    CHECK_EQ_INT(idx_check(ix), 0);
    idx_close(ix);
}

/* Symbols: found by exact name (case, underscores and punctuation matter), with kind, scope,
 * lines and a signature that survives JSON packing; replaced with their document. */
static void test_symbols(const char *dir)
{
    char db[4200], err[512];
    snprintf(db, sizeof db, "%s/symbols.db", dir);
    idx *ix;
    CHECK_EQ_INT(idx_open(db, IDX_WRITE, &ix, err, sizeof err), 0);
    if (!ix) return;
    CHECK_EQ_INT(put(ix, "/s/a.c", ING_KIND_CODE, "c",
                     "#define QUOTE \"a\\\\b\"\n"
                     "struct point { int x; };\n"
                     "static int point_len(const char *s,\n\tint n) {\n  return n;\n}\n"
                     "int Point_Len(void);\n"), 0);
    CHECK_EQ_INT(put(ix, "/s/b.py", ING_KIND_CODE, "python",
                     "class Shape:\n    def point_len(self):\n        return 1\n"), 0);
    idx_symbol *sy;
    size_t n;
    CHECK_EQ_INT(idx_symbols_find(ix, "point_len", 0, &sy, &n), 0);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK(!strcmp(sy[0].path, "s/a.c") && !strcmp(sy[0].kind, "function") &&
              sy[0].line_start == 3 && sy[0].line_end == 6 && sy[0].signature &&
              strstr(sy[0].signature, "const char *s") && strstr(sy[0].signature, "int n"));
        CHECK(!strcmp(sy[1].path, "s/b.py") && sy[1].scope && !strcmp(sy[1].scope, "Shape"));
    }
    idx_symbols_free(sy, n);
    CHECK_EQ_INT(idx_symbols_find(ix, "QUOTE", 0, &sy, &n), 0);
    CHECK(n == 1 && !strcmp(sy[0].kind, "macro"));
    idx_symbols_free(sy, n);
    CHECK_EQ_INT(idx_symbols_find(ix, "point", 0, &sy, &n), 0); /* whole names only */
    CHECK(n == 1 && !strcmp(sy[0].kind, "struct"));
    idx_symbols_free(sy, n);
    CHECK_EQ_INT(idx_symbols_find(ix, "Point_Len", 0, &sy, &n), 0); /* case matters */
    CHECK(n == 1 && sy[0].line_start == 7);
    idx_symbols_free(sy, n);
    CHECK_EQ_INT(idx_symbols_find(ix, "+", 0, &sy, &n), 0);
    CHECK_EQ_INT(n, 0);
    idx_symbols_free(sy, n);
    CHECK_EQ_INT(sql_int(db, "SELECT count(*) FROM symbols WHERE name = 'point_len'"), 2);
    CHECK_EQ_INT(put(ix, "/s/a.c", ING_KIND_CODE, "c", "int renamed_fn(void) { return 0; }\n"), 0);
    CHECK_EQ_INT(idx_symbols_find(ix, "point_len", 0, &sy, &n), 0);
    CHECK(n == 1 && !strcmp(sy[0].path, "s/b.py"));
    idx_symbols_free(sy, n);
    CHECK_EQ_INT(idx_check(ix), 0);
    idx_close(ix);
}

/* Chunks join FTS5 when their transaction commits; a document replaced (or removed) inside
 * the same open batch must first be in there, or its delete trigger would corrupt FTS5. */
static void test_replace_in_batch(const char *dir)
{
    char db[4200], err[512];
    snprintf(db, sizeof db, "%s/batch.db", dir);
    idx *ix;
    CHECK_EQ_INT(idx_open(db, IDX_WRITE, &ix, err, sizeof err), 0);
    if (!ix) return;
    CHECK_EQ_INT(idx_batch_begin(ix), 0);
    CHECK_EQ_INT(put(ix, "/b/one.c", ING_KIND_CODE, "c", "int first_version(void);\n"), 0);
    CHECK_EQ_INT(put(ix, "/b/two.txt", ING_KIND_TEXT, NULL, "unrelated words\n"), 0);
    CHECK_EQ_INT(put(ix, "/b/one.c", ING_KIND_CODE, "c", "int second_version(void);\n"), 0);
    idx_docinfo info;
    CHECK_EQ_INT(idx_doc_lookup(ix, "/b/two.txt", &info), 1);
    CHECK_EQ_INT(idx_doc_remove(ix, info.id), 0);
    CHECK_EQ_INT(idx_batch_commit(ix), 0);
    CHECK_EQ_INT(idx_check(ix), 0);
    CHECK_EQ_INT(hits_for(ix, "second_version", 0, "b/one.c"), 1);
    CHECK_EQ_INT(hits_for(ix, "first_version", 0, NULL), 0);
    CHECK_EQ_INT(hits_for(ix, "unrelated", 0, NULL), 0);
    /* An undone batch leaves nothing of its documents, in FTS5 or elsewhere. */
    CHECK_EQ_INT(idx_batch_begin(ix), 0);
    CHECK_EQ_INT(put(ix, "/b/three.md", ING_KIND_MARKDOWN, NULL, "# Gone\nvanishing text\n"), 0);
    CHECK(idx_tx_end(ix, IDX_ERR) != 0);
    CHECK_EQ_INT(idx_check(ix), 0);
    CHECK_EQ_INT(hits_for(ix, "vanishing", 0, NULL), 0);
    CHECK_EQ_INT(put(ix, "/b/four.md", ING_KIND_MARKDOWN, NULL, "# Kept\nremaining text\n"), 0);
    CHECK_EQ_INT(hits_for(ix, "remaining", 0, "b/four.md"), 1);
    idx_close(ix);
}

/* The words index as schemas 1 to 5 had it: no stems, no folding, no boilerplate flag. */
#define V5_WORDS_INDEX                                                                          \
    "BEGIN; DROP TRIGGER chunks_ad; DROP TABLE chunks_fts;"                                     \
    "DROP TABLE chunk_boiler;"                                                                  \
    "CREATE VIRTUAL TABLE chunks_fts USING fts5(text, heading, content='chunks',"               \
    " content_rowid='id', tokenize='folio_cjk unicode61 remove_diacritics 2');"                 \
    "INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild');"                                    \
    "CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN"                                     \
    " INSERT INTO chunks_fts(chunks_fts, rowid, text, heading)"                                 \
    " VALUES ('delete', old.id, old.text, old.heading); END; COMMIT;"

/* A library as schema 2 wrote it (insert triggers on chunks, one row per symbol) opens,
 * migrates, keeps its symbols, and stays consistent when documents are replaced afterwards. */
static void test_migrate_v2(const char *dir)
{
    char db[4200], err[512];
    snprintf(db, sizeof db, "%s/v2.db", dir);
    idx *ix;
    CHECK_EQ_INT(idx_open(db, IDX_WRITE, &ix, err, sizeof err), 0);
    if (!ix) return;
    CHECK_EQ_INT(put(ix, "/m/a.txt", ING_KIND_TEXT, NULL, "alpha words before\n"), 0);
    CHECK_EQ_INT(put(ix, "/m/k.c", ING_KIND_CODE, "c", "int kept_fn(int a);\nint other_fn(void);\n"), 0);
    idx_close(ix);
    sqlite3 *raw;
    CHECK_EQ_INT(sqlite3_open(db, &raw), SQLITE_OK);
    CHECK_EQ_INT(idx_register_tokenizer(raw), 0);
    CHECK_MSG(sqlite3_exec(raw, V5_WORDS_INDEX, NULL, NULL, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(raw));
    CHECK_EQ_INT(sqlite3_exec(raw,
        "BEGIN;"
        "CREATE TABLE old_symbols AS SELECT * FROM symbols;"
        "DROP VIEW symbols; DROP TABLE symbols_fts; DROP TABLE doc_symbols;"
        "DROP TABLE ident_blocks; CREATE VIRTUAL TABLE idents USING fts5(names, tokenize='trigram');"
        "INSERT INTO idents(names) VALUES ('int' || char(10) || 'kept_fn'), ('other_fn');"
        "CREATE TABLE symbols(id INTEGER PRIMARY KEY, doc_id INTEGER NOT NULL REFERENCES"
        " documents(id) ON DELETE CASCADE, name TEXT NOT NULL, kind TEXT, scope TEXT,"
        " line_start INTEGER, line_end INTEGER, signature TEXT);"
        "INSERT INTO symbols(doc_id, name, kind, scope, line_start, line_end, signature)"
        " SELECT * FROM old_symbols; DROP TABLE old_symbols;"
        "CREATE INDEX symbols_name ON symbols(name); CREATE INDEX symbols_doc ON symbols(doc_id);"
        "CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN INSERT INTO chunks_fts(rowid,"
        " text, heading) VALUES (new.id, new.text, new.heading); END;"
        "CREATE TRIGGER chunks_ai_tri AFTER INSERT ON chunks WHEN new.tri BEGIN INSERT INTO"
        " chunks_tri(rowid, text) VALUES (new.id, new.text); END; PRAGMA user_version = 2;"
        "COMMIT;",
        NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    CHECK_EQ_INT(sql_int(db, "SELECT count(*) FROM symbols"), 2);
    CHECK_EQ_INT(idx_open(db, IDX_WRITE, &ix, err, sizeof err), 0);
    if (!ix) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK_EQ_INT(sql_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
                             " AND name LIKE 'chunks_ai%'"), 0);
    CHECK_EQ_INT(sql_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                             " AND name = 'symbols'"), 0);
    idx_symbol *sy;
    size_t n;
    CHECK_EQ_INT(idx_symbols_find(ix, "kept_fn", 0, &sy, &n), 0);
    CHECK(n == 1 && !strcmp(sy[0].path, "m/k.c") && sy[0].line_start == 1 && sy[0].signature &&
          !strcmp(sy[0].signature, "int kept_fn(int a)"));
    idx_symbols_free(sy, n);
    CHECK_EQ_INT(idx_check(ix), 0);
    CHECK_EQ_INT(hits_for(ix, "EPT_F", 0, "m/k.c"), 1); /* the identifiers moved over */
    CHECK_EQ_INT(hits_for(ix, "her_f", 0, "m/k.c"), 1);
    CHECK_EQ_INT(put(ix, "/m/a.txt", ING_KIND_TEXT, NULL, "omega words after 植物\n"), 0);
    CHECK_EQ_INT(put(ix, "/m/k.c", ING_KIND_CODE, "c", "int new_fn(void);\n"), 0);
    CHECK_EQ_INT(idx_check(ix), 0);
    CHECK_EQ_INT(hits_for(ix, "omega", 0, "m/a.txt"), 1);
    CHECK_EQ_INT(hits_for(ix, "植", 0, "m/a.txt"), 1);
    CHECK_EQ_INT(hits_for(ix, "alpha", 0, NULL), 0);
    CHECK_EQ_INT(idx_symbols_find(ix, "kept_fn", 0, &sy, &n), 0);
    CHECK_EQ_INT(n, 0);
    idx_symbols_free(sy, n);
    idx_close(ix);
}

/* The Porter stemmer against the outputs of the published algorithm. */
static void test_stem(void)
{
    static const char *const pairs[][2] = {
        {"caresses", "caress"}, {"ponies", "poni"}, {"ties", "ti"}, {"caress", "caress"},
        {"cats", "cat"}, {"feed", "feed"}, {"agreed", "agre"}, {"plastered", "plaster"},
        {"motoring", "motor"}, {"sing", "sing"}, {"conflated", "conflat"}, {"troubled", "troubl"},
        {"sized", "size"}, {"hopping", "hop"}, {"tanned", "tan"}, {"falling", "fall"},
        {"hissing", "hiss"}, {"fizzed", "fizz"}, {"failing", "fail"}, {"filing", "file"},
        {"happy", "happi"}, {"sky", "sky"}, {"relational", "relat"}, {"conditional", "condit"},
        {"rational", "ration"}, {"digitizer", "digit"}, {"vietnamization", "vietnam"},
        {"predication", "predic"}, {"operator", "oper"}, {"feudalism", "feudal"},
        {"decisiveness", "decis"}, {"hopefulness", "hope"}, {"callousness", "callous"},
        {"formaliti", "formal"}, {"sensitiviti", "sensit"}, {"sensibiliti", "sensibl"},
        {"triplicate", "triplic"}, {"formative", "form"}, {"formalize", "formal"},
        {"electriciti", "electr"}, {"electrical", "electr"}, {"hopeful", "hope"},
        {"goodness", "good"}, {"revival", "reviv"}, {"allowance", "allow"},
        {"inference", "infer"}, {"airliner", "airlin"}, {"gyroscopic", "gyroscop"},
        {"adjustable", "adjust"}, {"defensible", "defens"}, {"irritant", "irrit"},
        {"replacement", "replac"}, {"adjustment", "adjust"}, {"dependent", "depend"},
        {"adoption", "adopt"}, {"communism", "commun"}, {"activate", "activ"},
        {"angulariti", "angular"}, {"homologous", "homolog"}, {"effective", "effect"},
        {"bowdlerize", "bowdler"}, {"probate", "probat"}, {"rate", "rate"}, {"cease", "ceas"},
        {"controll", "control"}, {"roll", "roll"}, {"generalizations", "gener"},
        {"oscillators", "oscil"}, {"suppressing", "suppress"}, {"suppressed", "suppress"},
        {"leaks", "leak"}, {"leaking", "leak"},
    };
    char out[IDX_STEM_MAX + 1];
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        int n = idx_stem(pairs[i][0], (int)strlen(pairs[i][0]), out);
        CHECK_MSG(n > 0 && !strcmp(out, pairs[i][1]), "%s -> %s, expected %s", pairs[i][0],
                  n > 0 ? out : "(none)", pairs[i][1]);
    }
    CHECK_EQ_INT(idx_stem("ab", 2, out), 0);      /* too short */
    CHECK_EQ_INT(idx_stem("x86_64", 6, out), 0);  /* not a word of letters */
    CHECK_EQ_INT(idx_stem("Leaks", 5, out), 0);   /* the tokenizer folds case first */
}

/* Tables of contents and indexes, and content that looks a little like them. */
static void test_boiler(void)
{
    CHECK(idx_boiler_detect("Contents\n1 Introduction . . . . . . . 1\n2 Usage . . . . . . 3\n"
                            "2.1 Options . . . . . . . . 4\n3 Examples . . . . . 7\n", NULL));
    CHECK(idx_boiler_detect("Inhaltsverzeichnis\n1 Vorwort3\n2 Weiteres Kapitel\n2.1 Abschnitt"
                            " . . . . . . .\n4\n5\n3 Zwei Kapitel sind zu wenig6\n", NULL));
    CHECK(idx_boiler_detect("array, 3, 12-14\nbox, 7\ncolumn width, 2, 5, 9\ndimen, 4\n"
                            "environment, 1, 6\nfootnote, 11\ngrid, 8–10\nhline, 3\n", NULL));
    CHECK(idx_boiler_detect("tabular, 3\ntabularx, 1, 2, 5\nwidth, 4\n", "Index"));
    CHECK(!idx_boiler_detect("The licensee shall pay the fees within 30 days of the invoice.\n"
                             "Either party may terminate this agreement for convenience with\n"
                             "notice of 90 days. Nothing in this section limits section 12.\n",
                             NULL));
    CHECK(!idx_boiler_detect("Revenue 1,234 5,678\nCosts 1,000 2,000\nProfit 234 3,678\n"
                             "Tax 100 1,200\nNet 134 2,478\nShares 1,000 1,000\nEPS 0.13 2.48\n"
                             "Dividend 0.10 0.20\n", NULL));
    CHECK(!idx_boiler_detect("Index\n", NULL)); /* a heading alone is no index */
}

static void put_docs(idx *ix, const char *const docs[][2], size_t n)
{
    for (size_t i = 0; i < n; i++)
        CHECK_EQ_INT(put(ix, docs[i][0], ING_KIND_TEXT, NULL, docs[i][1]), 0);
}

/* Hits of q (top 10): h[0] must be `first` with kind `how`; scores fall with the order and
 * their tens are the kind. */
static void ranked(idx *ix, const char *text, const char *first, idx_match how)
{
    idx_query q = {.text = text, .limit = 10};
    idx_hit *h;
    size_t n;
    CHECK_MSG(idx_search(ix, &q, &h, &n) == 0, "%s", idx_errmsg(ix));
    CHECK_MSG(n > 0 && !strcmp(h[0].path, first) && h[0].match == how, "'%s': first %s (%s)",
              text, n ? h[0].path : "-", n ? idx_match_name(h[0].match) : "-");
    for (size_t i = 0; i < n; i++) {
        CHECK_MSG((int)(h[i].score / 10) == (int)h[i].match, "'%s': score %.3f for %s", text,
                  h[i].score, idx_match_name(h[i].match));
        if (i) CHECK_MSG(h[i - 1].score >= h[i].score, "'%s': scores out of order", text);
    }
    idx_hits_free(h, n);
}

/* The kinds of match in their order, stems below exact words, boilerplate below content,
 * quotes, and CJK next to Latin letters. */
static void test_ranking(const char *dir)
{
    char db[4200], err[512];
    snprintf(db, sizeof db, "%s/rank.db", dir);
    idx *ix;
    CHECK_EQ_INT(idx_open(db, IDX_WRITE, &ix, err, sizeof err), 0);
    if (!ix) return;
    static const char *const docs[][2] = {
        {"/r/phrase.txt", "Press v to enter the whole object view of the model.\n"},
        {"/r/apart.txt", "The view shows an object. Whole numbers only. The view, the object, "
                         "the view again: whole, whole, object, view, object, whole.\n"},
        {"/r/near.txt", "An object view that is whole and complete.\n"},
        {"/r/leaks.txt", "Valgrind reports leaks when memory is lost.\n"},
        {"/r/leak.txt", "Run a leak check on the service.\n"},
        {"/r/suppressing.txt", "Suppressing warnings hides real problems.\n"},
        {"/r/suppress.txt", "Use a file to suppress them.\n"},
        {"/r/toc.txt", "Contents\n1 Overview . . . . . . . . 1\n2 Termination . . . . . . 5\n"
                       "3 Payment terms . . . . . . . 7\n4 Notices . . . . . . . 9\n"},
        {"/r/terms.txt", "Termination of the agreement needs ninety days of notice in "
                         "writing, after the first year.\n"},
        {"/r/vim.md", "# 编辑器\n\n如何退出 vim 编辑器：输入 :q 即可退出vim。\n"},
        {"/r/im.c", "int im = 0; /* 如何 */\n"},
    };
    put_docs(ix, docs, sizeof docs / sizeof *docs);
    ranked(ix, "whole object view", "r/phrase.txt", IDX_MATCH_PHRASE);
    ranked(ix, "\"whole object\" view", "r/phrase.txt", IDX_MATCH_PHRASE);
    CHECK_EQ_INT(hits_for(ix, "\"model object\"", 0, NULL), 0); /* quotes keep the order */
    CHECK_EQ_INT(hits_for(ix, "\"whole object\" model", 0, "r/phrase.txt"), 1);
    ranked(ix, "object view complete", "r/near.txt", IDX_MATCH_NEAR);
    ranked(ix, "leak", "r/leak.txt", IDX_MATCH_ALL);
    CHECK_EQ_INT(hits_for(ix, "leak", 0, NULL), 2);
    ranked(ix, "leaks", "r/leaks.txt", IDX_MATCH_ALL);
    CHECK_EQ_INT(hits_for(ix, "leaks", 0, NULL), 2);
    ranked(ix, "suppress", "r/suppress.txt", IDX_MATCH_ALL);
    CHECK_EQ_INT(hits_for(ix, "suppress", 0, NULL), 2);
    ranked(ix, "suppressed warning", "r/suppressing.txt", IDX_MATCH_STEM);
    ranked(ix, "termination", "r/terms.txt", IDX_MATCH_ALL);
    idx_query q = {.text = "termination", .limit = 10};
    idx_hit *h;
    size_t n;
    CHECK_EQ_INT(idx_search(ix, &q, &h, &n), 0);
    CHECK(n == 2 && !h[0].boilerplate && h[1].boilerplate && strstr(h[1].snippet, "\xE2\x80\xA6") &&
          !strstr(h[1].snippet, ". . ."));
    idx_hits_free(h, n);
    ranked(ix, "vim退出", "r/vim.md", IDX_MATCH_NEAR);
    ranked(ix, "如何退出vim", "r/vim.md", IDX_MATCH_PHRASE);
    CHECK_EQ_INT(hits_for(ix, "如何退出vim", 0, "r/vim.md"), 1); /* not the code with "im" */
    CHECK_EQ_INT(idx_check(ix), 0);
    idx_close(ix);
}

/* Presentation forms, ligatures and fullwidth letters are found by the letters users type,
 * and the other way round; highlights fall on the original text. */
static const char *fold_entry(unsigned cp)
{
    for (unsigned i = 0; i < idx_fold_count; i++)
        if (idx_fold_table[i].cp == cp) return idx_fold_table[i].to;
    return NULL;
}

static void test_fold(const char *dir)
{
    for (unsigned i = 1; i < idx_fold_count; i++)
        CHECK(idx_fold_table[i - 1].cp < idx_fold_table[i].cp); /* binary search needs it */
    CHECK(fold_entry(0xFB01) && !strcmp(fold_entry(0xFB01), "fi"));
    CHECK(fold_entry(0xFEFB) && !strcmp(fold_entry(0xFEFB), "\xD9\x84\xD8\xA7"));
    CHECK(fold_entry(0xFF41) && !strcmp(fold_entry(0xFF41), "a"));
    CHECK(fold_entry(0xFE8E) && !strcmp(fold_entry(0xFE8E), "\xD8\xA7"));
    CHECK(fold_entry(0xFDFD) == NULL); /* the bismillah ligature has no decomposition */
    char db[4200], err[512];
    snprintf(db, sizeof db, "%s/fold.db", dir);
    idx *ix;
    CHECK_EQ_INT(idx_open(db, IDX_WRITE, &ix, err, sizeof err), 0);
    if (!ix) return;
    static const char *const docs[][2] = {
        /* "مرحبا بالعالم لا" in Arabic presentation forms B, the lam-alef ligature last */
        {"/f/ar.txt", "\xEF\xBB\xA3\xEF\xBA\xAE\xEF\xBA\xA3\xEF\xBA\x92\xEF\xBA\x8E "
                      "\xEF\xBA\x91\xEF\xBA\x8E\xEF\xBB\x9F\xEF\xBB\x8C\xEF\xBA\x8E\xEF\xBB\xA0"
                      "\xEF\xBB\xA2 \xEF\xBB\xBB end\n"},
        {"/f/lig.txt", "The con\xEF\xAC\x81guration \xEF\xAC\x81le of \xEF\xBD\x96\xEF\xBD\x89"
                       "\xEF\xBD\x8D.\n"},
        {"/f/base.txt", "\xD8\xB3\xD9\x84\xD8\xA7\xD9\x85 plain letters\n"},
    };
    put_docs(ix, docs, sizeof docs / sizeof *docs);
    CHECK_EQ_INT(hits_for(ix, "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7", 0, "f/ar.txt"), 1);
    CHECK_EQ_INT(hits_for(ix, "\xD8\xA8\xD8\xA7\xD9\x84\xD8\xB9\xD8\xA7\xD9\x84\xD9\x85", 0,
                          "f/ar.txt"), 1);
    CHECK_EQ_INT(hits_for(ix, "\xD9\x84\xD8\xA7", 0, "f/ar.txt"), 1); /* lam-alef */
    CHECK_EQ_INT(hits_for(ix, "configuration file", 0, "f/lig.txt"), 1);
    CHECK_EQ_INT(hits_for(ix, "vim", 0, "f/lig.txt"), 1);
    CHECK_EQ_INT(hits_for(ix, "\xEF\xBD\x96\xEF\xBD\x89\xEF\xBD\x8D", 0, "f/lig.txt"), 1);
    /* "سلام" typed in presentation forms finds the base letters */
    CHECK_EQ_INT(hits_for(ix, "\xEF\xBA\xB3\xEF\xBB\xA0\xEF\xBA\x8E\xEF\xBB\xA1", 0, "f/base.txt"), 1);
    idx_query q = {.text = "file"};
    idx_hit *h;
    size_t n;
    CHECK_EQ_INT(idx_search(ix, &q, &h, &n), 0);
    CHECK_MSG(n == 1 && strstr(h[0].snippet, "[\xEF\xAC\x81le]"), "%s", n ? h[0].snippet : "-");
    idx_hits_free(h, n);
    CHECK_EQ_INT(idx_check(ix), 0);
    idx_close(ix);
}

/* A query of 1,200 words answers within a generous bound, from its rarest words. */
static void test_long_query(const char *dir)
{
    char db[4200], err[512];
    snprintf(db, sizeof db, "%s/long.db", dir);
    idx *ix;
    CHECK_EQ_INT(idx_open(db, IDX_WRITE, &ix, err, sizeof err), 0);
    if (!ix) return;
    enum { DOCS = 400, WORDS = 1200 };
    static char text[1 << 16];
    unsigned r = 12345;
    CHECK_EQ_INT(idx_batch_begin(ix), 0);
    for (int d = 0; d < DOCS; d++) {
        size_t o = 0;
        for (int w = 0; w < 600; w++) {
            r = r * 1103515245u + 12345u;
            unsigned k = (r >> 16) % 3000;
            o += (size_t)snprintf(text + o, sizeof text - o, "w%u%s", k % 7 ? k % 60 : k,
                                  w % 12 == 11 ? ".\n" : " ");
        }
        char key[64];
        snprintf(key, sizeof key, "/l/doc%03d.txt", d);
        CHECK_EQ_INT(put(ix, key, ING_KIND_TEXT, NULL, text), 0);
    }
    CHECK_EQ_INT(idx_batch_commit(ix), 0);
    size_t o = 0;
    for (int w = 0; w < WORDS; w++) {
        r = r * 1103515245u + 12345u;
        o += (size_t)snprintf(text + o, sizeof text - o, "w%u ", (r >> 16) % 3000);
    }
    idx_query q = {.text = text, .limit = 10};
    idx_hit *h;
    size_t n;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_EQ_INT(idx_search(ix, &q, &h, &n), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    CHECK_MSG(s < 3.0, "a %d-word query took %.2f s", WORDS, s);
    CHECK(n > 0);
    idx_hits_free(h, n);
    idx_units u;
    CHECK_EQ_INT(idx_units_parse(text, &u), 0);
    CHECK_EQ_INT(u.n, WORDS);
    CHECK_EQ_INT(idx_units_cap(ix, &u, IDX_QUERY_TERMS), 0);
    CHECK_EQ_INT(u.n, IDX_QUERY_TERMS);
    idx_units_free(&u);
    idx_close(ix);
}

/* A library as schema 5 wrote it, from real documents (fixture PDFs with a table of contents,
 * text in presentation forms): the migration re-tokenizes every chunk and flags the table of
 * contents; search, updates and the integrity checks work on the result. */
static void test_migrate_v5(const char *dir)
{
    char src[4200], db[4200], cmd[9000], err[512];
    snprintf(src, sizeof src, "%s/v5src", dir);
    snprintf(db, sizeof db, "%s/v5.db", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s/texlive-publishers-doc__beispiel-leitprogramm.pdf'"
             " '%s/texlive-latex-base-doc__tabularx.pdf' '%s/'", src,
             check_shared("fixtures/docs/pdfs/files"), check_shared("fixtures/docs/pdfs/files"), src);
    if (system(cmd)) {
        fprintf(stderr, "test_migrate_v5: fixtures missing, skipped\n");
        return;
    }
    snprintf(cmd, sizeof cmd, "%s/forms.txt", src);
    write_file(cmd, "Valgrind reports leaks. \xEF\xBB\xA3\xEF\xBA\xAE\xEF\xBA\xA3\xEF\xBA\x92"
                    "\xEF\xBA\x8E and the con\xEF\xAC\x81guration.\n");
    idx *ix;
    CHECK_EQ_INT(idx_open(db, IDX_WRITE, &ix, err, sizeof err), 0);
    if (!ix) return;
    const char *roots[] = {src};
    idx_summary sum;
    CHECK_EQ_INT(idx_update(ix, roots, 1, NULL, NULL, NULL, &sum), 0);
    CHECK_EQ_INT(sum.indexed, 3);
    idx_close(ix);
    long long toc = sql_int(db, "SELECT count(*) FROM chunk_boiler");
    CHECK(toc >= 1);
    sqlite3 *raw;
    CHECK_EQ_INT(sqlite3_open(db, &raw), SQLITE_OK);
    CHECK_EQ_INT(idx_register_tokenizer(raw), 0);
    CHECK_MSG(sqlite3_exec(raw, V5_WORDS_INDEX "PRAGMA user_version = 5;", NULL, NULL, NULL) ==
                  SQLITE_OK, "%s", sqlite3_errmsg(raw));
    sqlite3_close(raw);
    CHECK_EQ_INT(idx_open(db, IDX_READ, &ix, err, sizeof err), IDX_ESCHEMA);
    CHECK(strstr(err, "needs migrating") != NULL);
    CHECK_EQ_INT(idx_open(db, IDX_WRITE, &ix, err, sizeof err), 0);
    if (!ix) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    CHECK_EQ_INT(sql_int(db, "PRAGMA user_version"), IDX_SCHEMA_VERSION);
    CHECK_EQ_INT(sql_int(db, "SELECT count(*) FROM chunk_boiler"), toc);
    CHECK_EQ_INT(idx_check(ix), 0);
    snprintf(cmd, sizeof cmd, "%s/forms.txt", src);
    ranked(ix, "leak", cmd, IDX_MATCH_STEM);
    CHECK_EQ_INT(hits_for(ix, "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7", 0, NULL), 1);
    CHECK_EQ_INT(hits_for(ix, "configuration", 0, NULL), 1);
    idx_query q = {.text = "Abschnitt", .limit = 20};
    idx_hit *h;
    size_t n;
    CHECK_EQ_INT(idx_search(ix, &q, &h, &n), 0);
    CHECK(n >= 2 && !h[0].boilerplate && h[n - 1].boilerplate && h[n - 1].page == 2);
    idx_hits_free(h, n);
    CHECK_EQ_INT(idx_update(ix, roots, 1, NULL, NULL, NULL, &sum), 0);
    CHECK_EQ_INT(sum.unchanged, 3);
    snprintf(cmd, sizeof cmd, "%s/forms.txt", src);
    write_file(cmd, "Nothing left of it.\n");
    CHECK_EQ_INT(idx_update(ix, roots, 1, NULL, NULL, NULL, &sum), 0);
    CHECK_EQ_INT(sum.indexed, 1);
    CHECK_EQ_INT(hits_for(ix, "configuration", 0, NULL), 0);
    CHECK_EQ_INT(idx_check(ix), 0);
    idx_close(ix);
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
    test_substrings(dir);
    test_bulk(dir);
    test_replace_in_batch(dir);
    test_symbols(dir);
    test_migrate_v2(dir);
    test_stem();
    test_boiler();
    test_ranking(dir);
    test_fold(dir);
    test_long_query(dir);
    test_migrate_v5(dir);
    return check_finish();
}
