/* engine/gen_generate.c: the generation loop on a session: prompt reuse from the cache, prefill,
 * sampling, streaming of token ids and text (held back while it may begin a stop string),
 * cancellation, and the stop conditions (EOS, stop strings, token limit, context end). */
#include "fwd_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The text generated so far; [0, emitted) has gone to on_text. */
typedef struct gen_text {
    char *buf;
    size_t len, cap, emitted;
} gen_text;

static int text_append(gen_text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + n + 1) cap *= 2;
        char *b = realloc(t->buf, cap);
        if (!b) return -1;
        t->buf = b, t->cap = cap;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = 0;
    return 0;
}

/* Where the first stop string starts in the unemitted text, or -1. A match cannot start before
 * `emitted`: text that could begin one is never emitted. */
static long find_stop(const gen_text *t, const eng_gen_params *p)
{
    long best = -1;
    for (int i = 0; i < p->n_stop; i++) {
        size_t sl = strlen(p->stop[i]);
        if (!sl) continue;
        const char *m = memmem(t->buf + t->emitted, t->len - t->emitted, p->stop[i], sl);
        if (m && (best < 0 || m - t->buf < best)) best = m - t->buf;
    }
    return best;
}

/* Bytes at the end of the text that are a proper prefix of some stop string (held back). */
static size_t held_back(const gen_text *t, const eng_gen_params *p)
{
    size_t hold = 0, open = t->len - t->emitted;
    for (int i = 0; i < p->n_stop; i++) {
        size_t sl = strlen(p->stop[i]);
        for (size_t k = sl > 0 ? sl - 1 : 0; k > hold; k--)
            if (k <= open && !memcmp(t->buf + t->len - k, p->stop[i], k)) {
                hold = k;
                break;
            }
    }
    return hold;
}

static int emit(gen_text *t, const eng_gen_params *p, size_t upto)
{
    if (upto <= t->emitted) return 0;
    int rc = p->on_text ? p->on_text(p->ud, t->buf + t->emitted, upto - t->emitted) : 0;
    t->emitted = upto;
    return rc;
}

/* Streams one generated token; sets *stop when a stop string or a callback ends generation. */
static int stream_token(gen_text *t, const eng_gen_params *p, int tok, eng_stop_reason *stop)
{
    if (p->on_token && p->on_token(p->ud, tok)) return *stop = ENG_STOP_CANCEL, 1;
    if (!p->token_text) return 0;
    char piece[256];
    int n = p->token_text(p->ud, tok, piece, sizeof piece);
    if (n > (int)sizeof piece) n = (int)sizeof piece;
    if (n > 0 && text_append(t, piece, (size_t)n)) return *stop = ENG_STOP_CANCEL, 1;
    long at = find_stop(t, p);
    if (at >= 0) {
        emit(t, p, (size_t)at);
        return *stop = ENG_STOP_STRING, 1;
    }
    if (emit(t, p, t->len - held_back(t, p))) return *stop = ENG_STOP_CANCEL, 1;
    return 0;
}

static int is_eos(const eng_session *s, const eng_gen_params *p, int tok)
{
    if (!p->eos_ids) return tok == s->e->cfg.eos_token_id;
    for (int i = 0; i < p->n_eos; i++)
        if (p->eos_ids[i] == tok) return 1;
    return 0;
}

/* Positions of the prompt the cache already holds (never the last prompt token: its logits are
 * needed). */
static int reusable(const eng_session *s, const int *prompt, int n_prompt)
{
    int k = 0;
    while (k < s->len && k < n_prompt - 1 && s->tokens[k] == prompt[k]) k++;
    return k;
}

typedef struct gen_run {
    eng_session *s;
    const eng_gen_params *p;
    int *out, out_cap, count;
    gen_text text;
    eng_gen_stats st;
    double t0;
    double t_first;
    float *logits; /* [2][vocab] */
    float *q, *pd; /* [vocab] each: speculative decoding's draft and target distributions */
} gen_run;

/* Takes one generated token: EOS, output, streaming, token limit, cancellation. Returns 1 when
 * generation ends here (st.stop says why). */
static int accept(gen_run *g, int tok)
{
    const eng_gen_params *p = g->p;
    if (is_eos(g->s, p, tok)) return g->st.stop = ENG_STOP_EOS, 1;
    if (g->out && g->count < g->out_cap) g->out[g->count] = tok;
    if (++g->count == 1) g->t_first = now_ms(), g->st.ttft_ms = g->t_first - g->t0;
    if (stream_token(&g->text, p, tok, &g->st.stop)) return 1;
    if (p->max_tokens > 0 && g->count >= p->max_tokens) return g->st.stop = ENG_STOP_LIMIT, 1;
    if (p->cancel && atomic_load(p->cancel)) return g->st.stop = ENG_STOP_CANCEL, 1;
    return 0;
}

