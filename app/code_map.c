/* app/code_map.c: the repository map: code files ranked by PageRank over the graph "file A uses
 * a name that file B defines", each with its most used definitions, fitted to a budget of words
 * or model tokens. The ranking is kept in the library's meta table as
 *   key "code_map FORMAT PREFIX", value "FINGERPRINT\n" + JSON [{path, rank, defs: [[name, kind,
 *   line, signature, score], ...]}, ...] (best first)
 * and computed again from the per-file rows only when the code documents changed. */
#include "app.h"
#include "code.h"
#include "eng_tokenizer.h"
#include "retrieve.h"
#include "ui.h"

#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAP_FILES = 2000, MAP_DEFS = 16, PR_ITERATIONS = 40 };
/* The most a cached map may take in the meta table (a larger one is computed each time). */
enum { MAP_CACHE_BYTES = 4 << 20 };
/* The version of what is cached (a new one ignores maps cached by an older folio). */
enum { MAP_FORMAT = 2 };

typedef struct mfile {
    char *path;
    json_object *syms; /* its definitions (doc_symbols list), or NULL */
    char *uses;        /* its names, '\n'-separated (split in place) */
    uint32_t *counts;
    size_t nuses;
    double rank;
    double *defscore; /* per symbol */
} mfile;

typedef struct graph {
    mfile *f;
    size_t n, cap;
    /* names defined somewhere: open addressing, each with its defining (file, symbol) list */
    struct def_slot {
        const char *name;
        uint32_t *who; /* file << 12 | symbol (symbols past 4095 are not ranked) */
        size_t n, cap;
    } *slot;
    size_t nslot, used;
    int oom;
} graph;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static struct def_slot *slot_of(graph *g, const char *name, int add)
{
    if (add && (g->used + 1) * 2 > g->nslot) {
        size_t ns = g->nslot ? g->nslot * 2 : 4096;
        struct def_slot *t = calloc(ns, sizeof *t);
        if (!t) return g->oom = 1, NULL;
        for (size_t i = 0; i < g->nslot; i++) {
            if (!g->slot[i].name) continue;
            size_t k = hash_str(g->slot[i].name) & (ns - 1);
            while (t[k].name) k = (k + 1) & (ns - 1);
            t[k] = g->slot[i];
        }
        free(g->slot);
        g->slot = t, g->nslot = ns;
    }
    if (!g->nslot) return NULL;
    size_t k = hash_str(name) & (g->nslot - 1);
    for (; g->slot[k].name; k = (k + 1) & (g->nslot - 1))
        if (!strcmp(g->slot[k].name, name)) return &g->slot[k];
    if (!add) return NULL;
    g->used++;
    g->slot[k].name = name;
    return &g->slot[k];
}

/* Kinds that other files use by name (local variables and struct fields are not). */
static int ranked_kind(const char *kind, const char *sig)
{
    static const char *const k[] = {"function", "prototype", "macro", "struct", "union", "enum",
                                    "typedef", "class", "method", "interface", "trait", "type",
                                    "func", "enumerator", "variable", "constant", "module",
                                    "namespace", "implementation", "alias"};
    if (!kind) return 0;
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
        if (!strcmp(kind, k[i])) return 1;
    return !strcmp(kind, "member") && sig; /* Python methods */
}

static const char *sym_field(json_object *s, size_t i)
{
    return json_object_get_string(json_object_array_get_idx(s, i));
}

