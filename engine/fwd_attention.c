/* engine/fwd_attention.c: multi-head latent attention (DeepSeek-V2 paper, section 2.1) in the
 * absorbed form over the session's latent cache rows [t][c_kv (R) | k_rope (P)], float32 or BF16
 * (uint16_t, widened to float32 as it is read: every product is still float32).
 *
 * With W_UK folded into the query, every head's key is the shared cache row, so scores for all
 * heads and all tokens of a chunk are one product with the cache (q_lat [n*H][W] x cache^T) and
 * the heads' outputs stay in latent space until W_UV. The same code serves one-token decode and
 * chunked prefill; a chunk's scores are computed in row blocks bounded by score_floats. */
#include "fwd_int.h"

#include <math.h>
#include <string.h>

typedef struct attn_task {
    const eng_engine *e;
    const fwd_layer *L;
    fwd_state *st;
    const eng_session *s; /* its cache pages of `layer`: float32, or BF16 when bf16 */
    int layer, bf16;
    int n, pos;          /* chunk tokens and the position of the first */
    int r0, m, T;        /* score block: rows [r0, r0 + m) of q_lat, keys [0, T) */
    int avx2, avx512;    /* use the AVX2+FMA / AVX-512 kernels */
} attn_task;

/* Contiguous share [*a, *b) of `count` items for worker ith of nth. */
static void share(int count, int ith, int nth, int *a, int *b)
{
    *a = (int)((int64_t)count * ith / nth);
    *b = (int)((int64_t)count * (ith + 1) / nth);
}

/* Work items of the per-head products: (head, block of up to 8 tokens), head-major, so a worker
 * reuses one head's matrix from cache and each matrix row serves 8 tokens while in L1. */
enum { TOKEN_BLOCK = 8 };
static void head_block(const attn_task *t, int item, int *h, int *i0, int *i1)
{
    int blocks = (t->n + TOKEN_BLOCK - 1) / TOKEN_BLOCK;
    *h = item / blocks;
    *i0 = item % blocks * TOKEN_BLOCK;
    *i1 = *i0 + TOKEN_BLOCK < t->n ? *i0 + TOKEN_BLOCK : t->n;
}

/* q_lat[i][h] = [q_nope[i][h] W_UK[h] | RoPE(q_rope[i][h])]: the query in latent space. W_UK[h]
 * is kv_b_proj's rows [h (N + V), h (N + V) + N), read in their stored dtype. */
static void absorb_task(void *arg, int ith, int nth)
{
    const attn_task *t = arg;
    const eng_config *c = &t->e->cfg;
    int H = c->num_attention_heads, N = c->qk_nope_head_dim, P = c->qk_rope_head_dim;
    int R = c->kv_lora_rank, V = c->v_head_dim, W = R + P, a, b, h, i0, i1;
    share((t->n + TOKEN_BLOCK - 1) / TOKEN_BLOCK * H, ith, nth, &a, &b);
    for (int item = a; item < b; item++) {
        head_block(t, item, &h, &i0, &i1);
        /* the block's tokens in one call: each weight decoded once for three of them */
        eng_linear_left(t->L->kv_b, h * (N + V), N, t->st->q + ((size_t)i0 * H + h) * (N + P),
                        H * (N + P), i1 - i0, t->st->q_lat + ((size_t)i0 * H + h) * W, H * W);
        for (int i = i0; i < i1; i++) {
            const float *q = t->st->q + ((size_t)i * H + h) * (N + P);
            float *lat = t->st->q_lat + ((size_t)i * H + h) * W;
            memcpy(lat + R, q + N, (size_t)P * sizeof(float));
            fwd_rope_apply(lat + R, P / 2, t->st->cos + (size_t)i * (P / 2),
                           t->st->sin + (size_t)i * (P / 2));
        }
    }
}

/* Row r of the block belongs to token (r0 + r) / H and sees keys [0, pos + token]: scale, mask,
 * softmax in place. */
