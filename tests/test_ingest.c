/* tests/test_ingest.c: ingest unit tests: gitignore matching, the walker (ignore files, default
 * skips, size limit, binaries, link loops), chunk provenance invariants, PDF fixtures
 * (page counts, broken files), and symbols (fixed expectations, and Universal Ctags if present). */
#include "check.h"
#include "ing.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static void write_file(const char *dir, const char *rel, const char *text)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    for (char *s = p + strlen(dir) + 1; (s = strchr(s, '/')); s++) {
        *s = 0;
        mkdir(p, 0755);
        *s = '/';
    }
    FILE *f = fopen(p, "wb");
    if (!f) {
        perror(p);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
}

static void test_glob(void)
{
    CHECK(ing_glob_match("*.o", "main.o"));
    CHECK(!ing_glob_match("*.o", "dir/main.o"));
    CHECK(ing_glob_match("**/x", "x"));
    CHECK(ing_glob_match("**/x", "a/b/x"));
    CHECK(ing_glob_match("a/**/b", "a/b"));
    CHECK(ing_glob_match("a/**/b", "a/x/y/b"));
    CHECK(!ing_glob_match("a/**/b", "a/x/y/c"));
    CHECK(ing_glob_match("a/**", "a/x/y"));
    CHECK(ing_glob_match("file[0-9].txt", "file7.txt"));
    CHECK(!ing_glob_match("file[!0-9].txt", "file7.txt"));
    CHECK(ing_glob_match("\\*lit", "*lit"));
    CHECK(!ing_glob_match("\\*lit", "xlit"));
    CHECK(ing_glob_match("?.c", "a.c"));
    CHECK(!ing_glob_match("?.c", "/.c"));
    /* a pathological pattern ends (budget), without a match */
    CHECK(!ing_glob_match("*a*a*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));

    ing_ignore *ig = ing_ignore_create();
    const char *root = "# comment\n*.o\n!keep.o\nbuild/\n/top.txt\ndocs/**/draft.md\n\\#hash\n";
    CHECK_EQ_INT(ing_ignore_add(ig, "", root, strlen(root)), 6);
    CHECK(ing_ignore_match(ig, "a.o", 0));
    CHECK(ing_ignore_match(ig, "src/a.o", 0));
    CHECK(!ing_ignore_match(ig, "keep.o", 0));
    CHECK(ing_ignore_match(ig, "build", 1));
    CHECK(!ing_ignore_match(ig, "build", 0)); /* directory-only rule, a file named build */
    CHECK(ing_ignore_match(ig, "top.txt", 0));
    CHECK(!ing_ignore_match(ig, "sub/top.txt", 0)); /* anchored */
    CHECK(ing_ignore_match(ig, "docs/a/b/draft.md", 0));
    CHECK(ing_ignore_match(ig, "#hash", 0));
    size_t mark = ing_ignore_mark(ig);
    const char *sub = "!*.o\n";
    ing_ignore_add(ig, "src", sub, strlen(sub));
    CHECK(!ing_ignore_match(ig, "src/a.o", 0)); /* the deeper file wins */
    CHECK(ing_ignore_match(ig, "lib/a.o", 0));
    ing_ignore_pop(ig, mark);
    CHECK(ing_ignore_match(ig, "src/a.o", 0));
    ing_ignore_destroy(ig);
    ing_ignore_destroy(NULL);
}

typedef struct seen {
    char names[64][256];
    char skips[64][64];
    int n;
} seen;

static int on_entry(void *user, const ing_entry *e)
{
    seen *s = user;
    if (s->n < 64) {
        snprintf(s->names[s->n], 256, "%s", e->relpath);
        snprintf(s->skips[s->n], 64, "%s", e->skip ? e->skip : "");
        s->n++;
    }
    return 0;
}

static int find(const seen *s, const char *rel)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->names[i], rel)) return i;
    return -1;
}

static void test_walk(void)
{
    const char *dir = check_tmpdir("walk");
    write_file(dir, "a.md", "# A\n");
    write_file(dir, "b.o", "x");
    write_file(dir, "keep.log", "kept\n");
    write_file(dir, "drop.log", "dropped\n");
    write_file(dir, ".gitignore", "*.log\n!keep.log\nsecret/\n");
    write_file(dir, "secret/s.txt", "hidden\n");
    write_file(dir, "src/.folioignore", "gen_*.c\n");
    write_file(dir, "src/main.c", "int main(void) { return 0; }\n");
    write_file(dir, "src/gen_x.c", "int x;\n");
    write_file(dir, "node_modules/m.js", "x\n");
    write_file(dir, ".git/config", "x\n");
    write_file(dir, "big.txt", "0123456789012345678901234567890123456789\n");
    write_file(dir, "script", "#!/usr/bin/env python3\nprint(1)\n");
    write_file(dir, "pkg/__init__.py", "");
    write_file(dir, "empty.pdf", "");
    char p[4096];
    snprintf(p, sizeof p, "%s/blob", dir);
    FILE *f = fopen(p, "wb");
    fwrite("ab\0cd", 1, 5, f);
    fclose(f);
    snprintf(p, sizeof p, "%s/src/loop", dir);
    CHECK(symlink("..", p) == 0); /* a link back to the root: must not loop */
    ing_walk_opts o = {.max_size = 36};
    seen s = {0};
    char err[256];
    CHECK_EQ_INT(ing_walk(dir, &o, on_entry, &s, err, sizeof err), 0);
    CHECK(find(&s, "a.md") >= 0);
    CHECK(find(&s, "keep.log") >= 0);
    CHECK(find(&s, "drop.log") < 0);
    CHECK(find(&s, "secret/s.txt") < 0);
    CHECK(find(&s, "src/main.c") >= 0);
    CHECK(find(&s, "src/gen_x.c") < 0);
    CHECK(find(&s, "node_modules/m.js") < 0);
    CHECK(find(&s, ".git/config") < 0);
    CHECK(find(&s, "src/loop/a.md") < 0);
    int i = find(&s, "big.txt");
    CHECK(i >= 0 && strstr(s.skips[i], "size"));
    i = find(&s, "b.o");
    CHECK(i >= 0 && strstr(s.skips[i], "binary"));
    i = find(&s, "blob");
    CHECK(i >= 0 && strstr(s.skips[i], "binary"));
    i = find(&s, "script");
    CHECK(i >= 0 && !s.skips[i][0]);
    i = find(&s, "pkg/__init__.py"); /* empty code: nothing to index, and nothing wrong */
    CHECK(i >= 0 && !strcmp(s.skips[i], "empty file"));
    i = find(&s, "empty.pdf"); /* an empty PDF is a broken one: extraction reports it */
    CHECK(i >= 0 && !s.skips[i][0]);
    CHECK(s.n == 9);

    ing_entry e;
    char buf[4096];
    CHECK_EQ_INT(ing_walk_check(dir, "src/main.c", &o, &e, buf, sizeof buf), 1);
    CHECK(e.kind == ING_KIND_CODE && !strcmp(e.lang, "c"));
    CHECK_EQ_INT(ing_walk_check(dir, "src/gen_x.c", &o, &e, buf, sizeof buf), 0);
    CHECK_EQ_INT(ing_walk_check(dir, "secret/s.txt", &o, &e, buf, sizeof buf), 0);
    CHECK_EQ_INT(ing_walk_check(dir, "drop.log", &o, &e, buf, sizeof buf), 0);
    CHECK_EQ_INT(ing_walk_check(dir, "keep.log", &o, &e, buf, sizeof buf), 1);
    CHECK(ing_walk(check_shared("no/such/dir"), &o, on_entry, &s, err, sizeof err) < 0);
    CHECK(strstr(err, "no/such/dir") != NULL);
}

