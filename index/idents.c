/* index/idents.c: the identifier vocabulary of code, the cheap path to substrings inside
 * identifiers. A name: a lowercased [a-z0-9_] run starting with a letter or '_',
 * IDENT_MIN..IDENT_MAX bytes. Each name is stored once, in blocks:
 *   ident_blocks(id, names '\n'-separated up to BLOCK_MAX bytes, grams)
 * where grams is a bitmap of the trigrams the block's names contain (37^3 bits: the alphabet
 * is small). A substring query reads the bitmaps, and searches the text of the blocks that
 * hold all of its trigrams. An FTS5 trigram index of the names did the same job, but cost an
 * eighth of the time to index /usr/include; setting bits costs next to nothing. */
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
 * found. */
enum { EXPAND_NAMES = 32, EXPAND_FETCH = 2000 };
/* Names per block: a candidate block costs a scan of this many bytes. */
enum { BLOCK_MAX = 65536 };
enum { ALPHABET = 37, GRAMS = ALPHABET * ALPHABET * ALPHABET, GRAM_BYTES = (GRAMS + 7) / 8 };

/* a-z 0..25, 0-9 26..35, '_' 36; -1 for anything else (never in a stored name). */
static int letter(unsigned char c)
{
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= '0' && c <= '9') return 26 + c - '0';
    return c == '_' ? 36 : -1;
}

/* The trigram codes of s[0..n) into out (n - 2 of them); -1 if s has a letter outside the
 * alphabet. */
static int grams_of(const char *s, size_t n, int *out)
{
    for (size_t i = 0; i + 2 < n; i++) {
        int a = letter((unsigned char)s[i]), b = letter((unsigned char)s[i + 1]),
            c = letter((unsigned char)s[i + 2]);
        if (a < 0 || b < 0 || c < 0) return -1;
        out[i] = (a * ALPHABET + b) * ALPHABET + c;
    }
    return 0;
}

static void grams_set(unsigned char *bits, const char *s, size_t n)
{
    int g[IDENT_MAX];
    if (n < 3 || n > IDENT_MAX || grams_of(s, n, g)) return;
    for (size_t i = 0; i + 2 < n; i++) bits[g[i] >> 3] |= (unsigned char)(1u << (g[i] & 7));
}

static int ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int ident_char(unsigned char c)
{
    return ident_start(c) || (c >= '0' && c <= '9');
}

void idx_idents_forget(idx *ix)
{
    free(ix->seen.t);
    memset(&ix->seen, 0, sizeof ix->seen);
    if (ix->seen_hot) memset(ix->seen_hot, 0, IDX_SEEN_HOT * sizeof *ix->seen_hot);
    ix->seen_loaded = 0;
    ix->names_n = 0;
}

static int hset_grow(idx_hset *s)
{
    size_t cap = s->cap ? s->cap * 2 : 1 << 10;
    uint64_t *t = calloc(cap, sizeof *t);
    if (!t) return -1;
    for (size_t i = 0; i < s->cap; i++)
        for (size_t k = s->t[i] & (cap - 1); s->t[i]; k = (k + 1) & (cap - 1))
            if (!t[k]) {
                t[k] = s->t[i];
                break;
            }
    free(s->t);
    s->t = t, s->cap = cap;
    return 0;
}

/* 1 if h is in the set, else adds it and returns 0. A full set (SEEN_MAX) or one that cannot
 * grow answers 0 without adding. A false "present" needs a 64-bit collision (about 1e-8 over a
 * million names). */
static int hset_add(idx_hset *s, uint64_t h)
{
    if (!h) h = 1;
    if (s->n * 2 >= s->cap && (s->cap >= SEEN_MAX || hset_grow(s))) return 0;
    for (size_t k = h & (s->cap - 1);; k = (k + 1) & (s->cap - 1)) {
        if (s->t[k] == h) return 1;
        if (!s->t[k]) {
            s->t[k] = h, s->n++;
            return 0;
        }
    }
}

static int seen_add(idx *ix, uint64_t h)
{
    /* Most names repeat within a file: a direct-mapped cache in front of the big set spares
     * many of its cache misses. It only ever holds names the set holds. */
    if (ix->seen_hot) {
        uint64_t *hot = &ix->seen_hot[(h ? h : 1) & (IDX_SEEN_HOT - 1)];
        if (*hot == (h ? h : 1)) return 1;
        *hot = h ? h : 1;
    }
    return hset_add(&ix->seen, h);
}

/* The set starts as the names already stored (read once per handle, after each undo). */
static int seen_load(idx *ix)
{
    if (!ix->seen_hot) ix->seen_hot = calloc(IDX_SEEN_HOT, sizeof *ix->seen_hot); /* optional */
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ix->db, "SELECT names FROM ident_blocks", -1, &st, NULL) != SQLITE_OK)
        return idx_fail(ix, IDX_ERR, "reading identifiers: %s", sqlite3_errmsg(ix->db));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *s = (const char *)sqlite3_column_text(st, 0);
        for (const char *e; s && *s; s = *e ? e + 1 : e) {
            e = strchr(s, '\n');
            if (!e) e = s + strlen(s);
            hset_add(&ix->seen, XXH3_64bits(s, (size_t)(e - s)));
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return idx_fail(ix, IDX_ERR, "reading identifiers: %s", sqlite3_errmsg(ix->db));
    ix->seen_loaded = 1;
    return 0;
}

