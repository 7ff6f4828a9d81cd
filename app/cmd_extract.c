/* app/cmd_extract.c: `folio extract FILE|FOLDER`: the 41 CUAD clause categories of a contract with
 * page and line citations, by rules or with a model; JSON, text, or a CSV/Markdown matrix. */
#include "app.h"
#include "extract.h"
#include "extract_model.h"
#include "ing.h"
#include "ui.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct xopts {
    const char *path, *model, *rules_file, *format_name;
    int format, list, ncat, clauses, verbose;
    const char *cats[64];
    unsigned char want[256];
    int want_set;
    app_extract_rules *rules;
} xopts;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: folio extract FILE|FOLDER [--format json|csv|md|text] [--model DIR]\n"
            "                     [--category NAME]...\n"
            "The 41 CUAD clause categories of a contract (PDF or text), each with its page and\n"
            "lines; the fact categories also get a normalized answer (ISO 8601 dates, durations,\n"
            "jurisdictions, party names). Without a model the rules of assets/cuad decide.\n"
            "  --format F       text (default for a file), json (one object per contract per\n"
            "                   line), md (default for a folder) or csv: over a folder, a\n"
            "                   contract x category matrix\n"
            "  --category NAME  only this category (repeatable; names as --list shows them)\n"
            "  --model DIR      ask a model (default $FOLIO_MODEL when set) one question per\n"
            "                   category over the contract; a clause it returns that the\n"
            "                   contract does not contain is dropped and reported\n"
            "  --verbose        with --model: per question, its prompt tokens and how many of\n"
            "                   them came from the cache (the contract is computed once)\n"
            "  --rules FILE     a categories file in the format of assets/cuad/categories.txt\n"
            "                   instead of the built-in one\n"
            "  --color WHEN     auto (a terminal, unless NO_COLOR is set), always or never\n"
            "  --list           the categories and their definitions\n"
            "  --clauses        how the contract is cut: each clause with its page, lines and\n"
            "                   section heading (to see why a clause was or was not found)\n"
            "exit status: 0 done, 1 a contract could not be read, 2 usage\n");
}

static int parse_format(const char *s)
{
    if (!strcmp(s, "json")) return APP_EXTRACT_JSON;
    if (!strcmp(s, "csv")) return APP_EXTRACT_CSV;
    if (!strcmp(s, "md") || !strcmp(s, "markdown")) return APP_EXTRACT_MD;
    if (!strcmp(s, "text")) return APP_EXTRACT_TEXT;
    return -1;
}

static int parse(int argc, char **argv, xopts *o)
{
    o->format = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return usage(stdout), 1;
        else if (!strcmp(a, "--format") && v)
            o->format_name = v, o->format = parse_format(v), i++;
        else if (!strcmp(a, "--model") && v)
            o->model = v, i++;
        else if (!strcmp(a, "--rules") && v)
            o->rules_file = v, i++;
        else if (!strcmp(a, "--category") && v && o->ncat < 64)
            o->cats[o->ncat++] = v, i++;
        else if (!strcmp(a, "--list"))
            o->list = 1;
        else if (!strcmp(a, "--clauses"))
            o->clauses = 1;
        else if (!strcmp(a, "--verbose"))
            o->verbose = 1;
        else if (!strcmp(a, "--color") && v && ui_color_parse(v) >= 0)
            ui_color_set(ui_color_parse(v)), i++;
        else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "folio extract: unknown option or missing value: %s\n", a);
            return -1;
        } else if (!o->path)
            o->path = a;
        else {
            fprintf(stderr, "folio extract: one FILE or FOLDER at a time\n");
            return -1;
        }
    }
    if (o->format_name && o->format < 0) {
        fprintf(stderr, "folio extract: --format is json, csv, md or text, not '%s'\n",
                o->format_name);
        return -1;
    }
    if (!o->path && !o->list) {
        usage(stderr);
        return -1;
    }
    if (!o->model && getenv("FOLIO_MODEL") && *getenv("FOLIO_MODEL"))
        o->model = getenv("FOLIO_MODEL");
    return 0;
}

