/* tests/test_refs.c: references of code: the scanner (comments and literals told apart, calls,
 * definitions, enclosing functions) in C, Python, JavaScript, Go and Rust; the index (lookups,
 * callers, callees, incremental updates, damaged rows) and the schema 6 -> 7 migration on a
 * library of folio's own source. */
#include "check.h"
#include "idx.h"
#include "idx_int.h"
#include "ing.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ing_doc *extract(const char *name, const char *lang, const char *text)
{
    ing_doc *d = NULL;
    char err[256];
    ing_opts o = {.ctags_mode = ING_CTAGS_NEVER};
    CHECK_EQ_INT(ing_doc_extract(name, ING_KIND_CODE, lang, text, strlen(text), &o, &d, err,
                                 sizeof err), 0);
    return d;
}

/* The flags of the n-th (0-based) occurrence of `name` at `line`, or -1 when there is none;
 * *encl (may be NULL) gets the enclosing function's name. */
static int ref_at(const ing_doc *d, const char *name, int line, const char **encl)
{
    for (size_t i = 0; i < ing_doc_nrefs(d); i++) {
        const ing_ref *r = ing_doc_ref(d, i);
        if (r->line != line || strcmp(ing_doc_refname(d, r->name), name)) continue;
        if (encl) *encl = r->sym >= 0 ? ing_doc_symbol(d, (size_t)r->sym)->name : NULL;
        return (int)r->flags;
    }
    return -1;
}

static int count_name(const ing_doc *d, const char *name)
{
    int n = 0;
    for (size_t i = 0; i < ing_doc_nrefs(d); i++)
        n += !strcmp(ing_doc_refname(d, ing_doc_ref(d, i)->name), name);
    return n;
}

static void test_scan_c(void)
{
    const char *src = "#include <stdio.h>\n"                        /* 1 */
                      "#define TWICE(x) helper(x) * 2\n"            /* 2 */
                      "static int helper(int v) { return v; }\n"    /* 3 */
                      "/* helper(1) in a comment */\n"              /* 4 */
                      "int\n"                                       /* 5 */
                      "main_loop(void)\n"                           /* 6 */
                      "{\n"                                         /* 7 */
                      "    const char *s = \"helper(2) \\\" x\";\n" /* 8 */
                      "    int n = helper (3); // helper(4)\n"      /* 9 */
                      "    char c = '\\'';\n"                       /* 10 */
                      "    return TWICE(n) + c + s[0];\n"           /* 11 */
                      "}\n";
    ing_doc *d = extract("a.c", "c", src);
    if (!d) return;
    const char *encl = NULL;
    CHECK_EQ_INT(count_name(d, "stdio"), 0);         /* #include names a file */
    CHECK_EQ_INT(ref_at(d, "helper", 2, &encl), ING_REF_CALL); /* inside the macro's body */
    CHECK(encl && !strcmp(encl, "TWICE"));
    CHECK(ref_at(d, "helper", 3, NULL) & ING_REF_DEF);
    CHECK_EQ_INT(ref_at(d, "helper", 4, NULL), -1);  /* comment */
    CHECK_EQ_INT(ref_at(d, "helper", 8, NULL), -1);  /* string literal */
    CHECK_EQ_INT(ref_at(d, "helper", 9, &encl), ING_REF_CALL);
    CHECK(encl && !strcmp(encl, "main_loop"));
    CHECK_EQ_INT(count_name(d, "helper"), 3);        /* line 9's comment holds none */
    CHECK(ref_at(d, "main_loop", 6, NULL) & ING_REF_DEF);
    CHECK_EQ_INT(ref_at(d, "n", 11, NULL), 0);
    CHECK_EQ_INT(ref_at(d, "c", 11, NULL), 0);       /* '\'' did not swallow the line */
    CHECK_EQ_INT(count_name(d, "return") + count_name(d, "int") + count_name(d, "char"), 0);
    for (size_t i = 0; i < ing_doc_nrefs(d); i++) {  /* columns point at the name */
        const ing_ref *r = ing_doc_ref(d, i);
        const char *l = src;
        for (int k = 1; k < r->line; k++) l = strchr(l, '\n') + 1;
        const char *nm = ing_doc_refname(d, r->name);
        CHECK_MSG(!strncmp(l + r->col - 1, nm, strlen(nm)), "%s at %d:%d", nm, r->line, r->col);
    }
    ing_doc_destroy(d);
}

