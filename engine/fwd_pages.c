/* engine/fwd_pages.c: a session's latent cache as a table of pages of ENG_KV_BLOCK_TOKENS rows
 * ([64][kv_lora_rank + qk_rope_head_dim], float32 or BF16) per layer. A page of the main layers
 * is the session's own, or borrowed: the float32 rows of a prefix-cache block (eng_kvcache.h),
 * held by the session and attended where they lie, so a prefix hit costs no memory. Writing
 * into a borrowed page first copies that block's rows into pages of the session's own. */
#include "fwd_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* MemAvailable from /proc/meminfo in bytes; 0 when it cannot be read (then nothing is refused
 * up front and malloc has the last word). */
static uint64_t mem_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) return 0;
    char line[256];
    unsigned long long kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) break;
    fclose(f);
    return (uint64_t)kb * 1024;
}

static size_t page_bytes(const eng_session *s)
{
    return (size_t)ENG_KV_BLOCK_TOKENS * (size_t)eng_session_kv_width(s) *
           (size_t)eng_kv_type_size(s->kv_type);
}

/* Room in the tables for `pages` pages (pointer arrays only). */
static int grow_tables(eng_session *s, int pages)
{
    if (pages <= s->page_cap) return 0;
    int cap = s->page_cap ? s->page_cap : 4;
    while (cap < pages) cap *= 2;
    for (int l = 0; l < s->e->n_layers; l++) {
        void **t = realloc(s->pages[l], (size_t)cap * sizeof *t);
        if (!t) return -1;
        memset(t + s->page_cap, 0, (size_t)(cap - s->page_cap) * sizeof *t);
        s->pages[l] = t;
    }
    eng_kv_block **b = realloc(s->borrow, (size_t)cap * sizeof *b);
    if (!b) return -1;
    memset(b + s->page_cap, 0, (size_t)(cap - s->page_cap) * sizeof *b);
    s->borrow = b;
    int *tok = realloc(s->tokens, (size_t)cap * ENG_KV_BLOCK_TOKENS * sizeof *tok);
    if (!tok) return -1;
    for (size_t i = (size_t)s->page_cap * ENG_KV_BLOCK_TOKENS;
         i < (size_t)cap * ENG_KV_BLOCK_TOKENS; i++)
        tok[i] = -1;
    s->tokens = tok;
    s->page_cap = cap;
    return 0;
}

int fwd_session_ensure(eng_session *s, int n_ctx)
{
    if (fwd_scores_ensure(s, n_ctx)) return -1;
    if (n_ctx <= s->cap) return 0;
    if (n_ctx > s->max_ctx)
        return fwd_session_set_error(s, -1, "context of %d tokens exceeds the session's maximum "
                                     "of %d", n_ctx, s->max_ctx);
    int need = (n_ctx + ENG_KV_BLOCK_TOKENS - 1) / ENG_KV_BLOCK_TOKENS;
    int L = fwd_cache_layers(s), W = eng_session_kv_width(s), elt = eng_kv_type_size(s->kv_type);
    uint64_t row = eng_session_kv_bytes(s, 1), avail = mem_available();
    uint64_t grow = (uint64_t)(need - s->npages) * ENG_KV_BLOCK_TOKENS * row;
    if (avail && grow > avail)
        return fwd_session_set_error(
            s, -1, "KV cache for %d tokens needs %.2f GiB more (%d layers x %d values x %d "
            "bytes (%s) = %llu bytes per token) but only %.2f GiB of memory is available%s",
            need * ENG_KV_BLOCK_TOKENS, grow / 1073741824.0, L, W, elt,
            eng_kv_type_name(s->kv_type), (unsigned long long)row, avail / 1073741824.0,
            s->kv_type == ENG_KV_F32 ? "; a bf16 cache (--kv-type bf16) needs half" : "");
    if (grow_tables(s, need))
        return fwd_session_set_error(s, -1, "out of memory for the KV cache's page table");
    for (int b = s->npages; b < need; b++)
        for (int l = 0; l < L; l++)
            if (!s->pages[l][b] && !(s->pages[l][b] = malloc(page_bytes(s))))
                return fwd_session_set_error(s, -1, "out of memory growing the KV cache to %d "
                                             "tokens", (b + 1) * ENG_KV_BLOCK_TOKENS);
    s->npages = need;
    s->cap = need * ENG_KV_BLOCK_TOKENS;
    return 0;
}

int fwd_pages_enable_layer(eng_session *s, int layer)
{
    for (int b = 0; b < s->npages; b++)
        if (!s->pages[layer][b] && !(s->pages[layer][b] = malloc(page_bytes(s)))) return -1;
    return 0;
}

/* Page b of the main layers stops being borrowed: the block's rows are copied into pages of
 * the session's own (converted to its type), then the block is given back. */