static void softmax_task(void *arg, int ith, int nth)
{
    const attn_task *t = arg;
    int H = t->e->cfg.num_attention_heads;
    float scale = t->e->softmax_scale;
    int a, b;
    share(t->m, ith, nth, &a, &b);
    for (int r = a; r < b; r++) {
        float *s = t->st->scores + (size_t)r * t->T;
        int lim = t->pos + (t->r0 + r) / H + 1;
        if (t->avx512) {
            fwd_softmax_row_avx512(s, lim, t->T, scale);
            continue;
        }
        float mx = -INFINITY;
        for (int k = 0; k < lim; k++) {
            s[k] *= scale;
            if (s[k] > mx) mx = s[k];
        }
        float sum = 0.0f;
        for (int k = 0; k < lim; k++) sum += s[k] = expf(s[k] - mx);
        float inv = 1.0f / sum;
        for (int k = 0; k < lim; k++) s[k] *= inv;
        for (int k = lim; k < t->T; k++) s[k] = 0.0f;
    }
}

/* o[r][0..len) += sum_k p[r][k] kv[k][0..len) for r < rows, k < T (the kernels' contract). */
static void pv_tile_scalar(const float *p, int ldp, int rows, const float *kv, int ldkv, int T,
                           int len, float *o, int ldo)
{
    for (int k = 0; k < T; k++)
        for (int r = 0; r < rows; r++) {
            float pr = p[(size_t)r * ldp + k];
            if (pr == 0.0f) continue;
            for (int j = 0; j < len; j++) o[(size_t)r * ldo + j] += pr * kv[(size_t)k * ldkv + j];
        }
}

/* o_lat[r] = sum_t p[r][t] c_kv[t] in tiles of 6 rows x 64 latent columns (accumulators in
 * registers). A work item is one 64-column strip for a group of row tiles, taken PV_KEYS keys
 * at a time: that piece of the cache (128 KiB) stays in L2 while every tile of the group
 * passes over it, so the cache is read from memory once per group instead of once per tile. */
enum { PV_ROWS = 6, PV_COLS = 64, PV_GROUP = 32, PV_KEYS = 512 };
_Static_assert(PV_KEYS * PV_COLS <= FWD_PV_CONV, "pv_task's widened piece");

/* dst[k][0..cols) = src[k * ld + 0..cols) widened from BF16, for k < keys. */
static void widen_piece(const uint16_t *src, int ld, int keys, int cols, float *dst)
{
    uint32_t u[PV_COLS];
    for (int k = 0; k < keys; k++) {
        const uint16_t *row = src + (size_t)k * ld;
        for (int j = 0; j < cols; j++) u[j] = (uint32_t)row[j] << 16;
        memcpy(dst + (size_t)k * PV_COLS, u, (size_t)cols * sizeof(float));
    }
}

/* Row tiles [ra, rb) of the block over keys [k0, k0 + kn) (kn <= PV_KEYS), columns [ca, cb),
 * page by page where the rows lie (the AVX-512 kernel widens BF16 rows as it loads them). */
static void pv_pages(const attn_task *t, int ra, int rb, int k0, int kn, int ca, int cb,
                     void (*tile)(const float *, int, int, const float *, int, int, int, float *,
                                  int))
{
    int R = t->e->cfg.kv_lora_rank, W = R + t->e->cfg.qk_rope_head_dim;
    for (int j = 0; j < kn; j += ENG_KV_BLOCK_TOKENS) {
        int nk = kn - j < ENG_KV_BLOCK_TOKENS ? kn - j : ENG_KV_BLOCK_TOKENS;
        const float *p = t->st->scores + (size_t)ra * t->T + k0 + j;
        float *o = t->st->o_lat + (size_t)(t->r0 + ra) * R + ca;
        const void *rows = fwd_kv_row(t->s, t->layer, k0 + j);
        if (t->bf16)
            fwd_pv_tile_bf16_avx512(p, t->T, rb - ra, (const uint16_t *)rows + ca, W, nk,
                                    cb - ca, o, R);
        else
            tile(p, t->T, rb - ra, (const float *)rows + ca, W, nk, cb - ca, o, R);
    }
}