static int add_file(void *user, const idx_code_file *cf)
{
    graph *g = user;
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 256;
        mfile *f = realloc(g->f, cap * sizeof *f);
        if (!f) return g->oom = 1;
        g->f = f, g->cap = cap;
    }
    mfile *f = &g->f[g->n];
    memset(f, 0, sizeof *f);
    f->path = strdup(cf->path);
    f->uses = cf->uses ? strdup(cf->uses) : NULL;
    f->nuses = cf->nuses;
    f->counts = cf->nuses ? malloc(cf->nuses * sizeof *f->counts) : NULL;
    if (f->counts) memcpy(f->counts, cf->counts, cf->nuses * sizeof *f->counts);
    f->syms = cf->symbols ? json_tokener_parse(cf->symbols) : NULL;
    size_t ns = f->syms ? json_object_array_length(f->syms) : 0;
    f->defscore = calloc(ns + 1, sizeof *f->defscore);
    if (!f->path || (cf->uses && !f->uses) || (cf->nuses && !f->counts) || !f->defscore)
        return g->oom = 1;
    for (size_t i = 0; i < ns && i < 4096; i++) {
        json_object *s = json_object_array_get_idx(f->syms, i);
        if (!ranked_kind(sym_field(s, 1), sym_field(s, 5))) continue;
        struct def_slot *d = slot_of(g, sym_field(s, 0), 1);
        if (!d) return 1;
        if (d->n == d->cap) {
            uint32_t *w = realloc(d->who, (d->cap = d->cap ? d->cap * 2 : 2) * sizeof *w);
            if (!w) return g->oom = 1;
            d->who = w;
        }
        d->who[d->n++] = (uint32_t)(g->n << 12 | i);
    }
    g->n++;
    return 0;
}

typedef struct edge {
    uint32_t from, to, sym;
    float w;
} edge;

/* The edges A -> B: A uses a name B defines, weighted by sqrt(uses) shared among the name's
 * definers (a name defined in many files says little about any of them). */
static edge *edges_of(graph *g, size_t *ne, double *out)
{
    size_t n = 0, cap = 1024;
    edge *e = malloc(cap * sizeof *e);
    for (size_t a = 0; e && a < g->n; a++) {
        char *s = g->f[a].uses;
        for (size_t k = 0; s && *s && k < g->f[a].nuses; k++) {
            char *nl = strchr(s, '\n');
            if (nl) *nl = 0;
            struct def_slot *d = g->f[a].counts[k] ? slot_of(g, s, 0) : NULL;
            for (size_t i = 0; d && i < d->n; i++) {
                uint32_t b = d->who[i] >> 12;
                if (b == a) continue;
                if (n == cap) {
                    edge *t = realloc(e, (cap *= 2) * sizeof *e);
                    if (!t) return free(e), NULL;
                    e = t;
                }
                float w = (float)(sqrt((double)g->f[a].counts[k]) / (double)d->n);
                e[n++] = (edge){(uint32_t)a, b, d->who[i] & 4095, w};
                out[a] += w;
            }
            if (nl) *nl = '\n';
            s = nl ? nl + 1 : NULL;
        }
    }
    *ne = n;
    return e;
}

/* PageRank (damping 0.85; a file that uses nothing shares its rank with all), then each
 * definition's score: the rank that flows to its file through it. */
static int rank_files(graph *g)
{
    size_t n = g->n, ne = 0;
    double *out = calloc(n + 1, sizeof *out), *pr = malloc((n + 1) * sizeof *pr),
           *nx = malloc((n + 1) * sizeof *nx);
    edge *e = out && pr && nx ? edges_of(g, &ne, out) : NULL;
    if (!e) return free(out), free(pr), free(nx), -1;
    for (size_t i = 0; i < n; i++) pr[i] = 1.0 / (double)n;
    for (int it = 0; it < PR_ITERATIONS; it++) {
        double dangling = 0;
        for (size_t i = 0; i < n; i++)
            if (out[i] == 0) dangling += pr[i];
        for (size_t i = 0; i < n; i++) nx[i] = (0.15 + 0.85 * dangling) / (double)n;
        for (size_t k = 0; k < ne; k++)
            nx[e[k].to] += 0.85 * pr[e[k].from] * e[k].w / out[e[k].from];
        double *t = pr;
        pr = nx, nx = t;
    }
    for (size_t i = 0; i < n; i++) g->f[i].rank = pr[i];
    for (size_t k = 0; k < ne; k++)
        g->f[e[k].to].defscore[e[k].sym] += pr[e[k].from] * e[k].w / out[e[k].from];
    free(out), free(pr), free(nx), free(e);
    return 0;
}

