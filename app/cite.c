/* app/cite.c: finding and checking citations in a generated answer (app/cite.h). Input: the
 * answer as UTF-8 text and the packed passages; the quote marks known are ASCII '"' and the
 * typographic “ ” (U+201C, U+201D). */
#include "cite.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Folds text for comparison: lower-case ASCII, runs of white space as one space, trimmed. */
static char *fold(const char *s, size_t n, size_t *outn)
{
    char *o = malloc(n + 1);
    size_t k = 0;
    int sp = 0;
    for (size_t i = 0; o && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isspace(c)) {
            sp = 1;
            continue;
        }
        if (sp && k) o[k++] = ' ';
        sp = 0;
        o[k++] = (char)tolower(c);
    }
    if (o) o[k] = 0;
    *outn = k;
    return o;
}

int app_cite_contains(const char *text, const char *quote, size_t qn)
{
    size_t tn, fn;
    char *t = fold(text, strlen(text), &tn), *q = fold(quote, qn, &fn);
    int r = t && q && fn > 0 && strstr(t, q) != NULL;
    free(t), free(q);
    return r;
}

/* The last quote that closes before `end` and after the sentence start: 1 and its inside. */
static int quote_before(const char *a, size_t end, size_t *qa, size_t *qb)
{
    size_t start = end;
    while (start > 0 && !strchr(".!?\n", a[start - 1])) start--;
    /* Walk back over the sentence: the nearest closing mark, then its opening one. */
    for (size_t i = end; i > start; i--) {
        size_t close = i - 1;
        int typo = i >= 3 && !memcmp(a + i - 3, "\xe2\x80\x9d", 3);
        if (typo)
            close = i - 3;
        else if (a[close] != '"')
            continue;
        for (size_t j = close; j > start; j--) {
            if (!typo && a[j - 1] == '"') {
                *qa = j, *qb = close;
                return close > j;
            }
            if (typo && j >= 3 && !memcmp(a + j - 3, "\xe2\x80\x9c", 3)) {
                *qa = j, *qb = close;
                return close > j;
            }
        }
        return 0;
    }
    return 0;
}

static int push(app_cite **v, size_t *n, size_t *cap, app_cite c)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        app_cite *g = realloc(*v, nc * sizeof *g);
        if (!g) return -1;
        *v = g, *cap = nc;
    }
    (*v)[(*n)++] = c;
    return 0;
}

/* The numbers of one bracket "[1]", "[2, 3]", "[4-6]" at a[i] == '['; its end in *end. */
static int bracket(const char *a, size_t i, int *nums, int max, size_t *end)
{
    size_t j = i + 1;
    int k = 0;
    while (a[j] && k < max) {
        if (!isdigit((unsigned char)a[j])) return 0;
        long x = 0;
        while (isdigit((unsigned char)a[j]) && x < 100000) x = x * 10 + (a[j++] - '0');
        if (a[j] == '-' && isdigit((unsigned char)a[j + 1])) {
            long y = 0;
            j++;
            while (isdigit((unsigned char)a[j]) && y < 100000) y = y * 10 + (a[j++] - '0');
            for (long z = x; z <= y && k < max && y - x < 50; z++) nums[k++] = (int)z;
        } else {
            nums[k++] = (int)x;
        }
        while (a[j] == ' ') j++;
        if (a[j] == ']') {
            *end = j + 1;
            return k;
        }
        if (a[j] != ',' && a[j] != ';') return 0;
        j++;
        while (a[j] == ' ') j++;
    }
    return 0;
}

int app_cite_check(const char *a, const char *const *passages, size_t npass, app_cite **out,
                   size_t *n)
{
    size_t cap = 0;
    *out = NULL, *n = 0;
    for (size_t i = 0; a[i]; i++) {
        if (a[i] != '[') continue;
        int nums[64];
        size_t end;
        int k = bracket(a, i, nums, 64, &end);
        if (!k) continue;
        size_t qa = 0, qb = 0;
        int hasq = quote_before(a, i, &qa, &qb);
        for (int m = 0; m < k; m++) {
            app_cite c = {.n = nums[m], .at = i};
            c.valid = nums[m] >= 1 && (size_t)nums[m] <= npass;
            if (hasq) {
                c.qa = qa, c.qb = qb;
                c.quote = c.valid && app_cite_contains(passages[nums[m] - 1], a + qa, qb - qa)
                              ? APP_QUOTE_OK
                              : APP_QUOTE_MISSING;
            }
            if (push(out, n, &cap, c)) {
                free(*out);
                *out = NULL, *n = 0;
                return -1;
            }
        }
        i = end - 1;
    }
    return 0;
}
