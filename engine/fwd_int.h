/* engine/fwd_int.h: internals of the forward pass and generation, one section per file.
 * Shapes use d = hidden_size, H = heads, E = routed experts, k = experts per token,
 * R = kv_lora_rank, P = qk_rope_head_dim, N = qk_nope_head_dim, V = v_head_dim, W = R + P. */
#ifndef FWD_INT_H
#define FWD_INT_H

#include "eng_engine.h"
#include "eng_kvcache.h"

#include <stdarg.h>

/* ---- fwd_weights.c: the model's tensors, bound by HF name ----------------------------------- */

typedef struct fwd_mlp {          /* one SwiGLU MLP: down(silu(gate x) * up x) */
    const eng_tensor *gate;       /* [inter, d] */
    const eng_tensor *up;         /* [inter, d] */
    const eng_tensor *down;       /* [d, inter] */
    int inter;
} fwd_mlp;

typedef struct fwd_layer {
    const eng_tensor *attn_norm;  /* [d] input_layernorm */
    const eng_tensor *q_a;        /* [q_lora, d] q_a_proj (V3); NULL without q LoRA */
    const eng_tensor *q_a_norm;   /* [q_lora] q_a_layernorm */
    const eng_tensor *q_b;        /* [H*(N+P), q_lora] q_b_proj; V2-Lite: q_proj [H*(N+P), d] */
    const eng_tensor *kv_a;       /* [R+P, d] kv_a_proj_with_mqa */
    const eng_tensor *kv_a_norm;  /* [R] kv_a_layernorm */
    const eng_tensor *kv_b;       /* [H*(N+V), R] kv_b_proj: per head N key rows W_UK, then V
                                     value rows W_UV (absorbed attention reads them as stored) */
    const eng_tensor *o;          /* [d, H*V] o_proj */
    const eng_tensor *ffn_norm;   /* [d] post_attention_layernorm */
    int is_moe;
    fwd_mlp mlp;                  /* dense MLP, or the shared experts of a MoE layer (gate NULL
                                     when n_shared_experts is 0) */
    const eng_tensor *router;     /* [E, d] mlp.gate.weight */
    float *router_bias;           /* [E] e_score_correction_bias, or NULL */
    fwd_mlp *experts;             /* [E] routed experts */
} fwd_layer;

struct eng_engine {
    eng_config cfg;
    const eng_model *model;
    eng_pool *pool;
    const eng_tensor *embed;      /* [vocab, d] */
    const eng_tensor *final_norm; /* [d] */
    const eng_tensor *lm_head;    /* [vocab, d] */
    fwd_layer *layers;            /* [n_layers]: the main layers, then the MTP decoder layer */
    int n_layers;                 /* num_hidden_layers, + 1 with an MTP layer */
    int mtp;                      /* the checkpoint's first MTP layer is bound (index L) */
    const eng_tensor *mtp_embed;  /* [vocab, d] */
    const eng_tensor *mtp_enorm;  /* [d] RMSNorm of the next token's embedding */
    const eng_tensor *mtp_hnorm;  /* [d] RMSNorm of the main model's hidden state */
    const eng_tensor *mtp_eh;     /* [d, 2d] eh_proj over [enorm(e) ; hnorm(h)] */
    const eng_tensor *mtp_norm;   /* [d] shared_head.norm */
    const eng_tensor *mtp_head;   /* [vocab, d] shared_head.head */
    float *inv_freq;              /* [P/2] RoPE frequencies (YaRN-corrected) */
    float rope_mscale;            /* multiplies cos and sin (1 in every released config) */
    float softmax_scale;
    int chunk;                    /* prefill tokens per step */
    size_t score_floats;          /* attention score block */
    int prefill_attention;        /* eng_attention */
    int ffn_inter_max;            /* widest MLP, for the activation buffers */
};

int fwd_bind_weights(eng_engine *e, char *err, size_t errsz);
void fwd_free_weights(eng_engine *e);

/* ---- fwd_rope.c: RoPE with YaRN ------------------------------------------------------------- */

