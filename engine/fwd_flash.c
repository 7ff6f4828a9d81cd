/* engine/fwd_flash.c: prefill attention in the per-head (MHA) form, flash-style, over the latent
 * cache rows [t][c_kv (R) | k_rope (P)] (float32 or BF16, see fwd_int.h's kv section).
 *
 * For a chunk of queries, keys are taken FWD_FLASH_KEYS at a time: the block's c_kv rows go
 * through kv_b_proj once for all heads (k_nope and v per head, [keys][H][N + V] float32), then
 * every (head, tile of FWD_FLASH_QUERIES queries) computes its scores against [k_nope | k_rope]
 * (k_rope is the cache's own, shared by all heads), updates a running maximum and sum (online
 * softmax) and adds p v into its output, rescaled whenever the maximum grows. Key blocks past a
 * tile's last query are skipped. Memory is bounded by the chunk and the block size whatever the
 * context length; the absorbed form (fwd_attention.c) stays the decode path. */
#include "fwd_int.h"

#include <math.h>
#include <string.h>

typedef struct flash_task {
    const eng_engine *e;
    eng_session *s;
    int layer, n, pos;
    int kb0, kb;    /* the key block [kb0, kb0 + kb) */
    int tile0;      /* first query tile that sees a key of the block */
    int avx2, avx512;
} flash_task;

/* Multiply-adds of one prefill chunk in each form, per head: the absorbed form pays W = R + P
 * for the score and R for p c_kv per (query, key) pair, plus folding each query through W_UK
 * and each output through W_UV; the per-head form pays N + P and V per pair, plus decompressing
 * every key it reads through kv_b_proj. */
int fwd_flash_wanted(const eng_engine *e, int n, int pos)
{
    const eng_config *c = &e->cfg;
    if (n < 2 || e->prefill_attention == ENG_ATTN_ABSORBED) return 0;
    if (e->prefill_attention == ENG_ATTN_PER_HEAD) return 1;
    double R = c->kv_lora_rank, P = c->qk_rope_head_dim, N = c->qk_nope_head_dim;
    double V = c->v_head_dim, pairs = (double)n * pos + (double)n * (n + 1) / 2;
    double absorbed = pairs * (2 * R + P) + (double)n * R * (N + V);
    double per_head = pairs * (N + P + V) + (double)(pos + n) * R * (N + V);
    return per_head < absorbed;
}

size_t fwd_flash_thread_floats(const eng_config *c)
{
    size_t dim = (size_t)(c->qk_nope_head_dim + c->qk_rope_head_dim);
    return (dim + FWD_FLASH_QUERIES) * FWD_FLASH_KEYS;
}

/* ---- scalar reference kernels (the SIMD ones in fwd_vec_avx512.c match them) -------------- */

/* s[i][j] = scale sum_d q[i][d] kt[d][j] for i < rows, j < keys. */
static void scores_scalar(const float *q, int ldq, int rows, int dim, const float *kt, int ldk,
                          int keys, float *s, int lds, float scale)
{
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < keys; j++) {
            float sum = 0.0f;
            for (int d = 0; d < dim; d++) sum += q[(size_t)i * ldq + d] * kt[(size_t)d * ldk + j];
            s[(size_t)i * lds + j] = sum * scale;
        }
}

/* One row of the online softmax: with m / l the running maximum and sum of the row so far,
 * s[0..lim) becomes exp(s - m_new), s[lim..keys) zero; returns exp(m_old - m_new), the factor
 * the row's output so far must be scaled by. */
static float softmax_scalar(float *s, int lim, int keys, float *m, float *l)
{
    float mx = *m;
    for (int j = 0; j < lim; j++)
        if (s[j] > mx) mx = s[j];
    float corr = *m == -INFINITY ? 0.0f : expf(*m - mx), sum = 0.0f;
    for (int j = 0; j < lim; j++) sum += s[j] = expf(s[j] - mx);
    for (int j = lim; j < keys; j++) s[j] = 0.0f;
    *m = mx;
    *l = *l * corr + sum;
    return corr;
}

