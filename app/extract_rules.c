/* app/extract_rules.c: the CUAD categories of a categories file (format:
 * assets/cuad/categories.txt) compiled to PCRE2 patterns, and the rule-based scoring of every
 * clause for every category. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "extract.h"
#include "extract_int.h"

#include <ctype.h>
#include <math.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void app_extract_set_err(char *err, size_t errsz, const char *fmt, ...)
{
    if (!err || !errsz) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
}

static char *dup_trim(const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    char *o = malloc(n + 1);
    if (o) memcpy(o, s, n), o[n] = 0;
    return o;
}

static int add_pattern(xt_category *c, int where, int weight, const char *re, char *err,
                       size_t errsz, const char *name, int line)
{
    int e;
    PCRE2_SIZE off;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
                                     PCRE2_CASELESS | PCRE2_DOTALL | PCRE2_UTF, &e, &off, NULL);
    if (!code) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(e, msg, sizeof msg);
        app_extract_set_err(err, errsz, "%s:%d: bad pattern at offset %zu: %s", name, line,
                            (size_t)off, (const char *)msg);
        return -3; /* the message is set */
    }
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* optional: it is only faster */
    xt_pattern *p = realloc(c->pat, (size_t)(c->npat + 1) * sizeof *p);
    if (!p) return pcre2_code_free(code), -1;
    c->pat = p;
    c->pat[c->npat++] = (xt_pattern){code, where, weight};
    return 0;
}

static int parse_answer(const char *v)
{
    static const char *const names[] = {"none",   "title",   "parties", "date",        "effective",
                                        "expiry", "renewal", "notice",  "jurisdiction"};
    for (int i = 0; i < (int)(sizeof names / sizeof *names); i++)
        if (!strcmp(v, names[i])) return i;
    return -1;
}

/* One "key [N] = value" line of the current category. */
static int parse_line(xt_category *c, char *key, char *val, char *err, size_t errsz,
                      const char *name, int line)
{
    int weight = 0;
    char *sp = strchr(key, ' ');
    if (sp) *sp = 0, weight = atoi(sp + 1);
    if (!strcmp(key, "phrase"))
        return add_pattern(c, XT_PHRASE, weight, val, err, errsz, name, line);
    if (!strcmp(key, "heading"))
        return add_pattern(c, XT_HEADING, weight, val, err, errsz, name, line);
    if (!strcmp(key, "require")) return add_pattern(c, XT_REQUIRE, 0, val, err, errsz, name, line);
    if (!strcmp(key, "veto")) return add_pattern(c, XT_VETO, 0, val, err, errsz, name, line);
    if (!strcmp(key, "threshold")) return (c->threshold = atof(val)) > 0 ? 0 : -2;
    if (!strcmp(key, "max")) return (c->max = atoi(val)) > 0 ? 0 : -2;
    if (!strcmp(key, "kind")) {
        c->kind = !strcmp(val, "fact") ? APP_EXTRACT_FACT : APP_EXTRACT_CLAUSE;
        return strcmp(val, "fact") && strcmp(val, "clause") ? -2 : 0;
    }
    if (!strcmp(key, "answer")) return (c->answer = parse_answer(val)) >= 0 ? 0 : -2;
    if (!strcmp(key, "define")) return (c->define = dup_trim(val, strlen(val))) ? 0 : -1;
    return -2;
}

static int new_category(app_extract_rules *r, const char *name, size_t n)
{
    xt_category *c = realloc(r->cat, (size_t)(r->n + 1) * sizeof *c);
    if (!c) return -1;
    r->cat = c;
    c = &r->cat[r->n++];
    memset(c, 0, sizeof *c);
    c->name = dup_trim(name, n);
    c->threshold = 1, c->max = 1;
    return c->name ? 0 : -1;
}

