/* tests/test_engine_units.c: the forward pass's small parts on their own: RoPE/YaRN against the
 * reference's tables (golden rope_cos / rope_sin / yarn_inv_freq), plain RoPE, routing against a
 * brute-force reading of the README's rules, sampling statistics, and the generation loop's stop
 * conditions, cancellation, context limit and memory check on the tiny-v3 fixture. */
#include "check.h"
#include "eng_engine.h"
#include "fwd_int.h"

#include <json-c/json.h>

static char *fixture_path(const char *fixture, const char *file)
{
    static char buf[4096];
    size_t n = (size_t)snprintf(buf, sizeof buf, "%s/%s", check_shared("fixtures/engine"),
                                fixture);
    if (file && n < sizeof buf) snprintf(buf + n, sizeof buf - n, "/%s", file);
    return buf;
}

/* ---- RoPE ------------------------------------------------------------------------------------ */

static void check_rope_fixture(const char *name)
{
    char err[512];
    eng_model *m = NULL;
    eng_engine *e = NULL;
    eng_st_file *g = NULL;
    if (eng_model_open(fixture_path(name, NULL), NULL, &m, err, sizeof err) ||
        eng_engine_create(m, &(eng_engine_options){.nthreads = 1}, &e, err, sizeof err) ||
        eng_st_open(fixture_path(name, "golden.safetensors"), &g, err, sizeof err)) {
        CHECK_MSG(0, "%s: %s", name, err);
        goto done;
    }
    int half = eng_engine_config(e)->qk_rope_head_dim / 2;
    const eng_tensor *inv = eng_st_tensor(g, "yarn_inv_freq");
    const eng_tensor *gc = eng_st_tensor(g, "rope_cos"), *gs = eng_st_tensor(g, "rope_sin");
    CHECK(inv && gc && gs && inv->shape[0] == half && gc->shape[1] == half);
    if (!inv || !gc || !gs) goto done;
    double worst = 0;
    for (int i = 0; i < half; i++) {
        double want = ((const float *)inv->data)[i], got = eng_engine_rope_inv_freq(e)[i];
        worst = fmax(worst, fabs(got - want) / want);
    }
    CHECK_MSG(worst < 1e-6, "%s: yarn_inv_freq rel %.3g", name, worst);
    double wc = 0;
    float c[64], s[64];
    for (int pos = 0; pos < gc->shape[0]; pos++) {
        eng_engine_rope_at(e, pos, c, s);
        for (int i = 0; i < half; i++) {
            wc = fmax(wc, fabs(c[i] - ((const float *)gc->data)[pos * half + i]));
            wc = fmax(wc, fabs(s[i] - ((const float *)gs->data)[pos * half + i]));
        }
    }
    printf("%s: inv_freq rel %.3g, cos/sin max abs %.3g\n", name, worst, wc);
    CHECK_MSG(wc < 1e-6, "%s: rope cos/sin differ by %.3g", name, wc);
    json_object *js = json_object_from_file(fixture_path(name, "golden.json"));
    double scale = json_object_get_double(json_object_object_get(js, "softmax_scale"));
    CHECK_MSG(fabs(eng_engine_softmax_scale(e) - scale) < 1e-7 * scale, "%s: softmax_scale %.9g "
              "vs %.9g", name, eng_engine_softmax_scale(e), scale);
    json_object_put(js);
done:
    eng_st_close(g);
    eng_engine_destroy(e);
    eng_model_close(m);
}