/* Every chunk's text lies within its declared line range of the source (provenance), chunks
 * stay under the size cap, and they come in order without overlapping. */
static void check_provenance(const ing_doc *d, const char *src_or_null, int paged)
{
    int prev_page = 0, prev_end = 0;
    for (size_t i = 0; i < ing_doc_nchunks(d); i++) {
        const ing_chunk *c = ing_doc_chunk(d, i);
        const char *src = paged ? ing_doc_page_text(d, c->page) : src_or_null;
        CHECK(src != NULL);
        if (!src) continue;
        CHECK(c->line_start >= 1 && c->line_end >= c->line_start);
        const char *a = src;
        for (int l = 1; l < c->line_start && a; l++) a = strchr(a, '\n'), a = a ? a + 1 : a;
        const char *b = a;
        for (int l = c->line_start; l <= c->line_end && b; l++) b = strchr(b, '\n'), b = b ? b + 1 : b;
        CHECK(a != NULL);
        if (!a) continue;
        size_t n = b ? (size_t)(b - a) : strlen(a);
        char *range = strndup(a, n);
        CHECK_MSG(strstr(range, c->text) != NULL, "chunk %zu (lines %d-%d) not in its range",
                  i, c->line_start, c->line_end);
        free(range);
        CHECK(c->page > prev_page || (c->page == prev_page && c->line_start >= prev_end));
        prev_page = c->page, prev_end = c->line_end;
        int words = 0, in = 0;
        for (const char *p = c->text; *p; p++) {
            int sp = *p == ' ' || *p == '\n' || *p == '\t';
            if (!sp && !in) words++;
            in = !sp;
        }
        CHECK_MSG(words <= ING_CHUNK_MAX_WORDS, "chunk %zu has %d words", i, words);
    }
}

typedef struct skipped_dirs {
    char rel[16][256];
    int rule[16], n;
} skipped_dirs;

static void on_skip_dir(void *user, const char *path, const char *relpath, ing_dir_rule rule,
                        const char *why)
{
    skipped_dirs *s = user;
    CHECK(path && why && *why && strstr(path, relpath));
    if (s->n < 16) snprintf(s->rel[s->n], 256, "%s", relpath), s->rule[s->n++] = (int)rule;
}

static int skipped_rule(const skipped_dirs *s, const char *rel)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->rel[i], rel)) return s->rule[i];
    return 0;
}

static void walk_into(const char *dir, seen *s, skipped_dirs *sk)
{
    memset(s, 0, sizeof *s), memset(sk, 0, sizeof *sk);
    ing_walk_opts o = {.on_skip_dir = on_skip_dir, .skip_user = sk};
    char err[256];
    CHECK_EQ_INT(ing_walk(dir, &o, on_entry, s, err, sizeof err), 0);
}

/* Folders left out are reported with their rule; .gitignore applies only inside a git work tree
 * (or where .folioignore opts in), as git itself reads it. Made under /tmp: the build folder
 * sits inside this repository's own work tree. */
static void test_walk_rules(void)
{
    char dir[] = "/tmp/folio-walkrules.XXXXXX", p[4200];
    if (!mkdtemp(dir)) return;
    snprintf(p, sizeof p, "%s/.git", "/tmp");
    if (access(p, F_OK) == 0) return; /* /tmp itself in a work tree: nothing to show here */
    write_file(dir, ".gitignore", "*.log\nignored/\n");
    write_file(dir, "a.log", "a log\n");
    write_file(dir, "b.txt", "text\n");
    write_file(dir, "ignored/x.txt", "x\n");
    write_file(dir, "build/y.c", "int y;\n");
    write_file(dir, ".cache/z.txt", "z\n");
    write_file(dir, "node_modules/m.js", "m\n");
    write_file(dir, ".folio/index.db", "db\n");
    write_file(dir, "sub/.gitignore", "*.md\n");
    write_file(dir, "sub/r.md", "# r\n");
    write_file(dir, "sub/deeper/q.md", "# q\n");
    seen s;
    skipped_dirs sk;
    char buf[8192];
    ing_entry e;
    walk_into(dir, &s, &sk);
    CHECK(find(&s, "a.log") >= 0 && find(&s, "ignored/x.txt") >= 0 && find(&s, "b.txt") >= 0);
    CHECK(find(&s, "sub/r.md") >= 0);
    CHECK(ing_walk_check(dir, "a.log", NULL, &e, buf, sizeof buf) == 1);
    CHECK_EQ_INT(sk.n, 3);
    CHECK(skipped_rule(&sk, "build") == ING_DIR_DEFAULT_RULE);
    CHECK(skipped_rule(&sk, ".cache") == ING_DIR_DEFAULT_RULE);
    CHECK(skipped_rule(&sk, "node_modules") == ING_DIR_DEFAULT_RULE);
    CHECK(!skipped_rule(&sk, ".folio") && !skipped_rule(&sk, "ignored"));

    write_file(dir, ".folioignore", "# read the .gitignore files here too\n #folio: gitignore \n");
    walk_into(dir, &s, &sk);
    CHECK(find(&s, "a.log") < 0 && find(&s, "ignored/x.txt") < 0 && find(&s, "b.txt") >= 0);
    CHECK(find(&s, "sub/r.md") < 0 && find(&s, "sub/deeper/q.md") < 0);
    CHECK(skipped_rule(&sk, "ignored") == ING_DIR_IGNORE_FILE);
    CHECK(ing_walk_check(dir, "a.log", NULL, &e, buf, sizeof buf) == 0);
    CHECK(ing_walk_check(dir, "sub/deeper/q.md", NULL, &e, buf, sizeof buf) == 0);
    snprintf(p, sizeof p, "%s/.folioignore", dir);
    unlink(p);

    /* A repository inside the folder: its own .gitignore applies there, not above it. */
    write_file(dir, "sub/.git/HEAD", "ref: refs/heads/main\n");
    walk_into(dir, &s, &sk);
    CHECK(find(&s, "a.log") >= 0 && find(&s, "sub/r.md") < 0 && find(&s, "sub/deeper/q.md") < 0);
    CHECK(!skipped_rule(&sk, "sub/.git"));
    CHECK(ing_walk_check(dir, "sub/deeper/q.md", NULL, &e, buf, sizeof buf) == 0);
    CHECK(ing_walk_check(dir, "a.log", NULL, &e, buf, sizeof buf) == 1);

    /* The whole folder a work tree: every .gitignore applies, .git is left out silently. */
    write_file(dir, ".git/HEAD", "ref: refs/heads/main\n");
    walk_into(dir, &s, &sk);
    CHECK(find(&s, "a.log") < 0 && find(&s, "ignored/x.txt") < 0 && find(&s, "b.txt") >= 0);
    CHECK(skipped_rule(&sk, "ignored") == ING_DIR_IGNORE_FILE && !skipped_rule(&sk, ".git"));
    snprintf(p, sizeof p, "%s/sub", dir);
    walk_into(p, &s, &sk); /* walked from below: the .git above still counts */
    CHECK(find(&s, "r.md") < 0);
    /* Man page names: roff when the content is text, skipped (not failed) when binary. */
    write_file(dir, "zz.1", ".TH ZZ 1\n.SH NAME\nzz\n");
    snprintf(p, sizeof p, "%s/wtmp.1", dir);
    FILE *f = fopen(p, "wb");
    fwrite("\0\0\7\0binary", 1, 10, f);
    fclose(f);
    CHECK(ing_walk_check(dir, "zz.1", NULL, &e, buf, sizeof buf) == 1 &&
          e.kind == ING_KIND_TEXT && e.lang && !strcmp(e.lang, "roff"));
    CHECK(ing_walk_check(dir, "wtmp.1", NULL, &e, buf, sizeof buf) == 1 && e.skip && !e.error);
    snprintf(p, sizeof p, "rm -rf '%s'", dir);
    CHECK(system(p) == 0);
}