static int unborrow(eng_session *s, int b)
{
    eng_kv_block *blk = s->borrow[b];
    int W = eng_session_kv_width(s);
    for (int l = 0; l < s->e->cfg.num_hidden_layers; l++) {
        void *own = malloc(page_bytes(s));
        if (!own) return fwd_session_set_error(s, -1, "out of memory copying a cached block");
        s->pages[l][b] = own;
        const float *src = eng_kv_block_rows(blk, l);
        for (int i = 0; i < ENG_KV_BLOCK_TOKENS; i++)
            fwd_kv_put_row(s, l, b * ENG_KV_BLOCK_TOKENS + i, src + (size_t)i * W);
    }
    s->borrow[b] = NULL;
    eng_kvcache_release(s->kc, &blk, 1);
    return 0;
}

int fwd_pages_writable(eng_session *s, int t0, int n)
{
    for (int b = t0 / ENG_KV_BLOCK_TOKENS; n > 0 && b <= (t0 + n - 1) / ENG_KV_BLOCK_TOKENS; b++)
        if (b < s->npages && s->borrow[b] && unborrow(s, b)) return -1;
    return 0;
}

void fwd_pages_free(eng_session *s)
{
    for (int b = 0; b < s->page_cap; b++) {
        int borrowed = s->borrow && s->borrow[b];
        for (int l = 0; l < s->e->n_layers; l++)
            if (!(borrowed && l < s->e->cfg.num_hidden_layers)) free(s->pages[l][b]);
        if (borrowed) eng_kvcache_release(s->kc, &s->borrow[b], 1);
    }
    for (int l = 0; s->pages && l < s->e->n_layers; l++) {
        free(s->pages[l]);
        s->pages[l] = NULL;
    }
    free(s->borrow);
    s->borrow = NULL;
    s->npages = s->page_cap = s->cap = 0;
}

/* Takes block i (held by the caller, given over to the session) as page i of the main layers,
 * freeing the session's own pages there. */
static void borrow_block(eng_session *s, int i, eng_kv_block *blk)
{
    for (int l = 0; l < s->e->cfg.num_hidden_layers; l++) {
        if (!s->borrow[i]) free(s->pages[l][i]);
        s->pages[l][i] = (void *)eng_kv_block_rows(blk, l);
    }
    if (s->borrow[i]) eng_kvcache_release(s->kc, &s->borrow[i], 1);
    s->borrow[i] = blk;
}

int eng_session_attach_prefix(eng_session *s, eng_kvcache *kc, const int32_t *ids, size_t n,
                              size_t *cached)
{
    *cached = 0;
    const eng_kv_geometry *g = eng_kvcache_geometry(kc);
    if (g->row_floats != eng_session_kv_width(s) || g->n_layers != s->e->cfg.num_hidden_layers)
        return fwd_session_set_error(s, -1, "prefix cache: blocks of %d layers x %d floats, the "
                                     "session's rows are %d layers x %d", g->n_layers,
                                     g->row_floats, s->e->cfg.num_hidden_layers,
                                     eng_session_kv_width(s));
    if (s->kc && s->kc != kc)
        return fwd_session_set_error(s, -1, "prefix cache: the session holds another's blocks");
    size_t have = 0, usable = n ? n - 1 : 0, found = 0; /* the last token is always computed */
    while (have < (size_t)s->len && have < usable && s->tokens[have] == ids[have]) have++;
    size_t nb = usable / ENG_KV_BLOCK_TOKENS;
    eng_kv_block **blk = malloc((nb ? nb : 1) * sizeof *blk);
    if (!blk) return fwd_session_set_error(s, -1, "out of memory for %zu block handles", nb);
    eng_kvcache_lookup(kc, ids, usable, blk, &found);
    int rc = found ? fwd_session_ensure(s, (int)(found * ENG_KV_BLOCK_TOKENS)) : 0;
    s->kc = kc;
    size_t i = 0;
    for (; i < found && rc == 0; i++) {
        if ((i + 1) * ENG_KV_BLOCK_TOKENS <= have) { /* the session has these rows */
            eng_kvcache_release(kc, &blk[i], 1);
            continue;
        }
        if (s->kv_type == ENG_KV_F32 && s->borrow[i] != blk[i]) {
            borrow_block(s, (int)i, blk[i]);
            continue;
        }
        for (int l = 0; l < g->n_layers && rc == 0; l++) /* BF16 rows: rounded copies */
            rc = eng_session_kv_write(s, l, (int)(i * ENG_KV_BLOCK_TOKENS), ENG_KV_BLOCK_TOKENS,
                                      eng_kv_block_rows(blk[i], l));
        eng_kvcache_release(kc, &blk[i], 1);
    }
    if (i < found) eng_kvcache_release(kc, blk + i, found - i);
    free(blk);
    if (rc) return rc;
    size_t use = found * ENG_KV_BLOCK_TOKENS > have ? found * ENG_KV_BLOCK_TOKENS : have;
    if (use > usable) use = usable;
    if (eng_session_set_length(s, (int)use, ids) < 0) return -1;
    *cached = use;
    return 0;
}

uint64_t eng_session_kv_owned_bytes(const eng_session *s)
{
    uint64_t bytes = 0;
    for (int b = 0; b < s->npages; b++)
        for (int l = 0; l < fwd_cache_layers(s); l++)
            if (!(s->borrow[b] && l < s->e->cfg.num_hidden_layers)) bytes += page_bytes(s);
    return bytes;
}