/* A macro continued over lines does not shift the lines of the definitions after it. */
static void test_macro_lines(void)
{
    ing_doc *d = extract("m.h", "c", "#define LONG(a) \\\n    (a)\n#define NEXT(b) LONG(b)\n");
    if (!d) return;
    int seen = 0;
    for (size_t i = 0; i < ing_doc_nsymbols(d); i++) {
        const ing_symbol *s = ing_doc_symbol(d, i);
        if (!strcmp(s->name, "NEXT")) {
            CHECK_EQ_INT(s->line_start, 3);
            seen++;
        }
        if (!strcmp(s->name, "LONG")) {
            CHECK_EQ_INT(s->line_end, 2);
            seen++;
        }
    }
    CHECK_EQ_INT(seen, 2);
    CHECK_EQ_INT(ref_at(d, "LONG", 3, NULL), ING_REF_CALL);
    ing_doc_destroy(d);
}

static void test_scan_others(void)
{
    ing_doc *d = extract("m.py", "python",
                         "import os\n"                       /* 1 */
                         "def load(path):\n"                 /* 2 */
                         "    '''load(x) in a docstring'''\n" /* 3 */
                         "    return parse(path)  # parse(y)\n" /* 4 */
                         "class Box:\n"                      /* 5 */
                         "    def open(self):\n"             /* 6 */
                         "        s = \"parse(z)\"\n"        /* 7 */
                         "        return load(s)\n"          /* 8 */
                         "load('x')\n");                     /* 9 */
    const char *encl = NULL;
    if (d) {
        CHECK_EQ_INT(ref_at(d, "load", 3, NULL), -1);
        CHECK_EQ_INT(ref_at(d, "parse", 4, &encl), ING_REF_CALL);
        CHECK(encl && !strcmp(encl, "load"));
        CHECK_EQ_INT(count_name(d, "parse"), 1);
        CHECK_EQ_INT(ref_at(d, "load", 8, &encl), ING_REF_CALL);
        CHECK(encl && !strcmp(encl, "open"));
        CHECK_EQ_INT(ref_at(d, "load", 9, &encl), ING_REF_CALL);
        CHECK(encl == NULL); /* module level */
        CHECK(ref_at(d, "load", 2, NULL) & ING_REF_DEF);
        CHECK_EQ_INT(count_name(d, "def") + count_name(d, "self") + count_name(d, "return"), 0);
        ing_doc_destroy(d);
    }
    d = extract("a.js", "javascript", "const t = `run(${x})`; // run(1)\nrun(t, /* run */ 2);\n");
    if (d) {
        CHECK_EQ_INT(count_name(d, "run"), 1);
        CHECK_EQ_INT(ref_at(d, "run", 2, NULL), ING_REF_CALL);
        ing_doc_destroy(d);
    }
    d = extract("a.go", "go", "package main\nvar s = `go(1)\nraw`\nfunc f() { g() }\n");
    if (d) {
        CHECK_EQ_INT(count_name(d, "go"), 0);
        CHECK_EQ_INT(ref_at(d, "g", 4, NULL), ING_REF_CALL);
        ing_doc_destroy(d);
    }
    d = extract("a.rs", "rust", "fn f<'a>(x: &'a str) -> char { let c = 'q'; g(x); c }\n");
    if (d) {
        CHECK_EQ_INT(ref_at(d, "g", 1, NULL), ING_REF_CALL); /* 'a is a lifetime, 'q' a char */
        CHECK_EQ_INT(count_name(d, "q"), 0);
        ing_doc_destroy(d);
    }
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static long long sql_int(const char *db, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    long long v = -1;
    if (sqlite3_open(db, &h) == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(h);
    return v;
}

static int has_ref(const idx_ref *r, size_t n, const char *path, int line, const char *scope)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(r[i].path, path) && r[i].line == line &&
            (!scope || (r[i].scope && !strcmp(r[i].scope, scope))))
            return 1;
    return 0;
}

