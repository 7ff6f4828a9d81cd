/* app/cmd_search.c: `folio search QUERY`: ranked passages from a library (--db, --in FOLDER, the
 * library around the current folder, or every library this user indexed), as text with
 * highlighted snippets or as JSON lines (path, page, line_start, line_end, score, snippet). */
#include "app.h"
#include "idx.h"
#include "library.h"
#include "ui.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct sopts {
    const char *db, *in;
    int json, raw, symbol, all;
    int printed; /* --symbol: definitions printed so far */
    idx_query q;
    char text[8192];
} sopts;

typedef struct result {
    idx_hit hit;
    char path[PATH_MAX]; /* as printed */
    char abs[PATH_MAX];  /* absolute where the library's root is known: identity across libraries */
    char hash[33];       /* the document's content hash ("" if unknown) */
    const char *db;      /* the library it came from (owned by the list of libraries) */
    char **also;         /* paths of identical documents collapsed into this hit (malloc'd) */
    size_t nalso;
} result;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: folio search QUERY... [--in FOLDER | --db FILE] [--json] [options]\n"
            "Ranked passages with file, page and line range. Any text is a valid query; CJK\n"
            "text of any length matches too. Without --in/--db: the library of the current\n"
            "folder (or above), else every library indexed by this user.\n"
            "  --in FOLDER    the library of FOLDER (FOLDER/.folio/index.db or above)\n"
            "  --db FILE      the library database\n"
            "  --all          every library indexed by this user, wherever you are\n"
            "  --json         one JSON object per hit per line\n"
            "  --raw          the query is FTS5 syntax (AND, OR, NEAR, \"phrases\", prefix*)\n"
            "  --symbol       the query is a name: where it is defined (file, lines, kind,\n"
            "                 signature), like a tags lookup; case and punctuation matter\n"
            "  --limit N      at most N hits (default 10)\n"
            "  --path GLOB    only paths matching GLOB ('*' also crosses '/')\n"
            "  --type KIND    only pdf, text, markdown or code\n"
            "exit status: 0 hits found, 1 nothing found or error, 2 usage\n");
}

static int parse(int argc, char **argv, sopts *o)
{
    size_t tl = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage(stdout), 1;
        else if (!strcmp(a, "--db") && v) o->db = v, i++;
        else if (!strcmp(a, "--in") && v) o->in = v, i++;
        else if (!strcmp(a, "--json")) o->json = 1;
        else if (!strcmp(a, "--raw")) o->q.raw = 1;
        else if (!strcmp(a, "--symbol")) o->symbol = 1;
        else if (!strcmp(a, "--all")) o->all = 1;
        else if (!strcmp(a, "--limit") && v && atoi(v) > 0) o->q.limit = atoi(v), i++;
        else if (!strcmp(a, "--path") && v) o->q.path_glob = v, i++;
        else if (!strcmp(a, "--type") && v && ing_kind_parse(v) != ING_KIND_SKIP)
            o->q.kind = ing_kind_parse(v), i++;
        else if (a[0] == '-' && a[1] && a[1] != ' ' && !(a[1] & 0x80) && strcmp(a, "--")) {
            fprintf(stderr, "folio search: unknown or incomplete option '%s'\n", a);
            return usage(stderr), -1;
        } else {
            int n = snprintf(o->text + tl, sizeof o->text - tl, "%s%s", tl ? " " : "", a);
            if (n < 0 || (size_t)n >= sizeof o->text - tl) {
                fprintf(stderr, "folio search: query too long\n");
                return -1;
            }
            tl += (size_t)n;
        }
    }
    if (!tl) {
        fprintf(stderr, "folio search: no QUERY given\n");
        return usage(stderr), -1;
    }
    if (o->all && (o->in || o->db)) {
        fprintf(stderr, "folio search: --all searches every library; it takes no --in or --db\n");
        return -1;
    }
    o->q.text = o->text;
    if (!o->q.limit) o->q.limit = 10;
    return 0;
}

/* A library made by an older folio is brought up to date first: a writer's open migrates it
 * (unless another process is indexing it right now: then the error says so). */
static int open_reader(const char *db, idx **ix, char *err, size_t errsz)
{
    int rc = idx_open(db, IDX_READ, ix, err, errsz);
    if (rc != IDX_ESCHEMA || !strstr(err, "needs migrating")) return rc;
    idx *w;
    if ((rc = idx_open(db, IDX_WRITE, &w, err, errsz))) return rc;
    idx_close(w);
    return idx_open(db, IDX_READ, ix, err, errsz);
}

