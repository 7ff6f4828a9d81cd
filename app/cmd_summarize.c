/* app/cmd_summarize.c: `folio summarize FILE`: an extractive summary per section, each sentence
 * with its page; the indexed text when FILE is in a library, else extracted on the fly (nothing
 * written). Prints text or one JSON object {file, mode, pages, sections[]}. */
#include "app.h"
#include "config.h"
#include "idx.h"
#include "library.h"
#include "summary.h"
#include "ui.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct sum_opts {
    const char *file, *model;
    int json, no_model;
    app_sum_length length;
} sum_opts;

/* The document's passages, from wherever they came: the index's hits or an extracted doc. */
typedef struct source {
    idx_hit *hits;
    size_t nhits;
    ing_doc *doc;
    app_sum_passage *p;
    size_t n;
    int pages;
    ing_kind kind;
} source;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: folio summarize FILE [--json] [--length short|medium|long] [--model DIR]\n"
            "An extractive summary per section (the outline or headings, else windows of\n"
            "pages): the sentences that best represent each, in order, with their pages.\n"
            "FILE need not be indexed (then it is read now and nothing is written).\n"
            "  --length L    short (about 1 sentence for each of 6 sections), medium\n"
            "                (default: 2 for each of 12), long (3 for each of 24)\n"
            "  --json        one JSON object: file, mode, pages, sections\n"
            "  --model DIR   summarize with this checkpoint (default: FOLIO_MODEL, config)\n"
            "  --no-model    the extractive summary even when a model is configured\n"
            "exit status: 0 summarized, 1 the file could not be read or holds no text, 2 usage\n");
}

static int parse(int argc, char **argv, sum_opts *o)
{
    o->length = APP_SUM_MEDIUM;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return usage(stdout), 1;
        else if (!strcmp(a, "--json"))
            o->json = 1;
        else if (!strcmp(a, "--no-model"))
            o->no_model = 1;
        else if (!strcmp(a, "--model") && v)
            o->model = v, i++;
        else if (!strcmp(a, "--length") && v &&
                 (!strcmp(v, "short") || !strcmp(v, "medium") || !strcmp(v, "long"))) {
            o->length = v[0] == 's' ? APP_SUM_SHORT : v[0] == 'm' ? APP_SUM_MEDIUM : APP_SUM_LONG;
            i++;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "folio summarize: unknown or incomplete option '%s'\n", a);
            return usage(stderr), -1;
        } else if (o->file) {
            fprintf(stderr, "folio summarize: one FILE at a time\n");
            return -1;
        } else {
            o->file = a;
        }
    }
    if (!o->file) {
        fprintf(stderr, "folio summarize: no FILE given\n");
        return usage(stderr), -1;
    }
    return 0;
}

/* The indexed text of the file, when a library holds it: 1 found, 0 not, -1 error. */
static int from_index(const char *file, source *s)
{
    char *abs = realpath(file, NULL), db[PATH_MAX + 32], err[1024];
    if (!abs) return 0;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", abs);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = slash == dir ? (slash[1] = 0, '/') : 0;
    idx *ix = NULL;
    int found = 0;
    if (app_library_find(dir, db, sizeof db) && !idx_open(db, IDX_READ, &ix, err, sizeof err)) {
        const char *root = idx_root(ix);
        size_t rl = root ? strlen(root) : 0;
        const char *shown = rl && !strncmp(abs, root, rl) && abs[rl] == '/' ? abs + rl + 1 : abs;
        int64_t id;
        found = idx_doc_by_path(ix, shown, &id, &s->pages);
        if (found > 0 && idx_doc_chunks(ix, id, 0, &s->hits, &s->nhits)) {
            ui_fprintf(stderr, "folio summarize: %s: %s\n", db, idx_errmsg(ix));
            found = -1;
        }
    }
    idx_close(ix);
    free(abs);
    if (found <= 0) return found;
    s->p = calloc(s->nhits ? s->nhits : 1, sizeof *s->p);
    if (!s->p) return -1;
    for (size_t i = 0; i < s->nhits; i++)
        s->p[i] = (app_sum_passage){s->hits[i].text, s->hits[i].page, s->hits[i].heading};
    s->n = s->nhits;
    s->kind = s->nhits ? ing_kind_parse(s->hits[0].kind) : ING_KIND_SKIP;
    return 1;
}