/* o[r][0..len) += sum_k p[r][k] v[k][0..len) for r < rows, k < T. */
static void pv_scalar(const float *p, int ldp, int rows, const float *v, int ldv, int T, int len,
                      float *o, int ldo)
{
    for (int k = 0; k < T; k++)
        for (int r = 0; r < rows; r++) {
            float pr = p[(size_t)r * ldp + k];
            if (pr == 0.0f) continue;
            for (int j = 0; j < len; j++) o[(size_t)r * ldo + j] += pr * v[(size_t)k * ldv + j];
        }
}

/* ---- the block task ------------------------------------------------------------------------ */

/* kt[d][j] for the block's keys j (zero beyond kb up to ldk): k_nope of head h for d < N, then
 * the shared k_rope. */
static void transpose_keys(const flash_task *t, int h, float *kt, int ldk)
{
    const eng_config *c = &t->e->cfg;
    const fwd_state *st = &t->s->st;
    int N = c->qk_nope_head_dim, P = c->qk_rope_head_dim, V = c->v_head_dim;
    int HNV = c->num_attention_heads * (N + V);
    for (int j = 0; j < t->kb; j++) {
        const float *kn = st->fl_kvd + (size_t)j * HNV + (size_t)h * (N + V);
        for (int d = 0; d < N; d++) kt[(size_t)d * ldk + j] = kn[d];
        const float *kr = st->fl_rope + (size_t)j * P;
        for (int d = 0; d < P; d++) kt[(size_t)(N + d) * ldk + j] = kr[d];
    }
    for (int d = 0; d < N + P; d++)
        for (int j = t->kb; j < ldk; j++) kt[(size_t)d * ldk + j] = 0.0f;
}

/* Scores, online softmax and p v for queries [i0, i1) of head h against the block. */
static void tile_update(const flash_task *t, int h, int i0, int i1, const float *kt, int ldk,
                        float *sc)
{
    const eng_config *c = &t->e->cfg;
    fwd_state *st = &t->s->st;
    int H = c->num_attention_heads, N = c->qk_nope_head_dim, P = c->qk_rope_head_dim;
    int V = c->v_head_dim, HNV = H * (N + V), rows = i1 - i0;
    const float *q = st->q + ((size_t)i0 * H + h) * (N + P);
    if (t->avx512)
        fwd_flash_scores_avx512(q, H * (N + P), rows, N + P, kt, ldk, ldk, sc, ldk,
                                t->e->softmax_scale);
    else
        scores_scalar(q, H * (N + P), rows, N + P, kt, ldk, ldk, sc, ldk, t->e->softmax_scale);
    int T = 0; /* keys any row of the tile sees */
    for (int r = 0; r < rows; r++) {
        int lim = t->pos + i0 + r + 1 - t->kb0;
        lim = lim < 0 ? 0 : lim > t->kb ? t->kb : lim;
        float *ml = st->fl_ml + ((size_t)(i0 + r) * H + h) * 2;
        float *o = st->attn + ((size_t)(i0 + r) * H + h) * V;
        if (lim == 0) {
            memset(sc + (size_t)r * ldk, 0, (size_t)ldk * sizeof(float));
            continue;
        }
        float corr = t->avx512 ? fwd_flash_softmax_avx512(sc + (size_t)r * ldk, lim, ldk, ml,
                                                          ml + 1)
                               : softmax_scalar(sc + (size_t)r * ldk, lim, ldk, ml, ml + 1);
        if (corr != 1.0f)
            for (int j = 0; j < V; j++) o[j] *= corr;
        if (lim > T) T = lim;
    }
    const float *v = st->fl_kvd + (size_t)h * (N + V) + N;
    float *o = st->attn + ((size_t)i0 * H + h) * V;
    if (t->avx512) {
        fwd_pv_tile_avx512(sc, ldk, rows, v, HNV, T, V, o, H * V);
    } else if (t->avx2) {
        for (int r = 0; r < rows; r += 8)
            fwd_pv_tile_avx2(sc + (size_t)r * ldk, ldk, rows - r < 8 ? rows - r : 8, v, HNV, T, V,
                             o + (size_t)r * H * V, H * V);
    } else {
        pv_scalar(sc, ldk, rows, v, HNV, T, V, o, H * V);
    }
}

