/* index/idents.c: the identifier vocabulary of code, the cheap path to substrings inside
 * identifiers. FTS5 table idents(names) with the trigram tokenizer: one row per document that
 * brought new names, holding them '\n'-separated (a name: a lowercased [a-z0-9_] run starting
 * with a letter or '_', IDENT_MIN..IDENT_MAX bytes). Few rows keep FTS5's per-row cost low. */
#include "idx_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* Longer runs are data (base64, hex dumps), not names anyone types a part of. */
enum { IDENT_MIN = 3, IDENT_MAX = 96 };
/* The in-memory set of stored names (64-bit hashes) stops growing here, so memory stays bounded
 * on any tree; names past it may be stored twice, which costs space, not correctness. */
enum { SEEN_MAX = 1 << 22 };
/* A substring query expands to at most this many names: the shortest of the first EXPAND_FETCH
 * found in at most EXPAND_ROWS rows. */
enum { EXPAND_NAMES = 32, EXPAND_FETCH = 2000, EXPAND_ROWS = 400 };

static int ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int ident_char(unsigned char c) { return ident_start(c) || (c >= '0' && c <= '9'); }

void idx_idents_forget(idx *ix)
{
    free(ix->seen);
    ix->seen = NULL, ix->seen_n = ix->seen_cap = 0;
    memset(ix->seen_hot, 0, sizeof ix->seen_hot);
    ix->seen_loaded = 0;
    ix->names_n = 0;
}

static int seen_grow(idx *ix)
{
    size_t cap = ix->seen_cap ? ix->seen_cap * 2 : 1 << 14;
    uint64_t *t = calloc(cap, sizeof *t);
    if (!t) return -1;
    for (size_t i = 0; i < ix->seen_cap; i++)
        for (size_t k = ix->seen[i] & (cap - 1); ix->seen[i]; k = (k + 1) & (cap - 1))
            if (!t[k]) {
                t[k] = ix->seen[i];
                break;
            }
    free(ix->seen);
    ix->seen = t, ix->seen_cap = cap;
    return 0;
}

/* 1 if the name with hash h is in the set, else adds it and returns 0. A false "seen" needs a
 * 64-bit collision (about 1e-8 over a million names). */
static int seen_add(idx *ix, uint64_t h)
{
    if (!h) h = 1;
    /* Most names repeat within a file: a small direct-mapped cache in front of the big table
     * spares most of its cache misses. It only ever holds names the table holds. */
    uint64_t *hot = &ix->seen_hot[h & (IDX_SEEN_HOT - 1)];
    if (*hot == h) return 1;
    *hot = h;
    if (ix->seen_n * 2 >= ix->seen_cap && (ix->seen_cap >= SEEN_MAX || seen_grow(ix)))
        return 0;
    for (size_t k = h & (ix->seen_cap - 1);; k = (k + 1) & (ix->seen_cap - 1)) {
        if (ix->seen[k] == h) return 1;
        if (!ix->seen[k]) {
            ix->seen[k] = h, ix->seen_n++;
            return 0;
        }
    }
}

/* The set starts as the names already stored (read once per handle, after each undo). */
static int seen_load(idx *ix)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ix->db, "SELECT names FROM idents", -1, &st, NULL) != SQLITE_OK)
        return idx_fail(ix, IDX_ERR, "reading identifiers: %s", sqlite3_errmsg(ix->db));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *s = (const char *)sqlite3_column_text(st, 0);
        for (const char *e; s && *s; s = *e ? e + 1 : e) {
            e = strchr(s, '\n');
            if (!e) e = s + strlen(s);
            seen_add(ix, XXH3_64bits(s, (size_t)(e - s)));
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return idx_fail(ix, IDX_ERR, "reading identifiers: %s", sqlite3_errmsg(ix->db));
    ix->seen_loaded = 1;
    return 0;
}

static int names_put(idx *ix, const char *s, size_t n)
{
    if (ix->names_n + n + 2 > ix->names_cap) {
        size_t cap = ix->names_cap ? ix->names_cap * 2 : 4096;
        while (cap < ix->names_n + n + 2) cap *= 2;
        char *p = realloc(ix->names, cap);
        if (!p) return idx_fail(ix, IDX_ERR, "out of memory collecting identifiers");
        ix->names = p, ix->names_cap = cap;
    }
    if (ix->names_n) ix->names[ix->names_n++] = '\n';
    memcpy(ix->names + ix->names_n, s, n);
    ix->names_n += n;
    return 0;
}