static int by_rank(const void *a, const void *b)
{
    const mfile *x = a, *y = b;
    if (x->rank != y->rank) return x->rank < y->rank ? 1 : -1;
    return strcmp(x->path, y->path);
}

typedef struct scored {
    size_t i;
    double s;
    int line;
} scored;

static int by_score(const void *a, const void *b)
{
    const scored *x = a, *y = b;
    if (x->s != y->s) return x->s < y->s ? 1 : -1;
    return x->line - y->line;
}

/* One file's entry: its main definitions, most used first (then in file order). */
static json_object *file_json(const mfile *f)
{
    json_object *j = json_object_new_object(), *defs = json_object_new_array();
    json_object_object_add(j, "path", json_object_new_string(f->path));
    json_object_object_add(j, "rank", json_object_new_double(f->rank));
    size_t ns = f->syms ? json_object_array_length(f->syms) : 0, m = 0;
    scored *v = malloc((ns + 1) * sizeof *v);
    for (size_t i = 0; v && i < ns; i++) {
        json_object *s = json_object_array_get_idx(f->syms, i);
        const char *kind = sym_field(s, 1);
        if (!ranked_kind(kind, sym_field(s, 5)) || !strcmp(kind, "variable") ||
            !strcmp(kind, "enumerator"))
            continue;
        int seen = 0; /* "typedef struct x x": the name once */
        for (size_t k = 0; k < m && !seen; k++)
            seen = !strcmp(sym_field(json_object_array_get_idx(f->syms, v[k].i), 0),
                           sym_field(s, 0));
        if (seen) continue;
        v[m++] = (scored){i, i < 4096 ? f->defscore[i] : 0,
                          json_object_get_int(json_object_array_get_idx(s, 3))};
    }
    if (v) qsort(v, m, sizeof *v, by_score);
    for (size_t k = 0; v && k < m && k < MAP_DEFS; k++) {
        json_object *s = json_object_array_get_idx(f->syms, v[k].i), *d = json_object_new_array();
        json_object_array_add(d, json_object_new_string(sym_field(s, 0)));
        json_object_array_add(d, json_object_new_string(sym_field(s, 1)));
        json_object_array_add(d, json_object_new_int(v[k].line));
        const char *sig = sym_field(s, 5);
        json_object_array_add(d, sig ? json_object_new_string(sig) : NULL);
        json_object_array_add(d, json_object_new_double(v[k].s));
        json_object_array_add(defs, d);
    }
    free(v);
    json_object_object_add(j, "defs", defs);
    return j;
}

static void graph_free(graph *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->f[i].path), free(g->f[i].uses), free(g->f[i].counts), free(g->f[i].defscore),
            json_object_put(g->f[i].syms);
    for (size_t i = 0; i < g->nslot; i++) free(g->slot[i].who);
    free(g->f), free(g->slot);
}

/* The ranked files of REPO as JSON (the caller owns it), computed from the library's rows. */
static json_object *map_compute(app_code *c)
{
    graph g = {0};
    char glob[8400];
    if (c->prefix[0]) {
        app_glob_escape(c->prefix, glob, sizeof glob - 2);
        strcat(glob, "/*");
    }
    int rc = idx_code_files(c->ix, c->prefix[0] ? glob : NULL, add_file, &g);
    if (rc || g.oom || (g.n && rank_files(&g))) {
        ui_fprintf(stderr, "folio code: %s: %s\n", c->db,
                   rc && !g.oom ? idx_errmsg(c->ix) : "out of memory ranking files");
        graph_free(&g);
        return NULL;
    }
    qsort(g.f, g.n, sizeof *g.f, by_rank);
    json_object *all = json_object_new_array();
    for (size_t i = 0; i < g.n && i < MAP_FILES; i++)
        json_object_array_add(all, file_json(&g.f[i]));
    graph_free(&g);
    return all;
}

