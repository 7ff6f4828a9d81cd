/* engine/fwd_weights.c: the engine object: binds the checkpoint's tensors (HF names, [out, in]
 * linear weights in FP8/BF16 as stored) to the per-layer structs the forward pass reads. */
#include "fwd_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct binder {
    const eng_model *m;
    char *err;
    size_t errsz;
    int rc;
} binder;

/* The tensor "<prefix><suffix>" with `rows` x `cols` (cols 0: a vector of `rows`); on a missing
 * tensor or a wrong shape the binder's rc turns negative and stays so (checked once at the end). */
static const eng_tensor *need(binder *b, const char *prefix, const char *suffix, int64_t rows,
                              int64_t cols)
{
    if (b->rc) return NULL;
    char name[256];
    snprintf(name, sizeof name, "%s%s", prefix, suffix);
    const eng_tensor *t = eng_model_tensor(b->m, name);
    if (!t) {
        snprintf(b->err, b->errsz, "%s: tensor %s is missing", eng_model_dir(b->m), name);
        b->rc = -1;
        return NULL;
    }
    int ok = cols ? (t->ndim == 2 && t->shape[0] == rows && t->shape[1] == cols)
                  : (t->ndim == 1 && t->shape[0] == rows);
    if (!ok) {
        snprintf(b->err, b->errsz, "%s: tensor %s has shape [%lld, %lld], expected [%lld, %lld]",
                 eng_model_dir(b->m), name, (long long)t->shape[0],
                 (long long)(t->ndim > 1 ? t->shape[1] : 0), (long long)rows, (long long)cols);
        b->rc = -1;
        return NULL;
    }
    return t;
}

static void bind_mlp(binder *b, const char *prefix, int d, int inter, fwd_mlp *mlp)
{
    mlp->gate = need(b, prefix, "gate_proj.weight", inter, d);
    mlp->up = need(b, prefix, "up_proj.weight", inter, d);
    mlp->down = need(b, prefix, "down_proj.weight", d, inter);
    mlp->inter = inter;
}

/* A float32 copy of a vector stored as F32 or BF16 (NULL for other dtypes or out of memory). */
static float *widen_vector(const eng_tensor *t)
{
    int64_t n = t->shape[0];
    float *v = malloc((size_t)n * sizeof *v);
    if (!v) return NULL;
    if (t->dtype == ENG_DT_F32) {
        memcpy(v, t->data, (size_t)n * sizeof *v);
    } else if (t->dtype == ENG_DT_BF16) {
        const uint16_t *src = t->data;
        for (int64_t i = 0; i < n; i++) v[i] = eng_bf16_to_f32(src[i]);
    } else {
        free(v);
        return NULL;
    }
    return v;
}

static void bind_attention(binder *b, const eng_config *c, const char *p, fwd_layer *L)
{
    int d = c->hidden_size, H = c->num_attention_heads, R = c->kv_lora_rank;
    int P = c->qk_rope_head_dim, N = c->qk_nope_head_dim, V = c->v_head_dim;
    L->attn_norm = need(b, p, "input_layernorm.weight", d, 0);
    if (c->q_lora_rank > 0) {
        L->q_a = need(b, p, "self_attn.q_a_proj.weight", c->q_lora_rank, d);
        L->q_a_norm = need(b, p, "self_attn.q_a_layernorm.weight", c->q_lora_rank, 0);
        L->q_b = need(b, p, "self_attn.q_b_proj.weight", (int64_t)H * (N + P), c->q_lora_rank);
    } else {
        L->q_b = need(b, p, "self_attn.q_proj.weight", (int64_t)H * (N + P), d);
    }
    L->kv_a = need(b, p, "self_attn.kv_a_proj_with_mqa.weight", R + P, d);
    L->kv_a_norm = need(b, p, "self_attn.kv_a_layernorm.weight", R, 0);
    L->kv_b = need(b, p, "self_attn.kv_b_proj.weight", (int64_t)H * (N + V), R);
    L->o = need(b, p, "self_attn.o_proj.weight", d, (int64_t)H * V);
}