static void check_plain_rope(void)
{
    eng_config c = {.qk_rope_head_dim = 64, .qk_nope_head_dim = 128, .rope_theta = 10000.0};
    float inv[32], ms, scale;
    fwd_rope_init(&c, inv, &ms, &scale);
    for (int i = 0; i < 32; i++)
        CHECK(fabs(inv[i] - pow(10000.0, -2.0 * i / 64)) < 1e-6 * pow(10000.0, -2.0 * i / 64));
    CHECK(ms == 1.0f && fabs(scale - 1.0 / sqrt(192.0)) < 1e-8);
    /* YaRN: the fastest dimensions keep their frequency, the slowest are divided by factor. */
    c.yarn = 1, c.yarn_factor = 40, c.yarn_original_max_position_embeddings = 4096;
    c.yarn_beta_fast = 32, c.yarn_beta_slow = 1, c.yarn_mscale = c.yarn_mscale_all_dim = 1;
    float yi[32];
    fwd_rope_init(&c, yi, &ms, &scale);
    CHECK(yi[0] == inv[0] && fabs(yi[31] - inv[31] / 40) < 1e-6 * yi[31]);
    double m = 0.1 * log(40.0) + 1;
    CHECK(fabs(scale - m * m / sqrt(192.0)) < 1e-6 * scale && ms == 1.0f);
    /* Interleaved pairs: (x0, x1) rotate together, by pos * inv_freq. */
    float x[4] = {1, 0, 0, 2}, cs[2] = {0, 1}, sn[2] = {1, 0};
    fwd_rope_apply(x, 2, cs, sn);
    CHECK(fabs(x[0]) < 1e-7 && x[1] == 1 && x[2] == 0 && x[3] == 2);
}

/* ---- routing --------------------------------------------------------------------------------- */

/* The README's rules with sorting, for comparison. */
static void route_reference(const eng_config *c, const float *lg, const float *bias, int *set,
                            float *w)
{
    int E = c->n_routed_experts, G = c->n_group, gs = E / G;
    double s[64], sel[64], gsc[64], sum = 0;
    for (int i = 0; i < E; i++) sum += exp(lg[i]);
    for (int i = 0; i < E; i++) {
        s[i] = c->scoring_func == ENG_SCORING_SIGMOID ? 1 / (1 + exp(-lg[i])) : exp(lg[i]) / sum;
        sel[i] = s[i] + (bias ? bias[i] : 0);
    }
    for (int g = 0; g < G; g++) { /* sort each group descending */
        double v[64];
        for (int i = 0; i < gs; i++) v[i] = sel[g * gs + i];
        for (int i = 0; i < gs; i++)
            for (int j = i + 1; j < gs; j++)
                if (v[j] > v[i]) { double t = v[i]; v[i] = v[j]; v[j] = t; }
        gsc[g] = bias && gs > 1 && G > 1 ? v[0] + v[1] : v[0];
    }
    for (int g = 0; g < G; g++) { /* rank of the group */
        int better = 0;
        for (int h = 0; h < G; h++) better += gsc[h] > gsc[g];
        if (better >= c->topk_group)
            for (int i = 0; i < gs; i++) sel[g * gs + i] = -1e30;
    }
    double total = 0;
    for (int i = 0; i < E; i++) {
        int better = 0;
        for (int j = 0; j < E; j++) better += sel[j] > sel[i];
        set[i] = better < c->num_experts_per_tok;
        if (set[i]) total += s[i];
    }
    for (int i = 0; i < E; i++)
        w[i] = set[i] ? (float)((c->norm_topk_prob ? s[i] / total : s[i]) *
                                c->routed_scaling_factor) : 0;
}

