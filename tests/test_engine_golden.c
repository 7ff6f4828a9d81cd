/* tests/test_engine_golden.c: the forward pass against the official DeepSeek-V3 reference's
 * outputs in shared/fixtures/engine/<fixture>/golden.{json,safetensors} (see its README):
 * full-prompt logits, incremental decode, greedy continuation, hidden states, layer-1 routing. */
#include "check.h"
#include "eng_engine.h"

#include <json-c/json.h>

typedef struct golden {
    const char *name;
    eng_model *model;
    eng_engine *eng;
    eng_st_file *arrays;
    json_object *js;
    const eng_config *cfg;
    int T, K, n_greedy, vocab;
    const int32_t *ids;
    int greedy[64];
} golden;

/* max|a - b| / max|b| over n values. */
static double rel_err(const float *a, const float *b, size_t n)
{
    double diff = 0, ref = 0;
    for (size_t i = 0; i < n; i++) {
        double dd = fabs((double)a[i] - b[i]), r = fabs((double)b[i]);
        if (!(dd <= diff)) diff = dd; /* NaN propagates as a failure */
        if (r > ref) ref = r;
    }
    return ref > 0 ? diff / ref : diff;
}

static const float *array(golden *g, const char *name, size_t count)
{
    const eng_tensor *t = eng_st_tensor(g->arrays, name);
    CHECK_MSG(t && t->dtype == ENG_DT_F32 && t->nbytes == count * sizeof(float),
              "%s: golden array %s missing or of an unexpected size", g->name, name);
    return t && t->nbytes == count * sizeof(float) ? t->data : NULL;
}

/* eng_attention of the engines opened next (both forms must match the reference). */
static int g_attention = ENG_ATTN_AUTO;