/* inv_freq[P/2] and the softmax scale from the config, evaluated in float32 as the reference. */
void fwd_rope_init(const eng_config *c, float *inv_freq, float *rope_mscale,
                   float *softmax_scale);
/* cos/sin [P/2] of position pos. */
void fwd_rope_table(const eng_engine *e, int pos, float *cos_out, float *sin_out);
/* Rotates the interleaved pairs (x[2i], x[2i+1]) by the angles whose cos/sin are given. */
void fwd_rope_apply(float *x, int pairs, const float *cos_v, const float *sin_v);

/* ---- fwd_moe.c: routing and expert MLPs ------------------------------------------------------ */

/* Chooses k experts for one token from its router logits [E]; scratch holds 3E floats.
 * idx/w receive the experts in the order chosen and their weights. */
void fwd_route(const eng_config *c, const float *logits, const float *bias, float *scratch,
               int *idx, float *w);

/* ---- fwd_session.c: the session and its buffers ---------------------------------------------- */

typedef struct fwd_state {        /* activations of one chunk of up to n = chunk tokens */
    float *h;                     /* [n][d] residual stream */
    float *x;                     /* [n][d] normed input of the current block */
    float *out;                   /* [n][d] output of the current block */
    float *q_a;                   /* [n][q_lora] */
    float *q;                     /* [n][H][N+P] */
    float *kv;                    /* [n][R+P] kv_a_proj output */
    float *q_lat;                 /* [n][H][W] absorbed queries: q_nope W_UK, then q_rope */
    float *o_lat;                 /* [n][H][R] attention output in latent space */
    float *attn;                  /* [n][H*V] heads' outputs, concatenated */
    float *cos, *sin;             /* [n][P/2] */
    float *scores;                /* [scores_cap] one block of attention probabilities */
    size_t scores_cap;
    float *row;                   /* [max(d, q_lora, R)] one normalized row */
    float *z;                     /* [n][2d] MTP input [enorm(e) ; hnorm(h)] (with an MTP layer) */
    float *router;                /* [n][E] router logits */
    float *route_scratch;         /* [3E] */
    int *sel;                     /* [n][k] chosen experts */
    float *sel_w;                 /* [n][k] their weights */
    int *by_expert;               /* [n*k] (token, slot) pairs grouped by expert */
    int *expert_start;            /* [E+1] */
    float *xg;                    /* [n][d] the tokens routed to one expert */
    float *g, *u;                 /* [n][inter] */
    float *yg;                    /* [n][d] */
    /* MoE of up to FWD_MOE_BATCH tokens (decode) as two passes of the pool: every chosen
     * expert's (and the shared experts') gate/up, then every down; b rows are (token, slot)
     * choices grouped by expert, then the shared experts' n tokens. */
    float *bx;                    /* [B*k][d] the chosen experts' inputs */
    float *bg, *bu;               /* [B*k*moe_inter + B*shared_inter] */
    float *by;                    /* [B*(k+1)][d] their outputs */
    eng_linear_op *bops;          /* [2 (B*k + 1)] */
    /* per-head (flash) prefill attention, for key blocks of K = FWD_FLASH_KEYS */
    float *fl_ckv;                /* [K][R] the block's c_kv rows */
    float *fl_rope;               /* [K][P] the block's k_rope rows */
    float *fl_kvd;                /* [K][H][N+V] their k_nope and v */
    float *fl_ml;                 /* [n][H][2] running maximum and sum of each query row */
    float *fl_thread;             /* [threads][fwd_flash_thread_floats()] */
    float *kv_f32;                /* [threads][FWD_PV_CONV] BF16 cache pieces widened (pv_task) */
    float *kv_row;                /* [W] one cache row being written */
} fwd_state;

/* Token counts up to this run the MoE as batches of GEMVs (eng_linear_batch). */
#define FWD_MOE_BATCH 8