static void pv_task(void *arg, int ith, int nth)
{
    const attn_task *t = arg;
    const eng_config *c = &t->e->cfg;
    int R = c->kv_lora_rank, W = R + c->qk_rope_head_dim, H = c->num_attention_heads;
    int rblocks = (t->m + PV_ROWS - 1) / PV_ROWS, cblocks = (R + PV_COLS - 1) / PV_COLS;
    int groups = (rblocks + PV_GROUP - 1) / PV_GROUP, a, b;
    void (*tile)(const float *, int, int, const float *, int, int, int, float *, int) =
        t->avx512 ? fwd_pv_tile_avx512 : t->avx2 ? fwd_pv_tile_avx2 : pv_tile_scalar;
    float *wide = t->st->kv_f32 + (size_t)ith * FWD_PV_CONV;
    int widen = t->bf16 && !t->avx512; /* BF16 rows for kernels that read float32 */
    share(cblocks * groups, ith, nth, &a, &b);
    for (int item = a; item < b; item++) {
        int ca = item / groups * PV_COLS, cb = ca + PV_COLS < R ? ca + PV_COLS : R;
        int r0 = item % groups * PV_GROUP * PV_ROWS;
        int r1 = r0 + PV_GROUP * PV_ROWS < t->m ? r0 + PV_GROUP * PV_ROWS : t->m;
        for (int r = r0; r < r1; r++)
            memset(t->st->o_lat + (size_t)(t->r0 + r) * R + ca, 0, (size_t)(cb - ca) * 4);
        for (int k0 = 0; k0 < t->T; k0 += PV_KEYS) {
            int kg = t->pos + (t->r0 + r1 - 1) / H + 1 - k0; /* keys the group sees */
            kg = kg < PV_KEYS ? kg : PV_KEYS;
            for (int j = 0; widen && j < kg; j += ENG_KV_BLOCK_TOKENS)
                widen_piece((const uint16_t *)fwd_kv_row(t->s, t->layer, k0 + j) + ca, W,
                            kg - j < ENG_KV_BLOCK_TOKENS ? kg - j : ENG_KV_BLOCK_TOKENS, cb - ca,
                            wide + (size_t)j * PV_COLS);
            for (int ra = r0; ra < r1; ra += PV_ROWS) {
                int rb = ra + PV_ROWS < r1 ? ra + PV_ROWS : r1;
                /* keys past the tile's last row's are masked (p = 0) for all its rows */
                int T = t->pos + (t->r0 + rb - 1) / H + 1, kn = T - k0;
                if (kn <= 0) continue;
                kn = kn < PV_KEYS ? kn : PV_KEYS;
                if (widen)
                    tile(t->st->scores + (size_t)ra * t->T + k0, t->T, rb - ra, wide, PV_COLS,
                         kn, cb - ca, t->st->o_lat + (size_t)(t->r0 + ra) * R + ca, R);
                else
                    pv_pages(t, ra, rb, k0, kn, ca, cb, tile);
            }
        }
    }
}

/* attn[i][h] = o_lat[i][h] W_UV[h]^T: each head's value output, W_UV[h] being kv_b_proj's rows
 * [h (N + V) + N, (h + 1)(N + V)) in their stored dtype. The block's latent rows are gathered
 * so that the GEMV decodes each weight once for two tokens. */
static void expand_task(void *arg, int ith, int nth)
{
    const attn_task *t = arg;
    const eng_config *c = &t->e->cfg;
    int H = c->num_attention_heads, R = c->kv_lora_rank, N = c->qk_nope_head_dim;
    int V = c->v_head_dim, a, b, h, i0, i1;
    float rows[4096];
    int per = R <= 4096 / TOKEN_BLOCK ? TOKEN_BLOCK : R <= 4096 ? 4096 / R : 0;
    share((t->n + TOKEN_BLOCK - 1) / TOKEN_BLOCK * H, ith, nth, &a, &b);
    for (int item = a; item < b; item++) {
        head_block(t, item, &h, &i0, &i1);
        for (int i = i0; i < i1; i += per ? per : 1) {
            int m = per ? (i1 - i < per ? i1 - i : per) : 1;
            const float *x = t->st->o_lat + ((size_t)i * H + h) * R;
            if (per) {
                for (int j = 0; j < m; j++)
                    memcpy(rows + (size_t)j * R, x + (size_t)j * H * R, (size_t)R * sizeof(float));
                x = rows;
            }
            eng_linear_rows(t->L->kv_b, h * (N + V) + N, V, x, m,
                            t->st->attn + ((size_t)i * H + h) * V, H * V);
        }
    }
}

