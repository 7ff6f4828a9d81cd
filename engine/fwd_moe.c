/* engine/fwd_moe.c: the feed-forward blocks: SwiGLU MLPs, and DeepSeekMoE (routed experts chosen
 * per token by sigmoid or softmax gating, with bias, groups and scaling from config.json, plus
 * shared experts). Activations are float32 [tokens][hidden]. */
#include "fwd_int.h"

#include <math.h>
#include <string.h>

/* Index of the largest v[i] over i < n with allowed (v[i] > -inf); the lowest index on ties. */
static int argmax_allowed(const float *v, int n)
{
    int best = -1;
    for (int i = 0; i < n; i++)
        if (v[i] != -INFINITY && (best < 0 || v[i] > v[best])) best = i;
    return best;
}

/* DeepSeek-V3 report eq. 12-16 (V2: eq. 25-27): s = sigmoid(logits) or softmax(logits); the
 * selection score adds e_score_correction_bias (selection only); with n_group > 1 only the
 * topk_group groups with the best group score (sum of the two best biased scores when a bias
 * exists, else the best score) stay eligible; the k best eligible experts are chosen; their
 * unbiased scores, renormalized when norm_topk_prob, times routed_scaling_factor, weigh them. */
void fwd_route(const eng_config *c, const float *logits, const float *bias, float *scratch,
               int *idx, float *w)
{
    int E = c->n_routed_experts, k = c->num_experts_per_tok;
    float *s = scratch, *sel = scratch + E;
    if (c->scoring_func == ENG_SCORING_SIGMOID) {
        for (int i = 0; i < E; i++) s[i] = 1.0f / (1.0f + expf(-logits[i]));
    } else {
        float mx = logits[0], sum = 0.0f;
        for (int i = 1; i < E; i++) mx = logits[i] > mx ? logits[i] : mx;
        for (int i = 0; i < E; i++) sum += s[i] = expf(logits[i] - mx);
        for (int i = 0; i < E; i++) s[i] /= sum;
    }
    for (int i = 0; i < E; i++) sel[i] = bias ? s[i] + bias[i] : s[i];
    if (c->n_group > 1) {
        int G = c->n_group, gs = E / G;
        float *gscore = scratch + 2 * E;
        for (int g = 0; g < G; g++) {
            const float *v = sel + g * gs;
            int a = argmax_allowed(v, gs);
            float second = -INFINITY;
            for (int i = 0; i < gs; i++)
                if (i != a && v[i] > second) second = v[i];
            gscore[g] = bias && gs > 1 ? v[a] + second : v[a];
        }
        /* Taking the topk_group best groups out of gscore (set to -inf) leaves the excluded
         * groups as the finite entries. */
        for (int kept = 0; kept < c->topk_group; kept++)
            gscore[argmax_allowed(gscore, G)] = -INFINITY;
        for (int g = 0; g < G; g++)
            if (gscore[g] != -INFINITY)
                for (int i = 0; i < gs; i++) sel[g * gs + i] = -INFINITY;
    }
    float sum = 0.0f;
    for (int j = 0; j < k; j++) {
        int best = argmax_allowed(sel, E);
        idx[j] = best;
        w[j] = s[best];
        sum += w[j];
        sel[best] = -INFINITY;
    }
    for (int j = 0; j < k; j++)
        w[j] = (c->norm_topk_prob ? w[j] / sum : w[j]) * c->routed_scaling_factor;
}

typedef struct glu_task {
    float *g;
    const float *u;
    size_t count;
    int avx512;
} glu_task;

static void glu_task_run(void *arg, int ith, int nth)
{
    const glu_task *t = arg;
    size_t a = t->count * ith / nth, b = t->count * (ith + 1) / nth;
    if (t->avx512) {
        fwd_swiglu_avx512(t->g + a, t->u + a, b - a);
        return;
    }
    for (size_t i = a; i < b; i++) t->g[i] = t->g[i] / (1.0f + expf(-t->g[i])) * t->u[i];
}

/* SwiGLU MLP (Shazeer 2020): out[n][d] = down(silu(gate x) * up x) for x [n][d]. */
static void swiglu(eng_session *s, const fwd_mlp *mlp, const float *x, int n, float *out)
{
    eng_pool *pool = s->e->pool;
    fwd_state *st = &s->st;
    eng_linear_op ops[2] = {{mlp->gate, x, n, st->g}, {mlp->up, x, n, st->u}};
    eng_linear_batch(pool, ops, 2); /* one pass of the pool in decode */
    glu_task t = {st->g, st->u, (size_t)n * mlp->inter, eng_ops_isa() >= ENG_ISA_AVX512};
    eng_pool_run(pool, glu_task_run, &t);
    eng_linear(pool, mlp->down, 0, s->e->cfg.hidden_size, st->g, n, out);
}

static void record_routing(eng_session *s, int n, int pos, int k)
{
    eng_trace *t = s->trace;
    for (int i = 0; i < n && pos + i < t->npos; i++) {
        size_t at = (size_t)(pos + i) * k;
        if (t->router_idx) memcpy(t->router_idx + at, s->st.sel + (size_t)i * k, k * sizeof(int));
        if (t->router_w) memcpy(t->router_w + at, s->st.sel_w + (size_t)i * k, k * sizeof(float));
    }
}

/* Counting sort of the chunk's (token, slot) choices by expert, so each expert runs once over
 * all its tokens (one GEMM with n > 1 in prefill). */
static void group_by_expert(fwd_state *st, int n, int k, int E)
{
    int *start = st->expert_start;
    memset(start, 0, (size_t)(E + 1) * sizeof(int));
    for (int i = 0; i < n * k; i++) start[st->sel[i] + 1]++;
    for (int x = 0; x < E; x++) start[x + 1] += start[x];
    for (int i = 0; i < n * k; i++) st->by_expert[start[st->sel[i]]++] = i;
    for (int x = E; x > 0; x--) start[x] = start[x - 1]; /* undo the advance */
    start[0] = 0;
}

