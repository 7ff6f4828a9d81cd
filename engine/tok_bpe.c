/* engine/tok_bpe.c: byte-level BPE of one pre-token (merges applied lowest rank first, leftmost
 * on ties, as HF tokenizers does) and the per-call workspace with its piece -> ids cache. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "tok_int.h"

/* Pieces longer than this go through the heap version (O(n log n)); shorter ones through a
 * simple scan, which is faster at the sizes words have. */
#define SMALL_PIECE 48
/* Pieces at most this long are cached; the cache stops growing at CACHE_MAX entries. */
#define CACHE_PIECE 256
#define CACHE_MAX   (1u << 17)

typedef struct cache_slot {
    uint64_t hash;
    uint32_t key_off, ids_off;
    uint16_t key_len, n_ids; /* key_len 0: empty slot */
} cache_slot;

typedef struct heap_ent {
    int32_t rank, pos, lid, rid;
} heap_ent;

struct tok_work {
    const eng_tokenizer *t;
    cache_slot *slots;
    size_t mask, count;
    char *keys;
    size_t keys_len, keys_cap;
    int32_t *cids;
    size_t cids_len, cids_cap;
    /* BPE scratch, sized for the longest piece so far */
    int32_t *sym, *rank, *prev, *next;
    heap_ent *heap;
    size_t scratch_cap;
    pcre2_match_data *md[TOK_MAX_STEPS];
    pcre2_match_context *mctx;
    pcre2_jit_stack *jit;
    char err[256];
};

tok_work *tok_work_create(const eng_tokenizer *t)
{
    tok_work *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->t = t;
    w->mask = 1023;
    w->slots = calloc(w->mask + 1, sizeof *w->slots);
    if (!w->slots) {
        free(w);
        return NULL;
    }
    return w;
}

void tok_work_destroy(tok_work *w)
{
    if (!w) return;
    for (int i = 0; i < TOK_MAX_STEPS; i++) pcre2_match_data_free(w->md[i]);
    pcre2_match_context_free(w->mctx);
    pcre2_jit_stack_free(w->jit);
    free(w->slots);
    free(w->keys);
    free(w->cids);
    free(w->sym);
    free(w->rank);
    free(w->prev);
    free(w->next);
    free(w->heap);
    free(w);
}

char *tok_work_errbuf(tok_work *w, size_t *len)
{
    *len = sizeof w->err;
    return w->err;
}

pcre2_match_data *tok_work_match_data(tok_work *w, int step, const pcre2_code *re)
{
    if (!w->md[step]) w->md[step] = pcre2_match_data_create_from_pattern(re, NULL);
    return w->md[step];
}

pcre2_match_context *tok_work_match_context(tok_work *w)
{
    if (!w->mctx) {
        /* A larger JIT stack than the 32 KiB default, for long whitespace runs. */
        w->mctx = pcre2_match_context_create(NULL);
        w->jit = pcre2_jit_stack_create(64 * 1024, 4 * 1024 * 1024, NULL);
        if (w->mctx && w->jit) pcre2_jit_stack_assign(w->mctx, NULL, w->jit);
    }
    return w->mctx;
}

/* ---- cache ---- */

static int grow_buf(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 1024;
    while (nc < need) nc *= 2;
    void *q = realloc(*p, nc * elem);
    if (!q) return -1;
    *p = q;
    *cap = nc;
    return 0;
}

static const cache_slot *cache_find(const tok_work *w, uint64_t h, const char *s, size_t n)
{
    for (size_t i = h & w->mask;; i = (i + 1) & w->mask) {
        const cache_slot *c = &w->slots[i];
        if (!c->key_len) return NULL;
        if (c->hash == h && c->key_len == n && memcmp(w->keys + c->key_off, s, n) == 0) return c;
    }
}