static int load_rules(xopts *o)
{
    char err[512];
    int rc;
    if (o->rules_file) {
        void *data = NULL;
        size_t len = 0;
        rc = ing_file_read(o->rules_file, 16 << 20, &data, &len, err, sizeof err);
        if (!rc) rc = app_extract_rules_load(data, len, o->rules_file, &o->rules, err, sizeof err);
        free(data);
    } else {
        rc = app_extract_rules_default(&o->rules, err, sizeof err);
    }
    if (rc) {
        ui_fprintf(stderr, "folio extract: %s\n", err);
        return -1;
    }
    int n = app_extract_rules_count(o->rules);
    for (int i = 0; i < o->ncat; i++) {
        int c = app_extract_rules_find(o->rules, o->cats[i]);
        if (c < 0 || c >= 256) {
            ui_fprintf(stderr, "folio extract: no category '%s' (see 'folio extract --list')\n",
                       o->cats[i]);
            return -1;
        }
        o->want[c] = 1, o->want_set = 1;
    }
    if (!o->want_set) memset(o->want, 1, (size_t)(n < 256 ? n : 256));
    return 0;
}

static int print_clauses(const char *path)
{
    app_extract_doc d;
    char err[1024];
    if (app_extract_doc_load(path, &d, err, sizeof err)) {
        ui_fprintf(stderr, "folio extract: %s\n", err);
        return APP_EXIT_FAIL;
    }
    for (size_t i = 0; i < d.nclauses; i++) {
        const app_extract_clause *c = &d.clauses[i];
        int page, line;
        app_extract_text_locate(&d.text, c->start, &page, &line);
        char *text = app_extract_squeeze(d.text.text, c->start, c->end);
        char *head = app_extract_squeeze(d.text.text, c->head_start, c->head_end);
        ui_fprintf(stdout, "%d:%d %s[%s] %s\n", page, line, c->is_heading ? "HEADING " : "",
                   head ? head : "", text ? text : "");
        free(text), free(head);
    }
    app_extract_doc_free(&d);
    return APP_EXIT_OK;
}

static int one_file(xopts *o, const char *path, app_extract_model *m)
{
    if (o->clauses) return print_clauses(path);
    app_extract_doc d;
    char err[1024];
    int rc = m ? app_extract_model_doc(m, path, o->rules, o->want, &d, err, sizeof err)
               : app_extract_doc_rules(path, o->rules, o->want, &d, err, sizeof err);
    if (rc) {
        ui_fprintf(stderr, "folio extract: %s\n", err);
        return APP_EXIT_FAIL;
    }
    if (d.dropped)
        ui_fprintf(stderr,
                   "folio extract: %s: %d answer%s of the model dropped: the contract "
                   "does not contain %s\n",
                   path, d.dropped, d.dropped == 1 ? "" : "s", d.dropped == 1 ? "it" : "them");
    rc = o->format == APP_EXTRACT_JSON ? app_extract_write_json(stdout, &d, o->rules)
         : o->format == APP_EXTRACT_TEXT || o->format < 0
             ? app_extract_write_text(stdout, &d, o->rules)
             : (app_extract_matrix_head(stdout, o->format, o->rules, o->want) ||
                app_extract_matrix_row(stdout, o->format, o->rules, o->want, path, &d, NULL));
    app_extract_doc_free(&d);
    return rc ? APP_EXIT_FAIL : APP_EXIT_OK;
}

typedef struct folder_walk {
    char **paths;
    size_t n, cap;
} folder_walk;

static int collect(void *user, const ing_entry *e)
{
    folder_walk *w = user;
    if (e->skip ||
        (e->kind != ING_KIND_PDF && e->kind != ING_KIND_TEXT && e->kind != ING_KIND_MARKDOWN))
        return 0;
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        char **p = realloc(w->paths, cap * sizeof *p);
        if (!p) return -1;
        w->paths = p, w->cap = cap;
    }
    return (w->paths[w->n++] = strdup(e->path)) ? 0 : -1;
}

