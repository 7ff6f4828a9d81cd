/* engine/fwd_forward.c: the decoder, top to bottom, for one chunk of tokens: embedding, then per
 * layer h += MLA(RMSNorm(h)); h += FFN(RMSNorm(h)), then logits = lm_head RMSNorm(h). */
#include "fwd_int.h"

#include <stdint.h>
#include <string.h>

/* out[i] = RMSNorm(x[i]) * w for each of n rows of width d (x / sqrt(mean(x^2) + eps) * w). */
void fwd_rmsnorm_rows(const eng_engine *e, const float *x, const eng_tensor *w, int n,
                      float *out)
{
    int d = e->cfg.hidden_size;
    for (int i = 0; i < n; i++)
        eng_rmsnorm(x + (size_t)i * d, w, d, e->cfg.rms_norm_eps, out + (size_t)i * d);
}

/* The residual connection: h += block output. */
static void residual_add(float *h, const float *out, size_t count)
{
    for (size_t i = 0; i < count; i++) h[i] += out[i];
}

/* Whether n floats are all finite, by their exponent bits (so no compiler flag can fold the
 * test away): damaged weights would otherwise turn into NaN logits silently, whose argmax is
 * token 0. */
static int all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t b;
        memcpy(&b, &x[i], sizeof b);
        if ((b & 0x7f800000u) == 0x7f800000u) return 0;
    }
    return 1;
}

static void note_nonfinite(eng_session *s, const float *x, size_t n, int where)
{
    if (s->nonfinite == FWD_FINITE && !all_finite(x, n)) s->nonfinite = where;
}

static void record_hidden(eng_session *s, int layer, int n, int pos)
{
    eng_trace *t = s->trace;
    int d = s->e->cfg.hidden_size;
    for (int i = 0; i < n && pos + i < t->npos; i++)
        memcpy(t->hidden + ((size_t)layer * t->npos + pos + i) * d, s->st.h + (size_t)i * d,
               (size_t)d * sizeof(float));
}

/* Decoder layer l on st->h [n][d] at positions [pos, pos + n) (cos/sin already set):
 * h += MLA(RMSNorm(h)); h += FFN(RMSNorm(h)). */
void fwd_decoder_layer(eng_session *s, int l, int n, int pos)
{
    eng_engine *e = s->e;
    fwd_state *st = &s->st;
    const fwd_layer *L = &e->layers[l];
    size_t count = (size_t)n * e->cfg.hidden_size;
    fwd_rmsnorm_rows(e, st->h, L->attn_norm, n, st->x);
    fwd_mla_attention(s, l, n, pos);
    residual_add(st->h, st->out, count);
    fwd_rmsnorm_rows(e, st->h, L->ffn_norm, n, st->x);
    fwd_ffn(s, l, n, pos);
    residual_add(st->h, st->out, count);
}

void fwd_forward_chunk(eng_session *s, const int *tokens, int n, int pos, int logits_mode,
                       float *logits)
{
    eng_engine *e = s->e;
    const eng_config *c = &e->cfg;
    fwd_state *st = &s->st;
    size_t d = (size_t)c->hidden_size, half = (size_t)c->qk_rope_head_dim / 2;

    /* h = embed_tokens[token] (no scaling); the rotation angles of the chunk's positions. */
    for (int i = 0; i < n; i++) {
        eng_embed(e->embed, tokens[i], st->h + i * d);
        fwd_rope_table(e, pos + i, st->cos + i * half, st->sin + i * half);
    }
    note_nonfinite(s, st->h, (size_t)n * d, -1);
    for (int l = 0; l < c->num_hidden_layers; l++) {
        fwd_decoder_layer(s, l, n, pos);
        note_nonfinite(s, st->h, (size_t)n * d, l);
        if (s->trace && s->trace->hidden) record_hidden(s, l, n, pos);
    }
    /* logits = lm_head(RMSNorm(h)), for every position or the last only. */
    if (logits_mode == ENG_LOGITS_ALL) {
        fwd_rmsnorm_rows(e, st->h, e->final_norm, n, st->x);
        eng_linear(e->pool, e->lm_head, 0, c->vocab_size, st->x, n, logits);
        note_nonfinite(s, logits, (size_t)n * c->vocab_size, c->num_hidden_layers);
    } else if (logits_mode == ENG_LOGITS_LAST) {
        fwd_rmsnorm_rows(e, st->h + (n - 1) * d, e->final_norm, 1, st->x);
        eng_linear(e->pool, e->lm_head, 0, c->vocab_size, st->x, 1, logits);
        note_nonfinite(s, logits, (size_t)c->vocab_size, c->num_hidden_layers);
    }
}