int app_extract_rules_load(const char *data, size_t len, const char *name, app_extract_rules **out,
                           char *err, size_t errsz)
{
    *out = NULL;
    app_extract_rules *r = calloc(1, sizeof *r);
    char *buf = malloc(len + 1);
    int rc = r && buf ? 0 : -1, line = 0;
    if (buf) memcpy(buf, data, len), buf[len] = 0;
    for (char *l = buf, *next; !rc && l && *l; l = next) {
        next = strchr(l, '\n');
        if (next) *next++ = 0;
        line++;
        char *t = l;
        while (isspace((unsigned char)*t)) t++;
        size_t tl = strlen(t);
        while (tl && isspace((unsigned char)t[tl - 1])) t[--tl] = 0;
        if (!*t || *t == '#') continue;
        if (*t == '[' && t[tl - 1] == ']') {
            rc = new_category(r, t + 1, tl - 2);
            continue;
        }
        char *eq = strstr(t, " = ");
        if (!eq || !r->n) {
            app_extract_set_err(err, errsz, "%s:%d: expected '[Category]' or 'key = value'", name,
                                line);
            rc = -3;
            break;
        }
        *eq = 0;
        rc = parse_line(&r->cat[r->n - 1], t, eq + 3, err, errsz, name, line);
        if (rc == -2)
            app_extract_set_err(err, errsz, "%s:%d: unknown key or bad value '%s'", name, line, t);
    }
    free(buf);
    if (!rc && r->n == 0) app_extract_set_err(err, errsz, "%s: no category in it", name), rc = -3;
    if (rc == -1) app_extract_set_err(err, errsz, "%s: out of memory", name);
    if (rc) return app_extract_rules_destroy(r), -1;
    *out = r;
    return 0;
}

int app_extract_rules_default(app_extract_rules **out, char *err, size_t errsz)
{
    app_extract_asset a;
    if (!app_extract_asset_find("categories.txt", &a))
        return app_extract_set_err(err, errsz, "categories.txt is not built in"), -1;
    return app_extract_rules_load(a.data, a.len, "assets/cuad/categories.txt", out, err, errsz);
}

void app_extract_rules_destroy(app_extract_rules *r)
{
    if (!r) return;
    for (int i = 0; i < r->n; i++) {
        for (int k = 0; k < r->cat[i].npat; k++) pcre2_code_free(r->cat[i].pat[k].re);
        free(r->cat[i].pat);
        free(r->cat[i].name);
        free(r->cat[i].define);
    }
    free(r->cat);
    free(r);
}

int app_extract_rules_count(const app_extract_rules *r)
{
    return r->n;
}
const char *app_extract_rules_name(const app_extract_rules *r, int c)
{
    return r->cat[c].name;
}
const char *app_extract_rules_define(const app_extract_rules *r, int c)
{
    return r->cat[c].define ? r->cat[c].define : "";
}
int app_extract_rules_kind(const app_extract_rules *r, int c)
{
    return r->cat[c].kind;
}

int app_extract_rules_find(const app_extract_rules *r, const char *name)
{
    for (int i = 0; i < r->n; i++)
        if (!strcasecmp(r->cat[i].name, name)) return i;
    return -1;
}

/* ---- scoring ------------------------------------------------------------------------------ */

double app_extract_score(const xt_category *c, const char *text, size_t n, const char *head,
                         size_t hn, void *match_data)
{
    pcre2_match_data *md = match_data;
    double score = 0;
    for (int pass = 0; pass < 2; pass++) /* gates first: most clauses stop there */
        for (int k = 0; k < c->npat; k++) {
            const xt_pattern *p = &c->pat[k];
            int gate = p->where == XT_REQUIRE || p->where == XT_VETO;
            if (gate != (pass == 0)) continue;
            const char *s = p->where == XT_HEADING ? head : text;
            size_t len = p->where == XT_HEADING ? hn : n;
            if (p->where == XT_HEADING && !hn) continue;
            int m = pcre2_match(p->re, (PCRE2_SPTR)s, len, 0, 0, md, NULL) >= 0;
            if (p->where == XT_REQUIRE && !m) return -1;
            if (p->where == XT_VETO && m) return -1;
            if (m && !gate) score += p->weight;
        }
    return score;
}

double app_extract_confidence(const xt_category *c, double score)
{
    double conf = 1.0 - pow(0.5, score / c->threshold);
    return conf > 0.99 ? 0.99 : conf;
}

int app_extract_result_add(app_extract_result *res, int cat, size_t start, size_t end,
                           const char *answer, double confidence)
{
    if (res->n == res->cap) {
        size_t cap = res->cap ? res->cap * 2 : 64;
        app_extract_hit *h = realloc(res->hits, cap * sizeof *h);
        if (!h) return -1;
        res->hits = h, res->cap = cap;
    }
    char *a = answer ? strdup(answer) : NULL;
    if (answer && !a) return -1;
    confidence = floor(confidence * 1000 + 0.5) / 1000;
    res->hits[res->n++] = (app_extract_hit){cat, start, end, a, confidence};
    return 0;
}

void app_extract_result_free(app_extract_result *res)
{
    if (!res) return;
    for (size_t i = 0; i < res->n; i++) free(res->hits[i].answer);
    free(res->hits);
    memset(res, 0, sizeof *res);
}