/* One speculative step: *tok is pending (accepted, not in the cache) and the draft logits are
 * in g->logits. The draft is drawn from the MTP layer's distribution q (the sampling parameters
 * applied to its logits), [tok, draft] are fed, and the main model's distribution p at tok's
 * position keeps the draft with probability min(1, p/q) (then the token after it comes from the
 * second row) or replaces it by a draw from max(0, p - q): the tokens are distributed exactly
 * as without drafts. Greedy, both are one-hot and this is "keep the draft when it is the
 * argmax". Returns 1 when generation ends, 0 to go on, < 0 on error. */
static int speculative_step(gen_run *g, eng_sampler *smp, int *tok)
{
    eng_session *s = g->s;
    int V = s->e->cfg.vocab_size, n = s->len;
    gen_sampler_dist(smp, g->logits, g->q);
    int pair[2] = {*tok, gen_sampler_draw(smp, g->q, V)};
    int rc = eng_session_forward(s, pair, 2, n, ENG_LOGITS_ALL, g->logits, g->p->cancel);
    if (rc) return rc;
    gen_sampler_dist(smp, g->logits, g->pd);
    int c = gen_spec_verify(smp, g->pd, g->q, pair[1]);
    g->st.drafts++;
    if (c == pair[1]) {
        g->st.drafts_accepted++;
        if (accept(g, c)) return 1;
        *tok = eng_sampler_sample(smp, g->logits + V);
        return accept(g, *tok);
    }
    if ((rc = eng_session_set_length(s, n + 1, NULL))) return rc; /* the draft's row is stale */
    *tok = -1 - c;
    return accept(g, *tok);
}

/* After the prompt: sample, feed back, repeat (or draft and verify). */
static int decode_loop(gen_run *g, eng_sampler *smp)
{
    eng_session *s = g->s;
    const eng_gen_params *p = g->p;
    int spec = p->speculative && s->mtp_on;
    int tok = eng_sampler_sample(smp, g->logits), rc = 0;
    if (accept(g, tok)) return 0;
    for (;;) {
        if (s->len >= s->max_ctx) return g->st.stop = ENG_STOP_CONTEXT, 0;
        if (spec && s->len + 2 <= s->max_ctx && fwd_mtp_draft(s, tok, g->logits) == 0) {
            rc = speculative_step(g, smp, &tok);
            if (rc) return rc > 0 ? 0 : rc;
            continue;
        }
        rc = eng_session_forward(s, &tok, 1, s->len, ENG_LOGITS_LAST, g->logits, p->cancel);
        if (rc) return rc;
        tok = eng_sampler_sample(smp, g->logits);
        if (accept(g, tok)) return 0;
    }
}

int eng_generate(eng_session *s, const int *prompt, int n_prompt, const eng_gen_params *p,
                 int *out, int out_cap, int *n_out, eng_gen_stats *stats)
{
    gen_run g = {.s = s, .p = p, .out = out, .out_cap = out_cap, .t0 = now_ms()};
    g.st.prompt_tokens = n_prompt;
    if (n_out) *n_out = 0;
    if (n_prompt <= 0) return fwd_session_set_error(s, -1, "generate: empty prompt");
    int V = s->e->cfg.vocab_size, rc = 0;
    g.logits = malloc((size_t)2 * V * sizeof(float));
    g.q = malloc((size_t)V * sizeof(float));
    g.pd = malloc((size_t)V * sizeof(float));
    eng_sampler *smp = NULL;
    if (!g.logits || !g.q || !g.pd || eng_sampler_create(&p->sampling, V, &smp)) {
        free(g.logits), free(g.q), free(g.pd);
        return fwd_session_set_error(s, -1, "generate: out of memory for %d logits", V);
    }
    int k = g.st.cached_tokens = reusable(s, prompt, n_prompt);
    rc = eng_session_forward(s, prompt + k, n_prompt - k, k, ENG_LOGITS_LAST, g.logits,
                             p->cancel);
    g.st.prefill_ms = now_ms() - g.t0;
    g.st.stop = ENG_STOP_CANCEL;
    if (!rc) rc = decode_loop(&g, smp);
    if (rc == ENG_ERR_CANCELLED) rc = 0, g.st.stop = ENG_STOP_CANCEL;
    if (g.st.stop != ENG_STOP_STRING && g.st.stop != ENG_STOP_CANCEL)
        emit(&g.text, p, g.text.len);
    g.st.decode_tokens = g.count;
    double span = now_ms() - g.t_first;
    g.st.decode_tok_s = g.count > 1 && span > 0 ? (g.count - 1) / (span / 1e3) : 0;
    if (stats) *stats = g.st;
    if (n_out) *n_out = g.count < out_cap || !out ? g.count : out_cap;
    free(g.text.buf);
    free(g.logits), free(g.q), free(g.pd);
    eng_sampler_destroy(smp);
    return rc;
}
