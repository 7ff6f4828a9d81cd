/* engine/fwd_session.c: a session: the latent KV cache (per layer, rows [context][kv_lora_rank +
 * qk_rope_head_dim] of float32 or BF16 values), the chunk activations, and the forward driver. */
#include "fwd_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fwd_session_set_error(eng_session *s, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    return rc;
}

static int alloc_state(eng_session *s)
{
    const eng_engine *e = s->e;
    const eng_config *c = &e->cfg;
    size_t n = (size_t)e->chunk, d = (size_t)c->hidden_size, H = (size_t)c->num_attention_heads;
    size_t R = (size_t)c->kv_lora_rank, P = (size_t)c->qk_rope_head_dim;
    size_t E = (size_t)(c->n_routed_experts > 0 ? c->n_routed_experts : 1);
    size_t k = (size_t)(c->num_experts_per_tok > 0 ? c->num_experts_per_tok : 1);
    size_t qlora = (size_t)(c->q_lora_rank > 0 ? c->q_lora_rank : 1);
    size_t qk = (size_t)(c->qk_nope_head_dim + c->qk_rope_head_dim);
    size_t inter = (size_t)e->ffn_inter_max;
    fwd_state *st = &s->st;
    size_t wide = d > qlora ? d : qlora;
    if (R > wide) wide = R;
    float **f[] = {&st->h, &st->x, &st->out, &st->q_a, &st->q, &st->kv, &st->q_lat, &st->o_lat,
                   &st->attn, &st->cos, &st->sin, &st->router, &st->route_scratch, &st->sel_w,
                   &st->xg, &st->g, &st->u, &st->yg, &st->row, &st->z};
    size_t sz[] = {n * d, n * d, n * d, n * qlora, n * H * qk, n * (R + P), n * H * (R + P),
                   n * H * R, n * H * (size_t)c->v_head_dim, n * P / 2, n * P / 2, n * E, 3 * E,
                   n * k, n * d, n * inter, n * inter, n * d, wide, e->mtp ? 2 * n * d : 1};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (!(*f[i] = malloc(sz[i] * sizeof(float)))) return -1;
    size_t B = FWD_MOE_BATCH, mi = (size_t)c->moe_intermediate_size;
    size_t si = (size_t)(c->n_shared_experts > 0 ? c->n_shared_experts : 0) * mi;
    st->bx = malloc(B * k * d * sizeof(float));
    st->bg = malloc((B * k * mi + B * si + 1) * sizeof(float));
    st->bu = malloc((B * k * mi + B * si + 1) * sizeof(float));
    st->by = malloc(B * (k + 1) * d * sizeof(float));
    st->bops = malloc(2 * (B * k + 1) * sizeof *st->bops);
    if (!st->bx || !st->bg || !st->bu || !st->by || !st->bops) return -1;
    size_t K = FWD_FLASH_KEYS, NV = (size_t)(c->qk_nope_head_dim + c->v_head_dim);
    size_t threads = (size_t)eng_pool_size(e->pool);
    st->fl_ckv = malloc(K * R * sizeof(float));
    st->fl_rope = malloc(K * P * sizeof(float));
    st->fl_kvd = malloc(K * H * NV * sizeof(float));
    st->fl_ml = malloc(n * H * 2 * sizeof(float));
    st->fl_thread = malloc(threads * fwd_flash_thread_floats(c) * sizeof(float));
    st->kv_f32 = malloc(threads * FWD_PV_CONV * sizeof(float));
    st->kv_row = malloc((R + P) * sizeof(float));
    if (!st->fl_ckv || !st->fl_rope || !st->fl_kvd || !st->fl_ml || !st->fl_thread ||
        !st->kv_f32 || !st->kv_row)
        return -1;
    st->sel = malloc(n * k * sizeof(int));
    st->by_expert = malloc(n * k * sizeof(int));
    st->expert_start = malloc((E + 1) * sizeof(int));
    return st->sel && st->by_expert && st->expert_start ? 0 : -1;
}

static void free_state(fwd_state *st)
{
    float *f[] = {st->h, st->x, st->out, st->q_a, st->q, st->kv, st->q_lat, st->o_lat,
                  st->attn, st->cos, st->sin, st->router, st->route_scratch, st->sel_w,
                  st->xg, st->g, st->u, st->yg, st->scores, st->row, st->z,
                  st->bx, st->bg, st->bu, st->by, st->fl_ckv, st->fl_rope, st->fl_kvd,
                  st->fl_ml, st->fl_thread, st->kv_f32, st->kv_row};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) free(f[i]);
    free(st->bops);
    free(st->sel);
    free(st->by_expert);
    free(st->expert_start);
}