/* Appends s to the '\n'-separated list *buf (length *n, capacity *cap); -1 on memory. */
static int list_put(char **buf, size_t *n, size_t *cap, const char *s, size_t len)
{
    if (*n + len + 2 > *cap) {
        size_t c = *cap ? *cap * 2 : 4096;
        while (c < *n + len + 2) c *= 2;
        char *p = realloc(*buf, c);
        if (!p) return -1;
        *buf = p, *cap = c;
    }
    if (*n) (*buf)[(*n)++] = '\n';
    memcpy(*buf + *n, s, len);
    *n += len;
    (*buf)[*n] = 0;
    return 0;
}

static int names_put(idx *ix, const char *s, size_t n)
{
    if (list_put(&ix->names, &ix->names_n, &ix->names_cap, s, n))
        return idx_fail(ix, IDX_ERR, "out of memory collecting identifiers");
    return 0;
}

/* The next identifier at or after *pp in text (lowercased into name): its length, 0 at the
 * end. Runs starting with a digit, too short or long, or touching non-ASCII letters are not
 * identifiers. */
static size_t next_ident(const unsigned char **pp, const char *text, char *name)
{
    const unsigned char *p = *pp;
    for (;;) {
        while (*p && !ident_char(*p)) p++;
        if (!*p) break;
        const unsigned char *s = p;
        while (ident_char(*p)) p++;
        size_t n = (size_t)(p - s);
        if (n < IDENT_MIN || n > IDENT_MAX || !ident_start(*s) || *p >= 0x80 ||
            (s > (const unsigned char *)text && s[-1] >= 0x80))
            continue;
        for (size_t i = 0; i < n; i++)
            name[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] | 32 : s[i]);
        *pp = p;
        return n;
    }
    *pp = p;
    return 0;
}

int idx_idents_add(idx *ix, const char *text)
{
    if (!ix->seen_loaded && seen_load(ix)) return IDX_ERR;
    const unsigned char *p = (const unsigned char *)text;
    char name[IDENT_MAX + 1];
    for (size_t n; (n = next_ident(&p, text, name));)
        if (!seen_add(ix, XXH3_64bits(name, n)) && names_put(ix, name, n)) return IDX_ERR;
    return 0;
}

int idx_names_collect(const ing_doc *doc, idx_names *out)
{
    memset(out, 0, sizeof *out);
    idx_hset local = {0};
    size_t cap = 0, hcap = 0;
    char name[IDENT_MAX + 1];
    int rc = 0;
    for (size_t c = 0; !rc && c < ing_doc_nchunks(doc); c++) {
        const char *text = ing_doc_chunk(doc, c)->text;
        const unsigned char *p = (const unsigned char *)text;
        for (size_t n; !rc && (n = next_ident(&p, text, name));) {
            uint64_t h = XXH3_64bits(name, n);
            if (hset_add(&local, h)) continue;
            if (out->n == hcap) {
                uint64_t *t = realloc(out->hash, (hcap = hcap ? hcap * 2 : 256) * sizeof *t);
                if (!t)
                    rc = -1;
                else
                    out->hash = t;
            }
            if (!rc && !(rc = list_put(&out->text, &out->len, &cap, name, n)))
                out->hash[out->n++] = h;
        }
    }
    free(local.t);
    if (rc) idx_names_free(out);
    return rc;
}

void idx_names_free(idx_names *nm)
{
    free(nm->text);
    free(nm->hash);
    memset(nm, 0, sizeof *nm);
}

int idx_idents_add_names(idx *ix, const idx_names *nm)
{
    if (!ix->seen_loaded && seen_load(ix)) return IDX_ERR;
    const char *s = nm->text;
    for (size_t i = 0; i < nm->n; i++) {
        const char *e = strchr(s, '\n');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (!seen_add(ix, nm->hash[i]) && names_put(ix, s, len)) return IDX_ERR;
        s += len + 1;
    }
    return 0;
}

int idx_idents_migrate(idx *ix)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ix->db, "SELECT names FROM idents", -1, &st, NULL) != SQLITE_OK)
        return idx_fail(ix, IDX_ERR, "reading identifiers: %s", sqlite3_errmsg(ix->db));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (sqlite3_column_bytes(st, 0) &&
            names_put(ix, (const char *)sqlite3_column_text(st, 0),
                      (size_t)sqlite3_column_bytes(st, 0)))
            break;
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return idx_fail(ix, IDX_ERR, "moving identifiers: %s", ix->err);
    if (idx_idents_flush(ix)) return IDX_ERR;
    return idx_exec(ix, "DROP TABLE idents");
}