static void test_index_refs(const char *dir)
{
    char src[4200], p[8800], db[4300], err[512];
    snprintf(src, sizeof src, "%s/repo", dir);
    snprintf(db, sizeof db, "%s/refs.db", dir);
    snprintf(p, sizeof p, "mkdir -p '%s'", src);
    CHECK_EQ_INT(system(p), 0);
    snprintf(p, sizeof p, "%s/lib.c", src);
    write_file(p, "int add(int a, int b)\n{\n    return a + b;\n}\n"
                  "int twice(int a) { return add(a, a); }\n");
    snprintf(p, sizeof p, "%s/main.c", src);
    write_file(p, "int add(int, int);\nint twice(int);\n"
                  "int main(void)\n{\n    /* add(9, 9) */\n    return add(1, 2) + twice(3);\n}\n");
    idx *ix;
    CHECK_EQ_INT(idx_open(db, IDX_WRITE, &ix, err, sizeof err), 0);
    if (!ix) return;
    const char *roots[] = {src};
    idx_update_opts uo = {.rel_root = src};
    idx_summary sum;
    CHECK_EQ_INT(idx_update(ix, roots, 1, &uo, NULL, NULL, &sum), 0);
    idx_ref *r;
    size_t n;
    CHECK_EQ_INT(idx_refs_find(ix, "add", 0, 0, &r, &n), 0);
    CHECK_EQ_INT(n, 2); /* the prototype and the definition are not uses; the comment is none */
    CHECK(has_ref(r, n, "lib.c", 5, "twice") && has_ref(r, n, "main.c", 6, "main"));
    for (size_t i = 0; i < n; i++) CHECK(r[i].text && strstr(r[i].text, "add("));
    idx_refs_free(r, n);
    CHECK_EQ_INT(idx_refs_find(ix, "ADD", 0, 0, &r, &n), 0);
    CHECK_EQ_INT(n, 0); /* case matters */
    idx_refs_free(r, n);
    CHECK_EQ_INT(idx_refs_callees(ix, "main", 0, &r, &n), 0);
    CHECK_EQ_INT(n, 2);
    CHECK(n == 2 && !strcmp(r[0].name, "add") && !strcmp(r[1].name, "twice"));
    idx_refs_free(r, n);
    /* An edit: the call moves, a new caller comes; a removed file takes its uses along. */
    snprintf(p, sizeof p, "%s/main.c", src);
    write_file(p, "int add(int, int);\nint main(void)\n{\n\n    return add(1, 2);\n}\n"
                  "int other(void) { return add(0, 0); }\n");
    CHECK_EQ_INT(idx_update(ix, roots, 1, &uo, NULL, NULL, &sum), 0);
    CHECK_EQ_INT(idx_refs_find(ix, "add", 1, 0, &r, &n), 0);
    CHECK(n == 3 && has_ref(r, n, "main.c", 5, "main") && has_ref(r, n, "main.c", 7, "other"));
    idx_refs_free(r, n);
    snprintf(p, sizeof p, "%s/lib.c", src);
    unlink(p);
    CHECK_EQ_INT(idx_update(ix, roots, 1, &uo, NULL, NULL, &sum), 0);
    CHECK_EQ_INT(idx_refs_find(ix, "add", 0, 0, &r, &n), 0);
    CHECK_EQ_INT(n, 2);
    idx_refs_free(r, n);
    CHECK_EQ_INT(idx_check(ix), 0);
    idx_close(ix);
    /* A damaged row is an error that names the document, never a crash. */
    snprintf(p, sizeof p, "sqlite3 '%s' \"UPDATE doc_refs SET post = x'ff'\"", db);
    if (system(p) == 0) {
        CHECK_EQ_INT(idx_open(db, IDX_READ, &ix, err, sizeof err), 0);
        if (!ix) return;
        CHECK(idx_refs_find(ix, "add", 0, 0, &r, &n) < 0);
        CHECK(strstr(idx_errmsg(ix), "damaged") != NULL);
        idx_close(ix);
    }
}