int eng_session_create(eng_engine *e, int max_context, eng_session **out, char *err,
                       size_t errsz)
{
    *out = NULL;
    /* The longer of what the config declares (max_position_embeddings) and what YaRN reaches. */
    int64_t model_ctx = eng_config_max_context(&e->cfg);
    if (model_ctx < e->cfg.max_position_embeddings) model_ctx = e->cfg.max_position_embeddings;
    if (max_context <= 0) max_context = model_ctx > INT32_MAX / 2 ? INT32_MAX / 2 : (int)model_ctx;
    eng_session *s = calloc(1, sizeof *s);
    if (!s) return snprintf(err, errsz, "out of memory for a session"), -1;
    s->e = e;
    s->max_ctx = max_context;
    s->nonfinite = FWD_FINITE;
    s->row_bytes = (size_t)eng_session_kv_width(s) * sizeof(float);
    s->pages = calloc((size_t)e->n_layers, sizeof *s->pages);
    if (!s->pages || alloc_state(s)) {
        eng_session_destroy(s);
        return snprintf(err, errsz, "out of memory for the activations of %d-token chunks",
                        e->chunk), -1;
    }
    *out = s;
    return 0;
}

void eng_session_destroy(eng_session *s)
{
    if (!s) return;
    if (s->pages) fwd_pages_free(s);
    free(s->mtp_h);
    free(s->pages);
    free(s->tokens);
    free_state(&s->st);
    free(s);
}

const char *eng_session_error(const eng_session *s) { return s->err; }
int eng_session_length(const eng_session *s) { return s->len; }
int eng_session_max_context(const eng_session *s) { return s->max_ctx; }
const int *eng_session_tokens(const eng_session *s) { return s->tokens; }

int eng_session_kv_width(const eng_session *s)
{
    return s->e->cfg.kv_lora_rank + s->e->cfg.qk_rope_head_dim;
}

int eng_kv_type_size(eng_kv_type t) { return t == ENG_KV_BF16 ? 2 : 4; }
const char *eng_kv_type_name(eng_kv_type t) { return t == ENG_KV_BF16 ? "bf16" : "f32"; }

int eng_kv_type_parse(const char *name)
{
    if (!strcmp(name, "f32") || !strcmp(name, "float32")) return ENG_KV_F32;
    if (!strcmp(name, "bf16") || !strcmp(name, "bfloat16")) return ENG_KV_BF16;
    return -1;
}