/* Extracts the file now (it is in no library). 0, or -1 with the reason printed. */
static int from_file(const char *file, source *s)
{
    const char *lang = NULL;
    char err[1024];
    void *data;
    size_t len;
    if (ing_file_read(file, (int64_t)1 << 30, &data, &len, err, sizeof err)) {
        ui_fprintf(stderr, "folio summarize: %s: %s\n", file, err);
        return -1;
    }
    ing_kind k = ing_kind_from_name(file, &lang);
    if (k == ING_KIND_SKIP) k = ing_kind_sniff(data, len < 4096 ? len : 4096, &lang);
    if (k == ING_KIND_SKIP) {
        ui_fprintf(stderr,
                   "folio summarize: %s: not a document folio reads (PDF, text, Markdown "
                   "or code)\n",
                   file);
        free(data);
        return -1;
    }
    ing_opts io = {0};
    int rc = ing_doc_extract(file, k, lang, data, len, &io, &s->doc, err, sizeof err);
    free(data);
    if (rc) {
        ui_fprintf(stderr, "folio summarize: %s: %s\n", file, err);
        return -1;
    }
    s->kind = k;
    s->pages = ing_doc_meta(s->doc)->pages;
    s->n = ing_doc_nchunks(s->doc);
    s->p = calloc(s->n ? s->n : 1, sizeof *s->p);
    if (!s->p) return -1;
    for (size_t i = 0; i < s->n; i++) {
        const ing_chunk *c = ing_doc_chunk(s->doc, i);
        s->p[i] = (app_sum_passage){c->text, c->page, c->heading};
    }
    return 0;
}

static void source_free(source *s)
{
    idx_hits_free(s->hits, s->nhits);
    ing_doc_destroy(s->doc);
    free(s->p);
}