int idx_idents_add(idx *ix, const char *text)
{
    if (!ix->seen_loaded && seen_load(ix)) return IDX_ERR;
    const unsigned char *p = (const unsigned char *)text;
    char name[IDENT_MAX + 1];
    while (*p) {
        if (!ident_char(*p)) {
            p++;
            continue;
        }
        const unsigned char *s = p;
        while (ident_char(*p)) p++;
        size_t n = (size_t)(p - s);
        if (n < IDENT_MIN || n > IDENT_MAX || !ident_start(*s) || *p >= 0x80 ||
            (s > (const unsigned char *)text && s[-1] >= 0x80))
            continue; /* digits first, too short or long, or part of a non-ASCII word */
        for (size_t i = 0; i < n; i++)
            name[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] | 32 : s[i]);
        if (!seen_add(ix, XXH3_64bits(name, n)) && names_put(ix, name, n)) return IDX_ERR;
    }
    return 0;
}

int idx_idents_flush(idx *ix)
{
    if (!ix->names_n) return 0;
    sqlite3_stmt *st = idx_stmt(ix, ST_INS_IDENT);
    if (!st) return IDX_ERR;
    sqlite3_bind_text(st, 1, ix->names, (int)ix->names_n, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    ix->names_n = 0;
    if (rc != SQLITE_DONE)
        return idx_fail(ix, IDX_ERR, "adding identifiers: %s", sqlite3_errmsg(ix->db));
    return 0;
}

int idx_idents_word(const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    while (*p == ' ' || *p == '\t') p++;
    size_t n = 0;
    while (ident_char(p[n])) n++;
    const unsigned char *rest = p + n;
    while (*rest == ' ' || *rest == '\t' || *rest == '\r' || *rest == '\n') rest++;
    return n >= IDENT_MIN && !*rest;
}

typedef struct cands {
    char **name;
    size_t n;
} cands;

static int by_len(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    size_t lx = strlen(x), ly = strlen(y);
    return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x, y);
}

/* Adds the names of one row that contain `sub` (lowercase). */
static void collect(cands *c, const char *names, const char *sub)
{
    size_t sl = strlen(sub);
    for (const char *hit = names; c->n < EXPAND_FETCH && (hit = strstr(hit, sub));) {
        const char *a = hit, *e = hit + sl;
        while (a > names && a[-1] != '\n') a--;
        while (*e && *e != '\n') e++;
        hit = e;
        if (!(c->name[c->n] = strndup(a, (size_t)(e - a)))) return;
        c->n++;
    }
}

int idx_idents_expand(idx *ix, const char *word, char *out, size_t outsz)
{
    char sub[IDENT_MAX + 1], match[IDENT_MAX + 3];
    size_t n = 0;
    while (*word == ' ' || *word == '\t') word++;
    for (; ident_char((unsigned char)word[n]) && n < IDENT_MAX; n++)
        sub[n] = (char)(word[n] >= 'A' && word[n] <= 'Z' ? word[n] | 32 : word[n]);
    sub[n] = 0;
    out[0] = 0;
    if (n < IDENT_MIN) return 0;
    snprintf(match, sizeof match, "\"%s\"", sub); /* [a-z0-9_] only: nothing to escape */
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ix->db, "SELECT names FROM idents WHERE idents MATCH ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return idx_fail(ix, IDX_ERR, "identifier search: %s", sqlite3_errmsg(ix->db));
    sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
    cands c = {.name = malloc(EXPAND_FETCH * sizeof *c.name)};
    int rc = c.name ? SQLITE_ROW : SQLITE_NOMEM;
    for (int rows = 0; rc == SQLITE_ROW && rows < EXPAND_ROWS && c.n < EXPAND_FETCH; rows++)
        if ((rc = sqlite3_step(st)) == SQLITE_ROW)
            collect(&c, (const char *)sqlite3_column_text(st, 0), sub);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        rc = idx_fail(ix, IDX_ERR, "identifier search: %s", sqlite3_errmsg(ix->db));
    else
        rc = 0;
    sqlite3_finalize(st);
    if (c.n) qsort(c.name, c.n, sizeof *c.name, by_len);
    size_t o = 0;
    for (size_t i = 0, k = 0; !rc && i < c.n && k < EXPAND_NAMES; i++) {
        if (i && !strcmp(c.name[i], c.name[i - 1])) continue; /* stored twice */
        size_t l = strlen(c.name[i]);
        k++;
        if (o + l + 8 >= outsz) break;
        o += (size_t)snprintf(out + o, outsz - o, "%s\"%s\"", o ? " OR " : "", c.name[i]);
    }
    for (size_t i = 0; i < c.n; i++) free(c.name[i]);
    free(c.name);
    return rc ? rc : o ? 1 : 0;
}