uint64_t eng_kv_type_fingerprint(uint64_t fp, eng_kv_type t)
{
    if (t == ENG_KV_F32) return fp;
    /* splitmix64 of fp and the type: unrelated to fp and to the other types' names */
    uint64_t z = fp + 0x9e3779b97f4a7c15ull * (uint64_t)(t + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

eng_kv_type eng_session_kv_type(const eng_session *s) { return s->kv_type; }

int fwd_cache_layers(const eng_session *s)
{
    return s->e->cfg.num_hidden_layers + (s->mtp_on ? 1 : 0);
}

uint64_t eng_session_kv_bytes(const eng_session *s, int64_t n_ctx)
{
    return (uint64_t)n_ctx * (uint64_t)fwd_cache_layers(s) * (uint64_t)eng_session_kv_width(s) *
           (uint64_t)eng_kv_type_size(s->kv_type);
}

int eng_session_set_kv_type(eng_session *s, eng_kv_type t)
{
    if (t != ENG_KV_F32 && t != ENG_KV_BF16)
        return fwd_session_set_error(s, -1, "unknown KV cache type %d", (int)t);
    if (t == s->kv_type) return 0;
    if (s->len)
        return fwd_session_set_error(s, -1, "the KV cache type can change only on an empty "
                                     "session (this one holds %d positions)", s->len);
    fwd_pages_free(s);
    s->kv_type = t;
    s->row_bytes = (size_t)eng_session_kv_width(s) * (size_t)eng_kv_type_size(t);
    return 0;
}

/* The score buffer: one block of rows x keys, bounded by the engine's score budget. */
int fwd_scores_ensure(eng_session *s, int n_ctx)
{
    const eng_engine *e = s->e;
    int block = e->chunk < FWD_ATTEND_TOKENS ? e->chunk : FWD_ATTEND_TOKENS;
    size_t all = (size_t)block * e->cfg.num_attention_heads * n_ctx;
    size_t need = all < e->score_floats ? all : e->score_floats;
    if (need < (size_t)n_ctx) need = (size_t)n_ctx;
    if (need <= s->st.scores_cap) return 0;
    float *p = realloc(s->st.scores, need * sizeof(float));
    if (!p)
        return fwd_session_set_error(s, -1, "out of memory for %zu attention scores", need);
    s->st.scores = p;
    s->st.scores_cap = need;
    return 0;
}

int eng_session_reserve(eng_session *s, int n_ctx) { return fwd_session_ensure(s, n_ctx); }

int eng_session_set_length(eng_session *s, int n, const int *tokens)
{
    if (n < 0 || n > s->max_ctx)
        return fwd_session_set_error(s, -1, "length %d outside [0, %d]", n, s->max_ctx);
    if (fwd_session_ensure(s, n)) return -1;
    for (int i = 0; i < n; i++)
        if (tokens) s->tokens[i] = tokens[i];
        else if (i >= s->len) s->tokens[i] = -1;
    s->len = n;
    /* MTP position i depends on token i+1: keep only what the tokens left still determine. */
    if (s->mtp_len > n - 1) s->mtp_len = n > 0 ? n - 1 : 0;
    return 0;
}

int eng_session_enable_mtp(eng_session *s)
{
    eng_engine *e = s->e;
    int L = e->cfg.num_hidden_layers;
    if (!e->mtp) return fwd_session_set_error(s, -1, "the model has no MTP layer");
    if (s->len) return fwd_session_set_error(s, -1, "enable MTP on an empty session");
    if (s->mtp_on) return 0;
    s->mtp_hcap = e->chunk + 2;
    s->mtp_h = malloc((size_t)s->mtp_hcap * e->cfg.hidden_size * sizeof(float));
    if (!s->mtp_h || fwd_pages_enable_layer(s, L))
        return fwd_session_set_error(s, -1, "out of memory for the MTP layer's cache");
    s->mtp_on = 1;
    s->mtp_len = s->mtp_h0 = s->mtp_hn = 0;
    return 0;
}

static int check_range(const eng_session *s, int layer, int pos0, int n, int limit)
{
    return layer >= 0 && layer < s->e->cfg.num_hidden_layers && pos0 >= 0 && n >= 0 &&
           pos0 + n <= limit;
}

void fwd_kv_get_row(const eng_session *s, int layer, int t, float *dst)
{
    size_t W = (size_t)eng_session_kv_width(s);
    if (s->kv_type == ENG_KV_F32) {
        memcpy(dst, fwd_kv_row(s, layer, t), W * sizeof(float));
        return;
    }
    const uint16_t *src = fwd_kv_row(s, layer, t);
    for (size_t j = 0; j < W; j++) dst[j] = eng_bf16_to_f32(src[j]);
}

/* float32 -> BF16, round to nearest even (NaN stays NaN), as ops_int.h's ops_f32_to_bf16. */
static uint16_t to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
}

void fwd_kv_put_row(eng_session *s, int layer, int t, const float *src)
{
    size_t W = (size_t)eng_session_kv_width(s);
    if (s->kv_type == ENG_KV_F32) {
        memcpy(fwd_kv_row(s, layer, t), src, W * sizeof(float));
        return;
    }
    uint16_t *dst = fwd_kv_row(s, layer, t);
    for (size_t j = 0; j < W; j++) dst[j] = to_bf16(src[j]);
}

int eng_session_kv_read(const eng_session *s, int layer, int pos0, int n, float *rows)
{
    if (!check_range(s, layer, pos0, n, s->len)) return -1;
    size_t W = (size_t)eng_session_kv_width(s);
    for (int i = 0; i < n; i++) fwd_kv_get_row(s, layer, pos0 + i, rows + (size_t)i * W);
    return 0;
}

int eng_session_kv_write(eng_session *s, int layer, int pos0, int n, const float *rows)
{
    if (!check_range(s, layer, pos0, n, s->max_ctx))
        return fwd_session_set_error(s, -1, "kv_write: layer %d rows [%d, %d) outside the "
                                     "cache", layer, pos0, pos0 + n);
    if (fwd_session_ensure(s, pos0 + n) || fwd_pages_writable(s, pos0, n)) return -1;
    size_t W = (size_t)eng_session_kv_width(s);
    for (int i = 0; i < n; i++) fwd_kv_put_row(s, layer, pos0 + i, rows + (size_t)i * W);
    return 0;
}

void fwd_kv_split_rows(const eng_session *s, int layer, int t0, int n, float *ckv, float *rope)
{
    int R = s->e->cfg.kv_lora_rank, P = s->e->cfg.qk_rope_head_dim;
    for (int i = 0; i < n; i++) {
        if (s->kv_type == ENG_KV_F32) {
            const float *row = fwd_kv_row(s, layer, t0 + i);
            memcpy(ckv + (size_t)i * R, row, (size_t)R * sizeof(float));
            memcpy(rope + (size_t)i * P, row + R, (size_t)P * sizeof(float));
            continue;
        }
        const uint16_t *row = fwd_kv_row(s, layer, t0 + i);
        for (int j = 0; j < R; j++) ckv[(size_t)i * R + j] = eng_bf16_to_f32(row[j]);
        for (int j = 0; j < P; j++) rope[(size_t)i * P + j] = eng_bf16_to_f32(row[R + j]);
    }
}

void eng_session_set_trace(eng_session *s, eng_trace *t) { s->trace = t; }

/* A NaN or infinity in the forward pass: the weights where it first appeared are damaged (or
 * not in the format config.json describes). Named, rather than generating token 0 forever. */
static int nonfinite_error(eng_session *s, int pos, int n)
{
    int L = s->e->cfg.num_hidden_layers, at = s->nonfinite;
    if (at < 0)
        return fwd_session_set_error(s, -1, "NaN or infinity in the token embeddings of "
                                     "positions %d-%d: model.embed_tokens.weight is damaged",
                                     pos, pos + n - 1);
    if (at >= L)
        return fwd_session_set_error(s, -1, "NaN or infinity in the logits (final norm and "
                                     "lm_head) at positions %d-%d: lm_head.weight is damaged",
                                     pos, pos + n - 1);
    return fwd_session_set_error(s, -1, "NaN or infinity in the output of layer %d of %d "
                                 "(model.layers.%d) at positions %d-%d: its weights are damaged "
                                 "or not in the format config.json describes", at, L, at, pos,
                                 pos + n - 1);
}

int eng_session_forward(eng_session *s, const int *tokens, int n, int start, int logits_mode,
                        float *logits, const atomic_int *cancel)
{
    const eng_config *c = &s->e->cfg;
    if (n <= 0 || start < 0 || start > s->len)
        return fwd_session_set_error(s, -1, "forward over %d tokens at %d: the cache holds %d",
                                     n, start, s->len);
    if (logits_mode != ENG_LOGITS_NONE && !logits)
        return fwd_session_set_error(s, -1, "forward: logits requested into NULL");
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= c->vocab_size)
            return fwd_session_set_error(s, -1, "token %d at index %d is outside the vocabulary "
                                         "[0, %d)", tokens[i], i, c->vocab_size);
    if (fwd_session_ensure(s, start + n) || fwd_pages_writable(s, start, n)) return -1;
    fwd_mtp_before_forward(s, start, tokens[0]);
    s->len = start;
    for (int off = 0; off < n; off += s->e->chunk) {
        if (cancel && atomic_load(cancel))
            return fwd_session_set_error(s, ENG_ERR_CANCELLED, "cancelled after %d of %d tokens",
                                         off, n);
        int m = n - off < s->e->chunk ? n - off : s->e->chunk;
        int mode = logits_mode;
        float *lg = NULL;
        if (logits_mode == ENG_LOGITS_ALL) lg = logits + (size_t)off * c->vocab_size;
        else if (logits_mode == ENG_LOGITS_LAST && off + m == n) lg = logits;
        else mode = ENG_LOGITS_NONE;
        s->nonfinite = FWD_FINITE;
        fwd_forward_chunk(s, tokens + off, m, start + off, mode, lg);
        if (s->nonfinite != FWD_FINITE) return nonfinite_error(s, start + off, m);
        memcpy(s->tokens + start + off, tokens + off, (size_t)m * sizeof(int));
        s->len = start + off + m;
        if (s->mtp_on) fwd_mtp_after_chunk(s, start + off, m);
    }
    return 0;
}