static int cache_rehash(tok_work *w)
{
    size_t ncap = (w->mask + 1) * 2;
    cache_slot *ns = calloc(ncap, sizeof *ns);
    if (!ns) return -1;
    for (size_t i = 0; i <= w->mask; i++) {
        if (!w->slots[i].key_len) continue;
        size_t j = w->slots[i].hash & (ncap - 1);
        while (ns[j].key_len) j = (j + 1) & (ncap - 1);
        ns[j] = w->slots[i];
    }
    free(w->slots);
    w->slots = ns;
    w->mask = ncap - 1;
    return 0;
}

static void cache_put(tok_work *w, uint64_t h, const char *s, size_t n, const int32_t *ids,
                      size_t nids)
{
    if (w->count >= CACHE_MAX || nids > UINT16_MAX) return;
    if ((w->count + 1) * 2 > w->mask + 1 && cache_rehash(w) < 0) return;
    if (grow_buf((void **)&w->keys, &w->keys_cap, w->keys_len + n, 1) < 0 ||
        grow_buf((void **)&w->cids, &w->cids_cap, w->cids_len + nids, sizeof(int32_t)) < 0)
        return; /* the cache is an optimization: without memory, go on uncached */
    if (w->keys_len + n > UINT32_MAX || w->cids_len + nids > UINT32_MAX) return;
    size_t i = h & w->mask;
    while (w->slots[i].key_len) i = (i + 1) & w->mask;
    cache_slot *c = &w->slots[i];
    c->hash = h;
    c->key_off = (uint32_t)w->keys_len;
    c->key_len = (uint16_t)n;
    c->ids_off = (uint32_t)w->cids_len;
    c->n_ids = (uint16_t)nids;
    memcpy(w->keys + w->keys_len, s, n);
    memcpy(w->cids + w->cids_len, ids, nids * sizeof *ids);
    w->keys_len += n;
    w->cids_len += nids;
    w->count++;
}

/* ---- BPE ---- */

static inline int32_t pair_rank(const eng_tokenizer *t, int32_t a, int32_t b, int32_t *merged)
{
    uint64_t v;
    if (!tok_u64map_get(&t->merges, ((uint64_t)(uint32_t)a << 32) | (uint32_t)b, &v))
        return INT32_MAX;
    *merged = (int32_t)(uint32_t)v;
    return (int32_t)(v >> 32);
}

static int scratch_reserve(tok_work *w, size_t n)
{
    if (n <= w->scratch_cap) return 0;
    size_t c = w->scratch_cap ? w->scratch_cap : 64;
    while (c < n) c *= 2;
    int32_t *a = realloc(w->sym, c * 4), *b = a ? realloc(w->rank, c * 4) : NULL;
    if (a) w->sym = a;
    if (b) w->rank = b;
    int32_t *p = b ? realloc(w->prev, c * 4) : NULL, *q = p ? realloc(w->next, c * 4) : NULL;
    if (p) w->prev = p;
    if (q) w->next = q;
    heap_ent *h = q ? realloc(w->heap, c * 2 * sizeof *h) : NULL;
    if (!h) return -1;
    w->heap = h;
    w->scratch_cap = c;
    return 0;
}

/* sym[0..n) -> merged in place; returns the new count. */
static size_t bpe_small(const eng_tokenizer *t, int32_t *sym, int32_t *rank, size_t n)
{
    int32_t m;
    for (size_t i = 0; i + 1 < n; i++) rank[i] = pair_rank(t, sym[i], sym[i + 1], &m);
    while (n > 1) {
        size_t best = 0;
        for (size_t i = 1; i + 1 < n; i++)
            if (rank[i] < rank[best]) best = i;
        if (rank[best] == INT32_MAX) break;
        pair_rank(t, sym[best], sym[best + 1], &sym[best]);
        memmove(sym + best + 1, sym + best + 2, (n - best - 2) * sizeof *sym);
        if (best + 2 < n) memmove(rank + best + 1, rank + best + 2, (n - best - 3) * sizeof *rank);
        n--;
        if (best > 0) rank[best - 1] = pair_rank(t, sym[best - 1], sym[best], &m);
        if (best + 1 < n) rank[best] = pair_rank(t, sym[best], sym[best + 1], &m);
    }
    return n;
}

