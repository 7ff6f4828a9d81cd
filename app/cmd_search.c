/* app/cmd_search.c: `folio search QUERY`: ranked passages from a library (--db, --in FOLDER, the
 * library around the current folder, or every library this user indexed), as text with
 * highlighted snippets or as JSON lines (path, page, line_start, line_end, score, match, abs_path,
 * snippet, ...). Hits print in the order they rank; every document-derived byte is sanitized. */
#include "app.h"
#include "app_path.h"
#include "idx.h"
#include "library.h"
#include "ui.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The longest query accepted, in bytes (the words index has no use for more). */
enum { QUERY_MAX = 8192 };

/* Snippet highlights as the index inserts them: control characters, which no text worth
 * keeping holds; a document that does can at most move a highlight, never send an escape. */
#define MARK_OPEN "\x02"
#define MARK_CLOSE "\x03"

typedef struct sopts {
    const char *db, *in;
    int json, raw, symbol, all;
    int printed; /* --symbol: definitions printed so far */
    idx_query q;
    char text[QUERY_MAX];
} sopts;

typedef struct result {
    idx_hit hit;
    size_t lib;          /* which library (they merge in rank order) */
    double rank;         /* the one score printed: see rank_score */
    char path[PATH_MAX]; /* opens from the current folder */
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
            "Ranked passages with file, page and line range, best first, each with the kind of\n"
            "match (phrase, near, all words, stem, some, inside words), one score. Any text up to %d bytes\n"
            "is a valid query; CJK text matches too. Text after -- is query, even if it starts\n"
            "with '-'. Without --in/--db: the library of the current folder (or above), else\n"
            "every library indexed by this user. Paths print relative to the current folder\n"
            "when inside it, else absolute.\n"
            "  --in FOLDER    the library of FOLDER (FOLDER/.folio/index.db or above)\n"
            "  --db FILE      the library database\n"
            "  --all          every library indexed by this user, wherever you are\n"
            "  --json         one JSON object per hit per line (path, page, line_start,\n"
            "                 line_end, score, bm25, match, snippet, ..., abs_path)\n"
            "  --raw          the query is FTS5 syntax (AND, OR, NEAR, \"phrases\", prefix*)\n"
            "  --symbol       the query is a name: where it is defined (file, lines, kind,\n"
            "                 signature), like a tags lookup; case and punctuation matter\n"
            "  --limit N      at most N hits (default 10)\n"
            "  --path GLOB    only paths matching GLOB ('*' also crosses '/')\n"
            "  --type KIND    only pdf, text, markdown or code\n"
            "exit status: 0 hits found, 1 nothing found or error, 2 usage\n",
            QUERY_MAX - 1);
}

/* --limit N: a whole number from 1 up; anything else is refused with what was given. */
static int parse_limit(const char *v, int *out)
{
    char *end;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || !*v || *end || n < 1 || n > 100000) {
        ui_fprintf(stderr, "folio search: --limit needs a whole number from 1 to 100000%s%s%s\n",
                   v ? " (got '" : "", v ? v : "", v ? "')" : "");
        return -1;
    }
    *out = (int)n;
    return 0;
}

static int parse_type(const char *v, ing_kind *out)
{
    ing_kind k = v ? ing_kind_parse(v) : ING_KIND_SKIP;
    if (k == ING_KIND_SKIP) {
        ui_fprintf(stderr, "folio search: --type takes pdf, text, markdown or code%s%s%s\n",
                   v ? " (got '" : "", v ? v : "", v ? "')" : "");
        return -1;
    }
    *out = k;
    return 0;
}

/* Appends one word of query text. */
static int add_text(sopts *o, size_t *tl, const char *a)
{
    int n = snprintf(o->text + *tl, sizeof o->text - *tl, "%s%s", *tl ? " " : "", a);
    if (n < 0 || (size_t)n >= sizeof o->text - *tl) {
        fprintf(stderr, "folio search: the query is longer than %d bytes; shorten it\n",
                QUERY_MAX - 1);
        return -1;
    }
    *tl += (size_t)n;
    return 0;
}