/* A library of folio's own index/ source as schema 6 left it (no references): the migration
 * marks its code, the next update reads it again, and the references are there. */
static void test_migrate_v6(const char *dir)
{
    char src[4200], cmd[9000], db[4300], err[512];
    snprintf(src, sizeof src, "%s/v6src", dir);
    snprintf(db, sizeof db, "%s/v6.db", dir);
    const char *top = getenv("FOLIO_SOURCE");
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s'/index/*.c '%s'/index/*.h '%s/'", src,
             top ? top : ".", top ? top : ".", src);
    if (system(cmd)) {
        fprintf(stderr, "test_migrate_v6: no source tree, skipped\n");
        return;
    }
    idx *ix;
    CHECK_EQ_INT(idx_open(db, IDX_WRITE, &ix, err, sizeof err), 0);
    if (!ix) return;
    const char *roots[] = {src};
    idx_update_opts uo = {.rel_root = src};
    idx_summary sum;
    CHECK_EQ_INT(idx_update(ix, roots, 1, &uo, NULL, NULL, &sum), 0);
    size_t files = sum.indexed;
    CHECK(files > 10);
    idx_close(ix);
    long long syms = sql_int(db, "SELECT count(*) FROM symbols");
    snprintf(cmd, sizeof cmd, "sqlite3 '%s' \"DROP TRIGGER doc_refs_ad; DROP TABLE refs_fts;"
             " DROP TABLE doc_refs; PRAGMA user_version = 6;\"", db);
    if (system(cmd)) {
        fprintf(stderr, "test_migrate_v6: no sqlite3 shell, skipped\n");
        return;
    }
    CHECK_EQ_INT(idx_open(db, IDX_READ, &ix, err, sizeof err), IDX_ESCHEMA);
    CHECK_EQ_INT(idx_open(db, IDX_WRITE, &ix, err, sizeof err), 0);
    if (!ix) return;
    CHECK_EQ_INT(sql_int(db, "PRAGMA user_version"), IDX_SCHEMA_VERSION);
    CHECK_EQ_INT(idx_refs_pending(ix), files);
    idx_ref *r;
    size_t n;
    CHECK_EQ_INT(idx_refs_find(ix, "idx_stmt", 0, 0, &r, &n), 0);
    CHECK_EQ_INT(n, 0);
    idx_refs_free(r, n);
    CHECK_EQ_INT(idx_update(ix, roots, 1, &uo, NULL, NULL, &sum), 0);
    CHECK_EQ_INT(sum.indexed, files);
    CHECK_EQ_INT(idx_refs_pending(ix), 0);
    CHECK_EQ_INT(sql_int(db, "SELECT count(*) FROM symbols"), syms);
    CHECK_EQ_INT(idx_refs_find(ix, "idx_stmt", 1, 0, &r, &n), 0);
    CHECK(n > 10);
    CHECK(has_ref(r, n, "refs.c", 0, NULL) == 0); /* lines are real lines */
    for (size_t i = 0; i < n; i++) CHECK(r[i].text && strstr(r[i].text, "idx_stmt"));
    idx_refs_free(r, n);
    CHECK_EQ_INT(idx_check(ix), 0);
    CHECK_EQ_INT(idx_update(ix, roots, 1, &uo, NULL, NULL, &sum), 0);
    CHECK_EQ_INT(sum.unchanged, files);
    idx_close(ix);
}

int main(void)
{
    const char *tmp = getenv("FOLIO_TEST_TMP");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/refs.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) return 1;
    test_scan_c();
    test_macro_lines();
    test_scan_others();
    test_index_refs(dir);
    test_migrate_v6(dir);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) return 1;
    return check_finish();
}