static int folder(xopts *o, app_extract_model *m)
{
    folder_walk w = {0};
    char err[1024];
    if (ing_walk(o->path, NULL, collect, &w, err, sizeof err)) {
        ui_fprintf(stderr, "folio extract: %s\n", err[0] ? err : "out of memory");
        return APP_EXIT_FAIL;
    }
    int format = o->format < 0 || o->format == APP_EXTRACT_TEXT ? APP_EXTRACT_MD : o->format;
    int tty = isatty(2), failed = 0;
    if (format != APP_EXTRACT_JSON) app_extract_matrix_head(stdout, format, o->rules, o->want);
    for (size_t i = 0; i < w.n; i++) {
        if (tty) ui_fprintf(stderr, "\r\033[K[%zu/%zu] %s", i + 1, w.n, w.paths[i]);
        app_extract_doc d;
        int rc = m ? app_extract_model_doc(m, w.paths[i], o->rules, o->want, &d, err, sizeof err)
                   : app_extract_doc_rules(w.paths[i], o->rules, o->want, &d, err, sizeof err);
        if (rc) {
            if (tty) fputc('\n', stderr);
            ui_fprintf(stderr, "folio extract: %s\n", err);
            failed++;
        } else if (d.dropped) {
            if (tty) fputc('\n', stderr);
            ui_fprintf(stderr,
                       "folio extract: %s: %d answer%s of the model dropped: not in the "
                       "contract\n",
                       w.paths[i], d.dropped, d.dropped == 1 ? "" : "s");
        }
        if (format == APP_EXTRACT_JSON) {
            if (!rc) app_extract_write_json(stdout, &d, o->rules);
        } else {
            app_extract_matrix_row(stdout, format, o->rules, o->want, w.paths[i], rc ? NULL : &d,
                                   rc ? err : NULL);
        }
        fflush(stdout);
        if (!rc) app_extract_doc_free(&d);
        free(w.paths[i]);
    }
    if (tty)
        fprintf(stderr, "\r\033[K%zu contract%s read, %d failed\n", w.n - (size_t)failed,
                w.n - (size_t)failed == 1 ? "" : "s", failed);
    free(w.paths);
    return failed ? APP_EXIT_FAIL : APP_EXIT_OK;
}

static void list(const xopts *o)
{
    for (int c = 0; c < app_extract_rules_count(o->rules); c++)
        ui_fprintf(stdout, "%-36s %s  %s\n", app_extract_rules_name(o->rules, c),
                   app_extract_rules_kind(o->rules, c) == APP_EXTRACT_FACT ? "fact  " : "clause",
                   app_extract_rules_define(o->rules, c));
}

int app_cmd_extract(int argc, char **argv)
{
    xopts o = {0};
    int rc = parse(argc, argv, &o);
    if (rc) return rc > 0 ? APP_EXIT_OK : APP_EXIT_USAGE;
    if (load_rules(&o)) return app_extract_rules_destroy(o.rules), APP_EXIT_USAGE;
    if (o.list && !o.path) return list(&o), app_extract_rules_destroy(o.rules), APP_EXIT_OK;
    struct stat st;
    if (stat(o.path, &st)) {
        ui_fprintf(stderr, "folio extract: %s: no such file or folder\n", o.path);
        app_extract_rules_destroy(o.rules);
        return APP_EXIT_FAIL;
    }
    app_extract_model *m = NULL;
    if (o.model) {
        char err[1024];
        if (app_extract_model_open(o.model, &m, err, sizeof err)) {
            ui_fprintf(stderr, "folio extract: %s\n", err);
            app_extract_rules_destroy(o.rules);
            return APP_EXIT_FAIL;
        }
        app_extract_model_set_verbose(m, o.verbose);
    }
    rc = S_ISDIR(st.st_mode) ? folder(&o, m) : one_file(&o, o.path, m);
    app_extract_model_close(m);
    app_extract_rules_destroy(o.rules);
    return rc;
}