static int parse(int argc, char **argv, sopts *o)
{
    size_t tl = 0;
    int opts_end = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (opts_end || a[0] != '-' || !a[1] || a[1] == ' ' || (a[1] & 0x80)) {
            if (add_text(o, &tl, a)) return -1;
        } else if (!strcmp(a, "--")) opts_end = 1;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage(stdout), 1;
        else if (!strcmp(a, "--db") && v) o->db = v, i++;
        else if (!strcmp(a, "--in") && v) o->in = v, i++;
        else if (!strcmp(a, "--json")) o->json = 1;
        else if (!strcmp(a, "--raw")) o->q.raw = 1;
        else if (!strcmp(a, "--symbol")) o->symbol = 1;
        else if (!strcmp(a, "--all")) o->all = 1;
        else if (!strcmp(a, "--limit")) {
            if (parse_limit(v, &o->q.limit)) return -1;
            i++;
        } else if (!strcmp(a, "--path") && v) o->q.path_glob = v, i++;
        else if (!strcmp(a, "--type")) {
            if (parse_type(v, &o->q.kind)) return -1;
            i++;
        } else {
            int known = !strcmp(a, "--db") || !strcmp(a, "--in") || !strcmp(a, "--path");
            ui_fprintf(stderr, known ? "folio search: %s needs a value\n"
                                     : "folio search: unknown option '%s' (to search for text "
                                       "that starts with '-', put it after --)\n", a);
            return usage(stderr), -1;
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

/* How a hit matched, in words for the text output (--json has idx_match_name's token). */
static const char *match_words(idx_match m)
{
    switch (m) {
    case IDX_MATCH_PHRASE: return "phrase";
    case IDX_MATCH_NEAR: return "all words, near";
    case IDX_MATCH_ALL: return "all words";
    case IDX_MATCH_STEM: return "all words, some in another form";
    case IDX_MATCH_SOME: return "some words";
    case IDX_MATCH_PART: return "inside words";
    }
    return "match";
}

/* The one score printed: the index's final score, whose tens are the kind of match, so each
 * kind outranks every hit of a weaker kind and the printed numbers fall down the list, also
 * across libraries. */
static double rank_score(const idx_hit *h) { return h->score; }

/* The folder the library's relative paths start from: where its .folio is (a library that was
 * moved or copied and not indexed since still names its old root), else its recorded root. */
static void root_for(idx *ix, const char *db, char *out, size_t outsz)
{
    app_library_root_of(db, out, outsz);
    if (!*out && idx_root(ix)) snprintf(out, outsz, "%s", idx_root(ix));
}

static void fill_result(result *x, idx *ix, const char *db, const char *root, size_t lib)
{
    const idx_hit *h = &x->hit;
    x->lib = lib;
    x->rank = rank_score(h);
    app_path_show(*root ? root : NULL, h->path, x->abs, sizeof x->abs, x->path, sizeof x->path);
    if (idx_doc_hash(ix, h->doc_id, x->hash) != 1) x->hash[0] = 0;
    x->db = db;
    x->also = NULL, x->nalso = 0;
}

/* Searches one library; hits are appended to *res in the order the index ranked them. Returns
 * 0, or an exit code. */
static int search_one(sopts *o, const char *db, size_t lib, result **res, size_t *n)
{
    char err[1024];
    idx *ix;
    int orc = app_library_open_reader(db, &ix, err, sizeof err);
    if (orc == IDX_EDAMAGED) return app_library_say_damaged(db, err), APP_EXIT_FAIL;
    if (orc) {
        ui_fprintf(stderr, "folio search: %s\n", err);
        return APP_EXIT_FAIL;
    }
    idx_hit *h;
    size_t nh;
    int rc = idx_search(ix, &o->q, &h, &nh);
    if (rc) {
        snprintf(err, sizeof err, "%s%s", rc == IDX_ESYNTAX ? "FTS5 syntax error: " : "",
                 idx_errmsg(ix));
        if (idx_damaged(ix)) app_library_say_damaged(db, err);
        else ui_fprintf(stderr, "folio search: %s\n", err);
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
        fill_result(x, ix, db, root, lib);
    }
    free(h); /* the strings now belong to the results */
    idx_close(ix);
    return 0;
}

static void print_symbol(const sopts *o, const idx_symbol *s, const char *root)
{
    char path[PATH_MAX], abs[PATH_MAX];
    app_path_show(root, s->path, abs, sizeof abs, path, sizeof path);
    if (!o->json) {
        ui_style(stdout, UI_STYLE_BOLD);
        ui_fprintf(stdout, "%s:%d-%d", path, s->line_start, s->line_end);
        ui_style(stdout, UI_STYLE_RESET);
        ui_fprintf(stdout, "  %s%s%s  %s\n", s->kind ? s->kind : "symbol",
                   s->scope ? " in " : "", s->scope ? s->scope : "",
                   s->signature ? s->signature : s->name);
        return;
    }
    json_object *j = json_object_new_object();
    json_object_object_add(j, "path", json_object_new_string(path));
    json_object_object_add(j, "line_start", json_object_new_int(s->line_start));
    json_object_object_add(j, "line_end", json_object_new_int(s->line_end));
    json_object_object_add(j, "name", json_object_new_string(s->name));
    json_object_object_add(j, "kind", json_object_new_string(s->kind ? s->kind : ""));
    json_object_object_add(j, "scope", s->scope ? json_object_new_string(s->scope) : NULL);
    json_object_object_add(j, "signature",
                           s->signature ? json_object_new_string(s->signature) : NULL);
    json_object_object_add(j, "abs_path", json_object_new_string(abs));
    ui_json_puts(stdout, json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(j);
}

/* --symbol over one library: its definitions of the name, printed at once (path, line). */
static int symbols_one(sopts *o, const char *db)
{
    char err[1024];
    idx *ix;
    if (app_library_open_reader(db, &ix, err, sizeof err)) {
        ui_fprintf(stderr, "folio search: %s\n", err);
        return APP_EXIT_FAIL;
    }
    idx_symbol *s;
    size_t n;
    if (idx_symbols_find(ix, o->text, o->q.limit - o->printed, &s, &n)) {
        ui_fprintf(stderr, "folio search: %s\n", idx_errmsg(ix));
        idx_close(ix);
        return APP_EXIT_FAIL;
    }
    for (size_t i = 0; i < n; i++, o->printed++) print_symbol(o, &s[i], idx_root(ix));
    idx_symbols_free(s, n);
    idx_close(ix);
    return 0;
}

/* Which of two hits of different libraries prints first: the higher score, then the library
 * listed first. */
static int by_rank(const void *a, const void *b)
{
    const result *p = a, *q = b;
    if (p->rank != q->rank) return p->rank < q->rank ? 1 : -1;
    return p->lib != q->lib ? (p->lib < q->lib ? -1 : 1) : 0;
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


/* Merges the per-library lists (each already in rank order) into `order`: at every step the
 * best head among the libraries, so no library's own order is ever changed. */
static void merge_ranked(const result *res, size_t n, size_t nlib, size_t *order)
{
    size_t *head = calloc(nlib ? nlib : 1, sizeof *head);
    size_t *end = calloc(nlib ? nlib : 1, sizeof *end);
    if (!head || !end) {
        for (size_t i = 0; i < n; i++) order[i] = i;
        free(head), free(end);
        return;
    }
    for (size_t i = 0; i < n; i++) end[res[i].lib] = i + 1;
    for (size_t l = 0, at = 0; l < nlib; l++) head[l] = at, at = end[l] > at ? end[l] : at;
    for (size_t k = 0; k < n; k++) {
        size_t best = nlib;
        for (size_t l = 0; l < nlib; l++)
            if (head[l] < end[l] && (best == nlib || by_rank(&res[head[l]], &res[head[best]]) < 0))
                best = l;
        order[k] = head[best]++;
    }
    free(head), free(end);
}

static void print_json(const result *r)
{
    const idx_hit *h = &r->hit;
    json_object *j = json_object_new_object();
    json_object_object_add(j, "path", json_object_new_string(r->path));
    json_object_object_add(j, "page", h->page > 0 ? json_object_new_int(h->page) : NULL);
    json_object_object_add(j, "line_start", json_object_new_int(h->line_start));
    json_object_object_add(j, "line_end", json_object_new_int(h->line_end));
    json_object_object_add(j, "score", json_object_new_double(r->rank));
    json_object_object_add(j, "match", json_object_new_string(idx_match_name(h->match)));
    json_object_object_add(j, "snippet", json_object_new_string(h->snippet ? h->snippet : ""));
    json_object_object_add(j, "kind", json_object_new_string(h->kind));
    json_object_object_add(j, "heading", h->heading ? json_object_new_string(h->heading) : NULL);
    json_object_object_add(j, "symbol", h->symbol ? json_object_new_string(h->symbol) : NULL);
    json_object_object_add(j, "abs_path", json_object_new_string(r->abs));
    json_object *paths = json_object_new_array();
    json_object_array_add(paths, json_object_new_string(r->path));
    for (size_t i = 0; i < r->nalso; i++)
        json_object_array_add(paths, json_object_new_string(r->also[i]));
    json_object_object_add(j, "paths", paths);
    json_object_object_add(j, "library", json_object_new_string(r->db));
    ui_json_puts(stdout,
                 json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                       JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(j);
}

static void print_text(const result *r)
{
    const idx_hit *h = &r->hit;
    const char *words = match_words(h->match);
    char where[64];
    if (h->page > 0) snprintf(where, sizeof where, "p.%d lines %d-%d", h->page, h->line_start, h->line_end);
    else snprintf(where, sizeof where, "lines %d-%d", h->line_start, h->line_end);
    ui_style(stdout, UI_STYLE_BOLD);
    ui_write_safe(stdout, r->path, strlen(r->path), 0);
    ui_style(stdout, UI_STYLE_RESET);
    printf("  %s  ", where);
    ui_style(stdout, UI_STYLE_DIM);
    printf("(%s, %.3f)", words, r->rank);
    ui_style(stdout, UI_STYLE_RESET);
    putchar('\n');
    if (h->symbol || h->heading) {
        fputs(h->symbol ? "  in " : "  \xc2\xa7 ", stdout);
        const char *t = h->symbol ? h->symbol : h->heading;
        ui_write_safe(stdout, t, strlen(t), 0);
        putchar('\n');
    }
    for (size_t i = 0; i < r->nalso; i++) /* identical copies of this document */
        ui_fprintf(stdout, "  also %s\n", r->also[i]);
    if (h->snippet) {
        fputs("  ", stdout);
        ui_write_marked(stdout, h->snippet, MARK_OPEN, MARK_CLOSE, 0);
        fputs("\n\n", stdout);
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

static int pick_libraries(sopts *o, char ***dbs, size_t *n)
{
    *dbs = NULL, *n = 0;
    if (o->in && !o->db) {
        if (!(*n = app_library_find_all(o->in, dbs))) {
            ui_fprintf(stderr, "folio search: no library in or above %s (run: folio index %s)\n",
                       o->in, o->in);
            return APP_EXIT_FAIL;
        }
        say_searched(o, *dbs, *n, o->in);
        return 0;
    }
    if (o->db) {
        if (access(o->db, R_OK)) {
            ui_fprintf(stderr, "folio search: %s: no such library\n", o->db);
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
        say_searched(o, *dbs, *n, "this folder");
        return 0;
    }
    *n = app_library_known(dbs);
    if (!*n) {
        fprintf(stderr, "folio search: no library here; index a folder first (folio index DIR)\n");
        return APP_EXIT_FAIL;
    }
    return 0;
}

/* Prints the merged hits (at most --limit). Returns the exit code. */
static int print_hits(const sopts *o, result *res, size_t *np, size_t nlib)
{
    size_t n = *np;
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    result *sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!order || !sorted) return free(order), free(sorted), APP_EXIT_FAIL;
    merge_ranked(res, n, nlib, order);
    for (size_t i = 0; i < n; i++) sorted[i] = res[order[i]];
    memcpy(res, sorted, n * sizeof *res);
    free(order), free(sorted);
    *np = n = collapse(res, n);
    for (size_t i = 0; i < n && i < (size_t)o->q.limit; i++)
        o->json ? print_json(&res[i]) : print_text(&res[i]);
    if (!n && !o->json) ui_fprintf(stderr, "no results for: %s\n", o->text);
    return n ? APP_EXIT_OK : APP_EXIT_FAIL;
}

int app_cmd_search(int argc, char **argv)
{
    sopts o = {0};
    int p = parse(argc, argv, &o);
    if (p) return p > 0 ? APP_EXIT_OK : APP_EXIT_USAGE;
    /* JSON keeps the readable "**" marks; text gets private ones that ui_write_marked renders
     * in color or as "**". */
    o.q.mark_open = o.json ? "**" : MARK_OPEN;
    o.q.mark_close = o.json ? "**" : MARK_CLOSE;
    char **dbs;
    size_t ndb;
    int rc = pick_libraries(&o, &dbs, &ndb);
    result *res = NULL;
    size_t n = 0;
    /* Over every known library, one that cannot be read (its message says why) leaves the
     * others to answer. */
    size_t failed = 0;
    for (size_t i = 0; i < ndb; i++) {
        int r = rc || (o.symbol && o.printed >= o.q.limit) ? 0
                : o.symbol ? symbols_one(&o, dbs[i])
                           : search_one(&o, dbs[i], i, &res, &n);
        if (r && (r == APP_EXIT_USAGE || ndb == 1)) rc = r;
        failed += r != 0;
    }
    if (!rc && ndb && failed == ndb) rc = APP_EXIT_FAIL;
    if (!rc && o.symbol) {
        if (!o.printed && !o.json) ui_fprintf(stderr, "no definition of: %s\n", o.text);
        rc = o.printed ? APP_EXIT_OK : APP_EXIT_FAIL;
    } else if (!rc) {
        rc = print_hits(&o, res, &n, ndb);
    }
    for (size_t i = 0; i < n; i++) result_free(&res[i]);
    free(res);
    for (size_t i = 0; i < ndb; i++) free(dbs[i]);
    free(dbs);
    return rc;
}