/* Work items (head, query tile) head-major, so that a worker transposes one head's keys once
 * and serves all its tiles from them while they are in L2. */
static void block_task(void *arg, int ith, int nth)
{
    const flash_task *t = arg;
    const eng_config *c = &t->e->cfg;
    int H = c->num_attention_heads, dim = c->qk_nope_head_dim + c->qk_rope_head_dim;
    int tiles = (t->n + FWD_FLASH_QUERIES - 1) / FWD_FLASH_QUERIES - t->tile0;
    int items = H * tiles, a = (int)((int64_t)items * ith / nth);
    int b = (int)((int64_t)items * (ith + 1) / nth), cur = -1;
    int ldk = (t->kb + 15) / 16 * 16;
    float *kt = t->s->st.fl_thread + (size_t)ith * fwd_flash_thread_floats(c);
    float *sc = kt + (size_t)dim * FWD_FLASH_KEYS;
    for (int item = a; item < b; item++) {
        int h = item / tiles, tile = t->tile0 + item % tiles;
        int i0 = tile * FWD_FLASH_QUERIES;
        int i1 = i0 + FWD_FLASH_QUERIES < t->n ? i0 + FWD_FLASH_QUERIES : t->n;
        if (h != cur) transpose_keys(t, h, kt, ldk), cur = h;
        tile_update(t, h, i0, i1, kt, ldk, sc);
    }
}

/* Rotates q_rope of every head in place and clears the outputs and softmax states. */
static void flash_begin(eng_session *s, int n)
{
    const eng_config *c = &s->e->cfg;
    fwd_state *st = &s->st;
    int H = c->num_attention_heads, N = c->qk_nope_head_dim, P = c->qk_rope_head_dim;
    for (int i = 0; i < n; i++)
        for (int h = 0; h < H; h++)
            fwd_rope_apply(st->q + ((size_t)i * H + h) * (N + P) + N, P / 2,
                           st->cos + (size_t)i * (P / 2), st->sin + (size_t)i * (P / 2));
    memset(st->attn, 0, (size_t)n * H * c->v_head_dim * sizeof(float));
    for (size_t i = 0; i < (size_t)n * H; i++) {
        st->fl_ml[2 * i] = -INFINITY;
        st->fl_ml[2 * i + 1] = 0.0f;
    }
}

void fwd_flash_attention(eng_session *s, int layer, int n, int pos)
{
    eng_engine *e = s->e;
    const eng_config *c = &e->cfg;
    fwd_state *st = &s->st;
    int H = c->num_attention_heads, V = c->v_head_dim;
    int rows = H * (c->qk_nope_head_dim + V);
    flash_task t = {.e = e, .s = s, .layer = layer, .n = n, .pos = pos,
                    .avx2 = eng_ops_isa() >= ENG_ISA_AVX2,
                    .avx512 = eng_ops_isa() >= ENG_ISA_AVX512};
    flash_begin(s, n);
    for (t.kb0 = 0; t.kb0 < pos + n; t.kb0 += FWD_FLASH_KEYS) {
        t.kb = pos + n - t.kb0 < FWD_FLASH_KEYS ? pos + n - t.kb0 : FWD_FLASH_KEYS;
        /* the first tile whose last query (position pos + i1 - 1) reaches the block */
        t.tile0 = 0;
        while ((t.tile0 + 1) * FWD_FLASH_QUERIES < n &&
               pos + (t.tile0 + 1) * FWD_FLASH_QUERIES - 1 < t.kb0)
            t.tile0++;
        fwd_kv_split_rows(s, layer, t.kb0, t.kb, st->fl_ckv, st->fl_rope);
        /* k_nope and v of every head: [kb][H][N + V] = c_kv W_UKV^T */
        eng_linear(e->pool, e->layers[layer].kv_b, 0, rows, st->fl_ckv, t.kb, st->fl_kvd);
        eng_pool_run(e->pool, block_task, &t);
    }
    for (size_t i = 0; i < (size_t)n * H; i++) {
        float inv = 1.0f / st->fl_ml[2 * i + 1];
        for (int j = 0; j < V; j++) st->attn[i * V + j] *= inv;
    }
}
