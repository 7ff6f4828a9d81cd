/* app/cmd_code.c: `folio code REPO [--def|--refs|--callers|--callees NAME] [QUESTION]`: code
 * lookups answered from the library's symbols and references (no file is read), printed as
 * text or as JSON lines {path (relative to REPO), line, kind, name, signature | text, ...}. */
#include "app.h"
#include "code.h"
#include "library.h"
#include "ui.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: folio code REPO [--def|--refs|--callers|--callees NAME] [QUESTION...]\n"
            "Definitions, references, callers and callees of a repository's code, from its\n"
            "library (indexed first when it has none); without a lookup or a question, a map\n"
            "of the repository: its files by how much the rest uses them, with their main\n"
            "definitions.\n"
            "  --def NAME      where NAME is defined: path, line, kind, signature\n"
            "  --refs NAME     where NAME is used (definitions left out), with the line\n"
            "  --callers NAME  the functions that call NAME, at each call site\n"
            "  --callees NAME  what the function NAME calls\n"
            "  --budget N      the map's size: tokens of the model's tokenizer, or words\n"
            "                  without a model (default 1024)\n"
            "  --model DIR     answer QUESTION with this checkpoint (default: FOLIO_MODEL)\n"
            "  --no-model      the extractive answer even when a model is configured\n"
            "  --limit N       at most N lines per answer (default: all)\n"
            "  --db FILE       the library database (as folio index --db made it)\n"
            "  --json          one JSON object per line: path, line, kind, name, and signature\n"
            "                  (definitions) or text (references, kind ref or call)\n"
            "exit status: 0 found, 1 nothing found or error, 2 usage\n");
}

typedef struct opts {
    const char *repo, *def, *refs, *callers, *callees, *db;
    char question[8192];
} opts;

static int parse(int argc, char **argv, opts *o, app_code *c)
{
    size_t tl = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage(stdout), 1;
        else if (!strcmp(a, "--def") && v) o->def = v, i++;
        else if (!strcmp(a, "--refs") && v) o->refs = v, i++;
        else if (!strcmp(a, "--callers") && v) o->callers = v, i++;
        else if (!strcmp(a, "--callees") && v) o->callees = v, i++;
        else if (!strcmp(a, "--json")) c->json = 1;
        else if (!strcmp(a, "--db") && v) o->db = v, i++;
        else if (!strcmp(a, "--model") && v) c->model = v, i++;
        else if (!strcmp(a, "--no-model")) c->no_model = 1;
        else if (!strcmp(a, "--budget") && v && atoi(v) > 0) c->budget = atoi(v), i++;
        else if (!strcmp(a, "--limit") && v && atoi(v) > 0) c->limit = atoi(v), i++;
        else if (a[0] == '-' && a[1] && !(a[1] & 0x80) && strcmp(a, "--")) {
            fprintf(stderr, "folio code: unknown or incomplete option '%s'\n", a);
            return usage(stderr), -1;
        } else if (!o->repo) {
            o->repo = a;
        } else {
            int n = snprintf(o->question + tl, sizeof o->question - tl, "%s%s", tl ? " " : "", a);
            if (n < 0 || (size_t)n >= sizeof o->question - tl) {
                fprintf(stderr, "folio code: question too long\n");
                return -1;
            }
            tl += (size_t)n;
        }
    }
    int lookups = !!o->def + !!o->refs + !!o->callers + !!o->callees;
    if (!o->repo) {
        fprintf(stderr, "folio code: no REPO given\n");
        return usage(stderr), -1;
    }
    if (lookups > 1 || (lookups && tl)) {
        fprintf(stderr, "folio code: one of --def, --refs, --callers, --callees or a question\n");
        return usage(stderr), -1;
    }
    return 0;
}

const char *app_code_rel(const app_code *c, const char *path)
{
    size_t n = strlen(c->prefix);
    if (!n) return path;
    return !strncmp(path, c->prefix, n) && path[n] == '/' ? path + n + 1 : NULL;
}

