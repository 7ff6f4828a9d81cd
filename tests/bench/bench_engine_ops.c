/* tests/bench/bench_engine_ops.c: the CPU backend's kernels against anchors measured in the same
 * run: FP8 decode GEMV bytes/s against a STREAM triad over all cores, and the prefill GEMM
 * FLOP/s (float32 and BF16 precision) against OpenBLAS sgemm on the same shapes. Weights are
 * random FP8 e4m3 with 128x128 scales in DeepSeek-V2-Lite shapes. */
#include "bench_engine_common.h"
#include "eng_cpu.h"
#include "eng_ops.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    return bench_now();
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

/* ---- FP8 weights --------------------------------------------------------------------------- */

typedef struct fp8_mat {
    eng_tensor t, s;
} fp8_mat;

static void make_fp8(fp8_mat *m, int out, int in)
{
    size_t n = (size_t)out * in;
    uint8_t *d = malloc(n);
    for (size_t i = 0; i < n; i += 8) {
        uint64_t v = rnd();
        for (int j = 0; j < 8 && i + j < n; j++) {
            uint8_t c = (uint8_t)(v >> (8 * j));
            d[i + j] = (c & 0x7f) == 0x7f ? c ^ 1 : c;
        }
    }
    int sr = (out + 127) / 128, sc = (in + 127) / 128;
    float *s = malloc((size_t)sr * sc * 4);
    for (int i = 0; i < sr * sc; i++) s[i] = 1e-4f * (1 + (float)(rnd() % 100) / 100);
    m->s = (eng_tensor){.name = "s",
                        .dtype = ENG_DT_F32,
                        .ndim = 2,
                        .shape = {sr, sc},
                        .data = s,
                        .nbytes = (size_t)sr * sc * 4};
    m->t = (eng_tensor){.name = "w",
                        .dtype = ENG_DT_F8_E4M3,
                        .ndim = 2,
                        .shape = {out, in},
                        .data = d,
                        .nbytes = n,
                        .scale_inv = &m->s};
}

static void free_fp8(fp8_mat *m)
{
    free((void *)m->t.data);
    free((void *)m->s.data);
}

static size_t mat_bytes(const fp8_mat *m)
{
    return m->t.nbytes + m->s.nbytes;
}

/* ---- decode -------------------------------------------------------------------------------- */

/* One token's linears of a V2-Lite MoE layer: q, kv_a, kv_b, o, 6 of 64 routed experts (gate,
 * up, down) and the 2 shared experts, over `layers` layers so the weights far exceed the caches. */
enum { N_EXP = 64, TOPK = 6, HID = 2048, MOE_I = 1408 };
typedef struct layer_w {
    fp8_mat q, kva, kvb, o, sh_gu, sh_d, gate[N_EXP], up[N_EXP], down[N_EXP];
} layer_w;

static void make_layer(layer_w *l)
{
    make_fp8(&l->q, 16 * 192, HID);
    make_fp8(&l->kva, 576, HID);
    make_fp8(&l->kvb, 16 * 256, 512);
    make_fp8(&l->o, HID, 16 * 128);
    make_fp8(&l->sh_gu, 2 * 2 * MOE_I, HID);
    make_fp8(&l->sh_d, HID, 2 * MOE_I);
    for (int e = 0; e < N_EXP; e++) {
        make_fp8(&l->gate[e], MOE_I, HID);
        make_fp8(&l->up[e], MOE_I, HID);
        make_fp8(&l->down[e], HID, MOE_I);
    }
}

static void free_layer(layer_w *l)
{
    fp8_mat *all[] = {&l->q, &l->kva, &l->kvb, &l->o, &l->sh_gu, &l->sh_d};
    for (int i = 0; i < 6; i++) free_fp8(all[i]);
    for (int e = 0; e < N_EXP; e++)
        free_fp8(&l->gate[e]), free_fp8(&l->up[e]), free_fp8(&l->down[e]);
}