/* The folder the library's relative paths start from: where its .folio is (a library that was
 * moved or copied and not indexed since still names its old root), else its recorded root. */
static void root_for(idx *ix, const char *db, char *out, size_t outsz)
{
    app_library_root_of(db, out, outsz);
    if (!*out && idx_root(ix)) snprintf(out, outsz, "%s", idx_root(ix));
}

/* root/rel into out, or rel alone when there is no root or rel is absolute (cut to fit). */
static void under_root(char *out, size_t outsz, const char *root, const char *rel)
{
    int n = *root && rel[0] != '/' ? snprintf(out, outsz, "%s/%s", root, rel)
                                   : snprintf(out, outsz, "%s", rel);
    if (n < 0) out[0] = 0;
}

static void fill_result(result *x, idx *ix, const char *db, const char *root, int absolute)
{
    const idx_hit *h = &x->hit;
    under_root(x->path, sizeof x->path, absolute ? root : "", h->path);
    under_root(x->abs, sizeof x->abs, root, h->path);
    if (idx_doc_hash(ix, h->doc_id, x->hash) != 1) x->hash[0] = 0;
    x->db = db;
    x->also = NULL, x->nalso = 0;
}

/* Searches one library; hits are appended to *res. Returns 0, or an exit code. */
static int search_one(sopts *o, const char *db, int absolute, result **res, size_t *n)
{
    char err[1024];
    idx *ix;
    int orc = open_reader(db, &ix, err, sizeof err);
    if (orc == IDX_EDAMAGED) return app_library_say_damaged(db, err), APP_EXIT_FAIL;
    if (orc) {
        fprintf(stderr, "folio search: %s\n", err);
        return APP_EXIT_FAIL;
    }
    idx_hit *h;
    size_t nh;
    int rc = idx_search(ix, &o->q, &h, &nh);
    if (rc) {
        snprintf(err, sizeof err, "%s%s", rc == IDX_ESYNTAX ? "FTS5 syntax error: " : "",
                 idx_errmsg(ix));
        if (idx_damaged(ix)) app_library_say_damaged(db, err);
        else fprintf(stderr, "folio search: %s\n", err);
        idx_close(ix);
        return rc == IDX_ESYNTAX ? APP_EXIT_USAGE : APP_EXIT_FAIL;
    }
    result *r = realloc(*res, (*n + nh) * sizeof *r);
    if (!r && nh) {
        idx_hits_free(h, nh);
        idx_close(ix);
        return APP_EXIT_FAIL;
    }
    *res = r;
    char root[PATH_MAX];
    root_for(ix, db, root, sizeof root);
    for (size_t i = 0; i < nh; i++) {
        result *x = &r[(*n)++];
        x->hit = h[i];
        fill_result(x, ix, db, root, absolute);
    }
    free(h); /* the strings now belong to the results */
    idx_close(ix);
    return 0;
}

/* Best first: hits with every word before hits with some, before hits inside words (BM25
 * scores of different libraries are not comparable enough to mix those), then by score. */
/* --symbol over one library: its definitions of the name, printed at once (path, line). */
static int symbols_one(sopts *o, const char *db, int absolute)
{
    char err[1024];
    idx *ix;
    if (open_reader(db, &ix, err, sizeof err)) {
        fprintf(stderr, "folio search: %s\n", err);
        return APP_EXIT_FAIL;
    }
    idx_symbol *s;
    size_t n;
    if (idx_symbols_find(ix, o->text, o->q.limit - o->printed, &s, &n)) {
        fprintf(stderr, "folio search: %s\n", idx_errmsg(ix));
        idx_close(ix);
        return APP_EXIT_FAIL;
    }
    const char *root = idx_root(ix);
    for (size_t i = 0; i < n; i++, o->printed++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s%s%s", absolute && root && s[i].path[0] != '/' ? root : "",
                 absolute && root && s[i].path[0] != '/' ? "/" : "", s[i].path);
        if (!o->json) {
            printf("%s:%d-%d  %s%s%s  %s\n", path, s[i].line_start, s[i].line_end,
                   s[i].kind ? s[i].kind : "symbol",
                   s[i].scope ? " in " : "", s[i].scope ? s[i].scope : "",
                   s[i].signature ? s[i].signature : s[i].name);
            continue;
        }
        json_object *j = json_object_new_object();
        json_object_object_add(j, "path", json_object_new_string(path));
        json_object_object_add(j, "line_start", json_object_new_int(s[i].line_start));
        json_object_object_add(j, "line_end", json_object_new_int(s[i].line_end));
        json_object_object_add(j, "name", json_object_new_string(s[i].name));
        json_object_object_add(j, "kind", json_object_new_string(s[i].kind ? s[i].kind : ""));
        json_object_object_add(j, "scope", s[i].scope ? json_object_new_string(s[i].scope) : NULL);
        json_object_object_add(j, "signature",
                               s[i].signature ? json_object_new_string(s[i].signature) : NULL);
        puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(j);
    }
    idx_symbols_free(s, n);
    idx_close(ix);
    return 0;
}