static void test_markdown(void)
{
    char *md = malloc(200000);
    size_t o = 0;
    o += (size_t)sprintf(md + o, "# Guide\n\nIntro words here.\n\n## Install\n\n");
    for (int p = 0; p < 12; p++) {
        for (int w = 0; w < 60; w++) o += (size_t)sprintf(md + o, "word%d ", w);
        o += (size_t)sprintf(md + o, "\n\n");
    }
    o += (size_t)sprintf(md + o, "```\n# not a heading\n```\n\nUsage\n-----\n\nlast words\n");
    ing_doc *d;
    char err[256];
    CHECK_EQ_INT(ing_doc_extract("g.md", ING_KIND_MARKDOWN, NULL, md, o, NULL, &d, err, sizeof err), 0);
    CHECK(d && ing_doc_nchunks(d) >= 4);
    if (d) {
        check_provenance(d, md, 0);
        CHECK_STR(ing_doc_meta(d)->title, "Guide");
        const ing_chunk *first = ing_doc_chunk(d, 0), *last = ing_doc_chunk(d, ing_doc_nchunks(d) - 1);
        CHECK_STR(first->heading, "Guide");
        CHECK_STR(ing_doc_chunk(d, 1)->heading, "Guide > Install");
        CHECK_STR(last->heading, "Guide > Usage");
        CHECK(strstr(last->text, "last words") != NULL);
        CHECK_EQ_INT(first->page, 0);
        /* the fenced "# not a heading" does not open a section */
        for (size_t i = 0; i < ing_doc_nchunks(d); i++)
            CHECK(!strstr(ing_doc_chunk(d, i)->heading, "not a heading"));
    }
    ing_doc_destroy(d);
    ing_doc_destroy(NULL);
    free(md);
}

static int has_sym(const ing_doc *d, const char *kind, const char *name)
{
    for (size_t i = 0; i < ing_doc_nsymbols(d); i++) {
        const ing_symbol *s = ing_doc_symbol(d, i);
        if (!strcmp(s->name, name) && !strcmp(s->kind, kind)) return (int)i + 1;
    }
    return 0;
}

static const char c_src[] =
    "/* a comment with a brace { and a quote ' */\n"
    "#include <stdio.h>\n"
    "#define MAX_ITEMS 16\n"
    "typedef struct point { int x, y; } point;\n"
    "enum color { RED, GREEN = 2, BLUE };\n"
    "static const char *names[] = {\"a{\", \"b\"};\n"
    "int add(int a, int b);\n"
    "static int\n"
    "add(int a, int b)\n"
    "{\n"
    "    if (a) { return a + b; }\n"
    "    return b;\n"
    "}\n"
    "typedef int (*cmp_fn)(const void *, const void *);\n"
    "struct list {\n"
    "    struct list *next;\n"
    "    int value;\n"
    "};\n"
    "#ifdef __cplusplus\n"
    "extern \"C\" {\n"
    "#endif\n"
    "void api_call(void) { }\n"
    "#ifdef __cplusplus\n"
    "}\n"
    "#endif\n";

static void test_code(void)
{
    ing_doc *d;
    char err[256];
    CHECK_EQ_INT(ing_doc_extract("x.c", ING_KIND_CODE, "c", c_src, strlen(c_src), NULL, &d, err,
                                 sizeof err), 0);
    if (!d) return;
    CHECK(has_sym(d, "macro", "MAX_ITEMS"));
    CHECK(has_sym(d, "struct", "point"));
    CHECK(has_sym(d, "typedef", "point"));
    CHECK(has_sym(d, "enum", "color"));
    CHECK(has_sym(d, "enumerator", "GREEN"));
    CHECK(has_sym(d, "enumerator", "BLUE"));
    CHECK(has_sym(d, "variable", "names"));
    CHECK(has_sym(d, "prototype", "add"));
    CHECK(has_sym(d, "typedef", "cmp_fn"));
    CHECK(has_sym(d, "struct", "list"));
    CHECK(has_sym(d, "member", "value"));
    CHECK(has_sym(d, "function", "api_call"));
    int k = has_sym(d, "function", "add");
    CHECK(k);
    if (k) {
        const ing_symbol *s = ing_doc_symbol(d, (size_t)k - 1);
        CHECK_EQ_INT(s->line_start, 8);
        CHECK_EQ_INT(s->line_end, 13);
        CHECK_STR(s->signature, "static int add(int a, int b)");
    }
    CHECK(!has_sym(d, "function", "if"));
    check_provenance(d, c_src, 0);
    ing_doc_destroy(d);

    static const char py[] = "import os\n\nLIMIT = 3\n\nclass Shape(object):\n    def area(self):\n"
                             "        return 0\n\n    async def fetch(self,\n              url):\n"
                             "        pass\n\ndef main(argv):\n    return Shape()\n";
    CHECK_EQ_INT(ing_doc_extract("x.py", ING_KIND_CODE, "python", py, strlen(py), NULL, &d, err,
                                 sizeof err), 0);
    if (!d) return;
    CHECK(has_sym(d, "class", "Shape"));
    CHECK(has_sym(d, "member", "area"));
    CHECK(has_sym(d, "member", "fetch"));
    CHECK(has_sym(d, "function", "main"));
    CHECK(has_sym(d, "variable", "LIMIT"));
    k = has_sym(d, "class", "Shape");
    if (k) CHECK_EQ_INT(ing_doc_symbol(d, (size_t)k - 1)->line_end, 11);
    ing_doc_destroy(d);
}

/* The built-in C scanner against Universal Ctags (the reference) on the same file. */
static void test_against_ctags(void)
{
    char ctags[4096];
    if (!ing_ctags_find(ctags, sizeof ctags)) {
        printf("ctags not installed: built-in scanner not compared\n");
        return;
    }
    const char *dir = check_tmpdir("ctags");
    write_file(dir, "x.c", c_src);
    char path[4200];
    snprintf(path, sizeof path, "%s/x.c", dir);
    ing_opts with = {.ctags = ctags, .ctags_mode = ING_CTAGS_ALWAYS}, without = {0};
    ing_doc *ref, *own;
    char err[256];
    CHECK_EQ_INT(ing_doc_extract(path, ING_KIND_CODE, "c", c_src, strlen(c_src), &with, &ref, err,
                                 sizeof err), 0);
    CHECK_EQ_INT(ing_doc_extract(path, ING_KIND_CODE, "c", c_src, strlen(c_src), &without, &own,
                                 err, sizeof err), 0);
    if (!ref || !own) return;
    int total = 0, found = 0;
    for (size_t i = 0; i < ing_doc_nsymbols(ref); i++) {
        const ing_symbol *s = ing_doc_symbol(ref, i);
        if (!strncmp(s->name, "__anon", 6)) continue;
        total++;
        int k = has_sym(own, s->kind, s->name);
        if (k) found++;
        else printf("ctags has %s %s, the built-in scanner does not\n", s->kind, s->name);
        if (k && !strcmp(s->kind, "function"))
            CHECK_EQ_INT(ing_doc_symbol(own, (size_t)k - 1)->line_end, s->line_end);
    }
    CHECK_MSG(total >= 12 && found == total, "%d of %d ctags symbols found", found, total);
    ing_doc_destroy(ref);
    ing_doc_destroy(own);
}

/* Symbols of a language without a built-in scanner (Go) from one running ctags, the same as
 * from a ctags per file; a file ctags cannot read gives no symbols and the session goes on;
 * a ctags killed under it is started again. */