static void check_routing(void)
{
    eng_config v3 = {.n_routed_experts = 32, .num_experts_per_tok = 4, .n_group = 8,
                     .topk_group = 3, .scoring_func = ENG_SCORING_SIGMOID,
                     .norm_topk_prob = 1, .routed_scaling_factor = 2.5f};
    eng_config v2 = {.n_routed_experts = 24, .num_experts_per_tok = 6, .n_group = 1,
                     .topk_group = 1, .scoring_func = ENG_SCORING_SOFTMAX,
                     .routed_scaling_factor = 1.0f};
    eng_config v2g = v2;
    v2g.n_group = 4, v2g.topk_group = 2; /* DeepSeek-V2's group_limited_greedy (no bias) */
    const eng_config *cfgs[] = {&v3, &v2, &v2g};
    uint64_t r = 42;
    int mismatches = 0;
    for (int trial = 0; trial < 600; trial++) {
        const eng_config *c = cfgs[trial % 3];
        float lg[64], bias[64], scratch[192], w[8], rw[64];
        int idx[8], set[64];
        for (int i = 0; i < c->n_routed_experts; i++) {
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            lg[i] = (float)((double)(r >> 11) / 9007199254740992.0 * 8.0 - 4.0);
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            bias[i] = (float)((double)(r >> 11) / 9007199254740992.0 * 0.5 - 0.25);
        }
        const float *b = c == &v3 ? bias : NULL;
        fwd_route(c, lg, b, scratch, idx, w);
        route_reference(c, lg, b, set, rw);
        for (int j = 0; j < c->num_experts_per_tok; j++)
            if (!set[idx[j]] || fabsf(w[j] - rw[idx[j]]) > 1e-5f * (1 + fabsf(rw[idx[j]])))
                mismatches++;
    }
    CHECK_EQ_INT(mismatches, 0);
    /* The bias only selects: a large bias on expert 3 chooses it, its weight stays unbiased. */
    eng_config c1 = {.n_routed_experts = 4, .num_experts_per_tok = 1, .n_group = 1,
                     .topk_group = 1, .scoring_func = ENG_SCORING_SIGMOID,
                     .routed_scaling_factor = 1.0f};
    float lg[4] = {2, 0, 0, -1}, bias[4] = {0, 0, 0, 5}, scratch[12], w;
    int idx;
    fwd_route(&c1, lg, bias, scratch, &idx, &w);
    CHECK(idx == 3 && fabsf(w - 1 / (1 + expf(1))) < 1e-6f);
}

/* ---- sampling -------------------------------------------------------------------------------- */

static void draw(const eng_sampling *p, const float *lg, int V, int n, int *hist)
{
    eng_sampler *s = NULL;
    CHECK(eng_sampler_create(p, V, &s) == 0);
    memset(hist, 0, (size_t)V * sizeof *hist);
    for (int i = 0; s && i < n; i++) hist[eng_sampler_sample(s, lg)]++;
    eng_sampler_destroy(s);
}

static void check_sampling(void)
{
    float lg[4] = {logf(0.5f), logf(0.3f), logf(0.15f), logf(0.05f)};
    int h[4], n = 20000;
    draw(&(eng_sampling){0}, lg, 4, 10, h);
    CHECK(h[0] == 10);
    draw(&(eng_sampling){.temperature = 1, .seed = 1}, lg, 4, n, h);
    double want[4] = {0.5, 0.3, 0.15, 0.05};
    for (int i = 0; i < 4; i++)
        CHECK_MSG(fabs(h[i] / (double)n - want[i]) < 0.015, "token %d drawn %d of %d", i, h[i], n);
    draw(&(eng_sampling){.temperature = 1, .top_k = 2, .seed = 2}, lg, 4, n, h);
    CHECK(h[2] == 0 && h[3] == 0 && fabs(h[0] / (double)n - 0.625) < 0.015);
    draw(&(eng_sampling){.temperature = 1, .top_p = 0.7f, .seed = 3}, lg, 4, n, h);
    CHECK(h[2] == 0 && h[3] == 0 && fabs(h[0] / (double)n - 0.625) < 0.015);
    draw(&(eng_sampling){.temperature = 1, .top_p = 0.85f, .seed = 3}, lg, 4, n, h);
    CHECK(h[2] > 0 && h[3] == 0);
    draw(&(eng_sampling){.temperature = 1, .min_p = 0.5f, .seed = 4}, lg, 4, n, h);
    CHECK(h[1] > 0 && h[2] == 0 && h[3] == 0);
    draw(&(eng_sampling){.temperature = 0.25f, .seed = 5}, lg, 4, n, h); /* sharper */
    double p4 = 0.0625 + 0.0081 + 0.00050625 + 0.00000625; /* p^(1/0.25) */
    CHECK_MSG(fabs(h[0] / (double)n - 0.0625 / p4) < 0.015, "%d of %d", h[0], n);
    /* Reproducible from the seed; a large vocabulary's nucleus equals a full sort's. */
    enum { V = 5000 };
    static float big[V];
    static int h1[V], h2[V];
    for (int i = 0; i < V; i++) big[i] = (float)((i * 7919) % 1000) / 150.0f;
    eng_sampling p = {.temperature = 0.8f, .top_p = 0.5f, .seed = 9};
    draw(&p, big, V, 1000, h1);
    draw(&p, big, V, 1000, h2);
    CHECK(!memcmp(h1, h2, sizeof h1));
    double z = 0, mass = 0, cut;
    for (int i = 0; i < V; i++) z += exp((big[i] - 1000 / 150.0) / 0.8);
    int outside = 0;
    /* the nucleus is every token whose logit is above the cut where the mass reaches 0.5 */
    for (cut = 1000; mass < 0.5; cut -= 1) {
        mass = 0;
        for (int i = 0; i < V; i++)
            if (big[i] * 150 >= cut - 0.5) mass += exp((big[i] - 1000 / 150.0) / 0.8) / z;
    }
    for (int i = 0; i < V; i++)
        if (h1[i] && big[i] * 150 < cut + 1 - 0.5) outside++;
    CHECK_EQ_INT(outside, 0);
}