struct eng_session {
    eng_engine *e;
    int max_ctx;
    int cap;                      /* rows the pages hold per layer (npages * 64) */
    int len;                      /* valid rows */
    /* The latent cache (fwd_pages.c): per layer (MTP layer last) a table of pages of 64 rows
     * [64][W] of kv_type (float32, or BF16 as uint16_t); page b of the main layers is the rows
     * of the prefix-cache block borrow[b] when that is set (float32, held by the session). */
    void ***pages;                /* [n_layers][page_cap] */
    eng_kv_block **borrow;        /* [page_cap] */
    int npages, page_cap;
    eng_kvcache *kc;              /* where borrowed blocks come from */
    eng_kv_type kv_type;
    size_t row_bytes;             /* W x the type's size */
    /* MTP: positions [0, mtp_len) have their MTP cache row; the main model's final-norm output
     * of positions [mtp_h0, mtp_h0 + mtp_hn) is kept for the positions still to do. */
    int mtp_on, mtp_len, mtp_h0, mtp_hn, mtp_hcap;
    int mtp_next;                 /* the next token MTP position mtp_len-1 was computed with */
    float *mtp_h;                 /* [mtp_hcap][d] */
    int *tokens;                  /* [cap] token at each position, -1 unknown */
    fwd_state st;
    eng_trace *trace;
    /* Where the last forward first held a NaN or infinity: FWD_FINITE (nowhere), -1 (the
     * embedding), a layer, or num_hidden_layers (the logits). */
    int nonfinite;
    char err[256];
};
#define FWD_FINITE (-2)