static void test_ctags_session(void)
{
    char ctags[4096];
    if (!ing_ctags_find(ctags, sizeof ctags)) {
        printf("ctags not installed: session not tested\n");
        return;
    }
    const char *dir = check_tmpdir("ctags-session");
    const char *go = "package main\n\nfunc Hello() int {\n\treturn 1\n}\n\n"
                     "type Point struct {\n\tX int\n}\n";
    write_file(dir, "a.go", go);
    char path[4200], missing[4200];
    snprintf(path, sizeof path, "%s/a.go", dir);
    snprintf(missing, sizeof missing, "%s/gone.go", dir);
    ing_ctags *session;
    CHECK_EQ_INT(ing_ctags_create(ctags, &session), 0);
    if (!session) return;
    ing_opts per_file = {.ctags = ctags}, shared = {.ctags = ctags, .ctags_session = session};
    ing_doc *ref = NULL, *d = NULL;
    char err[256];
    CHECK_EQ_INT(ing_doc_extract(path, ING_KIND_CODE, "go", go, strlen(go), &per_file, &ref, err,
                                 sizeof err), 0);
    for (int round = 0; ref && round < 3; round++) {
        if (round == 1) { /* a file ctags cannot open: no symbols, no failure */
            CHECK_EQ_INT(ing_doc_extract(missing, ING_KIND_CODE, "go", go, strlen(go), &shared, &d,
                                         err, sizeof err), 0);
            CHECK(d && ing_doc_nsymbols(d) == 0);
            ing_doc_destroy(d);
            char kill_it[128]; /* our own ctags only; the next file starts it again */
            snprintf(kill_it, sizeof kill_it, "pkill -KILL -P %ld -f -- '[-]-_interactive'",
                     (long)getpid()); /* [-]: the shell's own command line must not match */
            CHECK_EQ_INT(system(kill_it), 0);
        }
        CHECK_EQ_INT(ing_doc_extract(path, ING_KIND_CODE, "go", go, strlen(go), &shared, &d, err,
                                     sizeof err), 0);
        if (!d) break;
        CHECK(ing_doc_nsymbols(ref) >= 3);
        CHECK_EQ_INT(ing_doc_nsymbols(d), ing_doc_nsymbols(ref));
        for (size_t i = 0; i < ing_doc_nsymbols(d) && i < ing_doc_nsymbols(ref); i++) {
            const ing_symbol *a = ing_doc_symbol(d, i), *b = ing_doc_symbol(ref, i);
            CHECK(!strcmp(a->name, b->name) && !strcmp(a->kind, b->kind) &&
                  a->line_start == b->line_start && a->line_end == b->line_end);
        }
        CHECK(has_sym(d, "func", "Hello") && has_sym(d, "struct", "Point"));
        ing_doc_destroy(d);
    }
    ing_doc_destroy(ref);
    ing_ctags_destroy(session);
    ing_ctags_destroy(NULL);
}

/* Text saved as UTF-16 (either byte order, with its mark, a surrogate pair) or with a UTF-8
 * byte order mark reads as plain UTF-8; the walker takes an extensionless UTF-16 file as text. */
static void test_encodings(void)
{
    static const unsigned char le[] = {0xFF, 0xFE, 'h', 0, 'i', 0, ' ', 0, 0xE9, 0, ' ', 0,
                                       0x3D, 0xD8, 0x00, 0xDE, '\n', 0};
    static const unsigned char be[] = {0xFE, 0xFF, 0, 'h', 0, 'i', 0, ' ', 0, 0xE9, 0, ' ',
                                       0xD8, 0x3D, 0xDE, 0x00, 0, '\n'};
    static const unsigned char bom8[] = {0xEF, 0xBB, 0xBF, 'h', 'i', ' ', 0xC3, 0xA9, ' ',
                                         0xF0, 0x9F, 0x98, 0x80, '\n'};
    const char *want = "hi \xC3\xA9 \xF0\x9F\x98\x80"; /* hi é 😀 */
    const unsigned char *in[] = {le, be, bom8};
    size_t len[] = {sizeof le, sizeof be, sizeof bom8};
    for (int i = 0; i < 3; i++) {
        ing_doc *d = NULL;
        char err[256];
        CHECK_EQ_INT(ing_doc_extract("t.txt", ING_KIND_TEXT, NULL, in[i], len[i], NULL, &d, err,
                                     sizeof err), 0);
        CHECK_MSG(d && ing_doc_nchunks(d) == 1 && strstr(ing_doc_chunk(d, 0)->text, want) ==
                                                         ing_doc_chunk(d, 0)->text,
                  "encoding %d: '%s'", i, d && ing_doc_nchunks(d) ? ing_doc_chunk(d, 0)->text : "");
        ing_doc_destroy(d);
    }
    const char *lang;
    CHECK(ing_kind_sniff(le, sizeof le, &lang) == ING_KIND_TEXT);
    CHECK(ing_kind_sniff((const unsigned char *)"ab\0cd", 5, &lang) == ING_KIND_SKIP);
}

/* Extraction reads exactly len bytes: sources that end inside a construct, in buffers without a
 * terminating NUL (as files are read), found by fuzz_text_extract; ASan checks the reads. */
