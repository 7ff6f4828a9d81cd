/* tests/bench/bench_engine.c: the whole CPU forward pass on a DeepSeek checkpoint (normally the
 * random-weight V2-Lite-shaped one bench_engine_model.py writes), as ratios of anchors measured in
 * the same run: decode = weight bytes read per token x tokens/s against a STREAM triad over all
 * cores; prefill of 512 and 2048 tokens = forward FLOP/s against OpenBLAS sgemm FLOP/s.
 *
 * usage: bench_engine MODEL_DIR [threads] [decode_tokens] [max_prefill (0: decode only)] */
#include "bench_engine_common.h"
#include "bench_engine_model.h"
#include "eng_cpu.h"
#include "eng_engine.h"

#include <string.h>

static void random_tokens(int *tok, int n, int vocab)
{
    uint64_t s = 0x2545F4914F6CDD1Dull;
    for (int i = 0; i < n; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        tok[i] = (int)(s % (uint64_t)vocab);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int decode(eng_engine *e, int tokens, double bytes, double triad)
{
    const eng_config *c = eng_engine_config(e);
    eng_session *s = NULL;
    char err[512];
    float *logits = malloc((size_t)c->vocab_size * sizeof *logits);
    int prompt[16];
    random_tokens(prompt, 16, c->vocab_size);
    if (!logits || eng_session_create(e, 4096, &s, err, sizeof err) < 0) {
        fprintf(stderr, "bench_engine: session: %s\n", logits ? err : "out of memory");
        free(logits);
        return -1;
    }
    double *step = calloc((size_t)tokens + 1, sizeof *step);
    int rc = step ? eng_session_forward(s, prompt, 16, 0, ENG_LOGITS_LAST, logits, NULL) : -1;
    double t0 = bench_now();
    for (int i = 0; i < tokens && rc == 0; i++) {
        int tok = eng_argmax(logits, c->vocab_size);
        double ts = bench_now();
        rc = eng_session_forward(s, &tok, 1, 16 + i, ENG_LOGITS_LAST, logits, NULL);
        step[i] = bench_now() - ts;
    }
    double dt = bench_now() - t0;
    if (rc < 0) {
        fprintf(stderr, "bench_engine: decode: %s\n", step ? eng_session_error(s) : "no memory");
    } else {
        /* the median step too: on a shared machine other processes stretch some steps */
        qsort(step, (size_t)tokens, sizeof *step, cmp_double);
        double med = step[tokens / 2];
        printf("decode: %d tokens, %.2f tok/s (median step: %.2f tok/s), %.1f MB/token -> "
               "%.1f GB/s = %.0f%% of triad %.1f GB/s (median: %.1f GB/s = %.0f%%)\n",
               tokens, tokens / dt, 1 / med, bytes / 1e6, bytes * tokens / dt / 1e9,
               100 * bytes * tokens / dt / 1e9 / triad, triad, bytes / med / 1e9,
               100 * bytes / med / 1e9 / triad);
    }
    free(step);
    eng_session_destroy(s);
    free(logits);
    return rc;
}

static int prefill(eng_engine *e, int n, double sgemm, const char *prec)
{
    const eng_config *c = eng_engine_config(e);
    eng_session *s = NULL;
    char err[512];
    float *logits = malloc((size_t)c->vocab_size * sizeof *logits);
    int *tok = malloc((size_t)n * sizeof *tok);
    if (!logits || !tok || eng_session_create(e, n + 16, &s, err, sizeof err) < 0) {
        fprintf(stderr, "bench_engine: session: %s\n", logits && tok ? err : "out of memory");
        free(logits), free(tok);
        return -1;
    }
    random_tokens(tok, n, c->vocab_size);
    double best = 1e30;
    int rc = 0;
    for (int rep = 0; rep < 2 && rc == 0; rep++) {
        double t0 = bench_now();
        rc = eng_session_forward(s, tok, n, 0, ENG_LOGITS_LAST, logits, NULL);
        double dt = bench_now() - t0;
        best = dt < best ? dt : best;
    }
    if (rc < 0) {
        fprintf(stderr, "bench_engine: prefill: %s\n", eng_session_error(s));
    } else {
        double gf = bench_prefill_flops(c, n) / best / 1e9;
        printf("prefill %4d tokens (%s): %.1f tok/s, %.1f GFLOP/s = %.0f%% of sgemm %.1f "
               "GFLOP/s\n",
               n, prec, n / best, gf, 100 * gf / sgemm, sgemm);
    }
    eng_session_destroy(s);
    free(logits), free(tok);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_engine MODEL_DIR [threads] [decode_tokens] [max_prefill]\n");
        return 2;
    }
    eng_engine_options eo = {.nthreads = argc > 2 ? atoi(argv[2]) : 0};
    int tokens = argc > 3 ? atoi(argv[3]) : 64, max_prefill = argc > 4 ? atoi(argv[4]) : 2048;
    char err[1024];
    eng_model *m = NULL;
    eng_engine *e = NULL;
    if (eng_model_open(argv[1], NULL, &m, err, sizeof err) < 0 ||
        eng_engine_create(m, &eo, &e, err, sizeof err) < 0) {
        fprintf(stderr, "bench_engine: %s\n", err);
        eng_model_close(m);
        return 1;
    }
    eng_pool *p = eng_engine_pool(e);
    const eng_config *c = eng_model_config(m);
    printf("cpu: %s, kernels level %d, %d threads; model %s: %d layers, hidden %d\n",
           eng_cpu_describe(), (int)eng_ops_isa(), eng_pool_size(p), argv[1], c->num_hidden_layers,
           c->hidden_size);
    double triad = bench_triad_gbs(p);
    int rc = decode(e, tokens, bench_weight_bytes_per_token(m), triad);
    for (int i = 0; i < 2 && rc == 0 && (i ? 2048 : 512) <= max_prefill; i++) {
        int n = i ? 2048 : 512;
        /* the anchor: sgemm on the shape of the widest projection the prefill runs */
        double sg = bench_sgemm_gflops(n, c->intermediate_size, c->hidden_size);
        rc = prefill(e, n, sg, "float32");
        eng_pool_set_precision(p, ENG_PREC_BF16);
        if (rc == 0) rc = prefill(e, n, sg, "bf16 activations");
        eng_pool_set_precision(p, ENG_PREC_F32);
    }
    eng_engine_destroy(e);
    eng_model_close(m);
    return rc < 0 ? 1 : 0;
}