/* The two projections of x: W_DQ x (V3, q LoRA) or q = W_Q x (V2-Lite), and [c_kv | k_rope] =
 * W_DKV x, as one batch (in decode: one pass of the pool over both matrices). */
static void project_x(eng_session *s, const fwd_layer *L, int n)
{
    fwd_state *st = &s->st;
    eng_linear_op ops[2] = {{L->q_a ? L->q_a : L->q_b, st->x, n, L->q_a ? st->q_a : st->q},
                            {L->kv_a, st->x, n, st->kv}};
    eng_linear_batch(s->e->pool, ops, 2);
}

/* q = W_UQ RMSNorm(W_DQ x) with q LoRA (V3); without, project_x made q already: st->q
 * [n][H][N+P]. */
static void project_q(eng_session *s, const fwd_layer *L, int n)
{
    const eng_engine *e = s->e;
    const eng_config *c = &e->cfg;
    fwd_state *st = &s->st;
    if (!L->q_a) return;
    int rows = c->num_attention_heads * (c->qk_nope_head_dim + c->qk_rope_head_dim);
    int ql = c->q_lora_rank;
    for (int i = 0; i < n; i++) {
        eng_rmsnorm(st->q_a + (size_t)i * ql, L->q_a_norm, ql, c->rms_norm_eps, st->row);
        memcpy(st->q_a + (size_t)i * ql, st->row, (size_t)ql * sizeof(float));
    }
    eng_linear(e->pool, L->q_b, 0, rows, st->q_a, n, st->q);
}

/* The cache row of each token: [RMSNorm(c_kv) | RoPE(k_rope)] of project_x's W_DKV x. */
static void project_kv(eng_session *s, const fwd_layer *L, int layer, int n, int pos)
{
    const eng_engine *e = s->e;
    const eng_config *c = &e->cfg;
    fwd_state *st = &s->st;
    int R = c->kv_lora_rank, P = c->qk_rope_head_dim, W = R + P;
    float *row = st->kv_row;
    for (int i = 0; i < n; i++) {
        eng_rmsnorm(st->kv + (size_t)i * W, L->kv_a_norm, R, c->rms_norm_eps, row);
        memcpy(row + R, st->kv + (size_t)i * W + R, (size_t)P * sizeof(float));
        fwd_rope_apply(row + R, P / 2, st->cos + (size_t)i * (P / 2),
                       st->sin + (size_t)i * (P / 2));
        fwd_kv_put_row(s, layer, pos + i, row);
    }
}

/* scores[r][k] = q_lat[r0 + r] . row k for the block's rows r < m and keys k < T: work items
 * (page of 64 keys, tile of SCORE_ROWS rows), each a GEMV over the page where it lies (float32
 * or BF16 rows read as stored) that reads the page once for the tile's rows. Pages past what a
 * tile's last row sees are skipped (the softmax zeroes those scores). */