static void test_unterminated(void)
{
    static const struct {
        const char *lang, *text;
    } cases[] = {{"python", "x = 1\ndef   "}, {"python", "class  "}, {"python", "async def"},
                 {"c", "int f(void"}, {"c", "#define X \\"}, {"c", "/* open comment"},
                 {"c", "struct s {"}, {"c++", "template <class T"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n = strlen(cases[i].text);
        char *buf = malloc(n);
        if (!buf) return;
        memcpy(buf, cases[i].text, n); /* no NUL after it */
        ing_doc *d = NULL;
        char err[256];
        CHECK_EQ_INT(ing_doc_extract("u.src", ING_KIND_CODE, cases[i].lang, buf, n, NULL, &d, err,
                                     sizeof err), 0);
        ing_doc_destroy(d);
        free(buf);
    }
}

/* Minified code (one long line of many definitions) is indexed as text: no symbols, and it
 * never reaches ctags, which can take seconds on one such file. */
static void test_minified(void)
{
    size_t cap = 200000, o = 0;
    char *js = malloc(cap);
    if (!js) return;
    for (int i = 0; o + 64 < cap; i++) o += (size_t)sprintf(js + o, "function f%d(a){return a+%d}", i, i);
    char ctags[4096];
    ing_opts opts = {.ctags = ing_ctags_find(ctags, sizeof ctags) ? ctags : NULL};
    ing_doc *d = NULL;
    char err[256];
    CHECK_EQ_INT(ing_doc_extract("/nonexistent/app.min.js", ING_KIND_CODE, "javascript", js, o,
                                 &opts, &d, err, sizeof err), 0);
    CHECK(d && ing_doc_nsymbols(d) == 0 && ing_doc_nchunks(d) > 10);
    ing_doc_destroy(d);
    free(js);
    const char *c = "int small_fn(void) { return 1; }\n"; /* the same path with normal code */
    CHECK_EQ_INT(ing_doc_extract("x.c", ING_KIND_CODE, "c", c, strlen(c), NULL, &d, err, sizeof err), 0);
    CHECK(d && ing_doc_nsymbols(d) == 1);
    ing_doc_destroy(d);
}

static ing_doc *extract_file(const char *path, char *err, size_t errsz)
{
    void *data;
    size_t len;
    ing_doc *d = NULL;
    if (ing_file_read(path, 0, &data, &len, err, errsz)) return NULL;
    ing_opts o = {.capture_diagnostics = 1};
    const char *lang;
    ing_kind k = ing_kind_from_name(path, &lang);
    ing_doc_extract(path, k, lang, data, len, &o, &d, err, errsz);
    free(data);
    return d;
}

static void test_pdfs(void)
{
    static const struct { const char *file; int pages; } good[] = {
        {"texlive-lang-chinese__nanicolle-doc-zh.pdf", 7},
        {"texlive-publishers-doc__elstest-3pd.pdf", 5},
        {"texlive-latex-base-doc__tabularx.pdf", 12},
        {"texlive-publishers-doc__beispiel-leitprogramm.pdf", 9},
        {"golang-github-jung-kurt-gofpdf-dev__Fpdf_SetAcceptPageBreakFunc_landscape.pdf", 3},
    };
    char path[8400], err[512];
    snprintf(path, sizeof path, "%s", check_shared("fixtures/docs/pdfs/files"));
    if (access(path, R_OK)) {
        printf("fixtures missing: PDF tests skipped\n");
        return;
    }
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", check_shared("fixtures/docs/pdfs/files"), good[i].file);
        ing_doc *d = extract_file(path, err, sizeof err);
        CHECK_MSG(d != NULL, "%s", err);
        if (!d) continue;
        CHECK_EQ_INT(ing_doc_meta(d)->pages, good[i].pages);
        CHECK_EQ_INT(ing_doc_meta(d)->status, ING_OK);
        CHECK(ing_doc_nchunks(d) >= (size_t)good[i].pages / 2);
        check_provenance(d, NULL, 1);
        ing_doc_destroy(d);
    }
    snprintf(path, sizeof path, "%s",
             check_shared("fixtures/docs/pdfs/files/texlive-latex-base-doc__tabularx.pdf"));
    ing_doc *d = extract_file(path, err, sizeof err);
    if (d) { /* outline entries become headings */
        CHECK_STR(ing_doc_meta(d)->title, "The tabularx package");
        int intro = 0;
        for (size_t i = 0; i < ing_doc_nchunks(d); i++)
            if (ing_doc_chunk(d, i)->heading && strstr(ing_doc_chunk(d, i)->heading, "Introduction"))
                intro = ing_doc_chunk(d, i)->page;
        CHECK_EQ_INT(intro, 1);
        ing_doc_destroy(d);
    }
    snprintf(path, sizeof path, "%s",
             check_shared("fixtures/docs/pdfs/files/texlive-publishers-doc__veraPDFnoconformance.pdf"));
    d = extract_file(path, err, sizeof err);
    CHECK(d && ing_doc_meta(d)->status == ING_PARTIAL && strstr(ing_doc_meta(d)->warning, "OCR"));
    ing_doc_destroy(d);

    static const struct { const char *file, *reason; int status; } broken[] = {
        {"control-valid.pdf", NULL, ING_OK},
        {"zero-length.pdf", "empty", 0},
        {"not-a-pdf-text.pdf", "not a PDF", 0},
        {"not-a-pdf-png.pdf", "PNG", 0},
        {"encrypted-user-password.pdf", "password-protected", 0},
        {"truncated-at-10pct.pdf", "damaged or truncated", 0},
        {"truncated-at-50pct.pdf", "damaged or truncated", 0},
        {"truncated-before-xref.pdf", "damaged or truncated", 0},
        {"truncated-header-only.pdf", "damaged or truncated", 0},
        {"truncated-at-90pct-xref-stream.pdf", "damaged or truncated", 0},
        {"xref-stream-bytes-flipped.pdf", "damaged or truncated", 0},
        {"xref-offsets-garbled.pdf", NULL, ING_RECOVERED},
        {"startxref-wrong.pdf", NULL, ING_RECOVERED},
        {"body-bytes-flipped.pdf", NULL, ING_PARTIAL},
    };
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", check_shared("fixtures/docs/broken"), broken[i].file);
        err[0] = 0;
        d = extract_file(path, err, sizeof err);
        if (broken[i].reason) {
            CHECK_MSG(!d && strstr(err, broken[i].reason) && strstr(err, broken[i].file),
                      "%s: '%s'", broken[i].file, err);
        } else {
            CHECK_MSG(d && (int)ing_doc_meta(d)->status == broken[i].status, "%s", broken[i].file);
            if (d) CHECK_EQ_INT(ing_doc_meta(d)->pages, 8);
        }
        ing_doc_destroy(d);
    }
    /* With the password, the encrypted file reads as the control does. */
    void *data;
    size_t len;
    snprintf(path, sizeof path, "%s", check_shared("fixtures/docs/broken/encrypted-user-password.pdf"));
    if (!ing_file_read(path, 0, &data, &len, err, sizeof err)) {
        ing_opts o = {.password = "user-secret"};
        CHECK_EQ_INT(ing_doc_extract(path, ING_KIND_PDF, NULL, data, len, &o, &d, err, sizeof err), 0);
        if (d) CHECK_EQ_INT(ing_doc_meta(d)->pages, 8);
        ing_doc_destroy(d);
        free(data);
    }
}

/* Chunks of converted text (HTML, man pages): lines inside the source, in order. */
static void check_lines(const ing_doc *d, const char *src)
{
    int lines = 1, prev = 0;
    for (const char *p = src; *p; p++) lines += *p == '\n';
    for (size_t i = 0; i < ing_doc_nchunks(d); i++) {
        const ing_chunk *c = ing_doc_chunk(d, i);
        CHECK_MSG(c->page == 0 && c->line_start >= 1 && c->line_end >= c->line_start &&
                      c->line_end <= lines && c->line_start >= prev,
                  "chunk %zu: lines %d-%d of %d", i, c->line_start, c->line_end, lines);
        prev = c->line_start;
    }
}

/* ---- gzip, HTML, man pages ---- */

static ing_doc *extract_mem(const char *name, const void *data, size_t len, const ing_opts *o,
                            char *err, size_t errsz)
{
    const char *lang;
    ing_kind k = ing_kind_from_name(name, &lang);
    if (k == ING_KIND_SKIP) { /* as the walker does: the kind from the content */
        k = ing_kind_sniff(data, len < 4096 ? len : 4096, &lang);
        if (k == ING_KIND_TEXT && !lang && ing_kind_man_name(name)) lang = "roff";
    }
    ing_doc *d = NULL;
    err[0] = 0;
    ing_doc_extract(name, k, lang, data, len, o, &d, err, errsz);
    return d;
}

/* All chunk texts of a document joined by newlines (malloc'd). */
static char *all_text(const ing_doc *d)
{
    size_t n = 1;
    for (size_t i = 0; i < ing_doc_nchunks(d); i++) n += strlen(ing_doc_chunk(d, i)->text) + 1;
    char *s = calloc(1, n);
    for (size_t i = 0; s && i < ing_doc_nchunks(d); i++)
        strcat(strcat(s, ing_doc_chunk(d, i)->text), "\n");
    return s;
}