static void bind_ffn(binder *b, const eng_config *c, int l, const char *p, fwd_layer *L)
{
    int d = c->hidden_size, E = c->n_routed_experts;
    int freq = c->moe_layer_freq > 0 ? c->moe_layer_freq : 1;
    L->ffn_norm = need(b, p, "post_attention_layernorm.weight", d, 0);
    L->is_moe = E > 0 && l >= c->first_k_dense_replace && l % freq == 0;
    char q[256];
    if (!L->is_moe) {
        snprintf(q, sizeof q, "%smlp.", p);
        bind_mlp(b, q, d, c->intermediate_size, &L->mlp);
        return;
    }
    L->router = need(b, p, "mlp.gate.weight", E, d);
    if (c->has_score_correction_bias) {
        const eng_tensor *t = need(b, p, "mlp.gate.e_score_correction_bias", E, 0);
        if (t && !(L->router_bias = widen_vector(t))) {
            snprintf(b->err, b->errsz, "%smlp.gate.e_score_correction_bias: dtype %d is not F32 "
                     "or BF16 (or out of memory)", p, (int)t->dtype);
            b->rc = -1;
        }
    }
    if (c->n_shared_experts > 0) {
        snprintf(q, sizeof q, "%smlp.shared_experts.", p);
        bind_mlp(b, q, d, c->n_shared_experts * c->moe_intermediate_size, &L->mlp);
    }
    L->experts = calloc((size_t)E, sizeof *L->experts);
    if (!L->experts) b->rc = -1;
    for (int x = 0; x < E && !b->rc; x++) {
        snprintf(q, sizeof q, "%smlp.experts.%d.", p, x);
        bind_mlp(b, q, d, c->moe_intermediate_size, &L->experts[x]);
    }
}

int fwd_bind_weights(eng_engine *e, char *err, size_t errsz)
{
    const eng_config *c = &e->cfg;
    binder b = {e->model, err, errsz, 0};
    e->embed = need(&b, "model.embed_tokens.weight", "", c->vocab_size, c->hidden_size);
    e->final_norm = need(&b, "model.norm.weight", "", c->hidden_size, 0);
    e->lm_head = c->tie_word_embeddings
                     ? e->embed
                     : need(&b, "lm_head.weight", "", c->vocab_size, c->hidden_size);
    e->n_layers = c->num_hidden_layers + (eng_model_mtp_layers(e->model) > 0);
    e->layers = calloc((size_t)e->n_layers, sizeof *e->layers);
    if (!e->layers) b.rc = -1;
    for (int l = 0; l < e->n_layers && !b.rc; l++) {
        char p[64];
        snprintf(p, sizeof p, "model.layers.%d.", l);
        bind_attention(&b, c, p, &e->layers[l]);
        bind_ffn(&b, c, l, p, &e->layers[l]);
    }
    if (!b.rc && e->n_layers > c->num_hidden_layers) {
        char p[64];
        snprintf(p, sizeof p, "model.layers.%d.", c->num_hidden_layers);
        int64_t d = c->hidden_size;
        e->mtp_embed = need(&b, p, "embed_tokens.weight", c->vocab_size, d);
        e->mtp_enorm = need(&b, p, "enorm.weight", d, 0);
        e->mtp_hnorm = need(&b, p, "hnorm.weight", d, 0);
        e->mtp_eh = need(&b, p, "eh_proj.weight", d, 2 * d);
        e->mtp_norm = need(&b, p, "shared_head.norm.weight", d, 0);
        e->mtp_head = need(&b, p, "shared_head.head.weight", c->vocab_size, d);
        e->mtp = !b.rc;
    }
    if (b.rc && err && !err[0]) snprintf(err, errsz, "out of memory binding the weights");
    return b.rc;
}

void fwd_free_weights(eng_engine *e)
{
    if (!e->layers) return;
    for (int l = 0; l < e->n_layers; l++) {
        free(e->layers[l].router_bias);
        free(e->layers[l].experts);
    }
    free(e->layers);
    e->layers = NULL;
}