/* out[token] = sum_j w_j y_j over the chunk's choices, y [n*k][d] in by_expert order: expert by
 * expert, the order in which the unbatched path adds them up. */
static void combine_routed(fwd_state *st, int n, int k, int d, const float *y)
{
    memset(st->out, 0, (size_t)n * d * sizeof(float));
    for (int i = 0; i < n * k; i++) {
        int choice = st->by_expert[i];
        float w = st->sel_w[choice], *o = st->out + (size_t)(choice / k) * d;
        const float *yi = y + (size_t)i * d;
        for (int j = 0; j < d; j++) o[j] += w * yi[j];
    }
}

/* The experts of a few tokens (decode): each expert's projections are GEMVs over its own
 * weights, so the chosen experts' and the shared experts' gate/up run as one pass of the pool,
 * then all their downs as another (two synchronisations instead of four per expert). */
static void moe_batched(eng_session *s, const fwd_layer *L, int n)
{
    const eng_config *c = &s->e->cfg;
    fwd_state *st = &s->st;
    eng_pool *pool = s->e->pool;
    int E = c->n_routed_experts, k = c->num_experts_per_tok, d = c->hidden_size;
    size_t mi = (size_t)c->moe_intermediate_size, routed = (size_t)n * k * mi;
    eng_linear_op *ops = st->bops;
    int nops = 0;
    for (int x = 0; x < E; x++) {
        int a = st->expert_start[x], m = st->expert_start[x + 1] - a;
        if (!m) continue;
        for (int r = 0; r < m; r++)
            memcpy(st->bx + (size_t)(a + r) * d, st->x + (size_t)(st->by_expert[a + r] / k) * d,
                   (size_t)d * sizeof(float));
        const float *xa = st->bx + (size_t)a * d;
        ops[nops++] = (eng_linear_op){L->experts[x].gate, xa, m, st->bg + a * mi};
        ops[nops++] = (eng_linear_op){L->experts[x].up, xa, m, st->bu + a * mi};
    }
    size_t count = routed + (L->mlp.gate ? (size_t)n * L->mlp.inter : 0);
    if (L->mlp.gate) {
        ops[nops++] = (eng_linear_op){L->mlp.gate, st->x, n, st->bg + routed};
        ops[nops++] = (eng_linear_op){L->mlp.up, st->x, n, st->bu + routed};
    }
    eng_linear_batch(pool, ops, nops);
    glu_task t = {st->bg, st->bu, count, eng_ops_isa() >= ENG_ISA_AVX512};
    eng_pool_run(pool, glu_task_run, &t);
    nops = 0;
    for (int x = 0; x < E; x++) {
        int a = st->expert_start[x], m = st->expert_start[x + 1] - a;
        if (m)
            ops[nops++] = (eng_linear_op){L->experts[x].down, st->bg + a * mi, m,
                                          st->by + (size_t)a * d};
    }
    float *shared = st->by + (size_t)n * k * d;
    if (L->mlp.gate) ops[nops++] = (eng_linear_op){L->mlp.down, st->bg + routed, n, shared};
    eng_linear_batch(pool, ops, nops);
    combine_routed(st, n, k, d, st->by);
    if (L->mlp.gate)
        for (size_t j = 0; j < (size_t)n * d; j++) st->out[j] += shared[j];
}

/* DeepSeekMoE: out = sum_j w_j expert_j(x) + shared(x), per token. */
static void moe(eng_session *s, const fwd_layer *L, int layer, int n, int pos)
{
    const eng_config *c = &s->e->cfg;
    fwd_state *st = &s->st;
    int E = c->n_routed_experts, k = c->num_experts_per_tok, d = c->hidden_size;
    eng_linear(s->e->pool, L->router, 0, E, st->x, n, st->router);
    for (int i = 0; i < n; i++)
        fwd_route(c, st->router + (size_t)i * E, L->router_bias, st->route_scratch,
                  st->sel + (size_t)i * k, st->sel_w + (size_t)i * k);
    if (s->trace && s->trace->router_layer == layer) record_routing(s, n, pos, k);
    group_by_expert(st, n, k, E);
    if (n <= FWD_MOE_BATCH) {
        moe_batched(s, L, n);
        return;
    }
    memset(st->out, 0, (size_t)n * d * sizeof(float));
    for (int x = 0; x < E; x++) {
        int a = st->expert_start[x], m = st->expert_start[x + 1] - a;
        if (!m) continue;
        for (int r = 0; r < m; r++)
            memcpy(st->xg + (size_t)r * d, st->x + (size_t)(st->by_expert[a + r] / k) * d,
                   (size_t)d * sizeof(float));
        swiglu(s, &L->experts[x], st->xg, m, st->yg);
        for (int r = 0; r < m; r++) {
            int choice = st->by_expert[a + r];
            float w = st->sel_w[choice], *o = st->out + (size_t)(choice / k) * d;
            const float *y = st->yg + (size_t)r * d;
            for (int j = 0; j < d; j++) o[j] += w * y[j];
        }
    }
    if (!L->mlp.gate) return;
    swiglu(s, &L->mlp, st->x, n, st->yg);
    for (size_t j = 0; j < (size_t)n * d; j++) st->out[j] += st->yg[j];
}

void fwd_ffn(eng_session *s, int layer, int n, int pos)
{
    const fwd_layer *L = &s->e->layers[layer];
    if (L->is_moe) moe(s, L, layer, n, pos);
    else swiglu(s, &L->mlp, s->st.x, n, s->st.out);
}
