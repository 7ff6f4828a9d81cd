/* app/pack_session.c: a prompt's prefix between the prefix cache's 64-token blocks and a session:
 * cached blocks are lent to the session as pages, new full blocks are stored from its rows
 * ([64][kv_lora_rank + qk_rope_head_dim] per layer). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app_pack.h"

int app_pack_cache_open(const eng_engine *e, uint64_t model_fingerprint,
                        const eng_kvcache_options *opts, eng_kvcache **out, char *err, size_t errsz)
{
    const eng_config *c = eng_engine_config(e);
    eng_kv_geometry g = {c->num_hidden_layers, c->kv_lora_rank + c->qk_rope_head_dim,
                         model_fingerprint};
    return eng_kvcache_create(&g, opts, out, err, errsz);
}

/* Tokens of ids[0..n) that s holds already. */
static size_t session_common(const eng_session *s, const int32_t *ids, size_t n)
{
    const int *t = eng_session_tokens(s);
    size_t len = (size_t)eng_session_length(s), i = 0;
    while (i < len && i < n && t[i] == ids[i]) i++;
    return i;
}

typedef struct copy_ctx {
    eng_session *s;
    int layers;
    size_t skip; /* the session holds these tokens already: no copy */
    int failed;
} copy_ctx;

static int copy_in(void *vctx, size_t block, const eng_kv_block *b)
{
    copy_ctx *c = vctx;
    size_t pos = block * ENG_KV_BLOCK_TOKENS;
    if (pos + ENG_KV_BLOCK_TOKENS <= c->skip) return 0;
    for (int l = 0; l < c->layers; l++)
        if (eng_session_kv_write(c->s, l, (int)pos, ENG_KV_BLOCK_TOKENS, eng_kv_block_rows(b, l)) <
            0) {
            c->failed = 1;
            return 1;
        }
    return 0;
}

/* A prefix longer than the cache's memory budget: lent blocks would all have to stay resident,
 * so the rows come in one block at a time instead (from disk), copied into the session. kc NULL:
 * only what the session holds already is kept. */
static int copy_prefix(eng_session *s, eng_kvcache *kc, const int32_t *ids, size_t n,
                       size_t *cached, char *err, size_t errsz)
{
    size_t have = session_common(s, ids, n), got = 0;
    if (kc && n - 1 >= ENG_KV_BLOCK_TOKENS && have + ENG_KV_BLOCK_TOKENS <= n - 1) {
        copy_ctx c = {s, eng_kvcache_geometry(kc)->n_layers, have, 0};
        eng_kvcache_read_prefix(kc, ids, n - 1, copy_in, &c, &got);
        if (c.failed) {
            app_pack_set_err(err, errsz, "prefix cache: copying cached rows into the session: %s",
                             eng_session_error(s));
            return -1;
        }
    }
    size_t use = got > have ? got : have;
    if (use > n - 1) use = n - 1;
    if (eng_session_set_length(s, (int)use, ids) < 0) {
        app_pack_set_err(err, errsz, "prefix cache: setting the session to %zu tokens: %s", use,
                         eng_session_error(s));
        return -1;
    }
    *cached = use;
    return 0;
}

/* The cache's blocks become pages of the session (lent, attended where they lie: a prefix hit
 * costs no memory, see eng_session_attach_prefix), so kc must outlive s. */
int app_pack_attach(eng_session *s, eng_kvcache *kc, const int32_t *ids, size_t n, size_t *cached,
                    char *err, size_t errsz)
{
    *cached = 0;
    if (n == 0) return 0;
    if (!kc) return copy_prefix(s, NULL, ids, n, cached, err, errsz);
    if (eng_session_kv_width(s) != eng_kvcache_geometry(kc)->row_floats) {
        app_pack_set_err(err, errsz,
                         "prefix cache: the session's rows are %d floats, the cache's %d",
                         eng_session_kv_width(s), eng_kvcache_geometry(kc)->row_floats);
        return -1;
    }
    eng_kvcache_stats st;
    eng_kvcache_get_stats(kc, &st);
    if ((uint64_t)((n - 1) / ENG_KV_BLOCK_TOKENS) * st.block_bytes > st.mem_budget)
        return copy_prefix(s, kc, ids, n, cached, err, errsz);
    if (eng_session_attach_prefix(s, kc, ids, n, cached) < 0) {
        app_pack_set_err(err, errsz, "prefix cache: attaching cached blocks: %s",
                         eng_session_error(s));
        return -1;
    }
    return 0;
}

typedef struct read_ctx {
    eng_session *s;
} read_ctx;

static int copy_out(void *vctx, int layer, size_t token0, float *dst)
{
    read_ctx *c = vctx;
    return eng_session_kv_read(c->s, layer, (int)token0, ENG_KV_BLOCK_TOKENS, dst) < 0;
}

int app_pack_store(eng_session *s, eng_kvcache *kc, const int32_t *ids, size_t n, size_t from,
                   size_t *stored, char *err, size_t errsz)
{
    if (stored) *stored = 0;
    if (!kc) return 0;
    size_t len = session_common(s, ids, n); /* only rows the session really computed for ids */
    read_ctx c = {s};
    if (eng_kvcache_store(kc, ids, len, from, copy_out, &c, stored, err, errsz) < 0) {
        size_t k = strlen(err);
        if (k + 2 < errsz) snprintf(err + k, errsz - k, ": %s", eng_session_error(s));
        return -1;
    }
    return 0;
}

int app_pack_generate(eng_session *s, eng_kvcache *kc, app_pack_prompt *p, const eng_gen_params *gp,
                      int *out, int out_cap, int *n_out, eng_gen_stats *stats, char *err,
                      size_t errsz)
{
    size_t cached = 0;
    if (app_pack_attach(s, kc, p->ids, p->n, &cached, err, errsz) < 0) return -1;
    p->cached = cached;
    if (eng_generate(s, p->ids, (int)p->n, gp, out, out_cap, n_out, stats) < 0) {
        app_pack_set_err(err, errsz, "%s", eng_session_error(s));
        return -1;
    }
    /* Blocks the session computed now; blocks before `cached` came from the cache or were
     * already in the session (stored then, or found present and skipped now). */
    return app_pack_store(s, kc, p->ids, p->n, 0, NULL, err, errsz);
}