static int by_score(const void *a, const void *b)
{
    const idx_hit *p = &((const result *)a)->hit, *q = &((const result *)b)->hit;
    if (p->match != q->match) return p->match < q->match ? 1 : -1;
    return p->score < q->score ? 1 : p->score > q->score ? -1 : 0;
}

static void result_free(result *x)
{
    idx_hit *h = &x->hit;
    free(h->path), free(h->kind), free(h->heading), free(h->symbol), free(h->snippet);
    free(h->text);
    for (size_t i = 0; i < x->nalso; i++) free(x->also[i]);
    free(x->also);
}

/* The same passage: the same place of one file (nested libraries both hold it), or the same
 * place of identical files (same content hash: copies). */
static int same_passage(const result *a, const result *b)
{
    if (a->hit.page != b->hit.page || a->hit.line_start != b->hit.line_start ||
        a->hit.line_end != b->hit.line_end)
        return 0;
    return !strcmp(a->abs, b->abs) || (a->hash[0] && !strcmp(a->hash, b->hash));
}

static void add_also(result *keep, const result *dup)
{
    if (!strcmp(keep->abs, dup->abs)) return;
    for (size_t i = 0; i < keep->nalso; i++)
        if (!strcmp(keep->also[i], dup->path)) return;
    char **a = realloc(keep->also, (keep->nalso + 1) * sizeof *a);
    if (!a) return;
    keep->also = a;
    if ((a[keep->nalso] = strdup(dup->path))) keep->nalso++;
}

/* Sorted results, best first: each passage that several libraries or identical files hold
 * stays once (its best hit), listing the other paths. Returns the new count. */
static size_t collapse(result *r, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < k && !same_passage(&r[j], &r[i])) j++;
        if (j < k) {
            add_also(&r[j], &r[i]);
            result_free(&r[i]);
        } else {
            if (k != i) r[k] = r[i];
            k++;
        }
    }
    return k;
}

static void flatten(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r' || *s == '\t') *s = ' ';
}

static void print_json(const result *r)
{
    const idx_hit *h = &r->hit;
    json_object *j = json_object_new_object();
    json_object_object_add(j, "path", json_object_new_string(r->path));
    json_object_object_add(j, "page", h->page > 0 ? json_object_new_int(h->page) : NULL);
    json_object_object_add(j, "line_start", json_object_new_int(h->line_start));
    json_object_object_add(j, "line_end", json_object_new_int(h->line_end));
    json_object_object_add(j, "score", json_object_new_double(h->score));
    static const char *const how[] = {"part", "some", "all"};
    json_object_object_add(j, "match", json_object_new_string(how[h->match]));
    json_object_object_add(j, "snippet", json_object_new_string(h->snippet ? h->snippet : ""));
    json_object_object_add(j, "kind", json_object_new_string(h->kind));
    json_object_object_add(j, "heading", h->heading ? json_object_new_string(h->heading) : NULL);
    json_object_object_add(j, "symbol", h->symbol ? json_object_new_string(h->symbol) : NULL);
    json_object *paths = json_object_new_array();
    json_object_array_add(paths, json_object_new_string(r->path));
    for (size_t i = 0; i < r->nalso; i++)
        json_object_array_add(paths, json_object_new_string(r->also[i]));
    json_object_object_add(j, "paths", paths);
    json_object_object_add(j, "library", json_object_new_string(r->db));
    puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(j);
}

static void print_text(const result *r, int tty)
{
    const idx_hit *h = &r->hit;
    char where[64];
    if (h->page > 0) snprintf(where, sizeof where, "p.%d lines %d-%d", h->page, h->line_start, h->line_end);
    else snprintf(where, sizeof where, "lines %d-%d", h->line_start, h->line_end);
    printf(tty ? "\033[1m%s\033[0m  %s  (%.2f)\n" : "%s  %s  (%.2f)\n", r->path, where, h->score);
    if (h->symbol || h->heading) printf("  %s %s\n", h->symbol ? "in" : "§", h->symbol ? h->symbol : h->heading);
    for (size_t i = 0; i < r->nalso; i++) /* identical copies of this document */
        ui_fprintf(stdout, "  also %s\n", r->also[i]);
    if (h->snippet) {
        flatten(h->snippet);
        printf("  %s\n\n", h->snippet);
    }
}

