/* app/code_ask.c: `folio code REPO QUESTION`: the identifiers of the question that the code
 * defines, with their definitions, callers and callees, and the chunks of code that answer its
 * words (the shared retrieval layer), each cited path:line; text, or JSON lines with a `role`
 * (definition, caller, callee, chunk). With a model, the answer goes through ask's model path. */
#include "app.h"
#include "ask.h"
#include "code.h"
#include "config.h"
#include "retrieve.h"
#include "ui.h"

#include <ctype.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_IDENTS = 6, MAX_DEFS = 4, MAX_CALLERS = 6, MAX_CALLEES = 10, MAX_CHUNKS = 5 };

/* A word written as code: with '_', a digit or an inner capital (idx_open, parseURL). */
static int code_like(const char *w)
{
    for (const char *p = w; *p; p++)
        if (*p == '_' || isdigit((unsigned char)*p) || (p > w && isupper((unsigned char)*p)))
            return 1;
    return 0;
}

/* The question's words that name a definition of the repository, words written as code
 * first, at most MAX_IDENTS. */
static size_t question_idents(app_code *c, const char *q, char out[][128])
{
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (const char *p = q; *p && n < MAX_IDENTS;) {
            while (*p && !(isalnum((unsigned char)*p) || *p == '_')) p++;
            const char *s = p;
            while (*p && (isalnum((unsigned char)*p) || *p == '_')) p++;
            size_t len = (size_t)(p - s);
            if (len < 3 || len >= 128 || isdigit((unsigned char)*s)) continue;
            char w[128];
            memcpy(w, s, len);
            w[len] = 0;
            if (code_like(w) != !pass) continue;
            int dup = 0;
            for (size_t k = 0; k < n; k++) dup |= !strcmp(out[k], w);
            idx_symbol *sy;
            size_t ns = 0;
            if (dup || idx_symbols_find(c->ix, w, 1, &sy, &ns)) continue;
            idx_symbols_free(sy, ns);
            if (ns) snprintf(out[n++], 128, "%s", w);
        }
    return n;
}

static void print_role(const app_code *c, const char *role, const char *path, int line,
                       int line_end, const char *kind, const char *name, const char *key,
                       const char *val)
{
    if (c->json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "path", json_object_new_string(path));
        json_object_object_add(j, "line", json_object_new_int(line));
        json_object_object_add(j, "kind", json_object_new_string(kind));
        json_object_object_add(j, "name", json_object_new_string(name));
        json_object_object_add(j, key, val ? json_object_new_string(val) : NULL);
        if (line_end) json_object_object_add(j, "line_end", json_object_new_int(line_end));
        json_object_object_add(j, "role", json_object_new_string(role));
        ui_json_puts(stdout, json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(j);
        return;
    }
    const char *v = val ? val : "";
    while (*v == ' ' || *v == '\t') v++;
    const char *label = !strcmp(role, "caller")   ? "called by "
                        : !strcmp(role, "callee") ? "calls "
                                                  : "";
    if (line_end > line)
        ui_fprintf(stdout, "  %s:%d-%d  %s %s\n", path, line, line_end, kind, name);
    else
        ui_fprintf(stdout, "  %s:%d  %s%s %s%s%s\n", path, line, label,
                   *label ? "" : kind, name, *v ? "  " : "", v);
}

/* One identifier: where it is defined, who calls it, what it calls. Returns the lines shown. */
static int explain_ident(app_code *c, const char *name)
{
    idx_symbol *s;
    idx_ref *r;
    size_t n;
    int shown = 0;
    if (!c->json) ui_fprintf(stdout, "%s:\n", name);
    if (!idx_symbols_find(c->ix, name, 50, &s, &n)) {
        for (size_t i = 0, k = 0; i < n && k < MAX_DEFS; i++) {
            const char *p = app_code_rel(c, s[i].path);
            if (!p) continue;
            print_role(c, "definition", p, s[i].line_start, 0, s[i].kind ? s[i].kind : "?",
                       s[i].name, "signature", s[i].signature);
            k++, shown++;
        }
        idx_symbols_free(s, n);
    }
    if (!idx_refs_find(c->ix, name, 1, 200, &r, &n)) {
        for (size_t i = 0, k = 0; i < n && k < MAX_CALLERS; i++) {
            const char *p = app_code_rel(c, r[i].path);
            if (!p) continue;
            print_role(c, "caller", p, r[i].line, 0, "call",
                       r[i].scope ? r[i].scope : "(top level)", "text", r[i].text);
            k++, shown++;
        }
        idx_refs_free(r, n);
    }
    if (!idx_refs_callees(c->ix, name, 200, &r, &n)) {
        for (size_t i = 0, k = 0; i < n && k < MAX_CALLEES; i++) {
            const char *p = app_code_rel(c, r[i].path);
            int dup = 0;
            for (size_t j = 0; j < i; j++) dup |= !strcmp(r[j].name, r[i].name);
            if (!p || dup) continue;
            print_role(c, "callee", p, r[i].line, 0, "call", r[i].name, "text", r[i].text);
            k++, shown++;
        }
        idx_refs_free(r, n);
    }
    return shown;
}