enum { SCORE_ROWS = 8 };
static void scores_task(void *arg, int ith, int nth)
{
    const attn_task *t = arg;
    const eng_config *c = &t->e->cfg;
    int H = c->num_attention_heads, W = c->kv_lora_rank + c->qk_rope_head_dim;
    int pages = (t->T + ENG_KV_BLOCK_TOKENS - 1) / ENG_KV_BLOCK_TOKENS;
    int tiles = (t->m + SCORE_ROWS - 1) / SCORE_ROWS, a, b;
    share(pages * tiles, ith, nth, &a, &b);
    for (int item = a; item < b; item++) {
        int k0 = item / tiles * ENG_KV_BLOCK_TOKENS, ra = item % tiles * SCORE_ROWS;
        int rb = ra + SCORE_ROWS < t->m ? ra + SCORE_ROWS : t->m;
        int sees = t->pos + (t->r0 + rb - 1) / H + 1;
        if (k0 >= sees) continue;
        int nk = t->T - k0 < ENG_KV_BLOCK_TOKENS ? t->T - k0 : ENG_KV_BLOCK_TOKENS;
        eng_tensor keys = {.name = "latent cache page", .dtype = t->bf16 ? ENG_DT_BF16 : ENG_DT_F32,
                           .ndim = 2, .shape = {nk, W}, .data = fwd_kv_row(t->s, t->layer, k0),
                           .nbytes = (size_t)nk * t->s->row_bytes};
        eng_linear_rows(&keys, 0, nk, t->st->q_lat + (size_t)(t->r0 + ra) * W, rb - ra,
                        t->st->scores + (size_t)ra * t->T + k0, t->T);
    }
}

/* The scores, softmax and p c_kv of the chunk's rows in blocks of at most FWD_ATTEND_TOKENS
 * tokens (fewer under the score budget): each computes
 * scores only up to the keys its last token sees, so the causal triangle of a long chunk is
 * mostly skipped rather than computed and masked. */
static void attend(eng_session *s, attn_task *t)
{
    int H = s->e->cfg.num_attention_heads, rows = t->n * H, T = t->pos + t->n;
    int block = (int)(s->e->score_floats / (size_t)T);
    if (block > FWD_ATTEND_TOKENS * H) block = FWD_ATTEND_TOKENS * H;
    if (block < 1) block = 1;
    if (block > rows) block = rows;
    for (t->r0 = 0; t->r0 < rows; t->r0 += block) {
        t->m = rows - t->r0 < block ? rows - t->r0 : block;
        t->T = t->pos + (t->r0 + t->m - 1) / H + 1; /* keys the block's last token sees */
        eng_pool_run(s->e->pool, scores_task, t);
        eng_pool_run(s->e->pool, softmax_task, t);
        eng_pool_run(s->e->pool, pv_task, t);
    }
}

/* MLA for the chunk's n tokens at positions [pos, pos + n): st->x in, st->out = W_O [o_1..o_H].
 *   q            = W_UQ RMSNorm(W_DQ x)  (or W_Q x)            project_x, project_q
 *   cache row t  = [RMSNorm(c_kv) | RoPE(k_rope)] of W_DKV x    project_x, project_kv
 *   q_lat        = [q_nope W_UK | RoPE(q_rope)] per head        absorb_task
 *   p            = softmax(scale q_lat . cache^T), causal       attend
 *   o_h          = (p c_kv) W_UV^T; out = W_O [o_1 .. o_H]      pv_task, expand_task
 * or, for long prefill chunks, the same in the per-head form (fwd_flash.c): k_nope, v = c_kv
 * W_UKV^T block by block of keys, p = softmax(scale [q_nope | q_rope] . [k_nope | k_rope]).
 * The cache and the score buffer must have room for pos + n rows (fwd_session_ensure). */
void fwd_mla_attention(eng_session *s, int layer, int n, int pos)
{
    eng_engine *e = s->e;
    const eng_config *c = &e->cfg;
    const fwd_layer *L = &e->layers[layer];
    fwd_state *st = &s->st;
    attn_task t = {.e = e, .L = L, .st = st, .s = s, .layer = layer,
                   .bf16 = s->kv_type == ENG_KV_BF16, .n = n, .pos = pos,
                   .avx2 = eng_ops_isa() >= ENG_ISA_AVX2,
                   .avx512 = eng_ops_isa() >= ENG_ISA_AVX512};
    project_x(s, L, n);
    project_q(s, L, n);
    project_kv(s, L, layer, n, pos);
    if (fwd_flash_wanted(e, n, pos)) {
        fwd_flash_attention(s, layer, n, pos);
    } else {
        eng_pool_run(e->pool, absorb_task, &t);
        attend(s, &t);
        eng_pool_run(e->pool, expand_task, &t);
    }
    eng_linear(e->pool, L->o, 0, c->hidden_size, st->attn, n, st->out);
}
