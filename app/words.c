/* app/words.c: word splitting, stemming and the stop-word set (app/words.h). The set is read
 * once from the embedded assets/stopwords.txt (one word a line, '#' comments) into a hash table. */
#include "words.h"

#include "assets.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* 1 when t[0..] starts a CJK character (U+2E80..U+9FFF, U+AC00..U+D7FF: three-byte UTF-8 with
 * lead bytes E2 BA.. to ED): those are words of one character each, as the index splits them. */
static int cjk_at(const unsigned char *t, size_t left)
{
    if (left < 3 || (t[1] & 0xC0) != 0x80 || (t[2] & 0xC0) != 0x80) return 0;
    if (t[0] >= 0xE3 && t[0] <= 0xE9) return 1;
    if (t[0] == 0xE2 && t[1] >= 0xBA) return 1;
    return t[0] >= 0xEA && t[0] <= 0xED && !(t[0] == 0xED && t[1] >= 0xA0);
}

int app_word_next(const char *t, size_t len, size_t *pos, size_t *start, size_t *n)
{
    const unsigned char *u = (const unsigned char *)t;
    size_t i = *pos;
    /* Ideographic punctuation (U+3000..U+303F) separates words too. */
    while (i < len && ((!isalnum(u[i]) && !(u[i] & 0x80)) ||
                       (i + 2 < len && u[i] == 0xE3 && u[i + 1] == 0x80) ||
                       (i + 2 < len && u[i] == 0xEF && u[i + 1] == 0xBC &&
                        u[i + 2] && strchr("\x81\x8c\x8e\x9a\x9b\x9f", u[i + 2]))))
        i += u[i] & 0x80 ? 3 : 1;
    if (i >= len) {
        *pos = len;
        return 0;
    }
    size_t s = i;
    if (cjk_at(u + i, len - i)) {
        *start = s, *n = 3, *pos = i + 3;
        return 1;
    }
    while (i < len && (isalnum(u[i]) || (u[i] & 0x80)) && !cjk_at(u + i, len - i)) i++;
    *start = s, *n = i - s, *pos = i;
    return 1;
}

/* Endings stripped, longest first; a stem keeps at least 3 bytes. */
static const char *const endings[] = {
    "ifications", "ification", "izations", "ization", "isations", "isation", "ations", "ation",
    "ements",     "ement",     "ments",    "ment",    "ities",    "ity",     "ating",  "ated",
    "ates",       "ate",       "ings",     "ing",     "ions",     "ion",     "ives",   "ive",
    "ably",       "able",      "ibly",     "ible",    "ers",      "er",      "ies",    "ied",
    "ify",        "ful",       "ness",     "ally",    "ly",       "al",      "ed",     "es",
    "e",          "s",         "y",        NULL};

void app_word_stem(const char *w, size_t n, char out[APP_STEM_MAX])
{
    size_t m = n < APP_STEM_MAX - 1 ? n : APP_STEM_MAX - 1;
    int ascii = 1;
    for (size_t i = 0; i < m; i++) {
        out[i] = (char)tolower((unsigned char)w[i]);
        if ((unsigned char)w[i] & 0x80) ascii = 0;
    }
    out[m] = 0;
    if (!ascii || isdigit((unsigned char)out[0])) return;
    for (int i = 0; endings[i]; i++) {
        size_t el = strlen(endings[i]);
        if (m >= el + 3 && !memcmp(out + m - el, endings[i], el)) {
            out[m - el] = 0;
            m -= el;
            break;
        }
    }
    /* A doubled final consonant left by an ending ("committed" -> "committ") is one. */
    if (m >= 4 && out[m - 1] == out[m - 2] && !strchr("aeious", out[m - 1])) out[m - 1] = 0;
}

uint64_t app_word_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h ? h : 1;
}

static struct {
    uint64_t *t;
    size_t cap;
    int loaded;
} stops;

static void stops_add(uint64_t h)
{
    size_t i = h & (stops.cap - 1);
    while (stops.t[i] && stops.t[i] != h) i = (i + 1) & (stops.cap - 1);
    stops.t[i] = h;
}

static void stops_load(void)
{
    stops.loaded = 1;
    size_t len;
    const char *s = (const char *)folio_asset("stopwords.txt", &len);
    stops.cap = 1024;
    stops.t = calloc(stops.cap, sizeof *stops.t);
    if (!s || !stops.t) return;
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && s[e] != '\n') e++;
        if (s[i] != '#' && e > i && e - i < 64) {
            char w[64];
            memcpy(w, s + i, e - i);
            w[e - i] = 0;
            stops_add(app_word_hash(w));
        }
        i = e + 1;
    }
}

int app_word_is_stop(const char *w, size_t n)
{
    if (!stops.loaded) stops_load();
    if (!stops.t || n >= 64) return 0;
    char l[64];
    for (size_t i = 0; i < n; i++) l[i] = (char)tolower((unsigned char)w[i]);
    l[n] = 0;
    uint64_t h = app_word_hash(l);
    for (size_t i = h & (stops.cap - 1); stops.t[i]; i = (i + 1) & (stops.cap - 1))
        if (stops.t[i] == h) return 1;
    return 0;
}

int app_terms_add(app_terms *t, const char *text, size_t len, size_t base)
{
    size_t pos = 0, s, n;
    while (app_word_next(text, len, &pos, &s, &n)) {
        if (app_word_is_stop(text + s, n) || (n == 1 && !isdigit((unsigned char)text[s]))) continue;
        if (t->n == t->cap) {
            size_t cap = t->cap ? t->cap * 2 : 256;
            uint64_t *h = realloc(t->h, cap * sizeof *h);
            if (!h) return -1;
            t->h = h;
            uint32_t *o = realloc(t->off, cap * sizeof *o);
            if (!o) return -1;
            t->off = o, t->cap = cap;
        }
        char st[APP_STEM_MAX];
        app_word_stem(text + s, n, st);
        t->h[t->n] = app_word_hash(st);
        t->off[t->n++] = (uint32_t)(base + s);
    }
    return 0;
}

void app_terms_free(app_terms *t)
{
    free(t->h), free(t->off);
    memset(t, 0, sizeof *t);
}
