/* app/cmd_ask.c: `folio ask QUESTION`: the passages of a library (or one indexed file) that best
 * answer a question, each cited by file, page and lines with its answering sentences marked; with
 * a model, a generated answer over them (app/ask_model.c). Prints text or one JSON object. */
#include "app.h"
#include "ask.h"
#include "library.h"
#include "retrieve.h"
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
            "usage: folio ask QUESTION... [--in PATH]... [--model DIR] [--json] [-k N] [--ctx N]\n"
            "The passages that answer QUESTION, best first, each cited with file, page and\n"
            "lines and its answering sentences marked; with a model, an answer citing them.\n"
            "  --in PATH     a folder (its library) or one indexed file (repeatable); default:\n"
            "                the library of the current folder or above\n"
            "  --db FILE     the library database\n"
            "  --model DIR   answer with this checkpoint (default: FOLIO_MODEL, the config file)\n"
            "  --no-model    the extractive answer even when a model is configured\n"
            "  -k N          passages (default 5)\n"
            "  --ctx N       largest context in tokens for the model (default: the model's)\n"
            "  --json        one JSON object: question, mode, answer, citations, context\n"
            "  -v, --verbose how the question was read, on stderr\n"
            "exit status: 0 answered, 1 nothing found or error, 2 usage\n");
}

static int parse(int argc, char **argv, app_ask_opts *o)
{
    size_t tl = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return usage(stdout), 1;
        else if (!strcmp(a, "--in") && v && o->nin < APP_ASK_MAX_IN)
            o->in[o->nin++] = v, i++;
        else if (!strcmp(a, "--db") && v)
            o->db = v, i++;
        else if (!strcmp(a, "--model") && v)
            o->model = v, i++;
        else if (!strcmp(a, "--no-model"))
            o->no_model = 1;
        else if (!strcmp(a, "--json"))
            o->json = 1;
        else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
            o->verbose = 1;
        else if (!strcmp(a, "-k") && v && atoi(v) > 0 && atoi(v) <= 100)
            o->k = atoi(v), i++;
        else if (!strcmp(a, "--ctx") && v && atoi(v) > 0)
            o->ctx = atoi(v), i++;
        else if (a[0] == '-' && a[1] && !(a[1] & 0x80) && strcmp(a, "--")) {
            fprintf(stderr, "folio ask: unknown or incomplete option '%s'\n", a);
            return usage(stderr), -1;
        } else {
            int n = snprintf(o->question + tl, sizeof o->question - tl, "%s%s", tl ? " " : "", a);
            if (n < 0 || (size_t)n >= sizeof o->question - tl) {
                fprintf(stderr, "folio ask: question too long\n");
                return -1;
            }
            tl += (size_t)n;
        }
    }
    if (!tl) {
        fprintf(stderr, "folio ask: no QUESTION given\n");
        return usage(stderr), -1;
    }
    if (!o->k) o->k = 5;
    return 0;
}

/* One --in PATH (or the current folder): its library, and for a file the glob of its path. */
static int resolve_one(const char *path, int is_default, app_ask_lib *L)
{
    struct stat st;
    char dir[PATH_MAX];
    memset(L, 0, sizeof *L);
    if (stat(path, &st)) {
        ui_fprintf(stderr, "folio ask: %s: no such file or folder\n", path);
        return -1;
    }
    int file = !S_ISDIR(st.st_mode);
    L->sub = !file && !is_default;
    snprintf(dir, sizeof dir, "%s", path);
    if (file) {
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = slash == dir ? (slash[1] = 0, '/') : 0;
        else
            snprintf(dir, sizeof dir, ".");
    }
    if (!app_library_find(dir, L->db, sizeof L->db)) {
        if (is_default)
            fprintf(stderr, "folio ask: no library in or above the current folder; index one "
                            "first (folio index DIR) or name it with --in DIR\n");
        else
            ui_fprintf(stderr, "folio ask: no library in or above %s (run: folio index %s)\n", dir,
                       dir);
        return -1;
    }
    if (file || L->sub) {
        char *abs = realpath(path, NULL);
        snprintf(L->file, sizeof L->file, "%s", abs ? abs : path);
        free(abs);
    }
    return 0;
}

/* The shown path of L->file in its library (relative to the root), as a glob; checks the file
 * is indexed and the library holds documents. */