/* One line on stderr naming the libraries that cover the folder searched (without --db or
 * --all); in --json each hit carries its own as "library" instead. */
static void say_searched(const sopts *o, char *const *dbs, size_t n, const char *where)
{
    if (o->json) return;
    char root[PATH_MAX];
    app_library_root_of(dbs[0], root, sizeof root);
    if (n == 1) {
        ui_fprintf(stderr, "searching the library of %s\n", *root ? root : dbs[0]);
        return;
    }
    ui_fprintf(stderr, "searching the %zu libraries that cover %s: %s", n, where,
               *root ? root : dbs[0]);
    for (size_t i = 1; i < n; i++) {
        app_library_root_of(dbs[i], root, sizeof root);
        ui_fprintf(stderr, ", %s", *root ? root : dbs[i]);
    }
    fputc('\n', stderr);
}

static int pick_libraries(sopts *o, char ***dbs, size_t *n, int *absolute)
{
    *absolute = 0;
    *dbs = NULL, *n = 0;
    if (o->in && !o->db) {
        if (!(*n = app_library_find_all(o->in, dbs))) {
            ui_fprintf(stderr, "folio search: no library in or above %s (run: folio index %s)\n",
                       o->in, o->in);
            return APP_EXIT_FAIL;
        }
        *absolute = *n > 1;
        say_searched(o, *dbs, *n, o->in);
        return 0;
    }
    if (o->db) {
        if (access(o->db, R_OK)) {
            fprintf(stderr, "folio search: %s: no such library\n", o->db);
            return APP_EXIT_FAIL;
        }
        *dbs = malloc(sizeof **dbs);
        (*dbs)[0] = strdup(o->db);
        *n = 1;
        return 0;
    }
    /* Every library that covers this folder, outermost first: a library nested in another
     * (or one made for a single file by an older folio) does not hide the outer one. */
    if (!o->all && (*n = app_library_find_all(".", dbs))) {
        *absolute = *n > 1;
        say_searched(o, *dbs, *n, "this folder");
        return 0;
    }
    *n = app_library_known(dbs);
    *absolute = 1;
    if (!*n) {
        fprintf(stderr, "folio search: no library here; index a folder first (folio index DIR)\n");
        return APP_EXIT_FAIL;
    }
    return 0;
}

int app_cmd_search(int argc, char **argv)
{
    sopts o = {0};
    int p = parse(argc, argv, &o);
    if (p) return p > 0 ? APP_EXIT_OK : APP_EXIT_USAGE;
    int tty = isatty(1) && !o.json;
    o.q.mark_open = tty ? "\033[1;31m" : "**";
    o.q.mark_close = tty ? "\033[0m" : "**";
    char **dbs;
    size_t ndb;
    int absolute, rc = pick_libraries(&o, &dbs, &ndb, &absolute);
    result *res = NULL;
    size_t n = 0;
    /* Over every known library, one that cannot be read (its message says why) leaves the
     * others to answer. */
    size_t failed = 0;
    for (size_t i = 0; i < ndb; i++) {
        int r = rc || (o.symbol && o.printed >= o.q.limit) ? 0
                : o.symbol ? symbols_one(&o, dbs[i], absolute)
                           : search_one(&o, dbs[i], absolute, &res, &n);
        if (r && (r == APP_EXIT_USAGE || ndb == 1)) rc = r;
        failed += r != 0;
    }
    if (!rc && ndb && failed == ndb) rc = APP_EXIT_FAIL;
    if (!rc && o.symbol) {
        if (!o.printed && !o.json) fprintf(stderr, "no definition of: %s\n", o.text);
        rc = o.printed ? APP_EXIT_OK : APP_EXIT_FAIL;
    } else if (!rc) {
        if (n) qsort(res, n, sizeof *res, by_score);
        n = collapse(res, n);
        for (size_t i = 0; i < n && i < (size_t)o.q.limit; i++)
            o.json ? print_json(&res[i]) : print_text(&res[i], tty);
        if (!n && !o.json) fprintf(stderr, "no results for: %s\n", o.text);
        rc = n ? APP_EXIT_OK : APP_EXIT_FAIL;
    }
    for (size_t i = 0; i < n; i++) result_free(&res[i]);
    free(res);
    for (size_t i = 0; i < ndb; i++) free(dbs[i]);
    free(dbs);
    return rc;
}