static void json_line(json_object *j)
{
    ui_json_puts(stdout, json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                               JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(j);
}

static json_object *str_or_null(const char *s) { return s ? json_object_new_string(s) : NULL; }

void app_code_print_def(const app_code *c, const idx_symbol *s)
{
    const char *path = app_code_rel(c, s->path);
    if (!path) return;
    if (c->json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "path", json_object_new_string(path));
        json_object_object_add(j, "line", json_object_new_int(s->line_start));
        json_object_object_add(j, "kind", json_object_new_string(s->kind ? s->kind : "unknown"));
        json_object_object_add(j, "name", json_object_new_string(s->name));
        json_object_object_add(j, "signature", str_or_null(s->signature));
        json_object_object_add(j, "line_end", json_object_new_int(s->line_end));
        if (s->scope) json_object_object_add(j, "scope", json_object_new_string(s->scope));
        json_line(j);
        return;
    }
    ui_fprintf(stdout, "%s:%d: %s %s%s%s%s%s\n", path, s->line_start, s->kind ? s->kind : "?",
               s->scope ? s->scope : "", s->scope ? "::" : "", s->name,
               s->signature ? "  " : "", s->signature ? s->signature : "");
}

/* What stands for code outside any function (a module's top level). */
static const char *caller_name(const idx_ref *r) { return r->scope ? r->scope : "(top level)"; }

void app_code_print_ref(const app_code *c, const idx_ref *r, int how)
{
    const char *path = app_code_rel(c, r->path);
    if (!path) return;
    const char *name = how == APP_CODE_CALLER ? caller_name(r) : r->name;
    const char *kind = how != APP_CODE_USE || (r->flags & ING_REF_CALL) ? "call" : "ref";
    if (c->json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "path", json_object_new_string(path));
        json_object_object_add(j, "line", json_object_new_int(r->line));
        json_object_object_add(j, "kind", json_object_new_string(kind));
        json_object_object_add(j, "name", json_object_new_string(name));
        json_object_object_add(j, "text", json_object_new_string(r->text ? r->text : ""));
        json_object_object_add(j, "col", json_object_new_int(r->col));
        if (how == APP_CODE_CALLER) {
            json_object_object_add(j, "callee", json_object_new_string(r->name));
            if (r->scope)
                json_object_object_add(j, "caller_line", json_object_new_int(r->scope_line));
        } else {
            json_object_object_add(j, "caller", str_or_null(r->scope));
        }
        json_line(j);
        return;
    }
    const char *t = r->text ? r->text : "";
    while (*t == ' ' || *t == '\t') t++;
    if (how == APP_CODE_CALLER)
        ui_fprintf(stdout, "%s:%d: %s: %s\n", path, r->line, name, t);
    else if (how == APP_CODE_CALLEE)
        ui_fprintf(stdout, "%s:%d: %s  (in %s)\n", path, r->line, name, caller_name(r));
    else
        ui_fprintf(stdout, "%s:%d:%d: %s\n", path, r->line, r->col, t);
}

/* Indexes `folder` (incrementally) as `folio index` does, its summary on stderr. */
static int index_folder(const char *folder)
{
    char a0[] = "index", a1[] = "--quiet", a2[PATH_MAX + 4200];
    snprintf(a2, sizeof a2, "%s", folder);
    char *argv[] = {a0, a1, a2, NULL};
    return app_cmd_index(3, argv);
}

/* REPO's library: found at or above it, or made now; code read before references existed is
 * read again. The prefix is REPO's place under the library's root. */