static int open_golden(golden *g, const char *name, int quantize, int chunk, size_t scores,
                       int threads)
{
    char dir[4096], path[4200], err[512] = "";
    memset(g, 0, sizeof *g);
    g->name = name;
    snprintf(dir, sizeof dir, "%s", check_shared("fixtures/engine"));
    snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "/%s", name);
    eng_model_options mo = {.quantize_to_fp8 = quantize};
    if (eng_model_open(dir, &mo, &g->model, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", name, err);
        return -1;
    }
    eng_engine_options eo = {.nthreads = threads, .prefill_chunk = chunk,
                             .score_budget = scores, .prefill_attention = g_attention};
    CHECK_MSG(eng_engine_create(g->model, &eo, &g->eng, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/golden.safetensors", dir);
    CHECK_MSG(eng_st_open(path, &g->arrays, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/golden.json", dir);
    g->js = json_object_from_file(path);
    if (!g->eng || !g->arrays || !g->js) return -1;
    g->cfg = eng_engine_config(g->eng);
    g->vocab = g->cfg->vocab_size;
    g->T = json_object_get_int(json_object_object_get(g->js, "seq_len"));
    g->K = json_object_get_int(json_object_object_get(g->js, "prefill_len"));
    json_object *gt = json_object_object_get(g->js, "greedy_tokens");
    g->n_greedy = (int)json_object_array_length(gt);
    if (g->n_greedy > 64) g->n_greedy = 64;
    for (int i = 0; i < g->n_greedy; i++)
        g->greedy[i] = json_object_get_int(json_object_array_get_idx(gt, i));
    const eng_tensor *ids = eng_st_tensor(g->arrays, "input_ids");
    CHECK(ids && ids->dtype == ENG_DT_I32 && ids->shape[0] == g->T);
    g->ids = ids ? ids->data : NULL;
    return g->ids ? 0 : -1;
}

static void close_golden(golden *g)
{
    if (g->js) json_object_put(g->js);
    eng_st_close(g->arrays);
    eng_engine_destroy(g->eng);
    eng_model_close(g->model);
}

/* Layer-1 routing at positions 0..7 as sets, and the weights of the matching experts. */
static void check_router(golden *g, const int *idx, const float *w, double tol)
{
    int k = g->cfg->num_experts_per_tok;
    json_object *ri = json_object_object_get(g->js, "router_indices");
    const float *gw = array(g, "router_weights_layer1", (size_t)8 * k);
    int same = 1;
    double werr = 0, wmax = 0;
    for (int p = 0; p < 8 && gw; p++) {
        json_object *row = json_object_array_get_idx(ri, p);
        for (int j = 0; j < k; j++) {
            int want = json_object_get_int(json_object_array_get_idx(row, j)), found = -1;
            for (int m = 0; m < k; m++)
                if (idx[p * k + m] == want) found = m;
            if (found < 0) { same = 0; continue; }
            werr = fmax(werr, fabs(w[p * k + found] - gw[p * k + j]));
            wmax = fmax(wmax, fabs(gw[p * k + j]));
        }
    }
    CHECK_MSG(same, "%s: layer-1 experts differ from the reference", g->name);
    CHECK_MSG(werr <= tol * wmax, "%s: router weights rel %.3g", g->name, werr / wmax);
}

/* One forward over the whole prompt: logits at every position, hidden states, routing. */
static void check_full(golden *g, float *logits_full_out)
{
    const eng_config *c = g->cfg;
    int L = c->num_hidden_layers, d = c->hidden_size, k = c->num_experts_per_tok;
    float *hidden = calloc((size_t)L * 8 * d, sizeof(float));
    int idx[8 * 16];
    float w[8 * 16];
    eng_trace tr = {.npos = 8, .hidden = hidden, .router_layer = 1, .router_idx = idx,
                    .router_w = w};
    eng_session *s = NULL;
    char err[256];
    CHECK(eng_session_create(g->eng, 0, &s, err, sizeof err) == 0);
    eng_session_set_trace(s, &tr);
    int rc = eng_session_forward(s, g->ids, g->T, 0, ENG_LOGITS_ALL, logits_full_out, NULL);
    CHECK_MSG(rc == 0, "%s: %s", g->name, eng_session_error(s));
    double e = rel_err(logits_full_out, array(g, "logits_full", (size_t)g->T * g->vocab),
                       (size_t)g->T * g->vocab);
    printf("%s: logits_full rel %.3g\n", g->name, e);
    CHECK_MSG(e < 1e-4, "%s: logits_full rel %.3g", g->name, e);
    const float *gh = array(g, "hidden_after_layer", (size_t)L * 4 * d);
    for (int l = 0; l < L && gh; l++) {
        double he = rel_err(hidden + (size_t)l * 8 * d, gh + (size_t)l * 4 * d, (size_t)4 * d);
        CHECK_MSG(he < 1e-4, "%s: hidden after layer %d rel %.3g", g->name, l, he);
    }
    if (k <= 16) check_router(g, idx, w, 1e-4);
    eng_session_destroy(s);
    free(hidden);
}

/* Prefill K tokens, then one token at a time (golden logits_decode), then greedy. */
static void check_decode_and_greedy(golden *g)
{
    size_t V = (size_t)g->vocab;
    int rows = g->T - g->K + 1;
    float *lg = malloc((size_t)(rows > g->n_greedy ? rows : g->n_greedy) * V * sizeof(float));
    eng_session *s = NULL;
    char err[256];
    CHECK(eng_session_create(g->eng, 0, &s, err, sizeof err) == 0);
    int rc = eng_session_forward(s, g->ids, g->K, 0, ENG_LOGITS_LAST, lg, NULL);
    for (int j = 1; j < rows && !rc; j++)
        rc = eng_session_forward(s, g->ids + g->K - 1 + j, 1, g->K - 1 + j, ENG_LOGITS_LAST,
                                 lg + j * V, NULL);
    CHECK_MSG(rc == 0, "%s: %s", g->name, eng_session_error(s));
    double e = rel_err(lg, array(g, "logits_decode", rows * V), rows * V);
    printf("%s: logits_decode rel %.3g\n", g->name, e);
    CHECK_MSG(e < 1e-4, "%s: logits_decode rel %.3g", g->name, e);
    /* Greedy: row k holds the logits at position T-1+k; its argmax is fed at T+k. */
    memmove(lg, lg + (size_t)(rows - 1) * V, V * sizeof(float));
    int tokens_ok = 1;
    for (int k = 0; k < g->n_greedy && !rc; k++) {
        int t = eng_argmax(lg + k * V, g->vocab);
        tokens_ok &= t == g->greedy[k];
        if (k + 1 < g->n_greedy)
            rc = eng_session_forward(s, &t, 1, g->T + k, ENG_LOGITS_LAST, lg + (k + 1) * V, NULL);
    }
    CHECK_MSG(tokens_ok, "%s: greedy tokens differ from the reference", g->name);
    e = rel_err(lg, array(g, "logits_greedy", g->n_greedy * V), g->n_greedy * V);
    printf("%s: logits_greedy rel %.3g\n", g->name, e);
    CHECK_MSG(e < 1e-4, "%s: logits_greedy rel %.3g", g->name, e);
    eng_session_destroy(s);
    free(lg);
}

/* The generation API on the same prompt gives the same greedy tokens; a second call on the
 * session reuses every prompt position but the last. */
static void check_generate(golden *g)
{
    eng_session *s = NULL;
    char err[256];
    CHECK(eng_session_create(g->eng, 0, &s, err, sizeof err) == 0);
    int eos = -1; /* EOS is not special in the goldens */
    eng_gen_params p = {.max_tokens = g->n_greedy, .eos_ids = &eos, .n_eos = 1};
    int out[64], n = 0;
    eng_gen_stats st;
    for (int round = 0; round < 2; round++) {
        CHECK(eng_generate(s, g->ids, g->T, &p, out, 64, &n, &st) == 0);
        CHECK_EQ_INT(n, g->n_greedy);
        CHECK_MSG(n == g->n_greedy && !memcmp(out, g->greedy, n * sizeof(int)),
                  "%s: eng_generate round %d differs from the greedy reference", g->name, round);
        CHECK_EQ_INT(st.stop, ENG_STOP_LIMIT);
        CHECK_EQ_INT(st.cached_tokens, round ? g->T - 1 : 0);
    }
    eng_session_destroy(s);
}

/* Cache rows copied out of one session into another (what the prefix cache does) continue
 * exactly like the original. */
static void check_kv_copy(golden *g, const float *logits_full)
{
    eng_session *a = NULL, *b = NULL;
    char err[256];
    CHECK(eng_session_create(g->eng, 0, &a, err, sizeof err) == 0);
    CHECK(eng_session_create(g->eng, 0, &b, err, sizeof err) == 0);
    int W = eng_session_kv_width(a), K = g->K;
    size_t V = (size_t)g->vocab;
    float *rows = malloc((size_t)K * W * sizeof(float));
    float *lg = malloc((size_t)(g->T - K) * V * sizeof(float));
    CHECK(eng_session_forward(a, g->ids, K, 0, ENG_LOGITS_NONE, NULL, NULL) == 0);
    for (int l = 0; l < g->cfg->num_hidden_layers; l++) {
        CHECK(eng_session_kv_read(a, l, 0, K, rows) == 0);
        CHECK(eng_session_kv_write(b, l, 0, K, rows) == 0);
    }
    CHECK(eng_session_kv_read(a, 0, 0, K + 1, rows) < 0); /* past the length */
    CHECK(eng_session_set_length(b, K, g->ids) == 0);
    CHECK(eng_session_forward(b, g->ids + K, g->T - K, K, ENG_LOGITS_ALL, lg, NULL) == 0);
    double e = rel_err(lg, logits_full + K * V, (g->T - K) * V);
    CHECK_MSG(e < 1e-5, "%s: continuing from copied cache rows: rel %.3g", g->name, e);
    eng_session_destroy(a);
    eng_session_destroy(b);
    free(rows);
    free(lg);
}

/* A BF16 cache on the same prompt: the full forward and the decode path against the reference
 * (the error the type costs, printed for README), argmax agreement, and rows that read back as
 * BF16 values. The type cannot change under a non-empty session. */
static void check_kv_bf16(golden *g)
{
    size_t V = (size_t)g->vocab;
    int rows = g->T - g->K + 1, W = 0, agree = 0;
    float *lg = malloc((size_t)g->T * V * sizeof(float));
    eng_session *s = NULL;
    char err[256];
    CHECK(eng_session_create(g->eng, 0, &s, err, sizeof err) == 0);
    CHECK(eng_session_set_kv_type(s, ENG_KV_BF16) == 0);
    CHECK(eng_session_kv_type(s) == ENG_KV_BF16);
    CHECK(eng_session_forward(s, g->ids, g->T, 0, ENG_LOGITS_ALL, lg, NULL) == 0);
    const float *ref = array(g, "logits_full", (size_t)g->T * V);
    double ef = rel_err(lg, ref, (size_t)g->T * V);
    for (int t = 0; t < g->T; t++)
        agree += eng_argmax(lg + t * V, g->vocab) == eng_argmax(ref + t * V, g->vocab);
    W = eng_session_kv_width(s);
    float *row = malloc((size_t)W * sizeof(float));
    CHECK(eng_session_kv_read(s, 1, g->T - 1, 1, row) == 0);
    int bf16_exact = 1;
    for (int j = 0; j < W; j++) {
        uint32_t u;
        memcpy(&u, &row[j], sizeof u);
        bf16_exact &= (u & 0xffff) == 0;
    }
    CHECK_MSG(bf16_exact, "%s: a bf16 cache row reads back with more than 8 bits", g->name);
    CHECK(eng_session_set_kv_type(s, ENG_KV_F32) < 0);
    /* the decode path (absorbed attention over BF16 rows) from a fresh prefill of K tokens */
    CHECK(eng_session_set_length(s, 0, NULL) == 0);
    CHECK(eng_session_forward(s, g->ids, g->K, 0, ENG_LOGITS_LAST, lg, NULL) == 0);
    for (int j = 1; j < rows; j++)
        CHECK(eng_session_forward(s, g->ids + g->K - 1 + j, 1, g->K - 1 + j, ENG_LOGITS_LAST,
                                  lg + j * V, NULL) == 0);
    double ed = rel_err(lg, array(g, "logits_decode", rows * V), rows * V);
    printf("%s: kv bf16: logits_full rel %.3g (argmax agrees at %d of %d positions), "
           "logits_decode rel %.3g\n", g->name, ef, agree, g->T, ed);
    /* ~3e-3 typically; up to ~3e-2 where the rounding flips one MoE routing choice */
    CHECK_MSG(ef < 0.1 && ed < 0.1, "%s: kv bf16 rel %.3g / %.3g", g->name, ef, ed);
    CHECK_MSG(agree >= g->T * 9 / 10, "%s: kv bf16 argmax agrees at %d of %d", g->name, agree,
              g->T);
    CHECK_MSG(ef > 1e-6, "%s: kv bf16 changed nothing (rel %.3g)", g->name, ef);
    eng_session_destroy(s);
    free(row);
    free(lg);
}

static void check_fixture(const char *name, int chunk, size_t scores, int threads)
{
    golden g;
    if (open_golden(&g, name, 0, chunk, scores, threads) == 0) {
        float *full = malloc((size_t)g.T * g.vocab * sizeof(float));
        check_full(&g, full);
        check_decode_and_greedy(&g);
        check_generate(&g);
        check_kv_copy(&g, full);
        check_kv_bf16(&g);
        free(full);
    } else {
        CHECK_MSG(0, "%s: could not open the fixture", name);
    }
    close_golden(&g);
}

/* BF16 weights quantized to FP8 at load: teacher-forced over input_ids + greedy tokens, every
 * array within the README's looser tolerance (0.2). */
static void check_fp8_at_load(const char *name)
{
    golden g;
    if (open_golden(&g, name, 1, 0, 0, 1)) {
        CHECK_MSG(0, "%s: could not open the fixture with quantize_to_fp8", name);
        close_golden(&g);
        return;
    }
    int n = g.T + g.n_greedy - 1, L = g.cfg->num_hidden_layers, d = g.cfg->hidden_size;
    size_t V = (size_t)g.vocab;
    int *seq = malloc((size_t)n * sizeof(int));
    float *lg = malloc((size_t)n * V * sizeof(float));
    float *hidden = calloc((size_t)L * 4 * d, sizeof(float));
    for (int i = 0; i < g.T; i++) seq[i] = g.ids[i];
    for (int k = 0; k + 1 < g.n_greedy; k++) seq[g.T + k] = g.greedy[k];
    eng_trace tr = {.npos = 4, .hidden = hidden, .router_layer = -1};
    eng_session *s = NULL;
    char err[256];
    CHECK(eng_session_create(g.eng, 0, &s, err, sizeof err) == 0);
    eng_session_set_trace(s, &tr);
    CHECK(eng_session_forward(s, seq, n, 0, ENG_LOGITS_ALL, lg, NULL) == 0);
    double ef = rel_err(lg, array(&g, "logits_full", g.T * V), g.T * V);
    int rows = g.T - g.K + 1;
    double ed = rel_err(lg + (g.K - 1) * V, array(&g, "logits_decode", rows * V), rows * V);
    double eg = rel_err(lg + (g.T - 1) * V, array(&g, "logits_greedy", g.n_greedy * V),
                        g.n_greedy * V);
    double eh = rel_err(hidden, array(&g, "hidden_after_layer", (size_t)L * 4 * d),
                        (size_t)L * 4 * d);
    printf("%s fp8-at-load: full %.3g decode %.3g greedy %.3g hidden %.3g\n", name, ef, ed, eg,
           eh);
    CHECK(ef < 0.2 && ed < 0.2 && eg < 0.2 && eh < 0.2);
    CHECK_MSG(ef > 1e-3, "%s: quantize_to_fp8 changed nothing (rel %.3g)", name, ef);
    eng_session_destroy(s);
    free(seq);
    free(lg);
    free(hidden);
    close_golden(&g);
}

/* tiny-v3-mtp's MTP layer (SGLang semantics: mtp_logits_nomask) over spec_tokens, and greedy
 * speculative decoding with one MTP draft per step (golden.json spec_decode: 15 steps, 8
 * accepted, the 24 greedy tokens). */
static void check_mtp(void)
{
    golden g;
    if (open_golden(&g, "tiny-v3-mtp", 0, 40, 0, 1)) {
        CHECK_MSG(0, "tiny-v3-mtp: could not open the fixture");
        close_golden(&g);
        return;
    }
    CHECK(eng_engine_has_mtp(g.eng));
    const eng_tensor *st = eng_st_tensor(g.arrays, "spec_tokens");
    size_t V = (size_t)g.vocab;
    int n = st ? (int)st->shape[0] : 0;
    float *lg = calloc((size_t)(n ? n : 1) * V, sizeof(float));
    eng_trace tr = {.router_layer = -1, .mtp_npos = n - 1, .mtp_logits = lg};
    eng_session *s = NULL;
    char err[256];
    CHECK(eng_session_create(g.eng, 0, &s, err, sizeof err) == 0);
    CHECK(eng_session_enable_mtp(s) == 0);
    eng_session_set_trace(s, &tr);
    CHECK(st && eng_session_forward(s, st->data, n, 0, ENG_LOGITS_NONE, NULL, NULL) == 0);
    double e = rel_err(lg, array(&g, "mtp_logits_nomask", (n - 1) * V), (n - 1) * V);
    printf("tiny-v3-mtp: mtp_logits_nomask rel %.3g\n", e);
    CHECK_MSG(e < 1e-4, "tiny-v3-mtp: MTP logits rel %.3g", e);
    eng_session_destroy(s);
    int eos = -1, out[32], got = 0;
    eng_gen_params p = {.max_tokens = 24, .eos_ids = &eos, .n_eos = 1, .speculative = 1};
    eng_gen_stats gs;
    CHECK(eng_session_create(g.eng, 0, &s, err, sizeof err) == 0);
    CHECK(eng_session_enable_mtp(s) == 0);
    CHECK(eng_generate(s, g.ids, g.T, &p, out, 32, &got, &gs) == 0);
    CHECK_MSG(got == 24 && !memcmp(out, g.greedy, 24 * sizeof(int)),
              "tiny-v3-mtp: speculative tokens differ from greedy");
    CHECK_MSG(gs.drafts == 15 && gs.drafts_accepted == 8, "drafts %d accepted %d", gs.drafts,
              gs.drafts_accepted);
    eng_session_destroy(s);
    /* sampling with drafts: the acceptance rule runs; valid tokens, drafts counted */
    p.sampling = (eng_sampling){.temperature = 0.8f, .top_p = 0.95f, .seed = 11};
    CHECK(eng_session_create(g.eng, 0, &s, err, sizeof err) == 0);
    CHECK(eng_session_enable_mtp(s) == 0);
    CHECK(eng_generate(s, g.ids, g.T, &p, out, 32, &got, &gs) == 0);
    int valid = got == 24;
    for (int i = 0; i < got; i++) valid &= out[i] >= 0 && out[i] < g.vocab;
    CHECK_MSG(valid && gs.drafts > 0 && gs.drafts_accepted <= gs.drafts,
              "sampled speculative: %d tokens, drafts %d accepted %d", got, gs.drafts,
              gs.drafts_accepted);
    printf("tiny-v3-mtp: sampled speculative (T 0.8): %d of %d drafts kept\n",
           gs.drafts_accepted, gs.drafts);
    eng_session_destroy(s);
    free(lg);
    close_golden(&g);
    /* Without an MTP layer there is nothing to enable. */
    if (open_golden(&g, "tiny-v3", 0, 0, 0, 1) == 0) {
        CHECK(!eng_engine_has_mtp(g.eng));
        CHECK(eng_session_create(g.eng, 0, &s, err, sizeof err) == 0);
        CHECK(eng_session_enable_mtp(s) < 0);
        eng_session_destroy(s);
    }
    close_golden(&g);
}

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    /* Chunks that do not divide the prompt, and score blocks smaller than a chunk's rows, so
     * the chunked prefill and the row-blocked attention both run; one fixture on two threads
     * (the others on one: spinning workers make sanitizer runs on a busy machine slow). */
    struct { const char *name; int chunk; size_t scores; int threads; } fx[] = {
        {"tiny-v3", 80, 0, 1}, {"tiny-v2lite", 48, 4096 * 4, 2}, {"tiny-v2lite-bf16", 0, 0, 1},
        {"tiny-v3-mtp", 40, 1000 * 4, 1}};
    for (size_t i = 0; i < sizeof fx / sizeof fx[0]; i++)
        if (!only || !strcmp(only, fx[i].name))
            check_fixture(fx[i].name, fx[i].chunk, fx[i].scores, fx[i].threads);
    /* Prefill chunks in each attention form forced (chunks of 1..3 tokens too). */
    if (!only || !strcmp(only, "attention")) {
        g_attention = ENG_ATTN_ABSORBED;
        check_fixture("tiny-v3", 80, 0, 2);
        g_attention = ENG_ATTN_PER_HEAD;
        check_fixture("tiny-v2lite", 37, 0, 2);
        check_fixture("tiny-v3-mtp", 3, 0, 1);
        check_mtp();
        g_attention = ENG_ATTN_AUTO;
    }
    if (!only || !strcmp(only, "fp8-at-load")) check_fp8_at_load("tiny-v2lite-bf16");
    if (!only || !strcmp(only, "mtp")) check_mtp();
    /* The scalar kernels (what a CPU without AVX2 runs) on one fixture, chunked. */
    if (!only || !strcmp(only, "scalar")) {
        eng_ops_force_isa(ENG_ISA_SCALAR);
        check_fixture("tiny-v3", 64, 2048 * 4, 1);
        g_attention = ENG_ATTN_PER_HEAD;
        check_fixture("tiny-v2lite", 50, 0, 1);
        g_attention = ENG_ATTN_AUTO;
        eng_ops_force_isa(ENG_ISA_AVX512);
    }
    return check_finish();
}