/* ---- generation on tiny-v3 ------------------------------------------------------------------- */

typedef struct capture {
    char text[4096];
    size_t len;
    int tokens, cancel_after;
} capture;

static int tok_text(void *ud, int token, char *buf, size_t cap)
{
    (void)ud;
    return snprintf(buf, cap, "t%d ", token);
}

static int on_token(void *ud, int token)
{
    capture *c = ud;
    (void)token;
    return ++c->tokens == c->cancel_after;
}

static int on_text(void *ud, const char *t, size_t n)
{
    capture *c = ud;
    if (c->len + n < sizeof c->text) memcpy(c->text + c->len, t, n), c->len += n;
    c->text[c->len] = 0;
    return 0;
}

/* Greedy run of the tiny-v3 prompt (golden: 560 602 771 219 117 ...) under one set of stops. */
static eng_stop_reason run(eng_engine *e, const int *ids, int T, const char *stop, int eos,
                           int cancel_after, int max_ctx, capture *cap, int *n)
{
    eng_session *s = NULL;
    char err[256];
    memset(cap, 0, sizeof *cap);
    cap->cancel_after = cancel_after;
    const char *stops[1] = {stop};
    eng_gen_params p = {.max_tokens = 8, .eos_ids = &eos, .n_eos = 1, .stop = stops,
                        .n_stop = stop ? 1 : 0, .token_text = tok_text, .on_token = on_token,
                        .on_text = on_text, .ud = cap};
    eng_gen_stats st = {0};
    int out[16];
    CHECK(eng_session_create(e, max_ctx, &s, err, sizeof err) == 0);
    CHECK(eng_generate(s, ids, T, &p, out, 16, n, &st) == 0);
    CHECK(st.prompt_tokens == T && st.decode_tokens == *n && st.ttft_ms >= st.prefill_ms);
    eng_session_destroy(s);
    return st.stop;
}