static int check_config(const eng_config *c, char *err, size_t errsz)
{
    if (c->hidden_size <= 0 || c->num_hidden_layers <= 0 || c->num_attention_heads <= 0 ||
        c->kv_lora_rank <= 0 || c->qk_rope_head_dim <= 0 || c->qk_rope_head_dim % 2 ||
        c->vocab_size <= 0 || c->v_head_dim <= 0 || c->qk_nope_head_dim < 0) {
        snprintf(err, errsz, "config: unsupported attention shape (hidden %d, heads %d, "
                 "kv_lora_rank %d, qk_rope_head_dim %d)", c->hidden_size,
                 c->num_attention_heads, c->kv_lora_rank, c->qk_rope_head_dim);
        return -1;
    }
    if (c->n_routed_experts > 0 &&
        (c->num_experts_per_tok <= 0 || c->num_experts_per_tok > c->n_routed_experts ||
         c->n_group <= 0 || c->n_routed_experts % c->n_group ||
         c->topk_group <= 0 || c->topk_group > c->n_group ||
         c->topk_group * (c->n_routed_experts / c->n_group) < c->num_experts_per_tok)) {
        snprintf(err, errsz, "config: unsupported routing (%d experts, top %d, %d groups, "
                 "top %d groups)", c->n_routed_experts, c->num_experts_per_tok, c->n_group,
                 c->topk_group);
        return -1;
    }
    return 0;
}

int eng_engine_create(const eng_model *m, const eng_engine_options *opts, eng_engine **out,
                      char *err, size_t errsz)
{
    *out = NULL;
    if (err && errsz) err[0] = 0;
    eng_engine *e = calloc(1, sizeof *e);
    if (!e) return snprintf(err, errsz, "out of memory"), -1;
    e->model = m;
    e->cfg = *eng_model_config(m);
    const eng_config *c = &e->cfg;
    e->chunk = opts && opts->prefill_chunk > 0 ? opts->prefill_chunk : 512;
    size_t budget = opts && opts->score_budget ? opts->score_budget : (size_t)64 << 20;
    e->score_floats = budget / sizeof(float);
    e->prefill_attention = opts ? opts->prefill_attention : ENG_ATTN_AUTO;
    int shared = c->n_shared_experts > 1 ? c->n_shared_experts : 1;
    e->ffn_inter_max = c->intermediate_size;
    if (c->moe_intermediate_size * shared > e->ffn_inter_max)
        e->ffn_inter_max = c->moe_intermediate_size * shared;
    int rc = check_config(c, err, errsz);
    if (!rc) {
        e->inv_freq = malloc((size_t)(c->qk_rope_head_dim / 2) * sizeof(float));
        e->pool = eng_pool_create(opts ? opts->nthreads : 0);
        if (!e->inv_freq || !e->pool) rc = -1, snprintf(err, errsz, "out of memory");
    }
    if (!rc) {
        fwd_rope_init(c, e->inv_freq, &e->rope_mscale, &e->softmax_scale);
        rc = fwd_bind_weights(e, err, errsz);
    }
    if (rc) {
        eng_engine_destroy(e);
        return rc;
    }
    *out = e;
    return 0;
}

void eng_engine_destroy(eng_engine *e)
{
    if (!e) return;
    fwd_free_weights(e);
    eng_pool_destroy(e->pool);
    free(e->inv_freq);
    free(e);
}

const eng_config *eng_engine_config(const eng_engine *e) { return &e->cfg; }
eng_pool *eng_engine_pool(eng_engine *e) { return e->pool; }
float eng_engine_softmax_scale(const eng_engine *e) { return e->softmax_scale; }
int eng_engine_has_mtp(const eng_engine *e) { return e->mtp; }
const float *eng_engine_rope_inv_freq(const eng_engine *e) { return e->inv_freq; }

void eng_engine_rope_at(const eng_engine *e, int pos, float *cos_out, float *sin_out)
{
    fwd_rope_table(e, pos, cos_out, sin_out);
}