/* Appends '\n'-separated names to the block `id` (0: a new block) with bitmap `bits`. */
static int block_put(idx *ix, int64_t id, const char *names, size_t len, const unsigned char *bits)
{
    sqlite3_stmt *st = idx_stmt(ix, id ? ST_IDENT_GROW : ST_IDENT_NEW);
    if (!st) return IDX_ERR;
    sqlite3_bind_text(st, 1, names, (int)len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, bits, GRAM_BYTES, SQLITE_STATIC);
    if (id) sqlite3_bind_int64(st, 3, id);
    if (sqlite3_step(st) != SQLITE_DONE)
        return idx_fail(ix, IDX_ERR, "adding identifiers: %s", sqlite3_errmsg(ix->db));
    return 0;
}

/* The names collected since the last flush fill up the last block, then new ones. */
int idx_idents_flush(idx *ix)
{
    if (!ix->names_n) return 0;
    unsigned char *bits = calloc(1, GRAM_BYTES);
    char *text = NULL;
    size_t len = 0, cap = 0;
    int64_t id = 0;
    int rc = bits ? 0 : idx_fail(ix, IDX_ERR, "out of memory");
    sqlite3_stmt *st = rc ? NULL : idx_stmt(ix, ST_IDENT_LAST);
    if (!rc && !st) rc = IDX_ERR;
    if (!rc && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 1) < BLOCK_MAX &&
        sqlite3_column_bytes(st, 2) == GRAM_BYTES) {
        id = sqlite3_column_int64(st, 0);
        if (list_put(&text, &len, &cap, (const char *)sqlite3_column_text(st, 1),
                     (size_t)sqlite3_column_bytes(st, 1)))
            rc = idx_fail(ix, IDX_ERR, "out of memory");
        memcpy(bits, sqlite3_column_blob(st, 2), GRAM_BYTES);
    }
    if (st) sqlite3_reset(st);
    const char *s = ix->names, *end = ix->names + ix->names_n;
    while (!rc && s < end) {
        const char *e = memchr(s, '\n', (size_t)(end - s));
        if (!e) e = end;
        if (len && len + (size_t)(e - s) + 1 > BLOCK_MAX) { /* this block is full */
            rc = block_put(ix, id, text, len, bits);
            id = 0, len = 0;
            memset(bits, 0, GRAM_BYTES);
        }
        if (!rc && list_put(&text, &len, &cap, s, (size_t)(e - s)))
            rc = idx_fail(ix, IDX_ERR, "out of memory");
        if (!rc) grams_set(bits, s, (size_t)(e - s));
        s = e + 1;
    }
    if (!rc && len) rc = block_put(ix, id, text, len, bits);
    ix->names_n = 0;
    free(text);
    free(bits);
    return rc;
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

/* The blocks holding every trigram of sub (n-2 codes in g), at most `max`, into ids. */
static int candidate_blocks(idx *ix, const int *g, size_t ng, int64_t **ids, size_t *n)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ix->db, "SELECT id, grams FROM ident_blocks ORDER BY id", -1, &st,
                           NULL) != SQLITE_OK)
        return idx_fail(ix, IDX_ERR, "identifier search: %s", sqlite3_errmsg(ix->db));
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *bits = sqlite3_column_blob(st, 1);
        if (sqlite3_column_bytes(st, 1) != GRAM_BYTES) continue;
        size_t i = 0;
        while (i < ng && (bits[g[i] >> 3] >> (g[i] & 7) & 1)) i++;
        if (i < ng) continue;
        if (*n == cap) {
            int64_t *t = realloc(*ids, (cap = cap ? cap * 2 : 64) * sizeof *t);
            if (!t) break;
            *ids = t;
        }
        (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return idx_fail(ix, IDX_ERR, "identifier search: %s", sqlite3_errmsg(ix->db));
    return 0;
}

int idx_idents_expand(idx *ix, const char *word, char *out, size_t outsz)
{
    char sub[IDENT_MAX + 1];
    int g[IDENT_MAX];
    size_t n = 0;
    while (*word == ' ' || *word == '\t') word++;
    for (; ident_char((unsigned char)word[n]) && n < IDENT_MAX; n++)
        sub[n] = (char)(word[n] >= 'A' && word[n] <= 'Z' ? word[n] | 32 : word[n]);
    sub[n] = 0;
    out[0] = 0;
    if (n < IDENT_MIN || grams_of(sub, n, g)) return 0;
    int64_t *ids = NULL;
    size_t nids = 0;
    int rc = candidate_blocks(ix, g, n - 2, &ids, &nids);
    cands c = {.name = malloc(EXPAND_FETCH * sizeof *c.name)};
    if (!rc && !c.name) rc = idx_fail(ix, IDX_ERR, "out of memory");
    sqlite3_stmt *st = NULL;
    if (!rc && nids &&
        sqlite3_prepare_v2(ix->db, "SELECT names FROM ident_blocks WHERE id = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        rc = idx_fail(ix, IDX_ERR, "identifier search: %s", sqlite3_errmsg(ix->db));
    for (size_t i = 0; !rc && i < nids && c.n < EXPAND_FETCH; i++) {
        sqlite3_bind_int64(st, 1, ids[i]);
        if (sqlite3_step(st) == SQLITE_ROW)
            collect(&c, (const char *)sqlite3_column_text(st, 0), sub);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    free(ids);
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