static void print_json(const sum_opts *o, const source *src, const app_summary *sm)
{
    json_object *j = json_object_new_object(), *secs = json_object_new_array();
    json_object_object_add(j, "file", json_object_new_string(o->file));
    json_object_object_add(j, "mode", json_object_new_string("extractive"));
    json_object_object_add(j, "pages", json_object_new_int(src->pages > 0 ? src->pages : 1));
    for (size_t i = 0; i < sm->n; i++) {
        const app_sum_section *s = &sm->sec[i];
        if (!s->n) continue;
        json_object *x = json_object_new_object(), *pg = json_object_new_array();
        json_object *ss = json_object_new_array();
        json_object_object_add(x, "heading",
                               s->heading ? json_object_new_string(s->heading) : NULL);
        json_object_array_add(pg, json_object_new_int(s->first_page > 0 ? s->first_page : 1));
        json_object_array_add(pg, json_object_new_int(s->last_page > 0 ? s->last_page : 1));
        json_object_object_add(x, "pages", pg);
        size_t cap = 1, l = 0;
        for (size_t k = 0; k < s->n; k++) cap += strlen(s->s[k].text) + 1;
        char *sum = malloc(cap);
        for (size_t k = 0; sum && k < s->n; k++) {
            l += (size_t)snprintf(sum + l, cap - l, "%s%s", k ? " " : "", s->s[k].text);
            json_object *e = json_object_new_object();
            json_object_object_add(e, "text", json_object_new_string(s->s[k].text));
            json_object_object_add(e, "page",
                                   json_object_new_int(s->s[k].page > 0 ? s->s[k].page : 1));
            json_object_array_add(ss, e);
        }
        json_object_object_add(x, "summary", json_object_new_string(sum ? sum : ""));
        free(sum);
        json_object_object_add(x, "sentences", ss);
        json_object_array_add(secs, x);
    }
    json_object_object_add(j, "sections", secs);
    puts(
        json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(j);
}

static void print_text(const sum_opts *o, const source *src, const app_summary *sm)
{
    ui_style(stdout, UI_STYLE_BOLD);
    ui_fprintf(stdout, "%s", o->file);
    ui_style(stdout, UI_STYLE_RESET);
    if (src->pages > 0)
        printf("  (%d pages, extractive summary)\n\n", src->pages);
    else
        printf("  (extractive summary)\n\n");
    for (size_t i = 0; i < sm->n; i++) {
        const app_sum_section *s = &sm->sec[i];
        if (!s->n) continue;
        ui_style(stdout, UI_STYLE_BOLD);
        if (s->heading)
            ui_fprintf(stdout, "\u00a7 %s", s->heading);
        else
            fputs("\u00a7", stdout);
        ui_style(stdout, UI_STYLE_RESET);
        if (s->first_page > 0 && s->first_page != s->last_page)
            printf("  (pp. %d-%d)", s->first_page, s->last_page);
        else if (s->first_page > 0)
            printf("  (p. %d)", s->first_page);
        putchar('\n');
        for (size_t k = 0; k < s->n; k++) {
            ui_fprintf(stdout, "  - %s", s->s[k].text);
            if (s->s[k].page > 0) printf(" (p.%d)", s->s[k].page);
            putchar('\n');
        }
        putchar('\n');
    }
}

/* 1 when the document has (nearly) no text: a scanned PDF, or an empty file. */
static int textless(const source *s)
{
    size_t letters = 0;
    for (size_t i = 0; i < s->n; i++)
        for (const char *t = s->p[i].text; *t; t++) letters += (unsigned char)*t > ' ';
    return letters < 16 + (size_t)(s->pages > 0 ? s->pages : 0) * 4;
}

int app_cmd_summarize(int argc, char **argv)
{
    sum_opts o = {0};
    int rc = parse(argc, argv, &o);
    if (rc) return rc > 0 ? APP_EXIT_OK : APP_EXIT_USAGE;
    struct stat st;
    if (stat(o.file, &st) || S_ISDIR(st.st_mode)) {
        ui_fprintf(stderr, "folio summarize: %s: %s\n", o.file,
                   S_ISDIR(st.st_mode) ? "is a folder; name one file" : "no such file");
        return APP_EXIT_FAIL;
    }
    char model[4096];
    int with_model = !o.no_model && app_config_model(o.model, model, sizeof model);
    source src = {0};
    int got = from_index(o.file, &src);
    if (got < 0 || (got == 0 && from_file(o.file, &src))) {
        source_free(&src);
        return APP_EXIT_FAIL;
    }
    if (textless(&src)) {
        ui_fprintf(stderr, "folio summarize: %s: %s\n", o.file,
                   src.kind == ING_KIND_PDF
                       ? "the PDF has no text layer (a scanned document?); folio reads text, not "
                         "images: run OCR on it first (e.g. ocrmypdf)"
                       : "the file holds no text to summarize");
        source_free(&src);
        return APP_EXIT_FAIL;
    }
    if (with_model) {
        rc = app_summarize_model(model, o.file, o.json, o.length, src.p, src.n, src.pages);
        source_free(&src);
        return rc;
    }
    app_summary sm;
    if (app_summary_make(src.p, src.n, o.length, &sm)) {
        fprintf(stderr, "folio summarize: out of memory\n");
        source_free(&src);
        return APP_EXIT_FAIL;
    }
    if (o.json)
        print_json(&o, &src, &sm);
    else
        print_text(&o, &src, &sm);
    app_summary_free(&sm);
    source_free(&src);
    return APP_EXIT_OK;
}