static void check_generation(void)
{
    char err[512];
    eng_model *m = NULL;
    eng_engine *e = NULL;
    json_object *js = json_object_from_file(fixture_path("tiny-v3", "golden.json"));
    if (!js || eng_model_open(fixture_path("tiny-v3", NULL), NULL, &m, err, sizeof err) ||
        eng_engine_create(m, &(eng_engine_options){.nthreads = 1}, &e, err, sizeof err)) {
        CHECK_MSG(0, "tiny-v3: %s", err);
        goto done;
    }
    json_object *ja = json_object_object_get(js, "input_ids");
    int T = (int)json_object_array_length(ja), ids[256], n;
    for (int i = 0; i < T && i < 256; i++)
        ids[i] = json_object_get_int(json_object_array_get_idx(ja, i));
    capture c;
    CHECK_EQ_INT(run(e, ids, T, NULL, -1, 0, 0, &c, &n), ENG_STOP_LIMIT);
    CHECK(n == 8 && !strcmp(c.text, "t560 t602 t771 t219 t117 t667 t20 t919 "));
    CHECK_EQ_INT(run(e, ids, T, "771 t2", -1, 0, 0, &c, &n), ENG_STOP_STRING);
    CHECK(n == 4 && !strcmp(c.text, "t560 t602 t"));
    CHECK_EQ_INT(run(e, ids, T, "t602 t7719", -1, 0, 0, &c, &n), ENG_STOP_LIMIT);
    CHECK_MSG(!strcmp(c.text, "t560 t602 t771 t219 t117 t667 t20 t919 "), "%s", c.text);
    CHECK_EQ_INT(run(e, ids, T, NULL, 219, 0, 0, &c, &n), ENG_STOP_EOS);
    CHECK(n == 3 && c.tokens == 3);
    CHECK_EQ_INT(run(e, ids, T, NULL, -1, 2, 0, &c, &n), ENG_STOP_CANCEL);
    CHECK(n == 2);
    CHECK_EQ_INT(run(e, ids, T, NULL, -1, 0, T + 3, &c, &n), ENG_STOP_CONTEXT);
    CHECK_EQ_INT(n, 4);
    /* Refusals: a cache larger than memory, before allocating; bad tokens and positions. */
    eng_session *s = NULL;
    CHECK(eng_session_create(e, 1 << 30, &s, err, sizeof err) == 0);
    CHECK(eng_session_reserve(s, 1 << 30) < 0);
    CHECK_MSG(strstr(eng_session_error(s), "GiB"), "%s", eng_session_error(s));
    int bad = 1000;
    CHECK(eng_session_forward(s, &bad, 1, 0, ENG_LOGITS_NONE, NULL, NULL) < 0);
    CHECK(eng_session_forward(s, ids, 1, 5, ENG_LOGITS_NONE, NULL, NULL) < 0);
    atomic_int cancel = 1;
    CHECK_EQ_INT(eng_session_forward(s, ids, 4, 0, ENG_LOGITS_NONE, NULL, &cancel),
                 ENG_ERR_CANCELLED);
    eng_session_destroy(s);
done:
    if (js) json_object_put(js);
    eng_engine_destroy(e);
    eng_model_close(m);
}

/* Beyond the goldens' lengths: a 600-token prompt past the config's context gives the same
 * logits in 37-token chunks with small score blocks as in one chunk. */
static void check_long_chunks(void)
{
    char err[512];
    eng_model *m = NULL;
    eng_engine *a = NULL, *b = NULL;
    if (eng_model_open(fixture_path("tiny-v3", NULL), NULL, &m, err, sizeof err) ||
        eng_engine_create(m, &(eng_engine_options){.nthreads = 1, .prefill_chunk = 37,
                                                   .score_budget = 4096 * 4},
                          &a, err, sizeof err) ||
        eng_engine_create(m, &(eng_engine_options){.nthreads = 1, .prefill_chunk = 600}, &b, err,
                          sizeof err)) {
        CHECK_MSG(0, "tiny-v3: %s", err);
    } else {
        enum { T = 600, V = 1000 };
        static int ids[T];
        static float la[T * V], lb[T * V];
        for (int i = 0; i < T; i++) ids[i] = (i * 7919 + 13) % V;
        eng_session *sa = NULL, *sb = NULL;
        CHECK(eng_session_create(a, 1024, &sa, err, sizeof err) == 0);
        CHECK(eng_session_create(b, 1024, &sb, err, sizeof err) == 0);
        CHECK(eng_session_forward(sa, ids, T, 0, ENG_LOGITS_ALL, la, NULL) == 0);
        CHECK(eng_session_forward(sb, ids, T, 0, ENG_LOGITS_ALL, lb, NULL) == 0);
        double diff = 0, ref = 0;
        for (int i = 0; i < T * V; i++) {
            diff = fmax(diff, fabs(la[i] - lb[i]));
            ref = fmax(ref, fabs(lb[i]));
        }
        printf("600 tokens, 37-token chunks vs one chunk: rel %.3g\n", diff / ref);
        CHECK_MSG(diff <= 1e-5 * ref, "chunked vs whole: rel %.3g", diff / ref);
        eng_session_destroy(sa);
        eng_session_destroy(sb);
    }
    eng_engine_destroy(a);
    eng_engine_destroy(b);
    eng_model_close(m);
}

