/* engine/fwd_mtp.c: the multi-token-prediction layer (DeepSeek-V3 report, section 2.2) as a draft
 * model: MTP position i reads the main model's hidden state h_i (after model.norm, float32 [d])
 * and the embedding of token i+1, and keeps its own latent cache rows (session layer L). */
#include "fwd_int.h"

#include <string.h>

/* MTP at positions [pos, pos + n) from hidden rows h [n][d] and next tokens [n]:
 * x = eh_proj [enorm(embed(next)) ; hnorm(h)], one decoder layer, then shared_head. */
static void mtp_chunk(eng_session *s, const float *h, const int *next, int n, int pos,
                      float *logits_last)
{
    eng_engine *e = s->e;
    const eng_config *c = &e->cfg;
    fwd_state *st = &s->st;
    size_t d = (size_t)c->hidden_size, half = (size_t)c->qk_rope_head_dim / 2;
    for (int i = 0; i < n; i++) {
        eng_embed(e->mtp_embed, next[i], st->x + i * d);
        eng_rmsnorm(st->x + i * d, e->mtp_enorm, (int)d, c->rms_norm_eps, st->z + 2 * i * d);
        eng_rmsnorm(h + i * d, e->mtp_hnorm, (int)d, c->rms_norm_eps, st->z + (2 * i + 1) * d);
        fwd_rope_table(e, pos + i, st->cos + i * half, st->sin + i * half);
    }
    eng_linear(e->pool, e->mtp_eh, 0, (int)d, st->z, n, st->h);
    fwd_decoder_layer(s, c->num_hidden_layers, n, pos);
    eng_trace *t = s->trace;
    int V = c->vocab_size;
    for (int i = 0; t && t->mtp_logits && i < n && pos + i < t->mtp_npos; i++) {
        fwd_rmsnorm_rows(e, st->h + i * d, e->mtp_norm, 1, st->x);
        eng_linear(e->pool, e->mtp_head, 0, V, st->x, 1, t->mtp_logits + (size_t)(pos + i) * V);
    }
    if (!logits_last) return;
    fwd_rmsnorm_rows(e, st->h + (n - 1) * d, e->mtp_norm, 1, st->x);
    eng_linear(e->pool, e->mtp_head, 0, V, st->x, 1, logits_last);
}

void fwd_mtp_after_chunk(eng_session *s, int p, int m)
{
    eng_engine *e = s->e;
    size_t d = (size_t)e->cfg.hidden_size;
    /* Rows of positions [mtp_len, p) must be carried from the previous chunk; without them (the
     * cache was filled by kv_write) the MTP layer stops following this session. */
    int carry = p - s->mtp_len;
    if (carry < 0 || s->mtp_len < s->mtp_h0 || s->mtp_len + carry > s->mtp_h0 + s->mtp_hn ||
        carry + m > s->mtp_hcap) {
        s->mtp_hn = 0;
        return;
    }
    memmove(s->mtp_h, s->mtp_h + (size_t)(s->mtp_len - s->mtp_h0) * d,
            (size_t)carry * d * sizeof(float));
    fwd_rmsnorm_rows(e, s->st.h, e->final_norm, m, s->mtp_h + (size_t)carry * d);
    s->mtp_h0 = s->mtp_len;
    s->mtp_hn = carry + m;
    /* Every position but the chunk's last has its next token now. */
    int todo = s->mtp_hn - 1;
    for (int off = 0; off < todo; off += e->chunk) {
        int n = todo - off < e->chunk ? todo - off : e->chunk;
        int pos = s->mtp_h0 + off;
        mtp_chunk(s, s->mtp_h + (size_t)off * d, s->tokens + pos + 1, n, pos, NULL);
    }
    s->mtp_len = s->mtp_h0 + todo;
    s->mtp_next = s->tokens[s->mtp_len];
}

void fwd_mtp_before_forward(eng_session *s, int start, int first_token)
{
    if (!s->mtp_on) return;
    /* Position start-1 was computed with some next token: the one a draft used, or the cached
     * token at start, which this forward replaces. */
    int used = s->mtp_len == start ? s->mtp_next : start < s->len ? s->tokens[start] : -1;
    if (s->mtp_len > start) s->mtp_len = start;
    if (s->mtp_len == start && start > 0 && used != first_token) s->mtp_len = start - 1;
}

int fwd_mtp_draft(eng_session *s, int next, float *logits)
{
    int pos = s->len - 1;
    if (!s->mtp_on || s->mtp_len != pos || pos < s->mtp_h0 || pos >= s->mtp_h0 + s->mtp_hn)
        return -1;
    size_t d = (size_t)s->e->cfg.hidden_size;
    mtp_chunk(s, s->mtp_h + (size_t)(pos - s->mtp_h0) * d, &next, 1, pos, logits);
    s->mtp_len = pos + 1;
    s->mtp_next = next;
    return 0;
}