/* The cached ranking when the fingerprint still matches, else computed and cached (when no
 * other process is writing the library: then only computed). */
static json_object *map_get(app_code *c, int *cached)
{
    char fp[256], key[4300];
    *cached = 0;
    if (idx_code_fingerprint(c->ix, fp, sizeof fp)) {
        ui_fprintf(stderr, "folio code: %s: %s\n", c->db, idx_errmsg(c->ix));
        return NULL;
    }
    snprintf(key, sizeof key, "code_map %d %s", MAP_FORMAT, c->prefix);
    char *buf = malloc(MAP_CACHE_BYTES);
    if (!buf) return NULL;
    size_t fl = strlen(fp);
    if (idx_meta_get(c->ix, key, buf, MAP_CACHE_BYTES) == 1 && !strncmp(buf, fp, fl) &&
        buf[fl] == '\n' && strlen(buf) + 1 < MAP_CACHE_BYTES) {
        json_object *j = json_tokener_parse(buf + fl + 1);
        if (j && json_object_is_type(j, json_type_array)) {
            free(buf);
            *cached = 1;
            return j;
        }
        json_object_put(j);
    }
    json_object *all = map_compute(c);
    const char *s = all ? json_object_to_json_string_ext(all, JSON_C_TO_STRING_PLAIN) : NULL;
    idx *w;
    char err[1024];
    if (s && fl + strlen(s) + 2 < MAP_CACHE_BYTES &&
        idx_open(c->db, IDX_WRITE, &w, err, sizeof err) == 0) {
        snprintf(buf, MAP_CACHE_BYTES, "%s\n%s", fp, s);
        idx_meta_set(w, key, buf); /* a cache: failing to keep it costs the next run only */
        idx_close(w);
    }
    free(buf);
    return all;
}

/* Counts words, or tokens of the model's tokenizer. */
typedef struct meter {
    eng_tokenizer *tok;
    long used, budget;
} meter;

static long cost(meter *m, const char *line)
{
    if (m->tok) { /* the line with its newline: the pre-tokenizer splits there */
        eng_tok_ids ids = {0};
        char err[256];
        size_t len = strlen(line);
        char *t = malloc(len + 2);
        if (!t) return 1L << 30;
        memcpy(t, line, len);
        t[len] = '\n', t[len + 1] = 0;
        long n = eng_tok_encode(m->tok, t, len + 1, 0, &ids, err, sizeof err) ? 1L << 30
                                                                               : (long)ids.n;
        eng_tok_ids_free(&ids);
        free(t);
        return n;
    }
    long n = 0;
    for (const char *p = line; *p;) {
        while (*p == ' ' || *p == '\n' || *p == '\t') p++;
        if (!*p) break;
        n++;
        while (*p && *p != ' ' && *p != '\n' && *p != '\t') p++;
    }
    return n;
}

/* Appends a line when it fits the budget: 1 added, 0 full. */
static int fit(meter *m, char **out, size_t *len, const char *line)
{
    long k = cost(m, line);
    if (m->used + k > m->budget) return 0;
    size_t ll = strlen(line);
    char *t = realloc(*out, *len + ll + 2);
    if (!t) return 0;
    memcpy(t + *len, line, ll);
    t[*len + ll] = '\n', t[*len + ll + 1] = 0;
    *out = t, *len += ll + 1;
    m->used += k;
    return 1;
}

static const char *rel_path(const app_code *c, const char *p)
{
    const char *r = app_code_rel(c, p);
    return r ? r : p;
}

/* Renders the map into text lines within the meter's budget; JSON lines printed as they fit
 * when json is set. Returns the number of files shown. */