int fwd_session_set_error(eng_session *s, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int fwd_session_ensure(eng_session *s, int n_ctx);
/* The attention score buffer for a context of n_ctx (fwd_session.c). */
int fwd_scores_ensure(eng_session *s, int n_ctx);
/* Layers with a cache: the main ones, + the MTP layer when enabled. */
int fwd_cache_layers(const eng_session *s);
/* Row t of `layer` where it lies (float32 or BF16 per s->kv_type). */
static inline void *fwd_kv_row(const eng_session *s, int layer, int t)
{
    return (char *)s->pages[layer][t / ENG_KV_BLOCK_TOKENS] +
           (size_t)(t % ENG_KV_BLOCK_TOKENS) * s->row_bytes;
}
/* fwd_pages.c: makes rows [t0, t0 + n) writable (copies borrowed pages there into the
 * session's own first); pages for `layer` over every page in use (the MTP layer, when enabled
 * late); frees every page and gives borrowed blocks back. */
int fwd_pages_writable(eng_session *s, int t0, int n);
int fwd_pages_enable_layer(eng_session *s, int layer);
void fwd_pages_free(eng_session *s);
/* Row t of `layer` as float32 [W], and stored from float32 (rounded to the session's type). */
void fwd_kv_get_row(const eng_session *s, int layer, int t, float *dst);
void fwd_kv_put_row(eng_session *s, int layer, int t, const float *src);
/* Cache rows [t0, t0 + n) of `layer` as float32, split: c_kv into ckv [n][R], k_rope into
 * rope [n][P]. */
void fwd_kv_split_rows(const eng_session *s, int layer, int t0, int n, float *ckv, float *rope);

/* ---- fwd_attention.c, fwd_moe.c, fwd_forward.c ------------------------------------------- */

/* Floats per worker for a piece of BF16 cache rows widened: 512 keys x 64 columns. */
#define FWD_PV_CONV (512 * 64)
/* Tokens per block of attention scores (fewer when the score budget is smaller). */
#define FWD_ATTEND_TOKENS 128
/* MLA over the chunk's n tokens at positions [pos, pos + n): reads st->x, writes st->out. */
void fwd_mla_attention(eng_session *s, int layer, int n, int pos);
/* The FFN of one layer (dense MLP or MoE): reads st->x, writes st->out. */
void fwd_ffn(eng_session *s, int layer, int n, int pos);
/* A tile of o[r] += sum_k p[r][k] kv[k] (rows <= 8): AVX2+FMA (fwd_attn_avx2.c) and AVX-512
 * (fwd_vec_avx512.c); s[0..lim) = softmax(scale s), s[lim..T) = 0 in place, and
 * g = silu(g) u over count floats (AVX-512). */
void fwd_pv_tile_avx512(const float *p, int ldp, int rows, const float *kv, int ldkv, int T,
                        int len, float *o, int ldo);
void fwd_softmax_row_avx512(float *s, int lim, int T, float scale);
/* The same over BF16 rows kv (a BF16 cache), widened as they are loaded. */
void fwd_pv_tile_bf16_avx512(const float *p, int ldp, int rows, const uint16_t *kv, int ldkv,
                             int T, int len, float *o, int ldo);
void fwd_swiglu_avx512(float *g, const float *u, size_t count);
void fwd_pv_tile_avx2(const float *p, int ldp, int rows, const float *kv, int ldkv, int T,
                      int len, float *o, int ldo);
void fwd_rmsnorm_rows(const eng_engine *e, const float *x, const eng_tensor *w, int n,
                      float *out);
/* Decoder layer l over st->h [n][d] at positions [pos, pos + n). */
void fwd_decoder_layer(eng_session *s, int l, int n, int pos);
/* One chunk through every layer; logits per ENG_LOGITS_*. */
void fwd_forward_chunk(eng_session *s, const int *tokens, int n, int pos, int logits_mode,
                       float *logits);

/* ---- fwd_flash.c: per-head prefill attention ------------------------------------------------ */

#define FWD_FLASH_KEYS 128   /* keys per block: decompressed once for every head */
#define FWD_FLASH_QUERIES 32 /* queries per tile */
/* Whether the chunk's n tokens at pos attend in the per-head form (eng_attention). */
int fwd_flash_wanted(const eng_engine *e, int n, int pos);
/* MLA for the chunk from st->q (q_rope not yet rotated) and the cache rows [0, pos + n), which
 * hold the chunk's own rows already: st->attn [n][H*V] = the heads' outputs. */
void fwd_flash_attention(eng_session *s, int layer, int n, int pos);
/* Scratch floats per worker: keys transposed [N+P][K] and a tile of scores [Q][K]. */
size_t fwd_flash_thread_floats(const eng_config *c);
/* AVX-512 kernels (fwd_vec_avx512.c), the same as fwd_flash.c's scalar ones up to rounding:
 * s[i][j] = scale q[i] . kt[:, j] for keys a multiple of 16; one row of the online softmax. */
void fwd_flash_scores_avx512(const float *q, int ldq, int rows, int dim, const float *kt, int ldk,
                             int keys, float *s, int lds, float scale);
float fwd_flash_softmax_avx512(float *s, int lim, int keys, float *m, float *l);

/* ---- gen_sample.c: distributions for speculative sampling ------------------------------------ */

/* dist[vocab] = the distribution eng_sampler_sample draws from for these logits (temperature,
 * top-k, top-p, min-p applied and renormalized; greedy: all mass on the argmax). */
void gen_sampler_dist(eng_sampler *s, const float *logits, float *dist);
/* An index in [0, n) drawn with probability w[i] / sum(w) (w >= 0, not all zero). */
int gen_sampler_draw(eng_sampler *s, const float *w, int n);
/* Verifies draft d (drawn from q) against the target distribution p: returns d when it is kept,
 * else -1 - t with t drawn from the residual max(0, p - q) (q is overwritten with it). */
int gen_spec_verify(eng_sampler *s, const float *p, float *q, int d);

/* ---- fwd_mtp.c: the MTP draft layer ------------------------------------------------------- */

/* After a main chunk at [p, p + m) (its tokens recorded): keeps its final-norm rows and runs the
 * MTP layer on every position whose next token is now known. */
void fwd_mtp_after_chunk(eng_session *s, int p, int m);
/* Before a forward at `start` whose first token is first_token: forgets the MTP positions that
 * the new tokens change. */
void fwd_mtp_before_forward(eng_session *s, int start, int first_token);
/* MTP at position length-1 with its next token `next` (sampled, not yet in the cache): the
 * draft logits [vocab]. -1 when the MTP state does not reach that position. */
int fwd_mtp_draft(eng_session *s, int next, float *logits);

#endif