static int check_lib(idx *ix, app_ask_lib *L)
{
    idx_stats st;
    if (idx_get_stats(ix, &st)) {
        ui_fprintf(stderr, "folio ask: %s: %s\n", L->db, idx_errmsg(ix));
        return -1;
    }
    if (st.documents == 0) {
        ui_fprintf(stderr,
                   "folio ask: the library %s holds no documents; index a folder into it "
                   "(folio index DIR)\n",
                   L->db);
        return -1;
    }
    if (!L->file[0]) return 0;
    const char *root = idx_root(ix);
    size_t rl = root ? strlen(root) : 0;
    const char *shown = L->file;
    if (rl && !strncmp(L->file, root, rl) && L->file[rl] == '/') shown = L->file + rl + 1;
    if (L->sub) { /* a folder inside the library: the documents under it */
        if (shown != L->file) {
            app_glob_escape(shown, L->glob, sizeof L->glob - 2);
            strcat(L->glob, "/*");
        }
        L->file[0] = 0;
        return 0;
    }
    int64_t id;
    int pages;
    int f = idx_doc_by_path(ix, shown, &id, &pages);
    if (f <= 0) f = idx_doc_by_path(ix, L->file, &id, &pages);
    if (f <= 0) {
        ui_fprintf(stderr,
                   "folio ask: %s is not in its library %s (run: folio index on its "
                   "folder)\n",
                   L->file, L->db);
        return -1;
    }
    app_glob_escape(f > 0 && shown != L->file ? shown : L->file, L->glob, sizeof L->glob);
    return 0;
}

static int gather(app_ask_opts *o, const app_question *q, app_passage **ps, size_t *n)
{
    int failed = 0;
    for (int i = 0; i < o->nlib; i++) {
        app_ask_lib *L = &o->lib[i];
        char err[1024];
        idx *ix;
        if (app_library_open_reader(L->db, &ix, err, sizeof err)) {
            ui_fprintf(stderr, "folio ask: %s\n", err);
            failed++;
            continue;
        }
        if (check_lib(ix, L)) {
            idx_close(ix);
            failed++;
            continue;
        }
        const char *root = idx_root(ix);
        snprintf(L->root, sizeof L->root, "%s", root ? root : "");
        app_retrieve_opts ro = {.path_glob = L->glob[0] ? L->glob : NULL, .k = o->k};
        if (app_retrieve(ix, q, &ro, i, ps, n, err, sizeof err)) {
            ui_fprintf(stderr, "folio ask: %s: %s\n", L->db, err);
            failed++;
        }
        idx_close(ix);
    }
    return failed == o->nlib ? -1 : 0;
}

static int resolve(app_ask_opts *o)
{
    if (o->db) {
        if (access(o->db, R_OK)) {
            ui_fprintf(stderr, "folio ask: %s: no such library\n", o->db);
            return -1;
        }
        snprintf(o->lib[0].db, sizeof o->lib[0].db, "%s", o->db);
        o->nlib = 1;
    }
    for (int i = 0; i < o->nin; i++)
        if (resolve_one(o->in[i], 0, &o->lib[o->nlib++])) return -1;
    if (!o->nlib && resolve_one(".", 1, &o->lib[o->nlib++])) return -1;
    return 0;
}

int app_cmd_ask(int argc, char **argv)
{
    app_ask_opts *o = calloc(1, sizeof *o);
    if (!o) return APP_EXIT_FAIL;
    int rc = parse(argc, argv, o);
    if (rc) {
        free(o);
        return rc > 0 ? APP_EXIT_OK : APP_EXIT_USAGE;
    }
    app_question *q = NULL;
    app_passage *ps = NULL;
    size_t n = 0;
    int pq = app_question_parse(o->question, &q);
    if (pq < 0)
        rc = APP_EXIT_FAIL;
    else if (pq > 0) {
        ui_fprintf(stderr,
                   "folio ask: '%s' holds only common words (what, is, the, ...); ask "
                   "about a term that the documents would use\n",
                   o->question);
        rc = APP_EXIT_FAIL;
    } else if (resolve(o) || gather(o, q, &ps, &n)) {
        rc = APP_EXIT_FAIL;
    }
    if (!rc && o->verbose) {
        char d[2048];
        app_question_describe(q, d, sizeof d);
        ui_fprintf(stderr, "folio ask: looking for: %s\n", d);
    }
    if (!rc) app_passages_finish(ps, &n, (size_t)o->k);
    if (!rc)
        rc = app_ask_answer(o, ps, n);
    else if (o->json)
        app_ask_print_json(o, NULL, 0, NULL, NULL, NULL);
    app_passages_free(ps, n);
    app_question_destroy(q);
    free(o);
    return rc;
}