static int open_repo(const char *repo, const char *db, app_code *c)
{
    struct stat st;
    char abs[PATH_MAX], err[2048];
    if (stat(repo, &st) || !S_ISDIR(st.st_mode) || !realpath(repo, abs)) {
        ui_fprintf(stderr, "folio code: %s: not a folder (give the repository's folder)\n", repo);
        return -1;
    }
    if (db) {
        if (access(db, R_OK)) {
            ui_fprintf(stderr,
                       "folio code: %s: no such library (make it: folio index %s --db %s)\n", db,
                       repo, db);
            return -1;
        }
        snprintf(c->db, sizeof c->db, "%s", db);
    } else if (!app_library_find(abs, c->db, sizeof c->db)) {
        ui_fprintf(stderr, "folio code: indexing %s first\n", abs);
        if (index_folder(abs) || !app_library_find(abs, c->db, sizeof c->db)) return -1;
    }
    for (int pass = 0; pass < 2; pass++) {
        if (app_library_open_reader(c->db, &c->ix, err, sizeof err)) {
            ui_fprintf(stderr, "folio code: %s\n", err);
            return -1;
        }
        const char *root = idx_root(c->ix);
        snprintf(c->root, sizeof c->root, "%s", root ? root : "");
        if (pass || db || idx_refs_pending(c->ix) <= 0 || !c->root[0]) break;
        idx_close(c->ix), c->ix = NULL;
        ui_fprintf(stderr, "folio code: reading the code of %s again for its references\n",
                   c->root);
        if (index_folder(c->root)) return -1;
    }
    size_t rl = strlen(c->root);
    if (rl && !strncmp(abs, c->root, rl) && abs[rl] == '/')
        snprintf(c->prefix, sizeof c->prefix, "%s", abs + rl + 1);
    return 0;
}

static int lookup_defs(app_code *c, const char *name)
{
    idx_symbol *s;
    size_t n, shown = 0;
    if (idx_symbols_find(c->ix, name, c->limit ? c->limit : 100000, &s, &n)) {
        ui_fprintf(stderr, "folio code: %s: %s\n", c->db, idx_errmsg(c->ix));
        return APP_EXIT_FAIL;
    }
    for (size_t i = 0; i < n; i++)
        if (app_code_rel(c, s[i].path)) app_code_print_def(c, &s[i]), shown++;
    idx_symbols_free(s, n);
    if (!shown && !c->json) ui_fprintf(stderr, "folio code: no definition of %s\n", name);
    return shown ? APP_EXIT_OK : APP_EXIT_FAIL;
}

static int lookup_refs(app_code *c, const char *name, int how)
{
    idx_ref *r;
    size_t n, shown = 0;
    int rc = how == APP_CODE_CALLEE ? idx_refs_callees(c->ix, name, c->limit, &r, &n)
                                    : idx_refs_find(c->ix, name, how == APP_CODE_CALLER,
                                                    c->limit, &r, &n);
    if (rc) {
        ui_fprintf(stderr, "folio code: %s: %s\n", c->db, idx_errmsg(c->ix));
        return APP_EXIT_FAIL;
    }
    for (size_t i = 0; i < n; i++)
        if (app_code_rel(c, r[i].path)) app_code_print_ref(c, &r[i], how), shown++;
    idx_refs_free(r, n);
    static const char *const what[] = {"use", "call", "call inside a definition"};
    if (!shown && !c->json) ui_fprintf(stderr, "folio code: no %s of %s\n", what[how], name);
    return shown ? APP_EXIT_OK : APP_EXIT_FAIL;
}

int app_cmd_code(int argc, char **argv)
{
    opts o = {0};
    app_code c = {0};
    int rc = parse(argc, argv, &o, &c);
    if (rc) return rc > 0 ? APP_EXIT_OK : APP_EXIT_USAGE;
    if (open_repo(o.repo, o.db, &c)) {
        idx_close(c.ix);
        return APP_EXIT_FAIL;
    }
    if (o.def) rc = lookup_defs(&c, o.def);
    else if (o.refs) rc = lookup_refs(&c, o.refs, APP_CODE_USE);
    else if (o.callers) rc = lookup_refs(&c, o.callers, APP_CODE_CALLER);
    else if (o.callees) rc = lookup_refs(&c, o.callees, APP_CODE_CALLEE);
    else if (o.question[0]) rc = app_code_question(&c, o.question);
    else rc = app_code_map(&c);
    idx_close(c.ix);
    return rc;
}