/* The forward pass's SIMD loops against double-precision references: PV tiles of every row
 * count with partial column strips, softmax rows (exp polynomial) with masked tails, SwiGLU. */
static void check_vector_kernels(void)
{
    enum { T = 301, LD = 320, KW = 80 };
    static float p[8 * LD], kv[T * KW], o[8 * 64], s[LD];
    uint64_t r = 12345;
    for (int i = 0; i < 8 * LD; i++) /* probabilities in [0, 1), keys in [-1, 1) */
        p[i] = (float)((r = r * 6364136223846793005u + 1) >> 41) / (1 << 23);
    for (int i = 0; i < T * KW; i++)
        kv[i] = (float)((r = r * 6364136223846793005u + 1) >> 40) / (1 << 23) - 1;
    eng_isa isa = eng_ops_isa();
    for (int level = ENG_ISA_AVX2; level <= (int)isa; level++)
        for (int rows = 1; rows <= 8; rows++)
            for (int len = 13; len <= 64; len += 51) {
                double worst = 0;
                for (int i = 0; i < 8 * 64; i++) o[i] = 0.5f;
                if (level == ENG_ISA_AVX512)
                    fwd_pv_tile_avx512(p, LD, rows, kv, KW, T, len, o, 64);
                else
                    fwd_pv_tile_avx2(p, LD, rows, kv, KW, T, len, o, 64);
                for (int i = 0; i < rows; i++)
                    for (int j = 0; j < 64; j++) {
                        double ref = 0.5;
                        for (int k = 0; k < T && j < len; k++)
                            ref += (double)p[i * LD + k] * kv[k * KW + j];
                        worst = fmax(worst, fabs(o[i * 64 + j] - ref) / (T * 0.5));
                    }
                CHECK_MSG(worst < 1e-6, "pv tile level %d rows %d len %d: error %g", level, rows,
                          len, worst);
            }
    if (isa < ENG_ISA_AVX512) return;
    /* the BF16-cache tile: the same keys truncated to BF16, against the truncated floats */
    static uint16_t kvb[T * KW];
    for (int i = 0; i < T * KW; i++) {
        uint32_t u;
        memcpy(&u, &kv[i], sizeof u);
        kvb[i] = (uint16_t)(u >> 16);
        u &= 0xffff0000u;
        memcpy(&kv[i], &u, sizeof u);
    }
    for (int rows = 1; rows <= 8; rows++)
        for (int len = 13; len <= 64; len += 51) {
            double worst = 0;
            for (int i = 0; i < 8 * 64; i++) o[i] = 0.5f;
            fwd_pv_tile_bf16_avx512(p, LD, rows, kvb, KW, T, len, o, 64);
            for (int i = 0; i < 8; i++)
                for (int j = 0; j < 64; j++) {
                    double ref = 0.5; /* rows past `rows` stay untouched */
                    for (int k = 0; k < T && j < len && i < rows; k++)
                        ref += (double)p[i * LD + k] * kv[k * KW + j];
                    worst = fmax(worst, fabs(o[i * 64 + j] - ref) / (T * 0.5));
                }
            CHECK_MSG(worst < 1e-6, "bf16 pv tile rows %d len %d: error %g", rows, len, worst);
        }
    for (int lim = 1; lim <= T; lim += 37) {
        double x[LD], mx = -1e30, sum = 0, worst = 0;
        for (int k = 0; k < LD; k++) {
            s[k] = kv[k] * 40; /* exponents down to e^-80 */
            x[k] = (double)(s[k] * 0.7f); /* the scaled score, rounded as the kernel rounds it */
        }
        fwd_softmax_row_avx512(s, lim, LD, 0.7f);
        for (int k = 0; k < lim; k++) mx = fmax(mx, x[k]);
        /* x - max rounded to float as well: that rounding is the input's, not the kernel's */
        for (int k = 0; k < lim; k++) sum += exp((float)(x[k] - mx));
        for (int k = 0; k < LD; k++) {
            double ref = k < lim ? exp((float)(x[k] - mx)) / sum : 0;
            worst = fmax(worst, fabs(s[k] - ref) / fmax(ref, 1e-30));
        }
        CHECK_MSG(worst < 5e-7, "softmax lim %d: relative error %g", lim, worst);
    }
    /* SwiGLU's activation over a range that reaches exp's clamps, with a partial last vector */
    enum { G = 1000 };
    static float g[G], u[G];
    double worst = 0;
    for (int i = 0; i < G; i++) g[i] = (float)(i - G / 2) * 0.25f, u[i] = kv[i] + 2;
    fwd_swiglu_avx512(g, u, G - 3);
    for (int i = 0; i < G; i++) {
        double x = (i - G / 2) * 0.25, ref = i < G - 3 ? x / (1 + exp(-x)) * u[i] : x;
        worst = fmax(worst, fabs(g[i] - ref) / fmax(fabs(ref), 1e-20)); /* e^-x clamped */
    }
    CHECK_MSG(worst < 1e-6, "swiglu: relative error %g", worst);
}

