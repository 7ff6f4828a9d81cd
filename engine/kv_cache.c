/* engine/kv_cache.c: the prefix cache's memory tier: a pool of immutable 64-token blocks of MLA
 * latent rows ([layers][64][row_floats] float32) under a byte budget, LRU, chain lookup, store. */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kv_int.h"

struct eng_kvcache {
    eng_kv_geometry geo;
    uint64_t block_bytes; /* payload of one block */
    uint64_t cost;        /* what one resident block counts against the budget */
    uint64_t budget, used;
    pthread_mutex_t mu; /* guards everything below and every block's refs / LRU links */
    kv_map map;         /* published blocks by hash */
    eng_kv_block *lru_head, *lru_tail; /* unreferenced published blocks, least recent first */
    size_t blocks, referenced;
    uint64_t hits_mem, hits_disk, stored, evicted;
    kv_disk *disk; /* NULL: memory only */
};

void kv_set_err(char *err, size_t errsz, const char *fmt, ...)
{
    if (!err || !errsz) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
}

uint64_t eng_kvcache_default_mem_budget(void)
{
    const uint64_t floor = 64ull << 20;
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return 256ull << 20;
    char line[256];
    uint64_t kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %" SCNu64 " kB", &kb) == 1) break;
    fclose(f);
    /* A quarter: the weights (mapped), the sessions' own caches and the rest of the system
     * need the remainder; blocks beyond the budget still live on disk. */
    uint64_t b = kb * 1024 / 4;
    return b < floor ? floor : b;
}

int eng_kvcache_default_dir(uint64_t model_fingerprint, char *buf, size_t bufsz)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n;
    /* The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored. */
    if (xdg && xdg[0] == '/')
        n = snprintf(buf, bufsz, "%s/folio/kv/%016" PRIx64, xdg, model_fingerprint);
    else if (home && home[0])
        n = snprintf(buf, bufsz, "%s/.cache/folio/kv/%016" PRIx64, home, model_fingerprint);
    else
        return -1;
    return n < 0 || (size_t)n >= bufsz ? -1 : 0;
}

int eng_kvcache_create(const eng_kv_geometry *g, const eng_kvcache_options *opts, eng_kvcache **out,
                       char *err, size_t errsz)
{
    *out = NULL;
    if (g->n_layers <= 0 || g->row_floats <= 0) {
        kv_set_err(err, errsz, "kv cache: bad geometry (n_layers %d, row_floats %d)", g->n_layers,
                g->row_floats);
        return -1;
    }
    eng_kvcache_options o = {0};
    if (opts) o = *opts;
    eng_kvcache *kc = calloc(1, sizeof *kc);
    if (!kc || kv_map_init(&kc->map) < 0) {
        free(kc);
        kv_set_err(err, errsz, "kv cache: out of memory");
        return -1;
    }
    kc->geo = *g;
    kc->block_bytes = (uint64_t)g->n_layers * ENG_KV_BLOCK_TOKENS * g->row_floats * 4;
    kc->cost = sizeof(eng_kv_block) + kc->block_bytes;
    kc->budget = o.mem_budget ? o.mem_budget : eng_kvcache_default_mem_budget();
    pthread_mutex_init(&kc->mu, NULL);
    if (kc->budget < kc->cost) {
        kv_set_err(err, errsz,
                "kv cache: memory budget %" PRIu64 " bytes is below one block (%" PRIu64 " bytes)",
                kc->budget, kc->cost);
        eng_kvcache_destroy(kc);
        return -1;
    }
    char dir[4096];
    const char *d = o.disk_dir;
    if (!d) {
        if (eng_kvcache_default_dir(g->model_fingerprint, dir, sizeof dir) < 0) {
            kv_set_err(err, errsz, "kv cache: neither XDG_CACHE_HOME nor HOME names a folder");
            eng_kvcache_destroy(kc);
            return -1;
        }
        d = dir;
    }
    if (d[0] && kv_disk_open(d, o.disk_budget, g, &kc->disk, err, errsz) < 0) {
        eng_kvcache_destroy(kc);
        return -1;
    }
    *out = kc;
    return 0;
}

