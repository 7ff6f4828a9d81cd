/* tests/test_kvcache_model.c: prefix reuse on the golden tiny checkpoints: logits computed on top
 * of cached rows equal logits of a full forward (and the reference's logits_full), for prefixes
 * on and off a block boundary, after eviction, after a restart from disk, and for two sessions. */
#include <json-c/json.h>

#include "app_pack.h"
#include "check.h"
#include "eng_engine.h"

typedef struct fx {
    const char *name;
    eng_model *model;
    eng_engine *eng;
    eng_st_file *arrays;
    int T, vocab;
    const int32_t *ids;
    const float *golden; /* logits_full [T][vocab] */
} fx;

/* max|a - b| / max|b| over n values; NaN counts as a failure. */
static double rel_err(const float *a, const float *b, size_t n)
{
    double diff = 0, ref = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]), r = fabs((double)b[i]);
        if (!(d <= diff)) diff = d;
        if (r > ref) ref = r;
    }
    return ref > 0 ? diff / ref : diff;
}

static int fx_open(fx *f, const char *name)
{
    char dir[4400], path[4500], err[512] = "";
    memset(f, 0, sizeof *f);
    f->name = name;
    snprintf(dir, sizeof dir, "%s/%s", check_shared("fixtures/engine"), name);
    if (eng_model_open(dir, NULL, &f->model, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", name, err);
        return -1;
    }
    eng_engine_options eo = {.nthreads = 2, .prefill_chunk = 48};
    CHECK_MSG(eng_engine_create(f->model, &eo, &f->eng, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/golden.safetensors", dir);
    CHECK_MSG(eng_st_open(path, &f->arrays, err, sizeof err) == 0, "%s", err);
    if (!f->eng || !f->arrays) return -1;
    f->vocab = eng_engine_config(f->eng)->vocab_size;
    const eng_tensor *ids = eng_st_tensor(f->arrays, "input_ids");
    const eng_tensor *lg = eng_st_tensor(f->arrays, "logits_full");
    CHECK(ids && ids->dtype == ENG_DT_I32 && lg && lg->dtype == ENG_DT_F32);
    if (!ids || !lg) return -1;
    f->T = (int)ids->shape[0];
    f->ids = ids->data;
    f->golden = lg->data;
    CHECK(lg->nbytes == (size_t)f->T * f->vocab * sizeof(float));
    return 0;
}

static void fx_close(fx *f)
{
    eng_st_close(f->arrays);
    eng_engine_destroy(f->eng);
    eng_model_close(f->model);
}

static eng_kvcache *cache_open(fx *f, uint64_t mem, const char *dir)
{
    eng_kvcache_options o = {mem, dir, 0};
    eng_kvcache *kc = NULL;
    char err[512];
    CHECK_MSG(
        app_pack_cache_open(f->eng, eng_model_fingerprint(f->model), &o, &kc, err, sizeof err) == 0,
        "%s", err);
    return kc;
}

/* Logits of every position of ids[0..n) computed in one fresh session, no cache. */
static float *full_logits(fx *f, const int32_t *ids, int n)
{
    eng_session *s = NULL;
    char err[256];
    float *lg = malloc((size_t)n * f->vocab * sizeof *lg);
    CHECK(eng_session_create(f->eng, 0, &s, err, sizeof err) == 0);
    CHECK_MSG(eng_session_forward(s, ids, n, 0, ENG_LOGITS_ALL, lg, NULL) == 0, "%s",
              eng_session_error(s));
    eng_session_destroy(s);
    return lg;
}

/* Runs ids[0..n) in session s with the cache: attach, forward over the rest, store. Returns
 * the tokens that came from the cache (or the session); logits of positions [cached, n) go to
 * lg + cached * vocab. */
static size_t run_cached(fx *f, eng_session *s, eng_kvcache *kc, const int32_t *ids, int n,
                         float *lg)
{
    size_t cached = 0;
    char err[512] = "";
    CHECK_MSG(app_pack_attach(s, kc, ids, (size_t)n, &cached, err, sizeof err) == 0, "%s", err);
    int c = (int)cached;
    CHECK_MSG(eng_session_forward(s, ids + c, n - c, c, ENG_LOGITS_ALL, lg + (size_t)c * f->vocab,
                                  NULL) == 0,
              "%s", eng_session_error(s));
    CHECK_MSG(app_pack_store(s, kc, ids, (size_t)n, 0, NULL, err, sizeof err) == 0, "%s", err);
    return cached;
}

/* One prompt through the cache in a fresh session, checked against `want` (full forward) and,
 * where the prompt is the golden input's prefix, against the reference. */
static size_t check_prompt(fx *f, eng_kvcache *kc, const int32_t *ids, int n, const float *want,
                           int golden_prefix, const char *what)
{
    eng_session *s = NULL;
    char err[256];
    float *lg = calloc((size_t)n * f->vocab, sizeof *lg);
    CHECK(eng_session_create(f->eng, 0, &s, err, sizeof err) == 0);
    size_t c = run_cached(f, s, kc, ids, n, lg);
    size_t off = c * f->vocab, cnt = (size_t)(n - (int)c) * f->vocab;
    double e = rel_err(lg + off, want + off, cnt);
    CHECK_MSG(e < 1e-5, "%s %s: reuse vs full forward %.3g (cached %zu)", f->name, what, e, c);
    if (golden_prefix) {
        double eg = rel_err(lg + off, f->golden + off, cnt);
        CHECK_MSG(eg < 1e-4, "%s %s: reuse vs reference %.3g", f->name, what, eg);
    }
    printf("%s %-26s cached %3zu of %3d, max rel diff %.2g\n", f->name, what, c, n, e);
    eng_session_destroy(s);
    free(lg);
    return c;
}

static void scenarios(fx *f, const char *tmp)
{
    const int T = f->T, B = ENG_KV_BLOCK_TOKENS;
    float *want = full_logits(f, f->ids, T);
    CHECK_MSG(rel_err(want, f->golden, (size_t)T * f->vocab) < 1e-4, "%s: engine vs reference",
              f->name);
    char dir[4400];
    snprintf(dir, sizeof dir, "%s/%s", tmp, f->name);
    eng_kvcache *kc = cache_open(f, 256 << 20, dir);
    if (!kc) return;
    size_t full = (size_t)(T - 1) / B * B; /* blocks that fit before the last token */

    /* Empty cache: computed whole; then the same prompt again, and shorter ones ending on and
     * off a block boundary (a fully cached prompt still computes its last token). */
    CHECK_EQ_INT(check_prompt(f, kc, f->ids, T, want, 1, "cold"), 0);
    CHECK_EQ_INT(check_prompt(f, kc, f->ids, T, want, 1, "warm"), full);
    CHECK_EQ_INT(check_prompt(f, kc, f->ids, B, want, 1, "one block"), 0);
    CHECK_EQ_INT(check_prompt(f, kc, f->ids, B + 1, want, 1, "one block + 1"), B);
    int off = B + 37 < T ? B + 37 : T;
    CHECK_EQ_INT(check_prompt(f, kc, f->ids, off, want, 1, "one block + some"), B);

    /* Two prompts sharing an off-boundary prefix of B + 21 tokens, in two live sessions. */
    int n2 = T;
    int32_t *other = malloc((size_t)n2 * sizeof *other);
    memcpy(other, f->ids, (size_t)n2 * sizeof *other);
    for (int i = B + 21; i < n2; i++) other[i] = (other[i] * 7 + 3) % f->vocab;
    float *want2 = full_logits(f, other, n2);
    eng_kvcache_stats st0, st1;
    eng_kvcache_get_stats(kc, &st0);
    CHECK_EQ_INT(check_prompt(f, kc, other, n2, want2, 0, "shared prefix, new tail"), B);
    eng_kvcache_get_stats(kc, &st1);
    CHECK_EQ_INT(st1.blocks - st0.blocks, (size_t)(n2 / B) - 1); /* block 0 is shared */
    eng_session *s1 = NULL, *s2 = NULL;
    char err[256];
    CHECK(eng_session_create(f->eng, 0, &s1, err, sizeof err) == 0);
    CHECK(eng_session_create(f->eng, 0, &s2, err, sizeof err) == 0);
    float *l1 = calloc((size_t)T * f->vocab, sizeof *l1), *l2 = calloc((size_t)n2 * f->vocab, 4);
    size_t c1 = run_cached(f, s1, kc, f->ids, T, l1), c2 = run_cached(f, s2, kc, other, n2, l2);
    CHECK(c1 == full && c2 == (size_t)(n2 - 1) / B * B);
    CHECK(rel_err(l1 + c1 * f->vocab, want + c1 * f->vocab, (T - c1) * f->vocab) < 1e-5);
    CHECK(rel_err(l2 + c2 * f->vocab, want2 + c2 * f->vocab, (n2 - c2) * f->vocab) < 1e-5);
    eng_session_destroy(s1);
    eng_session_destroy(s2);

    /* Evicted from memory: read back from disk; then with no disk copy either: recomputed. */
    eng_kvcache_trim(kc);
    CHECK_EQ_INT(check_prompt(f, kc, f->ids, T, want, 1, "after eviction (disk)"), full);
    eng_kvcache_get_stats(kc, &st1);
    CHECK(st1.hits_disk >= full / B);
    eng_kvcache_destroy(kc);
    kc = cache_open(f, 256 << 20, "");
    CHECK_EQ_INT(check_prompt(f, kc, f->ids, T, want, 1, "evicted, no disk"), 0);
    eng_kvcache_trim(kc);
    CHECK_EQ_INT(check_prompt(f, kc, f->ids, T, want, 1, "evicted, re-prefilled"), 0);
    CHECK_EQ_INT(check_prompt(f, kc, f->ids, T, want, 1, "after re-prefill"), full);
    eng_kvcache_destroy(kc);

    /* A restart: a new cache on the same folder finds the blocks on disk. */
    kc = cache_open(f, 256 << 20, dir);
    CHECK_EQ_INT(check_prompt(f, kc, f->ids, T, want, 1, "after restart"), full);
    CHECK_EQ_INT(check_prompt(f, kc, other, n2, want2, 0, "other after restart"), full);
    eng_kvcache_get_stats(kc, &st1);
    CHECK_EQ_INT(st1.hits_disk, (size_t)(T - 1) / B + (size_t)(n2 - 1) / B - 1);
    CHECK_EQ_INT(st1.disk_rejected, 0);
    eng_kvcache_destroy(kc);
    free(l1);
    free(l2);
    free(other);
    free(want);
    free(want2);
}

/* Whole questions through app_pack_generate: greedy tokens with a warm cache equal those of a
 * cold one, and the stats say how much of the prompt was not computed. */
static void generation(fx *f)
{
    eng_kvcache *kc = cache_open(f, 64 << 20, "");
    app_pack_prompt p = {(int32_t *)f->ids, (size_t)f->T, 0, 0, 0};
    eng_gen_params gp = {.max_tokens = 8};
    int out[2][8], n[2] = {0, 0};
    char err[512] = "";
    for (int run = 0; run < 2; run++) {
        eng_session *s = NULL;
        eng_gen_stats st;
        CHECK(eng_session_create(f->eng, 0, &s, err, sizeof err) == 0);
        CHECK_MSG(app_pack_generate(s, kc, &p, &gp, out[run], 8, &n[run], &st, err, sizeof err) ==
                      0,
                  "%s", err);
        size_t want = run ? (size_t)(f->T - 1) / ENG_KV_BLOCK_TOKENS * ENG_KV_BLOCK_TOKENS : 0;
        CHECK_EQ_INT(p.cached, want);
        CHECK_EQ_INT(st.cached_tokens, want);
        CHECK_EQ_INT(st.prompt_tokens, f->T);
        eng_session_destroy(s);
    }
    CHECK(n[0] == 8 && n[1] == 8 && memcmp(out[0], out[1], sizeof out[0]) == 0);
    eng_kvcache_destroy(kc);
}

/* Blocks attended in place (eng_session_attach_prefix): logits as a full forward, no pages of
 * the session's own under them while the cache holds them, a write inside a borrowed block
 * copies it first, and a BF16 session copies (rounds) the rows instead. */
static void in_place(fx *f)
{
    int n = f->T, V = f->vocab, B = ENG_KV_BLOCK_TOKENS;
    eng_kvcache *kc = cache_open(f, 64u << 20, "");
    float *want = full_logits(f, f->ids, n), *lg = calloc((size_t)n * V, sizeof *lg);
    eng_session *s = NULL;
    char err[256];
    CHECK(kc && eng_session_create(f->eng, 0, &s, err, sizeof err) == 0);
    run_cached(f, s, kc, f->ids, n, lg); /* stores the prompt's blocks */
    eng_session_destroy(s);
    CHECK(eng_session_create(f->eng, 0, &s, err, sizeof err) == 0);
    size_t cached = 0, full = (size_t)(n - 1) / B * B;
    eng_kvcache_stats st;
    CHECK_MSG(eng_session_attach_prefix(s, kc, f->ids, (size_t)n, &cached) == 0, "%s",
              eng_session_error(s));
    eng_kvcache_get_stats(kc, &st);
    CHECK_MSG(cached == full && st.referenced == full / B && eng_session_kv_owned_bytes(s) == 0,
              "%s: attach: cached %zu, %zu blocks held, %llu bytes owned", f->name, cached,
              st.referenced, (unsigned long long)eng_session_kv_owned_bytes(s));
    int c = (int)cached;
    CHECK(eng_session_forward(s, f->ids + c, n - c, c, ENG_LOGITS_ALL, lg + (size_t)c * V,
                              NULL) == 0);
    double e = rel_err(lg + (size_t)c * V, want + (size_t)c * V, (size_t)(n - c) * V);
    double eg = rel_err(lg + (size_t)c * V, f->golden + (size_t)c * V, (size_t)(n - c) * V);
    CHECK_MSG(e < 1e-5 && eg < 1e-4, "%s: in place: rel %.3g (reference %.3g)", f->name, e, eg);
    printf("%s in place: %zu tokens attended where the cache holds them, rel %.2g\n", f->name,
           cached, e);
    /* from position B + 6 on: block 1 (and the later ones) become the session's own */
    int at = B + 6;
    CHECK(eng_session_forward(s, f->ids + at, n - at, at, ENG_LOGITS_ALL, lg, NULL) == 0);
    e = rel_err(lg, want + (size_t)at * V, (size_t)(n - at) * V);
    eng_kvcache_get_stats(kc, &st);
    CHECK_MSG(e < 1e-5 && st.referenced == 1, "%s: copy on write: rel %.3g, %zu blocks held",
              f->name, e, st.referenced);
    eng_session_destroy(s);
    eng_kvcache_get_stats(kc, &st);
    CHECK_EQ_INT((int)st.referenced, 0);
    CHECK(eng_session_create(f->eng, 0, &s, err, sizeof err) == 0);
    CHECK(eng_session_set_kv_type(s, ENG_KV_BF16) == 0);
    CHECK(eng_session_attach_prefix(s, kc, f->ids, (size_t)n, &cached) == 0 && cached == full);
    eng_kvcache_get_stats(kc, &st);
    CHECK_MSG(st.referenced == 0 && eng_session_kv_owned_bytes(s) > 0,
              "%s: a bf16 session holds %zu blocks", f->name, st.referenced);
    eng_session_destroy(s);
    eng_kvcache_destroy(kc);
    free(want);
    free(lg);
}

int main(void)
{
    static const char *names[] = {"tiny-v3", "tiny-v2lite", "tiny-v2lite-bf16"};
    const char *tmp = check_tmpdir("kv-model");
    int ran = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        fx f;
        if (fx_open(&f, names[i]) == 0) {
            scenarios(&f, tmp);
            generation(&f);
            in_place(&f);
            ran++;
        } else {
            CHECK_MSG(0, "%s: cannot open the fixture", names[i]);
        }
        fx_close(&f);
    }
    return ran ? check_finish() : CHECK_SKIP_CODE;
}