/* The per-head attention's AVX-512 kernels against plain double arithmetic: scores of up to 6
 * query rows against transposed keys, and the online softmax over a row in two pieces whose
 * second holds the larger scores (so the first piece's sum must be rescaled). */
static void check_flash_kernels(void)
{
    if (eng_ops_isa() < ENG_ISA_AVX512) {
        printf("flash kernels: skipped (no AVX-512)\n");
        return;
    }
    enum { DIM = 48, KEYS = 96, ROWS = 6 };
    static float q[ROWS * 50], kt[DIM * KEYS], s[ROWS * KEYS];
    uint64_t r = 777;
    for (int i = 0; i < ROWS * 50; i++)
        q[i] = (float)((r = r * 6364136223846793005u + 1) >> 40) / (1 << 23) - 1;
    for (int i = 0; i < DIM * KEYS; i++)
        kt[i] = (float)((r = r * 6364136223846793005u + 1) >> 40) / (1 << 23) - 1;
    for (int rows = 1; rows <= ROWS; rows++) {
        double worst = 0;
        fwd_flash_scores_avx512(q, 50, rows, DIM, kt, KEYS, KEYS, s, KEYS, 0.25f);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < KEYS; j++) {
                double ref = 0;
                for (int d = 0; d < DIM; d++) ref += (double)q[i * 50 + d] * kt[d * KEYS + j];
                worst = fmax(worst, fabs(s[i * KEYS + j] - 0.25 * ref));
            }
        CHECK_MSG(worst < 1e-5, "flash scores rows %d: error %g", rows, worst);
    }
    float row[2][KEYS], m = -INFINITY, l = 0;
    double x[2 * KEYS], mx = -1e30, sum = 0;
    for (int k = 0; k < 2 * KEYS; k++) {
        x[k] = kt[k] * 30 + (k >= KEYS ? 20 : 0);
        row[k / KEYS][k % KEYS] = (float)x[k];
    }
    int lim2 = 70;
    fwd_flash_softmax_avx512(row[0], KEYS, KEYS, &m, &l);
    float corr = fwd_flash_softmax_avx512(row[1], lim2, KEYS, &m, &l);
    for (int k = 0; k < KEYS + lim2; k++) mx = fmax(mx, x[k]);
    for (int k = 0; k < KEYS + lim2; k++) sum += exp(x[k] - mx);
    double worst = fabs(l - sum) / sum;
    for (int k = 0; k < 2 * KEYS; k++) {
        double got = k < KEYS ? row[0][k] * (double)corr : row[1][k - KEYS];
        double ref = k < KEYS + lim2 ? exp(x[k] - mx) : 0;
        worst = fmax(worst, fabs(got - ref) / fmax(ref, 1e-30));
    }
    CHECK_MSG(m == (float)mx && corr < 1e-3f, "online softmax: max %g corr %g", m, corr);
    CHECK_MSG(worst < 2e-5, "online softmax: relative error %g", worst);
}

