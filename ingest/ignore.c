/* ingest/ignore.c: .gitignore / .folioignore rules: parsing (comments, `!` negation, trailing
 * `/` for folders, anchoring by `/`) and glob matching with `*`, `?`, `[...]` and `**`. */
#include "ing_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct rule {
    char *pattern; /* without the leading '/', '!' and trailing '/' */
    char *base;    /* folder of the ignore file, relative to the root ("" for the root) */
    int negate, dironly, anchored;
} rule;

struct ing_ignore {
    rule *rules;
    size_t n, cap;
};

/* Matching budget: pathological patterns ("*a*a*a*...b") must not take exponential time. */
enum { GLOB_BUDGET = 200000 };

static int match_class(const char **pp, char c)
{
    const char *p = *pp + 1;
    int neg = (*p == '!' || *p == '^');
    if (neg) p++;
    int hit = 0, first = 1;
    for (; *p && (first || *p != ']'); first = 0) {
        char lo = *p;
        if (lo == '\\' && p[1]) lo = *++p;
        p++;
        char hi = lo;
        if (p[0] == '-' && p[1] && p[1] != ']') {
            hi = p[1] == '\\' && p[2] ? p[2] : p[1];
            p += p[1] == '\\' && p[2] ? 3 : 2;
        }
        if (c >= lo && c <= hi) hit = 1;
    }
    if (*p != ']') return -1; /* no closing bracket: the '[' is a literal */
    *pp = p + 1;
    return hit != neg;
}

static int glob(const char *p, const char *s, long *budget)
{
    while (*p) {
        if (--*budget < 0) return 0;
        if (p[0] == '*' && p[1] == '*') {
            const char *q = p + 2;
            while (*q == '*') q++;
            if (*q == '/') { /* a double star and a slash: zero or more whole folders */
                q++;
                for (const char *t = s;;) {
                    if (glob(q, t, budget)) return 1;
                    t = strchr(t, '/');
                    if (!t || *budget < 0) return 0;
                    t++;
                }
            }
            if (!*q) return 1;
            for (const char *t = s;; t++) {
                if (glob(q, t, budget)) return 1;
                if (!*t || *budget < 0) return 0;
            }
        }
        if (*p == '*') {
            p++;
            for (const char *t = s;; t++) {
                if (glob(p, t, budget)) return 1;
                if (!*t || *t == '/' || *budget < 0) return 0;
            }
        }
        if (!*s) return 0;
        if (*p == '?') {
            if (*s == '/') return 0;
            p++, s++;
            continue;
        }
        if (*p == '[') {
            const char *q = p;
            int m = *s == '/' ? 0 : match_class(&q, *s);
            if (m == 0 && q != p) return 0;
            if (m == 0 && *s == '/') return 0;
            if (m == 1) {
                p = q, s++;
                continue;
            }
            /* m < 0: unterminated class, compare '[' literally */
        }
        if (*p == '\\' && p[1]) p++;
        if (*p != *s) return 0;
        p++, s++;
    }
    return *s == 0;
}

int ing_glob_match(const char *pattern, const char *path)
{
    long budget = GLOB_BUDGET;
    return glob(pattern, path, &budget);
}

ing_ignore *ing_ignore_create(void) { return calloc(1, sizeof(ing_ignore)); }

void ing_ignore_destroy(ing_ignore *ig)
{
    if (!ig) return;
    ing_ignore_pop(ig, 0);
    free(ig->rules);
    free(ig);
}

size_t ing_ignore_mark(const ing_ignore *ig) { return ig->n; }

void ing_ignore_pop(ing_ignore *ig, size_t mark)
{
    while (ig->n > mark) {
        ig->n--;
        free(ig->rules[ig->n].pattern);
        free(ig->rules[ig->n].base);
    }
}

/* One line of an ignore file into a rule; returns 1 if it holds a rule. */
static int parse_line(char *l, size_t n, rule *r)
{
    while (n && (l[n - 1] == '\r' || l[n - 1] == '\n')) n--;
    while (n && (l[n - 1] == ' ' || l[n - 1] == '\t') && !(n >= 2 && l[n - 2] == '\\')) n--;
    l[n] = 0;
    if (!n || l[0] == '#') return 0;
    memset(r, 0, sizeof *r);
    if (l[0] == '!') r->negate = 1, l++, n--;
    else if (l[0] == '\\' && (l[1] == '#' || l[1] == '!')) l++, n--;
    if (n && l[n - 1] == '/') r->dironly = 1, l[--n] = 0;
    if (!n) return 0;
    r->anchored = strchr(l, '/') != NULL;
    if (l[0] == '/') l++, n--;
    if (!n) return 0;
    r->pattern = strndup(l, n);
    return 1;
}

int ing_ignore_add(ing_ignore *ig, const char *base, const char *text, size_t len)
{
    int added = 0;
    char *line = malloc(len + 1);
    if (!line) return -1;
    for (size_t i = 0; i < len;) {
        size_t start = i, e = i;
        while (e < len && text[e] != '\n') e++;
        memcpy(line, text + start, e - start);
        line[e - start] = 0;
        i = e + 1;
        rule r;
        if (!parse_line(line, e - start, &r)) continue;
        if (!r.pattern) goto oom;
        if (ig->n == ig->cap) {
            size_t cap = ig->cap ? ig->cap * 2 : 32;
            rule *nr = realloc(ig->rules, cap * sizeof *nr);
            if (!nr) {
                free(r.pattern);
                goto oom;
            }
            ig->rules = nr, ig->cap = cap;
        }
        r.base = strdup(base ? base : "");
        if (!r.base) {
            free(r.pattern);
            goto oom;
        }
        ig->rules[ig->n++] = r;
        added++;
    }
    free(line);
    return added;
oom:
    free(line);
    return -1;
}

int ing_ignore_match(const ing_ignore *ig, const char *relpath, int is_dir)
{
    for (size_t i = ig->n; i-- > 0;) {
        const rule *r = &ig->rules[i];
        if (r->dironly && !is_dir) continue;
        const char *sub = relpath;
        size_t bl = strlen(r->base);
        if (bl) {
            if (strncmp(relpath, r->base, bl) || relpath[bl] != '/') continue;
            sub = relpath + bl + 1;
        }
        const char *subject = sub;
        if (!r->anchored) {
            const char *slash = strrchr(sub, '/');
            subject = slash ? slash + 1 : sub;
        }
        if (ing_glob_match(r->pattern, subject)) return !r->negate;
    }
    return 0;
}
