/* tests/bench/bench_engine_long.c: long contexts on a DeepSeek checkpoint (normally the 3-layer
 * random-weight V2-Lite-shaped one bench_engine_model.py writes): prefill of long prompts against
 * OpenBLAS sgemm FLOP/s, and decode at a given depth against a STREAM triad, both measured in
 * the same run, with the peak resident memory after each step.
 *
 * Decode at depth D: the cache is filled to D positions with the rows of a 64-token prefill
 * repeated (eng_session_kv_write), since what a decode step costs depends on how many rows it
 * reads, not on their values; this saves a D-token prefill per depth. Bytes per decoded token =
 * weight bytes (as bench_engine.c counts them) + the latent rows read (layers x D x row bytes).
 *
 * usage: bench_engine_long MODEL_DIR [--threads N] [--prefill N]... [--depth N]...
 *        [--decode-tokens N] [--attention auto|absorbed|per-head] [--kv-type f32|bf16] */
#include "bench_engine_common.h"
#include "bench_engine_model.h"
#include "eng_cpu.h"
#include "eng_engine.h"

#include <string.h>
#include <sys/resource.h>

static double peak_rss_gib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1048576.0; /* kB */
}

static void random_tokens(int *tok, int n, int vocab, uint64_t seed)
{
    uint64_t s = 0x2545F4914F6CDD1Dull ^ seed;
    for (int i = 0; i < n; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        tok[i] = (int)(s % (uint64_t)vocab);
    }
}

typedef struct bench {
    eng_engine *e;
    const eng_config *c;
    int kv_type, decode_tokens;
    double triad, sgemm, weight_bytes;
} bench;

static eng_session *open_session(bench *b, int ctx)
{
    eng_session *s = NULL;
    char err[512];
    if (eng_session_create(b->e, ctx, &s, err, sizeof err) < 0) {
        fprintf(stderr, "bench_engine_long: session: %s\n", err);
        return NULL;
    }
    if (eng_session_set_kv_type(s, b->kv_type) < 0) {
        fprintf(stderr, "bench_engine_long: %s\n", eng_session_error(s));
        eng_session_destroy(s);
        return NULL;
    }
    return s;
}