void eng_kvcache_destroy(eng_kvcache *kc)
{
    if (!kc) return;
    assert(kc->referenced == 0 && "kv cache destroyed while blocks are held");
    for (size_t i = 0; i < kc->map.cap; i++) free(kc->map.vals ? kc->map.vals[i] : NULL);
    kv_map_free(&kc->map);
    kv_disk_close(kc->disk);
    pthread_mutex_destroy(&kc->mu);
    free(kc);
}

/* ---- LRU list and pool (callers hold kc->mu) ------------------------------------------------ */

static void lru_unlink(eng_kvcache *kc, eng_kv_block *b)
{
    if (b->lru_prev)
        b->lru_prev->lru_next = b->lru_next;
    else
        kc->lru_head = b->lru_next;
    if (b->lru_next)
        b->lru_next->lru_prev = b->lru_prev;
    else
        kc->lru_tail = b->lru_prev;
    b->lru_prev = b->lru_next = NULL;
}

static void lru_push_recent(eng_kvcache *kc, eng_kv_block *b)
{
    b->lru_next = NULL;
    b->lru_prev = kc->lru_tail;
    if (kc->lru_tail)
        kc->lru_tail->lru_next = b;
    else
        kc->lru_head = b;
    kc->lru_tail = b;
}

static void hold(eng_kvcache *kc, eng_kv_block *b)
{
    if (b->refs++ == 0) {
        lru_unlink(kc, b);
        kc->referenced++;
    }
}

static void unhold(eng_kvcache *kc, eng_kv_block *b)
{
    assert(b->refs > 0);
    if (--b->refs == 0) {
        lru_push_recent(kc, b);
        kc->referenced--;
    }
}

/* Memory for one unpublished block: fresh while the budget allows, else the least recently used
 * unreferenced block's, evicted. NULL when every resident block is held. The block counts
 * against the budget from here until pool_free(). */
static eng_kv_block *pool_alloc(eng_kvcache *kc)
{
    eng_kv_block *b = NULL;
    if (kc->used + kc->cost <= kc->budget) {
        b = malloc(kc->cost);
        if (!b) return NULL;
        kc->used += kc->cost;
    } else if (kc->lru_head) {
        b = kc->lru_head;
        lru_unlink(kc, b);
        kv_map_del(&kc->map, b->hash);
        kc->blocks--;
        kc->evicted++;
    } else {
        return NULL;
    }
    memset(b, 0, sizeof *b);
    b->row_floats = kc->geo.row_floats;
    return b;
}

static void pool_free(eng_kvcache *kc, eng_kv_block *b)
{
    kc->used -= kc->cost;
    free(b);
}

/* Publishes b (refs as the caller holds it) unless a block of the same name appeared meanwhile;
 * then b is freed and the existing one returned, held as b would have been. */
static eng_kv_block *publish(eng_kvcache *kc, eng_kv_block *b, int held)
{
    eng_kv_block *old = kv_map_get(&kc->map, b->hash);
    if (old || kv_map_put(&kc->map, b->hash, b) < 0) {
        pool_free(kc, b);
        if (old && held) hold(kc, old);
        return old;
    }
    kc->blocks++;
    if (held) {
        b->refs = 1;
        kc->referenced++;
    } else {
        lru_push_recent(kc, b);
    }
    return b;
}

/* ---- lookup --------------------------------------------------------------------------------- */

void eng_kvcache_chain(const eng_kvcache *kc, const int32_t *tokens, size_t n_tokens,
                       eng_kv_hash *hashes)
{
    eng_kv_hash parent = {0, 0};
    for (size_t i = 0; i < n_tokens / ENG_KV_BLOCK_TOKENS; i++) {
        parent = kv_hash_block(kc->geo.model_fingerprint, parent, tokens + i * ENG_KV_BLOCK_TOKENS);
        hashes[i] = parent;
    }
}

/* The block named h (whose parent and tokens the caller expects), held; from memory, else read
 * from disk into a pool block. NULL when it is in neither or no memory can be had. */