static unsigned char *gzip_mem(const void *data, size_t len, size_t *out)
{
    z_stream z = {0};
    CHECK(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    size_t cap = deflateBound(&z, len) + 64;
    unsigned char *o = malloc(cap);
    z.next_in = (unsigned char *)data, z.avail_in = (uInt)len;
    z.next_out = o, z.avail_out = (uInt)cap;
    CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
    *out = cap - z.avail_out;
    deflateEnd(&z);
    return o;
}

static void test_gzip(void)
{
    const char *lang;
    CHECK(ing_kind_from_name("notes.txt.gz", &lang) == ING_KIND_TEXT && !lang);
    CHECK(ing_kind_from_name("man/ls.1.gz", &lang) == ING_KIND_SKIP && ing_kind_man_name("ls.1.gz"));
    CHECK(ing_kind_man_name("CA.pl.1ssl.gz") && ing_kind_man_name("zeb.8") &&
          !ing_kind_man_name("a.txt.gz") && !ing_kind_man_name("x.10") && !ing_kind_man_name("1"));
    CHECK(ing_kind_from_name("page.man", &lang) == ING_KIND_TEXT && !strcmp(lang, "roff"));
    CHECK(ing_kind_from_name("x.PDF.GZ", &lang) == ING_KIND_PDF);
    CHECK(ing_kind_from_name("README.gz", &lang) == ING_KIND_TEXT);
    CHECK(ing_kind_from_name("main.c.gz", &lang) == ING_KIND_CODE && !strcmp(lang, "c"));
    CHECK(ing_kind_from_name("changelog.Debian.gz", &lang) == ING_KIND_SKIP); /* sniffed */
    CHECK(ing_kind_binary_name("a.tar.gz") && ing_kind_binary_name("a.tgz"));
    CHECK(!ing_kind_binary_name("a.txt.gz") && !ing_kind_binary_name("ls.1.gz"));

    const char *text = "gzip'd words about zebrafish\nand a second line\n";
    size_t zn, z2n;
    unsigned char *z = gzip_mem(text, strlen(text), &zn);
    CHECK(ing_kind_sniff(z, zn, &lang) == ING_KIND_TEXT);
    char err[1024];
    ing_opts o = {0};
    ing_doc *d = extract_mem("notes.txt.gz", z, zn, &o, err, sizeof err);
    CHECK_MSG(d && ing_doc_nchunks(d) == 1 &&
                  !strncmp(ing_doc_chunk(d, 0)->text, text, strlen(text) - 1) &&
                  ing_doc_chunk(d, 0)->line_end == 2, "%s", err);
    ing_doc_destroy(d);
    d = extract_mem("changelog.Debian.gz", z, zn, &o, err, sizeof err); /* kind from content */
    CHECK_MSG(d && ing_doc_nchunks(d) == 1, "%s", err);
    ing_doc_destroy(d);

    /* Two members, as `cat a.gz b.gz` makes: read as one text. */
    unsigned char *z2 = gzip_mem("second member\n", 14, &z2n), *both = malloc(zn + z2n);
    memcpy(both, z, zn), memcpy(both + zn, z2, z2n);
    d = extract_mem("both.txt.gz", both, zn + z2n, &o, err, sizeof err);
    char *all = d ? all_text(d) : NULL;
    CHECK_MSG(all && strstr(all, "zebrafish") && strstr(all, "second member"), "%s", err);
    free(all), ing_doc_destroy(d);

    size_t en;
    unsigned char *empty = gzip_mem("", 0, &en); /* gzip of an empty file: nothing, no error */
    d = extract_mem("empty.1.gz", empty, en, &o, err, sizeof err);
    CHECK_MSG(d && ing_doc_nchunks(d) == 0 && ing_doc_meta(d)->warning &&
                  strstr(ing_doc_meta(d)->warning, "empty once decompressed"), "%s", err);
    ing_doc_destroy(d);
    free(empty);
    d = extract_mem("cut.txt.gz", z, zn / 2, &o, err, sizeof err); /* truncated */
    CHECK_MSG(!d && strstr(err, "damaged gzip data") && strstr(err, "cut.txt.gz"), "%s", err);
    free(z), free(z2), free(both);

    /* A gzip bomb: 100 MB of zeros in ~100 KB is refused at the bound, not read into memory. */
    size_t big = (size_t)100 << 20;
    char *zeros = calloc(1, big);
    memset(zeros, 'a', big);
    unsigned char *bomb = gzip_mem(zeros, big, &zn);
    free(zeros);
    CHECK(zn < big / 100);
    d = extract_mem("bomb.txt.gz", bomb, zn, &o, err, sizeof err);
    CHECK_MSG(!d && strstr(err, "decompresses to more than 64 MB"), "%s", err);
    ing_opts small = {.max_unpacked = 1 << 20};
    d = extract_mem("bomb.txt.gz", bomb, zn, &small, err, sizeof err);
    CHECK_MSG(!d && strstr(err, "more than 1 MB"), "%s", err);
    free(bomb);

    char path[4096];
    snprintf(path, sizeof path, "%s",
             check_shared("fixtures/docs/pdfs/files/texlive-latex-base-doc__tabularx.pdf"));
    void *pdf;
    size_t pl;
    if (!ing_file_read(path, 0, &pdf, &pl, err, sizeof err)) {
        unsigned char *zp = gzip_mem(pdf, pl, &zn);
        d = extract_mem("tabularx.pdf.gz", zp, zn, &o, err, sizeof err);
        CHECK_MSG(d && ing_doc_meta(d)->pages == 12, "%s", err);
        ing_doc_destroy(d);
        free(zp), free(pdf);
    }
}

static const ing_chunk *chunk_with(const ing_doc *d, const char *needle)
{
    for (size_t i = 0; i < ing_doc_nchunks(d); i++)
        if (strstr(ing_doc_chunk(d, i)->text, needle)) return ing_doc_chunk(d, i);
    return NULL;
}

static void test_html(void)
{
    const char *lang;
    CHECK(ing_kind_from_name("a/Index.HTM", &lang) == ING_KIND_HTML);
    CHECK(ing_kind_from_name("page.xhtml", &lang) == ING_KIND_HTML);
    CHECK(ing_kind_sniff((const unsigned char *)"\n<!DOCTYPE html>\n<p>x", 21, &lang) ==
          ING_KIND_HTML);
    CHECK(!strcmp(ing_kind_name(ING_KIND_HTML), "html") && ing_kind_parse("html") == ING_KIND_HTML);
    const char *page =
        "<!DOCTYPE html>\n<html><head><title>Zebrafish &amp;\n Friends</title>\n"   /* 1-3 */
        "<style>.zzstyle { color: red }</style><script>var zz = '<p>zzscript</p>';</script>\n"
        "</head><body>\n<h1 class=\"t\">Intro&shy;duction</h1>\n"                   /* 5-6 */
        "<p>Zebrafish&nbsp;are <b>small</b> fish &mdash; caf&eacute; &#233;&#x4E2D; &lt;tag&gt;"
        " a < b &bogus; AT&T &#0; &#x110000; &#150;</p>\n"                           /* 7 */
        "<!-- zzcomment <h1>no</h1> -->\n<h2>Care <em>and</em>\nfeeding</h2>\n"      /* 8-10 */
        "<ul><li>one</li><li>two</li></ul>\n<pre>\n  indented\n\nafter</pre>\n"      /* 11-15 */
        "<table><tr><td>cell1</td><td>cell2</td></tr></table><svg><text>zzsvg</text></svg>\n"
        "<H3>Last</H3><p>tail words</p></body></html>\n";                           /* 17 */
    char err[512];
    ing_doc *d = extract_mem("page.html", page, strlen(page), NULL, err, sizeof err);
    CHECK_MSG(d != NULL, "%s", err);
    if (!d) return;
    check_lines(d, page);
    char *all = all_text(d);
    CHECK_STR(ing_doc_meta(d)->title, "Zebrafish & Friends");
    CHECK(!strstr(all, "zz") && !strstr(all, "<b>") && !strstr(all, "&amp;") && !strstr(all, "{"));
    CHECK_MSG(strstr(all, "Zebrafish are small fish \xE2\x80\x94 caf\xC3\xA9 \xC3\xA9\xE4\xB8\xAD "
                          "<tag> a < b &bogus; AT&T \xEF\xBF\xBD \xEF\xBF\xBD \xE2\x80\x93"),
              "%s", all);
    CHECK(strstr(all, "\n  indented\n") && strstr(all, "cell1 cell2"));
    const ing_chunk *c = chunk_with(d, "Zebrafish are");
    CHECK(c && c->heading && !strcmp(c->heading, "Introduction") && c->line_start == 6 &&
          c->line_end == 7);
    c = chunk_with(d, "one\ntwo");
    CHECK_MSG(c && c->heading && !strcmp(c->heading, "Introduction > Care and feeding"), "%s",
              c && c->heading ? c->heading : "(none)");
    c = chunk_with(d, "tail words");
    CHECK(c && c->heading && !strcmp(c->heading, "Introduction > Care and feeding > Last") &&
          c->line_end == 17);
    free(all);
    ing_doc_destroy(d);

    /* Not UTF-8: read as Windows-1252. */
    const char *latin = "<p>caf\xE9 \x93quoted\x94</p>";
    d = extract_mem("old.htm", latin, strlen(latin), NULL, err, sizeof err);
    CHECK(d && ing_doc_nchunks(d) == 1 &&
          !strcmp(ing_doc_chunk(d, 0)->text, "caf\xC3\xA9 \xE2\x80\x9Cquoted\xE2\x80\x9D"));
    ing_doc_destroy(d);
    /* A heading never closed: cut to a label of whole characters. */
    char runaway[1024] = "<h1>";
    for (int i = 0; i < 300; i++) strcat(runaway, "\xC3\xA9");
    d = extract_mem("run.html", runaway, strlen(runaway), NULL, err, sizeof err);
    const char *h = d && ing_doc_nchunks(d) ? ing_doc_chunk(d, 0)->heading : NULL;
    CHECK(h && strlen(h) <= 200 && strlen(h) % 2 == 0 && (unsigned char)h[strlen(h) - 1] == 0xA9);
    ing_doc_destroy(d);
    /* Unclosed everything: still text, no crash. */
    const char *bad = "<p>open <b>bold <script>never closed zzz";
    d = extract_mem("bad.html", bad, strlen(bad), NULL, err, sizeof err);
    CHECK(d && ing_doc_nchunks(d) == 1 && !strcmp(ing_doc_chunk(d, 0)->text, "open bold"));
    ing_doc_destroy(d);
}

static void test_roff(void)
{
    const char *man =
        ".\\\" a comment: zzcomment\n"                                   /* 1 */
        ".TH ZEBRA 1 \"2024\" \"zebra 1.0\" \"User Commands\"\n"
        ".de XX\nzzmacro body\n..\n"                                     /* 3-5 */
        ".SH NAME\nzebra \\- stripe counter\n"                           /* 6-7 */
        ".SH SYNOPSIS\n.B zebra\n[\\fIOPTION\\fR]... \\fB\\-\\-count\\fP=\\fIN\\fR\n"  /* 8-10 */
        ".SH DESCRIPTION\n.PP\nCounts \\(lqstripes\\(rq on \\*(lqzebras\\*(rq.\\\" zzc\n" /* 11-13 */
        ".TP\n.BR \\-v \", \" \\-\\-verbose\nsay more\n"                  /* 14-16 */
        ".SS Exit status\n.IP 0 4\nsuccess\n"                            /* 17-19 */
        ".SH SEE ALSO\n.BR horse (1)\n";                                 /* 20-21 */
    char err[512];
    ing_doc *d = extract_mem("zebra.1", man, strlen(man), NULL, err, sizeof err);
    CHECK_MSG(d != NULL, "%s", err);
    if (!d) return;
    check_lines(d, man);
    char *all = all_text(d);
    CHECK_STR(ing_doc_meta(d)->title, "ZEBRA(1)");
    CHECK_MSG(!strstr(all, "zz") && !strstr(all, "\\f") && !strstr(all, ".TH"), "%s", all);
    CHECK_MSG(strstr(all, "zebra - stripe counter") && strstr(all, "[OPTION]... --count=N") &&
                  strstr(all, "Counts \xE2\x80\x9Cstripes\xE2\x80\x9D on \"zebras\".") &&
                  strstr(all, "-v, --verbose") && strstr(all, "horse(1)"),
              "%s", all);
    const ing_chunk *c = chunk_with(d, "stripe counter");
    CHECK(c && c->heading && !strcmp(c->heading, "NAME") && c->line_end == 7);
    c = chunk_with(d, "success");
    CHECK(c && c->heading && !strcmp(c->heading, "DESCRIPTION > Exit status"));
    free(all);
    ing_doc_destroy(d);

    const char *mdoc = ".Dd May 1, 2024\n.Dt ZEB 8\n.Sh NAME\n.Nm zeb\n.Nd count stripes\n"
                       ".Sh SYNOPSIS\n.Nm\n.Op Fl v\n.Ar file\n";
    d = extract_mem("zeb.8", mdoc, strlen(mdoc), NULL, err, sizeof err);
    all = d ? all_text(d) : NULL;
    CHECK_MSG(all && strstr(all, "zeb - count stripes") && strstr(all, "-v") &&
                  strstr(all, "file") && !strstr(all, "Op") && !strstr(all, "Fl"),
              "%s", all ? all : err);
    free(all);
    ing_doc_destroy(d);

    const char *layout = ".TH L 1\n.SH NAME\n.RS 4\n.PD 0\nl \\- layout\n.RE\n";
    d = extract_mem("l.1", layout, strlen(layout), NULL, err, sizeof err);
    all = d ? all_text(d) : NULL;
    CHECK_MSG(all && !strcmp(all, "NAME\nl - layout\n"), "%s", all ? all : err);
    free(all);
    ing_doc_destroy(d);

    const char *log = "Jan 1 host kernel: started \\fBnot roff\\fR\n"; /* a rotated log: syslog.1 */
    d = extract_mem("syslog.1", log, strlen(log), NULL, err, sizeof err);
    CHECK(d && ing_doc_nchunks(d) == 1 && !strncmp(ing_doc_chunk(d, 0)->text, log, strlen(log) - 1));
    ing_doc_destroy(d);
}

static void test_kinds(void)
{
    const char *lang;
    CHECK(ing_kind_from_name("a/b/X.PDF", &lang) == ING_KIND_PDF);
    CHECK(ing_kind_from_name("m.py", &lang) == ING_KIND_CODE && !strcmp(lang, "python"));
    CHECK(ing_kind_from_name("Makefile", &lang) == ING_KIND_CODE);
    CHECK(ing_kind_from_name("noext", &lang) == ING_KIND_SKIP);
    CHECK(ing_kind_binary_name("x.png") && !ing_kind_binary_name("x.c"));
    const unsigned char sh[] = "#!/bin/sh\necho hi\n", cpp[] = "// -*- C++ -*-\nnamespace x {}\n";
    CHECK(ing_kind_sniff(sh, sizeof sh - 1, &lang) == ING_KIND_CODE && !strcmp(lang, "sh"));
    CHECK(ing_kind_sniff(cpp, sizeof cpp - 1, &lang) == ING_KIND_CODE && !strcmp(lang, "c++"));
    CHECK(ing_kind_sniff((const unsigned char *)"plain words\n", 12, &lang) == ING_KIND_TEXT);
    CHECK(ing_kind_sniff((const unsigned char *)"a\0b", 3, &lang) == ING_KIND_SKIP);
    char h1[33], h2[33];
    ing_hash_hex("abc", 3, h1);
    ing_hash_hex("abd", 3, h2);
    CHECK(strlen(h1) == 32 && strcmp(h1, h2));
}

/* Files that end in the middle of the trailer: the bytes after "startxref" or an xref entry are
 * missing, so a parser that expects a NUL there reads past the end (ASan shows it). Each copy
 * sits in a buffer of exactly its length. */
static void test_pdf_cut_trailer(void)
{
    static const char *cases[] = {
        "\r\t\t%PDF-\xff\xff\xff\xff\xff\xff\xff\xfe\xffstartxref",
        "%PDF-1.4\n1 0 obj\n<<>>\nendobj\nstartxref\n9",
        "%PDF-1.4\n1 0 obj\n<<>>\nendobj\nxref\n0 2\n0000000009 00000 n\nstartxref\n30",
        "%PDF-1.4\nxref\n0 3\n00000000",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i]);
        char *exact = malloc(n);
        memcpy(exact, cases[i], n);
        ing_doc *d = NULL;
        char err[512] = "";
        ing_opts o = {.capture_diagnostics = 1};
        int rc = ing_doc_extract("cut.pdf", ING_KIND_PDF, NULL, exact, n, &o, &d, err, sizeof err);
        CHECK_MSG(rc == 0 || err[0], "case %zu failed without a reason", i);
        ing_doc_destroy(d);
        free(exact);
    }
}