static size_t linear(eng_pool *p, const fp8_mat *m, const float *x, float *y)
{
    eng_linear(p, &m->t, 0, (int)m->t.shape[0], x, 1, y);
    return mat_bytes(m);
}

static size_t decode_token(eng_pool *p, layer_w *l, float *x, float *y)
{
    size_t bytes = linear(p, &l->q, x, y) + linear(p, &l->kva, x, y);
    bytes += linear(p, &l->kvb, x, y) + linear(p, &l->o, x, y);
    bytes += linear(p, &l->sh_gu, x, y) + linear(p, &l->sh_d, x, y);
    int chosen[TOPK];
    for (int k = 0; k < TOPK; k++) {
        int e, dup;
        do {
            e = (int)(rnd() % N_EXP), dup = 0;
            for (int j = 0; j < k; j++) dup |= chosen[j] == e;
        } while (dup);
        chosen[k] = e;
        bytes += linear(p, &l->gate[e], x, y) + linear(p, &l->up[e], x, y);
        bytes += linear(p, &l->down[e], x, y);
    }
    return bytes;
}

/* The same token with the experts' projections through eng_linear_batch: gate and up of the 6
 * experts in one pass of the pool, then their down projections. */
static size_t decode_token_batched(eng_pool *p, layer_w *l, float *x, float *y)
{
    size_t bytes = linear(p, &l->q, x, y) + linear(p, &l->kva, x, y);
    bytes += linear(p, &l->kvb, x, y) + linear(p, &l->o, x, y);
    bytes += linear(p, &l->sh_gu, x, y) + linear(p, &l->sh_d, x, y);
    eng_linear_op up[2 * TOPK], down[TOPK];
    for (int k = 0; k < TOPK; k++) {
        int e, dup;
        do {
            e = (int)(rnd() % N_EXP), dup = 0;
            for (int j = 0; j < k; j++) dup |= down[j].w == &l->down[e].t;
        } while (dup);
        up[2 * k] = (eng_linear_op){&l->gate[e].t, x, 1, y + 2 * k * MOE_I};
        up[2 * k + 1] = (eng_linear_op){&l->up[e].t, x, 1, y + (2 * k + 1) * MOE_I};
        down[k] = (eng_linear_op){&l->down[e].t, x, 1, y + 12 * MOE_I + k * HID};
        bytes += mat_bytes(&l->gate[e]) + mat_bytes(&l->up[e]) + mat_bytes(&l->down[e]);
    }
    eng_linear_batch(p, up, 2 * TOPK);
    eng_linear_batch(p, down, TOPK);
    return bytes;
}

static double decode_gbs(eng_pool *p, layer_w *layers, int nl, int tokens, int batched)
{
    float *x = malloc(16384 * 4), *y = malloc(65536 * 4);
    for (int i = 0; i < 16384; i++) x[i] = (float)(rnd() % 1000) / 1000.0f - 0.5f;
    for (int l = 0; l < nl; l++) decode_token(p, &layers[l], x, y); /* warm-up */
    size_t bytes = 0;
    double t0 = now();
    for (int t = 0; t < tokens; t++)
        for (int l = 0; l < nl; l++)
            bytes += batched ? decode_token_batched(p, &layers[l], x, y)
                             : decode_token(p, &layers[l], x, y);
    double gbs = bytes / (now() - t0) / 1e9;
    free(x), free(y);
    return gbs;
}

/* ---- prefill ------------------------------------------------------------------------------- */

static double sgemm_gflops(int n, int out, int in, const float *x, const float *w, float *y)
{
    double best = 0;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, x, in, w, in, 0.0f,
                    y, out);
        double g = 2.0 * n * out * in / (now() - t0) / 1e9;
        best = g > best ? g : best;
    }
    return best;
}

static double linear_gflops(eng_pool *p, const fp8_mat *m, int n, const float *x, float *y)
{
    double best = 0;
    int out = (int)m->t.shape[0], in = (int)m->t.shape[1];
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now();
        eng_linear(p, &m->t, 0, out, x, n, y);
        double g = 2.0 * n * out * in / (now() - t0) / 1e9;
        best = g > best ? g : best;
    }
    return best;
}