static eng_kv_block *acquire(eng_kvcache *kc, eng_kv_hash h, eng_kv_hash parent,
                             const int32_t *tokens)
{
    pthread_mutex_lock(&kc->mu);
    eng_kv_block *b = kv_map_get(&kc->map, h);
    /* Checking parent and tokens as well makes even a hash collision a miss, not wrong rows. */
    if (b && kv_hash_eq(b->parent, parent) && !memcmp(b->tokens, tokens, sizeof b->tokens)) {
        hold(kc, b);
        kc->hits_mem++;
        pthread_mutex_unlock(&kc->mu);
        return b;
    }
    if (b || !kc->disk || !(b = pool_alloc(kc))) {
        pthread_mutex_unlock(&kc->mu);
        return NULL;
    }
    pthread_mutex_unlock(&kc->mu);
    /* The read runs unlocked: b is not published, so nobody else can see it. */
    int rc = kv_disk_read(kc->disk, h, parent, tokens, b);
    pthread_mutex_lock(&kc->mu);
    if (rc < 0) {
        pool_free(kc, b);
        b = NULL;
    } else {
        b->on_disk = 1;
        b = publish(kc, b, 1);
        if (b) kc->hits_disk++;
    }
    pthread_mutex_unlock(&kc->mu);
    return b;
}

static eng_kv_hash *chain_of(const eng_kvcache *kc, const int32_t *tokens, size_t n_tokens)
{
    size_t nb = n_tokens / ENG_KV_BLOCK_TOKENS;
    eng_kv_hash *h = malloc((nb ? nb : 1) * sizeof *h);
    if (h) eng_kvcache_chain(kc, tokens, n_tokens, h);
    return h;
}

void eng_kvcache_lookup(eng_kvcache *kc, const int32_t *tokens, size_t n_tokens,
                        eng_kv_block **blocks, size_t *n_found)
{
    *n_found = 0;
    eng_kv_hash *h = chain_of(kc, tokens, n_tokens);
    if (!h) return;
    eng_kv_hash parent = {0, 0};
    for (size_t i = 0; i < n_tokens / ENG_KV_BLOCK_TOKENS; i++) {
        eng_kv_block *b = acquire(kc, h[i], parent, tokens + i * ENG_KV_BLOCK_TOKENS);
        if (!b) break;
        blocks[(*n_found)++] = b;
        parent = h[i];
    }
    free(h);
}

void eng_kvcache_release(eng_kvcache *kc, eng_kv_block **blocks, size_t n)
{
    pthread_mutex_lock(&kc->mu);
    for (size_t i = 0; i < n; i++) unhold(kc, blocks[i]);
    pthread_mutex_unlock(&kc->mu);
}

const float *eng_kv_block_rows(const eng_kv_block *b, int layer)
{
    return b->data + (size_t)layer * ENG_KV_BLOCK_TOKENS * b->row_floats;
}

eng_kv_hash eng_kv_block_hash(const eng_kv_block *b)
{
    return b->hash;
}

void eng_kvcache_read_prefix(eng_kvcache *kc, const int32_t *tokens, size_t n_tokens,
                             eng_kv_visit_fn visit, void *ctx, size_t *n_tokens_out)
{
    *n_tokens_out = 0;
    eng_kv_hash *h = chain_of(kc, tokens, n_tokens);
    if (!h) return;
    eng_kv_hash parent = {0, 0};
    for (size_t i = 0; i < n_tokens / ENG_KV_BLOCK_TOKENS; i++) {
        eng_kv_block *b = acquire(kc, h[i], parent, tokens + i * ENG_KV_BLOCK_TOKENS);
        if (!b) break;
        int stop = visit(ctx, i, b);
        eng_kvcache_release(kc, &b, 1);
        if (stop) break;
        *n_tokens_out += ENG_KV_BLOCK_TOKENS;
        parent = h[i];
    }
    free(h);
}

/* ---- store ---------------------------------------------------------------------------------- */

/* Whether h is resident; refreshes its place in the LRU order when it is. */
static int touch_resident(eng_kvcache *kc, eng_kv_hash h)
{
    pthread_mutex_lock(&kc->mu);
    eng_kv_block *b = kv_map_get(&kc->map, h);
    if (b && b->refs == 0) {
        lru_unlink(kc, b);
        lru_push_recent(kc, b);
    }
    pthread_mutex_unlock(&kc->mu);
    return b != NULL;
}