static size_t map_render(app_code *c, json_object *all, meter *m, char **out, int json)
{
    size_t len = 0, files = 0;
    char line[2048];
    for (size_t i = 0; i < json_object_array_length(all); i++) {
        json_object *f = json_object_array_get_idx(all, i), *defs;
        const char *path = rel_path(c, json_object_get_string(json_object_object_get(f, "path")));
        double rank = json_object_get_double(json_object_object_get(f, "rank"));
        snprintf(line, sizeof line, "%s:", path);
        if (!fit(m, out, &len, line)) break;
        files++;
        if (json) {
            json_object *j = json_object_new_object();
            json_object_object_add(j, "path", json_object_new_string(path));
            json_object_object_add(j, "line", json_object_new_int(1));
            json_object_object_add(j, "kind", json_object_new_string("file"));
            json_object_object_add(j, "name", json_object_new_string(path));
            json_object_object_add(j, "rank", json_object_new_double(rank));
            ui_json_puts(stdout, json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
            json_object_put(j);
        }
        defs = json_object_object_get(f, "defs");
        for (size_t k = 0; k < json_object_array_length(defs); k++) {
            json_object *d = json_object_array_get_idx(defs, k);
            const char *name = sym_field(d, 0), *kind = sym_field(d, 1), *sig = sym_field(d, 3);
            int ln = json_object_get_int(json_object_array_get_idx(d, 2));
            snprintf(line, sizeof line, "  %d: %s %.1500s", ln, kind ? kind : "?",
                     sig ? sig : name ? name : "");
            if (!fit(m, out, &len, line)) return files;
            if (!json) continue;
            json_object *j = json_object_new_object();
            json_object_object_add(j, "path", json_object_new_string(path));
            json_object_object_add(j, "line", json_object_new_int(ln));
            json_object_object_add(j, "kind", json_object_new_string(kind ? kind : "unknown"));
            json_object_object_add(j, "name", json_object_new_string(name ? name : ""));
            json_object_object_add(j, "signature", sig ? json_object_new_string(sig) : NULL);
            json_object_object_add(j, "rank", json_object_new_double(rank));
            ui_json_puts(stdout, json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
            json_object_put(j);
        }
    }
    return files;
}

static const char *model_dir(const app_code *c)
{
    if (c->no_model) return NULL;
    if (c->model) return c->model;
    const char *e = getenv("FOLIO_MODEL");
    return e && *e ? e : NULL;
}

static int map_with(app_code *c, int words, char **out, int json, size_t *files)
{
    meter m = {.budget = words > 0 ? words : 1024};
    const char *model = words > 0 ? NULL : model_dir(c);
    char err[1024];
    if (model && eng_tok_open(model, &m.tok, err, sizeof err)) {
        ui_fprintf(stderr, "folio code: %s (the budget counts words instead)\n", err);
        m.tok = NULL;
    }
    if (c->budget && words <= 0) m.budget = c->budget;
    int cached;
    json_object *all = map_get(c, &cached);
    if (!all) return eng_tok_close(m.tok), -1;
    *out = NULL;
    *files = map_render(c, all, &m, out, json);
    json_object_put(all);
    eng_tok_close(m.tok);
    return 0;
}

int app_code_map_text(app_code *c, int words, char **out)
{
    size_t files;
    return map_with(c, words > 0 ? words : 1024, out, 0, &files);
}

int app_code_map(app_code *c)
{
    char *text = NULL;
    size_t files = 0;
    if (map_with(c, 0, &text, c->json, &files)) return APP_EXIT_FAIL;
    if (!c->json && text) ui_fputs_safe(text, stdout);
    free(text);
    if (!files) ui_fprintf(stderr, "folio code: no code indexed under %s\n",
                           c->prefix[0] ? c->prefix : c->root);
    return files ? APP_EXIT_OK : APP_EXIT_FAIL;
}