static int prefill(bench *b, int n)
{
    float *logits = malloc((size_t)b->c->vocab_size * sizeof *logits);
    int *tok = malloc((size_t)n * sizeof *tok);
    eng_session *s = logits && tok ? open_session(b, n) : NULL;
    int rc = -1;
    if (s) {
        random_tokens(tok, n, b->c->vocab_size, (uint64_t)n);
        double t0 = bench_now();
        rc = eng_session_forward(s, tok, n, 0, ENG_LOGITS_LAST, logits, NULL);
        double dt = bench_now() - t0;
        if (rc < 0) {
            fprintf(stderr, "bench_engine_long: prefill: %s\n", eng_session_error(s));
        } else {
            double gf = bench_prefill_flops(b->c, n) / dt / 1e9;
            printf("prefill %6d tokens: %.1f s, %.1f tok/s, %.1f GFLOP/s = %.0f%% of sgemm "
                   "%.1f GFLOP/s; peak RSS %.2f GiB\n",
                   n, dt, n / dt, gf, 100 * gf / b->sgemm, b->sgemm, peak_rss_gib());
        }
    }
    eng_session_destroy(s);
    free(logits), free(tok);
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Fills the cache to `depth` with the rows of a 64-token prefill, repeated. */
static int fill_to_depth(bench *b, eng_session *s, int depth)
{
    int tok[64], L = b->c->num_hidden_layers, W = eng_session_kv_width(s);
    random_tokens(tok, 64, b->c->vocab_size, 7);
    float *rows = malloc((size_t)64 * W * sizeof(float));
    int rc = rows ? eng_session_forward(s, tok, 64, 0, ENG_LOGITS_NONE, NULL, NULL) : -1;
    for (int l = 0; l < L && rc == 0; l++) {
        rc = eng_session_kv_read(s, l, 0, 64, rows);
        for (int p = 64; p < depth && rc == 0; p += 64)
            rc = eng_session_kv_write(s, l, p, depth - p < 64 ? depth - p : 64, rows);
    }
    if (rc == 0) rc = eng_session_set_length(s, depth, NULL);
    free(rows);
    return rc;
}

static int decode_at(bench *b, int depth)
{
    int n = b->decode_tokens;
    float *logits = malloc((size_t)b->c->vocab_size * sizeof *logits);
    double *step = calloc((size_t)n + 1, sizeof *step);
    eng_session *s = logits && step ? open_session(b, depth + n + 1) : NULL;
    int rc = s ? fill_to_depth(b, s, depth) : -1, tok = 1;
    double t0 = bench_now();
    for (int i = 0; i < n && rc == 0; i++) {
        double ts = bench_now();
        rc = eng_session_forward(s, &tok, 1, depth + i, ENG_LOGITS_LAST, logits, NULL);
        step[i] = bench_now() - ts;
        tok = eng_argmax(logits, b->c->vocab_size);
    }
    double dt = bench_now() - t0;
    if (rc < 0) {
        fprintf(stderr, "bench_engine_long: decode: %s\n", s ? eng_session_error(s) : "setup");
    } else {
        qsort(step, (size_t)n, sizeof *step, cmp_double);
        double med = step[n / 2];
        double kv = (double)b->c->num_hidden_layers * (depth + n / 2) *
                    eng_session_kv_width(s) * (b->kv_type == ENG_KV_BF16 ? 2 : 4);
        double bytes = b->weight_bytes + kv;
        printf("decode at %6d: %d tokens, %.2f tok/s (median step %.2f tok/s), %.1f MB/token "
               "(%.1f of them cache) -> %.1f GB/s = %.0f%% of triad %.1f GB/s; peak RSS %.2f "
               "GiB\n",
               depth, n, n / dt, 1 / med, bytes / 1e6, kv / 1e6, bytes / med / 1e9,
               100 * bytes / med / 1e9 / b->triad, b->triad, peak_rss_gib());
    }
    eng_session_destroy(s);
    free(logits), free(step);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_engine_long MODEL_DIR [--threads N] [--prefill N]... "
                        "[--depth N]... [--decode-tokens N] [--attention auto|absorbed|per-head] "
                        "[--kv-type f32|bf16]\n");
        return 2;
    }
    eng_engine_options eo = {0};
    bench b = {.decode_tokens = 16};
    int pre[8], np = 0, dep[8], nd = 0;
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--threads")) eo.nthreads = atoi(v);
        else if (!strcmp(a, "--prefill") && np < 8) pre[np++] = atoi(v);
        else if (!strcmp(a, "--depth") && nd < 8) dep[nd++] = atoi(v);
        else if (!strcmp(a, "--decode-tokens")) b.decode_tokens = atoi(v) > 0 ? atoi(v) : 16;
        else if (!strcmp(a, "--attention"))
            eo.prefill_attention = !strcmp(v, "absorbed")   ? ENG_ATTN_ABSORBED
                                   : !strcmp(v, "per-head") ? ENG_ATTN_PER_HEAD
                                                            : ENG_ATTN_AUTO;
        else if (!strcmp(a, "--kv-type")) b.kv_type = !strcmp(v, "bf16") ? ENG_KV_BF16 : ENG_KV_F32;
        else return fprintf(stderr, "bench_engine_long: unknown option %s\n", a), 2;
    }
    char err[1024];
    eng_model *m = NULL;
    if (eng_model_open(argv[1], NULL, &m, err, sizeof err) < 0 ||
        eng_engine_create(m, &eo, &b.e, err, sizeof err) < 0) {
        fprintf(stderr, "bench_engine_long: %s\n", err);
        eng_model_close(m);
        return 1;
    }
    b.c = eng_model_config(m);
    b.weight_bytes = bench_weight_bytes_per_token(m);
    eng_pool *p = eng_engine_pool(b.e);
    b.triad = bench_triad_gbs(p);
    b.sgemm = bench_sgemm_gflops(512, b.c->intermediate_size, b.c->hidden_size);
    printf("cpu: %s, %d threads; model %s: %d layers; attention %s, kv type %s\n",
           eng_cpu_describe(), eng_pool_size(p), argv[1], b.c->num_hidden_layers,
           eo.prefill_attention == ENG_ATTN_ABSORBED   ? "absorbed"
           : eo.prefill_attention == ENG_ATTN_PER_HEAD ? "per-head"
                                                       : "auto",
           b.kv_type == ENG_KV_BF16 ? "bf16" : "f32");
    int rc = 0;
    for (int i = 0; i < np && rc == 0; i++) rc = prefill(&b, pre[i]);
    for (int i = 0; i < nd && rc == 0; i++) rc = decode_at(&b, dep[i]);
    eng_engine_destroy(b.e);
    eng_model_close(m);
    return rc < 0 ? 1 : 0;
}