static void prefill_case(eng_pool *p, int n, int out, int in)
{
    fp8_mat m;
    make_fp8(&m, out, in);
    float *x = malloc((size_t)n * in * 4), *y = malloc((size_t)n * out * 4);
    float *wf = malloc((size_t)out * in * 4), *yr = malloc((size_t)n * out * 4);
    for (size_t i = 0; i < (size_t)n * in; i++) x[i] = (float)(rnd() % 2001) / 1000.0f - 1.0f;
    eng_dequantize_rows(&m.t, 0, out, wf);
    double sg = sgemm_gflops(n, out, in, x, wf, yr);
    eng_pool_set_precision(p, ENG_PREC_F32);
    double f32 = linear_gflops(p, &m, n, x, y);
    double err32 = 0, ref = 0;
    for (size_t i = 0; i < (size_t)n * out; i++) {
        err32 = fmax(err32, fabs(y[i] - yr[i]));
        ref = fmax(ref, fabs(yr[i]));
    }
    eng_pool_set_precision(p, ENG_PREC_BF16);
    double b16 = linear_gflops(p, &m, n, x, y);
    double err16 = 0;
    for (size_t i = 0; i < (size_t)n * out; i++) err16 = fmax(err16, fabs(y[i] - yr[i]));
    eng_pool_set_precision(p, ENG_PREC_F32);
    printf("prefill n=%-5d [%5d x %5d]  sgemm %7.1f GFLOP/s | fp8 f32 %7.1f (%5.1f%%) max err "
           "%.1e | fp8 bf16 %7.1f (%5.1f%%) max err %.1e (of max |y| %.2g)\n",
           n, out, in, sg, f32, 100 * f32 / sg, err32 / ref, b16, 100 * b16 / sg, err16 / ref, ref);
    free(x), free(y), free(wf), free(yr);
    free_fp8(&m);
}

int main(int argc, char **argv)
{
    int nthreads = argc > 1 ? atoi(argv[1]) : 0;
    eng_pool *p = eng_pool_create(nthreads);
    if (!p) {
        fprintf(stderr, "bench_engine_ops: cannot create the thread pool\n");
        return 1;
    }
    printf("cpu: %s, kernels level %d, %d threads\n", eng_cpu_describe(), (int)eng_ops_isa(),
           eng_pool_size(p));
    double triad = bench_triad_gbs(p);
    printf("triad: %.1f GB/s\n", triad);

    enum { NL = 2 };
    layer_w *layers = calloc(NL, sizeof *layers);
    for (int l = 0; l < NL; l++) make_layer(&layers[l]);
    for (int isa = (int)eng_ops_isa(); isa >= 0; isa--) {
        eng_ops_force_isa((eng_isa)isa);
        double g = decode_gbs(p, layers, NL, isa ? 40 : 3, 0);
        double gb = decode_gbs(p, layers, NL, isa ? 40 : 3, 1);
        printf("decode GEMV fp8 (level %d): %.1f GB/s = %.0f%% of triad; experts batched: %.1f "
               "GB/s = %.0f%%\n",
               isa, g, 100 * g / triad, gb, 100 * gb / triad);
    }
    eng_ops_force_isa(ENG_ISA_AVX512);
    for (int l = 0; l < NL; l++) free_layer(&layers[l]);
    free(layers);

    static const int shapes[][2] = {{10944, 2048}, {2048, 10944}, {3072, 2048}, {1408, 2048}};
    for (int ni = 0; ni < 2; ni++)
        for (int s = 0; s < 4; s++) {
            int n = ni ? 2048 : 512;
            if (s == 3) n = n * TOPK / N_EXP; /* one routed expert's share of the tokens */
            prefill_case(p, n, shapes[s][0], shapes[s][1]);
        }
    eng_pool_destroy(p);
    return 0;
}