static int fill_block(eng_kvcache *kc, eng_kv_block *b, size_t token0, eng_kv_fill_fn fill,
                      void *ctx, char *err, size_t errsz)
{
    size_t layer_floats = (size_t)ENG_KV_BLOCK_TOKENS * kc->geo.row_floats;
    for (int l = 0; l < kc->geo.n_layers; l++) {
        if (fill(ctx, l, token0, b->data + l * layer_floats) != 0) {
            kv_set_err(err, errsz, "kv cache: filling the rows of layer %d, tokens %zu..%zu failed", l,
                    token0, token0 + ENG_KV_BLOCK_TOKENS);
            return -1;
        }
    }
    return 0;
}

int eng_kvcache_store(eng_kvcache *kc, const int32_t *tokens, size_t n_tokens, size_t first_block,
                      eng_kv_fill_fn fill, void *ctx, size_t *n_stored, char *err, size_t errsz)
{
    size_t stored = 0, nb = n_tokens / ENG_KV_BLOCK_TOKENS;
    int rc = 0;
    eng_kv_hash *h = chain_of(kc, tokens, n_tokens);
    if (!h) {
        kv_set_err(err, errsz, "kv cache: out of memory hashing %zu tokens", n_tokens);
        rc = -1;
    }
    for (size_t i = first_block; rc == 0 && i < nb; i++) {
        if (touch_resident(kc, h[i])) continue;
        pthread_mutex_lock(&kc->mu);
        eng_kv_block *b = pool_alloc(kc);
        pthread_mutex_unlock(&kc->mu);
        if (!b) break; /* every resident block is held: caching stops, the prompt goes on */
        b->hash = h[i];
        if (i > 0) b->parent = h[i - 1];
        memcpy(b->tokens, tokens + i * ENG_KV_BLOCK_TOKENS, sizeof b->tokens);
        rc = fill_block(kc, b, i * ENG_KV_BLOCK_TOKENS, fill, ctx, err, errsz);
        if (rc == 0 && kc->disk) b->on_disk = kv_disk_write(kc->disk, b) == 0;
        pthread_mutex_lock(&kc->mu);
        if (rc < 0) {
            pool_free(kc, b);
        } else if (publish(kc, b, 0) == b) {
            stored++;
            kc->stored++;
        }
        pthread_mutex_unlock(&kc->mu);
    }
    free(h);
    if (n_stored) *n_stored = stored;
    return rc;
}

/* ---- maintenance ---------------------------------------------------------------------------- */

const eng_kv_geometry *eng_kvcache_geometry(const eng_kvcache *kc)
{
    return &kc->geo;
}

void eng_kvcache_get_stats(eng_kvcache *kc, eng_kvcache_stats *st)
{
    memset(st, 0, sizeof *st);
    pthread_mutex_lock(&kc->mu);
    st->mem_budget = kc->budget;
    st->mem_used = kc->used;
    st->block_bytes = kc->block_bytes;
    st->blocks = kc->blocks;
    st->referenced = kc->referenced;
    st->hits_mem = kc->hits_mem;
    st->hits_disk = kc->hits_disk;
    st->stored = kc->stored;
    st->evicted_mem = kc->evicted;
    pthread_mutex_unlock(&kc->mu);
    if (kc->disk) {
        kv_disk_stats ds;
        kv_disk_get_stats(kc->disk, &ds);
        st->disk_budget = ds.budget;
        st->disk_used = ds.used;
        st->disk_files = ds.files;
        st->disk_written = ds.written;
        st->disk_rejected = ds.rejected;
        st->evicted_disk = ds.evicted;
    }
}

void eng_kvcache_trim(eng_kvcache *kc)
{
    pthread_mutex_lock(&kc->mu);
    while (kc->lru_head) {
        eng_kv_block *b = kc->lru_head;
        lru_unlink(kc, b);
        kv_map_del(&kc->map, b->hash);
        kc->blocks--;
        kc->evicted++;
        pool_free(kc, b);
    }
    pthread_mutex_unlock(&kc->mu);
}