static inline int heap_less(const heap_ent *a, const heap_ent *b)
{
    return a->rank < b->rank || (a->rank == b->rank && a->pos < b->pos);
}

static void heap_push(heap_ent *h, size_t *n, heap_ent e)
{
    size_t i = (*n)++;
    while (i > 0 && heap_less(&e, &h[(i - 1) / 2])) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = e;
}

static heap_ent heap_pop(heap_ent *h, size_t *n)
{
    heap_ent top = h[0], last = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n) break;
        if (c + 1 < *n && heap_less(&h[c + 1], &h[c])) c++;
        if (!heap_less(&h[c], &last)) break;
        h[i] = h[c];
        i = c;
    }
    if (*n) h[i] = last;
    return top;
}

static void heap_offer(const eng_tokenizer *t, tok_work *w, size_t *nh, int32_t pos)
{
    int32_t r = w->next[pos], m;
    if (r < 0) return;
    int32_t rank = pair_rank(t, w->sym[pos], w->sym[r], &m);
    if (rank != INT32_MAX) heap_push(w->heap, nh, (heap_ent){rank, pos, w->sym[pos], w->sym[r]});
}

/* Linked list of symbols plus a heap of candidate merges; a popped entry is stale when its
 * symbols changed since it was pushed. Returns the count, compacted into sym[]. */
static size_t bpe_heap(const eng_tokenizer *t, tok_work *w, size_t n)
{
    size_t nh = 0;
    for (size_t i = 0; i < n; i++) {
        w->prev[i] = (int32_t)i - 1;
        w->next[i] = i + 1 < n ? (int32_t)i + 1 : -1;
    }
    for (size_t i = 0; i + 1 < n; i++) heap_offer(t, w, &nh, (int32_t)i);
    while (nh) {
        heap_ent e = heap_pop(w->heap, &nh);
        int32_t r = w->next[e.pos], m = -1;
        if (w->sym[e.pos] != e.lid || r < 0 || w->sym[r] != e.rid) continue;
        pair_rank(t, e.lid, e.rid, &m);
        w->sym[e.pos] = m;
        w->sym[r] = -1; /* dead */
        w->next[e.pos] = w->next[r];
        if (w->next[r] >= 0) w->prev[w->next[r]] = e.pos;
        if (w->prev[e.pos] >= 0) heap_offer(t, w, &nh, w->prev[e.pos]);
        heap_offer(t, w, &nh, e.pos);
    }
    size_t k = 0;
    for (int32_t i = 0; i >= 0; i = w->next[i]) w->sym[k++] = w->sym[i];
    return k;
}

int tok_bpe_piece(const eng_tokenizer *t, tok_work *w, const char *s, size_t n, eng_tok_ids *out)
{
    const unsigned char *u = (const unsigned char *)s;
    if (n == 1) return eng_tok_ids_push(out, t->byte_id[u[0]]);
    uint64_t h = 0;
    if (n <= CACHE_PIECE) {
        h = XXH3_64bits(s, n);
        const cache_slot *c = cache_find(w, h, s, n);
        if (c) {
            for (size_t i = 0; i < c->n_ids; i++)
                if (eng_tok_ids_push(out, w->cids[c->ids_off + i]) < 0) return -1;
            return 0;
        }
    }
    if (scratch_reserve(w, n) < 0) return -1;
    for (size_t i = 0; i < n; i++) w->sym[i] = t->byte_id[u[i]];
    size_t k = n <= SMALL_PIECE ? bpe_small(t, w->sym, w->rank, n) : bpe_heap(t, w, n);
    for (size_t i = 0; i < k; i++)
        if (eng_tok_ids_push(out, w->sym[i]) < 0) return -1;
    if (n <= CACHE_PIECE) cache_put(w, h, s, n, w->sym, k);
    return 0;
}