static int extract_with(const char *path, const ing_opts *o, ing_doc **d, char *err, size_t errsz)
{
    void *data;
    size_t len;
    *d = NULL;
    if (ing_file_read(path, 0, &data, &len, err, errsz)) return -1;
    int rc = ing_doc_extract(path, ING_KIND_PDF, NULL, data, len, o, d, err, errsz);
    free(data);
    return rc;
}

static int same_str(const char *a, const char *b) { return a == b || (a && b && !strcmp(a, b)); }

/* A document read in the child process arrives exactly as one read in this process. */
static void check_same_doc(const ing_doc *a, const ing_doc *b)
{
    const ing_meta *x = ing_doc_meta(a), *y = ing_doc_meta(b);
    CHECK(x->pages == y->pages && x->status == y->status && same_str(x->title, y->title) &&
          same_str(x->author, y->author) && same_str(x->created, y->created) &&
          same_str(x->modified, y->modified) && same_str(x->warning, y->warning));
    for (int p = 1; p <= x->pages; p++)
        CHECK(same_str(ing_doc_page_text(a, p), ing_doc_page_text(b, p)));
    CHECK_EQ_INT(ing_doc_nchunks(a), ing_doc_nchunks(b));
    for (size_t i = 0; i < ing_doc_nchunks(a) && i < ing_doc_nchunks(b); i++) {
        const ing_chunk *c = ing_doc_chunk(a, i), *e = ing_doc_chunk(b, i);
        CHECK_MSG(same_str(c->text, e->text) && c->page == e->page &&
                      c->line_start == e->line_start && c->line_end == e->line_end &&
                      same_str(c->heading, e->heading) && same_str(c->symbol, e->symbol),
                  "chunk %zu differs", i);
    }
}