/* The chunks of code that answer the question's words, best first. */
static int find_chunks(app_code *c, const char *question, app_passage **ps, size_t *n)
{
    app_question *q = NULL;
    *ps = NULL, *n = 0;
    int pq = app_question_parse(question, &q);
    if (pq < 0) return -1;
    if (pq > 0) return 0; /* only common words: the identifiers speak */
    char glob[8400], err[1024];
    if (c->prefix[0]) {
        app_glob_escape(c->prefix, glob, sizeof glob - 2);
        strcat(glob, "/*");
    }
    app_retrieve_opts ro = {.path_glob = c->prefix[0] ? glob : NULL, .k = MAX_CHUNKS};
    int rc = app_retrieve(c->ix, q, &ro, 0, ps, n, err, sizeof err);
    if (rc) ui_fprintf(stderr, "folio code: %s: %s\n", c->db, err);
    else app_passages_finish(*ps, n, MAX_CHUNKS);
    app_question_destroy(q);
    return rc ? -1 : 0;
}

static void print_chunk(const app_code *c, const app_passage *p)
{
    const idx_hit *h = &p->hit;
    const char *path = app_code_rel(c, h->path);
    if (!path) return;
    const char *name = h->symbol ? h->symbol : h->heading ? h->heading : "";
    if (c->json) {
        print_role(c, "chunk", path, h->line_start, h->line_end, "chunk", name, "text", h->text);
        return;
    }
    print_role(c, "chunk", path, h->line_start, h->line_end, "code", name, "text", NULL);
    const char *t = h->text;
    for (int k = 0; t && *t && k < 8; k++) {
        const char *e = strchr(t, '\n');
        size_t len = e ? (size_t)(e - t) : strlen(t);
        ui_fprintf(stdout, "      %.*s\n", (int)(len > 160 ? 160 : len), t);
        t = e ? e + 1 : NULL;
    }
    if (t && *t) ui_fprintf(stdout, "      ...\n");
}

/* With a model: ask's model path over the same chunks (the library is this one). */
static int answer_with_model(app_code *c, const char *model, const char *question,
                             const app_passage *ps, size_t n)
{
    app_ask_opts *o = calloc(1, sizeof *o);
    if (!o) return APP_EXIT_FAIL;
    snprintf(o->question, sizeof o->question, "%s", question);
    snprintf(o->lib[0].db, sizeof o->lib[0].db, "%.4000s", c->db);
    snprintf(o->lib[0].root, sizeof o->lib[0].root, "%.4000s", c->root);
    o->nlib = 1, o->json = c->json, o->k = MAX_CHUNKS, o->model = model;
    int rc = app_ask_model(o, model, ps, n);
    free(o);
    return rc;
}

int app_code_question(app_code *c, const char *question)
{
    char idents[MAX_IDENTS][128], model[4096];
    size_t ni = question_idents(c, question, idents);
    app_passage *ps;
    size_t np;
    if (find_chunks(c, question, &ps, &np)) return APP_EXIT_FAIL;
    int rc = APP_EXIT_OK;
    if (!c->no_model && app_config_model(c->model, model, sizeof model) && (ni || np)) {
        rc = answer_with_model(c, model, question, ps, np);
        app_passages_free(ps, np);
        return rc;
    }
    int shown = 0;
    for (size_t i = 0; i < ni; i++) shown += explain_ident(c, idents[i]);
    if (np && !c->json) ui_fprintf(stdout, "%scode that answers the question:\n", ni ? "\n" : "");
    for (size_t i = 0; i < np; i++) print_chunk(c, &ps[i]), shown++;
    app_passages_free(ps, np);
    if (!shown) {
        ui_fprintf(stderr, "folio code: nothing in the code answers '%s'; name a function or "
                           "type, or try other words\n", question);
        rc = APP_EXIT_FAIL;
    }
    return rc;
}