/* The speculative acceptance rule: drafts drawn from q, verified against p, give tokens
 * distributed as p (here p and q disagree, each has a token the other lacks), and drafts are
 * kept at the rate sum(min(p, q)). */
static void check_speculative_rule(void)
{
    enum { V = 5, N = 200000 };
    const float p[V] = {0.5f, 0.2f, 0.2f, 0.1f, 0.0f}, q0[V] = {0.1f, 0.4f, 0.0f, 0.2f, 0.3f};
    eng_sampler *smp = NULL;
    CHECK(eng_sampler_create(&(eng_sampling){.temperature = 1.0f, .seed = 3}, V, &smp) == 0);
    if (!smp) return;
    int count[V] = {0}, kept = 0;
    for (int i = 0; i < N; i++) {
        float q[V];
        memcpy(q, q0, sizeof q);
        int d = gen_sampler_draw(smp, q, V);
        int t = gen_spec_verify(smp, p, q, d);
        kept += t == d;
        count[t >= 0 ? t : -1 - t]++;
    }
    double worst = 0, overlap = 0;
    for (int i = 0; i < V; i++) {
        worst = fmax(worst, fabs((double)count[i] / N - p[i]));
        overlap += fmin(p[i], q0[i]);
    }
    CHECK_MSG(worst < 0.006, "speculative rule: token frequencies off p by %.4f", worst);
    CHECK_MSG(count[4] == 0, "speculative rule: a token p excludes was emitted %d times",
              count[4]);
    CHECK_MSG(fabs((double)kept / N - overlap) < 0.006, "speculative rule: kept %.4f, want %.4f",
              (double)kept / N, overlap);
    /* greedy: one-hot distributions, the draft is kept exactly when it is the argmax */
    float logits[V] = {0.1f, 2.0f, 0.3f, -1.0f, 0.0f}, pd[V], qd[V];
    eng_sampler *g = NULL;
    CHECK(eng_sampler_create(&(eng_sampling){.temperature = 0}, V, &g) == 0);
    gen_sampler_dist(g, logits, pd);
    CHECK(pd[1] == 1.0f && pd[0] == 0.0f);
    memcpy(qd, pd, sizeof qd);
    CHECK(gen_spec_verify(g, pd, qd, 1) == 1);
    qd[1] = 0, qd[2] = 1;
    CHECK(gen_spec_verify(g, pd, qd, 2) == -1 - 1);
    eng_sampler_destroy(g);
    eng_sampler_destroy(smp);
}

int main(void)
{
    check_vector_kernels();
    check_flash_kernels();
    check_plain_rope();
    check_routing();
    check_sampling();
    check_speculative_rule();
    check_rope_fixture("tiny-v3");
    check_rope_fixture("tiny-v2lite");
    check_rope_fixture("tiny-v2lite-bf16");
    check_generation();
    check_long_chunks();
    return check_finish();
}