static double wall_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* A PDF reader that crashes or hangs costs that file only, with a reason that says so. */
static void test_pdf_isolation(void)
{
    char path[4096], err[1024];
    snprintf(path, sizeof path, "%s",
             check_shared("fixtures/docs/pdfs/files/texlive-latex-base-doc__tabularx.pdf"));
    if (access(path, R_OK)) return;
    setenv("FOLIO_PARSER_ISOLATE", "1", 1); /* this test is single-threaded: safe to fork */
    ing_doc *here, *child;
    ing_opts in = {.in_process = 1}, out = {0};
    CHECK_EQ_INT(extract_with(path, &in, &here, err, sizeof err), 0);
    CHECK_MSG(extract_with(path, &out, &child, err, sizeof err) == 0, "%s", err);
    if (here && child) check_same_doc(here, child);
    ing_doc_destroy(here);
    ing_doc_destroy(child);

    setenv("FOLIO_TEST_PARSER_FAULT", "crash", 1);
    CHECK(extract_with(path, &out, &child, err, sizeof err) < 0 && !child);
    CHECK_MSG(strstr(err, "extraction crashed (signal 6, SIGABRT)") && strstr(err, "tabularx"),
              "%s", err);
    setenv("FOLIO_TEST_PARSER_FAULT", "crash:some-other-file", 1);
    CHECK_MSG(extract_with(path, &out, &child, err, sizeof err) == 0, "%s", err);
    ing_doc_destroy(child);

    setenv("FOLIO_TEST_PARSER_FAULT", "hang", 1);
    ing_opts quick = {.timeout_s = 1};
    double t0 = wall_s();
    CHECK(extract_with(path, &quick, &child, err, sizeof err) < 0 && !child);
    double took = wall_s() - t0;
    CHECK_MSG(strstr(err, "timed out after 1 s"), "%s", err);
    CHECK_MSG(took >= 0.9 && took < 5, "a 1 s timeout took %.2f s", took);
#if defined(__SANITIZE_ADDRESS__)
#define TEST_NO_MEMORY_LIMIT 1 /* the child has none under AddressSanitizer */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_NO_MEMORY_LIMIT 1
#endif
#endif
#ifndef TEST_NO_MEMORY_LIMIT
    setenv("FOLIO_TEST_PARSER_FAULT", "hog", 1); /* 1 GiB against a limit of 64 MB */
    setenv("FOLIO_PARSER_MEMORY_MB", "64", 1);
    CHECK(extract_with(path, &out, &child, err, sizeof err) < 0 && !child);
    CHECK_MSG(strstr(err, "extraction crashed (signal 6") && strstr(err, "more than 64 MB"), "%s",
              err);
    unsetenv("FOLIO_PARSER_MEMORY_MB");
#endif
    volatile int stop = 1;
    ing_opts cancelled = {.cancel = &stop};
    CHECK(extract_with(path, &cancelled, &child, err, sizeof err) < 0 && strstr(err, "interrupted"));
    unsetenv("FOLIO_TEST_PARSER_FAULT");
}

/* Encrypted PDFs made here with qpdf: one that needs its user password, one with an owner
 * password only (opens without any). A wrong password used to crash poppler-glib 22.12. */
static void test_pdf_passwords(void)
{
    char src[4096], dir[4096], cmd[20000], user[4200], owner[4200], err[1024];
    snprintf(src, sizeof src, "%s",
             check_shared("fixtures/docs/pdfs/files/texlive-latex-base-doc__tabularx.pdf"));
    if (access(src, R_OK)) return;
    CHECK_MSG(system("qpdf --version >/dev/null 2>&1") == 0, "qpdf missing (see .ci/deps)");
    snprintf(dir, sizeof dir, "%s", check_tmpdir("pdfpw"));
    snprintf(user, sizeof user, "%s/user.pdf", dir);
    snprintf(owner, sizeof owner, "%s/owner.pdf", dir);
    snprintf(cmd, sizeof cmd, "qpdf --encrypt us3r 0wner 256 -- '%s' '%s' && "
             "qpdf --encrypt '' 0wner 256 -- '%s' '%s'", src, user, src, owner);
    if (system(cmd) != 0) {
        CHECK_MSG(0, "qpdf could not encrypt %s", src);
        return;
    }
    static const struct { int owner_only; const char *pw, *reason; } cases[] = {
        {0, NULL, "needs --password"}, {0, "wrong", "wrong password"}, {0, "", "needs --password"},
        {0, "us3r", NULL},            {0, "0wner", NULL},              {1, NULL, NULL},
        {1, "wrong", NULL},           {1, "0wner", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int in_process = 0; in_process < 2; in_process++) {
            ing_opts o = {.password = cases[i].pw, .in_process = in_process};
            ing_doc *d;
            err[0] = 0;
            int rc = extract_with(cases[i].owner_only ? owner : user, &o, &d, err, sizeof err);
            if (cases[i].reason)
                CHECK_MSG(rc < 0 && strstr(err, cases[i].reason) && strstr(err, "encrypted PDF"),
                          "case %zu: %s", i, err);
            else
                CHECK_MSG(rc == 0 && d && ing_doc_meta(d)->pages == 12, "case %zu: %s", i, err);
            ing_doc_destroy(d);
        }
    }
}

int main(void)
{
    test_pdf_cut_trailer();
    test_kinds();
    test_glob();
    test_walk();
    test_walk_rules();
    test_markdown();
    test_code();
    test_against_ctags();
    test_ctags_session();
    test_minified();
    test_encodings();
    test_unterminated();
    test_pdfs();
    test_pdf_isolation();
    test_pdf_passwords();
    test_gzip();
    test_html();
    test_roff();
    return check_finish();
}
